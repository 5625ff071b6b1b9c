/*
 * test_steps.c - refs into a feed every so many records (src/steps.h): their
 * names, the steps of a run of new records, and the repair that brings an
 * archive's steps in line with its feeds. The interval is a parameter, so
 * a feed of a dozen records has steps every 4.
 */
#include "helpers.h"
#include "fixtures.h"

#include "feed.h"
#include "schema_store.h"
#include "steps.h"

#define N 10
#define EVERY 4

static struct {
	char *dir;
	civic_schemas *schemas;
	civic_key *a, *b;
} g;

static git_repository *repo;
static git_oid c[N + 1]; /* c[1..N]: a's feed */

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	/* Steps are names, not durability: without fsync the thousand signed
	 * appends of the last test take 2 s instead of 18 (33 under ASan). */
	assert_int_equal(git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0), 0);
	g.dir = test_tmpdir_new();
	assert_civic_ok(civic_schemas_new(&g.schemas));
	assert_civic_ok(civic_key_generate(&g.a));
	assert_civic_ok(civic_key_generate(&g.b));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	civic_key_free(g.a);
	civic_key_free(g.b);
	civic_schemas_free(g.schemas);
	test_tmpdir_remove(g.dir);
	fx_global_shutdown();
	return 0;
}

static void append(git_oid *out, const civic_key *key, int i)
{
	char title[32];
	json_t *r;

	snprintf(title, sizeof title, "Заседание %d", i);
	r = fx_minutes(title);
	assert_civic_ok(civic_feed_append(out, repo, key, "Читалище „Искра“", FX_NETWORK, g.schemas, r));
	json_decref(r);
}

static int setup(void **state)
{
	static int n;
	char name[32];
	int i;

	(void)state;
	snprintf(name, sizeof name, "repo%d.git", ++n);
	repo = fx_repo_new(g.dir, name);
	for (i = 1; i <= N; i++)
		append(&c[i], g.a, i);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	git_repository_free(repo);
	repo = NULL;
	return 0;
}

static void step_name(char *out, size_t size, const civic_key *key, uint64_t seq)
{
	civic_buf b = CIVIC_BUF_INIT;

	assert_civic_ok(civic_step_refname(&b, civic_key_public(key), seq));
	assert_true(b.size < size);
	memcpy(out, b.ptr, b.size + 1);
	civic_buf_dispose(&b);
}

/* The steps of a's feed in repo, as "seq=commit-index" pairs: "4=4 8=8". */
static void steps_are(const char *want)
{
	char got[512] = "", name[256], item[32];
	uint64_t seq;
	git_oid id;
	int i;

	for (seq = 1; seq <= 3 * N; seq++) {
		step_name(name, sizeof name, g.a, seq);
		if (fx_ref(&id, repo, name) != 0)
			continue;
		for (i = 1; i <= N && !git_oid_equal(&id, &c[i]); i++)
			;
		snprintf(item, sizeof item, "%s%llu=%d", got[0] ? " " : "", (unsigned long long)seq, i <= N ? i : 0);
		strcat(got, item);
	}
	assert_string_equal(got, want);
}

/*------------------------------------------------------------------------*/

static void test_step_refname_round_trip(void **state)
{
	char name[256], hex[CIVIC_PUBKEY_HEX_LEN + 1];
	civic_pubkey who;
	uint64_t seq;

	(void)state;
	step_name(name, sizeof name, g.a, 1024);
	civic_pubkey_to_hex(hex, civic_key_public(g.a));
	assert_true(strncmp(name, "refs/civic/steps/", 17) == 0);
	assert_memory_equal(name + 17, hex, CIVIC_PUBKEY_HEX_LEN);
	assert_string_equal(name + 17 + CIVIC_PUBKEY_HEX_LEN, "/00001024");
	assert_civic_ok(civic_step_from_refname(&who, &seq, name));
	assert_true(civic_pubkey_equal(&who, civic_key_public(g.a)));
	assert_int_equal(seq, 1024);
}

static void test_step_refname_refuses_what_is_not_one(void **state)
{
	char good[256], bad[300];
	civic_pubkey who;
	uint64_t seq;

	(void)state;
	step_name(good, sizeof good, g.a, 8);
	assert_int_equal(civic_step_from_refname(&who, &seq, "refs/civic/feeds/x"), CIVIC_EINVALID);
	/* seq 0, too few or too many digits, not digits, no slash, short key */
	snprintf(bad, sizeof bad, "%.*s00000000", (int)strlen(good) - 8, good);
	assert_int_equal(civic_step_from_refname(&who, &seq, bad), CIVIC_EINVALID);
	snprintf(bad, sizeof bad, "%.*s", (int)strlen(good) - 1, good);
	assert_int_equal(civic_step_from_refname(&who, &seq, bad), CIVIC_EINVALID);
	snprintf(bad, sizeof bad, "%s0", good);
	assert_int_equal(civic_step_from_refname(&who, &seq, bad), CIVIC_EINVALID);
	snprintf(bad, sizeof bad, "%.*s0000000x", (int)strlen(good) - 8, good);
	assert_int_equal(civic_step_from_refname(&who, &seq, bad), CIVIC_EINVALID);
	snprintf(bad, sizeof bad, "%.*s-00000008", (int)strlen(good) - 9, good);
	assert_int_equal(civic_step_from_refname(&who, &seq, bad), CIVIC_EINVALID);
	snprintf(bad, sizeof bad, "refs/civic/steps/abcd/00000008");
	assert_int_equal(civic_step_from_refname(&who, &seq, bad), CIVIC_EINVALID);
}

typedef struct {
	char names[8][256];
	git_oid ids[8];
	int had_old[8];
	size_t n;
} seen_steps;

static int record_step(const char *refname, const git_oid *id, const git_oid *old, void *payload)
{
	seen_steps *s = payload;

	assert_true(s->n < 8);
	snprintf(s->names[s->n], sizeof s->names[0], "%s", refname);
	s->ids[s->n] = *id;
	s->had_old[s->n++] = old != NULL;
	return 0;
}

static void test_steps_of_run_names_every_nth(void **state)
{
	seen_steps s;
	char want[256];

	(void)state;
	/* Records 3..10: steps at 4 and 8. */
	memset(&s, 0, sizeof s);
	assert_civic_ok(civic_steps_of_run(civic_key_public(g.a), 3, &c[3], 8, EVERY, repo, record_step, &s));
	assert_int_equal(s.n, 2);
	step_name(want, sizeof want, g.a, 4);
	assert_string_equal(s.names[0], want);
	assert_true(git_oid_equal(&s.ids[0], &c[4]));
	step_name(want, sizeof want, g.a, 8);
	assert_string_equal(s.names[1], want);
	assert_true(git_oid_equal(&s.ids[1], &c[8]));
	/* A run between two steps has none; a run of one at a step has it. */
	memset(&s, 0, sizeof s);
	assert_civic_ok(civic_steps_of_run(civic_key_public(g.a), 5, &c[5], 3, EVERY, repo, record_step, &s));
	assert_int_equal(s.n, 0);
	assert_civic_ok(civic_steps_of_run(civic_key_public(g.a), 4, &c[4], 1, EVERY, repo, record_step, &s));
	assert_int_equal(s.n, 1);
	assert_int_equal(s.had_old[0], 0);
}

static void test_steps_of_run_skips_what_is_in_place(void **state)
{
	seen_steps s;
	char name[256];

	(void)state;
	step_name(name, sizeof name, g.a, 4);
	fx_set_ref(repo, name, &c[4]);
	step_name(name, sizeof name, g.a, 8);
	fx_set_ref(repo, name, &c[2]); /* wrong: moved, with its old value */
	memset(&s, 0, sizeof s);
	assert_civic_ok(civic_steps_of_run(civic_key_public(g.a), 1, &c[1], N, EVERY, repo, record_step, &s));
	assert_int_equal(s.n, 1);
	assert_string_equal(s.names[0], name);
	assert_int_equal(s.had_old[0], 1);
}

static void test_repair_writes_missing_steps(void **state)
{
	size_t written = 99;

	(void)state;
	steps_are("");
	assert_civic_ok(civic_steps_repair(&written, repo, EVERY));
	assert_int_equal(written, 2);
	steps_are("4=4 8=8");
	/* In place: nothing written, the feed not walked again. */
	assert_civic_ok(civic_steps_repair(&written, repo, EVERY));
	assert_int_equal(written, 0);
	steps_are("4=4 8=8");
}

static void test_repair_mends_wrong_and_stale_steps(void **state)
{
	char name[256];
	size_t written;

	(void)state;
	step_name(name, sizeof name, g.a, 8);
	fx_set_ref(repo, name, &c[3]); /* the highest step is not on the chain */
	step_name(name, sizeof name, g.a, 12);
	fx_set_ref(repo, name, &c[10]); /* past the head: another history's */
	step_name(name, sizeof name, g.a, 5);
	fx_set_ref(repo, name, &c[5]); /* not at a multiple */
	assert_civic_ok(civic_steps_repair(&written, repo, EVERY));
	assert_int_equal(written, 4); /* 4 written, 8 moved, 12 and 5 removed */
	steps_are("4=4 8=8");
}

static void test_repair_covers_every_feed(void **state)
{
	git_oid b[6];
	char name[256];
	size_t written;
	git_oid id;
	int i;

	(void)state;
	for (i = 1; i <= 5; i++)
		append(&b[i], g.b, i);
	assert_civic_ok(civic_steps_repair(&written, repo, EVERY));
	assert_int_equal(written, 3); /* a: 4, 8; b: 4 */
	step_name(name, sizeof name, g.b, 4);
	assert_int_equal(fx_ref(&id, repo, name), 0);
	assert_true(git_oid_equal(&id, &b[4]));
}

/* civic_feed_append writes the step of every 128th record. */
static void test_append_writes_the_step_at_128(void **state)
{
	char name[256];
	git_oid id, last;
	int i;

	(void)state;
	/* A hundred signed appends: not under valgrind. */
	if (getenv("CIVIC_TEST_VALGRIND"))
		skip();
	for (i = N + 1; i <= CIVIC_STEP_RECORDS; i++)
		append(&last, g.a, i);
	step_name(name, sizeof name, g.a, CIVIC_STEP_RECORDS);
	assert_int_equal(fx_ref(&id, repo, name), 0);
	assert_true(git_oid_equal(&id, &last));
	step_name(name, sizeof name, g.a, EVERY);
	assert_int_equal(fx_ref(&id, repo, name), GIT_ENOTFOUND);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_step_refname_round_trip),
		T(test_step_refname_refuses_what_is_not_one),
		T(test_steps_of_run_names_every_nth),
		T(test_steps_of_run_skips_what_is_in_place),
		T(test_repair_writes_missing_steps),
		T(test_repair_mends_wrong_and_stale_steps),
		T(test_repair_covers_every_feed),
		T(test_append_writes_the_step_at_128),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
