/* test_sign.c - SSHSIG signing and verification; `ssh-keygen -Y` is the independent check. */
#include "helpers.h"

#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "key.h"
#include "sign.h"

#define B64 sodium_base64_VARIANT_ORIGINAL

/* Made once: an ssh-keygen key, a message, ssh-keygen's signatures of it. */
static struct {
	char *dir;
	char key_path[4200], msg_path[4200];
	civic_key *key; /* the ssh-keygen key, imported */
	uint8_t *msg;
	size_t msg_len;
	char *ssh_sig; /* ssh-keygen -Y sign -n git, sha512 */
	size_t ssh_sig_len;
	/* a plain libsodium key for hand-built signatures */
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
} g;

/*------------------------------------------------------------------------
 * Helpers
 */

static char *read_file(const char *path, size_t *len)
{
	civic_buf b = CIVIC_BUF_INIT;
	assert_civic_ok(civic_buf_read_file(&b, path, 1 << 24));
	*len = b.size;
	return civic_buf_detach(&b);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void path_in(char *out, size_t size, const char *name)
{
	int n = snprintf(out, size, "%s/%s", g.dir, name);
	assert_true(n > 0 && (size_t)n < size);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[16384];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof cmd);
	return system(cmd);
}

static int verify(const char *armor, size_t len)
{
	civic_pubkey pk;
	memcpy(pk.bytes, g.pk, sizeof pk.bytes);
	return civic_verify(NULL, &pk, "git", g.msg, g.msg_len, armor, len);
}

static int verify_ssh(const char *armor, size_t len)
{
	return civic_verify(NULL, civic_key_public(g.key), "git", g.msg, g.msg_len, armor, len);
}

/* Armors a blob like ssh-keygen: 70-column lines. */
static void armor(civic_buf *out, const uint8_t *blob, size_t len)
{
	char b64[8192];
	size_t n, i;

	sodium_bin2base64(b64, sizeof b64, blob, len, B64);
	n = strlen(b64);
	civic_buf_clear(out);
	civic_buf_puts(out, "-----BEGIN SSH SIGNATURE-----\n");
	for (i = 0; i < n; i += 70) {
		civic_buf_put(out, b64 + i, n - i < 70 ? n - i : 70);
		civic_buf_putc(out, '\n');
	}
	civic_buf_puts(out, "-----END SSH SIGNATURE-----\n");
	assert_false(civic_buf_oom(out));
}

/* Decodes an armored signature into blob; returns its length. */
static size_t dearmor(uint8_t *blob, size_t cap, const char *armor_text)
{
	static const char begin[] = "-----BEGIN SSH SIGNATURE-----\n";
	const char *end = strstr(armor_text, "-----END");
	size_t len;

	assert_non_null(end);
	assert_int_equal(sodium_base642bin(blob, cap, armor_text + strlen(begin),
					   (size_t)(end - armor_text) - strlen(begin), "\n", &len,
					   NULL, B64), 0);
	return len;
}

/*
 * Builds an SSHSIG by hand, field by field, and signs it with g.sk over
 * whatever fields it has, so that a verifier must refuse it for the field
 * itself and not merely because the signature does not match.
 */
typedef struct {
	const char *magic, *key_type, *ns, *reserved, *hash, *sig_type;
	uint32_t version;
	size_t key_len, sig_len, trailing;
} spec;

#define SPEC_OK { "SSHSIG", "ssh-ed25519", "git", "", "sha512", "ssh-ed25519", 1, 32, 64, 0 }

static void put_u32(civic_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	civic_buf_put(b, x, 4);
}

static void put_string(civic_buf *b, const void *data, size_t len)
{
	put_u32(b, (uint32_t)len);
	civic_buf_put(b, data, len);
}

static void build(civic_buf *out, const spec *s)
{
	civic_buf data = CIVIC_BUF_INIT, blob = CIVIC_BUF_INIT, pub = CIVIC_BUF_INIT;
	civic_buf sig = CIVIC_BUF_INIT;
	uint8_t hash[64], sigbytes[crypto_sign_BYTES + 8] = { 0 }, key[40] = { 0 };
	size_t hash_len = 64;

	if (strcmp(s->hash, "sha256") == 0) {
		crypto_hash_sha256(hash, g.msg, g.msg_len);
		hash_len = 32;
	} else {
		crypto_hash_sha512(hash, g.msg, g.msg_len);
	}
	civic_buf_puts(&data, "SSHSIG");
	put_string(&data, s->ns, strlen(s->ns));
	put_string(&data, s->reserved, strlen(s->reserved));
	put_string(&data, s->hash, strlen(s->hash));
	put_string(&data, hash, hash_len);
	crypto_sign_detached(sigbytes, NULL, (const uint8_t *)data.ptr, data.size, g.sk);

	memcpy(key, g.pk, sizeof g.pk);
	put_string(&pub, s->key_type, strlen(s->key_type));
	put_string(&pub, key, s->key_len);
	put_string(&sig, s->sig_type, strlen(s->sig_type));
	put_string(&sig, sigbytes, s->sig_len);

	civic_buf_put(&blob, s->magic, strlen(s->magic));
	put_u32(&blob, s->version);
	put_string(&blob, pub.ptr, pub.size);
	put_string(&blob, s->ns, strlen(s->ns));
	put_string(&blob, s->reserved, strlen(s->reserved));
	put_string(&blob, s->hash, strlen(s->hash));
	put_string(&blob, sig.ptr, sig.size);
	for (size_t i = 0; i < s->trailing; i++)
		civic_buf_putc(&blob, '\0');
	armor(out, (const uint8_t *)blob.ptr, blob.size);
	civic_buf_dispose(&data);
	civic_buf_dispose(&blob);
	civic_buf_dispose(&pub);
	civic_buf_dispose(&sig);
}

static int verify_spec(const spec *s)
{
	civic_buf a = CIVIC_BUF_INIT;
	int rc;

	build(&a, s);
	rc = verify(a.ptr, a.size);
	civic_buf_dispose(&a);
	return rc;
}

static int group_setup(void **state)
{
	static const char title[] = "Протокол от работна среща, Кюстендил\n";
	char sig_path[4300], *text;
	size_t i, len;
	(void)state;

	g.dir = test_tmpdir_new();
	path_in(g.key_path, sizeof g.key_path, "id_ed25519");
	path_in(g.msg_path, sizeof g.msg_path, "msg");
	assert_int_equal(run("ssh-keygen -q -t ed25519 -N '' -C signer -f '%s'", g.key_path), 0);
	text = read_file(g.key_path, &len);
	assert_civic_ok(civic_key_import_openssh(&g.key, text, len));
	free(text);

	/* Binary, with NULs, Cyrillic and no final newline: none of it may matter. */
	g.msg_len = 70000;
	g.msg = malloc(g.msg_len);
	assert_non_null(g.msg);
	for (i = 0; i < g.msg_len; i++)
		g.msg[i] = (uint8_t)(i * 7 + i / 256);
	memcpy(g.msg, title, strlen(title));
	write_file(g.msg_path, g.msg, g.msg_len);

	assert_int_equal(run("SSH_AUTH_SOCK= ssh-keygen -q -Y sign -f '%s' -n git '%s' 2>/dev/null",
			     g.key_path, g.msg_path), 0);
	snprintf(sig_path, sizeof sig_path, "%s.sig", g.msg_path);
	g.ssh_sig = read_file(sig_path, &g.ssh_sig_len);
	crypto_sign_keypair(g.pk, g.sk);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	civic_key_free(g.key);
	free(g.msg);
	free(g.ssh_sig);
	sodium_memzero(g.sk, sizeof g.sk);
	test_tmpdir_remove(g.dir);
	return 0;
}

/*------------------------------------------------------------------------
 * Against ssh-keygen
 */

/* Writes allowed_signers for key and runs ssh-keygen -Y verify on sig. */
static int ssh_verify(const civic_key *key, const char *ns, const char *sig, size_t sig_len)
{
	char allowed[4200], sig_path[4200], out[4200];
	civic_buf line = CIVIC_BUF_INIT, entry = CIVIC_BUF_INIT;
	int rc;

	path_in(allowed, sizeof allowed, "allowed_signers");
	path_in(sig_path, sizeof sig_path, "civic.sig");
	path_in(out, sizeof out, "verify.out");
	assert_civic_ok(civic_pubkey_to_openssh(&line, civic_key_public(key)));
	civic_buf_printf(&entry, "principal namespaces=\"git\" %s\n", line.ptr);
	write_file(allowed, entry.ptr, entry.size);
	write_file(sig_path, sig, sig_len);
	rc = run("ssh-keygen -Y verify -f '%s' -I principal -n '%s' -s '%s' < '%s' > '%s' 2>&1",
		 allowed, ns, sig_path, g.msg_path, out);
	if (rc == 0) {
		size_t len;
		char *text = read_file(out, &len);
		assert_non_null(strstr(text, "Good \"git\" signature for principal"));
		free(text);
	}
	civic_buf_dispose(&line);
	civic_buf_dispose(&entry);
	return rc;
}

static void test_sign_verified_by_ssh_keygen(void **state)
{
	civic_key *key = NULL;
	civic_buf sig = CIVIC_BUF_INIT;
	(void)state;

	assert_civic_ok(civic_key_generate(&key));
	assert_civic_ok(civic_sign(&sig, key, "git", g.msg, g.msg_len));
	assert_int_equal(ssh_verify(key, "git", sig.ptr, sig.size), 0);
	/* and ssh-keygen does check: another namespace fails */
	assert_int_not_equal(ssh_verify(key, "file", sig.ptr, sig.size), 0);
	civic_key_free(key);
	civic_buf_dispose(&sig);
}

static void test_sign_equals_ssh_keygen_bytes(void **state)
{
	civic_buf sig = CIVIC_BUF_INIT;
	(void)state;

	assert_civic_ok(civic_sign(&sig, g.key, "git", g.msg, g.msg_len));
	assert_int_equal(sig.size, g.ssh_sig_len);
	assert_memory_equal(sig.ptr, g.ssh_sig, sig.size);
	civic_buf_dispose(&sig);
}

static void test_verify_ssh_keygen_signature(void **state)
{
	civic_pubkey signer;
	(void)state;

	memset(&signer, 0, sizeof signer);
	assert_civic_ok(civic_verify(&signer, civic_key_public(g.key), "git", g.msg, g.msg_len,
				     g.ssh_sig, g.ssh_sig_len));
	assert_true(civic_pubkey_equal(&signer, civic_key_public(g.key)));
	/* no expected key: any signer, who is reported */
	memset(&signer, 0, sizeof signer);
	assert_civic_ok(civic_verify(&signer, NULL, "git", g.msg, g.msg_len, g.ssh_sig,
				     g.ssh_sig_len));
	assert_true(civic_pubkey_equal(&signer, civic_key_public(g.key)));
}

static void test_verify_ssh_keygen_sha256_signature(void **state)
{
	char sig_path[4300];
	size_t len;
	char *sig;
	(void)state;

	snprintf(sig_path, sizeof sig_path, "%s.sig", g.msg_path);
	unlink(sig_path);
	assert_int_equal(run("SSH_AUTH_SOCK= ssh-keygen -q -Y sign -O hashalg=sha256 -f '%s' "
			     "-n git '%s' 2>/dev/null", g.key_path, g.msg_path), 0);
	sig = read_file(sig_path, &len);
	assert_civic_ok(verify_ssh(sig, len));
	free(sig);
}

static void test_verify_without_final_newline(void **state)
{
	(void)state;
	assert_int_equal(g.ssh_sig[g.ssh_sig_len - 1], '\n');
	assert_civic_ok(verify_ssh(g.ssh_sig, g.ssh_sig_len - 1));
}

static void test_sign_verify_empty_message(void **state)
{
	civic_buf sig = CIVIC_BUF_INIT;
	(void)state;
	assert_civic_ok(civic_sign(&sig, g.key, "civic-receipt", NULL, 0));
	assert_civic_ok(civic_verify(NULL, civic_key_public(g.key), "civic-receipt", NULL, 0,
				     sig.ptr, sig.size));
	assert_civic(CIVIC_EBADSIG, civic_verify(NULL, civic_key_public(g.key), "civic-receipt",
						 (const uint8_t *)"x", 1, sig.ptr, sig.size));
	civic_buf_dispose(&sig);
}

/*------------------------------------------------------------------------
 * What verification must refuse, each on its own
 */

static void test_verify_rejects_flipped_message_byte(void **state)
{
	size_t at[] = { 0, 1, 62, 4096, 69999 }, i;
	(void)state;

	for (i = 0; i < sizeof at / sizeof at[0]; i++) {
		g.msg[at[i]] ^= 1;
		assert_civic(CIVIC_EBADSIG, verify_ssh(g.ssh_sig, g.ssh_sig_len));
		g.msg[at[i]] ^= 1;
	}
	assert_civic_ok(verify_ssh(g.ssh_sig, g.ssh_sig_len));
}

/* One bit of the ed25519 signature itself, at each of its 64 bytes. */
static void test_verify_rejects_flipped_signature_byte(void **state)
{
	uint8_t blob[1024];
	civic_buf a = CIVIC_BUF_INIT;
	size_t len = dearmor(blob, sizeof blob, g.ssh_sig), i;
	civic_pubkey signer;
	(void)state;

	memset(&signer, 0x55, sizeof signer);
	for (i = len - crypto_sign_BYTES; i < len; i++) {
		blob[i] ^= 0x10;
		armor(&a, blob, len);
		assert_civic(CIVIC_EBADSIG, civic_verify(&signer, NULL, "git", g.msg, g.msg_len,
							 a.ptr, a.size));
		blob[i] ^= 0x10;
	}
	/* signer is untouched on failure */
	assert_int_equal(signer.bytes[0], 0x55);
	civic_buf_dispose(&a);
}

/* Any armor character changed to another base64 character: refused. */
static void test_verify_rejects_flipped_armor_character(void **state)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *copy = malloc(g.ssh_sig_len);
	size_t i;
	(void)state;

	assert_non_null(copy);
	for (i = 0; i < g.ssh_sig_len; i++) {
		memcpy(copy, g.ssh_sig, g.ssh_sig_len);
		if (copy[i] == '\n')
			copy[i] = 'A';
		else if (strchr(alphabet, copy[i]))
			copy[i] = alphabet[(strchr(alphabet, copy[i]) - alphabet + 1) % 64];
		else
			copy[i] ^= 1;
		assert_civic(CIVIC_EBADSIG, civic_verify(NULL, NULL, "git", g.msg, g.msg_len, copy,
							 g.ssh_sig_len));
	}
	free(copy);
}

static void test_verify_rejects_wrong_namespace(void **state)
{
	(void)state;
	assert_civic(CIVIC_EBADSIG, civic_verify(NULL, civic_key_public(g.key), "civic-bundle",
						 g.msg, g.msg_len, g.ssh_sig, g.ssh_sig_len));
	assert_non_null(strstr(civic_error_last()->message, "namespace"));
	assert_civic(CIVIC_EBADSIG, civic_verify(NULL, civic_key_public(g.key), "gi", g.msg,
						 g.msg_len, g.ssh_sig, g.ssh_sig_len));
	assert_civic(CIVIC_EBADSIG, civic_verify(NULL, civic_key_public(g.key), "gitx", g.msg,
						 g.msg_len, g.ssh_sig, g.ssh_sig_len));
}

static void test_verify_rejects_wrong_expected_key(void **state)
{
	civic_pubkey other;
	(void)state;
	memcpy(other.bytes, g.pk, sizeof other.bytes);
	assert_civic(CIVIC_EBADSIG, civic_verify(NULL, &other, "git", g.msg, g.msg_len, g.ssh_sig,
						 g.ssh_sig_len));
	assert_non_null(strstr(civic_error_last()->message, "another key"));
}

/* Every cut of the armor; only its final newline may go. */
static void test_verify_rejects_truncated_armor(void **state)
{
	size_t i;
	(void)state;
	for (i = 0; i + 1 < g.ssh_sig_len; i++)
		assert_civic(CIVIC_EBADSIG, verify_ssh(g.ssh_sig, i));
}

/* Every cut of the decoded blob, armored again properly. */
static void test_verify_rejects_truncated_blob(void **state)
{
	uint8_t blob[1024];
	civic_buf a = CIVIC_BUF_INIT;
	size_t len = dearmor(blob, sizeof blob, g.ssh_sig), i;
	(void)state;

	for (i = 0; i < len; i++) {
		armor(&a, blob, i);
		assert_civic(CIVIC_EBADSIG, verify_ssh(a.ptr, a.size));
	}
	civic_buf_dispose(&a);
}

static void test_verify_rejects_garbage_base64(void **state)
{
	static const char *const bad[] = {
		"-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n AAAA\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nU1NIU0lHA\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH====\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\nU1NIU0k=\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\n\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\n-----END SSH SIGNATURE-----\n",
		"-----BEGIN SSH SIGNATURE-----\n",
		"",
		"hello",
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_civic(CIVIC_EBADSIG, verify_ssh(bad[i], strlen(bad[i])));
	/* a NUL in the middle of good base64 */
	{
		char *copy = malloc(g.ssh_sig_len);
		assert_non_null(copy);
		memcpy(copy, g.ssh_sig, g.ssh_sig_len);
		copy[40] = '\0';
		assert_civic(CIVIC_EBADSIG, verify_ssh(copy, g.ssh_sig_len));
		free(copy);
	}
}

/* Bytes after the signature field: ssh's signature does not cover them. */
static void test_verify_rejects_trailing_bytes(void **state)
{
	spec s = SPEC_OK;
	uint8_t blob[1024];
	civic_buf a = CIVIC_BUF_INIT;
	size_t len = dearmor(blob, sizeof blob, g.ssh_sig);
	(void)state;

	blob[len] = 0;
	armor(&a, blob, len + 1);
	assert_civic(CIVIC_EBADSIG, verify_ssh(a.ptr, a.size));
	assert_non_null(strstr(civic_error_last()->message, "trailing"));
	s.trailing = 4;
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
	civic_buf_dispose(&a);
}

static void test_verify_rejects_text_around_armor(void **state)
{
	civic_buf t = CIVIC_BUF_INIT;
	(void)state;

	civic_buf_put(&t, g.ssh_sig, g.ssh_sig_len);
	civic_buf_puts(&t, "extra\n");
	assert_civic(CIVIC_EBADSIG, verify_ssh(t.ptr, t.size));
	civic_buf_clear(&t);
	civic_buf_put(&t, g.ssh_sig, g.ssh_sig_len);
	civic_buf_puts(&t, "\n");
	assert_civic(CIVIC_EBADSIG, verify_ssh(t.ptr, t.size));
	civic_buf_clear(&t);
	civic_buf_puts(&t, " ");
	civic_buf_put(&t, g.ssh_sig, g.ssh_sig_len);
	assert_civic(CIVIC_EBADSIG, verify_ssh(t.ptr, t.size));
	civic_buf_dispose(&t);
}

/* ssh-keygen refuses them too: "\r" is no part of the armor. */
static void test_verify_rejects_crlf_line_ends(void **state)
{
	civic_buf crlf = CIVIC_BUF_INIT;
	size_t i;
	(void)state;

	for (i = 0; i < g.ssh_sig_len; i++) {
		if (g.ssh_sig[i] == '\n')
			civic_buf_putc(&crlf, '\r');
		civic_buf_putc(&crlf, g.ssh_sig[i]);
	}
	assert_civic(CIVIC_EBADSIG, verify_ssh(crlf.ptr, crlf.size));
	civic_buf_dispose(&crlf);
}

static void test_verify_rejects_oversized_armor(void **state)
{
	char *big = malloc(CIVIC_SIGN_ARMOR_MAX + 1);
	(void)state;
	assert_non_null(big);
	memcpy(big, g.ssh_sig, g.ssh_sig_len);
	memset(big + g.ssh_sig_len, '\n', CIVIC_SIGN_ARMOR_MAX + 1 - g.ssh_sig_len);
	assert_civic(CIVIC_EBADSIG, verify_ssh(big, CIVIC_SIGN_ARMOR_MAX + 1));
	free(big);
}

/* The hand-built control: the builder makes good signatures. */
static void test_verify_accepts_built_signature(void **state)
{
	spec s = SPEC_OK;
	(void)state;
	assert_civic_ok(verify_spec(&s));
	s.hash = "sha256";
	assert_civic_ok(verify_spec(&s));
}

static void test_verify_rejects_bad_magic(void **state)
{
	spec s = SPEC_OK;
	(void)state;
	s.magic = "SSHSIH";
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
	s.magic = "SSHSI";
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
}

static void test_verify_rejects_bad_version(void **state)
{
	spec s = SPEC_OK;
	(void)state;
	s.version = 2;
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
	s.version = 0;
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
}

static void test_verify_rejects_bad_key_type(void **state)
{
	spec s = SPEC_OK;
	(void)state;
	s.key_type = "ssh-rsa";
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
	s.key_type = "sk-ssh-ed25519@openssh.com";
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
}

static void test_verify_rejects_bad_key_length(void **state)
{
	spec s = SPEC_OK;
	(void)state;
	s.key_len = 31;
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
	s.key_len = 33;
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
}

static void test_verify_rejects_nonempty_reserved(void **state)
{
	spec s = SPEC_OK;
	(void)state;
	s.reserved = "x";
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
	assert_non_null(strstr(civic_error_last()->message, "reserved"));
}

static void test_verify_rejects_bad_hash(void **state)
{
	spec s = SPEC_OK;
	(void)state;
	s.hash = "md5";
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
	s.hash = "SHA512";
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
	s.hash = "sha5120";
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
}

static void test_verify_rejects_bad_signature_type(void **state)
{
	spec s = SPEC_OK;
	(void)state;
	s.sig_type = "rsa-sha2-512";
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
}

static void test_verify_rejects_bad_signature_length(void **state)
{
	spec s = SPEC_OK;
	(void)state;
	s.sig_len = 63;
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
	s.sig_len = 65;
	assert_civic(CIVIC_EBADSIG, verify_spec(&s));
}

/* The namespace inside the signed data differs from the one in the blob. */
static void test_verify_rejects_namespace_signed_differently(void **state)
{
	spec s = SPEC_OK;
	civic_buf a = CIVIC_BUF_INIT;
	uint8_t blob[1024];
	size_t len;
	(void)state;

	s.ns = "gix";
	build(&a, &s);
	len = dearmor(blob, sizeof blob, a.ptr);
	/* rewrite the blob's namespace "gix" -> "git"; the signature covers "gix" */
	for (size_t i = 0; i + 3 <= len; i++)
		if (memcmp(blob + i, "gix", 3) == 0)
			blob[i + 2] = 't';
	armor(&a, blob, len);
	assert_civic(CIVIC_EBADSIG, verify(a.ptr, a.size));
	civic_buf_dispose(&a);
}

static void test_sign_rejects_bad_namespace(void **state)
{
	civic_buf sig = CIVIC_BUF_INIT;
	char longns[CIVIC_SIGN_NAMESPACE_MAX + 2];
	(void)state;

	assert_civic(CIVIC_EINVALID, civic_sign(&sig, g.key, "", g.msg, 10));
	memset(longns, 'n', sizeof longns - 1);
	longns[sizeof longns - 1] = '\0';
	assert_civic(CIVIC_EINVALID, civic_sign(&sig, g.key, longns, g.msg, 10));
	assert_civic(CIVIC_EINVALID, civic_verify(NULL, NULL, "", g.msg, g.msg_len, g.ssh_sig,
						  g.ssh_sig_len));
	/* the longest namespace allowed works both ways */
	longns[sizeof longns - 2] = '\0';
	assert_civic_ok(civic_sign(&sig, g.key, longns, g.msg, 10));
	assert_civic_ok(civic_verify(NULL, civic_key_public(g.key), longns, g.msg, 10, sig.ptr,
				     sig.size));
	civic_buf_dispose(&sig);
}

static void test_sign_output_shape(void **state)
{
	civic_buf sig = CIVIC_BUF_INIT;
	const char *p, *nl;
	(void)state;

	civic_buf_puts(&sig, "old contents are replaced");
	assert_civic_ok(civic_sign(&sig, g.key, "civic-manifest", g.msg, g.msg_len));
	assert_true(strncmp(sig.ptr, "-----BEGIN SSH SIGNATURE-----\n", 30) == 0);
	assert_string_equal(sig.ptr + sig.size - 28, "-----END SSH SIGNATURE-----\n");
	for (p = sig.ptr; (nl = strchr(p, '\n')); p = nl + 1)
		assert_true(nl - p <= 70 || strncmp(p, "-----", 5) == 0);
	civic_buf_dispose(&sig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verified_by_ssh_keygen),
		cmocka_unit_test(test_sign_equals_ssh_keygen_bytes),
		cmocka_unit_test(test_verify_ssh_keygen_signature),
		cmocka_unit_test(test_verify_ssh_keygen_sha256_signature),
		cmocka_unit_test(test_verify_without_final_newline),
		cmocka_unit_test(test_sign_verify_empty_message),
		cmocka_unit_test(test_verify_rejects_flipped_message_byte),
		cmocka_unit_test(test_verify_rejects_flipped_signature_byte),
		cmocka_unit_test(test_verify_rejects_flipped_armor_character),
		cmocka_unit_test(test_verify_rejects_wrong_namespace),
		cmocka_unit_test(test_verify_rejects_wrong_expected_key),
		cmocka_unit_test(test_verify_rejects_truncated_armor),
		cmocka_unit_test(test_verify_rejects_truncated_blob),
		cmocka_unit_test(test_verify_rejects_garbage_base64),
		cmocka_unit_test(test_verify_rejects_trailing_bytes),
		cmocka_unit_test(test_verify_rejects_text_around_armor),
		cmocka_unit_test(test_verify_rejects_crlf_line_ends),
		cmocka_unit_test(test_verify_rejects_oversized_armor),
		cmocka_unit_test(test_verify_accepts_built_signature),
		cmocka_unit_test(test_verify_rejects_bad_magic),
		cmocka_unit_test(test_verify_rejects_bad_version),
		cmocka_unit_test(test_verify_rejects_bad_key_type),
		cmocka_unit_test(test_verify_rejects_bad_key_length),
		cmocka_unit_test(test_verify_rejects_nonempty_reserved),
		cmocka_unit_test(test_verify_rejects_bad_hash),
		cmocka_unit_test(test_verify_rejects_bad_signature_type),
		cmocka_unit_test(test_verify_rejects_bad_signature_length),
		cmocka_unit_test(test_verify_rejects_namespace_signed_differently),
		cmocka_unit_test(test_sign_rejects_bad_namespace),
		cmocka_unit_test(test_sign_output_shape),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
