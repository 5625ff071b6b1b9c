/* test_buf.c - the growable byte buffer: contract of src/buf.h. */
#include "helpers.h"
#include "fixtures.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "buf.h"

static struct {
	char *dir;
} g;

static int group_setup(void **state)
{
	(void)state;
	g.dir = test_tmpdir_new();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	test_tmpdir_remove(g.dir);
	return 0;
}

/*------------------------------------------------------------------------
 * In memory
 */

static void test_buf_init_is_empty_string(void **state)
{
	civic_buf a = CIVIC_BUF_INIT, b;

	(void)state;
	assert_non_null(a.ptr);
	assert_string_equal(a.ptr, "");
	assert_int_equal(a.size, 0);
	assert_int_equal(civic_buf_oom(&a), 0);
	memset(&b, 0x55, sizeof b);
	civic_buf_init(&b);
	assert_non_null(b.ptr);
	assert_int_equal(b.ptr[0], '\0');
	assert_int_equal(b.size, 0);
	assert_int_equal(b.asize, 0);
	civic_buf_dispose(&a);
	civic_buf_dispose(&b);
}

static void test_buf_put_appends_and_terminates(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic_ok(civic_buf_put(&b, "abc", 3));
	assert_civic_ok(civic_buf_puts(&b, "def"));
	assert_civic_ok(civic_buf_putc(&b, 'g'));
	assert_civic_ok(civic_buf_put(&b, "zzz", 0));
	assert_int_equal(b.size, 7);
	assert_string_equal(b.ptr, "abcdefg");
	assert_true(b.asize > b.size);
	civic_buf_dispose(&b);
}

static void test_buf_put_grows_past_many_reallocations(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 10000; i++)
		assert_civic_ok(civic_buf_putc(&b, (char)('a' + i % 26)));
	assert_int_equal(b.size, 10000);
	assert_int_equal(b.ptr[10000], '\0');
	for (i = 0; i < 10000; i++)
		assert_int_equal(b.ptr[i], 'a' + i % 26);
	civic_buf_dispose(&b);
}

static void test_buf_holds_nul_bytes(void **state)
{
	static const char data[] = { 'a', '\0', 'b', '\0', '\0', 'c' };
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic_ok(civic_buf_put(&b, data, sizeof data));
	assert_civic_ok(civic_buf_putc(&b, '\0'));
	assert_int_equal(b.size, sizeof data + 1);
	assert_memory_equal(b.ptr, data, sizeof data);
	assert_int_equal(b.ptr[sizeof data], '\0');
	assert_int_equal(b.ptr[sizeof data + 1], '\0'); /* the terminator beyond size */
	assert_int_equal(strlen(b.ptr), 1);              /* why size, not strlen, counts */
	civic_buf_dispose(&b);
}

static void test_buf_printf_appends(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;
	char big[300];

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "seq="));
	assert_civic_ok(civic_buf_printf(&b, "%08d/%s", 123, "x"));
	assert_string_equal(b.ptr, "seq=00000123/x");
	assert_int_equal(b.size, strlen("seq=00000123/x"));
	/* Longer than the first allocation. */
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_civic_ok(civic_buf_printf(&b, "[%s]", big));
	assert_int_equal(b.size, 14 + 2 + 299);
	assert_int_equal(b.ptr[b.size], '\0');
	assert_int_equal(b.ptr[14], '[');
	assert_int_equal(b.ptr[b.size - 1], ']');
	/* Empty output keeps the buffer as it was. */
	assert_civic_ok(civic_buf_printf(&b, "%s", ""));
	assert_int_equal(b.size, 14 + 2 + 299);
	/* Cyrillic passes through as bytes. */
	civic_buf_clear(&b);
	assert_civic_ok(civic_buf_printf(&b, "%s: %d", "Рила", 9));
	assert_string_equal(b.ptr, "Рила: 9");
	civic_buf_dispose(&b);
}

static void test_buf_truncate_and_clear(void **state)
{
	civic_buf b = CIVIC_BUF_INIT, empty = CIVIC_BUF_INIT;
	size_t asize;

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "abcdef"));
	civic_buf_truncate(&b, 3);
	assert_int_equal(b.size, 3);
	assert_string_equal(b.ptr, "abc");
	civic_buf_truncate(&b, 10); /* longer: nothing happens */
	assert_int_equal(b.size, 3);
	assert_string_equal(b.ptr, "abc");
	asize = b.asize;
	civic_buf_clear(&b);
	assert_int_equal(b.size, 0);
	assert_string_equal(b.ptr, "");
	assert_int_equal(b.asize, asize); /* keeps its memory */
	assert_civic_ok(civic_buf_puts(&b, "x"));
	assert_string_equal(b.ptr, "x");
	/* On the static initial buffer, both are harmless. */
	civic_buf_truncate(&empty, 0);
	civic_buf_clear(&empty);
	assert_string_equal(empty.ptr, "");
	assert_int_equal(civic_buf__initbuf[0], '\0');
	civic_buf_dispose(&b);
}

static void test_buf_grow_reserves(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic_ok(civic_buf_grow(&b, 1000));
	assert_true(b.asize >= 1001);
	assert_int_equal(b.size, 0);
	assert_string_equal(b.ptr, "");
	civic_buf_dispose(&b);
}

static void test_buf_detach_hands_over_memory(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;
	char *p;

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "Кюстендил"));
	p = civic_buf_detach(&b);
	assert_non_null(p);
	assert_string_equal(p, "Кюстендил");
	/* The buffer is as after INIT and usable again. */
	assert_int_equal(b.size, 0);
	assert_int_equal(b.asize, 0);
	assert_string_equal(b.ptr, "");
	assert_civic_ok(civic_buf_puts(&b, "again"));
	assert_string_equal(b.ptr, "again");
	free(p);
	civic_buf_dispose(&b);
}

static void test_buf_detach_of_empty_buffer_is_freeable(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;
	char *p = civic_buf_detach(&b);

	(void)state;
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_true(p != civic_buf__initbuf);
	free(p);
}

static void test_buf_dispose_resets_and_is_idempotent(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "abc"));
	civic_buf_dispose(&b);
	assert_int_equal(b.size, 0);
	assert_int_equal(b.asize, 0);
	assert_string_equal(b.ptr, "");
	civic_buf_dispose(&b);
	assert_string_equal(b.ptr, "");
}

/* A length that cannot be added is out of memory, and it sticks. */
static void test_buf_oom_is_sticky(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "abc"));
	assert_civic(CIVIC_ERROR, civic_buf_put(&b, "x", SIZE_MAX));
	assert_true(civic_buf_oom(&b));
	assert_civic(CIVIC_ERROR, civic_buf_puts(&b, "more"));
	assert_civic(CIVIC_ERROR, civic_buf_printf(&b, "%d", 1));
	assert_civic(CIVIC_ERROR, civic_buf_grow(&b, 10));
	assert_true(civic_buf_oom(&b));
	/* A failed buffer cannot be detached as if it were whole. */
	assert_null(civic_buf_detach(&b));
	assert_false(civic_buf_oom(&b));
	assert_string_equal(b.ptr, "");
	civic_buf_dispose(&b);
}

/* Same, on a buffer that never allocated: detach must not leak (run under
 * ASan or valgrind to see a leak). */
static void test_buf_detach_after_oom_on_empty_buffer_does_not_leak(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic(CIVIC_ERROR, civic_buf_put(&b, "x", SIZE_MAX));
	assert_true(civic_buf_oom(&b));
	assert_int_equal(b.asize, 0);
	assert_null(civic_buf_detach(&b));
	civic_buf_dispose(&b);
}

static void test_buf_dispose_clears_oom(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "abc"));
	assert_civic(CIVIC_ERROR, civic_buf_put(&b, "x", SIZE_MAX));
	civic_buf_dispose(&b);
	assert_false(civic_buf_oom(&b));
	assert_civic_ok(civic_buf_puts(&b, "ok"));
	assert_string_equal(b.ptr, "ok");
	civic_buf_dispose(&b);
}

/*------------------------------------------------------------------------
 * civic_buf_read_file
 */

static void test_buf_read_file_reads_all_bytes(void **state)
{
	char path[4200];
	size_t n = 100000, i; /* several read chunks */
	char *data = malloc(n);
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (char)(i * 7 % 251); /* includes NUL bytes */
	fx_path(path, sizeof path, g.dir, "big.bin");
	fx_write_file(path, data, n);
	assert_civic_ok(civic_buf_read_file(&b, path, n));
	assert_int_equal(b.size, n);
	assert_memory_equal(b.ptr, data, n);
	assert_int_equal(b.ptr[n], '\0');
	civic_buf_dispose(&b);
	free(data);
}

static void test_buf_read_file_empty(void **state)
{
	char path[4200];
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	fx_path(path, sizeof path, g.dir, "empty");
	fx_write_file(path, "", 0);
	assert_civic_ok(civic_buf_read_file(&b, path, 0));
	assert_int_equal(b.size, 0);
	assert_string_equal(b.ptr, "");
	civic_buf_dispose(&b);
}

static void test_buf_read_file_size_cap(void **state)
{
	char path[4200];
	char data[40000];
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	memset(data, 'x', sizeof data);
	fx_path(path, sizeof path, g.dir, "capped");
	fx_write_file(path, data, sizeof data);
	/* Exactly at the cap is fine. */
	assert_civic_ok(civic_buf_read_file(&b, path, sizeof data));
	assert_int_equal(b.size, sizeof data);
	civic_buf_dispose(&b);
	/* One byte over, after several chunks, and within the first chunk. */
	assert_civic(CIVIC_EINVALID, civic_buf_read_file(&b, path, sizeof data - 1));
	assert_non_null(strstr(civic_error_last()->message, "larger than"));
	civic_buf_dispose(&b);
	assert_civic(CIVIC_EINVALID, civic_buf_read_file(&b, path, 10));
	civic_buf_dispose(&b);
	assert_civic(CIVIC_EINVALID, civic_buf_read_file(&b, path, 0));
	civic_buf_dispose(&b);
}

static void test_buf_read_file_missing(void **state)
{
	char path[4200];
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	fx_path(path, sizeof path, g.dir, "no-such-file");
	assert_civic(CIVIC_ENOTFOUND, civic_buf_read_file(&b, path, 100));
	assert_non_null(strstr(civic_error_last()->message, "no-such-file"));
	civic_buf_dispose(&b);
}

static void test_buf_read_file_refuses_directory(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic(CIVIC_EINVALID, civic_buf_read_file(&b, g.dir, 100));
	assert_non_null(strstr(civic_error_last()->message, "not a regular file"));
	civic_buf_dispose(&b);
}

static void test_buf_read_file_refuses_device(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic(CIVIC_EINVALID, civic_buf_read_file(&b, "/dev/null", 100));
	civic_buf_dispose(&b);
}

static int read_fifo(void *arg)
{
	civic_buf b = CIVIC_BUF_INIT;
	int rc = civic_buf_read_file(&b, arg, 100);

	civic_buf_dispose(&b);
	return rc == CIVIC_EINVALID ? 0 : 1;
}

/* A FIFO is not a regular file: refused at once, without waiting for a
 * writer that never comes. */
static void test_buf_read_file_refuses_fifo_without_blocking(void **state)
{
	char path[4200];
	int rc;

	(void)state;
	fx_path(path, sizeof path, g.dir, "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	rc = fx_run_with_timeout(read_fifo, path, 1);
	unlink(path);
	if (rc == -1)
		fail_msg("civic_buf_read_file() blocked on a FIFO instead of refusing it");
	assert_int_equal(rc, 0);
}

static void test_buf_read_file_through_symlink(void **state)
{
	char path[4200], link[4200];
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	fx_path(path, sizeof path, g.dir, "target");
	fx_path(link, sizeof link, g.dir, "link");
	fx_write_text(path, "via link");
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	assert_civic_ok(civic_buf_read_file(&b, link, 100));
	assert_string_equal(b.ptr, "via link");
	civic_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_init_is_empty_string),
		cmocka_unit_test(test_buf_put_appends_and_terminates),
		cmocka_unit_test(test_buf_put_grows_past_many_reallocations),
		cmocka_unit_test(test_buf_holds_nul_bytes),
		cmocka_unit_test(test_buf_printf_appends),
		cmocka_unit_test(test_buf_truncate_and_clear),
		cmocka_unit_test(test_buf_grow_reserves),
		cmocka_unit_test(test_buf_detach_hands_over_memory),
		cmocka_unit_test(test_buf_detach_of_empty_buffer_is_freeable),
		cmocka_unit_test(test_buf_dispose_resets_and_is_idempotent),
		cmocka_unit_test(test_buf_oom_is_sticky),
		cmocka_unit_test(test_buf_detach_after_oom_on_empty_buffer_does_not_leak),
		cmocka_unit_test(test_buf_dispose_clears_oom),
		cmocka_unit_test(test_buf_read_file_reads_all_bytes),
		cmocka_unit_test(test_buf_read_file_empty),
		cmocka_unit_test(test_buf_read_file_size_cap),
		cmocka_unit_test(test_buf_read_file_missing),
		cmocka_unit_test(test_buf_read_file_refuses_directory),
		cmocka_unit_test(test_buf_read_file_refuses_device),
		cmocka_unit_test(test_buf_read_file_refuses_fifo_without_blocking),
		cmocka_unit_test(test_buf_read_file_through_symlink),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
