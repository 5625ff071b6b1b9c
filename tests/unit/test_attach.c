/* test_attach.c - the attachment store: contract of src/attach.h; libsodium's
 * one-shot SHA-256 is the independent check of the streamed hash. */
#include "helpers.h"
#include "fixtures.h"

#include <fcntl.h>

#include "attach.h"

static struct {
	char *dir;
} g;

static char store[4200]; /* a fresh store per test */
static char src[4200];   /* where source files are made */

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
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
	snprintf(name, sizeof name, "store%d", ++n);
	fx_path(store, sizeof store, g.dir, name);
	assert_int_equal(mkdir(store, 0700), 0);
	snprintf(name, sizeof name, "src%d", n);
	fx_path(src, sizeof src, g.dir, name);
	assert_int_equal(mkdir(src, 0700), 0);
	return 0;
}

static void sha256_hex(char out[CIVIC_SHA256_HEX_LEN + 1], const void *data, size_t len)
{
	unsigned char d[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(d, data, len);
	sodium_bin2hex(out, CIVIC_SHA256_HEX_LEN + 1, d, sizeof d);
}

/* Makes src/<name> holding len pseudo-random bytes (seeded); returns them. */
static unsigned char *make_source(char *path, size_t size, const char *name, size_t len, unsigned seed)
{
	unsigned char *data = malloc(len ? len : 1);
	size_t i;

	assert_non_null(data);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)((i * 2654435761u + seed) >> 13);
	fx_path(path, size, src, name);
	fx_write_file(path, data, len);
	return data;
}

static void stored_path(char *out, size_t size, const char *hex)
{
	civic_buf b = CIVIC_BUF_INIT;

	assert_civic_ok(civic_attach_path(&b, store, hex));
	assert_true(b.size < size);
	memcpy(out, b.ptr, b.size + 1);
	civic_buf_dispose(&b);
}

static civic_attach_state check(const char *hex, uint64_t size, int rehash)
{
	civic_attach_state st = CIVIC_ATTACH_PRESENT;

	assert_civic_ok(civic_attach_check(&st, store, hex, size, rehash));
	return st;
}

/*------------------------------------------------------------------------
 * Store, describe, check
 */

static void test_attach_store_then_present(void **state)
{
	char path[4300], want[CIVIC_SHA256_HEX_LEN + 1], where[4400], sha_dir[4300];
	size_t len = 200000; /* several 64 KiB chunks */
	unsigned char *data = make_source(path, sizeof path, "121214 1.jpg", len, 1);
	civic_attachment a;
	char *copy;
	size_t copy_len;

	(void)state;
	assert_civic_ok(civic_attach_store(&a, store, path));
	sha256_hex(want, data, len);
	assert_string_equal(a.sha256, want);
	assert_int_equal(a.size, len);
	assert_string_equal(a.name, "121214 1.jpg");
	assert_string_equal(a.media_type, "image/jpeg");
	/* The bytes are at <store>/sha256/<hex>, unchanged. */
	stored_path(where, sizeof where, a.sha256);
	fx_path(sha_dir, sizeof sha_dir, store, "sha256");
	assert_int_equal(strncmp(where, sha_dir, strlen(sha_dir)), 0);
	assert_string_equal(where + strlen(sha_dir) + 1, want);
	copy = fx_read_file(where, &copy_len);
	assert_int_equal(copy_len, len);
	assert_memory_equal(copy, data, len);
	free(copy);
	/* Only that file: no temporary left behind. */
	assert_int_equal(fx_count_entries(sha_dir, ""), 1);
	assert_int_equal(check(want, len, 0), CIVIC_ATTACH_PRESENT);
	assert_int_equal(check(want, len, 1), CIVIC_ATTACH_PRESENT);
	free(data);
}

static void test_attach_describe_equals_store(void **state)
{
	char path[4300];
	unsigned char *data = make_source(path, sizeof path, "270215_1.JPG", 70000, 7);
	civic_attachment d, s;

	(void)state;
	assert_civic_ok(civic_attach_describe(&d, path));
	assert_civic_ok(civic_attach_store(&s, store, path));
	assert_string_equal(d.sha256, s.sha256);
	assert_int_equal(d.size, s.size);
	assert_string_equal(d.name, s.name);
	assert_string_equal(d.media_type, s.media_type);
	assert_string_equal(d.media_type, "image/jpeg");
	free(data);
}

static void test_attach_describe_stores_nothing(void **state)
{
	char path[4300];
	unsigned char *data = make_source(path, sizeof path, "swot.pdf", 1000, 3);
	civic_attachment d;

	(void)state;
	assert_civic_ok(civic_attach_describe(&d, path));
	assert_int_equal(fx_count_entries(store, ""), 0);
	assert_int_equal(check(d.sha256, d.size, 1), CIVIC_ATTACH_MISSING);
	free(data);
}

static void test_attach_empty_file(void **state)
{
	char path[4300], want[CIVIC_SHA256_HEX_LEN + 1];
	unsigned char *data = make_source(path, sizeof path, "empty.txt", 0, 0);
	civic_attachment a;

	(void)state;
	assert_civic_ok(civic_attach_store(&a, store, path));
	sha256_hex(want, "", 0);
	assert_string_equal(a.sha256, want);
	assert_string_equal(a.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(a.size, 0);
	assert_int_equal(check(want, 0, 1), CIVIC_ATTACH_PRESENT);
	free(data);
}

static void test_attach_store_twice_is_harmless(void **state)
{
	char path[4300], sha_dir[4300];
	unsigned char *data = make_source(path, sizeof path, "photo.png", 5000, 9);
	civic_attachment a, b;

	(void)state;
	assert_civic_ok(civic_attach_store(&a, store, path));
	assert_civic_ok(civic_attach_store(&b, store, path));
	assert_string_equal(a.sha256, b.sha256);
	fx_path(sha_dir, sizeof sha_dir, store, "sha256");
	assert_int_equal(fx_count_entries(sha_dir, ""), 1);
	assert_int_equal(check(a.sha256, a.size, 1), CIVIC_ATTACH_PRESENT);
	free(data);
}

static void test_attach_missing(void **state)
{
	char want[CIVIC_SHA256_HEX_LEN + 1];
	civic_attach_state st = CIVIC_ATTACH_PRESENT;

	(void)state;
	sha256_hex(want, "never stored", 12);
	assert_civic_ok(civic_attach_check(&st, store, want, 12, 1));
	assert_int_equal(st, CIVIC_ATTACH_MISSING);
	assert_civic_ok(civic_attach_check(&st, store, want, 12, 0));
	assert_int_equal(st, CIVIC_ATTACH_MISSING);
}

static void test_attach_corrupt_size(void **state)
{
	char path[4300], where[4400];
	unsigned char *data = make_source(path, sizeof path, "scan.pdf", 4096, 5);
	civic_attachment a;

	(void)state;
	assert_civic_ok(civic_attach_store(&a, store, path));
	stored_path(where, sizeof where, a.sha256);
	fx_write_file(where, data, 4095); /* truncated by one byte */
	assert_int_equal(check(a.sha256, a.size, 0), CIVIC_ATTACH_CORRUPT);
	assert_int_equal(check(a.sha256, a.size, 1), CIVIC_ATTACH_CORRUPT);
	/* A wrong size claimed for whole bytes is corrupt too. */
	fx_write_file(where, data, 4096);
	assert_int_equal(check(a.sha256, a.size + 1, 0), CIVIC_ATTACH_CORRUPT);
	free(data);
}

static void test_attach_corrupt_same_size_needs_rehash(void **state)
{
	char path[4300], where[4400];
	unsigned char *data = make_source(path, sizeof path, "minutes.odt", 100000, 11);
	civic_attachment a;

	(void)state;
	assert_civic_ok(civic_attach_store(&a, store, path));
	stored_path(where, sizeof where, a.sha256);
	data[77777] ^= 0x01; /* one bit, same size */
	fx_write_file(where, data, 100000);
	assert_int_equal(check(a.sha256, a.size, 1), CIVIC_ATTACH_CORRUPT);
	/* Without rehash only the size is checked, as attach.h says. */
	assert_int_equal(check(a.sha256, a.size, 0), CIVIC_ATTACH_PRESENT);
	free(data);
}

static void test_attach_directory_in_store_is_corrupt(void **state)
{
	char want[CIVIC_SHA256_HEX_LEN + 1], where[4400], sha_dir[4300];

	(void)state;
	sha256_hex(want, "x", 1);
	fx_path(sha_dir, sizeof sha_dir, store, "sha256");
	assert_int_equal(mkdir(sha_dir, 0700), 0);
	stored_path(where, sizeof where, want);
	assert_int_equal(mkdir(where, 0700), 0);
	assert_int_equal(check(want, 1, 1), CIVIC_ATTACH_CORRUPT);
}

/*------------------------------------------------------------------------
 * Refusals
 */

static void test_attach_refuses_directory(void **state)
{
	civic_attachment a;

	(void)state;
	assert_civic(CIVIC_EINVALID, civic_attach_store(&a, store, src));
	assert_non_null(strstr(civic_error_last()->message, "not a regular file"));
	assert_civic(CIVIC_EINVALID, civic_attach_describe(&a, src));
	assert_int_equal(fx_count_entries(store, ""), 0);
}

static void test_attach_refuses_device(void **state)
{
	civic_attachment a;

	(void)state;
	assert_civic(CIVIC_EINVALID, civic_attach_store(&a, store, "/dev/null"));
	assert_civic(CIVIC_EINVALID, civic_attach_describe(&a, "/dev/zero"));
	assert_int_equal(fx_count_entries(store, ""), 0);
}

static int store_fifo(void *arg)
{
	civic_attachment a;
	int rc = civic_attach_store(&a, store, arg);

	return rc == CIVIC_EINVALID ? 0 : 1;
}

/* A FIFO is not a regular file: refused at once, not waited on. */
static void test_attach_refuses_fifo_without_blocking(void **state)
{
	char path[4300];
	int rc;

	(void)state;
	fx_path(path, sizeof path, src, "pipe.jpg");
	assert_int_equal(mkfifo(path, 0600), 0);
	rc = fx_run_with_timeout(store_fifo, path, 1);
	unlink(path);
	if (rc == -1)
		fail_msg("civic_attach_store() blocked on a FIFO instead of refusing it");
	assert_int_equal(rc, 0);
}

static void test_attach_missing_source(void **state)
{
	char path[4300];
	civic_attachment a;

	(void)state;
	fx_path(path, sizeof path, src, "gone.jpg");
	assert_civic(CIVIC_ENOTFOUND, civic_attach_store(&a, store, path));
	assert_civic(CIVIC_ENOTFOUND, civic_attach_describe(&a, path));
}

static void test_attach_refuses_empty_or_long_name(void **state)
{
	char path[4300], longname[300];
	civic_attachment a;

	(void)state;
	fx_path(path, sizeof path, src, "");
	assert_civic(CIVIC_EINVALID, civic_attach_describe(&a, path)); /* ends in '/' */
	memset(longname, 'n', 256);
	strcpy(longname + 256, ".jpg");
	fx_path(path, sizeof path, src, longname);
	assert_civic(CIVIC_EINVALID, civic_attach_describe(&a, path));
}

static void test_attach_media_types(void **state)
{
	static const struct { const char *name, *type; } cases[] = {
		{ "121214 1.jpg", "image/jpeg" },
		{ "270215_1.JPG", "image/jpeg" },
		{ "photo.jpeg", "image/jpeg" },
		{ "map.png", "image/png" },
		{ "SWOT анализ.pdf", "application/pdf" },
		{ "notes.txt", "text/plain" },
		{ "body.md", "text/markdown" },
		{ "протокол.odt", "application/vnd.oasis.opendocument.text" },
		{ "report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ "budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
		{ "noext", "application/octet-stream" },
		{ "archive.tar.gz", "application/octet-stream" },
		{ "trailing.", "application/octet-stream" },
	};
	char path[4300];
	civic_attachment a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fx_path(path, sizeof path, src, cases[i].name);
		fx_write_text(path, "x");
		assert_civic_ok(civic_attach_describe(&a, path));
		assert_string_equal(a.name, cases[i].name);
		assert_string_equal(a.media_type, cases[i].type);
	}
}

static void test_attach_path_and_state_names(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "old contents"));
	assert_civic_ok(civic_attach_path(&b, "/home/a/attachments", "ab12"));
	assert_string_equal(b.ptr, "/home/a/attachments/sha256/ab12");
	civic_buf_dispose(&b);
	assert_string_equal(civic_attach_state_name(CIVIC_ATTACH_PRESENT), "present");
	assert_string_equal(civic_attach_state_name(CIVIC_ATTACH_MISSING), "missing");
	assert_string_equal(civic_attach_state_name(CIVIC_ATTACH_CORRUPT), "corrupt");
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_attach_store_then_present),
		T(test_attach_describe_equals_store),
		T(test_attach_describe_stores_nothing),
		T(test_attach_empty_file),
		T(test_attach_store_twice_is_harmless),
		T(test_attach_missing),
		T(test_attach_corrupt_size),
		T(test_attach_corrupt_same_size_needs_rehash),
		T(test_attach_directory_in_store_is_corrupt),
		T(test_attach_refuses_directory),
		T(test_attach_refuses_device),
		T(test_attach_refuses_fifo_without_blocking),
		T(test_attach_missing_source),
		T(test_attach_refuses_empty_or_long_name),
		T(test_attach_media_types),
		T(test_attach_path_and_state_names),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
