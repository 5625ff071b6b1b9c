/*
 * schema.c - a JSON Schema (draft-07) validator over jansson.
 *
 * civic_schema_from_json() turns the schema document into a graph of
 * schema_node: one node per schema value, found through the keywords that
 * hold schemas. Nodes are memoised by the address of their jansson value,
 * so a definition used by ten $refs is compiled once and a $ref back to an
 * enclosing schema is just an edge of the graph. $refs are resolved after the
 * walk, from a queue, so a long chain of definitions costs no stack.
 *
 * civic_schema_validate() walks the instance and the graph together and
 * stops at the first error. Branches that may fail without the whole failing
 * (anyOf, oneOf, not, if, contains, propertyNames) run "quiet", without
 * formatting messages. Some failures are fatal rather than "invalid": a
 * recursion that never ends, or a pattern that exceeds PCRE2's match limit.
 * They abort the whole validation even under `not`, so they fail closed.
 */
#include "schema.h"

#include "buf.h"
#include "error.h"
#include "schema_format.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <libintl.h>
#include <pcre2.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Nested validate calls on the stack. Each instance level (at most
 * CIVIC_SCHEMA_MAX_DEPTH) may take a few schema steps ($ref, allOf, ...);
 * a schema that loops without consuming the instance hits this quickly.
 */
#define MAX_CALL_DEPTH 512

/* PCRE2 match limits: patterns in records are simple; hostile input must not backtrack for minutes. */
#define REGEX_MATCH_LIMIT 1000000
#define REGEX_HEAP_LIMIT_KIB 4096

#define NO_LIMIT SIZE_MAX

/* Instance types, as bits of schema_node.types. */
enum {
	TYPE_NULL = 1 << 0,
	TYPE_BOOLEAN = 1 << 1,
	TYPE_OBJECT = 1 << 2,
	TYPE_ARRAY = 1 << 3,
	TYPE_NUMBER = 1 << 4,
	TYPE_STRING = 1 << 5,
	TYPE_INTEGER = 1 << 6,
};

static const struct {
	const char *name;
	unsigned bit;
} type_names[] = {
	{ "null", TYPE_NULL }, { "boolean", TYPE_BOOLEAN }, { "object", TYPE_OBJECT },
	{ "array", TYPE_ARRAY }, { "number", TYPE_NUMBER }, { "string", TYPE_STRING },
	{ "integer", TYPE_INTEGER },
};

enum { FORMAT_NONE, FORMAT_DATE, FORMAT_DATE_TIME };

typedef struct schema_node schema_node;

typedef struct {
	schema_node **items;
	size_t count;
} node_list;

typedef struct {
	pcre2_code *code;
	const char *source; /* the pattern, borrowed from the document */
	schema_node *schema;
} pattern_property;

typedef struct {
	const char *name; /* borrowed from the document */
	size_t name_len;
	schema_node *schema;    /* the schema form, or NULL */
	const json_t *required; /* the array form, or NULL */
} dependency;

struct schema_node {
	int boolean;          /* 1 or 0 for the schemas true and false; -1 for an object */
	const char *ref_text; /* $ref as written, borrowed */
	schema_node *ref;     /* its target: draft-07 ignores the siblings of $ref */
	size_t ref_walk;      /* which cycle-check walk last passed here, 0 for none */

	int has_type;
	unsigned types;
	const json_t *type_json;
	const json_t *enum_values, *const_value;

	const json_t *minimum, *maximum, *exclusive_minimum, *exclusive_maximum, *multiple_of;

	size_t min_length, max_length;
	pcre2_code *pattern;
	const char *pattern_source;
	int format;

	int items_is_list;
	schema_node *items;
	node_list item_list;
	schema_node *additional_items, *contains;
	size_t min_items, max_items;
	int unique_items;

	json_t *property_index; /* name -> index in properties; owned */
	node_list properties;
	pattern_property *pattern_properties;
	size_t n_pattern_properties;
	schema_node *additional_properties, *property_names;
	const json_t *required;
	dependency *dependencies;
	size_t n_dependencies;
	size_t min_properties, max_properties;

	node_list all_of, any_of, one_of;
	schema_node *not_schema, *if_schema, *then_schema, *else_schema;
};

struct civic_schema {
	char *name;
	json_t *root;
	schema_node **nodes; /* every node, owned */
	size_t n_nodes, a_nodes;
	schema_node *start;
	pcre2_match_context *match_context;
};

/*------------------------------------------------------------------------
 * Numbers and JSON equality (draft-07: 1 and 1.0 are the same value)
 *
 * No libm here: the library links only what pkg-config lists.
 */

#define TWO_POW_53 9007199254740992.0
#define TWO_POW_63 9223372036854775808.0

static double abs_double(double d)
{
	return d < 0 ? -d : d;
}

static int is_integral(double d)
{
	if (d != d || abs_double(d) > 1.7976931348623157e308)
		return 0;
	/* every double at or beyond 2^53 is a whole number */
	if (abs_double(d) >= TWO_POW_53)
		return 1;
	return d == (double)(long long)d;
}

/* Compares an integer with a double exactly, without rounding the integer. */
static int compare_int_real(json_int_t i, double d)
{
	long long whole;
	double fraction;

	if (d >= TWO_POW_63)
		return -1;
	if (d < -TWO_POW_63)
		return 1;
	whole = (long long)d; /* truncates toward zero */
	if (i != whole)
		return i < whole ? -1 : 1;
	fraction = d - (double)whole;
	return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
}

/* <0, 0, >0 like strcmp, for two jansson numbers. */
static int compare_numbers(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);
		return x < y ? -1 : x > y;
	}
	if (json_is_real(a) && json_is_real(b)) {
		double x = json_real_value(a), y = json_real_value(b);
		return x < y ? -1 : x > y;
	}
	if (json_is_integer(a))
		return compare_int_real(json_integer_value(a), json_real_value(b));
	return -compare_int_real(json_integer_value(b), json_real_value(a));
}

/* Depth is bounded by the callers: instances and documents were depth-checked. */
static int values_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return compare_numbers(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	case JSON_ARRAY: {
		size_t i, n = json_array_size(a);
		if (n != json_array_size(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!values_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	case JSON_OBJECT: {
		const char *key;
		size_t key_len;
		json_t *value;
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach((json_t *)a, key, key_len, value) {
			const json_t *other = json_object_getn(b, key, key_len);
			if (!other || !values_equal(value, other))
				return 0;
		}
		return 1;
	}
	default:
		return 1; /* true, false, null */
	}
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return mix64(h ^ len);
}

/* A hash that agrees with values_equal(): equal numbers hash alike whatever their type. */
static uint64_t hash_value(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		return mix64((uint64_t)json_integer_value(v));
	case JSON_REAL: {
		double d = json_real_value(v);
		uint64_t bits;
		if (is_integral(d) && d >= -TWO_POW_63 && d < TWO_POW_63)
			return mix64((uint64_t)(long long)d);
		memcpy(&bits, &d, sizeof bits);
		return mix64(bits ^ 0x5555);
	}
	case JSON_STRING:
		return hash_bytes(json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		uint64_t h = 0xa11a7;
		size_t i;
		for (i = 0; i < json_array_size(v); i++)
			h = mix64(h ^ hash_value(json_array_get(v, i)));
		return h;
	}
	case JSON_OBJECT: {
		uint64_t h = 0x0b1ec7;
		const char *key;
		size_t key_len;
		json_t *value;
		/* a sum, because members have no order */
		json_object_keylen_foreach((json_t *)v, key, key_len, value)
			h += mix64(hash_bytes(key, key_len) ^ hash_value(value));
		return h;
	}
	case JSON_TRUE:
		return 1;
	case JSON_FALSE:
		return 2;
	default:
		return 3;
	}
}

/* Whether a value nests more than CIVIC_SCHEMA_MAX_DEPTH arrays and objects. */
static int too_deep(const json_t *v, int depth)
{
	size_t i;
	const char *key;
	json_t *child;

	if (!json_is_array(v) && !json_is_object(v))
		return 0;
	if (depth >= CIVIC_SCHEMA_MAX_DEPTH)
		return 1;
	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			if (too_deep(child, depth + 1))
				return 1;
		return 0;
	}
	json_object_foreach((json_t *)v, key, child)
		if (too_deep(child, depth + 1))
			return 1;
	return 0;
}

/* Writes a number the short way ("1.5", not "1.5000000000000000") for messages. */
static void format_number(char *out, size_t size, const json_t *v)
{
	int precision;

	if (json_is_integer(v)) {
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	}
	for (precision = 1; precision < 17; precision++) {
		snprintf(out, size, "%.*g", precision, json_real_value(v));
		if (strtod(out, NULL) == json_real_value(v))
			return;
	}
	snprintf(out, size, "%.17g", json_real_value(v));
}

/* Cuts s at most max bytes long without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Writes a JSON value compactly for messages, shortened with "..." past ~200 bytes. */
static void format_json(char *out, size_t size, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t len, cut;

	if (!text) {
		snprintf(out, size, "...");
		return;
	}
	len = strlen(text);
	cut = utf8_cut(text, len, 200);
	snprintf(out, size, "%.*s%s", (int)cut, text, cut < len ? "..." : "");
	free(text);
}

/* Drops an incomplete UTF-8 sequence that snprintf() left at the end of s. */
static void trim_partial_utf8(char *s)
{
	size_t n = strlen(s), start = n, need;
	unsigned char lead;

	while (start > 0 && ((unsigned char)s[start - 1] & 0xc0) == 0x80)
		start--;
	if (start == 0)
		return;
	lead = (unsigned char)s[start - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (n - (start - 1) < need)
		s[start - 1] = '\0';
}

/*
 * Sets the error text from a line that may quote names from the document or
 * the instance: keep it one line of valid UTF-8.
 */
static void set_message(char *line)
{
	size_t i;

	trim_partial_utf8(line);
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	civic_error_set(CIVIC_ERROR_SCHEMA, "%s", line);
}

/*------------------------------------------------------------------------
 * Compiling
 */

typedef struct {
	schema_node *node;
	const json_t *target;
	const char *pointer; /* the $ref without its '#', for messages */
} pending_ref;

typedef struct {
	civic_schema *schema;
	json_t *memo;        /* "%p" of a schema value -> index in schema->nodes */
	json_t *ref_holders; /* "%p/member" of object members that lead to a $ref target */
	pending_ref *pending;
	size_t n_pending, a_pending;
	pcre2_compile_context *regex_context;
	const json_t *current; /* the schema object whose keyword is being compiled */
	civic_buf path; /* JSON pointer, in the document, of what is being compiled */
} compiler;

typedef int (*keyword_fn)(compiler *c, schema_node *node, const json_t *value);

static int compile_schema(schema_node **out, compiler *c, const json_t *json);

static int compile_error(compiler *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int compile_error(compiler *c, const char *fmt, ...)
{
	char text[384], line[sizeof civic_error_last()->message];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, dgettext("civic", fmt), ap);
	va_end(ap);
	snprintf(line, sizeof line, dgettext("civic", "schema '%s': at '%s': %s"), c->schema->name,
		 c->path.ptr, text);
	set_message(line);
	return CIVIC_EINVALID;
}

/* Appends one member name or index to the path, escaped as RFC 6901 says; returns the old length. */
static size_t path_push(compiler *c, const char *segment, size_t len)
{
	size_t saved = c->path.size, i;

	civic_buf_putc(&c->path, '/');
	for (i = 0; i < len; i++) {
		if (segment[i] == '~')
			civic_buf_puts(&c->path, "~0");
		else if (segment[i] == '/')
			civic_buf_puts(&c->path, "~1");
		else
			civic_buf_putc(&c->path, segment[i]);
	}
	return saved;
}

static size_t path_push_index(compiler *c, size_t index)
{
	char digits[32];
	int n = snprintf(digits, sizeof digits, "%zu", index);

	return path_push(c, digits, (size_t)n);
}

static void path_pop(compiler *c, size_t saved)
{
	civic_buf_truncate(&c->path, saved);
}

/* jansson objects serve as the hash tables; these make their keys. */
static int pointer_key(char *out, size_t size, const void *p)
{
	int n = snprintf(out, size, "%p", p);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

static int holder_key(civic_buf *out, const json_t *object, const char *member, size_t len)
{
	civic_buf_clear(out);
	civic_buf_printf(out, "%p/", (const void *)object);
	civic_buf_put(out, member, len);
	return civic_buf_oom(out) ? CIVIC_ERROR : 0;
}

static int add_node(schema_node **out, compiler *c, const json_t *json)
{
	civic_schema *s = c->schema;
	schema_node *node;
	char key[32];

	if (s->n_nodes == s->a_nodes) {
		size_t want = s->a_nodes ? s->a_nodes * 2 : 32;
		schema_node **grown = realloc(s->nodes, want * sizeof *grown);
		CIVIC_ERROR_CHECK_ALLOC(grown);
		s->nodes = grown;
		s->a_nodes = want;
	}
	node = calloc(1, sizeof *node);
	CIVIC_ERROR_CHECK_ALLOC(node);
	s->nodes[s->n_nodes] = node;
	node->boolean = -1;
	node->max_length = node->max_items = node->max_properties = NO_LIMIT;
	if (pointer_key(key, sizeof key, json) < 0 ||
	    json_object_set_new(c->memo, key, json_integer((json_int_t)s->n_nodes)) < 0)
		return civic_error_nomem();
	s->n_nodes++;
	*out = node;
	return 0;
}

static schema_node *memo_get(compiler *c, const json_t *json)
{
	char key[32];
	json_t *index;

	if (pointer_key(key, sizeof key, json) < 0 || !(index = json_object_get(c->memo, key)))
		return NULL;
	return c->schema->nodes[json_integer_value(index)];
}

/* A non-negative integer keyword (minLength, maxItems, ...); 1.0 counts, as draft-07 allows. */
static int get_count(compiler *c, const json_t *value, size_t *out)
{
	if (json_is_integer(value) && json_integer_value(value) >= 0) {
		json_int_t v = json_integer_value(value);
		*out = (unsigned long long)v > SIZE_MAX ? NO_LIMIT : (size_t)v;
		return 0;
	}
	if (json_is_real(value) && json_real_value(value) >= 0 && is_integral(json_real_value(value))) {
		double d = json_real_value(value);
		*out = d >= 18446744073709551615.0 ? NO_LIMIT : (size_t)d;
		return 0;
	}
	return compile_error(c, "must be a non-negative integer");
}

static int get_schema_list(compiler *c, const json_t *value, node_list *out)
{
	size_t i, saved;
	int error;

	if (!json_is_array(value) || json_array_size(value) == 0)
		return compile_error(c, "must be a non-empty array of schemas");
	out->items = calloc(json_array_size(value), sizeof *out->items);
	CIVIC_ERROR_CHECK_ALLOC(out->items);
	out->count = json_array_size(value);
	for (i = 0; i < out->count; i++) {
		saved = path_push_index(c, i);
		error = compile_schema(&out->items[i], c, json_array_get(value, i));
		path_pop(c, saved);
		if (error < 0)
			return error;
	}
	return 0;
}

static int compile_regex(pcre2_code **out, compiler *c, const char *source, size_t len)
{
	/*
	 * Closer to ECMA-262 than PCRE2's defaults: '$' only at the very end
	 * (PCRE2 would also match before a final newline, so "^[0-9a-f]{64}$"
	 * would accept a hash followed by "\n"), \uXXXX escapes, and '.' not
	 * matching line terminators. \C could split a UTF-8 character: refused.
	 */
	uint32_t options = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX | PCRE2_NEVER_BACKSLASH_C;
	PCRE2_UCHAR message[160];
	PCRE2_SIZE offset;
	int code;

	*out = pcre2_compile((PCRE2_SPTR)source, len, options, &code, &offset, c->regex_context);
	if (*out)
		return 0;
	if (code == PCRE2_ERROR_NOMEMORY)
		return civic_error_nomem();
	pcre2_get_error_message(code, message, sizeof message);
	return compile_error(c, "invalid pattern '%s': %s at offset %zu", source,
			     (const char *)message, (size_t)offset);
}

/*------------------------------------------------------------------------
 * Resolving $ref: "#" and "#/json/pointer" (RFC 6901 inside an RFC 3986 fragment)
 */

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int percent_decode(civic_buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] != '%') {
			civic_buf_putc(out, s[i]);
			continue;
		}
		if (i + 2 >= len)
			return -1;
		hi = hex_digit(s[i + 1]);
		lo = hex_digit(s[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		civic_buf_putc(out, (char)(hi * 16 + lo));
		i += 2;
	}
	return 0;
}

/* Undoes "~1" and "~0" in one pointer segment, in place; returns the new length or -1. */
static long unescape_segment(char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '~') {
			s[o++] = s[i];
			continue;
		}
		if (i + 1 == len || (s[i + 1] != '0' && s[i + 1] != '1'))
			return -1;
		s[o++] = s[i + 1] == '0' ? '~' : '/';
		i++;
	}
	return (long)o;
}

/* An array index as RFC 6901 writes it: digits, no leading zero. */
static int parse_index(const char *s, size_t len, size_t *out)
{
	size_t i, v = 0;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (SIZE_MAX - 9) / 10)
			return -1;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

typedef enum { REF_OK, REF_NOT_LOCAL, REF_NOT_POINTER, REF_UNRESOLVED, REF_NOMEM } ref_status;

/*
 * Walks a $ref from the document root. When holders is set, records every
 * object member the walk passes through, so that a member holding a $ref
 * target ("#/my~0defs/x") is not mistaken for an unknown keyword.
 */
static ref_status resolve_ref(const json_t **out, const json_t *root, const char *ref, json_t *holders)
{
	civic_buf pointer = CIVIC_BUF_INIT, key = CIVIC_BUF_INIT;
	const json_t *at = root;
	ref_status status = REF_OK;
	size_t start = 1;

	if (ref[0] != '#')
		return REF_NOT_LOCAL;
	if (percent_decode(&pointer, ref + 1, strlen(ref + 1)) < 0) {
		status = REF_NOT_POINTER;
		goto done;
	}
	if (pointer.size > 0 && pointer.ptr[0] != '/') {
		status = REF_NOT_POINTER;
		goto done;
	}
	while (status == REF_OK && start <= pointer.size && pointer.size > 0) {
		char *segment = pointer.ptr + start;
		char *slash = memchr(segment, '/', pointer.size - start);
		size_t raw = slash ? (size_t)(slash - segment) : pointer.size - start;
		long len = unescape_segment(segment, raw);
		size_t index;

		start += raw + 1;
		if (len < 0)
			status = REF_NOT_POINTER;
		else if (json_is_object(at)) {
			if (holders && (holder_key(&key, at, segment, (size_t)len) < 0 ||
					json_object_setn_new(holders, key.ptr, key.size, json_true()) < 0))
				status = REF_NOMEM;
			at = json_object_getn(at, segment, (size_t)len);
		} else if (json_is_array(at) && parse_index(segment, (size_t)len, &index) == 0)
			at = json_array_get(at, index);
		else
			at = NULL;
		if (status == REF_OK && !at)
			status = REF_UNRESOLVED;
	}
	if (civic_buf_oom(&pointer))
		status = REF_NOMEM;
done:
	if (status == REF_OK)
		*out = at;
	civic_buf_dispose(&pointer);
	civic_buf_dispose(&key);
	return status;
}

/* Before compiling: which object members lead to $ref targets (see resolve_ref). */
static int collect_ref_holders(compiler *c, const json_t *v)
{
	const char *key;
	json_t *child;
	size_t i;
	const json_t *ignored;

	if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			if (collect_ref_holders(c, child) < 0)
				return CIVIC_ERROR;
		return 0;
	}
	if (!json_is_object(v))
		return 0;
	child = json_object_get(v, "$ref");
	if (json_is_string(child) &&
	    resolve_ref(&ignored, c->schema->root, json_string_value(child), c->ref_holders) == REF_NOMEM)
		return civic_error_nomem();
	json_object_foreach((json_t *)v, key, child)
		if (collect_ref_holders(c, child) < 0)
			return CIVIC_ERROR;
	return 0;
}

static int queue_ref(compiler *c, schema_node *node, const json_t *target, const char *ref)
{
	if (c->n_pending == c->a_pending) {
		size_t want = c->a_pending ? c->a_pending * 2 : 16;
		pending_ref *grown = realloc(c->pending, want * sizeof *grown);
		CIVIC_ERROR_CHECK_ALLOC(grown);
		c->pending = grown;
		c->a_pending = want;
	}
	c->pending[c->n_pending].node = node;
	c->pending[c->n_pending].target = target;
	c->pending[c->n_pending].pointer = ref + 1;
	c->n_pending++;
	return 0;
}

/* Compiles the $ref targets the walk did not reach, until no $ref is left unresolved. */
static int resolve_pending(compiler *c)
{
	size_t i;
	int error;

	for (i = 0; i < c->n_pending; i++) {
		pending_ref ref = c->pending[i];
		schema_node *target = memo_get(c, ref.target);

		if (!target) {
			civic_buf_clear(&c->path);
			civic_buf_puts(&c->path, ref.pointer);
			if ((error = compile_schema(&target, c, ref.target)) < 0)
				return error;
		}
		ref.node->ref = target;
	}
	return 0;
}

/*
 * A chain of $refs that comes back to itself ({"$ref": "#"} at the root)
 * would make validation loop without consuming the instance: refuse it now.
 * Each walk stamps the nodes it passes; meeting its own stamp is a cycle,
 * meeting an older one means the rest of the chain is known to end.
 */
static int check_ref_cycles(compiler *c)
{
	civic_schema *s = c->schema;
	size_t i;

	for (i = 0; i < s->n_nodes; i++) {
		schema_node *p;
		for (p = s->nodes[i]; p->ref && p->ref_walk == 0; p = p->ref)
			p->ref_walk = i + 1;
		if (p->ref && p->ref_walk == i + 1) {
			civic_buf_clear(&c->path);
			return compile_error(c, "$ref '%s' is part of a cycle of $refs", p->ref_text);
		}
	}
	return 0;
}

/*------------------------------------------------------------------------
 * Keywords, one function each
 */

static int kw_schema_uri(compiler *c, schema_node *node, const json_t *value)
{
	const char *uri = json_string_value(value);

	(void)node;
	/* other drafts give the same keywords other meanings (items in 2020-12) */
	if (!uri || (strcmp(uri, "http://json-schema.org/draft-07/schema#") != 0 &&
		     strcmp(uri, "http://json-schema.org/draft-07/schema") != 0))
		return compile_error(c, "'$schema' must be draft-07 (http://json-schema.org/draft-07/schema#)");
	return 0;
}

static int kw_id(compiler *c, schema_node *node, const json_t *value)
{
	const char *id = json_string_value(value);

	(void)node;
	if (!id)
		return compile_error(c, "must be a string");
	/*
	 * Below the root, an $id other than a plain "#name" changes the base URI
	 * that $refs resolve against; we only resolve against the document.
	 */
	if (c->current != c->schema->root && id[0] != '#')
		return compile_error(c, "'$id' '%s' below the root changes the base uri; not supported", id);
	return 0;
}

static int kw_ref(compiler *c, schema_node *node, const json_t *value)
{
	const char *ref = json_string_value(value);
	const json_t *target = NULL;

	if (!ref)
		return compile_error(c, "must be a string");
	node->ref_text = ref;
	switch (resolve_ref(&target, c->schema->root, ref, NULL)) {
	case REF_OK:
		return queue_ref(c, node, target, ref);
	case REF_NOT_LOCAL:
		return compile_error(c, "remote $ref '%s' is not supported; only refs within the document", ref);
	case REF_NOT_POINTER:
		return compile_error(c, "$ref '%s' is not '#' or a JSON pointer fragment", ref);
	case REF_UNRESOLVED:
		return compile_error(c, "$ref '%s' does not resolve within the document", ref);
	default:
		return civic_error_nomem();
	}
}

static int kw_definitions(compiler *c, schema_node *node, const json_t *value)
{
	const char *key;
	size_t key_len, saved;
	json_t *child;
	schema_node *ignored;
	int error;

	(void)node;
	if (!json_is_object(value))
		return compile_error(c, "must be an object of schemas");
	/* compiled although only $refs use them, so a broken definition is caught early */
	json_object_keylen_foreach((json_t *)value, key, key_len, child) {
		saved = path_push(c, key, key_len);
		error = compile_schema(&ignored, c, child);
		path_pop(c, saved);
		if (error < 0)
			return error;
	}
	return 0;
}

static int type_bit(const json_t *name, unsigned *out)
{
	size_t i;

	for (i = 0; json_is_string(name) && i < sizeof type_names / sizeof type_names[0]; i++) {
		if (strcmp(json_string_value(name), type_names[i].name) == 0) {
			*out = type_names[i].bit;
			return 0;
		}
	}
	return -1;
}

static int kw_type(compiler *c, schema_node *node, const json_t *value)
{
	size_t i;
	json_t *name;
	unsigned bit;

	node->has_type = 1;
	node->type_json = value;
	if (json_is_string(value)) {
		if (type_bit(value, &bit) < 0)
			return compile_error(c, "unknown type '%s'", json_string_value(value));
		node->types = bit;
		return 0;
	}
	if (!json_is_array(value))
		return compile_error(c, "must be a type name or an array of type names");
	json_array_foreach(value, i, name) {
		if (type_bit(name, &bit) < 0)
			return compile_error(c, "must be an array of type names");
		if (node->types & bit)
			return compile_error(c, "lists type '%s' twice", json_string_value(name));
		node->types |= bit;
	}
	return 0;
}

static int kw_enum(compiler *c, schema_node *node, const json_t *value)
{
	if (!json_is_array(value))
		return compile_error(c, "must be an array");
	node->enum_values = value;
	return 0;
}

static int kw_const(compiler *c, schema_node *node, const json_t *value)
{
	(void)c;
	node->const_value = value;
	return 0;
}

static int get_number(compiler *c, const json_t *value, const json_t **out)
{
	if (!json_is_number(value))
		return compile_error(c, "must be a number");
	*out = value;
	return 0;
}

static int kw_minimum(compiler *c, schema_node *node, const json_t *value)
{
	return get_number(c, value, &node->minimum);
}

static int kw_maximum(compiler *c, schema_node *node, const json_t *value)
{
	return get_number(c, value, &node->maximum);
}

static int kw_exclusive_minimum(compiler *c, schema_node *node, const json_t *value)
{
	return get_number(c, value, &node->exclusive_minimum);
}

static int kw_exclusive_maximum(compiler *c, schema_node *node, const json_t *value)
{
	return get_number(c, value, &node->exclusive_maximum);
}

static int kw_multiple_of(compiler *c, schema_node *node, const json_t *value)
{
	if (!json_is_number(value) || json_number_value(value) <= 0)
		return compile_error(c, "must be a number greater than 0");
	node->multiple_of = value;
	return 0;
}

static int kw_min_length(compiler *c, schema_node *node, const json_t *value)
{
	return get_count(c, value, &node->min_length);
}

static int kw_max_length(compiler *c, schema_node *node, const json_t *value)
{
	return get_count(c, value, &node->max_length);
}

static int kw_pattern(compiler *c, schema_node *node, const json_t *value)
{
	if (!json_is_string(value))
		return compile_error(c, "must be a string");
	node->pattern_source = json_string_value(value);
	return compile_regex(&node->pattern, c, node->pattern_source, json_string_length(value));
}

static int kw_format(compiler *c, schema_node *node, const json_t *value)
{
	if (!json_is_string(value))
		return compile_error(c, "must be a string");
	/* other formats are annotations in draft-07 */
	if (strcmp(json_string_value(value), "date") == 0)
		node->format = FORMAT_DATE;
	else if (strcmp(json_string_value(value), "date-time") == 0)
		node->format = FORMAT_DATE_TIME;
	return 0;
}

static int kw_items(compiler *c, schema_node *node, const json_t *value)
{
	if (json_is_array(value)) {
		node->items_is_list = 1;
		/* an empty list is allowed: then every item is an "additional" one */
		if (json_array_size(value) == 0)
			return 0;
		return get_schema_list(c, value, &node->item_list);
	}
	return compile_schema(&node->items, c, value);
}

static int kw_additional_items(compiler *c, schema_node *node, const json_t *value)
{
	return compile_schema(&node->additional_items, c, value);
}

static int kw_contains(compiler *c, schema_node *node, const json_t *value)
{
	return compile_schema(&node->contains, c, value);
}

static int kw_min_items(compiler *c, schema_node *node, const json_t *value)
{
	return get_count(c, value, &node->min_items);
}

static int kw_max_items(compiler *c, schema_node *node, const json_t *value)
{
	return get_count(c, value, &node->max_items);
}

static int kw_unique_items(compiler *c, schema_node *node, const json_t *value)
{
	if (!json_is_boolean(value))
		return compile_error(c, "must be a boolean");
	node->unique_items = json_is_true(value);
	return 0;
}

static int kw_properties(compiler *c, schema_node *node, const json_t *value)
{
	const char *key;
	size_t key_len, saved, i = 0;
	json_t *child;
	int error;

	if (!json_is_object(value))
		return compile_error(c, "must be an object of schemas");
	node->property_index = json_object();
	node->properties.items = calloc(json_object_size(value) + 1, sizeof *node->properties.items);
	if (!node->property_index || !node->properties.items)
		return civic_error_nomem();
	node->properties.count = json_object_size(value);
	json_object_keylen_foreach((json_t *)value, key, key_len, child) {
		if (json_object_setn_new_nocheck(node->property_index, key, key_len,
						 json_integer((json_int_t)i)) < 0)
			return civic_error_nomem();
		saved = path_push(c, key, key_len);
		error = compile_schema(&node->properties.items[i++], c, child);
		path_pop(c, saved);
		if (error < 0)
			return error;
	}
	return 0;
}

static int kw_pattern_properties(compiler *c, schema_node *node, const json_t *value)
{
	const char *key;
	size_t key_len, saved, i = 0;
	json_t *child;
	int error = 0;

	if (!json_is_object(value))
		return compile_error(c, "must be an object of schemas");
	node->pattern_properties = calloc(json_object_size(value) + 1, sizeof *node->pattern_properties);
	CIVIC_ERROR_CHECK_ALLOC(node->pattern_properties);
	json_object_keylen_foreach((json_t *)value, key, key_len, child) {
		pattern_property *p = &node->pattern_properties[i++];
		node->n_pattern_properties = i;
		p->source = key;
		saved = path_push(c, key, key_len);
		if ((error = compile_regex(&p->code, c, key, key_len)) == 0)
			error = compile_schema(&p->schema, c, child);
		path_pop(c, saved);
		if (error < 0)
			return error;
	}
	return 0;
}

static int kw_min_properties(compiler *c, schema_node *node, const json_t *value)
{
	return get_count(c, value, &node->min_properties);
}

static int kw_max_properties(compiler *c, schema_node *node, const json_t *value)
{
	return get_count(c, value, &node->max_properties);
}

static int kw_additional_properties(compiler *c, schema_node *node, const json_t *value)
{
	return compile_schema(&node->additional_properties, c, value);
}

static int kw_property_names(compiler *c, schema_node *node, const json_t *value)
{
	return compile_schema(&node->property_names, c, value);
}

static int is_string_array(const json_t *value)
{
	size_t i;
	json_t *item;

	if (!json_is_array(value))
		return 0;
	json_array_foreach(value, i, item)
		if (!json_is_string(item))
			return 0;
	return 1;
}

static int kw_required(compiler *c, schema_node *node, const json_t *value)
{
	if (!is_string_array(value))
		return compile_error(c, "must be an array of strings");
	node->required = value;
	return 0;
}

static int kw_dependencies(compiler *c, schema_node *node, const json_t *value)
{
	const char *key;
	size_t key_len, saved;
	json_t *child;
	int error = 0;

	if (!json_is_object(value))
		return compile_error(c, "must be an object");
	node->dependencies = calloc(json_object_size(value) + 1, sizeof *node->dependencies);
	CIVIC_ERROR_CHECK_ALLOC(node->dependencies);
	json_object_keylen_foreach((json_t *)value, key, key_len, child) {
		dependency *d = &node->dependencies[node->n_dependencies++];
		d->name = key;
		d->name_len = key_len;
		saved = path_push(c, key, key_len);
		if (json_is_array(child) && is_string_array(child))
			d->required = child;
		else if (json_is_array(child))
			error = compile_error(c, "must be a schema or an array of strings");
		else
			error = compile_schema(&d->schema, c, child);
		path_pop(c, saved);
		if (error < 0)
			return error;
	}
	return 0;
}

static int kw_all_of(compiler *c, schema_node *node, const json_t *value)
{
	return get_schema_list(c, value, &node->all_of);
}

static int kw_any_of(compiler *c, schema_node *node, const json_t *value)
{
	return get_schema_list(c, value, &node->any_of);
}

static int kw_one_of(compiler *c, schema_node *node, const json_t *value)
{
	return get_schema_list(c, value, &node->one_of);
}

static int kw_not(compiler *c, schema_node *node, const json_t *value)
{
	return compile_schema(&node->not_schema, c, value);
}

static int kw_if(compiler *c, schema_node *node, const json_t *value)
{
	return compile_schema(&node->if_schema, c, value);
}

static int kw_then(compiler *c, schema_node *node, const json_t *value)
{
	return compile_schema(&node->then_schema, c, value);
}

static int kw_else(compiler *c, schema_node *node, const json_t *value)
{
	return compile_schema(&node->else_schema, c, value);
}


/* Every keyword we know; a NULL function marks an annotation, accepted and ignored. */
static const struct {
	const char *name;
	keyword_fn compile;
} keywords[] = {
	{ "$schema", kw_schema_uri },
	{ "$id", kw_id },
	{ "$ref", kw_ref },
	{ "$comment", NULL },
	{ "title", NULL },
	{ "description", NULL },
	{ "default", NULL },
	{ "examples", NULL },
	{ "readOnly", NULL },
	{ "writeOnly", NULL },
	{ "contentMediaType", NULL },
	{ "contentEncoding", NULL },
	{ "definitions", kw_definitions },
	{ "type", kw_type },
	{ "enum", kw_enum },
	{ "const", kw_const },
	{ "multipleOf", kw_multiple_of },
	{ "maximum", kw_maximum },
	{ "exclusiveMaximum", kw_exclusive_maximum },
	{ "minimum", kw_minimum },
	{ "exclusiveMinimum", kw_exclusive_minimum },
	{ "maxLength", kw_max_length },
	{ "minLength", kw_min_length },
	{ "pattern", kw_pattern },
	{ "format", kw_format },
	{ "items", kw_items },
	{ "additionalItems", kw_additional_items },
	{ "maxItems", kw_max_items },
	{ "minItems", kw_min_items },
	{ "uniqueItems", kw_unique_items },
	{ "contains", kw_contains },
	{ "maxProperties", kw_max_properties },
	{ "minProperties", kw_min_properties },
	{ "required", kw_required },
	{ "properties", kw_properties },
	{ "patternProperties", kw_pattern_properties },
	{ "additionalProperties", kw_additional_properties },
	{ "dependencies", kw_dependencies },
	{ "propertyNames", kw_property_names },
	{ "if", kw_if },
	{ "then", kw_then },
	{ "else", kw_else },
	{ "allOf", kw_all_of },
	{ "anyOf", kw_any_of },
	{ "oneOf", kw_one_of },
	{ "not", kw_not },
};

/* Index in keywords[], or -1; len guards against a member name with a NUL inside. */
static int find_keyword(const char *name, size_t len)
{
	size_t i;

	if (strlen(name) != len)
		return -1;
	for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strcmp(keywords[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int compile_keywords(compiler *c, schema_node *node, const json_t *json)
{
	civic_buf holder = CIVIC_BUF_INIT;
	const char *key;
	size_t key_len, saved;
	json_t *value;
	int error = 0, k;

	json_object_keylen_foreach((json_t *)json, key, key_len, value) {
		if ((k = find_keyword(key, key_len)) < 0) {
			/* a member that only holds $ref targets is a container, not a keyword */
			if ((error = holder_key(&holder, json, key, key_len)) < 0)
				break;
			if (json_object_getn(c->ref_holders, holder.ptr, holder.size))
				continue;
			error = compile_error(c, "unsupported keyword '%s'", key);
			break;
		}
		if (!keywords[k].compile)
			continue;
		c->current = json;
		saved = path_push(c, key, key_len);
		error = keywords[k].compile(c, node, value);
		path_pop(c, saved);
		if (error < 0)
			break;
	}
	civic_buf_dispose(&holder);
	return error;
}

/* Compiles one schema value, or finds it compiled already (a $ref target, a shared subtree). */
static int compile_schema(schema_node **out, compiler *c, const json_t *json)
{
	schema_node *node = memo_get(c, json);
	int error;

	if (node) {
		*out = node;
		return 0;
	}
	if (!json_is_object(json) && !json_is_boolean(json))
		return compile_error(c, "a schema must be an object or a boolean");
	if ((error = add_node(&node, c, json)) < 0)
		return error;
	*out = node;
	if (json_is_boolean(json)) {
		node->boolean = json_is_true(json);
		return 0;
	}
	return compile_keywords(c, node, json);
}

static void node_free(schema_node *node)
{
	size_t i;

	pcre2_code_free(node->pattern);
	for (i = 0; i < node->n_pattern_properties; i++)
		pcre2_code_free(node->pattern_properties[i].code);
	free(node->pattern_properties);
	free(node->dependencies);
	free(node->item_list.items);
	free(node->properties.items);
	json_decref(node->property_index);
	free(node->all_of.items);
	free(node->any_of.items);
	free(node->one_of.items);
	free(node);
}

void civic_schema_free(civic_schema *schema)
{
	size_t i;

	if (!schema)
		return;
	for (i = 0; i < schema->n_nodes; i++)
		node_free(schema->nodes[i]);
	free(schema->nodes);
	free(schema->name);
	json_decref(schema->root);
	pcre2_match_context_free(schema->match_context);
	free(schema);
}

static int compiler_init(compiler *c, civic_schema *schema)
{
	memset(c, 0, sizeof *c);
	c->schema = schema;
	civic_buf_init(&c->path);
	c->memo = json_object();
	c->ref_holders = json_object();
	c->regex_context = pcre2_compile_context_create(NULL);
	schema->match_context = pcre2_match_context_create(NULL);
	if (!c->memo || !c->ref_holders || !c->regex_context || !schema->match_context)
		return civic_error_nomem();
	/* ECMA-262 line terminators include U+2028 and U+2029; PCRE2's ANY is the closest set */
	pcre2_set_newline(c->regex_context, PCRE2_NEWLINE_ANY);
	pcre2_set_match_limit(schema->match_context, REGEX_MATCH_LIMIT);
	pcre2_set_heap_limit(schema->match_context, REGEX_HEAP_LIMIT_KIB);
	return 0;
}

static void compiler_dispose(compiler *c)
{
	json_decref(c->memo);
	json_decref(c->ref_holders);
	pcre2_compile_context_free(c->regex_context);
	free(c->pending);
	civic_buf_dispose(&c->path);
}

int civic_schema_from_json(civic_schema **out, const char *name, json_t *root)
{
	civic_schema *schema = NULL;
	compiler c;
	int error;

	CIVIC_ASSERT_ARG(out);
	*out = NULL;
	CIVIC_ASSERT_ARG(name);
	CIVIC_ASSERT_ARG(root);
	if (too_deep(root, 0)) {
		civic_error_set(CIVIC_ERROR_SCHEMA, "schema '%s' nests deeper than %d arrays and objects",
				name, CIVIC_SCHEMA_MAX_DEPTH);
		return CIVIC_EINVALID;
	}
	schema = calloc(1, sizeof *schema);
	CIVIC_ERROR_CHECK_ALLOC(schema);
	schema->root = json_incref(root);
	schema->name = strdup(name);
	if ((error = compiler_init(&c, schema)) < 0)
		goto done;
	if (!schema->name) {
		error = civic_error_nomem();
		goto done;
	}
	if ((error = collect_ref_holders(&c, root)) < 0 ||
	    (error = compile_schema(&schema->start, &c, root)) < 0 ||
	    (error = resolve_pending(&c)) < 0 ||
	    (error = check_ref_cycles(&c)) < 0)
		goto done;
	if (civic_buf_oom(&c.path)) {
		error = civic_error_nomem();
		goto done;
	}
	*out = schema;
	schema = NULL;
done:
	compiler_dispose(&c);
	civic_schema_free(schema);
	return error;
}

int civic_schema_compile(civic_schema **out, const char *name, const char *text, size_t len)
{
	json_error_t json_error;
	json_t *root;
	int error;

	CIVIC_ASSERT_ARG(out);
	*out = NULL;
	CIVIC_ASSERT_ARG(name);
	CIVIC_ASSERT_ARG(text || len == 0);
	if (len > CIVIC_SCHEMA_MAX_SIZE) {
		civic_error_set(CIVIC_ERROR_SCHEMA, "schema '%s' is larger than %d bytes", name,
				CIVIC_SCHEMA_MAX_SIZE);
		return CIVIC_EINVALID;
	}
	/* duplicate keys are refused: which of the two would a reader believe? */
	root = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &json_error);
	if (!root) {
		civic_error_set(CIVIC_ERROR_SCHEMA, "schema '%s' is not valid JSON: %s at line %d column %d",
				name, json_error.text, json_error.line, json_error.column);
		return CIVIC_EINVALID;
	}
	error = civic_schema_from_json(out, name, root);
	json_decref(root);
	return error;
}

int civic_schema_supports_keyword(const char *keyword)
{
	return keyword && find_keyword(keyword, strlen(keyword)) >= 0;
}

/*------------------------------------------------------------------------
 * Validating
 */

#define INVALID 1 /* validate_* return 0 (valid), INVALID, or a negative (fatal) code */

typedef struct {
	const char *key; /* NULL for an array index */
	size_t key_len;
	size_t index;
} path_segment;

typedef struct {
	const civic_schema *schema;
	pcre2_match_data *match;
	int quiet; /* > 0 inside branches whose failure is not an error */
	int depth; /* validate_node() calls on the stack */
	size_t path_len;
	path_segment path[CIVIC_SCHEMA_MAX_DEPTH + 1];
} validator;

static int validate_node(validator *v, const schema_node *node, const json_t *inst);

/* The too_deep() check before validating keeps path_len within path[]; the guard is for safety. */
static void push_key(validator *v, const char *key, size_t key_len)
{
	if (v->path_len < sizeof v->path / sizeof v->path[0]) {
		v->path[v->path_len].key = key;
		v->path[v->path_len].key_len = key_len;
	}
	v->path_len++;
}

static void push_index(validator *v, size_t index)
{
	if (v->path_len < sizeof v->path / sizeof v->path[0]) {
		v->path[v->path_len].key = NULL;
		v->path[v->path_len].index = index;
	}
	v->path_len++;
}

static void pop(validator *v)
{
	v->path_len--;
}

static void format_instance_path(civic_buf *out, const validator *v)
{
	size_t i, j, n = v->path_len;

	if (n > sizeof v->path / sizeof v->path[0])
		n = sizeof v->path / sizeof v->path[0];
	for (i = 0; i < n; i++) {
		const path_segment *s = &v->path[i];
		if (!s->key) {
			civic_buf_printf(out, "/%zu", s->index);
			continue;
		}
		civic_buf_putc(out, '/');
		for (j = 0; j < s->key_len; j++) {
			if (s->key[j] == '~')
				civic_buf_puts(out, "~0");
			else if (s->key[j] == '/')
				civic_buf_puts(out, "~1");
			else
				civic_buf_putc(out, s->key[j]);
		}
	}
}

/* Sets the one-line message: "at '<pointer>': <text>". */
static void report(const validator *v, const char *text)
{
	civic_buf path = CIVIC_BUF_INIT;
	char line[sizeof civic_error_last()->message];
	size_t start = 0;

	format_instance_path(&path, v);
	/* keep the end of a long pointer: the innermost names say most */
	if (path.size > 160) {
		start = path.size - 160;
		while (start < path.size && ((unsigned char)path.ptr[start] & 0xc0) == 0x80)
			start++;
	}
	snprintf(line, sizeof line, dgettext("civic", "at '%s%s': %s"), start ? "..." : "",
		 path.ptr + start, text);
	set_message(line);
	civic_buf_dispose(&path);
}

static int fail(validator *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fatal(validator *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(validator *v, const char *fmt, ...)
{
	char text[sizeof civic_error_last()->message];
	va_list ap;

	if (v->quiet)
		return INVALID;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, dgettext("civic", fmt), ap);
	va_end(ap);
	report(v, text);
	return INVALID;
}

static int fatal(validator *v, const char *fmt, ...)
{
	char text[sizeof civic_error_last()->message];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, dgettext("civic", fmt), ap);
	va_end(ap);
	report(v, text);
	return CIVIC_EINVALID;
}

/* How much of a name from the instance goes into a message. */
static int shown(const char *s, size_t len)
{
	return (int)utf8_cut(s, len, 120);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* 1 when the pattern matches somewhere in s, 0 when not, negative when PCRE2 gave up. */
static int search(validator *v, const pcre2_code *code, const char *source, const char *s, size_t len)
{
	PCRE2_UCHAR message[160];
	int rc = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, v->match, v->schema->match_context);

	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_NOMEMORY)
		return civic_error_nomem();
	/* the match limit, invalid UTF-8: neither means "no match", so fail closed */
	pcre2_get_error_message(rc, message, sizeof message);
	return fatal(v, "cannot match pattern '%s': %s", source, (const char *)message);
}

static unsigned instance_type(const json_t *inst)
{
	switch (json_typeof(inst)) {
	case JSON_OBJECT:
		return TYPE_OBJECT;
	case JSON_ARRAY:
		return TYPE_ARRAY;
	case JSON_STRING:
		return TYPE_STRING;
	case JSON_INTEGER:
		return TYPE_NUMBER | TYPE_INTEGER;
	case JSON_REAL:
		/* draft-07: 1.0 is an integer */
		return TYPE_NUMBER | (is_integral(json_real_value(inst)) ? TYPE_INTEGER : 0);
	case JSON_TRUE:
	case JSON_FALSE:
		return TYPE_BOOLEAN;
	default:
		return TYPE_NULL;
	}
}

static int check_type(validator *v, const schema_node *node, const json_t *inst)
{
	char names[160] = "";
	size_t i, used = 0;
	json_t *name;

	if (!node->has_type || (instance_type(inst) & node->types))
		return 0;
	if (json_is_string(node->type_json))
		return fail(v, "is not of type '%s'", json_string_value(node->type_json));
	json_array_foreach(node->type_json, i, name) {
		int n = snprintf(names + used, sizeof names - used, "%s'%s'", i ? " or " : "",
				 json_string_value(name));
		if (n < 0 || (size_t)n >= sizeof names - used)
			break;
		used += (size_t)n;
	}
	return fail(v, "is not of type %s", names);
}

static int check_values(validator *v, const schema_node *node, const json_t *inst)
{
	char text[256];
	size_t i;
	json_t *allowed;

	if (node->const_value && !values_equal(inst, node->const_value)) {
		format_json(text, sizeof text, node->const_value);
		return fail(v, "must equal %s", text);
	}
	if (!node->enum_values)
		return 0;
	json_array_foreach(node->enum_values, i, allowed)
		if (values_equal(inst, allowed))
			return 0;
	format_json(text, sizeof text, node->enum_values);
	return fail(v, "must be one of %s", text);
}

/* Unicode code points, as JSON Schema counts string length; jansson strings are valid UTF-8. */
static size_t utf8_length(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int check_string(validator *v, const schema_node *node, const json_t *inst)
{
	const char *s = json_string_value(inst);
	size_t len = json_string_length(inst);
	int rc;

	if (node->min_length > 0 || node->max_length != NO_LIMIT) {
		size_t n = utf8_length(s, len);
		if (n < node->min_length)
			return fail(v, "must be at least %zu character%s long", node->min_length,
				    plural(node->min_length));
		if (n > node->max_length)
			return fail(v, "must be at most %zu character%s long", node->max_length,
				    plural(node->max_length));
	}
	if (node->pattern) {
		if ((rc = search(v, node->pattern, node->pattern_source, s, len)) < 0)
			return rc;
		if (rc == 0)
			return fail(v, "does not match pattern '%s'", node->pattern_source);
	}
	if (node->format == FORMAT_DATE && !civic_schema__is_date(s, len))
		return fail(v, "is not a valid RFC 3339 date");
	if (node->format == FORMAT_DATE_TIME && !civic_schema__is_date_time(s, len))
		return fail(v, "is not a valid RFC 3339 date-time");
	return 0;
}

static int is_multiple(const json_t *x, const json_t *divisor)
{
	double q, nearest;

	if (json_is_integer(x) && json_is_integer(divisor))
		return json_integer_value(x) % json_integer_value(divisor) == 0;
	q = json_number_value(x) / json_number_value(divisor);
	if (q != q || abs_double(q) > 1.7976931348623157e308)
		return 0;
	if (abs_double(q) >= TWO_POW_53)
		return 1;
	/* 4.5 / 1.5 may come out as 3.0000000000000004: allow for rounding */
	nearest = (double)(long long)(q < 0 ? q - 0.5 : q + 0.5);
	return abs_double(q - nearest) < 1e-9;
}

static int check_number(validator *v, const schema_node *node, const json_t *inst)
{
	char limit[64];

	if (node->minimum && compare_numbers(inst, node->minimum) < 0) {
		format_number(limit, sizeof limit, node->minimum);
		return fail(v, "must be >= %s", limit);
	}
	if (node->maximum && compare_numbers(inst, node->maximum) > 0) {
		format_number(limit, sizeof limit, node->maximum);
		return fail(v, "must be <= %s", limit);
	}
	if (node->exclusive_minimum && compare_numbers(inst, node->exclusive_minimum) <= 0) {
		format_number(limit, sizeof limit, node->exclusive_minimum);
		return fail(v, "must be > %s", limit);
	}
	if (node->exclusive_maximum && compare_numbers(inst, node->exclusive_maximum) >= 0) {
		format_number(limit, sizeof limit, node->exclusive_maximum);
		return fail(v, "must be < %s", limit);
	}
	if (node->multiple_of && !is_multiple(inst, node->multiple_of)) {
		format_number(limit, sizeof limit, node->multiple_of);
		return fail(v, "must be a multiple of %s", limit);
	}
	return 0;
}

typedef struct {
	uint64_t hash;
	size_t index;
} item_hash;

static int compare_item_hashes(const void *a, const void *b)
{
	const item_hash *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorting by hash and comparing neighbours keeps a long array from costing n^2 comparisons. */
static int check_unique(validator *v, const json_t *inst)
{
	size_t n = json_array_size(inst), i, j;
	item_hash *hashes;

	if (n < 2)
		return 0;
	hashes = calloc(n, sizeof *hashes);
	CIVIC_ERROR_CHECK_ALLOC(hashes);
	for (i = 0; i < n; i++) {
		hashes[i].hash = hash_value(json_array_get(inst, i));
		hashes[i].index = i;
	}
	qsort(hashes, n, sizeof *hashes, compare_item_hashes);
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n && hashes[j].hash == hashes[i].hash; j++) {
			size_t a = hashes[i].index, b = hashes[j].index;
			if (values_equal(json_array_get(inst, a), json_array_get(inst, b))) {
				free(hashes);
				return fail(v, "items %zu and %zu are equal", a, b);
			}
		}
	}
	free(hashes);
	return 0;
}

static const schema_node *item_schema(const schema_node *node, size_t i)
{
	if (!node->items_is_list)
		return node->items;
	if (i < node->item_list.count)
		return node->item_list.items[i];
	return node->additional_items;
}

static int check_contains(validator *v, const schema_node *node, const json_t *inst)
{
	size_t i;
	int error = INVALID;

	v->quiet++;
	for (i = 0; i < json_array_size(inst) && error > 0; i++) {
		push_index(v, i);
		error = validate_node(v, node->contains, json_array_get(inst, i));
		pop(v);
	}
	v->quiet--;
	if (error > 0)
		return fail(v, "does not contain a matching item");
	return error;
}

static int check_array(validator *v, const schema_node *node, const json_t *inst)
{
	size_t n = json_array_size(inst), i;
	int error;

	if (n < node->min_items)
		return fail(v, "must have at least %zu item%s", node->min_items, plural(node->min_items));
	if (n > node->max_items)
		return fail(v, "must have at most %zu item%s", node->max_items, plural(node->max_items));
	if (node->items_is_list && node->additional_items && node->additional_items->boolean == 0 &&
	    n > node->item_list.count)
		return fail(v, "must have at most %zu item%s", node->item_list.count,
			    plural(node->item_list.count));
	if (node->unique_items && (error = check_unique(v, inst)) != 0)
		return error;
	for (i = 0; i < n; i++) {
		const schema_node *item = item_schema(node, i);
		if (!item)
			continue;
		push_index(v, i);
		error = validate_node(v, item, json_array_get(inst, i));
		pop(v);
		if (error)
			return error;
	}
	if (node->contains)
		return check_contains(v, node, inst);
	return 0;
}

static int check_required(validator *v, const schema_node *node, const json_t *inst)
{
	size_t i;
	json_t *name;

	json_array_foreach(node->required, i, name)
		if (!json_object_getn(inst, json_string_value(name), json_string_length(name)))
			return fail(v, "missing required property '%s'", json_string_value(name));
	return 0;
}

static int check_property_name(validator *v, const schema_node *node, const char *key, size_t key_len)
{
	json_t *name = json_stringn_nocheck(key, key_len);
	int error;

	CIVIC_ERROR_CHECK_ALLOC(name);
	v->quiet++;
	error = validate_node(v, node->property_names, name);
	v->quiet--;
	json_decref(name);
	if (error > 0)
		return fail(v, "invalid property name '%.*s'", shown(key, key_len), key);
	return error;
}

/* Validates one member against properties and patternProperties; sets *matched when any applied. */
static int check_declared(validator *v, const schema_node *node, const char *key, size_t key_len,
			  const json_t *value, int *matched)
{
	json_t *index = node->property_index ? json_object_getn(node->property_index, key, key_len) : NULL;
	size_t i;
	int error, rc;

	if (index) {
		*matched = 1;
		if ((error = validate_node(v, node->properties.items[json_integer_value(index)], value)) != 0)
			return error;
	}
	for (i = 0; i < node->n_pattern_properties; i++) {
		const pattern_property *p = &node->pattern_properties[i];
		if ((rc = search(v, p->code, p->source, key, key_len)) <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		*matched = 1;
		if ((error = validate_node(v, p->schema, value)) != 0)
			return error;
	}
	return 0;
}

static int check_member(validator *v, const schema_node *node, const char *key, size_t key_len,
			const json_t *value)
{
	int error, matched = 0;

	if (node->property_names && (error = check_property_name(v, node, key, key_len)) != 0)
		return error;
	push_key(v, key, key_len);
	error = check_declared(v, node, key, key_len, value, &matched);
	if (!error && !matched && node->additional_properties) {
		if (node->additional_properties->boolean == 0) {
			/* reported at the object: the member is the problem, not its value */
			pop(v);
			return fail(v, "unknown property '%.*s'", shown(key, key_len), key);
		}
		error = validate_node(v, node->additional_properties, value);
	}
	pop(v);
	return error;
}

static int check_dependencies(validator *v, const schema_node *node, const json_t *inst)
{
	size_t i, j;
	json_t *name;
	int error;

	for (i = 0; i < node->n_dependencies; i++) {
		const dependency *d = &node->dependencies[i];
		if (!json_object_getn(inst, d->name, d->name_len))
			continue;
		if (d->schema && (error = validate_node(v, d->schema, inst)) != 0)
			return error;
		if (!d->required)
			continue;
		json_array_foreach(d->required, j, name)
			if (!json_object_getn(inst, json_string_value(name), json_string_length(name)))
				return fail(v, "property '%.*s' requires property '%s'",
					    shown(d->name, d->name_len), d->name, json_string_value(name));
	}
	return 0;
}

static int check_object(validator *v, const schema_node *node, const json_t *inst)
{
	size_t n = json_object_size(inst), key_len;
	const char *key;
	json_t *value;
	int error;

	if (n < node->min_properties)
		return fail(v, "must have at least %zu propert%s", node->min_properties,
			    node->min_properties == 1 ? "y" : "ies");
	if (n > node->max_properties)
		return fail(v, "must have at most %zu propert%s", node->max_properties,
			    node->max_properties == 1 ? "y" : "ies");
	if (node->required && (error = check_required(v, node, inst)) != 0)
		return error;
	json_object_keylen_foreach((json_t *)inst, key, key_len, value)
		if ((error = check_member(v, node, key, key_len, value)) != 0)
			return error;
	if (node->n_dependencies)
		return check_dependencies(v, node, inst);
	return 0;
}

static int check_any_of(validator *v, const schema_node *node, const json_t *inst)
{
	size_t i;
	int error = INVALID;

	v->quiet++;
	for (i = 0; i < node->any_of.count && error > 0; i++)
		error = validate_node(v, node->any_of.items[i], inst);
	v->quiet--;
	if (error > 0)
		return fail(v, "does not match any schema in 'anyOf'");
	return error;
}

static int check_one_of(validator *v, const schema_node *node, const json_t *inst)
{
	size_t i, first = SIZE_MAX, second = SIZE_MAX;
	int error = 0;

	v->quiet++;
	for (i = 0; i < node->one_of.count && second == SIZE_MAX; i++) {
		if ((error = validate_node(v, node->one_of.items[i], inst)) < 0)
			break;
		if (error == 0 && first == SIZE_MAX)
			first = i;
		else if (error == 0)
			second = i;
	}
	v->quiet--;
	if (error < 0)
		return error;
	if (first == SIZE_MAX)
		return fail(v, "does not match any schema in 'oneOf'");
	if (second != SIZE_MAX)
		return fail(v, "matches more than one schema in 'oneOf' (%zu and %zu)", first, second);
	return 0;
}

static int check_not(validator *v, const schema_node *node, const json_t *inst)
{
	int error;

	v->quiet++;
	error = validate_node(v, node->not_schema, inst);
	v->quiet--;
	if (error == 0)
		return fail(v, "must not match the schema in 'not'");
	return error < 0 ? error : 0;
}

static int check_if(validator *v, const schema_node *node, const json_t *inst)
{
	const schema_node *branch;
	int error;

	v->quiet++;
	error = validate_node(v, node->if_schema, inst);
	v->quiet--;
	if (error < 0)
		return error;
	branch = error == 0 ? node->then_schema : node->else_schema;
	return branch ? validate_node(v, branch, inst) : 0;
}

static int check_combinators(validator *v, const schema_node *node, const json_t *inst)
{
	size_t i;
	int error;

	for (i = 0; i < node->all_of.count; i++)
		if ((error = validate_node(v, node->all_of.items[i], inst)) != 0)
			return error;
	if (node->any_of.count && (error = check_any_of(v, node, inst)) != 0)
		return error;
	if (node->one_of.count && (error = check_one_of(v, node, inst)) != 0)
		return error;
	if (node->not_schema && (error = check_not(v, node, inst)) != 0)
		return error;
	if (node->if_schema)
		return check_if(v, node, inst);
	return 0;
}

static int check_keywords(validator *v, const schema_node *node, const json_t *inst)
{
	int error;

	if (node->boolean >= 0)
		return node->boolean ? 0 : fail(v, "is not allowed");
	if (node->ref)
		return validate_node(v, node->ref, inst);
	if ((error = check_type(v, node, inst)) != 0 || (error = check_values(v, node, inst)) != 0)
		return error;
	switch (json_typeof(inst)) {
	case JSON_OBJECT:
		error = check_object(v, node, inst);
		break;
	case JSON_ARRAY:
		error = check_array(v, node, inst);
		break;
	case JSON_STRING:
		error = check_string(v, node, inst);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		error = check_number(v, node, inst);
		break;
	default:
		break;
	}
	if (error)
		return error;
	return check_combinators(v, node, inst);
}

static int validate_node(validator *v, const schema_node *node, const json_t *inst)
{
	int error;

	if (v->depth >= MAX_CALL_DEPTH)
		return fatal(v, "schema recursion is deeper than %d levels", MAX_CALL_DEPTH);
	v->depth++;
	error = check_keywords(v, node, inst);
	v->depth--;
	return error;
}

int civic_schema_validate(const civic_schema *schema, const json_t *instance)
{
	validator v;
	int error;

	CIVIC_ASSERT_ARG(schema);
	CIVIC_ASSERT_ARG(instance);
	/* checked first, so that every recursion below (paths, equality, hashing) is bounded */
	if (too_deep(instance, 0)) {
		civic_error_set(CIVIC_ERROR_SCHEMA, "at '': nests deeper than %d arrays and objects",
				CIVIC_SCHEMA_MAX_DEPTH);
		return CIVIC_EINVALID;
	}
	memset(&v, 0, sizeof v);
	v.schema = schema;
	/* one slot is enough: we ask whether a pattern matches, not where */
	v.match = pcre2_match_data_create(1, NULL);
	CIVIC_ERROR_CHECK_ALLOC(v.match);
	error = validate_node(&v, schema->start, instance);
	pcre2_match_data_free(v.match);
	return error > 0 ? CIVIC_EINVALID : error;
}
