/* sync.c - fetch into a quarantine, verify, accept, push to relays; see sync.h. */
#include "sync.h"
#include "chain.h"
#include "civic.h"
#include "error.h"
#include "feed.h"
#include "feed_run.h"
#include "fork.h"
#include "git_child.h"
#include "git_push.h"
#include "local_git.h"
#include "oidset.h"
#include "path_push.h"
#include "push_parts.h"
#include "quarantine.h"
#include "roster.h"
#include "schema_store.h"
#include "signed_commit.h"
#include "state.h"
#include "steps.h"
#include "thread.h"

#include <libintl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* What a ref under refs/civic/ is, by its name (classify()). */
typedef enum { REF_OTHER, REF_ROSTER, REF_FEED, REF_FEED_FORK, REF_ROSTER_FORK, REF_STATE, REF_STEP } ref_kind;

typedef struct {
	char refname[CIVIC_PEER_REF_MAX];
	git_oid id;
	int has_old;
	int hint;                     /* a step (steps.h): moved last, not synced */
	git_oid old;
} ref_move;

/* What one transfer brought: its quarantine, and which refs arrived whole. */
typedef struct {
	civic_quarantine *quarantine;
	unsigned char *fetched;       /* per adv entry: its objects arrived whole */
	int fetch_error;              /* < 0: the transfer broke off midway, why[] says how */
	char why[sizeof ((civic_error *)0)->message];
} incoming;

/* A verification running beside a fetch (fetch_in_steps): its progress
 * and verdict, for the calling thread to report. */
typedef struct {
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int finished, cancel;         /* under lock */
	size_t done, total;           /* under lock */
	int error;                    /* verify_all()'s, once finished */
	civic_error why;              /* the thread's error text, when error < 0 */
} beside;

typedef struct {
	civic_sync_report *report;
	const civic_sync_options *opts;
	civic_peer *peer;
	civic_node *node;
	git_repository *main, *q;     /* q: the quarantine of `in` */
	const char *network;
	civic_schemas *schemas;
	incoming *in;                 /* the transfer being verified, borrowed */
	beside *beside;               /* non-NULL: verification runs beside a fetch */
	civic_roster *roster;         /* what feeds are checked against */
	civic_peer_head *adv;         /* the peer's refs under refs/civic/ at fetch time */
	ref_kind *kinds;              /* per adv entry: what it is, classified once */
	unsigned char *no_steps;      /* per adv feed entry: its steps are passed over */
	size_t nadv, adv_alloc, kinds_alloc;
	git_oid *tips, *bases;        /* objects to move in: reachable from tips, not bases */
	size_t ntips, tips_alloc, nbases, bases_alloc;
	ref_move *moves;              /* refs to move once the objects are in */
	size_t nmoves, moves_alloc;
	civic_remote remote;          /* the connection, and what it saw */
	civic_push_plan *push_plan;   /* during push(): the parts, and the one */
	size_t push_part;             /* being pushed */
	civic_oidset *read;           /* every object of what verified */
	int in_parts;                 /* fetching long feeds in parts (fetch_in_steps) */
} sync_state;

const char *civic_sync_outcome_name(civic_sync_outcome outcome)
{
	switch (outcome) {
	case CIVIC_SYNC_ACCEPTED: return "accepted";
	case CIVIC_SYNC_PEER_BEHIND: return "peer-behind";
	case CIVIC_SYNC_FORK: return "fork";
	case CIVIC_SYNC_SETTLED: return "settled";
	case CIVIC_SYNC_REJECTED: return "rejected";
	case CIVIC_SYNC_PUSHED: return "pushed";
	case CIVIC_SYNC_PUSH_FAILED: return "push-failed";
	}
	return "unknown";
}

void civic_sync_report_dispose(civic_sync_report *report)
{
	free(report->items);
	memset(report, 0, sizeof *report);
}

/* Makes room for one more element of `size` bytes in *array. */
static int grow(void **array, size_t *alloc, size_t count, size_t size)
{
	void *p;
	size_t n;

	if (count < *alloc)
		return 0;
	n = *alloc ? *alloc * 2 : 16;
	if (!(p = realloc(*array, n * size)))
		return civic_error_nomem();
	*array = p;
	*alloc = n;
	return 0;
}

static int add_item(sync_state *st, civic_sync_outcome outcome, const char *refname,
		    const git_oid *theirs, size_t records, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* More records of a feed already taken in this sync (an earlier part):
 * added to its line. 1 when there was one. */
static int merge_accepted(civic_sync_report *r, const char *refname, const git_oid *theirs, size_t records)
{
	size_t i;

	for (i = r->count; i-- > 0;) {
		civic_sync_item *it = &r->items[i];
		if (it->outcome != CIVIC_SYNC_ACCEPTED || it->roster || it->state || it->reason[0] ||
		    strcmp(it->refname, refname))
			continue;
		it->records += records;
		r->records_accepted += records;
		if (theirs)
			git_oid_cpy(&it->theirs, theirs);
		return 1;
	}
	return 0;
}

static int add_accepted_part(sync_state *st, const char *feed_ref, const git_oid *theirs, size_t records)
{
	return merge_accepted(st->report, feed_ref, theirs, records)
		       ? 0
		       : add_item(st, CIVIC_SYNC_ACCEPTED, feed_ref, theirs, records, NULL);
}

static int add_item(sync_state *st, civic_sync_outcome outcome, const char *refname,
		    const git_oid *theirs, size_t records, const char *fmt, ...)
{
	civic_sync_report *r = st->report;
	civic_buf feed_ref = CIVIC_BUF_INIT;
	civic_sync_item *it;
	civic_pubkey author;
	uint64_t seq;
	va_list ap;
	int error;

	/* Records taken in parts (steps.h) are one line: the feed's. */
	if (outcome == CIVIC_SYNC_ACCEPTED && civic_step_from_refname(&author, &seq, refname) == 0) {
		if ((error = civic_feed_refname(&feed_ref, &author)) < 0)
			return error;
		error = add_accepted_part(st, feed_ref.ptr, theirs, records);
		civic_buf_dispose(&feed_ref);
		return error;
	}
	if (outcome == CIVIC_SYNC_ACCEPTED && !fmt && merge_accepted(r, refname, theirs, records))
		return 0;
	if ((error = grow((void **)&r->items, &r->alloc, r->count, sizeof *r->items)) < 0)
		return error;
	it = &r->items[r->count++];
	memset(it, 0, sizeof *it);
	it->outcome = outcome;
	snprintf(it->refname, sizeof it->refname, "%s", refname);
	it->roster = !strcmp(refname, CIVIC_ROSTER_REF) ||
		     !strncmp(refname, CIVIC_FORK_REF_PREFIX CIVIC_FORK_ROSTER_DIR "/",
			      strlen(CIVIC_FORK_REF_PREFIX CIVIC_FORK_ROSTER_DIR "/"));
	it->state = !strncmp(refname, CIVIC_STATE_REF_PREFIX, strlen(CIVIC_STATE_REF_PREFIX));
	if (theirs)
		git_oid_cpy(&it->theirs, theirs);
	it->records = records;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(it->reason, sizeof it->reason, dgettext("civic", fmt), ap);
		va_end(ap);
	}
	switch (outcome) {
	case CIVIC_SYNC_ACCEPTED:
		if (it->state)
			r->states_accepted++;
		else if (!it->roster) {
			r->records_accepted += records;
			r->feeds_accepted++;
		}
		break;
	case CIVIC_SYNC_REJECTED: r->rejected++; break;
	case CIVIC_SYNC_FORK: r->forks++; break;
	case CIVIC_SYNC_PUSHED: r->refs_pushed++; break;
	case CIVIC_SYNC_PUSH_FAILED: r->push_failed++; break;
	case CIVIC_SYNC_PEER_BEHIND: case CIVIC_SYNC_SETTLED: break;
	}
	return 0;
}

static int add_move(sync_state *st, const char *refname, const git_oid *id, const git_oid *old)
{
	ref_move *m;
	int error;

	if ((error = grow((void **)&st->moves, &st->moves_alloc, st->nmoves, sizeof *st->moves)) < 0)
		return error;
	m = &st->moves[st->nmoves++];
	snprintf(m->refname, sizeof m->refname, "%s", refname);
	m->id = *id;
	m->has_old = old != NULL;
	m->hint = 0;
	if (old)
		m->old = *old;
	return 0;
}

static int add_objects(sync_state *st, const git_oid *tip, const git_oid *base)
{
	int error;

	if ((error = grow((void **)&st->tips, &st->tips_alloc, st->ntips, sizeof *st->tips)) < 0)
		return error;
	st->tips[st->ntips++] = *tip;
	if (!base)
		return 0;
	if ((error = grow((void **)&st->bases, &st->bases_alloc, st->nbases, sizeof *st->bases)) < 0)
		return error;
	st->bases[st->nbases++] = *base;
	return 0;
}

/* Where refname stands now: a move planned in this sync, else the archive. */
static int current_head(git_oid *out, const sync_state *st, const char *refname)
{
	size_t i;

	for (i = st->nmoves; i-- > 0;)
		if (!strcmp(st->moves[i].refname, refname)) {
			*out = st->moves[i].id;
			return 1;
		}
	return git_reference_name_to_id(out, st->main, refname) == 0;
}

/* Whether refname exists, or is to be created in this sync. */
static int ref_held(const sync_state *st, const char *refname)
{
	git_oid id;

	return current_head(&id, st, refname);
}

static int report_progress(sync_state *st, civic_sync_phase phase, size_t done, size_t total, uint64_t bytes)
{
	beside *b = st->beside;
	int cancel;

	if (!b)
		return civic_remote_progress(&st->remote, phase, done, total, bytes);
	/* Beside a fetch: the calling thread reports it (wait_beside). */
	pthread_mutex_lock(&b->lock);
	b->done = done;
	b->total = total;
	cancel = b->cancel;
	pthread_mutex_unlock(&b->lock);
	/* Not civic_remote_cancel(): st->remote is the calling thread's. */
	if (!cancel)
		return 0;
	civic_error_set(CIVIC_ERROR_SYNC, "the sync with '%s' was cancelled", st->peer->name);
	return CIVIC_ERROR;
}

/* -------------------------------------------------------------------------
 * Which refs a peer may send: the roster, feeds, and fork evidence
 */

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

/* Fork evidence is refs/civic/forks/<64 hex>/<commit> or
 * refs/civic/forks/roster/<commit>, the ref naming the commit it holds. */
static ref_kind classify(const char *name, const git_oid *id)
{
	size_t plen = strlen(CIVIC_FORK_REF_PREFIX);
	char hex[GIT_OID_HEXSZ + 1];
	const char *rest, *slash;
	civic_pubkey key;

	if (!strcmp(name, CIVIC_ROSTER_REF))
		return REF_ROSTER;
	if (!strncmp(name, CIVIC_FEED_REF_PREFIX, strlen(CIVIC_FEED_REF_PREFIX)))
		return civic_feed_author_from_refname(&key, name) == 0 ? REF_FEED : REF_OTHER;
	if (!strncmp(name, CIVIC_STATE_REF_PREFIX, strlen(CIVIC_STATE_REF_PREFIX)))
		return civic_state_key_from_refname(&key, name) == 0 ? REF_STATE : REF_OTHER;
	if (!strncmp(name, CIVIC_STEP_REF_PREFIX, strlen(CIVIC_STEP_REF_PREFIX))) {
		uint64_t seq;
		return civic_step_from_refname(&key, &seq, name) == 0 ? REF_STEP : REF_OTHER;
	}
	if (strncmp(name, CIVIC_FORK_REF_PREFIX, plen))
		return REF_OTHER;
	rest = name + plen;
	if (!(slash = strchr(rest, '/')) || !is_hex(slash + 1, GIT_OID_HEXSZ) ||
	    strcmp(slash + 1, git_oid_tostr(hex, sizeof hex, id)))
		return REF_OTHER;
	if ((size_t)(slash - rest) == strlen(CIVIC_FORK_ROSTER_DIR) && !strncmp(rest, CIVIC_FORK_ROSTER_DIR, slash - rest))
		return REF_ROSTER_FORK;
	if (slash - rest == CIVIC_PUBKEY_HEX_LEN && civic_pubkey_from_hex(&key, rest, CIVIC_PUBKEY_HEX_LEN) == 0)
		return REF_FEED_FORK;
	return REF_OTHER;
}

/* The feed ref that fork evidence belongs to. */
static void fork_feed_ref(char *out, size_t size, const char *fork_ref)
{
	const char *hex = fork_ref + strlen(CIVIC_FORK_REF_PREFIX);

	snprintf(out, size, CIVIC_FEED_REF_PREFIX "%.*s", CIVIC_PUBKEY_HEX_LEN, hex);
}

static void roster_fork_ref(char *out, size_t size, const char *dir, const git_oid *tip)
{
	char hex[GIT_OID_HEXSZ + 1];

	snprintf(out, size, CIVIC_FORK_REF_PREFIX "%s/%s", dir, git_oid_tostr(hex, sizeof hex, tip));
}

/* -------------------------------------------------------------------------
 * Fetching into the quarantine
 */

/* Refspecs, growing; adv[i] is the advertised ref strings[i] fetches. */
typedef struct {
	char **strings;
	size_t *adv;
	size_t count, alloc, adv_alloc;
} want_list;

static int want_ref(want_list *w, const char *name, size_t adv_index)
{
	size_t size = 2 * strlen(name) + 16;
	int error;

	if ((error = grow((void **)&w->strings, &w->alloc, w->count, sizeof *w->strings)) < 0 ||
	    (error = grow((void **)&w->adv, &w->adv_alloc, w->count, sizeof *w->adv)) < 0)
		return error;
	w->adv[w->count] = adv_index;
	if (!(w->strings[w->count] = malloc(size)))
		return civic_error_nomem();
	/* Into refs/incoming/ of the quarantine: nothing the node reads. */
	snprintf(w->strings[w->count++], size, "+%s:refs/incoming/%s", name, name + strlen("refs/civic/"));
	return 0;
}

static void want_dispose(want_list *w)
{
	size_t i;

	for (i = 0; i < w->count; i++)
		free(w->strings[i]);
	free(w->strings);
	free(w->adv);
}

/* Asks for every ref the peer advertised whose head differs from ours;
 * steps only when a sync fetches a feed in parts (fetch_in_steps). */
static int want_differing(want_list *want, const sync_state *st)
{
	size_t i;
	int error = 0;

	for (i = 0; i < st->nadv && error == 0; i++) {
		const civic_peer_head *h = &st->adv[i];
		git_oid ours;
		if (st->kinds[i] == REF_STEP ||
		    (current_head(&ours, st, h->refname) && git_oid_equal(&ours, &h->id)))
			continue;
		error = want_ref(want, h->refname, i);
	}
	return error;
}

/* Keeps the peer's refs under refs/civic/ that civic knows, and asks for
 * those that differ from ours. */
static int read_advertisement(want_list *want, sync_state *st, const git_remote_head **heads, size_t n)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++) {
		const char *name = heads[i]->name;
		ref_kind kind = REF_OTHER;
		if (strncmp(name, "refs/civic/", 11) || (kind = classify(name, &heads[i]->oid)) == REF_OTHER)
			continue;
		if (st->nadv >= CIVIC_SYNC_MAX_REFS || strlen(name) >= CIVIC_PEER_REF_MAX) {
			civic_error_set(CIVIC_ERROR_SYNC, "peer '%s' advertises more than %d refs", st->peer->name,
					CIVIC_SYNC_MAX_REFS);
			return CIVIC_EINVALID;
		}
		if ((error = grow((void **)&st->adv, &st->adv_alloc, st->nadv, sizeof *st->adv)) < 0 ||
		    (error = grow((void **)&st->kinds, &st->kinds_alloc, st->nadv, sizeof *st->kinds)) < 0)
			return error;
		snprintf(st->adv[st->nadv].refname, CIVIC_PEER_REF_MAX, "%s", name);
		st->adv[st->nadv].id = heads[i]->oid;
		st->kinds[st->nadv++] = kind;
	}
	return want_differing(want, st);
}

/* What the peer holds, and which of its refs differ from ours. Listing
 * needs no repository: a peer that holds nothing new costs one ref
 * advertisement and no quarantine. */
static int list_peer(want_list *want, sync_state *st)
{
	const git_remote_head **heads = NULL;
	git_remote *remote = NULL;
	size_t n = 0;
	int error;

	if ((error = civic_remote_open(&remote, &st->remote, NULL, GIT_DIRECTION_FETCH)) < 0)
		goto done;
	if ((error = git_remote_ls(&heads, &n, remote)) < 0) {
		error = civic_remote_error(&st->remote, error, "listing the refs of");
		goto done;
	}
	if ((error = read_advertisement(want, st, heads, n)) < 0)
		goto done;
	st->report->refs_advertised = st->nadv;
	st->report->refs_fetched = want->count;
done:
	civic_remote_close(remote);
	return error;
}

/* Fetches want->strings[from, from + n) into in's quarantine. */
static int fetch(sync_state *st, incoming *in, const want_list *want, size_t from, size_t n)
{
	git_repository *q = civic_quarantine_repository(in->quarantine);
	git_remote *remote = NULL;
	size_t i;
	int error;

	if (st->in_parts && (error = civic_quarantine_index_with_git(in->quarantine)) < 0)
		return error;
	if ((error = civic_remote_open(&remote, &st->remote, q, GIT_DIRECTION_FETCH)) == 0)
		error = civic_remote_download(&st->remote, remote, want->strings + from, n);
	civic_remote_close(remote);
	st->report->bytes_received += st->remote.bytes_received;
	st->report->objects_received += st->remote.objects_received;
	for (i = from; error == 0 && i < from + n; i++)
		in->fetched[want->adv[i]] = 1;
	return error;
}

/* The order a broken-off transfer is retried in: the roster first (feeds
 * are checked against it), then feeds, then fork evidence. */
static int fetch_rank(const sync_state *st, const want_list *want, size_t i)
{
	ref_kind k = st->kinds[want->adv[i]];

	return k == REF_ROSTER ? 0 : k == REF_ROSTER_FORK ? 1 : k == REF_FEED ? 2 : 3;
}

static void order_wants(want_list *want, const sync_state *st)
{
	size_t i, j;

	for (i = 1; i < want->count; i++)
		for (j = i; j > 0 && fetch_rank(st, want, j - 1) > fetch_rank(st, want, j); j--) {
			char *s = want->strings[j];
			size_t a = want->adv[j];
			want->strings[j] = want->strings[j - 1], want->adv[j] = want->adv[j - 1];
			want->strings[j - 1] = s, want->adv[j - 1] = a;
		}
}

/* Everything in one transfer; if it breaks off midway (a link that drops),
 * one ref at a time, keeping each that arrives whole, until one breaks
 * too. A stock git server serves only ref tips, so a ref is the smallest
 * part a transfer can be taken up from. */
static int fetch_all(sync_state *st, incoming *in, want_list *want)
{
	char first[sizeof civic_error_last()->message];
	size_t i, whole = 0;
	int error;

	order_wants(want, st);
	if ((error = fetch(st, in, want, 0, want->count)) == 0)
		return 0;
	/* Not after a cut-off (too much) or a cancel: only a link that broke. */
	if (want->count == 1 || st->remote.cut[0] || st->remote.cancelled || st->report->bytes_received == 0)
		return error;
	snprintf(first, sizeof first, "%s", civic_error_last()->message);
	for (i = 0; i < want->count && !st->remote.cancelled && fetch(st, in, want, i, 1) == 0; i++)
		whole++;
	/* Every ref came, one at a time: the link dropped, nothing is missing. */
	if (whole == want->count)
		return 0;
	civic_error_set(CIVIC_ERROR_SYNC, "%zu of %zu refs arrived whole and are kept; %s", whole,
			want->count, first);
	return error;
}

/* -------------------------------------------------------------------------
 * The roster
 */

/* How `theirs` stands to `ours` on a chain: 1 ahead (ids: what it adds),
 * -1 behind, 0 neither (a fork). */
typedef enum { REL_AHEAD = 1, REL_BEHIND = -1, REL_DIVERGED = 0 } relation;

/* Both rosters verified: by ancestry, as a settlement (roster.h) joins two
 * lines, and a roster that took in ours extends it. */
static int roster_relation(relation *rel, git_repository *repo, const git_oid *theirs, const git_oid *ours)
{
	int d = git_graph_descendant_of(repo, theirs, ours);

	if (d == 0)
		d = git_graph_descendant_of(repo, ours, theirs) == 1 ? 2 : d;
	if (d < 0)
		return civic_error_from_git(d, "cannot compare the two rosters");
	*rel = d == 1 ? REL_AHEAD : d == 2 ? REL_BEHIND : REL_DIVERGED;
	return 0;
}

/* Every object of the roster commits `theirs` adds to `ours` (NULL: all):
 * roster trees are small, and read whole. */
static int tree_object(const char *root, const git_tree_entry *e, void *payload)
{
	(void)root;
	return civic_oidset_add(payload, git_tree_entry_id(e)) < 0 ? -1 : 0;
}

static int collect_roster(sync_state *st, const git_oid *theirs, const git_oid *ours)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int error;

	/* Both lines of a settlement: a revwalk, not the first parents. */
	if ((error = git_revwalk_new(&walk, st->q)) < 0 || (error = git_revwalk_push(walk, theirs)) < 0 ||
	    (ours && (error = git_revwalk_hide(walk, ours)) < 0)) {
		git_revwalk_free(walk);
		return civic_error_from_git(error, "cannot walk the peer's roster");
	}
	while ((error = git_revwalk_next(&id, walk)) == 0) {
		git_commit *c = NULL;
		git_tree *tree = NULL;
		if (civic_oidset_add(st->read, &id) < 0) {
			git_revwalk_free(walk);
			return CIVIC_ERROR;
		}
		if (git_commit_lookup(&c, st->q, &id) == 0 && git_commit_tree(&tree, c) == 0 &&
		    civic_oidset_add(st->read, git_tree_id(tree)) == 0)
			git_tree_walk(tree, GIT_TREEWALK_PRE, tree_object, st->read);
		git_tree_free(tree);
		git_commit_free(c);
	}
	git_revwalk_free(walk);
	if (error != GIT_ITEROVER)
		return civic_error_from_git(error, "cannot walk the peer's roster");
	git_error_clear();
	return 0;
}

/* Whether `theirs` holds `ours` through a settlement's second parent only:
 * a settlement took in the roster this node held (roster.h). */
static int took_in(git_repository *repo, const git_oid *theirs, const git_oid *ours)
{
	civic_oidset *stop = NULL;
	git_oid *ids = NULL, at;
	size_t n = 0;
	int reached = 0;

	if (civic_oidset_new(&stop) == 0 && civic_oidset_add(stop, ours) == 0)
		civic_chain_collect_first_parents(&ids, &n, &reached, &at, repo, theirs, stop, SIZE_MAX);
	free(ids);
	civic_oidset_free(stop);
	git_error_clear();
	return !reached;
}

/* The roster the peer sends: taken when it verifies from the network id and
 * extends ours; a signed roster beside ours is kept as evidence. */
static int sync_roster(sync_state *st, const char *refname, const git_oid *theirs)
{
	civic_roster *candidate = NULL;
	char evidence[CIVIC_PEER_REF_MAX];
	git_oid ours;
	relation rel = REL_AHEAD;
	int have = current_head(&ours, st, CIVIC_ROSTER_REF), error;

	if (have && git_oid_equal(&ours, theirs))
		return 0;
	roster_fork_ref(evidence, sizeof evidence, CIVIC_FORK_ROSTER_DIR, theirs);
	if (ref_held(st, evidence))
		return 0;
	if (civic_roster_load_at(&candidate, st->q, theirs, st->network) < 0)
		return add_item(st, CIVIC_SYNC_REJECTED, refname, theirs, 0, "%s", civic_error_last()->message);
	if (have && (error = roster_relation(&rel, st->q, theirs, &ours)) < 0) {
		civic_roster_free(candidate);
		return add_item(st, CIVIC_SYNC_REJECTED, refname, theirs, 0, "%s", civic_error_last()->message);
	}
	if (rel == REL_AHEAD) {
		civic_roster_free(st->roster);
		st->roster = candidate;
		st->report->roster_updated = 1;
		if ((error = collect_roster(st, theirs, have ? &ours : NULL)) < 0 ||
		    (error = add_objects(st, theirs, have ? &ours : NULL)) < 0 ||
		    (error = add_move(st, CIVIC_ROSTER_REF, theirs, have ? &ours : NULL)) < 0)
			return error;
		if (have && took_in(st->q, theirs, &ours))
			return add_item(st, CIVIC_SYNC_ACCEPTED, refname, theirs, civic_roster_count(candidate),
					"an admin's signed settlement of a roster fork takes in the roster this node held");
		return add_item(st, CIVIC_SYNC_ACCEPTED, refname, theirs, civic_roster_count(candidate), NULL);
	}
	civic_roster_free(candidate);
	if (rel == REL_BEHIND)
		return strcmp(refname, CIVIC_ROSTER_REF) ? 0
			: add_item(st, CIVIC_SYNC_PEER_BEHIND, refname, theirs, 0, NULL);
	if ((error = collect_roster(st, theirs, &ours)) < 0 || (error = add_objects(st, theirs, &ours)) < 0 ||
	    (error = add_move(st, evidence, theirs, NULL)) < 0)
		return error;
	return add_item(st, CIVIC_SYNC_FORK, refname, theirs, 0,
			"the network's admins signed two different rosters; the peer's is kept as %s", evidence);
}

/* -------------------------------------------------------------------------
 * Feeds
 */

/* How `theirs` stands to `ours` (NULL: we hold none of the feed). When
 * ahead, *ids (freed by the caller) is what it adds, oldest first. */
static int feed_relation(relation *rel, git_oid **ids, size_t *n, git_repository *repo,
			 const git_oid *theirs, const git_oid *ours)
{
	uint64_t seq_theirs, seq_ours;
	int reached, error;

	*ids = NULL;
	*n = 0;
	*rel = REL_AHEAD;
	if (!ours)
		return civic_chain_collect(ids, n, repo, theirs, CIVIC_FEED_MAX_SEQ);
	if ((error = civic_feed_commit_seq(&seq_theirs, repo, theirs)) < 0 ||
	    (error = civic_feed_commit_seq(&seq_ours, repo, ours)) < 0)
		return error;
	if (seq_theirs > seq_ours) {
		error = civic_chain_collect_until(ids, n, &reached, repo, theirs, ours, seq_theirs - seq_ours);
		if (error == 0 && !reached) {
			free(*ids);
			*ids = NULL;
			*rel = REL_DIVERGED;
		}
		return error;
	}
	if ((error = civic_chain_collect_until(ids, n, &reached, repo, ours, theirs, seq_ours - seq_theirs)) < 0)
		return error;
	free(*ids);
	*ids = NULL;
	*n = 0;
	*rel = reached ? REL_BEHIND : REL_DIVERGED;
	return 0;
}

/* The fork-resolution records met on a run: what each abandons. */
typedef struct {
	git_oid *ids;
	size_t count, alloc;
} oid_list;

static int oid_list_add(oid_list *l, const git_oid *id)
{
	int error = grow((void **)&l->ids, &l->alloc, l->count, sizeof *l->ids);

	if (error == 0)
		l->ids[l->count++] = *id;
	return error;
}

typedef struct {
	sync_state *st;
	oid_list *abandons;
} run_payload;

static int collect_abandons(const civic_feed_commit *c, const json_t *record, void *payload)
{
	run_payload *p = payload;
	git_oid x;

	(void)c;
	return civic_fork_record_abandons(&x, record) ? oid_list_add(p->abandons, &x) : 0;
}

static int verify_progress(size_t done, size_t total, void *payload)
{
	run_payload *p = payload;

	return report_progress(p->st, CIVIC_SYNC_PHASE_VERIFY, done, total, 0);
}

/* Verifies ids[0..n) as the next commits of author's feed after `resume`
 * (NULL: from its first), on every core; returns how many verify, the
 * reason for the first that does not in `why`. With `abandons`, collects
 * what the fork-resolution records among them abandon. */
static int verify_run(size_t *good, sync_state *st, const civic_pubkey *author, const git_oid *resume,
		      const git_oid *ids, size_t n, char *why, size_t why_size, oid_list *abandons)
{
	run_payload p = { st, abandons };
	civic_feed_run run = {
		.repo = st->q, .author = author, .network_hex = st->network, .schemas = st->schemas,
		.read = st->read, .on_record = abandons ? collect_abandons : NULL,
		/* Every core, beside a fetch too: the fetch leaves cores idle
		 * while it waits on the server and the link, and a verification
		 * held to one core was what a first sync of 100k records waited
		 * for (20-22 s against 18.5-19.5 s on two cores). */
		.threads = 0,
		.progress = verify_progress, .payload = &p,
	};

	return civic_feed_run_verify(good, why, why_size, &run, resume, ids, n);
}

/* How many of the new commits ids[0..n) a revoked member's feed may still
 * take: up to the commit its revocation names, none when that is not
 * among them (it is ours or older, or on another branch). */
static size_t revocation_limit(const civic_member *m, const git_oid *ids, size_t n)
{
	size_t i;

	if (!m->revoked)
		return n;
	if (!m->has_last_valid)
		return 0;
	for (i = 0; i < n; i++)
		if (git_oid_equal(&ids[i], &m->last_valid))
			return i + 1;
	return 0;
}

static int add_step_move(const char *refname, const git_oid *id, const git_oid *old, void *payload)
{
	sync_state *st = payload;
	int error = add_move(st, refname, id, old);

	if (error == 0)
		st->moves[st->nmoves - 1].hint = 1;
	return error;
}

/* The step refs (steps.h) of the records ids[0..n) that come after `ours`. */
static int add_step_moves(sync_state *st, const civic_pubkey *author, const git_oid *ours, const git_oid *ids,
			  size_t n)
{
	uint64_t seq = 0;
	int error;

	if (ours && (error = civic_feed_commit_seq(&seq, st->main, ours)) < 0)
		return error;
	return civic_steps_of_run(author, seq + 1, ids, n, CIVIC_STEP_RECORDS, st->main, add_step_move, st);
}

static int accept_run(sync_state *st, const char *peer_ref, const char *feed_ref, const civic_member *m,
		      const git_oid *theirs, const git_oid *ours, const git_oid *ids, size_t n)
{
	size_t limit = revocation_limit(m, ids, n), good;
	char why[512];
	int error;

	if ((error = verify_run(&good, st, &m->key, ours, ids, limit, why, sizeof why, NULL)) < 0)
		return error;
	if (!why[0] && limit < n)
		snprintf(why, sizeof why, dgettext("civic", "%zu records come after the revocation of '%s'"), n - limit,
			 m->name);
	if (good == 0)
		return add_item(st, CIVIC_SYNC_REJECTED, peer_ref, theirs, 0, "%s", why);
	if ((error = add_objects(st, &ids[good - 1], ours)) < 0 ||
	    (error = add_move(st, feed_ref, &ids[good - 1], ours)) < 0 ||
	    (error = add_step_moves(st, &m->key, ours, ids, good)) < 0 ||
	    (error = add_item(st, CIVIC_SYNC_ACCEPTED, peer_ref, theirs, good, NULL)) < 0)
		return error;
	/* The good run is kept; what the peer offered after it is refused. */
	return why[0] ? add_item(st, CIVIC_SYNC_REJECTED, peer_ref, theirs, 0, "after %zu good records: %s", good, why)
		      : 0;
}

/* Number of leading ids the two chains share. */
static size_t common_prefix(const git_oid *a, size_t na, const git_oid *b, size_t nb)
{
	size_t i;

	for (i = 0; i < na && i < nb && git_oid_equal(&a[i], &b[i]); i++)
		;
	return i;
}

/* Whether one of ids[0..n) is `id`; its index + 1, 0 when none. */
static size_t find_id(const git_oid *ids, size_t n, const git_oid *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (git_oid_equal(&ids[i], id))
			return i + 1;
	return 0;
}

/* Whether a statement on one history abandons a commit of the other. */
static int abandons_any(const oid_list *statements, const git_oid *ids, size_t n)
{
	size_t i;

	for (i = 0; i < statements->count; i++)
		if (find_id(ids, n, &statements->ids[i]))
			return 1;
	return 0;
}

/* Two signed histories of one feed, parting after mine[0..c) = other[0..c).
 * Which one stands (fork.h): the one holding the admins' revocation point,
 * else the one whose author's fork-resolution abandons the other; else
 * neither is settled and ours stays, first come. */
typedef enum { STANDS_OURS_OPEN, STANDS_OURS_SETTLED, STANDS_THEIRS } standing;

static standing which_stands(const civic_member *m, const git_oid *mine, size_t nm, const git_oid *other,
			     size_t good, const oid_list *ours_say, const oid_list *theirs_say)
{
	if (m->revoked && m->has_last_valid)
		return find_id(other, good, &m->last_valid) ? STANDS_THEIRS : STANDS_OURS_SETTLED;
	if (abandons_any(theirs_say, mine, nm) && !abandons_any(ours_say, other, good))
		return STANDS_THEIRS;
	return abandons_any(ours_say, other, good) ? STANDS_OURS_SETTLED : STANDS_OURS_OPEN;
}

/* Theirs stands: the feed moves to it (to the revocation point at most),
 * and what we held is kept as evidence. */
static int take_theirs(sync_state *st, const char *peer_ref, const civic_member *m, const git_oid *theirs,
		       const git_oid *ours, const git_oid *other, size_t good)
{
	civic_buf evidence = CIVIC_BUF_INIT, feed_ref = CIVIC_BUF_INIT;
	size_t upto = m->revoked ? find_id(other, good, &m->last_valid) : good;
	int error;

	if ((error = civic_fork_refname(&evidence, &m->key, ours)) < 0 ||
	    (error = civic_feed_refname(&feed_ref, &m->key)) < 0)
		goto done;
	if (!ref_held(st, evidence.ptr) && (error = add_move(st, evidence.ptr, ours, NULL)) < 0)
		goto done;
	if ((error = add_objects(st, &other[upto - 1], ours)) < 0 ||
	    (error = add_move(st, feed_ref.ptr, &other[upto - 1], ours)) < 0)
		goto done;
	error = add_item(st, CIVIC_SYNC_ACCEPTED, peer_ref, theirs, upto,
			 "a signed statement settles a fork of '%s': this history stands, "
			 "the one this node held is kept as %s", m->name, evidence.ptr);
done:
	git_error_clear();
	civic_buf_dispose(&evidence);
	civic_buf_dispose(&feed_ref);
	return error;
}

/* Theirs and ours differ: if the author signed the peer's branch from where
 * the two part, it is a fork; the history that stands stays (or becomes)
 * the feed, and the other is kept as evidence. */
static int keep_fork(sync_state *st, const char *peer_ref, const civic_member *m, const git_oid *theirs,
		     const git_oid *ours)
{
	git_oid *mine = NULL, *other = NULL;
	oid_list ours_say = { NULL, 0, 0 }, theirs_say = { NULL, 0, 0 };
	size_t nm = 0, no = 0, c, good, mine_good, n_check;
	char why[512];
	civic_buf evidence = CIVIC_BUF_INIT;
	standing s;
	int error;

	if ((error = civic_chain_collect(&other, &no, st->q, theirs, CIVIC_FEED_MAX_SEQ)) < 0 ||
	    (error = civic_chain_collect(&mine, &nm, st->q, ours, CIVIC_FEED_MAX_SEQ)) < 0) {
		error = add_item(st, CIVIC_SYNC_REJECTED, peer_ref, theirs, 0, "%s", civic_error_last()->message);
		goto done;
	}
	c = common_prefix(mine, nm, other, no);
	/* A revoked key's history counts up to its revocation point only, and
	 * one beside that point not at all: after the revocation nothing is
	 * read or kept, or a thief could spread any number of histories. */
	n_check = no - c;
	if (m->revoked && !(n_check = m->has_last_valid ? find_id(other + c, no - c, &m->last_valid) : 0)) {
		error = add_item(st, CIVIC_SYNC_REJECTED, peer_ref, theirs, 0,
				 "%zu records come after the revocation of '%s'", no - c, m->name);
		goto done;
	}
	if ((error = verify_run(&good, st, &m->key, c ? &mine[c - 1] : NULL, other + c, n_check, why,
				sizeof why, &theirs_say)) < 0)
		goto done;
	if (good == 0 || (m->revoked && good < n_check)) {
		error = add_item(st, CIVIC_SYNC_REJECTED, peer_ref, theirs, 0, "%s", why);
		goto done;
	}
	/* Our own history after the parting was verified when it came; it is
	 * read again only for the statements it holds. */
	if ((error = verify_run(&mine_good, st, &m->key, c ? &mine[c - 1] : NULL, mine + c, nm - c, why,
				sizeof why, &ours_say)) < 0)
		goto done;
	s = which_stands(m, mine + c, nm - c, other + c, good, &ours_say, &theirs_say);
	if (s == STANDS_THEIRS) {
		error = take_theirs(st, peer_ref, m, theirs, ours, other + c, good);
		goto done;
	}
	if ((error = civic_fork_refname(&evidence, &m->key, &other[c + good - 1])) < 0)
		goto done;
	if (ref_held(st, evidence.ptr))
		goto done;
	if ((error = add_objects(st, &other[c + good - 1], ours)) < 0 ||
	    (error = add_move(st, evidence.ptr, &other[c + good - 1], NULL)) < 0)
		goto done;
	if (s == STANDS_OURS_SETTLED)
		error = add_item(st, CIVIC_SYNC_SETTLED, peer_ref, theirs, good,
				 "the peer holds a history of '%s' that a signed statement abandoned; kept as %s",
				 m->name, evidence.ptr);
	else
		error = add_item(st, CIVIC_SYNC_FORK, peer_ref, theirs, good,
				 "'%s' signed two histories after record %zu; the peer's is kept as %s", m->name, c,
				 evidence.ptr);
done:
	free(mine);
	free(other);
	free(ours_say.ids);
	free(theirs_say.ids);
	civic_buf_dispose(&evidence);
	return error;
}

/* One head the peer offers for a feed: its feed ref, or its fork evidence. */
static int sync_feed(sync_state *st, const char *peer_ref, const char *feed_ref, const git_oid *theirs)
{
	const civic_member *m;
	civic_pubkey author;
	git_oid ours, *ids = NULL;
	size_t n = 0;
	relation rel;
	int have, error;

	if ((error = civic_feed_author_from_refname(&author, feed_ref)) < 0)
		return error;
	/* The peer's evidence is ours already (or becomes ours in this sync). */
	if (strcmp(peer_ref, feed_ref) && ref_held(st, peer_ref))
		return 0;
	have = current_head(&ours, st, feed_ref);
	if (have && git_oid_equal(&ours, theirs))
		return 0;
	if (!st->roster)
		return add_item(st, CIVIC_SYNC_REJECTED, peer_ref, theirs, 0,
				"this node holds no roster of the network yet");
	if (!(m = civic_roster_find(st->roster, &author)))
		return add_item(st, CIVIC_SYNC_REJECTED, peer_ref, theirs, 0,
				"the key is not a member of the network (yet)");
	if (feed_relation(&rel, &ids, &n, st->q, theirs, have ? &ours : NULL) < 0)
		return add_item(st, CIVIC_SYNC_REJECTED, peer_ref, theirs, 0, "%s", civic_error_last()->message);
	if (rel == REL_AHEAD)
		error = accept_run(st, peer_ref, feed_ref, m, theirs, have ? &ours : NULL, ids, n);
	else if (rel == REL_BEHIND)
		error = strcmp(peer_ref, feed_ref) ? 0 : add_item(st, CIVIC_SYNC_PEER_BEHIND, peer_ref, theirs, 0, NULL);
	else
		error = keep_fork(st, peer_ref, m, theirs, &ours);
	free(ids);
	return error;
}

/* A node's signed statement of what it holds (state.h): taken when it
 * verifies and is newer than the one held, so a relay cannot roll it back. */
static int sync_state_ref(sync_state *st, const char *refname, const git_oid *theirs)
{
	const civic_member *m;
	civic_pubkey node;
	uint64_t mine = 0, serial = 0;
	git_oid ours;
	int have, error;

	if ((error = civic_state_key_from_refname(&node, refname)) < 0)
		return error;
	have = current_head(&ours, st, refname);
	if (have && git_oid_equal(&ours, theirs))
		return 0;
	if (!st->roster || !(m = civic_roster_find(st->roster, &node)))
		return add_item(st, CIVIC_SYNC_REJECTED, refname, theirs, 0,
				"the key is not a member of the network (yet)");
	/* A revoked member's statement is stale, not hostile: it was likely
	 * signed before the revocation, and relays keep it. Not taken, and not
	 * reported, or every sync from such a relay would fail for good. */
	if (m->revoked)
		return 0;
	/* An older statement is not even checked, nor reported: the peer
	 * gets ours when it syncs, and nothing of its own is taken. */
	if (have && civic_state_serial(&mine, st->main, &ours) == 0 &&
	    civic_state_serial(&serial, st->q, theirs) == 0 && serial <= mine)
		return 0;
	if (civic_state_verify(NULL, st->q, theirs, &node, st->network, st->read) < 0)
		return add_item(st, CIVIC_SYNC_REJECTED, refname, theirs, 0, "%s", civic_error_last()->message);
	if ((error = add_objects(st, theirs, NULL)) < 0 || (error = add_move(st, refname, theirs, have ? &ours : NULL)) < 0)
		return error;
	return add_item(st, CIVIC_SYNC_ACCEPTED, refname, theirs, 0, NULL);
}

/* The peer's feed ref that step adv[i] belongs to: its index, or nadv. */
static size_t feed_of_step(const sync_state *st, const char *feed_ref)
{
	size_t i;

	for (i = 0; i < st->nadv; i++)
		if (!strcmp(st->adv[i].refname, feed_ref))
			return i;
	return st->nadv;
}

/* A step of a feed the peer is far ahead on (steps.h): its records are
 * taken when they are the next of the feed here, as from any head. A step
 * behind or beside the feed here is passed over without a word; one whose
 * records do not verify is refused like any head. Either way the feed's
 * other steps are passed over too, and its head, fetched last, says the
 * rest. */
static int sync_step(sync_state *st, size_t i)
{
	const civic_peer_head *h = &st->adv[i];
	civic_buf feed_ref = CIVIC_BUF_INIT;
	const civic_member *m;
	size_t n = 0, feed;
	civic_pubkey author;
	git_oid ours, *ids = NULL;
	uint64_t seq;
	relation rel = REL_DIVERGED;
	int have, error;

	if ((error = civic_step_from_refname(&author, &seq, h->refname)) < 0 ||
	    (error = civic_feed_refname(&feed_ref, &author)) < 0)
		goto done;
	have = current_head(&ours, st, feed_ref.ptr);
	if (st->roster && (m = civic_roster_find(st->roster, &author)) && !m->revoked &&
	    feed_relation(&rel, &ids, &n, st->q, &h->id, have ? &ours : NULL) == 0 && rel == REL_AHEAD)
		error = accept_run(st, h->refname, feed_ref.ptr, m, &h->id, have ? &ours : NULL, ids, n);
	/* A part that did not reach its step: the rest of the feed comes
	 * from its head, or not at all. */
	if (error == 0 && (!current_head(&ours, st, feed_ref.ptr) || !git_oid_equal(&ours, &h->id)) &&
	    (feed = feed_of_step(st, feed_ref.ptr)) < st->nadv)
		st->no_steps[feed] = 1;
done:
	git_error_clear();
	free(ids);
	civic_buf_dispose(&feed_ref);
	return error;
}

/* The roster first (feeds are checked against it), then a second roster
 * the peer keeps, then the parts of long feeds, then feeds, then the
 * peer's fork evidence of feeds, then the nodes' statements. */
static int verify_all(sync_state *st)
{
	static const ref_kind order[] = { REF_ROSTER, REF_ROSTER_FORK, REF_STEP, REF_FEED, REF_FEED_FORK,
					  REF_STATE };
	char feed_ref[CIVIC_PEER_REF_MAX];
	size_t pass, i;
	int error = 0;

	for (pass = 0; pass < sizeof order / sizeof order[0] && error == 0; pass++) {
		for (i = 0; i < st->nadv && error == 0; i++) {
			const civic_peer_head *h = &st->adv[i];
			if (!st->in->fetched[i] || st->kinds[i] != order[pass])
				continue;
			if (order[pass] == REF_ROSTER || order[pass] == REF_ROSTER_FORK) {
				error = sync_roster(st, h->refname, &h->id);
			} else if (order[pass] == REF_FEED) {
				error = sync_feed(st, h->refname, h->refname, &h->id);
			} else if (order[pass] == REF_STATE) {
				error = sync_state_ref(st, h->refname, &h->id);
			} else if (order[pass] == REF_STEP) {
				error = sync_step(st, i);
			} else {
				fork_feed_ref(feed_ref, sizeof feed_ref, h->refname);
				error = sync_feed(st, h->refname, feed_ref, &h->id);
			}
		}
		if (order[pass] == REF_ROSTER_FORK && error == 0 && !st->roster &&
		    civic_roster_load(&st->roster, st->main, st->network) < 0)
			st->roster = NULL;
	}
	git_error_clear();
	return error;
}

/* Objects in, then each ref with compare-and-swap. */
static int accept_all(sync_state *st)
{
	char message[128];
	size_t i;
	int adopted = 0, error = 0;

	/* The packs as they came, when they hold only what verified (a first
	 * sync of 100k records: no repacking); else the verified objects alone. */
	if (st->ntips > 0 && (adopted = civic_quarantine_adopt(st->in->quarantine, st->main, st->read)) < 0)
		return adopted;
	if (!adopted && (error = civic_quarantine_migrate(st->in->quarantine, st->main, st->tips, st->ntips,
							  st->bases, st->nbases)) < 0)
		return error;
	snprintf(message, sizeof message, "civic: sync from %s", st->peer->name);
	for (i = 0; i < st->nmoves && error == 0; i++) {
		const ref_move *m = &st->moves[i];
		if (!m->hint)
			error = civic_ref_move(st->main, m->refname, &m->id, m->has_old ? &m->old : NULL, message);
	}
	/* The steps once the feeds they stand on are in; one that cannot be
	 * written is a hint lost, which civic_steps_repair() writes again. */
	for (i = 0; i < st->nmoves && error == 0; i++) {
		const ref_move *m = &st->moves[i];
		if (m->hint && civic_ref_move_hint(st->main, m->refname, &m->id, m->has_old ? &m->old : NULL, message) < 0)
			civic_error_clear();
	}
	return error;
}

/* -------------------------------------------------------------------------
 * Pushing to a relay
 */

static const civic_peer_head *find_head(const civic_peer_head *heads, size_t n, const char *refname)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(heads[i].refname, refname))
			return &heads[i];
	return NULL;
}

static const git_remote_head *find_remote_head(const git_remote_head **heads, size_t n, const char *refname)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(heads[i]->name, refname))
			return heads[i];
	return NULL;
}

/* The most records one transfer carries, either way. */
static uint64_t records_per_part(const sync_state *st)
{
	return st->opts->records_per_fetch ? st->opts->records_per_fetch : CIVIC_SYNC_DEFAULT_RECORDS_PER_FETCH;
}

/* The relay's word on one ref of the part being pushed. A feed moved to a
 * step (an interim move) is no line of the report: the last part's move of
 * it is (refused too, when the interim move was: the relay does not hold
 * what that move expects). */
static int on_push_status(const char *refname, const char *status, void *payload)
{
	sync_state *st = payload;
	const civic_push_ref *r = civic_push_plan_find(st->push_plan, st->push_part, refname);

	if (!r || (status && r->interim))
		return 0;
	if (status)
		return add_item(st, CIVIC_SYNC_PUSH_FAILED, refname, NULL, 0, "the relay refused it: %s", status);
	civic_push_plan_took(st->push_plan, (size_t)(r - st->push_plan->refs));
	if (civic_peer_set_known(st->peer, refname, &r->id) < 0)
		return -1;
	return r->interim ? 0 : add_item(st, CIVIC_SYNC_PUSHED, refname, NULL, 0, NULL);
}

/* Whether the relay's ref is as it was when we fetched: if another node
 * pushed meanwhile, what it pushed was never verified here, and must not
 * be overwritten. The relay's own compare-and-swap covers the rest. */
static int unchanged_since_fetch(const sync_state *st, const git_oid *now, const char *refname)
{
	const civic_peer_head *then = find_head(st->adv, st->nadv, refname);

	if (!now || !then)
		return !now && !then;
	return git_oid_equal(now, &then->id);
}

/* How many records of the feed at `feed_ref` the relay holds, when all of
 * them are this node's (it holds that commit, on our chain): *seq, and 1;
 * 0 when the relay holds another history. */
static int relay_behind(uint64_t *seq, sync_state *st, const git_oid *ours, const git_oid *there)
{
	*seq = 0;
	if (!there)
		return 1;
	if (civic_feed_commit_seq(seq, st->main, there) < 0)
		return 0;
	return git_graph_descendant_of(st->main, ours, there) == 1;
}

/* Plans every ref under refs/civic/ whose value differs on the relay
 * (listed[0..n), as listed now); '+' since what the relay held instead was
 * refused here, or kept as fork evidence. A ref that changed on the relay
 * since the fetch is left out. */
static int plan_push(civic_push_plan *plan, sync_state *st, const civic_peer_head *listed, size_t n)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	uint64_t seq;
	int error;

	if ((error = git_reference_iterator_glob_new(&it, st->main, "refs/civic/*")) < 0)
		return civic_error_from_git(error, "cannot list the archive's refs");
	while ((error = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *ours = git_reference_target(ref);
		const civic_peer_head *there = find_head(listed, n, name);
		ref_kind kind = ours ? classify(name, ours) : REF_OTHER;
		if (kind == REF_OTHER || (there && git_oid_equal(&there->id, ours)))
			error = 0;
		else if (!unchanged_since_fetch(st, there ? &there->id : NULL, name))
			error = add_item(st, CIVIC_SYNC_PUSH_FAILED, name, there ? &there->id : NULL, 0,
					 "it changed on the relay since the fetch; the next sync takes it up");
		else if ((error = civic_push_plan_add(plan, name, ours, there ? &there->id : NULL)) == 0 &&
			 kind == REF_FEED && relay_behind(&seq, st, ours, there ? &there->id : NULL))
			civic_push_plan_relay_behind(plan, name, seq);
		git_reference_free(ref);
		if (error < 0)
			break;
	}
	git_reference_iterator_free(it);
	return error == GIT_ITEROVER ? 0 : error;
}

/* The refs a connection listed, as plan_push() takes them: those civic
 * knows under refs/civic/. */
static int listed_refs(civic_peer_head **out, size_t *count, const git_remote_head **heads, size_t n)
{
	size_t i, k = 0;

	*out = NULL;
	*count = 0;
	if (!(*out = calloc(n ? n : 1, sizeof **out)))
		return civic_error_nomem();
	for (i = 0; i < n; i++) {
		if (strncmp(heads[i]->name, "refs/civic/", 11) || strlen(heads[i]->name) >= CIVIC_PEER_REF_MAX)
			continue;
		snprintf((*out)[k].refname, CIVIC_PEER_REF_MAX, "%s", heads[i]->name);
		(*out)[k++].id = heads[i]->oid;
	}
	*count = k;
	return 0;
}

/* Before a later part: each of its refs must still be on the relay what
 * the plan expects (as at the fetch, or as an earlier part left it);
 * one that is not is left out, as plan_push() leaves it out. */
static int recheck_part(civic_push_plan *plan, sync_state *st, size_t part, const git_remote_head **heads,
			size_t n)
{
	size_t i;
	int error = 0;

	for (i = 0; i < plan->count && error == 0; i++) {
		civic_push_ref *r = &plan->refs[i];
		const git_remote_head *now = find_remote_head(heads, n, r->dst);
		if (r->part != part)
			continue;
		if (now ? r->has_there && git_oid_equal(&now->oid, &r->there) : !r->has_there)
			continue;
		r->part = SIZE_MAX;
		if (!r->interim)
			error = add_item(st, CIVIC_SYNC_PUSH_FAILED, r->dst, now ? &now->oid : NULL, 0,
					 "it changed on the relay since the fetch; the next sync takes it up");
	}
	return error;
}

/* Pushes the plan's part `part` over the open connection. */
static int push_part(sync_state *st, git_remote *remote, size_t part)
{
	char **specs = NULL;
	size_t n = 0, i;
	int error;

	st->push_part = part;
	if ((error = civic_push_plan_refspecs(&specs, &n, st->push_plan, part)) == 0 && n > 0) {
		st->report->pushes++;
		error = civic_remote_upload(&st->remote, remote, specs, n);
	}
	for (i = 0; i < n; i++)
		free(specs[i]);
	free(specs);
	return error;
}

/* Pushes what differs on the relay, in parts (push_parts.h), by libgit2:
 * one connection each, the first the one that lists the relay's refs. */
static int push_by_libgit2(sync_state *st, civic_push_plan *plan)
{
	const git_remote_head **heads = NULL;
	civic_peer_head *listed = NULL;
	git_remote *remote = NULL;
	size_t n = 0, nlisted = 0, part;
	int error;

	for (part = 0, error = 0; error == 0 && (part == 0 || part < plan->parts); part++) {
		if ((error = civic_remote_open(&remote, &st->remote, st->main, GIT_DIRECTION_PUSH)) < 0)
			break;
		if ((error = git_remote_ls(&heads, &n, remote)) < 0)
			error = civic_remote_error(&st->remote, error, "listing the refs of");
		else if (part == 0 && (error = listed_refs(&listed, &nlisted, heads, n)) == 0 &&
			 (error = plan_push(plan, st, listed, nlisted)) == 0)
			error = civic_push_plan_cut(plan, records_per_part(st));
		else if (part > 0)
			error = recheck_part(plan, st, part, heads, n);
		if (error == 0)
			error = push_part(st, remote, part);
		civic_remote_close(remote);
		remote = NULL;
	}
	civic_remote_close(remote);
	free(listed);
	return error;
}

/* Pushes the plan's part `part` by stock git: over the network by git
 * push (git_push.h), to a path by git's pack and refs moved here
 * (path_push.h). Each ref is leased at what the plan expects on the relay:
 * what the fetch listed, or what an earlier part left there. */
static int push_part_by_git(sync_state *st, civic_push_plan *plan, size_t part)
{
	civic_git_push_ref *refs = calloc(plan->count ? plan->count : 1, sizeof *refs);
	size_t i, n = 0;
	int error = 0;

	if (!refs)
		return civic_error_nomem();
	for (i = 0; i < plan->count; i++) {
		const civic_push_ref *r = &plan->refs[i];
		if (r->part != part)
			continue;
		refs[n].dst = r->dst;
		refs[n].id = r->id;
		refs[n++].expect = r->has_there ? &r->there : NULL;
	}
	st->push_part = part;
	if (n > 0) {
		st->report->pushes++;
		error = civic_local_git_url(st->peer->url)
				? civic_path_push(&st->remote, st->main, civic_node_tmp_dir(st->node), refs, n)
				: civic_git_push(&st->remote, git_repository_path(st->main), refs, n);
	}
	free(refs);
	return error;
}

/* Pushes what differs on the relay, in parts (push_parts.h): by stock git
 * (push_part_by_git), planned from the refs the fetch listed (the leases
 * stand for listing them again); by libgit2 where there is no git. */
static int push(sync_state *st)
{
	civic_push_plan plan = CIVIC_PUSH_PLAN_INIT;
	size_t part;
	int error;

	st->remote.push_status = on_push_status;
	st->remote.push_data = st;
	st->push_plan = &plan;
	if (!(civic_git_push_url(st->peer->url) || civic_local_git_url(st->peer->url)) || !civic_git_on_path()) {
		error = push_by_libgit2(st, &plan);
	} else if ((error = plan_push(&plan, st, st->adv, st->nadv)) == 0 &&
		   (error = civic_push_plan_cut(&plan, records_per_part(st))) == 0) {
		for (part = 0; error == 0 && part < plan.parts; part++)
			error = push_part_by_git(st, &plan, part);
	}
	st->push_plan = NULL;
	civic_push_plan_dispose(&plan);
	return error;
}

/* -------------------------------------------------------------------------
 * One sync
 */

/* What the peer holds now: what it advertised, with what it took from us;
 * not its steps, which say nothing the feeds do not. */
static int remember_advertisement(sync_state *st)
{
	size_t i;
	int error = 0;

	civic_peer_clear_known(st->peer);
	for (i = 0; i < st->nadv && error == 0; i++)
		if (st->kinds[i] != REF_STEP)
			error = civic_peer_set_known(st->peer, st->adv[i].refname, &st->adv[i].id);
	return error;
}

static void incoming_free(incoming *in)
{
	if (!in)
		return;
	civic_quarantine_free(in->quarantine);
	free(in->fetched);
	free(in);
}

static int incoming_new(incoming **out, sync_state *st)
{
	incoming *in = calloc(1, sizeof *in);
	int error;

	*out = NULL;
	if (!in || !(in->fetched = calloc(st->nadv ? st->nadv : 1, 1))) {
		free(in);
		return civic_error_nomem();
	}
	if ((error = civic_quarantine_new(&in->quarantine, st->main, civic_node_tmp_dir(st->node))) < 0) {
		incoming_free(in);
		return error;
	}
	*out = in;
	return 0;
}

/* One transfer into in's quarantine. One that broke off leaves
 * in->fetch_error < 0 and its reason in in->why: what arrived whole is
 * still verified and taken. */
static void fetch_into(sync_state *st, incoming *in, want_list *want)
{
	st->report->fetches++;
	if ((in->fetch_error = fetch_all(st, in, want)) < 0)
		snprintf(in->why, sizeof in->why, "%s", civic_error_last()->message);
}

/* Makes `in` the transfer that verify_all() and accept_all() work on. */
static int begin_verify(sync_state *st, incoming *in)
{
	st->ntips = st->nbases = st->nmoves = 0;
	st->in = in;
	st->q = civic_quarantine_repository(in->quarantine);
	civic_global_rehash_reads(0); /* civic.h: it cost 15% of a first sync */
	return civic_oidset_new(&st->read);
}

static void end_verify(sync_state *st)
{
	civic_global_rehash_reads(1);
	/* The roster read from the quarantine goes with it. */
	civic_roster_free(st->roster);
	st->roster = NULL;
	civic_oidset_free(st->read);
	st->read = NULL;
	st->in = NULL;
	st->q = NULL;
}

/* What verified of `in` into the archive. */
static int verify_and_accept(sync_state *st, incoming *in)
{
	int error;

	if ((error = begin_verify(st, in)) == 0 && (error = verify_all(st)) == 0)
		error = accept_all(st);
	end_verify(st);
	return error;
}

/* One transfer into a fresh quarantine, then what verified into the
 * archive; *fetch_error and why[] as fetch_into() leaves them. */
static int transfer(sync_state *st, want_list *want, int *fetch_error, char *why, size_t why_size)
{
	incoming *in = NULL;
	int error;

	if ((error = incoming_new(&in, st)) < 0)
		return error;
	fetch_into(st, in, want);
	error = verify_and_accept(st, in);
	*fetch_error = in->fetch_error;
	snprintf(why, why_size, "%s", in->why);
	incoming_free(in);
	return error;
}

/* -------------------------------------------------------------------------
 * Verifying one part while the next arrives
 *
 * A part's fetch keeps the server and the indexer busy, and its
 * verification both cores: one after the other, a first sync of 100k
 * records left the machine idle a third of the time. So the next part is
 * asked for while the last one is verified, in a thread of its own. The
 * calling thread keeps the network (SIGALRM's stall timer interrupts its
 * reads, thread.h) and every call of the caller's progress callback; the
 * verifying thread only reads and writes sync_state's verification fields,
 * which the fetch leaves alone.
 */

static void *verify_beside(void *arg)
{
	sync_state *st = arg;
	beside *b = st->beside;
	int error = verify_all(st);

	pthread_mutex_lock(&b->lock);
	b->error = error;
	if (error < 0)
		b->why = *civic_error_last();
	b->finished = 1;
	pthread_cond_signal(&b->changed);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* Waits for the verifying thread, reporting its progress every 100 ms;
 * its verdict, with its error text when it failed. A sync cancelled while
 * the next part arrived stops the verification too. */
static int wait_beside(sync_state *st, beside *b)
{
	int error, cancel = st->remote.cancelled;

	pthread_mutex_lock(&b->lock);
	while (!b->finished) {
		struct timespec until;
		size_t done = b->done, total = b->total;
		pthread_mutex_unlock(&b->lock);
		if (total > 0 && !cancel)
			cancel = civic_remote_progress(&st->remote, CIVIC_SYNC_PHASE_VERIFY, done, total, 0) < 0;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000 * 1000;
		if (until.tv_nsec >= 1000 * 1000 * 1000) {
			until.tv_sec++;
			until.tv_nsec -= 1000 * 1000 * 1000;
		}
		pthread_mutex_lock(&b->lock);
		b->cancel |= cancel;
		if (!b->finished)
			pthread_cond_timedwait(&b->changed, &b->lock, &until);
	}
	error = b->error;
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->tid, NULL);
	if (error < 0 && cancel)
		return civic_remote_cancel(&st->remote);
	if (error < 0)
		civic_error_set(b->why.klass, "%s", b->why.message);
	return error;
}

/* Verifies `in` and, while it runs, fetches `want` into `next`; then
 * takes what verified of `in`. With the thread refused, one after the
 * other. */
static int verify_while_fetching(sync_state *st, incoming *in, incoming *next, want_list *want)
{
	beside b;
	int error;

	memset(&b, 0, sizeof b);
	if ((error = begin_verify(st, in)) < 0)
		goto done;
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.changed, NULL);
	st->beside = &b;
	if (civic_thread_start(&b.tid, verify_beside, st) < 0) {
		st->beside = NULL;
		fetch_into(st, next, want);
		error = verify_all(st);
	} else {
		fetch_into(st, next, want);
		error = wait_beside(st, &b);
		st->beside = NULL;
	}
	pthread_cond_destroy(&b.changed);
	pthread_mutex_destroy(&b.lock);
	if (error == 0)
		error = accept_all(st);
done:
	end_verify(st);
	return error;
}

/* -------------------------------------------------------------------------
 * Long feeds, in parts (steps.h)
 */

/* A step the peer advertised: its index is in st->adv. */
typedef civic_step_place step_entry;

/* The steps the peer advertised, by author, then seq. */
static int list_steps(step_entry **out, size_t *n, const sync_state *st)
{
	step_entry *steps = NULL;
	size_t i, count = 0, alloc = 0;
	int error = 0;

	for (i = 0; i < st->nadv && error == 0; i++) {
		step_entry e;
		if (civic_step_from_refname(&e.author, &e.seq, st->adv[i].refname) < 0)
			continue;
		e.index = i;
		if ((error = grow((void **)&steps, &alloc, count, sizeof *steps)) == 0)
			steps[count++] = e;
	}
	if (error < 0) {
		free(steps);
		return error;
	}
	if (count > 1)
		qsort(steps, count, sizeof *steps, civic_step_place_cmp);
	*out = steps;
	*n = count;
	return 0;
}

/* The step of `author` to fetch up to from our seq h, in steps[0..n): the
 * furthest at most `budget` records on, else the nearest; n when the peer
 * has none past h (the feed's own fetch then takes fewer than a step's
 * worth). *nearest: it is the nearest. */
static size_t pick_step(int *nearest, const step_entry *steps, size_t n, const civic_pubkey *author, uint64_t h,
			uint64_t budget)
{
	size_t i, best = n, first = n;

	for (i = 0; i < n; i++) {
		if (!civic_pubkey_equal(&steps[i].author, author) || steps[i].seq <= h)
			continue;
		if (first == n)
			first = i;
		if (steps[i].seq - h <= budget)
			best = i;
	}
	if (best == n)
		best = first;
	*nearest = best == first;
	return best;
}

/* The step of author's feed that the round `w` fetches up to: its index
 * in st->adv, or nadv. */
static size_t step_wanted(const want_list *w, const sync_state *st, const civic_pubkey *author)
{
	civic_pubkey a;
	uint64_t seq;
	size_t k;

	for (k = 0; w && k < w->count; k++)
		if (civic_step_from_refname(&a, &seq, st->adv[w->adv[k]].refname) == 0 && civic_pubkey_equal(&a, author))
			return w->adv[k];
	return st->nadv;
}

/* Our head of author's feed (adv[i]) and its seq, as they will be once the
 * round `assumed` (NULL: none) is taken: the step it fetches up to, else
 * what the node holds. 1, 0 when we hold none of it, < 0 when unreadable. */
static int head_after(git_oid *ours, uint64_t *seq, const sync_state *st, size_t i, const civic_pubkey *author,
		      const want_list *assumed)
{
	size_t k = step_wanted(assumed, st, author);
	civic_pubkey a;

	*seq = 0;
	if (k < st->nadv) {
		*ours = st->adv[k].id;
		return civic_step_from_refname(&a, seq, st->adv[k].refname) < 0 ? -1 : 1;
	}
	if (!current_head(ours, st, st->adv[i].refname))
		return 0;
	return civic_feed_commit_seq(seq, st->main, ours) < 0 ? -1 : 1;
}

/* One round: for each feed the peer is far ahead on, the step to fetch up
 * to within what is left of the budget (the first feed's nearest step at
 * least), and the roster while it differs. *smallest: every part asked for
 * is as small as a part can be. With `assumed`, the round after that one,
 * as if it had been taken whole. */
static int plan_round(want_list *w, int *smallest, sync_state *st, const step_entry *steps, size_t nsteps,
		      uint64_t budget, const want_list *assumed)
{
	size_t i, k, parts = 0;
	int error = 0, nearest = 1;

	*smallest = 1;
	for (i = 0; i < st->nadv && error == 0 && (budget > 0 || parts == 0); i++) {
		const civic_peer_head *h = &st->adv[i];
		civic_pubkey author;
		uint64_t seq = 0, span;
		git_oid ours;
		int have;
		if (st->kinds[i] != REF_FEED || st->no_steps[i] ||
		    civic_feed_author_from_refname(&author, h->refname) < 0)
			continue;
		if ((have = head_after(&ours, &seq, st, i, &author, assumed)) < 0 ||
		    (have && git_oid_equal(&ours, &h->id)))
			continue;
		if ((k = pick_step(&nearest, steps, nsteps, &author, seq, budget)) == nsteps ||
		    ((span = steps[k].seq - seq) > budget && parts > 0))
			continue;
		budget = span < budget ? budget - span : 0;
		*smallest &= nearest;
		parts++;
		error = want_ref(w, st->adv[steps[k].index].refname, steps[k].index);
	}
	git_error_clear();
	if (error < 0 || parts == 0)
		return error;
	/* The roster comes along while it differs: the feeds are checked against it. */
	for (i = 0; i < st->nadv && error == 0; i++) {
		git_oid ours;
		if (st->kinds[i] == REF_ROSTER &&
		    !(current_head(&ours, st, CIVIC_ROSTER_REF) && git_oid_equal(&ours, &st->adv[i].id)))
			error = want_ref(w, st->adv[i].refname, i);
	}
	return error;
}

/* Whether the round `w` was taken whole: every feed it fetched a part of
 * now ends at the step it asked for. */
static int round_taken(const sync_state *st, const want_list *w)
{
	civic_buf feed_ref = CIVIC_BUF_INIT;
	civic_pubkey author;
	uint64_t seq;
	git_oid ours;
	size_t k;
	int taken = 1;

	for (k = 0; k < w->count && taken; k++) {
		const civic_peer_head *h = &st->adv[w->adv[k]];
		if (civic_step_from_refname(&author, &seq, h->refname) < 0)
			continue;
		taken = civic_feed_refname(&feed_ref, &author) == 0 && current_head(&ours, st, feed_ref.ptr) &&
			git_oid_equal(&ours, &h->id);
	}
	civic_buf_dispose(&feed_ref);
	git_error_clear();
	return taken;
}

/* A quarantine for the round after `w`, fetched into `in`: it sees what
 * `in` brought, and says "have" for the steps `w` fetches up to. */
static int lean_on(incoming **out, sync_state *st, incoming *in, const want_list *w)
{
	civic_buf feed_ref = CIVIC_BUF_INIT;
	civic_pubkey author;
	uint64_t seq;
	size_t k;
	int error;

	if ((error = incoming_new(out, st)) < 0 ||
	    (error = civic_quarantine_lean_on((*out)->quarantine, in->quarantine)) < 0)
		goto done;
	for (k = 0; k < w->count && error == 0; k++) {
		const civic_peer_head *h = &st->adv[w->adv[k]];
		if (civic_step_from_refname(&author, &seq, h->refname) == 0 &&
		    (error = civic_feed_refname(&feed_ref, &author)) == 0)
			error = civic_quarantine_set_ref((*out)->quarantine, feed_ref.ptr, &h->id);
	}
done:
	civic_buf_dispose(&feed_ref);
	if (error < 0) {
		incoming_free(*out);
		*out = NULL;
	}
	return error;
}

/* Feeds far ahead on the peer come in parts of at most records_per_fetch
 * records (6144: a pack of about 43k objects, some 11 MB), each verified
 * and taken before the one after the next is asked for: the next arrives
 * while the last is verified (verify_while_fetching), on the guess that the
 * last verifies to its steps; when it does not (a forged step), the next
 * is dropped and asked for again from what the node holds. A part that
 * breaks off (a link that drops) is asked for again at half the size, down
 * to one step; what came before stays. *parts: how many transfers ran. */
static int fetch_in_steps(size_t *parts, sync_state *st)
{
	uint64_t budget = records_per_part(st);
	want_list w = { NULL, NULL, 0, 0, 0 }, nw = { NULL, NULL, 0, 0, 0 };
	incoming *in = NULL, *next = NULL;
	step_entry *steps = NULL;
	size_t nsteps = 0;
	int error, smallest = 1, next_smallest = 1;

	*parts = 0;
	if ((error = list_steps(&steps, &nsteps, st)) < 0 || nsteps == 0)
		goto done;
	/* A part is thousands of records after thousands held: its thin pack
	 * is completed by stock git (index_pack.h), which libgit2 does slowly. */
	st->in_parts = 1;
	for (;;) {
		if (!in) {
			if ((error = plan_round(&w, &smallest, st, steps, nsteps, budget, NULL)) < 0 || w.count == 0 ||
			    (error = incoming_new(&in, st)) < 0)
				break;
			fetch_into(st, in, &w);
			++*parts;
		}
		if (in->fetch_error == 0 && !st->remote.cancelled &&
		    (error = plan_round(&nw, &next_smallest, st, steps, nsteps, budget, &w)) == 0 && nw.count > 0)
			error = lean_on(&next, st, in, &w);
		if (error < 0)
			break;
		if (next) {
			error = verify_while_fetching(st, in, next, &nw);
			++*parts;
		} else {
			error = verify_and_accept(st, in);
		}
		if (error < 0)
			break;
		if (in->fetch_error < 0) {
			if (st->remote.cancelled || st->remote.cut[0] || smallest) {
				civic_error_set(CIVIC_ERROR_SYNC, "%s", in->why);
				error = in->fetch_error;
				break;
			}
			budget /= 2;
		}
		/* The next part stands on this one: kept when this one was taken
		 * whole, else planned again from what the node holds. */
		if (next && (!round_taken(st, &w) || civic_quarantine_reopen(next->quarantine) < 0)) {
			incoming_free(next);
			next = NULL;
		}
		incoming_free(in);
		want_dispose(&w);
		if (!next) {
			want_dispose(&nw);
			memset(&nw, 0, sizeof nw);
		}
		in = next, w = nw, smallest = next_smallest;
		next = NULL;
		memset(&nw, 0, sizeof nw);
	}
done:
	st->in_parts = 0;
	incoming_free(next);
	incoming_free(in);
	want_dispose(&nw);
	want_dispose(&w);
	free(steps);
	return error;
}

static void state_dispose(sync_state *st)
{
	civic_oidset_free(st->read);
	civic_roster_free(st->roster);
	civic_schemas_free(st->schemas);
	free(st->adv);
	free(st->kinds);
	free(st->no_steps);
	free(st->tips);
	free(st->bases);
	free(st->moves);
}

/* Whether the roster fork headed by `head` is one an admin abandoned. */
static const civic_fork *abandoned_roster(const civic_fork *forks, size_t n, const git_oid *head)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (forks[i].roster && forks[i].state == CIVIC_FORK_ABANDONED && git_oid_equal(&forks[i].head, head))
			return &forks[i];
	return NULL;
}

/* A second roster that came already abandoned by an admin (fork.h; the
 * record may have come in this same sync) is evidence, not a fork to act
 * on: the report says so, as for a feed's. Only the report changes, so a
 * failure here leaves it as it was. */
static void report_abandoned_rosters(sync_state *st)
{
	civic_sync_report *r = st->report;
	civic_roster *roster = NULL;
	civic_fork *forks = NULL;
	size_t n = 0, i, pending = 0;

	for (i = 0; i < r->count; i++)
		pending += r->items[i].outcome == CIVIC_SYNC_FORK && r->items[i].roster;
	if (pending && civic_roster_load(&roster, st->main, st->network) == 0 &&
	    civic_fork_list(&forks, &n, st->main, st->network, roster, st->schemas) == 0)
		for (i = 0; i < r->count; i++) {
			civic_sync_item *it = &r->items[i];
			const civic_fork *f = it->outcome == CIVIC_SYNC_FORK && it->roster
						      ? abandoned_roster(forks, n, &it->theirs) : NULL;
			if (!f)
				continue;
			it->outcome = CIVIC_SYNC_SETTLED;
			snprintf(it->reason, sizeof it->reason,
				 dgettext("civic", "the network's admins signed two different rosters, and an admin "
						   "abandoned the peer's; kept as %s"), f->refname);
			r->forks--;
		}
	civic_error_clear();
	free(forks);
	civic_roster_free(roster);
}

int civic_sync_peer(civic_sync_report *report, civic_node *node, civic_peer *peer,
		    const civic_sync_options *opts)
{
	civic_sync_options defaults = CIVIC_SYNC_OPTIONS_INIT;
	want_list want = { NULL, NULL, 0, 0, 0 };
	char why[sizeof civic_error_last()->message];
	sync_state st;
	size_t repaired;
	int error, fetch_error = 0, written;

	memset(report, 0, sizeof *report);
	memset(&st, 0, sizeof st);
	CIVIC_ASSERT_ARG(!opts || opts->version == CIVIC_SYNC_OPTIONS_VERSION);
	st.report = report;
	st.opts = opts ? opts : &defaults;
	st.peer = peer;
	civic_remote_init(&st.remote, peer, st.opts->max_bytes, st.opts->progress, st.opts->payload);
	st.node = node;
	st.main = civic_node_repository(node);
	if (!(st.network = civic_node_network(node))) {
		civic_error_set(CIVIC_ERROR_SYNC, "this node has no network yet: 'civic network join ID' first");
		return CIVIC_EINVALID;
	}
	peer->last_attempt = (int64_t)time(NULL);
	if ((error = list_peer(&want, &st)) < 0 || (error = remember_advertisement(&st)) < 0)
		goto done;
	if (want.count > 0) {
		size_t parts = 0;
		if ((error = civic_schemas_new(&st.schemas)) < 0)
			goto done;
		if (!(st.no_steps = calloc(st.nadv ? st.nadv : 1, 1))) {
			error = civic_error_nomem();
			goto done;
		}
		if ((error = fetch_in_steps(&parts, &st)) < 0)
			goto done;
		/* After the parts, what still differs: the feeds' heads, the rest. */
		if (parts > 0) {
			want_dispose(&want);
			memset(&want, 0, sizeof want);
			if ((error = want_differing(&want, &st)) < 0)
				goto done;
		}
		/* What arrived whole is verified and kept even when the rest
		 * of the transfer broke off. */
		if (want.count > 0 && (error = transfer(&st, &want, &fetch_error, why, sizeof why)) < 0)
			goto done;
		if ((error = fetch_error) < 0) {
			civic_error_set(CIVIC_ERROR_SYNC, "%s", why);
			goto done;
		}
		report_abandoned_rosters(&st);
	}
	/* What this node holds now travels to the relay with the rest, its
	 * steps brought in line first (a node made before them). */
	if (peer->relay && st.opts->push &&
	    (error = civic_steps_repair(&repaired, st.main, CIVIC_STEP_RECORDS)) == 0 &&
	    (error = civic_state_refresh(&written, node, st.opts->state_key, st.opts->state_payload)) == 0)
		error = push(&st);
done:
	if (error < 0)
		snprintf(peer->last_error, sizeof peer->last_error, "%s", civic_error_last()->message);
	else {
		peer->last_error[0] = '\0';
		peer->last_sync = peer->last_attempt;
	}
	want_dispose(&want);
	state_dispose(&st);
	return error;
}

/* Whether `theirs` lies on a second history of refname that this node keeps
 * as fork evidence: a fork, which civic fork resolve settles, not records
 * this node lacks. */
static int on_kept_fork(git_repository *repo, const char *refname, const git_oid *theirs)
{
	const char *hex = !strcmp(refname, CIVIC_ROSTER_REF) ? CIVIC_FORK_ROSTER_DIR
			  : refname + strlen(CIVIC_FEED_REF_PREFIX);
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	char glob[CIVIC_PEER_REF_MAX];
	int found = 0;

	snprintf(glob, sizeof glob, CIVIC_FORK_REF_PREFIX "%s/*", hex);
	if (git_reference_iterator_glob_new(&it, repo, glob) < 0)
		return 0;
	while (!found && git_reference_next(&ref, it) == 0) {
		const git_oid *head = git_reference_target(ref);
		found = head && (git_oid_equal(head, theirs) || git_graph_descendant_of(repo, head, theirs) == 1);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	git_error_clear();
	return found;
}

int civic_sync_check_not_behind(git_repository *repo, civic_peers *peers, const char *refname)
{
	git_oid ours, theirs;
	int have = git_reference_name_to_id(&ours, repo, refname) == 0;
	size_t i;

	for (i = 0; i < civic_peers_count(peers); i++) {
		civic_peer *p = civic_peers_get(peers, i);
		if (civic_peer_known(&theirs, p, refname) < 0 || (have && git_oid_equal(&theirs, &ours)))
			continue;
		/* Theirs is ours or older, or on a fork this node keeps: not behind. */
		if ((have && git_graph_descendant_of(repo, &ours, &theirs) == 1) || on_kept_fork(repo, refname, &theirs))
			continue;
		git_error_clear();
		civic_error_set(CIVIC_ERROR_SYNC,
				"peer '%s' was seen holding newer records of '%s' than this node: "
				"run 'civic sync %s' first, or this node would fork its own history",
				p->name, refname, p->name);
		return CIVIC_ECONFLICT;
	}
	git_error_clear();
	return 0;
}
