/* oidset.c - a set of object ids; see oidset.h. */
#include "oidset.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

struct civic_oidset {
	git_oid *slots;
	unsigned char *used;
	size_t size, count; /* size: a power of two, at least twice count */
};

int civic_oidset_new(civic_oidset **out)
{
	civic_oidset *s = calloc(1, sizeof *s);

	*out = NULL;
	CIVIC_ERROR_CHECK_ALLOC(s);
	*out = s;
	return 0;
}

/* SHA-1 ids are uniformly spread: their first bytes are a hash already. */
static size_t slot_of(const civic_oidset *s, const git_oid *id)
{
	size_t h, i;

	memcpy(&h, id->id, sizeof h);
	for (i = h & (s->size - 1); s->used[i] && !git_oid_equal(&s->slots[i], id); i = (i + 1) & (s->size - 1))
		;
	return i;
}

static int grow(civic_oidset *s)
{
	civic_oidset bigger = { NULL, NULL, s->size ? s->size * 2 : 1024, 0 };
	size_t i;

	if (!(bigger.slots = malloc(bigger.size * sizeof *bigger.slots)) ||
	    !(bigger.used = calloc(bigger.size, 1))) {
		free(bigger.slots);
		return civic_error_nomem();
	}
	for (i = 0; i < s->size; i++)
		if (s->used[i]) {
			size_t j = slot_of(&bigger, &s->slots[i]);
			bigger.slots[j] = s->slots[i];
			bigger.used[j] = 1;
		}
	free(s->slots);
	free(s->used);
	s->slots = bigger.slots;
	s->used = bigger.used;
	s->size = bigger.size;
	return 0;
}

int civic_oidset_add(civic_oidset *s, const git_oid *id)
{
	size_t i;
	int error;

	if (2 * (s->count + 1) > s->size && (error = grow(s)) < 0)
		return error;
	i = slot_of(s, id);
	if (!s->used[i]) {
		s->slots[i] = *id;
		s->used[i] = 1;
		s->count++;
	}
	return 0;
}

int civic_oidset_add_all(civic_oidset *s, const civic_oidset *from)
{
	size_t i;
	int error = 0;

	for (i = 0; i < from->size && error == 0; i++)
		if (from->used[i])
			error = civic_oidset_add(s, &from->slots[i]);
	return error;
}

int civic_oidset_has(const civic_oidset *s, const git_oid *id)
{
	return s->size && s->used[slot_of(s, id)];
}

size_t civic_oidset_count(const civic_oidset *s)
{
	return s->count;
}

void civic_oidset_free(civic_oidset *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s->used);
	free(s);
}
