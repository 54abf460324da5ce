/*
 * Check suite for orders/outbox.c: intake.db migrations and file modes,
 * put / duplicate / list / ack / count, ids never reused after an ack,
 * a key remembered after its row is acknowledged, one centre never seeing
 * or deleting another's rows, the AAD, the key and blob limits (limit and
 * limit + 1), a real sealed order going through and opening with the
 * centre's key and the AAD of its row, and batches (outbox_put_many):
 * one transaction, bad items refused alone, duplicates within a batch and
 * after an ack giving back the first reference and token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "base/util.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/outbox.h"
#include "tests/testutil.h"

static char dir[4096];
static char dbpath[4200];
static char errbuf[512];
static struct outbox *ob;
static const uint8_t blob[] = { 0x01, 0x02, 0x03, 0x04 };

static void
setup(void)
{
	const char *d;

	unsetenv("HRPOST_NOW");
	d = testutil_mkdtemp();
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(dbpath, sizeof(dbpath), "%s/intake.db",
	    dir), 0);
	ob = outbox_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(ob != NULL, "%s", errbuf);
}

static void
teardown(void)
{
	outbox_close(ob);
	ob = NULL;
	testutil_rmtree(dir);
	unsetenv("HRPOST_NOW");
}

static int64_t
put_ok(const char *centre, const char *idem, bool want_dup)
{
	int64_t id = -1;
	bool dup = !want_dup;

	ck_assert_msg(outbox_put(ob, ORDER_CHANNEL_WEB, centre, idem, blob,
	    sizeof(blob), &id, &dup) == 0, "%s", outbox_errmsg(ob));
	ck_assert(dup == want_dup);
	ck_assert_int_gt(id, 0);
	return id;
}

static int64_t
count(const char *centre)
{
	int64_t n = -1;

	ck_assert_int_eq(outbox_count(ob, centre, &n), 0);
	return n;
}

struct listed {
	int n;
	int stop_at;
	int64_t ids[16];
	char idem[16][OUTBOX_IDEM_MAX + 1];
	size_t len[16];
	enum order_channel channel[16];
	uint8_t first[16];
};

static int
collect(const struct outbox_row *row, void *arg)
{
	struct listed *l = arg;

	ck_assert_int_lt(l->n, 16);
	l->ids[l->n] = row->id;
	memcpy(l->idem[l->n], row->idem, sizeof(row->idem));
	l->len[l->n] = row->bloblen;
	l->channel[l->n] = row->channel;
	l->first[l->n] = row->blob[0];
	ck_assert_str_eq(row->centre, "millau");
	ck_assert_int_gt(row->received_at, 0);
	l->n++;
	return l->stop_at > 0 && l->n >= l->stop_at;
}

START_TEST(test_open)
{
	const char *suffix[] = { "", "-wal", "-shm" };
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;

	for (size_t i = 0; i < ARRAY_LEN(suffix); i++) {
		char p[4300];
		struct stat sb;

		ck_assert_int_ge(str_printf(p, sizeof(p), "%s%s", dbpath,
		    suffix[i]), 0);
		ck_assert_int_eq(stat(p, &sb), 0);
		ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	}
	ck_assert_int_eq(put_ok("millau", "a", false), 1);
	outbox_close(ob);
	/* Reopening keeps the rows and applies nothing twice. */
	ob = outbox_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(ob != NULL, "%s", errbuf);
	ck_assert_int_eq(count(NULL), 1);
	outbox_close(ob);
	ob = NULL;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), 3);
	sqlite3_finalize(s);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 7", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(outbox_open(dbpath, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "intake.db was created by a newer hrpost")
	    != NULL, "%s", errbuf);
	ck_assert_str_eq(outbox_errmsg(NULL), "no outbox");
}
END_TEST

START_TEST(test_put_duplicate)
{
	int64_t id1, id2, id = 0;
	bool dup = true;

	id1 = put_ok("millau", "kannel-1", false);
	id2 = put_ok("millau", "kannel-2", false);
	ck_assert_int_gt(id2, id1);
	/* The same key again: nothing stored, the first id back. */
	ck_assert_int_eq(put_ok("millau", "kannel-1", true), id1);
	ck_assert_int_eq(count("millau"), 2);
	/* The same key for another centre is an error, not a row. */
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_SMS, "rodez", "kannel-1",
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_ptr_nonnull(strstr(outbox_errmsg(ob), "another centre"));
	ck_assert_int_eq(count(NULL), 2);
	/* Outputs may be NULL. */
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_SMS, "rodez", "k3", blob,
	    sizeof(blob), NULL, NULL), 0);
	ck_assert_int_eq(count("rodez"), 1);
	ck_assert_int_eq(count(NULL), 3);
	ck_assert_int_eq(count("nobody"), 0);
	ck_assert_int_eq(outbox_count(ob, "bad/centre", &id), -1);
}
END_TEST

START_TEST(test_limits)
{
	static uint8_t big[OUTBOX_BLOB_MAX + 1];
	char idem[OUTBOX_IDEM_MAX + 2], centre[80];
	int64_t id;
	bool dup;

	memset(idem, 'k', OUTBOX_IDEM_MAX);
	idem[OUTBOX_IDEM_MAX] = '\0';
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau", idem,
	    big, OUTBOX_BLOB_MAX, &id, &dup), 0);
	idem[OUTBOX_IDEM_MAX] = 'k';
	idem[OUTBOX_IDEM_MAX + 1] = '\0';
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau", idem,
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_ptr_nonnull(strstr(outbox_errmsg(ob), "idempotency key"));
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau", "big",
	    big, OUTBOX_BLOB_MAX + 1, &id, &dup), -1);
	ck_assert_ptr_nonnull(strstr(outbox_errmsg(ob), "sealed order"));
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau", "empty",
	    blob, 0, &id, &dup), -1);
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau", "null",
	    NULL, 4, &id, &dup), -1);
	/* Keys: printable ASCII, no space, no control, not empty. */
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau", "",
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau", "a b",
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau", "a\nb",
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau",
	    "caf\xc3\xa9", blob, sizeof(blob), &id, &dup), -1);
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau", NULL,
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau",
	    "a!~{}/x", blob, sizeof(blob), &id, &dup), 0);
	/* Centres: letters, digits, '-', '_', up to 63. */
	memset(centre, 'c', 63);
	centre[63] = '\0';
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, centre, "c63",
	    blob, sizeof(blob), &id, &dup), 0);
	centre[63] = 'c';
	centre[64] = '\0';
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, centre, "c64",
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "a/b", "slash",
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "", "empty-c",
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_int_eq(outbox_put(ob, (enum order_channel)3, "millau", "ch",
	    blob, sizeof(blob), &id, &dup), -1);
	ck_assert_int_eq(count(NULL), 3);
}
END_TEST

START_TEST(test_list_ack)
{
	struct listed l;
	int64_t ids[5], gone[3], id;

	memset(&l, 0, sizeof(l));
	for (int i = 0; i < 5; i++) {
		char idem[16];

		ck_assert_int_ge(str_printf(idem, sizeof(idem), "m%d", i), 0);
		ids[i] = put_ok("millau", idem, false);
		if (i == 2)
			(void)put_ok("rodez", "r0", false);
	}
	/* Oldest first, after a given id, up to a limit. */
	ck_assert_int_eq(outbox_list(ob, "millau", 0, 100, collect, &l), 0);
	ck_assert_int_eq(l.n, 5);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(l.ids[i], ids[i]);
		ck_assert_uint_eq(l.len[i], sizeof(blob));
		ck_assert_uint_eq(l.first[i], blob[0]);
		ck_assert_int_eq(l.channel[i], ORDER_CHANNEL_WEB);
	}
	ck_assert_str_eq(l.idem[4], "m4");
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(outbox_list(ob, "millau", ids[1], 2, collect, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_int_eq(l.ids[0], ids[2]);
	ck_assert_int_eq(l.ids[1], ids[3]);
	memset(&l, 0, sizeof(l));
	l.stop_at = 1;
	ck_assert_int_eq(outbox_list(ob, "millau", 0, 100, collect, &l), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(outbox_list(ob, "millau", 0, 0, collect, &l), -1);
	ck_assert_int_eq(outbox_list(ob, "millau", 0, 10, NULL, &l), -1);
	ck_assert_int_eq(outbox_list(ob, "x y", 0, 10, collect, &l), -1);

	/* Acknowledge three, one unknown and one of another centre. */
	gone[0] = ids[0];
	gone[1] = 999;
	gone[2] = ids[4];
	ck_assert_int_eq(outbox_ack(ob, "millau", gone, 3), 0);
	ck_assert_int_eq(count("millau"), 3);
	ck_assert_int_eq(count("rodez"), 1);
	gone[0] = ids[1];
	ck_assert_int_eq(outbox_ack(ob, "rodez", gone, 1), 0);
	ck_assert_int_eq(count("millau"), 3);
	ck_assert_int_eq(outbox_ack(ob, "millau", NULL, 0), 0);
	ck_assert_int_eq(outbox_ack(ob, "millau", NULL, 2), -1);
	ck_assert_int_eq(outbox_ack(ob, "", gone, 1), -1);

	/* The last row was deleted: its id is not given again. */
	id = put_ok("millau", "m5", false);
	ck_assert_int_gt(id, ids[4]);
	/* An acknowledged key is still a duplicate (a late retry). */
	ck_assert_int_eq(put_ok("millau", "m0", true), ids[0]);
	ck_assert_int_eq(count("millau"), 4);
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(outbox_list(ob, "millau", ids[4], 100, collect, &l),
	    0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(l.ids[0], id);
}
END_TEST

/* Acknowledged keys are forgotten after their retention. */
START_TEST(test_acked_pruned)
{
	int64_t id;

	ck_assert_int_eq(setenv("HRPOST_NOW", "2026-03-01T10:00:00Z", 1), 0);
	id = put_ok("millau", "old", false);
	ck_assert_int_eq(outbox_ack(ob, "millau", &id, 1), 0);
	ck_assert_int_eq(put_ok("millau", "old", true), id);
	ck_assert_int_eq(setenv("HRPOST_NOW", "2026-05-01T10:00:00Z", 1), 0);
	ck_assert_int_eq(outbox_ack(ob, "millau", NULL, 0), 0);
	ck_assert_int_gt(put_ok("millau", "old", false), id);
}
END_TEST

START_TEST(test_aad)
{
	char out[OUTBOX_IDEM_MAX + 80], idem[OUTBOX_IDEM_MAX + 2];

	ck_assert_int_eq(outbox_aad("millau", "kannel-1", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "outbox/millau/kannel-1");
	ck_assert_int_eq(outbox_aad("millau", "kannel-1", out, 22), -1);
	ck_assert_int_eq(outbox_aad("millau", "kannel-1", out, 23), 0);
	ck_assert_int_eq(outbox_aad("mil/lau", "x", out, sizeof(out)), -1);
	ck_assert_int_eq(outbox_aad("millau", "a b", out, sizeof(out)), -1);
	ck_assert_int_eq(outbox_aad(NULL, "x", out, sizeof(out)), -1);
	ck_assert_int_eq(outbox_aad("millau", "x", NULL, 10), -1);
	memset(idem, 'k', OUTBOX_IDEM_MAX);
	idem[OUTBOX_IDEM_MAX] = '\0';
	ck_assert_int_eq(outbox_aad("millau", idem, out, sizeof(out)), 0);
	idem[OUTBOX_IDEM_MAX] = 'k';
	idem[OUTBOX_IDEM_MAX + 1] = '\0';
	ck_assert_int_eq(outbox_aad("millau", idem, out, sizeof(out)), -1);
}
END_TEST

/* What intake and the console do with a real order. */
struct opened {
	const struct centre_key *key;
	int ok;
	int wrong_aad_refused;
};

static int
open_row(const struct outbox_row *row, void *arg)
{
	struct opened *o = arg;
	char aad[OUTBOX_IDEM_MAX + 80];
	uint8_t *pt = NULL;
	size_t ptlen = 0;

	ck_assert_int_eq(outbox_aad(row->centre, row->idem, aad, sizeof(aad)),
	    0);
	if (seal_open(o->key, row->blob, row->bloblen, aad, strlen(aad), &pt,
	    &ptlen) == SEAL_OK && strcmp((char *)pt, "{\"v\":1}") == 0)
		o->ok++;
	mem_wipe_free(pt, ptlen + 1);
	ck_assert_int_eq(outbox_aad(row->centre, "other", aad, sizeof(aad)),
	    0);
	if (seal_open(o->key, row->blob, row->bloblen, aad, strlen(aad), &pt,
	    &ptlen) == SEAL_ERR_AUTH)
		o->wrong_aad_refused++;
	return 0;
}

START_TEST(test_sealed_round_trip)
{
	struct centre_key *key = key_generate();
	struct opened o = { key, 0, 0 };
	char aad[OUTBOX_IDEM_MAX + 80];
	const char *pt = "{\"v\":1}";
	uint8_t *sealed = NULL;
	size_t len = 0;
	int64_t id;
	bool dup;

	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(outbox_aad("millau", "form-abc", aad, sizeof(aad)), 0);
	ck_assert_int_eq(seal_seal(key_public(key), pt, strlen(pt), aad,
	    strlen(aad), &sealed, &len), SEAL_OK);
	ck_assert_int_eq(outbox_put(ob, ORDER_CHANNEL_WEB, "millau",
	    "form-abc", sealed, len, &id, &dup), 0);
	ck_assert_int_eq(outbox_list(ob, "millau", 0, 10, open_row, &o), 0);
	ck_assert_int_eq(o.ok, 1);
	ck_assert_int_eq(o.wrong_aad_refused, 1);
	free(sealed);
	key_free(key);
}
END_TEST

/*
 * A batch is one transaction: items stored with their reference and
 * token, a bad item refused alone, a key repeated in the batch or put
 * before is a duplicate that gives back the first reference and token,
 * also after the first row was acknowledged.
 */
START_TEST(test_put_many)
{
	struct outbox_item it[4];
	int64_t ids[1];

	memset(it, 0, sizeof(it));
	for (size_t i = 0; i < 4; i++) {
		it[i].channel = ORDER_CHANNEL_WEB;
		it[i].centre = "millau";
		it[i].blob = blob;
		it[i].len = sizeof(blob);
	}
	it[0].idem = "k1";
	it[0].ref = "REF1";
	it[0].token = "TOK1";
	it[1].idem = "k2";
	it[2].idem = "k1";		/* repeated within the batch */
	it[2].ref = "REFX";
	it[3].idem = "bad key";		/* a space: refused alone */
	ck_assert_int_eq(outbox_put_many(ob, it, 4), 0);
	ck_assert_int_eq(it[0].rc, 0);
	ck_assert(!it[0].duplicate);
	ck_assert_int_eq(it[1].rc, 0);
	ck_assert_str_eq(it[1].first_ref, "");
	ck_assert_int_eq(it[2].rc, 0);
	ck_assert(it[2].duplicate);
	ck_assert_int_eq(it[2].id, it[0].id);
	ck_assert_str_eq(it[2].first_ref, "REF1");
	ck_assert_str_eq(it[2].first_token, "TOK1");
	ck_assert_int_eq(it[3].rc, -1);
	ck_assert_ptr_nonnull(strstr(it[3].err, "idempotency key"));
	ck_assert_int_eq(count("millau"), 2);

	/* After an ack the key still answers with its reference. */
	ids[0] = it[0].id;
	ck_assert_int_eq(outbox_ack(ob, "millau", ids, 1), 0);
	memset(it, 0, sizeof(it[0]));
	it[0].channel = ORDER_CHANNEL_WEB;
	it[0].centre = "millau";
	it[0].idem = "k1";
	it[0].blob = blob;
	it[0].len = sizeof(blob);
	ck_assert_int_eq(outbox_put_many(ob, it, 1), 0);
	ck_assert(it[0].duplicate);
	ck_assert_str_eq(it[0].first_ref, "REF1");
	ck_assert_str_eq(it[0].first_token, "TOK1");
	ck_assert_int_eq(count("millau"), 1);
	ck_assert_int_eq(outbox_put_many(ob, NULL, 0), 0);
}
END_TEST

static Suite *
outbox_suite(void)
{
	Suite *s = suite_create("outbox");
	TCase *tc = tcase_create("outbox");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open);
	tcase_add_test(tc, test_put_duplicate);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_list_ack);
	tcase_add_test(tc, test_acked_pruned);
	tcase_add_test(tc, test_aad);
	tcase_add_test(tc, test_sealed_round_trip);
	tcase_add_test(tc, test_put_many);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(outbox_suite)
