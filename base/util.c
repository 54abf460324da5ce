/*
 * Small helpers every module uses.  See util.h for the contracts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/util.h"

void
errbuf_set(char *errbuf, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(errbuf, errsz, fmt, ap);
	va_end(ap);
}

int
field_error_set(struct field_error *err, const char *field, const char *fmt,
    ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	/* Truncation of a message is harmless; it is never parsed. */
	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	/* strtol skips leading space and takes a sign: we want neither. */
	if (!(*s >= '0' && *s <= '9') && !(*s == '-' && min < 0))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

bool
utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

size_t
utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

bool
utf8_has_control(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (; *s != '\0'; s++) {
		if (*s < 0x20 || *s == 0x7f)
			return true;
		/* C1 controls U+0080..U+009F are encoded as C2 80..C2 9F. */
		if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
			return true;
	}
	return false;
}

int
str_copy(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return -1;
	if (n >= dstsz) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int
str_printf(char *dst, size_t dstsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, dstsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= dstsz) {
		if (dstsz > 0)
			dst[0] = '\0';
		return -1;
	}
	return n;
}

char *
str_dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

void
str_wipe_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
mem_wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

char *
str_trim(char *s)
{
	size_t n = strlen(s);
	size_t start = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[start] == ' ' || s[start] == '\t')
		start++;
	if (start > 0)
		memmove(s, s + start, n - start + 1);
	return s;
}

int
str_casecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (unsigned char)*a, cb = (unsigned char)*b;

		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb || ca == '\0')
			return ca - cb;
	}
}

/* Files ------------------------------------------------------------------ */

static int
write_all(int fd, const void *data, size_t len)
{
	const char *buf = data;

	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory holding @path, so a rename or link in it lasts. */
static int
sync_parent(const char *path)
{
	char dir[FILE_PATH_MAX];
	char *slash;
	int fd, rc;

	if (str_copy(dir, sizeof(dir), path) < 0)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		memcpy(dir, ".", 2);
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

/*
 * Move @tmp to @path unless @path exists: renameat2(RENAME_NOREPLACE),
 * or link() + unlink() on a file system without it.
 */
static int
move_noreplace(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
	if (link(tmp, path) != 0)
		return -1;
	(void)unlink(tmp);
	return 0;
}

int
file_create(const char *path, const void *data, size_t len, mode_t mode,
    char *errbuf, size_t errsz)
{
	char tmp[FILE_PATH_MAX + 32];
	struct stat sb;
	bool made = false;
	int fd = -1, rc = -1, saved;

	if (lstat(path, &sb) == 0) {
		errbuf_set(errbuf, errsz, "%s: already exists", path);
		goto out;
	}
	/* A name of our own next to @path; O_EXCL: never an old file. */
	for (unsigned n = 0; fd < 0; n++) {
		if (str_printf(tmp, sizeof(tmp), "%s.tmp-%ld-%u", path,
		    (long)getpid(), n) < 0) {
			errbuf_set(errbuf, errsz, "%s: path too long", path);
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, mode);
		if (fd < 0 && (errno != EEXIST || n == 100)) {
			errbuf_set(errbuf, errsz, "%s: %s", tmp, strerror(errno));
			goto out;
		}
	}
	made = true;
	/* @mode whatever the umask. */
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		errbuf_set(errbuf, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	saved = close(fd);
	fd = -1;
	if (saved != 0) {
		errbuf_set(errbuf, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (move_noreplace(tmp, path) != 0) {
		errbuf_set(errbuf, errsz, "%s: %s", path, errno == EEXIST ?
		    "already exists" : strerror(errno));
		goto out;
	}
	made = false;
	if (sync_parent(path) != 0) {
		errbuf_set(errbuf, errsz, "%s: cannot sync its directory: %s",
		    path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	if (made)
		(void)unlink(tmp);
	return rc;
}
