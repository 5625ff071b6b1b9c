#!/bin/sh
# Runs every test against each build directory given, and ends with the line
# "N passed, N failed".
#   tests/run.sh build/check build/asan
# Unit suites (cmocka, build/*/tests/test_*) and CLI scripts (tests/cli/t*.sh)
# both speak TAP: one "ok N - ..." or "not ok N - ..." line per test.
# VALGRIND=1 also runs the unit suites of the first build under valgrind.
top=$(cd "$(dirname "$0")/.." && pwd)
export CIVIC_SOURCE_DIR="$top"
export CMOCKA_MESSAGE_OUTPUT=TAP
# ASan builds: leaks inside libssh2 and libgit2 are not ours (tests/lsan.supp);
# a full stack on each allocation lets a suppression match its frames.
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:-fast_unwind_on_malloc=0}"
log=$(mktemp -d "${TMPDIR:-/tmp}/civic-tests-XXXXXX")
passed=0
failed=0

# run_suite NAME COMMAND...: runs one TAP-speaking suite, counts its lines.
run_suite() {
	name=$1
	shift
	out="$log/$(echo "$name" | tr '/ ' '__').log"
	"$@" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$out")
	# cmocka prints a skipped test as "not ok N # SKIP": not a failure.
	f=$(grep '^not ok ' "$out" | grep -vc ' # SKIP')
	# A suite that crashed or exited non-zero without a "not ok" line
	# still counts as one failure.
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$out"
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "not ok - $name ran no test" >>"$out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	printf '%-48s %4d passed %4d failed\n' "$name" "$p" "$f"
	if [ "$f" != 0 ]; then
		grep -E '^not ok|^#' "$out" | head -40 | sed 's/^/    /'
		tail -n 20 "$out" | sed 's/^/    | /'
	fi
}

first=1
for build in "$@"; do
	echo "== $build"
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "$build/$(basename "$t")" "$t"
		if [ "$first" = 1 ] && [ "${VALGRIND:-0}" = 1 ]; then
			run_suite "valgrind $(basename "$t")" env CIVIC_TEST_VALGRIND=1 valgrind -q --leak-check=full \
				--errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$t"
		fi
	done
	for t in "$top"/tests/cli/t[0-9]*.sh; do
		[ -f "$t" ] || continue
		run_suite "$build/cli/$(basename "$t" .sh)" env CIVIC="$top/$build/civic" sh "$t"
	done
	first=0
done
rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
