#!/bin/sh
# A feed far ahead on a peer comes in parts (src/steps.h, sync.c
# fetch_in_steps): the peer's refs/civic/steps/<key>/<seq> name every so
# many commits of the feed, a sync asks for them one part at a time, and
# verifies and keeps each part before the next. Here a relay behind a real
# git daemon holds a 40-record feed with steps every 8 (set by hand, as a
# relay may hold anything), and a proxy cuts each connection after 14 KB,
# less than the whole feed.
. "$(dirname "$0")/test-lib.sh"

set -- $(free_ports 8 $((24000 + ($$ % 4000) * 8 + 5)))
PORT_DAEMON=$1 PORT_CUT=$2 PORT_FEW=$3 PORT_OWN=$4 PORT_PUSH=$5 PORT_PCUT=$6 PORT_PGONE=$7 PORT_PCOUNT=$8
set --
CUT=14000
URL="git://127.0.0.1:$PORT_DAEMON"
CUT_URL="git://127.0.0.1:$PORT_CUT"
FEW_URL="git://127.0.0.1:$PORT_FEW"
cp "$TEST_SRC/tests/cli/cutproxy.py" "$TEST_DIR/cutproxy.py"

# relay NAME ARGS...: stock git on srv/NAME.git
relay() { _r=$1; shift; git --git-dir "$TEST_DIR/srv/$_r.git" "$@"; }

# commit_at SEQ: a's feed commit number SEQ
commit_at() { git_in a rev-list --reverse "$(node_feed a)" | sed -n "${1}p"; }

# step_ref SEQ: the step ref of a's feed at SEQ
step_ref() { printf 'refs/civic/steps/%s/%08d' "${FEED#refs/civic/feeds/}" "$1"; }

# sync_json HOME ARGS...: civic sync --json --no-push --no-attachments; exit code in $rc
sync_json() {
	_h=$1
	shift
	civic --home "$_h" sync --json --no-push --no-attachments "$@" >out.json 2>err
	rc=$?
}
num() { sed -n "s/^ *\"$1\": \([0-9]*\),\{0,1\}$/\1/p" out.json | head -n 1; }

test_expect_success 'setup: a network, an author with 40 records, relays behind git daemon and a link cut at 14 KB' '
	new_network cc &&
	join_network cc a "НПО Рила" rila &&
	for n in b c d e f; do join_network cc $n "НПО $n" dupnitsa || return 1; done &&
	for n in a b c d e f; do fetch_roster cc $n || return 1; done &&
	for i in $(seq 40); do add_doc a "Протокол $i" >/dev/null || return 1; done &&
	FEED=$(node_feed a) &&
	mkdir srv &&
	for r in steps plain forged; do
		git init -q --bare srv/$r.git &&
		git_in a push -q "$TEST_DIR/srv/$r.git" "refs/civic/*:refs/civic/*" || return 1
	done &&
	for s in 8 16 24 32; do
		relay steps update-ref "$(step_ref $s)" "$(commit_at $s)" || return 1
	done &&
	start_server daemon.log "$(git --exec-path)/git-daemon" --reuseaddr --export-all \
		--informative-errors --listen=127.0.0.1 --port="$PORT_DAEMON" \
		--base-path="$TEST_DIR/srv" "$TEST_DIR/srv" &&
	start_server cut.out python3 "$TEST_DIR/cutproxy.py" "$PORT_CUT" "$PORT_DAEMON" "$CUT" "$TEST_DIR/cut.log" &&
	wait_port "$PORT_DAEMON" && wait_port "$PORT_CUT" &&
	timeout 30 git ls-remote "$URL/steps.git" >refs &&
	test "$(grep -c refs/civic/steps/ refs)" = 4
'

test_expect_success 'a node far behind takes the feed in parts: one line, every record, a sound audit' '
	sync_json b --records-per-fetch 8 "$URL/steps.git" &&
	test "$rc" = 0 &&
	test "$(num records_accepted)" = 40 &&
	test "$(num fetches)" = 5 &&
	test "$(grep -c "\"ref\": \"$FEED\"" out.json)" = 1 &&
	test "$(git_in b rev-parse "$FEED")" = "$(git_in a rev-parse "$FEED")" &&
	civic --home b audit >audit.out && tail -n 1 audit.out | grep -q "^audit: sound$" &&
	git_in b fsck --strict --full 2>fsck.err
'

test_expect_success 'the peer'\''s steps are neither kept nor remembered: a node writes its own' '
	test -z "$(git_in b for-each-ref refs/civic/steps)" &&
	! grep -q refs/civic/steps b/peers.json
'

test_expect_success 'over the link cut at 14 KB, a feed without steps never arrives' '
	sync_json c "$CUT_URL/plain.git" &&
	test "$rc" != 0 &&
	test "$(num records_accepted)" = 0 &&
	test -z "$(git_in c for-each-ref "$FEED")" &&
	grep -q "cut" cut.log
'

test_expect_success 'over the same link, the feed with steps arrives whole, part after part' '
	sync_json c --records-per-fetch 8 "$CUT_URL/steps.git" &&
	test "$rc" = 0 &&
	test "$(num records_accepted)" = 40 &&
	test "$(git_in c rev-parse "$FEED")" = "$(git_in a rev-parse "$FEED")" &&
	civic --home c audit | tail -n 1 | grep -q "^audit: sound$"
'

test_expect_success 'a part that breaks off is asked for again smaller, down to one step' '
	sync_json d --records-per-fetch 100 "$CUT_URL/steps.git" &&
	test "$rc" = 0 &&
	test "$(num records_accepted)" = 40 &&
	test "$(num fetches)" -gt 5
'

test_expect_success 'a link gone midway keeps the parts that came, and the next sync goes on from there' '
	start_server few.out python3 "$TEST_DIR/cutproxy.py" "$PORT_FEW" "$PORT_DAEMON" 100000000 "$TEST_DIR/few.log" 3 &&
	wait_port "$PORT_FEW" &&
	: >few.log &&
	sync_json e --records-per-fetch 8 "$FEW_URL/steps.git" &&
	test "$rc" != 0 &&
	test "$(num records_accepted)" -ge 8 &&
	kept=$(num records_accepted) &&
	test "$kept" -lt 40 &&
	test "$(git_in e rev-parse "$FEED")" = "$(commit_at "$kept")" &&
	civic --home e audit | tail -n 1 | grep -q "^audit: sound$" &&
	sync_json e --records-per-fetch 8 "$URL/steps.git" &&
	test "$rc" = 0 &&
	test "$(num records_accepted)" = $((40 - kept))
'

test_expect_success 'a forged step is refused by name, and the feed still arrives from its head' '
	parent=$(commit_at 7) &&
	tree=$(git_in a rev-parse "$(commit_at 8)^{tree}") &&
	git_in a log -1 --format=%B "$(commit_at 8)" >msg &&
	forged=$(git_in a -c user.name=Подправил -c user.email=x@example.org commit-tree "$tree" -p "$parent" -F msg) &&
	git_in a push -q "$TEST_DIR/srv/forged.git" "$forged:$(step_ref 8)" &&
	relay forged update-ref "$(step_ref 16)" "$(commit_at 16)" &&
	sync_json f --records-per-fetch 8 "$URL/forged.git" &&
	test "$rc" = 1 &&
	jq -r ".[0].items[] | select(.ref == \"$(step_ref 8)\") | .outcome" out.json >outcomes &&
	test "$(cat outcomes)" = rejected &&
	jq -r ".[0].items[] | select(.ref == \"$(step_ref 8)\") | .reason" out.json | grep -q "is not signed" &&
	test "$(num records_accepted)" = 40 &&
	# the forged part, the next one (dropped) and the head: no fourth for stale wants
	test "$(num fetches)" = 3 &&
	test "$(git_in f rev-parse "$FEED")" = "$(git_in a rev-parse "$FEED")" &&
	! git_in f cat-file -e "$forged" 2>/dev/null
'

test_expect_success 'the text output says how many parts' '
	git init -q --bare srv/late.git &&
	join_network cc g "НПО g" dupnitsa && fetch_roster cc g &&
	civic --home g sync --no-push --no-attachments --records-per-fetch 16 "$URL/steps.git" >out &&
	grep -q "^  fetched in 3 parts$" out &&
	grep -q "40 new records in 1 feeds" out
'

test_expect_success 'bad --records-per-fetch is refused with one line' '
	test_expect_code 129 civic --home g sync --records-per-fetch 0 "$URL/steps.git" 2>err &&
	test "$(wc -l <err)" = 1 &&
	test_expect_code 129 civic --home g sync --records-per-fetch x "$URL/steps.git" 2>err &&
	test "$(wc -l <err)" = 1
'

test_expect_success 'a node names every 128th record itself, and those steps pass a link cut before the whole feed' '
	for i in $(seq 41 300); do add_doc a "Протокол $i" >/dev/null || return 1; done &&
	git_in a for-each-ref --format="%(refname)" refs/civic/steps/ >own &&
	test "$(cat own)" = "$(step_ref 128; echo; step_ref 256)" &&
	test "$(git_in a rev-parse "$(step_ref 128)")" = "$(commit_at 128)" &&
	git init -q --bare srv/own.git &&
	git_in a push -q "$TEST_DIR/srv/own.git" "refs/civic/*:refs/civic/*" &&
	whole=$(echo "$FEED" | relay own pack-objects --revs --stdout | wc -c) &&
	start_server own.out python3 "$TEST_DIR/cutproxy.py" "$PORT_OWN" "$PORT_DAEMON" \
		$((whole * 6 / 10)) "$TEST_DIR/own.log" &&
	wait_port "$PORT_OWN" &&
	join_network cc h "НПО h" dupnitsa && fetch_roster cc h &&
	sync_json h "git://127.0.0.1:$PORT_OWN/own.git" &&
	test "$rc" = 0 &&
	test "$(num records_accepted)" = 300 &&
	test "$(git_in h rev-parse "$FEED")" = "$(git_in a rev-parse "$FEED")" &&
	grep -q "cut" own.log &&
	civic --home h audit | tail -n 1 | grep -q "^audit: sound$"
'

test_expect_success 'civic audit checks each step ref against the record it names; a wrong one is a notice' '
	civic --home h audit >audit.out && ! grep -q "step ref" audit.out &&
	git_in h update-ref "$(step_ref 128)" "$(commit_at 127)" &&
	git_in h update-ref "$(step_ref 384)" "$(commit_at 300)" &&
	git_in h update-ref "$(step_ref 200)" "$(commit_at 200)" &&
	git_in h update-ref refs/civic/steps/junk "$(commit_at 1)" &&
	civic --home h audit >audit.out &&
	test "$(grep -c "^notice " audit.out)" = 4 &&
	grep -q "refs/civic/steps/junk. is not a step ref" audit.out &&
	grep -q "step ref .$(step_ref 128). does not name record 128 of the feed" audit.out &&
	grep -q "step ref .$(step_ref 384). does not name record 384" audit.out &&
	grep -q "step ref .$(step_ref 200). is not at a multiple of 128 records" audit.out &&
	! grep "$(step_ref 256)" audit.out &&
	tail -n 1 audit.out | grep -q "^audit: sound$"
'

# relay_log NAME: what receive-pack moved the feed ref from and to, push
# by push ("old new" per line), by a hook on srv/NAME.git
relay_with_log() {
	git init -q --bare "srv/$1.git" &&
	cat >"srv/$1.git/hooks/post-receive" <<-EOF &&
	#!/bin/sh
	grep " $FEED\$" | cut -d" " -f1,2 >>"$TEST_DIR/srv/$1.log"
	EOF
	chmod +x "srv/$1.git/hooks/post-receive" &&
	: >"srv/$1.log"
}
zero=0000000000000000000000000000000000000000

# push_json NAME ARGS...: civic sync --json --no-attachments of node a with relay NAME
push_json() {
	_p=$1
	shift
	civic --home a sync --json --no-attachments "$@" "$_p" >out.json 2>err
	rc=$?
}
pushed() { jq -r ".[0].items[] | select(.outcome == \"pushed\") | .ref" out.json; }

test_expect_success 'setup: relays that take pushes, behind git daemon, a proxy that cuts and one that goes' '
	start_server push.log "$(git --exec-path)/git-daemon" --reuseaddr --export-all --enable=receive-pack \
		--informative-errors --listen=127.0.0.1 --port="$PORT_PUSH" \
		--base-path="$TEST_DIR/srv" "$TEST_DIR/srv" &&
	wait_port "$PORT_PUSH" &&
	for r in parts whole cut gone; do relay_with_log $r || return 1; done &&
	civic --home a peer add parts "git://127.0.0.1:$PORT_PUSH/parts.git" --relay &&
	civic --home a peer add whole "git://127.0.0.1:$PORT_PUSH/whole.git" --relay
'

test_expect_success 'a push to an empty relay goes in parts: one pack each, the feed moving with its steps' '
	push_json parts --records-per-fetch 128 &&
	test "$rc" = 0 &&
	test "$(num pushes)" = 3 &&
	test "$(relay parts rev-parse "$FEED")" = "$(git_in a rev-parse "$FEED")" &&
	test "$(relay parts rev-parse "$(step_ref 256)")" = "$(commit_at 256)" &&
	printf "%s %s\n" $zero "$(commit_at 128)" "$(commit_at 128)" "$(commit_at 256)" \
		"$(commit_at 256)" "$(commit_at 300)" >want &&
	diff -u want srv/parts.log &&
	test "$(ls srv/parts.git/objects/pack/*.pack | wc -l)" = 3 &&
	test "$(pushed | grep -c "^$FEED\$")" = 1 &&
	pushed | grep -q "^refs/civic/roster\$" &&
	git --git-dir srv/parts.git fsck --strict --full 2>fsck.err
'

test_expect_success 'a node far behind takes every record from the relay that was pushed in parts' '
	join_network cc i "НПО i" dupnitsa && fetch_roster cc i &&
	sync_json i "git://127.0.0.1:$PORT_PUSH/parts.git" &&
	test "$rc" = 0 &&
	test "$(num records_accepted)" = 300 &&
	civic --home i audit | tail -n 1 | grep -q "^audit: sound$"
'

test_expect_success 'a push of fewer records than a part is one push, as before' '
	push_json whole &&
	test "$rc" = 0 &&
	printf "%s %s\n" $zero "$(commit_at 300)" >want &&
	diff -u want srv/whole.log &&
	test "$(ls srv/whole.git/objects/pack/*.pack | wc -l)" = 1
'

test_expect_success 'over a link cut before the whole push, the push in parts arrives' '
	start_server pcut.out python3 "$TEST_DIR/cutproxy.py" "$PORT_PCUT" "$PORT_PUSH" \
		$(($(cat srv/whole.git/objects/pack/*.pack | wc -c) * 6 / 10)) "$TEST_DIR/pcut.log" &&
	wait_port "$PORT_PCUT" &&
	civic --home a peer add cut "git://127.0.0.1:$PORT_PCUT/cut.git" --relay &&
	push_json cut &&
	test "$rc" != 0 &&
	grep -q "^cut" pcut.log &&
	test -z "$(relay cut for-each-ref)" &&
	civic --home a sync --no-attachments --records-per-fetch 128 cut >out &&
	grep -q "^  pushed in 3 parts$" out &&
	test "$(relay cut rev-parse "$FEED")" = "$(git_in a rev-parse "$FEED")"
'

test_expect_success 'a link gone midway leaves the relay a shorter feed that verifies; the next sync goes on' '
	# how many connections a sync makes before it pushes to an empty relay
	# (counted as each is made); the proxy that goes forwards those, the one
	# of wait_port, and the one of the first part
	git init -q --bare srv/empty.git &&
	start_server pcount.out python3 "$TEST_DIR/cutproxy.py" "$PORT_PCOUNT" "$PORT_PUSH" 100000000 \
		"$TEST_DIR/pcount.log" 1000 &&
	wait_port "$PORT_PCOUNT" &&
	: >pcount.log &&
	civic --home a sync --no-push --no-attachments "git://127.0.0.1:$PORT_PCOUNT/empty.git" >/dev/null &&
	before=$(grep -c "^pass" pcount.log) &&
	test "$before" -ge 1 &&
	start_server pgone.out python3 "$TEST_DIR/cutproxy.py" "$PORT_PGONE" "$PORT_PUSH" 100000000 \
		"$TEST_DIR/pgone.log" $((before + 2)) &&
	wait_port "$PORT_PGONE" &&
	civic --home a peer add gone "git://127.0.0.1:$PORT_PGONE/gone.git" --relay &&
	push_json gone --records-per-fetch 128 &&
	test "$rc" != 0 &&
	grep -q "^refused" pgone.log &&
	test "$(relay gone rev-parse "$FEED")" = "$(commit_at 128)" &&
	join_network cc j "НПО j" dupnitsa && fetch_roster cc j &&
	civic --home j sync --json --no-push --no-attachments "$TEST_DIR/srv/gone.git" >out.json 2>err &&
	test "$(num records_accepted)" = 128 &&
	civic --home a peer remove gone &&
	civic --home a peer add gone "git://127.0.0.1:$PORT_PUSH/gone.git" --relay &&
	push_json gone --records-per-fetch 128 &&
	test "$rc" = 0 &&
	printf "%s %s\n" $zero "$(commit_at 128)" "$(commit_at 128)" "$(commit_at 256)" \
		"$(commit_at 256)" "$(commit_at 300)" >want &&
	diff -u want srv/gone.log
'

test_done
