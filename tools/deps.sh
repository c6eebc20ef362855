#!/bin/sh
# Installs what the build needs and a fresh Debian machine lacks: musl-gcc
# (package musl-tools) and the BearSSL 0.6 source from Debian's source
# package, verified against a pinned SHA-256 before it is unpacked.
# SPDX-License-Identifier: Apache-2.0
#
# usage: tools/deps.sh musl          make sure musl-gcc exists
#        tools/deps.sh bearssl DIR   unpack BearSSL 0.6 into DIR
#        tools/deps.sh clang         make sure clang and libFuzzer exist
#        tools/deps.sh all DIR       all of the above
#        tools/deps.sh cross [ARCH]  make sure ARCH-linux-musl-gcc exists
#                                    (default aarch64: gcc-aarch64-linux-gnu
#                                    and musl-dev:arm64)
#        tools/deps.sh qemu          make sure qemu-user-static exists
set -eu

BEARSSL_ORIG=bearssl_0.6+dfsg.1.orig.tar.xz
BEARSSL_SHA256=102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004

say() { echo "deps: $*" >&2; }
die() { echo "deps: $*" >&2; exit 1; }

can_apt() {
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

apt_updated=
apt_install() {
	can_apt || return 1
	if [ -z "$apt_updated" ]; then
		say "apt-get update"
		apt-get update -qq >/dev/null || return 1
		apt_updated=1
	fi
	say "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" \
		>/dev/null 2>&1
}

need_musl() {
	command -v musl-gcc >/dev/null 2>&1 && return 0
	apt_install musl-tools ||
		die "musl-gcc not found: install musl-tools (Debian/Ubuntu) or your distribution's musl-gcc wrapper"
	command -v musl-gcc >/dev/null 2>&1 ||
		die "musl-tools installed but musl-gcc is still missing from PATH"
}

need_clang() {
	if command -v clang >/dev/null 2>&1 &&
	    echo 'int LLVMFuzzerTestOneInput(const char*d,long n){return 0;}' |
	    clang -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then
		return 0
	fi
	apt_install clang libclang-rt-14-dev ||
		die "clang with libFuzzer not found: install clang and libclang-rt-14-dev"
}

# A cross build needs Debian's cross gcc for ARCH and musl built for ARCH;
# musl-dev for a foreign architecture installs only once dpkg knows that
# architecture, so it is added first (dpkg --add-architecture changes
# nothing else). musl-dev:ARCH brings the ARCH-linux-musl-gcc wrapper.
debian_arch() {
	case $1 in
	aarch64) echo arm64 ;;
	x86_64) echo amd64 ;;
	riscv64 | s390x) echo "$1" ;;
	*) return 1 ;;
	esac
}

need_cross() {
	arch=$1
	if command -v "$arch-linux-musl-gcc" >/dev/null 2>&1 &&
	    command -v "$arch-linux-gnu-gcc" >/dev/null 2>&1 &&
	    command -v "$arch-linux-gnu-ar" >/dev/null 2>&1; then
		return 0
	fi
	darch=$(debian_arch "$arch") ||
		die "no cross build known for $arch: give CROSS_CC and CROSS_AR"
	gcc_pkg=gcc-$(echo "$arch" | tr _ -)-linux-gnu
	can_apt ||
		die "$arch-linux-musl-gcc not found: install $gcc_pkg and musl-dev:$darch (as root: dpkg --add-architecture $darch; apt-get update; apt-get install $gcc_pkg musl-dev:$darch)"
	if [ "$(dpkg --print-architecture)" != "$darch" ] &&
	    ! dpkg --print-foreign-architectures | grep -qx "$darch"; then
		say "dpkg --add-architecture $darch"
		dpkg --add-architecture "$darch"
		apt_updated=
	fi
	apt_install "$gcc_pkg" "musl-dev:$darch" ||
		die "apt-get install $gcc_pkg musl-dev:$darch failed"
	command -v "$arch-linux-musl-gcc" >/dev/null 2>&1 ||
		die "musl-dev:$darch installed but $arch-linux-musl-gcc is still missing from PATH"
}

need_qemu() {
	command -v qemu-aarch64-static >/dev/null 2>&1 && return 0
	apt_install qemu-user-static ||
		die "qemu-aarch64-static not found: install qemu-user-static"
}

# The orig tarball is fetched with a private apt source list so that the
# machine's own apt configuration is left exactly as it was.
fetch_bearssl() {
	dest=$1
	[ -f "$dest/inc/bearssl.h" ] && return 0
	mkdir -p "$(dirname "$dest")"
	work=$(cd "$(dirname "$dest")" && pwd)/bearssl-download
	mkdir -p "$work/lists/partial"
	tarball=$work/$BEARSSL_ORIG
	if [ ! -f "$tarball" ]; then
		command -v apt-get >/dev/null 2>&1 ||
			die "no apt-get: unpack BearSSL 0.6 yourself and run make BEARSSL_SRC=DIR"
		cat >"$work/deb-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		opts="-o Dir::Etc::SourceList=/dev/null
		      -o Dir::Etc::SourceParts=$work
		      -o Dir::State::Lists=$work/lists"
		say "fetching the BearSSL source package"
		# shellcheck disable=SC2086
		apt-get $opts update -qq >/dev/null 2>&1 ||
			die "apt-get could not read Debian's source index: run make BEARSSL_SRC=DIR with an unpacked BearSSL 0.6"
		# shellcheck disable=SC2086
		(cd "$work" && apt-get $opts source --download-only bearssl \
			>/dev/null 2>&1) ||
			die "apt-get source bearssl failed: run make BEARSSL_SRC=DIR with an unpacked BearSSL 0.6"
	fi
	sum=$(sha256sum "$tarball" | cut -d' ' -f1)
	if [ "$sum" != "$BEARSSL_SHA256" ]; then
		rm -f "$tarball"
		die "$BEARSSL_ORIG has SHA-256 $sum, expected $BEARSSL_SHA256; removed it"
	fi
	tmp=$dest.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xJf "$tarball" -C "$tmp" --strip-components=1
	[ -f "$tmp/inc/bearssl.h" ] || die "$BEARSSL_ORIG holds no inc/bearssl.h"
	rm -rf "$dest"
	mv "$tmp" "$dest"
	say "BearSSL 0.6 source ready in $dest"
}

case "${1:-}" in
musl) need_musl ;;
clang) need_clang ;;
bearssl) fetch_bearssl "${2:?usage: deps.sh bearssl DIR}" ;;
all)
	need_musl
	need_clang
	fetch_bearssl "${2:?usage: deps.sh all DIR}"
	;;
cross) need_cross "${2:-aarch64}" ;;
qemu) need_qemu ;;
*) die "usage: deps.sh musl|clang|bearssl DIR|all DIR|cross [ARCH]|qemu" ;;
esac
