/* cmd_init.c - civic init: a new node with its key and archive. */
#include "cmd.h"
#include "error.h"
#include "municipality.h"

#include <getopt.h>
#include <sodium.h>
#include <string.h>

#define COMMAND_NAME "init"

static const char usage[] =
	N_("usage: civic init --name NAME --municipality SLUG [--role ngo|civic-center|auditor]\n"
	   "                  [--passphrase-file FILE | --no-passphrase] [--import-key OPENSSH_KEY_FILE]\n");

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

int cmd_init(const cli_context *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "municipality", required_argument, NULL, 'm' },
		{ "role", required_argument, NULL, 'r' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "no-passphrase", no_argument, NULL, 'N' },
		{ "import-key", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	civic_node_init_options o = CIVIC_NODE_INIT_OPTIONS_INIT;
	const civic_municipality *muni;
	const char *pass_file = NULL, *import = NULL;
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
		case 'h': printf("%s", _(usage)); return CLI_EXIT_OK;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || !o.name || !o.municipality)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
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
done:
	cli_passphrase_free(pass);
	civic_key_free(key);
	civic_buf_dispose(&home);
	return code;
}
