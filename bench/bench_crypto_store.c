/*
 * Foundation figures, one per line as "name value unit", in one run so
 * they compare: sealing and opening one order's personal data, storing one
 * order (sealed, linked, audited, committed with synchronous=FULL), and the
 * same machine's plain SQLite INSERT of a blob of the same size with the
 * same durability, as the baseline the store is measured against.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/order.h"
#include "orders/store.h"
#include "shipping/catalogue.h"

#define SEAL_ROUNDS 2000
#define STORE_ROUNDS 300

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench: %s\n", what);
	exit(1);
}

static void
make_order(const struct catalogue *cat, int i, struct order *o)
{
	char line[64], phone[32];
	struct order_input in;
	struct field_error errs[ORDER_ERRORS_MAX];

	memset(&in, 0, sizeof(in));
	snprintf(line, sizeof(line), "%d rue des Vignes", i % 300 + 1);
	snprintf(phone, sizeof(phone), "06%08d", 10000000 + i);
	in.pseudonym = "Camille";
	in.lines[0] = "Apt 3 chez Martin";
	in.lines[1] = line;
	in.nlines = 2;
	in.postcode = "12100";
	in.commune = "Millau";
	in.phone = phone;
	in.consent_call = true;
	in.lang = "fr";
	in.packs[0].code = "INJ";
	in.packs[0].qty = "2";
	in.packs[1].code = "NALOX";
	in.npacks = 2;
	in.note = "rappeler le soir";
	in.channel = ORDER_CHANNEL_PHONE;
	if (order_from_input(&in, cat, "fr", o, errs, ORDER_ERRORS_MAX) != 0)
		die(errs[0].msg);
}

int
main(void)
{
	char tmpl[] = "/tmp/hrpost-bench-XXXXXX", path[256], err[512];
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX];
	struct catalogue *cat;
	struct centre_key *key;
	struct store *st;
	struct order o;
	uint8_t *blob = NULL, *pt = NULL;
	size_t bloblen = 0, ptlen, pii_len;
	char *pii;
	int64_t centre;
	double t0, t;
	const char *srcdir = getenv("HRPOST_SRCDIR");

	snprintf(path, sizeof(path), "%s/templates", srcdir ? srcdir : ".");
	cat = catalogue_load(path, err, sizeof(err));
	if (cat == NULL)
		die(err);
	key = key_generate();
	if (key == NULL || mkdtemp(tmpl) == NULL)
		die("setup");
	make_order(cat, 0, &o);
	if (order_encode(&o, ORDER_ENCODE_PII, &pii, &pii_len) < 0)
		die("encode");

	t0 = now();
	for (int i = 0; i < SEAL_ROUNDS; i++) {
		free(blob);
		if (seal_seal(key_public(key), pii, pii_len, "orders/X/pii", 12,
		    &blob, &bloblen) != SEAL_OK)
			die("seal");
	}
	t = now() - t0;
	printf("seal %.1f us/op\n", t / SEAL_ROUNDS * 1e6);

	t0 = now();
	for (int i = 0; i < SEAL_ROUNDS; i++) {
		if (seal_open(key, blob, bloblen, "orders/X/pii", 12, &pt,
		    &ptlen) != SEAL_OK)
			die("open");
		mem_wipe_free(pt, ptlen + 1);
	}
	t = now() - t0;
	printf("open %.1f us/op\n", t / SEAL_ROUNDS * 1e6);

	snprintf(path, sizeof(path), "%s/centre.db", tmpl);
	st = store_open(path, err, sizeof(err));
	if (st == NULL)
		die(err);
	if (store_centre_add(st, "bench", "Bench", "bench", &centre) !=
	    STORE_OK)
		die(store_errmsg(st));
	t0 = now();
	for (int i = 0; i < STORE_ROUNDS; i++) {
		order_clear(&o);
		make_order(cat, i + 1, &o);
		if (store_order_add(st, key, centre, &o, ORDER_ACCEPTED, NULL,
		    0, 0, "bench", ref, token) != STORE_OK)
			die(store_errmsg(st));
	}
	t = now() - t0;
	double store_rate = STORE_ROUNDS / t;
	printf("store_order %.0f orders/s\n", store_rate);
	store_close(st);

	/* Baseline: the same durability, a plain INSERT of a same-size blob. */
	sqlite3 *db;
	sqlite3_stmt *ins;
	snprintf(path, sizeof(path), "%s/baseline.db", tmpl);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)", NULL,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t(b) VALUES (?)", -1, &ins,
	    NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db));
	t0 = now();
	for (int i = 0; i < STORE_ROUNDS; i++) {
		if (sqlite3_bind_blob(ins, 1, blob, (int)bloblen,
		    SQLITE_STATIC) != SQLITE_OK || sqlite3_step(ins) !=
		    SQLITE_DONE || sqlite3_reset(ins) != SQLITE_OK)
			die(sqlite3_errmsg(db));
	}
	t = now() - t0;
	printf("sqlite_baseline %.0f inserts/s\n", STORE_ROUNDS / t);
	/* Same run, same disk: the cost of sealing, linking and auditing. */
	printf("store_order_vs_baseline %.2f ratio\n", store_rate /
	    (STORE_ROUNDS / t));
	sqlite3_finalize(ins);
	sqlite3_close(db);

	snprintf(path, sizeof(path), "rm -rf '%s'", tmpl);
	if (system(path) != 0)
		die("cleanup");
	free(blob);
	str_wipe_free(pii);
	order_clear(&o);
	key_free(key);
	catalogue_free(cat);
	return 0;
}
