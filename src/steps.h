/*
 * steps.h - refs into a feed every 128 records, so that a long feed can be
 * fetched in parts.
 *
 * A stock git server sends only what an advertised ref reaches, so a feed of
 * 100k records arrives as one pack of 700k objects: 290 MiB of libgit2's
 * indexer, and nothing kept when the link drops before the end. Each node
 * therefore names the commit of every 128th record of every feed it holds:
 *
 *     refs/civic/steps/<64 hex of the author's key>/<seq, 8 digits>
 *
 * and a sync far behind a feed fetches it step by step (sync.c), verifying
 * and keeping each part. A step is the peer's word only: what it points at
 * is verified as the next records of the feed, like any head a peer offers,
 * and a step that is not (a lie, a fork) is passed over. Step refs travel to
 * relays like the rest of refs/civic/.
 */
#ifndef CIVIC_STEPS_H
#define CIVIC_STEPS_H

#include <git2.h>
#include <stdint.h>

#include "buf.h"
#include "key.h"

#define CIVIC_STEP_REF_PREFIX "refs/civic/steps/"
/* A step is the least a sync keeps of a transfer that breaks off: 128
 * records are some 250 KB, so a link cut every few hundred KB still brings
 * a feed in. The steps cost every sync 0.8 bytes of ref advertisement per
 * record (about 100 KB at 100k records); 1024 made a link that drops before
 * 2 MB useless. */
#define CIVIC_STEP_RECORDS 128

int civic_step_refname(civic_buf *out, const civic_pubkey *author, uint64_t seq);

/* The author and seq a step ref names: 64 hex digits, '/', 8 digits, the
 * seq above 0. CIVIC_EINVALID (no error text) when refname is not one. */
int civic_step_from_refname(civic_pubkey *author, uint64_t *seq, const char *refname);

/* A step ref in a caller's list (`index` into it), for lists of steps
 * ordered by civic_step_place_cmp: by author, then seq (qsort). */
typedef struct {
	civic_pubkey author;
	uint64_t seq;
	size_t index;
} civic_step_place;

int civic_step_place_cmp(const void *a, const void *b);

/* The step refs of ids[0..n), the commits of author's feed from seq
 * first_seq on: the ref of each whose seq is a multiple of `every`, as
 * (refname, id, the ref's current value or NULL) for `each` to move. */
int civic_steps_of_run(const civic_pubkey *author, uint64_t first_seq, const git_oid *ids, size_t n,
		       uint64_t every, git_repository *repo,
		       int (*each)(const char *refname, const git_oid *id, const git_oid *old, void *payload),
		       void *payload);

/* Brings the step refs of every feed in repo in line with the feed: when a
 * feed's highest step is missing or not on the feed's chain (a node made
 * before steps, a fork settled the other way), every step of that feed is
 * written again from a walk of the whole chain, and steps past the head
 * are removed. *written: how many refs changed. A feed whose steps are in
 * place costs a walk of fewer than `every` commits. */
int civic_steps_repair(size_t *written, git_repository *repo, uint64_t every);

#endif
