/*
 * attach_git.h - attachments as git objects: the form in which their bytes
 * travel through git remotes and relays.
 *
 * The bytes of one attachment become a tree of chunk blobs of 128 KiB
 * ("00000000", "00000001", ...; the last one shorter), so that they are
 * written and read in bounded memory. All attachments of one record form
 * one batch: an unsigned commit whose tree maps each attachment's SHA-256
 * (hex) to its chunk tree, with fixed author, date and message, kept at
 *     refs/civic/attachments/<record id>
 * The batch's parents are its parts (attach_parts.h), which let a transfer
 * that breaks off keep the chunks that arrived whole.
 * The same bytes give the same batch on every node, and the signed record
 * names each attachment's SHA-256 and size, so a batch needs no signature:
 * whatever a peer serves is checked against the record before it is kept.
 * Batches live in relays and in quarantines, never in a node's archive
 * (whose attachments are files, attach.h), so nothing is stored twice.
 */
#ifndef CIVIC_ATTACH_GIT_H
#define CIVIC_ATTACH_GIT_H

#include <git2.h>
#include <jansson.h>

#include "buf.h"

#define CIVIC_ATTACH_REF_PREFIX "refs/civic/attachments/"
#define CIVIC_ATTACH_CHUNK_SIZE (128 * 1024)
#define CIVIC_ATTACH_BATCH_TREE_MAX (100 * 128) /* a record lists at most 100 attachments */
#define CIVIC_ATTACH_CHUNK_ENTRY_MAX 48         /* "100644 00000000\0" and 20 bytes of id */

int civic_attach_batch_refname(civic_buf *out, const git_oid *record);

/* Whether refname is refs/civic/attachments/<40 hex>; *record receives it. */
int civic_attach_batch_parse_ref(git_oid *record, const char *refname);

/* Writes into repo the batch of `record`, whose signed list of attachments
 * is `attachments`; every one must be in store_dir. */
int civic_attach_batch_write(git_oid *out, git_repository *repo, const git_oid *record,
			     const json_t *attachments, const char *store_dir);

/* How many chunks the batch of this signed list holds, all attachments
 * together (one listed twice counts once). */
size_t civic_attach_batch_chunks(const json_t *attachments);

/* From the batch `commit` in repo (a quarantine), stores each attachment of
 * `attachments` that store_dir lacks, checked against the record's hash and
 * size, in bounded memory. *stored counts those stored, *bad those refused
 * (why: the last reason); a refused one does not stop the others. */
int civic_attach_batch_read(size_t *stored, size_t *bad, char *why, size_t why_size, git_repository *repo,
			    const git_oid *commit, const json_t *attachments, const char *store_dir);

#endif
