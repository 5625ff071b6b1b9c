/* helpers.h - what every cmocka suite of civic includes first. */
#ifndef CIVIC_TEST_HELPERS_H
#define CIVIC_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Asserts that an expression returned `code`, and shows the error text when not. */
#define assert_civic(code, expr) do { \
	int civic__rc = (expr); \
	if (civic__rc != (code)) \
		print_error("%s returned %d, want %d: %s\n", #expr, civic__rc, (code), \
			    civic_error_last()->message); \
	assert_int_equal(civic__rc, (code)); \
} while (0)

#define assert_civic_ok(expr) assert_civic(0, expr)

/* A fresh directory under $TMPDIR (or /tmp), removed by test_tmpdir_remove(). */
static inline char *test_tmpdir_new(void)
{
	const char *base = getenv("TMPDIR");
	char *path = malloc(4096);
	assert_non_null(path);
	snprintf(path, 4096, "%s/civic-unit-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(path));
	return path;
}

static inline void test_tmpdir_remove(char *path)
{
	char cmd[4200];
	if (!path)
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
	free(path);
}

#endif
