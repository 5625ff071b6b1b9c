# test-lib.sh - what every CLI test script sources (after git's t/test-lib.sh).
#
#   . "$(dirname "$0")/test-lib.sh"
#   test_expect_success 'title' '
#       civic --home a init ... &&
#       test_must_fail civic --home a add nonsense
#   '
#   test_done
#
# Each script runs in a fresh temporary directory ($TEST_DIR, removed at the
# end), with $CIVIC the binary under test and a `civic` function calling it.
# It prints TAP: "ok N - title" or "not ok N - title".

set -u
: "${CIVIC:?CIVIC must name the civic binary under test}"
TEST_SRC=$(cd "$(dirname "$0")/../.." && pwd)
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/civic-cli-XXXXXX")
# Servers a script starts (start_server) stop with it, whatever happens to
# it; each also runs under `timeout`, so none outlives a script killed -9.
SERVERS=""
stop_servers() {
	for _p in $SERVERS; do kill "$_p" 2>/dev/null; done
	for _p in $SERVERS; do wait "$_p" 2>/dev/null; done
	SERVERS=""
}
trap 'stop_servers; rm -rf "$TEST_DIR"' EXIT
trap 'exit 143' HUP INT TERM
cd "$TEST_DIR" || exit 1
unset CIVIC_HOME CIVIC_PASSPHRASE_FILE XDG_DATA_HOME LANGUAGE CIVIC_LOCALEDIR
# Messages are matched in English: a translation from the caller's
# environment must not apply (t0050 sets LANGUAGE where it wants one).
unset LANGUAGE
export HOME="$TEST_DIR"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export LC_ALL=C.UTF-8
test_count=0
test_failed=0

civic() { "$CIVIC" "$@"; }

# Runs a command that must fail with exit code 1..127 or 128/129 (never a
# crash: ASan and UBSan abort with other codes or signals).
test_must_fail() {
	"$@"
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "# expected failure, got success: $*" >&2
		return 1
	fi
	if [ "$rc" -gt 129 ]; then
		echo "# crashed with $rc: $*" >&2
		return 1
	fi
	return 0
}

# A test's body runs in a function of its own, so that a `return` in it ends
# the test (as failed or passed), not test_expect_success before it reports.
_test_body() {
	eval "$1"
}

test_expect_success() {
	test_count=$((test_count + 1))
	if _test_body "$2" >"$TEST_DIR/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TEST_DIR/.out"
		test_failed=$((test_failed + 1))
	fi
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" = 0 ]
}

# ---------------------------------------------------------------------------
# Helpers for the CLI scripts (t0100 and later). None of them is needed by
# the scripts above; each is a plain shell function usable in a test body.

# test_skip TITLE REASON: counts a test that cannot run here, as TAP does.
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - # SKIP $1 ($2)"
}

# test_expect_code CODE COMMAND...: the command must exit with exactly CODE.
test_expect_code() {
	want=$1
	shift
	"$@"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "# expected exit code $want, got $rc: $*" >&2
		return 1
	fi
	return 0
}

# git_in HOME ARGS...: stock git on a node's repository.
git_in() {
	_git_home=$1
	shift
	git --git-dir "$_git_home/archive.git" "$@"
}

# abs PATH: the absolute path of an existing file or directory.
abs() {
	(cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")")
}

# node_key HOME / node_fp HOME / node_feed HOME: the node's key line,
# SHA256 fingerprint, feed ref (the three lines of `civic id`).
node_key() { civic --home "$1" id | sed -n 1p; }
node_fp() { civic --home "$1" id | sed -n 2p; }
node_feed() { civic --home "$1" id | sed -n 3p; }
# node_state HOME: the ref of the node's signed statement of what it holds.
node_state() { node_feed "$1" | sed "s|^refs/civic/feeds/|refs/civic/state/|"; }

# new_node HOME NAME MUNICIPALITY [ROLE]: a node without passphrase.
new_node() {
	civic --home "$1" init --name "$2" --municipality "$3" --role "${4:-ngo}" \
		--no-passphrase >/dev/null
}

# new_network HOME [NAME]: a civic-center node that creates a network; the
# network id goes to HOME.net.
new_network() {
	new_node "$1" "Граждански център $1" kyustendil civic-center &&
	civic --home "$1" network create --name "${2:-Мрежа $1}" >"$1.net" &&
	test "$(wc -c <"$1.net")" = 41
}

# fetch_ref FROM TO REF: copies one ref and its objects from node FROM to
# node TO with stock git (there is no `civic sync` yet).
fetch_ref() {
	git_in "$2" fetch -q "$(abs "$1")/archive.git" "$3:$3"
}

# fetch_roster FROM TO / fetch_feed FROM TO AUTHOR_HOME
fetch_roster() { fetch_ref "$1" "$2" refs/civic/roster; }
fetch_feed() { fetch_ref "$1" "$2" "$(node_feed "$3")"; }

# join_network CC HOME NAME MUNICIPALITY: a member node: init, admitted by
# the civic-center node CC, given CC's roster, joined to CC's network.
join_network() {
	new_node "$2" "$3" "$4" &&
	civic --home "$1" member add --name "$3" --municipality "$4" --role ngo \
		--key "$(node_key "$2")" >/dev/null &&
	fetch_roster "$1" "$2" &&
	civic --home "$2" network join "$(cat "$1.net")" >/dev/null
}

# add_doc HOME TITLE [ARGS...]: adds a minimal document record, prints its id.
add_doc() {
	_home=$1 _title=$2
	shift 2
	civic --home "$_home" add document --field title="$_title" --field visibility=public \
		--field date=2015-01-30 --field document_type=report "$@"
}

# start_server LOG COMMAND...: runs COMMAND in the background, output to
# LOG, for at most SERVER_LIFE seconds (default 900).
start_server() {
	_log=$1
	shift
	timeout -k 3 "${SERVER_LIFE:-900}" "$@" >"$_log" 2>&1 &
	SERVERS="$SERVERS $!"
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (5 s at most).
wait_port() {
	python3 - "$1" <<-\EOF
	import socket, sys, time
	for _ in range(100):
	    try:
	        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
	        sys.exit(0)
	    except OSError:
	        time.sleep(0.05)
	sys.exit(1)
	EOF
}

# free_ports N FROM: N ports free on 127.0.0.1, the first at FROM or above.
free_ports() {
	python3 - "$1" "$2" <<-\EOF
	import socket, sys
	n, p, found = int(sys.argv[1]), int(sys.argv[2]), []
	while len(found) < n and p < 65000:
	    s = socket.socket()
	    try:
	        s.bind(("127.0.0.1", p))
	        found.append(p)
	    except OSError:
	        pass
	    s.close()
	    p += 1
	print(*found)
	EOF
}

# archive_refs HOME: the refs of the archive proper, one "id name" a line:
# roster, feeds, forks, attachments; not the nodes' statements of what they
# hold (refs/civic/state/), which differ from node to node by nature.
archive_refs() {
	git_in "$1" for-each-ref --format='%(objectname) %(refname)' refs/civic | grep -v " refs/civic/state/"
}

# all_refs HOME: every ref under refs/civic/, statements included.
all_refs() { git_in "$1" for-each-ref --format='%(objectname) %(refname)' refs/civic; }

# archive_state HOME: everything a refused command must leave unchanged:
# refs, the number of object files, attachments, config.
archive_state() {
	git_in "$1" for-each-ref --format='%(objectname) %(refname)' &&
	echo "objects: $(find "$1/archive.git/objects" -type f | wc -l)" &&
	(cd "$1" && find attachments | LC_ALL=C sort) &&
	cat "$1/config"
}

# record_count HOME: the number of records `civic list --all` shows.
record_count() {
	civic --home "$1" list --all --json >"$TEST_DIR/count.json" &&
	{ grep -c '^    "id": ' "$TEST_DIR/count.json" || true; }
}

# test_refused CODE HOME ARGS...: `civic --home HOME ARGS...` must exit with
# CODE, print nothing on stdout, exactly one line on stderr that starts with
# "civic: " (kept in $TEST_DIR/err), and leave the archive of HOME as it was.
test_refused() {
	_code=$1 _home=$2
	shift 2
	test_refused_cmd "$_code" "$_home" "$CIVIC" --home "$_home" "$@"
}

# test_refused_cmd CODE HOME COMMAND...: the same for any command line that
# runs civic on HOME (e.g. under env or setsid).
test_refused_cmd() {
	_code=$1 _home=$2
	shift 2
	archive_state "$_home" >"$TEST_DIR/state.before" 2>&1
	"$@" >"$TEST_DIR/refused.out" 2>"$TEST_DIR/err"
	_rc=$?
	cat "$TEST_DIR/err" >&2
	if [ "$_rc" != "$_code" ]; then
		echo "# expected exit code $_code, got $_rc: $*" >&2
		return 1
	fi
	if [ -s "$TEST_DIR/refused.out" ]; then
		echo "# printed on stdout:" >&2
		cat "$TEST_DIR/refused.out" >&2
		return 1
	fi
	test_one_error_line || return 1
	archive_state "$_home" >"$TEST_DIR/state.after" 2>&1
	if ! cmp -s "$TEST_DIR/state.before" "$TEST_DIR/state.after"; then
		echo "# the archive changed:" >&2
		diff "$TEST_DIR/state.before" "$TEST_DIR/state.after" >&2
		return 1
	fi
	return 0
}

# test_one_error_line [FILE]: FILE ($TEST_DIR/err) is one line "civic: ...".
test_one_error_line() {
	_f=${1:-$TEST_DIR/err}
	if [ "$(wc -l <"$_f")" != 1 ] || ! grep -q '^civic: ' "$_f"; then
		echo "# expected exactly one line 'civic: ...' on stderr, got:" >&2
		cat "$_f" >&2
		return 1
	fi
}

# err_has TEXT: the last test_refused's stderr line contains TEXT.
err_has() {
	grep -q -F -e "$1" "$TEST_DIR/err" || {
		echo "# stderr lacks '$1'" >&2
		return 1
	}
}
