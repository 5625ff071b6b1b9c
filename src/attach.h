/*
 * attach.h - attachment bytes (photos, scans, PDFs), kept outside git.
 *
 * A signed record names each attachment by SHA-256 and size; the bytes live
 * in <home>/attachments/sha256/<64 hex>, so records sync without them, and a
 * retraction can purge them while the record's signature still verifies.
 * Files are streamed through a fixed buffer: a 50 MB photo adds in bounded
 * memory.
 */
#ifndef CIVIC_ATTACH_H
#define CIVIC_ATTACH_H

#include <stdint.h>

#include "buf.h"

#define CIVIC_ATTACH_MAX_SIZE 4294967295ULL /* the schema's maximum: FAT32's file limit */
#define CIVIC_SHA256_HEX_LEN 64

typedef struct {
	char sha256[CIVIC_SHA256_HEX_LEN + 1];
	uint64_t size;
	char name[256];          /* the file's base name, as the user had it */
	const char *media_type;  /* static string, from the name's extension */
} civic_attachment;

typedef enum {
	CIVIC_ATTACH_PRESENT,
	CIVIC_ATTACH_MISSING,  /* not (yet) here: records sync ahead of bytes */
	CIVIC_ATTACH_CORRUPT,  /* here, but its size or hash is wrong */
} civic_attach_state;

/* Copies the file at src_path into the store (temporary file, fsync, rename)
 * and describes it in *out. Only regular files; CIVIC_EINVALID for others. */
int civic_attach_store(civic_attachment *out, const char *store_dir, const char *src_path);

/* Describes the file at src_path (hash, size, name, type) without storing it. */
int civic_attach_describe(civic_attachment *out, const char *src_path);

/* Where the bytes of sha256_hex are (or would be). */
int civic_attach_path(civic_buf *out, const char *store_dir, const char *sha256_hex);

/* Whether the bytes are present; with `rehash`, the file is hashed again to
 * tell CORRUPT from PRESENT, otherwise only its size is checked. */
int civic_attach_check(civic_attach_state *out, const char *store_dir,
		       const char *sha256_hex, uint64_t size, int rehash);

const char *civic_attach_state_name(civic_attach_state state);

/* Stores bytes that arrive in pieces (from a peer), in bounded memory:
 * they go to a temporary file in the store, hashed on the way, and are
 * stored under their hash only when hash and size match what a signed
 * record says. */
typedef struct civic_attach_writer civic_attach_writer;

int civic_attach_writer_new(civic_attach_writer **out, const char *store_dir);
/* CIVIC_EINVALID past 4 GiB. */
int civic_attach_writer_write(civic_attach_writer *w, const void *data, size_t len);
/* CIVIC_EBADSIG when the bytes are not those of sha256_hex and size: then
 * nothing is stored. */
int civic_attach_writer_commit(civic_attach_writer *w, const char *sha256_hex, uint64_t size);
/* Removes the temporary file unless the bytes were stored. */
void civic_attach_writer_free(civic_attach_writer *w);

#endif
