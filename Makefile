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

PKGS      := libgit2 libsodium libarchive jansson libcmark libpcre2-8 zlib
TEST_PKGS := cmocka
# Debian packages that provide everything above, plus the stock tools the
# tests use as independent verifiers.
DEBS := build-essential pkg-config gettext libgit2-dev libsodium-dev \
        libarchive-dev libjansson-dev libcmark-dev libpcre2-dev libcmocka-dev zlib1g-dev \
        json-schema-test-suite git openssh-client openssh-server valgrind clang \
        jq strace time lighttpd python3

WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -pthread -Isrc \
             -DLOCALEDIR='"$(PREFIX)/share/locale"'
LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread

LIB_SRC := $(sort $(wildcard src/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
SCHEMAS := $(sort $(wildcard schema/*.schema.json))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/schemas_embedded.o
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Translations (po/): message catalogs built into $(BUILD)/locale, which
# CIVIC_LOCALEDIR can point at before `make install`. xgettext takes _(),
# N_(), the core's error formats and the helpers that pass a literal on to
# them; `make pot` refreshes po/civic.pot and merges it into each po/LL.po.
LINGUAS  := bg
MO_FILES := $(LINGUAS:%=$(BUILD)/locale/%/LC_MESSAGES/civic.mo)
XGETTEXT_FLAGS := --from-code=UTF-8 --language=C --package-name=civic \
        --add-comments=TRANSLATORS: \
        -k_ -kN_ -kcivic_error_set:2 -kcivic_error_set_os:1 -kcivic_error_from_git:2 \
        -krecord_error:1 -kbad_file:2 -kbad_commit:2 -kbad_pubkey_line:1 \
        -kbad_openssh:1 -kmalformed:2 -kbad:1 -kcivic_text_check_name:3 -kread_line:5 \
        -kadd_finding:5 -kfail:2 -kfatal:2 -kcompile_error:2 -kdgettext:2 \
        -kadd_item:6 -kcivic_remote_error:3 -kcivic_object_check:5 -kbad_peers_file:2 \
        -kbad_commit_bytes:1 -kbad_state:1 -kcannot_settle:1 \
        --flag=_:1:pass-c-format --flag=civic_error_set:2:c-format \
        --flag=civic_error_set_os:1:c-format --flag=civic_error_from_git:2:c-format \
        --flag=record_error:1:c-format --flag=add_finding:5:c-format --flag=fail:2:c-format \
        --flag=fatal:2:c-format --flag=compile_error:2:c-format --flag=add_item:6:c-format \
        --flag=cli_usage_error:1:c-format --flag=cli_fail:2:c-format

.PHONY: all deps check test demo bench install clean unit

all: $(BUILD)/civic $(MO_FILES)

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

$(BUILD)/tests/%: tests/unit/%.c tests/unit/helpers.h tests/unit/fixtures.h $(BUILD)/libcivic.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(shell pkg-config --cflags $(TEST_PKGS)) -o $@ $< \
	    $(BUILD)/libcivic.a $(LIBS) $(shell pkg-config --libs $(TEST_PKGS)) $(LDFLAGS)

unit: $(UNIT_BIN)

$(BUILD)/locale/%/LC_MESSAGES/civic.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check-format -o $@ $<

.PHONY: pot
pot:
	xgettext $(XGETTEXT_FLAGS) -o po/civic.pot $(LIB_SRC) $(CLI_SRC) \
	    $(sort $(wildcard src/*.h src/cli/*.h))
	for l in $(LINGUAS); do msgmerge --quiet --update --backup=none po/$$l.po po/civic.pot || exit 1; done

# Installs the Debian packages that are missing (as root, through apt-get).
deps:
	@sh tests/deps.sh $(DEBS)

# Every test, twice: a -Werror build (its unit suites also under valgrind),
# then an AddressSanitizer + UndefinedBehaviorSanitizer build; clang must
# compile everything warning-free too. tests/run.sh prints "N passed, N failed".
JOBS := $(shell nproc 2>/dev/null || echo 2)

check: deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/check EXTRA_CFLAGS=-Werror all unit
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/clang CC=clang EXTRA_CFLAGS=-Werror all unit
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
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
	for l in $(LINGUAS); do \
	    install -d $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES && \
	    install -m 0644 $(BUILD)/locale/$$l/LC_MESSAGES/civic.mo \
	        $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/civic.mo || exit 1; done

clean:
	rm -rf build
