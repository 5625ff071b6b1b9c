/*
 * test_pack_objects.c - stock git pack-objects run on what civic gives it
 * (src/pack_objects.h): the one pack it names is there with its index and
 * holds what was asked; a command that writes several packs, or fails, is
 * an error in one line, not a pack name.
 */
#include "helpers.h"
#include "fixtures.h"

#include <sodium.h>

#include "pack_objects.h"

static char *dir;
static git_repository *repo;
static git_oid blob;

static int setup(void **state)
{
	unsigned char noise[300000];

	(void)state;
	fx_global_init();
	dir = test_tmpdir_new();
	repo = fx_repo_new(dir, "r.git");
	randombytes_buf(noise, sizeof noise); /* does not compress: a pack of more than 256 KiB */
	fx_blob(&blob, repo, noise, sizeof noise);
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

/* git --git-dir=R [-c limit] pack-objects -q BASE, with the blob's id as input. */
static int pack(char hash[GIT_OID_HEXSZ + 1], const char *limit, const char *input_line)
{
	char dir_arg[4200], base[4200], input_text[256];
	civic_buf input = CIVIC_BUF_INIT;
	char *argv[10];
	int i = 0, error;

	snprintf(dir_arg, sizeof dir_arg, "--git-dir=%s", git_repository_path(repo));
	snprintf(base, sizeof base, "%s/out", dir);
	argv[i++] = (char *)"git";
	argv[i++] = dir_arg;
	if (limit) {
		argv[i++] = (char *)"-c";
		argv[i++] = (char *)limit;
	}
	argv[i++] = (char *)"pack-objects";
	argv[i++] = (char *)"-q";
	argv[i++] = base;
	argv[i] = NULL;
	snprintf(input_text, sizeof input_text, "%s\n", input_line);
	assert_int_equal(civic_buf_puts(&input, input_text), 0);
	error = civic_pack_objects(hash, argv, NULL, &input);
	civic_buf_dispose(&input);
	return error;
}

static void test_the_pack_it_names_holds_what_was_asked(void **state)
{
	char hash[GIT_OID_HEXSZ + 1], hex[GIT_OID_HEXSZ + 1], path[4400], cmd[9000];

	(void)state;
	git_oid_tostr(hex, sizeof hex, &blob);
	assert_int_equal(pack(hash, NULL, hex), 0);
	assert_int_equal(strspn(hash, "0123456789abcdef"), GIT_OID_HEXSZ);
	snprintf(path, sizeof path, "%s/out-%s.pack", dir, hash);
	assert_true(access(path, R_OK) == 0);
	snprintf(path, sizeof path, "%s/out-%s.idx", dir, hash);
	assert_true(access(path, R_OK) == 0);
	/* stock git reads it back: the blob is in it */
	snprintf(cmd, sizeof cmd, "git verify-pack -v '%s' | grep -q '^%s blob'", path, hex);
	assert_int_equal(system(cmd), 0);
}

static void test_several_packs_are_an_error_not_a_name(void **state)
{
	char hash[GIT_OID_HEXSZ + 1] = "", lines[3 * (GIT_OID_HEXSZ + 1)];
	unsigned char noise[400000];
	git_oid more[2];
	int k;

	(void)state;
	/* 1.1 MB that does not compress, in packs of at most 1 MiB: two packs */
	for (k = 0; k < 2; k++) {
		randombytes_buf(noise, sizeof noise);
		fx_blob(&more[k], repo, noise, sizeof noise);
	}
	git_oid_tostr(lines, GIT_OID_HEXSZ + 1, &blob);
	lines[GIT_OID_HEXSZ] = '\n';
	git_oid_tostr(lines + GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ + 1, &more[0]);
	lines[2 * GIT_OID_HEXSZ + 1] = '\n';
	git_oid_tostr(lines + 2 * (GIT_OID_HEXSZ + 1), GIT_OID_HEXSZ + 1, &more[1]);
	assert_int_equal(pack(hash, "pack.packSizeLimit=1m", lines), CIVIC_ERROR);
	assert_string_equal(hash, "");
	assert_non_null(strstr(civic_error_last()->message, "named no one pack"));
}

static void test_a_failing_git_says_so_in_one_line(void **state)
{
	char hash[GIT_OID_HEXSZ + 1] = "";

	(void)state;
	assert_int_equal(pack(hash, "pack.window=not-a-number", "0000000000000000000000000000000000000000"),
			 CIVIC_ERROR);
	assert_string_equal(hash, "");
	/* git's own reason, in one line */
	assert_non_null(strstr(civic_error_last()->message, "git pack-objects: "));
	assert_non_null(strstr(civic_error_last()->message, "pack.window"));
	assert_null(strchr(civic_error_last()->message, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_the_pack_it_names_holds_what_was_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_packs_are_an_error_not_a_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_failing_git_says_so_in_one_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
