/*
 * push_parts.c - a push to a relay cut into parts at the feeds' steps.
 */
#include "push_parts.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "feed.h"
#include "fork.h"
#include "key.h"
#include "roster.h"
#include "steps.h"

#define ROSTER_FORKS CIVIC_FORK_REF_PREFIX CIVIC_FORK_ROSTER_DIR "/"

static int grow(civic_push_plan *plan)
{
	civic_push_ref *p;
	size_t n;

	if (plan->count < plan->alloc)
		return 0;
	n = plan->alloc ? plan->alloc * 2 : 16;
	if (!(p = realloc(plan->refs, n * sizeof *p)))
		return civic_error_nomem();
	plan->refs = p;
	plan->alloc = n;
	return 0;
}

static int add(civic_push_plan *plan, const char *dst, const char *src, const git_oid *id, const git_oid *there)
{
	civic_push_ref *r;
	int error;

	if ((error = grow(plan)) < 0)
		return error;
	r = &plan->refs[plan->count];
	memset(r, 0, sizeof *r);
	if (!(r->dst = strdup(dst)) || !(r->src = strdup(src))) {
		free(r->dst);
		return civic_error_nomem();
	}
	git_oid_cpy(&r->id, id);
	if ((r->has_there = there != NULL))
		git_oid_cpy(&r->there, there);
	plan->count++;
	return 0;
}

int civic_push_plan_add(civic_push_plan *plan, const char *refname, const git_oid *ours, const git_oid *there)
{
	return add(plan, refname, refname, ours, there);
}

static civic_push_ref *find(civic_push_plan *plan, const char *dst)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (!strcmp(plan->refs[i].dst, dst))
			return &plan->refs[i];
	return NULL;
}

void civic_push_plan_relay_behind(civic_push_plan *plan, const char *feed_ref, uint64_t seq)
{
	civic_push_ref *r = find(plan, feed_ref);

	if (r) {
		r->relay_behind = 1;
		r->relay_seq = seq;
	}
}

/* A planned step ref: its index is in plan->refs. */
typedef civic_step_place step;

static int list_steps(step **out, size_t *n, const civic_push_plan *plan)
{
	step *s = calloc(plan->count ? plan->count : 1, sizeof *s);
	size_t i;

	*n = 0;
	if (!s)
		return civic_error_nomem();
	for (i = 0; i < plan->count; i++)
		if (civic_step_from_refname(&s[*n].author, &s[*n].seq, plan->refs[i].dst) == 0)
			s[(*n)++].index = i;
	qsort(s, *n, sizeof *s, civic_step_place_cmp);
	*out = s;
	return 0;
}

/* The feed ref of author in the plan, or NULL: the relay holds this node's
 * head of that feed already. */
static civic_push_ref *feed_of(civic_push_plan *plan, const civic_pubkey *author)
{
	civic_buf name = CIVIC_BUF_INIT;
	civic_push_ref *r = NULL;

	if (civic_feed_refname(&name, author) == 0)
		r = find(plan, name.ptr);
	civic_buf_dispose(&name);
	return r;
}

/* Records the relay lacks below each step, counted from what it holds of
 * the feed: steps of a feed it holds whole cost nothing, and of a feed it
 * holds another history of, every record counts. */
static uint64_t step_cost(const step *s, const step *prev, const civic_push_ref *feed)
{
	uint64_t from = !feed ? UINT64_MAX : feed->relay_behind ? feed->relay_seq : 0;

	if (prev && !memcmp(prev->author.bytes, s->author.bytes, sizeof s->author.bytes) && prev->seq > from)
		from = prev->seq;
	return s->seq > from ? s->seq - from : 0;
}

/* The interim moves: each feed the relay is behind on goes to its last
 * step in each part but the last, when that step is past the relay's. */
static int add_interim(civic_push_plan *plan, const step *s, size_t n, size_t last)
{
	size_t i;
	int error = 0;

	for (i = 0; i < n && error == 0; i++) {
		const civic_push_ref *st = &plan->refs[s[i].index];
		civic_push_ref *feed;
		int last_of_part = i + 1 == n ||
				   memcmp(s[i + 1].author.bytes, s[i].author.bytes, sizeof s[i].author.bytes) ||
				   plan->refs[s[i + 1].index].part != st->part;
		if (!last_of_part || st->part == last || !(feed = feed_of(plan, &s[i].author)) ||
		    !feed->relay_behind || s[i].seq <= feed->relay_seq)
			continue;
		{
			/* add() may move plan->refs: copy what it needs first.
			 * The move expects what the relay holds of the feed now:
			 * an earlier part's move, once taken, overrides it. */
			char *src = strdup(st->dst), *dst = strdup(feed->dst);
			git_oid id = st->id, there = feed->there;
			int has_there = feed->has_there;
			size_t part = st->part;
			if (!src || !dst)
				error = civic_error_nomem();
			else if ((error = add(plan, dst, src, &id, has_there ? &there : NULL)) == 0) {
				plan->refs[plan->count - 1].part = part;
				plan->refs[plan->count - 1].interim = 1;
			}
			free(src);
			free(dst);
		}
	}
	return error;
}

int civic_push_plan_cut(civic_push_plan *plan, uint64_t records)
{
	step *s = NULL;
	size_t n, i, part = 0, count = plan->count;
	uint64_t sum = 0;
	int error;

	if (records == 0)
		records = 1;
	if ((error = list_steps(&s, &n, plan)) < 0)
		return error;
	for (i = 0; i < n; i++) {
		plan->refs[s[i].index].part = part;
		sum += step_cost(&s[i], i ? &s[i - 1] : NULL, feed_of(plan, &s[i].author));
		if (sum >= records) {
			part++;
			sum = 0;
		}
	}
	plan->parts = part + 1;
	for (i = 0; i < count; i++) {
		civic_push_ref *r = &plan->refs[i];
		if (!strcmp(r->dst, CIVIC_ROSTER_REF) || !strncmp(r->dst, ROSTER_FORKS, strlen(ROSTER_FORKS)))
			r->part = 0;
		else if (strncmp(r->dst, CIVIC_STEP_REF_PREFIX, strlen(CIVIC_STEP_REF_PREFIX)))
			r->part = part;
	}
	error = add_interim(plan, s, n, part);
	free(s);
	return error;
}

int civic_push_plan_refspecs(char ***out, size_t *n, const civic_push_plan *plan, size_t part)
{
	char **specs = calloc(plan->count ? plan->count : 1, sizeof *specs);
	size_t i;

	*out = NULL;
	*n = 0;
	if (!specs)
		return civic_error_nomem();
	for (i = 0; i < plan->count; i++) {
		const civic_push_ref *r = &plan->refs[i];
		size_t size = strlen(r->src) + strlen(r->dst) + 3;
		if (r->part != part)
			continue;
		if (!(specs[*n] = malloc(size))) {
			while (*n > 0)
				free(specs[--*n]);
			free(specs);
			return civic_error_nomem();
		}
		snprintf(specs[(*n)++], size, "+%s:%s", r->src, r->dst);
	}
	*out = specs;
	return 0;
}

void civic_push_plan_took(civic_push_plan *plan, size_t i)
{
	size_t j;

	for (j = 0; j < plan->count; j++) {
		civic_push_ref *r = &plan->refs[j];
		if (r->part > plan->refs[i].part && !strcmp(r->dst, plan->refs[i].dst)) {
			r->has_there = 1;
			git_oid_cpy(&r->there, &plan->refs[i].id);
		}
	}
}

const civic_push_ref *civic_push_plan_find(const civic_push_plan *plan, size_t part, const char *dst)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		if (plan->refs[i].part == part && !strcmp(plan->refs[i].dst, dst))
			return &plan->refs[i];
	return NULL;
}

void civic_push_plan_dispose(civic_push_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->count; i++) {
		free(plan->refs[i].dst);
		free(plan->refs[i].src);
	}
	free(plan->refs);
	memset(plan, 0, sizeof *plan);
}
