/*
 * civic.h - process-wide set-up of the library core.
 *
 * civic_global_init() must be called once before any other civic_* call: it
 * starts libgit2 and libsodium and turns on the durability settings every
 * node relies on (fsync of objects and refs, strict object hash checks).
 */
#ifndef CIVIC_CIVIC_H
#define CIVIC_CIVIC_H

int civic_global_init(void);

/* Turns the hash check of every object read off (0) or back on (1), for
 * the whole process. Off only while a sync verifies its quarantine: every
 * object there was hashed as it arrived, moments before, by the indexer
 * that named it in the pack's index (libgit2's, or stock `git index-pack`
 * for the parts of a long feed, index_pack.h), and those it borrows from
 * the archive are the node's own, which `civic audit` reads with the check
 * on. */
void civic_global_rehash_reads(int on);

/* Turns libgit2's check that a ref's new target exists off (0) or back on
 * (1), for the whole process: only around a ref whose target is known to be
 * held (civic_ref_move_hint), and only while no other thread writes refs or
 * objects. The check searches the index of every pack: 781 steps written in
 * a first sync of 100k records made all 17 indexes resident, 3 MiB more. */
void civic_global_check_ref_targets(int on);

void civic_global_shutdown(void);

#endif
