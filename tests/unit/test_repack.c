/*
 * test_repack.c - the small packs and loose objects of an archive joined
 * (src/repack.h) by stock git: everything stays readable, stock git fsck
 * agrees, large packs stay as they were, and a git that fails removes
 * nothing.
 */
#include "helpers.h"
#include "fixtures.h"

#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "repack.h"

static char *dir;
static git_repository *repo;
static char pack_dir[4400];
static int n_test;

static int setup(void **state)
{
	char name[32];

	(void)state;
	fx_global_init();
	dir = test_tmpdir_new();
	snprintf(name, sizeof name, "r%d.git", n_test++);
	repo = fx_repo_new(dir, name);
	snprintf(pack_dir, sizeof pack_dir, "%sobjects/pack", git_repository_path(repo));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	git_repository_free(repo);
	test_tmpdir_remove(dir);
	fx_global_shutdown();
	return 0;
}

static void loose_path(char *out, size_t size, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	fx_oid_hex(hex, id);
	snprintf(out, size, "%sobjects/%.2s/%s", git_repository_path(repo), hex, hex + 2);
}

/* A pack of its own holding one blob of `len` bytes (random when `noise`),
 * the loose copy removed. */
static void packed_blob(git_oid *out, size_t len, int noise, const char *text)
{
	git_packbuilder *pb = NULL;
	char path[4400];
	unsigned char *data = calloc(1, len);

	assert_non_null(data);
	if (noise)
		randombytes_buf(data, len);
	snprintf((char *)data, len, "%s", text);
	fx_blob(out, repo, data, len);
	assert_git_ok(git_packbuilder_new(&pb, repo));
	assert_git_ok(git_packbuilder_insert(pb, out, NULL));
	assert_git_ok(git_packbuilder_write(pb, pack_dir, 0, NULL, NULL));
	git_packbuilder_free(pb);
	loose_path(path, sizeof path, out);
	assert_int_equal(unlink(path), 0);
	free(data);
}

static size_t packs(void)
{
	return fx_count_entries(pack_dir, "pack-") / 2; /* .pack and .idx */
}

/* Every id readable from a fresh handle, and stock git fsck content. */
static void assert_all_readable(const git_oid *ids, size_t n)
{
	git_repository *again = fx_repo_open(repo);
	char cmd[4600];
	size_t i;

	for (i = 0; i < n; i++) {
		git_blob *b = NULL;
		assert_git_ok(git_blob_lookup(&b, again, &ids[i]));
		git_blob_free(b);
	}
	git_repository_free(again);
	snprintf(cmd, sizeof cmd, "git --git-dir='%s' fsck --full --no-dangling >/dev/null 2>&1",
		 git_repository_path(repo));
	assert_int_equal(system(cmd), 0);
}

static void test_repack_small_packs_joined(void **state)
{
	civic_repack r = { 3, 0, 0, 0 };
	git_oid ids[6];
	char text[32];
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		snprintf(text, sizeof text, "запис %zu", i);
		packed_blob(&ids[i], 64, 0, text);
	}
	/* Large: left as it came. */
	packed_blob(&ids[5], CIVIC_REPACK_SMALL_PACK + 4096, 1, "голям");
	assert_int_equal(packs(), 6);
	assert_civic_ok(civic_repack_small(&r, git_repository_path(repo)));
	assert_int_equal(r.packs_joined, 5);
	assert_int_equal(r.loose_packed, 0);
	assert_int_equal(packs(), 2);
	assert_all_readable(ids, 6);

	/* Two packs now, one of them large: nothing is due. */
	assert_civic_ok(civic_repack_small(&r, git_repository_path(repo)));
	assert_int_equal(r.packs_joined, 0);
	assert_int_equal(packs(), 2);
}

static void test_repack_fewer_than_due(void **state)
{
	civic_repack r = { 0, 0, 0, 0 }; /* the defaults: 32 packs */
	git_oid ids[3];

	(void)state;
	packed_blob(&ids[0], 64, 0, "а");
	packed_blob(&ids[1], 64, 0, "б");
	packed_blob(&ids[2], 64, 0, "в");
	assert_civic_ok(civic_repack_small(&r, git_repository_path(repo)));
	assert_int_equal(r.packs_joined, 0);
	assert_int_equal(packs(), 3);
}

/* A blob whose id starts with 17: the estimate of loose objects counts
 * objects/17/ (as git gc --auto does). */
static void loose_blob_in_17(git_oid *out)
{
	char text[32];
	unsigned n;

	for (n = 0;; n++) {
		snprintf(text, sizeof text, "свободен %u", n);
		assert_git_ok(git_odb_hash(out, text, strlen(text), GIT_OBJECT_BLOB));
		if (out->id[0] == 0x17)
			break;
	}
	fx_blob(out, repo, text, strlen(text));
}

static void test_repack_loose_packed(void **state)
{
	civic_repack r = { 0, 1, 0, 0 };
	git_oid ids[4];
	char path[4400];
	size_t i;

	(void)state;
	loose_blob_in_17(&ids[0]);
	for (i = 1; i < 4; i++)
		fx_blob(&ids[i], repo, i == 1 ? "x" : i == 2 ? "y" : "z", 1);
	assert_int_equal(packs(), 0);
	assert_civic_ok(civic_repack_small(&r, git_repository_path(repo)));
	assert_int_equal(r.loose_packed, 4);
	assert_int_equal(packs(), 1);
	for (i = 0; i < 4; i++) {
		loose_path(path, sizeof path, &ids[i]);
		assert_false(civic_fs_exists(path));
	}
	assert_all_readable(ids, 4);
}

/* Without a git to run, nothing changes. */
static void test_repack_git_fails_nothing_removed(void **state)
{
	civic_repack r = { 2, 1, 0, 0 };
	char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	char loose[4400];
	git_oid ids[3];
	int error;

	(void)state;
	packed_blob(&ids[0], 64, 0, "едно");
	packed_blob(&ids[1], 64, 0, "две");
	loose_blob_in_17(&ids[2]);
	assert_int_equal(setenv("PATH", "/nonexistent", 1), 0);
	error = civic_repack_small(&r, git_repository_path(repo));
	if (path)
		setenv("PATH", path, 1);
	free(path);
	assert_int_equal(error, CIVIC_ERROR);
	assert_true(strstr(civic_error_last()->message, "git pack-objects") != NULL);
	assert_int_equal(r.packs_joined + r.loose_packed, 0);
	assert_int_equal(packs(), 2);
	loose_path(loose, sizeof loose, &ids[2]);
	assert_true(civic_fs_exists(loose));
	assert_all_readable(ids, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_repack_small_packs_joined),
		T(test_repack_fewer_than_due),
		T(test_repack_loose_packed),
		T(test_repack_git_fails_nothing_removed),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
