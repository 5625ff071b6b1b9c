/* feed.c - appending to and verifying a member's feed; see feed.h. */
#include "feed.h"
#include "error.h"
#include "object_limits.h"
#include "oidset.h"
#include "signed_commit.h"
#include "steps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBJECT_MAX 72

int civic_feed_refname(civic_buf *out, const civic_pubkey *author)
{
	return civic_pubkey_refname(out, CIVIC_FEED_REF_PREFIX, author);
}

int civic_feed_author_from_refname(civic_pubkey *out, const char *refname)
{
	if (civic_pubkey_from_refname(out, CIVIC_FEED_REF_PREFIX, refname) < 0) {
		civic_error_set(CIVIC_ERROR_FEED, "'%s' is not a feed ref", refname);
		return CIVIC_EINVALID;
	}
	return 0;
}

int civic_record_path(char out[CIVIC_RECORD_PATH_SIZE], uint64_t seq)
{
	char d[16];

	if (seq < 1 || seq > CIVIC_FEED_MAX_SEQ) {
		civic_error_set(CIVIC_ERROR_FEED, "sequence number %" PRIu64 " is out of range", seq);
		return CIVIC_EINVALID;
	}
	snprintf(d, sizeof d, "%08" PRIu64, seq);
	snprintf(out, CIVIC_RECORD_PATH_SIZE, "records/%.2s/%.2s/%.2s/%s.json", d, d + 2, d + 4, d);
	return 0;
}

int civic_record_parse(json_t **out, const char *text, size_t len, const char *where)
{
	json_error_t jerr;

	*out = NULL;
	if (len > CIVIC_RECORD_MAX_SIZE) {
		civic_error_set(CIVIC_ERROR_RECORD, "%s: record larger than %d bytes", where,
				CIVIC_RECORD_MAX_SIZE);
		return CIVIC_EINVALID;
	}
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out) {
		civic_error_set(CIVIC_ERROR_JSON, "%s: invalid JSON at line %d, column %d: %s",
				where, jerr.line, jerr.column, jerr.text);
		return CIVIC_EINVALID;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		civic_error_set(CIVIC_ERROR_RECORD, "%s: a record must be a JSON object", where);
		return CIVIC_EINVALID;
	}
	return 0;
}

int civic_record_serialize(civic_buf *out, const json_t *record)
{
	char *text = json_dumps(record, JSON_INDENT(2) | JSON_SORT_KEYS);
	int error;

	if (!text)
		return civic_error_nomem();
	civic_buf_clear(out);
	civic_buf_puts(out, text);
	error = civic_buf_putc(out, '\n');
	free(text);
	return error;
}

/* -------------------------------------------------------------------------
 * Reading the head and the trailers
 */

static int read_head(git_oid *out, int *exists, git_repository *repo, const char *refname)
{
	int error = git_reference_name_to_id(out, repo, refname);

	*exists = 0;
	if (error == GIT_ENOTFOUND)
		return 0;
	if (error < 0)
		return civic_error_from_git(error, "cannot read '%s'", refname);
	*exists = 1;
	return 0;
}

/* Reads the Civic-Network and Civic-Seq trailers of a commit message. */
static int read_trailers(uint64_t *seq, civic_buf *network, const char *message)
{
	int error;

	if ((error = civic_trailer_get(network, message, "Civic-Network")) < 0 ||
	    (error = civic_trailer_get_number(seq, message, "Civic-Seq", 1, CIVIC_FEED_MAX_SEQ)) < 0)
		return error;
	return 0;
}

int civic_feed_commit_seq(uint64_t *seq, git_repository *repo, const git_oid *id)
{
	civic_buf network = CIVIC_BUF_INIT;
	git_commit *c = NULL;
	int error;

	if ((error = civic_object_check(repo, id, GIT_OBJECT_COMMIT, CIVIC_COMMIT_MAX_SIZE, "a feed commit")) < 0)
		return error;
	if ((error = git_commit_lookup(&c, repo, id)) < 0)
		return civic_error_from_git(error, "cannot read a feed commit");
	error = read_trailers(seq, &network, git_commit_message(c));
	civic_buf_dispose(&network);
	git_commit_free(c);
	return error;
}

/* -------------------------------------------------------------------------
 * Appending
 */

/* "minutes: Информационна среща ...", cut on a UTF-8 boundary. */
static int subject_line(civic_buf *out, const json_t *record)
{
	const char *kind = json_string_value(json_object_get(record, "kind"));
	const char *title = json_string_value(json_object_get(record, "title"));
	size_t len, i;

	civic_buf_printf(out, "%s: ", kind);
	len = strlen(title);
	if (len > SUBJECT_MAX) {
		len = SUBJECT_MAX;
		while (len > 0 && ((unsigned char)title[len] & 0xc0) == 0x80)
			len--;
	}
	/* Titles may hold newlines only as the schema allows; keep one line. */
	for (i = 0; i < len; i++)
		civic_buf_putc(out, title[i] == '\n' || title[i] == '\r' ? ' ' : title[i]);
	if (len < strlen(title))
		civic_buf_puts(out, "…");
	return civic_buf_oom(out) ? CIVIC_ERROR : 0;
}

static int build_tree(git_oid *out, git_repository *repo, git_commit *parent,
		      const git_oid *blob, const char *path)
{
	git_tree *base = NULL;
	git_tree_update update = { GIT_TREE_UPDATE_UPSERT, *blob, GIT_FILEMODE_BLOB, path };
	int error;

	/* With no baseline libgit2 starts from an empty tree, and does not
	 * write that empty tree as a dangling object. */
	error = parent ? git_commit_tree(&base, parent) : 0;
	if (error == 0)
		error = git_tree_create_updated(out, repo, base, 1, &update);
	if (error < 0)
		error = civic_error_from_git(error, "cannot build the record tree");
	git_tree_free(base);
	return error;
}

static int commit_message(civic_buf *out, const json_t *record, const char *network, uint64_t seq)
{
	int error;

	if ((error = subject_line(out, record)) < 0)
		return error;
	return civic_buf_printf(out, "\n\nCivic-Network: %s\nCivic-Seq: %" PRIu64 "\n", network, seq);
}

static int next_seq(uint64_t *out, git_commit *parent)
{
	civic_buf network = CIVIC_BUF_INIT;
	int error;

	if (!parent) {
		*out = 1;
		return 0;
	}
	error = read_trailers(out, &network, git_commit_message(parent));
	civic_buf_dispose(&network);
	if (error < 0)
		return error;
	if (*out >= CIVIC_FEED_MAX_SEQ) {
		civic_error_set(CIVIC_ERROR_FEED, "the feed is full");
		return CIVIC_EINVALID;
	}
	(*out)++;
	return 0;
}

/* What we sign must verify later: read the stored bytes back exactly as an
 * audit will (jansson refuses some values it can write, such as \u0000). */
static int check_round_trip(const civic_buf *text, const civic_schemas *schemas)
{
	json_t *again = NULL;
	int error = civic_record_parse(&again, text->ptr, text->size, "the new record");

	if (error == 0)
		error = civic_schemas_validate(schemas, again);
	json_decref(again);
	return error;
}

static int move_step(const char *refname, const git_oid *id, const git_oid *old, void *payload)
{
	return civic_ref_move_hint(payload, refname, id, old, "civic: feed step");
}

/* Every 128th record also gets its step ref (steps.h). The record is in
 * already: a step that cannot be written is a hint lost, which
 * civic_steps_repair() writes again before the archive is served. */
static void add_step(git_repository *repo, const civic_pubkey *author, uint64_t seq, const git_oid *id)
{
	if (civic_steps_of_run(author, seq, id, 1, CIVIC_STEP_RECORDS, repo, move_step, repo) < 0)
		civic_error_clear();
}

int civic_feed_append(git_oid *out, git_repository *repo, const civic_key *key,
		      const char *author_name, const char *network_hex,
		      const civic_schemas *schemas, const json_t *record)
{
	civic_buf refname = CIVIC_BUF_INIT, text = CIVIC_BUF_INIT, message = CIVIC_BUF_INIT;
	char path[CIVIC_RECORD_PATH_SIZE];
	git_commit *parent = NULL;
	git_oid head, blob, tree;
	uint64_t seq;
	int exists, error;

	if ((error = civic_schemas_validate(schemas, record)) < 0 ||
	    (error = civic_feed_refname(&refname, civic_key_public(key))) < 0 ||
	    (error = read_head(&head, &exists, repo, refname.ptr)) < 0)
		goto done;
	if (exists && (error = git_commit_lookup(&parent, repo, &head)) < 0) {
		error = civic_error_from_git(error, "cannot read the feed head");
		goto done;
	}
	if ((error = next_seq(&seq, parent)) < 0 ||
	    (error = civic_record_path(path, seq)) < 0 ||
	    (error = civic_record_serialize(&text, record)) < 0 ||
	    (error = check_round_trip(&text, schemas)) < 0 ||
	    (error = commit_message(&message, record, network_hex, seq)) < 0)
		goto done;
	if ((error = git_blob_create_from_buffer(&blob, repo, text.ptr, text.size)) < 0) {
		error = civic_error_from_git(error, "cannot write the record");
		goto done;
	}
	if ((error = build_tree(&tree, repo, parent, &blob, path)) < 0 ||
	    (error = civic_signed_commit_create(out, repo, key, author_name, &tree, parent, message.ptr)) < 0)
		goto done;
	/* Compare-and-swap: if the feed moved since we read it, refuse. */
	if ((error = civic_ref_move(repo, refname.ptr, out, exists ? &head : NULL, "civic: add record")) == 0)
		add_step(repo, civic_key_public(key), seq, out);
done:
	git_commit_free(parent);
	civic_buf_dispose(&refname);
	civic_buf_dispose(&text);
	civic_buf_dispose(&message);
	return error;
}

/* -------------------------------------------------------------------------
 * Verifying
 */

static int entries_equal(const git_tree_entry *a, const git_tree_entry *b)
{
	return a && b && git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) &&
	       git_tree_entry_filemode(a) == git_tree_entry_filemode(b);
}

static int changed_records(const char *name)
{
	civic_error_set(CIVIC_ERROR_FEED, "the commit changes '%s': earlier records are immutable", name);
	return CIVIC_EINVALID;
}

/* The trees along a record's path: root, records/, AA/, BB/, CC/. */
#define PATH_TREES 5

static void free_trees(git_tree *trees[PATH_TREES])
{
	size_t i;

	for (i = 0; i < PATH_TREES; i++) {
		git_tree_free(trees[i]);
		trees[i] = NULL;
	}
}

/* One level: `tree` must hold what `old` (NULL: nothing) holds, unchanged
 * and in the same order, plus `name` (new, or a directory that changed
 * below). Both lists are sorted alike, so one pass compares them. */
static int check_level(const git_tree_entry **mine, const git_tree_entry **before, const git_tree *old,
		       const git_tree *tree, const char *name, int leaf)
{
	size_t n = git_tree_entrycount(tree), m = old ? git_tree_entrycount(old) : 0, i, j = 0;

	*mine = git_tree_entry_byname(tree, name);
	*before = old ? git_tree_entry_byname(old, name) : NULL;
	if (!*mine) {
		civic_error_set(CIVIC_ERROR_FEED, "the commit lacks its record file '%s'", name);
		return CIVIC_EINVALID;
	}
	if (leaf && *before)
		return changed_records(name);
	if (n != m + (*before ? 0 : 1)) {
		civic_error_set(CIVIC_ERROR_FEED, "the commit adds or removes files besides its record: earlier records are immutable");
		return CIVIC_EINVALID;
	}
	for (i = 0; i < n; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i), *o;
		if (e == *mine) {
			j += *before ? 1 : 0;
			continue;
		}
		o = j < m ? git_tree_entry_byindex(old, j++) : NULL;
		if (!o || strcmp(git_tree_entry_name(e), git_tree_entry_name(o)) || !entries_equal(e, o))
			return changed_records(git_tree_entry_name(e));
	}
	return 0;
}

/* The old side's subtree at `before`: the one kept from the previous
 * commit when it is that very tree (the usual case), else read. */
static int old_subtree(git_tree **out, git_repository *repo, const git_tree_entry *before, git_tree *kept)
{
	int error;

	*out = NULL;
	if (!before)
		return 0;
	if (git_tree_entry_type(before) != GIT_OBJECT_TREE) {
		civic_error_set(CIVIC_ERROR_FEED, "'%s' is not a directory", git_tree_entry_name(before));
		return CIVIC_EINVALID;
	}
	if (kept && git_oid_equal(git_tree_id(kept), git_tree_entry_id(before)))
		error = git_tree_dup(out, kept);
	else
		error = git_tree_lookup(out, repo, git_tree_entry_id(before));
	return error < 0 ? civic_error_from_git(error, "cannot read tree '%s'", git_tree_entry_name(before)) : 0;
}

/* Checks that now[0] is old[0] (NULL: empty) plus exactly the file at
 * `path`, level by level; only the trees along the path are read, and
 * now[] is filled with them so the next commit can start from them. old[]
 * is consumed (freed). */
static int check_adds_one(git_oid *blob, git_tree *now[PATH_TREES], git_tree *old[PATH_TREES],
			  git_tree *const kept[PATH_TREES], git_repository *repo, const char *path)
{
	const git_tree_entry *mine, *before;
	char name[CIVIC_RECORD_PATH_SIZE];
	const char *p = path, *slash;
	int level, error = 0;

	for (level = 0; error == 0; level++, p = slash + 1) {
		slash = strchr(p, '/');
		snprintf(name, sizeof name, "%.*s", (int)(slash ? (size_t)(slash - p) : strlen(p)), p);
		if ((error = check_level(&mine, &before, old[level], now[level], name, !slash)) < 0)
			break;
		if (!slash) {
			if (git_tree_entry_filemode(mine) != GIT_FILEMODE_BLOB) {
				civic_error_set(CIVIC_ERROR_FEED, "record file '%s' is not a plain file", name);
				error = CIVIC_EINVALID;
			} else {
				git_oid_cpy(blob, git_tree_entry_id(mine));
			}
			break;
		}
		if (level + 1 >= PATH_TREES || git_tree_entry_type(mine) != GIT_OBJECT_TREE) {
			civic_error_set(CIVIC_ERROR_FEED, "'%s' is not a directory", name);
			error = CIVIC_EINVALID;
			break;
		}
		if ((error = civic_object_check(repo, git_tree_entry_id(mine), GIT_OBJECT_TREE,
					       CIVIC_FEED_TREE_MAX_SIZE, "a record directory")) < 0)
			break;
		if ((error = git_tree_lookup(&now[level + 1], repo, git_tree_entry_id(mine))) < 0) {
			error = civic_error_from_git(error, "cannot read tree '%s'", name);
			break;
		}
		error = old_subtree(&old[level + 1], repo, before, kept ? kept[level + 1] : NULL);
	}
	free_trees(old);
	return error;
}

static int check_parent(const git_commit *commit, const git_oid *parent)
{
	unsigned int n = git_commit_parentcount(commit);

	if (n != (parent ? 1u : 0u) || (parent && !git_oid_equal(git_commit_parent_id(commit, 0), parent))) {
		civic_error_set(CIVIC_ERROR_FEED, "the commit does not extend the feed by one step");
		return CIVIC_EINVALID;
	}
	return 0;
}

static int check_trailers(uint64_t *seq, const git_commit *commit, const char *network_hex,
			  uint64_t expected_seq)
{
	civic_buf network = CIVIC_BUF_INIT;
	int error = read_trailers(seq, &network, git_commit_message(commit));

	if (error < 0)
		goto done;
	if (strcmp(network.ptr, network_hex)) {
		civic_error_set(CIVIC_ERROR_FEED, "the commit belongs to network '%s', not this one", network.ptr);
		error = CIVIC_EINVALID;
	} else if (*seq != expected_seq) {
		civic_error_set(CIVIC_ERROR_FEED, "sequence number %" PRIu64 " where %" PRIu64 " was due",
				*seq, expected_seq);
		error = CIVIC_EINVALID;
	}
done:
	civic_buf_dispose(&network);
	return error;
}

static int read_record(json_t **out, git_repository *repo, const git_oid *blob_id,
		       const char *path, const civic_schemas *schemas)
{
	git_blob *blob = NULL;
	int error;

	/* Checked before inflating: a tiny packed object can inflate to gigabytes. */
	if ((error = civic_object_check(repo, blob_id, GIT_OBJECT_BLOB, CIVIC_RECORD_MAX_SIZE, "the record")) < 0)
		return error;
	if ((error = git_blob_lookup(&blob, repo, blob_id)) < 0)
		return civic_error_from_git(error, "cannot read record '%s'", path);
	error = civic_record_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), path);
	if (error == 0 && (error = civic_schemas_validate(schemas, *out)) < 0) {
		json_decref(*out);
		*out = NULL;
	}
	git_blob_free(blob);
	return error;
}

/* The parent's root tree: kept from the previous commit, or read. */
static int parent_root(git_tree **out, git_repository *repo, const git_oid *parent, git_tree *kept)
{
	git_commit *c = NULL;
	int error;

	*out = NULL;
	if (!parent)
		return 0;
	if (kept)
		return git_tree_dup(out, kept) < 0 ? civic_error_nomem() : 0;
	if ((error = git_commit_lookup(&c, repo, parent)) == 0)
		error = git_commit_tree(out, c);
	git_commit_free(c);
	return error < 0 ? civic_error_from_git(error, "cannot read the parent commit") : 0;
}

/* civic_feed_verify_commit(), and with `kept` (the previous commit's path
 * trees, NULL: read them) and `now` (receives this commit's, for the next
 * call; NULL: not wanted). */
static int verify_commit(civic_feed_commit *out, json_t **record, git_repository *repo,
			 const git_oid *commit_id, const civic_pubkey *author,
			 const char *network_hex, const civic_feed_commit *prev,
			 const civic_schemas *schemas, git_tree *const kept[PATH_TREES],
			 git_tree *now_out[PATH_TREES])
{
	const git_oid *parent = prev ? &prev->id : NULL;
	git_tree *now[PATH_TREES] = { NULL }, *old[PATH_TREES] = { NULL };
	git_commit *commit = NULL;
	json_t *rec = NULL;
	int error;

	memset(out, 0, sizeof *out);
	git_oid_cpy(&out->id, commit_id);
	/* The signature first: it checks the commit's size, then reads it
	 * raw, which the lookup then parses from the cache. The other way
	 * round, the parsed commit took the raw one's place in the cache, and
	 * the commit was read from its pack twice. */
	if ((error = civic_signed_commit_verify(NULL, repo, commit_id, author)) < 0)
		goto done;
	if ((error = git_commit_lookup(&commit, repo, commit_id)) < 0) {
		error = civic_error_from_git(error, "cannot read commit");
		goto done;
	}
	if ((error = civic_commit_check_email(commit, author)) < 0 ||
	    (error = check_parent(commit, parent)) < 0 ||
	    (error = check_trailers(&out->seq, commit, network_hex, prev ? prev->seq + 1 : 1)) < 0 ||
	    (error = civic_record_path(out->path, out->seq)) < 0)
		goto done;
	if ((error = civic_object_check(repo, git_commit_tree_id(commit), GIT_OBJECT_TREE,
				       CIVIC_FEED_TREE_MAX_SIZE, "the commit's tree")) < 0)
		goto done;
	if ((error = git_commit_tree(&now[0], commit)) < 0) {
		error = civic_error_from_git(error, "cannot read the commit's tree");
		goto done;
	}
	if ((error = parent_root(&old[0], repo, parent, kept ? kept[0] : NULL)) < 0 ||
	    (error = check_adds_one(&out->record_blob, now, old, kept, repo, out->path)) < 0 ||
	    (error = read_record(&rec, repo, &out->record_blob, out->path, schemas)) < 0)
		goto done;
	out->time = git_commit_time(commit);
	if (record) {
		*record = rec;
		rec = NULL;
	}
	if (now_out)
		memcpy(now_out, now, sizeof now), memset(now, 0, sizeof now);
done:
	json_decref(rec);
	free_trees(now);
	free_trees(old);
	git_commit_free(commit);
	return error;
}

int civic_feed_verify_commit(civic_feed_commit *out, json_t **record, git_repository *repo,
			     const git_oid *commit_id, const civic_pubkey *author,
			     const char *network_hex, const civic_feed_commit *prev,
			     const civic_schemas *schemas)
{
	return verify_commit(out, record, repo, commit_id, author, network_hex, prev, schemas, NULL, NULL);
}

/* -------------------------------------------------------------------------
 * Verifying a whole feed, commit after commit
 */

struct civic_feed_verifier {
	git_repository *repo;
	civic_pubkey author;
	char network[GIT_OID_HEXSZ + 1];
	const civic_schemas *schemas;
	civic_feed_commit prev;
	int have_prev;
	git_tree *trees[PATH_TREES]; /* the previous commit's path trees */
	civic_oidset *read;          /* collects the objects of verified commits, or NULL */
};

int civic_feed_verifier_new(civic_feed_verifier **out, git_repository *repo, const civic_pubkey *author,
			    const char *network_hex, const civic_schemas *schemas)
{
	civic_feed_verifier *v = calloc(1, sizeof *v);

	*out = NULL;
	CIVIC_ERROR_CHECK_ALLOC(v);
	v->repo = repo;
	v->author = *author;
	snprintf(v->network, sizeof v->network, "%s", network_hex);
	v->schemas = schemas;
	*out = v;
	return 0;
}

static int collect_read(civic_feed_verifier *v, const civic_feed_commit *c)
{
	size_t i;
	int error = civic_oidset_add(v->read, &c->id);

	if (error == 0)
		error = civic_oidset_add(v->read, &c->record_blob);
	for (i = 0; i < PATH_TREES && error == 0; i++)
		if (v->trees[i])
			error = civic_oidset_add(v->read, git_tree_id(v->trees[i]));
	return error;
}

int civic_feed_verifier_next(civic_feed_verifier *v, civic_feed_commit *out, json_t **record,
			     const git_oid *commit_id)
{
	git_tree *now[PATH_TREES] = { NULL };
	int error = verify_commit(out, record, v->repo, commit_id, &v->author, v->network,
				  v->have_prev ? &v->prev : NULL, v->schemas,
				  v->have_prev ? v->trees : NULL, now);

	if (error < 0)
		return error;
	free_trees(v->trees);
	memcpy(v->trees, now, sizeof now);
	v->prev = *out;
	v->have_prev = 1;
	return v->read ? collect_read(v, out) : 0;
}

void civic_feed_verifier_collect(civic_feed_verifier *v, civic_oidset *read)
{
	v->read = read;
}

/* The trees along the path of the record `c` added: what the next commit's
 * check starts from. */
static int path_trees(git_tree *out[PATH_TREES], git_repository *repo, git_commit *c, const char *path)
{
	char name[CIVIC_RECORD_PATH_SIZE];
	const char *p = path, *slash;
	int level, error;

	if ((error = git_commit_tree(&out[0], c)) < 0)
		return civic_error_from_git(error, "cannot read the commit's tree");
	for (level = 0; (slash = strchr(p, '/')) && level + 1 < PATH_TREES; level++, p = slash + 1) {
		const git_tree_entry *e;
		snprintf(name, sizeof name, "%.*s", (int)(slash - p), p);
		if (!(e = git_tree_entry_byname(out[level], name)) || git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			civic_error_set(CIVIC_ERROR_FEED, "'%s' is not a directory", name);
			return CIVIC_EINVALID;
		}
		if ((error = git_tree_lookup(&out[level + 1], repo, git_tree_entry_id(e))) < 0)
			return civic_error_from_git(error, "cannot read tree '%s'", name);
	}
	return 0;
}

int civic_feed_verifier_resume(civic_feed_verifier *v, const git_oid *trusted)
{
	git_tree *trees[PATH_TREES] = { NULL };
	civic_buf network = CIVIC_BUF_INIT;
	civic_feed_commit prev;
	git_commit *c = NULL;
	int error;

	memset(&prev, 0, sizeof prev);
	git_oid_cpy(&prev.id, trusted);
	if ((error = git_commit_lookup(&c, v->repo, trusted)) < 0) {
		error = civic_error_from_git(error, "cannot read the feed head");
		goto done;
	}
	if ((error = read_trailers(&prev.seq, &network, git_commit_message(c))) < 0 ||
	    (error = civic_record_path(prev.path, prev.seq)) < 0 ||
	    (error = path_trees(trees, v->repo, c, prev.path)) < 0)
		goto done;
	prev.time = git_commit_time(c);
	free_trees(v->trees);
	memcpy(v->trees, trees, sizeof trees);
	memset(trees, 0, sizeof trees);
	v->prev = prev;
	v->have_prev = 1;
done:
	free_trees(trees);
	civic_buf_dispose(&network);
	git_commit_free(c);
	return error;
}

void civic_feed_verifier_free(civic_feed_verifier *v)
{
	if (!v)
		return;
	free_trees(v->trees);
	free(v);
}
