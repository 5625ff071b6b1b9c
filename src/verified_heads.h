/*
 * verified_heads.h - what `civic status` counted of each feed, by head, so
 * that a status over feeds that have not moved verifies none of them again.
 *
 *   <home>/tmp/verified-heads.json
 *       {"format": "civic-verified-heads-1", "roster": id or "",
 *        "feeds": {refname: {"head": id, "seq": n, "valid": n, "pending": n, "revoked": n}}}
 *
 * An entry is written only for a feed that verified whole (catalog.h), and
 * counts only while the feed's ref is at that head and the roster at that
 * commit: a record's standing depends on the roster. A revoked member's
 * feed is never kept (its standing also depends on which commits the node
 * holds). At 100k records a status took 24 s, every time. A feed that moved
 * on from its entry's head is verified from that head on, not from its
 * first record.
 *
 * Like the attachment index it is a cache, trusted no more than the refs it
 * names: a missing or damaged one is rebuilt, one that cannot be saved is
 * not an error, and `civic audit` verifies everything every time.
 */
#ifndef CIVIC_VERIFIED_HEADS_H
#define CIVIC_VERIFIED_HEADS_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	git_oid head;
	uint64_t seq;
	size_t valid, pending, revoked;
} civic_verified_head;

typedef struct civic_verified_heads civic_verified_heads;

/* The cache in tmp_dir as of the roster at `roster` (NULL: none): empty
 * when there is none, it is damaged, or it was written for another roster. */
int civic_verified_heads_load(civic_verified_heads **out, const char *tmp_dir, const git_oid *roster);

/* 1 and *out when refname's entry is at `head`, else 0. */
int civic_verified_heads_get(civic_verified_head *out, const civic_verified_heads *v, const char *refname,
			     const git_oid *head);

/* 1 and *out with refname's entry at whatever head it names, else 0: a
 * feed that moved on since is verified from there (status.c). The entry is
 * not kept for the save: the caller sets the feed's new one. */
int civic_verified_heads_last(civic_verified_head *out, const civic_verified_heads *v, const char *refname);

/* Records refname's entry for the next save. */
int civic_verified_heads_set(civic_verified_heads *v, const char *refname, const civic_verified_head *h);

/* Writes the entries got or set since the load (feeds gone are dropped),
 * when they differ from what was loaded. */
int civic_verified_heads_save(civic_verified_heads *v);

void civic_verified_heads_free(civic_verified_heads *v);

#endif
