/*
 * Check suite for server/session.c: a session made at login is found by
 * its id and carries its staff, centre, role and CSRF token; ids and
 * tokens are fresh random hex each time; malformed and unknown ids are not
 * found; the idle and absolute timeouts (driven by HRPOST_NOW) at the
 * second before and the second of expiry; logout; session fixation (the
 * id brought before login is dead after it); CSRF tokens good, changed,
 * missing, short and another session's; a full table and a login's own
 * cap; the Set-Cookie lines and the Cookie header parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/util.h"
#include "server/session.h"
#include "tests/testutil.h"

#define T0 "2026-03-01T09:00:00Z"

static struct session_store *ss;

/* Set HRPOST_NOW to T0 + @secs. */
static void
at(long secs)
{
	char iso[CLOCK_ISO_LEN];
	time_t t0;

	ck_assert_int_eq(clock_parse(T0, &t0), 0);
	clock_format(t0 + secs, iso);
	ck_assert_int_eq(setenv("HRPOST_NOW", iso, 1), 0);
}

static void
setup(void)
{
	at(0);
	ss = session_store_new(SESSION_MAX_DEFAULT, SESSION_IDLE_SECS,
	    SESSION_ABSOLUTE_SECS);
	ck_assert_ptr_nonnull(ss);
}

static void
teardown(void)
{
	session_store_free(ss);
	ss = NULL;
	unsetenv("HRPOST_NOW");
}

static bool
is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (strchr("0123456789abcdef", s[i]) == NULL)
			return false;
	return true;
}

/* A new session for staff @staff into @id. */
static void
login(int64_t staff, char id[SESSION_ID_BUF], struct session *s)
{
	ck_assert_int_eq(session_create(ss, NULL, staff, 7, STAFF_PACKER,
	    "alice", id, s), 0);
}

START_TEST(test_create_lookup)
{
	char id[SESSION_ID_BUF];
	struct session s, got;

	ck_assert_int_eq(session_create(ss, NULL, 42, 7, STAFF_COORDINATOR,
	    "alice.m", id, &s), 0);
	ck_assert(is_hex(id, SESSION_ID_LEN));
	ck_assert(is_hex(s.csrf, SESSION_CSRF_LEN));
	ck_assert_int_eq(s.staff_id, 42);
	ck_assert_int_eq(s.centre_id, 7);
	ck_assert_int_eq(s.role, STAFF_COORDINATOR);
	ck_assert_str_eq(s.login, "alice.m");
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(session_lookup(ss, id, &got), 0);
	ck_assert_int_eq(got.staff_id, 42);
	ck_assert_int_eq(got.centre_id, 7);
	ck_assert_int_eq(got.role, STAFF_COORDINATOR);
	ck_assert_str_eq(got.login, "alice.m");
	ck_assert_str_eq(got.csrf, s.csrf);
	ck_assert_uint_eq(session_count(ss), 1);
}
END_TEST

START_TEST(test_fresh_ids)
{
	char a[SESSION_ID_BUF], b[SESSION_ID_BUF];
	struct session sa, sb;

	login(1, a, &sa);
	login(1, b, &sb);
	ck_assert_str_ne(a, b);
	ck_assert_str_ne(sa.csrf, sb.csrf);
	ck_assert_str_ne(a, sa.csrf);
	ck_assert_int_eq(session_lookup(ss, a, NULL), 0);
	ck_assert_int_eq(session_lookup(ss, b, NULL), 0);
}
END_TEST

START_TEST(test_bad_ids)
{
	char id[SESSION_ID_BUF], bad[SESSION_ID_BUF + 1];
	struct session s;

	login(1, id, &s);
	ck_assert_int_ne(session_lookup(ss, NULL, &s), 0);
	ck_assert_int_ne(session_lookup(ss, "", &s), 0);
	/* Unknown but well formed. */
	memcpy(bad, id, sizeof(id));
	bad[0] = bad[0] == 'a' ? 'b' : 'a';
	ck_assert_int_ne(session_lookup(ss, bad, &s), 0);
	/* Upper case, one short, one long, a non-hex character. */
	memcpy(bad, id, sizeof(id));
	for (size_t i = 0; i < SESSION_ID_LEN; i++)
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] = (char)(bad[i] - 'a' + 'A');
	if (strcmp(bad, id) != 0)
		ck_assert_int_ne(session_lookup(ss, bad, &s), 0);
	memcpy(bad, id, sizeof(id));
	bad[SESSION_ID_LEN - 1] = '\0';
	ck_assert_int_ne(session_lookup(ss, bad, &s), 0);
	memcpy(bad, id, sizeof(id));
	bad[SESSION_ID_LEN] = '0';
	bad[SESSION_ID_LEN + 1] = '\0';
	ck_assert_int_ne(session_lookup(ss, bad, &s), 0);
	memcpy(bad, id, sizeof(id));
	bad[3] = 'g';
	ck_assert_int_ne(session_lookup(ss, bad, &s), 0);
	/* The real one still works. */
	ck_assert_int_eq(session_lookup(ss, id, &s), 0);
}
END_TEST

START_TEST(test_bad_create)
{
	char id[SESSION_ID_BUF], longlogin[SESSION_LOGIN_MAX + 1];

	memset(longlogin, 'x', SESSION_LOGIN_MAX);
	longlogin[SESSION_LOGIN_MAX] = '\0';
	ck_assert_int_ne(session_create(ss, NULL, 0, 7, STAFF_ADMIN, "a", id,
	    NULL), 0);
	ck_assert_int_ne(session_create(ss, NULL, 1, 0, STAFF_ADMIN, "a", id,
	    NULL), 0);
	ck_assert_int_ne(session_create(ss, NULL, 1, 7, (enum staff_role)9,
	    "a", id, NULL), 0);
	ck_assert_int_ne(session_create(ss, NULL, 1, 7, STAFF_ADMIN, "", id,
	    NULL), 0);
	ck_assert_int_ne(session_create(ss, NULL, 1, 7, STAFF_ADMIN,
	    longlogin, id, NULL), 0);
	longlogin[SESSION_LOGIN_MAX - 1] = '\0';	/* the limit */
	ck_assert_int_eq(session_create(ss, NULL, 1, 7, STAFF_ADMIN,
	    longlogin, id, NULL), 0);
	ck_assert_uint_eq(session_count(ss), 1);

	ck_assert_ptr_null(session_store_new(0, 10, 20));
	ck_assert_ptr_null(session_store_new(SESSION_MAX_LIMIT + 1, 10, 20));
	ck_assert_ptr_null(session_store_new(4, 0, 20));
	ck_assert_ptr_null(session_store_new(4, 30, 20));
	session_store_free(NULL);
}
END_TEST

START_TEST(test_idle_expiry)
{
	char id[SESSION_ID_BUF];
	struct session s;

	login(1, id, &s);
	at(SESSION_IDLE_SECS - 1);
	ck_assert_int_eq(session_lookup(ss, id, &s), 0);	/* touches */
	at(2 * SESSION_IDLE_SECS - 2);
	ck_assert_int_eq(session_lookup(ss, id, &s), 0);
	at(3 * SESSION_IDLE_SECS - 2);			/* idle exactly */
	ck_assert_int_ne(session_lookup(ss, id, &s), 0);
	ck_assert_uint_eq(session_count(ss), 0);
	/* Gone for good, even if the clock went back. */
	at(2 * SESSION_IDLE_SECS - 1);
	ck_assert_int_ne(session_lookup(ss, id, &s), 0);
}
END_TEST

START_TEST(test_absolute_expiry)
{
	char id[SESSION_ID_BUF];
	struct session s;
	long t;

	login(1, id, &s);
	for (t = SESSION_IDLE_SECS / 2; t < SESSION_ABSOLUTE_SECS;
	    t += SESSION_IDLE_SECS / 2) {
		at(t);
		ck_assert_msg(session_lookup(ss, id, &s) == 0, "at +%ld", t);
	}
	at(SESSION_ABSOLUTE_SECS - 1);
	ck_assert_int_eq(session_lookup(ss, id, &s), 0);
	at(SESSION_ABSOLUTE_SECS);
	ck_assert_int_ne(session_lookup(ss, id, &s), 0);
}
END_TEST

START_TEST(test_clock_back)
{
	char id[SESSION_ID_BUF];
	struct session s;

	at(100);
	login(1, id, &s);
	at(99);
	ck_assert_int_ne(session_lookup(ss, id, &s), 0);
}
END_TEST

START_TEST(test_logout)
{
	char a[SESSION_ID_BUF], b[SESSION_ID_BUF];
	struct session s;

	login(1, a, &s);
	login(2, b, &s);
	session_destroy(ss, a);
	ck_assert_int_ne(session_lookup(ss, a, &s), 0);
	ck_assert_int_eq(session_lookup(ss, b, &s), 0);
	ck_assert_int_eq(s.staff_id, 2);
	session_destroy(ss, a);		/* twice: harmless */
	session_destroy(ss, "nothex");
	session_destroy(ss, NULL);
	session_destroy(NULL, b);
	ck_assert_uint_eq(session_count(ss), 1);
}
END_TEST

START_TEST(test_fixation)
{
	char planted[SESSION_ID_BUF], before[SESSION_ID_BUF];
	char after[SESSION_ID_BUF];
	struct session s;

	/* An id the attacker made up is never a session... */
	memset(planted, 'a', SESSION_ID_LEN);
	planted[SESSION_ID_LEN] = '\0';
	ck_assert_int_eq(session_create(ss, planted, 3, 7, STAFF_ADMIN,
	    "victim", after, &s), 0);
	ck_assert_str_ne(after, planted);
	ck_assert_int_ne(session_lookup(ss, planted, &s), 0);
	/* ...and one that was a session (a shared machine) dies at login. */
	login(1, before, &s);
	ck_assert_int_eq(session_create(ss, before, 3, 7, STAFF_ADMIN,
	    "victim", after, &s), 0);
	ck_assert_str_ne(after, before);
	ck_assert_int_ne(session_lookup(ss, before, &s), 0);
	ck_assert_int_eq(session_lookup(ss, after, &s), 0);
	ck_assert_int_eq(s.staff_id, 3);
	/* The same buffer for both is fine. */
	ck_assert_int_eq(session_create(ss, after, 3, 7, STAFF_ADMIN,
	    "victim", after, &s), 0);
	ck_assert_int_eq(session_lookup(ss, after, &s), 0);
	ck_assert_uint_eq(session_count(ss), 2);
}
END_TEST

START_TEST(test_csrf)
{
	char a[SESSION_ID_BUF], b[SESSION_ID_BUF], tok[SESSION_CSRF_BUF + 1];
	struct session sa, sb;

	login(1, a, &sa);
	login(1, b, &sb);
	ck_assert(session_csrf_check(&sa, sa.csrf));
	ck_assert(!session_csrf_check(&sa, sb.csrf));
	ck_assert(!session_csrf_check(&sa, NULL));
	ck_assert(!session_csrf_check(&sa, ""));
	ck_assert(!session_csrf_check(NULL, sa.csrf));
	memcpy(tok, sa.csrf, SESSION_CSRF_BUF);
	tok[SESSION_CSRF_LEN - 1] = tok[SESSION_CSRF_LEN - 1] == '0' ? '1' :
	    '0';
	ck_assert(!session_csrf_check(&sa, tok));
	memcpy(tok, sa.csrf, SESSION_CSRF_BUF);
	tok[SESSION_CSRF_LEN - 1] = '\0';
	ck_assert(!session_csrf_check(&sa, tok));
	memcpy(tok, sa.csrf, SESSION_CSRF_BUF);
	tok[SESSION_CSRF_LEN] = '0';
	tok[SESSION_CSRF_LEN + 1] = '\0';
	ck_assert(!session_csrf_check(&sa, tok));
	/* The token survives lookups unchanged. */
	ck_assert_int_eq(session_lookup(ss, a, &sb), 0);
	ck_assert(session_csrf_check(&sb, sa.csrf));
}
END_TEST

START_TEST(test_table_full)
{
	char id[4][SESSION_ID_BUF];
	struct session s;

	session_store_free(ss);
	ss = session_store_new(3, SESSION_IDLE_SECS, SESSION_ABSOLUTE_SECS);
	ck_assert_ptr_nonnull(ss);
	at(0);
	login(1, id[0], &s);
	at(10);
	login(2, id[1], &s);
	at(20);
	login(3, id[2], &s);
	at(30);
	ck_assert_int_eq(session_lookup(ss, id[0], &s), 0);	/* 0 used */
	/* Full: the least recently used (id[1]) makes room. */
	login(4, id[3], &s);
	ck_assert_uint_eq(session_count(ss), 3);
	ck_assert_int_ne(session_lookup(ss, id[1], &s), 0);
	ck_assert_int_eq(session_lookup(ss, id[0], &s), 0);
	ck_assert_int_eq(session_lookup(ss, id[2], &s), 0);
	ck_assert_int_eq(session_lookup(ss, id[3], &s), 0);
}
END_TEST

START_TEST(test_full_expired_first)
{
	char a[SESSION_ID_BUF], b[SESSION_ID_BUF], c[SESSION_ID_BUF];
	struct session s;

	session_store_free(ss);
	ss = session_store_new(2, SESSION_IDLE_SECS, SESSION_ABSOLUTE_SECS);
	ck_assert_ptr_nonnull(ss);
	at(0);
	login(1, a, &s);
	at(SESSION_IDLE_SECS / 2);
	login(2, b, &s);
	at(SESSION_IDLE_SECS);		/* a expired, b alive */
	login(3, c, &s);
	ck_assert_int_ne(session_lookup(ss, a, &s), 0);
	ck_assert_int_eq(session_lookup(ss, b, &s), 0);
	ck_assert_int_eq(session_lookup(ss, c, &s), 0);
}
END_TEST

START_TEST(test_per_staff_cap)
{
	char id[SESSION_PER_STAFF_MAX + 1][SESSION_ID_BUF];
	char other[SESSION_ID_BUF];
	struct session s;
	int i;

	login(99, other, &s);
	for (i = 0; i <= SESSION_PER_STAFF_MAX; i++) {
		at(i);
		login(5, id[i], &s);
	}
	ck_assert_uint_eq(session_count(ss), SESSION_PER_STAFF_MAX + 1);
	ck_assert_int_ne(session_lookup(ss, id[0], &s), 0);
	for (i = 1; i <= SESSION_PER_STAFF_MAX; i++)
		ck_assert_int_eq(session_lookup(ss, id[i], &s), 0);
	ck_assert_int_eq(session_lookup(ss, other, &s), 0);
}
END_TEST

START_TEST(test_destroy_staff)
{
	char a[SESSION_ID_BUF], b[SESSION_ID_BUF], c[SESSION_ID_BUF];
	struct session s;

	login(1, a, &s);
	login(1, b, &s);
	login(2, c, &s);
	ck_assert_uint_eq(session_destroy_staff(ss, 1), 2);
	ck_assert_int_ne(session_lookup(ss, a, &s), 0);
	ck_assert_int_ne(session_lookup(ss, b, &s), 0);
	ck_assert_int_eq(session_lookup(ss, c, &s), 0);
	ck_assert_uint_eq(session_destroy_staff(ss, 1), 0);
}
END_TEST

START_TEST(test_cookie)
{
	char id[SESSION_ID_BUF], out[SESSION_COOKIE_MAX], want[256];
	struct session s;

	login(1, id, &s);
	ck_assert_int_eq(session_cookie(out, sizeof(out), id, false), 0);
	ck_assert_int_ge(str_printf(want, sizeof(want), "hrpost_session=%s; "
	    "Path=/; HttpOnly; SameSite=Strict", id), 0);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(session_cookie(out, sizeof(out), id, true), 0);
	ck_assert_int_ge(str_printf(want, sizeof(want), "hrpost_session=%s; "
	    "Path=/; HttpOnly; SameSite=Strict; Secure", id), 0);
	ck_assert_str_eq(out, want);
	ck_assert_ptr_null(strstr(out, "Expires"));
	ck_assert_ptr_null(strstr(out, "Max-Age"));
	/* Too small by one, malformed id. */
	ck_assert_int_ne(session_cookie(out, strlen(want), id, true), 0);
	ck_assert_int_eq(session_cookie(out, strlen(want) + 1, id, true), 0);
	ck_assert_int_ne(session_cookie(out, sizeof(out), "abc", false), 0);
	ck_assert_int_ne(session_cookie(out, sizeof(out), "x; Domain=evil",
	    false), 0);

	ck_assert_int_eq(session_cookie_clear(out, sizeof(out), false), 0);
	ck_assert_str_eq(out, "hrpost_session=; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=0");
	ck_assert_int_eq(session_cookie_clear(out, sizeof(out), true), 0);
	ck_assert_str_eq(out, "hrpost_session=; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=0; Secure");
	ck_assert_int_ne(session_cookie_clear(out, 8, true), 0);
}
END_TEST

START_TEST(test_cookie_parse)
{
	char id[SESSION_ID_BUF], got[SESSION_ID_BUF], hdr[512];
	char *big;
	struct session s;

	login(1, id, &s);
	ck_assert_int_ge(str_printf(hdr, sizeof(hdr), "hrpost_session=%s",
	    id), 0);
	ck_assert_int_eq(session_cookie_id(hdr, got), 0);
	ck_assert_str_eq(got, id);
	ck_assert_int_ge(str_printf(hdr, sizeof(hdr), "lang=fr; "
	    "hrpost_session=%s; theme=dark", id), 0);
	ck_assert_int_eq(session_cookie_id(hdr, got), 0);
	ck_assert_str_eq(got, id);
	/* A longer name that starts the same is not ours. */
	ck_assert_int_ge(str_printf(hdr, sizeof(hdr), "hrpost_sessionx=%s",
	    id), 0);
	ck_assert_int_ne(session_cookie_id(hdr, got), 0);
	ck_assert_str_eq(got, "");
	/* Twice (one planted by a sibling domain): neither is trusted. */
	ck_assert_int_ge(str_printf(hdr, sizeof(hdr), "hrpost_session=%s; "
	    "hrpost_session=%s", id, id), 0);
	ck_assert_int_ne(session_cookie_id(hdr, got), 0);
	/* Malformed values. */
	ck_assert_int_ne(session_cookie_id("hrpost_session=", got), 0);
	ck_assert_int_ne(session_cookie_id("hrpost_session=abc", got), 0);
	ck_assert_int_ne(session_cookie_id("hrpost_session", got), 0);
	ck_assert_int_ne(session_cookie_id("", got), 0);
	ck_assert_int_ne(session_cookie_id(NULL, got), 0);
	ck_assert_int_ne(session_cookie_id("a=b; c=d", got), 0);
	hdr[0] = '\0';
	ck_assert_int_ge(str_printf(hdr, sizeof(hdr), "hrpost_session=%s",
	    id), 0);
	hdr[20] = 'Z';
	ck_assert_int_ne(session_cookie_id(hdr, got), 0);
	/* The header limit and one past it. */
	big = malloc(SESSION_COOKIE_HEADER_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', SESSION_COOKIE_HEADER_MAX + 1);
	ck_assert_int_ge(str_printf(hdr, sizeof(hdr), "; hrpost_session=%s",
	    id), 0);
	memcpy(big + SESSION_COOKIE_HEADER_MAX - strlen(hdr), hdr,
	    strlen(hdr));
	big[SESSION_COOKIE_HEADER_MAX] = '\0';
	ck_assert_int_eq(session_cookie_id(big, got), 0);
	ck_assert_str_eq(got, id);
	memset(big, 'a', SESSION_COOKIE_HEADER_MAX + 1);
	memcpy(big + SESSION_COOKIE_HEADER_MAX + 1 - strlen(hdr), hdr,
	    strlen(hdr));
	big[SESSION_COOKIE_HEADER_MAX + 1] = '\0';
	ck_assert_int_ne(session_cookie_id(big, got), 0);
	free(big);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_lookup);
	tcase_add_test(tc, test_fresh_ids);
	tcase_add_test(tc, test_bad_ids);
	tcase_add_test(tc, test_bad_create);
	tcase_add_test(tc, test_idle_expiry);
	tcase_add_test(tc, test_absolute_expiry);
	tcase_add_test(tc, test_clock_back);
	tcase_add_test(tc, test_logout);
	tcase_add_test(tc, test_fixation);
	tcase_add_test(tc, test_csrf);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_full_expired_first);
	tcase_add_test(tc, test_per_staff_cap);
	tcase_add_test(tc, test_destroy_staff);
	tcase_add_test(tc, test_cookie);
	tcase_add_test(tc, test_cookie_parse);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(session_suite)
