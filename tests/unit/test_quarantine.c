/*
 * test_quarantine.c - the staging repository a sync fetches into
 * (src/quarantine.h): it sees the node's objects through alternates, holds
 * copies of the node's refs/civic/, keeps what is written into it out of
 * the node until migrate, and leaves nothing behind.
 */
#include "helpers.h"
#include "fixtures.h"

#include <arpa/inet.h>

#include "chain.h"
#include "oidset.h"
#include "feed.h"
#include "fsutil.h"
#include "quarantine.h"
#include "schema_store.h"
#include "signed_commit.h"

/* Objects one record adds: commit, root tree, records/, AA/, BB/, CC/, blob. */
#define OBJECTS_PER_RECORD 7

static struct {
	char *dir;
	civic_schemas *schemas;
	civic_key *a, *b;
	char feed_a[128], feed_b[128];
} g;

static git_repository *main_repo;   /* the node's repository, fresh per test */
static char tmp[4200];              /* its tmp directory (not made yet) */
static civic_quarantine *q;         /* freed by teardown */
static git_oid a[4];                /* a[1..3]: a's feed in main */

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	assert_civic_ok(civic_schemas_new(&g.schemas));
	assert_civic_ok(civic_key_generate(&g.a));
	assert_civic_ok(civic_key_generate(&g.b));
	fx_feed_ref(g.feed_a, sizeof g.feed_a, g.a);
	fx_feed_ref(g.feed_b, sizeof g.feed_b, g.b);
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

static void append_in(git_oid *out, git_repository *repo, const civic_key *key, const char *title)
{
	json_t *r = fx_minutes(title);

	assert_civic_ok(civic_feed_append(out, repo, key, "Автор", FX_NETWORK, g.schemas, r));
	json_decref(r);
}

static int setup(void **state)
{
	static int n;
	char name[32];
	int i;

	(void)state;
	snprintf(name, sizeof name, "main%d.git", ++n);
	main_repo = fx_repo_new(g.dir, name);
	snprintf(name, sizeof name, "tmp%d", n);
	fx_path(tmp, sizeof tmp, g.dir, name);
	for (i = 1; i <= 3; i++) {
		snprintf(name, sizeof name, "Запис %d", i);
		append_in(&a[i], main_repo, g.a, name);
	}
	q = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	civic_quarantine_free(q);
	q = NULL;
	git_repository_free(main_repo);
	main_repo = NULL;
	return 0;
}

static git_repository *new_quarantine(void)
{
	assert_civic_ok(civic_quarantine_new(&q, main_repo, tmp));
	assert_non_null(q);
	assert_non_null(civic_quarantine_repository(q));
	return civic_quarantine_repository(q);
}

static int has_object(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	int found;

	assert_git_ok(git_repository_odb(&odb, repo));
	found = git_odb_exists(odb, id);
	git_odb_free(odb);
	return found;
}

/* Every object of a feed commit: the commit, the trees on its record path, the record. */
static void record_objects(git_oid out[OBJECTS_PER_RECORD], git_repository *repo, const git_oid *commit_id)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	char path[CIVIC_RECORD_PATH_SIZE];
	static const size_t cut[] = { 7, 10, 13, 16 }; /* "records", "records/AA", ... */
	uint64_t seq;
	size_t i;

	assert_civic_ok(civic_feed_commit_seq(&seq, repo, commit_id));
	assert_civic_ok(civic_record_path(path, seq));
	assert_git_ok(git_commit_lookup(&c, repo, commit_id));
	assert_git_ok(git_commit_tree(&tree, c));
	out[0] = *commit_id;
	out[1] = *git_tree_id(tree);
	for (i = 0; i < 4; i++) {
		char prefix[CIVIC_RECORD_PATH_SIZE];
		memcpy(prefix, path, cut[i]);
		prefix[cut[i]] = '\0';
		assert_git_ok(git_tree_entry_bypath(&e, tree, prefix));
		out[2 + i] = *git_tree_entry_id(e);
		git_tree_entry_free(e);
	}
	assert_git_ok(git_tree_entry_bypath(&e, tree, path));
	out[6] = *git_tree_entry_id(e);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
}

/* Objects in the packs of a repository, read from each .idx file's fan-out
 * table (version 2: magic, version, 256 big-endian counts). */
static size_t pack_objects(git_repository *repo, size_t *npacks)
{
	char dir[4300], path[4600];
	struct dirent *e;
	size_t total = 0;
	DIR *d;

	snprintf(dir, sizeof dir, "%sobjects/pack", git_repository_path(repo));
	*npacks = 0;
	if (!(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name), got;
		uint32_t header[2 + 256];
		FILE *f;
		if (len < 4 || strcmp(e->d_name + len - 4, ".idx"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		got = fread(header, sizeof header[0], 2 + 256, f);
		fclose(f);
		assert_int_equal(got, 2 + 256);
		assert_int_equal(ntohl(header[0]), 0xff744f63);
		assert_int_equal(ntohl(header[1]), 2);
		total += ntohl(header[2 + 255]);
		(*npacks)++;
	}
	closedir(d);
	return total;
}

static char *read_alternates(git_repository *repo)
{
	char path[4400];

	snprintf(path, sizeof path, "%sobjects/info/alternates", git_repository_path(repo));
	return fx_read_file(path, NULL);
}

/*------------------------------------------------------------------------
 * A new quarantine
 */

static void test_quarantine_new_sees_main_objects(void **state)
{
	git_repository *qr;
	git_oid objs[OBJECTS_PER_RECORD];
	git_commit *c = NULL;
	char *alt, *real;
	size_t i;
	int k;

	(void)state;
	qr = new_quarantine();
	assert_true(git_repository_is_bare(qr));
	for (k = 1; k <= 3; k++) {
		record_objects(objs, main_repo, &a[k]);
		for (i = 0; i < OBJECTS_PER_RECORD; i++)
			assert_true(has_object(qr, &objs[i]));
	}
	assert_git_ok(git_commit_lookup(&c, qr, &a[3]));
	git_commit_free(c);
	/* A feed chain reads the same from it. */
	{
		git_oid *ids = NULL;
		size_t n = 0;
		assert_civic_ok(civic_chain_collect(&ids, &n, qr, &a[3], 10));
		assert_int_equal(n, 3);
		free(ids);
	}
	/* Through objects/info/alternates, by absolute path: nothing copied. */
	alt = read_alternates(qr);
	real = realpath(git_repository_path(main_repo), NULL);
	assert_non_null(real);
	assert_non_null(strstr(alt, real));
	assert_non_null(strstr(alt, "/objects\n"));
	assert_int_equal(alt[0], '/');
	free(alt);
	free(real);
	{
		size_t npacks;
		assert_int_equal(pack_objects(qr, &npacks), 0);
		assert_int_equal(npacks, 0);
	}
}

static void test_quarantine_new_copies_civic_refs(void **state)
{
	git_repository *qr;
	git_oid got, b1, roster_like;
	git_reference *ref = NULL;

	(void)state;
	append_in(&b1, main_repo, g.b, "Друг запис");
	fx_set_ref(main_repo, "refs/civic/roster", &a[1]); /* any commit: only copied */
	roster_like = a[1];
	fx_set_ref(main_repo, "refs/heads/main", &a[2]);
	fx_set_ref(main_repo, "refs/tags/v1", &a[2]);
	fx_set_ref(main_repo, "refs/civicx/other", &a[2]);
	fx_set_ref(main_repo, "refs/civic/forks/ab/cd", &a[2]);
	fx_set_ref(main_repo, "refs/civic/state/ef", &a[1]);
	fx_set_ref(main_repo, "refs/civic/steps/ab/00000128", &a[1]);
	assert_git_ok(git_reference_symbolic_create(&ref, main_repo, "refs/civic/feeds/sym", g.feed_a, 1, NULL));
	git_reference_free(ref);

	qr = new_quarantine();
	assert_int_equal(fx_ref(&got, qr, g.feed_a), 0);
	assert_true(git_oid_equal(&got, &a[3]));
	assert_int_equal(fx_ref(&got, qr, g.feed_b), 0);
	assert_true(git_oid_equal(&got, &b1));
	assert_int_equal(fx_ref(&got, qr, "refs/civic/roster"), 0);
	assert_true(git_oid_equal(&got, &roster_like));
	assert_int_equal(fx_ref(&got, qr, "refs/civic/forks/ab/cd"), 0);
	assert_true(git_oid_equal(&got, &a[2]));
	assert_int_equal(fx_ref(&got, qr, "refs/civic/state/ef"), 0);
	assert_true(git_oid_equal(&got, &a[1]));
	/* Not the steps (older than their feed's head: no "have" worth a slot). */
	assert_int_equal(fx_ref(&got, qr, "refs/civic/steps/ab/00000128"), GIT_ENOTFOUND);
	/* Only refs/civic/, only direct refs. */
	assert_int_equal(fx_ref(&got, qr, "refs/heads/main"), GIT_ENOTFOUND);
	assert_int_equal(fx_ref(&got, qr, "refs/tags/v1"), GIT_ENOTFOUND);
	assert_int_equal(fx_ref(&got, qr, "refs/civicx/other"), GIT_ENOTFOUND);
	assert_int_equal(git_reference_lookup(&ref, qr, "refs/civic/feeds/sym"), GIT_ENOTFOUND);
	/* In one packed-refs file: no loose ref, each a file and two fsyncs. */
	{
		char path[4200];
		snprintf(path, sizeof path, "%spacked-refs", git_repository_path(qr));
		assert_true(civic_fs_exists(path));
		snprintf(path, sizeof path, "%srefs/civic", git_repository_path(qr));
		assert_false(civic_fs_exists(path));
	}
	/* A ref set afterwards (the next part's "have") is read over it. */
	assert_civic_ok(civic_quarantine_set_ref(q, g.feed_a, &a[1]));
	assert_int_equal(fx_ref(&got, civic_quarantine_repository(q), g.feed_a), 0);
	assert_true(git_oid_equal(&got, &a[1]));
}

static void test_quarantine_new_makes_tmp_dir_private(void **state)
{
	char *p;

	(void)state;
	new_quarantine();
	assert_true(S_ISDIR(fx_mode(tmp)));
	assert_int_equal(fx_mode(tmp) & 0777, 0700);
	assert_int_equal(fx_count_entries(tmp, CIVIC_QUARANTINE_PREFIX), 1);
	assert_int_equal(fx_count_entries(tmp, ""), 1);
	p = realpath(git_repository_path(civic_quarantine_repository(q)), NULL);
	assert_non_null(p);
	{
		char *t = realpath(tmp, NULL);
		assert_non_null(t);
		assert_int_equal(strncmp(p, t, strlen(t)), 0);
		assert_int_equal(strncmp(p + strlen(t), "/" CIVIC_QUARANTINE_PREFIX,
					 strlen("/" CIVIC_QUARANTINE_PREFIX)), 0);
		free(t);
	}
	free(p);
}

static void test_quarantine_two_at_once_are_apart(void **state)
{
	civic_quarantine *other = NULL;
	git_oid x;

	(void)state;
	new_quarantine();
	assert_civic_ok(civic_quarantine_new(&other, main_repo, tmp));
	assert_string_not_equal(git_repository_path(civic_quarantine_repository(q)),
				git_repository_path(civic_quarantine_repository(other)));
	assert_int_equal(fx_count_entries(tmp, CIVIC_QUARANTINE_PREFIX), 2);
	append_in(&x, civic_quarantine_repository(other), g.a, "Само в другата");
	assert_false(has_object(civic_quarantine_repository(q), &x));
	civic_quarantine_free(other);
	assert_int_equal(fx_count_entries(tmp, CIVIC_QUARANTINE_PREFIX), 1);
}

static void test_quarantine_new_refuses_bad_tmp_dir(void **state)
{
	char file[4300];
	civic_quarantine *bad = (civic_quarantine *)&bad;

	(void)state;
	/* tmp is a regular file: nothing can be made in it. */
	fx_path(file, sizeof file, g.dir, "not-a-dir");
	fx_write_text(file, "x");
	assert_true(civic_quarantine_new(&bad, main_repo, file) < 0);
	assert_null(bad);
	assert_true(civic_error_last()->message[0] != '\0');
	unlink(file);
}

/*------------------------------------------------------------------------
 * Objects stay in the quarantine until migrate
 */

static void test_quarantine_objects_stay_until_migrate(void **state)
{
	git_repository *qr;
	git_oid q4, q5, got, objs[OBJECTS_PER_RECORD];
	size_t before = fx_count_objects(main_repo), i, npacks;

	(void)state;
	qr = new_quarantine();
	append_in(&q4, qr, g.a, "Запис 4");
	append_in(&q5, qr, g.a, "Запис 5");
	/* The quarantine's ref moved; the node's did not, nor its objects. */
	assert_int_equal(fx_ref(&got, qr, g.feed_a), 0);
	assert_true(git_oid_equal(&got, &q5));
	assert_int_equal(fx_ref(&got, main_repo, g.feed_a), 0);
	assert_true(git_oid_equal(&got, &a[3]));
	assert_false(has_object(main_repo, &q4));
	assert_false(has_object(main_repo, &q5));
	record_objects(objs, qr, &q5);
	for (i = 0; i < OBJECTS_PER_RECORD; i++)
		assert_false(has_object(main_repo, &objs[i]));
	assert_int_equal(fx_count_objects(main_repo), before);

	/* Migrate: exactly the two new records' objects, as one pack. */
	assert_civic_ok(civic_quarantine_migrate(q, main_repo, &q5, 1, &a[3], 1));
	assert_int_equal(pack_objects(main_repo, &npacks), 2 * OBJECTS_PER_RECORD);
	assert_int_equal(npacks, 1);
	assert_int_equal(fx_count_objects(main_repo), before + 2 * OBJECTS_PER_RECORD);
	for (i = 0; i < OBJECTS_PER_RECORD; i++)
		assert_true(has_object(main_repo, &objs[i]));
	record_objects(objs, qr, &q4);
	for (i = 0; i < OBJECTS_PER_RECORD; i++)
		assert_true(has_object(main_repo, &objs[i]));
	/* Objects only: no ref moved in main. */
	assert_int_equal(fx_ref(&got, main_repo, g.feed_a), 0);
	assert_true(git_oid_equal(&got, &a[3]));
}

static void test_quarantine_migrated_objects_are_usable(void **state)
{
	git_repository *qr, *fresh;
	git_oid q4, *ids = NULL;
	size_t n = 0;

	(void)state;
	qr = new_quarantine();
	append_in(&q4, qr, g.a, "Запис 4");
	assert_civic_ok(civic_quarantine_migrate(q, main_repo, &q4, 1, &a[3], 1));
	/* The node reads the new commit at once, and moves its ref to it. */
	assert_civic_ok(civic_chain_collect(&ids, &n, main_repo, &q4, 10));
	assert_int_equal(n, 4);
	free(ids);
	assert_civic_ok(civic_ref_move(main_repo, g.feed_a, &q4, &a[3], "test"));
	/* Without the quarantine: removed, and a fresh handle on the node. */
	civic_quarantine_free(q);
	q = NULL;
	fresh = fx_repo_open(main_repo);
	{
		civic_feed_verifier *v = NULL;
		civic_feed_commit fc;
		git_oid *chain = NULL;
		size_t i;
		assert_civic_ok(civic_chain_collect(&chain, &n, fresh, &q4, 10));
		assert_civic_ok(civic_feed_verifier_new(&v, fresh, civic_key_public(g.a), FX_NETWORK, g.schemas));
		for (i = 0; i < n; i++)
			assert_civic_ok(civic_feed_verifier_next(v, &fc, NULL, &chain[i]));
		assert_int_equal(fc.seq, 4);
		civic_feed_verifier_free(v);
		free(chain);
	}
	git_repository_free(fresh);
}

static void test_quarantine_migrate_new_feed_without_base(void **state)
{
	git_repository *qr;
	git_oid b1, b2;
	size_t npacks;

	(void)state;
	qr = new_quarantine();
	append_in(&b1, qr, g.b, "Б 1");
	append_in(&b2, qr, g.b, "Б 2");
	assert_civic_ok(civic_quarantine_migrate(q, main_repo, &b2, 1, NULL, 0));
	assert_int_equal(pack_objects(main_repo, &npacks), 2 * OBJECTS_PER_RECORD);
	assert_true(has_object(main_repo, &b1));
	assert_true(has_object(main_repo, &b2));
}

static void test_quarantine_migrate_several_tips(void **state)
{
	git_repository *qr;
	git_oid q4, b1;
	size_t npacks;

	(void)state;
	qr = new_quarantine();
	append_in(&q4, qr, g.a, "Запис 4");
	append_in(&b1, qr, g.b, "Б 1");
	{
		git_oid tips[2] = { q4, b1 };
		assert_civic_ok(civic_quarantine_migrate(q, main_repo, tips, 2, &a[3], 1));
	}
	assert_int_equal(pack_objects(main_repo, &npacks), 2 * OBJECTS_PER_RECORD);
	assert_int_equal(npacks, 1);
	assert_true(has_object(main_repo, &q4));
	assert_true(has_object(main_repo, &b1));
}

static void test_quarantine_migrate_base_missing_is_ignored(void **state)
{
	git_repository *qr;
	git_oid q4, q5;

	(void)state;
	qr = new_quarantine();
	append_in(&q4, qr, g.a, "Запис 4");
	append_in(&q5, qr, g.a, "Запис 5");
	/* q4 is no commit of main: not a base, so it is moved too. */
	assert_civic_ok(civic_quarantine_migrate(q, main_repo, &q5, 1, &q4, 1));
	assert_true(has_object(main_repo, &q4));
	assert_true(has_object(main_repo, &q5));
}

static void test_quarantine_migrate_nothing(void **state)
{
	size_t before = fx_count_objects(main_repo), npacks;

	(void)state;
	new_quarantine();
	/* No tips; or tips main holds already: no pack is written. */
	assert_civic_ok(civic_quarantine_migrate(q, main_repo, NULL, 0, NULL, 0));
	assert_civic_ok(civic_quarantine_migrate(q, main_repo, &a[3], 1, &a[3], 1));
	assert_int_equal(pack_objects(main_repo, &npacks), 0);
	assert_int_equal(npacks, 0);
	assert_int_equal(fx_count_objects(main_repo), before);
}

static void test_quarantine_migrate_missing_tip_fails_cleanly(void **state)
{
	git_oid missing;
	size_t before = fx_count_objects(main_repo), npacks;

	(void)state;
	new_quarantine();
	assert_git_ok(git_oid_fromstr(&missing, "4444444444444444444444444444444444444444"));
	assert_true(civic_quarantine_migrate(q, main_repo, &missing, 1, &a[3], 1) < 0);
	assert_true(civic_error_last()->message[0] != '\0');
	assert_int_equal(fx_count_objects(main_repo), before);
	assert_int_equal(pack_objects(main_repo, &npacks), 0);
}

/*------------------------------------------------------------------------
 * Removal
 */

static void test_quarantine_free_removes_directory(void **state)
{
	git_repository *qr;
	char path[4200];
	git_oid q4;
	struct stat st;

	(void)state;
	qr = new_quarantine();
	append_in(&q4, qr, g.a, "Запис 4");
	snprintf(path, sizeof path, "%s", git_repository_path(qr));
	assert_int_equal(stat(path, &st), 0);
	civic_quarantine_free(q);
	q = NULL;
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fx_count_entries(tmp, ""), 0);
	/* Nothing of it reached the node. */
	assert_false(has_object(main_repo, &q4));
	civic_quarantine_free(NULL);
}

static void make_dir(const char *dir, const char *name)
{
	char path[4400];

	fx_path(path, sizeof path, dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void make_file(const char *dir, const char *name)
{
	char path[4400];

	fx_path(path, sizeof path, dir, name);
	fx_write_text(path, "left over");
}

static void test_quarantine_clean_removes_leftovers(void **state)
{
	char path[4400], outside[4300];

	(void)state;
	assert_int_equal(mkdir(tmp, 0700), 0);
	/* What a killed sync leaves: a whole repository, nested. */
	make_dir(tmp, CIVIC_QUARANTINE_PREFIX "abc123");
	fx_path(path, sizeof path, tmp, CIVIC_QUARANTINE_PREFIX "abc123");
	make_dir(path, "objects");
	make_dir(path, "refs");
	make_file(path, "HEAD");
	fx_path(path, sizeof path, tmp, CIVIC_QUARANTINE_PREFIX "abc123/objects");
	make_dir(path, "pack");
	make_file(path, "pack/tmp_pack_x");
	make_dir(tmp, CIVIC_QUARANTINE_PREFIX "empty");
	make_file(tmp, CIVIC_QUARANTINE_PREFIX "file");
	/* Not quarantines: kept. */
	make_dir(tmp, "other");
	make_file(tmp, "keep-" CIVIC_QUARANTINE_PREFIX "1");
	make_file(tmp, "quarantine");
	make_file(tmp, "Quarantine-upper");
	/* A link named like a quarantine goes; what it points at stays. */
	fx_path(outside, sizeof outside, g.dir, "outside-of-tmp");
	mkdir(outside, 0700);
	make_file(outside, "precious");
	fx_path(path, sizeof path, tmp, CIVIC_QUARANTINE_PREFIX "link");
	assert_int_equal(symlink(outside, path), 0);

	civic_quarantine_clean(tmp);
	assert_int_equal(fx_count_entries(tmp, CIVIC_QUARANTINE_PREFIX), 0);
	assert_int_equal(fx_count_entries(tmp, ""), 4);
	fx_path(path, sizeof path, tmp, "other");
	assert_true(S_ISDIR(fx_mode(path)));
	fx_path(path, sizeof path, outside, "precious");
	assert_true(S_ISREG(fx_mode(path)));

	/* A missing directory, or one with nothing to clean: no harm. */
	civic_quarantine_clean(tmp);
	assert_int_equal(fx_count_entries(tmp, ""), 4);
	fx_path(path, sizeof path, g.dir, "no-such-dir");
	civic_quarantine_clean(path);
}

static void test_quarantine_clean_removes_any_quarantine(void **state)
{
	(void)state;
	/* clean is for leftovers: it is run before any quarantine is made
	 * (node open), and removes any quarantine-* it finds. */
	new_quarantine();
	make_file(tmp, "unrelated");
	civic_quarantine_clean(tmp);
	assert_int_equal(fx_count_entries(tmp, CIVIC_QUARANTINE_PREFIX), 0);
	assert_int_equal(fx_count_entries(tmp, ""), 1);
	/* Freeing the removed quarantine afterwards is still safe. */
	civic_quarantine_free(q);
	q = NULL;
}

/*------------------------------------------------------------------------
 * Adopting fetched packs as they came
 */

/* Removes the loose objects of repo. */
static void remove_loose(git_repository *repo)
{
	char dir[4300], sub[4300 + 260];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof dir, "%sobjects", git_repository_path(repo));
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strlen(e->d_name) == 2 && strcmp(e->d_name, "..")) {
			snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
			test_tmpdir_remove(strdup(sub));
		}
	closedir(d);
}

/* Packs objs (and `extra`, an object of main, when not NULL) into one pack
 * of the quarantine, and removes its loose objects: what a fetch leaves. */
static void pack_quarantine(git_repository *qr, const git_oid *objs, size_t n, const git_oid *extra)
{
	git_packbuilder *pb = NULL;
	char dir[4300];
	size_t i;

	assert_git_ok(git_packbuilder_new(&pb, qr));
	for (i = 0; i < n; i++)
		assert_git_ok(git_packbuilder_insert(pb, &objs[i], NULL));
	if (extra)
		assert_git_ok(git_packbuilder_insert(pb, extra, NULL));
	snprintf(dir, sizeof dir, "%sobjects/pack", git_repository_path(qr));
	assert_git_ok(git_packbuilder_write(pb, dir, 0, NULL, NULL));
	git_packbuilder_free(pb);
	remove_loose(qr);
}

static civic_oidset *oidset_of(const git_oid *objs, size_t n)
{
	civic_oidset *set = NULL;
	size_t i;

	assert_civic_ok(civic_oidset_new(&set));
	for (i = 0; i < n; i++)
		assert_civic_ok(civic_oidset_add(set, &objs[i]));
	return set;
}

/* A fetch of new commits gets a thin pack, completed with the bases its
 * deltas name, which the archive holds already: adopted as it is. */
static void test_quarantine_adopt_takes_a_pack_with_bases_main_holds(void **state)
{
	git_repository *qr, *fresh;
	git_oid q4, objs[OBJECTS_PER_RECORD];
	civic_oidset *verified;
	size_t i;

	(void)state;
	qr = new_quarantine();
	append_in(&q4, qr, g.a, "Запис 4");
	record_objects(objs, qr, &q4);
	pack_quarantine(qr, objs, OBJECTS_PER_RECORD, &a[3]);
	verified = oidset_of(objs, OBJECTS_PER_RECORD);
	assert_int_equal(civic_quarantine_adopt(q, main_repo, verified), 1);
	fresh = fx_repo_open(main_repo);
	for (i = 0; i < OBJECTS_PER_RECORD; i++)
		assert_true(has_object(fresh, &objs[i]));
	assert_true(has_object(fresh, &a[3]));
	git_repository_free(fresh);
	civic_oidset_free(verified);
}

/* Anything neither verified nor held (a refused commit) keeps the pack out. */
static void test_quarantine_adopt_refuses_a_pack_with_an_unverified_object(void **state)
{
	git_repository *qr;
	git_oid q4, objs[OBJECTS_PER_RECORD];
	civic_oidset *verified;
	size_t npacks;

	(void)state;
	qr = new_quarantine();
	append_in(&q4, qr, g.a, "Запис 4");
	record_objects(objs, qr, &q4);
	pack_quarantine(qr, objs, OBJECTS_PER_RECORD, &a[3]);
	verified = oidset_of(objs + 1, OBJECTS_PER_RECORD - 1); /* not the commit */
	assert_int_equal(civic_quarantine_adopt(q, main_repo, verified), 0);
	assert_false(has_object(main_repo, &q4));
	assert_int_equal(pack_objects(main_repo, &npacks), 0);
	civic_oidset_free(verified);
}

/* A pack mostly of what the archive holds already (a peer sending the
 * node's own records back, beside one new): kept out, so that only the
 * verified objects are packed. A thin pack's few bases are taken (above). */
static void test_quarantine_adopt_refuses_a_pack_mostly_of_held_objects(void **state)
{
	git_repository *qr;
	civic_oidset *verified;
	git_oid objs[3];

	(void)state;
	qr = new_quarantine();
	fx_blob(&objs[0], qr, "нов запис", strlen("нов запис"));
	objs[1] = a[1], objs[2] = a[2];
	pack_quarantine(qr, objs, 3, &a[3]); /* one new, three held */
	verified = oidset_of(objs, 1);
	assert_int_equal(civic_quarantine_adopt(q, main_repo, verified), 0);
	assert_false(has_object(main_repo, &objs[0]));
	civic_oidset_free(verified);
}

/* A pack that repeats one verified object, as stock git index-pack takes
 * it (index_pack.h): kept out, or a peer could fill the archive with the
 * repeats of one record. The pack is written byte by byte (python3):
 * neither git nor libgit2 writes one. */
static void test_quarantine_adopt_refuses_a_pack_that_repeats_an_object(void **state)
{
	static const char text[] = "протокол от срещата, три пъти";
	char cmd[16384], pack[4400];
	git_repository *qr;
	civic_oidset *verified;
	git_oid blob;
	size_t npacks;

	(void)state;
	qr = new_quarantine();
	fx_blob(&blob, qr, text, strlen(text));
	remove_loose(qr);
	snprintf(pack, sizeof pack, "%s/repeats.pack", g.dir);
	snprintf(cmd, sizeof cmd,
		 "python3 -c 'import hashlib, struct, sys, zlib\n"
		 "d = sys.argv[1].encode()\n"
		 "assert len(d) < 128\n"
		 "o = bytes([0xb0 | (len(d) & 15), len(d) >> 4]) + zlib.compress(d)\n"
		 "p = b\"PACK\" + struct.pack(\">II\", 2, 3) + o * 3\n"
		 "open(sys.argv[2], \"wb\").write(p + hashlib.sha1(p).digest())' '%s' '%s' && "
		 "git --git-dir='%s' index-pack --stdin < '%s' > /dev/null",
		 text, pack, git_repository_path(qr), pack);
	assert_int_equal(system(cmd), 0);
	verified = oidset_of(&blob, 1);
	assert_int_equal(civic_quarantine_adopt(q, main_repo, verified), 0);
	assert_false(has_object(main_repo, &blob));
	assert_int_equal(pack_objects(main_repo, &npacks), 0);
	civic_oidset_free(verified);
}

/*------------------------------------------------------------------------
 * Reading what was fetched
 */

/* Every object the refs of repo reach, in one pack; nothing loose. */
static void pack_everything(git_repository *repo)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	char dir[4300];

	assert_git_ok(git_packbuilder_new(&pb, repo));
	assert_git_ok(git_revwalk_new(&walk, repo));
	assert_git_ok(git_revwalk_push_glob(walk, "refs/*"));
	assert_git_ok(git_packbuilder_insert_walk(pb, walk));
	snprintf(dir, sizeof dir, "%sobjects/pack", git_repository_path(repo));
	assert_git_ok(git_packbuilder_write(pb, dir, 0, NULL, NULL));
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	remove_loose(repo);
}

/* Reads the header of id in repo and says whether a backend missed it
 * first: libgit2 leaves the "not found" of a pack searched in vain. */
static int missed_first(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t size;

	assert_git_ok(git_repository_odb(&odb, repo));
	git_error_clear();
	assert_git_ok(git_odb_read_header(&size, &type, odb, id));
	git_odb_free(odb);
	return git_error_last() != NULL;
}

/* The node's packs (one per part of a first sync) are not searched for
 * what the quarantine's own pack holds, on any handle on it; what the node
 * holds is still found through them. */
static void test_quarantine_own_pack_is_searched_first(void **state)
{
	git_repository *qr, *second;
	git_oid q4, objs[OBJECTS_PER_RECORD];
	int k;

	(void)state;
	pack_everything(main_repo);
	qr = new_quarantine();
	append_in(&q4, qr, g.a, "Запис 4");
	record_objects(objs, qr, &q4);
	pack_quarantine(qr, objs, OBJECTS_PER_RECORD, NULL);
	assert_civic_ok(civic_quarantine_open(&second, git_repository_path(qr)));
	assert_true(has_object(second, &q4)); /* its packs seen since it opened */
	for (k = 0; k < OBJECTS_PER_RECORD; k++) {
		assert_false(missed_first(qr, &objs[k]));
		assert_false(missed_first(second, &objs[k]));
	}
	assert_true(has_object(second, &a[3]));
	git_repository_free(second);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_quarantine_new_sees_main_objects),
		T(test_quarantine_new_copies_civic_refs),
		T(test_quarantine_new_makes_tmp_dir_private),
		T(test_quarantine_two_at_once_are_apart),
		T(test_quarantine_new_refuses_bad_tmp_dir),
		T(test_quarantine_objects_stay_until_migrate),
		T(test_quarantine_migrated_objects_are_usable),
		T(test_quarantine_migrate_new_feed_without_base),
		T(test_quarantine_migrate_several_tips),
		T(test_quarantine_migrate_base_missing_is_ignored),
		T(test_quarantine_migrate_nothing),
		T(test_quarantine_migrate_missing_tip_fails_cleanly),
		T(test_quarantine_free_removes_directory),
		T(test_quarantine_clean_removes_leftovers),
		T(test_quarantine_clean_removes_any_quarantine),
		T(test_quarantine_adopt_takes_a_pack_with_bases_main_holds),
		T(test_quarantine_adopt_refuses_a_pack_with_an_unverified_object),
		T(test_quarantine_adopt_refuses_a_pack_that_repeats_an_object),
		T(test_quarantine_adopt_refuses_a_pack_mostly_of_held_objects),
		T(test_quarantine_own_pack_is_searched_first),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
