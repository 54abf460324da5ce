/*
 * The real hrpost binary at the packing bench: init --demo (demo stock for
 * every item, one naloxone lot already expired), order add, catalogue,
 * stock in three formats, stock add (good, and each bad input refused
 * with its field named and nothing written), pick (which changes
 * nothing), pack by reference, by the tracking URL exactly as a barcode
 * scanner types it and by the bare code, a code that is not ours, short
 * stock refused with nothing half-packed, an expired lot skipped (clock
 * set with HRPOST_NOW), ship with a carrier id, a lot's recipients, and
 * the audit chain still intact after all of it.
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/util.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define OUT_MAX (1 << 20)
#define NOW "HRPOST_NOW=2026-03-01T09:00:00Z"
#define PSEUDO "Zoulikha"
#define LINE "17 chemin des Oliviers"
/* What init --demo makes on 2026-03-01 (cli/init.c). */
#define FRESH_LOT "NALOX-A2708"		/* expires 2027-08-31 */
#define EXPIRED_LOT "NALOX-X2601"	/* expired 2026-01-15 */

struct result {
	int status;
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static char dir[4096];
static struct result r;

/*
 * Run hrpost -d dir with the NULL-terminated arguments @args, the clock at
 * @now ("HRPOST_NOW=..."), stdin /dev/null, no controlling terminal
 * (daemon_cli()).
 */
static int
run_argv(const char *now, const char *const *args)
{
	const char *env[] = { now, NULL };

	r.status = daemon_cli(dir, args, env, r.out, sizeof(r.out), r.err,
	    sizeof(r.err));
	ck_assert_msg(r.status != -1, "could not run %s", daemon_bin());
	return r.status;
}

#define run_at(now, ...) run_argv((now), \
	(const char *const[]){ __VA_ARGS__ })
#define run(...) run_at(NOW, __VA_ARGS__, (const char *)NULL)
#define run_when(now, ...) run_at(now, __VA_ARGS__, (const char *)NULL)

static void
fresh_demo(void)
{
	const char *t = testutil_mkdtemp();

	ck_assert_ptr_nonnull(t);
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/var", t),
	    (int)sizeof(dir));
	ck_assert_msg(run("init", "--demo") == 0, "init: %s", r.err);
}

static void
teardown(void)
{
	char *slash = strrchr(dir, '/');

	if (slash != NULL) {
		*slash = '\0';
		testutil_rmtree(dir);
	}
}

static sqlite3 *
db_ro(void)
{
	char path[8192];
	sqlite3 *db = NULL;

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/centre.db", dir),
	    (int)sizeof(path));
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	return db;
}

/* First column of the first row of @sql with one optional text bind. */
static long long
q_int(const char *sql, const char *arg)
{
	sqlite3 *db = db_ro();
	sqlite3_stmt *s = NULL;
	long long v = -1;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
q_text(const char *sql, const char *arg, char *out, size_t outsz)
{
	sqlite3 *db = db_ro();
	sqlite3_stmt *s = NULL;

	out[0] = '\0';
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		ck_assert_int_eq(str_copy(out, outsz,
		    (const char *)sqlite3_column_text(s, 0)), 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* The one line order add and pack print: the reference. */
static void
one_line(char *out, size_t outsz)
{
	size_t n = strlen(r.out);

	ck_assert_msg(n >= 2 && r.out[n - 1] == '\n' &&
	    strchr(r.out, '\n') == r.out + n - 1, "not one line: [%s]", r.out);
	ck_assert_uint_lt(n, outsz);
	memcpy(out, r.out, n - 1);
	out[n - 1] = '\0';
}

/*
 * order add with one or two packs; each order at another address, so
 * that only what the test means is flagged (not "a second order").
 */
static void
order_add(char *ref, size_t refsz, const char *pack1, const char *pack2)
{
	static int n;
	char line[64];

	ck_assert_int_lt(snprintf(line, sizeof(line), "%d %s", ++n, LINE),
	    (int)sizeof(line));
	if (pack2 != NULL)
		ck_assert_msg(run("order", "add", "--pseudonym", PSEUDO,
		    "--line", line, "--postcode", "12100", "--commune",
		    "Millau", "--lang", "fr", "--pack", pack1, "--pack",
		    pack2) == 0, "order add: %s", r.err);
	else
		ck_assert_msg(run("order", "add", "--pseudonym", PSEUDO,
		    "--line", line, "--postcode", "12100", "--commune",
		    "Millau", "--lang", "fr", "--pack", pack1) == 0,
		    "order add: %s", r.err);
	one_line(ref, refsz);
}

static void
status_is(const char *ref, const char *want)
{
	char got[32];

	q_text("SELECT status FROM orders WHERE ref = ?", ref, got,
	    sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "%s is %s, want %s", ref, got,
	    want);
}

static long long
stock_sum(void)
{
	return q_int("SELECT sum(qty_left) * 1000003 + sum(qty_in) FROM "
	    "stock_lots", NULL);
}

static long long
audit_n(void)
{
	return q_int("SELECT count(*) FROM audit", NULL);
}

static long long
lot_left(const char *lot)
{
	return q_int("SELECT qty_left FROM stock_lots WHERE lot = ?", lot);
}

static void
audit_intact(void)
{
	ck_assert_msg(run("audit", "verify") == 0, "%s%s", r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "intact"));
}

START_TEST(test_catalogue)
{
	json_t *j, *packs, *inj = NULL, *items;
	size_t i;

	fresh_demo();
	ck_assert_msg(run("catalogue") == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "PACKS"));
	ck_assert_ptr_nonnull(strstr(r.out, "Kit injection"));
	ck_assert_ptr_nonnull(strstr(r.out, "variant 29G-12 (default):"));
	ck_assert_ptr_nonnull(strstr(r.out, "ITEMS"));
	ck_assert_ptr_nonnull(strstr(r.out, "NALOX    piece  yes"));

	ck_assert_msg(run("catalogue", "--lang", "en", "--format", "json") ==
	    0, "%s", r.err);
	j = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "lang")), "en");
	packs = json_object_get(j, "packs");
	ck_assert_uint_ge(json_array_size(packs), 7);
	for (i = 0; i < json_array_size(packs); i++)
		if (strcmp(json_string_value(json_object_get(
		    json_array_get(packs, i), "code")), "INJ") == 0)
			inj = json_array_get(packs, i);
	ck_assert_ptr_nonnull(inj);
	ck_assert_str_eq(json_string_value(json_object_get(inj, "name")),
	    "Injection kit");
	ck_assert_int_gt(json_integer_value(json_object_get(inj, "weight")),
	    0);
	/* Contents per variant: one list per needle choice. */
	ck_assert_uint_eq(json_array_size(json_object_get(inj, "contents")),
	    json_array_size(json_object_get(inj, "variants")));
	ck_assert_uint_ge(json_array_size(json_object_get(inj, "variants")),
	    2);
	items = json_object_get(j, "items");
	for (i = 0; i < json_array_size(items); i++) {
		json_t *it = json_array_get(items, i);

		if (strcmp(json_string_value(json_object_get(it, "code")),
		    "NALOX") == 0)
			ck_assert(json_is_true(json_object_get(it, "expiry")));
		ck_assert(json_is_integer(json_object_get(it, "low")));
		ck_assert(json_is_string(json_object_get(it, "unit")));
	}
	json_decref(j);
	ck_assert_int_eq(run("catalogue", "--lang", "xx"), 2);
	ck_assert_int_eq(run("catalogue", "--format", "xml"), 2);
	ck_assert_int_eq(run("catalogue", "extra"), 2);
	teardown();
}
END_TEST

START_TEST(test_stock_report)
{
	json_t *j, *items, *soon;
	size_t i;
	int nalox = 0;

	fresh_demo();
	/* Every item has a usable lot: a newcomer can pack at once. */
	ck_assert_msg(run("stock", "--format", "json") == 0, "%s", r.err);
	j = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "today")),
	    "2026-03-01");
	items = json_object_get(j, "items");
	ck_assert_uint_ge(json_array_size(items), 20);
	for (i = 0; i < json_array_size(items); i++) {
		json_t *it = json_array_get(items, i);
		const char *code = json_string_value(json_object_get(it,
		    "item"));

		ck_assert_msg(json_integer_value(json_object_get(it,
		    "usable")) > 0, "no demo stock for %s", code);
		ck_assert(json_is_false(json_object_get(it, "under_low")));
		if (strcmp(code, "NALOX") == 0) {
			json_t *lots = json_object_get(it, "lots");

			nalox = 1;
			ck_assert_uint_eq(json_array_size(lots), 2);
			/* FEFO order: the expired one first, flagged. */
			ck_assert_str_eq(json_string_value(json_object_get(
			    json_array_get(lots, 0), "lot")), EXPIRED_LOT);
			ck_assert(json_is_true(json_object_get(
			    json_array_get(lots, 0), "expired")));
			ck_assert_str_eq(json_string_value(json_object_get(
			    json_array_get(lots, 0), "expiry")), "2026-01-15");
			ck_assert_str_eq(json_string_value(json_object_get(
			    json_array_get(lots, 1), "lot")), FRESH_LOT);
			ck_assert_str_eq(json_string_value(json_object_get(
			    json_array_get(lots, 1), "expiry")), "2027-08-31");
			ck_assert_int_eq(json_integer_value(json_object_get(
			    it, "expired")), 6);
		} else {
			ck_assert(json_is_null(json_object_get(
			    json_array_get(json_object_get(it, "lots"), 0),
			    "expiry")));
		}
	}
	ck_assert(nalox);
	soon = json_object_get(j, "expiring");
	ck_assert_uint_eq(json_array_size(soon), 1);
	json_decref(j);

	/* A wider window reaches the fresh lot too. */
	ck_assert_int_eq(run("stock", "--format", "json", "--expiring", "600"),
	    0);
	j = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "expiring")), 2);
	json_decref(j);

	ck_assert_int_eq(run("stock"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, EXPIRED_LOT));
	ck_assert_ptr_nonnull(strstr(r.out, "EXPIRED"));
	ck_assert_ptr_nonnull(strstr(r.out, "1 expired lot"));
	ck_assert_int_eq(run("stock", "--format", "csv"), 0);
	ck_assert(strncmp(r.out, "item,unit,low,usable,expired,under_low,lot,"
	    "expiry", 47) == 0);
	ck_assert_ptr_nonnull(strstr(r.out, "NALOX,piece,10,50,6,no,"
	    EXPIRED_LOT ",2026-01-15,6,6,"));
	ck_assert_int_eq(run("stock", "--expiring", "-1"), 2);
	ck_assert_int_eq(run("stock", "--expiring", "x"), 2);
	ck_assert_int_eq(run("stock", "--format", "xml"), 2);
	teardown();
}
END_TEST

/* A refused stock add: exit 1, the field named, nothing written. */
static void
stock_bad(const char *field, const char *why, ...)
{
	const char *argv[16];
	long long sum = stock_sum(), a = audit_n();
	size_t n = 0;
	va_list ap;

	va_start(ap, why);
	for (;;) {
		const char *s = va_arg(ap, const char *);

		if (s == NULL)
			break;
		ck_assert_uint_lt(n, ARRAY_LEN(argv) - 1);
		argv[n++] = s;
	}
	va_end(ap);
	argv[n] = NULL;
	ck_assert_uint_ge(n, 1);
	run_at(NOW, "stock", "add", argv[0], n > 1 ? argv[1] : NULL,
	    n > 2 ? argv[2] : NULL, n > 3 ? argv[3] : NULL,
	    n > 4 ? argv[4] : NULL, n > 5 ? argv[5] : NULL,
	    n > 6 ? argv[6] : NULL, (const char *)NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, field) != NULL && strstr(r.err, why) !=
	    NULL, "want '%s' and '%s' in: %s", field, why, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "nothing recorded"));
	ck_assert_int_eq(stock_sum(), sum);
	ck_assert_int_eq(audit_n(), a);
}

START_TEST(test_stock_add)
{
	char lot33[40];
	long long a;

	fresh_demo();
	a = audit_n();
	ck_assert_msg(run("stock", "add", "NALOX", "--lot", "NX-2701B",
	    "--expiry", "2027-01-31", "--qty", "12") == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "new lot"));
	/* More of the same lot, typed in lower case. */
	ck_assert_msg(run("stock", "add", "nalox", "--lot", "nx-2701b",
	    "--expiry", "2027-01-31", "--qty", "3") == 0, "%s", r.err);
	ck_assert_int_eq(lot_left("NX-2701B"), 15);
	/* No expiry needed for condoms. */
	ck_assert_msg(run("stock", "add", "COND", "--lot", "C-77",
	    "--qty", "144") == 0, "%s", r.err);
	ck_assert_int_eq(audit_n(), a + 3);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = "
	    "'stock.add' AND object = 'NALOX/NX-2701B'", NULL), 2);

	memset(lot33, 'L', 33);
	lot33[33] = '\0';
	stock_bad("item", "not an item of the catalogue", "NOPE", "--lot",
	    "L1", "--qty", "1", (const char *)NULL);
	stock_bad("expiry", "required", "NALOX", "--lot", "L1", "--qty", "1",
	    (const char *)NULL);
	stock_bad("expiry", "in the past", "NALOX", "--lot", "L1", "--expiry",
	    "2026-02-28", "--qty", "1", (const char *)NULL);
	stock_bad("expiry", "real date", "NALOX", "--lot", "L1", "--expiry",
	    "2027-02-30", "--qty", "1", (const char *)NULL);
	stock_bad("expiry", "recorded expiry", "NALOX", "--lot", "NX-2701B",
	    "--expiry", "2027-02-28", "--qty", "1", (const char *)NULL);
	stock_bad("qty", "from 1 to 1000000", "COND", "--lot", "L1", "--qty",
	    "-5", (const char *)NULL);
	stock_bad("qty", "from 1 to 1000000", "COND", "--lot", "L1", "--qty",
	    "0", (const char *)NULL);
	stock_bad("qty", "whole number", "COND", "--lot", "L1", "--qty",
	    "ten", (const char *)NULL);
	stock_bad("qty", "from 1 to 1000000", "COND", "--lot", "L1", "--qty",
	    "1000001", (const char *)NULL);
	stock_bad("qty", "required", "COND", "--lot", "L1",
	    (const char *)NULL);
	stock_bad("lot", "at most 32", "COND", "--lot", lot33, "--qty", "1",
	    (const char *)NULL);
	stock_bad("lot", "required", "COND", "--lot", "", "--qty", "1",
	    (const char *)NULL);
	stock_bad("lot", "required", "COND", "--qty", "1", (const char *)NULL);
	/* No item at all is a usage error. */
	ck_assert_int_eq(run("stock", "add", "--lot", "L1", "--qty", "1"), 2);
	ck_assert_int_eq(run("stock", "add", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--expiry"));
	audit_intact();
	teardown();
}
END_TEST

START_TEST(test_pick_pack_ship)
{
	char a[32], b[32], c[32], d[32], token_b[32], token_d[32];
	char url[256], loose[40], got[64];
	long long sum, au, fresh;
	json_t *j;

	fresh_demo();
	order_add(a, sizeof(a), "INJ:2", "NALOX:1");
	order_add(b, sizeof(b), "SNIFF:1", NULL);
	/* Flagged for its size, still in the batch: 120 naloxone sprays. */
	order_add(c, sizeof(c), "NALOX:60", NULL);
	order_add(d, sizeof(d), "SEX:2", NULL);
	q_text("SELECT token FROM orders WHERE ref = ?", b, token_b,
	    sizeof(token_b));
	q_text("SELECT token FROM orders WHERE ref = ?", d, token_d,
	    sizeof(token_d));
	ck_assert_uint_eq(strlen(token_b), 17);

	/* The pick list: totals, lots, parcels; it changes nothing. */
	sum = stock_sum();
	au = audit_n();
	ck_assert_msg(run("pick") == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "Pick list: 4 orders (1 flagged"));
	ck_assert_ptr_nonnull(strstr(r.out, a));
	ck_assert_ptr_nonnull(strstr(r.out, c));
	ck_assert_ptr_nonnull(strstr(r.out, "FLAG: "));
	ck_assert_ptr_nonnull(strstr(r.out, "lot " FRESH_LOT));
	ck_assert_ptr_null(strstr(r.out, EXPIRED_LOT));
	ck_assert_ptr_nonnull(strstr(r.out, "SHORT by"));
	ck_assert_ptr_null(strstr(r.out, PSEUDO));
	ck_assert_ptr_null(strstr(r.out, "Oliviers"));
	ck_assert_ptr_nonnull(strstr(r.err, "NALOX is short"));
	ck_assert_msg(run("pick", "--format", "json") == 0, "%s", r.err);
	j = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "orders")), 4);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(j, "parcels"), 0), "ref")), a);
	ck_assert(json_is_true(json_object_get(json_array_get(
	    json_object_get(j, "parcels"), 2), "flagged")));
	json_decref(j);
	ck_assert_int_eq(run("pick", "--format", "csv", "--limit", "1"), 0);
	ck_assert(strncmp(r.out, "kind,item,qty,short_by,lot", 26) == 0);
	ck_assert_ptr_nonnull(strstr(r.out, a));
	ck_assert_ptr_null(strstr(r.out, b));
	ck_assert_int_eq(run("pick", "--limit", "0"), 2);
	ck_assert_int_eq(stock_sum(), sum);
	ck_assert_int_eq(audit_n(), au);
	status_is(a, "accepted");

	/* Pack by reference, typed loosely. */
	ck_assert_int_lt(snprintf(loose, sizeof(loose), "%.4s-%s", a, a + 4),
	    (int)sizeof(loose));
	for (char *p = loose; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + ('a' - 'A'));
	fresh = lot_left(FRESH_LOT);
	ck_assert_msg(run("pack", loose) == 0, "%s", r.err);
	one_line(got, sizeof(got));
	ck_assert_str_eq(got, a);
	status_is(a, "packed");
	ck_assert_ptr_nonnull(strstr(r.err, "lot " FRESH_LOT));
	/* One NALOX pack: the catalogue puts 2 sprays in it. */
	ck_assert_int_eq(lot_left(FRESH_LOT), fresh - 2);
	ck_assert_int_eq(lot_left(EXPIRED_LOT), 6);

	/* Pack by the QR's URL as a scanner types it (another host too). */
	ck_assert_int_lt(snprintf(url, sizeof(url),
	    "http://127.0.0.1:8080/t/%s\r\n", token_b), (int)sizeof(url));
	ck_assert_msg(run("pack", url) == 0, "%s", r.err);
	one_line(got, sizeof(got));
	ck_assert_str_eq(got, b);
	status_is(b, "packed");
	/* And by the bare code. */
	ck_assert_msg(run("pack", token_d) == 0, "%s", r.err);
	status_is(d, "packed");

	/* Codes that are not ours. */
	ck_assert_int_eq(run("pack", "3401234567890"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "not an hrpost code"));
	ck_assert_int_eq(run("pack", "https://www.laposte.fr/outils/suivre"),
	    1);
	ck_assert_ptr_nonnull(strstr(r.err, "not an hrpost code"));
	ck_assert_int_lt(snprintf(url, sizeof(url),
	    "https://elsewhere.example/t/%s", token_b), (int)sizeof(url));
	ck_assert_int_eq(run("pack", url), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "it is packed"));
	ck_assert_int_eq(run("pack"), 2);

	/* Short stock: refused, naming the item; nothing half-packed. */
	sum = stock_sum();
	au = audit_n();
	ck_assert_int_eq(run("pack", c), 1);
	ck_assert_msg(strstr(r.err, "item NALOX: needs 120") != NULL &&
	    strstr(r.err, "missing") != NULL, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "nothing packed"));
	ck_assert_int_eq(stock_sum(), sum);
	ck_assert_int_eq(audit_n(), au);
	status_is(c, "accepted");
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcels p JOIN orders o "
	    "ON o.id = p.order_id WHERE o.ref = ?", c), 0);

	/* Ship with the La Poste number; a bad one changes nothing. */
	ck_assert_int_eq(run("ship", a, "--carrier-id", "6A-1234"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "carrier_id"));
	status_is(a, "packed");
	ck_assert_msg(run("ship", a, "--carrier-id", "6a12345678901") == 0,
	    "%s", r.err);
	one_line(got, sizeof(got));
	ck_assert_str_eq(got, a);
	status_is(a, "shipped");
	q_text("SELECT carrier_id FROM parcels p JOIN orders o ON o.id = "
	    "p.order_id WHERE o.ref = ?", a, got, sizeof(got));
	ck_assert_str_eq(got, "6A12345678901");
	ck_assert_int_eq(run("ship", a), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "only a packed order"));
	ck_assert_int_eq(run("ship", c), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "it is accepted"));
	/* The same number on another parcel is refused. */
	ck_assert_int_eq(run("ship", b, "--carrier-id", "6A12345678901"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "already on another parcel"));
	status_is(b, "packed");
	ck_assert_int_lt(snprintf(url, sizeof(url),
	    "https://h.example/t/%s\n", token_b), (int)sizeof(url));
	ck_assert_msg(run("ship", url) == 0, "%s", r.err);
	status_is(b, "shipped");

	/* A naloxone recall finds who received the lot. */
	ck_assert_msg(run("stock", "recall", FRESH_LOT) == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, a));
	ck_assert_ptr_null(strstr(r.out, b));
	ck_assert_ptr_null(strstr(r.out, PSEUDO));
	ck_assert_ptr_nonnull(strstr(r.err, "1 parcel holds this lot"));
	ck_assert_msg(run("stock", "recall", FRESH_LOT, "--item", "nalox",
	    "--format", "json") == 0, "%s", r.err);
	j = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(json_array_size(j), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(j, 0), "ref")), a);
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(j, 0), "qty")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(j, 0), "status")), "shipped");
	json_decref(j);
	ck_assert_int_eq(run("stock", "recall", EXPIRED_LOT, "--format",
	    "csv"), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "0 parcels"));
	ck_assert_int_eq(run("stock", "recall", "NO-SUCH-LOT"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "no lot"));

	/* Everything above is in the chain, and the chain holds. */
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action IN "
	    "('parcel.pack', 'parcel.ship', 'order.packed', 'order.shipped')",
	    NULL), 3 + 2 + 3 + 2);
	audit_intact();
	teardown();
}
END_TEST

START_TEST(test_expired_lot_skipped)
{
	char a[32], b[32];

	fresh_demo();
	/* A lot that expires on 2026-03-10, valid when received. */
	ck_assert_msg(run("stock", "add", "NALOX", "--lot", "NX-SOON",
	    "--expiry", "2026-03-10", "--qty", "10") == 0, "%s", r.err);
	order_add(a, sizeof(a), "NALOX:1", NULL);
	order_add(b, sizeof(b), "NALOX:1", NULL);
	/* On 2026-03-05 it is the first to go (FEFO). */
	ck_assert_msg(run_when("HRPOST_NOW=2026-03-05T10:00:00Z", "pack", a) ==
	    0, "%s", r.err);
	ck_assert_int_eq(lot_left("NX-SOON"), 8);
	/* On 2026-03-11 it has expired: skipped, like the demo's. */
	ck_assert_msg(run_when("HRPOST_NOW=2026-03-11T10:00:00Z", "pack", b) ==
	    0, "%s", r.err);
	ck_assert_int_eq(lot_left("NX-SOON"), 8);
	ck_assert_int_eq(lot_left(EXPIRED_LOT), 6);
	ck_assert_int_eq(lot_left(FRESH_LOT), 48);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcel_lots pl JOIN "
	    "stock_lots l ON l.id = pl.lot_id WHERE l.lot IN ('NX-SOON', "
	    "'" EXPIRED_LOT "') AND pl.parcel_id = (SELECT p.id FROM parcels p "
	    "JOIN orders o ON o.id = p.order_id WHERE o.ref = ?)", b), 0);
	ck_assert_int_eq(run_when("HRPOST_NOW=2026-03-11T10:00:00Z", "stock",
	    "recall", "NX-SOON"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, a));
	ck_assert_ptr_null(strstr(r.out, b));
	/* The stock report says so. */
	ck_assert_int_eq(run_when("HRPOST_NOW=2026-03-11T10:00:00Z", "stock"),
	    0);
	ck_assert_ptr_nonnull(strstr(r.out, "2 expired lots"));
	audit_intact();
	teardown();
}
END_TEST

START_TEST(test_help)
{
	fresh_demo();
	ck_assert_int_eq(run("pick", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--limit"));
	ck_assert_int_eq(run("pack", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "REF"));
	ck_assert_int_eq(run("ship", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--carrier-id"));
	ck_assert_int_eq(run("stock", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "recall"));
	ck_assert_int_eq(run("catalogue", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--lang"));
	ck_assert_int_eq(run("ship", "A", "B"), 2);
	ck_assert_int_eq(run("pack", "--bogus"), 2);
	teardown();
}
END_TEST

static Suite *
fulfil_suite(void)
{
	Suite *s = suite_create("integration: fulfilment");
	TCase *tc = tcase_create("fulfil");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_catalogue);
	tcase_add_test(tc, test_stock_report);
	tcase_add_test(tc, test_stock_add);
	tcase_add_test(tc, test_pick_pack_ship);
	tcase_add_test(tc, test_expired_lot_skipped);
	tcase_add_test(tc, test_help);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(fulfil_suite)
