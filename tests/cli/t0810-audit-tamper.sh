#!/bin/sh
# civic audit against tampering: rewritten records, corrupt objects, keys
# that are not members, records of another network, forged rosters, and
# commits that stock git calls well signed but that break civic's rules.
#
# The member node "a" and the civic center "cc" use keys made by ssh-keygen
# (imported), so that stock git can sign forgeries with them.
. "$(dirname "$0")/test-lib.sh"

hex_of() { node_feed "$1" | sed "s|refs/civic/feeds/||"; }

# fresh NAME: a copy of the pristine civic-center node to tamper with.
fresh() { rm -rf "$1" && cp -a pristine "$1"; }

# idx HOME ARGS...: git on a scratch index (bare repositories have none).
idx() {
	_h=$1
	shift
	GIT_INDEX_FILE="$TEST_DIR/scratch.index" git --git-dir "$_h/archive.git" "$@"
}

# tree_with HOME BASE PATH BLOB: BASE's tree (empty if BASE is "") with PATH
# set to BLOB; prints the new tree id.
tree_with() {
	rm -f "$TEST_DIR/scratch.index" &&
	if test -n "$2"; then idx "$1" read-tree "$2"; else idx "$1" read-tree --empty; fi &&
	idx "$1" update-index --add --cacheinfo "100644,$4,$3" &&
	idx "$1" write-tree
}

# tree_without HOME BASE PATH: BASE's tree without PATH.
tree_without() {
	rm -f "$TEST_DIR/scratch.index" &&
	idx "$1" read-tree "$2" &&
	printf "0 0000000000000000000000000000000000000000\t%s\n" "$3" | idx "$1" update-index --index-info &&
	idx "$1" write-tree
}

# blob HOME < BYTES: writes a blob, prints its id.
blob() { git_in "$1" hash-object -w --stdin; }

# signed_commit HOME KEY NAME EMAIL TREE MSGFILE [-p PARENT]...: a commit
# signed by stock git with the OpenSSH private key KEY; prints its id.
signed_commit() {
	_h=$1 _k=$2 _n=$3 _e=$4 _t=$5 _m=$6
	shift 6
	GIT_AUTHOR_NAME="$_n" GIT_AUTHOR_EMAIL="$_e" GIT_COMMITTER_NAME="$_n" GIT_COMMITTER_EMAIL="$_e" \
	git_in "$_h" -c gpg.format=ssh -c user.signingkey="$_k" commit-tree -S "$_t" "$@" -F "$_m"
}

# a_commit HOME TREE MSGFILE [-p PARENT]...: signed by member a, as civic would.
a_commit() {
	_h=$1 _t=$2 _m=$3
	shift 3
	signed_commit "$_h" "$TEST_DIR/akey" "НПО Рила" "$(hex_of a)@civic" "$_t" "$_m" "$@"
}

# feed_msg FILE SUBJECT NETWORK SEQ: a commit message as civic writes it.
feed_msg() { printf "%s\n\nCivic-Network: %s\nCivic-Seq: %s\n" "$2" "$3" "$4" >"$1"; }

record_json() {
	printf "{\n  \"date\": \"2015-03-01\",\n  \"document_type\": \"report\",\n  \"kind\": \"document\",\n  \"title\": \"%s\",\n  \"visibility\": \"public\"\n}\n" "$1"
}

# audit_fails HOME TEXT...: audit exits 1 and its output holds each TEXT.
audit_fails() {
	_h=$1
	shift
	test_expect_code 1 civic --home "$_h" audit >"$TEST_DIR/audit.out" 2>&1 || {
		cat "$TEST_DIR/audit.out" >&2
		return 1
	}
	for _t in "$@"; do
		grep -q -F -e "$_t" "$TEST_DIR/audit.out" || {
			echo "# audit output lacks '$_t':" >&2
			cat "$TEST_DIR/audit.out" >&2
			return 1
		}
	done
	grep -q "^audit: FAILED$" "$TEST_DIR/audit.out"
}

test_expect_success 'setup: a network whose admin and member keys come from ssh-keygen' '
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
	add_doc a "Първи" >a1 && add_doc a "Втори" >a2 && add_doc a "Трети" >a3 &&
	fetch_feed a cc a &&
	civic --home cc audit >out &&
	grep -q "records: 3 valid" out &&
	civic --home cc allowed-signers >as &&
	cp -a cc pristine &&
	FEED=$(node_feed a) &&
	R1=records/00/00/00/00000001.json R2=records/00/00/00/00000002.json &&
	R3=records/00/00/00/00000003.json R4=records/00/00/00/00000004.json
'

# --- (a) a record rewritten with stock git -----------------------------------

test_expect_success '(a) the last record rewritten, its signature header kept: audit fails, naming the feed' '
	fresh ta &&
	B=$(record_json "Подменен" | blob ta) &&
	T=$(tree_with ta "$(cat a3)" $R3 $B) &&
	git_in ta cat-file commit "$(cat a3)" | sed "1s/^tree .*/tree $T/" >forged &&
	grep -q "^gpgsig " forged &&
	F=$(git_in ta hash-object -t commit -w --stdin <forged) &&
	git_in ta update-ref "$FEED" "$F" &&
	git_in ta fsck --strict --full &&
	audit_fails ta "feed $(hex_of a | cut -c1-12)" "$FEED" "$F" &&
	grep -q "records: 2 valid" audit.out
'

test_expect_success '(a) stock git verify-commit calls the rewritten commit bad' '
	test_must_fail git_in ta -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$F" &&
	git_in ta -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$(cat a2)"
'

test_expect_success '(a) audit --json names the bad feed and commit' '
	test_expect_code 1 civic --home ta audit --json >ta.json &&
	python3 - ta.json "$(hex_of a)" "$F" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["sound"] is False and d["feeds"]["bad"] == 1, d
	bad = [f for f in d["findings"] if f["level"] == "bad"]
	assert len(bad) == 1 and bad[0]["feed"] == sys.argv[2] and bad[0]["commit"] == sys.argv[3], bad
	EOF
'

test_expect_success '(a) list and show leave the rewritten record out' '
	civic --home ta list >list.txt 2>err &&
	grep -q "$FEED" err &&
	grep -q "^$(cut -c1-12 a2)" list.txt &&
	! grep -q "Подменен" list.txt &&
	test_expect_code 1 civic --home ta show "$F" 2>err
'

test_expect_success '(a) the first record rewritten through the whole history: nothing of the feed is valid' '
	fresh tb &&
	B=$(record_json "Подменен" | blob tb) &&
	parent= &&
	for c in $(cat a1 a2 a3); do
		T=$(tree_with tb "$c" $R1 $B) &&
		git_in tb cat-file commit "$c" | sed "1s/^tree .*/tree $T/" |
			if test -n "$parent"; then sed "2s/^parent .*/parent $parent/"; else cat; fi >forged &&
		parent=$(git_in tb hash-object -t commit -w --stdin <forged) || break
	done &&
	git_in tb update-ref "$FEED" "$parent" &&
	git_in tb fsck --strict --full &&
	audit_fails tb "$FEED" &&
	grep -q "records: 0 valid" audit.out
'

# --- (b) damaged objects on disk ----------------------------------------------

loose() { B=$(git_in "$1" rev-parse "$2") && echo "$1/archive.git/objects/$(echo $B | cut -c1-2)/$(echo $B | cut -c3-)"; }

test_expect_success '(b) a corrupt loose record blob: git fsck and civic audit both fail' '
	fresh tc &&
	O=$(loose tc "$(cat a2):$R2") &&
	test -f "$O" &&
	chmod u+w "$O" &&
	printf "garbage" | dd of="$O" bs=1 seek=12 conv=notrunc 2>/dev/null &&
	test_must_fail git_in tc fsck --strict --full &&
	audit_fails tc "$FEED"
'

test_expect_success '(b) a record blob replaced by another valid object: both fail' '
	fresh td &&
	O2=$(loose td "$(cat a2):$R2") &&
	O3=$(loose td "$(cat a3):$R3") &&
	chmod u+w "$O2" &&
	cp "$O3" "$O2" &&
	test_must_fail git_in td fsck --strict --full &&
	audit_fails td "$FEED"
'

test_expect_success '(b) a missing record blob: both fail' '
	fresh te &&
	rm -f "$(loose te "$(cat a1):$R1")" &&
	test_must_fail git_in te fsck --strict --full &&
	audit_fails te "$FEED"
'

test_expect_success '(b) a corrupt commit object: both fail' '
	fresh tf &&
	O=$(loose tf "$(cat a2)") &&
	chmod u+w "$O" &&
	printf "garbage" | dd of="$O" bs=1 seek=20 conv=notrunc 2>/dev/null &&
	test_must_fail git_in tf fsck --strict --full &&
	audit_fails tf
'

# --- (c) a key that is not a member -----------------------------------------

test_expect_success '(c) records by a key that is not a member: pending, audit exit 0' '
	fresh tg &&
	new_node x "Кандидат" treklyano &&
	civic --home x network join "$(cat cc.net)" >/dev/null &&
	add_doc x "Х1" >x1 2>/dev/null &&
	add_doc x "Х2" >x2 2>/dev/null &&
	fetch_feed x tg x &&
	civic --home tg audit >out &&
	grep -q "records: 3 valid, 2 pending, 0 after revocation" out &&
	grep -q "^pending  feed $(hex_of x | cut -c1-12) commit $(cat x1)" out &&
	test "$(tail -n 1 out)" = "audit: sound"
'

test_expect_success '(c) once the key is admitted, its records are valid' '
	civic --home tg member add --name "Кандидат" --municipality treklyano --role ngo \
		--key "$(node_key x)" >/dev/null &&
	civic --home tg audit >out &&
	grep -q "records: 5 valid, 0 pending" out
'

# --- (d) a record of another network ---------------------------------------

test_expect_success '(d) a feed from another network is reported bad' '
	fresh th &&
	new_network other &&
	join_network other y "НПО Другаде" rila &&
	add_doc y "От друга мрежа" >y1 &&
	fetch_feed y th y &&
	audit_fails th "$(node_feed y)" "network" &&
	grep -q "records: 3 valid, 0 pending" audit.out
'

test_expect_success '(d) even when that key is a member here too' '
	civic --home th member add --name "НПО Другаде" --municipality rila --role ngo \
		--key "$(node_key y)" >/dev/null &&
	audit_fails th "$(node_feed y)"
'

# --- (e) forged rosters ------------------------------------------------------

roster_msg() {
	printf "roster: %s\n\nCivic-Network: %s\nCivic-Roster-Seq: %s\n" "$2" "$(cat cc.net)" "$3" >"$1"
}

test_expect_success '(e) the roster moved to a commit signed by a member that is no admin' '
	fresh ti &&
	new_node evil "Злонамерен" rila &&
	EVIL=$(hex_of evil) &&
	printf "{\n  \"key\": \"%s\",\n  \"municipality\": \"rila\",\n  \"name\": \"Злонамерен\",\n  \"role\": \"civic-center\"\n}\n" \
		"$(node_key evil)" >evil.json &&
	T=$(tree_with ti refs/civic/roster "members/$EVIL.json" "$(blob ti <evil.json)") &&
	N=$(( $(git_in ti rev-list --count refs/civic/roster) + 1 )) &&
	roster_msg msg "add Злонамерен (rila, civic-center)" $N &&
	R=$(a_commit ti "$T" msg -p "$(git_in ti rev-parse refs/civic/roster)") &&
	printf "%s@civic namespaces=\"git\" %s\n" "$(hex_of a)" "$(cat akey.pub)" >as-a &&
	git_in ti -c gpg.ssh.allowedSignersFile="$TEST_DIR/as-a" verify-commit "$R" &&
	git_in ti update-ref refs/civic/roster "$R" &&
	git_in ti fsck --strict --full &&
	audit_fails ti "admin" &&
	{ civic --home ti audit --json >ti.json || test $? = 1; } &&
	python3 - ti.json <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d["roster_ok"] is False and d["sound"] is False, d
	EOF
'

test_expect_success '(e) a forged roster vouches for no one' '
	test_refused 1 ti network show &&
	test_refused 1 ti member add --name X --municipality rila --role ngo --key "$(node_key x)"
'

test_expect_success '(e) an unsigned roster commit is refused' '
	fresh tj &&
	T=$(tree_with tj refs/civic/roster "members/$EVIL.json" "$(blob tj <evil.json)") &&
	roster_msg msg "add Злонамерен" $N &&
	R=$(GIT_AUTHOR_NAME="Граждански център" GIT_AUTHOR_EMAIL="$(hex_of cc)@civic" \
		GIT_COMMITTER_NAME="Граждански център" GIT_COMMITTER_EMAIL="$(hex_of cc)@civic" \
		git --git-dir tj/archive.git commit-tree "$T" -p "$(git_in tj rev-parse refs/civic/roster)" -F msg) &&
	git_in tj update-ref refs/civic/roster "$R" &&
	audit_fails tj "roster"
'

test_expect_success '(e) the admin itself may not remove a member from the roster' '
	fresh tk &&
	T=$(tree_without tk refs/civic/roster "members/$(hex_of a).json") &&
	roster_msg msg "remove НПО Рила" $N &&
	R=$(signed_commit tk "$TEST_DIR/cckey" "Граждански център" "$(hex_of cc)@civic" "$T" msg \
		-p "$(git_in tk rev-parse refs/civic/roster)") &&
	git_in tk -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$R" &&
	git_in tk update-ref refs/civic/roster "$R" &&
	audit_fails tk "roster"
'

test_expect_success '(e) a roster commit signed with stock git by the admin, by the rules, is accepted' '
	fresh tl &&
	T=$(tree_with tl refs/civic/roster "members/$EVIL.json" "$(blob tl <evil.json)") &&
	roster_msg msg "add Злонамерен (rila, civic-center)" $N &&
	R=$(signed_commit tl "$TEST_DIR/cckey" "Граждански център" "$(hex_of cc)@civic" "$T" msg \
		-p "$(git_in tl rev-parse refs/civic/roster)") &&
	git_in tl update-ref refs/civic/roster "$R" &&
	civic --home tl audit >out &&
	grep -q "^members: 3 " out &&
	civic --home tl network show | grep -q "Злонамерен"
'

test_expect_success '(e) a roster whose root is not the network id is refused' '
	fresh tm &&
	git_in tm fetch -q "$(abs other)/archive.git" "+refs/civic/roster:refs/civic/roster" &&
	audit_fails tm "$(cat cc.net)"
'

# --- (f) commits stock git calls well signed, that break civic's rules -------

# The record 4 that member a could sign with stock git.
test_expect_success '(f) a fourth record made with stock git by the rules is valid' '
	fresh tn &&
	B=$(record_json "Четвърти" | blob tn) &&
	T=$(tree_with tn "$(cat a3)" $R4 $B) &&
	feed_msg msg "document: Четвърти" "$(cat cc.net)" 4 &&
	C=$(a_commit tn "$T" msg -p "$(cat a3)") &&
	git_in tn update-ref "$FEED" "$C" &&
	civic --home tn audit >out &&
	grep -q "records: 4 valid" out &&
	civic --home tn show "$C" | grep -q "^title  *Четвърти$"
'

# forge_a4 NAME TREE MSGFILE [-p PARENT]...: on a fresh copy NAME, a commit
# by member a placed on a's feed.
forge_a4() {
	_n=$1 _t=$2 _m=$3
	shift 3
	C=$(a_commit "$_n" "$_t" "$_m" "$@") &&
	git_in "$_n" -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$C" &&
	git_in "$_n" update-ref "$FEED" "$C"
}

test_expect_success '(f) a record with a skipped sequence number is bad' '
	fresh to &&
	B=$(record_json "Четвърти" | blob to) &&
	T=$(tree_with to "$(cat a3)" records/00/00/00/00000005.json $B) &&
	feed_msg msg "document: Пети" "$(cat cc.net)" 5 &&
	forge_a4 to "$T" msg -p "$(cat a3)" &&
	audit_fails to "$FEED" "$C"
'

test_expect_success '(f) a record at the right path but a repeated sequence number is bad' '
	fresh tp &&
	B=$(record_json "Четвърти" | blob tp) &&
	T=$(tree_with tp "$(cat a3)" $R4 $B) &&
	feed_msg msg "document: Четвърти" "$(cat cc.net)" 3 &&
	forge_a4 tp "$T" msg -p "$(cat a3)" &&
	audit_fails tp "$FEED"
'

test_expect_success '(f) a commit that changes an earlier record is bad' '
	fresh tq &&
	B=$(record_json "Поправен тайно" | blob tq) &&
	T1=$(tree_with tq "$(cat a3)" $R1 $B) &&
	B4=$(record_json "Четвърти" | blob tq) &&
	T=$(tree_with tq "$T1" $R4 $B4) &&
	feed_msg msg "document: Четвърти" "$(cat cc.net)" 4 &&
	forge_a4 tq "$T" msg -p "$(cat a3)" &&
	audit_fails tq "$FEED" "immutable"
'

test_expect_success '(f) a commit that removes an earlier record is bad' '
	fresh tr &&
	T1=$(tree_without tr "$(cat a3)" $R2) &&
	B4=$(record_json "Четвърти" | blob tr) &&
	T=$(tree_with tr "$T1" $R4 $B4) &&
	feed_msg msg "document: Четвърти" "$(cat cc.net)" 4 &&
	forge_a4 tr "$T" msg -p "$(cat a3)" &&
	audit_fails tr "$FEED"
'

test_expect_success '(f) a commit that adds a stray file besides its record is bad' '
	fresh ts &&
	B4=$(record_json "Четвърти" | blob ts) &&
	T1=$(tree_with ts "$(cat a3)" $R4 $B4) &&
	T=$(tree_with ts "$T1" README "$(printf "hi\n" | blob ts)") &&
	feed_msg msg "document: Четвърти" "$(cat cc.net)" 4 &&
	forge_a4 ts "$T" msg -p "$(cat a3)" &&
	audit_fails ts "$FEED"
'

test_expect_success '(f) a commit that names another network is bad' '
	fresh tt &&
	B=$(record_json "Четвърти" | blob tt) &&
	T=$(tree_with tt "$(cat a3)" $R4 $B) &&
	feed_msg msg "document: Четвърти" 0123456789abcdef0123456789abcdef01234567 4 &&
	forge_a4 tt "$T" msg -p "$(cat a3)" &&
	audit_fails tt "$FEED" "network"
'

test_expect_success '(f) a commit without the trailers is bad' '
	fresh tu &&
	B=$(record_json "Четвърти" | blob tu) &&
	T=$(tree_with tu "$(cat a3)" $R4 $B) &&
	printf "document: Четвърти\n" >msg &&
	forge_a4 tu "$T" msg -p "$(cat a3)" &&
	audit_fails tu "$FEED"
'

test_expect_success '(f) a record the schema refuses is bad' '
	fresh tv &&
	B=$(printf "{\"kind\": \"document\", \"title\": \"Т\", \"visibility\": \"public\", \"date\": \"2015-02-30\", \"document_type\": \"report\"}\n" | blob tv) &&
	T=$(tree_with tv "$(cat a3)" $R4 $B) &&
	feed_msg msg "document: Т" "$(cat cc.net)" 4 &&
	forge_a4 tv "$T" msg -p "$(cat a3)" &&
	audit_fails tv "$FEED" "date"
'

test_expect_success '(f) a record that is not valid JSON is bad' '
	fresh tw &&
	B=$(printf "{\"kind\": \"document\", \"title\": \"Т\", \"title\": \"У\"}\n" | blob tw) &&
	T=$(tree_with tw "$(cat a3)" $R4 $B) &&
	feed_msg msg "document: Т" "$(cat cc.net)" 4 &&
	forge_a4 tw "$T" msg -p "$(cat a3)" &&
	audit_fails tw "$FEED"
'

test_expect_success '(f) a merge commit on a feed is bad' '
	fresh tx &&
	B=$(record_json "Четвърти" | blob tx) &&
	T=$(tree_with tx "$(cat a3)" $R4 $B) &&
	feed_msg msg "document: Четвърти" "$(cat cc.net)" 4 &&
	forge_a4 tx "$T" msg -p "$(cat a3)" -p "$(cat a2)" &&
	audit_fails tx "$FEED"
'

test_expect_success '(f) a commit whose email is not its signer'"'"'s is bad' '
	fresh ty &&
	B=$(record_json "Четвърти" | blob ty) &&
	T=$(tree_with ty "$(cat a3)" $R4 $B) &&
	feed_msg msg "document: Четвърти" "$(cat cc.net)" 4 &&
	C=$(signed_commit ty "$TEST_DIR/akey" "НПО Рила" "npo@example.org" "$T" msg -p "$(cat a3)") &&
	git_in ty update-ref "$FEED" "$C" &&
	audit_fails ty "$FEED"
'

test_expect_success '(f) a first commit that has a parent is bad' '
	fresh tz &&
	B=$(record_json "Първи" | blob tz) &&
	T=$(tree_with tz "" $R1 $B) &&
	feed_msg msg "document: Първи" "$(cat cc.net)" 1 &&
	forge_a4 tz "$T" msg -p "$(cat cc.net)" &&
	audit_fails tz "$FEED"
'

# --- (g) feeds under the wrong name --------------------------------------------

test_expect_success '(g) a member'"'"'s commits placed under another key'"'"'s feed ref are bad' '
	fresh g1 &&
	git_in g1 update-ref "refs/civic/feeds/$(hex_of cc)" "$(cat a3)" &&
	audit_fails g1 "refs/civic/feeds/$(hex_of cc)"
'

test_expect_success '(g) a ref under refs/civic/feeds/ that names no key is bad' '
	fresh g2 &&
	git_in g2 update-ref refs/civic/feeds/not-a-key "$(cat a3)" &&
	audit_fails g2 "refs/civic/feeds/not-a-key"
'

test_expect_success '(g) a feed ref that points at a blob is bad' '
	fresh g3 &&
	git_in g3 update-ref "$FEED" "$(git_in g3 rev-parse "$(cat a3):$R3")" &&
	audit_fails g3 "$FEED"
'

# (h) Twins: the same signed commit given a second id. civic must agree with
# stock git that the signature no longer covers the commit's bytes.
test_expect_success '(h) a signed commit with bytes appended after a NUL is bad, for git too' '
	fresh h1 &&
	{ git_in h1 cat-file commit "$(cat a3)" && printf "\000unsigned tail"; } >raw &&
	N=$(git_in h1 hash-object --literally -t commit -w raw) &&
	git_in h1 update-ref "$FEED" "$N" &&
	audit_fails h1 "$FEED" &&
	grep -q "not what was signed" audit.out &&
	civic --home pristine allowed-signers >as2 &&
	test_must_fail git_in h1 -c gpg.ssh.allowedSignersFile="$TEST_DIR/as2" verify-commit "$N"
'

test_expect_success '(h) a signature header moved into the message is bad' '
	fresh h2 &&
	git_in h2 cat-file commit "$(cat a3)" >orig &&
	sed -n "/^gpgsig /,/^ -----END SSH SIGNATURE-----/p" orig >sig &&
	sed "/^gpgsig /,/^ -----END SSH SIGNATURE-----/d" orig >rest &&
	{ sed -n "1,/^\$/p" rest && cat sig && sed "1,/^\$/d" rest; } >raw &&
	N=$(git_in h2 hash-object --literally -t commit -w raw) &&
	git_in h2 update-ref "$FEED" "$N" &&
	audit_fails h2 "$FEED"
'

test_expect_success '(h) a record blob that inflates past the cap is refused unread' '
	fresh h3 &&
	B=$(head -c 5000000 /dev/zero | blob h3) &&
	T=$(tree_with h3 "$(cat a3)" $R4 $B) &&
	feed_msg msg "document: Четвърти" "$(cat cc.net)" 4 &&
	forge_a4 h3 "$T" msg -p "$(cat a3)" &&
	audit_fails h3 "$FEED" &&
	grep -q "too large" audit.out
'

test_expect_success 'the pristine copy is still sound' '
	civic --home pristine audit >out &&
	git_in pristine fsck --strict --full
'

test_done
