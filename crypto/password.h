/*
 * Staff password hashing with scrypt (EVP_PBE_scrypt), a random 16-byte salt
 * per hash, and a self-describing encoding so the cost can rise later:
 *
 *   $scrypt$ln=15,r=8,p=1$<salt base64>$<hash base64>
 */
#ifndef HRPOST_PASSWORD_H
#define HRPOST_PASSWORD_H

#include <stddef.h>
#include <stdbool.h>

#include "base/util.h"

#define PASSWORD_HASH_MAX 160
#define PASSWORD_MIN_LEN 10
#define PASSWORD_MAX_LEN 1024

/*
 * Hash @pw into @out (PASSWORD_HASH_MAX bytes).  Returns 0 or -1 (too long,
 * or OpenSSL failure).  Intermediate secrets are wiped.
 */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]) WUR;

/*
 * true when @pw matches @encoded; compares in constant time.  A malformed
 * @encoded is simply false.
 */
bool password_verify(const char *pw, const char *encoded);

#endif
