/*
 * push_parts.h - a push to a relay cut into parts at the feeds' steps.
 *
 * libgit2's packbuilder reads and deltifies everything one push sends
 * before it sends a byte, and reuses no delta of the node's packs: pushing
 * a 100k-record archive to an empty relay (git://) as one push took 228
 * CPU-s and 308 MB, sent nothing for minutes, and was given up as a dead
 * link with the relay holding nothing. So a push that sends many records
 * is cut at the step refs (steps.h) into parts of about N records each,
 * one push each: the silence before each part stays short, a part that
 * lands stays, and the relay gets one pack per part, as a node that syncs
 * keeps them.
 *
 * Each part but the last also moves the relay's feed ref to the part's
 * last step, when the relay held nothing of that feed or a shorter run of
 * it: a push that breaks off leaves the relay a shorter feed that verifies,
 * with its steps, and the next sync goes on from there. The roster goes in
 * the first part, so that what the relay holds between parts verifies.
 *
 * A plan is data only: sync.c lists the refs, connects, and checks before
 * each part that the relay's refs are still what the plan expects.
 */
#ifndef CIVIC_PUSH_PARTS_H
#define CIVIC_PUSH_PARTS_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *dst;        /* the relay's ref */
	char *src;        /* the local ref whose value goes there */
	git_oid id;       /* that value */
	int has_there;
	git_oid there;    /* what the relay holds at dst before this push */
	size_t part;      /* which push sends it, from 0 */
	int interim;      /* a feed moved to a step: a later part moves it again */
	int relay_behind; /* a feed the relay holds nothing or a prefix of */
	uint64_t relay_seq; /* then: the relay's length of that feed */
} civic_push_ref;

typedef struct {
	civic_push_ref *refs;
	size_t count, alloc;
	size_t parts;     /* after civic_push_plan_cut: how many pushes */
} civic_push_plan;

#define CIVIC_PUSH_PLAN_INIT { NULL, 0, 0, 0 }

/* Plans refname to move to ours on the relay; there: what the relay holds
 * there now, NULL when it holds nothing. */
int civic_push_plan_add(civic_push_plan *plan, const char *refname, const git_oid *ours, const git_oid *there);

/* Marks the planned feed ref as one the relay holds `seq` records of, all
 * of them on this node's feed (0: none). Only such a feed moves part by
 * part; steps at or below seq send nothing. */
void civic_push_plan_relay_behind(civic_push_plan *plan, const char *feed_ref, uint64_t seq);

/* Assigns each planned ref its part: the steps in the order of their
 * feeds, a part closed once its steps add `records` records (at least one
 * step); the roster's refs in the first part; every other ref in the last.
 * Adds the interim moves of feeds the relay is behind on. Call once, after
 * every add. */
int civic_push_plan_cut(civic_push_plan *plan, uint64_t records);

/* The refspecs ("+src:dst") of part `part`, in the plan's order; free
 * each of the n strings, then *out. */
int civic_push_plan_refspecs(char ***out, size_t *n, const civic_push_plan *plan, size_t part);

/* The relay took ref i: later parts expect it there. */
void civic_push_plan_took(civic_push_plan *plan, size_t i);

/* The planned ref of `part` that moves dst, or NULL. */
const civic_push_ref *civic_push_plan_find(const civic_push_plan *plan, size_t part, const char *dst);

void civic_push_plan_dispose(civic_push_plan *plan);

#endif
