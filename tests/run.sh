#!/bin/sh
# Runs every test against each build directory given, and ends with the line
# "N passed, N failed".
#   tests/run.sh build/check build/asan
# Unit suites (cmocka, build/*/tests/test_*) and CLI scripts (tests/cli/t*.sh)
# both speak TAP: one "ok N - ..." or "not ok N - ..." line per test.
# The builds run side by side, each in two parts; VALGRIND=1 also runs the
# unit suites of the first build under valgrind, beside them.
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

# valgrind_all BUILD: the unit suites of BUILD under valgrind. It runs in
# the background beside everything else (valgrind keeps one core busy for
# minutes; the CLI scripts mostly wait on processes they start), its lines
# and counts collected at the end.
valgrind_all() {
	passed=0 failed=0
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "valgrind $(basename "$t")" env CIVIC_TEST_VALGRIND=1 valgrind -q --leak-check=full \
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$t"
	done
	echo "$passed $failed" >"$log/valgrind.counts"
}

# run_part BUILD N PART: BUILD's CLI scripts, each taken by whichever of
# the two parts comes to it first (claim), and in PART 1 its unit suites
# before them; lines to stdout, counts to $log/build-N-PART.counts.
# Everything runs side by side: most of a CLI script's time is spent
# waiting on the daemons, proxies and nodes it starts. One build after the
# other took 16 minutes of a 15-minute budget; with each build's scripts in
# one stream, the sanitizer build's (some 600 s of scripts) ran alone for
# the last 6 minutes.
claim() { mkdir "$log/claim-$(echo "$1" | tr '/ ' '__')" 2>/dev/null; }

run_part() {
	passed=0 failed=0
	if [ "$3" = 1 ]; then
		echo "== $1"
		for t in "$1"/tests/test_*; do
			[ -x "$t" ] || continue
			run_suite "$1/$(basename "$t")" "$t"
		done
	fi
	for t in "$top"/tests/cli/t[0-9]*.sh; do
		[ -f "$t" ] && claim "$1/$(basename "$t")" || continue
		run_suite "$1/cli/$(basename "$t" .sh)" env CIVIC="$top/$1/civic" sh "$t"
	done
	echo "$passed $failed" >"$log/build-$2-$3.counts"
}

# add_counts FILE WHAT: adds the "passed failed" in FILE to the totals; a
# missing FILE (its runs died) counts as one failure.
add_counts() {
	if read -r cp cf <"$1" 2>/dev/null; then
		passed=$((passed + cp))
		failed=$((failed + cf))
	else
		failed=$((failed + 1))
		echo "not ok - $2 did not finish"
	fi
}

vpid=""
if [ "${VALGRIND:-0}" = 1 ] && [ $# -gt 0 ]; then
	valgrind_all "$1" >"$log/valgrind.out" 2>&1 &
	vpid=$!
fi
n=0 pids=""
for build in "$@"; do
	n=$((n + 1))
	for part in 1 2; do
		run_part "$build" "$n" "$part" >"$log/build-$n-$part.out" 2>&1 &
		pids="$pids $!"
	done
done
for p in $pids; do wait "$p"; done
i=0
while [ "$i" -lt "$n" ]; do
	i=$((i + 1))
	for part in 1 2; do
		cat "$log/build-$i-$part.out"
		add_counts "$log/build-$i-$part.counts" "the runs of build $i, part $part"
	done
done
if [ -n "$vpid" ]; then
	echo "== valgrind ($1)"
	wait "$vpid"
	cat "$log/valgrind.out"
	add_counts "$log/valgrind.counts" "the valgrind runs"
fi
rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
