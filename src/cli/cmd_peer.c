/* cmd_peer.c - civic peer add|list|remove: the nodes and relays to sync with. */
#include "cmd.h"
#include "error.h"
#include "peer.h"

#include <string.h>
#include <unistd.h>
#include <time.h>

#define COMMAND_NAME "peer"

static const char usage[] =
	N_("usage: civic peer add NAME URL [--relay] [--ssh-key FILE]\n"
	   "       civic peer list [--json]\n"
	   "       civic peer remove NAME\n"
	   "  URL is a path, file://, git://, ssh://, https:// or user@host:path\n"
	   "  --relay     a plain git repository: 'civic sync' also pushes to it\n"
	   "  --ssh-key   the private key file for an ssh:// peer (else the ssh agent)\n");

/* Opens the node (locked: the list is rewritten) and its peer list. */
static int open_peers(civic_node **node, civic_peers **peers, const cli_context *ctx, unsigned int flags)
{
	int error;

	if ((error = cli_open_node(node, ctx, flags)) == 0)
		error = civic_peers_load(peers, civic_node_path(*node));
	return error;
}

static int peer_add(const cli_context *ctx, int argc, char **argv)
{
	const char *ssh_key = NULL;
	civic_peers *peers = NULL;
	civic_node *node = NULL;
	int relay = 0, error, code;
	const cli_option opts[] = { { "relay", NULL, &relay }, { "ssh-key", &ssh_key, NULL }, { NULL, NULL, NULL } };

	if ((code = cli_parse_options(argc, argv, opts, _(usage))) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (argc - optind != 2)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = open_peers(&node, &peers, ctx, CIVIC_NODE_WRITE)) < 0 ||
	    (error = civic_peers_add(peers, argv[optind], argv[optind + 1], relay, ssh_key)) < 0 ||
	    (error = civic_peers_save(peers)) < 0)
		code = cli_error_civic(error);
	civic_peers_free(peers);
	civic_node_free(node);
	return code;
}

static int peer_remove(const cli_context *ctx, int argc, char **argv)
{
	civic_peers *peers = NULL;
	civic_node *node = NULL;
	int error, code;
	const cli_option opts[] = { { NULL, NULL, NULL } };

	if ((code = cli_parse_options(argc, argv, opts, _(usage))) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (argc - optind != 1)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = open_peers(&node, &peers, ctx, CIVIC_NODE_WRITE)) < 0 ||
	    (error = civic_peers_remove(peers, argv[optind])) < 0 ||
	    (error = civic_peers_save(peers)) < 0)
		code = cli_error_civic(error);
	civic_peers_free(peers);
	civic_node_free(node);
	return code;
}

/* "2026-12-01 21:30 UTC", or "never". */
static const char *when(char *buf, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm))
		return _("never");
	strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm);
	return buf;
}

json_t *cli_peer_json(const civic_peer *p)
{
	return json_pack("{s:s, s:s, s:b, s:I, s:I, s:s, s:I}", "name", p->name, "url", p->url,
			 "relay", p->relay, "last_sync", (json_int_t)p->last_sync,
			 "last_attempt", (json_int_t)p->last_attempt, "last_error", p->last_error,
			 "refs_known", (json_int_t)p->known_count);
}

static void print_peer(const civic_peer *p)
{
	char t[64];

	printf("%-16s ", p->name);
	cli_print_safe(p->url, 0);
	printf("%s\n", p->relay ? _(" (relay)") : "");
	printf(_("  last sync: %s"), when(t, sizeof t, p->last_sync));
	if (p->last_error[0]) {
		printf(_("; last attempt %s failed: "), when(t, sizeof t, p->last_attempt));
		cli_print_safe(p->last_error, 0);
	}
	putchar('\n');
}

static int peer_list(const cli_context *ctx, int argc, char **argv)
{
	civic_peers *peers = NULL;
	civic_node *node = NULL;
	json_t *list = NULL;
	size_t i;
	int json = 0, error, code;
	const cli_option opts[] = { { "json", NULL, &json }, { NULL, NULL, NULL } };

	if ((code = cli_parse_options(argc, argv, opts, _(usage))) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (argc != optind)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = open_peers(&node, &peers, ctx, CIVIC_NODE_READ)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	if (json) {
		list = json_array();
		for (i = 0; list && i < civic_peers_count(peers); i++)
			json_array_append_new(list, cli_peer_json(civic_peers_get(peers, i)));
		if (!list || cli_print_json(list) < 0)
			code = cli_error_civic(CIVIC_ERROR);
		goto done;
	}
	for (i = 0; i < civic_peers_count(peers); i++)
		print_peer(civic_peers_get(peers, i));
done:
	json_decref(list);
	civic_peers_free(peers);
	civic_node_free(node);
	return code;
}

int cmd_peer(const cli_context *ctx, int argc, char **argv)
{
	static const cli_subcommand subs[] = {
		{ "add", peer_add }, { "list", peer_list }, { "remove", peer_remove }, { NULL, NULL },
	};
	return cli_run_subcommand(ctx, argc, argv, subs, _(usage));
}
