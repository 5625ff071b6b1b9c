/* index_pack.c - fetched packs indexed by stock git; see index_pack.h. */
#include "index_pack.h"
#include "buf.h"
#include "error.h"

#include <git2/sys/odb_backend.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* An odb backend that only writes packs: it takes no part in reads. */
typedef struct {
	git_odb_backend parent;
	char *git_dir;
	char *alternate;
} pack_writer;

/* One pack on its way into `git index-pack`. */
typedef struct {
	git_odb_writepack parent;
	git_odb *odb;
	git_indexer_progress_cb progress_cb;
	void *progress_payload;
	pid_t pid;
	int in;                     /* its standard input (a socket: EPIPE, not SIGPIPE) */
	int err;                    /* its standard error (progress, and why it failed) */
	int out;                    /* its standard output ("pack\t<hash>") */
	unsigned char header[12];   /* "PACK", version, object count */
	size_t header_got;
	char line[256];             /* the standard error line being read */
	size_t line_len;
	char last[256];             /* its last line that was not progress */
} pack_stream;

/* -------------------------------------------------------------------------
 * What git index-pack says
 */

/* "Receiving objects:  45% (19354/43008)": how many have come. */
static void take_progress(pack_stream *s, git_indexer_progress *stats)
{
	static const char title[] = "Receiving objects:";
	const char *open = strrchr(s->line, '(');
	unsigned int done, total;

	if (strncmp(s->line, title, sizeof title - 1) == 0) {
		if (open && sscanf(open, "(%u/%u)", &done, &total) == 2 && done <= stats->total_objects)
			stats->received_objects = done;
	} else if (strncmp(s->line, "Resolving deltas:", 17) != 0 && s->line_len > 0) {
		snprintf(s->last, sizeof s->last, "%s", s->line);
	}
}

/* Reads what its standard error holds now (all of it when `until_end`),
 * line by line: progress lines end in '\r', the rest in '\n'. */
static void read_messages(pack_stream *s, git_indexer_progress *stats, int until_end)
{
	char buf[4096];
	ssize_t n, i;

	while (s->err >= 0) {
		if ((n = read(s->err, buf, sizeof buf)) < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && until_end) {
			struct pollfd p = { s->err, POLLIN, 0 };
			poll(&p, 1, -1);
			continue;
		}
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
				close(s->err);
				s->err = -1;
			}
			break;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] == '\r' || buf[i] == '\n') {
				s->line[s->line_len] = '\0';
				take_progress(s, stats);
				s->line_len = 0;
			} else if (s->line_len < sizeof s->line - 1) {
				s->line[s->line_len++] = buf[i];
			}
		}
	}
}

/* Sends data to its standard input, reading its messages whenever it
 * writes some, so that neither waits for the other. */
static int send_all(pack_stream *s, const char *data, size_t len, git_indexer_progress *stats)
{
	while (len > 0) {
		struct pollfd p[2] = { { s->in, POLLOUT, 0 }, { s->err, POLLIN, 0 } };
		ssize_t n;

		if (poll(p, s->err >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			git_error_set(GIT_ERROR_OS, "cannot wait for git index-pack: %s", strerror(errno));
			return -1;
		}
		if (p[1].revents)
			read_messages(s, stats, 0);
		if (!(p[0].revents & (POLLOUT | POLLERR | POLLHUP)))
			continue;
		if ((n = send(s->in, data, len, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return -1; /* it stopped reading (EPIPE): it exited */
		}
		data += n, len -= (size_t)n;
	}
	return 0;
}

/* -------------------------------------------------------------------------
 * The child process
 */

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

/* The environment, without what would point git at other objects, plus
 * the alternate the repository sees only in memory. */
static char **child_environment(const char *alternate, civic_buf *alt_var)
{
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n])
		n++;
	if (!(env = calloc(n + 2, sizeof *env)))
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "GIT_OBJECT_DIRECTORY=", 21) &&
		    strncmp(environ[i], "GIT_ALTERNATE_OBJECT_DIRECTORIES=", 33) &&
		    strncmp(environ[i], "GIT_DIR=", 8) && strncmp(environ[i], "GIT_QUARANTINE_PATH=", 20))
			env[k++] = environ[i];
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

/* git --git-dir=D -c (fsync) index-pack --stdin --fix-thin -v */
static int spawn_index_pack(pack_stream *s, const pack_writer *w)
{
	civic_buf dir_arg = CIVIC_BUF_INIT, alt_var = CIVIC_BUF_INIT;
	posix_spawn_file_actions_t fa;
	int in[2] = { -1, -1 }, err[2] = { -1, -1 }, out[2] = { -1, -1 }, error = -1, k;
	char **env = NULL;
	char *argv[12];

	if (civic_buf_printf(&dir_arg, "--git-dir=%s", w->git_dir) < 0 ||
	    !(env = child_environment(w->alternate, &alt_var))) {
		git_error_set_oom();
		goto done;
	}
	argv[0] = (char *)"git";
	argv[1] = dir_arg.ptr;
	/* The pack is moved into the archive as it is (civic_quarantine_adopt):
	 * it and its index reach the disk first. */
	argv[2] = (char *)"-c";
	argv[3] = (char *)"core.fsync=objects,derived-metadata";
	argv[4] = (char *)"-c";
	argv[5] = (char *)"core.fsyncMethod=fsync";
	argv[6] = (char *)"index-pack";
	argv[7] = (char *)"--stdin";
	argv[8] = (char *)"--fix-thin";
	argv[9] = (char *)"-v"; /* progress, read by take_progress() */
	argv[10] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0) {
		git_error_set(GIT_ERROR_OS, "cannot run git index-pack: %s", strerror(errno));
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[1], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	error = posix_spawnp(&s->pid, "git", &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (error != 0) {
		git_error_set(GIT_ERROR_OS, "cannot run git index-pack: %s", strerror(error));
		s->pid = 0;
		error = -1;
		goto done;
	}
	s->in = in[0], in[0] = -1;
	s->err = err[0], err[0] = -1;
	s->out = out[0], out[0] = -1;
	fcntl(s->err, F_SETFL, O_NONBLOCK);
	error = 0;
done:
	for (k = 0; k < 2; k++) {
		if (in[k] >= 0)
			close(in[k]);
		if (err[k] >= 0)
			close(err[k]);
		if (out[k] >= 0)
			close(out[k]);
	}
	free(env);
	civic_buf_dispose(&alt_var);
	civic_buf_dispose(&dir_arg);
	return error;
}

/* Ends its input, reads what it still says, and waits for it: its exit
 * status, or -1 when it did not exit by itself. */
static int finish_child(pack_stream *s, git_indexer_progress *stats)
{
	int status = 0;

	if (s->in >= 0) {
		close(s->in);
		s->in = -1;
	}
	read_messages(s, stats, 1);
	if (s->pid > 0) {
		while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
			;
		s->pid = 0;
		return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	return -1;
}

/* -------------------------------------------------------------------------
 * The writepack
 */

/* Why git index-pack gave up, in one line: its last message, else its
 * exit status. */
static void child_failed(const pack_stream *s, int status)
{
	if (s->last[0])
		git_error_set(GIT_ERROR_INDEXER, "git index-pack: %s", s->last);
	else if (status > 0)
		git_error_set(GIT_ERROR_INDEXER, "git index-pack failed with exit code %d", status);
	else
		git_error_set(GIT_ERROR_INDEXER, "git index-pack did not finish");
}

static int stream_append(git_odb_writepack *wp, const void *data, size_t size, git_indexer_progress *stats)
{
	pack_stream *s = (pack_stream *)wp;
	size_t take;

	if (s->header_got < sizeof s->header) {
		take = size < sizeof s->header - s->header_got ? size : sizeof s->header - s->header_got;
		memcpy(s->header + s->header_got, data, take);
		s->header_got += take;
		if (s->header_got == sizeof s->header)
			stats->total_objects = (unsigned int)s->header[8] << 24 | (unsigned int)s->header[9] << 16 |
					       (unsigned int)s->header[10] << 8 | s->header[11];
	}
	if (send_all(s, data, size, stats) < 0) {
		/* It stopped reading: what it said says why. */
		child_failed(s, finish_child(s, stats));
		return -1;
	}
	if (s->progress_cb && s->progress_cb(stats, s->progress_payload) != 0) {
		git_error_set(GIT_ERROR_INDEXER, "the fetch was stopped");
		return GIT_EUSER;
	}
	return 0;
}

/* The hash git index-pack printed: "pack\t<hash>\n". */
static int read_pack_name(pack_stream *s)
{
	char line[128];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof line - 1 && (n = read(s->out, line + got, sizeof line - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	line[got] = '\0';
	return (strncmp(line, "pack\t", 5) == 0 || strncmp(line, "keep\t", 5) == 0) &&
	       strspn(line + 5, "0123456789abcdef") == GIT_OID_HEXSZ ? 0 : -1;
}

static int stream_commit(git_odb_writepack *wp, git_indexer_progress *stats)
{
	pack_stream *s = (pack_stream *)wp;
	int status = finish_child(s, stats);

	if (status != 0 || read_pack_name(s) < 0) {
		child_failed(s, status);
		return -1;
	}
	stats->received_objects = stats->indexed_objects = stats->total_objects;
	/* The new pack, for what reads the repository next. */
	return git_odb_refresh(s->odb);
}

static void stream_free(git_odb_writepack *wp)
{
	pack_stream *s = (pack_stream *)wp;
	git_indexer_progress ignored = { 0 };

	if (!s)
		return;
	/* Not committed: a fetch that broke off or was stopped. What came
	 * must not become a pack, however whole it is; stock git removes its
	 * temporary files on SIGTERM. */
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		finish_child(s, &ignored);
	}
	if (s->err >= 0)
		close(s->err);
	if (s->out >= 0)
		close(s->out);
	free(s);
}

static int writer_writepack(git_odb_writepack **out, git_odb_backend *backend, git_odb *odb,
			    git_indexer_progress_cb progress_cb, void *progress_payload)
{
	pack_stream *s = calloc(1, sizeof *s);

	*out = NULL;
	if (!s) {
		git_error_set_oom();
		return -1;
	}
	s->parent.backend = backend;
	s->parent.append = stream_append;
	s->parent.commit = stream_commit;
	s->parent.free = stream_free;
	s->odb = odb;
	s->progress_cb = progress_cb;
	s->progress_payload = progress_payload;
	s->in = s->err = s->out = -1;
	if (spawn_index_pack(s, (pack_writer *)backend) < 0) {
		free(s);
		return -1;
	}
	*out = &s->parent;
	return 0;
}

static void writer_free(git_odb_backend *backend)
{
	pack_writer *w = (pack_writer *)backend;

	free(w->git_dir);
	free(w->alternate);
	free(w);
}

/* Above libgit2's own pack backend (priority 2), which would index the
 * pack itself. */
#define PACK_WRITER_PRIORITY 100

int civic_index_pack_use(git_repository *repo, const char *alternate)
{
	pack_writer *w = calloc(1, sizeof *w);
	git_odb *odb = NULL;
	int error;

	CIVIC_ERROR_CHECK_ALLOC(w);
	w->parent.version = GIT_ODB_BACKEND_VERSION;
	w->parent.writepack = writer_writepack;
	w->parent.free = writer_free;
	w->git_dir = strdup(git_repository_path(repo));
	w->alternate = alternate ? strdup(alternate) : NULL;
	if (!w->git_dir || (alternate && !w->alternate)) {
		writer_free(&w->parent);
		return civic_error_nomem();
	}
	if ((error = git_repository_odb(&odb, repo)) == 0)
		error = git_odb_add_backend(odb, &w->parent, PACK_WRITER_PRIORITY);
	if (error < 0)
		writer_free(&w->parent); /* the odb took it only if it was added */
	git_odb_free(odb);
	return error < 0 ? civic_error_from_git(error, "cannot set up the fetch's pack") : 0;
}
