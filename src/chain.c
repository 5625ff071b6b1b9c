/* chain.c - collecting a single-parent chain of commits; see chain.h. */
#include "chain.h"
#include "error.h"
#include "object_limits.h"
#include "oidset.h"

#include <stdlib.h>
#include <string.h>

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

/* The parents a commit's raw bytes name: the "parent" lines right after
 * its "tree" line, where git writes them and libgit2 reads them; cheaper
 * than git_commit_lookup(), which parses and copies the whole commit, on a
 * walk of 100k commits. Only where the chain goes is decided here: every
 * commit is then checked with libgit2's own parser, and one whose parent
 * reads otherwise there is refused. */
static int raw_parents(unsigned int *parents, git_oid *first, const char *p, size_t size)
{
	const char *end = p + size;

	*parents = 0;
	if (size < 46 || memcmp(p, "tree ", 5) || p[45] != '\n') {
		civic_error_set(CIVIC_ERROR_GIT, "a commit of the chain does not begin with its tree");
		return CIVIC_EINVALID;
	}
	for (p += 46; end - p >= 48 && !memcmp(p, "parent ", 7) && p[47] == '\n'; p += 48) {
		if (*parents == 0 && git_oid_fromstrn(first, p + 7, GIT_OID_HEXSZ) < 0) {
			civic_error_set(CIVIC_ERROR_GIT, "a commit of the chain names a parent that is not an id");
			return CIVIC_EINVALID;
		}
		++*parents;
	}
	return 0;
}

/* Reads one commit of a chain, size-checked; *parents and *parent (the
 * first) say where the chain goes on. More than max_parents is refused. */
static int step(unsigned int *parents, git_oid *parent, git_repository *repo, git_odb *odb, const git_oid *id,
		unsigned int max_parents)
{
	git_odb_object *obj = NULL;
	int error;

	if ((error = civic_object_check(repo, id, GIT_OBJECT_COMMIT, CIVIC_COMMIT_MAX_SIZE, "a commit")) < 0)
		return error;
	if ((error = git_odb_read(&obj, odb, id)) < 0)
		return civic_error_from_git(error, "cannot read a commit");
	if ((error = raw_parents(parents, parent, git_odb_object_data(obj), git_odb_object_size(obj))) == 0 &&
	    *parents > max_parents) {
		civic_error_set(CIVIC_ERROR_GIT, "a commit of the chain has %u parents", *parents);
		error = CIVIC_EINVALID;
	}
	git_odb_object_free(obj);
	return error;
}

/* Where a walk ends early, and what it may cross. */
typedef struct {
	const git_oid *stop;        /* stop before this commit (may be NULL) */
	const civic_oidset *known;  /* or before any of these; *reached_at receives it */
	git_oid *reached_at;
	size_t max;
	int max_is_error;
	unsigned int max_parents;   /* 1 for a chain; 2 lets a walk go on by first parents */
} walk_limits;

static int stops_at(const walk_limits *lim, const git_oid *id)
{
	if (lim->stop && git_oid_equal(id, lim->stop))
		return 1;
	if (lim->known && civic_oidset_has(lim->known, id)) {
		git_oid_cpy(lim->reached_at, id);
		return 1;
	}
	return 0;
}

/* Walks back from head by first parents, at most lim->max commits. */
static int collect(git_oid **out, size_t *count, int *reached, git_repository *repo,
		   const git_oid *head, const walk_limits *lim)
{
	git_oid *ids = NULL, cur = *head;
	size_t n = 0, alloc = 0;
	unsigned int parents = 1;
	git_odb *odb = NULL;
	int error = git_repository_odb(&odb, repo);

	*reached = 0;
	if (error < 0)
		return civic_error_from_git(error, "cannot open the object database");
	while (error == 0 && parents > 0) {
		if (stops_at(lim, &cur)) {
			*reached = 1;
			break;
		}
		if (n == lim->max) {
			if (!lim->max_is_error)
				break;
			civic_error_set(CIVIC_ERROR_GIT, "the chain is longer than %zu commits", lim->max);
			error = CIVIC_EINVALID;
			break;
		}
		if ((error = push(&ids, &n, &alloc, &cur)) < 0)
			break;
		error = step(&parents, &cur, repo, odb, &cur, lim->max_parents);
	}
	git_odb_free(odb);
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
	walk_limits lim = { NULL, NULL, NULL, max, 1, 1 };
	int reached;

	return collect(out, count, &reached, repo, head, &lim);
}

int civic_chain_collect_until(git_oid **out, size_t *count, int *reached, git_repository *repo,
			      const git_oid *head, const git_oid *stop, size_t max)
{
	walk_limits lim = { stop, NULL, NULL, max, 0, 1 };

	return collect(out, count, reached, repo, head, &lim);
}

int civic_chain_collect_first_parents(git_oid **out, size_t *count, int *reached, git_oid *reached_at,
				      git_repository *repo, const git_oid *head, const civic_oidset *known,
				      size_t max)
{
	walk_limits lim = { NULL, known, reached_at, max, 1, 2 };

	return collect(out, count, reached, repo, head, &lim);
}
