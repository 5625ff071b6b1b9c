/* key.c - ed25519 identity keys, their file at rest and OpenSSH import; see key.h. */
#include "key.h"
#include "sshwire.h"
#include "fsutil.h"
#include "error.h"

#include <libintl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct civic_key {
	/* libsodium's layout: the 32-byte seed, then the public key. */
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	civic_pubkey pub;
};

#define SEED_LEN crypto_sign_SEEDBYTES
#define B64 sodium_base64_VARIANT_ORIGINAL

#define KDF_ARGON2ID "argon2id13"
#define KDF_NONE "none"
#define SALT_LEN crypto_pwhash_SALTBYTES
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define AEAD_KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define SEALED_LEN (SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define AD_LEN (sizeof CIVIC_KEY_FILE_FORMAT - 1 + crypto_sign_PUBLICKEYBYTES)

/* The limits come from the file, which only someone who can write the keys
 * directory controls; still, cap them so a damaged file cannot ask for
 * terabytes of memory or hours of work. Our writer uses INTERACTIVE. */
#define OPSLIMIT_MAX 16
#define MEMLIMIT_MAX crypto_pwhash_MEMLIMIT_SENSITIVE

/* Upper bound of a key file we write (about 400 bytes in practice). */
#define KEY_TEXT_MAX 1024

/* The first 19 bytes of an ed25519 key's SSH wire form. */
static const uint8_t ed25519_wire_prefix[] = {
	0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9', 0, 0, 0, 32,
};

/*------------------------------------------------------------------------
 * The key object
 */

int civic_crypto_init(void)
{
	if (sodium_init() < 0) {
		civic_error_set(CIVIC_ERROR_KEY, "cannot initialize libsodium");
		return CIVIC_ERROR;
	}
	return 0;
}

static int key_alloc(civic_key **out)
{
	civic_key *key = sodium_malloc(sizeof *key);

	*out = NULL;
	CIVIC_ERROR_CHECK_ALLOC(key);
	sodium_memzero(key, sizeof *key);
	*out = key;
	return 0;
}

void civic_key_free(civic_key *key)
{
	sodium_free(key); /* wipes, and accepts NULL */
}

const civic_pubkey *civic_key_public(const civic_key *key)
{
	return &key->pub;
}

int civic_key_generate(civic_key **out)
{
	civic_key *key = NULL;
	int error;

	CIVIC_ASSERT_ARG(out);
	*out = NULL;
	if ((error = civic_crypto_init()) < 0 || (error = key_alloc(&key)) < 0)
		return error;
	crypto_sign_keypair(key->pub.bytes, key->sk);
	*out = key;
	return 0;
}

int civic_key__sign(uint8_t sig[crypto_sign_BYTES], const civic_key *key, const uint8_t *msg,
		    size_t len)
{
	CIVIC_ASSERT_ARG(sig && key && (msg || !len));
	if (crypto_sign_detached(sig, NULL, msg, len, key->sk) != 0) {
		civic_error_set(CIVIC_ERROR_KEY, "cannot sign");
		return CIVIC_ERROR;
	}
	return 0;
}

/* Fills key from a seed and checks that its public half is `expected`, the
 * one stored in the key file at `path` (NULL: an imported OpenSSH key). */
static int key_from_seed(civic_key *key, const uint8_t seed[SEED_LEN], const uint8_t *expected,
			 const char *path)
{
	crypto_sign_seed_keypair(key->pub.bytes, key->sk, seed);
	if (sodium_memcmp(key->pub.bytes, expected, sizeof key->pub.bytes) == 0)
		return 0;
	if (path)
		civic_error_set(CIVIC_ERROR_KEY, "key file '%s': its public key does not match "
				"its secret key", path);
	else
		civic_error_set(CIVIC_ERROR_KEY, "cannot import the OpenSSH key: its public key "
				"does not match its secret key");
	return CIVIC_EINVALID;
}

/*------------------------------------------------------------------------
 * Public key forms
 */

void civic_pubkey__wire(uint8_t out[CIVIC_PUBKEY_WIRE_LEN], const civic_pubkey *pk)
{
	memcpy(out, ed25519_wire_prefix, sizeof ed25519_wire_prefix);
	memcpy(out + sizeof ed25519_wire_prefix, pk->bytes, sizeof pk->bytes);
}

int civic_pubkey__from_wire(civic_pubkey *out, const uint8_t *wire, size_t len)
{
	if (len != CIVIC_PUBKEY_WIRE_LEN ||
	    memcmp(wire, ed25519_wire_prefix, sizeof ed25519_wire_prefix) != 0)
		return 0;
	memcpy(out->bytes, wire + sizeof ed25519_wire_prefix, sizeof out->bytes);
	return 1;
}

int civic_pubkey_to_openssh(civic_buf *out, const civic_pubkey *pk)
{
	uint8_t wire[CIVIC_PUBKEY_WIRE_LEN];
	char b64[sodium_base64_ENCODED_LEN(CIVIC_PUBKEY_WIRE_LEN, B64)];

	CIVIC_ASSERT_ARG(out && pk);
	civic_pubkey__wire(wire, pk);
	sodium_bin2base64(b64, sizeof b64, wire, sizeof wire, B64);
	civic_buf_clear(out);
	civic_buf_puts(out, "ssh-ed25519 ");
	civic_buf_puts(out, b64);
	return civic_buf_oom(out) ? civic_error_nomem() : 0;
}

static int bad_pubkey_line(const char *why)
{
	civic_error_set(CIVIC_ERROR_KEY, "not an ssh-ed25519 public key line: %s", dgettext("civic", why));
	return CIVIC_EINVALID;
}

int civic_pubkey_from_openssh(civic_pubkey *out, const char *line, size_t len)
{
	static const char type[] = "ssh-ed25519";
	const char *p = line, *end, *b64;
	uint8_t wire[CIVIC_PUBKEY_WIRE_LEN];
	size_t n;

	CIVIC_ASSERT_ARG(out && (line || !len));
	if (len == 0)
		return bad_pubkey_line("empty");
	end = line + len;
	if (end > p && end[-1] == '\n')
		end--;
	if (end > p && end[-1] == '\r')
		end--;
	if (memchr(p, '\n', (size_t)(end - p)) || memchr(p, '\r', (size_t)(end - p)) ||
	    memchr(p, '\0', (size_t)(end - p)))
		return bad_pubkey_line("not a single line of text");
	if ((size_t)(end - p) <= sizeof type - 1 || memcmp(p, type, sizeof type - 1) != 0 ||
	    (p[sizeof type - 1] != ' ' && p[sizeof type - 1] != '\t'))
		return bad_pubkey_line("it does not start with 'ssh-ed25519 '");
	for (p += sizeof type - 1; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	/* The key runs to the next blank; whatever follows is the comment. */
	for (b64 = p; p < end && *p != ' ' && *p != '\t'; p++)
		;
	if (sodium_base642bin(wire, sizeof wire, b64, (size_t)(p - b64), NULL, &n, NULL, B64) != 0 ||
	    !civic_pubkey__from_wire(out, wire, n))
		return bad_pubkey_line("bad key data");
	return 0;
}

int civic_pubkey_fingerprint(civic_buf *out, const civic_pubkey *pk)
{
	uint8_t wire[CIVIC_PUBKEY_WIRE_LEN], hash[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
					  sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	CIVIC_ASSERT_ARG(out && pk);
	civic_pubkey__wire(wire, pk);
	crypto_hash_sha256(hash, wire, sizeof wire);
	sodium_bin2base64(b64, sizeof b64, hash, sizeof hash,
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	civic_buf_clear(out);
	civic_buf_puts(out, "SHA256:");
	civic_buf_puts(out, b64);
	return civic_buf_oom(out) ? civic_error_nomem() : 0;
}

void civic_pubkey_to_hex(char out[CIVIC_PUBKEY_HEX_LEN + 1], const civic_pubkey *pk)
{
	sodium_bin2hex(out, CIVIC_PUBKEY_HEX_LEN + 1, pk->bytes, sizeof pk->bytes);
}

int civic_pubkey_from_hex(civic_pubkey *out, const char *hex, size_t len)
{
	size_t i;

	CIVIC_ASSERT_ARG(out && (hex || !len));
	/* Lowercase only, so that one key has one ref name. */
	for (i = 0; i < len; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			break;
	if (len != CIVIC_PUBKEY_HEX_LEN || i != len ||
	    sodium_hex2bin(out->bytes, sizeof out->bytes, hex, len, NULL, NULL, NULL) != 0) {
		civic_error_set(CIVIC_ERROR_KEY, "a public key in hex is 64 lowercase hex digits");
		return CIVIC_EINVALID;
	}
	return 0;
}

int civic_pubkey_refname(civic_buf *out, const char *prefix, const civic_pubkey *pk)
{
	char hex[CIVIC_PUBKEY_HEX_LEN + 1];

	civic_pubkey_to_hex(hex, pk);
	civic_buf_clear(out);
	return civic_buf_printf(out, "%s%s", prefix, hex);
}

int civic_pubkey_from_refname(civic_pubkey *out, const char *prefix, const char *refname)
{
	size_t plen = strlen(prefix);

	if (strncmp(refname, prefix, plen) || civic_pubkey_from_hex(out, refname + plen, strlen(refname + plen)) < 0) {
		civic_error_clear();
		return -1;
	}
	return 0;
}

int civic_pubkey_equal(const civic_pubkey *a, const civic_pubkey *b)
{
	return sodium_memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

/*------------------------------------------------------------------------
 * OpenSSH private key import (openssh-key-v1, OpenSSH's PROTOCOL.key)
 */

#define OPENSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define OPENSSH_END "-----END OPENSSH PRIVATE KEY-----"
static const char openssh_magic[] = "openssh-key-v1"; /* with its NUL */

/* Whether s holds exactly the text want (without its NUL). */
static int wire_is_text(const civic_wire_reader *s, const char *want)
{
	return civic_wire_is(s, want, strlen(want));
}

static int bad_openssh(const char *why)
{
	civic_error_set(CIVIC_ERROR_KEY, "cannot import the OpenSSH key: %s", dgettext("civic", why));
	return CIVIC_EINVALID;
}

/* Decodes the armored text into sodium memory: it holds the secret key. */
static int openssh_dearmor(uint8_t **out, size_t *out_len, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t cap;

	*out = NULL;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if ((size_t)(end - p) < sizeof OPENSSH_BEGIN + sizeof OPENSSH_END ||
	    memcmp(p, OPENSSH_BEGIN, sizeof OPENSSH_BEGIN - 1) != 0 ||
	    memcmp(end - (sizeof OPENSSH_END - 1), OPENSSH_END, sizeof OPENSSH_END - 1) != 0)
		return bad_openssh("not an OpenSSH private key file (" OPENSSH_BEGIN ")");
	p += sizeof OPENSSH_BEGIN - 1;
	end -= sizeof OPENSSH_END - 1;
	cap = (size_t)(end - p) / 4 * 3 + 3;
	if (!(*out = sodium_malloc(cap)))
		return civic_error_nomem();
	if (sodium_base642bin(*out, cap, p, (size_t)(end - p), "\r\n", out_len, NULL, B64) != 0) {
		sodium_free(*out);
		*out = NULL;
		return bad_openssh("bad base64");
	}
	return 0;
}

/* Names the key type in the message when it is short plain text. */
static int not_ed25519(const civic_wire_reader *type)
{
	size_t i;

	for (i = 0; i < type->len && type->len <= 64; i++)
		if (type->p[i] < 0x21 || type->p[i] > 0x7e)
			break;
	if (type->len == 0 || i != type->len)
		return bad_openssh("only ed25519 keys can be imported");
	civic_error_set(CIVIC_ERROR_KEY,
			"cannot import the OpenSSH key: only ed25519 keys can be imported, this is %.*s",
			(int)type->len, (const char *)type->p);
	return CIVIC_EINVALID;
}

/* The public key blob: string key type, string 32 key bytes. */
static int openssh_public(civic_pubkey *pk, const civic_wire_reader *blob)
{
	civic_wire_reader r = *blob, type;

	if (civic_wire_string(&r, &type) < 0)
		return bad_openssh("truncated public key");
	if (!wire_is_text(&type, "ssh-ed25519"))
		return not_ed25519(&type);
	if (!civic_pubkey__from_wire(pk, blob->p, blob->len))
		return bad_openssh("malformed ed25519 public key");
	return 0;
}

/*
 * The private section: uint32 checkint twice, string "ssh-ed25519", string
 * public key, string secret key (seed || public), string comment, then
 * padding 1, 2, 3... up to the cipher block size (8 for "none").
 */
static int openssh_private(civic_key *key, const civic_pubkey *pk, civic_wire_reader r)
{
	uint32_t check1, check2;
	civic_wire_reader type, pub, sec, comment;
	size_t i;

	if (r.len % 8 != 0)
		return bad_openssh("private section is not padded to 8 bytes");
	if (civic_wire_u32(&r, &check1) < 0 || civic_wire_u32(&r, &check2) < 0 || civic_wire_string(&r, &type) < 0 ||
	    civic_wire_string(&r, &pub) < 0 || civic_wire_string(&r, &sec) < 0 || civic_wire_string(&r, &comment) < 0)
		return bad_openssh("truncated private section");
	if (check1 != check2)
		return bad_openssh("check-ints differ");
	if (!wire_is_text(&type, "ssh-ed25519"))
		return not_ed25519(&type);
	if (pub.len != sizeof pk->bytes || sec.len != crypto_sign_SECRETKEYBYTES)
		return bad_openssh("wrong ed25519 key lengths");
	if (memcmp(pub.p, pk->bytes, sizeof pk->bytes) != 0 ||
	    memcmp(sec.p + SEED_LEN, pk->bytes, sizeof pk->bytes) != 0)
		return bad_openssh("the private section names another public key");
	if (r.len >= 8)
		return bad_openssh("too much padding");
	for (i = 0; i < r.len; i++)
		if (r.p[i] != i + 1)
			return bad_openssh("bad padding");
	return key_from_seed(key, sec.p, pk->bytes, NULL);
}

static int openssh_parse(civic_key *key, const uint8_t *raw, size_t len)
{
	civic_wire_reader r = { raw, len }, cipher, kdf, kdfopts, pubblob, priv;
	civic_pubkey pk;
	uint32_t nkeys;
	int error;

	if (len < sizeof openssh_magic || memcmp(raw, openssh_magic, sizeof openssh_magic) != 0)
		return bad_openssh("not openssh-key-v1");
	r.p += sizeof openssh_magic;
	r.len -= sizeof openssh_magic;
	if (civic_wire_string(&r, &cipher) < 0 || civic_wire_string(&r, &kdf) < 0 ||
	    civic_wire_string(&r, &kdfopts) < 0 || civic_wire_u32(&r, &nkeys) < 0)
		return bad_openssh("truncated header");
	if (!wire_is_text(&cipher, "none") || !wire_is_text(&kdf, "none") || kdfopts.len != 0) {
		civic_error_set(CIVIC_ERROR_KEY,
				"key is encrypted; decrypt it with ssh-keygen -p first");
		return CIVIC_EINVALID;
	}
	if (nkeys != 1)
		return bad_openssh("the file must hold exactly one key");
	if (civic_wire_string(&r, &pubblob) < 0 || civic_wire_string(&r, &priv) < 0)
		return bad_openssh("truncated key");
	if (r.len != 0)
		return bad_openssh("trailing bytes");
	if ((error = openssh_public(&pk, &pubblob)) < 0)
		return error;
	return openssh_private(key, &pk, priv);
}

int civic_key_import_openssh(civic_key **out, const char *text, size_t len)
{
	civic_key *key = NULL;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int error;

	CIVIC_ASSERT_ARG(out);
	*out = NULL;
	CIVIC_ASSERT_ARG(text || !len);
	if ((error = civic_crypto_init()) < 0)
		return error;
	if (len == 0)
		return bad_openssh("empty text");
	if (len > CIVIC_KEY_FILE_MAX)
		return bad_openssh("larger than 64 KiB");
	if ((error = openssh_dearmor(&raw, &raw_len, text, len)) < 0 ||
	    (error = key_alloc(&key)) < 0 || (error = openssh_parse(key, raw, raw_len)) < 0)
		goto done;
	*out = key;
	key = NULL;
done:
	civic_key_free(key);
	sodium_free(raw);
	return error;
}

/*------------------------------------------------------------------------
 * Writing the key file
 */

/* The AEAD's additional data: the format name, then the public key. It
 * binds the sealed seed to its public key and to this format. */
static void make_ad(uint8_t ad[AD_LEN], const civic_pubkey *pk)
{
	memcpy(ad, CIVIC_KEY_FILE_FORMAT, sizeof CIVIC_KEY_FILE_FORMAT - 1);
	memcpy(ad + sizeof CIVIC_KEY_FILE_FORMAT - 1, pk->bytes, sizeof pk->bytes);
}

/* snprintf that reports truncation as an error. */
static int text_printf(char *text, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int text_printf(char *text, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		civic_error_set(CIVIC_ERROR_KEY, "key file text too long");
		return CIVIC_ERROR;
	}
	*len = (size_t)n;
	return 0;
}

/*
 * The key file text is formatted by hand, not with jansson: the unencrypted
 * form holds the seed, and the text must stay in sodium memory (jansson
 * would copy it into malloc'd strings). Every value is base64, a number or a
 * fixed name, so nothing needs escaping.
 */
static int format_sealed(char *text, size_t cap, size_t *len, const civic_key *key,
			 const char *pass, size_t pass_len)
{
	uint8_t salt[SALT_LEN], nonce[NONCE_LEN], sealed[SEALED_LEN], ad[AD_LEN];
	char salt64[sodium_base64_ENCODED_LEN(SALT_LEN, B64)];
	char nonce64[sodium_base64_ENCODED_LEN(NONCE_LEN, B64)];
	char sealed64[sodium_base64_ENCODED_LEN(SEALED_LEN, B64)];
	civic_buf pub = CIVIC_BUF_INIT;
	uint8_t *dk = sodium_malloc(AEAD_KEY_LEN);
	int error = 0;

	if (!dk)
		return civic_error_nomem();
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	if (crypto_pwhash(dk, AEAD_KEY_LEN, pass, pass_len, salt, crypto_pwhash_OPSLIMIT_INTERACTIVE,
			  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		civic_error_set(CIVIC_ERROR_KEY, "cannot derive a key from the passphrase "
						 "(out of memory?)");
		error = CIVIC_ERROR;
		goto done;
	}
	make_ad(ad, &key->pub);
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, NULL, key->sk, SEED_LEN, ad, sizeof ad,
						   NULL, nonce, dk);
	sodium_bin2base64(salt64, sizeof salt64, salt, sizeof salt, B64);
	sodium_bin2base64(nonce64, sizeof nonce64, nonce, sizeof nonce, B64);
	sodium_bin2base64(sealed64, sizeof sealed64, sealed, sizeof sealed, B64);
	if ((error = civic_pubkey_to_openssh(&pub, &key->pub)) < 0)
		goto done;
	error = text_printf(text, cap, len,
			    "{\n  \"format\": \"%s\",\n  \"public\": \"%s\",\n  \"kdf\": \"%s\",\n"
			    "  \"opslimit\": %llu,\n  \"memlimit\": %llu,\n  \"salt\": \"%s\",\n"
			    "  \"nonce\": \"%s\",\n  \"sealed\": \"%s\"\n}\n",
			    CIVIC_KEY_FILE_FORMAT, pub.ptr, KDF_ARGON2ID,
			    (unsigned long long)crypto_pwhash_OPSLIMIT_INTERACTIVE,
			    (unsigned long long)crypto_pwhash_MEMLIMIT_INTERACTIVE, salt64, nonce64,
			    sealed64);
done:
	sodium_free(dk);
	civic_buf_dispose(&pub);
	return error;
}

static int format_clear(char *text, size_t cap, size_t *len, const civic_key *key)
{
	char *seed64 = sodium_malloc(sodium_base64_ENCODED_LEN(SEED_LEN, B64));
	civic_buf pub = CIVIC_BUF_INIT;
	int error;

	if (!seed64)
		return civic_error_nomem();
	sodium_bin2base64(seed64, sodium_base64_ENCODED_LEN(SEED_LEN, B64), key->sk, SEED_LEN, B64);
	if ((error = civic_pubkey_to_openssh(&pub, &key->pub)) == 0)
		error = text_printf(text, cap, len,
				    "{\n  \"format\": \"%s\",\n  \"public\": \"%s\",\n"
				    "  \"kdf\": \"%s\",\n  \"seed\": \"%s\"\n}\n",
				    CIVIC_KEY_FILE_FORMAT, pub.ptr, KDF_NONE, seed64);
	sodium_free(seed64);
	civic_buf_dispose(&pub);
	return error;
}

int civic_key_save(const civic_key *key, const char *path, const char *passphrase,
		   size_t passphrase_len)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int error;

	CIVIC_ASSERT_ARG(key && path);
	if ((error = civic_crypto_init()) < 0)
		return error;
	if (passphrase && passphrase_len == 0) {
		civic_error_set(CIVIC_ERROR_KEY, "the passphrase is empty");
		return CIVIC_EINVALID;
	}
	/* Checked again atomically by civic_fs_write_atomic(); this only spares the
	 * argon2 work. */
	if (lstat(path, &st) == 0) {
		civic_error_set(CIVIC_ERROR_KEY, "key file '%s' exists already", path);
		return CIVIC_EEXISTS;
	}
	if (!(text = sodium_malloc(KEY_TEXT_MAX)))
		return civic_error_nomem();
	error = passphrase ? format_sealed(text, KEY_TEXT_MAX, &len, key, passphrase, passphrase_len)
			   : format_clear(text, KEY_TEXT_MAX, &len, key);
	if (error == 0)
		error = civic_fs_write_atomic(path, text, len, 0600, 1);
	sodium_free(text);
	return error;
}

/*------------------------------------------------------------------------
 * Reading the key file
 */

/* Reads the file into sodium memory (it may hold the seed in the clear),
 * refusing what ssh would refuse too: a key others can read. */
static int read_key_file(char **out, size_t *out_len, const char *path)
{
	struct stat st;
	size_t cap, len = 0;
	int fd, error = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		error = errno == ENOENT ? CIVIC_ENOTFOUND : CIVIC_ERROR;
		civic_error_set_os("cannot open key file '%s'", path);
		return error;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		civic_error_set(CIVIC_ERROR_KEY, "key file '%s' is not a regular file", path);
		error = CIVIC_EINVALID;
	} else if (st.st_mode & 077) {
		civic_error_set(CIVIC_ERROR_KEY,
				"key file '%s' is accessible by others (mode %04o): "
				"run chmod 600 on it", path, (unsigned)(st.st_mode & 07777));
		error = CIVIC_EINVALID;
	} else if (st.st_size > CIVIC_KEY_FILE_MAX) {
		civic_error_set(CIVIC_ERROR_KEY, "key file '%s' is larger than %d bytes", path,
				CIVIC_KEY_FILE_MAX);
		error = CIVIC_EINVALID;
	}
	if (error < 0)
		goto done;
	/* One byte more than its size, to notice a file that grew meanwhile. */
	cap = (size_t)st.st_size + 1;
	if (!(*out = sodium_malloc(cap + 1))) {
		error = civic_error_nomem();
		goto done;
	}
	while (len < cap) {
		ssize_t n = read(fd, *out + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				civic_error_set_os("cannot read key file '%s'", path);
				error = CIVIC_ERROR;
			}
			break;
		}
		len += (size_t)n;
	}
	if (error == 0 && len == cap) {
		civic_error_set(CIVIC_ERROR_KEY, "key file '%s' changed while being read", path);
		error = CIVIC_ERROR;
	}
	(*out)[len] = '\0';
	*out_len = len;
done:
	close(fd);
	if (error < 0) {
		sodium_free(*out);
		*out = NULL;
	}
	return error;
}

/* A parsed key file; its JSON values are borrowed from root. */
typedef struct {
	json_t *root;
	civic_pubkey pub;
	int encrypted;
	json_int_t opslimit, memlimit;
	uint8_t salt[SALT_LEN], nonce[NONCE_LEN], sealed[SEALED_LEN];
	json_t *seed; /* the clear seed's base64, for kdf "none" */
} key_file;

static void key_file_dispose(key_file *kf)
{
	/* jansson copied the clear seed into malloc'd memory: wipe it before
	 * it is freed. (Its parser's scratch buffer held it too, briefly; that
	 * seed is in the clear on disk anyway.) */
	if (kf->seed && json_is_string(kf->seed))
		sodium_memzero((char *)json_string_value(kf->seed), json_string_length(kf->seed));
	json_decref(kf->root);
	kf->root = kf->seed = NULL;
}

static int malformed(const char *path, const char *why)
{
	civic_error_set(CIVIC_ERROR_KEY, "key file '%s' is malformed: %s", path, dgettext("civic", why));
	return CIVIC_EINVALID;
}

/* A base64 member that must decode to exactly `len` bytes. */
static int get_b64(uint8_t *out, size_t len, const key_file *kf, const char *name)
{
	json_t *v = json_object_get(kf->root, name);
	size_t n;

	if (!json_is_string(v) ||
	    sodium_base642bin(out, len, json_string_value(v), json_string_length(v), NULL, &n,
			      NULL, B64) != 0 || n != len)
		return -1;
	return 0;
}

static int parse_sealed_members(key_file *kf, const char *path)
{
	json_t *ops = json_object_get(kf->root, "opslimit");
	json_t *mem = json_object_get(kf->root, "memlimit");

	if (json_object_size(kf->root) != 8)
		return malformed(path, "unexpected members");
	if (!json_is_integer(ops) || !json_is_integer(mem))
		return malformed(path, "opslimit and memlimit must be integers");
	kf->opslimit = json_integer_value(ops);
	kf->memlimit = json_integer_value(mem);
	if (kf->opslimit < (json_int_t)crypto_pwhash_OPSLIMIT_MIN || kf->opslimit > OPSLIMIT_MAX ||
	    kf->memlimit < (json_int_t)crypto_pwhash_MEMLIMIT_MIN ||
	    kf->memlimit > (json_int_t)MEMLIMIT_MAX)
		return malformed(path, "argon2 limits out of range");
	if (get_b64(kf->salt, sizeof kf->salt, kf, "salt") < 0 ||
	    get_b64(kf->nonce, sizeof kf->nonce, kf, "nonce") < 0 ||
	    get_b64(kf->sealed, sizeof kf->sealed, kf, "sealed") < 0)
		return malformed(path, "bad salt, nonce or sealed key");
	return 0;
}

static int parse_key_file(key_file *kf, const char *path, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *format, *pub, *kdf;

	memset(kf, 0, sizeof *kf);
	kf->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	/* jansson's error text quotes the input near the error, which may be
	 * the seed: give only the position, and wipe it. */
	if (!kf->root) {
		civic_error_set(CIVIC_ERROR_KEY, "key file '%s' is malformed: not JSON "
				"(line %d, column %d)", path, jerr.line, jerr.column);
		sodium_memzero(&jerr, sizeof jerr);
		return CIVIC_EINVALID;
	}
	format = json_object_get(kf->root, "format");
	pub = json_object_get(kf->root, "public");
	kdf = json_object_get(kf->root, "kdf");
	if (!json_is_object(kf->root) || !json_is_string(format) ||
	    strcmp(json_string_value(format), CIVIC_KEY_FILE_FORMAT) != 0)
		return malformed(path, "not a " CIVIC_KEY_FILE_FORMAT " file");
	if (!json_is_string(pub) ||
	    civic_pubkey_from_openssh(&kf->pub, json_string_value(pub), json_string_length(pub)) < 0)
		return malformed(path, "bad public key");
	if (!json_is_string(kdf))
		return malformed(path, "no kdf");
	if (strcmp(json_string_value(kdf), KDF_ARGON2ID) == 0) {
		kf->encrypted = 1;
		return parse_sealed_members(kf, path);
	}
	if (strcmp(json_string_value(kdf), KDF_NONE) != 0)
		return malformed(path, "unknown kdf");
	kf->seed = json_object_get(kf->root, "seed");
	if (json_object_size(kf->root) != 4 || !json_is_string(kf->seed))
		return malformed(path, "unexpected members");
	return 0;
}

static int open_clear(civic_key *key, const key_file *kf, const char *path)
{
	uint8_t *seed = sodium_malloc(SEED_LEN);
	size_t n;
	int error;

	if (!seed)
		return civic_error_nomem();
	if (sodium_base642bin(seed, SEED_LEN, json_string_value(kf->seed),
			      json_string_length(kf->seed), NULL, &n, NULL, B64) != 0 ||
	    n != SEED_LEN)
		error = malformed(path, "bad seed");
	else
		error = key_from_seed(key, seed, kf->pub.bytes, path);
	sodium_free(seed);
	return error;
}

static int open_sealed(civic_key *key, const key_file *kf, const char *path, const char *pass,
		       size_t pass_len)
{
	uint8_t ad[AD_LEN];
	uint8_t *dk = sodium_malloc(AEAD_KEY_LEN), *seed = sodium_malloc(SEED_LEN);
	int error = 0;

	if (!dk || !seed) {
		error = civic_error_nomem();
		goto done;
	}
	if (crypto_pwhash(dk, AEAD_KEY_LEN, pass, pass_len, kf->salt,
			  (unsigned long long)kf->opslimit, (size_t)kf->memlimit,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		civic_error_set(CIVIC_ERROR_KEY, "cannot derive the key of '%s' (out of memory?)",
				path);
		error = CIVIC_ERROR;
		goto done;
	}
	make_ad(ad, &kf->pub);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL, kf->sealed,
						       sizeof kf->sealed, ad, sizeof ad,
						       kf->nonce, dk) != 0) {
		civic_error_set(CIVIC_ERROR_KEY, "wrong passphrase for key '%s'", path);
		error = CIVIC_EAUTH;
		goto done;
	}
	error = key_from_seed(key, seed, kf->pub.bytes, path);
done:
	sodium_free(dk);
	sodium_free(seed);
	return error;
}

int civic_key_load(civic_key **out, const char *path, const char *passphrase,
		   size_t passphrase_len)
{
	key_file kf = { 0 };
	civic_key *key = NULL;
	char *text = NULL;
	size_t len = 0;
	int error;

	CIVIC_ASSERT_ARG(out);
	*out = NULL;
	CIVIC_ASSERT_ARG(path);
	if ((error = civic_crypto_init()) < 0 || (error = read_key_file(&text, &len, path)) < 0 ||
	    (error = parse_key_file(&kf, path, text, len)) < 0 || (error = key_alloc(&key)) < 0)
		goto done;
	if (kf.encrypted && !passphrase) {
		civic_error_set(CIVIC_ERROR_KEY, "key '%s' is encrypted: a passphrase is needed",
				path);
		error = CIVIC_EAUTH;
		goto done;
	}
	error = kf.encrypted ? open_sealed(key, &kf, path, passphrase, passphrase_len)
			     : open_clear(key, &kf, path);
	if (error < 0)
		goto done;
	*out = key;
	key = NULL;
done:
	key_file_dispose(&kf);
	sodium_free(text);
	civic_key_free(key);
	return error;
}

int civic_key_file_is_encrypted(const char *path)
{
	key_file kf = { 0 };
	char *text = NULL;
	size_t len = 0;
	int error;

	CIVIC_ASSERT_ARG(path);
	if ((error = civic_crypto_init()) == 0 && (error = read_key_file(&text, &len, path)) == 0 &&
	    (error = parse_key_file(&kf, path, text, len)) == 0)
		error = kf.encrypted;
	key_file_dispose(&kf);
	sodium_free(text);
	return error;
}
