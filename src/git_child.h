/*
 * git_child.h - stock git run as a child process, the one way civic runs it.
 *
 * civic runs `git upload-pack` on a stick (local_git.h), `git pack-objects`
 * to join packs (repack.h) and `git index-pack` for the parts of a long feed
 * (index_pack.h). Each runs on the repository its arguments name and on no
 * other: the variables of the caller's environment that point git elsewhere
 * (those `git rev-parse --local-env-vars` lists: GIT_DIR, GIT_COMMON_DIR,
 * GIT_OBJECT_DIRECTORY, GIT_CONFIG_PARAMETERS, ...) are left out. It speaks
 * in the C locale, which is what civic reads of it. And it starts with the
 * signals a new process expects: none blocked (civic's threads block them
 * all, thread.h), SIGPIPE at its default (civic ignores it).
 */
#ifndef CIVIC_GIT_CHILD_H
#define CIVIC_GIT_CHILD_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
	int in, out, err;      /* what becomes its fds 0, 1 and 2; -1: /dev/null */
	const char *alternate; /* one more object directory to read (NULL: none) */
} civic_git_stdio;

/* Starts `git` with argv (argv[0] is "git"). 0 with *pid set, or the errno
 * value of what failed (ENOENT: no git on PATH), with no error text: the
 * caller says what could not run, in its own convention. */
int civic_git_spawn(pid_t *pid, char *const argv[], const civic_git_stdio *io);

/* Reads fd to its end, or until size - 1 bytes, into buf (NUL-terminated);
 * how many bytes. For the one line a git command prints on success. */
size_t civic_git_read_output(int fd, char *buf, size_t size);

#endif
