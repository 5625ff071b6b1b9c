#!/bin/sh
# The Bulgarian catalog: po/bg.po is complete and well-formed, the build
# carries it, and civic speaks Bulgarian when LANGUAGE=bg, English otherwise.
#
# No bg_BG locale is needed: glibc ignores LANGUAGE only when the locale is
# exactly "C" or "POSIX"; C.UTF-8 is neither, so LANGUAGE=bg is honoured.
. "$(dirname "$0")/test-lib.sh"

PO="$TEST_SRC/po"
LOCALE_DIR="$(cd "$(dirname "$CIVIC")" && pwd)/locale"

# civic_bg ARGS... / civic_en ARGS...: civic with the build's catalogs, in
# Bulgarian, or with LANGUAGE unset (English).
civic_bg() { CIVIC_LOCALEDIR="$LOCALE_DIR" LANGUAGE=bg LC_ALL=C.UTF-8 "$CIVIC" "$@"; }
civic_en() { (unset LANGUAGE; CIVIC_LOCALEDIR="$LOCALE_DIR" LC_ALL=C.UTF-8 "$CIVIC" "$@"); }

test_expect_success 'po/bg.po passes msgfmt --check-format' '
	msgfmt --check-format -o /dev/null "$PO/bg.po"
'

test_expect_success 'po/bg.po has no untranslated or fuzzy message' '
	LC_ALL=C msgfmt --statistics -o /dev/null "$PO/bg.po" 2>stats &&
	cat stats &&
	grep -q "^[1-9][0-9]* translated messages\.$" stats
'

test_expect_success 'po/bg.po translates every message of po/civic.pot' '
	msgcmp "$PO/bg.po" "$PO/civic.pot"
'

test_expect_success 'the build holds the compiled catalog' '
	test -s "$LOCALE_DIR/bg/LC_MESSAGES/civic.mo"
'

test_expect_success 'civic --help speaks Bulgarian with LANGUAGE=bg' '
	civic_bg --help >out &&
	cat out &&
	grep -q "^употреба: civic \[--home ДИРЕКТОРИЯ\] КОМАНДА" out &&
	grep -q "^  add  *подписва и добавя запис$" out &&
	grep -q "^  audit  *проверява всичко" out &&
	! grep -q -e usage -e commands: out
'

test_expect_success 'a command usage text speaks Bulgarian' '
	civic_bg add --help >out &&
	grep -q "^употреба: civic add ВИД (--json ФАЙЛ" out &&
	grep -q "^видове: minutes, recommendation," out
'

test_expect_success 'an error of the core speaks Bulgarian' '
	test_expect_code 1 civic_bg --home x list 2>err &&
	cat err &&
	test "$(cat err)" = "civic: в „x“ няма възел: първо изпълнете „civic init“"
'

test_expect_success 'a usage error of the CLI speaks Bulgarian' '
	test_expect_code 129 civic_bg nonsense 2>err &&
	test "$(cat err)" = "civic: „nonsense“ не е команда на civic; вижте „civic --help“"
'

test_expect_success 'set up a node with a network' '
	civic --home cc init --name "Граждански център" --municipality Кюстендил \
		--role civic-center --no-passphrase >/dev/null &&
	civic --home cc network create --name "НПО Мрежа" >/dev/null
'

test_expect_success 'a schema refusal speaks Bulgarian' '
	test_expect_code 1 civic_bg --home cc add document --field title=SWOT \
		--field visibility=public --field date=2015-02-30 \
		--field document_type=swot-analysis >out 2>err &&
	cat err &&
	test ! -s out &&
	grep -q "^civic: запис от вид document: .*/date" err
'

test_expect_success 'a report speaks Bulgarian' '
	civic_bg --home cc audit >out &&
	grep -q "^членове: 1 (анулирани: 0); потоци: 0" out &&
	grep -q "^одит: всичко е наред$" out
'

test_expect_success 'without LANGUAGE civic speaks English' '
	civic_en --help >out &&
	grep -q "^usage: civic \[--home DIR\] COMMAND" out &&
	grep -q "^  add  *sign and add a record$" out &&
	test_expect_code 1 civic_en --home x list 2>err &&
	test "$(cat err)" = "civic: no node in '"'x'"': run '"'civic init'"' first" &&
	test_expect_code 1 civic_en --home cc add document --field title=SWOT \
		--field visibility=public --field date=2015-02-30 \
		--field document_type=swot-analysis 2>err &&
	grep -q "^civic: document record: at '"'/date'"': is not a valid RFC 3339 date$" err
'

test_expect_success 'LANGUAGE is ignored in the plain C locale' '
	CIVIC_LOCALEDIR="$LOCALE_DIR" LANGUAGE=bg LC_ALL=C "$CIVIC" --help >out &&
	grep -q "^usage: civic" out
'

test_done
