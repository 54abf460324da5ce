/*
 * Check suite for shipping/stock.c: lot numbers and dates at their limits,
 * receiving stock (a new lot, more of a lot, lot numbers in capitals, an
 * item the store has not synced yet), every bad input refused with its
 * field and nothing written (no lot, no audit entry), an expired lot
 * refused except as demo stock, and the report: levels, lots in FEFO
 * order, expired and expiring lots, items under their threshold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "orders/store.h"
#include "shipping/catalogue.h"
#include "shipping/stock.h"
#include "tests/testutil.h"

#define ACTOR "cli:test"
#define NOW "2026-03-01T10:00:00Z"
#define TODAY "2026-03-01"

/* A small catalogue: naloxone with expiry, two items without. */
static const char packs_ini[] =
	"[item NALOX]\nname.fr = Naloxone\nunit = piece\nexpiry = yes\n"
	"low = 10\n\n"
	"[item SYR]\nname.fr = Seringue\nunit = piece\nexpiry = no\n"
	"low = 20\n\n"
	"[item CUP]\nname.fr = Cupule\nunit = piece\nlow = 0\n\n"
	"[pack NALOX]\nversion = 1\nname.fr = Naloxone\nweight = 60\n"
	"item = NALOX 1\n\n"
	"[pack INJ]\nversion = 1\nname.fr = Kit\nweight = 180\n"
	"item = SYR 10\nitem = CUP 2\n";

static char dir[4096];
static char errbuf[512];
static struct store *st;
static struct catalogue *cat;

static void
write_file(const char *name, const char *text)
{
	char path[4300];
	FILE *f;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/%s", dir, name),
	    0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static struct catalogue *
parse_catalogue(const char *text)
{
	struct catalogue *c = catalogue_parse_string(dir, "packs.ini", text,
	    errbuf, sizeof(errbuf));

	ck_assert_msg(c != NULL, "catalogue: %s", errbuf);
	return c;
}

static void
setup(void)
{
	char path[4300];
	const char *d = testutil_mkdtemp();

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/i18n", dir), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file("i18n/fr.ini", "[messages]\nlang.name = Français\n");
	setenv("HRPOST_NOW", NOW, 1);
	cat = parse_catalogue(packs_ini);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	st = store_open(path, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	ck_assert_int_eq(store_centre_add(st, "demo", "Demo", ACTOR, NULL),
	    STORE_OK);
	ck_assert_int_eq(store_catalogue_sync(st, cat, ACTOR), STORE_OK);
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
	catalogue_free(cat);
	cat = NULL;
	testutil_rmtree(dir);
	unsetenv("HRPOST_NOW");
}

/* First column of the first row of @sql, with an optional text bind. */
static int64_t
q_int(const char *sql, const char *arg)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL),
	    SQLITE_OK);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int64_t
audit_n(void)
{
	return q_int("SELECT count(*) FROM audit", NULL);
}

static int64_t
lots_n(void)
{
	return q_int("SELECT count(*) FROM stock_lots", NULL);
}

static void
add_ok(const char *item, const char *lot, const char *expiry, const char *qty,
    struct stock_added *out)
{
	struct field_error fe = { "", "" };
	enum stock_status s;

	errbuf[0] = '\0';
	s = stock_add(st, cat, item, lot, expiry, qty, ACTOR, out, &fe, errbuf,
	    sizeof(errbuf));
	ck_assert_msg(s == STOCK_OK, "stock_add %s %s: %s: %s / %s", item, lot,
	    fe.field, fe.msg, errbuf);
}

/*
 * Assert a refusal naming @field with @msg in the message, and that
 * nothing was written.
 */
static void
add_bad(const char *item, const char *lot, const char *expiry,
    const char *qty, const char *field, const char *msg)
{
	struct field_error fe = { "", "" };
	int64_t a = audit_n(), n = lots_n();
	int64_t sum = q_int("SELECT coalesce(sum(qty_in), 0) FROM stock_lots",
	    NULL);
	enum stock_status s;

	s = stock_add(st, cat, item, lot, expiry, qty, ACTOR, NULL, &fe,
	    errbuf, sizeof(errbuf));
	ck_assert_msg(s == STOCK_ERR_INVALID, "accepted %s %s %s %s",
	    item ? item : "-", lot ? lot : "-", expiry ? expiry : "-",
	    qty ? qty : "-");
	ck_assert_str_eq(fe.field, field);
	ck_assert_msg(strstr(fe.msg, msg) != NULL, "want '%s' in '%s'", msg,
	    fe.msg);
	ck_assert_int_eq(audit_n(), a);
	ck_assert_int_eq(lots_n(), n);
	ck_assert_int_eq(q_int("SELECT coalesce(sum(qty_in), 0) FROM "
	    "stock_lots", NULL), sum);
}

START_TEST(lot_rules)
{
	struct field_error fe;
	char lot[40];

	memset(lot, 'A', 32);
	lot[32] = '\0';
	ck_assert_int_eq(stock_lot_check(lot, &fe), 0);
	ck_assert_int_eq(stock_lot_check("A", &fe), 0);
	ck_assert_int_eq(stock_lot_check("LOT 24/07-b#1", &fe), 0);
	lot[32] = 'A';
	lot[33] = '\0';
	ck_assert_int_eq(stock_lot_check(lot, &fe), -1);
	ck_assert_str_eq(fe.field, "lot");
	ck_assert_ptr_nonnull(strstr(fe.msg, "at most 32"));
	ck_assert_int_eq(stock_lot_check("", &fe), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "required"));
	ck_assert_int_eq(stock_lot_check(NULL, &fe), -1);
	ck_assert_int_eq(stock_lot_check("A\tB", &fe), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "printable"));
	ck_assert_int_eq(stock_lot_check("LOT\xc3\xa9", &fe), -1);
	ck_assert_int_eq(stock_lot_check(" A", &fe), -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "space"));
	ck_assert_int_eq(stock_lot_check("A ", &fe), -1);
}
END_TEST

START_TEST(date_rules)
{
	char out[STOCK_DATE_LEN];
	time_t t;

	ck_assert_int_eq(stock_date_parse("2026-03-01", &t), 0);
	ck_assert_int_eq((long long)t, 1772323200LL);
	stock_date_format(t + 3600, out);
	ck_assert_str_eq(out, "2026-03-01");
	ck_assert_int_eq(stock_date_parse("2028-02-29", &t), 0);
	stock_date_format(t, out);
	ck_assert_str_eq(out, "2028-02-29");
	ck_assert_int_eq(stock_date_parse("2000-02-29", &t), 0);
	ck_assert_int_eq(stock_date_parse("2000-01-01", &t), 0);
	ck_assert_int_eq((long long)t, 946684800LL);
	ck_assert_int_eq(stock_date_parse("2199-12-31", &t), 0);
	ck_assert_int_eq(stock_date_parse("2100-02-29", &t), -1);
	ck_assert_int_eq(stock_date_parse("2027-02-29", &t), -1);
	ck_assert_int_eq(stock_date_parse("2026-04-31", &t), -1);
	ck_assert_int_eq(stock_date_parse("2026-13-01", &t), -1);
	ck_assert_int_eq(stock_date_parse("2026-00-10", &t), -1);
	ck_assert_int_eq(stock_date_parse("2026-01-00", &t), -1);
	ck_assert_int_eq(stock_date_parse("1999-12-31", &t), -1);
	ck_assert_int_eq(stock_date_parse("2200-01-01", &t), -1);
	ck_assert_int_eq(stock_date_parse("2026-1-01", &t), -1);
	ck_assert_int_eq(stock_date_parse("20260101", &t), -1);
	ck_assert_int_eq(stock_date_parse("2026-03-01T00:00", &t), -1);
	ck_assert_int_eq(stock_date_parse("2026/03/01", &t), -1);
	ck_assert_int_eq(stock_date_parse("2026-0a-01", &t), -1);
	ck_assert_int_eq(stock_date_parse("", &t), -1);
	ck_assert_int_eq(stock_date_parse(NULL, &t), -1);
	/* Days start at 00:00 UTC, before 1970 too. */
	ck_assert_int_eq((long long)stock_day(1772323200 + 86399),
	    1772323200LL);
	ck_assert_int_eq((long long)stock_day(-1), -86400LL);
	ck_assert_int_eq((long long)stock_day(0), 0LL);
}
END_TEST

START_TEST(add_new_and_more)
{
	struct stock_added a;
	char detail[128];
	sqlite3_stmt *s = NULL;

	add_ok("NALOX", "nx-24a", "2027-09-30", "40", &a);
	ck_assert(a.new_lot);
	ck_assert_int_eq(a.qty_left, 40);
	ck_assert_int_gt(a.lot_id, 0);
	/* Same lot, any case: added to it, with the same expiry. */
	add_ok("nalox", "NX-24A", "2027-09-30", "5", &a);
	ck_assert(!a.new_lot);
	ck_assert_int_eq(a.qty_left, 45);
	ck_assert_int_eq(lots_n(), 1);
	ck_assert_int_eq(q_int("SELECT qty_in FROM stock_lots WHERE lot = ?",
	    "NX-24A"), 45);
	ck_assert_int_eq(q_int("SELECT expiry FROM stock_lots", NULL),
	    1822262400LL);
	ck_assert_int_eq(q_int("SELECT received_at FROM stock_lots", NULL),
	    1772359200LL);
	/* Expiry optional for an item without: none, or one. */
	add_ok("SYR", "S1", NULL, "1", &a);
	add_ok("SYR", "S2", "", "1000000", &a);
	add_ok("SYR", "S3", "2030-01-01", "7", &a);
	ck_assert_int_eq(q_int("SELECT count(*) FROM stock_lots WHERE expiry "
	    "IS NULL", NULL), 2);
	/* Expiring today is still usable: accepted. */
	add_ok("NALOX", "TODAY", TODAY, "1", &a);
	/* The audit chain has one entry per change. */
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = "
	    "'stock.add'", NULL), 6);
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), "SELECT object || "
	    "' ' || detail || ' ' || actor FROM audit WHERE action = "
	    "'stock.add' ORDER BY id LIMIT 2", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_ge(str_printf(detail, sizeof(detail), "%s",
	    (const char *)sqlite3_column_text(s, 0)), 0);
	ck_assert_str_eq(detail, "NALOX/NX-24A +40 new lot, expiry 2027-09-30 "
	    ACTOR);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_ge(str_printf(detail, sizeof(detail), "%s",
	    (const char *)sqlite3_column_text(s, 0)), 0);
	ck_assert_str_eq(detail, "NALOX/NX-24A +5, expiry 2027-09-30 " ACTOR);
	sqlite3_finalize(s);
}
END_TEST

START_TEST(add_refused)
{
	char lot[40];

	add_ok("NALOX", "OLD", "2026-06-30", "3", NULL);
	add_ok("SYR", "NOEXP", NULL, "3", NULL);
	/* Unknown or missing item. */
	add_bad("NOPE", "L1", NULL, "1", "item", "not an item");
	add_bad("", "L1", NULL, "1", "item", "required");
	add_bad(NULL, "L1", NULL, "1", "item", "required");
	/* Lot. */
	memset(lot, 'L', 33);
	lot[33] = '\0';
	add_bad("SYR", lot, NULL, "1", "lot", "at most 32");
	add_bad("SYR", "", NULL, "1", "lot", "required");
	add_bad("SYR", NULL, NULL, "1", "lot", "required");
	add_bad("SYR", "L\n1", NULL, "1", "lot", "printable");
	/* Expiry. */
	add_bad("NALOX", "L1", NULL, "1", "expiry", "required");
	add_bad("NALOX", "L1", "", "1", "expiry", "required");
	add_bad("NALOX", "L1", "2026-02-30", "1", "expiry", "real date");
	add_bad("NALOX", "L1", "30/06/2027", "1", "expiry", "YYYY-MM-DD");
	add_bad("NALOX", "L1", "2026-02-28", "1", "expiry", "in the past");
	add_bad("SYR", "L1", "2020-01-01", "1", "expiry", "in the past");
	add_bad("NALOX", "OLD", "2026-07-31", "1", "expiry",
	    "recorded expiry, 2026-06-30");
	add_bad("SYR", "NOEXP", "2030-01-01", "1", "expiry",
	    "without an expiry");
	/* Quantity: zero, negative, non-numeric, too large, missing. */
	add_bad("SYR", "L1", NULL, "0", "qty", "from 1 to 1000000");
	add_bad("SYR", "L1", NULL, "-5", "qty", "from 1 to 1000000");
	add_bad("SYR", "L1", NULL, "1000001", "qty", "from 1 to 1000000");
	add_bad("SYR", "L1", NULL, "abc", "qty", "whole number");
	add_bad("SYR", "L1", NULL, "1.5", "qty", "whole number");
	add_bad("SYR", "L1", NULL, "12abc", "qty", "whole number");
	add_bad("SYR", "L1", NULL, " 3", "qty", "whole number");
	add_bad("SYR", "L1", NULL, "", "qty", "required");
	add_bad("SYR", "L1", NULL, NULL, "qty", "required");
	/* An existing lot that would overflow. */
	ck_assert_int_eq(sqlite3_exec(store_db(st), "UPDATE stock_lots SET "
	    "qty_in = 2147483640, qty_left = 2147483640 WHERE lot = 'NOEXP'",
	    NULL, NULL, NULL), SQLITE_OK);
	add_bad("SYR", "NOEXP", NULL, "8", "qty", "larger than");
	add_ok("SYR", "NOEXP", NULL, "7", NULL);
	/* An expired lot cannot be restocked. */
	setenv("HRPOST_NOW", "2026-07-01T08:00:00Z", 1);
	add_bad("NALOX", "OLD", "2026-06-30", "1", "expiry", "has expired");
	/* Bad arguments. */
	ck_assert_int_eq(stock_add(NULL, cat, "SYR", "L", NULL, "1", ACTOR,
	    NULL, NULL, errbuf, sizeof(errbuf)), STOCK_ERR_DB);
	ck_assert_int_eq(stock_add(st, NULL, "SYR", "L", NULL, "1", ACTOR,
	    NULL, NULL, errbuf, sizeof(errbuf)), STOCK_ERR_DB);
	/* A refused actor: the audit entry fails, nothing is kept. */
	ck_assert_int_eq(stock_add(st, cat, "SYR", "NEWLOT", NULL, "1", "",
	    NULL, NULL, errbuf, sizeof(errbuf)), STOCK_ERR_DB);
	ck_assert_int_eq(q_int("SELECT count(*) FROM stock_lots WHERE lot = "
	    "'NEWLOT'", NULL), 0);
}
END_TEST

/* A catalogue edited after init: its new item is synced on first use. */
START_TEST(add_unsynced_item)
{
	struct catalogue *more;
	char text[sizeof(packs_ini) + 128];

	ck_assert_int_ge(str_printf(text, sizeof(text), "%s\n[item LUBE]\n"
	    "name.fr = Gel\nunit = piece\n", packs_ini), 0);
	more = parse_catalogue(text);
	ck_assert_int_eq(q_int("SELECT count(*) FROM items WHERE code = ?",
	    "LUBE"), 0);
	ck_assert_int_eq(stock_add(st, more, "lube", "G1", NULL, "10", ACTOR,
	    NULL, NULL, errbuf, sizeof(errbuf)), STOCK_OK);
	ck_assert_int_eq(q_int("SELECT count(*) FROM stock_lots WHERE item = ?",
	    "LUBE"), 1);
	catalogue_free(more);
}
END_TEST

START_TEST(demo_expired)
{
	time_t day;

	ck_assert_int_eq(stock_date_parse("2025-12-31", &day), 0);
	ck_assert_int_eq(stock_add_demo(st, cat, "NALOX", "NX-X2512", day + 7,
	    6, ACTOR, errbuf, sizeof(errbuf)), STOCK_OK);
	ck_assert_int_eq(q_int("SELECT expiry FROM stock_lots", NULL),
	    (int64_t)day);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE detail LIKE "
	    "'%(demo)'", NULL), 1);
	ck_assert_int_eq(stock_add_demo(st, cat, "SYR", "s-d2603", 0, 100,
	    ACTOR, errbuf, sizeof(errbuf)), STOCK_OK);
	ck_assert_int_eq(q_int("SELECT qty_left FROM stock_lots WHERE lot = ?",
	    "S-D2603"), 100);
	/* Malformed demo lots. */
	ck_assert_int_eq(stock_add_demo(st, cat, "NALOX", "N1", 0, 1, ACTOR,
	    errbuf, sizeof(errbuf)), STOCK_ERR_INVALID);
	ck_assert_int_eq(stock_add_demo(st, cat, "NOPE", "N1", 0, 1, ACTOR,
	    errbuf, sizeof(errbuf)), STOCK_ERR_INVALID);
	ck_assert_int_eq(stock_add_demo(st, cat, "SYR", "N1", 0, 0, ACTOR,
	    errbuf, sizeof(errbuf)), STOCK_ERR_INVALID);
	ck_assert_int_eq(stock_add_demo(st, cat, "SYR", "", 0, 1, ACTOR,
	    errbuf, sizeof(errbuf)), STOCK_ERR_INVALID);
	/* Same lot, another expiry: refused with the reason. */
	ck_assert_int_eq(stock_add_demo(st, cat, "NALOX", "NX-X2512", day, 1,
	    ACTOR, errbuf, sizeof(errbuf)), STOCK_OK);
	ck_assert_int_eq(stock_add_demo(st, cat, "NALOX", "NX-X2512",
	    day + 86400, 1, ACTOR, errbuf, sizeof(errbuf)), STOCK_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(errbuf, "expiry"));
}
END_TEST

START_TEST(report_levels)
{
	struct stock_report *r = NULL;
	const struct stock_level *nal, *syr, *cup;
	time_t exp;

	/* Received in this order; FEFO must reorder them. */
	add_ok("NALOX", "LATE", "2027-06-30", "8", NULL);
	add_ok("NALOX", "SOON", "2026-04-15", "3", NULL);
	ck_assert_int_eq(stock_date_parse("2026-02-01", &exp), 0);
	ck_assert_int_eq(stock_add_demo(st, cat, "NALOX", "GONE", exp, 6,
	    ACTOR, errbuf, sizeof(errbuf)), STOCK_OK);
	add_ok("SYR", "FIRST-NOEXP", NULL, "15", NULL);
	setenv("HRPOST_NOW", "2026-03-01T11:00:00Z", 1);
	add_ok("SYR", "SECOND-NOEXP", NULL, "4", NULL);
	add_ok("SYR", "WITHEXP", "2028-01-01", "10", NULL);
	/* Empty lots are not listed. */
	add_ok("SYR", "EMPTY", NULL, "1", NULL);
	ck_assert_int_eq(sqlite3_exec(store_db(st), "UPDATE stock_lots SET "
	    "qty_left = 0 WHERE lot = 'EMPTY'", NULL, NULL, NULL), SQLITE_OK);

	ck_assert_int_eq(stock_report(st, cat, 60, &r, errbuf, sizeof(errbuf)),
	    0);
	ck_assert_uint_eq(r->nlevels, 3);
	nal = &r->levels[0];
	syr = &r->levels[1];
	cup = &r->levels[2];
	ck_assert_str_eq(nal->item->code, "NALOX");
	ck_assert_int_eq(nal->total, 17);
	ck_assert_int_eq(nal->usable, 11);
	ck_assert_int_eq(nal->expired, 6);
	ck_assert(!nal->under_low);
	ck_assert_uint_eq(nal->nlots, 3);
	/* FEFO: the expired one first by date (listed, never packed). */
	ck_assert_str_eq(r->lots[nal->first_lot].lot, "GONE");
	ck_assert(r->lots[nal->first_lot].expired);
	ck_assert_str_eq(r->lots[nal->first_lot + 1].lot, "SOON");
	ck_assert(r->lots[nal->first_lot + 1].expiring);
	ck_assert(!r->lots[nal->first_lot + 1].expired);
	ck_assert_str_eq(r->lots[nal->first_lot + 2].lot, "LATE");
	ck_assert(!r->lots[nal->first_lot + 2].expiring);
	/* Lots with expiry before those without; then oldest received. */
	ck_assert_str_eq(syr->item->code, "SYR");
	ck_assert_uint_eq(syr->nlots, 3);
	ck_assert_str_eq(r->lots[syr->first_lot].lot, "WITHEXP");
	ck_assert_str_eq(r->lots[syr->first_lot + 1].lot, "FIRST-NOEXP");
	ck_assert_str_eq(r->lots[syr->first_lot + 2].lot, "SECOND-NOEXP");
	ck_assert_int_eq(r->lots[syr->first_lot + 1].expiry, 0);
	ck_assert_int_eq(syr->usable, 29);
	ck_assert(!syr->under_low);
	/* CUP: no stock, threshold 0: not under it. */
	ck_assert_int_eq(cup->usable, 0);
	ck_assert_uint_eq(cup->nlots, 0);
	ck_assert(!cup->under_low);
	ck_assert_uint_eq(r->nexpired, 1);
	ck_assert_uint_eq(r->nexpiring, 1);
	ck_assert_int_eq((long long)r->today, 1772323200LL);
	stock_report_free(r);

	/* The window: 45 days reaches 2026-04-15 exactly, 44 does not. */
	ck_assert_int_eq(stock_report(st, cat, 45, &r, errbuf, sizeof(errbuf)),
	    0);
	ck_assert_uint_eq(r->nexpiring, 1);
	stock_report_free(r);
	ck_assert_int_eq(stock_report(st, cat, 44, &r, errbuf, sizeof(errbuf)),
	    0);
	ck_assert_uint_eq(r->nexpiring, 0);
	stock_report_free(r);

	/* Under the threshold (SYR low 20): 24 is not, 19 is. */
	ck_assert_int_eq(sqlite3_exec(store_db(st), "UPDATE stock_lots SET "
	    "qty_left = 5 WHERE lot = 'WITHEXP'", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(stock_report(st, cat, 0, &r, errbuf, sizeof(errbuf)),
	    0);
	ck_assert_int_eq(r->levels[1].usable, 24);
	ck_assert(!r->levels[1].under_low);
	stock_report_free(r);
	ck_assert_int_eq(sqlite3_exec(store_db(st), "UPDATE stock_lots SET "
	    "qty_left = 0 WHERE lot = 'WITHEXP'", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(stock_report(st, cat, 0, &r, errbuf, sizeof(errbuf)),
	    0);
	ck_assert_int_eq(r->levels[1].usable, 19);
	ck_assert(r->levels[1].under_low);
	stock_report_free(r);

	/* stock_usable() agrees and leaves out the expired lot. */
	ck_assert_int_eq(stock_usable(st, "NALOX", clock_now(), errbuf,
	    sizeof(errbuf)), 11);
	ck_assert_int_eq(stock_usable(st, "SYR", clock_now(), errbuf,
	    sizeof(errbuf)), 19);
	ck_assert_int_eq(stock_usable(st, "CUP", clock_now(), errbuf,
	    sizeof(errbuf)), 0);
	/* On 2026-04-16 the SOON lot is expired too. */
	ck_assert_int_eq(stock_usable(st, "NALOX", clock_now() + 46 * 86400,
	    errbuf, sizeof(errbuf)), 8);

	/* Bad windows. */
	ck_assert_int_eq(stock_report(st, cat, -1, &r, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(stock_report(st, cat, STOCK_EXPIRING_DAYS_MAX + 1, &r,
	    errbuf, sizeof(errbuf)), -1);
	stock_report_free(NULL);
}
END_TEST

static Suite *
stock_suite(void)
{
	Suite *s = suite_create("stock");
	TCase *tc = tcase_create("stock");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lot_rules);
	tcase_add_test(tc, date_rules);
	tcase_add_test(tc, add_new_and_more);
	tcase_add_test(tc, add_refused);
	tcase_add_test(tc, add_unsynced_item);
	tcase_add_test(tc, demo_expired);
	tcase_add_test(tc, report_levels);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(stock_suite)
