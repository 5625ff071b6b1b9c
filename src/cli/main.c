/*
 * main.c - the civic program: global options, then one command.
 */
#include "cmd.h"
#include "civic.h"
#include "error.h"

#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

static const struct {
	const char *name;
	cli_command_fn fn;
	const char *summary;
} cli_cmds[] = {
	{ "init", cmd_init, N_("set up a node: its key and its archive") },
	{ "id", cmd_id, N_("show this node's key, fingerprint and feed") },
	{ "network", cmd_network, N_("create, join or show the network") },
	{ "member", cmd_member, N_("add or revoke members (network admins)") },
	{ "add", cmd_add, N_("sign and add a record") },
	{ "list", cmd_list, N_("list records") },
	{ "show", cmd_show, N_("show one record, its author and signature") },
	{ "audit", cmd_audit, N_("verify everything; exit 0 only when all is sound") },
	{ "allowed-signers", cmd_allowed_signers, N_("print an allowed_signers file for git and ssh-keygen") },
	{ "peer", cmd_peer, N_("add, list or remove the peers to sync with") },
	{ "sync", cmd_sync, N_("fetch from peers, verify, accept; push to relays") },
	{ "status", cmd_status, N_("per feed: records, pending, forks; attachments missing; peers") },
	{ "fetch-attachments", cmd_fetch_attachments, N_("bring attachment bytes that are still missing") },
	{ "fork", cmd_fork, N_("list forks kept as evidence; say which history of this node stands") },
	{ "serve", cmd_serve, N_("serve this node's archive read-only to peers (git daemon)") },
};

static void print_usage(FILE *out)
{
	size_t i;

	fprintf(out, "%s", _("usage: civic [--home DIR] COMMAND [ARGS]\n\n"
			     "A signed, shared archive for the NGO network of Kyustendil province.\n\n"
			     "commands:\n"));
	for (i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
		fprintf(out, "  %-16s %s\n", cli_cmds[i].name, _(cli_cmds[i].summary));
	fprintf(out, "%s", _("\nThe node home is --home DIR, else $CIVIC_HOME, else $XDG_DATA_HOME/civic.\n"
			     "'civic COMMAND --help' describes a command.\n"));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	cli_context ctx = { NULL, isatty(STDERR_FILENO) };
	size_t i;
	int c, code;

	/* A peer that drops the connection while we write to it must give an
	 * error, not kill us halfway (libgit2 writes to sockets with send()). */
	signal(SIGPIPE, SIG_IGN);
	setlocale(LC_ALL, "");
	/* CIVIC_LOCALEDIR lets an uninstalled build (make demo) find its catalogs. */
	bindtextdomain("civic", getenv("CIVIC_LOCALEDIR") ? getenv("CIVIC_LOCALEDIR") : LOCALEDIR);
	textdomain("civic");

	/* "+" stops at the first non-option: the command's own options follow. */
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'H': ctx.home_option = optarg; break;
		case 'h': print_usage(stdout); return CLI_EXIT_OK;
		case 'V': printf("civic 0.1\n"); return CLI_EXIT_OK;
		default: print_usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		print_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < sizeof cli_cmds / sizeof cli_cmds[0]; i++)
		if (!strcmp(argv[optind], cli_cmds[i].name))
			break;
	if (i == sizeof cli_cmds / sizeof cli_cmds[0])
		return cli_usage_error(_("'%s' is not a civic command; see 'civic --help'"), argv[optind]);
	if (civic_global_init() < 0)
		return cli_error_civic(CIVIC_ERROR);
	argc -= optind;
	argv += optind;
	optind = 0; /* restart getopt for the command */
	code = cli_cmds[i].fn(&ctx, argc, argv);
	civic_global_shutdown();
	return code;
}
