/* error.c - per-thread error text; see error.h for the convention. */
#include "error.h"

#include <errno.h>
#include <git2.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local civic_error last_error;

/* Messages are translated here, once, from their English format strings
 * (xgettext extracts them from the civic_error_set* calls: see po/). */
/* A message cut at the buffer's end is cut before a whole UTF-8
 * character: it is shown, saved in JSON (peers.json), and sent on. */
static void trim_utf8(char *msg)
{
	size_t n = strlen(msg), start = n;

	while (start > 0 && ((unsigned char)msg[start - 1] & 0xc0) == 0x80)
		start--;
	if (start > 0 && ((unsigned char)msg[start - 1] & 0x80)) {
		unsigned char lead = (unsigned char)msg[start - 1];
		size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
		if (n - (start - 1) < want)
			msg[start - 1] = '\0';
	}
}

static void set_v(civic_error_class klass, const char *fmt, va_list ap)
{
	last_error.klass = klass;
	vsnprintf(last_error.message, sizeof last_error.message, dgettext("civic", fmt), ap);
	trim_utf8(last_error.message);
}

void civic_error_set(civic_error_class klass, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(klass, fmt, ap);
	va_end(ap);
}

static void append(const char *suffix)
{
	size_t used = strlen(last_error.message);
	if (used < sizeof last_error.message - 1)
		snprintf(last_error.message + used, sizeof last_error.message - used, ": %s", suffix);
	trim_utf8(last_error.message);
}

void civic_error_set_os(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	set_v(CIVIC_ERROR_OS, fmt, ap);
	va_end(ap);
	append(strerror(saved));
}

int civic_error_from_git(int git_code, const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	va_list ap;
	va_start(ap, fmt);
	set_v(CIVIC_ERROR_GIT, fmt, ap);
	va_end(ap);
	if (ge && ge->message)
		append(ge->message);
	switch (git_code) {
	case GIT_ENOTFOUND: return CIVIC_ENOTFOUND;
	case GIT_EEXISTS: return CIVIC_EEXISTS;
	case GIT_EMODIFIED: return CIVIC_ECONFLICT;
	case GIT_ELOCKED: return CIVIC_ELOCKED;
	case GIT_EAMBIGUOUS: return CIVIC_EAMBIGUOUS;
	default: return CIVIC_ERROR;
	}
}

int civic_error_nomem(void)
{
	last_error.klass = CIVIC_ERROR_NOMEMORY;
	snprintf(last_error.message, sizeof last_error.message, "out of memory");
	return CIVIC_ERROR;
}

const civic_error *civic_error_last(void)
{
	return &last_error;
}

void civic_error_clear(void)
{
	last_error.klass = CIVIC_ERROR_NONE;
	last_error.message[0] = '\0';
}
