/*
 * buf.h - a growable byte buffer, modelled on git's strbuf and libgit2's git_str.
 *
 * Invariants:
 *  - after CIVIC_BUF_INIT, `ptr` is never NULL and always NUL-terminated;
 *  - it may hold NUL bytes: use `size`, not strlen();
 *  - the functions modify the buffer in place and return 0 or CIVIC_ERROR;
 *    once an allocation failed the buffer stays failed (sticky), so a run of
 *    civic_buf_put*() calls can be checked once with civic_buf_oom();
 *  - civic_buf_detach() is the only way to take ownership of the memory;
 *    civic_buf_dispose() frees it and leaves the buffer as after INIT.
 */
#ifndef CIVIC_BUF_H
#define CIVIC_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	char *ptr;
	size_t size;  /* bytes in use, not counting the trailing NUL */
	size_t asize; /* bytes allocated; 0 while ptr points at the static "" */
	int oom;
} civic_buf;

extern char civic_buf__initbuf[];
#define CIVIC_BUF_INIT { civic_buf__initbuf, 0, 0, 0 }

void civic_buf_init(civic_buf *buf);
int civic_buf_grow(civic_buf *buf, size_t target);
int civic_buf_put(civic_buf *buf, const void *data, size_t len);
int civic_buf_puts(civic_buf *buf, const char *str);
int civic_buf_putc(civic_buf *buf, char c);
int civic_buf_printf(civic_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int civic_buf_vprintf(civic_buf *buf, const char *fmt, va_list ap);
int civic_buf_oom(const civic_buf *buf);
void civic_buf_clear(civic_buf *buf);  /* size 0, keeps memory */
void civic_buf_truncate(civic_buf *buf, size_t len);
char *civic_buf_detach(civic_buf *buf); /* caller frees with free(); NULL on OOM */
void civic_buf_dispose(civic_buf *buf);

/* Reads a whole file into buf, refusing one larger than max_size bytes. */
int civic_buf_read_file(civic_buf *buf, const char *path, size_t max_size);

#endif
