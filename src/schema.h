/*
 * schema.h - JSON Schema (draft-07) validation of records.
 *
 * A schema is compiled once (its $refs resolved, its patterns compiled by
 * PCRE2) and can then validate any number of instances; a compiled schema is
 * never modified, so one may be shared between threads.
 *
 * The validator is strict about the schemas it accepts: a keyword it does not
 * implement, a $ref outside the document or a pattern PCRE2 cannot compile is
 * refused at compile time rather than silently ignored, so that a typo in a
 * schema can never make it accept more than its author meant.
 *
 * Implemented: every draft-07 validation keyword (type, enum, const,
 * multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum,
 * maxLength, minLength, pattern, items, additionalItems, maxItems, minItems,
 * uniqueItems, contains, maxProperties, minProperties, required, properties,
 * patternProperties, additionalProperties, dependencies, propertyNames, if,
 * then, else, allOf, anyOf, oneOf, not), $ref within the document,
 * definitions, and `format` "date" and "date-time" (RFC 3339). Other
 * formats and the annotations ($schema, $id, $comment, title, description,
 * default, examples, readOnly, writeOnly, contentMediaType, contentEncoding)
 * are accepted and ignored.
 *
 * Limits: a schema text is at most 1 MiB; schema documents and instances nest
 * at most CIVIC_SCHEMA_MAX_DEPTH arrays and objects deep.
 */
#ifndef CIVIC_SCHEMA_H
#define CIVIC_SCHEMA_H

#include <stddef.h>
#include <jansson.h>

/* Largest schema text civic_schema_compile() accepts, in bytes. */
#define CIVIC_SCHEMA_MAX_SIZE (1024 * 1024)

/* Deepest nesting of arrays and objects in a schema document or an instance. */
#define CIVIC_SCHEMA_MAX_DEPTH 64

typedef struct civic_schema civic_schema;

/*
 * Compiles a schema from JSON text.
 *
 * @param out   set to the new schema on success, to NULL on failure; release
 *              it with civic_schema_free()
 * @param name  what messages call the schema (e.g. "minutes"); copied
 * @param text  the schema, UTF-8 JSON, at most CIVIC_SCHEMA_MAX_SIZE bytes;
 *              duplicate object keys are refused
 * @param len   length of text in bytes
 * @return 0, CIVIC_EINVALID when the text is not JSON or the schema is refused
 *         (a keyword this validator does not implement, a $ref that is not
 *         "#" or "#/json/pointer" within the document, a $ref cycle, a $schema
 *         other than draft-07, an invalid pattern, a malformed keyword value),
 *         or CIVIC_ERROR when out of memory
 */
int civic_schema_compile(civic_schema **out, const char *name, const char *text, size_t len);

/*
 * Compiles a schema from an already-parsed jansson value.
 *
 * The schema takes its own reference to root and keeps it until
 * civic_schema_free(); the caller keeps its reference and must not modify
 * root afterwards. Same parameters and error codes as civic_schema_compile().
 */
int civic_schema_from_json(civic_schema **out, const char *name, json_t *root);

/*
 * Validates an instance against a compiled schema.
 *
 * Stops at the first error and describes it in one line naming the JSON
 * pointer of the offending value, e.g.
 * "at '/attachments/0/sha256': does not match pattern '^[0-9a-f]{64}$'"
 * ("at ''" is the instance itself).
 *
 * @param schema    a schema from civic_schema_compile(); not modified
 * @param instance  the value to check; not modified
 * @return 0 when valid; CIVIC_EINVALID when not, and also when the instance
 *         nests deeper than CIVIC_SCHEMA_MAX_DEPTH, the schema recurses without
 *         end or a pattern exceeds PCRE2's match limit (these fail closed);
 *         CIVIC_ERROR when out of memory
 */
int civic_schema_validate(const civic_schema *schema, const json_t *instance);

/* Frees a schema and everything it owns; accepts NULL. */
void civic_schema_free(civic_schema *schema);

/*
 * Whether this validator implements a keyword (annotations that it accepts
 * and ignores count as implemented). Returns 1 or 0; NULL gives 0.
 */
int civic_schema_supports_keyword(const char *keyword);

#endif
