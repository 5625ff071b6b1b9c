#!/bin/sh
# Pushes to a relay are stock git's: over the network by `git push`
# (src/git_push.h), to a path by `git pack-objects` with the refs moved by
# civic (src/path_push.h); each ref leased at the value the sync last saw
# on the relay. Here relays behind a real git daemon and on a path, and a
# `git` on PATH that logs how civic runs it (and, when told, moves a
# relay's ref just before the push, as another node pushing at that
# moment would).
. "$(dirname "$0")/test-lib.sh"

set -- $(free_ports 3 $((27000 + ($$ % 4000) * 3 + 1)))
PORT=$1 PORT_MUTE=$2 PORT_HTTP_MUTE=$3
set --
URL="git://127.0.0.1:$PORT"
REAL_GIT=$(command -v git)

# relay NAME ARGS...: stock git on srv/NAME.git
relay() { _r=$1; shift; git --git-dir "$TEST_DIR/srv/$_r.git" "$@"; }
relay_refs() { relay "$1" for-each-ref --format='%(objectname) %(refname)' refs/civic; }

# push_json NAME [ENV...]: civic sync --json --no-attachments of node a with relay NAME,
# the logging git first on PATH; exit code in $rc
push_json() {
	_p=$1
	shift
	env PATH="$TEST_DIR/bin:$PATH" "$@" "$CIVIC" --home a sync --json --no-attachments "$_p" >out.json 2>err
	rc=$?
}
# git_procs_here: the git processes civic started here (git push, its
# pack-objects, its http helper), still running
git_procs_here() {
	for _p in $(pgrep -x git) $(pgrep -f git-remote-http); do
		test "$(readlink "/proc/$_p/cwd" 2>/dev/null)" = "$TEST_DIR" && echo "$_p"
	done
}
# sync_refused NAME: civic sync of node a with relay NAME fails, with one
# error line in err
sync_refused() {
	env PATH="$TEST_DIR/bin:$PATH" "$CIVIC" --home a sync --no-attachments "$1" >out 2>err
	_rc=$?
	cat err
	test "$_rc" != 0 && test_one_error_line err
}
# item REF OUTCOME: whether the report has that line; reason REF OUTCOME: its reason
item() { jq -e ".[0].items[] | select(.ref == \"$1\" and .outcome == \"$2\")" out.json >/dev/null; }
reason() { jq -r ".[0].items[] | select(.ref == \"$1\" and .outcome == \"$2\") | .reason" out.json; }

test_expect_success 'setup: a node with records, relays behind git daemon, a git that logs' '
	new_network cc &&
	join_network cc a "НПО Рила" rila &&
	fetch_roster cc a &&
	for i in 1 2 3 4 5; do add_doc a "Протокол $i" >/dev/null || return 1; done &&
	FEED=$(node_feed a) &&
	mkdir srv bin &&
	for r in plain other race refusing fallback; do git init -q --bare srv/$r.git || return 1; done &&
	printf "#!/bin/sh\nexit 1\n" >srv/refusing.git/hooks/pre-receive &&
	chmod +x srv/refusing.git/hooks/pre-receive &&
	cat >bin/git <<-EOF &&
	#!/bin/sh
	printf "%s\n" "\$*" >>"$TEST_DIR/git.log"
	case " \$* " in
	*" \${RACE_ON:-push} "*) if test -n "\${RACE_REF:-}"; then
		"$REAL_GIT" --git-dir "$TEST_DIR/srv/\${RACE_RELAY:-race}.git" update-ref "\$RACE_REF" "\$RACE_TO"
	fi;;
	esac
	exec "$REAL_GIT" "\$@"
	EOF
	chmod +x bin/git &&
	start_server daemon.log "$(git --exec-path)/git-daemon" --reuseaddr --export-all --enable=receive-pack \
		--informative-errors --listen=127.0.0.1 --port="$PORT" --base-path="$TEST_DIR/srv" "$TEST_DIR/srv" &&
	wait_port "$PORT" &&
	for r in plain other race refusing; do civic --home a peer add $r "$URL/$r.git" --relay || return 1; done
'

test_expect_success 'a push over git:// is stock git push, each ref leased; no hook of the node, no user config' '
	mkdir -p a/archive.git/hooks &&
	printf "#!/bin/sh\ntouch \"%s/pre-push-ran\"\n" "$TEST_DIR" >a/archive.git/hooks/pre-push &&
	chmod +x a/archive.git/hooks/pre-push &&
	printf "[url \"%s\"]\n\tinsteadOf = %s\n" "$URL/other.git" "$URL/plain.git" >user.gitconfig &&
	: >git.log &&
	push_json plain GIT_CONFIG_GLOBAL="$TEST_DIR/user.gitconfig" &&
	test "$rc" = 0 &&
	grep " push --porcelain " git.log >push.log &&
	test "$(wc -l <push.log)" = 1 &&
	grep -q -- "--force-with-lease=$FEED: " push.log &&
	grep -q -- "--force-with-lease=refs/civic/roster: " push.log &&
	item "$FEED" pushed &&
	item refs/civic/roster pushed &&
	all_refs a >want &&
	relay_refs plain >got &&
	diff -u want got &&
	test -z "$(relay_refs other)" &&
	! test -e pre-push-ran &&
	relay plain fsck --strict --full 2>fsck.err
'

test_expect_success 'the next push leases each ref at what the relay holds' '
	add_doc a "Протокол 6" >/dev/null &&
	old=$(relay plain rev-parse "$FEED") &&
	: >git.log &&
	push_json plain &&
	test "$rc" = 0 &&
	grep -q -- "--force-with-lease=$FEED:$old " git.log &&
	item "$FEED" pushed &&
	test "$(relay plain rev-parse "$FEED")" = "$(git_in a rev-parse "$FEED")"
'

test_expect_success 'a ref another node moved on the relay after the fetch is refused by name, left as it is' '
	push_json race &&
	test "$rc" = 0 &&
	add_doc a "Протокол 7" >/dev/null &&
	seven=$(git_in a rev-parse "$FEED") &&
	six=$(git_in a rev-parse "$FEED~1") &&
	five=$(git_in a rev-parse "$FEED~2") &&
	relay race update-ref "$FEED" "$five" &&
	push_json race RACE_REF="$FEED" RACE_TO="$six" &&
	item "$FEED" push-failed &&
	reason "$FEED" push-failed | grep -q "changed on the relay" &&
	test "$(relay race rev-parse "$FEED")" = "$six" &&
	item "$(node_state a)" pushed &&
	test "$(jq -r ".[0].push_failed" out.json)" = 1 &&
	push_json race &&
	test "$rc" = 0 &&
	item "$FEED" pushed &&
	test "$(relay race rev-parse "$FEED")" = "$seven"
'

test_expect_success 'what the relay itself refuses is reported with its reason, the archive untouched' '
	archive_state a >before &&
	push_json refusing &&
	item "$FEED" push-failed &&
	reason "$FEED" push-failed | grep -q "pre-receive hook declined" &&
	test -z "$(relay_refs refusing)" &&
	archive_state a >after &&
	diff -u before after
'

# A relay that takes the pack and then never answers: only --timeout ends
# the push, and with it every git process the push started.
test_expect_success 'a relay gone silent mid-push is given up after --timeout, its git push with it' '
	git init -q --bare srv/mute.git &&
	rm -f mute.ready &&
	python3 - "$PORT_MUTE" "$PORT" <<-\EOF &
	import socket, sys, threading, time
	s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); s.settimeout(0.2)
	open("mute.ready", "w").close()
	def pump(a, b, mute_after):
	    n = 0
	    try:
	        while True:
	            d = a.recv(65536)
	            if not d: break
	            n += len(d)
	            if mute_after is not None and n > mute_after: continue  # swallowed
	            b.sendall(d)
	    except OSError: pass
	held, end = [], time.time() + 60
	while time.time() < end:
	    try: c = s.accept()[0]
	    except socket.timeout: continue
	    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
	    held += [c, u]
	    # the request and the commands pass, not the pack: the relay waits on
	    threading.Thread(target=pump, args=(c, u, 600), daemon=True).start()
	    threading.Thread(target=pump, args=(u, c, None), daemon=True).start()
	EOF
	mute=$! && SERVERS="$SERVERS $mute" &&
	for _i in $(seq 100); do test -f mute.ready && break; sleep 0.1; done &&
	test -f mute.ready &&
	civic --home a peer add mute "git://127.0.0.1:$PORT_MUTE/mute.git" --relay &&
	archive_state a >before &&
	start=$(date +%s) &&
	{ env PATH="$TEST_DIR/bin:$PATH" "$CIVIC" --home a sync --no-attachments --timeout 2 mute >out 2>err; rc=$?; } &&
	cat out err && echo "exit status: $rc" &&
	test "$rc" = 128 &&
	test_one_error_line err &&
	grep -q "sent nothing for 2 s, the link is down" err &&
	test $(($(date +%s) - start)) -le 10 &&
	for _i in $(seq 20); do test -z "$(git_procs_here)" && break; sleep 0.1; done &&
	test -z "$(git_procs_here)" &&
	test -z "$(relay_refs mute)" &&
	archive_state a >after &&
	diff -u before after
'

# git push runs in a process group of its own: a signal that ends civic
# ends it too, lest it push on with the node unlocked. (A shell's
# background job ignores SIGINT; SIGTERM stands for it here.)
test_expect_success 'civic ended by a signal mid-push ends its git push too' '
	archive_state a >before &&
	env PATH="$TEST_DIR/bin:$PATH" "$CIVIC" --home a sync --no-attachments --timeout 60 mute >out 2>err &
	civic_pid=$! &&
	for _i in $(seq 50); do test -n "$(git_procs_here)" && break; sleep 0.1; done &&
	test -n "$(git_procs_here)" &&
	kill -TERM "$civic_pid" &&
	{ wait "$civic_pid"; rc=$?; } ; echo "exit status: $rc" &&
	test "$rc" = 143 &&
	for _i in $(seq 20); do test -z "$(git_procs_here)" && break; sleep 0.1; done &&
	test -z "$(git_procs_here)" &&
	test -z "$(relay_refs mute)" &&
	archive_state a >after &&
	diff -u before after
'

# Over http, git push runs git-remote-http, which holds civic's pipes: the
# stop must end it too. The server lists an empty repository for the
# fetch, then never answers the push.
test_expect_success 'an http relay gone silent at the push is given up after --timeout, its helper with it' '
	rm -f httpmute.ready &&
	python3 - "$PORT_HTTP_MUTE" <<-\EOF &
	import socket, sys, threading, time
	s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); s.settimeout(0.2)
	open("httpmute.ready", "w").close()
	def pkt(b): return b"%04x" % (len(b) + 4) + b
	body = (pkt(b"# service=git-upload-pack\n") + b"0000" +
	        pkt(b"0" * 40 + b" capabilities^{}\0multi_ack_detailed side-band-64k ofs-delta\n") + b"0000")
	held = []
	def serve(c):
	    req = b""
	    while b"\r\n\r\n" not in req:
	        d = c.recv(4096)
	        if not d: return
	        req += d
	    if b"service=git-upload-pack" in req.split(b"\r\n")[0]:
	        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-advertisement\r\n"
	                  b"Cache-Control: no-cache\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
	        c.close()
	    else:
	        held.append(c)  # the push: never answered
	end = time.time() + 60
	while time.time() < end:
	    try: c = s.accept()[0]
	    except socket.timeout: continue
	    threading.Thread(target=serve, args=(c,), daemon=True).start()
	EOF
	httpmute=$! && SERVERS="$SERVERS $httpmute" &&
	for _i in $(seq 100); do test -f httpmute.ready && break; sleep 0.1; done &&
	test -f httpmute.ready &&
	civic --home a peer add httpmute "http://127.0.0.1:$PORT_HTTP_MUTE/relay.git" --relay &&
	archive_state a >before &&
	: >git.log &&
	start=$(date +%s) &&
	{ env PATH="$TEST_DIR/bin:$PATH" "$CIVIC" --home a sync --no-attachments --timeout 2 httpmute >out 2>err; rc=$?; } &&
	cat out err && echo "exit status: $rc" &&
	grep -q " push --porcelain " git.log &&
	test "$rc" = 128 &&
	test_one_error_line err &&
	grep -q "sent nothing for 2 s, the link is down" err &&
	test $(($(date +%s) - start)) -le 10 &&
	for _i in $(seq 20); do test -z "$(git_procs_here)" && break; sleep 0.1; done &&
	test -z "$(git_procs_here)" &&
	archive_state a >after &&
	diff -u before after
'

# A stick is not trusted: nothing of it may run, not its hooks, not its config.
test_expect_success 'a push to a stick is git pack-objects'\'' pack, its refs moved by civic; nothing of the stick runs' '
	git init -q --bare srv/stick.git &&
	for h in pre-receive update post-receive post-update reference-transaction push-to-checkout; do
		printf "#!/bin/sh\ntouch \"%s/stick-ran-%s\"\n" "$TEST_DIR" $h >srv/stick.git/hooks/$h &&
		chmod +x srv/stick.git/hooks/$h || return 1
	done &&
	relay stick config core.alternateRefsCommand "touch $TEST_DIR/stick-ran-config" &&
	relay stick config core.fsmonitor "touch $TEST_DIR/stick-ran-fsmonitor" &&
	civic --home a peer add stick "$TEST_DIR/srv/stick.git" --relay &&
	: >git.log &&
	push_json stick &&
	test "$rc" = 0 &&
	grep -q " pack-objects -q --revs " git.log &&
	! grep -q "receive-pack\| push " git.log &&
	item "$FEED" pushed &&
	all_refs a >want &&
	relay_refs stick >got &&
	diff -u want got &&
	! ls stick-ran-* 2>/dev/null &&
	relay stick fsck --strict --full 2>fsck.err &&
	test -z "$(ls a/tmp 2>/dev/null)"
'

test_expect_success 'the next push to the stick sends what is new; a ref moved there meanwhile is refused by name' '
	add_doc a "Протокол 8" >/dev/null &&
	packs=$(ls srv/stick.git/objects/pack/*.pack | wc -l) &&
	push_json stick &&
	test "$rc" = 0 &&
	test "$(relay stick rev-parse "$FEED")" = "$(git_in a rev-parse "$FEED")" &&
	test "$(ls srv/stick.git/objects/pack/*.pack | wc -l)" = $((packs + 1)) &&
	add_doc a "Протокол 9" >/dev/null &&
	eight=$(git_in a rev-parse "$FEED~1") &&
	relay stick update-ref "$FEED" "$eight~1" &&
	push_json stick RACE_ON=pack-objects RACE_RELAY=stick RACE_REF="$FEED" RACE_TO="$eight" &&
	item "$FEED" push-failed &&
	reason "$FEED" push-failed | grep -q "changed on the relay" &&
	test "$(relay stick rev-parse "$FEED")" = "$eight" &&
	item "$(node_state a)" pushed &&
	push_json stick &&
	test "$rc" = 0 &&
	test "$(relay stick rev-parse "$FEED")" = "$(git_in a rev-parse "$FEED")" &&
	relay stick fsck --strict --full 2>fsck.err
'

# libgit2, in civic's own process, writes a ref and its reflog through
# symlinks, and would take from the stick's config whether to keep reflogs
# and under what name: none of that may reach outside the stick.
test_expect_success 'a stick cannot make civic write through a symlink, nor keep reflogs its config asks for' '
	mkdir outside &&
	git init -q --bare srv/linked.git &&
	mkdir -p srv/linked.git/refs/civic/feeds &&
	ln -s "$TEST_DIR/outside/created-by-civic" "srv/linked.git/$FEED" &&
	civic --home a peer add linked "$TEST_DIR/srv/linked.git" --relay &&
	sync_refused linked &&
	grep -q "holds a symlink at '\''$FEED'\''" err &&
	test -z "$(ls outside)" &&
	git init -q --bare srv/packlink.git &&
	rm -rf srv/packlink.git/objects/pack && ln -s "$TEST_DIR/outside" srv/packlink.git/objects/pack &&
	civic --home a peer add packlink "$TEST_DIR/srv/packlink.git" --relay &&
	sync_refused packlink &&
	grep -q "holds a symlink at '\''objects/pack'\''" err &&
	test -z "$(ls outside)" &&
	git init -q --bare srv/logging.git &&
	relay logging config core.logAllRefUpdates always &&
	relay logging config user.name "x; touch $TEST_DIR/outside/ran; echo" &&
	civic --home a peer add logging "$TEST_DIR/srv/logging.git" --relay &&
	push_json logging &&
	test "$rc" = 0 &&
	item "$FEED" pushed &&
	! test -e srv/logging.git/logs/refs/civic &&
	relay logging fsck --strict --full 2>fsck.err
'

test_expect_success 'a stick takes one whole pack a part, whatever the user'\''s git config says' '
	printf "[pack]\n\tpackSizeLimit = 1m\n" >user.gitconfig &&
	# records of 60 KB that do not compress: a pack of more than 1 MiB
	for i in $(seq 24); do
		add_doc a "Приложение $i" --field "body=$(head -c 45000 /dev/urandom | base64 -w0)" >/dev/null || return 1
	done &&
	git init -q --bare srv/limited.git &&
	civic --home a peer add limited "$TEST_DIR/srv/limited.git" --relay &&
	push_json limited GIT_CONFIG_GLOBAL="$TEST_DIR/user.gitconfig" &&
	test "$rc" = 0 &&
	test "$(ls srv/limited.git/objects/pack/*.pack | wc -l)" = 1 &&
	test "$(du -k srv/limited.git/objects/pack/*.pack | cut -f1)" -gt 1024 &&
	relay limited fsck --strict --full 2>fsck.err &&
	all_refs a >want &&
	relay_refs limited >got &&
	diff -u want got
'

test_expect_success 'what a push killed midway left in the node'\''s tmp/ goes at the next command' '
	mkdir -p a/tmp/push-AbC123 &&
	: >a/tmp/push-AbC123/part-0000.pack &&
	add_doc a "Протокол 10" >/dev/null &&
	! test -e a/tmp/push-AbC123
'

test_expect_success 'a stick that is not a bare repository is refused in one line, left as it was' '
	git init -q srv/worktree &&
	civic --home a peer add worktree "$TEST_DIR/srv/worktree" --relay &&
	sync_refused worktree &&
	grep -q "is not a bare repository" err &&
	test -z "$(git -C srv/worktree for-each-ref)" &&
	# a commondir file would send the refs to another repository
	git init -q --bare srv/common.git && git init -q --bare srv/pointing.git &&
	echo "$TEST_DIR/srv/common.git" >srv/pointing.git/commondir &&
	civic --home a peer add pointing "$TEST_DIR/srv/pointing.git" --relay &&
	sync_refused pointing &&
	grep -q "pointing.git'\'' is not a bare repository" err &&
	test -z "$(relay common for-each-ref)"
'

test_expect_success 'without git on PATH the push is libgit2'\''s, and the relay holds the same' '
	mkdir nogit &&
	civic --home a peer add fallback "$URL/fallback.git" --relay &&
	env PATH="$TEST_DIR/nogit" "$CIVIC" --home a sync --json --no-attachments fallback >out.json 2>err &&
	item "$FEED" pushed &&
	all_refs a >want &&
	relay_refs fallback >got &&
	diff -u want got &&
	relay fallback fsck --strict --full 2>fsck.err
'

test_done
