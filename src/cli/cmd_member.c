/* cmd_member.c - civic member add|revoke: the network admins' roster edits. */
#include "cmd.h"
#include "error.h"
#include "feed.h"
#include "municipality.h"
#include "text.h"

#include <getopt.h>
#include <string.h>

#define COMMAND_NAME "member"

static const char usage[] =
	N_("usage: civic member add --name ORG --municipality SLUG --role ngo|civic-center|auditor\n"
	   "                        --key \"ssh-ed25519 ...\" [--passphrase-file FILE]\n"
	   "       civic member revoke KEY_OR_FINGERPRINT [--after COMMIT] [--reason TEXT]\n"
	   "                        [--passphrase-file FILE]\n");

typedef struct {
	const char *name, *municipality, *role, *key, *after, *reason, *pass_file;
} member_args;

static int parse(member_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "municipality", required_argument, NULL, 'm' },
		{ "role", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "after", required_argument, NULL, 'a' },
		{ "reason", required_argument, NULL, 'R' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof *a);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': a->name = optarg; break;
		case 'm': a->municipality = optarg; break;
		case 'r': a->role = optarg; break;
		case 'k': a->key = optarg; break;
		case 'a': a->after = optarg; break;
		case 'R': a->reason = optarg; break;
		case 'p': a->pass_file = optarg; break;
		case 'h': printf("%s", _(usage)); return -1;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	return 0;
}

/* Opens the node for writing, with its roster and its key. */
static int open_admin(civic_node **node, civic_roster **roster, civic_key **key,
		      const cli_context *ctx, const char *pass_file)
{
	int error;

	if ((error = cli_open_node(node, ctx, CIVIC_NODE_WRITE)) < 0 ||
	    (error = cli_load_roster(roster, *node)) < 0 ||
	    (error = cli_check_caught_up(*node, CIVIC_ROSTER_REF)) < 0)
		return error;
	if (!civic_member_is_admin(civic_roster_find(*roster, civic_node_public_key(*node)))) {
		civic_error_set(CIVIC_ERROR_ROSTER, "this node's key is not an admin of the network");
		return CIVIC_EINVALID;
	}
	return cli_load_key(key, *node, pass_file);
}

static int fill_member(civic_member *m, const member_args *a)
{
	const civic_municipality *muni = civic_municipality_find(a->municipality);
	int error;

	memset(m, 0, sizeof *m);
	if (!muni)
		return cli_usage_error(_("unknown municipality '%s'"), a->municipality);
	if (!civic_role_valid(a->role))
		return cli_usage_error(_("unknown role '%s' (ngo, civic-center or auditor)"), a->role);
	if ((error = civic_text_check_name(a->name, sizeof m->name - 1, "the organization's name")) < 0 ||
	    (error = civic_pubkey_from_openssh(&m->key, a->key, strlen(a->key))) < 0)
		return cli_error_civic(error);
	snprintf(m->name, sizeof m->name, "%s", a->name);
	snprintf(m->municipality, sizeof m->municipality, "%s", muni->slug);
	snprintf(m->role, sizeof m->role, "%s", a->role);
	return 0;
}

static int member_add(const cli_context *ctx, int argc, char **argv)
{
	member_args a;
	civic_member m;
	civic_node *node = NULL;
	civic_roster *roster = NULL;
	civic_key *key = NULL;
	int error, code;

	if ((code = parse(&a, argc, argv)) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (optind != argc || !a.name || !a.municipality || !a.role || !a.key || a.after || a.reason)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((code = fill_member(&m, &a)) != 0)
		return code;
	if ((error = open_admin(&node, &roster, &key, ctx, a.pass_file)) < 0 ||
	    (error = civic_roster_add(roster, civic_node_repository(node), key, &m)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	printf(_("added %s (%s, %s)\n"), m.name, civic_municipality_name(m.municipality), m.role);
done:
	civic_key_free(key);
	civic_roster_free(roster);
	civic_node_free(node);
	return code;
}

/* The revocation point: --after, which must be in the member's feed as held
 * here, or by default the feed's head here (everything we hold stays valid). */
static int revocation_point(git_oid *out, int *has, git_repository *repo, const civic_pubkey *member,
			    const char *after)
{
	civic_buf ref = CIVIC_BUF_INIT;
	git_oid head;
	int error, found;

	*has = 0;
	if ((error = civic_feed_refname(&ref, member)) < 0)
		return error;
	error = git_reference_name_to_id(&head, repo, ref.ptr);
	civic_buf_dispose(&ref);
	found = error == 0;
	if (error < 0 && error != GIT_ENOTFOUND)
		return civic_error_from_git(error, "cannot read the member's feed");
	if (!after) {
		*out = head;
		*has = found;
		return 0;
	}
	if ((error = cli_resolve_commit(out, repo, after)) < 0)
		return error;
	if (!found || (!git_oid_equal(out, &head) && git_graph_descendant_of(repo, &head, out) != 1)) {
		civic_error_set(CIVIC_ERROR_ARGS, "'%s' is not a commit of that member's feed", after);
		return CIVIC_EINVALID;
	}
	*has = 1;
	return 0;
}

static int member_revoke(const cli_context *ctx, int argc, char **argv)
{
	member_args a;
	civic_node *node = NULL;
	civic_roster *roster = NULL;
	civic_key *key = NULL;
	civic_pubkey pk;
	git_oid last;
	char hex[GIT_OID_HEXSZ + 1];
	int has_last, error, code;

	if ((code = parse(&a, argc, argv)) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (optind + 1 != argc || a.name || a.municipality || a.role || a.key)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = open_admin(&node, &roster, &key, ctx, a.pass_file)) < 0 ||
	    (error = cli_parse_member_key(&pk, argv[optind], roster)) < 0 ||
	    (error = revocation_point(&last, &has_last, civic_node_repository(node), &pk, a.after)) < 0 ||
	    (error = civic_roster_revoke(roster, civic_node_repository(node), key, &pk,
					 has_last ? &last : NULL, a.reason ? a.reason : "revoked")) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	printf(_("revoked %s; records valid up to %s\n"), civic_roster_find(roster, &pk)->name,
	       has_last ? git_oid_tostr(hex, sizeof hex, &last) : _("(none)"));
done:
	civic_key_free(key);
	civic_roster_free(roster);
	civic_node_free(node);
	return code;
}

int cmd_member(const cli_context *ctx, int argc, char **argv)
{
	static const cli_subcommand subs[] = {
		{ "add", member_add }, { "revoke", member_revoke }, { NULL, NULL },
	};
	return cli_run_subcommand(ctx, argc, argv, subs, _(usage));
}
