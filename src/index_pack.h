/*
 * index_pack.h - the pack a fetch receives, indexed by stock
 * `git index-pack --fix-thin` instead of libgit2's indexer.
 *
 * A part of a long feed (steps.h) is thousands of records after thousands
 * the node holds. Asked for whole (not thin), a server whose archive stock
 * `git repack` packed (a relay, a Civic Center that ran `git gc`) finds most
 * delta bases among the records the node already has, so it computes those
 * deltas again: 0.8 of its CPU-seconds per part of 6,144 records out of
 * 100k, against 0.15 for a thin pack that reuses them. Asked for thin,
 * libgit2 1.5 completes the pack by trying every delta again for each base
 * it adds (0.67 s against 0.33 s for the same part whole); stock git adds
 * them in one pass (0.38 s) in a process of its own.
 *
 * civic_index_pack_use() makes every pack a fetch into `repo` receives go to
 * `git index-pack --stdin --fix-thin` as it arrives, written into repo's
 * objects/pack/ with fsync. Its bases come from repo's objects and
 * alternates, and from `alternate`: an object directory that repo sees only
 * in memory (civic_quarantine_lean_on). git runs in the C locale, with no
 * variable of the caller's environment that names another repository, no
 * signal blocked and SIGPIPE not ignored. Progress (objects received,
 * deltas resolved) reaches the fetch's callback as from libgit2's indexer,
 * so a fetch can still be cut off, cancelled or timed out midway. A pack
 * that is not committed (a fetch that broke off or was stopped) is removed
 * with git's temporary files. Without git on PATH, libgit2's own pack
 * backend takes the pack instead.
 *
 * What the pack holds is not trusted for being indexed: everything in it is
 * verified afterwards, like any pack, and civic_quarantine_adopt() keeps out
 * a pack that names an object twice (stock git takes one, libgit2 does not)
 * or holds more of what the node has than of what is new.
 */
#ifndef CIVIC_INDEX_PACK_H
#define CIVIC_INDEX_PACK_H

#include <git2.h>

/* Until repo is freed (or its odb). alternate: NULL or "", or one more
 * object directory to take delta bases from. */
int civic_index_pack_use(git_repository *repo, const char *alternate);

#endif
