/*
 * oidset.h - a set of git object ids, for the hundreds of thousands a first
 * sync verifies (open addressing; an id is its own hash).
 */
#ifndef CIVIC_OIDSET_H
#define CIVIC_OIDSET_H

#include <git2.h>
#include <stddef.h>

typedef struct civic_oidset civic_oidset;

int civic_oidset_new(civic_oidset **out);
int civic_oidset_add(civic_oidset *set, const git_oid *id);
/* Adds every id of `from` to `set`. */
int civic_oidset_add_all(civic_oidset *set, const civic_oidset *from);
int civic_oidset_has(const civic_oidset *set, const git_oid *id);
size_t civic_oidset_count(const civic_oidset *set);
void civic_oidset_free(civic_oidset *set);

#endif
