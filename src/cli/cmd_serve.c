/* cmd_serve.c - civic serve: this node's archive, read-only, over git://. */
#include "cmd.h"
#include "signed_commit.h"
#include "steps.h"
#include "error.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMMAND_NAME "serve"
#define DEFAULT_LISTEN "0.0.0.0:9418"

static const char usage[] =
	N_("usage: civic serve [--listen HOST:PORT]\n"
	   "  serves the archive read-only with git daemon (default 0.0.0.0:9418);\n"
	   "  peers reach it as git://HOST:PORT/archive.git. Anyone who reaches\n"
	   "  the port can read every record, 'network' ones too.\n");

/* Where git keeps git-daemon: `git daemon` runs it as a child, so a civic
 * serve that exec'd `git` would leave the daemon running when killed.
 * Exec'ing git-daemon itself keeps one process to stop. */
static int daemon_path(char *out, size_t size)
{
	FILE *p = popen("git --exec-path", "r");
	size_t n;

	if (!p)
		return -1;
	n = fread(out, 1, size - 1, p);
	if (pclose(p) != 0 || n == 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	n = strlen(out);
	if (n + sizeof "/git-daemon" > size)
		return -1;
	memcpy(out + n, "/git-daemon", sizeof "/git-daemon");
	return access(out, X_OK);
}

/* "HOST:PORT" or "[v6]:PORT" into host and port; 0 when well-formed. */
static int split_listen(char *host, size_t hsize, char *port, size_t psize, const char *text)
{
	const char *colon = strrchr(text, ':'), *h = text, *p;
	size_t hl;
	long n;
	char *end;

	if (!colon)
		return -1;
	hl = (size_t)(colon - text);
	if (text[0] == '[') {
		if (hl < 3 || text[hl - 1] != ']')
			return -1;
		h = text + 1;
		hl -= 2;
	}
	p = colon + 1;
	n = strtol(p, &end, 10);
	if (hl == 0 || hl >= hsize || *p < '0' || *p > '9' || *end || n < 1 || n > 65535 || strlen(p) >= psize)
		return -1;
	for (size_t i = 0; i < hl; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
		      h[i] == '.' || h[i] == '-' || h[i] == ':'))
			return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, psize, "%s", p);
	return 0;
}

/* Opens the node, first bringing the steps of every feed in line
 * (steps.h), so that a node far behind fetches them in parts: written by
 * this node as records come, but missing in an archive made before them.
 * Then the refs are packed, which git upload-pack reads at every fetch
 * (civic_refs_pack). A node that cannot be written now (another civic
 * command holds it, a read-only disk) is served as it is. */
static int open_with_steps(civic_node **node, const cli_context *ctx)
{
	size_t written = 0;
	int error = cli_open_node(node, ctx, CIVIC_NODE_WRITE);

	if (error < 0) {
		civic_error_clear();
		return cli_open_node(node, ctx, CIVIC_NODE_READ);
	}
	if (civic_steps_repair(&written, civic_node_repository(*node), CIVIC_STEP_RECORDS) < 0)
		fprintf(stderr, _("civic: warning: the feeds' steps were not brought in line: %s\n"),
			civic_error_last()->message);
	else if (written > 0)
		fprintf(stderr, _("civic: %zu feed steps written\n"), written);
	cli_tidy_node(*node);
	if (civic_refs_pack(civic_node_repository(*node)) < 0)
		fprintf(stderr, _("civic: warning: the refs were not packed: %s\n"), civic_error_last()->message);
	return 0;
}

int cmd_serve(const cli_context *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = DEFAULT_LISTEN;
	char host[256], port[8], base[PATH_MAX], arg_base[PATH_MAX + 16], arg_listen[300],
		arg_port[16], repo[PATH_MAX + 16], daemon[PATH_MAX];
	civic_node *node = NULL;
	int c, error;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'h': printf("%s", _(usage)); return CLI_EXIT_OK;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if (split_listen(host, sizeof host, port, sizeof port, listen) < 0)
		return cli_usage_error(_("'%s' is not HOST:PORT"), listen);
	if ((error = open_with_steps(&node, ctx)) < 0)
		return cli_error_civic(error);
	if (!realpath(civic_node_path(node), base)) {
		civic_node_free(node);
		return cli_fail(CLI_EXIT_FATAL, _("cannot resolve '%s': %s"), civic_node_path(node), strerror(errno));
	}
	civic_node_free(node);
	snprintf(arg_base, sizeof arg_base, "--base-path=%s", base);
	snprintf(arg_listen, sizeof arg_listen, "--listen=%s", host);
	snprintf(arg_port, sizeof arg_port, "--port=%s", port);
	snprintf(repo, sizeof repo, "%s/archive.git", base);
	fprintf(stderr, _("civic: serving %s read-only at git://%s:%s/archive.git\n"), repo,
		strchr(host, ':') ? listen : host, port);
	fflush(stderr);
	/* git daemon serves exactly this repository (--strict-paths), refuses
	 * pushes (receive-pack is off by default), and drops clients that stall. */
	if (daemon_path(daemon, sizeof daemon) < 0)
		return cli_fail(CLI_EXIT_FATAL, "%s", _("cannot find git-daemon: is git installed?"));
	/* argv[0] is the full path: git-daemon runs itself again for each client. */
	execl(daemon, daemon, "--reuseaddr", "--strict-paths", "--export-all", arg_base, arg_listen,
	      arg_port, "--init-timeout=30", "--timeout=120", "--max-connections=32",
	      "--forbid-override=receive-pack", repo, (char *)NULL);
	return cli_fail(CLI_EXIT_FATAL, _("cannot run %s: %s"), daemon, strerror(errno));
}
