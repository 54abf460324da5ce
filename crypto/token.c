/*
 * Random tokens in Crockford base32 with one check character (token.h).
 * Each data character is the low 5 bits of its own RAND_bytes byte: 256 is
 * a multiple of 32, so every character is uniform.  The check character is
 * not Luhn mod 32, which misses one adjacent swap ("0Z" and "Z0": the
 * doubled 31 folds back to 31, just as Luhn mod 10 misses "09"/"90").  It is
 * the Damm scheme over the quasigroup x * y = a.x + y in GF(32) (a = the
 * field's generator 2, polynomial x^5 + x^2 + 1): the check value c makes
 * sum(d_i . a^(n - i)) + c = 0 over the whole token.  A substitution adds
 * e . a^k with e != 0, and a swap of neighbours x != y adds
 * (x + y) . a^k . (a + 1); both are non-zero, so every single-character
 * substitution and every adjacent transposition (the check character
 * included) is caught, and so are jump transpositions and twin errors.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/token.h"

/* Raw input longer than this is refused before looking at it further. */
#define TOKEN_INPUT_MAX 128

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

_Static_assert(sizeof(alphabet) - 1 == 32, "base32");

/* Value of canonical character @c, or -1. */
static int
char_value(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(alphabet, c);
	return p == NULL ? -1 : (int)(p - alphabet);
}

/* Multiply @v by the generator in GF(2^5) modulo x^5 + x^2 + 1. */
static unsigned
gf32_mul2(unsigned v)
{
	v <<= 1;
	if (v & 0x20)
		v ^= 0x25;
	return v;
}

/*
 * Fold @n canonical characters at @s into the running check value; -1 on a
 * character outside the alphabet.
 */
static int
fold(const char *s, size_t n)
{
	unsigned acc = 0;

	for (size_t i = 0; i < n; i++) {
		int v = char_value(s[i]);

		if (v < 0)
			return -1;
		acc = gf32_mul2(acc) ^ (unsigned)v;
	}
	return (int)acc;
}

char
token_check_char(const char *s, size_t n)
{
	int acc;

	if (s == NULL || n == 0 || n > TOKEN_MAX_DIGITS)
		return 0;
	acc = fold(s, n);
	if (acc < 0)
		return 0;
	/* a.acc + c = 0, and in characteristic 2, -x = x. */
	return alphabet[gf32_mul2((unsigned)acc)];
}

enum token_status
token_new(char *out, size_t outsz, size_t digits)
{
	unsigned char rnd[TOKEN_MAX_DIGITS];
	char check;

	if (out == NULL || digits == 0 || digits > TOKEN_MAX_DIGITS ||
	    outsz < TOKEN_BUF(digits))
		return TOKEN_ERR_LENGTH;
	if (RAND_bytes(rnd, (int)digits) != 1) {
		out[0] = '\0';
		return TOKEN_ERR_INTERNAL;
	}
	for (size_t i = 0; i < digits; i++)
		out[i] = alphabet[rnd[i] & 0x1f];
	OPENSSL_cleanse(rnd, sizeof(rnd));
	check = token_check_char(out, digits);
	if (check == 0) {
		out[0] = '\0';
		return TOKEN_ERR_INTERNAL;
	}
	out[digits] = check;
	out[digits + 1] = '\0';
	return TOKEN_OK;
}

/* The canonical form of input character @c, ' ' for a separator, or 0. */
static char
canonical(char c)
{
	if (c == '-' || c == ' ')
		return ' ';
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'I' || c == 'L')
		return '1';
	if (c == 'O')
		return '0';
	return char_value(c) < 0 ? 0 : c;
}

enum token_status
token_parse(const char *in, size_t digits, char *out, size_t outsz)
{
	char buf[TOKEN_BUF(TOKEN_MAX_DIGITS)];
	size_t n = 0, want = digits + 1;
	enum token_status st = TOKEN_ERR_LENGTH;

	if (in == NULL || out == NULL || digits == 0 ||
	    digits > TOKEN_MAX_DIGITS || outsz < TOKEN_BUF(digits))
		return TOKEN_ERR_LENGTH;
	if (strnlen(in, TOKEN_INPUT_MAX + 1) > TOKEN_INPUT_MAX)
		return TOKEN_ERR_LENGTH;
	for (const char *p = in; *p != '\0'; p++) {
		char c = canonical(*p);

		if (c == 0) {
			st = TOKEN_ERR_CHAR;
			goto out;
		}
		if (c == ' ')
			continue;
		/* Keep counting past the end; only the count matters then. */
		if (n < want)
			buf[n] = c;
		n++;
	}
	if (n != want)
		goto out;
	if (token_check_char(buf, digits) != buf[digits]) {
		st = TOKEN_ERR_CHECK;
		goto out;
	}
	memcpy(out, buf, want);
	out[want] = '\0';
	st = TOKEN_OK;
out:
	/* Tracking tokens are capabilities: leave no copy on the stack. */
	OPENSSL_cleanse(buf, sizeof(buf));
	return st;
}
