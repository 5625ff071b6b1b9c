/*
 * attach_index.h - which records of the archive have attachments: what the
 * attachment transfer starts from, without walking the whole archive on
 * every sync.
 *
 *   <home>/tmp/attachment-index.json
 *       {"format": "civic-attachment-index-2",
 *        "feeds": {refname: {"head": id, "records": [record ids with attachments],
 *                            "purges": [[retraction id, retracted record id]]}}}
 *
 * Per feed, the records that have attachments as of a head. When the feed
 * has moved on, only the records it added since are read; when it moved
 * otherwise (a fork settled), the feed is read again from its first record.
 * Records in the archive were verified when they were taken, so they are
 * read, not verified again. The index is a cache: a missing or damaged one
 * is rebuilt, and it is never trusted over the archive (each record it
 * names is read again).
 *
 * "purges" are the feed's retractions that ask for a purge (attach_purge.h):
 * the holdings they purge are marked as they are read.
 */
#ifndef CIVIC_ATTACH_INDEX_H
#define CIVIC_ATTACH_INDEX_H

#include <git2.h>
#include <jansson.h>
#include <stddef.h>

#include "key.h"
#include "roster.h"

typedef struct {
	git_oid record;
	civic_pubkey author;
	json_t *attachments; /* the record's signed list (a reference held) */
	int purged;          /* a retraction that counts asked for its bytes to go */
	git_oid purged_by;   /* that retraction */
} civic_attach_holding;

/* Every record of the archive that has attachments, the index brought up to
 * date (and saved) on the way, each marked purged or not. With a roster,
 * the records (and retractions) of a revoked key count up to its revocation
 * point only (catalog.h): the others are left out. roster NULL: every
 * record counts, and only an author's own retractions purge. *out is freed
 * with civic_attach_holdings_free. */
int civic_attach_index_read(civic_attach_holding **out, size_t *count, git_repository *repo,
			    const civic_roster *roster, const char *tmp_dir);
void civic_attach_holdings_free(civic_attach_holding *list, size_t count);

#endif
