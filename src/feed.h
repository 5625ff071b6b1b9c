/*
 * feed.h - a member's feed: its own chain of signed commits, one record each.
 *
 * refs/civic/feeds/<64 hex of the public key> points at the newest commit.
 * Commit number n (from 1) adds exactly one file, records/AA/BB/CC/NNNNNNNN.json
 * (n as eight digits, fanned out so that no tree grows past 100 entries and
 * adding a record costs the same at 1k or 100k records), to the tree of
 * commit n-1; earlier records never change. The commit message ends in the
 * trailers
 *     Civic-Network: <network id>
 *     Civic-Seq: <n>
 * and the commit carries an SSHSIG (namespace "git") of its author in the
 * gpgsig header, so stock `git verify-commit` checks it, and a signed record
 * cannot be replayed into another network or at another position.
 */
#ifndef CIVIC_FEED_H
#define CIVIC_FEED_H

#include <git2.h>
#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "key.h"
#include "schema_store.h"

#define CIVIC_FEED_REF_PREFIX "refs/civic/feeds/"
#define CIVIC_FEED_MAX_SEQ 99999999u
#define CIVIC_RECORD_MAX_SIZE (1024 * 1024)
#define CIVIC_RECORD_PATH_SIZE 40

int civic_feed_refname(civic_buf *out, const civic_pubkey *author);

/* The key of a feed ref name; CIVIC_EINVALID if it is not one. */
int civic_feed_author_from_refname(civic_pubkey *out, const char *refname);

/* "records/00/00/01/00000123.json" for seq 123. */
int civic_record_path(char out[CIVIC_RECORD_PATH_SIZE], uint64_t seq);

/* The Civic-Seq a feed commit claims, size-checked but not verified: where a
 * peer's head says it stands, before its chain is checked. */
int civic_feed_commit_seq(uint64_t *seq, git_repository *repo, const git_oid *id);

/* Validates `record` against its kind's schema, then appends it to the key's
 * feed as a new signed commit and moves the ref with compare-and-swap.
 * *out receives the record id (the commit id). */
int civic_feed_append(git_oid *out, git_repository *repo, const civic_key *key,
		      const char *author_name, const char *network_hex,
		      const civic_schemas *schemas, const json_t *record);

/* What one verified feed commit holds. */
typedef struct {
	git_oid id;
	uint64_t seq;
	git_oid record_blob;
	char path[CIVIC_RECORD_PATH_SIZE];
	int64_t time; /* committer time, as the author claims it */
} civic_feed_commit;

/* Checks one commit of author's feed exactly as an audit must: the SSHSIG
 * over the commit, the email, network and seq trailers, the single parent
 * (`prev`: the verified commit before it, NULL for the first commit), that the tree adds exactly the one
 * record file to the parent's tree, and that the record is valid JSON of a
 * known kind that passes its schema. 0 only when everything holds; else
 * CIVIC_EBADSIG (signature) or CIVIC_EINVALID, with the reason. If `record`
 * is non-NULL it receives the parsed record (caller json_decref()s). */
int civic_feed_verify_commit(civic_feed_commit *out, json_t **record, git_repository *repo,
			     const git_oid *commit_id, const civic_pubkey *author,
			     const char *network_hex, const civic_feed_commit *prev,
			     const civic_schemas *schemas);

/* Verifies a feed commit after commit, from its first, as
 * civic_feed_verify_commit() does, keeping what each commit shares with the
 * next (the trees along the record path) so that nothing is read twice. */
typedef struct civic_feed_verifier civic_feed_verifier;

int civic_feed_verifier_new(civic_feed_verifier **out, git_repository *repo, const civic_pubkey *author,
			    const char *network_hex, const civic_schemas *schemas);
/* Verifies commit_id as the next commit of the feed (the first, at first).
 * On failure the verifier is unchanged: a feed stops at its first bad commit. */
int civic_feed_verifier_next(civic_feed_verifier *v, civic_feed_commit *out, json_t **record,
			     const git_oid *commit_id);
/* Records in `read` (may be NULL) the id of every object of each commit
 * that verifies from now on: the commit, its path trees, its record. */
struct civic_oidset;
void civic_feed_verifier_collect(civic_feed_verifier *v, struct civic_oidset *read);

/* Continues a feed from a commit this node verified before (its own head):
 * the next commit verified must be the one after `trusted`. Nothing of
 * `trusted` is checked again, so what a sync verifies is only what is new. */
int civic_feed_verifier_resume(civic_feed_verifier *v, const git_oid *trusted);
void civic_feed_verifier_free(civic_feed_verifier *v);

/* Parses a record's bytes (UTF-8 JSON object, no duplicate keys, capped). */
int civic_record_parse(json_t **out, const char *text, size_t len, const char *where);

/* The canonical bytes a record is stored as: sorted keys, two-space indent,
 * final newline. Roster files are written in the same form. */
int civic_record_serialize(civic_buf *out, const json_t *record);

#endif
