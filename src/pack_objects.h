/*
 * pack_objects.h - stock `git pack-objects` run on what civic gives it.
 *
 * Two callers write packs with it: repack.h joins a node's small packs,
 * path_push.h makes the pack a stick takes. Each gives the command line
 * (the repository, the config that matters, the pack's base name) and the
 * input; this runs it (git_child.h) and reads the one pack it names.
 */
#ifndef CIVIC_PACK_OBJECTS_H
#define CIVIC_PACK_OBJECTS_H

#include <git2.h>

#include "buf.h"

/* Runs argv (argv[0] "git", a pack-objects command that writes to a base
 * name), env set for it (NULL: none), input on its standard input; *hash:
 * the one pack it names on standard output. When it fails, the error is
 * one line: git's own reason ("git pack-objects: bad revision ..."), else
 * its exit status. */
int civic_pack_objects(char hash[GIT_OID_HEXSZ + 1], char *const argv[], char *const *env, const civic_buf *input);

#endif
