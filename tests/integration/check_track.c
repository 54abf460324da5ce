/*
 * Carrier tracking end to end: the real hrpost binary polls a La Poste
 * Suivi v2 stand-in, a libmicrohttpd server on a free loopback port run
 * by this suite, that answers from tests/fixtures/laposte/ the way the
 * API does (one number: 200, 404 with 104 or 105, 400; several: a 200
 * array or a 207 of unitary answers; 401 for a wrong X-Okapi-Key, 400 for
 * a wrong lang), and can be told to answer 429 (with Retry-After), a
 * malformed body, wrong types or a body over the 1 MiB limit.  Parcels
 * are made through the real CLI (init --demo, stock add, order add, pack,
 * ship --carrier-id) with $HRPOST_NOW, then `hrpost track` runs and the
 * suite checks what moved (queue, centre.db), what was said (stderr,
 * --format json/table), what the server saw (key, lang, ids a request,
 * number of requests), that nothing changed on a failed round, and that
 * the audit chain verifies afterwards.  `hrpost delivered` and
 * `hrpost returned` are run by hand on every status.
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "base/util.h"
#include "shipping/tracking.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define OUT_MAX (1 << 20)
#define KEY "okapi-test-key-5f1c0d2e9a"
#define SHIP_TIME "2026-03-02T08:00:00Z"
#define TRACK_TIME "2026-03-06T12:00:00Z"
#define FIXTURES_MAX 64
#define HUGE_BODY (2 * 1024 * 1024)
#define REQ_LOG_MAX 64

#define ID_DI1 "6A18395701001"
#define ID_DI2 "6A18395701002"
#define ID_RE1 "6A18395701003"
#define ID_ET2 "6A18395701004"
#define ID_MD2 "6A18395701005"
#define ID_AG1 "6A18395701006"
#define ID_ND1 "6A18395701007"
#define ID_ZZ9 "6A18395701008"
#define ID_104 "6A18395701009"
#define ID_105 "6A18395701010"
#define ID_400 "6A18395701011"
#define ID_DO1 "CB662173705US"

/* ---- running hrpost ---- */

struct result {
	int status;
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static char dir[4096];
static struct result r;
static const char *now_env = "HRPOST_NOW=" SHIP_TIME;

/*
 * hrpost -d dir ARGS... (NULL-terminated), stdin /dev/null, HRPOST_NOW
 * from now_env (daemon_cli()).
 */
static int
run_argv(const char *const *args)
{
	const char *env[] = { now_env, NULL };

	r.status = daemon_cli(dir, args, env, r.out, sizeof(r.out), r.err,
	    sizeof(r.err));
	ck_assert_msg(r.status != -1, "could not run %s", daemon_bin());
	return r.status;
}

#define run(...) run_argv((const char *const[]){ __VA_ARGS__, NULL })

/* ---- the La Poste stand-in ---- */

enum srv_mode {
	SRV_NORMAL,
	SRV_MALFORMED,		/* bad-truncated.json, 200 */
	SRV_WRONG_TYPES,	/* bad-returncode-string.json, 200 */
	SRV_HUGE,		/* 2 MiB of valid JSON padding, 200 */
};

struct fixture {
	char id[TRACKING_ID_BYTES];
	int return_code;
	char *text;
};

static struct {
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_mutex_t lock;
	struct fixture fx[FIXTURES_MAX];
	size_t nfx;
	char *malformed;
	char *wrong_types;
	char *unauthorized;
	char *quota;
	/* how to answer */
	enum srv_mode mode;
	char lang[8];		/* the lang expected */
	int quota_left;		/* 429 this many times first */
	char retry_after[16];	/* "" : no Retry-After */
	/* what came in */
	int requests;
	int ids_in[REQ_LOG_MAX];	/* numbers in each request */
	int bad_key;
	int bad_lang;
	int asked_104;		/* times ID_104 was asked about */
} srv;

static char *
read_fixture(const char *name)
{
	char rel[256];
	char *text;
	size_t len;

	ck_assert_int_ge(str_printf(rel, sizeof(rel), "../fixtures/laposte/%s",
	    name), 0);
	text = testutil_slurp(testutil_data(rel), &len);
	ck_assert_msg(text != NULL, "fixture %s missing", name);
	return text;
}

/* Index every unitary fixture (not bad-*) by the number it answers. */
static void
load_fixtures(void)
{
	char path[4096];
	struct dirent *e;
	DIR *d;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s",
	    testutil_data("../fixtures/laposte")), 0);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	for (;;) {
		json_t *root, *id, *sh, *rc;
		json_error_t jerr;
		char *text;

		e = readdir(d);
		if (e == NULL)
			break;
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0 ||
		    strncmp(e->d_name, "bad-", 4) == 0)
			continue;
		text = read_fixture(e->d_name);
		root = json_loads(text, 0, &jerr);
		ck_assert_msg(root != NULL, "%s: %s", e->d_name, jerr.text);
		sh = json_object_get(root, "shipment");
		id = sh != NULL ? json_object_get(sh, "idShip") :
		    json_object_get(root, "idShip");
		rc = json_object_get(root, "returnCode");
		if (!json_is_object(root) || !json_is_string(id) ||
		    !json_is_integer(rc)) {
			json_decref(root);
			free(text);
			continue;
		}
		ck_assert_uint_lt(srv.nfx, FIXTURES_MAX);
		ck_assert_int_eq(str_copy(srv.fx[srv.nfx].id,
		    sizeof(srv.fx[0].id), json_string_value(id)), 0);
		srv.fx[srv.nfx].return_code = (int)json_integer_value(rc);
		srv.fx[srv.nfx].text = text;
		srv.nfx++;
		json_decref(root);
	}
	closedir(d);
	ck_assert_uint_ge(srv.nfx, 12);
	srv.malformed = read_fixture("bad-truncated.json");
	srv.wrong_types = read_fixture("bad-returncode-string.json");
	srv.unauthorized = read_fixture("401-unauthorized.json");
	srv.quota = read_fixture("429-quota.json");
}

static const struct fixture *
fixture_for(const char *id)
{
	for (size_t i = 0; i < srv.nfx; i++)
		if (strcmp(srv.fx[i].id, id) == 0)
			return &srv.fx[i];
	return NULL;
}

/* A growing answer body. */
struct body {
	char *p;
	size_t len, cap;
};

static void
body_add(struct body *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

/*
 * What La Poste answers for the numbers in @list: one number, its own
 * status (200, 404 for 104/105, 400); several, a 200 array when all are
 * found, else a 207 array, except a 400 for a number it refuses, which
 * refuses the request.  A number without fixture is "not yet" (104).
 */
static int
compose(char *list, struct body *b)
{
	char *ids[16], *p = list, unit[512];
	size_t n = 0;
	int status = 200;
	bool all_found = true;

	for (;;) {
		char *comma = strchr(p, ',');

		if (n == ARRAY_LEN(ids))
			return 400;
		ids[n++] = p;
		if (comma == NULL)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	if (srv.requests - 1 < REQ_LOG_MAX)
		srv.ids_in[srv.requests - 1] = (int)n;
	for (size_t i = 0; i < n; i++) {
		const struct fixture *f = fixture_for(ids[i]);
		size_t k = strlen(ids[i]);

		if (strcmp(ids[i], ID_104) == 0)
			srv.asked_104++;
		if (k < 11 || k > 15 || strspn(ids[i], "ABCDEFGHIJKLMNOPQRSTU"
		    "VWXYZ0123456789") != k) {
			b->len = 0;
			body_add(b, "{\"lang\":\"fr_FR\",\"scope\":\"open\","
			    "\"returnCode\":400,\"returnMessage\":\"Le num\xc3"
			    "\xa9ro n'est pas valide.\"}");
			return 400;
		}
		if (f != NULL && f->return_code == 400) {
			b->len = 0;
			body_add(b, f->text);
			return 400;
		}
		if (f == NULL || f->return_code != 200)
			all_found = false;
	}
	if (n > 1)
		body_add(b, "[");
	for (size_t i = 0; i < n; i++) {
		const struct fixture *f = fixture_for(ids[i]);

		if (i > 0)
			body_add(b, ",");
		if (f != NULL) {
			body_add(b, f->text);
			if (n == 1 && f->return_code != 200)
				status = 404;
			continue;
		}
		ck_assert_int_ge(str_printf(unit, sizeof(unit), "{\"lang\":"
		    "\"fr_FR\",\"scope\":\"open\",\"returnCode\":104,"
		    "\"returnMessage\":\"Votre suivi n'est pas encore "
		    "disponible.\",\"idShip\":\"%s\"}", ids[i]), 0);
		body_add(b, unit);
		if (n == 1)
			status = 404;
	}
	if (n > 1) {
		body_add(b, "]");
		status = all_found ? 200 : 207;
	}
	return status;
}

static enum MHD_Result
srv_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	static const char prefix[] = "/suivi/v2/idships/";
	struct MHD_Response *resp;
	struct body b = { NULL, 0, 0 };
	const char *key, *lang, *accept;
	char list[512];
	enum MHD_Result ret;
	bool quota = false;
	int status;

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "X-Okapi-Key");
	lang = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "lang");
	accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	pthread_mutex_lock(&srv.lock);
	srv.requests++;
	body_add(&b, "");
	if (strcmp(method, "GET") != 0 || strncmp(url, prefix,
	    sizeof(prefix) - 1) != 0 || str_copy(list, sizeof(list),
	    url + sizeof(prefix) - 1) != 0 || accept == NULL ||
	    strcmp(accept, "application/json") != 0) {
		status = 404;
		body_add(&b, "{\"code\":\"NOT_FOUND\"}");
	} else if (key == NULL || strcmp(key, KEY) != 0) {
		srv.bad_key++;
		status = 401;
		body_add(&b, srv.unauthorized);
	} else if (lang == NULL || strcmp(lang, srv.lang) != 0) {
		srv.bad_lang++;
		status = 400;
		body_add(&b, "{\"returnCode\":400,\"returnMessage\":\"lang\"}");
	} else if (srv.quota_left > 0) {
		srv.quota_left--;
		quota = true;
		status = 429;
		body_add(&b, srv.quota);
	} else if (srv.mode == SRV_MALFORMED) {
		status = 200;
		body_add(&b, srv.malformed);
	} else if (srv.mode == SRV_WRONG_TYPES) {
		status = 200;
		body_add(&b, srv.wrong_types);
	} else if (srv.mode == SRV_HUGE) {
		status = 200;
		body_add(&b, "[");
		while (b.len < HUGE_BODY)
			body_add(&b, "                                ");
		body_add(&b, "]");
	} else {
		status = compose(list, &b);
	}
	pthread_mutex_unlock(&srv.lock);
	resp = MHD_create_response_from_buffer(b.len, b.p,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(b.p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (quota && srv.retry_after[0] != '\0')
		MHD_add_response_header(resp, "Retry-After", srv.retry_after);
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
srv_start(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.lock, NULL);
	load_fixtures();
	(void)!str_copy(srv.lang, sizeof(srv.lang), "fr_FR");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
	    NULL, srv_handler, NULL, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&sa, MHD_OPTION_END);
	ck_assert_msg(srv.d != NULL, "the La Poste stand-in did not start");
	info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	srv.port = info->port;
}

static void
srv_stop(void)
{
	MHD_stop_daemon(srv.d);
	srv.d = NULL;
	for (size_t i = 0; i < srv.nfx; i++)
		free(srv.fx[i].text);
	free(srv.malformed);
	free(srv.wrong_types);
	free(srv.unauthorized);
	free(srv.quota);
	pthread_mutex_destroy(&srv.lock);
}

static int
srv_requests(void)
{
	int n;

	pthread_mutex_lock(&srv.lock);
	n = srv.requests;
	pthread_mutex_unlock(&srv.lock);
	return n;
}

/* ---- state ---- */

static void
conf(const char *section, const char *key, const char *value)
{
	ck_assert_msg(daemon_config_set(dir, section, key, value) == 0,
	    "config %s.%s", section, key);
}

static void
setup(void)
{
	const char *t = testutil_mkdtemp();
	char url[128];

	ck_assert_ptr_nonnull(t);
	ck_assert_int_ge(str_printf(dir, sizeof(dir), "%s/var", t), 0);
	now_env = "HRPOST_NOW=" SHIP_TIME;
	ck_assert_msg(run("init", "--demo") == 0, "init: %s", r.err);
	srv_start();
	ck_assert_int_ge(str_printf(url, sizeof(url),
	    "http://127.0.0.1:%u/suivi/v2", srv.port), 0);
	conf("laposte", "url", url);
	conf("laposte", "key", KEY);
	ck_assert_msg(run("stock", "add", "BOX1L", "--lot", "L1", "--qty",
	    "500") == 0, "stock add: %s", r.err);
}

static void
teardown(void)
{
	char *slash;

	srv_stop();
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		testutil_rmtree(dir);
	}
}

/* A parcel shipped with carrier id @cid; its reference into @ref. */
static void
ship(const char *cid, char ref[16])
{
	size_t n;

	now_env = "HRPOST_NOW=" SHIP_TIME;
	ck_assert_msg(run("order", "add", "--pseudonym", "Alex", "--line",
	    "3 rue des Tanneurs", "--postcode", "12100", "--commune",
	    "Millau", "--pack", "SHARPS", "--lang", "fr") == 0,
	    "order add: %s", r.err);
	n = strlen(r.out);
	ck_assert_uint_gt(n, 1);
	ck_assert_uint_lt(n, 16);
	memcpy(ref, r.out, n - 1);
	ref[n - 1] = '\0';
	ck_assert_msg(run("pack", ref) == 0, "pack: %s", r.err);
	if (cid != NULL)
		ck_assert_msg(run("ship", ref, "--carrier-id", cid) == 0,
		    "ship: %s", r.err);
	else
		ck_assert_msg(run("ship", ref) == 0, "ship: %s", r.err);
}

static int
track(const char *format)
{
	now_env = "HRPOST_NOW=" TRACK_TIME;
	if (format != NULL)
		return run("track", "--format", format);
	return run("track");
}

/* One integer from centre.db (@arg bound as ?1 when not NULL). */
static long long
db_int(const char *sql, const char *arg)
{
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static long long
epoch(const char *iso)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	ck_assert_ptr_nonnull(end);
	return (long long)timegm(&tm);
}

/* One text from centre.db, @arg bound as ?1. */
static void
db_text(const char *sql, const char *arg, char *out, size_t outsz)
{
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	const unsigned char *t;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	t = sqlite3_column_text(s, 0);
	ck_assert_int_eq(str_copy(out, outsz, t != NULL ? (const char *)t :
	    ""), 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* "ORDER/PARCEL" statuses of @ref ("-" when it has no parcel). */
static const char *
order_status(const char *ref)
{
	static char st[32];

	db_text("SELECT o.status || '/' || coalesce(p.status, '-') FROM "
	    "orders o LEFT JOIN parcels p ON p.order_id = o.id WHERE "
	    "o.ref = ?1", ref, st, sizeof(st));
	return st;
}

static void
audit_ok(void)
{
	ck_assert_msg(run("audit", "verify") == 0, "audit verify: %s", r.err);
}

/* The object of @arr whose "ref" is @ref. */
static json_t *
by_ref(json_t *arr, const char *ref)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o) {
		if (strcmp(json_string_value(json_object_get(o, "ref")), ref) ==
		    0)
			return o;
	}
	ck_abort_msg("no line for %s", ref);
	return NULL;
}

static const char *
field(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	ck_assert_ptr_nonnull(s);
	return s;
}

static int
count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(text, needle); p != NULL;
	    p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---- the tests ---- */

START_TEST(test_every_outcome)
{
	static const char *const ids[] = {
		ID_DI1, ID_DI2, ID_RE1, ID_ET2, ID_MD2, ID_AG1, ID_ND1,
		ID_ZZ9, ID_104, ID_105, ID_400, ID_DO1,
	};
	char refs[ARRAY_LEN(ids)][16], line[128];
	json_error_t jerr;
	json_t *arr, *o;

	for (size_t i = 0; i < ARRAY_LEN(ids); i++)
		ship(ids[i], refs[i]);
	ck_assert_int_eq(track("json"), 0);
	arr = json_loads(r.out, 0, &jerr);
	ck_assert_msg(arr != NULL, "stdout is not JSON: %s", r.out);
	ck_assert_uint_eq(json_array_size(arr), ARRAY_LEN(ids));

	o = by_ref(arr, refs[0]);
	ck_assert_str_eq(field(o, "result"), "delivered");
	ck_assert_str_eq(field(o, "code"), "DI1");
	ck_assert_str_eq(field(o, "carrier_id"), ID_DI1);
	ck_assert_str_eq(field(o, "date"), "2026-03-04T10:42:00Z");
	ck_assert_str_eq(order_status(refs[0]), "delivered/delivered");
	ck_assert_int_eq(db_int("SELECT p.delivered_at FROM parcels p JOIN "
	    "orders o ON o.id = p.order_id WHERE o.ref = ?1", refs[0]),
	    epoch("2026-03-04T10:42:00Z"));

	/* DI2 and RE1: returned (isFinal is true for DI2 as for DI1). */
	ck_assert_str_eq(field(by_ref(arr, refs[1]), "result"), "returned");
	ck_assert_str_eq(order_status(refs[1]), "returned/returned");
	ck_assert_int_eq(db_int("SELECT p.returned_at FROM parcels p JOIN "
	    "orders o ON o.id = p.order_id WHERE o.ref = ?1", refs[1]),
	    epoch("2026-03-05T14:20:00Z"));
	ck_assert_str_eq(field(by_ref(arr, refs[2]), "result"), "returned");
	ck_assert_str_eq(order_status(refs[2]), "returned/returned");

	/* In transit (ND1 with isFinal true too), unknown code, 104. */
	for (size_t i = 3; i <= 8; i++) {
		o = by_ref(arr, refs[i]);
		ck_assert_str_eq(field(o, "result"), "unchanged");
		ck_assert_str_eq(order_status(refs[i]), "shipped/shipped");
	}
	ck_assert_str_eq(field(by_ref(arr, refs[3]), "code"), "ET2");
	ck_assert_str_eq(field(by_ref(arr, refs[6]), "code"), "ND1");
	ck_assert_str_eq(field(by_ref(arr, refs[7]), "code"), "ZZ9");
	o = by_ref(arr, refs[8]);
	ck_assert_str_eq(field(o, "result"), "unchanged");
	ck_assert_ptr_nonnull(strstr(field(o, "reason"), "104"));
	ck_assert_str_eq(order_status(refs[8]), "shipped/shipped");
	o = by_ref(arr, refs[11]);
	ck_assert_str_eq(field(o, "result"), "unchanged");
	ck_assert_str_eq(field(o, "code"), "DO1");
	/* 105 unknown to La Poste, 400 refused: errors, unchanged. */
	ck_assert_str_eq(field(by_ref(arr, refs[9]), "result"), "error");
	ck_assert_str_eq(field(by_ref(arr, refs[10]), "result"), "error");
	ck_assert_str_eq(order_status(refs[9]), "shipped/shipped");
	ck_assert_str_eq(order_status(refs[10]), "shipped/shipped");
	json_decref(arr);

	/* The unknown code: one line, the code and the parcel only. */
	ck_assert_int_ge(str_printf(line, sizeof(line), "unknown La Poste "
	    "event code ZZ9 for parcel %s\n", refs[7]), 0);
	ck_assert_int_eq(count_lines(r.err, line), 1);
	ck_assert_int_eq(count_lines(r.err, "unknown La Poste"), 1);
	ck_assert_ptr_null(strstr(r.err, "nouveau"));
	/* Errors named per parcel; La Poste's texts never repeated. */
	ck_assert_ptr_nonnull(strstr(r.err, refs[9]));
	ck_assert_ptr_nonnull(strstr(r.err, refs[10]));
	ck_assert_ptr_null(strstr(r.err, "saisi"));
	ck_assert_ptr_null(strstr(r.err, KEY));
	ck_assert_msg(strstr(r.err, "track: 12 polled, 1 delivered, 2 "
	    "returned, 7 unchanged, 2 errors (3 requests)") != NULL, "%s",
	    r.err);

	/*
	 * What the server saw: the first 10 (a 207: found, 104, 105), then
	 * the last 2, refused (400) for ID_400, asked again without it; the
	 * key and lang each time.
	 */
	ck_assert_int_eq(srv_requests(), 3);
	ck_assert_int_eq(srv.ids_in[0], 10);
	ck_assert_int_eq(srv.ids_in[1], 2);
	ck_assert_int_eq(srv.ids_in[2], 1);
	ck_assert_int_eq(srv.bad_key, 0);
	ck_assert_int_eq(srv.bad_lang, 0);
	audit_ok();
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.delivered' AND detail = 'laposte DI1 "
	    "2026-03-04T10:42:00Z'", NULL), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.returned'", NULL), 2);

	/* Next round: the 104 parcel is asked again, moved ones are not. */
	ck_assert_int_eq(track(NULL), 0);
	ck_assert_str_eq(r.out, "");
	ck_assert_ptr_nonnull(strstr(r.err, "track: 9 polled, 0 delivered, "
	    "0 returned, 7 unchanged, 2 errors"));
	/* 9 numbers, refused for ID_400, then 8: ID_104 in both. */
	ck_assert_int_eq(srv_requests(), 5);
	ck_assert_int_eq(srv.ids_in[3], 9);
	ck_assert_int_eq(srv.ids_in[4], 8);
	ck_assert_int_eq(srv.asked_104, 3);
	audit_ok();
}
END_TEST

START_TEST(test_batches_of_ten)
{
	char ref[16], cid[16];

	for (int i = 0; i < 23; i++) {
		ck_assert_int_ge(str_printf(cid, sizeof(cid), "8K%011d",
		    1000 + i), 0);
		ship(cid, ref);
	}
	/* A parcel shipped without carrier id is not asked about. */
	ship(NULL, ref);
	conf("laposte", "lang", "en_GB");
	(void)!str_copy(srv.lang, sizeof(srv.lang), "en_GB");
	ck_assert_int_eq(track("table"), 0);
	ck_assert_int_eq(srv_requests(), 3);
	ck_assert_int_eq(srv.ids_in[0], 10);
	ck_assert_int_eq(srv.ids_in[1], 10);
	ck_assert_int_eq(srv.ids_in[2], 3);
	ck_assert_int_eq(srv.bad_lang, 0);
	ck_assert_ptr_nonnull(strstr(r.err, "track: 23 polled, 0 delivered, "
	    "0 returned, 23 unchanged, 0 errors (3 requests)"));
	/* The table: a header and one line a parcel. */
	ck_assert_int_eq(count_lines(r.out, "\n"), 24);
	ck_assert_int_eq(strncmp(r.out, "REF", 3), 0);
	ck_assert_int_eq(count_lines(r.out, " unchanged "), 23);
	ck_assert_str_eq(order_status(ref), "shipped/shipped");
	audit_ok();
}
END_TEST

START_TEST(test_quota_back_off)
{
	char ref[16];

	ship(ID_DI1, ref);
	srv.quota_left = 1;
	(void)!str_copy(srv.retry_after, sizeof(srv.retry_after), "1");
	ck_assert_msg(track(NULL) == 0, "%s", r.err);
	ck_assert_int_eq(srv_requests(), 2);
	ck_assert_str_eq(order_status(ref), "delivered/delivered");

	/* Always over quota, asked to wait an hour: stop, exit 1. */
	ship(ID_ET2, ref);
	srv.quota_left = 100;
	(void)!str_copy(srv.retry_after, sizeof(srv.retry_after), "3600");
	ck_assert_int_eq(track(NULL), 1);
	ck_assert_int_eq(srv_requests(), 3);
	ck_assert_ptr_nonnull(strstr(r.err, "429"));
	ck_assert_str_eq(order_status(ref), "shipped/shipped");
	audit_ok();
}
END_TEST

START_TEST(test_refused_key)
{
	char ref[16];
	long long audit;

	ship(ID_DI1, ref);
	audit = db_int("SELECT count(*) FROM audit", NULL);
	conf("laposte", "key", "not-the-right-key");
	ck_assert_int_eq(track(NULL), 1);
	ck_assert_int_eq(srv.bad_key, 1);
	ck_assert_int_eq(srv_requests(), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "refused the key"));
	ck_assert_ptr_null(strstr(r.err, "not-the-right-key"));
	ck_assert_str_eq(order_status(ref), "shipped/shipped");
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit", NULL), audit);

	/* No key at all: no request, exit 1, a clear way out. */
	conf("laposte", "key", "");
	ck_assert_int_eq(track(NULL), 1);
	ck_assert_int_eq(srv_requests(), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "[laposte] key"));
	ck_assert_ptr_nonnull(strstr(r.err, "hrpost delivered REF"));
}
END_TEST

START_TEST(test_bad_answers_change_nothing)
{
	static const enum srv_mode modes[] = {
		SRV_MALFORMED, SRV_WRONG_TYPES, SRV_HUGE,
	};
	static const char *const says[] = {
		"malformed JSON", "returnCode", "larger than",
	};
	char a[16], b[16];
	long long audit;

	ship(ID_DI1, a);
	ship(ID_RE1, b);
	audit = db_int("SELECT count(*) FROM audit", NULL);
	for (size_t i = 0; i < ARRAY_LEN(modes); i++) {
		srv.mode = modes[i];
		ck_assert_int_eq(track("json"), 1);
		ck_assert_msg(strstr(r.err, says[i]) != NULL, "%s", r.err);
		ck_assert_str_eq(r.out, "");
		ck_assert_str_eq(order_status(a), "shipped/shipped");
		ck_assert_str_eq(order_status(b), "shipped/shipped");
		ck_assert_int_eq(db_int("SELECT count(*) FROM audit", NULL),
		    audit);
	}
	ck_assert_int_eq(srv_requests(), 3);
	/* Nobody listening: exit 1 too. */
	srv.mode = SRV_NORMAL;
	conf("laposte", "url", "http://127.0.0.1:1/suivi/v2");
	ck_assert_int_eq(track(NULL), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "cannot reach La Poste"));
	audit_ok();
}
END_TEST

START_TEST(test_by_hand)
{
	char a[16], b[16], c[16], token[32];
	size_t n;

	ship(ID_DI1, a);
	ship(NULL, b);
	now_env = "HRPOST_NOW=" TRACK_TIME;
	ck_assert_msg(run("delivered", a) == 0, "%s", r.err);
	ck_assert_str_eq(order_status(a), "delivered/delivered");
	ck_assert_int_eq(db_int("SELECT p.delivered_at FROM parcels p JOIN "
	    "orders o ON o.id = p.order_id WHERE o.ref = ?1", a),
	    epoch(TRACK_TIME));
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.delivered' AND detail = 'by hand' AND object = ?1", a),
	    1);
	/* Final: no second move either way. */
	ck_assert_int_eq(run("returned", a), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "delivered is final"));
	ck_assert_int_eq(run("delivered", a), 1);
	/* By tracking code, shipped without carrier id. */
	db_text("SELECT token FROM orders WHERE ref = ?1", b, token,
	    sizeof(token));
	ck_assert_uint_eq(strlen(token), 17);
	ck_assert_msg(run("returned", token) == 0, "%s", r.err);
	ck_assert_str_eq(order_status(b), "returned/returned");
	/* Not shipped yet: refused, nothing changed. */
	ck_assert_int_eq(run("order", "add", "--pseudonym", "Sam", "--line",
	    "1 place du Mandarous", "--postcode", "12100", "--commune",
	    "Millau", "--pack", "SHARPS"), 0);
	n = strlen(r.out);
	memcpy(c, r.out, n - 1);
	c[n - 1] = '\0';
	ck_assert_int_eq(run("delivered", c), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "from accepted"));
	ck_assert_ptr_nonnull(strstr(r.err, "nothing changed"));
	ck_assert_int_eq(run("pack", c), 0);
	ck_assert_int_eq(run("returned", c), 1);
	ck_assert_str_eq(order_status(c), "packed/labelled");
	/* Bad REF, bad usage. */
	ck_assert_int_eq(run("delivered", "NOTAREF"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "REF"));
	ck_assert_int_eq(run("delivered"), 2);
	ck_assert_int_eq(run("returned", a, b), 2);
	ck_assert_int_eq(run("track", "--format", "xml"), 2);
	ck_assert_int_eq(run("track", "extra"), 2);
	ck_assert_int_eq(run("delivered", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage"));
	ck_assert_int_eq(run("track", "--help"), 0);
	ck_assert_int_eq(srv_requests(), 0);
	audit_ok();
}
END_TEST

static Suite *
track_suite(void)
{
	Suite *s = suite_create("track");
	TCase *tc = tcase_create("track");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_every_outcome);
	tcase_add_test(tc, test_batches_of_ten);
	tcase_add_test(tc, test_quota_back_off);
	tcase_add_test(tc, test_refused_key);
	tcase_add_test(tc, test_bad_answers_change_nothing);
	tcase_add_test(tc, test_by_hand);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(track_suite)
