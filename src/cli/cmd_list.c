/* cmd_list.c - civic list: the verified records, filtered. */
#include "cmd.h"
#include "error.h"
#include "municipality.h"
#include "records.h"

#include <getopt.h>
#include <string.h>

#define COMMAND_NAME "list"

static const char usage[] =
	N_("usage: civic list [--kind K] [--municipality M] [--author A] [--all] [--json]\n"
	   "  --author takes an organization name, a fingerprint (SHA256:...) or a key\n"
	   "  --all also lists retracted records\n");

typedef struct {
	const char *kind, *municipality, *author;
	int all, json;
} list_args;

static int parse(list_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "municipality", required_argument, NULL, 'm' },
		{ "author", required_argument, NULL, 'a' },
		{ "all", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const civic_municipality *m;
	int c;

	memset(a, 0, sizeof *a);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': a->kind = optarg; break;
		case 'm':
			if (!(m = civic_municipality_find(optarg)))
				return cli_usage_error(_("unknown municipality '%s'"), optarg);
			a->municipality = m->slug;
			break;
		case 'a': a->author = optarg; break;
		case 'A': a->all = 1; break;
		case 'j': a->json = 1; break;
		case 'h': printf("%s", _(usage)); return -1;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	return 0;
}

static int str_eq(const json_t *value, const char *text)
{
	return json_is_string(value) && !strcmp(json_string_value(value), text);
}

/* A record is "in" a municipality when it is about it, addressed to it, or
 * written by a member from it. */
static int in_municipality(const json_t *e, const char *slug)
{
	const json_t *rec = json_object_get(e, "record");

	return str_eq(json_object_get(rec, "municipality"), slug) ||
	       str_eq(json_object_get(json_object_get(rec, "addressee"), "municipality"), slug) ||
	       str_eq(json_object_get(json_object_get(e, "author"), "municipality"), slug);
}

static int by_author(const json_t *e, const char *who)
{
	const json_t *a = json_object_get(e, "author");

	return str_eq(json_object_get(a, "name"), who) || str_eq(json_object_get(a, "fingerprint"), who) ||
	       str_eq(json_object_get(a, "key"), who);
}

static int wanted(const json_t *e, const list_args *a)
{
	if (!a->all && json_array_size(json_object_get(e, "retracted_by")))
		return 0;
	if (a->kind && strcmp(cli_record_kind(e), a->kind))
		return 0;
	if (a->municipality && !in_municipality(e, a->municipality))
		return 0;
	return !a->author || by_author(e, a->author);
}

static void print_line(const json_t *e)
{
	const json_t *rec = json_object_get(e, "record");
	const char *date = json_string_value(json_object_get(rec, "date"));
	const char *muni = json_string_value(json_object_get(rec, "municipality"));
	const char *standing = json_string_value(json_object_get(e, "standing"));
	const char *author = json_string_value(json_object_get(json_object_get(e, "author"), "name"));

	if (!muni)
		muni = json_string_value(json_object_get(json_object_get(rec, "addressee"), "municipality"));
	printf("%.12s  %-10s  %-21s  ", json_string_value(json_object_get(e, "id")), date ? date : "",
	       cli_record_kind(e));
	cli_print_padded(muni ? civic_municipality_name(muni) : "", 14);
	fputs("  ", stdout);
	cli_print_safe(cli_record_title(e), 0);
	if (strcmp(standing, "valid"))
		printf("  [%s]", standing);
	if (json_array_size(json_object_get(e, "retracted_by")))
		printf("  [%s]", _("retracted"));
	if (json_array_size(json_object_get(e, "corrected_by")))
		printf("  [%s]", _("corrected"));
	fputs("  — ", stdout);
	cli_print_safe(author ? author : _("(not a member)"), 0);
	fputc('\n', stdout);
}

int cmd_list(const cli_context *ctx, int argc, char **argv)
{
	list_args a;
	civic_node *node = NULL;
	civic_roster *roster = NULL;
	json_t *all = NULL, *out = NULL, *bad = NULL, *e;
	size_t i;
	int error, code;

	if ((code = parse(&a, argc, argv)) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (!(bad = json_array()))
		return cli_error_civic(civic_error_nomem());
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_READ)) < 0 ||
	    ((error = cli_load_roster(&roster, node)) < 0 && error != CIVIC_ENOTFOUND) ||
	    (error = cli_collect_records(&all, bad, node, roster)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	out = json_array();
	json_array_foreach(all, i, e)
		if (wanted(e, &a))
			json_array_append(out, e);
	if (a.json) {
		if (cli_print_json(out) < 0)
			code = cli_error_civic(CIVIC_ERROR);
	} else {
		json_array_foreach(out, i, e)
			print_line(e);
	}
	json_array_foreach(bad, i, e)
		fprintf(stderr, _("civic: not listed, does not verify: %s: %s\n"),
			json_string_value(json_object_get(e, "feed")),
			json_string_value(json_object_get(e, "reason")));
done:
	json_decref(all);
	json_decref(out);
	json_decref(bad);
	civic_roster_free(roster);
	civic_node_free(node);
	return code;
}
