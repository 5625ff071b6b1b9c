#!/bin/sh
# civic list: the verified records, filtered by kind, municipality, author;
# retracted records hidden unless --all; corrections marked.
. "$(dirname "$0")/test-lib.sh"

# ids FILE: the record ids of a `civic list --json` output, one a line, sorted.
ids() {
	python3 - "$1" <<-\EOF
	import json, sys
	for i in sorted(e["id"] for e in json.load(open(sys.argv[1]))):
	    print(i)
	EOF
}

# expect_ids FILE ID_FILE...: the listed ids are exactly those in ID_FILEs.
expect_ids() {
	_f=$1
	shift
	cat "$@" | LC_ALL=C sort >"$TEST_DIR/ids.expect" &&
	ids "$_f" >"$TEST_DIR/ids.actual" &&
	if ! cmp -s "$TEST_DIR/ids.expect" "$TEST_DIR/ids.actual"; then
		diff "$TEST_DIR/ids.expect" "$TEST_DIR/ids.actual" >&2
		return 1
	fi
}

test_expect_success 'list on a node with no records prints nothing' '
	new_network cc &&
	civic --home cc list >out &&
	test ! -s out &&
	civic --home cc list --json >out.json &&
	test "$(python3 -c "import json; print(len(json.load(open(\"out.json\"))))")" = 0
'

test_expect_success 'setup: two members record, the civic center gathers their feeds' '
	join_network cc a "НПО Рила" rila &&
	join_network cc b "НПО Дупница" dupnitsa &&
	civic --home a add minutes --field title="Работна среща в Рила" --field visibility=public \
		--field date=2015-06-05 --field meeting_type=working-meeting --field municipality=rila \
		--field body=Протокол >a-min &&
	civic --home a add recommendation --field title="Препоръка до Дупница" \
		--field visibility=public --field date=2015-07-20 \
		--field addressee.municipality=Дупница --field addressee.body=mayor \
		--field body=Препоръка >a-rec &&
	civic --home a add document --field title="Отчет без община" --field visibility=network \
		--field date=2015-08-01 --field document_type=report >a-doc &&
	civic --home b add document --field title="SWOT Кочериново" --field visibility=public \
		--field date=2015-01-30 --field document_type=swot-analysis \
		--field municipality=kocherinovo >b-doc &&
	printf "jpg" >s.jpg &&
	civic --home b add photo --field title="Снимки" --field visibility=public \
		--field date=2015-02-27 --attach s.jpg >b-photo &&
	civic --home a add correction --field title="Поправка" --field visibility=public \
		--field corrects="$(cat a-min)" --field reason="Грешна дата" --field body=Текст >a-corr &&
	civic --home a add retraction --field title="Оттегляне" --field visibility=public \
		--field retracts="$(cat a-doc)" --field reason="По грешка" >a-retr &&
	civic --home b add retraction --field title="Чуждо оттегляне" --field visibility=public \
		--field retracts="$(cat a-rec)" --field reason="Не е моя" >b-retr &&
	fetch_feed a cc a &&
	fetch_feed b cc b &&
	civic --home cc add retraction --field title="Оттегляне от центъра" \
		--field visibility=public --field retracts="$(cat b-photo)" \
		--field reason="Лични данни" >cc-retr
'

test_expect_success 'list prints one line per record that is not retracted' '
	civic --home cc list >list.txt &&
	test "$(wc -l <list.txt)" = 7 &&
	for f in a-min a-rec a-corr a-retr b-doc b-retr cc-retr; do
		grep -q "^$(cut -c1-12 $f)  " list.txt || echo "missing $f"
	done >missing &&
	test ! -s missing &&
	! grep -q "^$(cut -c1-12 a-doc)" list.txt &&
	! grep -q "^$(cut -c1-12 b-photo)" list.txt
'

test_expect_success 'a list line shows date, kind, municipality, title and author' '
	grep "^$(cut -c1-12 a-min)" list.txt >line &&
	grep -q "2015-06-05  minutes .*Рила .*Работна среща в Рила .*— НПО Рила$" line &&
	grep "^$(cut -c1-12 a-rec)" list.txt >line &&
	grep -q "recommendation .*Дупница .*Препоръка до Дупница" line
'

test_expect_success 'a corrected record is marked' '
	grep "^$(cut -c1-12 a-min)" list.txt | grep -q "\[corrected\]" &&
	! grep "^$(cut -c1-12 a-rec)" list.txt | grep -q "\[corrected\]"
'

test_expect_success 'a retraction by someone else than the author or an admin does not hide' '
	grep -q "^$(cut -c1-12 a-rec)" list.txt &&
	! grep "^$(cut -c1-12 a-rec)" list.txt | grep -q "\[retracted\]"
'

test_expect_success 'list --all shows the retracted records, marked' '
	civic --home cc list --all >all.txt &&
	test "$(wc -l <all.txt)" = 9 &&
	grep "^$(cut -c1-12 a-doc)" all.txt | grep -q "\[retracted\]" &&
	grep "^$(cut -c1-12 b-photo)" all.txt | grep -q "\[retracted\]"
'

test_expect_success 'list --json is valid JSON with the same records' '
	civic --home cc list --json >list.json &&
	python3 -m json.tool list.json >/dev/null &&
	expect_ids list.json a-min a-rec a-corr a-retr b-doc b-retr cc-retr &&
	civic --home cc list --all --json >all.json &&
	expect_ids all.json a-min a-rec a-corr a-retr a-doc b-doc b-photo b-retr cc-retr
'

test_expect_success 'list --json entries carry id, standing, author, record and links' '
	python3 - all.json "$(cat a-min)" "$(cat a-corr)" "$(cat a-doc)" "$(cat a-retr)" \
		"$(node_fp a)" <<-\EOF
	import json, sys
	path, amin, acorr, adoc, aretr, fp = sys.argv[1:]
	d = {e["id"]: e for e in json.load(open(path))}
	e = d[amin]
	assert e["standing"] == "valid", e
	assert e["author"]["name"] == "НПО Рила" and e["author"]["fingerprint"] == fp, e
	assert e["author"]["municipality"] == "rila", e
	assert e["record"]["kind"] == "minutes" and e["record"]["municipality"] == "rila", e
	assert e["corrected_by"] == [acorr] and e["retracted_by"] == [], e
	assert d[adoc]["retracted_by"] == [aretr], d[adoc]
	assert isinstance(e["seq"], int) and e["seq"] == 1, e
	EOF
'

test_expect_success 'list --json is ordered by date, then signing time, then id' '
	python3 - all.json <<-\EOF
	import json, sys, time
	l = json.load(open(sys.argv[1]))
	def date(e):
	    return e["record"].get("date") or time.strftime("%Y-%m-%d", time.gmtime(e["time"]))
	keys = [(date(e), e["time"], e["id"]) for e in l]
	assert keys == sorted(keys), keys
	EOF
'

test_expect_success 'list prints the records in the same order as list --json' '
	ids all.json >/dev/null &&
	python3 -c "import json; [print(e[\"id\"][:12]) for e in json.load(open(\"all.json\"))]" >order.json &&
	cut -c1-12 all.txt >order.txt &&
	cmp order.json order.txt
'

test_expect_success 'list --kind' '
	civic --home cc list --kind minutes --json >k.json &&
	expect_ids k.json a-min &&
	civic --home cc list --kind retraction --json >k.json &&
	expect_ids k.json a-retr b-retr cc-retr &&
	civic --home cc list --kind photo --all --json >k.json &&
	expect_ids k.json b-photo &&
	civic --home cc list --kind photo --json >k.json &&
	expect_ids k.json
'

test_expect_success 'list --kind of an unknown kind lists nothing' '
	civic --home cc list --kind letter >out &&
	test ! -s out
'

test_expect_success 'list --municipality with a slug: about, addressed to, or by a member from it' '
	civic --home cc list --municipality dupnitsa --json >m.json &&
	expect_ids m.json a-rec b-doc b-retr &&
	civic --home cc list --municipality kocherinovo --json >m.json &&
	expect_ids m.json b-doc
'

test_expect_success 'list --municipality with a Cyrillic name gives the same' '
	civic --home cc list --municipality rila --json >slug.json &&
	civic --home cc list --municipality Рила --json >cyr.json &&
	cmp slug.json cyr.json &&
	expect_ids cyr.json a-min a-rec a-corr a-retr &&
	civic --home cc list --municipality "ДУПНИЦА" --json >m.json &&
	expect_ids m.json a-rec b-doc b-retr
'

test_expect_success 'list --municipality of an unknown municipality is refused (129)' '
	test_refused 129 cc list --municipality sofia
'

test_expect_success 'list --author by organization name' '
	civic --home cc list --author "НПО Рила" --json >au.json &&
	expect_ids au.json a-min a-rec a-corr a-retr
'

test_expect_success 'list --author by fingerprint and by key line' '
	civic --home cc list --author "$(node_fp b)" --all --json >au.json &&
	expect_ids au.json b-doc b-photo b-retr &&
	civic --home cc list --author "$(node_key b)" --all --json >au2.json &&
	cmp au.json au2.json
'

test_expect_success 'list --author of nobody lists nothing' '
	civic --home cc list --author "Никой" >out &&
	test ! -s out
'

test_expect_success 'filters combine' '
	civic --home cc list --author "НПО Рила" --kind recommendation --municipality dupnitsa \
		--json >c.json &&
	expect_ids c.json a-rec
'

test_expect_success 'records of a key that is not a member are listed as pending' '
	new_node p "Кандидат" treklyano &&
	civic --home p network join "$(cat cc.net)" >/dev/null &&
	civic --home p add document --field title="Чакащ документ" --field visibility=public \
		--field date=2015-03-01 --field document_type=report >p-doc &&
	fetch_feed p cc p &&
	civic --home cc list >list.txt &&
	grep "^$(cut -c1-12 p-doc)" list.txt >line &&
	grep -q "\[pending\]" line &&
	grep -q "(not a member)" line &&
	civic --home cc list --json >list.json &&
	python3 - list.json "$(cat p-doc)" <<-\EOF
	import json, sys
	e = [e for e in json.load(open(sys.argv[1])) if e["id"] == sys.argv[2]][0]
	assert e["standing"] == "pending" and "name" not in e["author"], e
	EOF
'

test_expect_success 'a pending key cannot retract a member'"'"'s record' '
	civic --home p add retraction --field title="Опит" --field visibility=public \
		--field retracts="$(cat a-min)" --field reason="Защото" >p-retr &&
	fetch_feed p cc p &&
	civic --home cc list >list.txt &&
	grep -q "^$(cut -c1-12 a-min)" list.txt
'

test_expect_success 'records after a revocation are listed, marked revoked' '
	civic --home cc member revoke "$(node_fp b)" --after "$(cat b-doc)" >/dev/null &&
	civic --home cc list >list.txt &&
	grep "^$(cut -c1-12 b-retr)" list.txt | grep -q "\[revoked\]" &&
	! grep "^$(cut -c1-12 b-doc)" list.txt | grep -q "\[revoked\]"
'

test_expect_success 'a feed that does not verify is named on stderr, the others listed' '
	cp -a cc cc2 &&
	FEED=$(node_feed a) &&
	git_in cc2 update-ref "$FEED" "$(cat b-doc)" &&
	civic --home cc2 list >list.txt 2>err &&
	grep -q "not listed, does not verify" err &&
	grep -q "$FEED" err &&
	! grep -q "^$(cut -c1-12 a-min)" list.txt &&
	grep -q "^$(cut -c1-12 p-doc)" list.txt
'

# Records come from peers, and peers are hostile until verified (DESIGN.md
# section 4): a signed title may hold a newline or a terminal escape.
test_expect_success 'list prints one line per record, without raw control characters' '
	join_network cc t "НПО Терминал" rila &&
	civic --home t add document --field "title=$(printf "Ред едно\nРед две \033[2J\033]0;pwned\007")" \
		--field visibility=public --field date=2015-01-30 --field document_type=report >t1 &&
	civic --home t list >tl.txt &&
	test "$(wc -l <tl.txt)" = 1 &&
	! grep -q "$(printf "\033")" tl.txt &&
	! grep -q "$(printf "\007")" tl.txt
'

test_expect_success 'list with an argument or an unknown option is a usage error' '
	test_expect_code 129 civic --home cc list extra 2>err &&
	test_expect_code 129 civic --home cc list --frobnicate 2>err
'

test_expect_success 'list on a node of no network fails with one line' '
	new_node lone "Сам" rila &&
	test_refused 1 lone list
'

test_done
