/*
 * Staff password hashing with scrypt (see password.h for the encoding).
 * New hashes use ln = 15, r = 8, p = 1 (32 MiB, some tens of milliseconds),
 * a 16-byte salt from RAND_bytes and a 32-byte output, both in unpadded
 * standard base64 as in the PHC string format.  Verification parses the
 * stored string strictly (fixed field order, no leading zeros, exact salt
 * and hash lengths, canonical base64) and bounds the parameters, both one by
 * one and by the memory and work they imply, so a tampered row cannot make a
 * login take gigabytes or minutes.  The derived hash is wiped after use and
 * compared in constant time.
 */
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/password.h"

#define PW_SALT_LEN 16
#define PW_HASH_LEN 32
#define PW_LN 15
#define PW_R 8
#define PW_P 1
/* Bounds on stored parameters: room for the cost to rise, not to explode. */
#define PW_LN_MIN 10
#define PW_LN_MAX 20
#define PW_R_MAX 32
#define PW_P_MAX 16
#define PW_MEM_MAX ((uint64_t)256 * 1024 * 1024)
#define PW_WORK_MAX ((uint64_t)1 << 23)	/* N * r * p; today 2^18 */
#define PW_PREFIX "$scrypt$ln="
#define PW_R_TAG ",r="
#define PW_P_TAG ",p="
#define PW_FORMAT PW_PREFIX "%d" PW_R_TAG "%d" PW_P_TAG "%d$%s$%s"
/* Unpadded base64 lengths of the salt and the hash. */
#define B64_LEN(n) (((n) * 4 + 2) / 3)

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Unpadded base64 of @n bytes at @in into @out (B64_LEN(n) + 1 bytes). */
static void
b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];

		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
}

static int
b64_value(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(b64_alphabet, c);
	return p == NULL ? -1 : (int)(p - b64_alphabet);
}

/*
 * Decode exactly B64_LEN(@n) characters at @in into @n bytes at @out.
 * Refuses any other character and non-zero unused low bits, so each value
 * has exactly one accepted spelling.
 */
static int
b64_decode(const char *in, size_t n, uint8_t *out)
{
	size_t chars = B64_LEN(n), o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < chars; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (o != n || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return 0;
}

/* Skip the literal @lit at *@sp, or fail. */
static int
take_literal(const char **sp, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*sp, lit, n) != 0)
		return -1;
	*sp += n;
	return 0;
}

/* A decimal in [min, max] at *@sp: no sign, no leading zero. */
static int
take_param(const char **sp, long min, long max, long *out)
{
	const char *s = *sp;
	char num[4];
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n + 1 >= sizeof(num))
			return -1;
		num[n] = s[n];
		n++;
	}
	num[n] = '\0';
	if (n == 0 || (n > 1 && num[0] == '0'))
		return -1;
	if (parse_long(num, min, max, out) != 0)
		return -1;
	*sp = s + n;
	return 0;
}

/* Parse "$scrypt$ln=L,r=R,p=P$<salt>$<hash>" strictly. */
static int
parse_encoded(const char *s, long *ln, long *r, long *p,
    uint8_t salt[PW_SALT_LEN], uint8_t hash[PW_HASH_LEN])
{
	uint64_t n, mem;

	if (take_literal(&s, PW_PREFIX) != 0 ||
	    take_param(&s, PW_LN_MIN, PW_LN_MAX, ln) != 0 ||
	    take_literal(&s, PW_R_TAG) != 0 ||
	    take_param(&s, 1, PW_R_MAX, r) != 0 ||
	    take_literal(&s, PW_P_TAG) != 0 ||
	    take_param(&s, 1, PW_P_MAX, p) != 0 ||
	    take_literal(&s, "$") != 0)
		return -1;
	if (strnlen(s, B64_LEN(PW_SALT_LEN) + 1) < B64_LEN(PW_SALT_LEN) ||
	    b64_decode(s, PW_SALT_LEN, salt) != 0)
		return -1;
	s += B64_LEN(PW_SALT_LEN);
	if (take_literal(&s, "$") != 0)
		return -1;
	if (strnlen(s, B64_LEN(PW_HASH_LEN) + 1) != B64_LEN(PW_HASH_LEN) ||
	    b64_decode(s, PW_HASH_LEN, hash) != 0)
		return -1;

	/* The same sum OpenSSL checks against maxmem: B plus V. */
	n = (uint64_t)1 << *ln;
	mem = 128 * (uint64_t)*r * (uint64_t)*p + 128 * (uint64_t)*r * (n + 2);
	if (mem > PW_MEM_MAX || n * (uint64_t)*r * (uint64_t)*p > PW_WORK_MAX)
		return -1;
	return 0;
}

/* scrypt of @pw with the given parameters, maxmem sized to fit exactly. */
static int
derive(const char *pw, size_t pwlen, const uint8_t salt[PW_SALT_LEN],
    long ln, long r, long p, uint8_t out[PW_HASH_LEN])
{
	uint64_t n = (uint64_t)1 << ln;
	uint64_t mem = 128 * (uint64_t)r * (uint64_t)p +
	    128 * (uint64_t)r * (n + 2);

	if (EVP_PBE_scrypt(pw, pwlen, salt, PW_SALT_LEN, n, (uint64_t)r,
	    (uint64_t)p, mem, out, PW_HASH_LEN) != 1) {
		OPENSSL_cleanse(out, PW_HASH_LEN);
		return -1;
	}
	return 0;
}

int
password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
	uint8_t salt[PW_SALT_LEN], hash[PW_HASH_LEN];
	char salt64[B64_LEN(PW_SALT_LEN) + 1], hash64[B64_LEN(PW_HASH_LEN) + 1];
	size_t pwlen;
	int rc = -1;

	if (out == NULL)
		return -1;
	out[0] = '\0';
	if (pw == NULL)
		return -1;
	pwlen = strnlen(pw, PASSWORD_MAX_LEN + 1);
	if (pwlen > PASSWORD_MAX_LEN)
		return -1;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		goto out;
	if (derive(pw, pwlen, salt, PW_LN, PW_R, PW_P, hash) != 0)
		goto out;
	b64_encode(salt, sizeof(salt), salt64);
	b64_encode(hash, sizeof(hash), hash64);
	if (str_printf(out, PASSWORD_HASH_MAX, PW_FORMAT, PW_LN, PW_R, PW_P,
	    salt64, hash64) < 0) {
		out[0] = '\0';
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(hash64, sizeof(hash64));
	return rc;
}

bool
password_verify(const char *pw, const char *encoded)
{
	uint8_t salt[PW_SALT_LEN], want[PW_HASH_LEN], got[PW_HASH_LEN];
	long ln, r, p;
	size_t pwlen;
	bool ok = false;

	if (pw == NULL || encoded == NULL)
		return false;
	pwlen = strnlen(pw, PASSWORD_MAX_LEN + 1);
	if (pwlen > PASSWORD_MAX_LEN)
		return false;
	if (strnlen(encoded, PASSWORD_HASH_MAX) >= PASSWORD_HASH_MAX)
		return false;
	if (parse_encoded(encoded, &ln, &r, &p, salt, want) != 0)
		goto out;
	if (derive(pw, pwlen, salt, ln, r, p, got) != 0)
		goto out;
	ok = CRYPTO_memcmp(got, want, PW_HASH_LEN) == 0;
out:
	OPENSSL_cleanse(got, sizeof(got));
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}
