/* cmd_id.c - civic id: this node's key line, fingerprint and feed ref. */
#include "cmd.h"
#include "error.h"
#include "feed.h"
#include "municipality.h"

#include <getopt.h>

#define COMMAND_NAME "id"

static const char usage[] = N_("usage: civic id [--json]\n");

int cmd_id(const cli_context *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	civic_buf line = CIVIC_BUF_INIT, fp = CIVIC_BUF_INIT, ref = CIVIC_BUF_INIT;
	civic_node *node = NULL;
	const civic_pubkey *pk;
	int json = 0, c, error, code = CLI_EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': printf("%s", _(usage)); return CLI_EXIT_OK;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_READ)) < 0)
		return cli_error_civic(error);
	pk = civic_node_public_key(node);
	if ((error = civic_pubkey_to_openssh(&line, pk)) < 0 ||
	    (error = civic_pubkey_fingerprint(&fp, pk)) < 0 ||
	    (error = civic_feed_refname(&ref, pk)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	if (json) {
		const char *net = civic_node_network(node);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "key", line.ptr,
				      "fingerprint", fp.ptr, "feed", ref.ptr, "name", civic_node_name(node),
				      "municipality", civic_node_municipality(node),
				      "municipality_name", civic_municipality_name(civic_node_municipality(node)),
				      "role", civic_node_role(node), "network", net ? json_string(net) : json_null());
		if (!o || cli_print_json(o) < 0)
			code = cli_error_civic(o ? CIVIC_ERROR : civic_error_nomem());
		json_decref(o);
	} else {
		printf("%s\n%s\n%s\n", line.ptr, fp.ptr, ref.ptr);
	}
done:
	civic_buf_dispose(&line);
	civic_buf_dispose(&fp);
	civic_buf_dispose(&ref);
	civic_node_free(node);
	return code;
}
