/*
 * Check suite for crypto/key.c: key files saved and loaded with and without
 * a passphrase, the passphrase errors, modes whatever the umask, refusal to
 * overwrite (both files or neither), symlinks, permissions, size and format
 * limits, the scrypt PBE actually written, interoperability with the
 * openssl command line in both directions, and the pepper (stable, distinct
 * per key, and equal to an HKDF computed by `openssl kdf`).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/key.h"
#include "crypto/seal.h"
#include "tests/testutil.h"

#define PASS "correct horse battery staple"

static char dir[4096];
static char priv[4200], pub[4200];

static void
setup(void)
{
	const char *d = testutil_mkdtemp();

	ck_assert_ptr_nonnull(d);
	ck_assert_int_ge(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_gt(str_printf(priv, sizeof(priv), "%s/centre.key", dir),
	    0);
	ck_assert_int_gt(str_printf(pub, sizeof(pub), "%s/centre.pub", dir),
	    0);
}

static void
teardown(void)
{
	testutil_rmtree(dir);
}

/* @dir/@name into a static buffer. */
static const char *
path_in(const char *name)
{
	static char p[4200];

	ck_assert_int_gt(str_printf(p, sizeof(p), "%s/%s", dir, name), 0);
	return p;
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Copy tests/data/@name to @dir/@name with @mode; returns the path. */
static const char *
copy_data(const char *name, mode_t mode)
{
	size_t len;
	char *data = testutil_slurp(testutil_data(name), &len);
	const char *p;

	ck_assert_msg(data != NULL, "tests/data/%s missing", name);
	p = path_in(name);
	write_file(p, data, len, mode);
	free(data);
	return p;
}

static mode_t
mode_of(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static int
entries_in_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	for (;;) {
		e = readdir(d);
		if (e == NULL)
			break;
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
assert_same_key(const struct centre_key *a, const struct centre_key *b)
{
	ck_assert_int_eq(memcmp(key_public(a), key_public(b), SEAL_PUBLIC_LEN),
	    0);
	ck_assert_int_eq(memcmp(key_pepper(a), key_pepper(b), KEY_PEPPER_LEN),
	    0);
}

START_TEST(test_generate)
{
	struct centre_key *a = key_generate(), *b = key_generate();

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(key_evp(a));
	ck_assert_int_ne(memcmp(key_public(a), key_public(b), SEAL_PUBLIC_LEN),
	    0);
	ck_assert_int_ne(memcmp(key_pepper(a), key_pepper(b), KEY_PEPPER_LEN),
	    0);
	ck_assert_int_ne(memcmp(key_pepper(a), key_public(a), KEY_PEPPER_LEN),
	    0);
	key_free(a);
	key_free(b);
	key_free(NULL);
	ck_assert_ptr_null(key_public(NULL));
	ck_assert_ptr_null(key_pepper(NULL));
	ck_assert_ptr_null(key_evp(NULL));
}
END_TEST

START_TEST(test_save_load_plain)
{
	struct centre_key *k = key_generate(), *l = NULL;
	uint8_t raw[SEAL_PUBLIC_LEN];

	ck_assert_int_eq(key_save(k, priv, pub, NULL, 0), KEY_OK);
	ck_assert_uint_eq(mode_of(priv), 0600);
	ck_assert_uint_eq(mode_of(pub), 0644);
	ck_assert(testutil_file_contains(priv, "-----BEGIN PRIVATE KEY-----",
	    27));
	ck_assert(!testutil_file_contains(priv, "ENCRYPTED", 9));
	ck_assert_int_eq(key_load_private(priv, NULL, 0, &l), KEY_OK);
	assert_same_key(k, l);
	key_free(l);
	l = NULL;
	/* A passphrase for a clear key is not needed, and not an error. */
	ck_assert_int_eq(key_load_private(priv, "x", 1, &l), KEY_OK);
	assert_same_key(k, l);
	ck_assert_int_eq(key_load_public(pub, raw), KEY_OK);
	ck_assert_int_eq(memcmp(raw, key_public(k), SEAL_PUBLIC_LEN), 0);
	/* No temporary file left behind. */
	ck_assert_int_eq(entries_in_dir(), 2);
	key_free(k);
	key_free(l);
}
END_TEST

START_TEST(test_save_load_passphrase)
{
	struct centre_key *k = key_generate(), *l = NULL;

	ck_assert_int_eq(key_save(k, priv, pub, PASS, strlen(PASS)), KEY_OK);
	ck_assert_uint_eq(mode_of(priv), 0600);
	ck_assert_uint_eq(mode_of(pub), 0644);
	ck_assert(testutil_file_contains(priv,
	    "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37));
	ck_assert_int_eq(key_load_private(priv, PASS, strlen(PASS), &l),
	    KEY_OK);
	assert_same_key(k, l);
	key_free(l);
	l = (struct centre_key *)k;	/* must be reset to NULL on failure */
	ck_assert_int_eq(key_load_private(priv, "wrong horse", 11, &l),
	    KEY_ERR_PASSPHRASE);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(key_load_private(priv, PASS, strlen(PASS) - 1, &l),
	    KEY_ERR_PASSPHRASE);
	ck_assert_int_eq(key_load_private(priv, NULL, 0, &l),
	    KEY_ERR_PASSPHRASE);
	ck_assert_int_eq(key_load_private(priv, PASS, 0, &l),
	    KEY_ERR_PASSPHRASE);
	ck_assert_ptr_null(l);
	key_free(k);
}
END_TEST

START_TEST(test_passphrase_limits)
{
	struct centre_key *k = key_generate(), *l = NULL;
	char pass[KEY_PASSPHRASE_MAX + 1];

	/* Any bytes, NUL included, up to the limit. */
	for (size_t i = 0; i < sizeof(pass); i++)
		pass[i] = (char)(i * 31);
	ck_assert_int_eq(key_save(k, priv, pub, pass, KEY_PASSPHRASE_MAX),
	    KEY_OK);
	ck_assert_int_eq(key_load_private(priv, pass, KEY_PASSPHRASE_MAX, &l),
	    KEY_OK);
	assert_same_key(k, l);
	key_free(l);
	l = NULL;
	ck_assert_int_eq(key_load_private(priv, pass, KEY_PASSPHRASE_MAX + 1,
	    &l), KEY_ERR_PASSPHRASE);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(unlink(priv), 0);
	ck_assert_int_eq(unlink(pub), 0);
	ck_assert_int_eq(key_save(k, priv, pub, pass, KEY_PASSPHRASE_MAX + 1),
	    KEY_ERR_PASSPHRASE);
	ck_assert_int_eq(key_save(k, priv, pub, pass, 0), KEY_ERR_PASSPHRASE);
	ck_assert_int_eq(entries_in_dir(), 0);
	key_free(k);
}
END_TEST

/* The encrypted PEM really is PBES2 + scrypt (N 2^14, r 8, p 1) + AES-256. */
START_TEST(test_pem_uses_scrypt)
{
	struct centre_key *k = key_generate();
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *oid = NULL;
	const void *param = NULL;
	int ptype;
	PBE2PARAM *pbe2;
	SCRYPT_PARAMS *sp;
	X509_SIG *p8;
	FILE *f;

	ck_assert_int_eq(key_save(k, priv, pub, PASS, strlen(PASS)), KEY_OK);
	f = fopen(priv, "r");
	ck_assert_ptr_nonnull(f);
	p8 = PEM_read_PKCS8(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(p8);
	X509_SIG_get0(p8, &alg, NULL);
	X509_ALGOR_get0(&oid, &ptype, &param, alg);
	ck_assert_int_eq(OBJ_obj2nid(oid), NID_pbes2);
	ck_assert_int_eq(ptype, V_ASN1_SEQUENCE);
	pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM),
	    alg->parameter);
	ck_assert_ptr_nonnull(pbe2);
	ck_assert_int_eq(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_scrypt);
	ck_assert_int_eq(OBJ_obj2nid(pbe2->encryption->algorithm),
	    NID_aes_256_cbc);
	sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS),
	    pbe2->keyfunc->parameter);
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(ASN1_INTEGER_get(sp->costParameter), 1 << 14);
	ck_assert_int_eq(ASN1_INTEGER_get(sp->blockSize), 8);
	ck_assert_int_eq(ASN1_INTEGER_get(sp->parallelizationParameter), 1);
	ck_assert_int_eq(ASN1_STRING_length(sp->salt), 16);
	SCRYPT_PARAMS_free(sp);
	PBE2PARAM_free(pbe2);
	X509_SIG_free(p8);
	key_free(k);
}
END_TEST

/* OpenSSL's generic reader (what `openssl pkey` uses) reads our files. */
START_TEST(test_openssl_reads_ours)
{
	struct centre_key *k = key_generate();
	uint8_t raw[32];
	size_t rawlen = sizeof(raw);
	EVP_PKEY *p;
	FILE *f;

	ck_assert_int_eq(key_save(k, priv, pub, PASS, strlen(PASS)), KEY_OK);
	f = fopen(priv, "r");
	ck_assert_ptr_nonnull(f);
	p = PEM_read_PrivateKey(f, NULL, NULL, (void *)PASS);
	fclose(f);
	ck_assert_ptr_nonnull(p);
	ck_assert(EVP_PKEY_is_a(p, "X25519"));
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(p, raw, &rawlen), 1);
	ck_assert_int_eq(memcmp(raw, key_public(k), 32), 0);
	EVP_PKEY_free(p);
	key_free(k);
}
END_TEST

/* And we read what `openssl pkcs8 -topk8 -scrypt` wrote (committed). */
START_TEST(test_we_read_openssl)
{
	struct centre_key *k = NULL;
	uint8_t raw[SEAL_PUBLIC_LEN];
	const char *p = copy_data("key-enc-openssl.key", 0600);

	ck_assert_int_eq(key_load_private(p, PASS, strlen(PASS), &k), KEY_OK);
	ck_assert_int_eq(key_load_public(testutil_data("key-enc-openssl.pub"),
	    raw), KEY_OK);
	ck_assert_int_eq(memcmp(raw, key_public(k), SEAL_PUBLIC_LEN), 0);
	key_free(k);
	ck_assert_int_eq(key_load_private(p, "Correct horse battery staple",
	    strlen(PASS), &k), KEY_ERR_PASSPHRASE);
}
END_TEST

START_TEST(test_modes_ignore_umask)
{
	struct centre_key *k = key_generate();
	mode_t old = umask(0);

	ck_assert_int_eq(key_save(k, priv, pub, NULL, 0), KEY_OK);
	ck_assert_uint_eq(mode_of(priv), 0600);
	ck_assert_uint_eq(mode_of(pub), 0644);
	ck_assert_int_eq(unlink(priv), 0);
	ck_assert_int_eq(unlink(pub), 0);
	umask(077);
	ck_assert_int_eq(key_save(k, priv, pub, NULL, 0), KEY_OK);
	ck_assert_uint_eq(mode_of(priv), 0600);
	ck_assert_uint_eq(mode_of(pub), 0644);
	umask(old);
	key_free(k);
}
END_TEST

START_TEST(test_exists)
{
	struct centre_key *k = key_generate(), *k2 = key_generate(), *l = NULL;
	char *before_priv, *before_pub, *after;
	char other_copy[4200], other_priv_copy[4200];

	/* path_in() returns a static buffer: copy each path at once. */
	ck_assert_int_gt(str_copy(other_copy, sizeof(other_copy),
	    path_in("other.pub")), -1);
	ck_assert_int_gt(str_copy(other_priv_copy, sizeof(other_priv_copy),
	    path_in("other.key")), -1);
	ck_assert_int_eq(key_save(k, priv, pub, NULL, 0), KEY_OK);
	before_priv = testutil_slurp(priv, NULL);
	before_pub = testutil_slurp(pub, NULL);

	/* Both exist. */
	ck_assert_int_eq(key_save(k2, priv, pub, NULL, 0), KEY_ERR_EXISTS);
	/* Only the private key exists: the new public key is not written. */
	ck_assert_int_eq(key_save(k2, priv, other_copy, NULL, 0),
	    KEY_ERR_EXISTS);
	ck_assert_int_eq(access(other_copy, F_OK), -1);
	/* Only the public key exists: the new private key is not written. */
	ck_assert_int_eq(key_save(k2, other_priv_copy, pub, PASS,
	    strlen(PASS)), KEY_ERR_EXISTS);
	ck_assert_int_eq(access(other_priv_copy, F_OK), -1);

	after = testutil_slurp(priv, NULL);
	ck_assert_str_eq(after, before_priv);
	free(after);
	after = testutil_slurp(pub, NULL);
	ck_assert_str_eq(after, before_pub);
	free(after);
	ck_assert_int_eq(key_load_private(priv, NULL, 0, &l), KEY_OK);
	assert_same_key(k, l);
	ck_assert_int_eq(entries_in_dir(), 2);
	free(before_priv);
	free(before_pub);
	key_free(l);
	key_free(k);
	key_free(k2);
}
END_TEST

/* A dangling symlink at the target is "existing": never write through it. */
START_TEST(test_save_over_symlink)
{
	struct centre_key *k = key_generate();
	char target[4200];

	ck_assert_int_gt(str_copy(target, sizeof(target),
	    path_in("elsewhere")), -1);
	ck_assert_int_eq(symlink(target, priv), 0);
	ck_assert_int_eq(key_save(k, priv, pub, NULL, 0), KEY_ERR_EXISTS);
	ck_assert_int_eq(access(target, F_OK), -1);
	ck_assert_int_eq(access(pub, F_OK), -1);
	key_free(k);
}
END_TEST

START_TEST(test_load_symlink)
{
	struct centre_key *k = key_generate(), *l = NULL;
	uint8_t raw[SEAL_PUBLIC_LEN];
	char link_priv[4200];

	ck_assert_int_eq(key_save(k, priv, pub, NULL, 0), KEY_OK);
	ck_assert_int_gt(str_copy(link_priv, sizeof(link_priv),
	    path_in("link.key")), -1);
	ck_assert_int_eq(symlink(priv, link_priv), 0);
	ck_assert_int_eq(symlink(pub, path_in("link.pub")), 0);
	ck_assert_int_eq(key_load_private(link_priv, NULL, 0, &l),
	    KEY_ERR_SYMLINK);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(key_load_public(path_in("link.pub"), raw),
	    KEY_ERR_SYMLINK);
	/* Dangling: still a symlink, not "missing". */
	ck_assert_int_eq(symlink("/nonexistent/x", path_in("dangling")), 0);
	ck_assert_int_eq(key_load_private(path_in("dangling"), NULL, 0, &l),
	    KEY_ERR_SYMLINK);
	key_free(k);
}
END_TEST

START_TEST(test_perms)
{
	struct centre_key *k = key_generate(), *l = NULL;
	static const mode_t bad[] = { 0644, 0640, 0604, 0620, 0602, 0610,
	    0601, 0660 };
	static const mode_t good[] = { 0600, 0400, 0700 };
	uint8_t raw[SEAL_PUBLIC_LEN];

	ck_assert_int_eq(key_save(k, priv, pub, NULL, 0), KEY_OK);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ck_assert_int_eq(chmod(priv, bad[i]), 0);
		ck_assert_msg(key_load_private(priv, NULL, 0, &l) ==
		    KEY_ERR_PERMS, "mode %o", (unsigned)bad[i]);
		ck_assert_ptr_null(l);
	}
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		ck_assert_int_eq(chmod(priv, good[i]), 0);
		ck_assert_int_eq(key_load_private(priv, NULL, 0, &l), KEY_OK);
		key_free(l);
		l = NULL;
	}
	/* The public key is not secret: 0644 is its normal mode. */
	ck_assert_int_eq(key_load_public(pub, raw), KEY_OK);
	key_free(k);
}
END_TEST

START_TEST(test_format)
{
	struct centre_key *l = NULL;
	uint8_t raw[SEAL_PUBLIC_LEN];
	static const char garbage[] = "this is not a key\n\x01\x02\xff";
	static const char fake_enc[] =
	    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
	    "-----END ENCRYPTED PRIVATE KEY-----\n";
	const char *p;

	write_file(path_in("garbage"), garbage, sizeof(garbage) - 1, 0600);
	ck_assert_int_eq(key_load_private(path_in("garbage"), NULL, 0, &l),
	    KEY_ERR_FORMAT);
	ck_assert_int_eq(key_load_private(path_in("garbage"), PASS,
	    strlen(PASS), &l), KEY_ERR_FORMAT);
	ck_assert_int_eq(key_load_public(path_in("garbage"), raw),
	    KEY_ERR_FORMAT);
	write_file(path_in("empty"), "", 0, 0600);
	ck_assert_int_eq(key_load_private(path_in("empty"), NULL, 0, &l),
	    KEY_ERR_FORMAT);
	ck_assert_int_eq(key_load_public(path_in("empty"), raw),
	    KEY_ERR_FORMAT);
	/* "ENCRYPTED" header around nonsense: a format error, pass or not. */
	write_file(path_in("fake"), fake_enc, sizeof(fake_enc) - 1, 0600);
	ck_assert_int_eq(key_load_private(path_in("fake"), NULL, 0, &l),
	    KEY_ERR_FORMAT);
	ck_assert_int_eq(key_load_private(path_in("fake"), PASS, strlen(PASS),
	    &l), KEY_ERR_FORMAT);
	/* Another key type, private and public. */
	p = copy_data("key-ed25519.key", 0600);
	ck_assert_int_eq(key_load_private(p, NULL, 0, &l), KEY_ERR_FORMAT);
	ck_assert_int_eq(key_load_public(testutil_data("key-ed25519.pub"),
	    raw), KEY_ERR_FORMAT);
	/* A public key where a private one belongs, and the reverse. */
	p = copy_data("seal-test.pub", 0600);
	ck_assert_int_eq(key_load_private(p, NULL, 0, &l), KEY_ERR_FORMAT);
	p = copy_data("seal-test.key", 0600);
	ck_assert_int_eq(key_load_public(p, raw), KEY_ERR_FORMAT);
	ck_assert_ptr_null(l);
}
END_TEST

START_TEST(test_format_p256)
{
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct centre_key *l = NULL;
	uint8_t raw[SEAL_PUBLIC_LEN];
	FILE *f;

	ck_assert_ptr_nonnull(ec);
	f = fopen(priv, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PrivateKey(f, ec, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(f);
	ck_assert_int_eq(chmod(priv, 0600), 0);
	f = fopen(pub, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PUBKEY(f, ec), 1);
	fclose(f);
	ck_assert_int_eq(key_load_private(priv, NULL, 0, &l), KEY_ERR_FORMAT);
	ck_assert_int_eq(key_load_public(pub, raw), KEY_ERR_FORMAT);
	EVP_PKEY_free(ec);
}
END_TEST

/* KEY_FILE_MAX bytes with a key inside load; one byte more does not. */
START_TEST(test_file_size_limit)
{
	struct centre_key *l = NULL;
	size_t len;
	char *pem = testutil_slurp(testutil_data("seal-test.key"), &len);
	char *buf = malloc(KEY_FILE_MAX + 1);

	ck_assert_ptr_nonnull(pem);
	ck_assert_ptr_nonnull(buf);
	/* Text before the PEM block is skipped by the PEM reader. */
	memset(buf, 'x', KEY_FILE_MAX + 1);
	for (size_t i = 63; i < KEY_FILE_MAX; i += 64)
		buf[i] = '\n';
	memcpy(buf + KEY_FILE_MAX - len, pem, len);
	buf[KEY_FILE_MAX - len - 1] = '\n';
	write_file(priv, buf, KEY_FILE_MAX, 0600);
	ck_assert_int_eq(key_load_private(priv, NULL, 0, &l), KEY_OK);
	key_free(l);
	l = NULL;
	ck_assert_int_eq(unlink(priv), 0);
	memmove(buf + 1, buf, KEY_FILE_MAX);
	buf[0] = '\n';
	write_file(priv, buf, KEY_FILE_MAX + 1, 0600);
	ck_assert_int_eq(key_load_private(priv, NULL, 0, &l), KEY_ERR_FORMAT);
	ck_assert_ptr_null(l);
	free(buf);
	free(pem);
}
END_TEST

START_TEST(test_io_errors)
{
	struct centre_key *k = key_generate(), *l = NULL;
	uint8_t raw[SEAL_PUBLIC_LEN];

	errno = 0;
	ck_assert_int_eq(key_load_private(path_in("missing"), NULL, 0, &l),
	    KEY_ERR_IO);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(key_load_public(path_in("missing"), raw), KEY_ERR_IO);
	/* A directory, and a FIFO (which must not block the reader). */
	ck_assert_int_eq(mkdir(path_in("d"), 0700), 0);
	ck_assert_int_eq(key_load_private(path_in("d"), NULL, 0, &l),
	    KEY_ERR_IO);
	ck_assert_int_eq(mkfifo(path_in("fifo"), 0600), 0);
	ck_assert_int_eq(key_load_private(path_in("fifo"), NULL, 0, &l),
	    KEY_ERR_IO);
	ck_assert_int_eq(key_load_public(path_in("fifo"), raw), KEY_ERR_IO);
	/* Saving into a directory that does not exist leaves nothing. */
	ck_assert_int_eq(key_save(k, path_in("no/such.key"), pub, NULL, 0),
	    KEY_ERR_IO);
	ck_assert_int_eq(key_save(k, priv, path_in("no/such.pub"), NULL, 0),
	    KEY_ERR_IO);
	ck_assert_int_eq(access(priv, F_OK), -1);
	ck_assert_int_eq(access(pub, F_OK), -1);
	ck_assert_int_eq(entries_in_dir(), 2);	/* d and fifo */
	ck_assert_ptr_null(l);
	key_free(k);
}
END_TEST

START_TEST(test_pepper)
{
	struct centre_key *k = key_generate(), *l = NULL, *m = NULL;
	/* `openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:<priv>
	 * -kdfopt info:"hrpost pepper v1" HKDF` for tests/data/seal-test.key */
	static const uint8_t want[KEY_PEPPER_LEN] = {
		0xb8, 0xbe, 0xe2, 0x05, 0x2d, 0xa0, 0x4d, 0x3c,
		0x3f, 0x5f, 0xf8, 0xea, 0x4f, 0xd6, 0x39, 0xde,
		0x21, 0xb6, 0x3a, 0xe5, 0x93, 0x8c, 0x98, 0x45,
		0xc8, 0x40, 0xac, 0x84, 0xcc, 0xff, 0xda, 0x0d,
	};
	const char *p;

	ck_assert_int_eq(key_save(k, priv, pub, PASS, strlen(PASS)), KEY_OK);
	ck_assert_int_eq(key_load_private(priv, PASS, strlen(PASS), &l),
	    KEY_OK);
	ck_assert_int_eq(memcmp(key_pepper(k), key_pepper(l), KEY_PEPPER_LEN),
	    0);
	p = copy_data("seal-test.key", 0600);
	ck_assert_int_eq(key_load_private(p, NULL, 0, &m), KEY_OK);
	ck_assert_int_eq(memcmp(key_pepper(m), want, KEY_PEPPER_LEN), 0);
	ck_assert_int_ne(memcmp(key_pepper(m), key_pepper(k), KEY_PEPPER_LEN),
	    0);
	key_free(k);
	key_free(l);
	key_free(m);
}
END_TEST

/* Seal to the saved public key, open with the reloaded private key. */
START_TEST(test_seal_through_files)
{
	struct centre_key *k = key_generate(), *l = NULL;
	uint8_t raw[SEAL_PUBLIC_LEN], *blob = NULL, *pt = NULL;
	size_t len, ptlen;

	ck_assert_int_eq(key_save(k, priv, pub, PASS, strlen(PASS)), KEY_OK);
	key_free(k);
	ck_assert_int_eq(key_load_public(pub, raw), KEY_OK);
	ck_assert_int_eq(seal_seal(raw, "06 12 34 56 78", 14, "a", 1, &blob,
	    &len), SEAL_OK);
	ck_assert_int_eq(key_load_private(priv, PASS, strlen(PASS), &l),
	    KEY_OK);
	ck_assert_int_eq(seal_open(l, blob, len, "a", 1, &pt, &ptlen),
	    SEAL_OK);
	ck_assert_str_eq((char *)pt, "06 12 34 56 78");
	mem_wipe_free(pt, ptlen + 1);
	free(blob);
	key_free(l);
}
END_TEST

START_TEST(test_misuse)
{
	struct centre_key *k = key_generate(), *l = NULL;

	ck_assert_int_eq(key_save(NULL, priv, pub, NULL, 0), KEY_ERR_INTERNAL);
	ck_assert_int_eq(key_save(k, NULL, pub, NULL, 0), KEY_ERR_INTERNAL);
	ck_assert_int_eq(key_save(k, priv, NULL, NULL, 0), KEY_ERR_INTERNAL);
	ck_assert_int_eq(key_load_private(NULL, NULL, 0, &l),
	    KEY_ERR_INTERNAL);
	ck_assert_int_eq(key_load_private(priv, NULL, 0, NULL),
	    KEY_ERR_INTERNAL);
	ck_assert_int_eq(key_load_public(pub, NULL), KEY_ERR_INTERNAL);
	ck_assert_int_eq(entries_in_dir(), 0);
	key_free(k);
}
END_TEST

START_TEST(test_strerror)
{
	static const enum key_status all[] = { KEY_OK, KEY_ERR_IO,
	    KEY_ERR_EXISTS, KEY_ERR_SYMLINK, KEY_ERR_PERMS, KEY_ERR_FORMAT,
	    KEY_ERR_PASSPHRASE, KEY_ERR_INTERNAL };

	for (size_t i = 0; i < ARRAY_LEN(all); i++) {
		const char *a = key_strerror(all[i]);

		ck_assert_ptr_nonnull(a);
		ck_assert_uint_gt(strlen(a), 5);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(a, key_strerror(all[j]));
	}
	ck_assert_ptr_nonnull(strstr(key_strerror(KEY_ERR_PASSPHRASE),
	    "passphrase"));
	ck_assert_ptr_nonnull(key_strerror((enum key_status)99));
}
END_TEST

static Suite *
key_suite(void)
{
	Suite *s = suite_create("key");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_generate);
	tcase_add_test(tc, test_save_load_plain);
	tcase_add_test(tc, test_save_load_passphrase);
	tcase_add_test(tc, test_passphrase_limits);
	tcase_add_test(tc, test_pem_uses_scrypt);
	tcase_add_test(tc, test_openssl_reads_ours);
	tcase_add_test(tc, test_we_read_openssl);
	tcase_add_test(tc, test_modes_ignore_umask);
	tcase_add_test(tc, test_exists);
	tcase_add_test(tc, test_save_over_symlink);
	tcase_add_test(tc, test_load_symlink);
	tcase_add_test(tc, test_perms);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_format_p256);
	tcase_add_test(tc, test_file_size_limit);
	tcase_add_test(tc, test_io_errors);
	tcase_add_test(tc, test_pepper);
	tcase_add_test(tc, test_seal_through_files);
	tcase_add_test(tc, test_misuse);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(key_suite)
