/* state.c - a node's signed statement of what it holds; see state.h. */
#include "state.h"
#include "error.h"
#include "feed.h"
#include "node.h"
#include "object_limits.h"
#include "oidset.h"
#include "roster.h"
#include "signed_commit.h"

#include <inttypes.h>
#include <jansson.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_TREE_MAX_SIZE 256 /* one entry */

int civic_state_refname(civic_buf *out, const civic_pubkey *node)
{
	return civic_pubkey_refname(out, CIVIC_STATE_REF_PREFIX, node);
}

int civic_state_key_from_refname(civic_pubkey *out, const char *refname)
{
	if (civic_pubkey_from_refname(out, CIVIC_STATE_REF_PREFIX, refname) < 0) {
		civic_error_set(CIVIC_ERROR_SYNC, "'%s' is not a state ref", refname);
		return CIVIC_EINVALID;
	}
	return 0;
}

void civic_state_free(civic_state *state)
{
	if (!state)
		return;
	free(state->feeds);
	free(state);
}

const civic_state_feed *civic_state_find(const civic_state *state, const civic_pubkey *author)
{
	size_t i;

	for (i = 0; state && i < state->nfeeds; i++)
		if (civic_pubkey_equal(&state->feeds[i].author, author))
			return &state->feeds[i];
	return NULL;
}

static int bad_state(const char *why, const char *detail)
{
	civic_error_set(CIVIC_ERROR_SYNC, "not a node state: %s%s%s", dgettext("civic", why), detail ? ": " : "",
			detail ? detail : "");
	return CIVIC_EINVALID;
}

/* -------------------------------------------------------------------------
 * state.json: one form only
 */

static int add_feed(civic_state *s, size_t *alloc, const civic_state_feed *f)
{
	if (s->nfeeds == *alloc) {
		size_t n = *alloc ? *alloc * 2 : 16;
		civic_state_feed *p = realloc(s->feeds, n * sizeof *p);
		if (!p)
			return civic_error_nomem();
		s->feeds = p;
		*alloc = n;
	}
	s->feeds[s->nfeeds++] = *f;
	return 0;
}

static int oid_from_hex(git_oid *out, const char *hex)
{
	size_t i;

	for (i = 0; hex && hex[i]; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	return hex && i == GIT_OID_HEXSZ && git_oid_fromstr(out, hex) == 0 ? 0 : -1;
}

static int parse_feed(civic_state_feed *f, const char *hex, json_t *v)
{
	json_t *seq = json_object_get(v, "seq");

	if (civic_pubkey_from_hex(&f->author, hex, strlen(hex)) < 0)
		return bad_state("a feed is not named by a key in hex", hex);
	if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_integer(seq) ||
	    oid_from_hex(&f->head, json_string_value(json_object_get(v, "head"))) < 0)
		return bad_state("a feed must be {\"head\": commit, \"seq\": number}", hex);
	if (json_integer_value(seq) < 1 || (uint64_t)json_integer_value(seq) > CIVIC_FEED_MAX_SEQ)
		return bad_state("a feed's seq is out of range", hex);
	f->seq = (uint64_t)json_integer_value(seq);
	return 0;
}

static int parse_body(civic_state *s, const char *text, size_t len)
{
	json_t *root = NULL, *feeds, *v;
	const char *hex;
	size_t alloc = 0;
	int error;

	if ((error = civic_record_parse(&root, text, len, CIVIC_STATE_FILE)) < 0)
		return error;
	feeds = json_object_get(root, "feeds");
	if (json_object_size(root) != 2 || !json_is_object(feeds) ||
	    oid_from_hex(&s->roster, json_string_value(json_object_get(root, "roster"))) < 0)
		error = bad_state("it must be {\"feeds\": {...}, \"roster\": commit}", NULL);
	else if (json_object_size(feeds) > CIVIC_STATE_MAX_FEEDS)
		error = bad_state("it lists too many feeds", NULL);
	json_object_foreach(feeds, hex, v) {
		civic_state_feed f;
		if (error < 0 || (error = parse_feed(&f, hex, v)) < 0 || (error = add_feed(s, &alloc, &f)) < 0)
			break;
	}
	json_decref(root);
	return error;
}

static int compare_feeds(const void *a, const void *b)
{
	return memcmp(((const civic_state_feed *)a)->author.bytes, ((const civic_state_feed *)b)->author.bytes,
		      sizeof ((const civic_state_feed *)a)->author.bytes);
}

/* The canonical bytes of what s says (state.h). */
static int serialize(civic_buf *out, const civic_state *s)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1], oid[GIT_OID_HEXSZ + 1];
	json_t *root = json_object(), *feeds = json_object();
	size_t i;
	int error = root && feeds ? 0 : civic_error_nomem();

	for (i = 0; error == 0 && i < s->nfeeds; i++) {
		civic_pubkey_to_hex(hex, &s->feeds[i].author);
		if (json_object_set_new(feeds, hex, json_pack("{s:s, s:I}", "head",
			git_oid_tostr(oid, sizeof oid, &s->feeds[i].head), "seq", (json_int_t)s->feeds[i].seq)) < 0)
			error = civic_error_nomem();
	}
	if (error == 0 && (json_object_set(root, "feeds", feeds) < 0 ||
			   json_object_set_new(root, "roster", json_string(git_oid_tostr(oid, sizeof oid, &s->roster))) < 0))
		error = civic_error_nomem();
	if (error == 0)
		error = civic_record_serialize(out, root);
	json_decref(feeds);
	json_decref(root);
	return error;
}

/* Parses state.json, and refuses any other spelling of the same content:
 * one statement has one set of bytes, so "unchanged" is a blob id. */
static int parse_state(civic_state *s, const char *text, size_t len)
{
	civic_buf again = CIVIC_BUF_INIT;
	int error;

	if ((error = parse_body(s, text, len)) < 0)
		return error;
	if (s->nfeeds)
		qsort(s->feeds, s->nfeeds, sizeof *s->feeds, compare_feeds);
	if ((error = serialize(&again, s)) == 0 && (again.size != len || memcmp(again.ptr, text, len)))
		error = bad_state("state.json is not in canonical form (sorted keys, two-space indent)", NULL);
	civic_buf_dispose(&again);
	return error;
}

/* -------------------------------------------------------------------------
 * The commit
 */

int civic_state_serial(uint64_t *out, git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	int error;

	if ((error = civic_object_check(repo, id, GIT_OBJECT_COMMIT, CIVIC_COMMIT_MAX_SIZE, "a state commit")) < 0)
		return error;
	if ((error = git_commit_lookup(&c, repo, id)) < 0)
		return civic_error_from_git(error, "cannot read a state commit");
	error = civic_trailer_get_number(out, git_commit_message(c), "Civic-State", 1, CIVIC_STATE_MAX_SERIAL);
	git_commit_free(c);
	return error;
}

static int check_commit(civic_state *s, const git_commit *c, const char *network_hex)
{
	civic_buf network = CIVIC_BUF_INIT;
	int error;

	if ((error = civic_commit_check_email(c, &s->node)) < 0)
		goto done;
	if (git_commit_parentcount(c) != 0) {
		error = bad_state("a state commit has no parent", NULL);
		goto done;
	}
	if ((error = civic_trailer_get(&network, git_commit_message(c), "Civic-Network")) < 0 ||
	    (error = civic_trailer_get_number(&s->serial, git_commit_message(c), "Civic-State", 1,
					      CIVIC_STATE_MAX_SERIAL)) < 0)
		goto done;
	if (strcmp(network.ptr, network_hex))
		error = bad_state("it is of another network", network.ptr);
	s->time = (int64_t)git_commit_time(c);
done:
	civic_buf_dispose(&network);
	return error;
}

/* The tree holds state.json and nothing else; *blob receives its id. */
static int check_tree(git_oid *blob, git_repository *repo, const git_oid *tree_id)
{
	const git_tree_entry *e;
	git_tree *tree = NULL;
	int error;

	if ((error = civic_object_check(repo, tree_id, GIT_OBJECT_TREE, STATE_TREE_MAX_SIZE, "a state tree")) < 0)
		return error;
	if ((error = git_tree_lookup(&tree, repo, tree_id)) < 0)
		return civic_error_from_git(error, "cannot read a state tree");
	e = git_tree_entrycount(tree) == 1 ? git_tree_entry_byindex(tree, 0) : NULL;
	if (!e || strcmp(git_tree_entry_name(e), CIVIC_STATE_FILE) || git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB)
		error = bad_state("its tree must hold state.json alone", NULL);
	else
		git_oid_cpy(blob, git_tree_entry_id(e));
	git_tree_free(tree);
	return error;
}

static int read_body(civic_state *s, git_repository *repo, const git_oid *blob_id)
{
	git_blob *blob = NULL;
	int error;

	if ((error = civic_object_check(repo, blob_id, GIT_OBJECT_BLOB, CIVIC_STATE_MAX_SIZE, "state.json")) < 0)
		return error;
	if ((error = git_blob_lookup(&blob, repo, blob_id)) < 0)
		return civic_error_from_git(error, "cannot read state.json");
	error = parse_state(s, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return error;
}

int civic_state_verify(civic_state **out, git_repository *repo, const git_oid *id, const civic_pubkey *node,
		       const char *network_hex, struct civic_oidset *read)
{
	civic_state *s = calloc(1, sizeof *s);
	git_commit *c = NULL;
	git_oid blob;
	int error;

	if (out)
		*out = NULL;
	if (!s)
		return civic_error_nomem();
	s->node = *node;
	if ((error = civic_signed_commit_verify(NULL, repo, id, node)) < 0)
		goto done;
	if ((error = git_commit_lookup(&c, repo, id)) < 0) {
		error = civic_error_from_git(error, "cannot read a state commit");
		goto done;
	}
	if ((error = check_commit(s, c, network_hex)) < 0 ||
	    (error = check_tree(&blob, repo, git_commit_tree_id(c))) < 0 ||
	    (error = read_body(s, repo, &blob)) < 0)
		goto done;
	if (read && ((error = civic_oidset_add(read, id)) < 0 ||
		     (error = civic_oidset_add(read, git_commit_tree_id(c))) < 0 ||
		     (error = civic_oidset_add(read, &blob)) < 0))
		goto done;
	if (out) {
		*out = s;
		s = NULL;
	}
done:
	git_commit_free(c);
	civic_state_free(s);
	return error;
}

static int held_state(git_oid *out, git_repository *repo, const civic_pubkey *node)
{
	civic_buf ref = CIVIC_BUF_INIT;
	int error;

	if ((error = civic_state_refname(&ref, node)) == 0 &&
	    (error = git_reference_name_to_id(out, repo, ref.ptr)) == GIT_ENOTFOUND) {
		git_error_clear();
		civic_error_set(CIVIC_ERROR_SYNC, "this archive holds no statement of that node");
		error = CIVIC_ENOTFOUND;
	} else if (error < 0 && error != CIVIC_ERROR) {
		error = civic_error_from_git(error, "cannot read '%s'", ref.ptr);
	}
	civic_buf_dispose(&ref);
	return error;
}

int civic_state_load(civic_state **out, git_repository *repo, const civic_pubkey *node,
		     const char *network_hex)
{
	git_oid id;
	int error;

	*out = NULL;
	if ((error = held_state(&id, repo, node)) < 0)
		return error;
	return civic_state_verify(out, repo, &id, node, network_hex, NULL);
}

/* -------------------------------------------------------------------------
 * What this archive holds now
 */

static int collect_feeds(civic_state *s, git_repository *repo)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	size_t alloc = 0;
	int error;

	if ((error = git_reference_iterator_glob_new(&it, repo, CIVIC_FEED_REF_PREFIX "*")) < 0)
		return civic_error_from_git(error, "cannot list the feeds");
	while ((error = git_reference_next(&ref, it)) == 0) {
		civic_state_feed f;
		const git_oid *head = git_reference_target(ref);
		if (head && civic_feed_author_from_refname(&f.author, git_reference_name(ref)) == 0 &&
		    civic_feed_commit_seq(&f.seq, repo, head) == 0) {
			git_oid_cpy(&f.head, head);
			error = add_feed(s, &alloc, &f);
		}
		git_reference_free(ref);
		if (error < 0)
			break;
	}
	git_reference_iterator_free(it);
	if (error != GIT_ITEROVER && error < 0)
		return error == CIVIC_ERROR ? error : civic_error_from_git(error, "cannot list the feeds");
	civic_error_clear(); /* a ref that is not a feed is passed over */
	if (s->nfeeds > CIVIC_STATE_MAX_FEEDS) {
		civic_error_set(CIVIC_ERROR_SYNC, "this node holds %zu feeds, more than a statement lists (%d)",
				s->nfeeds, CIVIC_STATE_MAX_FEEDS);
		return CIVIC_EINVALID;
	}
	if (s->nfeeds)
		qsort(s->feeds, s->nfeeds, sizeof *s->feeds, compare_feeds);
	return 0;
}

/* The canonical state.json of what repo holds. */
static int current_body(civic_buf *out, git_repository *repo)
{
	civic_state s;
	int error;

	memset(&s, 0, sizeof s);
	if ((error = git_reference_name_to_id(&s.roster, repo, CIVIC_ROSTER_REF)) < 0)
		return error == GIT_ENOTFOUND ? (civic_error_set(CIVIC_ERROR_SYNC, "this node holds no roster yet"),
						 CIVIC_ENOTFOUND)
					      : civic_error_from_git(error, "cannot read the roster");
	if ((error = collect_feeds(&s, repo)) == 0 && (error = serialize(out, &s)) == 0 &&
	    out->size > CIVIC_STATE_MAX_SIZE) {
		civic_error_set(CIVIC_ERROR_SYNC, "this node's statement would be larger than %d bytes", CIVIC_STATE_MAX_SIZE);
		error = CIVIC_EINVALID;
	}
	free(s.feeds);
	return error;
}

/* The blob id of state.json in the statement id (checked for form only
 * when it is verified; this is ours, or was verified when it came). */
static int held_body(git_oid *out, git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	int error;

	if ((error = git_commit_lookup(&c, repo, id)) < 0)
		return civic_error_from_git(error, "cannot read a state commit");
	error = check_tree(out, repo, git_commit_tree_id(c));
	git_commit_free(c);
	return error;
}

int civic_state_stale(git_repository *repo, const civic_pubkey *node)
{
	civic_buf body = CIVIC_BUF_INIT;
	git_oid id, held, now;
	int error;

	if ((error = current_body(&body, repo)) < 0)
		goto done;
	if ((error = held_state(&id, repo, node)) == CIVIC_ENOTFOUND) {
		error = 1;
		goto done;
	}
	if (error < 0 || (error = held_body(&held, repo, &id)) < 0)
		goto done;
	if ((error = git_odb_hash(&now, body.ptr, body.size, GIT_OBJECT_BLOB)) < 0) {
		error = civic_error_from_git(error, "cannot hash the node state");
		goto done;
	}
	error = !git_oid_equal(&held, &now);
done:
	civic_buf_dispose(&body);
	return error;
}

static int write_commit(git_oid *out, git_repository *repo, const civic_key *key, const char *author_name,
			const char *network_hex, const civic_buf *body, uint64_t serial)
{
	civic_buf message = CIVIC_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_oid blob, tree;
	int error;

	if ((error = civic_buf_printf(&message, "state %" PRIu64 "\n\nCivic-Network: %s\nCivic-State: %" PRIu64 "\n",
				      serial, network_hex, serial)) < 0)
		goto done;
	if ((error = git_blob_create_from_buffer(&blob, repo, body->ptr, body->size)) < 0 ||
	    (error = git_treebuilder_new(&tb, repo, NULL)) < 0 ||
	    (error = git_treebuilder_insert(NULL, tb, CIVIC_STATE_FILE, &blob, GIT_FILEMODE_BLOB)) < 0 ||
	    (error = git_treebuilder_write(&tree, tb)) < 0) {
		error = civic_error_from_git(error, "cannot write the node state");
		goto done;
	}
	error = civic_signed_commit_create(out, repo, key, author_name, &tree, NULL, message.ptr);
done:
	git_treebuilder_free(tb);
	civic_buf_dispose(&message);
	return error;
}

int civic_state_write(int *written, git_repository *repo, const civic_key *key, const char *author_name,
		      const char *network_hex)
{
	civic_buf ref = CIVIC_BUF_INIT, body = CIVIC_BUF_INIT;
	uint64_t serial = 0;
	git_oid old, held, now, id;
	int have, error;

	*written = 0;
	if ((error = current_body(&body, repo)) < 0 || (error = civic_state_refname(&ref, civic_key_public(key))) < 0)
		goto done;
	if ((have = held_state(&old, repo, civic_key_public(key))) < 0 && have != CIVIC_ENOTFOUND) {
		error = have;
		goto done;
	}
	have = have == 0;
	if (have && ((error = civic_state_serial(&serial, repo, &old)) < 0 || (error = held_body(&held, repo, &old)) < 0))
		goto done;
	if ((error = git_odb_hash(&now, body.ptr, body.size, GIT_OBJECT_BLOB)) < 0) {
		error = civic_error_from_git(error, "cannot hash the node state");
		goto done;
	}
	if (have && git_oid_equal(&held, &now))
		goto done;
	if (serial >= CIVIC_STATE_MAX_SERIAL) {
		error = bad_state("its serial number is used up", NULL);
		goto done;
	}
	if ((error = write_commit(&id, repo, key, author_name, network_hex, &body, serial + 1)) < 0 ||
	    (error = civic_ref_move(repo, ref.ptr, &id, have ? &old : NULL, "civic: node state")) < 0)
		goto done;
	*written = 1;
done:
	civic_buf_dispose(&ref);
	civic_buf_dispose(&body);
	return error;
}

int civic_state_refresh(int *written, civic_node *node, civic_state_key_cb get_key, void *payload)
{
	git_repository *repo = civic_node_repository(node);
	const civic_pubkey *me = civic_node_public_key(node);
	const char *network = civic_node_network(node);
	const civic_member *m;
	const civic_key *key;
	civic_roster *roster = NULL;
	int error;

	*written = 0;
	if (!get_key || !me || !network)
		return 0;
	/* No roster yet: nothing to state. */
	if ((error = civic_state_stale(repo, me)) <= 0)
		return error == CIVIC_ENOTFOUND ? 0 : error;
	if ((error = civic_roster_load(&roster, repo, network)) < 0)
		return error == CIVIC_ENOTFOUND ? 0 : error;
	m = civic_roster_find(roster, me);
	if (m && !m->revoked && (key = get_key(payload)) != NULL)
		error = civic_state_write(written, repo, key, civic_node_name(node), network);
	civic_roster_free(roster);
	return error;
}
