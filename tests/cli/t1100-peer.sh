#!/bin/sh
# civic peer add|list|remove: the peer list, its checks and --json.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a node' '
	new_node a "НПО Рила" rila
'

test_expect_success 'a new node has no peers' '
	civic --home a peer list >out &&
	test ! -s out &&
	civic --home a peer list --json >out.json &&
	test "$(cat out.json)" = "[]"
'

test_expect_success 'peer add: a path, git://, ssh:// and user@host:path' '
	civic --home a peer add center /srv/civic/archive.git &&
	civic --home a peer add relay git://127.0.0.1:9418/relay.git --relay &&
	civic --home a peer add cc ssh://civic@center.example/srv/archive.git --ssh-key /root/.ssh/id_ed25519 &&
	civic --home a peer add scp civic@center.example:archive.git &&
	civic --home a peer list >out &&
	grep -q "^center  *\/srv\/civic\/archive.git$" out &&
	grep -q "^relay  *git://127.0.0.1:9418/relay.git (relay)$" out &&
	test "$(grep -c "last sync: never" out)" = 4
'

test_expect_success 'peer list --json' '
	civic --home a peer list --json >out.json &&
	python3 - out.json <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert [p["name"] for p in d] == ["center", "relay", "cc", "scp"], d
	assert [p["relay"] for p in d] == [False, True, False, False], d
	assert all(p["last_sync"] == 0 and p["last_error"] == "" and p["refs_known"] == 0 for p in d), d
	EOF
'

test_expect_success 'the list is kept in peers.json, mode 0600' '
	test -f a/peers.json &&
	test "$(stat -c %a a/peers.json)" = 600 &&
	grep -q "\"ssh_key\": \"/root/.ssh/id_ed25519\"" a/peers.json
'

test_expect_success 'peer add refuses a name that is taken' '
	test_refused 1 a peer add center /elsewhere &&
	err_has "there is a peer named '\''center'\'' already"
'

test_expect_success 'peer add refuses bad names' '
	test_refused 1 a peer add "" /x &&
	test_refused 1 a peer add -- -dash /x &&
	test_refused 1 a peer add .dot /x &&
	test_refused 1 a peer add "два" /x &&
	test_refused 1 a peer add "a b" /x &&
	test_refused 1 a peer add "a/b" /x &&
	test_refused 1 a peer add "$(printf "%065d" 0)" /x &&
	err_has "is not a peer name"
'

test_expect_success 'peer add refuses bad URLs' '
	test_refused 1 a peer add p1 plainword &&
	test_refused 1 a peer add p2 "$(printf "git://host/\001x")" &&
	err_has "'\''git://host/?x'\'' is not a peer URL" &&
	test_refused 1 a peer add p3 " /leading/space" &&
	test_refused 1 a peer add p4 -- "-u/x" &&
	test_refused 1 a peer add p5 "/$(printf "%01100d" 0)" &&
	err_has "a peer URL longer than 1024 bytes"
'

test_expect_success 'peer add: usage errors' '
	test_expect_code 129 civic --home a peer add onlyname 2>err &&
	test_expect_code 129 civic --home a peer add a b c 2>err &&
	test_expect_code 129 civic --home a peer add --bogus n /x 2>err &&
	test_expect_code 129 civic --home a peer frobnicate 2>err &&
	civic --home a peer --help | grep -q "usage: civic peer add"
'

test_expect_success 'peer remove' '
	civic --home a peer remove scp &&
	civic --home a peer list >out &&
	! grep -q "^scp " out &&
	test "$(wc -l <out)" = 6
'

test_expect_success 'peer remove refuses a name it does not know' '
	test_refused 1 a peer remove nobody &&
	err_has "there is no peer named '\''nobody'\''"
'

test_expect_success 'a hostile peers.json is refused with one line' '
	cp a/peers.json peers.good &&
	printf "{\"format\": \"civic-peers-1\", \"peers\": [{\"name\": \"x\", \"url\": \"/x\"}, {\"name\": \"x\", \"url\": \"/y\"}]}" >a/peers.json &&
	test_refused 1 a peer list &&
	err_has "two peers have the same name" &&
	printf "{\"format\": \"civic-peers-1\", \"peers\": [{\"name\": \"-x\", \"url\": \"/x\"}]}" >a/peers.json &&
	test_refused 1 a peer list &&
	printf "{\"format\": \"civic-peers-1\", \"peers\": [{\"name\": \"x\", \"url\": \"/x\", \"known\": {\"refs/civic/roster\": \"zz\"}}]}" >a/peers.json &&
	test_refused 1 a peer list &&
	printf "not json" >a/peers.json &&
	test_refused 1 a peer list &&
	err_has "is not a valid peer list" &&
	cp peers.good a/peers.json &&
	civic --home a peer list >/dev/null
'

test_expect_success 'peer add waits for no one: a second writer is refused' '
	mkfifo hold &&
	( exec 9>a/lock; flock -x 9; cat hold >/dev/null ) &
	sleep 0.2 &&
	test_refused 1 a peer add later /x; rc=$?;
	echo >hold; wait; test $rc = 0 &&
	err_has "another civic process is writing"
'

test_done
