#!/bin/sh
# Attachment bytes over git (src/attach_git.h, src/attach_parts.h,
# src/attach_sync.c): batches of 128 KiB chunk blobs at
# refs/civic/attachments/<record>, whose parents are chains of parts, fetched
# after the records by `civic sync` and `civic fetch-attachments`, checked
# against the signed record, pushed to relays by the nodes that hold them
# whole; on a link that drops, the chunks that arrived whole are kept and
# the next try asks for the rest.
#
#   1. author -> relay (bare repository behind a real git daemon) -> member;
#      the batch is the same on every node, and stock git makes it too
#   2. records first (--no-attachments), then fetch-attachments ID, --all;
#      --json; usage errors
#   3. hostile relays (bare repositories forged with stock git)
#   4. a link that drops (a proxy that cuts each connection after 300 KB):
#      records of several MB pass it all the same, a run that stops midway
#      leaves what it kept, and the next takes up from there
#   5. a 50 MB attachment in bounded memory; kill -9 in the middle
#   6. a member pushes to an empty relay the batches it holds whole, and
#      only those (in section 2, where such a member is at hand)
#   7. the attachments of records after their key's revocation
#   8. chunks go whole, never as deltas of each other
#   9. one sync pushes many groups, staged in memory or on disk
# A test once marked "BUG:" showed a fault of civic that was fixed since; its
# comment says what went wrong.
. "$(dirname "$0")/test-lib.sh"

# Three free ports on 127.0.0.1: git daemon, the proxy that cuts the link,
# and one in front of it that lets only a few connections through.
PORTS=$(free_ports 3 $((20000 + ($$ % 4000) * 8 + 3)))
set -- $PORTS
PORT_DAEMON=$1 PORT_CUT=$2 PORT_FEW=$3
set --
# A few hundred KB a connection: two chunks and a bit of a third.
CUT=300000
FEW=12
RELAY_URL="git://127.0.0.1:$PORT_DAEMON/relay.git"
DROP_URL="git://127.0.0.1:$PORT_CUT/drop.git"
FEW_URL="git://127.0.0.1:$PORT_FEW/drop.git"
TAB=$(printf '\t')

sha() { sha256sum "$1" | cut -c1-64; }

# same FILE1 FILE2: the files are equal; the difference is shown when not.
same() { cmp -s "$1" "$2" || { diff "$1" "$2" >&2; return 1; }; }

# wait_lines N FILE REGEX: until FILE has N lines that match (5 s at most):
# the proxy notes a connection once it is over, maybe after civic exits.
wait_lines() {
	for _i in $(seq 50); do
		test "$(grep -c -e "$3" "$2" 2>/dev/null)" -ge "$1" && return 0
		sleep 0.1
	done
	echo "# $2 has fewer than $1 lines matching '$3':" >&2
	cat "$2" >&2
	return 1
}

# proxy_bytes LOG: the bytes the connections noted in LOG (a cutproxy.py
# log: "cut N" or "done N" a line) carried, together.
proxy_bytes() { awk '{ n += $2 } END { print n + 0 }' "$1"; }

# parts_held GITDIR: the chunks the parts at GITDIR's refs/parts/* hold (a
# staging repository, <home>/tmp/attachment-parts/<record>.git).
parts_held() {
	for _r in $(git --git-dir "$1" for-each-ref --format="%(refname)" refs/parts/); do
		git --git-dir "$1" ls-tree -r "$_r"
	done | wc -l
}

store() { echo "$1/attachments/sha256/$2"; }
short() { cut -c1-12 "$1"; }

# pg PEER ARGS...: stock git in the bare repository $TEST_DIR/PEER.git.
pg() {
	_p=$1
	shift
	git --git-dir "$TEST_DIR/$_p.git" "$@"
}

# civic_commit PEER TREE MESSAGE [PARENT...]: a commit with the fixed author,
# committer and date civic gives every commit of a batch (attach_git.h).
civic_commit() {
	_cp=$1 _ct=$2 _cm=$3 _cps=""
	shift 3
	for _cq in "$@"; do _cps="$_cps -p $_cq"; done
	GIT_AUTHOR_NAME=civic GIT_AUTHOR_EMAIL=attachments@civic GIT_AUTHOR_DATE="@0 +0000" \
	GIT_COMMITTER_NAME=civic GIT_COMMITTER_EMAIL=attachments@civic GIT_COMMITTER_DATE="@0 +0000" \
	pg "$_cp" commit-tree "$_ct" $_cps -m "$_cm"
}

# batch_commit PEER TREE RECORD [PARENT...]: a batch commit as civic writes
# it; its parents are the last parts of its segments (attach_parts.h).
batch_commit() {
	_bp=$1 _bt=$2 _br=$3
	shift 3
	civic_commit "$_bp" "$_bt" "civic: attachments of record $_br" "$@"
}

# mkbatch PEER RECORD FILE...: the batch of RECORD, whose attachments are
# FILE..., made with stock git alone (split, hash-object, mktree,
# commit-tree), parts included; prints the commit id. It is written from
# attach_git.h and attach_parts.h, not from civic's code, so that a test
# comparing the two fails when civic's format drifts from what they say.
mkbatch() {
	_mp=$1 _mr=$2
	shift 2
	: >"$TEST_DIR/mk.top" && : >"$TEST_DIR/mk.all" || return 1
	for _mf in "$@"; do
		_ms=$(sha "$_mf")
		# An attachment listed twice is one entry, and its chunks count once.
		! grep -q "$TAB$_ms\$" "$TEST_DIR/mk.top" || continue
		rm -rf "$TEST_DIR/mk.chunks" && mkdir "$TEST_DIR/mk.chunks" &&
		split -b 131072 -d -a 8 "$_mf" "$TEST_DIR/mk.chunks/" &&
		ls "$TEST_DIR/mk.chunks" >"$TEST_DIR/mk.names" &&
		sed "s|^|$TEST_DIR/mk.chunks/|" "$TEST_DIR/mk.names" |
			pg "$_mp" hash-object -w --stdin-paths >"$TEST_DIR/mk.ids" &&
		test "$(wc -l <"$TEST_DIR/mk.ids")" = "$(wc -l <"$TEST_DIR/mk.names")" &&
		paste -d "$TAB" "$TEST_DIR/mk.ids" "$TEST_DIR/mk.names" | sed "s/^/100644 blob /" >"$TEST_DIR/mk.list" &&
		printf "040000 tree %s\t%s\n" "$(pg "$_mp" mktree <"$TEST_DIR/mk.list")" "$_ms" >>"$TEST_DIR/mk.top" &&
		sed "s/^/$_ms /" "$TEST_DIR/mk.list" >>"$TEST_DIR/mk.all" || return 1
	done
	# The chunks in the batch tree's order: attachments by name (64 hex
	# digits each, so git's order is sort's), chunks in order within each.
	LC_ALL=C sort -s -k1,1 "$TEST_DIR/mk.all" >"$TEST_DIR/mk.sorted" || return 1
	_mn=$(wc -l <"$TEST_DIR/mk.sorted")
	_mseg=$(((_mn + 15) / 16))
	test "$_mseg" -ge 32 || _mseg=32
	_mk=0 _mtips="" _mpart=""
	# Part k of each segment: the segment's chunks so far at their batch
	# paths; mk.done holds the entries of the attachments the segment has
	# passed, mk.inner the chunks of the one it is in.
	while read -r _ms _mline <&3; do
		if [ $((_mk % _mseg)) = 0 ]; then
			: >"$TEST_DIR/mk.done" && : >"$TEST_DIR/mk.inner" && _mcur=$_ms _mpart="" || return 1
		fi
		if [ "$_ms" != "$_mcur" ]; then
			cat "$TEST_DIR/mk.entry" >>"$TEST_DIR/mk.done" && : >"$TEST_DIR/mk.inner" && _mcur=$_ms || return 1
		fi
		printf "%s\n" "$_mline" >>"$TEST_DIR/mk.inner" &&
		printf "040000 tree %s\t%s\n" "$(pg "$_mp" mktree <"$TEST_DIR/mk.inner")" "$_ms" >"$TEST_DIR/mk.entry" &&
		_mtree=$(cat "$TEST_DIR/mk.done" "$TEST_DIR/mk.entry" | pg "$_mp" mktree) &&
		_mk=$((_mk + 1)) &&
		_mpart=$(civic_commit "$_mp" "$_mtree" "civic: part $_mk of $_mn of the attachments of record $_mr" $_mpart) ||
			return 1
		if [ $((_mk % _mseg)) = 0 ] || [ "$_mk" = "$_mn" ]; then
			_mtips="$_mtips $_mpart"
		fi
	done 3<"$TEST_DIR/mk.sorted"
	test "$_mk" = "$_mn" &&
	batch_commit "$_mp" "$(pg "$_mp" mktree <"$TEST_DIR/mk.top")" "$_mr" $_mtips
}

# quick_repack PEER: one pack, made without a delta search or compression
# (random bytes gain nothing), so that git daemon serves it as it is.
quick_repack() { pg "$1" -c pack.compression=0 repack -a -d -q --window=0; }

# with_entry PEER TREE NAME [LINE]: TREE without its entry NAME, and with
# LINE ("MODE TYPE ID<TAB>NAME") if given; prints the new tree's id.
with_entry() {
	{ pg "$1" ls-tree "$2" | grep -v "$TAB$3\$"; test -z "${4:-}" || printf "%s\n" "$4"; } |
		pg "$1" mktree
}

# forge PEER RECORD SHA NAME [LINE]: PEER's batch of RECORD, with entry NAME
# of the chunk tree of attachment SHA replaced by LINE (or removed). Its
# parents, the genuine parts, stay: a batch whose parts are right is
# still refused for a wrong chunk in its tree, the one civic reads.
forge() {
	_fb=$(pg "$1" rev-parse "refs/civic/attachments/$2") &&
	_fc=$(with_entry "$1" "$_fb:$3" "$4" "${5:-}") &&
	_ft=$(with_entry "$1" "$_fb^{tree}" "$3" "040000 tree $_fc$TAB$3") &&
	pg "$1" update-ref "refs/civic/attachments/$2" \
		"$(batch_commit "$1" "$_ft" "$2" $(pg "$1" rev-parse "$_fb^@"))"
}

# evil NAME: a bare repository NAME.git holding everything the relay holds:
# roster, feeds and the genuine batches, to be forged further.
evil() {
	rm -rf "$TEST_DIR/$1.git" && git init -q --bare "$TEST_DIR/$1.git" &&
	pg "$1" fetch -q "$TEST_DIR/srv/relay.git" "refs/civic/*:refs/civic/*"
}

# fresh NAME [TEMPLATE]: a copy of a receiver that holds every record and
# no attachment (r0 unless named).
fresh() { rm -rf "$1" && cp -a "${2:-r0}" "$1"; }

# fetch_json HOME CODE ARGS...: `civic --home HOME fetch-attachments --json
# ARGS...` must exit with CODE; one line per peer goes to $TEST_DIR/fa:
# "OK STORED REFUSED NOT_ON_PEER REASON" (shown when a test fails).
fetch_json() {
	_h=$1 _want=$2
	shift 2
	"$CIVIC" --home "$_h" fetch-attachments --json "$@" >"$TEST_DIR/fa.json" 2>"$TEST_DIR/fa.err"
	_rc=$?
	cat "$TEST_DIR/fa.err" >&2
	python3 - "$TEST_DIR/fa.json" >"$TEST_DIR/fa" <<-\EOF || { cat "$TEST_DIR/fa.json" >&2; return 1; }
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert isinstance(d, list) and d, d
	for p in d:
	    assert sorted(p) == ["corrupt", "error", "not_on_peer", "ok", "peer", "purged", "reason", "refused", "stored"], p
	    print(p["ok"], p["stored"], p["refused"], p["not_on_peer"], p["reason"])
	EOF
	sed 's/^/# peer: /' "$TEST_DIR/fa" >&2
	if [ "$_rc" != "$_want" ]; then
		echo "# fetch-attachments exited $_rc, expected $_want: $*" >&2
		return 1
	fi
}

# fa_is OK STORED REFUSED NOT_ON_PEER [TEXT...]: what the last fetch_json
# reported for its (only) peer; the reason holds each TEXT.
fa_is() {
	_line=$(head -n 1 "$TEST_DIR/fa")
	case "$_line" in
	"$1 $2 $3 $4"*) ;;
	*) echo "# expected '$1 $2 $3 $4 ...', got '$_line'" >&2; return 1 ;;
	esac
	shift 4
	for _t in "$@"; do
		case "$_line" in
		*"$_t"*) ;;
		*) echo "# the reason lacks '$_t': $_line" >&2; return 1 ;;
		esac
	done
}

# stored_list HOME: the names in HOME's attachment store, sorted (all, the
# hidden ones too).
stored_list() { ls -A "$1/attachments/sha256" 2>/dev/null | LC_ALL=C sort; }

# stored_count HOME: how many attachments HOME holds.
stored_count() { stored_list "$1" | { grep -c '^[0-9a-f]\{64\}$' || true; }; }

# store_is HOME FILE...: HOME's store holds exactly the attachments FILE...
# (the same bytes), no temporary file, and HOME no quarantine.
store_is() {
	_h=$1
	shift
	for _f in "$@"; do sha "$_f"; done | LC_ALL=C sort -u >"$TEST_DIR/store.want"
	stored_list "$_h" >"$TEST_DIR/store.have"
	if ! cmp -s "$TEST_DIR/store.want" "$TEST_DIR/store.have"; then
		echo "# the store of $_h is not as expected:" >&2
		diff "$TEST_DIR/store.want" "$TEST_DIR/store.have" >&2
		return 1
	fi
	for _f in "$@"; do
		cmp "$_f" "$(store "$_h" "$(sha "$_f")")" || return 1
	done
	clean "$_h"
}

# clean HOME: no temporary file in the store, every stored file holds the
# bytes its name says, no quarantine left in HOME/tmp.
clean() {
	for _f in $(stored_list "$1"); do
		case "$_f" in
		*[!0-9a-f]* | "")
			echo "# a stray file in the store of $1: $_f" >&2
			return 1 ;;
		esac
		test "$(sha "$(store "$1" "$_f")")" = "$_f" || {
			echo "# $1 stored wrong bytes as $_f" >&2
			return 1
		}
	done
	if ls -d "$1"/tmp/quarantine-* >/dev/null 2>&1; then
		echo "# a quarantine is left in $1/tmp:" >&2
		ls -la "$1/tmp" >&2
		return 1
	fi
}

# fsck_clean GITDIR: git fsck --strict --full of a bare repository passes
# and says nothing but the usual notices.
fsck_clean() {
	git --git-dir "$1" fsck --strict --full --no-dangling >"$TEST_DIR/fsck.out" 2>&1 &&
	! grep -v "^Checking\|unborn" "$TEST_DIR/fsck.out" || {
		echo "# git fsck of $1:" >&2
		cat "$TEST_DIR/fsck.out" >&2
		return 1
	}
}

# Test bodies below never say `return`: test-lib evals a body inside
# test_expect_success itself, so a `return 1` there would leave it before it
# prints "not ok" (the test would vanish, and the script pass). Loops that
# must stop run in a subshell and `exit 1`.

# archive_only HOME: archive_state without the attachment store.
archive_only() { archive_state "$1" | grep -v "^attachments"; }
save_archive() { archive_only "$1" >"$TEST_DIR/$1.archive"; }
archive_unchanged() {
	archive_only "$1" >"$TEST_DIR/$1.archive.now"
	cmp -s "$TEST_DIR/$1.archive" "$TEST_DIR/$1.archive.now" || {
		echo "# the archive of $1 changed:" >&2
		diff "$TEST_DIR/$1.archive" "$TEST_DIR/$1.archive.now" >&2
		return 1
	}
}

# audit_says HOME TEXT: civic audit of HOME is sound and says TEXT.
audit_says() {
	"$CIVIC" --home "$1" audit >"$TEST_DIR/audit.out" 2>&1 &&
	tail -n 1 "$TEST_DIR/audit.out" | grep -q "^audit: sound$" &&
	grep -q -F -e "$2" "$TEST_DIR/audit.out" || {
		echo "# audit of $1 is not sound or lacks '$2':" >&2
		cat "$TEST_DIR/audit.out" >&2
		return 1
	}
}

# batches URL|PATH: the batch refs there, "id ref" sorted.
batches() { git ls-remote "$1" "refs/civic/attachments/*" | awk '{print $1" "$2}' | LC_ALL=C sort; }

# peak_rss_kb FILE COMMAND...: runs COMMAND, writes its peak RSS in KiB to FILE.
peak_rss_kb() {
	_out=$1
	shift
	python3 - "$_out" "$@" <<-\EOF
	import resource, subprocess, sys
	rc = subprocess.call(sys.argv[2:])
	kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
	open(sys.argv[1], "w").write("%d\n" % kb)
	sys.exit(rc)
	EOF
}

# The proxy that forwards bytes until N have gone either way, then cuts both sides.
cp "$TEST_SRC/tests/cli/cutproxy.py" "$TEST_DIR/cutproxy.py"

# ---------------------------------------------------------------------------
# 1. author -> relay -> member

test_expect_success 'setup: a network; author a, members b, c, r, d, m, g; a relay behind git daemon' '
	new_network cc "Мрежа Кюстендил" &&
	join_network cc a "НПО Рила" rila &&
	( for n in b c r d m g; do
		join_network cc $n "НПО $n" dupnitsa || exit 1
	done ) &&
	( for n in a b c r d m g; do
		fetch_roster cc $n || exit 1
	done ) &&
	mkdir srv &&
	git init -q --bare srv/relay.git &&
	start_server daemon.log "$(git --exec-path)/git-daemon" --reuseaddr --export-all \
		--enable=receive-pack --informative-errors --listen=127.0.0.1 --port="$PORT_DAEMON" \
		--base-path="$TEST_DIR/srv" "$TEST_DIR/srv" &&
	start_server cut.out python3 "$TEST_DIR/cutproxy.py" "$PORT_CUT" "$PORT_DAEMON" "$CUT" \
		"$TEST_DIR/cut.log" &&
	wait_port "$PORT_DAEMON" && wait_port "$PORT_CUT" &&
	timeout 30 git ls-remote "$RELAY_URL" >/dev/null
'

test_expect_success 'setup: a photo with a 2.5 MB, an empty and a tiny attachment; two documents with one each' '
	head -c 2500000 /dev/urandom >"снимка 1.jpg" &&
	: >празна.jpg &&
	printf "малка" >tiny.jpg &&
	head -c 100000 /dev/urandom >scan.pdf &&
	head -c 1500000 /dev/urandom >report.pdf &&
	civic --home a add photo --field title="Снимки от срещата" --field visibility=public \
		--field date=2014-12-12 --attach "снимка 1.jpg" --attach празна.jpg --attach tiny.jpg >p.id &&
	add_doc a "Сканиран протокол" --attach scan.pdf >d.id &&
	add_doc a "Отчет" --attach report.pdf >q.id &&
	add_doc a "Без приложения" >n.id &&
	BIG=$(sha "снимка 1.jpg") EMPTY=$(sha празна.jpg) TINY=$(sha tiny.jpg) &&
	SCAN=$(sha scan.pdf) REPORT=$(sha report.pdf) &&
	P=$(cat p.id) D=$(cat d.id) Q=$(cat q.id) N=$(cat n.id) &&
	test "$EMPTY" = e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
'

test_expect_success 'the author pushes records and three batches to the relay (git daemon)' '
	civic --home a peer add relay "$RELAY_URL" --relay &&
	timeout 60 "$CIVIC" --home a sync relay >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^sync relay: .* 3 refs pushed$" out &&
	grep -q "^attachments relay: 0 stored, 0 refused, 0 records'\'' attachments not on the peer; 3 records'\'' attachments pushed$" out &&
	batches "$RELAY_URL" | cut -d" " -f2 | LC_ALL=C sort >relay.batches &&
	printf "refs/civic/attachments/%s\n" "$P" "$D" "$Q" | LC_ALL=C sort >want.batches &&
	same want.batches relay.batches &&
	clean a
'

test_expect_success 'the relay is clean to git fsck --strict; no batch lives in the author'\''s archive' '
	fsck_clean srv/relay.git &&
	B=$(pg srv/relay rev-parse "refs/civic/attachments/$P") &&
	! git_in a cat-file -e "$B" 2>/dev/null &&
	test -z "$(git_in a for-each-ref refs/civic/attachments)"
'

test_expect_success 'the batch: one unsigned commit, attachments named by SHA-256, chunks of 128 KiB' '
	B=$(pg srv/relay rev-parse "refs/civic/attachments/$P") &&
	pg srv/relay cat-file commit "$B" >commit &&
	! grep -q "^gpgsig" commit &&
	grep -q "^author civic <attachments@civic> 0 +0000$" commit &&
	grep -q "^committer civic <attachments@civic> 0 +0000$" commit &&
	grep -q "^civic: attachments of record $P$" commit &&
	pg srv/relay ls-tree "$B" | cut -f2 | LC_ALL=C sort >names &&
	printf "%s\n" "$BIG" "$EMPTY" "$TINY" | LC_ALL=C sort >want &&
	cmp names want &&
	pg srv/relay ls-tree -l "$B:$BIG" | awk "{print \$1, \$2, \$4, \$5}" >chunks &&
	{ for i in $(seq 0 18); do printf "100644 blob 131072 %08d\n" $i; done &&
	  echo "100644 blob 9632 00000019"; } >want &&
	same want chunks &&
	test "$(pg srv/relay rev-parse "$B:$EMPTY")" = 4b825dc642cb6eb9a060e54bf8d69288fbee4904 &&
	pg srv/relay ls-tree -l "$B:$TINY" | awk "{print \$4, \$5}" >chunks &&
	test "$(cat chunks)" = "10 00000000"
'

# 21 chunks (20 + 0 + 1) make one segment: the batch has one parent, the
# last of a chain of 21 parts, and part k holds the first k chunks of the
# batch tree (ls-tree -r lists them in that order), the empty attachment
# in none. Segments of more chunks are checked in section 4 (39 chunks) and
# with a record of 530 (below).
test_expect_success 'the batch'\''s parent is a chain of 21 parts; part k holds the first k chunks' '
	B=$(pg srv/relay rev-parse "refs/civic/attachments/$P") &&
	test "$(pg srv/relay rev-parse "$B^@" | wc -l)" = 1 &&
	pg srv/relay rev-list --reverse --parents "$B^" >parts &&
	test "$(wc -l <parts)" = 21 &&
	pg srv/relay ls-tree -r "$B" >all &&
	test "$(wc -l <all)" = 21 &&
	( k=0 prev="" &&
	  while read -r part parent; do
		k=$((k + 1)) &&
		test "$parent" = "$prev" &&
		pg srv/relay cat-file commit "$part" >commit &&
		grep -q "^author civic <attachments@civic> 0 +0000$" commit &&
		grep -q "^committer civic <attachments@civic> 0 +0000$" commit &&
		test "$(sed -n "/^$/,\$p" commit)" = "$(printf "\ncivic: part %d of 21 of the attachments of record %s" $k "$P")" &&
		! grep -q "^gpgsig" commit &&
		pg srv/relay ls-tree -r "$part" >held &&
		head -n $k all >want &&
		same want held &&
		prev=$part || { echo "# part $k is not as it should be"; exit 1; }
	  done <parts &&
	  test $k = 21 ) &&
	test "$(pg srv/relay rev-parse "$B^^{tree}")" = "$(with_entry srv/relay "$B^{tree}" "$EMPTY")"
'

test_expect_success 'stock git alone makes the same batch, byte for byte' '
	git init -q --bare stock.git &&
	test "$(mkbatch stock "$P" "снимка 1.jpg" празна.jpg tiny.jpg)" = \
	     "$(pg srv/relay rev-parse "refs/civic/attachments/$P")" &&
	test "$(mkbatch stock "$Q" report.pdf)" = "$(pg srv/relay rev-parse "refs/civic/attachments/$Q")" &&
	test "$(mkbatch stock "$D" scan.pdf)" = "$(pg srv/relay rev-parse "refs/civic/attachments/$D")" &&
	test "$(mkbatch stock "$P" tiny.jpg "снимка 1.jpg" празна.jpg tiny.jpg)" = \
	     "$(pg srv/relay rev-parse "refs/civic/attachments/$P")"
'

# More than 16 segments of 32 would be needed for 530 chunks: the segments
# grow to ceil(530 / 16) = 34 chunks, 15 of them, and a 16th of 20. A file
# of zeros keeps this cheap: its chunks are one blob but for the last.
test_expect_success 'a batch of 530 chunks: 16 segments of 34 but the last; stock git makes it too' '
	join_network cc z "НПО z" rila &&
	head -c $((529 * 131072 + 1000)) /dev/zero >zeros.bin &&
	add_doc z "Нули" --attach zeros.bin >z.id &&
	git init -q --bare srv/zeros.git &&
	civic --home z peer add zeros "$(abs srv/zeros.git)" --relay &&
	timeout 120 "$CIVIC" --home z sync zeros >out 2>err &&
	cat out err && test ! -s err &&
	grep -q "; 1 records'\'' attachments pushed$" out &&
	B=$(pg srv/zeros rev-parse "refs/civic/attachments/$(cat z.id)") &&
	pg srv/zeros rev-parse "$B^@" >tips &&
	test "$(wc -l <tips)" = 16 &&
	( i=0 && while read -r tip; do
		i=$((i + 1)) &&
		n=$(pg srv/zeros rev-list --count "$tip") &&
		if [ $i = 16 ]; then test "$n" = 20; else test "$n" = 34; fi &&
		pg srv/zeros log -1 --format=%B "$tip" >msg &&
		test "$(cat msg)" = "civic: part $((i * 34 < 530 ? i * 34 : 530)) of 530 of the attachments of record $(cat z.id)" &&
		test "$(pg srv/zeros ls-tree -r "$tip" | wc -l)" = "$n" || { echo "# segment $i: $n parts"; exit 1; }
	done <tips ) &&
	git init -q --bare stock.git &&
	test "$(mkbatch stock "$(cat z.id)" zeros.bin)" = "$B" &&
	rm -rf mk.chunks zeros.bin
'

# The relay as a path (a stick): fetched through git upload-pack, a
# records-only sync takes the records' objects alone, not the batches
# (libgit2's own local transport copied every ref's objects, photos too).
test_expect_success 'a records-only sync from the relay as a path reads the records, not the photos' '
	rm -rf bp && cp -a b bp &&
	test "$(du -sk srv/relay.git | cut -f1)" -gt 2000 &&
	timeout 60 "$CIVIC" --home bp sync --json --no-attachments "$(abs srv/relay.git)" >bp.json &&
	python3 - bp.json <<-\EOF &&
	import json, sys
	d = json.load(open(sys.argv[1]))[0]
	assert d["ok"] and d["records_accepted"] == 4, d
	assert 0 < d["bytes_received"] < 100000, d
	EOF
	test -z "$(ls bp/attachments/sha256 2>/dev/null)" &&
	rm -rf bp
'

test_expect_success 'a member that reaches only the relay gets the records and every attachment' '
	civic --home b peer add relay "$RELAY_URL" --relay &&
	timeout 60 "$CIVIC" --home b sync relay >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^  accepted     НПО Рила (Рила): 4 new records$" out &&
	grep -q "^attachments relay: 5 stored, 0 refused, 0 records'\'' attachments not on the peer; 0 records'\'' attachments pushed$" out &&
	store_is b "снимка 1.jpg" празна.jpg tiny.jpg scan.pdf report.pdf &&
	audit_says b "attachments: 5 present, 0 missing, 0 corrupt"
'

test_expect_success 'the member keeps files, not batches: no batch object or ref in its archive' '
	B=$(pg srv/relay rev-parse "refs/civic/attachments/$P") &&
	! git_in b cat-file -e "$B" 2>/dev/null &&
	! git_in b cat-file -e "$(pg srv/relay rev-parse "$B:$BIG")" 2>/dev/null &&
	test -z "$(git_in b for-each-ref refs/civic/attachments refs/incoming)" &&
	fsck_clean b/archive.git &&
	civic --home b show "$P" >show &&
	test "$(grep -c "\[present\]$" show)" = 3
'

test_expect_success 'a second sync has nothing to move: no attachments line' '
	timeout 60 "$CIVIC" --home b sync relay >out 2>err &&
	test ! -s err &&
	test "$(cat out)" = "sync relay: 0 new records in 0 feeds; 0 refused, 0 forks, 0 refs pushed"
'

test_expect_success 'two nodes push the same batch: the member'\''s batches equal the author'\''s' '
	git init -q --bare srv/relay2.git &&
	civic --home b peer add relay2 "$(abs srv/relay2.git)" --relay &&
	timeout 60 "$CIVIC" --home b sync relay2 >out 2>err &&
	cat out && test ! -s err &&
	grep -q "; 3 records'\'' attachments pushed$" out &&
	batches "$RELAY_URL" >one &&
	batches srv/relay2.git >two &&
	cmp one two &&
	fsck_clean srv/relay2.git
'

# ---------------------------------------------------------------------------
# 2. records first, attachments later

test_expect_success 'sync --no-attachments brings the records and not the bytes' '
	civic --home c peer add relay "$RELAY_URL" --relay &&
	timeout 60 "$CIVIC" --home c sync --no-attachments relay >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^  accepted     НПО Рила (Рила): 4 new records$" out &&
	! grep -q "^attachments" out &&
	test -z "$(stored_list c)" &&
	clean c &&
	audit_says c "attachments: 0 present, 5 missing, 0 corrupt" &&
	grep -q "$BIG.* is missing" audit.out
'

test_expect_success 'status and show say the attachments are missing' '
	civic --home c status >status &&
	grep -q "4 records, 5 attachments missing" status &&
	grep -q "^attachments: 0 present, 5 missing, 0 corrupt$" status &&
	civic --home c show "$P" >show &&
	test "$(grep -c "\[missing\]$" show)" = 3
'

test_expect_success 'sync --no-attachments --json: nothing asked, nothing moved' '
	timeout 60 "$CIVIC" --home c sync --json --no-attachments relay >out.json &&
	python3 - out.json <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	a = d[0]["attachments"]
	assert a == {"records_missing": 0, "stored": 0, "refused": 0, "not_on_peer": 0,
	             "pushed": 0, "push_failed": 0, "parts_kept": 0, "purged": 0, "deleted": 0,
	             "reason": ""}, a
	EOF
'

test_expect_success 'fetch-attachments ID brings that record'\''s attachments only' '
	save_archive c &&
	timeout 60 "$CIVIC" --home c fetch-attachments "$(short p.id)" >out 2>err &&
	cat out && test ! -s err &&
	test "$(cat out)" = "relay: 3 attachments stored, 0 refused; 0 records'\'' attachments not there" &&
	store_is c "снимка 1.jpg" празна.jpg tiny.jpg &&
	audit_says c "attachments: 3 present, 2 missing, 0 corrupt" &&
	archive_unchanged c
'

test_expect_success 'fetch-attachments ID again: nothing to do' '
	timeout 60 "$CIVIC" --home c fetch-attachments "$P" >out 2>err &&
	test ! -s err &&
	test "$(cat out)" = "relay: 0 attachments stored, 0 refused; 0 records'\'' attachments not there"
'

# 6. (pushing) comes here: c holds one record's attachments whole.
test_expect_success 'a member pushes to an empty relay the batch it holds whole, not those it lacks' '
	git init -q --bare srv/relay3.git &&
	civic --home c peer add relay3 "$(abs srv/relay3.git)" --relay &&
	timeout 60 "$CIVIC" --home c sync relay3 >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^sync relay3: .* $(all_refs c | wc -l) refs pushed$" out &&
	grep -q "^attachments relay3: 0 stored, 0 refused, 2 records'\'' attachments not on the peer; 1 records'\'' attachments pushed$" out &&
	batches srv/relay3.git >three &&
	grep "/$P\$" one >want &&
	cmp want three
'

test_expect_success 'fetch-attachments --all --json: the rest, peer after peer' '
	fetch_json c 0 --all &&
	test "$(wc -l <fa)" = 2 &&
	test "$(sed -n 1p fa)" = "True 2 0 0 " &&
	test "$(sed -n 2p fa)" = "True 0 0 0 " &&
	python3 - fa.json "$RELAY_URL" <<-\EOF &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert [p["peer"] for p in d] == ["relay", "relay3"], d
	EOF
	store_is c "снимка 1.jpg" празна.jpg tiny.jpg scan.pdf report.pdf &&
	audit_says c "attachments: 5 present, 0 missing, 0 corrupt"
'

test_expect_success 'fetch-attachments --rehash: bytes gone wrong at the right size are fetched again' '
	f=$(store c "$REPORT") &&
	printf X | dd of="$f" bs=1 seek=1000 conv=notrunc 2>/dev/null &&
	test "$(wc -c <"$f")" = 1500000 &&
	! "$CIVIC" --home c audit >audit.out 2>&1 &&
	grep -q "attachments: 4 present, 0 missing, 1 corrupt" audit.out &&
	timeout 60 "$CIVIC" --home c fetch-attachments --all --from relay >out 2>err &&
	test "$(cat out)" = "relay: 0 attachments stored, 0 refused; 0 records'\'' attachments not there" &&
	timeout 60 "$CIVIC" --home c fetch-attachments --all --rehash --from relay >out 2>err &&
	test ! -s err &&
	test "$(sed -n 1p out)" = "1 attachments held were not the signed bytes: removed, to be fetched again" &&
	test "$(sed -n 2p out)" = "relay: 1 attachments stored, 0 refused; 0 records'\'' attachments not there" &&
	test "$(sha "$f")" = "$REPORT" &&
	audit_says c "attachments: 5 present, 0 missing, 0 corrupt"
'

test_expect_success 'a record held in part is not pushed; sync --json reports the attachments' '
	rm "$(store c "$SCAN")" &&
	timeout 60 "$CIVIC" --home c sync --json relay3 >out.json 2>err &&
	test ! -s err &&
	python3 - out.json <<-\EOF &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert len(d) == 1 and d[0]["ok"] is True, d
	a = d[0]["attachments"]
	assert a == {"records_missing": 1, "stored": 0, "refused": 0, "not_on_peer": 1,
	             "pushed": 1, "push_failed": 0, "parts_kept": 0, "purged": 0, "deleted": 0,
	             "reason": ""}, a
	EOF
	batches srv/relay3.git | cut -d" " -f2 | LC_ALL=C sort >three &&
	printf "refs/civic/attachments/%s\n" "$P" "$Q" | LC_ALL=C sort >want &&
	cmp want three
'

test_expect_success 'one sync of two peers: fetched from the first, pushed to the second' '
	timeout 60 "$CIVIC" --home c sync relay relay3 >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^attachments relay: 1 stored, 0 refused, 0 records'\'' attachments not on the peer; 0 records'\'' attachments pushed$" out &&
	grep -q "^attachments relay3: 0 stored, 0 refused, 0 records'\'' attachments not on the peer; 1 records'\'' attachments pushed$" out &&
	batches srv/relay3.git >three &&
	cmp one three &&
	fsck_clean srv/relay3.git
'

test_expect_success 'sync --no-push does not push attachments either' '
	git init -q --bare srv/relay4.git &&
	civic --home c peer add relay4 "$(abs srv/relay4.git)" --relay &&
	timeout 60 "$CIVIC" --home c sync --no-push relay4 >out 2>err &&
	test -z "$(git --git-dir srv/relay4.git for-each-ref)" &&
	! grep -q "^attachments" out
'

test_expect_success 'fetch-attachments: usage errors exit 129' '
	test_expect_code 129 civic --home c fetch-attachments 2>err &&
	grep -q "^usage: civic fetch-attachments" err &&
	test_expect_code 129 civic --home c fetch-attachments --all "$P" 2>err &&
	test_expect_code 129 civic --home c fetch-attachments --bogus 2>err &&
	test_expect_code 129 civic --home c fetch-attachments --from 2>err &&
	civic --home c fetch-attachments --help >out &&
	grep -q "^usage: civic fetch-attachments (--all | ID...)" out &&
	civic --home c sync --help | grep -q -e "--no-attachments"
'

test_expect_success 'fetch-attachments: an unknown ID, not an ID, an unknown peer: one line, exit 1' '
	test_refused 1 c fetch-attachments 0000000 &&
	err_has "no record '\''0000000'\'' in this archive" &&
	test_refused 1 c fetch-attachments "$P" nonsense &&
	err_has "'\''nonsense'\'' is not a record id" &&
	test_refused 1 c fetch-attachments --all --from nobody &&
	err_has "there is no peer named '\''nobody'\''"
'

test_expect_success 'fetch-attachments from a peer that cannot be reached: exit 128, one line, ok false' '
	rm "$(store c "$SCAN")" &&
	archive_state c >state.before &&
	test_expect_code 128 civic --home c fetch-attachments --all --from "$(abs nowhere)/archive.git" >out 2>err &&
	test_one_error_line err && grep -q "nowhere" err &&
	archive_state c >state.after && same state.before state.after &&
	fetch_json c 128 --all --from "$(abs nowhere)/archive.git" &&
	fa_is False 0 0 0
'

test_expect_success 'a node that lacks nothing stores nothing; one without a network is refused' '
	new_node lone "Самотно НПО" rila &&
	test_refused 1 lone fetch-attachments --all &&
	err_has "network join" &&
	timeout 60 "$CIVIC" --home b fetch-attachments --all >out 2>err &&
	test ! -s err &&
	grep -q "^relay: 0 attachments stored, 0 refused; 0 records'\'' attachments not there$" out
'

# Fixed: fetch-attachments takes any commit for a record id: the roster's
# first commit (not a record) is accepted and nothing is said, where
# `civic show` refuses it ("is not a record that verifies in this archive").
test_expect_success 'fetch-attachments refuses a commit id that is not a record' '
	test_refused 1 c show "$(git_in c rev-list --max-parents=0 refs/civic/roster)" &&
	test_refused 1 c fetch-attachments "$(git_in c rev-list --max-parents=0 refs/civic/roster)"
'

# ---------------------------------------------------------------------------
# 3. hostile relays: bare repositories forged with stock git. r0 holds every
# record and no attachment; each case syncs a copy of it.

test_expect_success 'setup: a receiver that holds every record and no attachment' '
	timeout 60 "$CIVIC" --home r sync --no-attachments "$RELAY_URL" >out &&
	grep -q "4 new records" out &&
	test -z "$(stored_list r)" &&
	rm -rf r0 && cp -a r r0 && save_archive r0
'

# refused_from HOME PEER TEXT [ID...]: HOME (a fresh copy of r0) fetches
# from PEER the attachments of ID... (all when none): exit 1, at least one
# attachment refused with TEXT in the reason; the archive unchanged, the
# store clean. The reason goes to HOME.why.
refused_from() {
	_rh=$1 _rp=$2 _rt=$3
	shift 3
	test $# -gt 0 || set -- --all
	fresh "$_rh" &&
	fetch_json "$_rh" 1 "$@" --from "$(abs "$_rp.git")" &&
	set -- "$_rh" "$_rp" "$_rt" &&
	cut -d" " -f5- fa >"$1.why" &&
	grep -q -F -e "$3" "$1.why" &&
	test "$(cut -d" " -f3 fa)" -ge 1 &&
	cp r0.archive "$1.archive" && archive_unchanged "$1" &&
	clean "$1"
}

test_expect_success '3a. a chunk replaced (other bytes, same name and size): refused, naming it' '
	evil evil_a &&
	O=$(head -c 131072 /dev/urandom | pg evil_a hash-object -w --stdin) &&
	forge evil_a "$P" "$BIG" 00000001 "100644 blob $O${TAB}00000001" &&
	test "$(pg evil_a ls-tree -l "refs/civic/attachments/$P:$BIG" | sed -n 2p | awk "{print \$4}")" = 131072 &&
	refused_from ra evil_a "the bytes are not those the record signed (sha256 $(echo $BIG | cut -c1-12)" &&
	fa_is True 4 1 0 &&
	store_is ra празна.jpg tiny.jpg scan.pdf report.pdf
'

test_expect_success '3a. the same through civic sync: exit 1, the reason under the attachments line' '
	fresh ra2 &&
	{ timeout 60 "$CIVIC" --home ra2 sync "$(abs evil_a.git)" >out 2>err; rc=$?; } &&
	cat out err && test $rc = 1 && test ! -s err &&
	grep -A1 "^attachments .*evil_a.git: 4 stored, 1 refused, 0 records'\'' attachments not on the peer; 0 records'\'' attachments pushed$" out |
		tail -n 1 | grep -q "^  the bytes are not those the record signed (sha256 $(echo $BIG | cut -c1-12)" &&
	store_is ra2 празна.jpg tiny.jpg scan.pdf report.pdf
'

test_expect_success '3a. a batch refused once is not fetched again: the record waits for another peer' '
	{ timeout 60 "$CIVIC" --home ra2 sync "$(abs evil_a.git)" >out 2>err; rc=$?; } &&
	cat out err && test $rc = 0 && test ! -s err &&
	grep -q "^attachments .*evil_a.git: 0 stored, 0 refused, 1 records'\'' attachments not on the peer; 0 records'\'' attachments pushed$" out &&
	store_is ra2 празна.jpg tiny.jpg scan.pdf report.pdf &&
	timeout 60 "$CIVIC" --home ra2 fetch-attachments --all --from "$RELAY_URL" >out &&
	grep -q ": 1 attachments stored, 0 refused" out &&
	store_is ra2 "снимка 1.jpg" празна.jpg tiny.jpg scan.pdf report.pdf
'

test_expect_success '3a. the honest relay then brings the refused one; the archive is sound' '
	timeout 60 "$CIVIC" --home ra fetch-attachments --all --from "$RELAY_URL" >out &&
	grep -q ": 1 attachments stored, 0 refused" out &&
	store_is ra "снимка 1.jpg" празна.jpg tiny.jpg scan.pdf report.pdf &&
	audit_says ra "attachments: 5 present, 0 missing, 0 corrupt"
'

# Fixed: in text mode fetch-attachments says "1 refused" and exits 1, but
# never why (nothing on stderr, no reason line): DESIGN.md section 4, "a
# rejected input ... says why in one clear line". civic sync prints it.
test_expect_success 'fetch-attachments (text) says why an attachment was refused' '
	fresh ra3 &&
	{ timeout 60 "$CIVIC" --home ra3 fetch-attachments --all --from "$(abs evil_a.git)" >out 2>err; rc=$?; } &&
	cat out err && test $rc = 1 &&
	cat out err | grep -q "not those the record signed"
'

test_expect_success '3a. the node then puts the true batch in place of the forged one on that relay' '
	forged=$(pg evil_a rev-parse "refs/civic/attachments/$P") &&
	grep -q "\"$forged\": \"$P\"" ra/tmp/refused-batches.json &&
	"$CIVIC" --home ra peer add evil "$(abs evil_a.git)" --relay &&
	timeout 60 "$CIVIC" --home ra sync evil >out 2>err &&
	test ! -s err &&
	grep -q "^attachments evil: 0 stored, 0 refused, 0 records'\'' attachments not on the peer; 1 records'\'' attachments pushed$" out &&
	test "$(pg evil_a rev-parse "refs/civic/attachments/$P")" = \
		"$(git --git-dir "$TEST_DIR/srv/relay.git" rev-parse "refs/civic/attachments/$P")" &&
	fresh ra4 &&
	fetch_json ra4 0 --all --from "$(abs evil_a.git)" &&
	fa_is True 5 0 0 &&
	timeout 60 "$CIVIC" --home ra sync evil >out 2>err &&
	test ! -s err && ! grep -q "attachments pushed" out
'

test_expect_success '3b. a chunk one byte larger than the chunk size (128 KiB): refused' '
	evil evil_b1 &&
	O=$(head -c 131073 /dev/urandom | pg evil_b1 hash-object -w --stdin) &&
	forge evil_b1 "$P" "$BIG" 00000000 "100644 blob $O${TAB}00000000" &&
	refused_from rb1 evil_b1 "too large" "$P" &&
	fa_is True 2 1 0 &&
	test ! -e "$(store rb1 "$BIG")"
'

test_expect_success '3b. more chunks than the size allows: refused' '
	evil evil_b2 &&
	O=$(printf x | pg evil_b2 hash-object -w --stdin) &&
	forge evil_b2 "$Q" "$REPORT" 00000012 "100644 blob $O${TAB}00000012" &&
	refused_from rb2 evil_b2 "13 chunks where 12 were due" "$Q" &&
	fa_is True 0 1 0 &&
	test ! -e "$(store rb2 "$REPORT")"
'

test_expect_success '3b. fewer chunks than the size needs: refused' '
	evil evil_b3 &&
	forge evil_b3 "$P" "$BIG" 00000019 &&
	refused_from rb3 evil_b3 "19 chunks where 20 were due" "$P" &&
	test ! -e "$(store rb3 "$BIG")"
'

test_expect_success '3b. a chunk that is a tree, not a blob: refused' '
	evil evil_b4 &&
	T=$(pg evil_b4 rev-parse "refs/civic/attachments/$Q:$REPORT") &&
	forge evil_b4 "$D" "$SCAN" 00000000 "040000 tree $T${TAB}00000000" &&
	refused_from rb4 evil_b4 "chunk 0 is not where it belongs" "$D" &&
	fa_is True 0 1 0 &&
	test ! -e "$(store rb4 "$SCAN")"
'

test_expect_success '3b. an executable chunk, a misnamed chunk: refused' '
	evil evil_b5 &&
	C=$(pg evil_b5 rev-parse "refs/civic/attachments/$Q:$REPORT/00000001") &&
	forge evil_b5 "$Q" "$REPORT" 00000001 "100755 blob $C${TAB}00000001" &&
	refused_from rb5 evil_b5 "chunk 1 is not where it belongs" "$Q" &&
	evil evil_b6 &&
	forge evil_b6 "$Q" "$REPORT" 00000001 "100644 blob $C${TAB}00000009" &&
	refused_from rb6 evil_b6 "chunk 1 is not where it belongs" "$Q"
'

test_expect_success '3b. the empty attachment given a chunk (of 0 bytes): refused' '
	evil evil_b7 &&
	E=$(pg evil_b7 hash-object -w /dev/null) &&
	forge evil_b7 "$P" "$EMPTY" 00000000 "100644 blob $E${TAB}00000000" &&
	refused_from rb7 evil_b7 "1 chunks where 0 were due" "$P" &&
	fa_is True 2 1 0 &&
	test ! -e "$(store rb7 "$EMPTY")"
'

test_expect_success '3b. a batch that lacks an attachment, a batch of another record: refused' '
	evil evil_b8 &&
	B=$(pg evil_b8 rev-parse "refs/civic/attachments/$P") &&
	T=$(with_entry evil_b8 "$B^{tree}" "$TINY") &&
	pg evil_b8 update-ref "refs/civic/attachments/$P" "$(batch_commit evil_b8 "$T" "$P" $(pg evil_b8 rev-parse "$B^@"))" &&
	pg evil_b8 update-ref "refs/civic/attachments/$D" "$(pg evil_b8 rev-parse "refs/civic/attachments/$Q")" &&
	refused_from rb8 evil_b8 "the batch lacks attachment" "$P" "$D" &&
	fa_is True 2 2 0 &&
	store_is rb8 "снимка 1.jpg" празна.jpg
'

# Fixed: some refusals do not name the attachment: "an attachment's chunk is
# too large: 131073 bytes, larger than the 131072 allowed" (from
# civic_object_check in read_chunks) says neither which attachment nor which
# record, where "chunk 0 is not where it belongs" does ("attachment
# 1a2b3c4d5e6f…: ...").
test_expect_success 'every refusal names the attachment it refused' '
	grep -q "$(echo "$BIG" | cut -c1-12)" rb1.why &&
	grep -q "$(echo "$REPORT" | cut -c1-12)" rb2.why &&
	grep -q "$(echo "$SCAN" | cut -c1-12)" rb4.why &&
	grep -q "$(echo "$EMPTY" | cut -c1-12)" rb7.why
'

test_expect_success '3c. batch refs at a blob, at a tree, at a commit of a huge tree: refused, no crash' '
	evil evil_c &&
	pg evil_c update-ref "refs/civic/attachments/$P" "$(printf x | pg evil_c hash-object -w --stdin)" &&
	i=0 && : >entries && E=$(pg evil_c hash-object -w /dev/null) &&
	while test $i -lt 20000; do
		printf "100644 blob %s\t%064d\n" "$E" $i
		i=$((i + 1))
	done >entries &&
	H=$(pg evil_c mktree <entries) &&
	test "$(pg evil_c cat-file -s "$H")" -gt 1000000 &&
	pg evil_c update-ref "refs/civic/attachments/$D" "$H" &&
	pg evil_c update-ref "refs/civic/attachments/$Q" "$(batch_commit evil_c "$H" "$Q")" &&
	refused_from rc evil_c "too large" &&
	fa_is True 0 5 0 &&
	test -z "$(stored_list rc)"
'

test_expect_success '3c. each reason says what was wrong' '
	evil evil_c1 &&
	pg evil_c1 update-ref "refs/civic/attachments/$P" "$(printf x | pg evil_c1 hash-object -w --stdin)" &&
	refused_from rc1 evil_c1 "an attachment batch is a blob, not a commit" &&
	fa_is True 2 3 0 &&
	evil evil_c2 &&
	pg evil_c2 fetch -q "$(abs evil_c.git)" "+refs/civic/attachments/$D:refs/civic/attachments/$D" &&
	refused_from rc2 evil_c2 "is a tree, not a commit" "$D" &&
	fa_is True 0 1 0 &&
	evil evil_c3 &&
	pg evil_c3 fetch -q "$(abs evil_c.git)" "+refs/civic/attachments/$Q:refs/civic/attachments/$Q" &&
	refused_from rc3 evil_c3 "too large" "$Q" &&
	fa_is True 0 1 0
'

test_expect_success '3d. batches of records the receiver lacks, or without attachments: not fetched' '
	rm -rf evil_d.git && git init -q --bare evil_d.git &&
	pg evil_d fetch -q "$TEST_DIR/srv/relay.git" "refs/civic/roster:refs/civic/roster" \
		"refs/civic/feeds/*:refs/civic/feeds/*" &&
	head -c 3000000 /dev/urandom >junk &&
	J=$(mkbatch evil_d "$(printf "%040d" 7)" junk) &&
	pg evil_d update-ref "refs/civic/attachments/$(printf "%040d" 7)" "$J" &&
	pg evil_d update-ref "refs/civic/attachments/$N" "$J" &&
	pg evil_d update-ref "refs/civic/attachments/$(echo "$P" | tr a-f A-F)" "$J" &&
	pg evil_d update-ref "refs/civic/attachments/$P-x" "$J" &&
	fresh rd &&
	fetch_json rd 0 --all --from "$(abs evil_d.git)" &&
	fa_is True 0 0 3 &&
	test -z "$(stored_list rd)" &&
	cp r0.archive rd.archive && archive_unchanged rd && clean rd &&
	timeout 60 "$CIVIC" --home rd sync --json --max-bytes 1000000 "$(abs evil_d.git)" >out.json &&
	python3 - out.json <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))[0]
	assert d["ok"] is True and d["attachments"]["stored"] == 0, d
	assert d["attachments"]["not_on_peer"] == 3 and d["attachments"]["records_missing"] == 3, d
	EOF
'

# A chunk that inflates to much more than it takes on the wire is refused by
# its header alone (object_limits.h), before it is read.
test_expect_success 'setup: a relay whose chunk is 128 MB of zeros (a few hundred KB packed)' '
	evil srv/bomb &&
	Z=$(head -c 134217728 /dev/zero | pg srv/bomb hash-object -w --stdin) &&
	forge srv/bomb "$P" "$TINY" 00000000 "100644 blob $Z${TAB}00000000" &&
	test "$(du -sk srv/bomb.git | cut -f1)" -lt 8000
'

# "Little": 40 MiB, against the 128 MB an inflated chunk would take; under
# AddressSanitizer, whose shadow memory and quarantine count in the peak
# too, 64 MiB.
RSS_CAP=40960
ldd "$CIVIC" 2>/dev/null | grep -q libasan && RSS_CAP=65536
test_expect_success 'a 128 MB chunk over git:// is refused unread, in little memory' '
	fresh rz1 &&
	peak_rss_kb rss timeout 60 "$CIVIC" --home rz1 fetch-attachments --json "$P" \
		--from "git://127.0.0.1:$PORT_DAEMON/bomb.git" >fa.json;
	echo "peak RSS: $(cat rss) KiB" &&
	python3 -c "import json,sys; d=json.load(open(\"fa.json\"))[0]; print(d); assert d[\"refused\"] == 1 and \"too large\" in d[\"reason\"]" &&
	test "$(cat rss)" -lt "$RSS_CAP" &&
	clean rz1
'

# A peer given as a path (a relay on a USB stick, a shared folder) is read
# through stock git upload-pack (src/local_git.c), as git:// is: the 128 MB
# chunk is refused by its header, and civic does not inflate it (libgit2
# 1.5's own local transport, used before, inflated it whole in civic's
# process). The memory bound is not checked here: the peak counts the
# upload-pack child, which is stock git serving the stick, and git reads a
# loose object whole to pack it (~139 MB), as git daemon does on its side.
test_expect_success 'a 128 MB chunk from a path peer is refused by its header, nothing stored' '
	fresh rz2 &&
	timeout 60 "$CIVIC" --home rz2 fetch-attachments --json "$P" --from "$(abs srv/bomb.git)" >fa.json;
	python3 -c "import json,sys; d=json.load(open(\"fa.json\"))[0]; print(d); assert d[\"refused\"] == 1 and \"too large\" in d[\"reason\"]" &&
	clean rz2
'
test_skip 'a 128 MB chunk from a path peer is refused in little memory too' \
	'the peak counts the stick'"'"'s git upload-pack, which reads a loose object whole'

# Fixed: a node whose copy of an attachment went bad on its disk (same size,
# other bytes; `civic audit` says corrupt) pushes it to a relay as the batch
# of that record: the check before a push is the size alone. Then the relay
# holds a batch every member refuses, and the author, who holds the right
# bytes, never replaces it: it pushes only batches the relay lacks.
test_expect_success 'a node never pushes an attachment that is corrupt on its disk' '
	fresh rot b &&
	chmod u+w "$(store rot "$TINY")" &&
	printf "МАЛКА" | head -c 10 >"$(store rot "$TINY")" &&
	test "$(wc -c <"$(store rot "$TINY")")" = 10 &&
	test_expect_code 1 civic --home rot audit >out &&
	grep -q "attachments: 4 present, 0 missing, 1 corrupt" out &&
	git init -q --bare srv/rot.git &&
	civic --home rot peer add rot "$(abs srv/rot.git)" --relay &&
	timeout 60 "$CIVIC" --home rot sync rot >out 2>err; cat out err;
	civic --home a peer add rot "$(abs srv/rot.git)" --relay &&
	timeout 60 "$CIVIC" --home a sync rot >out 2>err; cat out err;
	fresh rv &&
	fetch_json rv 0 --all --from "$(abs srv/rot.git)" &&
	fa_is True 5 0 0
'

# ---------------------------------------------------------------------------
# 4. a link that drops: git daemon behind a proxy that cuts each connection
# once it has carried 300 KB, two chunks and a bit. Three records of 5 MB
# each (3 MB + 2 MB: 39 chunks, segments of 32 and 7), and four of 1.5 MB
# (12 chunks), all in one relay made with stock git. A git server sends
# whole refs or nothing, and each record is one ref: what lets a record of
# 5 MB pass is that civic keeps the chunks that arrived whole, and says it
# has them ("have" the last part held) when it asks again.

test_expect_success 'setup: a relay with three records of 5 MB and four of 1.5 MB, behind the cutting proxy' '
	git init -q --bare srv/drop.git &&
	( for i in 1 2 3; do
		head -c 3000000 /dev/urandom >"r$i-a.jpg" &&
		head -c 2000000 /dev/urandom >"r$i-b.jpg" &&
		civic --home a add photo --field title="Голяма $i" --field visibility=public \
			--field date=2014-12-12 --attach "r$i-a.jpg" --attach "r$i-b.jpg" >"r$i.id" || exit 1
	done ) &&
	( for i in 1 2 3 4; do
		head -c 1500000 /dev/urandom >"s$i.jpg" &&
		civic --home a add photo --field title="Средна $i" --field visibility=public \
			--field date=2014-12-12 --attach "s$i.jpg" >"s$i.id" || exit 1
	done ) &&
	pg srv/drop fetch -q "$(abs a)/archive.git" "refs/civic/roster:refs/civic/roster" \
		"refs/civic/feeds/*:refs/civic/feeds/*" &&
	( for i in 1 2 3; do
		B=$(mkbatch srv/drop "$(cat r$i.id)" "r$i-a.jpg" "r$i-b.jpg") &&
		pg srv/drop update-ref "refs/civic/attachments/$(cat r$i.id)" "$B" || exit 1
	done ) &&
	( for i in 1 2 3 4; do
		B=$(mkbatch srv/drop "$(cat s$i.id)" "s$i.jpg") &&
		pg srv/drop update-ref "refs/civic/attachments/$(cat s$i.id)" "$B" || exit 1
	done ) &&
	test "$(batches srv/drop.git | wc -l)" = 7 &&
	quick_repack srv/drop &&
	civic --home d peer add drop "$DROP_URL" &&
	rm -f cut.log
'

# The relay above is stock git's; civic, pushing the same records, makes
# the same batches, so what follows holds for batches civic wrote. Of 39
# chunks, the segments are 32 and 7 (at least 32 a segment), and part 33,
# the first of the second, holds chunk 33 alone.
test_expect_success '4. batches of 39 chunks: two segments, 32 and 7; civic makes them as stock git does' '
	git init -q --bare srv/drop-civic.git &&
	civic --home a peer add drop-civic "$(abs srv/drop-civic.git)" --relay &&
	timeout 120 "$CIVIC" --home a sync drop-civic >out 2>err &&
	cat out err && test ! -s err &&
	batches srv/drop-civic.git >civic.batches &&
	batches srv/drop.git >stock.batches &&
	grep -F -f stock.batches civic.batches >both &&
	same stock.batches both &&
	B=$(pg srv/drop rev-parse "refs/civic/attachments/$(cat r1.id)") &&
	pg srv/drop rev-parse "$B^@" >tips &&
	test "$(wc -l <tips)" = 2 &&
	test "$(pg srv/drop rev-list --count "$(sed -n 1p tips)")" = 32 &&
	test "$(pg srv/drop rev-list --count "$(sed -n 2p tips)")" = 7 &&
	S=$(pg srv/drop rev-list --max-parents=0 "$(sed -n 2p tips)") &&
	test "$(pg srv/drop log -1 --format=%s "$S")" = "civic: part 33 of 39 of the attachments of record $(cat r1.id)" &&
	pg srv/drop ls-tree -r "$S" >held && pg srv/drop ls-tree -r "$B" | sed -n 33p >want &&
	same want held &&
	rm -rf srv/drop-civic.git
'

test_expect_success '4. the records pass the link that drops' '
	timeout 60 "$CIVIC" --home d sync --no-attachments drop >out 2>err &&
	cat out err && test ! -s err &&
	grep -q "^  accepted     НПО Рила (Рила): 11 new records$" out &&
	audit_says d "records: 11 valid" &&
	rm -rf d0 && cp -a d d0
'

# One run brings all: each record is fetched on its own, try after try,
# each try keeping the chunks that arrived whole, while each brings more.
test_expect_success '4. one sync through a link cut every 300 KB brings every attachment, 5 MB records too' '
	rm -f cut.log &&
	timeout 300 "$CIVIC" --home d sync drop >out 2>err &&
	cat out err && test ! -s err &&
	grep -q "^attachments drop: 10 stored, 0 refused, 3 records'\'' attachments not on the peer; 0 records'\'' attachments pushed$" out &&
	grep -A1 "^attachments drop: " out | tail -n 1 >dropped &&
	grep -q "^  the link dropped: [1-9][0-9]* chunks that had arrived whole were kept, not fetched again$" dropped &&
	test "$(wc -l <out)" = 3 &&
	store_is d r1-a.jpg r1-b.jpg r2-a.jpg r2-b.jpg r3-a.jpg r3-b.jpg s1.jpg s2.jpg s3.jpg s4.jpg &&
	audit_says d "attachments: 10 present, 5 missing, 0 corrupt" &&
	test ! -e d/tmp/attachment-parts &&
	wait_lines 50 cut.log "^cut $CUT$" &&
	echo "$(grep -c "^cut " cut.log) connections cut, $(proxy_bytes cut.log) bytes through the proxy" &&
	test "$(proxy_bytes cut.log)" -lt 30000000
'

# The records of section 1 through the same link: P's segment runs across
# three attachments, one of them empty (no chunk, no part) and one tiny.
test_expect_success '4. a segment across a large, an empty and a tiny attachment passes the link too' '
	fresh rp &&
	rm -f cut.log &&
	timeout 120 "$CIVIC" --home rp fetch-attachments --all --from "git://127.0.0.1:$PORT_CUT/relay.git" >out 2>err &&
	cat out err && test ! -s err &&
	grep -q ": 5 attachments stored, 0 refused; 0 records'\'' attachments not there$" out &&
	store_is rp "снимка 1.jpg" празна.jpg tiny.jpg scan.pdf report.pdf &&
	wait_lines 5 cut.log "^cut $CUT$" &&
	test ! -e rp/tmp/attachment-parts
'

# The second node gets the records above (a copy of d before its
# attachments) and reaches the relay through a proxy that lets $FEW
# connections pass (each cut at 300 KB; wait_port takes the first), then
# no more: the run stops with part of a record.
test_expect_success '4. a run that stops midway keeps what arrived in tmp/attachment-parts/<record>.git' '
	fresh e d0 &&
	start_server few.out python3 "$TEST_DIR/cutproxy.py" "$PORT_FEW" "$PORT_CUT" 1000000000000 "$TEST_DIR/few.log" "$FEW" &&
	wait_port "$PORT_FEW" &&
	R1=$(cat r1.id) &&
	{ timeout 120 "$CIVIC" --home e fetch-attachments "$R1" --from "$FEW_URL" >out 2>err; rc=$?; } &&
	cat out err few.log && echo "exit status: $rc" &&
	test $rc = 128 && test_one_error_line err &&
	wait_lines 1 few.log "^refused$" &&
	test "$(grep -c "^pass$" few.log)" = "$FEW" &&
	test -d "e/tmp/attachment-parts/$R1.git" &&
	git --git-dir "e/tmp/attachment-parts/$R1.git" for-each-ref refs/parts/ >refs &&
	cat refs && test -s refs &&
	HELD=$(parts_held "e/tmp/attachment-parts/$R1.git") &&
	echo "$HELD of 39 chunks held" && echo "$HELD" >held.count &&
	test "$HELD" -ge 10 && test "$HELD" -lt 39 &&
	test ! -e "$(store e "$(sha r1-a.jpg)")" && test ! -e "$(store e "$(sha r1-b.jpg)")" &&
	clean e
'

# The rest of the record costs about what it weighs: the chunks held are
# not sent again, and the first try of the next run asks for what is left.
# (The proxy notes a connection once it is over: the last one may be noted
# a moment after civic exits.)
test_expect_success '4. the next run takes up from there: fewer bytes than the whole, and it completes' '
	R1=$(cat r1.id) HELD=$(cat held.count) &&
	rm -f cut.log &&
	timeout 120 "$CIVIC" --home e fetch-attachments "$R1" >out 2>err &&
	cat out err && test ! -s err &&
	test "$(cat out)" = "drop: 2 attachments stored, 0 refused; 0 records'\'' attachments not there" &&
	cmp r1-a.jpg "$(store e "$(sha r1-a.jpg)")" && cmp r1-b.jpg "$(store e "$(sha r1-b.jpg)")" &&
	test ! -e e/tmp/attachment-parts &&
	wait_lines 1 cut.log "^cut $CUT$" &&
	sleep 0.5 &&
	BYTES=$(proxy_bytes cut.log) &&
	REST=$(((39 - HELD) * 131072)) &&
	echo "$BYTES bytes for the $REST the parts held did not cover, of 5000000" &&
	test "$BYTES" -lt $((REST * 13 / 10 + CUT)) &&
	test "$BYTES" -lt 4000000 &&
	clean e
'

# kill -9 at any moment of a try leaves the staging repository usable: its
# objects are written whole (a temporary file, then a rename) and its refs
# are the parts found whole. A kill between a ref's lock and its rename
# leaves refs/parts/NN.lock: planted here, it must not keep the next try
# from keeping its parts.
test_expect_success '4. civic killed -9 midway through a record: the next sync takes up from there' '
	R2=$(cat r2.id) &&
	python3 - "$CIVIC" e "$R2" <<-\EOF &&
	import os, signal, subprocess, sys, time
	civic, home, record = sys.argv[1:4]
	refs = os.path.join(home, "tmp", "attachment-parts", record + ".git", "refs", "parts")
	p = subprocess.Popen([civic, "--home", home, "fetch-attachments", record],
	                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
	end = time.time() + 100
	while p.poll() is None and time.time() < end:
	    # a part ref in place, not only its lock (a loaded machine is slow to rename)
	    if os.path.isdir(refs) and [n for n in os.listdir(refs) if not n.endswith(".lock")]:
	        time.sleep(0.1)
	        p.send_signal(signal.SIGKILL)
	        break
	    time.sleep(0.01)
	p.wait()
	print("exit status", p.returncode)
	assert p.returncode == -signal.SIGKILL, "civic was not caught midway"
	EOF
	test -d "e/tmp/attachment-parts/$R2.git" &&
	test -n "$(git --git-dir "e/tmp/attachment-parts/$R2.git" for-each-ref refs/parts/)" &&
	fsck_clean "e/tmp/attachment-parts/$R2.git" &&
	: >"e/tmp/attachment-parts/$R2.git/refs/parts/00.lock" &&
	test ! -e "$(store e "$(sha r2-a.jpg)")" &&
	timeout 300 "$CIVIC" --home e sync --json drop >out.json 2>err &&
	cat err && test ! -s err &&
	python3 - out.json <<-\EOF &&
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert len(d) == 1 and d[0]["ok"] is True, d
	a = d[0]["attachments"]
	print(a)
	assert sorted(a) == ["deleted", "not_on_peer", "parts_kept", "purged", "push_failed", "pushed",
	                     "reason", "records_missing", "refused", "stored"], a
	assert a["stored"] == 8 and a["refused"] == 0 and a["not_on_peer"] == 3, a
	assert a["parts_kept"] > 0 and a["reason"] == "", a
	EOF
	store_is e r1-a.jpg r1-b.jpg r2-a.jpg r2-b.jpg r3-a.jpg r3-b.jpg s1.jpg s2.jpg s3.jpg s4.jpg &&
	audit_says e "attachments: 10 present, 5 missing, 0 corrupt" &&
	test ! -e e/tmp/attachment-parts
'

# A relay that lies about the parts: the batch tree is the genuine one (the
# bytes would check), its parents the parts of other bytes of the same size
# at the same paths. A part counts only when its tree is the one rebuilt
# from the chunks the batch tree names, so these hold nothing, and a
# record larger than one connection cannot pass such a relay's link.
test_expect_success '4. parts that do not match their batch hold nothing: the record does not pass, nothing is stored' '
	rm -rf srv/liar.git && git init -q --bare srv/liar.git &&
	pg srv/liar fetch -q "$TEST_DIR/srv/drop.git" "refs/civic/*:refs/civic/*" &&
	S1=$(cat s1.id) &&
	head -c 1500000 /dev/urandom >other.jpg &&
	O=$(mkbatch srv/liar "$S1" other.jpg) &&
	B=$(pg srv/liar rev-parse "refs/civic/attachments/$S1") &&
	pg srv/liar update-ref "refs/civic/attachments/$S1" \
		"$(batch_commit srv/liar "$(pg srv/liar rev-parse "$B^{tree}")" "$S1" $(pg srv/liar rev-parse "$O^@"))" &&
	quick_repack srv/liar &&
	fresh f d0 &&
	{ timeout 120 "$CIVIC" --home f fetch-attachments "$S1" --from "git://127.0.0.1:$PORT_CUT/liar.git" \
		>out 2>err; rc=$?; } &&
	cat out err && echo "exit status: $rc" &&
	test $rc = 128 && test_one_error_line err &&
	test -z "$(stored_list f)" && clean f &&
	test -z "$(git --git-dir "f/tmp/attachment-parts/$S1.git" for-each-ref refs/parts/)"
'

test_expect_success '4. the honest relay then brings that record through the same link; nothing of the liar'\''s is kept' '
	S1=$(cat s1.id) &&
	timeout 120 "$CIVIC" --home f fetch-attachments "$S1" >out 2>err &&
	cat out err && test ! -s err &&
	test "$(cat out)" = "drop: 1 attachments stored, 0 refused; 0 records'\'' attachments not there" &&
	store_is f s1.jpg &&
	test ! -e f/tmp/attachment-parts
'

# ---------------------------------------------------------------------------
# 5. a 50 MB attachment in bounded memory

test_expect_success 'setup: a record with a 50 MB attachment, its batch on a relay (stock git)' '
	head -c 52428800 /dev/urandom >big50.jpg &&
	civic --home g add photo --field title="Голяма снимка" --field visibility=public \
		--field date=2015-02-27 --attach big50.jpg >g.id &&
	git init -q --bare srv/big.git &&
	pg srv/big fetch -q "$(abs g)/archive.git" "refs/civic/roster:refs/civic/roster" \
		"refs/civic/feeds/*:refs/civic/feeds/*" &&
	pg srv/big update-ref "refs/civic/attachments/$(cat g.id)" "$(mkbatch srv/big "$(cat g.id)" big50.jpg)" &&
	test "$(pg srv/big ls-tree "refs/civic/attachments/$(cat g.id):$(sha big50.jpg)" | wc -l)" = 400 &&
	quick_repack srv/big &&
	BIG_URL="git://127.0.0.1:$PORT_DAEMON/big.git" &&
	timeout 60 "$CIVIC" --home m sync --no-attachments "$BIG_URL" >out &&
	grep -q "1 new records" out
'

# Memory caps by ulimit: not under AddressSanitizer, which reserves terabytes
# of address space for its shadow memory (the plain build runs them).
if ldd "$CIVIC" 2>/dev/null | grep -q libasan; then
	test_skip '5. the 50 MB attachment is fetched with 16 MiB of data memory' 'built with AddressSanitizer'
	test_skip 'the 50 MB attachment is fetched under ulimit -v 48 MiB' 'built with AddressSanitizer'
else
# With `ulimit -d` (the heap and every private writable mapping) of 16 MiB,
# less than a third of the attachment.
test_expect_success '5. the 50 MB attachment is fetched with 16 MiB of data memory' '
	( ulimit -d 16384 && exec timeout 60 "$CIVIC" --home m fetch-attachments --all --from "$BIG_URL" ) >out 2>err;
	rc=$? && cat out err && test $rc = 0 &&
	grep -q ": 1 attachments stored, 0 refused" out &&
	cmp big50.jpg "$(store m "$(sha big50.jpg)")" &&
	clean m
'

# Fixed: libgit2 mapped the whole 50 MB pack at once (its pack windows are
# 1 GiB by default on 64-bit), so under `ulimit -v` of 48 MiB the fetch
# failed with a misleading "unexpected data at the end of the pack"; civic
# now sets 4 MiB windows and at most 32 MiB mapped (src/civic.c).
test_expect_success 'the 50 MB attachment is fetched under ulimit -v 48 MiB' '
	rm -f "$(store m "$(sha big50.jpg)")" &&
	( ulimit -v 49152 && exec timeout 60 "$CIVIC" --home m fetch-attachments --all --from "$BIG_URL" ) >out 2>err;
	rc=$? && cat out err && test $rc = 0 &&
	cmp big50.jpg "$(store m "$(sha big50.jpg)")"
'
fi

test_expect_success '5. kill -9 while the 50 MB attachment is written: the next run cleans up and stores it' '
	rm -f "$(store m "$(sha big50.jpg)")" &&
	python3 - "$CIVIC" m "$BIG_URL" <<-\EOF &&
	import os, signal, subprocess, sys, time
	civic, home, url = sys.argv[1:4]
	store = os.path.join(home, "attachments", "sha256")
	p = subprocess.Popen([civic, "--home", home, "fetch-attachments", "--all", "--from", url],
	                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
	end = time.time() + 50
	while p.poll() is None and time.time() < end:
	    tmp = [n for n in os.listdir(store) if n.startswith(".tmp-")] if os.path.isdir(store) else []
	    if tmp and os.path.getsize(os.path.join(store, tmp[0])) > 0:
	        p.send_signal(signal.SIGKILL)
	        break
	    time.sleep(0.001)
	p.wait()
	print("exit status", p.returncode)
	assert p.returncode == -signal.SIGKILL, "civic was not caught writing"
	EOF
	ls -A m/attachments/sha256 | grep -q "^\.tmp-" &&
	test ! -e "$(store m "$(sha big50.jpg)")" &&
	timeout 60 "$CIVIC" --home m fetch-attachments --all --from "$BIG_URL" >out 2>err &&
	cat out err &&
	grep -q ": 1 attachments stored, 0 refused" out &&
	cmp big50.jpg "$(store m "$(sha big50.jpg)")" &&
	clean m &&
	audit_says m "attachments: 1 present"
'

# ---------------------------------------------------------------------------
# 7. records after a revocation: their attachments are not taken

test_expect_success 'setup: a member writes two records with attachments, pushes them, and is revoked after the first' '
	join_network cc v "НПО v" rila &&
	head -c 5000 /dev/urandom >valid.pdf &&
	head -c 6000 /dev/urandom >stolen.pdf &&
	add_doc v "Преди" --attach valid.pdf >v1.id &&
	add_doc v "След" --attach stolen.pdf >v2.id &&
	git init -q --bare srv/vrel.git &&
	civic --home v peer add vrel "$(abs srv/vrel.git)" --relay &&
	timeout 60 "$CIVIC" --home v sync vrel >out &&
	cat out &&
	grep -q "; 2 records'\'' attachments pushed$" out &&
	timeout 60 "$CIVIC" --home cc sync --no-attachments "$(abs srv/vrel.git)" >out &&
	cat out &&
	grep -q "2 new records" out &&
	civic --home cc member revoke "$(node_fp v)" --after "$(cat v1.id)" --reason "откраднат лаптоп" &&
	civic --home cc audit >out;
	cat out &&
	grep -q "records: 1 valid, 0 pending, 1 after revocation" out
'

# Fixed: the attachment index (src/attach_index.c, which replaced the catalog
# walk in attach_sync.c collect()) lists every record of every feed; the
# walk it replaced skipped records made after their key's revocation
# point (CIVIC_STANDING_REVOKED). Now their attachments are fetched, and
# pushed to relays, as if they counted.
test_expect_success 'the attachments of a record after its key'\''s revocation are not fetched' '
	fetch_json cc 0 --all --from "$(abs srv/vrel.git)" &&
	test -f "$(store cc "$(sha valid.pdf)")" &&
	test ! -e "$(store cc "$(sha stolen.pdf)")"
'

# 8. chunks are never deltified: libgit2 would try each against ten others
# before a push sends a byte, for photos that gain nothing by it.
test_expect_success '8. a push sends chunks whole, even chunks that would make good deltas' '
	join_network cc w "НПО w" rila &&
	head -c 131072 /dev/urandom >chunk &&
	( for i in 1 2 3 4 5 6 7 8; do cat chunk; printf "%s" "$i"; done ) >alike.bin &&
	add_doc w "Почти еднакви части" --attach alike.bin >w.id &&
	git init -q --bare srv/wrel.git &&
	civic --home w peer add wrel "$(abs srv/wrel.git)" --relay &&
	timeout 60 "$CIVIC" --home w sync wrel >out &&
	grep -q "; 1 records'\'' attachments pushed$" out &&
	B=$(git --git-dir srv/wrel.git rev-parse "refs/civic/attachments/$(cat w.id)") &&
	git --git-dir srv/wrel.git ls-tree -r "$B" | awk "{print \$3}" >chunks &&
	test "$(wc -l <chunks)" = 9 &&
	git --git-dir srv/wrel.git verify-pack -v srv/wrel.git/objects/pack/*.idx >packed &&
	# A delta has 7 fields: id, type, size, size in pack, offset, depth, base.
	awk "NF == 7 {print \$1}" packed | sort >deltas &&
	sort chunks | comm -12 - deltas >chunk_deltas &&
	test ! -s chunk_deltas &&
	fsck_clean srv/wrel.git
'

# 9. a push of many groups in one sync: groups up to 32 MiB are staged in
# memory (a fresh handle each, so that the relay's new batches are not
# taken for objects held), a larger record on disk.
test_expect_success '9. one sync pushes groups staged in memory and a 40 MB record staged on disk' '
	join_network cc x "НПО x" rila &&
	: >x.ids &&
	( for i in 1 2 3; do
		head -c 5000000 /dev/urandom >five$i.jpg &&
		add_doc x "Пет мегабайта $i" --attach five$i.jpg >>x.ids || exit 1
	done ) &&
	head -c 40000000 /dev/urandom >forty.mov &&
	add_doc x "Четиридесет мегабайта" --attach forty.mov >>x.ids &&
	git init -q --bare srv/xrel.git &&
	civic --home x peer add xrel "$(abs srv/xrel.git)" --relay &&
	timeout 120 "$CIVIC" --home x sync xrel >out 2>err &&
	cat out && test ! -s err &&
	grep -q "; 4 records'\'' attachments pushed$" out &&
	test "$(git --git-dir srv/xrel.git for-each-ref refs/civic/attachments/ | wc -l)" = 4 &&
	fsck_clean srv/xrel.git &&
	join_network cc y "НПО y" rila &&
	civic --home y peer add xrel "$(abs srv/xrel.git)" &&
	timeout 120 "$CIVIC" --home y sync xrel >out 2>err &&
	test ! -s err &&
	store_is y five1.jpg five2.jpg five3.jpg forty.mov
'

test_expect_success 'every server this script started is still running (none crashed)' '
	alive=yes &&
	for p in $SERVERS; do kill -0 "$p" || alive=no; done &&
	test $alive = yes
'

test_done
