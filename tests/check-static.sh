#!/bin/sh
# Asserts that the shipped binary is static: no program interpreter, no
# dynamic section, and that it runs with an empty environment.
# SPDX-License-Identifier: Apache-2.0
bin=${1:-./kevents}
pass=0 fail=0
check() {
	if eval "$2"; then
		echo "ok   $1"; pass=$((pass + 1))
	else
		echo "FAIL $1"; fail=$((fail + 1))
	fi
}
check "binary exists" "[ -x '$bin' ]"
check "no INTERP program header" \
	"readelf -lW '$bin' >/dev/null && ! readelf -lW '$bin' | grep -q INTERP"
check "no dynamic section" \
	"readelf -dW '$bin' 2>&1 | grep -q 'no dynamic section'"
check "file(1) says statically linked" \
	"file -L '$bin' | grep -Eq 'statically linked|static-pie linked'"
check "stripped" "file -L '$bin' | grep -q ', stripped'"
check "--version runs with an empty environment" \
	"env -i '$bin' --version | grep -q 'static musl'"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
