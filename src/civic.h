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
void civic_global_shutdown(void);

#endif
