/*
 * Report figures on a generated centre.db of 1,000,000 orders for 200,000
 * people over three years (2023 to 2025): the database is made by
 * store_open() (so it has every migration and index), then filled with
 * SQL in large transactions: the catalogue, 16 items in 12 lots each,
 * recipients with random 32-byte keyed pseudonyms and a random sealed blob
 * of a real blob's size, orders in 100 départements over three channels
 * with 1 to 3 lines, their parcels (delivery 1 to 7 days after shipping),
 * the lots each parcel took, and follow-up calls after about one delivery
 * in ten, with outcomes.  Generation time goes to stderr, not as a figure.
 * The store is then closed, synced to disk and opened again, as `hrpost
 * report` would open it.  $HRPOST_BENCH_DB names a database to keep
 * (made there when missing, reused when present), for working on the
 * queries without generating it each time.
 *
 * Figures, one a line as "name value unit", each the median of several
 * runs on the same connection after one run to warm the page cache (the
 * connection keeps SQLite's default 2 MiB cache, so each run still reads
 * most pages from the system's cache, as a fresh `hrpost report` does):
 *   report_month     a one-month report by month (June 2025)
 *   report_year      a one-year report by month (2025)
 *   callbacks_today  followup_due() (orders/followup.h): the open call-back
 *                    tasks due before the next local midnight, oldest first
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "orders/followup.h"
#include "orders/report.h"
#include "orders/store.h"

#define N_ORDERS 1000000
#define N_PEOPLE 200000
#define N_DEPTS 100
#define N_QUARTERS 12
#define BATCH 100000
#define RUNS_MONTH 11
#define RUNS_YEAR 3
#define DAY 86400
#define HOUR 3600
#define T0 1672531200		/* 2023-01-01T00:00:00Z */
#define SPAN (1096 * DAY)	/* to 2026-01-01 */
#define NOW_ISO "2026-01-01T09:30:00Z"
#define SEALED_MIN 200		/* an order's sealed personal data, bytes */
#define SEALED_SPREAD 120

struct item_def {
	const char *code;
	int expiry;
};

static const struct item_def items[] = {
	{ "SYR1-30", 0 }, { "SYR1-29", 0 }, { "CUP", 0 }, { "WATER", 0 },
	{ "ALC", 0 }, { "FILT", 0 }, { "NALOX", 1 }, { "PIPE", 0 },
	{ "TIP", 0 }, { "STRAW", 0 }, { "SALINE", 0 }, { "CONDOM", 0 },
	{ "LUBE", 0 }, { "SHARPS1", 0 }, { "LEAFLET", 0 }, { "SWAB", 0 },
};

/* Pack contents: item index, quantity, variant ("" every variant). */
struct content {
	int item;
	int qty;
	const char *variant;
};

struct pack_def {
	const char *code;
	int weight_pct;		/* share of order lines */
	int ncontents;
	struct content c[6];
};

static const struct pack_def packs[] = {
	{ "INJ", 45, 6, { { 0, 10, "30G-8" }, { 1, 10, "29G-12" },
	    { 2, 10, "" }, { 3, 10, "" }, { 4, 20, "" }, { 5, 10, "" } } },
	{ "NALOX", 15, 1, { { 6, 1, "" } } },
	{ "INHAL", 15, 3, { { 7, 1, "" }, { 8, 5, "" }, { 4, 2, "" } } },
	{ "SNIFF", 8, 2, { { 9, 10, "" }, { 10, 2, "" } } },
	{ "SEX", 8, 2, { { 11, 10, "" }, { 12, 5, "" } } },
	{ "SHARPS", 5, 1, { { 13, 1, "" } } },
	{ "INFO", 4, 1, { { 14, 1, "" } } },
};

#define N_ITEMS ((int)(sizeof(items) / sizeof(items[0])))
#define N_PACKS ((int)(sizeof(packs) / sizeof(packs[0])))

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

/* Uniform in [0, n). */
static int64_t
below(int64_t n)
{
	return (int64_t)(rnd() % (uint64_t)n);
}

static void
rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd() >> 56);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, sqlite3 *db)
{
	fprintf(stderr, "bench_report: %s%s%s\n", what, db != NULL ? ": " : "",
	    db != NULL ? sqlite3_errmsg(db) : "");
	exit(1);
}

static sqlite3_stmt *
prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		die(sql, db);
	return s;
}

static void
exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql, db);
}

static void
done(sqlite3 *db, sqlite3_stmt *s, const char *what)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		die(what, db);
	sqlite3_reset(s);
}

/* Commit every BATCH rows, so no transaction grows without bound. */
static void
tick(sqlite3 *db, long *rows)
{
	if (++*rows % BATCH == 0) {
		exec(db, "COMMIT");
		exec(db, "BEGIN");
	}
}

static const char *
dept_code(int i, char buf[8])
{
	/* 01-19, 2A, 2B, 21-95, 971-974: 100 départements. */
	if (i < 19)
		snprintf(buf, 8, "%02d", i + 1);
	else if (i == 19)
		snprintf(buf, 8, "2A");
	else if (i == 20)
		snprintf(buf, 8, "2B");
	else if (i < 96)
		snprintf(buf, 8, "%02d", i);
	else
		snprintf(buf, 8, "%d", 971 + i - 96);
	return buf;
}

/* A skewed draw: a few départements hold many of the orders. */
static int
draw_dept(void)
{
	uint64_t a = (uint64_t)below(N_DEPTS), b = (uint64_t)below(N_DEPTS);

	return (int)(a < b ? a : b);
}

static int
draw_pack(void)
{
	int64_t x = below(100);

	for (int i = 0; i < N_PACKS; i++) {
		if (x < packs[i].weight_pct)
			return i;
		x -= packs[i].weight_pct;
	}
	return 0;
}

/* Days from shipping to delivery, as Colissimo does it, plus hours. */
static int64_t
draw_delay(void)
{
	int64_t x = below(100), days;

	days = x < 30 ? 1 : x < 65 ? 2 : x < 85 ? 3 : x < 93 ? 4 :
	    x < 97 ? 5 : 6 + below(2);
	return days * DAY - 4 * HOUR + below(8 * HOUR);
}

static const char *const outcomes[] = {
	"reached", "no_answer", "declined", "naloxone_used", "referred",
	"stopped",
};
static const int outcome_pct[] = { 50, 22, 5, 3, 8, 12 };

static const char *
draw_outcome(void)
{
	int64_t x = below(100);

	for (size_t i = 0; i < sizeof(outcome_pct) / sizeof(outcome_pct[0]);
	    i++) {
		if (x < outcome_pct[i])
			return outcomes[i];
		x -= outcome_pct[i];
	}
	return outcomes[0];
}

#define SAVED_MAX 64

/*
 * The secondary indexes of the bulk tables are dropped while the rows go
 * in and made again from their own CREATE statements (sqlite_master)
 * afterwards: sorting once beats millions of random inserts, and the
 * database ends with the very schema store_open() made.
 */
static size_t
drop_indexes(sqlite3 *db, char *saved[SAVED_MAX])
{
	sqlite3_stmt *s = prep(db, "SELECT name, sql FROM sqlite_master "
	    "WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
	    "('recipients', 'orders', 'order_lines', 'parcels', "
	    "'parcel_lots', 'followups')");
	char *drops[SAVED_MAX];
	size_t n = 0;

	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == SAVED_MAX)
			die("too many indexes", NULL);
		drops[n] = sqlite3_mprintf("DROP INDEX \"%w\"",
		    (const char *)sqlite3_column_text(s, 0));
		saved[n] = strdup((const char *)sqlite3_column_text(s, 1));
		if (drops[n] == NULL || saved[n] == NULL)
			die("out of memory", NULL);
		n++;
	}
	sqlite3_finalize(s);
	for (size_t i = 0; i < n; i++) {
		exec(db, drops[i]);
		sqlite3_free(drops[i]);
	}
	return n;
}

static void
make_indexes(sqlite3 *db, char *saved[SAVED_MAX], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		exec(db, saved[i]);
		free(saved[i]);
	}
}

static void
generate(sqlite3 *db, int64_t centre)
{
	char *saved[SAVED_MAX];
	size_t nsaved;
	static const char *const channels[] = { "phone", "web", "sms" };
	sqlite3_stmt *s_item, *s_pack, *s_pi, *s_lot, *s_rcp, *s_ord, *s_line,
	    *s_parcel, *s_plot, *s_fu;
	int64_t *when, *first, *last, lot_ids[N_ITEMS][N_QUARTERS];
	int32_t *who;
	int64_t used = 0;
	long rows = 0;
	uint8_t blob[SEALED_MIN + SEALED_SPREAD], key[32];
	char code[32], dept[8];
	int i, q;

	/*
	 * Generation only: no journal, no sync, no foreign-key checks, a
	 * large cache.  store_open() sets WAL, synchronous=FULL and foreign
	 * keys again when the store is reopened for the figures.
	 */
	exec(db, "PRAGMA journal_mode=OFF");
	exec(db, "PRAGMA foreign_keys=OFF");
	exec(db, "PRAGMA synchronous=OFF");
	exec(db, "PRAGMA cache_size=-1048576");
	nsaved = drop_indexes(db, saved);
	exec(db, "BEGIN");

	/* The catalogue and its lots. */
	s_item = prep(db, "INSERT INTO items (code, unit, expiry, low) "
	    "VALUES (?, 'piece', ?, 10)");
	s_pack = prep(db, "INSERT INTO packs (code, version, weight, "
	    "updated_at) VALUES (?, 1, 100, ?)");
	s_pi = prep(db, "INSERT INTO pack_items (pack, item, variant, qty) "
	    "VALUES (?, ?, ?, ?)");
	s_lot = prep(db, "INSERT INTO stock_lots (item, lot, expiry, qty_in, "
	    "qty_left, received_at) VALUES (?, ?, ?, 10000000, 5000000, ?)");
	for (i = 0; i < N_ITEMS; i++) {
		sqlite3_bind_text(s_item, 1, items[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_int(s_item, 2, items[i].expiry);
		done(db, s_item, "item");
		for (q = 0; q < N_QUARTERS; q++) {
			snprintf(code, sizeof(code), "L%02d-Q%02d", i, q);
			sqlite3_bind_text(s_lot, 1, items[i].code, -1,
			    SQLITE_STATIC);
			sqlite3_bind_text(s_lot, 2, code, -1, SQLITE_TRANSIENT);
			if (items[i].expiry)
				sqlite3_bind_int64(s_lot, 3, T0 + (q + 8) *
				    91 * DAY);
			else
				sqlite3_bind_null(s_lot, 3);
			sqlite3_bind_int64(s_lot, 4, T0 + (q - 1) * 91 * DAY);
			done(db, s_lot, "lot");
			lot_ids[i][q] = sqlite3_last_insert_rowid(db);
		}
	}
	for (i = 0; i < N_PACKS; i++) {
		sqlite3_bind_text(s_pack, 1, packs[i].code, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s_pack, 2, T0);
		done(db, s_pack, "pack");
		for (int c = 0; c < packs[i].ncontents; c++) {
			sqlite3_bind_text(s_pi, 1, packs[i].code, -1,
			    SQLITE_STATIC);
			sqlite3_bind_text(s_pi, 2,
			    items[packs[i].c[c].item].code, -1,
			    SQLITE_STATIC);
			sqlite3_bind_text(s_pi, 3, packs[i].c[c].variant, -1,
			    SQLITE_STATIC);
			sqlite3_bind_int(s_pi, 4, packs[i].c[c].qty);
			done(db, s_pi, "pack item");
		}
	}

	/*
	 * Who orders when: one order in five is from someone new (until
	 * 200,000 people have come), the others from someone who ordered
	 * before, so long-known people order more.
	 */
	when = malloc(N_ORDERS * sizeof(*when));
	who = malloc(N_ORDERS * sizeof(*who));
	first = calloc(N_PEOPLE, sizeof(*first));
	last = calloc(N_PEOPLE, sizeof(*last));
	if (when == NULL || who == NULL || first == NULL || last == NULL)
		die("out of memory", NULL);
	for (i = 0; i < N_ORDERS; i++) {
		when[i] = T0 + (int64_t)i * (SPAN / N_ORDERS) +
		    below(SPAN / N_ORDERS);
		if (used < N_PEOPLE && (used == 0 || below(5) == 0 ||
		    N_ORDERS - i <= N_PEOPLE - used))
			who[i] = (int32_t)used++;
		else
			who[i] = (int32_t)below(used);
		if (first[who[i]] == 0)
			first[who[i]] = when[i];
		last[who[i]] = when[i];
	}

	s_rcp = prep(db, "INSERT INTO recipients (id, centre_id, phone_key, "
	    "address_key, sealed, consent_call, consent_sms, lang, "
	    "first_seen, last_order_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'fr', "
	    "?, ?)");
	for (i = 0; i < N_PEOPLE; i++) {
		size_t n = SEALED_MIN + (size_t)below(SEALED_SPREAD);

		sqlite3_bind_int64(s_rcp, 1, i + 1);
		sqlite3_bind_int64(s_rcp, 2, centre);
		rnd_bytes(key, sizeof(key));
		sqlite3_bind_blob(s_rcp, 3, key, sizeof(key), SQLITE_TRANSIENT);
		rnd_bytes(key, sizeof(key));
		sqlite3_bind_blob(s_rcp, 4, key, sizeof(key), SQLITE_TRANSIENT);
		rnd_bytes(blob, n);
		sqlite3_bind_blob(s_rcp, 5, blob, (int)n, SQLITE_TRANSIENT);
		sqlite3_bind_int(s_rcp, 6, below(10) < 7);
		sqlite3_bind_int(s_rcp, 7, below(10) < 5);
		sqlite3_bind_int64(s_rcp, 8, first[i] != 0 ? first[i] : T0);
		sqlite3_bind_int64(s_rcp, 9, last[i] != 0 ? last[i] : T0);
		done(db, s_rcp, "recipient");
		tick(db, &rows);
	}

	s_ord = prep(db, "INSERT INTO orders (id, centre_id, ref, token, "
	    "recipient_id, channel, status, for_people, lang, dept, sealed, "
	    "received_at, accepted_at, packed_at, shipped_at, delivered_at, "
	    "returned_at, cancelled_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8, 'fr', ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
	    "?17, ?18)");
	s_line = prep(db, "INSERT INTO order_lines (order_id, pack, qty, "
	    "variant) VALUES (?, ?, ?, ?)");
	s_parcel = prep(db, "INSERT INTO parcels (id, order_id, carrier, "
	    "carrier_id, status, packed_at, shipped_at, delivered_at, "
	    "returned_at, weight) VALUES (?1, ?1, 'laposte', ?2, ?3, ?4, ?5, "
	    "?6, ?7, ?8)");
	s_plot = prep(db, "INSERT INTO parcel_lots (parcel_id, lot_id, qty) "
	    "VALUES (?, ?, ?)");
	s_fu = prep(db, "INSERT INTO followups (centre_id, recipient_id, "
	    "order_id, reason, due_at, status, attempts, outcome, created_at, "
	    "done_at) VALUES (?1, ?2, ?3, 'after_delivery', ?4, ?5, ?6, ?7, "
	    "?8, ?9)");
	for (i = 0; i < N_ORDERS; i++) {
		int64_t id = i + 1, rec = when[i], acc, packed, shipped;
		int64_t deliv = 0, ret = 0, canc = 0, upd;
		int nlines = below(10) < 6 ? 1 : below(3) < 2 ? 2 : 3;
		int lines[3], qtys[3], items_qty[N_ITEMS] = { 0 };
		const char *status, *variant = below(2) ? "30G-8" : "29G-12";
		size_t n = SEALED_MIN + (size_t)below(SEALED_SPREAD);
		bool has_parcel = false;

		acc = rec + below(2 * HOUR);
		packed = acc + 2 * HOUR + below(28 * HOUR);
		shipped = packed + HOUR + below(23 * HOUR);
		if (below(100) < 2) {
			status = "cancelled";
			canc = acc + HOUR;
			upd = canc;
			packed = shipped = 0;
		} else if (packed > T0 + SPAN) {
			status = "accepted";
			packed = shipped = 0;
			upd = acc;
		} else if (shipped > T0 + SPAN) {
			status = "packed";
			shipped = 0;
			upd = packed;
			has_parcel = true;
		} else {
			int64_t x = below(100);

			has_parcel = true;
			deliv = shipped + draw_delay();
			if (x < 2) {
				status = "returned";
				ret = shipped + 12 * DAY;
				deliv = 0;
			} else if (x < 3 || deliv > T0 + SPAN) {
				status = "shipped";
				deliv = 0;
			} else {
				status = "delivered";
			}
			upd = ret != 0 ? ret : deliv != 0 ? deliv : shipped;
			if (upd > T0 + SPAN)
				upd = shipped;
			if (ret > T0 + SPAN) {
				status = "shipped";
				ret = 0;
			}
		}
		sqlite3_bind_int64(s_ord, 1, id);
		sqlite3_bind_int64(s_ord, 2, centre);
		snprintf(code, sizeof(code), "B%08d", i);
		sqlite3_bind_text(s_ord, 3, code, -1, SQLITE_TRANSIENT);
		snprintf(code, sizeof(code), "T%016d", i);
		sqlite3_bind_text(s_ord, 4, code, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s_ord, 5, who[i] + 1);
		sqlite3_bind_text(s_ord, 6, channels[below(10) < 3 ? 0 :
		    below(10) < 7 ? 1 : 2], -1, SQLITE_STATIC);
		sqlite3_bind_text(s_ord, 7, status, -1, SQLITE_STATIC);
		sqlite3_bind_int(s_ord, 8, below(10) == 0 ? 2 : 1);
		sqlite3_bind_text(s_ord, 9, dept_code(draw_dept(), dept), -1,
		    SQLITE_TRANSIENT);
		rnd_bytes(blob, n);
		sqlite3_bind_blob(s_ord, 10, blob, (int)n, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s_ord, 11, rec);
		sqlite3_bind_int64(s_ord, 12, acc);
		if (packed != 0)
			sqlite3_bind_int64(s_ord, 13, packed);
		else
			sqlite3_bind_null(s_ord, 13);
		if (shipped != 0)
			sqlite3_bind_int64(s_ord, 14, shipped);
		else
			sqlite3_bind_null(s_ord, 14);
		if (deliv != 0)
			sqlite3_bind_int64(s_ord, 15, deliv);
		else
			sqlite3_bind_null(s_ord, 15);
		if (ret != 0)
			sqlite3_bind_int64(s_ord, 16, ret);
		else
			sqlite3_bind_null(s_ord, 16);
		if (canc != 0)
			sqlite3_bind_int64(s_ord, 17, canc);
		else
			sqlite3_bind_null(s_ord, 17);
		sqlite3_bind_int64(s_ord, 18, upd);
		done(db, s_ord, "order");
		tick(db, &rows);

		for (int l = 0; l < nlines; l++) {
			int p;

			do {
				p = draw_pack();
				for (q = 0; q < l && lines[q] != p; q++)
					;
			} while (q < l);
			lines[l] = p;
			qtys[l] = below(10) < 6 ? 1 : 2 + (int)below(4);
			sqlite3_bind_int64(s_line, 1, id);
			sqlite3_bind_text(s_line, 2, packs[p].code, -1,
			    SQLITE_STATIC);
			sqlite3_bind_int(s_line, 3, qtys[l]);
			sqlite3_bind_text(s_line, 4, p == 0 ? variant : "", -1,
			    SQLITE_STATIC);
			done(db, s_line, "order line");
			tick(db, &rows);
			for (int c = 0; c < packs[p].ncontents; c++) {
				const struct content *ct = &packs[p].c[c];

				if (ct->variant[0] == '\0' ||
				    strcmp(ct->variant, variant) == 0)
					items_qty[ct->item] += ct->qty *
					    qtys[l];
			}
		}
		if (!has_parcel)
			continue;

		sqlite3_bind_int64(s_parcel, 1, id);
		if (shipped != 0) {
			snprintf(code, sizeof(code), "6A%011d", i);
			sqlite3_bind_text(s_parcel, 2, code, -1,
			    SQLITE_TRANSIENT);
			sqlite3_bind_int64(s_parcel, 5, shipped);
		} else {
			sqlite3_bind_null(s_parcel, 2);
			sqlite3_bind_null(s_parcel, 5);
		}
		sqlite3_bind_text(s_parcel, 3, strcmp(status, "packed") == 0 ?
		    "labelled" : status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s_parcel, 4, packed);
		if (deliv != 0)
			sqlite3_bind_int64(s_parcel, 6, deliv);
		else
			sqlite3_bind_null(s_parcel, 6);
		if (ret != 0)
			sqlite3_bind_int64(s_parcel, 7, ret);
		else
			sqlite3_bind_null(s_parcel, 7);
		sqlite3_bind_int(s_parcel, 8, 100 * nlines);
		done(db, s_parcel, "parcel");
		tick(db, &rows);
		q = (int)((packed - T0) / (91 * DAY));
		if (q >= N_QUARTERS)
			q = N_QUARTERS - 1;
		for (int it = 0; it < N_ITEMS; it++) {
			if (items_qty[it] == 0)
				continue;
			sqlite3_bind_int64(s_plot, 1, id);
			sqlite3_bind_int64(s_plot, 2, lot_ids[it][q]);
			sqlite3_bind_int(s_plot, 3, items_qty[it]);
			done(db, s_plot, "parcel lot");
			tick(db, &rows);
		}

		/* About one delivery in ten gets a call two days later. */
		if (deliv == 0 || below(10) != 0)
			continue;
		{
			int64_t due = deliv + 2 * DAY;
			int64_t at = due + below(2 * DAY);
			bool open = at > T0 + SPAN || below(100) == 0;

			sqlite3_bind_int64(s_fu, 1, centre);
			sqlite3_bind_int64(s_fu, 2, who[i] + 1);
			sqlite3_bind_int64(s_fu, 3, id);
			sqlite3_bind_int64(s_fu, 4, due);
			sqlite3_bind_text(s_fu, 5, open ? "open" : "done", -1,
			    SQLITE_STATIC);
			sqlite3_bind_int(s_fu, 6, open ? 0 : 1 +
			    (int)below(3));
			if (open)
				sqlite3_bind_null(s_fu, 7);
			else
				sqlite3_bind_text(s_fu, 7, draw_outcome(), -1,
				    SQLITE_STATIC);
			sqlite3_bind_int64(s_fu, 8, deliv);
			if (open)
				sqlite3_bind_null(s_fu, 9);
			else
				sqlite3_bind_int64(s_fu, 9, at);
			done(db, s_fu, "follow-up");
			tick(db, &rows);
		}
	}
	exec(db, "COMMIT");
	make_indexes(db, saved, nsaved);
	fprintf(stderr, "bench_report: %ld rows\n", rows);

	sqlite3_finalize(s_item);
	sqlite3_finalize(s_pack);
	sqlite3_finalize(s_pi);
	sqlite3_finalize(s_lot);
	sqlite3_finalize(s_rcp);
	sqlite3_finalize(s_ord);
	sqlite3_finalize(s_line);
	sqlite3_finalize(s_parcel);
	sqlite3_finalize(s_plot);
	sqlite3_finalize(s_fu);
	free(when);
	free(who);
	free(first);
	free(last);
}

static int
count_task(const struct followup_task *t, void *arg)
{
	(void)t;
	(*(long *)arg)++;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median milliseconds of @runs reports from @from to @to by month. */
static double
time_report(struct store *st, int64_t centre, const char *from,
    const char *to, int runs, int64_t *parcels)
{
	struct report_query q = { .by = REPORT_BY_MONTH, .centre_id = centre,
	    .centre = "bench" };
	double ms[16];
	char err[256];

	if (report_date_parse(from, &q.from) != 0 ||
	    report_date_parse(to, &q.to) != 0)
		die("bad dates", NULL);
	for (int i = -1; i < runs; i++) {
		struct report *r = NULL;
		double t = mono();

		if (report_build(st, &q, &r, err, sizeof(err)) != REPORT_OK)
			die(err, NULL);
		t = mono() - t;
		if (i >= 0)
			ms[i] = t * 1e3;
		*parcels = 0;
		for (size_t p = 0; p < r->nperiods; p++)
			*parcels += r->periods[p].t.parcels.value;
		report_free(r);
	}
	qsort(ms, (size_t)runs, sizeof(ms[0]), cmp_double);
	return ms[runs / 2];
}

int
main(void)
{
	char dir[] = "/tmp/hrpost-bench-report-XXXXXX", path[256], err[512];
	struct followup_rules rules;
	const char *keep;
	struct store *st;
	int64_t centre, parcels;
	bool reuse = false;
	double t;

	/*
	 * $HRPOST_BENCH_DB: a database kept from an earlier run (made there
	 * when missing, kept afterwards), for working on the queries.
	 */
	keep = getenv("HRPOST_BENCH_DB");
	if (keep != NULL && *keep != '\0') {
		if (snprintf(path, sizeof(path), "%s", keep) >=
		    (int)sizeof(path))
			die("$HRPOST_BENCH_DB too long", NULL);
		reuse = access(path, F_OK) == 0;
	} else {
		if (mkdtemp(dir) == NULL)
			die("mkdtemp", NULL);
		snprintf(path, sizeof(path), "%s/centre.db", dir);
	}
	setenv("HRPOST_NOW", NOW_ISO, 1);
	/* Local time as the scheduler has it (before anything else). */
	followup_rules_defaults(&rules);
	if (followup_tz_apply(&rules, err, sizeof(err)) != 0)
		die(err, NULL);
	st = store_open(path, err, sizeof(err));
	if (st == NULL)
		die(err, NULL);
	if (reuse) {
		if (store_centre_find(st, "bench", &centre) != STORE_OK)
			die(store_errmsg(st), NULL);
	} else {
		if (store_centre_add(st, "bench", "Bench", "bench",
		    &centre) != STORE_OK)
			die(store_errmsg(st), NULL);
		t = mono();
		generate(store_db(st), centre);
		fprintf(stderr, "bench_report: generated %d orders for %d "
		    "people in %.1f s\n", N_ORDERS, N_PEOPLE, mono() - t);
	}
	store_close(st);
	/*
	 * Let the kernel write the new file out before measuring, so the
	 * figures do not share the machine with a gigabyte of writeback.
	 */
	{
		int fd = open(path, O_RDONLY);

		if (fd < 0 || fsync(fd) != 0)
			die("cannot sync the database", NULL);
		close(fd);
	}

	/* A fresh connection, as `hrpost report` has. */
	st = store_open(path, err, sizeof(err));
	if (st == NULL)
		die(err, NULL);
	t = time_report(st, centre, "2025-06-01", "2025-06-30", RUNS_MONTH,
	    &parcels);
	fprintf(stderr, "bench_report: June 2025: %lld parcels\n",
	    (long long)parcels);
	printf("report_month %.1f ms\n", t);
	t = time_report(st, centre, "2025-01-01", "2025-12-31", RUNS_YEAR,
	    &parcels);
	fprintf(stderr, "bench_report: 2025: %lld parcels\n",
	    (long long)parcels);
	printf("report_year %.1f ms\n", t);
	fflush(stdout);

	/* The coordinator's list: due today (local time) and overdue. */
	{
		double ms[RUNS_MONTH];
		long tasks = 0;

		for (int i = -1; i < RUNS_MONTH; i++) {
			tasks = 0;
			t = mono();
			if (followup_due(st, centre, clock_now(), count_task,
			    &tasks, err, sizeof(err)) != 0)
				die(err, NULL);
			t = mono() - t;
			if (i >= 0)
				ms[i] = t * 1e3;
		}
		qsort(ms, RUNS_MONTH, sizeof(ms[0]), cmp_double);
		fprintf(stderr, "bench_report: %ld call-backs due\n", tasks);
		printf("callbacks_today %.1f ms\n", ms[RUNS_MONTH / 2]);
	}

	store_close(st);
	if (keep == NULL || *keep == '\0') {
		snprintf(path, sizeof(path), "rm -rf '%s'", dir);
		if (system(path) != 0)
			die("cannot remove the scratch directory", NULL);
	}
	return 0;
}
