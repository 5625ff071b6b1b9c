/*
 * test_sync.c - syncing two node homes (src/sync.h), and what status makes
 * of it (src/status.h). Nodes are real homes (civic_node_create), the
 * network is a real roster, records are real signed commits; peers are
 * reached by local path, which libgit2 fetches from and pushes to directly.
 * A relay is a plain bare repository.
 */
#include "helpers.h"
#include "fixtures.h"

#include "attach.h"
#include "feed.h"
#include "node.h"
#include "peer.h"
#include "roster.h"
#include "schema_store.h"
#include "signed_commit.h"
#include "status.h"
#include "steps.h"
#include "sync.h"

static struct {
	char *dir;
	civic_schemas *schemas;
	civic_key *admin, *member, *outsider, *third;
	char feed_admin[128], feed_member[128], feed_outsider[128];
	char admin_hex[CIVIC_PUBKEY_HEX_LEN + 1];
} g;

static char dir[4200];           /* this test's directory */
static civic_node *a, *b;        /* a: the network's center; b: a member that joined */
static char net[GIT_OID_HEXSZ + 1];
static civic_peer peer;          /* b's view of a (or of whatever a test points it at) */
static civic_sync_report report;
static civic_peers *peers;       /* a peer list a test loaded; freed by teardown */

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	assert_civic_ok(civic_schemas_new(&g.schemas));
	assert_civic_ok(civic_key_generate(&g.admin));
	assert_civic_ok(civic_key_generate(&g.member));
	assert_civic_ok(civic_key_generate(&g.outsider));
	assert_civic_ok(civic_key_generate(&g.third));
	fx_feed_ref(g.feed_admin, sizeof g.feed_admin, g.admin);
	fx_feed_ref(g.feed_member, sizeof g.feed_member, g.member);
	fx_feed_ref(g.feed_outsider, sizeof g.feed_outsider, g.outsider);
	civic_pubkey_to_hex(g.admin_hex, civic_key_public(g.admin));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	civic_key_free(g.admin);
	civic_key_free(g.member);
	civic_key_free(g.outsider);
	civic_key_free(g.third);
	civic_schemas_free(g.schemas);
	test_tmpdir_remove(g.dir);
	fx_global_shutdown();
	return 0;
}

/*------------------------------------------------------------------------
 * Nodes and the network
 */

static civic_node *node_new(const char *name, const civic_key *key, const char *org,
			    const char *municipality, const char *role)
{
	civic_node_init_options o = CIVIC_NODE_INIT_OPTIONS_INIT;
	civic_node *node = NULL;
	char home[4300];

	o.name = org;
	o.municipality = municipality;
	o.role = role;
	fx_path(home, sizeof home, dir, name);
	assert_civic_ok(civic_node_create(home, &o, key, NULL, 0));
	assert_civic_ok(civic_node_open(&node, home, CIVIC_NODE_WRITE));
	return node;
}

static git_repository *repo_of(civic_node *node)
{
	return civic_node_repository(node);
}

static void url_of(char *out, size_t size, civic_node *node)
{
	fx_path(out, size, civic_node_path(node), "archive.git");
}

static civic_member member_of(const civic_key *key, const char *name, const char *municipality)
{
	civic_member m;

	memset(&m, 0, sizeof m);
	m.key = *civic_key_public(key);
	snprintf(m.name, sizeof m.name, "%s", name);
	snprintf(m.municipality, sizeof m.municipality, "%s", municipality);
	snprintf(m.role, sizeof m.role, "ngo");
	return m;
}

/* Adds a member to the roster held in repo, signed by the admin. */
static void add_member(git_repository *repo, const civic_key *key, const char *name)
{
	civic_roster *r = NULL;
	civic_member m = member_of(key, name, "dupnitsa");

	assert_civic_ok(civic_roster_load(&r, repo, net));
	assert_civic_ok(civic_roster_add(r, repo, g.admin, &m));
	civic_roster_free(r);
}

/* a creates the network and lists the member; b joins it (holds nothing). */
static int setup(void **state)
{
	static int n;
	char name[32], url[4400];
	git_oid root;

	(void)state;
	snprintf(name, sizeof name, "t%d", ++n);
	fx_path(dir, sizeof dir, g.dir, name);
	assert_int_equal(mkdir(dir, 0700), 0);
	a = node_new("a", g.admin, "Граждански център", "kyustendil", "civic-center");
	b = node_new("b", g.member, "Читалище „Искра“", "dupnitsa", "ngo");
	assert_civic_ok(civic_roster_create(&root, repo_of(a), g.admin, "Мрежа – област Кюстендил",
					    "Граждански център", "kyustendil"));
	fx_oid_hex(net, &root);
	assert_civic_ok(civic_node_set_network(a, net));
	add_member(repo_of(a), g.member, "Читалище „Искра“");
	assert_civic_ok(civic_node_set_network(b, net));
	url_of(url, sizeof url, a);
	civic_peer_init(&peer, "a", url);
	memset(&report, 0, sizeof report);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	civic_sync_report_dispose(&report);
	civic_peer_dispose(&peer);
	civic_peers_free(peers);
	peers = NULL;
	civic_node_free(a);
	civic_node_free(b);
	a = b = NULL;
	return 0;
}

/* Appends a record to key's feed in node's repository. */
static void append(git_oid *out, civic_node *node, const civic_key *key, const char *title)
{
	json_t *r = fx_minutes(title);
	git_oid ignored;

	assert_civic_ok(civic_feed_append(out ? out : &ignored, repo_of(node), key, "Автор", net, g.schemas, r));
	json_decref(r);
}

/* Syncs node with `peer`; the report is kept in `report`. */
static int sync_rc(civic_node *node, const civic_sync_options *opts)
{
	civic_sync_report_dispose(&report);
	civic_error_clear();
	return civic_sync_peer(&report, node, &peer, opts);
}

static void sync_ok(civic_node *node, const civic_sync_options *opts)
{
	assert_civic_ok(sync_rc(node, opts));
}

static void point_peer_at(const char *name, const char *url, int relay)
{
	civic_peer_dispose(&peer);
	civic_peer_init(&peer, name, url);
	peer.relay = relay;
}

static const civic_sync_item *item(const char *refname)
{
	size_t i;

	for (i = 0; i < report.count; i++)
		if (!strcmp(report.items[i].refname, refname))
			return &report.items[i];
	return NULL;
}

/* The item for refname with that outcome (a ref can have two: refused on
 * the fetch, then pushed over). */
static const civic_sync_item *item_with(const char *refname, civic_sync_outcome outcome)
{
	const civic_sync_item *it = item(refname);
	size_t i;

	if (!it)
		fail_msg("no report item for '%s'", refname);
	for (i = 0; i < report.count; i++)
		if (!strcmp(report.items[i].refname, refname) && report.items[i].outcome == outcome)
			return &report.items[i];
	fail_msg("'%s' was %s (%s), want %s", refname, civic_sync_outcome_name(it->outcome),
		 it->reason, civic_sync_outcome_name(outcome));
	return NULL;
}

/* Whether some item for refname gives a reason holding `needle` ("" for
 * any reason at all): a run taken in part says why it stopped, on the
 * item that took it or on one that refuses the rest. */
static int reason_given(const char *refname, const char *needle)
{
	size_t i;

	for (i = 0; i < report.count; i++)
		if (!strcmp(report.items[i].refname, refname) && report.items[i].reason[0] &&
		    strstr(report.items[i].reason, needle))
			return 1;
	return 0;
}

/* Asserts refname is at id in repo (id NULL: no such ref). */
static void assert_ref(git_repository *repo, const char *refname, const git_oid *id)
{
	git_oid got;
	int rc = fx_ref(&got, repo, refname);

	if (!id) {
		if (rc == 0)
			fail_msg("'%s' exists", refname);
		return;
	}
	if (rc != 0)
		fail_msg("'%s' does not exist", refname);
	if (!git_oid_equal(&got, id))
		fail_msg("'%s' is elsewhere", refname);
}

static git_oid ref_id(git_repository *repo, const char *refname)
{
	git_oid id;

	assert_int_equal(fx_ref(&id, repo, refname), 0);
	return id;
}

static int has_object(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	int found;

	assert_git_ok(git_repository_odb(&odb, repo));
	found = git_odb_exists(odb, id);
	git_odb_free(odb);
	return found;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Every ref under refs/civic/ of repo, "name id\n" sorted; caller frees. */
static char *refs_text(git_repository *repo)
{
	git_strarray names = { NULL, 0 };
	civic_buf text = CIVIC_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	assert_git_ok(git_reference_list(&names, repo));
	qsort(names.strings, names.count, sizeof *names.strings, by_name);
	for (i = 0; i < names.count; i++) {
		git_oid id;
		if (strncmp(names.strings[i], "refs/civic/", 11))
			continue;
		if (fx_ref(&id, repo, names.strings[i]) != 0)
			continue;
		fx_oid_hex(hex, &id);
		assert_civic_ok(civic_buf_printf(&text, "%s %s\n", names.strings[i], hex));
	}
	git_strarray_dispose(&names);
	return civic_buf_detach(&text);
}

static size_t count_refs(git_repository *repo, const char *prefix)
{
	git_strarray names = { NULL, 0 };
	size_t i, n = 0;

	assert_git_ok(git_reference_list(&names, repo));
	for (i = 0; i < names.count; i++)
		if (!strncmp(names.strings[i], prefix, strlen(prefix)))
			n++;
	git_strarray_dispose(&names);
	return n;
}

static size_t quarantines_left(civic_node *node)
{
	struct stat st;

	if (stat(civic_node_tmp_dir(node), &st) < 0)
		return 0;
	return fx_count_entries(civic_node_tmp_dir(node), "");
}

/* A commit that claims to be record `seq` of key's feed on parent: signed
 * by `signer` over its own bytes, or over `sign_other` when given. */
static void forged_record(git_oid *out, git_repository *repo, const civic_key *author,
			  const civic_key *signer, const git_oid *parent, uint64_t seq,
			  const char *sign_other)
{
	char msg[256], path[CIVIC_RECORD_PATH_SIZE], email[128];
	fx_commit_spec s = { 0 };
	git_oid base, tree;
	size_t len;
	char *rec = fx_minutes_text("Подправен протокол", &len);

	assert_civic_ok(civic_record_path(path, seq));
	if (parent)
		fx_commit_tree(&base, repo, parent);
	fx_tree_put(&tree, repo, parent ? &base : NULL, path, rec, len, GIT_FILEMODE_BLOB);
	free(rec);
	snprintf(msg, sizeof msg, "minutes: Подправен протокол\n\nCivic-Network: %s\nCivic-Seq: %llu\n", net,
		 (unsigned long long)seq);
	fx_email(email, sizeof email, author);
	s.signer = signer;
	s.author_email = email;
	s.tree = &tree;
	s.parents = parent;
	s.nparents = parent ? 1 : 0;
	s.message = msg;
	s.sign_other = sign_other;
	fx_commit(out, repo, &s);
}

/*------------------------------------------------------------------------
 * The roster and feeds
 */

static void test_sync_requires_network(void **state)
{
	civic_node *lone = node_new("lone", g.third, "Самотно НПО", "rila", "ngo");

	(void)state;
	assert_civic(CIVIC_EINVALID, sync_rc(lone, NULL));
	assert_non_null(strstr(civic_error_last()->message, "network"));
	civic_node_free(lone);
}

static void test_sync_fresh_member_takes_roster(void **state)
{
	const civic_sync_item *it;
	civic_roster *r = NULL;
	git_oid roster_a = ref_id(repo_of(a), CIVIC_ROSTER_REF);

	(void)state;
	assert_ref(repo_of(b), CIVIC_ROSTER_REF, NULL);
	sync_ok(b, NULL);
	assert_int_equal(report.roster_updated, 1);
	assert_int_equal(report.rejected, 0);
	assert_int_equal(report.forks, 0);
	assert_int_equal(report.feeds_accepted, 0);
	assert_int_equal(report.records_accepted, 0);
	assert_int_equal(report.refs_advertised, 1);
	assert_int_equal(report.refs_fetched, 1);
	it = item_with(CIVIC_ROSTER_REF, CIVIC_SYNC_ACCEPTED);
	assert_int_equal(it->records, 2); /* members */
	assert_true(git_oid_equal(&it->theirs, &roster_a));
	assert_ref(repo_of(b), CIVIC_ROSTER_REF, &roster_a);
	assert_civic_ok(civic_roster_load(&r, repo_of(b), net));
	assert_int_equal(civic_roster_count(r), 2);
	assert_non_null(civic_roster_find(r, civic_key_public(g.member)));
	civic_roster_free(r);
	assert_int_equal(quarantines_left(b), 0);
	/* The peer's state: what it holds, and a sync that completed. */
	assert_string_equal(peer.last_error, "");
	assert_true(peer.last_sync > 0);
	assert_int_equal(peer.last_sync, peer.last_attempt);
}

static void test_sync_feed_accepted(void **state)
{
	git_oid a1, a2, a3;
	const civic_sync_item *it;
	char *ra, *rb;

	(void)state;
	append(&a1, a, g.admin, "Покана");
	append(&a2, a, g.admin, "Протокол 1");
	append(&a3, a, g.admin, "Протокол 2");
	sync_ok(b, NULL);
	assert_int_equal(report.roster_updated, 1);
	assert_int_equal(report.feeds_accepted, 1);
	assert_int_equal(report.records_accepted, 3);
	assert_int_equal(report.rejected, 0);
	it = item_with(g.feed_admin, CIVIC_SYNC_ACCEPTED);
	assert_int_equal(it->records, 3);
	assert_string_equal(it->reason, "");
	assert_true(git_oid_equal(&it->theirs, &a3));
	assert_ref(repo_of(b), g.feed_admin, &a3);
	assert_true(has_object(repo_of(b), &a1));
	/* The two archives now hold the same refs. */
	ra = refs_text(repo_of(a));
	rb = refs_text(repo_of(b));
	assert_string_equal(ra, rb);
	free(ra);
	free(rb);
	assert_int_equal(quarantines_left(b), 0);
}

static void test_sync_second_is_noop(void **state)
{
	char *before, *after;

	(void)state;
	append(NULL, a, g.admin, "Покана");
	sync_ok(b, NULL);
	before = refs_text(repo_of(b));
	sync_ok(b, NULL);
	assert_int_equal(report.count, 0);
	assert_int_equal(report.refs_advertised, 2);
	assert_int_equal(report.refs_fetched, 0);
	assert_int_equal(report.roster_updated, 0);
	assert_int_equal(report.records_accepted, 0);
	assert_int_equal(report.feeds_accepted, 0);
	assert_int_equal(report.objects_received, 0);
	after = refs_text(repo_of(b));
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(quarantines_left(b), 0);
}

static void test_sync_incremental(void **state)
{
	git_oid a3;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	append(NULL, a, g.admin, "Запис 2");
	sync_ok(b, NULL);
	append(NULL, a, g.admin, "Запис 3");
	append(&a3, a, g.admin, "Запис 4");
	sync_ok(b, NULL);
	assert_int_equal(report.feeds_accepted, 1);
	assert_int_equal(report.records_accepted, 2);
	assert_int_equal(report.roster_updated, 0);
	assert_int_equal(report.refs_fetched, 1);
	assert_int_equal(item_with(g.feed_admin, CIVIC_SYNC_ACCEPTED)->records, 2);
	assert_ref(repo_of(b), g.feed_admin, &a3);
}

static void test_sync_both_ways(void **state)
{
	git_oid m1, m2;
	char url[4400];

	(void)state;
	append(NULL, a, g.admin, "Покана");
	sync_ok(b, NULL);
	/* The member writes; the center takes it from the member. */
	append(&m1, b, g.member, "Протокол от Дупница");
	append(&m2, b, g.member, "Втори протокол");
	url_of(url, sizeof url, b);
	point_peer_at("b", url, 0);
	sync_ok(a, NULL);
	assert_int_equal(report.records_accepted, 2);
	item_with(g.feed_member, CIVIC_SYNC_ACCEPTED);
	assert_ref(repo_of(a), g.feed_member, &m2);
	assert_null(item(g.feed_admin)); /* same on both sides: nothing said */
}

static void test_sync_records_peer_known_heads(void **state)
{
	git_oid a2, got, roster_a = ref_id(repo_of(a), CIVIC_ROSTER_REF);

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	append(&a2, a, g.admin, "Запис 2");
	fx_set_ref(repo_of(a), "refs/heads/master", &a2);
	/* Whatever b thought before is replaced by what a advertised. */
	assert_civic_ok(civic_peer_set_known(&peer, "refs/civic/feeds/stale", &a2));
	sync_ok(b, NULL);
	assert_int_equal(peer.known_count, 2);
	assert_civic_ok(civic_peer_known(&got, &peer, CIVIC_ROSTER_REF));
	assert_true(git_oid_equal(&got, &roster_a));
	assert_civic_ok(civic_peer_known(&got, &peer, g.feed_admin));
	assert_true(git_oid_equal(&got, &a2));
	assert_civic(CIVIC_ENOTFOUND, civic_peer_known(&got, &peer, "refs/heads/master"));
	assert_civic(CIVIC_ENOTFOUND, civic_peer_known(&got, &peer, "refs/civic/feeds/stale"));
}

static void test_sync_known_heads_survive_peers_file(void **state)
{
	civic_peers *list = NULL;
	civic_peer *p;
	char url[4400];
	git_oid a1, got;

	(void)state;
	append(&a1, a, g.admin, "Запис 1");
	assert_civic_ok(civic_peers_load(&list, civic_node_path(b)));
	url_of(url, sizeof url, a);
	assert_civic_ok(civic_peers_add(list, "center", url, 0, NULL));
	p = civic_peers_find(list, "center");
	civic_sync_report_dispose(&report);
	assert_civic_ok(civic_sync_peer(&report, b, p, NULL));
	assert_civic_ok(civic_peers_save(list));
	civic_peers_free(list);
	list = NULL;
	assert_civic_ok(civic_peers_load(&list, civic_node_path(b)));
	p = civic_peers_find(list, "center");
	assert_non_null(p);
	assert_int_equal(p->known_count, 2);
	assert_civic_ok(civic_peer_known(&got, p, g.feed_admin));
	assert_true(git_oid_equal(&got, &a1));
	assert_true(p->last_sync > 0);
	civic_peers_free(list);
}

static void test_sync_tampered_commit_rejected(void **state)
{
	git_oid a1, a2, bad, roster_b;
	const civic_sync_item *it;
	char *before, *after;

	(void)state;
	append(&a1, a, g.admin, "Запис 1");
	append(&a2, a, g.admin, "Запис 2");
	sync_ok(b, NULL);
	roster_b = ref_id(repo_of(b), CIVIC_ROSTER_REF);
	/* Record 3 on a, signed by the admin's key but over other bytes. */
	forged_record(&bad, repo_of(a), g.admin, g.admin, &a2, 3, "tree 0000\nother bytes\n");
	fx_set_ref(repo_of(a), g.feed_admin, &bad);
	before = refs_text(repo_of(b));
	sync_ok(b, NULL);
	assert_int_equal(report.rejected, 1);
	assert_int_equal(report.records_accepted, 0);
	assert_int_equal(report.feeds_accepted, 0);
	it = item_with(g.feed_admin, CIVIC_SYNC_REJECTED);
	assert_true(git_oid_equal(&it->theirs, &bad));
	assert_true(it->reason[0] != '\0');
	assert_int_equal(it->records, 0);
	/* No ref moved, and nothing of it came in. */
	after = refs_text(repo_of(b));
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_ref(repo_of(b), g.feed_admin, &a2);
	assert_ref(repo_of(b), CIVIC_ROSTER_REF, &roster_b);
	assert_false(has_object(repo_of(b), &bad));
	assert_int_equal(quarantines_left(b), 0);
}

static void test_sync_tampered_commit_by_other_key_rejected(void **state)
{
	git_oid bad;

	(void)state;
	/* A fresh member node: the roster is taken, the forged feed is not. */
	forged_record(&bad, repo_of(a), g.admin, g.outsider, NULL, 1, NULL);
	fx_set_ref(repo_of(a), g.feed_admin, &bad);
	sync_ok(b, NULL);
	assert_int_equal(report.roster_updated, 1);
	assert_int_equal(report.rejected, 1);
	item_with(g.feed_admin, CIVIC_SYNC_REJECTED);
	assert_ref(repo_of(b), g.feed_admin, NULL);
	assert_false(has_object(repo_of(b), &bad));
}

static void test_sync_takes_longest_good_run(void **state)
{
	git_oid a1, a2, bad, after_bad;
	const civic_sync_item *it;

	(void)state;
	append(&a1, a, g.admin, "Запис 1");
	append(&a2, a, g.admin, "Запис 2");
	forged_record(&bad, repo_of(a), g.admin, g.outsider, &a2, 3, NULL);
	forged_record(&after_bad, repo_of(a), g.admin, g.admin, &bad, 4, NULL);
	fx_set_ref(repo_of(a), g.feed_admin, &after_bad);
	sync_ok(b, NULL);
	it = item_with(g.feed_admin, CIVIC_SYNC_ACCEPTED);
	assert_int_equal(it->records, 2);
	assert_true(reason_given(g.feed_admin, "")); /* says why it stopped */
	assert_int_equal(report.records_accepted, 2);
	assert_ref(repo_of(b), g.feed_admin, &a2);
	assert_false(has_object(repo_of(b), &bad));
	assert_false(has_object(repo_of(b), &after_bad));
}

static void test_sync_fork_kept_as_evidence(void **state)
{
	git_oid a2, theirs, ours;
	char evidence[256], hex[GIT_OID_HEXSZ + 1], url[4400];
	const civic_sync_item *it;
	civic_status st;
	civic_roster *r = NULL;
	size_t i;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	append(&a2, a, g.admin, "Запис 2");
	sync_ok(b, NULL);
	/* The admin's key signs two different third records: one on a, one
	 * on b (a second laptop, a restore from an old backup). */
	append(&theirs, a, g.admin, "Запис 3 от центъра");
	append(&ours, b, g.admin, "Запис 3 от втория лаптоп");
	sync_ok(b, NULL);
	assert_int_equal(report.forks, 1);
	assert_int_equal(report.rejected, 0);
	assert_int_equal(report.records_accepted, 0);
	it = item_with(g.feed_admin, CIVIC_SYNC_FORK);
	assert_int_equal(it->records, 1);
	assert_true(git_oid_equal(&it->theirs, &theirs));
	fx_oid_hex(hex, &theirs);
	snprintf(evidence, sizeof evidence, CIVIC_FORK_REF_PREFIX "%s/%s", g.admin_hex, hex);
	assert_non_null(strstr(it->reason, evidence));
	/* Ours is not resolved away; theirs is kept beside it. */
	assert_ref(repo_of(b), g.feed_admin, &ours);
	assert_ref(repo_of(b), evidence, &theirs);
	assert_true(has_object(repo_of(b), &theirs));

	/* Kept once: a second sync says nothing new. */
	sync_ok(b, NULL);
	assert_int_equal(report.forks, 0);
	assert_int_equal(report.count, 0);
	assert_int_equal(count_refs(repo_of(b), CIVIC_FORK_REF_PREFIX), 1);

	/* The other way, a keeps b's branch and ignores b's evidence of its own. */
	url_of(url, sizeof url, b);
	point_peer_at("b", url, 0);
	sync_ok(a, NULL);
	assert_int_equal(report.forks, 1);
	fx_oid_hex(hex, &ours);
	snprintf(evidence, sizeof evidence, CIVIC_FORK_REF_PREFIX "%s/%s", g.admin_hex, hex);
	assert_ref(repo_of(a), evidence, &ours);
	assert_ref(repo_of(a), g.feed_admin, &theirs);
	assert_int_equal(count_refs(repo_of(a), CIVIC_FORK_REF_PREFIX), 1);

	/* Status counts it. */
	assert_civic_ok(civic_roster_load(&r, repo_of(a), net));
	assert_civic_ok(civic_status_collect(&st, repo_of(a), net, r, g.schemas, civic_node_attachments_dir(a),
					      civic_node_tmp_dir(a)));
	for (i = 0; i < st.count; i++)
		if (civic_pubkey_equal(&st.feeds[i].author, civic_key_public(g.admin)))
			break;
	assert_true(i < st.count);
	assert_int_equal(st.feeds[i].forks, 1);
	assert_int_equal(st.feeds[i].head_seq, 3);
	assert_int_equal(st.roster_forks, 0);
	civic_status_dispose(&st);
	civic_roster_free(r);
}

static void test_sync_fork_forged_branch_not_kept(void **state)
{
	git_oid a2, forged, ours;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	append(&a2, a, g.admin, "Запис 2");
	sync_ok(b, NULL);
	append(&ours, b, g.admin, "Запис 3 тук");
	/* a's third record is not signed by its author: no evidence of anything. */
	forged_record(&forged, repo_of(a), g.admin, g.outsider, &a2, 3, NULL);
	fx_set_ref(repo_of(a), g.feed_admin, &forged);
	sync_ok(b, NULL);
	assert_int_equal(report.forks, 0);
	assert_int_equal(report.rejected, 1);
	item_with(g.feed_admin, CIVIC_SYNC_REJECTED);
	assert_int_equal(count_refs(repo_of(b), CIVIC_FORK_REF_PREFIX), 0);
	assert_ref(repo_of(b), g.feed_admin, &ours);
	assert_false(has_object(repo_of(b), &forged));
}

static void test_sync_non_member_rejected(void **state)
{
	git_oid o1, a1;
	const civic_sync_item *it;

	(void)state;
	append(&o1, a, g.outsider, "Чужд запис");
	append(&a1, a, g.admin, "Покана");
	sync_ok(b, NULL);
	it = item_with(g.feed_outsider, CIVIC_SYNC_REJECTED);
	assert_non_null(strstr(it->reason, "not a member"));
	assert_int_equal(report.rejected, 1);
	assert_ref(repo_of(b), g.feed_outsider, NULL);
	assert_false(has_object(repo_of(b), &o1));
	/* The rest of the same sync is taken. */
	item_with(g.feed_admin, CIVIC_SYNC_ACCEPTED);
	assert_ref(repo_of(b), g.feed_admin, &a1);

	/* Once the roster lists the key, the same feed is taken. */
	add_member(repo_of(a), g.outsider, "Ново читалище");
	sync_ok(b, NULL);
	assert_int_equal(report.roster_updated, 1);
	item_with(g.feed_outsider, CIVIC_SYNC_ACCEPTED);
	assert_ref(repo_of(b), g.feed_outsider, &o1);
}

static void test_sync_revoked_member_stops_at_last_valid(void **state)
{
	civic_roster *r = NULL;
	git_oid m1, m2, m3;
	const civic_sync_item *it;

	(void)state;
	append(&m1, a, g.member, "Протокол 1");
	append(&m2, a, g.member, "Протокол 2");
	append(&m3, a, g.member, "Протокол 3 (след кражбата)");
	assert_civic_ok(civic_roster_load(&r, repo_of(a), net));
	assert_civic_ok(civic_roster_revoke(r, repo_of(a), g.admin, civic_key_public(g.member), &m2,
					    "откраднат лаптоп"));
	civic_roster_free(r);
	sync_ok(b, NULL);
	assert_int_equal(report.roster_updated, 1);
	it = item_with(g.feed_member, CIVIC_SYNC_ACCEPTED);
	assert_int_equal(it->records, 2);
	assert_true(reason_given(g.feed_member, "revocation"));
	assert_ref(repo_of(b), g.feed_member, &m2);
	assert_false(has_object(repo_of(b), &m3));
}

static void test_sync_peer_behind(void **state)
{
	git_oid a3;
	char relay[4300], url[4400];
	git_repository *r = NULL;
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;

	(void)state;
	/* A relay that a left at record 2. */
	append(NULL, a, g.admin, "Запис 1");
	append(NULL, a, g.admin, "Запис 2");
	fx_path(relay, sizeof relay, dir, "relay.git");
	assert_git_ok(git_repository_init(&r, relay, 1));
	git_repository_free(r);
	point_peer_at("relay", relay, 1);
	sync_ok(a, NULL);
	append(&a3, a, g.admin, "Запис 3");
	url_of(url, sizeof url, a);
	point_peer_at("a", url, 0);
	sync_ok(b, NULL);
	assert_ref(repo_of(b), g.feed_admin, &a3);
	/* b asks the relay (no push): it holds less. */
	point_peer_at("relay", relay, 1);
	o.push = 0;
	sync_ok(b, &o);
	item_with(g.feed_admin, CIVIC_SYNC_PEER_BEHIND);
	assert_null(item(CIVIC_ROSTER_REF));
	assert_int_equal(report.rejected, 0);
	assert_int_equal(report.refs_pushed, 0);
	assert_ref(repo_of(b), g.feed_admin, &a3);
}

static void test_sync_ignores_refs_it_does_not_know(void **state)
{
	git_oid a1;
	char name[256], hex[GIT_OID_HEXSZ + 1];

	(void)state;
	append(&a1, a, g.admin, "Запис 1");
	fx_set_ref(repo_of(a), "refs/heads/master", &a1);
	fx_set_ref(repo_of(a), "refs/civic/other/x", &a1);
	fx_set_ref(repo_of(a), "refs/civic/feeds/not-a-key", &a1);
	fx_set_ref(repo_of(a), "refs/civic/feeds/ABCDEF", &a1);
	fx_oid_hex(hex, &a1);
	/* Fork evidence must be named for the commit it holds. */
	snprintf(name, sizeof name, CIVIC_FORK_REF_PREFIX "%s/%s", g.admin_hex, "1111111111111111111111111111111111111111");
	fx_set_ref(repo_of(a), name, &a1);
	snprintf(name, sizeof name, CIVIC_FORK_REF_PREFIX "somebody/%s", hex);
	fx_set_ref(repo_of(a), name, &a1);
	sync_ok(b, NULL);
	assert_int_equal(report.refs_advertised, 2);
	assert_int_equal(peer.known_count, 2);
	assert_int_equal(count_refs(repo_of(b), "refs/heads/"), 0);
	assert_int_equal(count_refs(repo_of(b), "refs/civic/other/"), 0);
	assert_int_equal(count_refs(repo_of(b), CIVIC_FORK_REF_PREFIX), 0);
	assert_int_equal(count_refs(repo_of(b), CIVIC_FEED_REF_PREFIX), 1);
	assert_ref(repo_of(b), g.feed_admin, &a1);
}

static void test_sync_roster_of_other_network_rejected(void **state)
{
	civic_node *c = node_new("c", g.third, "Друг център", "rila", "civic-center");
	git_oid other_root, roster_b;
	char other_net[GIT_OID_HEXSZ + 1], url[4400];
	const civic_sync_item *it;

	(void)state;
	sync_ok(b, NULL);
	roster_b = ref_id(repo_of(b), CIVIC_ROSTER_REF);
	assert_civic_ok(civic_roster_create(&other_root, repo_of(c), g.third, "Друга мрежа", "Друг център", "rila"));
	fx_oid_hex(other_net, &other_root);
	assert_civic_ok(civic_node_set_network(c, other_net));
	url_of(url, sizeof url, c);
	point_peer_at("c", url, 0);
	sync_ok(b, NULL);
	it = item_with(CIVIC_ROSTER_REF, CIVIC_SYNC_REJECTED);
	assert_true(it->reason[0] != '\0');
	assert_int_equal(report.roster_updated, 0);
	assert_ref(repo_of(b), CIVIC_ROSTER_REF, &roster_b);
	assert_false(has_object(repo_of(b), &other_root));
	civic_node_free(c);
}

static void test_sync_tampered_roster_rejected(void **state)
{
	git_oid head, forged, tree;
	fx_commit_spec s = { 0 };
	char msg[256];

	(void)state;
	/* An extra roster commit signed by someone who is not an admin. */
	head = ref_id(repo_of(a), CIVIC_ROSTER_REF);
	fx_commit_tree(&tree, repo_of(a), &head);
	snprintf(msg, sizeof msg, "roster: nothing\n\nCivic-Network: %s\nCivic-Roster-Seq: 3\n", net);
	s.signer = g.outsider;
	s.tree = &tree;
	s.parents = &head;
	s.nparents = 1;
	s.message = msg;
	fx_commit(&forged, repo_of(a), &s);
	fx_set_ref(repo_of(a), CIVIC_ROSTER_REF, &forged);
	append(NULL, a, g.admin, "Запис 1");
	sync_ok(b, NULL);
	item_with(CIVIC_ROSTER_REF, CIVIC_SYNC_REJECTED);
	assert_int_equal(report.roster_updated, 0);
	assert_ref(repo_of(b), CIVIC_ROSTER_REF, NULL);
	/* With no roster, no feed can be checked: refused, not taken. */
	assert_non_null(strstr(item_with(g.feed_admin, CIVIC_SYNC_REJECTED)->reason, "roster"));
	assert_ref(repo_of(b), g.feed_admin, NULL);
	assert_false(has_object(repo_of(b), &forged));
}

static void test_sync_roster_fork_kept_as_evidence(void **state)
{
	git_oid roster_b, roster_a;
	char evidence[256], hex[GIT_OID_HEXSZ + 1];
	civic_status st;
	civic_roster *r = NULL;

	(void)state;
	sync_ok(b, NULL);
	/* The admins sign a different third roster commit on each side. */
	add_member(repo_of(a), g.third, "Трето читалище");
	add_member(repo_of(b), g.outsider, "Друго читалище");
	roster_a = ref_id(repo_of(a), CIVIC_ROSTER_REF);
	roster_b = ref_id(repo_of(b), CIVIC_ROSTER_REF);
	sync_ok(b, NULL);
	item_with(CIVIC_ROSTER_REF, CIVIC_SYNC_FORK);
	assert_int_equal(report.forks, 1);
	assert_int_equal(report.roster_updated, 0);
	fx_oid_hex(hex, &roster_a);
	snprintf(evidence, sizeof evidence, CIVIC_FORK_REF_PREFIX "roster/%s", hex);
	assert_ref(repo_of(b), CIVIC_ROSTER_REF, &roster_b);
	assert_ref(repo_of(b), evidence, &roster_a);
	assert_civic_ok(civic_roster_load(&r, repo_of(b), net));
	assert_civic_ok(civic_status_collect(&st, repo_of(b), net, r, g.schemas, civic_node_attachments_dir(b),
					      civic_node_tmp_dir(b)));
	assert_int_equal(st.roster_forks, 1);
	civic_status_dispose(&st);
	civic_roster_free(r);
	/* Once. */
	sync_ok(b, NULL);
	assert_int_equal(report.forks, 0);
	assert_int_equal(count_refs(repo_of(b), CIVIC_FORK_REF_PREFIX), 1);
}

/* A peer holds its roster, and a second one as evidence. The node takes
 * the peer's roster, as it takes the peer's feed before its fork evidence
 * (feeds: pass 1, evidence: pass 2), and keeps the evidence as evidence:
 * not the other way round because "refs/civic/forks/roster/..." sorts
 * before "refs/civic/roster" in the advertisement. */
static void test_sync_roster_fork_evidence_not_taken_as_roster(void **state)
{
	git_oid r2, kept, roster_a;
	char evidence[256], hex[GIT_OID_HEXSZ + 1];

	(void)state;
	sync_ok(b, NULL);
	r2 = ref_id(repo_of(a), CIVIC_ROSTER_REF);
	/* On a: two signed third commits; a follows one and keeps the other. */
	add_member(repo_of(a), g.third, "Трето читалище");
	kept = ref_id(repo_of(a), CIVIC_ROSTER_REF);
	fx_set_ref(repo_of(a), CIVIC_ROSTER_REF, &r2);
	add_member(repo_of(a), g.outsider, "Друго читалище");
	roster_a = ref_id(repo_of(a), CIVIC_ROSTER_REF);
	fx_oid_hex(hex, &kept);
	snprintf(evidence, sizeof evidence, CIVIC_FORK_REF_PREFIX "roster/%s", hex);
	fx_set_ref(repo_of(a), evidence, &kept);

	sync_ok(b, NULL);
	{
		git_oid got = ref_id(repo_of(b), CIVIC_ROSTER_REF);
		if (git_oid_equal(&got, &kept))
			fail_msg("b took a's fork evidence %s as its roster (a's roster is %s, item: %s)",
				 hex, git_oid_tostr_s(&roster_a),
				 item(evidence) ? civic_sync_outcome_name(item(evidence)->outcome) : "none");
	}
	assert_ref(repo_of(b), CIVIC_ROSTER_REF, &roster_a);
	assert_ref(repo_of(b), evidence, &kept);
	assert_int_equal(count_refs(repo_of(b), CIVIC_FORK_REF_PREFIX), 1);
}

/* Fork evidence spreads: a node that syncs with one holding a feed and its
 * evidence takes both, the evidence as evidence. */
static void test_sync_fork_evidence_reaches_third_node(void **state)
{
	civic_node *c = node_new("c", g.third, "Трето читалище", "rila", "ngo");
	git_oid x, y;
	char evidence[256], hex[GIT_OID_HEXSZ + 1], url[4400];

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	sync_ok(b, NULL);
	append(&x, a, g.admin, "Запис 2 от центъра");
	append(&y, b, g.admin, "Запис 2 от копието");
	sync_ok(b, NULL);
	assert_int_equal(report.forks, 1);
	fx_oid_hex(hex, &x);
	snprintf(evidence, sizeof evidence, CIVIC_FORK_REF_PREFIX "%s/%s", g.admin_hex, hex);
	assert_ref(repo_of(b), evidence, &x);

	assert_civic_ok(civic_node_set_network(c, net));
	url_of(url, sizeof url, b);
	point_peer_at("b", url, 0);
	sync_ok(c, NULL);
	assert_int_equal(report.roster_updated, 1);
	assert_int_equal(report.rejected, 0);
	assert_ref(repo_of(c), g.feed_admin, &y);
	assert_ref(repo_of(c), evidence, &x);
	assert_int_equal(report.forks, 1);
	item_with(evidence, CIVIC_SYNC_FORK);
	civic_node_free(c);
}

static void test_sync_roster_update_after_join(void **state)
{
	git_oid roster_a;

	(void)state;
	sync_ok(b, NULL);
	add_member(repo_of(a), g.third, "Трето читалище");
	roster_a = ref_id(repo_of(a), CIVIC_ROSTER_REF);
	sync_ok(b, NULL);
	assert_int_equal(report.roster_updated, 1);
	assert_int_equal(item_with(CIVIC_ROSTER_REF, CIVIC_SYNC_ACCEPTED)->records, 3);
	assert_ref(repo_of(b), CIVIC_ROSTER_REF, &roster_a);
}

/*------------------------------------------------------------------------
 * Relays
 */

static git_repository *relay_new(char *path, size_t size)
{
	git_repository *r = NULL;

	fx_path(path, size, dir, "relay.git");
	assert_git_ok(git_repository_init(&r, path, 1));
	return r;
}

static void test_sync_relay_push(void **state)
{
	char path[4300], *ra, *rr;
	git_repository *relay = relay_new(path, sizeof path);
	git_oid a2, got;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	append(&a2, a, g.admin, "Запис 2");
	fx_set_ref(repo_of(a), "refs/heads/master", &a2);
	point_peer_at("relay", path, 1);
	sync_ok(a, NULL);
	assert_int_equal(report.refs_pushed, 2);
	assert_int_equal(report.push_failed, 0);
	item_with(CIVIC_ROSTER_REF, CIVIC_SYNC_PUSHED);
	item_with(g.feed_admin, CIVIC_SYNC_PUSHED);
	/* ls of the relay: our refs/civic/, nothing else. */
	ra = refs_text(repo_of(a));
	rr = refs_text(relay);
	assert_string_equal(ra, rr);
	free(ra);
	free(rr);
	assert_int_equal(count_refs(relay, "refs/heads/"), 0);
	assert_true(has_object(relay, &a2));
	/* What was pushed is what the relay is known to hold. */
	assert_civic_ok(civic_peer_known(&got, &peer, g.feed_admin));
	assert_true(git_oid_equal(&got, &a2));
	assert_civic_ok(civic_peer_known(&got, &peer, CIVIC_ROSTER_REF));

	/* Again: nothing to push. */
	sync_ok(a, NULL);
	assert_int_equal(report.refs_pushed, 0);
	assert_int_equal(report.count, 0);

	/* A fresh member takes everything from the relay. */
	sync_ok(b, NULL);
	assert_int_equal(report.refs_pushed, 0);
	assert_ref(repo_of(b), g.feed_admin, &a2);
	assert_int_equal(report.records_accepted, 2);

	/* And the relay gets the member's records from it. */
	append(NULL, b, g.member, "От члена");
	sync_ok(b, NULL);
	assert_int_equal(report.refs_pushed, 1);
	item_with(g.feed_member, CIVIC_SYNC_PUSHED);
	got = ref_id(repo_of(b), g.feed_member);
	assert_ref(relay, g.feed_member, &got);
	git_repository_free(relay);
}

static void test_sync_relay_push_disabled(void **state)
{
	char path[4300];
	git_repository *relay = relay_new(path, sizeof path);
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	point_peer_at("relay", path, 1);
	o.push = 0;
	sync_ok(a, &o);
	assert_int_equal(report.refs_pushed, 0);
	assert_int_equal(count_refs(relay, "refs/"), 0);
	/* And a peer that is no relay is never pushed to. */
	point_peer_at("relay", path, 0);
	sync_ok(a, NULL);
	assert_int_equal(report.refs_pushed, 0);
	assert_int_equal(count_refs(relay, "refs/"), 0);
	git_repository_free(relay);
}

static void test_sync_relay_keeps_forged_refs_out(void **state)
{
	char path[4300];
	git_repository *relay = relay_new(path, sizeof path);
	git_oid a1, forged;

	(void)state;
	/* Someone wrote a forged feed head to the relay; our sync refuses it,
	 * then overwrites it with our verified head. */
	append(&a1, a, g.admin, "Запис 1");
	point_peer_at("relay", path, 1);
	sync_ok(a, NULL);
	forged_record(&forged, relay, g.admin, g.outsider, &a1, 2, NULL);
	fx_set_ref(relay, g.feed_admin, &forged);
	sync_ok(a, NULL);
	item_with(g.feed_admin, CIVIC_SYNC_PUSHED);
	assert_int_equal(report.rejected, 1);
	assert_ref(relay, g.feed_admin, &a1);
	assert_ref(repo_of(a), g.feed_admin, &a1);
	assert_false(has_object(repo_of(a), &forged));
	git_repository_free(relay);
}

/* Moves the relay's feed ref while a sync receives from it: the push must
 * then leave that ref alone. */
static struct {
	git_repository *relay;
	const char *refname;
	git_oid to;
	int moved;
	size_t calls[4];
	int cancel_phase; /* -1: never */
} race;

static int on_progress(const civic_sync_progress *p, void *payload)
{
	assert_ptr_equal(payload, &race);
	assert_true(p->phase <= CIVIC_SYNC_PHASE_PUSH);
	race.calls[p->phase]++;
	if (race.relay && !race.moved && p->phase == CIVIC_SYNC_PHASE_RECEIVE) {
		fx_set_ref(race.relay, race.refname, &race.to);
		race.moved = 1;
	}
	return (int)p->phase == race.cancel_phase;
}

static void test_sync_relay_changed_meanwhile_not_overwritten(void **state)
{
	char path[4300];
	git_repository *relay = relay_new(path, sizeof path);
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;
	git_oid a1, a2, m1, other;

	(void)state;
	append(&a1, a, g.admin, "Запис 1");
	point_peer_at("relay", path, 1);
	sync_ok(a, NULL);
	/* The relay gets a member's records (so the next fetch receives
	 * something), and a writes a second record. */
	sync_ok(b, NULL);
	append(&m1, b, g.member, "От члена");
	sync_ok(b, NULL);
	append(&a2, a, g.admin, "Запис 2");
	/* While a receives, another node moves the admin feed on the relay. */
	forged_record(&other, relay, g.admin, g.admin, &a1, 2, NULL);
	memset(&race, 0, sizeof race);
	race.relay = relay;
	race.refname = g.feed_admin;
	race.to = other;
	race.cancel_phase = -1;
	o.progress = on_progress;
	o.payload = &race;
	sync_ok(a, &o);
	if (!race.moved)
		skip(); /* this transport reported no receive progress */
	item_with(g.feed_admin, CIVIC_SYNC_PUSH_FAILED);
	assert_int_equal(report.push_failed, 1);
	assert_ref(relay, g.feed_admin, &other);
	assert_ref(repo_of(a), g.feed_member, &m1);
	git_repository_free(relay);
}

/*------------------------------------------------------------------------
 * Limits, cancelling, failures
 */

static void assert_b_unchanged(void)
{
	assert_ref(repo_of(b), CIVIC_ROSTER_REF, NULL);
	assert_int_equal(count_refs(repo_of(b), "refs/"), 0);
	assert_int_equal(quarantines_left(b), 0);
}

static void test_sync_max_bytes_cut_off(void **state)
{
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;
	git_oid a1;
	int rc;

	(void)state;
	append(&a1, a, g.admin, "Запис 1");
	o.max_bytes = 1;
	rc = sync_rc(b, &o);
	assert_true(rc < 0);
	assert_non_null(strstr(civic_error_last()->message, "cut off"));
	assert_b_unchanged();
	assert_false(has_object(repo_of(b), &a1));
	assert_true(peer.last_error[0] != '\0');
	assert_int_equal(peer.last_sync, 0);
	assert_true(peer.last_attempt > 0);
	/* With the default limit, the same sync goes through. */
	sync_ok(b, NULL);
	assert_ref(repo_of(b), g.feed_admin, &a1);
	assert_string_equal(peer.last_error, "");
}

static void test_sync_progress_cancel_at_connect(void **state)
{
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	memset(&race, 0, sizeof race);
	race.cancel_phase = CIVIC_SYNC_PHASE_CONNECT;
	o.progress = on_progress;
	o.payload = &race;
	assert_true(sync_rc(b, &o) < 0);
	assert_non_null(strstr(civic_error_last()->message, "cancelled"));
	assert_int_equal(race.calls[CIVIC_SYNC_PHASE_CONNECT], 1);
	assert_b_unchanged();
	assert_non_null(strstr(peer.last_error, "cancelled"));
}

static void test_sync_progress_cancel_while_receiving(void **state)
{
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;
	int rc;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	memset(&race, 0, sizeof race);
	race.cancel_phase = CIVIC_SYNC_PHASE_RECEIVE;
	o.progress = on_progress;
	o.payload = &race;
	rc = sync_rc(b, &o);
	if (race.calls[CIVIC_SYNC_PHASE_RECEIVE] == 0)
		skip(); /* this transport reported no receive progress */
	assert_true(rc < 0);
	assert_b_unchanged();
	/* The reason given is the cancel, not a transport error. */
	if (!strstr(civic_error_last()->message, "cancelled"))
		fail_msg("a cancelled sync says: %s", civic_error_last()->message);
}

static int cancel_once(const civic_sync_progress *p, void *payload)
{
	int *calls = payload;

	return p->phase == CIVIC_SYNC_PHASE_RECEIVE && (*calls)++ == 0;
}

/* "A non-zero return cancels the sync": one is enough. A cancel is not a
 * link that broke off, to be taken up again ref by ref. */
static void test_sync_progress_cancel_once_cancels(void **state)
{
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;
	int calls = 0, rc;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	o.progress = cancel_once;
	o.payload = &calls;
	rc = sync_rc(b, &o);
	if (calls == 0)
		skip(); /* this transport reported no receive progress */
	assert_true(rc < 0);
	if (count_refs(repo_of(b), "refs/") != 0)
		fail_msg("a cancelled sync took %zu refs (%s)", count_refs(repo_of(b), "refs/"),
			 civic_error_last()->message);
	assert_b_unchanged();
}

/* Cancels the second transfer as it arrives: with parts of 4 records, the
 * one fetched while the first part is verified. */
static int cancel_second_transfer(const civic_sync_progress *p, void *payload)
{
	int *calls = payload;

	if (p->phase != CIVIC_SYNC_PHASE_RECEIVE || report.fetches != 2)
		return 0;
	(*calls)++;
	return 1;
}

/* A feed of 12 records with steps at 4 and 8 (a's steps, set by hand as a
 * peer may hold anything): b takes it in parts, the next arriving while the
 * last is verified. A cancel then stops both: no further transfer, nothing
 * but whole parts kept, no quarantine left; the next sync takes the rest. */
static void test_sync_progress_cancel_beside_verification(void **state)
{
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;
	civic_buf step = CIVIC_BUF_INIT;
	git_oid ids[12], held;
	int calls = 0, rc, k;

	(void)state;
	for (k = 0; k < 12; k++)
		append(&ids[k], a, g.admin, "Запис");
	for (k = 4; k < 12; k += 4) {
		assert_civic_ok(civic_step_refname(&step, civic_key_public(g.admin), (uint64_t)k));
		fx_set_ref(repo_of(a), step.ptr, &ids[k - 1]);
	}
	civic_buf_dispose(&step);
	o.records_per_fetch = 4;
	o.progress = cancel_second_transfer;
	o.payload = &calls;
	rc = sync_rc(b, &o);
	if (calls == 0)
		skip(); /* this transport reported no receive progress */
	assert_true(rc < 0);
	assert_non_null(strstr(civic_error_last()->message, "cancelled"));
	assert_int_equal(report.fetches, 2);
	assert_int_equal(quarantines_left(b), 0);
	if (fx_ref(&held, repo_of(b), g.feed_admin) == 0 && !git_oid_equal(&held, &ids[3]))
		fail_msg("a cancelled sync kept a feed that is not its first part");
	o.progress = NULL;
	sync_ok(b, &o);
	assert_ref(repo_of(b), g.feed_admin, &ids[11]);
	assert_int_equal(quarantines_left(b), 0);
}

static void test_sync_progress_phases(void **state)
{
	char path[4300], url[4400];
	git_repository *relay = relay_new(path, sizeof path);
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	memset(&race, 0, sizeof race);
	race.cancel_phase = -1;
	o.progress = on_progress;
	o.payload = &race;
	point_peer_at("relay", path, 1);
	sync_ok(a, &o);
	assert_true(race.calls[CIVIC_SYNC_PHASE_CONNECT] >= 1);
	assert_int_equal(report.refs_pushed, 2);
	/* Receiving from a peer that has something new reports it. */
	memset(&race, 0, sizeof race);
	race.cancel_phase = -1;
	url_of(url, sizeof url, a);
	point_peer_at("a", url, 0);
	sync_ok(b, &o);
	assert_true(race.calls[CIVIC_SYNC_PHASE_CONNECT] >= 1);
	assert_true(race.calls[CIVIC_SYNC_PHASE_RECEIVE] >= 1);
	assert_int_equal(report.records_accepted, 1);
	git_repository_free(relay);
}

static void test_sync_unreachable_peer(void **state)
{
	char url[4400];

	(void)state;
	fx_path(url, sizeof url, dir, "no-such-node/archive.git");
	point_peer_at("gone", url, 0);
	assert_true(sync_rc(b, NULL) < 0);
	assert_true(civic_error_last()->message[0] != '\0');
	assert_string_equal(peer.last_error, civic_error_last()->message);
	assert_int_equal(peer.last_sync, 0);
	assert_true(peer.last_attempt > 0);
	assert_int_equal(peer.known_count, 0);
	assert_b_unchanged();
}

static void test_sync_not_a_repository(void **state)
{
	char url[4400];

	(void)state;
	/* A path that is a directory, but no repository. */
	fx_path(url, sizeof url, civic_node_path(a), "keys");
	point_peer_at("keys", url, 0);
	assert_true(sync_rc(b, NULL) < 0);
	assert_b_unchanged();
}

/* A failed sync writes its error into last_error; the peer list must still
 * save afterwards. A long error message (here: a long Cyrillic path, as a
 * USB stick mounted under a Bulgarian user name gives) is cut at 511 bytes
 * by civic_error_set, possibly inside a UTF-8 character, and jansson will
 * not write a string that is not UTF-8. */
static void test_sync_failure_with_long_utf8_url_peers_still_save(void **state)
{
	civic_buf url = CIVIC_BUF_INIT;
	civic_peer *p;
	int i;

	(void)state;
	assert_civic_ok(civic_peers_load(&peers, civic_node_path(b)));
	for (i = 0; i < 2; i++) {
		/* Two lengths an odd byte apart: one of them cuts a character. */
		char name[16];
		size_t j;
		civic_buf_clear(&url);
		assert_civic_ok(civic_buf_printf(&url, "%s/%s", dir, i ? "x" : ""));
		for (j = 0; j < 300; j++)
			assert_civic_ok(civic_buf_puts(&url, "д"));
		assert_civic_ok(civic_buf_puts(&url, "/archive.git"));
		snprintf(name, sizeof name, "far%d", i);
		assert_civic_ok(civic_peers_add(peers, name, url.ptr, 0, NULL));
		p = civic_peers_find(peers, name);
		civic_sync_report_dispose(&report);
		assert_true(civic_sync_peer(&report, b, p, NULL) < 0);
		assert_true(p->last_error[0] != '\0');
	}
	civic_buf_dispose(&url);
	assert_civic_ok(civic_peers_save(peers));
}

/* Options structs carry a version that is checked on entry (STYLE.md 8;
 * civic_audit_run and civic_node_create do). */
static void test_sync_refuses_unknown_options_version(void **state)
{
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	o.version = CIVIC_SYNC_OPTIONS_VERSION + 1;
	assert_civic(CIVIC_EINVALID, sync_rc(b, &o));
	assert_b_unchanged();
	o.version = 0;
	assert_civic(CIVIC_EINVALID, sync_rc(b, &o));
	assert_b_unchanged();
}

static void test_sync_options_defaults(void **state)
{
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;

	(void)state;
	assert_int_equal(o.version, CIVIC_SYNC_OPTIONS_VERSION);
	assert_int_equal(o.max_bytes, CIVIC_SYNC_DEFAULT_MAX_BYTES);
	assert_int_equal(o.push, 1);
	assert_null(o.progress);
	assert_string_equal(civic_sync_outcome_name(CIVIC_SYNC_ACCEPTED), "accepted");
	assert_string_equal(civic_sync_outcome_name(CIVIC_SYNC_PEER_BEHIND), "peer-behind");
	assert_string_equal(civic_sync_outcome_name(CIVIC_SYNC_FORK), "fork");
	assert_string_equal(civic_sync_outcome_name(CIVIC_SYNC_REJECTED), "rejected");
	assert_string_equal(civic_sync_outcome_name(CIVIC_SYNC_PUSHED), "pushed");
	assert_string_equal(civic_sync_outcome_name(CIVIC_SYNC_PUSH_FAILED), "push-failed");
	assert_string_equal(civic_sync_outcome_name((civic_sync_outcome)99), "unknown");
	civic_sync_report_dispose(&report); /* an empty report disposes */
}

/*------------------------------------------------------------------------
 * Not writing behind a peer (civic_sync_check_not_behind)
 */

static void test_sync_check_not_behind(void **state)
{
	git_oid a1, a2, unknown;
	civic_peer *p;

	(void)state;
	append(&a1, a, g.admin, "Запис 1");
	append(&a2, a, g.admin, "Запис 2");
	assert_civic_ok(civic_peers_load(&peers, civic_node_path(a)));
	/* No peers, or peers that know nothing of the feed: fine. */
	assert_civic_ok(civic_sync_check_not_behind(repo_of(a), peers, g.feed_admin));
	assert_civic_ok(civic_peers_add(peers, "b", "/b.git", 0, NULL));
	assert_civic_ok(civic_peers_add(peers, "relay", "/relay.git", 1, NULL));
	assert_civic_ok(civic_sync_check_not_behind(repo_of(a), peers, g.feed_admin));
	/* A peer at our head, or behind it: fine. */
	p = civic_peers_find(peers, "b");
	assert_civic_ok(civic_peer_set_known(p, g.feed_admin, &a2));
	assert_civic_ok(civic_sync_check_not_behind(repo_of(a), peers, g.feed_admin));
	p = civic_peers_find(peers, "relay");
	assert_civic_ok(civic_peer_set_known(p, g.feed_admin, &a1));
	assert_civic_ok(civic_sync_check_not_behind(repo_of(a), peers, g.feed_admin));
	/* A peer seen holding a head we lack: writing now would fork. */
	assert_git_ok(git_oid_fromstr(&unknown, "6666666666666666666666666666666666666666"));
	assert_civic_ok(civic_peer_set_known(p, g.feed_admin, &unknown));
	assert_civic(CIVIC_ECONFLICT, civic_sync_check_not_behind(repo_of(a), peers, g.feed_admin));
	assert_non_null(strstr(civic_error_last()->message, "'relay'"));
	/* A node that holds none of the feed, while a peer holds some. */
	assert_civic(CIVIC_ECONFLICT, civic_sync_check_not_behind(repo_of(b), peers, g.feed_admin));
	/* Another ref is not affected. */
	assert_civic_ok(civic_sync_check_not_behind(repo_of(a), peers, g.feed_member));
}

static void test_sync_check_not_behind_after_restore(void **state)
{
	git_oid a1, a2;
	char url[4400];

	(void)state;
	/* b's node holds the admin feed at 2; a is "restored" to record 1. */
	append(&a1, a, g.admin, "Запис 1");
	append(&a2, a, g.admin, "Запис 2");
	sync_ok(b, NULL);
	fx_set_ref(repo_of(a), g.feed_admin, &a1);
	url_of(url, sizeof url, b);
	assert_civic_ok(civic_peers_load(&peers, civic_node_path(a)));
	assert_civic_ok(civic_peers_add(peers, "b", url, 0, NULL));
	civic_sync_report_dispose(&report);
	assert_civic_ok(civic_sync_peer(&report, a, civic_peers_find(peers, "b"), NULL));
	/* The sync itself took the newer records back... */
	assert_ref(repo_of(a), g.feed_admin, &a2);
	assert_civic_ok(civic_sync_check_not_behind(repo_of(a), peers, g.feed_admin));
	/* ...and had it not, the check says so. */
	fx_set_ref(repo_of(a), g.feed_admin, &a1);
	assert_civic(CIVIC_ECONFLICT, civic_sync_check_not_behind(repo_of(a), peers, g.feed_admin));
}

/*------------------------------------------------------------------------
 * Status
 */

static const civic_feed_status *feed_status(const civic_status *st, const civic_key *key)
{
	size_t i;

	for (i = 0; i < st->count; i++)
		if (civic_pubkey_equal(&st->feeds[i].author, civic_key_public(key)))
			return &st->feeds[i];
	return NULL;
}

static void collect(civic_status *st, civic_node *node, civic_roster **roster)
{
	assert_civic_ok(civic_roster_load(roster, repo_of(node), net));
	assert_civic_ok(civic_status_collect(st, repo_of(node), net, *roster, g.schemas,
					     civic_node_attachments_dir(node),
					     civic_node_tmp_dir(node)));
}

static json_t *with_attachment(const char *title, const civic_attachment *att)
{
	json_t *r = fx_minutes(title), *list;

	list = json_pack("[{s:s, s:s, s:I}]", "name", att->name, "sha256", att->sha256, "size",
			 (json_int_t)att->size);
	assert_non_null(list);
	assert_int_equal(json_object_set_new(r, "attachments", list), 0);
	return r;
}

static void test_status_collect_counts(void **state)
{
	civic_status st;
	civic_roster *r = NULL;
	const civic_feed_status *f;
	git_oid a3, m1, o1, bad;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	append(NULL, a, g.admin, "Запис 2");
	append(&a3, a, g.admin, "Запис 3");
	append(&m1, a, g.member, "Протокол");
	append(&o1, a, g.outsider, "Чужд запис");
	collect(&st, a, &r);
	assert_int_equal(st.count, 3);
	f = feed_status(&st, g.admin);
	assert_non_null(f);
	assert_non_null(f->member);
	assert_true(civic_member_is_admin(f->member));
	assert_true(git_oid_equal(&f->head, &a3));
	assert_int_equal(f->head_seq, 3);
	assert_int_equal(f->valid, 3);
	assert_int_equal(f->pending, 0);
	assert_int_equal(f->revoked, 0);
	assert_int_equal(f->bad, 0);
	assert_int_equal(f->forks, 0);
	f = feed_status(&st, g.member);
	assert_non_null(f);
	assert_non_null(f->member);
	assert_int_equal(f->valid, 1);
	/* Not in the roster: counted, but pending, and with no member. */
	f = feed_status(&st, g.outsider);
	assert_non_null(f);
	assert_null(f->member);
	assert_int_equal(f->valid, 0);
	assert_int_equal(f->pending, 1);
	assert_int_equal(st.roster_forks, 0);
	civic_status_dispose(&st);
	assert_int_equal(st.count, 0);
	assert_null(st.feeds);

	/* A bad head: counted up to it, and reported. */
	forged_record(&bad, repo_of(a), g.member, g.outsider, &m1, 2, NULL);
	fx_set_ref(repo_of(a), g.feed_member, &bad);
	assert_civic_ok(civic_status_collect(&st, repo_of(a), net, r, g.schemas, civic_node_attachments_dir(a),
					      civic_node_tmp_dir(a)));
	f = feed_status(&st, g.member);
	assert_non_null(f);
	assert_int_equal(f->bad, 1);
	assert_true(git_oid_equal(&f->bad_commit, &bad));
	assert_true(f->bad_reason[0] != '\0');
	assert_int_equal(f->valid, 1);
	assert_int_equal(f->head_seq, 1);
	civic_status_dispose(&st);

	/* Without a roster everything is pending. */
	assert_civic_ok(civic_status_collect(&st, repo_of(a), net, NULL, g.schemas, civic_node_attachments_dir(a),
					      civic_node_tmp_dir(a)));
	f = feed_status(&st, g.admin);
	assert_non_null(f);
	assert_null(f->member);
	assert_int_equal(f->pending, 3);
	assert_int_equal(f->valid, 0);
	civic_status_dispose(&st);
	civic_roster_free(r);
}

/* A status over feeds that have not moved takes their counts from the
 * cache of verified heads, and attachments from the attachment index: the
 * same figures as the walk. A feed that moved, and every feed once the
 * roster changed, are walked again. */
static void test_status_collect_from_cache(void **state)
{
	civic_status st;
	civic_roster *r = NULL;
	civic_attachment present;
	civic_member m = member_of(g.outsider, "Чужденец", "rila");
	char src[4400];
	const civic_feed_status *f;
	json_t *rec;
	git_oid a2, ignored;

	(void)state;
	fx_path(src, sizeof src, dir, "снимка.jpg");
	fx_write_text(src, "JPEG bytes, stored");
	assert_civic_ok(civic_attach_store(&present, civic_node_attachments_dir(a), src));
	rec = with_attachment("Със снимка", &present);
	assert_civic_ok(civic_feed_append(&ignored, repo_of(a), g.admin, "Автор", net, g.schemas, rec));
	json_decref(rec);
	append(NULL, a, g.member, "Протокол");
	append(NULL, a, g.outsider, "Чужд запис");
	collect(&st, a, &r);
	assert_int_equal(st.count, 3);
	assert_int_equal(feed_status(&st, g.admin)->from_cache, 0);
	civic_status_dispose(&st);
	civic_roster_free(r);

	collect(&st, a, &r);
	f = feed_status(&st, g.admin);
	assert_int_equal(f->from_cache, 1);
	assert_int_equal(f->valid, 1);
	assert_int_equal(f->head_seq, 1);
	assert_int_equal(f->attachments_present, 1);
	assert_non_null(f->member);
	assert_int_equal(feed_status(&st, g.member)->from_cache, 1);
	assert_int_equal(feed_status(&st, g.outsider)->pending, 1);
	assert_int_equal(st.attachments_present, 1);
	civic_status_dispose(&st);
	civic_roster_free(r);

	/* The admin's feed moves on: what it added is walked, from the head
	 * it was counted at; the member's is not walked. */
	append(&a2, a, g.admin, "Запис 2");
	collect(&st, a, &r);
	f = feed_status(&st, g.admin);
	assert_int_equal(f->from_cache, 1);
	assert_int_equal(f->walked, 1);
	assert_true(git_oid_equal(&f->head, &a2));
	assert_int_equal(f->head_seq, 2);
	assert_int_equal(f->valid, 2);
	assert_int_equal(f->attachments_present, 1);
	assert_int_equal(feed_status(&st, g.member)->from_cache, 1);
	assert_int_equal(feed_status(&st, g.member)->walked, 0);
	civic_status_dispose(&st);

	/* A new roster: the outsider's record is valid now, and nothing is
	 * taken from the cache. */
	assert_civic_ok(civic_roster_add(r, repo_of(a), g.admin, &m));
	civic_roster_free(r);
	collect(&st, a, &r);
	f = feed_status(&st, g.outsider);
	assert_int_equal(f->from_cache, 0);
	assert_int_equal(f->valid, 1);
	assert_int_equal(f->pending, 0);
	assert_int_equal(feed_status(&st, g.admin)->from_cache, 0);
	civic_status_dispose(&st);
	civic_roster_free(r);
}

/* A feed that moved on since the last status is walked from the head it
 * was counted at, its new records' attachments counted by the index; one
 * rolled back, or moved on to a bad commit, is walked whole. */
static void test_status_collect_moved_on(void **state)
{
	civic_status st;
	civic_roster *r = NULL;
	civic_attachment absent = { "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 4,
				    "снимка.jpg", "image/jpeg" };
	const civic_feed_status *f;
	json_t *rec;
	git_oid a3, a5, bad;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	append(NULL, a, g.admin, "Запис 2");
	append(&a3, a, g.admin, "Запис 3");
	collect(&st, a, &r);
	f = feed_status(&st, g.admin);
	assert_int_equal(f->from_cache, 0);
	assert_int_equal(f->walked, 3);
	civic_status_dispose(&st);
	civic_roster_free(r);

	append(NULL, a, g.admin, "Запис 4");
	rec = with_attachment("Със снимка", &absent);
	assert_civic_ok(civic_feed_append(&a5, repo_of(a), g.admin, "Автор", net, g.schemas, rec));
	json_decref(rec);
	collect(&st, a, &r);
	f = feed_status(&st, g.admin);
	assert_int_equal(f->from_cache, 1);
	assert_int_equal(f->walked, 2);
	assert_true(git_oid_equal(&f->head, &a5));
	assert_int_equal(f->head_seq, 5);
	assert_int_equal(f->valid, 5);
	assert_int_equal(f->attachments_missing, 1);
	assert_int_equal(f->attachments_present, 0);
	civic_status_dispose(&st);
	civic_roster_free(r);
	/* Kept at the new head. */
	collect(&st, a, &r);
	assert_int_equal(feed_status(&st, g.admin)->walked, 0);
	assert_int_equal(feed_status(&st, g.admin)->valid, 5);
	civic_status_dispose(&st);
	civic_roster_free(r);

	/* Rolled back: the head does not extend the one counted; walked whole. */
	fx_set_ref(repo_of(a), g.feed_admin, &a3);
	collect(&st, a, &r);
	f = feed_status(&st, g.admin);
	assert_int_equal(f->from_cache, 0);
	assert_int_equal(f->walked, 3);
	assert_int_equal(f->valid, 3);
	assert_int_equal(f->head_seq, 3);
	assert_int_equal(f->attachments_missing, 0);
	civic_status_dispose(&st);
	civic_roster_free(r);

	/* On to a bad commit: walked whole, and reported as a whole walk would. */
	forged_record(&bad, repo_of(a), g.admin, g.outsider, &a3, 4, NULL);
	fx_set_ref(repo_of(a), g.feed_admin, &bad);
	collect(&st, a, &r);
	f = feed_status(&st, g.admin);
	assert_int_equal(f->from_cache, 0);
	assert_int_equal(f->walked, 3);
	assert_int_equal(f->bad, 1);
	assert_true(git_oid_equal(&f->bad_commit, &bad));
	assert_int_equal(f->valid, 3);
	civic_status_dispose(&st);
	civic_roster_free(r);
}

/* The cache is only a cache: damaged, it is rebuilt, and a feed whose ref
 * was moved to a forged commit is walked and reported bad. */
static void test_status_cache_damaged_or_passed_over(void **state)
{
	civic_status st;
	civic_roster *r = NULL;
	char path[4400], feed[128];
	const civic_feed_status *f;
	git_oid m1, bad;

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	append(&m1, a, g.member, "Протокол");
	collect(&st, a, &r);
	civic_status_dispose(&st);
	civic_roster_free(r);
	fx_path(path, sizeof path, civic_node_tmp_dir(a), "verified-heads.json");
	fx_write_text(path, "{\"format\": \"civic-verified-heads-1\", \"feeds\": [");
	collect(&st, a, &r);
	assert_int_equal(feed_status(&st, g.admin)->from_cache, 0);
	assert_int_equal(feed_status(&st, g.admin)->valid, 1);
	civic_status_dispose(&st);
	civic_roster_free(r);
	collect(&st, a, &r);
	assert_int_equal(feed_status(&st, g.admin)->from_cache, 1);
	civic_status_dispose(&st);

	forged_record(&bad, repo_of(a), g.member, g.outsider, &m1, 2, NULL);
	fx_set_ref(repo_of(a), g.feed_member, &bad);
	civic_roster_free(r);
	collect(&st, a, &r);
	f = feed_status(&st, g.member);
	assert_int_equal(f->from_cache, 0);
	assert_int_equal(f->bad, 1);
	assert_int_equal(f->valid, 1);
	civic_status_dispose(&st);
	civic_roster_free(r);
	/* A bad feed is not kept: the next status walks it again. */
	collect(&st, a, &r);
	f = feed_status(&st, g.member);
	assert_int_equal(f->from_cache, 0);
	assert_int_equal(f->bad, 1);
	civic_status_dispose(&st);
	civic_roster_free(r);

	/* A feed ref naming a commit the archive lacks (a disk that lost it):
	 * the attachment index cannot read it, so the cached feeds are walked,
	 * and that one is reported bad. */
	fx_feed_ref(feed, sizeof feed, g.third);
	fx_path(path, sizeof path, git_repository_path(repo_of(a)), feed);
	fx_write_text(path, "0123456789012345678901234567890123456789\n");
	collect(&st, a, &r);
	f = feed_status(&st, g.admin);
	assert_int_equal(f->from_cache, 0);
	assert_int_equal(f->valid, 1);
	assert_int_equal(f->head_seq, 1);
	assert_int_equal(feed_status(&st, g.third)->bad, 1);
	civic_status_dispose(&st);
	civic_roster_free(r);
}

static void test_status_collect_revoked(void **state)
{
	civic_status st;
	civic_roster *r = NULL;
	const civic_feed_status *f;
	git_oid m1;

	(void)state;
	append(&m1, a, g.member, "Протокол 1");
	append(NULL, a, g.member, "Протокол 2");
	assert_civic_ok(civic_roster_load(&r, repo_of(a), net));
	assert_civic_ok(civic_roster_revoke(r, repo_of(a), g.admin, civic_key_public(g.member), &m1, "кражба"));
	civic_roster_free(r);
	r = NULL;
	collect(&st, a, &r);
	f = feed_status(&st, g.member);
	assert_non_null(f);
	assert_int_equal(f->valid, 1);
	assert_int_equal(f->revoked, 1);
	assert_int_equal(f->head_seq, 2);
	civic_status_dispose(&st);
	civic_roster_free(r);
	/* A revoked member's standing hangs on more than the roster: never
	 * taken from the cache of verified heads. */
	collect(&st, a, &r);
	f = feed_status(&st, g.member);
	assert_int_equal(f->from_cache, 0);
	assert_int_equal(f->revoked, 1);
	civic_status_dispose(&st);
	civic_roster_free(r);
}

static void test_status_collect_attachments(void **state)
{
	civic_status st;
	civic_roster *r = NULL;
	civic_attachment present, missing;
	char src[4400];
	const civic_feed_status *f;
	json_t *rec;
	git_oid ignored;

	(void)state;
	fx_path(src, sizeof src, dir, "снимка.jpg");
	fx_write_text(src, "JPEG bytes, stored");
	assert_civic_ok(civic_attach_store(&present, civic_node_attachments_dir(a), src));
	fx_write_text(src, "JPEG bytes, never stored");
	assert_civic_ok(civic_attach_describe(&missing, src));
	rec = with_attachment("Със снимка", &present);
	assert_civic_ok(civic_feed_append(&ignored, repo_of(a), g.admin, "Автор", net, g.schemas, rec));
	json_decref(rec);
	rec = with_attachment("С липсваща снимка", &missing);
	assert_civic_ok(civic_feed_append(&ignored, repo_of(a), g.admin, "Автор", net, g.schemas, rec));
	json_decref(rec);
	collect(&st, a, &r);
	f = feed_status(&st, g.admin);
	assert_non_null(f);
	assert_int_equal(f->attachments_present, 1);
	assert_int_equal(f->attachments_missing, 1);
	assert_int_equal(f->attachments_corrupt, 0);
	assert_int_equal(st.attachments_present, 1);
	assert_int_equal(st.attachments_missing, 1);
	civic_status_dispose(&st);
	civic_roster_free(r);
	r = NULL;

	/* Records sync without their attachments: on b both are missing. */
	sync_ok(b, NULL);
	collect(&st, b, &r);
	assert_int_equal(st.attachments_present, 0);
	assert_int_equal(st.attachments_missing, 2);
	civic_status_dispose(&st);
	civic_roster_free(r);
}

static void test_status_peer_by_hand(void **state)
{
	civic_status st;
	civic_peer_status ps;
	civic_roster *r = NULL;
	civic_peer p;
	git_oid a1, a3, m2, unknown, fork_commit;

	(void)state;
	append(&a1, a, g.admin, "Запис 1");
	append(NULL, a, g.admin, "Запис 2");
	append(&a3, a, g.admin, "Запис 3");
	append(NULL, a, g.member, "Протокол 1");
	append(&m2, a, g.member, "Протокол 2");
	collect(&st, a, &r);
	civic_peer_init(&p, "b", "/b.git");

	/* Knows nothing: lacks every feed, and every record in them. */
	civic_status_peer(&ps, &st, &p, repo_of(a));
	assert_int_equal(ps.feeds_current, 0);
	assert_int_equal(ps.feeds_lacking, 2);
	assert_int_equal(ps.records_lacking, 5);
	assert_int_equal(ps.feeds_other, 0);

	/* Holds our heads. */
	assert_civic_ok(civic_peer_set_known(&p, g.feed_admin, &a3));
	assert_civic_ok(civic_peer_set_known(&p, g.feed_member, &m2));
	civic_status_peer(&ps, &st, &p, repo_of(a));
	assert_int_equal(ps.feeds_current, 2);
	assert_int_equal(ps.feeds_lacking, 0);
	assert_int_equal(ps.records_lacking, 0);

	/* Behind on one feed by two records. */
	assert_civic_ok(civic_peer_set_known(&p, g.feed_admin, &a1));
	civic_status_peer(&ps, &st, &p, repo_of(a));
	assert_int_equal(ps.feeds_current, 1);
	assert_int_equal(ps.feeds_lacking, 1);
	assert_int_equal(ps.records_lacking, 2);
	assert_int_equal(ps.feeds_other, 0);

	/* A head we do not hold, or one that is not on our line. */
	assert_git_ok(git_oid_fromstr(&unknown, "5555555555555555555555555555555555555555"));
	assert_civic_ok(civic_peer_set_known(&p, g.feed_admin, &unknown));
	civic_status_peer(&ps, &st, &p, repo_of(a));
	assert_int_equal(ps.feeds_other, 1);
	assert_int_equal(ps.feeds_current, 1);
	forged_record(&fork_commit, repo_of(a), g.admin, g.admin, &a1, 2, NULL);
	assert_civic_ok(civic_peer_set_known(&p, g.feed_admin, &fork_commit));
	civic_status_peer(&ps, &st, &p, repo_of(a));
	assert_int_equal(ps.feeds_other, 1);
	assert_int_equal(ps.feeds_lacking, 0);
	/* A peer that holds more than we do is not lacking anything. */
	{
		git_oid a4;
		append(&a4, a, g.admin, "Запис 4");
		assert_civic_ok(civic_peer_set_known(&p, g.feed_admin, &a4));
		civic_status_peer(&ps, &st, &p, repo_of(a)); /* st still says head 3 */
		assert_int_equal(ps.feeds_lacking, 0);
		assert_int_equal(ps.feeds_other, 1);
	}
	/* Forgetting the feed again: lacking. */
	assert_civic_ok(civic_peer_set_known(&p, g.feed_admin, NULL));
	civic_status_peer(&ps, &st, &p, repo_of(a));
	assert_int_equal(ps.feeds_lacking, 1);
	assert_int_equal(ps.records_lacking, 3);
	civic_peer_dispose(&p);
	civic_status_dispose(&st);
	civic_roster_free(r);
}

static void test_status_peer_after_sync(void **state)
{
	civic_status st;
	civic_peer_status ps;
	civic_roster *r = NULL;
	char url[4400];

	(void)state;
	append(NULL, a, g.admin, "Запис 1");
	append(NULL, a, g.admin, "Запис 2");
	sync_ok(b, NULL);
	/* a asks b: b holds all a has. */
	url_of(url, sizeof url, b);
	point_peer_at("b", url, 0);
	sync_ok(a, NULL);
	collect(&st, a, &r);
	civic_status_peer(&ps, &st, &peer, repo_of(a));
	assert_int_equal(ps.feeds_current, 1);
	assert_int_equal(ps.feeds_lacking, 0);
	civic_status_dispose(&st);
	/* a writes two more: b is known to lack them. */
	append(NULL, a, g.admin, "Запис 3");
	append(NULL, a, g.admin, "Запис 4");
	assert_civic_ok(civic_status_collect(&st, repo_of(a), net, r, g.schemas, civic_node_attachments_dir(a),
					      civic_node_tmp_dir(a)));
	civic_status_peer(&ps, &st, &peer, repo_of(a));
	assert_int_equal(ps.feeds_current, 0);
	assert_int_equal(ps.feeds_lacking, 1);
	assert_int_equal(ps.records_lacking, 2);
	civic_status_dispose(&st);
	civic_roster_free(r);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sync_requires_network),
		T(test_sync_fresh_member_takes_roster),
		T(test_sync_feed_accepted),
		T(test_sync_second_is_noop),
		T(test_sync_incremental),
		T(test_sync_both_ways),
		T(test_sync_records_peer_known_heads),
		T(test_sync_known_heads_survive_peers_file),
		T(test_sync_tampered_commit_rejected),
		T(test_sync_tampered_commit_by_other_key_rejected),
		T(test_sync_takes_longest_good_run),
		T(test_sync_fork_kept_as_evidence),
		T(test_sync_fork_forged_branch_not_kept),
		T(test_sync_non_member_rejected),
		T(test_sync_revoked_member_stops_at_last_valid),
		T(test_sync_peer_behind),
		T(test_sync_ignores_refs_it_does_not_know),
		T(test_sync_roster_of_other_network_rejected),
		T(test_sync_tampered_roster_rejected),
		T(test_sync_roster_fork_kept_as_evidence),
		T(test_sync_roster_fork_evidence_not_taken_as_roster),
		T(test_sync_fork_evidence_reaches_third_node),
		T(test_sync_roster_update_after_join),
		T(test_sync_relay_push),
		T(test_sync_relay_push_disabled),
		T(test_sync_relay_keeps_forged_refs_out),
		T(test_sync_relay_changed_meanwhile_not_overwritten),
		T(test_sync_max_bytes_cut_off),
		T(test_sync_progress_cancel_at_connect),
		T(test_sync_progress_cancel_while_receiving),
		T(test_sync_progress_cancel_once_cancels),
		T(test_sync_progress_cancel_beside_verification),
		T(test_sync_progress_phases),
		T(test_sync_unreachable_peer),
		T(test_sync_not_a_repository),
		T(test_sync_failure_with_long_utf8_url_peers_still_save),
		T(test_sync_refuses_unknown_options_version),
		T(test_sync_options_defaults),
		T(test_sync_check_not_behind),
		T(test_sync_check_not_behind_after_restore),
		T(test_status_collect_counts),
		T(test_status_collect_from_cache),
		T(test_status_collect_moved_on),
		T(test_status_cache_damaged_or_passed_over),
		T(test_status_collect_revoked),
		T(test_status_collect_attachments),
		T(test_status_peer_by_hand),
		T(test_status_peer_after_sync),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
