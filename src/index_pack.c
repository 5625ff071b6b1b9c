/* index_pack.c - fetched packs indexed by stock git; see index_pack.h. */
#include "index_pack.h"
#include "buf.h"
#include "error.h"
#include "git_child.h"

#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
	const pack_writer *writer;
	git_indexer_progress_cb progress_cb;
	void *progress_payload;
	pid_t pid;
	int in;                     /* its standard input (a socket: EPIPE, not SIGPIPE) */
	int err;                    /* its standard error (progress, and why it failed) */
	int out;                    /* its standard output ("pack\t<hash>") */
	int stopped;                /* the progress callback said stop */
	unsigned char header[12];   /* "PACK", version, object count */
	size_t header_got;
	civic_git_lines lines;      /* its standard error, line by line */
	git_indexer_progress *stats; /* while its lines are read: the fetch's */
	char last[256];             /* its last line that was not progress */
	char name[GIT_OID_HEXSZ + 1]; /* the pack it wrote, once it said */
} pack_stream;

/* -------------------------------------------------------------------------
 * What git index-pack says (in the C locale: git_child.h)
 */

/* The caller's progress callback; a stop ends the child too. It is also
 * asked when a signal interrupts a wait on the child: the stall timer
 * (--timeout) then ends a child that stopped reading or saying how far it
 * is, while one that resolves deltas keeps it at bay with its progress. */
static int report(pack_stream *s, git_indexer_progress *stats)
{
	if (s->stopped || (s->progress_cb && s->progress_cb(stats, s->progress_payload) != 0)) {
		if (!s->stopped && s->pid > 0)
			kill(s->pid, SIGTERM);
		s->stopped = 1;
		return -1;
	}
	return 0;
}

/* "Receiving objects:  45% (19354/43008)" as the pack arrives, then
 * "Resolving deltas:  12% (2943/24527)" once it is in: how far it is. */
static void take_line(const char *line, void *payload)
{
	pack_stream *s = payload;
	git_indexer_progress *stats = s->stats;
	unsigned int done, total;

	if (civic_git_progress_line(line, "Receiving objects:", &done, &total)) {
		if (done <= stats->total_objects)
			stats->received_objects = done;
	} else if (civic_git_progress_line(line, "Resolving deltas:", &done, &total)) {
		stats->indexed_deltas = done;
		stats->total_deltas = total;
		/* Resolving is work, not a link gone quiet: the stall timer
		 * hears of it as of bytes received. */
		report(s, stats);
	} else if (strncmp(line, "Receiving objects:", 18) && strncmp(line, "Resolving deltas:", 17)) {
		snprintf(s->last, sizeof s->last, "%s", line);
	}
}

/* Reads what its standard error holds now (all of it, to the end, when
 * `until_end`), line by line. A signal (the stall timer) asks the
 * progress callback. */
static void read_messages(pack_stream *s, git_indexer_progress *stats, int until_end)
{
	char buf[4096];
	ssize_t n;

	while (s->err >= 0) {
		if ((n = read(s->err, buf, sizeof buf)) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { s->err, POLLIN, 0 };
			if (!until_end)
				break;
			if (poll(&p, 1, -1) < 0 && errno == EINTR)
				report(s, stats);
			continue;
		}
		if (n < 0 && errno == EINTR) {
			report(s, stats);
			continue;
		}
		if (n <= 0) {
			close(s->err);
			s->err = -1;
			break;
		}
		s->stats = stats;
		civic_git_lines_feed(&s->lines, buf, (size_t)n, take_line, s);
	}
}

/* Sends data to its standard input, reading its messages whenever it
 * writes some, so that neither waits for the other. */
static int send_all(pack_stream *s, const char *data, size_t len, git_indexer_progress *stats)
{
	while (len > 0 && !s->stopped) {
		struct pollfd p[2] = { { s->in, POLLOUT, 0 }, { s->err, POLLIN, 0 } };
		ssize_t n;

		if (poll(p, s->err >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR) {
				report(s, stats);
				continue;
			}
			git_error_set(GIT_ERROR_OS, "cannot wait for git index-pack");
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
	return s->stopped ? -1 : 0;
}

/* -------------------------------------------------------------------------
 * The child process
 */

/* git --git-dir=D -c (fsync) index-pack --stdin --fix-thin -v.
 * GIT_PASSTHROUGH, with no error, when there is no git to run. */
static int spawn_index_pack(pack_stream *s, const pack_writer *w)
{
	civic_buf dir_arg = CIVIC_BUF_INIT;
	int in[2] = { -1, -1 }, err[2] = { -1, -1 }, out[2] = { -1, -1 }, error = -1, k;
	char *argv[12];

	if (civic_buf_printf(&dir_arg, "--git-dir=%s", w->git_dir) < 0) {
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
	argv[9] = (char *)"-v"; /* progress, read by take_line() */
	argv[10] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0) {
		git_error_set(GIT_ERROR_OS, "cannot run git index-pack"); /* libgit2 adds why */
		goto done;
	}
	{
		civic_git_stdio io = { in[1], out[1], err[1], w->alternate, NULL, 0 };
		error = civic_git_spawn(&s->pid, argv, &io);
	}
	if (error == ENOENT) {
		error = GIT_PASSTHROUGH;
		goto done;
	}
	if (error != 0) {
		errno = error; /* what libgit2 adds for GIT_ERROR_OS */
		git_error_set(GIT_ERROR_OS, "cannot run git index-pack");
		error = -1;
		goto done;
	}
	s->in = in[0], in[0] = -1;
	s->err = err[0], err[0] = -1;
	s->out = out[0], out[0] = -1;
	fcntl(s->err, F_SETFL, O_NONBLOCK);
done:
	for (k = 0; k < 2; k++) {
		if (in[k] >= 0)
			close(in[k]);
		if (err[k] >= 0)
			close(err[k]);
		if (out[k] >= 0)
			close(out[k]);
	}
	civic_buf_dispose(&dir_arg);
	return error;
}

/* The name git index-pack printed, "pack\t<hash>\n", into s->name. */
static int read_pack_name(pack_stream *s)
{
	char line[128];

	if (s->out < 0)
		return -1;
	civic_git_read_output(s->out, line, sizeof line);
	if (strncmp(line, "pack\t", 5) || strspn(line + 5, "0123456789abcdef") != GIT_OID_HEXSZ)
		return -1;
	memcpy(s->name, line + 5, GIT_OID_HEXSZ);
	s->name[GIT_OID_HEXSZ] = '\0';
	return 0;
}

/* Ends its input, reads what it still says, and waits for it: its wait
 * status, and the name of the pack it wrote if it wrote one. */
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
	}
	if (read_pack_name(s) < 0)
		s->name[0] = '\0';
	return status;
}

/* Why git index-pack gave up, in one line. */
static void child_failed(const pack_stream *s, int status)
{
	if (s->stopped)
		git_error_set(GIT_ERROR_INDEXER, "the fetch was stopped");
	else if (WIFSIGNALED(status))
		git_error_set(GIT_ERROR_INDEXER, "git index-pack was stopped by signal %d", WTERMSIG(status));
	else if (s->last[0])
		git_error_set(GIT_ERROR_INDEXER, "git index-pack: %s", s->last);
	else if (WEXITSTATUS(status) != 0)
		git_error_set(GIT_ERROR_INDEXER, "git index-pack failed with exit code %d", WEXITSTATUS(status));
	else
		git_error_set(GIT_ERROR_INDEXER, "git index-pack named no pack it wrote");
}

/* What a pack that is not committed left in objects/pack: git's temporary
 * files (left on SIGTERM), and the pack itself when it was whole. */
static void remove_leftovers(const pack_stream *s)
{
	char dir[4200], path[4200 + 300];
	struct dirent *e;
	DIR *d;

	if (snprintf(dir, sizeof dir, "%sobjects/pack", s->writer->git_dir) >= (int)sizeof dir || !(d = opendir(dir)))
		return;
	while ((e = readdir(d)))
		if ((!strncmp(e->d_name, "tmp_pack_", 9) || !strncmp(e->d_name, "tmp_idx_", 8) ||
		     !strncmp(e->d_name, "tmp_rev_", 8) ||
		     (s->name[0] && !strncmp(e->d_name, "pack-", 5) && !strncmp(e->d_name + 5, s->name, GIT_OID_HEXSZ))) &&
		    snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
			unlink(path);
	closedir(d);
}

/* -------------------------------------------------------------------------
 * The writepack
 */

static int stream_append(git_odb_writepack *wp, const void *data, size_t size, git_indexer_progress *stats)
{
	pack_stream *s = (pack_stream *)wp;
	size_t take;

	if (s->in < 0 || s->stopped) {
		git_error_set(GIT_ERROR_INDEXER, "the pack was already given up");
		return -1;
	}
	if (s->header_got < sizeof s->header) {
		take = size < sizeof s->header - s->header_got ? size : sizeof s->header - s->header_got;
		memcpy(s->header + s->header_got, data, take);
		s->header_got += take;
		if (s->header_got == sizeof s->header)
			stats->total_objects = (unsigned int)s->header[8] << 24 | (unsigned int)s->header[9] << 16 |
					       (unsigned int)s->header[10] << 8 | s->header[11];
	}
	if (send_all(s, data, size, stats) < 0 || report(s, stats) < 0) {
		child_failed(s, finish_child(s, stats)); /* what it said says why */
		return s->stopped ? GIT_EUSER : -1;
	}
	return 0;
}

static int stream_commit(git_odb_writepack *wp, git_indexer_progress *stats)
{
	pack_stream *s = (pack_stream *)wp;
	int status = finish_child(s, stats);

	if (s->stopped || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !s->name[0]) {
		child_failed(s, status);
		return s->stopped ? GIT_EUSER : -1;
	}
	stats->received_objects = stats->indexed_objects = stats->total_objects;
	stats->indexed_deltas = stats->total_deltas;
	/* The last word on a pack that is whole and written, as libgit2's
	 * indexer gives at its end; a stop asked for now is heard next. */
	if (s->progress_cb)
		s->progress_cb(stats, s->progress_payload);
	s->name[0] = '\0'; /* it stays */
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
	 * must not become a pack, however whole it is. */
	if (s->pid > 0) {
		s->stopped = 1; /* the fetch is over: its callback hears no more */
		kill(s->pid, SIGTERM);
		finish_child(s, &ignored);
	}
	remove_leftovers(s);
	if (s->err >= 0)
		close(s->err);
	if (s->out >= 0)
		close(s->out);
	free(s);
}

/* Without git on PATH, libgit2's own pack backend takes the pack: thin
 * packs then cost what index_pack.h says, but the sync still works. */
static int writer_writepack(git_odb_writepack **out, git_odb_backend *backend, git_odb *odb,
			    git_indexer_progress_cb progress_cb, void *progress_payload)
{
	pack_stream *s = calloc(1, sizeof *s);
	int error;

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
	s->writer = (const pack_writer *)backend;
	s->progress_cb = progress_cb;
	s->progress_payload = progress_payload;
	s->in = s->err = s->out = -1;
	if ((error = spawn_index_pack(s, s->writer)) < 0) {
		free(s);
		return error;
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
