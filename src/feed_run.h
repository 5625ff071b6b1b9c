/*
 * feed_run.h - verifying a run of a feed's commits on every core.
 *
 * A first sync of a 100k-record feed is an audit of 100k commits, and each
 * commit's checks need only the commit before it (civic_feed_verifier_resume
 * starts from any commit). So the run is cut into chunks of a few hundred
 * commits; threads take chunks in order, each from the commit before its
 * chunk, with its own git_repository (libgit2 objects are not shared between
 * threads, DESIGN.md section 5), opened at the caller's path as
 * civic_quarantine_open() opens one. The result is what one verifier walking the
 * run in order would give: the number of leading commits that verify, and
 * the reason of the first that does not. A chunk after a failed one is not
 * started, and what it verified is not counted.
 */
#ifndef CIVIC_FEED_RUN_H
#define CIVIC_FEED_RUN_H

#include <git2.h>
#include <jansson.h>
#include <stddef.h>

#include "feed.h"
#include "key.h"
#include "oidset.h"
#include "schema_store.h"

typedef struct {
	git_repository *repo;  /* the caller's: the calling thread reads from it */
	const civic_pubkey *author;
	const char *network_hex;
	const civic_schemas *schemas;
	/* Threads to use, the caller's among them; 0: one per online CPU. A
	 * run with on_record is verified by the calling thread alone. */
	unsigned threads;
	/* Commits per chunk; 0: the default (512). */
	size_t chunk;
	/* Receives the id of every object of each commit that verifies (may be
	 * NULL); only commits before the first failure are counted. */
	civic_oidset *read;
	/* Called in order for every commit that verifies, in the calling
	 * thread, with its parsed record; non-zero stops the run with that
	 * error. NULL: records are not kept. */
	int (*on_record)(const civic_feed_commit *c, const json_t *record, void *payload);
	/* Called in the calling thread after each chunk it verified, with how
	 * many commits have verified so far; non-zero stops the run with that
	 * error. */
	int (*progress)(size_t done, size_t total, void *payload);
	void *payload;
} civic_feed_run;

/* Verifies ids[0..n) as the next commits of the feed after `resume` (NULL:
 * from its first). *good receives how many leading ids verify; when that is
 * fewer than n, `why` says why the next one did not ("commit <id>: reason"),
 * or why `resume` could not be read. Returns 0 in both cases, and a negative
 * code only when the run could not be made (memory, threads, a callback). */
int civic_feed_run_verify(size_t *good, char *why, size_t why_size, const civic_feed_run *run,
			  const git_oid *resume, const git_oid *ids, size_t n);

#endif
