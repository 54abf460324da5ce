/*
 * application/x-www-form-urlencoded and query strings (see form.h).  The
 * whole input is decoded into one buffer that can only shrink: a decoded
 * key or value is never longer than its encoded form, so the buffer is
 * the input's length plus one NUL per field, allocated once, after the
 * input's length was checked against FORM_BODY_MAX.  Every key and value
 * points into it; form_free() wipes it whole.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "server/form.h"

struct form_field {
	const char *key;
	const char *value;
};

struct form {
	size_t n;
	struct form_field f[FORM_FIELDS_MAX];
	char *buf;
	size_t bufsz;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A key safe to repeat in an error message: short, plain ASCII. */
static bool
key_nameable(const char *k)
{
	size_t n = 0;

	for (; k[n] != '\0'; n++) {
		char c = k[n];

		if (n >= sizeof(((struct field_error *)0)->field) - 1)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return false;
	}
	return n > 0;
}

/*
 * Decode @len encoded bytes at @src into @dst (room for @len + 1 bytes).
 * At most @max decoded bytes.  Returns FORM_OK with *outlen, or the error.
 */
static enum form_status
decode(const char *src, size_t len, char *dst, size_t max, size_t *outlen,
    enum form_status too_long)
{
	size_t i = 0, o = 0;

	while (i < len) {
		char c = src[i];

		if (o >= max)
			return too_long;
		if (c == '+') {
			dst[o++] = ' ';
			i++;
		} else if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return FORM_ERR_ESCAPE;
			hi = hexval(src[i + 1]);
			lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0)
				return FORM_ERR_ESCAPE;
			dst[o++] = (char)(hi << 4 | lo);
			i += 3;
		} else {
			dst[o++] = c;
			i++;
		}
	}
	dst[o] = '\0';
	*outlen = o;
	return FORM_OK;
}

/* NUL, then UTF-8, of the decoded @s of @n bytes. */
static enum form_status
check_text(const char *s, size_t n)
{
	if (memchr(s, '\0', n) != NULL)
		return FORM_ERR_NUL;
	if (!utf8_valid(s, n))
		return FORM_ERR_UTF8;
	return FORM_OK;
}

static enum form_status
fail(enum form_status st, const char *key, struct field_error *err)
{
	const char *field = key != NULL && key_nameable(key) ? key : "form";

	switch (st) {
	case FORM_ERR_TOO_LARGE:
		(void)field_error_set(err, "form", "the form is too large "
		    "(at most %d bytes and %d fields)", FORM_BODY_MAX,
		    FORM_FIELDS_MAX);
		break;
	case FORM_ERR_KEY:
		(void)field_error_set(err, "form", "a field name is empty or "
		    "longer than %d bytes", FORM_KEY_MAX);
		break;
	case FORM_ERR_VALUE:
		(void)field_error_set(err, field, "is longer than %d bytes",
		    FORM_VALUE_MAX);
		break;
	case FORM_ERR_ESCAPE:
		(void)field_error_set(err, field, "has a '%%' not followed by "
		    "two hexadecimal digits");
		break;
	case FORM_ERR_NUL:
		(void)field_error_set(err, field, "contains a NUL byte");
		break;
	case FORM_ERR_UTF8:
		(void)field_error_set(err, field, "is not valid UTF-8");
		break;
	case FORM_ERR_NOMEM:
	default:
		(void)field_error_set(err, "form", "out of memory");
		break;
	}
	return st;
}

enum form_status
form_parse(const char *data, size_t len, struct form **out,
    struct field_error *err)
{
	struct form *f = NULL;
	enum form_status st = FORM_OK;
	size_t pos = 0, used = 0;

	*out = NULL;
	if (data == NULL)
		len = 0;
	if (len > FORM_BODY_MAX)
		return fail(FORM_ERR_TOO_LARGE, NULL, err);
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return fail(FORM_ERR_NOMEM, NULL, err);
	/* Each segment decodes to at most its length plus two NULs. */
	f->bufsz = len + 2 * FORM_FIELDS_MAX + 2;
	f->buf = malloc(f->bufsz);
	if (f->buf == NULL) {
		st = fail(FORM_ERR_NOMEM, NULL, err);
		goto out;
	}
	while (pos < len) {
		const char *seg = data + pos;
		const char *amp = memchr(seg, '&', len - pos);
		size_t seglen = amp != NULL ? (size_t)(amp - seg) : len - pos;
		const char *eq = memchr(seg, '=', seglen);
		size_t klen_enc = eq != NULL ? (size_t)(eq - seg) : seglen;
		size_t vlen_enc = eq != NULL ? seglen - klen_enc - 1 : 0;
		char *key, *value;
		size_t klen, vlen;

		pos += seglen + 1;
		if (seglen == 0)
			continue;
		if (f->n >= FORM_FIELDS_MAX) {
			st = fail(FORM_ERR_TOO_LARGE, NULL, err);
			goto out;
		}
		if (klen_enc == 0) {
			st = fail(FORM_ERR_KEY, NULL, err);
			goto out;
		}
		key = f->buf + used;
		st = decode(seg, klen_enc, key, FORM_KEY_MAX, &klen,
		    FORM_ERR_KEY);
		if (st == FORM_OK)
			st = check_text(key, klen);
		if (st != FORM_OK) {
			/* The key itself is at fault: never name it. */
			st = fail(st == FORM_ERR_KEY ? FORM_ERR_KEY : st, NULL,
			    err);
			goto out;
		}
		if (klen == 0) {
			st = fail(FORM_ERR_KEY, NULL, err);
			goto out;
		}
		used += klen + 1;
		value = f->buf + used;
		st = decode(eq != NULL ? eq + 1 : seg + seglen, vlen_enc,
		    value, FORM_VALUE_MAX, &vlen, FORM_ERR_VALUE);
		if (st == FORM_OK)
			st = check_text(value, vlen);
		if (st != FORM_OK) {
			st = fail(st, key, err);
			goto out;
		}
		used += vlen + 1;
		f->f[f->n].key = key;
		f->f[f->n].value = value;
		f->n++;
	}
	*out = f;
	f = NULL;
out:
	form_free(f);
	return st;
}

struct form *
form_new_empty(void)
{
	struct form *f = NULL;

	if (form_parse(NULL, 0, &f, NULL) != FORM_OK)
		return NULL;
	return f;
}

void
form_free(struct form *f)
{
	if (f == NULL)
		return;
	if (f->buf != NULL) {
		OPENSSL_cleanse(f->buf, f->bufsz);
		free(f->buf);
	}
	free(f);
}

size_t
form_count(const struct form *f)
{
	return f != NULL ? f->n : 0;
}

const char *
form_key_at(const struct form *f, size_t i)
{
	return f != NULL && i < f->n ? f->f[i].key : NULL;
}

const char *
form_value_at(const struct form *f, size_t i)
{
	return f != NULL && i < f->n ? f->f[i].value : NULL;
}

const char *
form_get(const struct form *f, const char *key)
{
	for (size_t i = 0; f != NULL && i < f->n; i++)
		if (strcmp(f->f[i].key, key) == 0)
			return f->f[i].value;
	return NULL;
}

size_t
form_count_key(const struct form *f, const char *key)
{
	return form_get_all(f, key, NULL, 0);
}

size_t
form_get_all(const struct form *f, const char *key, const char **out,
    size_t max)
{
	size_t n = 0;

	for (size_t i = 0; f != NULL && i < f->n; i++) {
		if (strcmp(f->f[i].key, key) != 0)
			continue;
		if (out != NULL && n < max)
			out[n] = f->f[i].value;
		n++;
	}
	return n;
}

const char *
form_strerror(enum form_status st)
{
	switch (st) {
	case FORM_OK:
		return "no error";
	case FORM_ERR_TOO_LARGE:
		return "form too large";
	case FORM_ERR_KEY:
		return "bad field name";
	case FORM_ERR_VALUE:
		return "field value too long";
	case FORM_ERR_ESCAPE:
		return "bad percent escape";
	case FORM_ERR_NUL:
		return "NUL byte in a field";
	case FORM_ERR_UTF8:
		return "invalid UTF-8 in a field";
	case FORM_ERR_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

int
form_encode(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	    p++) {
		unsigned char c = *p;
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~';

		if (o + (keep ? 1 : 3) >= outsz) {
			out[0] = '\0';
			return -1;
		}
		if (keep) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}
