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
	/* Filled by civic_capture_transport(): */
	git_smart_subtransport_definition definition;
	git_smart_subtransport_cb inner;    /* libgit2's subtransport for the URL */
} civic_capture;

/* A git_transport_cb: `payload` is a civic_capture that outlives the
 * transport. */
int civic_capture_transport(git_transport **out, git_remote *owner, void *payload);

#endif
