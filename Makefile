# kevents: one static musl binary linked with BearSSL 0.6.
#
#   make                 build ./kevents (static, stripped)
#   make BEARSSL_SRC=DIR build from a BearSSL 0.6 tree you already have
#   make test            every test: unit, fuzz corpus replay, integration
#   make demo            kevents against the bundled simulated API server
#   make fuzz FUZZ_SECONDS=N   run each libFuzzer target for N seconds
#   make bench           the benchmark table (not part of make test)
#   make cross ARCH=aarch64    the static arm64 binary
#   make install PREFIX=/usr/local DESTDIR=

BUILD     ?= build
BEARSSL_DEFAULT := $(BUILD)/bearssl-0.6
BEARSSL_SRC ?= $(BEARSSL_DEFAULT)
BEARSSL_VERSION ?= 0.6
PREFIX    ?= /usr/local
DESTDIR   ?=
FUZZ_SECONDS ?= 60
PYTHON    ?= python3

# The version comes from git when there is history, else from VERSION.
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || \
	cat VERSION 2>/dev/null || echo 0.0.0)
ARCH    ?= $(shell uname -m)

SRCS     := $(sort $(wildcard src/*.c))
LIBSRCS  := $(filter-out src/main.c,$(SRCS))
HDRS     := $(wildcard src/*.h)
UNITSRCS := $(sort $(wildcard tests/unit/*.c))
FUZZSRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZSRCS))

# Paths and dates never reach the binary, so two builds of one commit are
# byte-identical.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null \
	|| echo 0)
REPRO   := -ffile-prefix-map=$(CURDIR)=. -fno-ident
COMMON  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
	-DKEVENTS_VERSION='"$(VERSION)"' -DKEVENTS_BEARSSL='"$(BEARSSL_VERSION)"' -I$(BEARSSL_SRC)/inc $(REPRO)
# BearSSL seeds its generator from getentropy(): releases after 0.6 do it
# themselves with BR_USE_GETENTROPY; 0.6 ignores the flag, and tls.c
# injects getentropy() bytes into every handshake, so /dev/urandom (absent
# from some scratch images) is never needed.
BR_DEFS := -DBR_USE_GETENTROPY=1 -DBR_USE_URANDOM=0

# Shipped build: musl, size-optimised, dead code dropped by the linker.
MUSLCC  ?= musl-gcc
CFLAGS  ?= -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables
LDFLAGS ?= -static -s -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noseparate-code

# Test builds: glibc with sanitizers against a sanitizer build of BearSSL.
SANCC    ?= gcc
SANFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
FUZZCC   ?= clang
FUZZFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined

COMMA := ,
BR_MUSL := $(BUILD)/bearssl-musl/libbearssl.a
BR_SAN  := $(BUILD)/bearssl-san/libbearssl.a
BR_FUZZ := $(BUILD)/bearssl-fuzz/libbearssl.a

.PHONY: all deps drivers test unit check-static fuzz fuzz-replay integration demo \
	bench cross install clean distclean sanitize
.DELETE_ON_ERROR:

all: kevents

# BearSSL source: the default tree is fetched by tools/deps.sh; a tree
# given by BEARSSL_SRC is used as it is.
$(BEARSSL_SRC)/inc/bearssl.h:
ifeq ($(BEARSSL_SRC),$(BEARSSL_DEFAULT))
	@sh tools/deps.sh bearssl $(BEARSSL_SRC)
else
	@echo "make: no BearSSL tree at BEARSSL_SRC=$(BEARSSL_SRC) (want DIR/inc/bearssl.h)" >&2; exit 1
endif

musl-check:
	@sh tools/deps.sh musl

# BearSSL's own Makefile builds out of tree into BUILD=...; each variant
# gets its own directory so the three never share an object.
define bearssl_lib
$(BUILD)/$(1)/libbearssl.a: $(BEARSSL_SRC)/inc/bearssl.h $(2)
	@echo "  BEARSSL $(1)"
	@mkdir -p $(BUILD)/$(1)
	@$$(MAKE) -s -C $(BEARSSL_SRC) lib BUILD=$(abspath $(BUILD)/$(1)) \
		CC="$(3)" CFLAGS="$(4) $(BR_DEFS) $(REPRO)" \
		>$(BUILD)/$(1)/build.log 2>&1 || \
		{ tail -20 $(BUILD)/$(1)/build.log >&2; exit 1; }
endef
$(eval $(call bearssl_lib,bearssl-musl,musl-check,$(MUSLCC),-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables))
$(eval $(call bearssl_lib,bearssl-san,,$(SANCC),$(SANFLAGS)))
$(eval $(call bearssl_lib,bearssl-fuzz,fuzz-check,$(FUZZCC),-g -O1 -fsanitize=address$(COMMA)undefined))

fuzz-check:
	@sh tools/deps.sh clang

.PHONY: musl-check fuzz-check

# The shipped binary.
MUSLOBJS := $(patsubst src/%.c,$(BUILD)/musl/%.o,$(SRCS))
$(BUILD)/musl/%.o: src/%.c $(HDRS) $(BEARSSL_SRC)/inc/bearssl.h | musl-check
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(MUSLCC) $(COMMON) $(CFLAGS) -DKEVENTS_ARCH='"$(ARCH)"' -DKEVENTS_BUILD='"static musl"' -c -o $@ $<

kevents: $(MUSLOBJS) $(BR_MUSL)
	@echo "  LD      $@"
	@$(MUSLCC) $(CFLAGS) $(LDFLAGS) -o $@ $(MUSLOBJS) $(BR_MUSL)
	@echo "kevents: $$(wc -c <$@) bytes ($$(( $$(wc -c <$@) / 1024 )) KiB), sha256 $$(sha256sum $@ | cut -c1-64)"

# The whole program under ASan, UBSan and LeakSanitizer, for integration
# tests.
SANOBJS := $(patsubst src/%.c,$(BUILD)/san/%.o,$(SRCS))
$(BUILD)/san/%.o: src/%.c $(HDRS) $(BEARSSL_SRC)/inc/bearssl.h
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(SANCC) $(COMMON) -Werror $(SANFLAGS) -DKEVENTS_ARCH='"$(ARCH)"' -DKEVENTS_BUILD='"glibc with ASan, UBSan and LeakSanitizer"' -c -o $@ $<

$(BUILD)/kevents-asan: $(SANOBJS) $(BR_SAN)
	@echo "  LD-SAN  $@"
	@$(SANCC) $(SANFLAGS) -o $@ $(SANOBJS) $(BR_SAN)

sanitize: $(BUILD)/kevents-asan

# Unit tests: every tests/unit/*.c linked with the library objects.
UNITOBJS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%.o,$(UNITSRCS))
$(BUILD)/unit/%.o: tests/unit/%.c tests/unit/harness.h $(HDRS) $(BEARSSL_SRC)/inc/bearssl.h
	@mkdir -p $(dir $@)
	@echo "  CC-TEST $<"
	@$(SANCC) $(COMMON) -Werror $(SANFLAGS) -Isrc -c -o $@ $<

$(BUILD)/unit-tests: $(UNITOBJS) $(filter-out $(BUILD)/san/main.o,$(SANOBJS)) $(BR_SAN)
	@echo "  LD-TEST $@"
	@$(SANCC) $(SANFLAGS) -o $@ $^

# Test drivers: small programs, one per tests/drivers/NAME.c, that run a
# library module on its own for integration tests (sanitizer build).
DRIVERSRCS := $(sort $(wildcard tests/drivers/*.c))
DRIVERS := $(patsubst tests/drivers/%.c,$(BUILD)/drivers/%,$(DRIVERSRCS))
$(BUILD)/drivers/%: tests/drivers/%.c $(filter-out $(BUILD)/san/main.o,$(SANOBJS)) $(BR_SAN)
	@mkdir -p $(dir $@)
	@echo "  DRIVER  $@"
	@$(SANCC) $(COMMON) -Werror $(SANFLAGS) -Isrc -o $@ $^

drivers: $(DRIVERS)

unit: $(BUILD)/unit-tests
	@$(BUILD)/unit-tests

# libFuzzer targets, one per tests/fuzz/fuzz_NAME.c, corpus in
# tests/fuzz/corpus/NAME.
FUZZLIB := $(LIBSRCS)
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZLIB) $(HDRS) $(BR_FUZZ) | fuzz-check
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(FUZZCC) $(COMMON) $(FUZZFLAGS) -Isrc -o $@ $< $(FUZZLIB) $(BR_FUZZ)

fuzz-replay: $(FUZZERS)
	@sh tests/fuzz/replay.sh $(BUILD)/fuzz $(FUZZERS)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do \
		n=$${f##*/fuzz_}; mkdir -p $(BUILD)/corpus/$$n; \
		echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(BUILD)/corpus/$$n tests/fuzz/corpus/$$n 2>&1 | \
			grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' ; \
	done

check-static: kevents
	@sh tests/check-static.sh ./kevents

integration: kevents $(BUILD)/kevents-asan
	@$(PYTHON) tests/integration/run.py ./kevents $(BUILD)/kevents-asan

# The README's test command: everything, with one summary line at the end.
test: kevents $(BUILD)/kevents-asan $(BUILD)/unit-tests $(FUZZERS) $(DRIVERS)
	@$(PYTHON) tests/run.py --build $(BUILD)

demo: kevents
	@$(PYTHON) tools/demo.py ./kevents

bench: kevents
	@$(PYTHON) tools/bench/run.py ./kevents

# ---- release: cross, install ----------------------------------------------
# make cross ARCH=aarch64 builds ./kevents-aarch64 exactly as ./kevents is
# built, with a cross gcc and musl for that architecture (on Debian:
# gcc-aarch64-linux-gnu and musl-dev:arm64, see tools/deps.sh cross) and a
# BearSSL built from the same source tree into a directory of its own.
# ARCH left at the build machine's own architecture means aarch64 here.
CROSS_ARCH := $(if $(filter $(shell uname -m),$(ARCH)),aarch64,$(ARCH))
CROSS_CC   ?= $(CROSS_ARCH)-linux-musl-gcc
CROSS_AR   ?= $(CROSS_ARCH)-linux-gnu-ar
CROSS_BIN  := kevents-$(CROSS_ARCH)
BR_CROSS   := $(BUILD)/bearssl-musl-$(CROSS_ARCH)/libbearssl.a
CROSSOBJS  := $(patsubst src/%.c,$(BUILD)/musl-$(CROSS_ARCH)/%.o,$(SRCS))
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man

cross-check:
	@sh tools/deps.sh cross $(CROSS_ARCH)

$(BR_CROSS): $(BEARSSL_SRC)/inc/bearssl.h | cross-check
	@echo "  BEARSSL bearssl-musl-$(CROSS_ARCH)"
	@mkdir -p $(dir $@)
	@$(MAKE) -s -C $(BEARSSL_SRC) lib BUILD=$(abspath $(dir $@)) \
		CC="$(CROSS_CC)" AR="$(CROSS_AR)" \
		CFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables $(BR_DEFS) $(REPRO)" \
		ARFLAGS=-rcsD \
		>$(dir $@)build.log 2>&1 || \
		{ tail -20 $(dir $@)build.log >&2; exit 1; }

$(BUILD)/musl-$(CROSS_ARCH)/%.o: src/%.c $(HDRS) $(BEARSSL_SRC)/inc/bearssl.h | cross-check
	@mkdir -p $(dir $@)
	@echo "  CC-$(CROSS_ARCH) $<"
	@$(CROSS_CC) $(COMMON) $(CFLAGS) -DKEVENTS_ARCH='"$(CROSS_ARCH)"' -DKEVENTS_BUILD='"static musl"' -c -o $@ $<

$(CROSS_BIN): $(CROSSOBJS) $(BR_CROSS)
	@echo "  LD      $@"
	@$(CROSS_CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CROSSOBJS) $(BR_CROSS)
	@echo "$@: $$(wc -c <$@) bytes ($$(( $$(wc -c <$@) / 1024 )) KiB), sha256 $$(sha256sum $@ | cut -c1-64)"

cross: $(CROSS_BIN)

# make install PREFIX=/usr DESTDIR=/tmp/pkg: the binary and its manual.
install: kevents
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 kevents $(DESTDIR)$(BINDIR)/kevents
	install -m 644 tools/kevents.1 $(DESTDIR)$(MANDIR)/man1/kevents.1

.PHONY: cross-check
# ---- end of release ---------------------------------------------------------

clean:
	rm -rf $(BUILD)/musl $(BUILD)/san $(BUILD)/unit $(BUILD)/fuzz \
		$(BUILD)/unit-tests $(BUILD)/kevents-asan kevents

distclean:
	rm -rf $(BUILD) kevents
