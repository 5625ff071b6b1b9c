/* test_attach_purge.c - attachments a signed retraction purged: who may ask,
 * what the attachment index marks, what leaves the store
 * (src/attach_purge.h, src/attach_index.h). */
#include "helpers.h"
#include "fixtures.h"

#include "attach.h"
#include "attach_index.h"
#include "attach_purge.h"
#include "feed.h"
#include "roster.h"
#include "schema_store.h"

#include <sys/stat.h>
#include <unistd.h>

static struct {
	char *dir;
	civic_schemas *schemas;
	civic_key *admin, *admin2, *author, *other;
} g;

static git_repository *repo;
static char net[GIT_OID_HEXSZ + 1];
static civic_roster *roster;
static char tmp[4096], store[4096], sha_dir[4096];

/* Two attachments: one only the photo names, one a document names too. */
#define ONLY "1111111111111111111111111111111111111111111111111111111111111111"
#define SHARED "2222222222222222222222222222222222222222222222222222222222222222"

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	assert_civic_ok(civic_schemas_new(&g.schemas));
	assert_civic_ok(civic_key_generate(&g.admin));
	assert_civic_ok(civic_key_generate(&g.admin2));
	assert_civic_ok(civic_key_generate(&g.author));
	assert_civic_ok(civic_key_generate(&g.other));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	civic_key_free(g.admin);
	civic_key_free(g.admin2);
	civic_key_free(g.author);
	civic_key_free(g.other);
	civic_schemas_free(g.schemas);
	test_tmpdir_remove(g.dir);
	fx_global_shutdown();
	return 0;
}

static void add_member(const civic_key *key, const char *name, const char *role)
{
	civic_member m;

	memset(&m, 0, sizeof m);
	m.key = *civic_key_public(key);
	snprintf(m.name, sizeof m.name, "%s", name);
	snprintf(m.municipality, sizeof m.municipality, "rila");
	snprintf(m.role, sizeof m.role, "%s", role);
	assert_civic_ok(civic_roster_add(roster, repo, g.admin, &m));
}

/* A network of an admin and two ngo members; a store and a tmp dir. */
static int setup(void **state)
{
	static int n;
	char name[64];
	git_oid root;

	(void)state;
	snprintf(name, sizeof name, "repo%d.git", ++n);
	repo = fx_repo_new(g.dir, name);
	assert_civic_ok(civic_roster_create(&root, repo, g.admin, "Мрежа", "Граждански център", "kyustendil"));
	fx_oid_hex(net, &root);
	assert_civic_ok(civic_roster_load(&roster, repo, net));
	add_member(g.author, "НПО Рила", "ngo");
	add_member(g.other, "НПО Дупница", "ngo");
	add_member(g.admin2, "Граждански център 2", "civic-center");
	snprintf(name, sizeof name, "tmp%d", n);
	fx_path(tmp, sizeof tmp, g.dir, name);
	assert_int_equal(mkdir(tmp, 0700), 0);
	snprintf(name, sizeof name, "store%d", n);
	fx_path(store, sizeof store, g.dir, name);
	assert_int_equal(mkdir(store, 0700), 0);
	snprintf(name, sizeof name, "store%d/sha256", n);
	fx_path(sha_dir, sizeof sha_dir, g.dir, name);
	assert_int_equal(mkdir(sha_dir, 0700), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	civic_roster_free(roster);
	roster = NULL;
	git_repository_free(repo);
	repo = NULL;
	return 0;
}

static void reload_roster(void)
{
	civic_roster_free(roster);
	roster = NULL;
	assert_civic_ok(civic_roster_load(&roster, repo, net));
}

static json_t *attachment(const char *name, const char *sha)
{
	return json_pack("{s:s, s:s, s:i}", "name", name, "sha256", sha, "size", 5);
}

static void append(git_oid *out, const civic_key *key, json_t *record)
{
	git_oid ignored;

	assert_non_null(record);
	assert_civic_ok(civic_feed_append(out ? out : &ignored, repo, key, "Автор", net, g.schemas, record));
	json_decref(record);
}

static void add_photo(git_oid *out)
{
	append(out, g.author, json_pack("{s:s, s:s, s:s, s:s, s:[o, o]}", "kind", "photo", "visibility", "public",
					"title", "Среща", "date", "2015-01-30", "attachments",
					attachment("а.jpg", ONLY), attachment("общо.jpg", SHARED)));
}

static void add_document(git_oid *out)
{
	append(out, g.author, json_pack("{s:s, s:s, s:s, s:s, s:s, s:[o]}", "kind", "document", "visibility",
					"public", "title", "Отчет", "date", "2015-01-30", "document_type", "report",
					"attachments", attachment("общо.jpg", SHARED)));
}

static json_t *retraction(const git_oid *target, int purge)
{
	char hex[GIT_OID_HEXSZ + 1];
	json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "retraction", "visibility", "public", "title",
			      "Оттегляне", "retracts", git_oid_tostr(hex, sizeof hex, target), "reason",
			      "лицето на снимката не е съгласно");

	if (purge >= 0)
		json_object_set_new(r, "purge_attachments", json_boolean(purge));
	return r;
}

static void retract(git_oid *out, const civic_key *key, const git_oid *target, int purge)
{
	append(out, key, retraction(target, purge));
}

/* The holding of record id, read from the index with the roster given. */
static const civic_attach_holding *holding_of(civic_attach_holding *list, size_t n, const git_oid *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (git_oid_equal(&list[i].record, id))
			return &list[i];
	return NULL;
}

/* Whether record id is purged, and by whom, after an index read. */
static int purged(git_oid *by, const civic_roster *r, const git_oid *id)
{
	civic_attach_holding *list = NULL;
	const civic_attach_holding *h;
	size_t n = 0;
	int yes;

	assert_civic_ok(civic_attach_index_read(&list, &n, repo, r, tmp));
	h = holding_of(list, n, id);
	assert_non_null(h);
	yes = h->purged;
	if (yes && by)
		*by = h->purged_by;
	civic_attach_holdings_free(list, n);
	return yes;
}

/* Where the store keeps sha's bytes (attach.h). */
static void stored_path(char *out, size_t size, const char *sha)
{
	civic_buf p = CIVIC_BUF_INIT;

	assert_civic_ok(civic_attach_path(&p, store, sha));
	snprintf(out, size, "%s", p.ptr);
	civic_buf_dispose(&p);
}

static void put(const char *sha)
{
	char path[4096];

	stored_path(path, sizeof path, sha);
	fx_write_text(path, "байт");
}

static int held(const char *sha)
{
	char path[4096];

	stored_path(path, sizeof path, sha);
	return access(path, F_OK) == 0;
}

/* ------------------------------------------------------------------------- */

static void test_claim_of_retraction_with_purge(void **state)
{
	git_oid target, got;
	json_t *r;

	(void)state;
	memset(&target, 7, sizeof target);
	r = retraction(&target, 1);
	assert_int_equal(civic_purge_claim_of(&got, r), 1);
	assert_true(git_oid_equal(&got, &target));
	json_decref(r);
}

static void test_claim_of_needs_purge_true(void **state)
{
	git_oid target, got;
	json_t *r, *photo;

	(void)state;
	memset(&target, 7, sizeof target);
	r = retraction(&target, 0);
	assert_int_equal(civic_purge_claim_of(&got, r), 0);
	json_decref(r);
	r = retraction(&target, -1);
	assert_int_equal(civic_purge_claim_of(&got, r), 0);
	/* "true" the string is not true. */
	json_object_set_new(r, "purge_attachments", json_string("true"));
	assert_int_equal(civic_purge_claim_of(&got, r), 0);
	json_decref(r);
	photo = json_pack("{s:s, s:s, s:b}", "kind", "photo", "retracts", ONLY, "purge_attachments", 1);
	assert_int_equal(civic_purge_claim_of(&got, photo), 0);
	json_decref(photo);
	r = json_pack("{s:s, s:s, s:b}", "kind", "retraction", "retracts", "abc", "purge_attachments", 1);
	assert_int_equal(civic_purge_claim_of(&got, r), 0);
	json_decref(r);
}

static void test_claims_find_who_may_purge(void **state)
{
	civic_purge_claims c = CIVIC_PURGE_CLAIMS_INIT;
	const civic_pubkey *author = civic_key_public(g.author);
	const civic_purge_claim *found;
	git_oid target, by_other, by_author, by_admin;

	(void)state;
	memset(&target, 9, sizeof target);
	memset(&by_other, 1, sizeof by_other);
	memset(&by_author, 2, sizeof by_author);
	memset(&by_admin, 3, sizeof by_admin);
	/* Another member may not purge the author's record. */
	assert_civic_ok(civic_purge_claims_add(&c, &by_other, &target, civic_key_public(g.other)));
	assert_null(civic_purge_claims_find(&c, &target, author, roster));
	/* An admin may, but only with the roster that says so. */
	assert_civic_ok(civic_purge_claims_add(&c, &by_admin, &target, civic_key_public(g.admin)));
	assert_null(civic_purge_claims_find(&c, &target, author, NULL));
	found = civic_purge_claims_find(&c, &target, author, roster);
	assert_non_null(found);
	assert_true(git_oid_equal(&found->retraction, &by_admin));
	/* The author may, roster or none; the claim that cannot does not hide it. */
	assert_civic_ok(civic_purge_claims_add(&c, &by_author, &target, author));
	found = civic_purge_claims_find(&c, &target, author, NULL);
	assert_non_null(found);
	assert_true(git_oid_equal(&found->retraction, &by_author));
	/* Nobody claimed this one. */
	memset(&target, 8, sizeof target);
	assert_null(civic_purge_claims_find(&c, &target, author, roster));
	civic_purge_claims_dispose(&c);
}

static void test_index_marks_what_the_author_purged(void **state)
{
	git_oid photo, doc, r, by;

	(void)state;
	add_photo(&photo);
	add_document(&doc);
	assert_int_equal(purged(NULL, roster, &photo), 0);
	retract(&r, g.author, &photo, 1);
	assert_int_equal(purged(&by, roster, &photo), 1);
	assert_true(git_oid_equal(&by, &r));
	assert_int_equal(purged(NULL, roster, &doc), 0);
	/* Read again, from the index as saved: the same. */
	assert_int_equal(purged(&by, roster, &photo), 1);
	assert_true(git_oid_equal(&by, &r));
	/* Without a roster, the author's own retraction still counts. */
	assert_int_equal(purged(NULL, NULL, &photo), 1);
}

static void test_index_retraction_without_purge_keeps_bytes(void **state)
{
	git_oid photo;

	(void)state;
	add_photo(&photo);
	retract(NULL, g.author, &photo, 0);
	retract(NULL, g.author, &photo, -1);
	assert_int_equal(purged(NULL, roster, &photo), 0);
}

static void test_index_other_member_cannot_purge(void **state)
{
	git_oid photo;

	(void)state;
	add_photo(&photo);
	retract(NULL, g.other, &photo, 1);
	assert_int_equal(purged(NULL, roster, &photo), 0);
}

static void test_index_admin_purges(void **state)
{
	git_oid photo, r, by;

	(void)state;
	add_photo(&photo);
	assert_int_equal(purged(NULL, roster, &photo), 0); /* the index is cached, then extended */
	retract(&r, g.admin, &photo, 1);
	assert_int_equal(purged(&by, roster, &photo), 1);
	assert_true(git_oid_equal(&by, &r));
	assert_int_equal(purged(NULL, NULL, &photo), 0);
}

/* A retraction after its key's revocation point purges nothing. */
static void test_index_revoked_retraction_does_not_count(void **state)
{
	git_oid photo, last;

	(void)state;
	add_photo(&photo);
	add_document(&last);
	retract(NULL, g.author, &photo, 1);
	assert_civic_ok(civic_roster_revoke(roster, repo, g.admin, civic_key_public(g.author), &last,
					    "откраднат лаптоп"));
	reload_roster();
	assert_int_equal(purged(NULL, roster, &photo), 0);
}

/* An admin revoked since keeps the purges it signed before its revocation
 * point, and loses those after it. */
static void test_index_revoked_admin_keeps_earlier_purges(void **state)
{
	git_oid photo, doc, r1, r2, by;

	(void)state;
	add_photo(&photo);
	add_document(&doc);
	retract(&r1, g.admin2, &photo, 1);
	retract(&r2, g.admin2, &doc, 1);
	assert_civic_ok(civic_roster_revoke(roster, repo, g.admin, civic_key_public(g.admin2), &r1,
					    "ключът е сменен"));
	reload_roster();
	assert_int_equal(purged(&by, roster, &photo), 1);
	assert_true(git_oid_equal(&by, &r1));
	assert_int_equal(purged(NULL, roster, &doc), 0);
}

/* Reads the index once (so that it is saved), then replaces it with one
 * whose entry for the author's feed, at head, names `records` (n of them)
 * as holding attachments and the claim [retraction, target]. */
static void forge_index(const git_oid *head, const git_oid *records, size_t n, const git_oid *retraction,
			const git_oid *target)
{
	char path[4096], ref[256], text[4096], hex[GIT_OID_HEXSZ + 1];
	civic_attach_holding *list = NULL;
	size_t count = 0, i, len;

	assert_civic_ok(civic_attach_index_read(&list, &count, repo, roster, tmp));
	civic_attach_holdings_free(list, count);
	fx_feed_ref(ref, sizeof ref, g.author);
	len = (size_t)snprintf(text, sizeof text, "{\"format\": \"civic-attachment-index-2\", \"feeds\": "
			       "{\"%s\": {\"head\": \"%s\", \"records\": [", ref, git_oid_tostr(hex, sizeof hex, head));
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%s\"%s\"", i ? ", " : "",
					git_oid_tostr(hex, sizeof hex, &records[i]));
	len += (size_t)snprintf(text + len, sizeof text - len, "], \"purges\": [[\"%s\", ",
				git_oid_tostr(hex, sizeof hex, retraction));
	snprintf(text + len, sizeof text - len, "\"%s\"]]}}}", git_oid_tostr(hex, sizeof hex, target));
	fx_path(path, sizeof path, tmp, "attachment-index.json");
	fx_write_text(path, text);
}

/* A cached claim filed under another feed than its author's (a damaged
 * cache) purges nothing: another member's retraction, filed as the
 * author's own, stays another member's. */
static void test_index_cached_claim_under_another_feed(void **state)
{
	git_oid photo, by_other;

	(void)state;
	add_photo(&photo);
	retract(&by_other, g.other, &photo, 1);
	assert_int_equal(purged(NULL, roster, &photo), 0);
	forge_index(&photo, &photo, 1, &by_other, &photo);
	assert_int_equal(purged(NULL, roster, &photo), 0);
}

/* A cached purge entry that names a record which is no such retraction (a
 * damaged or forged cache) purges nothing. */
static void test_index_cache_is_not_trusted(void **state)
{
	git_oid records[2];

	(void)state;
	add_photo(&records[0]);
	add_document(&records[1]);
	/* The document "retracts" the photo, says the forged cache. */
	forge_index(&records[1], records, 2, &records[1], &records[0]);
	assert_int_equal(purged(NULL, roster, &records[0]), 0);
}

static void test_purge_bytes_keeps_what_another_record_names(void **state)
{
	civic_attach_holding *list = NULL;
	git_oid photo, doc;
	size_t n = 0, removed = 99;

	(void)state;
	add_photo(&photo);
	add_document(&doc);
	put(ONLY);
	put(SHARED);
	assert_civic_ok(civic_attach_index_read(&list, &n, repo, roster, tmp));
	assert_civic_ok(civic_attach_purge_bytes(&removed, list, n, store));
	assert_int_equal(removed, 0);
	civic_attach_holdings_free(list, n);
	assert_true(held(ONLY) && held(SHARED));

	retract(NULL, g.author, &photo, 1);
	assert_civic_ok(civic_attach_index_read(&list, &n, repo, roster, tmp));
	assert_civic_ok(civic_attach_purge_bytes(&removed, list, n, store));
	assert_int_equal(removed, 1);
	assert_false(held(ONLY));
	assert_true(held(SHARED));
	/* Once gone, gone: nothing more to remove. */
	assert_civic_ok(civic_attach_purge_bytes(&removed, list, n, store));
	assert_int_equal(removed, 0);
	civic_attach_holdings_free(list, n);

	/* The document purged too: the shared bytes go as well. */
	retract(NULL, g.author, &doc, 1);
	assert_civic_ok(civic_attach_index_read(&list, &n, repo, roster, tmp));
	assert_civic_ok(civic_attach_purge_bytes(&removed, list, n, store));
	assert_int_equal(removed, 1);
	assert_false(held(SHARED));
	civic_attach_holdings_free(list, n);
}

static void test_may_amend(void **state)
{
	const civic_pubkey *author = civic_key_public(g.author), *other = civic_key_public(g.other);
	const civic_pubkey *admin = civic_key_public(g.admin);

	(void)state;
	assert_true(civic_roster_may_amend(roster, author, author));
	assert_true(civic_roster_may_amend(NULL, author, author));
	assert_true(civic_roster_may_amend(roster, admin, author));
	assert_false(civic_roster_may_amend(NULL, admin, author));
	assert_true(civic_roster_may_amend(roster, civic_key_public(g.admin2), other));
	assert_false(civic_roster_may_amend(roster, other, author));
	assert_false(civic_roster_may_amend(roster, author, other));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_claim_of_retraction_with_purge),
		T(test_claim_of_needs_purge_true),
		T(test_claims_find_who_may_purge),
		T(test_index_marks_what_the_author_purged),
		T(test_index_retraction_without_purge_keeps_bytes),
		T(test_index_other_member_cannot_purge),
		T(test_index_admin_purges),
		T(test_index_revoked_retraction_does_not_count),
		T(test_index_revoked_admin_keeps_earlier_purges),
		T(test_index_cached_claim_under_another_feed),
		T(test_index_cache_is_not_trusted),
		T(test_purge_bytes_keeps_what_another_record_names),
		T(test_may_amend),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
