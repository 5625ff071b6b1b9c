#!/bin/sh
# civic id: the key line, its fingerprint and the feed ref; the command line
# as a whole.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	new_node n "Сдружение „Открита община – Рила“" Рила
'

test_expect_success 'id prints the key line, the fingerprint and the feed ref' '
	civic --home n id >id.txt &&
	test "$(wc -l <id.txt)" = 3 &&
	sed -n 1p id.txt | grep -q "^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]*=*$" &&
	sed -n 2p id.txt | grep -q "^SHA256:[A-Za-z0-9+/]\{43\}$" &&
	sed -n 3p id.txt | grep -q "^refs/civic/feeds/[0-9a-f]\{64\}$"
'

test_expect_success 'the fingerprint is the one ssh-keygen -lf computes' '
	sed -n 1p id.txt >key.pub &&
	test "$(ssh-keygen -lf key.pub | cut -d" " -f2)" = "$(sed -n 2p id.txt)" &&
	ssh-keygen -lf key.pub | grep -q "(ED25519)$"
'

test_expect_success 'the feed ref names the 32 key bytes in hex' '
	HEX=$(sed -n 1p id.txt | cut -d" " -f2 | base64 -d | tail -c 32 | od -An -tx1 | tr -d " \n") &&
	test ${#HEX} = 64 &&
	test "$(sed -n 3p id.txt)" = "refs/civic/feeds/$HEX"
'

test_expect_success 'id --json has the same key, fingerprint and feed' '
	civic --home n id --json >id.json &&
	python3 -m json.tool id.json >/dev/null &&
	grep -q "\"key\": \"$(sed -n 1p id.txt)\"" id.json &&
	grep -q "\"fingerprint\": \"$(sed -n 2p id.txt)\"" id.json &&
	grep -q "\"feed\": \"$(sed -n 3p id.txt)\"" id.json
'

test_expect_success 'id --json names the organization, municipality and role' '
	grep -q "\"name\": \"Сдружение „Открита община – Рила“\"" id.json &&
	grep -q "\"municipality\": \"rila\"" id.json &&
	grep -q "\"municipality_name\": \"Рила\"" id.json &&
	grep -q "\"role\": \"ngo\"" id.json &&
	grep -q "\"network\": null" id.json
'

test_expect_success 'id --json shows the network once joined' '
	civic --home n network join 0123456789abcdef0123456789abcdef01234567 >/dev/null &&
	civic --home n id --json >id2.json &&
	grep -q "\"network\": \"0123456789abcdef0123456789abcdef01234567\"" id2.json
'

test_expect_success 'id with an argument is a usage error' '
	test_expect_code 129 civic --home n id extra 2>err &&
	test_expect_code 129 civic --home n id --bogus 2>err
'

test_expect_success 'id --help prints the usage and exits 0' '
	civic --home n id --help >out &&
	grep -q "usage: civic id" out
'

test_expect_success 'civic without a command is a usage error' '
	test_expect_code 129 civic 2>err &&
	grep -q "usage: civic" err
'

test_expect_success 'an unknown command is refused with one line (129)' '
	test_expect_code 129 civic --home n frobnicate 2>err &&
	test_one_error_line &&
	grep -q "frobnicate" err
'

test_expect_success 'an unknown global option is a usage error' '
	test_expect_code 129 civic --frobnicate id 2>err
'

test_expect_success 'civic --help lists the commands' '
	civic --help >out &&
	missing= &&
	for c in init id network member add list show audit allowed-signers; do
		grep -q "^  $c " out || missing="$missing $c"
	done &&
	test -z "$missing"
'

test_expect_success 'civic --version' '
	civic --version >out &&
	grep -q "^civic " out
'

test_done
