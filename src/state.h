/*
 * state.h - a node's signed statement of what it holds.
 *
 * Each node publishes, at refs/civic/state/<64 hex of its key>, one signed
 * commit with no parent, whose tree holds exactly one file, state.json:
 *     {
 *       "feeds": { "<64 hex of a key>": { "head": "<commit>", "seq": N }, ... },
 *       "roster": "<commit>"
 *     }
 * (sorted keys, two-space indent, as records are stored), and whose message
 * ends in the trailers
 *     Civic-Network: <network id>
 *     Civic-State: <serial>
 * signed like a record (signed_commit.h), so stock `git verify-commit`
 * checks it too. The serial grows by one with each new statement, and a
 * node takes a statement of a key only when its serial is higher than the
 * one it holds: a relay can withhold a newer statement, but not bring an
 * older one back.
 *
 * The statement travels with the data: relays hold it like any other ref,
 * so a node learns what the nodes it never meets hold. It is a claim, not
 * a proof: the records themselves are verified wherever they arrive, and
 * nothing is accepted or refused because of a statement.
 */
#ifndef CIVIC_STATE_H
#define CIVIC_STATE_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "key.h"

#define CIVIC_STATE_REF_PREFIX "refs/civic/state/"
#define CIVIC_STATE_FILE "state.json"
#define CIVIC_STATE_MAX_SIZE (1024 * 1024)   /* 4096 feeds take about 630 KB */
#define CIVIC_STATE_MAX_FEEDS 4096
#define CIVIC_STATE_MAX_SERIAL 9007199254740991ULL /* 2^53 - 1: exact in any JSON reader */

typedef struct {
	civic_pubkey author;
	git_oid head;
	uint64_t seq;
} civic_state_feed;

typedef struct {
	civic_pubkey node;        /* who signed it */
	uint64_t serial;
	int64_t time;             /* when, as the signer's clock said */
	git_oid roster;           /* the roster head it held */
	civic_state_feed *feeds;  /* sorted by key, as state.json lists them */
	size_t nfeeds;
} civic_state;

/* refs/civic/state/<hex>. */
int civic_state_refname(civic_buf *out, const civic_pubkey *node);

/* The key a state ref names; CIVIC_EINVALID if refname is not one. */
int civic_state_key_from_refname(civic_pubkey *out, const char *refname);

/* Checks that commit `id` is a statement signed by `node` for the network:
 * its signature and email, no parent, both trailers, a tree of exactly
 * state.json, and that file's form. Objects are size-checked before they
 * are read. 0 when all holds; else CIVIC_EBADSIG or CIVIC_EINVALID with
 * the reason. *out (may be NULL) receives it, freed with civic_state_free();
 * `read` (may be NULL) receives the ids of its three objects. */
struct civic_oidset;
int civic_state_verify(civic_state **out, git_repository *repo, const git_oid *id, const civic_pubkey *node,
		       const char *network_hex, struct civic_oidset *read);

/* The serial a statement claims (its trailer), unverified. */
int civic_state_serial(uint64_t *out, git_repository *repo, const git_oid *id);

/* The statement this archive holds for node, verified. CIVIC_ENOTFOUND
 * when there is none. */
int civic_state_load(civic_state **out, git_repository *repo, const civic_pubkey *node,
		     const char *network_hex);

/* 1 when what repo holds (its feed heads and roster) differs from node's
 * statement in it, or there is none; 0 when the statement says it. */
int civic_state_stale(git_repository *repo, const civic_pubkey *node);

/* Signs and stores a statement of what repo holds, by key (author_name in
 * the commit), when it differs from the one held: *written is then 1,
 * else 0. The ref moves with compare-and-swap. */
int civic_state_write(int *written, git_repository *repo, const civic_key *key, const char *author_name,
		      const char *network_hex);

/* Before a sync pushes, or when it ends: signs a new statement when what
 * this node holds changed and it is a member of the network (not revoked).
 * get_key is asked only then; it returns the node's key (borrowed), or
 * NULL to leave the statement as it is this time. *written as above. */
struct civic_node;
typedef const civic_key *(*civic_state_key_cb)(void *payload);
int civic_state_refresh(int *written, struct civic_node *node, civic_state_key_cb get_key, void *payload);

/* The feed of `author` in the statement, or NULL. */
const civic_state_feed *civic_state_find(const civic_state *state, const civic_pubkey *author);

void civic_state_free(civic_state *state);

#endif
