#!/bin/sh
# civic network create | join | show.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'network create on a civic-center node prints the network id' '
	new_node cc "Граждански център" Кюстендил civic-center &&
	civic --home cc network create --name "НПО Мрежа Кюстендил" >cc.net &&
	grep -q "^[0-9a-f]\{40\}$" cc.net &&
	test "$(wc -l <cc.net)" = 1
'

test_expect_success 'the network id is the first roster commit' '
	test "$(git_in cc rev-parse refs/civic/roster)" = "$(cat cc.net)" &&
	test -z "$(git_in cc rev-list --parents -n 1 refs/civic/roster | cut -s -d" " -f2)" &&
	grep -q "\"network\": \"$(cat cc.net)\"" cc/config
'

test_expect_success 'the roster commit is signed: stock git verifies it' '
	civic --home cc allowed-signers >as &&
	git_in cc -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$(cat cc.net)" &&
	git_in cc fsck --strict --full
'

test_expect_success 'the roster lists the creator as civic-center' '
	git_in cc ls-tree -r --name-only refs/civic/roster >files &&
	grep -q "^network.json$" files &&
	HEX=$(node_feed cc | sed "s|refs/civic/feeds/||") &&
	grep -q "^members/$HEX.json$" files &&
	git_in cc show "refs/civic/roster:members/$HEX.json" >member.json &&
	grep -q "\"role\": \"civic-center\"" member.json &&
	grep -q "\"municipality\": \"kyustendil\"" member.json
'

test_expect_success 'a second network create is refused, the roster unchanged' '
	test_refused 1 cc network create --name "Друга мрежа" &&
	err_has "$(cat cc.net)"
'

test_expect_success 'network create on an ngo node is refused' '
	new_node ngo "НПО Рила" rila &&
	test_refused 1 ngo network create --name "Мрежа" &&
	err_has "civic-center" &&
	test_must_fail git_in ngo rev-parse -q --verify refs/civic/roster
'

test_expect_success 'network create on an auditor node is refused' '
	new_node aud "Одитор" kyustendil auditor &&
	test_refused 1 aud network create --name "Мрежа"
'

test_expect_success 'network create without --name is a usage error' '
	new_node cc2 "Център 2" kyustendil civic-center &&
	test_expect_code 129 civic --home cc2 network create 2>err &&
	test_must_fail git_in cc2 rev-parse -q --verify refs/civic/roster
'

test_expect_success 'network create with a bad name is refused' '
	test_refused 1 cc2 network create --name "" &&
	test_refused 1 cc2 network create --name "$(printf "a\tb")" &&
	test_refused 1 cc2 network create --name "<script>" &&
	test_refused 1 cc2 network create --name "$(printf "\377")"
'

test_expect_success 'network with no or an unknown subcommand is a usage error' '
	test_expect_code 129 civic --home cc network 2>err &&
	test_expect_code 129 civic --home cc network frobnicate 2>err
'

test_expect_success 'network join with a malformed id is refused (129)' '
	test_refused 129 ngo network join 1234 &&
	test_refused 129 ngo network join "$(tr a-f A-F <cc.net)" &&
	test_refused 129 ngo network join "$(cat cc.net)0" &&
	test_refused 129 ngo network join "g$(cut -c2- cc.net)" &&
	test_refused 129 ngo network join "" &&
	! grep -q "\"network\"" ngo/config
'

test_expect_success 'network join without an id is a usage error' '
	test_expect_code 129 civic --home ngo network join 2>err &&
	test_expect_code 129 civic --home ngo network join a b 2>err
'

test_expect_success 'network show before any network fails with one line' '
	test_refused 1 ngo network show &&
	err_has "network"
'

test_expect_success 'network join pins the id' '
	civic --home ngo network join "$(cat cc.net)" >out &&
	grep -q "$(cat cc.net)" out &&
	grep -q "\"network\": \"$(cat cc.net)\"" ngo/config
'

test_expect_success 'joining the same network again is harmless' '
	civic --home ngo network join "$(cat cc.net)" >out &&
	grep -q "\"network\": \"$(cat cc.net)\"" ngo/config
'

test_expect_success 'joining another network after that is refused' '
	test_refused 1 ngo network join 0123456789abcdef0123456789abcdef01234567 &&
	err_has "already"
'

test_expect_success 'joining a network on a node that created one is refused' '
	test_refused 1 cc network join 0123456789abcdef0123456789abcdef01234567
'

test_expect_success 'network show without the roster fails with one line' '
	test_refused 1 ngo network show &&
	err_has "roster"
'

test_expect_success 'network show lists the network and its members' '
	civic --home cc member add --name "НПО Рила" --municipality Рила --role ngo \
		--key "$(node_key ngo)" >out &&
	civic --home cc network show >show.txt &&
	grep -q "^network: НПО Мрежа Кюстендил$" show.txt &&
	grep -q "^id: $(cat cc.net)$" show.txt &&
	grep -q "^members: 2$" show.txt &&
	grep -q "civic-center.*Кюстендил.*Граждански център" show.txt &&
	grep -q "ngo.*Рила.*НПО Рила" show.txt &&
	grep -q -F "$(node_fp cc)" show.txt &&
	grep -q -F "$(node_fp ngo)" show.txt
'

test_expect_success 'network show --json' '
	civic --home cc network show --json >show.json &&
	python3 -m json.tool show.json >/dev/null &&
	python3 - show.json "$(cat cc.net)" "$(node_key ngo)" "$(node_fp ngo)" <<-\EOF
	import json, sys
	net, key, fp = sys.argv[2:]
	d = json.load(open(sys.argv[1]))
	assert d["network"] == net, d
	assert d["name"] == "НПО Мрежа Кюстендил", d
	assert len(d["members"]) == 2, d
	m = [m for m in d["members"] if m["key"] == key]
	assert len(m) == 1, d
	m = m[0]
	assert m["fingerprint"] == fp, m
	assert m["name"] == "НПО Рила" and m["municipality"] == "rila", m
	assert m["municipality_name"] == "Рила" and m["role"] == "ngo", m
	assert m["revoked"] is False, m
	EOF
'

test_expect_success 'a member node shows the same roster once it holds it' '
	fetch_roster cc ngo &&
	civic --home ngo network show >ngo-show.txt &&
	cmp show.txt ngo-show.txt &&
	civic --home ngo network show --json >ngo-show.json &&
	cmp show.json ngo-show.json
'

test_expect_success 'network show reports revocations' '
	civic --home cc member revoke "$(node_fp ngo)" --reason "ключът е откраднат" >out &&
	civic --home cc network show >show.txt &&
	grep -q "revoked after (none): ключът е откраднат" show.txt &&
	civic --home cc network show --json >show.json &&
	python3 - show.json "$(node_key ngo)" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	m = [m for m in d["members"] if m["key"] == sys.argv[2]][0]
	assert m["revoked"] is True, m
	assert m["revocation_reason"] == "ключът е откраднат", m
	assert m["last_valid"] is None, m
	EOF
'

# A writer killed (or a power cut) after the roster ref moved but before the
# config was written leaves exactly this state: the roster exists, the config
# names no network. (strace -e inject=rename:signal=KILL:when=1 on `network
# create` reproduces it.) The node must be able to finish its creation.
test_expect_success 'network create interrupted before pinning the id can be finished' '
	new_node cc3 "Център 3" kyustendil civic-center &&
	civic --home cc3 network create --name "Мрежа 3" >cc3.net &&
	python3 -c "import json; p=\"cc3/config\"; d=json.load(open(p)); del d[\"network\"]; open(p, \"w\").write(json.dumps(d))" &&
	! grep -q network cc3/config &&
	civic --home cc3 network create --name "Мрежа 3" >again.net &&
	cmp cc3.net again.net &&
	grep -q "\"network\": \"$(cat cc3.net)\"" cc3/config
'

test_expect_success 'a roster of another network is not taken for ours' '
	new_network other &&
	new_node stray "НПО" rila &&
	civic --home stray network join "$(cat cc.net)" >/dev/null &&
	fetch_roster other stray &&
	test_refused 1 stray network show &&
	err_has "$(cat cc.net)"
'

test_done
