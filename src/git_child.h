/*
 * git_child.h - stock git run as a child process, the one way civic runs it.
 *
 * civic runs `git upload-pack` on a stick (local_git.h), `git pack-objects`
 * to join packs (repack.h) and `git index-pack` for the parts of a long feed
 * (index_pack.h). Each runs on the repository its arguments name and on no
 * other: the variables of the caller's environment that point git elsewhere
 * (those `git rev-parse --local-env-vars` lists: GIT_DIR, GIT_COMMON_DIR,
 * GIT_OBJECT_DIRECTORY, GIT_CONFIG_PARAMETERS, ...) are left out, and so
 * are those that choose its ssh (GIT_SSH, GIT_SSH_COMMAND, GIT_SSH_VARIANT),
 * which only a caller that pushes sets, as it means (git_push.h), and those
 * by which git would reach a peer as libgit2 does not (GIT_PROXY_COMMAND,
 * GIT_SSL_NO_VERIFY). It speaks
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
	char *const *env;      /* "NAME=value" set for it, over the caller's; NULL-ended (NULL: none) */
	int own_group;         /* in a process group of its own (its id the child's), which the
				* caller ends with kill(-pid): a git that runs ssh or a remote
				* helper, which would outlive it holding its pipes */
} civic_git_stdio;

/* Starts `git` with argv (argv[0] is "git"). 0 with *pid set, or the errno
 * value of what failed (ENOENT: no git on PATH), with no error text: the
 * caller says what could not run, in its own convention. */
int civic_git_spawn(pid_t *pid, char *const argv[], const civic_git_stdio *io);

/* Whether an executable git is on PATH. */
int civic_git_on_path(void);

/* Reads fd to its end, or until size - 1 bytes, into buf (NUL-terminated);
 * how many bytes. For the one line a git command prints on success. */
size_t civic_git_read_output(int fd, char *buf, size_t size);

/* What a git command writes to its standard error, cut into lines:
 * progress lines end in '\r', the rest in '\n'. A line longer than the
 * buffer is cut. */
typedef struct {
	char line[256];
	size_t len;
} civic_git_lines;

/* Feeds n more bytes; calls take() with each line they complete. */
void civic_git_lines_feed(civic_git_lines *l, const char *buf, size_t n, void (*take)(const char *line, void *payload),
			  void *payload);

/* Whether line is git's progress line for `label` ("Writing objects:  45%
 * (19354/43008), ..."), with its counts in *done and *total. */
int civic_git_progress_line(const char *line, const char *label, unsigned int *done, unsigned int *total);

#endif
