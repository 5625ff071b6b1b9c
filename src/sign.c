/* sign.c - SSHSIG signing and verification; see sign.h and OpenSSH PROTOCOL.sshsig. */
#include "sign.h"
#include "sshwire.h"
#include "error.h"

#include <libintl.h>
#include <sodium.h>
#include <string.h>

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----\n"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define ARMOR_COLUMNS 70
#define B64 sodium_base64_VARIANT_ORIGINAL

static const char magic[6] = { 'S', 'S', 'H', 'S', 'I', 'G' };
#define SSHSIG_VERSION 1
#define SIG_TYPE "ssh-ed25519"

/* string "ssh-ed25519", string of the 64 signature bytes */
#define SIG_WIRE_LEN (4 + sizeof SIG_TYPE - 1 + 4 + crypto_sign_BYTES)

/* The largest hash we accept (sha512), and the data signed over it:
 * "SSHSIG", string namespace, string reserved (""), string hash name, string hash. */
#define HASH_MAX crypto_hash_sha512_BYTES
#define SIGNED_DATA_MAX (sizeof magic + 4 + CIVIC_SIGN_NAMESPACE_MAX + 4 + 4 + 6 + 4 + HASH_MAX)

/* The whole blob: magic, version, then string public key, namespace,
 * reserved, hash name and signature. */
#define BLOB_MAX \
	(sizeof magic + 4 + 4 + CIVIC_PUBKEY_WIRE_LEN + 4 + CIVIC_SIGN_NAMESPACE_MAX + 4 + 4 + 6 + \
	 4 + SIG_WIRE_LEN)

/*------------------------------------------------------------------------
 * SSH wire encoding into fixed buffers
 */

/*------------------------------------------------------------------------
 * Shared by both directions
 */

static int check_namespace(const char *namespace_, size_t *len)
{
	CIVIC_ASSERT_ARG(namespace_);
	*len = strlen(namespace_);
	if (*len == 0 || *len > CIVIC_SIGN_NAMESPACE_MAX) {
		civic_error_set(CIVIC_ERROR_SIGN, "a signature namespace is 1 to %d bytes",
				CIVIC_SIGN_NAMESPACE_MAX);
		return CIVIC_EINVALID;
	}
	return 0;
}

/* What ed25519 actually signs (PROTOCOL.sshsig): the message's hash with
 * its context. Returns its length, 0 on overflow (a bug). */
static size_t signed_data(uint8_t out[SIGNED_DATA_MAX], const char *namespace_, size_t ns_len,
			  const char *hash_name, const uint8_t *hash, size_t hash_len)
{
	civic_wire_writer w = { out, 0, SIGNED_DATA_MAX };

	civic_wire_put(&w, magic, sizeof magic);
	civic_wire_put_string(&w, namespace_, ns_len);
	civic_wire_put_string(&w, "", 0);
	civic_wire_put_string(&w, hash_name, strlen(hash_name));
	civic_wire_put_string(&w, hash, hash_len);
	return w.len > w.cap ? 0 : w.len;
}

/*------------------------------------------------------------------------
 * Signing
 */

static int sign_blob(uint8_t blob[BLOB_MAX], size_t *blob_len, const civic_key *key,
		     const char *namespace_, size_t ns_len, const uint8_t *msg, size_t len)
{
	uint8_t hash[crypto_hash_sha512_BYTES], data[SIGNED_DATA_MAX], sig[crypto_sign_BYTES];
	uint8_t pubwire[CIVIC_PUBKEY_WIRE_LEN], sigwire[SIG_WIRE_LEN];
	civic_wire_writer w = { blob, 0, BLOB_MAX }, s = { sigwire, 0, sizeof sigwire };
	size_t data_len;
	int error;

	crypto_hash_sha512(hash, msg, len);
	data_len = signed_data(data, namespace_, ns_len, "sha512", hash, sizeof hash);
	if ((error = civic_key__sign(sig, key, data, data_len)) < 0)
		return error;
	civic_wire_put_string(&s, SIG_TYPE, sizeof SIG_TYPE - 1);
	civic_wire_put_string(&s, sig, sizeof sig);
	civic_pubkey__wire(pubwire, civic_key_public(key));

	civic_wire_put(&w, magic, sizeof magic);
	civic_wire_put_u32(&w, SSHSIG_VERSION);
	civic_wire_put_string(&w, pubwire, sizeof pubwire);
	civic_wire_put_string(&w, namespace_, ns_len);
	civic_wire_put_string(&w, "", 0);
	civic_wire_put_string(&w, "sha512", 6);
	civic_wire_put_string(&w, sigwire, s.len);
	if (data_len == 0 || s.len != sizeof sigwire || w.len > w.cap) {
		civic_error_set(CIVIC_ERROR_SIGN, "signature buffer too small");
		return CIVIC_ERROR;
	}
	*blob_len = w.len;
	return 0;
}

/* The armor of `ssh-keygen -Y sign`: 70-column base64 lines, every line
 * ended by "\n", the footer too. */
static int armor(civic_buf *out, const uint8_t *blob, size_t blob_len)
{
	char b64[sodium_base64_ENCODED_LEN(BLOB_MAX, B64)];
	size_t b64_len, i;

	sodium_bin2base64(b64, sizeof b64, blob, blob_len, B64);
	b64_len = strlen(b64);
	civic_buf_clear(out);
	civic_buf_puts(out, ARMOR_BEGIN);
	for (i = 0; i < b64_len; i += ARMOR_COLUMNS) {
		civic_buf_put(out, b64 + i, b64_len - i < ARMOR_COLUMNS ? b64_len - i : ARMOR_COLUMNS);
		civic_buf_putc(out, '\n');
	}
	civic_buf_puts(out, ARMOR_END "\n");
	return civic_buf_oom(out) ? civic_error_nomem() : 0;
}

int civic_sign(civic_buf *out, const civic_key *key, const char *namespace_, const uint8_t *msg,
	       size_t len)
{
	uint8_t blob[BLOB_MAX];
	size_t ns_len, blob_len = 0;
	int error;

	CIVIC_ASSERT_ARG(out && key && (msg || !len));
	if ((error = check_namespace(namespace_, &ns_len)) < 0 ||
	    (error = civic_crypto_init()) < 0 ||
	    (error = sign_blob(blob, &blob_len, key, namespace_, ns_len, msg, len)) < 0)
		return error;
	return armor(out, blob, blob_len);
}

/*------------------------------------------------------------------------
 * Verification
 */

static int bad(const char *why)
{
	civic_error_set(CIVIC_ERROR_SIGN, "bad signature: %s", dgettext("civic", why));
	return CIVIC_EBADSIG;
}

/* Strips the armor and decodes the base64 into blob. */
static int dearmor(uint8_t *blob, size_t cap, size_t *blob_len, const char *armored, size_t len)
{
	const char *end;

	if (len == 0)
		return bad("empty");
	if (len > CIVIC_SIGN_ARMOR_MAX)
		return bad("larger than 4096 bytes");
	end = armored + len;
	if (end > armored && end[-1] == '\n')
		end--;
	if ((size_t)(end - armored) < sizeof ARMOR_BEGIN - 1 + sizeof ARMOR_END - 1 ||
	    memcmp(armored, ARMOR_BEGIN, sizeof ARMOR_BEGIN - 1) != 0)
		return bad("no '-----BEGIN SSH SIGNATURE-----' line");
	if (memcmp(end - (sizeof ARMOR_END - 1), ARMOR_END, sizeof ARMOR_END - 1) != 0)
		return bad("it does not end with '-----END SSH SIGNATURE-----'");
	armored += sizeof ARMOR_BEGIN - 1;
	end -= sizeof ARMOR_END - 1;
	/* Line breaks may fall anywhere: ssh-keygen does not mind either. */
	if (sodium_base642bin(blob, cap, armored, (size_t)(end - armored), "\n", blob_len, NULL,
			      B64) != 0)
		return bad("bad base64");
	return 0;
}

/* The fields of a decoded SSHSIG blob, pointing into it. */
typedef struct {
	civic_pubkey key;
	civic_wire_reader ns, hash_name;
	const uint8_t *sig;
} sshsig;

static int parse_signature(sshsig *out, const civic_wire_reader *sigwire)
{
	civic_wire_reader r = *sigwire, type, sig;

	if (civic_wire_string(&r, &type) < 0 || civic_wire_string(&r, &sig) < 0 || r.len != 0)
		return bad("malformed signature field");
	if (!civic_wire_is(&type, SIG_TYPE, sizeof SIG_TYPE - 1))
		return bad("signature type is not ssh-ed25519");
	if (sig.len != crypto_sign_BYTES)
		return bad("ed25519 signature of the wrong length");
	out->sig = sig.p;
	return 0;
}

static int parse_blob(sshsig *out, const uint8_t *blob, size_t len)
{
	civic_wire_reader r = { blob, len }, pub, reserved, sigwire;
	uint32_t version;

	if (len < sizeof magic || memcmp(blob, magic, sizeof magic) != 0)
		return bad("no SSHSIG magic");
	r.p += sizeof magic;
	r.len -= sizeof magic;
	if (civic_wire_u32(&r, &version) < 0 || civic_wire_string(&r, &pub) < 0 || civic_wire_string(&r, &out->ns) < 0 ||
	    civic_wire_string(&r, &reserved) < 0 || civic_wire_string(&r, &out->hash_name) < 0 ||
	    civic_wire_string(&r, &sigwire) < 0)
		return bad("truncated");
	if (r.len != 0)
		return bad("trailing bytes");
	if (version != SSHSIG_VERSION)
		return bad("unknown SSHSIG version");
	if (!civic_pubkey__from_wire(&out->key, pub.p, pub.len))
		return bad("the signer key is not an ssh-ed25519 key");
	if (reserved.len != 0)
		return bad("reserved field is not empty");
	return parse_signature(out, &sigwire);
}

/* The message's hash with the algorithm the signature names. */
static int hash_message(uint8_t hash[HASH_MAX], size_t *hash_len, const char **hash_name,
			const civic_wire_reader *name, const uint8_t *msg, size_t len)
{
	if (civic_wire_is(name, "sha512", 6)) {
		crypto_hash_sha512(hash, msg, len);
		*hash_len = crypto_hash_sha512_BYTES;
		*hash_name = "sha512";
	} else if (civic_wire_is(name, "sha256", 6)) {
		crypto_hash_sha256(hash, msg, len);
		*hash_len = crypto_hash_sha256_BYTES;
		*hash_name = "sha256";
	} else {
		return bad("hash algorithm is not sha512 or sha256");
	}
	return 0;
}

int civic_verify(civic_pubkey *signer, const civic_pubkey *expected, const char *namespace_,
		 const uint8_t *msg, size_t len, const char *armored, size_t armored_len)
{
	/* base64 is 4 characters for 3 bytes: the blob of a capped armor fits */
	uint8_t blob[CIVIC_SIGN_ARMOR_MAX / 4 * 3], hash[HASH_MAX], data[SIGNED_DATA_MAX];
	size_t ns_len, blob_len = 0, hash_len = 0, data_len;
	const char *hash_name = NULL;
	sshsig sig;
	int error;

	CIVIC_ASSERT_ARG((msg || !len) && (armored || !armored_len));
	if ((error = check_namespace(namespace_, &ns_len)) < 0 ||
	    (error = civic_crypto_init()) < 0 ||
	    (error = dearmor(blob, sizeof blob, &blob_len, armored, armored_len)) < 0 ||
	    (error = parse_blob(&sig, blob, blob_len)) < 0)
		return error;
	/* Cheap checks first: no hashing for a signature that cannot be right. */
	if (!civic_wire_is(&sig.ns, namespace_, ns_len)) {
		civic_error_set(CIVIC_ERROR_SIGN, "bad signature: it is not for namespace '%s'",
				namespace_);
		return CIVIC_EBADSIG;
	}
	if (expected && !civic_pubkey_equal(&sig.key, expected))
		return bad("made by another key");
	if ((error = hash_message(hash, &hash_len, &hash_name, &sig.hash_name, msg, len)) < 0)
		return error;
	data_len = signed_data(data, namespace_, ns_len, hash_name, hash, hash_len);
	if (data_len == 0 || crypto_sign_verify_detached(sig.sig, data, data_len, sig.key.bytes) != 0)
		return bad("it does not verify");
	if (signer)
		*signer = sig.key;
	return 0;
}

int civic_sign_armor_is_canonical(const char *armored, size_t len)
{
	uint8_t blob[BLOB_MAX];
	civic_buf again = CIVIC_BUF_INIT;
	size_t blob_len;
	int ok;

	if (dearmor(blob, sizeof blob, &blob_len, armored, len) < 0 || armor(&again, blob, blob_len) < 0) {
		civic_buf_dispose(&again);
		return 0;
	}
	/* armor() ends in a newline, which git leaves out of gpgsig. */
	ok = (len == again.size || len + 1 == again.size) && memcmp(armored, again.ptr, len) == 0;
	civic_buf_dispose(&again);
	return ok;
}
