/* catalog.c - the verified walk over all feeds; see catalog.h. */
#include "catalog.h"
#include "chain.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *civic_standing_name(civic_standing standing)
{
	switch (standing) {
	case CIVIC_STANDING_VALID: return "valid";
	case CIVIC_STANDING_PENDING: return "pending";
	case CIVIC_STANDING_REVOKED: return "revoked";
	}
	return "unknown";
}

/* Where a revoked member's feed stops being valid: records are valid when
 * they are the commit the revocation names or its ancestors. Our feed is a
 * line, so that is everything up to its merge base with that commit; a fork
 * after it (a thief's copy) is not. If this node does not hold the named
 * commit, it cannot tell which of its records came before it: they are
 * pending until it does. */
typedef struct {
	const civic_member *member;
	int all_valid;
	int has_boundary;
	int unrelated; /* the named commit is held, and shares no history with the feed */
	git_oid boundary;
	int passed;
} revocation_cursor;

/* Asked first: libgit2 1.5 leaks in git_merge_base() on a missing commit. */
static int commit_held(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	int held = git_repository_odb(&odb, repo) == 0 && git_odb_exists(odb, id);

	git_odb_free(odb);
	return held;
}

static void cursor_init(revocation_cursor *c, git_repository *repo, const civic_member *m, const git_oid *head)
{
	memset(c, 0, sizeof *c);
	c->member = m;
	if (!m || !m->revoked)
		c->all_valid = 1;
	else if (m->has_last_valid && commit_held(repo, &m->last_valid)) {
		/* Held but unrelated to this feed: none of it came before the
		 * revocation point, so none of it counts. */
		c->has_boundary = git_merge_base(&c->boundary, repo, head, &m->last_valid) == 0;
		c->unrelated = !c->has_boundary;
	}
	git_error_clear();
}

static civic_standing cursor_next(revocation_cursor *c, const git_oid *id)
{
	civic_standing s;

	if (!c->member)
		return CIVIC_STANDING_PENDING;
	if (c->all_valid)
		return CIVIC_STANDING_VALID;
	/* Without the named commit we cannot place our records before or
	 * after it: they wait, like a non-member's, for more of the feed. */
	if (!c->member->has_last_valid || c->unrelated)
		return CIVIC_STANDING_REVOKED;
	if (!c->has_boundary)
		return CIVIC_STANDING_PENDING;
	s = c->passed ? CIVIC_STANDING_REVOKED : CIVIC_STANDING_VALID;
	if (c->has_boundary && git_oid_equal(id, &c->boundary))
		c->passed = 1;
	return s;
}

static void report_bad(const civic_catalog_callbacks *cb, const civic_pubkey *author,
		       const char *refname, const git_oid *id)
{
	if (cb->bad)
		cb->bad(author, refname, id, civic_error_last()->message, cb->payload);
}

/* The ids a walk verifies: the whole chain, or with `after` what head adds
 * to it (1 when head does not extend it). 0 with *n == 0 and the feed
 * reported bad when the chain cannot be collected. */
static int collect_ids(git_oid **chain, size_t *n, git_repository *repo, const civic_entry *entry,
		       const char *refname, const git_oid *head, const git_oid *after,
		       const civic_catalog_callbacks *cb)
{
	int reached = 1, error;

	error = after ? civic_chain_collect_until(chain, n, &reached, repo, head, after, CIVIC_FEED_MAX_SEQ)
		      : civic_chain_collect(chain, n, repo, head, CIVIC_FEED_MAX_SEQ);
	if (error < 0) {
		report_bad(cb, &entry->author, refname, head);
		*n = 0;
		return 0;
	}
	return reached ? 0 : 1;
}

static int walk_feed(git_repository *repo, const char *network, const civic_roster *roster,
		     const civic_schemas *schemas, const char *refname, const git_oid *head,
		     const git_oid *after, const civic_catalog_callbacks *cb)
{
	civic_entry entry;
	civic_feed_verifier *verifier = NULL;
	revocation_cursor cursor;
	git_oid *chain = NULL;
	size_t n = 0, i;
	json_t *record = NULL;
	int error;

	memset(&entry, 0, sizeof entry);
	if (civic_feed_author_from_refname(&entry.author, refname) < 0) {
		report_bad(cb, NULL, refname, head);
		return 0;
	}
	entry.member = roster ? civic_roster_find(roster, &entry.author) : NULL;
	/* A revoked member's standing is placed by the whole feed's history. */
	if (after && entry.member && entry.member->revoked)
		return 1;
	cursor_init(&cursor, repo, entry.member, head);
	if ((error = civic_feed_verifier_new(&verifier, repo, &entry.author, network, schemas)) < 0)
		return error;
	if ((error = collect_ids(&chain, &n, repo, &entry, refname, head, after, cb)) != 0 || n == 0)
		goto done;
	if (after && civic_feed_verifier_resume(verifier, after) < 0) {
		civic_error_clear(); /* `after` unreadable: the feed is walked whole */
		error = 1;
		goto done;
	}
	for (i = 0; i < n && error == 0; i++) {
		if (civic_feed_verifier_next(verifier, &entry.commit, &record, &chain[i]) < 0) {
			report_bad(cb, &entry.author, refname, &chain[i]);
			break;
		}
		entry.record = record;
		entry.standing = cursor_next(&cursor, &chain[i]);
		error = cb->record ? cb->record(&entry, cb->payload) : 0;
		json_decref(record);
		record = NULL;
	}
done:
	free(chain);
	civic_feed_verifier_free(verifier);
	return error;
}

int civic_catalog_walk_feed(git_repository *repo, const char *network, const civic_roster *roster,
			    const civic_schemas *schemas, const char *refname, const git_oid *head,
			    const civic_catalog_callbacks *cb)
{
	return walk_feed(repo, network, roster, schemas, refname, head, NULL, cb);
}

int civic_catalog_walk_feed_after(git_repository *repo, const char *network, const civic_roster *roster,
				  const civic_schemas *schemas, const char *refname, const git_oid *head,
				  const git_oid *after, const civic_catalog_callbacks *cb)
{
	return walk_feed(repo, network, roster, schemas, refname, head, after, cb);
}

int civic_catalog_walk(git_repository *repo, const char *network_hex, const civic_roster *roster,
		       const civic_schemas *schemas, const civic_pubkey *only,
		       const civic_catalog_callbacks *callbacks)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	civic_buf only_ref = CIVIC_BUF_INIT;
	int error;

	if (only && (error = civic_feed_refname(&only_ref, only)) < 0)
		return error;
	if ((error = git_reference_iterator_glob_new(&it, repo, CIVIC_FEED_REF_PREFIX "*")) < 0) {
		error = civic_error_from_git(error, "cannot list feeds");
		goto done;
	}
	while ((error = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *head = git_reference_target(ref);
		if (head && (!only || !strcmp(name, only_ref.ptr)))
			error = civic_catalog_walk_feed(repo, network_hex, roster, schemas, name, head, callbacks);
		git_reference_free(ref);
		if (error)
			goto done;
	}
	if (error == GIT_ITEROVER)
		error = 0;
	else
		error = civic_error_from_git(error, "cannot list feeds");
done:
	git_reference_iterator_free(it);
	civic_buf_dispose(&only_ref);
	return error;
}
