/*
 * json_cache.h - a cache file in the node's tmp/: one JSON document tagged
 * with its format ("format": "civic-...-N"), such as the attachment index
 * (attach_index.h) and the verified heads (verified_heads.h).
 *
 * A cache is trusted no more than the archive it was made from: one that is
 * missing, damaged, too large or of another format reads as none, and its
 * owner builds it again.
 */
#ifndef CIVIC_JSON_CACHE_H
#define CIVIC_JSON_CACHE_H

#include <jansson.h>
#include <stddef.h>

/* The document at path (a reference the caller owns) when it is a JSON
 * object of at most max bytes whose "format" is `format`; else NULL, with
 * no error text. */
json_t *civic_json_cache_load(const char *path, const char *format, size_t max);

/* Writes doc to path atomically (mode 0600), making tmp_dir (0700) first. */
int civic_json_cache_save(const char *tmp_dir, const char *path, const json_t *doc);

#endif
