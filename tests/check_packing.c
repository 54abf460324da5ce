/*
 * Check suite for shipping/packing.c: what a barcode scanner types (refs,
 * codes, tracking URLs of any host, trailing CR/LF, codes that are not
 * ours), carrier ids, an order's contents per variant, packing first
 * expiry first out (expired lots never, lots without expiry last, oldest
 * received first), the parcel and its lots recorded, the order packed,
 * short stock refused with every item named and nothing written, a
 * failure half-way rolled back, low-stock warnings, shipping with the
 * carrier id, the recall list of a lot, and the pick list (which writes
 * nothing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "crypto/key.h"
#include "crypto/token.h"
#include "orders/order.h"
#include "orders/store.h"
#include "shipping/catalogue.h"
#include "shipping/packing.h"
#include "shipping/stock.h"
#include "tests/testutil.h"

#define ACTOR "cli:test"
#define NOW "2026-03-01T10:00:00Z"

static const char packs_ini[] =
	"[item NALOX]\nname.fr = Naloxone\nunit = piece\nexpiry = yes\n"
	"low = 3\n\n"
	"[item SYR]\nname.fr = Seringue\nunit = piece\nlow = 20\n\n"
	"[item NDL30]\nname.fr = Aiguille 30G\nunit = piece\nlow = 5\n\n"
	"[item NDL25]\nname.fr = Aiguille 25G\nunit = piece\nlow = 5\n\n"
	"[item CUP]\nname.fr = Cupule\nunit = piece\nlow = 0\n\n"
	"[pack NALOX]\nversion = 1\nname.fr = Naloxone\nweight = 60\n"
	"item = NALOX 1\n\n"
	"[pack INJ]\nversion = 1\nname.fr = Kit\nweight = 180\n"
	"variant = 30G-8 25G-16\nvariant.default = 30G-8\n"
	"item = SYR 10\nitem = CUP 2\nitem = NDL30 10 30G-8\n"
	"item = NDL25 10 25G-16\n";

static char dir[4096];
static char errbuf[512];
static struct store *st;
static struct catalogue *cat;
static struct centre_key *key;
static int64_t centre;
static struct packing_parcel parcel;
static struct packing_report rep;

static void
setup(void)
{
	char path[4300];
	const char *d = testutil_mkdtemp();
	FILE *f;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/i18n", dir), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/i18n/fr.ini",
	    dir), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs("[messages]\nlang.name = Français\n", f), 0);
	ck_assert_int_eq(fclose(f), 0);
	setenv("HRPOST_NOW", NOW, 1);
	cat = catalogue_parse_string(dir, "packs.ini", packs_ini, errbuf,
	    sizeof(errbuf));
	ck_assert_msg(cat != NULL, "%s", errbuf);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	st = store_open(path, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	ck_assert_int_eq(store_centre_add(st, "demo", "Demo", ACTOR, &centre),
	    STORE_OK);
	ck_assert_int_eq(store_catalogue_sync(st, cat, ACTOR), STORE_OK);
	key = key_generate();
	ck_assert_ptr_nonnull(key);
	memset(&parcel, 0, sizeof(parcel));
	memset(&rep, 0, sizeof(rep));
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
	catalogue_free(cat);
	cat = NULL;
	key_free(key);
	key = NULL;
	testutil_rmtree(dir);
	unsetenv("HRPOST_NOW");
}

static int64_t
q_int(const char *sql, const char *arg)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_msg(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) ==
	    SQLITE_OK, "%s", sqlite3_errmsg(store_db(st)));
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
exec_ok(const char *sql)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(store_db(st), sql, NULL, NULL, &msg) ==
	    SQLITE_OK, "%s: %s", sql, msg != NULL ? msg : "?");
}

static int64_t
left(const char *lot)
{
	return q_int("SELECT qty_left FROM stock_lots WHERE lot = ?", lot);
}

static enum order_status
status_of(const char *ref)
{
	struct store_order_row row;

	ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
	return row.status;
}

/*
 * Add an order with the packs "CODE:QTY[:VARIANT]" (NULL-ended), status
 * @initial; its reference into @ref, its tracking token into @token.
 */
static void
order_with(enum order_status initial, char ref[STORE_REF_MAX],
    char token[STORE_TOKEN_MAX], const char *const *packs)
{
	static int n;
	struct order o;
	char phone[16];

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(str_copy(o.pseudonym, sizeof(o.pseudonym), "Sacha"),
	    0);
	ck_assert_int_ge(str_printf(o.lines[0], sizeof(o.lines[0]),
	    "%d rue des Lilas", ++n), 0);
	o.nlines = 1;
	ck_assert_int_eq(str_copy(o.postcode, sizeof(o.postcode), "12100"), 0);
	ck_assert_int_eq(str_copy(o.dept, sizeof(o.dept), "12"), 0);
	ck_assert_int_eq(str_copy(o.commune, sizeof(o.commune), "Millau"), 0);
	/* A different phone each time: no flag for repeat orders. */
	ck_assert_int_ge(str_printf(phone, sizeof(phone), "+3361234%04d", n),
	    0);
	ck_assert_int_eq(str_copy(o.phone, sizeof(o.phone), phone), 0);
	ck_assert_int_eq(str_copy(o.lang, sizeof(o.lang), "fr"), 0);
	o.for_people = 1;
	o.channel = ORDER_CHANNEL_PHONE;
	for (size_t i = 0; packs[i] != NULL; i++) {
		char buf[64], *qty, *var;
		long q;

		ck_assert_int_eq(str_copy(buf, sizeof(buf), packs[i]), 0);
		qty = strchr(buf, ':');
		ck_assert_ptr_nonnull(qty);
		*qty++ = '\0';
		var = strchr(qty, ':');
		if (var != NULL)
			*var++ = '\0';
		ck_assert_int_eq(str_copy(o.packs[i].pack,
		    sizeof(o.packs[i].pack), buf), 0);
		ck_assert_int_eq(parse_long(qty, 1, 999, &q), 0);
		o.packs[i].qty = (int)q;
		ck_assert_int_eq(str_copy(o.packs[i].variant,
		    sizeof(o.packs[i].variant), var != NULL ? var : ""), 0);
		o.npacks++;
	}
	ck_assert_msg(store_order_add(st, key, centre, &o, initial, NULL, 0, 0,
	    ACTOR, ref, token) == STORE_OK, "%s", store_errmsg(st));
	order_clear(&o);
}

static void
lot_ok(const char *item, const char *lot, const char *expiry, const char *qty)
{
	struct field_error fe = { "", "" };

	ck_assert_msg(stock_add(st, cat, item, lot, expiry, qty, ACTOR, NULL,
	    &fe, errbuf, sizeof(errbuf)) == STOCK_OK, "%s: %s %s", fe.field,
	    fe.msg, errbuf);
}

/* Demo lot with an expiry @days from today (negative: expired). */
static void
lot_days(const char *item, const char *lot, int days, int qty)
{
	ck_assert_msg(stock_add_demo(st, cat, item, lot,
	    clock_now() + (time_t)days * STOCK_DAY, qty, ACTOR, errbuf,
	    sizeof(errbuf)) == STOCK_OK, "%s", errbuf);
}

/* Stock for a 30G-8 injection kit and naloxone, FEFO-shaped. */
static void
stock_fefo(void)
{
	lot_days("NALOX", "NX-GONE", -1, 50);	/* expired yesterday */
	lot_days("NALOX", "NX-LATE", 400, 10);
	lot_days("NALOX", "NX-SOON", 30, 2);
	lot_ok("SYR", "S-OLD", NULL, "15");
	setenv("HRPOST_NOW", "2026-03-01T11:00:00Z", 1);
	lot_ok("SYR", "S-NEW", NULL, "100");
	lot_ok("SYR", "S-EXP", "2027-01-01", "5");	/* expiry first */
	lot_ok("CUP", "C1", NULL, "100");
	lot_ok("NDL30", "N30", NULL, "100");
	lot_ok("NDL25", "N25", NULL, "100");
}

/* ---- scanning ---- */

START_TEST(scan_forms)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX], out[STORE_TOKEN_MAX];
	char in[PACKING_SCAN_MAX + 64], dashed[32], lower[STORE_TOKEN_MAX];
	struct field_error fe;
	static const char *const hosts[] = {
		"http://127.0.0.1:8080/t/", "https://suivi.example.org/t/",
		"HTTPS://EXAMPLE.ORG/t/", "http://[::1]:8080/t/",
		"https://example.org/hrpost/t/",
	};
	static const char *const tails[] = {
		"", "\n", "\r\n", "  \r\n", "\t", "/", "?utm=x", "#top",
	};

	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "NALOX:1", NULL });
	/* The reference, in any case, with dashes and spaces. */
	ck_assert_int_eq(packing_scan_ref(ref, out, sizeof(out), &fe), 0);
	ck_assert_str_eq(out, ref);
	ck_assert_int_ge(str_printf(dashed, sizeof(dashed), " %.4s-%s \r\n",
	    ref, ref + 4), 0);
	for (size_t i = 0; dashed[i] != '\0'; i++)
		if (dashed[i] >= 'A' && dashed[i] <= 'Z')
			dashed[i] = (char)(dashed[i] + 32);
	ck_assert_int_eq(packing_scan_ref(dashed, out, sizeof(out), &fe), 0);
	ck_assert_str_eq(out, ref);
	/* The tracking code alone. */
	ck_assert_int_eq(packing_scan_ref(token, out, sizeof(out), &fe), 0);
	ck_assert_str_eq(out, token);
	/* The URL of the QR code, whatever the host, as scanners type it. */
	for (size_t i = 0; i < strlen(token) + 1; i++)
		lower[i] = token[i] >= 'A' && token[i] <= 'Z' ?
		    (char)(token[i] + 32) : token[i];
	for (size_t h = 0; h < ARRAY_LEN(hosts); h++) {
		for (size_t t = 0; t < ARRAY_LEN(tails); t++) {
			ck_assert_int_ge(str_printf(in, sizeof(in), "%s%s%s",
			    hosts[h], t % 2 ? lower : token, tails[t]), 0);
			ck_assert_msg(packing_scan_ref(in, out, sizeof(out),
			    &fe) == 0, "%s: %s", in, fe.msg);
			ck_assert_str_eq(out, token);
			/* And the store finds the order from it. */
			ck_assert_int_eq(status_of(out), ORDER_ACCEPTED);
		}
	}
}
END_TEST

/* Assert @in is refused with @msg. */
static void
scan_bad(const char *in, const char *msg)
{
	char out[STORE_TOKEN_MAX] = "x";
	struct field_error fe = { "", "" };

	ck_assert_msg(packing_scan_ref(in, out, sizeof(out), &fe) == -1,
	    "accepted %s", in != NULL ? in : "(null)");
	ck_assert_str_eq(fe.field, "ref");
	ck_assert_msg(strstr(fe.msg, msg) != NULL, "%s: '%s'",
	    in != NULL ? in : "(null)", fe.msg);
	ck_assert_str_eq(out, "");
}

START_TEST(scan_not_ours)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX], in[700];
	char out[STORE_TOKEN_MAX];
	struct field_error fe;

	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "NALOX:1", NULL });
	/* A product barcode (EAN-13), a La Poste number, a web page. */
	scan_bad("3401234567890", "not an hrpost code");
	scan_bad("6A12345678901", "not an hrpost code");
	scan_bad("https://www.laposte.fr/outils/suivre-vos-envois",
	    "not a tracking link");
	scan_bad("https://example.org", "not a tracking link");
	scan_bad("http://127.0.0.1:8080/t/", "not an hrpost code");
	scan_bad("http://127.0.0.1:8080/t/ABC", "not an hrpost code");
	scan_bad("ftp://127.0.0.1/t/X", "not an hrpost code");
	scan_bad("C:\\t\\X", "not an hrpost code");
	scan_bad("ABCD!1234", "not an hrpost code");
	scan_bad("", "required");
	scan_bad("\r\n", "not an hrpost code");
	scan_bad(NULL, "required");
	/* Something after the code in the path. */
	ck_assert_int_ge(str_printf(in, sizeof(in),
	    "http://127.0.0.1:8080/t/%s/more", token), 0);
	scan_bad(in, "not a tracking link");
	/* A typo in the check character. */
	ck_assert_int_ge(str_printf(in, sizeof(in), "%s", ref), 0);
	in[8] = in[8] == 'A' ? 'B' : 'A';
	scan_bad(in, "typo");
	ck_assert_int_ge(str_printf(in, sizeof(in),
	    "https://h.example/t/%s", token), 0);
	in[strlen(in) - 1] = in[strlen(in) - 1] == 'A' ? 'B' : 'A';
	scan_bad(in, "typo");
	/* Too long for a scanner line. */
	memset(in, 'A', PACKING_SCAN_MAX + 1);
	in[PACKING_SCAN_MAX + 1] = '\0';
	scan_bad(in, "too long");
	/* No room for the output. */
	ck_assert_int_eq(packing_scan_ref(ref, out, 4, &fe), -1);
}
END_TEST

START_TEST(carrier_ids)
{
	char out[PACKING_CARRIER_ID_BYTES];
	struct field_error fe;

	ck_assert_int_eq(packing_carrier_id_check("6A12345678901", out, &fe),
	    0);
	ck_assert_str_eq(out, "6A12345678901");
	ck_assert_int_eq(packing_carrier_id_check(" 8r123456789 \r\n", out,
	    &fe), 0);
	ck_assert_str_eq(out, "8R123456789");
	ck_assert_int_eq(packing_carrier_id_check("ABCDEFGHIJ12345", out, &fe),
	    0);
	ck_assert_int_eq(packing_carrier_id_check("1234567890", out, &fe), -1);
	ck_assert_str_eq(fe.field, "carrier_id");
	ck_assert_ptr_nonnull(strstr(fe.msg, "11 to 15"));
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(packing_carrier_id_check("ABCDEFGHIJ123456", out,
	    &fe), -1);
	ck_assert_int_eq(packing_carrier_id_check("6A1234-678901", out, &fe),
	    -1);
	ck_assert_ptr_nonnull(strstr(fe.msg, "letters and digits only"));
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(packing_carrier_id_check("6A12345678\xc3\xa9", out,
	    &fe), -1);
	ck_assert_int_eq(packing_carrier_id_check("", out, &fe), -1);
	ck_assert_int_eq(packing_carrier_id_check(NULL, out, &fe), -1);
}
END_TEST

/* ---- contents ---- */

START_TEST(contents_per_variant)
{
	memset(&parcel, 0, sizeof(parcel));
	parcel.nlines = 3;
	memcpy(parcel.lines[0].pack, "INJ", 4);
	parcel.lines[0].qty = 2;		/* default variant 30G-8 */
	memcpy(parcel.lines[1].pack, "inj", 4);
	parcel.lines[1].qty = 1;
	memcpy(parcel.lines[1].variant, "25G-16", 7);
	memcpy(parcel.lines[2].pack, "NALOX", 6);
	parcel.lines[2].qty = 3;
	ck_assert_int_eq(packing_contents(cat, &parcel, errbuf,
	    sizeof(errbuf)), PACKING_OK);
	/* Catalogue order: NALOX SYR NDL30 NDL25 CUP. */
	ck_assert_uint_eq(parcel.nitems, 5);
	ck_assert_str_eq(parcel.items[0].item, "NALOX");
	ck_assert_int_eq(parcel.items[0].qty, 3);
	ck_assert_str_eq(parcel.items[1].item, "SYR");
	ck_assert_int_eq(parcel.items[1].qty, 30);
	ck_assert_str_eq(parcel.items[2].item, "NDL30");
	ck_assert_int_eq(parcel.items[2].qty, 20);
	ck_assert_str_eq(parcel.items[3].item, "NDL25");
	ck_assert_int_eq(parcel.items[3].qty, 10);
	ck_assert_str_eq(parcel.items[4].item, "CUP");
	ck_assert_int_eq(parcel.items[4].qty, 6);
	ck_assert_int_eq(parcel.weight, 3 * 180 + 3 * 60);
	ck_assert(packing_parcel_has_item(&parcel, "nalox"));
	ck_assert(!packing_parcel_has_item(&parcel, "LUBE"));
	ck_assert(!packing_parcel_has_item(NULL, "NALOX"));

	/* A pack or variant the catalogue no longer has. */
	memcpy(parcel.lines[1].variant, "21G-40", 7);
	ck_assert_int_eq(packing_contents(cat, &parcel, errbuf,
	    sizeof(errbuf)), PACKING_ERR_CATALOGUE);
	ck_assert_ptr_nonnull(strstr(errbuf, "no variant 21G-40"));
	memcpy(parcel.lines[1].pack, "GONE", 5);
	ck_assert_int_eq(packing_contents(cat, &parcel, errbuf,
	    sizeof(errbuf)), PACKING_ERR_CATALOGUE);
	ck_assert_ptr_nonnull(strstr(errbuf, "pack GONE"));
	parcel.lines[1].qty = 0;
	memcpy(parcel.lines[1].pack, "INJ", 4);
	parcel.lines[1].variant[0] = '\0';
	ck_assert_int_eq(packing_contents(cat, &parcel, errbuf,
	    sizeof(errbuf)), PACKING_ERR_CATALOGUE);
}
END_TEST

/* ---- packing ---- */

START_TEST(pack_fefo)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX];
	int64_t audit0;

	stock_fefo();
	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "NALOX:3", "INJ:2", NULL });
	audit0 = q_int("SELECT count(*) FROM audit", NULL);
	ck_assert_msg(packing_pack(st, cat, token, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)) == PACKING_OK, "%s", errbuf);
	ck_assert_str_eq(parcel.ref, ref);
	ck_assert_int_eq(parcel.status, ORDER_PACKED);
	ck_assert_int_gt(parcel.parcel_id, 0);
	ck_assert_int_eq(parcel.weight, 60 * 3 + 180 * 2);
	ck_assert_int_eq((long long)parcel.packed_at, 1772362800LL);
	/*
	 * NALOX: the soon one (2) then the late one (1); never the expired
	 * lot.  SYR 20: the lot with expiry (5), then the oldest without
	 * (15); none from the newest.
	 */
	ck_assert_uint_eq(parcel.ntakes, 6);
	ck_assert_str_eq(parcel.takes[0].lot, "NX-SOON");
	ck_assert_int_eq(parcel.takes[0].qty, 2);
	ck_assert_str_eq(parcel.takes[1].lot, "NX-LATE");
	ck_assert_int_eq(parcel.takes[1].qty, 1);
	ck_assert_str_eq(parcel.takes[2].lot, "S-EXP");
	ck_assert_int_eq(parcel.takes[2].qty, 5);
	ck_assert_str_eq(parcel.takes[3].lot, "S-OLD");
	ck_assert_int_eq(parcel.takes[3].qty, 15);
	ck_assert_str_eq(parcel.takes[4].lot, "N30");
	ck_assert_int_eq(parcel.takes[4].qty, 20);
	ck_assert_str_eq(parcel.takes[5].lot, "C1");
	ck_assert_int_eq(parcel.takes[5].qty, 4);
	ck_assert_str_eq(parcel.takes[5].item, "CUP");
	ck_assert_int_eq(left("NX-GONE"), 50);
	ck_assert_int_eq(left("NX-SOON"), 0);
	ck_assert_int_eq(left("NX-LATE"), 9);
	ck_assert_int_eq(left("S-EXP"), 0);
	ck_assert_int_eq(left("S-OLD"), 0);
	ck_assert_int_eq(left("S-NEW"), 100);
	ck_assert_int_eq(left("N25"), 100);
	/* The parcel and its lots are in the store. */
	ck_assert_int_eq(status_of(ref), ORDER_PACKED);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcels WHERE status = "
	    "'labelled' AND carrier = 'laposte' AND weight = 540", NULL), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcel_lots", NULL), 6);
	ck_assert_int_eq(q_int("SELECT sum(qty) FROM parcel_lots", NULL),
	    3 + 20 + 20 + 4);
	/* Two audit entries: the move and what went in. */
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit", NULL), audit0 + 2);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = "
	    "'order.packed' AND object = ?", ref), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.pack' AND detail = 'NALOX/NX-SOON x2, NALOX/NX-LATE x1, "
	    "SYR/S-EXP x5, SYR/S-OLD x15, NDL30/N30 x20, CUP/C1 x4'", NULL), 1);
	/* NALOX went from 12 usable to 9: over its threshold 3, no warning. */
	ck_assert_uint_eq(rep.nlow, 0);
	ck_assert_uint_eq(rep.nshort, 0);

	/* Read back as the printer would. */
	memset(&parcel, 0, sizeof(parcel));
	ck_assert_int_eq(packing_parcel_get(st, cat, ref, &parcel, errbuf,
	    sizeof(errbuf)), PACKING_OK);
	ck_assert_uint_eq(parcel.ntakes, 6);
	ck_assert_str_eq(parcel.takes[1].lot, "NX-LATE");
	ck_assert_int_gt(parcel.takes[1].expiry, 0);
	ck_assert_int_eq(parcel.takes[3].expiry, 0);
	ck_assert_str_eq(parcel.token, token);
	ck_assert_str_eq(parcel.lang, "fr");
	ck_assert_str_eq(parcel.dept, "12");
	ck_assert_uint_eq(parcel.nlines, 2);
	ck_assert(packing_parcel_has_item(&parcel, "NALOX"));
	ck_assert_str_eq(parcel.carrier_id, "");

	/* Packed once only. */
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_ERR_STATUS);
	ck_assert_ptr_nonnull(strstr(errbuf, "it is packed"));
	ck_assert_int_eq(left("NX-LATE"), 9);
}
END_TEST

START_TEST(pack_expired_never)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX];

	lot_days("NALOX", "NX-GONE", -1, 50);
	lot_days("NALOX", "NX-TODAY", 0, 1);
	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "NALOX:2", NULL });
	/* One usable (expiring today), fifty expired: short by one. */
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_ERR_SHORT);
	ck_assert_uint_eq(rep.nshort, 1);
	ck_assert_str_eq(rep.shorts[0].item, "NALOX");
	ck_assert_int_eq(rep.shorts[0].need, 2);
	ck_assert_int_eq(rep.shorts[0].usable, 1);
	ck_assert_str_eq(errbuf, "short of stock: item NALOX needs 2, 1 usable "
	    "(1 missing)");
	ck_assert_int_eq(left("NX-GONE"), 50);
	ck_assert_int_eq(left("NX-TODAY"), 1);
	/* A day later the lot of today is expired too. */
	setenv("HRPOST_NOW", "2026-03-02T00:00:00Z", 1);
	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "NALOX:1", NULL });
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_ERR_SHORT);
	ck_assert_int_eq(rep.shorts[0].usable, 0);
	/* On the day itself it was packed. */
	setenv("HRPOST_NOW", "2026-03-01T23:59:59Z", 1);
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_str_eq(parcel.takes[0].lot, "NX-TODAY");
}
END_TEST

START_TEST(pack_short_nothing_written)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX];
	int64_t audit0, sum0;

	stock_fefo();
	exec_ok("UPDATE stock_lots SET qty_left = 3 WHERE lot = 'C1'");
	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "INJ:2:25G-16", "NALOX:20", NULL });
	audit0 = q_int("SELECT count(*) FROM audit", NULL);
	sum0 = q_int("SELECT sum(qty_left) FROM stock_lots", NULL);
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_ERR_SHORT);
	/* Every short item named, with need and usable. */
	ck_assert_uint_eq(rep.nshort, 2);
	ck_assert_str_eq(rep.shorts[0].item, "NALOX");
	ck_assert_int_eq(rep.shorts[0].need, 20);
	ck_assert_int_eq(rep.shorts[0].usable, 12);
	ck_assert_str_eq(rep.shorts[1].item, "CUP");
	ck_assert_int_eq(rep.shorts[1].need, 4);
	ck_assert_int_eq(rep.shorts[1].usable, 3);
	ck_assert_ptr_nonnull(strstr(errbuf, "item NALOX needs 20, 12 usable "
	    "(8 missing)"));
	/* Nothing half-packed. */
	ck_assert_int_eq(q_int("SELECT sum(qty_left) FROM stock_lots", NULL),
	    sum0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit", NULL), audit0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcels", NULL), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcel_lots", NULL), 0);
	ck_assert_int_eq(status_of(ref), ORDER_ACCEPTED);
	ck_assert_uint_eq(parcel.ntakes, 0);
	ck_assert_int_eq(parcel.parcel_id, 0);
	/* Without a report the message still names the first item. */
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, NULL,
	    errbuf, sizeof(errbuf)), PACKING_ERR_SHORT);
	ck_assert_ptr_nonnull(strstr(errbuf, "item NALOX"));
}
END_TEST

/* A failure after stock was taken: the whole packing rolls back. */
START_TEST(pack_rollback)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX];
	int64_t audit0, sum0;

	stock_fefo();
	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "INJ:1", "NALOX:1", NULL });
	exec_ok("CREATE TRIGGER no_cups BEFORE INSERT ON parcel_lots WHEN "
	    "NEW.lot_id = (SELECT id FROM stock_lots WHERE lot = 'C1') "
	    "BEGIN SELECT RAISE(ABORT, 'test failure'); END");
	audit0 = q_int("SELECT count(*) FROM audit", NULL);
	sum0 = q_int("SELECT sum(qty_left) FROM stock_lots", NULL);
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_ERR_DB);
	ck_assert_ptr_nonnull(strstr(errbuf, "test failure"));
	ck_assert_int_eq(q_int("SELECT sum(qty_left) FROM stock_lots", NULL),
	    sum0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit", NULL), audit0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcels", NULL), 0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcel_lots", NULL), 0);
	ck_assert_int_eq(status_of(ref), ORDER_ACCEPTED);
	/* The audit step failing rolls everything back too. */
	exec_ok("DROP TRIGGER no_cups");
	ck_assert_int_eq(packing_pack(st, cat, ref, "", &parcel, &rep, errbuf,
	    sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_int_eq(q_int("SELECT sum(qty_left) FROM stock_lots", NULL),
	    sum0);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcels", NULL), 0);
	/* Then it packs. */
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_int_eq(q_int("SELECT sum(qty_left) FROM stock_lots", NULL),
	    sum0 - 10 - 2 - 10 - 1);
}
END_TEST

START_TEST(pack_refused)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX], bad[16];

	stock_fefo();
	order_with(ORDER_RECEIVED, ref, token,
	    (const char *[]){ "NALOX:1", NULL });
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_ERR_STATUS);
	ck_assert_ptr_nonnull(strstr(errbuf, "it is received (only an "
	    "accepted order can be packed)"));
	ck_assert_int_eq(store_order_transition(st, ref, ORDER_CANCELLED,
	    ACTOR), STORE_OK);
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_ERR_STATUS);
	/* Unknown, malformed. */
	ck_assert_int_eq(str_copy(bad, sizeof(bad), ref), 0);
	bad[0] = bad[0] == 'Z' ? 'Y' : 'Z';
	bad[8] = token_check_char(bad, 8);
	ck_assert_int_eq(packing_pack(st, cat, bad, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_ERR_NOT_FOUND);
	ck_assert_int_eq(packing_pack(st, cat, "nonsense!", ACTOR, &parcel,
	    &rep, errbuf, sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_int_eq(packing_pack(NULL, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_int_eq(packing_parcel_get(st, cat, bad, &parcel, errbuf,
	    sizeof(errbuf)), PACKING_ERR_NOT_FOUND);
	ck_assert_int_eq(packing_parcel_get(st, cat, "?", &parcel, errbuf,
	    sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcels", NULL), 0);
}
END_TEST

START_TEST(pack_low_warning)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX];

	/* NALOX low 3: 4 usable -> 2 warns; SYR low 20: 25 -> 15 warns. */
	lot_days("NALOX", "NX1", 100, 4);
	lot_ok("SYR", "S1", NULL, "25");
	lot_ok("CUP", "C1", NULL, "2");
	lot_ok("NDL30", "N1", NULL, "10");
	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "NALOX:2", "INJ:1", NULL });
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	/* NDL30 10 -> 0 is under 5 too; CUP's threshold is 0. */
	ck_assert_uint_eq(rep.nlow, 3);
	ck_assert_str_eq(rep.lows[0].item, "NALOX");
	ck_assert_int_eq(rep.lows[0].left, 2);
	ck_assert_int_eq(rep.lows[0].low, 3);
	ck_assert_str_eq(rep.lows[1].item, "SYR");
	ck_assert_int_eq(rep.lows[1].left, 15);
	ck_assert_str_eq(rep.lows[2].item, "NDL30");
	/* Already under: no second warning. */
	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "NALOX:1", NULL });
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_uint_eq(rep.nlow, 0);
}
END_TEST

/* ---- shipping ---- */

START_TEST(ship_parcels)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX];
	char ref2[STORE_REF_MAX], token2[STORE_TOKEN_MAX];
	char ref3[STORE_REF_MAX], token3[STORE_TOKEN_MAX];
	struct field_error fe = { "", "" };
	int64_t audit0;

	stock_fefo();
	order_with(ORDER_ACCEPTED, ref, token,
	    (const char *[]){ "NALOX:1", NULL });
	order_with(ORDER_ACCEPTED, ref2, token2,
	    (const char *[]){ "NALOX:1", NULL });
	/* Not packed yet. */
	ck_assert_int_eq(packing_ship(st, ref, NULL, ACTOR, &fe, errbuf,
	    sizeof(errbuf)), PACKING_ERR_STATUS);
	ck_assert_ptr_nonnull(strstr(errbuf, "only a packed order"));
	ck_assert_int_eq(packing_pack(st, cat, ref, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_int_eq(packing_pack(st, cat, ref2, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	audit0 = q_int("SELECT count(*) FROM audit", NULL);
	/* A bad carrier id: nothing changes. */
	ck_assert_int_eq(packing_ship(st, ref, "6A1234", ACTOR, &fe, errbuf,
	    sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_str_eq(fe.field, "carrier_id");
	ck_assert_int_eq(status_of(ref), ORDER_PACKED);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit", NULL), audit0);
	/* Shipped with its carrier id, kept in capitals. */
	ck_assert_int_eq(packing_ship(st, ref, "6a12345678901", ACTOR, &fe,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_int_eq(status_of(ref), ORDER_SHIPPED);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcels WHERE status = "
	    "'shipped' AND carrier_id = '6A12345678901' AND shipped_at = "
	    "1772362800", NULL), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.ship' AND detail = 'carrier id 6A12345678901'", NULL), 1);
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit", NULL), audit0 + 2);
	memset(&parcel, 0, sizeof(parcel));
	ck_assert_int_eq(packing_parcel_get(st, cat, ref, &parcel, errbuf,
	    sizeof(errbuf)), PACKING_OK);
	ck_assert_str_eq(parcel.carrier_id, "6A12345678901");
	ck_assert_int_eq((long long)parcel.shipped_at, 1772362800LL);
	/* Twice: refused. */
	ck_assert_int_eq(packing_ship(st, ref, NULL, ACTOR, &fe, errbuf,
	    sizeof(errbuf)), PACKING_ERR_STATUS);
	/* The same carrier id on another parcel: refused, nothing changes. */
	ck_assert_int_eq(packing_ship(st, token2, "6A12345678901", ACTOR, &fe,
	    errbuf, sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(errbuf, "already on another parcel"));
	ck_assert_int_eq(status_of(ref2), ORDER_PACKED);
	/* Without a carrier id. */
	ck_assert_int_eq(packing_ship(st, token2, NULL, ACTOR, &fe, errbuf,
	    sizeof(errbuf)), PACKING_OK);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcels WHERE carrier_id "
	    "IS NULL AND status = 'shipped'", NULL), 1);
	/* Marked packed without packing: the parcel is made at shipping. */
	order_with(ORDER_ACCEPTED, ref3, token3,
	    (const char *[]){ "NALOX:1", NULL });
	ck_assert_int_eq(store_order_transition(st, ref3, ORDER_PACKED, ACTOR),
	    STORE_OK);
	ck_assert_int_eq(packing_ship(st, ref3, "8R000000001", ACTOR, &fe,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_int_eq(q_int("SELECT count(*) FROM parcels", NULL), 3);
	/* Unknown and bad. */
	ck_assert_int_eq(packing_ship(st, "nonsense!", NULL, ACTOR, &fe,
	    errbuf, sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_int_eq(packing_ship(NULL, ref, NULL, ACTOR, &fe, errbuf,
	    sizeof(errbuf)), PACKING_ERR_INVALID);
}
END_TEST

/* ---- recall ---- */

struct collected {
	size_t n;
	char refs[8][STORE_REF_MAX];
	int qty[8];
	int stop_after;
};

static int
collect(const struct packing_recipient *r, void *arg)
{
	struct collected *c = arg;

	ck_assert_uint_lt(c->n, 8);
	memcpy(c->refs[c->n], r->ref, sizeof(c->refs[c->n]));
	c->qty[c->n] = r->qty;
	c->n++;
	return c->stop_after != 0 && (int)c->n >= c->stop_after;
}

START_TEST(lot_recipients)
{
	char ref1[STORE_REF_MAX], ref2[STORE_REF_MAX], ref3[STORE_REF_MAX];
	char token[STORE_TOKEN_MAX];
	struct collected c;
	size_t n = 99;

	lot_days("NALOX", "NX-RECALL", 200, 10);
	lot_days("NALOX", "NX-OTHER", 300, 10);
	lot_ok("SYR", "NX-RECALL", NULL, "10");	/* same number, other item */
	order_with(ORDER_ACCEPTED, ref1, token,
	    (const char *[]){ "NALOX:2", NULL });
	order_with(ORDER_ACCEPTED, ref2, token,
	    (const char *[]){ "NALOX:9", NULL });
	order_with(ORDER_ACCEPTED, ref3, token,
	    (const char *[]){ "NALOX:1", NULL });
	ck_assert_int_eq(packing_pack(st, cat, ref1, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	setenv("HRPOST_NOW", "2026-03-02T09:00:00Z", 1);
	ck_assert_int_eq(packing_pack(st, cat, ref2, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_int_eq(packing_pack(st, cat, ref3, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_int_eq(packing_ship(st, ref1, NULL, ACTOR, NULL, errbuf,
	    sizeof(errbuf)), PACKING_OK);

	/*
	 * NX-RECALL went to ref1 (2) and ref2 (8); NX-OTHER to ref2 (1) and
	 * ref3 (1).
	 */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(packing_lot_recipients(st, "NALOX", "nx-recall",
	    collect, &c, &n, errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.refs[0], ref1);
	ck_assert_int_eq(c.qty[0], 2);
	ck_assert_str_eq(c.refs[1], ref2);
	ck_assert_int_eq(c.qty[1], 8);
	/* Any item with that lot number: the syringe lot went nowhere. */
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(packing_lot_recipients(st, NULL, "NX-RECALL",
	    collect, &c, &n, errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_uint_eq(c.n, 2);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(packing_lot_recipients(st, "SYR", "NX-RECALL",
	    collect, &c, &n, errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(c.n, 0);
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(packing_lot_recipients(st, "NALOX", "NX-OTHER",
	    collect, &c, NULL, errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(c.refs[0], ref2);
	ck_assert_int_eq(c.qty[0], 1);
	ck_assert_str_eq(c.refs[1], ref3);
	/* The callback may stop early. */
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	ck_assert_int_eq(packing_lot_recipients(st, "NALOX", "NX-RECALL",
	    collect, &c, &n, errbuf, sizeof(errbuf)), PACKING_OK);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(n, 1);
	/* Unknown and malformed lots. */
	ck_assert_int_eq(packing_lot_recipients(st, "NALOX", "NOPE", collect,
	    &c, &n, errbuf, sizeof(errbuf)), PACKING_ERR_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(errbuf, "no lot NOPE of item NALOX"));
	ck_assert_int_eq(packing_lot_recipients(st, "CUP", "NX-RECALL",
	    collect, &c, &n, errbuf, sizeof(errbuf)), PACKING_ERR_NOT_FOUND);
	ck_assert_int_eq(packing_lot_recipients(st, NULL, "", collect, &c, &n,
	    errbuf, sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_int_eq(packing_lot_recipients(st, "WAYTOOLONGITEM", "X",
	    collect, &c, &n, errbuf, sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_int_eq(packing_lot_recipients(st, NULL, "X", NULL, &c, &n,
	    errbuf, sizeof(errbuf)), PACKING_ERR_INVALID);
}
END_TEST

/* ---- picking ---- */

START_TEST(pick_batch)
{
	char r1[STORE_REF_MAX], r2[STORE_REF_MAX], r3[STORE_REF_MAX];
	char r4[STORE_REF_MAX], r5[STORE_REF_MAX], token[STORE_TOKEN_MAX];
	struct packing_pick *pk = NULL;
	int64_t audit0, sum0;

	stock_fefo();
	order_with(ORDER_ACCEPTED, r1, token,
	    (const char *[]){ "NALOX:1", NULL });
	setenv("HRPOST_NOW", "2026-03-01T12:00:00Z", 1);
	order_with(ORDER_RECEIVED, r2, token,
	    (const char *[]){ "NALOX:5", NULL });
	setenv("HRPOST_NOW", "2026-03-01T13:00:00Z", 1);
	order_with(ORDER_ACCEPTED, r3, token,
	    (const char *[]){ "INJ:1:25G-16", "NALOX:2", NULL });
	setenv("HRPOST_NOW", "2026-03-01T14:00:00Z", 1);
	order_with(ORDER_ACCEPTED, r4, token,
	    (const char *[]){ "NALOX:20", NULL });
	exec_ok("UPDATE orders SET flagged = 1, flag_reason = 'large' WHERE "
	    "id = (SELECT max(id) FROM orders)");
	setenv("HRPOST_NOW", "2026-03-01T15:00:00Z", 1);
	order_with(ORDER_ACCEPTED, r5, token,
	    (const char *[]){ "NALOX:1", NULL });
	ck_assert_int_eq(packing_pack(st, cat, r5, ACTOR, &parcel, &rep,
	    errbuf, sizeof(errbuf)), PACKING_OK);
	audit0 = q_int("SELECT count(*) FROM audit", NULL);
	sum0 = q_int("SELECT sum(qty_left) FROM stock_lots", NULL);

	ck_assert_int_eq(packing_pick(st, cat, centre, 50, &pk, errbuf,
	    sizeof(errbuf)), PACKING_OK);
	/* Accepted ones only, oldest first; the flagged one marked. */
	ck_assert_uint_eq(pk->nparcels, 3);
	ck_assert_str_eq(pk->parcels[0].ref, r1);
	ck_assert_str_eq(pk->parcels[1].ref, r3);
	ck_assert_str_eq(pk->parcels[2].ref, r4);
	ck_assert(!pk->parcels[0].flagged);
	ck_assert(pk->parcels[2].flagged);
	ck_assert_str_eq(pk->parcels[2].flag_reason, "large");
	ck_assert_uint_eq(pk->parcels[1].nlines, 2);
	ck_assert_uint_eq(pk->parcels[1].ntakes, 0);
	/* Totals in catalogue order; NALOX drawn FEFO over the batch. */
	ck_assert_uint_eq(pk->ntotals, 4);
	ck_assert_str_eq(pk->totals[0].item, "NALOX");
	ck_assert_int_eq(pk->totals[0].need, 23);
	/* r5 took one from NX-SOON: 1 left there, 10 in NX-LATE. */
	ck_assert_uint_eq(pk->totals[0].ntakes, 2);
	ck_assert_str_eq(pk->takes[pk->totals[0].first_take].lot, "NX-SOON");
	ck_assert_int_eq(pk->takes[pk->totals[0].first_take].qty, 1);
	ck_assert_str_eq(pk->takes[pk->totals[0].first_take + 1].lot,
	    "NX-LATE");
	ck_assert_int_eq(pk->takes[pk->totals[0].first_take + 1].qty, 10);
	ck_assert_int_eq(pk->totals[0].short_by, 12);
	ck_assert_str_eq(pk->totals[1].item, "SYR");
	ck_assert_int_eq(pk->totals[1].need, 10);
	ck_assert_int_eq(pk->totals[1].short_by, 0);
	ck_assert_str_eq(pk->takes[pk->totals[1].first_take].lot, "S-EXP");
	ck_assert_str_eq(pk->takes[pk->totals[1].first_take + 1].lot, "S-OLD");
	ck_assert_int_eq(pk->takes[pk->totals[1].first_take + 1].qty, 5);
	ck_assert_str_eq(pk->totals[2].item, "NDL25");
	ck_assert_str_eq(pk->totals[3].item, "CUP");
	ck_assert_int_eq(pk->totals[3].need, 2);
	packing_pick_free(pk);
	pk = NULL;
	/* It wrote nothing. */
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit", NULL), audit0);
	ck_assert_int_eq(q_int("SELECT sum(qty_left) FROM stock_lots", NULL),
	    sum0);
	ck_assert_int_eq(status_of(r1), ORDER_ACCEPTED);

	/* A limit takes the oldest. */
	ck_assert_int_eq(packing_pick(st, cat, centre, 2, &pk, errbuf,
	    sizeof(errbuf)), PACKING_OK);
	ck_assert_uint_eq(pk->nparcels, 2);
	ck_assert_str_eq(pk->parcels[1].ref, r3);
	ck_assert_int_eq(pk->totals[0].need, 3);
	ck_assert_int_eq(pk->totals[0].short_by, 0);
	packing_pick_free(pk);
	pk = NULL;
	/* Limits. */
	ck_assert_int_eq(packing_pick(st, cat, centre, 0, &pk, errbuf,
	    sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_int_eq(packing_pick(st, cat, centre, PACKING_PICK_MAX + 1,
	    &pk, errbuf, sizeof(errbuf)), PACKING_ERR_INVALID);
	ck_assert_ptr_null(pk);
	packing_pick_free(NULL);
}
END_TEST

START_TEST(pick_empty)
{
	struct packing_pick *pk = NULL;

	ck_assert_int_eq(packing_pick(st, cat, centre, 10, &pk, errbuf,
	    sizeof(errbuf)), PACKING_OK);
	ck_assert_uint_eq(pk->nparcels, 0);
	ck_assert_uint_eq(pk->ntotals, 0);
	packing_pick_free(pk);
}
END_TEST

static Suite *
packing_suite(void)
{
	Suite *s = suite_create("packing");
	TCase *tc = tcase_create("packing");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, scan_forms);
	tcase_add_test(tc, scan_not_ours);
	tcase_add_test(tc, carrier_ids);
	tcase_add_test(tc, contents_per_variant);
	tcase_add_test(tc, pack_fefo);
	tcase_add_test(tc, pack_expired_never);
	tcase_add_test(tc, pack_short_nothing_written);
	tcase_add_test(tc, pack_rollback);
	tcase_add_test(tc, pack_refused);
	tcase_add_test(tc, pack_low_warning);
	tcase_add_test(tc, ship_parcels);
	tcase_add_test(tc, lot_recipients);
	tcase_add_test(tc, pick_batch);
	tcase_add_test(tc, pick_empty);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(packing_suite)
