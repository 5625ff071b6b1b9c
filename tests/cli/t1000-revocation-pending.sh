#!/bin/sh
# Revocation names the last commit that stays valid: records up to it stay
# valid, those after it do not. A key that is not a member yet writes
# records that are kept as pending, and become valid once it is admitted.
. "$(dirname "$0")/test-lib.sh"

hex_of() { node_feed "$1" | sed "s|refs/civic/feeds/||"; }

test_expect_success 'setup: member a records three records, the center holds them' '
	new_network cc &&
	join_network cc a "НПО Рила" rila &&
	add_doc a "Първи" >a1 &&
	add_doc a "Втори" >a2 &&
	add_doc a "Трети" >a3 &&
	fetch_feed a cc a &&
	civic --home cc audit >out &&
	grep -q "records: 3 valid" out &&
	cp -a cc cc-before &&
	cp -a a a-before
'

test_expect_success 'revoke a after its second record' '
	civic --home cc member revoke "$(node_fp a)" --after "$(cat a2)" --reason "откраднат лаптоп" >out &&
	grep -q "$(cat a2)" out
'

test_expect_success 'audit exits 1 and names the third record as after the revocation' '
	test_expect_code 1 civic --home cc audit >out &&
	grep -q "records: 2 valid, 0 pending, 1 after revocation" out &&
	grep -q "^bad      feed $(hex_of a | cut -c1-12) commit $(cat a3)$" out &&
	grep -q "record 3 comes after the revocation of .НПО Рила." out &&
	! grep -q "commit $(cat a1)" out &&
	! grep -q "commit $(cat a2)" out
'

test_expect_success 'audit --json counts it under records.revoked' '
	test_expect_code 1 civic --home cc audit --json >audit.json &&
	python3 - audit.json "$(cat a3)" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["records"] == {"valid": 2, "pending": 0, "revoked": 1}, d
	assert d["members"] == {"count": 2, "revoked": 1}, d
	bad = [f for f in d["findings"] if f["level"] == "bad"]
	assert [f["commit"] for f in bad] == [sys.argv[2]], bad
	EOF
'

test_expect_success 'list and show mark the third record, not the first two' '
	civic --home cc list >list.txt &&
	grep "^$(cut -c1-12 a3)" list.txt | grep -q "\[revoked\]" &&
	! grep "^$(cut -c1-12 a1)" list.txt | grep -q "\[revoked\]" &&
	! grep "^$(cut -c1-12 a2)" list.txt | grep -q "\[revoked\]" &&
	civic --home cc show "$(cat a2)" | grep -q "^signature  *good, by a member of the network$" &&
	civic --home cc show "$(cat a3)" | grep -q "^signature  *good, but made after the key was revoked$"
'

test_expect_success 'stock git still verifies the signatures: revocation is civic'"'"'s to check' '
	civic --home cc allowed-signers >as &&
	git_in cc -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$(cat a3)"
'

test_expect_success 'the revoked node, once it holds the roster, may not add' '
	fetch_roster cc a &&
	test_refused 1 a add document --field title=Четвърти --field visibility=public \
		--field date=2015-01-30 --field document_type=report &&
	err_has "revoked"
'

test_expect_success 'a thief with the key and an old roster adds: the record is not valid' '
	add_doc a-before "Крадец" >thief &&
	fetch_ref a-before cc "$(node_feed a)" &&
	test_expect_code 1 civic --home cc audit >out &&
	grep -q "records: 2 valid, 0 pending, 2 after revocation" out &&
	grep -q "commit $(cat thief)$" out
'

test_expect_success 'revoking after the last record held keeps everything valid' '
	cp -a cc-before cc3 &&
	civic --home cc3 member revoke "$(node_fp a)" --after "$(cat a3)" >out &&
	civic --home cc3 audit >out &&
	grep -q "records: 3 valid, 0 pending, 0 after revocation" out
'

# A node that holds the revocation but not the commit it names cannot tell
# whether its records of that key come before it (a thief could have forked
# the feed): none of them is valid; they wait, as pending, for the feed.
test_expect_success 'a node that does not hold the named commit yet counts none valid' '
	new_node aud "Одитор" kyustendil auditor &&
	civic --home aud network join "$(cat cc.net)" >/dev/null &&
	fetch_roster cc aud &&
	git_in aud fetch -q "$(abs a-before)/archive.git" "$(cat a1):$(node_feed a)" &&
	civic --home aud audit >out &&
	grep -q "records: 0 valid, 1 pending, 0 after revocation" out
'

test_expect_success 'and judges the rest once the feed arrives' '
	git_in aud fetch -q "$(abs cc)/archive.git" "$(node_feed a):$(node_feed a)" &&
	test_expect_code 1 civic --home aud audit >out &&
	grep -q "records: 2 valid, 0 pending, 2 after revocation" out
'

# --- pending ----------------------------------------------------------------

test_expect_success 'a node not in the roster adds records: kept, with a note' '
	new_node p "Кандидат Трекляно" treklyano &&
	civic --home p network join "$(cat cc.net)" >/dev/null &&
	fetch_roster cc-before p &&
	add_doc p "Чакащ 1" >p1 2>err &&
	grep -q "^[0-9a-f]\{40\}$" p1 &&
	test_one_error_line &&
	grep -q "pending" err &&
	add_doc p "Чакащ 2" >p2 2>/dev/null &&
	test "$(git_in p rev-list --count "$(node_feed p)")" = 2
'

test_expect_success 'a refused add on a node not in the roster prints one line' '
	test_refused 1 p add document --field title=Т --field visibility=public \
		--field date=2015-02-30 --field document_type=report &&
	err_has "date"
'

test_expect_success 'its own audit calls them pending, exit 0' '
	civic --home p audit >out &&
	grep -q "records: 0 valid, 2 pending" out &&
	grep -q "^pending  feed $(hex_of p | cut -c1-12) commit $(cat p1)$" out &&
	test "$(tail -n 1 out)" = "audit: sound"
'

test_expect_success 'the center that fetches them keeps them as pending, exit 0' '
	cp -a cc-before cc4 &&
	fetch_feed p cc4 p &&
	civic --home cc4 audit >out &&
	grep -q "records: 3 valid, 2 pending, 0 after revocation" out &&
	civic --home cc4 list >list.txt &&
	grep "^$(cut -c1-12 p1)" list.txt | grep -q "\[pending\]" &&
	civic --home cc4 audit --json >audit.json &&
	python3 - audit.json "$(hex_of p)" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["sound"] is True and d["records"]["pending"] == 2, d
	p = [f for f in d["findings"] if f["feed"] == sys.argv[2]]
	assert len(p) == 2 and all(f["level"] == "pending" for f in p), p
	EOF
'

test_expect_success 'a pending key cannot be revoked' '
	test_refused 1 cc4 member revoke "$(node_key p)"
'

test_expect_success 'after member add the same records are valid' '
	civic --home cc4 member add --name "Кандидат Трекляно" --municipality treklyano --role ngo \
		--key "$(node_key p)" >/dev/null &&
	civic --home cc4 audit >out &&
	grep -q "records: 5 valid, 0 pending, 0 after revocation" out &&
	civic --home cc4 show "$(cat p1)" | grep -q "^author  *Кандидат Трекляно (" &&
	civic --home cc4 list --json | grep -q "\"id\": \"$(cat p2)\""
'

test_expect_success 'and valid on the node itself once it holds the new roster' '
	fetch_roster cc4 p &&
	civic --home p audit >out &&
	grep -q "records: 2 valid, 0 pending" out &&
	add_doc p "Приет" >p3 2>err &&
	test ! -s err
'

test_expect_success 'a revoked key'"'"'s new history, unrelated to the named commit, does not count' '
	rm -rf cc-u a-u && cp -a cc cc-u && cp -a a-before a-u &&
	git_in a-u update-ref -d "$(node_feed a-u)" &&
	add_doc a-u "Нова история" >u1 &&
	git_in cc-u fetch -q "$TEST_DIR/a-u/archive.git" "+$(node_feed a-u):$(node_feed a-u)" &&
	test_expect_code 1 civic --home cc-u audit >out &&
	grep -q "after revocation" out &&
	! grep -q "^pending" out
'

test_done
