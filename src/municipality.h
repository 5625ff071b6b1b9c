/*
 * municipality.h - the nine municipalities of Kyustendil province: the slug
 * used in records and the Bulgarian name shown to users.
 */
#ifndef CIVIC_MUNICIPALITY_H
#define CIVIC_MUNICIPALITY_H

#include <stddef.h>

typedef struct {
	const char *slug;  /* "sapareva-banya" */
	const char *name;  /* "Сапарева баня" */
} civic_municipality;

/* All nine, in Bulgarian alphabetical order; terminated by { NULL, NULL }. */
extern const civic_municipality civic_municipalities[];

/* Finds one by slug or by Bulgarian name (Cyrillic letters matched without
 * regard to case, "сапарева баня" works). NULL when none matches; no error
 * text is set, the caller knows what the input was for. */
const civic_municipality *civic_municipality_find(const char *slug_or_name);

/* Whether text is exactly one of the nine slugs (not a Bulgarian name):
 * what stored configs and roster entries must hold. */
int civic_municipality_is_slug(const char *text);

/* Bulgarian name for a slug, or the slug itself when it is unknown. */
const char *civic_municipality_name(const char *slug);

#endif
