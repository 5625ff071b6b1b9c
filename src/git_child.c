/* git_child.c - stock git as a child process; see git_child.h. */
#include "git_child.h"
#include "buf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* `git rev-parse --local-env-vars` (git 2.39), GIT_QUARANTINE_PATH (a
 * receive-pack's), the caller's choice of ssh, the locale's say in git's
 * messages, and what the caller sets itself (extra). */
static int left_out(const char *var, char *const *extra)
{
	static const char *const names[] = {
		"GIT_ALTERNATE_OBJECT_DIRECTORIES=", "GIT_CONFIG=", "GIT_CONFIG_PARAMETERS=", "GIT_CONFIG_COUNT=",
		"GIT_OBJECT_DIRECTORY=", "GIT_DIR=", "GIT_WORK_TREE=", "GIT_IMPLICIT_WORK_TREE=",
		"GIT_GRAFT_FILE=", "GIT_INDEX_FILE=", "GIT_NO_REPLACE_OBJECTS=", "GIT_REPLACE_REF_BASE=",
		"GIT_PREFIX=", "GIT_SHALLOW_FILE=", "GIT_COMMON_DIR=", "GIT_QUARANTINE_PATH=",
		"GIT_SSH=", "GIT_SSH_COMMAND=", "GIT_SSH_VARIANT=", "GIT_PROXY_COMMAND=", "GIT_SSL_NO_VERIFY=",
		"LANGUAGE=", "LC_ALL=", "LC_MESSAGES=",
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strncmp(var, names[i], strlen(names[i])))
			return 1;
	for (; extra && *extra; extra++) {
		const char *eq = strchr(*extra, '=');
		size_t n = eq ? (size_t)(eq - *extra) + 1 : strlen(*extra);
		if (!strncmp(var, *extra, n))
			return 1;
	}
	return 0;
}

/* GIT_ALTERNATE_OBJECT_DIRECTORIES=dir; C-quoted as git reads it when dir
 * holds the list's separator ':' or starts with a quote. */
static int alternate_var(civic_buf *out, const char *dir)
{
	const unsigned char *p;
	int error;

	if (!strchr(dir, ':') && dir[0] != '"')
		return civic_buf_printf(out, "GIT_ALTERNATE_OBJECT_DIRECTORIES=%s", dir);
	error = civic_buf_printf(out, "GIT_ALTERNATE_OBJECT_DIRECTORIES=\"");
	for (p = (const unsigned char *)dir; *p && error == 0; p++)
		error = *p == '"' || *p == '\\' ? civic_buf_printf(out, "\\%c", *p)
			: *p < 0x20 || *p == 0x7f ? civic_buf_printf(out, "\\%03o", *p)
			: civic_buf_putc(out, (char)*p);
	return error == 0 ? civic_buf_printf(out, "\"") : error;
}

/* The caller's environment, less what left_out() names, in the C locale,
 * with the alternate if there is one and the extra variables; NULL when
 * out of memory. */
static char **child_environment(const char *alternate, char *const *extra, civic_buf *alt_var)
{
	size_t n = 0, n_extra = 0, i, k = 0;
	char **env;

	while (environ[n])
		n++;
	while (extra && extra[n_extra])
		n_extra++;
	if (!(env = calloc(n + n_extra + 3, sizeof *env)))
		return NULL;
	for (i = 0; i < n; i++)
		if (!left_out(environ[i], extra))
			env[k++] = environ[i];
	for (i = 0; i < n_extra; i++)
		env[k++] = extra[i];
	env[k++] = (char *)"LC_ALL=C";
	if (alternate && *alternate) {
		if (alternate_var(alt_var, alternate) < 0) {
			free(env);
			return NULL;
		}
		env[k++] = alt_var->ptr;
	}
	env[k] = NULL;
	return env;
}

/* posix_spawnp() says ENOENT itself, but not where vfork is emulated by
 * fork (valgrind): there the child exits 127 instead. */
int civic_git_on_path(void)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[4096];

	for (p = path ? path : "/usr/bin:/bin"; ; p = end + 1) {
		size_t n;
		end = strchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		if (snprintf(file, sizeof file, "%.*s%sgit", (int)n, p, n ? "/" : "") < (int)sizeof file &&
		    access(file, X_OK) == 0)
			return 1;
		if (!end)
			return 0;
	}
}

static void stdio_action(posix_spawn_file_actions_t *fa, int from, int to)
{
	if (from >= 0)
		posix_spawn_file_actions_adddup2(fa, from, to);
	else
		posix_spawn_file_actions_addopen(fa, to, "/dev/null", to == 0 ? O_RDONLY : O_WRONLY, 0);
}

int civic_git_spawn(pid_t *pid, char *const argv[], const civic_git_stdio *io)
{
	civic_buf alt_var = CIVIC_BUF_INIT;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	char **env;
	int error;

	*pid = 0;
	if (!civic_git_on_path())
		return ENOENT;
	if (!(env = child_environment(io->alternate, io->env, &alt_var)))
		return ENOMEM;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					       (io->own_group ? POSIX_SPAWN_SETPGROUP : 0));
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawn_file_actions_init(&fa);
	stdio_action(&fa, io->in, 0);
	stdio_action(&fa, io->out, 1);
	stdio_action(&fa, io->err, 2);
	if ((error = posix_spawnp(pid, "git", &fa, &attr, argv, env)) != 0)
		*pid = 0;
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(env);
	civic_buf_dispose(&alt_var);
	return error;
}

size_t civic_git_read_output(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size - 1 && (n = read(fd, buf + got, size - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

void civic_git_lines_feed(civic_git_lines *l, const char *buf, size_t n, void (*take)(const char *line, void *payload),
			  void *payload)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\r' || buf[i] == '\n') {
			l->line[l->len] = '\0';
			if (l->len > 0)
				take(l->line, payload);
			l->len = 0;
		} else if (l->len < sizeof l->line - 1) {
			l->line[l->len++] = buf[i];
		}
	}
}

int civic_git_progress_line(const char *line, const char *label, unsigned int *done, unsigned int *total)
{
	const char *open = strrchr(line, '(');

	return !strncmp(line, label, strlen(label)) && open && sscanf(open, "(%u/%u)", done, total) == 2 &&
	       *done <= *total;
}
