/* fsutil.c - durable file writes; see fsutil.h. */
#include "fsutil.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int civic_fs_write_all(int fd, const void *data, size_t len, const char *what)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			civic_error_set_os("cannot write '%s'", what);
			return CIVIC_ERROR;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int civic_fs_sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int error = 0;

	if (fd < 0) {
		civic_error_set_os("cannot open directory '%s'", path);
		return CIVIC_ERROR;
	}
	if (fsync(fd) < 0 && errno != EINVAL) {
		civic_error_set_os("cannot sync directory '%s'", path);
		error = CIVIC_ERROR;
	}
	close(fd);
	return error;
}

int civic_fs_tmpfile(int *out_fd, char *tmp_path, size_t tmp_path_size, const char *dir)
{
	int n = snprintf(tmp_path, tmp_path_size, "%s/.tmp-XXXXXX", dir);

	if (n < 0 || (size_t)n >= tmp_path_size) {
		civic_error_set(CIVIC_ERROR_OS, "path too long: '%s'", dir);
		return CIVIC_EINVALID;
	}
	*out_fd = mkostemp(tmp_path, O_CLOEXEC);
	if (*out_fd < 0) {
		civic_error_set_os("cannot create a temporary file in '%s'", dir);
		return CIVIC_ERROR;
	}
	return 0;
}

static int dir_of(char *out, size_t size, const char *path)
{
	char copy[PATH_MAX];
	int n = snprintf(copy, sizeof copy, "%s", path);

	if (n < 0 || (size_t)n >= sizeof copy || (size_t)n >= size) {
		civic_error_set(CIVIC_ERROR_OS, "path too long: '%s'", path);
		return CIVIC_EINVALID;
	}
	snprintf(out, size, "%s", dirname(copy));
	return 0;
}

int civic_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int exclusive)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	int fd = -1, error;

	if ((error = dir_of(dir, sizeof dir, path)) < 0)
		return error;
	if (exclusive && civic_fs_exists(path)) {
		civic_error_set(CIVIC_ERROR_OS, "'%s' exists already", path);
		return CIVIC_EEXISTS;
	}
	if ((error = civic_fs_tmpfile(&fd, tmp, sizeof tmp, dir)) < 0)
		return error;
	if ((error = civic_fs_write_all(fd, data, len, tmp)) < 0)
		goto fail;
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		civic_error_set_os("cannot write '%s'", tmp);
		error = CIVIC_ERROR;
		goto fail;
	}
	close(fd);
	fd = -1;
	/* link() instead of rename() refuses to replace a file that appeared
	 * meanwhile, for the exclusive case. */
	if (exclusive ? link(tmp, path) < 0 : rename(tmp, path) < 0) {
		error = errno == EEXIST ? CIVIC_EEXISTS : CIVIC_ERROR;
		civic_error_set_os("cannot create '%s'", path);
		goto fail;
	}
	if (exclusive)
		unlink(tmp);
	return civic_fs_sync_dir(dir);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return error;
}

int civic_fs_mkdir(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	civic_error_set_os("cannot create directory '%s'", path);
	return CIVIC_ERROR;
}

int civic_fs_mkdir_all(const char *path, mode_t mode)
{
	char partial[PATH_MAX];
	size_t i, len = strlen(path);
	int error;

	if (len == 0 || len >= sizeof partial) {
		civic_error_set(CIVIC_ERROR_OS, "bad directory path '%s'", path);
		return CIVIC_EINVALID;
	}
	memcpy(partial, path, len + 1);
	for (i = 1; i < len; i++) {
		if (partial[i] != '/')
			continue;
		partial[i] = '\0';
		error = civic_fs_mkdir(partial, mode);
		partial[i] = '/';
		if (error < 0)
			return error;
	}
	return civic_fs_mkdir(partial, mode);
}

int civic_fs_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void civic_fs_remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#define REF_DIR_DEPTH_MAX 8 /* refs/civic/ nests 2 deep (steps/<key>/<seq>) */

static int is_lock_name(const char *name)
{
	size_t len = strlen(name);
	return len > 5 && !strcmp(name + len - 5, ".lock");
}

/* Takes ownership of fd. Reads each directory once and stats nothing but
 * entries whose type readdir leaves unknown: nftw stat()ed every ref, and
 * a node of 100k records holds 781 step refs, swept at every command that
 * writes. */
static void remove_locks_in(int fd, int depth)
{
	DIR *dir = fdopendir(fd);
	struct dirent *e;

	if (!dir) {
		close(fd);
		return;
	}
	while ((e = readdir(dir))) {
		unsigned char type = e->d_type;
		struct stat st;
		int sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (type == DT_UNKNOWN && fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		if (type == DT_REG && is_lock_name(e->d_name))
			unlinkat(dirfd(dir), e->d_name, 0);
		else if (type == DT_DIR && depth < REF_DIR_DEPTH_MAX &&
			 (sub = openat(dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
			remove_locks_in(sub, depth + 1);
	}
	closedir(dir);
}

void civic_fs_remove_ref_locks(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		remove_locks_in(fd, 0);
}

void civic_fs_remove_prefixed(const char *dir, const char *prefix)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)) &&
		    snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
			civic_fs_remove_tree(path);
	closedir(d);
}
