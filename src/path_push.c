/* path_push.c - a push to a relay on a path; see path_push.h. */
#include "path_push.h"
#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "pack_objects.h"
#include "signed_commit.h"
#include "steps.h"

#include <git2/sys/repository.h>

#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* At most this many of the stick's refs under refs/civic/ are read for
 * what to leave out of the pack: as many as a sync takes from any peer. */
#define STICK_REFS_MAX 100000

/* A push's staging directory in the node's tmp/. */
#define STAGING_PREFIX "push-"

static const char *url_path(const char *url)
{
	return !strncmp(url, "file://", 7) ? url + 7 : url;
}

/* CIVIC_EINVALID when a part of rel (a path inside the stick's
 * repository, '/' between its parts) is a symlink: libgit2 writes a ref,
 * its reflog and their directories through symlinks, so a stick could make
 * civic write anywhere (the node's own packed-refs, a shell's rc file).
 * What does not exist yet is no symlink. */
static int no_symlink_in(const char *url, const char *git_dir, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	size_t base = strlen(git_dir), i;

	if (snprintf(path, sizeof path, "%s%s", git_dir, rel) >= (int)sizeof path) {
		civic_error_set(CIVIC_ERROR_SYNC, "path too long in '%s'", git_dir);
		return CIVIC_EINVALID;
	}
	for (i = base; ; i++) {
		if (path[i] == '/' || path[i] == '\0') {
			char c = path[i];
			path[i] = '\0';
			if (lstat(path, &st) < 0)
				return 0;
			if (S_ISLNK(st.st_mode)) {
				civic_error_set(CIVIC_ERROR_SYNC, "the relay '%s' holds a symlink at '%s', which civic "
						"does not write through", url, path + base);
				return CIVIC_EINVALID;
			}
			path[i] = c;
		}
		if (path[i] == '\0')
			return 0;
	}
}

/* The stick's repository, bare (as libgit2's local push wants it), with no
 * config of its own: libgit2 would take from it whether to write reflogs
 * and under what name (core.logAllRefUpdates, user.name). */
static int open_relay(git_repository **out, const char *url)
{
	static const char *const fixed[] = { "objects/pack", "refs/civic", "logs/refs/civic", "packed-refs" };
	git_config *none = NULL;
	size_t i;
	int error = git_repository_open_ext(out, url_path(url), GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);

	if (error < 0)
		return civic_error_from_git(error, "cannot open the relay '%s'", url);
	/* A commondir file would send the refs and objects elsewhere. */
	if (!git_repository_is_bare(*out) || strcmp(git_repository_commondir(*out), git_repository_path(*out))) {
		civic_error_set(CIVIC_ERROR_SYNC, "the relay '%s' is not a bare repository", url);
		error = CIVIC_EINVALID;
	}
	for (i = 0; i < sizeof fixed / sizeof fixed[0] && error == 0; i++)
		error = no_symlink_in(url, git_repository_path(*out), fixed[i]);
	if (error == 0 && ((error = git_config_new(&none)) < 0 || (error = git_repository_set_config(*out, none)) < 0 ||
			   (error = git_repository_set_ident(*out, "civic", "civic@localhost")) < 0))
		error = civic_error_from_git(error, "cannot open the relay '%s'", url);
	git_config_free(none);
	if (error < 0) {
		git_repository_free(*out);
		*out = NULL;
	}
	return error;
}

/* -------------------------------------------------------------------------
 * The pack, by stock git
 */

/* "^id" for every value a ref of the relay holds that both the relay and
 * the archive hold: what the pack leaves out. A ref naming what the relay
 * lacks leaves nothing out. */
static int exclude_relay_refs(civic_buf *in, git_odb *odb, git_repository *relay)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_odb *relay_odb = NULL;
	size_t seen = 0;
	int error;

	if ((error = git_repository_odb(&relay_odb, relay)) < 0 ||
	    (error = git_reference_iterator_glob_new(&it, relay, "refs/civic/*")) < 0) {
		git_odb_free(relay_odb);
		return civic_error_from_git(error, "cannot list the refs of the relay");
	}
	while ((error = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_target(ref);
		int own = 0;
		if (++seen > STICK_REFS_MAX) {
			civic_error_set(CIVIC_ERROR_SYNC, "the relay holds more than %d refs", STICK_REFS_MAX);
			own = CIVIC_EINVALID;
		} else if (id && git_odb_exists(odb, id) && git_odb_exists(relay_odb, id) &&
			   civic_buf_printf(in, "^%s\n", git_oid_tostr(hex, sizeof hex, id)) < 0) {
			own = civic_error_nomem();
		}
		git_reference_free(ref);
		if (own < 0) {
			git_reference_iterator_free(it);
			git_odb_free(relay_odb);
			return own;
		}
	}
	git_reference_iterator_free(it);
	git_odb_free(relay_odb);
	return error == GIT_ITEROVER ? 0 : civic_error_from_git(error, "cannot list the refs of the relay");
}

/* git pack-objects --revs input: each ref's new value, then what the
 * relay holds. */
static int pack_input(civic_buf *in, git_repository *main, git_repository *relay, const civic_git_push_ref *refs,
		      size_t n)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_odb *odb = NULL;
	size_t i;
	int error = 0;

	for (i = 0; i < n && error == 0; i++)
		error = civic_buf_printf(in, "%s\n", git_oid_tostr(hex, sizeof hex, &refs[i].id));
	if (error < 0)
		return civic_error_nomem();
	if ((error = git_repository_odb(&odb, main)) < 0)
		return civic_error_from_git(error, "cannot open the archive's objects");
	error = exclude_relay_refs(in, odb, relay);
	git_odb_free(odb);
	return error;
}

/* git --git-dir=ARCHIVE pack-objects --revs BASE < input: BASE-<hash>.pack
 * and .idx, fsynced; *hash as it printed it. */
static int run_pack_objects(char hash[GIT_OID_HEXSZ + 1], const char *git_dir, const char *base,
			    const civic_buf *input)
{
	civic_buf dir_arg = CIVIC_BUF_INIT;
	char *argv[14];
	char *env[] = { (char *)"GIT_CONFIG_NOSYSTEM=1", (char *)"GIT_CONFIG_GLOBAL=/dev/null", NULL };
	int error;

	if (civic_buf_printf(&dir_arg, "--git-dir=%s", git_dir) < 0)
		return civic_error_nomem();
	argv[0] = (char *)"git";
	argv[1] = dir_arg.ptr;
	argv[2] = (char *)"-c";
	argv[3] = (char *)"core.fsync=objects,derived-metadata";
	argv[4] = (char *)"-c";
	argv[5] = (char *)"core.fsyncMethod=fsync";
	/* One pack, whatever a config asks (pack.packSizeLimit): the one
	 * line it prints names all that is copied. */
	argv[6] = (char *)"-c";
	argv[7] = (char *)"pack.packSizeLimit=0";
	argv[8] = (char *)"pack-objects";
	argv[9] = (char *)"-q";
	argv[10] = (char *)"--revs";
	argv[11] = (char *)"--delta-base-offset";
	argv[12] = (char *)base;
	argv[13] = NULL;
	error = civic_pack_objects(hash, argv, env, input);
	civic_buf_dispose(&dir_arg);
	return error;
}

/* -------------------------------------------------------------------------
 * Onto the stick
 */

/* Copies from into dir/name: a temporary file there, fsynced, renamed. */
static int copy_into(civic_remote *r, const char *from, const char *dir, const char *name, uint64_t *bytes)
{
	char tmp[PATH_MAX], to[PATH_MAX], buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, error = 0;
	ssize_t got;

	if (in < 0) {
		civic_error_set_os("cannot read '%s'", from);
		return CIVIC_ERROR;
	}
	if (snprintf(to, sizeof to, "%s/%s", dir, name) >= (int)sizeof to) {
		close(in);
		civic_error_set(CIVIC_ERROR_SYNC, "path too long in '%s'", dir);
		return CIVIC_EINVALID;
	}
	/* tmp_pack_*: what git's own gc takes away, should this stay behind. */
	if (snprintf(tmp, sizeof tmp, "%s/tmp_pack_civic_XXXXXX", dir) >= (int)sizeof tmp ||
	    (out = mkostemp(tmp, O_CLOEXEC)) < 0) {
		close(in);
		civic_error_set_os("cannot write in '%s'", dir);
		return CIVIC_ERROR;
	}
	while (error == 0 && (got = read(in, buf, sizeof buf)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			civic_error_set_os("cannot read '%s'", from);
			error = CIVIC_ERROR;
		} else if ((error = civic_fs_write_all(out, buf, (size_t)got, to)) == 0) {
			*bytes += (uint64_t)got;
			error = civic_remote_progress(r, CIVIC_SYNC_PHASE_PUSH, 0, 0, *bytes);
		}
	}
	/* As git leaves its packs: read-only, for every user of a shared stick. */
	if (error == 0 && (fchmod(out, 0444) < 0 || fsync(out) < 0)) {
		civic_error_set_os("cannot write '%s'", to);
		error = CIVIC_ERROR;
	}
	close(in);
	if (close(out) < 0 && error == 0) {
		civic_error_set_os("cannot write '%s'", to);
		error = CIVIC_ERROR;
	}
	if (error == 0 && rename(tmp, to) < 0) {
		civic_error_set_os("cannot write '%s'", to);
		error = CIVIC_ERROR;
	}
	if (error < 0)
		unlink(tmp);
	return error;
}

/* Whether the staged pack holds no object (only refs move): its header's
 * count, after "PACK" and the version. */
static int pack_is_empty(const char *staged, const char *hash)
{
	char path[PATH_MAX];
	unsigned char header[12];
	int fd, empty = 0;

	if (snprintf(path, sizeof path, "%s-%s.pack", staged, hash) >= (int)sizeof path ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (read(fd, header, sizeof header) == (ssize_t)sizeof header)
		empty = !memcmp(header, "PACK", 4) && !header[8] && !header[9] && !header[10] && !header[11];
	close(fd);
	return empty;
}

/* The pack, then its index (a pack counts once its index is there), then
 * the directory, all durable before any ref names what they hold. */
static int copy_pack(civic_remote *r, git_repository *relay, const char *staged, const char *hash)
{
	char from[PATH_MAX], dir[PATH_MAX], name[64];
	static const char *const exts[] = { ".pack", ".idx" };
	uint64_t bytes = 0;
	size_t i;
	int error = 0;

	if (snprintf(dir, sizeof dir, "%sobjects/pack", git_repository_path(relay)) >= (int)sizeof dir) {
		civic_error_set(CIVIC_ERROR_SYNC, "path too long in '%s'", git_repository_path(relay));
		return CIVIC_EINVALID;
	}
	if ((error = civic_fs_mkdir_all(dir, 0755)) < 0)
		return error;
	for (i = 0; i < 2 && error == 0; i++) {
		snprintf(name, sizeof name, "pack-%s%s", hash, exts[i]);
		if (snprintf(from, sizeof from, "%s-%s%s", staged, hash, exts[i]) >= (int)sizeof from) {
			civic_error_set(CIVIC_ERROR_SYNC, "path too long in '%s'", staged);
			return CIVIC_EINVALID;
		}
		error = copy_into(r, from, dir, name, &bytes);
	}
	return error == 0 ? civic_fs_sync_dir(dir) : error;
}

/* -------------------------------------------------------------------------
 * The refs
 */

/* Each ref by compare-and-swap; steps as hints (signed_commit.h): the relay
 * holds their commits, under the feed's head, and a lost one is no loss. */
static int move_refs(civic_remote *r, git_repository *relay, const civic_git_push_ref *refs, size_t n)
{
	size_t i;
	int error = 0;

	for (i = 0; i < n && error == 0; i++) {
		const char *dst = refs[i].dst;
		char log[PATH_MAX];
		int moved;
		snprintf(log, sizeof log, "logs/%s", dst);
		if ((error = no_symlink_in(r->peer->url, git_repository_path(relay), dst)) < 0 ||
		    (error = no_symlink_in(r->peer->url, git_repository_path(relay), log)) < 0)
			break;
		moved = !strncmp(dst, CIVIC_STEP_REF_PREFIX, strlen(CIVIC_STEP_REF_PREFIX))
			? civic_ref_move_hint(relay, dst, &refs[i].id, refs[i].expect, "civic sync")
			: civic_ref_move(relay, dst, &refs[i].id, refs[i].expect, "civic sync");
		if (moved == CIVIC_ECONFLICT)
			error = r->push_status ? r->push_status(dst, dgettext("civic", "it changed on the relay since "
										 "the sync last saw it"),
								r->push_data)
					       : 0;
		else if (moved < 0)
			error = moved;
		else
			error = r->push_status ? r->push_status(dst, NULL, r->push_data) : 0;
	}
	return error;
}

/* -------------------------------------------------------------------------
 * One push
 */

void civic_path_push_clean(const char *tmp_dir)
{
	civic_fs_remove_prefixed(tmp_dir, STAGING_PREFIX);
}

int civic_path_push(civic_remote *r, git_repository *main, const char *tmp_dir, const civic_git_push_ref *refs,
		    size_t n)
{
	git_repository *relay = NULL;
	civic_buf input = CIVIC_BUF_INIT;
	char staging[PATH_MAX], base[PATH_MAX], hash[GIT_OID_HEXSZ + 1];
	int error;

	r->cancelled = 0;
	r->cut[0] = '\0';
	if (snprintf(staging, sizeof staging, "%s/" STAGING_PREFIX "XXXXXX", tmp_dir) >= (int)sizeof staging) {
		civic_error_set(CIVIC_ERROR_SYNC, "path too long in '%s'", tmp_dir);
		return CIVIC_EINVALID;
	}
	if ((error = civic_remote_progress(r, CIVIC_SYNC_PHASE_CONNECT, 0, 0, 0)) < 0 ||
	    (error = open_relay(&relay, r->peer->url)) < 0)
		return error;
	if ((error = civic_fs_mkdir_all(tmp_dir, 0700)) < 0) {
		git_repository_free(relay);
		return error;
	}
	if (!mkdtemp(staging)) {
		git_repository_free(relay);
		civic_error_set_os("cannot create a directory in '%s'", tmp_dir);
		return CIVIC_ERROR;
	}
	if (snprintf(base, sizeof base, "%s/part", staging) >= (int)sizeof base) {
		civic_error_set(CIVIC_ERROR_SYNC, "path too long in '%s'", tmp_dir);
		error = CIVIC_EINVALID;
	} else if ((error = pack_input(&input, main, relay, refs, n)) == 0 &&
		   (error = run_pack_objects(hash, git_repository_path(main), base, &input)) == 0 &&
		   (pack_is_empty(base, hash) || (error = copy_pack(r, relay, base, hash)) == 0)) {
		error = move_refs(r, relay, refs, n);
	}
	civic_fs_remove_tree(staging);
	civic_buf_dispose(&input);
	git_repository_free(relay);
	if (error < 0 && r->cancelled)
		return civic_remote_error(r, error, "pushing to");
	return error;
}
