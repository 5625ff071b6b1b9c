/* common.c - what the command files share: errors, node, key, output. */
#include "cmd.h"
#include "error.h"
#include "feed.h"
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSPHRASE_MAX 1024

static void print_safe_to(FILE *out, const char *text, int multiline)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p; p++) {
		if (multiline && (*p == '\n' || *p == '\t'))
			fputc(*p, out);
		else if (*p < 0x20 || *p == 0x7f)
			fputc('?', out);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* U+0080..U+009F */
			fputc('?', out), p++;
		else
			fputc(*p, out);
	}
}

int cli_error_civic(int code)
{
	const char *msg = civic_error_last()->message;

	/* Messages quote what came from the command line, a file or a peer:
	 * no control character of theirs reaches the terminal. */
	fputs("civic: ", stderr);
	print_safe_to(stderr, *msg ? msg : _("unknown error"), 0);
	fputc('\n', stderr);
	switch (code) {
	case CIVIC_ENOTFOUND:
	case CIVIC_EBADSIG:
	case CIVIC_EAUTH:
	case CIVIC_EINVALID:
	case CIVIC_EEXISTS:
	case CIVIC_ELOCKED:
	case CIVIC_ECONFLICT:
	case CIVIC_EAMBIGUOUS:
		return CLI_EXIT_FAILED;
	default:
		return CLI_EXIT_FATAL;
	}
}

static void vprint_error(const char *fmt, va_list ap)
{
	fputs("civic: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_run_subcommand(const cli_context *ctx, int argc, char **argv, const cli_subcommand *subs,
		       const char *usage)
{
	for (; argc >= 2 && subs->name; subs++)
		if (!strcmp(argv[1], subs->name))
			return subs->fn(ctx, argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("%s", usage);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "%s", usage);
	return CLI_EXIT_USAGE;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	return code;
}

int cli_open_node(civic_node **out, const cli_context *ctx, unsigned int flags)
{
	civic_buf home = CIVIC_BUF_INIT;
	int error;

	if ((error = civic_node_home(&home, ctx->home_option)) == 0)
		error = civic_node_open(out, home.ptr, flags);
	civic_buf_dispose(&home);
	return error;
}

void cli_tidy_node(civic_node *node)
{
	civic_repack r = { 0, 0, 0, 0 };

	if (civic_node_tidy(node, &r) < 0) {
		fprintf(stderr, _("civic: warning: the archive's small packs were not joined: %s\n"),
			civic_error_last()->message);
		civic_error_clear();
	}
}

void cli_passphrase_free(char *passphrase)
{
	if (passphrase)
		sodium_free(passphrase);
}

/* Reads one line (without its newline) from fd into p, at most max bytes. */
static int read_line(char *p, size_t max, size_t *len, int fd, const char *what)
{
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			civic_error_set_os("cannot read the passphrase from %s", what);
			return CIVIC_ERROR;
		}
		if (r == 0 || c == '\n')
			break;
		if (n == max) {
			civic_error_set(CIVIC_ERROR_ARGS, "the passphrase from %s is too long", what);
			return CIVIC_EINVALID;
		}
		p[n++] = c;
	}
	if (n && p[n - 1] == '\r')
		n--;
	p[n] = '\0';
	*len = n;
	return 0;
}

static int read_from_terminal(char *p, size_t max, size_t *len, const char *prompt)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), error;

	if (fd < 0) {
		civic_error_set(CIVIC_ERROR_ARGS,
				"a passphrase is needed: give --passphrase-file or set CIVIC_PASSPHRASE_FILE");
		return CIVIC_EAUTH;
	}
	if (write(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &old) < 0) {
		close(fd);
		civic_error_set_os("cannot use the terminal");
		return CIVIC_ERROR;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	error = read_line(p, max, len, fd, "the terminal");
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		error = error ? error : CIVIC_ERROR;
	close(fd);
	return error;
}

static int read_from_file(char *p, size_t max, size_t *len, const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC), error;

	if (fd < 0) {
		civic_error_set_os("cannot open passphrase file '%s'", file);
		return errno == ENOENT ? CIVIC_ENOTFOUND : CIVIC_ERROR;
	}
	error = read_line(p, max, len, fd, file);
	close(fd);
	return error;
}

int cli_read_passphrase(char **out, size_t *len, const char *file, const char *prompt, int confirm)
{
	char *p = sodium_malloc(PASSPHRASE_MAX + 1), *again = NULL;
	size_t again_len = 0;
	int error;

	*out = NULL;
	if (!p)
		return civic_error_nomem();
	if (!file || !*file)
		file = getenv("CIVIC_PASSPHRASE_FILE");
	if (file && *file)
		error = read_from_file(p, PASSPHRASE_MAX, len, file);
	else if ((error = read_from_terminal(p, PASSPHRASE_MAX, len, prompt)) == 0 && confirm) {
		if (!(again = sodium_malloc(PASSPHRASE_MAX + 1)))
			error = civic_error_nomem();
		else if ((error = read_from_terminal(again, PASSPHRASE_MAX, &again_len, _("again: "))) == 0 &&
			 (again_len != *len || sodium_memcmp(again, p, *len))) {
			civic_error_set(CIVIC_ERROR_ARGS, "the passphrases do not match");
			error = CIVIC_EINVALID;
		}
	}
	if (error == 0 && *len == 0) {
		civic_error_set(CIVIC_ERROR_ARGS, "the passphrase is empty (use --no-passphrase for none)");
		error = CIVIC_EINVALID;
	}
	if (again)
		sodium_free(again);
	if (error < 0) {
		sodium_free(p);
		return error;
	}
	*out = p;
	return 0;
}

int cli_load_key(civic_key **out, const civic_node *node, const char *passphrase_file)
{
	char *pass = NULL;
	size_t len = 0;
	int error = civic_node_key_is_encrypted(node);

	if (error < 0)
		return error;
	if (error == 1 && (error = cli_read_passphrase(&pass, &len, passphrase_file,
							 _("passphrase for this node's key: "), 0)) < 0)
		return error;
	error = civic_node_load_key(out, node, pass, len);
	cli_passphrase_free(pass);
	return error;
}

int cli_require_network(const char **out, const civic_node *node)
{
	if (!(*out = civic_node_network(node))) {
		civic_error_set(CIVIC_ERROR_NODE,
				"this node belongs to no network yet: run 'civic network create' or 'civic network join'");
		return CIVIC_ENOTFOUND;
	}
	return 0;
}

int cli_load_roster(civic_roster **out, const civic_node *node)
{
	const char *network;
	int error = cli_require_network(&network, node);

	if (error < 0)
		return error;
	return civic_roster_load(out, civic_node_repository(node), network);
}

int cli_print_json(json_t *value)
{
	int error = json_dumpf(value, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);

	fputc('\n', stdout);
	if (error < 0) {
		civic_error_set(CIVIC_ERROR_JSON, "cannot write JSON output");
		return CIVIC_ERROR;
	}
	return 0;
}

int cli_parse_member_key(civic_pubkey *out, const char *text, const civic_roster *roster)
{
	civic_buf fp = CIVIC_BUF_INIT;
	size_t i;

	if (!strncmp(text, "ssh-ed25519 ", 12))
		return civic_pubkey_from_openssh(out, text, strlen(text));
	if (civic_pubkey_from_hex(out, text, strlen(text)) == 0)
		return 0;
	for (i = 0; roster && i < civic_roster_count(roster); i++) {
		const civic_member *m = civic_roster_get(roster, i);
		if (civic_pubkey_fingerprint(&fp, &m->key) == 0 && !strcmp(fp.ptr, text)) {
			*out = m->key;
			civic_buf_dispose(&fp);
			return 0;
		}
	}
	civic_buf_dispose(&fp);
	civic_error_set(CIVIC_ERROR_ARGS, "'%s' is no member's key, hex key or fingerprint", text);
	return CIVIC_ENOTFOUND;
}

int cli_resolve_commit(git_oid *out, git_repository *repo, const char *text)
{
	git_object *obj = NULL;
	git_oid prefix;
	size_t len = strlen(text), i;
	int error;

	for (i = 0; i < len; i++)
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			break;
	if (len < 7 || len > GIT_OID_HEXSZ || i != len) {
		civic_error_set(CIVIC_ERROR_ARGS, "'%s' is not a record id (7 to 40 hex digits)", text);
		return CIVIC_EINVALID;
	}
	if ((error = git_oid_fromstrn(&prefix, text, len)) == 0)
		error = git_object_lookup_prefix(&obj, repo, &prefix, len, GIT_OBJECT_COMMIT);
	if (error < 0) {
		if (error == GIT_ENOTFOUND) {
			civic_error_set(CIVIC_ERROR_ARGS, "no record '%s' in this archive", text);
			return CIVIC_ENOTFOUND;
		}
		return civic_error_from_git(error, "cannot look up '%s'", text);
	}
	git_oid_cpy(out, git_object_id(obj));
	git_object_free(obj);
	return 0;
}

void cli_print_safe(const char *text, int multiline)
{
	print_safe_to(stdout, text, multiline);
}

void cli_print_padded(const char *text, int width)
{
	const unsigned char *p;
	int columns = 0;

	for (p = (const unsigned char *)text; *p; p++)
		if ((*p & 0xc0) != 0x80)
			columns++;
	cli_print_safe(text, 0);
	for (; columns < width; columns++)
		fputc(' ', stdout);
}

int cli_check_caught_up(const civic_node *node, const char *refname)
{
	civic_buf ref = CIVIC_BUF_INIT;
	civic_peers *peers = NULL;
	int error = refname ? civic_buf_puts(&ref, refname)
			    : civic_feed_refname(&ref, civic_node_public_key(node));

	if (error == 0 && (error = civic_peers_load(&peers, civic_node_path(node))) == 0)
		error = civic_sync_check_not_behind(civic_node_repository(node), peers, ref.ptr);
	civic_peers_free(peers);
	civic_buf_dispose(&ref);
	return error;
}

/* The peers to sync with: those named (or URLs given), else all. */
int cli_pick_peers(civic_peer ***out, size_t *n, civic_peer *adhoc, civic_peers *peers, char **args,
		   size_t nargs)
{
	size_t i;

	*n = nargs ? nargs : civic_peers_count(peers);
	if (*n == 0) {
		civic_error_set(CIVIC_ERROR_ARGS, "no peers to sync with: add one with 'civic peer add NAME URL'");
		return CIVIC_EINVALID;
	}
	if (!(*out = calloc(*n, sizeof **out)))
		return civic_error_nomem();
	for (i = 0; i < *n; i++) {
		if (!nargs) {
			(*out)[i] = civic_peers_get(peers, i);
		} else if (((*out)[i] = civic_peers_find(peers, args[i])) == NULL) {
			if (!civic_peer_is_url(args[i])) {
				civic_error_set(CIVIC_ERROR_ARGS, "there is no peer named '%s'", args[i]);
				return CIVIC_EINVALID;
			}
			if (civic_peer_url_check(args[i]) < 0)
				return CIVIC_EINVALID;
			civic_peer_init(&adhoc[i], args[i], args[i]);
			(*out)[i] = &adhoc[i];
		}
	}
	return 0;
}

#define CLI_OPTIONS_MAX 16

int cli_parse_options(int argc, char **argv, const cli_option *opts, const char *usage)
{
	struct option table[CLI_OPTIONS_MAX + 2];
	size_t n = 0;
	int c;

	for (; opts[n].name && n < CLI_OPTIONS_MAX; n++)
		table[n] = (struct option){ opts[n].name, opts[n].text ? required_argument : no_argument, NULL,
					    256 + (int)n };
	table[n] = (struct option){ "help", no_argument, NULL, 'h' };
	table[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = getopt_long(argc, argv, "h", table, NULL)) != -1) {
		if (c == 'h') {
			printf("%s", usage);
			return -1;
		}
		if (c < 256 || c >= 256 + (int)n) {
			fprintf(stderr, "%s", usage);
			return CLI_EXIT_USAGE;
		}
		if (opts[c - 256].text)
			*opts[c - 256].text = optarg;
		else
			*opts[c - 256].flag = 1;
	}
	return 0;
}
