/*
 * Check suite for crypto/token.c: random tokens are well formed, uniform
 * and distinct; the check character catches every single-character
 * substitution at every position of many random tokens, and every swap of
 * two adjacent different characters (exhaustively over all pairs, including
 * the "0Z"/"Z0" swap that Luhn mod 32 would miss); what a person types
 * (lower case, dashes, spaces, I/L/O) is accepted; wrong lengths and
 * characters are refused with the right error; known check characters come
 * from an independent Python implementation of the GF(32) sum.
 */
#include <string.h>

#include "crypto/token.h"
#include "tests/testutil.h"

static const char ALPHA[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#define ROUNDS 40

START_TEST(test_new_well_formed)
{
	static const size_t sizes[] = { 1, TOKEN_REF_DIGITS, TOKEN_TRACK_DIGITS,
	    TOKEN_MAX_DIGITS };

	for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
		size_t d = sizes[s];
		char tok[TOKEN_BUF(TOKEN_MAX_DIGITS)], out[TOKEN_BUF(
		    TOKEN_MAX_DIGITS)];

		ck_assert_int_eq(token_new(tok, TOKEN_BUF(d), d), TOKEN_OK);
		ck_assert_uint_eq(strlen(tok), d + 1);
		ck_assert_uint_eq(strspn(tok, ALPHA), d + 1);
		ck_assert_int_eq(tok[d], token_check_char(tok, d));
		ck_assert_int_eq(token_parse(tok, d, out, sizeof(out)),
		    TOKEN_OK);
		ck_assert_str_eq(out, tok);
	}
}
END_TEST

START_TEST(test_new_limits)
{
	char tok[TOKEN_BUF(TOKEN_MAX_DIGITS) + 1];

	ck_assert_int_eq(token_new(tok, TOKEN_BUF(16) - 1, 16),
	    TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_new(tok, sizeof(tok), 0), TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_new(tok, sizeof(tok), TOKEN_MAX_DIGITS),
	    TOKEN_OK);
	ck_assert_int_eq(token_new(tok, sizeof(tok), TOKEN_MAX_DIGITS + 1),
	    TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_new(NULL, sizeof(tok), 8), TOKEN_ERR_LENGTH);
}
END_TEST

/* Uniform characters (each byte's low 5 bits), and no repeats. */
START_TEST(test_new_uniform_distinct)
{
	enum { N = 2000 };
	static char toks[N][TOKEN_BUF(TOKEN_TRACK_DIGITS)];
	unsigned count[32] = { 0 };

	for (size_t i = 0; i < N; i++) {
		ck_assert_int_eq(token_new(toks[i], sizeof(toks[i]),
		    TOKEN_TRACK_DIGITS), TOKEN_OK);
		for (size_t k = 0; k < TOKEN_TRACK_DIGITS; k++)
			count[strchr(ALPHA, toks[i][k]) - ALPHA]++;
	}
	/* 32000 characters, 1000 expected each, sd about 31: 6 sd bounds. */
	for (size_t c = 0; c < 32; c++)
		ck_assert_msg(count[c] > 810 && count[c] < 1190,
		    "'%c' seen %u times", ALPHA[c], count[c]);
	for (size_t i = 1; i < 200; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(toks[i], toks[j]);
}
END_TEST

START_TEST(test_known_check_chars)
{
	static const struct { const char *s, c; } kat[] = {
		{ "0", '0' }, { "1", '2' }, { "00000000", '0' },
		{ "0000000Z", 'V' }, { "HR7K2M9Q", 'D' }, { "ABCDEFGH", 'Z' },
		{ "ZZZZZZZZZZZZZZZZ", 'M' }, { "0123456789ABCDEF", 'P' },
		{ "7Q3XK9M2P4T8V6W1", 'B' },
	};

	for (size_t i = 0; i < ARRAY_LEN(kat); i++)
		ck_assert_int_eq(token_check_char(kat[i].s, strlen(kat[i].s)),
		    kat[i].c);
	/* Not canonical, empty, too long: no check character. */
	ck_assert_int_eq(token_check_char("HR7K2M9U", 8), 0);
	ck_assert_int_eq(token_check_char("hr7k2m9q", 8), 0);
	ck_assert_int_eq(token_check_char("HR7K-M9Q", 8), 0);
	ck_assert_int_eq(token_check_char("HR7K2M9Q", 0), 0);
	ck_assert_int_eq(token_check_char(NULL, 8), 0);
	ck_assert_int_ne(token_check_char("0000000000000000000000000000000"
	    "0", TOKEN_MAX_DIGITS), 0);
	ck_assert_int_eq(token_check_char("0000000000000000000000000000000"
	    "00", TOKEN_MAX_DIGITS + 1), 0);
}
END_TEST

/* The requirement: every single-character typo is caught. */
static void
every_substitution(size_t digits)
{
	for (int round = 0; round < ROUNDS; round++) {
		char tok[TOKEN_BUF(TOKEN_MAX_DIGITS)];
		char out[TOKEN_BUF(TOKEN_MAX_DIGITS)];

		ck_assert_int_eq(token_new(tok, sizeof(tok), digits), TOKEN_OK);
		for (size_t pos = 0; pos <= digits; pos++) {
			char orig = tok[pos];

			for (size_t a = 0; a < 32; a++) {
				if (ALPHA[a] == orig)
					continue;
				tok[pos] = ALPHA[a];
				ck_assert_msg(token_parse(tok, digits, out,
				    sizeof(out)) == TOKEN_ERR_CHECK,
				    "%s: '%c' at %zu not caught", tok,
				    ALPHA[a], pos);
			}
			tok[pos] = orig;
		}
		ck_assert_int_eq(token_parse(tok, digits, out, sizeof(out)),
		    TOKEN_OK);
	}
}

START_TEST(test_every_substitution_track)
{
	every_substitution(TOKEN_TRACK_DIGITS);
}
END_TEST

START_TEST(test_every_substitution_ref)
{
	every_substitution(TOKEN_REF_DIGITS);
}
END_TEST

/* Adjacent swaps of different characters in random tokens. */
START_TEST(test_adjacent_swaps_random)
{
	for (int round = 0; round < ROUNDS; round++) {
		char tok[TOKEN_BUF(TOKEN_TRACK_DIGITS)];
		char out[TOKEN_BUF(TOKEN_TRACK_DIGITS)];

		ck_assert_int_eq(token_new(tok, sizeof(tok),
		    TOKEN_TRACK_DIGITS), TOKEN_OK);
		for (size_t i = 0; i < TOKEN_TRACK_DIGITS; i++) {
			char a = tok[i], b = tok[i + 1];

			if (a == b)
				continue;
			tok[i] = b;
			tok[i + 1] = a;
			ck_assert_msg(token_parse(tok, TOKEN_TRACK_DIGITS, out,
			    sizeof(out)) == TOKEN_ERR_CHECK, "%s at %zu", tok,
			    i);
			tok[i] = a;
			tok[i + 1] = b;
		}
	}
}
END_TEST

/*
 * Exhaustively: every ordered pair x != y at every adjacent position of a
 * token, made valid first, then swapped.  At the last position the pair is
 * (last data character, check character): every data character x is tried
 * there, with the y its check character turns out to be.
 */
START_TEST(test_adjacent_swaps_all_pairs)
{
	const size_t d = TOKEN_REF_DIGITS;
	char tok[TOKEN_BUF(TOKEN_REF_DIGITS)], out[TOKEN_BUF(TOKEN_REF_DIGITS)];

	for (size_t pos = 0; pos < d; pos++) {
		for (size_t x = 0; x < 32; x++) {
			for (size_t y = 0; y < 32; y++) {
				if (x == y)
					continue;
				memcpy(tok, "K7P2MXQ4", d);
				tok[d] = '\0';
				tok[pos] = ALPHA[x];
				if (pos + 1 < d) {
					tok[pos + 1] = ALPHA[y];
					tok[d] = token_check_char(tok, d);
				} else {
					/* The check character is y: find
					 * the data that makes it so. */
					tok[d] = token_check_char(tok, d);
					if (tok[d] != ALPHA[y])
						continue;
				}
				tok[d + 1] = '\0';
				ck_assert_int_eq(token_parse(tok, d, out,
				    sizeof(out)), TOKEN_OK);
				tok[pos] = ALPHA[y];
				tok[pos + 1] = ALPHA[x];
				ck_assert_msg(token_parse(tok, d, out,
				    sizeof(out)) == TOKEN_ERR_CHECK,
				    "swap %c%c at %zu", ALPHA[x], ALPHA[y],
				    pos);
			}
		}
	}
}
END_TEST

/* Luhn mod 32 misses this one; the GF(32) check does not. */
START_TEST(test_luhn_blind_spot)
{
	char tok[TOKEN_BUF(TOKEN_REF_DIGITS)], out[TOKEN_BUF(TOKEN_REF_DIGITS)];

	memcpy(tok, "ABC0ZDEF", 8);
	tok[8] = token_check_char(tok, 8);
	tok[9] = '\0';
	ck_assert_int_eq(token_parse(tok, 8, out, sizeof(out)), TOKEN_OK);
	tok[3] = 'Z';
	tok[4] = '0';
	ck_assert_int_eq(token_parse(tok, 8, out, sizeof(out)),
	    TOKEN_ERR_CHECK);
}
END_TEST

/* What people type: lower case, dashes, spaces, I/L for 1, O for 0. */
START_TEST(test_parse_human_forms)
{
	char tok[TOKEN_BUF(TOKEN_TRACK_DIGITS)];
	char out[TOKEN_BUF(TOKEN_TRACK_DIGITS)], in[64];

	/* "1" and "0" in the token so that I, L and O can stand for them. */
	memcpy(tok, "10ABCDEFGH1JKM0P", 16);
	tok[16] = token_check_char(tok, 16);
	tok[17] = '\0';

	ck_assert_int_eq(token_parse("10abcdefgh1jkm0p", 16, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	ck_assert_int_gt(str_printf(in, sizeof(in), "%s", tok), 0);
	for (char *p = in; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	ck_assert_int_eq(token_parse(in, 16, out, sizeof(out)), TOKEN_OK);
	ck_assert_str_eq(out, tok);

	ck_assert_int_gt(str_printf(in, sizeof(in), "%.4s-%.4s-%.4s-%.4s-%s",
	    tok, tok + 4, tok + 8, tok + 12, tok + 16), 0);
	ck_assert_int_eq(token_parse(in, 16, out, sizeof(out)), TOKEN_OK);
	ck_assert_str_eq(out, tok);

	ck_assert_int_gt(str_printf(in, sizeof(in), "  %.4s %.4s  %.4s %.5s ",
	    tok, tok + 4, tok + 8, tok + 12), 0);
	ck_assert_int_eq(token_parse(in, 16, out, sizeof(out)), TOKEN_OK);
	ck_assert_str_eq(out, tok);

	/* I, i, L, l read as 1; O, o as 0. */
	ck_assert_int_gt(str_printf(in, sizeof(in), "IOabcdefghLjkmoP%c",
	    tok[16]), 0);
	ck_assert_int_eq(token_parse(in, 16, out, sizeof(out)), TOKEN_OK);
	ck_assert_str_eq(out, tok);
	ck_assert_int_gt(str_printf(in, sizeof(in), "ioABCDEFGHlJKMOp%c",
	    tok[16]), 0);
	ck_assert_int_eq(token_parse(in, 16, out, sizeof(out)), TOKEN_OK);
	ck_assert_str_eq(out, tok);
}
END_TEST

START_TEST(test_parse_wrong_length)
{
	char tok[TOKEN_BUF(TOKEN_MAX_DIGITS)], out[TOKEN_BUF(TOKEN_MAX_DIGITS)];
	char in[TOKEN_BUF(TOKEN_MAX_DIGITS) + 200];

	memset(out, '#', sizeof(out));
	ck_assert_int_eq(token_new(tok, sizeof(tok), 16), TOKEN_OK);
	/* One short, one long, as a ref, empty, only separators. */
	tok[16] = '\0';
	ck_assert_int_eq(token_parse(tok, 16, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_new(tok, sizeof(tok), 16), TOKEN_OK);
	ck_assert_int_gt(str_printf(in, sizeof(in), "%s0", tok), 0);
	ck_assert_int_eq(token_parse(in, 16, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_parse(tok, 8, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_parse("", 16, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_parse("- - -", 16, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	/* Output buffer too small, digits out of range, NULLs. */
	ck_assert_int_eq(token_parse(tok, 16, out, TOKEN_BUF(16) - 1),
	    TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_parse(tok, 0, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_parse(tok, TOKEN_MAX_DIGITS + 1, out,
	    sizeof(out)), TOKEN_ERR_LENGTH);
	ck_assert_int_eq(token_parse(NULL, 16, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	/* Raw input is capped at 128 characters, separators included. */
	memset(in, '-', 150);
	memcpy(in + 150, tok, strlen(tok) + 1);
	ck_assert_int_eq(token_parse(in, 16, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	memmove(in, in + 150 - (128 - 17), strlen(tok) + 1 + 128 - 17);
	ck_assert_uint_eq(strlen(in), 128);
	ck_assert_int_eq(token_parse(in, 16, out, sizeof(out)), TOKEN_OK);
	ck_assert_str_eq(out, tok);
	memmove(in + 1, in, 129);
	in[0] = '-';
	ck_assert_int_eq(token_parse(in, 16, out, sizeof(out)),
	    TOKEN_ERR_LENGTH);
	/* Maximum size tokens parse. */
	ck_assert_int_eq(token_new(tok, sizeof(tok), TOKEN_MAX_DIGITS),
	    TOKEN_OK);
	ck_assert_int_eq(token_parse(tok, TOKEN_MAX_DIGITS, out, sizeof(out)),
	    TOKEN_OK);
}
END_TEST

START_TEST(test_parse_bad_char)
{
	static const char *bad[] = {
		"HR7K2M9UD", "hr7k2m9uD", "HR7K2M9Q!", "HR7K_2M9QD",
		"HR7K.2M9QD", "HR7K2M9QD\n", "HR7K\t2M9QD", "HR7K2M9Q\xc3\xa9",
		"\xffHR7K2M9QD", "HR7K+2M9QD", "HR7K/2M9QD", "HR7K%2M9QD",
	};
	char out[TOKEN_BUF(TOKEN_REF_DIGITS)];

	ck_assert_int_eq(token_parse("HR7K2M9QD", 8, out, sizeof(out)),
	    TOKEN_OK);
	memset(out, '#', sizeof(out));
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ck_assert_msg(token_parse(bad[i], 8, out, sizeof(out)) ==
		    TOKEN_ERR_CHAR, "case %zu", i);
		/* out is set only on success. */
		ck_assert_int_eq(out[0], '#');
	}
}
END_TEST

static Suite *
token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_new_well_formed);
	tcase_add_test(tc, test_new_limits);
	tcase_add_test(tc, test_new_uniform_distinct);
	tcase_add_test(tc, test_known_check_chars);
	tcase_add_test(tc, test_every_substitution_track);
	tcase_add_test(tc, test_every_substitution_ref);
	tcase_add_test(tc, test_adjacent_swaps_random);
	tcase_add_test(tc, test_adjacent_swaps_all_pairs);
	tcase_add_test(tc, test_luhn_blind_spot);
	tcase_add_test(tc, test_parse_human_forms);
	tcase_add_test(tc, test_parse_wrong_length);
	tcase_add_test(tc, test_parse_bad_char);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(token_suite)
