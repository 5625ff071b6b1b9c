/*
 * attach_purge.h - attachments a signed retraction purged (DESIGN.md
 * section 3: "a signed retraction hides an attachment everywhere and lets
 * each node purge its bytes while the record's signature still verifies").
 *
 * A retraction record with "purge_attachments": true asks for the bytes of
 * the record it retracts to go. It counts when its author wrote that record
 * or is an admin (civic_roster_may_amend), and only while the retraction
 * itself counts (not after its key's revocation point). Then:
 *   - every node removes the bytes from its store, except those another
 *     record still standing names (the same photo attached twice);
 *   - no node fetches them or pushes them again, and a sync deletes the
 *     record's batch from each relay it pushes to;
 *   - status, show and audit call them purged, not missing.
 * The record itself stays, signed, with the hashes of what it held: what was
 * said stays verifiable, what was shown does not travel.
 */
#ifndef CIVIC_ATTACH_PURGE_H
#define CIVIC_ATTACH_PURGE_H

#include <git2.h>
#include <jansson.h>
#include <stddef.h>

#include "attach_index.h"
#include "key.h"
#include "node.h"
#include "roster.h"

/* A retraction that asks for its target's attachments to go. */
typedef struct {
	git_oid retraction;
	git_oid target;
	civic_pubkey author;  /* the retraction's */
} civic_purge_claim;

typedef struct {
	civic_purge_claim *list;
	size_t count, alloc;
	int sorted;
} civic_purge_claims;

#define CIVIC_PURGE_CLAIMS_INIT { NULL, 0, 0, 0 }

/* 1 when record (parsed, verified) is a retraction that asks for a purge,
 * with *target set; 0 when it is not. */
int civic_purge_claim_of(git_oid *target, const json_t *record);

int civic_purge_claims_add(civic_purge_claims *claims, const git_oid *retraction, const git_oid *target,
			   const civic_pubkey *author);

/* The retraction that purges the attachments of record `target`, written
 * by target_author; NULL when none does. roster NULL: only the author's own
 * retractions count. Sorts the claims on first use. */
const civic_purge_claim *civic_purge_claims_find(civic_purge_claims *claims, const git_oid *target,
						 const civic_pubkey *target_author, const civic_roster *roster);

void civic_purge_claims_dispose(civic_purge_claims *claims);

/* Removes from store_dir the bytes of the purged holdings of list (those
 * civic_attach_index_read marked), except bytes a holding not purged also
 * names. *removed: the files removed. */
int civic_attach_purge_bytes(size_t *removed, const civic_attach_holding *list, size_t n,
			     const char *store_dir);

/* The same for the whole node (open for writing): its attachment index read
 * with its roster, then the purge; nothing without a roster, which alone
 * says where a revoked key stopped counting. For `civic add retraction`. */
int civic_attach_purge_node(size_t *removed, civic_node *node);

#endif
