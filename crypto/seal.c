/*
 * Sealing personal data to a centre's X25519 public key (see seal.h for the
 * scheme and the wire format).  One detail the wire format does not show:
 * the GCM plaintext is the 8-byte magic "hrpost\x01\x00" followed by the
 * caller's bytes, so the ciphertext is 8 bytes longer than the plaintext.
 * GCM alone cannot tell "wrong key" from "wrong AAD": both only fail the tag.
 * When the tag fails we therefore still decrypt the first 8 bytes into a
 * scratch buffer that is never returned and is wiped at once: CTR keystream
 * does not depend on the AAD, so an intact magic means the key was right and
 * the blob was altered or opened with the wrong AAD (SEAL_ERR_AUTH), while a
 * garbled magic means it was not sealed to this key (SEAL_ERR_KEY).  The
 * magic is public, so this tells an attacker nothing about the plaintext.
 * Note that damage to the ephemeral key, the nonce or the first 8 bytes of
 * ciphertext also garbles the magic and reads as SEAL_ERR_KEY: the error is
 * a diagnosis, the security property is only that nothing altered opens.
 * The shared secret, the derived AES key and every decrypted byte are wiped
 * on every path.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto/key.h"
#include "crypto/hkdf.h"
#include "crypto/seal.h"

#define SEAL_MAGIC "hrpost\x01\x00"
#define SEAL_MAGIC_LEN 8
#define SEAL_KEY_LEN 32
#define SEAL_INFO "hrpost seal v1"
#define SEAL_HEADER_LEN (1 + SEAL_PUBLIC_LEN + SEAL_NONCE_LEN)
/* The smallest blob: an empty plaintext still carries the magic. */
#define SEAL_BLOB_MIN (SEAL_HEADER_LEN + SEAL_MAGIC_LEN + SEAL_TAG_LEN)
#define SEAL_BLOB_MAX (SEAL_BLOB_MIN + SEAL_PLAINTEXT_MAX)

_Static_assert(sizeof(SEAL_MAGIC) - 1 == SEAL_MAGIC_LEN, "magic length");
_Static_assert(SEAL_BLOB_MIN <= SEAL_OVERHEAD_MAX, "overhead");
_Static_assert(SEAL_BLOB_MAX < INT_MAX, "GCM lengths are ints");
_Static_assert(SEAL_AAD_MAX < INT_MAX, "GCM lengths are ints");

/*
 * X25519 between @priv and the raw public key @peer, then HKDF-SHA256 with
 * salt = @eph_pub || @centre_pub into @aeskey.  Returns 0 or -1.  The shared
 * secret never leaves this function and is wiped.
 */
static int
derive_key(EVP_PKEY *priv, const uint8_t peer[SEAL_PUBLIC_LEN],
    const uint8_t eph_pub[SEAL_PUBLIC_LEN],
    const uint8_t centre_pub[SEAL_PUBLIC_LEN], uint8_t aeskey[SEAL_KEY_LEN])
{
	EVP_PKEY *peerkey = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t secret[32];
	uint8_t salt[2 * SEAL_PUBLIC_LEN];
	size_t secretlen = sizeof(secret);
	int rc = -1;

	peerkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer,
	    SEAL_PUBLIC_LEN);
	if (peerkey == NULL)
		goto out;
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	if (pctx == NULL)
		goto out;
	/*
	 * OpenSSL refuses an all-zero shared secret (a low-order peer point),
	 * so a forged ephemeral key cannot force a known AES key.
	 */
	if (EVP_PKEY_derive_init(pctx) <= 0 ||
	    EVP_PKEY_derive_set_peer(pctx, peerkey) <= 0 ||
	    EVP_PKEY_derive(pctx, secret, &secretlen) <= 0 ||
	    secretlen != sizeof(secret))
		goto out;

	memcpy(salt, eph_pub, SEAL_PUBLIC_LEN);
	memcpy(salt + SEAL_PUBLIC_LEN, centre_pub, SEAL_PUBLIC_LEN);
	if (hkdf_sha256(secret, secretlen, salt, sizeof(salt), SEAL_INFO,
	    aeskey, SEAL_KEY_LEN) != 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc != 0)
		OPENSSL_cleanse(aeskey, SEAL_KEY_LEN);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(peerkey);
	return rc;
}

enum seal_status
seal_seal(const uint8_t pub[SEAL_PUBLIC_LEN], const void *pt, size_t ptlen,
    const void *aad, size_t aadlen, uint8_t **out, size_t *outlen)
{
	enum seal_status st = SEAL_ERR_INTERNAL;
	EVP_PKEY *eph = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	uint8_t aeskey[SEAL_KEY_LEN];
	uint8_t *blob = NULL;
	size_t bloblen = 0, publen = SEAL_PUBLIC_LEN;
	uint8_t *eph_pub, *nonce, *ct, *tag;
	int n;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (pub == NULL || out == NULL || outlen == NULL ||
	    (pt == NULL && ptlen != 0) || (aad == NULL && aadlen != 0))
		return SEAL_ERR_INTERNAL;
	if (ptlen > SEAL_PLAINTEXT_MAX || aadlen > SEAL_AAD_MAX)
		return SEAL_ERR_TOO_LARGE;

	bloblen = SEAL_BLOB_MIN + ptlen;
	blob = malloc(bloblen);
	if (blob == NULL)
		goto out;
	eph_pub = blob + 1;
	nonce = eph_pub + SEAL_PUBLIC_LEN;
	ct = nonce + SEAL_NONCE_LEN;
	tag = ct + SEAL_MAGIC_LEN + ptlen;
	blob[0] = SEAL_VERSION;

	eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (eph == NULL)
		goto out;
	if (EVP_PKEY_get_raw_public_key(eph, eph_pub, &publen) <= 0 ||
	    publen != SEAL_PUBLIC_LEN)
		goto out;
	if (derive_key(eph, pub, eph_pub, pub, aeskey) != 0) {
		/* Only a bad (low-order) centre public key gets here. */
		st = SEAL_ERR_KEY;
		goto out;
	}
	if (RAND_bytes(nonce, SEAL_NONCE_LEN) != 1)
		goto out;

	cctx = EVP_CIPHER_CTX_new();
	if (cctx == NULL)
		goto out;
	if (EVP_EncryptInit_ex2(cctx, EVP_aes_256_gcm(), aeskey, nonce,
	    NULL) != 1)
		goto out;
	if (aadlen > 0 &&
	    EVP_EncryptUpdate(cctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	if (EVP_EncryptUpdate(cctx, ct, &n, (const uint8_t *)SEAL_MAGIC,
	    SEAL_MAGIC_LEN) != 1 || n != SEAL_MAGIC_LEN)
		goto out;
	if (ptlen > 0 && (EVP_EncryptUpdate(cctx, ct + SEAL_MAGIC_LEN, &n,
	    pt, (int)ptlen) != 1 || (size_t)n != ptlen))
		goto out;
	if (EVP_EncryptFinal_ex(cctx, tag, &n) != 1 || n != 0)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
	    tag) != 1)
		goto out;

	*out = blob;
	*outlen = bloblen;
	blob = NULL;
	st = SEAL_OK;
out:
	OPENSSL_cleanse(aeskey, sizeof(aeskey));
	EVP_CIPHER_CTX_free(cctx);
	EVP_PKEY_free(eph);
	free(blob);
	return st;
}

enum seal_status
seal_open(const struct centre_key *key, const uint8_t *blob, size_t bloblen,
    const void *aad, size_t aadlen, uint8_t **pt, size_t *ptlen)
{
	enum seal_status st = SEAL_ERR_INTERNAL;
	EVP_CIPHER_CTX *cctx = NULL;
	EVP_PKEY *priv;
	uint8_t aeskey[SEAL_KEY_LEN];
	uint8_t magic[SEAL_MAGIC_LEN];
	uint8_t tag[SEAL_TAG_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	const uint8_t *eph_pub, *nonce, *ct;
	int n;

	if (pt != NULL)
		*pt = NULL;
	if (ptlen != NULL)
		*ptlen = 0;
	if (key == NULL || pt == NULL || ptlen == NULL ||
	    (blob == NULL && bloblen != 0) || (aad == NULL && aadlen != 0))
		return SEAL_ERR_INTERNAL;
	if (bloblen == 0)
		return SEAL_ERR_TRUNCATED;
	if (blob[0] != SEAL_VERSION)
		return SEAL_ERR_VERSION;
	if (bloblen < SEAL_BLOB_MIN)
		return SEAL_ERR_TRUNCATED;
	if (bloblen > SEAL_BLOB_MAX || aadlen > SEAL_AAD_MAX)
		return SEAL_ERR_TOO_LARGE;
	priv = key_evp(key);
	if (priv == NULL)
		return SEAL_ERR_INTERNAL;

	eph_pub = blob + 1;
	nonce = eph_pub + SEAL_PUBLIC_LEN;
	ct = nonce + SEAL_NONCE_LEN;
	len = bloblen - SEAL_BLOB_MIN;
	memcpy(tag, blob + bloblen - SEAL_TAG_LEN, SEAL_TAG_LEN);

	/* +1 for the NUL the contract promises. */
	buf = malloc(len + 1);
	if (buf == NULL)
		goto out;
	if (derive_key(priv, eph_pub, eph_pub, key_public(key), aeskey) != 0) {
		/* A low-order ephemeral key: forged. */
		st = SEAL_ERR_AUTH;
		goto out;
	}
	cctx = EVP_CIPHER_CTX_new();
	if (cctx == NULL)
		goto out;
	if (EVP_DecryptInit_ex2(cctx, EVP_aes_256_gcm(), aeskey, nonce,
	    NULL) != 1)
		goto out;
	if (aadlen > 0 &&
	    EVP_DecryptUpdate(cctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	/* GCM decrypts as a stream: n always equals the input length. */
	if (EVP_DecryptUpdate(cctx, magic, &n, ct, SEAL_MAGIC_LEN) != 1 ||
	    n != SEAL_MAGIC_LEN)
		goto out;
	if (len > 0 && (EVP_DecryptUpdate(cctx, buf, &n, ct + SEAL_MAGIC_LEN,
	    (int)len) != 1 || (size_t)n != len))
		goto out;
	if (EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
	    tag) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(cctx, buf + len, &n) != 1) {
		/* See the top of this file. */
		if (CRYPTO_memcmp(magic, SEAL_MAGIC, SEAL_MAGIC_LEN) == 0)
			st = SEAL_ERR_AUTH;
		else
			st = SEAL_ERR_KEY;
		goto out;
	}
	/* Authentic, so the magic is ours unless the sealer was not hrpost. */
	if (CRYPTO_memcmp(magic, SEAL_MAGIC, SEAL_MAGIC_LEN) != 0) {
		st = SEAL_ERR_VERSION;
		goto out;
	}
	buf[len] = '\0';
	*pt = buf;
	*ptlen = len;
	buf = NULL;
	st = SEAL_OK;
out:
	OPENSSL_cleanse(aeskey, sizeof(aeskey));
	OPENSSL_cleanse(magic, sizeof(magic));
	EVP_CIPHER_CTX_free(cctx);
	mem_wipe_free(buf, len + 1);
	return st;
}

const char *
seal_strerror(enum seal_status st)
{
	switch (st) {
	case SEAL_OK:
		return "success";
	case SEAL_ERR_TRUNCATED:
		return "the sealed data is shorter than any sealed blob can be";
	case SEAL_ERR_VERSION:
		return "the sealed data has a format version this program "
		    "does not know";
	case SEAL_ERR_KEY:
		return "the sealed data was not sealed to this centre's key, "
		    "or its header is damaged";
	case SEAL_ERR_AUTH:
		return "the sealed data was altered, or belongs to another "
		    "record or field";
	case SEAL_ERR_TOO_LARGE:
		return "the data is larger than the sealing limit";
	case SEAL_ERR_INTERNAL:
		return "internal error in the cryptographic library";
	}
	return "unknown sealing error";
}
