/*
 * sync.h - exchanging the archive with one peer over any git transport.
 *
 * A sync fetches into a quarantine (quarantine.h) only the refs whose heads
 * differ from ours, then checks them as `civic audit` would, from what this
 * node already holds:
 *   - the roster first: it must start at the network id and extend ours;
 *   - each feed: its author must be a member; the new commits must extend
 *     our head, one signed step at a time (civic_feed_verifier), and stop
 *     at the member's revocation point. The longest good run is taken; a
 *     bad commit is reported and nothing after it is.
 *   - a feed whose signed history differs from ours (a fork: a second
 *     laptop, a restore from an old backup) is not resolved by sync: the
 *     peer's branch, if its author signed it, is kept as evidence under
 *     refs/civic/forks/<hex of key>/<commit id>, and reported; unless a
 *     signed statement settles it (fork.h): then the history that stands
 *     becomes the feed, and the other is the evidence.
 * What verifies is moved into the archive as one pack, then each ref moves
 * with compare-and-swap. Everything else leaves with the quarantine. A feed
 * far ahead on the peer comes in parts, step by step (steps.h), each its
 * own quarantine, verified and kept before the next is asked for.
 *
 * A relay (a plain bare repository, no civic behind it) then gets what it
 * lacks: every ref under refs/civic/ whose value differs there, checked
 * again against the relay's advertisement at push time, so a commit that
 * another node pushed meanwhile is never overwritten.
 */
#ifndef CIVIC_SYNC_H
#define CIVIC_SYNC_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "fork.h"
#include "node.h"
#include "peer.h"
#include "remote.h"
#include "state.h"

#define CIVIC_SYNC_MAX_REFS 100000
#define CIVIC_SYNC_DEFAULT_MAX_BYTES (2ULL * 1024 * 1024 * 1024)
/* A feed far ahead on a peer comes in parts of at most this many records
 * (steps.h): a pack of some 60k objects, about 15 MB. */
#define CIVIC_SYNC_DEFAULT_RECORDS_PER_FETCH 6144

typedef enum {
	CIVIC_SYNC_ACCEPTED,    /* new records verified and taken */
	CIVIC_SYNC_PEER_BEHIND, /* the peer holds less than we do */
	CIVIC_SYNC_FORK,        /* a second signed history: kept as evidence */
	CIVIC_SYNC_SETTLED,     /* a history a signed statement abandoned: kept as evidence */
	CIVIC_SYNC_REJECTED,    /* did not verify: nothing of it taken */
	CIVIC_SYNC_PUSHED,      /* sent to the relay */
	CIVIC_SYNC_PUSH_FAILED, /* the relay refused it, or it moved meanwhile */
} civic_sync_outcome;

typedef struct {
	civic_sync_outcome outcome;
	char refname[CIVIC_PEER_REF_MAX]; /* as the peer names it */
	int roster;                        /* the roster, or a second roster: records are its members */
	int state;                         /* a node's signed statement of what it holds (state.h) */
	git_oid theirs;                    /* the peer's head */
	size_t records;                    /* taken, kept as a fork, or pushed */
	char reason[512];                  /* why it was refused, or stopped early */
} civic_sync_item;

typedef struct {
	size_t refs_advertised, refs_fetched;
	size_t records_accepted, feeds_accepted, states_accepted, rejected, forks, refs_pushed, push_failed;
	int roster_updated;
	uint64_t bytes_received;
	size_t objects_received;
	size_t fetches;          /* transfers made: one, or more for feeds in parts */
	size_t pushes;           /* pushes made to a relay: one, or more in parts */
	civic_sync_item *items;
	size_t count, alloc;
} civic_sync_report;

typedef struct {
	unsigned int version;
	uint64_t max_bytes;  /* a fetch that receives more is cut off */
	int push;            /* push to relays (default on) */
	civic_progress_cb progress; /* now and then; a non-zero return cancels the sync */
	void *payload;
	/* Asked for the node's key when its signed statement of what it holds
	 * (state.h) changed, before pushing to a relay; NULL: never signed. */
	civic_state_key_cb state_key;
	void *state_payload;
	/* A feed far ahead on the peer comes in parts of at most this many
	 * records, each verified and kept before the next (steps.h), and a push
	 * to a relay goes in parts of about as many (push_parts.h): memory
	 * stays bounded, and a link that drops still makes progress. 0: the
	 * default. A part is never smaller than one step. */
	uint64_t records_per_fetch;
} civic_sync_options;

#define CIVIC_SYNC_OPTIONS_VERSION 1
#define CIVIC_SYNC_OPTIONS_INIT \
	{ CIVIC_SYNC_OPTIONS_VERSION, CIVIC_SYNC_DEFAULT_MAX_BYTES, 1, NULL, NULL, NULL, NULL, 0 }

/* Syncs with one peer. node must be open for writing and have a network.
 * peer's `known` heads are updated (the caller saves the peer list). The
 * report (caller-allocated, civic_sync_report_dispose) says what happened
 * to each ref. Returns 0 when the exchange ran, whatever was refused in it;
 * negative when it could not run to its end (no connection, a transfer
 * that broke off, a push that failed). What verified before that is kept,
 * and the report says what it was; nothing unverified is ever kept. */
int civic_sync_peer(civic_sync_report *report, civic_node *node, civic_peer *peer,
		    const civic_sync_options *opts);

void civic_sync_report_dispose(civic_sync_report *report);

/* Before this node writes to refname (its own feed, or the roster for an
 * admin): CIVIC_ECONFLICT, naming the peer, when a peer was last seen
 * holding a head of it that this node lacks or that does not precede its
 * own. Writing then would fork the chain: a node restored from an old
 * backup must sync first. 0 otherwise. */
int civic_sync_check_not_behind(git_repository *repo, civic_peers *peers, const char *refname);
const char *civic_sync_outcome_name(civic_sync_outcome outcome);

#endif
