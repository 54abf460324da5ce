/*
 * Check suite for orders/report.c on small stores made by hand (rows put
 * straight into a centre.db that store_open() created): strict dates and
 * the 20-year limit, midnight in Europe/Paris on both sides of the
 * summer-time changes, ISO weeks (week 1 that starts in December, week
 * 53), month, quarter and year boundaries at the very second, partial and
 * empty periods; every figure with a known answer (parcels, packs, items
 * from the lots packed, people new and returning, delivery median and
 * 90th percentile, follow-ups, reach rate, naloxone uses); the "<5" rule
 * at 4, 5 and 6 people, the rows hidden so that no "<5" can be worked out
 * from a total, and the pairs withheld together; one centre or all of
 * them; CSV, JSON and table output; and that a report reads no sealed
 * column (the authorizer) and its code never opens a seal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "orders/report.h"
#include "orders/store.h"
#include "tests/testutil.h"

#define ACTOR "cli:test"

static char dir[4096];
static char errbuf[512];
static struct store *st;
static int64_t centre;

static void
exec_ok(const char *sql)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(store_db(st), sql, NULL, NULL, &msg) ==
	    SQLITE_OK, "%s: %s", sql, msg != NULL ? msg : "?");
}

static time_t
at(const char *iso)
{
	time_t t;

	ck_assert_msg(clock_parse(iso, &t) == 0, "bad time %s", iso);
	return t;
}

static void
setup(void)
{
	char path[4300];
	const char *d = testutil_mkdtemp();

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	st = store_open(path, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	ck_assert_int_eq(store_centre_add(st, "demo", "Demo", ACTOR, &centre),
	    STORE_OK);
	exec_ok("INSERT INTO items (code, unit) VALUES ('SYR', 'piece'), "
	    "('CUP', 'piece'), ('NAL', 'piece'), ('CON', 'piece');"
	    "INSERT INTO stock_lots (id, item, lot, qty_in, qty_left, "
	    "received_at) VALUES (11, 'SYR', 'SYR-A', 1000, 1000, 0), "
	    "(12, 'SYR', 'SYR-B', 1000, 1000, 0), "
	    "(21, 'CUP', 'CUP-A', 1000, 1000, 0), "
	    "(31, 'NAL', 'NAL-A', 1000, 1000, 0), "
	    "(41, 'CON', 'CON-A', 1000, 1000, 0);");
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
	testutil_rmtree(dir);
}

static int64_t
person_in(int64_t c)
{
	sqlite3_stmt *s = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), "INSERT INTO "
	    "recipients (centre_id, lang, first_seen) VALUES (?, 'fr', 0)",
	    -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_int64(s, 1, c), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	return sqlite3_last_insert_rowid(store_db(st));
}

static int64_t
person(void)
{
	return person_in(centre);
}

static int64_t
lot_id(const char *name)
{
	static const struct {
		const char *name;
		int64_t id;
	} lots[] = {
		{ "SYR", 11 }, { "SYR/B", 12 }, { "CUP", 21 }, { "NAL", 31 },
		{ "CON", 41 },
	};

	for (size_t i = 0; i < ARRAY_LEN(lots); i++)
		if (strcmp(lots[i].name, name) == 0)
			return lots[i].id;
	ck_abort_msg("no lot %s", name);
	return 0;
}

/* The next space-separated word of *@p (cut in place), or NULL. */
static char *
word(char **p)
{
	char *w = *p, *sp;

	while (*w == ' ')
		w++;
	if (*w == '\0')
		return NULL;
	sp = strchr(w, ' ');
	if (sp != NULL) {
		*sp = '\0';
		*p = sp + 1;
	} else {
		*p = w + strlen(w);
	}
	return w;
}

/*
 * An order of centre @c for @rid: département @dept, @channel, received
 * at @received (NULL: the day it shipped), shipped at @shipped (NULL: not
 * yet; then no parcel), the parcel delivered at @delivered (NULL: not
 * yet), packs "CODE:QTY ..." and lots "ITEM[/B]:QTY ..." in the parcel.
 * @parcel_shipped (NULL: @shipped) is the parcel's own shipping time.
 */
static int64_t
order_full(int64_t c, int64_t rid, const char *dept, const char *channel,
    const char *received, const char *shipped, const char *parcel_shipped,
    const char *delivered, const char *packs, const char *lots,
    const char *status)
{
	static int n;
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	char ref[16], token[24], buf[128], *tok, *rest;
	int64_t oid, pid;
	time_t rec = at(received != NULL ? received : shipped != NULL ?
	    shipped : "2026-01-01T00:00:00Z");

	n++;
	ck_assert_int_ge(str_printf(ref, sizeof(ref), "R%08d", n), 0);
	ck_assert_int_ge(str_printf(token, sizeof(token), "T%016d", n), 0);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO orders "
	    "(centre_id, ref, token, recipient_id, channel, status, "
	    "for_people, lang, dept, sealed, received_at, shipped_at, "
	    "delivered_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, "
	    "'fr', ?7, x'00112233', ?8, ?9, ?10, ?8)", -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(s, 1, c);
	sqlite3_bind_text(s, 2, ref, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, rid);
	sqlite3_bind_text(s, 5, channel, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, status != NULL ? status : shipped == NULL ?
	    "accepted" : delivered != NULL ? "delivered" : "shipped", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 7, dept, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, (int64_t)rec);
	if (shipped != NULL)
		sqlite3_bind_int64(s, 9, (int64_t)at(shipped));
	if (delivered != NULL)
		sqlite3_bind_int64(s, 10, (int64_t)at(delivered));
	ck_assert_msg(sqlite3_step(s) == SQLITE_DONE, "%s",
	    sqlite3_errmsg(db));
	sqlite3_finalize(s);
	oid = sqlite3_last_insert_rowid(db);

	ck_assert_int_eq(str_copy(buf, sizeof(buf), packs), 0);
	rest = buf;
	for (;;) {
		tok = word(&rest);
		if (tok == NULL)
			break;
		char *colon = strchr(tok, ':');
		long q;

		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		ck_assert_int_eq(parse_long(colon + 1, 1, 999, &q), 0);
		ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO "
		    "order_lines (order_id, pack, qty) VALUES (?, ?, ?)", -1,
		    &s, NULL), SQLITE_OK);
		sqlite3_bind_int64(s, 1, oid);
		sqlite3_bind_text(s, 2, tok, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(s, 3, (int)q);
		ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
	}
	if (shipped == NULL)
		return oid;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO parcels "
	    "(order_id, carrier, status, shipped_at, delivered_at) VALUES "
	    "(?, 'laposte', ?, ?, ?)", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, oid);
	sqlite3_bind_text(s, 2, delivered != NULL ? "delivered" : "shipped",
	    -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)at(parcel_shipped != NULL ?
	    parcel_shipped : shipped));
	if (delivered != NULL)
		sqlite3_bind_int64(s, 4, (int64_t)at(delivered));
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	pid = sqlite3_last_insert_rowid(db);

	ck_assert_int_eq(str_copy(buf, sizeof(buf), lots), 0);
	rest = buf;
	for (;;) {
		tok = word(&rest);
		if (tok == NULL)
			break;
		char *colon = strchr(tok, ':');
		long q;

		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		ck_assert_int_eq(parse_long(colon + 1, 1, 100000, &q), 0);
		ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO "
		    "parcel_lots (parcel_id, lot_id, qty) VALUES (?, ?, ?)",
		    -1, &s, NULL), SQLITE_OK);
		sqlite3_bind_int64(s, 1, pid);
		sqlite3_bind_int64(s, 2, lot_id(tok));
		sqlite3_bind_int(s, 3, (int)q);
		ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
		sqlite3_finalize(s);
	}
	return oid;
}

static int64_t
order(int64_t rid, const char *dept, const char *channel,
    const char *shipped, const char *delivered, const char *packs,
    const char *lots)
{
	return order_full(centre, rid, dept, channel, NULL, shipped, NULL,
	    delivered, packs, lots, NULL);
}

/* A call-back task of @rid closed at @done with @outcome. */
static void
call(int64_t rid, const char *outcome, const char *done)
{
	sqlite3_stmt *s = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), "INSERT INTO "
	    "followups (centre_id, recipient_id, reason, due_at, status, "
	    "outcome, created_at, done_at) VALUES (?1, ?2, 'checkin', ?3, "
	    "?4, ?5, ?3, ?3)", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, centre);
	sqlite3_bind_int64(s, 2, rid);
	sqlite3_bind_int64(s, 3, (int64_t)at(done));
	sqlite3_bind_text(s, 4, outcome == NULL ? "open" :
	    strcmp(outcome, "stopped") == 0 ? "cancelled" : "done", -1,
	    SQLITE_STATIC);
	if (outcome != NULL)
		sqlite3_bind_text(s, 5, outcome, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

static struct report *
build_for(int64_t c, const char *from, const char *to, enum report_by by)
{
	struct report_query q = { .by = by, .centre_id = c,
	    .centre = "demo" };
	struct report *r = NULL;

	ck_assert_int_eq(report_date_parse(from, &q.from), 0);
	ck_assert_int_eq(report_date_parse(to, &q.to), 0);
	ck_assert_msg(report_build(st, &q, &r, errbuf, sizeof(errbuf)) ==
	    REPORT_OK, "%s", errbuf);
	ck_assert_ptr_nonnull(r);
	return r;
}

static struct report *
build(const char *from, const char *to, enum report_by by)
{
	return build_for(centre, from, to, by);
}

static const struct report_row *
find_row(const struct report_period *p, enum report_dim d, const char *key)
{
	for (size_t i = 0; i < p->nrows[d]; i++)
		if (strcmp(p->rows[d][i].key, key) == 0)
			return &p->rows[d][i];
	ck_abort_msg("no row %s", key);
	return NULL;
}

#define IS(c, v) do {							\
	ck_assert_msg((c).state == REPORT_CELL_VALUE, #c " is not a "	\
	    "value (state %d)", (int)(c).state);			\
	ck_assert_int_eq((c).value, (v));				\
} while (0)
#define SMALL(c) ck_assert_msg((c).state == REPORT_CELL_SMALL,		\
	#c " is not <5 (state %d, %lld)", (int)(c).state,		\
	(long long)(c).value)
#define HIDDEN(c) ck_assert_msg((c).state == REPORT_CELL_HIDDEN,	\
	#c " is not hidden (state %d, %lld)", (int)(c).state,		\
	(long long)(c).value)
#define NONE(c) ck_assert_msg((c).state == REPORT_CELL_NONE,		\
	#c " is not empty (state %d)", (int)(c).state)
#define ROW_IS(r, n_parcels, n_qty, n_people) do {			\
	IS((r)->parcels, n_parcels);					\
	IS((r)->qty, n_qty);						\
	IS((r)->people, n_people);					\
} while (0)
#define ROW_STATE(r, how) do {						\
	how((r)->parcels);						\
	how((r)->qty);							\
	how((r)->people);						\
} while (0)

START_TEST(dates)
{
	struct report_date a, b;
	enum report_by by;
	enum report_format fmt;
	static const char *const bad[] = {
		"", "2026-3-01", "2026-03-1", "2026/03/01", "2026-02-29",
		"2025-13-01", "2025-00-10", "2025-04-31", "1999-12-31",
		"2100-01-01", " 2026-03-01", "2026-03-01 ", "2026-03-01x",
		"+026-03-01", "2026-03-0a",
	};

	ck_assert_int_eq(report_date_parse("2024-02-29", &a), 0);
	ck_assert_int_eq(a.y, 2024);
	ck_assert_int_eq(a.m, 2);
	ck_assert_int_eq(a.d, 29);
	ck_assert_int_eq(report_date_parse("2000-01-01", &a), 0);
	ck_assert_int_eq(report_date_parse("2099-12-31", &a), 0);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(report_date_parse(bad[i], &a) == -1, "took %s",
		    bad[i]);
	ck_assert_int_eq(report_date_parse(NULL, &a), -1);

	/* 20 years, both days included: 7305 days and not one more. */
	ck_assert_int_eq(report_date_parse("2000-01-01", &a), 0);
	ck_assert_int_eq(report_date_parse("2019-12-31", &b), 0);
	ck_assert_int_eq(report_range_check(&a, &b, errbuf, sizeof(errbuf)),
	    0);
	ck_assert_int_eq(report_date_parse("2020-01-01", &b), 0);
	ck_assert_int_eq(report_range_check(&a, &b, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "--to"));
	ck_assert_int_eq(report_range_check(&b, &a, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_str_eq(errbuf, "--to: before --from");
	ck_assert_int_eq(report_range_check(&a, &a, errbuf, sizeof(errbuf)),
	    0);

	ck_assert_int_eq(report_by_parse("week", &by), 0);
	ck_assert_int_eq(by, REPORT_BY_WEEK);
	ck_assert_int_eq(report_by_parse("quarter", &by), 0);
	ck_assert_int_eq(by, REPORT_BY_QUARTER);
	ck_assert_int_eq(report_by_parse("Month", &by), -1);
	ck_assert_int_eq(report_by_parse("day", &by), -1);
	ck_assert_int_eq(report_format_parse("csv", &fmt), 0);
	ck_assert_int_eq(fmt, REPORT_FORMAT_CSV);
	ck_assert_int_eq(report_format_parse("xml", &fmt), -1);
	ck_assert_str_eq(report_by_name(REPORT_BY_YEAR), "year");
}
END_TEST

/* Midnight in Paris, on both sides of the summer-time changes. */
START_TEST(paris_midnight)
{
	static const struct {
		const char *day, *utc;
	} cases[] = {
		{ "2026-01-15", "2026-01-14T23:00:00Z" },
		{ "2026-07-01", "2026-06-30T22:00:00Z" },
		/* last Sunday of March: the day starts in winter time */
		{ "2026-03-29", "2026-03-28T23:00:00Z" },
		{ "2026-03-30", "2026-03-29T22:00:00Z" },
		/* last Sunday of October: it starts in summer time */
		{ "2026-10-25", "2026-10-24T22:00:00Z" },
		{ "2026-10-26", "2026-10-25T23:00:00Z" },
		{ "2024-03-31", "2024-03-30T23:00:00Z" },
		{ "2024-04-01", "2024-03-31T22:00:00Z" },
		{ "2000-01-01", "1999-12-31T23:00:00Z" },
	};
	struct report_date d;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		ck_assert_int_eq(report_date_parse(cases[i].day, &d), 0);
		ck_assert_msg(report_day_start(&d) == at(cases[i].utc),
		    "%s starts at %lld, not %s", cases[i].day,
		    (long long)report_day_start(&d), cases[i].utc);
	}
}
END_TEST

/* ISO weeks: week 53, week 1 starting in December, week-year labels. */
START_TEST(iso_weeks)
{
	struct report *r;
	int64_t rid;
	int i;

	/* 5 parcels on Sunday 23:59:59 in Paris, 6 a second later. */
	for (i = 0; i < 5; i++) {
		rid = person();
		order(rid, "12", "web", "2027-01-03T22:59:59Z", NULL, "INJ:1",
		    "SYR:10");
	}
	for (i = 0; i < 6; i++) {
		rid = person();
		order(rid, "12", "web", "2027-01-03T23:00:00Z", NULL, "INJ:1",
		    "SYR:10");
	}
	r = build("2026-12-28", "2027-01-10", REPORT_BY_WEEK);
	ck_assert_uint_eq(r->nperiods, 2);
	ck_assert_str_eq(r->periods[0].label, "2026-W53");
	ck_assert_int_eq(r->periods[0].first.d, 28);
	ck_assert_int_eq(r->periods[0].last.y, 2027);
	ck_assert_int_eq(r->periods[0].last.d, 3);
	ck_assert(!r->periods[0].partial);
	IS(r->periods[0].t.parcels, 5);
	ck_assert_str_eq(r->periods[1].label, "2027-W01");
	IS(r->periods[1].t.parcels, 6);
	report_free(r);

	/* 2025's week 1 starts on Monday 2024-12-30. */
	r = build("2024-12-29", "2025-01-06", REPORT_BY_WEEK);
	ck_assert_uint_eq(r->nperiods, 3);
	ck_assert_str_eq(r->periods[0].label, "2024-W52");
	ck_assert(r->periods[0].partial);
	ck_assert_str_eq(r->periods[1].label, "2025-W01");
	ck_assert_int_eq(r->periods[1].first.y, 2024);
	ck_assert_int_eq(r->periods[1].first.m, 12);
	ck_assert_int_eq(r->periods[1].first.d, 30);
	ck_assert_str_eq(r->periods[2].label, "2025-W02");
	ck_assert(r->periods[2].partial);
	/* Empty periods are there, with zeros. */
	IS(r->periods[1].t.parcels, 0);
	IS(r->periods[1].t.people, 0);
	NONE(r->periods[1].t.days_median);
	ck_assert_uint_eq(r->periods[1].nrows[REPORT_DIM_DEPT], 0);
	report_free(r);

	/* 2021-01-01 (a Friday) is in 2020's week 53. */
	r = build("2021-01-01", "2021-01-04", REPORT_BY_WEEK);
	ck_assert_str_eq(r->periods[0].label, "2020-W53");
	ck_assert_str_eq(r->periods[1].label, "2021-W01");
	report_free(r);

	/* 20 years by week: 2000-01-01 is in 1999-W52, 2019-12-31 in
	 * 2020-W01. */
	r = build("2000-01-01", "2019-12-31", REPORT_BY_WEEK);
	ck_assert_uint_eq(r->nperiods, 1045);
	ck_assert_str_eq(r->periods[0].label, "1999-W52");
	ck_assert_str_eq(r->periods[r->nperiods - 1].label, "2020-W01");
	report_free(r);
}
END_TEST

/* Quarters and years change at midnight in Paris, to the second. */
START_TEST(quarter_year_boundaries)
{
	struct report *r;
	int i;

	for (i = 0; i < 5; i++)		/* 23:59:59 CEST on 31 March */
		order(person(), "12", "web", "2026-03-31T21:59:59Z", NULL,
		    "INJ:1", "SYR:10");
	for (i = 0; i < 6; i++)		/* midnight, 1 April */
		order(person(), "12", "web", "2026-03-31T22:00:00Z", NULL,
		    "INJ:1", "SYR:10");
	for (i = 0; i < 7; i++)		/* 23:59:59 CET on 31 December */
		order(person(), "12", "web", "2026-12-31T22:59:59Z", NULL,
		    "INJ:1", "SYR:10");
	for (i = 0; i < 8; i++)		/* midnight, 1 January 2027 */
		order(person(), "12", "web", "2026-12-31T23:00:00Z", NULL,
		    "INJ:1", "SYR:10");

	r = build("2026-01-01", "2027-03-31", REPORT_BY_QUARTER);
	ck_assert_uint_eq(r->nperiods, 5);
	ck_assert_str_eq(r->periods[0].label, "2026-Q1");
	IS(r->periods[0].t.parcels, 5);
	ck_assert_str_eq(r->periods[1].label, "2026-Q2");
	ck_assert_int_eq(r->periods[1].first.m, 4);
	ck_assert_int_eq(r->periods[1].last.m, 6);
	ck_assert_int_eq(r->periods[1].last.d, 30);
	IS(r->periods[1].t.parcels, 6);
	IS(r->periods[2].t.parcels, 0);
	ck_assert_str_eq(r->periods[3].label, "2026-Q4");
	IS(r->periods[3].t.parcels, 7);
	ck_assert_str_eq(r->periods[4].label, "2027-Q1");
	IS(r->periods[4].t.parcels, 8);
	ck_assert(r->periods[4].start == at("2026-12-31T23:00:00Z"));
	ck_assert(r->periods[4].end == at("2027-03-31T22:00:00Z"));
	report_free(r);

	r = build("2026-01-01", "2027-12-31", REPORT_BY_YEAR);
	ck_assert_uint_eq(r->nperiods, 2);
	ck_assert_str_eq(r->periods[0].label, "2026");
	IS(r->periods[0].t.parcels, 18);
	ck_assert_str_eq(r->periods[1].label, "2027");
	IS(r->periods[1].t.parcels, 8);
	report_free(r);

	/* Clipped months: from the 15th, to the 10th. */
	r = build("2026-03-15", "2026-04-10", REPORT_BY_MONTH);
	ck_assert_uint_eq(r->nperiods, 2);
	ck_assert_str_eq(r->periods[0].label, "2026-03");
	ck_assert(r->periods[0].partial);
	ck_assert_int_eq(r->periods[0].first.d, 15);
	ck_assert_int_eq(r->periods[0].last.d, 31);
	ck_assert(r->periods[0].start == at("2026-03-14T23:00:00Z"));
	IS(r->periods[0].t.parcels, 5);
	ck_assert_str_eq(r->periods[1].label, "2026-04");
	ck_assert(r->periods[1].partial);
	ck_assert_int_eq(r->periods[1].last.d, 10);
	ck_assert(r->periods[1].end == at("2026-04-10T22:00:00Z"));
	IS(r->periods[1].t.parcels, 6);
	report_free(r);
}
END_TEST

/*
 * The "totals" store: seven people in March 2026, two of whom had a
 * parcel in February.
 */
static void
totals_store(void)
{
	int64_t a = person(), b = person(), c = person(), d = person();
	int64_t e = person(), f = person(), g = person();

	/* Before March: A and B got parcels; C's order was cancelled; G's
	 * order came in February and left in March. */
	order(a, "12", "phone", "2026-02-10T10:00:00Z", "2026-02-12T10:00:00Z",
	    "INJ:1", "SYR:10");
	order(b, "12", "phone", "2026-02-20T10:00:00Z", NULL, "INJ:1",
	    "SYR:10");
	order_full(centre, c, "34", "web", "2026-02-05T10:00:00Z", NULL, NULL,
	    NULL, "INJ:1", "", "cancelled");
	order_full(centre, g, "12", "phone", "2026-02-27T10:00:00Z",
	    "2026-03-02T12:00:00Z", NULL, "2026-03-03T12:00:00Z", "INJ:1",
	    "SYR:10 CUP:2", NULL);

	order(a, "12", "phone", "2026-03-02T10:00:00Z", "2026-03-04T10:00:00Z",
	    "INJ:2", "SYR:20 CUP:4");
	order(a, "12", "web", "2026-03-10T10:00:00Z", "2026-03-11T10:00:00Z",
	    "NALOX:1", "NAL:1");
	order(b, "12", "sms", "2026-03-05T10:00:00Z", "2026-03-08T22:00:00Z",
	    "INJ:1", "SYR:10 CUP:2");
	order(c, "34", "web", "2026-03-06T10:00:00Z", "2026-03-10T10:00:00Z",
	    "INJ:1 NALOX:2", "SYR:10 CUP:2 NAL:2");
	order(d, "34", "web", "2026-03-07T10:00:00Z", NULL, "SEX:3",
	    "CON:30");
	order(e, "75", "phone", "2026-03-12T10:00:00Z", "2026-03-13T22:00:00Z",
	    "NALOX:1", "NAL:1");
	order(f, "75", "web", "2026-03-20T10:00:00Z", "2026-03-25T10:00:00Z",
	    "INJ:1", "SYR:10 CUP:2");
	/* April in Paris: not March. */
	order(a, "12", "phone", "2026-03-31T22:30:00Z", NULL, "INJ:9",
	    "SYR:90");
}

START_TEST(totals_known)
{
	const struct report_period *p;
	const struct report_row *row;
	struct report *r;

	totals_store();
	r = build("2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	ck_assert_uint_eq(r->nperiods, 1);
	p = &r->periods[0];
	ck_assert_str_eq(p->label, "2026-03");
	IS(p->t.parcels, 8);
	IS(p->t.packs, 13);
	IS(p->t.items, 106);
	IS(p->t.people, 7);
	/* 2 returning (A, B): "<5", and then new (7 - 2) is withheld. */
	SMALL(p->t.people_returning);
	HIDDEN(p->t.people_new);
	/* 7 delivered; D alone waits, so "delivered" would count D. */
	HIDDEN(p->t.delivered);
	/* 1.0 1.0 1.5 2.0 3.5 4.0 5.0 days */
	IS(p->t.days_median, 20);
	IS(p->t.days_p90, 50);
	IS(p->t.followups, 0);
	IS(p->t.followups_reached, 0);
	NONE(p->t.reach_pct);
	IS(p->t.naloxone_used, 0);

	/* Packs: INJ has 5 people but NALOX (3) and SEX (1) are "<5" and
	 * hold only 4 people together: INJ is hidden too. */
	ck_assert_uint_eq(p->nrows[REPORT_DIM_PACK], 3);
	ROW_STATE(find_row(p, REPORT_DIM_PACK, "INJ"), HIDDEN);
	ROW_STATE(find_row(p, REPORT_DIM_PACK, "NALOX"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_PACK, "SEX"), SMALL);

	/* Items, from the lots packed: SYR and CUP went to the same 5
	 * people; CUP (first by key) is hidden to cover NAL and CON. */
	ck_assert_uint_eq(p->nrows[REPORT_DIM_ITEM], 4);
	ck_assert_str_eq(p->rows[REPORT_DIM_ITEM][0].key, "CON");
	ck_assert_str_eq(p->rows[REPORT_DIM_ITEM][3].key, "SYR");
	row = find_row(p, REPORT_DIM_ITEM, "SYR");
	ROW_IS(row, 5, 60, 5);
	ROW_STATE(find_row(p, REPORT_DIM_ITEM, "CUP"), HIDDEN);
	ROW_STATE(find_row(p, REPORT_DIM_ITEM, "NAL"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_ITEM, "CON"), SMALL);

	/* Every département and channel is about fewer than 5 people. */
	ck_assert_uint_eq(p->nrows[REPORT_DIM_DEPT], 3);
	ROW_STATE(find_row(p, REPORT_DIM_DEPT, "12"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_DEPT, "34"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_DEPT, "75"), SMALL);
	ck_assert_uint_eq(p->nrows[REPORT_DIM_CHANNEL], 3);
	ck_assert_str_eq(p->rows[REPORT_DIM_CHANNEL][0].key, "phone");
	ck_assert_str_eq(p->rows[REPORT_DIM_CHANNEL][1].key, "web");
	ck_assert_str_eq(p->rows[REPORT_DIM_CHANNEL][2].key, "sms");
	report_free(r);

	/* February: A and B, new both; A's parcel arrived in 2 days. */
	r = build("2026-02-01", "2026-02-28", REPORT_BY_MONTH);
	p = &r->periods[0];
	SMALL(p->t.parcels);
	SMALL(p->t.people);
	SMALL(p->t.people_new);
	SMALL(p->t.days_median);
	report_free(r);
}
END_TEST

/*
 * 21 people in four départements of 4, 5, 6 and 6 people; channels
 * phone (4), web (11), sms (6).
 */
START_TEST(small_cells_4_5_6)
{
	static const struct {
		const char *dept, *channel;
		int people;
	} groups[] = {
		{ "01", "phone", 4 }, { "02", "web", 5 }, { "03", "sms", 6 },
		{ "04", "web", 6 },
	};
	const struct report_period *p;
	struct report *r;

	int n = 0;

	/* The first 3 parcels arrived; the others not yet. */
	for (size_t g = 0; g < ARRAY_LEN(groups); g++)
		for (int i = 0; i < groups[g].people; i++)
			order(person(), groups[g].dept, groups[g].channel,
			    "2026-03-10T10:00:00Z", n++ < 3 ?
			    "2026-03-12T10:00:00Z" : NULL, "INJ:2",
			    "SYR:20");
	r = build("2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	p = &r->periods[0];
	IS(p->t.parcels, 21);
	IS(p->t.packs, 42);
	IS(p->t.items, 420);
	IS(p->t.people, 21);
	IS(p->t.people_new, 21);
	IS(p->t.people_returning, 0);
	SMALL(p->t.delivered);
	SMALL(p->t.days_median);
	SMALL(p->t.days_p90);

	/* 4 people: "<5"; 5: hidden (the smallest shown row, so the total
	 * minus the rest cannot give the 4 away); 6 and 6: shown. */
	ROW_STATE(find_row(p, REPORT_DIM_DEPT, "01"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_DEPT, "02"), HIDDEN);
	ROW_IS(find_row(p, REPORT_DIM_DEPT, "03"), 6, 12, 6);
	ROW_IS(find_row(p, REPORT_DIM_DEPT, "04"), 6, 12, 6);
	ROW_STATE(find_row(p, REPORT_DIM_CHANNEL, "phone"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_CHANNEL, "sms"), HIDDEN);
	ROW_IS(find_row(p, REPORT_DIM_CHANNEL, "web"), 11, 22, 11);
	ROW_IS(find_row(p, REPORT_DIM_PACK, "INJ"), 21, 42, 21);
	ROW_IS(find_row(p, REPORT_DIM_ITEM, "SYR"), 21, 420, 21);
	report_free(r);
}
END_TEST

/* 5 people are shown as 5 when nothing small is near. */
START_TEST(five_is_shown)
{
	const struct report_period *p;
	struct report *r;
	int i;

	for (i = 0; i < 5; i++)
		order(person(), "48", "phone", "2026-03-10T10:00:00Z",
		    "2026-03-12T10:00:00Z", "NALOX:1", "NAL:1");
	for (i = 0; i < 6; i++)
		order(person(), "12", "phone", "2026-03-10T10:00:00Z",
		    "2026-03-11T10:00:00Z", "NALOX:1", "NAL:1");
	r = build("2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	p = &r->periods[0];
	/* Rows by key, whatever order the orders came in. */
	ck_assert_str_eq(p->rows[REPORT_DIM_DEPT][0].key, "12");
	ck_assert_str_eq(p->rows[REPORT_DIM_DEPT][1].key, "48");
	ROW_IS(find_row(p, REPORT_DIM_DEPT, "48"), 5, 5, 5);
	ROW_IS(find_row(p, REPORT_DIM_DEPT, "12"), 6, 6, 6);
	IS(p->t.delivered, 11);
	IS(p->t.days_median, 10);	/* 6 of 11 in 1 day */
	IS(p->t.days_p90, 20);
	report_free(r);

	/* One person fewer in 48: "<5", and 12 is hidden with it. */
	exec_ok("DELETE FROM parcel_lots WHERE parcel_id = (SELECT min(id) "
	    "FROM parcels); DELETE FROM parcels WHERE id = (SELECT min(id) "
	    "FROM parcels); UPDATE orders SET shipped_at = NULL, status = "
	    "'accepted' WHERE id = (SELECT min(id) FROM orders);");
	r = build("2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	p = &r->periods[0];
	ROW_STATE(find_row(p, REPORT_DIM_DEPT, "48"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_DEPT, "12"), HIDDEN);
	IS(p->t.people, 10);
	report_free(r);
}
END_TEST

/* A whole period about fewer than 5 people, and one about nobody. */
START_TEST(small_period)
{
	const struct report_period *p;
	struct report *r;

	for (int i = 0; i < 3; i++)
		order(person(), "12", "web", "2026-03-10T10:00:00Z",
		    "2026-03-11T10:00:00Z", "INJ:1", "SYR:10");
	r = build("2026-03-01", "2026-04-30", REPORT_BY_MONTH);
	p = &r->periods[0];
	SMALL(p->t.parcels);
	SMALL(p->t.packs);
	SMALL(p->t.items);
	SMALL(p->t.people);
	SMALL(p->t.people_new);
	SMALL(p->t.people_returning);
	SMALL(p->t.delivered);
	SMALL(p->t.days_median);
	SMALL(p->t.days_p90);
	ROW_STATE(find_row(p, REPORT_DIM_DEPT, "12"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_PACK, "INJ"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_ITEM, "SYR"), SMALL);
	ROW_STATE(find_row(p, REPORT_DIM_CHANNEL, "web"), SMALL);
	/* Nobody: zeros, not "<5". */
	p = &r->periods[1];
	IS(p->t.parcels, 0);
	IS(p->t.people, 0);
	IS(p->t.delivered, 0);
	NONE(p->t.days_median);
	report_free(r);
}
END_TEST

/* New: the first parcel ever left in the period. */
START_TEST(new_and_returning)
{
	const struct report_period *p;
	int64_t who[10];
	struct report *r;
	int i;

	for (i = 0; i < 10; i++)
		who[i] = person();
	/* 23:30 in Paris on 28 February: before March. */
	order(who[0], "12", "web", "2026-02-28T22:30:00Z", NULL, "INJ:1",
	    "SYR:10");
	/* 00:30 in Paris on 1 March: the first one, in March. */
	order(who[1], "12", "web", "2026-02-28T23:30:00Z", NULL, "INJ:1",
	    "SYR:10");
	/* A cancelled order before does not make anyone returning. */
	order_full(centre, who[2], "12", "web", "2026-02-01T10:00:00Z", NULL,
	    NULL, NULL, "INJ:1", "", "cancelled");
	/* Received in February, shipped in March: new in March. */
	order_full(centre, who[3], "12", "web", "2026-02-27T10:00:00Z",
	    "2026-03-02T10:00:00Z", NULL, NULL, "INJ:1", "SYR:10", NULL);
	/* Parcels long before. */
	for (i = 7; i < 10; i++)
		order(who[i], "12", "web", "2025-06-01T10:00:00Z", NULL,
		    "INJ:1", "SYR:10");
	order(who[4], "12", "web", "2026-01-15T10:00:00Z", NULL, "INJ:1",
	    "SYR:10");
	for (i = 0; i < 10; i++)
		if (i != 3)
			order(who[i], "12", "web", "2026-03-15T10:00:00Z",
			    NULL, "INJ:1", "SYR:10");
	r = build("2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	p = &r->periods[0];
	IS(p->t.people, 10);
	IS(p->t.parcels, 11);
	IS(p->t.people_new, 5);		/* 1, 2, 3, 5, 6 */
	IS(p->t.people_returning, 5);	/* 0, 4, 7, 8, 9 */
	report_free(r);
}
END_TEST

START_TEST(followups)
{
	const struct report_period *p;
	int64_t who[12];
	struct report *r;
	int i;

	for (i = 0; i < 12; i++)
		who[i] = person();
	/* March: 7 calls of 7 people; 2 without answer. */
	call(who[0], "reached", "2026-03-02T10:00:00Z");
	call(who[1], "reached", "2026-03-03T10:00:00Z");
	call(who[2], "reached", "2026-03-04T10:00:00Z");
	call(who[3], "declined", "2026-03-05T10:00:00Z");
	call(who[4], "naloxone_used", "2026-03-06T10:00:00Z");
	call(who[5], "no_answer", "2026-03-07T10:00:00Z");
	call(who[6], "no_answer", "2026-03-08T10:00:00Z");
	call(who[7], "stopped", "2026-03-09T10:00:00Z");	/* no call */
	call(who[8], NULL, "2026-03-10T10:00:00Z");		/* open */
	/* April: 6 reached (5 naloxone uses), 5 no answer. */
	call(who[0], "reached", "2026-04-02T10:00:00Z");
	for (i = 1; i < 6; i++)
		call(who[i], "naloxone_used", "2026-04-03T10:00:00Z");
	for (i = 6; i < 11; i++)
		call(who[i], "no_answer", "2026-04-04T10:00:00Z");
	call(who[11], "referred", "2026-03-31T22:30:00Z");	/* April */
	/* May: 3 people. */
	for (i = 0; i < 3; i++)
		call(who[i], "reached", "2026-05-04T10:00:00Z");

	r = build("2026-03-01", "2026-05-31", REPORT_BY_MONTH);
	p = &r->periods[0];
	IS(p->t.followups, 7);
	/* 5 reached, but calls - reached = 2 unanswered: withheld. */
	HIDDEN(p->t.followups_reached);
	HIDDEN(p->t.reach_pct);
	SMALL(p->t.naloxone_used);

	p = &r->periods[1];
	IS(p->t.followups, 12);
	IS(p->t.followups_reached, 7);
	IS(p->t.reach_pct, 583);	/* 7 / 12 = 58.33 % */
	IS(p->t.naloxone_used, 5);

	p = &r->periods[2];
	SMALL(p->t.followups);
	SMALL(p->t.followups_reached);
	SMALL(p->t.reach_pct);
	IS(p->t.naloxone_used, 0);
	report_free(r);
}
END_TEST

/*
 * Delivery times: the parcel's own shipping time (an hour after the
 * order's here) still finds the parcel; p90 by nearest rank.
 */
START_TEST(delivery_times)
{
	static const char *const delivered[] = {
		"2026-03-03T11:00:00Z", "2026-03-03T11:00:00Z",
		"2026-03-04T11:00:00Z", "2026-03-05T11:00:00Z",
		"2026-03-05T23:00:00Z", "2026-03-06T11:00:00Z",
		"2026-03-07T11:00:00Z", "2026-03-08T11:00:00Z",
		"2026-03-09T11:00:00Z", "2026-03-12T11:00:00Z",
	};
	const struct report_period *p;
	struct report *r;

	for (size_t i = 0; i < ARRAY_LEN(delivered); i++)
		order_full(centre, person(), "12", "web", NULL,
		    "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z",
		    delivered[i], "INJ:1", "SYR:10", NULL);
	r = build("2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	p = &r->periods[0];
	IS(p->t.delivered, 10);
	/* 1 1 2 3 3.5 4 5 6 7 10 days: median (3.5 + 4) / 2 = 3.75 -> 3.8,
	 * p90 the 9th: 7. */
	IS(p->t.days_median, 38);
	IS(p->t.days_p90, 70);
	report_free(r);

	/* The order left at 23:30 on 31 March, its parcel at 00:30 on 1
	 * April (Paris): still March's, delivered 2 days later. */
	order_full(centre, person(), "12", "web", NULL, "2026-03-31T21:30:00Z",
	    "2026-03-31T22:30:00Z", "2026-04-02T22:30:00Z", "INJ:1", "SYR:10",
	    NULL);
	r = build("2026-03-01", "2026-04-30", REPORT_BY_MONTH);
	p = &r->periods[0];
	IS(p->t.parcels, 11);
	IS(p->t.delivered, 11);
	IS(p->t.days_median, 35);	/* the 6th of 11 */
	IS(p->t.days_p90, 70);		/* the 10th */
	IS(r->periods[1].t.parcels, 0);
	report_free(r);
}
END_TEST

/* One lot or two of an item in a parcel: items add up, parcels once. */
START_TEST(items_from_lots)
{
	const struct report_period *p;
	struct report *r;

	for (int i = 0; i < 6; i++)
		order(person(), "12", "web", "2026-03-10T10:00:00Z", NULL,
		    "INJ:1", i < 3 ? "SYR:4 SYR/B:6 CUP:2" : "SYR:10 CUP:2");
	r = build("2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	p = &r->periods[0];
	IS(p->t.items, 72);
	ROW_IS(find_row(p, REPORT_DIM_ITEM, "SYR"), 6, 60, 6);
	ROW_IS(find_row(p, REPORT_DIM_ITEM, "CUP"), 6, 12, 6);
	report_free(r);
}
END_TEST

/*
 * Orders of two months one after the other, so that the ids of one
 * period's orders and parcels have the other's in between.
 */
START_TEST(interleaved_ids)
{
	const struct report_period *p;
	struct report *r;

	for (int i = 0; i < 6; i++) {
		int64_t rid = person();

		order(rid, "12", "web", "2026-03-10T10:00:00Z", NULL, "INJ:1",
		    "SYR:10");
		order(rid, "12", "web", "2026-04-10T10:00:00Z", NULL,
		    "NALOX:3", "NAL:3");
	}
	r = build("2026-03-01", "2026-04-30", REPORT_BY_MONTH);
	p = &r->periods[0];
	IS(p->t.packs, 6);
	IS(p->t.items, 60);
	ck_assert_uint_eq(p->nrows[REPORT_DIM_PACK], 1);
	ck_assert_uint_eq(p->nrows[REPORT_DIM_ITEM], 1);
	ROW_IS(find_row(p, REPORT_DIM_PACK, "INJ"), 6, 6, 6);
	p = &r->periods[1];
	IS(p->t.packs, 18);
	IS(p->t.items, 18);
	IS(p->t.people_returning, 6);
	ROW_IS(find_row(p, REPORT_DIM_ITEM, "NAL"), 6, 18, 6);
	ck_assert_uint_eq(p->nrows[REPORT_DIM_ITEM], 1);
	report_free(r);
}
END_TEST

START_TEST(all_centres)
{
	const struct report_period *p;
	struct report *r;
	int64_t other;
	int i;

	ck_assert_int_eq(store_centre_add(st, "other", "Other", ACTOR, &other),
	    STORE_OK);
	for (i = 0; i < 6; i++)
		order(person(), "12", "web", "2026-03-10T10:00:00Z", NULL,
		    "INJ:1", "SYR:10");
	for (i = 0; i < 5; i++)
		order_full(other, person_in(other), "33", "phone", NULL,
		    "2026-03-11T10:00:00Z", NULL, NULL, "NALOX:2", "NAL:2",
		    NULL);
	r = build("2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	ck_assert_str_eq(r->centre, "demo");
	ck_assert(!r->all_centres);
	p = &r->periods[0];
	IS(p->t.parcels, 6);
	ck_assert_uint_eq(p->nrows[REPORT_DIM_DEPT], 1);
	report_free(r);

	r = build_for(0, "2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	ck_assert_str_eq(r->centre, "*");
	ck_assert(r->all_centres);
	p = &r->periods[0];
	IS(p->t.parcels, 11);
	IS(p->t.people, 11);
	IS(p->t.packs, 16);
	ROW_IS(find_row(p, REPORT_DIM_DEPT, "33"), 5, 10, 5);
	ROW_IS(find_row(p, REPORT_DIM_DEPT, "12"), 6, 6, 6);
	ROW_IS(find_row(p, REPORT_DIM_ITEM, "NAL"), 5, 10, 5);
	report_free(r);
}
END_TEST

START_TEST(bad_queries)
{
	struct report_query q = { .by = REPORT_BY_MONTH, .centre_id = 1 };
	struct report *r = (struct report *)&q;

	ck_assert_int_eq(report_date_parse("2026-03-31", &q.from), 0);
	ck_assert_int_eq(report_date_parse("2026-03-01", &q.to), 0);
	ck_assert_int_eq(report_build(st, &q, &r, errbuf, sizeof(errbuf)),
	    REPORT_ERR_INVALID);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(errbuf, "--to"));
	q.from = q.to;
	q.by = (enum report_by)7;
	ck_assert_int_eq(report_build(st, &q, &r, errbuf, sizeof(errbuf)),
	    REPORT_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(errbuf, "--by"));
	q.by = REPORT_BY_MONTH;
	q.from.m = 2;
	q.from.d = 30;
	ck_assert_int_eq(report_build(st, &q, &r, errbuf, sizeof(errbuf)),
	    REPORT_ERR_INVALID);
	report_free(NULL);
}
END_TEST

static char *
render(const struct report *r, enum report_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report_write(r, fmt, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(formats)
{
	json_t *j, *per, *tot, *packs;
	json_error_t jerr;
	struct report *r;
	char *out, *line;

	totals_store();
	r = build("2026-02-15", "2026-03-31", REPORT_BY_MONTH);

	out = render(r, REPORT_FORMAT_CSV);
	ck_assert_msg(strncmp(out, "centre,period,start,end,dimension,key,"
	    "measure,value\r\n", 51) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\r\ndemo,2026-03,2026-03-01,"
	    "2026-03-31,total,,parcels,8\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\ndemo,2026-02,2026-02-15,"
	    "2026-02-28,total,,parcels,<5\r\n"));
	ck_assert_ptr_nonnull(strstr(out, ",total,,people_returning,<5\r\n"));
	ck_assert_ptr_nonnull(strstr(out, ",total,,people_new,hidden\r\n"));
	ck_assert_ptr_nonnull(strstr(out, ",total,,delivery_days_median,"
	    "2.0\r\n"));
	ck_assert_ptr_nonnull(strstr(out, ",total,,delivery_days_p90,"
	    "5.0\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "2026-03,2026-03-01,2026-03-31,"
	    "total,,reach_pct,\r\n"));
	ck_assert_ptr_nonnull(strstr(out, ",item,SYR,items,60\r\n"));
	ck_assert_ptr_nonnull(strstr(out, ",pack,NALOX,packs,<5\r\n"));
	ck_assert_ptr_nonnull(strstr(out, ",dept,75,people,<5\r\n"));
	ck_assert_ptr_nonnull(strstr(out, ",channel,sms,parcels,<5\r\n"));
	/* Every line ends CRLF and has 8 fields. */
	for (line = out; *line != '\0';) {
		char *end = strstr(line, "\r\n");
		int commas = 0;

		ck_assert_ptr_nonnull(end);
		for (char *c = line; c < end; c++) {
			ck_assert(*c != '\n' && *c != '"');
			commas += *c == ',';
		}
		ck_assert_int_eq(commas, 7);
		line = end + 2;
	}
	free(out);

	out = render(r, REPORT_FORMAT_JSON);
	j = json_loads(out, 0, &jerr);
	ck_assert_msg(j != NULL, "%s: %s", jerr.text, out);
	ck_assert_str_eq(json_string_value(json_object_get(j, "schema")),
	    "hrpost-report/1");
	ck_assert_str_eq(json_string_value(json_object_get(j, "centre")),
	    "demo");
	ck_assert_str_eq(json_string_value(json_object_get(j, "by")),
	    "month");
	ck_assert_str_eq(json_string_value(json_object_get(j, "time_zone")),
	    "Europe/Paris");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "small")), 5);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "periods")), 2);
	per = json_array_get(json_object_get(j, "periods"), 0);
	ck_assert(json_is_true(json_object_get(per, "partial")));
	ck_assert_str_eq(json_string_value(json_object_get(per, "start")),
	    "2026-02-15");
	tot = json_object_get(per, "totals");
	ck_assert_str_eq(json_string_value(json_object_get(tot, "parcels")),
	    "<5");
	per = json_array_get(json_object_get(j, "periods"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(per, "period")),
	    "2026-03");
	ck_assert(json_is_false(json_object_get(per, "partial")));
	tot = json_object_get(per, "totals");
	ck_assert_int_eq(json_integer_value(json_object_get(tot, "parcels")),
	    8);
	ck_assert(json_is_integer(json_object_get(tot, "people")));
	ck_assert_str_eq(json_string_value(json_object_get(tot,
	    "people_returning")), "<5");
	ck_assert_str_eq(json_string_value(json_object_get(tot, "people_new")),
	    "hidden");
	ck_assert(json_is_real(json_object_get(tot, "delivery_days_median")));
	ck_assert(json_real_value(json_object_get(tot,
	    "delivery_days_median")) == 2.0);
	ck_assert(json_is_null(json_object_get(tot, "reach_pct")));
	packs = json_object_get(per, "pack");
	ck_assert_uint_eq(json_array_size(packs), 3);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(packs, 0), "key")), "INJ");
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(packs, 0), "packs")), "hidden");
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(json_object_get(per, "item"), 3), "key")), "SYR");
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(json_object_get(per, "item"), 3), "items")), 60);
	ck_assert_uint_eq(json_array_size(json_object_get(per, "dept")), 3);
	ck_assert_uint_eq(json_array_size(json_object_get(per, "channel")),
	    3);
	json_decref(j);
	free(out);

	out = render(r, REPORT_FORMAT_TABLE);
	ck_assert_ptr_nonnull(strstr(out, "\n2026-03  2026-03-01 to "
	    "2026-03-31\n"));
	ck_assert_ptr_nonnull(strstr(out, "2026-02  2026-02-15 to 2026-02-28 "
	    "(part)\n"));
	ck_assert_ptr_nonnull(strstr(out, "  parcels 8  packs 13  "
	    "items 106\n"));
	ck_assert_ptr_nonnull(strstr(out, "  people 7  new hidden  "
	    "returning <5\n"));
	ck_assert_ptr_nonnull(strstr(out, "median 2.0  p90 5.0\n"));
	ck_assert_ptr_nonnull(strstr(out, "reach % -"));
	free(out);
	report_free(r);
}
END_TEST

/* Reports read no sealed column, and leave nothing behind. */
START_TEST(clear_columns_only)
{
	static const char *const refused[] = {
		"SELECT sealed FROM orders",
		("SELECT o.dept, r.sealed FROM orders o JOIN recipients r "
		"ON r.id = o.recipient_id"),
		"SELECT phone_key FROM recipients",
		"SELECT count(*) FROM recipients WHERE address_key IS NULL",
		"SELECT sealed_note FROM followups",
		"SELECT ref FROM orders",
		"SELECT token FROM orders",
		"SELECT carrier_id FROM parcels",
		"SELECT idem FROM orders",
		"SELECT sealed FROM inbox",
	};
	struct report *r;

	for (size_t i = 0; i < ARRAY_LEN(refused); i++)
		ck_assert_msg(report_sql_clear(st, refused[i]) == -1,
		    "allowed: %s", refused[i]);
	ck_assert_int_eq(report_sql_clear(st, "SELECT dept, channel, "
	    "shipped_at FROM orders"), 0);
	ck_assert_int_eq(report_sql_clear(st, "SELECT count(*) FROM orders"),
	    0);

	totals_store();
	r = build("2026-03-01", "2026-03-31", REPORT_BY_MONTH);
	report_free(r);
	/* The authorizer and the report's functions are gone. */
	exec_ok("SELECT sealed FROM orders");
	ck_assert_int_ne(sqlite3_exec(store_db(st), "SELECT "
	    "hrpost_report_lots(1, 2, 3)", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(store_db(st), "SELECT "
	    "hrpost_report_orders(1, 2, 3, 4)", NULL, NULL, NULL), SQLITE_OK);
	ck_assert(sqlite3_get_autocommit(store_db(st)));
}
END_TEST

/* Migration 6: the indexes the report's queries read. */
START_TEST(report_indexes)
{
	static const struct {
		const char *index, *query;
	} plans[] = {
		{ "orders_shipped", "SELECT id, recipient_id, dept, channel "
		    "FROM orders WHERE centre_id = ?1 AND shipped_at >= ?2 AND "
		    "shipped_at < ?3" },
		{ "orders_recipient_shipped", "SELECT 1 FROM orders WHERE "
		    "recipient_id = ?1 AND shipped_at < ?2 LIMIT 1" },
		{ "parcels_shipped", "SELECT order_id, id, shipped_at, "
		    "delivered_at FROM parcels WHERE shipped_at >= ?1 AND "
		    "shipped_at < ?2" },
		{ "order_lines_report", "SELECT order_id, pack, qty FROM "
		    "order_lines WHERE order_id BETWEEN ?1 AND ?2" },
		{ "parcel_lots_report", "SELECT parcel_id, lot_id, qty FROM "
		    "parcel_lots WHERE parcel_id BETWEEN ?1 AND ?2" },
		{ "followups_done", "SELECT recipient_id, outcome FROM "
		    "followups WHERE centre_id = ?1 AND done_at >= ?2 AND "
		    "done_at < ?3 AND outcome IS NOT NULL" },
	};
	char sql[512];

	for (size_t i = 0; i < ARRAY_LEN(plans); i++) {
		sqlite3_stmt *s = NULL;
		int found = 0;

		ck_assert_int_ge(str_printf(sql, sizeof(sql), "EXPLAIN QUERY "
		    "PLAN %s", plans[i].query), 0);
		ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), sql, -1, &s,
		    NULL), SQLITE_OK);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(s, 3);

			found |= d != NULL && strstr(d, "COVERING INDEX") !=
			    NULL && strstr(d, plans[i].index) != NULL;
		}
		sqlite3_finalize(s);
		ck_assert_msg(found, "%s does not read %s", plans[i].query,
		    plans[i].index);
	}
}
END_TEST

/* The report's code opens no seal and loads no key. */
START_TEST(code_opens_no_seal)
{
	static const char *const files[] = {
		"orders/report.c", "orders/report.h", "cli/report.c",
	};
	static const char *const banned[] = {
		"seal_open", "crypto/seal.h", "crypto/key.h", "key_load",
		"store_order_open", "recipient_load", "followup_contact",
		"CLI_NEED_KEY",
	};
	const char *top = getenv("HRPOST_SRCDIR");
	char path[4096];

	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		char *text;

		ck_assert_int_ge(str_printf(path, sizeof(path), "%s/%s",
		    top != NULL ? top : ".", files[i]), 0);
		text = testutil_slurp(path, NULL);
		ck_assert_msg(text != NULL, "cannot read %s", path);
		ck_assert_ptr_nonnull(strstr(text, "report"));
		for (size_t k = 0; k < ARRAY_LEN(banned); k++)
			ck_assert_msg(strstr(text, banned[k]) == NULL,
			    "%s uses %s", files[i], banned[k]);
		free(text);
	}
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, dates);
	tcase_add_test(tc, paris_midnight);
	tcase_add_test(tc, iso_weeks);
	tcase_add_test(tc, quarter_year_boundaries);
	tcase_add_test(tc, totals_known);
	tcase_add_test(tc, small_cells_4_5_6);
	tcase_add_test(tc, five_is_shown);
	tcase_add_test(tc, small_period);
	tcase_add_test(tc, new_and_returning);
	tcase_add_test(tc, followups);
	tcase_add_test(tc, delivery_times);
	tcase_add_test(tc, items_from_lots);
	tcase_add_test(tc, interleaved_ids);
	tcase_add_test(tc, all_centres);
	tcase_add_test(tc, bad_queries);
	tcase_add_test(tc, formats);
	tcase_add_test(tc, clear_columns_only);
	tcase_add_test(tc, report_indexes);
	tcase_add_test(tc, code_opens_no_seal);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(report_suite)
