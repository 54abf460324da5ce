/*
 * Keyed pseudonyms (see pseudonym.h): HMAC-SHA256 through EVP_MAC over
 * domain || 0x00 || value.  The NUL separator makes the message unambiguous:
 * a domain is a C string and cannot contain one, so ("ab", "c") and
 * ("a", "bc") never collide.  An empty pepper would make the pseudonym a
 * plain hash anyone can test guesses against, an empty domain would mix the
 * kinds, and an empty value would link everyone who gave none into one
 * "person"; all three are refused.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/pseudonym.h"

int
pseudonym_compute(const uint8_t *pepper, size_t pepperlen, const char *domain,
    const void *value, size_t valuelen, uint8_t out[PSEUDONYM_LEN])
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";
	const uint8_t sep = 0x00;
	size_t outlen = 0;
	int rc = -1;

	if (out == NULL)
		return -1;
	if (pepper == NULL || pepperlen == 0 || domain == NULL ||
	    domain[0] == '\0' || value == NULL || valuelen == 0)
		goto out;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, pepper, pepperlen, params) != 1 ||
	    EVP_MAC_update(ctx, (const uint8_t *)domain, strlen(domain)) != 1 ||
	    EVP_MAC_update(ctx, &sep, 1) != 1 ||
	    EVP_MAC_update(ctx, value, valuelen) != 1 ||
	    EVP_MAC_final(ctx, out, &outlen, PSEUDONYM_LEN) != 1 ||
	    outlen != PSEUDONYM_LEN)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		OPENSSL_cleanse(out, PSEUDONYM_LEN);
	/* Frees the keyed HMAC state with a clearing free. */
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}
