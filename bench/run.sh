#!/bin/sh
# make bench: how civic's costs grow with the archive (issue 2, "make bench").
#
#   sh bench/run.sh build/civic
#
# For each archive size (BENCH_SIZES, default "1000 10000 100000" records):
#  - builds an archive with bench/gen_archive (cached under bench/.cache/,
#    keyed by the size and the generator's source) and packs it with stock
#    `git repack -adq`, with its reverse index (pack.writeReverseIndex);
#  - times `civic audit --no-rehash` and civic_audit_run() over it, pinned
#    to one CPU, against the floor: libsodium verification of the same
#    signatures on one CPU (bench/verify_floor);
#  - times `civic add` (median of BENCH_ADD_RUNS, default 15) and
#    civic_feed_append() alone, on a copy of it;
# and, on the largest size, stock `git log --show-signature` over the newest
# BENCH_GIT_COMMITS (default 2000) commits, extrapolated to the whole archive.
# Then bench/sync.sh (issue 3): `civic sync` of 10 new records at each size and a
# first full sync of the largest, against stock `git fetch` and `git clone
# --mirror` from the same git daemon on 127.0.0.1 (BENCH_SYNC_RUNS, default 11;
# BENCH_FULL_RUNS, default 3).
#
# Before all of that, roster verification: for each roster size
# (BENCH_ROSTER_SIZES, default "500 2000" members), a network whose roster
# gains one member per commit, built by bench/roster_load with
# civic_roster_create and civic_roster_add (cached under bench/.cache/, keyed
# by the size and roster_load's source) and packed with stock `git repack
# -adq`; times civic_roster_load() over it (median of BENCH_ROSTER_RUNS,
# default 5), against stock `git log --show-signature` of the whole ref with
# the roster's allowed_signers (BENCH_ROSTER_GIT_RUNS, default 1) and `git
# rev-list --objects` of it (reading only, median of BENCH_ROSTER_RUNS), all
# pinned to the same CPU.
#
# Prints a table and rewrites docs/benchmarks.md; hand-written notes below
# its marker line are kept. BENCH_REGEN=1 rebuilds the cached archives and
# rosters. BENCH_ONLY=roster runs the roster part alone and replaces only the
# roster section of docs/benchmarks.md, keeping every other figure in it
# (default BENCH_ONLY=all: everything).
set -eu

[ $# -eq 1 ] || { echo "usage: sh bench/run.sh PATH/TO/civic" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
CIVIC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
BUILD=$(dirname "$CIVIC")
cd "$TOP"
export LC_ALL=C.UTF-8

SIZES=${BENCH_SIZES:-"1000 10000 100000"}
ADD_RUNS=${BENCH_ADD_RUNS:-15}
AUDIT_RUNS=${BENCH_AUDIT_RUNS:-3}
GIT_COMMITS=${BENCH_GIT_COMMITS:-2000}
CACHE=$TOP/bench/.cache
RES=$CACHE/results
DOC=$TOP/docs/benchmarks.md
MARKER='<!-- Figures above are written by bench/run.sh; notes below this line are kept. -->'
CPU=0    # the CPU that audit and floor are pinned to
ONLY=${BENCH_ONLY:-all}
ROSTER_SIZES=${BENCH_ROSTER_SIZES:-"500 2000"}
ROSTER_RUNS=${BENCH_ROSTER_RUNS:-5}
ROSTER_GIT_RUNS=${BENCH_ROSTER_GIT_RUNS:-1}
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "$*"; exit 1; }
# kv FILE KEY: the value of KEY=VALUE in FILE (pairs separated by spaces or lines)
kv() { tr ' ' '\n' < "$1" | sed -n "s/^$2=//p" | tail -n 1; }
# calc EXPR: floating-point arithmetic
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
fmt() { awk "BEGIN { printf \"$1\", $2 }"; }
# n1 N: 100000 -> 100k
short() { awk "BEGIN { n = $1; if (n >= 1000 && n % 1000 == 0) printf \"%dk\", n / 1000; else printf \"%d\", n }"; }
case $ONLY in all|roster) ;; *) die "BENCH_ONLY: '$ONLY' is neither all nor roster";; esac

# ---------------------------------------------------------------------------
# The benchmark programs, built with the project's flags.
PKGS="libgit2 libsodium libarchive jansson libcmark libpcre2-8"
CC=${CC:-cc}
# shellcheck disable=SC2086 # PKGS is a list
CFLAGS="-std=c17 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
-Wmissing-prototypes -O2 -g $(pkg-config --cflags $PKGS) -Isrc"
# shellcheck disable=SC2086
LIBS="$(pkg-config --libs $PKGS) -pthread"
[ -f "$BUILD/libcivic.a" ] || die "$BUILD/libcivic.a is missing: run make first"
mkdir -p "$BUILD/bench" "$RES"
for prog in gen_archive verify_floor audit_lib audit_parts append_lib timeit roster_load; do
	bin=$BUILD/bench/$prog
	# shellcheck disable=SC3013 # -nt: dash, bash and busybox sh have it
	if [ ! -x "$bin" ] || [ bench/$prog.c -nt "$bin" ] || [ bench/bench_common.h -nt "$bin" ] ||
	   [ bench/bench_fail.h -nt "$bin" ] ||
	   [ "$BUILD/libcivic.a" -nt "$bin" ]; then
		say "cc $prog"
		# shellcheck disable=SC2086
		$CC $CFLAGS -o "$bin" bench/$prog.c "$BUILD/libcivic.a" $LIBS
	fi
done
TIMEIT=$BUILD/bench/timeit

# Archives depend on the generator only: one that the current civic no longer
# audits as sound is regenerated (see ensure_archive).
GEN_KEY=$(cat bench/gen_archive.c bench/bench_common.h | sha256sum | cut -c1-12)

# repack HOME: one pack with its bitmap and reverse index (.rev), as git
# 2.41 and later write by default and as a civic node asks for
# (pack.writeReverseIndex): without the .rev, every upload-pack that uses
# the bitmap sorts all of the pack's objects first.
repack() {
	git -C "$1/archive.git" -c pack.writeReverseIndex=true repack -adq
}

# generate N HOME: a fresh archive of N records, packed
generate() {
	rm -rf "$CACHE"/archive-"$1"-* "$CACHE"/archive-"$1"-*.gen
	say "generating an archive of $1 records (cached in $2)"
	t0=$(date +%s.%N)
	"$BUILD/bench/gen_archive" "$2" "$1"
	t1=$(date +%s.%N)
	repack "$2"
	t2=$(date +%s.%N)
	printf 'gen_s=%s repack_s=%s\n' "$(calc "$t1 - $t0")" "$(calc "$t2 - $t1")" > "$2.gen"
	touch "$2/.bench-complete"
}

# audit_cli N HOME: times civic audit; fails if it is not sound over N records
audit_cli() {
	"$TIMEIT" -n "$AUDIT_RUNS" -c "$CPU" -o "$RES/audit-out-$1.txt" -- \
		"$CIVIC" --home "$2" audit --no-rehash > "$RES/audit-$1.txt" || return 1
	tail -n 1 "$RES/audit-out-$1.txt" | grep -q '^audit: sound$' || return 1
	grep -q "records: $1 valid, 0 pending" "$RES/audit-out-$1.txt" || return 1
}

BODY='# Доклад за дейността на НПО Мрежата

Мрежата проведе девет работни срещи с кметовете, общинските съвети и администрациите на деветте общини в област Кюстендил. Препоръките на организациите бяха внесени писмено и проследени.

## Изводи

Читалищата са основната гражданска структура в малките общини и имат доверието на хората.
'

# ---------------------------------------------------------------------------
# Roster verification: civic_roster_load over a roster of N members added
# one per commit, against stock git over the same ref, all on CPU $CPU.
# Writes the report's section into $RES/roster-section.md.
ROSTER_START=$(date +%s)
ROSTER_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
ROSTER_KEY=$(cat bench/roster_load.c bench/bench_common.h | sha256sum | cut -c1-12)
ROSTER_REF=refs/civic/roster
# stock_git ARGS: stock git with its defaults, whatever the user's configuration says
stock_git() { GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git "$@"; }
# stock_timeit TIMEIT-ARGS -- git ARGS: the same, timed (no process in between)
stock_timeit() { (export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null; exec "$TIMEIT" "$@"); }

# roster_generate N DIR: a fresh roster of N members, one per commit; then
# civic_roster_load once on the loose objects civic wrote, for reference;
# then packed
roster_generate() {
	rm -rf "$CACHE"/roster-"$1"-*
	say "generating a roster of $1 members, one per commit (cached in $2)"
	t0=$(date +%s.%N)
	"$BUILD/bench/roster_load" create "$2" "$1" > /dev/null
	t1=$(date +%s.%N)
	"$TIMEIT" -c "$CPU" -o "$2.loose" -- "$BUILD/bench/roster_load" time "$2" 1 > /dev/null
	loose_kb=$(du -sk "$2/roster.git" | cut -f1)
	t2=$(date +%s.%N)
	stock_git -C "$2/roster.git" -c pack.writeReverseIndex=true repack -adq
	t3=$(date +%s.%N)
	printf 'gen_s=%s repack_s=%s loose_load_s=%s loose_kb=%s\n' "$(calc "$t1 - $t0")" \
		"$(calc "$t3 - $t2")" "$(kv "$2.loose" roster_load_s)" "$loose_kb" > "$2.gen"
	rm -f "$2.loose"
	touch "$2/.bench-complete"
}

# roster_time N DIR: times civic_roster_load; fails unless it verifies N + 1 members
roster_time() {
	"$TIMEIT" -c "$CPU" -o "$RES/roster-lib-$1.txt" -- \
		"$BUILD/bench/roster_load" time "$2" "$ROSTER_RUNS" > "$RES/roster-proc-$1.txt" || return 1
	[ "$(kv "$RES/roster-lib-$1.txt" roster_load_members)" = "$(($1 + 1))" ]
}

for n in $ROSTER_SIZES; do
	case $n in ''|*[!0-9]*) die "BENCH_ROSTER_SIZES: '$n' is not a number";; esac
	dir=$CACHE/roster-$n-$ROSTER_KEY
	fresh=0
	if [ "${BENCH_REGEN:-0}" = 1 ] || [ ! -f "$dir/.bench-complete" ]; then
		roster_generate "$n" "$dir"
		fresh=1
	fi
	say "$n members: civic_roster_load ($ROSTER_RUNS runs, CPU $CPU)"
	if ! roster_time "$n" "$dir"; then
		[ $fresh = 0 ] || die "civic_roster_load does not verify a fresh roster of $n members"
		say "the cached roster does not verify with this civic: regenerating"
		roster_generate "$n" "$dir"
		roster_time "$n" "$dir" || die "civic_roster_load does not verify a roster of $n members"
	fi
	cp "$dir.gen" "$RES/roster-gen-$n.txt"
	du -sk "$dir/roster.git" | cut -f1 > "$RES/roster-size-$n.txt"
	git_dir=$dir/roster.git
	commits=$(stock_git -C "$git_dir" rev-list --count "$ROSTER_REF")
	[ "$commits" = "$((n + 1))" ] || die "the roster of $n members has $commits commits, not $((n + 1))"
	objects=$(stock_git -C "$git_dir" rev-list --objects "$ROSTER_REF" | wc -l)
	printf 'roster_commits=%s roster_objects=%s\n' "$commits" "$objects" >> "$RES/roster-lib-$n.txt"

	say "$n members: stock git rev-list --objects (1 warm-up, $ROSTER_RUNS runs, CPU $CPU)"
	stock_timeit -w 1 -n "$ROSTER_RUNS" -c "$CPU" -- git -C "$git_dir" rev-list --objects \
		"$ROSTER_REF" > "$RES/roster-revlist-$n.txt"
	say "$n members: stock git log --show-signature of all $commits commits ($ROSTER_GIT_RUNS run(s), CPU $CPU)"
	stock_timeit -n "$ROSTER_GIT_RUNS" -c "$CPU" -o "$RES/roster-git-out-$n.txt" -e "$RES/roster-git-err-$n.txt" -- \
		git -C "$git_dir" -c gpg.ssh.allowedSignersFile="$dir/allowed_signers" \
		log --show-signature --format=%H "$ROSTER_REF" > "$RES/roster-git-$n.txt"
	good=$(grep -c '^Good "git" signature for [0-9a-f]\{64\}@civic with ED25519 key SHA256:' \
		"$RES/roster-git-out-$n.txt" || true)
	[ "$good" = "$commits" ] ||
		die "stock git reported $good good signatures of $commits (see $RES/roster-git-out-$n.txt)"
done

# The roster's part of the report.
# shellcheck disable=SC2086 # ROSTER_SIZES is a list
ROSTER_SORTED=$(printf '%s\n' $ROSTER_SIZES | sort -n)
plural=s; [ "$ROSTER_GIT_RUNS" != 1 ] || plural=
TABLE_ROSTER="| members | roster commits | \`civic_roster_load\` (median of $ROSTER_RUNS) | min – max | per commit | \`git log --show-signature\` ($ROSTER_GIT_RUNS run$plural) | per commit | \`git rev-list --objects\` (median of $ROSTER_RUNS) | civic / git log | civic / rev-list | peak RSS: civic, git log |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
TABLE_ROSTER_GEN="| members | generate (fsync off) | on disk, loose | \`civic_roster_load\` on the loose objects (1 run, when generated) | \`git repack -adq\` | on disk, packed | objects in the ref |
|---:|---:|---:|---:|---:|---:|---:|"
ROSTER_SUMMARY=""
for n in $ROSTER_SORTED; do
	lib=$RES/roster-lib-$n.txt
	gen=$RES/roster-gen-$n.txt
	civ=$(kv "$lib" roster_load_s)
	c=$(kv "$lib" roster_commits)
	glog=$(kv "$RES/roster-git-$n.txt" median_s)
	rl=$(kv "$RES/roster-revlist-$n.txt" median_s)
	TABLE_ROSTER="$TABLE_ROSTER
| $n | $c | $(fmt '%.3f' "$civ") s | $(fmt '%.3f' "$(kv "$lib" roster_load_min_s)") – $(fmt '%.3f' "$(kv "$lib" roster_load_max_s)") s | $(fmt '%.0f' "$civ / $c * 1e6") µs | $(fmt '%.2f' "$glog") s | $(fmt '%.1f' "$glog / $c * 1e3") ms | $(fmt '%.3f' "$rl") s | $(fmt '%.3f' "$civ / $glog")x | $(fmt '%.2f' "$civ / $rl")x | $(fmt '%.0f' "$(kv "$RES/roster-proc-$n.txt" maxrss_kb) / 1024"), $(fmt '%.0f' "$(kv "$RES/roster-git-$n.txt" maxrss_kb) / 1024") MiB |"
	TABLE_ROSTER_GEN="$TABLE_ROSTER_GEN
| $n | $(fmt '%.2f' "$(kv "$gen" gen_s)") s | $(fmt '%.1f' "$(kv "$gen" loose_kb) / 1024") MiB | $(fmt '%.3f' "$(kv "$gen" loose_load_s)") s | $(fmt '%.2f' "$(kv "$gen" repack_s)") s | $(fmt '%.1f' "$(cat "$RES/roster-size-$n.txt") / 1024") MiB | $(kv "$lib" roster_objects) |"
	ROSTER_SUMMARY="${ROSTER_SUMMARY}roster of $n members: civic_roster_load $(fmt '%.3f' "$civ") s, git log --show-signature $(fmt '%.2f' "$glog") s, git rev-list --objects $(fmt '%.3f' "$rl") s: civic/git-log $(fmt '%.3f' "$civ / $glog")x, civic/rev-list $(fmt '%.2f' "$civ / $rl")x
"
done
ROSTER_ELAPSED=$(( $(date +%s) - ROSTER_START ))
cat > "$RES/roster-section.md" <<EOF
## Roster verification

Run on $(date -u '+%Y-%m-%d %H:%M UTC'), in ${ROSTER_ELAPSED} s, on $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) ($(nproc) CPUs) with $(git --version | sed 's/ version//') and
$(ssh -V 2>&1 | cut -d, -f1); load average (1, 5, 15 min) at the start of this part: $ROSTER_LOAD_START; at its end: $(cut -d' ' -f1-3 /proc/loadavg).

A network whose roster (\`refs/civic/roster\`) has N members, built by \`bench/roster_load\` with the
library's own \`civic_roster_create\` (one admin, the Civic Center) and N calls of
\`civic_roster_add\`: one member per commit (N + 1 commits), each commit signed by the admin, each
member an NGO with a Bulgarian name, a key of its own and one of the nine municipalities. Then
packed with stock \`git repack -adq\` (with \`pack.writeReverseIndex\`); cached in \`bench/.cache/\`
by size and the source of \`bench/roster_load\`. \`civic_roster_load\` verifies the chain from the
network id to the head: every commit's SSHSIG, its signer an admin, its trailers, and what its tree
adds (the members added since its parent, each JSON file parsed and checked). \`bench/roster_load
time\` opens the repository afresh for each of $ROSTER_RUNS runs (not timed) and times the load alone,
in one process pinned to CPU $CPU. Against it, on the same CPU and the same ref: stock \`git -c
gpg.ssh.allowedSignersFile=F log --show-signature --format=%H refs/civic/roster\` over the whole
chain (not extrapolated), F holding every member as \`civic allowed-signers\` prints it (git runs
\`ssh-keygen -Y verify\` for each commit, on the same CPU; every commit must report \`Good "git"
signature\`); and \`git rev-list --objects refs/civic/roster\`, the floor of reading: it reads every
commit and every tree of the chain (one \`members/\` tree per commit, of up to N + 1 entries) and
lists the blobs without reading them, and checks no signature; after one warm-up run. Stock git
runs with its defaults (no system or global configuration).

$TABLE_ROSTER

$TABLE_ROSTER_GEN
EOF

# BENCH_ONLY=roster: the roster section replaces the one in docs/benchmarks.md
# (or goes before "## The archives", or before the marker line); every other
# line of it stays as the last full run wrote it.
if [ "$ONLY" = roster ]; then
	if [ -f "$DOC" ] && grep -qF "$MARKER" "$DOC"; then
		awk -v sec="$RES/roster-section.md" -v m="$MARKER" '
			function put(  l) { while ((getline l < sec) > 0) print l; close(sec); print ""; done = 1 }
			below { print; next }
			$0 == m { if (!done) put(); below = 1; print; next }
			/^## / { skip = 0 }
			$0 == "## Roster verification" { if (!done) put(); skip = 1; next }
			$0 == "## The archives" && !done { put() }
			!skip { print }
		' "$DOC" > "$DOC.tmp"
	else
		mkdir -p "$(dirname "$DOC")"
		{ printf '# civic benchmarks\n\n'; cat "$RES/roster-section.md"; printf '\n%s\n' "$MARKER"; } > "$DOC.tmp"
	fi
	mv "$DOC.tmp" "$DOC"
	printf '\n%s\n\n%s\n\n%s' "$TABLE_ROSTER" "$TABLE_ROSTER_GEN" "$ROSTER_SUMMARY"
	printf 'wrote the roster section of %s in %s s\n' "${DOC#"$TOP"/}" "$ROSTER_ELAPSED"
	exit 0
fi

LARGEST=0
for n in $SIZES; do
	case $n in ''|*[!0-9]*) die "BENCH_SIZES: '$n' is not a number";; esac
	[ "$n" -gt "$LARGEST" ] && LARGEST=$n
done

for n in $SIZES; do
	home=$CACHE/archive-$n-$GEN_KEY
	fresh=0
	if [ "${BENCH_REGEN:-0}" = 1 ] || [ ! -f "$home/.bench-complete" ]; then
		generate "$n" "$home"
		fresh=1
	fi
	# Archives cached before the reverse index was written get one.
	ls "$home/archive.git/objects/pack/" | grep -q '\.rev$' || repack "$home"
	cp "$home.gen" "$RES/gen-$n.txt"
	du -sk "$home/archive.git" | cut -f1 > "$RES/size-$n.txt"

	say "$n records: civic audit --no-rehash ($AUDIT_RUNS runs, CPU $CPU)"
	if ! audit_cli "$n" "$home"; then
		[ $fresh = 0 ] || die "civic audit does not pass on a fresh archive: see $RES/audit-out-$n.txt"
		say "the cached archive does not audit as sound with this civic: regenerating"
		generate "$n" "$home"
		cp "$home.gen" "$RES/gen-$n.txt"
		du -sk "$home/archive.git" | cut -f1 > "$RES/size-$n.txt"
		audit_cli "$n" "$home" || die "civic audit does not pass: see $RES/audit-out-$n.txt"
	fi

	lib_runs=$AUDIT_RUNS
	[ "$n" -le 10000 ] || lib_runs=1
	say "$n records: civic_audit_run ($lib_runs runs, CPU $CPU)"
	"$TIMEIT" -c "$CPU" -o "$RES/audit-lib-$n.txt" -- "$BUILD/bench/audit_lib" "$home" "$lib_runs" > /dev/null
	echo "audit_lib_runs=$lib_runs" >> "$RES/audit-lib-$n.txt"
	say "$n records: libsodium floor (best of 3 passes, CPU $CPU)"
	"$TIMEIT" -c "$CPU" -o "$RES/floor-$n.txt" -- "$BUILD/bench/verify_floor" "$home/archive.git" 3 > /dev/null
	[ "$(kv "$RES/floor-$n.txt" floor_records)" = "$((n + 0))" ] || die "the floor did not see $n commits"

	# Adding changes the archive: work on a copy of the packed one.
	rm -rf "$CACHE/work-$n"
	cp -a "$home" "$CACHE/work-$n"
	rm -f "$CACHE/work-$n/.bench-complete"

	if [ "$n" = "$LARGEST" ]; then
		say "$n records: the parts of an audit, one at a time (CPU $CPU)"
		"$TIMEIT" -c "$CPU" -o "$RES/parts.txt" -- "$BUILD/bench/audit_parts" "$home" > /dev/null
		sub=$GIT_COMMITS
		[ "$sub" -le "$n" ] || sub=$n
		say "$n records: stock git log --show-signature over the newest $sub commits"
		"$CIVIC" --home "$home" allowed-signers > "$RES/allowed_signers"
		ref=$(git -C "$home/archive.git" for-each-ref --format='%(refname)' refs/civic/feeds/ | head -n 1)
		"$TIMEIT" -o "$RES/git-out.txt" -e "$RES/git-err.txt" -- git -C "$home/archive.git" \
			-c gpg.ssh.allowedSignersFile="$RES/allowed_signers" \
			log --show-signature --format=%H -n "$sub" "$ref" > "$RES/git.txt"
		good=$(grep -c '^Good "git" signature for ' "$RES/git-out.txt" || true)
		[ "$good" = "$sub" ] || die "stock git reported $good good signatures of $sub"
		printf 'git_commits=%s\n' "$sub" >> "$RES/git.txt"
	fi
done

# ---------------------------------------------------------------------------
# Adding a record, the sizes taken in turn in every round, so that whatever
# else the machine does at some moment weighs on every size alike.
add_once() { # N: one timed `civic add`
	"$TIMEIT" -- "$CIVIC" --home "$CACHE/work-$1" add document \
		--field visibility=public --field language=bg \
		--field "title=Доклад за дейността на НПО Мрежата през тримесечието" \
		--field municipality=Кюстендил --field date=2016-03-31 --field document_type=report \
		--field "body=$BODY"
}
# stats: median, min and max of the numbers on standard input, as timeit prints them
stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "runs=%d median_s=%.6f min_s=%.6f max_s=%.6f\n", NR, m, v[1], v[NR] }'
}
say "civic add, civic_feed_append and civic id: 2 warm-up rounds, then $ADD_RUNS rounds over the sizes"
for n in $SIZES; do
	: > "$RES/add-runs-$n.txt"; : > "$RES/append-runs-$n.txt"; : > "$RES/id-runs-$n.txt"
done
round=-1
while [ "$round" -le "$ADD_RUNS" ]; do
	for n in $SIZES; do
		a=$(add_once "$n")
		# civic_feed_append in a fresh process: one warm-up append, then one timed
		l=$("$BUILD/bench/append_lib" "$CACHE/work-$n" 1)
		# a process that opens the node and does nothing else: civic's start-up
		i=$("$TIMEIT" -- "$CIVIC" --home "$CACHE/work-$n" id)
		if [ "$round" -ge 1 ]; then
			echo "$a" | tr ' ' '\n' | sed -n 's/^median_s=//p' >> "$RES/add-runs-$n.txt"
			echo "$l" | sed -n 's/^append_lib_s=//p' >> "$RES/append-runs-$n.txt"
			echo "$i" | tr ' ' '\n' | sed -n 's/^median_s=//p' >> "$RES/id-runs-$n.txt"
		fi
	done
	round=$((round + 1))
done
for n in $SIZES; do
	stats < "$RES/add-runs-$n.txt" > "$RES/add-$n.txt"
	stats < "$RES/id-runs-$n.txt" > "$RES/id-$n.txt"
	stats < "$RES/append-runs-$n.txt" | sed 's/median_s=/append_lib_s=/' > "$RES/append-$n.txt"
	rm -rf "$CACHE/work-$n"
done

# ---------------------------------------------------------------------------
# Syncing (issue 3): bench/sync.sh serves each archive with a git daemon of its
# own and writes its part of the report into $RES/sync-*.md.
set --
for n in $SIZES; do set -- "$@" "$n=$CACHE/archive-$n-$GEN_KEY"; done
sh bench/sync.sh "$CIVIC" "$TIMEIT" "$RES" "$@"

# ---------------------------------------------------------------------------
# The report.
ms() { fmt '%.1f' "$1 * 1000"; }
sec() { fmt '%.2f' "$1"; }
verdict() { awk "BEGIN { print ($1) ? \"PASS\" : \"MISS\" }"; }

# shellcheck disable=SC2086 # SIZES is a list
SORTED=$(printf '%s\n' $SIZES | sort -n)
FIRST=$(echo "$SORTED" | head -n 1)
N=$LARGEST
TABLE_ADD="| records in the archive | \`civic add\` (median of $ADD_RUNS) | min – max | \`civic_feed_append\` alone (median of $ADD_RUNS) | \`civic id\`: start-up and opening the node |
|---:|---:|---:|---:|---:|"
TABLE_AUDIT="| records | \`civic audit --no-rehash\` (median of $AUDIT_RUNS) | per record | \`civic_audit_run\` (median of $AUDIT_RUNS; 1 run above 10k) | floor: SHA-512 + ed25519 | per signature | audit / floor (CLI, library) | peak RSS of \`civic audit\` |
|---:|---:|---:|---:|---:|---:|---:|---:|"
TABLE_GEN="| records | generate (fsync off) | \`git repack -adq\` | archive.git on disk |
|---:|---:|---:|---:|"
for n in $SORTED; do
	add=$(kv "$RES/add-$n.txt" median_s)
	app=$(kv "$RES/append-$n.txt" append_lib_s)
	id=$(kv "$RES/id-$n.txt" median_s)
	aud=$(kv "$RES/audit-$n.txt" median_s)
	lib=$(kv "$RES/audit-lib-$n.txt" audit_lib_s)
	flo=$(kv "$RES/floor-$n.txt" floor_s)
	rss=$(kv "$RES/audit-$n.txt" maxrss_kb)
	TABLE_ADD="$TABLE_ADD
| $n | $(ms "$add") ms | $(ms "$(kv "$RES/add-$n.txt" min_s)") – $(ms "$(kv "$RES/add-$n.txt" max_s)") ms | $(ms "$app") ms | $(ms "$id") ms |"
	TABLE_AUDIT="$TABLE_AUDIT
| $n | $(sec "$aud") s | $(fmt '%.0f' "$aud / $n * 1e6") µs | $(sec "$lib") s | $(sec "$flo") s | $(fmt '%.1f' "$flo / $n * 1e6") µs | $(fmt '%.2f' "$aud / $flo")x, $(fmt '%.2f' "$lib / $flo")x | $(fmt '%.0f' "$rss / 1024") MiB |"
	TABLE_GEN="$TABLE_GEN
| $n | $(sec "$(kv "$RES/gen-$n.txt" gen_s)") s | $(sec "$(kv "$RES/gen-$n.txt" repack_s)") s | $(fmt '%.0f' "$(cat "$RES/size-$n.txt") / 1024") MiB |"
done

# Where an audit's time goes, at the largest size.
part() { kv "$RES/parts.txt" "parts_$1_s"; }
part_row() { # name seconds
	if awk "BEGIN { exit !($2 < 0) }"; then
		printf '| %s | %s s: within the noise | | |\n' "$1" "$(sec "$2")"
		return
	fi
	printf '| %s | %s s | %s µs | %sx |\n' "$1" "$(sec "$2")" "$(fmt '%.1f' "$2 / $N * 1e6")" \
		"$(fmt '%.2f' "$2 / $(kv "$RES/floor-$N.txt" floor_s)")"
}
PARTS_SUM=$(calc "$(part walk) + $(part commits) + $(part sshsig) + $(part trees) + $(part blobs) + $(part json) + $(part schema)")
# shellcheck disable=SC2016 # backquotes are Markdown here
TABLE_PARTS="| part of the audit, at $(short "$N") records | time | per record | x floor |
|---|---:|---:|---:|
$(part_row 'walk: revwalk of the feed, oldest first' "$(part walk)")
$(part_row 'commits: `git_commit_lookup` of each commit' "$(part commits)")
$(part_row 'sshsig: `civic_verify` (armor, SHA-512, ed25519)' "$(part sshsig)")
$(part_row 'trees: the 5 trees on each record'"'"'s path (root, records/, AA/, BB/, CC/)' "$(part trees)")
$(part_row 'blobs: each record blob' "$(part blobs)")
$(part_row 'json: `civic_record_parse` (jansson)' "$(part json)")
$(part_row 'schema: `civic_schemas_validate`' "$(part schema)")
$(part_row '**sum: every object read once**' "$PARTS_SUM")
$(part_row 'not in the sum: `git_commit_extract_signature` (reads each commit again)' "$(part extract)")
$(part_row '`civic_audit_run` minus the sum: objects read again, tree comparison, bookkeeping' "$(calc "$(kv "$RES/audit-lib-$N.txt" audit_lib_s) - $PARTS_SUM")")
$(part_row '`civic audit` minus `civic_audit_run`: process start-up, teardown' "$(calc "$(kv "$RES/audit-$N.txt" median_s) - $(kv "$RES/audit-lib-$N.txt" audit_lib_s)")")"

add_lo=$(kv "$RES/add-$FIRST.txt" median_s); add_hi=$(kv "$RES/add-$N.txt" median_s)
app_lo=$(kv "$RES/append-$FIRST.txt" append_lib_s); app_hi=$(kv "$RES/append-$N.txt" append_lib_s)
add_ratio=$(calc "$add_hi / $add_lo"); app_ratio=$(calc "$app_hi / $app_lo")
aud=$(kv "$RES/audit-$N.txt" median_s); lib=$(kv "$RES/audit-lib-$N.txt" audit_lib_s)
flo=$(kv "$RES/floor-$N.txt" floor_s)
floor_ratio=$(calc "$aud / $flo"); floor_ratio_lib=$(calc "$lib / $flo")
git_s=$(kv "$RES/git.txt" median_s); git_n=$(kv "$RES/git.txt" git_commits)
git_rate=$(calc "$git_n / $git_s"); git_full=$(calc "$git_s * $N / $git_n")
git_ratio=$(calc "$git_full / $aud")
V_ADD=$(verdict "$add_ratio < 2 && $app_ratio < 2")
V_FLOOR=$(verdict "$floor_ratio <= 1.5")
V_GIT=$(verdict "$git_ratio >= 50")
QUICK=""
[ "$N" = 100000 ] && [ "$FIRST" = 1000 ] || QUICK="
**Quick run** (BENCH_SIZES=\"$SIZES\"): the targets are stated for 1k and 100k records; here they
are checked between $(short "$FIRST") and $(short "$N") records, so the verdicts below are indicative only.
"

CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
MEM=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
OS=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null)
[ -n "$OS" ] || OS=$(uname -s)
VERSIONS="libgit2 $(pkg-config --modversion libgit2), libsodium $(pkg-config --modversion libsodium), \
$(git --version | sed 's/ version//'), $(ssh -V 2>&1 | cut -d, -f1), $($CC --version | head -n 1)"
ELAPSED=$(( $(date +%s) - START ))
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

NOTES=""
if [ -f "$DOC" ] && grep -qF "$MARKER" "$DOC"; then
	NOTES=$(awk -v m="$MARKER" 'found { print } $0 == m { found = 1 }' "$DOC")
fi

mkdir -p "$(dirname "$DOC")"
cat > "$DOC.tmp" <<EOF
# civic benchmarks

Written by \`make bench\` (\`bench/run.sh\`) on $(date -u '+%Y-%m-%d %H:%M UTC'), in ${ELAPSED} s.

- **Machine:** $CPU_MODEL (/proc/cpuinfo), $(nproc) CPUs (nproc), $MEM RAM, $OS, kernel $(uname -r).
- **Software:** $VERSIONS; benchmark programs built with \`-O2\`.
- **Load average** (1, 5, 15 min) at the start: $LOAD_START; at the end: $LOAD_END. Other work on
  the machine shows up as noise in every figure.
$QUICK
## Targets (issue 2)

| target | measured | result |
|---|---|---|
| adding a record stays under 2x between 1k and 100k records | \`civic add\`: $(ms "$add_lo") ms at $(short "$FIRST"), $(ms "$add_hi") ms at $(short "$N"): **$(fmt '%.2f' "$add_ratio")x**; \`civic_feed_append\` alone: $(ms "$app_lo") → $(ms "$app_hi") ms, **$(fmt '%.2f' "$app_ratio")x** | **$V_ADD** |
| audit of 100k records within 1.5x of the libsodium floor on one core | \`civic audit --no-rehash\` $(sec "$aud") s, floor $(sec "$flo") s: **$(fmt '%.2f' "$floor_ratio")x** (library \`civic_audit_run\` $(sec "$lib") s: $(fmt '%.2f' "$floor_ratio_lib")x) | **$V_FLOOR** |
| audit at least 50x faster than stock \`git log --show-signature\` | git: $git_n commits in $(sec "$git_s") s ($(fmt '%.0f' "$git_rate") commits/s), **extrapolated** to $N commits: $(fmt '%.0f' "$git_full") s; civic audit $(sec "$aud") s: **$(fmt '%.0f' "$git_ratio")x** faster | **$V_GIT** |

## Targets (issue 3): sync

$(cat "$RES/sync-targets.md")

## Adding a record

The archive is the cached one, packed by stock \`git repack -adq\` with its reverse index (every record and tree in one
pack; refs and reflogs loose, as civic writes them), copied before each size's runs. All N records
are in the node's own feed, the case where \`civic add\` has the most to lose: an append reads and
rewrites only its own feed's tree. \`civic add\` is the real command, with a Markdown body of about
550 bytes of Bulgarian, fsync on (civic's default), an unencrypted key (\`--no-passphrase\`: an
encrypted key adds one argon2id derivation, the same at any size). Wall time per process: fork,
exec, open the node, take the lock, compile the schemas, load the key, validate, sign, write the
blob, 5 trees and the commit, move the ref, append the reflog, with fsync. \`civic_feed_append\`
alone: \`bench/append_lib\` opens the node, appends one record untimed, then times one more. Two
warm-up rounds, then $ADD_RUNS rounds, each taking every size in turn, so that other work on the
machine weighs on all sizes alike; medians over the rounds.

$TABLE_ADD

## Audit

\`civic audit --no-rehash\` and \`civic_audit_run\` over the whole archive (the roster and one feed of
N records; for every commit: SSHSIG, trailers, parent, the tree adds exactly one record, the record's
JSON against its schema), on the packed archive, pinned to CPU $CPU. The floor
(\`bench/verify_floor\`) reads every commit's signed bytes and signature with
\`git_commit_extract_signature\` and decodes the armor beforehand, then times only the SHA-512 of
the commit bytes, the SSHSIG signed data and \`crypto_sign_verify_detached\`, on the same CPU, best
of 3 passes. Average signed commit: $(kv "$RES/floor-$N.txt" floor_signed_bytes_avg) bytes. At $(short "$N"), for reference (one pass each):
ed25519 alone $(sec "$(kv "$RES/floor-$N.txt" floor_ed25519_s)") s; the floor with the armor decoding included
$(sec "$(kv "$RES/floor-$N.txt" floor_armor_s)") s; extracting the signatures with libgit2 (the untimed part of the floor)
$(sec "$(kv "$RES/floor-$N.txt" floor_extract_s)") s.

$TABLE_AUDIT

Where the time goes (\`bench/audit_parts\`: the checks of an audit, one kind at a time over the whole
archive, each object read once, civic's settings, a fresh repository per part, CPU $CPU):

$TABLE_PARTS

## Stock git

\`git -c gpg.ssh.allowedSignersFile=F log --show-signature -n $git_n\` over the newest $git_n commits of
the $N-record feed, F from \`civic allowed-signers\`; every one of them reported \`Good "git"
signature\`. git runs \`ssh-keygen -Y\` for each commit, so it was timed over this subset only (one
run, not pinned) and the rate is **extrapolated** linearly to $N commits: $(sec "$git_s") s for
$git_n commits, $(fmt '%.0f' "$git_rate") commits/s, about $(fmt '%.0f' "$git_full") s for $N.

$(cat "$RES/sync-section.md")

$(cat "$RES/roster-section.md")

## The archives

Built by \`bench/gen_archive\` with the library's own \`civic_node_create\`, \`civic_roster_create\`,
\`civic_node_set_network\` and \`civic_feed_append\` (real signed, schema-checked records: half
minutes, a quarter recommendations, a quarter documents, 0.4–0.9 KB of Bulgarian Markdown each, over
the nine municipalities), with fsync off and objects packed every 10,000 records for speed, then
\`git repack -adq\` (with \`pack.writeReverseIndex\`). Cached in \`bench/.cache/\` by size and generator source; an archive the current
civic does not audit as sound is rebuilt.

$TABLE_GEN

$MARKER
$NOTES
EOF
mv "$DOC.tmp" "$DOC"

# The table, on the terminal.
printf '\n%s\n\n%s\n\n%s\n\n%s\n\n' "$TABLE_ADD" "$TABLE_AUDIT" "$TABLE_PARTS" "$TABLE_GEN"
printf 'add %s -> %s: %sx (library %sx)  %s\n' "$(short "$FIRST")" "$(short "$N")" \
	"$(fmt '%.2f' "$add_ratio")" "$(fmt '%.2f' "$app_ratio")" "$V_ADD"
printf 'audit of %s vs libsodium floor: %sx (library %sx), target <= 1.5x  %s\n' "$(short "$N")" \
	"$(fmt '%.2f' "$floor_ratio")" "$(fmt '%.2f' "$floor_ratio_lib")" "$V_FLOOR"
printf 'audit vs stock git log --show-signature (extrapolated from %s commits): %sx, target >= 50x  %s\n' \
	"$git_n" "$(fmt '%.0f' "$git_ratio")" "$V_GIT"
cat "$RES/sync-summary.txt"
printf '%s' "$ROSTER_SUMMARY"
printf 'wrote %s in %s s\n' "${DOC#"$TOP"/}" "$ELAPSED"
