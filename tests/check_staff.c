/*
 * Check suite for orders/staff.c: adding staff (password rules at the
 * limit and one under, bad logins, roles, duplicates, unknown centres);
 * logging in (success; a wrong password, an unknown or malformed login, a
 * disabled and a locked account all give the one same answer); failures
 * counted and reset on success; the lock-out after STAFF_LOCK_FAILURES
 * and its end STAFF_LOCK_SECS later (HRPOST_NOW); passwd and enable
 * lifting it; listing per centre; the full role matrix; and the audit
 * entries of every path, none holding a password (the database file is
 * searched byte by byte too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "base/util.h"
#include "crypto/password.h"
#include "orders/staff.h"
#include "orders/store.h"
#include "tests/testutil.h"

#define PW "Tr0mbone-sous-la-pluie"
#define PW2 "autre mot de passe 2"
#define WRONG "Tr0mbone-sous-la-neige"
#define T0 "2026-03-01T09:00:00Z"
#define ACTOR "cli:test"

static char dir[4096];
static char dbpath[4200];
static char errbuf[512];
static struct store *st;
static int64_t centre, centre2;

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
	const char *d;

	at(0);
	d = testutil_mkdtemp();
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(dbpath, sizeof(dbpath), "%s/centre.db",
	    dir), 0);
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	ck_assert_int_eq(store_centre_add(st, "millau", "Centre Millau",
	    ACTOR, &centre), STORE_OK);
	ck_assert_int_eq(store_centre_add(st, "rodez", "Centre Rodez", ACTOR,
	    &centre2), STORE_OK);
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
	testutil_rmtree(dir);
	unsetenv("HRPOST_NOW");
}

static void
add(const char *login, enum staff_role role, const char *pw)
{
	ck_assert_msg(staff_add(st, centre, login, role, pw, ACTOR, errbuf,
	    sizeof(errbuf)) == STAFF_OK, "%s", errbuf);
}

/* Number of audit entries matching action, actor, object and detail. */
static int
audit_count(const char *action, const char *actor, const char *object,
    const char *detail_like)
{
	sqlite3_stmt *s = NULL;
	int n;

	ck_assert_int_eq(sqlite3_prepare_v2((sqlite3 *)store_db(st),
	    "SELECT count(*) FROM audit WHERE action = ?1 AND "
	    "(?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR object = ?3) AND "
	    "(?4 IS NULL OR detail LIKE ?4)", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, detail_like, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

/* true when @needle occurs in any text column of the audit table. */
static bool
audit_mentions(const char *needle)
{
	sqlite3_stmt *s = NULL;
	int n;

	ck_assert_int_eq(sqlite3_prepare_v2((sqlite3 *)store_db(st),
	    "SELECT count(*) FROM audit WHERE instr(actor, ?1) OR "
	    "instr(action, ?1) OR instr(object, ?1) OR instr(detail, ?1)",
	    -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, needle, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n > 0;
}

static enum staff_status
try_login(const char *login, const char *pw, struct staff_account *a)
{
	errbuf[0] = '\0';
	return staff_login(st, login, pw, a, errbuf, sizeof(errbuf));
}

static void
assert_denied(const char *login, const char *pw)
{
	struct staff_account a;

	ck_assert_int_eq(try_login(login, pw, &a), STAFF_ERR_DENIED);
	ck_assert_str_eq(errbuf, STAFF_DENIED_MSG);
	ck_assert_int_eq(a.id, 0);
}

static int
failures_of(const char *login)
{
	struct staff_account a;

	ck_assert_int_eq(staff_find(st, login, &a, errbuf, sizeof(errbuf)),
	    STAFF_OK);
	return a.failed_logins;
}

START_TEST(test_login_ok)
{
	struct staff_account a;

	add("alice", STAFF_COORDINATOR, PW);
	ck_assert_int_eq(audit_count("staff.add", ACTOR, "alice",
	    "role coordinator, centre millau"), 1);
	ck_assert_int_eq(try_login("alice", PW, &a), STAFF_OK);
	ck_assert_int_gt(a.id, 0);
	ck_assert_int_eq(a.centre_id, centre);
	ck_assert_str_eq(a.centre, "millau");
	ck_assert_str_eq(a.login, "alice");
	ck_assert_int_eq(a.role, STAFF_COORDINATOR);
	ck_assert(!a.disabled);
	ck_assert_int_eq(audit_count("staff.login", "alice", "alice", NULL),
	    1);
	/* Logins are exact: another case is another (unknown) login. */
	assert_denied("Alice", PW);
}
END_TEST

START_TEST(test_same_answer)
{
	struct staff_account a;

	add("alice", STAFF_PACKER, PW);
	add("bob", STAFF_PACKER, PW);
	ck_assert_int_eq(staff_set_disabled(st, "bob", true, ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_OK);
	assert_denied("alice", WRONG);		/* wrong password */
	assert_denied("nobody", PW);		/* unknown login */
	assert_denied("my secret pw!", PW);	/* malformed login */
	assert_denied("", PW);
	assert_denied(NULL, PW);
	assert_denied("alice", "");
	assert_denied("alice", NULL);
	assert_denied("bob", PW);		/* disabled, right password */
	ck_assert_int_eq(try_login("alice", PW, &a), STAFF_OK);
	/* The reasons are in the audit chain, the attempts typed not. */
	ck_assert_int_eq(audit_count("staff.login.fail", "unknown", "",
	    "unknown login"), 4);
	ck_assert(!audit_mentions("nobody"));
	ck_assert(!audit_mentions("my secret pw!"));
	ck_assert_int_eq(audit_count("staff.login.fail", "bob", "bob",
	    "disabled"), 1);
	ck_assert_int_eq(audit_count("staff.login.fail", "alice", "alice",
	    "wrong password, failure 1 of 5"), 1);
	/* A disabled account's attempts are not counted. */
	ck_assert_int_eq(failures_of("bob"), 0);
}
END_TEST

START_TEST(test_count_reset)
{
	struct staff_account a;
	int i;

	add("alice", STAFF_PACKER, PW);
	for (i = 1; i < STAFF_LOCK_FAILURES; i++) {
		assert_denied("alice", WRONG);
		ck_assert_int_eq(failures_of("alice"), i);
	}
	ck_assert_int_eq(try_login("alice", PW, &a), STAFF_OK);
	ck_assert_int_eq(a.failed_logins, 0);
	ck_assert_int_eq(failures_of("alice"), 0);
	/* Counted per login: bob's failures do not lock alice. */
	add("bob", STAFF_PACKER, PW2);
	for (i = 1; i < STAFF_LOCK_FAILURES; i++)
		assert_denied("bob", WRONG);
	assert_denied("alice", WRONG);
	ck_assert_int_eq(failures_of("alice"), 1);
	ck_assert_int_eq(failures_of("bob"), STAFF_LOCK_FAILURES - 1);
	ck_assert_int_eq(audit_count("staff.lockout", NULL, NULL, NULL), 0);
}
END_TEST

START_TEST(test_lockout)
{
	struct staff_account a;
	int i;

	add("alice", STAFF_PACKER, PW);
	for (i = 0; i < STAFF_LOCK_FAILURES; i++)
		assert_denied("alice", WRONG);
	ck_assert_int_eq(audit_count("staff.lockout", "alice", "alice",
	    "locked for 15 minutes"), 1);
	ck_assert_int_eq(staff_find(st, "alice", &a, errbuf, sizeof(errbuf)),
	    STAFF_OK);
	ck_assert_int_eq(a.locked_until, clock_now() + STAFF_LOCK_SECS);
	/* Locked: the right password is refused the same way. */
	assert_denied("alice", PW);
	at(STAFF_LOCK_SECS - 1);
	assert_denied("alice", PW);
	ck_assert_int_eq(audit_count("staff.login.fail", "alice", "alice",
	    "locked"), 2);
	/* Attempts while locked neither count nor extend the lock. */
	assert_denied("alice", WRONG);
	ck_assert_int_eq(staff_find(st, "alice", &a, errbuf, sizeof(errbuf)),
	    STAFF_OK);
	ck_assert_int_eq(a.failed_logins, 0);
	ck_assert_int_eq(audit_count("staff.lockout", NULL, NULL, NULL), 1);
	/* The lock ends on the second. */
	at(STAFF_LOCK_SECS);
	ck_assert_int_eq(try_login("alice", PW, &a), STAFF_OK);
	ck_assert_int_eq(a.locked_until, 0);
	/* A fresh run of failures locks again. */
	for (i = 0; i < STAFF_LOCK_FAILURES; i++)
		assert_denied("alice", WRONG);
	ck_assert_int_eq(audit_count("staff.lockout", NULL, NULL, NULL), 2);
	assert_denied("alice", PW);
}
END_TEST

START_TEST(test_passwd)
{
	struct staff_account a;
	int i;

	add("alice", STAFF_ADMIN, PW);
	for (i = 0; i < STAFF_LOCK_FAILURES; i++)
		assert_denied("alice", WRONG);
	ck_assert_int_eq(staff_passwd(st, "alice", PW2, ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_OK);
	ck_assert_int_eq(audit_count("staff.passwd", ACTOR, "alice", NULL),
	    1);
	/* The lock is lifted; the old password is gone. */
	assert_denied("alice", PW);
	ck_assert_int_eq(try_login("alice", PW2, &a), STAFF_OK);
	/* Rules apply, unknown logins are named as such. */
	ck_assert_int_eq(staff_passwd(st, "alice", "short", ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_ERR_INVALID);
	ck_assert_int_eq(staff_passwd(st, "nobody", PW2, ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_ERR_NOT_FOUND);
	ck_assert_int_eq(staff_passwd(st, "bad login", PW2, ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_ERR_INVALID);
	ck_assert_int_eq(audit_count("staff.passwd", NULL, NULL, NULL), 1);
}
END_TEST

START_TEST(test_disable_enable)
{
	struct staff_account a;
	int i;

	add("alice", STAFF_PACKER, PW);
	ck_assert_int_eq(staff_set_disabled(st, "alice", true, ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_OK);
	ck_assert_int_eq(staff_set_disabled(st, "alice", true, ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_OK);
	ck_assert_int_eq(audit_count("staff.disable", ACTOR, "alice", NULL),
	    1);
	assert_denied("alice", PW);
	ck_assert_int_eq(staff_set_disabled(st, "alice", false, ACTOR,
	    errbuf, sizeof(errbuf)), STAFF_OK);
	ck_assert_int_eq(audit_count("staff.enable", ACTOR, "alice", NULL),
	    1);
	ck_assert_int_eq(try_login("alice", PW, &a), STAFF_OK);
	/* Enabling lifts a lock. */
	for (i = 0; i < STAFF_LOCK_FAILURES; i++)
		assert_denied("alice", WRONG);
	ck_assert_int_eq(staff_set_disabled(st, "alice", true, ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_OK);
	ck_assert_int_eq(staff_set_disabled(st, "alice", false, ACTOR,
	    errbuf, sizeof(errbuf)), STAFF_OK);
	ck_assert_int_eq(try_login("alice", PW, &a), STAFF_OK);
	ck_assert_int_eq(staff_set_disabled(st, "nobody", true, ACTOR,
	    errbuf, sizeof(errbuf)), STAFF_ERR_NOT_FOUND);
	ck_assert_int_eq(staff_set_disabled(st, "", true, ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_ERR_INVALID);
}
END_TEST

START_TEST(test_password_rules)
{
	char pw[PASSWORD_MAX_LEN + 2];

	ck_assert_int_eq(staff_password_ok("alice", "123456789", errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "password must be at least 10 characters");
	ck_assert_int_eq(staff_password_ok("alice", "1234567890", errbuf,
	    sizeof(errbuf)), 0);
	/* Characters, not bytes: nine accented letters are too short. */
	ck_assert_int_eq(staff_password_ok("alice", "éééééééée", errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(staff_password_ok("alice", "ééééééééèà", errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_int_eq(staff_password_ok("alice.martin", "ALICE.MARTIN",
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, "password must not be the login");
	ck_assert_int_eq(staff_password_ok("alice", "aaaaaaaaaaaa", errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(staff_password_ok("alice", "tab\there-long", errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(staff_password_ok("alice", "bad \xff utf8 text",
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(staff_password_ok("alice", NULL, errbuf,
	    sizeof(errbuf)), -1);
	memset(pw, 'x', sizeof(pw));
	pw[0] = 'y';
	pw[PASSWORD_MAX_LEN] = '\0';
	ck_assert_int_eq(staff_password_ok("alice", pw, errbuf,
	    sizeof(errbuf)), 0);
	pw[PASSWORD_MAX_LEN] = 'x';
	pw[PASSWORD_MAX_LEN + 1] = '\0';
	ck_assert_int_eq(staff_password_ok("alice", pw, errbuf,
	    sizeof(errbuf)), -1);
	/* The message never repeats the password. */
	ck_assert_ptr_null(strstr(errbuf, "xxxx"));
}
END_TEST

START_TEST(test_add_errors)
{
	char login[STAFF_LOGIN_MAX + 2];

	ck_assert_int_eq(staff_add(st, centre, "alice", STAFF_ADMIN, "short",
	    ACTOR, errbuf, sizeof(errbuf)), STAFF_ERR_INVALID);
	ck_assert_ptr_null(strstr(errbuf, "short"));
	ck_assert_int_eq(staff_add(st, centre, "alice", (enum staff_role)7,
	    PW, ACTOR, errbuf, sizeof(errbuf)), STAFF_ERR_INVALID);
	ck_assert_int_eq(staff_add(st, centre, "al ice", STAFF_ADMIN, PW,
	    ACTOR, errbuf, sizeof(errbuf)), STAFF_ERR_INVALID);
	ck_assert_int_eq(staff_add(st, centre, "", STAFF_ADMIN, PW, ACTOR,
	    errbuf, sizeof(errbuf)), STAFF_ERR_INVALID);
	ck_assert_int_eq(staff_add(st, 999, "alice", STAFF_ADMIN, PW, ACTOR,
	    errbuf, sizeof(errbuf)), STAFF_ERR_NOT_FOUND);
	memset(login, 'l', sizeof(login));
	login[STAFF_LOGIN_MAX + 1] = '\0';
	ck_assert_int_eq(staff_add(st, centre, login, STAFF_ADMIN, PW, ACTOR,
	    errbuf, sizeof(errbuf)), STAFF_ERR_INVALID);
	login[STAFF_LOGIN_MAX] = '\0';
	add(login, STAFF_ADMIN, PW);
	add("a.b@c-d_e", STAFF_REVIEWER, PW);
	ck_assert_int_eq(staff_add(st, centre2, "a.b@c-d_e", STAFF_ADMIN, PW,
	    ACTOR, errbuf, sizeof(errbuf)), STAFF_ERR_EXISTS);
	ck_assert_int_eq(audit_count("staff.add", NULL, NULL, NULL), 2);
}
END_TEST

START_TEST(test_list_get)
{
	struct staff_account *v = NULL, a;
	size_t n = 99;

	add("zoe", STAFF_REVIEWER, PW);
	add("alice", STAFF_ADMIN, PW);
	ck_assert_int_eq(staff_add(st, centre2, "remi", STAFF_PACKER, PW,
	    ACTOR, errbuf, sizeof(errbuf)), STAFF_OK);
	ck_assert_int_eq(staff_list(st, centre, &v, &n, errbuf,
	    sizeof(errbuf)), STAFF_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].login, "alice");
	ck_assert_str_eq(v[1].login, "zoe");
	ck_assert_int_eq(v[1].role, STAFF_REVIEWER);
	ck_assert_int_eq(v[1].created_at, clock_now());
	free(v);
	ck_assert_int_eq(staff_list(st, centre2, &v, &n, errbuf,
	    sizeof(errbuf)), STAFF_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].centre, "rodez");
	ck_assert_int_eq(staff_get(st, v[0].id, &a, errbuf, sizeof(errbuf)),
	    STAFF_OK);
	ck_assert_str_eq(a.login, "remi");
	ck_assert_int_eq(a.centre_id, centre2);
	free(v);
	ck_assert_int_eq(staff_list(st, 0, &v, &n, errbuf, sizeof(errbuf)),
	    STAFF_OK);
	ck_assert_uint_eq(n, 3);
	free(v);
	ck_assert_int_eq(staff_list(st, 12345, &v, &n, errbuf,
	    sizeof(errbuf)), STAFF_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(staff_get(st, 12345, &a, errbuf, sizeof(errbuf)),
	    STAFF_ERR_NOT_FOUND);
	ck_assert_int_eq(staff_find(st, "nobody", &a, errbuf,
	    sizeof(errbuf)), STAFF_ERR_NOT_FOUND);
}
END_TEST

START_TEST(test_no_password_anywhere)
{
	struct staff_account a;
	int i;

	add("alice", STAFF_ADMIN, PW);
	ck_assert_int_eq(try_login("alice", PW, &a), STAFF_OK);
	for (i = 0; i < STAFF_LOCK_FAILURES; i++)
		assert_denied("alice", WRONG);
	assert_denied(PW, PW);		/* password typed as the login */
	ck_assert_int_eq(staff_passwd(st, "alice", PW2, ACTOR, errbuf,
	    sizeof(errbuf)), STAFF_OK);
	ck_assert(!audit_mentions(PW));
	ck_assert(!audit_mentions(WRONG));
	ck_assert(!audit_mentions(PW2));
	ck_assert(!audit_mentions("scrypt"));
	store_close(st);
	st = NULL;
	ck_assert(!testutil_file_contains(dbpath, PW, strlen(PW)));
	ck_assert(!testutil_file_contains(dbpath, WRONG, strlen(WRONG)));
	ck_assert(!testutil_file_contains(dbpath, PW2, strlen(PW2)));
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_ptr_nonnull(st);
}
END_TEST

START_TEST(test_role_matrix)
{
	/* Columns: admin, coordinator, packer, reviewer. */
	static const struct {
		enum staff_action action;
		const char *name;
		bool may[4];
	} m[] = {
		{ STAFF_VIEW_QUEUE, "view_queue", { 1, 1, 1, 0 } },
		{ STAFF_VIEW_PERSONAL, "view_personal_data", { 1, 1, 1, 0 } },
		{ STAFF_TAKE_ORDER, "take_order", { 1, 1, 0, 0 } },
		{ STAFF_PACK, "pack", { 1, 1, 1, 0 } },
		{ STAFF_PRINT_LABEL, "print_label", { 1, 1, 1, 0 } },
		{ STAFF_RECORD_CALLBACK, "record_callback", { 1, 1, 0, 0 } },
		{ STAFF_VIEW_REPORTS, "view_reports", { 1, 1, 0, 1 } },
		{ STAFF_MANAGE_STOCK, "manage_stock", { 1, 1, 1, 0 } },
		{ STAFF_VIEW_AUDIT, "view_audit", { 1, 1, 0, 1 } },
		{ STAFF_MANAGE_STAFF, "manage_staff", { 1, 0, 0, 0 } },
	};
	size_t i;
	int r;

	ck_assert_uint_eq(ARRAY_LEN(m), STAFF_ACTION_COUNT);
	for (i = 0; i < ARRAY_LEN(m); i++) {
		ck_assert_str_eq(staff_action_name(m[i].action), m[i].name);
		for (r = 0; r < 4; r++)
			ck_assert_msg(staff_can((enum staff_role)r,
			    m[i].action) == m[i].may[r], "%s for %s",
			    m[i].name, store_role_name((enum staff_role)r));
	}
	/* A reviewer never sees personal data, whatever else changes. */
	ck_assert(!staff_can(STAFF_REVIEWER, STAFF_VIEW_PERSONAL));
	ck_assert(!staff_can((enum staff_role)4, STAFF_VIEW_REPORTS));
	ck_assert(!staff_can((enum staff_role)-1, STAFF_VIEW_REPORTS));
	ck_assert(!staff_can(STAFF_ADMIN, STAFF_ACTION_COUNT));
	ck_assert_ptr_null(staff_action_name(STAFF_ACTION_COUNT));
}
END_TEST

static Suite *
staff_suite(void)
{
	Suite *s = suite_create("staff");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_login_ok);
	tcase_add_test(tc, test_same_answer);
	tcase_add_test(tc, test_count_reset);
	tcase_add_test(tc, test_lockout);
	tcase_add_test(tc, test_passwd);
	tcase_add_test(tc, test_disable_enable);
	tcase_add_test(tc, test_password_rules);
	tcase_add_test(tc, test_add_errors);
	tcase_add_test(tc, test_list_get);
	tcase_add_test(tc, test_no_password_anywhere);
	tcase_add_test(tc, test_role_matrix);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(staff_suite)
