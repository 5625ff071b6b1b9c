/* tcp_stream.c - TCP under libgit2's transports; see tcp_stream.h. */
#include "tcp_stream.h"
#include "error.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The first four fields are those of libgit2's private git_socket_stream,
 * in its order: libgit2 1.5's ssh transport takes the standard stream it
 * asked for as one (GIT_CONTAINER_OF(io, git_socket_stream, parent)) and
 * hands `s` to libssh2. tests/unit/test_tcp_stream.c checks the layout. */
typedef struct {
	git_stream parent;
	char *host;
	char *port;
	int s;
} tcp_stream;

static void set_option(int s, int option)
{
	int one = 1;

	/* Only an optimisation: a socket that refuses it still works. */
	(void)setsockopt(s, IPPROTO_TCP, option, &one, sizeof one);
}

static int tcp_connect(git_stream *stream)
{
	tcp_stream *st = (tcp_stream *)stream;
	struct addrinfo hints, *info = NULL, *p;
	int s = -1, ret, saved = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((ret = getaddrinfo(st->host, st->port, &hints, &info)) != 0) {
		git_error_set(GIT_ERROR_NET, "failed to resolve address for %s: %s", st->host, gai_strerror(ret));
		return -1;
	}
	for (p = info; p; p = p->ai_next) {
		if ((s = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol)) < 0) {
			saved = errno;
			continue;
		}
		if (connect(s, p->ai_addr, p->ai_addrlen) == 0)
			break;
		saved = errno;
		close(s);
		s = -1;
	}
	freeaddrinfo(info);
	if (s < 0) {
		git_error_set(GIT_ERROR_NET, "failed to connect to %s: %s", st->host, strerror(saved));
		return -1;
	}
	set_option(s, TCP_NODELAY);
	set_option(s, TCP_QUICKACK); /* for ssh, whose reads are libssh2's */
	st->s = s;
	return 0;
}

/* EINTR is an error, as in libgit2's own stream: civic sync's stall timer
 * (SIGALRM) ends a read that hangs. */
static ssize_t tcp_read(git_stream *stream, void *data, size_t len)
{
	tcp_stream *st = (tcp_stream *)stream;
	ssize_t n;

	set_option(st->s, TCP_QUICKACK);
	if ((n = recv(st->s, data, len, 0)) < 0)
		git_error_set(GIT_ERROR_NET, "error receiving socket data: %s", strerror(errno));
	return n;
}

static ssize_t tcp_write(git_stream *stream, const char *data, size_t len, int flags)
{
	tcp_stream *st = (tcp_stream *)stream;
	ssize_t n;

	/* A peer that hung up is an error to report, not a SIGPIPE. */
	if ((n = send(st->s, data, len, flags | MSG_NOSIGNAL)) < 0)
		git_error_set(GIT_ERROR_NET, "error sending data: %s", strerror(errno));
	return n;
}

static int tcp_close(git_stream *stream)
{
	tcp_stream *st = (tcp_stream *)stream;
	int error = 0;

	if (st->s >= 0 && close(st->s) < 0) {
		git_error_set(GIT_ERROR_NET, "unable to close socket: %s", strerror(errno));
		error = -1;
	}
	st->s = -1;
	return error;
}

static void tcp_free(git_stream *stream)
{
	tcp_stream *st = (tcp_stream *)stream;

	if (st->s >= 0)
		close(st->s);
	free(st->host);
	free(st->port);
	free(st);
}

int civic_tcp_stream_new(git_stream **out, const char *host, const char *port)
{
	tcp_stream *st = calloc(1, sizeof *st);

	*out = NULL;
	if (!st || !(st->host = strdup(host)) || !(st->port = strdup(port))) {
		if (st)
			free(st->host);
		free(st);
		git_error_set_oom();
		return -1;
	}
	st->s = -1;
	st->parent.version = GIT_STREAM_VERSION;
	st->parent.connect = tcp_connect;
	st->parent.read = tcp_read;
	st->parent.write = tcp_write;
	st->parent.close = tcp_close;
	st->parent.free = tcp_free;
	*out = &st->parent;
	return 0;
}

int civic_tcp_stream_register(void)
{
	git_stream_registration r;
	int error;

	memset(&r, 0, sizeof r);
	r.version = GIT_STREAM_VERSION;
	r.init = civic_tcp_stream_new;
	if ((error = git_stream_register(GIT_STREAM_STANDARD, &r)) < 0)
		return civic_error_from_git(error, "cannot set up libgit2's network streams");
	return 0;
}
