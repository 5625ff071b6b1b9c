/* steps.c - refs into a feed every 128 records; see steps.h. */
#include "steps.h"
#include "chain.h"
#include "error.h"
#include "feed.h"
#include "signed_commit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_DIGITS 8

int civic_step_refname(civic_buf *out, const civic_pubkey *author, uint64_t seq)
{
	int error = civic_pubkey_refname(out, CIVIC_STEP_REF_PREFIX, author);

	return error < 0 ? error : civic_buf_printf(out, "/%08" PRIu64, seq);
}

int civic_step_from_refname(civic_pubkey *author, uint64_t *seq, const char *refname)
{
	size_t plen = strlen(CIVIC_STEP_REF_PREFIX), i;
	const char *p = refname + plen;

	*seq = 0;
	if (strncmp(refname, CIVIC_STEP_REF_PREFIX, plen) || strlen(p) != CIVIC_PUBKEY_HEX_LEN + 1 + SEQ_DIGITS ||
	    p[CIVIC_PUBKEY_HEX_LEN] != '/' || civic_pubkey_from_hex(author, p, CIVIC_PUBKEY_HEX_LEN) < 0) {
		civic_error_clear();
		return CIVIC_EINVALID;
	}
	for (i = 0, p += CIVIC_PUBKEY_HEX_LEN + 1; i < SEQ_DIGITS; i++) {
		if (p[i] < '0' || p[i] > '9')
			return CIVIC_EINVALID;
		*seq = *seq * 10 + (uint64_t)(p[i] - '0');
	}
	return *seq > 0 ? 0 : CIVIC_EINVALID;
}

int civic_step_place_cmp(const void *a, const void *b)
{
	const civic_step_place *x = a, *y = b;
	int c = memcmp(x->author.bytes, y->author.bytes, sizeof x->author.bytes);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

int civic_steps_of_run(const civic_pubkey *author, uint64_t first_seq, const git_oid *ids, size_t n,
		       uint64_t every, git_repository *repo,
		       int (*each)(const char *refname, const git_oid *id, const git_oid *old, void *payload),
		       void *payload)
{
	civic_buf name = CIVIC_BUF_INIT;
	uint64_t seq;
	size_t i;
	int error = 0;

	/* The first multiple of `every` in the run, then every `every`. */
	for (i = (size_t)((every - first_seq % every) % every); i < n && error == 0; i += every) {
		git_oid old;
		seq = first_seq + i;
		if ((error = civic_step_refname(&name, author, seq)) < 0)
			break;
		if (git_reference_name_to_id(&old, repo, name.ptr) == 0) {
			if (!git_oid_equal(&old, &ids[i]))
				error = each(name.ptr, &ids[i], &old, payload);
		} else {
			git_error_clear();
			error = each(name.ptr, &ids[i], NULL, payload);
		}
	}
	civic_buf_dispose(&name);
	return error;
}

/* -------------------------------------------------------------------------
 * Repair
 */

typedef struct {
	git_repository *repo;
	size_t written;
} repair_state;

static int move_step(const char *refname, const git_oid *id, const git_oid *old, void *payload)
{
	repair_state *rs = payload;
	int error = civic_ref_move_hint(rs->repo, refname, id, old, "civic: feed step");

	rs->written += error == 0;
	return error;
}

/* Whether the step at `top` is the commit `head - top` commits before the
 * head, and no step past it exists. */
static int steps_in_place(git_repository *repo, const civic_pubkey *author, const git_oid *head, uint64_t head_seq,
			  uint64_t every)
{
	uint64_t top = head_seq / every * every;
	civic_buf name = CIVIC_BUF_INIT;
	git_oid step, *ids = NULL;
	size_t n = 0;
	int reached = 0, ok = 1;

	if (civic_step_refname(&name, author, top + every) < 0)
		ok = 0;
	else if (git_reference_name_to_id(&step, repo, name.ptr) == 0)
		ok = 0; /* a step past the head: the feed was another history */
	if (ok && top > 0)
		ok = civic_step_refname(&name, author, top) == 0 &&
		     git_reference_name_to_id(&step, repo, name.ptr) == 0 &&
		     civic_chain_collect_until(&ids, &n, &reached, repo, head, &step, head_seq - top) == 0 &&
		     reached && n == head_seq - top;
	free(ids);
	civic_buf_dispose(&name);
	git_error_clear();
	return ok;
}

/* Removes the steps of author past `top` and those not at a multiple of `every`. */
static int remove_stale(repair_state *rs, const civic_pubkey *author, uint64_t top, uint64_t every)
{
	civic_buf glob = CIVIC_BUF_INIT;
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int error;

	if ((error = civic_pubkey_refname(&glob, CIVIC_STEP_REF_PREFIX, author)) < 0 ||
	    (error = civic_buf_puts(&glob, "/*")) < 0)
		goto done;
	if ((error = git_reference_iterator_glob_new(&it, rs->repo, glob.ptr)) < 0) {
		error = civic_error_from_git(error, "cannot list the steps of a feed");
		goto done;
	}
	while ((error = git_reference_next(&ref, it)) == 0) {
		civic_pubkey who;
		uint64_t seq;
		if (civic_step_from_refname(&who, &seq, git_reference_name(ref)) < 0 || seq > top || seq % every) {
			if ((error = git_reference_delete(ref)) < 0) {
				error = civic_error_from_git(error, "cannot remove step '%s'", git_reference_name(ref));
				git_reference_free(ref);
				break;
			}
			rs->written++;
		}
		git_reference_free(ref);
	}
	if (error == GIT_ITEROVER)
		error = 0;
done:
	git_reference_iterator_free(it);
	civic_buf_dispose(&glob);
	return error;
}

static int repair_feed(repair_state *rs, const civic_pubkey *author, const git_oid *head, uint64_t every)
{
	uint64_t head_seq;
	git_oid *ids = NULL;
	size_t n = 0;
	int error;

	if ((error = civic_feed_commit_seq(&head_seq, rs->repo, head)) < 0)
		return error;
	if (steps_in_place(rs->repo, author, head, head_seq, every))
		return 0;
	if ((error = civic_chain_collect(&ids, &n, rs->repo, head, head_seq)) < 0)
		return error;
	if (n != head_seq) {
		civic_error_set(CIVIC_ERROR_FEED, "the feed's chain holds %zu commits, its head says %" PRIu64, n,
				head_seq);
		error = CIVIC_EINVALID;
	} else if ((error = civic_steps_of_run(author, 1, ids, n, every, rs->repo, move_step, rs)) == 0) {
		error = remove_stale(rs, author, head_seq / every * every, every);
	}
	free(ids);
	return error;
}

int civic_steps_repair(size_t *written, git_repository *repo, uint64_t every)
{
	repair_state rs = { repo, 0 };
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int error;

	*written = 0;
	if ((error = git_reference_iterator_glob_new(&it, repo, CIVIC_FEED_REF_PREFIX "*")) < 0)
		return civic_error_from_git(error, "cannot list the feeds");
	while ((error = git_reference_next(&ref, it)) == 0) {
		civic_pubkey author;
		const git_oid *head = git_reference_target(ref);
		if (head && civic_feed_author_from_refname(&author, git_reference_name(ref)) == 0)
			error = repair_feed(&rs, &author, head, every);
		git_error_clear();
		git_reference_free(ref);
		if (error < 0)
			break;
	}
	git_reference_iterator_free(it);
	*written = rs.written;
	return error == GIT_ITEROVER ? 0 : error;
}
