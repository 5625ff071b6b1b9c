/* local_git.c - fetching from a local repository through git upload-pack; see local_git.h. */
#include "local_git.h"
#include "error.h"
#include "git_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


typedef struct local_sub local_sub;

/* One child: git upload-pack. */
typedef struct {
	git_smart_subtransport_stream parent;
	local_sub *sub;
	pid_t pid;
	int fd; /* a socket, the child's standard input and output: a child
		 * that went away gives EPIPE, not a SIGPIPE to the caller */
} local_stream;

struct local_sub {
	git_smart_subtransport parent;
	local_stream *current; /* the listing and the transfer share one child */
};

int civic_local_git_url(const char *url)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

	if (!strncmp(url, "file://", 7))
		return 1;
	if (strstr(url, "://"))
		return 0;
	/* scp-like "host:path" is ssh; a colon after a slash is part of a path. */
	return !colon || (slash && slash < colon);
}

static const char *url_path(const char *url)
{
	return !strncmp(url, "file://", 7) ? url + 7 : url;
}

static int stream_read(git_smart_subtransport_stream *stream, char *buffer, size_t size, size_t *got)
{
	local_stream *s = (local_stream *)stream;
	ssize_t n = recv(s->fd, buffer, size, 0);

	/* EINTR too: the stall timer (SIGALRM) ends a read that hangs, as it
	 * ends a socket's. */
	if (n < 0) {
		git_error_set(GIT_ERROR_OS, "cannot read from git upload-pack"); /* libgit2 adds why */
		return -1;
	}
	*got = (size_t)n;
	return 0;
}

static int stream_write(git_smart_subtransport_stream *stream, const char *request, size_t request_len)
{
	local_stream *s = (local_stream *)stream;
	const char *buffer;
	size_t len = request_len;
	int error = 0;

	for (buffer = request; len > 0 && error == 0;) {
		ssize_t n = send(s->fd, buffer, len, MSG_NOSIGNAL);
		if (n < 0) {
			git_error_set(GIT_ERROR_OS, "cannot write to git upload-pack");
			error = -1;
		} else {
			buffer += n;
			len -= (size_t)n;
		}
	}
	return error;
}

/* The child has its input closed and goes; one that does not within a
 * second (a stick that hangs) is killed, so that civic never waits on it. */
static void reap(pid_t pid)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int i, status;

	for (i = 0; i < 100; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return;
		nanosleep(&pause, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

static void stream_free(git_smart_subtransport_stream *stream)
{
	local_stream *s = (local_stream *)stream;

	if (s->fd >= 0)
		close(s->fd);
	if (s->pid > 0)
		reap(s->pid);
	if (s->sub->current == s)
		s->sub->current = NULL;
	free(s);
}

/* Runs `git <service> <path>` on one end of a socket pair, its standard
 * error to /dev/null (civic says what failed, in one line). */
static int spawn(local_stream *s, const char *service, const char *url)
{
	const char *path = url_path(url);
	char *dir = malloc(strlen(path) + 3);
	char *argv[8];
	int sv[2] = { -1, -1 }, error = -1;

	if (!dir) {
		git_error_set_oom();
		return -1;
	}
	/* A path that starts with '-' is not taken for an option. */
	snprintf(dir, strlen(path) + 3, "%s%s", path[0] == '-' ? "./" : "", path);
	/* The stick is not trusted: no hooks of its own run, and its owner
	 * (another machine's user, on a stick) does not matter to a fetch,
	 * which upload-pack is made to serve from any repository. */
	argv[0] = (char *)"git";
	argv[1] = (char *)"-c";
	argv[2] = (char *)"core.hooksPath=/dev/null";
	argv[3] = (char *)"-c";
	argv[4] = (char *)"safe.directory=*";
	argv[5] = (char *)service;
	argv[6] = dir;
	argv[7] = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		git_error_set(GIT_ERROR_OS, "cannot make a socket pair");
		goto done;
	}
	{
		civic_git_stdio io = { sv[1], sv[1], -1, NULL, NULL, 0 };
		error = civic_git_spawn(&s->pid, argv, &io);
	}
	if (error != 0) {
		errno = error; /* what libgit2 adds for GIT_ERROR_OS */
		git_error_set(GIT_ERROR_OS, "cannot run git %s", service);
		error = -1;
		goto done;
	}
	s->fd = sv[0];
	sv[0] = -1;
done:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(dir);
	return error;
}

static int sub_action(git_smart_subtransport_stream **out, git_smart_subtransport *transport, const char *url,
		      git_smart_service_t action)
{
	local_sub *t = (local_sub *)transport;
	local_stream *s;

	if (action == GIT_SERVICE_RECEIVEPACK_LS || action == GIT_SERVICE_RECEIVEPACK) {
		git_error_set(GIT_ERROR_NET, "a push to a path does not go through git receive-pack");
		return -1;
	}
	/* The listing's child carries the transfer that follows it. */
	if (action == GIT_SERVICE_UPLOADPACK && t->current) {
		*out = &t->current->parent;
		return 0;
	}
	if (!(s = calloc(1, sizeof *s))) {
		git_error_set_oom();
		return -1;
	}
	s->parent.subtransport = transport;
	s->parent.read = stream_read;
	s->parent.write = stream_write;
	s->parent.free = stream_free;
	s->sub = t;
	s->fd = -1;
	if (spawn(s, "upload-pack", url) < 0) {
		free(s);
		return -1;
	}
	t->current = s;
	*out = &s->parent;
	return 0;
}

static int sub_close(git_smart_subtransport *transport)
{
	(void)transport;
	return 0;
}

static void sub_free(git_smart_subtransport *transport)
{
	local_sub *t = (local_sub *)transport;

	if (t->current)
		stream_free(&t->current->parent);
	free(t);
}

int civic_local_git_subtransport(git_smart_subtransport **out, git_transport *owner, void *param)
{
	local_sub *t = calloc(1, sizeof *t);

	(void)owner;
	(void)param;
	if (!t) {
		git_error_set_oom();
		return -1;
	}
	t->parent.action = sub_action;
	t->parent.close = sub_close;
	t->parent.free = sub_free;
	*out = &t->parent;
	return 0;
}
