/*
 * Sealing personal data to a centre's public key.
 *
 *   seal(pub, pt, aad) = ephemeral X25519 key pair, ECDH with @pub,
 *     HKDF-SHA256(ikm = shared secret, salt = eph_pub || pub,
 *                 info = "hrpost seal v1") -> 32-byte AES key,
 *     AES-256-GCM with a random 96-bit nonce, AAD = @aad.
 *
 *   wire format: version(1) = 0x01 || eph_pub(32) || nonce(12)
 *                || ciphertext || tag(16)
 *
 * The AAD names the row and field a blob belongs to ("orders/<ref>/pii"), so
 * a blob copied into another row or field does not open.  Only the holder of
 * the private key opens; the intake daemon holds public keys and can only
 * seal.
 */
#ifndef HRPOST_SEAL_H
#define HRPOST_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define SEAL_VERSION 0x01
#define SEAL_PUBLIC_LEN 32
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
/* Framing added by the sealed format around the plaintext (see seal.c). */
#define SEAL_OVERHEAD_MAX 128
/* Largest plaintext accepted: personal data is small; anything larger is a bug. */
#define SEAL_PLAINTEXT_MAX (64 * 1024)
/* Largest AAD accepted: a row and field name ("orders/<ref>/pii"). */
#define SEAL_AAD_MAX 1024

struct centre_key;

enum seal_status {
	SEAL_OK = 0,
	SEAL_ERR_TRUNCATED,	/* shorter than the smallest possible blob */
	SEAL_ERR_VERSION,	/* first byte is not a version we know */
	SEAL_ERR_KEY,		/* not sealed to this key (or header damaged) */
	SEAL_ERR_AUTH,		/* altered, or opened with the wrong AAD */
	SEAL_ERR_TOO_LARGE,	/* plaintext, AAD or blob over the limits */
	SEAL_ERR_INTERNAL,	/* OpenSSL or allocation failure */
};

/*
 * Seal @ptlen bytes at @pt to the X25519 public key @pub, bound to @aad.
 * On success *out is a malloc'd blob of *outlen bytes (caller frees with
 * free(); it holds nothing secret).
 */
enum seal_status seal_seal(const uint8_t pub[SEAL_PUBLIC_LEN],
    const void *pt, size_t ptlen, const void *aad, size_t aadlen,
    uint8_t **out, size_t *outlen) WUR;

/*
 * Open a blob sealed to @key with the same @aad.  On success *pt is a
 * malloc'd, NUL-terminated copy of the plaintext (*ptlen excludes the NUL);
 * the caller wipes and frees it with mem_wipe_free(*pt, *ptlen + 1).
 * On failure nothing is returned and no partial plaintext survives.
 */
enum seal_status seal_open(const struct centre_key *key,
    const uint8_t *blob, size_t bloblen, const void *aad, size_t aadlen,
    uint8_t **pt, size_t *ptlen) WUR;

/* A short English sentence for @st, safe to show and log. */
const char *seal_strerror(enum seal_status st);

#endif
