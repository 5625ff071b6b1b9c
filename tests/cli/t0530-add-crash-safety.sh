#!/bin/sh
# kill -9 at any moment of `civic add` leaves the archive clean (stock git
# fsck and civic audit pass), with or without the record, and the next add
# works.
. "$(dirname "$0")/test-lib.sh"

photo="add photo --field title=Снимка --field visibility=public --field date=2015-02-27"

# check_after_kill HOME WHAT N: after a kill (WHAT says where), the archive
# of HOME must be clean and hold N or N+1 records, and an add must work.
check_after_kill() {
	_h=$1 _what=$2 _n=$3
	if ! git_in "$_h" fsck --strict --full >"$TEST_DIR/fsck.out" 2>&1; then
		echo "# after kill $_what: git fsck fails:" >&2
		cat "$TEST_DIR/fsck.out" >&2
		return 1
	fi
	if ! "$CIVIC" --home "$_h" audit >"$TEST_DIR/audit.out" 2>&1; then
		echo "# after kill $_what: civic audit fails:" >&2
		cat "$TEST_DIR/audit.out" >&2
		return 1
	fi
	_c=$(record_count "$_h")
	if [ "$_c" != "$_n" ] && [ "$_c" != "$((_n + 1))" ]; then
		echo "# after kill $_what: $_c records, expected $_n or $((_n + 1))" >&2
		return 1
	fi
	if ! "$CIVIC" --home "$_h" $photo --attach "$TEST_DIR/small.jpg" >/dev/null 2>"$TEST_DIR/add.err"; then
		echo "# after kill $_what: the next add fails:" >&2
		cat "$TEST_DIR/add.err" >&2
		return 1
	fi
	return 0
}

test_expect_success 'setup: a member node with a record, an 8 MB photo' '
	new_network cc &&
	join_network cc a "НПО Рила" rila &&
	head -c 1000 /dev/urandom >small.jpg &&
	civic --home a $photo --attach small.jpg >id0 &&
	dd if=/dev/zero of=big.jpg bs=1048576 count=8 2>/dev/null &&
	printf x >>big.jpg
'

for delay in 0.005 0.02 0.05 0.09 0.14 0.2; do
	test_expect_success "kill -9 after $delay s of an add with an 8 MB attachment" '
		N=$(record_count a) &&
		{ "$CIVIC" --home a $photo --attach big.jpg >/dev/null 2>&1 & } &&
		pid=$! &&
		sleep $delay &&
		kill -9 $pid 2>/dev/null
		wait $pid
		check_after_kill a "after $delay s" "$N"
	'
done

test_expect_success 'the attachment store holds no half-written file under a final name' '
	for f in a/attachments/sha256/*; do
		case "$f" in
		*/.tmp-*) continue ;;
		esac
		test "$(sha256sum "$f" | cut -d" " -f1)" = "$(basename "$f")" || {
			echo "# $f does not hash to its name" >&2
			return_code=1
		}
	done &&
	test -z "${return_code:-}"
'

# What a writer killed between creating a ref's lock file and renaming it
# into place leaves behind (libgit2 writes "<ref>.lock", then the reflog,
# then renames). civic holds the node lock, so no other writer can own it.
test_expect_success 'a feed ref lock left by a killed add does not block the next add' '
	cp -a a stale &&
	F=$(node_feed stale) &&
	git_in stale rev-parse "$F" >"stale/archive.git/$F.lock" &&
	civic --home stale $photo --attach small.jpg >id &&
	test "$(git_in stale rev-parse "$F")" = "$(cat id)" &&
	git_in stale fsck --strict --full &&
	civic --home stale audit >/dev/null
'

test_expect_success 'a roster lock left by a killed member add does not block the next one' '
	cp -a cc stale-cc &&
	git_in stale-cc rev-parse refs/civic/roster >stale-cc/archive.git/refs/civic/roster.lock &&
	new_node late "Закъснял" rila &&
	civic --home stale-cc member add --name "Закъснял" --municipality rila --role ngo \
		--key "$(node_key late)" >/dev/null &&
	civic --home stale-cc network show | grep -q "Закъснял"
'

# With strace's fault injection, kill the add at the entry of the k-th call
# of each syscall that changes files: every state on the way is visited.
if strace -f -o /dev/null -e trace=getpid -e inject=getpid:error=ENOSYS true 2>/dev/null; then
	test_expect_success 'setup: a template node for deterministic kills' '
		join_network cc tmpl "НПО Дупница" dupnitsa &&
		civic --home tmpl $photo --attach small.jpg >/dev/null &&
		head -c 100000 /dev/urandom >mid.jpg
	'
	for sc in fsync link rename unlink; do
		test_expect_success "kill -9 at every $sc of an add" '
			rm -rf probe && cp -a tmpl probe &&
			env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o strace.out -e trace=$sc \
				"$CIVIC" --home probe add photo --field "title=Снимка $sc" \
				--field visibility=public --field date=2015-02-27 \
				--attach mid.jpg >/dev/null 2>&1 &&
			calls=$(grep -c "^[0-9]* *$sc(" strace.out) &&
			test "$calls" -gt 0 &&
			failed= &&
			k=1 &&
			rm -rf crash && cp -a tmpl crash &&
			while test $k -le $calls; do
				n=$(record_count crash)
				env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null -e trace=$sc \
					-e inject=$sc:signal=KILL:when=$k \
					"$CIVIC" --home crash add photo --field "title=Снимка $sc $k" \
					--field visibility=public --field date=2015-02-27 \
					--attach mid.jpg >/dev/null 2>&1
				rc=$?
				if test $rc = 0; then
					echo "# $sc #$k: the add was not killed" >&2
				fi
				# A clean node after the kill and the add that follows
				# is the start of the next round; else start afresh.
				if ! check_after_kill crash "at $sc #$k of $calls" "$n"; then
					failed="$failed $sc#$k"
					rm -rf crash && cp -a tmpl crash
				fi
				k=$((k + 1))
			done &&
			echo "# $calls kill points" &&
			test -z "$failed"
		'
	done
else
	test_skip 'kill -9 at every file-changing syscall of an add' 'strace cannot inject faults here'
fi

test_done
