#!/bin/sh
# civic audit on sound archives: exit 0, the counts, --json.
. "$(dirname "$0")/test-lib.sh"

# audit_json_get FILE KEY...: prints a value of audit --json output.
audit_json_get() {
	python3 - "$@" <<-\EOF
	import json, sys
	v = json.load(open(sys.argv[1]))
	for k in sys.argv[2:]:
	    v = v[k]
	print(json.dumps(v))
	EOF
}

test_expect_success 'audit of a new network is sound' '
	new_network cc &&
	civic --home cc audit >out &&
	grep -q "^members: 1 (0 revoked); feeds: 0 (0 bad); records: 0 valid, 0 pending, 0 after revocation; attachments: 0 present, 0 missing, 0 corrupt$" out &&
	test "$(tail -n 1 out)" = "audit: sound"
'

test_expect_success 'setup: three members with records, gathered at the center' '
	join_network cc a "НПО Рила" rila &&
	join_network cc b "НПО Дупница" dupnitsa &&
	join_network cc c "НПО Трекляно" treklyano &&
	add_doc a "А1" >/dev/null && add_doc a "А2" >/dev/null && add_doc a "А3" >/dev/null &&
	add_doc b "Б1" >/dev/null &&
	printf "jpg" >p.jpg &&
	civic --home c add photo --field title=Снимка --field visibility=public \
		--field date=2015-02-27 --attach p.jpg >/dev/null &&
	add_doc cc "Ц1" >/dev/null &&
	fetch_feed a cc a && fetch_feed b cc b && fetch_feed c cc c
'

test_expect_success 'audit counts members, feeds, records and attachments' '
	civic --home cc audit >out &&
	grep -q "^members: 4 (0 revoked); feeds: 4 (0 bad); records: 6 valid, 0 pending, 0 after revocation; attachments: 0 present, 1 missing, 0 corrupt$" out &&
	test "$(tail -n 1 out)" = "audit: sound"
'

test_expect_success 'audit --json' '
	civic --home cc audit --json >audit.json &&
	python3 -m json.tool audit.json >/dev/null &&
	python3 - audit.json "$(cat cc.net)" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["network"] == sys.argv[2], d
	assert d["sound"] is True and d["roster_ok"] is True, d
	assert d["members"] == {"count": 4, "revoked": 0}, d
	assert d["feeds"] == {"count": 4, "bad": 0}, d
	assert d["records"] == {"valid": 6, "pending": 0, "revoked": 0}, d
	assert d["attachments"] == {"present": 0, "missing": 1, "corrupt": 0, "purged": 0}, d
	assert [f["level"] for f in d["findings"]] == ["notice"], d
	EOF
'

test_expect_success 'audit --json and audit agree on a member node' '
	fetch_roster cc a &&
	civic --home a audit >out &&
	grep -q "records: 3 valid" out &&
	civic --home a audit --json >a.json &&
	test "$(audit_json_get a.json records valid)" = 3 &&
	test "$(audit_json_get a.json sound)" = true
'

test_expect_success 'audit writes nothing' '
	archive_state cc >before &&
	civic --home cc audit >/dev/null &&
	civic --home cc audit --json >/dev/null &&
	archive_state cc >after &&
	cmp before after
'

test_expect_success 'audit of a node that holds no roster: records pending, still exit 0' '
	new_node p "НПО без списък" rila &&
	civic --home p network join "$(cat cc.net)" >/dev/null &&
	add_doc p "П1" >/dev/null 2>&1 &&
	civic --home p audit >out &&
	grep -q "records: 0 valid, 1 pending" out &&
	grep -q "no roster" out &&
	test "$(tail -n 1 out)" = "audit: sound" &&
	civic --home p audit --json >p.json &&
	test "$(audit_json_get p.json roster_ok)" = false &&
	test "$(audit_json_get p.json sound)" = true
'

test_expect_success 'audit --no-rehash checks sizes only' '
	cp p.jpg "cc/attachments/sha256/$(sha256sum p.jpg | cut -d" " -f1)" 2>/dev/null ||
	{ mkdir -p cc/attachments/sha256 && cp p.jpg "cc/attachments/sha256/$(sha256sum p.jpg | cut -d" " -f1)"; } &&
	civic --home cc audit >out &&
	grep -q "attachments: 1 present, 0 missing, 0 corrupt" out &&
	printf "JPG" >"cc/attachments/sha256/$(sha256sum p.jpg | cut -d" " -f1)" &&
	test_expect_code 1 civic --home cc audit >out &&
	civic --home cc audit --no-rehash >out &&
	cp p.jpg "cc/attachments/sha256/$(sha256sum p.jpg | cut -d" " -f1)"
'

test_expect_success 'audit on a node of no network fails with one line' '
	new_node lone "Сам" rila &&
	test_refused 1 lone audit
'

test_expect_success 'audit with an argument or an unknown option is a usage error' '
	test_expect_code 129 civic --home cc audit extra 2>err &&
	test_expect_code 129 civic --home cc audit --frobnicate 2>err
'

test_expect_success 'audit of twenty more records' '
	i=0 &&
	while test $i -lt 20; do
		printf "{\"kind\": \"document\", \"visibility\": \"public\", \"title\": \"Документ %d\", \"date\": \"2015-01-30\", \"document_type\": \"report\"}\n" $i >d.json &&
		civic --home b add document --json d.json >/dev/null || break
		i=$((i + 1))
	done &&
	test $i = 20 &&
	fetch_feed b cc b &&
	civic --home cc audit >out &&
	grep -q "records: 26 valid" out &&
	git_in cc fsck --strict --full
'

test_done
