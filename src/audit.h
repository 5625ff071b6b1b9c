/*
 * audit.h - verifies a node's whole archive: the roster chain, every feed
 * from its first commit, every record against its schema, the standing of
 * every author in the roster, the bytes of every attachment held, and that
 * each step ref (steps.h) names the record of its feed it says it does.
 */
#ifndef CIVIC_AUDIT_H
#define CIVIC_AUDIT_H

#include <git2.h>
#include <stddef.h>

#include "schema_store.h"

typedef enum {
	CIVIC_FINDING_BAD,      /* something does not verify: the audit fails */
	CIVIC_FINDING_PENDING,  /* signed, but not (yet) by a member */
	CIVIC_FINDING_NOTICE,   /* worth knowing, not a failure: a missing attachment */
	CIVIC_FINDING_FORK,     /* a second signed history of a feed or the roster, kept as
				 * evidence (refs/civic/forks/): not a failure of the archive,
				 * but its author (or the admins) must say which one stands */
} civic_finding_level;

typedef struct {
	civic_finding_level level;
	char feed[65];    /* hex of the feed's key; "" for the roster */
	char commit[41];  /* "" when not about one commit */
	char message[512];
} civic_finding;

typedef struct {
	size_t members, revoked_members;
	size_t feeds, feeds_bad;
	size_t records_valid, records_pending, records_revoked;
	size_t attachments_present, attachments_missing, attachments_corrupt;
	size_t attachments_purged;  /* not here, and a retraction purged them: not a finding */
	size_t forks, forks_settled;
	int roster_ok;
	civic_finding *findings;
	size_t findings_count, findings_alloc;
} civic_audit_report;

typedef void (*civic_audit_progress_cb)(size_t records_done, void *payload);

typedef struct {
	unsigned int version;
	int rehash_attachments;            /* hash every attachment held (default on) */
	civic_audit_progress_cb progress;  /* may be NULL */
	void *payload;
} civic_audit_options;

#define CIVIC_AUDIT_OPTIONS_VERSION 1
#define CIVIC_AUDIT_OPTIONS_INIT { CIVIC_AUDIT_OPTIONS_VERSION, 1, NULL, NULL }

/* Fills report (caller-allocated, disposed with civic_audit_report_dispose).
 * Returns 0 when the audit ran, whatever it found: the findings say whether
 * the archive is sound (civic_audit_sound). Negative only when it could not
 * run at all. */
int civic_audit_run(civic_audit_report *report, git_repository *repo, const char *network_hex,
		    const char *attachments_dir, const civic_schemas *schemas,
		    const civic_audit_options *opts);

int civic_audit_sound(const civic_audit_report *report);
void civic_audit_report_dispose(civic_audit_report *report);
const char *civic_finding_level_name(civic_finding_level level);

#endif
