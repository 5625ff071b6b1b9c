/* cmd_init.c - civic init: a new node with its key and archive. */
#include "cmd.h"
#include "error.h"
#include "feed.h"
#include "municipality.h"
#include "sync.h"

#include <getopt.h>
#include <sodium.h>
#include <string.h>

#define COMMAND_NAME "init"

static const char usage[] =
	N_("usage: civic init --name NAME --municipality SLUG [--role ngo|civic-center|auditor]\n"
	   "                  [--passphrase-file FILE | --no-passphrase] [--import-key OPENSSH_KEY_FILE]\n"
	   "                  [--restore URL --network NETWORK_ID]\n"
	   "  --restore   a node whose key already signed records (a new laptop, a lost disk):\n"
	   "              takes the roster and this key's own feed from the peer at URL before\n"
	   "              anything is written, so the node goes on from where it was\n");

static int make_key(civic_key **out, const char *import_path)
{
	civic_buf text = CIVIC_BUF_INIT;
	int error;

	if (!import_path)
		return civic_key_generate(out);
	if ((error = civic_buf_read_file(&text, import_path, CIVIC_KEY_FILE_MAX)) == 0)
		error = civic_key_import_openssh(out, text.ptr, text.size);
	sodium_memzero(text.ptr, text.size);
	civic_buf_dispose(&text);
	return error;
}

static void print_created(const char *home, const civic_key *key)
{
	civic_buf line = CIVIC_BUF_INIT, fp = CIVIC_BUF_INIT;

	civic_pubkey_to_openssh(&line, civic_key_public(key));
	civic_pubkey_fingerprint(&fp, civic_key_public(key));
	printf(_("node created in %s\n"), home);
	printf(_("key: %s\nfingerprint: %s\n"), line.ptr, fp.ptr);
	civic_buf_dispose(&line);
	civic_buf_dispose(&fp);
}

/* Pins the network and takes everything the peer holds, this key's own
 * feed among it, as a sync would. */
static int restore(const char *home, const char *network, const char *url)
{
	civic_sync_options o = CIVIC_SYNC_OPTIONS_INIT;
	civic_sync_report report;
	civic_buf ref = CIVIC_BUF_INIT;
	civic_node *node = NULL;
	civic_peer peer;
	uint64_t seq = 0;
	git_oid head;
	int error;

	civic_peer_init(&peer, url, url);
	memset(&report, 0, sizeof report);
	if ((error = civic_node_open(&node, home, CIVIC_NODE_WRITE)) < 0 ||
	    (error = civic_node_set_network(node, network)) < 0 ||
	    (error = civic_sync_peer(&report, node, &peer, &o)) < 0 ||
	    (error = civic_feed_refname(&ref, civic_node_public_key(node))) < 0)
		goto done;
	if (git_reference_name_to_id(&head, civic_node_repository(node), ref.ptr) == 0 &&
	    civic_feed_commit_seq(&seq, civic_node_repository(node), &head) < 0)
		seq = 0;
	printf(_("restored from %s: the roster, %zu records in %zu feeds; this node's own feed holds %llu records\n"),
	       url, report.records_accepted, report.feeds_accepted, (unsigned long long)seq);
	if (report.rejected || report.forks)
		printf(_("note: %zu refused and %zu forks: see 'civic sync %s'\n"), report.rejected, report.forks, url);
done:
	civic_sync_report_dispose(&report);
	civic_peer_dispose(&peer);
	civic_buf_dispose(&ref);
	civic_node_free(node);
	return error;
}

int cmd_init(const cli_context *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "municipality", required_argument, NULL, 'm' },
		{ "role", required_argument, NULL, 'r' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "no-passphrase", no_argument, NULL, 'N' },
		{ "import-key", required_argument, NULL, 'i' },
		{ "restore", required_argument, NULL, 'R' },
		{ "network", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	civic_node_init_options o = CIVIC_NODE_INIT_OPTIONS_INIT;
	const civic_municipality *muni;
	const char *pass_file = NULL, *import = NULL, *restore_url = NULL, *network = NULL;
	civic_buf home = CIVIC_BUF_INIT;
	civic_key *key = NULL;
	char *pass = NULL;
	size_t pass_len = 0;
	int no_pass = 0, c, error, code;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': o.name = optarg; break;
		case 'm': o.municipality = optarg; break;
		case 'r': o.role = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'N': no_pass = 1; break;
		case 'i': import = optarg; break;
		case 'R': restore_url = optarg; break;
		case 'w': network = optarg; break;
		case 'h': printf("%s", _(usage)); return CLI_EXIT_OK;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || !o.name || !o.municipality)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if (!restore_url != !network)
		return cli_usage_error(_("--restore URL and --network ID go together"));
	if (restore_url && !import)
		return cli_usage_error(_("--restore needs the key that signed the records: --import-key FILE"));
	if (network && !civic_network_id_valid(network))
		return cli_usage_error(_("'%s' is not a network id (40 hex digits)"), network);
	if (restore_url && civic_peer_url_check(restore_url) < 0)
		return cli_usage_error("%s", civic_error_last()->message);
	if (no_pass && pass_file)
		return cli_usage_error(_("--no-passphrase and --passphrase-file exclude each other"));
	if (!(muni = civic_municipality_find(o.municipality)))
		return cli_usage_error(_("unknown municipality '%s'"), o.municipality);
	o.municipality = muni->slug;
	if (!civic_role_valid(o.role))
		return cli_usage_error(_("unknown role '%s' (ngo, civic-center or auditor)"), o.role);

	if ((error = civic_node_home(&home, ctx->home_option)) < 0 ||
	    (error = make_key(&key, import)) < 0 ||
	    (!no_pass && (error = cli_read_passphrase(&pass, &pass_len, pass_file,
						       _("passphrase for the new key: "), 1)) < 0) ||
	    (error = civic_node_create(home.ptr, &o, key, pass, pass_len)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	print_created(home.ptr, key);
	code = CLI_EXIT_OK;
	if (restore_url && (error = restore(home.ptr, network, restore_url)) < 0) {
		code = cli_error_civic(error);
		fprintf(stderr, _("civic: the node was created, but not restored yet: run 'civic sync %s'\n"),
			restore_url);
	}
done:
	cli_passphrase_free(pass);
	civic_key_free(key);
	civic_buf_dispose(&home);
	return code;
}
