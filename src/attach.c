/* attach.c - the attachment store; see attach.h. */
#include "attach.h"
#include "error.h"
#include "fsutil.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK_SIZE (64 * 1024)

static const struct { const char *ext, *type; } media_types[] = {
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" }, { "png", "image/png" },
	{ "gif", "image/gif" }, { "webp", "image/webp" }, { "tif", "image/tiff" },
	{ "tiff", "image/tiff" }, { "pdf", "application/pdf" }, { "txt", "text/plain" },
	{ "md", "text/markdown" }, { "odt", "application/vnd.oasis.opendocument.text" },
	{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "mp3", "audio/mpeg" }, { "mp4", "video/mp4" }, { "zip", "application/zip" },
};

static const char *media_type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot)
		for (i = 0; i < sizeof media_types / sizeof media_types[0]; i++)
			if (!strcasecmp(dot + 1, media_types[i].ext))
				return media_types[i].type;
	return "application/octet-stream";
}

static int sha256_dir(char *out, size_t size, const char *store_dir)
{
	int n = snprintf(out, size, "%s/sha256", store_dir);
	if (n < 0 || (size_t)n >= size) {
		civic_error_set(CIVIC_ERROR_ATTACH, "path too long: '%s'", store_dir);
		return CIVIC_EINVALID;
	}
	return 0;
}

int civic_attach_path(civic_buf *out, const char *store_dir, const char *sha256_hex)
{
	civic_buf_clear(out);
	return civic_buf_printf(out, "%s/sha256/%s", store_dir, sha256_hex);
}

static int set_name(civic_attachment *out, const char *src_path)
{
	const char *base = strrchr(src_path, '/');
	int n;

	base = base ? base + 1 : src_path;
	n = snprintf(out->name, sizeof out->name, "%s", base);
	if (n <= 0 || (size_t)n >= sizeof out->name) {
		civic_error_set(CIVIC_ERROR_ATTACH, "attachment name '%s' is empty or too long", src_path);
		return CIVIC_EINVALID;
	}
	/* The name goes into a signed JSON record and onto screens. */
	if (civic_text_check_name(out->name, sizeof out->name - 1, "the attachment's name") < 0)
		return CIVIC_EINVALID;
	out->media_type = media_type_of(out->name);
	return 0;
}

/* Reads fd to its end while hashing it, never holding more than one chunk,
 * and copies the bytes to copy_fd unless it is -1. */
static int hash_stream(char out_hex[CIVIC_SHA256_HEX_LEN + 1], uint64_t *out_size,
		       int fd, const char *path, int copy_fd, const char *copy_path)
{
	unsigned char chunk[CHUNK_SIZE], digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	int error;

	crypto_hash_sha256_init(&st);
	*out_size = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			civic_error_set_os("cannot read '%s'", path);
			return CIVIC_ERROR;
		}
		if (n == 0)
			break;
		*out_size += (uint64_t)n;
		if (*out_size > CIVIC_ATTACH_MAX_SIZE) {
			civic_error_set(CIVIC_ERROR_ATTACH, "'%s' is larger than 4 GiB", path);
			return CIVIC_EINVALID;
		}
		crypto_hash_sha256_update(&st, chunk, (unsigned long long)n);
		if (copy_fd >= 0 && (error = civic_fs_write_all(copy_fd, chunk, (size_t)n, copy_path)) < 0)
			return error;
	}
	crypto_hash_sha256_final(&st, digest);
	sodium_bin2hex(out_hex, CIVIC_SHA256_HEX_LEN + 1, digest, sizeof digest);
	return 0;
}

static int open_regular(int *fd, const char *src_path)
{
	struct stat st;

	/* O_NONBLOCK: a FIFO must not block us; it is refused below. */
	if ((*fd = open(src_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		civic_error_set_os("cannot open attachment '%s'", src_path);
		return errno == ENOENT ? CIVIC_ENOTFOUND : CIVIC_ERROR;
	}
	if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		civic_error_set(CIVIC_ERROR_ATTACH, "attachment '%s' is not a regular file", src_path);
		close(*fd);
		*fd = -1;
		return CIVIC_EINVALID;
	}
	return 0;
}

int civic_attach_describe(civic_attachment *out, const char *src_path)
{
	int fd, error;

	memset(out, 0, sizeof *out);
	if ((error = set_name(out, src_path)) < 0 || (error = open_regular(&fd, src_path)) < 0)
		return error;
	error = hash_stream(out->sha256, &out->size, fd, src_path, -1, NULL);
	close(fd);
	return error;
}

int civic_attach_store(civic_attachment *out, const char *store_dir, const char *src_path)
{
	char dir[PATH_MAX], tmp[PATH_MAX] = "";
	civic_buf final = CIVIC_BUF_INIT;
	int fd = -1, tmp_fd = -1, error;

	memset(out, 0, sizeof *out);
	if ((error = set_name(out, src_path)) < 0 || (error = open_regular(&fd, src_path)) < 0)
		return error;
	if ((error = sha256_dir(dir, sizeof dir, store_dir)) < 0 ||
	    (error = civic_fs_mkdir(dir, 0700)) < 0 ||
	    (error = civic_fs_tmpfile(&tmp_fd, tmp, sizeof tmp, dir)) < 0 ||
	    (error = hash_stream(out->sha256, &out->size, fd, src_path, tmp_fd, tmp)) < 0)
		goto done;
	if (fsync(tmp_fd) < 0) {
		civic_error_set_os("cannot sync '%s'", tmp);
		error = CIVIC_ERROR;
		goto done;
	}
	if ((error = civic_attach_path(&final, store_dir, out->sha256)) < 0)
		goto done;
	/* Same hash, same bytes: a second copy simply replaces the first. */
	if (rename(tmp, final.ptr) < 0) {
		civic_error_set_os("cannot store attachment '%s'", final.ptr);
		error = CIVIC_ERROR;
		goto done;
	}
	tmp[0] = '\0';
	error = civic_fs_sync_dir(dir);
done:
	if (tmp_fd >= 0)
		close(tmp_fd);
	if (tmp[0])
		unlink(tmp);
	close(fd);
	civic_buf_dispose(&final);
	return error;
}

int civic_attach_check(civic_attach_state *out, const char *store_dir,
		       const char *sha256_hex, uint64_t size, int rehash)
{
	char actual[CIVIC_SHA256_HEX_LEN + 1];
	uint64_t actual_size;
	civic_buf path = CIVIC_BUF_INIT;
	struct stat st;
	int fd = -1, error;

	*out = CIVIC_ATTACH_MISSING;
	/* The hash becomes a file name: only ever 64 lowercase hex digits. */
	if (strlen(sha256_hex) != CIVIC_SHA256_HEX_LEN ||
	    strspn(sha256_hex, "0123456789abcdef") != CIVIC_SHA256_HEX_LEN) {
		civic_error_set(CIVIC_ERROR_ATTACH, "'%s' is not a SHA-256 hex digest", sha256_hex);
		return CIVIC_EINVALID;
	}
	if ((error = civic_attach_path(&path, store_dir, sha256_hex)) < 0)
		goto done;
	if ((fd = open(path.ptr, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno != ENOENT) {
			civic_error_set_os("cannot open '%s'", path.ptr);
			error = CIVIC_ERROR;
		}
		goto done;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
		*out = CIVIC_ATTACH_CORRUPT;
		goto done;
	}
	*out = CIVIC_ATTACH_PRESENT;
	if (rehash) {
		if ((error = hash_stream(actual, &actual_size, fd, path.ptr, -1, NULL)) < 0)
			goto done;
		if (strcmp(actual, sha256_hex))
			*out = CIVIC_ATTACH_CORRUPT;
	}
done:
	if (fd >= 0)
		close(fd);
	civic_buf_dispose(&path);
	return error;
}

const char *civic_attach_state_name(civic_attach_state state)
{
	switch (state) {
	case CIVIC_ATTACH_PRESENT: return "present";
	case CIVIC_ATTACH_MISSING: return "missing";
	case CIVIC_ATTACH_CORRUPT: return "corrupt";
	}
	return "unknown";
}

/* -------------------------------------------------------------------------
 * Bytes that arrive in pieces
 */

struct civic_attach_writer {
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *store_dir;
	int fd;
	uint64_t size;
	crypto_hash_sha256_state hash;
};

int civic_attach_writer_new(civic_attach_writer **out, const char *store_dir)
{
	civic_attach_writer *w = calloc(1, sizeof *w);
	int error;

	*out = NULL;
	CIVIC_ERROR_CHECK_ALLOC(w);
	w->fd = -1;
	w->store_dir = store_dir;
	if ((error = sha256_dir(w->dir, sizeof w->dir, store_dir)) < 0 ||
	    (error = civic_fs_mkdir(store_dir, 0700)) < 0 || (error = civic_fs_mkdir(w->dir, 0700)) < 0 ||
	    (error = civic_fs_tmpfile(&w->fd, w->tmp, sizeof w->tmp, w->dir)) < 0) {
		civic_attach_writer_free(w);
		return error;
	}
	crypto_hash_sha256_init(&w->hash);
	*out = w;
	return 0;
}

int civic_attach_writer_write(civic_attach_writer *w, const void *data, size_t len)
{
	if (len > CIVIC_ATTACH_MAX_SIZE - w->size) {
		civic_error_set(CIVIC_ERROR_ATTACH, "an attachment larger than 4 GiB");
		return CIVIC_EINVALID;
	}
	w->size += len;
	crypto_hash_sha256_update(&w->hash, data, (unsigned long long)len);
	return civic_fs_write_all(w->fd, data, len, w->tmp);
}

int civic_attach_writer_commit(civic_attach_writer *w, const char *sha256_hex, uint64_t size)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[CIVIC_SHA256_HEX_LEN + 1];
	civic_buf final = CIVIC_BUF_INIT;
	int error = 0;

	crypto_hash_sha256_final(&w->hash, digest);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	if (w->size != size || strcmp(hex, sha256_hex)) {
		civic_error_set(CIVIC_ERROR_ATTACH, "the bytes are not those the record signed (sha256 %.12s…, %llu bytes)",
				sha256_hex, (unsigned long long)size);
		return CIVIC_EBADSIG;
	}
	if (fsync(w->fd) < 0) {
		civic_error_set_os("cannot sync '%s'", w->tmp);
		return CIVIC_ERROR;
	}
	if ((error = civic_attach_path(&final, w->store_dir, hex)) == 0) {
		if (rename(w->tmp, final.ptr) < 0) {
			civic_error_set_os("cannot store attachment '%s'", final.ptr);
			error = CIVIC_ERROR;
		} else {
			w->tmp[0] = '\0';
			error = civic_fs_sync_dir(w->dir);
		}
	}
	civic_buf_dispose(&final);
	return error;
}

void civic_attach_writer_free(civic_attach_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp[0])
		unlink(w->tmp);
	free(w);
}
