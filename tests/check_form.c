/*
 * Check suite for server/form.c: decoding ('+', %XX, repeated keys in
 * order, empty segments, keys without '='), every limit at the limit and
 * one over (fields, key and value bytes after decoding, input bytes), NUL
 * bytes and invalid UTF-8 refused naming the field (never quoting the
 * value), malformed escapes, and form_encode() round trips.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "server/form.h"
#include "tests/testutil.h"

static struct form *
parse_ok(const char *s)
{
	struct form *f = NULL;
	struct field_error err;

	ck_assert_int_eq(form_parse(s, strlen(s), &f, &err), FORM_OK);
	ck_assert_ptr_nonnull(f);
	return f;
}

static enum form_status
parse_err(const char *s, size_t len, struct field_error *err)
{
	struct form *f = (struct form *)1;
	enum form_status st;

	memset(err, 0, sizeof(*err));
	st = form_parse(s, len, &f, err);
	ck_assert_ptr_null(f);
	ck_assert_int_ne(st, FORM_OK);
	ck_assert(err->msg[0] != '\0');
	return st;
}

START_TEST(test_decode)
{
	struct form *f = parse_ok("a=1&b=hello+world&c=%41%62%2b%26%3D&line=x"
	    "&line=&line=%C3%A9t%C3%A9&d");
	const char *lines[4];

	ck_assert_uint_eq(form_count(f), 7);
	ck_assert_str_eq(form_get(f, "a"), "1");
	ck_assert_str_eq(form_get(f, "b"), "hello world");
	ck_assert_str_eq(form_get(f, "c"), "Ab+&=");
	ck_assert_str_eq(form_get(f, "d"), "");
	ck_assert_ptr_null(form_get(f, "e"));
	ck_assert_ptr_null(form_get(f, "A"));	/* case-sensitive */
	ck_assert_uint_eq(form_count_key(f, "line"), 3);
	ck_assert_uint_eq(form_get_all(f, "line", lines, 4), 3);
	ck_assert_str_eq(lines[0], "x");
	ck_assert_str_eq(lines[1], "");
	ck_assert_str_eq(lines[2], "\xc3\xa9t\xc3\xa9");
	/* Fewer slots than values: the count still says how many. */
	ck_assert_uint_eq(form_get_all(f, "line", lines, 1), 3);
	ck_assert_str_eq(form_key_at(f, 0), "a");
	ck_assert_str_eq(form_value_at(f, 6), "");
	ck_assert_ptr_null(form_key_at(f, 7));
	ck_assert_ptr_null(form_value_at(f, 7));
	form_free(f);

	/* Empty segments and trailing separators are skipped. */
	f = parse_ok("&&a=1&&&b=2&");
	ck_assert_uint_eq(form_count(f), 2);
	ck_assert_str_eq(form_get(f, "b"), "2");
	form_free(f);
	/* Only the first '=' separates; ';' is not a separator. */
	f = parse_ok("k=a=b;c=d");
	ck_assert_uint_eq(form_count(f), 1);
	ck_assert_str_eq(form_get(f, "k"), "a=b;c=d");
	form_free(f);

	f = parse_ok("");
	ck_assert_uint_eq(form_count(f), 0);
	form_free(f);
	ck_assert_int_eq(form_parse(NULL, 0, &f, NULL), FORM_OK);
	ck_assert_uint_eq(form_count(f), 0);
	form_free(f);
	f = form_new_empty();
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(form_count(f), 0);
	form_free(f);
	form_free(NULL);
	ck_assert_uint_eq(form_count(NULL), 0);
	ck_assert_ptr_null(form_get(NULL, "a"));
}
END_TEST

START_TEST(test_bad_input)
{
	struct field_error err;

	ck_assert_int_eq(parse_err("=x", 2, &err), FORM_ERR_KEY);
	ck_assert_str_eq(err.field, "form");
	ck_assert_int_eq(parse_err("a=1&=x", 6, &err), FORM_ERR_KEY);

	ck_assert_int_eq(parse_err("note=a%00b", 10, &err), FORM_ERR_NUL);
	ck_assert_str_eq(err.field, "note");
	ck_assert_int_eq(parse_err("x=1&pseudonym=Zo%FFe", 20, &err),
	    FORM_ERR_UTF8);
	ck_assert_str_eq(err.field, "pseudonym");
	ck_assert_ptr_null(strstr(err.msg, "Zo"));
	/* Overlong, surrogate, truncated sequences. */
	ck_assert_int_eq(parse_err("a=%C0%80", 8, &err), FORM_ERR_UTF8);
	ck_assert_int_eq(parse_err("a=%ED%A0%80", 11, &err), FORM_ERR_UTF8);
	ck_assert_int_eq(parse_err("a=%C3", 5, &err), FORM_ERR_UTF8);
	ck_assert_int_eq(parse_err("a=%C3%28", 8, &err), FORM_ERR_UTF8);
	/* A raw NUL byte in the input is as bad as %00. */
	ck_assert_int_eq(parse_err("a=b\0c", 5, &err), FORM_ERR_NUL);
	ck_assert_str_eq(err.field, "a");

	ck_assert_int_eq(parse_err("note=100%", 9, &err), FORM_ERR_ESCAPE);
	ck_assert_str_eq(err.field, "note");
	ck_assert_int_eq(parse_err("note=%4", 7, &err), FORM_ERR_ESCAPE);
	ck_assert_int_eq(parse_err("note=%G1", 8, &err), FORM_ERR_ESCAPE);
	ck_assert_int_eq(parse_err("note=%1G&x=1", 12, &err),
	    FORM_ERR_ESCAPE);

	/* A bad key is never named: it is what is wrong. */
	ck_assert_int_eq(parse_err("k%FF=1", 6, &err), FORM_ERR_UTF8);
	ck_assert_str_eq(err.field, "form");
	ck_assert_int_eq(parse_err("k%00=1", 6, &err), FORM_ERR_NUL);
	ck_assert_str_eq(err.field, "form");
	/* A key that cannot be shown safely: "form" stands for it. */
	ck_assert_int_eq(parse_err("a+b=%FF", 7, &err), FORM_ERR_UTF8);
	ck_assert_str_eq(err.field, "form");
	ck_assert_int_eq(parse_err("<i>=%FF", 7, &err), FORM_ERR_UTF8);
	ck_assert_str_eq(err.field, "form");
}
END_TEST

START_TEST(test_limits)
{
	size_t cap = FORM_BODY_MAX + 64;
	char *buf = malloc(cap);
	struct field_error err;
	struct form *f = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(buf);

	/* FORM_FIELDS_MAX fields, then one more. */
	for (int i = 0; i < FORM_FIELDS_MAX; i++)
		n += (size_t)snprintf(buf + n, cap - n, "k%d=v&", i);
	f = parse_ok(buf);
	ck_assert_uint_eq(form_count(f), FORM_FIELDS_MAX);
	form_free(f);
	n += (size_t)snprintf(buf + n, cap - n, "one=more");
	ck_assert_int_eq(parse_err(buf, n, &err), FORM_ERR_TOO_LARGE);
	ck_assert_str_eq(err.field, "form");

	/* A key of FORM_KEY_MAX bytes, then one more. */
	memset(buf, 'k', FORM_KEY_MAX);
	memcpy(buf + FORM_KEY_MAX, "=v", 3);
	f = parse_ok(buf);
	ck_assert_uint_eq(form_count(f), 1);
	form_free(f);
	memset(buf, 'k', FORM_KEY_MAX + 1);
	memcpy(buf + FORM_KEY_MAX + 1, "=v", 3);
	ck_assert_int_eq(parse_err(buf, strlen(buf), &err), FORM_ERR_KEY);
	/* Counted decoded: 64 escapes of 3 bytes are 64 bytes. */
	n = 0;
	for (int i = 0; i < FORM_KEY_MAX; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%%6B");
	n += (size_t)snprintf(buf + n, cap - n, "=v");
	f = parse_ok(buf);
	form_free(f);

	/* A value of FORM_VALUE_MAX bytes, then one more (named). */
	memcpy(buf, "note=", 5);
	memset(buf + 5, 'a', FORM_VALUE_MAX);
	buf[5 + FORM_VALUE_MAX] = '\0';
	f = parse_ok(buf);
	ck_assert_uint_eq(strlen(form_get(f, "note")), FORM_VALUE_MAX);
	form_free(f);
	buf[5 + FORM_VALUE_MAX] = 'a';
	buf[6 + FORM_VALUE_MAX] = '\0';
	ck_assert_int_eq(parse_err(buf, strlen(buf), &err), FORM_ERR_VALUE);
	ck_assert_str_eq(err.field, "note");
	/* Encoded longer than the limit, decoded at the limit: fine. */
	n = (size_t)snprintf(buf, cap, "v=");
	for (int i = 0; i < FORM_VALUE_MAX; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%%41");
	f = parse_ok(buf);
	ck_assert_uint_eq(strlen(form_get(f, "v")), FORM_VALUE_MAX);
	form_free(f);

	/* An input of exactly FORM_BODY_MAX bytes, then one more. */
	n = 0;
	for (int i = 0; n + 4100 < FORM_BODY_MAX; i++) {
		n += (size_t)snprintf(buf + n, cap - n, "f%02d=", i);
		memset(buf + n, 'x', 4000);
		n += 4000;
		buf[n++] = '&';
	}
	n += (size_t)snprintf(buf + n, cap - n, "last=");
	memset(buf + n, 'y', FORM_BODY_MAX - n);
	n = FORM_BODY_MAX;
	buf[n] = '\0';
	f = parse_ok(buf);
	form_free(f);
	buf[n] = 'y';
	ck_assert_int_eq(parse_err(buf, n + 1, &err), FORM_ERR_TOO_LARGE);
	free(buf);
}
END_TEST

START_TEST(test_encode)
{
	char out[128];
	struct form *f;
	const char *in = "a b&c=d/é%+~._-";

	ck_assert_int_eq(form_encode(in, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a%20b%26c%3Dd%2F%C3%A9%25%2B~._-");
	{
		char body[160];

		ck_assert_int_ge(str_printf(body, sizeof(body), "k=%s", out),
		    0);
		f = parse_ok(body);
		ck_assert_str_eq(form_get(f, "k"), in);
		form_free(f);
	}
	/* Too small: -1 and an empty string, never a cut value. */
	ck_assert_int_eq(form_encode("abc", out, 3), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(form_encode("abc", out, 4), 0);
	ck_assert_int_eq(form_encode(" ", out, 3), -1);
	ck_assert_int_eq(form_encode("", out, 1), 0);
	ck_assert_int_eq(form_encode("a", NULL, 0), -1);

	for (int st = FORM_OK; st <= FORM_ERR_NOMEM; st++)
		ck_assert_ptr_nonnull(form_strerror((enum form_status)st));
}
END_TEST

static Suite *
form_suite(void)
{
	Suite *s = suite_create("form");
	TCase *tc = tcase_create("form");

	tcase_add_test(tc, test_decode);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_encode);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(form_suite)
