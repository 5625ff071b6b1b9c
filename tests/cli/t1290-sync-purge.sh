#!/bin/sh
# Attachments a signed retraction purged (src/attach_purge.h): a retraction
# with "purge_attachments": true, by the record's author or an admin, takes
# the bytes off every node that syncs it, and off every relay those nodes
# push to; no node fetches or pushes them again; status, show and audit
# call them purged, not missing. The record itself stays, and verifies.
#
#   1. author a -> relay (bare repository behind a real git daemon) -> b
#   2. a retraction by another member purges nothing
#   3. the author's retraction: a's bytes go at once, but not those another
#      record of the archive also names; then the relay's batch, then b's
#   4. a fresh node never fetches them, and fetch-attachments refuses them
#   5. a relay that still holds the batch (a stale copy) cannot bring it
#      back; one that refuses deletions is reported
#   6. an admin purges a member's record
. "$(dirname "$0")/test-lib.sh"

PORT=$(free_ports 1 $((20000 + ($$ % 4000) * 8 + 5)))
RELAY_URL="git://127.0.0.1:$PORT/relay.git"
STALE_URL="git://127.0.0.1:$PORT/stale.git"

sha() { sha256sum "$1" | cut -c1-64; }
store() { echo "$1/attachments/sha256/$2"; }
held() { test -f "$(store "$1" "$2")"; }
relay_has() { git --git-dir "$TEST_DIR/srv/$1.git" rev-parse -q --verify "refs/civic/attachments/$2" >/dev/null; }

# sync_json HOME CODE ARGS...: `civic sync --json ARGS...` must exit CODE;
# the attachment report of its first peer goes to $TEST_DIR/att as
# "purged=N deleted=N stored=N records_missing=N pushed=N refused=N push_failed=N".
sync_json() {
	_h=$1 _want=$2
	shift 2
	timeout 60 "$CIVIC" --home "$_h" sync --json "$@" >"$TEST_DIR/sync.json" 2>"$TEST_DIR/sync.err"
	_rc=$?
	cat "$TEST_DIR/sync.err" >&2
	test "$_rc" = "$_want" || { echo "# sync exited $_rc, expected $_want" >&2; cat "$TEST_DIR/sync.json" >&2; return 1; }
	python3 - "$TEST_DIR/sync.json" >"$TEST_DIR/att" <<-\EOF
	import json, sys
	a = json.load(open(sys.argv[1]))[0]["attachments"]
	print(" ".join("%s=%d" % (k, a[k]) for k in ("purged", "deleted", "stored", "records_missing", "pushed",
	                                             "refused", "push_failed")))
	EOF
}

# att_has WORD...: the last sync_json report holds each WORD ("purged=1").
att_has() {
	for _w in "$@"; do
		grep -q "\(^\| \)$_w\( \|\$\)" "$TEST_DIR/att" || { echo "# no $_w in: $(cat "$TEST_DIR/att")" >&2; return 1; }
	done
}

# status_attachments HOME: "present missing corrupt purged" of civic status --json.
status_attachments() {
	civic --home "$1" status --json >"$TEST_DIR/status.json" &&
	python3 -c 'import json, sys; a = json.load(open(sys.argv[1]))["attachments"]; print(a["present"], a["missing"], a["corrupt"], a["purged"])' \
		"$TEST_DIR/status.json"
}

# audit_attachments HOME: "sound present missing purged notices-about-missing".
audit_attachments() {
	"$CIVIC" --home "$1" audit --json >"$TEST_DIR/audit.json"
	python3 - "$TEST_DIR/audit.json" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	a = d["attachments"]
	notes = [f for f in d["findings"] if "is missing" in f["message"]]
	print(d["sound"], a["present"], a["missing"], a["purged"], len(notes))
	EOF
}

# show_states HOME ID: each attachment's "name:state", then "by=<purged_by>".
show_states() {
	civic --home "$1" show --json "$2" >"$TEST_DIR/show.json" &&
	python3 - "$TEST_DIR/show.json" <<-\EOF
	import json, sys
	e = json.load(open(sys.argv[1]))
	print(" ".join("%s:%s" % (a["name"], a["state"]) for a in e["attachments"]), "by=%s" % e.get("purged_by", ""))
	EOF
}

retract() {
	_rh=$1 _rt=$2
	shift 2
	civic --home "$_rh" add retraction --field retracts="$_rt" --field reason="лицето не е съгласно" \
		--field title="Оттегляне" --field visibility=public "$@"
}

test_expect_success 'setup: a network; author a, members b and c; a relay behind git daemon' '
	new_network cc "Мрежа Кюстендил" &&
	join_network cc a "НПО Рила" rila &&
	join_network cc b "НПО Дупница" dupnitsa &&
	join_network cc c "НПО Бобов дол" bobov-dol &&
	( for n in a b c; do fetch_roster cc $n || exit 1; done ) &&
	mkdir srv &&
	git init -q --bare srv/relay.git &&
	start_server daemon.log "$(git --exec-path)/git-daemon" --reuseaddr --export-all \
		--enable=receive-pack --informative-errors --listen=127.0.0.1 --port="$PORT" \
		--base-path="$TEST_DIR/srv" "$TEST_DIR/srv" &&
	wait_port "$PORT" &&
	( for n in cc a b c; do civic --home $n peer add relay "$RELAY_URL" --relay || exit 1; done )
'

test_expect_success 'setup: a photo of two files, a document sharing one of them; all on b too' '
	head -c 300000 /dev/urandom >лице.jpg &&
	head -c 200000 /dev/urandom >зала.jpg &&
	head -c 100000 /dev/urandom >отчет.pdf &&
	civic --home a add photo --field title="Среща в читалището" --field visibility=public \
		--field date=2015-01-30 --attach лице.jpg --attach зала.jpg >p.id &&
	add_doc a "Отчет със снимка" --attach зала.jpg --attach отчет.pdf >d.id &&
	FACE=$(sha лице.jpg) HALL=$(sha зала.jpg) REPORT=$(sha отчет.pdf) P=$(cat p.id) D=$(cat d.id) &&
	sync_json a 0 relay && att_has pushed=2 &&
	relay_has relay "$P" && relay_has relay "$D" &&
	sync_json b 0 relay && att_has stored=3 &&
	held b "$FACE" && held b "$HALL" && held b "$REPORT" &&
	test "$(status_attachments b)" = "4 0 0 0" &&
	cp -a srv/relay.git srv/stale.git &&
	relay_has stale "$P"
'

# ---------------------------------------------------------------------------
# 2. not the author, not an admin

test_expect_success 'a retraction by another member purges nothing, anywhere' '
	retract c "$P" --field purge_attachments:=true >c.id 2>err &&
	test ! -s err &&
	sync_json c 0 relay &&
	sync_json b 0 relay && att_has purged=0 deleted=0 &&
	held b "$FACE" && relay_has relay "$P" &&
	test "$(show_states b "$P")" = "лице.jpg:present зала.jpg:present by=" &&
	test "$(audit_attachments b)" = "True 4 0 0 0"
'

# ---------------------------------------------------------------------------
# 3. the author purges

test_expect_success 'the author purges: its own copy goes at once, but not a file another record names' '
	retract a "$P" --field purge_attachments:=true >r.id 2>err &&
	R=$(cat r.id) &&
	grep -q "^civic: 1 attachment files removed, purged by this retraction$" err &&
	! held a "$FACE" && held a "$HALL" && held a "$REPORT" &&
	test "$(show_states a "$P")" = "лице.jpg:purged зала.jpg:present by=$R" &&
	test "$(status_attachments a)" = "3 0 0 1" &&
	test "$(audit_attachments a)" = "True 3 0 1 0"
'

test_expect_success 'the record itself stays, listed as retracted, and its signature verifies' '
	civic --home a list --all >list &&
	grep "Среща в читалището" list | grep -q "\[retracted\]" &&
	civic --home a show "$P" >show &&
	grep -q "^purged by  *$R$" show &&
	git_in a cat-file -p "$P" | grep -q "^gpgsig " &&
	civic --home a allowed-signers >signers &&
	git_in a -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$TEST_DIR/signers" verify-commit "$P" 2>/dev/null
'

test_expect_success 'a sync to the relay deletes the purged batch there, and only that one' '
	sync_json a 0 relay && att_has deleted=1 pushed=0 &&
	! relay_has relay "$P" && relay_has relay "$D" &&
	timeout 60 "$CIVIC" --home a sync relay >out 2>err &&
	test ! -s err && ! grep -q "deleted from the relay" out
'

test_expect_success 'text output says what was purged and deleted' '
	git --git-dir srv/relay.git update-ref "refs/civic/attachments/$P" \
		"$(git --git-dir srv/relay.git rev-parse "refs/civic/attachments/$D")" &&
	timeout 60 "$CIVIC" --home a sync relay >out 2>err &&
	test ! -s err &&
	grep -q "^attachments relay: 1 purged records. attachments deleted from the relay$" out &&
	! relay_has relay "$P"
'

test_expect_success 'b syncs the retraction: its bytes go too, the shared file stays' '
	sync_json b 0 relay && att_has purged=1 stored=0 records_missing=0 &&
	! held b "$FACE" && held b "$HALL" && held b "$REPORT" &&
	test "$(status_attachments b)" = "3 0 0 1" &&
	test "$(audit_attachments b)" = "True 3 0 1 0" &&
	civic --home b status >status &&
	grep -q "^attachments purged by retractions: 1$" status
'

# ---------------------------------------------------------------------------
# 4. a node that never held them

test_expect_success 'a fresh node takes the records and the rest, never the purged bytes' '
	join_network cc n "НПО Рила 2" rila &&
	fetch_roster cc n &&
	civic --home n peer add relay "$RELAY_URL" --relay &&
	sync_json n 0 relay && att_has stored=2 records_missing=1 &&
	! held n "$FACE" && held n "$HALL" && held n "$REPORT" &&
	test "$(status_attachments n)" = "3 0 0 1" &&
	test "$(audit_attachments n)" = "True 3 0 1 0"
'

test_expect_success 'fetch-attachments of a purged record: one line, exit 1, nothing changed' '
	archive_state n >before &&
	test_refused 1 n fetch-attachments "$P" &&
	err_has "were purged by retraction $R" &&
	archive_state n >after && cmp before after
'

# ---------------------------------------------------------------------------
# 5. a stale relay

test_expect_success 'a relay that still holds the genuine batch (copied before the purge) cannot bring it back' '
	civic --home n peer add stale "$STALE_URL" &&
	sync_json n 0 stale && att_has stored=0 refused=0 purged=0 deleted=0 &&
	! held n "$FACE" && relay_has stale "$P"
'

test_expect_success 'a relay that refuses deletions (an update hook): the sync says so, exit 1; the next one deletes' '
	civic --home n peer remove stale && civic --home n peer add stale "$STALE_URL" --relay &&
	printf "#!/bin/sh\n! expr \"\$3\" : \"0*\$\" >/dev/null\n" >srv/stale.git/hooks/update &&
	chmod +x srv/stale.git/hooks/update &&
	sync_json n 1 stale && att_has deleted=0 push_failed=1 &&
	relay_has stale "$P" &&
	{ timeout 60 "$CIVIC" --home n sync stale >out 2>err; test $? = 1; } &&
	grep -q "^  the relay refused 1 of these pushes and deletions$" out &&
	rm srv/stale.git/hooks/update &&
	sync_json n 0 stale && att_has deleted=1 push_failed=0 stored=0 &&
	! relay_has stale "$P" && relay_has stale "$D"
'

# ---------------------------------------------------------------------------
# 6. an admin

test_expect_success 'an admin purges a member.s document; the member.s node follows' '
	sync_json cc 0 relay &&
	held cc "$REPORT" &&
	retract cc "$D" --field purge_attachments:=true >q.id 2>err &&
	grep -q "^civic: 2 attachment files removed, purged by this retraction$" err &&
	! held cc "$REPORT" && ! held cc "$HALL" &&
	sync_json cc 0 relay && att_has deleted=1 &&
	! relay_has relay "$D" &&
	sync_json a 0 relay && att_has purged=2 &&
	! held a "$REPORT" && ! held a "$HALL" &&
	test "$(status_attachments a)" = "0 0 0 4" &&
	test "$(audit_attachments a)" = "True 0 0 4 0"
'

test_expect_success 'sync --no-attachments leaves the bytes for the next sync that moves attachments' '
	timeout 60 "$CIVIC" --home b sync --no-attachments relay >out 2>err &&
	test ! -s err &&
	held b "$REPORT" &&
	sync_json b 0 relay && att_has purged=2 &&
	! held b "$REPORT" && ! held b "$HALL"
'

test_expect_success 'every server this script started is still running (none crashed)' '
	alive=yes &&
	for p in $SERVERS; do kill -0 "$p" || alive=no; done &&
	test $alive = yes
'

test_done
