#!/bin/sh
# Roster forks settled by an admin (src/roster.h, civic_roster_settle): two
# admins sign roster commits before either sees the other's, every node
# keeps the second roster as evidence, and one admin's `civic fork resolve`
# signs a settlement that joins both. Every node holding either roster takes
# it through a relay behind a real git daemon; nothing either side admitted
# or revoked is lost; stock git verifies the settlement.
#
#   1. two admins fork the roster: the center admits x, the second admin
#      admits y and revokes b after its first record
#   2. the fork travels through the relay, kept as evidence everywhere
#   3. who may settle, and with which commit
#   4. the center settles; everyone converges on one roster with x and y
#   5. a node that went on with its own roster past the settlement stays
#      forked, and settles again; an admin may also keep the other roster
#      first
#   6. an admin the other roster revokes cannot settle its way
#   7. a fork no settlement can take in is left open, the others settled;
#      an admin abandons it, and other nodes follow
. "$(dirname "$0")/test-lib.sh"

PORT=$(free_ports 1 $((20000 + ($$ % 4000) * 8 + 6)))
RELAY_URL="git://127.0.0.1:$PORT/relay.git"

roster_of() { git_in "$1" rev-parse refs/civic/roster; }

# sync_rc HOME CODE: `civic sync` with the relay must exit CODE; output in $TEST_DIR/out.
sync_rc() {
	timeout 60 "$CIVIC" --home "$1" sync relay >"$TEST_DIR/out" 2>"$TEST_DIR/err"
	_rc=$?
	test "$_rc" = "$2" || { echo "# sync of $1 exited $_rc, expected $2" >&2; cat "$TEST_DIR/out" "$TEST_DIR/err" >&2; return 1; }
}

# sound HOME: civic audit passes; its output in $TEST_DIR/audit.out.
sound() {
	"$CIVIC" --home "$1" audit >"$TEST_DIR/audit.out" 2>&1 ||
		{ echo "# audit of $1 fails:" >&2; cat "$TEST_DIR/audit.out" >&2; return 1; }
}

# allowed HOME: an allowed_signers file from the node's roster, as an auditor makes it.
allowed() { civic --home "$1" allowed-signers >"$TEST_DIR/allowed_signers"; }

test_expect_success 'setup: a network with two admins, members a and b; a relay behind git daemon' '
	new_network cc "Мрежа Кюстендил" &&
	ssh-keygen -q -t ed25519 -N "" -f c2key &&
	civic --home cc2 init --name "Граждански център – Дупница" --municipality dupnitsa --role civic-center \
		--no-passphrase --import-key c2key >/dev/null &&
	civic --home cc member add --name "Граждански център – Дупница" --municipality dupnitsa \
		--role civic-center --key "$(node_key cc2)" >/dev/null &&
	fetch_roster cc cc2 && civic --home cc2 network join "$(cat cc.net)" >/dev/null &&
	join_network cc a "НПО Рила" rila &&
	join_network cc b "НПО Бобошево" boboshevo &&
	( for n in a b cc2; do fetch_roster cc $n || return 1; done ) &&
	add_doc b "Първи отчет" >b1 &&
	new_node x "НПО Икс" treklyano && new_node y "НПО Игрек" nevestino &&
	mkdir srv && git init -q --bare srv/relay.git &&
	start_server daemon.log "$(git --exec-path)/git-daemon" --reuseaddr --export-all \
		--enable=receive-pack --informative-errors --listen=127.0.0.1 --port="$PORT" \
		--base-path="$TEST_DIR/srv" "$TEST_DIR/srv" &&
	wait_port "$PORT" &&
	( for n in cc cc2 a b x y; do civic --home $n peer add relay "$RELAY_URL" --relay || return 1; done ) &&
	sync_rc b 0 && sync_rc cc 0 && sync_rc cc2 0 && sync_rc a 0
'

test_expect_success '1. offline from each other, the two admins sign different rosters' '
	BASE=$(roster_of cc) &&
	civic --home cc member add --name "НПО Икс" --municipality treklyano --role ngo \
		--key "$(node_key x)" >/dev/null &&
	civic --home cc2 member add --name "НПО Игрек" --municipality nevestino --role ngo \
		--key "$(node_key y)" >/dev/null &&
	civic --home cc2 member revoke "$(node_fp b)" --after "$(cat b1)" --reason "закрита организация" >/dev/null &&
	ROSTER_A=$(roster_of cc) ROSTER_B=$(roster_of cc2) &&
	test "$ROSTER_A" != "$ROSTER_B" &&
	fetch_roster cc x && civic --home x network join "$(cat cc.net)" >/dev/null &&
	fetch_roster cc2 y && civic --home y network join "$(cat cc.net)" >/dev/null &&
	add_doc x "Икс пише" >/dev/null && add_doc y "Игрек пише" >/dev/null
'

test_expect_success '2. the fork travels through the relay: kept as evidence, reported, audited' '
	sync_rc cc 0 && sync_rc x 0 &&
	sync_rc cc2 1 &&
	grep -q "^  fork .*the network.s admins signed two different rosters" "$TEST_DIR/out" &&
	test "$(roster_of cc2)" = "$ROSTER_B" &&
	test "$(git_in cc2 rev-parse "refs/civic/forks/roster/$ROSTER_A")" = "$ROSTER_A" &&
	sync_rc y 1 && sync_rc cc 1 && sync_rc a 1 &&
	test "$(git_in cc rev-parse "refs/civic/forks/roster/$ROSTER_B")" = "$ROSTER_B" &&
	civic --home cc fork list >list &&
	grep -q "^open       $ROSTER_B  " list &&
	civic --home cc status >status &&
	grep -q "ROSTER FORK: 1 other signed rosters kept" status &&
	civic --home cc audit >audit; test $? = 0 &&
	grep -q "a second signed roster is kept as evidence" audit &&
	test_must_fail git_in cc rev-parse -q --verify "$(node_feed y)" &&
	grep -q "^  rejected     НПО Игрек\|not a member" "$TEST_DIR/out"
'

test_expect_success '3. only an admin settles, with the roster or a roster fork it holds' '
	test_refused 1 a fork resolve --keep "$ROSTER_A" --reason "Аз не съм администратор" &&
	err_has "not an admin in the roster to keep" &&
	test_refused 1 cc fork resolve --keep "$BASE" --reason "Стара версия" &&
	err_has "is neither the roster" &&
	test_refused 1 cc fork resolve --keep "$ROSTER_A" --reason "$(printf "ред\nCivic-Roster-Seq: 9")" &&
	cp -a cc cc-before && cp -a cc cc-war && cp -a cc2 cc2-war
'

# A settlement signed by a real admin, but whose tree drops what the other
# side admitted: every node refuses it, whichever roster it holds.
test_expect_success '3. a settlement that drops an entry of either roster is refused' '
	git init -q --bare evil.git &&
	git --git-dir evil.git fetch -q "$(abs cc)/archive.git" refs/civic/roster:refs/civic/roster \
		"refs/civic/forks/roster/$ROSTER_B:refs/civic/forks/roster/$ROSTER_B" &&
	SEQ=$(( $(git_in cc rev-list --first-parent --count "$ROSTER_A") + 1 )) &&
	printf "roster: settle\n\nCivic-Network: %s\nCivic-Roster-Seq: %s\n" "$(cat cc.net)" "$SEQ" >msg &&
	HEX2=$(node_feed cc2 | sed "s|refs/civic/feeds/||") &&
	FORGED=$(GIT_AUTHOR_NAME="Граждански център – Дупница" GIT_AUTHOR_EMAIL="$HEX2@civic" \
		GIT_COMMITTER_NAME="Граждански център – Дупница" GIT_COMMITTER_EMAIL="$HEX2@civic" \
		git --git-dir evil.git -c gpg.format=ssh -c user.signingkey="$TEST_DIR/c2key" \
		commit-tree -S "$ROSTER_A^{tree}" -p "$ROSTER_A" -p "$ROSTER_B" -F msg) &&
	git --git-dir evil.git update-ref refs/civic/roster "$FORGED" &&
	for n in cc cc2; do
		rm -rf forged && cp -a $n forged &&
		git_in forged for-each-ref >before &&
		{ timeout 60 "$CIVIC" --home forged sync "$(abs evil.git)" >out 2>err; test $? = 1; } &&
		grep -q "^  rejected .*a settlement must hold exactly the entries of both rosters it joins" out &&
		git_in forged for-each-ref >after && cmp -s before after || return 1
	done
'

test_expect_success '4. the center settles: one commit joins both rosters' '
	civic --home cc fork resolve --keep "$ROSTER_A" --reason "И двете допускания важат" >settled &&
	SETTLED=$(cat settled) &&
	test "$(roster_of cc)" = "$SETTLED" &&
	test "$(git_in cc rev-parse "$SETTLED^1")" = "$ROSTER_A" &&
	test "$(git_in cc rev-parse "$SETTLED^2")" = "$ROSTER_B" &&
	git_in cc cat-file commit "$SETTLED" | grep -q "^roster: settle a fork, taking in ${ROSTER_B%????????????????????????????}: И двете допускания важат$" &&
	civic --home cc network show --json >net.json &&
	grep -q "НПО Икс" net.json && grep -q "НПО Игрек" net.json &&
	civic --home cc fork list >list &&
	grep -q "^merged     $ROSTER_B  " list &&
	civic --home cc fork list --json | grep -q "\"state\": \"merged\"" &&
	sound cc &&
	grep -q "was taken in by an admin.s settlement" "$TEST_DIR/audit.out" &&
	civic --home cc status >status && grep -q "roster: 1 settled forks kept as evidence" status &&
	! grep -q "ROSTER FORK" status
'

test_expect_success '4. stock git verifies the settlement, and the roster has one root' '
	allowed cc &&
	git_in cc -c gpg.ssh.allowedSignersFile="$TEST_DIR/allowed_signers" verify-commit "$SETTLED" 2>vc &&
	grep -q "Good \"git\" signature" vc &&
	for c in $(git_in cc rev-list refs/civic/roster); do
		git_in cc -c gpg.ssh.allowedSignersFile="$TEST_DIR/allowed_signers" verify-commit "$c" 2>/dev/null ||
			{ echo "# BAD $c" >&2; return 1; }
	done &&
	test "$(git_in cc rev-list --max-parents=0 refs/civic/roster)" = "$(cat cc.net)" &&
	git_in cc fsck --strict --full --no-progress 2>fsck &&
	! grep -v "unborn branch" fsck | grep -q .
'

test_expect_success '4. every node takes the settlement, whichever roster it held' '
	cp -a cc2 cc2-late &&
	sync_rc cc 0 &&
	sync_rc cc2 0 &&
	grep -q "^  accepted .*settlement of a roster fork takes in the roster this node held" "$TEST_DIR/out" &&
	sync_rc y 0 && sync_rc x 0 && sync_rc a 0 && sync_rc b 0 && sync_rc cc 0 && sync_rc cc2 0 &&
	civic --home b status >/dev/null &&
	for n in cc cc2 a b x y; do
		test "$(roster_of $n)" = "$SETTLED" || { echo "# $n holds $(roster_of $n)" >&2; return 1; }
	done &&
	for n in x y; do
		test "$(git_in cc rev-parse "$(node_feed $n)")" = "$(git_in $n rev-parse "$(node_feed $n)")" &&
		test "$(git_in cc2 rev-parse "$(node_feed $n)")" = "$(git_in $n rev-parse "$(node_feed $n)")" || return 1
	done &&
	for n in cc cc2 a b x y; do
		sound $n && git_in $n fsck --strict --full --no-progress 2>/dev/null || return 1
	done &&
	civic --home cc network show >show &&
	grep -q "revoked after $(cat b1): закрита организация" show &&
	civic --home a list --author "НПО Бобошево" >blist && grep -q "Първи отчет" blist &&
	civic --home cc2 fork list >list && ! grep -q "^open" list &&
	civic --home cc2 status --json | grep -q "\"roster_forks\": 0"
'

test_expect_success '5. an admin that went on past the settled roster stays forked, then settles again' '
	new_node z "НПО Зет" rila &&
	civic --home cc2-late member add --name "НПО Зет" --municipality rila --role ngo \
		--key "$(node_key z)" >/dev/null &&
	LATE=$(roster_of cc2-late) &&
	sync_rc cc2-late 1 &&
	test "$(roster_of cc2-late)" = "$LATE" &&
	civic --home cc2-late fork list >list &&
	grep -q "^open       $SETTLED  " list &&
	civic --home cc2-late fork resolve --keep "$LATE" --reason "Зет също" >again &&
	test "$(git_in cc2-late rev-parse "$(cat again)^2")" = "$SETTLED" &&
	sync_rc cc2-late 0 && sync_rc cc 0 &&
	test "$(roster_of cc)" = "$(cat again)" &&
	civic --home cc network show >show && grep -q "НПО Зет" show && grep -q "НПО Игрек" show &&
	sound cc && sound cc2-late
'

test_expect_success '5. an admin may keep the other roster instead: it goes first, its own second' '
	civic --home cc-before fork resolve --keep "$ROSTER_B" --reason "Другият стои" >other &&
	test "$(roster_of cc-before)" = "$(cat other)" &&
	test "$(git_in cc-before rev-parse "$(cat other)^1")" = "$ROSTER_B" &&
	test "$(git_in cc-before rev-parse "$(cat other)^2")" = "$ROSTER_A" &&
	civic --home cc-before fork list >list &&
	grep -q "^merged     $ROSTER_B  " list &&
	sound cc-before &&
	civic --home cc-before network show >show &&
	grep -q "НПО Икс" show && grep -q "НПО Игрек" show
'

# The center revokes its second admin; that admin, on its own roster, had
# made a puppet admin and revoked the center. It cannot settle its way back:
# it can only abandon the center's roster on its own node, which no node
# holding the center's roster heeds.
test_expect_success '6. an admin the other roster revokes cannot settle the fork its way' '
	civic --home cc-war member revoke "$(node_fp cc2)" --reason "злоупотреба" >/dev/null &&
	new_node p "Марионетка" rila &&
	civic --home cc2-war member add --name "Марионетка" --municipality rila --role civic-center \
		--key "$(node_key p)" >/dev/null &&
	civic --home cc2-war member revoke "$(node_fp cc)" --reason "преврат" >/dev/null &&
	{ timeout 60 "$CIVIC" --home cc2-war sync --no-push "$(abs cc-war)/archive.git" >out; test $? = 1; } &&
	grep -q "^  fork " out &&
	ROGUE=$(roster_of cc2-war) CENTER=$(roster_of cc-war) &&
	test_refused 1 cc2-war fork resolve --keep "$ROGUE" --reason "Всичко е наред" &&
	err_has "no open fork of the roster can be settled (2 left open; abandon one with --abandon)" &&
	err_has "revokes a key that signed the other since they part" &&
	civic --home cc2-war fork resolve --abandon "$CENTER" --reason "Не го признавам" >rec &&
	civic --home cc2-war fork list >list && grep -q "^abandoned  $CENTER  " list &&
	{ timeout 60 "$CIVIC" --home cc-war sync --no-push "$(abs cc2-war)/archive.git" >out; test $? = 1; } &&
	test "$(roster_of cc-war)" = "$CENTER" &&
	civic --home cc-war fork list >list && grep -q "^open       $ROGUE  " list
'

# The center holds that admin's roster as evidence, which no settlement can
# take in, an older state of it (ROSTER_B, which the center's revocation of
# that admin now taints too), and a fork of its own laptop's: it settles the
# laptop's, and abandons the other two, each by its head; a node that takes
# the center's archive sees them abandoned too.
test_expect_success '7. what no settlement takes in is left open, the rest settled; an admin abandons it' '
	cp -a cc-war cc-war-laptop &&
	new_node q "НПО Ку" rila && new_node r "НПО Ер" rila &&
	civic --home cc-war member add --name "НПО Ку" --municipality rila --role ngo \
		--key "$(node_key q)" >/dev/null &&
	civic --home cc-war-laptop member add --name "НПО Ер" --municipality rila --role ngo \
		--key "$(node_key r)" >/dev/null &&
	LAPTOP=$(roster_of cc-war-laptop) &&
	{ timeout 60 "$CIVIC" --home cc-war sync --no-push "$(abs cc-war-laptop)/archive.git" >out; test $? = 1; } &&
	civic --home cc-war fork resolve --keep "$(roster_of cc-war)" --reason "Лаптопът" >settled 2>err &&
	grep -q "roster fork $(echo "$ROGUE" | cut -c1-12) left open: .*revokes a key that signed the other" err &&
	test "$(grep -c "left open" err)" = 2 &&
	test "$(git_in cc-war rev-parse "$(cat settled)^2")" = "$LAPTOP" &&
	civic --home cc-war fork list >list &&
	grep -q "^merged     $LAPTOP  " list && grep -q "^open       $ROGUE  " list &&
	grep -q "^open       $ROSTER_B  " list &&
	civic --home cc-war network show >show && grep -q "НПО Ку" show && grep -q "НПО Ер" show &&
	civic --home cc-war fork resolve --abandon "$ROGUE" --reason "Преврат, не се признава" >/dev/null &&
	civic --home cc-war fork list >list &&
	grep -q "^abandoned  $ROGUE  " list && grep -q "^open       $ROSTER_B  " list &&
	civic --home cc-war fork resolve --abandon "$ROSTER_B" --reason "Стара версия" >/dev/null &&
	civic --home cc-war fork list >list &&
	grep -q "^abandoned  $ROGUE  " list && grep -q "^abandoned  $ROSTER_B  " list && ! grep -q "^open " list &&
	sound cc-war && grep -q "a second roster, kept at .*, was abandoned by an admin in record" "$TEST_DIR/audit.out" &&
	civic --home cc-war status --json >status.json &&
	grep -q "\"roster_forks\": *0" status.json &&
	test_refused 1 cc-war fork resolve --abandon "$ROSTER_B" --reason "Пак" &&
	err_has "that roster fork is not open" &&
	test_refused 1 cc-war fork resolve --keep "$(roster_of cc-war)" --reason "Пак" &&
	err_has "no fork of the roster is open" &&
	test_refused 1 cc-war fork resolve --keep "$(roster_of cc-war)" --reason "$(printf "%0260d" 0)" &&
	err_has "the reason"
'

test_expect_success '7. a node that takes the center.s archive sees the abandoned rosters as such' '
	new_node w "НПО Дубъл-ве" rila &&
	fetch_roster cc-war w && civic --home w network join "$(cat cc.net)" >/dev/null &&
	timeout 60 "$CIVIC" --home w sync --no-push "$(abs cc-war)/archive.git" >out &&
	grep -q "^  settled .*an admin abandoned the peer.s; kept as refs/civic/forks/roster/$ROGUE" out &&
	test "$(roster_of w)" = "$(roster_of cc-war)" &&
	civic --home w fork list >list &&
	grep -q "^abandoned  $ROGUE  " list && ! grep -q "^open " list &&
	sound w &&
	test_refused 1 w fork resolve --abandon "$ROGUE" --reason "Не съм администратор" &&
	err_has "not an admin"
'

test_done
