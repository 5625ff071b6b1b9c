/*
 * test_push_parts.c - a push to a relay cut into parts at the feeds' steps
 * (src/push_parts.h). A plan is names and ids only: these tests give it
 * feeds of two authors, with what a relay holds of each, and check which
 * push carries each ref, and where the relay's feed stands between parts.
 */
#include "helpers.h"

#include <stdio.h>

#include "push_parts.h"
#include "roster.h"
#include "steps.h"

#define A "aa00000000000000000000000000000000000000000000000000000000000001"
#define B "bb00000000000000000000000000000000000000000000000000000000000002"
#define STATE "refs/civic/state/" A

static civic_push_plan plan;

static int setup(void **state)
{
	(void)state;
	memset(&plan, 0, sizeof plan);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	civic_push_plan_dispose(&plan);
	return 0;
}

/* A made-up id: n in its last digits, so each ref has its own. */
static git_oid id_of(unsigned n)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;

	snprintf(hex, sizeof hex, "%040x", n + 1);
	assert_int_equal(git_oid_fromstr(&id, hex), 0);
	return id;
}

static const char *feed(const char *author)
{
	static char name[2][128];
	static int turn;

	turn ^= 1;
	snprintf(name[turn], sizeof name[turn], "refs/civic/feeds/%s", author);
	return name[turn];
}

static const char *step(const char *author, unsigned seq)
{
	static char name[4][128];
	static int turn;

	turn = (turn + 1) % 4;
	snprintf(name[turn], sizeof name[turn], CIVIC_STEP_REF_PREFIX "%s/%08u", author, seq);
	return name[turn];
}

/* Plans the steps of author's feed from `from` to `to` (multiples of 128)
 * and its head, with ids seq and 1000000 + seq; there: the relay's head. */
static void add_feed(const char *author, unsigned from, unsigned to, unsigned head, const git_oid *there)
{
	git_oid id;
	unsigned seq;

	for (seq = from; seq <= to; seq += CIVIC_STEP_RECORDS) {
		id = id_of(seq);
		assert_civic_ok(civic_push_plan_add(&plan, step(author, seq), &id, NULL));
	}
	id = id_of(1000000 + head);
	assert_civic_ok(civic_push_plan_add(&plan, feed(author), &id, there));
}

static void add_roster_and_state(void)
{
	git_oid r = id_of(7), s = id_of(8);

	assert_civic_ok(civic_push_plan_add(&plan, CIVIC_ROSTER_REF, &r, NULL));
	assert_civic_ok(civic_push_plan_add(&plan, STATE, &s, NULL));
}

/* The part that moves dst to the id of seq (or of the head), -1 if none. */
static long part_of(const char *dst, unsigned seq)
{
	git_oid id = id_of(seq);
	size_t i;

	for (i = 0; i < plan.count; i++)
		if (!strcmp(plan.refs[i].dst, dst) && git_oid_equal(&plan.refs[i].id, &id))
			return (long)plan.refs[i].part;
	return -1;
}

static size_t interim_count(void)
{
	size_t i, n = 0;

	for (i = 0; i < plan.count; i++)
		n += plan.refs[i].interim;
	return n;
}

static void test_a_short_push_is_one_part(void **state)
{
	(void)state;
	add_roster_and_state();
	add_feed(A, 128, 256, 300, NULL);
	civic_push_plan_relay_behind(&plan, feed(A), 0);
	assert_civic_ok(civic_push_plan_cut(&plan, 6144));
	assert_int_equal(plan.parts, 1);
	assert_int_equal(interim_count(), 0);
	assert_int_equal(part_of(step(A, 256), 256), 0);
	assert_int_equal(part_of(feed(A), 1000300), 0);
}

static void test_a_feed_the_relay_lacks_moves_part_by_part(void **state)
{
	char **specs;
	size_t n, i;

	(void)state;
	add_roster_and_state();
	add_feed(A, 128, 1280, 1300, NULL);
	civic_push_plan_relay_behind(&plan, feed(A), 0);
	assert_civic_ok(civic_push_plan_cut(&plan, 512));
	/* 128 records a step: parts end at 512 and 1024, the rest is last */
	assert_int_equal(plan.parts, 3);
	assert_int_equal(part_of(step(A, 512), 512), 0);
	assert_int_equal(part_of(step(A, 640), 640), 1);
	assert_int_equal(part_of(step(A, 1152), 1152), 2);
	assert_int_equal(part_of(feed(A), 512), 0);
	assert_int_equal(part_of(feed(A), 1024), 1);
	assert_int_equal(part_of(feed(A), 1001300), 2);
	assert_int_equal(interim_count(), 2);
	assert_int_equal(part_of(CIVIC_ROSTER_REF, 7), 0);
	assert_int_equal(part_of(STATE, 8), 2);

	assert_civic_ok(civic_push_plan_refspecs(&specs, &n, &plan, 0));
	assert_int_equal(n, 6); /* the roster, four steps, the feed at 512 */
	assert_string_equal(specs[0], "+" CIVIC_ROSTER_REF ":" CIVIC_ROSTER_REF);
	assert_string_equal(specs[1], "+" CIVIC_STEP_REF_PREFIX A "/00000128:" CIVIC_STEP_REF_PREFIX A "/00000128");
	assert_string_equal(specs[n - 1], "+" CIVIC_STEP_REF_PREFIX A "/00000512:refs/civic/feeds/" A);
	for (i = 0; i < n; i++)
		free(specs[i]);
	free(specs);
}

static void test_records_count_from_what_the_relay_holds(void **state)
{
	git_oid there = id_of(1000);

	(void)state;
	/* the relay holds 1000 records but none of the steps */
	add_feed(A, 128, 2944, 3000, &there);
	civic_push_plan_relay_behind(&plan, feed(A), 1000);
	assert_civic_ok(civic_push_plan_cut(&plan, 1024));
	/* 24 records to 1024, then 128 a step: the first part ends at 2048 */
	assert_int_equal(plan.parts, 2);
	assert_int_equal(part_of(step(A, 128), 128), 0);
	assert_int_equal(part_of(step(A, 2048), 2048), 0);
	assert_int_equal(part_of(step(A, 2176), 2176), 1);
	assert_int_equal(part_of(feed(A), 2048), 0);
	assert_int_equal(interim_count(), 1);
}

/* The first move of a feed expects what the relay holds of it (a push by
 * stock git leases each ref at that value, git_push.h); the next move,
 * what the one before it left there once the relay took it. */
static void test_moves_expect_the_relay_value_then_the_last_move(void **state)
{
	git_oid there = id_of(1000), first_step = id_of(2048);
	size_t i, interim = SIZE_MAX, final = SIZE_MAX;

	(void)state;
	add_feed(A, 128, 4096, 4100, &there);
	civic_push_plan_relay_behind(&plan, feed(A), 1000);
	assert_civic_ok(civic_push_plan_cut(&plan, 1024));
	assert_int_equal(plan.parts, 4); /* to 2048, 3072, 4096, then the head */
	for (i = 0; i < plan.count; i++)
		if (!strcmp(plan.refs[i].dst, feed(A)) && plan.refs[i].interim && plan.refs[i].part == 0)
			interim = i;
		else if (!strcmp(plan.refs[i].dst, feed(A)) && !plan.refs[i].interim)
			final = i;
	assert_true(interim != SIZE_MAX && final != SIZE_MAX);
	assert_true(plan.refs[interim].has_there);
	assert_true(git_oid_equal(&plan.refs[interim].there, &there));
	assert_true(git_oid_equal(&plan.refs[interim].id, &first_step));
	assert_true(git_oid_equal(&plan.refs[final].there, &there));
	civic_push_plan_took(&plan, interim);
	assert_true(git_oid_equal(&plan.refs[final].there, &first_step));
}

static void test_no_move_back_and_none_for_a_feed_held_whole(void **state)
{
	git_oid there = id_of(5000);

	(void)state;
	/* B: the relay holds our head, only steps are missing; they send
	 * nothing, and B's feed ref is not planned at all */
	add_feed(B, 128, 4096, 4100, NULL);
	plan.count--;
	free(plan.refs[plan.count].dst);
	free(plan.refs[plan.count].src);
	/* A: the relay holds 5000 of 5100; its missing old steps cost nothing */
	add_feed(A, 128, 4992, 5100, &there);
	civic_push_plan_relay_behind(&plan, feed(A), 5000);
	assert_civic_ok(civic_push_plan_cut(&plan, 128));
	assert_int_equal(plan.parts, 1);
	assert_int_equal(interim_count(), 0);
}

static void test_another_history_moves_only_at_the_end(void **state)
{
	git_oid there = id_of(99);

	(void)state;
	/* the relay holds a fork of A: every record counts, the feed waits */
	add_feed(A, 128, 1024, 1100, &there);
	assert_civic_ok(civic_push_plan_cut(&plan, 256));
	assert_int_equal(plan.parts, 5);
	assert_int_equal(part_of(step(A, 256), 256), 0);
	assert_int_equal(part_of(step(A, 384), 384), 1);
	assert_int_equal(part_of(feed(A), 1001100), 4);
	assert_int_equal(interim_count(), 0);
}

static void test_two_feeds_share_parts(void **state)
{
	(void)state;
	add_feed(A, 128, 384, 400, NULL);
	add_feed(B, 128, 512, 600, NULL);
	civic_push_plan_relay_behind(&plan, feed(A), 0);
	civic_push_plan_relay_behind(&plan, feed(B), 0);
	assert_civic_ok(civic_push_plan_cut(&plan, 512));
	/* A's 384 and B's first 128 fill the first part */
	assert_int_equal(plan.parts, 2);
	assert_int_equal(part_of(step(A, 384), 384), 0);
	assert_int_equal(part_of(step(B, 128), 128), 0);
	assert_int_equal(part_of(step(B, 256), 256), 1);
	assert_int_equal(part_of(feed(A), 384), 0);
	assert_int_equal(part_of(feed(B), 128), 0);
	assert_int_equal(part_of(feed(A), 1000400), 1);
	assert_int_equal(part_of(feed(B), 1000600), 1);
	assert_int_equal(interim_count(), 2);
}

static void test_what_a_part_took_is_what_the_next_expects(void **state)
{
	const civic_push_ref *first, *last;

	(void)state;
	add_feed(A, 128, 1280, 1300, NULL);
	civic_push_plan_relay_behind(&plan, feed(A), 0);
	assert_civic_ok(civic_push_plan_cut(&plan, 512));
	first = civic_push_plan_find(&plan, 0, feed(A));
	assert_non_null(first);
	assert_true(first->interim);
	assert_false(first->has_there);
	civic_push_plan_took(&plan, (size_t)(first - plan.refs));
	assert_true(civic_push_plan_find(&plan, 1, feed(A))->has_there);
	assert_true(git_oid_equal(&civic_push_plan_find(&plan, 1, feed(A))->there, &first->id));
	last = civic_push_plan_find(&plan, 2, feed(A));
	assert_false(last->interim);
	assert_true(git_oid_equal(&last->there, &first->id));
	assert_null(civic_push_plan_find(&plan, 3, feed(A)));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_a_short_push_is_one_part),
		T(test_a_feed_the_relay_lacks_moves_part_by_part),
		T(test_records_count_from_what_the_relay_holds),
		T(test_moves_expect_the_relay_value_then_the_last_move),
		T(test_no_move_back_and_none_for_a_feed_held_whole),
		T(test_another_history_moves_only_at_the_end),
		T(test_two_feeds_share_parts),
		T(test_what_a_part_took_is_what_the_next_expects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
