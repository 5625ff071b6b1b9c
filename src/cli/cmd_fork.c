/* cmd_fork.c - civic fork list|resolve: second signed histories, and the
 * author's word on which one stands. */
#include "cmd.h"
#include "error.h"
#include "fork.h"
#include "municipality.h"
#include "text.h"

#include <string.h>
#include <unistd.h>

#define COMMAND_NAME "fork"

static const char usage[] =
	N_("usage: civic fork list [--json]\n"
	   "       civic fork resolve (--keep COMMIT | --abandon COMMIT) --reason TEXT [--passphrase-file FILE]\n"
	   "  resolve: for this node's own feed, the history whose head is COMMIT stands\n"
	   "  (the feed's head, or a fork kept as evidence); a signed fork-resolution\n"
	   "  record abandons the other, and every node follows it when it syncs.\n"
	   "  For the roster (COMMIT is its head or a roster fork), an admin signs a\n"
	   "  settlement that joins both rosters, COMMIT's first; every node holding\n"
	   "  either takes it when it syncs. A roster fork that no settlement can take\n"
	   "  in (one signed by a key the other revokes) is left open: --abandon COMMIT,\n"
	   "  its head, abandons it by a fork-resolution record in this node's feed\n");

static json_t *fork_json(const civic_fork *f, const civic_roster *roster)
{
	const civic_member *m = f->roster || !roster ? NULL : civic_roster_find(roster, &f->author);
	char head[GIT_OID_HEXSZ + 1], res[GIT_OID_HEXSZ + 1], hex[CIVIC_PUBKEY_HEX_LEN + 1] = "";

	if (!f->roster)
		civic_pubkey_to_hex(hex, &f->author);
	return json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s}", "ref", f->refname, "feed", f->roster ? "" : hex,
			 "name", m ? m->name : NULL, "head", git_oid_tostr(head, sizeof head, &f->head),
			 "state", civic_fork_state_name(f->state),
			 "resolution", f->state == CIVIC_FORK_ABANDONED ? git_oid_tostr(res, sizeof res, &f->resolution) : "");
}

static void print_fork(const civic_fork *f, const civic_roster *roster)
{
	const civic_member *m = f->roster || !roster ? NULL : civic_roster_find(roster, &f->author);
	char head[GIT_OID_HEXSZ + 1];

	printf("%-10s %s  ", civic_fork_state_name(f->state), git_oid_tostr(head, sizeof head, &f->head));
	if (f->roster) {
		fputs(_("the roster"), stdout);
	} else if (m) {
		cli_print_safe(m->name, 0);
		printf(" (%s)", civic_municipality_name(m->municipality));
	} else {
		cli_print_safe(f->refname, 0);
	}
	putchar('\n');
}

static int fork_list(const cli_context *ctx, int argc, char **argv)
{
	civic_schemas *schemas = NULL;
	civic_roster *roster = NULL;
	civic_node *node = NULL;
	civic_fork *forks = NULL;
	const char *network;
	json_t *list = NULL;
	size_t n = 0, i;
	int json = 0, error, code;
	const cli_option opts[] = { { "json", NULL, &json }, { NULL, NULL, NULL } };

	if ((code = cli_parse_options(argc, argv, opts, _(usage))) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (optind != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_READ)) < 0 ||
	    (error = cli_require_network(&network, node)) < 0 ||
	    (error = civic_schemas_new(&schemas)) < 0)
		goto done;
	if ((error = cli_load_roster(&roster, node)) == CIVIC_ENOTFOUND)
		error = 0;
	if (error < 0 || (error = civic_fork_list(&forks, &n, civic_node_repository(node), network, roster,
						  schemas)) < 0)
		goto done;
	if (json) {
		list = json_array();
		for (i = 0; list && i < n; i++)
			json_array_append_new(list, fork_json(&forks[i], roster));
		error = list ? cli_print_json(list) : CIVIC_ERROR;
	} else {
		for (i = 0; i < n; i++)
			print_fork(&forks[i], roster);
	}
done:
	if (error < 0)
		code = cli_error_civic(error);
	json_decref(list);
	free(forks);
	civic_roster_free(roster);
	civic_schemas_free(schemas);
	civic_node_free(node);
	return code;
}

/* A roster fork no settlement can take in: the others are settled, this
 * one stays kept as evidence. */
static void print_left_open(const git_oid *head, const char *why, void *payload)
{
	char hex[GIT_OID_HEXSZ + 1];

	(void)payload;
	fprintf(stderr, _("civic: roster fork %.12s left open: %s\n"), git_oid_tostr(hex, sizeof hex, head), why);
}

/* What --keep or --abandon asks, once the node, its key and schemas are
 * open: a record or the roster's new head goes to *id. */
static int resolve(git_oid *id, civic_node *node, const civic_key *key, const char *network,
		   const civic_schemas *schemas, const git_oid *commit, int abandon, const char *reason)
{
	git_repository *repo = civic_node_repository(node);

	if (abandon)
		return civic_fork_abandon_roster(id, repo, key, civic_node_name(node), network, schemas, commit, reason);
	if (civic_fork_names_roster(repo, commit))
		return civic_fork_resolve_roster(id, repo, key, network, schemas, commit, reason, print_left_open, NULL);
	return civic_fork_resolve(id, repo, key, civic_node_name(node), network, schemas, commit, reason);
}

static int fork_resolve(const cli_context *ctx, int argc, char **argv)
{
	const char *keep_text = NULL, *abandon_text = NULL, *reason = NULL, *pass_file = NULL, *network;
	civic_schemas *schemas = NULL;
	civic_node *node = NULL;
	civic_key *key = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid commit, id;
	int roster, error, code;
	const cli_option opts[] = { { "keep", &keep_text, NULL },
				    { "abandon", &abandon_text, NULL },
				    { "reason", &reason, NULL },
				    { "passphrase-file", &pass_file, NULL },
				    { NULL, NULL, NULL } };

	if ((code = cli_parse_options(argc, argv, opts, _(usage))) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (optind != argc || !keep_text == !abandon_text || !reason)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = civic_text_check_name(reason, 300, "the reason")) < 0 ||
	    (error = cli_open_node(&node, ctx, CIVIC_NODE_WRITE)) < 0 ||
	    (error = cli_require_network(&network, node)) < 0 ||
	    (error = cli_resolve_commit(&commit, civic_node_repository(node), keep_text ? keep_text : abandon_text)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	/* --keep for the roster writes to the roster; for a feed, to this node's
	 * feed; --abandon writes to the feed what the roster says is open. */
	roster = keep_text && civic_fork_names_roster(civic_node_repository(node), &commit);
	if ((abandon_text && (error = cli_check_caught_up(node, CIVIC_ROSTER_REF)) < 0) ||
	    (error = cli_check_caught_up(node, roster ? CIVIC_ROSTER_REF : NULL)) < 0 ||
	    (error = civic_schemas_new(&schemas)) < 0 || (error = cli_load_key(&key, node, pass_file)) < 0 ||
	    (error = resolve(&id, node, key, network, schemas, &commit, abandon_text != NULL, reason)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	printf("%s\n", git_oid_tostr(hex, sizeof hex, &id));
done:
	civic_key_free(key);
	civic_schemas_free(schemas);
	civic_node_free(node);
	return code;
}

int cmd_fork(const cli_context *ctx, int argc, char **argv)
{
	static const cli_subcommand subs[] = {
		{ "list", fork_list }, { "resolve", fork_resolve }, { NULL, NULL },
	};
	return cli_run_subcommand(ctx, argc, argv, subs, _(usage));
}
