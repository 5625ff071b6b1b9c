/* verified_heads.c - status counts per feed head, cached; see verified_heads.h. */
#include "verified_heads.h"
#include "buf.h"
#include "error.h"
#include "feed.h"
#include "json_cache.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_FORMAT "civic-verified-heads-1"
#define CACHE_FILE "verified-heads.json"
#define CACHE_MAX (16 * 1024 * 1024)

struct civic_verified_heads {
	char *tmp_dir, *path;
	char roster[GIT_OID_HEXSZ + 1]; /* "" without a roster */
	json_t *loaded;                  /* refname -> entry, as read */
	json_t *now;                     /* the entries got or set since */
	int changed;
};

/* The feeds of the cache at path, when it is one and was written for `roster`. */
static json_t *load_feeds(const char *path, const char *roster)
{
	json_t *doc = civic_json_cache_load(path, CACHE_FORMAT, CACHE_MAX), *feeds = NULL;
	const char *for_roster = json_string_value(json_object_get(doc, "roster"));

	if (for_roster && !strcmp(for_roster, roster) && json_is_object(json_object_get(doc, "feeds")))
		feeds = json_incref(json_object_get(doc, "feeds"));
	json_decref(doc);
	return feeds ? feeds : json_object();
}

int civic_verified_heads_load(civic_verified_heads **out, const char *tmp_dir, const git_oid *roster)
{
	civic_verified_heads *v = calloc(1, sizeof *v);
	civic_buf path = CIVIC_BUF_INIT;

	*out = NULL;
	CIVIC_ERROR_CHECK_ALLOC(v);
	if (roster)
		git_oid_tostr(v->roster, sizeof v->roster, roster);
	if (civic_buf_printf(&path, "%s/%s", tmp_dir, CACHE_FILE) < 0 || !(v->tmp_dir = strdup(tmp_dir))) {
		civic_buf_dispose(&path);
		civic_verified_heads_free(v);
		return civic_error_nomem();
	}
	v->path = civic_buf_detach(&path);
	v->loaded = load_feeds(v->path, v->roster);
	v->now = json_object();
	if (!v->loaded || !v->now) {
		civic_verified_heads_free(v);
		return civic_error_nomem();
	}
	*out = v;
	return 0;
}

static int count_of(size_t *out, const json_t *entry, const char *key)
{
	json_t *n = json_object_get(entry, key);

	if (!json_is_integer(n) || json_integer_value(n) < 0 || (uint64_t)json_integer_value(n) > CIVIC_FEED_MAX_SEQ)
		return 0;
	*out = (size_t)json_integer_value(n);
	return 1;
}

/* An entry as written by civic_verified_heads_set(), or 0: every record
 * counted once, so a damaged entry is passed over. */
static int parse_entry(civic_verified_head *out, const json_t *entry)
{
	const char *head = json_string_value(json_object_get(entry, "head"));
	size_t seq;

	return head && strlen(head) == GIT_OID_HEXSZ && git_oid_fromstr(&out->head, head) == 0 &&
	       count_of(&seq, entry, "seq") && seq > 0 && count_of(&out->valid, entry, "valid") &&
	       count_of(&out->pending, entry, "pending") && count_of(&out->revoked, entry, "revoked") &&
	       (out->seq = seq) == out->valid + out->pending + out->revoked;
}

int civic_verified_heads_last(civic_verified_head *out, const civic_verified_heads *v, const char *refname)
{
	json_t *entry = json_object_get(v->loaded, refname);

	git_error_clear();
	return entry && parse_entry(out, entry);
}

int civic_verified_heads_get(civic_verified_head *out, const civic_verified_heads *v, const char *refname,
			     const git_oid *head)
{
	civic_verified_head h;

	if (!civic_verified_heads_last(&h, v, refname) || !git_oid_equal(&h.head, head))
		return 0;
	if (json_object_set(v->now, refname, json_object_get(v->loaded, refname)) < 0)
		return 0; /* out of memory: counted again, as if not kept */
	*out = h;
	return 1;
}

int civic_verified_heads_set(civic_verified_heads *v, const char *refname, const civic_verified_head *h)
{
	char hex[GIT_OID_HEXSZ + 1];
	json_t *entry;

	git_oid_tostr(hex, sizeof hex, &h->head);
	entry = json_pack("{s:s, s:I, s:I, s:I, s:I}", "head", hex, "seq", (json_int_t)h->seq, "valid",
			  (json_int_t)h->valid, "pending", (json_int_t)h->pending, "revoked", (json_int_t)h->revoked);
	if (!entry || json_object_set_new(v->now, refname, entry) < 0)
		return civic_error_nomem();
	v->changed = 1;
	return 0;
}

int civic_verified_heads_save(civic_verified_heads *v)
{
	json_t *doc;
	int error;

	if (!v->changed && json_object_size(v->now) == json_object_size(v->loaded))
		return 0;
	doc = json_pack("{s:s, s:s, s:O}", "format", CACHE_FORMAT, "roster", v->roster, "feeds", v->now);
	error = doc ? civic_json_cache_save(v->tmp_dir, v->path, doc) : civic_error_nomem();
	json_decref(doc);
	return error;
}

void civic_verified_heads_free(civic_verified_heads *v)
{
	if (!v)
		return;
	json_decref(v->loaded);
	json_decref(v->now);
	free(v->tmp_dir);
	free(v->path);
	free(v);
}
