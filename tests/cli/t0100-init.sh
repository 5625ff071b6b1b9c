#!/bin/sh
# civic init: the node home, its key (imported, encrypted or not), and what
# init refuses.
. "$(dirname "$0")/test-lib.sh"

# init_refused CODE HOME ARGS...: init must exit CODE with one error line,
# and leave no node home behind.
init_refused() {
	_code=$1 _home=$2
	shift 2
	test_expect_code "$_code" civic --home "$_home" init "$@" >out 2>"$TEST_DIR/err" &&
	test_one_error_line &&
	test ! -s out &&
	test ! -e "$_home"
}

test_expect_success 'init --home creates the node home' '
	civic --home n1 init --name "НПО Едно" --municipality rila --no-passphrase >out &&
	grep -q "^node created in n1$" out &&
	grep -q "^key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" out &&
	grep -q "^fingerprint: SHA256:" out &&
	test -f n1/config &&
	test -d n1/keys &&
	test -f n1/keys/secret_key &&
	test "$(git --git-dir n1/archive.git rev-parse --is-bare-repository)" = true &&
	git --git-dir n1/archive.git fsck --strict --full
'

test_expect_success 'init prints the same key and fingerprint as civic id' '
	test "$(sed -n "s/^key: //p" out)" = "$(node_key n1)" &&
	test "$(sed -n "s/^fingerprint: //p" out)" = "$(node_fp n1)"
'

test_expect_success 'the home is $CIVIC_HOME when --home is not given' '
	CIVIC_HOME="$TEST_DIR/envhome" civic init --name "НПО Две" --municipality rila \
		--no-passphrase >out &&
	test -f envhome/config &&
	test "$(CIVIC_HOME="$TEST_DIR/envhome" civic id | sed -n 1p)" = "$(node_key envhome)"
'

test_expect_success 'the home is $XDG_DATA_HOME/civic without --home and $CIVIC_HOME' '
	mkdir xdg &&
	XDG_DATA_HOME="$TEST_DIR/xdg" civic init --name "НПО Три" --municipality rila \
		--no-passphrase >out &&
	test -f xdg/civic/config &&
	test "$(XDG_DATA_HOME="$TEST_DIR/xdg" civic id | sed -n 1p)" = "$(node_key xdg/civic)"
'

test_expect_success 'the home is ~/.local/share/civic without any of them' '
	mkdir -p .local/share &&
	civic init --name "НПО Четири" --municipality rila --no-passphrase >out &&
	test -f .local/share/civic/config &&
	test "$(civic id | sed -n 1p)" = "$(node_key .local/share/civic)" &&
	rm -rf .local
'

# A fresh account may have no ~/.local/share yet, and $XDG_DATA_HOME may
# name a directory that does not exist yet (XDG Base Directory spec: "it
# should be created"): the default home must be created with its parents.
test_expect_success 'init creates the missing parents of the default home ($XDG_DATA_HOME)' '
	XDG_DATA_HOME="$TEST_DIR/fresh-xdg/share" civic init --name "НПО Пет" \
		--municipality rila --no-passphrase >out &&
	test -f fresh-xdg/share/civic/config
'

test_expect_success 'init creates the missing parents of the default home (~/.local/share)' '
	test ! -e .local &&
	civic init --name "НПО Шест" --municipality rila --no-passphrase >out &&
	test -f .local/share/civic/config
'

test_expect_success '--home wins over $CIVIC_HOME, which wins over $XDG_DATA_HOME' '
	test "$(CIVIC_HOME="$TEST_DIR/envhome" XDG_DATA_HOME="$TEST_DIR/xdg" \
		civic --home n1 id | sed -n 1p)" = "$(node_key n1)" &&
	test "$(CIVIC_HOME="$TEST_DIR/envhome" XDG_DATA_HOME="$TEST_DIR/xdg" \
		civic id | sed -n 1p)" = "$(node_key envhome)"
'

test_expect_success 'commands on a home without a node fail with one line' '
	test_expect_code 1 civic --home nowhere id 2>err &&
	test_one_error_line &&
	grep -q "civic init" err &&
	test ! -e nowhere
'

test_expect_success 'Cyrillic municipality names are accepted and stored as slugs' '
	new_node c1 "НПО Кюстендил" Кюстендил &&
	new_node c2 "НПО Рила" РИЛА &&
	new_node c3 "НПО Сапарева баня" "сапарева баня" &&
	civic --home c1 id --json >c1.json &&
	civic --home c2 id --json >c2.json &&
	civic --home c3 id --json >c3.json &&
	grep -q "\"municipality\": \"kyustendil\"" c1.json &&
	grep -q "\"municipality\": \"rila\"" c2.json &&
	grep -q "\"municipality\": \"sapareva-banya\"" c3.json &&
	grep -q "\"municipality\": \"sapareva-banya\"" c3/config
'

test_expect_success 'an unknown municipality is refused (129)' '
	init_refused 129 bad1 --name X --municipality sofia --no-passphrase &&
	grep -q "sofia" err &&
	init_refused 129 bad1 --name X --municipality София --no-passphrase
'

test_expect_success 'an unknown role is refused (129)' '
	init_refused 129 bad2 --name X --municipality rila --role mayor --no-passphrase &&
	grep -q "mayor" err
'

test_expect_success 'init without --name or --municipality is a usage error' '
	test_expect_code 129 civic --home bad3 init --municipality rila --no-passphrase 2>err &&
	test_expect_code 129 civic --home bad3 init --name X --no-passphrase 2>err &&
	test ! -e bad3
'

test_expect_success '--no-passphrase and --passphrase-file together are refused' '
	echo secret >pass &&
	init_refused 129 bad4 --name X --municipality rila --no-passphrase --passphrase-file pass
'

test_expect_success 'an organization name that is not valid UTF-8 is refused' '
	init_refused 1 bad5 --name "$(printf "X\377")" --municipality rila --no-passphrase
'

test_expect_success 'a second init in the same home is refused, the node unchanged' '
	cp n1/keys/secret_key key.before &&
	cp n1/config config.before &&
	test_refused 1 n1 init --name "Друго" --municipality rila --no-passphrase &&
	err_has "exists already" &&
	cmp key.before n1/keys/secret_key &&
	cmp config.before n1/config
'

test_expect_success 'a second init is refused with another name and role too' '
	test_refused 1 n1 init --name "Център" --municipality kyustendil --role civic-center \
		--no-passphrase
'

test_expect_success 'init refuses a home that holds an unfinished node' '
	mkdir -p half &&
	git init -q --bare half/archive.git &&
	test_expect_code 1 civic --home half init --name X --municipality rila --no-passphrase 2>err &&
	test_one_error_line &&
	test ! -e half/config
'

test_expect_success 'the key file is 0600, the keys directory and home 0700' '
	test "$(stat -c %a n1/keys/secret_key)" = 600 &&
	test "$(stat -c %a n1/keys)" = 700 &&
	test "$(stat -c %a n1)" = 700 &&
	test "$(stat -c %a n1/config)" = 600
'

test_expect_success 'a key file that others can read is refused' '
	new_network cc &&
	join_network cc loose "НПО" rila &&
	chmod 644 loose/keys/secret_key &&
	test_refused 1 loose add document --field title=T --field visibility=public \
		--field date=2015-01-30 --field document_type=report &&
	err_has "chmod 600"
'

# The unencrypted key file holds the seed in base64 under "seed".
seed_b64() { sed -n "s/^ *\"seed\": \"\\(.*\\)\",*$/\\1/p" "$1/keys/secret_key"; }

test_expect_success 'the secret key never enters the repository' '
	add_doc cc "Документ" >id &&
	S=$(seed_b64 cc) &&
	test -n "$S" &&
	git_in cc cat-file --batch-all-objects --batch >objects &&
	test -s objects &&
	! grep -q -F -e "$S" objects &&
	! grep -r -q -F -e "$S" cc/archive.git &&
	printf "%s" "$S" | base64 -d >seed.bin &&
	test "$(wc -c <seed.bin)" = 32 &&
	python3 -c "import sys; d=open(\"objects\",\"rb\").read(); s=open(\"seed.bin\",\"rb\").read(); sys.exit(s in d)" &&
	! git_in cc ls-tree -r --name-only refs/civic/roster | grep -q key &&
	! git_in cc ls-tree -r --name-only "$(node_feed cc)" | grep -q key
'

test_expect_success 'the secret key never appears in any output' '
	S=$(seed_b64 cc) &&
	{
		civic --home cc id &&
		civic --home cc id --json &&
		civic --home cc network show &&
		civic --home cc network show --json &&
		civic --home cc allowed-signers &&
		civic --home cc list --json &&
		civic --home cc show --json "$(cat id)" &&
		civic --home cc audit --json &&
		cat cc/config
	} >all-output 2>&1 &&
	! grep -q -F -e "$S" all-output
'

test_expect_success 'an unencrypted ssh-keygen ed25519 key can be imported' '
	ssh-keygen -q -t ed25519 -N "" -C "НПО" -f sshkey &&
	civic --home imp init --name "НПО Внос" --municipality rila --no-passphrase \
		--import-key sshkey >out &&
	test "$(sed -n "s/^key: //p" out)" = "$(cut -d" " -f1,2 sshkey.pub)" &&
	test "$(node_key imp)" = "$(cut -d" " -f1,2 sshkey.pub)" &&
	test "$(node_fp imp)" = "$(ssh-keygen -lf sshkey.pub | cut -d" " -f2)"
'

test_expect_success 'the imported key signs: stock ssh-keygen verifies a record' '
	civic --home imp network join 0123456789abcdef0123456789abcdef01234567 >/dev/null &&
	add_doc imp "Внесен ключ" >id &&
	printf "x@civic %s\n" "$(cat sshkey.pub)" >as &&
	git_in imp -c gpg.ssh.allowedSignersFile="$TEST_DIR/as" verify-commit "$(cat id)" 2>out ||
	{ cat out; false; }
'

test_expect_success 'the imported secret key is not in the repository' '
	B=$(sed -n 2p sshkey | cut -c 20-60) &&
	git_in imp cat-file --batch-all-objects --batch >objects &&
	! grep -q -F -e "$B" objects
'

test_expect_success 'importing an encrypted OpenSSH key is refused' '
	ssh-keygen -q -t ed25519 -N "pass phrase" -f enckey &&
	init_refused 1 enc --name X --municipality rila --no-passphrase --import-key enckey &&
	grep -q "encrypted" err
'

test_expect_success 'importing an RSA key is refused' '
	ssh-keygen -q -t rsa -b 1024 -N "" -f rsakey 2>/dev/null ||
	ssh-keygen -q -t rsa -N "" -f rsakey &&
	init_refused 1 rsa --name X --municipality rila --no-passphrase --import-key rsakey &&
	grep -q "ed25519" err
'

test_expect_success 'importing an ECDSA key is refused' '
	ssh-keygen -q -t ecdsa -N "" -f ecdsakey &&
	init_refused 1 ecdsa --name X --municipality rila --no-passphrase --import-key ecdsakey
'

test_expect_success 'importing a public key file is refused' '
	init_refused 1 pub --name X --municipality rila --no-passphrase --import-key sshkey.pub
'

test_expect_success 'importing a missing key file is refused' '
	init_refused 1 miss --name X --municipality rila --no-passphrase --import-key nonexistent
'

test_expect_success 'importing a damaged OpenSSH key is refused' '
	sed "3s/^..../QUJD/" sshkey >badkey &&
	! cmp -s sshkey badkey &&
	init_refused 1 dmg --name X --municipality rila --no-passphrase --import-key badkey
'

test_expect_success 'with --passphrase-file the key file is encrypted' '
	printf "верен ключ\n" >pass &&
	printf "грешен ключ\n" >wrong &&
	civic --home enc init --name "НПО Парола" --municipality rila --passphrase-file pass >out &&
	grep -q "\"kdf\": \"argon2id13\"" enc/keys/secret_key &&
	grep -q "\"sealed\"" enc/keys/secret_key &&
	! grep -q "\"seed\"" enc/keys/secret_key &&
	test "$(stat -c %a enc/keys/secret_key)" = 600 &&
	civic --home cc member add --name "НПО Парола" --municipality rila --role ngo \
		--key "$(node_key enc)" >/dev/null &&
	fetch_roster cc enc &&
	civic --home enc network join "$(cat cc.net)" >/dev/null
'

test_expect_success 'an empty passphrase is refused at init' '
	printf "\n" >empty &&
	init_refused 1 enc2 --name X --municipality rila --passphrase-file empty
'

test_expect_success 'a missing passphrase file is refused at init' '
	init_refused 1 enc3 --name X --municipality rila --passphrase-file nonexistent
'

test_expect_success 'init without a passphrase and without a terminal is refused' '
	test_expect_code 1 setsid -w "$CIVIC" --home enc4 init --name X --municipality rila \
		</dev/null >out 2>err &&
	test_one_error_line &&
	grep -q -e "--no-passphrase\|--passphrase-file\|CIVIC_PASSPHRASE_FILE" err &&
	test ! -e enc4/config
'

add_args="add document --field title=Т --field visibility=public --field date=2015-01-30 --field document_type=report"

test_expect_success 'add on an encrypted node needs the passphrase' '
	test_refused_cmd 1 enc setsid -w "$CIVIC" --home enc $add_args </dev/null &&
	err_has "passphrase"
'

test_expect_success 'a wrong --passphrase-file is refused, nothing changes' '
	test_refused 1 enc $add_args --passphrase-file wrong &&
	err_has "wrong passphrase"
'

test_expect_success 'a wrong $CIVIC_PASSPHRASE_FILE is refused, nothing changes' '
	test_refused_cmd 1 enc env CIVIC_PASSPHRASE_FILE="$TEST_DIR/wrong" \
		"$CIVIC" --home enc $add_args &&
	err_has "wrong passphrase"
'

test_expect_success 'a missing passphrase file is refused at add, nothing changes' '
	test_refused 1 enc $add_args --passphrase-file nonexistent
'

test_expect_success 'the right passphrase from --passphrase-file signs' '
	civic --home enc $add_args --passphrase-file pass >id1 &&
	grep -q "^[0-9a-f]\{40\}$" id1
'

test_expect_success 'the right passphrase from $CIVIC_PASSPHRASE_FILE signs' '
	CIVIC_PASSPHRASE_FILE="$TEST_DIR/pass" civic --home enc $add_args >id2 &&
	grep -q "^[0-9a-f]\{40\}$" id2 &&
	test "$(record_count enc)" = 2
'

test_expect_success 'the passphrase never enters the repository or the key file' '
	git_in enc cat-file --batch-all-objects --batch >objects &&
	! grep -q -F "верен ключ" objects &&
	! grep -q -F "верен ключ" enc/keys/secret_key enc/config
'

test_done
