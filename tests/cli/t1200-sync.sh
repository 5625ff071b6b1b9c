#!/bin/sh
# civic sync between nodes: a path, file://, git:// (civic serve), and a
# relay behind a real git daemon; incremental, idempotent, --json, quiet.
. "$(dirname "$0")/test-lib.sh"

PORT_SERVE=$((20000 + $$ % 20000))
PORT_RELAY=$((PORT_SERVE + 1))

test_expect_success 'setup: a center and two members that joined but hold nothing yet' '
	new_network cc "НПО Мрежа – област Кюстендил" &&
	new_node a "НПО Рила" rila &&
	new_node b "НПО Дупница" dupnitsa &&
	civic --home cc member add --name "НПО Рила" --municipality rila --role ngo \
		--key "$(node_key a)" >/dev/null &&
	civic --home cc member add --name "НПО Дупница" --municipality dupnitsa --role ngo \
		--key "$(node_key b)" >/dev/null &&
	civic --home a network join "$(cat cc.net)" >/dev/null &&
	civic --home b network join "$(cat cc.net)" >/dev/null &&
	add_doc cc "Покана" >/dev/null
'

test_expect_success 'sync with no peers says how to add one' '
	test_refused 1 a sync &&
	err_has "no peers to sync with"
'

test_expect_success 'sync refuses a name that is not a peer' '
	test_refused 1 a sync nobody &&
	err_has "there is no peer named '\''nobody'\''"
'

test_expect_success 'sync on a node without a network says to join first' '
	new_node lone "Самотно НПО" rila &&
	test_refused 1 lone sync "$(abs cc)/archive.git" &&
	err_has "network join"
'

test_expect_success 'a member takes the roster and records from the center (a path)' '
	civic --home a sync "$(abs cc)/archive.git" >out 2>err &&
	test ! -s err &&
	grep -q "^  accepted     refs/civic/roster: 3 members$" out &&
	grep -q "^  accepted     Граждански център cc (Кюстендил): 1 new records$" out &&
	grep -q ": 1 new records in 1 feeds, roster updated; 0 refused, 0 forks, 0 refs pushed$" out &&
	civic --home a audit >audit && test "$(tail -n 1 audit)" = "audit: sound" &&
	test "$(archive_refs a)" = "$(archive_refs cc)"
'

test_expect_success 'a sync leaves no quarantine behind' '
	test -d a/tmp && test -z "$(ls a/tmp | grep "^quarantine-")"
'

test_expect_success 'the center syncs a member by peer name; a second sync is a no-op' '
	add_doc a "Протокол 1" >/dev/null && add_doc a "Протокол 2" >/dev/null &&
	civic --home cc peer add rila "$(abs a)/archive.git" &&
	civic --home cc sync rila >out &&
	grep -q "^  accepted     НПО Рила (Рила): 2 new records$" out &&
	civic --home cc sync rila >out &&
	test "$(cat out)" = "sync rila: 0 new records in 0 feeds; 0 refused, 0 forks, 0 refs pushed" &&
	test "$(archive_refs a | grep "$(node_feed a)")" = "$(archive_refs cc | grep "$(node_feed a)")"
'

test_expect_success 'sync over file://' '
	civic --home b sync "file://$(abs cc)/archive.git" >out &&
	grep -q "2 new records\|new records in 2 feeds" out &&
	test "$(archive_refs b)" = "$(archive_refs cc)"
'

test_expect_success 'what the peer holds is remembered in peers.json' '
	python3 - cc/peers.json "$(node_feed a)" "$(git_in a rev-parse "$(node_feed a)")" <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	p = d["peers"][0]
	assert p["name"] == "rila" and p["last_sync"] > 0 and p["last_error"] == "", p
	assert p["known"][sys.argv[2]] == sys.argv[3], p
	EOF
'

test_expect_success 'a sync fetches only what is new' '
	add_doc a "Протокол 3" >/dev/null &&
	civic --home cc sync --json rila >out.json &&
	python3 - out.json <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert len(d) == 1 and d[0]["ok"] is True, d
	r = d[0]
	assert r["records_accepted"] == 1 and r["rejected"] == 0, r
	# one commit, one blob, five trees on its path: not the whole feed again
	assert 0 < r["objects_received"] <= 8, r
	assert [i["outcome"] for i in r["items"]] == ["accepted"], r
	assert r["items"][0]["records"] == 1 and len(r["items"][0]["theirs"]) == 40, r
	EOF
'

test_expect_success 'sync --json of a peer that cannot be reached' '
	test_expect_code 128 civic --home cc sync --json "$(abs nowhere)/archive.git" >out.json 2>err &&
	python3 - out.json <<-\EOF
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert d[0]["ok"] is False and d[0]["error"], d
	EOF
'

test_expect_success 'a peer that cannot be reached: one line, exit 128, nothing changes' '
	test_refused 128 cc sync "$(abs nowhere)/archive.git"
'

test_expect_success 'the failure is remembered for that peer' '
	civic --home cc peer add gone "$(abs gone)/archive.git" &&
	test_expect_code 128 civic --home cc sync gone 2>err &&
	civic --home cc peer list >out &&
	grep -q "last attempt .* failed: " out
'

test_expect_success 'a peer that accepts and then says nothing is given up after --timeout' '
	rm -f silent.ready &&
	python3 - "$((PORT_SERVE + 3))" <<-\EOF &
	import socket, sys, time
	s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); s.settimeout(0.2)
	open("silent.ready", "w").close()
	held, end = [], time.time() + 30
	while time.time() < end:
	    try: held.append(s.accept()[0])
	    except socket.timeout: pass
	EOF
	silent=$! && SERVERS="$SERVERS $silent" &&
	for _i in $(seq 100); do test -f silent.ready && break; sleep 0.1; done &&
	test -f silent.ready &&
	start=$(date +%s) &&
	test_refused 128 cc sync --timeout 1 "git://127.0.0.1:$((PORT_SERVE + 3))/archive.git" &&
	err_has "sent nothing for 1 s, the link is down" &&
	test $(($(date +%s) - start)) -le 5
'

test_expect_success 'civic serve: read-only git:// for a peer' '
	"$CIVIC" --home a serve --listen "127.0.0.1:$PORT_SERVE" 2>serve.err &
	SERVERS="$SERVERS $!" &&
	wait_port "$PORT_SERVE" &&
	grep -q "serving .*a/archive.git read-only at git://127.0.0.1:$PORT_SERVE/archive.git" serve.err &&
	# its refs packed, which git upload-pack reads at every fetch; a record
	# written after that moves a packed ref
	grep -q " $(node_feed a)$" a/archive.git/packed-refs &&
	test -z "$(find a/archive.git/refs -type f)" &&
	add_doc a "Протокол 4" >/dev/null &&
	civic --home b sync "git://127.0.0.1:$PORT_SERVE/archive.git" >out &&
	grep -q "^  accepted     НПО Рила (Рила): 2 new records$" out &&
	test "$(archive_refs b | grep "$(node_feed a)")" = "$(archive_refs a | grep "$(node_feed a)")"
'

test_expect_success 'civic serve refuses pushes' '
	test_must_fail git_in b push "git://127.0.0.1:$PORT_SERVE/archive.git" \
		"$(node_feed cc):refs/civic/feeds/$(printf "%064d" 0)" 2>err &&
	test -z "$(git_in a for-each-ref "refs/civic/feeds/$(printf "%064d" 0)")"
'

test_expect_success 'civic serve is one process: stopping it stops the daemon' '
	"$CIVIC" --home a serve --listen "127.0.0.1:$((PORT_SERVE + 2))" 2>/dev/null &
	pid=$! &&
	wait_port "$((PORT_SERVE + 2))" &&
	kill "$pid" && wait "$pid";
	sleep 0.3 &&
	! git ls-remote "git://127.0.0.1:$((PORT_SERVE + 2))/archive.git" >/dev/null 2>&1
'

test_expect_success 'civic serve: bad --listen' '
	test_expect_code 129 civic --home a serve --listen nonsense 2>err &&
	grep -q "is not HOST:PORT" err &&
	test_expect_code 129 civic --home a serve --listen 127.0.0.1:0 2>err &&
	test_expect_code 129 civic --home a serve --listen "127.0.0.1:99999" 2>err &&
	test_expect_code 129 civic --home a serve extra 2>err
'

test_expect_success 'setup: a relay, a plain bare repository behind git daemon' '
	git init -q --bare relay.git &&
	"$(git --exec-path)/git-daemon" --reuseaddr --export-all --enable=receive-pack --base-path="$TEST_DIR" \
		--listen=127.0.0.1 --port="$PORT_RELAY" "$TEST_DIR/relay.git" 2>daemon.err &
	SERVERS="$SERVERS $!" &&
	wait_port "$PORT_RELAY"
'

test_expect_success 'the center pushes everything it holds to the relay' '
	civic --home cc sync rila >/dev/null &&
	civic --home cc peer add relay "git://127.0.0.1:$PORT_RELAY/relay.git" --relay &&
	civic --home cc sync relay >out &&
	git_in cc for-each-ref --format="%(objectname) %(refname)" refs/civic >cc.refs &&
	grep -q " $(node_state cc)$" cc.refs &&
	test "$(grep -c "^  pushed  " out)" = "$(wc -l <cc.refs)" &&
	grep -q " $(wc -l <cc.refs) refs pushed$" out &&
	git ls-remote "git://127.0.0.1:$PORT_RELAY/relay.git" "refs/civic/*" |
		awk "{print \$1\" \"\$2}" >relay.refs &&
	cmp cc.refs relay.refs
'

test_expect_success 'a member that reaches only the relay gets everything from it' '
	civic --home b peer add relay "git://127.0.0.1:$PORT_RELAY/relay.git" --relay &&
	civic --home b sync relay >out &&
	test "$(archive_refs b)" = "$(archive_refs cc)" &&
	civic --home b audit | tail -n 1 | grep -q "^audit: sound$"
'

test_expect_success 'a member pushes its new records through the relay to the center' '
	add_doc b "Препоръка от Дупница" >/dev/null &&
	civic --home b sync relay >out &&
	grep -q "^  pushed       НПО Дупница (Дупница)$" out &&
	civic --home cc sync relay >out &&
	grep -q "^  accepted     НПО Дупница (Дупница): 1 new records$" out &&
	test "$(archive_refs b)" = "$(archive_refs cc)"
'

test_expect_success 'sync --no-push fetches from a relay without pushing' '
	add_doc b "Само локално" >/dev/null &&
	civic --home b sync --no-push relay >out &&
	grep -q "^  peer-behind  НПО Дупница (Дупница)$" out &&
	! grep -q "^  pushed" out &&
	test "$(git ls-remote "git://127.0.0.1:$PORT_RELAY/relay.git" "$(node_feed b)" | cut -f1)" != \
	     "$(git_in b rev-parse "$(node_feed b)")"
'

test_expect_success 'sync of every peer at once' '
	civic --home b peer add center "$(abs cc)/archive.git" &&
	civic --home b sync >out &&
	grep -q "^sync relay: " out && grep -q "^sync center: " out
'

test_expect_success 'in a script sync prints no progress' '
	civic --home b sync relay >out 2>err &&
	test ! -s err
'

test_expect_success 'a second writer waits its turn' '
	mkfifo hold &&
	( exec 9>b/lock; flock -x 9; cat hold >/dev/null ) & holder=$! &&
	sleep 0.2 &&
	test_refused 1 b sync relay; rc=$?;
	echo >hold; wait $holder; test $rc = 0 &&
	err_has "another civic process is writing"
'

# A relay on a stick is not trusted: its hooks never run, whether civic
# fetches from it (git upload-pack, hooks off) or pushes to it (libgit2's
# local transport, in process: no git receive-pack).
test_expect_success 'a stick relay'"'"'s own hooks never run, fetching or pushing' '
	git init -q --bare stick.git &&
	for h in pre-receive update post-receive post-update reference-transaction; do
		printf "#!/bin/sh\ntouch \"%s/hook-ran-%s\"\n" "$TEST_DIR" "$h" >stick.git/hooks/$h &&
		chmod +x stick.git/hooks/$h || return 1
	done &&
	git --git-dir stick.git config uploadpack.packObjectsHook "touch $TEST_DIR/hook-ran-pack; false" &&
	civic --home b peer add stick "$(abs stick.git)" --relay &&
	civic --home b sync stick >out &&
	grep -q " refs pushed$" out && ! grep -q " 0 refs pushed$" out &&
	add_doc b "След флашката" >/dev/null &&
	civic --home b sync stick >out &&
	civic --home a sync "$(abs stick.git)" >out &&
	grep -q "^  accepted     НПО Дупница (Дупница): " out &&
	test -z "$(ls "$TEST_DIR" | grep "^hook-ran-")"
'

test_expect_success 'sync: usage errors' '
	test_expect_code 129 civic --home b sync --max-bytes 0 2>err &&
	test_expect_code 129 civic --home b sync --max-bytes lots 2>err &&
	test_expect_code 129 civic --home b sync --bogus 2>err &&
	test_expect_code 129 civic --home b sync --timeout 0 2>err &&
	test_expect_code 129 civic --home b sync --timeout soon 2>err &&
	civic --home b sync --help | grep -q "usage: civic sync"
'

test_expect_success 'every archive is sound and stock git agrees' '
	for n in cc a b; do
		civic --home $n audit | tail -n 1 | grep -q "^audit: sound$" || return 1
		git_in $n fsck --strict --full --no-dangling 2>&1 | grep -v "unborn\|^Checking" && return 1
	done; true
'

test_done
