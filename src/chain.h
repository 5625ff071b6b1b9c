/*
 * chain.h - a linear chain of commits (a feed, the roster), collected from
 * its head back to its root before anything in it is verified.
 *
 * Feeds are single-parent chains, and so is the roster but for the commits
 * that settle a fork (two parents; followed by the first). Collecting ids this
 * way reads each commit once, size-checked before it is inflated, refuses a
 * merge at once, and holds 20 bytes per commit instead of a revwalk's whole
 * parsed history.
 */
#ifndef CIVIC_CHAIN_H
#define CIVIC_CHAIN_H

#include <git2.h>
#include <stddef.h>

#include "oidset.h"

/* *out receives the ids root first (free() it), *count their number.
 * CIVIC_EINVALID when a commit has two parents, is too large, or the chain
 * is longer than max. */
int civic_chain_collect(git_oid **out, size_t *count, git_repository *repo, const git_oid *head,
			size_t max);

/* Collects from head back to `stop` (exclusive), at most max commits, root
 * first. *reached tells whether `stop` was met: then the ids are exactly
 * what head adds to stop. Otherwise they are the newest max commits (or the
 * whole chain, when it is shorter), and head does not extend stop within
 * max steps. */
int civic_chain_collect_until(git_oid **out, size_t *count, int *reached, git_repository *repo,
			      const git_oid *head, const git_oid *stop, size_t max);

/* The first-parent line of head, root first, for a chain whose commits may
 * have two parents: the roster, where a settlement of a fork joins a second
 * history (roster.h). Stops before any commit of `known` (may be NULL): then
 * *reached is 1 and *reached_at receives it. CIVIC_EINVALID on a commit
 * with three parents or more, or a line longer than max. */
int civic_chain_collect_first_parents(git_oid **out, size_t *count, int *reached, git_oid *reached_at,
				      git_repository *repo, const git_oid *head, const civic_oidset *known,
				      size_t max);

#endif
