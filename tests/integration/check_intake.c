/*
 * The real `hrpost intake` daemon on a free loopback port, driven through
 * libcurl as a browser or the console would: the form in every language
 * and ?lang=, its size, headers and field names; a good order (200, the
 * reference, the /t/ link and the QR code; a row in intake.db whose raw
 * bytes, WAL included, hold none of the address or phone); a double
 * submit (one row, the same reference); every bad input of issue 3 (413,
 * 415 or 422 naming the field, HTML escaped, nothing stored); the outbox
 * API with and without its token; /healthz; rate limits (a flood from one
 * address gets 429 while /healthz and other addresses still answer); the
 * privilege drop when run as root; logs free of queries and personal
 * data; SIGTERM and SIGINT stopping it with exit status 0; a port taken,
 * a bad --listen, a stray argument; listening on IPv6 [::1].
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "base/util.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define PAGE_MAX (30 * 1024)
#define BIG (70 * 1024)

/* A distinctive person: none of it may reach a file in clear. */
#define PSEUDO "Zoulikha"
#define LINE1 "Apt 4 chez Mme Quenaudon"
#define LINE2 "17 chemin des Oliviers"
#define PHONE_TYPED "06 71 23 45 89"
#define PHONE_E164 "+33671234589"
#define NOTE "appeler apres 18h svp"

#define GOOD_BODY \
	"pseudonym=" PSEUDO "&line=Apt+4+chez+Mme+Quenaudon" \
	"&line=17+chemin+des+Oliviers&line=&line=&postcode=12100" \
	"&commune=Millau&phone=06+71+23+45+89&consent_call=1&consent_sms=1" \
	"&lang=fr&qty_INJ=2&variant_INJ=29G-12&qty_NALOX=1&qty_SEX=0" \
	"&for_others=2&note=appeler+apres+18h+svp"

static char dir[DAEMON_PATH_MAX];
static char token[256];
static struct daemon_proc d;
static const char *const langs[] = { "fr", "en", "es", "pt", "ru" };

/* ---- fixture ------------------------------------------------------ */

static void
read_token(void)
{
	char path[DAEMON_PATH_MAX];
	size_t len = 0;
	char *conf, *p;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/hrpost.conf",
	    dir), 0);
	conf = testutil_slurp(path, &len);
	ck_assert_ptr_nonnull(conf);
	p = strstr(conf, "\ntoken = ");
	ck_assert_ptr_nonnull(p);
	p += strlen("\ntoken = ");
	for (size_t i = 0; i < sizeof(token) - 1 && p[i] != '\n' &&
	    p[i] != '\0'; i++)
		token[i] = p[i];
	free(conf);
	ck_assert_int_ge((int)strlen(token), 16);
}

/* One daemon for the main case; generous limits: many requests follow. */
static void
setup(void)
{
	ck_assert_int_eq(daemon_state_new(dir, sizeof(dir)), 0);
	read_token();
	ck_assert_int_eq(daemon_config_set(dir, "limits", "web_per_minute",
	    "100000"), 0);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "orders_per_hour",
	    "100000"), 0);
	ck_assert_int_eq(daemon_start(&d, dir, "intake", NULL, NULL), 0);
}

static void
teardown(void)
{
	int st = -1;
	int rc = daemon_stop(&d, &st);

	/*
	 * An unchecked teardown cannot fail a test: a daemon that did not
	 * stop cleanly on SIGTERM (a crash, a sanitizer report) fails the
	 * whole run instead.
	 */
	if (rc != 0 || st != 0) {
		fprintf(stderr, "intake did not stop cleanly (status %d); "
		    "log: %s\n", st, d.log);
		exit(1);
	}
	daemon_state_free(dir);
}

static void
state_only_setup(void)
{
	ck_assert_int_eq(daemon_state_new(dir, sizeof(dir)), 0);
	read_token();
	memset(&d, 0, sizeof(d));
}

static void
state_only_teardown(void)
{
	(void)daemon_stop(&d, NULL);
	daemon_state_free(dir);
}

/* ---- helpers ------------------------------------------------------ */

static void
url(char *out, size_t outsz, const char *path)
{
	ck_assert_int_ge(str_printf(out, outsz, "%s%s", d.url, path), 0);
}

static void
get_lang(const char *path, const char *accept, struct daemon_reply *rp)
{
	struct daemon_req rq;
	char u[256], h[128];
	const char *hdrs[2] = { NULL, NULL };

	url(u, sizeof(u), path);
	memset(&rq, 0, sizeof(rq));
	rq.url = u;
	if (accept != NULL) {
		ck_assert_int_ge(str_printf(h, sizeof(h),
		    "Accept-Language: %s", accept), 0);
		hdrs[0] = h;
		rq.headers = hdrs;
	}
	ck_assert_int_eq(daemon_request(&rq, rp), 0);
}

static void
post_form(const char *body, size_t len, struct daemon_reply *rp)
{
	char u[256];

	url(u, sizeof(u), "/order");
	ck_assert_int_eq(daemon_post(u, "application/x-www-form-urlencoded",
	    body, len, rp), 0);
}

static void
post_str(const char *body, struct daemon_reply *rp)
{
	post_form(body, strlen(body), rp);
}

/* GET /outbox with @auth ("Bearer x", or NULL for no header). */
static void
outbox_get(const char *query, const char *auth, struct daemon_reply *rp)
{
	struct daemon_req rq;
	char u[256], h[400];
	const char *hdrs[2] = { NULL, NULL };

	url(u, sizeof(u), query);
	memset(&rq, 0, sizeof(rq));
	rq.url = u;
	if (auth != NULL) {
		ck_assert_int_ge(str_printf(h, sizeof(h), "Authorization: %s",
		    auth), 0);
		hdrs[0] = h;
		rq.headers = hdrs;
	}
	ck_assert_int_eq(daemon_request(&rq, rp), 0);
}

static const char *
bearer(void)
{
	static char b[300];

	ck_assert_int_ge(str_printf(b, sizeof(b), "Bearer %s", token), 0);
	return b;
}

/* The outbox rows, parsed; the caller json_decref()s. */
static json_t *
outbox_rows(void)
{
	struct daemon_reply rp;
	json_error_t jerr;
	json_t *root, *orders;

	outbox_get("/outbox?limit=500", bearer(), &rp);
	ck_assert_int_eq(rp.status, 200);
	root = json_loadb(rp.body, rp.body_len, 0, &jerr);
	daemon_reply_free(&rp);
	ck_assert_ptr_nonnull(root);
	orders = json_object_get(root, "orders");
	ck_assert(json_is_array(orders));
	json_incref(orders);
	json_decref(root);
	return orders;
}

static size_t
outbox_count(void)
{
	json_t *rows = outbox_rows();
	size_t n = json_array_size(rows);

	json_decref(rows);
	return n;
}

static bool
has(const struct daemon_reply *rp, const char *needle)
{
	return rp->body != NULL && strstr(rp->body, needle) != NULL;
}

/* The reference shown on a confirmation page, into @ref. */
static void
page_ref(const struct daemon_reply *rp, char *ref, size_t refsz)
{
	const char *p = strstr(rp->body, "class=\"ref\">");
	const char *colon, *end;

	ck_assert_ptr_nonnull(p);
	end = strstr(p, "</p>");
	ck_assert_ptr_nonnull(end);
	colon = end;
	while (colon > p && colon[-1] != ' ')
		colon--;
	ck_assert_int_lt((int)(end - colon), (int)refsz);
	memcpy(ref, colon, (size_t)(end - colon));
	ref[end - colon] = '\0';
	ck_assert_int_ge((int)strlen(ref), 9);
}

static void
assert_common_headers(const struct daemon_reply *rp)
{
	char v[512];

	ck_assert_int_eq(daemon_reply_header(rp, "X-Content-Type-Options", v,
	    sizeof(v)), 0);
	ck_assert_str_eq(v, "nosniff");
	ck_assert_int_eq(daemon_reply_header(rp, "Referrer-Policy", v,
	    sizeof(v)), 0);
	ck_assert_str_eq(v, "no-referrer");
	ck_assert_int_eq(daemon_reply_header(rp, "X-Frame-Options", v,
	    sizeof(v)), 0);
	ck_assert_str_eq(v, "DENY");
	ck_assert_int_eq(daemon_reply_header(rp, "Content-Security-Policy", v,
	    sizeof(v)), 0);
	ck_assert_ptr_nonnull(strstr(v, "default-src 'none'"));
	ck_assert_ptr_null(strstr(v, "unsafe-inline"));
	ck_assert_int_ne(daemon_reply_header(rp, "Set-Cookie", v, sizeof(v)),
	    0);
}

/* 422 with the error paragraph of @field, and nothing stored. */
static void
assert_refused(const char *body, size_t len, const char *field)
{
	struct daemon_reply rp;
	char id[96];
	size_t before = outbox_count();

	post_form(body, len, &rp);
	ck_assert_msg(rp.status == 422, "%s: status %ld", field, rp.status);
	ck_assert_int_ge(str_printf(id, sizeof(id), "id=\"err-%s\"", field),
	    0);
	ck_assert_msg(has(&rp, id), "no error next to %s", field);
	ck_assert_int_lt((int)rp.body_len, PAGE_MAX);
	assert_common_headers(&rp);
	daemon_reply_free(&rp);
	ck_assert_uint_eq(outbox_count(), before);
}

static void
assert_refused_str(const char *body, const char *field)
{
	assert_refused(body, strlen(body), field);
}

/* ---- the form ----------------------------------------------------- */

START_TEST(test_form_languages)
{
	static const char *const fields[] = {
		"name=\"pseudonym\"", "name=\"line\"", "name=\"postcode\"",
		"name=\"commune\"", "name=\"phone\"", "name=\"consent_call\"",
		"name=\"consent_sms\"", "name=\"lang\"", "name=\"qty_INJ\"",
		"name=\"variant_INJ\"", "name=\"qty_NALOX\"",
		"name=\"for_others\"", "name=\"note\"", "name=\"idem\"",
		"name=\"poste_restante\"",
	};
	char idem1[64] = "", attr[32];

	for (size_t i = 0; i < ARRAY_LEN(langs); i++) {
		struct daemon_reply rp;
		char v[256];
		const char *p;

		get_lang("/", langs[i], &rp);
		ck_assert_int_eq(rp.status, 200);
		ck_assert_int_lt((int)rp.body_len, PAGE_MAX);
		ck_assert_int_ge(str_printf(attr, sizeof(attr),
		    "<html lang=\"%s\">", langs[i]), 0);
		ck_assert_msg(has(&rp, attr), "%s", langs[i]);
		assert_common_headers(&rp);
		ck_assert_int_eq(daemon_reply_header(&rp, "Cache-Control", v,
		    sizeof(v)), 0);
		ck_assert_str_eq(v, "no-store");
		ck_assert_int_eq(daemon_reply_header(&rp, "Content-Type", v,
		    sizeof(v)), 0);
		ck_assert_str_eq(v, "text/html; charset=utf-8");
		/* No external resource, no script. */
		ck_assert(!has(&rp, "http://") && !has(&rp, "https://") &&
		    !has(&rp, "src=") && !has(&rp, "<script"));
		for (size_t k = 0; k < ARRAY_LEN(fields); k++)
			ck_assert_msg(has(&rp, fields[k]), "%s: %s",
			    langs[i], fields[k]);
		/* Four address boxes; a fresh idempotency token each time. */
		p = rp.body;
		for (int n = 0; n < 4; n++) {
			p = strstr(p, "name=\"line\"");
			ck_assert_ptr_nonnull(p);
			p++;
		}
		p = strstr(rp.body, "name=\"idem\" value=\"");
		ck_assert_ptr_nonnull(p);
		p += strlen("name=\"idem\" value=\"");
		ck_assert_ptr_nonnull(strchr(p, '"'));
		ck_assert_int_ne(strncmp(p, idem1, strlen(idem1) > 0 ?
		    strlen(idem1) : 1), 0);
		ck_assert_int_lt((int)(strchr(p, '"') - p), (int)sizeof(idem1));
		memcpy(idem1, p, (size_t)(strchr(p, '"') - p));
		idem1[strchr(p, '"') - p] = '\0';
		daemon_reply_free(&rp);
	}
}
END_TEST

START_TEST(test_form_lang_choice)
{
	static const struct {
		const char *path, *accept, *want;
	} cases[] = {
		{ "/?lang=es", "ru", "es" },		/* ?lang= wins */
		{ "/?lang=pt", NULL, "pt" },
		{ "/?lang=xx", "en", "en" },		/* unknown: ignored */
		{ "/", "pt-BR,pt;q=0.9,en;q=0.5", "pt" },
		{ "/", "de-DE, en;q=0.3, ru;q=0.8", "ru" },
		{ "/", "de", "fr" },			/* [hrpost] lang */
		{ "/", "en;q=0, es", "es" },
		{ "/", NULL, "fr" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct daemon_reply rp;
		char attr[32];

		get_lang(cases[i].path, cases[i].accept, &rp);
		ck_assert_int_eq(rp.status, 200);
		ck_assert_int_ge(str_printf(attr, sizeof(attr),
		    "<html lang=\"%s\">", cases[i].want), 0);
		ck_assert_msg(has(&rp, attr), "case %zu", i);
		daemon_reply_free(&rp);
	}
}
END_TEST

START_TEST(test_style_and_errors)
{
	struct daemon_reply rp;
	struct daemon_req rq;
	char u[256], v[256];

	get_lang("/style.css", NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_int_eq(daemon_reply_header(&rp, "Content-Type", v,
	    sizeof(v)), 0);
	ck_assert_str_eq(v, "text/css; charset=utf-8");
	ck_assert(has(&rp, "main {"));
	daemon_reply_free(&rp);

	get_lang("/nowhere", NULL, &rp);
	ck_assert_int_eq(rp.status, 404);
	assert_common_headers(&rp);
	daemon_reply_free(&rp);

	get_lang("/order", NULL, &rp);
	ck_assert_int_eq(rp.status, 405);
	ck_assert_int_eq(daemon_reply_header(&rp, "Allow", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "POST");
	daemon_reply_free(&rp);

	url(u, sizeof(u), "/");
	memset(&rq, 0, sizeof(rq));
	rq.url = u;
	rq.method = "HEAD";
	ck_assert_int_eq(daemon_request(&rq, &rp), 0);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_uint_eq(rp.body_len, 0);
	daemon_reply_free(&rp);

	get_lang("/healthz", NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_str_eq(rp.body, "ok\n");
	daemon_reply_free(&rp);
}
END_TEST

/* ---- orders ------------------------------------------------------- */

static void
assert_not_in_file(const char *name, const char *what)
{
	char path[DAEMON_PATH_MAX];

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/%s", dir, name),
	    0);
	if (access(path, F_OK) != 0)
		return;		/* no WAL right now: nothing in it */
	ck_assert_msg(!testutil_file_contains(path, what, strlen(what)),
	    "%s found in %s", what, name);
}

START_TEST(test_order_good)
{
	static const char *const secret[] = {
		PSEUDO, LINE1, LINE2, PHONE_TYPED, PHONE_E164, NOTE,
		"Quenaudon", "Oliviers",
	};
	static const char *const files[] = {
		"intake.db", "intake.db-wal", "intake.db-shm",
		"intake.log",
	};
	struct daemon_reply rp;
	char v[256], ref[64];
	json_t *rows, *row;
	size_t before = outbox_count();

	post_str(GOOD_BODY "&idem=good-order-1", &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert(has(&rp, "class=\"ref\""));
	ck_assert(has(&rp, "/t/"));
	ck_assert(has(&rp, "<svg"));
	ck_assert_int_lt((int)rp.body_len, PAGE_MAX);
	assert_common_headers(&rp);
	ck_assert_int_eq(daemon_reply_header(&rp, "Cache-Control", v,
	    sizeof(v)), 0);
	ck_assert_str_eq(v, "no-store");
	/* The confirmation says nothing of the person. */
	ck_assert(!has(&rp, PSEUDO) && !has(&rp, "Oliviers"));
	page_ref(&rp, ref, sizeof(ref));
	daemon_reply_free(&rp);

	rows = outbox_rows();
	ck_assert_uint_eq(json_array_size(rows), before + 1);
	row = json_array_get(rows, json_array_size(rows) - 1);
	ck_assert_str_eq(json_string_value(json_object_get(row, "idem")),
	    "good-order-1");
	ck_assert_str_eq(json_string_value(json_object_get(row, "channel")),
	    "web");
	ck_assert_str_eq(json_string_value(json_object_get(row, "centre")),
	    "demo");
	ck_assert(json_is_integer(json_object_get(row, "id")));
	ck_assert(json_is_integer(json_object_get(row, "received_at")));
	ck_assert_int_gt((int)strlen(json_string_value(json_object_get(row,
	    "sealed"))), 100);
	json_decref(rows);

	for (size_t f = 0; f < ARRAY_LEN(files); f++)
		for (size_t i = 0; i < ARRAY_LEN(secret); i++)
			assert_not_in_file(files[f], secret[i]);
	/* The reference is not personal data, but no log holds it either. */
	ck_assert(!daemon_log_contains(&d, ref));
}
END_TEST

START_TEST(test_order_poste_restante)
{
	struct daemon_reply rp;

	post_str("pseudonym=Sam&poste_restante=1&postcode=12100&commune=Millau"
	    "&qty_NALOX=1&idem=pr-1", &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
	/* Without a home address and without poste restante: refused. */
	assert_refused_str("pseudonym=Sam&postcode=12100&commune=Millau"
	    "&qty_NALOX=1&idem=pr-2", "line");
}
END_TEST

START_TEST(test_double_submit)
{
	struct daemon_reply rp;
	char ref1[64], ref2[64], link1[128];
	const char *p;
	size_t before = outbox_count();

	post_str(GOOD_BODY "&idem=twice-1", &rp);
	ck_assert_int_eq(rp.status, 200);
	page_ref(&rp, ref1, sizeof(ref1));
	p = strstr(rp.body, "/t/");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_ge(str_printf(link1, sizeof(link1), "%.20s", p), 0);
	daemon_reply_free(&rp);

	/* The same form again, even with other values: the first order. */
	post_str(GOOD_BODY "&idem=twice-1&qty_SHARPS=1", &rp);
	ck_assert_int_eq(rp.status, 200);
	page_ref(&rp, ref2, sizeof(ref2));
	ck_assert_str_eq(ref1, ref2);
	ck_assert(has(&rp, link1));
	daemon_reply_free(&rp);
	ck_assert_uint_eq(outbox_count(), before + 1);

	/* Still the first one after the console acknowledged it. */
	{
		json_t *rows = outbox_rows();
		json_t *last = json_array_get(rows, json_array_size(rows) - 1);
		char body[64], u[256];

		ck_assert_int_ge(str_printf(body, sizeof(body), "{\"ids\":[%lld]}",
		    (long long)json_integer_value(json_object_get(last, "id"))),
		    0);
		json_decref(rows);
		url(u, sizeof(u), "/outbox/ack");
		{
			struct daemon_req rq;
			char h[300];
			const char *hdrs[2] = { h, NULL };

			ck_assert_int_ge(str_printf(h, sizeof(h),
			    "Authorization: %s", bearer()), 0);
			memset(&rq, 0, sizeof(rq));
			rq.url = u;
			rq.content_type = "application/json";
			rq.body = body;
			rq.body_len = strlen(body);
			rq.headers = hdrs;
			ck_assert_int_eq(daemon_request(&rq, &rp), 0);
			ck_assert_int_eq(rp.status, 200);
			daemon_reply_free(&rp);
		}
	}
	post_str(GOOD_BODY "&idem=twice-1", &rp);
	ck_assert_int_eq(rp.status, 200);
	page_ref(&rp, ref2, sizeof(ref2));
	ck_assert_str_eq(ref1, ref2);
	daemon_reply_free(&rp);
	ck_assert_uint_eq(outbox_count(), before);
}
END_TEST

/* ---- bad input ---------------------------------------------------- */

START_TEST(test_bad_sizes)
{
	struct daemon_reply rp;
	char *body = malloc(BIG);
	size_t before = outbox_count();
	int n;

	ck_assert_ptr_nonnull(body);
	/* Over 64 KiB in all: 413, before anything is read. */
	n = snprintf(body, BIG, "%s&idem=big&note=", GOOD_BODY);
	ck_assert_int_gt(n, 0);
	memset(body + n, 'a', BIG - (size_t)n);
	post_form(body, BIG, &rp);
	ck_assert_int_eq(rp.status, 413);
	daemon_reply_free(&rp);

	/* Just under 64 KiB of unknown fields: read whole, then 422. */
	n = 0;
	for (int i = 0; i < 15; i++) {
		n += snprintf(body + n, BIG - (size_t)n, "x%02d=", i);
		memset(body + n, 'x', 4000);
		n += 4000;
		body[n++] = '&';
	}
	n += snprintf(body + n, BIG - (size_t)n, "idem=nearly-64k");
	ck_assert_int_lt(n, 64 * 1024);
	assert_refused(body, (size_t)n, "pseudonym");

	/* One field over 4096 bytes, the body under 64 KiB: 422, the note. */
	n = snprintf(body, BIG, "%s&idem=bignote&note=", GOOD_BODY);
	memset(body + n, 'a', 5000);
	assert_refused(body, (size_t)n + 5000, "note");

	/* A note of 600 characters: within the decoder, over the rule. */
	n = snprintf(body, BIG, "pseudonym=Sam&line=1+rue+Haute&postcode="
	    "12100&commune=Millau&qty_INJ=1&idem=longnote&note=");
	memset(body + n, 'b', 600);
	assert_refused(body, (size_t)n + 600, "note");

	/* A huge field shown back would make a page over 30 KB: not shown. */
	n = snprintf(body, BIG, "%s&idem=hugeecho&postcode=x&pseudonym=",
	    GOOD_BODY);
	for (int i = 0; i < 4000; i++)
		body[n + i] = '<';
	n += 4000;
	n += snprintf(body + n, BIG - (size_t)n, "&commune=");
	for (int i = 0; i < 4000; i++)
		body[n + i] = '"';
	n += 4000;
	assert_refused(body, (size_t)n, "postcode");
	free(body);
	ck_assert_uint_eq(outbox_count(), before);
}
END_TEST

START_TEST(test_bad_encoding)
{
	/* Invalid UTF-8 and NUL bytes, each named. */
	assert_refused_str(GOOD_BODY "&idem=u1&pseudonym=Zo%FFe", "pseudonym");
	assert_refused_str("pseudonym=Zo%C3%28&postcode=12100", "pseudonym");
	assert_refused_str(GOOD_BODY "&idem=n1&commune=Mil%00lau", "commune");
	assert_refused_str(GOOD_BODY "&idem=n2&note=a%00b", "note");
	assert_refused_str(GOOD_BODY "&idem=e1&note=100%", "note");
	assert_refused_str(GOOD_BODY "&idem=e2&note=%G1", "note");
	/* A control character inside a field. */
	assert_refused_str("pseudonym=Zo%0Ae&line=1+rue&postcode=12100"
	    "&commune=Millau&qty_INJ=1&idem=c1", "pseudonym");
}
END_TEST

START_TEST(test_bad_fields)
{
	struct daemon_reply rp;

	/* Missing everything: each required field named. */
	post_str("", &rp);
	ck_assert_int_eq(rp.status, 422);
	ck_assert(has(&rp, "id=\"err-pseudonym\""));
	ck_assert(has(&rp, "id=\"err-line\""));
	ck_assert(has(&rp, "id=\"err-postcode\""));
	ck_assert(has(&rp, "id=\"err-commune\""));
	ck_assert(has(&rp, "id=\"err-pack\""));
	daemon_reply_free(&rp);

	assert_refused_str(GOOD_BODY "&idem=p1&qty_FOO=1", "qty_FOO");
	assert_refused_str(GOOD_BODY "&idem=p2&variant_FOO=x", "variant_FOO");
	assert_refused_str(GOOD_BODY "&idem=p3&qty_INJ=100000", "qty_INJ");
	assert_refused_str(GOOD_BODY "&idem=p4&qty_INJ=-1", "qty_INJ");
	assert_refused_str(GOOD_BODY "&idem=p5&qty_INJ=two", "qty_INJ");
	assert_refused_str(GOOD_BODY "&idem=p6&variant_INJ=99G-99",
	    "variant_INJ");
	/* Quantity 0 everywhere: nothing chosen. */
	assert_refused_str("pseudonym=Sam&line=1+rue+Haute&postcode=12100"
	    "&commune=Millau&qty_INJ=0&idem=p7", "pack");
	assert_refused_str(GOOD_BODY "&idem=pc1&postcode=00000", "postcode");
	assert_refused_str(GOOD_BODY "&idem=pc2&postcode=2A000", "postcode");
	assert_refused_str(GOOD_BODY "&idem=pc3&postcode=1210", "postcode");
	assert_refused_str(GOOD_BODY "&idem=ph1&phone=12", "phone");
	assert_refused_str(GOOD_BODY "&idem=f1&for_others=0", "for_others");
	assert_refused_str(GOOD_BODY "&idem=f2&for_others=51", "for_others");
	assert_refused_str(GOOD_BODY "&idem=l1&lang=xx", "lang");
	assert_refused_str(GOOD_BODY "&idem=l2&line=a&line=b&line=c",
	    "line");
	assert_refused_str(GOOD_BODY "&idem=l3&line="
	    "123456789012345678901234567890123456789", "line");
	assert_refused_str(GOOD_BODY "&idem=with+space", "idem");
	/* A field that is not "line" given twice is ambiguous: refused. */
	assert_refused_str(GOOD_BODY "&idem=twice-pc&postcode=12100",
	    "postcode");
	assert_refused_str(GOOD_BODY "&idem=twice-q&qty_INJ=3", "qty_INJ");
	assert_refused_str("pseudonym=Sam&line=1+rue+Haute&postcode=12100"
	    "&commune=Millau&qty_INJ=1&consent_sms=1&idem=s1", "consent_sms");
}
END_TEST

START_TEST(test_bad_content_type)
{
	static const char *const types[] = {
		"text/plain", "multipart/form-data; boundary=x",
		"application/json", NULL,
	};
	size_t before = outbox_count();
	char u[256];

	url(u, sizeof(u), "/order");
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		struct daemon_reply rp;

		ck_assert_int_eq(daemon_post(u, types[i], GOOD_BODY,
		    strlen(GOOD_BODY), &rp), 0);
		ck_assert_msg(rp.status == 415, "%s: %ld",
		    types[i] != NULL ? types[i] : "none", rp.status);
		daemon_reply_free(&rp);
	}
	/* Parameters and case do not matter. */
	{
		struct daemon_reply rp;

		ck_assert_int_eq(daemon_post(u,
		    "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
		    GOOD_BODY "&idem=ct-ok", strlen(GOOD_BODY "&idem=ct-ok"),
		    &rp), 0);
		ck_assert_int_eq(rp.status, 200);
		daemon_reply_free(&rp);
	}
	ck_assert_uint_eq(outbox_count(), before + 1);
}
END_TEST

START_TEST(test_html_escaped)
{
	static const char *const fields[] = {
		"pseudonym", "line", "commune", "phone", "note", "for_others",
		"lang", "qty_INJ", "variant_INJ", "idem", "postcode",
	};
	char body[4096];
	size_t o = 0;
	struct daemon_reply rp;
	size_t before = outbox_count();

	/* Every field: a script, an attribute breaker, an entity. */
	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		int n = snprintf(body + o, sizeof(body) - o, "%s%s="
		    "%%22%%3E%%3Cscript%%3Ealert(1)%%3C%%2Fscript%%3E"
		    "%%27%%26amp%%3B", i > 0 ? "&" : "", fields[i]);

		ck_assert(n > 0 && (size_t)n < sizeof(body) - o);
		o += (size_t)n;
	}
	post_form(body, o, &rp);
	ck_assert_int_eq(rp.status, 422);
	ck_assert(strcasestr(rp.body, "<script") == NULL);
	ck_assert(!has(&rp, "'&amp;\""));
	ck_assert(has(&rp, "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
	    "&#39;&amp;amp;"));
	ck_assert(has(&rp, "id=\"err-postcode\""));
	daemon_reply_free(&rp);
	ck_assert_uint_eq(outbox_count(), before);
}
END_TEST

/* ---- the outbox --------------------------------------------------- */

static void
ack(const char *auth, const char *ctype, const char *body,
    struct daemon_reply *rp)
{
	struct daemon_req rq;
	char u[256], h[400];
	const char *hdrs[2] = { NULL, NULL };

	url(u, sizeof(u), "/outbox/ack");
	memset(&rq, 0, sizeof(rq));
	rq.url = u;
	rq.content_type = ctype;
	rq.body = body;
	rq.body_len = strlen(body);
	if (auth != NULL) {
		ck_assert_int_ge(str_printf(h, sizeof(h), "Authorization: %s",
		    auth), 0);
		hdrs[0] = h;
		rq.headers = hdrs;
	}
	ck_assert_int_eq(daemon_request(&rq, rp), 0);
}

START_TEST(test_outbox)
{
	struct daemon_reply rp;
	char v[128], body[64];
	json_t *rows;
	long long id;
	size_t before;

	post_str(GOOD_BODY "&idem=outbox-1", &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);

	outbox_get("/outbox", NULL, &rp);
	ck_assert_int_eq(rp.status, 401);
	ck_assert_int_eq(daemon_reply_header(&rp, "WWW-Authenticate", v,
	    sizeof(v)), 0);
	daemon_reply_free(&rp);
	outbox_get("/outbox", "Basic Zm9vOmJhcg==", &rp);
	ck_assert_int_eq(rp.status, 401);
	daemon_reply_free(&rp);
	outbox_get("/outbox", "Bearer wrong-token-but-long-enough", &rp);
	ck_assert_int_eq(rp.status, 403);
	ck_assert(!has(&rp, "sealed"));
	daemon_reply_free(&rp);
	{
		/* The right token with one character more: still wrong. */
		char longer[300];

		ck_assert_int_ge(str_printf(longer, sizeof(longer), "%sx",
		    bearer()), 0);
		outbox_get("/outbox", longer, &rp);
		ck_assert_int_eq(rp.status, 403);
		daemon_reply_free(&rp);
	}
	outbox_get("/outbox?limit=0", bearer(), &rp);
	ck_assert_int_eq(rp.status, 400);
	daemon_reply_free(&rp);
	outbox_get("/outbox?limit=501", bearer(), &rp);
	ck_assert_int_eq(rp.status, 400);
	daemon_reply_free(&rp);
	outbox_get("/outbox?after=-1", bearer(), &rp);
	ck_assert_int_eq(rp.status, 400);
	daemon_reply_free(&rp);
	outbox_get("/outbox?after=0&limit=1", bearer(), &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_int_eq(daemon_reply_header(&rp, "Content-Type", v,
	    sizeof(v)), 0);
	ck_assert_str_eq(v, "application/json");
	daemon_reply_free(&rp);

	rows = outbox_rows();
	before = json_array_size(rows);
	ck_assert_uint_ge(before, 1);
	id = (long long)json_integer_value(json_object_get(json_array_get(rows,
	    before - 1), "id"));
	json_decref(rows);
	{
		/* after= skips what the console saw. */
		char q[64];
		json_error_t jerr;
		json_t *root;

		ck_assert_int_ge(str_printf(q, sizeof(q), "/outbox?after=%lld",
		    id), 0);
		outbox_get(q, bearer(), &rp);
		ck_assert_int_eq(rp.status, 200);
		root = json_loadb(rp.body, rp.body_len, 0, &jerr);
		ck_assert_ptr_nonnull(root);
		ck_assert_uint_eq(json_array_size(json_object_get(root,
		    "orders")), 0);
		json_decref(root);
		daemon_reply_free(&rp);
	}

	ck_assert_int_ge(str_printf(body, sizeof(body), "{\"ids\":[%lld]}",
	    id), 0);
	ack(NULL, "application/json", body, &rp);
	ck_assert_int_eq(rp.status, 401);
	daemon_reply_free(&rp);
	ack("Bearer nope-nope-nope-nope", "application/json", body, &rp);
	ck_assert_int_eq(rp.status, 403);
	daemon_reply_free(&rp);
	ack(bearer(), "text/plain", body, &rp);
	ck_assert_int_eq(rp.status, 415);
	daemon_reply_free(&rp);
	ack(bearer(), "application/json", "{\"ids\":[\"1\"]}", &rp);
	ck_assert_int_eq(rp.status, 400);
	daemon_reply_free(&rp);
	ack(bearer(), "application/json", "{\"ids\":[0]}", &rp);
	ck_assert_int_eq(rp.status, 400);
	daemon_reply_free(&rp);
	ack(bearer(), "application/json", "not json", &rp);
	ck_assert_int_eq(rp.status, 400);
	daemon_reply_free(&rp);
	ck_assert_uint_eq(outbox_count(), before);

	ack(bearer(), "application/json", body, &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_str_eq(rp.body, "{\"acked\":1}");
	daemon_reply_free(&rp);
	ck_assert_uint_eq(outbox_count(), before - 1);
	/* Acknowledging again is harmless. */
	ack(bearer(), "application/json", body, &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
	ck_assert_uint_eq(outbox_count(), before - 1);
}
END_TEST

/* ---- a daemon of its own: limits, logs, privileges, SIGTERM -------- */

static void
get_from(const char *path, const char *source, struct daemon_reply *rp)
{
	struct daemon_req rq;
	char u[256];

	url(u, sizeof(u), path);
	memset(&rq, 0, sizeof(rq));
	rq.url = u;
	rq.source = source;
	ck_assert_int_eq(daemon_request(&rq, rp), 0);
}

START_TEST(test_rate_limit_and_stop)
{
	struct daemon_reply rp;
	int st = -1, got429 = 0;
	char v[64], u[256];

	ck_assert_int_eq(daemon_config_set(dir, "limits", "web_per_minute",
	    "5"), 0);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "orders_per_hour",
	    "2"), 0);
	ck_assert_int_eq(daemon_start(&d, dir, "intake", NULL, NULL), 0);

	/* A flood from 127.0.0.1. */
	for (int i = 0; i < 12; i++) {
		get_from("/?lang=es", "127.0.0.1", &rp);
		ck_assert(rp.status == 200 || rp.status == 429);
		if (rp.status == 429) {
			got429++;
			ck_assert_int_eq(daemon_reply_header(&rp,
			    "Retry-After", v, sizeof(v)), 0);
			{
				long secs = 0;

				ck_assert_int_eq(parse_long(v, 1, 60, &secs),
				    0);
			}
			ck_assert_int_eq(daemon_reply_header(&rp,
			    "Content-Type", v, sizeof(v)), 0);
			ck_assert_str_eq(v, "text/plain; charset=utf-8");
		}
		daemon_reply_free(&rp);
	}
	ck_assert_int_ge(got429, 6);
	/* /healthz still answers that address, others are not slowed. */
	get_from("/healthz", "127.0.0.1", &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
	get_from("/", "127.0.0.2", &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);

	/* Orders: two an hour from 127.0.0.3, the third refused. */
	url(u, sizeof(u), "/order");
	for (int i = 0; i < 3; i++) {
		struct daemon_req rq;
		char body[1024];

		ck_assert_int_ge(str_printf(body, sizeof(body),
		    "%s&idem=rate-%d", GOOD_BODY, i), 0);
		memset(&rq, 0, sizeof(rq));
		rq.url = u;
		rq.source = "127.0.0.3";
		rq.content_type = "application/x-www-form-urlencoded";
		rq.body = body;
		rq.body_len = strlen(body);
		ck_assert_int_eq(daemon_request(&rq, &rp), 0);
		ck_assert_int_eq(rp.status, i < 2 ? 200 : 429);
		daemon_reply_free(&rp);
	}

	/* Logs: route, status and time; no query, no personal data. */
	ck_assert(daemon_log_contains(&d, "intake: GET / 200"));
	ck_assert(daemon_log_contains(&d, "intake: GET / 429"));
	ck_assert(daemon_log_contains(&d, "intake: POST /order 200"));
	ck_assert(!daemon_log_contains(&d, "lang=es"));
	ck_assert(!daemon_log_contains(&d, "?"));
	ck_assert(!daemon_log_contains(&d, PSEUDO));
	ck_assert(!daemon_log_contains(&d, "Oliviers"));
	ck_assert(!daemon_log_contains(&d, "127.0.0.3"));
	if (geteuid() == 0) {
		/* Root: it dropped to nobody and kept working. */
		char path[64], *status;
		size_t len = 0;

		ck_assert(daemon_log_contains(&d, "running as user nobody"));
		ck_assert_int_ge(str_printf(path, sizeof(path),
		    "/proc/%ld/status", (long)d.pid), 0);
		status = testutil_slurp(path, &len);
		ck_assert_ptr_nonnull(status);
		ck_assert_ptr_nonnull(strstr(status, "Uid:\t65534\t65534\t"
		    "65534\t65534"));
		ck_assert_ptr_nonnull(strstr(status, "NoNewPrivs:\t1"));
		free(status);
	} else {
		ck_assert(daemon_log_contains(&d, "not started as root"));
	}

	ck_assert_int_eq(daemon_stop(&d, &st), 0);
	ck_assert_int_eq(st, 0);
	ck_assert(daemon_log_contains(&d, "stopping"));
}
END_TEST

START_TEST(test_start_failures)
{
	struct daemon_reply rp;
	struct daemon_proc other;
	char cmd[DAEMON_PATH_MAX + 128];
	int st;

	/* The port is taken: a clear error, exit 1. */
	ck_assert_int_eq(daemon_start(&d, dir, "intake", NULL, NULL), 0);
	memset(&other, 0, sizeof(other));
	ck_assert_int_ge(str_printf(cmd, sizeof(cmd), "%s -d %s intake "
	    "--listen 127.0.0.1:%u 2>/dev/null", daemon_bin(), dir,
	    (unsigned)d.port), 0);
	st = system(cmd);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	ck_assert_int_ge(str_printf(cmd, sizeof(cmd), "%s -d %s intake "
	    "--listen nonsense 2>/dev/null", daemon_bin(), dir), 0);
	st = system(cmd);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	ck_assert_int_ge(str_printf(cmd, sizeof(cmd), "%s -d %s intake "
	    "extra 2>/dev/null", daemon_bin(), dir), 0);
	st = system(cmd);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	/* The first one still serves; SIGINT stops it too. */
	get_lang("/healthz", NULL, &rp);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
	ck_assert_int_eq(kill(d.pid, SIGINT), 0);
	for (int i = 0; i < 200 && d.pid != 0; i++) {
		int ws = 0;

		if (waitpid(d.pid, &ws, WNOHANG) == d.pid) {
			ck_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
			d.pid = 0;
		}
		usleep(50000);
	}
	ck_assert_int_eq(d.pid, 0);

	/* IPv6: --listen [::1]:PORT. */
	{
		char listen6[64], url6[96];
		uint16_t port = daemon_free_port();
		pid_t pid;
		int ws = 0;
		long status = 0;

		ck_assert_uint_gt(port, 0);
		ck_assert_int_ge(str_printf(listen6, sizeof(listen6),
		    "[::1]:%u", (unsigned)port), 0);
		ck_assert_int_ge(str_printf(url6, sizeof(url6),
		    "http://[::1]:%u/healthz", (unsigned)port), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			const char *argv[] = { daemon_bin(), "-d", dir,
			    "intake", "--listen", listen6, NULL };
			int null = open("/dev/null", O_WRONLY);

			(void)dup2(null, 1);
			(void)dup2(null, 2);
			execv(argv[0], (char *const *)argv);
			_exit(127);
		}
		for (int i = 0; i < 200 && status != 200; i++) {
			ck_assert_int_eq(waitpid(pid, &ws, WNOHANG), 0);
			(void)daemon_get(url6, &rp);
			status = rp.status;
			daemon_reply_free(&rp);
			usleep(50000);
		}
		ck_assert_int_eq(status, 200);
		ck_assert_int_eq(kill(pid, SIGTERM), 0);
		ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
		ck_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	}
}
END_TEST

static Suite *
intake_suite(void)
{
	Suite *s = suite_create("intake");
	TCase *tc = tcase_create("daemon");
	TCase *own = tcase_create("own daemon");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_form_languages);
	tcase_add_test(tc, test_form_lang_choice);
	tcase_add_test(tc, test_style_and_errors);
	tcase_add_test(tc, test_order_good);
	tcase_add_test(tc, test_order_poste_restante);
	tcase_add_test(tc, test_double_submit);
	tcase_add_test(tc, test_bad_sizes);
	tcase_add_test(tc, test_bad_encoding);
	tcase_add_test(tc, test_bad_fields);
	tcase_add_test(tc, test_bad_content_type);
	tcase_add_test(tc, test_html_escaped);
	tcase_add_test(tc, test_outbox);
	suite_add_tcase(s, tc);

	tcase_set_timeout(own, 120);
	tcase_add_checked_fixture(own, state_only_setup, state_only_teardown);
	tcase_add_test(own, test_rate_limit_and_stop);
	tcase_add_test(own, test_start_failures);
	suite_add_tcase(s, own);
	return s;
}

CHECK_MAIN(intake_suite)
