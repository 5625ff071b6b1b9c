#!/bin/sh
# civic add: every kind of record, from --json files and --field options,
# signed into the node's feed where stock git sees it.
. "$(dirname "$0")/test-lib.sh"

# blob_at HOME REV PATH: the bytes of PATH in commit REV.
blob_at() { git_in "$1" show "$2:$3"; }

# record_field FILE KEY...: prints record[KEY][KEY]... of a JSON file.
record_field() {
	python3 - "$@" <<-\EOF
	import json, sys
	v = json.load(open(sys.argv[1]))
	for k in sys.argv[2:]:
	    v = v[int(k)] if isinstance(v, list) else v[k]
	sys.stdout.write(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
	EOF
}

test_expect_success 'setup' '
	new_network cc &&
	join_network cc a "Сдружение „Открита община – Рила“" rila &&
	FEED=$(node_feed a) &&
	echo "$FEED" >feed
'

test_expect_success 'add minutes from a --json file prints the record id' '
	cat >minutes.json <<-\EOF &&
	{
	  "kind": "minutes",
	  "visibility": "public",
	  "language": "bg",
	  "title": "Работна среща с общинската администрация – Рила",
	  "municipality": "Рила",
	  "date": "2015-06-05",
	  "meeting_type": "working-meeting",
	  "place": "Заседателна зала на Община Рила",
	  "participants": ["Кмет на Община Рила", "Сдружение „Открита община – Рила“"],
	  "body": "# Протокол\n\nОбсъдени бяха възможностите за участие на НПО."
	}
	EOF
	civic --home a add minutes --json minutes.json >id1 2>err &&
	test ! -s err &&
	test "$(wc -l <id1)" = 1 &&
	grep -q "^[0-9a-f]\{40\}$" id1
'

test_expect_success 'the record is the first commit of the feed, seen by stock git' '
	test "$(git_in a rev-parse "$(cat feed)")" = "$(cat id1)" &&
	git_in a log --format=%H "$(cat feed)" >log &&
	test "$(cat log)" = "$(cat id1)" &&
	git_in a log -1 --format=%s "$(cat id1)" >subject &&
	grep -q "^minutes: Работна среща с общинската администрац.*…$" subject
'

test_expect_success 'the commit names the network and sequence number 1' '
	git_in a log -1 --format=%B "$(cat id1)" >msg &&
	grep -q "^Civic-Network: $(cat cc.net)$" msg &&
	grep -q "^Civic-Seq: 1$" msg &&
	git_in a cat-file commit "$(cat id1)" >raw &&
	grep -q "^gpgsig -----BEGIN SSH SIGNATURE-----$" raw &&
	HEX=$(sed "s|refs/civic/feeds/||" feed) &&
	grep -q "^author Сдружение „Открита община – Рила“ <$HEX@civic> " raw &&
	grep -q "^committer Сдружение „Открита община – Рила“ <$HEX@civic> " raw
'

test_expect_success 'the record blob is records/00/00/00/00000001.json, alone in the tree' '
	git_in a ls-tree -r --name-only "$(cat id1)" >files &&
	test "$(cat files)" = "records/00/00/00/00000001.json" &&
	blob_at a "$(cat id1)" records/00/00/00/00000001.json >r1.json &&
	python3 -m json.tool r1.json >/dev/null
'

test_expect_success 'the stored record is the given one, municipality as slug' '
	test "$(record_field r1.json municipality)" = rila &&
	test "$(record_field r1.json title)" = "Работна среща с общинската администрация – Рила" &&
	test "$(record_field r1.json participants 1)" = "Сдружение „Открита община – Рила“" &&
	test "$(record_field r1.json kind)" = minutes &&
	record_field r1.json body | grep -q "^# Протокол$"
'

test_expect_success 'add recommendation with --field, dotted names and --body' '
	cat >rec.md <<-\EOF &&
	Препоръчваме Общинският съвет да включи представители на НПО
	в работната група за **годишната програма** за туризма.
	EOF
	civic --home a add recommendation --field title="Препоръка за туризма" \
		--field visibility=public --field date=2015-07-20 \
		--field addressee.municipality=Рила --field addressee.body=council \
		--field "addressee.name=Председателят на Общинския съвет" \
		--field municipality=рила --body rec.md >id2 &&
	grep -q "^[0-9a-f]\{40\}$" id2
'

test_expect_success 'the second record is records/00/00/00/00000002.json, seq 2' '
	git_in a ls-tree -r --name-only "$(cat id2)" >files &&
	printf "records/00/00/00/00000001.json\nrecords/00/00/00/00000002.json\n" >expect &&
	cmp expect files &&
	test "$(git_in a rev-parse "$(cat id2)^")" = "$(cat id1)" &&
	git_in a log -1 --format=%B "$(cat id2)" | grep -q "^Civic-Seq: 2$" &&
	test "$(git_in a rev-parse "$(cat feed)")" = "$(cat id2)" &&
	test "$(git_in a rev-parse "$(cat id2):records/00/00/00/00000001.json")" = \
		"$(git_in a rev-parse "$(cat id1):records/00/00/00/00000001.json")"
'

test_expect_success 'dotted fields built an object; Cyrillic municipalities became slugs' '
	blob_at a "$(cat id2)" records/00/00/00/00000002.json >r2.json &&
	test "$(record_field r2.json addressee municipality)" = rila &&
	test "$(record_field r2.json addressee body)" = council &&
	test "$(record_field r2.json addressee name)" = "Председателят на Общинския съвет" &&
	test "$(record_field r2.json municipality)" = rila &&
	record_field r2.json body >body.out &&
	cmp rec.md body.out
'

test_expect_success 'add recommendation-status pointing at the recommendation' '
	civic --home a add recommendation-status --field title="Препоръката е приета" \
		--field visibility=public --field recommendation="$(cat id2)" --field status=adopted \
		--field date=2015-09-30 --field "reference=Решение № 123 от 30.09.2015" >id3 &&
	blob_at a "$(cat id3)" records/00/00/00/00000003.json >r3.json &&
	test "$(record_field r3.json recommendation)" = "$(cat id2)" &&
	test "$(record_field r3.json status)" = adopted
'

test_expect_success 'add photo with --attach' '
	printf "JPEG bytes of a photo" >"121214 1.jpg" &&
	civic --home a add photo --field title="Снимки от срещата" --field visibility=network \
		--field date=2014-12-12 --field event="$(cat id1)" --attach "121214 1.jpg" >id4 &&
	blob_at a "$(cat id4)" records/00/00/00/00000004.json >r4.json &&
	test "$(record_field r4.json attachments 0 name)" = "121214 1.jpg" &&
	test "$(record_field r4.json attachments 0 size)" = 21 &&
	test "$(record_field r4.json attachments 0 sha256)" = "$(sha256sum "121214 1.jpg" | cut -d" " -f1)" &&
	test "$(record_field r4.json attachments 0 media_type)" = image/jpeg &&
	test "$(record_field r4.json visibility)" = network
'

test_expect_success 'add document from --json without "kind": the command names it' '
	cat >swot.json <<-\EOF &&
	{
	  "visibility": "public",
	  "title": "SWOT анализ на НПО в област Кюстендил",
	  "date": "2015-01-30",
	  "document_type": "swot-analysis"
	}
	EOF
	civic --home a add document --json swot.json >id5 &&
	blob_at a "$(cat id5)" records/00/00/00/00000005.json >r5.json &&
	test "$(record_field r5.json kind)" = document
'

test_expect_success '--json and --field combine' '
	civic --home a add document --json swot.json --field municipality=Кюстендил \
		--field language=bg >id6 &&
	blob_at a "$(cat id6)" records/00/00/00/00000006.json >r6.json &&
	test "$(record_field r6.json municipality)" = kyustendil &&
	test "$(record_field r6.json language)" = bg
'

test_expect_success 'NAME:=JSON sets arrays and booleans' '
	civic --home a add minutes --field title="Обучение" --field visibility=public \
		--field date=2015-03-27 --field meeting_type=training --field body="Обучение на НПО" \
		--field "participants:=[\"Иван Иванов\", \"Мария Петрова\"]" >id7 &&
	blob_at a "$(cat id7)" records/00/00/00/00000007.json >r7.json &&
	test "$(record_field r7.json participants)" = "[\"Иван Иванов\", \"Мария Петрова\"]"
'

test_expect_success 'add correction' '
	printf "Участниците бяха 23, не 20.\n" >corr.md &&
	civic --home a add correction --field title="Поправка на протокола" \
		--field visibility=public --field corrects="$(cat id1)" \
		--field reason="Непреброен присъствен лист" --body corr.md >id8 &&
	blob_at a "$(cat id8)" records/00/00/00/00000008.json >r8.json &&
	test "$(record_field r8.json corrects)" = "$(cat id1)"
'

test_expect_success 'add retraction' '
	civic --home a add retraction --field title="Оттегляне на документа" \
		--field visibility=public --field retracts="$(cat id6)" \
		--field reason="Качен по грешка" --field purge_attachments:=false >id9 &&
	blob_at a "$(cat id9)" records/00/00/00/00000009.json >r9.json &&
	test "$(record_field r9.json retracts)" = "$(cat id6)" &&
	test "$(record_field r9.json purge_attachments)" = false
'

test_expect_success 'every kind was added, in order, one commit each' '
	git_in a log --reverse --format=%s "$(cat feed)" | cut -d: -f1 >kinds &&
	printf "%s\n" minutes recommendation recommendation-status photo document document \
		minutes correction retraction >expect &&
	cmp expect kinds &&
	test "$(git_in a rev-list --count "$(cat feed)")" = 9
'

test_expect_success 'a long title is cut in the subject on a character boundary' '
	T="Протокол от информационната среща с НПО от деветте общини на област Кюстендил, проведена в сградата на читалището" &&
	add_doc a "$T" >idlong &&
	git_in a log -1 --format=%s "$(cat idlong)" >subject &&
	python3 -c "import sys; sys.stdout.write(open(\"subject\", \"rb\").read().decode(\"utf-8\"))" >/dev/null &&
	grep -q "^document: Протокол от информационната среща.*…$" subject &&
	test "$(record_field "$(civic --home a show --json "$(cat idlong)" >s.json && echo s.json)" record title)" = "$T"
'

test_expect_success 'a title with a newline still gives a one-line subject' '
	add_doc a "$(printf "ред едно\nред две")" >idnl &&
	test "$(git_in a log -1 --format=%s "$(cat idnl)")" = "document: ред едно ред две"
'

test_expect_success 'the records are stored with sorted keys, as canonical bytes' '
	python3 - r1.json <<-\EOF
	import json, sys
	raw = open(sys.argv[1], encoding="utf-8").read()
	d = json.loads(raw)
	assert raw == json.dumps(d, indent=2, sort_keys=True, ensure_ascii=False) + "\n", raw
	EOF
'

test_expect_success 'the archive is clean for stock git and for civic audit' '
	git_in a fsck --strict --full &&
	civic --home a audit >out &&
	grep -q "records: 11 valid, 0 pending" out
'

test_expect_success 'add --help prints the usage and the kinds' '
	civic --home a add --help >out &&
	grep -q "recommendation-status" out
'

test_done
