/* text.c - checks on short texts; see text.h. */
#include "text.h"
#include "error.h"

#include <jansson.h>
#include <libintl.h>
#include <string.h>

int civic_text_check_name(const char *text, size_t max_bytes, const char *what)
{
	size_t len = strlen(text), i;
	json_t *probe;

	what = dgettext("civic", what);
	if (len == 0 || len > max_bytes) {
		civic_error_set(CIVIC_ERROR_ARGS, "%s must be 1 to %zu bytes long", what, max_bytes);
		return CIVIC_EINVALID;
	}
	/* jansson refuses invalid and overlong UTF-8 and surrogates. */
	if (!(probe = json_stringn(text, len))) {
		civic_error_set(CIVIC_ERROR_ARGS, "%s is not valid UTF-8", what);
		return CIVIC_EINVALID;
	}
	json_decref(probe);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f || c == '<' || c == '>') {
			civic_error_set(CIVIC_ERROR_ARGS, "%s holds a control character or '<' '>'", what);
			return CIVIC_EINVALID;
		}
	}
	return 0;
}

int civic_text_is_utf8(const char *text)
{
	json_t *probe = json_stringn(text, strlen(text));

	json_decref(probe);
	return probe != NULL;
}
