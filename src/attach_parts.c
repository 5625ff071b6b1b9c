/* attach_parts.c - the parts of an attachment batch; see attach_parts.h. */
#include "attach_parts.h"
#include "attach_git.h"
#include "error.h"
#include "object_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SEGMENT 32

/* One chunk of a batch, where the batch tree has it. */
typedef struct {
	const char *sha;   /* borrowed from the batch tree */
	const char *name;  /* borrowed from the attachment's chunk tree */
	git_oid blob;
} chunk;

typedef struct {
	chunk *list;
	size_t count;
	git_tree **trees;  /* the chunk trees the names are borrowed from */
	size_t ntrees;
} chunk_list;

static void chunks_dispose(chunk_list *c)
{
	size_t i;

	for (i = 0; i < c->ntrees; i++)
		git_tree_free(c->trees[i]);
	free(c->trees);
	free(c->list);
	memset(c, 0, sizeof *c);
}

/* The chunks of the batch tree in order, up to `max`, as far as its
 * chunk trees are there (when writing, all are). */
static int list_chunks(chunk_list *out, git_repository *repo, const git_tree *tree, size_t max)
{
	size_t n = git_tree_entrycount(tree), i, j;

	memset(out, 0, sizeof *out);
	if (!(out->list = calloc(max ? max : 1, sizeof *out->list)) || !(out->trees = calloc(n ? n : 1, sizeof *out->trees)))
		return civic_error_nomem();
	for (i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_tree *t = NULL;
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE ||
		    civic_object_check(repo, git_tree_entry_id(e), GIT_OBJECT_TREE, (max + 1) * CIVIC_ATTACH_CHUNK_ENTRY_MAX,
				       "a chunk list") < 0 ||
		    git_tree_lookup(&t, repo, git_tree_entry_id(e)) < 0)
			break;
		out->trees[out->ntrees++] = t;
		for (j = 0; j < git_tree_entrycount(t) && out->count < max; j++) {
			const git_tree_entry *c = git_tree_entry_byindex(t, j);
			out->list[out->count].sha = git_tree_entry_name(e);
			out->list[out->count].name = git_tree_entry_name(c);
			out->list[out->count++].blob = *git_tree_entry_id(c);
		}
	}
	git_error_clear();
	civic_error_clear();
	return 0;
}

static size_t segment_size(size_t chunks)
{
	size_t s = (chunks + CIVIC_ATTACH_MAX_SEGMENTS - 1) / CIVIC_ATTACH_MAX_SEGMENTS;

	return s < MIN_SEGMENT ? MIN_SEGMENT : s;
}

/* A segment's tree as it grows, chunk by chunk. */
typedef struct {
	git_treebuilder *outer, *inner;
	const char *sha;
} growing;

static void growing_dispose(growing *g)
{
	git_treebuilder_free(g->outer);
	git_treebuilder_free(g->inner);
	memset(g, 0, sizeof *g);
}

/* Adds c; *tree receives the tree of the segment's chunks so far. */
static int grow_tree(git_oid *tree, growing *g, git_repository *repo, const chunk *c)
{
	git_oid inner;
	int error = 0;

	if (!g->outer)
		error = git_treebuilder_new(&g->outer, repo, NULL);
	if (error == 0 && (!g->inner || strcmp(g->sha, c->sha))) {
		git_treebuilder_free(g->inner);
		g->inner = NULL;
		g->sha = c->sha;
		error = git_treebuilder_new(&g->inner, repo, NULL);
	}
	if (error == 0 && (error = git_treebuilder_insert(NULL, g->inner, c->name, &c->blob, GIT_FILEMODE_BLOB)) == 0 &&
	    (error = git_treebuilder_write(&inner, g->inner)) == 0 &&
	    (error = git_treebuilder_insert(NULL, g->outer, c->sha, &inner, GIT_FILEMODE_TREE)) == 0)
		error = git_treebuilder_write(tree, g->outer);
	return error;
}

int civic_attach_parts_write(git_oid tips[CIVIC_ATTACH_MAX_SEGMENTS], size_t *ntips, git_repository *repo,
			     const git_tree *tree, const git_signature *sig, const git_oid *record)
{
	char hex[GIT_OID_HEXSZ + 1], message[160];
	size_t max = 0, i, seg;
	chunk_list c;
	int error;

	*ntips = 0;
	for (i = 0; i < git_tree_entrycount(tree); i++) {
		git_tree *t = NULL;
		if (git_tree_lookup(&t, repo, git_tree_entry_id(git_tree_entry_byindex(tree, i))) == 0)
			max += git_tree_entrycount(t);
		git_tree_free(t);
	}
	if ((error = list_chunks(&c, repo, tree, max)) < 0)
		return error;
	seg = segment_size(c.count);
	git_oid_tostr(hex, sizeof hex, record);
	for (i = 0; i < c.count && error == 0; i += seg) {
		git_commit *parent = NULL;
		growing g = { NULL, NULL, NULL };
		size_t k;
		for (k = i; k < c.count && k < i + seg && error == 0; k++) {
			git_tree *t = NULL;
			git_oid tid;
			snprintf(message, sizeof message, "civic: part %zu of %zu of the attachments of record %s\n", k + 1,
				 c.count, hex);
			if ((error = grow_tree(&tid, &g, repo, &c.list[k])) == 0 && (error = git_tree_lookup(&t, repo, &tid)) == 0 &&
			    (error = git_commit_create(&tips[*ntips], repo, NULL, sig, sig, NULL, message, t, parent ? 1 : 0,
						       (const git_commit **)&parent)) == 0) {
				git_commit_free(parent);
				parent = NULL;
				error = git_commit_lookup(&parent, repo, &tips[*ntips]);
			}
			git_tree_free(t);
		}
		git_commit_free(parent);
		growing_dispose(&g);
		(*ntips)++;
	}
	chunks_dispose(&c);
	return error < 0 ? civic_error_from_git(error, "cannot write the parts of an attachment batch") : 0;
}

/* The parts of one segment, first to last, from its last (`tip`): 1 when
 * there are exactly `len` commits, each with one parent but the first; 0
 * when one is not here (yet); -1 when they are shaped otherwise. */
static int segment_chain(git_oid *ids, git_repository *repo, const git_oid *tip, size_t len)
{
	git_oid at = *tip;
	size_t got = 0;
	int more = 1;

	while (more && got < len) {
		git_commit *c = NULL;
		int here, shaped;
		ids[len - 1 - got] = at;
		here = civic_object_check(repo, &at, GIT_OBJECT_COMMIT, CIVIC_COMMIT_MAX_SIZE, "a part") == 0 &&
		       git_commit_lookup(&c, repo, &at) == 0;
		shaped = here && git_commit_parentcount(c) <= 1;
		more = shaped && git_commit_parentcount(c) == 1;
		if (more)
			at = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		if (!here)
			return 0;
		if (!shaped)
			return -1;
		got++;
	}
	return got == len && !more ? 1 : -1;
}

/* How many first parts of a segment are whole. */
static size_t segment_held(git_repository *repo, git_odb *odb, const git_oid *chain, const chunk_list *c, size_t from,
			   size_t len)
{
	growing g = { NULL, NULL, NULL };
	size_t s;

	for (s = 0; s < len && from + s < c->count; s++) {
		git_commit *part = NULL;
		git_oid tree;
		int ok = git_odb_exists(odb, &c->list[from + s].blob) &&
			 grow_tree(&tree, &g, repo, &c->list[from + s]) == 0 &&
			 git_commit_lookup(&part, repo, &chain[s]) == 0 && git_oid_equal(&tree, git_commit_tree_id(part));
		git_commit_free(part);
		if (!ok)
			break;
	}
	growing_dispose(&g);
	return s;
}

int civic_attach_parts_held(git_oid tips[CIVIC_ATTACH_MAX_SEGMENTS], size_t *ntips, size_t *held,
			    git_repository *repo, const git_oid *commit, size_t chunks)
{
	size_t seg = segment_size(chunks), nseg = (chunks + seg - 1) / seg, j;
	git_oid *chain = calloc(seg, sizeof *chain);
	git_commit *batch = NULL;
	git_tree *tree = NULL;
	git_odb *odb = NULL;
	chunk_list c = { NULL, 0, NULL, 0 };
	int error = 0;

	*ntips = *held = 0;
	if (!chain)
		return civic_error_nomem();
	if (civic_object_check(repo, commit, GIT_OBJECT_COMMIT, CIVIC_COMMIT_MAX_SIZE, "an attachment batch") < 0 ||
	    git_commit_lookup(&batch, repo, commit) < 0 || git_commit_parentcount(batch) != nseg ||
	    civic_object_check(repo, git_commit_tree_id(batch), GIT_OBJECT_TREE, CIVIC_ATTACH_BATCH_TREE_MAX,
			       "an attachment batch's list") < 0 ||
	    git_commit_tree(&tree, batch) < 0 || git_repository_odb(&odb, repo) < 0)
		goto done;
	if ((error = list_chunks(&c, repo, tree, chunks)) < 0)
		goto done;
	for (j = 0; j < nseg; j++) {
		size_t from = j * seg, len = chunks - from < seg ? chunks - from : seg, k;
		int shape = segment_chain(chain, repo, git_commit_parent_id(batch, (unsigned int)j), len);
		if (shape < 0) {
			/* Not the parts of a batch of this record: nothing of it counts. */
			*ntips = *held = 0;
			break;
		}
		if (shape == 0 || (k = segment_held(repo, odb, chain, &c, from, len)) == 0)
			continue;
		tips[(*ntips)++] = chain[k - 1];
		*held += k;
	}
done:
	chunks_dispose(&c);
	git_odb_free(odb);
	git_tree_free(tree);
	git_commit_free(batch);
	free(chain);
	if (error == 0) {
		/* What is missing or misshapen holds nothing; that is no error. */
		git_error_clear();
		civic_error_clear();
	}
	return error;
}
