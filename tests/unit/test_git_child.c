/*
 * test_git_child.c - stock git as a child (src/git_child.h): it does not
 * see the caller's variables that name another repository, speaks in the C
 * locale, never sees the caller's choice of ssh, takes the variables it is
 * given over the caller's, finds the alternate it is given (quoted when its
 * path holds ':'), starts with no signal blocked, and is reported missing
 * as ENOENT.
 */
#include "helpers.h"
#include "fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "git_child.h"

/* What `git <alias>` prints, the alias being the shell command `cmd`,
 * run as civic runs git, with `alternate` and the variables `env`. */
static char *run_alias_with(const char *cmd, const char *alternate, char *const *env)
{
	char alias[512], *out = malloc(65536);
	char *argv[] = { (char *)"git", (char *)"-c", alias, (char *)"civictest", NULL };
	int fds[2], status = 0;
	pid_t pid;

	assert_non_null(out);
	snprintf(alias, sizeof alias, "alias.civictest=!%s", cmd);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	{
		civic_git_stdio io = { -1, fds[1], -1, alternate, env, 0 };
		assert_int_equal(civic_git_spawn(&pid, argv, &io), 0);
	}
	close(fds[1]);
	civic_git_read_output(fds[0], out, 65536);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return out;
}

static char *run_alias(const char *cmd, const char *alternate)
{
	return run_alias_with(cmd, alternate, NULL);
}

static void test_environment_names_no_other_repository(void **state)
{
	char *env;

	(void)state;
	setenv("GIT_DIR", "/elsewhere.git", 1);
	setenv("GIT_COMMON_DIR", "/elsewhere.git", 1);
	setenv("GIT_OBJECT_DIRECTORY", "/elsewhere.git/objects", 1);
	setenv("GIT_CONFIG_PARAMETERS", "'core.bare'='false'", 1);
	setenv("LANGUAGE", "bg", 1);
	setenv("CIVIC_TEST_KEPT", "да", 1);
	env = run_alias("env", NULL);
	unsetenv("GIT_DIR");
	unsetenv("GIT_COMMON_DIR");
	unsetenv("GIT_OBJECT_DIRECTORY");
	unsetenv("GIT_CONFIG_PARAMETERS");
	unsetenv("LANGUAGE");
	unsetenv("CIVIC_TEST_KEPT");
	assert_null(strstr(env, "elsewhere"));
	assert_null(strstr(env, "LANGUAGE="));
	assert_null(strstr(env, "GIT_CONFIG_PARAMETERS='core.bare'"));
	assert_non_null(strstr(env, "\nLC_ALL=C\n"));
	assert_non_null(strstr(env, "CIVIC_TEST_KEPT=да"));
	free(env);
}

/* The caller's choice of ssh never reaches git; what civic sets for a
 * push replaces the caller's value of the same name. */
static void test_ssh_is_civics_and_set_variables_replace_the_callers(void **state)
{
	char *const set[] = { (char *)"GIT_CONFIG_GLOBAL=/dev/null", (char *)"GIT_TERMINAL_PROMPT=0", NULL };
	char *env;

	(void)state;
	setenv("GIT_SSH_COMMAND", "ssh -o ProxyCommand=elsewhere", 1);
	setenv("GIT_SSH", "/usr/bin/elsewhere", 1);
	setenv("GIT_CONFIG_GLOBAL", "/home/user/.gitconfig-elsewhere", 1);
	env = run_alias_with("env", NULL, set);
	unsetenv("GIT_SSH_COMMAND");
	unsetenv("GIT_SSH");
	unsetenv("GIT_CONFIG_GLOBAL");
	assert_null(strstr(env, "elsewhere"));
	assert_non_null(strstr(env, "\nGIT_CONFIG_GLOBAL=/dev/null\n"));
	assert_non_null(strstr(env, "\nGIT_TERMINAL_PROMPT=0\n"));
	free(env);
}

static void test_alternate_is_quoted_when_it_holds_a_colon(void **state)
{
	char *env;

	(void)state;
	env = run_alias("env", "/tmp/a:b/objects");
	assert_non_null(strstr(env, "GIT_ALTERNATE_OBJECT_DIRECTORIES=\"/tmp/a:b/objects\"\n"));
	free(env);
	env = run_alias("env", "/tmp/plain/objects");
	assert_non_null(strstr(env, "GIT_ALTERNATE_OBJECT_DIRECTORIES=/tmp/plain/objects\n"));
	free(env);
}

/* civic's threads block every signal (thread.h); its children must not.
 * Seen in git's own /proc/PID/status while it waits for its input (git
 * unblocks signals for the commands it runs itself). */
static void test_child_starts_with_no_signal_blocked(void **state)
{
	char *argv[] = { (char *)"git", (char *)"hash-object", (char *)"--stdin", NULL };
	char path[64], *status = NULL;
	sigset_t block, old;
	int fds[2], wstatus;
	size_t len;
	pid_t pid;

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	{
		civic_git_stdio io = { fds[0], -1, -1, NULL, NULL, 0 };
		assert_int_equal(civic_git_spawn(&pid, argv, &io), 0);
	}
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	close(fds[0]);
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	usleep(200 * 1000); /* past its exec */
	status = fx_read_file(path, &len);
	close(fds[1]);
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	assert_non_null(strstr(status, "git"));
	assert_non_null(strstr(status, "SigBlk:\t0000000000000000"));
	free(status);
}

static void test_no_git_on_path_is_enoent(void **state)
{
	char *path = strdup(getenv("PATH"));
	char *argv[] = { (char *)"git", (char *)"--version", NULL };
	civic_git_stdio io = { -1, -1, -1, NULL, NULL, 0 };
	pid_t pid = 1;
	int error;

	(void)state;
	setenv("PATH", "/nonexistent", 1);
	error = civic_git_spawn(&pid, argv, &io);
	setenv("PATH", path, 1);
	free(path);
	assert_int_equal(error, ENOENT);
	assert_int_equal(pid, 0);
}

static void test_read_output_stops_at_the_buffer(void **state)
{
	char small[8];
	int fds[2];

	(void)state;
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(write(fds[1], "pack\t0123456789", 15), 15);
	close(fds[1]);
	assert_int_equal(civic_git_read_output(fds[0], small, sizeof small), 7);
	assert_string_equal(small, "pack\t01");
	close(fds[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_environment_names_no_other_repository),
		cmocka_unit_test(test_ssh_is_civics_and_set_variables_replace_the_callers),
		cmocka_unit_test(test_alternate_is_quoted_when_it_holds_a_colon),
		cmocka_unit_test(test_child_starts_with_no_signal_blocked),
		cmocka_unit_test(test_no_git_on_path_is_enoent),
		cmocka_unit_test(test_read_output_stops_at_the_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
