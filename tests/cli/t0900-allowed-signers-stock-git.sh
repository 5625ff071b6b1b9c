#!/bin/sh
# Verifying without civic: with the file `civic allowed-signers` prints,
# stock git (verify-commit, log --show-signature, fsck) and ssh-keygen -Y
# verify check every record and roster commit.
. "$(dirname "$0")/test-lib.sh"

hex_of() { node_feed "$1" | sed "s|refs/civic/feeds/||"; }

# sg HOME ARGS...: stock git with the allowed signers file.
sg() {
	_h=$1
	shift
	git --git-dir "$_h/archive.git" -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" "$@"
}

test_expect_success 'setup: a network of three with records, gathered at the center' '
	new_network cc &&
	join_network cc a "НПО Рила" rila &&
	join_network cc b "НПО Дупница" dupnitsa &&
	add_doc a "А1" >/dev/null && add_doc a "А2" >/dev/null &&
	printf "jpg" >p.jpg &&
	civic --home b add photo --field title="Снимка" --field visibility=public \
		--field date=2015-02-27 --attach p.jpg >/dev/null &&
	add_doc cc "Ц1" >/dev/null &&
	fetch_feed a cc a && fetch_feed b cc b &&
	civic --home cc member revoke "$(node_fp b)" >/dev/null
'

test_expect_success 'allowed-signers prints one line per member, namespace git' '
	civic --home cc allowed-signers >as &&
	grep -v "^#" as >lines &&
	test "$(wc -l <lines)" = 3 &&
	for n in cc a b; do
		grep -q -x -F "$(hex_of $n)@civic namespaces=\"git\" $(node_key $n)" lines || echo "missing $n"
	done >missing &&
	test ! -s missing &&
	grep -q "^# .*$(cat cc.net)" as &&
	grep -q "^# НПО Дупница (dupnitsa, ngo), revoked$" as
'

test_expect_success 'a member node prints the same file' '
	fetch_roster cc a &&
	civic --home a allowed-signers >as-a &&
	cmp as as-a
'

test_expect_success 'git verify-commit accepts every record and roster commit' '
	git_in cc rev-list --glob="refs/civic/*" >all &&
	test "$(wc -l <all)" = 8 &&
	while read c; do
		sg cc verify-commit "$c" 2>/dev/null || echo "$c"
	done <all >failed &&
	test ! -s failed
'

test_expect_success 'git log --show-signature: a good "git" signature on every commit' '
	for ref in $(git_in cc for-each-ref --format="%(refname)" refs/civic/); do
		n=$(git_in cc rev-list --count "$ref") &&
		sg cc log --show-signature --format=%H "$ref" >log 2>&1 &&
		good=$(grep -c "^Good \"git\" signature for [0-9a-f]\{64\}@civic with ED25519 key SHA256:" log) &&
		test "$good" = "$n" || echo "$ref: $good of $n"
	done >bad &&
	test ! -s bad
'

test_expect_success 'the signing principal of each feed is its key'"'"'s' '
	sg cc log --show-signature -1 "$(node_feed a)" 2>&1 | grep -q "Good \"git\" signature for $(hex_of a)@civic with ED25519 key $(node_fp a)"
'

test_expect_success 'ssh-keygen -Y verify checks a record commit without git' '
	C=$(git_in cc rev-parse "$(node_feed a)") &&
	git_in cc cat-file commit "$C" >commit &&
	awk "/^gpgsig /{s=1; sub(/^gpgsig /, \"\"); print; next} s && /^ /{sub(/^ /, \"\"); print; next} {s=0}" commit >sig &&
	awk "/^gpgsig /{s=1; next} s && /^ /{next} {s=0; print}" commit >payload &&
	head -n 1 sig | grep -q "^-----BEGIN SSH SIGNATURE-----$" &&
	tail -n 1 sig | grep -q "^-----END SSH SIGNATURE-----$" &&
	ssh-keygen -Y verify -f as -I "$(hex_of a)@civic" -n git -s sig <payload &&
	test "$(ssh-keygen -Y find-principals -f as -s sig)" = "$(hex_of a)@civic"
'

test_expect_success 'ssh-keygen -Y verify refuses the signature for another namespace or signer' '
	! ssh-keygen -Y verify -f as -I "$(hex_of a)@civic" -n civic-bundle -s sig <payload &&
	! ssh-keygen -Y verify -f as -I "$(hex_of b)@civic" -n git -s sig <payload
'

test_expect_success 'git fsck --strict --full is clean on a healthy archive' '
	git_in cc fsck --strict --full 2>err &&
	! grep -v "^notice: HEAD points to an unborn branch" err | grep -q .
'

test_expect_success 'a stock git mirror clone verifies the same' '
	git clone -q --mirror "$(abs cc)/archive.git" mirror.git &&
	git --git-dir mirror.git rev-list --glob="refs/civic/*" >mirror-all &&
	cmp all mirror-all &&
	while read c; do
		git --git-dir mirror.git -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$c" 2>/dev/null ||
		echo "$c"
	done <mirror-all >failed &&
	test ! -s failed &&
	git --git-dir mirror.git fsck --strict --full
'

test_expect_success 'a record commit altered by a third party fails verify-commit' '
	C=$(git_in cc rev-parse "$(node_feed a)") &&
	git_in cc cat-file commit "$C" | sed "s/^document: А2$/document: А3/" >altered &&
	! cmp -s commit altered &&
	X=$(git_in cc hash-object -t commit -w --stdin <altered) &&
	test_must_fail sg cc verify-commit "$X"
'

test_expect_success 'a commit whose tree was swapped fails verify-commit' '
	T=$(git_in cc rev-parse "$C^^{tree}") &&
	git_in cc cat-file commit "$C" | sed "1s/^tree .*/tree $T/" >swapped &&
	X=$(git_in cc hash-object -t commit -w --stdin <swapped) &&
	test_must_fail sg cc verify-commit "$X"
'

test_expect_success 'a commit signed by a key not in the file is not verified as good' '
	ssh-keygen -q -t ed25519 -N "" -f stranger &&
	X=$(GIT_AUTHOR_NAME=X GIT_AUTHOR_EMAIL=x@civic GIT_COMMITTER_NAME=X GIT_COMMITTER_EMAIL=x@civic \
		git_in cc -c gpg.format=ssh -c user.signingkey="$TEST_DIR/stranger" \
		commit-tree -S "$T" -m stranger) &&
	sg cc log --show-signature -1 "$X" >log 2>&1 &&
	! grep -q "^Good \"git\" signature for" log
'

test_expect_success 'an unsigned commit fails verify-commit' '
	X=$(GIT_AUTHOR_NAME=X GIT_AUTHOR_EMAIL=x@civic GIT_COMMITTER_NAME=X GIT_COMMITTER_EMAIL=x@civic \
		git_in cc commit-tree "$T" -m unsigned) &&
	test_must_fail sg cc verify-commit "$X"
'

test_expect_success 'allowed-signers on a node without roster fails with one line' '
	new_node p "НПО" rila &&
	civic --home p network join "$(cat cc.net)" >/dev/null &&
	test_refused 1 p allowed-signers
'

test_expect_success 'allowed-signers with an argument is a usage error' '
	test_expect_code 129 civic --home cc allowed-signers extra 2>err &&
	test_expect_code 129 civic --home cc allowed-signers --frobnicate 2>err
'

test_done
