/*
 * Volume reports: what went out, where, to how many people, how fast it
 * arrived and how the follow-up calls went, per week, month, quarter or
 * year, from the clear columns of centre.db only.  No personal data is
 * read: the queries run under an SQLite authorizer that refuses every
 * sealed column and every keyed pseudonym, so a query that touched one
 * would fail to prepare, and this module never opens a seal.
 *
 * What is counted (the figures' exact definitions are in README.md):
 *   - the axis is the day a parcel left the centre: an order counts in the
 *     period of its orders.shipped_at (whatever happened after: delivered,
 *     returned), so a period's figures no longer change once it is over,
 *     except the delivery figures while parcels are still on their way;
 *   - parcels, packs (order_lines) and items (parcel_lots: what was
 *     actually packed, lot by lot), in total and by pack, item,
 *     département and channel;
 *   - people: distinct recipients of those parcels; new when their first
 *     parcel ever left in the period, returning when one left before;
 *   - days from shipping to delivery (parcels.shipped_at to
 *     parcels.delivered_at, parcels of the period delivered so far):
 *     median, and the 90th percentile by nearest rank;
 *   - follow-ups: call-back tasks closed in the period (followups.done_at)
 *     with an outcome other than "stopped" (a task tried again after no
 *     answer counts once, with its last outcome), those that reached the
 *     person (reached, declined, naloxone_used, referred: a conversation),
 *     the reach rate, and naloxone uses reported (naloxone_used).
 *
 * Periods are cut at midnight in the centre's time zone, Europe/Paris
 * (CET/CEST by the EU summer-time rule, compiled in), and clipped to the
 * requested dates.  Weeks are ISO 8601 weeks (Monday to Sunday, labelled
 * "2026-W09" by their ISO week-year).
 *
 * Small cells: a figure that is about 1 to 4 people prints as "<5"
 * (REPORT_SMALL), and a row about 1 to 4 people prints "<5" in every
 * column.  So that a "<5" cannot be worked out by subtraction, complementary
 * cells are withheld as "hidden": in a breakdown, more rows are hidden
 * (the smallest first) until at least two are and they hold at least 5
 * people between them; new/returning, reached/not reached and
 * delivered/not yet delivered are withheld in pairs.
 */
#ifndef HRPOST_REPORT_H
#define HRPOST_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "base/util.h"

struct store;

#define REPORT_SMALL 5			/* fewer people than this: "<5" */
#define REPORT_YEAR_MIN 2000		/* dates a report may name */
#define REPORT_YEAR_MAX 2099
#define REPORT_DAYS_MAX 7305		/* 20 years, from and to included */
#define REPORT_DATE_LEN 11		/* "2026-03-01" + NUL */
#define REPORT_LABEL_MAX 12		/* "2026-W09", "2026-Q1" + NUL */
#define REPORT_KEY_MAX 12		/* pack, item, département, channel */
#define REPORT_KEYS_MAX 256		/* distinct keys of one breakdown */
#define REPORT_CENTRE_MAX 64
#define REPORT_ORDERS_MAX (4L * 1024 * 1024)	/* parcels in one period */
#define REPORT_TZ "Europe/Paris"

enum report_status {
	REPORT_OK = 0,
	REPORT_ERR_INVALID,	/* bad dates, period or range */
	REPORT_ERR_LIMIT,	/* more than a limit above */
	REPORT_ERR_NOMEM,
	REPORT_ERR_DB,		/* SQLite failed (or the authorizer refused) */
};

enum report_by {
	REPORT_BY_WEEK = 0,
	REPORT_BY_MONTH,
	REPORT_BY_QUARTER,
	REPORT_BY_YEAR,
};

enum report_format {
	REPORT_FORMAT_TABLE = 0,
	REPORT_FORMAT_CSV,
	REPORT_FORMAT_JSON,
};

/* A calendar day. */
struct report_date {
	int y, m, d;
};

/*
 * One figure.  REPORT_CELL_VALUE holds @value (tenths for the decimal
 * figures: delivery days and reach_pct); SMALL prints "<5", HIDDEN prints
 * "hidden", NONE means "no value" (no parcel delivered, no call made):
 * empty in CSV, null in JSON, "-" in the table.
 */
enum report_cell_state {
	REPORT_CELL_VALUE = 0,
	REPORT_CELL_SMALL,
	REPORT_CELL_HIDDEN,
	REPORT_CELL_NONE,
};

struct report_cell {
	enum report_cell_state state;
	int64_t value;
};

/* Breakdowns, in the order they are printed. */
enum report_dim {
	REPORT_DIM_PACK = 0,
	REPORT_DIM_ITEM,
	REPORT_DIM_DEPT,
	REPORT_DIM_CHANNEL,
	REPORT_DIMS,
};

/*
 * A breakdown row: parcels holding the key, @qty (items for the item
 * breakdown, packs for the others) and distinct people.
 */
struct report_row {
	char key[REPORT_KEY_MAX];
	struct report_cell parcels;
	struct report_cell qty;
	struct report_cell people;
};

struct report_totals {
	struct report_cell parcels, packs, items;
	struct report_cell people, people_new, people_returning;
	struct report_cell delivered;
	struct report_cell days_median, days_p90;	/* tenths of a day */
	struct report_cell followups, followups_reached;
	struct report_cell reach_pct;			/* tenths of a % */
	struct report_cell naloxone_used;
};

struct report_period {
	char label[REPORT_LABEL_MAX];
	struct report_date first, last;	/* days covered, clipped */
	bool partial;			/* clipped by --from or --to */
	time_t start, end;		/* [start, end), seconds UTC */
	struct report_totals t;
	size_t nrows[REPORT_DIMS];
	struct report_row *rows[REPORT_DIMS];	/* by key */
};

struct report {
	char centre[REPORT_CENTRE_MAX];	/* the centre's code, "*": all */
	bool all_centres;
	enum report_by by;
	struct report_date from, to;
	size_t nperiods;
	struct report_period *periods;
};

/* What to report on. */
struct report_query {
	struct report_date from, to;	/* inclusive */
	enum report_by by;
	int64_t centre_id;		/* 0: every centre in the database */
	const char *centre;		/* its code, for the output */
};

/*
 * Parse a strict "YYYY-MM-DD" (a real day, year REPORT_YEAR_MIN to
 * REPORT_YEAR_MAX).  Returns 0, or -1 with @out untouched.
 */
int report_date_parse(const char *s, struct report_date *out) WUR;

/* "week", "month", "quarter", "year".  Returns 0 or -1. */
int report_by_parse(const char *s, enum report_by *out) WUR;
const char *report_by_name(enum report_by by);

/* "table", "csv", "json".  Returns 0 or -1. */
int report_format_parse(const char *s, enum report_format *out) WUR;

/*
 * The instant (seconds UTC) the day @d begins in Europe/Paris.  @d must be
 * a valid day (report_date_parse()).
 */
time_t report_day_start(const struct report_date *d);

/*
 * Check @from and @to as a report range: @from <= @to and at most
 * REPORT_DAYS_MAX days, both included.  Returns 0, or -1 with a sentence
 * naming the option at fault (--from, --to) in @errbuf.
 */
int report_range_check(const struct report_date *from,
    const struct report_date *to, char *errbuf, size_t errsz) WUR;

/*
 * Build the report @q asks for from @st, reading clear columns only (see
 * above).  Every period of the range is there, empty ones with zeros.
 * On REPORT_OK *out holds the report, freed with report_free(); on error
 * *out is NULL and @errbuf says why (never personal data).
 */
enum report_status report_build(struct store *st, const struct report_query *q,
    struct report **out, char *errbuf, size_t errsz) WUR;

/*
 * 0 when @sql prepares on @st's connection under the authorizer reports
 * run under (it reads no sealed data, keyed pseudonym, reference, token,
 * carrier number or idempotency key), -1 otherwise.  For tests: it shows
 * what the report's own queries are held to.
 */
int report_sql_clear(struct store *st, const char *sql) WUR;

/* Free a report; NULL is fine. */
void report_free(struct report *r);

/*
 * Write @r to @f as a table (for people), CSV (RFC 4180: a header row,
 * CRLF line ends, one figure a row) or JSON (schema "hrpost-report/1";
 * README.md describes both).  Returns 0, or -1 on a write or allocation
 * error.
 */
int report_write(const struct report *r, enum report_format fmt, FILE *f)
    WUR;

#endif
