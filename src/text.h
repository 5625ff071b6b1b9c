/*
 * text.h - checks on short human-readable texts that end up in commits and
 * output: organization and network names, reasons.
 */
#ifndef CIVIC_TEXT_H
#define CIVIC_TEXT_H

#include <stddef.h>

/* A name: valid UTF-8, 1 to max_bytes bytes, no control characters, no
 * '<' or '>' (they would break a git author line). Sets the error, naming
 * `what`, and returns CIVIC_EINVALID when not. */
int civic_text_check_name(const char *text, size_t max_bytes, const char *what);

/* Whether text is valid UTF-8 (no overlong forms, no surrogates). */
int civic_text_is_utf8(const char *text);

#endif
