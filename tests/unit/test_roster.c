/*
 * test_roster.c - the signed member list (src/roster.h). The writing API is
 * checked through civic_roster_load; every check the loader makes is fed a
 * roster commit made by hand that breaks exactly that check, next to a
 * hand-made control that passes.
 */
#include "helpers.h"
#include "fixtures.h"

#include "roster.h"

#define NETWORK_NAME "Мрежа на НПО в Кюстендилска област"
#define CENTER_NAME "Граждански център Кюстендил"

static struct {
	char *dir;
	civic_key *admin, *ngo, *outsider, *second;
} g;

static git_repository *repo;            /* fresh per test */
static char net[GIT_OID_HEXSZ + 1];     /* its network id, after create_network() */
static git_oid root;

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	assert_civic_ok(civic_key_generate(&g.admin));
	assert_civic_ok(civic_key_generate(&g.ngo));
	assert_civic_ok(civic_key_generate(&g.outsider));
	assert_civic_ok(civic_key_generate(&g.second));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	civic_key_free(g.admin);
	civic_key_free(g.ngo);
	civic_key_free(g.outsider);
	civic_key_free(g.second);
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
	net[0] = '\0';
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

static void create_network(void)
{
	assert_civic_ok(civic_roster_create(&root, repo, g.admin, NETWORK_NAME, CENTER_NAME, "kyustendil"));
	fx_oid_hex(net, &root);
}

static civic_roster *load(void)
{
	civic_roster *r = NULL;

	assert_civic_ok(civic_roster_load(&r, repo, net));
	assert_non_null(r);
	return r;
}

static int load_rc(void)
{
	civic_roster *r = NULL;
	int rc;

	civic_error_clear();
	rc = civic_roster_load(&r, repo, net);
	if (rc < 0) {
		assert_null(r);
		assert_true(civic_error_last()->message[0] != '\0');
	}
	civic_roster_free(r);
	return rc;
}

static void assert_load_refused(int code, const char *why)
{
	int rc = load_rc();

	if (rc != code || !strstr(civic_error_last()->message, why))
		fail_msg("roster load returned %d (want %d), message '%s' (want '%s')", rc, code,
			 civic_error_last()->message, why);
}

static civic_member member(const civic_key *key, const char *name, const char *municipality, const char *role)
{
	civic_member m;

	memset(&m, 0, sizeof m);
	m.key = *civic_key_public(key);
	snprintf(m.name, sizeof m.name, "%s", name);
	snprintf(m.municipality, sizeof m.municipality, "%s", municipality);
	snprintf(m.role, sizeof m.role, "%s", role);
	return m;
}

static void add(civic_roster *r, const civic_key *key, const char *name, const char *municipality,
		const char *role)
{
	civic_member m = member(key, name, municipality, role);

	assert_civic_ok(civic_roster_add(r, repo, g.admin, &m));
}

static git_oid head(void)
{
	git_oid id;

	assert_int_equal(fx_ref(&id, repo, CIVIC_ROSTER_REF), 0);
	return id;
}

static void file_path(char *out, size_t size, const char *dir, const civic_key *key)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1];
	int n;

	civic_pubkey_to_hex(hex, civic_key_public(key));
	n = snprintf(out, size, "%s/%s.json", dir, hex);
	assert_true(n > 0 && (size_t)n < size);
}

static char *openssh(const civic_key *key)
{
	civic_buf b = CIVIC_BUF_INIT;

	assert_civic_ok(civic_pubkey_to_openssh(&b, civic_key_public(key)));
	return civic_buf_detach(&b);
}

/* base tree with a JSON file (taking the reference) at path. */
static void put_json(git_oid *out, const git_oid *base, const char *path, json_t *json)
{
	char *text = json_dumps(json, JSON_INDENT(2) | JSON_SORT_KEYS);

	assert_non_null(text);
	fx_tree_put(out, repo, base, path, text, strlen(text), GIT_FILEMODE_BLOB);
	free(text);
	json_decref(json);
}

static json_t *member_json(const civic_key *key, const char *name, const char *municipality, const char *role)
{
	char *line = openssh(key);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "key", line, "name", name, "municipality",
			      municipality, "role", role);

	free(line);
	assert_non_null(j);
	return j;
}

/* base with members/<file_key>.json describing `key`. */
static void put_member(git_oid *out, const git_oid *base, const civic_key *file_key, const civic_key *key,
		       const char *name, const char *municipality, const char *role)
{
	char path[128];

	file_path(path, sizeof path, "members", file_key);
	put_json(out, base, path, member_json(key, name, municipality, role));
}

static void put_revocation(git_oid *out, const git_oid *base, const civic_key *file_key, const civic_key *key,
			   const char *last_valid, const char *reason)
{
	char path[128], *line = openssh(key);
	json_t *j = json_pack("{s:s, s:o, s:s}", "key", line, "last_valid",
			      last_valid ? json_string(last_valid) : json_null(), "reason", reason);

	free(line);
	assert_non_null(j);
	file_path(path, sizeof path, "revocations", file_key);
	put_json(out, base, path, j);
}

static git_oid head_tree(void)
{
	git_oid h = head(), t;

	fx_commit_tree(&t, repo, &h);
	return t;
}

/* A roster commit on `parent` (NULL: a root) by signer, with the given
 * trailers (network NULL: none; seq NULL: none); moves the roster ref. */
static void commit_raw(git_oid *out, const civic_key *signer, const git_oid *parent, const git_oid *tree,
		       const char *network, const char *seq)
{
	char msg[512];
	int n = snprintf(msg, sizeof msg, "roster: by hand\n\n%s%s%s%s%s%s", network ? "Civic-Network: " : "",
			 network ? network : "", network ? "\n" : "", seq ? "Civic-Roster-Seq: " : "",
			 seq ? seq : "", seq ? "\n" : "");
	fx_commit_spec s = { 0 };

	assert_true(n > 0 && (size_t)n < sizeof msg);
	s.signer = signer;
	s.tree = tree;
	s.parents = parent;
	s.nparents = parent ? 1 : 0;
	s.message = msg;
	fx_commit(out, repo, &s);
	fx_set_ref(repo, CIVIC_ROSTER_REF, out);
}

/* The next roster commit on the current head, with the right trailers. */
static void commit_next(git_oid *out, const civic_key *signer, const git_oid *tree, uint64_t seq)
{
	git_oid h = head();
	char seqs[24];

	snprintf(seqs, sizeof seqs, "%llu", (unsigned long long)seq);
	commit_raw(out, signer, &h, tree, net, seqs);
}

/* network.json of a root. */
static void network_file(git_oid *out, const git_oid *base, const char *name)
{
	put_json(out, base, "network.json", json_pack("{s:s, s:s}", "format", "civic-roster-1", "name", name));
}

/* A root made by hand; its id becomes `net`. */
static void root_by_hand(const civic_key *signer, const git_oid *tree, const char *seq)
{
	commit_raw(&root, signer, NULL, tree, NULL, seq);
	fx_oid_hex(net, &root);
}

/*------------------------------------------------------------------------
 * Create and load
 */

static void test_network_id_valid(void **state)
{
	(void)state;
	assert_true(civic_network_id_valid("0123456789abcdef0123456789abcdef01234567"));
	assert_false(civic_network_id_valid("0123456789ABCDEF0123456789abcdef01234567"));
	assert_false(civic_network_id_valid("0123456789abcdef0123456789abcdef0123456"));
	assert_false(civic_network_id_valid("0123456789abcdef0123456789abcdef012345678"));
	assert_false(civic_network_id_valid("0123456789abcdef0123456789abcdef0123456g"));
	assert_false(civic_network_id_valid(""));
}

static void test_roster_create_sets_network_id(void **state)
{
	civic_roster *r;
	const civic_member *m;
	git_commit *c = NULL;
	git_oid h;

	(void)state;
	create_network();
	h = head();
	assert_true(git_oid_equal(&h, &root));
	assert_true(civic_network_id_valid(net));
	assert_git_ok(git_commit_lookup(&c, repo, &root));
	assert_int_equal(git_commit_parentcount(c), 0);
	assert_non_null(strstr(git_commit_message(c), "Civic-Roster-Seq: 1\n"));
	git_commit_free(c);

	r = load();
	assert_string_equal(civic_roster_network_name(r), NETWORK_NAME);
	h = civic_roster_head(r);
	assert_true(git_oid_equal(&h, &root));
	assert_int_equal(civic_roster_count(r), 1);
	m = civic_roster_get(r, 0);
	assert_true(civic_pubkey_equal(&m->key, civic_key_public(g.admin)));
	assert_string_equal(m->name, CENTER_NAME);
	assert_string_equal(m->municipality, "kyustendil");
	assert_string_equal(m->role, "civic-center");
	assert_false(m->revoked);
	assert_true(civic_member_is_admin(m));
	assert_ptr_equal(civic_roster_find(r, civic_key_public(g.admin)), m);
	assert_null(civic_roster_find(r, civic_key_public(g.ngo)));
	assert_false(civic_member_is_admin(NULL));
	civic_roster_free(r);
	civic_roster_free(NULL);
}

static void test_roster_create_twice_refused(void **state)
{
	git_oid again, h;

	(void)state;
	create_network();
	assert_civic(CIVIC_EEXISTS, civic_roster_create(&again, repo, g.second, "Друга мрежа", "Друг център", "rila"));
	h = head();
	assert_true(git_oid_equal(&h, &root));
}

static void test_roster_create_refuses_bad_names(void **state)
{
	git_oid id;
	size_t objects = fx_count_objects(repo);

	(void)state;
	assert_civic(CIVIC_EINVALID, civic_roster_create(&id, repo, g.admin, "", CENTER_NAME, "kyustendil"));
	assert_civic(CIVIC_EINVALID, civic_roster_create(&id, repo, g.admin, NETWORK_NAME, "Center <x@y>", "kyustendil"));
	assert_civic(CIVIC_EINVALID, civic_roster_create(&id, repo, g.admin, "Two\nlines", CENTER_NAME, "kyustendil"));
	assert_int_equal(fx_ref(&id, repo, CIVIC_ROSTER_REF), GIT_ENOTFOUND);
	assert_int_equal(fx_count_objects(repo), objects);
}

/* A roster that its own loader refuses must not be written: the network
 * would be unusable from its first commit. */
static void test_roster_create_refuses_unknown_municipality(void **state)
{
	git_oid id;

	(void)state;
	assert_civic(CIVIC_EINVALID, civic_roster_create(&id, repo, g.admin, NETWORK_NAME, CENTER_NAME, "sofia"));
	assert_int_equal(fx_ref(&id, repo, CIVIC_ROSTER_REF), GIT_ENOTFOUND);
}

static void test_roster_create_with_bulgarian_name_loads(void **state)
{
	int rc;

	(void)state;
	rc = civic_roster_create(&root, repo, g.admin, NETWORK_NAME, CENTER_NAME, "Кюстендил");
	if (rc == CIVIC_EINVALID)
		return; /* refusing is fine */
	assert_civic_ok(rc);
	fx_oid_hex(net, &root);
	assert_civic_ok(load_rc());
}

static void test_roster_load_without_roster(void **state)
{
	civic_roster *r = (civic_roster *)1;

	(void)state;
	assert_civic(CIVIC_ENOTFOUND, civic_roster_load(&r, repo, "0123456789abcdef0123456789abcdef01234567"));
	assert_null(r);
}

static void test_roster_load_refuses_other_network_id(void **state)
{
	(void)state;
	create_network();
	snprintf(net, sizeof net, "%s", "0123456789abcdef0123456789abcdef01234567");
	assert_load_refused(CIVIC_EINVALID, "not at the network id");
}

/* The ref moved to another, self-consistent network: its root is not ours. */
static void test_roster_load_refuses_chain_with_other_root(void **state)
{
	char ours[GIT_OID_HEXSZ + 1];
	git_oid t1, t2, other_root, next;

	(void)state;
	create_network();
	snprintf(ours, sizeof ours, "%s", net);
	/* A valid root of another network, and a valid second commit on it. */
	network_file(&t1, NULL, "Чужда мрежа");
	put_member(&t2, &t1, g.admin, g.admin, CENTER_NAME, "kyustendil", "civic-center");
	root_by_hand(g.admin, &t2, "1");
	other_root = root;
	assert_civic_ok(load_rc()); /* fine as its own network */
	put_member(&t1, &t2, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	commit_next(&next, g.admin, &t1, 2);
	assert_civic_ok(load_rc());
	/* But not as ours. */
	snprintf(net, sizeof net, "%s", ours);
	assert_load_refused(CIVIC_EINVALID, "not at the network id");
	(void)other_root;
}

/*------------------------------------------------------------------------
 * Add and revoke
 */

static void test_roster_add_and_revoke(void **state)
{
	civic_roster *r;
	const civic_member *m;
	git_oid last_valid, h, rh;
	git_commit *c = NULL;
	char expect[128];

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище „Пробуда 1903“", "sapareva-banya", "ngo");
	add(r, g.outsider, "Одитор", "dupnitsa", "auditor");
	assert_int_equal(civic_roster_count(r), 3);
	assert_git_ok(git_oid_fromstr(&last_valid, "89abcdef0123456789abcdef0123456789abcdef"));
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.ngo), &last_valid,
					    "лаптопът е откраднат"));
	m = civic_roster_find(r, civic_key_public(g.ngo));
	assert_true(m->revoked);
	h = head();
	rh = civic_roster_head(r);
	assert_true(git_oid_equal(&h, &rh));
	civic_roster_free(r);

	/* The same, read back from the chain. */
	r = load();
	assert_int_equal(civic_roster_count(r), 3);
	m = civic_roster_find(r, civic_key_public(g.ngo));
	assert_non_null(m);
	assert_string_equal(m->name, "Читалище „Пробуда 1903“");
	assert_string_equal(m->municipality, "sapareva-banya");
	assert_string_equal(m->role, "ngo");
	assert_true(m->revoked);
	assert_true(m->has_last_valid);
	assert_true(git_oid_equal(&m->last_valid, &last_valid));
	assert_string_equal(m->reason, "лаптопът е откраднат");
	assert_false(civic_member_is_admin(m));
	m = civic_roster_find(r, civic_key_public(g.outsider));
	assert_string_equal(m->role, "auditor");
	assert_false(m->revoked);
	civic_roster_free(r);

	/* Each commit names the network and its number. */
	assert_git_ok(git_commit_lookup(&c, repo, &h));
	snprintf(expect, sizeof expect, "Civic-Network: %s\nCivic-Roster-Seq: 4\n", net);
	assert_non_null(strstr(git_commit_message(c), expect));
	git_commit_free(c);
}

static void test_roster_revoke_without_last_valid(void **state)
{
	civic_roster *r;
	const civic_member *m;

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.ngo), NULL, "напусна"));
	civic_roster_free(r);
	r = load();
	m = civic_roster_find(r, civic_key_public(g.ngo));
	assert_true(m->revoked);
	assert_false(m->has_last_valid);
	civic_roster_free(r);
}

static void test_roster_add_revoke_refusals(void **state)
{
	civic_roster *r;
	civic_member m;
	git_oid before, after;

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	before = head();
	m = member(g.ngo, "Пак същото", "rila", "ngo");
	assert_civic(CIVIC_EEXISTS, civic_roster_add(r, repo, g.admin, &m));
	assert_civic(CIVIC_ENOTFOUND, civic_roster_revoke(r, repo, g.admin, civic_key_public(g.outsider), NULL, "x"));
	assert_civic(CIVIC_EINVALID, civic_roster_revoke(r, repo, g.admin, civic_key_public(g.ngo), NULL, ""));
	after = head();
	assert_true(git_oid_equal(&before, &after));
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.ngo), NULL, "напусна"));
	before = head();
	assert_civic(CIVIC_EEXISTS, civic_roster_revoke(r, repo, g.admin, civic_key_public(g.ngo), NULL, "пак"));
	after = head();
	assert_true(git_oid_equal(&before, &after));
	civic_roster_free(r);
	assert_civic_ok(load_rc());
}

static void test_roster_add_refuses_non_admin(void **state)
{
	civic_roster *r;
	civic_member m;
	git_oid before, after;

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	before = head();
	m = member(g.second, "Нов член", "rila", "ngo");
	assert_civic(CIVIC_EINVALID, civic_roster_add(r, repo, g.ngo, &m));      /* a member, not admin */
	assert_civic(CIVIC_EINVALID, civic_roster_add(r, repo, g.outsider, &m)); /* not a member */
	assert_civic(CIVIC_EINVALID, civic_roster_revoke(r, repo, g.ngo, civic_key_public(g.admin), NULL, "преврат"));
	after = head();
	assert_true(git_oid_equal(&before, &after));
	assert_int_equal(civic_roster_count(r), 2);
	civic_roster_free(r);
}

static void test_roster_revoked_admin_cannot_sign(void **state)
{
	civic_roster *r;
	civic_member m;

	(void)state;
	create_network();
	r = load();
	add(r, g.second, "Втори център", "dupnitsa", "civic-center");
	assert_civic_ok(civic_roster_revoke(r, repo, g.second, civic_key_public(g.admin), NULL, "ключът изтече"));
	m = member(g.ngo, "Читалище", "rila", "ngo");
	assert_civic(CIVIC_EINVALID, civic_roster_add(r, repo, g.admin, &m));
	assert_civic_ok(civic_roster_add(r, repo, g.second, &m));
	civic_roster_free(r);
	r = load();
	assert_false(civic_member_is_admin(civic_roster_find(r, civic_key_public(g.admin))));
	assert_true(civic_member_is_admin(civic_roster_find(r, civic_key_public(g.second))));
	assert_int_equal(civic_roster_count(r), 3);
	civic_roster_free(r);
}

/* A member the loader would refuse must not be signed into the roster:
 * after such an add the whole network's roster fails to load. */
static void test_roster_add_refuses_invalid_member(void **state)
{
	static const char *const fields[][3] = {
		{ "Читалище", "rila", "mayor" },
		{ "Читалище", "sofia", "ngo" },
		{ "Читалище", "Рила", "ngo" },
		{ "Evil <x@y>", "rila", "ngo" },
		{ "", "rila", "ngo" },
	};
	civic_roster *r;
	civic_member m;
	git_oid before, after;
	size_t i;

	(void)state;
	create_network();
	r = load();
	before = head();
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		m = member(g.ngo, fields[i][0], fields[i][1], fields[i][2]);
		if (civic_roster_add(r, repo, g.admin, &m) != CIVIC_EINVALID) {
			civic_roster_free(r);
			fail_msg("member ('%s', '%s', '%s') was added; the roster now loads as: %d",
				 fields[i][0], fields[i][1], fields[i][2], load_rc());
		}
		after = head();
		assert_true(git_oid_equal(&before, &after));
	}
	civic_roster_free(r);
	assert_civic_ok(load_rc());
}

/* Two writers from the same state: the second loses the compare-and-swap. */
static void test_roster_add_compare_and_swap(void **state)
{
	civic_roster *r1, *r2;
	civic_member m1, m2;

	(void)state;
	create_network();
	r1 = load();
	r2 = load();
	m1 = member(g.ngo, "Първи", "rila", "ngo");
	m2 = member(g.second, "Втори", "boboshevo", "ngo");
	assert_civic_ok(civic_roster_add(r1, repo, g.admin, &m1));
	assert_civic(CIVIC_ECONFLICT, civic_roster_add(r2, repo, g.admin, &m2));
	civic_roster_free(r1);
	civic_roster_free(r2);
	r1 = load();
	assert_int_equal(civic_roster_count(r1), 2);
	assert_non_null(civic_roster_find(r1, civic_key_public(g.ngo)));
	assert_null(civic_roster_find(r1, civic_key_public(g.second)));
	civic_roster_free(r1);
}

/*------------------------------------------------------------------------
 * The loader: a control, then one defect per test
 */

static void test_roster_load_hand_made_control(void **state)
{
	git_oid base, t, id;
	civic_roster *r;

	(void)state;
	create_network();
	base = head_tree();
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	commit_next(&id, g.admin, &t, 2);
	r = load();
	assert_int_equal(civic_roster_count(r), 2);
	civic_roster_free(r);
	base = t;
	put_revocation(&t, &base, g.ngo, g.ngo, NULL, "напусна");
	commit_next(&id, g.admin, &t, 3);
	r = load();
	assert_true(civic_roster_find(r, civic_key_public(g.ngo))->revoked);
	civic_roster_free(r);
}

static void test_roster_load_refuses_non_admin_signer(void **state)
{
	civic_roster *r;
	git_oid base, t, id;

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	civic_roster_free(r);
	base = head_tree();
	put_member(&t, &base, g.outsider, g.outsider, "Приятел", "rila", "ngo");
	commit_next(&id, g.ngo, &t, 3);
	assert_load_refused(CIVIC_EINVALID, "not an admin");
}

static void test_roster_load_refuses_outsider_signer(void **state)
{
	git_oid base, t, id;

	(void)state;
	create_network();
	base = head_tree();
	put_member(&t, &base, g.outsider, g.outsider, "Самозванец", "rila", "civic-center");
	commit_next(&id, g.outsider, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "not an admin");
}

static void test_roster_load_refuses_revoked_admin_signer(void **state)
{
	civic_roster *r;
	git_oid base, t, id;

	(void)state;
	create_network();
	r = load();
	add(r, g.second, "Втори център", "dupnitsa", "civic-center");
	assert_civic_ok(civic_roster_revoke(r, repo, g.second, civic_key_public(g.admin), NULL, "изтече"));
	civic_roster_free(r);
	base = head_tree();
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	commit_next(&id, g.admin, &t, 4);
	assert_load_refused(CIVIC_EINVALID, "not an admin");
}

static void test_roster_load_refuses_unsigned_commit(void **state)
{
	git_oid base, t, id, h;
	char email[128], seq[] = "2";
	char msg[256];
	fx_commit_spec s = { 0 };

	(void)state;
	create_network();
	base = head_tree();
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	fx_email(email, sizeof email, g.admin);
	snprintf(msg, sizeof msg, "roster: unsigned\n\nCivic-Network: %s\nCivic-Roster-Seq: %s\n", net, seq);
	h = head();
	s.author_email = email;
	s.tree = &t;
	s.parents = &h;
	s.nparents = 1;
	s.message = msg;
	fx_commit(&id, repo, &s);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &id);
	/* A signature failure is CIVIC_EBADSIG (roster.h), not masked as malformed input. */
	assert_load_refused(CIVIC_EBADSIG, "not signed");
}

static void test_roster_load_refuses_signer_email_mismatch(void **state)
{
	git_oid base, t, id, h;
	char email[128], msg[256];
	fx_commit_spec s = { 0 };

	(void)state;
	create_network();
	base = head_tree();
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	fx_email(email, sizeof email, g.admin);
	snprintf(msg, sizeof msg, "roster: x\n\nCivic-Network: %s\nCivic-Roster-Seq: 2\n", net);
	h = head();
	s.signer = g.outsider;
	s.author_email = email; /* claims to be the admin */
	s.tree = &t;
	s.parents = &h;
	s.nparents = 1;
	s.message = msg;
	fx_commit(&id, repo, &s);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &id);
	assert_load_refused(CIVIC_EINVALID, "email");
}

static void test_roster_load_refuses_member_file_not_its_key(void **state)
{
	git_oid base, t, id;

	(void)state;
	create_network();
	base = head_tree();
	/* members/<ngo>.json holding the outsider's key. */
	put_member(&t, &base, g.ngo, g.outsider, "Подмяна", "rila", "ngo");
	commit_next(&id, g.admin, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "file name is not the key's");
}

static void test_roster_load_refuses_member_file_bad_name(void **state)
{
	git_oid base, t, id;
	char path[160], hex[CIVIC_PUBKEY_HEX_LEN + 1];

	(void)state;
	create_network();
	base = head_tree();
	civic_pubkey_to_hex(hex, civic_key_public(g.ngo));
	snprintf(path, sizeof path, "members/%s.json.bak", hex);
	put_json(&t, &base, path, member_json(g.ngo, "Читалище", "rila", "ngo"));
	commit_next(&id, g.admin, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "file name is not the key's");
}

/* Same rule for revocations: otherwise a second revocation of one key under
 * another file name re-decides its last valid commit. */
static void test_roster_load_refuses_revocation_file_not_its_key(void **state)
{
	civic_roster *r;
	git_oid base, t, id;

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	add(r, g.second, "Друго", "rila", "ngo");
	civic_roster_free(r);
	base = head_tree();
	/* revocations/<second>.json revoking ngo. */
	put_revocation(&t, &base, g.second, g.ngo, NULL, "грешно име на файл");
	commit_next(&id, g.admin, &t, 4);
	assert_load_refused(CIVIC_EINVALID, "revocations/");
}

static void test_roster_load_refuses_changed_member(void **state)
{
	civic_roster *r;
	git_oid base, t, id;

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	civic_roster_free(r);
	base = head_tree();
	/* Promote the ngo to civic-center, and add someone so the commit adds something. */
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "rila", "civic-center");
	base = t;
	put_member(&t, &base, g.second, g.second, "Друго", "rila", "ngo");
	commit_next(&id, g.admin, &t, 3);
	assert_load_refused(CIVIC_EINVALID, "changes or removes");
}

static void test_roster_load_refuses_removed_member(void **state)
{
	civic_roster *r;
	git_oid base, t, id;
	char path[128];

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	civic_roster_free(r);
	base = head_tree();
	file_path(path, sizeof path, "members", g.ngo);
	fx_tree_remove(&t, repo, &base, path);
	base = t;
	put_member(&t, &base, g.second, g.second, "Друго", "rila", "ngo");
	commit_next(&id, g.admin, &t, 3);
	assert_load_refused(CIVIC_EINVALID, "changes or removes");
}

static void test_roster_load_refuses_changed_network_name(void **state)
{
	git_oid base, t, id;

	(void)state;
	create_network();
	base = head_tree();
	network_file(&t, &base, "Друго име");
	commit_next(&id, g.admin, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "changes or removes");
}

static void test_roster_load_refuses_changed_revocation(void **state)
{
	civic_roster *r;
	git_oid base, t, id, c1;

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	assert_git_ok(git_oid_fromstr(&c1, "1111111111111111111111111111111111111111"));
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.ngo), &c1, "откраднат"));
	civic_roster_free(r);
	base = head_tree();
	/* Move the revocation point later. */
	put_revocation(&t, &base, g.ngo, g.ngo, "2222222222222222222222222222222222222222", "откраднат");
	commit_next(&id, g.admin, &t, 4);
	assert_load_refused(CIVIC_EINVALID, "changes or removes");
}

static void test_roster_load_refuses_removed_revocation(void **state)
{
	civic_roster *r;
	git_oid base, t, id;
	char path[128];

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.ngo), NULL, "откраднат"));
	civic_roster_free(r);
	base = head_tree();
	file_path(path, sizeof path, "revocations", g.ngo);
	fx_tree_remove(&t, repo, &base, path);
	commit_next(&id, g.admin, &t, 4);
	assert_load_refused(CIVIC_EINVALID, "changes or removes");
}

static void test_roster_load_refuses_commit_changing_nothing(void **state)
{
	git_oid t, id;

	(void)state;
	create_network();
	t = head_tree();
	commit_next(&id, g.admin, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "adds nothing to the roster");
}

/* A tree that differs but adds no entry (an empty directory, a file mode
 * changed) is refused as well. */
static void test_roster_load_refuses_commit_adding_no_entry(void **state)
{
	git_treebuilder *tb = NULL;
	git_tree *base_tree = NULL;
	git_oid base, empty, t, id;

	(void)state;
	create_network();
	base = head_tree();
	assert_git_ok(git_tree_lookup(&base_tree, repo, &base));
	assert_git_ok(git_treebuilder_new(&tb, repo, NULL));
	assert_git_ok(git_treebuilder_write(&empty, tb));
	git_treebuilder_free(tb);
	assert_git_ok(git_treebuilder_new(&tb, repo, base_tree));
	assert_git_ok(git_treebuilder_insert(NULL, tb, "revocations", &empty, GIT_FILEMODE_TREE));
	assert_git_ok(git_treebuilder_write(&t, tb));
	git_treebuilder_free(tb);
	commit_next(&id, g.admin, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "adds nothing to the roster");
	/* network.json made executable. */
	assert_git_ok(git_treebuilder_new(&tb, repo, base_tree));
	assert_git_ok(git_treebuilder_insert(NULL, tb, "network.json",
					     git_tree_entry_id(git_tree_entry_byname(base_tree, "network.json")),
					     GIT_FILEMODE_BLOB_EXECUTABLE));
	assert_git_ok(git_treebuilder_write(&t, tb));
	git_treebuilder_free(tb);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &root);
	commit_next(&id, g.admin, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "changes or removes earlier roster entries");
	git_tree_free(base_tree);
}

/* Each commit's new entries are read on their own: a member and its
 * revocation may come in one commit, and the members come out in key
 * order, as a whole tree lists them, however they were added. */
static void test_roster_load_reads_what_each_commit_adds(void **state)
{
	civic_key *keys[40];
	civic_roster *r;
	git_oid base, t, id;
	char name[32];
	size_t i;

	(void)state;
	create_network();
	r = load();
	for (i = 0; i < 40; i++) {
		assert_civic_ok(civic_key_generate(&keys[i]));
		snprintf(name, sizeof name, "Сдружение %zu", i);
		add(r, keys[i], name, "bobov-dol", "ngo");
	}
	civic_roster_free(r);
	base = head_tree();
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	base = t;
	put_revocation(&t, &base, g.ngo, g.ngo, NULL, "грешка");
	commit_next(&id, g.admin, &t, 42);
	r = load();
	assert_int_equal(civic_roster_count(r), 42);
	for (i = 1; i < civic_roster_count(r); i++)
		assert_true(memcmp(civic_roster_get(r, i - 1)->key.bytes, civic_roster_get(r, i)->key.bytes,
				   sizeof civic_roster_get(r, i)->key.bytes) < 0);
	assert_true(civic_roster_find(r, civic_key_public(g.ngo))->revoked);
	assert_string_equal(civic_roster_find(r, civic_key_public(keys[7]))->name, "Сдружение 7");
	assert_false(civic_roster_find(r, civic_key_public(keys[7]))->revoked);
	civic_roster_free(r);
	for (i = 0; i < 40; i++)
		civic_key_free(keys[i]);
}

/* A bad file is refused in the commit that adds it, not only later. */
static void test_roster_load_refuses_bad_file_in_later_commit(void **state)
{
	git_oid base, t, id;

	(void)state;
	create_network();
	base = head_tree();
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "nowhere", "ngo");
	commit_next(&id, g.admin, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "unknown municipality");
}

static void test_roster_load_refuses_wrong_network_trailer(void **state)
{
	git_oid base, t, id, h;

	(void)state;
	create_network();
	base = head_tree();
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	h = head();
	commit_raw(&id, g.admin, &h, &t, "0123456789abcdef0123456789abcdef01234567", "2");
	assert_load_refused(CIVIC_EINVALID, "another network");
	commit_raw(&id, g.admin, &h, &t, NULL, "2");
	assert_load_refused(CIVIC_EINVALID, "Civic-Network");
}

static void test_roster_load_refuses_wrong_seq(void **state)
{
	static const char *const seqs[] = { "3", "1", "02", "0", "-2", "2x" };
	git_oid base, t, id, h;
	size_t i;

	(void)state;
	create_network();
	base = head_tree();
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	h = head();
	for (i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
		commit_raw(&id, g.admin, &h, &t, net, seqs[i]);
		if (load_rc() != CIVIC_EINVALID)
			fail_msg("Civic-Roster-Seq '%s' on the second commit was accepted", seqs[i]);
	}
	commit_raw(&id, g.admin, &h, &t, net, "3");
	assert_load_refused(CIVIC_EINVALID, "Civic-Roster-Seq");
	commit_raw(&id, g.admin, &h, &t, net, NULL);
	assert_load_refused(CIVIC_EINVALID, "Civic-Roster-Seq");
}

/*------------------------------------------------------------------------
 * Settlements: a commit with two parents joins two rosters that part
 */

/* A roster commit with any parents, the right trailers at seq; moves the ref. */
static void merge_raw(git_oid *out, const civic_key *signer, const git_oid *parents, size_t nparents,
		      const git_oid *tree, uint64_t seq)
{
	char msg[256];
	fx_commit_spec s = { 0 };

	snprintf(msg, sizeof msg, "roster: settle by hand\n\nCivic-Network: %s\nCivic-Roster-Seq: %llu\n", net,
		 (unsigned long long)seq);
	s.signer = signer;
	s.tree = tree;
	s.parents = parents;
	s.nparents = nparents;
	s.message = msg;
	fx_commit(out, repo, &s);
	fx_set_ref(repo, CIVIC_ROSTER_REF, out);
}

/* Two admins (admin, second) part after *base: the admin's roster *a
 * admits ngo, the second's *b admits outsider; both commits by hand, so the
 * same member file makes the same blob. The roster ref is left at a. */
static void fork_by_hand(git_oid *base, git_oid *a, git_oid *b)
{
	civic_roster *r;
	git_oid t, bt;

	create_network();
	r = load();
	add(r, g.second, "Втори администратор", "kyustendil", "civic-center");
	civic_roster_free(r);
	*base = head();
	bt = head_tree();
	put_member(&t, &bt, g.outsider, g.outsider, "Кандидат", "kocherinovo", "ngo");
	commit_next(b, g.second, &t, 3);
	fx_set_ref(repo, CIVIC_ROSTER_REF, base);
	put_member(&t, &bt, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	commit_next(a, g.admin, &t, 3);
}

/* a's tree and b's entry: the union. */
static git_oid union_by_hand(const git_oid *a)
{
	git_oid at, t;

	fx_commit_tree(&at, repo, a);
	put_member(&t, &at, g.outsider, g.outsider, "Кандидат", "kocherinovo", "ngo");
	return t;
}

static void test_roster_load_settlement_control(void **state)
{
	git_oid base, a, b, t, id, rh, parents[2];
	civic_roster *r;

	(void)state;
	fork_by_hand(&base, &a, &b);
	t = union_by_hand(&a);
	parents[0] = a;
	parents[1] = b;
	merge_raw(&id, g.admin, parents, 2, &t, 4);
	r = load();
	assert_int_equal(civic_roster_count(r), 4);
	assert_non_null(civic_roster_find(r, civic_key_public(g.ngo)));
	assert_non_null(civic_roster_find(r, civic_key_public(g.outsider)));
	rh = civic_roster_head(r);
	assert_true(git_oid_equal(&rh, &id));
	civic_roster_free(r);
	/* Either order: the second admin's line may stand as well. */
	parents[0] = b;
	parents[1] = a;
	merge_raw(&id, g.second, parents, 2, &t, 4);
	r = load();
	assert_int_equal(civic_roster_count(r), 4);
	civic_roster_free(r);
}

static void test_roster_load_refuses_bad_settlements(void **state)
{
	git_oid base, a, b, at, t, u, id, parents[3];

	(void)state;
	fork_by_hand(&base, &a, &b);
	fx_commit_tree(&at, repo, &a);
	u = union_by_hand(&a);
	parents[0] = a;
	parents[1] = b;
	/* What the second roster admits is left out. */
	merge_raw(&id, g.admin, parents, 2, &at, 4);
	assert_load_refused(CIVIC_EINVALID, "exactly the entries of both rosters");
	/* Its entry, changed on the way. */
	put_member(&t, &at, g.outsider, g.outsider, "Друго име", "kocherinovo", "ngo");
	merge_raw(&id, g.admin, parents, 2, &t, 4);
	assert_load_refused(CIVIC_EINVALID, "exactly the entries of both rosters");
	/* An entry neither side holds, slipped in. */
	put_revocation(&t, &u, g.ngo, g.ngo, NULL, "тайно");
	merge_raw(&id, g.admin, parents, 2, &t, 4);
	assert_load_refused(CIVIC_EINVALID, "exactly the entries of both rosters");
	/* Signed by a member who is no admin. */
	merge_raw(&id, g.ngo, parents, 2, &u, 4);
	assert_load_refused(CIVIC_EINVALID, "not an admin");
	/* A second parent the first holds already: nothing parts. */
	parents[1] = base;
	merge_raw(&id, g.admin, parents, 2, &at, 4);
	assert_load_refused(CIVIC_EINVALID, "two rosters that part");
	/* Three parents. */
	parents[1] = b;
	parents[2] = base;
	merge_raw(&id, g.admin, parents, 3, &u, 4);
	assert_load_refused(CIVIC_EINVALID, "one parent, or two");
	/* The control, last. */
	merge_raw(&id, g.admin, parents, 2, &u, 4);
	assert_int_equal(load_rc(), 0);
}

static void test_roster_load_refuses_settlement_with_foreign_roster(void **state)
{
	git_oid base, t, id, parents[2], other;
	char msg[256];
	fx_commit_spec s = { 0 };

	(void)state;
	create_network();
	base = head_tree();
	put_member(&t, &base, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	/* A second root, by hand, as the second parent. */
	s.signer = g.admin;
	s.tree = &base;
	s.message = "roster: other\n\nCivic-Roster-Seq: 1\n";
	fx_commit(&other, repo, &s);
	parents[0] = root;
	parents[1] = other;
	snprintf(msg, sizeof msg, "roster: merge\n\nCivic-Network: %s\nCivic-Roster-Seq: 2\n", net);
	s.tree = &t;
	s.parents = parents;
	s.nparents = 2;
	s.message = msg;
	fx_commit(&id, repo, &s);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &id);
	assert_load_refused(CIVIC_EINVALID, "settles a fork with a roster that does not verify");
}

/* Two rosters written through the API by two admins; *r is left at a. */
static void fork_by_api(civic_roster **ra, git_oid *a, git_oid *b)
{
	civic_roster *rb;
	civic_member m;
	git_oid base;

	create_network();
	*ra = load();
	add(*ra, g.second, "Втори администратор", "kyustendil", "civic-center");
	add(*ra, g.ngo, "Читалище", "rila", "ngo");
	base = head();
	m = member(g.outsider, "Кандидат", "kocherinovo", "ngo");
	assert_civic_ok(civic_roster_add(*ra, repo, g.admin, &m));
	*a = head();
	fx_set_ref(repo, CIVIC_ROSTER_REF, &base);
	rb = load();
	assert_civic_ok(civic_roster_revoke(rb, repo, g.second, civic_key_public(g.ngo), NULL, "закрита"));
	*b = head();
	civic_roster_free(rb);
	fx_set_ref(repo, CIVIC_ROSTER_REF, a);
}

static void test_roster_settle_joins_both(void **state)
{
	civic_roster *r, *loaded;
	civic_member m;
	git_oid a, b, h, rh;
	git_commit *c = NULL;

	(void)state;
	fork_by_api(&r, &a, &b);
	assert_civic_ok(civic_roster_settle(r, repo, g.admin, &b, NULL, "и двете промени важат"));
	h = head();
	rh = civic_roster_head(r);
	assert_true(git_oid_equal(&h, &rh));
	assert_int_equal(git_commit_lookup(&c, repo, &h), 0);
	assert_int_equal(git_commit_parentcount(c), 2);
	assert_true(git_oid_equal(git_commit_parent_id(c, 0), &a));
	assert_true(git_oid_equal(git_commit_parent_id(c, 1), &b));
	assert_non_null(strstr(git_commit_message(c), "Civic-Roster-Seq: 5\n"));
	git_commit_free(c);
	/* The member one side admitted and the revocation the other signed. */
	loaded = load();
	assert_int_equal(civic_roster_count(loaded), 4);
	assert_non_null(civic_roster_find(loaded, civic_key_public(g.outsider)));
	assert_true(civic_roster_find(loaded, civic_key_public(g.ngo))->revoked);
	assert_true(civic_roster_find(r, civic_key_public(g.ngo))->revoked);
	civic_roster_free(loaded);
	/* The second admin, before it saw that, went on from its own line; it
	 * settles with the first settlement, whose own second roster is on this
	 * line: a settlement within a settlement verifies too. */
	fx_set_ref(repo, CIVIC_ROSTER_REF, &b);
	civic_roster_free(r);
	r = load();
	m = member(g.outsider, "Кандидат", "kocherinovo", "ngo");
	assert_civic_ok(civic_roster_add(r, repo, g.second, &m));
	assert_civic_ok(civic_roster_settle(r, repo, g.second, &h, NULL, "още веднъж"));
	civic_roster_free(r);
	r = load();
	assert_int_equal(civic_roster_count(r), 4);
	assert_true(civic_roster_find(r, civic_key_public(g.ngo))->revoked);
	civic_roster_free(r);
}

/* Keeping the other roster: it goes first, and the ref moves on from the
 * roster this node held. */
static void test_roster_settle_keeping_the_other(void **state)
{
	civic_roster *r, *rb;
	git_oid a, b, h;
	git_commit *c = NULL;

	(void)state;
	fork_by_api(&r, &a, &b);
	civic_roster_free(r);
	assert_civic_ok(civic_roster_load_at(&rb, repo, &b, net));
	/* The ref must be where the caller says it is. */
	assert_int_equal(civic_roster_settle(rb, repo, g.admin, &a, &b, "друго"), CIVIC_ECONFLICT);
	h = head();
	assert_true(git_oid_equal(&h, &a));
	civic_roster_free(rb);
	assert_civic_ok(civic_roster_load_at(&rb, repo, &b, net));
	assert_civic_ok(civic_roster_settle(rb, repo, g.admin, &a, &a, "другият стои"));
	h = head();
	assert_int_equal(git_commit_lookup(&c, repo, &h), 0);
	assert_true(git_oid_equal(git_commit_parent_id(c, 0), &b));
	assert_true(git_oid_equal(git_commit_parent_id(c, 1), &a));
	git_commit_free(c);
	civic_roster_free(rb);
	r = load();
	assert_int_equal(civic_roster_count(r), 4);
	civic_roster_free(r);
}

/* base tree with the entry at `path` of tree `from` (the same blob). */
static void copy_entry(git_oid *out, const git_oid *base, const git_oid *from, const char *path)
{
	git_tree *t = NULL, *bt = NULL;
	git_tree_entry *e = NULL;
	git_tree_update up;

	assert_git_ok(git_tree_lookup(&t, repo, from));
	assert_git_ok(git_tree_entry_bypath(&e, t, path));
	memset(&up, 0, sizeof up);
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.filemode = GIT_FILEMODE_BLOB;
	up.path = path;
	git_oid_cpy(&up.id, git_tree_entry_id(e));
	assert_git_ok(git_tree_lookup(&bt, repo, base));
	assert_git_ok(git_tree_create_updated(out, repo, bt, 1, &up));
	git_tree_entry_free(e);
	git_tree_free(t);
	git_tree_free(bt);
}

/* Both sides admit one key, differently: no settlement joins them, by hand
 * (either side's entry standing) or through the API. */
static void test_roster_settle_refuses_keys_named_differently(void **state)
{
	civic_roster *r, *rb;
	civic_member m;
	git_oid base, a, b, at, bt, t, id, parents[2];

	(void)state;
	create_network();
	r = load();
	add(r, g.second, "Втори администратор", "kyustendil", "civic-center");
	base = head();
	m = member(g.outsider, "Име А", "kocherinovo", "ngo");
	assert_civic_ok(civic_roster_add(r, repo, g.admin, &m));
	a = head();
	fx_set_ref(repo, CIVIC_ROSTER_REF, &base);
	rb = load();
	m = member(g.outsider, "Име Б", "rila", "civic-center");
	assert_civic_ok(civic_roster_add(rb, repo, g.second, &m));
	b = head();
	civic_roster_free(rb);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &a);
	assert_int_equal(civic_roster_settle(r, repo, g.admin, &b, NULL, "А е вярното"), CIVIC_EINVALID);
	assert_non_null(strstr(civic_error_last()->message, "differently"));
	t = head();
	assert_true(git_oid_equal(&t, &a));
	civic_roster_free(r);
	/* By hand: either side's tree, with the other's entries that do not clash. */
	fx_commit_tree(&at, repo, &a);
	fx_commit_tree(&bt, repo, &b);
	parents[0] = a;
	parents[1] = b;
	merge_raw(&id, g.admin, parents, 2, &at, 4);
	assert_load_refused(CIVIC_EINVALID, "name each key alike");
	parents[0] = b;
	parents[1] = a;
	merge_raw(&id, g.second, parents, 2, &bt, 4);
	assert_load_refused(CIVIC_EINVALID, "name each key alike");
}

/* An admin revoked on one side signs a roster of its own from before its
 * revocation: a puppet admin, the honest admin revoked. No settlement may
 * take that in, whoever signs it, through the API or by hand. */
static void test_roster_settle_refuses_revoked_admins_roster(void **state)
{
	civic_roster *r, *rb;
	civic_member m;
	git_oid base, a, b, h, bt, ut, id, parents[2];

	(void)state;
	create_network();
	r = load();
	add(r, g.second, "Втори администратор", "kyustendil", "civic-center");
	base = head();
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.second), NULL, "злоупотреба"));
	a = head();
	civic_roster_free(r);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &base);
	rb = load();
	m = member(g.outsider, "Марионетка", "rila", "civic-center");
	assert_civic_ok(civic_roster_add(rb, repo, g.second, &m));
	assert_civic_ok(civic_roster_revoke(rb, repo, g.second, civic_key_public(g.admin), NULL, "преврат"));
	b = head();
	/* The puppet settles, taking the honest roster in. */
	assert_int_equal(civic_roster_settle(rb, repo, g.outsider, &a, NULL, "всичко е наред"), CIVIC_EINVALID);
	assert_non_null(strstr(civic_error_last()->message, "revokes a key that signed the other"));
	h = head();
	assert_true(git_oid_equal(&h, &b));
	civic_roster_free(rb);
	/* By hand, the union signed by the puppet: a node holding the honest
	 * roster must not take it. */
	{
		char path[128];
		git_oid at;
		fx_commit_tree(&bt, repo, &b);
		fx_commit_tree(&at, repo, &a);
		file_path(path, sizeof path, "revocations", g.second);
		copy_entry(&ut, &bt, &at, path);
	}
	parents[0] = b;
	parents[1] = a;
	merge_raw(&id, g.outsider, parents, 2, &ut, 5);
	assert_load_refused(CIVIC_EINVALID, "signed by a key the other roster revokes");
}

/* The same, where the puppet first copies the honest side's revocation of
 * the revoked admin into its own roster, so that both sides revoke it. */
static void test_roster_load_refuses_revocation_copied_by_puppet(void **state)
{
	civic_roster *r, *rb;
	civic_member m;
	char path[128];
	git_oid base, a, b, at, bt, t, id, parents[2];

	(void)state;
	create_network();
	r = load();
	add(r, g.second, "Втори администратор", "kyustendil", "civic-center");
	base = head();
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.second), NULL, "злоупотреба"));
	a = head();
	civic_roster_free(r);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &base);
	rb = load();
	m = member(g.outsider, "Марионетка", "rila", "civic-center");
	assert_civic_ok(civic_roster_add(rb, repo, g.second, &m));
	civic_roster_free(rb);
	fx_commit_tree(&at, repo, &a);
	bt = head_tree();
	file_path(path, sizeof path, "revocations", g.second);
	copy_entry(&t, &bt, &at, path);
	commit_next(&b, g.outsider, &t, 4);
	assert_int_equal(load_rc(), 0);
	/* b's tree holds all of a's now: the union is b's. */
	parents[0] = b;
	parents[1] = a;
	merge_raw(&id, g.outsider, parents, 2, &t, 5);
	assert_load_refused(CIVIC_EINVALID, "signed by a key the other roster revokes");
	/* Nor does the API write it. */
	fx_set_ref(repo, CIVIC_ROSTER_REF, &b);
	rb = load();
	assert_int_equal(civic_roster_settle(rb, repo, g.outsider, &a, NULL, "наред"), CIVIC_EINVALID);
	assert_non_null(strstr(civic_error_last()->message, "revokes a key that signed the other"));
	civic_roster_free(rb);
}

/* The settlement's signer is an admin before it, but the other side revokes
 * it: it must still be one after. */
static void test_roster_load_refuses_settler_revoked_by_other_side(void **state)
{
	civic_roster *r, *rb;
	civic_member m;
	git_oid base, a, b, at, bt, t, id, parents[2];

	(void)state;
	create_network();
	r = load();
	add(r, g.second, "Втори администратор", "kyustendil", "civic-center");
	add(r, g.ngo, "Трети администратор", "rila", "civic-center");
	base = head();
	/* Side a: the third admin admits outsider. Side b: second revokes admin. */
	m = member(g.outsider, "Кандидат", "kocherinovo", "ngo");
	assert_civic_ok(civic_roster_add(r, repo, g.ngo, &m));
	a = head();
	civic_roster_free(r);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &base);
	rb = load();
	assert_civic_ok(civic_roster_revoke(rb, repo, g.second, civic_key_public(g.admin), NULL, "напусна"));
	b = head();
	civic_roster_free(rb);
	/* The union, signed by admin on top of a. */
	{
		char path[128];
		fx_commit_tree(&at, repo, &a);
		fx_commit_tree(&bt, repo, &b);
		file_path(path, sizeof path, "revocations", g.admin);
		copy_entry(&t, &at, &bt, path);
	}
	parents[0] = a;
	parents[1] = b;
	merge_raw(&id, g.admin, parents, 2, &t, 5);
	assert_load_refused(CIVIC_EINVALID, "must still be an admin");
	/* Signed by the third admin instead, it stands. */
	merge_raw(&id, g.ngo, parents, 2, &t, 5);
	assert_int_equal(load_rc(), 0);
}

/* At most 100 settlements in one roster. */
static void test_roster_load_refuses_too_many_settlements(void **state)
{
	git_oid h, ht, tb, ta, tu, a, b, m, parents[2];
	uint64_t seq = 1;
	int i;

	(void)state;
	create_network();
	for (i = 0; i < 101; i++) {
		civic_key *ka, *kb;
		assert_civic_ok(civic_key_generate(&ka));
		assert_civic_ok(civic_key_generate(&kb));
		h = head();
		ht = head_tree();
		put_member(&tb, &ht, kb, kb, "Член Б", "rila", "ngo");
		commit_next(&b, g.admin, &tb, seq + 1);
		fx_set_ref(repo, CIVIC_ROSTER_REF, &h);
		put_member(&ta, &ht, ka, ka, "Член А", "rila", "ngo");
		commit_next(&a, g.admin, &ta, seq + 1);
		put_member(&tu, &ta, kb, kb, "Член Б", "rila", "ngo");
		parents[0] = a;
		parents[1] = b;
		merge_raw(&m, g.admin, parents, 2, &tu, seq + 2);
		seq += 2;
		civic_key_free(ka);
		civic_key_free(kb);
		if (i == 99)
			assert_int_equal(load_rc(), 0);
	}
	assert_load_refused(CIVIC_EINVALID, "more settlements than civic verifies");
}

static void test_roster_settle_refusals(void **state)
{
	civic_roster *r, *rb;
	git_oid a, b, before, h;

	(void)state;
	fork_by_api(&r, &a, &b);
	/* Nothing parts: the roster itself, or one it holds. */
	assert_int_equal(civic_roster_settle(r, repo, g.admin, &a, NULL, "нищо"), CIVIC_EINVALID);
	assert_non_null(strstr(civic_error_last()->message, "does not part"));
	assert_int_equal(civic_roster_settle(r, repo, g.admin, &root, NULL, "нищо"), CIVIC_EINVALID);
	/* Only an admin settles. */
	assert_int_equal(civic_roster_settle(r, repo, g.outsider, &b, NULL, "аз"), CIVIC_EINVALID);
	assert_non_null(strstr(civic_error_last()->message, "not an admin"));
	/* A reason that is not one clean line. */
	assert_true(civic_roster_settle(r, repo, g.admin, &b, NULL, "ред\nCivic-Roster-Seq: 9") < 0);
	h = head();
	assert_true(git_oid_equal(&h, &a));
	civic_roster_free(r);

	/* Two admins who revoke each other, one on each side: neither side may be
	 * taken in (and no admin would be left). */
	teardown(state);
	setup(state);
	create_network();
	r = load();
	add(r, g.second, "Втори администратор", "kyustendil", "civic-center");
	before = head();
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.second), NULL, "спор"));
	a = head();
	fx_set_ref(repo, CIVIC_ROSTER_REF, &before);
	rb = load();
	assert_civic_ok(civic_roster_revoke(rb, repo, g.second, civic_key_public(g.admin), NULL, "спор"));
	b = head();
	civic_roster_free(rb);
	fx_set_ref(repo, CIVIC_ROSTER_REF, &a);
	assert_int_equal(civic_roster_settle(r, repo, g.admin, &b, NULL, "спорът"), CIVIC_EINVALID);
	assert_non_null(strstr(civic_error_last()->message, "revokes a key that signed the other"));
	h = head();
	assert_true(git_oid_equal(&h, &a));
	civic_roster_free(r);
}

static void test_roster_load_refuses_first_commit_two_members(void **state)
{
	git_oid t1, t2, t3;

	(void)state;
	network_file(&t1, NULL, NETWORK_NAME);
	put_member(&t2, &t1, g.admin, g.admin, CENTER_NAME, "kyustendil", "civic-center");
	put_member(&t3, &t2, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	root_by_hand(g.admin, &t3, "1");
	assert_load_refused(CIVIC_EINVALID, "first commit");
	/* The control: the same root with only its signer loads. */
	root_by_hand(g.admin, &t2, "1");
	assert_civic_ok(load_rc());
}

static void test_roster_load_refuses_first_commit_not_civic_center(void **state)
{
	git_oid t1, t2;

	(void)state;
	network_file(&t1, NULL, NETWORK_NAME);
	put_member(&t2, &t1, g.admin, g.admin, CENTER_NAME, "kyustendil", "ngo");
	root_by_hand(g.admin, &t2, "1");
	assert_load_refused(CIVIC_EINVALID, "first commit");
	put_member(&t2, &t1, g.admin, g.admin, CENTER_NAME, "kyustendil", "auditor");
	root_by_hand(g.admin, &t2, "1");
	assert_load_refused(CIVIC_EINVALID, "first commit");
}

static void test_roster_load_refuses_first_commit_other_signer(void **state)
{
	git_oid t1, t2;

	(void)state;
	network_file(&t1, NULL, NETWORK_NAME);
	put_member(&t2, &t1, g.admin, g.admin, CENTER_NAME, "kyustendil", "civic-center");
	root_by_hand(g.outsider, &t2, "1"); /* lists the admin, signed by someone else */
	assert_load_refused(CIVIC_EINVALID, "first commit");
}

static void test_roster_load_refuses_first_commit_without_members(void **state)
{
	git_oid t1;

	(void)state;
	network_file(&t1, NULL, NETWORK_NAME);
	root_by_hand(g.admin, &t1, "1");
	assert_load_refused(CIVIC_EINVALID, "first commit");
}

static void test_roster_load_refuses_first_commit_bad_seq(void **state)
{
	git_oid t1, t2;

	(void)state;
	network_file(&t1, NULL, NETWORK_NAME);
	put_member(&t2, &t1, g.admin, g.admin, CENTER_NAME, "kyustendil", "civic-center");
	root_by_hand(g.admin, &t2, NULL);
	assert_load_refused(CIVIC_EINVALID, "Civic-Roster-Seq");
	root_by_hand(g.admin, &t2, "2");
	assert_load_refused(CIVIC_EINVALID, "Civic-Roster-Seq");
}

static void test_roster_load_refuses_bad_network_file(void **state)
{
	git_oid t1, t2;

	(void)state;
	/* No network.json. */
	put_member(&t2, NULL, g.admin, g.admin, CENTER_NAME, "kyustendil", "civic-center");
	root_by_hand(g.admin, &t2, "1");
	assert_load_refused(CIVIC_EINVALID, "network.json");
	/* Unknown format. */
	put_json(&t1, NULL, "network.json", json_pack("{s:s, s:s}", "format", "civic-roster-9", "name", "x"));
	put_member(&t2, &t1, g.admin, g.admin, CENTER_NAME, "kyustendil", "civic-center");
	root_by_hand(g.admin, &t2, "1");
	assert_load_refused(CIVIC_EINVALID, "network.json");
	/* An extra field. */
	put_json(&t1, NULL, "network.json",
		 json_pack("{s:s, s:s, s:s}", "format", "civic-roster-1", "name", "x", "owner", "me"));
	put_member(&t2, &t1, g.admin, g.admin, CENTER_NAME, "kyustendil", "civic-center");
	root_by_hand(g.admin, &t2, "1");
	assert_load_refused(CIVIC_EINVALID, "network.json");
}

static void test_roster_load_refuses_bad_member_fields(void **state)
{
	static const char *const fields[][3] = {
		{ "Читалище", "sofia", "ngo" },
		{ "Читалище", "Рила", "ngo" },
		{ "Читалище", "rila", "mayor" },
		{ "Evil <x@y>", "rila", "ngo" },
		{ "", "rila", "ngo" },
	};
	git_oid base, t, id, h;
	size_t i;

	(void)state;
	create_network();
	base = head_tree();
	h = head();
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		put_member(&t, &base, g.ngo, g.ngo, fields[i][0], fields[i][1], fields[i][2]);
		commit_raw(&id, g.admin, &h, &t, net, "2");
		if (load_rc() != CIVIC_EINVALID)
			fail_msg("member ('%s', '%s', '%s') was accepted", fields[i][0], fields[i][1], fields[i][2]);
	}
}

static void test_roster_load_refuses_malformed_member_json(void **state)
{
	char path[128], *line = openssh(g.ngo);
	git_oid base, t, id, h;
	json_t *extra;

	(void)state;
	create_network();
	base = head_tree();
	h = head();
	file_path(path, sizeof path, "members", g.ngo);
	/* Extra field. */
	extra = member_json(g.ngo, "Читалище", "rila", "ngo");
	json_object_set_new(extra, "admin", json_true());
	put_json(&t, &base, path, extra);
	commit_raw(&id, g.admin, &h, &t, net, "2");
	assert_load_refused(CIVIC_EINVALID, path);
	/* Missing field. */
	put_json(&t, &base, path, json_pack("{s:s, s:s, s:s}", "key", line, "name", "x", "role", "ngo"));
	commit_raw(&id, g.admin, &h, &t, net, "2");
	assert_load_refused(CIVIC_EINVALID, path);
	/* Not JSON; duplicate keys. */
	fx_tree_put(&t, repo, &base, path, "{", 1, GIT_FILEMODE_BLOB);
	commit_raw(&id, g.admin, &h, &t, net, "2");
	assert_load_refused(CIVIC_EINVALID, path);
	fx_tree_put(&t, repo, &base, path, "{\"role\":\"ngo\",\"role\":\"ngo\"}", 27, GIT_FILEMODE_BLOB);
	commit_raw(&id, g.admin, &h, &t, net, "2");
	assert_load_refused(CIVIC_EINVALID, path);
	/* Bad key. */
	put_json(&t, &base, path, json_pack("{s:s, s:s, s:s, s:s}", "key", "ssh-ed25519 AAAA", "name", "x",
					    "municipality", "rila", "role", "ngo"));
	commit_raw(&id, g.admin, &h, &t, net, "2");
	assert_load_refused(CIVIC_EINVALID, "bad key");
	free(line);
}

static void test_roster_load_refuses_member_file_not_plain(void **state)
{
	char path[128], *text;
	git_oid base, t, id;
	json_t *j;

	(void)state;
	create_network();
	base = head_tree();
	file_path(path, sizeof path, "members", g.ngo);
	j = member_json(g.ngo, "Читалище", "rila", "ngo");
	text = json_dumps(j, 0);
	fx_tree_put(&t, repo, &base, path, text, strlen(text), GIT_FILEMODE_BLOB_EXECUTABLE);
	commit_next(&id, g.admin, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "not a plain file");
	free(text);
	json_decref(j);
}

static void test_roster_load_refuses_oversized_file(void **state)
{
	char path[128];
	git_oid base, t, id;
	civic_buf b = CIVIC_BUF_INIT;
	size_t i;

	(void)state;
	create_network();
	base = head_tree();
	file_path(path, sizeof path, "members", g.ngo);
	assert_civic_ok(civic_buf_putc(&b, '{'));
	for (i = 0; i < 17000; i++)
		assert_civic_ok(civic_buf_putc(&b, ' '));
	assert_civic_ok(civic_buf_putc(&b, '}'));
	fx_tree_put(&t, repo, &base, path, b.ptr, b.size, GIT_FILEMODE_BLOB);
	commit_next(&id, g.admin, &t, 2);
	assert_load_refused(CIVIC_EINVALID, "too large");
	civic_buf_dispose(&b);
}

static void test_roster_load_refuses_bad_revocations(void **state)
{
	git_oid base, t, id, h;

	(void)state;
	create_network();
	base = head_tree();
	h = head();
	/* Revoking a key that is not a member. */
	put_revocation(&t, &base, g.ngo, g.ngo, NULL, "кой?");
	commit_raw(&id, g.admin, &h, &t, net, "2");
	assert_load_refused(CIVIC_EINVALID, "not a member");
	/* A last_valid that is not a commit id. */
	put_member(&base, &base, g.ngo, g.ngo, "Читалище", "rila", "ngo");
	put_revocation(&t, &base, g.ngo, g.ngo, "yesterday", "откраднат");
	commit_raw(&id, g.admin, &h, &t, net, "2");
	assert_load_refused(CIVIC_EINVALID, "last_valid");
	put_revocation(&t, &base, g.ngo, g.ngo, "1111111111111111111111111111111111111111 ", "откраднат");
	commit_raw(&id, g.admin, &h, &t, net, "2");
	assert_load_refused(CIVIC_EINVALID, "last_valid");
	/* The control: a good revocation in the same commit as the member. */
	put_revocation(&t, &base, g.ngo, g.ngo, "1111111111111111111111111111111111111111", "откраднат");
	commit_raw(&id, g.admin, &h, &t, net, "2");
	assert_civic_ok(load_rc());
}

/* The tree holds network.json, members/ and revocations/ and nothing else. */
/* A tree may list one name twice (libgit2 accepts such objects); lookups by
 * name and walks would then disagree on a revocation. Refused. */
static void test_roster_load_refuses_repeated_entry_names(void **state)
{
	civic_roster *r;
	git_oid base, sub, t, id, blob_a, blob_b;
	char hex[CIVIC_PUBKEY_HEX_LEN + 1], name[CIVIC_PUBKEY_HEX_LEN + 8];
	unsigned char raw[3 * (7 + sizeof name + GIT_OID_RAWSZ)];
	size_t len = 0, i;
	git_odb *odb;

	(void)state;
	create_network();
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.ngo), NULL, "напусна"));
	civic_roster_free(r);
	civic_pubkey_to_hex(hex, civic_key_public(g.ngo));
	snprintf(name, sizeof name, "%s.json", hex);
	fx_blob(&blob_a, repo, "{}", 2);
	assert_git_ok(git_blob_create_from_buffer(&blob_b, repo, "[]", 2));
	for (i = 0; i < 3; i++) {
		const git_oid *b = i == 1 ? &blob_b : &blob_a;
		memcpy(raw + len, "100644 ", 7);
		len += 7;
		memcpy(raw + len, name, strlen(name) + 1);
		len += strlen(name) + 1;
		memcpy(raw + len, b->id, GIT_OID_RAWSZ);
		len += GIT_OID_RAWSZ;
	}
	assert_git_ok(git_repository_odb(&odb, repo));
	assert_git_ok(git_odb_write(&sub, odb, raw, len, GIT_OBJECT_TREE));
	git_odb_free(odb);
	base = head_tree();
	fx_tree_put_tree(&t, repo, &base, "revocations", &sub);
	commit_next(&id, g.admin, &t, 4);
	assert_load_refused(CIVIC_EINVALID, "repeated or out of order");
}

static void test_roster_load_refuses_unexpected_entries(void **state)
{
	civic_roster *r;
	git_oid base, t, id, h;

	(void)state;
	create_network();
	/* Next to network.json and members/ only. */
	base = head_tree();
	h = head();
	fx_tree_put(&t, repo, &base, "README", "hello", 5, GIT_FILEMODE_BLOB);
	commit_raw(&id, g.admin, &h, &t, net, "2");
	if (load_rc() != CIVIC_EINVALID)
		fail_msg("a roster commit adding 'README' next to network.json and members/ was accepted");
	/* Next to all three. */
	fx_set_ref(repo, CIVIC_ROSTER_REF, &h);
	r = load();
	add(r, g.ngo, "Читалище", "rila", "ngo");
	assert_civic_ok(civic_roster_revoke(r, repo, g.admin, civic_key_public(g.ngo), NULL, "напусна"));
	civic_roster_free(r);
	base = head_tree();
	fx_tree_put(&t, repo, &base, "README", "hello", 5, GIT_FILEMODE_BLOB);
	commit_next(&id, g.admin, &t, 4);
	assert_load_refused(CIVIC_EINVALID, "unexpected entries");
}

static void test_roster_load_refuses_members_not_a_directory(void **state)
{
	git_oid t1, t2;

	(void)state;
	network_file(&t1, NULL, NETWORK_NAME);
	fx_tree_put(&t2, repo, &t1, "members", "x", 1, GIT_FILEMODE_BLOB);
	root_by_hand(g.admin, &t2, "1");
	assert_load_refused(CIVIC_EINVALID, "not a directory");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_network_id_valid),
		T(test_roster_create_sets_network_id),
		T(test_roster_create_twice_refused),
		T(test_roster_create_refuses_bad_names),
		T(test_roster_create_refuses_unknown_municipality),
		T(test_roster_create_with_bulgarian_name_loads),
		T(test_roster_load_without_roster),
		T(test_roster_load_refuses_other_network_id),
		T(test_roster_load_refuses_chain_with_other_root),
		T(test_roster_add_and_revoke),
		T(test_roster_revoke_without_last_valid),
		T(test_roster_add_revoke_refusals),
		T(test_roster_add_refuses_non_admin),
		T(test_roster_revoked_admin_cannot_sign),
		T(test_roster_add_refuses_invalid_member),
		T(test_roster_add_compare_and_swap),
		T(test_roster_load_hand_made_control),
		T(test_roster_load_refuses_non_admin_signer),
		T(test_roster_load_refuses_outsider_signer),
		T(test_roster_load_refuses_revoked_admin_signer),
		T(test_roster_load_refuses_unsigned_commit),
		T(test_roster_load_refuses_signer_email_mismatch),
		T(test_roster_load_refuses_member_file_not_its_key),
		T(test_roster_load_refuses_member_file_bad_name),
		T(test_roster_load_refuses_revocation_file_not_its_key),
		T(test_roster_load_refuses_changed_member),
		T(test_roster_load_refuses_removed_member),
		T(test_roster_load_refuses_changed_network_name),
		T(test_roster_load_refuses_changed_revocation),
		T(test_roster_load_refuses_removed_revocation),
		T(test_roster_load_refuses_commit_changing_nothing),
		T(test_roster_load_refuses_commit_adding_no_entry),
		T(test_roster_load_reads_what_each_commit_adds),
		T(test_roster_load_refuses_bad_file_in_later_commit),
		T(test_roster_load_refuses_wrong_network_trailer),
		T(test_roster_load_refuses_wrong_seq),
		T(test_roster_load_settlement_control),
		T(test_roster_load_refuses_bad_settlements),
		T(test_roster_load_refuses_settlement_with_foreign_roster),
		T(test_roster_settle_joins_both),
		T(test_roster_settle_keeping_the_other),
		T(test_roster_settle_refuses_keys_named_differently),
		T(test_roster_settle_refuses_revoked_admins_roster),
		T(test_roster_load_refuses_revocation_copied_by_puppet),
		T(test_roster_load_refuses_settler_revoked_by_other_side),
		T(test_roster_load_refuses_too_many_settlements),
		T(test_roster_settle_refusals),
		T(test_roster_load_refuses_first_commit_two_members),
		T(test_roster_load_refuses_first_commit_not_civic_center),
		T(test_roster_load_refuses_first_commit_other_signer),
		T(test_roster_load_refuses_first_commit_without_members),
		T(test_roster_load_refuses_first_commit_bad_seq),
		T(test_roster_load_refuses_bad_network_file),
		T(test_roster_load_refuses_bad_member_fields),
		T(test_roster_load_refuses_malformed_member_json),
		T(test_roster_load_refuses_member_file_not_plain),
		T(test_roster_load_refuses_oversized_file),
		T(test_roster_load_refuses_bad_revocations),
		T(test_roster_load_refuses_unexpected_entries),
		T(test_roster_load_refuses_repeated_entry_names),
		T(test_roster_load_refuses_members_not_a_directory),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
