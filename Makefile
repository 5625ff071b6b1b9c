# civic - build, test, demo, bench, install.
#
#   make            build ./build/civic (plain, warnings shown, not fatal)
#   make check      install what is missing (Debian), build with -Werror,
#                   run every test plain and under ASan+UBSan
#   make demo       install, build and run the Kyustendil network demo
#   make bench      benchmarks; figures go to docs/benchmarks.md
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
BUILD   ?= build

PKGS      := libgit2 libsodium libarchive jansson libcmark libpcre2-8
TEST_PKGS := cmocka
# Debian packages that provide everything above, plus the stock tools the
# tests use as independent verifiers.
DEBS := build-essential pkg-config gettext libgit2-dev libsodium-dev \
        libarchive-dev libjansson-dev libcmark-dev libpcre2-dev libcmocka-dev \
        json-schema-test-suite git openssh-client openssh-server valgrind clang

WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -Isrc \
             -DLOCALEDIR='"$(PREFIX)/share/locale"'
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIB_SRC := $(sort $(wildcard src/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
SCHEMAS := $(sort $(wildcard schema/*.schema.json))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/schemas_embedded.o
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps check test demo bench install clean unit

all: $(BUILD)/civic

$(BUILD)/%.o: %.c $(wildcard src/*.h src/cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The record schemas are compiled into the library (see src/schema_store.c).
$(BUILD)/gen/schemas_embedded.c: $(SCHEMAS) src/embed-schemas.sh
	@mkdir -p $(dir $@)
	sh src/embed-schemas.sh $(SCHEMAS) > $@

$(BUILD)/gen/schemas_embedded.o: $(BUILD)/gen/schemas_embedded.c src/schema_store.h
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libcivic.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/civic: $(CLI_OBJ) $(BUILD)/libcivic.a
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libcivic.a $(LIBS) $(LDFLAGS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/helpers.h $(BUILD)/libcivic.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(shell pkg-config --cflags $(TEST_PKGS)) -o $@ $< \
	    $(BUILD)/libcivic.a $(LIBS) $(shell pkg-config --libs $(TEST_PKGS)) $(LDFLAGS)

unit: $(UNIT_BIN)

# Installs the Debian packages that are missing (as root, through apt-get).
deps:
	@sh tests/deps.sh $(DEBS)

# Every test, twice: a -Werror build (its unit suites also under valgrind),
# then an AddressSanitizer + UndefinedBehaviorSanitizer build; clang must
# compile everything warning-free too. tests/run.sh prints "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory BUILD=build/check EXTRA_CFLAGS=-Werror all unit
	@$(MAKE) --no-print-directory BUILD=build/clang CC=clang EXTRA_CFLAGS=-Werror all unit
	@$(MAKE) --no-print-directory BUILD=build/asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="-Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" all unit
	@VALGRIND=1 sh tests/run.sh build/check build/asan

test: all unit
	@sh tests/run.sh $(BUILD)

demo: deps all
	@sh archive/demo.sh $(BUILD)/civic

bench: deps all
	@sh bench/run.sh $(BUILD)/civic

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/civic $(DESTDIR)$(PREFIX)/bin/civic

clean:
	rm -rf build
