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
trap 'rm -rf "$TEST_DIR"' EXIT
cd "$TEST_DIR" || exit 1
unset CIVIC_HOME CIVIC_PASSPHRASE_FILE XDG_DATA_HOME
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

test_expect_success() {
	test_count=$((test_count + 1))
	if { eval "$2"; } >"$TEST_DIR/.out" 2>&1; then
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
