/* cmd_fetch_attachments.c - civic fetch-attachments: the attachment bytes
 * this node still lacks, from its peers. */
#include "cmd.h"
#include "attach_index.h"
#include "attach_sync.h"
#include "error.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define COMMAND_NAME "fetch-attachments"

static const char usage[] =
	N_("usage: civic fetch-attachments (--all | ID...) [--from NAME|URL]... [--rehash] [--json]\n"
	   "  the attachments of the records named (or of all records) that this node\n"
	   "  lacks, from the peers (or those given with --from), each checked against\n"
	   "  its signed record; what arrives stays even when a link drops\n"
	   "  --rehash  also hash the attachments held: one whose bytes are not the signed\n"
	   "            ones (civic audit calls it corrupt) is removed and fetched again\n");

typedef struct {
	int all, json, rehash;
	char **from;
	size_t nfrom;
} fetch_args;

static int parse(fetch_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "from", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "rehash", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof *a);
	if (!(a->from = calloc((size_t)argc + 1, sizeof *a->from)))
		return cli_error_civic(civic_error_nomem());
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': a->all = 1; break;
		case 'f': a->from[a->nfrom++] = optarg; break;
		case 'j': a->json = 1; break;
		case 'r': a->rehash = 1; break;
		case 'h': printf("%s", _(usage)); return -1;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (a->all == (optind < argc))
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	return 0;
}

/* The records named: each must be one of the archive that has attachments,
 * and that no retraction purged. */
static int resolve_ids(git_oid **out, civic_node *node, char **args, size_t n)
{
	civic_attach_holding *held = NULL;
	civic_roster *roster = NULL;
	char by[GIT_OID_HEXSZ + 1];
	size_t nheld = 0, i, j;
	int error;

	if (!(*out = calloc(n ? n : 1, sizeof **out)))
		return civic_error_nomem();
	if (cli_load_roster(&roster, node) < 0)
		roster = NULL;
	civic_error_clear();
	error = civic_attach_index_read(&held, &nheld, civic_node_repository(node), roster, civic_node_tmp_dir(node));
	civic_roster_free(roster);
	for (i = 0; i < n && error == 0; i++) {
		if ((error = cli_resolve_commit(&(*out)[i], civic_node_repository(node), args[i])) < 0)
			break;
		for (j = 0; j < nheld && !git_oid_equal(&held[j].record, &(*out)[i]); j++)
			;
		if (j == nheld) {
			civic_error_set(CIVIC_ERROR_ARGS, "'%s' is not a record with attachments", args[i]);
			error = CIVIC_ENOTFOUND;
		} else if (held[j].purged) {
			civic_error_set(CIVIC_ERROR_ARGS, "the attachments of '%s' were purged by retraction %s",
					args[i], git_oid_tostr(by, sizeof by, &held[j].purged_by));
			error = CIVIC_EINVALID;
		}
	}
	civic_attach_holdings_free(held, nheld);
	return error;
}

int cmd_fetch_attachments(const cli_context *ctx, int argc, char **argv)
{
	civic_attach_sync_options o = CIVIC_ATTACH_SYNC_OPTIONS_INIT;
	civic_attach_sync_report r, total;
	civic_peer **targets = NULL, *adhoc = NULL;
	civic_peers *peers = NULL;
	civic_node *node = NULL;
	const char *network;
	git_oid *ids = NULL;
	json_t *out = NULL;
	fetch_args a;
	size_t n = 0, i;
	int error, code = CLI_EXIT_OK, failed = 0;

	if ((code = parse(&a, argc, argv)) != 0) {
		free(a.from);
		return code < 0 ? CLI_EXIT_OK : code;
	}
	memset(&total, 0, sizeof total);
	o.push = 0;
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_WRITE)) < 0 ||
	    (error = cli_require_network(&network, node)) < 0 ||
	    (error = civic_peers_load(&peers, civic_node_path(node))) < 0 ||
	    (!a.all && (error = resolve_ids(&ids, node, argv + optind, (size_t)(argc - optind))) < 0) ||
	    !(adhoc = calloc(a.nfrom + 1, sizeof *adhoc)) ||
	    (error = cli_pick_peers(&targets, &n, adhoc, peers, a.from, a.nfrom)) < 0) {
		code = cli_error_civic(error < 0 ? error : civic_error_nomem());
		goto done;
	}
	o.only = ids;
	o.nonly = a.all ? 0 : (size_t)(argc - optind);
	o.rehash = a.rehash;
	out = a.json ? json_array() : NULL;
	/* Peer after peer: each is asked only for what is still missing. */
	for (i = 0; i < n; i++) {
		error = civic_attach_sync_peer(&r, node, targets[i], &o);
		if (error < 0) {
			failed++;
			if (!a.json)
				cli_error_civic(error);
		}
		total.stored += r.stored;
		total.refused += r.refused;
		/* Hashed once: the next peer is asked for what is still missing. */
		o.rehash = 0;
		if (a.json)
			json_array_append_new(out, json_pack("{s:s, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:s}", "peer",
				targets[i]->name, "ok", error == 0, "error", error < 0 ? civic_error_last()->message : "",
				"stored", (json_int_t)r.stored, "refused", (json_int_t)r.refused,
				"not_on_peer", (json_int_t)r.not_on_peer, "corrupt", (json_int_t)r.corrupt,
				"purged", (json_int_t)r.purged, "reason", r.why));
		else if (error == 0) {
			if (r.purged)
				printf(_("attachments: %zu files removed, purged by a signed retraction\n"), r.purged);
			if (r.corrupt)
				printf(_("%zu attachments held were not the signed bytes: removed, to be fetched again\n"),
				       r.corrupt);
			printf(_("%s: %zu attachments stored, %zu refused; %zu records' attachments not there\n"),
			       targets[i]->name, r.stored, r.refused, r.not_on_peer);
			if (r.refused) {
				fputs("  ", stdout);
				cli_print_safe(r.why, 0);
				putchar('\n');
			}
		}
	}
	if (a.json && cli_print_json(out) < 0)
		code = cli_error_civic(CIVIC_ERROR);
	else if (failed)
		code = CLI_EXIT_FATAL;
	else if (total.refused)
		code = CLI_EXIT_FAILED;
done:
	for (i = 0; adhoc && i < a.nfrom; i++)
		civic_peer_dispose(&adhoc[i]);
	free(adhoc);
	free(targets);
	free(ids);
	free(a.from);
	json_decref(out);
	civic_peers_free(peers);
	civic_node_free(node);
	return code;
}
