/* attach_sync.c - attachment bytes to and from a peer; see attach_sync.h. */
#include "attach_sync.h"
#include "attach.h"
#include "attach_git.h"
#include "attach_index.h"
#include "attach_parts.h"
#include "attach_purge.h"
#include "capture.h"
#include "error.h"
#include "fsutil.h"
#include "json_cache.h"
#include "quarantine.h"
#include "roster.h"
#include "salvage.h"

#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* <tmp>/attachment-parts/<record id>.git: one record's batch, fetched on
 * its own after a link dropped, kept from run to run until it is whole. */
#define PARTS_DIR "attachment-parts"
#define PARTS_REF_PREFIX "refs/parts/"  /* the last part held of each segment: the "have"s */
#define SALVAGE_MAX_OBJECT (1024 * 1024) /* a chunk, a chunk list, a commit */
#define MEM_STAGE_MAX (32ULL * 1024 * 1024) /* a group staged for a push in memory */

/* A record that has attachments, and where its batch stands. */
typedef struct {
	git_oid record;
	json_t *attachments;  /* the signed list (a reference held) */
	uint64_t bytes;       /* of the attachments this node lacks; of all, when it lacks none */
	int missing;          /* this node lacks some of them */
	int on_peer;          /* the peer holds the batch */
	int purged;           /* a retraction purged them: they go from relays, never come again */
	git_oid batch;        /* the peer's batch commit */
} holding;

typedef struct {
	civic_attach_sync_report *report;
	const civic_attach_sync_options *opts;
	civic_node *node;
	const char *store;
	civic_remote remote;
	civic_quarantine *quarantine;
	holding *list;
	size_t count;
	json_t *refused;      /* batches known not to match their record (below) */
	int refused_changed;
	int deleting;         /* the push under way deletes purged batches */
	git_repository *mem_repo; /* the quarantine again, a group's new objects in memory (push_group) */
} attach_state;

/* -------------------------------------------------------------------------
 * Batches known to be wrong
 *
 * A relay that holds a forged batch of a record keeps it: a node that holds
 * the record's attachments does not fetch it, and pushes only batches the
 * relay lacks. A batch is named by its commit id, so one that did not match
 * its record is wrong wherever it is: this node remembers every batch it
 * refused, in <home>/tmp/refused-batches.json
 *     {"format": "civic-refused-batches-1", "batches": {batch id: record id}}
 * and a relay found holding one of them gets this node's batch in its place
 * (forced: the relay's is no ancestor of it) once this node holds the bytes.
 */

#define REFUSED_FILE "refused-batches.json"
#define REFUSED_FORMAT "civic-refused-batches-1"
#define REFUSED_MAX (1024 * 1024)

static void refused_path(char *out, size_t size, const attach_state *st)
{
	snprintf(out, size, "%s/" REFUSED_FILE, civic_node_tmp_dir(st->node));
}

/* A cache: one that is missing or damaged reads as empty. */
static int refused_load(attach_state *st)
{
	char path[PATH_MAX];
	json_t *doc, *batches;

	refused_path(path, sizeof path, st);
	doc = civic_json_cache_load(path, REFUSED_FORMAT, REFUSED_MAX);
	batches = json_object_get(doc, "batches");
	st->refused = json_is_object(batches) ? json_incref(batches) : json_object();
	json_decref(doc);
	return st->refused ? 0 : civic_error_nomem();
}

static void refused_add(attach_state *st, const holding *h)
{
	char batch[GIT_OID_HEXSZ + 1], record[GIT_OID_HEXSZ + 1];

	git_oid_tostr(batch, sizeof batch, &h->batch);
	git_oid_tostr(record, sizeof record, &h->record);
	if (json_object_set_new(st->refused, batch, json_string(record)) == 0)
		st->refused_changed = 1;
}

static int refused_has(const attach_state *st, const holding *h)
{
	char batch[GIT_OID_HEXSZ + 1], record[GIT_OID_HEXSZ + 1];
	const char *of;

	git_oid_tostr(batch, sizeof batch, &h->batch);
	git_oid_tostr(record, sizeof record, &h->record);
	of = json_string_value(json_object_get(st->refused, batch));
	return of && !strcmp(of, record);
}

/* Not saved is not an error: the relay's batch is refused again when met. */
static void refused_save(attach_state *st)
{
	char path[PATH_MAX];
	json_t *doc;

	if (!st->refused_changed)
		return;
	refused_path(path, sizeof path, st);
	doc = json_pack("{s:s, s:O}", "format", REFUSED_FORMAT, "batches", st->refused);
	if (!doc || civic_json_cache_save(civic_node_tmp_dir(st->node), path, doc) < 0)
		civic_error_clear();
	json_decref(doc);
}

/* -------------------------------------------------------------------------
 * What the node holds
 */

/* With rehash, a file of the right size whose bytes are not the signed
 * ones goes: then it is missing, and fetched again. */
static void remove_corrupt(attach_state *st, const char *sha)
{
	civic_buf path = CIVIC_BUF_INIT;

	if (civic_attach_path(&path, st->store, sha) == 0 && unlink(path.ptr) == 0)
		st->report->corrupt++;
	civic_buf_dispose(&path);
	civic_error_clear();
}

/* Whether the node lacks some of h's attachments, and how many bytes a
 * transfer of them takes: what it lacks, or all when it lacks none. */
static void measure(attach_state *st, holding *h, int rehash)
{
	uint64_t missing = 0, all = 0;
	const json_t *a;
	size_t i;

	h->missing = 0;
	h->bytes = 0;
	if (h->purged)
		return; /* neither missing nor sent: gone */
	json_array_foreach(h->attachments, i, a) {
		civic_attach_state state = CIVIC_ATTACH_MISSING;
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		uint64_t size = (uint64_t)json_integer_value(json_object_get(a, "size"));
		all += size;
		if (civic_attach_check(&state, st->store, sha, size, rehash) < 0 || state != CIVIC_ATTACH_PRESENT) {
			if (state == CIVIC_ATTACH_CORRUPT && rehash)
				remove_corrupt(st, sha);
			h->missing = 1;
			missing += size;
		}
	}
	h->bytes = h->missing ? missing : all;
}

static void forget_parts(const attach_state *st, const holding *h);

/* The records with attachments (attach_index.h: read only where the
 * archive changed since the last time), and what this node lacks of them.
 * The bytes of those a retraction purged go now (attach_purge.h), and so
 * do parts kept of them; but not without a roster, which alone says where
 * a revoked key stopped counting. */
static int collect(attach_state *st)
{
	git_repository *repo = civic_node_repository(st->node);
	civic_attach_holding *held = NULL;
	civic_roster *roster = NULL;
	size_t n = 0, i;
	int error;

	if (civic_roster_load(&roster, repo, civic_node_network(st->node)) < 0)
		roster = NULL;
	civic_error_clear();
	error = civic_attach_index_read(&held, &n, repo, roster, civic_node_tmp_dir(st->node));
	if (error == 0 && roster)
		error = civic_attach_purge_bytes(&st->report->purged, held, n, st->store);
	civic_roster_free(roster);
	if (error == 0 && n && !(st->list = calloc(n, sizeof *st->list)))
		error = civic_error_nomem();
	for (i = 0; error == 0 && i < n; i++) {
		holding *h = &st->list[st->count++];
		h->record = held[i].record;
		h->attachments = json_incref(held[i].attachments);
		h->purged = held[i].purged;
		measure(st, h, st->opts->rehash);
		if (h->purged)
			forget_parts(st, h);
	}
	civic_attach_holdings_free(held, n);
	return error;
}

static int wanted(const attach_state *st, const holding *h)
{
	size_t i;

	if (!st->opts->only)
		return 1;
	for (i = 0; i < st->opts->nonly; i++)
		if (git_oid_equal(&st->opts->only[i], &h->record))
			return 1;
	return 0;
}

/* The peer's batches: which records it holds attachments of. */
static int list_peer(attach_state *st)
{
	const git_remote_head **heads = NULL;
	git_remote *remote = NULL;
	size_t n = 0, i, j;
	int error;

	if ((error = civic_remote_open(&remote, &st->remote, NULL, GIT_DIRECTION_FETCH)) == 0 &&
	    (error = git_remote_ls(&heads, &n, remote)) < 0)
		error = civic_remote_error(&st->remote, error, "listing the refs of");
	for (i = 0; error == 0 && i < n; i++) {
		git_oid record;
		if (!civic_attach_batch_parse_ref(&record, heads[i]->name))
			continue;
		for (j = 0; j < st->count; j++)
			if (git_oid_equal(&st->list[j].record, &record)) {
				st->list[j].on_peer = 1;
				st->list[j].batch = heads[i]->oid;
			}
	}
	civic_remote_close(remote);
	return error;
}

/* -------------------------------------------------------------------------
 * Fetching, group by group
 */

typedef enum {
	SPEC_PUSH,          /* refs/civic/attachments/<id>:refs/civic/attachments/<id> */
	SPEC_PUSH_REPLACE,  /* the same, forced: over a batch known to be wrong */
	SPEC_FETCH,         /* +refs/civic/attachments/<id>:refs/incoming/attachments/<id> */
	SPEC_DELETE,        /* :refs/civic/attachments/<id> */
} spec_kind;

static char *refspec(const git_oid *record, spec_kind kind)
{
	char hex[GIT_OID_HEXSZ + 1], *s = malloc(160);

	git_oid_tostr(hex, sizeof hex, record);
	if (s && kind == SPEC_FETCH)
		snprintf(s, 160, "+" CIVIC_ATTACH_REF_PREFIX "%s:refs/incoming/attachments/%s", hex, hex);
	else if (s && kind == SPEC_DELETE)
		snprintf(s, 160, ":" CIVIC_ATTACH_REF_PREFIX "%s", hex);
	else if (s)
		snprintf(s, 160, "%s" CIVIC_ATTACH_REF_PREFIX "%s:" CIVIC_ATTACH_REF_PREFIX "%s",
			 kind == SPEC_PUSH_REPLACE ? "+" : "", hex, hex);
	return s;
}

static void free_specs(char **specs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(specs[i]);
	free(specs);
}

/* The next group from list[*at]: indexes of holdings to move now, whose
 * bytes add up to at most group_bytes (one at least). pick() says which
 * holdings take part. */
static size_t next_group(size_t *group, size_t max, attach_state *st, size_t *at,
			 int (*pick)(const attach_state *, const holding *))
{
	uint64_t bytes = 0;
	size_t n = 0;

	for (; *at < st->count && n < max; (*at)++) {
		const holding *h = &st->list[*at];
		if (!pick(st, h))
			continue;
		if (n > 0 && bytes + h->bytes > st->opts->group_bytes)
			break;
		bytes += h->bytes;
		group[n++] = *at;
	}
	return n;
}

/* The peer's batch of h is worth fetching: one refused before is wrong
 * wherever it is (it is named by its commit), so the record waits for a
 * peer that holds another. */
static int offered(const attach_state *st, const holding *h)
{
	return h->on_peer && !refused_has(st, h);
}

static int pick_fetch(const attach_state *st, const holding *h)
{
	return h->missing && !h->purged && offered(st, h) && wanted(st, h);
}

/* Stores what h's batch in repo holds that this node lacks, checked. */
static int store_batch(attach_state *st, git_repository *repo, const holding *h)
{
	char why[sizeof st->report->why];
	size_t stored, bad;
	int error = civic_attach_batch_read(&stored, &bad, why, sizeof why, repo, &h->batch, h->attachments, st->store);

	st->report->stored += stored;
	st->report->refused += bad;
	if (bad) {
		snprintf(st->report->why, sizeof st->report->why, "%s", why);
		refused_add(st, h);
	}
	return error;
}

/* Fetches the batches of group[0..n) into repo. */
static int fetch_into(attach_state *st, git_repository *repo, const size_t *group, size_t n)
{
	git_remote *remote = NULL;
	char **specs = calloc(n, sizeof *specs);
	size_t i;
	int error = 0;

	if (!specs)
		return civic_error_nomem();
	for (i = 0; i < n && error == 0; i++)
		if (!(specs[i] = refspec(&st->list[group[i]].record, SPEC_FETCH)))
			error = civic_error_nomem();
	if (error == 0 && (error = civic_remote_open(&remote, &st->remote, repo, GIT_DIRECTION_FETCH)) == 0)
		error = civic_remote_download(&st->remote, remote, specs, n);
	civic_remote_close(remote);
	st->report->bytes_received += st->remote.bytes_received;
	free_specs(specs, n);
	return error;
}

static int fetch_group(attach_state *st, const size_t *group, size_t n)
{
	git_repository *q = civic_quarantine_repository(st->quarantine);
	size_t i;
	int error = fetch_into(st, q, group, n);

	for (i = 0; i < n && error == 0; i++)
		error = store_batch(st, q, &st->list[group[i]]);
	return error;
}

/* Whether a transfer's failure is one that trying again cannot mend: cut
 * off for its size, cancelled (a stall), or this node's own disk. */
static int final_failure(const attach_state *st)
{
	return st->remote.cut[0] || st->remote.cancelled || civic_error_last()->klass == CIVIC_ERROR_OS;
}

static int parts_path(char *out, size_t size, const attach_state *st, const git_oid *record)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (snprintf(out, size, "%s/" PARTS_DIR "/%s.git", civic_node_tmp_dir(st->node),
		     git_oid_tostr(hex, sizeof hex, record)) >= (int)size) {
		civic_error_set(CIVIC_ERROR_NODE, "path too long: '%s'", civic_node_tmp_dir(st->node));
		return CIVIC_EINVALID;
	}
	return 0;
}

static int has_parts(const attach_state *st, const holding *h)
{
	char path[PATH_MAX];

	return parts_path(path, sizeof path, st, &h->record) == 0 && civic_fs_exists(path) == 1;
}

/* The staging repository of a record whose attachments are here now. */
static void forget_parts(const attach_state *st, const holding *h)
{
	char path[PATH_MAX];

	if (parts_path(path, sizeof path, st, &h->record) < 0 || civic_fs_exists(path) != 1)
		return;
	civic_fs_remove_tree(path);
	*strrchr(path, '/') = '\0';
	rmdir(path); /* the last one out */
}

static int open_parts(git_repository **out, const char *path)
{
	char dir[PATH_MAX];
	int error;

	if (civic_fs_exists(path) == 1 && git_repository_open_bare(out, path) == 0) {
		/* A try killed between a part ref's lock and its rename: every
		 * later move of that ref would fail, and no try after it could
		 * keep its parts. This repository is the node's, under its lock. */
		if (snprintf(dir, sizeof dir, "%s/" PARTS_REF_PREFIX, path) < (int)sizeof dir)
			civic_fs_remove_ref_locks(dir);
		return 0;
	}
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	if ((error = civic_fs_mkdir_all(dir, 0700)) < 0)
		return error;
	if ((error = git_repository_init(out, path, 1)) < 0)
		return civic_error_from_git(error, "cannot create '%s'", path);
	return 0;
}

/* One try: fetches h's batch into repo, copying what arrives to capture. */
static int fetch_captured(attach_state *st, git_repository *repo, size_t index, const char *capture)
{
	civic_capture cap;
	int error;

	memset(&cap, 0, sizeof cap);
	if (!(cap.out = fopen(capture, "wb"))) {
		civic_error_set_os("cannot write '%s'", capture);
		return CIVIC_ERROR;
	}
	st->remote.capture = &cap;
	error = fetch_into(st, repo, &index, 1);
	st->remote.capture = NULL;
	fclose(cap.out);
	return error;
}

static void forget_loose(git_repository *repo, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1], path[PATH_MAX];

	git_oid_tostr(hex, sizeof hex, id);
	if (snprintf(path, sizeof path, "%sobjects/%.2s/%s", git_repository_path(repo), hex, hex + 2) < (int)sizeof path)
		unlink(path);
}

/* Keeps what arrived whole of h's batch (from capture, when given): the
 * last part held of each segment becomes a ref, a "have" of the next try.
 * The number of chunks held now. */
static size_t keep_parts(git_repository *repo, const holding *h, const char *capture)
{
	git_oid tips[CIVIC_ATTACH_MAX_SEGMENTS];
	size_t ntips = 0, held = 0, written, i;
	char name[64];

	if (capture && civic_salvage_pack(&written, repo, capture, SALVAGE_MAX_OBJECT) < 0)
		return 0;
	if (civic_attach_parts_held(tips, &ntips, &held, repo, &h->batch, civic_attach_batch_chunks(h->attachments)) < 0)
		held = ntips = 0;
	/* A batch commit held makes libgit2 think the batch is here, and ask
	 * for nothing: it goes, and comes again with the rest. */
	forget_loose(repo, &h->batch);
	for (i = 0; i < ntips; i++) {
		git_reference *ref = NULL;
		snprintf(name, sizeof name, PARTS_REF_PREFIX "%02zu", i);
		if (git_reference_create(&ref, repo, name, &tips[i], 1, NULL) < 0)
			held = 0;
		git_reference_free(ref);
	}
	git_error_clear();
	return held;
}

/* A record on its own, on a link that drops: its batch goes into its own
 * staging repository; each try that breaks off keeps the parts that
 * arrived whole, and the next asks only for the rest ("have" the last
 * part held). Tries go on while each brings more. The repository is
 * removed once the attachments are stored. */
static int fetch_resumable(attach_state *st, size_t index)
{
	holding *h = &st->list[index];
	char path[PATH_MAX], capture[PATH_MAX + 16], why[sizeof civic_error_last()->message];
	git_repository *repo = NULL;
	size_t held, now;
	int error;

	if ((error = parts_path(path, sizeof path, st, &h->record)) < 0 || (error = open_parts(&repo, path)) < 0)
		return error;
	snprintf(capture, sizeof capture, "%s/capture", path);
	held = keep_parts(repo, h, NULL);
	for (;;) {
		if ((error = fetch_captured(st, repo, index, capture)) == 0) {
			error = store_batch(st, repo, h);
			break;
		}
		if (final_failure(st))
			break;
		snprintf(why, sizeof why, "%s", civic_error_last()->message);
		if ((now = keep_parts(repo, h, capture)) <= held) {
			civic_error_set(CIVIC_ERROR_SYNC, "%s", why);
			break;
		}
		st->report->parts_kept += now - held;
		held = now;
	}
	unlink(capture);
	git_repository_free(repo);
	if (error == 0)
		forget_parts(st, h);
	return error;
}

static int fetch_all(attach_state *st)
{
	size_t *group = calloc(st->count ? st->count : 1, sizeof *group), at = 0, n, i;
	char broken[sizeof civic_error_last()->message] = "";
	int error = 0, failed;

	if (!group)
		return civic_error_nomem();
	for (i = 0; i < st->count; i++) {
		const holding *h = &st->list[i];
		if (h->missing && wanted(st, h)) {
			st->report->records_missing++;
			st->report->not_on_peer += !offered(st, h);
		}
	}
	/* Records that an earlier run fetched in part take up from there. */
	for (i = 0; i < st->count && error == 0; i++) {
		holding *h = &st->list[i];
		if (!h->missing || !offered(st, h) || !wanted(st, h) || !has_parts(st, h))
			continue;
		if ((failed = fetch_resumable(st, i)) < 0 && final_failure(st))
			error = failed;
		else if (failed < 0 && !broken[0])
			snprintf(broken, sizeof broken, "%s", civic_error_last()->message);
		if (failed < 0)
			h->on_peer = 0; /* not again in this run */
		else
			h->missing = 0;
	}
	while (error == 0 && (n = next_group(group, st->count, st, &at, pick_fetch)) > 0) {
		if (!st->quarantine &&
		    (error = civic_quarantine_new(&st->quarantine, civic_node_repository(st->node),
						  civic_node_tmp_dir(st->node))) < 0)
			break;
		if ((failed = fetch_group(st, group, n)) == 0)
			continue;
		/* Cut off (too much) or cancelled: stop. A group that broke off
		 * midway (a link that drops) is fetched one record at a time,
		 * each keeping what arrives whole, and the run says what failed
		 * at its end. */
		if (final_failure(st)) {
			error = failed;
			break;
		}
		for (i = 0; i < n && error == 0; i++) {
			if ((failed = fetch_resumable(st, group[i])) < 0 && final_failure(st))
				error = failed;
			else if (failed < 0 && !broken[0])
				snprintf(broken, sizeof broken, "%s", civic_error_last()->message);
		}
	}
	if (error == 0 && broken[0]) {
		civic_error_set(CIVIC_ERROR_SYNC, "%s", broken);
		error = CIVIC_ERROR;
	}
	free(group);
	return error;
}

/* -------------------------------------------------------------------------
 * Pushing to a relay, group by group
 */

/* What the relay lacks, or holds wrong (above). */
static int pick_push(const attach_state *st, const holding *h)
{
	return !h->missing && !h->purged && (!h->on_peer || refused_has(st, h));
}

static int on_push_status(const char *refname, const char *status, void *data)
{
	attach_state *st = data;

	(void)refname;
	if (status)
		st->report->push_failed++;
	else if (st->deleting)
		st->report->batches_deleted++;
	else
		st->report->batches_pushed++;
	return 0;
}

/* Where a group of `bytes` is staged for its push: the quarantine again,
 * its new objects held in memory, when the group is small enough. Written
 * loose, each chunk was deflated, created on disk and fsynced, then read
 * back and deflated again for the pack: most of a push's time. A larger
 * group (one record with a large attachment) is staged on disk, in bounded
 * memory. */
static int stage_repo(git_repository **out, attach_state *st, uint64_t bytes)
{
	git_repository *q = civic_quarantine_repository(st->quarantine);
	git_odb_backend *mem = NULL;
	git_odb *odb = NULL;
	int error;

	*out = q;
	if (bytes > MEM_STAGE_MAX)
		return 0;
	if ((error = civic_quarantine_open(&st->mem_repo, git_repository_path(q))) < 0)
		return error;
	if ((error = git_mempack_new(&mem)) == 0 && ((error = git_repository_odb(&odb, st->mem_repo)) < 0 ||
						      (error = git_odb_add_backend(odb, mem, 1000)) < 0))
		mem->free(mem); /* not the database's yet */
	git_odb_free(odb);
	if (error < 0) {
		git_repository_free(st->mem_repo);
		st->mem_repo = NULL;
		return civic_error_from_git(error, "cannot stage attachments in memory");
	}
	*out = st->mem_repo;
	return 0;
}

/* Writes the group's batches into the quarantine (stage_repo), under the
 * refs the relay will hold, and pushes them. */
static int push_group(attach_state *st, const size_t *group, size_t n)
{
	git_repository *q = NULL;
	civic_buf name = CIVIC_BUF_INIT;
	git_remote *remote = NULL;
	char **specs = calloc(n, sizeof *specs);
	git_reference *ref = NULL;
	uint64_t bytes = 0;
	size_t i, m = 0;
	int error = 0;

	if (!specs)
		return civic_error_nomem();
	for (i = 0; i < n; i++)
		bytes += st->list[group[i]].bytes;
	if ((error = stage_repo(&q, st, bytes)) < 0) {
		free(specs);
		return error;
	}
	for (i = 0; i < n && error == 0; i++) {
		holding *h = &st->list[group[i]];
		git_oid batch;
		/* A damaged local copy is not sent (the audit reports it). */
		if ((error = civic_attach_batch_write(&batch, q, &h->record, h->attachments, st->store)) == CIVIC_EBADSIG) {
			st->report->push_failed++;
			snprintf(st->report->why, sizeof st->report->why, "%s", civic_error_last()->message);
			error = 0;
			continue;
		}
		if (error < 0 || (error = civic_attach_batch_refname(&name, &h->record)) < 0)
			break;
		if ((error = git_reference_create(&ref, q, name.ptr, &batch, 1, NULL)) < 0) {
			error = civic_error_from_git(error, "cannot stage '%s'", name.ptr);
			break;
		}
		git_reference_free(ref);
		if (!(specs[m++] = refspec(&h->record, h->on_peer ? SPEC_PUSH_REPLACE : SPEC_PUSH)))
			error = civic_error_nomem();
	}
	st->remote.push_status = on_push_status;
	st->remote.push_data = st;
	if (error == 0 && m > 0 && (error = civic_remote_open(&remote, &st->remote, q, GIT_DIRECTION_PUSH)) == 0)
		error = civic_remote_upload(&st->remote, remote, specs, m);
	civic_remote_close(remote);
	/* Pushed or not, the group's objects go, with the handle that cached
	 * them: the next push must not take the relay's new batches for
	 * objects it holds. */
	if (q == st->mem_repo) {
		git_repository_free(st->mem_repo);
		st->mem_repo = NULL;
	}
	free_specs(specs, n);
	civic_buf_dispose(&name);
	return error;
}

/* The purged batches the relay still holds go, in one push that carries
 * no objects. The relay's own git drops their objects when it collects
 * garbage. */
static int delete_purged(attach_state *st)
{
	char **specs = calloc(st->count ? st->count : 1, sizeof *specs);
	git_remote *remote = NULL;
	size_t i, n = 0;
	int error = 0;

	if (!specs)
		return civic_error_nomem();
	for (i = 0; i < st->count && error == 0; i++)
		if (st->list[i].purged && st->list[i].on_peer && !(specs[n++] = refspec(&st->list[i].record, SPEC_DELETE)))
			error = civic_error_nomem();
	if (error == 0 && n > 0 && !st->quarantine)
		error = civic_quarantine_new(&st->quarantine, civic_node_repository(st->node), civic_node_tmp_dir(st->node));
	st->remote.push_status = on_push_status;
	st->remote.push_data = st;
	st->deleting = 1;
	if (error == 0 && n > 0 &&
	    (error = civic_remote_open(&remote, &st->remote, civic_quarantine_repository(st->quarantine),
				       GIT_DIRECTION_PUSH)) == 0)
		error = civic_remote_upload(&st->remote, remote, specs, n);
	st->deleting = 0;
	civic_remote_close(remote);
	free_specs(specs, n);
	return error;
}

/* Chunks are photos and scans: deltas between them gain nothing, and
 * libgit2 tries each against ten others before it sends a byte (most of a
 * push's time). An object above pack.bigFileThreshold is never a delta
 * candidate; libgit2 1.5 reads that threshold from pack.deltaCacheSize, so
 * both are set, below one chunk, in the quarantine the pushes pack from.
 * The commits and trees of a batch stay small enough to be deltified. */
static int no_chunk_deltas(git_repository *q)
{
	static const char *const keys[] = { "pack.bigFileThreshold", "pack.deltaCacheSize" };
	git_config *config = NULL;
	size_t i;
	int error = git_repository_config(&config, q);

	for (i = 0; error == 0 && i < sizeof keys / sizeof *keys; i++)
		error = git_config_set_int64(config, keys[i], CIVIC_ATTACH_CHUNK_SIZE / 2);
	git_config_free(config);
	return error < 0 ? civic_error_from_git(error, "cannot configure the attachment quarantine") : 0;
}

static int push_all(attach_state *st)
{
	size_t *group = calloc(st->count ? st->count : 1, sizeof *group), at = 0, n;
	int error = 0, configured = 0;

	if (!group)
		return civic_error_nomem();
	while (error == 0 && (n = next_group(group, st->count, st, &at, pick_push)) > 0) {
		if (!st->quarantine &&
		    (error = civic_quarantine_new(&st->quarantine, civic_node_repository(st->node),
						  civic_node_tmp_dir(st->node))) < 0)
			break;
		if (!configured && (error = no_chunk_deltas(civic_quarantine_repository(st->quarantine))) < 0)
			break;
		configured = 1;
		error = push_group(st, group, n);
	}
	free(group);
	return error < 0 ? error : delete_purged(st);
}

int civic_attach_sync_peer(civic_attach_sync_report *report, civic_node *node, civic_peer *peer,
			   const civic_attach_sync_options *opts)
{
	civic_attach_sync_options defaults = CIVIC_ATTACH_SYNC_OPTIONS_INIT;
	attach_state st;
	size_t i;
	int error;

	memset(report, 0, sizeof *report);
	CIVIC_ASSERT_ARG(!opts || opts->version == CIVIC_ATTACH_SYNC_OPTIONS_VERSION);
	memset(&st, 0, sizeof st);
	st.report = report;
	st.opts = opts ? opts : &defaults;
	st.node = node;
	st.store = civic_node_attachments_dir(node);
	civic_remote_init(&st.remote, peer, st.opts->max_bytes, st.opts->progress, st.opts->payload);
	if (!civic_node_network(node)) {
		civic_error_set(CIVIC_ERROR_SYNC, "this node has no network yet: 'civic network join ID' first");
		return CIVIC_EINVALID;
	}
	if ((error = collect(&st)) < 0 || st.count == 0 || (error = refused_load(&st)) < 0 ||
	    (error = list_peer(&st)) < 0)
		goto done;
	if (st.opts->fetch && (error = fetch_all(&st)) < 0)
		goto done;
	/* What was fetched just now can go on to the relay in the same run;
	 * parts kept of what another peer has brought whole meanwhile go. */
	for (i = 0; i < st.count; i++) {
		/* What came now was checked as it was written. */
		measure(&st, &st.list[i], 0);
		if (!st.list[i].missing)
			forget_parts(&st, &st.list[i]);
	}
	if (st.opts->push && peer->relay)
		error = push_all(&st);
done:
	if (st.refused)
		refused_save(&st);
	json_decref(st.refused);
	git_repository_free(st.mem_repo);
	civic_quarantine_free(st.quarantine);
	for (i = 0; i < st.count; i++)
		json_decref(st.list[i].attachments);
	free(st.list);
	return error;
}
