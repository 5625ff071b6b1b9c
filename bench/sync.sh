#!/bin/sh
# The sync benchmarks of issue 3, run by bench/run.sh after the archives exist.
#
#   sh bench/sync.sh CIVIC TIMEIT RESULTS N=HOME [N=HOME ...]
#
# Each HOME is a cached bench archive of N records (bench/gen_archive, packed
# by `git repack -adq`, with its .rev). For each one, `civic serve --listen 127.0.0.1:PORT`
# runs a real git daemon over it, started here and stopped by a trap; civic
# and stock git fetch from that same daemon and repository, over git:// on
# loopback.
#
#  - 10 new records: a receiving civic node (its own `civic init
#    --no-passphrase` and `network join`) holds the roster and the feed minus
#    its newest 10 records: those objects only, packed with stock `git
#    pack-objects`, the refs set with `git update-ref`. `civic sync --json
#    URL` against stock `git fetch URL '+refs/civic/*:refs/civic/*'` into a
#    bare repository holding the same pack and refs, with and without the
#    commit-graph `git gc` would write (civic is held to the faster).
#    BENCH_SYNC_RUNS rounds (default 11) after one warm-up round; each round
#    takes every size in turn, each fetch on a fresh copy (the pack
#    hard-linked; every copy made before the first timed run), civic first
#    and last in alternate rounds.
#  - first full sync, at each size: a fresh node (`civic init
#    --no-passphrase`, `network join`) syncing everything, verification
#    included, against stock `git clone --mirror URL`; BENCH_FULL_RUNS rounds
#    (default 3), order swapped every round. A civic sync still going after
#    BENCH_FULL_TIMEOUT seconds (default 120) is killed, reported as a lower
#    bound, and not run again at that size; one that took more than
#    BENCH_FULL_ONCE seconds (default 20) is not run again either.
#  - first push to an empty relay, at each size up to BENCH_PUSH_MAX records
#    (default 100000): a copy of the archive's node (`civic peer add relay
#    URL --relay`) runs `civic sync --json --no-attachments relay` against a
#    fresh bare repository behind stock `git daemon --enable=receive-pack`,
#    against stock `git push URL '+refs/civic/*:refs/civic/*'` from the same
#    repository to another; BENCH_PUSH_RUNS rounds (default 3), order swapped
#    every round. No target. civic's pushes are stock git's (git_push.h), in
#    parts of 6144 records, one git push each.
#  - attachments: a node of BENCH_ATTACH_RECORDS (default 20) photo records
#    of BENCH_ATTACH_MB MB (default 10) runs `civic sync --json relay` to an
#    empty bare repository on a path, against stock `git push` of the same
#    refs; then a fresh node syncs them back, against stock `git fetch`;
#    BENCH_ATTACH_RUNS rounds (default 3), order swapped every round.
# Wall time and peak RSS of each process (and the children it waited for)
# come from bench/timeit. Writes RESULTS/sync-*.txt, the report's parts
# RESULTS/sync-targets.md and RESULTS/sync-section.md, and a summary on
# standard output.
set -eu

[ $# -ge 4 ] || { echo "usage: sh bench/sync.sh CIVIC TIMEIT RESULTS N=HOME..." >&2; exit 2; }
CIVIC=$1 TIMEIT=$2 RES=$3
shift 3
RUNS=${BENCH_SYNC_RUNS:-11}
FULL_RUNS=${BENCH_FULL_RUNS:-3}
FULL_CAP=${BENCH_FULL_TIMEOUT:-120}
PUSH_RUNS=${BENCH_PUSH_RUNS:-3}
PUSH_MAX=${BENCH_PUSH_MAX:-100000}
FULL_ONCE=${BENCH_FULL_ONCE:-20}
NEW=10   # records the peer holds that the receiver does not
WORK=$(dirname "$RES")/sync-work   # next to the archives: packs are hard-linked
# Stock git with its defaults, whatever the user's configuration says.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "$*"; exit 1; }
kv() { tr ' ' '\n' < "$1" | sed -n "s/^$2=//p" | tail -n 1; }
fmt() { awk "BEGIN { printf \"$1\", $2 }"; }
short() { awk "BEGIN { n = $1; if (n >= 1000 && n % 1000 == 0) printf \"%dk\", n / 1000; else printf \"%d\", n }"; }
# stats < "seconds maxrss_kb" lines: median, min, max of the times, the largest RSS
stats() {
	sort -g | awk '{ v[NR] = $1; if ($2 > rss) rss = $2 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "runs=%d median_s=%.6f min_s=%.6f max_s=%.6f maxrss_kb=%d\n", NR, m, v[1], v[NR], rss }'
}
# sample TIMEIT-LINE: "seconds maxrss_kb" of one timed run
sample() { echo "$1" | tr ' ' '\n' | awk -F= '$1 == "median_s" { s = $2 } $1 == "maxrss_kb" { r = $2 } END { print s, r }'; }
# json_num FILE KEY: a number from civic sync --json
json_num() { sed -n "s/^ *\"$2\": \([0-9]*\),\{0,1\}$/\1/p" "$1" | head -n 1; }

# ---------------------------------------------------------------------------
# The daemons: one per archive, each on a free port of 127.0.0.1.
DAEMONS=""
stop_daemons() {
	for p in $DAEMONS; do kill "$p" 2>/dev/null || true; done
	for p in $DAEMONS; do wait "$p" 2>/dev/null || true; done
	DAEMONS=""
}
trap 'stop_daemons; rm -rf "$WORK"' EXIT
trap 'exit 143' HUP INT TERM

# on_free_port LOG REPO COMMAND...: runs `COMMAND... PORT` in the
# background on the next port of 127.0.0.1 until git://127.0.0.1:PORT/REPO
# answers (ours, not some other server on that port), sets PORT.
PORT=$((20000 + $$ % 20000))
on_free_port() {
	log=$1 repo=$2
	shift 2
	tries=0
	while [ "$tries" -lt 20 ]; do
		PORT=$((PORT + 1))
		"$@" "$PORT" > "$log" 2>&1 &
		pid=$!
		i=0
		while [ "$i" -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
			if git ls-remote "git://127.0.0.1:$PORT/$repo" > /dev/null 2>&1 &&
			   kill -0 "$pid" 2>/dev/null; then
				DAEMONS="$DAEMONS $pid"
				return 0
			fi
			sleep 0.1
			i=$((i + 1))
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		tries=$((tries + 1))
	done
	die "cannot start a server on 127.0.0.1: see $log"
}

# serve HOME LOG: serves HOME's archive with civic serve, at $URL. (exec:
# the pid kept is the server's, not a subshell's.)
civic_serve_on() { exec "$CIVIC" --home "$SERVE_HOME" serve --listen "127.0.0.1:$1"; }
serve() {
	SERVE_HOME=$1
	on_free_port "$2" archive.git civic_serve_on
	URL=git://127.0.0.1:$PORT/archive.git
}

# new_node HOME NETWORK: a fresh member node that joined NETWORK, holding nothing
new_node() {
	"$CIVIC" --home "$1" init --no-passphrase --name "Сдружение Читалище – Рила" \
		--municipality rila > /dev/null
	"$CIVIC" --home "$1" network join "$2" > /dev/null
}

rm -rf "$WORK"
mkdir -p "$WORK" "$RES"

# ---------------------------------------------------------------------------
# Per archive: the daemon, and the receiving side's template (N - NEW records).
SIZES=""
LARGEST=0
for arg in "$@"; do
	n=${arg%%=*} home=${arg#*=}
	SIZES="$SIZES $n"
	[ "$n" -gt "$LARGEST" ] && LARGEST=$n
	git=$home/archive.git
	feed=$(git -C "$git" for-each-ref --format='%(refname)' refs/civic/feeds/)
	[ "$(echo "$feed" | wc -l)" = 1 ] || die "$home: expected one feed"
	net=$("$CIVIC" --home "$home" network show --json | sed -n 's/^ *"network": "\([0-9a-f]*\)".*/\1/p')
	tip=$(git -C "$git" rev-parse "$feed")
	old=$(git -C "$git" rev-parse "$feed~$NEW")
	roster=$(git -C "$git" rev-parse refs/civic/roster)
	t=$WORK/template-$n
	mkdir -p "$t/pack"
	printf 'feed=%s\nnetwork=%s\ntip=%s\nold=%s\nroster=%s\n' "$feed" "$net" "$tip" "$old" "$roster" > "$t/refs"
	# Served first: civic serve writes the feed's steps (src/steps.h) that
	# the cached archive may lack. The receiving side then holds the steps
	# up to its own head, as a node that synced before does, so that stock
	# git fetches the same refs civic takes: the new records.
	serve "$home" "$WORK/daemon-$n.log"
	echo "$URL" > "$t/url"
	say "$n records: civic serve at $URL"
	git -C "$git" for-each-ref --format='%(objectname) %(refname)' refs/civic/steps/ |
		while read -r id ref; do
			seq=$(echo "${ref##*/}" | sed 's/^0*//')
			if [ "${seq:-0}" -le "$((n - NEW))" ]; then echo "$id $ref"; fi
		done > "$t/steps"

	say "$n records: the receiving side: a member node holding $((n - NEW)) records (git pack-objects)"
	new_node "$t/civic" "$net"
	printf '%s\n%s\n' "$roster" "$old" |
		git -C "$git" pack-objects -q --revs "$t/pack/pack" > /dev/null
	chmod a-w "$t/pack"/*
	git init -q --bare "$t/git.git"
	git init -q --bare "$t/gitcg.git"
	# The refs, set while the pack is in; the copies made for each run link it
	# again. gitcg.git also gets the commit-graph that `git gc` would write.
	for r in "$t/civic/archive.git" "$t/git.git" "$t/gitcg.git"; do
		ln "$t/pack"/* "$r/objects/pack/"
		git -C "$r" update-ref refs/civic/roster "$roster"
		git -C "$r" update-ref "$feed" "$old"
		while read -r id ref; do git -C "$r" update-ref "$ref" "$id"; done < "$t/steps"
		[ "$r" != "$t/gitcg.git" ] || git -C "$r" commit-graph write --reachable --no-progress
		rm -f "$r/objects/pack"/pack-*
	done
	for v in civic git gitcg; do : > "$RES/sync-inc-$v-runs-$n.txt"; done
done

# fresh N ROUND: a fresh copy of the template of N, in $WORK/run-N-ROUND/{civic,git.git,gitcg.git}
fresh() {
	t=$WORK/template-$1 r=$WORK/run-$1-$2
	mkdir -p "$r"
	cp -a "$t/civic" "$r/civic"
	cp -a "$t/git.git" "$r/git.git"
	cp -a "$t/gitcg.git" "$r/gitcg.git"
	for d in civic/archive.git git.git gitcg.git; do ln "$t/pack"/* "$r/$d/objects/pack/"; done
}

inc_civic() { # N ROUND: one timed civic sync of the NEW records
	r=$WORK/run-$1-$2 t=$WORK/template-$1
	s=$("$TIMEIT" -o "$RES/sync-inc-civic-out-$1.json" -- "$CIVIC" --home "$r/civic" sync --json --no-attachments "$(cat "$t/url")")
	[ "$(json_num "$RES/sync-inc-civic-out-$1.json" records_accepted)" = "$NEW" ] ||
		die "civic sync did not take $NEW records: see $RES/sync-inc-civic-out-$1.json"
	[ "$(git -C "$r/civic/archive.git" rev-parse "$(kv "$t/refs" feed)")" = "$(kv "$t/refs" tip)" ] ||
		die "civic sync did not move the feed to the peer's head"
	sample "$s"
}
inc_git() { # N ROUND REPO: one timed stock git fetch of the same refs into git.git or gitcg.git
	r=$WORK/run-$1-$2/$3 t=$WORK/template-$1
	s=$("$TIMEIT" -- git -C "$r" fetch -q --no-tags --no-write-fetch-head "$(cat "$t/url")" \
		'+refs/civic/*:refs/civic/*')
	[ "$(git -C "$r" rev-parse "$(kv "$t/refs" feed)")" = "$(kv "$t/refs" tip)" ] ||
		die "git fetch did not move the feed to the peer's head"
	sample "$s"
}

# Every round's copies are made before the first timed run, and removed after
# the last. On a file system without a journal (this VM's ext4), creating a
# file scans past every inode of its group deleted in the last 30 seconds
# (ext4's recently_deleted), so removing the last round's copies (some 4,700
# files at 100k records: step refs and their logs) just before a run made
# each file the run created cost more, and timed the benchmark's own rm -rf.
say "sync of $NEW new records: copying the receiving sides for 1 warm-up round and $RUNS rounds"
round=0
while [ "$round" -le "$RUNS" ]; do
	for n in $SIZES; do fresh "$n" "$round"; done
	round=$((round + 1))
done
sync
say "sync of $NEW new records, civic and stock git fetch: 1 warm-up round, then $RUNS rounds over the sizes"
round=0
while [ "$round" -le "$RUNS" ]; do
	for n in $SIZES; do
		if [ $((round % 2)) = 0 ]; then
			c=$(inc_civic "$n" "$round"); g=$(inc_git "$n" "$round" git.git); h=$(inc_git "$n" "$round" gitcg.git)
		else
			h=$(inc_git "$n" "$round" gitcg.git); g=$(inc_git "$n" "$round" git.git); c=$(inc_civic "$n" "$round")
		fi
		if [ "$round" -ge 1 ]; then
			echo "$c" >> "$RES/sync-inc-civic-runs-$n.txt"
			echo "$g" >> "$RES/sync-inc-git-runs-$n.txt"
			echo "$h" >> "$RES/sync-inc-gitcg-runs-$n.txt"
		fi
	done
	round=$((round + 1))
done
for n in $SIZES; do
	out=$RES/sync-inc-civic-out-$n.json
	{ stats < "$RES/sync-inc-civic-runs-$n.txt"
	  printf 'bytes=%s objects=%s\n' "$(json_num "$out" bytes_received)" "$(json_num "$out" objects_received)"
	} > "$RES/sync-inc-civic-$n.txt"
	stats < "$RES/sync-inc-git-runs-$n.txt" > "$RES/sync-inc-git-$n.txt"
	stats < "$RES/sync-inc-gitcg-runs-$n.txt" > "$RES/sync-inc-gitcg-$n.txt"
	rm -rf "$WORK/run-$n"-*
done

# ---------------------------------------------------------------------------
# The first full sync, at each size; a civic run still going after FULL_CAP
# seconds is killed (and not run again at that size), the result a lower bound;
# one that took more than FULL_ONCE seconds is not run again.
full_civic() { # N URL TAG: prints "seconds maxrss_kb cut"
	t=$WORK/template-$1
	rm -rf "$WORK/full"
	new_node "$WORK/full" "$(kv "$t/refs" network)"
	s=$("$TIMEIT" -t "$FULL_CAP" -o "$RES/sync-full-civic-out-$3.json" -- \
		"$CIVIC" --home "$WORK/full" sync --json --no-attachments "$2")
	cut=$(echo "$s" | tr ' ' '\n' | sed -n 's/^timed_out=//p')
	if [ "$cut" = 0 ]; then
		[ "$(json_num "$RES/sync-full-civic-out-$3.json" records_accepted)" = "$1" ] ||
			die "civic sync did not take $1 records: see $RES/sync-full-civic-out-$3.json"
		du -sk "$WORK/full/archive.git" | cut -f1 > "$RES/sync-full-civic-size-$3.txt"
	fi
	# The largest size's node is served afterwards, as a node that took
	# its archive by sync (below).
	if [ "$cut" = 0 ] && [ "$3" = "$LARGEST" ]; then
		rm -rf "$WORK/synced"
		mv "$WORK/full" "$WORK/synced"
	fi
	rm -rf "$WORK/full"
	echo "$(sample "$s") $cut"
}
full_git() { # N URL TAG: prints "seconds maxrss_kb"
	t=$WORK/template-$1
	rm -rf "$WORK/mirror.git"
	s=$("$TIMEIT" -- git clone -q --mirror "$2" "$WORK/mirror.git")
	[ "$(git -C "$WORK/mirror.git" rev-parse "$(kv "$t/refs" feed)")" = "$(kv "$t/refs" tip)" ] ||
		die "git clone --mirror did not get the peer's feed"
	du -sk "$WORK/mirror.git" | cut -f1 > "$RES/sync-full-git-size-$3.txt"
	rm -rf "$WORK/mirror.git"
	sample "$s"
}
full_rounds() { # N URL TAG: FULL_RUNS rounds of both, into RESULTS/sync-full-{civic,git}-TAG.txt
	: > "$RES/sync-full-civic-runs-$3.txt"; : > "$RES/sync-full-git-runs-$3.txt"
	: > "$RES/sync-full-civic-size-$3.txt"
	round=0 cut=0 again=1
	while [ "$round" -lt "$FULL_RUNS" ]; do
		if [ $((round % 2)) = 1 ]; then
			full_git "$@" >> "$RES/sync-full-git-runs-$3.txt"
		fi
		if [ "$again" = 1 ]; then
			c=$(full_civic "$@")
			echo "$c" >> "$RES/sync-full-civic-runs-$3.txt"
			cut=${c##* }
			if [ "$cut" = 1 ]; then
				say "$1 records: civic sync cut off after $FULL_CAP s"
				again=0
			elif awk "BEGIN { exit !(${c%% *} > $FULL_ONCE) }"; then
				say "$1 records: civic sync took ${c%% *} s, more than $FULL_ONCE s: not run again"
				again=0
			fi
		fi
		if [ $((round % 2)) = 0 ]; then
			full_git "$@" >> "$RES/sync-full-git-runs-$3.txt"
		fi
		round=$((round + 1))
	done
	out=$RES/sync-full-civic-out-$3.json
	{ stats < "$RES/sync-full-civic-runs-$3.txt"
	  echo "cut=$cut size_kb=$(cat "$RES/sync-full-civic-size-$3.txt")"
	  [ "$cut" = 1 ] || printf 'bytes=%s objects=%s\n' "$(json_num "$out" bytes_received)" \
		"$(json_num "$out" objects_received)"
	} > "$RES/sync-full-civic-$3.txt"
	{ stats < "$RES/sync-full-git-runs-$3.txt"
	  echo "size_kb=$(cat "$RES/sync-full-git-size-$3.txt")"
	} > "$RES/sync-full-git-$3.txt"
}
for n in $SIZES; do
	say "$n records: first full sync, civic and stock git clone --mirror: $FULL_RUNS rounds (civic cut off after $FULL_CAP s)"
	full_rounds "$n" "$(cat "$WORK/template-$n/url")" "$n"
done
# The same from a node that took the largest archive by sync, its packs as
# the sync left them (one per part): what a peer that is itself a civic
# node serves. The cached archives are one pack made by stock `git repack`,
# which deltifies older trees against newer ones, so that the daemon must
# compute most deltas of a part again, on a core the verification wants;
# git clone --mirror, for its part, is slower from a pack per part.
SYNCED=""
if [ -d "$WORK/synced" ]; then
	serve "$WORK/synced" "$WORK/daemon-synced.log"
	say "$LARGEST records: first full sync from a node that synced them ($URL): $FULL_RUNS rounds"
	full_rounds "$LARGEST" "$URL" "synced-$LARGEST"
	SYNCED=synced-$LARGEST
fi
N=$LARGEST
stop_daemons

# ---------------------------------------------------------------------------
# The first push to an empty relay: a plain bare repository behind stock git
# daemon, as a relay is. The pushing node is a copy of the cached archive's.
RELAYS=$WORK/relays
git_daemon_on() {
	exec git daemon --reuseaddr --export-all --enable=receive-pack --listen=127.0.0.1 \
		--port="$1" --base-path="$RELAYS" "$RELAYS"
}
relay_daemon() {
	mkdir -p "$RELAYS"
	git init -q --bare "$RELAYS/probe.git"
	on_free_port "$WORK/relay-daemon.log" probe.git git_daemon_on
	RELAY_URL=git://127.0.0.1:$PORT
}
push_civic() { # N: prints "seconds maxrss_kb"
	rm -rf "$RELAYS/civic.git"
	git init -q --bare "$RELAYS/civic.git"
	s=$("$TIMEIT" -o "$RES/sync-push-civic-out-$1.json" -- \
		"$CIVIC" --home "$WORK/pusher-$1" sync --json --no-attachments relay)
	[ "$(git -C "$RELAYS/civic.git" rev-parse "$(kv "$WORK/template-$1/refs" feed)")" = \
	  "$(kv "$WORK/template-$1/refs" tip)" ] ||
		die "civic sync did not push the feed: see $RES/sync-push-civic-out-$1.json"
	sample "$s"
}
push_git() { # N: prints "seconds maxrss_kb"
	rm -rf "$RELAYS/git.git"
	git init -q --bare "$RELAYS/git.git"
	s=$("$TIMEIT" -- git -C "$WORK/pusher-$1/archive.git" push -q "$RELAY_URL/git.git" \
		'+refs/civic/*:refs/civic/*')
	[ "$(git -C "$RELAYS/git.git" rev-parse "$(kv "$WORK/template-$1/refs" feed)")" = \
	  "$(kv "$WORK/template-$1/refs" tip)" ] || die "git push did not push the feed"
	sample "$s"
}
PUSH_SIZES=""
relay_daemon
for arg in "$@"; do
	n=${arg%%=*} home=${arg#*=}
	[ "$n" -le "$PUSH_MAX" ] || continue
	PUSH_SIZES="$PUSH_SIZES $n"
	say "$n records: first push to an empty relay, civic and stock git push: $PUSH_RUNS rounds"
	rm -rf "$WORK/pusher-$n"
	cp -a "$home" "$WORK/pusher-$n"
	"$CIVIC" --home "$WORK/pusher-$n" peer add relay "$RELAY_URL/civic.git" --relay > /dev/null
	: > "$RES/sync-push-civic-runs-$n.txt"; : > "$RES/sync-push-git-runs-$n.txt"
	round=0
	while [ "$round" -lt "$PUSH_RUNS" ]; do
		[ $((round % 2)) = 0 ] || push_git "$n" >> "$RES/sync-push-git-runs-$n.txt"
		push_civic "$n" >> "$RES/sync-push-civic-runs-$n.txt"
		[ $((round % 2)) = 1 ] || push_git "$n" >> "$RES/sync-push-git-runs-$n.txt"
		round=$((round + 1))
	done
	{ stats < "$RES/sync-push-civic-runs-$n.txt"
	  echo "pushes=$(json_num "$RES/sync-push-civic-out-$n.json" pushes)"
	} > "$RES/sync-push-civic-$n.txt"
	stats < "$RES/sync-push-git-runs-$n.txt" > "$RES/sync-push-git-$n.txt"
	rm -rf "$WORK/pusher-$n"
done
stop_daemons

# ---------------------------------------------------------------------------
# Attachments: a node with ATT_RECORDS photo records of ATT_MB MB each (bytes
# of Python's random with a fixed seed: incompressible, as photos are) pushes
# them to an empty relay on a path, a USB stick's place, against stock `git
# push` of the same refs from a bare repository that fetched them; then a
# fresh node syncs records and attachments from that relay, against stock
# `git fetch` of the same refs. ATT_RUNS rounds, in alternating order.
ATT_RECORDS=${BENCH_ATTACH_RECORDS:-20}
ATT_MB=${BENCH_ATTACH_MB:-10}
ATT_RUNS=${BENCH_ATTACH_RUNS:-3}
ATT=$WORK/attach
say "attachments: $ATT_RECORDS records of $ATT_MB MB to an empty relay on a path and back: $ATT_RUNS rounds"
rm -rf "$ATT"
mkdir -p "$ATT/files"
"$CIVIC" --home "$ATT/author" init --no-passphrase --name "Граждански център" --municipality kyustendil \
	--role civic-center > /dev/null
ATT_NET=$("$CIVIC" --home "$ATT/author" network create --name "Мрежа")
i=0
while [ "$i" -lt "$ATT_RECORDS" ]; do
	i=$((i + 1))
	python3 -c "import random, sys; random.seed($i); sys.stdout.buffer.write(random.randbytes($ATT_MB * 1000000))" \
		> "$ATT/files/снимка $i.jpg"
	"$CIVIC" --home "$ATT/author" add photo --field title="Снимка $i" --field visibility=public \
		--field date=2015-01-30 --attach "$ATT/files/снимка $i.jpg" > /dev/null
done
rm -rf "$ATT/files"
"$CIVIC" --home "$ATT/author" peer add relay "$ATT/relay.git" --relay > /dev/null
new_node "$ATT/reader" "$ATT_NET"
git -C "$ATT/reader/archive.git" fetch -q "$ATT/author/archive.git" refs/civic/roster:refs/civic/roster
"$CIVIC" --home "$ATT/reader" peer add relay "$ATT/relay.git" > /dev/null
ATT_REFS='+refs/civic/*:refs/civic/*'
att_push_civic() {
	rm -rf "$ATT/relay.git"
	git init -q --bare "$ATT/relay.git"
	s=$("$TIMEIT" -o "$RES/sync-att-push-out.json" -- "$CIVIC" --home "$ATT/author" sync --json relay)
	[ "$(git -C "$ATT/relay.git" for-each-ref refs/civic/attachments/ | wc -l)" = "$ATT_RECORDS" ] ||
		die "civic sync did not push every batch: see $RES/sync-att-push-out.json"
	sample "$s"
}
att_push_git() {
	rm -rf "$ATT/git-relay.git"
	git init -q --bare "$ATT/git-relay.git"
	s=$("$TIMEIT" -- git -C "$ATT/source.git" push -q "$ATT/git-relay.git" "$ATT_REFS")
	sample "$s"
}
att_fetch_civic() {
	rm -rf "$ATT/fetcher"
	cp -a "$ATT/reader" "$ATT/fetcher"
	s=$("$TIMEIT" -o "$RES/sync-att-fetch-out.json" -- "$CIVIC" --home "$ATT/fetcher" sync --json relay)
	[ "$(ls "$ATT/fetcher/attachments/sha256" | wc -l)" = "$ATT_RECORDS" ] ||
		die "civic sync did not fetch every attachment: see $RES/sync-att-fetch-out.json"
	sample "$s"
}
att_fetch_git() {
	rm -rf "$ATT/git-fetcher.git"
	git init -q --bare "$ATT/git-fetcher.git"
	s=$("$TIMEIT" -- git -C "$ATT/git-fetcher.git" fetch -q --no-tags "$ATT/relay.git" "$ATT_REFS")
	sample "$s"
}
att_push_civic > /dev/null   # the relay stock git's source fetches from
git init -q --bare "$ATT/source.git"
git -C "$ATT/source.git" fetch -q "$ATT/relay.git" "$ATT_REFS"
for side in push-civic push-git fetch-civic fetch-git; do : > "$RES/sync-att-$side-runs.txt"; done
round=0
while [ "$round" -lt "$ATT_RUNS" ]; do
	[ $((round % 2)) = 0 ] || att_push_git >> "$RES/sync-att-push-git-runs.txt"
	att_push_civic >> "$RES/sync-att-push-civic-runs.txt"
	[ $((round % 2)) = 1 ] || att_push_git >> "$RES/sync-att-push-git-runs.txt"
	[ $((round % 2)) = 0 ] || att_fetch_git >> "$RES/sync-att-fetch-git-runs.txt"
	att_fetch_civic >> "$RES/sync-att-fetch-civic-runs.txt"
	[ $((round % 2)) = 1 ] || att_fetch_git >> "$RES/sync-att-fetch-git-runs.txt"
	round=$((round + 1))
done
for side in push-civic push-git fetch-civic fetch-git; do
	stats < "$RES/sync-att-$side-runs.txt" > "$RES/sync-att-$side.txt"
done
rm -rf "$ATT"

# ---------------------------------------------------------------------------
# The report's parts: the targets' rows and the section, in Markdown.
ms() { fmt '%.0f' "$1 * 1000"; }
sec() { fmt '%.2f' "$1"; }
mib() { fmt '%.0f' "$1 / 1024"; }
verdict() { awk "BEGIN { print ($1) ? \"PASS\" : \"MISS\" }"; }
# The 1.3x target compares 100k with 10k; a quick run compares its largest
# size with 10k if it has it, else with its smallest.
# shellcheck disable=SC2086 # SIZES is a list
REF=$(printf '%s\n' $SIZES | sort -n | head -n 1)
for n in $SIZES; do [ "$n" = 10000 ] && [ "$N" != 10000 ] && REF=10000; done

ci() { kv "$RES/sync-inc-civic-$1.txt" "$2"; }
gi() { kv "$RES/sync-inc-git-$1.txt" "$2"; }
gg() { kv "$RES/sync-inc-gitcg-$1.txt" "$2"; }
cf() { kv "$RES/sync-full-civic-$1.txt" "$2"; }
gf() { kv "$RES/sync-full-git-$1.txt" "$2"; }
# full_time N: civic's full sync at N, "> 240 s (cut off)" when it was killed
full_time() {
	if [ "$(cf "$1" cut)" = 1 ]; then
		echo "more than $(fmt '%.0f' "$(cf "$1" median_s)") s (cut off)"
	else
		echo "$(sec "$(cf "$1" median_s)") s"
	fi
}
full_ratio() { # N
	r=$(fmt '%.2f' "$(cf "$1" median_s) / $(gf "$1" median_s)")
	if [ "$(cf "$1" cut)" = 1 ]; then echo "more than ${r}x"; else echo "${r}x"; fi
}
# peak RSS of civic's full sync at N; at least that when it was cut off
full_rss() {
	if [ "$(cf "$1" cut)" = 1 ]; then echo "at least $(mib "$(cf "$1" maxrss_kb)")"; else mib "$(cf "$1" maxrss_kb)"; fi
}
# civic is held to the faster of the two stock fetches at N (gi: no
# commit-graph, gg: with one); "best" names it.
if awk "BEGIN { exit !($(gg "$N" median_s) <= $(gi "$N" median_s)) }"; then
	best=gg best_name="with a commit-graph" other=gi other_name="without one"
else
	best=gi best_name="without a commit-graph" other=gg other_name="with one"
fi
inc_ratio=$(fmt '%.6f' "$(ci "$N" median_s) / $($best "$N" median_s)")
scale_ratio=$(fmt '%.6f' "$(ci "$N" median_s) / $(ci "$REF" median_s)")
git_scale=$(fmt '%.6f' "$($best "$N" median_s) / $($best "$REF" median_s)")
full_r=$(fmt '%.6f' "$(cf "$N" median_s) / $(gf "$N" median_s)")
rss_inc=$(ci "$N" maxrss_kb) rss_full=$(cf "$N" maxrss_kb)
V_INC=$(verdict "$inc_ratio <= 1.5")
V_SCALE=$(verdict "$scale_ratio <= 1.3")
V_FULL=$(verdict "$full_r <= 2")
V_RSS=$(verdict "$rss_inc < 65536 && $rss_full < 65536")
# A cut-off run only bounds its time and memory from below.
if [ "$(cf "$N" cut)" = 1 ]; then
	[ "$V_FULL" = MISS ] || V_FULL="UNKNOWN (cut off)"
	[ "$V_RSS" = MISS ] || V_RSS="UNKNOWN (cut off)"
fi

# The same target, from a node that synced (reported beside the first:
# the target names no layout of the peer's packs).
SYNCED_ROW="" SYNCED_LINE=""
if [ -n "$SYNCED" ]; then
	synced_r=$(fmt '%.6f' "$(cf "$SYNCED" median_s) / $(gf "$SYNCED" median_s)")
	V_SYNCED=$(verdict "$synced_r <= 2")
	[ "$(cf "$SYNCED" cut)" = 0 ] || [ "$V_SYNCED" = MISS ] || V_SYNCED="UNKNOWN (cut off)"
	SYNCED_ROW="| the same, from a peer that took those records by \`civic sync\` (its packs as the sync left them, one per part) | \`civic sync\` $(full_time "$SYNCED"), \`git clone --mirror\` $(sec "$(gf "$SYNCED" median_s)") s: **$(full_ratio "$SYNCED")**; peak RSS $(full_rss "$SYNCED") MiB | **$V_SYNCED** |"
	SYNCED_LINE="full sync of $(short "$N") from a node that synced them vs git clone --mirror: $(full_ratio "$SYNCED"), target <= 2x  $V_SYNCED"
fi

cat > "$RES/sync-targets.md" <<EOF
| target | measured | result |
|---|---|---|
| syncing $NEW new records from a peer holding $(short "$N") records, over \`git://\` on loopback, within 1.5x of stock \`git fetch\` of the same refs | \`civic sync\` $(ms "$(ci "$N" median_s)") ms; the faster stock \`git fetch\`, $best_name, $(ms "$($best "$N" median_s)") ms ($other_name: $(ms "$($other "$N" median_s)") ms); medians of $RUNS: **$(fmt '%.2f' "$inc_ratio")x** | **$V_INC** |
| the same sync from a $(short "$REF")-record peer: $(short "$N") within 1.3x of $(short "$REF") | \`civic sync\` $(ms "$(ci "$REF" median_s)") ms at $(short "$REF"), $(ms "$(ci "$N" median_s)") ms at $(short "$N"): **$(fmt '%.2f' "$scale_ratio")x** (that stock \`git fetch\`: $(fmt '%.2f' "$git_scale")x) | **$V_SCALE** |
| a first full sync of $(short "$N") records, verification included, within 2x of stock \`git clone --mirror\` | \`civic sync\` $(full_time "$N"), \`git clone --mirror\` $(sec "$(gf "$N" median_s)") s: **$(full_ratio "$N")** | **$V_FULL** |
$SYNCED_ROW
| peak memory of both syncs under 64 MiB | \`civic sync\`: $(mib "$rss_inc") MiB for $NEW new records, $(full_rss "$N") MiB for the full sync (stock git: $(mib "$($best "$N" maxrss_kb)") and $(mib "$(gf "$N" maxrss_kb)") MiB) | **$V_RSS** |
EOF

TABLE_INC="| records at the peer | \`civic sync\` (median of $RUNS) | min – max | \`git fetch\`, commit-graph (median) | min – max | \`git fetch\`, none (median) | min – max | civic / faster git | received by civic | peak RSS: civic, git (graph, none) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
TABLE_FULL="| records | \`civic sync\` (median) | min – max | \`git clone --mirror\` (median of $FULL_RUNS) | min – max | civic / git | peak RSS: civic, git | archive.git after: civic, git |
|---:|---:|---:|---:|---:|---:|---:|---:|"
# shellcheck disable=SC2086
for n in $(printf '%s\n' $SIZES | sort -n); do
	TABLE_INC="$TABLE_INC
| $n | $(ms "$(ci "$n" median_s)") ms | $(ms "$(ci "$n" min_s)") – $(ms "$(ci "$n" max_s)") ms | $(ms "$(gg "$n" median_s)") ms | $(ms "$(gg "$n" min_s)") – $(ms "$(gg "$n" max_s)") ms | $(ms "$(gi "$n" median_s)") ms | $(ms "$(gi "$n" min_s)") – $(ms "$(gi "$n" max_s)") ms | $(fmt '%.2f' "$(ci "$n" median_s) / ($(gg "$n" median_s) < $(gi "$n" median_s) ? $(gg "$n" median_s) : $(gi "$n" median_s))")x | $(ci "$n" objects) objects, $(fmt '%.1f' "$(ci "$n" bytes) / 1024") KiB | $(mib "$(ci "$n" maxrss_kb)"); $(mib "$(gg "$n" maxrss_kb)"), $(mib "$(gi "$n" maxrss_kb)") MiB |"
	runs=$(cf "$n" runs) spread="" size="–"
	if [ "$(cf "$n" cut)" = 0 ]; then
		spread="$(sec "$(cf "$n" min_s)") – $(sec "$(cf "$n" max_s)") s" size=$(mib "$(cf "$n" size_kb)")
	fi
	TABLE_FULL="$TABLE_FULL
| $n | $(full_time "$n"), $runs run$([ "$runs" = 1 ] || echo s) | $spread | $(sec "$(gf "$n" median_s)") s | $(sec "$(gf "$n" min_s)") – $(sec "$(gf "$n" max_s)") s | $(full_ratio "$n") | $(full_rss "$n"), $(mib "$(gf "$n" maxrss_kb)") MiB | $size, $(mib "$(gf "$n" size_kb)") MiB |"
done
if [ -n "$SYNCED" ]; then
	TABLE_FULL="$TABLE_FULL
| $N, from a node that synced them | $(full_time "$SYNCED"), $(cf "$SYNCED" runs) run$([ "$(cf "$SYNCED" runs)" = 1 ] || echo s) | $(sec "$(cf "$SYNCED" min_s)") – $(sec "$(cf "$SYNCED" max_s)") s | $(sec "$(gf "$SYNCED" median_s)") s | $(sec "$(gf "$SYNCED" min_s)") – $(sec "$(gf "$SYNCED" max_s)") s | $(full_ratio "$SYNCED") | $(full_rss "$SYNCED"), $(mib "$(gf "$SYNCED" maxrss_kb)") MiB | $(mib "$(cf "$SYNCED" size_kb)"), $(mib "$(gf "$SYNCED" size_kb)") MiB |"
fi

pc() { kv "$RES/sync-push-civic-$1.txt" "$2"; }
pg() { kv "$RES/sync-push-git-$1.txt" "$2"; }
TABLE_PUSH="| records | \`civic sync\` to the relay (median of $PUSH_RUNS) | min – max | pushes | \`git push\` (median) | min – max | civic / git | peak RSS: civic, git |
|---:|---:|---:|---:|---:|---:|---:|---:|"
PUSH_LINE=""
# shellcheck disable=SC2086
for n in $(printf '%s\n' $PUSH_SIZES | sort -n); do
	TABLE_PUSH="$TABLE_PUSH
| $n | $(sec "$(pc "$n" median_s)") s | $(sec "$(pc "$n" min_s)") – $(sec "$(pc "$n" max_s)") s | $(pc "$n" pushes) | $(sec "$(pg "$n" median_s)") s | $(sec "$(pg "$n" min_s)") – $(sec "$(pg "$n" max_s)") s | $(fmt '%.1f' "$(pc "$n" median_s) / $(pg "$n" median_s)")x | $(mib "$(pc "$n" maxrss_kb)"), $(mib "$(pg "$n" maxrss_kb)") MiB |"
	PUSH_LINE="first push of $(short "$n") records to an empty relay vs git push: $(fmt '%.1f' "$(pc "$n" median_s) / $(pg "$n" median_s)")x (no target)"
done

at() { kv "$RES/sync-att-$1.txt" "$2"; }
att_row() { # WHAT CIVIC-SIDE GIT-SIDE
	echo "| $1 | $(sec "$(at "$2" median_s)") s | $(sec "$(at "$2" min_s)") – $(sec "$(at "$2" max_s)") s | $(sec "$(at "$3" median_s)") s | $(sec "$(at "$3" min_s)") – $(sec "$(at "$3" max_s)") s | $(fmt '%.1f' "$(at "$2" median_s) / $(at "$3" median_s)")x | $(mib "$(at "$2" maxrss_kb)"), $(mib "$(at "$3" maxrss_kb)") MiB |"
}
TABLE_ATTACH="| $ATT_RECORDS records of $ATT_MB MB, relay on a path | civic (median of $ATT_RUNS) | min – max | stock git (median) | min – max | civic / git | peak RSS: civic, git |
|---|---:|---:|---:|---:|---:|---:|
$(att_row "first push (\`civic sync\` / \`git push\`)" push-civic push-git)
$(att_row "first fetch, records and attachments (\`civic sync\` / \`git fetch\`)" fetch-civic fetch-git)"
ATTACH_LINE="attachments, $ATT_RECORDS x $ATT_MB MB: push $(fmt '%.1f' "$(at push-civic median_s) / $(at push-git median_s)")x git push, fetch $(fmt '%.1f' "$(at fetch-civic median_s) / $(at fetch-git median_s)")x git fetch (no target)"

cat > "$RES/sync-section.md" <<EOF
## Sync (issue 3)

\`bench/sync.sh\`. For each archive, \`civic serve --listen 127.0.0.1:PORT\` runs a real \`git daemon\`
over it (started by the benchmark, stopped by a trap); civic and stock git fetch from that same
daemon and repository, \`git://127.0.0.1:PORT/archive.git\`, on loopback. Wall time and peak RSS are
those of the fetching process and the children it waits for (\`bench/timeit\`); the daemon's side is
the same for both and not counted. Stock git runs with its defaults (\`GIT_CONFIG_GLOBAL=/dev/null\`,
\`GIT_CONFIG_NOSYSTEM=1\`).

**$NEW new records.** The receiving node is a real member node (\`civic init --no-passphrase\`,
\`network join\`) that holds the roster and the peer's feed minus its newest $NEW records: those
objects only, packed by stock \`git pack-objects --revs\`, the two refs set by \`git update-ref\`.
Timed: \`civic sync --json --no-attachments URL\` (records only, as the stock git fetch it is held
against; the archives hold no attachments, and the attachment phase of a plain sync reads its index
of the records that have attachments, which a node builds once, reading every record, and then
keeps up to date from the feeds' heads: about 12 s the first time at 100k records on this machine;
connect, fetch the refs that differ into a quarantine, verify the
$NEW new commits from the node's head, move the objects in as a pack, move the ref with
compare-and-swap, fsync on). Against it: stock \`git fetch --no-tags URL '+refs/civic/*:refs/civic/*'\`
into a bare repository holding the same pack and refs, twice: with the commit-graph that \`git gc\`
writes (\`git commit-graph write --reachable\`), and without one, as the pack alone leaves it. Without
it, stock git's fetch-pack (\`mark_complete_local_refs\`) parses every commit of the feed back to the
roster's old date, which grows with the archive. civic is held to the faster of the two. Every run
starts from a fresh copy (the pack hard-linked), and every copy is made before the first timed run
and removed after the last: on this VM's ext4, which has no journal, each file created scans past
the inodes deleted in the last 30 s, so removing the last run's copy just before a run timed the
benchmark's own \`rm -rf\` (at 100k records, some 4,700 step refs and logs); one warm-up round, then $RUNS rounds, each taking
every size in turn, civic first and last in alternate rounds; medians over the rounds. Every civic
run must accept exactly $NEW records and every run must end at the peer's head.

$TABLE_INC

**First full sync.** At each size, a fresh member node (\`civic init --no-passphrase\`,
\`network join\`, untimed) runs \`civic sync --json URL\`: it fetches everything into the
quarantine, verifies the roster and every record (signatures, chain, trees, schemas), and moves the
objects into the archive. Against it: stock \`git clone --mirror URL\` (index-pack checks every
object's hash; no signatures). $FULL_RUNS rounds at each size, in alternating order, except that a
\`civic sync\` that took more than $FULL_ONCE s (\`BENCH_FULL_ONCE\`) is not run again, and one still
running after $FULL_CAP s (\`BENCH_FULL_TIMEOUT\`) is killed: its time and peak RSS are then lower
bounds. Then the largest archive once more, from the node that the last of those syncs made, served
the same way: its packs are as the sync left them, one per part of the feed, with every delta
inside its part. The cached archives are one pack made by stock \`git repack\`, which deltifies
older trees against newer ones, so for each part the daemon must compute most of its deltas
again (\`git pack-objects\` used about 10 CPU-seconds of a first sync of 100k records from it,
5 from the node that synced, against 1 for \`git clone --mirror\`). Both sides of the second
ratio move: \`civic sync\` is faster from the node that synced, its daemon no longer taking a core
from the verification, and \`git clone --mirror\` is slower from a pack per part than from one.

$TABLE_FULL

**First push to an empty relay.** At each size up to $PUSH_MAX records, a copy of the archive's node
pushes to a fresh bare repository behind stock \`git daemon --enable=receive-pack\` on loopback:
\`civic sync --json --no-attachments relay\` (the relay is empty, so the sync pushes everything, in
parts cut at the feed's steps, one stock \`git push\` each, each ref leased), against stock \`git push
URL '+refs/civic/*:refs/civic/*'\` of the same repository to another fresh one, in one push.
$PUSH_RUNS rounds, in alternating order; there is no target. Each part costs the relay's
receive-pack an index of its pack and a walk of what it connects to, about 0.5 s a part at 100k.

$TABLE_PUSH

**Attachments.** A node holding $ATT_RECORDS photo records of $ATT_MB MB each (incompressible bytes,
as photos are) runs \`civic sync --json relay\` to a fresh bare repository on a path, a USB stick's
place: it pushes the records and one batch per record, its chunks whole, each group of up to 32 MiB
staged in memory. Against it: stock \`git push\` of the same refs from a bare repository that
fetched them (it reuses what its pack holds). Then a fresh member node syncs from that relay,
records and attachments, checking every byte against the records, against stock \`git fetch\` of
the same refs. $ATT_RUNS rounds, in alternating order; no target.

$TABLE_ATTACH
EOF

printf '%s\n' \
	"sync $NEW new records at $(short "$N") vs git fetch: $(fmt '%.2f' "$inc_ratio")x, target <= 1.5x  $V_INC" \
	"sync $NEW new records, $(short "$N") vs $(short "$REF"): $(fmt '%.2f' "$scale_ratio")x, target <= 1.3x  $V_SCALE" \
	"full sync of $(short "$N") vs git clone --mirror: $(full_ratio "$N"), target <= 2x  $V_FULL" \
	${SYNCED_LINE:+"$SYNCED_LINE"} \
	"sync peak RSS: $(mib "$rss_inc") MiB ($NEW new), $(full_rss "$N") MiB (full), target < 64 MiB  $V_RSS" \
	${PUSH_LINE:+"$PUSH_LINE"} \
	"$ATTACH_LINE" \
	> "$RES/sync-summary.txt"
printf '\n%s\n\n%s\n\n%s\n\n%s\n\n' "$TABLE_INC" "$TABLE_FULL" "$TABLE_PUSH" "$TABLE_ATTACH"
