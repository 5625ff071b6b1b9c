/*
 * schema_store.h - the record schemas this build knows, by kind.
 *
 * The JSON Schemas in schema/<kind>.schema.json are compiled into the binary
 * (src/embed-schemas.sh), so a node always validates with the schemas it was
 * built with, whatever the working directory.
 */
#ifndef CIVIC_SCHEMA_STORE_H
#define CIVIC_SCHEMA_STORE_H

#include <stddef.h>

typedef struct {
	const char *kind;
	const char *text;
	size_t len;
} civic_embedded_schema;

/* Terminated by an entry whose kind is NULL; generated at build time. */
extern const civic_embedded_schema civic_embedded_schemas[];

#endif
