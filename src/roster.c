/* roster.c - the signed member list; see roster.h for its format. */
#include "roster.h"
#include "error.h"
#include "chain.h"
#include "feed.h"
#include "municipality.h"
#include "node.h"
#include "object_limits.h"
#include "oidset.h"
#include "signed_commit.h"
#include "text.h"

#include <libintl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROSTER_FORMAT "civic-roster-1"
/* Roster commits one load reads, its settled rosters' included. Each
 * commit but a settlement adds an entry, and a directory holds at most
 * CIVIC_ROSTER_TREE_MAX_SIZE (some 10,000 entries): so any roster that fits
 * has fewer, while a former admin's lines of settled rosters re-adding the
 * same entries are cut short. */
#define ROSTER_MAX_COMMITS 25000
#define ROSTER_FILE_MAX 16384
/* Settlements one roster may hold, its second rosters' included. Each costs
 * two walks back to where its rosters part; forks are rare, and a former
 * admin could otherwise sign a line of them that takes hours to verify. */
#define ROSTER_MAX_SETTLEMENTS 100

struct civic_roster {
	char network[CIVIC_NETWORK_ID_LEN + 1];
	char name[256];
	git_oid head;
	uint64_t seq;
	civic_member *members;
	size_t count, alloc;
};

int civic_network_id_valid(const char *text)
{
	size_t i;

	if (!text)
		return 0;
	for (i = 0; i < CIVIC_NETWORK_ID_LEN; i++)
		if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
			return 0;
	return text[i] == '\0';
}

void civic_roster_free(civic_roster *roster)
{
	if (!roster)
		return;
	free(roster->members);
	free(roster);
}

const char *civic_roster_network_name(const civic_roster *roster) { return roster->name; }
git_oid civic_roster_head(const civic_roster *roster) { return roster->head; }
size_t civic_roster_count(const civic_roster *roster) { return roster->count; }
const civic_member *civic_roster_get(const civic_roster *roster, size_t i) { return &roster->members[i]; }

int civic_member_is_admin(const civic_member *member)
{
	return member && !member->revoked && !strcmp(member->role, "civic-center");
}

int civic_roster_may_amend(const civic_roster *roster, const civic_pubkey *by, const civic_pubkey *author)
{
	const civic_member *m = roster ? civic_roster_find(roster, by) : NULL;

	/* An admin revoked since keeps what it amended before: the caller
	 * holds the amending record only up to the revocation point. */
	return !memcmp(by->bytes, author->bytes, sizeof by->bytes) || (m && !strcmp(m->role, "civic-center"));
}

const civic_member *civic_roster_find(const civic_roster *roster, const civic_pubkey *key)
{
	size_t i;

	for (i = 0; i < roster->count; i++)
		if (civic_pubkey_equal(&roster->members[i].key, key))
			return &roster->members[i];
	return NULL;
}

static size_t count_admins(const civic_roster *roster)
{
	size_t i, n = 0;

	for (i = 0; i < roster->count; i++)
		n += civic_member_is_admin(&roster->members[i]);
	return n;
}

static civic_member *find_mutable(civic_roster *roster, const civic_pubkey *key)
{
	return (civic_member *)civic_roster_find(roster, key);
}

/* -------------------------------------------------------------------------
 * Roster files: JSON in, members out
 */

static int bad_file(const char *path, const char *why)
{
	char reason[sizeof civic_error_last()->message];

	/* why may be the current error text itself: copy it first. */
	snprintf(reason, sizeof reason, "%s", dgettext("civic", why));
	civic_error_set(CIVIC_ERROR_ROSTER, "roster file '%s': %s", path, reason);
	return CIVIC_EINVALID;
}

static int copy_text(char *dst, size_t size, const char *src, const char *path, const char *field)
{
	size_t len = strlen(src);

	if (len == 0 || len >= size) {
		civic_error_set(CIVIC_ERROR_ROSTER, "roster file '%s': '%s' is empty or too long", path, field);
		return CIVIC_EINVALID;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

static int load_json(json_t **out, git_repository *repo, const git_oid *blob_id, const char *path)
{
	git_blob *blob = NULL;
	json_error_t jerr;
	int error;

	*out = NULL;
	if (civic_object_check(repo, blob_id, GIT_OBJECT_BLOB, ROSTER_FILE_MAX, "a roster file") < 0)
		return bad_file(path, civic_error_last()->message);
	if ((error = git_blob_lookup(&blob, repo, blob_id)) < 0)
		return civic_error_from_git(error, "cannot read roster file '%s'", path);
	if (git_blob_rawsize(blob) > ROSTER_FILE_MAX)
		error = bad_file(path, "too large");
	else if (!(*out = json_loadb(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
				     JSON_REJECT_DUPLICATES, &jerr)))
		error = bad_file(path, jerr.text);
	git_blob_free(blob);
	return error;
}

/* The file name of a member or revocation: the key's own hex. */
static int is_key_file(const char *file, const civic_pubkey *key)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1];

	civic_pubkey_to_hex(hex, key);
	return !strncmp(file, hex, CIVIC_PUBKEY_HEX_LEN) && !strcmp(file + CIVIC_PUBKEY_HEX_LEN, ".json");
}

/* What every member entry must be, whether read or about to be written. */
static int check_member(const civic_member *m)
{
	if (!civic_municipality_is_slug(m->municipality)) {
		civic_error_set(CIVIC_ERROR_ROSTER, "unknown municipality '%s'", m->municipality);
		return CIVIC_EINVALID;
	}
	if (!civic_role_valid(m->role)) {
		civic_error_set(CIVIC_ERROR_ROSTER, "unknown role '%s'", m->role);
		return CIVIC_EINVALID;
	}
	return civic_text_check_name(m->name, sizeof m->name - 1, "the member's name");
}

/* members/<hex>.json: the file name must be the key's own hex. */
static int parse_member(civic_member *m, json_t *json, const char *file, const char *path)
{
	const char *key, *name, *municipality, *role;
	json_error_t jerr;
	int error;

	memset(m, 0, sizeof *m);
	if (json_unpack_ex(json, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s:s}", "key", &key, "name", &name,
			   "municipality", &municipality, "role", &role) < 0)
		return bad_file(path, jerr.text);
	if ((error = civic_pubkey_from_openssh(&m->key, key, strlen(key))) < 0)
		return bad_file(path, "bad key");
	if (!is_key_file(file, &m->key))
		return bad_file(path, "file name is not the key's");
	if ((error = copy_text(m->name, sizeof m->name, name, path, "name")) < 0 ||
	    (error = copy_text(m->municipality, sizeof m->municipality, municipality, path, "municipality")) < 0 ||
	    (error = copy_text(m->role, sizeof m->role, role, path, "role")) < 0)
		return error;
	if (check_member(m) < 0)
		return bad_file(path, civic_error_last()->message);
	return 0;
}

static int parse_revocation(civic_roster *roster, json_t *json, const char *file, const char *path)
{
	const char *key, *reason;
	json_t *last;
	json_error_t jerr;
	civic_pubkey pk;
	civic_member *m;

	if (json_unpack_ex(json, &jerr, JSON_STRICT, "{s:s, s:o, s:s}", "key", &key,
			   "last_valid", &last, "reason", &reason) < 0)
		return bad_file(path, jerr.text);
	if (civic_pubkey_from_openssh(&pk, key, strlen(key)) < 0)
		return bad_file(path, "bad key");
	/* One revocation per key, under its name: a second file for the same
	 * key could otherwise move its revocation point later. */
	if (!is_key_file(file, &pk))
		return bad_file(path, "file name is not the key's");
	if (!(m = find_mutable(roster, &pk)))
		return bad_file(path, "revokes a key that is not a member");
	if (json_is_string(last) && civic_network_id_valid(json_string_value(last))) {
		git_oid_fromstr(&m->last_valid, json_string_value(last));
		m->has_last_valid = 1;
	} else if (!json_is_null(last)) {
		return bad_file(path, "'last_valid' must be a commit id or null");
	}
	if (civic_text_check_name(reason, sizeof m->reason - 1, "the reason") < 0)
		return bad_file(path, civic_error_last()->message);
	m->revoked = 1;
	snprintf(m->reason, sizeof m->reason, "%s", reason);
	return 0;
}

static int push_member(civic_roster *roster, const civic_member *m)
{
	if (roster->count == roster->alloc) {
		size_t n = roster->alloc ? roster->alloc * 2 : 16;
		civic_member *p = realloc(roster->members, n * sizeof *p);
		CIVIC_ERROR_CHECK_ALLOC(p);
		roster->members = p;
		roster->alloc = n;
	}
	roster->members[roster->count++] = *m;
	return 0;
}

/* Entry names must be strictly increasing, as git writes them: libgit2
 * accepts a tree that lists a name twice, and its lookups by name would then
 * see one entry while a walk sees another (an edited member or revocation
 * hidden behind its old copy). */
static int check_names(const git_tree *tree, const char *dir)
{
	size_t i;

	for (i = 1; i < git_tree_entrycount(tree); i++)
		if (strcmp(git_tree_entry_name(git_tree_entry_byindex(tree, i - 1)),
			   git_tree_entry_name(git_tree_entry_byindex(tree, i))) >= 0)
			return bad_file(dir, "names repeated or out of order");
	return 0;
}

static int entry_json(json_t **out, git_repository *repo, const git_tree_entry *e, const char *dir,
		      char *path, size_t size)
{
	snprintf(path, size, "%s/%s", dir, git_tree_entry_name(e));
	if (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB)
		return bad_file(path, "not a plain file");
	return load_json(out, repo, git_tree_entry_id(e), path);
}

static int member_file(civic_roster *roster, git_repository *repo, const git_tree_entry *e, const char *dir)
{
	char path[512];
	civic_member m;
	json_t *json = NULL;
	int error;

	if ((error = entry_json(&json, repo, e, dir, path, sizeof path)) == 0 &&
	    (error = parse_member(&m, json, git_tree_entry_name(e), path)) == 0)
		error = push_member(roster, &m);
	json_decref(json);
	return error;
}

static int revocation_file(civic_roster *roster, git_repository *repo, const git_tree_entry *e, const char *dir)
{
	char path[512];
	json_t *json = NULL;
	int error;

	if ((error = entry_json(&json, repo, e, dir, path, sizeof path)) == 0)
		error = parse_revocation(roster, json, git_tree_entry_name(e), path);
	json_decref(json);
	return error;
}

static int network_file(civic_roster *roster, git_repository *repo, const git_tree *tree)
{
	const git_tree_entry *e = git_tree_entry_byname(tree, "network.json");
	const char *format, *name;
	json_t *json = NULL;
	json_error_t jerr;
	int error;

	if (!e)
		return bad_file("network.json", "missing");
	if ((error = load_json(&json, repo, git_tree_entry_id(e), "network.json")) < 0)
		goto done;
	if (json_unpack_ex(json, &jerr, JSON_STRICT, "{s:s, s:s}", "format", &format, "name", &name) < 0)
		error = bad_file("network.json", jerr.text);
	else if (strcmp(format, ROSTER_FORMAT))
		error = bad_file("network.json", "unknown format");
	else
		error = copy_text(roster->name, sizeof roster->name, name, "network.json", "name");
done:
	json_decref(json);
	return error;
}

/* A roster tree as read for verifying, each part checked once: its root,
 * and the directories members/ and revocations/ (NULL when absent). */
typedef struct {
	git_tree *root;
	git_tree *dir[2];
} roster_trees;

typedef int (*entry_fn)(civic_roster *, git_repository *, const git_tree_entry *, const char *);

static const char *const dir_name[2] = { "members", "revocations" };
/* Members first: a revocation names a member of the same tree. */
static const entry_fn dir_entry[2] = { member_file, revocation_file };

static void trees_dispose(roster_trees *t)
{
	git_tree_free(t->root);
	git_tree_free(t->dir[0]);
	git_tree_free(t->dir[1]);
	memset(t, 0, sizeof *t);
}

static int read_dir(git_tree **out, git_repository *repo, const git_tree *root, const char *dir)
{
	const git_tree_entry *e = git_tree_entry_byname(root, dir);
	int error;

	*out = NULL;
	if (!e)
		return 0;
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return bad_file(dir, "not a directory");
	if (civic_object_check(repo, git_tree_entry_id(e), GIT_OBJECT_TREE, CIVIC_ROSTER_TREE_MAX_SIZE,
			       "a roster directory") < 0)
		return bad_file(dir, civic_error_last()->message);
	if ((error = git_tree_lookup(out, repo, git_tree_entry_id(e))) < 0)
		return civic_error_from_git(error, "cannot read roster directory '%s'", dir);
	return check_names(*out, dir);
}

/* Reads and checks the shape of a roster tree: only network.json,
 * members/ and revocations/, names in order. */
static int read_trees(roster_trees *out, git_repository *repo, const git_oid *tree_id)
{
	size_t i, d;
	int error;

	memset(out, 0, sizeof *out);
	if (civic_object_check(repo, tree_id, GIT_OBJECT_TREE, CIVIC_ROSTER_TREE_MAX_SIZE, "a roster tree") < 0)
		return bad_file("/", civic_error_last()->message);
	if ((error = git_tree_lookup(&out->root, repo, tree_id)) < 0)
		return civic_error_from_git(error, "cannot read roster tree");
	if ((error = check_names(out->root, "/")) < 0)
		return error;
	for (i = 0; i < git_tree_entrycount(out->root); i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(out->root, i));
		if (strcmp(name, "network.json") && strcmp(name, dir_name[0]) && strcmp(name, dir_name[1]))
			return bad_file(name, "unexpected entries in a roster: only network.json, members/, revocations/");
	}
	for (d = 0; d < 2 && error == 0; d++)
		error = read_dir(&out->dir[d], repo, out->root, dir_name[d]);
	return error;
}

static size_t entry_count(const git_tree *t) { return t ? git_tree_entrycount(t) : 0; }

/* Builds the whole member list from one roster tree. */
static int parse_all(civic_roster *roster, git_repository *repo, const roster_trees *t)
{
	size_t d, i;
	int error;

	roster->count = 0;
	if ((error = network_file(roster, repo, t->root)) < 0)
		return error;
	for (d = 0; d < 2; d++)
		for (i = 0; i < entry_count(t->dir[d]) && error == 0; i++)
			error = dir_entry[d](roster, repo, git_tree_entry_byindex(t->dir[d], i), dir_name[d]);
	return error;
}

static int changes_entries(void)
{
	civic_error_set(CIVIC_ERROR_ROSTER, "changes or removes earlier roster entries");
	return CIVIC_EINVALID;
}

/* The entries of `new_` not in `old` (one directory): every entry of old
 * must be in new_, unchanged, as nothing is ever edited or removed from a
 * roster. Both are in name order, so one pass compares them. */
static int parse_dir_added(size_t *added, civic_roster *roster, git_repository *repo, const git_tree *old,
			   const git_tree *new_, size_t d)
{
	size_t i = 0, j = 0, n_old = entry_count(old), n_new = entry_count(new_);
	int error = 0;

	if (old && new_ && git_oid_equal(git_tree_id(old), git_tree_id(new_)))
		return 0;
	while (j < n_new && error == 0) {
		const git_tree_entry *b = git_tree_entry_byindex(new_, j);
		const git_tree_entry *a = i < n_old ? git_tree_entry_byindex(old, i) : NULL;
		int cmp = a ? strcmp(git_tree_entry_name(a), git_tree_entry_name(b)) : 1;
		if (cmp < 0 || (cmp == 0 && (!git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)) ||
					     git_tree_entry_filemode(a) != git_tree_entry_filemode(b))))
			return changes_entries();
		if (cmp == 0)
			i++;
		else if ((error = dir_entry[d](roster, repo, b, dir_name[d])) == 0)
			++*added;
		j++;
	}
	return error == 0 && i < n_old ? changes_entries() : error;
}

/* Adds to the member list, which is old's, what new_ adds to it; *added
 * receives how many entries. Only the new entries' files are read and
 * parsed (each commit's directory trees are still read whole): the JSON a
 * long roster's load parses grows with its entries, not with its entries
 * times its commits. */
static int parse_added(size_t *added, civic_roster *roster, git_repository *repo, const roster_trees *old,
		       const roster_trees *new_)
{
	const git_tree_entry *was = git_tree_entry_byname(old->root, "network.json");
	const git_tree_entry *is = git_tree_entry_byname(new_->root, "network.json");
	size_t d;
	int error = 0;

	*added = 0;
	if (!is)
		return bad_file("network.json", "missing");
	if (!was || !git_oid_equal(git_tree_entry_id(was), git_tree_entry_id(is)) ||
	    git_tree_entry_filemode(was) != git_tree_entry_filemode(is))
		return changes_entries();
	for (d = 0; d < 2 && error == 0; d++)
		error = parse_dir_added(added, roster, repo, old->dir[d], new_->dir[d], d);
	return error;
}

/* -------------------------------------------------------------------------
 * Verifying the chain
 */

static int bad_commit(const git_oid *id, const char *why)
{
	char hex[GIT_OID_HEXSZ + 1];
	char reason[sizeof civic_error_last()->message];

	git_oid_tostr(hex, sizeof hex, id);
	snprintf(reason, sizeof reason, "%s", dgettext("civic", why));
	civic_error_set(CIVIC_ERROR_ROSTER, "roster commit %.12s: %s", hex, reason);
	return CIVIC_EINVALID;
}

/* What one load verifies once: commits whose whole history verified, so
 * that a settlement's second roster, which shares most of the first's
 * history, is not verified again; how many settlements it met; and how many
 * more commits its lines may verify, its second rosters' included, so that
 * no one key can make a load take hours. (The walks of a settlement's two
 * sides only cross commits those lines verified.) */
typedef struct {
	civic_oidset *verified;
	unsigned int settlements;
	size_t commits_left;
} load_ctx;

/* The roster's first-parent line from head, root first, back to the root
 * or to a commit already verified (*reached_at, when *reached); at most
 * *budget commits, taken from it. */
static int collect_chain(git_oid **out, size_t *count, int *reached, git_oid *reached_at,
			 git_repository *repo, const git_oid *head, const civic_oidset *known, size_t *budget)
{
	int error = civic_chain_collect_first_parents(out, count, reached, reached_at, repo, head, known, *budget);

	if (error == CIVIC_EINVALID) {
		char why[sizeof civic_error_last()->message];
		snprintf(why, sizeof why,
			 dgettext("civic", "the roster must be a line of commits with one parent, or two for a "
					   "settlement, and one load verifies %d at most, settled rosters included: %s"),
			 ROSTER_MAX_COMMITS, civic_error_last()->message);
		return bad_commit(head, why);
	}
	if (error == 0)
		*budget -= *count;
	return error;
}

static int check_root(civic_roster *roster, const git_oid *id, const civic_pubkey *signer)
{
	if (roster->count != 1 || !civic_member_is_admin(&roster->members[0]) ||
	    !civic_pubkey_equal(&roster->members[0].key, signer))
		return bad_commit(id, "the first commit must list only its signer, as civic-center");
	return 0;
}

/* The trailers of commit number seq; apply_commit() names the commit. */
static int check_trailers(const git_commit *c, const char *network, uint64_t seq)
{
	civic_buf net = CIVIC_BUF_INIT;
	uint64_t n;
	int error = civic_trailer_get_number(&n, git_commit_message(c), "Civic-Roster-Seq", 1, UINT64_MAX);

	if (error == 0 && n != seq) {
		civic_error_set(CIVIC_ERROR_ROSTER, "wrong Civic-Roster-Seq");
		error = CIVIC_EINVALID;
	}
	if (error == 0 && seq > 1 &&
	    ((error = civic_trailer_get(&net, git_commit_message(c), "Civic-Network")) < 0 ||
	     strcmp(net.ptr, network))) {
		if (error == 0)
			civic_error_set(CIVIC_ERROR_ROSTER, "belongs to another network");
		error = error < 0 ? error : CIVIC_EINVALID;
	}
	civic_buf_dispose(&net);
	return error;
}

/* The subtree `dir` of a roster tree, NULL when it has none. */
static int subtree(git_tree **out, git_repository *repo, const git_tree *tree, const char *dir)
{
	const git_tree_entry *e = git_tree_entry_byname(tree, dir);

	*out = NULL;
	if (!e)
		return 0;
	return git_tree_lookup(out, repo, git_tree_entry_id(e));
}

static const git_tree_entry *entry_named(const git_tree *t, const char *name)
{
	return t ? git_tree_entry_byname(t, name) : NULL;
}

/* Whether `merged` holds, in `dir`, exactly the union of `first` and
 * `second`: every entry of either, as its side holds it, and nothing else.
 * Where both name one key, both entries must be the same: a node holding
 * either roster must lose or change nothing it held (a revocation's point,
 * a member's role). */
static int is_union(git_repository *repo, const git_tree *first, const git_tree *second,
		    const git_tree *merged, const char *dir)
{
	git_tree *a = NULL, *b = NULL, *m = NULL;
	size_t i, expect;
	int ok = subtree(&a, repo, first, dir) == 0 && subtree(&b, repo, second, dir) == 0 &&
		 subtree(&m, repo, merged, dir) == 0;

	expect = entry_count(a);
	for (i = 0; ok && i < entry_count(b); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(b, i), *x = entry_named(a, git_tree_entry_name(e));
		expect += !x;
		ok = !x || git_oid_equal(git_tree_entry_id(x), git_tree_entry_id(e));
	}
	ok = ok && entry_count(m) == expect;
	for (i = 0; ok && i < entry_count(m); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(m, i);
		const git_tree_entry *x = entry_named(a, git_tree_entry_name(e));
		if (!x)
			x = entry_named(b, git_tree_entry_name(e));
		ok = x && git_oid_equal(git_tree_entry_id(x), git_tree_entry_id(e));
	}
	git_error_clear();
	git_tree_free(a);
	git_tree_free(b);
	git_tree_free(m);
	return ok;
}

static int load_line(civic_roster *roster, git_repository *repo, const git_oid *head, load_ctx *ctx);

/* Whether a roster tree revokes the key whose hex is `hex`. */
static int tree_revokes(git_repository *repo, const git_tree *tree, const char *hex)
{
	char name[CIVIC_PUBKEY_HEX_LEN + 8];
	git_tree *rev = NULL;
	int found;

	snprintf(name, sizeof name, "%s.json", hex);
	found = subtree(&rev, repo, tree, "revocations") == 0 && entry_named(rev, name) != NULL;
	git_tree_free(rev);
	git_error_clear();
	return found;
}

/* The commits of one side of a settlement since the two rosters part
 * (`tip`'s, hiding `other`), each checked against the other side's tree:
 * *tainted is set when one is signed by a key the other side revokes. Such
 * a side must not be taken in: an admin revoked on one side could otherwise
 * sign a roster of its own from before its revocation (a new admin, the
 * others revoked) and have it taken in. Even when this side revokes that
 * key too: its puppet could copy the revocation in. *count receives how
 * many there are: none means `other` holds `tip`. */
static int check_side(size_t *count, int *tainted, git_repository *repo, const git_oid *tip, const git_oid *other,
		      const git_tree *other_tree)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int error;

	*count = 0;
	*tainted = 0;
	if ((error = git_revwalk_new(&walk, repo)) < 0 || (error = git_revwalk_push(walk, tip)) < 0 ||
	    (error = git_revwalk_hide(walk, other)) < 0) {
		git_revwalk_free(walk);
		return civic_error_from_git(error, "cannot walk the rosters a settlement joins");
	}
	while (!*tainted && (error = git_revwalk_next(&id, walk)) == 0) {
		git_commit *c = NULL;
		const char *email;
		char hex[CIVIC_PUBKEY_HEX_LEN + 1] = "";
		++*count;
		/* Verified already: the email is the signer's (civic_commit_check_email). */
		if (git_commit_lookup(&c, repo, &id) == 0 && (email = git_commit_author(c)->email) &&
		    strlen(email) > CIVIC_PUBKEY_HEX_LEN)
			memcpy(hex, email, CIVIC_PUBKEY_HEX_LEN);
		git_commit_free(c);
		*tainted = hex[0] && tree_revokes(repo, other_tree, hex);
	}
	git_revwalk_free(walk);
	if (error < 0 && error != GIT_ITEROVER)
		return civic_error_from_git(error, "cannot walk the rosters a settlement joins");
	git_error_clear();
	return 0;
}

/* Both sides of a settlement of `first` and `second`: *parts is 0 when one
 * holds the other, *tainted 1 when either is not to be taken in. */
static int check_sides(int *parts, int *tainted, git_repository *repo, const git_oid *first, const git_oid *second,
		       const git_tree *first_tree, const git_tree *second_tree)
{
	size_t ours, theirs;
	int t1, t2, error;

	if ((error = check_side(&ours, &t1, repo, first, second, second_tree)) < 0 ||
	    (error = check_side(&theirs, &t2, repo, second, first, first_tree)) < 0)
		return error;
	*parts = ours > 0 && theirs > 0;
	*tainted = t1 || t2;
	return 0;
}

/* The second parent of a settlement (commit c, id): a roster of this network
 * that verifies on its own, beside the first parent (neither holds the
 * other), with neither side signed by a key the other revokes. *second_tree
 * receives its tree. */
static int check_second_parent(git_tree **second_tree, const civic_roster *roster, git_repository *repo,
			       const git_commit *c, const git_oid *id, const git_tree *first_tree, load_ctx *ctx)
{
	const git_oid *first = git_commit_parent_id(c, 0), *second = git_commit_parent_id(c, 1);
	civic_roster *other;
	git_commit *sc = NULL;
	int parts, tainted, error;

	if (++ctx->settlements > ROSTER_MAX_SETTLEMENTS)
		return bad_commit(id, "the roster holds more settlements than civic verifies (100)");
	if (!(other = calloc(1, sizeof *other)))
		return civic_error_nomem();
	memcpy(other->network, roster->network, sizeof other->network);
	error = load_line(other, repo, second, ctx);
	civic_roster_free(other);
	if (error < 0) {
		char hex[GIT_OID_HEXSZ + 1], why[sizeof civic_error_last()->message];
		snprintf(why, sizeof why, "%s", civic_error_last()->message);
		civic_error_set(CIVIC_ERROR_ROSTER, "roster commit %.12s settles a fork with a roster that does not verify: %s",
				git_oid_tostr(hex, sizeof hex, id), why);
		return CIVIC_EINVALID;
	}
	if ((error = git_commit_lookup(&sc, repo, second)) < 0 || (error = git_commit_tree(second_tree, sc)) < 0) {
		git_commit_free(sc);
		return civic_error_from_git(error, "cannot read roster commit");
	}
	git_commit_free(sc);
	if ((error = check_sides(&parts, &tainted, repo, first, second, first_tree, *second_tree)) < 0)
		return error;
	if (!parts)
		return bad_commit(id, "a settlement must join two rosters that part, neither holding the other");
	return tainted ? bad_commit(id, "a settlement must not take in roster commits signed by a key the other "
				       "roster revokes")
		       : 0;
}

/* What commit number seq (c, id) must be before its tree is read: signed
 * by an admin of the state before it (in roster), with the right trailers,
 * on the commit before it. *signer receives its key. */
static int check_commit(civic_pubkey *signer, const civic_roster *roster, git_repository *repo,
			const git_commit *c, const git_oid *id, uint64_t seq)
{
	int error;

	if ((error = civic_signed_commit_verify(signer, repo, id, NULL)) < 0 ||
	    (error = civic_commit_check_email(c, signer)) < 0 ||
	    (error = check_trailers(c, roster->network, seq)) < 0) {
		/* Name the commit, but keep the code: a bad signature stays EBADSIG. */
		bad_commit(id, civic_error_last()->message);
		return error;
	}
	/* Before reading the tree: a stranger's commit must cost us nothing. */
	if (seq > 1 && !civic_member_is_admin(civic_roster_find(roster, signer)))
		return bad_commit(id, "signed by a key that is not an admin of the network");
	/* The line was followed by the raw bytes; libgit2's parse must agree. */
	if (seq == 1 ? git_commit_parentcount(c) != 0
		     : git_commit_parentcount(c) == 0 || !git_oid_equal(git_commit_parent_id(c, 0), &roster->head))
		return bad_commit(id, "its first parent is not the roster commit before it");
	return 0;
}

/* Verifies commit number seq, whose parent's state is in `roster` and
 * whose parent's tree is *prev, and replaces both with the commit's. */
static int apply_commit(civic_roster *roster, git_repository *repo, const git_oid *id,
			uint64_t seq, roster_trees *prev, load_ctx *ctx)
{
	civic_pubkey signer;
	git_commit *c = NULL;
	git_tree *second = NULL;
	roster_trees now = { NULL, { NULL, NULL } };
	size_t added = 0;
	int error;

	if ((error = git_commit_lookup(&c, repo, id)) < 0) {
		error = civic_error_from_git(error, "cannot read roster commit");
		goto done;
	}
	if ((error = check_commit(&signer, roster, repo, c, id, seq)) < 0)
		goto done;
	/* Each commit but a settlement adds to the roster: a line of empty ones
	 * would only cost every node the time to verify it. The same tree is
	 * refused before it is read. */
	if (git_commit_parentcount(c) == 1 && git_oid_equal(git_commit_tree_id(c), git_tree_id(prev->root)))
		goto adds_nothing;
	if (git_commit_parentcount(c) > 1 &&
	    (error = check_second_parent(&second, roster, repo, c, id, prev->root, ctx)) < 0)
		goto done;
	if ((error = read_trees(&now, repo, git_commit_tree_id(c))) < 0 ||
	    (error = seq == 1 ? parse_all(roster, repo, &now) : parse_added(&added, roster, repo, prev, &now)) < 0) {
		error = bad_commit(id, civic_error_last()->message);
		goto done;
	}
	if (seq > 1 && !second && added == 0)
		goto adds_nothing;
	if (seq == 1)
		error = check_root(roster, id, &signer);
	else if (second && (!is_union(repo, prev->root, second, now.root, "members") ||
			    !is_union(repo, prev->root, second, now.root, "revocations")))
		error = bad_commit(id, "a settlement must hold exactly the entries of both rosters it joins, "
				       "and both must name each key alike");
	else if (second && !civic_member_is_admin(civic_roster_find(roster, &signer)))
		error = bad_commit(id, "a settlement's signer must still be an admin in the roster it makes");
	roster->head = *id;
	roster->seq = seq;
	goto done;
adds_nothing:
	error = bad_commit(id, "adds nothing to the roster: each commit but a settlement must add an entry");
done:
	git_commit_free(c);
	git_tree_free(second);
	trees_dispose(prev);
	*prev = now;
	return error;
}

/* Takes up a line at a commit this load verified already: its tree is the
 * whole roster there. */
static int resume_at(civic_roster *roster, git_repository *repo, const git_oid *id, roster_trees *prev)
{
	git_commit *c = NULL;
	int error;

	if ((error = git_commit_lookup(&c, repo, id)) < 0)
		error = civic_error_from_git(error, "cannot read roster commit");
	else if ((error = civic_trailer_get_number(&roster->seq, git_commit_message(c), "Civic-Roster-Seq", 1,
						   UINT64_MAX)) == 0 &&
		 (error = read_trees(prev, repo, git_commit_tree_id(c))) == 0 &&
		 (error = parse_all(roster, repo, prev)) == 0)
		roster->head = *id;
	git_commit_free(c);
	return error;
}

static int check_network_root(const civic_roster *roster, const git_oid *root_id)
{
	char root[GIT_OID_HEXSZ + 1];

	git_oid_tostr(root, sizeof root, root_id);
	if (strcmp(root, roster->network)) {
		civic_error_set(CIVIC_ERROR_ROSTER, "the roster starts at %s, not at the network id %s",
				root, roster->network);
		return CIVIC_EINVALID;
	}
	return 0;
}

/* Verifies the roster whose head is `head`, by its first parents, from the
 * network id or from the last commit this load verified already. */
static int load_line(civic_roster *roster, git_repository *repo, const git_oid *head, load_ctx *ctx)
{
	git_oid *chain = NULL, known;
	roster_trees prev = { NULL, { NULL, NULL } };
	size_t n = 0, i;
	int reached = 0, error;

	if ((error = collect_chain(&chain, &n, &reached, &known, repo, head, ctx->verified, &ctx->commits_left)) < 0)
		return error;
	error = reached ? resume_at(roster, repo, &known, &prev) : check_network_root(roster, &chain[0]);
	for (i = 0; i < n && error == 0; i++)
		if ((error = apply_commit(roster, repo, &chain[i], roster->seq + 1, &prev, ctx)) == 0)
			error = civic_oidset_add(ctx->verified, &chain[i]);
	trees_dispose(&prev);
	free(chain);
	return error;
}

int civic_roster_root(git_oid *out, git_repository *repo)
{
	git_oid head, *chain = NULL;
	size_t n = 0, budget = ROSTER_MAX_COMMITS;
	int reached, error = git_reference_name_to_id(&head, repo, CIVIC_ROSTER_REF);

	if (error == GIT_ENOTFOUND) {
		civic_error_set(CIVIC_ERROR_ROSTER, "this node holds no roster");
		return CIVIC_ENOTFOUND;
	}
	if (error < 0)
		return civic_error_from_git(error, "cannot read the roster");
	if ((error = collect_chain(&chain, &n, &reached, NULL, repo, &head, NULL, &budget)) < 0)
		return error;
	*out = chain[0];
	free(chain);
	return 0;
}

static int by_key(const void *a, const void *b)
{
	return memcmp(((const civic_member *)a)->key.bytes, ((const civic_member *)b)->key.bytes,
		      sizeof ((const civic_member *)a)->key.bytes);
}

int civic_roster_load_at(civic_roster **out, git_repository *repo, const git_oid *head,
			 const char *network_hex)
{
	civic_roster *roster;
	load_ctx ctx = { NULL, 0, ROSTER_MAX_COMMITS };
	int error;

	*out = NULL;
	if (!(roster = calloc(1, sizeof *roster)))
		return civic_error_nomem();
	snprintf(roster->network, sizeof roster->network, "%s", network_hex);
	if ((error = civic_oidset_new(&ctx.verified)) == 0 && (error = load_line(roster, repo, head, &ctx)) == 0)
		/* Each commit appended what it added: the order a whole tree lists. */
		if (roster->count > 1)
			qsort(roster->members, roster->count, sizeof *roster->members, by_key);
	civic_oidset_free(ctx.verified);
	if (error < 0)
		civic_roster_free(roster);
	else
		*out = roster;
	return error;
}

int civic_roster_load(civic_roster **out, git_repository *repo, const char *network_hex)
{
	git_oid head;
	int error;

	*out = NULL;
	if ((error = git_reference_name_to_id(&head, repo, CIVIC_ROSTER_REF)) < 0) {
		if (error == GIT_ENOTFOUND) {
			civic_error_set(CIVIC_ERROR_ROSTER, "this node holds no roster of network %s yet",
					network_hex);
			return CIVIC_ENOTFOUND;
		}
		return civic_error_from_git(error, "cannot read the roster");
	}
	return civic_roster_load_at(out, repo, &head, network_hex);
}

/* -------------------------------------------------------------------------
 * Writing
 */

/* Writes a roster file in the same canonical form as records; takes json. */
static int put_json(git_oid *blob, git_repository *repo, json_t *json)
{
	civic_buf b = CIVIC_BUF_INIT;
	int error;

	if (!json)
		return civic_error_nomem();
	if ((error = civic_record_serialize(&b, json)) == 0 &&
	    (error = git_blob_create_from_buffer(blob, repo, b.ptr, b.size)) < 0)
		error = civic_error_from_git(error, "cannot write a roster file");
	civic_buf_dispose(&b);
	json_decref(json);
	return error;
}

static int member_json(json_t **out, const civic_member *m)
{
	civic_buf line = CIVIC_BUF_INIT;
	int error = civic_pubkey_to_openssh(&line, &m->key);

	*out = NULL;
	if (error == 0 && !(*out = json_pack("{s:s, s:s, s:s, s:s}", "key", line.ptr, "name", m->name,
					     "municipality", m->municipality, "role", m->role)))
		error = civic_error_nomem();
	civic_buf_dispose(&line);
	return error;
}

/* Writes a roster commit on top of `parent` (NULL: the first) with files
 * upserted, then moves the ref with compare-and-swap. */
static int commit_update(git_oid *out, git_repository *repo, const civic_key *key, const char *signer_name,
			 git_commit *parent, const git_tree_update *updates, size_t n, const char *message)
{
	git_tree *base = NULL;
	git_oid tree_id;
	int error;

	/* With no baseline libgit2 starts from an empty tree, and does not
	 * write that empty tree as a dangling object. */
	error = parent ? git_commit_tree(&base, parent) : 0;
	if (error == 0)
		error = git_tree_create_updated(&tree_id, repo, base, n, updates);
	if (error < 0) {
		error = civic_error_from_git(error, "cannot build the roster tree");
		goto done;
	}
	if ((error = civic_signed_commit_create(out, repo, key, signer_name, &tree_id, parent, message)) < 0)
		goto done;
	error = civic_ref_move(repo, CIVIC_ROSTER_REF, out, parent ? git_commit_id(parent) : NULL,
			       "civic: roster");
	/* For the first commit, a roster that is there already is no race. */
	if (error == CIVIC_ECONFLICT && !parent)
		error = CIVIC_EEXISTS;
done:
	git_tree_free(base);
	return error;
}

static void member_path(char *out, size_t size, const char *dir, const civic_pubkey *key)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1];

	civic_pubkey_to_hex(hex, key);
	snprintf(out, size, "%s/%s.json", dir, hex);
}

int civic_roster_create(git_oid *out, git_repository *repo, const civic_key *key,
			const char *network_name, const char *creator_name,
			const char *creator_municipality)
{
	civic_member m = { 0 };
	git_tree_update up[2] = { { GIT_TREE_UPDATE_UPSERT, { { 0 } }, GIT_FILEMODE_BLOB, "network.json" },
				  { GIT_TREE_UPDATE_UPSERT, { { 0 } }, GIT_FILEMODE_BLOB, NULL } };
	char path[128];
	civic_buf msg = CIVIC_BUF_INIT;
	json_t *json;
	int error;

	const civic_municipality *muni = civic_municipality_find(creator_municipality);

	if ((error = civic_text_check_name(network_name, 200, "the network's name")) < 0)
		return error;
	m.key = *civic_key_public(key);
	snprintf(m.name, sizeof m.name, "%s", creator_name);
	snprintf(m.municipality, sizeof m.municipality, "%s", muni ? muni->slug : creator_municipality);
	snprintf(m.role, sizeof m.role, "civic-center");
	if ((error = check_member(&m)) < 0)
		return error;
	member_path(path, sizeof path, "members", &m.key);
	up[1].path = path;
	if ((error = put_json(&up[0].id, repo, json_pack("{s:s, s:s}", "format", ROSTER_FORMAT,
							 "name", network_name))) < 0 ||
	    (error = member_json(&json, &m)) < 0 || (error = put_json(&up[1].id, repo, json)) < 0)
		goto done;
	civic_buf_printf(&msg, "roster: create network %s\n\nCivic-Roster-Seq: 1\n", network_name);
	if (civic_buf_oom(&msg)) {
		error = CIVIC_ERROR;
		goto done;
	}
	error = commit_update(out, repo, key, creator_name, NULL, up, 2, msg.ptr);
	if (error == CIVIC_EEXISTS)
		civic_error_set(CIVIC_ERROR_ROSTER, "this node holds a network's roster already");
done:
	civic_buf_dispose(&msg);
	return error;
}

/* Signs one more roster commit with `file` upserted at path. */
static int append(civic_roster *roster, git_repository *repo, const civic_key *admin_key,
		  const char *path, json_t *file, const char *subject)
{
	const civic_member *admin = civic_roster_find(roster, civic_key_public(admin_key));
	git_tree_update up = { GIT_TREE_UPDATE_UPSERT, { { 0 } }, GIT_FILEMODE_BLOB, path };
	git_commit *parent = NULL;
	civic_buf msg = CIVIC_BUF_INIT;
	git_oid id;
	int error;

	if (!civic_member_is_admin(admin)) {
		json_decref(file);
		civic_error_set(CIVIC_ERROR_ROSTER, "this node's key is not an admin of the network");
		return CIVIC_EINVALID;
	}
	if ((error = put_json(&up.id, repo, file)) < 0)
		goto done;
	if ((error = git_commit_lookup(&parent, repo, &roster->head)) < 0) {
		error = civic_error_from_git(error, "cannot read the roster head");
		goto done;
	}
	civic_buf_printf(&msg, "roster: %s\n\nCivic-Network: %s\nCivic-Roster-Seq: %" PRIu64 "\n",
			 subject, roster->network, roster->seq + 1);
	if (civic_buf_oom(&msg)) {
		error = CIVIC_ERROR;
		goto done;
	}
	if ((error = commit_update(&id, repo, admin_key, admin->name, parent, &up, 1, msg.ptr)) < 0)
		goto done;
	roster->head = id;
	roster->seq++;
done:
	git_commit_free(parent);
	civic_buf_dispose(&msg);
	return error;
}

int civic_roster_add(civic_roster *roster, git_repository *repo, const civic_key *admin_key,
		     const civic_member *member)
{
	char path[128], subject[600];
	json_t *json;
	int error;

	if (civic_roster_find(roster, &member->key)) {
		civic_error_set(CIVIC_ERROR_ROSTER, "that key is a member already");
		return CIVIC_EEXISTS;
	}
	/* What the loader would refuse must never be signed into the chain. */
	if ((error = check_member(member)) < 0)
		return error;
	if ((error = member_json(&json, member)) < 0)
		return error;
	member_path(path, sizeof path, "members", &member->key);
	snprintf(subject, sizeof subject, "add %s (%s, %s)", member->name, member->municipality, member->role);
	if ((error = append(roster, repo, admin_key, path, json, subject)) < 0)
		return error;
	return push_member(roster, member);
}

int civic_roster_revoke(civic_roster *roster, git_repository *repo, const civic_key *admin_key,
			const civic_pubkey *key, const git_oid *last_valid, const char *reason)
{
	civic_member *m = find_mutable(roster, key);
	char path[128], subject[600], last[GIT_OID_HEXSZ + 1];
	civic_buf line = CIVIC_BUF_INIT;
	json_t *json;
	int error;

	if (!m) {
		civic_error_set(CIVIC_ERROR_ROSTER, "that key is not a member");
		return CIVIC_ENOTFOUND;
	}
	if (m->revoked) {
		civic_error_set(CIVIC_ERROR_ROSTER, "'%s' is revoked already", m->name);
		return CIVIC_EEXISTS;
	}
	if ((error = civic_text_check_name(reason, sizeof m->reason - 1, "the reason")) < 0)
		return error;
	if (civic_member_is_admin(m) && count_admins(roster) == 1) {
		civic_error_set(CIVIC_ERROR_ROSTER,
				"'%s' is the network's last admin: add another civic-center member first", m->name);
		return CIVIC_EINVALID;
	}
	if (last_valid)
		git_oid_tostr(last, sizeof last, last_valid);
	if ((error = civic_pubkey_to_openssh(&line, key)) < 0)
		return error;
	json = json_pack("{s:s, s:o, s:s}", "key", line.ptr, "last_valid",
			 last_valid ? json_string(last) : json_null(), "reason", reason);
	civic_buf_dispose(&line);
	if (!json)
		return civic_error_nomem();
	member_path(path, sizeof path, "revocations", key);
	snprintf(subject, sizeof subject, "revoke %s", m->name);
	if ((error = append(roster, repo, admin_key, path, json, subject)) < 0)
		return error;
	m->revoked = 1;
	m->has_last_valid = last_valid != NULL;
	if (last_valid)
		m->last_valid = *last_valid;
	snprintf(m->reason, sizeof m->reason, "%s", reason);
	return 0;
}

/* -------------------------------------------------------------------------
 * Settling a fork
 */

/* Whether both trees hold a name in `dir` differently (*name receives it). */
static int clash(git_repository *repo, const git_tree *first, const git_tree *second, const char *dir,
		 char *name, size_t size)
{
	git_tree *a = NULL, *b = NULL;
	size_t i;
	int found = 0;

	if (subtree(&a, repo, first, dir) == 0 && subtree(&b, repo, second, dir) == 0)
		for (i = 0; i < entry_count(b) && !found; i++) {
			const git_tree_entry *e = git_tree_entry_byindex(b, i);
			const git_tree_entry *x = entry_named(a, git_tree_entry_name(e));
			if ((found = x && !git_oid_equal(git_tree_entry_id(x), git_tree_entry_id(e))))
				snprintf(name, size, "%s/%s", dir, git_tree_entry_name(e));
		}
	git_error_clear();
	git_tree_free(a);
	git_tree_free(b);
	return found;
}

/* `dir` of the union of two roster trees that do not clash, into the root
 * builder; nothing when neither tree has it. */
static int union_dir(git_treebuilder *root, git_repository *repo, const git_tree *first,
		     const git_tree *second, const char *dir)
{
	git_tree *a = NULL, *b = NULL;
	git_treebuilder *bld = NULL;
	git_oid id;
	size_t i;
	int error;

	if ((error = subtree(&a, repo, first, dir)) < 0 || (error = subtree(&b, repo, second, dir)) < 0 ||
	    (!a && !b) || (error = git_treebuilder_new(&bld, repo, a)) < 0)
		goto done;
	for (i = 0; i < entry_count(b) && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(b, i);
		if (!entry_named(a, git_tree_entry_name(e)))
			error = git_treebuilder_insert(NULL, bld, git_tree_entry_name(e), git_tree_entry_id(e),
						       GIT_FILEMODE_BLOB);
	}
	if (error == 0 && (error = git_treebuilder_write(&id, bld)) == 0)
		error = git_treebuilder_insert(NULL, root, dir, &id, GIT_FILEMODE_TREE);
done:
	git_treebuilder_free(bld);
	git_tree_free(a);
	git_tree_free(b);
	return error < 0 ? civic_error_from_git(error, "cannot build the settled roster's tree") : 0;
}

static int union_tree(git_oid *out, git_repository *repo, const git_tree *first, const git_tree *second)
{
	git_treebuilder *root = NULL;
	int error = git_treebuilder_new(&root, repo, first);

	if (error < 0)
		return civic_error_from_git(error, "cannot build the settled roster's tree");
	if ((error = union_dir(root, repo, first, second, "members")) == 0 &&
	    (error = union_dir(root, repo, first, second, "revocations")) == 0 &&
	    (error = git_treebuilder_write(out, root)) < 0)
		error = civic_error_from_git(error, "cannot write the settled roster's tree");
	git_treebuilder_free(root);
	return error;
}

/* Whether one of two commits holds the other (is it, or descends from it). */
static int holds_either(git_repository *repo, const git_oid *x, const git_oid *y)
{
	int held = git_oid_equal(x, y) || git_graph_descendant_of(repo, x, y) != 0 ||
		   git_graph_descendant_of(repo, y, x) != 0;

	git_error_clear();
	return held;
}

static int cannot_settle(const char *why, const char *detail)
{
	char text[sizeof civic_error_last()->message];

	snprintf(text, sizeof text, dgettext("civic", why), detail);
	civic_error_set(CIVIC_ERROR_ROSTER, "%s", text);
	return CIVIC_EINVALID;
}

/* What every node will check of the settlement, before anything is written:
 * a refused settlement leaves the archive as it was. `theirs` is the other
 * roster, verified; t0 and t1 are the two rosters' trees. */
static int settlement_checks(const civic_roster *roster, const civic_roster *theirs, git_repository *repo,
			     const civic_key *admin_key, const git_oid *other, const git_tree *t0,
			     const git_tree *t1)
{
	const civic_member *me = civic_roster_find(theirs, civic_key_public(admin_key));
	char name[CIVIC_PUBKEY_HEX_LEN + 32], hex[GIT_OID_HEXSZ + 1];
	int parts, tainted, error;

	git_oid_tostr(hex, sizeof hex, other);
	if (holds_either(repo, &roster->head, other))
		return cannot_settle("the roster %.12s does not part from this node's: nothing to settle", hex);
	if (clash(repo, t0, t1, "members", name, sizeof name) || clash(repo, t0, t1, "revocations", name, sizeof name))
		return cannot_settle("both rosters hold %s, differently: no settlement can join them", name);
	if ((error = check_sides(&parts, &tainted, repo, &roster->head, other, t0, t1)) < 0)
		return error;
	if (tainted)
		return cannot_settle("one roster revokes a key that signed the other since they part: "
				     "no settlement can join them (%.12s)", hex);
	if (me && me->revoked)
		return cannot_settle("the roster %.12s revokes this node's key: it cannot settle the fork", hex);
	return 0;
}

int civic_roster_settle(civic_roster *roster, git_repository *repo, const civic_key *admin_key,
			const git_oid *other, const git_oid *ref_now, const char *reason)
{
	const civic_member *admin = civic_roster_find(roster, civic_key_public(admin_key));
	civic_roster *theirs = NULL;
	git_commit *parents[2] = { NULL, NULL };
	git_tree *t0 = NULL, *t1 = NULL;
	civic_buf msg = CIVIC_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid tree_id, id;
	int error;

	if (!civic_member_is_admin(admin)) {
		civic_error_set(CIVIC_ERROR_ROSTER, "this node's key is not an admin of the network");
		return CIVIC_EINVALID;
	}
	if ((error = civic_text_check_name(reason, sizeof admin->reason - 1, "the reason")) < 0 ||
	    (error = civic_roster_load_at(&theirs, repo, other, roster->network)) < 0)
		return error;
	if ((error = git_commit_lookup(&parents[0], repo, &roster->head)) < 0 ||
	    (error = git_commit_lookup(&parents[1], repo, other)) < 0 ||
	    (error = git_commit_tree(&t0, parents[0])) < 0 || (error = git_commit_tree(&t1, parents[1])) < 0) {
		error = civic_error_from_git(error, "cannot read the rosters to settle");
		goto done;
	}
	if ((error = settlement_checks(roster, theirs, repo, admin_key, other, t0, t1)) < 0 ||
	    (error = union_tree(&tree_id, repo, t0, t1)) < 0)
		goto done;
	/* The reason goes in the subject: a line of its own could pass for a trailer. */
	civic_buf_printf(&msg, "roster: settle a fork, taking in %.12s: %s\n\nCivic-Network: %s\nCivic-Roster-Seq: %" PRIu64 "\n",
			 git_oid_tostr(hex, sizeof hex, other), reason, roster->network, roster->seq + 1);
	if (civic_buf_oom(&msg)) {
		error = CIVIC_ERROR;
		goto done;
	}
	if ((error = civic_signed_commit_create_with_parents(&id, repo, admin_key, admin->name, &tree_id,
							     (const git_commit **)parents, 2, msg.ptr)) < 0)
		goto done;
	/* As every node will verify it; the checks above should have said why not. */
	civic_roster_free(theirs);
	theirs = NULL;
	if ((error = civic_roster_load_at(&theirs, repo, &id, roster->network)) < 0 ||
	    (error = civic_ref_move(repo, CIVIC_ROSTER_REF, &id, ref_now ? ref_now : &roster->head,
				    "civic: roster settlement")) < 0)
		goto done;
	/* The roster becomes the settled one, as just verified. */
	free(roster->members);
	roster->members = theirs->members;
	roster->count = theirs->count;
	roster->alloc = theirs->alloc;
	theirs->members = NULL;
	roster->head = id;
	roster->seq++;
done:
	civic_roster_free(theirs);
	git_commit_free(parents[0]);
	git_commit_free(parents[1]);
	git_tree_free(t0);
	git_tree_free(t1);
	civic_buf_dispose(&msg);
	return error;
}
