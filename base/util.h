/*
 * Small helpers every module uses: strict number parsing, UTF-8 checks,
 * bounded string copies, wiping frees, and the field error that every
 * validator fills in.  Nothing here knows about SQLite, OpenSSL or HTTP.
 */
#ifndef HRPOST_UTIL_H
#define HRPOST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define WUR __attribute__((warn_unused_result))

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A validation error that names the field at fault.  The message never
 * repeats the value that was given: values may be personal data, and error
 * messages end up on screens, in logs and in HTTP answers.
 */
struct field_error {
	char field[32];
	char msg[160];
};

/*
 * Write a message into @errbuf of @errsz bytes (either may be NULL/0: then
 * nothing).  A message cut short still says something; it is never parsed.
 */
void errbuf_set(char *errbuf, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fill in @err (may be NULL) and return -1, for one-line error returns. */
int field_error_set(struct field_error *err, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Parse a whole decimal integer in [min, max].  Leading/trailing spaces,
 * signs where min >= 0, empty strings and trailing garbage are refused.
 * Returns 0 and sets *out, or -1.
 */
int parse_long(const char *s, long min, long max, long *out) WUR;

/* true when [s, s+len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/* Number of code points in a well-formed UTF-8 string. */
size_t utf8_len(const char *s);

/*
 * true when the well-formed UTF-8 string @s contains a C0/C1 control
 * character or DEL (tab and newline included: a single-line field has no use
 * for them).
 */
bool utf8_has_control(const char *s);

/*
 * Copy @src into @dst of @dstsz bytes.  Returns 0, or -1 when it does not
 * fit (and then @dst holds an empty string, never a truncated value).
 */
int str_copy(char *dst, size_t dstsz, const char *src) WUR;

/* snprintf that returns -1 on error or truncation instead of a length. */
int str_printf(char *dst, size_t dstsz, const char *fmt, ...) WUR
    __attribute__((format(printf, 3, 4)));

/* strdup that aborts on allocation failure is not offered: NULL on failure. */
char *str_dup(const char *s);

/* Overwrite a NUL-terminated string with zeros and free it.  NULL is fine. */
void str_wipe_free(char *s);

/* Overwrite @len bytes at @p with zeros and free it.  NULL is fine. */
void mem_wipe_free(void *p, size_t len);

/* Trim ASCII spaces and tabs at both ends, in place.  Returns @s. */
char *str_trim(char *s);

/* Case-insensitive ASCII compare, like strcasecmp but locale-free. */
int str_casecmp(const char *a, const char *b);

#include <sys/types.h>

#define FILE_PATH_MAX 4096

/*
 * Create @path holding @len bytes of @data, mode @mode whatever the umask,
 * the way state files are written: a temporary file next to it (O_EXCL,
 * O_NOFOLLOW), written and fsync'd, then moved into place without ever
 * replacing an existing file (renameat2 RENAME_NOREPLACE, or link), and
 * the directory fsync'd.  Returns 0, or -1 with "path: reason" in @errbuf
 * ("already exists" when @path does); nothing is left behind on failure.
 */
int file_create(const char *path, const void *data, size_t len, mode_t mode,
    char *errbuf, size_t errsz) WUR;

#endif
