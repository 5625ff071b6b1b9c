/*
 * schema_store.h - the record schemas this build knows, by kind.
 *
 * The JSON Schemas in schema/<kind>.schema.json are compiled into the binary
 * (src/embed-schemas.sh), so a node always validates with the schemas it was
 * built with, whatever the working directory. A civic_schemas holds them all
 * compiled, once per process or per audit.
 */
#ifndef CIVIC_SCHEMA_STORE_H
#define CIVIC_SCHEMA_STORE_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
	const char *kind;
	const char *text;
	size_t len;
} civic_embedded_schema;

/* Terminated by an entry whose kind is NULL; generated at build time. */
extern const civic_embedded_schema civic_embedded_schemas[];

typedef struct civic_schemas civic_schemas;

int civic_schemas_new(civic_schemas **out);
void civic_schemas_free(civic_schemas *schemas);

/* Whether kind is a record kind this build knows. */
int civic_schemas_has_kind(const civic_schemas *schemas, const char *kind);

/* Validates a record: an object whose "kind" names a known schema, valid
 * against it. CIVIC_EINVALID with the reason (and the kind) otherwise. */
int civic_schemas_validate(const civic_schemas *schemas, const json_t *record);

#endif
