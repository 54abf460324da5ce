/*
 * Keyed pseudonyms: HMAC-SHA256(pepper, domain || 0x00 || normalised value),
 * so the console can find "the same person" across orders by phone number
 * or address without storing either in clear, and nobody without the pepper
 * can test guesses against the database.  The domain ("phone", "address")
 * keeps the two kinds apart.
 */
#ifndef HRPOST_PSEUDONYM_H
#define HRPOST_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define PSEUDONYM_LEN 32

/*
 * HMAC-SHA256 keyed with @pepper (@pepperlen bytes, normally key_pepper())
 * over @domain || 0x00 || the @valuelen bytes at @value, into @out.  The
 * caller normalises @value first.  Returns 0, or -1 for an empty pepper,
 * domain or value (an empty value would make everyone without a phone
 * "the same person") or an OpenSSL failure; @out is zeroed on failure.
 */
int pseudonym_compute(const uint8_t *pepper, size_t pepperlen,
    const char *domain, const void *value, size_t valuelen,
    uint8_t out[PSEUDONYM_LEN]) WUR;

#endif
