/* status.c - per-feed holdings and peer knowledge; see status.h. */
#include "status.h"
#include "attach.h"
#include "attach_index.h"
#include "error.h"
#include "feed.h"
#include "fork.h"
#include "oidset.h"
#include "state.h"
#include "verified_heads.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	civic_status *status;
	const char *attachments_dir;
	int failed;
	int index_attachments; /* the walk's attachments come from the index instead */
	/* The attachment index (attach_index.h), read when first needed: for
	 * the feeds counted from the cache, or to tell purged from missing. */
	git_repository *repo;
	const civic_roster *roster;
	const char *tmp_dir;
	civic_attach_holding *held;
	size_t nheld;
	int held_read, held_ok;  /* tried; could be read */
	/* Records with attachments that are not here: missing, unless a
	 * retraction purged them, which only the index says. */
	struct absent {
		civic_pubkey author;
		git_oid record;
		size_t n;
	} *absent;
	size_t nabsent, absent_alloc;
} collect_state;

static civic_feed_status *find_feed(civic_status *s, const civic_pubkey *author)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		if (civic_pubkey_equal(&s->feeds[i].author, author))
			return &s->feeds[i];
	return NULL;
}

static civic_feed_status *feed_of(collect_state *cs, const civic_pubkey *author, const civic_member *m)
{
	civic_status *s = cs->status;
	civic_feed_status *f = find_feed(s, author);

	if (f)
		return f;
	if (s->count == s->alloc) {
		size_t n = s->alloc ? s->alloc * 2 : 16;
		civic_feed_status *p = realloc(s->feeds, n * sizeof *p);
		if (!p) {
			cs->failed = 1;
			return NULL;
		}
		s->feeds = p;
		s->alloc = n;
	}
	f = &s->feeds[s->count++];
	memset(f, 0, sizeof *f);
	f->author = *author;
	f->member = m;
	return f;
}

static void remember_absent(collect_state *cs, const civic_feed_status *f, const git_oid *id, size_t n)
{
	struct absent *x;

	if (cs->nabsent == cs->absent_alloc) {
		size_t alloc = cs->absent_alloc ? cs->absent_alloc * 2 : 16;
		struct absent *p = realloc(cs->absent, alloc * sizeof *p);
		if (!p) {
			cs->failed = 1;
			return;
		}
		cs->absent = p;
		cs->absent_alloc = alloc;
	}
	x = &cs->absent[cs->nabsent++];
	x->author = f->author;
	x->record = *id;
	x->n = n;
}

/* The attachments of record `id`; those not here are told purged or
 * missing at the end (count_purged). */
static void count_attachments(collect_state *cs, civic_feed_status *f, const git_oid *id, const json_t *list)
{
	civic_attach_state state;
	size_t i, missing = 0;
	json_t *a;

	json_array_foreach(list, i, a) {
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		uint64_t size = (uint64_t)json_integer_value(json_object_get(a, "size"));
		if (civic_attach_check(&state, cs->attachments_dir, sha, size, 0) < 0 || state == CIVIC_ATTACH_CORRUPT)
			f->attachments_corrupt++;
		else if (state == CIVIC_ATTACH_MISSING)
			missing++;
		else
			f->attachments_present++;
	}
	f->attachments_missing += missing;
	if (missing)
		remember_absent(cs, f, id, missing);
}

static int on_record(const civic_entry *e, void *payload)
{
	collect_state *cs = payload;
	civic_feed_status *f = feed_of(cs, &e->author, e->member);

	if (!f)
		return civic_error_nomem();
	f->head = e->commit.id;
	f->head_seq = e->commit.seq;
	f->walked++;
	if (e->standing == CIVIC_STANDING_VALID)
		f->valid++;
	else if (e->standing == CIVIC_STANDING_PENDING)
		f->pending++;
	else
		f->revoked++;
	if (!cs->index_attachments)
		count_attachments(cs, f, &e->commit.id, json_object_get(e->record, "attachments"));
	return 0;
}

static void on_bad(const civic_pubkey *author, const char *refname, const git_oid *commit,
		   const char *reason, void *payload)
{
	collect_state *cs = payload;
	civic_feed_status *f;

	(void)refname;
	if (!author || !(f = feed_of(cs, author, NULL)))
		return;
	f->bad = 1;
	f->bad_commit = *commit;
	snprintf(f->bad_reason, sizeof f->bad_reason, "%s", reason);
}

/* -------------------------------------------------------------------------
 * Feed by feed: from the cache of verified heads, or verified now
 */

/* Keeps a feed that verified whole up to its head, unless its standing
 * hangs on more than the roster (a revoked member's, verified_heads.h). */
static int keep_counts(civic_verified_heads *cache, const char *refname, const git_oid *head,
		       const civic_feed_status *f)
{
	civic_verified_head h;

	if (!f || f->bad || f->revoked || (f->member && f->member->revoked) || !git_oid_equal(&f->head, head))
		return 0;
	h.head = f->head;
	h.seq = f->head_seq;
	h.valid = f->valid;
	h.pending = f->pending;
	h.revoked = f->revoked;
	return civic_verified_heads_set(cache, refname, &h);
}

static void set_counts(civic_feed_status *f, const civic_verified_head *h)
{
	f->head = h->head;
	f->head_seq = h->seq;
	f->valid = h->valid;
	f->pending = h->pending;
	f->revoked = h->revoked;
}

/* A feed that moved on from the head it was counted at: the cache's counts,
 * plus those of a verified walk of what the feed added since. 1 when that
 * cannot stand for a walk of the whole feed (it does not extend that head,
 * or a new commit is bad: the attachment index then holds records that did
 * not verify), with the feed's counts cleared. */
static int count_moved(collect_state *cs, civic_verified_heads *cache, git_repository *repo, const char *network,
		       const civic_roster *roster, const civic_schemas *schemas, const char *refname,
		       const git_oid *head, const civic_pubkey *author, const civic_member *m,
		       const civic_verified_head *h)
{
	civic_catalog_callbacks cb = { on_record, on_bad, cs };
	civic_feed_status *f;
	int error;

	if (!(f = feed_of(cs, author, m)))
		return civic_error_nomem();
	set_counts(f, h);
	cs->index_attachments = 1;
	error = civic_catalog_walk_feed_after(repo, network, roster, schemas, refname, head, &h->head, &cb);
	cs->index_attachments = 0;
	if (error < 0 || cs->failed)
		return error < 0 ? error : civic_error_nomem();
	f = find_feed(cs->status, author);
	if (error == 0 && !f->bad && git_oid_equal(&f->head, head)) {
		f->from_cache = 1; /* its attachments, from the index */
		return keep_counts(cache, refname, head, f);
	}
	memset(f, 0, sizeof *f);
	f->author = *author;
	f->member = m;
	return 1;
}

/* One feed's counts: the cache's when the feed has not moved, the cache's
 * and those of what it added when it moved on, else those of a verified
 * walk of it (catalog.h), which the cache then keeps. */
static int count_feed(collect_state *cs, civic_verified_heads *cache, git_repository *repo, const char *network,
		      const civic_roster *roster, const civic_schemas *schemas, const char *refname,
		      const git_oid *head)
{
	civic_catalog_callbacks cb = { on_record, on_bad, cs };
	const civic_member *m;
	civic_verified_head h;
	civic_feed_status *f;
	civic_pubkey author;
	int error;

	if (civic_feed_author_from_refname(&author, refname) < 0)
		return 0; /* not a feed: the walk passes it over too */
	m = roster ? civic_roster_find(roster, &author) : NULL;
	if ((!m || !m->revoked) && civic_verified_heads_get(&h, cache, refname, head)) {
		if (!(f = feed_of(cs, &author, m)))
			return civic_error_nomem();
		set_counts(f, &h);
		f->from_cache = 1;
		return 0;
	}
	if ((!m || !m->revoked) && civic_verified_heads_last(&h, cache, refname) &&
	    (error = count_moved(cs, cache, repo, network, roster, schemas, refname, head, &author, m, &h)) <= 0)
		return error;
	if ((error = civic_catalog_walk_feed(repo, network, roster, schemas, refname, head, &cb)) < 0)
		return error;
	if (cs->failed)
		return civic_error_nomem();
	f = find_feed(cs->status, &author);
	if (f && !f->member)
		f->member = m;
	return keep_counts(cache, refname, head, f);
}

/* The attachment index, read once (it reads only what feeds added since
 * it last looked). One that cannot be read (a record damaged on disk)
 * leaves the cached feeds to be walked, and nothing called purged. */
static int read_held(collect_state *cs)
{
	if (!cs->held_read && civic_attach_index_read(&cs->held, &cs->nheld, cs->repo, cs->roster, cs->tmp_dir) == 0)
		cs->held_ok = 1;
	cs->held_read = 1;
	civic_error_clear();
	return cs->held_ok ? 0 : CIVIC_ERROR;
}

/* The attachments of the feeds counted from the cache, from the index. */
static int count_cached_attachments(collect_state *cs)
{
	civic_feed_status *f;
	size_t i;

	if (read_held(cs) < 0)
		return CIVIC_ERROR;
	for (i = 0; i < cs->nheld; i++)
		if ((f = find_feed(cs->status, &cs->held[i].author)) && f->from_cache)
			count_attachments(cs, f, &cs->held[i].record, cs->held[i].attachments);
	return 0;
}

/* Of the attachments not here, those a retraction purged are not missing. */
static int count_purged(collect_state *cs)
{
	civic_oidset *purged = NULL;
	civic_feed_status *f;
	size_t i;
	int error;

	if (cs->nabsent == 0 || read_held(cs) < 0)
		return 0;
	if ((error = civic_oidset_new(&purged)) < 0)
		return error;
	for (i = 0; i < cs->nheld && error == 0; i++)
		if (cs->held[i].purged)
			error = civic_oidset_add(purged, &cs->held[i].record);
	for (i = 0; i < cs->nabsent && error == 0; i++)
		if (civic_oidset_has(purged, &cs->absent[i].record) && (f = find_feed(cs->status, &cs->absent[i].author)) &&
		    f->attachments_missing >= cs->absent[i].n) {
			f->attachments_missing -= cs->absent[i].n;
			f->attachments_purged += cs->absent[i].n;
		}
	civic_oidset_free(purged);
	return error;
}

static int walk_cached_again(collect_state *cs, git_repository *repo, const char *network,
			     const civic_roster *roster, const civic_schemas *schemas)
{
	civic_catalog_callbacks cb = { on_record, on_bad, cs };
	civic_buf refname = CIVIC_BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < cs->status->count && error == 0; i++) {
		civic_feed_status *f = &cs->status->feeds[i];
		git_oid head = f->head; /* the ref's, as the cache matched it */
		if (!f->from_cache || (error = civic_feed_refname(&refname, &f->author)) < 0)
			continue;
		f->from_cache = 0;
		f->head_seq = f->valid = f->pending = f->revoked = f->walked = 0;
		f->attachments_present = f->attachments_missing = f->attachments_corrupt = 0;
		f->attachments_purged = 0;
		if ((error = civic_catalog_walk_feed(repo, network, roster, schemas, refname.ptr, &head, &cb)) == 0 &&
		    cs->failed)
			error = civic_error_nomem();
	}
	civic_buf_dispose(&refname);
	return error;
}

static int count_feeds(collect_state *cs, git_repository *repo, const char *network, const civic_roster *roster,
		       const civic_schemas *schemas, const char *tmp_dir)
{
	civic_verified_heads *cache = NULL;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_oid roster_head;
	size_t i, cached = 0;
	int error;

	if (roster)
		roster_head = civic_roster_head(roster);
	if ((error = civic_verified_heads_load(&cache, tmp_dir, roster ? &roster_head : NULL)) < 0)
		return error;
	if ((error = git_reference_iterator_glob_new(&it, repo, CIVIC_FEED_REF_PREFIX "*")) < 0) {
		error = civic_error_from_git(error, "cannot list feeds");
		goto done;
	}
	for (;;) {
		const git_oid *head;
		if ((error = git_reference_next(&ref, it)) < 0) {
			error = error == GIT_ITEROVER ? 0 : civic_error_from_git(error, "cannot list feeds");
			break;
		}
		head = git_reference_target(ref);
		error = head ? count_feed(cs, cache, repo, network, roster, schemas, git_reference_name(ref), head) : 0;
		git_reference_free(ref);
		if (error < 0)
			break;
	}
	for (i = 0; i < cs->status->count; i++)
		cached += cs->status->feeds[i].from_cache;
	if (error == 0 && cached > 0 && count_cached_attachments(cs) < 0) {
		/* The index reads every feed unverified: one that is unreadable
		 * (damaged on disk) fails it. Then the cached feeds are walked. */
		civic_error_clear();
		error = walk_cached_again(cs, repo, network, roster, schemas);
	}
	/* A cache: one that cannot be saved is rebuilt next time. */
	if (error == 0 && civic_verified_heads_save(cache) < 0)
		civic_error_clear();
done:
	git_reference_iterator_free(it);
	civic_verified_heads_free(cache);
	return error;
}

/* Forks kept as evidence, open or settled (fork.h). */
static int count_forks(civic_status *s, git_repository *repo, const char *network,
		       const civic_roster *roster, const civic_schemas *schemas)
{
	civic_fork *forks = NULL;
	size_t n = 0, i, j;
	int error = civic_fork_list(&forks, &n, repo, network, roster, schemas);

	for (i = 0; error == 0 && i < n; i++) {
		if (forks[i].roster) {
			if (forks[i].state == CIVIC_FORK_OPEN)
				s->roster_forks++;
			else
				s->roster_forks_settled++;
			continue;
		}
		for (j = 0; j < s->count; j++)
			if (civic_pubkey_equal(&s->feeds[j].author, &forks[i].author)) {
				if (forks[i].state == CIVIC_FORK_OPEN)
					s->feeds[j].forks++;
				else if (forks[i].state != CIVIC_FORK_IN_FEED)
					s->feeds[j].forks_settled++;
			}
	}
	free(forks);
	return error;
}

/* Against our feeds: what the statement lacks, and what it holds that we do not. */
static void compare_state(civic_node_status *n, const civic_status *s, const civic_state *state,
			  git_repository *repo)
{
	civic_peer_status *h = &n->holds;
	size_t i;

	for (i = 0; i < s->count; i++) {
		const civic_feed_status *f = &s->feeds[i];
		const civic_state_feed *t = civic_state_find(state, &f->author);
		if (f->head_seq == 0)
			continue;
		if (!t) {
			h->feeds_lacking++;
			h->records_lacking += f->head_seq;
		} else if (git_oid_equal(&t->head, &f->head)) {
			h->feeds_current++;
		} else if (t->seq < f->head_seq && git_graph_descendant_of(repo, &f->head, &t->head) == 1) {
			h->feeds_lacking++;
			h->records_lacking += f->head_seq - t->seq;
		} else if (t->seq > f->head_seq && git_graph_descendant_of(repo, &t->head, &f->head) != 0) {
			/* Beyond our head, or a head we lack: its claim, counted as such. */
			h->records_ahead += t->seq - f->head_seq;
		} else {
			h->feeds_other++;
		}
	}
	for (i = 0; i < state->nfeeds; i++) {
		const civic_state_feed *t = &state->feeds[i];
		size_t j;
		for (j = 0; j < s->count && !civic_pubkey_equal(&s->feeds[j].author, &t->author); j++)
			;
		if (j == s->count || s->feeds[j].head_seq == 0)
			h->records_ahead += t->seq;
	}
	git_error_clear();
}

static int add_node(civic_status *s, size_t *alloc, const civic_state *state, const civic_member *m,
		    git_repository *repo)
{
	civic_node_status *n;
	git_oid roster;

	if (s->nnodes == *alloc) {
		size_t count = *alloc ? *alloc * 2 : 16;
		civic_node_status *p = realloc(s->nodes, count * sizeof *p);
		if (!p)
			return civic_error_nomem();
		s->nodes = p;
		*alloc = count;
	}
	n = &s->nodes[s->nnodes++];
	memset(n, 0, sizeof *n);
	n->node = state->node;
	n->member = m;
	n->serial = state->serial;
	n->time = state->time;
	n->same_roster = git_reference_name_to_id(&roster, repo, CIVIC_ROSTER_REF) == 0 &&
			 git_oid_equal(&roster, &state->roster);
	compare_state(n, s, state, repo);
	return 0;
}

/* Every node's signed statement this archive holds, verified. */
static int collect_nodes(civic_status *s, git_repository *repo, const char *network, const civic_roster *roster)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	size_t alloc = 0;
	int error;

	if (!roster)
		return 0;
	if ((error = git_reference_iterator_glob_new(&it, repo, CIVIC_STATE_REF_PREFIX "*")) < 0)
		return civic_error_from_git(error, "cannot list the nodes' statements");
	while ((error = git_reference_next(&ref, it)) == 0) {
		const civic_member *m;
		civic_state *state = NULL;
		civic_pubkey key;
		const git_oid *id = git_reference_target(ref);
		if (id && civic_state_key_from_refname(&key, git_reference_name(ref)) == 0 &&
		    (m = civic_roster_find(roster, &key)) && !m->revoked &&
		    civic_state_verify(&state, repo, id, &key, network, NULL) == 0)
			error = add_node(s, &alloc, state, m, repo);
		civic_state_free(state);
		git_reference_free(ref);
		if (error < 0)
			break;
	}
	git_reference_iterator_free(it);
	civic_error_clear();
	return error == GIT_ITEROVER ? 0 : error;
}

int civic_status_collect(civic_status *out, git_repository *repo, const char *network,
			 const civic_roster *roster, const civic_schemas *schemas,
			 const char *attachments_dir, const char *tmp_dir)
{
	collect_state cs;
	size_t i;
	int error;

	memset(out, 0, sizeof *out);
	memset(&cs, 0, sizeof cs);
	cs.status = out;
	cs.attachments_dir = attachments_dir;
	cs.repo = repo;
	cs.roster = roster;
	cs.tmp_dir = tmp_dir;
	error = count_feeds(&cs, repo, network, roster, schemas, tmp_dir);
	if (error == 0 && cs.failed)
		error = civic_error_nomem();
	if (error == 0)
		error = count_purged(&cs);
	civic_attach_holdings_free(cs.held, cs.nheld);
	free(cs.absent);
	if (error < 0 || (error = count_forks(out, repo, network, roster, schemas)) < 0 ||
	    (error = collect_nodes(out, repo, network, roster)) < 0) {
		civic_status_dispose(out);
		return error;
	}
	for (i = 0; i < out->count; i++) {
		civic_feed_status *f = &out->feeds[i];
		if (!f->member && roster)
			f->member = civic_roster_find(roster, &f->author);
		out->attachments_present += f->attachments_present;
		out->attachments_missing += f->attachments_missing;
		out->attachments_corrupt += f->attachments_corrupt;
		out->attachments_purged += f->attachments_purged;
	}
	return 0;
}

void civic_status_dispose(civic_status *status)
{
	free(status->feeds);
	free(status->nodes);
	memset(status, 0, sizeof *status);
}

void civic_status_peer(civic_peer_status *out, const civic_status *status, const civic_peer *peer,
		       git_repository *repo)
{
	civic_buf ref = CIVIC_BUF_INIT;
	size_t i;

	memset(out, 0, sizeof *out);
	for (i = 0; i < status->count; i++) {
		const civic_feed_status *f = &status->feeds[i];
		uint64_t seq;
		git_oid theirs;
		if (f->head_seq == 0 || civic_feed_refname(&ref, &f->author) < 0)
			continue;
		if (civic_peer_known(&theirs, peer, ref.ptr) < 0) {
			out->feeds_lacking++;
			out->records_lacking += f->head_seq;
		} else if (git_oid_equal(&theirs, &f->head)) {
			out->feeds_current++;
		} else if (civic_feed_commit_seq(&seq, repo, &theirs) == 0 && seq < f->head_seq &&
			   git_graph_descendant_of(repo, &f->head, &theirs) == 1) {
			out->feeds_lacking++;
			out->records_lacking += f->head_seq - seq;
		} else {
			out->feeds_other++;
		}
	}
	git_error_clear();
	civic_error_clear();
	civic_buf_dispose(&ref);
}
