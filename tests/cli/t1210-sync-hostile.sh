#!/bin/sh
# civic sync against hostile peers: tampered and forged commits, rollback by a
# relay, forks, records of another network, keys that are not members,
# oversized objects, a byte cap, a foreign roster, revoked keys, and kill -9
# in the middle of a sync. Each refusal must be reported, must leave nothing
# behind in the receiving archive, and must not cost it anything it held.
#
# Hostile peers are plain bare repositories built with stock git. Member "a"
# and the civic center "cc" use keys made by ssh-keygen (imported), so that
# stock git can sign commits with them. Receivers are copies of two member
# nodes: r0 holds only the roster, rfull also a's feed up to a3 and b's b1.
# A test marked "BUG:" shows a fault of civic sync that is not fixed yet.
. "$(dirname "$0")/test-lib.sh"

DAEMON_PID=
stop_daemon() {
	if test -n "$DAEMON_PID"; then
		kill "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
	fi
}
trap 'stop_daemon; rm -rf "$TEST_DIR"' EXIT
trap 'exit 130' INT TERM HUP

hex_of() { node_feed "$1" | sed "s|refs/civic/feeds/||"; }

# fresh NAME [TEMPLATE]: a copy of a template node (r0 unless named).
fresh() { rm -rf "$1" && cp -a "${2:-r0}" "$1"; }

# peer NAME: an empty bare repository NAME.git, a hostile peer to fill.
peer() { rm -rf "$1.git" && git init -q --bare "$1.git"; }

# pg NAME ARGS...: stock git in peer NAME.
pg() {
	_p=$1
	shift
	git --git-dir "$TEST_DIR/$_p.git" "$@"
}

# put PEER HOME REFSPEC: copies refs and their objects from node HOME to PEER.
put() { pg "$1" fetch -q "$(abs "$2")/archive.git" "$3"; }

# idx PEER ARGS...: git on a scratch index (bare repositories have none).
idx() {
	_p=$1
	shift
	GIT_INDEX_FILE="$TEST_DIR/scratch.index" git --git-dir "$TEST_DIR/$_p.git" "$@"
}

# tree_with PEER BASE PATH BLOB: BASE's tree with PATH set to BLOB.
tree_with() {
	rm -f "$TEST_DIR/scratch.index" &&
	idx "$1" read-tree "$2" &&
	idx "$1" update-index --add --cacheinfo "100644,$4,$3" &&
	idx "$1" write-tree
}

# blob PEER < BYTES: writes a blob, prints its id.
blob() { pg "$1" hash-object -w --stdin; }

# a_commit PEER TREE MSGFILE [-p PARENT]...: signed by member a's key with
# stock git, as civic would sign it.
a_commit() {
	_p=$1 _t=$2 _m=$3
	shift 3
	GIT_AUTHOR_NAME="НПО Рила" GIT_AUTHOR_EMAIL="$HEX_A@civic" \
	GIT_COMMITTER_NAME="НПО Рила" GIT_COMMITTER_EMAIL="$HEX_A@civic" \
	pg "$_p" -c gpg.format=ssh -c user.signingkey="$TEST_DIR/akey" commit-tree -S "$_t" "$@" -F "$_m"
}

# unsigned_commit PEER TREE MSGFILE [-p PARENT]...: the same without a signature.
unsigned_commit() {
	_p=$1 _t=$2 _m=$3
	shift 3
	GIT_AUTHOR_NAME="НПО Рила" GIT_AUTHOR_EMAIL="$HEX_A@civic" \
	GIT_COMMITTER_NAME="НПО Рила" GIT_COMMITTER_EMAIL="$HEX_A@civic" \
	pg "$_p" commit-tree "$_t" "$@" -F "$_m"
}

# feed_msg FILE SUBJECT NETWORK SEQ: a commit message as civic writes it.
feed_msg() { printf "%s\n\nCivic-Network: %s\nCivic-Seq: %s\n" "$2" "$3" "$4" >"$1"; }

record_json() {
	printf "{\n  \"date\": \"2015-03-01\",\n  \"document_type\": \"report\",\n  \"kind\": \"document\",\n  \"title\": \"%s\",\n  \"visibility\": \"public\"\n}\n" "$1"
}

# items FILE: one line per item of `civic sync --json`: OUTCOME REF RECORDS REASON
items() {
	python3 - "$1" <<-\EOF
	import json, sys
	for p in json.load(open(sys.argv[1])):
	    for it in p["items"]:
	        print(it["outcome"], it["ref"], it["records"], it["reason"])
	EOF
}

# sync_json HOME CODE ARGS...: `civic --home HOME sync --json ARGS...` must
# exit with CODE; its items go to $TEST_DIR/items (shown when a test fails).
sync_json() {
	_h=$1 _want=$2
	shift 2
	"$CIVIC" --home "$_h" sync --json "$@" >"$TEST_DIR/sync.json" 2>"$TEST_DIR/sync.err"
	_rc=$?
	cat "$TEST_DIR/sync.err" >&2
	if ! items "$TEST_DIR/sync.json" >"$TEST_DIR/items"; then
		echo "# sync --json printed no report:" >&2
		cat "$TEST_DIR/sync.json" >&2
		return 1
	fi
	sed 's/^/# item: /' "$TEST_DIR/items" >&2
	if [ "$_rc" != "$_want" ]; then
		echo "# civic sync exited $_rc, expected $_want: $*" >&2
		return 1
	fi
}

# item_is OUTCOME REF RECORDS [TEXT...]: the last sync_json reported exactly
# one fetch item (not pushed, not push-failed) for REF, with that outcome and
# record count, whose reason holds each TEXT.
item_is() {
	_o=$1 _r=$2 _n=$3
	shift 3
	grep -v "^push" "$TEST_DIR/items" | grep "^$_o $_r " >"$TEST_DIR/item" || true
	_line=$(cat "$TEST_DIR/item")
	if [ "$(wc -l <"$TEST_DIR/item")" != 1 ]; then
		echo "# expected one $_o item for $_r" >&2
		return 1
	fi
	case "$_line" in
	"$_o $_r $_n"*) ;;
	*) echo "# expected '$_o $_r $_n ...', got '$_line'" >&2; return 1 ;;
	esac
	for _t in "$@"; do
		case "$_line" in
		*"$_t"*) ;;
		*) echo "# the reason lacks '$_t': $_line" >&2; return 1 ;;
		esac
	done
}

# no_item REF: the last sync_json said nothing about REF.
no_item() {
	if grep -q " $1 " "$TEST_DIR/items"; then
		echo "# unexpected item for $1" >&2
		return 1
	fi
}

# item_count N: the last sync_json reported N items.
item_count() {
	test "$(wc -l <"$TEST_DIR/items")" = "$1" || {
		echo "# expected $1 items, got $(wc -l <"$TEST_DIR/items")" >&2
		return 1
	}
}

# sound HOME [TEXT]: civic audit and git fsck --strict pass on HOME; the
# audit's output (in audit.out) holds TEXT.
sound() {
	if ! "$CIVIC" --home "$1" audit >"$TEST_DIR/audit.out" 2>&1; then
		echo "# civic audit of $1 fails:" >&2
		cat "$TEST_DIR/audit.out" >&2
		return 1
	fi
	if test -n "${2:-}" && ! grep -q -F -e "$2" "$TEST_DIR/audit.out"; then
		echo "# audit of $1 lacks '$2':" >&2
		cat "$TEST_DIR/audit.out" >&2
		return 1
	fi
	git_in "$1" fsck --strict --full --no-dangling >"$TEST_DIR/fsck.out" 2>&1 || {
		echo "# git fsck of $1 fails:" >&2
		cat "$TEST_DIR/fsck.out" >&2
		return 1
	}
}

# unchanged HOME: HOME's archive is as archive_state saved it in HOME.state.
unchanged() {
	archive_state "$1" >"$TEST_DIR/$1.now" 2>&1
	cmp -s "$TEST_DIR/$1.state" "$TEST_DIR/$1.now" || {
		echo "# the archive of $1 changed:" >&2
		diff "$TEST_DIR/$1.state" "$TEST_DIR/$1.now" >&2
		return 1
	}
}
save_state() { archive_state "$1" >"$TEST_DIR/$1.state" 2>&1; }

# lacks HOME OBJECT: HOME's archive does not hold OBJECT.
lacks() {
	if git_in "$1" cat-file -e "$2" 2>/dev/null; then
		echo "# $1 holds $2" >&2
		return 1
	fi
}

# no_quarantine HOME: nothing is left under HOME/tmp/quarantine-*.
no_quarantine() {
	if ls -d "$1"/tmp/quarantine-* >/dev/null 2>&1; then
		echo "# a quarantine is left in $1/tmp:" >&2
		ls -la "$1/tmp" >&2
		return 1
	fi
}

test_expect_success 'setup: a network of five; a and b write; the center and r hold every feed' '
	ssh-keygen -q -t ed25519 -N "" -f cckey &&
	ssh-keygen -q -t ed25519 -N "" -f akey &&
	civic --home cc init --name "Граждански център" --municipality kyustendil --role civic-center \
		--no-passphrase --import-key cckey >/dev/null &&
	civic --home cc network create --name "Мрежа" >cc.net &&
	civic --home a init --name "НПО Рила" --municipality rila --no-passphrase \
		--import-key akey >/dev/null &&
	civic --home cc member add --name "НПО Рила" --municipality rila --role ngo \
		--key "$(node_key a)" >/dev/null &&
	fetch_roster cc a &&
	civic --home a network join "$(cat cc.net)" >/dev/null &&
	join_network cc b "НПО Дупница" dupnitsa &&
	join_network cc g "НПО Голям" bobov-dol &&
	join_network cc r "НПО Приемник" treklyano &&
	rm -rf r0 && cp -a r r0 &&
	add_doc a "А1" >a1 && add_doc a "А2" >a2 && add_doc a "А3" >a3 &&
	add_doc b "Б1" >b1 &&
	civic --home cc sync "$(abs a)/archive.git" "$(abs b)/archive.git" >out &&
	civic --home r sync "$(abs cc)/archive.git" >out &&
	HEX_A=$(hex_of a) FEED_A=$(node_feed a) FEED_B=$(node_feed b) FEED_G=$(node_feed g) &&
	NET=$(cat cc.net) &&
	R4=records/00/00/00/00000004.json &&
	test "$(git_in r rev-parse "$FEED_A")" = "$(cat a3)" &&
	sound cc "records: 4 valid" &&
	sound r "records: 4 valid" &&
	civic --home cc allowed-signers >as &&
	rm -rf rfull && cp -a r rfull &&
	test "$(git_in r0 rev-parse refs/civic/roster)" = "$(git_in cc rev-parse refs/civic/roster)" &&
	lacks r0 "$(cat a1)" &&
	sound r0 "records: 0 valid"
'

# --- 1. a tampered commit ----------------------------------------------------

test_expect_success '1. setup: a peer whose newest commit of a was edited and re-hashed' '
	peer evil1 &&
	put evil1 a "$FEED_A:$FEED_A" &&
	put evil1 b "$FEED_B:$FEED_B" &&
	pg evil1 cat-file commit "$(cat a3)" | sed "s/^document: А3\$/document: А3 подправен/" >forged &&
	grep -q "подправен" forged &&
	grep -q "^gpgsig " forged &&
	F=$(pg evil1 hash-object -t commit -w --stdin <forged) &&
	pg evil1 update-ref "$FEED_A" "$F" &&
	pg evil1 fsck --strict --full --no-dangling &&
	test_must_fail pg evil1 -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$F" &&
	pg evil1 -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$(cat a2)"
'

test_expect_success '1. a receiver holding only a1 takes a2 and b1, not the tampered a3' '
	fresh r1 &&
	git_in r1 fetch -q "$(abs a)/archive.git" "$(cat a1):$FEED_A" &&
	sync_json r1 1 "$(abs evil1.git)" &&
	item_is accepted "$FEED_A" 1 &&
	item_is rejected "$FEED_A" 0 "after 1 good records" "signature" "$(echo "$F" | cut -c1-12)" &&
	item_is accepted "$FEED_B" 1 &&
	item_count 3 &&
	test "$(git_in r1 rev-parse "$FEED_A")" = "$(cat a2)" &&
	test "$(git_in r1 rev-parse "$FEED_B")" = "$(cat b1)" &&
	lacks r1 "$F" &&
	no_quarantine r1 &&
	sound r1 "records: 3 valid, 0 pending"
'

# The good run of a feed is kept and its refused tail reported and counted
# as refused on its own line: exit 1.
test_expect_success '1. the refused tail counts as refused: exit 1, "1 refused"' '
	fresh r1b &&
	git_in r1b fetch -q "$(abs a)/archive.git" "$(cat a1):$FEED_A" &&
	test_expect_code 1 civic --home r1b sync "$(abs evil1.git)" >out &&
	cat out &&
	grep -q "^sync .*; 1 refused, 0 forks" out &&
	test "$(git_in r1b rev-parse "$FEED_A")" = "$(cat a2)"
'

test_expect_success '1. offered again, the tampered commit alone is rejected and nothing is stored' '
	save_state r1 &&
	sync_json r1 1 "$(abs evil1.git)" &&
	item_is rejected "$FEED_A" 0 "signature" &&
	item_count 1 &&
	unchanged r1 &&
	lacks r1 "$F" &&
	no_quarantine r1 &&
	sound r1 "records: 3 valid"
'

test_expect_success '1. a receiver holding all of a: the tampered twin of a3 is no fork, it is rejected' '
	fresh r1c rfull &&
	save_state r1c &&
	sync_json r1c 1 "$(abs evil1.git)" &&
	item_is rejected "$FEED_A" 0 "signature" &&
	item_count 1 &&
	unchanged r1c &&
	test "$(git_in r1c rev-parse "$FEED_A")" = "$(cat a3)" &&
	lacks r1c "$F" &&
	! git_in r1c for-each-ref refs/civic/forks/ | grep -q . &&
	sound r1c "records: 4 valid"
'

test_expect_success '1. a'"'"'s signed commits offered under b'"'"'s feed ref are rejected' '
	peer evil1b &&
	put evil1b a "$FEED_A:$FEED_B" &&
	fresh r1d &&
	save_state r1d &&
	sync_json r1d 1 "$(abs evil1b.git)" &&
	item_is rejected "$FEED_B" 0 &&
	item_count 1 &&
	unchanged r1d &&
	test_must_fail git_in r1d rev-parse -q --verify "$FEED_B" &&
	test_must_fail git_in r1d rev-parse -q --verify "$FEED_A"
'

# --- 2. rollback by a relay ------------------------------------------------------

# start_daemon DIR: git daemon serving the bare repositories under DIR, with
# push, on a free port of 127.0.0.1 ($PORT). It runs under timeout, so it
# stops by itself even if this script is killed.
start_daemon() {
	for _try in 1 2 3 4 5 6 7 8; do
		PORT=$((40000 + ($$ * 7 + _try * 131) % 20000))
		timeout 120 git daemon --reuseaddr --listen=127.0.0.1 --port="$PORT" \
			--base-path="$1" --export-all --enable=receive-pack --informative-errors \
			"$1" >"$TEST_DIR/daemon.log" 2>&1 &
		DAEMON_PID=$!
		_w=0
		while test $_w -lt 50; do
			if git ls-remote "git://127.0.0.1:$PORT/relay.git" >/dev/null 2>&1; then
				return 0
			fi
			kill -0 "$DAEMON_PID" 2>/dev/null || break
			sleep 0.1
			_w=$((_w + 1))
		done
		stop_daemon
	done
	echo "# cannot start git daemon:" >&2
	cat "$TEST_DIR/daemon.log" >&2
	return 1
}

test_expect_success '2. setup: a relay that rewound a'"'"'s feed and the roster, and dropped b'"'"'s feed' '
	mkdir relays &&
	git init -q --bare relays/relay.git &&
	git --git-dir relays/relay.git fetch -q "$(abs cc)/archive.git" "refs/civic/*:refs/civic/*" &&
	git --git-dir relays/relay.git update-ref "$FEED_A" "$(cat a1)" &&
	git --git-dir relays/relay.git update-ref refs/civic/roster "$NET" &&
	git --git-dir relays/relay.git update-ref -d "$FEED_B" &&
	test "$(git --git-dir relays/relay.git rev-list --count refs/civic/roster)" = 1
'

test_expect_success '2. synced as a plain peer: peer-behind, the receiver loses nothing' '
	fresh r2 rfull &&
	save_state r2 &&
	sync_json r2 0 "$(abs relays/relay.git)" &&
	item_is peer-behind "$FEED_A" 0 &&
	item_is peer-behind refs/civic/roster 0 &&
	no_item "$FEED_B" &&
	! grep -q "^pushed" items &&
	unchanged r2 &&
	test "$(git_in r2 rev-parse "$FEED_A")" = "$(cat a3)" &&
	test "$(git --git-dir relays/relay.git rev-parse "$FEED_A")" = "$(cat a1)" &&
	sound r2 "records: 4 valid"
'

test_expect_success '2. as a relay behind git daemon: the newer heads are pushed back' '
	start_daemon "$TEST_DIR/relays" &&
	URL="git://127.0.0.1:$PORT/relay.git" &&
	civic --home r2 peer add relay "$URL" --relay &&
	save_state r2 &&
	sync_json r2 0 relay &&
	item_is peer-behind "$FEED_A" 0 &&
	item_is peer-behind refs/civic/roster 0 &&
	grep -q "^pushed $FEED_A " items &&
	grep -q "^pushed $FEED_B " items &&
	grep -q "^pushed refs/civic/roster " items &&
	unchanged r2 &&
	git ls-remote "$URL" "refs/civic/*" >ls &&
	grep -q "^$(cat a3)	$FEED_A\$" ls &&
	grep -q "^$(cat b1)	$FEED_B\$" ls &&
	grep -q "^$(git_in r2 rev-parse refs/civic/roster)	refs/civic/roster\$" ls &&
	sound r2 "records: 4 valid"
'

test_expect_success '2. the next sync with the relay is a no-op' '
	save_state r2 &&
	sync_json r2 0 relay &&
	item_count 0 &&
	unchanged r2 &&
	civic --home r2 status >status.out &&
	grep -q "relay" status.out
'

test_expect_success '2. a relay rewound again while another node syncs: that node keeps all' '
	git --git-dir relays/relay.git update-ref "$FEED_A" "$(cat a2)" &&
	fresh r2b rfull &&
	civic --home r2b peer add relay "$URL" --relay &&
	save_state r2b &&
	sync_json r2b 0 relay &&
	item_is peer-behind "$FEED_A" 0 &&
	grep -q "^pushed $FEED_A " items &&
	test "$(git ls-remote "$URL" "$FEED_A" | cut -f1)" = "$(cat a3)" &&
	unchanged r2b
'

test_expect_success '2. a relay whose head of a was tampered: rejected, and the good head pushed over it' '
	git --git-dir relays/relay.git cat-file -e "$F" 2>/dev/null ||
		git --git-dir relays/relay.git hash-object -t commit -w --stdin <forged >/dev/null &&
	git --git-dir relays/relay.git update-ref "$FEED_A" "$F" &&
	fresh r2c rfull &&
	civic --home r2c peer add relay "$URL" --relay &&
	save_state r2c &&
	sync_json r2c 1 relay &&
	item_is rejected "$FEED_A" 0 "signature" &&
	grep -q "^pushed $FEED_A " items &&
	test "$(git ls-remote "$URL" "$FEED_A" | cut -f1)" = "$(cat a3)" &&
	unchanged r2c &&
	lacks r2c "$F"
'

test_expect_success '2. a relay that refuses the push: push-failed, exit 1, the receiver keeps all' '
	git --git-dir relays/relay.git update-ref "$FEED_A" "$(cat a1)" &&
	printf "#!/bin/sh\necho relay says no >&2\nexit 1\n" >relays/relay.git/hooks/pre-receive &&
	chmod +x relays/relay.git/hooks/pre-receive &&
	fresh r2d rfull &&
	civic --home r2d peer add relay "$URL" --relay &&
	save_state r2d &&
	sync_json r2d 1 relay &&
	item_is peer-behind "$FEED_A" 0 &&
	grep -q "^push-failed $FEED_A " items &&
	! grep -q "^pushed " items &&
	test "$(git ls-remote "$URL" "$FEED_A" | cut -f1)" = "$(cat a1)" &&
	unchanged r2d &&
	rm relays/relay.git/hooks/pre-receive &&
	sync_json r2d 0 relay &&
	grep -q "^pushed $FEED_A " items &&
	stop_daemon
'

# --- 3. a fork: two laptops with one key -------------------------------------------

test_expect_success '3. setup: a second laptop of a (cp -a); each adds a different record' '
	rm -rf laptop2 && cp -a a laptop2 &&
	add_doc a "Лаптоп 1" >a4 &&
	add_doc laptop2 "Лаптоп 2" >a4x &&
	test "$(cat a4)" != "$(cat a4x)" &&
	rm -rf c3 && cp -a cc c3
'

test_expect_success '3. the center takes the first laptop'"'"'s record' '
	sync_json c3 0 "$(abs a)/archive.git" &&
	item_is accepted "$FEED_A" 1 &&
	test "$(git_in c3 rev-parse "$FEED_A")" = "$(cat a4)"
'

test_expect_success '3. the second laptop'"'"'s record is a fork, kept as evidence' '
	save_state c3 &&
	sync_json c3 1 "$(abs laptop2)/archive.git" &&
	item_is fork "$FEED_A" 1 "refs/civic/forks/$HEX_A/$(cat a4x)" &&
	item_is peer-behind refs/civic/roster 0 &&
	item_count 2 &&
	test "$(git_in c3 rev-parse "$FEED_A")" = "$(cat a4)" &&
	git_in c3 for-each-ref --format="%(objectname) %(refname)" refs/civic/forks/ >forks &&
	test "$(cat forks)" = "$(cat a4x) refs/civic/forks/$HEX_A/$(cat a4x)" &&
	grep -v "refs/civic/forks/" c3.state >expected &&
	archive_state c3 | grep -v "refs/civic/forks/" | grep -v "^objects: " >now &&
	grep -v "^objects: " expected | diff - now &&
	civic --home c3 allowed-signers >as3 &&
	git_in c3 -c gpg.ssh.allowedSignersFile="$TEST_DIR/as3" verify-commit "$(cat a4x)"
'

test_expect_success '3. civic status shows the FORK' '
	civic --home c3 status >status.out &&
	grep -A1 "НПО Рила" status.out | grep -q "4 records, FORK: 1 other signed histories kept" &&
	civic --home c3 status --json >status.json &&
	python3 - status.json "$HEX_A" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	f = [f for f in d["feeds"] if f["feed"] == sys.argv[2]]
	assert len(f) == 1 and f[0]["forks"] == 1 and f[0]["records"] == 4, f
	assert all(g["forks"] == 0 for g in d["feeds"] if g["feed"] != sys.argv[2]), d
	EOF
'

test_expect_success '3. civic audit lists a fork finding and still exits 0' '
	sound c3 "records: 5 valid" &&
	grep -q "fork" audit.out &&
	grep -q "refs/civic/forks/$HEX_A/$(cat a4x)" audit.out &&
	test "$(tail -n 1 audit.out)" = "audit: sound" &&
	civic --home c3 audit --json >audit.json &&
	python3 - audit.json "$(cat a4x)" "$HEX_A" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["sound"] is True and d["forks"] == 1, d
	f = [f for f in d["findings"] if f["level"] == "fork"]
	assert len(f) == 1 and f[0]["commit"] == sys.argv[2] and f[0]["feed"] == sys.argv[3], f
	EOF
'

test_expect_success '3. syncing again from both laptops is a no-op' '
	save_state c3 &&
	sync_json c3 0 "$(abs laptop2)/archive.git" &&
	item_is peer-behind refs/civic/roster 0 &&
	item_count 1 &&
	sync_json c3 0 "$(abs a)/archive.git" &&
	item_is peer-behind refs/civic/roster 0 &&
	item_count 1 &&
	unchanged c3
'

test_expect_success '3. a third node syncing from the center gets the feed and the fork evidence' '
	fresh r3 &&
	sync_json r3 1 "$(abs c3)/archive.git" &&
	item_is accepted "$FEED_A" 4 &&
	item_is accepted "$FEED_B" 1 &&
	item_is fork "refs/civic/forks/$HEX_A/$(cat a4x)" 1 &&
	test "$(git_in r3 rev-parse "$FEED_A")" = "$(cat a4)" &&
	test "$(git_in r3 rev-parse "refs/civic/forks/$HEX_A/$(cat a4x)")" = "$(cat a4x)" &&
	sound r3 "records: 5 valid" &&
	civic --home r3 audit --json >audit.json &&
	python3 - audit.json <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["sound"] is True and d["forks"] == 1, d
	EOF
'

test_expect_success '3. and syncing that again is a no-op' '
	save_state r3 &&
	sync_json r3 0 "$(abs c3)/archive.git" &&
	item_count 0 &&
	unchanged r3
'

test_expect_success '3. a node that first met the second laptop keeps the other side as the fork' '
	fresh r3b &&
	sync_json r3b 0 "$(abs laptop2)/archive.git" &&
	test "$(git_in r3b rev-parse "$FEED_A")" = "$(cat a4x)" &&
	sync_json r3b 1 "$(abs c3)/archive.git" &&
	item_is fork "$FEED_A" 1 "refs/civic/forks/$HEX_A/$(cat a4)" &&
	no_item "refs/civic/forks/$HEX_A/$(cat a4x)" &&
	test "$(git_in r3b rev-parse "$FEED_A")" = "$(cat a4x)" &&
	test "$(git_in r3b rev-parse "refs/civic/forks/$HEX_A/$(cat a4)")" = "$(cat a4)" &&
	sound r3b "records: 5 valid"
'

test_expect_success '3. an unsigned second history is rejected, not kept as a fork' '
	peer evil3 &&
	put evil3 laptop2 "$FEED_A:$FEED_A" &&
	pg evil3 cat-file commit "$(cat a4x)" | sed "/^gpgsig /,/^ -----END SSH SIGNATURE-----\$/d" >unsigned &&
	! grep -q "^gpgsig" unsigned &&
	U=$(pg evil3 hash-object -t commit -w --stdin <unsigned) &&
	pg evil3 update-ref "$FEED_A" "$U" &&
	fresh r3c c3 &&
	save_state r3c &&
	sync_json r3c 1 "$(abs evil3.git)" &&
	item_is rejected "$FEED_A" 0 "sign" &&
	item_count 1 &&
	unchanged r3c &&
	lacks r3c "$U"
'

test_expect_success '3. forged fork evidence (tampered, or under a name not its commit) is not kept' '
	peer evil3b &&
	put evil3b laptop2 "$FEED_A:refs/civic/forks/$HEX_A/$(cat a4x)" &&
	test "$(pg evil3b hash-object -t commit -w --stdin <unsigned)" = "$U" &&
	pg evil3b update-ref "refs/civic/forks/$HEX_A/$U" "$U" &&
	pg evil3b update-ref "refs/civic/forks/$HEX_A/$(cat a4)" "$(cat a4x)" &&
	pg evil3b update-ref "refs/civic/forks/$HEX_A/$(cat a4x)" "$U" &&
	fresh r3d rfull &&
	git_in r3d fetch -q "$(abs a)/archive.git" "$FEED_A:$FEED_A" &&
	save_state r3d &&
	sync_json r3d 1 "$(abs evil3b.git)" &&
	item_is rejected "refs/civic/forks/$HEX_A/$U" 0 &&
	no_item "refs/civic/forks/$HEX_A/$(cat a4)" &&
	no_item "refs/civic/forks/$HEX_A/$(cat a4x)" &&
	unchanged r3d &&
	lacks r3d "$U" &&
	sound r3d "records: 5 valid"
'

# --- 4. records of another network ---------------------------------------------

test_expect_success '4. setup: network 2, where a'"'"'s key (imported again) and y are members' '
	new_network cc2 "Друга мрежа" &&
	test "$(cat cc2.net)" != "$NET" &&
	civic --home an2 init --name "НПО Рила" --municipality rila --no-passphrase \
		--import-key akey >/dev/null &&
	test "$(node_feed an2)" = "$FEED_A" &&
	civic --home cc2 member add --name "НПО Рила" --municipality rila --role ngo \
		--key "$(node_key an2)" >/dev/null &&
	fetch_roster cc2 an2 &&
	civic --home an2 network join "$(cat cc2.net)" >/dev/null &&
	add_doc an2 "От друга мрежа" >n2a1 &&
	git_in an2 cat-file commit "$(cat n2a1)" | grep -q "^Civic-Network: $(cat cc2.net)\$" &&
	join_network cc2 y "НПО Другаде" sapareva-banya &&
	add_doc y "У1" >y1 &&
	FEED_Y=$(node_feed y) &&
	peer evil4 &&
	put evil4 an2 "$FEED_A:$FEED_A" &&
	put evil4 y "$FEED_Y:$FEED_Y"
'

test_expect_success '4. a member'"'"'s record signed for another network is rejected; a non-member'"'"'s too' '
	fresh r4 &&
	save_state r4 &&
	sync_json r4 1 "$(abs evil4.git)" &&
	item_is rejected "$FEED_A" 0 "network" &&
	item_is rejected "$FEED_Y" 0 "not a member" &&
	item_count 2 &&
	unchanged r4 &&
	lacks r4 "$(cat n2a1)" &&
	lacks r4 "$(cat y1)" &&
	no_quarantine r4 &&
	sound r4 "records: 0 valid, 0 pending"
'

test_expect_success '4. beside the member'"'"'s real feed, it is rejected too, not kept as a fork' '
	fresh r4b rfull &&
	save_state r4b &&
	sync_json r4b 1 "$(abs evil4.git)" &&
	item_is rejected "$FEED_A" 0 "network" &&
	unchanged r4b &&
	lacks r4b "$(cat n2a1)" &&
	sound r4b "records: 4 valid"
'

test_expect_success '4. the other network'"'"'s center itself, as a peer, changes nothing' '
	fresh r4c rfull &&
	save_state r4c &&
	sync_json r4c 1 "$(abs cc2)/archive.git" &&
	item_is rejected refs/civic/roster 0 &&
	unchanged r4c &&
	sound r4c "records: 4 valid"
'

test_expect_success '4. a record signed with stock git for another network, on top of a3, is rejected' '
	peer evil4b &&
	put evil4b a "$FEED_A:$FEED_A" &&
	T=$(tree_with evil4b "$(cat a3)" $R4 "$(record_json "Четвърти" | blob evil4b)") &&
	feed_msg msg "document: Четвърти" "$(cat cc2.net)" 4 &&
	C=$(a_commit evil4b "$T" msg -p "$(cat a3)") &&
	pg evil4b update-ref "$FEED_A" "$C" &&
	fresh r4d rfull &&
	save_state r4d &&
	sync_json r4d 1 "$(abs evil4b.git)" &&
	item_is rejected "$FEED_A" 0 "network" &&
	unchanged r4d &&
	lacks r4d "$C"
'

test_expect_success '4. the same commit with this network'"'"'s id is accepted: the check was the trailer' '
	feed_msg msg "document: Четвърти" "$NET" 4 &&
	C=$(a_commit evil4b "$T" msg -p "$(cat a3)") &&
	pg evil4b update-ref "$FEED_A" "$C" &&
	sync_json r4d 0 "$(abs evil4b.git)" &&
	item_is accepted "$FEED_A" 1 &&
	test "$(git_in r4d rev-parse "$FEED_A")" = "$C" &&
	sound r4d "records: 5 valid"
'

# --- 5. a key that is not a member -------------------------------------------------

test_expect_success '5. setup: x pinned the network id, but is not admitted; it writes two records' '
	new_node x "Кандидат" kocherinovo &&
	civic --home x network join "$NET" >/dev/null &&
	add_doc x "Х1" >x1 2>/dev/null &&
	add_doc x "Х2" >x2 2>/dev/null &&
	FEED_X=$(node_feed x)
'

test_expect_success '5. its feed is rejected as not a member; nothing is stored' '
	fresh r5 rfull &&
	save_state r5 &&
	sync_json r5 1 "$(abs x)/archive.git" &&
	item_is rejected "$FEED_X" 0 "not a member" &&
	item_count 1 &&
	unchanged r5 &&
	lacks r5 "$(cat x1)" &&
	no_quarantine r5 &&
	sound r5 "records: 4 valid, 0 pending"
'

test_expect_success '5. once the center admits x and the receiver has that roster, the feed is accepted' '
	rm -rf cc5 && cp -a cc cc5 &&
	civic --home cc5 member add --name "Кандидат" --municipality kocherinovo --role ngo \
		--key "$(node_key x)" >/dev/null &&
	sync_json r5 0 "$(abs cc5)/archive.git" &&
	item_is accepted refs/civic/roster 6 &&
	sync_json r5 0 "$(abs x)/archive.git" &&
	item_is accepted "$FEED_X" 2 &&
	test "$(git_in r5 rev-parse "$FEED_X")" = "$(cat x2)" &&
	sound r5 "records: 6 valid, 0 pending"
'

test_expect_success '5. a peer with the new roster and the feed: both taken in one sync' '
	peer evil5 &&
	put evil5 cc5 "refs/civic/roster:refs/civic/roster" &&
	put evil5 x "$FEED_X:$FEED_X" &&
	fresh r5b rfull &&
	sync_json r5b 0 "$(abs evil5.git)" &&
	item_is accepted refs/civic/roster 6 &&
	item_is accepted "$FEED_X" 2 &&
	sound r5b "records: 6 valid, 0 pending"
'

# --- 6. oversized objects ------------------------------------------------------------

# over PEER: a peer holding a's feed up to a3, to put one more commit on.
over() { peer "$1" && put "$1" a "$FEED_A:$FEED_A"; }

# refused_whole HOME PEER TEXT: HOME (a copy of rfull) syncs from PEER: a's
# feed is rejected with one reason holding TEXT; nothing changes.
refused_whole() {
	fresh "$1" rfull &&
	save_state "$1" &&
	sync_json "$1" 1 "$(abs "$2.git")" &&
	item_is rejected "$FEED_A" 0 "$3" &&
	item_count 1 &&
	unchanged "$1" &&
	no_quarantine "$1" &&
	sound "$1" "records: 4 valid"
}

test_expect_success '6. a signed commit whose record is a 2 MB random blob is rejected' '
	over evil6a &&
	head -c 1572864 /dev/urandom | base64 -w 0 >big.blob &&
	test "$(wc -c <big.blob)" -gt 2000000 &&
	B=$(blob evil6a <big.blob) &&
	T=$(tree_with evil6a "$(cat a3)" $R4 "$B") &&
	feed_msg msg "document: Голям" "$NET" 4 &&
	C=$(a_commit evil6a "$T" msg -p "$(cat a3)") &&
	pg evil6a update-ref "$FEED_A" "$C" &&
	refused_whole r6a evil6a "too large" &&
	lacks r6a "$B"
'

test_expect_success '6. a record blob of 8 MB of zeros (a few KB packed) is rejected unread' '
	over evil6b &&
	B=$(head -c 8388608 /dev/zero | blob evil6b) &&
	T=$(tree_with evil6b "$(cat a3)" $R4 "$B") &&
	feed_msg msg "document: Нули" "$NET" 4 &&
	C=$(a_commit evil6b "$T" msg -p "$(cat a3)") &&
	pg evil6b update-ref "$FEED_A" "$C" &&
	refused_whole r6b evil6b "too large"
'

test_expect_success '6. an unsigned commit with a 200 KB message is rejected' '
	over evil6c &&
	T=$(tree_with evil6c "$(cat a3)" $R4 "$(record_json "Дълъг" | blob evil6c)") &&
	{ printf "document: Дълъг\n\n" && head -c 150000 /dev/urandom | base64 &&
	  printf "\nCivic-Network: %s\nCivic-Seq: 4\n" "$NET"; } >msg &&
	C=$(unsigned_commit evil6c "$T" msg -p "$(cat a3)") &&
	pg evil6c update-ref "$FEED_A" "$C" &&
	refused_whole r6c evil6c "too large"
'

test_expect_success '6. a signed commit whose tree has 2000 entries is rejected' '
	over evil6d &&
	i=0 && : >entries &&
	E=$(record_json "Празен" | blob evil6d) &&
	while test $i -lt 2000; do
		printf "100644 blob %s\tstray-%05d.json\n" "$E" $i >>entries
		i=$((i + 1))
	done &&
	pg evil6d ls-tree "$(cat a3)" >>entries &&
	T=$(pg evil6d mktree <entries) &&
	test "$(pg evil6d cat-file -s "$T")" -gt 40000 &&
	feed_msg msg "document: Много" "$NET" 4 &&
	C=$(a_commit evil6d "$T" msg -p "$(cat a3)") &&
	pg evil6d update-ref "$FEED_A" "$C" &&
	refused_whole r6d evil6d "$(echo "$C" | cut -c1-12)"
'

test_expect_success '6. a feed ref that points at an 8 MB blob, not a commit, is rejected' '
	over evil6e &&
	B=$(head -c 8388608 /dev/zero | blob evil6e) &&
	pg evil6e update-ref "$FEED_A" "$B" &&
	fresh r6e r0 &&
	save_state r6e &&
	sync_json r6e 1 "$(abs evil6e.git)" &&
	item_is rejected "$FEED_A" 0 &&
	unchanged r6e &&
	no_quarantine r6e
'

test_expect_success '6. a peer that lacks the record blob its signed commit names: nothing changes' '
	over evil6f &&
	B=$(record_json "Липсващ" | blob evil6f) &&
	T=$(tree_with evil6f "$(cat a3)" $R4 "$B") &&
	feed_msg msg "document: Липсващ" "$NET" 4 &&
	C=$(a_commit evil6f "$T" msg -p "$(cat a3)") &&
	pg evil6f update-ref "$FEED_A" "$C" &&
	rm "evil6f.git/objects/$(echo "$B" | cut -c1-2)/$(echo "$B" | cut -c3-)" &&
	test_must_fail pg evil6f cat-file -e "$B" &&
	fresh r6f rfull &&
	save_state r6f &&
	"$CIVIC" --home r6f sync "$(abs evil6f.git)" >out 2>err
	rc=$? &&
	cat out err &&
	test "$rc" != 0 && test "$rc" -le 128 &&
	unchanged r6f &&
	lacks r6f "$C" &&
	no_quarantine r6f &&
	sound r6f "records: 4 valid"
'

# --- 7. a byte cap ---------------------------------------------------------------

test_expect_success '7. setup: member g writes 25 records of 60 KB each (1.5 MB, incompressible)' '
	head -c 45000 /dev/urandom | base64 -w 76 >body.md &&
	i=1 &&
	while test $i -le 25; do
		add_doc g "Голям $i" --body body.md >/dev/null || break
		i=$((i + 1))
	done &&
	test "$(git_in g rev-list --count "$FEED_G")" = 25 &&
	G_HEAD=$(git_in g rev-parse "$FEED_G") &&
	BIG="$(abs g)/archive.git"
'

test_expect_success '7. --max-bytes 1000: the sync is cut off, says so, changes nothing' '
	fresh r7 rfull &&
	save_state r7 &&
	"$CIVIC" --home r7 sync --max-bytes 1000 "$BIG" >out 2>err
	rc=$? &&
	cat err &&
	test "$rc" != 0 && test "$rc" -le 128 &&
	test ! -s out &&
	test_one_error_line err &&
	grep -q "cut off" err &&
	grep -q "1000 bytes" err &&
	unchanged r7 &&
	no_quarantine r7 &&
	sound r7 "records: 4 valid"
'

# Found here first: the message once read "fetching from from '...' was cut off".
test_expect_success '7. the cut-off message names the peer once, with no "from from"' '
	test_must_fail civic --home r7 sync --max-bytes 1000 "$BIG" 2>err &&
	cat err &&
	grep -q "cut off" err &&
	! grep -q "from from" err
'

test_expect_success '7. --max-bytes 1000 with --json: ok false, the error says it was cut off' '
	"$CIVIC" --home r7 sync --json --max-bytes 1000 "$BIG" >sync.json 2>err
	rc=$? &&
	test "$rc" != 0 && test "$rc" -le 128 &&
	python3 - sync.json <<-\EOF &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert len(d) == 1 and d[0]["ok"] is False and "cut off" in d[0]["error"], d
	assert d[0]["records_accepted"] == 0, d
	EOF
	unchanged r7
'

test_expect_success '7. a registered peer that was cut off: the error is kept, nothing else' '
	civic --home r7 peer add big "$BIG" &&
	save_state r7 &&
	test_must_fail civic --home r7 sync --max-bytes 1000 big 2>err &&
	grep -q "cut off" err &&
	civic --home r7 peer list --json >peers.json &&
	python3 - peers.json <<-\EOF &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert len(d) == 1 and "cut off" in d[0]["last_error"] and d[0]["last_sync"] == 0, d
	EOF
	unchanged r7
'

test_expect_success '7. without the cap the same sync completes' '
	sync_json r7 0 big &&
	item_is accepted "$FEED_G" 25 &&
	test "$(git_in r7 rev-parse "$FEED_G")" = "$G_HEAD" &&
	no_quarantine r7 &&
	sound r7 "records: 29 valid"
'

# --- 8. a roster of another network ------------------------------------------------

test_expect_success '8. a peer whose roster starts at another network id: rejected, nothing changes' '
	peer evil8 &&
	put evil8 cc2 "refs/civic/roster:refs/civic/roster" &&
	fresh r8 rfull &&
	save_state r8 &&
	sync_json r8 1 "$(abs evil8.git)" &&
	item_is rejected refs/civic/roster 0 "$NET" &&
	item_count 1 &&
	unchanged r8 &&
	sound r8 "records: 4 valid"
'

test_expect_success '8. a node holding no roster yet does not take it either' '
	new_node z "НПО Без списък" rila &&
	civic --home z network join "$NET" >/dev/null &&
	save_state z &&
	sync_json z 1 "$(abs evil8.git)" &&
	item_is rejected refs/civic/roster 0 "$NET" &&
	unchanged z &&
	test_must_fail git_in z rev-parse --verify -q refs/civic/roster
'

test_expect_success '8. a roster commit signed by a member who is no admin: rejected with what it admits' '
	peer evil8b &&
	put evil8b cc "refs/civic/roster:refs/civic/roster" &&
	put evil8b x "$FEED_X:$FEED_X" &&
	HEX_X=$(hex_of x) &&
	printf "{\n  \"key\": \"%s\",\n  \"municipality\": \"kocherinovo\",\n  \"name\": \"Кандидат\",\n  \"role\": \"civic-center\"\n}\n" \
		"$(node_key x)" >x.json &&
	T=$(tree_with evil8b refs/civic/roster "members/$HEX_X.json" "$(blob evil8b <x.json)") &&
	N=$(( $(pg evil8b rev-list --count refs/civic/roster) + 1 )) &&
	printf "roster: add Кандидат (kocherinovo, civic-center)\n\nCivic-Network: %s\nCivic-Roster-Seq: %s\n" \
		"$NET" $N >msg &&
	C=$(a_commit evil8b "$T" msg -p "$(pg evil8b rev-parse refs/civic/roster)") &&
	pg evil8b update-ref refs/civic/roster "$C" &&
	fresh r8b rfull &&
	save_state r8b &&
	sync_json r8b 1 "$(abs evil8b.git)" &&
	item_is rejected refs/civic/roster 0 &&
	item_is rejected "$FEED_X" 0 "not a member" &&
	unchanged r8b &&
	lacks r8b "$C" &&
	sound r8b "records: 4 valid"
'

test_expect_success '8. setup: the admin'"'"'s second laptop signs a roster beside the center'"'"'s' '
	rm -rf c8 c8b && cp -a cc c8 && cp -a cc c8b &&
	new_node w "НПО Уейкъп" nevestino &&
	civic --home c8 member add --name "НПО Уейкъп" --municipality nevestino --role ngo \
		--key "$(node_key w)" >/dev/null &&
	civic --home c8b member add --name "Кандидат" --municipality kocherinovo --role ngo \
		--key "$(node_key x)" >/dev/null &&
	ROSTER_C8=$(git_in c8 rev-parse refs/civic/roster) &&
	ROSTER_C8B=$(git_in c8b rev-parse refs/civic/roster) &&
	peer evil8d &&
	put evil8d c8b "refs/civic/roster:refs/civic/roster" &&
	put evil8d x "$FEED_X:$FEED_X" &&
	fresh r8d rfull &&
	sync_json r8d 0 "$(abs c8)/archive.git" &&
	item_is accepted refs/civic/roster 6
'

test_expect_success '8. the other roster is kept as a roster fork; whom only it admits stays out' '
	sync_json r8d 1 "$(abs evil8d.git)" &&
	item_is fork refs/civic/roster 0 "refs/civic/forks/roster/$ROSTER_C8B" &&
	item_is rejected "$FEED_X" 0 "not a member" &&
	test "$(git_in r8d rev-parse refs/civic/roster)" = "$ROSTER_C8" &&
	test "$(git_in r8d rev-parse "refs/civic/forks/roster/$ROSTER_C8B")" = "$ROSTER_C8B" &&
	test_must_fail git_in r8d rev-parse -q --verify "$FEED_X" &&
	civic --home r8d status >status.out &&
	grep -q "ROSTER FORK: 1 other signed rosters kept" status.out &&
	sound r8d "records: 4 valid" &&
	grep -q "forks/roster/$ROSTER_C8B" audit.out
'

# The roster comes before the peer's roster fork evidence, whatever order
# the peer advertises them in (refs/civic/forks/roster/... sorts first): a
# node holding the older roster takes the peer's roster, keeps the other as
# the fork, and members only that evidence admits stay out.
test_expect_success '8. a third node takes the peer'"'"'s roster as its roster, not the evidence' '
	fresh r8e rfull &&
	{ sync_json r8e 1 "$(abs r8d)/archive.git" || true; } &&
	test "$(git_in r8e rev-parse refs/civic/roster)" = "$ROSTER_C8" &&
	test "$(git_in r8e rev-parse "refs/civic/forks/roster/$ROSTER_C8B")" = "$ROSTER_C8B" &&
	sync_json r8e 1 "$(abs x)/archive.git" &&
	item_is rejected "$FEED_X" 0 "not a member"
'

# Roster fork evidence that extends our roster is taken as the roster, and
# reported as the roster (members), not as records of a feed.
test_expect_success '8. a roster taken from fork evidence is not counted as records of a feed' '
	peer evil8f &&
	put evil8f c8b "refs/civic/roster:refs/civic/forks/roster/$ROSTER_C8B" &&
	fresh r8f rfull &&
	{ civic --home r8f sync "$(abs evil8f.git)" >out; test $? -le 1; } &&
	cat out &&
	! grep -q "^  accepted .*new records" out &&
	grep -q "^sync .*: 0 new records in 0 feeds" out
'

# --- 9. a revoked key ----------------------------------------------------------------

test_expect_success '9. setup: the admins revoke a after a2; a receiver holds a1 (pending: a2 unknown), b1, that roster' '
	rm -rf cc9 && cp -a cc cc9 &&
	civic --home cc9 member revoke "$(node_fp a)" --after "$(cat a2)" --reason "откраднат лаптоп" >out &&
	fresh r9 &&
	git_in r9 fetch -q "$(abs a)/archive.git" "$(cat a1):$FEED_A" &&
	git_in r9 fetch -q "$(abs b)/archive.git" "$FEED_B:$FEED_B" &&
	git_in r9 fetch -q "$(abs cc9)/archive.git" refs/civic/roster:refs/civic/roster &&
	sound r9 "records: 1 valid, 1 pending, 0 after revocation"
'

test_expect_success '9. from a peer holding a1..a4, only a2 is taken' '
	sync_json r9 1 "$(abs a)/archive.git" &&
	item_is accepted "$FEED_A" 1 &&
	item_is rejected "$FEED_A" 0 "revocation" &&
	test "$(git_in r9 rev-parse "$FEED_A")" = "$(cat a2)" &&
	lacks r9 "$(cat a3)" &&
	lacks r9 "$(cat a4)" &&
	sound r9 "records: 3 valid, 0 pending, 0 after revocation"
'

test_expect_success '9. offered again, the records after the revocation are rejected, nothing stored' '
	{ civic --home r9 sync --no-push "$(abs cc9)/archive.git" >/dev/null; test $? = 1; } &&
	save_state r9 &&
	sync_json r9 1 "$(abs a)/archive.git" &&
	item_is rejected "$FEED_A" 0 "revocation" &&
	unchanged r9 &&
	sync_json r9 1 "$(abs cc9)/archive.git" &&
	item_is rejected "$FEED_A" 0 "revocation" &&
	unchanged r9
'

test_expect_success '9. a thief'"'"'s new branch on top of the revocation point is rejected' '
	peer evil9 &&
	put evil9 a "$FEED_A:$FEED_A" &&
	T=$(tree_with evil9 "$(cat a2)" records/00/00/00/00000003.json \
		"$(record_json "Крадец" | blob evil9)") &&
	feed_msg msg "document: Крадец" "$NET" 3 &&
	C=$(a_commit evil9 "$T" msg -p "$(cat a2)") &&
	pg evil9 update-ref "$FEED_A" "$C" &&
	save_state r9 &&
	sync_json r9 1 "$(abs evil9.git)" &&
	item_is rejected "$FEED_A" 0 "revocation" &&
	unchanged r9 &&
	lacks r9 "$C" &&
	sound r9 "records: 3 valid, 0 pending, 0 after revocation"
'

test_expect_success '9. a receiver that holds a3 already gets the roster; a3 counts as after revocation' '
	fresh r9b rfull &&
	sync_json r9b 0 "$(abs cc9)/archive.git" &&
	item_is accepted refs/civic/roster 5 &&
	test "$(git_in r9b rev-parse "$FEED_A")" = "$(cat a3)" &&
	test_expect_code 1 civic --home r9b audit >out &&
	grep -q "records: 3 valid, 0 pending, 1 after revocation" out
'

# A revoked key's branch beside the revocation point, signed after it (a
# thief's), is not kept even as fork evidence: commits after the revocation
# point are not taken on any branch, or a thief could spread any number of
# them. Rejected, nothing stored.
test_expect_success '9. a thief'"'"'s branch beside the head, after the revocation, is not stored' '
	fresh r9c rfull &&
	git_in r9c fetch -q "$(abs cc9)/archive.git" refs/civic/roster:refs/civic/roster &&
	peer evil9c &&
	put evil9c a "$FEED_A:$FEED_A" &&
	T=$(tree_with evil9c "$(cat a2)" records/00/00/00/00000003.json \
		"$(record_json "Крадец" | blob evil9c)") &&
	feed_msg msg "document: Крадец" "$NET" 3 &&
	C=$(a_commit evil9c "$T" msg -p "$(cat a2)") &&
	T=$(tree_with evil9c "$T" $R4 "$(record_json "Крадец 2" | blob evil9c)") &&
	feed_msg msg "document: Крадец 2" "$NET" 4 &&
	C=$(a_commit evil9c "$T" msg -p "$C") &&
	pg evil9c update-ref "$FEED_A" "$C" &&
	save_state r9c &&
	{ sync_json r9c 1 "$(abs evil9c.git)" || true; } &&
	test "$(git_in r9c rev-parse "$FEED_A")" = "$(cat a3)" &&
	! grep -q "^fork " items &&
	item_is rejected "$FEED_A" 0 "revocation" &&
	unchanged r9c &&
	lacks r9c "$C"
'

# --- 10. kill -9 in the middle of a sync ---------------------------------------------

# after_kill HOME WHAT: after a killed sync from $BIG, HOME is clean, holds
# all of g's feed or none, and the next sync cleans up and completes.
after_kill() {
	sound "$1" || { echo "# after a kill $2" >&2; return 1; }
	_g=$(git_in "$1" rev-parse -q --verify "$FEED_G") || _g=
	if test -n "$_g" && test "$_g" != "$G_HEAD"; then
		echo "# after a kill $2: g's feed at $_g, neither none nor $G_HEAD" >&2
		return 1
	fi
	if test -z "$_g" || ls -d "$1"/tmp/quarantine-* >/dev/null 2>&1; then
		interrupted=$((interrupted + 1))
	fi
	"$CIVIC" --home "$1" sync "$BIG" >"$TEST_DIR/resync.out" 2>&1 || {
		echo "# after a kill $2: the next sync fails:" >&2
		cat "$TEST_DIR/resync.out" >&2
		return 1
	}
	test "$(git_in "$1" rev-parse "$FEED_G")" = "$G_HEAD" &&
	no_quarantine "$1" &&
	sound "$1" "records: 29 valid"
}

test_expect_success '10. kill -9 at several moments of a 1.5 MB sync: clean, and the next sync completes' '
	interrupted=0 failed= &&
	for d in 0.02 0.05 0.1 0.18 0.3; do
		fresh r10 rfull &&
		timeout -s KILL $d "$CIVIC" --home r10 sync "$BIG" >/dev/null 2>&1
		rc=$?
		after_kill r10 "after $d s (exit $rc)" || failed="$failed $d"
	done &&
	echo "# $interrupted kills interrupted the sync" &&
	test -z "$failed" &&
	test "$interrupted" -gt 0
'

test_expect_success '10. a quarantine a killed sync left behind is gone after the next sync' '
	fresh r10b rfull &&
	mkdir -p r10b/tmp/quarantine-leftover/objects/pack &&
	head -c 100000 /dev/urandom >r10b/tmp/quarantine-leftover/objects/pack/junk.pack &&
	sync_json r10b 0 "$(abs cc)/archive.git" &&
	no_quarantine r10b &&
	mkdir -p r10b/tmp/quarantine-leftover2 &&
	sync_json r10b 0 "$BIG" &&
	item_is accepted "$FEED_G" 25 &&
	no_quarantine r10b
'

# kill_points SC: from strace.out, the numbers of the calls of syscall SC
# that touch the archive, and the first that touches a quarantine.
kill_points() {
	grep "^[0-9]* *$1(" "$TEST_DIR/strace.out" | awk '
		/\/archive\.git\// { print NR; next }
		/quarantine-/ && !q { print NR; q = 1 }'
}

# With strace's fault injection, kill the sync at the entry of the k-th
# call of each syscall that makes a change visible: the archive's pack and
# index links, its ref locks, and the quarantine's removal.
if strace -f -o /dev/null -e trace=getpid -e inject=getpid:error=ENOSYS true 2>/dev/null; then
	for sc in rename link unlink; do
		test_expect_success "10. kill -9 at each $sc of a sync (strace): clean, the next sync completes" '
			rm -rf probe && cp -a rfull probe &&
			env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o strace.out -e trace=$sc \
				"$CIVIC" --home probe sync "$(abs c3)/archive.git" >/dev/null 2>&1
			points=$(kill_points $sc) && test -n "$points" &&
			echo "# kill points:" $points &&
			failed= &&
			for k in $points; do
				rm -rf crash && cp -a rfull crash &&
				env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null -e trace=$sc \
					-e inject=$sc:signal=KILL:when=$k \
					"$CIVIC" --home crash sync "$(abs c3)/archive.git" >/dev/null 2>&1
				head=$(git_in crash rev-parse "$FEED_A")
				if ! sound crash ||
				   { test "$head" != "$(cat a3)" && test "$head" != "$(cat a4)"; }; then
					failed="$failed $sc#$k"
					continue
				fi
				"$CIVIC" --home crash sync "$(abs c3)/archive.git" >/dev/null 2>&1
				rc=$?
				if test $rc -gt 1 ||
				   test "$(git_in crash rev-parse "$FEED_A")" != "$(cat a4)" ||
				   test "$(git_in crash rev-parse "refs/civic/forks/$HEX_A/$(cat a4x)")" != "$(cat a4x)" ||
				   ! no_quarantine crash || ! sound crash "records: 5 valid"; then
					failed="$failed $sc#$k(next sync)"
				fi
			done &&
			test -z "$failed"
		'
	done

	# A verified pack moves into the archive by two renames, the pack first
	# and its index last (the index makes it visible). Killed right before
	# the second, the archive holds a pack without an index: invisible, and
	# removed when the node is next opened for writing.
	test_expect_success '10. a sync killed between the pack and its index leaves no garbage after the next' '
		rm -rf probe && cp -a rfull probe &&
		env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o strace.out -e trace=rename \
			"$CIVIC" --home probe sync "$BIG" >/dev/null 2>&1
		k=$(grep "^[0-9]* *rename(" strace.out | awk "/archive\\.git\\/objects\\/pack\\/pack-.*\\.idx\"/ { print NR; exit }") &&
		test -n "$k" &&
		rm -rf crash && cp -a rfull crash &&
		env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null -e trace=rename \
			-e inject=rename:signal=KILL:when=$k "$CIVIC" --home crash sync "$BIG" >/dev/null 2>&1
		ls crash/archive.git/objects/pack >pack.ls &&
		sed "s/^/# after the kill: /" pack.ls &&
		sound crash "records: 4 valid" &&
		rm -rf g2 && cp -a g g2 && add_doc g2 "Още един" >/dev/null &&
		civic --home crash sync "$(abs g2)/archive.git" >/dev/null &&
		sound crash "records: 30 valid" &&
		ls crash/archive.git/objects/pack >pack.ls &&
		sed "s/^/# after the next sync: /" pack.ls &&
		git_in crash count-objects -v >count.out &&
		grep -q "^garbage: 0\$" count.out &&
		! grep -q "^pack_git2_" pack.ls &&
		orphans= &&
		for i in $(sed -n "s/\\.pack\$//p" pack.ls); do
			grep -q "^$i\\.idx\$" pack.ls || orphans="$orphans $i.pack"
		done &&
		test -z "$orphans"
	'
else
	test_skip 'kill -9 at each rename, link and unlink of a sync' 'strace cannot inject faults here'
fi

test_done
