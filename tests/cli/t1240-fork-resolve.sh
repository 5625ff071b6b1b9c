#!/bin/sh
# Forks settled by a signed statement: civic fork list|resolve, and every
# node following the author's word (or the admins' revocation) on sync.
. "$(dirname "$0")/test-lib.sh"

head_of() { git_in "$1" rev-parse "$(node_feed a)"; }

test_expect_success 'setup: two laptops with one key write different records; the center holds laptop 2' '
	new_network cc &&
	join_network cc a "НПО Рила" rila &&
	join_network cc b "НПО Дупница" dupnitsa &&
	add_doc a "Общо" >/dev/null &&
	cp -a a a2 &&
	add_doc a "Лаптоп 1" >/dev/null &&
	add_doc a2 "Лаптоп 2" >/dev/null && add_doc a2 "Лаптоп 2б" >/dev/null &&
	civic --home cc sync "$(abs a2)/archive.git" >/dev/null &&
	civic --home b sync "$(abs a)/archive.git" >/dev/null &&
	head_of a >laptop1 && head_of a2 >laptop2
'

test_expect_success 'the center sees the fork: kept as evidence, listed as open' '
	test_expect_code 1 civic --home cc sync "$(abs a)/archive.git" >out &&
	grep -q "^  fork  " out &&
	civic --home cc fork list >list &&
	grep -q "^open       $(cat laptop1)  НПО Рила (Рила)$" list &&
	civic --home cc audit >audit &&
	grep -q "their authors must say which stands (civic fork resolve)" audit
'

test_expect_success 'fork resolve: only for this node'"'"'s own feed, with a commit it knows' '
	test_refused 1 a fork resolve --keep "$(cat laptop1)" --reason "Няма раздвояване тук" &&
	err_has "no fork of this node'"'"'s feed is open" &&
	civic --home a sync "$(abs cc)/archive.git" >/dev/null;
	test_refused 1 a fork resolve --keep "$(git_in cc rev-parse refs/civic/roster)" --reason "Грешно" &&
	err_has "no fork of the roster is open" &&
	test_refused 1 a fork resolve --keep "$(git_in a rev-list --max-parents=0 "$(node_feed a)")" --reason "Грешно" &&
	err_has "neither this node'"'"'s feed head nor a fork kept as evidence" &&
	test_expect_code 129 civic --home a fork resolve --keep "$(cat laptop1)" 2>err &&
	test_refused 1 a fork resolve --keep "$(cat laptop1)" --reason "$(printf "a\033b")"
'

test_expect_success 'the author, on laptop 1, says laptop 1 stands' '
	civic --home a fork list >list &&
	grep -q "^open       $(cat laptop2)" list &&
	civic --home a fork resolve --keep "$(cat laptop1)" --reason "Лаптоп 2 беше изгубен" >id &&
	git_in a cat-file -p "$(cat id):records/00/00/00/00000003.json" >rec &&
	grep -q "\"kind\": \"fork-resolution\"" rec &&
	grep -q "\"abandons\": \"$(cat laptop2)\"" rec &&
	civic --home a fork list >list &&
	grep -q "^abandoned  $(cat laptop2)" list &&
	civic --home a audit | tail -n 1 | grep -q "^audit: sound$"
'

test_expect_success 'the center follows: its feed moves to laptop 1, laptop 2 becomes evidence' '
	civic --home cc sync "$(abs a)/archive.git" >out &&
	grep -q "a signed statement settles a fork of .НПО Рила.: this history stands" out &&
	test "$(head_of cc)" = "$(head_of a)" &&
	git_in cc rev-parse "refs/civic/forks/$(node_feed a | sed "s|refs/civic/feeds/||")/$(cat laptop2)" >/dev/null &&
	civic --home cc fork list >list &&
	grep -q "^abandoned  $(cat laptop2)" list &&
	grep -q "^in-feed    $(cat laptop1)" list &&
	civic --home cc audit >audit &&
	! grep -q "^fork " audit &&
	grep -q "was abandoned by its author in record $(cat id)" audit &&
	tail -n 1 audit | grep -q "^audit: sound$" &&
	civic --home cc status | grep -q "1 settled forks kept as evidence"
'

test_expect_success 'a node that held laptop 1 takes the statement and records the other as settled' '
	civic --home b sync "$(abs cc)/archive.git" >out &&
	grep -q "^  settled      НПО Рила (Рила): the peer holds a history" out &&
	test "$(head_of b)" = "$(head_of a)"
'

test_expect_success 'laptop 2 itself follows, keeping its own history as evidence' '
	civic --home a2 sync "$(abs cc)/archive.git" >out &&
	test "$(head_of a2)" = "$(head_of a)" &&
	civic --home a2 fork list | grep -q "^abandoned  $(cat laptop2)" &&
	add_doc a2 "След решението" >next &&
	git_in a2 cat-file commit "$(cat next)" | grep -q "^Civic-Seq: 4$"
'

test_expect_success 'syncing again changes nothing' '
	civic --home cc sync "$(abs a2)/archive.git" >out &&
	grep -q "1 new records in 1 feeds; 0 refused, 0 forks" out &&
	civic --home cc sync "$(abs a2)/archive.git" >out &&
	test "$(cat out)" = "sync $(abs a2)/archive.git: 0 new records in 0 feeds; 0 refused, 0 forks, 0 refs pushed"
'

test_expect_success 'the admins settle a fork of a lost key by its revocation point' '
	join_network cc c "НПО Трекляно" treklyano &&
	add_doc c "Общо" >/dev/null && cp -a c c2 &&
	add_doc c "Ц1" >/dev/null && add_doc c2 "Ц2" >/dev/null &&
	civic --home cc sync "$(abs c)/archive.git" >/dev/null &&
	test_expect_code 1 civic --home cc sync "$(abs c2)/archive.git" >/dev/null &&
	civic --home b sync "$(abs c2)/archive.git" >/dev/null &&
	civic --home cc member revoke "$(node_fp c)" --after "$(git_in c rev-parse "$(node_feed c)")" \
		--reason "Ключът е изгубен" >/dev/null &&
	civic --home cc fork list | grep -q "^revoked " &&
	civic --home b sync "$(abs cc)/archive.git" >out &&
	grep -q "a signed statement settles a fork of .НПО Трекляно." out &&
	test "$(git_in b rev-parse "$(node_feed c)")" = "$(git_in c rev-parse "$(node_feed c)")" &&
	civic --home b audit | tail -n 1 | grep -q "^audit: sound$"
'

test_expect_success 'a node whose saved peer holds the other history can still settle and write' '
	new_network n2 &&
	join_network n2 f "НПО Форк" rila &&
	add_doc f "Общо" >/dev/null && cp -a f f2 &&
	add_doc f "Ф1" >/dev/null && add_doc f2 "Ф2" >/dev/null &&
	civic --home n2 sync "$(abs f2)/archive.git" >/dev/null &&
	civic --home f peer add center "$(abs n2)/archive.git" &&
	test_expect_code 1 civic --home f sync center >out &&
	grep -q "^  fork  " out &&
	civic --home f fork resolve --keep "$(git_in f rev-parse "$(node_feed f)")" --reason "Важи Ф1" >/dev/null &&
	add_doc f "След" >/dev/null &&
	civic --home n2 sync "$(abs f)/archive.git" >out &&
	grep -q "this history stands" out
'

test_expect_success 'fork list --json' '
	civic --home cc fork list --json >out.json &&
	python3 - out.json "$(cat laptop2)" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	states = sorted(f["state"] for f in d)
	assert states == ["abandoned", "in-feed", "revoked"], d
	ab = [f for f in d if f["state"] == "abandoned"][0]
	assert ab["head"] == sys.argv[2] and ab["name"] == "НПО Рила" and len(ab["resolution"]) == 40, ab
	EOF
'

test_done
