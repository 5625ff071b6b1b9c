/*
 * bench_fail.h - how the benchmark programs that build archives with civic
 * and libgit2 report a failed step: one line on stderr naming the program,
 * the step and the library's reason; the caller exits 1. Define
 * BENCH_PROGRAM (its name) before including this.
 */
#ifndef CIVIC_BENCH_FAIL_H
#define CIVIC_BENCH_FAIL_H

#include <git2.h>
#include <stdio.h>

#include "error.h"

static inline int fail(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", BENCH_PROGRAM, what, civic_error_last()->message);
	return 1;
}

static inline int git_fail(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "%s: %s: %s\n", BENCH_PROGRAM, what, e ? e->message : "unknown libgit2 error");
	return 1;
}

#endif
