/*
 * A centre's X25519 key pair, its pepper and its two files (see key.h).
 * Files are written the OpenBSD way: a temporary file next to the target,
 * created O_CREAT|O_EXCL|O_NOFOLLOW with the final mode, written, fsync'd,
 * then hard-linked to the target name (link() refuses an existing target
 * atomically, even a dangling symlink, which rename() would replace), and
 * the directory fsync'd.  The encrypted private key is PKCS#8 with PBES2,
 * scrypt (16-byte salt) and AES-256-CBC; N is 2^14, r = 8, p = 1 (16 MiB):
 * OpenSSL's PEM reader caps scrypt at 32 MiB, so 2^15 would write files that
 * neither we nor `openssl pkey` could read back.  Reading refuses symlinks,
 * non-regular files, private keys with any group or other permission bit,
 * and files over KEY_FILE_MAX, and never lets OpenSSL prompt on a terminal.
 * The raw private key, the pepper and every buffer that held PEM text of the
 * private key are wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "crypto/hkdf.h"
#include "crypto/key.h"

#define KEY_RAW_LEN 32
#define KEY_SCRYPT_N (1 << 14)
#define KEY_SCRYPT_R 8
#define KEY_SCRYPT_P 1
#define KEY_SALT_LEN 16
#define KEY_PEPPER_INFO "hrpost pepper v1"
#define PEM_ENCRYPTED_BEGIN "-----BEGIN ENCRYPTED PRIVATE KEY-----"

_Static_assert(KEY_PASSPHRASE_MAX < INT_MAX, "OpenSSL lengths are ints");
_Static_assert(KEY_FILE_MAX < INT_MAX, "OpenSSL lengths are ints");

struct centre_key {
	EVP_PKEY *pkey;
	uint8_t pub[SEAL_PUBLIC_LEN];
	uint8_t pepper[KEY_PEPPER_LEN];
};

/*
 * The PEM password callback: never supply a passphrase.  Without it OpenSSL
 * would prompt on the controlling terminal, which a daemon must not do.
 */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* HKDF-SHA256(ikm = @priv, no salt, info = "hrpost pepper v1"). */
static int
derive_pepper(const uint8_t priv[KEY_RAW_LEN], uint8_t pepper[KEY_PEPPER_LEN])
{
	return hkdf_sha256(priv, KEY_RAW_LEN, NULL, 0, KEY_PEPPER_INFO, pepper,
	    KEY_PEPPER_LEN);
}

/*
 * Wrap @pkey in a new centre_key.  On KEY_OK the key owns @pkey; on error
 * the caller still does.  Anything but X25519 is KEY_ERR_FORMAT.
 */
static enum key_status
wrap_pkey(EVP_PKEY *pkey, struct centre_key **out)
{
	enum key_status st = KEY_ERR_INTERNAL;
	struct centre_key *key = NULL;
	uint8_t priv[KEY_RAW_LEN];
	size_t privlen = sizeof(priv), publen = SEAL_PUBLIC_LEN;

	*out = NULL;
	if (!EVP_PKEY_is_a(pkey, "X25519")) {
		st = KEY_ERR_FORMAT;
		goto out;
	}
	key = calloc(1, sizeof(*key));
	if (key == NULL)
		goto out;
	if (EVP_PKEY_get_raw_private_key(pkey, priv, &privlen) != 1 ||
	    privlen != sizeof(priv))
		goto out;
	if (EVP_PKEY_get_raw_public_key(pkey, key->pub, &publen) != 1 ||
	    publen != SEAL_PUBLIC_LEN)
		goto out;
	if (derive_pepper(priv, key->pepper) != 0)
		goto out;
	key->pkey = pkey;
	*out = key;
	key = NULL;
	st = KEY_OK;
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	if (key != NULL)
		OPENSSL_clear_free(key, sizeof(*key));
	return st;
}

struct centre_key *
key_generate(void)
{
	struct centre_key *key = NULL;
	EVP_PKEY *pkey;

	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (pkey == NULL)
		return NULL;
	if (wrap_pkey(pkey, &key) != KEY_OK) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return key;
}

/* PEM of the private key into @bio, encrypted when @pass is set. */
static enum key_status
encode_private(EVP_PKEY *pkey, const char *pass, size_t passlen, BIO *bio)
{
	enum key_status st = KEY_ERR_INTERNAL;
	PKCS8_PRIV_KEY_INFO *p8inf = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *p8 = NULL;
	uint8_t salt[KEY_SALT_LEN];

	p8inf = EVP_PKEY2PKCS8(pkey);
	if (p8inf == NULL)
		goto out;
	if (pass == NULL) {
		if (PEM_write_bio_PKCS8_PRIV_KEY_INFO(bio, p8inf) != 1)
			goto out;
		st = KEY_OK;
		goto out;
	}
	/*
	 * A 16-byte salt of our own (OpenSSL's default is 8); a NULL IV is
	 * drawn from OpenSSL's CSPRNG.
	 */
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		goto out;
	pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), salt, sizeof(salt),
	    NULL, KEY_SCRYPT_N, KEY_SCRYPT_R, KEY_SCRYPT_P);
	if (pbe == NULL)
		goto out;
	p8 = PKCS8_set0_pbe(pass, (int)passlen, p8inf, pbe);
	if (p8 == NULL)
		goto out;
	pbe = NULL;	/* owned by p8 now */
	if (PEM_write_bio_PKCS8(bio, p8) != 1)
		goto out;
	st = KEY_OK;
out:
	X509_SIG_free(p8);
	X509_ALGOR_free(pbe);
	/* Frees the inner private key octets with a clearing free. */
	PKCS8_PRIV_KEY_INFO_free(p8inf);
	return st;
}

/* The directory part of @path into @dir ("." when there is none). */
static int
dir_of(const char *path, char *dir, size_t dirsz)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return str_copy(dir, dirsz, ".");
	n = (slash == path) ? 1 : (size_t)(slash - path);
	if (n >= dirsz)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/* fsync the directory holding @path, so a new name survives a crash. */
static int
fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc = -1;

	if (dir_of(path, dir, sizeof(dir)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fsync(fd) == 0)
		rc = 0;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Write @len bytes at @data to a new temporary file next to @target, with
 * mode @mode exactly (whatever the umask), and fsync it.  Its name goes to
 * @tmp; on failure nothing is left behind and @tmp is empty.
 */
static enum key_status
write_temp(const char *target, const void *data, size_t len, mode_t mode,
    char *tmp, size_t tmpsz)
{
	enum key_status st = KEY_ERR_IO;
	uint8_t rnd[8];
	char hex[2 * sizeof(rnd) + 1];
	int fd = -1, saved;

	tmp[0] = '\0';
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return KEY_ERR_INTERNAL;
	for (size_t i = 0; i < sizeof(rnd); i++) {
		hex[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[rnd[i] & 0x0f];
	}
	hex[sizeof(hex) - 1] = '\0';
	if (str_printf(tmp, tmpsz, "%s.tmp-%s", target, hex) < 0) {
		tmp[0] = '\0';
		errno = ENAMETOOLONG;
		return KEY_ERR_IO;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		tmp[0] = '\0';
		return KEY_ERR_IO;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0)
		goto out;
	st = KEY_OK;
out:
	saved = errno;
	if (close(fd) != 0 && st == KEY_OK) {
		st = KEY_ERR_IO;
		saved = errno;
	}
	if (st != KEY_OK) {
		(void)unlink(tmp);
		tmp[0] = '\0';
	}
	errno = saved;
	return st;
}

/*
 * Give the temporary file @tmp the name @target, refusing to replace
 * anything.  link() is atomic and POSIX; on a file system without hard
 * links, renameat2(RENAME_NOREPLACE) does the same (and consumes @tmp).
 */
static enum key_status
place(char *tmp, const char *target)
{
	if (link(tmp, target) == 0)
		return KEY_OK;
	if (errno == EEXIST)
		return KEY_ERR_EXISTS;
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return KEY_ERR_IO;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, target, RENAME_NOREPLACE) == 0) {
		tmp[0] = '\0';
		return KEY_OK;
	}
	return errno == EEXIST ? KEY_ERR_EXISTS : KEY_ERR_IO;
}

enum key_status
key_save(const struct centre_key *key, const char *privpath,
    const char *pubpath, const char *pass, size_t passlen)
{
	enum key_status st = KEY_ERR_INTERNAL;
	BIO *privbio = NULL, *pubbio = NULL;
	BUF_MEM *privmem = NULL, *pubmem = NULL;
	char privtmp[PATH_MAX], pubtmp[PATH_MAX];
	struct stat sb;
	bool privplaced = false;
	int saved = 0;

	privtmp[0] = pubtmp[0] = '\0';
	if (key == NULL || key->pkey == NULL || privpath == NULL ||
	    pubpath == NULL)
		return KEY_ERR_INTERNAL;
	if (pass != NULL && (passlen == 0 || passlen > KEY_PASSPHRASE_MAX))
		return KEY_ERR_PASSPHRASE;
	/* Early, friendly refusal; link() below is the atomic one. */
	if (lstat(privpath, &sb) == 0 || lstat(pubpath, &sb) == 0)
		return KEY_ERR_EXISTS;

	/* Secure-heap memory BIO: its buffer is cleared when freed. */
	privbio = BIO_new(BIO_s_secmem());
	pubbio = BIO_new(BIO_s_mem());
	if (privbio == NULL || pubbio == NULL)
		goto out;
	st = encode_private(key->pkey, pass, passlen, privbio);
	if (st != KEY_OK)
		goto out;
	st = KEY_ERR_INTERNAL;
	if (PEM_write_bio_PUBKEY(pubbio, key->pkey) != 1)
		goto out;
	if (BIO_get_mem_ptr(privbio, &privmem) != 1 || privmem == NULL ||
	    BIO_get_mem_ptr(pubbio, &pubmem) != 1 || pubmem == NULL)
		goto out;

	st = write_temp(privpath, privmem->data, privmem->length, 0600,
	    privtmp, sizeof(privtmp));
	if (st != KEY_OK)
		goto out;
	st = write_temp(pubpath, pubmem->data, pubmem->length, 0644,
	    pubtmp, sizeof(pubtmp));
	if (st != KEY_OK)
		goto out;
	st = place(privtmp, privpath);
	if (st != KEY_OK)
		goto out;
	privplaced = true;
	st = place(pubtmp, pubpath);
	if (st != KEY_OK)
		goto out;
	st = KEY_OK;
out:
	saved = errno;
	if (privtmp[0] != '\0')
		(void)unlink(privtmp);
	if (pubtmp[0] != '\0')
		(void)unlink(pubtmp);
	if (st == KEY_OK && (fsync_dir(privpath) != 0 ||
	    fsync_dir(pubpath) != 0)) {
		/* In place but maybe not durable: report it, leave nothing. */
		st = KEY_ERR_IO;
		saved = errno;
		(void)unlink(pubpath);
	}
	/* Both or neither: take back the private key we just linked. */
	if (st != KEY_OK && privplaced)
		(void)unlink(privpath);
	if (privmem != NULL && privmem->data != NULL)
		OPENSSL_cleanse(privmem->data, privmem->max);
	BIO_free(privbio);
	BIO_free(pubbio);
	if (st != KEY_OK)
		ERR_clear_error();
	errno = saved;
	return st;
}

/*
 * Read the whole of @path (at most KEY_FILE_MAX bytes) into a malloc'd
 * buffer of KEY_FILE_MAX + 1 bytes that the caller wipes and frees with
 * mem_wipe_free(*buf, KEY_FILE_MAX + 1).  Refuses symlinks and non-regular
 * files; with @secret, also any group or other permission bit.
 */
static enum key_status
read_key_file(const char *path, bool secret, uint8_t **buf, size_t *len)
{
	enum key_status st = KEY_ERR_IO;
	struct stat sb;
	uint8_t *p = NULL;
	size_t n = 0;
	int fd = -1, saved;

	*buf = NULL;
	*len = 0;
	if (path == NULL)
		return KEY_ERR_INTERNAL;
	/* O_NONBLOCK: a FIFO planted at the path must not hang us. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		if (saved == ELOOP && lstat(path, &sb) == 0 &&
		    S_ISLNK(sb.st_mode))
			return KEY_ERR_SYMLINK;
		errno = saved;
		return KEY_ERR_IO;
	}
	if (fstat(fd, &sb) != 0)
		goto out;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if (secret && (sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		st = KEY_ERR_PERMS;
		goto out;
	}
	if (sb.st_size > KEY_FILE_MAX) {
		st = KEY_ERR_FORMAT;
		goto out;
	}
	p = malloc(KEY_FILE_MAX + 1);
	if (p == NULL) {
		st = KEY_ERR_INTERNAL;
		goto out;
	}
	/* Read one byte past the cap to notice a file that grew. */
	while (n <= KEY_FILE_MAX) {
		ssize_t r = read(fd, p + n, KEY_FILE_MAX + 1 - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > KEY_FILE_MAX) {
		st = KEY_ERR_FORMAT;
		goto out;
	}
	*buf = p;
	*len = n;
	p = NULL;
	st = KEY_OK;
out:
	saved = errno;
	mem_wipe_free(p, KEY_FILE_MAX + 1);
	(void)close(fd);
	errno = saved;
	return st;
}

/* An encrypted PKCS#8 PEM in @bio, decrypted with @pass. */
static enum key_status
decode_encrypted(BIO *bio, const char *pass, size_t passlen, EVP_PKEY **pkey)
{
	enum key_status st = KEY_ERR_FORMAT;
	X509_SIG *p8 = NULL;
	PKCS8_PRIV_KEY_INFO *p8inf = NULL;

	*pkey = NULL;
	p8 = PEM_read_bio_PKCS8(bio, NULL, no_passphrase, NULL);
	if (p8 == NULL)
		goto out;
	if (pass == NULL || passlen == 0 || passlen > KEY_PASSPHRASE_MAX) {
		st = KEY_ERR_PASSPHRASE;
		goto out;
	}
	/*
	 * A wrong passphrase gives random "plaintext" that fails the CBC
	 * padding or the DER parse inside PKCS8_decrypt; a damaged file whose
	 * structure still parses cannot be told from it.
	 */
	p8inf = PKCS8_decrypt(p8, pass, (int)passlen);
	if (p8inf == NULL) {
		st = KEY_ERR_PASSPHRASE;
		goto out;
	}
	*pkey = EVP_PKCS82PKEY(p8inf);
	if (*pkey == NULL)
		goto out;
	st = KEY_OK;
out:
	PKCS8_PRIV_KEY_INFO_free(p8inf);
	X509_SIG_free(p8);
	return st;
}

enum key_status
key_load_private(const char *path, const char *pass, size_t passlen,
    struct centre_key **out)
{
	enum key_status st;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (out == NULL)
		return KEY_ERR_INTERNAL;
	*out = NULL;
	st = read_key_file(path, true, &buf, &len);
	if (st != KEY_OK)
		goto out;
	st = KEY_ERR_INTERNAL;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL)
		goto out;
	if (memmem(buf, len, PEM_ENCRYPTED_BEGIN,
	    sizeof(PEM_ENCRYPTED_BEGIN) - 1) != NULL) {
		st = decode_encrypted(bio, pass, passlen, &pkey);
		if (st != KEY_OK)
			goto out;
	} else {
		/* A passphrase given for a clear key is simply not needed. */
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		if (pkey == NULL) {
			st = KEY_ERR_FORMAT;
			goto out;
		}
	}
	st = wrap_pkey(pkey, out);
	if (st == KEY_OK)
		pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	mem_wipe_free(buf, KEY_FILE_MAX + 1);
	if (st != KEY_OK)
		ERR_clear_error();
	return st;
}

enum key_status
key_load_public(const char *path, uint8_t pub[SEAL_PUBLIC_LEN])
{
	enum key_status st;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, publen = SEAL_PUBLIC_LEN;

	if (pub == NULL)
		return KEY_ERR_INTERNAL;
	st = read_key_file(path, false, &buf, &len);
	if (st != KEY_OK)
		goto out;
	st = KEY_ERR_INTERNAL;
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio == NULL)
		goto out;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (pkey == NULL || !EVP_PKEY_is_a(pkey, "X25519")) {
		st = KEY_ERR_FORMAT;
		goto out;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
	    publen != SEAL_PUBLIC_LEN)
		goto out;
	st = KEY_OK;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	mem_wipe_free(buf, KEY_FILE_MAX + 1);
	if (st != KEY_OK)
		ERR_clear_error();
	return st;
}

const uint8_t *
key_public(const struct centre_key *key)
{
	return key == NULL ? NULL : key->pub;
}

const uint8_t *
key_pepper(const struct centre_key *key)
{
	return key == NULL ? NULL : key->pepper;
}

void *
key_evp(const struct centre_key *key)
{
	return key == NULL ? NULL : key->pkey;
}

void
key_free(struct centre_key *key)
{
	if (key == NULL)
		return;
	/* EVP_PKEY_free clears X25519 private key material itself. */
	EVP_PKEY_free(key->pkey);
	OPENSSL_clear_free(key, sizeof(*key));
}

const char *
key_strerror(enum key_status st)
{
	switch (st) {
	case KEY_OK:
		return "success";
	case KEY_ERR_IO:
		return "cannot open, read or write the key file";
	case KEY_ERR_EXISTS:
		return "a key file already exists at that path; refusing to "
		    "overwrite it";
	case KEY_ERR_SYMLINK:
		return "the key file path is a symbolic link; refusing to "
		    "follow it";
	case KEY_ERR_PERMS:
		return "the private key file is accessible by group or others; "
		    "make it mode 0600";
	case KEY_ERR_FORMAT:
		return "the file is not a PEM X25519 key";
	case KEY_ERR_PASSPHRASE:
		return "wrong passphrase for the private key, or none given";
	case KEY_ERR_INTERNAL:
		return "internal error in the cryptographic library";
	}
	return "unknown key error";
}
