/*
 * test_capture.c - the request a fetch sends, without "thin-pack"
 * (civic_capture_without_thin_pack in src/capture.h): only that
 * capability, only on the first want line, its pkt-line length mended, and
 * everything else byte for byte.
 */
#include "helpers.h"

#include "capture.h"

#define OID "0123456789abcdef0123456789abcdef01234567"

/* The pkt-line of `text`: its 4-hex length, then the text. */
static void pkt(char *out, size_t size, const char *text)
{
	int n = snprintf(out, size, "%04x%s", (unsigned)(strlen(text) + 4), text);

	assert_true(n > 0 && (size_t)n < size);
}

static void assert_stripped(const char *first_line, const char *want_line, const char *rest)
{
	char in[1024], out_want[1024], line[512];
	const char *out;
	size_t len;

	pkt(line, sizeof line, first_line);
	snprintf(in, sizeof in, "%s%s", line, rest);
	pkt(line, sizeof line, want_line);
	snprintf(out_want, sizeof out_want, "%s%s", line, rest);
	assert_int_equal(civic_capture_without_thin_pack(&out, &len, in, strlen(in)), 0);
	assert_int_equal(len, strlen(out_want));
	assert_memory_equal(out, out_want, len);
	if (out != in)
		free((char *)out);
}

static void test_thin_pack_is_taken_out_of_the_first_want(void **state)
{
	const char *rest = "0032want " OID "\n" "0032have " OID "\n" "0000";

	(void)state;
	assert_stripped("want " OID " multi_ack_detailed side-band-64k thin-pack ofs-delta\n",
			"want " OID " multi_ack_detailed side-band-64k ofs-delta\n", rest);
	/* last of the line */
	assert_stripped("want " OID " ofs-delta thin-pack\n", "want " OID " ofs-delta\n", "0000");
	/* first of the line */
	assert_stripped("want " OID " thin-pack include-tag\n", "want " OID " include-tag\n", "");
}

static void test_other_requests_pass_as_they_are(void **state)
{
	static const char *const same[] = {
		"0032have " OID "\n",                                  /* not a want */
		"003fwant " OID " ofs-delta side-band\n",              /* no thin-pack */
		"0040want " OID " thin-packs side-band\n",             /* another word */
		"zzzzwant " OID " thin-pack\n",                         /* not a length */
		"0fffwant " OID " thin-pack\n",                         /* longer than the buffer */
		"0009done\n",
		"",
	};
	const char *out;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof same / sizeof *same; i++) {
		assert_int_equal(civic_capture_without_thin_pack(&out, &len, same[i], strlen(same[i])), 0);
		assert_ptr_equal(out, same[i]);
		assert_int_equal(len, strlen(same[i]));
	}
}

static void test_only_the_first_line_is_read(void **state)
{
	char in[512], first[256];
	const char *out;
	size_t len;

	(void)state;
	/* thin-pack on a second want line is not a capability: left alone. */
	pkt(first, sizeof first, "want " OID " ofs-delta\n");
	snprintf(in, sizeof in, "%s0041want %s thin-pack\n", first, OID);
	assert_int_equal(civic_capture_without_thin_pack(&out, &len, in, strlen(in)), 0);
	assert_ptr_equal(out, in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thin_pack_is_taken_out_of_the_first_want),
		cmocka_unit_test(test_other_requests_pass_as_they_are),
		cmocka_unit_test(test_only_the_first_line_is_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
