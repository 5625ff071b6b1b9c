/*
 * sign.h - SSHSIG signatures (OpenSSH PROTOCOL.sshsig), ed25519 over the
 * SHA-512 of the message, so that `ssh-keygen -Y verify` and
 * `git verify-commit` check what civic signs (DESIGN.md, "Signatures").
 *
 * The namespace keeps a signature from being moved between uses: "git" for
 * commits, "civic-..." for everything else. It must be 1 to
 * CIVIC_SIGN_NAMESPACE_MAX bytes.
 *
 * Errors are of class CIVIC_ERROR_SIGN.
 */
#ifndef CIVIC_SIGN_H
#define CIVIC_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "key.h"

#define CIVIC_SIGN_NAMESPACE_MAX 256

/* Armored signatures longer than this are refused unread. An ed25519 one
 * with a 256-byte namespace is about 600 bytes. */
#define CIVIC_SIGN_ARMOR_MAX 4096

/*
 * Signs msg and writes the armored SSHSIG into out (replacing its contents):
 * "-----BEGIN SSH SIGNATURE-----\n", the base64 in 70-column lines,
 * "-----END SSH SIGNATURE-----\n", the same bytes `ssh-keygen -Y sign`
 * writes for the same key, namespace and message. A bad namespace is
 * CIVIC_EINVALID.
 */
int civic_sign(civic_buf *out, const civic_key *key, const char *namespace_, const uint8_t *msg,
	       size_t len);

/*
 * Verifies an armored SSHSIG over msg, failing closed: 0 only when the armor,
 * the magic "SSHSIG", version 1, the key type ssh-ed25519, the namespace,
 * an empty reserved field, the hash ("sha512", or "sha256" which
 * PROTOCOL.sshsig also allows), the signature type and every length are
 * exactly right, nothing trails, the signer is `expected` (when not NULL),
 * and the ed25519 signature verifies. Then the signer key goes to `signer`
 * (when not NULL); on failure `signer` is untouched.
 *
 * The armor may lack its final newline (git strips it in a gpgsig header);
 * lines end with "\n" only, as ssh-keygen requires. Any failure is CIVIC_EBADSIG with a message
 * that says what is wrong; only a bad argument (NULL, or a namespace the
 * signer could not have used) is CIVIC_EINVALID.
 *
 * It allocates nothing: the work is one SHA-512 of msg and one ed25519
 * verification.
 */
int civic_verify(civic_pubkey *signer, const civic_pubkey *expected, const char *namespace_,
		 const uint8_t *msg, size_t len, const char *armored, size_t armored_len);

/* 1 when `armored` is exactly what civic_sign() and ssh-keygen write for
 * the signature it holds (70-column base64, with or without the final
 * newline), else 0. Anything else would give the same signed commit a
 * second id: a commit signature must be canonical. */
int civic_sign_armor_is_canonical(const char *armored, size_t len);

#endif
