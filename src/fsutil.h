/*
 * fsutil.h - durable file writes: what "nothing acknowledged is ever lost"
 * rests on outside git (config, attachments). Write to a temporary file in
 * the same directory, fsync it, rename it into place, fsync the directory.
 */
#ifndef CIVIC_FSUTIL_H
#define CIVIC_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Writes data to path atomically with the given mode. Replaces an existing
 * file unless `exclusive` is set (then CIVIC_EEXISTS). */
int civic_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int exclusive);

/* Creates a directory (mode) if it does not exist; a non-directory there is an error. */
int civic_fs_mkdir(const char *path, mode_t mode);

/* Creates a directory and any missing parents (each with mode), like mkdir -p. */
int civic_fs_mkdir_all(const char *path, mode_t mode);

/* fsyncs a directory so that a rename inside it is durable. */
int civic_fs_sync_dir(const char *path);

/* Opens a fresh temporary file "<dir>/.tmp-XXXXXX" for writing (0600);
 * the path is written into tmp_path (size PATH_MAX). */
int civic_fs_tmpfile(int *out_fd, char *tmp_path, size_t tmp_path_size, const char *dir);

/* write() until done, retrying on EINTR; sets the error text from `what`. */
int civic_fs_write_all(int fd, const void *data, size_t len, const char *what);

/* Removes a directory and everything in it, not following symlinks; what
 * cannot be removed stays. For staging areas only, never for the archive. */
void civic_fs_remove_tree(const char *path);

/* Removes every "<name>.lock" file under dir, at any depth: what libgit2
 * leaves when a writer is killed between a ref's lock and its rename, and
 * which fails every later move of that ref. For the holder of the lock
 * that guards dir's writers only. */
void civic_fs_remove_ref_locks(const char *dir);

/* Removes each entry of dir whose name starts with prefix, and all in it
 * (civic_fs_remove_tree): the staging areas a run killed midway left. */
void civic_fs_remove_prefixed(const char *dir, const char *prefix);

/* Whether path exists (any type). */
int civic_fs_exists(const char *path);

#endif
