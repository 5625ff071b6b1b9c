/*
 * records.h - the verified records of a node as JSON objects, for listing
 * and showing: each with its id, author, standing, and the corrections and
 * retractions that point at it.
 */
#ifndef CIVIC_CLI_RECORDS_H
#define CIVIC_CLI_RECORDS_H

#include <jansson.h>

#include "node.h"
#include "roster.h"

/* Fills *out with an array of objects, by date (see sorted() in records.c):
 *   {"id", "seq", "time", "standing", "author": {"key", "fingerprint", "name",
 *    "municipality", "municipality_name"}, "record": {...},
 *    "retracted_by": [ids], "corrected_by": [ids]}
 * Only records that verify are included; `bad` (may be NULL) receives one
 * string per feed that failed. roster may be NULL. */
int cli_collect_records(json_t **out, json_t *bad, const civic_node *node, const civic_roster *roster);

/* The record's one-line summary field values. */
const char *cli_record_kind(const json_t *entry);
const char *cli_record_title(const json_t *entry);

#endif
