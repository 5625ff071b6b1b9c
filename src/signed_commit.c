/* signed_commit.c - writing and checking SSHSIG-signed commits; see signed_commit.h. */
#include "signed_commit.h"
#include "error.h"
#include "sign.h"

#include <errno.h>
#include <inttypes.h>
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
	civic_buf email = CIVIC_BUF_INIT, sig = CIVIC_BUF_INIT;
	git_buf content = GIT_BUF_INIT;
	git_signature *who = NULL;
	git_tree *tree = NULL;
	const git_commit *parents[1] = { parent };
	int error;

	if ((error = civic_commit_email(&email, civic_key_public(key))) < 0)
		goto done;
	if ((error = git_signature_now(&who, author_name, email.ptr)) < 0 ||
	    (error = git_tree_lookup(&tree, repo, tree_id)) < 0 ||
	    (error = git_commit_create_buffer(&content, repo, who, who, NULL, message, tree,
					      parent ? 1 : 0, parents)) < 0) {
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

int civic_signed_commit_verify(civic_pubkey *signer, git_repository *repo, const git_oid *id,
			       const civic_pubkey *expected)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	git_oid copy = *id; /* libgit2 1.5 takes a non-const id */
	int error = git_commit_extract_signature(&sig, &data, repo, &copy, "gpgsig");

	if (error == GIT_ENOTFOUND) {
		civic_error_set(CIVIC_ERROR_SIGN, "the commit is not signed");
		error = CIVIC_EBADSIG;
	} else if (error < 0) {
		error = civic_error_from_git(error, "cannot read the commit");
	} else {
		error = civic_verify(signer, expected, CIVIC_COMMIT_NAMESPACE,
				     (const uint8_t *)data.ptr, data.size, sig.ptr, sig.size);
	}
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return error;
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
