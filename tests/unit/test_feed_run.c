/*
 * test_feed_run.c - a run of feed commits verified on several threads
 * (src/feed_run.h) must say exactly what one civic_feed_verifier walking the
 * run in order says: how many commits verify, why the next does not, and
 * which objects were read, however the run is cut and however many threads
 * take it.
 */
#include "helpers.h"
#include "fixtures.h"

#include "feed.h"
#include "feed_run.h"
#include "oidset.h"
#include "schema_store.h"

#define N 40 /* records in the feed */

static struct {
	char *dir;
	civic_schemas *schemas;
	civic_key *a, *b;
	git_repository *repo;
	git_oid c[N + 1]; /* c[1..N]: the feed of a; c[0] unused */
} g;

/* The ways a run is cut: threads x commits per chunk (0: the default).
 * Under valgrind (CIVIC_TEST_VALGRIND), the first few of each. */
static const unsigned threads_tried[] = { 1, 3, 2, 8 };
static const size_t chunks_tried[] = { 1, 7, 0, 2, 3, N - 1, N, N + 1 };
static size_t nthreads_tried = sizeof threads_tried / sizeof *threads_tried;
static size_t nchunks_tried = sizeof chunks_tried / sizeof *chunks_tried;

static int group_setup(void **state)
{
	char title[32];
	int i;

	(void)state;
	if (getenv("CIVIC_TEST_VALGRIND"))
		nthreads_tried = 2, nchunks_tried = 3;
	fx_global_init();
	g.dir = test_tmpdir_new();
	assert_civic_ok(civic_schemas_new(&g.schemas));
	assert_civic_ok(civic_key_generate(&g.a));
	assert_civic_ok(civic_key_generate(&g.b));
	g.repo = fx_repo_new(g.dir, "feed.git");
	for (i = 1; i <= N; i++) {
		json_t *r;
		snprintf(title, sizeof title, "Заседание %d", i);
		r = fx_minutes(title);
		assert_civic_ok(civic_feed_append(&g.c[i], g.repo, g.a, "Читалище „Искра“", FX_NETWORK,
						  g.schemas, r));
		json_decref(r);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	git_repository_free(g.repo);
	civic_key_free(g.a);
	civic_key_free(g.b);
	civic_schemas_free(g.schemas);
	test_tmpdir_remove(g.dir);
	fx_global_shutdown();
	return 0;
}

/* What one verifier in order says of ids[0..n) after resume. */
typedef struct {
	size_t good;
	char why[512];
	civic_oidset *read;
} verdict;

static void one_verifier(verdict *out, git_repository *repo, const git_oid *resume, const git_oid *ids, size_t n)
{
	civic_feed_verifier *v = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	civic_feed_commit fc;

	memset(out, 0, sizeof *out);
	assert_civic_ok(civic_oidset_new(&out->read));
	assert_civic_ok(civic_feed_verifier_new(&v, repo, civic_key_public(g.a), FX_NETWORK, g.schemas));
	civic_feed_verifier_collect(v, out->read);
	if (resume && civic_feed_verifier_resume(v, resume) < 0) {
		snprintf(out->why, sizeof out->why, "%s", civic_error_last()->message);
		n = 0;
	}
	for (; out->good < n; out->good++)
		if (civic_feed_verifier_next(v, &fc, NULL, &ids[out->good]) < 0) {
			snprintf(out->why, sizeof out->why, "commit %.12s: %.480s",
				 git_oid_tostr(hex, sizeof hex, &ids[out->good]), civic_error_last()->message);
			break;
		}
	civic_feed_verifier_free(v);
}

static civic_feed_run run_of(git_repository *repo, unsigned threads, size_t chunk, civic_oidset *read)
{
	civic_feed_run run = { .repo = repo, .author = civic_key_public(g.a), .network_hex = FX_NETWORK,
			       .schemas = g.schemas, .threads = threads, .chunk = chunk, .read = read };
	return run;
}

static void assert_same_set(const civic_oidset *got, const civic_oidset *want, const git_oid *ids, size_t n)
{
	size_t i;

	assert_int_equal(civic_oidset_count(got), civic_oidset_count(want));
	for (i = 0; i < n; i++)
		assert_int_equal(civic_oidset_has(got, &ids[i]), civic_oidset_has(want, &ids[i]));
}

/* Every way of cutting the run gives the one verifier's verdict. */
static void assert_like_one_verifier(git_repository *repo, const git_oid *resume, const git_oid *ids, size_t n)
{
	verdict want;
	size_t t, k;

	one_verifier(&want, repo, resume, ids, n);
	for (t = 0; t < nthreads_tried; t++)
		for (k = 0; k < nchunks_tried; k++) {
			civic_oidset *read = NULL;
			civic_feed_run run;
			char why[512];
			size_t good = 12345;

			assert_civic_ok(civic_oidset_new(&read));
			run = run_of(repo, threads_tried[t], chunks_tried[k], read);
			assert_civic_ok(civic_feed_run_verify(&good, why, sizeof why, &run, resume, ids, n));
			if (good != want.good || strcmp(why, want.why))
				fail_msg("%u threads, chunks of %zu: %zu good (\"%s\"), one verifier: %zu (\"%s\")",
					 threads_tried[t], chunks_tried[k], good, why, want.good, want.why);
			assert_same_set(read, want.read, ids, n);
			civic_oidset_free(read);
		}
	civic_oidset_free(want.read);
}

/* A commit like c[k] (same tree, parent and message) signed by b. */
static void forged_like(git_oid *out, size_t k)
{
	fx_commit_spec s = { 0 };
	git_commit *orig = NULL;
	git_oid tree;

	assert_git_ok(git_commit_lookup(&orig, g.repo, &g.c[k]));
	tree = *git_commit_tree_id(orig);
	s.signer = g.b;
	s.tree = &tree;
	s.parents = k > 1 ? &g.c[k - 1] : NULL;
	s.nparents = k > 1 ? 1 : 0;
	s.message = git_commit_message(orig);
	fx_commit(out, g.repo, &s);
	git_commit_free(orig);
}

/*------------------------------------------------------------------------*/

static void test_whole_feed_verifies_however_cut(void **state)
{
	(void)state;
	assert_like_one_verifier(g.repo, NULL, &g.c[1], N);
}

static void test_first_failure_wins_however_cut(void **state)
{
	static const size_t bad_at[] = { 1, 2, 6, 21, N };
	git_oid ids[N];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_at / sizeof *bad_at; i++) {
		memcpy(ids, &g.c[1], sizeof ids);
		forged_like(&ids[bad_at[i] - 1], bad_at[i]);
		assert_like_one_verifier(g.repo, NULL, ids, N);
	}
	/* A second bad commit further on, in another chunk, changes nothing. */
	memcpy(ids, &g.c[1], sizeof ids);
	forged_like(&ids[9], 10);
	ids[29] = g.c[1];
	assert_like_one_verifier(g.repo, NULL, ids, N);
}

static void test_bad_commit_is_counted_exactly(void **state)
{
	civic_feed_run run = run_of(g.repo, 3, 4, NULL);
	git_oid ids[N];
	char why[512], hex[13];
	size_t good;

	(void)state;
	memcpy(ids, &g.c[1], sizeof ids);
	ids[16] = ids[17]; /* skips seq 17 */
	assert_civic_ok(civic_feed_run_verify(&good, why, sizeof why, &run, NULL, ids, N));
	assert_int_equal(good, 16);
	git_oid_tostr(hex, sizeof hex, &ids[16]);
	assert_true(strncmp(why, "commit ", 7) == 0 && strncmp(why + 7, hex, 12) == 0);
}

static void test_resume_from_a_trusted_head(void **state)
{
	git_oid unknown;

	(void)state;
	assert_like_one_verifier(g.repo, &g.c[10], &g.c[11], N - 10);
	/* Not the commit after the trusted one. */
	assert_like_one_verifier(g.repo, &g.c[10], &g.c[12], N - 11);
	/* A trusted head that is not there. */
	memset(&unknown, 0x5a, sizeof unknown);
	assert_like_one_verifier(g.repo, &unknown, &g.c[1], N);
}

static void test_nothing_to_verify(void **state)
{
	civic_feed_run run = run_of(g.repo, 2, 0, NULL);
	char why[512] = "x";
	size_t good = 7;
	git_oid unknown;

	(void)state;
	assert_civic_ok(civic_feed_run_verify(&good, why, sizeof why, &run, NULL, NULL, 0));
	assert_int_equal(good, 0);
	assert_string_equal(why, "");
	assert_civic_ok(civic_feed_run_verify(&good, why, sizeof why, &run, &g.c[N], NULL, 0));
	assert_string_equal(why, "");
	/* The resume point is still read. */
	memset(&unknown, 0x5a, sizeof unknown);
	assert_civic_ok(civic_feed_run_verify(&good, why, sizeof why, &run, &unknown, NULL, 0));
	assert_int_equal(good, 0);
	assert_true(why[0] != '\0');
}

typedef struct {
	uint64_t next_seq;
	size_t calls, fail_at;
} record_log;

static int on_record(const civic_feed_commit *c, const json_t *record, void *payload)
{
	record_log *log = payload;

	assert_int_equal(c->seq, log->next_seq);
	assert_string_equal(json_string_value(json_object_get(record, "kind")), "minutes");
	log->next_seq++;
	if (++log->calls == log->fail_at) {
		civic_error_set(CIVIC_ERROR_SYNC, "stopped by the test");
		return CIVIC_ERROR;
	}
	return 0;
}

static void test_records_are_handed_over_in_order(void **state)
{
	civic_feed_run run = run_of(g.repo, 4, 3, NULL);
	record_log log = { 1, 0, 0 };
	git_oid ids[N];
	char why[512];
	size_t good;

	(void)state;
	run.on_record = on_record;
	run.payload = &log;
	assert_civic_ok(civic_feed_run_verify(&good, why, sizeof why, &run, NULL, &g.c[1], N));
	assert_int_equal(good, N);
	assert_int_equal(log.calls, N);

	/* Only those before the first failure. */
	memcpy(ids, &g.c[1], sizeof ids);
	forged_like(&ids[19], 20);
	log = (record_log){ 1, 0, 0 };
	assert_civic_ok(civic_feed_run_verify(&good, why, sizeof why, &run, NULL, ids, N));
	assert_int_equal(good, 19);
	assert_int_equal(log.calls, 19);

	/* A callback's error stops the run and is the caller's. */
	log = (record_log){ 1, 0, 7 };
	assert_int_equal(civic_feed_run_verify(&good, why, sizeof why, &run, NULL, &g.c[1], N), CIVIC_ERROR);
	assert_int_equal(log.calls, 7);
	assert_string_equal(civic_error_last()->message, "stopped by the test");
}

typedef struct {
	size_t calls, last, stop_after;
} progress_log;

static int on_progress(size_t done, size_t total, void *payload)
{
	progress_log *log = payload;

	assert_int_equal(total, N);
	assert_true(done >= log->last && done <= N);
	log->last = done;
	if (++log->calls == log->stop_after) {
		civic_error_set(CIVIC_ERROR_SYNC, "cancelled");
		return CIVIC_ERROR;
	}
	return 0;
}

static void test_progress_from_the_calling_thread(void **state)
{
	civic_feed_run run = run_of(g.repo, 2, 5, NULL);
	progress_log log = { 0, 0, 0 };
	char why[512];
	size_t good;

	(void)state;
	run.progress = on_progress;
	run.payload = &log;
	assert_civic_ok(civic_feed_run_verify(&good, why, sizeof why, &run, NULL, &g.c[1], N));
	assert_int_equal(good, N);
	assert_true(log.calls >= 1);

	log = (progress_log){ 0, 0, 1 };
	assert_int_equal(civic_feed_run_verify(&good, why, sizeof why, &run, NULL, &g.c[1], N), CIVIC_ERROR);
	assert_int_equal(good, 0);
	assert_string_equal(civic_error_last()->message, "cancelled");
}

/* The threads open the caller's repository by its path, and see what it
 * borrows through objects/info/alternates, as a sync's quarantine does. */
static void test_threads_see_the_alternates(void **state)
{
	git_repository *q = fx_repo_new(g.dir, "quarantine.git");
	char path[4200], line[4200];

	(void)state;
	fx_path(path, sizeof path, git_repository_path(q), "objects/info/alternates");
	snprintf(line, sizeof line, "%sobjects\n", git_repository_path(g.repo));
	fx_write_text(path, line);
	git_repository_free(q);
	fx_path(path, sizeof path, g.dir, "quarantine.git");
	assert_git_ok(git_repository_open_bare(&q, path));
	assert_int_equal(fx_count_objects(q), fx_count_objects(g.repo));
	assert_like_one_verifier(q, NULL, &g.c[1], N);
	git_repository_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_feed_verifies_however_cut),
		cmocka_unit_test(test_first_failure_wins_however_cut),
		cmocka_unit_test(test_bad_commit_is_counted_exactly),
		cmocka_unit_test(test_resume_from_a_trusted_head),
		cmocka_unit_test(test_nothing_to_verify),
		cmocka_unit_test(test_records_are_handed_over_in_order),
		cmocka_unit_test(test_progress_from_the_calling_thread),
		cmocka_unit_test(test_threads_see_the_alternates),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
