/* test_verified_heads.c - the cache of verified feed heads: contract of src/verified_heads.h. */
#include "helpers.h"
#include "fixtures.h"

#include "verified_heads.h"

#define FEED_A "refs/civic/feeds/aa"
#define FEED_B "refs/civic/feeds/bb"

static struct {
	char *dir;
	char tmp[4200], file[4300];
	git_oid roster, other_roster, h1, h2;
} g;

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	assert_int_equal(git_oid_fromstr(&g.roster, "1111111111111111111111111111111111111111"), 0);
	assert_int_equal(git_oid_fromstr(&g.other_roster, "2222222222222222222222222222222222222222"), 0);
	assert_int_equal(git_oid_fromstr(&g.h1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0);
	assert_int_equal(git_oid_fromstr(&g.h2, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	test_tmpdir_remove(g.dir);
	fx_global_shutdown();
	return 0;
}

static int setup(void **state)
{
	static int n;
	char name[32];

	(void)state;
	snprintf(name, sizeof name, "t%d", ++n);
	/* The node's tmp/ need not exist yet: the first save makes it. */
	fx_path(g.tmp, sizeof g.tmp, g.dir, name);
	fx_path(g.file, sizeof g.file, g.tmp, "verified-heads.json");
	return 0;
}

static civic_verified_head entry(const git_oid *head, uint64_t valid, uint64_t pending)
{
	civic_verified_head h;

	memset(&h, 0, sizeof h);
	h.head = *head;
	h.valid = valid;
	h.pending = pending;
	h.seq = valid + pending;
	return h;
}

/* Saves FEED_A at h1 (3 valid, 1 pending) and FEED_B at h2, for `roster`. */
static void save_two(const git_oid *roster)
{
	civic_verified_heads *v = NULL;
	civic_verified_head a = entry(&g.h1, 3, 1), b = entry(&g.h2, 1, 0);

	assert_civic_ok(civic_verified_heads_load(&v, g.tmp, roster));
	assert_civic_ok(civic_verified_heads_set(v, FEED_A, &a));
	assert_civic_ok(civic_verified_heads_set(v, FEED_B, &b));
	assert_civic_ok(civic_verified_heads_save(v));
	civic_verified_heads_free(v);
}

static void test_round_trip(void **state)
{
	civic_verified_heads *v = NULL;
	civic_verified_head got;

	(void)state;
	assert_civic_ok(civic_verified_heads_load(&v, g.tmp, &g.roster));
	assert_int_equal(civic_verified_heads_get(&got, v, FEED_A, &g.h1), 0);
	civic_verified_heads_free(v);
	save_two(&g.roster);
	assert_civic_ok(civic_verified_heads_load(&v, g.tmp, &g.roster));
	assert_int_equal(civic_verified_heads_get(&got, v, FEED_A, &g.h1), 1);
	assert_true(git_oid_equal(&got.head, &g.h1));
	assert_int_equal(got.seq, 4);
	assert_int_equal(got.valid, 3);
	assert_int_equal(got.pending, 1);
	assert_int_equal(got.revoked, 0);
	/* At another head: not the entry's. */
	assert_int_equal(civic_verified_heads_get(&got, v, FEED_B, &g.h1), 0);
	assert_int_equal(civic_verified_heads_get(&got, v, "refs/civic/feeds/cc", &g.h1), 0);
	civic_verified_heads_free(v);
}

static void test_another_roster_is_empty(void **state)
{
	civic_verified_heads *v = NULL;
	civic_verified_head got;

	(void)state;
	save_two(&g.roster);
	assert_civic_ok(civic_verified_heads_load(&v, g.tmp, &g.other_roster));
	assert_int_equal(civic_verified_heads_get(&got, v, FEED_A, &g.h1), 0);
	civic_verified_heads_free(v);
	assert_civic_ok(civic_verified_heads_load(&v, g.tmp, NULL));
	assert_int_equal(civic_verified_heads_get(&got, v, FEED_A, &g.h1), 0);
	civic_verified_heads_free(v);
}

/* A save keeps what was got or set since the load: a feed gone is dropped. */
static void test_save_drops_what_was_not_asked_for(void **state)
{
	civic_verified_heads *v = NULL;
	civic_verified_head got;

	(void)state;
	save_two(&g.roster);
	assert_civic_ok(civic_verified_heads_load(&v, g.tmp, &g.roster));
	assert_int_equal(civic_verified_heads_get(&got, v, FEED_B, &g.h2), 1);
	assert_civic_ok(civic_verified_heads_save(v));
	civic_verified_heads_free(v);
	assert_civic_ok(civic_verified_heads_load(&v, g.tmp, &g.roster));
	assert_int_equal(civic_verified_heads_get(&got, v, FEED_A, &g.h1), 0);
	assert_int_equal(civic_verified_heads_get(&got, v, FEED_B, &g.h2), 1);
	civic_verified_heads_free(v);
}

/* Damaged files and entries are passed over, never trusted. */
static void test_damage_is_passed_over(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"{\"format\": \"civic-verified-heads-2\", \"roster\": \"1111111111111111111111111111111111111111\", \"feeds\": {}}",
		"{\"format\": \"civic-verified-heads-1\", \"feeds\": {}}",
		"{\"format\": \"civic-verified-heads-1\", \"roster\": \"1111111111111111111111111111111111111111\", \"feeds\": []}",
	};
	static const char *const bad_entry[] = {
		"{\"head\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"seq\": 5, \"valid\": 3, \"pending\": 1, \"revoked\": 0}",
		"{\"head\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"seq\": 0, \"valid\": 0, \"pending\": 0, \"revoked\": 0}",
		"{\"head\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"seq\": 4, \"valid\": -1, \"pending\": 5, \"revoked\": 0}",
		"{\"head\": \"aaaa\", \"seq\": 4, \"valid\": 3, \"pending\": 1, \"revoked\": 0}",
		"{\"head\": 7, \"seq\": 4, \"valid\": 3, \"pending\": 1, \"revoked\": 0}",
		"{\"head\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"seq\": \"4\", \"valid\": 3, \"pending\": 1, \"revoked\": 0}",
		"[]",
	};
	civic_verified_heads *v = NULL;
	civic_verified_head got;
	char text[1024];
	size_t i;

	(void)state;
	save_two(&g.roster);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		fx_write_text(g.file, bad[i]);
		assert_civic_ok(civic_verified_heads_load(&v, g.tmp, &g.roster));
		if (civic_verified_heads_get(&got, v, FEED_A, &g.h1))
			fail_msg("file %zu was taken: %s", i, bad[i]);
		civic_verified_heads_free(v);
	}
	for (i = 0; i < sizeof bad_entry / sizeof *bad_entry; i++) {
		snprintf(text, sizeof text,
			 "{\"format\": \"civic-verified-heads-1\", \"roster\": "
			 "\"1111111111111111111111111111111111111111\", \"feeds\": {\"%s\": %s}}",
			 FEED_A, bad_entry[i]);
		fx_write_text(g.file, text);
		assert_civic_ok(civic_verified_heads_load(&v, g.tmp, &g.roster));
		if (civic_verified_heads_get(&got, v, FEED_A, &g.h1))
			fail_msg("entry %zu was taken: %s", i, bad_entry[i]);
		civic_verified_heads_free(v);
	}
}

/* A cache that cannot be written says so; the caller goes on without it. */
static void test_save_where_it_cannot(void **state)
{
	civic_verified_heads *v = NULL;
	civic_verified_head a = entry(&g.h1, 1, 0);
	char blocked[4400];

	(void)state;
	fx_path(blocked, sizeof blocked, g.dir, "a-file");
	fx_write_text(blocked, "not a directory");
	assert_civic_ok(civic_verified_heads_load(&v, blocked, &g.roster));
	assert_civic_ok(civic_verified_heads_set(v, FEED_A, &a));
	assert_true(civic_verified_heads_save(v) < 0);
	civic_error_clear();
	civic_verified_heads_free(v);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_another_roster_is_empty),
		T(test_save_drops_what_was_not_asked_for),
		T(test_damage_is_passed_over),
		T(test_save_where_it_cannot),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
