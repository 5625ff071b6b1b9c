/* test_salvage.c - whole objects from the front of a broken pack: contract
 * of src/salvage.h.
 *
 * The packs come from stock git (pack-objects, with OFS deltas, REF deltas
 * and a thin pack), and stock git says where each object lies in them
 * (verify-pack -v) and what its base is: that is the oracle the cuts are
 * checked against. The packs are wrapped the way upload-pack sends them
 * (acknowledgements, then side-band-64k packets with progress between, or
 * plain), and cut at every byte. Packs built by hand carry the one defect a
 * test is about (a delta that does not apply, a size that lies, ...). */
#include "helpers.h"
#include "fixtures.h"

#include <git2/sys/mempack.h>
#include <zlib.h>

#include "salvage.h"

#define MAX_OBJECT (1024 * 1024) /* what attach_sync.c passes */
#define SIDEBAND_DATA 65515      /* LARGE_PACKET_MAX 65520, less the length and the band */

static struct {
	char *dir;
	int git;                 /* stock git is there */
	git_repository *src;     /* the repository the git packs were made from */
} g;

/* -------------------------------------------------------------------------
 * Growing byte buffers
 */

typedef struct {
	unsigned char *d;
	size_t len, cap;
} bytes;

static void b_put(bytes *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->d = realloc(b->d, b->cap);
		assert_non_null(b->d);
	}
	if (n)
		memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void b_byte(bytes *b, unsigned c)
{
	unsigned char x = (unsigned char)c;
	b_put(b, &x, 1);
}

static void b_free(bytes *b)
{
	free(b->d);
	memset(b, 0, sizeof *b);
}

static void read_whole(bytes *out, const char *path)
{
	size_t len;
	char *p = fx_read_file(path, &len);

	memset(out, 0, sizeof *out);
	b_put(out, p, len);
	free(p);
}

/* -------------------------------------------------------------------------
 * What upload-pack sends: a capture, and for each of its byte positions how
 * many pack bytes came before it.
 */

typedef struct {
	bytes raw;
	size_t *avail; /* avail[c]: pack bytes among raw[0..c) */
	size_t acap;
	size_t packed;
} capture;

static void cap_put(capture *c, const void *p, size_t n, int pack)
{
	size_t i;

	if (c->raw.len + n + 1 > c->acap) {
		c->acap = (c->raw.len + n + 1) * 2;
		c->avail = realloc(c->avail, c->acap * sizeof *c->avail);
		assert_non_null(c->avail);
	}
	for (i = 0; i < n; i++) {
		c->avail[c->raw.len + i] = c->packed;
		if (pack)
			c->packed++;
	}
	b_put(&c->raw, p, n);
	c->avail[c->raw.len] = c->packed;
}

static void cap_init(capture *c)
{
	memset(c, 0, sizeof *c);
	cap_put(c, NULL, 0, 0);
}

static void cap_free(capture *c)
{
	b_free(&c->raw);
	free(c->avail);
	memset(c, 0, sizeof *c);
}

static void cap_text(capture *c, const char *s)
{
	cap_put(c, s, strlen(s), 0);
}

/* One pkt-line: its 4-hex-digit length (lowercase, as git writes it), then
 * the band (when band >= 0) and the payload. */
static void cap_pkt(capture *c, int band, const void *p, size_t n, int pack)
{
	char head[24];
	unsigned char bb = (unsigned char)band;

	assert_true(n + 4 + (band >= 0) <= 0xffff);
	snprintf(head, sizeof head, "%04zx", n + 4 + (band >= 0));
	cap_put(c, head, 4, 0);
	if (band >= 0)
		cap_put(c, &bb, 1, 0);
	cap_put(c, p, n, pack);
}

static void cap_line(capture *c, const char *line)
{
	cap_pkt(c, -1, line, strlen(line), 0);
}

static void cap_acks(capture *c, size_t acks)
{
	char line[128];
	size_t i;

	for (i = 0; i < acks; i++) {
		snprintf(line, sizeof line, "ACK %040zx common\n", i + 1);
		cap_line(c, line);
	}
	if (acks) {
		snprintf(line, sizeof line, "ACK %040zx\n", acks);
		cap_line(c, line);
	} else {
		cap_line(c, "NAK\n");
	}
}

static void cap_progress(capture *c, const char *text)
{
	cap_pkt(c, 2, text, strlen(text), 0);
}

/* The pack in side-band-64k packets of `packet` bytes of data, a progress
 * packet every `every` of them (0: none), a flush at the end. */
static void cap_sideband(capture *c, const bytes *pack, size_t acks, size_t packet, size_t every)
{
	char text[128];
	size_t at, n = 0;

	assert_true(packet > 0 && packet <= SIDEBAND_DATA);
	cap_acks(c, acks);
	cap_progress(c, "Enumerating objects: 27, done.\n");
	cap_progress(c, "Counting objects: 100% (27/27), done.\n");
	for (at = 0; at < pack->len; at += packet) {
		size_t len = pack->len - at < packet ? pack->len - at : packet;
		if (every && n++ % every == 0) {
			snprintf(text, sizeof text, "Compressing objects: %3zu%% (%zu/%zu)\r", at * 100 / pack->len, at,
				 pack->len);
			cap_progress(c, text);
		}
		cap_pkt(c, 1, pack->d + at, len, 1);
	}
	cap_progress(c, "Total 27 (delta 3), reused 0 (delta 0), pack-reused 0\n");
	cap_text(c, "0000");
}

/* No side-band: the acknowledgements, then the pack as it is. */
static void cap_plain(capture *c, const bytes *pack, size_t acks)
{
	cap_acks(c, acks);
	cap_put(c, pack->d, pack->len, 1);
}

static void cap_write(const capture *c, const char *path)
{
	fx_write_file(path, c->raw.d, c->raw.len);
}

static void tmp_path(char *out, size_t size, const char *name)
{
	fx_path(out, size, g.dir, name);
}

/* -------------------------------------------------------------------------
 * Stock git's packs and what git says is in them
 */

typedef struct {
	git_oid id, base;
	git_object_t type;
	size_t hsize;    /* the size in the object's pack header (a delta's own for a delta) */
	size_t size;     /* the object's size */
	uint64_t start, end;
	int kind;        /* the pack type: 1..3, 6 (OFS delta), 7 (REF delta) */
} pobj;

typedef struct {
	bytes pack;
	pobj *obj;
	size_t n;
	git_oid outside[64]; /* bases a thin pack leaves out */
	size_t noutside;
} packinfo;

static int by_start(const void *a, const void *b)
{
	const pobj *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* name.pack, with git's listing of it in name.txt (verify-pack -v; for a
 * thin pack, of the pack index-pack --fix-thin made of it: the bases it
 * appended are the ones the thin pack leaves out). */
static void load_pack(packinfo *p, const char *name)
{
	char path[4300], line[512], hex[64], type[32], base[64];
	size_t cap = 0;
	FILE *f;
	git_odb *odb = NULL;
	size_t i;

	memset(p, 0, sizeof *p);
	snprintf(path, sizeof path, "%s/%s.pack", g.dir, name);
	read_whole(&p->pack, path);
	assert_true(p->pack.len > 32);
	snprintf(path, sizeof path, "%s/%s.txt", g.dir, name);
	assert_non_null(f = fopen(path, "r"));
	assert_git_ok(git_repository_odb(&odb, g.src));
	while (fgets(line, sizeof line, f)) {
		unsigned long long start;
		size_t hsize, packed;
		unsigned depth;
		pobj o;
		int got = sscanf(line, "%63s %31s %zu %zu %llu %u %63s", hex, type, &hsize, &packed, &start, &depth, base);
		if ((got != 5 && got != 7) || strlen(hex) != 40)
			continue;
		memset(&o, 0, sizeof o);
		assert_int_equal(git_oid_fromstr(&o.id, hex), 0);
		o.type = git_object_string2type(type);
		o.hsize = hsize;
		o.start = start;
		if (got == 7)
			assert_int_equal(git_oid_fromstr(&o.base, base), 0);
		if (start >= p->pack.len - 20) {
			/* Appended by --fix-thin: not in the pack as it came. */
			assert_true(p->noutside < 64);
			p->outside[p->noutside++] = o.id;
			continue;
		}
		assert_git_ok(git_odb_read_header(&o.size, &o.type, odb, &o.id));
		o.kind = (p->pack.d[start] >> 4) & 7;
		assert_true(o.kind == (got == 7 ? 6 : (int)o.type) || (got == 7 && o.kind == 7));
		if (p->n == cap) {
			cap = cap ? 2 * cap : 32;
			assert_non_null(p->obj = realloc(p->obj, cap * sizeof *p->obj));
		}
		p->obj[p->n++] = o;
	}
	fclose(f);
	git_odb_free(odb);
	assert_true(p->n > 0);
	qsort(p->obj, p->n, sizeof *p->obj, by_start);
	for (i = 0; i < p->n; i++)
		p->obj[i].end = i + 1 < p->n ? p->obj[i + 1].start : p->pack.len - 20;
	assert_int_equal(p->obj[0].start, 12);
	/* The header's count is the pack's own. */
	assert_int_equal(((uint32_t)p->pack.d[8] << 24 | (uint32_t)p->pack.d[9] << 16 | (uint32_t)p->pack.d[10] << 8 |
			  p->pack.d[11]), p->n);
}

static void pack_free(packinfo *p)
{
	b_free(&p->pack);
	free(p->obj);
	memset(p, 0, sizeof *p);
}

static size_t count_kind(const packinfo *p, int kind)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += p->obj[i].kind == kind;
	return n;
}

static int is_outside(const packinfo *p, const git_oid *id)
{
	size_t i;

	for (i = 0; i < p->noutside; i++)
		if (git_oid_equal(&p->outside[i], id))
			return 1;
	return 0;
}

/* What a salvage of the first `avail` pack bytes must write (mark[i]), by
 * salvage.h: objects in order while whole and not declared over max; a
 * delta only when its base came before it (or, by id, the repo holds it:
 * `seeded` says the thin pack's bases were put there), and its result is
 * at most max. */
static size_t expect(int *mark, const packinfo *p, size_t avail, size_t max, int seeded)
{
	size_t i, j, n = 0;

	memset(mark, 0, p->n * sizeof *mark);
	for (i = 0; i < p->n; i++) {
		const pobj *o = &p->obj[i];
		if (o->end > avail || o->hsize > max)
			break;
		if (o->kind == 6 || o->kind == 7) {
			int found = o->kind == 7 && seeded && is_outside(p, &o->base);
			for (j = 0; j < i && !found; j++)
				found = mark[j] && git_oid_equal(&p->obj[j].id, &o->base);
			if (!found || o->size > max)
				continue;
		}
		mark[i] = 1;
		n++;
	}
	return n;
}

/* An empty repository in memory, for the cuts: cheap to make thousands of. */
static git_repository *mem_repo(void)
{
	git_odb_backend *mem = NULL;
	git_repository *repo = NULL;
	git_odb *odb = NULL;

	assert_git_ok(git_odb_new(&odb));
	assert_git_ok(git_mempack_new(&mem));
	assert_git_ok(git_odb_add_backend(odb, mem, 999));
	assert_git_ok(git_repository_wrap_odb(&repo, odb));
	git_odb_free(odb);
	return repo;
}

/* Copies an object of the source repository into repo. */
static void seed(git_repository *repo, const git_oid *id)
{
	git_odb *from = NULL, *to = NULL;
	git_odb_object *o = NULL;
	git_oid back;

	assert_git_ok(git_repository_odb(&from, g.src));
	assert_git_ok(git_repository_odb(&to, repo));
	assert_git_ok(git_odb_read(&o, from, id));
	assert_git_ok(git_odb_write(&back, to, git_odb_object_data(o), git_odb_object_size(o), git_odb_object_type(o)));
	assert_true(git_oid_equal(&back, id));
	git_odb_object_free(o);
	git_odb_free(to);
	git_odb_free(from);
}

static int has(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	int yes;

	assert_git_ok(git_repository_odb(&odb, repo));
	yes = git_odb_exists(odb, id);
	git_odb_free(odb);
	return yes;
}

/* Salvages path (whose first `avail` bytes of pack arrived) into a fresh
 * repository and checks that exactly the objects due are there: all of
 * them, by id (so with the right bytes), and no other (written counts
 * every write, and the pack holds no object twice). */
static void check_cut(const packinfo *p, const char *path, size_t avail, size_t max, int seeded, const char *what,
		      size_t at)
{
	int *mark = calloc(p->n, sizeof *mark);
	git_repository *repo = mem_repo();
	size_t due, written = 12345, i;

	assert_non_null(mark);
	due = expect(mark, p, avail, max, seeded);
	for (i = 0; seeded && i < p->noutside; i++)
		seed(repo, &p->outside[i]);
	assert_civic_ok(civic_salvage_pack(&written, repo, path, max));
	if (written != due)
		print_error("%s cut at %zu (%zu pack bytes): %zu written, %zu due\n", what, at, avail, written, due);
	assert_int_equal(written, due);
	for (i = 0; i < p->n; i++) {
		if (has(repo, &p->obj[i].id) != mark[i])
			print_error("%s cut at %zu (%zu pack bytes): object %zu (at %llu..%llu) %s\n", what, at, avail, i,
				    (unsigned long long)p->obj[i].start, (unsigned long long)p->obj[i].end,
				    mark[i] ? "missing" : "written but not due");
		assert_int_equal(has(repo, &p->obj[i].id), mark[i]);
	}
	git_repository_free(repo);
	free(mark);
}

/* Cuts the capture at every `step`-th byte, from its end to nothing, and
 * at the end of each pack object (and one byte either side of it). */
static void sweep(const packinfo *p, const capture *c, const char *name, size_t step, size_t max, int seeded)
{
	char path[4300];
	size_t at, i;

	/* Under valgrind (tests/run.sh says so) memory errors are what is
	 * looked for, not every cut: one in 13 is plenty, and the run stays
	 * within make check's time. */
	if (getenv("CIVIC_TEST_VALGRIND"))
		step = step * 13;
	tmp_path(path, sizeof path, name);
	cap_write(c, path);
	check_cut(p, path, c->packed, max, seeded, name, c->raw.len);
	for (at = c->raw.len + 1; at-- > 0;) {
		if (at % step && at != c->raw.len)
			continue;
		assert_int_equal(truncate(path, (off_t)at), 0);
		check_cut(p, path, c->avail[at], max, seeded, name, at);
	}
	/* Exactly at an object's end, and a byte short of it. */
	cap_write(c, path);
	for (i = 0; step > 1 && i < p->n; i++) {
		size_t raw;
		for (raw = 0; raw < c->raw.len && c->avail[raw] < p->obj[i].end; raw++)
			;
		for (at = raw ? raw - 1 : 0; at <= raw + 1 && at <= c->raw.len; at++) {
			cap_write(c, path);
			assert_int_equal(truncate(path, (off_t)at), 0);
			check_cut(p, path, c->avail[at], max, seeded, name, at);
		}
	}
	unlink(path);
}

static void need_git(void)
{
	if (!g.git)
		skip();
}

/* -------------------------------------------------------------------------
 * Packs by hand
 */

typedef struct {
	bytes b;
	uint32_t count;
} hpack;

static void hp_begin(hpack *h, unsigned version)
{
	static const unsigned char head[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 0 };

	memset(h, 0, sizeof *h);
	b_put(&h->b, head, sizeof head);
	h->b.d[7] = (unsigned char)version;
}

static void hp_header(hpack *h, int type, uint64_t size)
{
	unsigned c = (unsigned)(type << 4) | (unsigned)(size & 15);

	size >>= 4;
	while (size) {
		b_byte(&h->b, c | 0x80);
		c = size & 0x7f;
		size >>= 7;
	}
	b_byte(&h->b, c);
}

static void hp_zlib(hpack *h, const void *p, size_t n)
{
	uLongf len = compressBound((uLong)n);
	unsigned char *z = malloc(len);

	assert_non_null(z);
	assert_int_equal(compress(z, &len, p, (uLong)n), Z_OK);
	b_put(&h->b, z, len);
	free(z);
}

/* An object: its offset in the pack. */
static uint64_t hp_obj(hpack *h, int type, const void *p, size_t n)
{
	uint64_t start = h->b.len;

	hp_header(h, type, n);
	hp_zlib(h, p, n);
	h->count++;
	return start;
}

static void hp_ofs_base(hpack *h, uint64_t back)
{
	unsigned char buf[16];
	size_t pos = sizeof buf - 1;

	buf[pos] = back & 127;
	while (back >>= 7)
		buf[--pos] = 128 | (--back & 127);
	b_put(&h->b, buf + pos, sizeof buf - pos);
}

/* A delta on the object at base_start (an offset back from this one). */
static uint64_t hp_ofs(hpack *h, uint64_t base_start, const bytes *delta)
{
	uint64_t start = h->b.len;

	hp_header(h, 6, delta->len);
	hp_ofs_base(h, start - base_start);
	hp_zlib(h, delta->d, delta->len);
	h->count++;
	return start;
}

/* The same, with the offset back given as it is (it may name anything). */
static uint64_t hp_ofs_back(hpack *h, uint64_t back, const bytes *delta)
{
	uint64_t start = h->b.len;

	hp_header(h, 6, delta->len);
	hp_ofs_base(h, back);
	hp_zlib(h, delta->d, delta->len);
	h->count++;
	return start;
}

static uint64_t hp_ref(hpack *h, const git_oid *base, const bytes *delta)
{
	uint64_t start = h->b.len;

	hp_header(h, 7, delta->len);
	b_put(&h->b, base->id, GIT_OID_RAWSZ);
	hp_zlib(h, delta->d, delta->len);
	h->count++;
	return start;
}

/* The count into the header, and 20 bytes where the checksum goes (salvage
 * reads no further than the last object). */
static void hp_end(hpack *h)
{
	static const unsigned char trailer[20];

	h->b.d[8] = (unsigned char)(h->count >> 24);
	h->b.d[9] = (unsigned char)(h->count >> 16);
	h->b.d[10] = (unsigned char)(h->count >> 8);
	h->b.d[11] = (unsigned char)h->count;
	b_put(&h->b, trailer, sizeof trailer);
}

/* git's delta format: the base's size, the result's, then copies and inserts. */
static void d_varint(bytes *d, uint64_t v)
{
	while (v >= 0x80) {
		b_byte(d, (unsigned)(v & 0x7f) | 0x80);
		v >>= 7;
	}
	b_byte(d, (unsigned)v);
}

static void d_begin(bytes *d, uint64_t base_size, uint64_t result_size)
{
	memset(d, 0, sizeof *d);
	d_varint(d, base_size);
	d_varint(d, result_size);
}

static void d_copy(bytes *d, size_t off, size_t size)
{
	unsigned char args[8];
	unsigned op = 0x80, i, n = 0;

	for (i = 0; i < 4; i++)
		if ((off >> (8 * i)) & 0xff) {
			op |= 1u << i;
			args[n++] = (unsigned char)(off >> (8 * i));
		}
	if (size != 0x10000)
		for (i = 0; i < 3; i++)
			if ((size >> (8 * i)) & 0xff) {
				op |= 0x10u << i;
				args[n++] = (unsigned char)(size >> (8 * i));
			}
	b_byte(d, op);
	b_put(d, args, n);
}

static void d_insert(bytes *d, const void *p, size_t n)
{
	assert_true(n > 0 && n < 128);
	b_byte(d, (unsigned)n);
	b_put(d, p, n);
}

/* A base of 300 bytes for the hand-made deltas. */
static unsigned char base300[300];

static void hash_blob(git_oid *out, const void *p, size_t n)
{
	assert_git_ok(git_odb_hash(out, p, n, GIT_OBJECT_BLOB));
}

/* Writes pack h as a plain capture at name; salvages it into a fresh repo. */
static git_repository *salvage_hand(size_t *written, const hpack *h, const char *name, size_t max)
{
	char path[4300];
	capture c;
	git_repository *repo = mem_repo();

	cap_init(&c);
	cap_plain(&c, &h->b, 0);
	tmp_path(path, sizeof path, name);
	cap_write(&c, path);
	cap_free(&c);
	*written = 12345;
	assert_civic_ok(civic_salvage_pack(written, repo, path, max));
	unlink(path);
	return repo;
}

static void marker_blob(hpack *h, git_oid *id, const char *text)
{
	hp_obj(h, 3, text, strlen(text));
	hash_blob(id, text, strlen(text));
}

/* -------------------------------------------------------------------------
 * Set-up
 */

static const char *make_packs =
	"set -e\n"
	"cd \"$1\"\n"
	"export HOME=\"$1\" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null\n"
	"export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@t\n"
	"day() { export GIT_AUTHOR_DATE=\"2020-01-0$1T00:00:00Z\" GIT_COMMITTER_DATE=\"2020-01-0$1T00:00:00Z\"; }\n"
	"git -c init.defaultBranch=main init -q src\n"
	"cd src\n"
	"mkdir dir\n"
	"seq 1 200 | sed 's/.*/line & of a text that repeats across commits so that git deltas it/' > a.txt\n"
	"echo small > b.txt\n"
	"echo c > dir/c.txt\n"
	"git add . && day 1 && git commit -qm one\n"
	"for n in 2 3 4 5; do\n"
	"  sed -i \"s/^line ${n}0 /LINE ${n}0 /\" a.txt\n"
	"  echo \"extra $n\" >> dir/c.txt\n"
	"  git add . && day $n && git commit -qm \"commit $n\"\n"
	"done\n"
	"cp ../big.bin big.bin && echo more >> b.txt && git add . && day 6 && git commit -qm big\n"
	"echo HEAD~1 | git pack-objects -q --revs --stdout --delta-base-offset > ../ofs.pack\n"
	"echo HEAD~1 | git pack-objects -q --revs --stdout > ../ref.pack\n"
	"echo HEAD | git pack-objects -q --revs --stdout --delta-base-offset > ../big.pack\n"
	"printf 'HEAD~1\\n^HEAD~3\\n' | git pack-objects -q --revs --stdout --thin --delta-base-offset > ../thin.pack\n"
	"for p in ofs ref big; do git index-pack -o \"$1/$p.idx\" \"$1/$p.pack\" >/dev/null; done\n"
	"git index-pack --stdin --fix-thin \"$1/thinfixed.pack\" < ../thin.pack >/dev/null\n"
	"cd ..\n"
	"for p in ofs ref big; do git verify-pack -v $p.idx > $p.txt; done\n"
	"git verify-pack -v thinfixed.idx > thin.txt\n";

static int group_setup(void **state)
{
	char path[4300], cmd[4500];
	unsigned char *big;
	uint32_t x = 2463534242u;
	size_t i;

	(void)state;
	fx_global_init();
	g.dir = test_tmpdir_new();
	for (i = 0; i < sizeof base300; i++)
		base300[i] = (unsigned char)('a' + (i * 7) % 26);
	g.git = system("command -v git >/dev/null 2>&1") == 0;
	if (!g.git)
		return 0;
	/* A blob of 400 KB that does not compress: a pack of several full
	 * side-band packets. */
	big = malloc(400000);
	assert_non_null(big);
	for (i = 0; i < 400000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = (unsigned char)x;
	}
	tmp_path(path, sizeof path, "big.bin");
	fx_write_file(path, big, 400000);
	free(big);
	tmp_path(path, sizeof path, "make-packs.sh");
	fx_write_text(path, make_packs);
	snprintf(cmd, sizeof cmd, "sh '%s' '%s'", path, g.dir);
	assert_int_equal(system(cmd), 0);
	tmp_path(path, sizeof path, "src");
	assert_git_ok(git_repository_open(&g.src, path));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	git_repository_free(g.src);
	test_tmpdir_remove(g.dir);
	fx_global_shutdown();
	return 0;
}

/* -------------------------------------------------------------------------
 * Whole inputs
 */

static void test_git_packs_are_as_the_tests_need(void **state)
{
	packinfo ofs, ref, thin, big;

	(void)state;
	need_git();
	load_pack(&ofs, "ofs");
	load_pack(&ref, "ref");
	load_pack(&thin, "thin");
	load_pack(&big, "big");
	/* Git made deltas, of the kind each pack is about. */
	assert_true(count_kind(&ofs, 6) >= 2);
	assert_int_equal(count_kind(&ofs, 7), 0);
	assert_true(count_kind(&ref, 7) >= 2);
	assert_int_equal(count_kind(&ref, 6), 0);
	assert_true(thin.noutside >= 1);
	assert_true(count_kind(&thin, 7) >= 1);
	/* A chain: a delta whose base is a delta. */
	{
		size_t i, j;
		int chain = 0;
		for (i = 0; i < ofs.n; i++)
			for (j = 0; j < ofs.n; j++)
				chain |= ofs.obj[i].kind == 6 && ofs.obj[j].kind == 6 && git_oid_equal(&ofs.obj[i].base, &ofs.obj[j].id);
		assert_true(chain);
	}
	assert_true(big.pack.len > 4 * SIDEBAND_DATA);
	pack_free(&ofs);
	pack_free(&ref);
	pack_free(&thin);
	pack_free(&big);
}

static void whole(const char *name, int plain, size_t packet)
{
	char path[4300];
	packinfo p;
	capture c;

	load_pack(&p, name);
	cap_init(&c);
	if (plain)
		cap_plain(&c, &p.pack, 3);
	else
		cap_sideband(&c, &p.pack, 3, packet, 2);
	tmp_path(path, sizeof path, "whole.capture");
	cap_write(&c, path);
	assert_true(p.n <= 64);
	check_cut(&p, path, p.pack.len, MAX_OBJECT, 0, name, c.raw.len);
	assert_int_equal(expect((int[64]){ 0 }, &p, p.pack.len, MAX_OBJECT, 0), p.n);
	unlink(path);
	cap_free(&c);
	pack_free(&p);
}

static void test_whole_sideband(void **state)
{
	(void)state;
	need_git();
	whole("ofs", 0, 1000);
	whole("ref", 0, 1000);
	whole("ofs", 0, SIDEBAND_DATA);
	whole("ref", 0, 1);
}

static void test_whole_plain(void **state)
{
	(void)state;
	need_git();
	whole("ofs", 1, 0);
	whole("ref", 1, 0);
	whole("big", 1, 0);
}

/* Packets of the largest size side-band-64k allows, more than the reader's
 * buffer holds, with progress between. */
static void test_whole_full_size_packets(void **state)
{
	(void)state;
	need_git();
	whole("big", 0, SIDEBAND_DATA);
	whole("big", 0, 65000);
}

/* Into a repository on disk: stock git finds every object sound, and a
 * second salvage counts the objects the repo holds already. */
static void test_whole_on_disk_and_again(void **state)
{
	char path[4300], cmd[9000];
	git_repository *repo;
	size_t written, i;
	packinfo p;
	capture c;

	(void)state;
	need_git();
	load_pack(&p, "ofs");
	cap_init(&c);
	cap_sideband(&c, &p.pack, 1, 333, 1);
	tmp_path(path, sizeof path, "disk.capture");
	cap_write(&c, path);
	repo = fx_repo_new(g.dir, "disk.git");
	assert_civic_ok(civic_salvage_pack(&written, repo, path, MAX_OBJECT));
	assert_int_equal(written, p.n);
	assert_int_equal(fx_count_objects(repo), p.n);
	for (i = 0; i < p.n; i++) {
		git_object *o = NULL;
		assert_git_ok(git_object_lookup(&o, repo, &p.obj[i].id, GIT_OBJECT_ANY));
		assert_int_equal(git_object_type(o), p.obj[i].type);
		git_object_free(o);
	}
	snprintf(cmd, sizeof cmd, "git --git-dir='%s' fsck --full --no-dangling >/dev/null 2>&1", git_repository_path(repo));
	assert_int_equal(system(cmd), 0);
	assert_civic_ok(civic_salvage_pack(&written, repo, path, MAX_OBJECT));
	assert_int_equal(written, p.n);
	assert_int_equal(fx_count_objects(repo), p.n);
	git_repository_free(repo);
	cap_free(&c);
	pack_free(&p);
}

/* -------------------------------------------------------------------------
 * Cuts: every byte
 */

/* Small packets and progress between them put the cuts inside packet
 * headers, bands, payloads, object headers, OFS base fields and zlib
 * streams alike. */
static void test_cuts_sideband_ofs(void **state)
{
	packinfo p;
	capture c;

	(void)state;
	need_git();
	load_pack(&p, "ofs");
	cap_init(&c);
	cap_sideband(&c, &p.pack, 2, 97, 3);
	sweep(&p, &c, "cut-ofs.capture", 1, MAX_OBJECT, 0);
	cap_free(&c);
	pack_free(&p);
}

/* REF deltas: cuts inside the 20 bytes of the base's id too. */
static void test_cuts_sideband_ref(void **state)
{
	packinfo p;
	capture c;

	(void)state;
	need_git();
	load_pack(&p, "ref");
	cap_init(&c);
	cap_sideband(&c, &p.pack, 0, 61, 2);
	sweep(&p, &c, "cut-ref.capture", 1, MAX_OBJECT, 0);
	cap_free(&c);
	pack_free(&p);
}

static void test_cuts_plain(void **state)
{
	packinfo p;
	capture c;

	(void)state;
	need_git();
	load_pack(&p, "ofs");
	cap_init(&c);
	cap_plain(&c, &p.pack, 4);
	sweep(&p, &c, "cut-plain.capture", 2, MAX_OBJECT, 0);
	cap_free(&c);
	pack_free(&p);
}

/* A pack larger than the reader's buffers, in full-size packets: cuts
 * every few KB, and at each object's end. */
static void test_cuts_full_size_packets(void **state)
{
	packinfo p;
	capture c;
	size_t k;

	(void)state;
	need_git();
	load_pack(&p, "big");
	cap_init(&c);
	cap_sideband(&c, &p.pack, 1, SIDEBAND_DATA, 1);
	sweep(&p, &c, "cut-big.capture", 7919, MAX_OBJECT, 0);
	/* Around each packet's edges too. */
	{
		char path[4300];
		tmp_path(path, sizeof path, "cut-big-edges.capture");
		for (k = 1; k * (SIDEBAND_DATA + 5) < c.raw.len; k++) {
			size_t edge, at;
			for (edge = 0; edge + 1 < c.raw.len && c.avail[edge] < k * SIDEBAND_DATA; edge++)
				;
			for (at = edge - 6; at <= edge + 6 && at <= c.raw.len; at++) {
				cap_write(&c, path);
				assert_int_equal(truncate(path, (off_t)at), 0);
				check_cut(&p, path, c.avail[at], MAX_OBJECT, 0, "big edges", at);
			}
		}
		unlink(path);
	}
	cap_free(&c);
	pack_free(&p);
}

/* -------------------------------------------------------------------------
 * Thin packs and deltas on what did not arrive
 */

/* The thin pack's REF deltas on objects the repo holds are resolved. */
static void test_thin_pack_bases_in_repo(void **state)
{
	packinfo p;
	capture c;

	(void)state;
	need_git();
	load_pack(&p, "thin");
	cap_init(&c);
	cap_sideband(&c, &p.pack, 2, 50, 2);
	sweep(&p, &c, "thin.capture", 1, MAX_OBJECT, 1);
	cap_free(&c);
	pack_free(&p);
}

/* Without them, those deltas (and deltas on them) are skipped, and the
 * objects after them are still taken. */
static void test_thin_pack_bases_missing(void **state)
{
	char path[4300];
	int mark[64];
	size_t due, i, after = 0;
	packinfo p;
	capture c;

	(void)state;
	need_git();
	load_pack(&p, "thin");
	assert_true(p.n <= 64);
	due = expect(mark, &p, p.pack.len, MAX_OBJECT, 0);
	assert_true(due < p.n);
	/* An object after the first skipped one is due all the same. */
	for (i = 0; i < p.n && mark[i]; i++)
		;
	for (; i < p.n; i++)
		after += mark[i];
	assert_true(after > 0);
	cap_init(&c);
	cap_sideband(&c, &p.pack, 2, 50, 2);
	tmp_path(path, sizeof path, "thin-missing.capture");
	cap_write(&c, path);
	check_cut(&p, path, p.pack.len, MAX_OBJECT, 0, "thin, no bases", c.raw.len);
	unlink(path);
	sweep(&p, &c, "thin-missing.capture", 3, MAX_OBJECT, 0);
	cap_free(&c);
	pack_free(&p);
}

/* -------------------------------------------------------------------------
 * max_object
 */

static void test_declared_size_over_max_stops(void **state)
{
	char path[4300];
	size_t i, biggest = 0, at = 0;
	packinfo p;
	capture c;

	(void)state;
	need_git();
	load_pack(&p, "ofs");
	for (i = 0; i < p.n; i++)
		if (p.obj[i].kind != 6 && p.obj[i].hsize > biggest) {
			biggest = p.obj[i].hsize;
			at = i;
		}
	assert_true(at > 0 && at + 1 < p.n);
	cap_init(&c);
	cap_sideband(&c, &p.pack, 0, 200, 2);
	tmp_path(path, sizeof path, "max.capture");
	cap_write(&c, path);
	/* One byte less than the biggest: the walk ends there... */
	check_cut(&p, path, p.pack.len, biggest - 1, 0, "max - 1", 0);
	{
		int mark[64];
		assert_true(p.n <= 64);
		assert_int_equal(expect(mark, &p, p.pack.len, biggest - 1, 0), at);
	}
	/* ...and at exactly its size, it is taken. */
	check_cut(&p, path, p.pack.len, biggest, 0, "max", 0);
	/* Below everything: nothing. */
	check_cut(&p, path, p.pack.len, 1, 0, "max 1", 0);
	unlink(path);
	cap_free(&c);
	pack_free(&p);
}

/* A header claiming far more than max (2^40 bytes) stops the walk without
 * an attempt to hold it; so does a size whose varint runs past 64 bits. */
static void test_huge_declared_sizes_stop(void **state)
{
	size_t written;
	git_oid a, b;
	git_repository *repo;
	hpack h;

	(void)state;
	hp_begin(&h, 2);
	marker_blob(&h, &a, "before");
	hp_header(&h, 3, (uint64_t)1 << 40);
	hp_zlib(&h, "x", 1);
	h.count++;
	marker_blob(&h, &b, "after");
	hp_end(&h);
	repo = salvage_hand(&written, &h, "huge.capture", MAX_OBJECT);
	assert_int_equal(written, 1);
	assert_true(has(repo, &a));
	assert_false(has(repo, &b));
	git_repository_free(repo);
	b_free(&h.b);

	hp_begin(&h, 2);
	marker_blob(&h, &a, "before");
	{
		int i;
		b_byte(&h.b, 0x30 | 0x80);
		for (i = 0; i < 12; i++)
			b_byte(&h.b, 0xff);
		b_byte(&h.b, 0x01);
		h.count++;
	}
	marker_blob(&h, &b, "after");
	hp_end(&h);
	repo = salvage_hand(&written, &h, "varint.capture", MAX_OBJECT);
	assert_int_equal(written, 1);
	assert_false(has(repo, &b));
	git_repository_free(repo);
	b_free(&h.b);
}

/* -------------------------------------------------------------------------
 * Inputs that are not a pack, or stop being one
 */

static void salvage_text(size_t *written, const void *data, size_t len)
{
	char path[4300];
	git_repository *repo = mem_repo();

	tmp_path(path, sizeof path, "garbage.capture");
	fx_write_file(path, data, len);
	*written = 12345;
	assert_civic_ok(civic_salvage_pack(written, repo, path, MAX_OBJECT));
	git_repository_free(repo);
	unlink(path);
}

static void test_garbage_empty_missing(void **state)
{
	unsigned char noise[5000];
	char path[4300];
	git_repository *repo = mem_repo();
	size_t written, i;
	uint32_t x = 12345;

	(void)state;
	tmp_path(path, sizeof path, "no-such.capture");
	written = 12345;
	assert_civic_ok(civic_salvage_pack(&written, repo, path, MAX_OBJECT));
	assert_int_equal(written, 0);
	git_repository_free(repo);

	salvage_text(&written, "", 0);
	assert_int_equal(written, 0);
	for (i = 0; i < sizeof noise; i++) {
		x = x * 1103515245u + 12345u;
		noise[i] = (unsigned char)(x >> 16);
	}
	salvage_text(&written, noise, sizeof noise);
	assert_int_equal(written, 0);
	salvage_text(&written, "0008NAK\n", 8);
	assert_int_equal(written, 0);
	salvage_text(&written, "0008NAK\n0000", 12);
	assert_int_equal(written, 0);
	salvage_text(&written, "00", 2);
	assert_int_equal(written, 0);
	salvage_text(&written, "zzzzNAK\n", 8);
	assert_int_equal(written, 0);
	salvage_text(&written, "hello, world\n", 13);
	assert_int_equal(written, 0);
	salvage_text(&written, "PACK", 4);
	assert_int_equal(written, 0);
	salvage_text(&written, "PACK\0\0\0\2\0\0\0\0", 12); /* no objects */
	assert_int_equal(written, 0);
	/* The server's error line in place of acknowledgements. */
	salvage_text(&written, "001dERR upload-pack: not ours", 29);
	assert_int_equal(written, 0);
}

/* Pack versions other than 2 and 3 are not read; a directory is no capture. */
static void test_pack_versions(void **state)
{
	static const unsigned versions[] = { 0, 1, 4, 255 };
	size_t written, i;
	git_repository *repo;
	git_oid a;
	hpack h;

	(void)state;
	for (i = 0; i < sizeof versions / sizeof *versions; i++) {
		hp_begin(&h, versions[i]);
		marker_blob(&h, &a, "a blob");
		hp_end(&h);
		repo = salvage_hand(&written, &h, "version.capture", MAX_OBJECT);
		assert_int_equal(written, 0);
		assert_false(has(repo, &a));
		git_repository_free(repo);
		b_free(&h.b);
	}
	hp_begin(&h, 3);
	marker_blob(&h, &a, "a blob");
	hp_end(&h);
	repo = salvage_hand(&written, &h, "version.capture", MAX_OBJECT);
	assert_int_equal(written, 1);
	assert_true(has(repo, &a));
	git_repository_free(repo);
	b_free(&h.b);
	/* "PACK" with a bad signature byte. */
	hp_begin(&h, 2);
	h.b.d[3] = 'C';
	marker_blob(&h, &a, "a blob");
	hp_end(&h);
	repo = salvage_hand(&written, &h, "version.capture", MAX_OBJECT);
	assert_int_equal(written, 0);
	git_repository_free(repo);
	b_free(&h.b);
	repo = mem_repo();
	written = 12345;
	assert_civic_ok(civic_salvage_pack(&written, repo, g.dir, MAX_OBJECT));
	assert_int_equal(written, 0);
	git_repository_free(repo);
}

/* An error packet (band 3) ends the pack: what came whole before it is
 * kept, nothing after it, not even the pack data that follows. */
static void test_band3_error_packet(void **state)
{
	static const char *stops[] = { "\3fatal: the remote end hung up\n", "\4something new", "\x7f", "E" };
	char path[4300];
	size_t half, i;
	packinfo p;

	(void)state;
	need_git();
	load_pack(&p, "ofs");
	half = p.obj[p.n / 2].start + 3; /* inside an object */
	for (i = 0; i < sizeof stops / sizeof *stops; i++) {
		capture c;
		bytes first = { p.pack.d, half, 0 }, rest = { p.pack.d + half, p.pack.len - half, 0 };
		cap_init(&c);
		cap_sideband(&c, &first, 1, 300, 2);
		c.raw.len -= 4; /* the flush */
		cap_pkt(&c, -1, stops[i], strlen(stops[i]), 0);
		{
			size_t at;
			for (at = 0; at < rest.len; at += 300)
				cap_pkt(&c, 1, rest.d + at, rest.len - at < 300 ? rest.len - at : 300, 0);
		}
		cap_text(&c, "0000");
		tmp_path(path, sizeof path, "band3.capture");
		cap_write(&c, path);
		check_cut(&p, path, half, MAX_OBJECT, 0, stops[i], 0);
		unlink(path);
		cap_free(&c);
	}
	pack_free(&p);
}

/* A band-1 packet longer than side-band-64k allows is not a response civic
 * knows: the walk stops at it. */
static void test_oversized_packet_stops(void **state)
{
	char path[4300];
	unsigned char *big;
	size_t at;
	packinfo p;
	capture c;

	(void)state;
	need_git();
	load_pack(&p, "big");
	at = p.obj[3].end;
	assert_true(at + 0xfff0 < p.pack.len);
	cap_init(&c);
	cap_acks(&c, 0);
	cap_pkt(&c, 1, p.pack.d, at, 1);
	/* 0xffff bytes: 65530 of data. */
	big = p.pack.d + at;
	cap_pkt(&c, 1, big, 0xffff - 5, 0);
	for (big += 0xffff - 5; big < p.pack.d + p.pack.len; big += SIDEBAND_DATA)
		cap_pkt(&c, 1, big, (size_t)(p.pack.d + p.pack.len - big) < SIDEBAND_DATA ?
			(size_t)(p.pack.d + p.pack.len - big) : SIDEBAND_DATA, 0);
	cap_text(&c, "0000");
	tmp_path(path, sizeof path, "oversized.capture");
	cap_write(&c, path);
	check_cut(&p, path, at, MAX_OBJECT, 0, "oversized packet", 0);
	unlink(path);
	cap_free(&c);
	pack_free(&p);
}

/* Flushes, delimiters and empty data packets between the pack's packets
 * are passed over. */
static void test_flush_and_empty_packets_pass(void **state)
{
	char path[4300];
	size_t at;
	packinfo p;
	capture c;

	(void)state;
	need_git();
	load_pack(&p, "ref");
	cap_init(&c);
	cap_acks(&c, 2);
	for (at = 0; at < p.pack.len; at += 100) {
		cap_pkt(&c, 1, p.pack.d + at, p.pack.len - at < 100 ? p.pack.len - at : 100, 1);
		cap_text(&c, at % 300 ? "0000" : "0001");
		cap_pkt(&c, 1, "", 0, 1);
		cap_pkt(&c, 2, "", 0, 0);
	}
	tmp_path(path, sizeof path, "flushes.capture");
	cap_write(&c, path);
	check_cut(&p, path, p.pack.len, MAX_OBJECT, 0, "flushes", 0);
	unlink(path);
	cap_free(&c);
	pack_free(&p);
}

/* -------------------------------------------------------------------------
 * Deltas by hand
 */

/* Stock git reads the hand-made packs as the tests mean them: the builder
 * is right. */
static void test_hand_pack_builder_agrees_with_git(void **state)
{
	char path[4300], cmd[9000], hex[64];
	unsigned char want[400];
	git_oid base_id, ofs_id, ref_id;
	bytes d;
	hpack h;
	uint64_t base_at;
	FILE *f;
	size_t i;

	(void)state;
	need_git();
	hp_begin(&h, 2);
	base_at = hp_obj(&h, 3, base300, sizeof base300);
	hash_blob(&base_id, base300, sizeof base300);
	d_begin(&d, 300, 110);
	d_copy(&d, 200, 100);
	d_insert(&d, "0123456789", 10);
	hp_ofs(&h, base_at, &d);
	memcpy(want, base300 + 200, 100);
	memcpy(want + 100, "0123456789", 10);
	hash_blob(&ofs_id, want, 110);
	b_free(&d);
	d_begin(&d, 300, 301);
	d_insert(&d, "!", 1);
	d_copy(&d, 0, 300);
	hp_ref(&h, &base_id, &d);
	want[0] = '!';
	memcpy(want + 1, base300, 300);
	hash_blob(&ref_id, want, 301);
	b_free(&d);
	hp_end(&h);
	h.b.len -= 20;
	tmp_path(path, sizeof path, "hand.pack");
	fx_write_file(path, h.b.d, h.b.len);
	snprintf(cmd, sizeof cmd, "sha1sum '%s'", path);
	assert_non_null(f = popen(cmd, "r"));
	assert_int_equal(fscanf(f, "%40s", hex), 1);
	pclose(f);
	for (i = 0; i < 20; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		b_byte(&h.b, v);
	}
	fx_write_file(path, h.b.d, h.b.len);
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && git -C src index-pack -o ../hand.idx ../hand.pack >/dev/null 2>&1 && "
		 "git verify-pack -v hand.idx > hand.txt 2>&1", g.dir);
	assert_int_equal(system(cmd), 0);
	{
		char *listing;
		char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1], c[GIT_OID_HEXSZ + 1];
		tmp_path(path, sizeof path, "hand.txt");
		listing = fx_read_file(path, NULL);
		fx_oid_hex(a, &base_id);
		fx_oid_hex(b, &ofs_id);
		fx_oid_hex(c, &ref_id);
		assert_non_null(strstr(listing, a));
		assert_non_null(strstr(listing, b));
		assert_non_null(strstr(listing, c));
		free(listing);
	}
	/* And salvage reads it alike. */
	{
		size_t written;
		git_repository *repo = salvage_hand(&written, &h, "hand.capture", MAX_OBJECT);
		assert_int_equal(written, 3);
		assert_true(has(repo, &base_id));
		assert_true(has(repo, &ofs_id));
		assert_true(has(repo, &ref_id));
		git_repository_free(repo);
	}
	b_free(&h.b);
}

/* OFS, REF, a chain of three, a commit and a tree on a delta, a copy that
 * ends exactly at the base's end, a copy of 0x10000 (size 0), a delta to
 * nothing: all written, with the bytes they should have. */
static void test_hand_deltas_apply(void **state)
{
	unsigned char big[0x10000 + 10], want[0x10000 + 20];
	git_oid ids[8], tree_id;
	uint64_t base_at, d1_at, big_at;
	git_repository *repo;
	size_t written, i, n = 0;
	bytes d;
	hpack h;

	(void)state;
	for (i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 13 + (i >> 8));
	hp_begin(&h, 2);
	base_at = hp_obj(&h, 3, base300, sizeof base300);
	hash_blob(&ids[n++], base300, sizeof base300);
	/* OFS: the last 50 bytes exactly, then an insert. */
	d_begin(&d, 300, 53);
	d_copy(&d, 250, 50);
	d_insert(&d, "abc", 3);
	d1_at = hp_ofs(&h, base_at, &d);
	memcpy(want, base300 + 250, 50);
	memcpy(want + 50, "abc", 3);
	hash_blob(&ids[n++], want, 53);
	b_free(&d);
	/* On that one (a chain), by offset. */
	d_begin(&d, 53, 6);
	d_copy(&d, 50, 3);
	d_copy(&d, 0, 3);
	hp_ofs(&h, d1_at, &d);
	memcpy(want, "abc", 3);
	memcpy(want + 3, base300 + 250, 3);
	hash_blob(&ids[n++], want, 6);
	b_free(&d);
	/* REF on the first. */
	d_begin(&d, 300, 2);
	d_copy(&d, 1, 2);
	hp_ref(&h, &ids[0], &d);
	hash_blob(&ids[n++], base300 + 1, 2);
	b_free(&d);
	/* To nothing at all. */
	d_begin(&d, 300, 0);
	hp_ref(&h, &ids[0], &d);
	hash_blob(&ids[n++], "", 0);
	b_free(&d);
	/* A copy of 0x10000 bytes, written as size 0. */
	big_at = hp_obj(&h, 3, big, sizeof big);
	hash_blob(&ids[n++], big, sizeof big);
	d_begin(&d, sizeof big, 0x10000 + 1);
	d_copy(&d, 5, 0x10000);
	d_insert(&d, "z", 1);
	hp_ofs(&h, big_at, &d);
	memcpy(want, big + 5, 0x10000);
	want[0x10000] = 'z';
	hash_blob(&ids[n++], want, 0x10000 + 1);
	b_free(&d);
	/* A tree, and a commit on a delta of a commit: the type is the base's. */
	{
		char tree[64], commit[256], commit2[256];
		size_t tl, cl, cl2;
		uint64_t c_at;
		memcpy(tree, "100644 f\0", 9);
		memcpy(tree + 9, ids[0].id, 20);
		tl = 29;
		hp_obj(&h, 2, tree, tl);
		assert_git_ok(git_odb_hash(&tree_id, tree, tl, GIT_OBJECT_TREE));
		cl = (size_t)snprintf(commit, sizeof commit,
				      "tree %s\nauthor A <a@a> 0 +0000\ncommitter A <a@a> 0 +0000\n\none\n",
				      git_oid_tostr((char[41]){ 0 }, 41, &tree_id));
		c_at = hp_obj(&h, 1, commit, cl);
		assert_git_ok(git_odb_hash(&ids[n++], commit, cl, GIT_OBJECT_COMMIT));
		memcpy(commit2, commit, cl);
		memcpy(commit2 + cl - 4, "two\n", 4);
		cl2 = cl;
		d_begin(&d, cl, cl2);
		d_copy(&d, 0, cl - 4);
		d_insert(&d, "two\n", 4);
		hp_ofs(&h, c_at, &d);
		b_free(&d);
		hp_end(&h);
		repo = salvage_hand(&written, &h, "apply.capture", MAX_OBJECT);
		assert_int_equal(written, n + 2);
		for (i = 0; i < n; i++)
			assert_true(has(repo, &ids[i]));
		assert_true(has(repo, &tree_id));
		{
			git_oid c2;
			git_object *o = NULL;
			assert_git_ok(git_odb_hash(&c2, commit2, cl2, GIT_OBJECT_COMMIT));
			assert_git_ok(git_object_lookup(&o, repo, &c2, GIT_OBJECT_ANY));
			assert_int_equal(git_object_type(o), GIT_OBJECT_COMMIT);
			git_object_free(o);
		}
		git_repository_free(repo);
	}
	b_free(&h.b);
}

/* Deltas that cannot be applied as they say are not written. Each one's
 * bytes are whole, so the walk is still in step after it: the objects
 * after them are taken (as after a delta whose base did not arrive).
 * NOTE: salvage.h says "Everything after the first object that is cut off,
 * too large, or malformed is left"; salvage.c reads a delta that does not
 * apply (or whose result is over max_object) as skippable, not as the end.
 * These tests hold the code's (harmless: content-addressed) behaviour. */
static void test_hand_bad_deltas_not_written(void **state)
{
	git_oid base_id, good_id, end_id;
	uint64_t base_at;
	git_repository *repo;
	size_t written;
	bytes d;
	hpack h;
	int bad = 0;

	(void)state;
	hp_begin(&h, 2);
	base_at = hp_obj(&h, 3, base300, sizeof base300);
	hash_blob(&base_id, base300, sizeof base300);
#define BAD(build) do { d_begin(&d, 300, 10); build; hp_ofs(&h, base_at, &d); b_free(&d); bad++; } while (0)
	/* Copies out of the base's bounds. */
	BAD((d_copy(&d, 295, 10)));                           /* past its end by 5 */
	BAD((d_copy(&d, 291, 10)));                           /* past its end by 1 */
	BAD((d_copy(&d, 300, 10)));                           /* starts at its end */
	BAD((d_copy(&d, 1u << 24, 10)));                      /* far beyond */
	BAD((d.len = 0, d_varint(&d, 300), d_varint(&d, 0x10000), d_copy(&d, 0, 0x10000))); /* 0x10000 of 300 */
	BAD((d_copy(&d, 0xffffffffu, 10)));                   /* offset wraps */
	/* Sizes that lie. */
	BAD((d.len = 0, d_varint(&d, 299), d_varint(&d, 10), d_copy(&d, 0, 10)));  /* base size short */
	BAD((d.len = 0, d_varint(&d, 301), d_varint(&d, 10), d_copy(&d, 0, 10)));  /* base size long */
	BAD((d_copy(&d, 0, 9)));                              /* result shorter than declared */
	BAD((d_copy(&d, 0, 11)));                             /* a copy past the declared result */
	BAD((d_copy(&d, 0, 5), d_insert(&d, "123456", 6)));   /* an insert past it */
	BAD((d_insert(&d, "0123456789", 10), d_insert(&d, "x", 1)));
	/* Opcodes that do not parse. */
	BAD((b_byte(&d, 0), d_copy(&d, 0, 10)));              /* opcode 0 */
	BAD((b_byte(&d, 20), b_put(&d, "short", 5)));         /* insert past the delta's end */
	BAD((b_byte(&d, 0x80 | 0x01 | 0x10)));                /* copy without its arguments */
	BAD((b_byte(&d, 0x80 | 0x01 | 0x10), b_byte(&d, 1))); /* copy missing its size */
	BAD((d.len = 0));                                     /* empty: no sizes */
	BAD((d.len = 0, b_byte(&d, 0x80 | 44)));              /* a size that does not end */
#undef BAD
	/* A good delta among them, then a blob. */
	d_begin(&d, 300, 10);
	d_copy(&d, 290, 10);
	hp_ofs(&h, base_at, &d);
	hash_blob(&good_id, base300 + 290, 10);
	b_free(&d);
	marker_blob(&h, &end_id, "the end");
	hp_end(&h);
	repo = salvage_hand(&written, &h, "bad-deltas.capture", MAX_OBJECT);
	assert_true(bad > 10);
	assert_int_equal(written, 3);
	assert_true(has(repo, &base_id));
	assert_true(has(repo, &good_id));
	assert_true(has(repo, &end_id));
	git_repository_free(repo);
	b_free(&h.b);
}

/* A delta whose result would exceed max_object is not written (its own
 * bytes are small, so its header does not stop the walk). */
static void test_hand_delta_result_over_max(void **state)
{
	git_oid base_id, end_id, res_id;
	unsigned char want[600];
	uint64_t base_at;
	git_repository *repo;
	size_t written;
	bytes d;
	hpack h;

	(void)state;
	hp_begin(&h, 2);
	base_at = hp_obj(&h, 3, base300, sizeof base300);
	hash_blob(&base_id, base300, sizeof base300);
	d_begin(&d, 300, 600);
	d_copy(&d, 0, 300);
	d_copy(&d, 0, 300);
	hp_ofs(&h, base_at, &d);
	memcpy(want, base300, 300);
	memcpy(want + 300, base300, 300);
	hash_blob(&res_id, want, 600);
	b_free(&d);
	marker_blob(&h, &end_id, "the end");
	hp_end(&h);
	repo = salvage_hand(&written, &h, "result-max.capture", 599);
	assert_false(has(repo, &res_id));
	assert_true(has(repo, &base_id));
	assert_true(has(repo, &end_id));
	assert_int_equal(written, 2);
	git_repository_free(repo);
	/* At 600 it is. */
	repo = salvage_hand(&written, &h, "result-max.capture", 600);
	assert_int_equal(written, 3);
	assert_true(has(repo, &res_id));
	git_repository_free(repo);
	b_free(&h.b);
}

/* Offset deltas that name no object written before: skipped. */
static void test_hand_ofs_bases_not_at_hand(void **state)
{
	git_oid base_id, end_id;
	uint64_t base_at, skipped;
	git_repository *repo;
	size_t written;
	bytes d;
	hpack h;

	(void)state;
	hp_begin(&h, 2);
	base_at = hp_obj(&h, 3, base300, sizeof base300);
	hash_blob(&base_id, base300, sizeof base300);
	d_begin(&d, 300, 10);
	d_copy(&d, 0, 10);
	skipped = h.b.len;
	hp_ofs_back(&h, h.b.len - base_at - 1, &d);     /* into the middle of the base's header */
	hp_ofs_back(&h, h.b.len - base_at - 5, &d);     /* into its zlib stream */
	hp_ofs_back(&h, 0, &d);                          /* itself */
	hp_ofs_back(&h, h.b.len, &d);                    /* the pack's header, offset 0 */
	hp_ofs_back(&h, h.b.len + 1, &d);                /* before the pack */
	hp_ofs_back(&h, (uint64_t)1 << 62, &d);          /* far before it */
	hp_ofs(&h, skipped, &d);                         /* an object that was skipped */
	b_free(&d);
	marker_blob(&h, &end_id, "the end");
	hp_end(&h);
	repo = salvage_hand(&written, &h, "ofs-bases.capture", MAX_OBJECT);
	assert_int_equal(written, 2);
	assert_true(has(repo, &base_id));
	assert_true(has(repo, &end_id));
	git_repository_free(repo);
	b_free(&h.b);
}

/* A REF delta on an object that comes later in the pack, or on a delta that
 * was skipped, is skipped; one on what the repo holds is resolved. */
static void test_hand_ref_bases(void **state)
{
	static const char later[] = "a blob that comes after the delta on it, of some length";
	git_oid later_id, missing_id, held_id, r1, r2, end_id;
	uint64_t skipped_at;
	git_repository *repo;
	git_odb *odb = NULL;
	size_t written;
	bytes d;
	hpack h;

	(void)state;
	hash_blob(&later_id, later, sizeof later - 1);
	hash_blob(&missing_id, "nowhere", 7);
	hp_begin(&h, 2);
	d_begin(&d, sizeof later - 1, 5);
	d_copy(&d, 0, 5);
	hp_ref(&h, &later_id, &d);
	b_free(&d);
	d_begin(&d, 7, 3);
	d_copy(&d, 0, 3);
	skipped_at = hp_ref(&h, &missing_id, &d);
	b_free(&d);
	/* On the skipped delta, by offset, and by the id it would have had. */
	d_begin(&d, 3, 1);
	d_copy(&d, 0, 1);
	hp_ofs(&h, skipped_at, &d);
	hash_blob(&r1, "now", 3);
	hp_ref(&h, &r1, &d);
	b_free(&d);
	/* On what the repo holds. */
	d_begin(&d, 300, 4);
	d_copy(&d, 10, 4);
	hash_blob(&held_id, base300, sizeof base300);
	hp_ref(&h, &held_id, &d);
	hash_blob(&r2, base300 + 10, 4);
	b_free(&d);
	hp_obj(&h, 3, later, sizeof later - 1);
	marker_blob(&h, &end_id, "the end");
	hp_end(&h);

	/* Without the base in the repo. */
	repo = salvage_hand(&written, &h, "ref-bases.capture", MAX_OBJECT);
	assert_int_equal(written, 2);
	assert_true(has(repo, &later_id));
	assert_true(has(repo, &end_id));
	assert_false(has(repo, &r2));
	git_repository_free(repo);

	/* With it. */
	{
		char path[4300];
		capture c;
		git_oid back;
		repo = mem_repo();
		assert_git_ok(git_repository_odb(&odb, repo));
		assert_git_ok(git_odb_write(&back, odb, base300, sizeof base300, GIT_OBJECT_BLOB));
		git_odb_free(odb);
		cap_init(&c);
		cap_sideband(&c, &h.b, 1, 7, 1);
		tmp_path(path, sizeof path, "ref-held.capture");
		cap_write(&c, path);
		cap_free(&c);
		assert_civic_ok(civic_salvage_pack(&written, repo, path, MAX_OBJECT));
		assert_int_equal(written, 3);
		assert_true(has(repo, &r2));
		assert_true(has(repo, &later_id));
		assert_true(has(repo, &end_id));
		git_repository_free(repo);
		unlink(path);
	}
	b_free(&h.b);
}

/* Objects whose bytes are not what their header says: the walk ends there. */
static void test_hand_malformed_objects_stop(void **state)
{
	static const char text[] = "0123456789";
	git_oid a, b;
	size_t written, k;
	git_repository *repo;
	hpack h;

	(void)state;
	for (k = 0; k < 9; k++) {
		hp_begin(&h, 2);
		marker_blob(&h, &a, "before");
		switch (k) {
		case 0: /* inflates to more than declared */
			hp_header(&h, 3, 9);
			hp_zlib(&h, text, 10);
			break;
		case 1: /* to less */
			hp_header(&h, 3, 11);
			hp_zlib(&h, text, 10);
			break;
		case 2: /* a zlib stream whose check fails */
			hp_header(&h, 3, 10);
			hp_zlib(&h, text, 10);
			h.b.d[h.b.len - 1] ^= 1;
			break;
		case 3: /* no zlib stream at all */
			hp_header(&h, 3, 10);
			b_put(&h.b, text, 10);
			break;
		case 4: /* type 0 */
			hp_obj(&h, 0, text, 10);
			h.count--;
			break;
		case 5: /* a tag: not what salvage keeps */
			hp_obj(&h, 4, text, 10);
			h.count--;
			break;
		case 6: /* type 5, reserved */
			hp_obj(&h, 5, text, 10);
			h.count--;
			break;
		case 7: /* a delta that inflates to more than declared */
			hp_header(&h, 6, 3);
			hp_ofs_base(&h, h.b.len - 1 - 12);
			hp_zlib(&h, "\x06\x03\x90\x03", 4);
			break;
		case 8: /* a delta that inflates to less */
			hp_header(&h, 7, 5);
			b_put(&h.b, a.id, 20);
			hp_zlib(&h, "\x06\x03\x90\x03", 4);
			break;
		}
		h.count++;
		marker_blob(&h, &b, "after");
		hp_end(&h);
		repo = salvage_hand(&written, &h, "malformed.capture", MAX_OBJECT);
		if (written != 1)
			print_error("malformed case %zu: %zu written\n", k, written);
		assert_int_equal(written, 1);
		assert_true(has(repo, &a));
		assert_false(has(repo, &b));
		git_repository_free(repo);
		b_free(&h.b);
	}
}

/* The header's count bounds the walk: objects past it are not read. */
static void test_hand_count_bounds_the_walk(void **state)
{
	git_oid a, b, c;
	size_t written;
	git_repository *repo;
	hpack h;

	(void)state;
	hp_begin(&h, 2);
	marker_blob(&h, &a, "one");
	marker_blob(&h, &b, "two");
	marker_blob(&h, &c, "three");
	hp_end(&h);
	h.b.d[11] = 2;
	repo = salvage_hand(&written, &h, "count.capture", MAX_OBJECT);
	assert_int_equal(written, 2);
	assert_false(has(repo, &c));
	git_repository_free(repo);
	/* More than there are: the trailer is no object, the walk ends. */
	h.b.d[11] = 9;
	repo = salvage_hand(&written, &h, "count.capture", MAX_OBJECT);
	assert_int_equal(written, 3);
	git_repository_free(repo);
	h.b.d[11] = 0;
	repo = salvage_hand(&written, &h, "count.capture", MAX_OBJECT);
	assert_int_equal(written, 0);
	git_repository_free(repo);
	b_free(&h.b);
}

/* The count in the pack header is the peer's word: a pack that says it
 * holds 0xffffffff objects must not make civic allocate for that many
 * (it once asked for 120 GB and kept nothing), and the objects that did
 * arrive are kept. Run in a child process so that an abort fails this test
 * only. */
static int salvage_lying_count(void *arg)
{
	const char *path = arg;
	git_repository *repo = mem_repo();
	size_t written = 0;
	int rc = civic_salvage_pack(&written, repo, path, MAX_OBJECT);

	git_repository_free(repo);
	return rc < 0 ? 200 : (int)written;
}

static void test_hand_huge_count_keeps_what_arrived(void **state)
{
	char path[4300];
	git_oid a, b;
	capture c;
	hpack h;

	(void)state;
	hp_begin(&h, 2);
	marker_blob(&h, &a, "one");
	marker_blob(&h, &b, "two");
	hp_end(&h);
	h.b.d[8] = h.b.d[9] = h.b.d[10] = h.b.d[11] = 0xff;
	h.b.len -= 20; /* cut off after them, as a link that dropped */
	cap_init(&c);
	cap_plain(&c, &h.b, 0);
	tmp_path(path, sizeof path, "huge-count.capture");
	cap_write(&c, path);
	cap_free(&c);
	b_free(&h.b);
	assert_int_equal(fx_run_with_timeout(salvage_lying_count, path, 60), 2);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_git_packs_are_as_the_tests_need),
		cmocka_unit_test(test_whole_sideband),
		cmocka_unit_test(test_whole_plain),
		cmocka_unit_test(test_whole_full_size_packets),
		cmocka_unit_test(test_whole_on_disk_and_again),
		cmocka_unit_test(test_cuts_sideband_ofs),
		cmocka_unit_test(test_cuts_sideband_ref),
		cmocka_unit_test(test_cuts_plain),
		cmocka_unit_test(test_cuts_full_size_packets),
		cmocka_unit_test(test_thin_pack_bases_in_repo),
		cmocka_unit_test(test_thin_pack_bases_missing),
		cmocka_unit_test(test_declared_size_over_max_stops),
		cmocka_unit_test(test_huge_declared_sizes_stop),
		cmocka_unit_test(test_garbage_empty_missing),
		cmocka_unit_test(test_pack_versions),
		cmocka_unit_test(test_band3_error_packet),
		cmocka_unit_test(test_oversized_packet_stops),
		cmocka_unit_test(test_flush_and_empty_packets_pass),
		cmocka_unit_test(test_hand_pack_builder_agrees_with_git),
		cmocka_unit_test(test_hand_deltas_apply),
		cmocka_unit_test(test_hand_bad_deltas_not_written),
		cmocka_unit_test(test_hand_delta_result_over_max),
		cmocka_unit_test(test_hand_ofs_bases_not_at_hand),
		cmocka_unit_test(test_hand_ref_bases),
		cmocka_unit_test(test_hand_malformed_objects_stop),
		cmocka_unit_test(test_hand_count_bounds_the_walk),
		cmocka_unit_test(test_hand_huge_count_keeps_what_arrived),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
