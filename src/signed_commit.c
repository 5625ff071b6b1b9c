/* signed_commit.c - writing and checking SSHSIG-signed commits; see signed_commit.h. */
#include "signed_commit.h"
#include "civic.h"
#include "error.h"
#include "fsutil.h"
#include "object_limits.h"
#include "sign.h"

#include <errno.h>
#include <inttypes.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int civic_commit_email(civic_buf *out, const civic_pubkey *author)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1];

	civic_pubkey_to_hex(hex, author);
	civic_buf_clear(out);
	return civic_buf_printf(out, "%s@civic", hex);
}

int civic_signed_commit_create(git_oid *out, git_repository *repo, const civic_key *key,
			       const char *author_name, const git_oid *tree_id,
			       git_commit *parent, const char *message)
{
	const git_commit *parents[1] = { parent };

	return civic_signed_commit_create_with_parents(out, repo, key, author_name, tree_id, parents,
						       parent ? 1 : 0, message);
}

int civic_signed_commit_create_with_parents(git_oid *out, git_repository *repo, const civic_key *key,
					    const char *author_name, const git_oid *tree_id,
					    const git_commit **parents, size_t nparents, const char *message)
{
	civic_buf email = CIVIC_BUF_INIT, sig = CIVIC_BUF_INIT;
	git_buf content = GIT_BUF_INIT;
	git_signature *who = NULL;
	git_tree *tree = NULL;
	int error;

	if ((error = civic_commit_email(&email, civic_key_public(key))) < 0)
		goto done;
	if ((error = git_signature_now(&who, author_name, email.ptr)) < 0 ||
	    (error = git_tree_lookup(&tree, repo, tree_id)) < 0 ||
	    (error = git_commit_create_buffer(&content, repo, who, who, NULL, message, tree,
					      nparents, parents)) < 0) {
		error = civic_error_from_git(error, "cannot create the commit");
		goto done;
	}
	if ((error = civic_sign(&sig, key, CIVIC_COMMIT_NAMESPACE,
				(const uint8_t *)content.ptr, content.size)) < 0)
		goto done;
	/* git stores the armor without its final newline (DESIGN.md 5). */
	if (sig.size && sig.ptr[sig.size - 1] == '\n')
		civic_buf_truncate(&sig, sig.size - 1);
	if ((error = git_commit_create_with_signature(out, repo, content.ptr, sig.ptr, "gpgsig")) < 0)
		error = civic_error_from_git(error, "cannot write the signed commit");
done:
	git_tree_free(tree);
	git_signature_free(who);
	git_buf_dispose(&content);
	civic_buf_dispose(&email);
	civic_buf_dispose(&sig);
	return error;
}

static int bad_commit_bytes(const char *why)
{
	civic_error_set(CIVIC_ERROR_SIGN, "the commit's bytes are not what was signed: %s", dgettext("civic", why));
	return CIVIC_EBADSIG;
}

/*
 * Splits a raw commit into what was signed and the gpgsig value, as git
 * does: the signed bytes are the commit without its gpgsig header (the
 * header line and its continuation lines). Stricter than libgit2 1.5's
 * git_commit_extract_signature(), which stops at a NUL byte and finds
 * "gpgsig " in the message too: with it, anyone could append unsigned bytes
 * or move the header and give a signed commit a second id.
 */
static int split_signed(civic_buf *data, civic_buf *sig, const char *raw, size_t size)
{
	const char *p = raw, *end = raw + size, *body, *eol;
	int in_sig = 0, seen = 0;

	if (memchr(raw, '\0', size))
		return bad_commit_bytes("it holds a NUL byte");
	if (!(body = memmem(raw, size, "\n\n", 2)))
		return bad_commit_bytes("it has no message");
	body += 1; /* the header keeps its last newline */
	for (; p < body; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(body - p));
		if (in_sig && *p == ' ') {
			civic_buf_putc(sig, '\n');
			civic_buf_put(sig, p + 1, (size_t)(eol - p - 1));
			continue;
		}
		in_sig = 0;
		if (!strncmp(p, "gpgsig", 6)) {
			if (p[6] != ' ' || seen++)
				return bad_commit_bytes("it has a second or unknown signature header");
			in_sig = 1;
			civic_buf_put(sig, p + 7, (size_t)(eol - p - 7));
			continue;
		}
		civic_buf_put(data, p, (size_t)(eol - p + 1));
	}
	if (!seen) {
		civic_error_set(CIVIC_ERROR_SIGN, "the commit is not signed");
		return CIVIC_EBADSIG;
	}
	civic_buf_putc(data, '\n');
	civic_buf_put(data, body + 1, (size_t)(end - body - 1));
	return civic_buf_oom(data) || civic_buf_oom(sig) ? CIVIC_ERROR : 0;
}

int civic_signed_commit_verify(civic_pubkey *signer, git_repository *repo, const git_oid *id,
			       const civic_pubkey *expected)
{
	civic_buf data = CIVIC_BUF_INIT, sig = CIVIC_BUF_INIT;
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	int error;

	if ((error = civic_object_check(repo, id, GIT_OBJECT_COMMIT, CIVIC_COMMIT_MAX_SIZE, "the commit")) < 0)
		return error;
	if ((error = git_repository_odb(&odb, repo)) < 0 || (error = git_odb_read(&obj, odb, id)) < 0) {
		error = civic_error_from_git(error, "cannot read the commit");
		goto done;
	}
	if ((error = split_signed(&data, &sig, git_odb_object_data(obj), git_odb_object_size(obj))) < 0 ||
	    (error = civic_verify(signer, expected, CIVIC_COMMIT_NAMESPACE, (const uint8_t *)data.ptr,
				  data.size, sig.ptr, sig.size)) < 0)
		goto done;
	if (!civic_sign_armor_is_canonical(sig.ptr, sig.size))
		error = bad_commit_bytes("its signature is not in canonical form");
done:
	git_odb_object_free(obj);
	git_odb_free(odb);
	civic_buf_dispose(&data);
	civic_buf_dispose(&sig);
	return error;
}

static int sync_repo_dirs(git_repository *repo, const char *const *dirs)
{
	char path[4096];
	int error = 0;

	for (; *dirs && error == 0; dirs++) {
		int n = snprintf(path, sizeof path, "%s%s", git_repository_path(repo), *dirs);
		if (n < 0 || (size_t)n >= sizeof path) {
			civic_error_set(CIVIC_ERROR_GIT, "repository path too long");
			return CIVIC_ERROR;
		}
		if (civic_fs_exists(path))
			error = civic_fs_sync_dir(path);
	}
	return error;
}

/* The directories a move of refname may have created, deepest first, in
 * refs/ and in logs/ (for the reflog): refs/civic/forks/<hex>/ and each
 * parent up to the repository. */
static int sync_ref_dirs(git_repository *repo, const char *refname)
{
	static const char *const prefixes[] = { "", "logs/" };
	char dir[1024];
	size_t i;
	int error = 0;

	for (i = 0; i < 2 && error == 0; i++) {
		char *slash;
		int n = snprintf(dir, sizeof dir, "%s%s", prefixes[i], refname);
		if (n < 0 || (size_t)n >= sizeof dir) {
			civic_error_set(CIVIC_ERROR_GIT, "ref name too long");
			return CIVIC_EINVALID;
		}
		while (error == 0 && (slash = strrchr(dir, '/'))) {
			const char *const one[] = { dir, NULL };
			*slash = '\0';
			error = sync_repo_dirs(repo, one);
		}
	}
	return error;
}

/* Moves refname with compare-and-swap, nothing synced. */
static int create_ref(git_repository *repo, const char *refname, const git_oid *id, const git_oid *old,
		      const char *log_message)
{
	git_reference *ref = NULL;
	int error = git_reference_create_matching(&ref, repo, refname, id, old != NULL, old, log_message);

	git_reference_free(ref);
	/* A ref that appeared meanwhile lost us the race as surely as one that moved. */
	if (error == GIT_EEXISTS)
		error = GIT_EMODIFIED;
	return error < 0 ? civic_error_from_git(error, "cannot move '%s'", refname) : 0;
}

int civic_ref_move_hint(git_repository *repo, const char *refname, const git_oid *id, const git_oid *old,
			const char *log_message)
{
	int error;

	civic_global_check_ref_targets(0);
	error = create_ref(repo, refname, id, old, log_message);
	civic_global_check_ref_targets(1);
	return error;
}

int civic_ref_move(git_repository *repo, const char *refname, const git_oid *id, const git_oid *old,
		   const char *log_message)
{
	static const char *const objects[] = { "objects", "objects/pack", NULL };
	int error;

	if ((error = sync_repo_dirs(repo, objects)) < 0 ||
	    (error = create_ref(repo, refname, id, old, log_message)) < 0)
		return error;
	return sync_ref_dirs(repo, refname);
}

int civic_refs_pack(git_repository *repo)
{
	git_refdb *refdb = NULL;
	int error = git_repository_refdb(&refdb, repo);

	if (error == 0)
		error = git_refdb_compress(refdb);
	git_refdb_free(refdb);
	return error < 0 ? civic_error_from_git(error, "cannot pack the refs") : 0;
}

int civic_commit_check_email(const git_commit *commit, const civic_pubkey *author)
{
	civic_buf email = CIVIC_BUF_INIT;
	int error = civic_commit_email(&email, author);

	if (error == 0 && (strcmp(git_commit_author(commit)->email, email.ptr) ||
			   strcmp(git_commit_committer(commit)->email, email.ptr))) {
		civic_error_set(CIVIC_ERROR_SIGN, "the commit's email is not its signer's '%s'", email.ptr);
		error = CIVIC_EINVALID;
	}
	civic_buf_dispose(&email);
	return error;
}

int civic_trailer_get(civic_buf *out, const char *message, const char *key)
{
	git_message_trailer_array trailers = { 0 };
	const char *found = NULL;
	size_t i;
	int error;

	if ((error = git_message_trailers(&trailers, message)) < 0)
		return civic_error_from_git(error, "cannot parse the commit message");
	for (i = 0; i < trailers.count; i++) {
		if (strcmp(trailers.trailers[i].key, key))
			continue;
		if (found) {
			civic_error_set(CIVIC_ERROR_SIGN, "trailer '%s' occurs twice", key);
			error = CIVIC_EINVALID;
			goto done;
		}
		found = trailers.trailers[i].value;
	}
	if (!found) {
		civic_error_set(CIVIC_ERROR_SIGN, "trailer '%s' is missing", key);
		error = CIVIC_EINVALID;
		goto done;
	}
	civic_buf_clear(out);
	error = civic_buf_puts(out, found);
done:
	git_message_trailer_array_free(&trailers);
	return error;
}

int civic_trailer_get_number(uint64_t *out, const char *message, const char *key,
			     uint64_t min, uint64_t max)
{
	civic_buf value = CIVIC_BUF_INIT;
	char *end;
	int error = civic_trailer_get(&value, message, key);

	if (error < 0)
		goto done;
	errno = 0;
	/* Digits only, no sign, no leading zero: one spelling per number. */
	if (value.ptr[0] < '0' || value.ptr[0] > '9' || (value.ptr[0] == '0' && value.size > 1) ||
	    (*out = strtoull(value.ptr, &end, 10), errno) || *end || *out < min || *out > max) {
		civic_error_set(CIVIC_ERROR_SIGN, "bad number '%s' in trailer '%s'", value.ptr, key);
		error = CIVIC_EINVALID;
	}
done:
	civic_buf_dispose(&value);
	return error;
}
