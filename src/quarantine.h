/*
 * quarantine.h - a staging repository for what a peer sends.
 *
 * Fetched objects and refs land here, never in the node's repository: a
 * bare repository under <home>/tmp/ that sees the node's objects through
 * objects/info/alternates (DESIGN.md section 5), and holds a copy of the
 * node's refs/civic/ so that a fetch negotiates from what the node has and
 * transfers only what is new. What verifies is moved into the node's
 * repository as one pack; everything else is deleted with the quarantine,
 * leaving no trace. A quarantine a killed process left behind is removed
 * the next time the node is opened for writing.
 */
#ifndef CIVIC_QUARANTINE_H
#define CIVIC_QUARANTINE_H

#include <git2.h>
#include <stddef.h>

#define CIVIC_QUARANTINE_PREFIX "quarantine-"

typedef struct civic_quarantine civic_quarantine;

/* Creates a quarantine in tmp_dir (made if missing) for the repository main. */
int civic_quarantine_new(civic_quarantine **out, git_repository *main, const char *tmp_dir);

/* Opens the repository at path, a quarantine or not, as
 * civic_quarantine_repository() is opened: a quarantine's own packs are
 * searched before the node's. For a second handle on another thread. */
int civic_quarantine_open(git_repository **out, const char *path);
/* Borrowed; lives until civic_quarantine_reopen() or the quarantine's end. */
git_repository *civic_quarantine_repository(const civic_quarantine *q);

/* Lets q's repository see the objects of `earlier`, a quarantine whose
 * records are still being verified, so that a fetch into q says "have"
 * for what `earlier` brought (sync.c fetches a feed's next part while the
 * last one is verified; civic_quarantine_set_ref() points q's copy of the
 * feed at the last part's end). Only until civic_quarantine_reopen(),
 * which must come before `earlier` is freed. */
int civic_quarantine_lean_on(civic_quarantine *q, const civic_quarantine *earlier);

/* Packs fetched into q's repository from now on (until
 * civic_quarantine_reopen()) are indexed by stock git (index_pack.h), with
 * the objects of what q leans on as delta bases: for thin packs. */
int civic_quarantine_index_with_git(civic_quarantine *q);

/* Points q's refname at id, which q must see: a "have" of its next fetch. */
int civic_quarantine_set_ref(civic_quarantine *q, const char *refname, const git_oid *id);

/* Opens q's repository again (the old handle is freed): what
 * civic_quarantine_lean_on() added is gone, and what reached main since q
 * was made (the packs of an earlier quarantine) is seen. */
int civic_quarantine_reopen(civic_quarantine *q);

/* Copies into main, as one pack, every object reachable from tips and not
 * from bases (commits main holds; those missing are ignored), and makes main
 * see it. Objects only: no ref moves. */
int civic_quarantine_migrate(civic_quarantine *q, git_repository *main, const git_oid *tips,
			     size_t ntips, const git_oid *bases, size_t nbases);

/* When every object of the quarantine's packs is in `allowed` (the objects
 * that verified), moves those packs into main as they are, index last, and
 * returns 1: a first sync of a large archive then costs no repacking, nor
 * does a sync of a few new commits, whose thin pack comes completed with
 * bases main holds already (those are allowed too, while they are no more
 * than the new objects of their pack). 0, with nothing moved, when anything
 * else is in them (a refused commit, a local peer's other refs), a pack names
 * an object twice or holds mostly what main has, or loose objects were
 * written: then civic_quarantine_migrate() must pick the verified objects
 * out. */
struct civic_oidset;
int civic_quarantine_adopt(civic_quarantine *q, git_repository *main, const struct civic_oidset *allowed);

/* Removes the quarantine from disk. */
void civic_quarantine_free(civic_quarantine *q);

/* Removes what quarantines a killed process left in tmp_dir. */
void civic_quarantine_clean(const char *tmp_dir);

/* Removes from main's objects/pack a pack without its index, and libgit2's
 * and stock git's temporaries: what a migration or a repack (repack.h)
 * killed midway leaves. Lock holders only. */
void civic_quarantine_clean_packs(git_repository *main);

#endif
