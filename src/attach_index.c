/* attach_index.c - records with attachments, cached per feed head; see attach_index.h. */
#include "attach_index.h"
#include "attach_purge.h"
#include "buf.h"
#include "chain.h"
#include "error.h"
#include "feed.h"
#include "json_cache.h"
#include "object_limits.h"
#include "signed_commit.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_FORMAT "civic-attachment-index-2"
#define INDEX_FILE "attachment-index.json"
#define INDEX_MAX (64 * 1024 * 1024)

typedef struct {
	civic_attach_holding *list;
	size_t count, alloc;
	civic_purge_claims claims;
} holdings;

/* The record a feed commit adds, read (it was verified when it was taken). */
static int read_record(json_t **out, git_repository *repo, const git_oid *commit_id)
{
	char path[CIVIC_RECORD_PATH_SIZE];
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	uint64_t seq;
	int error;

	*out = NULL;
	if ((error = civic_feed_commit_seq(&seq, repo, commit_id)) < 0 ||
	    (error = civic_record_path(path, seq)) < 0)
		return error;
	if ((error = git_commit_lookup(&c, repo, commit_id)) < 0 || (error = git_commit_tree(&tree, c)) < 0 ||
	    (error = git_tree_entry_bypath(&e, tree, path)) < 0) {
		error = civic_error_from_git(error, "cannot read record '%s'", path);
		goto done;
	}
	if ((error = civic_object_check(repo, git_tree_entry_id(e), GIT_OBJECT_BLOB, CIVIC_RECORD_MAX_SIZE,
				       "a record")) < 0)
		goto done;
	if ((error = git_blob_lookup(&blob, repo, git_tree_entry_id(e))) < 0) {
		error = civic_error_from_git(error, "cannot read record '%s'", path);
		goto done;
	}
	error = civic_record_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), path);
done:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

static int add_holding(holdings *h, const civic_pubkey *author, const git_oid *record, json_t *attachments)
{
	if (h->count == h->alloc) {
		size_t n = h->alloc ? h->alloc * 2 : 32;
		civic_attach_holding *p = realloc(h->list, n * sizeof *p);
		CIVIC_ERROR_CHECK_ALLOC(p);
		h->list = p;
		h->alloc = n;
	}
	memset(&h->list[h->count], 0, sizeof h->list[h->count]);
	h->list[h->count].record = *record;
	h->list[h->count].author = *author;
	h->list[h->count++].attachments = json_incref(attachments);
	return 0;
}

/* [retraction id, target id], as the index keeps a claim. */
static json_t *claim_json(const git_oid *retraction, const git_oid *target)
{
	char r[GIT_OID_HEXSZ + 1], t[GIT_OID_HEXSZ + 1];

	return json_pack("[ss]", git_oid_tostr(r, sizeof r, retraction), git_oid_tostr(t, sizeof t, target));
}

/* What record (of the feed of author, at id) holds: attachments, or a
 * purge it asks for; each goes to h and to the feed's lists in the index. */
static int take_record(holdings *h, json_t *ids_out, json_t *purges_out, const civic_pubkey *author,
		       const git_oid *id, json_t *record)
{
	json_t *list = json_object_get(record, "attachments");
	char hex[GIT_OID_HEXSZ + 1];
	git_oid target;
	int error;

	if (json_array_size(list)) {
		if ((error = add_holding(h, author, id, list)) < 0)
			return error;
		json_array_append_new(ids_out, json_string(git_oid_tostr(hex, sizeof hex, id)));
	}
	if (civic_purge_claim_of(&target, record)) {
		if ((error = civic_purge_claims_add(&h->claims, id, &target, author)) < 0)
			return error;
		json_array_append_new(purges_out, claim_json(id, &target));
	}
	return 0;
}

/* Reads the records ids[0..n) add (take_record). */
static int read_new(holdings *h, json_t *ids_out, json_t *purges_out, git_repository *repo,
		    const civic_pubkey *author, const git_oid *ids, size_t n)
{
	size_t i;
	int error = 0;

	for (i = 0; i < n && error == 0; i++) {
		json_t *record = NULL;
		if ((error = read_record(&record, repo, &ids[i])) == 0)
			error = take_record(h, ids_out, purges_out, author, &ids[i], record);
		json_decref(record);
	}
	return error;
}

/* Whether commit id is by author. A purge cannot be undone, so a cached
 * claim must be a record of this feed's author, as every commit of the
 * feed was checked to be when it was taken. The holdings' list is the
 * node's own cache, trusted like the refs. */
static int by_author(git_repository *repo, const git_oid *id, const civic_pubkey *author)
{
	git_commit *c = NULL;
	int ok = git_commit_lookup(&c, repo, id) == 0 && civic_commit_check_email(c, author) == 0;

	git_commit_free(c);
	git_error_clear();
	civic_error_clear();
	return ok;
}

/* The records the cached entry names, read again from the archive: an
 * entry that names what is not there (a damaged cache) adds nothing. */
static int read_cached(holdings *h, json_t *ids_out, json_t *purges_out, git_repository *repo,
		       const civic_pubkey *author, const json_t *cached)
{
	json_t *v;
	size_t i;
	int error = 0;

	json_array_foreach(json_object_get(cached, "records"), i, v) {
		git_oid id;
		json_t *record = NULL;
		if (!json_is_string(v) || git_oid_fromstr(&id, json_string_value(v)) < 0 ||
		    read_record(&record, repo, &id) < 0) {
			json_decref(record);
			continue;
		}
		if (json_array_size(json_object_get(record, "attachments")) &&
		    (error = add_holding(h, author, &id, json_object_get(record, "attachments"))) == 0)
			json_array_append(ids_out, v);
		json_decref(record);
		if (error < 0)
			return error;
	}
	json_array_foreach(json_object_get(cached, "purges"), i, v) {
		const char *r = json_string_value(json_array_get(v, 0)), *t = json_string_value(json_array_get(v, 1));
		git_oid id, target, claimed;
		json_t *record = NULL;
		if (!r || !t || git_oid_fromstr(&id, r) < 0 || git_oid_fromstr(&claimed, t) < 0 ||
		    !by_author(repo, &id, author) ||
		    read_record(&record, repo, &id) < 0 || !civic_purge_claim_of(&target, record) ||
		    !git_oid_equal(&target, &claimed)) {
			json_decref(record);
			continue;
		}
		json_decref(record);
		if ((error = civic_purge_claims_add(&h->claims, &id, &target, author)) < 0)
			return error;
		json_array_append(purges_out, v);
	}
	return 0;
}

/* The records of the feed with attachments, from the cached entry when
 * it still holds (the feed extends its head). */
static int index_feed(holdings *h, json_t *entry_out, git_repository *repo, const civic_pubkey *author,
		      const git_oid *head, const json_t *cached)
{
	const char *cached_head = json_string_value(json_object_get(cached, "head"));
	json_t *ids = json_array(), *purges = json_array();
	git_oid from, *chain = NULL;
	size_t n = 0;
	char hex[GIT_OID_HEXSZ + 1];
	int reached = 0, error;

	if (!ids || !purges) {
		error = civic_error_nomem();
		goto done;
	}
	if (cached_head && git_oid_fromstr(&from, cached_head) == 0 &&
	    civic_chain_collect_until(&chain, &n, &reached, repo, head, &from, CIVIC_FEED_MAX_SEQ) == 0 && reached) {
		if ((error = read_cached(h, ids, purges, repo, author, cached)) < 0)
			goto done;
	} else {
		free(chain);
		chain = NULL;
		if ((error = civic_chain_collect(&chain, &n, repo, head, CIVIC_FEED_MAX_SEQ)) < 0)
			goto done;
	}
	git_error_clear();
	if ((error = read_new(h, ids, purges, repo, author, chain, n)) < 0)
		goto done;
	json_object_set_new(entry_out, "head", json_string(git_oid_tostr(hex, sizeof hex, head)));
	json_object_set(entry_out, "records", ids);
	json_object_set(entry_out, "purges", purges);
done:
	json_decref(ids);
	json_decref(purges);
	free(chain);
	return error;
}

static json_t *load_index(const char *path)
{
	json_t *doc = civic_json_cache_load(path, INDEX_FORMAT, INDEX_MAX);

	if (doc && !json_is_object(json_object_get(doc, "feeds"))) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

static int save_index(const char *tmp_dir, const char *path, json_t *feeds)
{
	json_t *doc = json_pack("{s:s, s:O}", "format", INDEX_FORMAT, "feeds", feeds);
	int error = doc ? civic_json_cache_save(tmp_dir, path, doc) : civic_error_nomem();

	/* A cache: kept when it can be, rebuilt when it cannot. */
	json_decref(doc);
	return error;
}

/* Whether a record counts: a revoked key's records do up to its revocation
 * point only (catalog.h); what the others hold or ask travels no further. */
static int counts(git_repository *repo, const civic_roster *roster, const civic_pubkey *author,
		  const git_oid *record)
{
	const civic_member *m = roster ? civic_roster_find(roster, author) : NULL;
	int ok;

	if (!m || !m->revoked)
		return 1;
	if (!m->has_last_valid)
		return 0;
	ok = git_oid_equal(record, &m->last_valid) || git_graph_descendant_of(repo, &m->last_valid, record) == 1;
	git_error_clear();
	return ok;
}

/* Leaves out what does not count, then marks what the claims left purge. */
static void settle(holdings *h, git_repository *repo, const civic_roster *roster)
{
	civic_purge_claims *c = &h->claims;
	const civic_purge_claim *by;
	size_t i, kept = 0;

	for (i = 0; i < c->count; i++)
		if (counts(repo, roster, &c->list[i].author, &c->list[i].retraction))
			c->list[kept++] = c->list[i];
	c->count = kept;
	c->sorted = 0;
	for (i = 0, kept = 0; i < h->count; i++) {
		civic_attach_holding *x = &h->list[i];
		if (!counts(repo, roster, &x->author, &x->record)) {
			json_decref(x->attachments);
			continue;
		}
		if (c->count && (by = civic_purge_claims_find(c, &x->record, &x->author, roster))) {
			x->purged = 1;
			x->purged_by = by->retraction;
		}
		h->list[kept++] = *x;
	}
	h->count = kept;
}

int civic_attach_index_read(civic_attach_holding **out, size_t *count, git_repository *repo,
			    const civic_roster *roster, const char *tmp_dir)
{
	holdings h = { NULL, 0, 0, CIVIC_PURGE_CLAIMS_INIT };
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	json_t *cached = NULL, *feeds = json_object();
	char path[PATH_MAX];
	int error;

	*out = NULL;
	*count = 0;
	if (!feeds)
		return civic_error_nomem();
	if (snprintf(path, sizeof path, "%s/" INDEX_FILE, tmp_dir) >= (int)sizeof path) {
		json_decref(feeds);
		civic_error_set(CIVIC_ERROR_NODE, "path too long: '%s'", tmp_dir);
		return CIVIC_EINVALID;
	}
	cached = load_index(path);
	if ((error = git_reference_iterator_glob_new(&it, repo, CIVIC_FEED_REF_PREFIX "*")) < 0) {
		error = civic_error_from_git(error, "cannot list feeds");
		goto done;
	}
	while ((error = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		json_t *entry = json_object();
		civic_pubkey author;
		int e = entry ? 0 : civic_error_nomem();
		if (e == 0 && git_reference_target(ref) && civic_feed_author_from_refname(&author, name) == 0)
			e = index_feed(&h, entry, repo, &author, git_reference_target(ref),
				       json_object_get(json_object_get(cached, "feeds"), name));
		civic_error_clear();
		if (e == 0)
			json_object_set(feeds, name, entry);
		json_decref(entry);
		git_reference_free(ref);
		if ((error = e) < 0)
			goto done;
	}
	if (error != GIT_ITEROVER) {
		error = civic_error_from_git(error, "cannot list feeds");
		goto done;
	}
	error = 0;
	if (save_index(tmp_dir, path, feeds) < 0)
		civic_error_clear();
	settle(&h, repo, roster);
done:
	git_reference_iterator_free(it);
	json_decref(cached);
	json_decref(feeds);
	civic_purge_claims_dispose(&h.claims);
	if (error < 0) {
		civic_attach_holdings_free(h.list, h.count);
		return error;
	}
	*out = h.list;
	*count = h.count;
	return 0;
}

void civic_attach_holdings_free(civic_attach_holding *list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		json_decref(list[i].attachments);
	free(list);
}
