/*
 * Volume reports (see report.h for what is counted and why).  For each
 * period, for each centre asked for: the orders that left in the period
 * (the index of migration 6 on (centre_id, shipped_at)), their parcels
 * with the delivery times (parcels by shipping time), their lines and the
 * lots packed (read by runs of order and parcel ids), whether each person
 * had a parcel before (one index seek a person, in recipient order), and
 * the follow-ups closed in the period.  The rows are gathered per order in
 * memory and counted in C: distinct people per pack, item, département
 * and channel come from one pass over the orders sorted by recipient, each
 * person's keys OR-ed into bitmaps, so no COUNT(DISTINCT) has to sort
 * joined rows once per breakdown.  Everything runs in one read
 * transaction (a consistent snapshot under WAL), holding the connection's
 * mutex, under an authorizer that refuses the sealed and keyed columns.
 *
 * Small cells are then suppressed (report.h): "<5" for 1 to 4 people,
 * "hidden" for the complementary cells that would give a "<5" away by
 * subtraction.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "orders/db.h"
#include "orders/report.h"
#include "orders/store.h"

#define DAY 86400
#define CET 3600			/* Europe/Paris, winter */
#define CEST 7200			/* Europe/Paris, summer */
#define BITS_WORDS (REPORT_KEYS_MAX / 64)
#define KEYS_SLOTS (REPORT_KEYS_MAX * 2)	/* a power of two */
#define ORDERS_FIRST 1024		/* first allocation, grows by 2 */
#define CALLS_FIRST 256
#define CELL_TEXT_MAX 32
#define JSON_PRECISION 12

_Static_assert((KEYS_SLOTS & (KEYS_SLOTS - 1)) == 0, "slots: power of 2");
_Static_assert(REPORT_KEYS_MAX % 64 == 0, "keys: whole words");

/* Follow-up outcomes (followups.outcome), as counted. */
enum outcome {
	OUT_REACHED = 0,
	OUT_NO_ANSWER,
	OUT_DECLINED,
	OUT_NALOXONE,
	OUT_REFERRED,
	OUT_STOPPED,
	OUT_OTHER,
};

static const char *const outcome_names[] = {
	[OUT_REACHED] = "reached",
	[OUT_NO_ANSWER] = "no_answer",
	[OUT_DECLINED] = "declined",
	[OUT_NALOXONE] = "naloxone_used",
	[OUT_REFERRED] = "referred",
	[OUT_STOPPED] = "stopped",
};

static const char *const by_names[] = {
	[REPORT_BY_WEEK] = "week",
	[REPORT_BY_MONTH] = "month",
	[REPORT_BY_QUARTER] = "quarter",
	[REPORT_BY_YEAR] = "year",
};

static const char *const format_names[] = {
	[REPORT_FORMAT_TABLE] = "table",
	[REPORT_FORMAT_CSV] = "csv",
	[REPORT_FORMAT_JSON] = "json",
};

static const char *const dim_names[REPORT_DIMS] = {
	[REPORT_DIM_PACK] = "pack",
	[REPORT_DIM_ITEM] = "item",
	[REPORT_DIM_DEPT] = "dept",
	[REPORT_DIM_CHANNEL] = "channel",
};

/* The channels, pre-interned in this order so they print in it. */
static const char *const channel_names[] = { "phone", "web", "sms" };

/*
 * Columns a report never reads: sealed personal data, keyed pseudonyms of
 * phone numbers and addresses, and what names one parcel or order
 * (references, tracking tokens and numbers, idempotency keys).  Any
 * column whose name starts with "sealed" is refused too.
 */
static const char *const personal_columns[] = {
	"phone_key", "address_key", "ref", "token", "carrier_id", "idem",
};

struct bits {
	uint64_t w[BITS_WORDS];
};

/* Keys of one breakdown, interned to small indexes for the bitmaps. */
struct keys {
	size_t n;
	char key[REPORT_KEYS_MAX][REPORT_KEY_MAX];
	int16_t slot[KEYS_SLOTS];	/* index + 1; 0: empty */
};

/* An order that left in the period, as gathered from the queries. */
struct ord {
	int64_t id;
	int64_t recipient;	/* -id when the order has none */
	int64_t parcel;		/* parcels.id, 0 when none was found */
	int64_t delay;		/* seconds shipped to delivered; -1: not yet */
	uint16_t dept;
	uint8_t channel;
	bool returning;		/* a parcel left for them before the period */
	struct bits packs;
	struct bits items;
};

struct call {
	int64_t recipient;
	enum outcome outcome;
};

/* An id and the index of its order in work.o, to merge sorted rows. */
struct idx {
	int64_t id;
	int32_t i;
};

/* Open addressing from an id to a small number (-1: empty slot). */
struct idslot {
	int64_t key;
	int32_t val;
};

struct idmap {
	struct idslot *slot;
	size_t cap;		/* slots allocated */
	size_t mask;		/* slots in use - 1 */
};

/* Everything one report needs while it runs. */
struct work {
	sqlite3 *db;
	char *err;
	size_t errsz;
	struct keys keys[REPORT_DIMS];
	struct idmap lots;	/* stock_lots.id to the item's key */
	struct idmap byid;	/* orders.id to its index in @o */
	int64_t *centres;
	size_t ncentres;
	struct ord *o;
	size_t n, cap;
	struct ord *o2;		/* scratch for reorder() */
	size_t cap2;
	struct idx *ids;	/* (order or parcel id, index), by id */
	size_t nids, capids;
	struct idx *tmp;	/* scratch for radix_sort() */
	size_t captmp;
	size_t run_start, run_end, cur;	/* scan_runs(): w->ids[...] */
	enum report_status fail;	/* set by an aggregate's step */
	struct call *calls;
	size_t ncalls, capcalls;
	int64_t packs_total, items_total;
	int64_t parcels[REPORT_DIMS][REPORT_KEYS_MAX];
	int64_t people[REPORT_DIMS][REPORT_KEYS_MAX];
	int64_t qty[REPORT_DIMS][REPORT_KEYS_MAX];
	sqlite3_stmt *qa, *qp, *qr, *qb, *qc, *qe;
};

/* ---- Calendar ---------------------------------------------------------- */

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

/* Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2 ? 1 : 0);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, struct report_date *out)
{
	int64_t era, doe, yoe, doy, mp, y, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	m = mp < 10 ? mp + 3 : mp - 9;
	out->d = (int)(doy - (153 * mp + 2) / 5 + 1);
	out->m = (int)m;
	out->y = (int)(y + (m <= 2 ? 1 : 0));
}

/* ISO weekday of day number @z: 1 Monday to 7 Sunday. */
static int
weekday(int64_t z)
{
	return (int)(((z % 7 + 7) % 7 + 3) % 7) + 1;
}

static int64_t
day_number(const struct report_date *d)
{
	return days_from_civil(d->y, d->m, d->d);
}

static int64_t
last_sunday(int y, int m)
{
	int64_t z = days_from_civil(y, m, month_days(y, m));

	return z - weekday(z) % 7;
}

/*
 * Europe/Paris: CEST from the last Sunday of March, 01:00 UTC, to the last
 * Sunday of October, 01:00 UTC (the EU rule, in force since 1996), CET
 * otherwise.  Midnight is never in the gap or the overlap, so the day
 * that starts on the last Sunday of March starts in CET and the one that
 * starts on the last Sunday of October in CEST.
 */
static time_t
day_start_z(int64_t z)
{
	struct report_date d;
	int off;

	civil_from_days(z, &d);
	off = z > last_sunday(d.y, 3) && z <= last_sunday(d.y, 10) ? CEST :
	    CET;
	return (time_t)(z * DAY - off);
}

time_t
report_day_start(const struct report_date *d)
{
	return day_start_z(day_number(d));
}

static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static bool
date_valid(const struct report_date *d)
{
	return d->y >= REPORT_YEAR_MIN && d->y <= REPORT_YEAR_MAX &&
	    d->m >= 1 && d->m <= 12 && d->d >= 1 &&
	    d->d <= month_days(d->y, d->m);
}

int
report_date_parse(const char *s, struct report_date *out)
{
	struct report_date d;

	if (s == NULL || strlen(s) != REPORT_DATE_LEN - 1 || s[4] != '-' ||
	    s[7] != '-' || digits(s, 4, &d.y) != 0 ||
	    digits(s + 5, 2, &d.m) != 0 || digits(s + 8, 2, &d.d) != 0)
		return -1;
	if (!date_valid(&d))
		return -1;
	*out = d;
	return 0;
}

int
report_by_parse(const char *s, enum report_by *out)
{
	for (size_t i = 0; s != NULL && i < ARRAY_LEN(by_names); i++) {
		if (strcmp(s, by_names[i]) == 0) {
			*out = (enum report_by)i;
			return 0;
		}
	}
	return -1;
}

const char *
report_by_name(enum report_by by)
{
	return (size_t)by < ARRAY_LEN(by_names) ? by_names[by] : "?";
}

int
report_format_parse(const char *s, enum report_format *out)
{
	for (size_t i = 0; s != NULL && i < ARRAY_LEN(format_names); i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*out = (enum report_format)i;
			return 0;
		}
	}
	return -1;
}

int
report_range_check(const struct report_date *from,
    const struct report_date *to, char *errbuf, size_t errsz)
{
	int64_t a = day_number(from), b = day_number(to);

	if (b < a) {
		errbuf_set(errbuf, errsz, "--to: before --from");
		return -1;
	}
	if (b - a + 1 > REPORT_DAYS_MAX) {
		errbuf_set(errbuf, errsz, "--to: more than %d days (20 years) "
		    "after --from", REPORT_DAYS_MAX);
		return -1;
	}
	return 0;
}

/*
 * The natural period holding day @z: its first and last days and its
 * label (ISO week-year and week for weeks).
 */
static void
natural_period(enum report_by by, int64_t z, int64_t *first, int64_t *last,
    char label[REPORT_LABEL_MAX])
{
	struct report_date d, th;
	int q;

	civil_from_days(z, &d);
	switch (by) {
	case REPORT_BY_WEEK:
		*first = z - (weekday(z) - 1);
		*last = *first + 6;
		civil_from_days(*first + 3, &th);	/* the Thursday */
		(void)!str_printf(label, REPORT_LABEL_MAX, "%04d-W%02d", th.y,
		    (int)((*first + 3 - days_from_civil(th.y, 1, 1)) / 7 + 1));
		break;
	case REPORT_BY_MONTH:
		*first = days_from_civil(d.y, d.m, 1);
		*last = days_from_civil(d.y, d.m, month_days(d.y, d.m));
		(void)!str_printf(label, REPORT_LABEL_MAX, "%04d-%02d", d.y,
		    d.m);
		break;
	case REPORT_BY_QUARTER:
		q = (d.m - 1) / 3;
		*first = days_from_civil(d.y, 3 * q + 1, 1);
		*last = days_from_civil(d.y, 3 * q + 3, month_days(d.y,
		    3 * q + 3));
		(void)!str_printf(label, REPORT_LABEL_MAX, "%04d-Q%d", d.y,
		    q + 1);
		break;
	case REPORT_BY_YEAR:
	default:
		*first = days_from_civil(d.y, 1, 1);
		*last = days_from_civil(d.y, 12, 31);
		(void)!str_printf(label, REPORT_LABEL_MAX, "%04d", d.y);
		break;
	}
}

/* Cut [from, to] into periods; r->periods allocated and filled in. */
static enum report_status
make_periods(struct report *r, char *errbuf, size_t errsz)
{
	int64_t a = day_number(&r->from), b = day_number(&r->to), z, f, l;
	char label[REPORT_LABEL_MAX];
	size_t n = 0;

	for (z = a; z <= b; z = l + 1) {
		natural_period(r->by, z, &f, &l, label);
		n++;
	}
	r->periods = calloc(n, sizeof(*r->periods));
	if (r->periods == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return REPORT_ERR_NOMEM;
	}
	for (z = a; z <= b; z = l + 1) {
		struct report_period *p = &r->periods[r->nperiods++];

		natural_period(r->by, z, &f, &l, label);
		memcpy(p->label, label, sizeof(p->label));
		p->partial = f < a || l > b;
		civil_from_days(f < a ? a : f, &p->first);
		civil_from_days(l > b ? b : l, &p->last);
		p->start = day_start_z(f < a ? a : f);
		p->end = day_start_z((l > b ? b : l) + 1);
	}
	return REPORT_OK;
}

/* ---- Keys and bitmaps -------------------------------------------------- */

static uint32_t
hash_key(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* The index of @s in @k, added when new; -1 when too many or too long. */
static int
intern(struct keys *k, const char *s)
{
	uint32_t i = hash_key(s) & (KEYS_SLOTS - 1);

	for (;;) {
		int v = k->slot[i];

		if (v == 0)
			break;
		if (strcmp(k->key[v - 1], s) == 0)
			return v - 1;
		i = (i + 1) & (KEYS_SLOTS - 1);
	}
	if (k->n >= REPORT_KEYS_MAX || str_copy(k->key[k->n],
	    sizeof(k->key[0]), s) != 0)
		return -1;
	k->slot[i] = (int16_t)(k->n + 1);
	return (int)k->n++;
}

static void
bit_set(struct bits *b, int i)
{
	b->w[i / 64] |= UINT64_C(1) << (i % 64);
}

static void
bits_or(struct bits *a, const struct bits *b)
{
	for (size_t i = 0; i < BITS_WORDS; i++)
		a->w[i] |= b->w[i];
}

/* Add 1 to @count[i] for every bit i set in @b. */
static void
bits_count(const struct bits *b, int64_t *count)
{
	for (size_t i = 0; i < BITS_WORDS; i++) {
		uint64_t w = b->w[i];

		while (w != 0) {
			count[i * 64 + (size_t)__builtin_ctzll(w)]++;
			w &= w - 1;
		}
	}
}

static uint64_t
id_hash(int64_t id)
{
	return (uint64_t)id * UINT64_C(0x9E3779B97F4A7C15);
}

/* Empty @m with room for @n ids, at most half full.  Returns 0 or -1. */
static int
idmap_reset(struct idmap *m, size_t n)
{
	size_t want = 64;
	struct idslot *p;

	while (want < 2 * n)
		want *= 2;
	if (want > m->cap) {
		p = realloc(m->slot, want * sizeof(*p));
		if (p == NULL)
			return -1;
		m->slot = p;
		m->cap = want;
	}
	m->mask = want - 1;
	for (size_t i = 0; i < want; i++)
		m->slot[i].val = -1;
	return 0;
}

static size_t
idmap_slot(const struct idmap *m, int64_t id)
{
	size_t i = (size_t)(id_hash(id) >> 32) & m->mask;

	while (m->slot[i].val >= 0 && m->slot[i].key != id)
		i = (i + 1) & m->mask;
	return i;
}

/* Map @id to @v; the caller sized @m with idmap_reset(). */
static void
idmap_put(struct idmap *m, int64_t id, int32_t v)
{
	size_t i = idmap_slot(m, id);

	m->slot[i].key = id;
	m->slot[i].val = v;
}

/* What @id maps to, or -1. */
static int32_t
idmap_get(const struct idmap *m, int64_t id)
{
	if (m->slot == NULL)
		return -1;
	return m->slot[idmap_slot(m, id)].val;
}

static void
idmap_free(struct idmap *m)
{
	free(m->slot);
}

/* ---- Reading ----------------------------------------------------------- */

static bool
personal_column(const char *col)
{
	if (strncmp(col, "sealed", 6) == 0)
		return true;
	for (size_t i = 0; i < ARRAY_LEN(personal_columns); i++)
		if (strcmp(col, personal_columns[i]) == 0)
			return true;
	return false;
}

/* The authorizer: a report reads clear columns only. */
static int
authorize(void *arg, int action, const char *a, const char *b,
    const char *dbname, const char *trigger)
{
	(void)arg;
	(void)a;
	(void)dbname;
	(void)trigger;
	if (action == SQLITE_READ && b != NULL && personal_column(b))
		return SQLITE_DENY;
	return SQLITE_OK;
}

static enum report_status
nomem(struct work *w)
{
	errbuf_set(w->err, w->errsz, "out of memory");
	return REPORT_ERR_NOMEM;
}

static enum report_status
fail_db(struct work *w, const char *what)
{
	(void)db_error(w->db, what, w->err, w->errsz);
	return REPORT_ERR_DB;
}

static enum report_status
prepare(struct work *w, const char *sql, sqlite3_stmt **s)
{
	return db_prepare(w->db, sql, s, w->err, w->errsz) == 0 ? REPORT_OK :
	    REPORT_ERR_DB;
}

/* The centres to report on, and every lot's item. */
static enum report_status
load_setup(struct work *w, int64_t centre_id)
{
	sqlite3_stmt *s = NULL;
	enum report_status ret = REPORT_ERR_DB;
	size_t cap = 0;
	int rc;

	if (centre_id != 0) {
		w->centres = malloc(sizeof(*w->centres));
		if (w->centres == NULL) {
			ret = nomem(w);
			goto out;
		}
		w->centres[0] = centre_id;
		w->ncentres = 1;
	} else {
		if (prepare(w, "SELECT id FROM centres ORDER BY id", &s) !=
		    REPORT_OK)
			goto out;
		for (;;) {
			rc = db_step(s, "cannot read the centres", w->err,
			    w->errsz);
			if (rc != SQLITE_ROW)
				break;
			if (w->ncentres == cap) {
				size_t nc = cap == 0 ? 8 : cap * 2;
				int64_t *p = realloc(w->centres,
				    nc * sizeof(*p));

				if (p == NULL) {
					ret = nomem(w);
					goto out;
				}
				w->centres = p;
				cap = nc;
			}
			w->centres[w->ncentres++] = sqlite3_column_int64(s, 0);
		}
		if (rc != SQLITE_DONE)
			goto out;
		sqlite3_finalize(s);
		s = NULL;
	}

	if (prepare(w, "SELECT count(*) FROM stock_lots", &s) != REPORT_OK)
		goto out;
	if (db_step(s, "cannot count the stock lots", w->err, w->errsz) !=
	    SQLITE_ROW)
		goto out;
	if (idmap_reset(&w->lots, (size_t)sqlite3_column_int64(s, 0)) != 0) {
		ret = nomem(w);
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (prepare(w, "SELECT id, item FROM stock_lots", &s) != REPORT_OK)
		goto out;
	for (size_t n = 0;; n++) {
		const char *item;
		int k;

		rc = db_step(s, "cannot read the stock lots", w->err,
		    w->errsz);
		if (rc != SQLITE_ROW)
			break;
		/* Counted in this read transaction: cannot grow. */
		if (2 * n >= w->lots.mask) {
			errbuf_set(w->err, w->errsz, "stock lots changed");
			goto out;
		}
		item = (const char *)sqlite3_column_text(s, 1);
		k = intern(&w->keys[REPORT_DIM_ITEM], item != NULL ? item :
		    "");
		if (k < 0) {
			errbuf_set(w->err, w->errsz, "more than %d items",
			    REPORT_KEYS_MAX);
			ret = REPORT_ERR_LIMIT;
			goto out;
		}
		idmap_put(&w->lots, sqlite3_column_int64(s, 0), k);
	}
	if (rc != SQLITE_DONE)
		goto out;
	for (size_t i = 0; i < ARRAY_LEN(channel_names); i++)
		(void)intern(&w->keys[REPORT_DIM_CHANNEL], channel_names[i]);
	ret = REPORT_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * The queries, each reading one covering index of migration 6 in key
 * order (see orders/store.c).  QA: the orders of one centre that left in
 * [?2, ?3).  QP: the parcels that left in [?1, ?2), every centre's (the
 * caller widens the range by PARCEL_MARGIN and keeps its own orders').
 * QR: whether a parcel left for recipient ?1 before ?2 (asked for each
 * person in ascending order, so the index is read front to back).  QB,
 * QC: the lines of the orders and the lots of the parcels with ids in
 * [?1, ?2].  QE: the call-back tasks of one centre closed in [?2, ?3)
 * with an outcome.
 *
 * A period reads tens of thousands of rows, so the bulk queries do not
 * hand them over one by one through sqlite3_step() and sqlite3_column_*():
 * each feeds an aggregate function of ours (registered on the connection
 * for the report's duration, SQLITE_DIRECTONLY) whose step gathers the
 * row into struct work as SQLite produces it.
 */
#define FN_ORDERS "hrpost_report_orders"
#define FN_PARCELS "hrpost_report_parcels"
#define FN_LINES "hrpost_report_lines"
#define FN_LOTS "hrpost_report_lots"
static const char qa_sql[] =
	"SELECT " FN_ORDERS "(id, recipient_id, dept, channel) FROM orders"
	" WHERE centre_id = ?1 AND shipped_at >= ?2 AND shipped_at < ?3";
static const char qp_sql[] =
	"SELECT " FN_PARCELS "(order_id, id, shipped_at, delivered_at)"
	" FROM parcels WHERE shipped_at >= ?1 AND shipped_at < ?2";
static const char qr_sql[] =
	"SELECT 1 FROM orders WHERE recipient_id = ?1 AND shipped_at < ?2"
	" LIMIT 1";
static const char qb_sql[] =
	"SELECT " FN_LINES "(order_id, pack, qty) FROM order_lines"
	" WHERE order_id BETWEEN ?1 AND ?2";
static const char qc_sql[] =
	"SELECT " FN_LOTS "(parcel_id, lot_id, qty) FROM parcel_lots"
	" WHERE parcel_id BETWEEN ?1 AND ?2";
static const char qe_sql[] =
	"SELECT recipient_id, outcome FROM followups"
	" WHERE centre_id = ?1 AND done_at >= ?2 AND done_at < ?3"
	" AND outcome IS NOT NULL";

/*
 * A parcel's own shipping time is written with its order's, in the same
 * transaction (shipping/packing.c); this much apart is still found.
 */
#define PARCEL_MARGIN DAY
/*
 * Ids this close together are read in one range (QB, QC): the rows of
 * the ids in between are read and skipped, which costs less than a seek.
 */
#define RUN_GAP 64

static enum report_status
bind3(struct work *w, sqlite3_stmt *s, int64_t centre,
    const struct report_period *p)
{
	sqlite3_reset(s);
	if (db_bind_int64(s, 1, centre) != SQLITE_OK ||
	    db_bind_int64(s, 2, (int64_t)p->start) != SQLITE_OK ||
	    db_bind_int64(s, 3, (int64_t)p->end) != SQLITE_OK)
		return fail_db(w, "cannot bind the period");
	return REPORT_OK;
}

static enum report_status
bind2(struct work *w, sqlite3_stmt *s, int64_t a, int64_t b)
{
	sqlite3_reset(s);
	if (db_bind_int64(s, 1, a) != SQLITE_OK ||
	    db_bind_int64(s, 2, b) != SQLITE_OK)
		return fail_db(w, "cannot bind the range");
	return REPORT_OK;
}

/*
 * Make room for one more element in *@arr (@n used of *@cap, @size
 * bytes each), at most REPORT_ORDERS_MAX.
 */
static enum report_status
grow(struct work *w, void *arr, size_t n, size_t *cap, size_t size,
    size_t first)
{
	void **p = arr, *np;
	size_t nc;

	if (n < *cap)
		return REPORT_OK;
	if (*cap >= (size_t)REPORT_ORDERS_MAX) {
		errbuf_set(w->err, w->errsz, "more than %ld parcels or calls "
		    "in one period: report by a shorter period",
		    REPORT_ORDERS_MAX);
		return REPORT_ERR_LIMIT;
	}
	nc = *cap == 0 ? first : *cap * 2;
	np = realloc(*p, nc * size);
	if (np == NULL) {
		errbuf_set(w->err, w->errsz, "out of memory");
		return REPORT_ERR_NOMEM;
	}
	*p = np;
	*cap = nc;
	return REPORT_OK;
}

/* Make *@arr hold at least @want elements of @size bytes. */
static enum report_status
reserve(struct work *w, void *arr, size_t *cap, size_t size, size_t want)
{
	void **p = arr, *np;

	if (want <= *cap)
		return REPORT_OK;
	np = realloc(*p, want * size);
	if (np == NULL) {
		errbuf_set(w->err, w->errsz, "out of memory");
		return REPORT_ERR_NOMEM;
	}
	*p = np;
	*cap = want;
	return REPORT_OK;
}

static uint8_t
key_byte(int64_t id, int shift)
{
	/* Flipping the sign bit orders negative ids first. */
	return (uint8_t)(((uint64_t)id ^ UINT64_C(0x8000000000000000)) >>
	    shift);
}

/*
 * Sort @a (@n entries) by id, stably, with @tmp (as many) for scratch:
 * LSD radix a byte at a time, skipping the bytes every id shares.  Ids
 * here are row ids and recipients, mostly a few bytes long.
 */
static void
radix_sort(struct idx *a, struct idx *tmp, size_t n)
{
	struct idx *src = a, *dst = tmp, *t;
	size_t count[256];

	if (n < 2)
		return;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t pos = 0;

		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[key_byte(src[i].id, shift)]++;
		if (count[key_byte(src[0].id, shift)] == n)
			continue;
		for (size_t b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[key_byte(src[i].id, shift)]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/* Sort w->ids (w->nids) by id. */
static enum report_status
sort_ids(struct work *w)
{
	enum report_status ret;

	ret = reserve(w, &w->tmp, &w->captmp, sizeof(*w->tmp), w->nids);
	if (ret != REPORT_OK)
		return ret;
	radix_sort(w->ids, w->tmp, w->nids);
	return REPORT_OK;
}

/* Append (@id, @i) to w->ids. */
static enum report_status
push_id(struct work *w, int64_t id, size_t i)
{
	enum report_status ret;

	ret = grow(w, &w->ids, w->nids, &w->capids, sizeof(*w->ids),
	    ORDERS_FIRST);
	if (ret != REPORT_OK)
		return ret;
	w->ids[w->nids].id = id;
	w->ids[w->nids].i = (int32_t)i;
	w->nids++;
	return REPORT_OK;
}

/* w->ids: the orders' ids (@parcels false) or parcels' ids, sorted. */
static enum report_status
sorted_ids(struct work *w, bool parcels)
{
	enum report_status ret;

	w->nids = 0;
	for (size_t i = 0; i < w->n; i++) {
		int64_t id = parcels ? w->o[i].parcel : w->o[i].id;

		if (id == 0)
			continue;
		ret = push_id(w, id, i);
		if (ret != REPORT_OK)
			return ret;
	}
	return sort_ids(w);
}

/*
 * Reorder w->o by order id (@by_recipient false) or by recipient; the
 * indexes in w->ids and w->byid no longer hold afterwards.  By id, the
 * rows of the lines and lots (which come by order and parcel id) then
 * meet their orders in memory order.
 */
static enum report_status
reorder(struct work *w, bool by_recipient)
{
	enum report_status ret;
	struct ord *t;
	size_t c;

	w->nids = 0;
	for (size_t i = 0; i < w->n; i++) {
		ret = push_id(w, by_recipient ? w->o[i].recipient : w->o[i].id,
		    i);
		if (ret != REPORT_OK)
			return ret;
	}
	ret = sort_ids(w);
	if (ret == REPORT_OK)
		ret = reserve(w, &w->o2, &w->cap2, sizeof(*w->o2), w->n);
	if (ret != REPORT_OK)
		return ret;
	for (size_t k = 0; k < w->n; k++)
		w->o2[k] = w->o[w->ids[k].i];
	t = w->o;
	w->o = w->o2;
	w->o2 = t;
	c = w->cap;
	w->cap = w->cap2;
	w->cap2 = c;
	return REPORT_OK;
}

/* Stop the statement: the step met a limit. */
static void
step_fail(sqlite3_context *cx, struct work *w, enum report_status why,
    const char *msg)
{
	if (w->fail == REPORT_OK && msg != w->err)
		errbuf_set(w->err, w->errsz, "%s", msg);
	w->fail = why;
	sqlite3_result_error(cx, msg, -1);
}

/* FN_ORDERS(id, recipient_id, dept, channel): an order of the period. */
static void
orders_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct work *w = sqlite3_user_data(cx);
	const unsigned char *dept, *channel;
	struct ord *o;
	int d, c;

	(void)argc;
	if (w->fail != REPORT_OK)
		return;
	if (grow(w, &w->o, w->n, &w->cap, sizeof(*w->o), ORDERS_FIRST) !=
	    REPORT_OK) {
		step_fail(cx, w, w->cap >= (size_t)REPORT_ORDERS_MAX ?
		    REPORT_ERR_LIMIT : REPORT_ERR_NOMEM, w->err);
		return;
	}
	dept = sqlite3_value_text(argv[2]);
	channel = sqlite3_value_text(argv[3]);
	d = intern(&w->keys[REPORT_DIM_DEPT], dept != NULL ?
	    (const char *)dept : "");
	c = intern(&w->keys[REPORT_DIM_CHANNEL], channel != NULL ?
	    (const char *)channel : "");
	if (d < 0 || c < 0) {
		step_fail(cx, w, REPORT_ERR_LIMIT, "more than 256 "
		    "départements or channels");
		return;
	}
	o = &w->o[w->n++];
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_value_int64(argv[0]);
	o->recipient = sqlite3_value_type(argv[1]) == SQLITE_NULL ? -o->id :
	    sqlite3_value_int64(argv[1]);
	o->dept = (uint16_t)d;
	o->channel = (uint8_t)c;
	o->delay = -1;
}

/*
 * FN_PARCELS(order_id, id, shipped_at, delivered_at): a parcel, kept
 * when its order is one of ours.
 */
static void
parcels_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct work *w = sqlite3_user_data(cx);
	struct ord *o;
	int32_t i;

	(void)argc;
	i = idmap_get(&w->byid, sqlite3_value_int64(argv[0]));
	if (i < 0)
		return;		/* another period's or centre's */
	o = &w->o[i];
	o->parcel = sqlite3_value_int64(argv[1]);
	if (sqlite3_value_type(argv[3]) != SQLITE_NULL) {
		o->delay = sqlite3_value_int64(argv[3]) -
		    sqlite3_value_int64(argv[2]);
		if (o->delay < 0)
			o->delay = 0;
	}
}

static enum report_status
read_orders(struct work *w, int64_t centre, const struct report_period *p)
{
	enum report_status ret;

	w->fail = REPORT_OK;
	ret = bind3(w, w->qa, centre, p);
	if (ret != REPORT_OK)
		return ret;
	if (db_step(w->qa, "cannot read the orders", w->err, w->errsz) !=
	    SQLITE_ROW)
		return w->fail != REPORT_OK ? w->fail : REPORT_ERR_DB;
	sqlite3_reset(w->qa);
	return REPORT_OK;
}

/* Each order's parcel: its id and, once delivered, how long it took. */
static enum report_status
read_parcels(struct work *w, const struct report_period *p)
{
	enum report_status ret;

	ret = bind2(w, w->qp, (int64_t)p->start - PARCEL_MARGIN,
	    (int64_t)p->end + PARCEL_MARGIN);
	if (ret != REPORT_OK)
		return ret;
	if (db_step(w->qp, "cannot read the parcels", w->err, w->errsz) !=
	    SQLITE_ROW)
		return REPORT_ERR_DB;
	sqlite3_reset(w->qp);
	return REPORT_OK;
}

/*
 * Whether a parcel left for each person (w->o by recipient) before the
 * period, asked in recipient order so the index is read front to back.
 */
static enum report_status
read_returning(struct work *w, const struct report_period *p)
{
	size_t i, j;
	int rc;

	for (i = 0; i < w->n; i = j) {
		int64_t rid = w->o[i].recipient;
		bool back = false;

		for (j = i; j < w->n && w->o[j].recipient == rid; j++)
			;
		if (rid > 0) {
			if (bind2(w, w->qr, rid, (int64_t)p->start) !=
			    REPORT_OK)
				return REPORT_ERR_DB;
			rc = db_step(w->qr, "cannot read earlier parcels",
			    w->err, w->errsz);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return REPORT_ERR_DB;
			back = rc == SQLITE_ROW;
		}
		for (size_t k = i; k < j; k++)
			w->o[k].returning = back;
	}
	return REPORT_OK;
}

/*
 * The order of id @id in the current run (w->ids[run_start, run_end)),
 * or NULL for an id in a gap.  Rows come by id, so the cursor moves
 * forward; anything else is looked up by bisection.
 */
static struct ord *
run_find(struct work *w, int64_t id)
{
	size_t k = w->cur, lo, hi;

	if (k < w->run_end && w->ids[k].id <= id) {
		while (k < w->run_end && w->ids[k].id < id)
			k++;
	} else {
		lo = w->run_start;
		hi = w->run_end;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (w->ids[mid].id < id)
				lo = mid + 1;
			else
				hi = mid;
		}
		k = lo;
	}
	w->cur = k;
	if (k == w->run_end || w->ids[k].id != id)
		return NULL;
	return &w->o[w->ids[k].i];
}

/* FN_LINES(order_id, pack, qty): one order line. */
static void
lines_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct work *w = sqlite3_user_data(cx);
	const unsigned char *pack;
	struct ord *o;
	int64_t qty;
	int k;

	(void)argc;
	o = run_find(w, sqlite3_value_int64(argv[0]));
	if (o == NULL || w->fail != REPORT_OK)
		return;
	pack = sqlite3_value_text(argv[1]);
	qty = sqlite3_value_int64(argv[2]);
	k = intern(&w->keys[REPORT_DIM_PACK], pack != NULL ?
	    (const char *)pack : "");
	if (k < 0) {
		step_fail(cx, w, REPORT_ERR_LIMIT, "more than 256 packs");
		return;
	}
	bit_set(&o->packs, k);
	w->qty[REPORT_DIM_PACK][k] += qty;
	w->qty[REPORT_DIM_DEPT][o->dept] += qty;
	w->qty[REPORT_DIM_CHANNEL][o->channel] += qty;
	w->packs_total += qty;
}

/* FN_LOTS(parcel_id, lot_id, qty): pieces of one lot in one parcel. */
static void
lots_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct work *w = sqlite3_user_data(cx);
	struct ord *o;
	int64_t qty;
	int32_t item;

	(void)argc;
	o = run_find(w, sqlite3_value_int64(argv[0]));
	if (o == NULL || w->fail != REPORT_OK)
		return;
	item = idmap_get(&w->lots, sqlite3_value_int64(argv[1]));
	qty = sqlite3_value_int64(argv[2]);
	if (item < 0)
		return;		/* a foreign key: cannot be */
	bit_set(&o->items, item);
	w->qty[REPORT_DIM_ITEM][item] += qty;
	w->items_total += qty;
}

static void
agg_final(sqlite3_context *cx)
{
	sqlite3_result_null(cx);
}

/*
 * Run @s (QB or QC) over runs of the ids in w->ids: ids at most RUN_GAP
 * apart share one range, whose rows of ids not ours are skipped.
 */
static enum report_status
scan_runs(struct work *w, sqlite3_stmt *s, const char *what)
{
	enum report_status ret;
	size_t i = 0, j;
	int rc;

	w->fail = REPORT_OK;
	while (i < w->nids) {
		for (j = i + 1; j < w->nids &&
		    w->ids[j].id - w->ids[j - 1].id <= RUN_GAP; j++)
			;
		w->run_start = i;
		w->run_end = j;
		w->cur = i;
		ret = bind2(w, s, w->ids[i].id, w->ids[j - 1].id);
		if (ret != REPORT_OK)
			return ret;
		rc = db_step(s, what, w->err, w->errsz);
		if (rc != SQLITE_ROW)
			return w->fail != REPORT_OK ? w->fail : REPORT_ERR_DB;
		i = j;
	}
	sqlite3_reset(s);
	return REPORT_OK;
}

static enum outcome
outcome_parse(const char *s)
{
	for (size_t i = 0; s != NULL && i < ARRAY_LEN(outcome_names); i++)
		if (strcmp(s, outcome_names[i]) == 0)
			return (enum outcome)i;
	return OUT_OTHER;
}

static enum report_status
read_calls(struct work *w, int64_t centre, const struct report_period *p)
{
	enum report_status ret;
	int rc;

	ret = bind3(w, w->qe, centre, p);
	if (ret != REPORT_OK)
		return ret;
	for (;;) {
		rc = db_step(w->qe, "cannot read the follow-ups", w->err,
		    w->errsz);
		if (rc != SQLITE_ROW)
			break;
		ret = grow(w, &w->calls, w->ncalls, &w->capcalls,
		    sizeof(*w->calls), CALLS_FIRST);
		if (ret != REPORT_OK)
			return ret;
		w->calls[w->ncalls].recipient = sqlite3_column_int64(w->qe, 0);
		w->calls[w->ncalls].outcome = outcome_parse(
		    (const char *)sqlite3_column_text(w->qe, 1));
		w->ncalls++;
	}
	return rc == SQLITE_DONE ? REPORT_OK : REPORT_ERR_DB;
}

/* ---- Counting and suppression ----------------------------------------- */

static struct report_cell
value(int64_t v)
{
	return (struct report_cell){ REPORT_CELL_VALUE, v };
}

static struct report_cell
state(enum report_cell_state s)
{
	return (struct report_cell){ s, 0 };
}

static bool
small(int64_t people)
{
	return people > 0 && people < REPORT_SMALL;
}

/*
 * Two figures that add up to a shown total, about @pa and @pb people: a
 * small one is "<5", and then the other is hidden (or "<5" too), since the
 * total minus it would give the small one away.
 */
static void
pair(int64_t pa, int64_t pb, struct report_cell *a, struct report_cell *b)
{
	bool sa = small(pa), sb = small(pb);

	if (sa)
		*a = state(REPORT_CELL_SMALL);
	if (sb)
		*b = state(REPORT_CELL_SMALL);
	if (sa && !sb)
		*b = state(REPORT_CELL_HIDDEN);
	if (sb && !sa)
		*a = state(REPORT_CELL_HIDDEN);
}

/* Tenths of a day in @sum2 / 2 seconds, rounded half up. */
static int64_t
tenths_of_day(int64_t sum2)
{
	return (sum2 * 10 + DAY) / (2 * DAY);
}

/* Distinct recipients among @n calls (sorted by recipient) matching @ok. */
static int64_t
call_people(const struct call *c, size_t n, bool (*ok)(enum outcome))
{
	int64_t people = 0, last = 0;
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (!ok(c[i].outcome))
			continue;
		if (!any || c[i].recipient != last)
			people++;
		last = c[i].recipient;
		any = true;
	}
	return people;
}

static bool
is_call(enum outcome o)
{
	return o != OUT_STOPPED && o != OUT_OTHER;
}

static bool
is_reached(enum outcome o)
{
	return o == OUT_REACHED || o == OUT_DECLINED || o == OUT_NALOXONE ||
	    o == OUT_REFERRED;
}

static bool
is_missed(enum outcome o)
{
	return o == OUT_NO_ANSWER;
}

static bool
is_naloxone(enum outcome o)
{
	return o == OUT_NALOXONE;
}

static int
cmp_call(const void *a, const void *b)
{
	const struct call *x = a, *y = b;

	return (x->recipient > y->recipient) - (x->recipient < y->recipient);
}

static void
count_calls(struct work *w, struct report_totals *t)
{
	int64_t calls = 0, reached = 0, naloxone = 0, cp, rp, mp, np;
	struct report_cell missed = { REPORT_CELL_VALUE, 0 };

	if (w->ncalls > 1)
		qsort(w->calls, w->ncalls, sizeof(*w->calls), cmp_call);
	for (size_t i = 0; i < w->ncalls; i++) {
		calls += is_call(w->calls[i].outcome);
		reached += is_reached(w->calls[i].outcome);
		naloxone += is_naloxone(w->calls[i].outcome);
	}
	cp = call_people(w->calls, w->ncalls, is_call);
	rp = call_people(w->calls, w->ncalls, is_reached);
	mp = call_people(w->calls, w->ncalls, is_missed);
	np = call_people(w->calls, w->ncalls, is_naloxone);

	t->followups = value(calls);
	t->followups_reached = value(reached);
	t->reach_pct = calls > 0 ? value((reached * 2000 + calls) /
	    (2 * calls)) : state(REPORT_CELL_NONE);
	t->naloxone_used = small(np) ? state(REPORT_CELL_SMALL) :
	    value(naloxone);
	if (small(cp)) {
		t->followups = state(REPORT_CELL_SMALL);
		t->followups_reached = state(REPORT_CELL_SMALL);
		t->reach_pct = state(REPORT_CELL_SMALL);
		return;
	}
	/* calls - reached counts the calls nobody answered */
	pair(rp, mp, &t->followups_reached, &missed);
	t->reach_pct = t->followups_reached.state == REPORT_CELL_VALUE ?
	    t->reach_pct : t->followups_reached;
}

/* Rows of breakdown @d, sorted by key (channels: phone, web, sms). */
static int
cmp_row(const void *a, const void *b)
{
	return strcmp(((const struct report_row *)a)->key,
	    ((const struct report_row *)b)->key);
}

/* The visible row with the fewest people (then parcels, then key). */
static struct report_row *
smallest_visible(struct report_row *rows, size_t n)
{
	struct report_row *best = NULL;

	for (size_t i = 0; i < n; i++) {
		struct report_row *r = &rows[i];

		if (r->people.state != REPORT_CELL_VALUE)
			continue;
		if (best == NULL || r->people.value < best->people.value ||
		    (r->people.value == best->people.value &&
		    r->parcels.value < best->parcels.value))
			best = r;
	}
	return best;
}

static void
hide_row(struct report_row *r, enum report_cell_state s)
{
	r->parcels = state(s);
	r->qty = state(s);
	r->people = state(s);
}

/*
 * Rows about 1 to 4 people are "<5"; then, while fewer than two rows are
 * withheld or they hold fewer than 5 people between them, the smallest
 * visible row is hidden too, so that the total minus the visible rows
 * never gives one small row away.
 */
static void
suppress_rows(struct report_row *rows, size_t n)
{
	int64_t hidden_people = 0;
	size_t hidden = 0;

	for (size_t i = 0; i < n; i++) {
		if (!small(rows[i].people.value))
			continue;
		hidden_people += rows[i].people.value;
		hidden++;
		hide_row(&rows[i], REPORT_CELL_SMALL);
	}
	if (hidden == 0)
		return;
	while (hidden < 2 || hidden_people < REPORT_SMALL) {
		struct report_row *r = smallest_visible(rows, n);

		if (r == NULL)
			break;
		hidden_people += r->people.value;
		hidden++;
		hide_row(r, REPORT_CELL_HIDDEN);
	}
}

static enum report_status
make_rows(struct work *w, struct report_period *p, int d)
{
	size_t n = 0;

	for (size_t k = 0; k < w->keys[d].n; k++)
		n += w->parcels[d][k] > 0;
	if (n == 0)
		return REPORT_OK;
	p->rows[d] = calloc(n, sizeof(*p->rows[d]));
	if (p->rows[d] == NULL) {
		errbuf_set(w->err, w->errsz, "out of memory");
		return REPORT_ERR_NOMEM;
	}
	for (size_t k = 0; k < w->keys[d].n; k++) {
		struct report_row *r;

		if (w->parcels[d][k] == 0)
			continue;
		r = &p->rows[d][p->nrows[d]++];
		memcpy(r->key, w->keys[d].key[k], sizeof(r->key));
		r->parcels = value(w->parcels[d][k]);
		r->qty = value(w->qty[d][k]);
		r->people = value(w->people[d][k]);
	}
	if (d != REPORT_DIM_CHANNEL)
		qsort(p->rows[d], p->nrows[d], sizeof(*p->rows[d]), cmp_row);
	suppress_rows(p->rows[d], p->nrows[d]);
	return REPORT_OK;
}

/*
 * Median and 90th percentile (nearest rank) of the delivery times, in
 * tenths of a day: the delivered orders' delays, sorted in w->ids.
 */
static enum report_status
delays(struct work *w, struct report_totals *t)
{
	enum report_status ret;
	const struct idx *v;
	size_t n;

	w->nids = 0;
	for (size_t i = 0; i < w->n; i++) {
		if (w->o[i].delay < 0)
			continue;
		ret = push_id(w, w->o[i].delay, i);
		if (ret != REPORT_OK)
			return ret;
	}
	ret = sort_ids(w);
	if (ret != REPORT_OK)
		return ret;
	n = w->nids;
	v = w->ids;
	t->delivered = value((int64_t)n);
	if (n == 0) {
		t->days_median = state(REPORT_CELL_NONE);
		t->days_p90 = state(REPORT_CELL_NONE);
		return REPORT_OK;
	}
	t->days_median = value(n % 2 == 1 ? tenths_of_day(2 * v[n / 2].id) :
	    tenths_of_day(v[n / 2 - 1].id + v[n / 2].id));
	t->days_p90 = value(tenths_of_day(2 * v[(9 * n + 9) / 10 - 1].id));
	return REPORT_OK;
}

/* Turn what was gathered for @p into its figures. */
static enum report_status
count_period(struct work *w, struct report_period *p)
{
	struct report_totals *t = &p->t;
	int64_t people = 0, fresh = 0, back = 0, dpeople = 0, upeople = 0;
	enum report_status ret;
	size_t i, j;

	for (i = 0; i < w->n; i++) {
		struct ord *o = &w->o[i];

		bits_count(&o->packs, w->parcels[REPORT_DIM_PACK]);
		bits_count(&o->items, w->parcels[REPORT_DIM_ITEM]);
		w->parcels[REPORT_DIM_DEPT][o->dept]++;
		w->parcels[REPORT_DIM_CHANNEL][o->channel]++;
	}
	ret = delays(w, t);
	if (ret != REPORT_OK)
		return ret;

	/* One pass per person (w->o is by recipient): each key once. */
	for (i = 0; i < w->n; i = j) {
		struct bits packs = { { 0 } }, items = { { 0 } };
		struct bits depts = { { 0 } }, chans = { { 0 } };
		bool ret_ = false, deliv = false, undeliv = false;

		for (j = i; j < w->n && w->o[j].recipient == w->o[i].recipient;
		    j++) {
			const struct ord *o = &w->o[j];

			bits_or(&packs, &o->packs);
			bits_or(&items, &o->items);
			bit_set(&depts, o->dept);
			bit_set(&chans, o->channel);
			ret_ = ret_ || o->returning;
			if (o->delay >= 0)
				deliv = true;
			else
				undeliv = true;
		}
		bits_count(&packs, w->people[REPORT_DIM_PACK]);
		bits_count(&items, w->people[REPORT_DIM_ITEM]);
		bits_count(&depts, w->people[REPORT_DIM_DEPT]);
		bits_count(&chans, w->people[REPORT_DIM_CHANNEL]);
		people++;
		if (ret_)
			back++;
		else
			fresh++;
		dpeople += deliv;
		upeople += undeliv;
	}

	t->parcels = value((int64_t)w->n);
	t->packs = value(w->packs_total);
	t->items = value(w->items_total);
	t->people = value(people);
	t->people_new = value(fresh);
	t->people_returning = value(back);
	if (small(people)) {
		struct report_cell *all[] = { &t->parcels, &t->packs,
		    &t->items, &t->people, &t->people_new,
		    &t->people_returning, &t->delivered, &t->days_median,
		    &t->days_p90 };

		for (size_t k = 0; k < ARRAY_LEN(all); k++)
			*all[k] = state(REPORT_CELL_SMALL);
	} else {
		pair(fresh, back, &t->people_new, &t->people_returning);
		if (small(dpeople)) {
			t->delivered = state(REPORT_CELL_SMALL);
			t->days_median = state(REPORT_CELL_SMALL);
			t->days_p90 = state(REPORT_CELL_SMALL);
		} else if (small(upeople)) {
			/* parcels - delivered would count them */
			t->delivered = state(REPORT_CELL_HIDDEN);
		}
	}
	count_calls(w, t);

	for (int d = 0; d < REPORT_DIMS; d++) {
		ret = make_rows(w, p, d);
		if (ret != REPORT_OK)
			return ret;
	}
	return REPORT_OK;
}

static void
reset_period(struct work *w)
{
	w->n = 0;
	w->ncalls = 0;
	w->packs_total = 0;
	w->items_total = 0;
	memset(w->parcels, 0, sizeof(w->parcels));
	memset(w->people, 0, sizeof(w->people));
	memset(w->qty, 0, sizeof(w->qty));
}

static enum report_status
one_period(struct work *w, struct report_period *p)
{
	enum report_status ret = REPORT_OK;
	size_t c;

	reset_period(w);
	for (c = 0; c < w->ncentres && ret == REPORT_OK; c++)
		ret = read_orders(w, w->centres[c], p);
	if (ret == REPORT_OK)
		ret = reorder(w, false);
	if (ret != REPORT_OK)
		return ret;
	if (idmap_reset(&w->byid, w->n) != 0) {
		errbuf_set(w->err, w->errsz, "out of memory");
		return REPORT_ERR_NOMEM;
	}
	for (size_t i = 0; i < w->n; i++)
		idmap_put(&w->byid, w->o[i].id, (int32_t)i);
	ret = read_parcels(w, p);
	if (ret == REPORT_OK)
		ret = sorted_ids(w, false);
	if (ret == REPORT_OK)
		ret = scan_runs(w, w->qb, "cannot read the order lines");
	if (ret == REPORT_OK)
		ret = sorted_ids(w, true);
	if (ret == REPORT_OK)
		ret = scan_runs(w, w->qc, "cannot read the packed lots");
	for (c = 0; c < w->ncentres && ret == REPORT_OK; c++)
		ret = read_calls(w, w->centres[c], p);
	if (ret != REPORT_OK)
		return ret;
	ret = reorder(w, true);
	if (ret == REPORT_OK)
		ret = read_returning(w, p);
	if (ret != REPORT_OK)
		return ret;
	return count_period(w, p);
}

/* The aggregate functions the bulk queries feed (see above). */
static const struct {
	const char *name;
	int nargs;
	void (*step)(sqlite3_context *, int, sqlite3_value **);
} functions[] = {
	{ FN_ORDERS, 4, orders_step },
	{ FN_PARCELS, 4, parcels_step },
	{ FN_LINES, 3, lines_step },
	{ FN_LOTS, 3, lots_step },
};

int
report_sql_clear(struct store *st, const char *sql)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	int rc;

	sqlite3_set_authorizer(db, authorize, NULL);
	rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	sqlite3_finalize(s);
	sqlite3_set_authorizer(db, NULL, NULL);
	return rc == SQLITE_OK ? 0 : -1;
}

enum report_status
report_build(struct store *st, const struct report_query *q,
    struct report **out, char *errbuf, size_t errsz)
{
	struct report *r = NULL;
	struct work *w = NULL;
	enum report_status ret = REPORT_ERR_INVALID;
	bool began = false, locked = false;
	sqlite3 *db = NULL;

	*out = NULL;
	if (st == NULL || q == NULL || (q->by != REPORT_BY_WEEK &&
	    q->by != REPORT_BY_MONTH && q->by != REPORT_BY_QUARTER &&
	    q->by != REPORT_BY_YEAR)) {
		errbuf_set(errbuf, errsz, "--by: one of week, month, quarter, "
		    "year");
		return REPORT_ERR_INVALID;
	}
	if (!date_valid(&q->from) || !date_valid(&q->to)) {
		errbuf_set(errbuf, errsz, "--from, --to: not a day between "
		    "%d and %d", REPORT_YEAR_MIN, REPORT_YEAR_MAX);
		return REPORT_ERR_INVALID;
	}
	if (report_range_check(&q->from, &q->to, errbuf, errsz) != 0)
		return REPORT_ERR_INVALID;
	db = store_db(st);
	ret = REPORT_ERR_NOMEM;
	r = calloc(1, sizeof(*r));
	w = calloc(1, sizeof(*w));
	if (r == NULL || w == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	r->all_centres = q->centre_id == 0;
	if (str_copy(r->centre, sizeof(r->centre), r->all_centres ? "*" :
	    q->centre != NULL ? q->centre : "") != 0) {
		errbuf_set(errbuf, errsz, "centre code too long");
		ret = REPORT_ERR_INVALID;
		goto out;
	}
	r->by = q->by;
	r->from = q->from;
	r->to = q->to;
	ret = make_periods(r, errbuf, errsz);
	if (ret != REPORT_OK)
		goto out;

	w->db = db;
	w->err = errbuf;
	w->errsz = errsz;
	/*
	 * Hold the connection's mutex for the whole report: the report is
	 * one read transaction that no other thread may interleave with, and
	 * the many calls per row below then re-enter a mutex this thread
	 * already holds instead of taking it each time.
	 */
	sqlite3_mutex_enter(sqlite3_db_mutex(db));
	locked = true;
	sqlite3_set_authorizer(db, authorize, NULL);
	ret = REPORT_ERR_DB;
	if (sqlite3_get_autocommit(db)) {
		if (db_exec(db, "BEGIN DEFERRED", errbuf, errsz) != SQLITE_OK)
			goto out;
		began = true;
	}
	ret = load_setup(w, q->centre_id);
	if (ret != REPORT_OK)
		goto out;
	ret = REPORT_ERR_DB;
	for (size_t i = 0; i < ARRAY_LEN(functions); i++) {
		if (sqlite3_create_function_v2(db, functions[i].name,
		    functions[i].nargs, SQLITE_UTF8 | SQLITE_DIRECTONLY, w,
		    NULL, functions[i].step, agg_final, NULL) != SQLITE_OK) {
			(void)db_error(db, "cannot register the report's "
			    "functions", errbuf, errsz);
			goto out;
		}
	}
	if (prepare(w, qa_sql, &w->qa) != REPORT_OK ||
	    prepare(w, qp_sql, &w->qp) != REPORT_OK ||
	    prepare(w, qr_sql, &w->qr) != REPORT_OK ||
	    prepare(w, qb_sql, &w->qb) != REPORT_OK ||
	    prepare(w, qc_sql, &w->qc) != REPORT_OK ||
	    prepare(w, qe_sql, &w->qe) != REPORT_OK) {
		ret = REPORT_ERR_DB;
		goto out;
	}
	for (size_t i = 0; i < r->nperiods; i++) {
		ret = one_period(w, &r->periods[i]);
		if (ret != REPORT_OK)
			goto out;
	}
	*out = r;
	r = NULL;
	ret = REPORT_OK;
out:
	if (w != NULL) {
		sqlite3_finalize(w->qa);
		sqlite3_finalize(w->qp);
		sqlite3_finalize(w->qr);
		sqlite3_finalize(w->qb);
		sqlite3_finalize(w->qc);
		sqlite3_finalize(w->qe);
		free(w->o);
		free(w->calls);
		free(w->ids);
		free(w->o2);
		free(w->tmp);
		idmap_free(&w->lots);
		idmap_free(&w->byid);
		free(w->centres);
		free(w);
	}
	if (began)
		(void)!db_exec(db, "COMMIT", NULL, 0);
	if (locked) {
		/* Unregister (a no-op for those that never were). */
		for (size_t i = 0; i < ARRAY_LEN(functions); i++)
			(void)sqlite3_create_function_v2(db, functions[i].name,
			    functions[i].nargs, SQLITE_UTF8 |
			    SQLITE_DIRECTONLY, NULL, NULL, NULL, NULL, NULL);
		sqlite3_set_authorizer(db, NULL, NULL);
		sqlite3_mutex_leave(sqlite3_db_mutex(db));
	}
	report_free(r);
	return ret;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nperiods; i++)
		for (int d = 0; d < REPORT_DIMS; d++)
			free(r->periods[i].rows[d]);
	free(r->periods);
	free(r);
}

/* ---- Writing ----------------------------------------------------------- */

/* The figures of a period's totals, in the order they are written. */
static const struct {
	const char *name;	/* CSV measure and JSON member */
	const char *label;	/* table */
	size_t off;
	bool tenths;
} total_fields[] = {
	{ "parcels", "parcels", offsetof(struct report_totals, parcels),
	    false },
	{ "packs", "packs", offsetof(struct report_totals, packs), false },
	{ "items", "items", offsetof(struct report_totals, items), false },
	{ "people", "people", offsetof(struct report_totals, people), false },
	{ "people_new", "new", offsetof(struct report_totals, people_new),
	    false },
	{ "people_returning", "returning",
	    offsetof(struct report_totals, people_returning), false },
	{ "delivered", "delivered", offsetof(struct report_totals, delivered),
	    false },
	{ "delivery_days_median", "days to delivery: median",
	    offsetof(struct report_totals, days_median), true },
	{ "delivery_days_p90", "p90", offsetof(struct report_totals, days_p90),
	    true },
	{ "followups", "follow-ups", offsetof(struct report_totals,
	    followups), false },
	{ "followups_reached", "reached",
	    offsetof(struct report_totals, followups_reached), false },
	{ "reach_pct", "reach %", offsetof(struct report_totals, reach_pct),
	    true },
	{ "naloxone_used", "naloxone used",
	    offsetof(struct report_totals, naloxone_used), false },
};

enum {
	TF_PARCELS = 0, TF_PACKS, TF_ITEMS, TF_PEOPLE, TF_NEW, TF_RETURNING,
	TF_DELIVERED, TF_MEDIAN, TF_P90, TF_CALLS, TF_REACHED, TF_PCT,
	TF_NALOXONE,
};

static const struct report_cell *
total_cell(const struct report_totals *t, size_t i)
{
	return (const struct report_cell *)(const void *)
	    ((const char *)t + total_fields[i].off);
}

static const char *
qty_name(int d)
{
	return d == REPORT_DIM_ITEM ? "items" : "packs";
}

/* A cell as text: "<5", "hidden", @none, an integer or tenths "2.5". */
static const char *
cell_text(const struct report_cell *c, bool tenths, const char *none,
    char buf[CELL_TEXT_MAX])
{
	switch (c->state) {
	case REPORT_CELL_SMALL:
		return "<5";
	case REPORT_CELL_HIDDEN:
		return "hidden";
	case REPORT_CELL_NONE:
		return none;
	case REPORT_CELL_VALUE:
	default:
		break;
	}
	if (tenths)
		(void)!str_printf(buf, CELL_TEXT_MAX, "%lld.%lld",
		    (long long)(c->value / 10), (long long)(c->value % 10));
	else
		(void)!str_printf(buf, CELL_TEXT_MAX, "%lld",
		    (long long)c->value);
	return buf;
}

static void
date_text(const struct report_date *d, char buf[REPORT_DATE_LEN])
{
	(void)!str_printf(buf, REPORT_DATE_LEN, "%04d-%02d-%02d", d->y, d->m,
	    d->d);
}

static void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
csv_row(FILE *f, const struct report *r, const struct report_period *p,
    const char *dim, const char *key, const char *measure, const char *val)
{
	char a[REPORT_DATE_LEN], b[REPORT_DATE_LEN];
	const char *fields[8];

	date_text(&p->first, a);
	date_text(&p->last, b);
	fields[0] = r->centre;
	fields[1] = p->label;
	fields[2] = a;
	fields[3] = b;
	fields[4] = dim;
	fields[5] = key;
	fields[6] = measure;
	fields[7] = val;
	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		if (i > 0)
			fputc(',', f);
		csv_field(f, fields[i]);
	}
	fputs("\r\n", f);
}

static void
write_csv(const struct report *r, FILE *f)
{
	char buf[CELL_TEXT_MAX];

	fputs("centre,period,start,end,dimension,key,measure,value\r\n", f);
	for (size_t i = 0; i < r->nperiods; i++) {
		const struct report_period *p = &r->periods[i];

		for (size_t k = 0; k < ARRAY_LEN(total_fields); k++)
			csv_row(f, r, p, "total", "", total_fields[k].name,
			    cell_text(total_cell(&p->t, k),
			    total_fields[k].tenths, "", buf));
		for (int d = 0; d < REPORT_DIMS; d++) {
			for (size_t k = 0; k < p->nrows[d]; k++) {
				const struct report_row *row = &p->rows[d][k];

				csv_row(f, r, p, dim_names[d], row->key,
				    "parcels", cell_text(&row->parcels, false,
				    "", buf));
				csv_row(f, r, p, dim_names[d], row->key,
				    qty_name(d), cell_text(&row->qty, false,
				    "", buf));
				csv_row(f, r, p, dim_names[d], row->key,
				    "people", cell_text(&row->people, false,
				    "", buf));
			}
		}
	}
}

static json_t *
cell_json(const struct report_cell *c, bool tenths)
{
	switch (c->state) {
	case REPORT_CELL_SMALL:
		return json_string("<5");
	case REPORT_CELL_HIDDEN:
		return json_string("hidden");
	case REPORT_CELL_NONE:
		return json_null();
	case REPORT_CELL_VALUE:
	default:
		break;
	}
	return tenths ? json_real((double)c->value / 10.0) :
	    json_integer((json_int_t)c->value);
}

/* obj[name] = cell; -1 on allocation failure. */
static int
put_cell(json_t *obj, const char *name, const struct report_cell *c,
    bool tenths)
{
	return json_object_set_new(obj, name, cell_json(c, tenths));
}

static json_t *
period_json(const struct report_period *p)
{
	char a[REPORT_DATE_LEN], b[REPORT_DATE_LEN];
	json_t *o, *t, *ret = NULL;
	int bad = 0;

	date_text(&p->first, a);
	date_text(&p->last, b);
	o = json_pack("{s:s,s:s,s:s,s:b}", "period", p->label, "start", a,
	    "end", b, "partial", p->partial);
	t = json_object();
	if (o == NULL || t == NULL)
		goto out;
	for (size_t k = 0; k < ARRAY_LEN(total_fields); k++)
		bad |= put_cell(t, total_fields[k].name,
		    total_cell(&p->t, k), total_fields[k].tenths);
	bad |= json_object_set(o, "totals", t);
	for (int d = 0; d < REPORT_DIMS; d++) {
		json_t *arr = json_array();

		bad |= arr == NULL;
		for (size_t k = 0; arr != NULL && k < p->nrows[d]; k++) {
			const struct report_row *row = &p->rows[d][k];
			json_t *e = json_pack("{s:s}", "key", row->key);

			if (e == NULL) {
				bad = 1;
				break;
			}
			bad |= put_cell(e, "parcels", &row->parcels, false);
			bad |= put_cell(e, qty_name(d), &row->qty, false);
			bad |= put_cell(e, "people", &row->people, false);
			bad |= json_array_append_new(arr, e);
		}
		bad |= json_object_set_new(o, dim_names[d], arr);
	}
	if (!bad) {
		ret = o;
		o = NULL;
	}
out:
	json_decref(t);
	json_decref(o);
	return ret;
}

static int
write_json(const struct report *r, FILE *f)
{
	char a[REPORT_DATE_LEN], b[REPORT_DATE_LEN];
	json_t *root, *periods;
	int ret = -1;

	date_text(&r->from, a);
	date_text(&r->to, b);
	root = json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:s,s:i}",
	    "schema", "hrpost-report/1", "centre", r->centre,
	    "all_centres", r->all_centres, "from", a, "to", b,
	    "by", report_by_name(r->by), "time_zone", REPORT_TZ,
	    "small", REPORT_SMALL);
	periods = json_array();
	if (root == NULL || periods == NULL)
		goto out;
	for (size_t i = 0; i < r->nperiods; i++) {
		json_t *p = period_json(&r->periods[i]);

		if (p == NULL || json_array_append_new(periods, p) != 0)
			goto out;
	}
	if (json_object_set(root, "periods", periods) != 0 ||
	    json_dumpf(root, f, JSON_INDENT(2) |
	    JSON_REAL_PRECISION(JSON_PRECISION)) != 0)
		goto out;
	fputc('\n', f);
	ret = 0;
out:
	json_decref(periods);
	json_decref(root);
	return ret;
}

static void
table_rows(const struct report_period *p, int d, FILE *f)
{
	char b1[CELL_TEXT_MAX], b2[CELL_TEXT_MAX], b3[CELL_TEXT_MAX];

	if (p->nrows[d] == 0)
		return;
	fprintf(f, "  %-10s %9s %9s %9s\n", dim_names[d], "parcels",
	    qty_name(d), "people");
	for (size_t k = 0; k < p->nrows[d]; k++) {
		const struct report_row *row = &p->rows[d][k];

		fprintf(f, "  %-10s %9s %9s %9s\n", row->key,
		    cell_text(&row->parcels, false, "-", b1),
		    cell_text(&row->qty, false, "-", b2),
		    cell_text(&row->people, false, "-", b3));
	}
}

/* "  label value  label value ..." for the totals in @idx. */
static void
table_line(const struct report_totals *t, const size_t *idx, size_t n,
    FILE *f)
{
	char buf[CELL_TEXT_MAX];

	fputs(" ", f);
	for (size_t k = 0; k < n; k++) {
		size_t i = idx[k];

		fprintf(f, " %s%s %s", k > 0 ? " " : "", total_fields[i].label,
		    cell_text(total_cell(t, i), total_fields[i].tenths, "-",
		    buf));
	}
	fputc('\n', f);
}

static void
write_table(const struct report *r, FILE *f)
{
	static const size_t l1[] = { TF_PARCELS, TF_PACKS, TF_ITEMS };
	static const size_t l2[] = { TF_PEOPLE, TF_NEW, TF_RETURNING };
	static const size_t l3[] = { TF_DELIVERED, TF_MEDIAN, TF_P90 };
	static const size_t l4[] = { TF_CALLS, TF_REACHED, TF_PCT,
	    TF_NALOXONE };
	char a[REPORT_DATE_LEN], b[REPORT_DATE_LEN];

	date_text(&r->from, a);
	date_text(&r->to, b);
	fprintf(f, "centre %s, %s to %s by %s (days from midnight %s)\n",
	    r->all_centres ? "* (all centres)" : r->centre, a, b,
	    report_by_name(r->by), REPORT_TZ);
	fprintf(f, "<5: about fewer than %d people; hidden: withheld so that "
	    "no <5 can be worked out\n", REPORT_SMALL);
	for (size_t i = 0; i < r->nperiods; i++) {
		const struct report_period *p = &r->periods[i];

		date_text(&p->first, a);
		date_text(&p->last, b);
		fprintf(f, "\n%s  %s to %s%s\n", p->label, a, b,
		    p->partial ? " (part)" : "");
		table_line(&p->t, l1, ARRAY_LEN(l1), f);
		table_line(&p->t, l2, ARRAY_LEN(l2), f);
		table_line(&p->t, l3, ARRAY_LEN(l3), f);
		table_line(&p->t, l4, ARRAY_LEN(l4), f);
		for (int d = 0; d < REPORT_DIMS; d++)
			table_rows(p, d, f);
	}
}

int
report_write(const struct report *r, enum report_format fmt, FILE *f)
{
	switch (fmt) {
	case REPORT_FORMAT_CSV:
		write_csv(r, f);
		break;
	case REPORT_FORMAT_JSON:
		if (write_json(r, f) != 0)
			return -1;
		break;
	case REPORT_FORMAT_TABLE:
	default:
		write_table(r, f);
		break;
	}
	return fflush(f) != 0 || ferror(f) ? -1 : 0;
}
