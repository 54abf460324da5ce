/*
 * HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_KDF, the one key-derivation
 * step that sealing (crypto/seal.c) and the pepper (crypto/key.c) share.
 */
#ifndef HRPOST_HKDF_H
#define HRPOST_HKDF_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

/*
 * Derive @outlen bytes into @out from @ikm with @salt (NULL/0: none) and
 * the NUL-terminated @info.  Returns 0, or -1 with @out wiped.
 */
int hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const char *info, uint8_t *out, size_t outlen) WUR;

#endif
