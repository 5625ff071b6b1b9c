/*
 * fork.h - second signed histories of a feed, and their resolution.
 *
 * A fork is two signed histories of one feed that part after some commit:
 * a second laptop with the same key, or a node restored from an old backup
 * that wrote before it caught up. civic never picks one by itself. The
 * other history is kept as evidence,
 *     refs/civic/forks/<64 hex of the key>/<its head>
 * (and refs/civic/forks/roster/<head> for a second roster), until a signed
 * statement settles which history stands:
 *   - its author's: a `fork-resolution` record in the history that stands,
 *     whose "abandons" names a commit of the other history after the point
 *     where the two part (civic fork resolve writes it);
 *   - the network's admins': a revocation whose last valid commit lies on
 *     one history (the other is then after the revocation).
 * A second roster is settled by an admin's commit that joins both rosters
 * (roster.h, civic_roster_settle): no entry is lost, so nothing is
 * abandoned, and the evidence is then held by the roster itself (merged).
 * One that no settlement can take in (say, a revoked admin's) an admin may
 * abandon instead: a fork-resolution record, valid, in the feed of a
 * member whom the roster this node holds makes an admin, naming a commit
 * of that roster after the point where it parts from this one. A node
 * trusts the admins of the roster it holds: one that follows a revoked
 * admin's roster heeds that admin's word too.
 * Every node that sees the statement follows it: a node holding the
 * abandoned history as its feed switches to the one that stands, and keeps
 * what it held as evidence. Evidence is never deleted.
 */
#ifndef CIVIC_FORK_H
#define CIVIC_FORK_H

#include <git2.h>
#include <jansson.h>

#include "buf.h"
#include "key.h"
#include "roster.h"
#include "schema_store.h"

#define CIVIC_FORK_REF_PREFIX "refs/civic/forks/"
#define CIVIC_FORK_ROSTER_DIR "roster"
#define CIVIC_FORK_RESOLUTION_KIND "fork-resolution"

typedef enum {
	CIVIC_FORK_OPEN,            /* no signed statement settles it yet */
	CIVIC_FORK_ABANDONED,       /* its author (for a roster: an admin) abandoned it (a fork-resolution) */
	CIVIC_FORK_REVOKED,         /* the admins' revocation point is on the other history */
	CIVIC_FORK_IN_FEED,         /* the feed itself holds it now (the history it kept stood) */
	CIVIC_FORK_MERGED,          /* a second roster the roster holds now: an admin's settlement took it in */
} civic_fork_state;

typedef struct {
	char refname[160];
	int roster;                 /* a second roster, not a feed */
	civic_pubkey author;        /* for a feed */
	git_oid head;               /* the evidence's head */
	civic_fork_state state;
	git_oid resolution;         /* the fork-resolution record, when ABANDONED */
} civic_fork;

/* refs/civic/forks/<hex>/<head>. */
int civic_fork_refname(civic_buf *out, const civic_pubkey *author, const git_oid *head);

/* refs/civic/forks/roster/<head>. */
int civic_fork_roster_refname(civic_buf *out, const git_oid *head);

/* When record is a fork-resolution, *abandons receives the commit it
 * abandons and 1 is returned; 0 for any other record. */
int civic_fork_record_abandons(git_oid *abandons, const json_t *record);

/* Every fork kept, with its state: the author's fork-resolution records
 * are read from the verified feed (schemas), revocations from the roster
 * (may be NULL). *out is freed with free(). */
int civic_fork_list(civic_fork **out, size_t *count, git_repository *repo, const char *network_hex,
		    const civic_roster *roster, const civic_schemas *schemas);

const char *civic_fork_state_name(civic_fork_state state);

/* The author settles a fork of its own feed: `keep` (the feed's head, or
 * the head of a fork kept as evidence) stands. When it is the evidence,
 * the feed moves to it and the history it held becomes evidence; then one
 * fork-resolution record is appended for each other history still open.
 * *out receives the id of the last record written. CIVIC_ENOTFOUND when
 * keep is neither; CIVIC_EINVALID when no fork is open. */
int civic_fork_resolve(git_oid *out, git_repository *repo, const civic_key *key, const char *author_name,
		       const char *network_hex, const civic_schemas *schemas, const git_oid *keep,
		       const char *reason);

/* Whether commit is a commit of the roster or heads a roster fork kept as
 * evidence: what `civic fork resolve --keep` settles then is the roster. */
int civic_fork_names_roster(git_repository *repo, const git_oid *commit);

/* Called for each roster fork a resolve leaves open, one that no
 * settlement can take in (why says why, as civic_roster_settle refused it):
 * it stays kept as evidence, and does not stop the others from being
 * settled. */
typedef void (*civic_fork_left_open_cb)(const git_oid *head, const char *why, void *payload);

/* An admin settles the roster's forks: `keep` (the roster's head, or a
 * roster fork kept as evidence, in which this node's key must be an admin)
 * stands first; each other roster still open, this node's own included
 * when keep is the evidence, is taken in by one settlement on top of it
 * (civic_roster_settle), the ref moving forward each time. One that no
 * settlement can take in is passed to left_open (may be NULL) and stays
 * open. *out receives the roster's new head. CIVIC_ENOTFOUND when keep is
 * neither; CIVIC_EINVALID when no roster fork is open, or none could be
 * settled. Any other failure leaves the roster as it was. */
int civic_fork_resolve_roster(git_oid *out, git_repository *repo, const civic_key *key, const char *network_hex,
			      const civic_schemas *schemas, const git_oid *keep, const char *reason,
			      civic_fork_left_open_cb left_open, void *payload);

/* An admin abandons the open roster fork whose head is `fork`: a
 * fork-resolution record in this node's feed (author_name) names that
 * head, so it abandons the fork and whatever its line signs later, not an
 * older state kept apart or a sibling. *out receives the record. CIVIC_ENOTFOUND when fork is no roster fork kept as evidence;
 * CIVIC_EINVALID when it is not open or this node's key is no admin. */
int civic_fork_abandon_roster(git_oid *out, git_repository *repo, const civic_key *key, const char *author_name,
			      const char *network_hex, const civic_schemas *schemas, const git_oid *fork,
			      const char *reason);

#endif
