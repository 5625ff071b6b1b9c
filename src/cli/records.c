/* records.c - verified records as JSON, with their links; see records.h. */
#include "records.h"
#include "catalog.h"
#include "cmd.h"
#include "error.h"
#include "municipality.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
	json_t *list;
	json_t *bad;
	json_t *by_id; /* id -> entry, to link corrections and retractions */
} collect_state;

static json_t *author_json(const civic_entry *e)
{
	civic_buf line = CIVIC_BUF_INIT, fp = CIVIC_BUF_INIT;
	json_t *o;

	civic_pubkey_to_openssh(&line, &e->author);
	civic_pubkey_fingerprint(&fp, &e->author);
	o = json_pack("{s:s, s:s}", "key", line.ptr, "fingerprint", fp.ptr);
	if (o && e->member) {
		json_object_set_new(o, "name", json_string(e->member->name));
		json_object_set_new(o, "municipality", json_string(e->member->municipality));
		json_object_set_new(o, "municipality_name",
				    json_string(civic_municipality_name(e->member->municipality)));
		json_object_set_new(o, "role", json_string(e->member->role));
	}
	civic_buf_dispose(&line);
	civic_buf_dispose(&fp);
	return o;
}

static int on_record(const civic_entry *e, void *payload)
{
	collect_state *st = payload;
	char id[GIT_OID_HEXSZ + 1];
	json_t *o;

	git_oid_tostr(id, sizeof id, &e->commit.id);
	o = json_pack("{s:s, s:I, s:I, s:s, s:o, s:O, s:[], s:[]}", "id", id,
		      "seq", (json_int_t)e->commit.seq, "time", (json_int_t)e->commit.time,
		      "standing", civic_standing_name(e->standing), "author", author_json(e),
		      "record", e->record, "retracted_by", "corrected_by");
	if (!o || json_array_append_new(st->list, o) < 0 || json_object_set(st->by_id, id, o) < 0)
		return civic_error_nomem();
	return 0;
}

static void on_bad(const civic_pubkey *author, const char *refname, const git_oid *commit,
		   const char *reason, void *payload)
{
	collect_state *st = payload;
	char id[GIT_OID_HEXSZ + 1];

	(void)author;
	if (st->bad)
		json_array_append_new(st->bad, json_pack("{s:s, s:s, s:s}", "feed", refname, "commit",
							 git_oid_tostr(id, sizeof id, commit), "reason", reason));
}

/* A retraction or correction counts when its author wrote the target, or
 * is an admin: nobody else can mark another member's record. */
static int may_amend(const json_t *by, const json_t *target, const civic_roster *roster)
{
	const char *a = json_string_value(json_object_get(json_object_get(by, "author"), "key"));
	const char *b = json_string_value(json_object_get(json_object_get(target, "author"), "key"));
	civic_pubkey pa, pb;

	return a && b && civic_pubkey_from_openssh(&pa, a, strlen(a)) == 0 &&
	       civic_pubkey_from_openssh(&pb, b, strlen(b)) == 0 && civic_roster_may_amend(roster, &pa, &pb);
}

static void link_records(collect_state *st, const civic_roster *roster)
{
	json_t *e, *target;
	size_t i;

	json_array_foreach(st->list, i, e) {
		const json_t *rec = json_object_get(e, "record");
		const char *kind = json_string_value(json_object_get(rec, "kind"));
		const char *field = !strcmp(kind, "retraction") ? "retracts" :
				    !strcmp(kind, "correction") ? "corrects" : NULL;
		if (!field || strcmp(json_string_value(json_object_get(e, "standing")), "valid"))
			continue;
		target = json_object_get(st->by_id, json_string_value(json_object_get(rec, field)));
		if (!target || !may_amend(e, target, roster))
			continue;
		json_array_append(json_object_get(target, !strcmp(field, "retracts") ? "retracted_by" : "corrected_by"),
				  json_object_get(e, "id"));
	}
}

/* The date a record is about ("date" field), else the day it was signed. */
static void sort_date(char out[11], const json_t *e)
{
	const char *date = json_string_value(json_object_get(json_object_get(e, "record"), "date"));
	time_t t = (time_t)json_integer_value(json_object_get(e, "time"));
	struct tm tm;

	if (date && strlen(date) == 10)
		memcpy(out, date, 11);
	else if (gmtime_r(&t, &tm))
		strftime(out, 11, "%Y-%m-%d", &tm);
	else
		out[0] = '\0';
}

static int by_date(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	json_int_t tx = json_integer_value(json_object_get(x, "time"));
	json_int_t ty = json_integer_value(json_object_get(y, "time"));
	char dx[11], dy[11];
	int c;

	sort_date(dx, x);
	sort_date(dy, y);
	if ((c = strcmp(dx, dy)))
		return c;
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "id")), json_string_value(json_object_get(y, "id")));
}

/* By the date records are about, then signing time, then id: the same
 * order on every node. */
static json_t *sorted(json_t *list)
{
	size_t n = json_array_size(list), i;
	json_t **items = malloc((n ? n : 1) * sizeof *items), *out = json_array();

	if (!items || !out) {
		free(items);
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		items[i] = json_array_get(list, i);
	qsort(items, n, sizeof *items, by_date);
	for (i = 0; i < n; i++)
		json_array_append(out, items[i]);
	free(items);
	return out;
}

int cli_collect_records(json_t **out, json_t *bad, const civic_node *node, const civic_roster *roster)
{
	collect_state st = { json_array(), bad, json_object() };
	civic_catalog_callbacks cb = { on_record, on_bad, &st };
	civic_schemas *schemas = NULL;
	const char *network;
	int error;

	*out = NULL;
	if (!st.list || !st.by_id)
		error = civic_error_nomem();
	else if ((error = cli_require_network(&network, node)) == 0 &&
		 (error = civic_schemas_new(&schemas)) == 0)
		error = civic_catalog_walk(civic_node_repository(node), network, roster, schemas, NULL, &cb);
	if (error == 0) {
		link_records(&st, roster);
		if (!(*out = sorted(st.list)))
			error = civic_error_nomem();
	}
	civic_schemas_free(schemas);
	json_decref(st.by_id);
	json_decref(st.list);
	return error;
}

const char *cli_record_kind(const json_t *entry)
{
	return json_string_value(json_object_get(json_object_get(entry, "record"), "kind"));
}

const char *cli_record_title(const json_t *entry)
{
	return json_string_value(json_object_get(json_object_get(entry, "record"), "title"));
}
