#!/bin/sh
# The nodes' signed statements of what they hold (src/state.c): written by
# sync when what a node holds changed, carried by relays like any ref, taken
# only when they verify and are newer, and shown by civic status.
. "$(dirname "$0")/test-lib.sh"

# rg ARGS...: stock git on the relay.
rg() { git --git-dir "$TEST_DIR/relay.git" "$@"; }

# serial HOME OWNER: the serial of OWNER's statement that HOME holds.
serial() { git_in "$1" log -1 --format=%B "$(node_state "$2")" | sed -n 's/^Civic-State: //p'; }

# node_line HOME NAME: the line under NAME in the "nodes" part of civic status.
node_line() {
	civic --home "$1" status >"$TEST_DIR/status.out" &&
	sed -n '/^nodes, as their signed statements say/,$p' "$TEST_DIR/status.out" |
		grep -A 1 -F "$2" | sed -n 2p
}

# sync_rc HOME ARGS...: civic sync; its exit code in $rc, output in out/err.
sync_rc() {
	_h=$1
	shift
	civic --home "$_h" sync "$@" >out 2>err
	rc=$?
}

test_expect_success 'setup: a center, three members, a relay (a plain bare repository)' '
	new_network cc &&
	ssh-keygen -q -t ed25519 -N "" -f akey &&
	civic --home a init --name "НПО Рила" --municipality rila --no-passphrase --import-key akey >/dev/null &&
	civic --home cc member add --name "НПО Рила" --municipality rila --role ngo --key "$(node_key a)" >/dev/null &&
	fetch_roster cc a && civic --home a network join "$(cat cc.net)" >/dev/null &&
	join_network cc b "НПО Бобов дол" bobov-dol &&
	join_network cc c "НПО Трекляно" treklyano &&
	git init -q --bare relay.git &&
	for n in cc a b c; do civic --home $n peer add relay "$(abs relay.git)" --relay || return 1; done &&
	add_doc cc "Покана" >/dev/null
'

test_expect_success 'a sync that took records signs what the node holds, and the relay gets it' '
	civic --home a sync relay >out &&
	civic --home cc sync relay >out &&
	grep -q "^  pushed       what this node holds, signed: Граждански център cc (Кюстендил)$" out &&
	test "$(rg rev-parse "$(node_state cc)")" = "$(git_in cc rev-parse "$(node_state cc)")" &&
	test "$(serial cc cc)" = 1
'

test_expect_success 'the statement is a parentless commit of state.json, and stock git verifies it' '
	git_in cc cat-file -p "$(node_state cc)" >commit &&
	! grep -q "^parent " commit &&
	grep -q "^Civic-Network: $(cat cc.net)$" commit &&
	grep -q "^Civic-State: 1$" commit &&
	test "$(git_in cc ls-tree --name-only "$(node_state cc)")" = state.json &&
	git_in cc show "$(node_state cc):state.json" >state.json &&
	grep -q "\"roster\": \"$(git_in cc rev-parse refs/civic/roster)\"" state.json &&
	grep -q "\"head\": \"$(git_in cc rev-parse "$(node_feed cc)")\"" state.json &&
	civic --home cc allowed-signers >signers &&
	git_in cc -c gpg.ssh.allowedSignersFile="$TEST_DIR/signers" verify-commit "$(node_state cc)" 2>verify &&
	grep -q "Good \"git\" signature" verify
'

test_expect_success 'a node that never meets another learns what it holds through the relay' '
	civic --home b sync relay >out &&
	grep -q "^  accepted     what this node holds, signed: Граждански център cc (Кюстендил)$" out &&
	node_line b "Граждански център cc" >line &&
	grep -q "signed .* (statement 1): holds 1 feeds as we do; lacks 0 records in 0 feeds" line
'

test_expect_success 'status shows what a node lacks by its statement, until it syncs' '
	add_doc b "Протокол 1" >/dev/null && add_doc b "Протокол 2" >/dev/null &&
	civic --home b sync relay >/dev/null &&
	node_line b "Граждански център cc" >line &&
	grep -q "lacks 2 records in 1 feeds" line &&
	civic --home cc sync relay >/dev/null &&
	test "$(serial cc cc)" = 2 &&
	civic --home b sync relay >/dev/null &&
	node_line b "Граждански център cc" >line &&
	grep -q "(statement 2): holds 2 feeds as we do; lacks 0 records in 0 feeds" line
'

test_expect_success 'status --json lists the nodes with their statements' '
	civic --home b status --json >status.json &&
	python3 - "$(node_feed cc | sed "s|.*/||")" <<-\EOF
	import json, sys
	s = json.load(open("status.json"))
	n = [x for x in s["nodes"] if x["key"] == sys.argv[1]][0]
	assert n["name"] == "Граждански център cc", n
	assert n["municipality"] == "kyustendil", n
	assert n["serial"] == 2 and n["same_roster"] and not n["this_node"], n
	assert n["feeds"] == {"current": 2, "lacking": 0, "records_lacking": 0, "other": 0}, n
	assert n["records_ahead"] == 0, n
	assert len(n["signed"]) == 20 and n["signed"].endswith("Z"), n
	mine = [x for x in s["nodes"] if x["this_node"]]
	assert len(mine) == 1 and mine[0]["name"] == "НПО Бобов дол", mine
	EOF
'

test_expect_success 'a sync that takes nothing writes no statement' '
	git_in b rev-parse "$(node_state b)" >before &&
	civic --home b sync --no-push relay >/dev/null &&
	civic --home b sync relay >out &&
	git_in b rev-parse "$(node_state b)" >after &&
	cmp before after
'

test_expect_success 'a relay that brings an older statement back cannot make a node take it' '
	OLD=$(git_in a rev-parse "$(node_state a)") &&
	add_doc a "Решение" >/dev/null &&
	civic --home a sync relay >/dev/null &&
	NEW=$(git_in a rev-parse "$(node_state a)") && test "$OLD" != "$NEW" &&
	civic --home c sync --no-push relay >/dev/null &&
	test "$(git_in c rev-parse "$(node_state a)")" = "$NEW" &&
	rg update-ref "$(node_state a)" "$OLD" &&
	civic --home c sync relay >out &&
	! grep -F "what this node holds, signed: НПО Рила" out | grep -q accepted &&
	test "$(git_in c rev-parse "$(node_state a)")" = "$NEW" &&
	test "$(rg rev-parse "$(node_state a)")" = "$NEW"
'

# save/unchanged: the archive of HOME, refs and object count, before and after.
save() { all_refs "$1" >"$1.saved" && find "$1/archive.git/objects" -type f | wc -l >>"$1.saved"; }
unchanged() {
	all_refs "$1" >"$1.now" && find "$1/archive.git/objects" -type f | wc -l >>"$1.now" &&
	cmp "$1.saved" "$1.now"
}

# refused_from HOME PEER LINE: a sync of HOME from PEER exits 1, prints a
# line that matches LINE (grep), and leaves HOME's archive as it was.
refused_from() {
	save "$1" &&
	sync_rc "$1" --no-push "$2" &&
	test "$rc" = 1 &&
	grep -q "$3" out &&
	unchanged "$1"
}

test_expect_success 'a statement signed by another key under a member'\''s name is refused, nothing kept' '
	B_STATE=$(git_in b rev-parse "$(node_state b)") &&
	git init -q --bare evil1.git &&
	git --git-dir evil1.git fetch -q "$(abs b)/archive.git" "$(node_state b):$(node_state c)" &&
	rm -rf c1 && cp -a c c1 && git_in c1 update-ref -d "$(node_state c)" &&
	refused_from c1 "$(abs evil1.git)" \
		"^  rejected     what this node holds, signed: НПО Трекляно (Трекляно): .*another key"
'

test_expect_success 'a tampered statement (its bytes no longer what was signed) is refused' '
	git init -q --bare evil2.git &&
	git --git-dir evil2.git fetch -q "$(abs a)/archive.git" "$(node_state a):$(node_state a)" &&
	git --git-dir evil2.git cat-file commit "$(node_state a)" |
		sed "s/^Civic-State: .*/Civic-State: 999/" >forged &&
	F=$(git --git-dir evil2.git hash-object -t commit -w --literally forged) &&
	git --git-dir evil2.git update-ref "$(node_state a)" "$F" &&
	rm -rf c2 && cp -a c c2 && refused_from c2 "$(abs evil2.git)" \
		"^  rejected     what this node holds, signed: НПО Рила (Рила): "
'

# a_state PEER FILE SERIAL [NETWORK]: a statement of a, signed with stock
# git and a's key over state.json = FILE; its id.
a_state() {
	_blob=$(git --git-dir "$1" hash-object -w "$2") &&
	_tree=$(printf "100644 blob %s\tstate.json\n" "$_blob" | git --git-dir "$1" mktree) &&
	printf "state %s\n\nCivic-Network: %s\nCivic-State: %s\n" "$3" "${4:-$(cat cc.net)}" "$3" >msg &&
	_hex=$(node_feed a | sed "s|.*/||") &&
	GIT_AUTHOR_NAME="НПО Рила" GIT_AUTHOR_EMAIL="$_hex@civic" \
	GIT_COMMITTER_NAME="НПО Рила" GIT_COMMITTER_EMAIL="$_hex@civic" \
	git --git-dir "$1" -c gpg.format=ssh -c user.signingkey="$TEST_DIR/akey" commit-tree -S "$_tree" -F msg
}

test_expect_success 'a statement in another spelling of state.json is refused, though signed' '
	git init -q --bare evil3.git &&
	git_in a show "$(node_state a):state.json" >canonical.json &&
	python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))" canonical.json >compact.json &&
	test "$(wc -l <compact.json)" = 1 &&
	S=$(a_state evil3.git compact.json 50) &&
	git --git-dir evil3.git update-ref "$(node_state a)" "$S" &&
	rm -rf c3 && cp -a c c3 && refused_from c3 "$(abs evil3.git)" \
		"^  rejected     what this node holds, signed: НПО Рила (Рила): .*canonical form"
'

test_expect_success 'the same statement in canonical form, signed by stock git, is taken' '
	S=$(a_state evil3.git canonical.json 50) &&
	git --git-dir evil3.git update-ref "$(node_state a)" "$S" &&
	sync_rc c3 --no-push "$(abs evil3.git)" &&
	test "$rc" = 0 &&
	grep -q "^  accepted     what this node holds, signed: НПО Рила (Рила)$" out &&
	test "$(git_in c3 rev-parse "$(node_state a)")" = "$S"
'

test_expect_success 'a statement of another network is refused' '
	S=$(a_state evil3.git canonical.json 61 "$(printf "%040d" 7)") &&
	git --git-dir evil3.git update-ref "$(node_state a)" "$S" &&
	refused_from c3 "$(abs evil3.git)" \
		": not a node state: it is of another network: 0000000000000000000000000000000000000007$"
'

test_expect_success 'the statement of a key that is not a member is refused' '
	new_network cc2 &&
	join_network cc2 y "НПО Друго" rila &&
	git init -q --bare relay2.git &&
	civic --home y peer add relay2 "$(abs relay2.git)" --relay &&
	add_doc y "Чужд запис" >/dev/null &&
	civic --home y sync relay2 >/dev/null &&
	git init -q --bare evil4.git &&
	git --git-dir evil4.git fetch -q "$(abs relay2.git)" "$(node_state y):$(node_state y)" &&
	rm -rf c4 && cp -a c c4 && refused_from c4 "$(abs evil4.git)" \
		"^  rejected     refs/civic/state/.*: the key is not a member of the network (yet)$"
'

# Relays keep a revoked member's last statement: not taken, and no failure
# of every later sync from them either.
test_expect_success 'the statement of a revoked member is not taken, and fails no sync' '
	rm -rf cc5 c5 && cp -a cc cc5 && cp -a c c5 &&
	civic --home cc5 member revoke "$(node_fp b)" --reason "изгубен ключ" >/dev/null &&
	git_in c5 update-ref -d "$(node_state b)" &&
	git_in c5 fetch -q "$(abs cc5)/archive.git" refs/civic/roster:refs/civic/roster &&
	git init -q --bare evil5.git &&
	git --git-dir evil5.git fetch -q "$(abs b)/archive.git" "$(node_state b):$(node_state b)" &&
	save c5 &&
	sync_rc c5 --no-push "$(abs evil5.git)" &&
	test "$rc" = 0 &&
	! grep -q "rejected" out &&
	unchanged c5
'

test_expect_success 'an encrypted key is never asked for: the sync runs, the statement waits' '
	new_network cc6 &&
	civic --home e init --name "НПО Кочериново" --municipality kocherinovo --passphrase-file /dev/stdin \
		<<-\EOF >/dev/null &&
	тайна фраза
	EOF
	civic --home cc6 member add --name "НПО Кочериново" --municipality kocherinovo --role ngo \
		--key "$(node_key e)" >/dev/null &&
	civic --home e network join "$(cat cc6.net)" >/dev/null &&
	add_doc cc6 "Покана" >/dev/null &&
	sync_rc e "$(abs cc6)/archive.git" </dev/null &&
	test "$rc" = 0 && test ! -s err &&
	grep -q "1 new records in 1 feeds, roster updated" out &&
	test -z "$(git_in e for-each-ref refs/civic/state/)"
'

test_expect_success 'with the passphrase file, the sync signs it' '
	echo "тайна фраза" >pass &&
	add_doc cc6 "Протокол" >/dev/null &&
	CIVIC_PASSPHRASE_FILE="$TEST_DIR/pass" civic --home e sync "$(abs cc6)/archive.git" >out 2>err &&
	test ! -s err &&
	git_in e rev-parse "$(node_state e)" &&
	test "$(serial e e)" = 1
'

test_expect_success 'a wrong passphrase: one line says the statement is not signed; the records are taken' '
	echo "друга фраза" >wrong &&
	add_doc cc6 "Още един" >/dev/null &&
	sync_rc e --passphrase-file wrong "$(abs cc6)/archive.git" &&
	test "$rc" = 0 &&
	test_one_error_line err && grep -q "is not signed" err &&
	grep -q "1 new records in 1 feeds" out &&
	test "$(serial e e)" = 1
'

test_done
