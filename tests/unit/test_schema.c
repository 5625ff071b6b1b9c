/*
 * test_schema.c - the JSON Schema validator (src/schema.c).
 *
 * Two groups: our own cases (the record schemas in schema/, messages, limits,
 * hostile input), then the official JSON Schema test suite for draft-07 as
 * Debian packages it (json-schema-test-suite), one cmocka test per file.
 * The suite is found in $JSON_SCHEMA_TEST_SUITE, else in
 * /usr/share/json-schema-test-suite; when it is missing the test fails.
 * The source tree (for schema/) is $CIVIC_SOURCE_DIR, else found from
 * __FILE__, else ".".
 */
#include "helpers.h"

#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#include "buf.h"
#include "schema.h"

/*------------------------------------------------------------------------
 * Helpers
 */

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *source_dir(void)
{
	static char dir[4096];
	static const char suffix[] = "tests/unit/test_schema.c";
	const char *env = getenv("CIVIC_SOURCE_DIR");
	const char *file = __FILE__;
	size_t n = strlen(file), m = strlen(suffix);
	char probe[4200];

	if (env && *env)
		return env;
	if (n >= m && strcmp(file + n - m, suffix) == 0) {
		snprintf(dir, sizeof dir, "%.*s", (int)(n - m), file);
		if (dir[0] == '\0')
			snprintf(dir, sizeof dir, ".");
		snprintf(probe, sizeof probe, "%s/schema", dir);
		if (is_dir(probe))
			return dir;
	}
	return ".";
}

static json_t *parse(const char *text)
{
	json_error_t error;
	json_t *value = json_loads(text, JSON_DECODE_ANY, &error);

	if (!value)
		fail_msg("test json does not parse: %s: %s", error.text, text);
	return value;
}

static civic_schema *compile_ok(const char *text)
{
	civic_schema *schema = NULL;

	assert_civic_ok(civic_schema_compile(&schema, "test", text, strlen(text)));
	assert_non_null(schema);
	return schema;
}

/* Expects the schema to be refused; message must contain `needle`. */
static void expect_refused(const char *text, const char *needle)
{
	civic_schema *schema = NULL;

	assert_civic(CIVIC_EINVALID, civic_schema_compile(&schema, "test", text, strlen(text)));
	assert_null(schema);
	if (!strstr(civic_error_last()->message, needle))
		fail_msg("message '%s' does not contain '%s'", civic_error_last()->message, needle);
}

static void expect_valid_json(const civic_schema *schema, const json_t *instance)
{
	assert_civic_ok(civic_schema_validate(schema, instance));
}

static void expect_invalid_json(const civic_schema *schema, const json_t *instance, const char *message)
{
	assert_civic(CIVIC_EINVALID, civic_schema_validate(schema, instance));
	if (message && strcmp(civic_error_last()->message, message) != 0)
		fail_msg("message is \"%s\", want \"%s\"", civic_error_last()->message, message);
}

static void expect_valid(const civic_schema *schema, const char *instance)
{
	json_t *value = parse(instance);

	expect_valid_json(schema, value);
	json_decref(value);
}

static void expect_invalid(const civic_schema *schema, const char *instance, const char *message)
{
	json_t *value = parse(instance);

	expect_invalid_json(schema, value, message);
	json_decref(value);
}

/*------------------------------------------------------------------------
 * The record schemas in schema/
 */

#define SHA256 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define COMMIT "0123456789abcdef0123456789abcdef01234567"

/* A minimal valid record of each kind: only the required fields. */
static const struct {
	const char *kind;
	const char *json;
} samples[] = {
	{ "minutes", "{\"kind\":\"minutes\",\"visibility\":\"public\",\"title\":\"Информационна среща\","
		     "\"date\":\"2024-02-29\",\"meeting_type\":\"information-meeting\",\"body\":\"# Протокол\"}" },
	{ "recommendation", "{\"kind\":\"recommendation\",\"visibility\":\"network\",\"title\":\"Препоръка\","
			    "\"date\":\"2024-03-01\",\"addressee\":{\"municipality\":\"kyustendil\",\"body\":\"mayor\"},"
			    "\"body\":\"Текст\"}" },
	{ "recommendation-status", "{\"kind\":\"recommendation-status\",\"visibility\":\"public\","
				   "\"title\":\"Внесена\",\"recommendation\":\"" COMMIT "\",\"status\":\"submitted\","
				   "\"date\":\"2024-03-02\"}" },
	{ "photo", "{\"kind\":\"photo\",\"visibility\":\"public\",\"title\":\"Снимка\",\"date\":\"2024-03-03\","
		   "\"attachments\":[{\"name\":\"snimka.jpg\",\"sha256\":\"" SHA256 "\",\"size\":1024}]}" },
	{ "document", "{\"kind\":\"document\",\"visibility\":\"public\",\"title\":\"SWOT анализ\","
		      "\"date\":\"2024-03-04\",\"document_type\":\"swot-analysis\"}" },
	{ "correction", "{\"kind\":\"correction\",\"visibility\":\"public\",\"title\":\"Поправка\","
			"\"corrects\":\"" COMMIT "\",\"reason\":\"грешна дата\",\"body\":\"Датата е 3 март.\"}" },
	{ "retraction", "{\"kind\":\"retraction\",\"visibility\":\"network\",\"title\":\"Оттегляне\","
			"\"retracts\":\"" COMMIT "\",\"reason\":\"качено по погрешка\"}" },
	{ "fork-resolution", "{\"kind\":\"fork-resolution\",\"visibility\":\"network\","
			     "\"title\":\"Важи историята на лаптоп 1\",\"abandons\":\"" COMMIT "\","
			     "\"reason\":\"лаптоп 2 беше изгубен\"}" },
};

#define N_SAMPLES (sizeof samples / sizeof samples[0])

static civic_schema *load_record_schema(const char *kind)
{
	civic_buf text = CIVIC_BUF_INIT;
	civic_schema *schema = NULL;
	char path[4200];

	snprintf(path, sizeof path, "%s/schema/%s.schema.json", source_dir(), kind);
	assert_civic_ok(civic_buf_read_file(&text, path, CIVIC_SCHEMA_MAX_SIZE));
	assert_civic_ok(civic_schema_compile(&schema, kind, text.ptr, text.size));
	civic_buf_dispose(&text);
	return schema;
}

static json_t *sample(const char *kind)
{
	size_t i;

	for (i = 0; i < N_SAMPLES; i++)
		if (strcmp(samples[i].kind, kind) == 0)
			return parse(samples[i].json);
	fail_msg("no sample record for kind '%s'", kind);
	return NULL;
}

/* Every schema/<kind>.schema.json compiles, and its sample passes it and no other kind's schema. */
static void test_schema_record_kinds(void **state)
{
	char dir[4200];
	civic_schema *schemas[N_SAMPLES] = { 0 };
	struct dirent *entry;
	size_t i, j, found = 0;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof dir, "%s/schema", source_dir());
	assert_non_null(d = opendir(dir));
	while ((entry = readdir(d)) != NULL) {
		const char *suffix = strstr(entry->d_name, ".schema.json");
		char kind[256];
		civic_schema *schema;
		json_t *record;

		if (!suffix || suffix[strlen(".schema.json")] != '\0')
			continue;
		snprintf(kind, sizeof kind, "%.*s", (int)(suffix - entry->d_name), entry->d_name);
		schema = load_record_schema(kind);
		record = sample(kind);
		expect_valid_json(schema, record);
		json_decref(record);
		civic_schema_free(schema);
		found++;
	}
	closedir(d);
	assert_int_equal(found, N_SAMPLES);

	for (i = 0; i < N_SAMPLES; i++)
		schemas[i] = load_record_schema(samples[i].kind);
	for (i = 0; i < N_SAMPLES; i++) {
		for (j = 0; j < N_SAMPLES; j++) {
			json_t *record = parse(samples[j].json);
			int rc = civic_schema_validate(schemas[i], record);
			assert_int_equal(rc, i == j ? 0 : CIVIC_EINVALID);
			json_decref(record);
		}
	}
	for (i = 0; i < N_SAMPLES; i++)
		civic_schema_free(schemas[i]);
}

static void test_schema_record_bad_date(void **state)
{
	civic_schema *schema = load_record_schema("minutes");
	json_t *record = sample("minutes");

	(void)state;
	json_object_set_new(record, "date", json_string("2015-02-30"));
	expect_invalid_json(schema, record, "at '/date': is not a valid RFC 3339 date");
	json_object_set_new(record, "date", json_string("2019-02-29"));
	expect_invalid_json(schema, record, "at '/date': is not a valid RFC 3339 date");
	json_object_set_new(record, "date", json_string("2020-02-29"));
	expect_valid_json(schema, record);
	json_object_set_new(record, "date", json_integer(20200229));
	expect_invalid_json(schema, record, "at '/date': is not of type 'string'");
	json_decref(record);
	civic_schema_free(schema);
}

static void test_schema_record_unknown_property(void **state)
{
	civic_schema *schema = load_record_schema("recommendation");
	json_t *record = sample("recommendation");

	(void)state;
	json_object_set_new(record, "colour", json_string("red"));
	expect_invalid_json(schema, record, "at '': unknown property 'colour'");
	json_object_del(record, "colour");
	json_object_set_new(json_object_get(record, "addressee"), "nmae", json_string("x"));
	expect_invalid_json(schema, record, "at '/addressee': unknown property 'nmae'");
	json_decref(record);
	civic_schema_free(schema);
}

static void test_schema_record_wrong_enum(void **state)
{
	civic_schema *schema = load_record_schema("minutes");
	json_t *record = sample("minutes");

	(void)state;
	json_object_set_new(record, "visibility", json_string("secret"));
	expect_invalid_json(schema, record, "at '/visibility': must be one of [\"public\",\"network\"]");
	json_object_set_new(record, "visibility", json_string("public"));
	json_object_set_new(record, "kind", json_string("document"));
	expect_invalid_json(schema, record, "at '/kind': must equal \"minutes\"");
	json_decref(record);
	civic_schema_free(schema);
}

static void test_schema_record_bad_attachment(void **state)
{
	civic_schema *schema = load_record_schema("photo");
	json_t *record = sample("photo");
	json_t *attachment = json_array_get(json_object_get(record, "attachments"), 0);
	const char *pattern = "at '/attachments/0/sha256': does not match pattern '^[0-9a-f]{64}$'";

	(void)state;
	json_object_set_new(attachment, "sha256", json_string("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"));
	expect_invalid_json(schema, record, pattern);
	json_object_set_new(attachment, "sha256", json_string("9f86d0"));
	expect_invalid_json(schema, record, pattern);
	/* PCRE2 alone would let '$' match before a final newline; ECMA-262 does not */
	json_object_set_new(attachment, "sha256", json_string(SHA256 "\n"));
	expect_invalid_json(schema, record, pattern);
	json_object_set_new(attachment, "sha256", json_string(SHA256));
	json_object_set_new(attachment, "size", json_integer(-1));
	expect_invalid_json(schema, record, "at '/attachments/0/size': must be >= 0");
	json_object_set_new(attachment, "size", json_integer(4294967296LL));
	expect_invalid_json(schema, record, "at '/attachments/0/size': must be <= 4294967295");
	json_object_set_new(attachment, "size", json_real(1.5));
	expect_invalid_json(schema, record, "at '/attachments/0/size': is not of type 'integer'");
	json_object_set_new(attachment, "size", json_real(2.0));
	expect_valid_json(schema, record);
	json_object_set_new(attachment, "name", json_string("../etc/passwd"));
	expect_invalid_json(schema, record, NULL);
	json_object_set_new(attachment, "name", json_string("a\tb"));
	expect_invalid_json(schema, record, NULL);
	json_array_clear(json_object_get(record, "attachments"));
	expect_invalid_json(schema, record, "at '/attachments': must have at least 1 item");
	json_decref(record);
	civic_schema_free(schema);
}

/* maxLength counts code points: 300 Cyrillic letters (600 bytes) fit, 301 do not. */
static void test_schema_record_title_length(void **state)
{
	civic_schema *schema = load_record_schema("document");
	json_t *record = sample("document");
	char title[302 * 2 + 1] = "";
	size_t i;

	(void)state;
	for (i = 0; i < 300; i++)
		strcat(title, "Ж");
	json_object_set_new(record, "title", json_string(title));
	expect_valid_json(schema, record);
	strcat(title, "Ж");
	json_object_set_new(record, "title", json_string(title));
	expect_invalid_json(schema, record, "at '/title': must be at most 300 characters long");
	json_object_set_new(record, "title", json_string(""));
	expect_invalid_json(schema, record, "at '/title': must be at least 1 character long");
	json_object_set_new(record, "title", json_string("   "));
	expect_invalid_json(schema, record, "at '/title': does not match pattern '\\S'");
	json_decref(record);
	civic_schema_free(schema);
}

static void test_schema_record_missing_required(void **state)
{
	civic_schema *schema = load_record_schema("minutes");
	json_t *record = sample("minutes");

	(void)state;
	json_object_del(record, "title");
	expect_invalid_json(schema, record, "at '': missing required property 'title'");
	json_decref(record);
	record = parse("[]");
	expect_invalid_json(schema, record, "at '': is not of type 'object'");
	json_decref(record);
	civic_schema_free(schema);
}

/*------------------------------------------------------------------------
 * Schemas that must be refused
 */

static void test_schema_refuses_unsupported_keyword(void **state)
{
	(void)state;
	expect_refused("{\"type\":\"string\",\"minLenght\":3}",
		       "schema 'test': at '': unsupported keyword 'minLenght'");
	expect_refused("{\"properties\":{\"a\":{\"unevaluatedProperties\":false}}}",
		       "at '/properties/a': unsupported keyword 'unevaluatedProperties'");
	expect_refused("{\"$defs\":{}}", "unsupported keyword '$defs'");
	expect_refused("{\"a\\nb\":{}}", "unsupported keyword 'a?b'");
	expect_refused("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"}", "draft-07");
	assert_true(civic_schema_supports_keyword("patternProperties"));
	assert_true(civic_schema_supports_keyword("title"));
	assert_false(civic_schema_supports_keyword("dependentRequired"));
	assert_false(civic_schema_supports_keyword(NULL));
}

static void test_schema_refuses_remote_ref(void **state)
{
	(void)state;
	expect_refused("{\"$ref\":\"http://localhost:1234/integer.json\"}", "remote $ref");
	expect_refused("{\"$ref\":\"other.json#/definitions/a\"}", "remote $ref");
	expect_refused("{\"$ref\":\"#foo\"}", "is not '#' or a JSON pointer fragment");
	expect_refused("{\"$ref\":\"#/definitions/%zz\"}", "is not '#' or a JSON pointer fragment");
	expect_refused("{\"$ref\":\"#/definitions/a~2\",\"definitions\":{\"a~2\":{}}}", "JSON pointer");
	expect_refused("{\"$ref\":\"#/definitions/missing\",\"definitions\":{}}", "does not resolve");
	expect_refused("{\"$ref\":\"#/items/01\",\"items\":[{},{}]}", "does not resolve");
	expect_refused("{\"definitions\":{\"a\":{\"$id\":\"http://example.com/a\"}}}", "base uri");
}

static void test_schema_refuses_bad_values(void **state)
{
	(void)state;
	expect_refused("{\"pattern\":\"(unclosed\"}", "at '/pattern': invalid pattern '(unclosed'");
	expect_refused("{\"patternProperties\":{\"[a-\":{}}}", "invalid pattern '[a-'");
	expect_refused("{\"minLength\":-1}", "at '/minLength': must be a non-negative integer");
	expect_refused("{\"maxItems\":1.5}", "must be a non-negative integer");
	expect_refused("{\"type\":\"strin\"}", "unknown type 'strin'");
	expect_refused("{\"type\":[\"string\",\"string\"]}", "twice");
	expect_refused("{\"required\":\"a\"}", "must be an array of strings");
	expect_refused("{\"allOf\":[]}", "non-empty array");
	expect_refused("{\"multipleOf\":0}", "greater than 0");
	expect_refused("{\"properties\":{\"a\":5}}", "at '/properties/a': a schema must be an object or a boolean");
	expect_refused("{\"enum\":5}", "must be an array");
	expect_refused("{\"a\":1,\"a\":2}", "not valid JSON");
	expect_refused("{\"type\":", "not valid JSON");
}

static void test_schema_refuses_ref_cycle(void **state)
{
	(void)state;
	expect_refused("{\"$ref\":\"#\"}", "cycle");
	expect_refused("{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},"
		       "\"b\":{\"$ref\":\"#/definitions/a\"}},\"properties\":{\"x\":{\"$ref\":\"#/definitions/a\"}}}",
		       "cycle");
}

static void test_schema_refuses_oversized(void **state)
{
	size_t len = CIVIC_SCHEMA_MAX_SIZE + 1;
	char *text = malloc(len);
	civic_schema *schema = NULL;

	(void)state;
	assert_non_null(text);
	memset(text, ' ', len);
	text[0] = '{';
	text[len - 1] = '}';
	assert_civic(CIVIC_EINVALID, civic_schema_compile(&schema, "big", text, len));
	assert_null(schema);
	assert_non_null(strstr(civic_error_last()->message, "larger than"));
	/* the same with one byte less is fine */
	text[len - 2] = '}';
	assert_civic_ok(civic_schema_compile(&schema, "big", text, len - 1));
	civic_schema_free(schema);
	free(text);
}

/*------------------------------------------------------------------------
 * Hostile nesting and recursion
 */

static json_t *nested_arrays(size_t depth)
{
	json_t *value = json_array();
	size_t i;

	for (i = 1; i < depth; i++) {
		json_t *outer = json_array();
		json_array_append_new(outer, value);
		value = outer;
	}
	return value;
}

static void test_schema_deep_instance(void **state)
{
	civic_schema *any = compile_ok("true");
	civic_schema *tree = compile_ok("{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}");
	civic_schema *record = load_record_schema("minutes");
	json_t *deep = nested_arrays(10000);
	json_t *edge = nested_arrays(CIVIC_SCHEMA_MAX_DEPTH);
	json_t *over = nested_arrays(CIVIC_SCHEMA_MAX_DEPTH + 1);

	(void)state;
	expect_invalid_json(any, deep, "at '': nests deeper than 64 arrays and objects");
	expect_invalid_json(tree, deep, "at '': nests deeper than 64 arrays and objects");
	expect_invalid_json(record, deep, "at '': nests deeper than 64 arrays and objects");
	expect_valid_json(tree, edge);
	expect_invalid_json(tree, over, NULL);
	json_decref(deep);
	json_decref(edge);
	json_decref(over);
	civic_schema_free(any);
	civic_schema_free(tree);
	civic_schema_free(record);
}

static void test_schema_deep_schema(void **state)
{
	civic_schema *schema = NULL;
	json_t *root = json_true();
	civic_buf text = CIVIC_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		json_t *outer = json_object();
		json_object_set_new(outer, "not", root);
		root = outer;
	}
	assert_civic(CIVIC_EINVALID, civic_schema_from_json(&schema, "deep", root));
	assert_null(schema);
	json_decref(root);

	/* 100 levels: jansson parses it, our cap refuses it */
	for (i = 0; i < 100; i++)
		civic_buf_puts(&text, "{\"not\":");
	civic_buf_puts(&text, "true");
	for (i = 0; i < 100; i++)
		civic_buf_putc(&text, '}');
	assert_civic(CIVIC_EINVALID, civic_schema_compile(&schema, "deep", text.ptr, text.size));
	assert_non_null(strstr(civic_error_last()->message, "nests deeper than 64"));
	civic_buf_clear(&text);
	for (i = 0; i < 10000; i++)
		civic_buf_putc(&text, '[');
	assert_civic(CIVIC_EINVALID, civic_schema_compile(&schema, "deep", text.ptr, text.size));
	civic_buf_dispose(&text);
}

static void test_schema_endless_recursion(void **state)
{
	civic_schema *loop = compile_ok("{\"allOf\":[{\"$ref\":\"#\"}]}");
	civic_schema *fork = compile_ok("{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#\"}]}");
	civic_schema *negated = compile_ok("{\"not\":{\"$ref\":\"#\"}}");

	(void)state;
	expect_invalid(loop, "1", "at '': schema recursion is deeper than 512 levels");
	/* fatal, so it does not turn into 2^512 retries nor into "valid" under not */
	expect_invalid(fork, "1", "at '': schema recursion is deeper than 512 levels");
	expect_invalid(negated, "1", "at '': schema recursion is deeper than 512 levels");
	civic_schema_free(loop);
	civic_schema_free(fork);
	civic_schema_free(negated);
}

/* A pattern that backtracks exponentially hits PCRE2's match limit: an error, even under not. */
static void test_schema_regex_limit_fails_closed(void **state)
{
	civic_schema *schema = compile_ok("{\"not\":{\"pattern\":\"^(a+)+$\"}}");
	char text[64];

	(void)state;
	memset(text, 'a', 40);
	snprintf(text + 40, sizeof text - 40, "!");
	{
		json_t *value = json_string(text);
		assert_civic(CIVIC_EINVALID, civic_schema_validate(schema, value));
		assert_non_null(strstr(civic_error_last()->message, "cannot match pattern"));
		json_decref(value);
	}
	expect_valid(schema, "\"b\"");
	civic_schema_free(schema);
}

/*------------------------------------------------------------------------
 * Keywords
 */

static void test_schema_escaped_pointers(void **state)
{
	civic_schema *schema = compile_ok(
		"{\"definitions\":{\"a/b\":{\"type\":\"integer\"},\"c~d\":{\"type\":\"string\"},"
		"\"e%f\":{\"type\":\"null\"},\"ж\":{\"const\":1}},"
		"\"properties\":{\"x\":{\"$ref\":\"#/definitions/a~1b\"},\"y\":{\"$ref\":\"#/definitions/c~0d\"},"
		"\"z\":{\"$ref\":\"#/definitions/e%25f\"},\"w\":{\"$ref\":\"#/definitions/%D0%B6\"}},"
		"\"additionalProperties\":{\"additionalProperties\":{\"type\":\"string\"}}}");

	(void)state;
	expect_valid(schema, "{\"x\":1,\"y\":\"s\",\"z\":null,\"w\":1.0}");
	expect_invalid(schema, "{\"x\":\"1\"}", "at '/x': is not of type 'integer'");
	expect_invalid(schema, "{\"y\":1}", "at '/y': is not of type 'string'");
	expect_invalid(schema, "{\"z\":0}", "at '/z': is not of type 'null'");
	expect_invalid(schema, "{\"w\":2}", "at '/w': must equal 1");
	/* the instance pointer is escaped too */
	expect_invalid(schema, "{\"a/b\":{\"c~d\":5}}", "at '/a~1b/c~0d': is not of type 'string'");
	civic_schema_free(schema);
}

static void test_schema_numbers(void **state)
{
	civic_schema *integer = compile_ok("{\"type\":\"integer\"}");
	civic_schema *one = compile_ok("{\"const\":1}");
	civic_schema *listed = compile_ok("{\"enum\":[1.0,[1,{\"a\":2}]]}");
	civic_schema *ranged = compile_ok("{\"exclusiveMinimum\":0,\"maximum\":9007199254740993,\"multipleOf\":0.5}");

	(void)state;
	expect_valid(integer, "1.0");
	expect_valid(integer, "-0.0");
	expect_invalid(integer, "1.5", "at '': is not of type 'integer'");
	expect_invalid(integer, "\"1\"", "at '': is not of type 'integer'");
	expect_valid(one, "1.0");
	expect_invalid(one, "true", "at '': must equal 1");
	expect_valid(listed, "1");
	expect_valid(listed, "[1.0,{\"a\":2.0}]");
	expect_invalid(listed, "[1,{\"a\":3}]", NULL);
	expect_invalid(ranged, "0", "at '': must be > 0");
	expect_valid(ranged, "0.5");
	expect_valid(ranged, "9007199254740992");
	expect_invalid(ranged, "9007199254740994", "at '': must be <= 9007199254740993");
	expect_invalid(ranged, "0.75", "at '': must be a multiple of 0.5");
	civic_schema_free(integer);
	civic_schema_free(one);
	civic_schema_free(listed);
	civic_schema_free(ranged);
}

static void test_schema_arrays(void **state)
{
	civic_schema *unique = compile_ok("{\"uniqueItems\":true}");
	civic_schema *tuple = compile_ok("{\"items\":[{\"type\":\"string\"}],\"additionalItems\":false}");
	civic_schema *contains = compile_ok("{\"contains\":{\"const\":\"x\"}}");
	json_t *big = json_array();
	size_t i;

	(void)state;
	expect_invalid(unique, "[1,2,1.0]", "at '': items 0 and 2 are equal");
	expect_invalid(unique, "[{\"a\":[1]},{\"a\":[1.0]}]", "at '': items 0 and 1 are equal");
	expect_valid(unique, "[1,true,\"1\",[1],{\"1\":1},null,0,false]");
	/* a long array is checked by hashing, not n^2 comparisons */
	for (i = 0; i < 200000; i++)
		json_array_append_new(big, json_integer((json_int_t)i));
	expect_valid_json(unique, big);
	json_array_append_new(big, json_real(7.0));
	expect_invalid_json(unique, big, "at '': items 7 and 200000 are equal");
	expect_valid(tuple, "[\"a\"]");
	expect_invalid(tuple, "[1]", "at '/0': is not of type 'string'");
	expect_invalid(tuple, "[\"a\",\"b\"]", "at '': must have at most 1 item");
	expect_valid(contains, "[1,\"x\"]");
	expect_invalid(contains, "[]", "at '': does not contain a matching item");
	json_decref(big);
	civic_schema_free(unique);
	civic_schema_free(tuple);
	civic_schema_free(contains);
}

static void test_schema_objects_and_combinators(void **state)
{
	civic_schema *schema = compile_ok(
		"{\"type\":\"object\",\"propertyNames\":{\"maxLength\":3},\"minProperties\":1,"
		"\"patternProperties\":{\"^n_\":{\"type\":\"number\"}},\"additionalProperties\":false,"
		"\"properties\":{\"a\":{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]},"
		"\"b\":{\"anyOf\":[{\"type\":\"null\"},{\"maxLength\":1}]},\"c\":{\"not\":{\"type\":\"null\"}},"
		"\"d\":{\"if\":{\"type\":\"string\"},\"then\":{\"minLength\":2},\"else\":{\"const\":0}}},"
		"\"dependencies\":{\"a\":[\"b\"],\"c\":{\"required\":[\"d\"]}}}");

	(void)state;
	expect_valid(schema, "{\"a\":1,\"b\":null,\"n_1\":2}");
	expect_invalid(schema, "{\"a\":1.5,\"b\":null}", "at '/a': does not match any schema in 'oneOf'");
	expect_invalid(schema, "{}", "at '': must have at least 1 property");
	expect_invalid(schema, "{\"long\":1}", "at '': invalid property name 'long'");
	expect_invalid(schema, "{\"n_x\":\"1\"}", "at '/n_x': is not of type 'number'");
	expect_invalid(schema, "{\"zz\":1}", "at '': unknown property 'zz'");
	expect_invalid(schema, "{\"a\":3,\"b\":null}", "at '/a': matches more than one schema in 'oneOf' (0 and 1)");
	expect_invalid(schema, "{\"a\":1}", "at '': property 'a' requires property 'b'");
	expect_invalid(schema, "{\"b\":\"xy\"}", "at '/b': does not match any schema in 'anyOf'");
	expect_invalid(schema, "{\"c\":null}", "at '/c': must not match the schema in 'not'");
	expect_invalid(schema, "{\"c\":1}", "at '': missing required property 'd'");
	expect_invalid(schema, "{\"d\":\"x\"}", "at '/d': must be at least 2 characters long");
	expect_invalid(schema, "{\"d\":1}", "at '/d': must equal 0");
	/* names from the instance cannot break the message over two lines */
	expect_invalid(schema, "{\"a\\nb\":1}", "at '': unknown property 'a?b'");
	expect_invalid(schema, "{\"lo\\ng\":1}", "at '': invalid property name 'lo?g'");
	civic_schema_free(schema);
}

static void test_schema_boolean_schemas(void **state)
{
	civic_schema *yes = compile_ok("true");
	civic_schema *no = compile_ok("false");
	civic_schema *nested = compile_ok("{\"properties\":{\"gone\":false}}");

	(void)state;
	expect_valid(yes, "{\"anything\":[1]}");
	expect_invalid(no, "null", "at '': is not allowed");
	expect_invalid(nested, "{\"gone\":1}", "at '/gone': is not allowed");
	civic_schema_free(yes);
	civic_schema_free(no);
	civic_schema_free(nested);
}

static void expect_text(const civic_schema *schema, const char *text, int valid)
{
	json_t *value = json_string(text);
	int rc = civic_schema_validate(schema, value);

	if (rc != (valid ? 0 : CIVIC_EINVALID))
		fail_msg("'%s': want %s, got %d", text, valid ? "valid" : "invalid", rc);
	json_decref(value);
}

static void test_schema_dates(void **state)
{
	static const char *good_dates[] = { "2020-02-29", "2000-02-29", "0001-01-01", "2015-12-31" };
	static const char *bad_dates[] = { "2019-02-29", "1900-02-29", "2015-02-30", "2015-04-31", "2015-13-01",
					   "2015-00-10", "2015-1-01", "2015-01-01 ", "20150101", "2015-01-00" };
	static const char *good_times[] = { "2015-01-01T00:00:00Z", "2015-01-01t00:00:00.5z",
					    "1998-12-31T23:59:60Z", "1998-12-31T15:59:60.123-08:00",
					    "1999-01-01T00:59:60+01:00", "2015-06-30T23:59:59+14:00" };
	static const char *bad_times[] = { "2015-01-01T00:00:00", "2015-01-01 00:00:00Z", "2015-01-01T24:00:00Z",
					   "2015-01-01T00:60:00Z", "1998-12-31T22:59:60Z", "1998-12-31T23:58:60Z",
					   "2015-01-01T00:00:00.Z", "2015-01-01T00:00:00+01:60",
					   "2015-01-01T00:00:00+24:00", "2015-02-29T00:00:00Z", "2015-01-01T00:00Z" };
	civic_schema *date = compile_ok("{\"format\":\"date\"}");
	civic_schema *date_time = compile_ok("{\"format\":\"date-time\"}");
	civic_schema *email = compile_ok("{\"format\":\"email\"}");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good_dates / sizeof *good_dates; i++)
		expect_text(date, good_dates[i], 1);
	for (i = 0; i < sizeof bad_dates / sizeof *bad_dates; i++)
		expect_text(date, bad_dates[i], 0);
	for (i = 0; i < sizeof good_times / sizeof *good_times; i++)
		expect_text(date_time, good_times[i], 1);
	for (i = 0; i < sizeof bad_times / sizeof *bad_times; i++)
		expect_text(date_time, bad_times[i], 0);
	expect_invalid(date_time, "\"2015-01-01T00:00:00\"", "at '': is not a valid RFC 3339 date-time");
	/* other formats are annotations; non-strings are not checked */
	expect_text(email, "not an email", 1);
	expect_valid(date, "20150230");
	civic_schema_free(date);
	civic_schema_free(date_time);
	civic_schema_free(email);
}

/* ECMA-262 flavour: \\uXXXX escapes, '$' only at the end, '.' not across lines, not anchored. */
static void test_schema_patterns(void **state)
{
	civic_schema *cyrillic = compile_ok("{\"pattern\":\"^\\\\u0416+$\"}");
	civic_schema *digit = compile_ok("{\"pattern\":\"^[0-9]$\"}");
	civic_schema *dot = compile_ok("{\"pattern\":\"a.c\"}");
	civic_schema *names = compile_ok("{\"patternProperties\":{\"^ж\":{\"type\":\"integer\"}}}");

	(void)state;
	expect_valid(cyrillic, "\"ЖЖ\"");
	expect_invalid(cyrillic, "\"Ж1\"", "at '': does not match pattern '^\\u0416+$'");
	expect_valid(digit, "\"1\"");
	expect_invalid(digit, "\"1\\n\"", NULL);
	expect_valid(dot, "\"xxabcxx\"");
	expect_invalid(dot, "\"a\\nc\"", NULL);
	expect_invalid(dot, "\"a\\u2028c\"", NULL);
	expect_valid(names, "{\"жаба\":1,\"x\":\"y\"}");
	expect_invalid(names, "{\"жаба\":\"x\"}", "at '/жаба': is not of type 'integer'");
	civic_schema_free(cyrillic);
	civic_schema_free(digit);
	civic_schema_free(dot);
	civic_schema_free(names);
}

/* A long pointer keeps its end, and the message stays one line under the buffer size. */
static void test_schema_long_pointer(void **state)
{
	civic_schema *schema = compile_ok("{\"additionalProperties\":{\"$ref\":\"#\"},\"type\":\"object\"}");
	json_t *root = json_string("leaf"), *outer;
	const char *message;
	char key[40];
	size_t i;

	(void)state;
	for (i = 0; i < 60; i++) {
		snprintf(key, sizeof key, "%02zu-жжжжжжжжжжжжжжж", i);
		outer = json_object();
		json_object_set_new(outer, key, root);
		root = outer;
	}
	expect_invalid_json(schema, root, NULL);
	message = civic_error_last()->message;
	assert_true(strncmp(message, "at '...", 7) == 0);
	assert_non_null(strstr(message, "/00-жжжжжжжжжжжжжжж': is not of type 'object'"));
	assert_null(strchr(message, '\n'));
	json_decref(root);
	civic_schema_free(schema);
}

static void test_schema_from_json_keeps_reference(void **state)
{
	json_t *root = parse("{\"properties\":{\"a\":{\"pattern\":\"^x\"}}}");
	civic_schema *schema = NULL;

	(void)state;
	assert_civic_ok(civic_schema_from_json(&schema, "borrowed", root));
	json_decref(root);
	expect_invalid(schema, "{\"a\":\"y\"}", "at '/a': does not match pattern '^x'");
	civic_schema_free(schema);
	civic_schema_free(NULL);
}

/*------------------------------------------------------------------------
 * The official JSON Schema test suite, draft-07
 */

#define DEFAULT_SUITE "/usr/share/json-schema-test-suite"

typedef struct {
	char path[4200];
	char name[256];
} suite_file;

static size_t suite_ran, suite_failed, suite_skipped;

/* Files whose name is not the keyword they test. "" means: core, always run. */
static const char *suite_keyword(const char *base)
{
	static const struct {
		const char *file, *keyword;
	} aliases[] = {
		{ "if-then-else", "if" }, { "ref", "$ref" }, { "boolean_schema", "" }, { "zeroTerminatedFloats", "type" },
		{ "date", "format" }, { "date-time", "format" },
	};
	size_t i;

	for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strcmp(aliases[i].file, base) == 0)
			return aliases[i].keyword;
	return base;
}

static int scan_schema(const json_t *schema, int root, char *why, size_t size);

static int scan_members(const json_t *map, char *why, size_t size)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)map, key, value)
		if (json_is_object(value) && scan_schema(value, 0, why, size))
			return 1;
	return 0;
}

/*
 * Independently of the validator, says why a group's schema may be refused:
 * a remote $ref, an $id that moves the base URI, a keyword not implemented.
 * A group is skipped only when the validator refuses it AND this finds why.
 */
static int scan_schema(const json_t *schema, int root, char *why, size_t size)
{
	static const char *maps[] = { "properties", "patternProperties", "definitions", "dependencies" };
	static const char *data[] = { "enum", "const", "default", "examples", "required", "type" };
	const char *key;
	json_t *value;
	size_t i;

	if (!json_is_object(schema))
		return 0;
	json_object_foreach((json_t *)schema, key, value) {
		int is_map = 0, is_data = 0;
		if (strcmp(key, "$ref") == 0 && json_is_string(value) && json_string_value(value)[0] != '#') {
			snprintf(why, size, "remote $ref '%s'", json_string_value(value));
			return 1;
		}
		if (strcmp(key, "$id") == 0 && !root && json_is_string(value) && json_string_value(value)[0] != '#') {
			snprintf(why, size, "$id '%s' changes the base uri", json_string_value(value));
			return 1;
		}
		if (!civic_schema_supports_keyword(key)) {
			snprintf(why, size, "keyword '%s' is not implemented", key);
			return 1;
		}
		for (i = 0; i < sizeof maps / sizeof *maps; i++)
			is_map |= strcmp(key, maps[i]) == 0;
		for (i = 0; i < sizeof data / sizeof *data; i++)
			is_data |= strcmp(key, data[i]) == 0;
		if (is_data)
			continue;
		if (is_map && json_is_object(value) && scan_members(value, why, size))
			return 1;
		if (!is_map && json_is_object(value) && scan_schema(value, 0, why, size))
			return 1;
		if (json_is_array(value)) {
			json_t *item;
			json_array_foreach(value, i, item)
				if (scan_schema(item, 0, why, size))
					return 1;
		}
	}
	return 0;
}

static size_t run_group(const suite_file *file, const json_t *group)
{
	const char *description = json_string_value(json_object_get(group, "description"));
	json_t *tests = json_object_get(group, "tests"), *test;
	civic_schema *schema = NULL;
	size_t i, failures = 0;
	char why[256];

	if (civic_schema_from_json(&schema, description, json_object_get(group, "schema")) < 0) {
		if (scan_schema(json_object_get(group, "schema"), 1, why, sizeof why)) {
			suite_skipped += json_array_size(tests);
			print_message("# skipped %s: \"%s\": %s\n", file->name, description, why);
			return 0;
		}
		print_error("# %s: \"%s\": schema refused: %s\n", file->name, description,
			    civic_error_last()->message);
		suite_ran += json_array_size(tests);
		suite_failed += json_array_size(tests);
		return json_array_size(tests);
	}
	json_array_foreach(tests, i, test) {
		int want_valid = json_is_true(json_object_get(test, "valid"));
		int rc = civic_schema_validate(schema, json_object_get(test, "data"));

		suite_ran++;
		if ((want_valid && rc == 0) || (!want_valid && rc == CIVIC_EINVALID))
			continue;
		print_error("# %s: \"%s\": \"%s\": want %s, got %d (%s)\n", file->name, description,
			    json_string_value(json_object_get(test, "description")),
			    want_valid ? "valid" : "invalid", rc, rc ? civic_error_last()->message : "valid");
		failures++;
		suite_failed++;
	}
	civic_schema_free(schema);
	return failures;
}

static void test_suite_file(void **state)
{
	const suite_file *file = *state;
	const char *base = strrchr(file->path, '/') + 1;
	char stem[256];
	json_error_t error;
	json_t *groups, *group;
	size_t i, failures = 0;

	snprintf(stem, sizeof stem, "%.*s", (int)(strlen(base) - strlen(".json")), base);
	/* JSON_ALLOW_NUL: some suite strings hold U+0000 */
	groups = json_load_file(file->path, JSON_ALLOW_NUL, &error);
	if (!groups)
		fail_msg("cannot load %s: %s", file->path, error.text);
	if (*suite_keyword(stem) && !civic_schema_supports_keyword(suite_keyword(stem))) {
		json_array_foreach(groups, i, group)
			suite_skipped += json_array_size(json_object_get(group, "tests"));
		print_message("# skipped %s: keyword '%s' is not implemented\n", file->name, stem);
		json_decref(groups);
		return;
	}
	json_array_foreach(groups, i, group)
		failures += run_group(file, group);
	json_decref(groups);
	if (failures)
		fail_msg("%s: %zu suite test(s) failed", file->name, failures);
}

static void test_suite_missing(void **state)
{
	fail_msg("JSON Schema test suite not found in '%s' (install json-schema-test-suite, "
		 "or set JSON_SCHEMA_TEST_SUITE)", (const char *)*state);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(((const suite_file *)a)->name, ((const suite_file *)b)->name);
}

static void add_suite_file(suite_file **files, size_t *n, const char *dir, const char *file)
{
	suite_file *grown = realloc(*files, (*n + 1) * sizeof *grown);
	const char *label = strstr(dir, "draft7");

	if (!grown)
		abort();
	*files = grown;
	snprintf(grown[*n].path, sizeof grown[*n].path, "%s/%s", dir, file);
	snprintf(grown[*n].name, sizeof grown[*n].name, "%s/%s", label ? label : "draft7", file);
	(*n)++;
}

/* Every draft7/<name>.json, then the optional files for 1.0 and dates; a missing one fails when loaded. */
static size_t find_suite_files(suite_file **files, const char *root)
{
	char dir[4096];
	struct dirent *entry;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/tests/draft7", root);
	if (!is_dir(dir))
		snprintf(dir, sizeof dir, "%s", root);
	if (!(d = opendir(dir)))
		return 0;
	while ((entry = readdir(d)) != NULL) {
		size_t len = strlen(entry->d_name);
		if (len > 5 && strcmp(entry->d_name + len - 5, ".json") == 0)
			add_suite_file(files, &n, dir, entry->d_name);
	}
	closedir(d);
	if (n == 0)
		return 0;
	qsort(*files, n, sizeof **files, compare_names);
	add_suite_file(files, &n, dir, "optional/zeroTerminatedFloats.json");
	add_suite_file(files, &n, dir, "optional/format/date.json");
	add_suite_file(files, &n, dir, "optional/format/date-time.json");
	return n;
}

int main(void)
{
	const struct CMUnitTest own[] = {
		cmocka_unit_test(test_schema_record_kinds),
		cmocka_unit_test(test_schema_record_bad_date),
		cmocka_unit_test(test_schema_record_unknown_property),
		cmocka_unit_test(test_schema_record_wrong_enum),
		cmocka_unit_test(test_schema_record_bad_attachment),
		cmocka_unit_test(test_schema_record_title_length),
		cmocka_unit_test(test_schema_record_missing_required),
		cmocka_unit_test(test_schema_refuses_unsupported_keyword),
		cmocka_unit_test(test_schema_refuses_remote_ref),
		cmocka_unit_test(test_schema_refuses_bad_values),
		cmocka_unit_test(test_schema_refuses_ref_cycle),
		cmocka_unit_test(test_schema_refuses_oversized),
		cmocka_unit_test(test_schema_deep_instance),
		cmocka_unit_test(test_schema_deep_schema),
		cmocka_unit_test(test_schema_endless_recursion),
		cmocka_unit_test(test_schema_regex_limit_fails_closed),
		cmocka_unit_test(test_schema_escaped_pointers),
		cmocka_unit_test(test_schema_numbers),
		cmocka_unit_test(test_schema_arrays),
		cmocka_unit_test(test_schema_objects_and_combinators),
		cmocka_unit_test(test_schema_boolean_schemas),
		cmocka_unit_test(test_schema_dates),
		cmocka_unit_test(test_schema_patterns),
		cmocka_unit_test(test_schema_long_pointer),
		cmocka_unit_test(test_schema_from_json_keeps_reference),
	};
	const char *root = getenv("JSON_SCHEMA_TEST_SUITE");
	suite_file *files = NULL;
	struct CMUnitTest *suite;
	size_t n, i;
	int failures;

	if (!root || !*root)
		root = DEFAULT_SUITE;
	n = find_suite_files(&files, root);
	suite = calloc(n ? n : 1, sizeof *suite);
	if (!suite)
		return 1;
	for (i = 0; i < n; i++) {
		suite[i].name = files[i].name;
		suite[i].test_func = test_suite_file;
		suite[i].initial_state = &files[i];
	}
	if (n == 0) {
		suite[0].name = "json_schema_test_suite_present";
		suite[0].test_func = test_suite_missing;
		suite[0].initial_state = (void *)root;
	}
	failures = cmocka_run_group_tests_name("schema", own, NULL, NULL);
	failures += _cmocka_run_group_tests("json-schema-test-suite", suite, n ? n : 1, NULL, NULL);
	printf("# json-schema-test-suite (draft-07): %zu tests ran, %zu passed, %zu failed, %zu skipped\n",
	       suite_ran, suite_ran - (suite_failed > suite_ran ? suite_ran : suite_failed), suite_failed,
	       suite_skipped);
	free(suite);
	free(files);
	return failures;
}
