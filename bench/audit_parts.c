/*
 * audit_parts.c - where an audit's time goes: the work civic_audit_run()
 * does for each record, one kind at a time, each object read once.
 *
 *   audit_parts HOME
 *
 * Over the node's feeds, in feed order, with civic's settings
 * (civic_global_init: strict hash verification of every object read), and a
 * fresh git_repository for each phase so that no phase finds another's
 * objects in libgit2's cache:
 *   walk     revwalk of each feed, oldest first (ids only)
 *   commits  git_commit_lookup of every commit
 *   extract  git_commit_extract_signature of every commit (reads it again)
 *   sshsig   civic_verify over what extract gave (armor, SHA-512, ed25519)
 *   trees    the 5 trees on every record's path: the root, records/,
 *            records/AA/, records/AA/BB/ and records/AA/BB/CC/
 *   blobs    every record blob
 *   json     civic_record_parse of every record
 *   schema   civic_schemas_validate of every record
 * The sum is what an audit doing these checks costs if it reads each object
 * once; the difference to civic_audit_run is what it spends on reading
 * objects again, comparing trees, and bookkeeping.
 *
 * Prints key=value lines (seconds) for bench/run.sh.
 */
#include <git2.h>

#include "bench_common.h"
#include "civic.h"
#include "error.h"
#include "feed.h"
#include "node.h"
#include "schema_store.h"
#include "sign.h"

typedef struct {
	git_oid id, tree, blob;
	uint64_t seq;
	char *data, *sig; /* signed bytes and armor, from extract */
	size_t data_len, sig_len;
	char *record;
	size_t record_len;
} rec;

static git_repository *open_repo(const char *home)
{
	char path[4096];
	git_repository *repo = NULL;

	snprintf(path, sizeof path, "%s/archive.git", home);
	if (git_repository_open_bare(&repo, path) < 0) {
		fprintf(stderr, "audit_parts: cannot open %s\n", path);
		exit(1);
	}
	return repo;
}

static void die_git(const char *what) __attribute__((noreturn));
static void die_git(const char *what)
{
	const git_error *e = git_error_last();

	fprintf(stderr, "audit_parts: %s: %s\n", what, e ? e->message : "failed");
	exit(1);
}

static rec *walk(size_t *count, const char *home)
{
	git_repository *repo = open_repo(home);
	git_reference_iterator *it = NULL;
	git_reference *ref;
	rec *recs = NULL;
	size_t alloc = 0;
	int error;

	*count = 0;
	if (git_reference_iterator_glob_new(&it, repo, CIVIC_FEED_REF_PREFIX "*") < 0)
		die_git("refs");
	while ((error = git_reference_next(&ref, it)) == 0) {
		git_revwalk *w = NULL;
		git_oid id;

		if (git_revwalk_new(&w, repo) < 0 ||
		    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
		    git_revwalk_push(w, git_reference_target(ref)) < 0)
			die_git("revwalk");
		while (git_revwalk_next(&id, w) == 0) {
			if (*count == alloc) {
				alloc = alloc ? alloc * 2 : 1024;
				if (!(recs = realloc(recs, alloc * sizeof *recs)))
					exit(1);
			}
			memset(&recs[*count], 0, sizeof *recs);
			recs[(*count)++].id = id;
		}
		git_revwalk_free(w);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	git_repository_free(repo);
	return recs;
}

int main(int argc, char **argv)
{
	civic_schemas *schemas = NULL;
	git_repository *repo;
	rec *recs;
	size_t n, i;
	double t0, t_walk, t_commits, t_extract, t_sshsig, t_trees, t_blobs, t_json = 0, t_schema = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: audit_parts HOME\n");
		return 2;
	}
	if (civic_global_init() < 0 || civic_schemas_new(&schemas) < 0) {
		fprintf(stderr, "audit_parts: %s\n", civic_error_last()->message);
		return 1;
	}

	t0 = bench_now();
	recs = walk(&n, argv[1]);
	t_walk = bench_now() - t0;

	repo = open_repo(argv[1]);
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		git_commit *c;
		uint64_t seq = 0;
		const char *s;

		if (git_commit_lookup(&c, repo, &recs[i].id) < 0)
			die_git("commit");
		recs[i].tree = *git_commit_tree_id(c);
		/* the seq, for the record path (not timed separately: trivial) */
		if ((s = strstr(git_commit_message(c), "Civic-Seq: ")))
			seq = strtoull(s + 11, NULL, 10);
		recs[i].seq = seq;
		git_commit_free(c);
	}
	t_commits = bench_now() - t0;
	git_repository_free(repo);

	repo = open_repo(argv[1]);
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;

		if (git_commit_extract_signature(&sig, &data, repo, &recs[i].id, "gpgsig") < 0)
			die_git("extract");
		recs[i].data = malloc(data.size + 1);
		recs[i].sig = malloc(sig.size + 1);
		if (!recs[i].data || !recs[i].sig)
			exit(1);
		memcpy(recs[i].data, data.ptr, data.size);
		memcpy(recs[i].sig, sig.ptr, sig.size);
		recs[i].data_len = data.size;
		recs[i].sig_len = sig.size;
		git_buf_dispose(&sig);
		git_buf_dispose(&data);
	}
	t_extract = bench_now() - t0;
	git_repository_free(repo);

	t0 = bench_now();
	for (i = 0; i < n; i++)
		if (civic_verify(NULL, NULL, "git", (const uint8_t *)recs[i].data, recs[i].data_len,
				 recs[i].sig, recs[i].sig_len) < 0) {
			fprintf(stderr, "audit_parts: %s\n", civic_error_last()->message);
			return 1;
		}
	t_sshsig = bench_now() - t0;

	repo = open_repo(argv[1]);
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		char path[CIVIC_RECORD_PATH_SIZE], *p, *slash;
		git_tree *tree;

		if (civic_record_path(path, recs[i].seq) < 0 || git_tree_lookup(&tree, repo, &recs[i].tree) < 0)
			die_git("tree");
		for (p = path; (slash = strchr(p, '/')); p = slash + 1) {
			const git_tree_entry *e;
			git_tree *sub = NULL;

			*slash = '\0';
			if (!(e = git_tree_entry_byname(tree, p)) || git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0)
				die_git("subtree");
			git_tree_free(tree);
			tree = sub;
		}
		recs[i].blob = *git_tree_entry_id(git_tree_entry_byname(tree, p));
		git_tree_free(tree);
	}
	t_trees = bench_now() - t0;
	git_repository_free(repo);

	repo = open_repo(argv[1]);
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		git_blob *b;

		if (git_blob_lookup(&b, repo, &recs[i].blob) < 0)
			die_git("blob");
		recs[i].record_len = (size_t)git_blob_rawsize(b);
		if (!(recs[i].record = malloc(recs[i].record_len + 1)))
			exit(1);
		memcpy(recs[i].record, git_blob_rawcontent(b), recs[i].record_len);
		git_blob_free(b);
	}
	t_blobs = bench_now() - t0;
	git_repository_free(repo);

	for (i = 0; i < n; i++) {
		json_t *r;
		double t1;

		t0 = bench_now();
		if (civic_record_parse(&r, recs[i].record, recs[i].record_len, "record") < 0)
			goto bad;
		t1 = bench_now();
		t_json += t1 - t0;
		if (civic_schemas_validate(schemas, r) < 0)
			goto bad;
		t_schema += bench_now() - t1;
		json_decref(r);
	}

	printf("parts_records=%zu\n", n);
	printf("parts_walk_s=%.6f\n", t_walk);
	printf("parts_commits_s=%.6f\n", t_commits);
	printf("parts_extract_s=%.6f\n", t_extract);
	printf("parts_sshsig_s=%.6f\n", t_sshsig);
	printf("parts_trees_s=%.6f\n", t_trees);
	printf("parts_blobs_s=%.6f\n", t_blobs);
	printf("parts_json_s=%.6f\n", t_json);
	printf("parts_schema_s=%.6f\n", t_schema);
	for (i = 0; i < n; i++) {
		free(recs[i].data);
		free(recs[i].sig);
		free(recs[i].record);
	}
	free(recs);
	civic_schemas_free(schemas);
	civic_global_shutdown();
	return 0;
bad:
	fprintf(stderr, "audit_parts: %s\n", civic_error_last()->message);
	return 1;
}
