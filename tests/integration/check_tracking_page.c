/*
 * The public tracking page end to end, with the real binaries: a real
 * `hrpost intake` daemon takes a web order, and /t/<code> says
 * "received" at once; `hrpost pull` then `hrpost pack`, `ship`,
 * `delivered` with a pull after each, and the page follows, never showing
 * the pseudonym, the address, the phone or the packs; a pull twice
 * changes nothing at intake.  Orders taken by phone and by SMS get their
 * code at the console and appear once pushed; a cancelled order says so.
 * The code as people type it (lower case, dashes, spaces, ?code= from
 * the page's box); a wrong check character gets "check the code", a
 * well-formed unknown code the neutral page, both 404; the five
 * languages by ?lang= and Accept-Language; the centre's phone or, unset,
 * the SMS and form; the headers (CSP, no-store, no cookie) and the size.
 * Probing from one address ends in 429 for everything it asks, while
 * another address (127.0.0.2) still gets its page.  POST /status and
 * GET /status/high refuse a missing (401) or wrong (403) token and
 * malformed bodies, and apply a good one once.  The console daemon
 * pushes by itself after its own pulls.
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/util.h"
#include "crypto/token.h"
#include "orders/push.h"
#include "server/intake.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define OUT_MAX (256 * 1024)
#define WAIT_MS 30000		/* generous: never a timing assertion */
#define TOK_MAX 64

/* A distinctive person: none of it may reach the page or a log. */
#define PSEUDO "Zoulikha"
#define LINE2 "Oliviers"
#define PHONE_Q "%2B33671234589"
#define PHONE_DIGITS "671234589"
#define PHONE_SPACED "71 23 45 89"
#define CENTRE_PHONE "05 65 00 11 22"
#define GOOD_BODY \
	"pseudonym=" PSEUDO "&line=Apt+4+chez+Mme+Quenaudon" \
	"&line=17+chemin+des+Oliviers&postcode=12100&commune=Millau" \
	"&phone=06+71+23+45+89&consent_call=1&consent_sms=1&lang=fr" \
	"&qty_INJ=2&variant_INJ=29G-12&qty_NALOX=1&note=apres+18h"

/* What the pages of each status say, in English. */
#define EN_RECEIVED "Order received"
#define EN_PACKED "Parcel packed"
#define EN_SHIPPED "On its way"
#define EN_DELIVERED "Delivered"
#define EN_CANCELLED "Order cancelled"
#define EN_UNKNOWN "We do not know this code yet"
#define EN_CHECK "Please check the code"

struct result {
	int status;		/* exit status, or 128 + signal */
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static char dir[DAEMON_PATH_MAX];
static char token[256];		/* [intake] token: the console's bearer */
static char secret[256];
static struct daemon_proc intake;
static struct result r;

/* ---- running hrpost ---- */

/* hrpost -d dir ARGS..., stdin /dev/null (daemon_cli()). */
static int
run_argv(const char *const *args)
{
	r.status = daemon_cli(dir, args, NULL, r.out, sizeof(r.out), r.err,
	    sizeof(r.err));
	ck_assert_msg(r.status != -1, "could not run %s", daemon_bin());
	return r.status;
}

#define run(...) run_argv((const char *const[]){ __VA_ARGS__, NULL })

static void
run_ok(const char *const *args)
{
	ck_assert_msg(run_argv(args) == 0, "hrpost %s: %s", args[0], r.err);
}

#define ok(...) run_ok((const char *const[]){ __VA_ARGS__, NULL })

/* ---- state, daemons, databases ---- */

static void
conf_value(const char *k, char *out, size_t outsz)
{
	char path[DAEMON_PATH_MAX], pat[64];
	size_t len = 0, i;
	char *conf, *p;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/hrpost.conf",
	    dir), 0);
	ck_assert_int_ge(str_printf(pat, sizeof(pat), "\n%s = ", k), 0);
	conf = testutil_slurp(path, &len);
	ck_assert_ptr_nonnull(conf);
	p = strstr(conf, pat);
	ck_assert_ptr_nonnull(p);
	p += strlen(pat);
	for (i = 0; i < outsz - 1 && p[i] != '\n' && p[i] != '\0'; i++)
		out[i] = p[i];
	out[i] = '\0';
	free(conf);
}

static void
start_intake(const char *const *env)
{
	ck_assert_int_eq(daemon_start(&intake, dir, "intake", NULL, env), 0);
	ck_assert_int_eq(daemon_config_set(dir, "console", "intake_url",
	    intake.url), 0);
}

static void
setup(void)
{
	ck_assert_int_eq(daemon_state_new(dir, sizeof(dir)), 0);
	conf_value("token", token, sizeof(token));
	conf_value("secret", secret, sizeof(secret));
	ck_assert_int_ge((int)strlen(token), 16);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "web_per_minute",
	    "100000"), 0);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "orders_per_hour",
	    "100000"), 0);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "track_per_minute",
	    "1000"), 0);
	start_intake(NULL);
}

static void
teardown(void)
{
	int st = -1;

	(void)daemon_stop(&intake, &st);
	daemon_state_free(dir);
}

/* First column of the first row of @sql on DIR/@db, read-only. */
static int64_t
db_int(const char *db, const char *sql, const char *arg)
{
	char path[DAEMON_PATH_MAX];
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/%s", dir, db), 0);
	ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(h, 10000);
	ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(h));
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

/* The tracking token of order @ref, from centre.db. */
static void
token_of(const char *ref, char *out, size_t outsz)
{
	char path[DAEMON_PATH_MAX];
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT token FROM orders "
	    "WHERE ref = ?", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_text(s, 1, ref, -1, SQLITE_TRANSIENT),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(str_copy(out, outsz,
	    (const char *)sqlite3_column_text(s, 0)), 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
}

/*
 * POST a web order; its reference and tracking code from the
 * confirmation page.
 */
static void
web_order(const char *idem, char *ref, size_t refsz, char *tok,
    size_t toksz)
{
	struct daemon_reply rp;
	char url[128], body[1024];
	const char *p, *end;

	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/order", intake.url),
	    0);
	ck_assert_int_ge(str_printf(body, sizeof(body), "%s&idem=%s",
	    GOOD_BODY, idem), 0);
	ck_assert_int_eq(daemon_post(url, "application/x-www-form-urlencoded",
	    body, strlen(body), &rp), 0);
	ck_assert_int_eq(rp.status, 200);
	p = strstr(rp.body, "class=\"ref\">");
	ck_assert_ptr_nonnull(p);
	end = strstr(p, "</p>");
	ck_assert_ptr_nonnull(end);
	p = end;
	while (p[-1] != ' ')
		p--;
	ck_assert_int_lt((int)(end - p), (int)refsz);
	memcpy(ref, p, (size_t)(end - p));
	ref[end - p] = '\0';
	p = strstr(rp.body, "class=\"track\" href=\"");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "/t/");
	ck_assert_ptr_nonnull(p);
	p += 3;
	end = strchr(p, '"');
	ck_assert_ptr_nonnull(end);
	ck_assert_int_lt((int)(end - p), (int)toksz);
	memcpy(tok, p, (size_t)(end - p));
	tok[end - p] = '\0';
	ck_assert_uint_eq(strlen(tok), OUTBOX_TOKEN_LEN);
	daemon_reply_free(&rp);
}

/* An SMS as Kannel passes it: @from and @text already URL-encoded. */
static void
sms(const char *id, const char *from, const char *text)
{
	struct daemon_reply rp;
	char url[1024];

	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/sms?secret=%s"
	    "&from=%s&to=38100&text=%s&id=%s&ts=1767225600&coding=0",
	    intake.url, secret, from, text, id), 0);
	ck_assert_int_eq(daemon_get(url, &rp), 0);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
}

/*
 * GET /t/@code@query from @source (NULL: any) with @accept_lang (NULL:
 * none).  The caller frees @rp.
 */
static void
page_from(const char *code, const char *query, const char *source,
    const char *accept_lang, struct daemon_reply *rp)
{
	struct daemon_req rq;
	char url[512], al[128];
	const char *hdrs[2] = { NULL, NULL };

	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/t/%s%s", intake.url,
	    code, query != NULL ? query : ""), 0);
	if (accept_lang != NULL) {
		ck_assert_int_ge(str_printf(al, sizeof(al),
		    "Accept-Language: %s", accept_lang), 0);
		hdrs[0] = al;
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.headers = hdrs;
	rq.source = source;
	ck_assert_int_eq(daemon_request(&rq, rp), 0);
}

/* The English page of @code: its status, and its body checked clean. */
static long
page(const char *code, const char *want)
{
	struct daemon_reply rp;
	static const char *const never[] = {
		PSEUDO, LINE2, "Quenaudon", "Millau", "12100", PHONE_DIGITS,
		PHONE_SPACED, "apres", "INJ", "NALOX", "Injection",
		"injection", "Naloxone", "naloxone", "syringe", "29G",
	};
	long status;

	page_from(code, "?lang=en", NULL, NULL, &rp);
	status = rp.status;
	ck_assert_ptr_nonnull(rp.body);
	if (want != NULL)
		ck_assert_msg(strstr(rp.body, want) != NULL, "want [%s] in "
		    "%ld [%s]", want, status, rp.body);
	for (size_t i = 0; i < ARRAY_LEN(never); i++)
		ck_assert_msg(strstr(rp.body, never[i]) == NULL, "[%s] on the "
		    "page", never[i]);
	ck_assert_uint_lt(rp.body_len, INTAKE_PAGE_MAX);
	daemon_reply_free(&rp);
	return status;
}

/* A fresh well-formed code (with its check character) nobody has. */
static void
unknown_code(char *out, size_t outsz)
{
	ck_assert_int_eq(token_new(out, outsz, TOKEN_TRACK_DIGITS), TOKEN_OK);
}

/* @code with its check character changed: a typo. */
static void
typo_of(const char *code, char *out, size_t outsz)
{
	size_t n = strlen(code);

	ck_assert_int_eq(str_copy(out, outsz, code), 0);
	out[n - 1] = (char)(code[n - 1] == '7' ? '8' : '7');
}

/* A request to intake's /status API with @auth ("" none), JSON @body. */
static void
status_api(const char *method, const char *path, const char *auth,
    const char *ctype, const char *body, size_t len, struct daemon_reply *rp)
{
	struct daemon_req rq;
	char url[256], h[300];
	const char *hdrs[2] = { NULL, NULL };

	ck_assert_int_ge(str_printf(url, sizeof(url), "%s%s", intake.url,
	    path), 0);
	if (auth[0] != '\0') {
		ck_assert_int_ge(str_printf(h, sizeof(h), "Authorization: "
		    "Bearer %s", auth), 0);
		hdrs[0] = h;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.url = url;
	rq.headers = hdrs;
	rq.content_type = ctype;
	rq.body = body;
	rq.body_len = len;
	ck_assert_int_eq(daemon_request(&rq, rp), 0);
}

/* ---- tests ---- */

START_TEST(test_web_order_lifecycle)
{
	char ref[64], tok[TOK_MAX], mark[64];
	struct daemon_reply rp;

	web_order("form-1", ref, sizeof(ref), tok, sizeof(tok));
	/* Received at once: intake wrote it with the order. */
	ck_assert_int_eq(page(tok, EN_RECEIVED), 200);
	ck_assert_int_eq(page(tok, "Tracking code: "), 200);

	ok("pull");
	ck_assert_int_eq(page(tok, EN_RECEIVED), 200);
	ok("pack", ref);
	ck_assert_int_eq(page(tok, EN_RECEIVED), 200);	/* not pushed yet */
	ok("pull");
	ck_assert_int_eq(page(tok, EN_PACKED), 200);
	ok("ship", ref);
	ok("pull");
	ck_assert_int_eq(page(tok, EN_SHIPPED), 200);
	ok("delivered", ref);
	ok("pull");
	ck_assert_int_eq(page(tok, EN_DELIVERED), 200);
	ck_assert_int_eq(db_int("intake.db", "SELECT count(*) FROM tracking "
	    "WHERE status = 'delivered' AND pushed = 1", NULL), 1);

	/* Pushed twice, the same state: nothing doubled, nothing moved. */
	ck_assert_int_ge(str_printf(mark, sizeof(mark), "%lld", (long long)
	    db_int("intake.db", "SELECT at FROM tracking_mark", NULL)), 0);
	ok("pull");
	ok("pull");
	ck_assert_int_eq(db_int("intake.db", "SELECT count(*) FROM tracking",
	    NULL), 1);
	ck_assert_int_eq(db_int("intake.db", "SELECT count(*) FROM "
	    "tracking_mark", NULL), 1);
	ck_assert_int_eq(db_int("intake.db", "SELECT at FROM tracking_mark",
	    NULL), strtoll(mark, NULL, 10));
	ck_assert_int_eq(page(tok, EN_DELIVERED), 200);

	/* The intake's log never names the code, only the route /t/. */
	ck_assert(!daemon_log_contains(&intake, tok));
	ck_assert(daemon_log_contains(&intake, "GET /t/* 200"));
	ck_assert(daemon_log_contains(&intake, "POST /status 200"));

	/* Headers: CSP, no-store, no cookie. */
	page_from(tok, NULL, NULL, NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strcasestr(rp.headers,
	    "\nContent-Security-Policy: default-src 'none'"));
	ck_assert_ptr_nonnull(strcasestr(rp.headers,
	    "\nCache-Control: no-store"));
	ck_assert_ptr_nonnull(strcasestr(rp.headers,
	    "\nReferrer-Policy: no-referrer"));
	ck_assert_ptr_nonnull(strcasestr(rp.headers,
	    "\nContent-Type: text/html; charset=utf-8"));
	ck_assert_ptr_null(strcasestr(rp.headers, "Set-Cookie"));
	ck_assert_ptr_null(strstr(rp.body, "<script"));
	ck_assert_ptr_null(strstr(rp.body, "http://"));
	ck_assert_ptr_null(strstr(rp.body, "https://"));
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_phone_sms_cancel)
{
	char ref[64], tok[TOK_MAX], pref[64], ptok[TOK_MAX];
	char sref[64], stok[TOK_MAX];
	const char *p, *bol;

	/* A phone order: its code is made at the console. */
	ok("order", "add", "--pseudonym", PSEUDO, "--line",
	    "17 chemin des Oliviers", "--postcode", "12100", "--commune",
	    "Millau", "--pack", "NALOX", "--lang", "fr");
	ck_assert_int_eq(str_copy(pref, sizeof(pref), r.out), 0);
	pref[strcspn(pref, "\n")] = '\0';
	token_of(pref, ptok, sizeof(ptok));
	ck_assert_int_eq(page(ptok, EN_UNKNOWN), 404);
	ok("pull");
	ck_assert_int_eq(page(ptok, EN_RECEIVED), 200);

	/* An SMS re-order from the number of a web order on file. */
	web_order("form-1", ref, sizeof(ref), tok, sizeof(tok));
	ok("pull");
	sms("kannel-0001", PHONE_Q, "COMMANDE");
	ok("pull");
	ok("queue", "--format", "csv");
	p = strstr(r.out, ",sms,");
	ck_assert_ptr_nonnull(p);
	bol = p;
	while (bol > r.out && bol[-1] != '\n')
		bol--;
	ck_assert_int_lt((int)(strchr(bol, ',') - bol), (int)sizeof(sref));
	memcpy(sref, bol, (size_t)(strchr(bol, ',') - bol));
	sref[strchr(bol, ',') - bol] = '\0';
	token_of(sref, stok, sizeof(stok));
	ck_assert_int_eq(page(stok, EN_RECEIVED), 200);

	/* Cancelled: the page says so, and never "on its way". */
	ok("order", "cancel", pref);
	ok("pull");
	ck_assert_int_eq(page(ptok, EN_CANCELLED), 200);
	ck_assert_int_eq(page(ptok, "will not be sent"), 200);
	ck_assert_int_eq(page(ptok, NULL), 200);
	{
		struct daemon_reply rp;

		page_from(ptok, "?lang=en", NULL, NULL, &rp);
		ck_assert_ptr_null(strstr(rp.body, EN_SHIPPED));
		daemon_reply_free(&rp);
	}
	ck_assert_int_eq(db_int("intake.db", "SELECT count(*) FROM tracking",
	    NULL), 3);
}
END_TEST

START_TEST(test_codes_and_languages)
{
	static const struct {
		const char *query, *accept, *want;
	} langs[] = {
		{ "?lang=fr", NULL, "Commande reçue" },
		{ "?lang=en", NULL, EN_RECEIVED },
		{ "?lang=es", NULL, "Pedido recibido" },
		{ "?lang=pt", NULL, "Encomenda recebida" },
		{ "?lang=ru", NULL, "Заказ получен" },
		{ NULL, "pt-BR, en;q=0.5", "Encomenda recebida" },
		{ NULL, "ru", "Заказ получен" },
		{ NULL, "de", "Commande reçue" },	/* [hrpost] lang */
		{ "?lang=xx", "es", "Pedido recibido" },
	};
	char ref[64], tok[TOK_MAX], low[TOK_MAX], dashed[TOK_MAX * 2];
	char spaced[TOK_MAX * 3], bad[TOK_MAX], unk[TOK_MAX], q[128];
	struct daemon_reply rp;
	size_t k = 0;

	web_order("form-1", ref, sizeof(ref), tok, sizeof(tok));
	/* As people type it. */
	for (size_t i = 0; tok[i] != '\0'; i++)
		low[i] = (char)(tok[i] >= 'A' && tok[i] <= 'Z' ?
		    tok[i] - 'A' + 'a' : tok[i]);
	low[strlen(tok)] = '\0';
	for (size_t i = 0; tok[i] != '\0'; i++) {
		if (i > 0 && i % 4 == 0)
			dashed[k++] = '-';
		dashed[k++] = low[i];
	}
	dashed[k] = '\0';
	ck_assert_int_ge(str_printf(spaced, sizeof(spaced), "%.4s%%20%.4s%%20"
	    "%s", tok, tok + 4, tok + 8), 0);
	ck_assert_int_eq(page(low, EN_RECEIVED), 200);
	ck_assert_int_eq(page(dashed, EN_RECEIVED), 200);
	ck_assert_int_eq(page(spaced, EN_RECEIVED), 200);
	/* The box of the page: /t/?code=... */
	ck_assert_int_ge(str_printf(q, sizeof(q), "?code=%s&lang=en", dashed),
	    0);
	page_from("", q, NULL, NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, EN_RECEIVED));
	daemon_reply_free(&rp);
	page_from("", "?lang=en", NULL, NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, "name=\"code\""));
	daemon_reply_free(&rp);

	/* A typo: "check the code", with the code given back in the box. */
	typo_of(tok, bad, sizeof(bad));
	ck_assert_int_eq(page(bad, EN_CHECK), 404);
	ck_assert_int_eq(page(bad, bad), 404);
	ck_assert_int_eq(page("ABC", EN_CHECK), 404);
	ck_assert_int_eq(page(ref, "order reference is shorter"), 404);
	/* Well-formed, unknown: the neutral page, also 404. */
	unknown_code(unk, sizeof(unk));
	ck_assert_int_eq(page(unk, EN_UNKNOWN), 404);
	/* Neither says anything of the code it resembles. */
	page_from(bad, "?lang=en", NULL, NULL, &rp);
	ck_assert_ptr_null(strstr(rp.body, EN_RECEIVED));
	daemon_reply_free(&rp);

	for (size_t i = 0; i < ARRAY_LEN(langs); i++) {
		page_from(tok, langs[i].query, NULL, langs[i].accept, &rp);
		ck_assert_int_eq(rp.status, 200);
		ck_assert_msg(strstr(rp.body, langs[i].want) != NULL,
		    "%zu: want [%s]", i, langs[i].want);
		daemon_reply_free(&rp);
	}

	/* No [centre] phone: the SMS and the form; with one: the phone. */
	ck_assert_int_eq(page(tok, "Reply to our text message"), 200);
	{
		int st = -1;

		ck_assert_int_eq(daemon_stop(&intake, &st), 0);
		ck_assert_int_eq(daemon_config_set(dir, "centre", "phone",
		    CENTRE_PHONE), 0);
		start_intake(NULL);
	}
	ck_assert_int_eq(page(tok, "Call us: " CENTRE_PHONE), 200);
	page_from(tok, "?lang=en", NULL, NULL, &rp);
	ck_assert_ptr_null(strstr(rp.body, "Reply to our text message"));
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_probing)
{
	static const char *const frozen[] = {
		"HRPOST_NOW=2026-03-06T12:00:00Z", NULL,
	};
	char ref[64], tok[TOK_MAX], unk[TOK_MAX], bad[TOK_MAX];
	char retry[16], url[128];
	struct daemon_reply rp;
	int st = -1;

	/* Five misses a minute, on a clock that never moves. */
	ck_assert_int_eq(daemon_stop(&intake, &st), 0);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "track_per_minute",
	    "5"), 0);
	start_intake(frozen);
	web_order("form-1", ref, sizeof(ref), tok, sizeof(tok));
	/* Finds do not count. */
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(page(tok, EN_RECEIVED), 200);
	for (int i = 0; i < 5; i++) {
		unknown_code(unk, sizeof(unk));
		if (i % 2 == 0) {
			ck_assert_int_eq(page(unk, EN_UNKNOWN), 404);
		} else {
			typo_of(unk, bad, sizeof(bad));
			ck_assert_int_eq(page(bad, EN_CHECK), 404);
		}
	}
	/* Over: everything this address asks of /t/ is 429, found or not. */
	unknown_code(unk, sizeof(unk));
	page_from(unk, NULL, "127.0.0.1", NULL, &rp);
	ck_assert_int_eq(rp.status, 429);
	ck_assert_int_eq(daemon_reply_header(&rp, "Retry-After", retry,
	    sizeof(retry)), 0);
	{
		long secs = 0;

		ck_assert_int_eq(parse_long(retry, 1, 3600, &secs), 0);
	}
	daemon_reply_free(&rp);
	page_from(tok, NULL, "127.0.0.1", NULL, &rp);
	ck_assert_int_eq(rp.status, 429);
	daemon_reply_free(&rp);
	/* Another address: the valid code still answers, misses count apart. */
	page_from(tok, "?lang=en", "127.0.0.2", NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_ptr_nonnull(strstr(rp.body, EN_RECEIVED));
	daemon_reply_free(&rp);
	page_from(unk, NULL, "127.0.0.2", NULL, &rp);
	ck_assert_int_eq(rp.status, 404);
	daemon_reply_free(&rp);
	/* The rest of the site is not touched for the prober. */
	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/", intake.url), 0);
	ck_assert_int_eq(daemon_get(url, &rp), 0);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_status_api)
{
	char ref[64], tok[TOK_MAX], body[512], want[64], *big;
	struct daemon_reply rp;
	json_t *root;
	/* Now: a status older than OUTBOX_TRACK_KEEP would be pruned. */
	long long now = (long long)time(NULL);

	web_order("form-1", ref, sizeof(ref), tok, sizeof(tok));
	ck_assert_int_ge(str_printf(body, sizeof(body), "{\"statuses\":["
	    "{\"token\":\"%s\",\"status\":\"shipped\",\"updated_at\":"
	    "%lld}]}", tok, now), 0);

	/* No token, a wrong one: nothing changes. */
	status_api("POST", "/status", "", "application/json", body,
	    strlen(body), &rp);
	ck_assert_int_eq(rp.status, 401);
	ck_assert_ptr_nonnull(strcasestr(rp.headers, "WWW-Authenticate: "
	    "Bearer"));
	daemon_reply_free(&rp);
	status_api("POST", "/status", "WRONGwrongWRONGwrong",
	    "application/json", body, strlen(body), &rp);
	ck_assert_int_eq(rp.status, 403);
	daemon_reply_free(&rp);
	status_api("GET", "/status/high", "", NULL, NULL, 0, &rp);
	ck_assert_int_eq(rp.status, 401);
	daemon_reply_free(&rp);
	status_api("GET", "/status/high", "WRONGwrongWRONGwrong", NULL, NULL,
	    0, &rp);
	ck_assert_int_eq(rp.status, 403);
	daemon_reply_free(&rp);
	ck_assert_int_eq(page(tok, EN_RECEIVED), 200);

	/* The right token, bad bodies: 415, 400, 413, nothing stored. */
	status_api("POST", "/status", token, "text/plain", body, strlen(body),
	    &rp);
	ck_assert_int_eq(rp.status, 415);
	daemon_reply_free(&rp);
	status_api("POST", "/status", token, "application/json", "{\"statuses"
	    "\":[{\"token\":\"x\"}]}", strlen("{\"statuses\":[{\"token\":"
	    "\"x\"}]}"), &rp);
	ck_assert_int_eq(rp.status, 400);
	ck_assert_ptr_nonnull(strstr(rp.body, "statuses[0]"));
	daemon_reply_free(&rp);
	big = malloc(PUSH_BODY_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', PUSH_BODY_MAX + 1);
	memcpy(big, "{\"statuses\":[]}", 15);
	status_api("POST", "/status", token, "application/json", big,
	    PUSH_BODY_MAX + 1, &rp);
	ck_assert_int_eq(rp.status, 413);
	daemon_reply_free(&rp);
	free(big);
	ck_assert_int_eq(page(tok, EN_RECEIVED), 200);

	/* A good push: applied once; again: nothing. */
	status_api("POST", "/status", token, "application/json", body,
	    strlen(body), &rp);
	ck_assert_int_eq(rp.status, 200);
	root = json_loadb(rp.body, rp.body_len, 0, NULL);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(json_integer_value(json_object_get(root, "applied")),
	    1);
	ck_assert_int_eq(json_integer_value(json_object_get(root, "high_at")),
	    now);
	ck_assert_str_eq(json_string_value(json_object_get(root,
	    "high_token")), tok);
	json_decref(root);
	daemon_reply_free(&rp);
	status_api("POST", "/status", token, "application/json", body,
	    strlen(body), &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_msg(strstr(rp.body, "\"applied\":0") != NULL, "%s", rp.body);
	daemon_reply_free(&rp);
	ck_assert_int_eq(page(tok, EN_SHIPPED), 200);
	status_api("GET", "/status/high", token, NULL, NULL, 0, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_int_ge(str_printf(want, sizeof(want), "\"high_at\":%lld",
	    now), 0);
	ck_assert_ptr_nonnull(strstr(rp.body, want));
	daemon_reply_free(&rp);
}
END_TEST

START_TEST(test_console_daemon_pushes)
{
	struct daemon_proc con;
	char ref[64], tok[TOK_MAX];
	long status = 0;
	int st = -1;

	ck_assert_int_eq(daemon_config_set(dir, "console", "pull_interval",
	    "1"), 0);
	ck_assert_int_eq(daemon_start(&con, dir, "console", NULL, NULL), 0);
	web_order("form-1", ref, sizeof(ref), tok, sizeof(tok));
	/* Packed and shipped by hand once the console has pulled it. */
	for (int waited = 0; waited < WAIT_MS; waited += 100) {
		if (run("pack", ref) == 0)
			break;
		usleep(100 * 1000);
	}
	ck_assert_msg(r.status == 0, "pack: %s", r.err);
	ok("ship", ref);
	for (int waited = 0; waited < WAIT_MS; waited += 100) {
		struct daemon_reply rp;

		page_from(tok, "?lang=en", NULL, NULL, &rp);
		status = rp.status;
		if (strstr(rp.body, EN_SHIPPED) != NULL) {
			daemon_reply_free(&rp);
			break;
		}
		daemon_reply_free(&rp);
		status = 0;
		usleep(100 * 1000);
	}
	ck_assert_msg(status == 200, "the console did not push");
	ck_assert_int_eq(daemon_stop(&con, &st), 0);
	ck_assert_int_eq(st, 0);
	ck_assert(!daemon_log_contains(&con, tok));
	ck_assert(!daemon_log_contains(&con, token));
	ck_assert(!daemon_log_contains(&con, "status push"));
}
END_TEST

static Suite *
tracking_page_suite(void)
{
	Suite *s = suite_create("tracking_page");
	TCase *tc = tcase_create("tracking_page");

	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_web_order_lifecycle);
	tcase_add_test(tc, test_phone_sms_cancel);
	tcase_add_test(tc, test_codes_and_languages);
	tcase_add_test(tc, test_probing);
	tcase_add_test(tc, test_status_api);
	tcase_add_test(tc, test_console_daemon_pushes);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(tracking_page_suite)
