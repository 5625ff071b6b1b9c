/*
 * tcp_stream.h - the TCP connections under libgit2's network transports,
 * acknowledging what arrives at once.
 *
 * A stock git server writes its answers in small pieces: behind git
 * daemon, upload-pack writes a fetch negotiation's "ACK <id> common" lines
 * one by one. With Nagle's algorithm on the server's side, each
 * piece after the first waits until the client acknowledges the first, and
 * Linux delays that acknowledgement by 40 ms. So libgit2 1.5's own socket
 * stream lost 40 ms at least once in every fetch, and more at random on a
 * long ref advertisement: a sync of 10 new records from a peer of 100k
 * records took 105-170 ms on loopback, of which 40-80 ms were such waits
 * (strace; and with the loopback route's quickack on, 60-90 ms).
 *
 * This stream is libgit2's, with TCP_QUICKACK asked for before each read
 * (Linux drops back to delayed acknowledgements on its own) and
 * TCP_NODELAY on, so that civic's own small writes go out at once too.
 * It serves git:// and http:// directly and https:// under libgit2's TLS.
 * ssh:// connects through it too, but libssh2 reads and writes the socket
 * itself: there, TCP_QUICKACK is asked for once, at the connection.
 */
#ifndef CIVIC_TCP_STREAM_H
#define CIVIC_TCP_STREAM_H

#include <git2.h>
#include <git2/sys/stream.h>

/* Makes this stream libgit2's standard one, for the whole process (after
 * git_libgit2_init; civic_global_init calls it). */
int civic_tcp_stream_register(void);

/* A stream to host:port, not yet connected: a git_stream_registration's
 * `init`. Errors are libgit2's (git_error_last). */
int civic_tcp_stream_new(git_stream **out, const char *host, const char *port);

#endif
