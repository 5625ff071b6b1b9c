/*
 * error.h - the one error convention of civic's library core.
 *
 * Every function of the core returns an int: 0 (CIVIC_OK) on success or a
 * negative civic_error_code. Before returning a negative code it stores one
 * line of text with civic_error_set(); callers pass the code up unchanged and
 * do not overwrite the message (libgit2's docs/error-handling.md). The text
 * lives in a fixed per-thread buffer so that even out-of-memory can be
 * reported. Only src/cli/ prints it.
 */
#ifndef CIVIC_ERROR_H
#define CIVIC_ERROR_H

#include <stddef.h>

typedef enum {
	CIVIC_OK = 0,
	CIVIC_ERROR = -1,     /* generic failure: I/O, out of memory, a library */
	CIVIC_ENOTFOUND = -3, /* the thing asked for does not exist */
	CIVIC_EEXISTS = -4,   /* it exists already */
	CIVIC_EINVALID = -5,  /* malformed or refused input */
	CIVIC_EBADSIG = -6,   /* a signature or hash did not verify */
	CIVIC_ECONFLICT = -7, /* a ref moved under us (compare-and-swap lost) */
	CIVIC_ELOCKED = -8,   /* another civic process holds the node */
	CIVIC_EAUTH = -9,     /* wrong passphrase */
	CIVIC_EAMBIGUOUS = -10, /* a short id matches more than one thing */
} civic_error_code;

typedef enum {
	CIVIC_ERROR_NONE = 0,
	CIVIC_ERROR_OS,
	CIVIC_ERROR_NOMEMORY,
	CIVIC_ERROR_GIT,
	CIVIC_ERROR_JSON,
	CIVIC_ERROR_SCHEMA,
	CIVIC_ERROR_KEY,
	CIVIC_ERROR_SIGN,
	CIVIC_ERROR_RECORD,
	CIVIC_ERROR_FEED,
	CIVIC_ERROR_ROSTER,
	CIVIC_ERROR_NODE,
	CIVIC_ERROR_ATTACH,
	CIVIC_ERROR_AUDIT,
	CIVIC_ERROR_SYNC,
	CIVIC_ERROR_ARGS,
} civic_error_class;

typedef struct {
	civic_error_class klass;
	char message[512];
} civic_error;

/* Sets the calling thread's error text; returns nothing so call sites can
 * write `civic_error_set(...); return CIVIC_EINVALID;`. */
void civic_error_set(civic_error_class klass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like civic_error_set(), appending ": strerror(errno)". */
void civic_error_set_os(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets the text from libgit2's last error, prefixed by what we were doing.
 * Returns a civic code that matches the libgit2 one where one exists. */
int civic_error_from_git(int git_code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Out-of-memory, without allocating. Returns CIVIC_ERROR. */
int civic_error_nomem(void);

/* The last error of this thread; never NULL (message "" when none). */
const civic_error *civic_error_last(void);
void civic_error_clear(void);

/* Check helpers, modelled on libgit2's src/util/git2_util.h. */
#define CIVIC_ERROR_CHECK_ALLOC(p) \
	do { if ((p) == NULL) return civic_error_nomem(); } while (0)

#define CIVIC_ERROR_CHECK_ALLOC_ADD(out, a, b) \
	do { if (__builtin_add_overflow((a), (b), (out))) { \
		civic_error_set(CIVIC_ERROR_NOMEMORY, "size overflow"); \
		return CIVIC_ERROR; } } while (0)

#define CIVIC_ASSERT_ARG(x) \
	do { if (!(x)) { \
		civic_error_set(CIVIC_ERROR_ARGS, "invalid argument '%s'", #x); \
		return CIVIC_EINVALID; } } while (0)

#endif
