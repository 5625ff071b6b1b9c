#!/bin/sh
# civic status: records per feed, pending, forks, missing attachments, and
# what each peer lacks; --json.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a center, a member with records and a photo, gathered by sync' '
	new_network cc &&
	join_network cc a "НПО Рила" rila &&
	add_doc a "Протокол 1" >/dev/null && add_doc a "Протокол 2" >/dev/null &&
	printf "jpg" >p.jpg &&
	civic --home a add photo --field title=Снимка --field visibility=public \
		--field date=2015-02-27 --attach p.jpg >/dev/null &&
	civic --home cc peer add rila "$(abs a)/archive.git" &&
	civic --home cc sync rila >/dev/null
'

test_expect_success 'status needs a network' '
	new_node lone "Самотно НПО" rila &&
	test_refused 1 lone status
'

test_expect_success 'status: feeds, records, the missing photo, the peer up to date' '
	civic --home cc status >out &&
	grep -q "^network $(cat cc.net)$" out &&
	grep -q "^feeds: 1$" out &&
	grep -q "^  Рила            НПО Рила$" out &&
	grep -q "^    3 records, 1 attachments missing$" out &&
	grep -q "^attachments: 0 present, 1 missing, 0 corrupt$" out &&
	grep -q "^peers: 1$" out &&
	grep -q "^    holds 1 feeds as we do; lacks 0 records in 0 feeds$" out
'

test_expect_success 'status tells what a peer lacks' '
	add_doc cc "Покана" >/dev/null && add_doc cc "Покана 2" >/dev/null &&
	civic --home cc status >out &&
	grep -q "^    holds 1 feeds as we do; lacks 2 records in 1 feeds$" out
'

test_expect_success 'status of a member: a peer never synced' '
	civic --home a peer add center "$(abs cc)/archive.git" &&
	civic --home a status >out &&
	grep -q "^    never synced$" out
'

test_expect_success 'status --json' '
	civic --home cc status --json >out.json &&
	python3 - out.json "$(cat cc.net)" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["network"] == sys.argv[2], d
	feeds = {f["name"]: f for f in d["feeds"]}
	r = feeds["НПО Рила"]
	assert r["records"] == 3 and r["valid"] == 3 and r["pending"] == 0 and r["forks"] == 0, r
	assert r["municipality"] == "rila" and len(r["head"]) == 40 and r["bad_reason"] == "", r
	assert r["attachments"] == {"present": 0, "missing": 1, "corrupt": 0, "purged": 0}, r
	assert d["attachments"]["missing"] == 1 and d["roster_forks"] == 0, d
	p = d["peers"][0]
	assert p["name"] == "rila" and p["feeds"]["current"] == 1 and p["feeds"]["lacking"] == 1, p
	assert p["feeds"]["records_lacking"] == 2, p
	EOF
'

test_expect_success 'status shows a fork and a pending feed' '
	cp -a a a2 &&
	add_doc a "Лаптоп 1" >/dev/null && add_doc a2 "Лаптоп 2" >/dev/null &&
	civic --home cc sync rila >/dev/null &&
	test_expect_code 1 civic --home cc sync "$(abs a2)/archive.git" >/dev/null &&
	civic --home cc status >out &&
	grep -q "^    4 records, FORK: 1 other signed histories kept, 1 attachments missing$" out &&
	civic --home cc status --json >out.json &&
	python3 -c "import json,sys; d=json.load(open(\"out.json\")); assert [f[\"forks\"] for f in d[\"feeds\"] if f[\"name\"] == \"НПО Рила\"] == [1], d"
'

test_expect_success 'a second status takes the feeds that did not move from its cache: the same output' '
	civic --home cc status >first &&
	test -s cc/tmp/verified-heads.json &&
	civic --home cc status >second &&
	cmp first second &&
	civic --home cc status --json >first.json &&
	printf "{\"format\": \"civic-verified-heads-1\", \"feeds\": 7" >cc/tmp/verified-heads.json &&
	civic --home cc status --json >second.json &&
	cmp first.json second.json &&
	add_doc cc "Покана 3" >/dev/null &&
	civic --home cc status --json >third.json &&
	python3 -c "import json; d = json.load(open(\"third.json\")); assert sorted(f[\"records\"] for f in d[\"feeds\"]) == [3, 4], d"
'

test_expect_success 'status: usage errors' '
	test_expect_code 129 civic --home cc status extra 2>err &&
	test_expect_code 129 civic --home cc status --bogus 2>err &&
	civic --home cc status --help | grep -q "usage: civic status"
'

test_done
