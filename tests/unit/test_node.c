/* test_node.c - the node home: create, open, lock, config, key (src/node.h). */
#include "helpers.h"
#include "fixtures.h"

#include "fsutil.h"
#include "node.h"

#define PASS "тайна фраза"
#define NETWORK_A "0123456789abcdef0123456789abcdef01234567"
#define NETWORK_B "89abcdef0123456789abcdef0123456789abcdef"

static struct {
	char *dir;
	civic_key *key, *other;
} g;

static char home[4200]; /* a fresh, not yet existing home per test */

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	assert_civic_ok(civic_key_generate(&g.key));
	assert_civic_ok(civic_key_generate(&g.other));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	civic_key_free(g.key);
	civic_key_free(g.other);
	test_tmpdir_remove(g.dir);
	fx_global_shutdown();
	return 0;
}

static int setup(void **state)
{
	static int n;
	char name[32];

	(void)state;
	snprintf(name, sizeof name, "home%d", ++n);
	fx_path(home, sizeof home, g.dir, name);
	return 0;
}

static civic_node_init_options opts(const char *name, const char *municipality, const char *role)
{
	civic_node_init_options o = CIVIC_NODE_INIT_OPTIONS_INIT;

	o.name = name;
	o.municipality = municipality;
	o.role = role;
	return o;
}

static void create_default(void)
{
	civic_node_init_options o = opts("Читалище „Пробуда“", "sapareva-banya", "ngo");

	assert_civic_ok(civic_node_create(home, &o, g.key, NULL, 0));
}

static civic_node *open_node(unsigned int flags)
{
	civic_node *node = NULL;

	assert_civic_ok(civic_node_open(&node, home, flags));
	assert_non_null(node);
	return node;
}

static void sub_path(char *out, size_t size, const char *name)
{
	fx_path(out, size, home, name);
}

/* Loads <home>/config, lets edit() change it, writes it back (0600). */
static void tamper_config(void (*edit)(json_t *config))
{
	char path[4300];
	char *text;
	size_t len;
	json_t *config;

	sub_path(path, sizeof path, "config");
	text = fx_read_file(path, &len);
	config = json_loadb(text, len, 0, NULL);
	assert_non_null(config);
	free(text);
	edit(config);
	text = json_dumps(config, JSON_INDENT(2));
	assert_non_null(text);
	fx_write_text(path, text);
	assert_int_equal(chmod(path, 0600), 0);
	free(text);
	json_decref(config);
}

static void write_config_text(const char *text)
{
	char path[4300];

	sub_path(path, sizeof path, "config");
	fx_write_text(path, text);
	assert_int_equal(chmod(path, 0600), 0);
}

static int open_rc(void)
{
	civic_node *node = NULL;
	int rc;

	civic_error_clear();
	rc = civic_node_open(&node, home, CIVIC_NODE_READ);
	if (rc < 0)
		assert_null(node);
	civic_node_free(node);
	return rc;
}

/*------------------------------------------------------------------------
 * Create and open
 */

static void test_node_create_then_open(void **state)
{
	civic_node *node;
	civic_buf expect = CIVIC_BUF_INIT;
	char path[4300];

	(void)state;
	create_default();
	node = open_node(CIVIC_NODE_READ);
	assert_string_equal(civic_node_path(node), home);
	assert_string_equal(civic_node_name(node), "Читалище „Пробуда“");
	assert_string_equal(civic_node_municipality(node), "sapareva-banya");
	assert_string_equal(civic_node_role(node), "ngo");
	assert_true(civic_pubkey_equal(civic_node_public_key(node), civic_key_public(g.key)));
	assert_null(civic_node_network(node));
	assert_civic_ok(civic_buf_printf(&expect, "%s/attachments", home));
	assert_string_equal(civic_node_attachments_dir(node), expect.ptr);
	assert_non_null(civic_node_repository(node));
	assert_true(git_repository_is_bare(civic_node_repository(node)));
	assert_int_equal(civic_node_key_is_encrypted(node), 0);
	civic_node_free(node);
	civic_buf_dispose(&expect);

	/* The layout of DESIGN.md section 3. */
	sub_path(path, sizeof path, "config");
	assert_true(S_ISREG(fx_mode(path)));
	assert_int_equal(fx_mode(path) & 0777, 0600);
	sub_path(path, sizeof path, "keys");
	assert_true(S_ISDIR(fx_mode(path)));
	assert_int_equal(fx_mode(path) & 0777, 0700);
	sub_path(path, sizeof path, "keys/secret_key");
	assert_int_equal(fx_mode(path) & 0777, 0600);
	sub_path(path, sizeof path, "attachments");
	assert_true(S_ISDIR(fx_mode(path)));
	sub_path(path, sizeof path, "archive.git/HEAD");
	assert_true(S_ISREG(fx_mode(path)));
	assert_int_equal(fx_count_entries(home, ".tmp-"), 0);
}

static void test_node_repository_keeps_reflogs(void **state)
{
	civic_node *node;
	git_config *cfg = NULL;
	git_buf value = GIT_BUF_INIT;

	(void)state;
	create_default();
	node = open_node(CIVIC_NODE_READ);
	assert_git_ok(git_repository_config(&cfg, civic_node_repository(node)));
	assert_git_ok(git_config_get_string_buf(&value, cfg, "core.logAllRefUpdates"));
	assert_string_equal(value.ptr, "always");
	git_buf_dispose(&value);
	git_config_free(cfg);
	civic_node_free(node);
}

static void test_node_create_twice_refused(void **state)
{
	civic_node_init_options o = opts("Друга", "rila", "ngo");
	civic_node *node;

	(void)state;
	create_default();
	assert_civic(CIVIC_EEXISTS, civic_node_create(home, &o, g.other, NULL, 0));
	/* The first node is untouched. */
	node = open_node(CIVIC_NODE_READ);
	assert_string_equal(civic_node_municipality(node), "sapareva-banya");
	assert_true(civic_pubkey_equal(civic_node_public_key(node), civic_key_public(g.key)));
	civic_node_free(node);
}

static void test_node_unfinished_home_refused(void **state)
{
	civic_node_init_options o = opts("Нова", "rila", "ngo");
	char path[4300];

	(void)state;
	/* A crash after the repository was made but before the config. */
	assert_int_equal(mkdir(home, 0700), 0);
	sub_path(path, sizeof path, "archive.git");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_civic(CIVIC_EEXISTS, civic_node_create(home, &o, g.key, NULL, 0));
	assert_non_null(strstr(civic_error_last()->message, "unfinished"));
	assert_civic(CIVIC_ENOTFOUND, open_rc());
}

static void test_node_open_missing(void **state)
{
	(void)state;
	assert_civic(CIVIC_ENOTFOUND, open_rc());
	assert_int_equal(mkdir(home, 0700), 0);
	assert_civic(CIVIC_ENOTFOUND, open_rc());
}

static void test_node_create_refuses_bad_options(void **state)
{
	civic_node_init_options o;

	(void)state;
	o = opts("Читалище", "sofia", "ngo");
	assert_civic(CIVIC_EINVALID, civic_node_create(home, &o, g.key, NULL, 0));
	o = opts("Читалище", "rila", "mayor");
	assert_civic(CIVIC_EINVALID, civic_node_create(home, &o, g.key, NULL, 0));
	o = opts("", "rila", "ngo");
	assert_civic(CIVIC_EINVALID, civic_node_create(home, &o, g.key, NULL, 0));
	o = opts("Evil <evil@x>", "rila", "ngo");
	assert_civic(CIVIC_EINVALID, civic_node_create(home, &o, g.key, NULL, 0));
	o = opts("Two\nlines", "rila", "ngo");
	assert_civic(CIVIC_EINVALID, civic_node_create(home, &o, g.key, NULL, 0));
	o = opts("\xff\xfe", "rila", "ngo");
	assert_civic(CIVIC_EINVALID, civic_node_create(home, &o, g.key, NULL, 0));
	o = opts(NULL, "rila", "ngo");
	assert_civic(CIVIC_EINVALID, civic_node_create(home, &o, g.key, NULL, 0));
	o = opts("Читалище", "rila", "ngo");
	o.version = 99;
	assert_civic(CIVIC_EINVALID, civic_node_create(home, &o, g.key, NULL, 0));
	/* Nothing was written. */
	assert_false(civic_fs_exists(home));
}

static void test_node_create_roles(void **state)
{
	static const char *const roles[] = { "ngo", "civic-center", "auditor" };
	civic_node *node;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		civic_node_init_options o = opts("Гражданският център", "kyustendil", roles[i]);
		setup(NULL);
		assert_civic_ok(civic_node_create(home, &o, g.key, NULL, 0));
		node = open_node(CIVIC_NODE_READ);
		assert_string_equal(civic_node_role(node), roles[i]);
		civic_node_free(node);
	}
	assert_true(civic_role_valid("ngo"));
	assert_false(civic_role_valid("admin"));
	assert_false(civic_role_valid(""));
	assert_false(civic_role_valid(NULL));
}

/* The config holds a slug (node.h); a Bulgarian name given to create must
 * end up as the slug, or be refused, not stored as typed. */
static void test_node_create_stores_municipality_slug(void **state)
{
	civic_node_init_options o = opts("Читалище", "Рила", "ngo");
	civic_node *node;
	char stored[64];
	int rc;

	(void)state;

	rc = civic_node_create(home, &o, g.key, NULL, 0);
	if (rc == CIVIC_EINVALID)
		return;
	assert_civic_ok(rc);
	node = open_node(CIVIC_NODE_READ);
	snprintf(stored, sizeof stored, "%s", civic_node_municipality(node));
	civic_node_free(node);
	assert_string_equal(stored, "rila");
}

/*------------------------------------------------------------------------
 * Lock
 */

static void test_node_write_lock_excludes_second_writer(void **state)
{
	civic_node *a, *b = NULL, *reader;

	(void)state;
	create_default();
	a = open_node(CIVIC_NODE_WRITE);
	assert_civic(CIVIC_ELOCKED, civic_node_open(&b, home, CIVIC_NODE_WRITE));
	assert_null(b);
	assert_non_null(strstr(civic_error_last()->message, "another civic process"));
	/* Readers do not need the lock. */
	reader = open_node(CIVIC_NODE_READ);
	civic_node_free(reader);
	civic_node_free(a);
	/* Released with the node. */
	b = open_node(CIVIC_NODE_WRITE);
	civic_node_free(b);
}

static int try_lock_in_child(void *arg)
{
	civic_node *node = NULL;
	int rc = civic_node_open(&node, arg, CIVIC_NODE_WRITE);

	civic_node_free(node);
	return rc == CIVIC_ELOCKED ? 0 : rc == 0 ? 1 : 2;
}

static void test_node_write_lock_excludes_other_process(void **state)
{
	civic_node *a;

	(void)state;
	create_default();
	a = open_node(CIVIC_NODE_WRITE);
	assert_int_equal(fx_run_with_timeout(try_lock_in_child, home, 5), 0);
	civic_node_free(a);
	assert_int_equal(fx_run_with_timeout(try_lock_in_child, home, 5), 1);
}

/* A writer killed mid-way leaves ".tmp-*" files; the next writer, holding
 * the lock, removes them. Readers and refused writers touch nothing. */
static void test_node_writer_removes_stale_temporaries(void **state)
{
	static const char *const dirs[] = { "", "keys", "attachments/sha256" };
	char path[4400], dir[4300], keep[4400];
	civic_node *writer, *refused = NULL, *reader;
	size_t i;

	(void)state;
	create_default();
	sub_path(dir, sizeof dir, "attachments/sha256");
	assert_int_equal(mkdir(dir, 0700), 0);
	for (i = 0; i < 3; i++) {
		sub_path(dir, sizeof dir, dirs[i]);
		fx_path(path, sizeof path, dir, ".tmp-AbC123");
		fx_write_text(path, "half written");
	}
	sub_path(keep, sizeof keep, "attachments/sha256/keep.tmp-not");
	fx_write_text(keep, "not a temporary");

	reader = open_node(CIVIC_NODE_READ);
	civic_node_free(reader);
	for (i = 0; i < 3; i++) {
		sub_path(dir, sizeof dir, dirs[i]);
		assert_int_equal(fx_count_entries(dir, ".tmp-"), 1);
	}
	writer = open_node(CIVIC_NODE_WRITE);
	for (i = 0; i < 3; i++) {
		sub_path(dir, sizeof dir, dirs[i]);
		assert_int_equal(fx_count_entries(dir, ".tmp-"), 0);
	}
	assert_true(civic_fs_exists(keep));
	/* One that appears while the writer works is left to it. */
	sub_path(path, sizeof path, ".tmp-Live01");
	fx_write_text(path, "in progress");
	assert_civic(CIVIC_ELOCKED, civic_node_open(&refused, home, CIVIC_NODE_WRITE));
	assert_true(civic_fs_exists(path));
	civic_node_free(writer);
	/* The next writer cleans up after the one that held the lock. */
	writer = open_node(CIVIC_NODE_WRITE);
	assert_false(civic_fs_exists(path));
	civic_node_free(writer);
}

/*------------------------------------------------------------------------
 * Network id
 */

static void test_node_set_network_pins_once(void **state)
{
	civic_node *node;

	(void)state;
	create_default();
	node = open_node(CIVIC_NODE_WRITE);
	assert_civic_ok(civic_node_set_network(node, NETWORK_A));
	assert_string_equal(civic_node_network(node), NETWORK_A);
	assert_civic_ok(civic_node_set_network(node, NETWORK_A)); /* same id: fine */
	assert_civic(CIVIC_EEXISTS, civic_node_set_network(node, NETWORK_B));
	assert_string_equal(civic_node_network(node), NETWORK_A);
	civic_node_free(node);
	/* Durable, and still pinned after reopening. */
	node = open_node(CIVIC_NODE_WRITE);
	assert_string_equal(civic_node_network(node), NETWORK_A);
	assert_civic(CIVIC_EEXISTS, civic_node_set_network(node, NETWORK_B));
	civic_node_free(node);
	assert_int_equal(fx_count_entries(home, ".tmp-"), 0);
}

/* node.h: the network id is 40 hex; anything else must not be pinned. */
static void test_node_set_network_refuses_malformed_id(void **state)
{
	civic_node *node;
	int rc1, rc2, rc3;

	(void)state;
	create_default();

	node = open_node(CIVIC_NODE_WRITE);
	rc1 = civic_node_set_network(node, "not a network id");
	civic_node_free(node);
	node = open_node(CIVIC_NODE_WRITE);
	rc2 = civic_node_set_network(node, "0123456789ABCDEF0123456789ABCDEF01234567");
	civic_node_free(node);
	node = open_node(CIVIC_NODE_WRITE);
	rc3 = civic_node_network(node) ? -100 : civic_node_set_network(node, NETWORK_A);
	civic_node_free(node);
	assert_civic(CIVIC_EINVALID, rc1);
	assert_civic(CIVIC_EINVALID, rc2);
	assert_civic_ok(rc3); /* nothing was pinned by the refused ones */
}

/*------------------------------------------------------------------------
 * Config tampering
 */

static void edit_format(json_t *c) { json_object_set_new(c, "format", json_string("civic-node-9")); }
static void edit_no_format(json_t *c) { json_object_del(c, "format"); }
static void edit_no_name(json_t *c) { json_object_del(c, "name"); }
static void edit_name_number(json_t *c) { json_object_set_new(c, "name", json_integer(7)); }
static void edit_no_municipality(json_t *c) { json_object_del(c, "municipality"); }
static void edit_role(json_t *c) { json_object_set_new(c, "role", json_string("mayor")); }
static void edit_no_role(json_t *c) { json_object_del(c, "role"); }
static void edit_no_key(json_t *c) { json_object_del(c, "public_key"); }
static void edit_key_garbage(json_t *c) { json_object_set_new(c, "public_key", json_string("ssh-ed25519 AAAA")); }
static void edit_key_rsa(json_t *c)
{
	json_object_set_new(c, "public_key", json_string("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ"));
}
static void edit_municipality(json_t *c) { json_object_set_new(c, "municipality", json_string("sofia")); }
static void edit_network_bad(json_t *c) { json_object_set_new(c, "network", json_string("xyz")); }
static void edit_network_number(json_t *c) { json_object_set_new(c, "network", json_integer(42)); }

static void test_node_config_tamper_refused(void **state)
{
	static void (*const edits[])(json_t *) = {
		edit_format, edit_no_format, edit_no_name, edit_name_number, edit_no_municipality,
		edit_role, edit_no_role, edit_no_key, edit_key_garbage, edit_key_rsa,
	};
	char path[4300], *original;
	size_t i, len;

	(void)state;
	create_default();
	sub_path(path, sizeof path, "config");
	original = fx_read_file(path, &len);
	for (i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		write_config_text(original);
		tamper_config(edits[i]);
		if (open_rc() != CIVIC_EINVALID)
			fail_msg("config edit %zu was not refused: %s", i, civic_error_last()->message);
	}
	write_config_text(original);
	assert_civic_ok(open_rc());
	free(original);
}

static void test_node_config_not_json_refused(void **state)
{
	static const char *const texts[] = {
		"", "{", "[]", "\"civic-node-1\"", "null",
		"{\"format\":\"civic-node-1\",\"format\":\"civic-node-1\"}",
	};
	size_t i;

	(void)state;
	create_default();
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		write_config_text(texts[i]);
		if (open_rc() != CIVIC_EINVALID)
			fail_msg("config '%s' was not refused", texts[i]);
	}
}

static void test_node_config_duplicate_key_refused(void **state)
{
	char path[4300], *text, *brace;
	civic_buf b = CIVIC_BUF_INIT;
	size_t len;

	(void)state;
	create_default();
	sub_path(path, sizeof path, "config");
	text = fx_read_file(path, &len);
	brace = strchr(text, '{');
	assert_non_null(brace);
	/* A second "role" at the front: a reader taking the first would see auditor. */
	assert_civic_ok(civic_buf_puts(&b, "{\"role\": \"auditor\","));
	assert_civic_ok(civic_buf_puts(&b, brace + 1));
	write_config_text(b.ptr);
	assert_civic(CIVIC_EINVALID, open_rc());
	civic_buf_dispose(&b);
	free(text);
}

static void test_node_config_too_large_refused(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;
	size_t i;

	(void)state;
	create_default();
	assert_civic_ok(civic_buf_puts(&b, "{\"pad\": \""));
	for (i = 0; i < 70000; i++)
		assert_civic_ok(civic_buf_putc(&b, 'x'));
	assert_civic_ok(civic_buf_puts(&b, "\"}"));
	write_config_text(b.ptr);
	assert_civic(CIVIC_EINVALID, open_rc());
	civic_buf_dispose(&b);
}

/* node.h promises a slug and a 40-hex network id: a config that says
 * otherwise has been tampered with. */
static void test_node_config_tampered_municipality_refused(void **state)
{
	(void)state;
	create_default();
	tamper_config(edit_municipality);
	assert_civic(CIVIC_EINVALID, open_rc());
}

static void test_node_config_tampered_network_refused(void **state)
{
	(void)state;
	create_default();
	tamper_config(edit_network_bad);
	assert_civic(CIVIC_EINVALID, open_rc());
	tamper_config(edit_network_number);
	assert_civic(CIVIC_EINVALID, open_rc());
}

/*------------------------------------------------------------------------
 * The key
 */

static void test_node_key_loads_and_matches(void **state)
{
	civic_node *node;
	civic_key *key = NULL;
	static const uint8_t msg[] = "signed by the node";
	uint8_t s1[crypto_sign_BYTES], s2[crypto_sign_BYTES];

	(void)state;
	create_default();
	node = open_node(CIVIC_NODE_READ);
	assert_civic_ok(civic_node_load_key(&key, node, NULL, 0));
	assert_non_null(key);
	assert_true(civic_pubkey_equal(civic_key_public(key), civic_node_public_key(node)));
	/* Same secret: ed25519 is deterministic. */
	assert_civic_ok(civic_key__sign(s1, key, msg, sizeof msg));
	assert_civic_ok(civic_key__sign(s2, g.key, msg, sizeof msg));
	assert_memory_equal(s1, s2, sizeof s1);
	civic_key_free(key);
	civic_node_free(node);
}

static void swap_public_key(json_t *c)
{
	civic_buf line = CIVIC_BUF_INIT;

	assert_civic_ok(civic_pubkey_to_openssh(&line, civic_key_public(g.other)));
	json_object_set_new(c, "public_key", json_string(line.ptr));
	civic_buf_dispose(&line);
}

static void test_node_key_must_match_config(void **state)
{
	civic_node *node;
	civic_key *key = NULL;

	(void)state;
	create_default();
	tamper_config(swap_public_key);
	node = open_node(CIVIC_NODE_READ);
	assert_civic(CIVIC_EINVALID, civic_node_load_key(&key, node, NULL, 0));
	assert_null(key);
	assert_non_null(strstr(civic_error_last()->message, "does not match"));
	civic_node_free(node);
}

static void test_node_key_missing(void **state)
{
	civic_node *node;
	civic_key *key = NULL;
	char path[4300];

	(void)state;
	create_default();
	sub_path(path, sizeof path, "keys/secret_key");
	assert_int_equal(unlink(path), 0);
	node = open_node(CIVIC_NODE_READ);
	assert_civic(CIVIC_ENOTFOUND, civic_node_load_key(&key, node, NULL, 0));
	assert_null(key);
	assert_civic(CIVIC_ENOTFOUND, civic_node_key_is_encrypted(node));
	civic_node_free(node);
}

/* The one test that pays for argon2id: the key at rest is encrypted. */
static void test_node_encrypted_key(void **state)
{
	civic_node_init_options o = opts("Читалище", "dupnitsa", "ngo");
	civic_node *node;
	civic_key *key = NULL;

	(void)state;
	assert_civic_ok(civic_node_create(home, &o, g.key, PASS, strlen(PASS)));
	node = open_node(CIVIC_NODE_READ);
	assert_int_equal(civic_node_key_is_encrypted(node), 1);
	assert_civic(CIVIC_EAUTH, civic_node_load_key(&key, node, NULL, 0));
	assert_null(key);
	assert_civic_ok(civic_node_load_key(&key, node, PASS, strlen(PASS)));
	assert_true(civic_pubkey_equal(civic_key_public(key), civic_key_public(g.key)));
	civic_key_free(key);
	civic_node_free(node);
}

/*------------------------------------------------------------------------
 * Where the home is
 */

static void test_node_home_resolution(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;
	char *saved[3];
	static const char *const vars[3] = { "CIVIC_HOME", "XDG_DATA_HOME", "HOME" };
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++)
		saved[i] = getenv(vars[i]) ? strdup(getenv(vars[i])) : NULL;
	setenv("CIVIC_HOME", "/env/civic", 1);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	assert_civic_ok(civic_node_home(&b, "/opt/home"));
	assert_string_equal(b.ptr, "/opt/home");
	assert_civic_ok(civic_node_home(&b, NULL));
	assert_string_equal(b.ptr, "/env/civic");
	assert_civic_ok(civic_node_home(&b, ""));
	assert_string_equal(b.ptr, "/env/civic");
	setenv("CIVIC_HOME", "", 1);
	assert_civic_ok(civic_node_home(&b, NULL));
	assert_string_equal(b.ptr, "/xdg/civic");
	unsetenv("CIVIC_HOME");
	unsetenv("XDG_DATA_HOME");
	assert_civic_ok(civic_node_home(&b, NULL));
	assert_string_equal(b.ptr, "/home/u/.local/share/civic");
	unsetenv("HOME");
	assert_civic(CIVIC_EINVALID, civic_node_home(&b, NULL));
	for (i = 0; i < 3; i++) {
		if (saved[i])
			setenv(vars[i], saved[i], 1);
		else
			unsetenv(vars[i]);
		free(saved[i]);
	}
	civic_buf_dispose(&b);
}

#define T(name) cmocka_unit_test_setup(name, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_node_create_then_open),
		T(test_node_repository_keeps_reflogs),
		T(test_node_create_twice_refused),
		T(test_node_unfinished_home_refused),
		T(test_node_open_missing),
		T(test_node_create_refuses_bad_options),
		T(test_node_create_roles),
		T(test_node_create_stores_municipality_slug),
		T(test_node_write_lock_excludes_second_writer),
		T(test_node_write_lock_excludes_other_process),
		T(test_node_writer_removes_stale_temporaries),
		T(test_node_set_network_pins_once),
		T(test_node_set_network_refuses_malformed_id),
		T(test_node_config_tamper_refused),
		T(test_node_config_not_json_refused),
		T(test_node_config_duplicate_key_refused),
		T(test_node_config_too_large_refused),
		T(test_node_config_tampered_municipality_refused),
		T(test_node_config_tampered_network_refused),
		T(test_node_key_loads_and_matches),
		T(test_node_key_must_match_config),
		T(test_node_key_missing),
		T(test_node_encrypted_key),
		T(test_node_home_resolution),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
