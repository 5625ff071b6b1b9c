/*
 * repack.h - the small packs and the loose objects of a node's archive,
 * joined into packs of their own now and then.
 *
 * Every sync that takes anything moves it into the archive as the pack it
 * came in (quarantine.h), and `civic add` writes loose objects: a node that
 * syncs every ten minutes would hold over 4,000 packs after a month.
 * libgit2 looks for an object pack by pack, and keeps a file, an index map
 * and a delta cache for each pack it reads (a process may open 1,024
 * files); an audit of loose records takes twice as long as of packed ones.
 *
 * So when a sync starts, or `civic serve` does, and the archive holds
 * CIVIC_REPACK_MIN_PACKS packs smaller than CIVIC_REPACK_SMALL_PACK, stock
 * `git pack-objects --stdin-packs` joins them into one, reusing their deltas,
 * and they are removed once every object of each is found in the new one;
 * when it holds some CIVIC_REPACK_MIN_LOOSE loose objects (estimated as
 * `git gc --auto` does, from objects/17/), they are packed likewise, and
 * each is removed once found in the new pack. Larger packs (a first sync's
 * parts, 10 MB each) are left as they are: their deltas stay inside a part,
 * which lets a node serve a long feed part by part without computing deltas
 * again, and joining them costs memory in proportion (stock `git repack` of
 * 100k records: 470 MB).
 * Neither walks the history, so the cost follows what is joined, not the
 * archive. Nothing is removed that is not in a pack whose index is written.
 */
#ifndef CIVIC_REPACK_H
#define CIVIC_REPACK_H

#include <stddef.h>

#define CIVIC_REPACK_SMALL_PACK (4 * 1024 * 1024)
#define CIVIC_REPACK_MIN_PACKS 32
#define CIVIC_REPACK_MIN_LOOSE 4096

typedef struct {
	size_t min_packs;  /* join the small packs when there are this many (0: CIVIC_REPACK_MIN_PACKS) */
	size_t min_loose;  /* pack the loose objects from about this many (0: CIVIC_REPACK_MIN_LOOSE) */
	size_t packs_joined, loose_packed;
} civic_repack;

/* Tidies the archive at git_dir (a node's archive.git, its lock held) as
 * above, when it is due. 0 also when nothing was due; a failure leaves the
 * archive as it was, or with a pack more (never an object less). */
int civic_repack_small(civic_repack *r, const char *git_dir);

#endif
