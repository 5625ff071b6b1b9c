/* git_push.c - a push to a relay by stock git; see git_push.h. */
#include "git_push.h"
#include "buf.h"
#include "error.h"
#include "git_child.h"
#include "local_git.h"

#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What it printed on standard output is at most this: a line per ref. */
#define PORCELAIN_MAX (16 * 1024 * 1024)

/* How long a git push told to stop may take to end, with what it started. */
#define STOP_GRACE_MS 2000

/* One `git push` under way. */
typedef struct {
	civic_remote *r;
	pid_t pid;
	int out, err;            /* its standard output (--porcelain) and error */
	civic_buf porcelain;     /* what it printed on standard output */
	civic_git_lines lines;   /* its standard error, line by line */
	unsigned int done, total; /* "Writing objects:" */
	uint64_t bytes;
	int stopped;             /* the progress callback said stop */
	int overflow;            /* it printed more than PORCELAIN_MAX */
	int host_unknown, key_refused; /* what ssh said, among its lines */
	char fatal[256];         /* its first "fatal:" line */
	char last[256];          /* its last line that was not progress */
} push_child;

/* -------------------------------------------------------------------------
 * Which URLs, and how git reaches them
 */

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ssh_scheme(const char *url)
{
	return has_prefix(url, "ssh://") || has_prefix(url, "git+ssh://") || has_prefix(url, "ssh+git://");
}

int civic_git_push_url(const char *url)
{
	if (civic_local_git_url(url))
		return 0;
	if (strstr(url, "://"))
		return has_prefix(url, "git://") || has_prefix(url, "http://") || has_prefix(url, "https://") ||
		       ssh_scheme(url);
	return strstr(url, "::") == NULL; /* host:path; "helper::" would run a remote helper */
}

int civic_git_push_url_for_git(civic_buf *out, const char *url)
{
	const char *host = url, *end;

	if (ssh_scheme(url))
		host = strstr(url, "://") + 3;
	else if (strstr(url, "://"))
		return civic_buf_puts(out, url);
	end = host + strcspn(host, ssh_scheme(url) ? "/" : ":");
	if (memchr(host, '@', (size_t)(end - host)))
		return civic_buf_puts(out, url);
	return civic_buf_printf(out, "%.*sgit@%s", (int)(host - url), url, host);
}

/* s in single quotes, for the shell that runs GIT_SSH_COMMAND. */
static int shell_quote(civic_buf *out, const char *s)
{
	int error = civic_buf_putc(out, '\'');

	for (; *s && error == 0; s++)
		error = *s == '\'' ? civic_buf_puts(out, "'\\''") : civic_buf_putc(out, *s);
	return error == 0 ? civic_buf_putc(out, '\'') : error;
}

/* path with each '%' doubled: ssh expands %-tokens in the names of key and
 * known-hosts files, where "%%" is a '%'. */
static int percent_escaped(civic_buf *out, const char *path)
{
	int error = 0;

	for (; *path && error == 0; path++)
		error = *path == '%' ? civic_buf_puts(out, "%%") : civic_buf_putc(out, *path);
	return error;
}

/* -o 'NAME="PATHSUFFIX"', PATH with each '%' doubled: ssh splits a file
 * option's value at blanks unless it is in double quotes; the shell takes
 * the single quotes. */
static int file_option(civic_buf *out, const char *name, const char *path, const char *suffix)
{
	civic_buf value = CIVIC_BUF_INIT;
	int error = civic_buf_printf(&value, "%s=\"", name);

	if (error == 0)
		error = percent_escaped(&value, path);
	if (error == 0)
		error = civic_buf_printf(&value, "%s\"", suffix);
	if (error == 0)
		error = civic_buf_puts(out, " -o ");
	if (error == 0)
		error = shell_quote(out, value.ptr);
	civic_buf_dispose(&value);
	return error;
}

/* The key file: -i 'KEY' as it is named; but ssh looks for a file given
 * by -i under its name as given and then loads it with its %-tokens
 * expanded, so a name that holds a '%' goes as -o 'IdentityFile="KEY"'
 * instead (a name that also holds a double quote or a backslash cannot be
 * said to ssh that way, and goes as it is). */
static int identity_option(civic_buf *out, const char *key)
{
	int error;

	if (strchr(key, '%') && !strpbrk(key, "\"\\"))
		return file_option(out, "IdentityFile", key, "");
	error = civic_buf_puts(out, " -i ");
	return error == 0 ? shell_quote(out, key) : error;
}

/* OpenSSH as libgit2 reaches a peer (git_push.h). */
int civic_git_push_ssh_command(civic_buf *out, const civic_peer *peer)
{
	const char *home = getenv("HOME");
	int error = civic_buf_puts(out, "GIT_SSH_COMMAND=ssh -F /dev/null -o BatchMode=yes "
				   "-o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null");

	/* A home that holds a double quote or a backslash gets no such option
	 * (ssh then reads the known hosts of the home in the password database). */
	if (error == 0 && home && *home && !strpbrk(home, "\"\\"))
		error = file_option(out, "UserKnownHostsFile", home, "/.ssh/known_hosts");
	if (error == 0 && peer->ssh_key[0])
		error = civic_buf_puts(out, " -o IdentitiesOnly=yes -o IdentityAgent=none");
	if (error == 0 && peer->ssh_key[0])
		error = identity_option(out, peer->ssh_key);
	return error;
}

/* -------------------------------------------------------------------------
 * The command line
 */

/* --force-with-lease=dst:<expect>, empty when the relay holds none. */
static char *lease(const civic_git_push_ref *ref)
{
	char hex[GIT_OID_HEXSZ + 1] = "";
	civic_buf b = CIVIC_BUF_INIT;

	if (ref->expect)
		git_oid_tostr(hex, sizeof hex, ref->expect);
	if (civic_buf_printf(&b, "--force-with-lease=%s:%s", ref->dst, hex) < 0) {
		civic_buf_dispose(&b);
		return NULL;
	}
	return civic_buf_detach(&b);
}

/* <id>:dst: the value planned, whatever the ref names now. */
static char *refspec(const civic_git_push_ref *ref)
{
	char hex[GIT_OID_HEXSZ + 1];
	civic_buf b = CIVIC_BUF_INIT;

	git_oid_tostr(hex, sizeof hex, &ref->id);
	if (civic_buf_printf(&b, "%s:%s", hex, ref->dst) < 0) {
		civic_buf_dispose(&b);
		return NULL;
	}
	return civic_buf_detach(&b);
}

static const char *const fixed_args[] = {
	"git", NULL, /* --git-dir=... */
	"-c", "core.hooksPath=/dev/null", "-c", "push.gpgSign=false", "-c", "push.followTags=false",
	"-c", "push.recurseSubmodules=no",
	"push", "--porcelain", "--progress", "--no-verify",
};
#define FIXED_ARGS (sizeof fixed_args / sizeof fixed_args[0])

static void free_argv(char **argv)
{
	size_t i;

	if (!argv)
		return;
	free(argv[1]);
	for (i = FIXED_ARGS; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* git --git-dir=D -c ... push --porcelain --progress --no-verify
 * (leases) URL (refspecs) */
static char **push_argv(const char *git_dir, const char *url, const civic_git_push_ref *refs, size_t n)
{
	size_t count = FIXED_ARGS + 2 * n + 2, i, k = FIXED_ARGS;
	char **argv = calloc(count, sizeof *argv);
	civic_buf b = CIVIC_BUF_INIT;
	int ok = argv != NULL;

	if (!ok)
		return NULL;
	for (i = 0; i < FIXED_ARGS; i++)
		argv[i] = (char *)fixed_args[i];
	ok = civic_buf_printf(&b, "--git-dir=%s", git_dir) == 0 && (argv[1] = civic_buf_detach(&b)) != NULL;
	for (i = 0; ok && i < n; i++)
		ok = (argv[k++] = lease(&refs[i])) != NULL;
	ok = ok && civic_git_push_url_for_git(&b, url) == 0 && (argv[k++] = civic_buf_detach(&b)) != NULL;
	for (i = 0; ok && i < n; i++)
		ok = (argv[k++] = refspec(&refs[i])) != NULL;
	civic_buf_dispose(&b);
	if (!ok) {
		free_argv(argv);
		return NULL;
	}
	return argv;
}

/* -------------------------------------------------------------------------
 * What it says
 */

/* "Writing objects:  45% (19354/43008), 1.20 MiB | 2.30 MiB/s": the size
 * sent so far. */
static uint64_t bytes_written(const char *line)
{
	const char *p = strstr(line, "), ");
	double v;
	char unit[4] = "";

	if (!p || sscanf(p + 3, "%lf %3s", &v, unit) < 1 || v < 0)
		return 0;
	if (!strcmp(unit, "KiB"))
		v *= 1024.0;
	else if (!strcmp(unit, "MiB"))
		v *= 1024.0 * 1024.0;
	else if (!strcmp(unit, "GiB"))
		v *= 1024.0 * 1024.0 * 1024.0;
	return (uint64_t)v;
}

/* The caller's progress callback; a stop ends the child. */
static void report(push_child *c)
{
	if (c->stopped)
		return;
	if (civic_remote_progress(c->r, CIVIC_SYNC_PHASE_PUSH, c->done, c->total, c->bytes) < 0) {
		c->stopped = 1;
		if (c->pid > 0)
			kill(-c->pid, SIGTERM); /* its group: ssh, the http helper too */
	}
}

static void take_line(const char *line, void *payload)
{
	push_child *c = payload;
	unsigned int done, total;

	if (civic_git_progress_line(line, "Writing objects:", &done, &total)) {
		c->done = done, c->total = total;
		c->bytes = bytes_written(line);
		report(c);
	} else if (strchr(line, '%') && strrchr(line, '(') &&
		   civic_git_progress_line(strrchr(line, '('), "(", &done, &total)) {
		/* Counting, compressing, and the relay's "remote: Resolving
		 * deltas": work under way, not a link gone quiet. */
		report(c);
	} else {
		if (!c->fatal[0] && has_prefix(line, "fatal: "))
			snprintf(c->fatal, sizeof c->fatal, "%s", line + 7);
		if (strstr(line, "Host key verification failed"))
			c->host_unknown = 1;
		if (strstr(line, "Permission denied (publickey"))
			c->key_refused = 1;
		snprintf(c->last, sizeof c->last, "%s", line);
	}
}

/* Reads its standard output and error to their ends. A signal (the stall
 * timer) asks the progress callback, which may end it. */
static int read_child(push_child *c)
{
	char buf[4096];

	while (c->out >= 0 || c->err >= 0) {
		struct pollfd p[2] = { { c->out, POLLIN, 0 }, { c->err, POLLIN, 0 } };
		int k, ready;

		/* Once stopped, what it still says is not waited for long. */
		if ((ready = poll(p, 2, c->stopped ? STOP_GRACE_MS : -1)) == 0) {
			if (c->pid > 0)
				kill(-c->pid, SIGKILL);
			break;
		}
		if (ready < 0) {
			if (errno != EINTR) {
				civic_error_set_os("cannot wait for git push");
				return CIVIC_ERROR;
			}
			report(c);
			continue;
		}
		for (k = 0; k < 2; k++) {
			int *fd = k == 0 ? &c->out : &c->err;
			ssize_t n;
			if (*fd < 0 || !p[k].revents)
				continue;
			if ((n = read(*fd, buf, sizeof buf)) < 0 && errno == EINTR) {
				report(c);
				continue;
			}
			if (n <= 0) {
				close(*fd);
				*fd = -1;
			} else if (k == 1) {
				civic_git_lines_feed(&c->lines, buf, (size_t)n, take_line, c);
			} else if (c->overflow || c->porcelain.size + (size_t)n > PORCELAIN_MAX) {
				c->overflow = 1; /* the rest is dropped, not spliced */
			} else if (civic_buf_put(&c->porcelain, buf, (size_t)n) < 0) {
				return civic_error_nomem();
			}
		}
	}
	return 0;
}

/* The relay's word on one ref, from a line of --porcelain:
 * "<flag>\t<src>:<dst>\t<summary>", '!' flagging a ref not pushed. Lines
 * of refs not in this push are skipped: only the relay's answers count. */
static int take_ref_line(char *line, const civic_git_push_ref *refs, size_t n,
			 int (*status)(const char *dst, const char *why, void *data), void *data, size_t *refused)
{
	char *colon, *tab, *dst;
	const char *why;
	size_t i;

	if (!line[0] || line[1] != '\t' || !(colon = strchr(line + 2, ':')) || !(tab = strchr(colon, '\t')))
		return 0;
	*tab = '\0';
	dst = colon + 1;
	for (i = 0; i < n && strcmp(refs[i].dst, dst); i++)
		;
	if (i == n)
		return 0;
	if (line[0] != '!')
		return status(dst, NULL, data);
	(*refused)++;
	why = strstr(tab + 1, "(stale info)") ? dgettext("civic", "it changed on the relay since the sync last saw it")
					       : tab + 1;
	return status(dst, why, data);
}

int civic_git_push_porcelain(char *text, const civic_git_push_ref *refs, size_t n,
			     int (*status)(const char *dst, const char *why, void *data), void *data, size_t *refused)
{
	char *line = text, *end;
	int error = 0;

	*refused = 0;
	while (error == 0 && *line) {
		if ((end = strchr(line, '\n')))
			*end = '\0';
		error = take_ref_line(line, refs, n, status, data, refused);
		if (!end)
			break;
		line = end + 1;
	}
	return error;
}

static int no_status(const char *dst, const char *why, void *data)
{
	(void)dst, (void)why, (void)data;
	return 0;
}

/* Each ref line of what it printed, to push_status; how many it refused. */
static int take_porcelain(push_child *c, const civic_git_push_ref *refs, size_t n, size_t *refused)
{
	return civic_git_push_porcelain(c->porcelain.ptr, refs, n, c->r->push_status ? c->r->push_status : no_status,
					c->r->push_data, refused);
}

/* Why it failed, as civic_remote_error() words it for libgit2's pushes. */
static int push_failed(push_child *c, int status)
{
	const char *why = c->fatal[0] ? c->fatal : c->last;

	if (c->key_refused)
		c->r->key_offered = c->r->key_refused = 1;
	if (c->host_unknown)
		git_error_set(GIT_ERROR_SSH, "hostkey not in known_hosts");
	else if (WIFSIGNALED(status))
		git_error_set(GIT_ERROR_NET, "git push was stopped by signal %d", WTERMSIG(status));
	else if (why[0])
		git_error_set(GIT_ERROR_NET, "git push: %s", why);
	else
		git_error_set(GIT_ERROR_NET, "git push failed with exit code %d", WEXITSTATUS(status));
	return civic_remote_error(c->r, -1, "pushing to");
}

/* -------------------------------------------------------------------------
 * The child process
 */

static int spawn_push(push_child *c, char **argv)
{
	civic_buf ssh = CIVIC_BUF_INIT;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, error, k;
	char *env[] = {
		NULL, /* GIT_SSH_COMMAND */
		(char *)"GIT_CONFIG_NOSYSTEM=1", (char *)"GIT_CONFIG_GLOBAL=/dev/null",
		(char *)"GIT_TERMINAL_PROMPT=0", (char *)"GIT_ASKPASS=", (char *)"SSH_ASKPASS=",
		(char *)"GIT_ALLOW_PROTOCOL=git:ssh:http:https", NULL,
	};

	if (civic_git_push_ssh_command(&ssh, c->r->peer) < 0) {
		civic_buf_dispose(&ssh);
		return civic_error_nomem();
	}
	env[0] = ssh.ptr;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		civic_error_set_os("cannot run git push");
		error = CIVIC_ERROR;
	} else {
		civic_git_stdio io = { -1, out[1], err[1], NULL, env, 1 };
		if ((error = civic_git_spawn(&c->pid, argv, &io)) != 0) {
			errno = error;
			civic_error_set_os("cannot run git push");
			error = CIVIC_ERROR;
		} else {
			c->out = out[0], out[0] = -1;
			c->err = err[0], err[0] = -1;
		}
	}
	for (k = 0; k < 2; k++) {
		if (out[k] >= 0)
			close(out[k]);
		if (err[k] >= 0)
			close(err[k]);
	}
	civic_buf_dispose(&ssh);
	return error;
}

/* git push runs in a process group of its own, which a terminal's Ctrl-C
 * does not reach: while it runs, a signal that ends civic (Ctrl-C, a
 * hang-up, kill) is passed to the group first, lest it push on after civic
 * is gone and the node unlocked. One push at a time, from one thread. */
static const int forwarded[] = { SIGINT, SIGHUP, SIGTERM, SIGQUIT };
static struct sigaction before[sizeof forwarded / sizeof forwarded[0]];
static int installed[sizeof forwarded / sizeof forwarded[0]];
static volatile sig_atomic_t forward_to;

static void forward(int sig)
{
	size_t i;

	if (forward_to > 0)
		kill(-(pid_t)forward_to, sig);
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		if (forwarded[i] == sig)
			sigaction(sig, &before[i], NULL);
	raise(sig); /* what civic did with it before, once this returns */
}

static void forward_signals(int on)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
		if (on && sigaction(forwarded[i], NULL, &before[i]) == 0 && before[i].sa_handler != SIG_IGN)
			installed[i] = sigaction(forwarded[i], &sa, NULL) == 0;
		else if (!on && installed[i])
			sigaction(forwarded[i], &before[i], NULL), installed[i] = 0;
	}
	if (!on)
		forward_to = 0;
}

static int wait_child(push_child *c)
{
	int status = 0;

	if (c->pid > 0) {
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
		c->pid = 0;
	}
	return status;
}

int civic_git_push(civic_remote *r, const char *git_dir, const civic_git_push_ref *refs, size_t n)
{
	push_child c;
	char **argv = push_argv(git_dir, r->peer->url, refs, n);
	size_t refused = 0;
	int error, status;

	memset(&c, 0, sizeof c);
	c.r = r;
	c.out = c.err = -1;
	civic_buf_init(&c.porcelain);
	r->key_offered = r->key_refused = r->cancelled = 0;
	r->cut[0] = '\0';
	if (!argv)
		return civic_error_nomem();
	forward_signals(1);
	if ((error = civic_remote_progress(r, CIVIC_SYNC_PHASE_CONNECT, 0, 0, 0)) == 0 &&
	    (error = spawn_push(&c, argv)) == 0) {
		forward_to = c.pid;
		error = read_child(&c);
		if (error < 0 && c.pid > 0)
			kill(-c.pid, SIGTERM);
		status = wait_child(&c);
		forward_to = 0;
		if (error == 0 && (error = take_porcelain(&c, refs, n, &refused)) == 0 &&
		    (c.stopped || !WIFEXITED(status) || (WEXITSTATUS(status) != 0 && refused == 0)))
			error = push_failed(&c, status);
	}
	forward_signals(0);
	if (c.out >= 0)
		close(c.out);
	if (c.err >= 0)
		close(c.err);
	civic_buf_dispose(&c.porcelain);
	free_argv(argv);
	return error;
}
