/* audit.c - verifies everything a node holds; see audit.h. */
#include "audit.h"
#include "attach.h"
#include "attach_purge.h"
#include "catalog.h"
#include "error.h"
#include "fork.h"
#include "steps.h"

#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A verified record a step ref may name: every CIVIC_STEP_RECORDS-th. */
typedef struct {
	civic_pubkey author;
	uint64_t seq;
	git_oid id;
} step_record;

/* An attachment that is not here: a notice, unless a retraction purged it,
 * which the walk may meet only later, in another feed. */
typedef struct {
	civic_pubkey author;
	git_oid record;
	char name[256];
	char sha256[CIVIC_SHA256_HEX_LEN + 1];
} absent_attachment;

typedef struct {
	civic_audit_report *report;
	const char *attachments_dir;
	const civic_audit_options *opts;
	size_t done;
	int failed; /* out of memory while recording a finding */
	step_record *steps;
	size_t nsteps, steps_alloc;
	absent_attachment *absent;
	size_t nabsent, absent_alloc;
	civic_purge_claims claims;
} audit_state;

const char *civic_finding_level_name(civic_finding_level level)
{
	switch (level) {
	case CIVIC_FINDING_BAD: return "bad";
	case CIVIC_FINDING_PENDING: return "pending";
	case CIVIC_FINDING_NOTICE: return "notice";
	case CIVIC_FINDING_FORK: return "fork";
	}
	return "unknown";
}

static void add_finding(audit_state *st, civic_finding_level level, const civic_pubkey *feed,
			const git_oid *commit, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_finding(audit_state *st, civic_finding_level level, const civic_pubkey *feed,
			const git_oid *commit, const char *fmt, ...)
{
	civic_audit_report *r = st->report;
	civic_finding *f;
	va_list ap;

	if (r->findings_count == r->findings_alloc) {
		size_t n = r->findings_alloc ? r->findings_alloc * 2 : 16;
		civic_finding *p = realloc(r->findings, n * sizeof *p);
		if (!p) {
			st->failed = 1;
			return;
		}
		r->findings = p;
		r->findings_alloc = n;
	}
	f = &r->findings[r->findings_count++];
	memset(f, 0, sizeof *f);
	f->level = level;
	if (feed)
		civic_pubkey_to_hex(f->feed, feed);
	if (commit)
		git_oid_tostr(f->commit, sizeof f->commit, commit);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof f->message, dgettext("civic", fmt), ap);
	va_end(ap);
}

static void remember_absent(audit_state *st, const civic_entry *e, const char *name, const char *sha)
{
	absent_attachment *a;

	if (st->nabsent == st->absent_alloc) {
		size_t n = st->absent_alloc ? st->absent_alloc * 2 : 16;
		absent_attachment *p = realloc(st->absent, n * sizeof *p);
		if (!p) {
			st->failed = 1;
			return;
		}
		st->absent = p;
		st->absent_alloc = n;
	}
	a = &st->absent[st->nabsent++];
	a->author = e->author;
	a->record = e->commit.id;
	snprintf(a->name, sizeof a->name, "%s", name ? name : "");
	snprintf(a->sha256, sizeof a->sha256, "%s", sha ? sha : "");
}

/* After the walk, when every retraction is known: purged, or missing. */
static void report_absent(audit_state *st, const civic_roster *roster)
{
	size_t i;

	for (i = 0; i < st->nabsent; i++) {
		const absent_attachment *a = &st->absent[i];
		if (civic_purge_claims_find(&st->claims, &a->record, &a->author, roster)) {
			st->report->attachments_purged++;
			continue;
		}
		st->report->attachments_missing++;
		add_finding(st, CIVIC_FINDING_NOTICE, &a->author, &a->record, "attachment '%s' (%s) is missing",
			    a->name, a->sha256);
	}
}

static void check_attachments(audit_state *st, const civic_entry *e)
{
	json_t *list = json_object_get(e->record, "attachments"), *a;
	civic_attach_state state;
	size_t i;

	json_array_foreach(list, i, a) {
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		const char *name = json_string_value(json_object_get(a, "name"));
		uint64_t size = (uint64_t)json_integer_value(json_object_get(a, "size"));
		if (civic_attach_check(&state, st->attachments_dir, sha, size,
				       st->opts->rehash_attachments) < 0) {
			add_finding(st, CIVIC_FINDING_BAD, &e->author, &e->commit.id, "attachment '%s': %s",
				    name, civic_error_last()->message);
			continue;
		}
		switch (state) {
		case CIVIC_ATTACH_PRESENT:
			st->report->attachments_present++;
			break;
		case CIVIC_ATTACH_MISSING:
			remember_absent(st, e, name, sha);
			break;
		case CIVIC_ATTACH_CORRUPT:
			st->report->attachments_corrupt++;
			add_finding(st, CIVIC_FINDING_BAD, &e->author, &e->commit.id,
				    "attachment '%s' (%s): bytes do not match the signed hash", name, sha);
			break;
		}
	}
}

static void remember_step(audit_state *st, const civic_entry *e)
{
	step_record *s;

	if (st->nsteps == st->steps_alloc) {
		size_t n = st->steps_alloc ? st->steps_alloc * 2 : 64;
		step_record *p = realloc(st->steps, n * sizeof *p);
		if (!p) {
			st->failed = 1;
			return;
		}
		st->steps = p;
		st->steps_alloc = n;
	}
	s = &st->steps[st->nsteps++];
	s->author = e->author;
	s->seq = e->commit.seq;
	s->id = e->commit.id;
}

static int on_record(const civic_entry *e, void *payload)
{
	audit_state *st = payload;
	git_oid target;

	switch (e->standing) {
	case CIVIC_STANDING_VALID:
		st->report->records_valid++;
		break;
	case CIVIC_STANDING_PENDING:
		st->report->records_pending++;
		if (e->member)
			add_finding(st, CIVIC_FINDING_PENDING, &e->author, &e->commit.id,
				    "record %llu of '%s' waits: this node does not hold the commit its revocation names",
				    (unsigned long long)e->commit.seq, e->member->name);
		else
			add_finding(st, CIVIC_FINDING_PENDING, &e->author, &e->commit.id,
				    "record %llu is by a key that is not a member (yet)",
				    (unsigned long long)e->commit.seq);
		break;
	case CIVIC_STANDING_REVOKED:
		st->report->records_revoked++;
		add_finding(st, CIVIC_FINDING_BAD, &e->author, &e->commit.id,
			    "record %llu comes after the revocation of '%s'",
			    (unsigned long long)e->commit.seq, e->member->name);
		break;
	}
	check_attachments(st, e);
	/* A retraction counts as the attachment index counts it: not past its
	 * key's revocation point, nor while the commit a revocation names is
	 * not held. */
	if ((e->standing == CIVIC_STANDING_VALID || (e->standing == CIVIC_STANDING_PENDING && !e->member)) &&
	    civic_purge_claim_of(&target, e->record) &&
	    civic_purge_claims_add(&st->claims, &e->commit.id, &target, &e->author) < 0)
		st->failed = 1;
	if (e->commit.seq % CIVIC_STEP_RECORDS == 0)
		remember_step(st, e);
	if (st->opts->progress && ++st->done % 1000 == 0)
		st->opts->progress(st->done, st->opts->payload);
	return 0;
}

static void on_bad(const civic_pubkey *author, const char *refname, const git_oid *commit,
		   const char *reason, void *payload)
{
	audit_state *st = payload;

	st->report->feeds_bad++;
	add_finding(st, CIVIC_FINDING_BAD, author, commit, "feed '%s': %s", refname, reason);
}

static int count_feeds(size_t *out, git_repository *repo)
{
	git_strarray refs = { 0 };
	size_t i;
	int error = git_reference_list(&refs, repo);

	if (error < 0)
		return civic_error_from_git(error, "cannot list refs");
	*out = 0;
	for (i = 0; i < refs.count; i++)
		if (!strncmp(refs.strings[i], CIVIC_FEED_REF_PREFIX, strlen(CIVIC_FEED_REF_PREFIX)))
			(*out)++;
	git_strarray_dispose(&refs);
	return 0;
}

/* Every second history a sync kept (fork.h): an open one is a finding of
 * its own kind, a settled one a notice. */
static int report_forks(audit_state *st, git_repository *repo, const char *network,
			const civic_roster *roster, const civic_schemas *schemas)
{
	civic_fork *forks = NULL;
	char id[GIT_OID_HEXSZ + 1];
	size_t n = 0, i;
	int error = civic_fork_list(&forks, &n, repo, network, roster, schemas);

	for (i = 0; error == 0 && i < n; i++) {
		const civic_fork *f = &forks[i];
		const civic_pubkey *key = f->roster ? NULL : &f->author;
		if (f->state == CIVIC_FORK_OPEN && f->roster) {
			st->report->forks++;
			add_finding(st, CIVIC_FINDING_FORK, key, &f->head,
				    "a second signed roster is kept as evidence at '%s'", f->refname);
		} else if (f->state == CIVIC_FORK_OPEN) {
			st->report->forks++;
			add_finding(st, CIVIC_FINDING_FORK, key, &f->head,
				    "a second signed history of this feed is kept as evidence at '%s'", f->refname);
		} else if (f->state == CIVIC_FORK_ABANDONED && f->roster) {
			st->report->forks_settled++;
			add_finding(st, CIVIC_FINDING_NOTICE, key, &f->head,
				    "a second roster, kept at '%s', was abandoned by an admin in record %s",
				    f->refname, git_oid_tostr(id, sizeof id, &f->resolution));
		} else if (f->state == CIVIC_FORK_ABANDONED) {
			st->report->forks_settled++;
			add_finding(st, CIVIC_FINDING_NOTICE, key, &f->head,
				    "a second history, kept at '%s', was abandoned by its author in record %s",
				    f->refname, git_oid_tostr(id, sizeof id, &f->resolution));
		} else if (f->state == CIVIC_FORK_MERGED) {
			st->report->forks_settled++;
			add_finding(st, CIVIC_FINDING_NOTICE, key, &f->head,
				    "a second roster, kept at '%s', was taken in by an admin's settlement", f->refname);
		} else if (f->state == CIVIC_FORK_REVOKED) {
			st->report->forks_settled++;
			add_finding(st, CIVIC_FINDING_NOTICE, key, &f->head,
				    "a second history, kept at '%s', comes after the key's revocation",
				    f->refname);
		}
	}
	free(forks);
	return error;
}

static int step_cmp(const void *a, const void *b)
{
	const step_record *x = a, *y = b;
	int c = memcmp(x->author.bytes, y->author.bytes, sizeof x->author.bytes);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* One step ref against the verified records: a step is only a hint (a
 * peer that fetches by it verifies what it names), so a wrong one is a
 * notice, not a failure. */
static void check_step(audit_state *st, const char *refname, const git_oid *target)
{
	step_record key, *found;

	if (civic_step_from_refname(&key.author, &key.seq, refname) < 0) {
		add_finding(st, CIVIC_FINDING_NOTICE, NULL, target, "'%s' is not a step ref", refname);
		return;
	}
	if (key.seq % CIVIC_STEP_RECORDS) {
		add_finding(st, CIVIC_FINDING_NOTICE, &key.author, target,
			    "step ref '%s' is not at a multiple of %d records", refname, CIVIC_STEP_RECORDS);
		return;
	}
	found = st->nsteps ? bsearch(&key, st->steps, st->nsteps, sizeof *st->steps, step_cmp) : NULL;
	if (!found || !target || !git_oid_equal(&found->id, target))
		add_finding(st, CIVIC_FINDING_NOTICE, &key.author, target,
			    "step ref '%s' does not name record %llu of the feed as verified", refname,
			    (unsigned long long)key.seq);
}

static int check_steps(audit_state *st, git_repository *repo)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int error;

	if (st->nsteps)
		qsort(st->steps, st->nsteps, sizeof *st->steps, step_cmp);
	if ((error = git_reference_iterator_glob_new(&it, repo, CIVIC_STEP_REF_PREFIX "*")) < 0)
		return civic_error_from_git(error, "cannot list step refs");
	while ((error = git_reference_next(&ref, it)) == 0) {
		check_step(st, git_reference_name(ref), git_reference_target(ref));
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	return error == GIT_ITEROVER ? 0 : civic_error_from_git(error, "cannot list step refs");
}

static void tally_members(civic_audit_report *r, const civic_roster *roster)
{
	size_t i;

	r->members = civic_roster_count(roster);
	for (i = 0; i < r->members; i++)
		if (civic_roster_get(roster, i)->revoked)
			r->revoked_members++;
}

int civic_audit_run(civic_audit_report *report, git_repository *repo, const char *network_hex,
		    const char *attachments_dir, const civic_schemas *schemas,
		    const civic_audit_options *opts)
{
	civic_audit_options defaults = CIVIC_AUDIT_OPTIONS_INIT;
	audit_state st = { report, attachments_dir, opts ? opts : &defaults, 0, 0, NULL, 0, 0, NULL, 0, 0,
			   CIVIC_PURGE_CLAIMS_INIT };
	civic_catalog_callbacks cb = { on_record, on_bad, &st };
	civic_roster *roster = NULL;
	int error;

	memset(report, 0, sizeof *report);
	CIVIC_ASSERT_ARG(st.opts->version == CIVIC_AUDIT_OPTIONS_VERSION);
	if ((error = civic_roster_load(&roster, repo, network_hex)) == 0) {
		report->roster_ok = 1;
		tally_members(report, roster);
	} else if (error == CIVIC_ENOTFOUND) {
		add_finding(&st, CIVIC_FINDING_PENDING, NULL, NULL, "%s: membership cannot be checked",
			    civic_error_last()->message);
	} else {
		/* A roster that does not verify must not vouch for anyone. */
		add_finding(&st, CIVIC_FINDING_BAD, NULL, NULL, "%s", civic_error_last()->message);
	}
	if ((error = count_feeds(&report->feeds, repo)) == 0)
		error = civic_catalog_walk(repo, network_hex, roster, schemas, NULL, &cb);
	if (error == 0)
		report_absent(&st, roster);
	if (error == 0)
		error = report_forks(&st, repo, network_hex, roster, schemas);
	if (error == 0)
		error = check_steps(&st, repo);
	civic_roster_free(roster);
	free(st.steps);
	free(st.absent);
	civic_purge_claims_dispose(&st.claims);
	if (error == 0 && st.failed)
		error = civic_error_nomem();
	if (error < 0)
		civic_audit_report_dispose(report);
	return error;
}

int civic_audit_sound(const civic_audit_report *report)
{
	size_t i;

	for (i = 0; i < report->findings_count; i++)
		if (report->findings[i].level == CIVIC_FINDING_BAD)
			return 0;
	return 1;
}

void civic_audit_report_dispose(civic_audit_report *report)
{
	free(report->findings);
	memset(report, 0, sizeof *report);
}
