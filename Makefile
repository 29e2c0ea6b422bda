# SA_QRadar_SOAR in C.
#
#   make            build bin/qradar_soar and bin/qradar_soar_setup
#   make demo       run the main job end to end on the embedded defaults
#   make check      every test (unit, dry-run cases, end to end, fuzz smoke,
#                   package); ends with "N passed, M failed"
#   make asan       make check built with ASan+UBSan
#   make valgrind-check   the unit and case tests under valgrind
#   make bench      speed and memory figures (never part of check)
#   make fuzz       long libFuzzer campaigns (FUZZ_SECONDS each)
#   make release    the shipped binaries, statically linked, in
#                   build/release/bin (RELEASE=…); see the comment above
#                   RELEASE below and the README's Binary File Declaration
#   make package    dist/SA_QRadar_SOAR-<version>.spl from the release binaries
#   make deps       install the Debian packages the build needs
#
# BUILD and BIN may be pointed elsewhere, so parallel work trees or the
# sanitizer pass do not overwrite the normal build.

CC ?= gcc
ifeq ($(origin CC),default)
CC := gcc
endif
# The C sources: src/ here; in the app package, the package's src/ folder
# holds this Makefile, scripts/ and the sources' folders (scripts/package.sh),
# so `make release` there builds the shipped binaries again.
SRC := $(if $(wildcard src/alert/main.c),src,$(CURDIR))
# There the log's source file names (__FILE__) read src/… as here, so the
# package's build gives the shipped bytes.
PREFIX_MAP := $(if $(filter src,$(SRC)),,-ffile-prefix-map=$(dir $(CURDIR))=)
BUILD ?= build
BIN ?= bin
SAN ?=
OPT ?= -O2

PKGS := libcurl jansson zlib openssl libxml-2.0
# pkg-config runs when a recipe first needs its answer, never while the
# Makefile is read: on a fresh machine the -dev packages it asks about are
# installed by the $(DEPS_STAMP) prerequisite, which every compile waits for.
# Each is asked once (the value replaces itself on first use).
PKG_CFLAGS = $(eval PKG_CFLAGS := $(call pkgconfig,--cflags))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $(call pkgconfig,--libs))$(PKG_LIBS)
pkgconfig = $(shell pkg-config $(1) $(PKGS))$(if $(filter 0,$(.SHELLSTATUS)),,$(error \
	pkg-config $(1) $(PKGS) failed: run make deps (as root) to install the -dev packages))
WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -pthread $(OPT) -g $(WARN) -fno-strict-aliasing \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -I$(SRC) $(PREFIX_MAP) $(PKG_CFLAGS) $(CFLAGS)
LIBS = $(PKG_LIBS) -lm -pthread

# The release build (make release, run by make package and make check):
# fully static x86-64 executables linked against musl (Debian's
# musl-tools), so they run on any Linux a search head runs (no glibc
# floor: RHEL 8, Amazon Linux 2, SUSE 15, Splunk's container images) and
# do not care what splunkd's LD_LIBRARY_PATH holds ($SPLUNK_HOME/lib has
# its own libssl.so.3, libcrypto.so.3, libxml2…): no program interpreter,
# no needed library. zlib, OpenSSL, jansson, libcurl and libxml2 are built
# for musl from Debian's source packages by scripts/release-libs.sh, once
# (kept under $(THIRD_PARTY)). -static, not -static-pie: Debian's musl-gcc
# would still name a loader. musl's threads get 128 KB stacks unless the
# executable asks for more (PT_GNU_STACK): a TLS handshake in a worker
# thread wants more than that.
RELEASE ?= build/release
THIRD_PARTY ?= $(RELEASE)/3p
ifeq ($(RELEASE_LINK),1)
CC := musl-gcc
PKG_CFLAGS := -I$(THIRD_PARTY)/prefix/include \
	-I$(THIRD_PARTY)/prefix/include/libxml2 -DCURL_STATICLIB -DLIBXML_STATIC
LIBS := $(addprefix $(THIRD_PARTY)/prefix/lib/,libcurl.a libxml2.a libssl.a \
	libcrypto.a libjansson.a libz.a) -pthread -lm
LDFLAGS_ALL += -static -s -Wl,-z,stack-size=1048576
RELEASE_PREREQ := $(THIRD_PARTY)/prefix/.done
endif
ifeq ($(SAN),asan)
CFLAGS_ALL += -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -U_FORTIFY_SOURCE
LDFLAGS_ALL := -fsanitize=address,undefined
endif
LDFLAGS_ALL += $(LDFLAGS)

# The add-on's version has one home, default/app.conf [launcher] version
# (what Apps > Manage Apps shows): the binaries' --version and User-Agent
# read it from a header generated here. In the package's src/ it is the
# app's ../default/app.conf.
APP_CONF := $(firstword $(wildcard default/app.conf ../default/app.conf))
VERSION := $(shell sed -n '/^\[launcher\]/,/^\[/s/^version *= *//p' $(APP_CONF))
GEN := $(BUILD)/gen
CFLAGS_ALL += -I$(GEN)

LIB_SRCS := $(filter-out $(SRC)/%/main.c,$(wildcard $(SRC)/*/*.c))
LIB_OBJS := $(LIB_SRCS:$(SRC)/%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libqs.a
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tools/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SMOKE := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz-smoke/%)
DEPS_STAMP := $(BUILD)/.deps-ok
TEST_DEPS_STAMP := $(BUILD)/.test-deps-ok

.PHONY: all deps check unit demo bench asan valgrind-check fuzz fuzz-smoke \
	package release clean format-check lint tests

# src/<folder>/: util (buffers, log, secrets, exit codes), net (HTTP,
# SOAR, splunkd), mapping (payload and results to case bodies), alert (the
# alert action bin/qradar_soar), setup (the setup handler
# bin/qradar_soar_setup). Each program's main.c is the only file not in
# the library.
EXES := $(BIN)/qradar_soar $(BIN)/qradar_soar_setup
MAIN_OBJS := $(patsubst $(SRC)/%.c,$(BUILD)/obj/%.o,$(wildcard $(SRC)/*/main.c))

all: $(DEPS_STAMP) $(EXES) $(MAIN_OBJS)

# Installs missing Debian packages once; rebuilt only when the script changes.
$(DEPS_STAMP): scripts/deps.sh
	@sh scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@

$(TEST_DEPS_STAMP): scripts/deps.sh tests/browser/package-lock.json
	@sh scripts/deps.sh --tests
	@mkdir -p $(BUILD) && touch $@

deps:
	@sh scripts/deps.sh --tests

$(GEN)/version.h: $(APP_CONF)
	@mkdir -p $(dir $@)
	@printf '#define QS_VERSION "%s"\n' '$(VERSION)' > $@

$(BUILD)/obj/%.o: $(SRC)/%.c | $(DEPS_STAMP) $(RELEASE_PREREQ) $(GEN)/version.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/qradar_soar: $(BUILD)/obj/alert/main.o $(LIB) $(RELEASE_PREREQ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o %.a,$^) $(LIBS)

$(BIN)/qradar_soar_setup: $(BUILD)/obj/setup/main.o $(LIB) $(RELEASE_PREREQ)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o %.a,$^) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/lib/tap.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/lib $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LIBS)

$(BUILD)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/lib $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LIBS)

# Fuzz targets built with gcc and a standalone driver that replays a corpus:
# the smoke run in make check needs no clang. `make fuzz` uses libFuzzer.
$(BUILD)/fuzz-smoke/%: tests/fuzz/%.c tests/fuzz/standalone.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< tests/fuzz/standalone.c $(LIB) $(LIBS)

tests: all $(TEST_DEPS_STAMP) $(UNIT_BINS) $(TOOL_BINS) $(FUZZ_SMOKE)

unit: tests
	@BUILD=$(BUILD) BIN=$(BIN) sh tests/run.sh unit

# The package test installs and runs the release binaries, so check builds
# them too (once; the static libraries are kept under $(THIRD_PARTY)).
check: tests release
	@BUILD=$(BUILD) BIN=$(BIN) RELEASE_BIN=$(RELEASE)/bin THIRD_PARTY=$(THIRD_PARTY) \
		QS_BROWSER_REQUIRED=1 sh tests/run.sh all

# The static libraries: release-libs.sh returns at once when
# $(THIRD_PARTY) holds a build made by the same script (its checksum, not
# file times: the package's copy of the script is as good as the original).
# Then a sub-make with its own build directory and flags; the sanitizer and
# optimisation settings of the calling make (make asan) do not apply.
release: $(DEPS_STAMP)
	@OUT=$(THIRD_PARTY) sh scripts/release-libs.sh
	@$(MAKE) --no-print-directory BUILD=$(RELEASE) BIN=$(RELEASE)/bin \
		SAN= OPT=-O2 RELEASE_LINK=1 THIRD_PARTY=$(abspath $(THIRD_PARTY)) all

asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin SAN=asan OPT=-O1 check

valgrind-check: tests
	@BUILD=$(BUILD) BIN=$(BIN) VALGRIND=1 sh tests/run.sh unit cases

FUZZ_SECONDS ?= 300
fuzz: all
	@BUILD=$(BUILD) sh tests/fuzz/campaign.sh $(FUZZ_SECONDS)

demo: all
	@BUILD=$(BUILD) BIN=$(BIN) sh scripts/demo.sh

bench: all release $(TOOL_BINS)
	@BUILD=$(BUILD) BIN=$(BIN) RELEASE_BIN=$(abspath $(RELEASE)/bin) sh bench/run.sh

package: release
	@BIN=$(RELEASE)/bin THIRD_PARTY=$(THIRD_PARTY) sh scripts/package.sh

format-check:
	@clang-format --dry-run --Werror $(SRC)/*/*.c $(SRC)/*/*.h

lint:
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--include=$(firstword $(wildcard /usr/include/jansson.h /usr/local/include/jansson.h)) \
		--std=c11 -I$(SRC) $(SRC)

clean:
	rm -rf build $(BIN) SA_QRadar_SOAR dist tests/out

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJS:.o=.d)
