/* schema_store.c - the compiled record schemas; see schema_store.h. */
#include "schema_store.h"
#include "error.h"
#include "schema.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct civic_schemas {
	size_t count;
	const char **kinds;
	civic_schema **compiled;
};

void civic_schemas_free(civic_schemas *schemas)
{
	size_t i;

	if (!schemas)
		return;
	for (i = 0; i < schemas->count; i++)
		civic_schema_free(schemas->compiled[i]);
	free(schemas->compiled);
	free(schemas->kinds);
	free(schemas);
}

int civic_schemas_new(civic_schemas **out)
{
	civic_schemas *s;
	size_t n = 0, i;
	int error = 0;

	*out = NULL;
	while (civic_embedded_schemas[n].kind)
		n++;
	if (!(s = calloc(1, sizeof *s)) ||
	    !(s->kinds = calloc(n ? n : 1, sizeof *s->kinds)) ||
	    !(s->compiled = calloc(n ? n : 1, sizeof *s->compiled))) {
		civic_schemas_free(s);
		return civic_error_nomem();
	}
	for (i = 0; i < n; i++) {
		const civic_embedded_schema *e = &civic_embedded_schemas[i];
		if ((error = civic_schema_compile(&s->compiled[i], e->kind, e->text, e->len)) < 0)
			break;
		s->kinds[i] = e->kind;
		s->count++;
	}
	if (error < 0) {
		civic_schemas_free(s);
		return error;
	}
	*out = s;
	return 0;
}

static const civic_schema *find(const civic_schemas *schemas, const char *kind)
{
	size_t i;

	for (i = 0; i < schemas->count; i++)
		if (!strcmp(schemas->kinds[i], kind))
			return schemas->compiled[i];
	return NULL;
}

int civic_schemas_has_kind(const civic_schemas *schemas, const char *kind)
{
	return kind && find(schemas, kind) != NULL;
}

int civic_schemas_validate(const civic_schemas *schemas, const json_t *record)
{
	const char *kind = json_string_value(json_object_get(record, "kind"));
	const civic_schema *schema;
	char reason[sizeof civic_error_last()->message];
	int error;

	if (!json_is_object(record)) {
		civic_error_set(CIVIC_ERROR_RECORD, "a record must be a JSON object");
		return CIVIC_EINVALID;
	}
	if (!kind) {
		civic_error_set(CIVIC_ERROR_RECORD, "the record has no \"kind\"");
		return CIVIC_EINVALID;
	}
	if (!(schema = find(schemas, kind))) {
		civic_error_set(CIVIC_ERROR_RECORD, "unknown record kind '%s'", kind);
		return CIVIC_EINVALID;
	}
	if ((error = civic_schema_validate(schema, record)) < 0) {
		/* Say which schema refused it: "minutes record: at '/date': ..." */
		snprintf(reason, sizeof reason, "%s", civic_error_last()->message);
		civic_error_set(CIVIC_ERROR_SCHEMA, "%s record: %s", kind, reason);
	}
	return error;
}
