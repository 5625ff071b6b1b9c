/*
 * gen_archive.c - builds a node home whose archive holds N records, for the
 * benchmarks (bench/run.sh).
 *
 *   gen_archive HOME N
 *
 * HOME must not exist. It becomes a Civic Center node (unencrypted key, so
 * that `civic add` needs no passphrase), creates the network (the roster's
 * first commit) and appends N records to its own feed with the real
 * civic_feed_append(): every record is schema-checked, signed and committed
 * exactly as `civic add` does it.
 *
 * Two shortcuts, for generation speed only: fsync is turned off, and new
 * objects go to an in-memory object database (a libgit2 mempack) that is
 * written out as a pack every FLUSH_EVERY records, instead of as hundreds of
 * thousands of loose files. References and reflogs are written as usual. bench/run.sh then
 * repacks with stock `git repack -adq`, which is the state that is measured.
 */
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include "bench_common.h"
#define BENCH_PROGRAM "gen_archive"
#include "bench_fail.h"
#include "civic.h"
#include "error.h"
#include "feed.h"
#include "key.h"
#include "node.h"
#include "roster.h"
#include "schema_store.h"

#define FLUSH_EVERY 10000

/*
 * An object database backend that keeps new objects in a mempack and
 * remembers their ids, so that a flush packs exactly those objects.
 * (git_mempack_dump() walks the whole tree of every commit it holds, which
 * makes it quadratic over a growing feed.)
 */
typedef struct {
	git_odb_backend parent;
	git_odb_backend *mem;
	git_oid *ids;
	size_t count, alloc;
} recorder;

static int rec_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b,
		    const git_oid *id)
{
	recorder *r = (recorder *)b;
	return r->mem->read(data, len, type, r->mem, id);
}

static int rec_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	recorder *r = (recorder *)b;
	return r->mem->read_header(len, type, r->mem, id);
}

static int rec_exists(git_odb_backend *b, const git_oid *id)
{
	recorder *r = (recorder *)b;
	return r->mem->exists(r->mem, id);
}

static int rec_write(git_odb_backend *b, const git_oid *id, const void *data, size_t len,
		     git_object_t type)
{
	recorder *r = (recorder *)b;
	int error;

	if (r->count == r->alloc) {
		size_t n = r->alloc ? r->alloc * 2 : 4096;
		git_oid *p = realloc(r->ids, n * sizeof *p);
		if (!p)
			return -1;
		r->ids = p;
		r->alloc = n;
	}
	if ((error = r->mem->write(r->mem, id, data, len, type)) == 0)
		git_oid_cpy(&r->ids[r->count++], id);
	return error;
}

static void rec_free(git_odb_backend *b)
{
	recorder *r = (recorder *)b;

	r->mem->free(r->mem);
	free(r->ids);
	free(r);
}

static int recorder_new(recorder **out)
{
	recorder *r = calloc(1, sizeof *r);

	*out = NULL;
	if (!r || git_odb_init_backend(&r->parent, GIT_ODB_BACKEND_VERSION) < 0 ||
	    git_mempack_new(&r->mem) < 0) {
		free(r);
		return -1;
	}
	r->parent.read = rec_read;
	r->parent.read_header = rec_read_header;
	r->parent.exists = rec_exists;
	r->parent.write = rec_write;
	r->parent.free = rec_free;
	*out = r;
	return 0;
}

/* Hands the pack to the indexer as the network would, in pieces: libgit2
 * 1.5's indexer, with civic's 4 MiB pack windows, now and then refused a
 * whole 20 MB pack given in one call ("unexpected data at the end of the
 * pack"). */
static int append_pieces(git_odb_writepack *wp, const git_buf *pack, git_indexer_progress *stats)
{
	size_t off, piece = 64 * 1024;
	int error = 0;

	for (off = 0; off < pack->size && error == 0; off += piece)
		error = wp->append(wp, pack->ptr + off, pack->size - off < piece ? pack->size - off : piece, stats);
	return error;
}

/* Writes the objects the recorder holds into the repository as one pack, then empties it. */
static int flush(git_repository *repo, git_odb *odb, recorder *r)
{
	git_buf pack = GIT_BUF_INIT;
	git_packbuilder *pb = NULL;
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats;
	size_t i;
	int error;

	memset(&stats, 0, sizeof stats);
	error = git_packbuilder_new(&pb, repo);
	for (i = 0; error == 0 && i < r->count; i++)
		error = git_packbuilder_insert(pb, &r->ids[i], NULL);
	if (error < 0 || (error = git_packbuilder_write_buf(&pack, pb)) < 0 ||
	    (error = git_odb_write_pack(&wp, odb, NULL, NULL)) < 0 ||
	    (error = append_pieces(wp, &pack, &stats)) < 0 ||
	    (error = wp->commit(wp, &stats)) < 0) {
		git_fail("cannot write a pack");
		error = -1;
	}
	if (wp)
		wp->free(wp);
	git_packbuilder_free(pb);
	git_buf_dispose(&pack);
	if (error == 0) {
		if (git_mempack_reset(r->mem) < 0)
			return git_fail("cannot reset the mempack"), -1;
		r->count = 0;
	}
	return error;
}

int main(int argc, char **argv)
{
	civic_node_init_options o = CIVIC_NODE_INIT_OPTIONS_INIT;
	civic_schemas *schemas = NULL;
	civic_node *node = NULL;
	civic_key *key = NULL;
	recorder *rec = NULL;
	git_odb *odb = NULL;
	git_repository *repo;
	git_oid network, id;
	char network_hex[GIT_OID_HEXSZ + 1];
	const char *home;
	unsigned long long n, seq;
	char *end;
	double t0, t1;
	int rc = 1;

	if (argc != 3 || (n = strtoull(argv[2], &end, 10), *end) || n < 1 || n > CIVIC_FEED_MAX_SEQ) {
		fprintf(stderr, "usage: gen_archive HOME N (N from 1 to %u)\n", CIVIC_FEED_MAX_SEQ);
		return 2;
	}
	home = argv[1];
	if (civic_global_init() < 0)
		return fail("init");
	/* Generation only: the benchmarks themselves run with civic's settings. */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0) < 0)
		return git_fail("cannot turn fsync off");

	o.name = "Граждански център – Кюстендил";
	o.municipality = "kyustendil";
	o.role = "civic-center";
	if (civic_key_generate(&key) < 0)
		return fail("cannot generate a key");
	if (civic_node_create(home, &o, key, NULL, 0) < 0) {
		fail("cannot create the node");
		goto done;
	}
	if (civic_node_open(&node, home, CIVIC_NODE_WRITE) < 0) {
		fail("cannot open the node");
		goto done;
	}
	repo = civic_node_repository(node);
	if (civic_roster_create(&network, repo, key, "НПО Мрежа на област Кюстендил",
				civic_node_name(node), civic_node_municipality(node)) < 0 ||
	    civic_node_set_network(node, git_oid_tostr(network_hex, sizeof network_hex, &network)) < 0) {
		fail("cannot create the network");
		goto done;
	}
	if (civic_schemas_new(&schemas) < 0) {
		fail("cannot load the schemas");
		goto done;
	}
	if (git_repository_odb(&odb, repo) < 0 || recorder_new(&rec) < 0 ||
	    git_odb_add_backend(odb, &rec->parent, 1000) < 0) {
		git_fail("cannot set up the in-memory object database");
		goto done;
	}

	t0 = bench_now();
	for (seq = 1; seq <= n; seq++) {
		json_t *record = bench_record(seq);
		int error;

		if (!record) {
			fprintf(stderr, "gen_archive: cannot build record %llu\n", seq);
			goto done;
		}
		error = civic_feed_append(&id, repo, key, civic_node_name(node), network_hex, schemas,
					  record);
		json_decref(record);
		if (error < 0) {
			fail("cannot append a record");
			goto done;
		}
		if (seq % FLUSH_EVERY == 0 || seq == n) {
			if (flush(repo, odb, rec) < 0)
				goto done;
			t1 = bench_now();
			fprintf(stderr, "\rgen_archive: %llu/%llu records, %.0f records/s", seq, n,
				(double)seq / (t1 - t0));
		}
	}
	fprintf(stderr, "\n");
	rc = 0;
done:
	git_odb_free(odb); /* frees the recorder with it */
	civic_schemas_free(schemas);
	civic_node_free(node);
	civic_key_free(key);
	civic_global_shutdown();
	return rc;
}
