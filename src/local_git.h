/*
 * local_git.h - a repository on a path (a USB stick, a mounted share)
 * fetched from the way stock git fetches from one: `git upload-pack` run
 * as a child process, speaking the smart protocol on a socket pair. Its
 * hooks are off (a stick is not trusted), and so is the check of who owns
 * it. Pushes to a path never run `git receive-pack`, which would run the
 * stick's hooks: path_push.h writes git's pack there and moves the refs in
 * process (and libgit2's local transport does, without git).
 *
 * libgit2 1.5's own local transport ignores refspecs and copies the
 * objects of every ref the peer has, inflating each object whole in the
 * process: a record sync from a stick that carries a network's photos read
 * all of them, every time. Through upload-pack, a fetch asks for the refs it
 * wants, negotiates from what it has, and receives one pack, as over git://.
 */
#ifndef CIVIC_LOCAL_GIT_H
#define CIVIC_LOCAL_GIT_H

#include <git2.h>
#include <git2/sys/transport.h>

/* Whether url names a local repository (a path, or file://). */
int civic_local_git_url(const char *url);

/* A git_smart_subtransport_cb for fetches from such URLs (use with rpc 0;
 * param is not used). */
int civic_local_git_subtransport(git_smart_subtransport **out, git_transport *owner, void *param);

#endif
