/*
 * test_feed.c - a member's feed: civic_feed_append and, above all,
 * civic_feed_verify_commit. Every check the verifier makes is fed one commit,
 * made by hand with libgit2 and civic_sign, that breaks exactly that check
 * and nothing else; a hand-made commit without the defect verifies, so each
 * refusal is for the reason the test names.
 */
#include "helpers.h"
#include "fixtures.h"

#include <git2/refdb.h>
#include <git2/sys/refdb_backend.h>
#include <git2/sys/repository.h>

#include "feed.h"
#include "schema_store.h"

#define OTHER_NETWORK "ffffffffffffffffffffffffffffffffffffffff"

static struct {
	char *dir;
	civic_schemas *schemas;
	civic_key *a, *b;    /* a: the feed's author; b: anyone else */
	char *rec;           /* a valid record's canonical bytes */
	size_t rec_len;
} g;

static git_repository *repo; /* a fresh repository per test */
static char feed_ref[128];   /* a's feed ref */

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	assert_civic_ok(civic_schemas_new(&g.schemas));
	assert_civic_ok(civic_key_generate(&g.a));
	assert_civic_ok(civic_key_generate(&g.b));
	g.rec = fx_minutes_text("Работна среща с кмета", &g.rec_len);
	fx_feed_ref(feed_ref, sizeof feed_ref, g.a);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(g.rec);
	civic_key_free(g.a);
	civic_key_free(g.b);
	civic_schemas_free(g.schemas);
	test_tmpdir_remove(g.dir);
	fx_global_shutdown();
	return 0;
}

static int setup(void **state)
{
	static int n;
	char name[32];

	(void)state;
	snprintf(name, sizeof name, "repo%d.git", ++n);
	repo = fx_repo_new(g.dir, name);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	git_repository_free(repo);
	repo = NULL;
	return 0;
}

/*------------------------------------------------------------------------
 * Helpers
 */

static void append(git_oid *out, const char *title)
{
	json_t *r = fx_minutes(title);

	assert_civic_ok(civic_feed_append(out, repo, g.a, "Читалище „Искра“", FX_NETWORK, g.schemas, r));
	json_decref(r);
}

static int verify_as(civic_feed_commit *out, const git_oid *id, const civic_feed_commit *prev,
		     const civic_pubkey *author, const char *network)
{
	civic_feed_commit scratch;
	int rc;

	civic_error_clear();
	rc = civic_feed_verify_commit(out ? out : &scratch, NULL, repo, id, author, network, prev,
				      g.schemas);
	if (rc < 0)
		assert_true(civic_error_last()->message[0] != '\0');
	return rc;
}

static int verify(const git_oid *id, const civic_feed_commit *prev)
{
	return verify_as(NULL, id, prev, civic_key_public(g.a), FX_NETWORK);
}

/* Asserts the verifier refuses id with `code`, saying something with `why`. */
static void assert_refused(int code, const git_oid *id, const civic_feed_commit *prev, const char *why)
{
	int rc = verify(id, prev);

	if (rc != code || !strstr(civic_error_last()->message, why))
		fail_msg("verify returned %d (want %d), message '%s' (want '%s')", rc, code,
			 civic_error_last()->message, why);
}

static civic_feed_commit verified(const git_oid *id, const civic_feed_commit *prev)
{
	civic_feed_commit c;

	assert_civic_ok(verify_as(&c, id, prev, civic_key_public(g.a), FX_NETWORK));
	return c;
}

static void record_path(char out[CIVIC_RECORD_PATH_SIZE], uint64_t seq)
{
	assert_civic_ok(civic_record_path(out, seq));
}

/* The tree of parent (NULL: empty) with `data` at the record path of seq. */
static void tree_with(git_oid *out, const git_oid *parent, uint64_t seq, const void *data, size_t len,
		      git_filemode_t mode)
{
	char path[CIVIC_RECORD_PATH_SIZE];
	git_oid base;

	record_path(path, seq);
	if (parent)
		fx_commit_tree(&base, repo, parent);
	fx_tree_put(out, repo, parent ? &base : NULL, path, data, len, mode);
}

static void message(char *out, size_t size, const char *network, const char *seq)
{
	int n = snprintf(out, size, "minutes: Работна среща\n\nCivic-Network: %s\nCivic-Seq: %s\n",
			 network, seq);
	assert_true(n > 0 && (size_t)n < size);
}

/* Commit number seq on parent, as civic_feed_append would make it, but by
 * hand: signed by a, with a's email, the right trailers, one record. */
static void good_commit(git_oid *out, const git_oid *parent, uint64_t seq)
{
	char msg[256], seqs[24];
	git_oid tree;
	fx_commit_spec s = { 0 };

	snprintf(seqs, sizeof seqs, "%llu", (unsigned long long)seq);
	message(msg, sizeof msg, FX_NETWORK, seqs);
	tree_with(&tree, parent, seq, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	s.signer = g.a;
	s.tree = &tree;
	s.parents = parent;
	s.nparents = parent ? 1 : 0;
	s.message = msg;
	fx_commit(out, repo, &s);
}

/* A commit by a with this tree and message on parent (NULL: a root). */
static void commit_tree_msg(git_oid *out, const git_oid *parent, const git_oid *tree, const char *msg)
{
	fx_commit_spec s = { 0 };

	s.signer = g.a;
	s.tree = tree;
	s.parents = parent;
	s.nparents = parent ? 1 : 0;
	s.message = msg;
	fx_commit(out, repo, &s);
}

/* A first commit whose record is `data` (mode BLOB), otherwise right. */
static void first_with_record(git_oid *out, const void *data, size_t len)
{
	char msg[256];
	git_oid tree;

	message(msg, sizeof msg, FX_NETWORK, "1");
	tree_with(&tree, NULL, 1, data, len, GIT_FILEMODE_BLOB);
	commit_tree_msg(out, NULL, &tree, msg);
}

static size_t count_objects(void)
{
	return fx_count_objects(repo);
}

/*------------------------------------------------------------------------
 * Names and paths
 */

static void test_record_path(void **state)
{
	char p[CIVIC_RECORD_PATH_SIZE];

	(void)state;
	assert_civic_ok(civic_record_path(p, 1));
	assert_string_equal(p, "records/00/00/00/00000001.json");
	assert_civic_ok(civic_record_path(p, 123));
	assert_string_equal(p, "records/00/00/01/00000123.json");
	assert_civic_ok(civic_record_path(p, 12345678));
	assert_string_equal(p, "records/12/34/56/12345678.json");
	assert_civic_ok(civic_record_path(p, CIVIC_FEED_MAX_SEQ));
	assert_string_equal(p, "records/99/99/99/99999999.json");
	assert_civic(CIVIC_EINVALID, civic_record_path(p, 0));
	assert_civic(CIVIC_EINVALID, civic_record_path(p, (uint64_t)CIVIC_FEED_MAX_SEQ + 1));
	assert_civic(CIVIC_EINVALID, civic_record_path(p, UINT64_MAX));
}

static void test_feed_refname_roundtrip(void **state)
{
	civic_buf name = CIVIC_BUF_INIT;
	civic_pubkey pk;
	char hex[CIVIC_PUBKEY_HEX_LEN + 1];

	(void)state;
	assert_civic_ok(civic_feed_refname(&name, civic_key_public(g.a)));
	civic_pubkey_to_hex(hex, civic_key_public(g.a));
	assert_int_equal(strncmp(name.ptr, "refs/civic/feeds/", 17), 0);
	assert_string_equal(name.ptr + 17, hex);
	assert_string_equal(name.ptr, feed_ref);
	assert_civic_ok(civic_feed_author_from_refname(&pk, name.ptr));
	assert_true(civic_pubkey_equal(&pk, civic_key_public(g.a)));
	civic_buf_dispose(&name);
}

static void test_feed_author_from_refname_refuses(void **state)
{
	char upper[160], longer[160], other[160];
	civic_pubkey pk;
	size_t i;

	(void)state;
	snprintf(upper, sizeof upper, "%s", feed_ref);
	for (i = 17; upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 32);
	snprintf(longer, sizeof longer, "%s0", feed_ref);
	snprintf(other, sizeof other, "refs/civic/feedz/%s", feed_ref + 17);
	assert_civic(CIVIC_EINVALID, civic_feed_author_from_refname(&pk, "refs/civic/feeds/xyz"));
	assert_civic(CIVIC_EINVALID, civic_feed_author_from_refname(&pk, "refs/civic/feeds/"));
	assert_civic(CIVIC_EINVALID, civic_feed_author_from_refname(&pk, upper));
	assert_civic(CIVIC_EINVALID, civic_feed_author_from_refname(&pk, longer));
	assert_civic(CIVIC_EINVALID, civic_feed_author_from_refname(&pk, other));
	assert_civic(CIVIC_EINVALID, civic_feed_author_from_refname(&pk, "refs/civic/roster"));
}

/*------------------------------------------------------------------------
 * Records: parse and serialize
 */

static void test_record_serialize_is_canonical(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;
	json_t *r = json_pack("{s:s, s:s, s:i}", "title", "Я", "kind", "x", "a", 1);

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "stale"));
	assert_civic_ok(civic_record_serialize(&b, r));
	assert_string_equal(b.ptr, "{\n  \"a\": 1,\n  \"kind\": \"x\",\n  \"title\": \"Я\"\n}\n");
	json_decref(r);
	civic_buf_dispose(&b);
}

static void test_record_parse(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "\"text\"", "42", "null",
		"{\"kind\": \"minutes\", \"kind\": \"photo\"}", /* duplicate key */
		"{\"title\": \"\xff\"}",                        /* invalid UTF-8 */
		"{\"a\": \"\\u0000\"}",                          /* NUL in a string */
		"{} {}",
	};
	json_t *r = NULL;
	size_t i;

	(void)state;
	assert_civic_ok(civic_record_parse(&r, g.rec, g.rec_len, "rec"));
	assert_true(json_is_object(r));
	json_decref(r);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = (json_t *)1;
		if (civic_record_parse(&r, bad[i], strlen(bad[i]), "rec") != CIVIC_EINVALID)
			fail_msg("record '%s' was not refused", bad[i]);
		assert_null(r);
	}
}

/* A record padded with JSON whitespace to exactly n bytes. */
static char *padded_record(size_t n)
{
	char *p = malloc(n);

	assert_non_null(p);
	assert_true(n > g.rec_len);
	p[0] = '{';
	memset(p + 1, ' ', n - g.rec_len);
	memcpy(p + 1 + (n - g.rec_len), g.rec + 1, g.rec_len - 1);
	return p;
}

static void test_record_parse_size_cap(void **state)
{
	char *at = padded_record(CIVIC_RECORD_MAX_SIZE), *over = padded_record(CIVIC_RECORD_MAX_SIZE + 1);
	json_t *r = NULL;

	(void)state;
	assert_civic_ok(civic_record_parse(&r, at, CIVIC_RECORD_MAX_SIZE, "rec"));
	json_decref(r);
	assert_civic(CIVIC_EINVALID, civic_record_parse(&r, over, CIVIC_RECORD_MAX_SIZE + 1, "rec"));
	assert_null(r);
	assert_non_null(strstr(civic_error_last()->message, "larger than"));
	free(at);
	free(over);
}

/*------------------------------------------------------------------------
 * Appending
 */

static void test_feed_append_numbers_records(void **state)
{
	enum { N = 5 };
	git_oid ids[N], head, blob_id;
	civic_feed_commit c[N];
	char path[CIVIC_RECORD_PATH_SIZE], title[64];
	civic_buf want = CIVIC_BUF_INIT;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	json_t *rec = NULL, *orig;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++) {
		snprintf(title, sizeof title, "Среща %zu", i + 1);
		append(&ids[i], title);
		assert_int_equal(fx_ref(&head, repo, feed_ref), 0);
		assert_true(git_oid_equal(&head, &ids[i]));
	}
	for (i = 0; i < N; i++) {
		assert_civic_ok(civic_feed_verify_commit(&c[i], &rec, repo, &ids[i], civic_key_public(g.a),
							 FX_NETWORK, i ? &c[i - 1] : NULL, g.schemas));
		assert_true(git_oid_equal(&c[i].id, &ids[i]));
		assert_int_equal(c[i].seq, i + 1);
		record_path(path, i + 1);
		assert_string_equal(c[i].path, path);
		assert_true(c[i].time > 0);
		/* The record is stored in its canonical bytes at that path. */
		snprintf(title, sizeof title, "Среща %zu", i + 1);
		orig = fx_minutes(title);
		assert_true(json_equal(rec, orig));
		assert_civic_ok(civic_record_serialize(&want, orig));
		assert_git_ok(git_commit_lookup(&commit, repo, &ids[i]));
		assert_git_ok(git_commit_tree(&tree, commit));
		assert_git_ok(git_tree_entry_bypath(&entry, tree, path));
		assert_int_equal(git_tree_entry_filemode(entry), GIT_FILEMODE_BLOB);
		assert_git_ok(git_blob_create_from_buffer(&blob_id, repo, want.ptr, want.size));
		assert_true(git_oid_equal(git_tree_entry_id(entry), &blob_id));
		assert_true(git_oid_equal(&c[i].record_blob, &blob_id));
		/* One parent: the commit before. */
		assert_int_equal(git_commit_parentcount(commit), i ? 1 : 0);
		if (i)
			assert_true(git_oid_equal(git_commit_parent_id(commit, 0), &ids[i - 1]));
		git_tree_entry_free(entry);
		git_tree_free(tree);
		git_commit_free(commit);
		json_decref(orig);
		json_decref(rec);
		rec = NULL;
	}
	assert_string_equal(c[0].path, "records/00/00/00/00000001.json");
	civic_buf_dispose(&want);
}

static void test_feed_append_commit_message(void **state)
{
	static const char title[] =
		"Информационна среща за участието на НПО в местните политики в община Сапарева баня";
	git_oid id;
	git_commit *c = NULL;
	const char *msg, *nl;
	json_t *probe;
	civic_buf email = CIVIC_BUF_INIT;

	(void)state;
	append(&id, title);
	assert_git_ok(git_commit_lookup(&c, repo, &id));
	msg = git_commit_message(c);
	/* Subject: kind, then the title cut on a character boundary. */
	assert_int_equal(strncmp(msg, "minutes: Информационна среща", strlen("minutes: Информационна среща")), 0);
	nl = strchr(msg, '\n');
	assert_non_null(nl);
	probe = json_stringn(msg, (size_t)(nl - msg));
	assert_non_null(probe); /* valid UTF-8 */
	json_decref(probe);
	assert_true((size_t)(nl - msg) <= strlen("minutes: ") + 72 + strlen("…"));
	assert_non_null(strstr(msg, "\n\nCivic-Network: " FX_NETWORK "\nCivic-Seq: 1\n"));
	/* Author and committer: the key's email. */
	assert_civic_ok(civic_commit_email(&email, civic_key_public(g.a)));
	assert_string_equal(git_commit_author(c)->email, email.ptr);
	assert_string_equal(git_commit_committer(c)->email, email.ptr);
	assert_string_equal(git_commit_author(c)->name, "Читалище „Искра“");
	civic_buf_dispose(&email);
	git_commit_free(c);
}

/* A title cannot smuggle trailers into the commit message. */
static void test_feed_append_title_cannot_inject_trailers(void **state)
{
	json_t *r = fx_minutes("Среща\n\nCivic-Seq: 7\nCivic-Network: " OTHER_NETWORK);
	git_oid id;
	civic_feed_commit c;

	(void)state;
	assert_civic_ok(civic_feed_append(&id, repo, g.a, "Читалище", FX_NETWORK, g.schemas, r));
	c = verified(&id, NULL);
	assert_int_equal(c.seq, 1);
	json_decref(r);
}

static void test_feed_append_refuses_invalid_record_before_writing(void **state)
{
	json_t *bad[4];
	git_oid id, head, head_after;
	size_t objects, i;

	(void)state;
	bad[0] = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "minutes", "visibility", "public",
			   "title", "Без текст", "date", "2014-12-12", "meeting_type", "training"); /* no body */
	bad[1] = json_pack("{s:s, s:s}", "kind", "poem", "title", "Стих");
	bad[2] = json_pack("[s]", "minutes");
	bad[3] = fx_minutes("Лоша дата");
	json_object_set_new(bad[3], "date", json_string("2014-13-45"));

	/* On an empty feed: no object, no ref. */
	objects = count_objects();
	for (i = 0; i < 4; i++) {
		assert_civic(CIVIC_EINVALID, civic_feed_append(&id, repo, g.a, "Читалище", FX_NETWORK,
							       g.schemas, bad[i]));
		assert_int_equal(count_objects(), objects);
		assert_int_equal(fx_ref(&head, repo, feed_ref), GIT_ENOTFOUND);
	}
	/* After a good record: the head stays. */
	append(&head, "Добър запис");
	objects = count_objects();
	for (i = 0; i < 4; i++) {
		assert_civic(CIVIC_EINVALID, civic_feed_append(&id, repo, g.a, "Читалище", FX_NETWORK,
							       g.schemas, bad[i]));
		assert_int_equal(count_objects(), objects);
		assert_int_equal(fx_ref(&head_after, repo, feed_ref), 0);
		assert_true(git_oid_equal(&head, &head_after));
	}
	for (i = 0; i < 4; i++)
		json_decref(bad[i]);
}

static void test_feed_append_refuses_head_without_seq(void **state)
{
	git_oid tree, bogus, id, head;
	json_t *r = fx_minutes("След лош връх");

	(void)state;
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&bogus, NULL, &tree, "no trailers here\n");
	fx_set_ref(repo, feed_ref, &bogus);
	assert_civic(CIVIC_EINVALID, civic_feed_append(&id, repo, g.a, "Читалище", FX_NETWORK, g.schemas, r));
	assert_int_equal(fx_ref(&head, repo, feed_ref), 0);
	assert_true(git_oid_equal(&head, &bogus));
	json_decref(r);
}

/* Stock git checks what civic signs (DESIGN.md, "Signatures"). */
static void test_feed_append_passes_git_verify_commit(void **state)
{
	char signers[4300], cmd[9000], hex[GIT_OID_HEXSZ + 1], email[128];
	civic_buf line = CIVIC_BUF_INIT, text = CIVIC_BUF_INIT;
	git_oid id, tree, unsigned_id;
	fx_commit_spec s = { 0 };

	(void)state;
	if (system("command -v ssh-keygen >/dev/null 2>&1 && command -v git >/dev/null 2>&1") != 0)
		skip();
	append(&id, "Проверка с git");
	fx_email(email, sizeof email, g.a);
	assert_civic_ok(civic_pubkey_to_openssh(&line, civic_key_public(g.a)));
	assert_civic_ok(civic_buf_printf(&text, "%s namespaces=\"git\" %s\n", email, line.ptr));
	fx_path(signers, sizeof signers, g.dir, "allowed_signers");
	fx_write_text(signers, text.ptr);
	fx_oid_hex(hex, &id);
	snprintf(cmd, sizeof cmd,
		 "git --git-dir='%s' -c gpg.ssh.allowedSignersFile='%s' verify-commit %s >/dev/null 2>&1",
		 git_repository_path(repo), signers, hex);
	assert_int_equal(system(cmd), 0);
	/* And refuses an unsigned one. */
	fx_commit_tree(&tree, repo, &id);
	s.tree = &tree;
	s.message = "unsigned\n";
	fx_commit(&unsigned_id, repo, &s);
	fx_oid_hex(hex, &unsigned_id);
	snprintf(cmd, sizeof cmd,
		 "git --git-dir='%s' -c gpg.ssh.allowedSignersFile='%s' verify-commit %s >/dev/null 2>&1",
		 git_repository_path(repo), signers, hex);
	assert_int_not_equal(system(cmd), 0);
	civic_buf_dispose(&line);
	civic_buf_dispose(&text);
}

/*------------------------------------------------------------------------
 * Compare-and-swap: a second writer moves the feed between our read of the
 * head and our write of the ref. The repository's refdb is the stock one,
 * with its lookup wrapped: right after our head is read, a second
 * repository handle appends a record.
 */

static struct {
	int armed;
	git_repository *other;
	git_oid racer;
	int (*inner_lookup)(git_reference **, git_refdb_backend *, const char *);
} race;

static int race_lookup(git_reference **out, git_refdb_backend *backend, const char *name)
{
	int rc = race.inner_lookup(out, backend, name);

	if (race.armed && !strcmp(name, feed_ref)) {
		json_t *r = fx_minutes("Другият процес");
		race.armed = 0;
		assert_civic_ok(civic_feed_append(&race.racer, race.other, g.a, "Читалище", FX_NETWORK,
						  g.schemas, r));
		json_decref(r);
	}
	return rc;
}

static void hook_refdb(void)
{
	git_refdb_backend *backend = NULL;
	git_refdb *db = NULL;

	assert_git_ok(git_refdb_backend_fs(&backend, repo));
	race.inner_lookup = backend->lookup;
	backend->lookup = race_lookup;
	assert_git_ok(git_refdb_new(&db, repo));
	assert_git_ok(git_refdb_set_backend(db, backend));
	assert_git_ok(git_repository_set_refdb(repo, db));
	git_refdb_free(db);
	race.other = fx_repo_open(repo);
}

static void race_done(void)
{
	race.armed = 0;
	git_repository_free(race.other);
	race.other = NULL;
}

static void test_feed_append_compare_and_swap(void **state)
{
	json_t *r = fx_minutes("Загубеното състезание");
	git_oid first, mine, head;
	civic_feed_commit c1;

	(void)state;
	append(&first, "Първи запис");
	hook_refdb();
	race.armed = 1;
	assert_civic(CIVIC_ECONFLICT, civic_feed_append(&mine, repo, g.a, "Читалище", FX_NETWORK, g.schemas, r));
	assert_false(race.armed); /* the race did happen */
	/* The feed holds the other writer's record, as its second. */
	assert_int_equal(fx_ref(&head, repo, feed_ref), 0);
	assert_true(git_oid_equal(&head, &race.racer));
	c1 = verified(&first, NULL);
	assert_int_equal(verified(&head, &c1).seq, 2);
	race_done();
	/* A retry then succeeds, as record 3. */
	assert_civic_ok(civic_feed_append(&mine, repo, g.a, "Читалище", FX_NETWORK, g.schemas, r));
	json_decref(r);
}

/* The very first append races too: the ref appears meanwhile. */
static void test_feed_append_compare_and_swap_first_record(void **state)
{
	json_t *r = fx_minutes("Загубеното състезание");
	git_oid mine, head;
	char why[sizeof civic_error_last()->message];
	int rc;

	(void)state;
	hook_refdb();
	race.armed = 1;
	rc = civic_feed_append(&mine, repo, g.a, "Читалище", FX_NETWORK, g.schemas, r);
	snprintf(why, sizeof why, "%s", civic_error_last()->message);
	json_decref(r);
	assert_false(race.armed);
	race_done();
	assert_int_equal(fx_ref(&head, repo, feed_ref), 0);
	assert_true(git_oid_equal(&head, &race.racer));
	if (rc != CIVIC_ECONFLICT)
		fail_msg("a lost compare-and-swap on the first record returned %d, not CIVIC_ECONFLICT: %s",
			 rc, why);
}

/*------------------------------------------------------------------------
 * Verifying: the control, then one defect per test
 */

static void test_feed_verify_hand_made_commits_pass(void **state)
{
	git_oid c1, c2, c3;
	civic_feed_commit v1, v2;

	(void)state;
	good_commit(&c1, NULL, 1);
	v1 = verified(&c1, NULL);
	good_commit(&c2, &c1, 2);
	v2 = verified(&c2, &v1);
	good_commit(&c3, &c2, 3);
	assert_int_equal(verified(&c3, &v2).seq, 3);
}

static void test_feed_verify_in_order_only(void **state)
{
	git_oid c1, c2;
	civic_feed_commit v1, v2;

	(void)state;
	append(&c1, "Едно");
	append(&c2, "Две");
	v1 = verified(&c1, NULL);
	v2 = verified(&c2, &v1);
	assert_refused(CIVIC_EINVALID, &c2, NULL, "does not extend");   /* 2 as if first */
	assert_refused(CIVIC_EINVALID, &c1, &v1, "does not extend");    /* 1 after itself */
	assert_refused(CIVIC_EINVALID, &c1, &v2, "does not extend");
}

static void test_feed_verify_refuses_unsigned(void **state)
{
	char msg[256], email[128];
	git_oid tree, id;
	fx_commit_spec s = { 0 };

	(void)state;
	fx_email(email, sizeof email, g.a);
	message(msg, sizeof msg, FX_NETWORK, "1");
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	s.author_email = email;
	s.tree = &tree;
	s.message = msg;
	fx_commit(&id, repo, &s);
	assert_refused(CIVIC_EBADSIG, &id, NULL, "not signed");
}

static void test_feed_verify_refuses_other_signer(void **state)
{
	char msg[256], email[128];
	git_oid tree, id;
	fx_commit_spec s = { 0 };

	(void)state;
	fx_email(email, sizeof email, g.a);
	message(msg, sizeof msg, FX_NETWORK, "1");
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	s.signer = g.b;
	s.author_email = email; /* claims to be a */
	s.tree = &tree;
	s.message = msg;
	fx_commit(&id, repo, &s);
	assert_refused(CIVIC_EBADSIG, &id, NULL, "another key");
	/* b's commit does verify as b's, but b's email is not on it. */
	assert_civic(CIVIC_EINVALID, verify_as(NULL, &id, NULL, civic_key_public(g.b), FX_NETWORK));
}

static void test_feed_verify_refuses_signature_over_other_bytes(void **state)
{
	char msg[256];
	git_oid tree, id;
	fx_commit_spec s = { 0 };

	(void)state;
	message(msg, sizeof msg, FX_NETWORK, "1");
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	s.signer = g.a;
	s.tree = &tree;
	s.message = msg;
	s.sign_other = "a different commit";
	fx_commit(&id, repo, &s);
	assert_refused(CIVIC_EBADSIG, &id, NULL, "does not verify");
}

static void test_feed_verify_refuses_wrong_email(void **state)
{
	char msg[256], email_b[128];
	git_oid tree, id1, id2;
	fx_commit_spec s = { 0 };

	(void)state;
	fx_email(email_b, sizeof email_b, g.b);
	message(msg, sizeof msg, FX_NETWORK, "1");
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	s.signer = g.a;
	s.tree = &tree;
	s.message = msg;
	s.author_email = email_b;
	fx_commit(&id1, repo, &s);
	assert_refused(CIVIC_EINVALID, &id1, NULL, "email");
	/* The committer's email counts as much as the author's. */
	s.author_email = NULL;
	s.committer_email = "someone@example.org";
	fx_commit(&id2, repo, &s);
	assert_refused(CIVIC_EINVALID, &id2, NULL, "email");
}

static void test_feed_verify_refuses_wrong_network(void **state)
{
	char msg[256];
	git_oid tree, id, good;

	(void)state;
	message(msg, sizeof msg, OTHER_NETWORK, "1");
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, NULL, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, NULL, "network");
	/* A good commit replayed into another network. */
	good_commit(&good, NULL, 1);
	assert_civic(CIVIC_EINVALID, verify_as(NULL, &good, NULL, civic_key_public(g.a), OTHER_NETWORK));
}

static void test_feed_verify_refuses_missing_trailers(void **state)
{
	git_oid tree, id;

	(void)state;
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, NULL, &tree, "minutes: x\n\nCivic-Seq: 1\n");
	assert_refused(CIVIC_EINVALID, &id, NULL, "'Civic-Network' is missing");
	commit_tree_msg(&id, NULL, &tree, "minutes: x\n\nCivic-Network: " FX_NETWORK "\n");
	assert_refused(CIVIC_EINVALID, &id, NULL, "'Civic-Seq' is missing");
	/* In the body, not in the trailer block, they do not count. */
	commit_tree_msg(&id, NULL, &tree,
			"minutes: x\n\nCivic-Network: " FX_NETWORK "\nCivic-Seq: 1\n\nA last paragraph.\n");
	assert_refused(CIVIC_EINVALID, &id, NULL, "is missing");
}

static void test_feed_verify_refuses_duplicate_trailers(void **state)
{
	git_oid tree, id;

	(void)state;
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, NULL, &tree,
			"minutes: x\n\nCivic-Network: " FX_NETWORK "\nCivic-Seq: 1\nCivic-Seq: 1\n");
	assert_refused(CIVIC_EINVALID, &id, NULL, "twice");
	commit_tree_msg(&id, NULL, &tree,
			"minutes: x\n\nCivic-Network: " FX_NETWORK "\nCivic-Network: " FX_NETWORK
			"\nCivic-Seq: 1\n");
	assert_refused(CIVIC_EINVALID, &id, NULL, "twice");
	commit_tree_msg(&id, NULL, &tree,
			"minutes: x\n\nCivic-Network: " OTHER_NETWORK "\nCivic-Network: " FX_NETWORK
			"\nCivic-Seq: 1\n");
	assert_refused(CIVIC_EINVALID, &id, NULL, "twice");
}

static void test_feed_verify_refuses_seq_skip(void **state)
{
	char msg[256];
	git_oid tree, two, c1, three;
	civic_feed_commit v1;

	(void)state;
	/* 2 after nothing (its record at the path of 2). */
	message(msg, sizeof msg, FX_NETWORK, "2");
	tree_with(&tree, NULL, 2, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&two, NULL, &tree, msg);
	assert_refused(CIVIC_EINVALID, &two, NULL, "sequence number 2 where 1 was due");
	/* 3 after 1. */
	good_commit(&c1, NULL, 1);
	v1 = verified(&c1, NULL);
	message(msg, sizeof msg, FX_NETWORK, "3");
	tree_with(&tree, &c1, 3, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&three, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &three, &v1, "sequence number 3 where 2 was due");
	/* 1 again after 1. */
	message(msg, sizeof msg, FX_NETWORK, "1");
	tree_with(&tree, &c1, 1, "{}", 2, GIT_FILEMODE_BLOB);
	commit_tree_msg(&three, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &three, &v1, "sequence number 1 where 2 was due");
}

static void test_feed_verify_refuses_badly_written_seq(void **state)
{
	static const char *const seqs[] = { "01", "+1", "1.0", "0x1", " ", "1a", "0", "-1",
					     "100000000", "18446744073709551617" };
	char msg[256];
	git_oid tree, id;
	size_t i;

	(void)state;
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	for (i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
		message(msg, sizeof msg, FX_NETWORK, seqs[i]);
		commit_tree_msg(&id, NULL, &tree, msg);
		if (verify(&id, NULL) != CIVIC_EINVALID)
			fail_msg("Civic-Seq '%s' was accepted", seqs[i]);
	}
	message(msg, sizeof msg, FX_NETWORK, "01");
	commit_tree_msg(&id, NULL, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, NULL, "bad number '01'");
}

static void test_feed_verify_refuses_two_parents(void **state)
{
	char msg[256];
	git_oid c1, other, tree, id, parents[2];
	civic_feed_commit v1;
	fx_commit_spec s = { 0 };

	(void)state;
	good_commit(&c1, NULL, 1);
	v1 = verified(&c1, NULL);
	/* Another root, also by a. */
	message(msg, sizeof msg, FX_NETWORK, "1");
	tree_with(&tree, NULL, 1, "{\"x\": 1}", 8, GIT_FILEMODE_BLOB);
	commit_tree_msg(&other, NULL, &tree, msg);
	parents[0] = c1;
	parents[1] = other;
	message(msg, sizeof msg, FX_NETWORK, "2");
	tree_with(&tree, &c1, 2, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	s.signer = g.a;
	s.tree = &tree;
	s.parents = parents;
	s.nparents = 2;
	s.message = msg;
	fx_commit(&id, repo, &s);
	assert_refused(CIVIC_EINVALID, &id, &v1, "does not extend");
}

static void test_feed_verify_refuses_parent_not_previous(void **state)
{
	char msg[256];
	git_oid c1, c2, tree, id, root;
	civic_feed_commit v1, v2;

	(void)state;
	good_commit(&c1, NULL, 1);
	v1 = verified(&c1, NULL);
	good_commit(&c2, &c1, 2);
	v2 = verified(&c2, &v1);
	/* Number 3 built on 1, skipping 2 (a fork). */
	message(msg, sizeof msg, FX_NETWORK, "3");
	tree_with(&tree, &c1, 3, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v2, "does not extend");
	/* A first commit must have no parent. */
	message(msg, sizeof msg, FX_NETWORK, "1");
	tree_with(&tree, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&root, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &root, NULL, "does not extend");
	/* A later commit must have one. */
	message(msg, sizeof msg, FX_NETWORK, "2");
	tree_with(&tree, &c1, 2, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&root, NULL, &tree, msg);
	assert_refused(CIVIC_EINVALID, &root, &v1, "does not extend");
}

static void test_feed_verify_refuses_modified_earlier_record(void **state)
{
	static const char changed[] = "{\"kind\": \"minutes\"}";
	char msg[256], p1[CIVIC_RECORD_PATH_SIZE], p2[CIVIC_RECORD_PATH_SIZE];
	git_oid c1, base, t, tree, id;
	civic_feed_commit v1;

	(void)state;
	good_commit(&c1, NULL, 1);
	v1 = verified(&c1, NULL);
	record_path(p1, 1);
	record_path(p2, 2);
	fx_commit_tree(&base, repo, &c1);
	fx_tree_put(&t, repo, &base, p1, changed, strlen(changed), GIT_FILEMODE_BLOB);
	fx_tree_put(&tree, repo, &t, p2, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	message(msg, sizeof msg, FX_NETWORK, "2");
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v1, "immutable");
	/* Changing only its mode is a change too. */
	fx_tree_put(&t, repo, &base, p1, g.rec, g.rec_len, GIT_FILEMODE_BLOB_EXECUTABLE);
	fx_tree_put(&tree, repo, &t, p2, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v1, "immutable");
}

static void test_feed_verify_refuses_deleted_earlier_record(void **state)
{
	char msg[256], p1[CIVIC_RECORD_PATH_SIZE];
	git_oid c1, t, tree, id;
	civic_feed_commit v1;

	(void)state;
	good_commit(&c1, NULL, 1);
	v1 = verified(&c1, NULL);
	record_path(p1, 1);
	/* Record 2 in place of record 1. */
	tree_with(&t, &c1, 2, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	fx_tree_remove(&tree, repo, &t, p1);
	message(msg, sizeof msg, FX_NETWORK, "2");
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v1, "immutable");
}

static void test_feed_verify_refuses_deleted_record_in_other_directory(void **state)
{
	char msg[256], paths[99][CIVIC_RECORD_PATH_SIZE], p5[CIVIC_RECORD_PATH_SIZE];
	git_tree_update up[99];
	git_oid blob, tree99, c99, t, tree, id;
	civic_feed_commit v99;
	uint64_t i;

	(void)state;
	/* A feed of 99 records, made in one commit: the verifier is given it as
	 * the verified commit 99, and only reads its id, number and tree. */
	fx_blob(&blob, repo, g.rec, g.rec_len);
	memset(up, 0, sizeof up);
	for (i = 0; i < 99; i++) {
		record_path(paths[i], i + 1);
		up[i].action = GIT_TREE_UPDATE_UPSERT;
		up[i].id = blob;
		up[i].filemode = GIT_FILEMODE_BLOB;
		up[i].path = paths[i];
	}
	assert_git_ok(git_tree_create_updated(&tree99, repo, NULL, 99, up));
	message(msg, sizeof msg, FX_NETWORK, "99");
	commit_tree_msg(&c99, NULL, &tree99, msg);
	memset(&v99, 0, sizeof v99);
	v99.id = c99;
	v99.seq = 99;
	/* Number 100 opens records/00/00/01/: the control verifies. */
	message(msg, sizeof msg, FX_NETWORK, "100");
	tree_with(&t, &c99, 100, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, &c99, &t, msg);
	assert_string_equal(verified(&id, &v99).path, "records/00/00/01/00000100.json");
	/* The same, deleting record 5 in the sibling directory 00/00/00/. */
	record_path(p5, 5);
	fx_tree_remove(&tree, repo, &t, p5);
	commit_tree_msg(&id, &c99, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v99, "immutable");
	/* Or changing it there. */
	fx_tree_put(&tree, repo, &t, p5, "{}", 2, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, &c99, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v99, "immutable");
}

static void test_feed_verify_refuses_two_added_files(void **state)
{
	char msg[256], p3[CIVIC_RECORD_PATH_SIZE];
	git_oid c1, t, tree, id;
	civic_feed_commit v1;

	(void)state;
	good_commit(&c1, NULL, 1);
	v1 = verified(&c1, NULL);
	message(msg, sizeof msg, FX_NETWORK, "2");
	/* Records 2 and 3 in one commit. */
	record_path(p3, 3);
	tree_with(&t, &c1, 2, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	fx_tree_put(&tree, repo, &t, p3, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v1, "immutable");
	/* Record 2 and a file at the top. */
	fx_tree_put(&tree, repo, &t, "README", "hi", 2, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v1, "immutable");
	/* Record 2 and a file next to it. */
	fx_tree_put(&tree, repo, &t, "records/00/00/00/extra", "hi", 2, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v1, "immutable");
	/* A first commit with a second file. */
	message(msg, sizeof msg, FX_NETWORK, "1");
	tree_with(&t, NULL, 1, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	fx_tree_put(&tree, repo, &t, "records/extra.json", g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, NULL, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, NULL, "immutable");
}

static void test_feed_verify_refuses_missing_record_file(void **state)
{
	char msg[256];
	git_oid c1, tree, id, empty_tree;
	civic_feed_commit v1;
	git_treebuilder *tb = NULL;

	(void)state;
	good_commit(&c1, NULL, 1);
	v1 = verified(&c1, NULL);
	/* Number 2, but its record is at the path of 3. */
	message(msg, sizeof msg, FX_NETWORK, "2");
	tree_with(&tree, &c1, 3, g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v1, "lacks its record file");
	/* Number 2 with the very tree of 1. */
	fx_commit_tree(&tree, repo, &c1);
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v1, "lacks its record file");
	/* A first commit with an empty tree. */
	assert_git_ok(git_treebuilder_new(&tb, repo, NULL));
	assert_git_ok(git_treebuilder_write(&empty_tree, tb));
	git_treebuilder_free(tb);
	message(msg, sizeof msg, FX_NETWORK, "1");
	commit_tree_msg(&id, NULL, &empty_tree, msg);
	assert_refused(CIVIC_EINVALID, &id, NULL, "lacks its record file");
}

static void test_feed_verify_refuses_record_not_plain_blob(void **state)
{
	static const git_filemode_t modes[] = { GIT_FILEMODE_BLOB_EXECUTABLE, GIT_FILEMODE_LINK };
	char msg[256];
	git_oid tree, id, c1, sub;
	civic_feed_commit v1;
	size_t i;

	(void)state;
	message(msg, sizeof msg, FX_NETWORK, "1");
	for (i = 0; i < 2; i++) {
		tree_with(&tree, NULL, 1, g.rec, g.rec_len, modes[i]);
		commit_tree_msg(&id, NULL, &tree, msg);
		assert_refused(CIVIC_EINVALID, &id, NULL, "not a plain file");
	}
	/* A directory where the record file should be. */
	fx_tree_put(&sub, repo, NULL, "inner.json", g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	fx_tree_put_tree(&tree, repo, NULL, "records/00/00/00/00000001.json", &sub);
	commit_tree_msg(&id, NULL, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, NULL, "not a plain file");
	/* Same on a later commit. */
	good_commit(&c1, NULL, 1);
	v1 = verified(&c1, NULL);
	message(msg, sizeof msg, FX_NETWORK, "2");
	tree_with(&tree, &c1, 2, g.rec, g.rec_len, GIT_FILEMODE_BLOB_EXECUTABLE);
	commit_tree_msg(&id, &c1, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, &v1, "not a plain file");
}

static void test_feed_verify_refuses_file_where_directory_belongs(void **state)
{
	char msg[256];
	git_oid tree, id;

	(void)state;
	message(msg, sizeof msg, FX_NETWORK, "1");
	fx_tree_put(&tree, repo, NULL, "records", g.rec, g.rec_len, GIT_FILEMODE_BLOB);
	commit_tree_msg(&id, NULL, &tree, msg);
	assert_refused(CIVIC_EINVALID, &id, NULL, "not a directory");
}

static void test_feed_verify_refuses_invalid_json(void **state)
{
	static const char *const bad[] = { "{\"kind\": ", "[\"minutes\"]", "\"minutes\"",
					   "{\"kind\": \"minutes\", \"kind\": \"minutes\"}", "" };
	static const char *const why[] = { "invalid JSON", "JSON object", "invalid JSON",
					   "invalid JSON", "invalid JSON" };
	git_oid id;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		first_with_record(&id, bad[i], strlen(bad[i]));
		assert_refused(CIVIC_EINVALID, &id, NULL, why[i]);
	}
}

static void test_feed_verify_refuses_schema_failure(void **state)
{
	json_t *r = fx_minutes("Без дата");
	char *text;
	git_oid id;

	(void)state;
	json_object_del(r, "date");
	text = json_dumps(r, JSON_SORT_KEYS);
	assert_non_null(text);
	first_with_record(&id, text, strlen(text));
	assert_refused(CIVIC_EINVALID, &id, NULL, "minutes record");
	free(text);
	/* An extra property: the schemas allow none. */
	json_object_set_new(r, "date", json_string("2014-12-12"));
	json_object_set_new(r, "signed_by", json_string("the mayor"));
	text = json_dumps(r, JSON_SORT_KEYS);
	first_with_record(&id, text, strlen(text));
	assert_refused(CIVIC_EINVALID, &id, NULL, "minutes record");
	free(text);
	json_decref(r);
}

static void test_feed_verify_refuses_unknown_kind(void **state)
{
	static const char poem[] = "{\"kind\": \"poem\", \"title\": \"Стих\", \"visibility\": \"public\"}";
	static const char nokind[] = "{\"title\": \"Стих\"}";
	git_oid id;

	(void)state;
	first_with_record(&id, poem, strlen(poem));
	assert_refused(CIVIC_EINVALID, &id, NULL, "unknown record kind 'poem'");
	first_with_record(&id, nokind, strlen(nokind));
	assert_refused(CIVIC_EINVALID, &id, NULL, "no \"kind\"");
}

static void test_feed_verify_record_size_cap(void **state)
{
	char *at = padded_record(CIVIC_RECORD_MAX_SIZE), *over = padded_record(CIVIC_RECORD_MAX_SIZE + 1);
	git_oid id;

	(void)state;
	first_with_record(&id, at, CIVIC_RECORD_MAX_SIZE);
	assert_civic_ok(verify(&id, NULL));
	first_with_record(&id, over, CIVIC_RECORD_MAX_SIZE + 1);
	assert_refused(CIVIC_EINVALID, &id, NULL, "larger than");
	free(at);
	free(over);
}

static void test_feed_verify_missing_commit(void **state)
{
	git_oid id;

	(void)state;
	assert_git_ok(git_oid_fromstr(&id, "1234567890123456789012345678901234567890"));
	assert_true(verify(&id, NULL) < 0);
}

static void test_feed_verify_returns_record(void **state)
{
	git_oid id;
	civic_feed_commit c;
	json_t *rec = NULL, *orig = fx_minutes("Работна среща с кмета");

	(void)state;
	good_commit(&id, NULL, 1);
	assert_civic_ok(civic_feed_verify_commit(&c, &rec, repo, &id, civic_key_public(g.a), FX_NETWORK,
						 NULL, g.schemas));
	assert_non_null(rec);
	assert_true(json_equal(rec, orig));
	json_decref(rec);
	json_decref(orig);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_record_path),
		T(test_feed_refname_roundtrip),
		T(test_feed_author_from_refname_refuses),
		T(test_record_serialize_is_canonical),
		T(test_record_parse),
		T(test_record_parse_size_cap),
		T(test_feed_append_numbers_records),
		T(test_feed_append_commit_message),
		T(test_feed_append_title_cannot_inject_trailers),
		T(test_feed_append_refuses_invalid_record_before_writing),
		T(test_feed_append_refuses_head_without_seq),
		T(test_feed_append_passes_git_verify_commit),
		T(test_feed_append_compare_and_swap),
		T(test_feed_append_compare_and_swap_first_record),
		T(test_feed_verify_hand_made_commits_pass),
		T(test_feed_verify_in_order_only),
		T(test_feed_verify_refuses_unsigned),
		T(test_feed_verify_refuses_other_signer),
		T(test_feed_verify_refuses_signature_over_other_bytes),
		T(test_feed_verify_refuses_wrong_email),
		T(test_feed_verify_refuses_wrong_network),
		T(test_feed_verify_refuses_missing_trailers),
		T(test_feed_verify_refuses_duplicate_trailers),
		T(test_feed_verify_refuses_seq_skip),
		T(test_feed_verify_refuses_badly_written_seq),
		T(test_feed_verify_refuses_two_parents),
		T(test_feed_verify_refuses_parent_not_previous),
		T(test_feed_verify_refuses_modified_earlier_record),
		T(test_feed_verify_refuses_deleted_earlier_record),
		T(test_feed_verify_refuses_deleted_record_in_other_directory),
		T(test_feed_verify_refuses_two_added_files),
		T(test_feed_verify_refuses_missing_record_file),
		T(test_feed_verify_refuses_record_not_plain_blob),
		T(test_feed_verify_refuses_file_where_directory_belongs),
		T(test_feed_verify_refuses_invalid_json),
		T(test_feed_verify_refuses_schema_failure),
		T(test_feed_verify_refuses_unknown_kind),
		T(test_feed_verify_record_size_cap),
		T(test_feed_verify_missing_commit),
		T(test_feed_verify_returns_record),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
