/*
 * Stock: what the centre holds of each catalogue item, per lot, with the
 * expiry date of lots that have one (naloxone).  Lots live in centre.db's
 * stock_lots table (orders/store.c, migration 1): (item, lot) is unique, a
 * lot keeps the quantity received (qty_in) and what is left (qty_left).
 * Packing takes from lots (shipping/packing.h); this module receives stock
 * and reports levels.
 *
 * Dates: an expiry is a calendar day, stored as the seconds of its 00:00
 * UTC.  A lot is usable up to and including its expiry day and expired
 * from the next day on ("expiry < today", today from clock_now(), which
 * honours $HRPOST_NOW).
 *
 * Every change is one BEGIN IMMEDIATE transaction with its audit entry
 * ("stock.add", object "ITEM/LOT").  Errors name the field and the rule,
 * never echo a value.
 */
#ifndef HRPOST_STOCK_H
#define HRPOST_STOCK_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "shipping/catalogue.h"

struct store;

#define STOCK_LOT_MAX 32		/* characters of a lot number */
#define STOCK_LOT_BYTES (STOCK_LOT_MAX + 1)
#define STOCK_QTY_MAX 1000000		/* per stock add */
#define STOCK_EXPIRING_DAYS 60		/* default "expiring soon" window */
#define STOCK_EXPIRING_DAYS_MAX 3650
#define STOCK_DATE_LEN 11		/* "YYYY-MM-DD" + NUL */
#define STOCK_DAY 86400

enum stock_status {
	STOCK_OK = 0,
	STOCK_ERR_INVALID,	/* a field is wrong: see the field_error */
	STOCK_ERR_DB,		/* SQLite failed: see errbuf */
};

/*
 * A lot number: 1 to STOCK_LOT_MAX printable ASCII characters (0x21-0x7e
 * and inner spaces; no space at either end).  Returns 0, or -1 with @err
 * (field "lot").
 */
int stock_lot_check(const char *lot, struct field_error *err) WUR;

/*
 * Parse a calendar date "YYYY-MM-DD" (a real day: 2026-02-30 is refused,
 * years 2000-2199) into the seconds of its 00:00 UTC.  Returns 0 or -1.
 */
int stock_date_parse(const char *s, time_t *out) WUR;

/* Format a day (seconds, any time of that day) as "YYYY-MM-DD". */
void stock_date_format(time_t t, char out[STOCK_DATE_LEN]);

/* 00:00 UTC of the day @t falls in. */
time_t stock_day(time_t t);

/* What stock_add() did. */
struct stock_added {
	int64_t lot_id;
	bool new_lot;		/* false: quantity added to an existing lot */
	int qty_left;		/* the lot's quantity left afterwards */
};

/*
 * Receive @qty_s pieces of catalogue item @item as lot @lot, with expiry
 * @expiry_s ("YYYY-MM-DD"; NULL or "" for none).  All four come as typed
 * and are validated here:
 *   "item"    unknown to @cat (codes compare case-insensitively; the
 *             catalogue's spelling is stored);
 *   "lot"     stock_lot_check(); kept in capitals ("ab12" is "AB12");
 *   "expiry"  required when the item has expiry = yes; not a real date;
 *             in the past (before today) for a new lot; for an existing
 *             lot, different from the lot's recorded expiry (a lot with
 *             none takes none);
 *   "qty"     not a whole number in 1..STOCK_QTY_MAX (zero, negative,
 *             non-numeric), or the lot would exceed INT32_MAX.
 * A new (item, lot) makes a new lot; an existing one gets @qty added to
 * what it received and to what is left.  The item row is synced from @cat
 * first when centre.db lacks it (a catalogue edited since init).  One
 * transaction with the audit entry "stock.add" (object "ITEM/LOT",
 * detail "+QTY new lot" or "+QTY"), attributed to @actor.
 *
 * Returns STOCK_OK with @out filled (may be NULL); STOCK_ERR_INVALID with
 * @err, nothing written; STOCK_ERR_DB with @errbuf, nothing written.
 */
enum stock_status stock_add(struct store *st, const struct catalogue *cat,
    const char *item, const char *lot, const char *expiry_s,
    const char *qty_s, const char *actor, struct stock_added *out,
    struct field_error *err, char *errbuf, size_t errsz) WUR;

/*
 * Demo stock for `hrpost init --demo`: lot @lot (as stock_lot_check()
 * allows; kept in capitals) of @qty pieces of @item, expiring on the day of
 * @expiry (0: none; required for an item with expiry = yes).  Unlike
 * stock_add(), an expiry in the past is accepted, so the demo can show an
 * expired lot being skipped.  Same transaction and audit entry as
 * stock_add(), its detail ending " (demo)".  Returns STOCK_OK,
 * STOCK_ERR_INVALID (a malformed argument, in @errbuf) or STOCK_ERR_DB.
 */
enum stock_status stock_add_demo(struct store *st,
    const struct catalogue *cat, const char *item, const char *lot,
    time_t expiry, int qty, const char *actor, char *errbuf,
    size_t errsz) WUR;

/* One lot, as stock_report() reads it. */
struct stock_lot {
	int64_t id;
	char item[CATALOGUE_CODE_MAX];
	char lot[STOCK_LOT_BYTES];
	time_t expiry;		/* 0: the lot has none */
	int qty_in;
	int qty_left;
	time_t received_at;
	bool expired;		/* expiry < today: never packed */
	bool expiring;		/* not expired, expiry within the window */
};

/* One item's level. */
struct stock_level {
	const struct catalogue_item *item;	/* into the catalogue */
	long total;		/* left in every lot, expired ones included */
	long usable;		/* left in lots not expired */
	long expired;		/* left in expired lots */
	bool under_low;		/* usable < item->low */
	size_t first_lot;	/* its lots: report->lots[first_lot ...] */
	size_t nlots;
};

struct stock_report {
	time_t today;		/* 00:00 UTC of clock_now() */
	int expiring_days;
	size_t nlevels;		/* one per catalogue item, catalogue order */
	struct stock_level *levels;
	size_t nlots;		/* lots with something left, item by item */
	struct stock_lot *lots;	/* each item's in FEFO order (packing's) */
	size_t nexpiring;	/* lots with expiring set */
	size_t nexpired;	/* lots with expired set */
};

/*
 * Read the stock of every item of @cat: levels, the lots that still hold
 * something (in the order packing would take them: expiry first, lots
 * without expiry last, then oldest received), which are expired and which
 * expire within @expiring_days (0..STOCK_EXPIRING_DAYS_MAX) days of today
 * (expiry <= today + days).  Lots of items no longer in the catalogue are
 * left out.  Returns 0 and *out (free with stock_report_free()), or -1
 * with @errbuf.
 */
int stock_report(struct store *st, const struct catalogue *cat,
    int expiring_days, struct stock_report **out, char *errbuf,
    size_t errsz) WUR;

void stock_report_free(struct stock_report *r);

/*
 * Units of @item left in usable (not expired at @today) lots; -1 with
 * @errbuf on a database error.  Reads inside the caller's transaction
 * when one is open.
 */
long stock_usable(struct store *st, const char *item, time_t today,
    char *errbuf, size_t errsz) WUR;

#endif
