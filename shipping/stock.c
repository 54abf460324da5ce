/*
 * Stock lots in centre.db: receiving stock (stock_add(), one transaction
 * with its audit entry), and reading levels and lots back for `hrpost
 * stock` and for packing (see stock.h for the contracts).  Lots are read
 * in the order packing takes them (FEFO: earliest expiry first, lots
 * without expiry last, then oldest received), so what the stock report
 * lists first is what goes out first.  Stock is not personal data; lot
 * numbers and dates may appear in messages, values a person typed for an
 * address never reach this module.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "orders/store.h"
#include "shipping/stock.h"

#define STOCK_YEAR_MIN 2000
#define STOCK_YEAR_MAX 2199
#define STOCK_REPORT_LOTS_MAX 100000	/* lots with something left */
#define STOCK_LOTS_INITIAL 64

/* The FEFO order, shared with shipping/packing.c's own query. */
#define FEFO_ORDER "ORDER BY expiry IS NULL, expiry, received_at, id"

int
stock_lot_check(const char *lot, struct field_error *err)
{
	const char *f = "lot";
	size_t i, len;

	if (lot == NULL || *lot == '\0')
		return field_error_set(err, f, "is required");
	len = strnlen(lot, STOCK_LOT_MAX + 1);
	if (len > STOCK_LOT_MAX)
		return field_error_set(err, f, "must be at most %d characters",
		    STOCK_LOT_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)lot[i];

		if (c < 0x20 || c > 0x7e)
			return field_error_set(err, f, "must be printable "
			    "ASCII characters (letters, digits, signs)");
	}
	if (lot[0] == ' ' || lot[len - 1] == ' ')
		return field_error_set(err, f, "must not start or end with a "
		    "space");
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long
days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
two_digits(const char *s, long *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

int
stock_date_parse(const char *s, time_t *out)
{
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	long hi, lo, y, m, d, max;

	if (s == NULL || strlen(s) != STOCK_DATE_LEN - 1 || s[4] != '-' ||
	    s[7] != '-')
		return -1;
	if (two_digits(s, &hi) != 0 || two_digits(s + 2, &lo) != 0 ||
	    two_digits(s + 5, &m) != 0 || two_digits(s + 8, &d) != 0)
		return -1;
	y = hi * 100 + lo;
	if (y < STOCK_YEAR_MIN || y > STOCK_YEAR_MAX || m < 1 || m > 12 ||
	    d < 1)
		return -1;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	if (d > max)
		return -1;
	*out = (time_t)days_from_civil(y, m, d) * STOCK_DAY;
	return 0;
}

time_t
stock_day(time_t t)
{
	time_t r = t % STOCK_DAY;

	if (r < 0)
		r += STOCK_DAY;
	return t - r;
}

void
stock_date_format(time_t t, char out[STOCK_DATE_LEN])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, STOCK_DATE_LEN, "%Y-%m-%d", &tm) == 0)
		memcpy(out, "0000-00-00", STOCK_DATE_LEN);
}

/* true when centre.db has the item row stock_lots refers to. */
static int
item_row_exists(sqlite3 *db, const char *code, bool *exists, char *errbuf,
    size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	if (db_prepare(db,
	    "SELECT 1 FROM items WHERE code = ?", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_text(s, 1, code) != SQLITE_OK) {
		db_error(db, "cannot read items", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read items", errbuf, errsz);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto out;
	*exists = rc == SQLITE_ROW;
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* The lot as it stands, when it exists. */
struct lot_row {
	bool found;
	int64_t id;
	bool has_expiry;
	time_t expiry;
	int64_t qty_in;
	int64_t qty_left;
};

static int
read_lot(sqlite3 *db, const char *item, const char *lot, struct lot_row *r,
    char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	memset(r, 0, sizeof(*r));
	if (db_prepare(db, "SELECT id, expiry, qty_in, qty_left FROM "
	    "stock_lots WHERE item = ? AND lot = ?", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_text(s, 1, item) != SQLITE_OK ||
	    db_bind_text(s, 2, lot) != SQLITE_OK) {
		db_error(db, "cannot read the lot", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the lot", errbuf, errsz);
	if (rc == SQLITE_ROW) {
		r->found = true;
		r->id = sqlite3_column_int64(s, 0);
		r->has_expiry = sqlite3_column_type(s, 1) != SQLITE_NULL;
		r->expiry = (time_t)sqlite3_column_int64(s, 1);
		r->qty_in = sqlite3_column_int64(s, 2);
		r->qty_left = sqlite3_column_int64(s, 3);
	} else if (rc != SQLITE_DONE) {
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * Lot numbers are kept in capitals: "ab12" and "AB12" are one lot.  @lot
 * has passed stock_lot_check().
 */
static void
lot_canon(const char *lot, char out[STOCK_LOT_BYTES])
{
	size_t i;

	for (i = 0; lot[i] != '\0' && i < STOCK_LOT_MAX; i++) {
		char c = lot[i];

		out[i] = c >= 'a' && c <= 'z' ? (char)(c - ('a' - 'A')) : c;
	}
	out[i] = '\0';
}

/* Validate the four fields; on success the canonical lot is in @lot_out. */
static int
check_fields(const struct catalogue *cat, const char *item, const char *lot,
    const char *expiry_s, const char *qty_s,
    const struct catalogue_item **it, char lot_out[STOCK_LOT_BYTES],
    bool *has_expiry, time_t *expiry, long *qty, struct field_error *err)
{
	if (item == NULL || *item == '\0')
		return field_error_set(err, "item", "is required");
	*it = catalogue_item(cat, item);
	if (*it == NULL)
		return field_error_set(err, "item", "is not an item of the "
		    "catalogue (see hrpost catalogue)");
	if (stock_lot_check(lot, err) != 0)
		return -1;
	lot_canon(lot, lot_out);

	*has_expiry = expiry_s != NULL && *expiry_s != '\0';
	if (!*has_expiry && (*it)->expiry)
		return field_error_set(err, "expiry", "is required for this "
		    "item (YYYY-MM-DD)");
	if (*has_expiry && stock_date_parse(expiry_s, expiry) != 0)
		return field_error_set(err, "expiry", "must be a real date "
		    "written YYYY-MM-DD");
	if (qty_s == NULL || *qty_s == '\0')
		return field_error_set(err, "qty", "is required");
	if (parse_long(qty_s, 1, STOCK_QTY_MAX, qty) != 0) {
		long any;

		/* A number out of range, or not a whole number at all. */
		if (parse_long(qty_s, -LONG_MAX, LONG_MAX, &any) == 0)
			return field_error_set(err, "qty", "must be from 1 to "
			    "%d", STOCK_QTY_MAX);
		return field_error_set(err, "qty", "must be a whole number "
		    "from 1 to %d", STOCK_QTY_MAX);
	}
	return 0;
}

/*
 * Record @qty of item @it in lot @canon: the part of stock_add() after the
 * fields are valid.  @demo allows an expiry in the past (the demo's
 * expired lot) and marks the audit entry.
 */
static enum stock_status
add_lot(struct store *st, const struct catalogue *cat,
    const struct catalogue_item *it, const char *canon, bool has_expiry,
    time_t expiry, long qty, bool demo, const char *actor,
    struct stock_added *out, struct field_error *err, char *errbuf,
    size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct lot_row row;
	enum stock_status ret = STOCK_ERR_DB;
	char object[AUDIT_OBJECT_MAX], detail[AUDIT_DETAIL_MAX];
	char day[STOCK_DATE_LEN];
	time_t today = stock_day(clock_now());
	bool exists = false;

	/* An item added to packs.ini since init: record it first. */
	if (item_row_exists(db, it->code, &exists, errbuf, errsz) != 0)
		return STOCK_ERR_DB;
	if (!exists && store_catalogue_sync(st, cat, actor) != STORE_OK) {
		errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
		return STOCK_ERR_DB;
	}

	if (db_begin(db, errbuf, errsz) != 0)
		return STOCK_ERR_DB;
	if (read_lot(db, it->code, canon, &row, errbuf, errsz) != 0)
		goto out;
	if (row.found) {
		if (row.has_expiry != has_expiry ||
		    (has_expiry && row.expiry != expiry)) {
			if (row.has_expiry) {
				stock_date_format(row.expiry, day);
				field_error_set(err, "expiry", "must be the "
				    "lot's recorded expiry, %s", day);
			} else {
				field_error_set(err, "expiry", "this lot was "
				    "received without an expiry date");
			}
			ret = STOCK_ERR_INVALID;
			goto out;
		}
		if (row.qty_in > INT32_MAX - qty) {
			field_error_set(err, "qty", "would make the lot larger "
			    "than %d", INT32_MAX);
			ret = STOCK_ERR_INVALID;
			goto out;
		}
	}
	/* Expired stock is never packed: receiving it is a mistake. */
	if (has_expiry && expiry < today && !demo) {
		field_error_set(err, "expiry", row.found ? "this lot has "
		    "expired: it cannot be restocked" : "is in the past: an "
		    "expired lot is never packed");
		ret = STOCK_ERR_INVALID;
		goto out;
	}

	if (row.found) {
		if (db_prepare(db,
		    "UPDATE stock_lots SET qty_in = qty_in + ?1, "
		    "qty_left = qty_left + ?1 WHERE id = ?2", &s, errbuf,
		    errsz) != 0)
			goto out;
		if (db_bind_int64(s, 1, qty) != SQLITE_OK ||
		    db_bind_int64(s, 2, row.id) != SQLITE_OK) {
			db_error(db, "cannot add to the lot", errbuf, errsz);
			goto out;
		}
	} else {
		if (db_prepare(db, "INSERT INTO stock_lots (item, lot, expiry, "
		    "qty_in, qty_left, received_at) VALUES (?1, ?2, ?3, ?4, "
		    "?4, ?5)", &s, errbuf, errsz) != 0)
			goto out;
		if (db_bind_text(s, 1, it->code) != SQLITE_OK ||
		    db_bind_text(s, 2, canon) != SQLITE_OK ||
		    (has_expiry ? db_bind_int64(s, 3, (int64_t)expiry) :
		    sqlite3_bind_null(s, 3)) != SQLITE_OK ||
		    db_bind_int64(s, 4, qty) != SQLITE_OK ||
		    db_bind_int64(s, 5, (int64_t)clock_now()) != SQLITE_OK) {
			db_error(db, "cannot record the lot", errbuf, errsz);
			goto out;
		}
	}
	if (db_step(s, "cannot record the lot", errbuf, errsz) != SQLITE_DONE)
		goto out;
	if (!row.found)
		row.id = sqlite3_last_insert_rowid(db);

	if (has_expiry)
		stock_date_format(expiry, day);
	if (str_printf(object, sizeof(object), "%s/%s", it->code, canon) < 0 ||
	    str_printf(detail, sizeof(detail), "+%ld%s%s%s%s", qty,
	    row.found ? "" : " new lot", has_expiry ? ", expiry " : "",
	    has_expiry ? day : "", demo ? " (demo)" : "") < 0) {
		errbuf_set(errbuf, errsz, "audit entry too long");
		goto out;
	}
	if (audit_append(db, actor, "stock.add", object, detail, NULL, errbuf,
	    errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	if (out != NULL) {
		out->lot_id = row.id;
		out->new_lot = !row.found;
		out->qty_left = (int)(row.qty_left + qty);
	}
	ret = STOCK_OK;
out:
	sqlite3_finalize(s);
	if (ret != STOCK_OK)
		db_rollback(db);
	return ret;
}

enum stock_status
stock_add(struct store *st, const struct catalogue *cat, const char *item,
    const char *lot, const char *expiry_s, const char *qty_s,
    const char *actor, struct stock_added *out, struct field_error *err,
    char *errbuf, size_t errsz)
{
	const struct catalogue_item *it = NULL;
	char canon[STOCK_LOT_BYTES];
	time_t expiry = 0;
	bool has_expiry = false;
	long qty = 0;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (st == NULL || cat == NULL) {
		errbuf_set(errbuf, errsz, "no store or catalogue");
		return STOCK_ERR_DB;
	}
	if (check_fields(cat, item, lot, expiry_s, qty_s, &it, canon,
	    &has_expiry, &expiry, &qty, err) != 0)
		return STOCK_ERR_INVALID;
	return add_lot(st, cat, it, canon, has_expiry, expiry, qty, false,
	    actor, out, err, errbuf, errsz);
}

enum stock_status
stock_add_demo(struct store *st, const struct catalogue *cat,
    const char *item, const char *lot, time_t expiry, int qty,
    const char *actor, char *errbuf, size_t errsz)
{
	const struct catalogue_item *it;
	struct field_error fe;
	char canon[STOCK_LOT_BYTES];
	enum stock_status ret;

	if (st == NULL || cat == NULL || item == NULL) {
		errbuf_set(errbuf, errsz, "no store, catalogue or item");
		return STOCK_ERR_INVALID;
	}
	it = catalogue_item(cat, item);
	if (it == NULL || stock_lot_check(lot, &fe) != 0 || qty < 1 ||
	    qty > STOCK_QTY_MAX || (it->expiry && expiry == 0)) {
		errbuf_set(errbuf, errsz, "demo lot %s of item %s is malformed",
		    lot != NULL ? lot : "?", item);
		return STOCK_ERR_INVALID;
	}
	lot_canon(lot, canon);
	ret = add_lot(st, cat, it, canon, expiry != 0, stock_day(expiry), qty,
	    true, actor, NULL, &fe, errbuf, errsz);
	if (ret == STOCK_ERR_INVALID)
		errbuf_set(errbuf, errsz, "demo lot %s of item %s: %s: %s", lot,
		    item, fe.field, fe.msg);
	return ret;
}

long
stock_usable(struct store *st, const char *item, time_t today, char *errbuf,
    size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	long ret = -1;

	if (db_prepare(db, "SELECT coalesce(sum(qty_left), 0) FROM stock_lots "
	    "WHERE item = ? AND qty_left > 0 AND (expiry IS NULL OR "
	    "expiry >= ?)", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_text(s, 1, item) != SQLITE_OK ||
	    db_bind_int64(s, 2, (int64_t)stock_day(today)) != SQLITE_OK) {
		db_error(db, "cannot read stock", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot read stock", errbuf, errsz) != SQLITE_ROW)
		goto out;
	ret = (long)sqlite3_column_int64(s, 0);
out:
	sqlite3_finalize(s);
	return ret;
}

void
stock_report_free(struct stock_report *r)
{
	if (r == NULL)
		return;
	free(r->levels);
	free(r->lots);
	free(r);
}

/* Room for one more lot in @r, growing up to STOCK_REPORT_LOTS_MAX. */
static int
lots_grow(struct stock_report *r, size_t *cap, char *errbuf, size_t errsz)
{
	struct stock_lot *n;
	size_t want;

	if (r->nlots < *cap)
		return 0;
	if (*cap >= STOCK_REPORT_LOTS_MAX) {
		errbuf_set(errbuf, errsz, "more than %d lots hold stock",
		    STOCK_REPORT_LOTS_MAX);
		return -1;
	}
	want = *cap == 0 ? STOCK_LOTS_INITIAL : *cap * 2;
	if (want > STOCK_REPORT_LOTS_MAX)
		want = STOCK_REPORT_LOTS_MAX;
	n = realloc(r->lots, want * sizeof(*n));
	if (n == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return -1;
	}
	r->lots = n;
	*cap = want;
	return 0;
}

int
stock_report(struct store *st, const struct catalogue *cat,
    int expiring_days, struct stock_report **out, char *errbuf, size_t errsz)
{
	struct stock_report *r = NULL;
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	size_t cap = 0, i, nitems;
	time_t horizon;
	int rc, ret = -1;

	*out = NULL;
	if (st == NULL || cat == NULL || expiring_days < 0 ||
	    expiring_days > STOCK_EXPIRING_DAYS_MAX) {
		errbuf_set(errbuf, errsz, "expiring window must be 0 to %d "
		    "days", STOCK_EXPIRING_DAYS_MAX);
		return -1;
	}
	db = store_db(st);
	nitems = catalogue_nitems(cat);
	r = calloc(1, sizeof(*r));
	if (r != NULL)
		r->levels = calloc(nitems > 0 ? nitems : 1,
		    sizeof(*r->levels));
	if (r == NULL || r->levels == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	r->nlevels = nitems;
	r->today = stock_day(clock_now());
	r->expiring_days = expiring_days;
	horizon = r->today + (time_t)expiring_days * STOCK_DAY;

	if (db_prepare(db, "SELECT id, lot, expiry, qty_in, qty_left, "
	    "received_at FROM stock_lots WHERE item = ? AND qty_left > 0 "
	    FEFO_ORDER, &s, errbuf, errsz) != 0)
		goto out;
	for (i = 0; i < nitems; i++) {
		const struct catalogue_item *it = catalogue_item_at(cat, i);
		struct stock_level *lv = &r->levels[i];

		lv->item = it;
		lv->first_lot = r->nlots;
		sqlite3_reset(s);
		if (db_bind_text(s, 1, it->code) != SQLITE_OK) {
			db_error(db, "cannot read stock", errbuf, errsz);
			goto out;
		}
		for (;;) {
			struct stock_lot *l;

			rc = db_step(s, "cannot read stock", errbuf, errsz);
			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW)
				goto out;
			if (lots_grow(r, &cap, errbuf, errsz) != 0)
				goto out;
			l = &r->lots[r->nlots];
			memset(l, 0, sizeof(*l));
			l->id = sqlite3_column_int64(s, 0);
			if (str_copy(l->item, sizeof(l->item), it->code) != 0 ||
			    db_column_text(s, 1, l->lot, sizeof(l->lot)) != 0) {
				errbuf_set(errbuf, errsz, "stock lot %lld has a "
				    "malformed column", (long long)l->id);
				goto out;
			}
			if (sqlite3_column_type(s, 2) != SQLITE_NULL)
				l->expiry = (time_t)sqlite3_column_int64(s, 2);
			l->qty_in = sqlite3_column_int(s, 3);
			l->qty_left = sqlite3_column_int(s, 4);
			l->received_at = (time_t)sqlite3_column_int64(s, 5);
			l->expired = l->expiry != 0 && l->expiry < r->today;
			l->expiring = l->expiry != 0 && !l->expired &&
			    l->expiry <= horizon;
			lv->total += l->qty_left;
			if (l->expired) {
				lv->expired += l->qty_left;
				r->nexpired++;
			} else {
				lv->usable += l->qty_left;
			}
			if (l->expiring)
				r->nexpiring++;
			r->nlots++;
			lv->nlots++;
		}
		lv->under_low = lv->usable < it->low;
	}
	*out = r;
	r = NULL;
	ret = 0;
out:
	sqlite3_finalize(s);
	stock_report_free(r);
	return ret;
}
