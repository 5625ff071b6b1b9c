#!/bin/sh
# civic member add | revoke: the admins' edits of the signed roster.
. "$(dirname "$0")/test-lib.sh"

roster_len() { git_in "$1" rev-list --count refs/civic/roster; }

test_expect_success 'setup: a network and two would-be members' '
	new_network cc &&
	new_node a "НПО Рила" rila &&
	new_node b "НПО Дупница" dupnitsa &&
	civic --home a network join "$(cat cc.net)" >/dev/null &&
	civic --home b network join "$(cat cc.net)" >/dev/null
'

test_expect_success 'member add signs a new roster commit' '
	civic --home cc member add --name "НПО Рила" --municipality Рила --role ngo \
		--key "$(node_key a)" >out &&
	grep -q "^added НПО Рила (Рила, ngo)$" out &&
	test "$(roster_len cc)" = 2 &&
	civic --home cc allowed-signers >as &&
	git_in cc -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit refs/civic/roster &&
	git_in cc log -1 --format=%B refs/civic/roster >msg &&
	grep -q "^Civic-Network: $(cat cc.net)$" msg &&
	grep -q "^Civic-Roster-Seq: 2$" msg
'

test_expect_success 'the member is in the roster with the municipality slug' '
	HEX=$(node_feed a | sed "s|refs/civic/feeds/||") &&
	git_in cc show "refs/civic/roster:members/$HEX.json" >m.json &&
	grep -q "\"municipality\": \"rila\"" m.json &&
	grep -q "\"role\": \"ngo\"" m.json &&
	grep -q -F "\"key\": \"$(node_key a)\"" m.json &&
	civic --home cc network show --json | grep -q -F "\"fingerprint\": \"$(node_fp a)\""
'

test_expect_success 'a key line with a comment, as in a .pub file, is accepted' '
	ssh-keygen -q -t ed25519 -N "" -C "НПО коментар" -f ck &&
	civic --home cc member add --name "НПО Бобошево" --municipality boboshevo --role ngo \
		--key "$(cat ck.pub)" >out &&
	civic --home cc network show | grep -q -F "$(ssh-keygen -lf ck.pub | cut -d" " -f2)"
'

test_expect_success 'adding the same key again is refused' '
	test_refused 1 cc member add --name "НПО Рила" --municipality rila --role ngo \
		--key "$(node_key a)" &&
	err_has "member already"
'

test_expect_success 'adding the same key under another name and role is refused' '
	test_refused 1 cc member add --name "Друго име" --municipality dupnitsa --role auditor \
		--key "$(node_key a)"
'

test_expect_success 'a key that is not an ssh-ed25519 line is refused' '
	test_refused 1 cc member add --name X --municipality rila --role ngo --key "ssh-ed25519 AAAA" &&
	test_refused 1 cc member add --name X --municipality rila --role ngo --key "nonsense" &&
	test_refused 1 cc member add --name X --municipality rila --role ngo --key "" &&
	test_refused 1 cc member add --name X --municipality rila --role ngo \
		--key "$(node_key b | sed "s/ssh-ed25519/ssh-rsa/")"
'

test_expect_success 'a truncated or altered key is refused' '
	K=$(node_key b) &&
	test_refused 1 cc member add --name X --municipality rila --role ngo \
		--key "$(printf "%s" "$K" | cut -c1-60)" &&
	test_refused 1 cc member add --name X --municipality rila --role ngo \
		--key "ssh-ed25519 AAAAC3NzaC1yc2EAAAADAQABAAABAQC$(printf "%s" "$K" | cut -c 60-)"
'

test_expect_success 'an RSA public key is refused' '
	ssh-keygen -q -t rsa -b 1024 -N "" -f rsakey 2>/dev/null ||
	ssh-keygen -q -t rsa -N "" -f rsakey &&
	test_refused 1 cc member add --name X --municipality rila --role ngo --key "$(cat rsakey.pub)"
'

test_expect_success 'an unknown municipality or role is refused (129)' '
	test_refused 129 cc member add --name X --municipality sofia --role ngo --key "$(node_key b)" &&
	test_refused 129 cc member add --name X --municipality rila --role mayor --key "$(node_key b)"
'

test_expect_success 'a bad organization name is refused' '
	test_refused 1 cc member add --name "" --municipality rila --role ngo --key "$(node_key b)" &&
	test_refused 1 cc member add --name "$(printf "a\nb")" --municipality rila --role ngo \
		--key "$(node_key b)" &&
	test_refused 1 cc member add --name "$(printf "\377")" --municipality rila --role ngo \
		--key "$(node_key b)"
'

test_expect_success 'member add without --key or --name is a usage error' '
	test_expect_code 129 civic --home cc member add --name X --municipality rila --role ngo 2>err &&
	test_expect_code 129 civic --home cc member add --municipality rila --role ngo \
		--key "$(node_key b)" 2>err &&
	test_expect_code 129 civic --home cc member 2>err &&
	test_expect_code 129 civic --home cc member frobnicate 2>err
'

test_expect_success 'a member that is not an admin cannot add members' '
	fetch_roster cc a &&
	test_refused 1 a member add --name "НПО Дупница" --municipality dupnitsa --role ngo \
		--key "$(node_key b)" &&
	err_has "admin"
'

test_expect_success 'a member that is not an admin cannot add itself as admin' '
	test_refused 1 a member add --name "Аз" --municipality rila --role civic-center \
		--key "$(node_key b)"
'

test_expect_success 'a node without the roster cannot add members' '
	test_refused 1 b member add --name X --municipality dupnitsa --role ngo --key "$(node_key b)"
'

test_expect_success 'a node without a network cannot add members' '
	new_node lone "Сам" rila civic-center &&
	test_refused 1 lone member add --name X --municipality dupnitsa --role ngo --key "$(node_key b)"
'

test_expect_success 'a second civic-center member can admit members too' '
	new_node cc2 "Втори център" kyustendil civic-center &&
	civic --home cc member add --name "Втори център" --municipality kyustendil \
		--role civic-center --key "$(node_key cc2)" >out &&
	fetch_roster cc cc2 &&
	civic --home cc2 network join "$(cat cc.net)" >/dev/null &&
	civic --home cc2 member add --name "НПО Дупница" --municipality dupnitsa --role ngo \
		--key "$(node_key b)" >out &&
	fetch_roster cc2 cc &&
	civic --home cc network show | grep -q "НПО Дупница" &&
	civic --home cc audit >out
'

test_expect_success 'setup: member a records two records, the admin holds them' '
	add_doc a "Първи" >a1 &&
	add_doc a "Втори" >a2 &&
	fetch_feed a cc a &&
	civic --home cc audit >out &&
	grep -q "records: 2 valid" out
'

test_expect_success 'revoking a key that is no member is refused' '
	new_node x "Непознат" rila &&
	test_refused 1 cc member revoke "$(node_key x)" &&
	test_refused 1 cc member revoke "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" &&
	test_refused 1 cc member revoke nonsense
'

test_expect_success 'member revoke without a key is a usage error' '
	test_expect_code 129 civic --home cc member revoke 2>err &&
	test_expect_code 129 civic --home cc member revoke a b 2>err
'

test_expect_success 'revoke --after a commit outside the member'"'"'s feed is refused' '
	test_refused 1 cc member revoke "$(node_fp a)" --after "$(cat cc.net)" &&
	test_refused 1 cc member revoke "$(node_fp a)" --after 0000000 &&
	test_refused 1 cc member revoke "$(node_fp a)" --after zzzzzzz
'

test_expect_success 'a non-admin cannot revoke' '
	fetch_roster cc a &&
	test_refused 1 a member revoke "$(node_fp cc)" &&
	err_has "admin"
'

test_expect_success 'revoke by fingerprint with --after an abbreviated id' '
	civic --home cc member revoke "$(node_fp a)" --after "$(cut -c1-10 a1)" \
		--reason "загубен лаптоп" >out &&
	grep -q "$(cat a1)" out &&
	civic --home cc network show --json >show.json &&
	python3 - show.json "$(node_key a)" "$(cat a1)" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	m = [m for m in d["members"] if m["key"] == sys.argv[2]][0]
	assert m["revoked"] is True and m["last_valid"] == sys.argv[3], m
	assert m["revocation_reason"] == "загубен лаптоп", m
	EOF
'

test_expect_success 'the revocation is a signed roster commit' '
	civic --home cc allowed-signers >as &&
	git_in cc -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit refs/civic/roster &&
	git_in cc ls-tree -r --name-only refs/civic/roster | grep -q "^revocations/"
'

test_expect_success 'records after the named commit stop being valid' '
	test_expect_code 1 civic --home cc audit >out &&
	grep -q "records: 1 valid, 0 pending, 1 after revocation" out &&
	grep -q "$(cat a2)" out
'

test_expect_success 'revoking the same key twice is refused' '
	test_refused 1 cc member revoke "$(node_fp a)" &&
	err_has "revoked already"
'

test_expect_success 'a revoked key cannot be added again' '
	test_refused 1 cc member add --name "НПО Рила" --municipality rila --role ngo \
		--key "$(node_key a)"
'

test_expect_success 'revoke by key line, by default: everything held stays valid' '
	add_doc b "Б1" >b1 &&
	add_doc b "Б2" >b2 &&
	fetch_roster cc b &&
	fetch_feed b cc b &&
	civic --home cc member revoke "$(node_key b)" >out &&
	grep -q "valid up to $(cat b2)" out &&
	{ civic --home cc audit --json >audit.json || test $? = 1; } &&
	python3 - audit.json "$(node_feed b | sed "s|refs/civic/feeds/||")" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	bad = [f for f in d["findings"] if f["feed"] == sys.argv[2]]
	assert bad == [], bad
	EOF
'

test_expect_success 'a record made after a default revocation is not valid' '
	add_doc b "Б3" >b3 &&
	fetch_feed b cc b &&
	test_expect_code 1 civic --home cc audit >out &&
	grep -q "$(cat b3)" out &&
	civic --home cc show "$(cat b3)" >show.txt &&
	grep -q "revoked" show.txt
'

test_expect_success 'revoke by hex key of a member whose feed is not held: nothing valid' '
	new_node c "НПО Кочериново" kocherinovo &&
	civic --home cc member add --name "НПО Кочериново" --municipality kocherinovo --role ngo \
		--key "$(node_key c)" >/dev/null &&
	civic --home cc member revoke "$(node_feed c | sed "s|refs/civic/feeds/||")" >out &&
	grep -q "(none)" out
'

test_expect_success 'a revoked admin can no longer add members' '
	civic --home cc member revoke "$(node_fp cc2)" >out &&
	fetch_roster cc cc2 &&
	test_refused 1 cc2 member add --name X --municipality rila --role ngo --key "$(node_key x)"
'

test_expect_success 'setup: an admin node whose key is encrypted' '
	printf "парола на центъра\n" >pass &&
	printf "грешна\n" >wrong &&
	civic --home ecc init --name "Център с парола" --municipality kyustendil --role civic-center \
		--passphrase-file pass >/dev/null
'

test_expect_success 'network create on an encrypted node without the passphrase is refused' '
	test_refused_cmd 1 ecc setsid -w "$CIVIC" --home ecc network create --name "Мрежа" </dev/null &&
	test_refused 1 ecc network create --name "Мрежа" --passphrase-file wrong &&
	test_must_fail git_in ecc rev-parse -q --verify refs/civic/roster
'

test_expect_success 'network create with the passphrase' '
	civic --home ecc network create --name "Мрежа" --passphrase-file pass >ecc.net &&
	grep -q "^[0-9a-f]\{40\}$" ecc.net
'

test_expect_success 'member add with a wrong passphrase is refused, the roster unchanged' '
	test_refused 1 ecc member add --name X --municipality rila --role ngo --key "$(node_key x)" \
		--passphrase-file wrong &&
	err_has "wrong passphrase"
'

test_expect_success 'member add and revoke with the passphrase from $CIVIC_PASSPHRASE_FILE' '
	CIVIC_PASSPHRASE_FILE="$TEST_DIR/pass" civic --home ecc member add --name X --municipality rila \
		--role ngo --key "$(node_key x)" >/dev/null &&
	test_refused_cmd 1 ecc env CIVIC_PASSPHRASE_FILE="$TEST_DIR/wrong" \
		"$CIVIC" --home ecc member revoke "$(node_fp x)" &&
	CIVIC_PASSPHRASE_FILE="$TEST_DIR/pass" civic --home ecc member revoke "$(node_fp x)" >/dev/null &&
	test "$(roster_len ecc)" = 3
'

test_expect_success 'the last admin cannot revoke itself, which would freeze the roster' '
	new_network solo &&
	test_refused 1 solo member revoke "$(node_fp solo)" &&
	err_has "last admin"
'

test_expect_success 'an admin can be revoked once another admin exists' '
	new_node solo2 "Център 2" kyustendil civic-center &&
	civic --home solo member add --name "Център 2" --municipality kyustendil --role civic-center \
		--key "$(node_key solo2)" >/dev/null &&
	civic --home solo member revoke "$(node_fp solo)" >/dev/null &&
	civic --home solo network show --json | grep -q "\"revoked\": true"
'

test_done
