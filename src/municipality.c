/* municipality.c - slugs and Bulgarian names; see municipality.h. */
#include "municipality.h"

#include <stdint.h>
#include <string.h>

const civic_municipality civic_municipalities[] = {
	{ "bobov-dol", "Бобов дол" },
	{ "boboshevo", "Бобошево" },
	{ "dupnitsa", "Дупница" },
	{ "kocherinovo", "Кочериново" },
	{ "kyustendil", "Кюстендил" },
	{ "nevestino", "Невестино" },
	{ "rila", "Рила" },
	{ "sapareva-banya", "Сапарева баня" },
	{ "treklyano", "Трекляно" },
	{ NULL, NULL },
};

/* Reads one UTF-8 code point of the two-byte Cyrillic block, or one byte. */
static uint32_t next_char(const unsigned char **s)
{
	const unsigned char *p = *s;

	if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
		*s += 2;
		return ((uint32_t)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
	}
	*s += 1;
	return p[0];
}

/* Lower case for ASCII and the Cyrillic letters Bulgarian uses. */
static uint32_t fold(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 0x20;
	return c;
}

static int equal_folded(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

	while (*p && *q)
		if (fold(next_char(&p)) != fold(next_char(&q)))
			return 0;
	return *p == *q;
}

const civic_municipality *civic_municipality_find(const char *slug_or_name)
{
	const civic_municipality *m;

	for (m = civic_municipalities; m->slug; m++)
		if (!strcmp(m->slug, slug_or_name) || equal_folded(m->name, slug_or_name))
			return m;
	return NULL;
}

int civic_municipality_is_slug(const char *text)
{
	const civic_municipality *m = text ? civic_municipality_find(text) : NULL;
	return m && !strcmp(m->slug, text);
}

const char *civic_municipality_name(const char *slug)
{
	const civic_municipality *m = civic_municipality_find(slug);
	return m ? m->name : slug;
}
