/*
 * verify_floor.c - the floor for `civic audit`: libsodium verification of
 * the SSHSIG of every feed commit, and nothing else.
 *
 *   verify_floor ARCHIVE.git [PASSES]
 *
 * Untimed, first: every commit of every refs/civic/feeds/ ref is read with
 * git_commit_extract_signature() (the signed commit bytes and the armored
 * signature of its gpgsig header), and each armor is decoded into the
 * signer key and the 64 signature bytes.
 *
 * Timed, on one thread, PASSES times (the best pass is the floor): what
 * src/sign.c must do per commit at the very least, namely the SHA-512 of the
 * commit bytes, the SSHSIG signed data ("SSHSIG", namespace "git", reserved,
 * "sha512", the hash) and crypto_sign_verify_detached().
 *
 * Also timed once each, for reference: the same with the armor decoding
 * (base64 and blob parsing) included, and ed25519 verification alone.
 *
 * Prints key=value lines for bench/run.sh.
 */
#include <git2.h>
#include <sodium.h>
#include <stdint.h>

#include "bench_common.h"

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define SIGNED_DATA_LEN (6 + 4 + 3 + 4 + 4 + 6 + 4 + crypto_hash_sha512_BYTES)

typedef struct {
	char *data;  /* the signed commit bytes */
	size_t data_len;
	char *armor; /* the gpgsig header's value */
	size_t armor_len;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sig[crypto_sign_BYTES];
	uint8_t signed_data[SIGNED_DATA_LEN]; /* for the ed25519-only pass */
} item;

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads one SSH string at *p; 0 or -1. */
static int string_at(const uint8_t **s, size_t *slen, const uint8_t **p, size_t *len)
{
	uint32_t n;

	if (*len < 4 || (n = be32(*p)) > *len - 4)
		return -1;
	*s = *p + 4;
	*slen = n;
	*p += 4 + n;
	*len -= 4 + n;
	return 0;
}

/* Decodes the armor into the key and the signature bytes, checking the
 * fields that src/sign.c checks; 0 or -1. */
static int decode(uint8_t pk[32], uint8_t sig[64], const char *armor, size_t len)
{
	uint8_t blob[1024];
	const uint8_t *p = blob, *s, *f[5], *t;
	size_t blen, n, flen[5], tlen;
	const char *b, *e = armor + len;
	int i;

	if (len > 0 && e[-1] == '\n')
		e--;
	if (len < sizeof ARMOR_BEGIN - 1 + sizeof ARMOR_END - 1 ||
	    memcmp(armor, ARMOR_BEGIN, sizeof ARMOR_BEGIN - 1) ||
	    memcmp(e - (sizeof ARMOR_END - 1), ARMOR_END, sizeof ARMOR_END - 1))
		return -1;
	b = armor + sizeof ARMOR_BEGIN - 1;
	e -= sizeof ARMOR_END - 1;
	if (sodium_base642bin(blob, sizeof blob, b, (size_t)(e - b), "\n", &blen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	if (blen < 10 || memcmp(blob, "SSHSIG", 6) || be32(blob + 6) != 1)
		return -1;
	p = blob + 10;
	n = blen - 10;
	/* public key, namespace, reserved, hash name, signature */
	for (i = 0; i < 5; i++)
		if (string_at(&f[i], &flen[i], &p, &n) < 0)
			return -1;
	if (n != 0 || flen[0] != 51 || flen[1] != 3 || memcmp(f[1], "git", 3) || flen[2] != 0 ||
	    flen[3] != 6 || memcmp(f[3], "sha512", 6))
		return -1;
	p = f[0];
	n = flen[0];
	if (string_at(&t, &tlen, &p, &n) < 0 || tlen != 11 || memcmp(t, "ssh-ed25519", 11) ||
	    string_at(&s, &tlen, &p, &n) < 0 || tlen != 32)
		return -1;
	memcpy(pk, s, 32);
	p = f[4];
	n = flen[4];
	if (string_at(&t, &tlen, &p, &n) < 0 || tlen != 11 || memcmp(t, "ssh-ed25519", 11) ||
	    string_at(&s, &tlen, &p, &n) < 0 || tlen != 64 || n != 0)
		return -1;
	memcpy(sig, s, 64);
	return 0;
}

static void put_string(uint8_t **p, const void *s, uint32_t len)
{
	uint8_t *q = *p;

	q[0] = (uint8_t)(len >> 24);
	q[1] = (uint8_t)(len >> 16);
	q[2] = (uint8_t)(len >> 8);
	q[3] = (uint8_t)len;
	memcpy(q + 4, s, len);
	*p = q + 4 + len;
}

/* The SSHSIG signed data for a commit: "SSHSIG", string "git", string "",
 * string "sha512", string SHA-512(commit bytes). */
static void signed_data(uint8_t data[SIGNED_DATA_LEN], const item *it)
{
	uint8_t hash[crypto_hash_sha512_BYTES], *p = data;

	crypto_hash_sha512(hash, (const uint8_t *)it->data, it->data_len);
	memcpy(p, "SSHSIG", 6);
	p += 6;
	put_string(&p, "git", 3);
	put_string(&p, "", 0);
	put_string(&p, "sha512", 6);
	put_string(&p, hash, sizeof hash);
}

/* The floor's work for one commit: 0 if the signature verifies. */
static int verify_one(const item *it)
{
	uint8_t data[SIGNED_DATA_LEN];

	signed_data(data, it);
	return crypto_sign_verify_detached(it->sig, data, sizeof data, it->pk);
}

static int add_feed(item **items, size_t *count, size_t *alloc, git_repository *repo,
		    const git_oid *head)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int error;

	if ((error = git_revwalk_new(&walk, repo)) < 0 || (error = git_revwalk_push(walk, head)) < 0)
		goto done;
	while ((error = git_revwalk_next(&id, walk)) == 0) {
		git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
		item *it;

		if (*count == *alloc) {
			size_t n = *alloc ? *alloc * 2 : 1024;
			item *p = realloc(*items, n * sizeof *p);
			if (!p) {
				error = -1;
				goto done;
			}
			*items = p;
			*alloc = n;
		}
		if ((error = git_commit_extract_signature(&sig, &data, repo, &id, "gpgsig")) < 0)
			goto done;
		it = &(*items)[*count];
		it->data_len = data.size;
		it->armor_len = sig.size;
		it->data = malloc(data.size ? data.size : 1);
		it->armor = malloc(sig.size ? sig.size : 1);
		if (!it->data || !it->armor) {
			error = -1;
			goto done;
		}
		memcpy(it->data, data.ptr, data.size);
		memcpy(it->armor, sig.ptr, sig.size);
		git_buf_dispose(&sig);
		git_buf_dispose(&data);
		if (decode(it->pk, it->sig, it->armor, it->armor_len) < 0) {
			fprintf(stderr, "verify_floor: cannot decode the signature of a commit\n");
			error = -1;
			goto done;
		}
		signed_data(it->signed_data, it);
		(*count)++;
	}
	if (error == GIT_ITEROVER)
		error = 0;
done:
	git_revwalk_free(walk);
	return error;
}

int main(int argc, char **argv)
{
	git_repository *repo = NULL;
	git_reference_iterator *iter = NULL;
	git_reference *ref;
	item *items = NULL;
	size_t count = 0, alloc = 0, i, bad = 0, bytes = 0;
	double t0, best = 1e30, armor_s, ed_s, extract;
	int passes = argc > 2 ? atoi(argv[2]) : 3, pass, error;

	if (argc < 2 || argc > 3 || passes < 1) {
		fprintf(stderr, "usage: verify_floor ARCHIVE.git [PASSES]\n");
		return 2;
	}
	if (sodium_init() < 0 || git_libgit2_init() < 0)
		return 1;
	t0 = bench_now();
	if ((error = git_repository_open_bare(&repo, argv[1])) < 0 ||
	    (error = git_reference_iterator_glob_new(&iter, repo, "refs/civic/feeds/*")) < 0)
		goto fail;
	while ((error = git_reference_next(&ref, iter)) == 0) {
		const git_oid *head = git_reference_target(ref);
		error = head ? add_feed(&items, &count, &alloc, repo, head) : 0;
		git_reference_free(ref);
		if (error < 0)
			goto fail;
	}
	if (error != GIT_ITEROVER)
		goto fail;
	extract = bench_now() - t0;
	for (i = 0; i < count; i++)
		bytes += items[i].data_len;

	for (pass = 0; pass < passes; pass++) {
		double t;

		/* the floor: hash, signed data, ed25519 */
		t0 = bench_now();
		for (i = 0; i < count; i++)
			bad += verify_one(&items[i]) != 0;
		t = bench_now() - t0;
		best = t < best ? t : best;
	}
	/* For reference, once each: the same with the armor decoded each time,
	 * as a verifier must, and ed25519 alone over signed data computed
	 * beforehand. */
	t0 = bench_now();
	for (i = 0; i < count; i++) {
		item copy = items[i];
		if (decode(copy.pk, copy.sig, copy.armor, copy.armor_len) < 0 || verify_one(&copy))
			bad++;
	}
	armor_s = bench_now() - t0;
	t0 = bench_now();
	for (i = 0; i < count; i++)
		bad += crypto_sign_verify_detached(items[i].sig, items[i].signed_data, SIGNED_DATA_LEN,
						   items[i].pk) != 0;
	ed_s = bench_now() - t0;

	printf("floor_records=%zu\n", count);
	printf("floor_bad=%zu\n", bad);
	printf("floor_signed_bytes_avg=%.0f\n", count ? (double)bytes / (double)count : 0.0);
	printf("floor_extract_s=%.6f\n", extract);
	printf("floor_s=%.6f\n", best);
	printf("floor_us=%.2f\n", count ? best / (double)count * 1e6 : 0.0);
	printf("floor_rate=%.0f\n", best > 0 ? (double)count / best : 0.0);
	printf("floor_armor_s=%.6f\n", armor_s);
	printf("floor_ed25519_s=%.6f\n", ed_s);
	for (i = 0; i < count; i++) {
		free(items[i].data);
		free(items[i].armor);
	}
	free(items);
	git_reference_iterator_free(iter);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return bad ? 1 : 0;
fail:
	fprintf(stderr, "verify_floor: %s\n", git_error_last() ? git_error_last()->message : "failed");
	return 1;
}
