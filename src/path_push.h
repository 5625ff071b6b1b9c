/*
 * path_push.h - a push to a relay on a path (a USB stick, a mounted share):
 * the pack stock git's, the refs moved in this process.
 *
 * libgit2's local push deltifies anew all that it sends, as over the
 * network (git_push.h): 10k records to an empty stick took 22 s, against
 * 0.8 s for stock `git push` to the same path. But `git push` to a path
 * runs the stick's own `git receive-pack`, which reads the stick's config
 * and runs its hooks, and a stick is not trusted (local_git.h). So a part's
 * pack is made by `git pack-objects --revs` on the node's archive (its
 * deltas reused; what the stick's refs name and the archive holds left out)
 * into the node's tmp directory, with its index; copied onto the stick,
 * each file fsynced and renamed into objects/pack; and only then are the
 * stick's refs moved, by libgit2 in this process, each by compare-and-swap
 * from the value the sync last saw there (a ref it did not hold: only if it
 * still holds none). Nothing of the stick runs, and a stick pulled out
 * midway holds whole packs and refs that name what it holds.
 *
 * The relay must be a bare repository, as for libgit2's local push.
 */
#ifndef CIVIC_PATH_PUSH_H
#define CIVIC_PATH_PUSH_H

#include <git2.h>
#include <stddef.h>

#include "git_push.h"
#include "remote.h"

/* Pushes refs[0..n) (git_push.h's, each with the value it replaces) from
 * the archive `main` to the bare repository at the path or file:// URL of
 * r's peer, staging the pack in tmp_dir (on the archive's file system).
 * The relay's word on each ref goes to r->push_status: a ref that moved
 * there meanwhile is refused by name. */
int civic_path_push(civic_remote *r, git_repository *main, const char *tmp_dir, const civic_git_push_ref *refs,
		    size_t n);

/* Removes what a push killed midway left in tmp_dir (its staging
 * directories); for the holder of the node's lock. */
void civic_path_push_clean(const char *tmp_dir);

#endif
