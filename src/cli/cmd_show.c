/* cmd_show.c - civic show: one record, its author, signature and attachments. */
#include "cmd.h"
#include "attach.h"
#include "attach_index.h"
#include "error.h"
#include "municipality.h"
#include "records.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMMAND_NAME "show"

static const char usage[] = N_("usage: civic show ID [--json]\n");

/* The retraction that purged the attachments of record id, as sync sees it
 * (attach_purge.h): 1 and *by set, or 0. */
static int purged_by(git_oid *by, const civic_node *node, const civic_roster *roster, const git_oid *id)
{
	civic_attach_holding *held = NULL;
	size_t n = 0, i;
	int found = 0;

	if (civic_attach_index_read(&held, &n, civic_node_repository(node), roster, civic_node_tmp_dir(node)) < 0)
		civic_error_clear(); /* then nothing is called purged */
	for (i = 0; i < n && !found; i++)
		if (held[i].purged && git_oid_equal(&held[i].record, id)) {
			*by = held[i].purged_by;
			found = 1;
		}
	civic_attach_holdings_free(held, n);
	return found;
}

/* Adds "state" (present, missing, corrupt, purged: missing because a
 * retraction purged it) to each attachment, and "purged_by". */
static int check_attachments(json_t *out, const civic_node *node, const civic_roster *roster, const git_oid *id,
			     const json_t *record)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid by;
	int purged = json_array_size(json_object_get(record, "attachments")) && purged_by(&by, node, roster, id);

	json_t *a, *list = json_array();
	civic_attach_state state;
	size_t i;
	int error;

	json_array_foreach(json_object_get(record, "attachments"), i, a) {
		const char *sha = json_string_value(json_object_get(a, "sha256"));
		json_int_t size = json_integer_value(json_object_get(a, "size"));
		json_t *copy = json_deep_copy(a);
		if ((error = civic_attach_check(&state, civic_node_attachments_dir(node), sha,
						(uint64_t)size, 1)) < 0) {
			json_decref(copy);
			json_decref(list);
			return error;
		}
		json_object_set_new(copy, "state", json_string(purged && state == CIVIC_ATTACH_MISSING
								? "purged" : civic_attach_state_name(state)));
		json_array_append_new(list, copy);
	}
	json_object_set_new(out, "attachments", list);
	if (purged)
		json_object_set_new(out, "purged_by", json_string(git_oid_tostr(hex, sizeof hex, &by)));
	return 0;
}

/* Labels are padded by characters, not bytes: Bulgarian labels are Cyrillic. */
static void label(const char *text)
{
	cli_print_padded(text, 12);
	fputc(' ', stdout);
}

static void print_ids(const char *name, const json_t *ids)
{
	json_t *v;
	size_t i;

	json_array_foreach(ids, i, v) {
		label(name);
		printf("%s\n", json_string_value(v));
	}
}

/* One "label  value" line; the value may come from a signed record, so it
 * goes through cli_print_safe(). */
static void line(const char *name, const char *value)
{
	label(name);
	cli_print_safe(value ? value : "", 0);
	fputc('\n', stdout);
}

static const char *standing_text(const char *standing)
{
	if (!strcmp(standing, "valid"))
		return _("good, by a member of the network");
	if (!strcmp(standing, "pending"))
		return _("good, but the key is not a member (yet): pending");
	return _("good, but made after the key was revoked");
}

static void print_fields(const json_t *rec)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)rec, key, v) {
		char *text;
		if (!strcmp(key, "body") || !strcmp(key, "attachments") || !strcmp(key, "title") ||
		    !strcmp(key, "kind"))
			continue;
		if (json_is_string(v)) {
			line(key, !strcmp(key, "municipality") ? civic_municipality_name(json_string_value(v))
							       : json_string_value(v));
			continue;
		}
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		line(key, text);
		free(text);
	}
}

static void print_text(const json_t *e)
{
	const json_t *rec = json_object_get(e, "record"), *author = json_object_get(e, "author"), *v, *a;
	const char *name = json_string_value(json_object_get(author, "name"));
	time_t t = (time_t)json_integer_value(json_object_get(e, "time"));
	char when[64], who[600];
	size_t i;

	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %z", localtime(&t));
	snprintf(who, sizeof who, "%s (%s)", name ? name : _("(not a member)"),
		 json_string_value(json_object_get(author, "fingerprint")));
	line(_("record"), json_string_value(json_object_get(e, "id")));
	line(_("kind"), cli_record_kind(e));
	line(_("title"), cli_record_title(e));
	line(_("author"), who);
	if (json_object_get(author, "municipality_name"))
		line("", json_string_value(json_object_get(author, "municipality_name")));
	line(_("signature"), standing_text(json_string_value(json_object_get(e, "standing"))));
	line(_("signed at"), when);
	print_fields(rec);
	json_array_foreach(json_object_get(e, "attachments"), i, a) {
		char text[512];
		snprintf(text, sizeof text, _("%s  %s  %lld bytes  [%s]"),
			 json_string_value(json_object_get(a, "name")),
			 json_string_value(json_object_get(a, "sha256")),
			 (long long)json_integer_value(json_object_get(a, "size")),
			 json_string_value(json_object_get(a, "state")));
		line(_("attachment"), text);
	}
	if ((v = json_object_get(e, "purged_by")))
		line(_("purged by"), json_string_value(v));
	print_ids(_("retracted by"), json_object_get(e, "retracted_by"));
	print_ids(_("corrected by"), json_object_get(e, "corrected_by"));
	if ((v = json_object_get(rec, "body"))) {
		fputc('\n', stdout);
		cli_print_safe(json_string_value(v), 1);
		fputc('\n', stdout);
	}
}

static json_t *find(const json_t *all, const char *id)
{
	json_t *e;
	size_t i;

	json_array_foreach(all, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "id")), id))
			return e;
	return NULL;
}

int cmd_show(const cli_context *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	civic_node *node = NULL;
	civic_roster *roster = NULL;
	json_t *all = NULL, *e;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;
	int json = 0, c, error, code = CLI_EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': printf("%s", _(usage)); return CLI_EXIT_OK;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_READ)) < 0 ||
	    (error = cli_resolve_commit(&id, civic_node_repository(node), argv[optind])) < 0 ||
	    ((error = cli_load_roster(&roster, node)) < 0 && error != CIVIC_ENOTFOUND) ||
	    (error = cli_collect_records(&all, NULL, node, roster)) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	if (!(e = find(all, git_oid_tostr(hex, sizeof hex, &id)))) {
		code = cli_fail(CLI_EXIT_FAILED, _("'%s' is not a record that verifies in this archive"),
				argv[optind]);
		goto done;
	}
	if ((error = check_attachments(e, node, roster, &id, json_object_get(e, "record"))) < 0) {
		code = cli_error_civic(error);
		goto done;
	}
	if (json)
		code = cli_print_json(e) < 0 ? cli_error_civic(CIVIC_ERROR) : CLI_EXIT_OK;
	else
		print_text(e);
done:
	json_decref(all);
	civic_roster_free(roster);
	civic_node_free(node);
	return code;
}
