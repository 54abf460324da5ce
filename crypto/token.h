/*
 * Random tokens in Crockford base32 with a check character.
 *
 * Alphabet 0-9 A-Z without I L O U.  On input, lower case is upper-cased,
 * I and L read as 1, O as 0, and '-' and spaces are ignored, so a token read
 * over the phone or typed from a label comes back.  The check character is
 * a Damm-style check over GF(32) (not Luhn mod 32, which misses the swap
 * "0Z"/"Z0"; see token.c), itself from the same alphabet (so a token is
 * safe in a URL, a QR code and a GSM SMS), and catches every single-character
 * substitution and every swap of two adjacent characters that differ.
 *
 * Tracking tokens carry 16 data characters (80 bits from RAND_bytes);
 * order references 8 (40 bits; they are not secret, only unique).
 */
#ifndef HRPOST_TOKEN_H
#define HRPOST_TOKEN_H

#include <stddef.h>

#include "base/util.h"

#define TOKEN_TRACK_DIGITS 16
#define TOKEN_REF_DIGITS 8
#define TOKEN_MAX_DIGITS 32
/* Room for the data characters, the check character and the NUL. */
#define TOKEN_BUF(d) ((d) + 2)

enum token_status {
	TOKEN_OK = 0,
	TOKEN_ERR_LENGTH,	/* wrong number of characters */
	TOKEN_ERR_CHAR,		/* a character outside the alphabet */
	TOKEN_ERR_CHECK,	/* the check character does not match: a typo */
	TOKEN_ERR_INTERNAL,	/* RAND_bytes failed */
};

/*
 * Write @digits random characters plus the check character into @out of
 * @outsz >= TOKEN_BUF(digits) bytes.
 */
enum token_status token_new(char *out, size_t outsz, size_t digits) WUR;

/*
 * Canonicalise @in (upper case, I/L->1, O->0, '-' and spaces dropped) into
 * @out and verify its length (@digits + 1) and check character.  @out is
 * set only on TOKEN_OK.  Input over 128 bytes, separators included, is
 * TOKEN_ERR_LENGTH.
 */
enum token_status token_parse(const char *in, size_t digits, char *out,
    size_t outsz) WUR;

/* The check character for @n canonical data characters at @s, or 0. */
char token_check_char(const char *s, size_t n);

#endif
