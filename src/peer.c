/* peer.c - the peer list and what each peer holds; see peer.h. */
#include "peer.h"
#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "text.h"

#include <jansson.h>
#include <libintl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEERS_FORMAT "civic-peers-1"
#define PEERS_FILE_MAX (16 * 1024 * 1024)

struct civic_peers {
	char path[PATH_MAX];
	civic_peer *list;
	size_t count, alloc;
};

int civic_peer_name_check(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			break;
	}
	if (n == 0 || n > CIVIC_PEER_NAME_MAX || i < n || name[0] == '-' || name[0] == '.') {
		civic_error_set(CIVIC_ERROR_ARGS,
				"'%s' is not a peer name: use 1 to %d letters, digits, '.', '_' or '-'",
				name ? name : "", CIVIC_PEER_NAME_MAX);
		return CIVIC_EINVALID;
	}
	return 0;
}

int civic_peer_is_url(const char *text)
{
	return strchr(text, '/') || strchr(text, ':');
}

int civic_peer_url_check(const char *url)
{
	size_t i, n = url ? strlen(url) : 0;

	if (n > CIVIC_PEER_URL_MAX) {
		civic_error_set(CIVIC_ERROR_ARGS, "a peer URL longer than %d bytes is not accepted",
				CIVIC_PEER_URL_MAX);
		return CIVIC_EINVALID;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f)
			break;
	if (n == 0 || i < n || url[0] == ' ' || url[n - 1] == ' ' || !civic_text_is_utf8(url) ||
	    url[0] == '-' || !civic_peer_is_url(url)) {
		civic_error_set(CIVIC_ERROR_ARGS,
				"'%s' is not a peer URL: give a path, or file://, git://, ssh://, https:// or user@host:path",
				url ? url : "");
		return CIVIC_EINVALID;
	}
	return 0;
}

void civic_peer_init(civic_peer *peer, const char *name, const char *url)
{
	memset(peer, 0, sizeof *peer);
	snprintf(peer->name, sizeof peer->name, "%s", name);
	snprintf(peer->url, sizeof peer->url, "%s", url);
}

void civic_peer_dispose(civic_peer *peer)
{
	free(peer->known);
	free(peer->known_index);
	peer->known = NULL;
	peer->known_index = NULL;
	peer->known_count = peer->known_alloc = peer->known_index_size = 0;
}

void civic_peer_clear_known(civic_peer *peer)
{
	peer->known_count = 0;
	if (peer->known_index)
		memset(peer->known_index, 0, peer->known_index_size * sizeof *peer->known_index);
}

/* A peer may hold thousands of refs: they are found by name through a
 * hash index, not by scanning. */
static size_t hash_ref(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t *slot_of(const civic_peer *peer, const char *refname)
{
	size_t mask = peer->known_index_size - 1, i = hash_ref(refname) & mask;

	while (peer->known_index[i] && strcmp(peer->known[peer->known_index[i] - 1].refname, refname))
		i = (i + 1) & mask;
	return &peer->known_index[i];
}

/* Makes the index hold known[0..known_count) with room for one more. */
static int reindex(civic_peer *peer, int always)
{
	size_t size = peer->known_index_size ? peer->known_index_size : 64, i;

	while (size < 2 * (peer->known_count + 1))
		size *= 2;
	if (!always && size == peer->known_index_size)
		return 0;
	free(peer->known_index);
	if (!(peer->known_index = calloc(size, sizeof *peer->known_index))) {
		peer->known_index_size = 0;
		return civic_error_nomem();
	}
	peer->known_index_size = size;
	for (i = 0; i < peer->known_count; i++)
		*slot_of(peer, peer->known[i].refname) = i + 1;
	return 0;
}

static civic_peer_head *find_known(const civic_peer *peer, const char *refname)
{
	size_t *slot;

	if (!peer->known_index_size)
		return NULL;
	slot = slot_of(peer, refname);
	return *slot ? &peer->known[*slot - 1] : NULL;
}

int civic_peer_known(git_oid *out, const civic_peer *peer, const char *refname)
{
	const civic_peer_head *h = find_known(peer, refname);

	if (!h)
		return CIVIC_ENOTFOUND;
	git_oid_cpy(out, &h->id);
	return 0;
}

int civic_peer_set_known(civic_peer *peer, const char *refname, const git_oid *id)
{
	civic_peer_head *h = find_known(peer, refname);

	if (strlen(refname) >= CIVIC_PEER_REF_MAX) {
		civic_error_set(CIVIC_ERROR_ARGS, "ref name too long: '%.64s...'", refname);
		return CIVIC_EINVALID;
	}
	if (!id) {
		if (!h)
			return 0;
		*h = peer->known[--peer->known_count];
		return reindex(peer, 1);
	}
	if (!h) {
		if (peer->known_count >= CIVIC_PEER_KNOWN_MAX) {
			civic_error_set(CIVIC_ERROR_ARGS, "peer '%s' holds more than %d refs", peer->name,
					CIVIC_PEER_KNOWN_MAX);
			return CIVIC_EINVALID;
		}
		if (peer->known_count == peer->known_alloc) {
			size_t n = peer->known_alloc ? peer->known_alloc * 2 : 16;
			civic_peer_head *p = realloc(peer->known, n * sizeof *p);
			CIVIC_ERROR_CHECK_ALLOC(p);
			peer->known = p;
			peer->known_alloc = n;
		}
		if (reindex(peer, 0) < 0)
			return CIVIC_ERROR;
		h = &peer->known[peer->known_count++];
		snprintf(h->refname, sizeof h->refname, "%s", refname);
		*slot_of(peer, refname) = peer->known_count;
	}
	git_oid_cpy(&h->id, id);
	return 0;
}

/* -------------------------------------------------------------------------
 * The list
 */

size_t civic_peers_count(const civic_peers *peers) { return peers->count; }
civic_peer *civic_peers_get(civic_peers *peers, size_t i) { return &peers->list[i]; }

civic_peer *civic_peers_find(civic_peers *peers, const char *name)
{
	size_t i;

	for (i = 0; i < peers->count; i++)
		if (!strcmp(peers->list[i].name, name))
			return &peers->list[i];
	return NULL;
}

static civic_peer *append(civic_peers *peers)
{
	if (peers->count == peers->alloc) {
		size_t n = peers->alloc ? peers->alloc * 2 : 8;
		civic_peer *p = realloc(peers->list, n * sizeof *p);
		if (!p)
			return NULL;
		peers->list = p;
		peers->alloc = n;
	}
	return &peers->list[peers->count++];
}

int civic_peers_add(civic_peers *peers, const char *name, const char *url, int relay,
		    const char *ssh_key)
{
	civic_peer *p;
	int error;

	if ((error = civic_peer_name_check(name)) < 0 || (error = civic_peer_url_check(url)) < 0)
		return error;
	if (ssh_key && (strlen(ssh_key) > CIVIC_PEER_URL_MAX || !*ssh_key || !civic_text_is_utf8(ssh_key))) {
		civic_error_set(CIVIC_ERROR_ARGS, "bad ssh key path");
		return CIVIC_EINVALID;
	}
	if (civic_peers_find(peers, name)) {
		civic_error_set(CIVIC_ERROR_ARGS, "there is a peer named '%s' already", name);
		return CIVIC_EEXISTS;
	}
	if (peers->count >= CIVIC_PEERS_MAX) {
		civic_error_set(CIVIC_ERROR_ARGS, "a node keeps at most %d peers", CIVIC_PEERS_MAX);
		return CIVIC_EINVALID;
	}
	if (!(p = append(peers)))
		return civic_error_nomem();
	civic_peer_init(p, name, url);
	p->relay = relay;
	if (ssh_key)
		snprintf(p->ssh_key, sizeof p->ssh_key, "%s", ssh_key);
	return 0;
}

int civic_peers_remove(civic_peers *peers, const char *name)
{
	civic_peer *p = civic_peers_find(peers, name);

	if (!p) {
		civic_error_set(CIVIC_ERROR_ARGS, "there is no peer named '%s'", name);
		return CIVIC_ENOTFOUND;
	}
	civic_peer_dispose(p);
	memmove(p, p + 1, (size_t)(&peers->list[peers->count] - (p + 1)) * sizeof *p);
	peers->count--;
	return 0;
}

void civic_peers_free(civic_peers *peers)
{
	size_t i;

	if (!peers)
		return;
	for (i = 0; i < peers->count; i++)
		civic_peer_dispose(&peers->list[i]);
	free(peers->list);
	free(peers);
}

/* -------------------------------------------------------------------------
 * The file
 */

static int bad_peers_file(const civic_peers *peers, const char *why)
{
	civic_error_set(CIVIC_ERROR_NODE, "'%s' is not a valid peer list: %s", peers->path, dgettext("civic", why));
	return CIVIC_EINVALID;
}

static int copy_string(char *dst, size_t size, json_t *v)
{
	const char *s = json_string_value(v);

	if (!s || strlen(s) >= size)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int parse_known(civic_peer *p, json_t *known)
{
	const char *ref;
	json_t *v;
	git_oid id;

	if (!json_is_object(known))
		return -1;
	json_object_foreach(known, ref, v) {
		const char *hex = json_string_value(v);
		if (!hex || strlen(hex) != GIT_OID_HEXSZ || git_oid_fromstr(&id, hex) < 0 ||
		    civic_peer_set_known(p, ref, &id) < 0)
			return -1;
	}
	return 0;
}

static int parse_peer(civic_peers *peers, json_t *j)
{
	civic_peer *p;
	json_t *v;

	if (!json_is_object(j) || !(p = append(peers)))
		return json_is_object(j) ? civic_error_nomem() : bad_peers_file(peers, "a peer is not an object");
	memset(p, 0, sizeof *p);
	if (copy_string(p->name, sizeof p->name, json_object_get(j, "name")) < 0 ||
	    civic_peer_name_check(p->name) < 0 ||
	    copy_string(p->url, sizeof p->url, json_object_get(j, "url")) < 0 ||
	    civic_peer_url_check(p->url) < 0 ||
	    ((v = json_object_get(j, "ssh_key")) && copy_string(p->ssh_key, sizeof p->ssh_key, v) < 0) ||
	    ((v = json_object_get(j, "last_error")) && copy_string(p->last_error, sizeof p->last_error, v) < 0) ||
	    ((v = json_object_get(j, "known")) && parse_known(p, v) < 0))
		return bad_peers_file(peers, "a peer has a bad name, url, ssh_key, last_error or known");
	p->relay = json_is_true(json_object_get(j, "relay"));
	p->last_sync = json_integer_value(json_object_get(j, "last_sync"));
	p->last_attempt = json_integer_value(json_object_get(j, "last_attempt"));
	return 0;
}

static int parse_file(civic_peers *peers, const civic_buf *text)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text->ptr, text->size, JSON_REJECT_DUPLICATES, &jerr), *list, *j;
	size_t i;
	int error = 0;

	if (!doc)
		return bad_peers_file(peers, jerr.text);
	list = json_object_get(doc, "peers");
	if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "format")) ||
	    strcmp(json_string_value(json_object_get(doc, "format")), PEERS_FORMAT) ||
	    !json_is_array(list) || json_array_size(list) > CIVIC_PEERS_MAX)
		error = bad_peers_file(peers, "not a civic-peers-1 file");
	json_array_foreach(list, i, j) {
		if (error)
			break;
		error = parse_peer(peers, j);
		if (error == 0 && civic_peers_find(peers, peers->list[peers->count - 1].name) !=
				      &peers->list[peers->count - 1])
			error = bad_peers_file(peers, "two peers have the same name");
	}
	json_decref(doc);
	return error;
}

int civic_peers_load(civic_peers **out, const char *home)
{
	civic_buf text = CIVIC_BUF_INIT;
	civic_peers *peers = calloc(1, sizeof *peers);
	int n, error;

	*out = NULL;
	CIVIC_ERROR_CHECK_ALLOC(peers);
	n = snprintf(peers->path, sizeof peers->path, "%s/peers.json", home);
	if (n < 0 || (size_t)n >= sizeof peers->path) {
		free(peers);
		civic_error_set(CIVIC_ERROR_NODE, "path too long: '%s'", home);
		return CIVIC_EINVALID;
	}
	error = civic_buf_read_file(&text, peers->path, PEERS_FILE_MAX);
	if (error == CIVIC_ENOTFOUND)
		error = 0;
	else if (error == 0)
		error = parse_file(peers, &text);
	civic_buf_dispose(&text);
	if (error < 0) {
		civic_peers_free(peers);
		return error;
	}
	*out = peers;
	return 0;
}

static json_t *peer_json(const civic_peer *p)
{
	json_t *known = json_object(), *j;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	for (i = 0; known && i < p->known_count; i++)
		json_object_set_new(known, p->known[i].refname,
				    json_string(git_oid_tostr(hex, sizeof hex, &p->known[i].id)));
	j = json_pack("{s:s, s:s, s:b, s:I, s:I, s:s, s:o}", "name", p->name, "url", p->url,
		      "relay", p->relay, "last_sync", (json_int_t)p->last_sync,
		      "last_attempt", (json_int_t)p->last_attempt, "last_error", p->last_error,
		      "known", known);
	if (j && p->ssh_key[0])
		json_object_set_new(j, "ssh_key", json_string(p->ssh_key));
	return j;
}

int civic_peers_save(const civic_peers *peers)
{
	json_t *list = json_array(), *doc;
	char *text;
	size_t i;
	int error;

	for (i = 0; list && i < peers->count; i++)
		if (json_array_append_new(list, peer_json(&peers->list[i])) < 0) {
			json_decref(list);
			return civic_error_nomem();
		}
	doc = json_pack("{s:s, s:o}", "format", PEERS_FORMAT, "peers", list);
	if (!doc)
		return civic_error_nomem();
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(doc);
	if (!text)
		return civic_error_nomem();
	error = civic_fs_write_atomic(peers->path, text, strlen(text), 0600, 0);
	free(text);
	return error;
}
