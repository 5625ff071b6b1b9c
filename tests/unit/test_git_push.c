/*
 * test_git_push.c - which relays stock git pushes to (src/git_push.h), and
 * the URL it is given: an ssh URL without a user gets user "git", as
 * libgit2 logs in. The pushes themselves, against a real git daemon, sshd
 * and git http-backend, are in tests/cli/t1275 and t1220.
 */
#include "helpers.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_urls_are_pushed_by_git),
		cmocka_unit_test(test_paths_and_helpers_are_not),
		cmocka_unit_test(test_ssh_without_a_user_logs_in_as_git),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
