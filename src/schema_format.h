/*
 * schema_format.h - the `format` values the schema validator asserts
 * (private to schema.c).
 *
 * Draft-07 makes formats annotations; civic asserts "date" and "date-time"
 * because record dates are compared and sorted, so a date that does not exist
 * (2015-02-30) must not get into a signed record.
 */
#ifndef CIVIC_SCHEMA_FORMAT_H
#define CIVIC_SCHEMA_FORMAT_H

#include <stddef.h>

/* 1 when s is an RFC 3339 full-date ("2024-02-29") of a real calendar day, else 0. */
int civic_schema__is_date(const char *s, size_t len);

/*
 * 1 when s is an RFC 3339 date-time ("2024-02-29T13:05:00.25+02:00"): a real
 * day, a time zone ("Z" or an offset), "T" and "Z" in either case, and a
 * leap second (:60) only where the time is 23:59 UTC; else 0.
 */
int civic_schema__is_date_time(const char *s, size_t len);

#endif
