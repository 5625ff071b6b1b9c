/* cmd_network.c - civic network create|join|show. */
#include "cmd.h"
#include "error.h"
#include "municipality.h"
#include "text.h"

#include <string.h>
#include <unistd.h>

#define COMMAND_NAME "network"

static const char usage[] =
	N_("usage: civic network create --name NAME [--passphrase-file FILE]\n"
	   "       civic network join NETWORK_ID\n"
	   "       civic network show [--json]\n");

/* A create interrupted after the roster's first commit but before the id was
 * pinned is finished by running it again: the roster here must be one this
 * node's key created, under the same name. */
static int find_own_network(git_oid *out, const civic_node *node, const char *name)
{
	civic_roster *roster = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	if ((error = civic_roster_root(out, civic_node_repository(node))) < 0 ||
	    (error = civic_roster_load(&roster, civic_node_repository(node),
				       git_oid_tostr(hex, sizeof hex, out))) < 0)
		return error;
	if (strcmp(civic_roster_network_name(roster), name) ||
	    !civic_pubkey_equal(&civic_roster_get(roster, 0)->key, civic_node_public_key(node))) {
		civic_error_set(CIVIC_ERROR_ROSTER, "this node holds the roster of another network already");
		error = CIVIC_EEXISTS;
	}
	civic_roster_free(roster);
	return error;
}

static int network_create(const cli_context *ctx, int argc, char **argv)
{
	const char *name = NULL, *pass_file = NULL;
	civic_node *node = NULL;
	civic_key *key = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;
	int error, code;

	const cli_option opts[] = { { "name", &name, NULL }, { "passphrase-file", &pass_file, NULL },
				    { NULL, NULL, NULL } };

	if ((code = cli_parse_options(argc, argv, opts, _(usage))) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (optind != argc || !name)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if (civic_text_check_name(name, 200, "the network's name") < 0)
		return cli_error_civic(CIVIC_EINVALID);
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_WRITE)) < 0)
		return cli_error_civic(error);
	if (strcmp(civic_node_role(node), "civic-center")) {
		code = cli_fail(CLI_EXIT_FAILED, _("only a civic-center node can create a network"));
		goto done;
	}
	if (civic_node_network(node)) {
		code = cli_fail(CLI_EXIT_FAILED, _("this node belongs to network %s already"),
				civic_node_network(node));
		goto done;
	}
	if ((error = cli_load_key(&key, node, pass_file)) < 0 ||
	    ((error = civic_roster_create(&id, civic_node_repository(node), key, name,
					  civic_node_name(node), civic_node_municipality(node))) < 0 &&
	     (error != CIVIC_EEXISTS || (error = find_own_network(&id, node, name)) < 0)) ||
	    (error = civic_node_set_network(node, git_oid_tostr(hex, sizeof hex, &id))) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	printf("%s\n", hex);
	code = CLI_EXIT_OK;
done:
	civic_key_free(key);
	civic_node_free(node);
	return code;
}

static int network_join(const cli_context *ctx, int argc, char **argv)
{
	civic_node *node = NULL;
	int error, code;

	const cli_option opts[] = { { NULL, NULL, NULL } };

	if ((code = cli_parse_options(argc, argv, opts, _(usage))) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (optind + 1 != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if (!civic_network_id_valid(argv[optind]))
		return cli_usage_error(_("'%s' is not a network id (40 lowercase hex digits)"), argv[optind]);
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_WRITE)) < 0)
		return cli_error_civic(error);
	if ((error = civic_node_set_network(node, argv[optind])) < 0)
		code = cli_error_civic(error);
	else
		printf(_("joined network %s\n"), argv[optind]);
	civic_node_free(node);
	return code;
}

static json_t *member_json(const civic_member *m)
{
	civic_buf line = CIVIC_BUF_INIT, fp = CIVIC_BUF_INIT;
	char last[GIT_OID_HEXSZ + 1];
	json_t *o;

	civic_pubkey_to_openssh(&line, &m->key);
	civic_pubkey_fingerprint(&fp, &m->key);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "name", m->name, "key", line.ptr,
		      "fingerprint", fp.ptr, "municipality", m->municipality,
		      "municipality_name", civic_municipality_name(m->municipality), "role", m->role,
		      "revoked", m->revoked);
	if (o && m->revoked) {
		json_object_set_new(o, "revocation_reason", json_string(m->reason));
		json_object_set_new(o, "last_valid", m->has_last_valid ?
				    json_string(git_oid_tostr(last, sizeof last, &m->last_valid)) : json_null());
	}
	civic_buf_dispose(&line);
	civic_buf_dispose(&fp);
	return o;
}

static void print_member(const civic_member *m)
{
	civic_buf fp = CIVIC_BUF_INIT;
	char last[GIT_OID_HEXSZ + 1];

	civic_pubkey_fingerprint(&fp, &m->key);
	printf("  %-14s ", m->role);
	cli_print_padded(civic_municipality_name(m->municipality), 15);
	printf(" %s\n  %-30s %s\n", m->name, "", fp.ptr);
	if (m->revoked)
		printf(_("  %-31s revoked after %s: %s\n"), "",
		       m->has_last_valid ? git_oid_tostr(last, sizeof last, &m->last_valid) : _("(none)"),
		       m->reason);
	civic_buf_dispose(&fp);
}

static int network_show(const cli_context *ctx, int argc, char **argv)
{
	civic_node *node = NULL;
	civic_roster *roster = NULL;
	json_t *out = NULL, *members;
	size_t i;
	int json = 0, error, code;

	const cli_option opts[] = { { "json", NULL, &json }, { NULL, NULL, NULL } };

	if ((code = cli_parse_options(argc, argv, opts, _(usage))) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (optind != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_READ)) < 0 ||
	    (error = cli_load_roster(&roster, node)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	if (json) {
		members = json_array();
		for (i = 0; i < civic_roster_count(roster); i++)
			json_array_append_new(members, member_json(civic_roster_get(roster, i)));
		out = json_pack("{s:s, s:s, s:o}", "network", civic_node_network(node),
				"name", civic_roster_network_name(roster), "members", members);
		if (!out || cli_print_json(out) < 0)
			code = cli_error_civic(CIVIC_ERROR);
		goto done;
	}
	printf(_("network: %s\nid: %s\nmembers: %zu\n"), civic_roster_network_name(roster),
	       civic_node_network(node), civic_roster_count(roster));
	for (i = 0; i < civic_roster_count(roster); i++)
		print_member(civic_roster_get(roster, i));
done:
	json_decref(out);
	civic_roster_free(roster);
	civic_node_free(node);
	return code;
}

int cmd_network(const cli_context *ctx, int argc, char **argv)
{
	static const cli_subcommand subs[] = {
		{ "create", network_create }, { "join", network_join }, { "show", network_show }, { NULL, NULL },
	};
	return cli_run_subcommand(ctx, argc, argv, subs, _(usage));
}
