/* attach_purge.c - attachments a signed retraction purged; see attach_purge.h. */
#include "attach_purge.h"
#include "attach.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int civic_purge_claim_of(git_oid *target, const json_t *record)
{
	const char *kind = json_string_value(json_object_get(record, "kind"));
	const char *id = json_string_value(json_object_get(record, "retracts"));

	return kind && !strcmp(kind, "retraction") && json_is_true(json_object_get(record, "purge_attachments")) &&
	       id && strlen(id) == GIT_OID_HEXSZ && git_oid_fromstr(target, id) == 0;
}

int civic_purge_claims_add(civic_purge_claims *claims, const git_oid *retraction, const git_oid *target,
			   const civic_pubkey *author)
{
	civic_purge_claim *c;

	if (claims->count == claims->alloc) {
		size_t n = claims->alloc ? claims->alloc * 2 : 8;
		civic_purge_claim *p = realloc(claims->list, n * sizeof *p);
		CIVIC_ERROR_CHECK_ALLOC(p);
		claims->list = p;
		claims->alloc = n;
	}
	c = &claims->list[claims->count++];
	c->retraction = *retraction;
	c->target = *target;
	c->author = *author;
	claims->sorted = 0;
	return 0;
}

static int by_target(const void *a, const void *b)
{
	const civic_purge_claim *x = a, *y = b;
	int c = git_oid_cmp(&x->target, &y->target);

	return c ? c : git_oid_cmp(&x->retraction, &y->retraction);
}

const civic_purge_claim *civic_purge_claims_find(civic_purge_claims *claims, const git_oid *target,
						 const civic_pubkey *target_author, const civic_roster *roster)
{
	size_t lo = 0, hi = claims->count, i;

	if (!claims->sorted && claims->count)
		qsort(claims->list, claims->count, sizeof *claims->list, by_target);
	claims->sorted = 1;
	/* The first claim on target, then each in turn: one by someone who may
	 * not amend the record does not hide one by someone who may. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (git_oid_cmp(&claims->list[mid].target, target) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < claims->count && git_oid_equal(&claims->list[i].target, target); i++)
		if (civic_roster_may_amend(roster, &claims->list[i].author, target_author))
			return &claims->list[i];
	return NULL;
}

void civic_purge_claims_dispose(civic_purge_claims *claims)
{
	free(claims->list);
	memset(claims, 0, sizeof *claims);
}

/* The hashes that stay: those of every holding not purged. */
static int kept_hashes(json_t **out, const civic_attach_holding *list, size_t n)
{
	json_t *kept = json_object(), *a;
	size_t i, j;

	if (!kept)
		return civic_error_nomem();
	for (i = 0; i < n; i++) {
		if (list[i].purged)
			continue;
		json_array_foreach(list[i].attachments, j, a) {
			const char *sha = json_string_value(json_object_get(a, "sha256"));
			if (sha && json_object_set_new(kept, sha, json_true()) < 0) {
				json_decref(kept);
				return civic_error_nomem();
			}
		}
	}
	*out = kept;
	return 0;
}

int civic_attach_purge_bytes(size_t *removed, const civic_attach_holding *list, size_t n,
			     const char *store_dir)
{
	civic_buf path = CIVIC_BUF_INIT;
	json_t *kept = NULL, *a;
	size_t i, j;
	int error = 0;

	*removed = 0;
	for (i = 0; i < n && !list[i].purged; i++)
		;
	if (i == n)
		return 0; /* nothing purged: the common case costs nothing more */
	if ((error = kept_hashes(&kept, list, n)) < 0)
		return error;
	for (; i < n && error == 0; i++) {
		if (!list[i].purged)
			continue;
		json_array_foreach(list[i].attachments, j, a) {
			const char *sha = json_string_value(json_object_get(a, "sha256"));
			if (!sha || json_object_get(kept, sha))
				continue;
			if ((error = civic_attach_path(&path, store_dir, sha)) < 0)
				break;
			if (unlink(path.ptr) == 0)
				(*removed)++;
			else if (errno != ENOENT) {
				civic_error_set_os("cannot remove '%s'", path.ptr);
				error = CIVIC_ERROR;
				break;
			}
		}
	}
	civic_buf_dispose(&path);
	json_decref(kept);
	return error;
}

int civic_attach_purge_node(size_t *removed, civic_node *node)
{
	git_repository *repo = civic_node_repository(node);
	civic_attach_holding *list = NULL;
	civic_roster *roster = NULL;
	size_t n = 0;
	int error;

	*removed = 0;
	if (!civic_node_network(node) || civic_roster_load(&roster, repo, civic_node_network(node)) < 0) {
		/* Only the roster says where a revoked key stopped counting:
		 * nothing goes without it. */
		civic_error_clear();
		return 0;
	}
	if ((error = civic_attach_index_read(&list, &n, repo, roster, civic_node_tmp_dir(node))) == 0)
		error = civic_attach_purge_bytes(removed, list, n, civic_node_attachments_dir(node));
	civic_attach_holdings_free(list, n);
	civic_roster_free(roster);
	return error;
}
