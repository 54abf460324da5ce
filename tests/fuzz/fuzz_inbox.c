/*
 * libFuzzer target for orders/inbox.c: the input is what a compromised
 * intake node could seal for the console.  Its first byte picks the
 * outbox channel ('w' web, 's' sms, anything else an unknown one), the
 * rest is the envelope's plaintext, sealed to the centre's key under the
 * row's own AAD and applied to a scratch centre.db that already knows one
 * person by phone and address (so SMS re-orders reach the order path).
 * Every row must be settled (applied, or quarantined: never an error, a
 * crash or a leak), and applying it a second time must be a duplicate
 * that changes nothing.  Runs from the repository root (templates/).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/util.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/inbox.h"
#include "orders/order.h"
#include "orders/outbox.h"
#include "orders/store.h"
#include "shipping/catalogue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct inbox_config ic;
static struct store *st;
static struct centre_key *key;
static struct catalogue *cat;
static unsigned long counter;
static char scratch[64];

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_inbox: %s: %s\n", what, why);
	abort();
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* At exit: close the store and remove the scratch directory. */
static void
cleanup(void)
{
	store_close(st);
	st = NULL;
	key_free(key);
	key = NULL;
	catalogue_free(cat);
	cat = NULL;
	if (scratch[0] != '\0')
		(void)nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* One person on file: phone +33612345678, an address, one order. */
static void
seed_person(int64_t centre)
{
	struct order_input in;
	struct order o;
	struct field_error errs[4];
	char ref[STORE_REF_MAX], tok[STORE_TOKEN_MAX];

	memset(&in, 0, sizeof(in));
	in.pseudonym = "Camille";
	in.lines[0] = "12 rue des Lilas";
	in.nlines = 1;
	in.postcode = "12100";
	in.commune = "Millau";
	in.phone = "+33612345678";
	in.packs[0].code = "INJ";
	in.npacks = 1;
	in.channel = ORDER_CHANNEL_PHONE;
	if (order_from_input(&in, cat, "fr", &o, errs, 4) != 0 ||
	    store_order_add(st, key, centre, &o, ORDER_ACCEPTED, NULL, 0, 0,
	    "fuzz", ref, tok) != STORE_OK)
		die("seed", store_errmsg(st));
	order_clear(&o);
}

static void
setup(void)
{
	char errbuf[512], path[4200];
	const char *dir;
	int64_t centre = 0;

	if (str_copy(scratch, sizeof(scratch),
	    "/tmp/hrpost-fuzz-inbox-XXXXXX") != 0)
		die("mkdtemp", "template");
	dir = mkdtemp(scratch);
	if (dir == NULL) {
		scratch[0] = '\0';
		die("mkdtemp", "failed");
	}
	if (atexit(cleanup) != 0)
		die("atexit", "failed");
	if (str_printf(path, sizeof(path), "%s/centre.db", dir) < 0)
		die("path", "too long");
	cat = catalogue_load("templates", errbuf, sizeof(errbuf));
	if (cat == NULL)
		die("catalogue (run from the repo root)", errbuf);
	key = key_generate();
	st = store_open(path, errbuf, sizeof(errbuf));
	if (key == NULL || st == NULL)
		die("store", errbuf);
	/* Speed over durability: a scratch database. */
	if (sqlite3_exec(store_db(st),
	    "PRAGMA synchronous = OFF", NULL, NULL, NULL) != SQLITE_OK ||
	    store_centre_add(st, "demo", "Demo", "fuzz", &centre) != STORE_OK)
		die("store", store_errmsg(st));
	seed_person(centre);
	ic.st = st;
	ic.key = key;
	ic.cat = cat;
	ic.centre_id = centre;
	ic.centre = "demo";
	ic.default_lang = "fr";
	ic.flag_qty = 20;
	ic.flag_days = 3;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inbox_item it;
	struct inbox_result res;
	char idem[32], aad[128], errbuf[512];
	uint8_t *blob = NULL;
	size_t len = 0;
	int64_t before, after;

	if (st == NULL)
		setup();
	if (size < 1 || size > SEAL_PLAINTEXT_MAX)
		return 0;
	if (str_printf(idem, sizeof(idem), "fz-%lu", counter++) < 0 ||
	    outbox_aad("demo", idem, aad, sizeof(aad)) != 0)
		die("idem", "too long");
	if (seal_seal(key_public(key), data + 1, size - 1, aad, strlen(aad),
	    &blob, &len) != SEAL_OK)
		return 0;	/* an empty plaintext does not seal */
	memset(&it, 0, sizeof(it));
	it.id = (int64_t)counter;
	it.received_at = 1767225600;
	it.channel = data[0] == 'w' ? "web" : data[0] == 's' ? "sms" : "fax";
	it.centre = "demo";
	it.idem = idem;
	it.blob = blob;
	it.bloblen = len;
	if (inbox_apply(&ic, &it, &res, errbuf, sizeof(errbuf)) != 0)
		die("first apply", errbuf);
	if (res.outcome == INBOX_DUPLICATE)
		die("first apply", "a fresh key read as a duplicate");

	/* Again, as after a crash before the ack: nothing changes. */
	before = 0;
	{
		sqlite3_stmt *s = NULL;

		if (sqlite3_prepare_v2(store_db(st), "SELECT (SELECT "
		    "count(*) FROM orders) + (SELECT count(*) FROM "
		    "followups) + (SELECT count(*) FROM audit)", -1, &s,
		    NULL) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_ROW)
			die("count", sqlite3_errmsg(store_db(st)));
		before = sqlite3_column_int64(s, 0);
		if (inbox_apply(&ic, &it, &res, errbuf, sizeof(errbuf)) != 0)
			die("second apply", errbuf);
		if (res.outcome != INBOX_DUPLICATE)
			die("second apply", "not a duplicate");
		if (sqlite3_reset(s) != SQLITE_OK ||
		    sqlite3_step(s) != SQLITE_ROW)
			die("count", sqlite3_errmsg(store_db(st)));
		after = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	if (after != before)
		die("second apply", "wrote something");
	free(blob);
	return 0;
}
