/*
 * git_push.h - a push to a relay over the network, made by stock `git push`.
 *
 * libgit2's packbuilder reads and deltifies anew all that a push sends,
 * reusing no delta of the node's packs: a first push of 10k records to an
 * empty relay took 16 s against 0.6 s for stock `git push` of the same
 * refs (25.7x). So where stock git is on PATH, sync's pushes of the
 * archive to a git://, ssh:// or http(s):// relay run `git push` on the
 * node's archive, each ref leased at the value the sync last saw on the
 * relay (--force-with-lease with that value, or with none for a ref the
 * relay did not hold): a relay whose ref moved meanwhile refuses that
 * ref, and its receive-pack swaps each ref only from the value leased.
 *
 * git runs as libgit2 would reach the relay: with no system or user
 * config (the URL is the peer's as given: no url.insteadOf), no hooks, no
 * prompts, and the transports above alone. Over ssh, OpenSSH with no
 * config of the user's, offering the peer's key file (else the agent's
 * keys), trusting host keys from $HOME/.ssh/known_hosts alone, as user
 * "git" when the URL names none.
 *
 * Pushes to a path are made of git's pack and refs moved in process
 * (path_push.h): the stick's receive-pack would run its hooks. Attachment
 * pushes, whose objects are staged in memory (attach_sync.c), and a node
 * without git keep libgit2's push.
 */
#ifndef CIVIC_GIT_PUSH_H
#define CIVIC_GIT_PUSH_H

#include <git2.h>
#include <stddef.h>

#include "buf.h"
#include "remote.h"

/* Whether a push to url can go through stock git: git://, ssh:// (also
 * git+ssh://, ssh+git://), http://, https:// and [user@]host:path. */
int civic_git_push_url(const char *url);

/* The URL given to git: url, with user "git" where an ssh URL names none,
 * as libgit2 logs in (OpenSSH would log in as the local user). */
int civic_git_push_url_for_git(civic_buf *out, const char *url);

/* One ref to move on the relay. */
typedef struct {
	const char *dst;       /* the relay's ref */
	git_oid id;            /* its new value, which the archive holds */
	const git_oid *expect; /* the value it replaces; NULL: the relay holds none */
} civic_git_push_ref;

/* The relay's word on each of refs[0..n) in what `git push --porcelain`
 * printed (text, cut into lines in place): status(dst, NULL, data) for a
 * ref it took or held already, status(dst, why, data) for one it refused;
 * other lines, and lines of other refs, are passed over. *refused: how many
 * were refused. Stops at the first non-zero return of status. */
int civic_git_push_porcelain(char *text, const civic_git_push_ref *refs, size_t n,
			     int (*status)(const char *dst, const char *why, void *data), void *data, size_t *refused);

/* GIT_SSH_COMMAND=... for a push to peer (git_push.h's ssh). */
int civic_git_push_ssh_command(civic_buf *out, const civic_peer *peer);

/* Pushes refs[0..n) from the repository at git_dir to the URL of r's
 * peer, each leased at its `expect`. The relay's word on each ref goes to
 * r->push_status (a ref leased at a value the relay no longer holds is
 * refused, with that said), progress to civic_remote_progress(). */
int civic_git_push(civic_remote *r, const char *git_dir, const civic_git_push_ref *refs, size_t n);

#endif
