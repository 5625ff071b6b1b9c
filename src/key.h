/*
 * key.h - a node's ed25519 identity: the secret key, its file at rest, and
 * the public key in the forms people and tools see (DESIGN.md, "Identity").
 *
 * A civic_key holds secret bytes. It lives in sodium_malloc() memory (guard
 * pages, locked, wiped on release) and the struct is opaque so its bytes
 * cannot be copied around by accident; signing goes through sign.h.
 *
 * A civic_pubkey is a plain value: copy it, compare it with
 * civic_pubkey_equal().
 *
 * Every function returns 0 or a negative civic_error_code (error.h) with a
 * message of class CIVIC_ERROR_KEY. Functions that fill a civic_buf replace
 * its contents.
 */
#ifndef CIVIC_KEY_H
#define CIVIC_KEY_H

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CIVIC_PUBKEY_HEX_LEN 64

/* The name of the key file format, stored in the file and bound into its
 * AEAD additional data. */
#define CIVIC_KEY_FILE_FORMAT "civic-secret-key-1"

/* Key files and imported OpenSSH key texts larger than this are refused. */
#define CIVIC_KEY_FILE_MAX (64 * 1024)

typedef struct {
	uint8_t bytes[crypto_sign_PUBLICKEYBYTES];
} civic_pubkey;

/* A secret key; lives in sodium_malloc memory, wiped by civic_key_free(). */
typedef struct civic_key civic_key;

/* Initializes libsodium (idempotent, thread-safe). 0 or CIVIC_ERROR. Every
 * function of key.h and sign.h calls it, so callers need not. */
int civic_crypto_init(void);

/* A new random key. */
int civic_key_generate(civic_key **out);

/*
 * Parses the text of an unencrypted OpenSSH ed25519 private key file
 * ("-----BEGIN OPENSSH PRIVATE KEY-----", openssh-key-v1, cipher "none").
 * Checks the two check-ints, the padding, and that the public key matches
 * the secret one. Encrypted keys, other key types and anything malformed:
 * CIVIC_EINVALID. At most CIVIC_KEY_FILE_MAX bytes. The caller wipes `text`.
 */
int civic_key_import_openssh(civic_key **out, const char *text, size_t len);

/*
 * Writes the key to a new file at `path`, atomically: a 0600 temporary file
 * in the same directory (O_CREAT|O_EXCL|O_NOFOLLOW), fsync, linked into
 * place, directory fsync. An existing `path` is never replaced:
 * CIVIC_EEXISTS.
 *
 * With a passphrase (it must not be empty), the 32-byte seed is sealed with
 * XChaCha20-Poly1305 under a key derived by argon2id (interactive limits,
 * random salt; the limits are stored in the file), with the format name and
 * the public key as additional data. passphrase NULL writes the seed in the
 * clear: only when the user asked for it.
 *
 * The file is a small JSON object:
 *   {"format": "civic-secret-key-1", "public": "ssh-ed25519 AAAA...",
 *    "kdf": "argon2id13", "opslimit": N, "memlimit": N,
 *    "salt": "b64", "nonce": "b64", "sealed": "b64"}
 * or with "kdf": "none", "seed": "b64" in place of the last five members.
 */
int civic_key_save(const civic_key *key, const char *path, const char *passphrase,
		   size_t passphrase_len);

/*
 * Loads a key file written by civic_key_save().
 *  CIVIC_ENOTFOUND  no such file;
 *  CIVIC_EINVALID   malformed, larger than CIVIC_KEY_FILE_MAX, not a regular
 *                   file, or readable/writable by group or others (as ssh
 *                   refuses such keys), or its public key does not match;
 *  CIVIC_EAUTH      wrong passphrase, or encrypted and passphrase is NULL.
 * passphrase is ignored for an unencrypted file.
 */
int civic_key_load(civic_key **out, const char *path, const char *passphrase,
		   size_t passphrase_len);

/* 1 if the key file at path is encrypted, 0 if not, or a negative code as
 * civic_key_load() returns them. */
int civic_key_file_is_encrypted(const char *path);

/* The key's public half; borrowed, lives as long as key. */
const civic_pubkey *civic_key_public(const civic_key *key);

/* Wipes and frees; NULL is fine. */
void civic_key_free(civic_key *key);

/*
 * Semi-private, for sign.c: the detached ed25519 signature of msg. The secret
 * never leaves key.c. 0 or CIVIC_ERROR.
 */
int civic_key__sign(uint8_t sig[crypto_sign_BYTES], const civic_key *key,
		    const uint8_t *msg, size_t len);

/* "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI..." with no comment or newline. */
int civic_pubkey_to_openssh(civic_buf *out, const civic_pubkey *pk);

/* Parses "ssh-ed25519 BASE64 [comment]", optionally ended by one "\n" or
 * "\r\n"; anything else (other key types, bad base64 or lengths, a second
 * line, NUL bytes) is CIVIC_EINVALID. */
int civic_pubkey_from_openssh(civic_pubkey *out, const char *line, size_t len);

/* "SHA256:" and the unpadded base64 SHA-256 of the key's wire form, exactly
 * as `ssh-keygen -lf` prints it. */
int civic_pubkey_fingerprint(civic_buf *out, const civic_pubkey *pk);

/* 64 lowercase hex digits and a NUL, as in refs/civic/feeds/<hex>. */
void civic_pubkey_to_hex(char out[CIVIC_PUBKEY_HEX_LEN + 1], const civic_pubkey *pk);

/* Exactly 64 lowercase hex digits, else CIVIC_EINVALID. */
int civic_pubkey_from_hex(civic_pubkey *out, const char *hex, size_t len);

/* "<prefix><64 hex>": the refs named by a key (a feed, a node's statement). */
int civic_pubkey_refname(civic_buf *out, const char *prefix, const civic_pubkey *pk);
/* The key such a ref names; -1 (no error set) when refname is not one. */
int civic_pubkey_from_refname(civic_pubkey *out, const char *prefix, const char *refname);

/* 1 if equal, 0 if not. */
int civic_pubkey_equal(const civic_pubkey *a, const civic_pubkey *b);

/* The SSH wire form of an ed25519 public key: string "ssh-ed25519", string
 * of the 32 key bytes. Used by the fingerprint and by SSHSIG. */
#define CIVIC_PUBKEY_WIRE_LEN (4 + 11 + 4 + crypto_sign_PUBLICKEYBYTES)
void civic_pubkey__wire(uint8_t out[CIVIC_PUBKEY_WIRE_LEN], const civic_pubkey *pk);
/* 1 and fills out if wire is exactly that form, else 0 (sets no message). */
int civic_pubkey__from_wire(civic_pubkey *out, const uint8_t *wire, size_t len);

#endif
