/* quarantine.c - a staging repository for fetched objects; see quarantine.h. */
#include "quarantine.h"
#include "buf.h"
#include "roster.h"
#include "steps.h"
#include "error.h"
#include "fsutil.h"
#include "index_pack.h"
#include "oidset.h"

#include <errno.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct civic_quarantine {
	char path[PATH_MAX];
	git_repository *repo;
	char leaned[PATH_MAX]; /* the objects of what it leans on, or "" */
	int git_indexes;       /* civic_quarantine_index_with_git() was called */
};

void civic_quarantine_clean(const char *tmp_dir)
{
	civic_fs_remove_prefixed(tmp_dir, CIVIC_QUARANTINE_PREFIX);
}

/* A file of a fresh quarantine, written once before the quarantine is
 * opened: nothing reads it half-written, and a crash loses it with the
 * quarantine (civic_quarantine_clean), so no temporary file and no fsync.
 * A sync made two fsyncs for each ref the node holds, 0.2-12 ms apiece on
 * the bench VM, more on a laptop's hard disk. */
static int write_scratch(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int error;

	if (fd < 0) {
		civic_error_set_os("cannot create '%s'", path);
		return CIVIC_ERROR;
	}
	error = civic_fs_write_all(fd, data, len, path);
	if (close(fd) < 0 && error == 0) {
		civic_error_set_os("cannot write '%s'", path);
		error = CIVIC_ERROR;
	}
	return error;
}

/* objects/info/alternates: the node's object store, by absolute path.
 * Written before the repository is opened: libgit2 reads alternates when
 * it first loads the object database. */
static int write_alternates(const char *qpath, git_repository *main)
{
	char path[PATH_MAX], line[PATH_MAX + 16], *abs;
	int n;

	if (!(abs = realpath(git_repository_path(main), NULL))) {
		civic_error_set_os("cannot resolve '%s'", git_repository_path(main));
		return CIVIC_ERROR;
	}
	n = snprintf(line, sizeof line, "%s/objects\n", abs);
	free(abs);
	if (n < 0 || (size_t)n >= sizeof line ||
	    snprintf(path, sizeof path, "%s/objects/info/alternates", qpath) >= (int)sizeof path) {
		civic_error_set(CIVIC_ERROR_GIT, "repository path too long");
		return CIVIC_ERROR;
	}
	return write_scratch(path, line, (size_t)n);
}

/* The node's refs under refs/civic/, copied under the same names: the "have"s of the
 * fetch negotiation. They point at objects the quarantine sees through its
 * alternates. Not the feeds' steps (steps.h): libgit2 1.5 offers only the
 * 20 newest commits of the refs, and the steps, older than their feed's
 * head but often of the same second, crowded the head out, so that a peer
 * sent again 5,000 records the node held. Each namespace but the steps is
 * listed on its own, and the roster is looked up by name: libgit2 lists a
 * glob by walking the directory before its last '/', so a glob over all of
 * refs/civic/, or the name refs/civic/roster as a glob, read every loose
 * step ref, 781 at 100k records, at every sync. They go into one
 * packed-refs file (write_scratch): as loose refs, each cost a file and two
 * fsyncs. */
static const char *const HAVE_GLOBS[] = { "refs/civic/feeds/*", "refs/civic/forks/*", "refs/civic/state/*", NULL };

typedef struct {
	char *name;
	git_oid id;
} have_ref;

typedef struct {
	have_ref *refs;
	size_t count, alloc;
} have_list;

static int have_add(have_list *l, const git_reference *ref)
{
	if (git_reference_type(ref) != GIT_REFERENCE_DIRECT)
		return 0;
	if (l->count == l->alloc) {
		size_t alloc = l->alloc ? 2 * l->alloc : 16;
		have_ref *grown = realloc(l->refs, alloc * sizeof *grown);
		CIVIC_ERROR_CHECK_ALLOC(grown);
		l->refs = grown;
		l->alloc = alloc;
	}
	CIVIC_ERROR_CHECK_ALLOC(l->refs[l->count].name = strdup(git_reference_name(ref)));
	git_oid_cpy(&l->refs[l->count++].id, git_reference_target(ref));
	return 0;
}

static void have_dispose(have_list *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->refs[i].name);
	free(l->refs);
}

static int have_glob(have_list *l, git_repository *main, const char *glob)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	int error, added = 0;

	if ((error = git_reference_iterator_glob_new(&it, main, glob)) < 0)
		return civic_error_from_git(error, "cannot list the node's refs");
	while (added == 0 && (error = git_reference_next(&ref, it)) == 0) {
		added = have_add(l, ref);
		git_reference_free(ref);
	}
	git_reference_iterator_free(it);
	if (added < 0)
		return added;
	if (error != GIT_ITEROVER)
		return civic_error_from_git(error, "cannot list the node's refs");
	return 0;
}

static int have_cmp(const void *a, const void *b)
{
	return strcmp(((const have_ref *)a)->name, ((const have_ref *)b)->name);
}

/* packed-refs, as git writes it: sorted by name, no tags to peel. */
static int write_packed_refs(const char *qpath, have_list *l)
{
	char path[PATH_MAX], hex[GIT_OID_HEXSZ + 1];
	civic_buf text = CIVIC_BUF_INIT;
	size_t i;
	int error;

	if (snprintf(path, sizeof path, "%s/packed-refs", qpath) >= (int)sizeof path) {
		civic_error_set(CIVIC_ERROR_GIT, "repository path too long");
		return CIVIC_ERROR;
	}
	if (l->count > 1) /* a node holding nothing yet has no refs, and no array */
		qsort(l->refs, l->count, sizeof *l->refs, have_cmp);
	civic_buf_puts(&text, "# pack-refs with: peeled fully-peeled sorted \n");
	for (i = 0; i < l->count; i++)
		civic_buf_printf(&text, "%s %s\n", git_oid_tostr(hex, sizeof hex, &l->refs[i].id), l->refs[i].name);
	error = civic_buf_oom(&text) ? civic_error_nomem() : write_scratch(path, text.ptr, text.size);
	civic_buf_dispose(&text);
	return error;
}

static int copy_refs(const char *qpath, git_repository *main)
{
	have_list l = { NULL, 0, 0 };
	git_reference *roster = NULL;
	size_t i;
	int error = git_reference_lookup(&roster, main, CIVIC_ROSTER_REF);

	if (error == 0)
		error = have_add(&l, roster);
	else if (error == GIT_ENOTFOUND)
		error = 0;
	else
		error = civic_error_from_git(error, "cannot set up the quarantine's refs");
	git_reference_free(roster);
	for (i = 0; HAVE_GLOBS[i] && error == 0; i++)
		error = have_glob(&l, main, HAVE_GLOBS[i]);
	if (error == 0)
		error = write_packed_refs(qpath, &l);
	have_dispose(&l);
	return error;
}

/* libgit2 1.5 sorts an alternate's backends before the repository's own of
 * the same priority: every read of a fetched object first missed in each of
 * the node's packs (a first sync in parts leaves one per part), taking each
 * pack's lock and formatting a "not found" error on the way: 16% of the
 * CPU of a first sync of 100k records. The quarantine's own packs are
 * searched first instead, by a second pack backend above the alternates'. */
#define OWN_PACKS_PRIORITY 3 /* libgit2's packed backends have 2, loose 1 */

static int own_packs_first(git_repository *repo)
{
	char objects[PATH_MAX], alternates[PATH_MAX];
	git_odb_backend *packs = NULL;
	git_odb *odb = NULL;
	int error;

	if (snprintf(objects, sizeof objects, "%sobjects", git_repository_path(repo)) >= (int)sizeof objects ||
	    snprintf(alternates, sizeof alternates, "%s/info/alternates", objects) >= (int)sizeof alternates) {
		civic_error_set(CIVIC_ERROR_GIT, "repository path too long");
		return CIVIC_ERROR;
	}
	if (access(alternates, F_OK) < 0)
		return 0; /* no alternates: its packs come first already */
	if ((error = git_repository_odb(&odb, repo)) < 0 || (error = git_odb_backend_pack(&packs, objects)) < 0) {
		git_odb_free(odb);
		return civic_error_from_git(error, "cannot open the packs of '%s'", objects);
	}
	if ((error = git_odb_add_backend(odb, packs, OWN_PACKS_PRIORITY)) < 0) {
		packs->free(packs);
		error = civic_error_from_git(error, "cannot open the packs of '%s'", objects);
	}
	git_odb_free(odb);
	return error;
}

int civic_quarantine_open(git_repository **out, const char *path)
{
	int error;

	if ((error = git_repository_open_bare(out, path)) < 0)
		return civic_error_from_git(error, "cannot open the quarantine '%s'", path);
	if ((error = own_packs_first(*out)) < 0) {
		git_repository_free(*out);
		*out = NULL;
	}
	return error;
}

static int init_repo(civic_quarantine *q, git_repository *main)
{
	git_repository *repo = NULL;
	int error;

	if ((error = git_repository_init(&repo, q->path, 1)) < 0)
		return civic_error_from_git(error, "cannot create a quarantine in '%s'", q->path);
	git_repository_free(repo);
	if ((error = write_alternates(q->path, main)) < 0 || (error = copy_refs(q->path, main)) < 0)
		return error;
	return civic_quarantine_open(&q->repo, q->path);
}

int civic_quarantine_new(civic_quarantine **out, git_repository *main, const char *tmp_dir)
{
	civic_quarantine *q = calloc(1, sizeof *q);
	int error;

	*out = NULL;
	CIVIC_ERROR_CHECK_ALLOC(q);
	if ((error = civic_fs_mkdir(tmp_dir, 0700)) < 0)
		goto fail;
	if (snprintf(q->path, sizeof q->path, "%s/" CIVIC_QUARANTINE_PREFIX "XXXXXX", tmp_dir) >=
	    (int)sizeof q->path) {
		civic_error_set(CIVIC_ERROR_NODE, "path too long: '%s'", tmp_dir);
		error = CIVIC_EINVALID;
		goto fail;
	}
	if (!mkdtemp(q->path)) {
		civic_error_set_os("cannot create a quarantine in '%s'", tmp_dir);
		q->path[0] = '\0';
		error = CIVIC_ERROR;
		goto fail;
	}
	if ((error = init_repo(q, main)) < 0)
		goto fail;
	*out = q;
	return 0;
fail:
	civic_quarantine_free(q);
	return error;
}

git_repository *civic_quarantine_repository(const civic_quarantine *q)
{
	return q->repo;
}

int civic_quarantine_lean_on(civic_quarantine *q, const civic_quarantine *earlier)
{
	char objects[PATH_MAX];
	git_odb *odb = NULL;
	int error;

	if (snprintf(objects, sizeof objects, "%s/objects", earlier->path) >= (int)sizeof objects) {
		civic_error_set(CIVIC_ERROR_GIT, "repository path too long");
		return CIVIC_ERROR;
	}
	/* In memory only: objects/info/alternates stays the node's alone. */
	if ((error = git_repository_odb(&odb, q->repo)) == 0)
		error = git_odb_add_disk_alternate(odb, objects);
	git_odb_free(odb);
	if (error < 0)
		return civic_error_from_git(error, "cannot open the packs of '%s'", objects);
	memcpy(q->leaned, objects, sizeof objects);
	return 0;
}

int civic_quarantine_index_with_git(civic_quarantine *q)
{
	int error = 0;

	if (!q->git_indexes && (error = civic_index_pack_use(q->repo, q->leaned)) == 0)
		q->git_indexes = 1;
	return error;
}

int civic_quarantine_set_ref(civic_quarantine *q, const char *refname, const git_oid *id)
{
	git_reference *ref = NULL;
	int error = git_reference_create(&ref, q->repo, refname, id, 1, NULL);

	git_reference_free(ref);
	return error < 0 ? civic_error_from_git(error, "cannot set up the quarantine's refs") : 0;
}

int civic_quarantine_reopen(civic_quarantine *q)
{
	git_repository *repo = NULL;
	int error;

	if ((error = civic_quarantine_open(&repo, q->path)) < 0)
		return error;
	git_repository_free(q->repo);
	q->repo = repo;
	q->leaned[0] = '\0';
	q->git_indexes = 0;
	return 0;
}

static int walk_new_objects(git_revwalk *walk, git_repository *main, const git_oid *tips,
			    size_t ntips, const git_oid *bases, size_t nbases)
{
	git_odb *odb = NULL;
	size_t i;
	int error = 0;

	for (i = 0; i < ntips && error == 0; i++)
		error = git_revwalk_push(walk, &tips[i]);
	if (error == 0)
		error = git_repository_odb(&odb, main);
	for (i = 0; i < nbases && error == 0; i++)
		if (git_odb_exists(odb, &bases[i]))
			error = git_revwalk_hide(walk, &bases[i]);
	git_odb_free(odb);
	return error;
}

/* Moves pack-<name>.<ext> from the quarantine's objects/pack to main's. */
static int move_pack_file(const civic_quarantine *q, git_repository *main, const char *name, const char *ext)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (snprintf(from, sizeof from, "%s/objects/pack/pack-%s.%s", q->path, name, ext) >= (int)sizeof from ||
	    snprintf(to, sizeof to, "%sobjects/pack/pack-%s.%s", git_repository_path(main), name, ext) >=
		    (int)sizeof to) {
		civic_error_set(CIVIC_ERROR_GIT, "repository path too long");
		return CIVIC_ERROR;
	}
	if (rename(from, to) < 0) {
		civic_error_set_os("cannot move '%s' into the archive", from);
		return CIVIC_ERROR;
	}
	return 0;
}

int civic_quarantine_migrate(civic_quarantine *q, git_repository *main, const git_oid *tips,
			     size_t ntips, const git_oid *bases, size_t nbases)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	git_odb *odb = NULL;
	char qdir[PATH_MAX], mdir[PATH_MAX];
	int error;

	if (ntips == 0)
		return 0;
	if (snprintf(qdir, sizeof qdir, "%s/objects/pack", q->path) >= (int)sizeof qdir ||
	    snprintf(mdir, sizeof mdir, "%sobjects/pack", git_repository_path(main)) >= (int)sizeof mdir) {
		civic_error_set(CIVIC_ERROR_GIT, "repository path too long");
		return CIVIC_ERROR;
	}
	if ((error = git_packbuilder_new(&pb, q->repo)) < 0 ||
	    (error = git_revwalk_new(&walk, q->repo)) < 0 ||
	    (error = walk_new_objects(walk, main, tips, ntips, bases, nbases)) < 0 ||
	    (error = git_packbuilder_insert_walk(pb, walk)) < 0) {
		error = civic_error_from_git(error, "cannot pack the verified objects");
		goto done;
	}
	if (git_packbuilder_object_count(pb) == 0)
		goto done;
	/* Written inside the quarantine first (libgit2's indexer leaves its
	 * temporaries where it writes, and fsyncs the pack and index), then
	 * moved in: the pack first, its index last, since the index is what
	 * makes a pack visible. A kill between the two leaves a pack without
	 * an index, which opening the node for writing removes. */
	if ((error = git_packbuilder_write(pb, qdir, 0, NULL, NULL)) < 0) {
		error = civic_error_from_git(error, "cannot write the verified objects");
		goto done;
	}
	if ((error = move_pack_file(q, main, git_packbuilder_name(pb), "pack")) < 0 ||
	    (error = move_pack_file(q, main, git_packbuilder_name(pb), "idx")) < 0 ||
	    (error = civic_fs_sync_dir(mdir)) < 0)
		goto done;
	if ((error = git_repository_odb(&odb, main)) == 0 && (error = git_odb_refresh(odb)) < 0)
		error = civic_error_from_git(error, "cannot read the archive's new objects");
done:
	git_odb_free(odb);
	git_revwalk_free(walk);
	git_packbuilder_free(pb);
	return error;
}

/* Whether every object named in the pack index at path is allowed, or is
 * one main holds already: a thin pack (what a fetch of new commits gets)
 * comes completed with the bases its deltas name, copied in from main
 * through the alternates, but not mostly of those. Each id at most once:
 * stock git index-pack takes a pack that repeats an object (libgit2's
 * indexer does not), and a peer could fill the archive with the repeats of
 * one verified record. The version 2 index: magic, version, 256 fan-out
 * counts, then the sorted ids. */
static int index_within(int *within, const char *path, const civic_oidset *allowed, git_odb *held)
{
	unsigned char head[8 + 256 * 4], id[GIT_OID_RAWSZ], last[GIT_OID_RAWSZ];
	uint32_t n, i, held_only;
	FILE *f = fopen(path, "rbe");
	int error = 0;

	*within = 0;
	if (!f) {
		civic_error_set_os("cannot read '%s'", path);
		return CIVIC_ERROR;
	}
	if (fread(head, 1, sizeof head, f) != sizeof head || memcmp(head, "\377tOc\0\0\0\2", 8))
		goto done; /* not an index this code knows: do not adopt */
	n = (uint32_t)head[sizeof head - 4] << 24 | (uint32_t)head[sizeof head - 3] << 16 |
	    (uint32_t)head[sizeof head - 2] << 8 | head[sizeof head - 1];
	for (i = 0, held_only = 0; i < n; i++) {
		git_oid oid;
		if (fread(id, 1, sizeof id, f) != sizeof id || (i > 0 && memcmp(last, id, sizeof id) >= 0))
			goto done; /* short, or not strictly sorted: an id repeated */
		memcpy(last, id, sizeof id);
		git_oid_fromraw(&oid, id);
		if (civic_oidset_has(allowed, &oid))
			continue;
		if (!git_odb_exists(held, &oid))
			goto done;
		held_only++;
	}
	/* A thin pack's bases are a few of its objects (559 of a part's
	 * 43,567); more held objects than new ones is a peer sending back
	 * what the node has, which would only take disk. */
	*within = held_only <= n - held_only;
done:
	fclose(f);
	return error;
}

/* Loose objects in the quarantine (objects/xx/): a fetch writes packs only. */
static int has_loose(const char *objects)
{
	struct dirent *e;
	DIR *d = opendir(objects);
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		found = strlen(e->d_name) == 2 && strspn(e->d_name, "0123456789abcdef") == 2;
	closedir(d);
	return found;
}

int civic_quarantine_adopt(civic_quarantine *q, git_repository *main, const civic_oidset *allowed)
{
	char dir[PATH_MAX], objects[PATH_MAX], path[PATH_MAX + 300], mdir[PATH_MAX];
	struct dirent *e;
	git_odb *held = NULL;
	DIR *d;
	int within = 1, error = 0, pass;

	if (snprintf(objects, sizeof objects, "%s/objects", q->path) >= (int)sizeof objects ||
	    snprintf(dir, sizeof dir, "%s/objects/pack", q->path) >= (int)sizeof dir ||
	    snprintf(mdir, sizeof mdir, "%sobjects/pack", git_repository_path(main)) >= (int)sizeof mdir) {
		civic_error_set(CIVIC_ERROR_GIT, "repository path too long");
		return CIVIC_ERROR;
	}
	if (has_loose(objects))
		return 0;
	/* main's own objects: the quarantine's packs are not among them. */
	if ((error = git_repository_odb(&held, main)) < 0)
		return civic_error_from_git(error, "cannot read the archive's objects");
	/* Pass 0 checks every index; pass 1 moves every pack, then its index. */
	for (pass = 0; pass < 2 && within && error == 0; pass++) {
		if (!(d = opendir(dir))) {
			git_odb_free(held);
			return 0;
		}
		while (within && error == 0 && (e = readdir(d))) {
			size_t n = strlen(e->d_name);
			if (n < 10 || strncmp(e->d_name, "pack-", 5) || strcmp(e->d_name + n - 4, ".idx"))
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			if (pass == 0) {
				error = index_within(&within, path, allowed, held);
			} else {
				char name[300];
				snprintf(name, sizeof name, "%.*s", (int)(n - 9), e->d_name + 5);
				if ((error = move_pack_file(q, main, name, "pack")) == 0)
					error = move_pack_file(q, main, name, "idx");
			}
		}
		closedir(d);
	}
	git_odb_free(held);
	git_error_clear(); /* git_odb_exists of what main lacks */
	if (error < 0 || !within)
		return error;
	if ((error = civic_fs_sync_dir(mdir)) < 0)
		return error;
	{
		git_odb *odb = NULL;
		if ((error = git_repository_odb(&odb, main)) == 0 && (error = git_odb_refresh(odb)) < 0)
			error = civic_error_from_git(error, "cannot read the archive's new objects");
		git_odb_free(odb);
	}
	return error < 0 ? error : 1;
}

/* A pack without its index is invisible to git and to civic: what a
 * migration killed between its two renames leaves. So are libgit2's
 * temporaries of a write that was killed (pack_git2_*, from versions of
 * civic that wrote packs in place). Only the lock holder calls this. */
void civic_quarantine_clean_packs(git_repository *main)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	if (snprintf(dir, sizeof dir, "%sobjects/pack", git_repository_path(main)) >= (int)sizeof dir ||
	    !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		int orphan = n > 5 && !strcmp(e->d_name + n - 5, ".pack");
		if (orphan) {
			snprintf(path, sizeof path, "%s/%.*s.idx", dir, (int)(n - 5), e->d_name);
			orphan = !civic_fs_exists(path);
		}
		/* libgit2's temporaries, and stock git's (repack.h) */
		if (orphan || !strncmp(e->d_name, "pack_git2_", 10) || !strncmp(e->d_name, "tmp_", 4) ||
		    !strncmp(e->d_name, ".tmp-", 5)) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

void civic_quarantine_free(civic_quarantine *q)
{
	if (!q)
		return;
	git_repository_free(q->repo);
	if (q->path[0])
		civic_fs_remove_tree(q->path);
	free(q);
}
