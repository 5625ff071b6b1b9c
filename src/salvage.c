/* salvage.c - whole objects from the front of a broken pack; see salvage.h. */
#include "salvage.h"
#include "error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define READ_BUFFER (64 * 1024)
#define PKT_MAX 65520 /* side-band-64k */

/* A buffered reader over the captured bytes, demultiplexing side-band
 * packets into the pack's own bytes as they are asked for. */
typedef struct {
	FILE *f;
	unsigned char raw[READ_BUFFER];
	size_t raw_pos, raw_len;
	int plain;             /* the pack follows without side-band */
	size_t left;           /* pack bytes left in the current side-band packet */
	int eof;
	unsigned char pack[PKT_MAX];
	size_t pos, len;       /* pack bytes ready */
	uint64_t offset;       /* pack bytes consumed: where the next object starts */
} reader;

static int raw_byte(reader *r)
{
	if (r->raw_pos == r->raw_len) {
		if (r->eof || !(r->raw_len = fread(r->raw, 1, sizeof r->raw, r->f))) {
			r->eof = 1;
			return -1;
		}
		r->raw_pos = 0;
	}
	return r->raw[r->raw_pos++];
}

static int raw_read(reader *r, unsigned char *out, size_t n)
{
	size_t i;
	int c;

	for (i = 0; i < n; i++) {
		if ((c = raw_byte(r)) < 0)
			return -1;
		out[i] = (unsigned char)c;
	}
	return 0;
}

static int hex4(const unsigned char *p)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		int d = p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Up to the next pack bytes: skips acknowledgements, flushes and progress;
 * stops at an error packet or anything that is not a packet. */
static int next_packet(reader *r)
{
	unsigned char head[4], band;
	int n;

	for (;;) {
		if (raw_read(r, head, 4) < 0)
			return -1;
		if (!r->plain && !memcmp(head, "PACK", 4)) {
			/* No side-band: the rest is the pack itself. */
			r->plain = 1;
			memcpy(r->pack, head, 4);
			r->pos = 0;
			r->len = 4;
			return 0;
		}
		if ((n = hex4(head)) < 0)
			return -1;
		if (n < 4)
			continue; /* flush, delimiter */
		n -= 4;
		if (n == 0)
			continue;
		if (raw_read(r, &band, 1) < 0)
			return -1;
		if (band == 1 && n - 1 <= (int)sizeof r->pack) {
			/* The last packet is cut short where the link dropped:
			 * what of it arrived is pack data all the same. */
			size_t got = 0;
			int c;
			while (got < (size_t)n - 1 && (c = raw_byte(r)) >= 0)
				r->pack[got++] = (unsigned char)c;
			r->pos = 0;
			r->len = got;
			if (r->len)
				return 0;
			if (r->eof)
				return -1;
			continue;
		}
		if (band == 3 || (band != 2 && band != 'A' && band != 'N'))
			return -1; /* an error, or not a response civic knows */
		/* Progress (2), or an "ACK ..."/"NAK" line: skip its rest. */
		while (--n > 0)
			if (raw_byte(r) < 0)
				return -1;
	}
}

/* Pack bytes ready to read, at least one: 0; -1 at the end. */
static int fill(reader *r)
{
	if (r->pos < r->len)
		return 0;
	if (r->plain) {
		size_t got;
		/* Bytes the packet reader buffered come first. */
		if (r->raw_pos < r->raw_len) {
			got = r->raw_len - r->raw_pos < sizeof r->pack ? r->raw_len - r->raw_pos : sizeof r->pack;
			memcpy(r->pack, r->raw + r->raw_pos, got);
			r->raw_pos += got;
		} else {
			got = fread(r->pack, 1, sizeof r->pack, r->f);
		}
		r->pos = 0;
		r->len = got;
		return got ? 0 : -1;
	}
	return next_packet(r);
}

static int pack_byte(reader *r)
{
	if (fill(r) < 0)
		return -1;
	r->offset++;
	return r->pack[r->pos++];
}

/* Inflates one object's data: into out (size bytes) when out is given, else
 * discarded (a delta). 0 when the zlib stream ended at exactly size bytes. */
static int inflate_object(reader *r, unsigned char *out, size_t size)
{
	unsigned char sink[4096];
	z_stream z;
	int ret = Z_OK, ok;

	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK)
		return -1;
	while (ret != Z_STREAM_END) {
		if (fill(r) < 0)
			break;
		z.next_in = r->pack + r->pos;
		z.avail_in = (uInt)(r->len - r->pos);
		/* Past `size`, output goes to the sink: too long is refused below. */
		if (out && z.total_out < size) {
			z.next_out = out + z.total_out;
			z.avail_out = (uInt)(size - z.total_out);
		} else {
			z.next_out = sink;
			z.avail_out = sizeof sink;
		}
		ret = inflate(&z, Z_NO_FLUSH);
		r->offset += (r->len - z.avail_in) - r->pos;
		r->pos = r->len - z.avail_in;
		if ((ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR) || z.total_out > size)
			break;
	}
	ok = ret == Z_STREAM_END && z.total_out == size;
	inflateEnd(&z);
	return ok ? 0 : -1;
}

static int read_header(reader *r, int *type, size_t *size)
{
	int c = pack_byte(r), shift = 4;

	if (c < 0)
		return -1;
	*type = (c >> 4) & 7;
	*size = (size_t)c & 15;
	while (c & 0x80) {
		if ((c = pack_byte(r)) < 0 || shift > 56)
			return -1;
		*size |= (size_t)(c & 0x7f) << shift;
		shift += 7;
	}
	return 0;
}

/* The base a delta names: an offset back from the delta (6), or an id (7). */
static int read_delta_base(reader *r, int type, uint64_t *back, git_oid *id)
{
	unsigned char raw[GIT_OID_RAWSZ];
	size_t i;
	int c;

	if (type == 7) {
		for (i = 0; i < sizeof raw; i++) {
			if ((c = pack_byte(r)) < 0)
				return -1;
			raw[i] = (unsigned char)c;
		}
		git_oid_fromraw(id, raw);
		return 0;
	}
	if ((c = pack_byte(r)) < 0)
		return -1;
	*back = (uint64_t)c & 0x7f;
	while (c & 0x80) {
		if ((c = pack_byte(r)) < 0 || *back >= (UINT64_MAX >> 8))
			return -1;
		*back = ((*back + 1) << 7) | ((uint64_t)c & 0x7f);
	}
	return 0;
}

static int delta_size(const unsigned char **p, const unsigned char *end, size_t *out)
{
	int shift = 0, c;

	*out = 0;
	do {
		if (*p == end || shift > 56)
			return -1;
		c = *(*p)++;
		*out |= (size_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	return 0;
}

/* Applies a git delta to base: out (at most max bytes) receives the result. */
static int apply_delta(unsigned char *out, size_t max, size_t *out_len, const unsigned char *base, size_t base_len,
		       const unsigned char *delta, size_t delta_len)
{
	const unsigned char *p = delta, *end = delta + delta_len;
	size_t src, dst, done = 0;

	if (delta_size(&p, end, &src) < 0 || src != base_len || delta_size(&p, end, &dst) < 0 || dst > max)
		return -1;
	while (p < end) {
		unsigned c = *p++;
		if (c & 0x80) {
			size_t off = 0, size = 0;
			int i;
			for (i = 0; i < 4; i++)
				if (c & (1u << i)) {
					if (p == end)
						return -1;
					off |= (size_t)*p++ << (8 * i);
				}
			for (i = 0; i < 3; i++)
				if (c & (0x10u << i)) {
					if (p == end)
						return -1;
					size |= (size_t)*p++ << (8 * i);
				}
			if (size == 0)
				size = 0x10000;
			if (off > base_len || size > base_len - off || size > dst - done)
				return -1;
			memcpy(out + done, base + off, size);
			done += size;
		} else if (c) {
			if (c > (size_t)(end - p) || c > dst - done)
				return -1;
			memcpy(out + done, p, c);
			p += c;
			done += c;
		} else {
			return -1;
		}
	}
	*out_len = done;
	return done == dst ? 0 : -1;
}

/* Where each object written so far began in the pack, for offset deltas. */
typedef struct {
	uint64_t offset;
	git_oid id;
} placed;

static const git_oid *placed_at(const placed *list, size_t n, uint64_t offset)
{
	size_t i;

	for (i = n; i-- > 0;)
		if (list[i].offset == offset)
			return &list[i].id;
	return NULL;
}

/* A delta whose base is held (written before, or in repo already): its
 * object into buf, its type into *type. -1 when the base is not at hand. */
static int resolve_delta(unsigned char *buf, size_t max, size_t *len, git_object_t *type, git_odb *odb,
			 const git_oid *base_id, const unsigned char *delta, size_t delta_len)
{
	git_odb_object *base = NULL;
	git_object_t base_type;
	size_t base_size;
	int ok;

	/* A base the repository holds is size-checked by its header first. */
	if (!base_id || git_odb_read_header(&base_size, &base_type, odb, base_id) < 0 || base_size > max ||
	    git_odb_read(&base, odb, base_id) < 0) {
		git_error_clear();
		return -1;
	}
	*type = git_odb_object_type(base);
	ok = apply_delta(buf, max, len, git_odb_object_data(base), git_odb_object_size(base), delta, delta_len) == 0;
	git_odb_object_free(base);
	return ok ? 0 : -1;
}

static int read_pack_header(reader *r, uint32_t *count)
{
	unsigned char h[12];
	size_t i;
	int c;

	for (i = 0; i < sizeof h; i++) {
		if ((c = pack_byte(r)) < 0)
			return -1;
		h[i] = (unsigned char)c;
	}
	if (memcmp(h, "PACK", 4) || h[4] || h[5] || h[6] || (h[7] != 2 && h[7] != 3))
		return -1;
	*count = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11];
	return 0;
}

int civic_salvage_pack(size_t *written, git_repository *repo, const char *capture_path, size_t max_object)
{
	static const git_object_t types[] = { GIT_OBJECT_INVALID, GIT_OBJECT_COMMIT, GIT_OBJECT_TREE, GIT_OBJECT_BLOB };
	unsigned char *buf = malloc(max_object ? max_object : 1), *delta = malloc(max_object ? max_object : 1);
	reader *r = calloc(1, sizeof *r);
	placed *list = NULL;
	size_t alloc = 0;
	git_odb *odb = NULL;
	uint32_t count = 0, i;
	int error = 0;

	*written = 0;
	if (!buf || !delta || !r) {
		error = civic_error_nomem();
		goto done;
	}
	if (!(r->f = fopen(capture_path, "rb")))
		goto done; /* nothing was captured */
	if ((error = git_repository_odb(&odb, repo)) < 0) {
		error = civic_error_from_git(error, "cannot open the staging repository's objects");
		goto done;
	}
	if (read_pack_header(r, &count) < 0)
		goto done;
	for (i = 0; i < count; i++) {
		uint64_t start = r->offset, back = 0;
		git_object_t type;
		git_oid id, base;
		size_t size, len;
		int t;
		if (read_header(r, &t, &size) < 0 || size > max_object)
			break;
		if (t == 6 || t == 7) {
			const git_oid *base_id = &base;
			if (read_delta_base(r, t, &back, &base) < 0 || inflate_object(r, delta, size) < 0)
				break;
			if (t == 6)
				base_id = back <= start ? placed_at(list, *written, start - back) : NULL;
			/* A delta on what did not arrive is skipped, not an end. */
			if (resolve_delta(buf, max_object, &len, &type, odb, base_id, delta, size) < 0)
				continue;
		} else if (t >= 1 && t <= 3) {
			if (inflate_object(r, buf, size) < 0)
				break;
			type = types[t];
			len = size;
		} else {
			break;
		}
		if ((error = git_odb_write(&id, odb, buf, len, type)) < 0) {
			error = civic_error_from_git(error, "cannot keep what arrived before the link dropped");
			break;
		}
		/* The count in the pack's header is the peer's word: the list
		 * grows with what arrived, not with what was announced. */
		if (*written == alloc) {
			size_t n = alloc ? 2 * alloc : 64;
			placed *p = realloc(list, n * sizeof *list);
			if (!p) {
				error = civic_error_nomem();
				break;
			}
			list = p;
			alloc = n;
		}
		list[*written].offset = start;
		list[*written].id = id;
		(*written)++;
	}
done:
	if (r && r->f)
		fclose(r->f);
	git_odb_free(odb);
	free(list);
	free(r);
	free(delta);
	free(buf);
	return error;
}
