/*
 * audit_lib.c - times civic_audit_run() in-process, without `civic`'s
 * start-up and output, as `civic audit --no-rehash` runs it.
 *
 *   audit_lib HOME [RUNS]
 *
 * Each run opens the node afresh, so that no run starts with the objects
 * the one before left in libgit2's cache, as each `civic audit` does.
 * Prints key=value lines for bench/run.sh: the median of RUNS audits, the
 * records it verified and whether the archive is sound.
 */
#include "audit.h"
#include "bench_common.h"
#include "civic.h"
#include "error.h"
#include "node.h"
#include "schema_store.h"

int main(int argc, char **argv)
{
	civic_audit_options o = CIVIC_AUDIT_OPTIONS_INIT;
	civic_audit_report report;
	civic_schemas *schemas = NULL;
	civic_node *node = NULL;
	double times[64], t0, schemas_s;
	size_t records = 0;
	int runs = argc > 2 ? atoi(argv[2]) : 3, i, sound = 1, rc = 1;

	if (argc < 2 || argc > 3 || runs < 1 || runs > 64) {
		fprintf(stderr, "usage: audit_lib HOME [RUNS (1-64)]\n");
		return 2;
	}
	o.rehash_attachments = 0;
	if (civic_global_init() < 0 || civic_node_open(&node, argv[1], CIVIC_NODE_READ) < 0)
		goto fail;
	if (!civic_node_network(node)) {
		fprintf(stderr, "audit_lib: the node has no network\n");
		goto done;
	}
	t0 = bench_now();
	if (civic_schemas_new(&schemas) < 0)
		goto fail;
	schemas_s = bench_now() - t0;
	for (i = 0; i < runs; i++) {
		civic_node_free(node);
		if (civic_node_open(&node, argv[1], CIVIC_NODE_READ) < 0)
			goto fail;
		t0 = bench_now();
		if (civic_audit_run(&report, civic_node_repository(node), civic_node_network(node),
				    civic_node_attachments_dir(node), schemas, &o) < 0)
			goto fail;
		times[i] = bench_now() - t0;
		records = report.records_valid + report.records_pending + report.records_revoked;
		sound = sound && civic_audit_sound(&report);
		civic_audit_report_dispose(&report);
	}
	printf("audit_lib_records=%zu\n", records);
	printf("audit_lib_sound=%d\n", sound);
	printf("audit_lib_schemas_s=%.6f\n", schemas_s);
	printf("audit_lib_s=%.6f\n", bench_median(times, (size_t)runs));
	rc = sound ? 0 : 1;
	goto done;
fail:
	fprintf(stderr, "audit_lib: %s\n", civic_error_last()->message);
done:
	civic_schemas_free(schemas);
	civic_node_free(node);
	civic_global_shutdown();
	return rc;
}
