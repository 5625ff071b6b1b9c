/* cmd_add.c - civic add: build a record, validate it, sign it into our feed. */
#include "cmd.h"
#include "attach.h"
#include "attach_purge.h"
#include "error.h"
#include "feed.h"
#include "municipality.h"
#include "text.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define COMMAND_NAME "add"
#define MAX_FIELDS 64
#define MAX_ATTACH 100
#define BODY_MAX_FILE (1024 * 1024)

static const char usage[] =
	N_("usage: civic add KIND (--json FILE | --field NAME=VALUE | --field NAME:=JSON ...)\n"
	   "                 [--body FILE.md] [--attach FILE]... [--passphrase-file FILE]\n"
	   "kinds: minutes, recommendation, recommendation-status, photo, document, correction, retraction,\n       fork-resolution (usually written by 'civic fork resolve')\n"
	   "NAME may be dotted (addressee.municipality=rila); prints the new record's id\n");

typedef struct {
	const char *kind, *json_file, *body_file, *pass_file;
	const char *fields[MAX_FIELDS];
	const char *attach[MAX_ATTACH];
	size_t nfields, nattach;
} add_args;

static int parse(add_args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "field", required_argument, NULL, 'f' },
		{ "body", required_argument, NULL, 'b' },
		{ "attach", required_argument, NULL, 'a' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof *a);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': a->json_file = optarg; break;
		case 'b': a->body_file = optarg; break;
		case 'p': a->pass_file = optarg; break;
		case 'f':
			if (a->nfields == MAX_FIELDS)
				return cli_usage_error(_("at most %d --field options"), MAX_FIELDS);
			a->fields[a->nfields++] = optarg;
			break;
		case 'a':
			if (a->nattach == MAX_ATTACH)
				return cli_usage_error(_("at most %d --attach options"), MAX_ATTACH);
			a->attach[a->nattach++] = optarg;
			break;
		case 'h': printf("%s", _(usage)); return -1;
		default: fprintf(stderr, "%s", _(usage)); return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return fprintf(stderr, "%s", _(usage)), CLI_EXIT_USAGE;
	a->kind = argv[optind];
	return 0;
}

static int record_error(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));
static int record_error(const char *fmt, const char *arg)
{
	civic_error_set(CIVIC_ERROR_RECORD, fmt, arg);
	return CIVIC_EINVALID;
}

/* Sets a dotted field ("addressee.body") in record, creating objects on the
 * way; refuses to overwrite. Takes the value's reference. */
static int set_field(json_t *record, const char *spec, size_t name_len, json_t *value)
{
	char name[256];
	char *dot, *part;
	json_t *obj = record;

	if (!value)
		return record_error("the value in '%s' is not valid UTF-8", spec);
	if (name_len == 0 || name_len >= sizeof name) {
		json_decref(value);
		return record_error("bad field name in '%s'", spec);
	}
	memcpy(name, spec, name_len);
	name[name_len] = '\0';
	if (civic_text_check_name(name, sizeof name - 1, "a --field name") < 0) {
		json_decref(value);
		return CIVIC_EINVALID;
	}
	for (part = name; (dot = strchr(part, '.')); part = dot + 1) {
		json_t *next;
		*dot = '\0';
		if (!(next = json_object_get(obj, part))) {
			next = json_object();
			json_object_set_new(obj, part, next);
		}
		if (!json_is_object(next)) {
			json_decref(value);
			return record_error("field '%s' is not an object", part);
		}
		obj = next;
	}
	if (!*part || json_object_get(obj, part)) {
		json_decref(value);
		return record_error("field '%s' is empty or given twice", spec);
	}
	return json_object_set_new(obj, part, value) < 0 ? civic_error_nomem() : 0;
}

/* NAME=VALUE sets a string; NAME:=JSON sets any JSON value. */
static int apply_field(json_t *record, const char *spec)
{
	const char *eq = strchr(spec, '=');
	json_error_t jerr;
	json_t *value;

	if (!eq)
		return record_error("'%s' is not NAME=VALUE or NAME:=JSON", spec);
	if (eq > spec && eq[-1] == ':') {
		if (!(value = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr)))
			return record_error("the JSON value in '%s' is invalid", spec);
		return set_field(record, spec, (size_t)(eq - 1 - spec), value);
	}
	return set_field(record, spec, (size_t)(eq - spec), json_string(eq + 1));
}

/* Users may write "Рила" where the schema wants the slug "rila". */
static void normalize_municipality(json_t *obj)
{
	const char *text = json_string_value(json_object_get(obj, "municipality"));
	const civic_municipality *m = text ? civic_municipality_find(text) : NULL;

	if (m && strcmp(m->slug, text))
		json_object_set_new(obj, "municipality", json_string(m->slug));
}

static int set_body(json_t *record, const char *path)
{
	civic_buf text = CIVIC_BUF_INIT;
	json_t *body;
	int error;

	if (json_object_get(record, "body"))
		return record_error("the record has a \"body\" already; drop it or %s", "--body");
	if ((error = civic_buf_read_file(&text, path, BODY_MAX_FILE)) < 0)
		return error;
	if (memchr(text.ptr, '\0', text.size)) {
		civic_buf_dispose(&text);
		return record_error("'%s' holds a NUL byte: not a text file", path);
	}
	body = json_stringn(text.ptr, text.size);
	civic_buf_dispose(&text);
	if (!body)
		return record_error("'%s' is not valid UTF-8 text", path);
	return json_object_set_new(record, "body", body) < 0 ? civic_error_nomem() : 0;
}

static json_t *attachment_json(const civic_attachment *a)
{
	return json_pack("{s:s, s:s, s:I, s:s}", "name", a->name, "sha256", a->sha256,
			 "size", (json_int_t)a->size, "media_type", a->media_type);
}

/* Describes each --attach file in the record (hashing, not storing yet). */
static int describe_attachments(json_t *record, const add_args *a, civic_attachment *described)
{
	json_t *list = json_object_get(record, "attachments");
	size_t i;
	int error;

	if (!a->nattach)
		return 0;
	if (!list) {
		list = json_array();
		json_object_set_new(record, "attachments", list);
	}
	if (!json_is_array(list))
		return record_error("\"attachments\" must be an array%s", "");
	for (i = 0; i < a->nattach; i++) {
		json_t *one;
		if ((error = civic_attach_describe(&described[i], a->attach[i])) < 0)
			return error;
		if (!(one = attachment_json(&described[i])) || json_array_append_new(list, one) < 0)
			return civic_error_nomem();
	}
	return 0;
}

/* Builds the record from --json, --field, --body and --attach. */
static int build_record(json_t **out, const add_args *a, civic_attachment *described)
{
	civic_buf text = CIVIC_BUF_INIT;
	json_t *record = NULL;
	const char *kind;
	size_t i;
	int error = 0;

	*out = NULL;
	if (a->json_file) {
		if ((error = civic_buf_read_file(&text, a->json_file, CIVIC_RECORD_MAX_SIZE)) == 0)
			error = civic_record_parse(&record, text.ptr, text.size, a->json_file);
		civic_buf_dispose(&text);
		if (error < 0)
			return error;
	} else if (!(record = json_object())) {
		return civic_error_nomem();
	}
	for (i = 0; i < a->nfields && error == 0; i++)
		error = apply_field(record, a->fields[i]);
	if (error == 0 && !(kind = json_string_value(json_object_get(record, "kind"))))
		json_object_set_new(record, "kind", json_string(a->kind));
	else if (error == 0 && strcmp(kind, a->kind))
		error = record_error("the record's kind is not '%s'", a->kind);
	if (error == 0) {
		normalize_municipality(record);
		normalize_municipality(json_object_get(record, "addressee"));
	}
	if (error == 0 && a->body_file)
		error = set_body(record, a->body_file);
	if (error == 0)
		error = describe_attachments(record, a, described);
	if (error < 0) {
		json_decref(record);
		return error;
	}
	*out = record;
	return 0;
}

/* Stores the attachment bytes; a file that changed since it was described
 * would no longer match the record that is about to be signed. */
static int store_attachments(const civic_node *node, const add_args *a, const civic_attachment *described)
{
	civic_attachment stored;
	size_t i;
	int error;

	for (i = 0; i < a->nattach; i++) {
		if ((error = civic_attach_store(&stored, civic_node_attachments_dir(node), a->attach[i])) < 0)
			return error;
		if (strcmp(stored.sha256, described[i].sha256))
			return record_error("'%s' changed while it was being added", a->attach[i]);
	}
	return 0;
}

/* A revoked key must not write; a key that is not a member yet may, and its
 * records wait as pending until the Civic Center admits it. */
static int check_standing(int *pending, const civic_node *node)
{
	civic_roster *roster = NULL;
	const civic_member *me = NULL;
	int error = cli_load_roster(&roster, node);

	*pending = error == CIVIC_ENOTFOUND ||
		   (error == 0 && !(me = civic_roster_find(roster, civic_node_public_key(node))));
	if (*pending) {
		error = 0;
	} else if (error == 0 && me->revoked) {
		civic_error_set(CIVIC_ERROR_ROSTER, "this node's key was revoked from the network");
		error = CIVIC_EINVALID;
	}
	civic_roster_free(roster);
	return error;
}

/* A retraction that asks for a purge takes the bytes off this node now;
 * other nodes drop them when they sync it (attach_purge.h). The record is
 * signed by then: a purge that fails is a warning (the next sync tries
 * again), not a failure that would make the user sign it twice. */
static void purge_retracted(civic_node *node, const json_t *record)
{
	size_t removed = 0;
	git_oid target;

	if (!civic_purge_claim_of(&target, record))
		return;
	if (civic_attach_purge_node(&removed, node) < 0) {
		char why[sizeof civic_error_last()->message];
		snprintf(why, sizeof why, "%s", civic_error_last()->message);
		civic_error_set(CIVIC_ERROR_ATTACH, "warning: the retraction is signed, but its attachments "
				"stay here until the next sync: %s", why);
		(void)cli_error_civic(CIVIC_ERROR);
	} else if (removed) {
		fprintf(stderr, _("civic: %zu attachment files removed, purged by this retraction\n"), removed);
	}
}

int cmd_add(const cli_context *ctx, int argc, char **argv)
{
	add_args a;
	civic_attachment *described = NULL;
	civic_schemas *schemas = NULL;
	civic_node *node = NULL;
	civic_key *key = NULL;
	json_t *record = NULL;
	const char *network;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;
	int pending = 0, error, code;

	if ((code = parse(&a, argc, argv)) != 0)
		return code < 0 ? CLI_EXIT_OK : code;
	if (!(described = calloc(a.nattach ? a.nattach : 1, sizeof *described)))
		return cli_error_civic(civic_error_nomem());
	if ((error = civic_schemas_new(&schemas)) < 0)
		goto fail;
	if (!civic_schemas_has_kind(schemas, a.kind)) {
		code = cli_usage_error(_("unknown record kind '%s'; see 'civic add --help'"), a.kind);
		goto done;
	}
	/* Everything is checked before anything is written. */
	if ((error = cli_open_node(&node, ctx, CIVIC_NODE_WRITE)) < 0 ||
	    (error = cli_require_network(&network, node)) < 0 ||
	    (error = check_standing(&pending, node)) < 0 ||
	    (error = cli_check_caught_up(node, NULL)) < 0 ||
	    (error = build_record(&record, &a, described)) < 0 ||
	    (error = civic_schemas_validate(schemas, record)) < 0 ||
	    (error = cli_load_key(&key, node, a.pass_file)) < 0 ||
	    (error = store_attachments(node, &a, described)) < 0 ||
	    (error = civic_feed_append(&id, civic_node_repository(node), key, civic_node_name(node),
				       network, schemas, record)) < 0)
		goto fail;
	printf("%s\n", git_oid_tostr(hex, sizeof hex, &id));
	if (pending)
		fprintf(stderr, "%s", _("civic: note: this node's key is not in the roster it holds; "
					"the record stays pending until the Civic Center admits it\n"));
	purge_retracted(node, record);
	goto done;
fail:
	code = cli_error_civic(error);
done:
	json_decref(record);
	civic_key_free(key);
	civic_node_free(node);
	civic_schemas_free(schemas);
	free(described);
	return code;
}
