/*
 * status.h - what a node holds, feed by feed, and what each peer is known
 * to lack: the data behind `civic status`.
 *
 * Counts come from the verified walk (catalog.h), so a record is counted
 * only when it verifies; a feed that has not moved since the last status is
 * not walked again, its counts kept in tmp_dir (verified_heads.h).
 * Attachments are checked by size, not rehashed (`civic audit` does that).
 */
#ifndef CIVIC_STATUS_H
#define CIVIC_STATUS_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "peer.h"
#include "roster.h"
#include "schema_store.h"

typedef struct {
	civic_pubkey author;
	const civic_member *member; /* NULL when not a member; borrowed from the roster */
	git_oid head;
	uint64_t head_seq;          /* records held: the verified head's sequence number */
	size_t valid, pending, revoked;
	int bad;                    /* verification stopped at bad_commit */
	git_oid bad_commit;
	char bad_reason[512];
	size_t forks;               /* second histories kept as evidence, not settled */
	size_t forks_settled;       /* kept, and settled by a signed statement */
	size_t attachments_present, attachments_missing, attachments_corrupt;
	size_t attachments_purged;  /* not here, and a retraction purged them (attach_purge.h) */
	int from_cache;             /* counted from verified_heads.h, up to head or to an
				     * earlier head and walked from there */
	size_t walked;              /* records verified by this status */
} civic_feed_status;

typedef struct civic_node_status civic_node_status;

typedef struct {
	civic_feed_status *feeds;
	size_t count, alloc;
	civic_node_status *nodes;   /* the nodes' signed statements held (state.h) */
	size_t nnodes;
	size_t roster_forks;         /* open: no settlement holds them yet */
	size_t roster_forks_settled; /* taken in by an admin's settlement, kept as evidence */
	size_t attachments_present, attachments_missing, attachments_corrupt, attachments_purged;
} civic_status;

typedef struct {
	size_t feeds_current;   /* the peer holds our head */
	size_t feeds_lacking;   /* the peer holds less of the feed, or none of it */
	size_t records_lacking; /* how many records it lacks in those */
	size_t feeds_other;     /* it holds a head we do not hold, or not on our line */
	size_t records_ahead;   /* it says it holds records we lack (statements only) */
} civic_peer_status;

/* What a node said it holds, in its signed statement, against what we hold. */
struct civic_node_status {
	civic_pubkey node;
	const civic_member *member; /* NULL when not a member; borrowed from the roster */
	uint64_t serial;
	int64_t time;               /* when it signed, by its clock */
	int same_roster;
	civic_peer_status holds;
};

/* Fills *out (civic_status_dispose). roster may be NULL. Statements that
 * do not verify, or of keys that are not members, are left out. tmp_dir:
 * the node's, where the cache of verified heads and the attachment index
 * live. */
int civic_status_collect(civic_status *out, git_repository *repo, const char *network,
			 const civic_roster *roster, const civic_schemas *schemas,
			 const char *attachments_dir, const char *tmp_dir);
void civic_status_dispose(civic_status *status);

/* What peer was last seen holding, against what we hold. */
void civic_status_peer(civic_peer_status *out, const civic_status *status, const civic_peer *peer,
		       git_repository *repo);

#endif
