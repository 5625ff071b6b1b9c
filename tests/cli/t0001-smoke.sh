#!/bin/sh
# A node is born, joins a network of its own making, records, and audits.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'init a civic-center node' '
	civic --home cc init --name "Граждански център" --municipality Кюстендил \
		--role civic-center --no-passphrase >out &&
	grep -q "^key: ssh-ed25519 " out
'

test_expect_success 'create the network' '
	NET=$(civic --home cc network create --name "НПО Мрежа") &&
	test ${#NET} = 40
'

test_expect_success 'add a record and audit' '
	civic --home cc add document --field title=SWOT --field visibility=public \
		--field date=2015-01-30 --field document_type=swot-analysis >id &&
	civic --home cc audit
'

test_done
