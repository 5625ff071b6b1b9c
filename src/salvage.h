/*
 * salvage.h - the objects that arrived whole before a fetch broke off.
 *
 * Reads what capture.h copied of an upload-pack response (acknowledgement
 * lines, then the pack, in side-band packets or plain), walks the pack
 * object by object, and writes into a repository every commit, tree and
 * blob that arrived complete and is at most max_object bytes, deltas
 * applied to bases that arrived before them or that repo holds. A delta
 * that cannot be applied (its base is not at hand, or it does not fit) is
 * skipped, and the walk goes on; everything after the first object that
 * is cut off, too large, or malformed is left. Nothing here is
 * trusted: the objects are content-addressed, and whoever uses them checks
 * them as it would check a whole fetch.
 */
#ifndef CIVIC_SALVAGE_H
#define CIVIC_SALVAGE_H

#include <git2.h>
#include <stddef.h>

/* *written: objects written into repo (those it held already count too). */
int civic_salvage_pack(size_t *written, git_repository *repo, const char *capture_path, size_t max_object);

#endif
