/* attach_git.c - attachments as chunk trees and batch commits; see attach_git.h. */
#include "attach_git.h"
#include "attach.h"
#include "attach_parts.h"
#include "error.h"
#include "object_limits.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BATCH_AUTHOR "civic"
#define BATCH_EMAIL "attachments@civic"

int civic_attach_batch_refname(civic_buf *out, const git_oid *record)
{
	char hex[GIT_OID_HEXSZ + 1];

	civic_buf_clear(out);
	return civic_buf_printf(out, CIVIC_ATTACH_REF_PREFIX "%s", git_oid_tostr(hex, sizeof hex, record));
}

int civic_attach_batch_parse_ref(git_oid *record, const char *refname)
{
	const char *hex = refname + strlen(CIVIC_ATTACH_REF_PREFIX);

	return !strncmp(refname, CIVIC_ATTACH_REF_PREFIX, strlen(CIVIC_ATTACH_REF_PREFIX)) &&
	       strlen(hex) == GIT_OID_HEXSZ && strspn(hex, "0123456789abcdef") == GIT_OID_HEXSZ &&
	       git_oid_fromstr(record, hex) == 0;
}

static uint64_t chunks_of(uint64_t size)
{
	return (size + CIVIC_ATTACH_CHUNK_SIZE - 1) / CIVIC_ATTACH_CHUNK_SIZE;
}

/* -------------------------------------------------------------------------
 * Writing
 */

/* The chunk tree of the file at path, which must be the `size` bytes whose
 * SHA-256 is sha: a damaged local copy is never sent on to a relay, where
 * it would stand in for the good bytes for everyone. */
static int write_chunks(git_oid *out, git_repository *repo, const char *path, const char *sha, uint64_t size)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[CIVIC_SHA256_HEX_LEN + 1];
	crypto_hash_sha256_state hash;
	git_treebuilder *tb = NULL;
	char *chunk = malloc(CIVIC_ATTACH_CHUNK_SIZE), name[24];
	uint64_t done = 0, i;
	struct stat st;
	int fd = -1, error = 0;

	if (!chunk)
		return civic_error_nomem();
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		civic_error_set(CIVIC_ERROR_ATTACH, "attachment '%s' is missing or not of its signed size", path);
		error = CIVIC_EINVALID;
		goto done;
	}
	if ((error = git_treebuilder_new(&tb, repo, NULL)) < 0)
		goto git_error;
	crypto_hash_sha256_init(&hash);
	for (i = 0; done < size; i++) {
		size_t want = size - done < CIVIC_ATTACH_CHUNK_SIZE ? (size_t)(size - done) : CIVIC_ATTACH_CHUNK_SIZE;
		size_t got = 0;
		git_oid blob;
		while (got < want) {
			ssize_t n = read(fd, chunk + got, want - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				civic_error_set_os("cannot read '%s'", path);
				error = CIVIC_ERROR;
				goto done;
			}
			got += (size_t)n;
		}
		crypto_hash_sha256_update(&hash, (unsigned char *)chunk, want);
		snprintf(name, sizeof name, "%08llu", (unsigned long long)i);
		if ((error = git_blob_create_from_buffer(&blob, repo, chunk, want)) < 0 ||
		    (error = git_treebuilder_insert(NULL, tb, name, &blob, GIT_FILEMODE_BLOB)) < 0)
			goto git_error;
		done += want;
	}
	crypto_hash_sha256_final(&hash, digest);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	if (strcmp(hex, sha)) {
		civic_error_set(CIVIC_ERROR_ATTACH, "this node's copy of attachment %.12s… is damaged: not sent", sha);
		error = CIVIC_EBADSIG;
		goto done;
	}
	if ((error = git_treebuilder_write(out, tb)) < 0)
		goto git_error;
	goto done;
git_error:
	error = civic_error_from_git(error, "cannot write attachment '%s' as git objects", path);
done:
	if (fd >= 0)
		close(fd);
	git_treebuilder_free(tb);
	free(chunk);
	return error;
}

static int attachment_fields(const char **sha, uint64_t *size, const json_t *a)
{
	json_t *s = json_object_get(a, "size");

	*sha = json_string_value(json_object_get(a, "sha256"));
	if (!*sha || strlen(*sha) != CIVIC_SHA256_HEX_LEN || strspn(*sha, "0123456789abcdef") != CIVIC_SHA256_HEX_LEN ||
	    !json_is_integer(s) || json_integer_value(s) < 0 ||
	    (uint64_t)json_integer_value(s) > CIVIC_ATTACH_MAX_SIZE) {
		civic_error_set(CIVIC_ERROR_ATTACH, "a record's attachment lacks a valid sha256 or size");
		return CIVIC_EINVALID;
	}
	*size = (uint64_t)json_integer_value(s);
	return 0;
}

static int lookup_all(git_commit **out, git_repository *repo, const git_oid *ids, size_t n)
{
	size_t i;
	int error = 0;

	for (i = 0; i < n && error == 0; i++)
		error = git_commit_lookup(&out[i], repo, &ids[i]);
	return error;
}

int civic_attach_batch_write(git_oid *out, git_repository *repo, const git_oid *record,
			     const json_t *attachments, const char *store_dir)
{
	civic_buf path = CIVIC_BUF_INIT, message = CIVIC_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_commit *parents[CIVIC_ATTACH_MAX_SEGMENTS] = { NULL };
	git_tree *tree = NULL;
	git_oid tree_id, chunks, tips[CIVIC_ATTACH_MAX_SEGMENTS];
	char hex[GIT_OID_HEXSZ + 1];
	const json_t *a;
	size_t i, ntips = 0;
	int error;

	if ((error = git_treebuilder_new(&tb, repo, NULL)) < 0)
		goto git_error;
	json_array_foreach(attachments, i, a) {
		const char *sha;
		uint64_t size;
		if ((error = attachment_fields(&sha, &size, a)) < 0 ||
		    (error = civic_attach_path(&path, store_dir, sha)) < 0 ||
		    (error = write_chunks(&chunks, repo, path.ptr, sha, size)) < 0)
			goto done;
		if ((error = git_treebuilder_insert(NULL, tb, sha, &chunks, GIT_FILEMODE_TREE)) < 0)
			goto git_error;
	}
	civic_buf_printf(&message, "civic: attachments of record %s\n", git_oid_tostr(hex, sizeof hex, record));
	/* Fixed author, date and message: the same bytes make the same batch everywhere. */
	if ((error = git_treebuilder_write(&tree_id, tb)) < 0 || (error = git_tree_lookup(&tree, repo, &tree_id)) < 0 ||
	    (error = git_signature_new(&sig, BATCH_AUTHOR, BATCH_EMAIL, 0, 0)) < 0 ||
	    (error = civic_attach_parts_write(tips, &ntips, repo, tree, sig, record)) < 0 ||
	    (error = lookup_all(parents, repo, tips, ntips)) < 0 ||
	    (error = git_commit_create(out, repo, NULL, sig, sig, NULL, message.ptr, tree, ntips,
				       (const git_commit **)parents)) < 0)
		goto git_error;
	goto done;
git_error:
	error = civic_error_from_git(error, "cannot write the attachments of record %s", git_oid_tostr(hex, sizeof hex, record));
done:
	for (i = 0; i < CIVIC_ATTACH_MAX_SEGMENTS; i++)
		git_commit_free(parents[i]);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	civic_buf_dispose(&path);
	civic_buf_dispose(&message);
	return error;
}

size_t civic_attach_batch_chunks(const json_t *attachments)
{
	const json_t *a, *b;
	size_t i, j, n = 0;

	json_array_foreach(attachments, i, a) {
		const char *sha;
		uint64_t size;
		int seen = 0;
		if (attachment_fields(&sha, &size, a) < 0)
			continue;
		/* One attachment listed twice is one tree entry. */
		for (j = 0; j < i && !seen; j++) {
			b = json_array_get(attachments, j);
			seen = json_equal(json_object_get(a, "sha256"), json_object_get(b, "sha256"));
		}
		if (!seen)
			n += (size_t)chunks_of(size);
	}
	civic_error_clear();
	return n;
}

/* -------------------------------------------------------------------------
 * Reading what a peer sent
 */

/* Streams the chunk tree `id` into the store as the attachment sha/size. */
static int read_chunks(git_repository *repo, const git_oid *id, const char *sha, uint64_t size,
		       const char *store_dir)
{
	uint64_t n = chunks_of(size), i;
	civic_attach_writer *w = NULL;
	git_tree *tree = NULL;
	char name[24];
	int error;

	/* Every object is size-checked before it is inflated. */
	if ((error = civic_object_check(repo, id, GIT_OBJECT_TREE, (size_t)(n + 1) * CIVIC_ATTACH_CHUNK_ENTRY_MAX,
				       "an attachment's chunk list")) < 0)
		return error;
	if ((error = git_tree_lookup(&tree, repo, id)) < 0)
		return civic_error_from_git(error, "cannot read an attachment's chunk list");
	if (git_tree_entrycount(tree) != n) {
		civic_error_set(CIVIC_ERROR_ATTACH, "attachment %.12s…: %zu chunks where %llu were due", sha,
				git_tree_entrycount(tree), (unsigned long long)n);
		error = CIVIC_EINVALID;
		goto done;
	}
	if ((error = civic_attach_writer_new(&w, store_dir)) < 0)
		goto done;
	for (i = 0; i < n && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, (size_t)i);
		size_t want = i + 1 < n ? CIVIC_ATTACH_CHUNK_SIZE : (size_t)(size - i * CIVIC_ATTACH_CHUNK_SIZE);
		git_blob *blob = NULL;
		snprintf(name, sizeof name, "%08llu", (unsigned long long)i);
		if (strcmp(git_tree_entry_name(e), name) || git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB) {
			civic_error_set(CIVIC_ERROR_ATTACH, "attachment %.12s…: chunk %llu is not where it belongs", sha,
					(unsigned long long)i);
			error = CIVIC_EINVALID;
		} else if ((error = civic_object_check(repo, git_tree_entry_id(e), GIT_OBJECT_BLOB, want,
						      "an attachment's chunk")) < 0) {
			char why[sizeof civic_error_last()->message];
			snprintf(why, sizeof why, "%s", civic_error_last()->message);
			civic_error_set(CIVIC_ERROR_ATTACH, "attachment %.12s…: %.400s", sha, why);
		} else if ((error = git_blob_lookup(&blob, repo, git_tree_entry_id(e))) < 0) {
			error = civic_error_from_git(error, "cannot read an attachment's chunk");
		} else if (error == 0 && (size_t)git_blob_rawsize(blob) != want) {
			civic_error_set(CIVIC_ERROR_ATTACH, "attachment %.12s…: chunk %llu has the wrong size", sha,
					(unsigned long long)i);
			error = CIVIC_EINVALID;
		} else if (error == 0) {
			error = civic_attach_writer_write(w, git_blob_rawcontent(blob), want);
		}
		git_blob_free(blob);
	}
	if (error == 0)
		error = civic_attach_writer_commit(w, sha, size);
done:
	civic_attach_writer_free(w);
	git_tree_free(tree);
	return error;
}

int civic_attach_batch_read(size_t *stored, size_t *bad, char *why, size_t why_size, git_repository *repo,
			    const git_oid *commit, const json_t *attachments, const char *store_dir)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	const json_t *a;
	size_t i;
	int error;

	*stored = *bad = 0;
	why[0] = '\0';
	if ((error = civic_object_check(repo, commit, GIT_OBJECT_COMMIT, CIVIC_COMMIT_MAX_SIZE, "an attachment batch")) < 0 ||
	    (error = git_commit_lookup(&c, repo, commit)) < 0 ||
	    (error = civic_object_check(repo, git_commit_tree_id(c), GIT_OBJECT_TREE, CIVIC_ATTACH_BATCH_TREE_MAX,
				       "an attachment batch's list")) < 0 ||
	    (error = git_commit_tree(&tree, c)) < 0) {
		if (error != CIVIC_EINVALID && error != CIVIC_ENOTFOUND)
			error = civic_error_from_git(error, "cannot read an attachment batch");
		snprintf(why, why_size, "%s", civic_error_last()->message);
		*bad = json_array_size(attachments);
		error = 0;
		goto done;
	}
	json_array_foreach(attachments, i, a) {
		const git_tree_entry *e;
		civic_attach_state state;
		const char *sha;
		uint64_t size;
		if (attachment_fields(&sha, &size, a) < 0 ||
		    civic_attach_check(&state, store_dir, sha, size, 0) < 0 || state == CIVIC_ATTACH_PRESENT)
			continue;
		if (!(e = git_tree_entry_byname(tree, sha)) || git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			civic_error_set(CIVIC_ERROR_ATTACH, "the batch lacks attachment %.12s…", sha);
			error = CIVIC_EINVALID;
		} else {
			error = read_chunks(repo, git_tree_entry_id(e), sha, size, store_dir);
		}
		if (error == 0) {
			(*stored)++;
		} else if (error == CIVIC_ERROR && civic_error_last()->klass == CIVIC_ERROR_OS) {
			goto done; /* the disk, not the peer: stop */
		} else {
			(*bad)++;
			snprintf(why, why_size, "%s", civic_error_last()->message);
			error = 0;
		}
	}
done:
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}
