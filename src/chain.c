/* chain.c - collecting a single-parent chain of commits; see chain.h. */
#include "chain.h"
#include "error.h"
#include "object_limits.h"

#include <stdlib.h>

static int push(git_oid **ids, size_t *n, size_t *alloc, const git_oid *id)
{
	if (*n == *alloc) {
		size_t want = *alloc ? *alloc * 2 : 64;
		git_oid *p = realloc(*ids, want * sizeof *p);
		CIVIC_ERROR_CHECK_ALLOC(p);
		*ids = p;
		*alloc = want;
	}
	(*ids)[(*n)++] = *id;
	return 0;
}

static void reverse(git_oid *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		git_oid t = ids[i];
		ids[i] = ids[n - 1 - i];
		ids[n - 1 - i] = t;
	}
}

/* Reads one commit of a chain, size-checked; *parents and *parent say where
 * the chain goes on. */
static int step(unsigned int *parents, git_oid *parent, git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	int error;

	if ((error = civic_object_check(repo, id, GIT_OBJECT_COMMIT, CIVIC_COMMIT_MAX_SIZE, "a commit")) < 0)
		return error;
	if ((error = git_commit_lookup(&c, repo, id)) < 0)
		return civic_error_from_git(error, "cannot read a commit");
	if ((*parents = git_commit_parentcount(c)) > 1) {
		civic_error_set(CIVIC_ERROR_GIT, "a commit of the chain has %u parents", *parents);
		error = CIVIC_EINVALID;
	} else if (*parents == 1) {
		*parent = *git_commit_parent_id(c, 0);
	}
	git_commit_free(c);
	return error;
}

/* Walks back from head, at most max commits, stopping before `stop`. */
static int collect(git_oid **out, size_t *count, int *reached, git_repository *repo,
		   const git_oid *head, const git_oid *stop, size_t max, int max_is_error)
{
	git_oid *ids = NULL, cur = *head;
	size_t n = 0, alloc = 0;
	unsigned int parents = 1;
	int error = 0;

	*reached = 0;
	while (error == 0 && parents == 1) {
		if (stop && git_oid_equal(&cur, stop)) {
			*reached = 1;
			break;
		}
		if (n == max) {
			if (!max_is_error)
				break;
			civic_error_set(CIVIC_ERROR_GIT, "the chain is longer than %zu commits", max);
			error = CIVIC_EINVALID;
			break;
		}
		if ((error = push(&ids, &n, &alloc, &cur)) < 0)
			break;
		error = step(&parents, &cur, repo, &cur);
	}
	if (error < 0) {
		free(ids);
		return error;
	}
	reverse(ids, n);
	*out = ids;
	*count = n;
	return 0;
}

int civic_chain_collect(git_oid **out, size_t *count, git_repository *repo, const git_oid *head,
			size_t max)
{
	int reached;

	return collect(out, count, &reached, repo, head, NULL, max, 1);
}

int civic_chain_collect_until(git_oid **out, size_t *count, int *reached, git_repository *repo,
			      const git_oid *head, const git_oid *stop, size_t max)
{
	return collect(out, count, reached, repo, head, stop, max, 0);
}
