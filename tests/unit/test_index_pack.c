/*
 * test_index_pack.c - a fetched pack indexed by stock `git index-pack`
 * (src/index_pack.h): a thin pack completed from an alternate the repository
 * sees only in memory (its path holding git's separator ':'), whatever the
 * caller's environment says of other repositories and of the language;
 * progress as it arrives; a pack that is garbage, cut short or stopped by
 * the caller leaving no pack, no temporary file and no child behind; and
 * libgit2's own indexer when there is no git to run.
 */
#include "helpers.h"
#include "fixtures.h"

#include <errno.h>
#include <sys/wait.h>

#include "index_pack.h"

static char *dir;
static git_repository *base, *src, *dst;
static git_oid first, second, old_blob, new_blob;
static char base_objects[4200];

/* A text of some 6 KB; `variant` changes one line of it, so that stock git
 * stores the one as a delta of the other. */
static void text(char *out, size_t size, int variant)
{
	size_t used = 0;
	int i;

	for (i = 0; i < 120 && used + 64 < size; i++)
		used += (size_t)snprintf(out + used, size - used, "Ред %03d от протокола на срещата%s\n", i,
					 i == 60 && variant ? " (поправен)" : "");
}

/* A commit of one file holding `blob`, after `parent` (NULL: none). */
static void commit_of(git_oid *out, git_repository *repo, const git_oid *blob, const git_commit *parent)
{
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id;

	assert_git_ok(git_treebuilder_new(&tb, repo, NULL));
	assert_git_ok(git_treebuilder_insert(NULL, tb, "протокол.md", blob, GIT_FILEMODE_BLOB));
	assert_git_ok(git_treebuilder_write(&tree_id, tb));
	assert_git_ok(git_tree_lookup(&tree, repo, &tree_id));
	assert_git_ok(git_signature_new(&sig, "Тест", "test@civic.invalid", 1700000000, 120));
	assert_git_ok(git_commit_create(out, repo, NULL, sig, sig, NULL, "протокол\n", tree, parent ? 1 : 0,
					parent ? &parent : NULL));
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
}

/* base:1.git holds the first commit; src.git sees it (objects/info/
 * alternates) and adds the second; dst.git is empty. */
static int setup(void **state)
{
	char buf[8192], path[4400];
	git_commit *parent = NULL;

	(void)state;
	fx_global_init();
	dir = test_tmpdir_new();
	/* A ':' in its path: the separator of git's list of alternates. */
	base = fx_repo_new(dir, "base:1.git");
	src = fx_repo_new(dir, "src.git");
	dst = fx_repo_new(dir, "dst.git");
	snprintf(base_objects, sizeof base_objects, "%sobjects", git_repository_path(base));
	text(buf, sizeof buf, 0);
	fx_blob(&old_blob, base, buf, strlen(buf));
	commit_of(&first, base, &old_blob, NULL);
	snprintf(path, sizeof path, "%sobjects/info/alternates", git_repository_path(src));
	fx_write_text(path, base_objects);
	git_repository_free(src);
	snprintf(path, sizeof path, "%s/src.git", dir);
	assert_git_ok(git_repository_open_bare(&src, path));
	text(buf, sizeof buf, 1);
	fx_blob(&new_blob, src, buf, strlen(buf));
	assert_git_ok(git_commit_lookup(&parent, src, &first));
	commit_of(&second, src, &new_blob, parent);
	git_commit_free(parent);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	git_repository_free(dst);
	git_repository_free(src);
	git_repository_free(base);
	test_tmpdir_remove(dir);
	fx_global_shutdown();
	return 0;
}

/* The pack stock git sends for the second commit to one that has the
 * first: thin, its new blob a delta of the old one. */
static char *thin_pack(size_t *len)
{
	char cmd[9000], out[4300], a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	char *pack;

	fx_oid_hex(a, &second);
	fx_oid_hex(b, &first);
	snprintf(out, sizeof out, "%s/thin.pack", dir);
	snprintf(cmd, sizeof cmd, "printf '%%s\\n^%%s\\n' %s %s | git --git-dir='%s' pack-objects --revs --thin "
		 "--stdout -q > '%s'", a, b, git_repository_path(src), out);
	assert_int_equal(system(cmd), 0);
	pack = fx_read_file(out, len);
	assert_true(*len > 32);
	return pack;
}

typedef struct {
	size_t calls;
	unsigned int total, received; /* as the last call saw them */
	int stop_at;                  /* a call that returns non-zero, 0: none */
} progress_seen;

static int on_progress(const git_indexer_progress *stats, void *payload)
{
	progress_seen *p = payload;

	p->calls++;
	p->total = stats->total_objects;
	p->received = stats->received_objects;
	return p->stop_at && (size_t)p->stop_at == p->calls ? 1 : 0;
}

static git_odb_writepack *open_writepack(git_odb **odb, progress_seen *seen, const char *alternates)
{
	git_odb_writepack *wp = NULL;

	assert_int_equal(civic_index_pack_use(dst, alternates), 0);
	assert_git_ok(git_repository_odb(odb, dst));
	assert_git_ok(git_odb_write_pack(&wp, *odb, on_progress, seen));
	return wp;
}

static size_t dst_entries(const char *prefix)
{
	char pack_dir[4300];

	snprintf(pack_dir, sizeof pack_dir, "%sobjects/pack", git_repository_path(dst));
	return fx_count_entries(pack_dir, prefix);
}

static size_t dst_packs(void)
{
	return dst_entries("pack-");
}

/* Nothing a pack that was not committed may leave: no pack, and none of
 * git's temporary files. */
static void assert_nothing_left(void)
{
	assert_int_equal(dst_packs(), 0);
	assert_int_equal(dst_entries("tmp_"), 0);
}

/* No child of this process is left: reaped, not a zombie. */
static void assert_no_child(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* The end of a pack that was not committed: the writepack freed, then
 * nothing of it left, on disk or as a process. */
static void assert_given_up(git_odb_writepack *wp, git_odb *odb, char *pack)
{
	wp->free(wp);
	assert_nothing_left();
	git_odb_free(odb);
	free(pack);
	assert_no_child();
}

static void test_thin_pack_is_completed_from_an_alternate_seen_in_memory(void **state)
{
	git_indexer_progress stats = { 0 };
	progress_seen seen = { 0, 0, 0, 0 };
	git_odb_writepack *wp;
	git_odb *odb = NULL;
	size_t len, off;
	char *pack = thin_pack(&len), cmd[4400], hex[GIT_OID_HEXSZ + 1];

	(void)state;
	/* Neither another repository named in the environment nor the
	 * language of the user's git changes where the pack goes. */
	setenv("GIT_COMMON_DIR", git_repository_path(src), 1);
	setenv("GIT_OBJECT_DIRECTORY", base_objects, 1);
	wp = open_writepack(&odb, &seen, base_objects);
	unsetenv("GIT_COMMON_DIR");
	unsetenv("GIT_OBJECT_DIRECTORY");
	/* In pieces, as the side-band brings it. */
	for (off = 0; off < len; off += 7)
		assert_int_equal(wp->append(wp, pack + off, len - off < 7 ? len - off : 7, &stats), 0);
	assert_int_equal(wp->commit(wp, &stats), 0);
	wp->free(wp);
	assert_int_equal(seen.total, 3); /* commit, tree, blob */
	assert_true(seen.calls > len / 7);
	assert_int_equal(seen.received, 3); /* the last call: all of them */
	assert_int_equal(dst_packs(), 2); /* .pack and .idx */
	assert_true(git_odb_exists(odb, &second));
	assert_true(git_odb_exists(odb, &new_blob));
	/* The delta's base came into the pack: stock git reads it from
	 * dst.git alone, which has no alternates. */
	fx_oid_hex(hex, &old_blob);
	snprintf(cmd, sizeof cmd, "git --git-dir='%s' cat-file -e %s", git_repository_path(dst), hex);
	assert_int_equal(system(cmd), 0);
	git_odb_free(odb);
	free(pack);
	assert_no_child();
}

static void test_thin_pack_without_its_base_fails_in_one_line(void **state)
{
	git_indexer_progress stats = { 0 };
	progress_seen seen = { 0, 0, 0, 0 };
	git_odb_writepack *wp;
	git_odb *odb = NULL;
	size_t len;
	char *pack = thin_pack(&len);

	(void)state;
	/* A user whose git speaks Bulgarian: its messages are read in C. */
	setenv("LANGUAGE", "bg", 1);
	setenv("LC_ALL", "C.UTF-8", 1);
	wp = open_writepack(&odb, &seen, NULL);
	unsetenv("LANGUAGE");
	unsetenv("LC_ALL");
	assert_int_equal(wp->append(wp, pack, len, &stats), 0);
	assert_int_not_equal(wp->commit(wp, &stats), 0);
	assert_non_null(strstr(git_error_last()->message, "git index-pack: fatal:"));
	assert_null(strchr(git_error_last()->message, '\n'));
	assert_given_up(wp, odb, pack);
}

static void test_garbage_is_refused(void **state)
{
	static const char junk[] = "PACK\0\0\0\2\0\0\0\1 это не пакет, а боклук";
	git_indexer_progress stats = { 0 };
	progress_seen seen = { 0, 0, 0, 0 };
	git_odb_writepack *wp;
	git_odb *odb = NULL;

	(void)state;
	wp = open_writepack(&odb, &seen, NULL);
	/* It may stop reading at once: append or commit fails, saying why. */
	if (wp->append(wp, junk, sizeof junk, &stats) == 0)
		assert_int_not_equal(wp->commit(wp, &stats), 0);
	assert_non_null(strstr(git_error_last()->message, "git index-pack: fatal:"));
	wp->free(wp);
	assert_nothing_left();
	git_odb_free(odb);
	assert_no_child();
}

/* A fetch that breaks off: freed without a commit. */
static void test_pack_cut_short_leaves_nothing(void **state)
{
	git_indexer_progress stats = { 0 };
	progress_seen seen = { 0, 0, 0, 0 };
	git_odb_writepack *wp;
	git_odb *odb = NULL;
	size_t len;
	char *pack = thin_pack(&len);

	(void)state;
	wp = open_writepack(&odb, &seen, base_objects);
	assert_int_equal(wp->append(wp, pack, len / 2, &stats), 0);
	wp->free(wp);
	assert_nothing_left();
	assert_false(git_odb_exists(odb, &second));
	git_odb_free(odb);
	free(pack);
	assert_no_child();
}

/* The caller's progress callback stops the fetch (cut off, cancelled). */
static void test_progress_callback_stops_the_pack(void **state)
{
	git_indexer_progress stats = { 0 };
	progress_seen seen = { 0, 0, 0, 2 };
	git_odb_writepack *wp;
	git_odb *odb = NULL;
	size_t len;
	char *pack = thin_pack(&len);

	(void)state;
	wp = open_writepack(&odb, &seen, base_objects);
	assert_int_equal(wp->append(wp, pack, 12, &stats), 0);
	assert_int_equal(stats.total_objects, 3); /* from the pack's header */
	assert_int_equal(wp->append(wp, pack + 12, len - 12, &stats), GIT_EUSER);
	assert_int_not_equal(wp->append(wp, pack, 1, &stats), 0); /* given up for good */
	assert_given_up(wp, odb, pack);
}

/* The whole pack sent, then the fetch breaks off before its end (the
 * last packet of the side-band): what git wrote goes too. */
static void test_whole_pack_not_committed_leaves_nothing(void **state)
{
	git_indexer_progress stats = { 0 };
	progress_seen seen = { 0, 0, 0, 0 };
	git_odb_writepack *wp;
	git_odb *odb = NULL;
	size_t len, calls;
	char *pack = thin_pack(&len);

	(void)state;
	wp = open_writepack(&odb, &seen, base_objects);
	assert_int_equal(wp->append(wp, pack, len, &stats), 0);
	usleep(300 * 1000); /* time for git to finish the pack */
	calls = seen.calls;
	wp->free(wp);
	/* The fetch is over: its callback hears nothing of the end (a call
	 * with the counts cleared would say no byte came). */
	assert_int_equal(seen.calls, calls);
	assert_nothing_left();
	git_odb_free(odb);
	free(pack);
	assert_no_child();
}

/* No git on PATH: libgit2's own pack backend takes the pack. */
static void test_without_git_libgit2_indexes_the_pack(void **state)
{
	git_indexer_progress stats = { 0 };
	progress_seen seen = { 0, 0, 0, 0 };
	git_odb_writepack *wp;
	git_odb *odb = NULL;
	char *path = strdup(getenv("PATH")), *pack;
	size_t len;

	(void)state;
	pack = thin_pack(&len);
	setenv("PATH", "/nonexistent", 1);
	wp = open_writepack(&odb, &seen, base_objects);
	setenv("PATH", path, 1);
	free(path);
	/* libgit2 finds the thin pack's base where the odb does. */
	assert_git_ok(git_odb_add_disk_alternate(odb, base_objects));
	assert_int_equal(wp->append(wp, pack, len, &stats), 0);
	assert_int_equal(wp->commit(wp, &stats), 0);
	wp->free(wp);
	assert_int_equal(stats.local_objects, 1); /* libgit2 added the base */
	assert_true(git_odb_exists(odb, &new_blob));
	git_odb_free(odb);
	free(pack);
	assert_no_child();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_thin_pack_is_completed_from_an_alternate_seen_in_memory),
		T(test_thin_pack_without_its_base_fails_in_one_line),
		T(test_garbage_is_refused),
		T(test_pack_cut_short_leaves_nothing),
		T(test_progress_callback_stops_the_pack),
		T(test_whole_pack_not_committed_leaves_nothing),
		T(test_without_git_libgit2_indexes_the_pack),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
