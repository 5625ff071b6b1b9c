/* test_catalog.c - the verified walk over every feed, and each record's
 * standing from the roster (src/catalog.h). */
#include "helpers.h"
#include "fixtures.h"

#include "catalog.h"
#include "feed.h"
#include "roster.h"
#include "schema_store.h"

static struct {
	char *dir;
	civic_schemas *schemas;
	civic_key *admin, *member, *pending;
} g;

static git_repository *repo;
static char net[GIT_OID_HEXSZ + 1];
static civic_roster *roster;

/* What the callbacks saw. */
#define MAX_SEEN 32
static struct {
	size_t n;
	struct {
		civic_pubkey author;
		int has_member;
		civic_standing standing;
		uint64_t seq;
		git_oid id;
		char title[128];
	} rec[MAX_SEEN];
	size_t bad;
	int bad_has_author;
	civic_pubkey bad_author;
	char bad_ref[256];
	git_oid bad_commit;
	char bad_reason[512];
	int stop_after; /* non-zero: the record callback returns 42 at that count */
} seen;

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	assert_civic_ok(civic_schemas_new(&g.schemas));
	assert_civic_ok(civic_key_generate(&g.admin));
	assert_civic_ok(civic_key_generate(&g.member));
	assert_civic_ok(civic_key_generate(&g.pending));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	civic_key_free(g.admin);
	civic_key_free(g.member);
	civic_key_free(g.pending);
	civic_schemas_free(g.schemas);
	test_tmpdir_remove(g.dir);
	fx_global_shutdown();
	return 0;
}

/* A network whose roster lists the admin and one ngo member. */
static int setup(void **state)
{
	static int n;
	char name[32];
	civic_member m;
	git_oid root;

	(void)state;
	snprintf(name, sizeof name, "repo%d.git", ++n);
	repo = fx_repo_new(g.dir, name);
	assert_civic_ok(civic_roster_create(&root, repo, g.admin, "Мрежа", "Граждански център", "kyustendil"));
	fx_oid_hex(net, &root);
	assert_civic_ok(civic_roster_load(&roster, repo, net));
	memset(&m, 0, sizeof m);
	m.key = *civic_key_public(g.member);
	snprintf(m.name, sizeof m.name, "Читалище „Просвета“");
	snprintf(m.municipality, sizeof m.municipality, "bobov-dol");
	snprintf(m.role, sizeof m.role, "ngo");
	assert_civic_ok(civic_roster_add(roster, repo, g.admin, &m));
	memset(&seen, 0, sizeof seen);
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

static void append(git_oid *out, const civic_key *key, const char *title)
{
	json_t *r = fx_minutes(title);
	git_oid ignored;

	assert_civic_ok(civic_feed_append(out ? out : &ignored, repo, key, "Автор", net, g.schemas, r));
	json_decref(r);
}

static void reload_roster(void)
{
	civic_roster_free(roster);
	roster = NULL;
	assert_civic_ok(civic_roster_load(&roster, repo, net));
}

static void revoke_member(const git_oid *last_valid)
{
	assert_civic_ok(civic_roster_revoke(roster, repo, g.admin, civic_key_public(g.member), last_valid,
					    "откраднат лаптоп"));
	reload_roster();
}

static int on_record(const civic_entry *e, void *payload)
{
	const char *title = json_string_value(json_object_get(e->record, "title"));

	assert_ptr_equal(payload, &seen);
	assert_true(seen.n < MAX_SEEN);
	seen.rec[seen.n].author = e->author;
	seen.rec[seen.n].has_member = e->member != NULL;
	seen.rec[seen.n].standing = e->standing;
	seen.rec[seen.n].seq = e->commit.seq;
	seen.rec[seen.n].id = e->commit.id;
	snprintf(seen.rec[seen.n].title, sizeof seen.rec[seen.n].title, "%s", title ? title : "");
	if (e->member)
		assert_true(civic_pubkey_equal(&e->member->key, &e->author));
	seen.n++;
	return seen.stop_after && seen.n == (size_t)seen.stop_after ? 42 : 0;
}

static void on_bad(const civic_pubkey *author, const char *refname, const git_oid *commit,
		   const char *reason, void *payload)
{
	assert_ptr_equal(payload, &seen);
	seen.bad++;
	seen.bad_has_author = author != NULL;
	if (author)
		seen.bad_author = *author;
	snprintf(seen.bad_ref, sizeof seen.bad_ref, "%s", refname);
	seen.bad_commit = *commit;
	snprintf(seen.bad_reason, sizeof seen.bad_reason, "%s", reason);
}

static int walk_only(const civic_roster *r, const civic_pubkey *only)
{
	civic_catalog_callbacks cb = { on_record, on_bad, &seen };

	return civic_catalog_walk(repo, net, r, g.schemas, only, &cb);
}

static void walk(void)
{
	assert_civic_ok(walk_only(roster, NULL));
}

static size_t count_by(const civic_key *key)
{
	size_t i, n = 0;

	for (i = 0; i < seen.n; i++)
		if (civic_pubkey_equal(&seen.rec[i].author, civic_key_public(key)))
			n++;
	return n;
}

/*------------------------------------------------------------------------
 * Standing
 */

static void test_catalog_member_records_valid(void **state)
{
	git_oid ids[3];
	size_t i;

	(void)state;
	append(&ids[0], g.member, "Първа");
	append(&ids[1], g.member, "Втора");
	append(&ids[2], g.member, "Трета");
	walk();
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.bad, 0);
	for (i = 0; i < 3; i++) {
		assert_true(civic_pubkey_equal(&seen.rec[i].author, civic_key_public(g.member)));
		assert_true(seen.rec[i].has_member);
		assert_int_equal(seen.rec[i].standing, CIVIC_STANDING_VALID);
		assert_int_equal(seen.rec[i].seq, i + 1); /* in feed order */
		assert_true(git_oid_equal(&seen.rec[i].id, &ids[i]));
	}
	assert_string_equal(seen.rec[0].title, "Първа");
	assert_string_equal(seen.rec[2].title, "Трета");
}

static void test_catalog_admin_records_valid(void **state)
{
	(void)state;
	append(NULL, g.admin, "От центъра");
	walk();
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.rec[0].standing, CIVIC_STANDING_VALID);
}

static void test_catalog_non_member_pending(void **state)
{
	(void)state;
	append(NULL, g.pending, "Кандидат");
	append(NULL, g.pending, "Кандидат 2");
	append(NULL, g.member, "Член");
	walk();
	assert_int_equal(seen.n, 3);
	assert_int_equal(count_by(g.pending), 2);
	assert_int_equal(count_by(g.member), 1);
	for (size_t i = 0; i < seen.n; i++) {
		int is_pending = civic_pubkey_equal(&seen.rec[i].author, civic_key_public(g.pending));
		assert_int_equal(seen.rec[i].standing, is_pending ? CIVIC_STANDING_PENDING : CIVIC_STANDING_VALID);
		assert_int_equal(seen.rec[i].has_member, !is_pending);
	}
}

static void test_catalog_without_roster_everything_pending(void **state)
{
	size_t i;

	(void)state;
	append(NULL, g.member, "Член");
	append(NULL, g.admin, "Център");
	assert_civic_ok(walk_only(NULL, NULL));
	assert_int_equal(seen.n, 2);
	for (i = 0; i < seen.n; i++) {
		assert_int_equal(seen.rec[i].standing, CIVIC_STANDING_PENDING);
		assert_false(seen.rec[i].has_member);
	}
}

static void test_catalog_revoked_after_second_of_three(void **state)
{
	git_oid ids[3];

	(void)state;
	append(&ids[0], g.member, "1");
	append(&ids[1], g.member, "2");
	append(&ids[2], g.member, "3 (крадецът)");
	revoke_member(&ids[1]);
	walk();
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.rec[0].standing, CIVIC_STANDING_VALID);
	assert_int_equal(seen.rec[1].standing, CIVIC_STANDING_VALID);
	assert_int_equal(seen.rec[2].standing, CIVIC_STANDING_REVOKED);
	assert_true(seen.rec[2].has_member);
}

static void test_catalog_revoked_at_head_all_valid(void **state)
{
	git_oid ids[3];
	size_t i;

	(void)state;
	append(&ids[0], g.member, "1");
	append(&ids[1], g.member, "2");
	append(&ids[2], g.member, "3");
	revoke_member(&ids[2]);
	walk();
	assert_int_equal(seen.n, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(seen.rec[i].standing, CIVIC_STANDING_VALID);
}

/* The revocation names a commit this node has not received yet, later than
 * what it holds: everything held is before it, so valid. */
static void test_catalog_revoked_after_head_we_hold(void **state)
{
	git_oid ids[3];
	char ref[128];
	size_t i;

	(void)state;
	append(&ids[0], g.member, "1");
	append(&ids[1], g.member, "2");
	append(&ids[2], g.member, "3");
	revoke_member(&ids[2]);
	/* This node holds only the first two. */
	fx_feed_ref(ref, sizeof ref, g.member);
	fx_set_ref(repo, ref, &ids[1]);
	walk();
	assert_int_equal(seen.n, 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(seen.rec[i].standing, CIVIC_STANDING_VALID);
}

/*
 * The thief's fork: the member wrote 1, 2, 3; the key is stolen and the
 * revocation names 3; the thief signs another 3 on top of 2 and this node's
 * ref points at it (it holds both). Only ancestors of the named commit stay
 * valid (roster.h: "the last commit of that key that stays valid"): the
 * thief's 3 is not one.
 */
static void test_catalog_revoked_fork_after_last_valid(void **state)
{
	git_oid ids[3], thief;
	char ref[128];

	(void)state;
	append(&ids[0], g.member, "1");
	append(&ids[1], g.member, "2");
	append(&ids[2], g.member, "3, истинският");
	revoke_member(&ids[2]);
	fx_feed_ref(ref, sizeof ref, g.member);
	fx_set_ref(repo, ref, &ids[1]);
	append(&thief, g.member, "3, на крадеца");
	walk();
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.rec[0].standing, CIVIC_STANDING_VALID);
	assert_int_equal(seen.rec[1].standing, CIVIC_STANDING_VALID);
	assert_true(git_oid_equal(&seen.rec[2].id, &thief));
	assert_int_equal(seen.rec[2].seq, 3);
	if (seen.rec[2].standing != CIVIC_STANDING_REVOKED)
		fail_msg("the thief's record 3, not an ancestor of the revocation point, is '%s'",
			 civic_standing_name(seen.rec[2].standing));
}

static void test_catalog_revoked_without_last_valid_all_revoked(void **state)
{
	size_t i;

	(void)state;
	append(NULL, g.member, "1");
	append(NULL, g.member, "2");
	revoke_member(NULL);
	walk();
	assert_int_equal(seen.n, 2);
	for (i = 0; i < 2; i++)
		assert_int_equal(seen.rec[i].standing, CIVIC_STANDING_REVOKED);
}

/*------------------------------------------------------------------------
 * Bad feeds
 */

/* Feed of the member: 1 good, 2 bad (wrong network), 3 good on top of 2. */
static void test_catalog_bad_second_commit(void **state)
{
	char ref[128], msg[256], p2[CIVIC_RECORD_PATH_SIZE], p3[CIVIC_RECORD_PATH_SIZE];
	git_oid c1, c2, c3, base, t;
	size_t len;
	char *rec = fx_minutes_text("Запис", &len);
	fx_commit_spec s = { 0 };

	(void)state;
	append(&c1, g.member, "Добър първи");
	fx_feed_ref(ref, sizeof ref, g.member);
	assert_civic_ok(civic_record_path(p2, 2));
	assert_civic_ok(civic_record_path(p3, 3));
	fx_commit_tree(&base, repo, &c1);
	fx_tree_put(&t, repo, &base, p2, rec, len, GIT_FILEMODE_BLOB);
	snprintf(msg, sizeof msg, "minutes: x\n\nCivic-Network: %s\nCivic-Seq: 2\n",
		 "ffffffffffffffffffffffffffffffffffffffff");
	s.signer = g.member;
	s.tree = &t;
	s.parents = &c1;
	s.nparents = 1;
	s.message = msg;
	fx_commit(&c2, repo, &s);
	base = t;
	fx_tree_put(&t, repo, &base, p3, rec, len, GIT_FILEMODE_BLOB);
	snprintf(msg, sizeof msg, "minutes: x\n\nCivic-Network: %s\nCivic-Seq: 3\n", net);
	s.tree = &t;
	s.parents = &c2;
	fx_commit(&c3, repo, &s);
	fx_set_ref(repo, ref, &c3);
	/* Another member's good feed is walked as usual. */
	append(NULL, g.admin, "Център");

	walk();
	assert_int_equal(seen.bad, 1);
	assert_true(seen.bad_has_author);
	assert_true(civic_pubkey_equal(&seen.bad_author, civic_key_public(g.member)));
	assert_string_equal(seen.bad_ref, ref);
	assert_true(git_oid_equal(&seen.bad_commit, &c2));
	assert_non_null(strstr(seen.bad_reason, "network"));
	/* Record 1 is still reported, nothing after the bad commit is. */
	assert_int_equal(count_by(g.member), 1);
	assert_int_equal(count_by(g.admin), 1);
	{
		size_t i;
		for (i = 0; i < seen.n; i++)
			if (civic_pubkey_equal(&seen.rec[i].author, civic_key_public(g.member))) {
				assert_true(git_oid_equal(&seen.rec[i].id, &c1));
				assert_int_equal(seen.rec[i].standing, CIVIC_STANDING_VALID);
			}
	}
	free(rec);
}

static void test_catalog_bad_first_commit(void **state)
{
	char ref[128];
	git_oid c1, tree;
	fx_commit_spec s = { 0 };

	(void)state;
	fx_feed_ref(ref, sizeof ref, g.member);
	fx_tree_put(&tree, repo, NULL, "records/00/00/00/00000001.json", "{}", 2, GIT_FILEMODE_BLOB);
	s.signer = g.member;
	s.tree = &tree;
	s.message = "no trailers\n";
	fx_commit(&c1, repo, &s);
	fx_set_ref(repo, ref, &c1);
	walk();
	assert_int_equal(seen.bad, 1);
	assert_true(git_oid_equal(&seen.bad_commit, &c1));
	assert_int_equal(seen.n, 0);
}

/* A feed ref under another author's name: every commit fails the signer check. */
static void test_catalog_feed_under_wrong_name(void **state)
{
	char ref[128];
	git_oid c1;

	(void)state;
	append(&c1, g.member, "Чужд");
	fx_feed_ref(ref, sizeof ref, g.pending);
	fx_set_ref(repo, ref, &c1);
	walk();
	assert_int_equal(seen.bad, 1);
	assert_true(civic_pubkey_equal(&seen.bad_author, civic_key_public(g.pending)));
	assert_true(git_oid_equal(&seen.bad_commit, &c1));
	assert_int_equal(count_by(g.member), 1); /* under its own name it is fine */
	assert_int_equal(count_by(g.pending), 0);
}

static void test_catalog_ref_name_not_a_key(void **state)
{
	static const char *const names[] = {
		"refs/civic/feeds/xyz",
		"refs/civic/feeds/ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
	};
	git_oid c1;
	size_t i;

	(void)state;
	append(&c1, g.member, "Запис");
	for (i = 0; i < 2; i++) {
		memset(&seen, 0, sizeof seen);
		fx_set_ref(repo, names[i], &c1);
		walk();
		assert_int_equal(seen.bad, 1);
		assert_false(seen.bad_has_author);
		assert_string_equal(seen.bad_ref, names[i]);
		assert_true(git_oid_equal(&seen.bad_commit, &c1));
		assert_int_equal(seen.n, 1); /* the real feed still walked */
		assert_git_ok(git_reference_remove(repo, names[i]));
	}
}

/*------------------------------------------------------------------------
 * The walk itself
 */

static void test_catalog_only_one_author(void **state)
{
	(void)state;
	append(NULL, g.member, "Член 1");
	append(NULL, g.member, "Член 2");
	append(NULL, g.pending, "Друг");
	append(NULL, g.admin, "Център");
	assert_civic_ok(walk_only(roster, civic_key_public(g.member)));
	assert_int_equal(seen.n, 2);
	assert_int_equal(count_by(g.member), 2);
	memset(&seen, 0, sizeof seen);
	assert_civic_ok(walk_only(roster, civic_key_public(g.pending)));
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.rec[0].standing, CIVIC_STANDING_PENDING);
}

static void test_catalog_callback_stops_walk(void **state)
{
	(void)state;
	append(NULL, g.member, "1");
	append(NULL, g.member, "2");
	append(NULL, g.member, "3");
	seen.stop_after = 2;
	assert_int_equal(walk_only(roster, NULL), 42);
	assert_int_equal(seen.n, 2);
}

static void test_catalog_empty(void **state)
{
	(void)state;
	walk();
	assert_int_equal(seen.n, 0);
	assert_int_equal(seen.bad, 0);
}

static void test_catalog_null_callbacks(void **state)
{
	civic_catalog_callbacks none = { NULL, NULL, NULL };
	git_oid c1;

	(void)state;
	append(&c1, g.member, "Запис");
	fx_set_ref(repo, "refs/civic/feeds/xyz", &c1);
	assert_civic_ok(civic_catalog_walk(repo, net, roster, g.schemas, NULL, &none));
}

static void test_catalog_other_network(void **state)
{
	civic_catalog_callbacks cb = { on_record, on_bad, &seen };

	(void)state;
	append(NULL, g.member, "Запис");
	assert_civic_ok(civic_catalog_walk(repo, "ffffffffffffffffffffffffffffffffffffffff", roster, g.schemas,
					   NULL, &cb));
	assert_int_equal(seen.n, 0);
	assert_int_equal(seen.bad, 1);
}

/* From a commit verified before: only what the head adds is walked; a head
 * that does not extend it, or a revoked member's feed, is left to a whole
 * walk (1, nothing reported). */
static void test_catalog_walk_feed_after(void **state)
{
	civic_catalog_callbacks cb = { on_record, on_bad, &seen };
	char ref[128];
	git_oid ids[4];

	(void)state;
	append(&ids[0], g.member, "1");
	append(&ids[1], g.member, "2");
	append(&ids[2], g.member, "3");
	append(&ids[3], g.member, "4");
	fx_feed_ref(ref, sizeof ref, g.member);
	assert_int_equal(civic_catalog_walk_feed_after(repo, net, roster, g.schemas, ref, &ids[3], &ids[1], &cb), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.rec[0].seq, 3);
	assert_true(git_oid_equal(&seen.rec[1].id, &ids[3]));
	assert_int_equal(seen.rec[1].standing, CIVIC_STANDING_VALID);
	assert_int_equal(seen.bad, 0);

	seen.n = 0;
	assert_int_equal(civic_catalog_walk_feed_after(repo, net, roster, g.schemas, ref, &ids[1], &ids[3], &cb), 1);
	assert_int_equal(seen.n, 0);
	revoke_member(&ids[2]);
	assert_int_equal(civic_catalog_walk_feed_after(repo, net, roster, g.schemas, ref, &ids[3], &ids[1], &cb), 1);
	assert_int_equal(seen.n, 0);
	assert_int_equal(seen.bad, 0);
}

static void test_standing_names(void **state)
{
	(void)state;
	assert_string_equal(civic_standing_name(CIVIC_STANDING_VALID), "valid");
	assert_string_equal(civic_standing_name(CIVIC_STANDING_PENDING), "pending");
	assert_string_equal(civic_standing_name(CIVIC_STANDING_REVOKED), "revoked");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_catalog_member_records_valid),
		T(test_catalog_admin_records_valid),
		T(test_catalog_non_member_pending),
		T(test_catalog_without_roster_everything_pending),
		T(test_catalog_revoked_after_second_of_three),
		T(test_catalog_revoked_at_head_all_valid),
		T(test_catalog_revoked_after_head_we_hold),
		T(test_catalog_revoked_fork_after_last_valid),
		T(test_catalog_revoked_without_last_valid_all_revoked),
		T(test_catalog_bad_second_commit),
		T(test_catalog_bad_first_commit),
		T(test_catalog_feed_under_wrong_name),
		T(test_catalog_ref_name_not_a_key),
		T(test_catalog_only_one_author),
		T(test_catalog_callback_stops_walk),
		T(test_catalog_empty),
		T(test_catalog_null_callbacks),
		T(test_catalog_other_network),
		T(test_catalog_walk_feed_after),
		T(test_standing_names),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
