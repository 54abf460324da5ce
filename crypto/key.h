/*
 * A centre's X25519 key pair and its files.
 *
 * Private key: PEM PKCS#8, encrypted with a passphrase (PBES2 with scrypt,
 * AES-256-CBC) or, for unattended demo use only, unencrypted; created with
 * O_CREAT|O_EXCL mode 0600 through a temporary file, fsync and rename, and
 * opened with O_NOFOLLOW.  Public key: PEM SubjectPublicKeyInfo, mode 0644.
 *
 * The key also yields the centre's pepper (HKDF-SHA256 of the private key,
 * info "hrpost pepper v1"), so that keyed pseudonyms need the same secret as
 * opening sealed data, and there is only one secret to guard.
 */
#ifndef HRPOST_KEY_H
#define HRPOST_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "crypto/seal.h"

#define KEY_PEPPER_LEN 32
/* Longest passphrase (OpenSSL's PEM passphrase buffer is this size). */
#define KEY_PASSPHRASE_MAX 1024
/* Largest key file read; anything bigger is not a key (KEY_ERR_FORMAT). */
#define KEY_FILE_MAX (16 * 1024)

struct centre_key;

enum key_status {
	KEY_OK = 0,
	KEY_ERR_IO,		/* cannot open, read or write the file (errno kept) */
	KEY_ERR_EXISTS,		/* refusing to overwrite an existing key file */
	KEY_ERR_SYMLINK,	/* the path is a symbolic link */
	KEY_ERR_PERMS,		/* private key has group or other permissions */
	KEY_ERR_FORMAT,		/* not a PEM X25519 key */
	KEY_ERR_PASSPHRASE,	/* wrong passphrase, or a passphrase is needed */
	KEY_ERR_INTERNAL,	/* OpenSSL or allocation failure */
};

/* Generate a new key pair.  Returns NULL on failure. */
struct centre_key *key_generate(void);

/*
 * Write the private key to @privpath (mode 0600, must not exist) and the
 * public key to @pubpath (mode 0644, must not exist).  @pass of @passlen
 * bytes (1 to KEY_PASSPHRASE_MAX, else KEY_ERR_PASSPHRASE) encrypts the
 * private key; NULL writes it unencrypted (demo only).  Either both files
 * are written or neither is (KEY_ERR_EXISTS when one is already there).
 */
enum key_status key_save(const struct centre_key *key, const char *privpath,
    const char *pubpath, const char *pass, size_t passlen) WUR;

/*
 * Read a private key.  @pass may be NULL for an unencrypted key; an
 * encrypted key without a passphrase, or with the wrong one, gives
 * KEY_ERR_PASSPHRASE.  Refuses symlinks, non-regular files, files with any
 * group or other permission bit, and files over KEY_FILE_MAX.
 */
enum key_status key_load_private(const char *path, const char *pass,
    size_t passlen, struct centre_key **out) WUR;

/*
 * Read a public key file into @pub.  Refuses symlinks (KEY_ERR_SYMLINK) and
 * non-regular files like key_load_private(), but not mode 0644.
 */
enum key_status key_load_public(const char *path,
    uint8_t pub[SEAL_PUBLIC_LEN]) WUR;

/* The raw 32-byte public key of @key. */
const uint8_t *key_public(const struct centre_key *key);

/* The pepper for keyed pseudonyms (KEY_PEPPER_LEN bytes), owned by @key. */
const uint8_t *key_pepper(const struct centre_key *key);

/* The OpenSSL key, for crypto/seal.c only. */
void *key_evp(const struct centre_key *key);

/* Wipe and free.  NULL is fine. */
void key_free(struct centre_key *key);

const char *key_strerror(enum key_status st);

#endif
