/*
 * Check suite for crypto/password.c: hash and verify, the encoded form,
 * known answers computed with Python's hashlib.scrypt (so the parameters,
 * the salt handling and the base64 match the format other tools speak),
 * the length limits, strict parsing of tampered strings (every position
 * mutated, leading zeros, padding, bounds) and that out-of-bounds costs are
 * refused before any work is done.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/password.h"
#include "tests/testutil.h"

#define PW "correct horse battery staple"
#define PREFIX "$scrypt$ln=15,r=8,p=1$"

/* hashlib.scrypt(PW, salt=bytes(range(16)), n=2**15, r=8, p=1, dklen=32) */
static const char KAT15[] = "$scrypt$ln=15,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
    "eo40JB24mNWRdcaWU4xBdGepdf/laQaEJfFhiNMVnFg";
/* hashlib.scrypt(PW, salt=b"saltsaltsaltsalt", n=2**10, r=8, p=1) */
static const char KAT10[] = "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ";
/* hashlib.scrypt("pässwörd-ten" in UTF-8, salt=b"0123456789abcdef",
 * n=2**10, r=4, p=2) */
static const char KAT_R4P2[] = "$scrypt$ln=10,r=4,p=2$MDEyMzQ1Njc4OWFiY2RlZg$"
    "U6Cc8O5Ghr7Q/gJTSRCxfgcgXMqfrEon5uGrUqTbjuo";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_hash_verify)
{
	char h[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(PW, h), 0);
	ck_assert_uint_eq(strlen(h), strlen(PREFIX) + 22 + 1 + 43);
	ck_assert_int_eq(strncmp(h, PREFIX, strlen(PREFIX)), 0);
	ck_assert_ptr_null(strstr(h, PW));
	ck_assert(password_verify(PW, h));
	ck_assert(!password_verify("correct horse battery stapl", h));
	ck_assert(!password_verify("Correct horse battery staple", h));
	ck_assert(!password_verify("", h));
	/* A fresh salt each time. */
	ck_assert_int_eq(password_hash(PW, h2), 0);
	ck_assert_str_ne(h, h2);
	ck_assert(password_verify(PW, h2));
}
END_TEST

START_TEST(test_known_answers)
{
	ck_assert(password_verify(PW, KAT15));
	ck_assert(password_verify(PW, KAT10));
	ck_assert(password_verify("p\xc3\xa4ssw\xc3\xb6rd-ten", KAT_R4P2));
	ck_assert(!password_verify("passwörd-ten", KAT10));
	ck_assert(!password_verify(PW, KAT_R4P2));
}
END_TEST

START_TEST(test_length_limits)
{
	char *pw = malloc(PASSWORD_MAX_LEN + 2);
	char h[PASSWORD_HASH_MAX];

	ck_assert_ptr_nonnull(pw);
	memset(pw, 'p', PASSWORD_MAX_LEN);
	pw[PASSWORD_MAX_LEN] = '\0';
	ck_assert_int_eq(password_hash(pw, h), 0);
	ck_assert(password_verify(pw, h));
	pw[PASSWORD_MAX_LEN] = 'p';
	pw[PASSWORD_MAX_LEN + 1] = '\0';
	/* One more: refused, never silently truncated to a match. */
	ck_assert(!password_verify(pw, h));
	memset(h, 'x', sizeof(h));
	ck_assert_int_eq(password_hash(pw, h), -1);
	ck_assert_str_eq(h, "");
	free(pw);

	/* The empty password hashes (the minimum is the caller's policy). */
	ck_assert_int_eq(password_hash("", h), 0);
	ck_assert(password_verify("", h));
	ck_assert(!password_verify(" ", h));
}
END_TEST

START_TEST(test_null)
{
	char h[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(NULL, h), -1);
	ck_assert_int_eq(password_hash(PW, NULL), -1);
	ck_assert(!password_verify(NULL, KAT10));
	ck_assert(!password_verify(PW, NULL));
}
END_TEST

/* Malformed encodings are false, quickly. */
START_TEST(test_malformed)
{
	static const char *bad[] = {
		"",
		"$scrypt$",
		"$scrypt$ln=10,r=8,p=1$",
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA",
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$",
		/* padding, trailing bytes, missing or extra fields */
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ=",
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ\n",
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ$",
		"$scrypt$ln=10,r=8$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln=10,p=1,r=8$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$SCRYPT$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		" $scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		/* numbers: leading zero, sign, empty, space, too many digits */
		"$scrypt$ln=010,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln=+10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln=,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln= 10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln=10,r=08,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln=10,r=8,p=0001$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		/* salt and hash of the wrong length */
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2Fsd$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdAA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnu",
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQA",
		/* non-canonical final characters (unused bits set) */
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdB$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ",
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuR",
		/* URL-safe base64 is another alphabet */
		"$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
		    "bHXojks4sm1uMH4CDw9EcLZ_muyLxbYYc9xGzvNAnuQ",
	};
	double t0 = now();

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(!password_verify(PW, bad[i]), "case %zu", i);
	ck_assert_double_lt(now() - t0, 2.0);
}
END_TEST

/* Parameters out of bounds are refused before scrypt runs. */
START_TEST(test_cost_bounds)
{
	static const char *bad[] = {
		"$scrypt$ln=9,r=8,p=1$",	/* below the floor */
		"$scrypt$ln=21,r=8,p=1$",	/* above the ceiling */
		"$scrypt$ln=63,r=8,p=1$",
		"$scrypt$ln=999,r=8,p=1$",
		"$scrypt$ln=20,r=8,p=1$",	/* 1 GiB */
		"$scrypt$ln=18,r=8,p=1$",	/* just over 256 MiB */
		"$scrypt$ln=17,r=8,p=16$",	/* 2^24 work */
		"$scrypt$ln=10,r=0,p=1$",
		"$scrypt$ln=10,r=33,p=1$",
		"$scrypt$ln=10,r=8,p=0$",
		"$scrypt$ln=10,r=8,p=17$",
	};
	static const char tail[] = "c2FsdHNhbHRzYWx0c2FsdA$"
	    "bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ";
	char enc[PASSWORD_HASH_MAX];
	double t0 = now();

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ck_assert_int_gt(str_printf(enc, sizeof(enc), "%s%s", bad[i],
		    tail), 0);
		ck_assert_msg(!password_verify(PW, enc), "case %zu", i);
	}
	/* Refused by parsing alone: no scrypt ran. */
	ck_assert_double_lt(now() - t0, 0.5);
}
END_TEST

/*
 * Every single-character change of a valid string is false: substitutions
 * by a few characters at each position, deletions and insertions.
 */
START_TEST(test_every_position_mutated)
{
	static const char subs[] = "A/$9=";
	char enc[PASSWORD_HASH_MAX + 2];
	size_t len = strlen(KAT10);

	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < sizeof(subs) - 1; k++) {
			char c = subs[k];

			if (c == KAT10[i])
				c = 'B';
			memcpy(enc, KAT10, len + 1);
			enc[i] = c;
			ck_assert_msg(!password_verify(PW, enc),
			    "'%c' at %zu", c, i);
		}
		/* Deletion of character i. */
		memcpy(enc, KAT10, i);
		memcpy(enc + i, KAT10 + i + 1, len - i);
		ck_assert_msg(!password_verify(PW, enc), "deleted %zu", i);
		/* Insertion before character i. */
		memcpy(enc, KAT10, i);
		enc[i] = 'A';
		memcpy(enc + i + 1, KAT10 + i, len - i + 1);
		ck_assert_msg(!password_verify(PW, enc), "inserted %zu", i);
	}
}
END_TEST

START_TEST(test_encoded_too_long)
{
	char enc[PASSWORD_HASH_MAX + 10];

	/* A valid string followed by padding up to and past the limit. */
	memset(enc, ' ', sizeof(enc));
	memcpy(enc, KAT10, strlen(KAT10));
	enc[PASSWORD_HASH_MAX] = '\0';
	ck_assert(!password_verify(PW, enc));
	enc[PASSWORD_HASH_MAX - 1] = '\0';
	ck_assert(!password_verify(PW, enc));
}
END_TEST

static Suite *
password_suite(void)
{
	Suite *s = suite_create("password");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hash_verify);
	tcase_add_test(tc, test_known_answers);
	tcase_add_test(tc, test_length_limits);
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_cost_bounds);
	tcase_add_test(tc, test_every_position_mutated);
	tcase_add_test(tc, test_encoded_too_long);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(password_suite)
