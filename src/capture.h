/*
 * capture.h - a copy of what a fetch received, for when the link drops.
 *
 * A git fetch is all or nothing: libgit2 throws away a pack that broke off
 * midway. On a link that is cut every few hundred KB, a transfer larger
 * than that never completes, however often it is tried. This transport
 * wraps libgit2's own smart transports (git://, ssh://, http(s)://) and
 * writes every byte the peer's upload-pack sends after the ref
 * advertisement to a file, so that the objects which arrived whole can be
 * salvaged from it (salvage.h). Local paths use libgit2's own transport,
 * uncaptured: a disk does not drop.
 */
#ifndef CIVIC_CAPTURE_H
#define CIVIC_CAPTURE_H

#include <git2.h>
#include <git2/sys/transport.h>
#include <stdio.h>

typedef struct {
	FILE *out;                          /* where the bytes go (not owned); NULL: nowhere */
	int failed;                         /* a write failed: the copy is not whole */
	int whole_packs;                    /* ask for packs that are not thin (below) */
	/* Filled by civic_capture_transport(): */
	git_smart_subtransport_definition definition;
	git_smart_subtransport_cb inner;    /* libgit2's subtransport for the URL */
} civic_capture;

/* A git_transport_cb: `payload` is a civic_capture that outlives the
 * transport. */
int civic_capture_transport(git_transport **out, git_remote *owner, void *payload);

/* The request `buffer` as it goes to upload-pack, without the "thin-pack"
 * capability on its first want line, so that the pack that comes back
 * holds its delta bases. libgit2 1.5 completes a thin pack by trying every
 * delta again for each base it adds from the archive: a part of 8192
 * records of a long feed (57k objects, some 600 bases) took 2 s instead of
 * 0.8 s. *out is `buffer` when there was nothing to take out, else a copy
 * (the caller frees it). */
int civic_capture_without_thin_pack(const char **out, size_t *out_len, const char *buffer, size_t len);

#endif
