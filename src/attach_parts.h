/*
 * attach_parts.h - the parts of an attachment batch: what lets a transfer
 * that breaks off keep what arrived, and the next ask only for the rest.
 *
 * A git server sends whole refs or nothing, and leaves out only what the
 * client says it has ("have" a commit: its tree, and what it reaches).
 * So the chunks of a batch (attach_git.h), in the batch tree's order
 * (attachments by SHA-256, then chunks), are cut into at most 16 segments
 * of at least 32 chunks; each segment is a chain of part commits, one per
 * chunk, part s holding the segment's chunks 1..s at their batch paths and
 * with part s-1 as its parent. The batch commit's parents are the segments'
 * last parts. Everything is deterministic (fixed author, date, messages),
 * so every node builds the same parts from the same bytes, and the parts
 * add no bytes but a few small trees and commits.
 *
 * A node whose fetch broke off (salvage.h) holds, of each segment, some
 * first parts whole; it says "have" the last of them, at most 16 lines,
 * and the server leaves out every chunk those parts' trees name. On a link
 * cut every few hundred KB, each try then brings a few more chunks.
 */
#ifndef CIVIC_ATTACH_PARTS_H
#define CIVIC_ATTACH_PARTS_H

#include <git2.h>
#include <stddef.h>

#define CIVIC_ATTACH_MAX_SEGMENTS 16

/* Writes the parts of the batch tree `tree` into repo; tips[0..*ntips)
 * receive the segments' last parts (the batch commit's parents). */
int civic_attach_parts_write(git_oid tips[CIVIC_ATTACH_MAX_SEGMENTS], size_t *ntips, git_repository *repo,
			     const git_tree *tree, const git_signature *sig, const git_oid *record);

/* Of the batch `commit`, which repo holds in part, and which has `chunks`
 * chunks in all (civic_attach_batch_chunks of its record): the last part
 * held whole of each segment that has one (tips[0..*ntips), the "have"s
 * of the next fetch), and *held, the chunks those parts hold. A part is
 * whole when the commits down to its segment's first are there and its
 * tree, rebuilt from the chunks the batch tree names, is the one its
 * commit names. The trees rebuilt are written into repo. A batch that is
 * not shaped as above holds nothing. */
int civic_attach_parts_held(git_oid tips[CIVIC_ATTACH_MAX_SEGMENTS], size_t *ntips, size_t *held,
			    git_repository *repo, const git_oid *commit, size_t chunks);

#endif
