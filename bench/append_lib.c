/*
 * append_lib.c - times civic_feed_append() in-process: the append alone,
 * without `civic add`'s process start-up, node opening, key loading and
 * schema compilation. civic's own settings apply (civic_global_init: fsync
 * of objects and refs on).
 *
 *   append_lib HOME [RUNS]
 *
 * Appends 1 + RUNS records (the first is a warm-up, not counted) to the
 * node's own feed and prints key=value lines for bench/run.sh.
 */
#include "bench_common.h"
#include "civic.h"
#include "error.h"
#include "feed.h"
#include "node.h"
#include "schema_store.h"

int main(int argc, char **argv)
{
	civic_schemas *schemas = NULL;
	civic_node *node = NULL;
	civic_key *key = NULL;
	double times[256], t0;
	git_oid id;
	int runs = argc > 2 ? atoi(argv[2]) : 15, i, rc = 1;

	if (argc < 2 || argc > 3 || runs < 1 || runs > 255) {
		fprintf(stderr, "usage: append_lib HOME [RUNS (1-255)]\n");
		return 2;
	}
	if (civic_global_init() < 0 || civic_node_open(&node, argv[1], CIVIC_NODE_WRITE) < 0 ||
	    civic_node_load_key(&key, node, NULL, 0) < 0 || civic_schemas_new(&schemas) < 0)
		goto fail;
	if (!civic_node_network(node)) {
		fprintf(stderr, "append_lib: the node has no network\n");
		goto done;
	}
	for (i = 0; i <= runs; i++) {
		/* A record number far from the archive's own, so its text is new. */
		json_t *record = bench_record(90000000u + (uint64_t)i);
		int error;

		if (!record) {
			fprintf(stderr, "append_lib: out of memory\n");
			goto done;
		}
		t0 = bench_now();
		error = civic_feed_append(&id, civic_node_repository(node), key, civic_node_name(node),
					  civic_node_network(node), schemas, record);
		if (i > 0)
			times[i - 1] = bench_now() - t0;
		json_decref(record);
		if (error < 0)
			goto fail;
	}
	printf("append_lib_runs=%d\n", runs);
	printf("append_lib_s=%.6f\n", bench_median(times, (size_t)runs));
	printf("append_lib_min_s=%.6f\n", times[0]);
	printf("append_lib_max_s=%.6f\n", times[runs - 1]);
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "append_lib: %s\n", civic_error_last()->message);
done:
	civic_key_free(key);
	civic_schemas_free(schemas);
	civic_node_free(node);
	civic_global_shutdown();
	return rc;
}
