/*
 * catalog.h - every record the node holds, verified, in feed order.
 *
 * The one read path over the archive: `civic list`, `show` and `audit` all
 * walk it, so nothing is ever shown that was not verified first. Each feed is
 * checked from its first commit (civic_feed_verify_commit); a feed stops at
 * its first bad commit, since nothing after it can be trusted. Each good
 * record gets a standing from the roster.
 */
#ifndef CIVIC_CATALOG_H
#define CIVIC_CATALOG_H

#include <git2.h>
#include <jansson.h>

#include "feed.h"
#include "roster.h"
#include "schema_store.h"

typedef enum {
	CIVIC_STANDING_VALID,    /* by a member, within its revocation point if any */
	CIVIC_STANDING_PENDING,  /* signed and well-formed, but the key is not (yet) a member,
				  * or it was revoked after a commit this node does not hold yet */
	CIVIC_STANDING_REVOKED,  /* by a member, after the commit its revocation names */
} civic_standing;

typedef struct {
	civic_pubkey author;
	const civic_member *member; /* NULL when pending; borrowed from the roster */
	civic_feed_commit commit;   /* id, seq, path, time */
	const json_t *record;       /* borrowed for the callback's duration */
	civic_standing standing;
} civic_entry;

typedef struct {
	/* Called for each verified record; a non-zero return stops the walk
	 * and is returned by civic_catalog_walk(). */
	int (*record)(const civic_entry *entry, void *payload);
	/* Called once per feed that fails verification at `commit`. */
	void (*bad)(const civic_pubkey *author, const char *refname, const git_oid *commit,
		    const char *reason, void *payload);
	void *payload;
} civic_catalog_callbacks;

/* Walks every feed under refs/civic/feeds/. roster may be
 * NULL (no roster yet: everything is pending). `only` (may be NULL) limits
 * the walk to one author's feed. */
int civic_catalog_walk(git_repository *repo, const char *network_hex, const civic_roster *roster,
		       const civic_schemas *schemas, const civic_pubkey *only,
		       const civic_catalog_callbacks *callbacks);

/* The same for the one feed `refname` (under refs/civic/feeds/) from its
 * commit `head`, as its ref was read by the caller. */
int civic_catalog_walk_feed(git_repository *repo, const char *network_hex, const civic_roster *roster,
			    const civic_schemas *schemas, const char *refname, const git_oid *head,
			    const civic_catalog_callbacks *callbacks);

/* The records `head` adds to `after`, a commit of the same feed that the
 * caller had verified (a feed's head when `civic status` last counted it):
 * only those are verified, the first of them against `after`, and reported.
 * 1, with nothing reported, when head does not extend `after` (a fork was
 * settled the other way) or the author is a revoked member, whose standing
 * is placed by the feed's whole history: the caller then walks it whole. */
int civic_catalog_walk_feed_after(git_repository *repo, const char *network_hex, const civic_roster *roster,
				  const civic_schemas *schemas, const char *refname, const git_oid *head,
				  const git_oid *after, const civic_catalog_callbacks *callbacks);

const char *civic_standing_name(civic_standing standing);

#endif
