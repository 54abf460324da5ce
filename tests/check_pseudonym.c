/*
 * Check suite for crypto/pseudonym.c: known answers from Python's hmac
 * module, stability, separation by pepper, by domain and by the NUL
 * separator, binary values, the refusals of an empty pepper, domain or
 * value, and the centre key's pepper in use.
 */
#include <string.h>

#include "crypto/key.h"
#include "crypto/pseudonym.h"
#include "tests/testutil.h"

static uint8_t pepper[32];

static void
setup(void)
{
	for (size_t i = 0; i < sizeof(pepper); i++)
		pepper[i] = (uint8_t)i;
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[p[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* hmac.new(bytes(range(32)), domain + b"\0" + value, sha256) */
START_TEST(test_known_answers)
{
	static const struct {
		const char *domain, *value;
		size_t len;
		const char *want;
	} kat[] = {
		{ "phone", "+33612345678", 12, "cae8e30c965cd3c6b8c5e04e3e3284"
		    "58360651bb695878adf5da07e48d7502bf" },
		{ "address", "12 RUE DES LILAS 12100 MILLAU", 29,
		    "dca4fb2b4170eb7cc9cd5c9525d3cae9eb307638d139c15b7c86a2af"
		    "1ddadadb" },
		{ "phone", "\x00\x01", 2, "f4a6ce72937799fabd36d71cb1fad9c890ba"
		    "3d67ab825b5c3898d1ff304ce897" },
	};
	uint8_t out[PSEUDONYM_LEN];
	char h[2 * PSEUDONYM_LEN + 1];

	for (size_t i = 0; i < ARRAY_LEN(kat); i++) {
		ck_assert_int_eq(pseudonym_compute(pepper, sizeof(pepper),
		    kat[i].domain, kat[i].value, kat[i].len, out), 0);
		hex(out, sizeof(out), h);
		ck_assert_str_eq(h, kat[i].want);
	}
}
END_TEST

START_TEST(test_separation)
{
	uint8_t a[PSEUDONYM_LEN], b[PSEUDONYM_LEN];
	uint8_t other[32];

	memcpy(other, pepper, sizeof(other));
	other[31] ^= 1;
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "phone", "0612345678",
	    10, a), 0);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "phone", "0612345678",
	    10, b), 0);
	ck_assert_int_eq(memcmp(a, b, PSEUDONYM_LEN), 0);
	/* Another pepper, another domain, another value. */
	ck_assert_int_eq(pseudonym_compute(other, 32, "phone", "0612345678",
	    10, b), 0);
	ck_assert_int_ne(memcmp(a, b, PSEUDONYM_LEN), 0);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "address", "0612345678",
	    10, b), 0);
	ck_assert_int_ne(memcmp(a, b, PSEUDONYM_LEN), 0);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "phone", "0612345679",
	    10, b), 0);
	ck_assert_int_ne(memcmp(a, b, PSEUDONYM_LEN), 0);
	/* The separator: ("ab", "c") is not ("a", "bc"). */
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "ab", "c", 1, a), 0);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "a", "bc", 2, b), 0);
	ck_assert_int_ne(memcmp(a, b, PSEUDONYM_LEN), 0);
	/* A pepper prefix is another key. */
	ck_assert_int_eq(pseudonym_compute(pepper, 31, "phone", "0612345678",
	    10, b), 0);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "phone", "0612345678",
	    10, a), 0);
	ck_assert_int_ne(memcmp(a, b, PSEUDONYM_LEN), 0);
}
END_TEST

START_TEST(test_refusals)
{
	uint8_t out[PSEUDONYM_LEN], zero[PSEUDONYM_LEN] = { 0 };

	memset(out, 0xaa, sizeof(out));
	ck_assert_int_eq(pseudonym_compute(pepper, 0, "phone", "06", 2, out),
	    -1);
	ck_assert_int_eq(memcmp(out, zero, sizeof(out)), 0);
	ck_assert_int_eq(pseudonym_compute(NULL, 32, "phone", "06", 2, out),
	    -1);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "", "06", 2, out), -1);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, NULL, "06", 2, out),
	    -1);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "phone", "", 0, out),
	    -1);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "phone", NULL, 2, out),
	    -1);
	ck_assert_int_eq(pseudonym_compute(pepper, 32, "phone", "06", 2, NULL),
	    -1);
}
END_TEST

START_TEST(test_with_centre_pepper)
{
	struct centre_key *k1 = key_generate(), *k2 = key_generate();
	uint8_t a[PSEUDONYM_LEN], b[PSEUDONYM_LEN];

	ck_assert_int_eq(pseudonym_compute(key_pepper(k1), KEY_PEPPER_LEN,
	    "phone", "+33612345678", 12, a), 0);
	ck_assert_int_eq(pseudonym_compute(key_pepper(k2), KEY_PEPPER_LEN,
	    "phone", "+33612345678", 12, b), 0);
	ck_assert_int_ne(memcmp(a, b, PSEUDONYM_LEN), 0);
	key_free(k1);
	key_free(k2);
}
END_TEST

static Suite *
pseudonym_suite(void)
{
	Suite *s = suite_create("pseudonym");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_known_answers);
	tcase_add_test(tc, test_separation);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_with_centre_pepper);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(pseudonym_suite)
