/*
 * cmd.h - the commands of the civic program and what they share.
 *
 * Adding a command: see src/cli/README.md.
 */
#ifndef CIVIC_CLI_CMD_H
#define CIVIC_CLI_CMD_H

#include <libintl.h>
#include <stdio.h>

#include "buf.h"
#include "node.h"
#include "peer.h"
#include "roster.h"
#include "schema_store.h"

#define _(s) gettext(s)
#define N_(s) s

/* Exit codes, after git and libgit2: */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILED 1   /* a check failed; something asked for was not found */
#define CLI_EXIT_FATAL 128  /* could not do the job */
#define CLI_EXIT_USAGE 129  /* the command line is wrong */

/* What every command gets: the global options. */
typedef struct {
	const char *home_option; /* --home, or NULL */
	int is_tty;              /* stdout is a terminal: progress may be shown */
} cli_context;

typedef int (*cli_command_fn)(const cli_context *ctx, int argc, char **argv);

int cmd_init(const cli_context *ctx, int argc, char **argv);
int cmd_id(const cli_context *ctx, int argc, char **argv);
int cmd_network(const cli_context *ctx, int argc, char **argv);
int cmd_member(const cli_context *ctx, int argc, char **argv);
int cmd_add(const cli_context *ctx, int argc, char **argv);
int cmd_list(const cli_context *ctx, int argc, char **argv);
int cmd_show(const cli_context *ctx, int argc, char **argv);
int cmd_audit(const cli_context *ctx, int argc, char **argv);
int cmd_allowed_signers(const cli_context *ctx, int argc, char **argv);
int cmd_peer(const cli_context *ctx, int argc, char **argv);
int cmd_sync(const cli_context *ctx, int argc, char **argv);
int cmd_serve(const cli_context *ctx, int argc, char **argv);
int cmd_status(const cli_context *ctx, int argc, char **argv);
int cmd_fork(const cli_context *ctx, int argc, char **argv);
int cmd_fetch_attachments(const cli_context *ctx, int argc, char **argv);

/* A command with subcommands ("network create"): runs the one argv[1]
 * names, or prints usage (to stdout for --help, else to stderr, 129). */
typedef struct {
	const char *name;
	cli_command_fn fn;
} cli_subcommand;

int cli_run_subcommand(const cli_context *ctx, int argc, char **argv, const cli_subcommand *subs,
		       const char *usage);

/* One option a subcommand takes, and where it goes: its argument into
 * *text, or 1 into *flag for an option without one. */
typedef struct {
	const char *name;
	const char **text;
	int *flag;
} cli_option;

/* Parses argv by opts (ended by { NULL }) and --help. 0 when it parsed;
 * -1 when --help printed usage (the command exits 0); CLI_EXIT_USAGE, with
 * usage on stderr, for anything else. Operands are left from optind on. */
int cli_parse_options(int argc, char **argv, const cli_option *opts, const char *usage);

/* Prints "civic: <last error>" and returns the exit code for a civic error code. */
int cli_error_civic(int code);
/* Prints "civic: <message>" and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "civic: <message>" and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens the node named by the context (CIVIC_NODE_WRITE takes the lock). */
int cli_open_node(civic_node **out, const cli_context *ctx, unsigned int flags);

/* civic_node_tidy(): a failure is a warning, not a reason to stop. */
void cli_tidy_node(civic_node *node);

/* Opens the node and loads its signing key, asking for the passphrase if it
 * is encrypted (--passphrase-file, $CIVIC_PASSPHRASE_FILE, or the terminal). */
int cli_load_key(civic_key **out, const civic_node *node, const char *passphrase_file);

/* Reads a passphrase: from a file (first line), else $CIVIC_PASSPHRASE_FILE,
 * else from the terminal without echo (twice when `confirm`). The result is
 * in sodium_malloc memory: release it with cli_passphrase_free(). */
int cli_read_passphrase(char **out, size_t *len, const char *file, const char *prompt, int confirm);
void cli_passphrase_free(char *passphrase);

/* The node's network, or a clear error when it has none. */
int cli_require_network(const char **out, const civic_node *node);

/* Loads the roster of the node's network (CIVIC_ENOTFOUND: none yet). */
int cli_load_roster(civic_roster **out, const civic_node *node);

/* Prints a JSON value to stdout, indented, with a final newline. */
int cli_print_json(json_t *value);

/* Parses a member key: "ssh-ed25519 ...", 64 hex, or "SHA256:..." (the last
 * two looked up in the roster). */
int cli_parse_member_key(civic_pubkey *out, const char *text, const civic_roster *roster);

/* Writes text from a record or a peer to stdout with control characters
 * (C0, DEL, C1) shown as '?', so that no signed text can drive the user's
 * terminal; with `multiline`, newlines and tabs pass. */
void cli_print_safe(const char *text, int multiline);

/* Prints text left-aligned in `width` terminal columns, counting UTF-8
 * characters rather than bytes, so Cyrillic columns line up. */
void cli_print_padded(const char *text, int width);

/* A peer as `peer list --json` and `status --json` show it. */
json_t *cli_peer_json(const civic_peer *peer);

/* Before this node writes to refname (NULL: its own feed; or the roster):
 * CIVIC_ECONFLICT when a peer was seen holding newer commits of it (a
 * restore from an old backup that has not synced yet): writing would fork it. */
int cli_check_caught_up(const civic_node *node, const char *refname);

/* The peers a command works with: those named in args (a peer's name, or a
 * URL, set up in adhoc[i]), else every peer in the list. *out is freed
 * with free(); adhoc (nargs entries) with civic_peer_dispose() each. */
int cli_pick_peers(civic_peer ***out, size_t *n, civic_peer *adhoc, civic_peers *peers, char **args,
		   size_t nargs);

/* Looks up a git commit by full or abbreviated hex id. */
int cli_resolve_commit(git_oid *out, git_repository *repo, const char *text);

#endif
