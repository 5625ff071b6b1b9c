/*
 * test_chain.c - single-parent chains collected before they are verified
 * (src/chain.h), and the roster's first-parent line, and the parts of feed.h and roster.h a sync builds on: a
 * feed verified from a trusted head (civic_feed_verifier_resume), the seq a
 * commit claims (civic_feed_commit_seq), and a roster verified at a head
 * other than the ref (civic_roster_load_at).
 */
#include "helpers.h"
#include "fixtures.h"

#include "chain.h"
#include "feed.h"
#include "object_limits.h"
#include "roster.h"
#include "schema_store.h"

#define N 5 /* records in the feed every test starts with */

static struct {
	char *dir;
	civic_schemas *schemas;
	civic_key *a, *b;
} g;

static git_repository *repo; /* fresh per test */
static git_oid c[N + 1];     /* c[1..N]: the feed of a, c[0] unused */

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
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

static void append_by(git_oid *out, const civic_key *key, const char *title)
{
	json_t *r = fx_minutes(title);

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
	for (i = 1; i <= N; i++) {
		snprintf(name, sizeof name, "Запис %d", i);
		append_by(&c[i], g.a, name);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	git_repository_free(repo);
	repo = NULL;
	return 0;
}

/* A commit by a of parent's tree with the given parents and message. */
static void commit_on(git_oid *out, const git_oid *parents, size_t nparents, const char *msg)
{
	fx_commit_spec s = { 0 };
	git_oid tree;

	fx_commit_tree(&tree, repo, &parents[0]);
	s.signer = g.a;
	s.tree = &tree;
	s.parents = parents;
	s.nparents = nparents;
	s.message = msg;
	fx_commit(out, repo, &s);
}

static void assert_ids(const git_oid *got, size_t n, const git_oid *want)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!git_oid_equal(&got[i], &want[i]))
			fail_msg("id %zu differs", i);
}

/*------------------------------------------------------------------------
 * civic_chain_collect and civic_chain_collect_until
 */

static void test_chain_collect_whole(void **state)
{
	git_oid *ids = NULL;
	size_t n = 0;

	(void)state;
	assert_civic_ok(civic_chain_collect(&ids, &n, repo, &c[N], 100));
	assert_int_equal(n, N);
	assert_ids(ids, n, &c[1]);
	free(ids);
	assert_civic_ok(civic_chain_collect(&ids, &n, repo, &c[N], N));
	assert_int_equal(n, N);
	free(ids);
	ids = NULL;
	assert_civic(CIVIC_EINVALID, civic_chain_collect(&ids, &n, repo, &c[N], N - 1));
	assert_null(ids);
}

static void test_chain_collect_until_reached(void **state)
{
	git_oid *ids = NULL;
	size_t n = 99;
	int reached = -1;

	(void)state;
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &c[5], &c[2], 100));
	assert_int_equal(reached, 1);
	assert_int_equal(n, 3);
	assert_ids(ids, n, &c[3]);
	free(ids);

	/* Exactly as many steps as allowed. */
	ids = NULL;
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &c[5], &c[2], 3));
	assert_int_equal(reached, 1);
	assert_int_equal(n, 3);
	assert_ids(ids, n, &c[3]);
	free(ids);

	/* Stop at the root: everything after it. */
	ids = NULL;
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &c[5], &c[1], 4));
	assert_int_equal(reached, 1);
	assert_int_equal(n, 4);
	assert_ids(ids, n, &c[2]);
	free(ids);
}

static void test_chain_collect_until_not_reached_within_max(void **state)
{
	git_oid *ids = NULL;
	size_t n = 0;
	int reached = -1;

	(void)state;
	/* Two steps short: the newest max commits, not an error. */
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &c[5], &c[2], 2));
	assert_int_equal(reached, 0);
	assert_int_equal(n, 2);
	assert_ids(ids, n, &c[4]);
	free(ids);

	/* max 0: nothing, and stop not met unless it is the head. */
	ids = NULL;
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &c[5], &c[4], 0));
	assert_int_equal(reached, 0);
	assert_int_equal(n, 0);
	free(ids);
}

static void test_chain_collect_until_stop_not_on_chain(void **state)
{
	git_oid *ids = NULL, other;
	size_t n = 0;
	int reached = -1;

	(void)state;
	append_by(&other, g.b, "Чужд запис");
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &c[5], &other, 100));
	assert_int_equal(reached, 0);
	assert_int_equal(n, N);
	assert_ids(ids, n, &c[1]);
	free(ids);

	/* Stop is newer than head: walking back never meets it. */
	ids = NULL;
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &c[2], &c[4], 100));
	assert_int_equal(reached, 0);
	assert_int_equal(n, 2);
	assert_ids(ids, n, &c[1]);
	free(ids);
}

static void test_chain_collect_until_stop_is_head(void **state)
{
	git_oid *ids = NULL;
	size_t n = 99;
	int reached = -1;

	(void)state;
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &c[3], &c[3], 100));
	assert_int_equal(reached, 1);
	assert_int_equal(n, 0);
	free(ids);
	/* Even with max 0. */
	ids = NULL;
	n = 99;
	reached = -1;
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &c[3], &c[3], 0));
	assert_int_equal(reached, 1);
	assert_int_equal(n, 0);
	free(ids);
}

/* The roster's walk (civic_chain_collect_first_parents): a commit of two
 * parents is followed by its first, three are refused, and the walk stops
 * before a commit already known. */
static void test_chain_collect_first_parents(void **state)
{
	git_oid other, parents[3], merge, after, at, *ids = NULL;
	civic_oidset *known = NULL;
	size_t n = 0;
	int reached = -1;

	(void)state;
	append_by(&other, g.b, "Чужд запис");
	parents[0] = c[3];
	parents[1] = other;
	commit_on(&merge, parents, 2, "merge\n");
	commit_on(&after, &merge, 1, "after\n");
	assert_civic_ok(civic_chain_collect_first_parents(&ids, &n, &reached, &at, repo, &after, NULL, 100));
	assert_int_equal(reached, 0);
	assert_int_equal(n, 5);
	assert_ids(ids, 3, &c[1]);
	assert_true(git_oid_equal(&ids[3], &merge) && git_oid_equal(&ids[4], &after));
	free(ids);
	/* Known commits end the walk; the nearest one is named. */
	assert_civic_ok(civic_oidset_new(&known));
	assert_civic_ok(civic_oidset_add(known, &c[1]));
	assert_civic_ok(civic_oidset_add(known, &c[2]));
	ids = NULL;
	assert_civic_ok(civic_chain_collect_first_parents(&ids, &n, &reached, &at, repo, &after, known, 100));
	assert_int_equal(reached, 1);
	assert_true(git_oid_equal(&at, &c[2]));
	assert_int_equal(n, 3);
	assert_true(git_oid_equal(&ids[0], &c[3]));
	free(ids);
	/* The plain chain walks still refuse the merge. */
	ids = NULL;
	assert_civic(CIVIC_EINVALID, civic_chain_collect(&ids, &n, repo, &after, 100));
	assert_null(ids);
	/* Three parents, and a line longer than max. */
	parents[2] = c[1];
	commit_on(&merge, parents, 3, "octopus\n");
	assert_civic(CIVIC_EINVALID, civic_chain_collect_first_parents(&ids, &n, &reached, &at, repo, &merge, NULL, 100));
	assert_null(ids);
	assert_civic(CIVIC_EINVALID, civic_chain_collect_first_parents(&ids, &n, &reached, &at, repo, &after, NULL, 4));
	assert_null(ids);
	civic_oidset_free(known);
}

static void test_chain_collect_until_refuses_merge(void **state)
{
	git_oid other, parents[2], merge, after, *ids = NULL;
	size_t n = 0;
	int reached;

	(void)state;
	append_by(&other, g.b, "Чужд запис");
	parents[0] = c[5];
	parents[1] = other;
	commit_on(&merge, parents, 2, "merge\n");
	commit_on(&after, &merge, 1, "after the merge\n");

	/* The merge is refused even when stop is its first parent. */
	assert_civic(CIVIC_EINVALID, civic_chain_collect_until(&ids, &n, &reached, repo, &merge, &c[5], 100));
	assert_null(ids);
	assert_non_null(strstr(civic_error_last()->message, "2 parents"));
	assert_civic(CIVIC_EINVALID, civic_chain_collect_until(&ids, &n, &reached, repo, &after, &c[1], 100));
	assert_null(ids);
	assert_civic(CIVIC_EINVALID, civic_chain_collect(&ids, &n, repo, &after, 100));
	assert_null(ids);
	/* Stopping before the merge is never reached is fine. */
	assert_civic_ok(civic_chain_collect_until(&ids, &n, &reached, repo, &after, &merge, 100));
	assert_int_equal(reached, 1);
	assert_int_equal(n, 1);
	assert_true(git_oid_equal(&ids[0], &after));
	free(ids);
}

static void test_chain_collect_until_refuses_non_commit(void **state)
{
	git_oid blob, missing, tree, *ids = NULL;
	size_t n = 0;
	int reached;

	(void)state;
	fx_blob(&blob, repo, "not a commit", 12);
	fx_commit_tree(&tree, repo, &c[1]);
	assert_git_ok(git_oid_fromstr(&missing, "1111111111111111111111111111111111111111"));
	assert_true(civic_chain_collect_until(&ids, &n, &reached, repo, &blob, &c[1], 10) < 0);
	assert_null(ids);
	assert_true(civic_chain_collect_until(&ids, &n, &reached, repo, &tree, &c[1], 10) < 0);
	assert_null(ids);
	assert_true(civic_chain_collect_until(&ids, &n, &reached, repo, &missing, &c[1], 10) < 0);
	assert_null(ids);
}

/* The walk reads only a commit's tree and parent lines (src/chain.c): a
 * commit that does not begin with them, or names a parent that is not an
 * id, ends the walk with an error; parent lines elsewhere are not parents,
 * for libgit2 either. */
static void test_chain_collect_reads_parents_where_git_writes_them(void **state)
{
	char raw[512], hex[GIT_OID_HEXSZ + 1], tree_hex[GIT_OID_HEXSZ + 1];
	git_oid tree, odd, *ids = NULL;
	git_commit *parsed = NULL;
	git_odb *odb = NULL;
	size_t n = 0;

	(void)state;
	assert_git_ok(git_repository_odb(&odb, repo));
	fx_commit_tree(&tree, repo, &c[1]);
	git_oid_tostr(tree_hex, sizeof tree_hex, &tree);
	git_oid_tostr(hex, sizeof hex, &c[1]);

	snprintf(raw, sizeof raw, "author A <a@b> 1 +0000\ntree %s\n\nx\n", tree_hex);
	assert_git_ok(git_odb_write(&odd, odb, raw, strlen(raw), GIT_OBJECT_COMMIT));
	assert_true(civic_chain_collect(&ids, &n, repo, &odd, 10) < 0);
	assert_null(ids);

	snprintf(raw, sizeof raw, "tree %s\nparent %.39sz\nauthor A <a@b> 1 +0000\n\nx\n", tree_hex, hex);
	assert_git_ok(git_odb_write(&odd, odb, raw, strlen(raw), GIT_OBJECT_COMMIT));
	assert_true(civic_chain_collect(&ids, &n, repo, &odd, 10) < 0);
	assert_null(ids);

	snprintf(raw, sizeof raw, "tree %s\nauthor A <a@b> 1 +0000\nparent %s\ncommitter A <a@b> 1 +0000\n\nx\n",
		 tree_hex, hex);
	assert_git_ok(git_odb_write(&odd, odb, raw, strlen(raw), GIT_OBJECT_COMMIT));
	assert_civic_ok(civic_chain_collect(&ids, &n, repo, &odd, 10));
	assert_int_equal(n, 1);
	free(ids);
	if (git_commit_lookup(&parsed, repo, &odd) == 0)
		assert_int_equal(git_commit_parentcount(parsed), 0);
	git_commit_free(parsed);
	git_odb_free(odb);
}

static void test_chain_collect_until_refuses_oversized_commit(void **state)
{
	size_t len = CIVIC_COMMIT_MAX_SIZE + 1024;
	char *msg = malloc(len + 1);
	git_oid big, *ids = NULL;
	size_t n = 0;
	int reached;

	(void)state;
	assert_non_null(msg);
	memset(msg, 'x', len - 1);
	msg[len - 1] = '\n';
	msg[len] = '\0';
	commit_on(&big, &c[5], 1, msg);
	free(msg);
	assert_civic(CIVIC_EINVALID, civic_chain_collect_until(&ids, &n, &reached, repo, &big, &c[5], 10));
	assert_null(ids);
}

/*------------------------------------------------------------------------
 * civic_feed_commit_seq
 */

static void test_feed_commit_seq(void **state)
{
	git_oid bare, blob;
	uint64_t seq = 0;
	int i;

	(void)state;
	for (i = 1; i <= N; i++) {
		assert_civic_ok(civic_feed_commit_seq(&seq, repo, &c[i]));
		assert_int_equal(seq, (uint64_t)i);
	}
	/* A commit without the trailers, a blob: refused. */
	commit_on(&bare, &c[5], 1, "no trailers here\n");
	assert_true(civic_feed_commit_seq(&seq, repo, &bare) < 0);
	fx_blob(&blob, repo, "x", 1);
	assert_civic(CIVIC_EINVALID, civic_feed_commit_seq(&seq, repo, &blob));
}

static void test_feed_commit_seq_is_only_a_claim(void **state)
{
	char msg[256];
	git_oid lying;
	uint64_t seq = 0;

	(void)state;
	/* Not verified: a commit that says seq 77 is taken at its word. */
	snprintf(msg, sizeof msg, "minutes: x\n\nCivic-Network: %s\nCivic-Seq: 77\n", FX_NETWORK);
	commit_on(&lying, &c[5], 1, msg);
	assert_civic_ok(civic_feed_commit_seq(&seq, repo, &lying));
	assert_int_equal(seq, 77);
	/* Out of range or written oddly, it is refused. */
	snprintf(msg, sizeof msg, "minutes: x\n\nCivic-Network: %s\nCivic-Seq: 0\n", FX_NETWORK);
	commit_on(&lying, &c[5], 1, msg);
	assert_true(civic_feed_commit_seq(&seq, repo, &lying) < 0);
	snprintf(msg, sizeof msg, "minutes: x\n\nCivic-Network: %s\nCivic-Seq: 999999999\n", FX_NETWORK);
	commit_on(&lying, &c[5], 1, msg);
	assert_true(civic_feed_commit_seq(&seq, repo, &lying) < 0);
	snprintf(msg, sizeof msg, "minutes: x\n\nCivic-Network: %s\nCivic-Seq: 1\nCivic-Seq: 2\n", FX_NETWORK);
	commit_on(&lying, &c[5], 1, msg);
	assert_true(civic_feed_commit_seq(&seq, repo, &lying) < 0);
}

/*------------------------------------------------------------------------
 * civic_feed_verifier_resume
 */

static civic_feed_verifier *verifier(void)
{
	civic_feed_verifier *v = NULL;

	assert_civic_ok(civic_feed_verifier_new(&v, repo, civic_key_public(g.a), FX_NETWORK, g.schemas));
	assert_non_null(v);
	return v;
}

static void assert_same_commit(const civic_feed_commit *x, const civic_feed_commit *y)
{
	assert_true(git_oid_equal(&x->id, &y->id));
	assert_int_equal(x->seq, y->seq);
	assert_true(git_oid_equal(&x->record_blob, &y->record_blob));
	assert_string_equal(x->path, y->path);
	assert_int_equal(x->time, y->time);
}

static void test_feed_verifier_resume_matches_from_start(void **state)
{
	civic_feed_commit from_start[N + 1], fc;
	civic_feed_verifier *v = verifier();
	size_t k;
	int i;

	(void)state;
	for (i = 1; i <= N; i++) {
		assert_civic_ok(civic_feed_verifier_next(v, &from_start[i], NULL, &c[i]));
		assert_int_equal(from_start[i].seq, (uint64_t)i);
	}
	civic_feed_verifier_free(v);

	/* Resuming at commit k and verifying k+1..N gives the same commits. */
	for (k = 1; k < N; k++) {
		v = verifier();
		assert_civic_ok(civic_feed_verifier_resume(v, &c[k]));
		for (i = (int)k + 1; i <= N; i++) {
			json_t *record = NULL;
			memset(&fc, 0, sizeof fc);
			assert_civic_ok(civic_feed_verifier_next(v, &fc, &record, &c[i]));
			assert_same_commit(&fc, &from_start[i]);
			assert_non_null(record);
			assert_string_equal(json_string_value(json_object_get(record, "kind")), "minutes");
			json_decref(record);
		}
		civic_feed_verifier_free(v);
	}
}

static void test_feed_verifier_resume_then_next_verifies_next_only(void **state)
{
	civic_feed_verifier *v = verifier();
	civic_feed_commit fc;

	(void)state;
	assert_civic_ok(civic_feed_verifier_resume(v, &c[2]));
	/* Not the trusted commit again, nor one that skips, nor an earlier one. */
	assert_true(civic_feed_verifier_next(v, &fc, NULL, &c[2]) < 0);
	assert_true(civic_feed_verifier_next(v, &fc, NULL, &c[4]) < 0);
	assert_true(civic_feed_verifier_next(v, &fc, NULL, &c[1]) < 0);
	/* A failure leaves the verifier as it was: the right one still passes. */
	assert_civic_ok(civic_feed_verifier_next(v, &fc, NULL, &c[3]));
	assert_int_equal(fc.seq, 3);
	assert_true(git_oid_equal(&fc.id, &c[3]));
	civic_feed_verifier_free(v);
}

static void test_feed_verifier_resume_at_head_then_new_record(void **state)
{
	civic_feed_verifier *v;
	civic_feed_commit fc;
	git_oid next;

	(void)state;
	append_by(&next, g.a, "Нов запис");
	v = verifier();
	assert_civic_ok(civic_feed_verifier_resume(v, &c[N]));
	assert_civic_ok(civic_feed_verifier_next(v, &fc, NULL, &next));
	assert_int_equal(fc.seq, N + 1);
	civic_feed_verifier_free(v);
}

static void test_feed_verifier_resume_refuses_bad_next(void **state)
{
	civic_feed_verifier *v = verifier();
	civic_feed_commit fc;
	char msg[256], path[CIVIC_RECORD_PATH_SIZE];
	fx_commit_spec s = { 0 };
	git_oid base, tree, by_b, unsigned_one;
	char *rec;
	size_t len;

	(void)state;
	/* Seq 6 on c[5], right in every way but the signer. */
	rec = fx_minutes_text("Подправен", &len);
	assert_civic_ok(civic_record_path(path, N + 1));
	fx_commit_tree(&base, repo, &c[N]);
	fx_tree_put(&tree, repo, &base, path, rec, len, GIT_FILEMODE_BLOB);
	free(rec);
	snprintf(msg, sizeof msg, "minutes: x\n\nCivic-Network: %s\nCivic-Seq: %d\n", FX_NETWORK, N + 1);
	s.signer = g.b;
	s.author_email = NULL;
	{
		char email[128];
		fx_email(email, sizeof email, g.a);
		s.author_email = email;
		s.tree = &tree;
		s.parents = &c[N];
		s.nparents = 1;
		s.message = msg;
		fx_commit(&by_b, repo, &s);
		s.signer = NULL;
		fx_commit(&unsigned_one, repo, &s);
	}
	assert_civic_ok(civic_feed_verifier_resume(v, &c[N]));
	assert_civic(CIVIC_EBADSIG, civic_feed_verifier_next(v, &fc, NULL, &by_b));
	assert_civic(CIVIC_EBADSIG, civic_feed_verifier_next(v, &fc, NULL, &unsigned_one));
	civic_feed_verifier_free(v);
}

static void test_feed_verifier_resume_refuses_non_feed_commit(void **state)
{
	civic_feed_verifier *v = verifier();
	git_oid bare, missing, blob;

	(void)state;
	commit_on(&bare, &c[5], 1, "no trailers\n");
	assert_git_ok(git_oid_fromstr(&missing, "2222222222222222222222222222222222222222"));
	fx_blob(&blob, repo, "x", 1);
	assert_true(civic_feed_verifier_resume(v, &bare) < 0);
	assert_true(civic_feed_verifier_resume(v, &missing) < 0);
	assert_true(civic_feed_verifier_resume(v, &blob) < 0);
	/* Still usable from the start afterwards. */
	{
		civic_feed_commit fc;
		assert_civic_ok(civic_feed_verifier_next(v, &fc, NULL, &c[1]));
		assert_int_equal(fc.seq, 1);
	}
	civic_feed_verifier_free(v);
}

static void test_feed_verifier_resume_twice_moves_the_base(void **state)
{
	civic_feed_verifier *v = verifier();
	civic_feed_commit fc;

	(void)state;
	assert_civic_ok(civic_feed_verifier_resume(v, &c[1]));
	assert_civic_ok(civic_feed_verifier_next(v, &fc, NULL, &c[2]));
	assert_civic_ok(civic_feed_verifier_resume(v, &c[4]));
	assert_true(civic_feed_verifier_next(v, &fc, NULL, &c[3]) < 0);
	assert_civic_ok(civic_feed_verifier_next(v, &fc, NULL, &c[5]));
	assert_int_equal(fc.seq, 5);
	civic_feed_verifier_free(v);
}

/* Across the fan-out: record 100 is the first in records/00/00/01/. */
static void test_feed_verifier_resume_across_directories(void **state)
{
	civic_feed_commit fc;
	civic_feed_verifier *v;
	git_oid ids[103];
	char title[32];
	int i;

	(void)state;
	ids[0] = c[0];
	for (i = 1; i <= N; i++)
		ids[i] = c[i];
	for (i = N + 1; i <= 102; i++) {
		snprintf(title, sizeof title, "Запис %d", i);
		append_by(&ids[i], g.a, title);
	}
	for (i = 97; i <= 101; i++) {
		int j;
		v = verifier();
		assert_civic_ok(civic_feed_verifier_resume(v, &ids[i]));
		for (j = i + 1; j <= 102; j++) {
			assert_civic_ok(civic_feed_verifier_next(v, &fc, NULL, &ids[j]));
			assert_int_equal(fc.seq, (uint64_t)j);
		}
		civic_feed_verifier_free(v);
	}
	/* Resumed at 99, record 100 opens a new directory. */
	v = verifier();
	assert_civic_ok(civic_feed_verifier_resume(v, &ids[99]));
	assert_civic_ok(civic_feed_verifier_next(v, &fc, NULL, &ids[100]));
	civic_feed_verifier_free(v);
	assert_string_equal(fc.path, "records/00/00/01/00000100.json");
}

/*------------------------------------------------------------------------
 * civic_roster_load_at
 */

static civic_member member(const civic_key *key, const char *name)
{
	civic_member m;

	memset(&m, 0, sizeof m);
	m.key = *civic_key_public(key);
	snprintf(m.name, sizeof m.name, "%s", name);
	snprintf(m.municipality, sizeof m.municipality, "rila");
	snprintf(m.role, sizeof m.role, "ngo");
	return m;
}

static void test_roster_load_at_other_heads(void **state)
{
	civic_roster *r = NULL, *at = NULL;
	civic_member m;
	git_oid root, r2, r3, got;
	char net[GIT_OID_HEXSZ + 1];
	civic_key *third = NULL;

	(void)state;
	assert_civic_ok(civic_key_generate(&third));
	assert_civic_ok(civic_roster_create(&root, repo, g.a, "Мрежа", "Център", "kyustendil"));
	fx_oid_hex(net, &root);
	assert_civic_ok(civic_roster_load(&r, repo, net));
	m = member(g.b, "Читалище „Б“");
	assert_civic_ok(civic_roster_add(r, repo, g.a, &m));
	r2 = civic_roster_head(r);
	m = member(third, "Читалище „В“");
	assert_civic_ok(civic_roster_add(r, repo, g.a, &m));
	r3 = civic_roster_head(r);
	civic_roster_free(r);
	r = NULL;
	assert_int_equal(fx_ref(&got, repo, CIVIC_ROSTER_REF), 0);
	assert_true(git_oid_equal(&got, &r3));

	/* An older head: the roster as it stood there. */
	assert_civic_ok(civic_roster_load_at(&at, repo, &r2, net));
	assert_int_equal(civic_roster_count(at), 2);
	got = civic_roster_head(at);
	assert_true(git_oid_equal(&got, &r2));
	assert_non_null(civic_roster_find(at, civic_key_public(g.b)));
	assert_null(civic_roster_find(at, civic_key_public(third)));
	assert_string_equal(civic_roster_network_name(at), "Мрежа");
	civic_roster_free(at);

	assert_civic_ok(civic_roster_load_at(&at, repo, &root, net));
	assert_int_equal(civic_roster_count(at), 1);
	civic_roster_free(at);

	/* A head with no ref at all: a commit made beside the roster. */
	assert_civic_ok(civic_roster_load_at(&r, repo, &r2, net));
	m = member(third, "Читалище „Г“");
	{
		/* civic_roster_add moves the ref with compare-and-swap from
		 * the roster's head: at r2 while the ref is at r3, it refuses. */
		assert_civic(CIVIC_ECONFLICT, civic_roster_add(r, repo, g.a, &m));
	}
	civic_roster_free(r);
	r = NULL;

	/* The ref itself was never moved by load_at. */
	assert_int_equal(fx_ref(&got, repo, CIVIC_ROSTER_REF), 0);
	assert_true(git_oid_equal(&got, &r3));
	assert_civic_ok(civic_roster_load(&r, repo, net));
	assert_int_equal(civic_roster_count(r), 3);
	civic_roster_free(r);
	civic_key_free(third);
}

static void test_roster_load_at_refuses(void **state)
{
	civic_roster *r = (civic_roster *)&r;
	git_oid root, missing;
	char net[GIT_OID_HEXSZ + 1];

	(void)state;
	assert_civic_ok(civic_roster_create(&root, repo, g.a, "Мрежа", "Център", "kyustendil"));
	fx_oid_hex(net, &root);
	/* Another network id. */
	assert_civic(CIVIC_EINVALID, civic_roster_load_at(&r, repo, &root, FX_NETWORK));
	assert_null(r);
	/* A feed commit is not a roster: its chain does not start at the id. */
	r = (civic_roster *)&r;
	assert_true(civic_roster_load_at(&r, repo, &c[3], net) < 0);
	assert_null(r);
	/* A feed commit that is a root, with the network id set to it. */
	{
		char feed_root[GIT_OID_HEXSZ + 1];
		fx_oid_hex(feed_root, &c[1]);
		r = (civic_roster *)&r;
		assert_true(civic_roster_load_at(&r, repo, &c[1], feed_root) < 0);
		assert_null(r);
	}
	assert_git_ok(git_oid_fromstr(&missing, "3333333333333333333333333333333333333333"));
	r = (civic_roster *)&r;
	assert_true(civic_roster_load_at(&r, repo, &missing, net) < 0);
	assert_null(r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_chain_collect_whole),
		T(test_chain_collect_until_reached),
		T(test_chain_collect_until_not_reached_within_max),
		T(test_chain_collect_until_stop_not_on_chain),
		T(test_chain_collect_until_stop_is_head),
		T(test_chain_collect_until_refuses_merge),
		T(test_chain_collect_first_parents),
		T(test_chain_collect_until_refuses_non_commit),
		T(test_chain_collect_until_refuses_oversized_commit),
		T(test_chain_collect_reads_parents_where_git_writes_them),
		T(test_feed_commit_seq),
		T(test_feed_commit_seq_is_only_a_claim),
		T(test_feed_verifier_resume_matches_from_start),
		T(test_feed_verifier_resume_then_next_verifies_next_only),
		T(test_feed_verifier_resume_at_head_then_new_record),
		T(test_feed_verifier_resume_refuses_bad_next),
		T(test_feed_verifier_resume_refuses_non_feed_commit),
		T(test_feed_verifier_resume_twice_moves_the_base),
		T(test_feed_verifier_resume_across_directories),
		T(test_roster_load_at_other_heads),
		T(test_roster_load_at_refuses),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
