/* test_fsutil.c - durable file writes: contract of src/fsutil.h. */
#include "helpers.h"
#include "fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include "fsutil.h"

static struct {
	char *dir;
	mode_t umask;
} g;

static int group_setup(void **state)
{
	(void)state;
	g.dir = test_tmpdir_new();
	/* A strict umask shows that the requested mode is what the file gets. */
	g.umask = umask(077);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	umask(g.umask);
	test_tmpdir_remove(g.dir);
	return 0;
}

/* Each test works in a fresh subdirectory, so leftovers can be counted. */
static char sub[4200];

static int setup(void **state)
{
	static int n;
	char name[32];

	(void)state;
	snprintf(name, sizeof name, "t%d", ++n);
	fx_path(sub, sizeof sub, g.dir, name);
	assert_int_equal(mkdir(sub, 0700), 0);
	return 0;
}

static void assert_file(const char *path, const void *data, size_t len)
{
	size_t got;
	char *text = fx_read_file(path, &got);

	assert_int_equal(got, len);
	if (len)
		assert_memory_equal(text, data, len);
	free(text);
}

static void assert_no_temp_files(const char *dir)
{
	assert_int_equal(fx_count_entries(dir, ".tmp-"), 0);
}

/*------------------------------------------------------------------------
 * civic_fs_write_atomic
 */

static void test_fs_write_atomic_creates_with_mode(void **state)
{
	char path[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "config");
	assert_civic_ok(civic_fs_write_atomic(path, "hello\n", 6, 0640, 0));
	assert_file(path, "hello\n", 6);
	assert_true(S_ISREG(fx_mode(path)));
	assert_int_equal(fx_mode(path) & 07777, 0640); /* not cut down by the umask */
	assert_int_equal(fx_count_entries(sub, ""), 1);
	assert_no_temp_files(sub);
}

static void test_fs_write_atomic_keeps_nul_bytes_and_empty(void **state)
{
	static const char data[] = { 'a', '\0', 'b', '\0' };
	char path[4300], empty[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "bin");
	fx_path(empty, sizeof empty, sub, "empty");
	assert_civic_ok(civic_fs_write_atomic(path, data, sizeof data, 0600, 0));
	assert_file(path, data, sizeof data);
	assert_civic_ok(civic_fs_write_atomic(empty, "", 0, 0600, 1));
	assert_file(empty, "", 0);
	assert_no_temp_files(sub);
}

static void test_fs_write_atomic_replaces(void **state)
{
	char path[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "config");
	assert_civic_ok(civic_fs_write_atomic(path, "first version, longer", 21, 0644, 0));
	assert_civic_ok(civic_fs_write_atomic(path, "second", 6, 0600, 0));
	assert_file(path, "second", 6);
	assert_int_equal(fx_mode(path) & 07777, 0600);
	assert_int_equal(fx_count_entries(sub, ""), 1);
	assert_no_temp_files(sub);
}

static void test_fs_write_atomic_exclusive_creates(void **state)
{
	char path[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "new");
	assert_civic_ok(civic_fs_write_atomic(path, "once", 4, 0600, 1));
	assert_file(path, "once", 4);
	assert_int_equal(fx_mode(path) & 07777, 0600);
	assert_int_equal(fx_count_entries(sub, ""), 1);
	assert_no_temp_files(sub);
}

static void test_fs_write_atomic_exclusive_refuses_existing(void **state)
{
	char path[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "taken");
	fx_write_text(path, "original");
	assert_civic(CIVIC_EEXISTS, civic_fs_write_atomic(path, "intruder", 8, 0600, 1));
	assert_non_null(strstr(civic_error_last()->message, "taken"));
	assert_file(path, "original", 8);
	assert_int_equal(fx_count_entries(sub, ""), 1);
	assert_no_temp_files(sub);
}

static void test_fs_write_atomic_exclusive_refuses_dangling_symlink(void **state)
{
	char path[4300], target[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "link");
	fx_path(target, sizeof target, sub, "elsewhere");
	assert_int_equal(symlink(target, path), 0);
	assert_civic(CIVIC_EEXISTS, civic_fs_write_atomic(path, "x", 1, 0600, 1));
	assert_false(civic_fs_exists(target));
	assert_true(S_ISLNK(fx_mode(path)));
	assert_no_temp_files(sub);
}

static void test_fs_write_atomic_into_missing_directory(void **state)
{
	char path[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "missing/file");
	assert_civic(CIVIC_ERROR, civic_fs_write_atomic(path, "x", 1, 0600, 0));
	assert_int_equal(fx_count_entries(sub, ""), 0);
}

static void test_fs_write_atomic_onto_directory_fails_cleanly(void **state)
{
	char path[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "adir");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(civic_fs_write_atomic(path, "x", 1, 0600, 0) < 0);
	assert_true(S_ISDIR(fx_mode(path)));
	assert_int_equal(fx_count_entries(sub, ""), 1);
	assert_no_temp_files(sub);
	assert_civic(CIVIC_EEXISTS, civic_fs_write_atomic(path, "x", 1, 0600, 1));
	assert_no_temp_files(sub);
}

static void test_fs_write_atomic_path_too_long(void **state)
{
	char *path = malloc(PATH_MAX + 100);

	(void)state;
	assert_non_null(path);
	memset(path, 'a', PATH_MAX + 99);
	path[0] = '/';
	path[PATH_MAX + 99] = '\0';
	assert_civic(CIVIC_EINVALID, civic_fs_write_atomic(path, "x", 1, 0600, 0));
	free(path);
}

/*------------------------------------------------------------------------
 * civic_fs_mkdir, exists, tmpfile, write_all, sync_dir
 */

static void test_fs_mkdir_creates_and_accepts_existing(void **state)
{
	char path[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "keys");
	assert_civic_ok(civic_fs_mkdir(path, 0700));
	assert_true(S_ISDIR(fx_mode(path)));
	assert_int_equal(fx_mode(path) & 0777, 0700);
	assert_civic_ok(civic_fs_mkdir(path, 0700));
}

static void test_fs_mkdir_on_a_file_fails(void **state)
{
	char path[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "plain");
	fx_write_text(path, "I am a file");
	assert_civic(CIVIC_ERROR, civic_fs_mkdir(path, 0700));
	assert_non_null(strstr(civic_error_last()->message, "plain"));
	assert_true(S_ISREG(fx_mode(path)));
}

static void test_fs_mkdir_missing_parent_fails(void **state)
{
	char path[4300];

	(void)state;
	fx_path(path, sizeof path, sub, "a/b");
	assert_civic(CIVIC_ERROR, civic_fs_mkdir(path, 0700));
}

static void test_fs_exists(void **state)
{
	char file[4300], link[4300], missing[4300];

	(void)state;
	fx_path(file, sizeof file, sub, "file");
	fx_path(link, sizeof link, sub, "dangling");
	fx_path(missing, sizeof missing, sub, "missing");
	fx_write_text(file, "x");
	assert_int_equal(symlink(missing, link), 0);
	assert_true(civic_fs_exists(file));
	assert_true(civic_fs_exists(sub));
	assert_true(civic_fs_exists(link));
	assert_false(civic_fs_exists(missing));
}

static void test_fs_tmpfile(void **state)
{
	char tmp[PATH_MAX], small[8];
	int fd = -1;

	(void)state;
	assert_civic_ok(civic_fs_tmpfile(&fd, tmp, sizeof tmp, sub));
	assert_true(fd >= 0);
	assert_non_null(strstr(tmp, "/.tmp-"));
	assert_int_equal(strncmp(tmp, sub, strlen(sub)), 0);
	assert_int_equal(fx_mode(tmp) & 0777, 0600);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	unlink(tmp);
	assert_civic(CIVIC_EINVALID, civic_fs_tmpfile(&fd, small, sizeof small, sub));
	assert_no_temp_files(sub);
}

static void test_fs_write_all_and_errors(void **state)
{
	char buf[16];
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_civic_ok(civic_fs_write_all(fds[1], "pipe!", 5, "pipe"));
	assert_int_equal(read(fds[0], buf, sizeof buf), 5);
	assert_memory_equal(buf, "pipe!", 5);
	close(fds[0]);
	close(fds[1]);
	assert_civic(CIVIC_ERROR, civic_fs_write_all(fds[1], "x", 1, "closed-fd"));
	assert_non_null(strstr(civic_error_last()->message, "closed-fd"));
}

static void test_fs_sync_dir(void **state)
{
	char missing[4300];

	(void)state;
	fx_path(missing, sizeof missing, sub, "missing");
	assert_civic_ok(civic_fs_sync_dir(sub));
	assert_civic(CIVIC_ERROR, civic_fs_sync_dir(missing));
}

/*------------------------------------------------------------------------
 * civic_fs_remove_ref_locks
 */

static void touch(const char *dir, const char *name)
{
	char path[4400];

	fx_path(path, sizeof path, dir, name);
	assert_civic_ok(civic_fs_write_atomic(path, "x", 1, 0600, 0));
}

static int present(const char *dir, const char *name)
{
	char path[4400];

	fx_path(path, sizeof path, dir, name);
	return civic_fs_exists(path) == 1;
}

/* Locks at any depth go; refs, other files and what a symlink points at stay. */
static void test_fs_remove_ref_locks(void **state)
{
	char refs[4300], deep[4400], deeper[4500], outside[4300], link[4400];

	(void)state;
	fx_path(refs, sizeof refs, sub, "refs");
	fx_path(deep, sizeof deep, refs, "civic");
	fx_path(deeper, sizeof deeper, deep, "steps");
	fx_path(outside, sizeof outside, sub, "outside");
	assert_int_equal(mkdir(refs, 0700), 0);
	assert_int_equal(mkdir(deep, 0700), 0);
	assert_int_equal(mkdir(deeper, 0700), 0);
	assert_int_equal(mkdir(outside, 0700), 0);
	touch(refs, "00");
	touch(refs, "00.lock");
	touch(refs, "01.lock");
	touch(refs, ".lock");
	touch(deep, "roster.lock");
	touch(deep, "roster");
	touch(deeper, "00000128.lock");
	touch(deeper, "00000256");
	touch(outside, "other.lock");
	fx_path(link, sizeof link, refs, "elsewhere");
	assert_int_equal(symlink(outside, link), 0);
	civic_fs_remove_ref_locks(refs);
	assert_true(present(refs, "00"));
	assert_false(present(refs, "00.lock"));
	assert_false(present(refs, "01.lock"));
	assert_true(present(refs, ".lock")); /* a name that is only the suffix is no ref's lock */
	assert_false(present(deep, "roster.lock"));
	assert_true(present(deep, "roster"));
	assert_false(present(deeper, "00000128.lock"));
	assert_true(present(deeper, "00000256"));
	assert_true(present(outside, "other.lock"));
	fx_path(link, sizeof link, sub, "missing");
	civic_fs_remove_ref_locks(link); /* no such directory: nothing to do */
}

/* Entries named with the prefix go with all in them; the rest stay. */
static void test_fs_remove_prefixed(void **state)
{
	char path[4400];

	(void)state;
	fx_path(path, sizeof path, sub, "push-AbC123");
	assert_int_equal(civic_fs_mkdir_all(path, 0700), 0);
	fx_path(path, sizeof path, sub, "push-AbC123/part-1.pack");
	fx_write_text(path, "pack");
	fx_path(path, sizeof path, sub, "push-file");
	fx_write_text(path, "x");
	fx_path(path, sizeof path, sub, "quarantine-1");
	assert_int_equal(civic_fs_mkdir_all(path, 0700), 0);
	civic_fs_remove_prefixed(sub, "push-");
	assert_false(present(sub, "push-AbC123"));
	assert_false(present(sub, "push-file"));
	assert_true(present(sub, "quarantine-1"));
	fx_path(path, sizeof path, sub, "missing");
	civic_fs_remove_prefixed(path, "push-"); /* no such directory: nothing to do */
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fs_write_atomic_creates_with_mode),
		T(test_fs_write_atomic_keeps_nul_bytes_and_empty),
		T(test_fs_write_atomic_replaces),
		T(test_fs_write_atomic_exclusive_creates),
		T(test_fs_write_atomic_exclusive_refuses_existing),
		T(test_fs_write_atomic_exclusive_refuses_dangling_symlink),
		T(test_fs_write_atomic_into_missing_directory),
		T(test_fs_write_atomic_onto_directory_fails_cleanly),
		T(test_fs_write_atomic_path_too_long),
		T(test_fs_mkdir_creates_and_accepts_existing),
		T(test_fs_mkdir_on_a_file_fails),
		T(test_fs_mkdir_missing_parent_fails),
		T(test_fs_exists),
		T(test_fs_tmpfile),
		T(test_fs_write_all_and_errors),
		T(test_fs_sync_dir),
		T(test_fs_remove_ref_locks),
		T(test_fs_remove_prefixed),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
