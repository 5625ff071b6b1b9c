/*
 * test_tcp_stream.c - the TCP stream under libgit2's transports
 * (src/tcp_stream.h), against a listening socket of this process on
 * 127.0.0.1: bytes both ways, the socket options, the layout libgit2's ssh
 * transport reads, a refused connection, and that libgit2's git://
 * transport connects through it once civic_global_init has run.
 */
#include "helpers.h"
#include "fixtures.h"

#include "tcp_stream.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

/* libgit2 1.5's private git_socket_stream (src/util/... streams/socket.h),
 * which its ssh transport takes every standard stream to be. */
typedef struct {
	git_stream parent;
	char *host;
	char *port;
	int s;
} libgit2_socket_stream;

static int listener = -1;
static char port[8];

/* A socket listening on 127.0.0.1 at a port the kernel picks. */
static int listen_loopback(char *port_out, size_t size)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(s >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s, 4), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	snprintf(port_out, size, "%u", (unsigned)ntohs(a.sin_port));
	return s;
}

static int setup(void **state)
{
	(void)state;
	fx_global_init();
	listener = listen_loopback(port, sizeof port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(listener);
	fx_global_shutdown();
	return 0;
}

static int option(int s, int name)
{
	int value = 0;
	socklen_t len = sizeof value;

	assert_int_equal(getsockopt(s, IPPROTO_TCP, name, &value, &len), 0);
	return value;
}

static unsigned peer_port(int s)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	if (getpeername(s, (struct sockaddr *)&a, &len) < 0 || a.sin_family != AF_INET)
		return 0;
	return ntohs(a.sin_port);
}

/* Bytes go both ways; the socket is where libgit2's ssh transport looks
 * for it, with Nagle's algorithm off. */
static void test_tcp_stream_connects(void **state)
{
	git_stream *stream = NULL;
	libgit2_socket_stream *as_libgit2;
	char buf[16];
	int server;

	(void)state;
	assert_int_equal(civic_tcp_stream_new(&stream, "127.0.0.1", port), 0);
	assert_int_equal(stream->version, GIT_STREAM_VERSION);
	assert_false(stream->encrypted);
	assert_int_equal(stream->connect(stream), 0);
	assert_true((server = accept(listener, NULL, NULL)) >= 0);

	as_libgit2 = (libgit2_socket_stream *)stream;
	assert_string_equal(as_libgit2->host, "127.0.0.1");
	assert_string_equal(as_libgit2->port, port);
	assert_int_equal(peer_port(as_libgit2->s), (unsigned)atoi(port));
	assert_int_equal(option(as_libgit2->s, TCP_NODELAY), 1);

	assert_int_equal(stream->write(stream, "0009done\n", 9, 0), 9);
	assert_int_equal(recv(server, buf, sizeof buf, 0), 9);
	assert_memory_equal(buf, "0009done\n", 9);
	assert_int_equal(send(server, "0008NAK\n", 8, 0), 8);
	assert_int_equal(stream->read(stream, buf, sizeof buf), 8);
	assert_memory_equal(buf, "0008NAK\n", 8);
	close(server);
	assert_int_equal(stream->read(stream, buf, sizeof buf), 0); /* the peer hung up */

	assert_int_equal(stream->close(stream), 0);
	assert_int_equal(as_libgit2->s, -1);
	stream->free(stream);
}

/* Nobody listening: one error naming the host, as libgit2's own says it. */
static void test_tcp_stream_refused(void **state)
{
	git_stream *stream = NULL;
	char closed[8];
	int s = listen_loopback(closed, sizeof closed);

	(void)state;
	close(s);
	assert_int_equal(civic_tcp_stream_new(&stream, "127.0.0.1", closed), 0);
	assert_int_equal(stream->connect(stream), -1);
	assert_non_null(git_error_last());
	assert_non_null(strstr(git_error_last()->message, "failed to connect to 127.0.0.1"));
	stream->free(stream); /* never connected: nothing to close */
}

/* The far end of a git:// connection: takes the request, advertises no
 * ref, and waits for the client to hang up. */
static void *git_daemon_of_nothing(void *arg)
{
	char buf[512];
	int s = accept(listener, NULL, NULL);

	(void)arg;
	if (s < 0)
		return NULL;
	if (recv(s, buf, sizeof buf, 0) > 0 && send(s, "0000", 4, MSG_NOSIGNAL) == 4)
		while (recv(s, buf, sizeof buf, 0) > 0)
			;
	close(s);
	return NULL;
}

/* This process's TCP socket connected to `port`, or -1. */
static int socket_to(unsigned to)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	assert_non_null(d);
	while ((e = readdir(d)) && found < 0) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd != dirfd(d) && peer_port(fd) == to)
			found = fd;
	}
	closedir(d);
	return found;
}

/* After civic_global_init, libgit2's git:// transport connects through this
 * stream: its socket has TCP_NODELAY on, which libgit2's own never sets. */
static void test_tcp_stream_is_libgit2s(void **state)
{
	char url[64];
	git_remote *remote = NULL;
	pthread_t server;
	int s;

	(void)state;
	snprintf(url, sizeof url, "git://127.0.0.1:%s/archive.git", port);
	assert_int_equal(pthread_create(&server, NULL, git_daemon_of_nothing, NULL), 0);
	assert_int_equal(git_remote_create_detached(&remote, url), 0);
	assert_int_equal(git_remote_connect(remote, GIT_DIRECTION_FETCH, NULL, NULL, NULL), 0);
	assert_true((s = socket_to((unsigned)atoi(port))) >= 0);
	assert_int_equal(option(s, TCP_NODELAY), 1);
	git_remote_free(remote); /* disconnects */
	assert_int_equal(pthread_join(server, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_stream_connects),
		cmocka_unit_test(test_tcp_stream_refused),
		cmocka_unit_test(test_tcp_stream_is_libgit2s),
	};
	return cmocka_run_group_tests_name("tcp_stream", tests, setup, teardown);
}
