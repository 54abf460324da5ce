/*
 * Check suite for orders/recipient.c: the phone pseudonym is the one
 * orders/store.c stores when it links an order (so an SMS finds the
 * person), finding by it, opening the address on file and the phone-only
 * form, a sealed blob moved to another recipient does not open (and is
 * then "nothing on file", not an error), a recipient known by phone only
 * (number sealed, never in clear in the file), the last order's packs
 * (cancelled orders skipped), STOP/START and consent flags with their
 * "changed" answer, and unknown ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/util.h"
#include "crypto/key.h"
#include "orders/db.h"
#include "orders/order.h"
#include "orders/recipient.h"
#include "orders/store.h"
#include "tests/testutil.h"

#define PHONE "+33612345678"
#define PHONE2 "+33698765432"

static char dir[4096];
static char dbpath[4200];
static char errbuf[512];
static struct centre_key *key;
static struct store *st;
static struct catalogue *cat;
static int64_t centre;

static void
setup(void)
{
	char tdir[4096];
	const char *d, *top = getenv("HRPOST_SRCDIR");

	d = testutil_mkdtemp();
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(dbpath, sizeof(dbpath), "%s/centre.db",
	    dir), 0);
	key = key_generate();
	ck_assert_ptr_nonnull(key);
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "store_open: %s", errbuf);
	ck_assert_int_eq(store_centre_add(st, "demo", "Demo", "admin",
	    &centre), STORE_OK);
	ck_assert_int_ge(str_printf(tdir, sizeof(tdir), "%s/templates",
	    top != NULL ? top : "."), 0);
	cat = catalogue_load(tdir, errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "catalogue: %s", errbuf);
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
	key_free(key);
	key = NULL;
	catalogue_free(cat);
	cat = NULL;
	testutil_rmtree(dir);
}

static sqlite3 *
db(void)
{
	return store_db(st);
}

/* An order through order_from_input(); @phone may be NULL. */
static void
add_order(const char *pseudonym, const char *phone, const char *pack,
    const char *qty, char ref[STORE_REF_MAX], int64_t *rid)
{
	struct order_input in;
	struct order o;
	struct field_error errs[4];
	struct store_order_row row;
	char tok[STORE_TOKEN_MAX];

	memset(&in, 0, sizeof(in));
	in.pseudonym = pseudonym;
	in.lines[0] = "12 rue des Lilas";
	in.nlines = 1;
	in.postcode = "12100";
	in.commune = "Millau";
	in.phone = phone;
	in.consent_call = phone != NULL;
	in.consent_sms = phone != NULL;
	in.packs[0].code = pack;
	in.packs[0].qty = qty;
	in.npacks = 1;
	in.channel = ORDER_CHANNEL_WEB;
	ck_assert_uint_eq(order_from_input(&in, cat, "fr", &o, errs, 4), 0);
	ck_assert_msg(store_order_add(st, key, centre, &o, ORDER_ACCEPTED,
	    NULL, 0, 0, "test", ref, tok) == STORE_OK, "%s",
	    store_errmsg(st));
	order_clear(&o);
	ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
	*rid = row.recipient_id;
}

static int64_t
raw_int(const char *sql, int64_t arg)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(db(), sql, -1, &s, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_int64(s, 1, arg), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

START_TEST(test_phone_key_matches_store)
{
	uint8_t pk[PSEUDONYM_LEN], pk2[PSEUDONYM_LEN];
	char ref[STORE_REF_MAX];
	sqlite3_stmt *s = NULL;
	int64_t rid, found_id = 0;
	bool found = false;

	add_order("Camille", "06 12 34 56 78", "INJ", "2", ref, &rid);
	ck_assert_int_eq(recipient_phone_key(key, PHONE, pk), 0);
	ck_assert_int_eq(sqlite3_prepare_v2(db(), "SELECT phone_key FROM "
	    "recipients WHERE id = ?", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_int64(s, 1, rid), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_bytes(s, 0), PSEUDONYM_LEN);
	ck_assert_mem_eq(sqlite3_column_blob(s, 0), pk, PSEUDONYM_LEN);
	sqlite3_finalize(s);

	ck_assert_int_eq(recipient_find_phone(db(), centre, pk, &found_id,
	    &found, errbuf, sizeof(errbuf)), 0);
	ck_assert(found);
	ck_assert_int_eq(found_id, rid);

	/* Another number, another key, nobody found. */
	ck_assert_int_eq(recipient_phone_key(key, PHONE2, pk2), 0);
	ck_assert_mem_ne(pk, pk2, PSEUDONYM_LEN);
	ck_assert_int_eq(recipient_find_phone(db(), centre, pk2, &found_id,
	    &found, errbuf, sizeof(errbuf)), 0);
	ck_assert(!found);
	/* Another centre's key: nobody either. */
	ck_assert_int_eq(recipient_find_phone(db(), centre + 1, pk, &found_id,
	    &found, errbuf, sizeof(errbuf)), 0);
	ck_assert(!found);

	/* An empty number has no pseudonym (everyone would share it). */
	ck_assert_int_eq(recipient_phone_key(key, "", pk), -1);
	ck_assert_int_eq(recipient_phone_key(NULL, PHONE, pk), -1);
}
END_TEST

START_TEST(test_load_address)
{
	struct recipient r;
	char ref[STORE_REF_MAX];
	int64_t rid;

	add_order("Camille", PHONE, "NALOX", "1", ref, &rid);
	ck_assert_int_eq(recipient_load(db(), key, rid, &r, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert(r.has_address);
	ck_assert_int_eq(r.id, rid);
	ck_assert_str_eq(r.pii.pseudonym, "Camille");
	ck_assert_uint_eq(r.pii.nlines, 1);
	ck_assert_str_eq(r.pii.lines[0], "12 rue des Lilas");
	ck_assert_str_eq(r.pii.postcode, "12100");
	ck_assert_str_eq(r.pii.commune, "Millau");
	ck_assert_str_eq(r.pii.phone, PHONE);
	ck_assert_str_eq(r.lang, "fr");
	ck_assert(r.consent_call);
	ck_assert(r.consent_sms);
	ck_assert(!r.sms_stopped);
	recipient_clear(&r);
	ck_assert_str_eq(r.pii.pseudonym, "");

	/* Without the key: the clear columns only. */
	ck_assert_int_eq(recipient_load(db(), NULL, rid, &r, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert(!r.has_address);
	ck_assert_str_eq(r.pii.phone, "");
	recipient_clear(&r);

	/* No such recipient. */
	ck_assert_int_eq(recipient_load(db(), key, rid + 100, &r, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "not found"));
}
END_TEST

START_TEST(test_moved_blob_does_not_open)
{
	struct recipient r;
	char ref[STORE_REF_MAX];
	int64_t a, b;

	add_order("Camille", PHONE, "INJ", "1", ref, &a);
	add_order("Dominique", PHONE2, "INJ", "1", ref, &b);
	ck_assert_int_ne(a, b);
	/* b's row now holds a's sealed data: its AAD names row a. */
	ck_assert_int_eq(sqlite3_exec(db(), "UPDATE recipients SET sealed = "
	    "(SELECT sealed FROM recipients WHERE id = 1) WHERE id = 2",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(a, 1);
	ck_assert_int_eq(recipient_load(db(), key, b, &r, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert(!r.has_address);
	ck_assert_str_eq(r.pii.pseudonym, "");
	ck_assert_str_eq(r.pii.phone, "");
	recipient_clear(&r);
}
END_TEST

START_TEST(test_add_phone)
{
	struct recipient r;
	uint8_t pk[PSEUDONYM_LEN];
	int64_t rid = 0, found_id = 0;
	bool found = false;

	ck_assert_int_eq(db_begin(db(), errbuf, sizeof(errbuf)), 0);
	ck_assert_msg(recipient_add_phone(db(), key, centre, PHONE, "es",
	    true, 1767225600, &rid, errbuf, sizeof(errbuf)) == 0, "%s",
	    errbuf);
	ck_assert_int_eq(db_commit(db(), errbuf, sizeof(errbuf)), 0);
	ck_assert_int_gt(rid, 0);

	ck_assert_int_eq(recipient_phone_key(key, PHONE, pk), 0);
	ck_assert_int_eq(recipient_find_phone(db(), centre, pk, &found_id,
	    &found, errbuf, sizeof(errbuf)), 0);
	ck_assert(found);
	ck_assert_int_eq(found_id, rid);
	ck_assert_int_eq(raw_int("SELECT first_seen FROM recipients WHERE "
	    "id = ?", rid), 1767225600);
	ck_assert_int_eq(raw_int("SELECT address_key IS NULL FROM recipients "
	    "WHERE id = ?", rid), 1);

	ck_assert_int_eq(recipient_load(db(), key, rid, &r, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert(!r.has_address);
	ck_assert_str_eq(r.pii.phone, PHONE);
	ck_assert_str_eq(r.lang, "es");
	ck_assert(r.consent_call);
	ck_assert(!r.consent_sms);
	recipient_clear(&r);

	/* The number is nowhere in clear in the database file. */
	store_close(st);
	st = NULL;
	ck_assert(!testutil_file_contains(dbpath, PHONE, strlen(PHONE)));
	ck_assert(!testutil_file_contains(dbpath, "612345678", 9));
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_ptr_nonnull(st);

	/* The same number twice is refused by the unique key. */
	ck_assert_int_eq(db_begin(db(), errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(recipient_add_phone(db(), key, centre, PHONE, "fr",
	    false, 1767225600, &rid, errbuf, sizeof(errbuf)), -1);
	/* Not E.164: refused before anything is written. */
	ck_assert_int_eq(recipient_add_phone(db(), key, centre, "0612345678",
	    "fr", false, 1767225600, &rid, errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "phone"));
	ck_assert_ptr_null(strstr(errbuf, "0612345678"));
	ck_assert_int_eq(recipient_add_phone(db(), key, centre,
	    "+33612345678\",\"x\":\"", "fr", false, 1767225600, &rid, errbuf,
	    sizeof(errbuf)), -1);
	db_rollback(db());
}
END_TEST

START_TEST(test_last_packs)
{
	struct order_line packs[ORDER_PACKS_MAX];
	char ref1[STORE_REF_MAX], ref2[STORE_REF_MAX];
	size_t n = 99;
	int64_t rid, rid2;

	add_order("Camille", PHONE, "INJ", "3", ref1, &rid);
	ck_assert_int_eq(recipient_last_packs(db(), rid, packs, &n, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(packs[0].pack, "INJ");
	ck_assert_int_eq(packs[0].qty, 3);
	ck_assert_str_eq(packs[0].variant, "29G-12");	/* the default */

	add_order("Camille", PHONE, "NALOX", "2", ref2, &rid2);
	ck_assert_int_eq(rid2, rid);
	/* Same second: the later id wins. */
	ck_assert_int_eq(recipient_last_packs(db(), rid, packs, &n, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(packs[0].pack, "NALOX");
	ck_assert_int_eq(packs[0].qty, 2);

	/* A cancelled order does not count. */
	ck_assert_int_eq(store_order_transition(st, ref2, ORDER_CANCELLED,
	    "test"), STORE_OK);
	ck_assert_int_eq(recipient_last_packs(db(), rid, packs, &n, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(packs[0].pack, "INJ");
	ck_assert_int_eq(store_order_transition(st, ref1, ORDER_CANCELLED,
	    "test"), STORE_OK);
	ck_assert_int_eq(recipient_last_packs(db(), rid, packs, &n, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 0);
	/* Nobody: none. */
	ck_assert_int_eq(recipient_last_packs(db(), rid + 50, packs, &n,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_flags)
{
	char ref[STORE_REF_MAX];
	int64_t rid;
	bool changed = false;

	add_order("Camille", NULL, "INJ", "1", ref, &rid);
	ck_assert_int_eq(raw_int("SELECT consent_call FROM recipients WHERE "
	    "id = ?", rid), 0);
	ck_assert_int_eq(db_begin(db(), errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(recipient_set_sms_stopped(db(), rid, true, &changed,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert(changed);
	ck_assert_int_eq(recipient_set_sms_stopped(db(), rid, true, &changed,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert(!changed);
	ck_assert_int_eq(recipient_set_consent_call(db(), rid, &changed,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert(changed);
	ck_assert_int_eq(recipient_set_consent_call(db(), rid, &changed,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert(!changed);
	ck_assert_int_eq(db_commit(db(), errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(raw_int("SELECT sms_stopped FROM recipients WHERE "
	    "id = ?", rid), 1);
	ck_assert_int_eq(raw_int("SELECT consent_call FROM recipients WHERE "
	    "id = ?", rid), 1);

	ck_assert_int_eq(db_begin(db(), errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(recipient_set_sms_stopped(db(), rid, false, &changed,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert(changed);
	/* No such recipient: an error, not "unchanged". */
	ck_assert_int_eq(recipient_set_sms_stopped(db(), rid + 9, true,
	    &changed, errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "not found"));
	ck_assert_int_eq(recipient_set_consent_call(db(), rid + 9, &changed,
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(db_commit(db(), errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(raw_int("SELECT sms_stopped FROM recipients WHERE "
	    "id = ?", rid), 0);
}
END_TEST

static Suite *
recipient_suite(void)
{
	Suite *s = suite_create("recipient");
	TCase *tc = tcase_create("recipient");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_phone_key_matches_store);
	tcase_add_test(tc, test_load_address);
	tcase_add_test(tc, test_moved_blob_does_not_open);
	tcase_add_test(tc, test_add_phone);
	tcase_add_test(tc, test_last_packs);
	tcase_add_test(tc, test_flags);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(recipient_suite)
