/* fork.c - forks kept as evidence, and what settles them; see fork.h. */
#include "fork.h"
#include "catalog.h"
#include "error.h"
#include "feed.h"
#include "signed_commit.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *civic_fork_state_name(civic_fork_state state)
{
	switch (state) {
	case CIVIC_FORK_OPEN: return "open";
	case CIVIC_FORK_ABANDONED: return "abandoned";
	case CIVIC_FORK_REVOKED: return "revoked";
	case CIVIC_FORK_IN_FEED: return "in-feed";
	case CIVIC_FORK_MERGED: return "merged";
	}
	return "unknown";
}

int civic_fork_refname(civic_buf *out, const civic_pubkey *author, const git_oid *head)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1], id[GIT_OID_HEXSZ + 1];

	civic_pubkey_to_hex(hex, author);
	civic_buf_clear(out);
	return civic_buf_printf(out, CIVIC_FORK_REF_PREFIX "%s/%s", hex, git_oid_tostr(id, sizeof id, head));
}

int civic_fork_roster_refname(civic_buf *out, const git_oid *head)
{
	char id[GIT_OID_HEXSZ + 1];

	civic_buf_clear(out);
	return civic_buf_printf(out, CIVIC_FORK_REF_PREFIX CIVIC_FORK_ROSTER_DIR "/%s",
				git_oid_tostr(id, sizeof id, head));
}

int civic_fork_record_abandons(git_oid *abandons, const json_t *record)
{
	const char *kind = json_string_value(json_object_get(record, "kind"));
	const char *hex = json_string_value(json_object_get(record, "abandons"));

	return kind && hex && !strcmp(kind, CIVIC_FORK_RESOLUTION_KIND) && strlen(hex) == GIT_OID_HEXSZ &&
	       git_oid_fromstr(abandons, hex) == 0;
}

/* -------------------------------------------------------------------------
 * Listing
 */

typedef struct {
	git_oid *abandons, *records;
	size_t count, alloc;
	git_oid head; /* the feed's verified head */
	int has_head;
	int admins_only; /* only valid records by an admin count (roster forks) */
} resolutions;

static int on_record(const civic_entry *e, void *payload)
{
	resolutions *r = payload;
	git_oid x;

	r->head = e->commit.id;
	r->has_head = 1;
	if (!civic_fork_record_abandons(&x, e->record))
		return 0;
	/* A revoked admin's word counts up to its revocation point only. */
	if (r->admins_only && (e->standing != CIVIC_STANDING_VALID || !e->member ||
			       strcmp(e->member->role, "civic-center")))
		return 0;
	if (r->count == r->alloc) {
		size_t n = r->alloc ? r->alloc * 2 : 4;
		git_oid *a = realloc(r->abandons, n * sizeof *a), *b;
		if (a)
			r->abandons = a;
		if (!a || !(b = realloc(r->records, n * sizeof *b)))
			return civic_error_nomem();
		r->records = b;
		r->alloc = n;
	}
	r->abandons[r->count] = x;
	r->records[r->count++] = e->commit.id;
	return 0;
}

/* Whether `head` holds `commit`: is it, or descends from it. */
static int holds(git_repository *repo, const git_oid *head, const git_oid *commit)
{
	int d = git_oid_equal(head, commit) || git_graph_descendant_of(repo, head, commit) == 1;

	git_error_clear();
	return d;
}

/* Whether a resolution abandons `fork`: names a commit it holds that
 * `head` (the history that stands; may be NULL) does not. A resolution
 * abandons what lies on the other history only: a commit both hold
 * (before the two part) abandons nothing. */
static int abandons_fork(git_oid *record, git_repository *repo, const resolutions *r, const git_oid *fork,
			 const git_oid *head)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (holds(repo, fork, &r->abandons[i]) && !(head && holds(repo, head, &r->abandons[i]))) {
			*record = r->records[i];
			return 1;
		}
	return 0;
}

static void settle(civic_fork *f, git_repository *repo, const civic_member *m, const resolutions *r)
{
	f->state = CIVIC_FORK_OPEN;
	if (r->has_head && holds(repo, &r->head, &f->head)) {
		f->state = CIVIC_FORK_IN_FEED;
		return;
	}
	if (m && m->revoked && m->has_last_valid && !holds(repo, &f->head, &m->last_valid)) {
		f->state = CIVIC_FORK_REVOKED;
		return;
	}
	if (abandons_fork(&f->resolution, repo, r, &f->head, r->has_head ? &r->head : NULL))
		f->state = CIVIC_FORK_ABANDONED;
}

/* Reads one ref of refs/civic/forks/ into *f; 0 when it is not one. */
static int parse_ref(civic_fork *f, const char *name, const git_oid *target)
{
	const char *rest = name + strlen(CIVIC_FORK_REF_PREFIX), *slash = strchr(rest, '/');

	memset(f, 0, sizeof *f);
	if (!target || !slash || strlen(name) >= sizeof f->refname)
		return 0;
	snprintf(f->refname, sizeof f->refname, "%s", name);
	f->head = *target;
	if ((size_t)(slash - rest) == strlen(CIVIC_FORK_ROSTER_DIR) && !strncmp(rest, CIVIC_FORK_ROSTER_DIR, slash - rest))
		return f->roster = 1;
	return slash - rest == CIVIC_PUBKEY_HEX_LEN &&
	       civic_pubkey_from_hex(&f->author, rest, CIVIC_PUBKEY_HEX_LEN) == 0;
}

static int collect_refs(civic_fork **out, size_t *count, git_repository *repo)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	size_t alloc = 0;
	int error;

	*out = NULL;
	*count = 0;
	if ((error = git_reference_iterator_glob_new(&it, repo, CIVIC_FORK_REF_PREFIX "*")) < 0)
		return civic_error_from_git(error, "cannot list fork evidence");
	while ((error = git_reference_next(&ref, it)) == 0) {
		civic_fork f;
		if (parse_ref(&f, git_reference_name(ref), git_reference_target(ref))) {
			if (*count == alloc) {
				civic_fork *p = realloc(*out, (alloc = alloc ? alloc * 2 : 8) * sizeof *p);
				if (!p) {
					git_reference_free(ref);
					error = civic_error_nomem();
					break;
				}
				*out = p;
			}
			(*out)[(*count)++] = f;
		}
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (error == GIT_ITEROVER)
		return 0;
	free(*out);
	*out = NULL;
	return error < 0 && error != CIVIC_ERROR ? civic_error_from_git(error, "cannot list fork evidence") : error;
}

/* A second roster is settled once the roster holds it (roster.h). */
static void roster_states(civic_fork *forks, size_t count, git_repository *repo)
{
	git_oid head;
	int has_roster = git_reference_name_to_id(&head, repo, CIVIC_ROSTER_REF) == 0;
	size_t i;

	git_error_clear();
	for (i = 0; i < count; i++)
		if (forks[i].roster)
			forks[i].state = has_roster && holds(repo, &head, &forks[i].head) ? CIVIC_FORK_MERGED
											 : CIVIC_FORK_OPEN;
}

/* Open roster forks that an admin of roster abandoned (fork.h): the
 * admins' feeds are read only when there is one. */
static int roster_abandoned(civic_fork *forks, size_t count, git_repository *repo, const char *network_hex,
			    const civic_roster *roster, const civic_schemas *schemas)
{
	civic_catalog_callbacks cb = { on_record, NULL, NULL };
	git_oid head = civic_roster_head(roster);
	size_t i, m, open = 0;
	int error = 0;

	for (i = 0; i < count; i++)
		open += forks[i].roster && forks[i].state == CIVIC_FORK_OPEN;
	for (m = 0; open && m < civic_roster_count(roster) && error == 0; m++) {
		const civic_member *admin = civic_roster_get(roster, m);
		resolutions r = { NULL, NULL, 0, 0, { { 0 } }, 0, 1 };
		if (strcmp(admin->role, "civic-center"))
			continue;
		cb.payload = &r;
		error = civic_catalog_walk(repo, network_hex, roster, schemas, &admin->key, &cb);
		for (i = 0; error == 0 && i < count; i++)
			if (forks[i].roster && forks[i].state == CIVIC_FORK_OPEN &&
			    abandons_fork(&forks[i].resolution, repo, &r, &forks[i].head, &head)) {
				forks[i].state = CIVIC_FORK_ABANDONED;
				open--;
			}
		free(r.abandons);
		free(r.records);
	}
	return error;
}

int civic_fork_list(civic_fork **out, size_t *count, git_repository *repo, const char *network_hex,
		    const civic_roster *roster, const civic_schemas *schemas)
{
	civic_catalog_callbacks cb = { on_record, NULL, NULL };
	size_t i, j;
	int error;

	if ((error = collect_refs(out, count, repo)) < 0)
		return error;
	roster_states(*out, *count, repo);
	if (roster && schemas)
		error = roster_abandoned(*out, *count, repo, network_hex, roster, schemas);
	/* One walk of each author's feed settles all forks of that feed. */
	for (i = 0; i < *count && error == 0; i++) {
		resolutions r = { NULL, NULL, 0, 0, { { 0 } }, 0, 0 };
		civic_fork *f = &(*out)[i];
		int seen = 0;
		for (j = 0; j < i && !seen; j++)
			seen = !(*out)[j].roster && civic_pubkey_equal(&(*out)[j].author, &f->author);
		if (f->roster || seen)
			continue;
		cb.payload = &r;
		error = civic_catalog_walk(repo, network_hex, roster, schemas, &f->author, &cb);
		for (j = i; error == 0 && j < *count; j++)
			if (!(*out)[j].roster && civic_pubkey_equal(&(*out)[j].author, &f->author))
				settle(&(*out)[j], repo, roster ? civic_roster_find(roster, &f->author) : NULL, &r);
		free(r.abandons);
		free(r.records);
	}
	if (error < 0) {
		free(*out);
		*out = NULL;
		*count = 0;
	}
	return error;
}

/* -------------------------------------------------------------------------
 * Resolving, by the author
 */

static int append_resolution(git_oid *out, git_repository *repo, const civic_key *key, const char *name,
			     const char *network, const civic_schemas *schemas, const git_oid *abandon,
			     const char *title, const char *reason)
{
	char hex[GIT_OID_HEXSZ + 1];
	json_t *record = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", CIVIC_FORK_RESOLUTION_KIND,
				   "visibility", "network", "title", title, "reason", reason,
				   "abandons", git_oid_tostr(hex, sizeof hex, abandon));
	int error;

	if (!record)
		return civic_error_nomem();
	error = civic_feed_append(out, repo, key, name, network, schemas, record);
	json_decref(record);
	return error;
}

/* Moves the feed from `head` to the evidence `keep`, and keeps `head` as evidence. */
static int switch_to(git_repository *repo, const char *feed_ref, const civic_pubkey *me,
		     const git_oid *head, const git_oid *keep)
{
	civic_buf ref = CIVIC_BUF_INIT;
	git_oid held;
	int error;

	if ((error = civic_fork_refname(&ref, me, head)) < 0)
		goto done;
	if (git_reference_name_to_id(&held, repo, ref.ptr) < 0 &&
	    (error = civic_ref_move(repo, ref.ptr, head, NULL, "civic: fork resolve, kept as evidence")) < 0)
		goto done;
	error = civic_ref_move(repo, feed_ref, keep, head, "civic: fork resolve");
done:
	git_error_clear();
	civic_buf_dispose(&ref);
	return error;
}

int civic_fork_resolve(git_oid *out, git_repository *repo, const civic_key *key, const char *author_name,
		       const char *network_hex, const civic_schemas *schemas, const git_oid *keep,
		       const char *reason)
{
	const civic_pubkey *me = civic_key_public(key);
	civic_buf feed_ref = CIVIC_BUF_INIT;
	civic_fork *forks = NULL;
	size_t n = 0, i, written = 0;
	git_oid head;
	int found = 0, error;

	if ((error = civic_feed_refname(&feed_ref, me)) < 0)
		goto done;
	if (git_reference_name_to_id(&head, repo, feed_ref.ptr) < 0) {
		civic_error_set(CIVIC_ERROR_FEED, "this node's feed holds no records");
		error = CIVIC_ENOTFOUND;
		goto done;
	}
	if ((error = civic_fork_list(&forks, &n, repo, network_hex, NULL, schemas)) < 0)
		goto done;
	for (i = 0; i < n; i++)
		found |= !forks[i].roster && civic_pubkey_equal(&forks[i].author, me) &&
			 git_oid_equal(&forks[i].head, keep);
	if (!found && !git_oid_equal(keep, &head)) {
		civic_error_set(CIVIC_ERROR_FEED,
				"the commit to keep is neither this node's feed head nor a fork kept as evidence");
		error = CIVIC_ENOTFOUND;
		goto done;
	}
	if (found && (error = switch_to(repo, feed_ref.ptr, me, &head, keep)) < 0)
		goto done;
	free(forks);
	forks = NULL;
	/* After a switch the old head is evidence too: list again. */
	if ((error = civic_fork_list(&forks, &n, repo, network_hex, NULL, schemas)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		if (forks[i].roster || !civic_pubkey_equal(&forks[i].author, me) ||
		    forks[i].state != CIVIC_FORK_OPEN || git_oid_equal(&forks[i].head, keep))
			continue;
		error = append_resolution(out, repo, key, author_name, network_hex, schemas, &forks[i].head,
					  reason, reason);
		written += error == 0;
	}
	if (error == 0 && written == 0) {
		civic_error_set(CIVIC_ERROR_FEED, "no fork of this node's feed is open");
		error = CIVIC_EINVALID;
	}
done:
	free(forks);
	civic_buf_dispose(&feed_ref);
	return error;
}

/* -------------------------------------------------------------------------
 * Settling the roster, by an admin
 */

/* Whether `commit` heads a roster fork kept as evidence. */
static int is_roster_evidence(git_repository *repo, const git_oid *commit)
{
	civic_buf ref = CIVIC_BUF_INIT;
	git_oid held;
	int found = civic_fork_roster_refname(&ref, commit) == 0 &&
		    git_reference_name_to_id(&held, repo, ref.ptr) == 0 && git_oid_equal(&held, commit);

	git_error_clear();
	civic_buf_dispose(&ref);
	return found;
}

int civic_fork_names_roster(git_repository *repo, const git_oid *commit)
{
	git_oid head;
	int in_roster = git_reference_name_to_id(&head, repo, CIVIC_ROSTER_REF) == 0 &&
			(git_oid_equal(&head, commit) || git_graph_descendant_of(repo, &head, commit) == 1);

	git_error_clear();
	return in_roster || is_roster_evidence(repo, commit);
}

/* Whether a roster fork is kept that the roster does not hold yet. */
static int roster_fork_open(int *open, git_repository *repo)
{
	civic_fork *forks = NULL;
	size_t n = 0, i;
	int error = collect_refs(&forks, &n, repo);

	*open = 0;
	if (error < 0)
		return error;
	roster_states(forks, n, repo);
	for (i = 0; i < n; i++)
		*open |= forks[i].roster && forks[i].state == CIVIC_FORK_OPEN;
	free(forks);
	return error;
}

/* The roster to keep, verified, with this node's key an admin in it: the
 * settlements are signed on top of it. */
static int load_keep(civic_roster **out, git_repository *repo, const civic_key *key, const char *network_hex,
		     const git_oid *keep)
{
	int error = civic_roster_load_at(out, repo, keep, network_hex);

	if (error == 0 && !civic_member_is_admin(civic_roster_find(*out, civic_key_public(key)))) {
		civic_error_set(CIVIC_ERROR_ROSTER, "this node's key is not an admin in the roster to keep");
		civic_roster_free(*out);
		*out = NULL;
		error = CIVIC_EINVALID;
	}
	return error;
}

/* The roster forks a resolve leaves open, and why: named once the others
 * are settled, or folded into one refusal when none is. */
typedef struct {
	git_oid head;
	char why[sizeof civic_error_last()->message];
} left_open_fork;

typedef struct {
	left_open_fork *forks;
	size_t count;
} left_open_list;

/* Settles one open roster fork on top of roster. One that no settlement
 * can take in (refused, or not verifying) goes on the list and stays open:
 * one admin's tainted roster must not stop the others from being settled.
 * Which to abandon is the admin's own decision (civic_fork_abandon_roster). */
static int settle_one(int *settled, left_open_list *left, civic_roster *roster, git_repository *repo,
		      const civic_key *key, const git_oid *other, const char *reason)
{
	int error = civic_roster_settle(roster, repo, key, other, NULL, reason);
	left_open_fork *more;

	if (error != CIVIC_EINVALID && error != CIVIC_EBADSIG) {
		*settled += error == 0;
		return error;
	}
	if (!(more = realloc(left->forks, (left->count + 1) * sizeof *more)))
		return civic_error_nomem();
	left->forks = more;
	more[left->count].head = *other;
	snprintf(more[left->count].why, sizeof more->why, "%s", civic_error_last()->message);
	left->count++;
	civic_error_clear();
	return 0;
}

static int none_settled(const left_open_list *left)
{
	if (!left->count) {
		civic_error_set(CIVIC_ERROR_ROSTER, "no fork of the roster is open");
		return CIVIC_EINVALID;
	}
	civic_error_set(CIVIC_ERROR_ROSTER,
			"no open fork of the roster can be settled (%zu left open; abandon one with --abandon): %s",
			left->count, left->forks[0].why);
	return CIVIC_EINVALID;
}

/* Puts the roster ref back at `head` after a failure, keeping its reason. */
static void restore_roster(git_repository *repo, const civic_roster *roster, const git_oid *head,
			   const git_oid *keep)
{
	git_oid now = civic_roster_head(roster);
	civic_error last = *civic_error_last();

	if (!git_oid_equal(&now, head) && !git_oid_equal(&now, keep) &&
	    civic_ref_move(repo, CIVIC_ROSTER_REF, head, &now, "civic: fork resolve failed, roster restored") < 0)
		civic_error_set(last.klass, "%s", last.message);
}

/* A settlement's reason, checked before anything is signed. */
static int check_reason(const char *reason)
{
	return civic_text_check_name(reason, CIVIC_ROSTER_REASON_MAX, "the reason");
}

int civic_fork_resolve_roster(git_oid *out, git_repository *repo, const civic_key *key, const char *network_hex,
			      const civic_schemas *schemas, const git_oid *keep, const char *reason,
			      civic_fork_left_open_cb left_open, void *payload)
{
	civic_roster *roster = NULL;
	civic_fork *forks = NULL;
	left_open_list left = { NULL, 0 };
	size_t n = 0, i;
	git_oid head;
	int open, settled = 0, error;

	if ((error = check_reason(reason)) < 0)
		return error;
	if ((error = git_reference_name_to_id(&head, repo, CIVIC_ROSTER_REF)) < 0)
		return civic_error_from_git(error, "cannot read the roster");
	if (!git_oid_equal(&head, keep) && !is_roster_evidence(repo, keep)) {
		civic_error_set(CIVIC_ERROR_ROSTER,
				"the commit to keep is neither the roster's head nor a roster fork kept as evidence");
		return CIVIC_ENOTFOUND;
	}
	if ((error = roster_fork_open(&open, repo)) < 0)
		return error;
	if (!open) {
		civic_error_set(CIVIC_ERROR_ROSTER, "no fork of the roster is open");
		return CIVIC_EINVALID;
	}
	if ((error = load_keep(&roster, repo, key, network_hex, keep)) < 0)
		return error;
	/* Keeping the evidence: its history goes first, this node's roster
	 * second, and the ref moves on from that roster as from any other. It
	 * is what the admin asked for, so a refusal stops here. */
	if (!git_oid_equal(&head, keep) &&
	    (error = civic_roster_settle(roster, repo, key, &head, &head, reason)) < 0)
		goto failed;
	settled = !git_oid_equal(&head, keep);
	/* Abandoned forks stay so: an admin decided. */
	if ((error = civic_fork_list(&forks, &n, repo, network_hex, roster, schemas)) < 0)
		goto failed;
	for (i = 0; i < n && error == 0; i++) {
		git_oid now = civic_roster_head(roster);
		/* An earlier settlement may have taken this one in with its own. */
		if (forks[i].roster && forks[i].state == CIVIC_FORK_OPEN && !holds(repo, &now, &forks[i].head))
			error = settle_one(&settled, &left, roster, repo, key, &forks[i].head, reason);
	}
	if (error == 0 && !settled)
		error = none_settled(&left);
	if (error < 0)
		goto failed;
	*out = civic_roster_head(roster);
	for (i = 0; left_open && i < left.count; i++)
		left_open(&left.forks[i].head, left.forks[i].why, payload);
	goto done;
failed:
	/* A failure leaves the roster as it was, not settled in part. */
	restore_roster(repo, roster, &head, keep);
done:
	free(left.forks);
	free(forks);
	civic_roster_free(roster);
	return error;
}

int civic_fork_abandon_roster(git_oid *out, git_repository *repo, const civic_key *key, const char *author_name,
			      const char *network_hex, const civic_schemas *schemas, const git_oid *fork,
			      const char *reason)
{
	civic_roster *roster = NULL;
	civic_fork *forks = NULL;
	const civic_fork *f = NULL;
	size_t n = 0, i;
	int error;

	if ((error = check_reason(reason)) < 0 ||
	    (error = civic_roster_load(&roster, repo, network_hex)) < 0)
		return error;
	if (!civic_member_is_admin(civic_roster_find(roster, civic_key_public(key)))) {
		civic_error_set(CIVIC_ERROR_ROSTER, "this node's key is not an admin of the network");
		error = CIVIC_EINVALID;
		goto done;
	}
	if ((error = civic_fork_list(&forks, &n, repo, network_hex, roster, schemas)) < 0)
		goto done;
	for (i = 0; i < n && !f; i++)
		if (forks[i].roster && git_oid_equal(&forks[i].head, fork))
			f = &forks[i];
	if (!f) {
		civic_error_set(CIVIC_ERROR_ROSTER, "the commit is not a roster fork kept as evidence");
		error = CIVIC_ENOTFOUND;
		goto done;
	}
	if (f->state != CIVIC_FORK_OPEN) {
		civic_error_set(CIVIC_ERROR_ROSTER, "that roster fork is not open: nothing to abandon");
		error = CIVIC_EINVALID;
		goto done;
	}
	/* The head: the record covers it and whatever that line signs later,
	 * and nothing beside it (a sibling that shares its first commits). */
	error = append_resolution(out, repo, key, author_name, network_hex, schemas, fork, reason, reason);
done:
	free(forks);
	civic_roster_free(roster);
	return error;
}
