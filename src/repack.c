/* repack.c - small packs and loose objects joined; see repack.h. */
#include "repack.h"
#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "pack_objects.h"

#include <git2.h>
#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#define PACK_NAME_MAX 64 /* "pack-" 40 hex ".pack" */

typedef struct {
	char (*names)[PACK_NAME_MAX];
	size_t count, alloc;
} name_list;

static int add_name(name_list *l, const char *name)
{
	size_t len = strlen(name);

	if (len >= PACK_NAME_MAX)
		return 0; /* not a name git gives a pack */
	if (l->count == l->alloc) {
		size_t n = l->alloc ? l->alloc * 2 : 32;
		char(*p)[PACK_NAME_MAX] = realloc(l->names, n * sizeof *p);
		if (!p)
			return civic_error_nomem();
		l->names = p;
		l->alloc = n;
	}
	memcpy(l->names[l->count++], name, len + 1);
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/* "<dir>/<pack name less .pack><ext>" */
static int pack_file(char *out, size_t size, const char *dir, const char *pack, const char *ext)
{
	if (snprintf(out, size, "%s/%.*s%s", dir, (int)(strlen(pack) - 5), pack, ext) >= (int)size) {
		civic_error_set(CIVIC_ERROR_GIT, "path too long in '%s'", dir);
		return CIVIC_ERROR;
	}
	return 0;
}

/* The packs smaller than CIVIC_REPACK_SMALL_PACK that have an index and
 * no .keep: the ones a sync or a stick left. */
static int list_small_packs(name_list *out, const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	int error = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0; /* no packs yet */
	while (error == 0 && (e = readdir(d))) {
		if (strncmp(e->d_name, "pack-", 5) || !has_suffix(e->d_name, ".pack") ||
		    strlen(e->d_name) >= PACK_NAME_MAX)
			continue; /* not a name git gives a pack */
		if ((error = pack_file(path, sizeof path, dir, e->d_name, ".keep")) < 0 || civic_fs_exists(path) ||
		    (error = pack_file(path, sizeof path, dir, e->d_name, ".idx")) < 0 || !civic_fs_exists(path) ||
		    (error = pack_file(path, sizeof path, dir, e->d_name, ".pack")) < 0 || stat(path, &st) < 0 ||
		    st.st_size >= CIVIC_REPACK_SMALL_PACK)
			continue;
		error = add_name(out, e->d_name);
	}
	closedir(d);
	return error;
}

/* -------------------------------------------------------------------------
 * Running stock git
 */

/* git --git-dir=D -c ... pack-objects -q [--stdin-packs] D/objects/pack/pack */
static int run_pack_objects(char hash[GIT_OID_HEXSZ + 1], const char *git_dir, int stdin_packs,
			    const civic_buf *input)
{
	civic_buf dir_arg = CIVIC_BUF_INIT, base = CIVIC_BUF_INIT;
	char *argv[14];
	int i = 0, error;

	if ((error = civic_buf_printf(&dir_arg, "--git-dir=%s", git_dir)) < 0 ||
	    (error = civic_buf_printf(&base, "%s/objects/pack/pack", git_dir)) < 0)
		goto done;
	argv[i++] = (char *)"git";
	argv[i++] = dir_arg.ptr;
	/* Acknowledged records must survive a power cut (DESIGN.md section 5):
	 * the new pack and its index reach the disk before anything goes. */
	argv[i++] = (char *)"-c";
	argv[i++] = (char *)"core.fsync=objects,derived-metadata";
	argv[i++] = (char *)"-c";
	argv[i++] = (char *)"core.fsyncMethod=fsync";
	/* One pack, whatever the user's config asks: its one line names it. */
	argv[i++] = (char *)"-c";
	argv[i++] = (char *)"pack.packSizeLimit=0";
	argv[i++] = (char *)"pack-objects";
	argv[i++] = (char *)"-q";
	if (stdin_packs)
		argv[i++] = (char *)"--stdin-packs";
	argv[i++] = base.ptr;
	argv[i] = NULL;
	error = civic_pack_objects(hash, argv, NULL, input);
done:
	civic_buf_dispose(&dir_arg);
	civic_buf_dispose(&base);
	return error;
}

/* -------------------------------------------------------------------------
 * Checking the new pack before anything goes
 */

typedef struct {
	git_odb_backend *joined;
	size_t missing;
} holds_state;

static int held_by_joined(const git_oid *id, void *payload)
{
	holds_state *s = payload;

	if (!s->joined->exists(s->joined, id))
		s->missing++;
	return 0;
}

static int open_pack(git_odb_backend **out, const char *dir, const char *pack)
{
	char idx[PATH_MAX];
	int error;

	if ((error = pack_file(idx, sizeof idx, dir, pack, ".idx")) < 0)
		return error;
	if ((error = git_odb_backend_one_pack(out, idx)) < 0)
		return civic_error_from_git(error, "cannot open '%s'", idx);
	return 0;
}

/* Whether every object of the pack `old` is in the pack `joined`. */
static int pack_within(int *within, git_odb_backend *joined, const char *dir, const char *old)
{
	holds_state s = { joined, 0 };
	git_odb_backend *b = NULL;
	int error;

	if ((error = open_pack(&b, dir, old)) < 0)
		return error;
	if ((error = b->foreach(b, held_by_joined, &s)) < 0)
		error = civic_error_from_git(error, "cannot read '%s'", old);
	b->free(b);
	*within = error == 0 && s.missing == 0;
	return error;
}

/* Removes a pack that is joined into another: its index first, so that no
 * reader finds a pack that is going. */
static void remove_pack(const char *dir, const char *pack)
{
	static const char *const exts[] = { ".idx", ".rev", ".bitmap", ".pack" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (pack_file(path, sizeof path, dir, pack, exts[i]) == 0)
			unlink(path);
}

/* -------------------------------------------------------------------------
 * Small packs
 */

static int join_packs(size_t *joined, const char *git_dir, const char *dir, const name_list *small)
{
	civic_buf input = CIVIC_BUF_INIT;
	char hash[GIT_OID_HEXSZ + 1], name[PACK_NAME_MAX];
	git_odb_backend *into = NULL;
	size_t i;
	int error = 0, within;

	*joined = 0;
	for (i = 0; i < small->count && error == 0; i++)
		error = civic_buf_printf(&input, "%s\n", small->names[i]);
	if (error < 0 || (error = run_pack_objects(hash, git_dir, 1, &input)) < 0)
		goto done;
	snprintf(name, sizeof name, "pack-%s.pack", hash);
	if ((error = open_pack(&into, dir, name)) < 0 || (error = civic_fs_sync_dir(dir)) < 0)
		goto done;
	for (i = 0; i < small->count && error == 0; i++) {
		if (!strcmp(small->names[i], name))
			continue; /* the same objects made the same pack */
		if ((error = pack_within(&within, into, dir, small->names[i])) == 0 && within) {
			remove_pack(dir, small->names[i]);
			++*joined;
		}
	}
	if (error == 0)
		error = civic_fs_sync_dir(dir);
done:
	if (into)
		into->free(into);
	civic_buf_dispose(&input);
	return error;
}

/* -------------------------------------------------------------------------
 * Loose objects
 */

static int is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* Loose objects in objects/17/, as `git gc --auto` estimates the whole. */
static size_t loose_in_17(const char *git_dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	if (snprintf(path, sizeof path, "%s/objects/17", git_dir) >= (int)sizeof path || !(d = opendir(path)))
		return 0;
	while ((e = readdir(d)))
		n += is_hex(e->d_name, GIT_OID_HEXSZ - 2);
	closedir(d);
	return n;
}

/* Every loose object id, one per line. */
static int list_loose(civic_buf *out, size_t *count, const char *git_dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	int i, error = 0;

	*count = 0;
	for (i = 0; i < 256 && error == 0; i++) {
		DIR *d;
		if (snprintf(path, sizeof path, "%s/objects/%02x", git_dir, i) >= (int)sizeof path) {
			civic_error_set(CIVIC_ERROR_GIT, "path too long in '%s'", git_dir);
			return CIVIC_ERROR;
		}
		if (!(d = opendir(path)))
			continue;
		while (error == 0 && (e = readdir(d)))
			if (is_hex(e->d_name, GIT_OID_HEXSZ - 2) &&
			    (error = civic_buf_printf(out, "%02x%s\n", i, e->d_name)) == 0)
				++*count;
		closedir(d);
	}
	return error;
}

/* Removes each listed loose object that the pack `into` holds. */
static size_t remove_loose(const char *git_dir, git_odb_backend *into, const civic_buf *ids)
{
	char path[PATH_MAX], hex[GIT_OID_HEXSZ + 1];
	const char *p = ids->ptr, *end = ids->ptr + ids->size;
	size_t removed = 0;
	git_oid id;

	for (; p + GIT_OID_HEXSZ < end; p += GIT_OID_HEXSZ + 1) {
		memcpy(hex, p, GIT_OID_HEXSZ);
		hex[GIT_OID_HEXSZ] = '\0';
		if (git_oid_fromstr(&id, hex) < 0 || !into->exists(into, &id) ||
		    snprintf(path, sizeof path, "%s/objects/%.2s/%s", git_dir, hex, hex + 2) >= (int)sizeof path)
			continue;
		removed += unlink(path) == 0;
	}
	return removed;
}

static int pack_loose(size_t *packed, const char *git_dir, const char *dir)
{
	civic_buf ids = CIVIC_BUF_INIT;
	char hash[GIT_OID_HEXSZ + 1], name[PACK_NAME_MAX];
	git_odb_backend *into = NULL;
	size_t count;
	int error;

	*packed = 0;
	if ((error = list_loose(&ids, &count, git_dir)) < 0 || count == 0 ||
	    (error = run_pack_objects(hash, git_dir, 0, &ids)) < 0)
		goto done;
	snprintf(name, sizeof name, "pack-%s.pack", hash);
	if ((error = open_pack(&into, dir, name)) == 0 && (error = civic_fs_sync_dir(dir)) == 0)
		*packed = remove_loose(git_dir, into, &ids);
done:
	if (into)
		into->free(into);
	civic_buf_dispose(&ids);
	return error;
}

int civic_repack_small(civic_repack *r, const char *git_dir)
{
	name_list small = { NULL, 0, 0 };
	size_t min_packs = r->min_packs ? r->min_packs : CIVIC_REPACK_MIN_PACKS;
	size_t min_loose = r->min_loose ? r->min_loose : CIVIC_REPACK_MIN_LOOSE;
	char dir[PATH_MAX];
	int error;

	r->packs_joined = r->loose_packed = 0;
	if (snprintf(dir, sizeof dir, "%s/objects/pack", git_dir) >= (int)sizeof dir) {
		civic_error_set(CIVIC_ERROR_GIT, "path too long in '%s'", git_dir);
		return CIVIC_ERROR;
	}
	/* Loose objects first: packed, they are one small pack more to join. */
	if (loose_in_17(git_dir) * 256 >= min_loose && (error = pack_loose(&r->loose_packed, git_dir, dir)) < 0)
		return error;
	if ((error = list_small_packs(&small, dir)) == 0 && small.count >= min_packs)
		error = join_packs(&r->packs_joined, git_dir, dir, &small);
	free(small.names);
	return error;
}
