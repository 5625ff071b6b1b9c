/*
 * test_peer.c - the peer list in <home>/peers.json and what each peer was
 * last seen holding (src/peer.h): name and URL checks, add/find/remove, the
 * file's round trip, and hostile files refused without a crash.
 */
#include "helpers.h"
#include "fixtures.h"

#include "peer.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* Seconds a bounded job may take here; valgrind runs code 10 to 50 times
 * slower. Not a speed goal (those are in bench/): a guard against work
 * that grows with the square of the input, which takes over a minute where
 * the linear kind takes well under a second, even on a loaded machine. */
#define QUICK_SECONDS 20
static unsigned int quick_seconds(void)
{
	return RUNNING_ON_VALGRIND ? 10 * QUICK_SECONDS : QUICK_SECONDS;
}

#define ID1 "0123456789abcdef0123456789abcdef01234567"
#define ID2 "89abcdef0123456789abcdef0123456789abcdef"
#define ID3 "fedcba9876543210fedcba9876543210fedcba98"
#define FEED_REF "refs/civic/feeds/" \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static struct {
	char *dir;
} g;

static char home[4200];       /* a fresh, empty directory per test */
static char peers_path[4300]; /* <home>/peers.json */
static civic_peers *peers;    /* freed by teardown */

static int group_setup(void **state)
{
	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
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
	assert_int_equal(mkdir(home, 0700), 0);
	fx_path(peers_path, sizeof peers_path, home, "peers.json");
	peers = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	civic_peers_free(peers);
	peers = NULL;
	return 0;
}

static civic_peers *load(void)
{
	civic_peers *p = NULL;

	assert_civic_ok(civic_peers_load(&p, home));
	assert_non_null(p);
	return p;
}

static git_oid oid(const char *hex)
{
	git_oid id;

	assert_git_ok(git_oid_fromstr(&id, hex));
	return id;
}

/* A string of n copies of c; caller frees. */
static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Loading `text` as peers.json is refused with CIVIC_EINVALID, *out NULL. */
static void assert_file_refused(const char *text, const char *why)
{
	civic_peers *p = (civic_peers *)&p; /* not NULL: the call must reset it */
	int rc;

	fx_write_text(peers_path, text);
	civic_error_clear();
	rc = civic_peers_load(&p, home);
	if (rc != CIVIC_EINVALID || p != NULL)
		fail_msg("peers.json (%s) loaded with %d, want CIVIC_EINVALID: %s", why, rc,
			 civic_error_last()->message);
	assert_true(civic_error_last()->message[0] != '\0');
}

/* A one-peer file with `peer` (a JSON object's text) as its peer. */
static void assert_peer_refused(const char *peer, const char *why)
{
	civic_buf b = CIVIC_BUF_INIT;

	assert_civic_ok(civic_buf_printf(&b, "{\"format\": \"civic-peers-1\", \"peers\": [%s]}", peer));
	assert_file_refused(b.ptr, why);
	civic_buf_dispose(&b);
}

/*------------------------------------------------------------------------
 * Names and URLs
 */

static void test_peer_name_check_accepts(void **state)
{
	static const char *const good[] = {
		"a", "center", "relay-1", "Node_2.backup", "x.", "a-", "0", "CIVIC",
	};
	char *longest = repeat('n', CIVIC_PEER_NAME_MAX);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof *good; i++)
		assert_civic_ok(civic_peer_name_check(good[i]));
	assert_civic_ok(civic_peer_name_check(longest));
	free(longest);
}

static void test_peer_name_check_refuses(void **state)
{
	static const char *const bad[] = {
		"", "-dash", ".dot", "a b", " a", "a ", "a\tb", "a\nb", "a/b", "a:b", "a@b",
		"два", "a\x7f", "\x01", "a\\b", "a'b", "a\"b", "a;b", "a$b",
	};
	char *too_long = repeat('n', CIVIC_PEER_NAME_MAX + 1);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		civic_error_clear();
		if (civic_peer_name_check(bad[i]) != CIVIC_EINVALID)
			fail_msg("peer name '%s' was accepted", bad[i]);
		assert_non_null(strstr(civic_error_last()->message, "is not a peer name"));
	}
	assert_civic(CIVIC_EINVALID, civic_peer_name_check(too_long));
	assert_civic(CIVIC_EINVALID, civic_peer_name_check(NULL));
	free(too_long);
}

static void test_peer_url_check_accepts(void **state)
{
	static const char *const good[] = {
		"/srv/civic/archive.git", "./relative/archive.git", "../up.git",
		"file:///srv/civic/archive.git", "git://127.0.0.1:9418/relay.git",
		"ssh://civic@center.example/srv/archive.git", "https://center.example/archive.git",
		"civic@center.example:archive.git", "/path with inner spaces/archive.git",
		"/път/до/архива.git",
	};
	char *longest = repeat('a', CIVIC_PEER_URL_MAX);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof *good; i++) {
		if (civic_peer_url_check(good[i]) != 0)
			fail_msg("URL '%s' was refused: %s", good[i], civic_error_last()->message);
	}
	longest[0] = '/';
	assert_civic_ok(civic_peer_url_check(longest));
	free(longest);
}

static void test_peer_url_check_refuses(void **state)
{
	static const char *const bad[] = {
		"", " ", "name-only", " /srv/x.git", "/srv/x.git ", "/srv/x\n.git", "/srv/x.git\n",
		"/srv/\tx.git", "\x01/x", "/x\x7f", "\r/x", "-/x", "--upload-pack=touch /tmp/x:y",
		"-oProxyCommand=evil:x",
	};
	char *too_long = repeat('a', CIVIC_PEER_URL_MAX + 1);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		civic_error_clear();
		if (civic_peer_url_check(bad[i]) != CIVIC_EINVALID)
			fail_msg("URL '%s' was accepted", bad[i]);
		assert_non_null(strstr(civic_error_last()->message, "is not a peer URL"));
	}
	too_long[0] = '/';
	assert_civic(CIVIC_EINVALID, civic_peer_url_check(too_long));
	assert_civic(CIVIC_EINVALID, civic_peer_url_check(NULL));
	free(too_long);
}

static void test_peer_is_url(void **state)
{
	(void)state;
	assert_true(civic_peer_is_url("/srv/x.git"));
	assert_true(civic_peer_is_url("./x"));
	assert_true(civic_peer_is_url("host:path"));
	assert_true(civic_peer_is_url("git://h/x"));
	assert_false(civic_peer_is_url("center"));
	assert_false(civic_peer_is_url("relay-1.backup"));
	assert_false(civic_peer_is_url(""));
}

/*------------------------------------------------------------------------
 * The list
 */

static void test_peers_load_without_file_is_empty(void **state)
{
	(void)state;
	peers = load();
	assert_int_equal(civic_peers_count(peers), 0);
	assert_null(civic_peers_find(peers, "center"));
	/* Loading does not create the file. */
	assert_int_equal(fx_count_entries(home, ""), 0);
}

static void test_peers_add_find_remove(void **state)
{
	civic_peer *p;

	(void)state;
	peers = load();
	assert_civic_ok(civic_peers_add(peers, "center", "/srv/civic/archive.git", 0, NULL));
	assert_civic_ok(civic_peers_add(peers, "relay", "git://127.0.0.1/relay.git", 1, NULL));
	assert_civic_ok(civic_peers_add(peers, "cc", "ssh://civic@cc.example/a.git", 0, "/root/.ssh/id_ed25519"));
	assert_int_equal(civic_peers_count(peers), 3);

	p = civic_peers_find(peers, "relay");
	assert_non_null(p);
	assert_ptr_equal(p, civic_peers_get(peers, 1));
	assert_string_equal(p->name, "relay");
	assert_string_equal(p->url, "git://127.0.0.1/relay.git");
	assert_int_equal(p->relay, 1);
	assert_string_equal(p->ssh_key, "");
	assert_int_equal(p->last_sync, 0);
	assert_int_equal(p->last_attempt, 0);
	assert_string_equal(p->last_error, "");
	assert_int_equal(p->known_count, 0);

	p = civic_peers_find(peers, "cc");
	assert_non_null(p);
	assert_string_equal(p->ssh_key, "/root/.ssh/id_ed25519");
	assert_int_equal(p->relay, 0);

	/* Names are case-sensitive and matched whole. */
	assert_null(civic_peers_find(peers, "Center"));
	assert_null(civic_peers_find(peers, "cente"));
	assert_null(civic_peers_find(peers, "center2"));

	/* Remove keeps the others, in order. */
	assert_civic_ok(civic_peers_remove(peers, "center"));
	assert_int_equal(civic_peers_count(peers), 2);
	assert_null(civic_peers_find(peers, "center"));
	assert_string_equal(civic_peers_get(peers, 0)->name, "relay");
	assert_string_equal(civic_peers_get(peers, 1)->name, "cc");
	assert_string_equal(civic_peers_find(peers, "cc")->ssh_key, "/root/.ssh/id_ed25519");
	assert_civic(CIVIC_ENOTFOUND, civic_peers_remove(peers, "center"));
	assert_civic(CIVIC_ENOTFOUND, civic_peers_remove(peers, "nobody"));
	assert_civic_ok(civic_peers_remove(peers, "cc"));
	assert_civic_ok(civic_peers_remove(peers, "relay"));
	assert_int_equal(civic_peers_count(peers), 0);

	/* A removed name can be added again. */
	assert_civic_ok(civic_peers_add(peers, "center", "/elsewhere/archive.git", 0, NULL));
	assert_string_equal(civic_peers_find(peers, "center")->url, "/elsewhere/archive.git");
}

static void test_peers_remove_frees_known(void **state)
{
	git_oid id = oid(ID1), got;
	civic_peer *p;

	(void)state;
	peers = load();
	assert_civic_ok(civic_peers_add(peers, "a", "/a.git", 0, NULL));
	assert_civic_ok(civic_peers_add(peers, "b", "/b.git", 0, NULL));
	p = civic_peers_find(peers, "a");
	assert_civic_ok(civic_peer_set_known(p, FEED_REF, &id));
	p = civic_peers_find(peers, "b");
	assert_civic_ok(civic_peer_set_known(p, "refs/civic/roster", &id));
	/* Leak checkers (valgrind, ASan) see that a's heads are freed here. */
	assert_civic_ok(civic_peers_remove(peers, "a"));
	p = civic_peers_find(peers, "b");
	assert_non_null(p);
	assert_int_equal(p->known_count, 1);
	assert_civic_ok(civic_peer_known(&got, p, "refs/civic/roster"));
	assert_true(git_oid_equal(&got, &id));
}

static void test_peers_add_duplicate_name(void **state)
{
	(void)state;
	peers = load();
	assert_civic_ok(civic_peers_add(peers, "center", "/srv/a.git", 0, NULL));
	assert_civic(CIVIC_EEXISTS, civic_peers_add(peers, "center", "/srv/b.git", 1, NULL));
	assert_non_null(strstr(civic_error_last()->message, "center"));
	assert_int_equal(civic_peers_count(peers), 1);
	assert_string_equal(civic_peers_find(peers, "center")->url, "/srv/a.git");
	assert_int_equal(civic_peers_find(peers, "center")->relay, 0);
}

static void test_peers_add_refusals_change_nothing(void **state)
{
	char *long_key = repeat('k', CIVIC_PEER_URL_MAX + 1);

	(void)state;
	peers = load();
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "", "/srv/a.git", 0, NULL));
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "-x", "/srv/a.git", 0, NULL));
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "a b", "/srv/a.git", 0, NULL));
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "ok", "", 0, NULL));
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "ok", "-/x", 0, NULL));
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "ok", "/x\n", 0, NULL));
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "ok", "center", 0, NULL));
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "ok", "/srv/a.git", 0, ""));
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "ok", "/srv/a.git", 0, long_key));
	assert_int_equal(civic_peers_count(peers), 0);
	free(long_key);
}

static void test_peers_add_at_most_max(void **state)
{
	char name[32], url[64];
	int i;

	(void)state;
	peers = load();
	for (i = 0; i < CIVIC_PEERS_MAX; i++) {
		snprintf(name, sizeof name, "peer%d", i);
		snprintf(url, sizeof url, "/srv/peer%d.git", i);
		assert_civic_ok(civic_peers_add(peers, name, url, i % 2, NULL));
	}
	assert_civic(CIVIC_EINVALID, civic_peers_add(peers, "one-too-many", "/srv/x.git", 0, NULL));
	assert_int_equal(civic_peers_count(peers), CIVIC_PEERS_MAX);
	/* All of them survive the file, in order. */
	assert_civic_ok(civic_peers_save(peers));
	civic_peers_free(peers);
	peers = load();
	assert_int_equal(civic_peers_count(peers), CIVIC_PEERS_MAX);
	assert_string_equal(civic_peers_get(peers, 0)->name, "peer0");
	assert_string_equal(civic_peers_get(peers, CIVIC_PEERS_MAX - 1)->url, "/srv/peer255.git");
	assert_int_equal(civic_peers_get(peers, 7)->relay, 1);
}

/*------------------------------------------------------------------------
 * Known heads
 */

static void test_peer_known_set_get_forget(void **state)
{
	civic_peer p;
	git_oid a = oid(ID1), b = oid(ID2), c = oid(ID3), got;

	(void)state;
	civic_peer_init(&p, "center", "/srv/a.git");
	assert_string_equal(p.name, "center");
	assert_string_equal(p.url, "/srv/a.git");
	assert_int_equal(p.relay, 0);
	assert_int_equal(p.known_count, 0);
	assert_civic(CIVIC_ENOTFOUND, civic_peer_known(&got, &p, "refs/civic/roster"));

	assert_civic_ok(civic_peer_set_known(&p, "refs/civic/roster", &a));
	assert_civic_ok(civic_peer_set_known(&p, FEED_REF, &b));
	assert_int_equal(p.known_count, 2);
	assert_civic_ok(civic_peer_known(&got, &p, "refs/civic/roster"));
	assert_true(git_oid_equal(&got, &a));
	assert_civic_ok(civic_peer_known(&got, &p, FEED_REF));
	assert_true(git_oid_equal(&got, &b));

	/* Setting again replaces, without a second entry. */
	assert_civic_ok(civic_peer_set_known(&p, "refs/civic/roster", &c));
	assert_int_equal(p.known_count, 2);
	assert_civic_ok(civic_peer_known(&got, &p, "refs/civic/roster"));
	assert_true(git_oid_equal(&got, &c));

	/* id NULL forgets that ref only. */
	assert_civic_ok(civic_peer_set_known(&p, "refs/civic/roster", NULL));
	assert_int_equal(p.known_count, 1);
	assert_civic(CIVIC_ENOTFOUND, civic_peer_known(&got, &p, "refs/civic/roster"));
	assert_civic_ok(civic_peer_known(&got, &p, FEED_REF));
	assert_true(git_oid_equal(&got, &b));
	/* Forgetting what is not known is no error. */
	assert_civic_ok(civic_peer_set_known(&p, "refs/civic/roster", NULL));
	assert_civic_ok(civic_peer_set_known(&p, "refs/civic/never", NULL));
	assert_int_equal(p.known_count, 1);
	assert_civic_ok(civic_peer_set_known(&p, FEED_REF, NULL));
	assert_int_equal(p.known_count, 0);
	assert_civic(CIVIC_ENOTFOUND, civic_peer_known(&got, &p, FEED_REF));

	/* And it can learn again after forgetting everything. */
	assert_civic_ok(civic_peer_set_known(&p, FEED_REF, &a));
	assert_civic_ok(civic_peer_known(&got, &p, FEED_REF));
	assert_true(git_oid_equal(&got, &a));
	civic_peer_clear_known(&p);
	assert_int_equal(p.known_count, 0);
	assert_civic(CIVIC_ENOTFOUND, civic_peer_known(&got, &p, FEED_REF));
	civic_peer_dispose(&p);
	assert_null(p.known);
	assert_int_equal(p.known_count, 0);
	civic_peer_dispose(&p); /* twice is harmless */
}

static void test_peer_known_forget_middle_keeps_rest(void **state)
{
	civic_peer p;
	char ref[64];
	git_oid id = oid(ID1), got;
	int i;

	(void)state;
	civic_peer_init(&p, "center", "/srv/a.git");
	for (i = 0; i < 1000; i++) {
		snprintf(ref, sizeof ref, "refs/civic/x/%d", i);
		id.id[0] = (unsigned char)i;
		id.id[1] = (unsigned char)(i >> 8);
		assert_civic_ok(civic_peer_set_known(&p, ref, &id));
	}
	assert_int_equal(p.known_count, 1000);
	for (i = 0; i < 1000; i += 3) {
		snprintf(ref, sizeof ref, "refs/civic/x/%d", i);
		assert_civic_ok(civic_peer_set_known(&p, ref, NULL));
	}
	for (i = 0; i < 1000; i++) {
		snprintf(ref, sizeof ref, "refs/civic/x/%d", i);
		if (i % 3 == 0) {
			assert_civic(CIVIC_ENOTFOUND, civic_peer_known(&got, &p, ref));
			continue;
		}
		assert_civic_ok(civic_peer_known(&got, &p, ref));
		assert_int_equal(got.id[0], (unsigned char)i);
		assert_int_equal(got.id[1], (unsigned char)(i >> 8));
	}
	civic_peer_dispose(&p);
}

static void test_peer_known_refname_too_long(void **state)
{
	civic_peer p;
	git_oid id = oid(ID1), got;
	char *ref = repeat('r', CIVIC_PEER_REF_MAX);
	char *fits = repeat('r', CIVIC_PEER_REF_MAX - 1);

	(void)state;
	civic_peer_init(&p, "center", "/srv/a.git");
	assert_civic(CIVIC_EINVALID, civic_peer_set_known(&p, ref, &id));
	assert_civic(CIVIC_EINVALID, civic_peer_set_known(&p, ref, NULL));
	assert_int_equal(p.known_count, 0);
	assert_civic_ok(civic_peer_set_known(&p, fits, &id));
	assert_civic_ok(civic_peer_known(&got, &p, fits));
	assert_true(git_oid_equal(&got, &id));
	civic_peer_dispose(&p);
	free(ref);
	free(fits);
}

/*------------------------------------------------------------------------
 * The file
 */

static void test_peers_save_load_round_trip(void **state)
{
	civic_peers *again;
	civic_peer *p;
	git_oid a = oid(ID1), b = oid(ID2), got;

	(void)state;
	peers = load();
	assert_civic_ok(civic_peers_add(peers, "center", "/srv/civic/archive.git", 0, NULL));
	assert_civic_ok(civic_peers_add(peers, "relay", "git://127.0.0.1:9418/relay.git", 1, NULL));
	assert_civic_ok(civic_peers_add(peers, "cc", "civic@cc.example:archive.git", 0, "/root/.ssh/id_ed25519"));
	p = civic_peers_find(peers, "center");
	p->last_sync = 1700000000;
	p->last_attempt = 1700000100;
	snprintf(p->last_error, sizeof p->last_error, "връзката прекъсна: \"%s\"", "timeout");
	assert_civic_ok(civic_peer_set_known(p, "refs/civic/roster", &a));
	assert_civic_ok(civic_peer_set_known(p, FEED_REF, &b));
	p = civic_peers_find(peers, "relay");
	p->last_attempt = (int64_t)1 << 40;
	assert_civic_ok(civic_peers_save(peers));

	/* Durably written, private, with no temporary file left. */
	assert_true(S_ISREG(fx_mode(peers_path)));
	assert_int_equal(fx_mode(peers_path) & 0777, 0600);
	assert_int_equal(fx_count_entries(home, ""), 1);

	again = load();
	assert_int_equal(civic_peers_count(again), 3);
	assert_string_equal(civic_peers_get(again, 0)->name, "center");
	assert_string_equal(civic_peers_get(again, 1)->name, "relay");
	assert_string_equal(civic_peers_get(again, 2)->name, "cc");

	p = civic_peers_find(again, "center");
	assert_string_equal(p->url, "/srv/civic/archive.git");
	assert_int_equal(p->relay, 0);
	assert_string_equal(p->ssh_key, "");
	assert_int_equal(p->last_sync, 1700000000);
	assert_int_equal(p->last_attempt, 1700000100);
	assert_string_equal(p->last_error, "връзката прекъсна: \"timeout\"");
	assert_int_equal(p->known_count, 2);
	assert_civic_ok(civic_peer_known(&got, p, "refs/civic/roster"));
	assert_true(git_oid_equal(&got, &a));
	assert_civic_ok(civic_peer_known(&got, p, FEED_REF));
	assert_true(git_oid_equal(&got, &b));

	p = civic_peers_find(again, "relay");
	assert_string_equal(p->url, "git://127.0.0.1:9418/relay.git");
	assert_int_equal(p->relay, 1);
	assert_int_equal(p->last_sync, 0);
	assert_int_equal(p->last_attempt, (int64_t)1 << 40);
	assert_string_equal(p->last_error, "");
	assert_int_equal(p->known_count, 0);

	p = civic_peers_find(again, "cc");
	assert_string_equal(p->url, "civic@cc.example:archive.git");
	assert_string_equal(p->ssh_key, "/root/.ssh/id_ed25519");

	/* A second save of what was loaded writes the same bytes. */
	{
		char *first = fx_read_file(peers_path, NULL), *second;
		assert_civic_ok(civic_peers_save(again));
		second = fx_read_file(peers_path, NULL);
		assert_string_equal(first, second);
		free(first);
		free(second);
	}
	civic_peers_free(again);
}

static void test_peers_save_after_remove(void **state)
{
	(void)state;
	peers = load();
	assert_civic_ok(civic_peers_add(peers, "a", "/a.git", 0, NULL));
	assert_civic_ok(civic_peers_add(peers, "b", "/b.git", 0, NULL));
	assert_civic_ok(civic_peers_save(peers));
	assert_civic_ok(civic_peers_remove(peers, "a"));
	assert_civic_ok(civic_peers_save(peers));
	civic_peers_free(peers);
	peers = load();
	assert_int_equal(civic_peers_count(peers), 1);
	assert_non_null(civic_peers_find(peers, "b"));
	assert_civic_ok(civic_peers_remove(peers, "b"));
	assert_civic_ok(civic_peers_save(peers));
	civic_peers_free(peers);
	peers = load();
	assert_int_equal(civic_peers_count(peers), 0);
}

static void test_peers_load_minimal_file(void **state)
{
	civic_peer *p;

	(void)state;
	/* Only name and url: every other field takes its default. */
	fx_write_text(peers_path, "{\"format\": \"civic-peers-1\", \"peers\": "
				  "[{\"name\": \"center\", \"url\": \"/srv/a.git\"}]}");
	peers = load();
	assert_int_equal(civic_peers_count(peers), 1);
	p = civic_peers_get(peers, 0);
	assert_string_equal(p->name, "center");
	assert_string_equal(p->url, "/srv/a.git");
	assert_int_equal(p->relay, 0);
	assert_string_equal(p->ssh_key, "");
	assert_string_equal(p->last_error, "");
	assert_int_equal(p->known_count, 0);
}

static void test_peers_load_refuses_bad_documents(void **state)
{
	(void)state;
	assert_file_refused("", "empty");
	assert_file_refused("not json", "not JSON");
	assert_file_refused("{\"format\": \"civic-peers-1\", \"peers\": [", "truncated");
	assert_file_refused("[]", "an array");
	assert_file_refused("\"civic-peers-1\"", "a string");
	assert_file_refused("{}", "no format");
	assert_file_refused("{\"peers\": []}", "no format");
	assert_file_refused("{\"format\": \"civic-peers-2\", \"peers\": []}", "other format");
	assert_file_refused("{\"format\": 1, \"peers\": []}", "format not a string");
	assert_file_refused("{\"format\": \"civic-peers-1\"}", "no peers");
	assert_file_refused("{\"format\": \"civic-peers-1\", \"peers\": {}}", "peers an object");
	assert_file_refused("{\"format\": \"civic-peers-1\", \"peers\": null}", "peers null");
	assert_file_refused("{\"format\": \"civic-peers-1\", \"format\": \"civic-peers-1\", \"peers\": []}",
			    "duplicate keys");
	assert_file_refused("{\"format\": \"civic-peers-1\", \"peers\": []}\xff", "trailing garbage");
}

static void test_peers_load_refuses_bad_peers(void **state)
{
	char *s;
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
	assert_peer_refused("1", "a number");
	assert_peer_refused("null", "null");
	assert_peer_refused("[\"center\", \"/a.git\"]", "an array");
	assert_peer_refused("{\"url\": \"/a.git\"}", "no name");
	assert_peer_refused("{\"name\": \"center\"}", "no url");
	assert_peer_refused("{\"name\": 1, \"url\": \"/a.git\"}", "name a number");
	assert_peer_refused("{\"name\": \"center\", \"url\": [\"/a.git\"]}", "url an array");
	assert_peer_refused("{\"name\": \"-center\", \"url\": \"/a.git\"}", "name with a dash first");
	assert_peer_refused("{\"name\": \"a b\", \"url\": \"/a.git\"}", "name with a space");
	assert_peer_refused("{\"name\": \"\", \"url\": \"/a.git\"}", "empty name");
	assert_peer_refused("{\"name\": \"a\\nb\", \"url\": \"/a.git\"}", "name with a newline");
	assert_peer_refused("{\"name\": \"a\\u0000b\", \"url\": \"/a.git\"}", "name with NUL");
	assert_peer_refused("{\"name\": \"center\", \"url\": \"-/a.git\"}", "url with a dash first");
	assert_peer_refused("{\"name\": \"center\", \"url\": \"/a.git\\u0001\"}", "url with a control char");
	assert_peer_refused("{\"name\": \"center\", \"url\": \" /a.git\"}", "url with a space first");
	assert_peer_refused("{\"name\": \"center\", \"url\": \"\"}", "empty url");
	assert_peer_refused("{\"name\": \"center\", \"url\": \"/a.git\", \"ssh_key\": 5}", "ssh_key a number");
	assert_peer_refused("{\"name\": \"center\", \"url\": \"/a.git\", \"last_error\": {}}",
			    "last_error an object");

	s = repeat('n', CIVIC_PEER_NAME_MAX + 1);
	assert_civic_ok(civic_buf_printf(&b, "{\"name\": \"%s\", \"url\": \"/a.git\"}", s));
	assert_peer_refused(b.ptr, "name too long");
	free(s);
	civic_buf_clear(&b);

	s = repeat('u', CIVIC_PEER_URL_MAX + 1);
	s[0] = '/';
	assert_civic_ok(civic_buf_printf(&b, "{\"name\": \"center\", \"url\": \"%s\"}", s));
	assert_peer_refused(b.ptr, "url too long");
	civic_buf_clear(&b);
	assert_civic_ok(civic_buf_printf(&b, "{\"name\": \"center\", \"url\": \"/a.git\", \"ssh_key\": \"%s\"}", s));
	assert_peer_refused(b.ptr, "ssh_key too long");
	free(s);
	civic_buf_clear(&b);

	s = repeat('e', 600);
	assert_civic_ok(civic_buf_printf(&b, "{\"name\": \"center\", \"url\": \"/a.git\", \"last_error\": \"%s\"}", s));
	assert_peer_refused(b.ptr, "last_error too long");
	free(s);
	civic_buf_dispose(&b);
}

static void test_peers_load_refuses_duplicate_names(void **state)
{
	(void)state;
	assert_file_refused("{\"format\": \"civic-peers-1\", \"peers\": ["
			    "{\"name\": \"center\", \"url\": \"/a.git\"},"
			    "{\"name\": \"relay\", \"url\": \"/r.git\"},"
			    "{\"name\": \"center\", \"url\": \"/b.git\"}]}",
			    "two peers named center");
	assert_non_null(strstr(civic_error_last()->message, "same name"));
}

static void test_peers_load_refuses_bad_known(void **state)
{
	char *ref;
	civic_buf b = CIVIC_BUF_INIT;

	(void)state;
#define PEER_WITH_KNOWN(k) "{\"name\": \"center\", \"url\": \"/a.git\", \"known\": " k "}"
	assert_peer_refused(PEER_WITH_KNOWN("[]"), "known an array");
	assert_peer_refused(PEER_WITH_KNOWN("\"" ID1 "\""), "known a string");
	assert_peer_refused(PEER_WITH_KNOWN("{\"refs/civic/roster\": 1}"), "oid a number");
	assert_peer_refused(PEER_WITH_KNOWN("{\"refs/civic/roster\": null}"), "oid null");
	assert_peer_refused(PEER_WITH_KNOWN("{\"refs/civic/roster\": \"\"}"), "oid empty");
	assert_peer_refused(PEER_WITH_KNOWN("{\"refs/civic/roster\": \"0123456789abcdef\"}"), "oid short");
	assert_peer_refused(PEER_WITH_KNOWN("{\"refs/civic/roster\": \"" ID1 "0\"}"), "oid long");
	assert_peer_refused(PEER_WITH_KNOWN("{\"refs/civic/roster\": \"zz23456789abcdef0123456789abcdef01234567\"}"),
			    "oid not hex");
	assert_peer_refused(PEER_WITH_KNOWN("{\"refs/civic/roster\": \"0123456789abcdef0123456789abcdef0123456 \"}"),
			    "oid with a space");
	assert_peer_refused(PEER_WITH_KNOWN("{\"refs/civic/roster\": \"" ID1 "\", \"refs/civic/roster\": \"" ID2 "\"}"),
			    "a ref twice");
#undef PEER_WITH_KNOWN
	ref = repeat('r', CIVIC_PEER_REF_MAX);
	assert_civic_ok(civic_buf_printf(&b, "{\"name\": \"center\", \"url\": \"/a.git\", \"known\": {\"%s\": \"%s\"}}",
					 ref, ID1));
	assert_peer_refused(b.ptr, "ref name too long");
	free(ref);
	civic_buf_dispose(&b);
}

static void test_peers_load_refuses_too_many_peers(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;
	int i;

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "{\"format\": \"civic-peers-1\", \"peers\": ["));
	for (i = 0; i <= CIVIC_PEERS_MAX; i++)
		assert_civic_ok(civic_buf_printf(&b, "%s{\"name\": \"p%d\", \"url\": \"/p%d.git\"}",
						 i ? "," : "", i, i));
	assert_civic_ok(civic_buf_puts(&b, "]}"));
	assert_file_refused(b.ptr, "257 peers");
	civic_buf_dispose(&b);
}

/* Loads peers.json in a child; its result code, negated (0..255). */
static int load_in_child(void *arg)
{
	civic_peers *p = NULL;
	int rc = civic_peers_load(&p, arg);

	civic_peers_free(p);
	return -rc;
}

/* The cap on known heads is reached, and refused, in bounded time: a file at
 * the cap must not take minutes to read (when civic_peer_set_known looked
 * each ref up by a linear scan, reading n heads cost n*n/2 compares: about
 * 70 s for CIVIC_PEER_KNOWN_MAX). */
static void test_peers_load_refuses_too_many_known(void **state)
{
	civic_buf b = CIVIC_BUF_INIT;
	int i, rc;

	(void)state;
	assert_civic_ok(civic_buf_puts(&b, "{\"format\": \"civic-peers-1\", \"peers\": ["
					   "{\"name\": \"center\", \"url\": \"/a.git\", \"known\": {"));
	for (i = 0; i <= CIVIC_PEER_KNOWN_MAX; i++)
		assert_civic_ok(civic_buf_printf(&b, "%s\"refs/civic/x/%d\": \"" ID1 "\"", i ? "," : "", i));
	assert_civic_ok(civic_buf_puts(&b, "}}]}"));
	assert_true(b.size < 16 * 1024 * 1024); /* refused for the count, not the size */
	fx_write_text(peers_path, b.ptr);
	civic_buf_dispose(&b);
	rc = fx_run_with_timeout(load_in_child, home, quick_seconds());
	if (rc < 0)
		fail_msg("reading %d known heads took more than %u s", CIVIC_PEER_KNOWN_MAX + 1, quick_seconds());
	assert_int_equal(rc, -CIVIC_EINVALID);
}

static int set_many_known(void *arg)
{
	civic_peer p;
	char ref[64];
	git_oid id = oid(ID1), got;
	int i, n = *(int *)arg;

	civic_peer_init(&p, "center", "/a.git");
	for (i = 0; i < n; i++) {
		snprintf(ref, sizeof ref, "refs/civic/x/%d", i);
		if (civic_peer_set_known(&p, ref, &id) < 0)
			return 1;
	}
	if (civic_peer_known(&got, &p, "refs/civic/x/0") < 0 || p.known_count != (size_t)n)
		return 2;
	civic_peer_dispose(&p);
	return 0;
}

/* A sync records every ref a peer advertises (up to CIVIC_SYNC_MAX_REFS,
 * 100000) with civic_peer_set_known: that too must be bounded in time. */
static void test_peer_set_known_at_the_cap_quickly(void **state)
{
	int n = CIVIC_PEER_KNOWN_MAX, rc;

	(void)state;
	rc = fx_run_with_timeout(set_many_known, &n, quick_seconds());
	if (rc < 0)
		fail_msg("recording %d known heads took more than %u s", n, quick_seconds());
	assert_int_equal(rc, 0);
}

static void test_peers_load_refuses_huge_file(void **state)
{
	size_t size = 16 * 1024 * 1024 + 1;
	char *text = malloc(size + 1);
	const char *head = "{\"format\": \"civic-peers-1\", \"peers\": [], \"pad\": \"";
	int rc;
	civic_peers *p = NULL;

	(void)state;
	/* A valid document, padded past the cap: refused for its size. */
	assert_non_null(text);
	memset(text, 'x', size);
	memcpy(text, head, strlen(head));
	memcpy(text + size - 2, "\"}", 2);
	text[size] = '\0';
	fx_write_file(peers_path, text, size);
	free(text);
	rc = civic_peers_load(&p, home);
	assert_true(rc < 0);
	assert_null(p);
	assert_int_equal(rc, CIVIC_EINVALID);
}

static void test_peers_load_refuses_non_regular_file(void **state)
{
	civic_peers *p = NULL;

	(void)state;
	assert_int_equal(mkdir(peers_path, 0700), 0);
	assert_civic(CIVIC_EINVALID, civic_peers_load(&p, home));
	assert_null(p);
	assert_int_equal(rmdir(peers_path), 0);
	assert_int_equal(mkfifo(peers_path, 0600), 0);
	assert_civic(CIVIC_EINVALID, civic_peers_load(&p, home));
	assert_null(p);
}

static void test_peers_load_refuses_long_home(void **state)
{
	char *long_home = repeat('h', 5000);
	civic_peers *p = NULL;

	(void)state;
	long_home[0] = '/';
	assert_civic(CIVIC_EINVALID, civic_peers_load(&p, long_home));
	assert_null(p);
	free(long_home);
}

/* Whatever a peer URL may hold, the list it was added to can be saved. A
 * URL is checked for control characters but not for UTF-8, and jansson
 * refuses to write a string that is not UTF-8. */
static void test_peers_add_url_not_utf8_still_saves(void **state)
{
	int added;

	(void)state;
	peers = load();
	added = civic_peers_add(peers, "center", "/srv/\xff\xfe/archive.git", 0, NULL);
	if (added == CIVIC_EINVALID)
		return; /* refused at the door: fine */
	assert_civic_ok(added);
	assert_civic_ok(civic_peers_save(peers));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_peer_name_check_accepts),
		T(test_peer_name_check_refuses),
		T(test_peer_url_check_accepts),
		T(test_peer_url_check_refuses),
		T(test_peer_is_url),
		T(test_peers_load_without_file_is_empty),
		T(test_peers_add_find_remove),
		T(test_peers_remove_frees_known),
		T(test_peers_add_duplicate_name),
		T(test_peers_add_refusals_change_nothing),
		T(test_peers_add_at_most_max),
		T(test_peer_known_set_get_forget),
		T(test_peer_known_forget_middle_keeps_rest),
		T(test_peer_known_refname_too_long),
		T(test_peers_save_load_round_trip),
		T(test_peers_save_after_remove),
		T(test_peers_load_minimal_file),
		T(test_peers_load_refuses_bad_documents),
		T(test_peers_load_refuses_bad_peers),
		T(test_peers_load_refuses_duplicate_names),
		T(test_peers_load_refuses_bad_known),
		T(test_peers_load_refuses_too_many_peers),
		T(test_peers_load_refuses_too_many_known),
		T(test_peer_set_known_at_the_cap_quickly),
		T(test_peers_load_refuses_huge_file),
		T(test_peers_load_refuses_non_regular_file),
		T(test_peers_load_refuses_long_home),
		T(test_peers_add_url_not_utf8_still_saves),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
