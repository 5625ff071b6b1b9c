/*
 * object_limits.h - size checks on git objects before they are inflated.
 *
 * A hostile feed can hold a tiny packed object that inflates to gigabytes
 * (300 MB of zeros packs to under 2 MB). Every object civic reads from an
 * archive is checked against a cap for its kind first, by its header alone.
 */
#ifndef CIVIC_OBJECT_LIMITS_H
#define CIVIC_OBJECT_LIMITS_H

#include <git2.h>
#include <stddef.h>

#define CIVIC_COMMIT_MAX_SIZE (64 * 1024)    /* a commit: headers, signature, short message */
#define CIVIC_FEED_TREE_MAX_SIZE (16 * 1024)  /* a feed tree: at most 100 short entries */
#define CIVIC_ROSTER_TREE_MAX_SIZE (1024 * 1024)

/* 0 when the object exists, is of `type` and at most `max` bytes; else
 * CIVIC_EINVALID (or CIVIC_ENOTFOUND) with a message naming `what`. */
int civic_object_check(git_repository *repo, const git_oid *id, git_object_t type, size_t max,
		       const char *what);

#endif
