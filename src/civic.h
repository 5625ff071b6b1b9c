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
 * object there was hashed by libgit2's indexer as it arrived, moments
 * before, and those it borrows from the archive are the node's own, which
 * `civic audit` reads with the check on. */
void civic_global_rehash_reads(int on);
void civic_global_shutdown(void);

#endif
