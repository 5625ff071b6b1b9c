/* test_attach_git.c - attachments as git objects: contract of src/attach_git.h,
 * and the streaming writer of src/attach.h that stores what a peer sends. */
#include "helpers.h"
#include "fixtures.h"

#include "attach.h"
#include "attach_git.h"

static struct {
	char *dir;
} g;

static char from[4200], to[4200], src[4200]; /* stores of the sender and the receiver */
static git_repository *repo;                 /* where batches are written and read */
static json_t *list;                         /* the record's signed list of attachments */
static git_oid record;

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
	n++;
	snprintf(name, sizeof name, "from%d", n);
	fx_path(from, sizeof from, g.dir, name);
	snprintf(name, sizeof name, "to%d", n);
	fx_path(to, sizeof to, g.dir, name);
	snprintf(name, sizeof name, "src%d", n);
	fx_path(src, sizeof src, g.dir, name);
	assert_int_equal(mkdir(from, 0700), 0);
	assert_int_equal(mkdir(to, 0700), 0);
	assert_int_equal(mkdir(src, 0700), 0);
	snprintf(name, sizeof name, "repo%d.git", n);
	repo = fx_repo_new(g.dir, name);
	list = json_array();
	assert_int_equal(git_oid_fromstr(&record, "0123456789abcdef0123456789abcdef01234567"), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(list);
	git_repository_free(repo);
	return 0;
}

/* Stores len pseudo-random bytes in the sender's store and lists them. */
static void attach(const char *name, size_t len, unsigned seed)
{
	char path[4300];
	unsigned char *data = malloc(len ? len : 1);
	civic_attachment a;
	size_t i;

	for (i = 0; i < len; i++)
		data[i] = (unsigned char)((seed * 2654435761u + i * 40503u) >> 7);
	snprintf(path, sizeof path, "%s/%s", src, name);
	fx_write_file(path, data, len);
	free(data);
	assert_civic_ok(civic_attach_store(&a, from, path));
	json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "name", a.name, "sha256", a.sha256,
					      "size", (json_int_t)a.size));
}

static const char *sha_of(size_t i)
{
	return json_string_value(json_object_get(json_array_get(list, i), "sha256"));
}

static civic_attach_state state_in(const char *store, size_t i)
{
	civic_attach_state s;

	assert_civic_ok(civic_attach_check(&s, store, sha_of(i),
					   (uint64_t)json_integer_value(json_object_get(json_array_get(list, i), "size")), 1));
	return s;
}

/* Temporary files left in the receiver's store. */
static size_t temporaries(void)
{
	char dir[4300];

	snprintf(dir, sizeof dir, "%s/sha256", to);
	return access(dir, F_OK) == 0 ? fx_count_entries(dir, ".tmp-") : 0;
}

static void read_batch(size_t *stored, size_t *bad, const git_oid *batch)
{
	char why[512];

	assert_civic_ok(civic_attach_batch_read(stored, bad, why, sizeof why, repo, batch, list, to));
}

static void test_refname_round_trip(void **state)
{
	civic_buf name = CIVIC_BUF_INIT;
	git_oid back;

	(void)state;
	assert_civic_ok(civic_attach_batch_refname(&name, &record));
	assert_string_equal(name.ptr, "refs/civic/attachments/0123456789abcdef0123456789abcdef01234567");
	assert_true(civic_attach_batch_parse_ref(&back, name.ptr));
	assert_true(git_oid_equal(&back, &record));
	assert_false(civic_attach_batch_parse_ref(&back, "refs/civic/attachments/0123"));
	assert_false(civic_attach_batch_parse_ref(&back, "refs/civic/attachments/0123456789ABCDEF0123456789abcdef01234567"));
	assert_false(civic_attach_batch_parse_ref(&back, "refs/civic/feeds/0123456789abcdef0123456789abcdef01234567"));
	civic_buf_dispose(&name);
}

static void test_round_trip_chunks_and_empty_file(void **state)
{
	size_t stored, bad;
	git_oid batch;

	(void)state;
	attach("big.jpg", 2 * CIVIC_ATTACH_CHUNK_SIZE + 123, 1); /* three chunks */
	attach("empty.txt", 0, 2);
	attach("exact.bin", CIVIC_ATTACH_CHUNK_SIZE, 3);         /* one full chunk */
	assert_civic_ok(civic_attach_batch_write(&batch, repo, &record, list, from));
	read_batch(&stored, &bad, &batch);
	assert_int_equal(stored, 3);
	assert_int_equal(bad, 0);
	assert_int_equal(state_in(to, 0), CIVIC_ATTACH_PRESENT);
	assert_int_equal(state_in(to, 1), CIVIC_ATTACH_PRESENT);
	assert_int_equal(state_in(to, 2), CIVIC_ATTACH_PRESENT);
	/* Read again: nothing is missing any more. */
	read_batch(&stored, &bad, &batch);
	assert_int_equal(stored, 0);
	assert_int_equal(bad, 0);
}

static void test_same_bytes_same_batch(void **state)
{
	git_repository *other = fx_repo_new(g.dir, "other.git");
	git_oid one, two;

	(void)state;
	attach("a.jpg", 5000, 4);
	attach("b.jpg", 7000, 5);
	assert_civic_ok(civic_attach_batch_write(&one, repo, &record, list, from));
	assert_civic_ok(civic_attach_batch_write(&two, other, &record, list, from));
	assert_true(git_oid_equal(&one, &two));
	git_repository_free(other);
}

static void test_missing_bytes_cannot_be_batched(void **state)
{
	git_oid batch;

	(void)state;
	attach("a.jpg", 5000, 6);
	json_object_set_new(json_array_get(list, 0), "sha256",
			    json_string("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
	assert_civic(CIVIC_EINVALID, civic_attach_batch_write(&batch, repo, &record, list, from));
}

/* A batch whose tree maps the first attachment to `chunks` instead. */
static void forged_batch(git_oid *out, const git_oid *chunks)
{
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id;

	assert_git_ok(git_treebuilder_new(&tb, repo, NULL));
	assert_git_ok(git_treebuilder_insert(NULL, tb, sha_of(0), chunks, GIT_FILEMODE_TREE));
	assert_git_ok(git_treebuilder_write(&tree_id, tb));
	assert_git_ok(git_tree_lookup(&tree, repo, &tree_id));
	assert_git_ok(git_signature_new(&sig, "x", "x@x", 0, 0));
	assert_git_ok(git_commit_create(out, repo, NULL, sig, sig, NULL, "x\n", tree, 0, NULL));
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
}

/* A chunk tree of the given blobs, named 00000000, 00000001, ... */
static void chunk_tree(git_oid *out, const git_oid *blobs, size_t n, git_filemode_t mode)
{
	git_treebuilder *tb = NULL;
	char name[24];
	size_t i;

	assert_git_ok(git_treebuilder_new(&tb, repo, NULL));
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%08zu", i);
		assert_git_ok(git_treebuilder_insert(NULL, tb, name, &blobs[i], mode));
	}
	assert_git_ok(git_treebuilder_write(out, tb));
	git_treebuilder_free(tb);
}

static void assert_refused(const git_oid *batch)
{
	size_t stored, bad;

	read_batch(&stored, &bad, batch);
	assert_int_equal(stored, 0);
	assert_int_equal(bad, 1);
	assert_int_equal(state_in(to, 0), CIVIC_ATTACH_MISSING);
	/* No temporary file is left behind in the store either. */
	assert_int_equal(temporaries(), 0);
}

static void test_other_bytes_refused(void **state)
{
	git_oid blob, tree, batch;

	(void)state;
	attach("a.jpg", 100, 7);
	fx_blob(&blob, repo, "one hundred bytes? no, these are other bytes entirely, and fewer of them too", 76);
	chunk_tree(&tree, &blob, 1, GIT_FILEMODE_BLOB);
	forged_batch(&batch, &tree);
	assert_refused(&batch);
}

static void test_same_size_other_bytes_refused(void **state)
{
	char other[100];
	git_oid blob, tree, batch;

	(void)state;
	attach("a.jpg", sizeof other, 8);
	memset(other, 'x', sizeof other);
	fx_blob(&blob, repo, other, sizeof other);
	chunk_tree(&tree, &blob, 1, GIT_FILEMODE_BLOB);
	forged_batch(&batch, &tree);
	assert_refused(&batch);
}

static void test_too_many_chunks_refused(void **state)
{
	git_oid blobs[3], tree, batch;

	(void)state;
	attach("a.jpg", 10, 9);
	fx_blob(&blobs[0], repo, "0123456789", 10);
	fx_blob(&blobs[1], repo, "0123456789", 10);
	fx_blob(&blobs[2], repo, "0123456789", 10);
	chunk_tree(&tree, blobs, 3, GIT_FILEMODE_BLOB);
	forged_batch(&batch, &tree);
	assert_refused(&batch);
}

static void test_oversized_chunk_refused(void **state)
{
	char *big = calloc(1, CIVIC_ATTACH_CHUNK_SIZE + 1);
	git_oid blob, tree, batch;

	(void)state;
	attach("a.jpg", CIVIC_ATTACH_CHUNK_SIZE + 1, 10); /* two chunks are due */
	fx_blob(&blob, repo, big, CIVIC_ATTACH_CHUNK_SIZE + 1);
	free(big);
	chunk_tree(&tree, &blob, 1, GIT_FILEMODE_BLOB);
	forged_batch(&batch, &tree);
	assert_refused(&batch);
}

static void test_chunk_that_is_a_tree_refused(void **state)
{
	git_oid blob, inner, tree, batch;

	(void)state;
	attach("a.jpg", 10, 11);
	fx_blob(&blob, repo, "0123456789", 10);
	chunk_tree(&inner, &blob, 1, GIT_FILEMODE_BLOB);
	chunk_tree(&tree, &inner, 1, GIT_FILEMODE_TREE);
	forged_batch(&batch, &tree);
	assert_refused(&batch);
}

static void test_batch_that_is_not_a_commit(void **state)
{
	size_t stored, bad;
	git_oid blob;

	(void)state;
	attach("a.jpg", 10, 12);
	fx_blob(&blob, repo, "not a commit", 12);
	read_batch(&stored, &bad, &blob);
	assert_int_equal(stored, 0);
	assert_int_equal(bad, 1);
}

static void test_batch_lacking_the_attachment(void **state)
{
	git_oid batch;

	(void)state;
	attach("a.jpg", 10, 13);
	assert_civic_ok(civic_attach_batch_write(&batch, repo, &record, list, from));
	attach("b.jpg", 20, 14); /* listed after the batch was made */
	{
		size_t stored, bad;
		read_batch(&stored, &bad, &batch);
		assert_int_equal(stored, 1);
		assert_int_equal(bad, 1);
	}
}

static void test_writer_refuses_other_bytes(void **state)
{
	civic_attach_writer *w = NULL;

	(void)state;
	attach("a.jpg", 10, 15);
	assert_civic_ok(civic_attach_writer_new(&w, to));
	assert_civic_ok(civic_attach_writer_write(w, "0123456789", 10));
	assert_civic(CIVIC_EBADSIG, civic_attach_writer_commit(w, sha_of(0), 10));
	civic_attach_writer_free(w);
	assert_int_equal(state_in(to, 0), CIVIC_ATTACH_MISSING);
	assert_int_equal(temporaries(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refname_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_chunks_and_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_bytes_same_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_bytes_cannot_be_batched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_bytes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_size_other_bytes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_chunks_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_chunk_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunk_that_is_a_tree_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_that_is_not_a_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_lacking_the_attachment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_refuses_other_bytes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
