/* cmd_audit.c - civic audit: verify everything; exit 0 only when all is sound. */
#include "cmd.h"
#include "audit.h"
#include "error.h"

#include <getopt.h>

#define COMMAND_NAME "audit"

static const char usage[] =
	N_("usage: civic audit [--json] [--no-rehash]\n"
	   "  --no-rehash checks attachment sizes only, not their SHA-256\n");

static void show_progress(size_t done, void *payload)
{
	(void)payload;
	/* \r returns to the line's start: one progress line that updates. */
	fputc('\r', stderr);
	fprintf(stderr, _("audit: %zu records verified"), done);
	fflush(stderr);
}

static json_t *report_json(const civic_audit_report *r, const char *network)
{
	json_t *findings = json_array();
	size_t i;

	for (i = 0; i < r->findings_count; i++) {
		const civic_finding *f = &r->findings[i];
		json_array_append_new(findings, json_pack("{s:s, s:s, s:s, s:s}",
			"level", civic_finding_level_name(f->level), "feed", f->feed,
			"commit", f->commit, "message", f->message));
	}
	return json_pack("{s:s, s:b, s:b, s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}, s:o}",
		"network", network, "sound", civic_audit_sound(r), "roster_ok", r->roster_ok,
		"forks", (json_int_t)r->forks, "forks_settled", (json_int_t)r->forks_settled,
		"members", "count", (json_int_t)r->members, "revoked", (json_int_t)r->revoked_members,
		"feeds", "count", (json_int_t)r->feeds, "bad", (json_int_t)r->feeds_bad,
		"records", "valid", (json_int_t)r->records_valid, "pending", (json_int_t)r->records_pending,
		"revoked", (json_int_t)r->records_revoked,
		"attachments", "present", (json_int_t)r->attachments_present,
		"missing", (json_int_t)r->attachments_missing, "corrupt", (json_int_t)r->attachments_corrupt,
		"purged", (json_int_t)r->attachments_purged, "findings", findings);
}

static void report_text(const civic_audit_report *r)
{
	size_t i;

	for (i = 0; i < r->findings_count; i++) {
		const civic_finding *f = &r->findings[i];
		printf("%-8s %s%s%.12s%s%s\n", civic_finding_level_name(f->level),
		       f->feed[0] ? "feed " : "", f->feed[0] ? "" : "", f->feed,
		       f->commit[0] ? " commit " : "", f->commit);
		printf("         %s\n", f->message);
	}
	printf(_("members: %zu (%zu revoked); feeds: %zu (%zu bad); records: %zu valid, %zu pending, "
		 "%zu after revocation; attachments: %zu present, %zu missing, %zu corrupt\n"),
	       r->members, r->revoked_members, r->feeds, r->feeds_bad, r->records_valid,
	       r->records_pending, r->records_revoked, r->attachments_present,
	       r->attachments_missing, r->attachments_corrupt);
	if (r->attachments_purged)
		printf(_("attachments purged by retractions: %zu\n"), r->attachments_purged);
	if (r->forks)
		printf(_("forks: %zu second signed histories kept as evidence; their authors must say which stands "
			 "(civic fork resolve)\n"), r->forks);
	printf("%s\n", civic_audit_sound(r) ? _("audit: sound") : _("audit: FAILED"));
}

int cmd_audit(const cli_context *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-rehash", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	civic_audit_options o = CIVIC_AUDIT_OPTIONS_INIT;
	civic_audit_report report;
	civic_schemas *schemas = NULL;
	civic_node *node = NULL;
	const char *network;
	json_t *out;
	int json = 0, c, error, code;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'n': o.rehash_attachments = 0; break;
		case 'h': printf("%s", _(usage)); return CLI_EXIT_OK;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if (ctx->is_tty && !json)
		o.progress = show_progress;
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_READ)) < 0 ||
	    (error = cli_require_network(&network, node)) < 0 ||
	    (error = civic_schemas_new(&schemas)) < 0 ||
	    (error = civic_audit_run(&report, civic_node_repository(node), network,
				     civic_node_attachments_dir(node), schemas, &o)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	if (o.progress && report.records_valid + report.records_pending + report.records_revoked >= 1000)
		fputc('\n', stderr);
	if (json) {
		out = report_json(&report, network);
		if (!out || cli_print_json(out) < 0)
			error = CIVIC_ERROR;
		json_decref(out);
	} else {
		report_text(&report);
	}
	code = error < 0 ? cli_error_civic(error) : civic_audit_sound(&report) ? CLI_EXIT_OK : CLI_EXIT_FAILED;
	civic_audit_report_dispose(&report);
done:
	civic_schemas_free(schemas);
	civic_node_free(node);
	return code;
}
