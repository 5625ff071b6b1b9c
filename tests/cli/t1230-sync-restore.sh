#!/bin/sh
# A node that lost its disk or was restored from an old backup recovers its
# own feed from peers before it writes (civic init --restore), and a node
# that a peer was seen ahead of refuses to write before it syncs.
. "$(dirname "$0")/test-lib.sh"


test_expect_success 'setup: a member whose key is an OpenSSH key, with records at the center' '
	new_network cc &&
	ssh-keygen -q -t ed25519 -N "" -C laptop -f laptop.key &&
	civic --home a init --name "НПО Рила" --municipality rila --no-passphrase \
		--import-key laptop.key >/dev/null &&
	civic --home cc member add --name "НПО Рила" --municipality rila --role ngo \
		--key "$(cat laptop.key.pub)" >/dev/null &&
	civic --home a network join "$(cat cc.net)" >/dev/null &&
	civic --home a peer add center "$(abs cc)/archive.git" &&
	civic --home a sync center >/dev/null &&
	add_doc a "Протокол 1" >/dev/null && add_doc a "Протокол 2" >/dev/null &&
	civic --home cc sync "$(abs a)/archive.git" >/dev/null
'

test_expect_success 'init --restore: a new disk takes the roster and its own feed back' '
	rm -rf a &&
	civic --home a init --name "НПО Рила" --municipality rila --no-passphrase \
		--import-key laptop.key --restore "$(abs cc)/archive.git" --network "$(cat cc.net)" >out &&
	cat out &&
	grep -q "^restored from .*cc/archive.git: the roster, 2 records in 1 feeds; this node.s own feed holds 2 records$" out &&
	test "$(archive_refs a)" = "$(archive_refs cc)" &&
	civic --home a audit | tail -n 1 | grep -q "^audit: sound$"
'

test_expect_success 'the restored node goes on where it was: the next record is number 3' '
	civic --home a peer add center "$(abs cc)/archive.git" &&
	add_doc a "Протокол 3" >id &&
	git_in a cat-file commit "$(cat id)" | grep -q "^Civic-Seq: 3$" &&
	civic --home cc sync "$(abs a)/archive.git" >out &&
	grep -q "^  accepted     НПО Рила (Рила): 1 new records$" out
'

test_expect_success 'init --restore: the options it needs' '
	test_expect_code 129 civic --home r1 init --name X --municipality rila --no-passphrase \
		--restore /x 2>err && grep -q "go together" err &&
	test_expect_code 129 civic --home r1 init --name X --municipality rila --no-passphrase \
		--restore /x --network "$(cat cc.net)" 2>err && grep -q "import-key" err &&
	test_expect_code 129 civic --home r1 init --name X --municipality rila --no-passphrase \
		--import-key laptop.key --restore /x --network 1234 2>err &&
	grep -q "is not a network id" err &&
	test_expect_code 129 civic --home r1 init --name X --municipality rila --no-passphrase \
		--import-key laptop.key --restore nonsense --network "$(cat cc.net)" 2>err &&
	test ! -e r1
'

test_expect_success 'init --restore from a peer that cannot be reached: the node is there, and says how to go on' '
	test_expect_code 128 civic --home r2 init --name "НПО Рила" --municipality rila --no-passphrase \
		--import-key laptop.key --restore "$(abs nowhere)/archive.git" --network "$(cat cc.net)" \
		>out 2>err &&
	grep -q "not restored yet: run .civic sync " err &&
	test -f r2/config &&
	civic --home r2 sync "$(abs cc)/archive.git" >/dev/null &&
	test "$(archive_refs r2)" = "$(archive_refs cc)"
'

test_expect_success 'a home restored from an old backup: add refuses while a peer was seen ahead' '
	cp -a a old &&
	add_doc a "Протокол 4" >/dev/null &&
	civic --home cc sync "$(abs a)/archive.git" >/dev/null &&
	civic --home old sync --no-push center >/dev/null &&
	git_in old update-ref "$(node_feed old)" "$(git_in old rev-parse "$(node_feed old)~1")" &&
	test_refused 1 old add document --field title="Раздвоение" --field visibility=public \
		--field date=2015-01-30 --field document_type=report &&
	err_has "peer '\''center'\'' was seen holding newer records" &&
	err_has "run '\''civic sync center'\'' first"
'

test_expect_success 'after the sync the restored home writes again, with no fork' '
	civic --home old sync center >/dev/null &&
	add_doc old "Протокол 5" >id &&
	git_in old cat-file commit "$(cat id)" | grep -q "^Civic-Seq: 5$" &&
	civic --home cc sync "$(abs old)/archive.git" >out &&
	grep -q "^  accepted  " out &&
	test -z "$(git_in cc for-each-ref refs/civic/forks)"
'

test_expect_success 'an admin behind a peer does not sign a second roster' '
	cp -a cc cc-old &&
	new_node late "НПО Късно" dupnitsa &&
	civic --home cc member add --name "НПО Късно" --municipality dupnitsa --role ngo \
		--key "$(node_key late)" >/dev/null &&
	civic --home cc-old peer add main "$(abs cc)/archive.git" &&
	civic --home cc-old sync --no-push main >/dev/null &&
	git_in cc-old update-ref refs/civic/roster "$(git_in cc-old rev-parse refs/civic/roster~1)" &&
	new_node other "НПО Друго" rila &&
	test_refused 1 cc-old member add --name "НПО Друго" --municipality rila --role ngo \
		--key "$(node_key other)" &&
	err_has "was seen holding newer records of '\''refs/civic/roster'\''"
'

test_done
