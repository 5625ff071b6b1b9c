/* test_audit.c - the whole-archive audit (src/audit.h): roster, feeds,
 * standing, attachment bytes, and whether the archive is sound. */
#include "helpers.h"
#include "fixtures.h"

#include "attach.h"
#include "audit.h"
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
static char attachments[4200];
static char sources[4200];
static civic_audit_report report;

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

static void make_repo(void)
{
	static int n;
	char name[32];

	snprintf(name, sizeof name, "repo%d.git", ++n);
	repo = fx_repo_new(g.dir, name);
	snprintf(name, sizeof name, "attachments%d", n);
	fx_path(attachments, sizeof attachments, g.dir, name);
	assert_int_equal(mkdir(attachments, 0700), 0);
	snprintf(name, sizeof name, "sources%d", n);
	fx_path(sources, sizeof sources, g.dir, name);
	assert_int_equal(mkdir(sources, 0700), 0);
	memset(&report, 0, sizeof report);
}

/* A network of the admin and one ngo member. */
static int setup(void **state)
{
	civic_roster *r = NULL;
	civic_member m;
	git_oid root;

	(void)state;
	make_repo();
	assert_civic_ok(civic_roster_create(&root, repo, g.admin, "Мрежа", "Граждански център", "kyustendil"));
	fx_oid_hex(net, &root);
	assert_civic_ok(civic_roster_load(&r, repo, net));
	memset(&m, 0, sizeof m);
	m.key = *civic_key_public(g.member);
	snprintf(m.name, sizeof m.name, "Читалище „Христо Ботев“");
	snprintf(m.municipality, sizeof m.municipality, "nevestino");
	snprintf(m.role, sizeof m.role, "ngo");
	assert_civic_ok(civic_roster_add(r, repo, g.admin, &m));
	civic_roster_free(r);
	return 0;
}

/* A repository with no roster at all. */
static int setup_no_roster(void **state)
{
	(void)state;
	make_repo();
	snprintf(net, sizeof net, "%s", FX_NETWORK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	civic_audit_report_dispose(&report);
	git_repository_free(repo);
	repo = NULL;
	return 0;
}

static void append_record(git_oid *out, const civic_key *key, json_t *r)
{
	git_oid ignored;

	assert_civic_ok(civic_feed_append(out ? out : &ignored, repo, key, "Автор", net, g.schemas, r));
	json_decref(r);
}

static void append(git_oid *out, const civic_key *key, const char *title)
{
	append_record(out, key, fx_minutes(title));
}

static void revoke_member(const git_oid *last_valid)
{
	civic_roster *r = NULL;

	assert_civic_ok(civic_roster_load(&r, repo, net));
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.member), last_valid, "откраднат"));
	civic_roster_free(r);
}

static void run_with(int rehash)
{
	civic_audit_options o = CIVIC_AUDIT_OPTIONS_INIT;

	o.rehash_attachments = rehash;
	civic_audit_report_dispose(&report);
	assert_civic_ok(civic_audit_run(&report, repo, net, attachments, g.schemas, &o));
}

static void run(void)
{
	civic_audit_report_dispose(&report);
	assert_civic_ok(civic_audit_run(&report, repo, net, attachments, g.schemas, NULL));
}

static size_t findings(civic_finding_level level)
{
	size_t i, n = 0;

	for (i = 0; i < report.findings_count; i++)
		if (report.findings[i].level == level)
			n++;
	return n;
}

static const civic_finding *first_finding(civic_finding_level level)
{
	size_t i;

	for (i = 0; i < report.findings_count; i++)
		if (report.findings[i].level == level)
			return &report.findings[i];
	fail_msg("no finding of level '%s'", civic_finding_level_name(level));
	return NULL;
}

static void key_hex(char out[CIVIC_PUBKEY_HEX_LEN + 1], const civic_key *key)
{
	civic_pubkey_to_hex(out, civic_key_public(key));
}

/* A photo record whose one attachment is a new file of len bytes, stored
 * in the attachment store when `store` is set. */
static json_t *photo(civic_attachment *a, const char *name, size_t len, int store)
{
	char path[4300];
	unsigned char *data = malloc(len);
	size_t i;
	json_t *r;

	assert_non_null(data);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 31 + len);
	fx_path(path, sizeof path, sources, name);
	fx_write_file(path, data, len);
	free(data);
	if (store)
		assert_civic_ok(civic_attach_store(a, attachments, path));
	else
		assert_civic_ok(civic_attach_describe(a, path));
	r = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:I, s:s}]}", "kind", "photo", "visibility", "public",
		      "title", "Снимка от срещата", "date", "2015-02-27", "attachments", "name", a->name,
		      "sha256", a->sha256, "size", (json_int_t)a->size, "media_type", a->media_type);
	assert_non_null(r);
	return r;
}

static void stored_path(char *out, size_t size, const civic_attachment *a)
{
	civic_buf b = CIVIC_BUF_INIT;

	assert_civic_ok(civic_attach_path(&b, attachments, a->sha256));
	assert_true(b.size < size);
	memcpy(out, b.ptr, b.size + 1);
	civic_buf_dispose(&b);
}

/*------------------------------------------------------------------------
 * Sound archives
 */

static void test_audit_sound_archive(void **state)
{
	(void)state;
	append(NULL, g.member, "1");
	append(NULL, g.member, "2");
	append(NULL, g.admin, "Центърът");
	run();
	assert_true(report.roster_ok);
	assert_int_equal(report.members, 2);
	assert_int_equal(report.revoked_members, 0);
	assert_int_equal(report.feeds, 2);
	assert_int_equal(report.feeds_bad, 0);
	assert_int_equal(report.records_valid, 3);
	assert_int_equal(report.records_pending, 0);
	assert_int_equal(report.records_revoked, 0);
	assert_int_equal(report.findings_count, 0);
	assert_true(civic_audit_sound(&report));
}

static void test_audit_empty_archive(void **state)
{
	(void)state;
	run();
	assert_true(report.roster_ok);
	assert_int_equal(report.feeds, 0);
	assert_int_equal(report.findings_count, 0);
	assert_true(civic_audit_sound(&report));
}

static void test_audit_pending_is_not_a_failure(void **state)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1], id_hex[GIT_OID_HEXSZ + 1];
	const civic_finding *f;
	git_oid id;

	(void)state;
	append(&id, g.pending, "Кандидат");
	append(NULL, g.member, "Член");
	run();
	assert_int_equal(report.records_pending, 1);
	assert_int_equal(report.records_valid, 1);
	assert_int_equal(findings(CIVIC_FINDING_PENDING), 1);
	f = first_finding(CIVIC_FINDING_PENDING);
	key_hex(hex, g.pending);
	fx_oid_hex(id_hex, &id);
	assert_string_equal(f->feed, hex);
	assert_string_equal(f->commit, id_hex);
	assert_true(civic_audit_sound(&report));
}

/*------------------------------------------------------------------------
 * Revocation
 */

static void test_audit_revoked_after_second_of_three(void **state)
{
	git_oid ids[3];
	char hex[GIT_OID_HEXSZ + 1];
	const civic_finding *f;

	(void)state;
	append(&ids[0], g.member, "1");
	append(&ids[1], g.member, "2");
	append(&ids[2], g.member, "3 (след кражбата)");
	revoke_member(&ids[1]);
	run();
	assert_true(report.roster_ok);
	assert_int_equal(report.revoked_members, 1);
	assert_int_equal(report.records_valid, 2);
	assert_int_equal(report.records_revoked, 1);
	assert_int_equal(findings(CIVIC_FINDING_BAD), 1);
	f = first_finding(CIVIC_FINDING_BAD);
	fx_oid_hex(hex, &ids[2]);
	assert_string_equal(f->commit, hex);
	assert_non_null(strstr(f->message, "revocation"));
	assert_false(civic_audit_sound(&report));
}

static void test_audit_revoked_at_head_is_sound(void **state)
{
	git_oid ids[3];

	(void)state;
	append(&ids[0], g.member, "1");
	append(&ids[1], g.member, "2");
	append(&ids[2], g.member, "3");
	revoke_member(&ids[2]);
	run();
	assert_int_equal(report.revoked_members, 1);
	assert_int_equal(report.records_valid, 3);
	assert_int_equal(report.records_revoked, 0);
	assert_true(civic_audit_sound(&report));
}

static void test_audit_revoked_without_last_valid(void **state)
{
	(void)state;
	append(NULL, g.member, "1");
	revoke_member(NULL);
	run();
	assert_int_equal(report.records_revoked, 1);
	assert_false(civic_audit_sound(&report));
}

/*------------------------------------------------------------------------
 * Bad feeds and a bad roster
 */

static void test_audit_bad_second_commit(void **state)
{
	char ref[128], hex[GIT_OID_HEXSZ + 1], p2[CIVIC_RECORD_PATH_SIZE], msg[256];
	git_oid c1, c2, base, t;
	size_t len;
	char *rec = fx_minutes_text("Запис", &len);
	const civic_finding *f;
	fx_commit_spec s = { 0 };

	(void)state;
	append(&c1, g.member, "Добър");
	/* Number 2 signed by someone else under the member's email. */
	assert_civic_ok(civic_record_path(p2, 2));
	fx_commit_tree(&base, repo, &c1);
	fx_tree_put(&t, repo, &base, p2, rec, len, GIT_FILEMODE_BLOB);
	snprintf(msg, sizeof msg, "minutes: x\n\nCivic-Network: %s\nCivic-Seq: 2\n", net);
	{
		char email[128];
		fx_email(email, sizeof email, g.member);
		s.author_email = email;
		s.signer = g.pending;
		s.tree = &t;
		s.parents = &c1;
		s.nparents = 1;
		s.message = msg;
		fx_commit(&c2, repo, &s);
	}
	fx_feed_ref(ref, sizeof ref, g.member);
	fx_set_ref(repo, ref, &c2);
	run();
	assert_int_equal(report.feeds, 1);
	assert_int_equal(report.feeds_bad, 1);
	assert_int_equal(report.records_valid, 1);
	assert_int_equal(findings(CIVIC_FINDING_BAD), 1);
	f = first_finding(CIVIC_FINDING_BAD);
	fx_oid_hex(hex, &c2);
	assert_string_equal(f->commit, hex);
	assert_non_null(strstr(f->message, ref));
	assert_false(civic_audit_sound(&report));
	free(rec);
}

static void test_audit_bad_ref_name(void **state)
{
	git_oid c1;
	const civic_finding *f;

	(void)state;
	append(&c1, g.member, "Запис");
	fx_set_ref(repo, "refs/civic/feeds/not-a-key", &c1);
	run();
	assert_int_equal(report.feeds, 2);
	assert_int_equal(report.feeds_bad, 1);
	assert_int_equal(report.records_valid, 1);
	f = first_finding(CIVIC_FINDING_BAD);
	assert_string_equal(f->feed, "");
	assert_non_null(strstr(f->message, "not-a-key"));
	assert_false(civic_audit_sound(&report));
}

static void test_audit_bad_roster(void **state)
{
	git_oid head, t, id;
	char msg[256];
	fx_commit_spec s = { 0 };
	const civic_finding *f;

	(void)state;
	append(NULL, g.member, "Запис");
	/* A roster commit signed by the ngo member: not an admin. */
	assert_int_equal(fx_ref(&head, repo, CIVIC_ROSTER_REF), 0);
	fx_commit_tree(&t, repo, &head);
	snprintf(msg, sizeof msg, "roster: x\n\nCivic-Network: %s\nCivic-Roster-Seq: 3\n", net);
	s.signer = g.member;
	s.tree = &t;
	s.parents = &head;
	s.nparents = 1;
	s.message = msg;
	fx_commit(&id, repo, &s);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &id);
	run();
	assert_false(report.roster_ok);
	assert_int_equal(report.members, 0);
	f = first_finding(CIVIC_FINDING_BAD);
	assert_string_equal(f->feed, "");
	assert_string_equal(f->commit, "");
	assert_non_null(strstr(f->message, "roster"));
	/* A roster that does not verify vouches for nobody. */
	assert_int_equal(report.records_pending, 1);
	assert_int_equal(report.records_valid, 0);
	assert_false(civic_audit_sound(&report));
}

static void test_audit_without_roster(void **state)
{
	(void)state;
	append(NULL, g.member, "Запис");
	run();
	assert_false(report.roster_ok);
	assert_int_equal(report.records_pending, 1);
	assert_int_equal(findings(CIVIC_FINDING_BAD), 0);
	assert_int_equal(findings(CIVIC_FINDING_PENDING), 2); /* the roster, the record */
	assert_true(civic_audit_sound(&report));
}

/*------------------------------------------------------------------------
 * Attachments
 */

static void test_audit_attachment_present(void **state)
{
	civic_attachment a;

	(void)state;
	append_record(NULL, g.member, photo(&a, "121214 1.jpg", 3000, 1));
	run();
	assert_int_equal(report.records_valid, 1);
	assert_int_equal(report.attachments_present, 1);
	assert_int_equal(report.attachments_missing, 0);
	assert_int_equal(report.attachments_corrupt, 0);
	assert_int_equal(report.findings_count, 0);
	assert_true(civic_audit_sound(&report));
}

static void test_audit_attachment_missing_is_a_notice(void **state)
{
	civic_attachment a;
	const civic_finding *f;

	(void)state;
	append_record(NULL, g.member, photo(&a, "270215_1.JPG", 2000, 0));
	run();
	assert_int_equal(report.attachments_missing, 1);
	assert_int_equal(report.attachments_present, 0);
	assert_int_equal(findings(CIVIC_FINDING_NOTICE), 1);
	f = first_finding(CIVIC_FINDING_NOTICE);
	assert_non_null(strstr(f->message, "270215_1.JPG"));
	assert_non_null(strstr(f->message, "missing"));
	assert_true(civic_audit_sound(&report));
}

static void test_audit_attachment_corrupt_is_bad(void **state)
{
	civic_attachment a;
	char where[4400];
	char *bytes;
	size_t len;
	const civic_finding *f;

	(void)state;
	append_record(NULL, g.member, photo(&a, "снимка.png", 5000, 1));
	stored_path(where, sizeof where, &a);
	bytes = fx_read_file(where, &len);
	bytes[100] ^= 0x20; /* same size, other bytes */
	fx_write_file(where, bytes, len);
	run();
	assert_int_equal(report.attachments_corrupt, 1);
	assert_int_equal(findings(CIVIC_FINDING_BAD), 1);
	f = first_finding(CIVIC_FINDING_BAD);
	assert_non_null(strstr(f->message, "снимка.png"));
	assert_false(civic_audit_sound(&report));
	/* Without rehash only sizes are compared: then it passes. */
	run_with(0);
	assert_int_equal(report.attachments_present, 1);
	assert_true(civic_audit_sound(&report));
	/* A wrong size is caught either way. */
	fx_write_file(where, bytes, len - 1);
	run_with(0);
	assert_int_equal(report.attachments_corrupt, 1);
	assert_false(civic_audit_sound(&report));
	free(bytes);
}

/*------------------------------------------------------------------------
 * The API
 */

static void test_audit_refuses_unknown_options_version(void **state)
{
	civic_audit_options o = CIVIC_AUDIT_OPTIONS_INIT;

	(void)state;
	o.version = 2;
	assert_civic(CIVIC_EINVALID, civic_audit_run(&report, repo, net, attachments, g.schemas, &o));
	assert_int_equal(report.findings_count, 0);
}

static void count_progress(size_t done, void *payload)
{
	(void)done;
	(*(int *)payload)++;
}

static void test_audit_progress_not_called_for_few_records(void **state)
{
	civic_audit_options o = CIVIC_AUDIT_OPTIONS_INIT;
	int calls = 0;

	(void)state;
	append(NULL, g.member, "1");
	o.progress = count_progress;
	o.payload = &calls;
	assert_civic_ok(civic_audit_run(&report, repo, net, attachments, g.schemas, &o));
	assert_int_equal(calls, 0);
}

static void test_audit_report_dispose(void **state)
{
	(void)state;
	append(NULL, g.pending, "1");
	run();
	assert_true(report.findings_count > 0);
	civic_audit_report_dispose(&report);
	assert_null(report.findings);
	assert_int_equal(report.findings_count, 0);
	assert_int_equal(report.records_pending, 0);
	civic_audit_report_dispose(&report);
}

static void test_finding_level_names(void **state)
{
	(void)state;
	assert_string_equal(civic_finding_level_name(CIVIC_FINDING_BAD), "bad");
	assert_string_equal(civic_finding_level_name(CIVIC_FINDING_PENDING), "pending");
	assert_string_equal(civic_finding_level_name(CIVIC_FINDING_NOTICE), "notice");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_audit_sound_archive),
		T(test_audit_empty_archive),
		T(test_audit_pending_is_not_a_failure),
		T(test_audit_revoked_after_second_of_three),
		T(test_audit_revoked_at_head_is_sound),
		T(test_audit_revoked_without_last_valid),
		T(test_audit_bad_second_commit),
		T(test_audit_bad_ref_name),
		T(test_audit_bad_roster),
		cmocka_unit_test_setup_teardown(test_audit_without_roster, setup_no_roster, teardown),
		T(test_audit_attachment_present),
		T(test_audit_attachment_missing_is_a_notice),
		T(test_audit_attachment_corrupt_is_bad),
		T(test_audit_refuses_unknown_options_version),
		T(test_audit_progress_not_called_for_few_records),
		T(test_audit_report_dispose),
		T(test_finding_level_names),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
