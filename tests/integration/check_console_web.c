/*
 * The console's staff pages, end to end: the real `hrpost console`
 * daemon on a scratch state made by `hrpost init --demo`, staff added
 * with `hrpost staff add --password-file`, orders taken with `hrpost
 * order add`, and libcurl for the browser, its cookie handled by hand
 * (Set-Cookie read, Cookie sent).  Covers: login with the demo admin, a
 * coordinator and a reviewer; a refused login (one message, no cookie);
 * session fixation; pages without a session; POST without or with a
 * wrong CSRF token; logout; the queue and its search; the order page
 * (personal data and its audit entry naming staff:LOGIN); what a
 * reviewer may not see; another centre's order; a disabled account; the
 * login rate limit; the security headers and a size bound on every page.
 *
 * A second centre lives in the same centre.db: added through the store
 * API, its order taken by `hrpost order add` with [hrpost] centre
 * pointed at it for that one command.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "base/util.h"
#include "orders/store.h"
#include "orders/staff.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define OUT_MAX (1 << 16)
#define PW_TEXT "Violoncelle-du-mardi-17"
#define PSEUDONYM "Zorglub Quenouille"
#define LINE2 "12 rue des Lilas"
#define PHONE_NAT "06 12 34 56 78"
#define PHONE_E164 "+33612345678"
#define OTHER_PSEUDONYM "Barnabe Autrecentre"
#define COOKIE_MAX 160
#define PAGE_MAX (64 * 1024)	/* no console page is larger */
#define LOGIN_LIMIT 20		/* CONSOLE_LOGIN_PER_MINUTE */
#define OWN_SOURCE "127.0.0.9"	/* test_stock, test_audit log in from here */

static char dir[4096];
static char pwfile[4200];
static char ref[64];		/* an order of the demo centre */
static char ref2[64];		/* an order of the other centre */
static struct daemon_proc con;
static char out[OUT_MAX], err[OUT_MAX];

static int
run_argv(const char *const *args)
{
	int st = daemon_cli(dir, args, NULL, out, sizeof(out), err,
	    sizeof(err));

	ck_assert_msg(st != -1, "could not run %s", daemon_bin());
	return st;
}

#define run(...) run_argv((const char *const[]){ __VA_ARGS__, NULL })

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void
trim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* An order with the test's personal data; its reference into @out. */
static void
order_add(char *refout, size_t refsz, const char *pseudonym)
{
	int st = run("order", "add", "--pseudonym", pseudonym, "--line",
	    LINE2, "--postcode", "75011", "--commune", "Paris", "--phone",
	    PHONE_NAT, "--call", "--lang", "fr", "--pack", "INJ:2");

	ck_assert_msg(st == 0, "order add: %s", err);
	trim(out);
	ck_assert_int_eq(str_copy(refout, refsz, out), 0);
	ck_assert_int_ge((int)strlen(refout), 8);
}

/* One integer from centre.db (read-only). */
static int
count_rows(const char *sql, const char *arg)
{
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int n = -1;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_busy_timeout(db, 5000), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
	    SQLITE_OK);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* The first column of @sql's first row as text into @buf ("" if none). */
static void
text_of(const char *sql, char *buf, size_t bufsz)
{
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	buf[0] = '\0';
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_busy_timeout(db, 5000), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
	    SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_text(s, 0) != NULL)
		ck_assert_int_ge(str_copy(buf, bufsz,
		    (const char *)sqlite3_column_text(s, 0)), 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* Run one statement that changes centre.db behind the daemon's back. */
static void
db_write(const char *sql)
{
	char path[4200];
	sqlite3 *db = NULL;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_busy_timeout(db, 5000), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

/* Once for the suite: the state, the staff, the orders, the daemon. */
static void
suite_setup(void)
{
	char dbpath[4200];
	struct store *st;
	int64_t id = 0;

	ck_assert_int_eq(daemon_state_new(dir, sizeof(dir)), 0);
	ck_assert_int_ge(str_printf(pwfile, sizeof(pwfile), "%s/pw", dir), 0);
	write_file(pwfile, PW_TEXT "\n");
	ck_assert_msg(run("staff", "add", "coord", "--role", "coordinator",
	    "--password-file", pwfile) == 0, "%s", err);
	ck_assert_msg(run("staff", "add", "rev", "--role", "reviewer",
	    "--password-file", pwfile) == 0, "%s", err);
	ck_assert_msg(run("staff", "add", "pack1", "--role", "packer",
	    "--password-file", pwfile) == 0, "%s", err);
	order_add(ref, sizeof(ref), PSEUDONYM);

	/* A second centre in the same centre.db, with an order of its own. */
	ck_assert_int_ge(str_printf(dbpath, sizeof(dbpath), "%s/centre.db",
	    dir), 0);
	st = store_open(dbpath, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_int_eq(store_centre_add(st, "other", "Other centre", "test",
	    &id), STORE_OK);
	store_close(st);
	ck_assert_int_eq(daemon_config_set(dir, "hrpost", "centre", "other"),
	    0);
	order_add(ref2, sizeof(ref2), OTHER_PSEUDONYM);
	ck_assert_int_eq(daemon_config_set(dir, "hrpost", "centre", "demo"),
	    0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM orders o JOIN "
	    "centres c ON c.id = o.centre_id WHERE c.code = ?", "other"), 1);

	/* Nothing to pull from: the pull thread fails quietly. */
	ck_assert_int_eq(daemon_config_set(dir, "console", "intake_url",
	    "http://127.0.0.1:1"), 0);
	ck_assert_int_eq(daemon_start(&con, dir, "console", NULL, NULL), 0);
}

static void
suite_teardown(void)
{
	int st = -1;

	ck_assert_int_eq(daemon_stop(&con, &st), 0);
	ck_assert_int_eq(st, 0);
	daemon_state_free(dir);
}

/* The headers every console answer must carry, and a size bound. */
static void
check_headers(const struct daemon_reply *rp)
{
	char v[512];

	ck_assert_int_eq(daemon_reply_header(rp, "Content-Security-Policy", v,
	    sizeof(v)), 0);
	ck_assert_ptr_nonnull(strstr(v, "default-src 'none'"));
	ck_assert_ptr_nonnull(strstr(v, "style-src 'self'"));
	ck_assert_ptr_nonnull(strstr(v, "form-action 'self'"));
	ck_assert_ptr_nonnull(strstr(v, "frame-ancestors 'none'"));
	ck_assert_ptr_null(strstr(v, "script"));
	ck_assert_ptr_null(strstr(v, "unsafe"));
	ck_assert_int_eq(daemon_reply_header(rp, "X-Frame-Options", v,
	    sizeof(v)), 0);
	ck_assert_str_eq(v, "DENY");
	ck_assert_int_eq(daemon_reply_header(rp, "Referrer-Policy", v,
	    sizeof(v)), 0);
	ck_assert_str_eq(v, "no-referrer");
	ck_assert_int_eq(daemon_reply_header(rp, "Cache-Control", v,
	    sizeof(v)), 0);
	ck_assert_str_eq(v, "no-store");
	ck_assert_uint_lt(rp->body_len, PAGE_MAX);
	if (rp->body != NULL)
		ck_assert_ptr_null(strstr(rp->body, "<script"));
}

/* One request with our cookie (may be NULL) from @source (may be NULL). */
static void
req(const char *method, const char *path, const char *cookie,
    const char *body, const char *source, struct daemon_reply *rp)
{
	struct daemon_req rq;
	char url[512], ch[COOKIE_MAX + 32];
	const char *hdrs[] = { ch, NULL };

	memset(&rq, 0, sizeof(rq));
	ck_assert_int_ge(str_printf(url, sizeof(url), "%s%s", con.url, path),
	    0);
	rq.method = method;
	rq.url = url;
	rq.source = source;
	if (cookie != NULL) {
		ck_assert_int_ge(str_printf(ch, sizeof(ch), "Cookie: %s",
		    cookie), 0);
		rq.headers = hdrs;
	}
	if (body != NULL) {
		rq.content_type = "application/x-www-form-urlencoded";
		rq.body = body;
		rq.body_len = strlen(body);
	}
	ck_assert_int_eq(daemon_request(&rq, rp), 0);
	check_headers(rp);
}

static void
get(const char *path, const char *cookie, struct daemon_reply *rp)
{
	req("GET", path, cookie, NULL, NULL, rp);
}

/* "hrpost_session=VALUE" of the reply's Set-Cookie into @c; -1 if none. */
static int
cookie_of(const struct daemon_reply *rp, char c[COOKIE_MAX])
{
	char v[512];
	char *semi;

	if (daemon_reply_header(rp, "Set-Cookie", v, sizeof(v)) != 0)
		return -1;
	ck_assert_int_eq(strncmp(v, "hrpost_session=", 15), 0);
	ck_assert_ptr_nonnull(strstr(v, "HttpOnly"));
	ck_assert_ptr_nonnull(strstr(v, "SameSite=Strict"));
	semi = strchr(v, ';');
	ck_assert_ptr_nonnull(semi);
	*semi = '\0';
	return str_copy(c, COOKIE_MAX, v);
}

/*
 * Log in from @source (NULL: the default address); the new cookie into
 * @c.  @prev: a cookie to bring, or NULL.  The stock and audit tests log
 * in from an address of their own, so the suite stays under the login
 * limit of one address.
 */
static void
login_from(const char *user, const char *pw, const char *prev,
    const char *source, char c[COOKIE_MAX])
{
	struct daemon_reply rp;
	char body[256], loc[128];

	ck_assert_int_ge(str_printf(body, sizeof(body),
	    "login=%s&password=%s&lang=en", user, pw), 0);
	req("POST", "/login", prev, body, source, &rp);
	ck_assert_msg(rp.status == 303, "login %s: %ld", user, rp.status);
	ck_assert_int_eq(daemon_reply_header(&rp, "Location", loc,
	    sizeof(loc)), 0);
	ck_assert_str_eq(loc, "/?lang=en");
	ck_assert_int_eq(cookie_of(&rp, c), 0);
	daemon_reply_free(&rp);
}

static void
login(const char *user, const char *pw, const char *prev, char c[COOKIE_MAX])
{
	login_from(user, pw, prev, NULL, c);
}

static void
assert_to_login(const struct daemon_reply *rp)
{
	char loc[128];

	ck_assert_int_eq(rp->status, 303);
	ck_assert_int_eq(daemon_reply_header(rp, "Location", loc,
	    sizeof(loc)), 0);
	ck_assert_int_eq(strncmp(loc, "/login", 6), 0);
}

/* The CSRF token of a page's logout form into @tok. */
static void
csrf_of(const char *html, char tok[80])
{
	const char *p = strstr(html, "name=\"csrf\" value=\"");
	size_t n;

	ck_assert_ptr_nonnull(p);
	p += strlen("name=\"csrf\" value=\"");
	n = strcspn(p, "\"");
	ck_assert_uint_eq(n, 64);
	memcpy(tok, p, n);
	tok[n] = '\0';
}

/* No personal data of either order in @body. */
static void
assert_no_personal(const char *body)
{
	ck_assert_ptr_null(strstr(body, PSEUDONYM));
	ck_assert_ptr_null(strstr(body, "Quenouille"));
	ck_assert_ptr_null(strstr(body, LINE2));
	ck_assert_ptr_null(strstr(body, "Lilas"));
	ck_assert_ptr_null(strstr(body, PHONE_E164));
	ck_assert_ptr_null(strstr(body, "612345678"));
	ck_assert_ptr_null(strstr(body, "12 34 56 78"));
	ck_assert_ptr_null(strstr(body, OTHER_PSEUDONYM));
}

START_TEST(test_public_routes)
{
	struct daemon_reply rp;
	struct daemon_req rq;
	const char *al[] = { "Accept-Language: en-GB,en;q=0.9", NULL };
	char path[128], v[128], url[256];

	get("/login", NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, "<html lang=\"fr\">"));
	ck_assert_ptr_nonnull(strstr(rp.body, "<label for=\"login\">"));
	ck_assert_ptr_nonnull(strstr(rp.body, "<label for=\"password\">"));
	ck_assert_ptr_nonnull(strstr(rp.body, "type=\"password\""));
	ck_assert_int_ne(daemon_reply_header(&rp, "Set-Cookie", v, sizeof(v)),
	    0);
	daemon_reply_free(&rp);
	get("/login?lang=en", NULL, &rp);
	ck_assert_ptr_nonnull(strstr(rp.body, "<html lang=\"en\">"));
	ck_assert_ptr_nonnull(strstr(rp.body, "Console sign-in"));
	daemon_reply_free(&rp);

	memset(&rq, 0, sizeof(rq));
	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/login", con.url),
	    0);
	rq.url = url;
	rq.headers = al;
	ck_assert_int_eq(daemon_request(&rq, &rp), 0);
	ck_assert_ptr_nonnull(strstr(rp.body, "<html lang=\"en\">"));
	daemon_reply_free(&rp);

	get("/console.css", NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_int_eq(daemon_reply_header(&rp, "Content-Type", v,
	    sizeof(v)), 0);
	ck_assert_int_eq(strncmp(v, "text/css", 8), 0);
	ck_assert_ptr_nonnull(strstr(rp.body, ":focus-visible"));
	daemon_reply_free(&rp);
	get("/healthz", NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);

	/* Every other page wants a session. */
	get("/", NULL, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
	get("/queue", NULL, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
	ck_assert_int_ge(str_printf(path, sizeof(path), "/order/%s", ref), 0);
	get(path, NULL, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
	/* A made-up cookie is no session either, and is cleared. */
	get("/", "hrpost_session=0123456789abcdef0123456789abcdef0123456789"
	    "abcdef0123456789abcdef", &rp);
	assert_to_login(&rp);
	ck_assert_int_eq(daemon_reply_header(&rp, "Set-Cookie", v, sizeof(v)),
	    0);
	ck_assert_ptr_nonnull(strstr(v, "Max-Age=0"));
	daemon_reply_free(&rp);
	req("POST", "/logout", NULL, "csrf=x", NULL, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_login_refused)
{
	struct daemon_reply rp;
	struct daemon_req rq;
	char v[256], url[256];
	const char *bodies[] = {
		"login=demo&password=wrong-password&lang=en",
		"login=nobody-here&password=demo-hrpost&lang=en",
		"login=demo&lang=en",
		"login=rev&password=demo-hrpost&lang=en",
	};

	for (size_t i = 0; i < ARRAY_LEN(bodies); i++) {
		req("POST", "/login", NULL, bodies[i], NULL, &rp);
		ck_assert_int_eq(rp.status, 401);
		ck_assert_ptr_nonnull(strstr(rp.body, STAFF_DENIED_MSG));
		ck_assert_ptr_nonnull(strstr(rp.body, "role=\"alert\""));
		ck_assert_int_ne(daemon_reply_header(&rp, "Set-Cookie", v,
		    sizeof(v)), 0);
		/* Nothing typed comes back. */
		ck_assert_ptr_null(strstr(rp.body, "wrong-password"));
		ck_assert_ptr_null(strstr(rp.body, "nobody-here"));
		daemon_reply_free(&rp);
	}
	/* Not a form: 415, no cookie. */
	memset(&rq, 0, sizeof(rq));
	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/login", con.url),
	    0);
	rq.url = url;
	rq.content_type = "application/json";
	rq.body = "{}";
	rq.body_len = 2;
	ck_assert_int_eq(daemon_request(&rq, &rp), 0);
	ck_assert_int_eq(rp.status, 415);
	ck_assert_int_ne(daemon_reply_header(&rp, "Set-Cookie", v, sizeof(v)),
	    0);
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_session_fixation)
{
	struct daemon_reply rp;
	char a[COOKIE_MAX], b[COOKIE_MAX];
	const char *planted = "hrpost_session=aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

	/* A cookie brought to the login is never the one after it. */
	login("demo", "demo-hrpost", planted, a);
	ck_assert_str_ne(a, planted);
	get("/", planted, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
	get("/", a, &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
	/* Logging in again with a live session: a new id, the old one ends. */
	login("demo", "demo-hrpost", a, b);
	ck_assert_str_ne(a, b);
	get("/", a, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
	get("/", b, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, "<strong>demo</strong>"));
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_csrf_and_logout)
{
	struct daemon_reply rp;
	char c[COOKIE_MAX], tok[80], body[128], v[256];

	login("demo", "demo-hrpost", NULL, c);
	get("/?lang=en", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	csrf_of(rp.body, tok);
	daemon_reply_free(&rp);

	/* Without the token, or with a wrong one: 403, nothing changes. */
	req("POST", "/logout", c, "", NULL, &rp);
	ck_assert_int_eq(rp.status, 403);
	daemon_reply_free(&rp);
	req("POST", "/logout", c, "csrf=0000000000000000000000000000000000"
	    "000000000000000000000000000000", NULL, &rp);
	ck_assert_int_eq(rp.status, 403);
	daemon_reply_free(&rp);
	get("/", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);

	/* With it: logged out, the cookie cleared, the session gone. */
	ck_assert_int_ge(str_printf(body, sizeof(body), "csrf=%s", tok), 0);
	req("POST", "/logout", c, body, NULL, &rp);
	assert_to_login(&rp);
	ck_assert_int_eq(daemon_reply_header(&rp, "Set-Cookie", v, sizeof(v)),
	    0);
	ck_assert_ptr_nonnull(strstr(v, "Max-Age=0"));
	daemon_reply_free(&rp);
	get("/", c, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
	/* A second post of the same logout finds no session. */
	req("POST", "/logout", c, body, NULL, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_today)
{
	struct daemon_reply rp;
	char c[COOKIE_MAX];

	login("coord", PW_TEXT, NULL, c);
	get("/?lang=en", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, "<html lang=\"en\">"));
	ck_assert_ptr_nonnull(strstr(rp.body, "Orders by status"));
	/* One accepted order in this centre: the other centre's not counted. */
	ck_assert_ptr_nonnull(strstr(rp.body, "accepted</a></th><td "
	    "class=\"num\">1</td>"));
	ck_assert_ptr_nonnull(strstr(rp.body, "Call-backs due"));
	ck_assert_ptr_nonnull(strstr(rp.body, "Low stock"));
	ck_assert_ptr_nonnull(strstr(rp.body, "href=\"/queue?lang=en\""));
	assert_no_personal(rp.body);
	daemon_reply_free(&rp);
	get("/?lang=fr", c, &rp);
	ck_assert_ptr_nonnull(strstr(rp.body, "<html lang=\"fr\">"));
	ck_assert_ptr_nonnull(strstr(rp.body, "Commandes par statut"));
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_queue)
{
	struct daemon_reply rp;
	char c[COOKIE_MAX], path[256], dashed[64];
	size_t n = strlen(ref);

	login("coord", PW_TEXT, NULL, c);
	get("/queue?lang=en", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, ref));
	ck_assert_ptr_null(strstr(rp.body, ref2));
	ck_assert_ptr_nonnull(strstr(rp.body, "INJ x2"));
	assert_no_personal(rp.body);
	daemon_reply_free(&rp);

	/* Search: lower case with a dash, as people type it. */
	ck_assert_uint_gt(n, 4);
	for (size_t i = 0; i < n; i++)
		dashed[i + (i >= 4)] = (char)(ref[i] >= 'A' && ref[i] <= 'Z' ?
		    ref[i] - 'A' + 'a' : ref[i]);
	dashed[4] = '-';
	dashed[n + 1] = '\0';
	ck_assert_int_ge(str_printf(path, sizeof(path), "/queue?q=%s", dashed),
	    0);
	get(path, c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, ref));
	daemon_reply_free(&rp);
	/* The other centre's reference finds nothing here. */
	ck_assert_int_ge(str_printf(path, sizeof(path), "/queue?q=%s", ref2),
	    0);
	get(path, c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_int_ge(str_printf(path, sizeof(path), "/order/%s", ref2),
	    0);
	ck_assert_ptr_null(strstr(rp.body, path));
	ck_assert_ptr_null(strstr(rp.body, ref));
	ck_assert_ptr_nonnull(strstr(rp.body, "<p>Aucune commande.</p>"));
	daemon_reply_free(&rp);
	/* A mistyped reference: 422 with the message next to the box. */
	get("/queue?q=ZZZZ-ZZZZZ&lang=en", c, &rp);
	ck_assert_int_eq(rp.status, 422);
	ck_assert_ptr_nonnull(strstr(rp.body, "not a valid reference"));
	daemon_reply_free(&rp);
	/* By status. */
	get("/queue?status=shipped", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_null(strstr(rp.body, ref));
	daemon_reply_free(&rp);
	get("/queue?status=accepted", c, &rp);
	ck_assert_ptr_nonnull(strstr(rp.body, ref));
	daemon_reply_free(&rp);
	get("/queue?status=all", c, &rp);
	ck_assert_ptr_nonnull(strstr(rp.body, ref));
	ck_assert_ptr_null(strstr(rp.body, ref2));
	daemon_reply_free(&rp);
	get("/queue?status=nonsense", c, &rp);
	ck_assert_int_eq(rp.status, 400);
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_order_page)
{
	struct daemon_reply rp;
	char c[COOKIE_MAX], path[256];
	int before;

	login("coord", PW_TEXT, NULL, c);
	before = count_rows("SELECT count(*) FROM audit WHERE action = "
	    "'order.show' AND actor = ?", "staff:coord");
	ck_assert_int_ge(str_printf(path, sizeof(path), "/order/%s?lang=en",
	    ref), 0);
	get(path, c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, PSEUDONYM));
	ck_assert_ptr_nonnull(strstr(rp.body, LINE2));
	ck_assert_ptr_nonnull(strstr(rp.body, "75011 Paris"));
	ck_assert_ptr_nonnull(strstr(rp.body, PHONE_E164));
	ck_assert_ptr_nonnull(strstr(rp.body, "audit log"));
	daemon_reply_free(&rp);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE action "
	    "= 'order.show' AND actor = ?", "staff:coord"), before + 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE action "
	    "= 'order.show' AND actor = 'staff:coord' AND object = ?", ref),
	    before + 1);
	/* The packer may open it too. */
	login("pack1", PW_TEXT, NULL, c);
	get(path, c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, LINE2));
	daemon_reply_free(&rp);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE action "
	    "= 'order.show' AND actor = ?", "staff:pack1"), 1);
}
END_TEST

START_TEST(test_other_centre)
{
	struct daemon_reply rp;
	char c[COOKIE_MAX], path[256];
	const char *users[] = { "coord", "demo" };

	for (size_t i = 0; i < ARRAY_LEN(users); i++) {
		login(users[i], i == 0 ? PW_TEXT : "demo-hrpost", NULL, c);
		ck_assert_int_ge(str_printf(path, sizeof(path), "/order/%s",
		    ref2), 0);
		get(path, c, &rp);
		ck_assert_int_eq(rp.status, 404);
		assert_no_personal(rp.body);
		daemon_reply_free(&rp);
		/* The same answer as an order that does not exist. */
		get("/order/AAAAAAAAA", c, &rp);
		ck_assert_int_eq(rp.status, 404);
		daemon_reply_free(&rp);
		get("/order/%00%01", c, &rp);
		ck_assert_int_eq(rp.status, 404);
		daemon_reply_free(&rp);
	}
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE action "
	    "= 'order.show' AND object = ?", ref2), 0);
}
END_TEST

START_TEST(test_reviewer)
{
	struct daemon_reply rp;
	char c[COOKIE_MAX], path[256];
	int before;

	before = count_rows("SELECT count(*) FROM audit WHERE action = "
	    "'order.show'", NULL);
	login("rev", PW_TEXT, NULL, c);
	get("/?lang=en", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, "Orders by status"));
	ck_assert_ptr_nonnull(strstr(rp.body, "class=\"num\">1</td>"));
	/* Counts only: no lists, no references, no link to the queue. */
	ck_assert_ptr_null(strstr(rp.body, "Flagged orders"));
	ck_assert_ptr_null(strstr(rp.body, "/queue"));
	ck_assert_ptr_null(strstr(rp.body, ref));
	assert_no_personal(rp.body);
	daemon_reply_free(&rp);
	get("/queue", c, &rp);
	ck_assert_int_eq(rp.status, 403);
	ck_assert_ptr_null(strstr(rp.body, ref));
	assert_no_personal(rp.body);
	daemon_reply_free(&rp);
	ck_assert_int_ge(str_printf(path, sizeof(path), "/queue?q=%s", ref),
	    0);
	get(path, c, &rp);
	ck_assert_int_eq(rp.status, 403);
	assert_no_personal(rp.body);
	daemon_reply_free(&rp);
	ck_assert_int_ge(str_printf(path, sizeof(path), "/order/%s", ref), 0);
	get(path, c, &rp);
	ck_assert_int_eq(rp.status, 403);
	assert_no_personal(rp.body);
	daemon_reply_free(&rp);
	get("/login", c, &rp);
	assert_no_personal(rp.body);
	daemon_reply_free(&rp);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE action "
	    "= 'order.show'", NULL), before);
}
END_TEST

START_TEST(test_disabled_account)
{
	struct daemon_reply rp;
	char c[COOKIE_MAX];

	login("pack1", PW_TEXT, NULL, c);
	get("/", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
	ck_assert_msg(run("staff", "disable", "pack1") == 0, "%s", err);
	get("/", c, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
	ck_assert_msg(run("staff", "enable", "pack1") == 0, "%s", err);
	/* Its sessions ended with the disable: enabling does not revive. */
	get("/", c, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
}
END_TEST

/* The lot's line of the stock page holds @mark (NULL: no mark at all). */
static void
assert_lot_marked(const char *body, const char *lot, const char *mark)
{
	char needle[96], line[512];
	const char *p, *q;

	ck_assert_int_ge(str_printf(needle, sizeof(needle),
	    "<span class=\"ref\">%s</span>", lot), 0);
	p = strstr(body, needle);
	ck_assert_msg(p != NULL, "lot %s not shown", lot);
	q = strstr(p, "</li>");
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_lt((size_t)(q - p), sizeof(line));
	memcpy(line, p, (size_t)(q - p));
	line[q - p] = '\0';
	if (mark != NULL)
		ck_assert_msg(strstr(line, mark) != NULL, "%s", line);
	else
		ck_assert_msg(strstr(line, "class=\"tag\"") == NULL, "%s",
		    line);
}

START_TEST(test_stock)
{
	struct daemon_reply rp;
	char c[COOKIE_MAX], xlot[64], alot[64];
	const char *users[] = { "pack1", "rev" };

	text_of("SELECT lot FROM stock_lots WHERE item = 'NALOX' AND lot "
	    "LIKE 'NALOX-X%'", xlot, sizeof(xlot));
	text_of("SELECT lot FROM stock_lots WHERE item = 'NALOX' AND lot "
	    "LIKE 'NALOX-A%'", alot, sizeof(alot));
	ck_assert_str_ne(xlot, "");
	ck_assert_str_ne(alot, "");
	login_from("coord", PW_TEXT, NULL, OWN_SOURCE, c);
	get("/stock?lang=en", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, "<h1>Stock</h1>"));
	ck_assert_ptr_nonnull(strstr(rp.body, "Naloxone nasal spray"));
	ck_assert_ptr_nonnull(strstr(rp.body, "href=\"/stock?lang=en\" "
	    "aria-current=\"page\""));
	ck_assert_ptr_nonnull(strstr(rp.body, "1 expired lots"));
	/* The expired demo lot is marked, the fresh one is not. */
	assert_lot_marked(rp.body, xlot, "EXPIRED");
	assert_lot_marked(rp.body, alot, NULL);
	/* Packing (FEFO) order: the earliest expiry, the expired lot, first. */
	ck_assert(strstr(rp.body, xlot) < strstr(rp.body, alot));
	assert_no_personal(rp.body);
	daemon_reply_free(&rp);
	get("/stock?lang=fr", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	assert_lot_marked(rp.body, xlot, "PÉRIMÉ");
	daemon_reply_free(&rp);
	/* The menu of every page links to it. */
	get("/?lang=en", c, &rp);
	ck_assert_ptr_nonnull(strstr(rp.body, "href=\"/stock?lang=en\""));
	ck_assert_ptr_nonnull(strstr(rp.body, "href=\"/audit?lang=en\""));
	daemon_reply_free(&rp);
	/* Packers and reviewers see it too (no personal data). */
	for (size_t i = 0; i < ARRAY_LEN(users); i++) {
		login_from(users[i], PW_TEXT, NULL, OWN_SOURCE, c);
		get("/stock", c, &rp);
		ck_assert_int_eq(rp.status, 200);
		assert_lot_marked(rp.body, xlot, "PÉRIMÉ");
		assert_no_personal(rp.body);
		daemon_reply_free(&rp);
	}
	/* Not signed in: back to the login page. */
	get("/stock", NULL, &rp);
	assert_to_login(&rp);
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_audit)
{
	struct daemon_reply rp;
	char c[COOKIE_MAX], path[256], tok[80], body[128], needle[128];

	login_from("coord", PW_TEXT, NULL, OWN_SOURCE, c);
	ck_assert_int_ge(str_printf(path, sizeof(path), "/order/%s", ref), 0);
	get(path, c, &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
	get("/audit?lang=en", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, "<h1>Audit log</h1>"));
	/* Newest first: the first row is the order.show just written. */
	ck_assert_int_ge(str_printf(needle, sizeof(needle), "<td>staff:coord"
	    "</td><td>order.show</td><td>%s</td>", ref), 0);
	ck_assert_ptr_nonnull(strstr(rp.body, needle));
	ck_assert_ptr_eq(strstr(rp.body, "<td>order.show</td>"),
	    strstr(rp.body, needle) + strlen("<td>staff:coord</td>"));
	ck_assert_ptr_nonnull(strstr(rp.body, "<td>staff.login</td>"));
	ck_assert_ptr_null(strstr(rp.body, "Chain intact"));
	/* The other centre's orders stay out of this centre's audit page. */
	ck_assert_msg(strstr(rp.body, ref2) == NULL, "other centre's %s shown",
	    ref2);
	assert_no_personal(rp.body);
	csrf_of(rp.body, tok);
	daemon_reply_free(&rp);

	/* Verify: without the token or with a wrong one, 403. */
	req("POST", "/audit/verify?lang=en", c, "", NULL, &rp);
	ck_assert_int_eq(rp.status, 403);
	ck_assert_ptr_null(strstr(rp.body, "intact"));
	daemon_reply_free(&rp);
	req("POST", "/audit/verify?lang=en", c, "csrf=00000000000000000000000"
	    "00000000000000000000000000000000000000000", NULL, &rp);
	ck_assert_int_eq(rp.status, 403);
	daemon_reply_free(&rp);
	ck_assert_int_ge(str_printf(body, sizeof(body), "csrf=%s", tok), 0);
	req("POST", "/audit/verify?lang=en", c, body, NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, "Chain intact, "));
	ck_assert_int_ge(str_printf(needle, sizeof(needle), "Chain intact, %d "
	    "entries verified", count_rows("SELECT count(*) FROM audit",
	    NULL)), 0);
	ck_assert_msg(strstr(rp.body, needle) != NULL, "%s", needle);
	ck_assert_ptr_nonnull(strstr(rp.body, "<td>order.show</td>"));
	daemon_reply_free(&rp);

	/* A packer may not read the log nor verify it. */
	login_from("pack1", PW_TEXT, NULL, OWN_SOURCE, c);
	get("/audit", c, &rp);
	ck_assert_int_eq(rp.status, 403);
	ck_assert_ptr_null(strstr(rp.body, "order.show"));
	ck_assert_ptr_null(strstr(rp.body, "href=\"/audit"));
	csrf_of(rp.body, tok);
	daemon_reply_free(&rp);
	ck_assert_int_ge(str_printf(body, sizeof(body), "csrf=%s", tok), 0);
	req("POST", "/audit/verify", c, body, NULL, &rp);
	ck_assert_int_eq(rp.status, 403);
	ck_assert_ptr_null(strstr(rp.body, "intact"));
	daemon_reply_free(&rp);

	/* One entry edited behind the daemon's back: broken at entry 2. */
	db_write("UPDATE audit SET actor = 'x' WHERE id = 2");
	login_from("rev", PW_TEXT, NULL, OWN_SOURCE, c);
	get("/audit?lang=en", c, &rp);
	ck_assert_int_eq(rp.status, 200);
	csrf_of(rp.body, tok);
	daemon_reply_free(&rp);
	ck_assert_int_ge(str_printf(body, sizeof(body), "csrf=%s&lang=en",
	    tok), 0);
	req("POST", "/audit/verify?lang=en", c, body, NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_msg(strstr(rp.body, "Chain broken at entry 2: ") != NULL,
	    "%s", rp.body);
	ck_assert_ptr_null(strstr(rp.body, "Chain intact"));
	daemon_reply_free(&rp);
	get("/audit?lang=fr", c, &rp);
	ck_assert_ptr_nonnull(strstr(rp.body, "Journal d’audit"));
	daemon_reply_free(&rp);
	req("POST", "/audit/verify?lang=fr", c, body, NULL, &rp);
	ck_assert_ptr_nonnull(strstr(rp.body, "Chaîne rompue à l’entrée 2"));
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_login_rate_limit)
{
	struct daemon_reply rp;
	char v[64];
	int limited = 0, refused = 0;

	/* Stop at the first 429 (a token may come back meanwhile). */
	for (int i = 0; i < 2 * LOGIN_LIMIT && limited == 0; i++) {
		req("POST", "/login", NULL, "login=nobody&password=x-y-z-w",
		    "127.0.0.7", &rp);
		if (rp.status == 429) {
			limited++;
			ck_assert_int_eq(daemon_reply_header(&rp, "Retry-After",
			    v, sizeof(v)), 0);
		} else {
			ck_assert_int_eq(rp.status, 401);
			refused++;
		}
		daemon_reply_free(&rp);
	}
	ck_assert_int_eq(limited, 1);
	ck_assert_int_ge(refused, LOGIN_LIMIT);
	/* Another address is not held back. */
	req("POST", "/login", NULL, "login=nobody&password=x-y-z-w",
	    "127.0.0.8", &rp);
	ck_assert_int_eq(rp.status, 401);
	daemon_reply_free(&rp);
}
END_TEST

static Suite *
console_web_suite(void)
{
	Suite *s = suite_create("console_web");
	TCase *tc = tcase_create("pages");

	tcase_set_timeout(tc, 180);
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_test(tc, test_public_routes);
	tcase_add_test(tc, test_login_refused);
	tcase_add_test(tc, test_session_fixation);
	tcase_add_test(tc, test_csrf_and_logout);
	tcase_add_test(tc, test_today);
	tcase_add_test(tc, test_queue);
	tcase_add_test(tc, test_order_page);
	tcase_add_test(tc, test_other_centre);
	tcase_add_test(tc, test_reviewer);
	tcase_add_test(tc, test_disabled_account);
	tcase_add_test(tc, test_stock);
	tcase_add_test(tc, test_audit);
	tcase_add_test(tc, test_login_rate_limit);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(console_web_suite)
