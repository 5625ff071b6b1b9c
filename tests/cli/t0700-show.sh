#!/bin/sh
# civic show: one record, its author, its signature's standing, its
# attachments; ids full or abbreviated.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	new_network cc &&
	join_network cc a "Сдружение „Открита община – Рила“" rila &&
	printf "# Протокол\n\nПрисъстваха 23 души.\n" >body.md &&
	printf "photo bytes" >"снимка 1.jpg" &&
	civic --home a add minutes --field title="Работна среща в Рила" --field visibility=public \
		--field date=2015-06-05 --field meeting_type=working-meeting --field municipality=Рила \
		--field place="Заседателна зала" --field "participants:=[\"Кмет\", \"НПО\"]" \
		--body body.md --attach "снимка 1.jpg" >id &&
	fetch_feed a cc a
'

test_expect_success 'show prints the record, its author and signature' '
	civic --home a show "$(cat id)" >show.txt &&
	grep -q "^record  *$(cat id)$" show.txt &&
	grep -q "^kind  *minutes$" show.txt &&
	grep -q "^title  *Работна среща в Рила$" show.txt &&
	grep -q "author  *Сдружение „Открита община – Рила“ ($(node_fp a))" show.txt &&
	grep -q "^signature  *good, by a member of the network$" show.txt &&
	grep -q "^signed at  *[0-9-]* [0-9:]* [-+][0-9]*$" show.txt
'

test_expect_success 'show prints the fields, the municipality by name, and the body last' '
	grep -q "^date  *2015-06-05$" show.txt &&
	grep -q "^municipality Рила$" show.txt &&
	grep -q "^place  *Заседателна зала$" show.txt &&
	grep -q "^participants  *\[\"Кмет\", *\"НПО\"\]$" show.txt &&
	grep -q "^visibility  *public$" show.txt &&
	{ printf "\n" && cat body.md && printf "\n"; } >expect-tail &&
	tail -n 5 show.txt >tail &&
	cmp expect-tail tail
'

test_expect_success 'show prints the attachment, present' '
	grep -q "^attachment  *снимка 1.jpg  $(sha256sum "снимка 1.jpg" | cut -d" " -f1)  11 bytes  \[present\]$" show.txt
'

test_expect_success 'show --json' '
	civic --home a show --json "$(cat id)" >show.json &&
	python3 -m json.tool show.json >/dev/null &&
	python3 - show.json "$(cat id)" "$(node_key a)" "$(node_fp a)" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["id"] == sys.argv[2], d
	assert d["standing"] == "valid" and d["seq"] == 1, d
	assert d["author"]["key"] == sys.argv[3] and d["author"]["fingerprint"] == sys.argv[4], d
	assert d["author"]["name"] == "Сдружение „Открита община – Рила“", d
	assert d["record"]["kind"] == "minutes" and d["record"]["municipality"] == "rila", d
	assert d["record"]["body"] == open("body.md").read(), d
	assert d["attachments"][0]["state"] == "present", d
	assert d["retracted_by"] == [] and d["corrected_by"] == [], d
	EOF
'

test_expect_success 'show --json ID and show ID --json are the same' '
	civic --home a show "$(cat id)" --json >show2.json &&
	cmp show.json show2.json
'

test_expect_success 'an abbreviated id shows the same record' '
	civic --home a show "$(cut -c1-7 id)" >short7.txt &&
	cmp show.txt short7.txt &&
	civic --home a show "$(cut -c1-12 id)" >short12.txt &&
	cmp show.txt short12.txt
'

test_expect_success 'the node that received the feed shows the same record' '
	civic --home cc show --json "$(cat id)" >cc.json &&
	python3 - cc.json show.json <<-\EOF
	import json, sys
	a, b = (json.load(open(p)) for p in sys.argv[1:])
	assert a["record"] == b["record"] and a["id"] == b["id"] and a["author"] == b["author"]
	assert a["attachments"][0]["state"] == "missing", a
	EOF
'

test_expect_success 'an unknown id fails (exit 1)' '
	test_refused 1 a show 0000000000000000000000000000000000000000 &&
	test_refused 1 a show 0123456 &&
	err_has "0123456"
'

test_expect_success 'an id shorter than 7 hex digits fails' '
	test_refused 1 a show "$(cut -c1-6 id)" &&
	test_refused 1 a show "$(cut -c1-4 id)"
'

test_expect_success 'an id that is not lowercase hex, or too long, fails' '
	test_refused 1 a show "$(tr a-f A-F <id)" &&
	test_refused 1 a show "$(cat id)0" &&
	test_refused 1 a show "xyz1234" &&
	test_refused 1 a show ""
'

# Two commits that share the 7-digit prefix 9a8bcf6 (found by a birthday
# search over the message; the commits are outside any feed).
test_expect_success 'an ambiguous short id fails and says so' '
	git_in a hash-object -t tree -w --stdin </dev/null >/dev/null &&
	for n in 3033 3594; do
		printf "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.org> 1000000000 +0000\ncommitter A <a@example.org> 1000000000 +0000\n\nambiguous %d\n" $n |
		git_in a hash-object -t commit -w --stdin
	done >amb &&
	test "$(cut -c1-7 amb | uniq)" = 9a8bcf6 &&
	test_refused 1 a show 9a8bcf6 &&
	err_has "ambiguous"
'

test_expect_success 'a longer prefix of one of them is no record either' '
	test_refused 1 a show 9a8bcf6b &&
	test_refused 1 a show 9a8bcf6b89c02415c693e0a2acbb4da658a9823d
'

test_expect_success 'the id of a roster commit, a tree or a blob is no record' '
	test_refused 1 a show "$(cat cc.net)" &&
	test_refused 1 a show "$(git_in a rev-parse "$(cat id)^{tree}")" &&
	test_refused 1 a show "$(git_in a rev-parse "$(cat id):records/00/00/00/00000001.json")"
'

test_expect_success 'show without an id, or with two, is a usage error' '
	test_expect_code 129 civic --home a show 2>err &&
	test_expect_code 129 civic --home a show "$(cat id)" "$(cat id)" 2>err &&
	test_expect_code 129 civic --home a show --frobnicate "$(cat id)" 2>err
'

test_expect_success 'show names corrections and retractions' '
	civic --home a add correction --field title="Поправка" --field visibility=public \
		--field corrects="$(cat id)" --field reason="Брой" --field body="23, не 20" >corr &&
	civic --home a add retraction --field title="Оттегляне" --field visibility=public \
		--field retracts="$(cat id)" --field reason="Дубликат" >retr &&
	civic --home a show "$(cat id)" >show.txt &&
	grep -q "^corrected by $(cat corr)$" show.txt &&
	grep -q "^retracted by $(cat retr)$" show.txt &&
	civic --home a show --json "$(cat id)" >show.json &&
	grep -q "\"$(cat corr)\"" show.json &&
	grep -q "\"$(cat retr)\"" show.json
'

test_expect_success 'a record of a key that is not a member shows as pending' '
	new_node p "Кандидат" treklyano &&
	civic --home p network join "$(cat cc.net)" >/dev/null 2>&1 &&
	add_doc p "Чакащ" >pid 2>/dev/null &&
	fetch_feed p cc p &&
	civic --home cc show "$(cat pid)" >show.txt &&
	grep -q "^signature  *good, but the key is not a member (yet): pending$" show.txt &&
	grep -q "^author  *(not a member) ($(node_fp p))$" show.txt &&
	civic --home cc show --json "$(cat pid)" | grep -q "\"standing\": \"pending\""
'

test_expect_success 'a record made after a revocation shows as such' '
	add_doc a "Втори" >id2 &&
	fetch_feed a cc a &&
	civic --home cc member revoke "$(node_fp a)" --after "$(cat retr)" >/dev/null &&
	civic --home cc show "$(cat id2)" >show.txt &&
	grep -q "^signature  *good, but made after the key was revoked$" show.txt &&
	civic --home cc show --json "$(cat id2)" | grep -q "\"standing\": \"revoked\"" &&
	civic --home cc show "$(cat retr)" | grep -q "^signature  *good, by a member of the network$"
'

test_expect_success 'a record in a feed that does not verify is not shown' '
	git_in a update-ref "$(node_feed a)" "$(cat cc.net)" &&
	test_refused 1 a show "$(cat id)" &&
	err_has "not a record that verifies"
'

test_expect_success 'show prints no raw terminal escapes from a record'"'"'s text' '
	join_network cc t "НПО Терминал" rila &&
	civic --home t add document --field "title=$(printf "Заглавие \033[2J\033]0;pwned\007")" \
		--field visibility=public --field date=2015-01-30 --field document_type=report \
		--field "language=bg" >t1 &&
	civic --home t show "$(cat t1)" >ts.txt &&
	grep -q "^title  *Заглавие" ts.txt &&
	! grep -q "$(printf "\033")" ts.txt &&
	! grep -q "$(printf "\007")" ts.txt
'

test_expect_success 'show on a node of no network fails with one line' '
	new_node lone "Сам" rila &&
	test_expect_code 1 civic --home lone show "$(cat id)" 2>err &&
	test_one_error_line
'

test_done
