/*
 * Check suite for base/util.c and base/clock.c: number parsing at the
 * limits of long, UTF-8 validation (overlongs, surrogates, truncated and
 * out-of-range sequences), control characters including C1, bounded copies
 * that never leave a truncated value, trimming, and the ISO 8601 clock with
 * $HRPOST_NOW.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/util.h"
#include "tests/testutil.h"

START_TEST(parse_long_ok)
{
	long v = -7;

	ck_assert_int_eq(parse_long("0", 0, 10, &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(parse_long("10", 0, 10, &v), 0);
	ck_assert_int_eq(v, 10);
	ck_assert_int_eq(parse_long("007", 0, 10, &v), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(parse_long("-5", -10, 10, &v), 0);
	ck_assert_int_eq(v, -5);
	ck_assert_int_eq(parse_long("-10", -10, 10, &v), 0);
	ck_assert_int_eq(v, -10);
	ck_assert_int_eq(parse_long("999", 1, 999, &v), 0);
	ck_assert_int_eq(v, 999);
	ck_assert_int_eq(parse_long("1", 1, 999, &v), 0);
	ck_assert_int_eq(v, 1);
}
END_TEST

START_TEST(parse_long_limits)
{
	char buf[64];
	long v = 42;

	/* The limits of long itself. */
	ck_assert_int_ne(str_printf(buf, sizeof(buf), "%ld", LONG_MAX), -1);
	ck_assert_int_eq(parse_long(buf, 0, LONG_MAX, &v), 0);
	ck_assert(v == LONG_MAX);
	ck_assert_int_ne(str_printf(buf, sizeof(buf), "%ld", LONG_MIN), -1);
	ck_assert_int_eq(parse_long(buf, LONG_MIN, 0, &v), 0);
	ck_assert(v == LONG_MIN);
	v = 42;
	/* LONG_MAX + 1 and LONG_MIN - 1 overflow. */
	ck_assert_int_eq(parse_long("9223372036854775808", 0, LONG_MAX, &v),
	    -1);
	ck_assert_int_eq(parse_long("-9223372036854775809", LONG_MIN, 0, &v),
	    -1);
	ck_assert_int_eq(parse_long("99999999999999999999999", 0, LONG_MAX,
	    &v), -1);
	/* limit + 1 and limit - 1 of the range. */
	ck_assert_int_eq(parse_long("11", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("1000", 1, 999, &v), -1);
	ck_assert_int_eq(parse_long("0", 1, 999, &v), -1);
	ck_assert_int_eq(parse_long("-11", -10, 10, &v), -1);
	ck_assert_int_eq(v, 42);	/* untouched on failure */
}
END_TEST

START_TEST(parse_long_malformed)
{
	long v = 42;

	ck_assert_int_eq(parse_long(NULL, 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long(" 5", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("5 ", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("\t5", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("+5", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("-5", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("-0", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("-", -10, 10, &v), -1);
	ck_assert_int_eq(parse_long("- 5", -10, 10, &v), -1);
	ck_assert_int_eq(parse_long("--5", -10, 10, &v), -1);
	ck_assert_int_eq(parse_long("5x", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("0x5", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("1e2", 0, 1000, &v), -1);
	ck_assert_int_eq(parse_long("1.0", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("five", 0, 10, &v), -1);
	ck_assert_int_eq(parse_long("\xd9\xa5", 0, 10, &v), -1);
	ck_assert_int_eq(v, 42);
}
END_TEST

static bool
valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

START_TEST(utf8_valid_ok)
{
	ck_assert(valid(""));
	ck_assert(valid("plain ASCII ~"));
	ck_assert(valid("\x7f"));
	ck_assert(valid("\xc2\x80"));			/* U+0080, first 2-byte */
	ck_assert(valid("\xc3\xa9t\xc3\xa9"));		/* été */
	ck_assert(valid("\xdf\xbf"));			/* U+07FF */
	ck_assert(valid("\xe0\xa0\x80"));		/* U+0800, first 3-byte */
	ck_assert(valid("\xed\x9f\xbf"));		/* U+D7FF, before surrogates */
	ck_assert(valid("\xee\x80\x80"));		/* U+E000, after */
	ck_assert(valid("\xef\xbf\xbf"));		/* U+FFFF */
	ck_assert(valid("\xf0\x90\x80\x80"));		/* U+10000 */
	ck_assert(valid("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	ck_assert(valid("\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0"));
	/* len bounds the check: a bad byte past it is not seen. */
	ck_assert(utf8_valid("ab\xff", 2));
	ck_assert(utf8_valid("\xc3\xa9\xc3", 2));
	/* An embedded NUL inside len is a valid (ASCII) byte. */
	ck_assert(utf8_valid("a\0b", 3));
}
END_TEST

START_TEST(utf8_valid_bad)
{
	/* Overlong forms. */
	ck_assert(!valid("\xc0\x80"));
	ck_assert(!valid("\xc0\xaf"));
	ck_assert(!valid("\xc1\xbf"));
	ck_assert(!valid("\xe0\x80\xaf"));
	ck_assert(!valid("\xe0\x9f\xbf"));		/* U+07FF in 3 bytes */
	ck_assert(!valid("\xf0\x80\x80\xaf"));
	ck_assert(!valid("\xf0\x8f\xbf\xbf"));		/* U+FFFF in 4 bytes */
	/* Surrogates, each end. */
	ck_assert(!valid("\xed\xa0\x80"));		/* U+D800 */
	ck_assert(!valid("\xed\xbf\xbf"));		/* U+DFFF */
	ck_assert(!valid("\xed\xa0\xbd\xed\xb8\x80"));	/* CESU-8 pair */
	/* Past U+10FFFF and bytes that never occur. */
	ck_assert(!valid("\xf4\x90\x80\x80"));
	ck_assert(!valid("\xf5\x80\x80\x80"));
	ck_assert(!valid("\xf7\xbf\xbf\xbf"));
	ck_assert(!valid("\xf8\x88\x80\x80\x80"));
	ck_assert(!valid("\xfc\x84\x80\x80\x80\x80"));
	ck_assert(!valid("\xfe"));
	ck_assert(!valid("\xff"));
	/* Lone continuation bytes. */
	ck_assert(!valid("\x80"));
	ck_assert(!valid("a\xbf"));
	/* Truncated sequences, at the end and in the middle. */
	ck_assert(!valid("\xc3"));
	ck_assert(!valid("\xe2\x82"));
	ck_assert(!valid("\xf0\x9f\x8f"));
	ck_assert(!valid("\xc3" "a"));
	ck_assert(!valid("\xe2\x82" "a"));
	ck_assert(!valid("\xf0\x9f\x8f" "a"));
	ck_assert(!utf8_valid("\xc3\xa9", 1));
	ck_assert(!utf8_valid("\xe2\x82\xac", 2));
}
END_TEST

START_TEST(utf8_len_counts)
{
	ck_assert_uint_eq(utf8_len(""), 0);
	ck_assert_uint_eq(utf8_len("abc"), 3);
	ck_assert_uint_eq(utf8_len("\xc3\xa9t\xc3\xa9"), 3);
	ck_assert_uint_eq(utf8_len("\xe2\x82\xac"), 1);
	ck_assert_uint_eq(utf8_len("\xf0\x9f\x8f\xa0x"), 2);
}
END_TEST

START_TEST(utf8_control)
{
	char c0[2] = { 0, 0 };
	int i;

	ck_assert(!utf8_has_control(""));
	ck_assert(!utf8_has_control("plain text ~"));
	ck_assert(!utf8_has_control("\xc2\xa0\xc3\xa9"));	/* NBSP, é */
	ck_assert(!utf8_has_control("\xc2\xa1"));		/* U+00A1 */
	ck_assert(!utf8_has_control("\xc4\x80"));		/* U+0100 */
	/* U+0100..: C4 80..C4 9F must not be mistaken for C1. */
	ck_assert(!utf8_has_control("\xc4\x85"));
	ck_assert(!utf8_has_control("\xe2\x80\xa8"));		/* U+2028 */
	for (i = 1; i < 0x20; i++) {
		c0[0] = (char)i;
		ck_assert_msg(utf8_has_control(c0), "C0 %d", i);
	}
	ck_assert(utf8_has_control("\x7f"));
	ck_assert(utf8_has_control("a\tb"));
	ck_assert(utf8_has_control("a\nb"));
	ck_assert(utf8_has_control("end\r"));
	/* C1: U+0080..U+009F. */
	ck_assert(utf8_has_control("\xc2\x80"));
	ck_assert(utf8_has_control("a\xc2\x85z"));
	ck_assert(utf8_has_control("\xc2\x9b[0m"));
	ck_assert(utf8_has_control("\xc2\x9f"));
}
END_TEST

START_TEST(copy_and_printf)
{
	char buf[8];

	ck_assert_int_eq(str_copy(buf, sizeof(buf), "1234567"), 0);
	ck_assert_str_eq(buf, "1234567");
	ck_assert_int_eq(str_copy(buf, sizeof(buf), ""), 0);
	ck_assert_str_eq(buf, "");
	/* One byte too many: refused and emptied, never truncated. */
	ck_assert_int_eq(str_copy(buf, sizeof(buf), "12345678"), -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(str_copy(buf, 0, "x"), -1);
	ck_assert_int_eq(str_copy(buf, 1, ""), 0);
	ck_assert_int_eq(str_copy(buf, 1, "x"), -1);

	ck_assert_int_eq(str_printf(buf, sizeof(buf), "%s-%d", "ab", 1234),
	    7);
	ck_assert_str_eq(buf, "ab-1234");
	ck_assert_int_eq(str_printf(buf, sizeof(buf), "%s-%d", "ab", 12345),
	    -1);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(str_printf(buf, sizeof(buf), "%s", ""), 0);
	ck_assert_int_eq(str_printf(buf, 0, "%s", "x"), -1);
}
END_TEST

START_TEST(trim)
{
	char a[] = "  a b  ", b[] = "\t\tx\t", c[] = "   ", d[] = "",
	    e[] = "noop", f[] = " \n x \n ";

	ck_assert_str_eq(str_trim(a), "a b");
	ck_assert_str_eq(str_trim(b), "x");
	ck_assert_str_eq(str_trim(c), "");
	ck_assert_str_eq(str_trim(d), "");
	ck_assert_str_eq(str_trim(e), "noop");
	/* Only spaces and tabs: a newline stays. */
	ck_assert_str_eq(str_trim(f), "\n x \n");
	ck_assert_ptr_eq(str_trim(a), a);
}
END_TEST

START_TEST(misc)
{
	struct field_error err = { "", "" };
	char *p;

	ck_assert_int_eq(field_error_set(&err, "qty_INJ", "must be %d to %d",
	    1, 999), -1);
	ck_assert_str_eq(err.field, "qty_INJ");
	ck_assert_str_eq(err.msg, "must be 1 to 999");
	ck_assert_int_eq(field_error_set(NULL, "x", "y"), -1);

	ck_assert_int_eq(str_casecmp("InJ", "inj"), 0);
	ck_assert_int_lt(str_casecmp("a", "b"), 0);
	ck_assert_int_gt(str_casecmp("abc", "ab"), 0);
	ck_assert_int_ne(str_casecmp("\xc3\xa9", "\xc3\x89"), 0);

	p = str_dup("secret");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "secret");
	str_wipe_free(p);
	str_wipe_free(NULL);
	p = str_dup("xyz");
	ck_assert_ptr_nonnull(p);
	mem_wipe_free(p, 4);
	mem_wipe_free(NULL, 10);
}
END_TEST

static void
parse_is(const char *s, time_t want)
{
	time_t t = 0;

	ck_assert_msg(clock_parse(s, &t) == 0, "%s refused", s);
	ck_assert_msg(t == want, "%s: %lld, want %lld", s, (long long)t,
	    (long long)want);
}

static void
parse_bad(const char *s)
{
	time_t t = 12345;

	ck_assert_msg(clock_parse(s, &t) == -1, "%s accepted",
	    s != NULL ? s : "(null)");
	ck_assert(t == 12345);
}

START_TEST(clock_parse_ok)
{
	parse_is("1970-01-01", 0);
	parse_is("1970-01-01T00:00:00Z", 0);
	parse_is("2026-03-01", 1772323200);
	parse_is("2026-03-01T09:30:00Z", 1772357400);
	parse_is("2026-03-01T09:30Z", 1772357400);
	parse_is("2026-03-01T09:30", 1772357400);
	parse_is("2026-03-01T09:30:00", 1772357400);
	parse_is("2026-03-01T11:30:00+02:00", 1772357400);
	parse_is("2026-03-01T11:30+02:00", 1772357400);
	parse_is("2026-03-01T04:30:00-05:00", 1772357400);
	parse_is("2026-03-01T09:00:00-00:30", 1772357400);
	parse_is("2026-03-01T23:30:00+14:00", 1772357400);
	parse_is("2024-02-29", 1709164800);
	parse_is("2000-02-29T12:00:00Z", 951825600);
	parse_is("9999-12-31T23:59:59Z", 253402300799);
	parse_is("2026-03-01T23:59:59Z", 1772323200 + 86399);
}
END_TEST

START_TEST(clock_parse_bad)
{
	parse_bad(NULL);
	parse_bad("");
	parse_bad("2026");
	parse_bad("2026-03");
	parse_bad("2026-3-01");
	parse_bad("2026-03-1");
	parse_bad("26-03-01");
	parse_bad("+2026-03-01");
	parse_bad(" 2026-03-01");
	parse_bad("2026-03-01 ");
	parse_bad("2026/03/01");
	parse_bad("2026-03-01Z");
	parse_bad("2026-03-01T");
	parse_bad("2026-03-01T9:30");
	parse_bad("2026-03-01T09");
	parse_bad("2026-03-01T09:3");
	parse_bad("2026-03-01 09:30:00");
	parse_bad("2026-03-01t09:30:00");
	parse_bad("2026-03-01T09:30:00z");
	parse_bad("2026-03-01T09:30:00.5Z");
	parse_bad("2026-03-01T09:30:00ZZ");
	parse_bad("2026-03-01T09:30:00+0200");
	parse_bad("2026-03-01T09:30:00+02");
	parse_bad("2026-03-01T09:30:00+15:00");
	parse_bad("2026-03-01T09:30:00+02:60");
	parse_bad("2026-03-01T09:30:0");
	/* Out of range fields. */
	parse_bad("2026-00-01");
	parse_bad("2026-13-01");
	parse_bad("2026-01-00");
	parse_bad("2026-01-32");
	parse_bad("2026-04-31");
	parse_bad("2026-06-31");
	parse_bad("2026-09-31");
	parse_bad("2026-11-31");
	parse_bad("2023-02-29");
	parse_bad("2100-02-29");
	parse_bad("1900-02-29");
	parse_bad("2026-03-01T24:00");
	parse_bad("2026-03-01T23:60");
	parse_bad("2026-03-01T23:59:60");
	parse_bad("1969-12-31T23:59:59Z");
	parse_bad("0000-01-01");
	parse_bad("10000-01-01");
	parse_bad("２０２６-03-01");
}
END_TEST

START_TEST(clock_format_and_round_trip)
{
	char out[CLOCK_ISO_LEN];
	time_t ts[] = { 0, 1, 59, 86399, 951825600, 1709164800, 1772357400,
	    253402300799 };
	size_t i;

	clock_format(0, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00Z");
	clock_format(1772357400, out);
	ck_assert_str_eq(out, "2026-03-01T09:30:00Z");
	clock_format(951825600, out);
	ck_assert_str_eq(out, "2000-02-29T12:00:00Z");
	clock_format(-1, out);
	ck_assert_str_eq(out, "1969-12-31T23:59:59Z");
	clock_format(253402300799, out);
	ck_assert_str_eq(out, "9999-12-31T23:59:59Z");
	/* Year 10000 does not fit the format: empty, never cut. */
	clock_format(253402300800, out);
	ck_assert_str_eq(out, "");
	for (i = 0; i < ARRAY_LEN(ts); i++) {
		time_t back = -7;

		clock_format(ts[i], out);
		ck_assert_int_eq(clock_parse(out, &back), 0);
		ck_assert(back == ts[i]);
	}
}
END_TEST

START_TEST(clock_now_env)
{
	time_t before, now;

	ck_assert_int_eq(setenv("HRPOST_NOW", "2026-03-01T09:30:00Z", 1), 0);
	ck_assert(clock_now() == 1772357400);
	ck_assert_int_eq(setenv("HRPOST_NOW", "2026-03-01T11:30+02:00", 1), 0);
	ck_assert(clock_now() == 1772357400);
	ck_assert_int_eq(setenv("HRPOST_NOW", "2030-01-01", 1), 0);
	ck_assert(clock_now() == 1893456000);

	/* Unset, empty or invalid: the real clock. */
	before = time(NULL);
	ck_assert_int_eq(setenv("HRPOST_NOW", "", 1), 0);
	now = clock_now();
	ck_assert(now >= before && now <= time(NULL));
	ck_assert_int_eq(setenv("HRPOST_NOW", "yesterday", 1), 0);
	now = clock_now();
	ck_assert(now >= before && now <= time(NULL));
	ck_assert_int_eq(unsetenv("HRPOST_NOW"), 0);
	now = clock_now();
	ck_assert(now >= before && now <= time(NULL));
}
END_TEST


/* State files: created whole with their mode, never over an old one. */
START_TEST(file_create_rules)
{
	const char *d = testutil_mkdtemp();
	char path[4200], link_path[4200], err[256];
	struct stat sb;
	size_t len, entries = 0;
	char *text;
	DIR *dir;
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	snprintf(path, sizeof(path), "%s/state.conf", d);
	umask(022);
	ck_assert_int_eq(file_create(path, "a = 1\n", 6, 0640, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0640);
	text = testutil_slurp(path, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "a = 1\n");
	free(text);
	/* An existing file is never replaced, and says so. */
	ck_assert_int_eq(file_create(path, "b = 2\n", 6, 0640, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "already exists"));
	text = testutil_slurp(path, &len);
	ck_assert_str_eq(text, "a = 1\n");
	free(text);
	/* Nor is a symlink in its place followed. */
	snprintf(link_path, sizeof(link_path), "%s/dangling", d);
	ck_assert_int_eq(symlink("/nonexistent-target", link_path), 0);
	ck_assert_int_eq(file_create(link_path, "x", 1, 0600, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(access("/nonexistent-target", F_OK), -1);
	/* No temporary file is left behind. */
	dir = opendir(d);
	ck_assert_ptr_nonnull(dir);
	for (;;) {
		e = readdir(dir);
		if (e == NULL)
			break;
		if (e->d_name[0] != '.')
			entries++;
	}
	closedir(dir);
	ck_assert_uint_eq(entries, 2);
	testutil_rmtree(d);
}
END_TEST

static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");
	TCase *tk = tcase_create("clock");

	tcase_add_test(tc, parse_long_ok);
	tcase_add_test(tc, parse_long_limits);
	tcase_add_test(tc, parse_long_malformed);
	tcase_add_test(tc, utf8_valid_ok);
	tcase_add_test(tc, utf8_valid_bad);
	tcase_add_test(tc, utf8_len_counts);
	tcase_add_test(tc, utf8_control);
	tcase_add_test(tc, copy_and_printf);
	tcase_add_test(tc, trim);
	tcase_add_test(tc, misc);
	suite_add_tcase(s, tc);
	tcase_add_test(tk, clock_parse_ok);
	tcase_add_test(tk, clock_parse_bad);
	tcase_add_test(tk, clock_format_and_round_trip);
	tcase_add_test(tk, clock_now_env);
	tcase_add_test(tk, file_create_rules);
	suite_add_tcase(s, tk);
	return s;
}

CHECK_MAIN(util_suite)
