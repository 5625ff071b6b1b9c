/*
 * sshwire.h - reading and writing the SSH wire encoding (RFC 4251 section 5):
 * uint32 big-endian, and strings as a uint32 length and that many bytes.
 * Used by key.c (OpenSSH key files) and sign.c (SSHSIG). Header-only and
 * inline: signature verification runs these on its hot path.
 */
#ifndef CIVIC_SSHWIRE_H
#define CIVIC_SSHWIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A view into bytes being read; reading advances it. */
typedef struct {
	const uint8_t *p;
	size_t len;
} civic_wire_reader;

/* Bytes written into a fixed buffer. The callers size every buffer for the
 * largest input they accept; an overflow marks len > cap, which the caller's
 * final length check catches. */
typedef struct {
	uint8_t *p;
	size_t len, cap;
} civic_wire_writer;

/* 0, or -1 (no message: the caller knows what was being read). */
static inline int civic_wire_u32(civic_wire_reader *r, uint32_t *v)
{
	if (r->len < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->len -= 4;
	return 0;
}

static inline int civic_wire_string(civic_wire_reader *r, civic_wire_reader *s)
{
	uint32_t n;

	if (civic_wire_u32(r, &n) < 0 || n > r->len)
		return -1;
	s->p = r->p;
	s->len = n;
	r->p += n;
	r->len -= n;
	return 0;
}

/* Whether s holds exactly the len bytes of want. */
static inline int civic_wire_is(const civic_wire_reader *s, const void *want, size_t len)
{
	return s->len == len && memcmp(s->p, want, len) == 0;
}

static inline void civic_wire_put(civic_wire_writer *w, const void *data, size_t len)
{
	if (w->len > w->cap || len > w->cap - w->len) {
		w->len = w->cap + 1;
		return;
	}
	memcpy(w->p + w->len, data, len);
	w->len += len;
}

static inline void civic_wire_put_u32(civic_wire_writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	civic_wire_put(w, b, sizeof b);
}

static inline void civic_wire_put_string(civic_wire_writer *w, const void *data, size_t len)
{
	civic_wire_put_u32(w, (uint32_t)len);
	civic_wire_put(w, data, len);
}

#endif
