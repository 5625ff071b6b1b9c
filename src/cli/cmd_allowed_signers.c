/* cmd_allowed_signers.c - civic allowed-signers: for stock git and ssh-keygen. */
#include "cmd.h"
#include "error.h"
#include "signed_commit.h"

#include <getopt.h>

#define COMMAND_NAME "allowed-signers"

static const char usage[] =
	N_("usage: civic allowed-signers\n"
	   "prints an allowed_signers file of the roster's members, for\n"
	   "  git -c gpg.ssh.allowedSignersFile=FILE verify-commit ID\n"
	   "  ssh-keygen -Y verify -f FILE -I PRINCIPAL -n git -s SIG\n");

int cmd_allowed_signers(const cli_context *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	civic_buf line = CIVIC_BUF_INIT, principal = CIVIC_BUF_INIT;
	civic_node *node = NULL;
	civic_roster *roster = NULL;
	size_t i;
	int c, error, code = CLI_EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return printf("%s", _(usage)), CLI_EXIT_OK;
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	}
	if (optind != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_READ)) < 0 ||
	    (error = cli_load_roster(&roster, node)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	printf("# allowed_signers of civic network %s (%s)\n", civic_node_network(node),
	       civic_roster_network_name(roster));
	printf("# stock git checks signatures; 'civic audit' also checks membership and revocations\n");
	for (i = 0; i < civic_roster_count(roster); i++) {
		const civic_member *m = civic_roster_get(roster, i);
		if (civic_pubkey_to_openssh(&line, &m->key) < 0 || civic_commit_email(&principal, &m->key) < 0) {
			code = cli_error_civic(CIVIC_ERROR);
			goto done;
		}
		printf("# %s (%s, %s)%s\n", m->name, m->municipality, m->role, m->revoked ? ", revoked" : "");
		printf("%s namespaces=\"git\" %s\n", principal.ptr, line.ptr);
	}
done:
	civic_buf_dispose(&line);
	civic_buf_dispose(&principal);
	civic_roster_free(roster);
	civic_node_free(node);
	return code;
}
