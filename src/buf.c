/* buf.c - growable byte buffer; see buf.h for its contract. */
#include "buf.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char civic_buf__initbuf[1];

void civic_buf_init(civic_buf *buf)
{
	buf->ptr = civic_buf__initbuf;
	buf->size = buf->asize = 0;
	buf->oom = 0;
}

int civic_buf_grow(civic_buf *buf, size_t target)
{
	size_t want;
	char *p;

	if (buf->oom)
		return CIVIC_ERROR;
	if (target < buf->asize)
		return 0;
	if (__builtin_add_overflow(target, (size_t)1, &want))
		goto fail;
	if (want < buf->asize + buf->asize / 2)
		want = buf->asize + buf->asize / 2;
	if (want < 64)
		want = 64;
	p = realloc(buf->asize ? buf->ptr : NULL, want);
	if (!p)
		goto fail;
	if (!buf->asize)
		p[0] = '\0';
	buf->ptr = p;
	buf->asize = want;
	return 0;
fail:
	buf->oom = 1;
	return civic_error_nomem();
}

int civic_buf_put(civic_buf *buf, const void *data, size_t len)
{
	size_t target;

	if (__builtin_add_overflow(buf->size, len, &target)) {
		buf->oom = 1;
		return civic_error_nomem();
	}
	if (civic_buf_grow(buf, target) < 0)
		return CIVIC_ERROR;
	if (len)
		memmove(buf->ptr + buf->size, data, len);
	buf->size = target;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int civic_buf_puts(civic_buf *buf, const char *str)
{
	return civic_buf_put(buf, str, strlen(str));
}

int civic_buf_putc(civic_buf *buf, char c)
{
	return civic_buf_put(buf, &c, 1);
}

int civic_buf_vprintf(civic_buf *buf, const char *fmt, va_list ap)
{
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0) {
		civic_error_set(CIVIC_ERROR_OS, "cannot format text");
		return CIVIC_ERROR;
	}
	if (civic_buf_grow(buf, buf->size + (size_t)n) < 0)
		return CIVIC_ERROR;
	vsnprintf(buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
	buf->size += (size_t)n;
	return 0;
}

int civic_buf_printf(civic_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = civic_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return error;
}

int civic_buf_oom(const civic_buf *buf)
{
	return buf->oom;
}

void civic_buf_clear(civic_buf *buf)
{
	civic_buf_truncate(buf, 0);
}

void civic_buf_truncate(civic_buf *buf, size_t len)
{
	if (len < buf->size) {
		buf->size = len;
		if (buf->asize)
			buf->ptr[len] = '\0';
	}
}

char *civic_buf_detach(civic_buf *buf)
{
	char *p;

	if (buf->oom) {
		civic_buf_dispose(buf);
		return NULL;
	}
	p = buf->asize ? buf->ptr : calloc(1, 1);
	civic_buf_init(buf);
	return p;
}

void civic_buf_dispose(civic_buf *buf)
{
	if (buf->asize)
		free(buf->ptr);
	civic_buf_init(buf);
}

int civic_buf_read_file(civic_buf *buf, const char *path, size_t max_size)
{
	char chunk[16384];
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is then
	 * refused as not a regular file. Reads of regular files ignore it. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int error = 0;
	struct stat st;

	if (fd < 0) {
		civic_error_set_os("cannot open '%s'", path);
		return errno == ENOENT ? CIVIC_ENOTFOUND : CIVIC_ERROR;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		civic_error_set(CIVIC_ERROR_OS, "'%s' is not a regular file", path);
		close(fd);
		return CIVIC_EINVALID;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			civic_error_set_os("cannot read '%s'", path);
			error = CIVIC_ERROR;
			break;
		}
		if (n == 0)
			break;
		if (buf->size + (size_t)n > max_size) {
			civic_error_set(CIVIC_ERROR_OS, "'%s' is larger than %zu bytes", path, max_size);
			error = CIVIC_EINVALID;
			break;
		}
		if ((error = civic_buf_put(buf, chunk, (size_t)n)) < 0)
			break;
	}
	close(fd);
	return error;
}
