/* attach_sync.c - attachment bytes to and from a peer; see attach_sync.h. */
#include "attach_sync.h"
#include "attach.h"
#include "attach_git.h"
#include "attach_index.h"
#include "error.h"
#include "quarantine.h"
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A record that has attachments, and where its batch stands. */
typedef struct {
	git_oid record;
	json_t *attachments;  /* the signed list (a reference held) */
	uint64_t bytes;       /* of the attachments this node lacks; of all, when it lacks none */
	int missing;          /* this node lacks some of them */
	int on_peer;          /* the peer holds the batch */
	git_oid batch;        /* the peer's batch commit */
} holding;

typedef struct {
	civic_attach_sync_report *report;
	const civic_attach_sync_options *opts;
	civic_node *node;
	const char *store;
	civic_remote remote;
	civic_quarantine *quarantine;
	holding *list;
	size_t count;
} attach_state;

/* -------------------------------------------------------------------------
 * What the node holds
 */

/* Whether the node lacks some of h's attachments, and how many bytes a
 * transfer of them takes: what it lacks, or all when it lacks none. */
static void measure(holding *h, const char *store)
{
	uint64_t missing = 0, all = 0;
	const json_t *a;
	size_t i;

	h->missing = 0;
	json_array_foreach(h->attachments, i, a) {
		civic_attach_state state;
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		uint64_t size = (uint64_t)json_integer_value(json_object_get(a, "size"));
		all += size;
		if (civic_attach_check(&state, store, sha, size, 0) < 0 || state != CIVIC_ATTACH_PRESENT) {
			h->missing = 1;
			missing += size;
		}
	}
	h->bytes = h->missing ? missing : all;
}

/* The records with attachments (attach_index.h: read only where the
 * archive changed since the last time), and what this node lacks of them. */
/* Whether a record counts: a revoked key's records do up to its revocation
 * point only (catalog.h), and their attachments travel no further. */
static int counts(git_repository *repo, const civic_roster *roster, const civic_attach_holding *h)
{
	const civic_member *m = roster ? civic_roster_find(roster, &h->author) : NULL;
	int ok;

	if (!m || !m->revoked)
		return 1;
	if (!m->has_last_valid)
		return 0;
	ok = git_oid_equal(&h->record, &m->last_valid) ||
	     git_graph_descendant_of(repo, &m->last_valid, &h->record) == 1;
	git_error_clear();
	return ok;
}

static int collect(attach_state *st)
{
	git_repository *repo = civic_node_repository(st->node);
	civic_attach_holding *held = NULL;
	civic_roster *roster = NULL;
	size_t n = 0, i;
	int error = civic_attach_index_read(&held, &n, repo, civic_node_tmp_dir(st->node));

	if (error < 0)
		return error;
	if (civic_roster_load(&roster, repo, civic_node_network(st->node)) < 0)
		roster = NULL;
	civic_error_clear();
	if (n && !(st->list = calloc(n, sizeof *st->list))) {
		civic_attach_holdings_free(held, n);
		civic_roster_free(roster);
		return civic_error_nomem();
	}
	for (i = 0; i < n; i++) {
		holding *h;
		if (!counts(repo, roster, &held[i]))
			continue;
		h = &st->list[st->count++];
		h->record = held[i].record;
		h->attachments = json_incref(held[i].attachments);
		measure(h, st->store);
	}
	civic_attach_holdings_free(held, n);
	civic_roster_free(roster);
	return 0;
}

static int wanted(const attach_state *st, const holding *h)
{
	size_t i;

	if (!st->opts->only)
		return 1;
	for (i = 0; i < st->opts->nonly; i++)
		if (git_oid_equal(&st->opts->only[i], &h->record))
			return 1;
	return 0;
}

/* The peer's batches: which records it holds attachments of. */
static int list_peer(attach_state *st)
{
	const git_remote_head **heads = NULL;
	git_remote *remote = NULL;
	size_t n = 0, i, j;
	int error;

	if ((error = civic_remote_open(&remote, &st->remote, NULL, GIT_DIRECTION_FETCH)) == 0 &&
	    (error = git_remote_ls(&heads, &n, remote)) < 0)
		error = civic_remote_error(&st->remote, error, "listing the refs of");
	for (i = 0; error == 0 && i < n; i++) {
		git_oid record;
		if (!civic_attach_batch_parse_ref(&record, heads[i]->name))
			continue;
		for (j = 0; j < st->count; j++)
			if (git_oid_equal(&st->list[j].record, &record)) {
				st->list[j].on_peer = 1;
				st->list[j].batch = heads[i]->oid;
			}
	}
	civic_remote_close(remote);
	return error;
}

/* -------------------------------------------------------------------------
 * Fetching, group by group
 */

/* "+refs/civic/attachments/<id>:refs/incoming/attachments/<id>" */
static char *refspec(const git_oid *record, int force_into_incoming)
{
	char hex[GIT_OID_HEXSZ + 1], *s = malloc(160);

	git_oid_tostr(hex, sizeof hex, record);
	if (s)
		snprintf(s, 160, force_into_incoming ? "+" CIVIC_ATTACH_REF_PREFIX "%s:refs/incoming/attachments/%s"
						     : CIVIC_ATTACH_REF_PREFIX "%s:" CIVIC_ATTACH_REF_PREFIX "%s",
			 hex, hex);
	return s;
}

static void free_specs(char **specs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(specs[i]);
	free(specs);
}

/* The next group from list[*at]: indexes of holdings to move now, whose
 * bytes add up to at most group_bytes (one at least). pick() says which
 * holdings take part. */
static size_t next_group(size_t *group, size_t max, attach_state *st, size_t *at,
			 int (*pick)(const attach_state *, const holding *))
{
	uint64_t bytes = 0;
	size_t n = 0;

	for (; *at < st->count && n < max; (*at)++) {
		const holding *h = &st->list[*at];
		if (!pick(st, h))
			continue;
		if (n > 0 && bytes + h->bytes > st->opts->group_bytes)
			break;
		bytes += h->bytes;
		group[n++] = *at;
	}
	return n;
}

static int pick_fetch(const attach_state *st, const holding *h)
{
	return h->missing && h->on_peer && wanted(st, h);
}

static int fetch_group(attach_state *st, const size_t *group, size_t n)
{
	git_repository *q = civic_quarantine_repository(st->quarantine);
	git_remote *remote = NULL;
	char **specs = calloc(n, sizeof *specs);
	size_t i, stored, bad;
	int error = 0;

	if (!specs)
		return civic_error_nomem();
	for (i = 0; i < n && error == 0; i++)
		if (!(specs[i] = refspec(&st->list[group[i]].record, 1)))
			error = civic_error_nomem();
	if (error == 0 && (error = civic_remote_open(&remote, &st->remote, q, GIT_DIRECTION_FETCH)) == 0)
		error = civic_remote_download(&st->remote, remote, specs, n);
	civic_remote_close(remote);
	st->report->bytes_received += st->remote.bytes_received;
	free_specs(specs, n);
	for (i = 0; i < n && error == 0; i++) {
		holding *h = &st->list[group[i]];
		char why[sizeof st->report->why];
		error = civic_attach_batch_read(&stored, &bad, why, sizeof why, q, &h->batch, h->attachments,
						st->store);
		st->report->stored += stored;
		st->report->refused += bad;
		if (bad)
			snprintf(st->report->why, sizeof st->report->why, "%s", why);
	}
	return error;
}

static int fetch_all(attach_state *st)
{
	size_t *group = calloc(st->count ? st->count : 1, sizeof *group), at = 0, n, i;
	char broken[sizeof civic_error_last()->message] = "";
	int error = 0;

	if (!group)
		return civic_error_nomem();
	for (i = 0; i < st->count; i++) {
		const holding *h = &st->list[i];
		if (h->missing && wanted(st, h)) {
			st->report->records_missing++;
			st->report->not_on_peer += !h->on_peer;
		}
	}
	while (error == 0 && (n = next_group(group, st->count, st, &at, pick_fetch)) > 0) {
		int failed;
		if (!st->quarantine &&
		    (error = civic_quarantine_new(&st->quarantine, civic_node_repository(st->node),
						  civic_node_tmp_dir(st->node))) < 0)
			break;
		if ((failed = fetch_group(st, group, n)) == 0)
			continue;
		/* Cut off (too much) or cancelled: stop. A group that broke off
		 * midway (a link that drops) is tried one record at a time, and so
		 * are the groups after it: each record that arrives whole is kept,
		 * and the run says what failed at its end. */
		if (st->remote.cut[0] || st->remote.cancelled || civic_error_last()->klass == CIVIC_ERROR_OS) {
			error = failed;
			break;
		}
		if (!broken[0])
			snprintf(broken, sizeof broken, "%s", civic_error_last()->message);
		for (i = 0; i < n; i++)
			if (n > 1 && fetch_group(st, &group[i], 1) < 0 && civic_error_last()->klass == CIVIC_ERROR_OS)
				break;
	}
	if (error == 0 && broken[0]) {
		civic_error_set(CIVIC_ERROR_SYNC, "%s", broken);
		error = CIVIC_ERROR;
	}
	free(group);
	return error;
}

/* -------------------------------------------------------------------------
 * Pushing to a relay, group by group
 */

static int pick_push(const attach_state *st, const holding *h)
{
	(void)st;
	return !h->missing && !h->on_peer;
}

static int on_push_status(const char *refname, const char *status, void *data)
{
	attach_state *st = data;

	(void)refname;
	if (status)
		st->report->push_failed++;
	else
		st->report->batches_pushed++;
	return 0;
}

/* Writes the group's batches into the quarantine, under the refs the relay
 * will hold, and pushes them. */
static int push_group(attach_state *st, const size_t *group, size_t n)
{
	git_repository *q = civic_quarantine_repository(st->quarantine);
	civic_buf name = CIVIC_BUF_INIT;
	git_remote *remote = NULL;
	char **specs = calloc(n, sizeof *specs);
	git_reference *ref = NULL;
	size_t i, m = 0;
	int error = 0;

	if (!specs)
		return civic_error_nomem();
	for (i = 0; i < n && error == 0; i++) {
		holding *h = &st->list[group[i]];
		git_oid batch;
		/* A damaged local copy is not sent (the audit reports it). */
		if ((error = civic_attach_batch_write(&batch, q, &h->record, h->attachments, st->store)) == CIVIC_EBADSIG) {
			st->report->push_failed++;
			snprintf(st->report->why, sizeof st->report->why, "%s", civic_error_last()->message);
			error = 0;
			continue;
		}
		if (error < 0 || (error = civic_attach_batch_refname(&name, &h->record)) < 0)
			break;
		if ((error = git_reference_create(&ref, q, name.ptr, &batch, 1, NULL)) < 0) {
			error = civic_error_from_git(error, "cannot stage '%s'", name.ptr);
			break;
		}
		git_reference_free(ref);
		if (!(specs[m++] = refspec(&h->record, 0)))
			error = civic_error_nomem();
	}
	st->remote.push_status = on_push_status;
	st->remote.push_data = st;
	if (error == 0 && m > 0 && (error = civic_remote_open(&remote, &st->remote, q, GIT_DIRECTION_PUSH)) == 0)
		error = civic_remote_upload(&st->remote, remote, specs, m);
	civic_remote_close(remote);
	free_specs(specs, n);
	civic_buf_dispose(&name);
	return error;
}

static int push_all(attach_state *st)
{
	size_t *group = calloc(st->count ? st->count : 1, sizeof *group), at = 0, n;
	int error = 0;

	if (!group)
		return civic_error_nomem();
	while (error == 0 && (n = next_group(group, st->count, st, &at, pick_push)) > 0) {
		if (!st->quarantine &&
		    (error = civic_quarantine_new(&st->quarantine, civic_node_repository(st->node),
						  civic_node_tmp_dir(st->node))) < 0)
			break;
		error = push_group(st, group, n);
	}
	free(group);
	return error;
}

int civic_attach_sync_peer(civic_attach_sync_report *report, civic_node *node, civic_peer *peer,
			   const civic_attach_sync_options *opts)
{
	civic_attach_sync_options defaults = CIVIC_ATTACH_SYNC_OPTIONS_INIT;
	attach_state st;
	size_t i;
	int error;

	memset(report, 0, sizeof *report);
	CIVIC_ASSERT_ARG(!opts || opts->version == CIVIC_ATTACH_SYNC_OPTIONS_VERSION);
	memset(&st, 0, sizeof st);
	st.report = report;
	st.opts = opts ? opts : &defaults;
	st.node = node;
	st.store = civic_node_attachments_dir(node);
	civic_remote_init(&st.remote, peer, st.opts->max_bytes, st.opts->progress, st.opts->payload);
	if (!civic_node_network(node)) {
		civic_error_set(CIVIC_ERROR_SYNC, "this node has no network yet: 'civic network join ID' first");
		return CIVIC_EINVALID;
	}
	if ((error = collect(&st)) < 0 || st.count == 0 || (error = list_peer(&st)) < 0)
		goto done;
	if (st.opts->fetch && (error = fetch_all(&st)) < 0)
		goto done;
	/* What was fetched just now can go on to the relay in the same run. */
	for (i = 0; i < st.count; i++)
		measure(&st.list[i], st.store);
	if (st.opts->push && peer->relay)
		error = push_all(&st);
done:
	civic_quarantine_free(st.quarantine);
	for (i = 0; i < st.count; i++)
		json_decref(st.list[i].attachments);
	free(st.list);
	return error;
}
