/*
 * fixtures.h - set-up shared by the library suites: files, bare repositories,
 * records, and signed commits made by hand, so that a verifier can be fed
 * exactly the one defect a test is about. Header-only (static inline).
 *
 * Include after helpers.h. Every helper asserts on failure, so tests read as
 * a list of steps.
 */
#ifndef CIVIC_TEST_FIXTURES_H
#define CIVIC_TEST_FIXTURES_H

#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <jansson.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "buf.h"
#include "civic.h"
#include "key.h"
#include "sign.h"
#include "signed_commit.h"

/* A network id for suites that need one but no roster. */
#define FX_NETWORK "4a1f0c5e9b2d7e3a6c8f1b0d2e4a6c8e0f1a2b3c"

/* -------------------------------------------------------------------------
 * Files
 */

static inline void fx_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);
	assert_true(n > 0 && (size_t)n < size);
}

static inline void fx_write_file(const char *path, const void *data, size_t len)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline void fx_write_text(const char *path, const char *text)
{
	fx_write_file(path, text, strlen(text));
}

/* The whole file, NUL-terminated; caller frees. */
static inline char *fx_read_file(const char *path, size_t *len)
{
	civic_buf b = CIVIC_BUF_INIT;
	char *p;

	assert_civic_ok(civic_buf_read_file(&b, path, 1 << 26));
	if (len)
		*len = b.size;
	p = civic_buf_detach(&b);
	assert_non_null(p);
	return p;
}

/* How many entries of dir start with prefix ("" counts all but . and ..). */
static inline size_t fx_count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			n++;
	}
	closedir(d);
	return n;
}

static inline mode_t fx_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode;
}

/*
 * Runs fn(arg) in a child process that is killed after `seconds`; returns
 * fn's result (0..255), or -1 when the child did not finish in time. For
 * calls that must not block (a FIFO opened for reading blocks until a
 * writer comes, forever in a test) and for what only another process can
 * show (a lock). The child hands its result through a pipe and then kills
 * itself, so that no exit handler runs in it: neither cmocka's, nor the leak
 * checks of valgrind or LeakSanitizer over the memory it shares with the
 * test that forked it.
 */
static inline int fx_run_with_timeout(int (*fn)(void *), void *arg, unsigned int seconds)
{
	int status = 0, fds[2];
	unsigned char result = 0;
	ssize_t got;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		alarm(seconds);
		result = (unsigned char)(fn(arg) & 0xff);
		if (write(fds[1], &result, 1) != 1)
			_exit(127);
		raise(SIGKILL);
		_exit(127);
	}
	close(fds[1]);
	do
		got = read(fds[0], &result, 1);
	while (got < 0 && errno == EINTR);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (got == 1)
		return result;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGALRM);
	return -1;
}

/* -------------------------------------------------------------------------
 * Process set-up
 */

static inline void fx_global_init(void)
{
	assert_civic_ok(civic_global_init());
}

static inline void fx_global_shutdown(void)
{
	civic_global_shutdown();
}

/* -------------------------------------------------------------------------
 * Records
 */

/* A valid minutes record (new reference). */
static inline json_t *fx_minutes(const char *title)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kind", "minutes",
			      "visibility", "public", "title", title, "date", "2014-12-12",
			      "meeting_type", "information-meeting", "municipality", "kyustendil",
			      "body", "Информационна среща на мрежата в Кюстендил.");
	assert_non_null(r);
	return r;
}

/* Its canonical bytes, as civic_feed_append stores them; caller frees. */
static inline char *fx_minutes_text(const char *title, size_t *len)
{
	civic_buf b = CIVIC_BUF_INIT;
	char *text = NULL;
	json_t *r = fx_minutes(title);

	text = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);
	assert_non_null(text);
	assert_civic_ok(civic_buf_puts(&b, text));
	assert_civic_ok(civic_buf_putc(&b, '\n'));
	free(text);
	json_decref(r);
	*len = b.size;
	return civic_buf_detach(&b);
}

/* -------------------------------------------------------------------------
 * Repositories, trees and commits
 */

#define assert_git_ok(expr) do { \
	int fx__rc = (expr); \
	if (fx__rc < 0) \
		print_error("%s returned %d: %s\n", #expr, fx__rc, \
			    git_error_last() ? git_error_last()->message : "(no message)"); \
	assert_int_equal(fx__rc, 0); \
} while (0)

/* A new bare repository at dir/name. */
static inline git_repository *fx_repo_new(const char *dir, const char *name)
{
	char path[4200];
	git_repository *repo = NULL;

	fx_path(path, sizeof path, dir, name);
	assert_git_ok(git_repository_init(&repo, path, 1));
	return repo;
}

static inline git_repository *fx_repo_open(git_repository *like)
{
	git_repository *repo = NULL;

	assert_git_ok(git_repository_open_bare(&repo, git_repository_path(like)));
	return repo;
}

/* Number of objects in the repository's object database. */
static inline int fx__count_cb(const git_oid *id, void *payload)
{
	(void)id;
	(*(size_t *)payload)++;
	return 0;
}

static inline size_t fx_count_objects(git_repository *repo)
{
	git_odb *odb = NULL;
	size_t n = 0;

	assert_git_ok(git_repository_odb(&odb, repo));
	assert_git_ok(git_odb_foreach(odb, fx__count_cb, &n));
	git_odb_free(odb);
	return n;
}

static inline void fx_blob(git_oid *out, git_repository *repo, const void *data, size_t len)
{
	assert_git_ok(git_blob_create_from_buffer(out, repo, data, len));
}

/* The tree of a commit. */
static inline void fx_commit_tree(git_oid *out, git_repository *repo, const git_oid *commit_id)
{
	git_commit *c = NULL;

	assert_git_ok(git_commit_lookup(&c, repo, commit_id));
	git_oid_cpy(out, git_commit_tree_id(c));
	git_commit_free(c);
}

/* base (NULL: empty) with data stored at path, as a file of the given mode. */
static inline void fx_tree_put(git_oid *out, git_repository *repo, const git_oid *base_id,
			       const char *path, const void *data, size_t len, git_filemode_t mode)
{
	git_tree *base = NULL;
	git_tree_update up;

	memset(&up, 0, sizeof up);
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.filemode = mode;
	up.path = path;
	fx_blob(&up.id, repo, data, len);
	if (base_id)
		assert_git_ok(git_tree_lookup(&base, repo, base_id));
	assert_git_ok(git_tree_create_updated(out, repo, base, 1, &up));
	git_tree_free(base);
}

/* base with the entry at path (file or directory) replaced by an existing tree. */
static inline void fx_tree_put_tree(git_oid *out, git_repository *repo, const git_oid *base_id,
				    const char *path, const git_oid *tree_id)
{
	git_tree *base = NULL;
	git_tree_update up;

	memset(&up, 0, sizeof up);
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.filemode = GIT_FILEMODE_TREE;
	up.path = path;
	git_oid_cpy(&up.id, tree_id);
	if (base_id)
		assert_git_ok(git_tree_lookup(&base, repo, base_id));
	assert_git_ok(git_tree_create_updated(out, repo, base, 1, &up));
	git_tree_free(base);
}

/* base without the file at path. */
static inline void fx_tree_remove(git_oid *out, git_repository *repo, const git_oid *base_id,
				  const char *path)
{
	git_tree *base = NULL;
	git_tree_update up;

	memset(&up, 0, sizeof up);
	up.action = GIT_TREE_UPDATE_REMOVE;
	up.path = path;
	assert_git_ok(git_tree_lookup(&base, repo, base_id));
	assert_git_ok(git_tree_create_updated(out, repo, base, 1, &up));
	git_tree_free(base);
}

/* "<hex>@civic", the email civic puts in commits. */
static inline void fx_email(char *out, size_t size, const civic_key *key)
{
	civic_buf b = CIVIC_BUF_INIT;

	assert_civic_ok(civic_commit_email(&b, civic_key_public(key)));
	assert_true(b.size < size);
	memcpy(out, b.ptr, b.size + 1);
	civic_buf_dispose(&b);
}

/*
 * How to make one commit by hand. Fields left 0/NULL take the defaults: the
 * author and committer email is the signer's, the name "Test", the commit is
 * signed over its own bytes by `signer` (NULL: unsigned).
 */
typedef struct {
	const civic_key *signer;       /* NULL: no gpgsig header */
	const char *name;              /* default "Test" */
	const char *author_email;      /* default: the signer's (or "nobody@civic") */
	const char *committer_email;   /* default: author_email */
	const git_oid *tree;           /* required */
	const git_oid *parents;        /* array of nparents */
	size_t nparents;
	const char *message;           /* required */
	const char *sign_other;        /* sign these bytes instead of the commit's own */
} fx_commit_spec;

static inline void fx_commit(git_oid *out, git_repository *repo, const fx_commit_spec *s)
{
	char email[128];
	const char *author_email = s->author_email, *committer_email;
	git_signature *author = NULL, *committer = NULL;
	git_buf content = GIT_BUF_INIT;
	civic_buf sig = CIVIC_BUF_INIT;
	const git_commit *parents[4] = { NULL };
	git_tree *tree = NULL;
	size_t i;

	assert_true(s->nparents <= 4);
	if (!author_email) {
		if (s->signer) {
			fx_email(email, sizeof email, s->signer);
			author_email = email;
		} else {
			author_email = "nobody@civic";
		}
	}
	committer_email = s->committer_email ? s->committer_email : author_email;
	assert_git_ok(git_signature_now(&author, s->name ? s->name : "Test", author_email));
	assert_git_ok(git_signature_now(&committer, s->name ? s->name : "Test", committer_email));
	assert_git_ok(git_tree_lookup(&tree, repo, s->tree));
	for (i = 0; i < s->nparents; i++)
		assert_git_ok(git_commit_lookup((git_commit **)&parents[i], repo, &s->parents[i]));
	assert_git_ok(git_commit_create_buffer(&content, repo, author, committer, NULL, s->message,
					       tree, s->nparents, parents));
	if (s->signer) {
		const char *msg = s->sign_other ? s->sign_other : content.ptr;
		size_t len = s->sign_other ? strlen(s->sign_other) : content.size;
		assert_civic_ok(civic_sign(&sig, s->signer, CIVIC_COMMIT_NAMESPACE,
					   (const uint8_t *)msg, len));
		if (sig.size && sig.ptr[sig.size - 1] == '\n')
			civic_buf_truncate(&sig, sig.size - 1);
		assert_git_ok(git_commit_create_with_signature(out, repo, content.ptr, sig.ptr, "gpgsig"));
	} else {
		git_odb *odb = NULL;
		assert_git_ok(git_repository_odb(&odb, repo));
		assert_git_ok(git_odb_write(out, odb, content.ptr, content.size, GIT_OBJECT_COMMIT));
		git_odb_free(odb);
	}
	for (i = 0; i < s->nparents; i++)
		git_commit_free((git_commit *)parents[i]);
	git_tree_free(tree);
	git_signature_free(author);
	git_signature_free(committer);
	git_buf_dispose(&content);
	civic_buf_dispose(&sig);
}

/* Points refname at id, whatever it pointed at before. */
static inline void fx_set_ref(git_repository *repo, const char *refname, const git_oid *id)
{
	git_reference *ref = NULL;

	assert_git_ok(git_reference_create(&ref, repo, refname, id, 1, "test"));
	git_reference_free(ref);
}

/* The id a ref points at; 0, or GIT_ENOTFOUND when there is no such ref. */
static inline int fx_ref(git_oid *out, git_repository *repo, const char *refname)
{
	int rc = git_reference_name_to_id(out, repo, refname);

	assert_true(rc == 0 || rc == GIT_ENOTFOUND);
	return rc;
}

/* The feed ref name of a key. */
static inline void fx_feed_ref(char *out, size_t size, const civic_key *key)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1];
	int n;

	civic_pubkey_to_hex(hex, civic_key_public(key));
	n = snprintf(out, size, "refs/civic/feeds/%s", hex);
	assert_true(n > 0 && (size_t)n < size);
}

static inline void fx_oid_hex(char out[GIT_OID_HEXSZ + 1], const git_oid *id)
{
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, id);
}

#endif
