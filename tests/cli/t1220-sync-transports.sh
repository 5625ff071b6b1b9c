#!/bin/sh
# civic sync against real servers this script starts on 127.0.0.1: sshd
# (ssh://, with a relay), git http-backend behind lighttpd (http://, fetch
# and push), and git daemon behind a proxy that cuts the link after a few
# hundred KB (a sync cut off mid-pack changes nothing; the next one works).
. "$(dirname "$0")/test-lib.sh"

# No ssh agent from the caller: civic must use the key file it is given.
unset SSH_AUTH_SOCK SSH_AGENT_PID

# Its servers (start_server, test-lib.sh) live 150 s at most.
SERVER_LIFE=150
trap 'exit 143' HUP INT TERM PIPE

# Six free ports on 127.0.0.1, from one picked by $$.
PORTS=$(free_ports 6 $((20000 + ($$ % 4000) * 8)))
set -- $PORTS
PORT_SSH=$1 PORT_HTTP=$2 PORT_DAEMON=$3 PORT_CUT=$4 PORT_WIDE=$5 PORT_HTTP_CUT=$6
set --

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


# remote_refs URL: the refs/civic/ refs stock git sees there, sorted.
remote_refs() {
	timeout 60 git ls-remote "$1" 'refs/civic/*' | awk '{ print $1 " " $2 }' | LC_ALL=C sort
}

# test_cmp_files EXPECTED ACTUAL: the two files are equal (else the diff).
test_cmp_files() { diff -u "$1" "$2" >&2; }

# audit_sound HOME: civic audit exits 0 and says so.
audit_sound() {
	civic --home "$1" audit >"$TEST_DIR/audit.out" &&
	test "$(tail -n 1 "$TEST_DIR/audit.out")" = "audit: sound"
}

# no_quarantine HOME: nothing left in the node's tmp/.
no_quarantine() {
	if ls "$1/tmp" 2>/dev/null | grep -q '^quarantine-'; then
		echo "# quarantine left behind in $1/tmp:" >&2
		ls -la "$1/tmp" >&2
		return 1
	fi
}

USER_NAME=$(id -un)

test_expect_success 'setup: a center, members that joined but hold nothing yet' '
	new_network cc "НПО Мрежа – област Кюстендил" &&
	ok=yes &&
	for n in a b c; do
		new_node $n "НПО $n" rila &&
		civic --home cc member add --name "НПО $n" --municipality rila --role ngo \
			--key "$(node_key $n)" >/dev/null &&
		civic --home $n network join "$(cat cc.net)" >/dev/null || { ok=no; break; }
	done &&
	test $ok = yes &&
	add_doc cc "Покана" >/dev/null
'

# ---------------------------------------------------------------------------
# ssh://, through a real sshd

SSH_OK=no
if ! test -x /usr/sbin/sshd; then
	SSH_WHY="no /usr/sbin/sshd"
elif ! command -v ssh-keygen >/dev/null 2>&1 || ! command -v ssh >/dev/null 2>&1; then
	SSH_WHY="no ssh or ssh-keygen"
else
	# The client key: the private key file alone, its .pub moved away, as
	# libssh2 derives the public key from the private one.
	ssh-keygen -q -t ed25519 -N "" -C civic-test -f "$TEST_DIR/client" &&
	mv "$TEST_DIR/client.pub" "$TEST_DIR/client-public" &&
	ssh-keygen -q -t ed25519 -N "" -C stranger -f "$TEST_DIR/stranger" &&
	ssh-keygen -q -t ed25519 -N "" -f "$TEST_DIR/ssh_host_ed25519_key" &&
	ssh-keygen -q -t ed25519 -N "" -f "$TEST_DIR/other_host_key" &&
	cp "$TEST_DIR/client-public" "$TEST_DIR/authorized_keys" &&
	chmod 600 "$TEST_DIR/authorized_keys" &&
	cat >"$TEST_DIR/sshd_config" <<-EOF &&
	Port $PORT_SSH
	ListenAddress 127.0.0.1
	HostKey $TEST_DIR/ssh_host_ed25519_key
	AuthorizedKeysFile $TEST_DIR/authorized_keys
	PidFile $TEST_DIR/sshd.pid
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin prohibit-password
	StrictModes no
	UsePAM no
	UseDNS no
	AllowUsers $USER_NAME
	SetEnv PATH=/usr/local/bin:/usr/bin:/bin
	EOF
	mkdir -p /run/sshd 2>/dev/null
	if ! /usr/sbin/sshd -t -f "$TEST_DIR/sshd_config" >"$TEST_DIR/sshd-t.log" 2>&1; then
		SSH_WHY="sshd refuses the config: $(head -n 1 "$TEST_DIR/sshd-t.log")"
	else
		start_server "$TEST_DIR/sshd.log" /usr/sbin/sshd -f "$TEST_DIR/sshd_config" -D -e
		if wait_port "$PORT_SSH"; then
			SSH_OK=yes
		else
			SSH_WHY="sshd did not start: $(head -n 1 "$TEST_DIR/sshd.log")"
		fi
	fi
fi
SSH_BASE="ssh://$USER_NAME@127.0.0.1:$PORT_SSH"
KNOWN_HOSTS="$TEST_DIR/.ssh/known_hosts"
# Stock git over ssh, for checks: the same key and host key, no user config.
STOCK_SSH="ssh -F /dev/null -i $TEST_DIR/client -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$KNOWN_HOSTS"

# ssh_test TITLE BODY: a test that needs the sshd, else skipped.
ssh_test() {
	if [ "$SSH_OK" = yes ]; then
		test_expect_success "$1" "$2"
	else
		test_skip "$1" "$SSH_WHY"
	fi
}

ssh_test 'ssh: a host key that is not in ~/.ssh/known_hosts is refused, one line' '
	civic --home a peer add center "$SSH_BASE$TEST_DIR/cc/archive.git" --ssh-key "$TEST_DIR/client" &&
	test ! -e "$KNOWN_HOSTS" &&
	test_refused_cmd 128 a timeout 60 "$CIVIC" --home a sync center &&
	err_has "center" && err_has "host" &&
	mkdir -p "$TEST_DIR/.ssh" &&
	echo "[127.0.0.1]:$PORT_SSH $(cut -d" " -f1,2 "$TEST_DIR/other_host_key.pub")" >"$KNOWN_HOSTS" &&
	test_refused_cmd 128 a timeout 60 "$CIVIC" --home a sync center &&
	err_has "center" && err_has "host" &&
	! grep -q "Accepted publickey" "$TEST_DIR/sshd.log"
'

ssh_test 'ssh: a member takes the roster from the center (key file without .pub)' '
	mkdir -p "$TEST_DIR/.ssh" &&
	echo "[127.0.0.1]:$PORT_SSH $(cut -d" " -f1,2 "$TEST_DIR/ssh_host_ed25519_key.pub")" >"$KNOWN_HOSTS" &&
	test ! -e "$TEST_DIR/client.pub" &&
	timeout 60 "$CIVIC" --home a sync center >out 2>err &&
	cat out && cat err && test ! -s err &&
	grep -q "^  accepted     refs/civic/roster: 4 members$" out &&
	grep -q "^  accepted     Граждански център cc (Кюстендил): 1 new records$" out &&
	grep -q "^sync center: 1 new records in 1 feeds, roster updated; 0 refused, 0 forks, 0 refs pushed$" out &&
	test "$(archive_refs a)" = "$(archive_refs cc)" &&
	audit_sound a && no_quarantine a &&
	grep -q "Accepted publickey for $USER_NAME" "$TEST_DIR/sshd.log"
'

ssh_test 'ssh: the center takes a member'\''s new records over ssh' '
	add_doc a "Протокол 1" >/dev/null && add_doc a "Протокол 2" >/dev/null &&
	civic --home cc peer add rila "$SSH_BASE$TEST_DIR/a/archive.git" --ssh-key "$TEST_DIR/client" &&
	timeout 60 "$CIVIC" --home cc sync rila >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^  accepted     НПО a (Рила): 2 new records$" out &&
	grep -q "^sync rila: 2 new records in 1 feeds; 0 refused, 0 forks, 0 refs pushed$" out &&
	test "$(archive_refs a)" = "$(archive_refs cc)" &&
	timeout 60 "$CIVIC" --home cc sync rila >out &&
	test "$(cat out)" = "sync rila: 0 new records in 0 feeds; 0 refused, 0 forks, 0 refs pushed" &&
	audit_sound cc
'

ssh_test 'ssh: a relay (bare repository) takes a push; stock git ls-remote sees it' '
	git init -q --bare "$TEST_DIR/relay-ssh.git" &&
	civic --home a peer add r "$SSH_BASE$TEST_DIR/relay-ssh.git" --relay --ssh-key "$TEST_DIR/client" &&
	timeout 60 "$CIVIC" --home a sync r >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^  pushed       refs/civic/roster$" out &&
	grep -q "^  pushed       НПО a (Рила)$" out &&
	grep -q "^  pushed       what this node holds, signed: НПО a (Рила)$" out &&
	grep -q "^sync r: 0 new records in 0 feeds; 0 refused, 0 forks, 4 refs pushed$" out &&
	GIT_SSH_COMMAND="$STOCK_SSH" remote_refs "$SSH_BASE$TEST_DIR/relay-ssh.git" >relay.refs &&
	all_refs a | LC_ALL=C sort >a.refs &&
	cat relay.refs && test_cmp_files a.refs relay.refs &&
	timeout 60 "$CIVIC" --home a sync r >out &&
	test "$(cat out)" = "sync r: 0 new records in 0 feeds; 0 refused, 0 forks, 0 refs pushed"
'

ssh_test 'ssh: another member takes everything from the ssh relay' '
	civic --home b peer add r "$SSH_BASE$TEST_DIR/relay-ssh.git" --relay --ssh-key "$TEST_DIR/client" &&
	timeout 60 "$CIVIC" --home b sync --no-push r >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^sync r: 3 new records in 2 feeds, roster updated; 0 refused, 0 forks, 0 refs pushed$" out &&
	test "$(archive_refs b)" = "$(archive_refs a)" && audit_sound b
'

# The push is stock git's, through OpenSSH (src/git_push.h): a blank or a
# '%' in the home's path or the key's must reach ssh as they are.
ssh_test 'ssh: a push from a home whose path holds a blank and a %, with a key named so too' '
	h="$TEST_DIR/a home 100%" &&
	mkdir -p "$h/.ssh" && cp "$KNOWN_HOSTS" "$h/.ssh/known_hosts" &&
	cp "$TEST_DIR/client" "$h/key 100%" && chmod 600 "$h/key 100%" &&
	git init -q --bare "$TEST_DIR/relay-home.git" &&
	civic --home a peer add rh "$SSH_BASE$TEST_DIR/relay-home.git" --relay --ssh-key "$h/key 100%" &&
	{ HOME="$h" timeout 60 "$CIVIC" --home a sync rh >out 2>err; rc=$?; } &&
	cat out err && test "$rc" = 0 && test ! -s err &&
	grep -q "^  pushed       refs/civic/roster$" out &&
	GIT_SSH_COMMAND="$STOCK_SSH" remote_refs "$SSH_BASE$TEST_DIR/relay-home.git" >relay.refs &&
	all_refs a | LC_ALL=C sort >a.refs &&
	test_cmp_files a.refs relay.refs
'

ssh_test 'ssh: a key the server does not know fails with one line, archive unchanged' '
	civic --home c peer add center "$SSH_BASE$TEST_DIR/cc/archive.git" --ssh-key "$TEST_DIR/stranger" &&
	test_refused_cmd 128 c timeout 60 "$CIVIC" --home c sync center &&
	err_has "center" &&
	no_quarantine c &&
	civic --home c peer list >out && grep -q "failed" out
'

# ---------------------------------------------------------------------------
# http://, git http-backend (CGI) behind lighttpd

HTTP_OK=no
HTTP_BACKEND=$(git --exec-path)/git-http-backend
if ! command -v lighttpd >/dev/null 2>&1 && ! test -x /usr/sbin/lighttpd; then
	HTTP_WHY="no lighttpd (Debian package lighttpd)"
elif ! test -x "$HTTP_BACKEND"; then
	HTTP_WHY="no git-http-backend"
else
	LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)
	mkdir -p "$TEST_DIR/www" "$TEST_DIR/git" &&
	cat >"$TEST_DIR/lighttpd.conf" <<-EOF &&
	server.modules = ("mod_alias", "mod_setenv", "mod_cgi")
	server.document-root = "$TEST_DIR/www"
	server.bind = "127.0.0.1"
	server.port = $PORT_HTTP
	server.pid-file = "$TEST_DIR/lighttpd.pid"
	server.errorlog = "$TEST_DIR/lighttpd-error.log"
	alias.url = ("/git" => "$HTTP_BACKEND")
	\$HTTP["url"] =~ "^/git" {
		cgi.assign = ("" => "")
		setenv.add-environment = (
			"GIT_PROJECT_ROOT" => "$TEST_DIR/git",
			"GIT_HTTP_EXPORT_ALL" => "",
			"GIT_CONFIG_NOSYSTEM" => "1",
			"PATH" => "/usr/local/bin:/usr/bin:/bin"
		)
	}
	EOF
	if ! "$LIGHTTPD" -tt -f "$TEST_DIR/lighttpd.conf" >"$TEST_DIR/lighttpd-t.log" 2>&1; then
		HTTP_WHY="lighttpd refuses the config: $(head -n 1 "$TEST_DIR/lighttpd-t.log")"
	else
		start_server "$TEST_DIR/lighttpd.log" "$LIGHTTPD" -D -f "$TEST_DIR/lighttpd.conf"
		if wait_port "$PORT_HTTP"; then
			HTTP_OK=yes
		else
			HTTP_WHY="lighttpd did not start: $(cat "$TEST_DIR/lighttpd.log" "$TEST_DIR/lighttpd-error.log" 2>/dev/null | head -n 1)"
		fi
	fi
fi
HTTP_BASE="http://127.0.0.1:$PORT_HTTP/git"

# http_test TITLE BODY: a test that needs lighttpd, else skipped.
http_test() {
	if [ "$HTTP_OK" = yes ]; then
		test_expect_success "$1" "$2"
	else
		test_skip "$1" "$HTTP_WHY"
	fi
}

http_test 'http: a member fetches the center'\''s archive through git http-backend' '
	ln -s "$TEST_DIR/cc/archive.git" "$TEST_DIR/git/center.git" &&
	timeout 60 "$CIVIC" --home c sync "$HTTP_BASE/center.git" >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^  accepted     refs/civic/roster: 4 members$" out &&
	grep -q ": [0-9]* new records in [0-9]* feeds, roster updated; 0 refused, 0 forks, 0 refs pushed$" out &&
	test "$(archive_refs c)" = "$(archive_refs cc)" && audit_sound c && no_quarantine c
'

http_test 'http: a relay takes a push (http.receivepack) and serves it to another node' '
	git init -q --bare "$TEST_DIR/git/relay.git" &&
	git --git-dir "$TEST_DIR/git/relay.git" config http.receivepack true &&
	add_doc c "Протокол В" >/dev/null &&
	civic --home c peer add web "$HTTP_BASE/relay.git" --relay &&
	timeout 60 "$CIVIC" --home c sync web >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^  pushed       НПО c (Рила)$" out &&
	grep -q "refs pushed$" out &&
	remote_refs "$HTTP_BASE/relay.git" >relay.refs &&
	all_refs c | LC_ALL=C sort >c.refs &&
	test_cmp_files c.refs relay.refs &&
	new_node d "НПО d" rila &&
	civic --home cc member add --name "НПО d" --municipality rila --role ngo --key "$(node_key d)" >/dev/null &&
	civic --home d network join "$(cat cc.net)" >/dev/null &&
	timeout 60 "$CIVIC" --home cc sync "$HTTP_BASE/relay.git" >out 2>err && test ! -s err &&
	grep -q "^  accepted     НПО c (Рила): 1 new records$" out &&
	timeout 60 "$CIVIC" --home d sync "$HTTP_BASE/center.git" >out 2>err && test ! -s err &&
	test "$(archive_refs d)" = "$(archive_refs cc)" && audit_sound d
'

http_test 'http: a relay that refuses pushes: the fetch is kept, the push fails in one line' '
	add_doc cc "Съобщение" >/dev/null &&
	git init -q --bare "$TEST_DIR/git/readonly.git" &&
	git_in cc push -q "$TEST_DIR/git/readonly.git" "refs/civic/*:refs/civic/*" &&
	add_doc d "Протокол Г" >/dev/null &&
	civic --home d peer add ro "$HTTP_BASE/readonly.git" --relay &&
	{ timeout 60 "$CIVIC" --home d sync ro >out 2>err; rc=$?; } &&
	cat out err && echo "exit status: $rc" &&
	test $rc = 128 && test_one_error_line err && grep -q "push" err &&
	git_in d rev-parse "$(node_feed cc)" >d.cc &&
	git_in cc rev-parse "$(node_feed cc)" >cc.cc &&
	test_cmp_files cc.cc d.cc &&
	remote_refs "$HTTP_BASE/readonly.git" >ro.refs &&
	all_refs cc | LC_ALL=C sort >cc.refs &&
	test_cmp_files cc.refs ro.refs &&
	audit_sound d && no_quarantine d
'

# ---------------------------------------------------------------------------
# git://, through a link that drops: git daemon behind a proxy that closes
# both sides once a connection has carried CUT bytes (either way).

CUT=200000
# The proxy that forwards bytes until N have gone either way, then cuts both sides.
cp "$TEST_SRC/tests/cli/cutproxy.py" "$TEST_DIR/cutproxy.py"

DAEMON_OK=no
if ! test -x "$(git --exec-path)/git-daemon"; then
	DAEMON_WHY="no git daemon"
else
	mkdir -p "$TEST_DIR/served" &&
	start_server "$TEST_DIR/daemon.log" git daemon --listen=127.0.0.1 --port="$PORT_DAEMON" \
		--reuseaddr --export-all --enable=receive-pack --informative-errors \
		--base-path="$TEST_DIR/served" "$TEST_DIR/served"
	start_server "$TEST_DIR/cut.out" python3 "$TEST_DIR/cutproxy.py" "$PORT_CUT" "$PORT_DAEMON" \
		"$CUT" "$TEST_DIR/cut.log"
	start_server "$TEST_DIR/wide.out" python3 "$TEST_DIR/cutproxy.py" "$PORT_WIDE" "$PORT_DAEMON" \
		$((64 * 1024 * 1024)) "$TEST_DIR/wide.log"
	if [ "$HTTP_OK" = yes ]; then
		start_server "$TEST_DIR/httpcut.out" python3 "$TEST_DIR/cutproxy.py" "$PORT_HTTP_CUT" \
			"$PORT_HTTP" "$CUT" "$TEST_DIR/httpcut.log"
		wait_port "$PORT_HTTP_CUT" || HTTP_OK=no HTTP_WHY="the proxy did not start"
	fi
	if ! wait_port "$PORT_DAEMON"; then
		DAEMON_WHY="git daemon did not start: $(head -n 1 "$TEST_DIR/daemon.log")"
	elif ! wait_port "$PORT_CUT" || ! wait_port "$PORT_WIDE"; then
		DAEMON_WHY="the proxy did not start: $(head -n 1 "$TEST_DIR/cut.out")"
	else
		DAEMON_OK=yes
		# wait_port's probes are connections too: forget them.
		sleep 0.2
		rm -f "$TEST_DIR/cut.log" "$TEST_DIR/wide.log" "$TEST_DIR/httpcut.log"
	fi
fi
CUT_URL="git://127.0.0.1:$PORT_CUT/big/archive.git"
WIDE_URL="git://127.0.0.1:$PORT_WIDE/big/archive.git"

# cut_test TITLE BODY: a test that needs git daemon and the proxies.
cut_test() {
	if [ "$DAEMON_OK" = yes ]; then
		test_expect_success "$1" "$2"
	else
		test_skip "$1" "$DAEMON_WHY"
	fi
}

cut_test 'setup: a member with twelve records of ~50 KB each, served by git daemon' '
	mkdir -p served &&
	new_node served/big "НПО Голямо" dupnitsa &&
	civic --home cc member add --name "НПО Голямо" --municipality dupnitsa --role ngo \
		--key "$(node_key served/big)" >/dev/null &&
	fetch_roster cc served/big &&
	civic --home served/big network join "$(cat cc.net)" >/dev/null &&
	i=0 &&
	while test $i -lt 12; do
		{ echo "# Приложение $i" && echo && head -c 36000 /dev/urandom | base64 -w 76; } >body.md &&
		add_doc served/big "Отчет $i" --body body.md >/dev/null || break
		i=$((i + 1))
	done &&
	test $i = 12 &&
	new_node n "НПО Ново" treklyano &&
	civic --home cc member add --name "НПО Ново" --municipality treklyano --role ngo \
		--key "$(node_key n)" >/dev/null &&
	fetch_roster cc served/big && fetch_roster cc n &&
	civic --home n network join "$(cat cc.net)" >/dev/null &&
	timeout 60 git ls-remote "git://127.0.0.1:$PORT_DAEMON/big/archive.git" >ls &&
	grep -q "refs/civic/roster$" ls
'

cut_test 'git://: a sync cut off mid-pack fails in one line and changes nothing' '
	audit_sound n &&
	test_refused_cmd 128 n timeout 60 "$CIVIC" --home n sync "$CUT_URL" &&
	wait_lines 1 cut.log "^cut $CUT$" &&
	no_quarantine n &&
	audit_sound n
'

cut_test 'git://: a second cut sync fails the same way; no quarantine after the next write' '
	civic --home n peer add big "$CUT_URL" &&
	test_refused_cmd 128 n timeout 60 "$CIVIC" --home n sync big &&
	wait_lines 2 cut.log "^cut $CUT$" &&
	civic --home n peer list >out && grep -q "failed" out &&
	civic --home n peer remove big &&
	no_quarantine n &&
	audit_sound n
'

cut_test 'git://: --max-bytes cuts off a peer that sends too much, in one line' '
	test_refused_cmd 128 n timeout 60 "$CIVIC" --home n sync --max-bytes 100000 "$WIDE_URL" &&
	err_has "cut off" && err_has "100000" &&
	no_quarantine n && audit_sound n
'

# The cut-off line names what broke off, once: "fetching from 'PEER'".
cut_test 'git://: the cut-off line reads "fetching from '\''PEER'\''", not "from from"' '
	test_refused_cmd 128 n timeout 60 "$CIVIC" --home n sync --max-bytes 100000 "$WIDE_URL" &&
	! grep -q "from from" err
'

cut_test 'git://: through a wider link the sync completes and the archives match' '
	: >wide.log &&
	timeout 60 "$CIVIC" --home n sync "$WIDE_URL" >out 2>err &&
	cat out && test ! -s err &&
	grep -q "^  accepted     НПО Голямо (Дупница): 12 new records$" out &&
	wait_lines 1 wide.log "^done " &&
	test "$(grep "^done " wide.log | tail -n 1 | cut -d" " -f2)" -gt "$CUT" &&
	test "$(archive_refs n)" = "$(archive_refs served/big)" &&
	audit_sound n && git_in n fsck --strict --full && no_quarantine n
'

# When the link drops while civic sends a pack over git:// (or http://),
# libgit2 writes to a dead socket: civic ignores SIGPIPE, so this is exit 128
# and one "civic: pushing to ..." line, not a silent death by signal.
cut_test 'git://: a push to a relay cut off mid-pack leaves the relay as it was' '
	git init -q --bare served/relay.git &&
	civic --home n peer add cutrelay "git://127.0.0.1:$PORT_CUT/relay.git" --relay &&
	: >cut.log &&
	archive_state n >n.before &&
	{ timeout 60 "$CIVIC" --home n sync cutrelay >out 2>err; rc=$?; } &&
	cat out err cut.log && echo "exit status: $rc" &&
	test $rc = 128 && test_one_error_line err &&
	wait_lines 1 cut.log "^cut $CUT$" &&
	archive_state n >n.after && test_cmp_files n.before n.after &&
	test -z "$(git --git-dir served/relay.git for-each-ref)" &&
	no_quarantine n && audit_sound n
'

cut_test 'git://: the same push through the wider link completes' '
	civic --home n peer add relay "git://127.0.0.1:$PORT_WIDE/relay.git" --relay &&
	timeout 60 "$CIVIC" --home n sync relay >out 2>err &&
	cat out && test ! -s err &&
	remote_refs "git://127.0.0.1:$PORT_DAEMON/relay.git" >relay.refs &&
	all_refs n | LC_ALL=C sort >n.refs &&
	test_cmp_files n.refs relay.refs &&
	git --git-dir served/relay.git fsck --strict --full
'

# cut_http_test TITLE BODY: needs lighttpd, its proxy, and the big feed.
cut_http_test() {
	if [ "$HTTP_OK" != yes ]; then
		test_skip "$1" "$HTTP_WHY"
	else
		cut_test "$1" "$2"
	fi
}

# The same over http:// (git http-backend).
cut_http_test 'http: a push to a relay cut off mid-pack leaves the relay as it was' '
	git init -q --bare "$TEST_DIR/git/big-relay.git" &&
	git --git-dir "$TEST_DIR/git/big-relay.git" config http.receivepack true &&
	civic --home n peer add webcut "http://127.0.0.1:$PORT_HTTP_CUT/git/big-relay.git" --relay &&
	archive_state n >n.before &&
	{ timeout 60 "$CIVIC" --home n sync webcut >out 2>err; rc=$?; } &&
	cat out err httpcut.log && echo "exit status: $rc" &&
	wait_lines 1 httpcut.log "^cut $CUT$" &&
	test -z "$(git --git-dir "$TEST_DIR/git/big-relay.git" for-each-ref)" &&
	test $rc = 128 && test_one_error_line err &&
	archive_state n >n.after && test_cmp_files n.before n.after &&
	no_quarantine n && audit_sound n
'

cut_http_test 'http: the same push, straight to lighttpd, completes' '
	civic --home n peer add web "$HTTP_BASE/big-relay.git" --relay &&
	timeout 60 "$CIVIC" --home n sync web >out 2>err &&
	cat out && test ! -s err &&
	remote_refs "$HTTP_BASE/big-relay.git" >relay.refs &&
	all_refs n | LC_ALL=C sort >n.refs &&
	test_cmp_files n.refs relay.refs &&
	git --git-dir "$TEST_DIR/git/big-relay.git" fsck --strict --full
'

test_expect_success 'every server this script started is still running (none crashed)' '
	alive=yes &&
	for p in $SERVERS; do kill -0 "$p" || alive=no; done &&
	test $alive = yes
'

test_done
