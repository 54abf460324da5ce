/*
 * Decoder for application/x-www-form-urlencoded bodies and URL query
 * strings: "k1=v1&k2=v2...", '+' for a space, %XX for any byte.  Both the
 * public intake form (POST /order), Kannel's GET /sms and the console's
 * forms go through it, so it is strict and bounded: at most FORM_FIELDS_MAX
 * fields, keys of at most FORM_KEY_MAX bytes, values of at most
 * FORM_VALUE_MAX bytes, inputs of at most FORM_BODY_MAX bytes, all counted
 * after decoding.  Repeated keys are kept, in order (the form's "line" is
 * repeated).  A decoded NUL byte or invalid UTF-8 in a key or a value is
 * refused, naming the field; so is a malformed escape ("%4", "%G1").
 *
 * Empty segments ("a=1&&b=2", a trailing '&') are skipped; a segment
 * without '=' is a key with an empty value; a segment with an empty key
 * ("=x") is refused.  ';' is not a separator.
 *
 * Values may be personal data: form_free() wipes them, and no error
 * message ever quotes a value.
 */
#ifndef HRPOST_FORM_H
#define HRPOST_FORM_H

#include <stddef.h>

#include "base/util.h"

#define FORM_FIELDS_MAX 128
#define FORM_KEY_MAX 64			/* bytes, decoded */
#define FORM_VALUE_MAX 4096		/* bytes, decoded */
#define FORM_BODY_MAX (64 * 1024)	/* bytes, encoded */

enum form_status {
	FORM_OK = 0,
	FORM_ERR_TOO_LARGE,	/* input over FORM_BODY_MAX, or too many fields */
	FORM_ERR_KEY,		/* empty key, or a key over FORM_KEY_MAX */
	FORM_ERR_VALUE,		/* a value over FORM_VALUE_MAX */
	FORM_ERR_ESCAPE,	/* '%' not followed by two hex digits */
	FORM_ERR_NUL,		/* a NUL byte (%00) in a key or value */
	FORM_ERR_UTF8,		/* a key or value is not well-formed UTF-8 */
	FORM_ERR_NOMEM,		/* allocation failure (not the client's fault) */
};

struct form;

/*
 * Decode @len bytes at @data (need not be NUL-terminated; NULL with @len 0
 * is an empty form).  On FORM_OK *out is a new form the caller frees with
 * form_free().  On any other status *out is NULL and @err (may be NULL) is
 * filled in: err->field is the decoded key at fault when it is 1 to 31
 * bytes of [A-Za-z0-9_.-] (e.g. "note", "qty_INJ"), else "form"; err->msg
 * says which rule was broken (never the value).
 */
enum form_status form_parse(const char *data, size_t len, struct form **out,
    struct field_error *err) WUR;

/* An empty form (for a request without a query).  NULL on allocation failure. */
struct form *form_new_empty(void);

/* Wipe every key and value, then free.  NULL is fine. */
void form_free(struct form *f);

/* Number of fields, repeated keys counted each time. */
size_t form_count(const struct form *f);

/*
 * The @i-th field's key and value (NUL-terminated, valid UTF-8, no NUL
 * inside), owned by @f; NULL when @i >= form_count(@f).
 */
const char *form_key_at(const struct form *f, size_t i);
const char *form_value_at(const struct form *f, size_t i);

/* The first value of @key (exact, case-sensitive), or NULL when absent. */
const char *form_get(const struct form *f, const char *key);

/* How many times @key appears. */
size_t form_count_key(const struct form *f, const char *key);

/*
 * Store up to @max values of @key, in order, into @out (owned by @f).
 * Returns how many times @key appears, which may be more than @max (the
 * caller can then report "too many").
 */
size_t form_get_all(const struct form *f, const char *key, const char **out,
    size_t max);

/* A short English sentence for @st, safe to show and log. */
const char *form_strerror(enum form_status st);

/*
 * Percent-encode @s for a query string or a form body (RFC 3986
 * unreserved characters kept, everything else %XX, space as %20) into
 * @out of @outsz bytes.  Returns 0, or -1 when it does not fit.  For tests
 * and clients (the console's pull, the SMS harness).
 */
int form_encode(const char *s, char *out, size_t outsz) WUR;

#endif
