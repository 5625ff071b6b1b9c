/*
 * test_git_push.c - which relays stock git pushes to (src/git_push.h); the
 * URL it is given (an ssh URL without a user gets user "git", as libgit2
 * logs in); the ssh it runs, as stock `ssh -G` reads it; and the relay's
 * word on each ref, read from `git push --porcelain`. The pushes
 * themselves, against a real git daemon, sshd and git http-backend, are in
 * tests/cli/t1275 and t1220.
 */
#include "helpers.h"

#include <sys/wait.h>

#include "git_push.h"

static void test_network_urls_are_pushed_by_git(void **state)
{
	(void)state;
	assert_true(civic_git_push_url("git://127.0.0.1:9418/archive.git"));
	assert_true(civic_git_push_url("ssh://git@center.example.org/srv/archive.git"));
	assert_true(civic_git_push_url("git+ssh://center.example.org/archive.git"));
	assert_true(civic_git_push_url("ssh+git://center.example.org/archive.git"));
	assert_true(civic_git_push_url("https://center.example.org/archive.git"));
	assert_true(civic_git_push_url("http://127.0.0.1:8080/archive.git"));
	assert_true(civic_git_push_url("git@center.example.org:archive.git"));
	assert_true(civic_git_push_url("center.example.org:archive.git"));
}

static void test_paths_and_helpers_are_not(void **state)
{
	(void)state;
	assert_false(civic_git_push_url("/media/usb/archive.git"));
	assert_false(civic_git_push_url("file:///media/usb/archive.git"));
	assert_false(civic_git_push_url("./relay:one.git"));
	assert_false(civic_git_push_url("relay.git"));
	/* git's remote helpers (ext:: runs a command) and schemes libgit2 has not */
	assert_false(civic_git_push_url("ext::sh -c touch% /tmp/owned"));
	assert_false(civic_git_push_url("fd::3"));
	assert_false(civic_git_push_url("ftp://center.example.org/archive.git"));
}

static void check_url(const char *given, const char *want)
{
	civic_buf b = CIVIC_BUF_INIT;

	assert_int_equal(civic_git_push_url_for_git(&b, given), 0);
	assert_string_equal(b.ptr, want);
	civic_buf_dispose(&b);
}

static void test_ssh_without_a_user_logs_in_as_git(void **state)
{
	(void)state;
	check_url("ssh://center.example.org/srv/archive.git", "ssh://git@center.example.org/srv/archive.git");
	check_url("ssh://center.example.org:2222/a.git", "ssh://git@center.example.org:2222/a.git");
	check_url("ssh://npo@center.example.org/a.git", "ssh://npo@center.example.org/a.git");
	check_url("git+ssh://center.example.org/a.git", "git+ssh://git@center.example.org/a.git");
	check_url("center.example.org:archive.git", "git@center.example.org:archive.git");
	check_url("npo@center.example.org:archive.git", "npo@center.example.org:archive.git");
	/* an '@' in the path is not a user */
	check_url("ssh://center.example.org/home/a@b/x.git", "ssh://git@center.example.org/home/a@b/x.git");
	check_url("center.example.org:a@b.git", "git@center.example.org:a@b.git");
	/* other schemes as given */
	check_url("git://127.0.0.1/a.git", "git://127.0.0.1/a.git");
	check_url("https://center.example.org/a.git", "https://center.example.org/a.git");
}

/* What `git push --porcelain` printed, as git 2.39 prints it. */
#define HEX_A "1111111111111111111111111111111111111111"
#define HEX_B "2222222222222222222222222222222222222222"

typedef struct {
	char said[8][160];
	size_t n;
} statuses;

static int collect(const char *dst, const char *why, void *data)
{
	statuses *st = data;

	assert_true(st->n < 8);
	snprintf(st->said[st->n++], sizeof st->said[0], "%s %s", dst, why ? why : "ok");
	return 0;
}

static void test_porcelain_gives_each_ref_its_word(void **state)
{
	char text[] = "To git://127.0.0.1/relay.git\n"
		      "*\t" HEX_A ":refs/civic/roster\t[new reference]\n"
		      "+\t" HEX_A ":refs/civic/feeds/a\t1111111...2222222 (forced update)\n"
		      "=\t" HEX_B ":refs/civic/state/a\t[up to date]\n"
		      "!\t" HEX_B ":refs/civic/feeds/b\t[rejected] (stale info)\n"
		      "!\t" HEX_B ":refs/civic/feeds/c\t[remote rejected] (pre-receive hook declined)\n"
		      " \t" HEX_B ":refs/civic/feeds/not-ours\t1111111..2222222\n"
		      "Done\n"
		      " \t" HEX_A ":refs/civic/feeds/d\t1111111..2222222";
	civic_git_push_ref refs[6];
	const char *dsts[] = { "refs/civic/roster", "refs/civic/feeds/a", "refs/civic/state/a",
			       "refs/civic/feeds/b", "refs/civic/feeds/c", "refs/civic/feeds/d" };
	statuses st;
	size_t i, refused = 0;

	(void)state;
	memset(&st, 0, sizeof st);
	memset(refs, 0, sizeof refs);
	for (i = 0; i < 6; i++)
		refs[i].dst = dsts[i];
	assert_int_equal(civic_git_push_porcelain(text, refs, 6, collect, &st, &refused), 0);
	assert_int_equal(refused, 2);
	assert_int_equal(st.n, 6);
	assert_string_equal(st.said[0], "refs/civic/roster ok");
	assert_string_equal(st.said[1], "refs/civic/feeds/a ok");
	assert_string_equal(st.said[2], "refs/civic/state/a ok");
	assert_string_equal(st.said[3], "refs/civic/feeds/b it changed on the relay since the sync last saw it");
	assert_string_equal(st.said[4], "refs/civic/feeds/c [remote rejected] (pre-receive hook declined)");
	assert_string_equal(st.said[5], "refs/civic/feeds/d ok"); /* a last line without its newline */
}

static void test_porcelain_without_ref_lines_says_nothing(void **state)
{
	char text[] = "To git://127.0.0.1/relay.git\nfatal: the remote end hung up unexpectedly\n";
	civic_git_push_ref ref = { "refs/civic/roster", { { 0 } }, NULL };
	statuses st;
	size_t refused = 7;

	(void)state;
	memset(&st, 0, sizeof st);
	assert_int_equal(civic_git_push_porcelain(text, &ref, 1, collect, &st, &refused), 0);
	assert_int_equal(refused, 0);
	assert_int_equal(st.n, 0);
}

/* What `ssh -G` (stock OpenSSH, reading its options, connecting nowhere)
 * makes of the command the push runs, with a home that holds a blank and
 * a '%'. */
static void test_ssh_is_what_libgit2_would_use(void **state)
{
	civic_peer peer;
	civic_buf cmd = CIVIC_BUF_INIT, line = CIVIC_BUF_INIT;
	char *out = malloc(65536);
	const char *home = getenv("HOME");
	char *saved = home ? strdup(home) : NULL;
	FILE *p;
	size_t got;

	(void)state;
	assert_non_null(out);
	if (system("command -v ssh >/dev/null 2>&1") != 0) {
		free(out);
		free(saved);
		skip();
	}
	civic_peer_init(&peer, "center", "ssh://center.example.org/srv/archive.git");
	snprintf(peer.ssh_key, sizeof peer.ssh_key, "/tmp/civic test key 100%%");
	setenv("HOME", "/tmp/civic test 100%done", 1);
	assert_int_equal(civic_git_push_ssh_command(&cmd, &peer), 0);
	if (saved)
		setenv("HOME", saved, 1);
	else
		unsetenv("HOME");
	assert_true(!strncmp(cmd.ptr, "GIT_SSH_COMMAND=", 16));
	assert_int_equal(civic_buf_printf(&line, "%s -G center.example.org 2>/dev/null", cmd.ptr + 16), 0);
	assert_non_null(p = popen(line.ptr, "r"));
	got = fread(out, 1, 65535, p);
	out[got] = '\0';
	assert_int_equal(WEXITSTATUS(pclose(p)), 0);
	assert_non_null(strstr(out, "\nbatchmode yes\n"));
	assert_non_null(strstr(out, "\nstricthostkeychecking true\n"));
	assert_non_null(strstr(out, "\nidentitiesonly yes\n"));
	assert_non_null(strstr(out, "\nidentityagent none\n"));
	assert_non_null(strstr(out, "\nuserknownhostsfile /tmp/civic test 100%done/.ssh/known_hosts\n"));
	assert_non_null(strstr(out, "\nglobalknownhostsfile /dev/null\n"));
	/* -G shows the name before its %-tokens are expanded, as ssh loads it
	 * (t1220 pushes over ssh with such a key) */
	assert_non_null(strstr(out, "\nidentityfile /tmp/civic test key 100%%\n"));
	civic_buf_dispose(&cmd);
	civic_buf_dispose(&line);
	civic_peer_dispose(&peer);
	free(saved);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_urls_are_pushed_by_git),
		cmocka_unit_test(test_paths_and_helpers_are_not),
		cmocka_unit_test(test_ssh_without_a_user_logs_in_as_git),
		cmocka_unit_test(test_porcelain_gives_each_ref_its_word),
		cmocka_unit_test(test_porcelain_without_ref_lines_says_nothing),
		cmocka_unit_test(test_ssh_is_what_libgit2_would_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
