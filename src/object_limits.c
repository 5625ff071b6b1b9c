/* object_limits.c - size checks before inflating; see object_limits.h. */
#include "object_limits.h"
#include "error.h"

#include <libintl.h>

int civic_object_check(git_repository *repo, const git_oid *id, git_object_t type, size_t max,
		       const char *what)
{
	git_odb *odb = NULL;
	git_object_t actual;
	size_t size;
	int error;

	if ((error = git_repository_odb(&odb, repo)) == 0)
		error = git_odb_read_header(&size, &actual, odb, id);
	git_odb_free(odb);
	if (error == 0 && actual == type && size <= max)
		return 0;
	/* `what` is a literal the callers mark for translation (xgettext -k);
	 * translated on the way out only: a sync checks some 700k objects. */
	what = dgettext("civic", what);
	if (error < 0)
		return civic_error_from_git(error, "cannot read %s", what);
	if (actual != type) {
		civic_error_set(CIVIC_ERROR_GIT, "%s is a %s, not a %s", what, git_object_type2string(actual),
				git_object_type2string(type));
		return CIVIC_EINVALID;
	}
	if (size > max) {
		civic_error_set(CIVIC_ERROR_GIT, "%s is too large: %zu bytes, larger than the %zu allowed", what, size, max);
		return CIVIC_EINVALID;
	}
	return 0;
}
