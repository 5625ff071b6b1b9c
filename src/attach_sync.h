/*
 * attach_sync.h - attachment bytes between a node and a peer, after the
 * records (DESIGN.md section 3: records sync without their attachments).
 *
 * A peer that holds attachments offers them as batches (attach_git.h), one
 * ref per record. A node fetches the batches of the records whose
 * attachments it lacks (all of them, or those asked for), checks every
 * byte against the signed record and stores it; and pushes to a relay the
 * batches of records whose attachments it holds whole and the relay lacks.
 * Attachments a signed retraction purged (attach_purge.h) are removed from
 * the node's store first, never fetched or pushed again, and deleted from
 * each relay that holds them.
 * Transfers go in groups of at most group_bytes (8 MiB), each its own
 * fetch or push: a link that keeps dropping still keeps every group that
 * arrived, and the next run asks only for what is still missing.
 */
#ifndef CIVIC_ATTACH_SYNC_H
#define CIVIC_ATTACH_SYNC_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "peer.h"
#include "remote.h"

#define CIVIC_ATTACH_GROUP_BYTES (8ULL * 1024 * 1024)

typedef struct {
	size_t records_missing;  /* records (of those asked for) with attachments this node lacks */
	size_t stored;           /* attachments fetched, checked and stored */
	size_t refused;          /* attachments the peer served wrong */
	size_t not_on_peer;      /* records whose attachments this node lacks and the peer has not */
	size_t parts_kept;       /* chunks kept from transfers that broke off (attach_git.h) */
	size_t batches_pushed;   /* records whose attachments a relay took */
	size_t push_failed;
	size_t corrupt;          /* with rehash: files whose bytes were not the signed ones, removed */
	size_t purged;           /* files removed: a retraction purged them (attach_purge.h) */
	size_t batches_deleted;  /* purged batches deleted from a relay */
	uint64_t bytes_received;
	char why[512];           /* the last refusal */
} civic_attach_sync_report;

typedef struct {
	unsigned int version;
	int fetch, push;             /* fetch what we lack; push what a relay lacks */
	const git_oid *only;         /* fetch only these records' attachments (NULL: all) */
	size_t nonly;
	uint64_t group_bytes;        /* at most this much in one transfer */
	uint64_t max_bytes;          /* a transfer that receives more is cut off */
	civic_progress_cb progress;
	void *payload;
	/* Hash the attachments held again, not only their size: a file whose
	 * bytes are not the signed ones (a disk that rotted, a copy cut at the
	 * right length) is removed, and fetched again like a missing one. */
	int rehash;
} civic_attach_sync_options;

#define CIVIC_ATTACH_SYNC_OPTIONS_VERSION 1
#define CIVIC_ATTACH_SYNC_OPTIONS_INIT                                                          \
	{ CIVIC_ATTACH_SYNC_OPTIONS_VERSION, 1, 1, NULL, 0, CIVIC_ATTACH_GROUP_BYTES,            \
	  2ULL * 1024 * 1024 * 1024, NULL, NULL, 0 }

/* node open for writing, with a network. Pushes only when peer is a relay.
 * 0 when it ran to its end, whatever the peer served wrong (see report);
 * negative when a transfer failed: what was stored before stays. */
int civic_attach_sync_peer(civic_attach_sync_report *report, civic_node *node, civic_peer *peer,
			   const civic_attach_sync_options *opts);

#endif
