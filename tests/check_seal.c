/*
 * Check suite for crypto/seal.c: round trips at the size limits, every
 * single-byte flip of a blob refused, the distinct errors for wrong AAD,
 * wrong key, truncation and unknown versions, fresh randomness per seal, a
 * committed blob that must keep opening (the wire format is stored in
 * databases), and an independent opener written from DESIGN.md with other
 * OpenSSL APIs, so the construction matches its description.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto/key.h"
#include "crypto/seal.h"
#include "tests/testutil.h"

#define MIN_BLOB (1 + SEAL_PUBLIC_LEN + SEAL_NONCE_LEN + 8 + SEAL_TAG_LEN)
#define HEADER_LEN (1 + SEAL_PUBLIC_LEN + SEAL_NONCE_LEN)

static const char AAD[] = "orders/HR7K2M9Q/pii";
static const char MSG[] = "Camille, 12 rue des Lilas, 12100 Millau";

static struct centre_key *key1, *key2;

static void
setup(void)
{
	key1 = key_generate();
	key2 = key_generate();
	ck_assert_ptr_nonnull(key1);
	ck_assert_ptr_nonnull(key2);
}

static void
teardown(void)
{
	key_free(key1);
	key_free(key2);
	key1 = key2 = NULL;
}

/* Seal @pt to key1 with AAD, asserting success. */
static uint8_t *
seal_ok(const void *pt, size_t ptlen, size_t *bloblen)
{
	uint8_t *blob = NULL;

	ck_assert_int_eq(seal_seal(key_public(key1), pt, ptlen, AAD,
	    strlen(AAD), &blob, bloblen), SEAL_OK);
	ck_assert_ptr_nonnull(blob);
	return blob;
}

/* Open with key1 and AAD; on failure also check that nothing came back. */
static enum seal_status
open_with(const struct centre_key *key, const uint8_t *blob, size_t len,
    const char *aad, uint8_t **pt, size_t *ptlen)
{
	enum seal_status st;

	*pt = (uint8_t *)"sentinel";
	*ptlen = 99;
	st = seal_open(key, blob, len, aad, aad == NULL ? 0 : strlen(aad), pt,
	    ptlen);
	if (st != SEAL_OK) {
		ck_assert_ptr_null(*pt);
		ck_assert_uint_eq(*ptlen, 0);
	}
	return st;
}

START_TEST(test_round_trip)
{
	uint8_t *blob, *pt = NULL;
	size_t len, ptlen;

	blob = seal_ok(MSG, strlen(MSG), &len);
	ck_assert_uint_eq(len, MIN_BLOB + strlen(MSG));
	ck_assert_uint_eq(blob[0], SEAL_VERSION);
	ck_assert_ptr_null(memmem(blob, len, "Camille", 7));
	ck_assert_int_eq(open_with(key1, blob, len, AAD, &pt, &ptlen),
	    SEAL_OK);
	ck_assert_uint_eq(ptlen, strlen(MSG));
	ck_assert_mem_eq(pt, MSG, ptlen);
	ck_assert_uint_eq(pt[ptlen], '\0');
	mem_wipe_free(pt, ptlen + 1);
	free(blob);
}
END_TEST

START_TEST(test_round_trip_empty)
{
	uint8_t *blob, *pt = NULL;
	size_t len, ptlen;

	/* NULL with length 0, and a real pointer with length 0. */
	blob = seal_ok(NULL, 0, &len);
	ck_assert_uint_eq(len, MIN_BLOB);
	ck_assert_int_eq(open_with(key1, blob, len, AAD, &pt, &ptlen),
	    SEAL_OK);
	ck_assert_uint_eq(ptlen, 0);
	ck_assert_ptr_nonnull(pt);
	ck_assert_uint_eq(pt[0], '\0');
	mem_wipe_free(pt, ptlen + 1);
	free(blob);

	blob = seal_ok("x", 0, &len);
	ck_assert_uint_eq(len, MIN_BLOB);
	ck_assert_int_eq(open_with(key1, blob, len, AAD, &pt, &ptlen),
	    SEAL_OK);
	ck_assert_uint_eq(ptlen, 0);
	mem_wipe_free(pt, ptlen + 1);
	free(blob);
}
END_TEST

START_TEST(test_no_aad)
{
	uint8_t *blob = NULL, *pt = NULL;
	size_t len, ptlen;

	ck_assert_int_eq(seal_seal(key_public(key1), MSG, strlen(MSG), NULL,
	    0, &blob, &len), SEAL_OK);
	ck_assert_int_eq(open_with(key1, blob, len, NULL, &pt, &ptlen),
	    SEAL_OK);
	mem_wipe_free(pt, ptlen + 1);
	/* Sealed without AAD, opened with one: the AAD is bound. */
	ck_assert_int_eq(open_with(key1, blob, len, AAD, &pt, &ptlen),
	    SEAL_ERR_AUTH);
	free(blob);
}
END_TEST

START_TEST(test_plaintext_limit)
{
	uint8_t *big, *blob = NULL, *pt = NULL;
	size_t len = 0, ptlen;

	big = malloc(SEAL_PLAINTEXT_MAX + 1);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < SEAL_PLAINTEXT_MAX + 1; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	blob = seal_ok(big, SEAL_PLAINTEXT_MAX, &len);
	ck_assert_uint_eq(len, MIN_BLOB + SEAL_PLAINTEXT_MAX);
	ck_assert_int_eq(open_with(key1, blob, len, AAD, &pt, &ptlen),
	    SEAL_OK);
	ck_assert_uint_eq(ptlen, SEAL_PLAINTEXT_MAX);
	ck_assert_int_eq(memcmp(pt, big, ptlen), 0);
	mem_wipe_free(pt, ptlen + 1);
	free(blob);

	blob = (uint8_t *)"untouched";
	ck_assert_int_eq(seal_seal(key_public(key1), big,
	    SEAL_PLAINTEXT_MAX + 1, AAD, strlen(AAD), &blob, &len),
	    SEAL_ERR_TOO_LARGE);
	ck_assert_ptr_null(blob);
	ck_assert_uint_eq(len, 0);
	free(big);
}
END_TEST

START_TEST(test_blob_too_large)
{
	size_t n = MIN_BLOB + SEAL_PLAINTEXT_MAX + 1;
	uint8_t *blob = calloc(1, n), *pt;
	size_t ptlen;

	ck_assert_ptr_nonnull(blob);
	blob[0] = SEAL_VERSION;
	ck_assert_int_eq(open_with(key1, blob, n, AAD, &pt, &ptlen),
	    SEAL_ERR_TOO_LARGE);
	free(blob);
}
END_TEST

START_TEST(test_aad_limit)
{
	char aad[SEAL_AAD_MAX + 2];
	uint8_t *blob = NULL, *pt = NULL;
	size_t len, ptlen;

	memset(aad, 'a', sizeof(aad) - 1);
	aad[SEAL_AAD_MAX] = '\0';
	ck_assert_int_eq(seal_seal(key_public(key1), MSG, strlen(MSG), aad,
	    SEAL_AAD_MAX, &blob, &len), SEAL_OK);
	ck_assert_int_eq(open_with(key1, blob, len, aad, &pt, &ptlen),
	    SEAL_OK);
	mem_wipe_free(pt, ptlen + 1);
	aad[SEAL_AAD_MAX] = 'a';
	aad[SEAL_AAD_MAX + 1] = '\0';
	ck_assert_int_eq(open_with(key1, blob, len, aad, &pt, &ptlen),
	    SEAL_ERR_TOO_LARGE);
	free(blob);
	blob = NULL;
	ck_assert_int_eq(seal_seal(key_public(key1), MSG, strlen(MSG), aad,
	    SEAL_AAD_MAX + 1, &blob, &len), SEAL_ERR_TOO_LARGE);
	ck_assert_ptr_null(blob);
}
END_TEST

START_TEST(test_every_byte_flip)
{
	uint8_t *blob, *pt;
	size_t len, ptlen;
	static const uint8_t masks[] = { 0x01, 0x80 };

	blob = seal_ok(MSG, strlen(MSG), &len);
	for (size_t i = 0; i < len; i++) {
		for (size_t m = 0; m < ARRAY_LEN(masks); m++) {
			enum seal_status st;

			blob[i] ^= masks[m];
			st = open_with(key1, blob, len, AAD, &pt, &ptlen);
			ck_assert_msg(st != SEAL_OK,
			    "flip 0x%02x at offset %zu opened", masks[m], i);
			/* Where the error is predictable, pin it down. */
			if (i == 0)
				ck_assert_int_eq(st, SEAL_ERR_VERSION);
			else if (i >= HEADER_LEN + 8)
				ck_assert_int_eq(st, SEAL_ERR_AUTH);
			else
				ck_assert(st == SEAL_ERR_KEY ||
				    st == SEAL_ERR_AUTH);
			blob[i] ^= masks[m];
		}
	}
	/* And the untouched blob still opens. */
	ck_assert_int_eq(open_with(key1, blob, len, AAD, &pt, &ptlen),
	    SEAL_OK);
	mem_wipe_free(pt, ptlen + 1);
	free(blob);
}
END_TEST

START_TEST(test_wrong_aad)
{
	uint8_t *blob, *pt;
	size_t len, ptlen;

	blob = seal_ok(MSG, strlen(MSG), &len);
	/* Another row, another field, a prefix, and no AAD at all. */
	ck_assert_int_eq(open_with(key1, blob, len, "orders/HR7K2M9R/pii",
	    &pt, &ptlen), SEAL_ERR_AUTH);
	ck_assert_int_eq(open_with(key1, blob, len, "orders/HR7K2M9Q/note",
	    &pt, &ptlen), SEAL_ERR_AUTH);
	ck_assert_int_eq(open_with(key1, blob, len, "orders/HR7K2M9Q/pi",
	    &pt, &ptlen), SEAL_ERR_AUTH);
	ck_assert_int_eq(open_with(key1, blob, len, NULL, &pt, &ptlen),
	    SEAL_ERR_AUTH);
	free(blob);
}
END_TEST

START_TEST(test_wrong_key)
{
	uint8_t *blob, *pt;
	size_t len, ptlen;

	blob = seal_ok(MSG, strlen(MSG), &len);
	ck_assert_int_eq(open_with(key2, blob, len, AAD, &pt, &ptlen),
	    SEAL_ERR_KEY);
	/* Wrong key and wrong AAD: the key is the first thing wrong. */
	ck_assert_int_eq(open_with(key2, blob, len, "other", &pt, &ptlen),
	    SEAL_ERR_KEY);
	free(blob);
}
END_TEST

START_TEST(test_truncated)
{
	uint8_t *blob, *pt;
	size_t len, ptlen;

	blob = seal_ok(NULL, 0, &len);
	ck_assert_uint_eq(len, MIN_BLOB);
	for (size_t n = 0; n < MIN_BLOB; n++)
		ck_assert_msg(open_with(key1, blob, n, AAD, &pt, &ptlen) ==
		    SEAL_ERR_TRUNCATED, "length %zu", n);
	ck_assert_int_eq(open_with(key1, blob, HEADER_LEN, AAD, &pt, &ptlen),
	    SEAL_ERR_TRUNCATED);
	ck_assert_int_eq(open_with(key1, blob, MIN_BLOB, AAD, &pt, &ptlen),
	    SEAL_OK);
	mem_wipe_free(pt, ptlen + 1);
	free(blob);

	/* A non-empty blob cut short still fails, whatever the cut. */
	blob = seal_ok(MSG, strlen(MSG), &len);
	for (size_t n = MIN_BLOB; n < len; n++)
		ck_assert_msg(open_with(key1, blob, n, AAD, &pt, &ptlen) !=
		    SEAL_OK, "length %zu", n);
	free(blob);
}
END_TEST

START_TEST(test_unknown_version)
{
	uint8_t *blob, *pt;
	size_t len, ptlen;
	static const uint8_t versions[] = { 0x00, 0x02, 0x7f, 0x81, 0xff };

	blob = seal_ok(MSG, strlen(MSG), &len);
	for (size_t i = 0; i < ARRAY_LEN(versions); i++) {
		blob[0] = versions[i];
		ck_assert_int_eq(open_with(key1, blob, len, AAD, &pt, &ptlen),
		    SEAL_ERR_VERSION);
	}
	free(blob);
}
END_TEST

START_TEST(test_seals_differ)
{
	uint8_t *a, *b;
	size_t alen, blen;

	a = seal_ok(MSG, strlen(MSG), &alen);
	b = seal_ok(MSG, strlen(MSG), &blen);
	ck_assert_uint_eq(alen, blen);
	ck_assert_int_ne(memcmp(a, b, alen), 0);
	/* Fresh ephemeral key and fresh nonce each time. */
	ck_assert_int_ne(memcmp(a + 1, b + 1, SEAL_PUBLIC_LEN), 0);
	ck_assert_int_ne(memcmp(a + 1 + SEAL_PUBLIC_LEN,
	    b + 1 + SEAL_PUBLIC_LEN, SEAL_NONCE_LEN), 0);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_low_order_points)
{
	uint8_t zero[SEAL_PUBLIC_LEN] = { 0 };
	uint8_t *blob = NULL, *pt;
	size_t len, ptlen;

	/* A low-order centre key would give an all-zero shared secret. */
	ck_assert_int_eq(seal_seal(zero, MSG, strlen(MSG), AAD, strlen(AAD),
	    &blob, &len), SEAL_ERR_KEY);
	ck_assert_ptr_null(blob);
	/* A forged low-order ephemeral key does not open anything. */
	blob = seal_ok(MSG, strlen(MSG), &len);
	memset(blob + 1, 0, SEAL_PUBLIC_LEN);
	ck_assert_int_eq(open_with(key1, blob, len, AAD, &pt, &ptlen),
	    SEAL_ERR_AUTH);
	free(blob);
}
END_TEST

START_TEST(test_misuse)
{
	uint8_t *blob = NULL, *pt;
	size_t len, ptlen;

	ck_assert_int_eq(seal_seal(NULL, MSG, 3, NULL, 0, &blob, &len),
	    SEAL_ERR_INTERNAL);
	ck_assert_int_eq(seal_seal(key_public(key1), NULL, 3, NULL, 0, &blob,
	    &len), SEAL_ERR_INTERNAL);
	ck_assert_int_eq(seal_seal(key_public(key1), MSG, 3, NULL, 3, &blob,
	    &len), SEAL_ERR_INTERNAL);
	ck_assert_int_eq(seal_seal(key_public(key1), MSG, 3, NULL, 0, NULL,
	    &len), SEAL_ERR_INTERNAL);
	ck_assert_ptr_null(blob);
	blob = seal_ok(MSG, strlen(MSG), &len);
	ck_assert_int_eq(seal_open(NULL, blob, len, AAD, strlen(AAD), &pt,
	    &ptlen), SEAL_ERR_INTERNAL);
	ck_assert_int_eq(seal_open(key1, NULL, 5, AAD, strlen(AAD), &pt,
	    &ptlen), SEAL_ERR_INTERNAL);
	ck_assert_int_eq(seal_open(key1, blob, len, AAD, strlen(AAD), NULL,
	    &ptlen), SEAL_ERR_INTERNAL);
	free(blob);
}
END_TEST

START_TEST(test_strerror)
{
	static const enum seal_status all[] = { SEAL_OK, SEAL_ERR_TRUNCATED,
	    SEAL_ERR_VERSION, SEAL_ERR_KEY, SEAL_ERR_AUTH, SEAL_ERR_TOO_LARGE,
	    SEAL_ERR_INTERNAL };

	for (size_t i = 0; i < ARRAY_LEN(all); i++) {
		const char *a = seal_strerror(all[i]);

		ck_assert_ptr_nonnull(a);
		ck_assert_uint_gt(strlen(a), 5);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(a, seal_strerror(all[j]));
	}
	ck_assert_ptr_nonnull(seal_strerror((enum seal_status)99));
}
END_TEST

/* Load a committed unencrypted test key (copied to a 0600 file first). */
static struct centre_key *
load_data_key(const char *name)
{
	const char *dir = testutil_mkdtemp();
	char path[4096];
	size_t len;
	char *pem;
	FILE *f;
	struct centre_key *key = NULL;

	ck_assert_ptr_nonnull(dir);
	pem = testutil_slurp(testutil_data(name), &len);
	ck_assert_msg(pem != NULL, "tests/data/%s missing", name);
	ck_assert_int_gt(str_printf(path, sizeof(path), "%s/k.pem", dir), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(pem, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_int_eq(key_load_private(path, NULL, 0, &key), KEY_OK);
	testutil_rmtree(dir);
	free(pem);
	return key;
}

/*
 * The committed blob tests/data/seal-v1.bin was sealed to seal-test.key
 * with AAD "orders/TESTREF0/pii".  It must open forever: databases hold
 * such blobs, so any change to the wire format or the KDF shows up here.
 */
START_TEST(test_committed_blob)
{
	struct centre_key *key = load_data_key("seal-test.key");
	uint8_t pub[SEAL_PUBLIC_LEN], *pt, *blob;
	size_t len, ptlen;
	const char *want = "Dominique, 3 chemin du Moulin, 48000 Mende";

	ck_assert_int_eq(key_load_public(testutil_data("seal-test.pub"), pub),
	    KEY_OK);
	ck_assert_int_eq(memcmp(pub, key_public(key), SEAL_PUBLIC_LEN), 0);
	blob = (uint8_t *)testutil_slurp(testutil_data("seal-v1.bin"), &len);
	ck_assert_ptr_nonnull(blob);
	ck_assert_int_eq(open_with(key, blob, len, "orders/TESTREF0/pii", &pt,
	    &ptlen), SEAL_OK);
	ck_assert_uint_eq(ptlen, strlen(want));
	ck_assert_mem_eq(pt, want, ptlen);
	mem_wipe_free(pt, ptlen + 1);
	ck_assert_int_eq(open_with(key1, blob, len, "orders/TESTREF0/pii",
	    &pt, &ptlen), SEAL_ERR_KEY);
	free(blob);
	key_free(key);
}
END_TEST

/*
 * An opener written from DESIGN.md alone, with the older EVP_PKEY HKDF
 * interface: X25519(priv, eph_pub) -> HKDF-SHA256(salt = eph_pub ||
 * centre_pub, info "hrpost seal v1") -> AES-256-GCM, 8-byte magic, then
 * the plaintext.  Returns the plaintext length or -1.
 */
static int
independent_open(const struct centre_key *key, const uint8_t *blob,
    size_t len, const char *aad, uint8_t *out)
{
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL,
	    blob + 1, 32);
	EVP_PKEY_CTX *dctx = EVP_PKEY_CTX_new(key_evp(key), NULL);
	EVP_PKEY_CTX *hctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t secret[32], salt[64], aeskey[32], tag[16];
	size_t slen = sizeof(secret), klen = sizeof(aeskey);
	size_t ctlen = len - 45 - 16;
	int n, m, rc = -1;

	ck_assert(peer && dctx && hctx && c);
	ck_assert_int_eq(EVP_PKEY_derive_init(dctx), 1);
	ck_assert_int_eq(EVP_PKEY_derive_set_peer(dctx, peer), 1);
	ck_assert_int_eq(EVP_PKEY_derive(dctx, secret, &slen), 1);
	memcpy(salt, blob + 1, 32);
	memcpy(salt + 32, key_public(key), 32);
	ck_assert_int_eq(EVP_PKEY_derive_init(hctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_hkdf_md(hctx, EVP_sha256()), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set1_hkdf_salt(hctx, salt, 64), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set1_hkdf_key(hctx, secret, 32), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_add1_hkdf_info(hctx,
	    (const uint8_t *)"hrpost seal v1", 14), 1);
	ck_assert_int_eq(EVP_PKEY_derive(hctx, aeskey, &klen), 1);
	memcpy(tag, blob + len - 16, 16);
	ck_assert_int_eq(EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, aeskey,
	    blob + 33), 1);
	ck_assert_int_eq(EVP_DecryptUpdate(c, NULL, &n, (const uint8_t *)aad,
	    (int)strlen(aad)), 1);
	ck_assert_int_eq(EVP_DecryptUpdate(c, out, &n, blob + 45, (int)ctlen),
	    1);
	ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag),
	    1);
	if (EVP_DecryptFinal_ex(c, out + n, &m) == 1 &&
	    memcmp(out, "hrpost\x01\x00", 8) == 0) {
		memmove(out, out + 8, ctlen - 8);
		rc = (int)(ctlen - 8);
	}
	EVP_CIPHER_CTX_free(c);
	EVP_PKEY_CTX_free(hctx);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(peer);
	return rc;
}

START_TEST(test_matches_design)
{
	uint8_t *blob, out[256];
	size_t len;
	int n;

	blob = seal_ok(MSG, strlen(MSG), &len);
	n = independent_open(key1, blob, len, AAD, out);
	ck_assert_int_eq(n, (int)strlen(MSG));
	ck_assert_mem_eq(out, MSG, (size_t)n);
	ck_assert_int_eq(independent_open(key1, blob, len, "x", out), -1);
	free(blob);
}
END_TEST

static Suite *
seal_suite(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_round_trip_empty);
	tcase_add_test(tc, test_no_aad);
	tcase_add_test(tc, test_plaintext_limit);
	tcase_add_test(tc, test_blob_too_large);
	tcase_add_test(tc, test_aad_limit);
	tcase_add_test(tc, test_every_byte_flip);
	tcase_add_test(tc, test_wrong_aad);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_unknown_version);
	tcase_add_test(tc, test_seals_differ);
	tcase_add_test(tc, test_low_order_points);
	tcase_add_test(tc, test_misuse);
	tcase_add_test(tc, test_strerror);
	tcase_add_test(tc, test_committed_blob);
	tcase_add_test(tc, test_matches_design);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(seal_suite)
