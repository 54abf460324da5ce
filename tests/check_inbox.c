/*
 * Check suite for orders/inbox.c: every envelope kind (a web order with
 * the intake node's reference and token; SMS order to the address on
 * file with the packs of the SMS or of the last order; SMS order from an
 * unknown number, from a number without an address, and one that cannot
 * be made; call me back; STOP and START), each applied twice (the second
 * time changes nothing), malformed envelopes (wrong version, kind,
 * channel or centre, extra and missing fields, a blob moved to another
 * key, an order failing validation, huge strings, not JSON, no blob, a
 * reference already taken, a malformed key) quarantined with nothing
 * else written, a failing database leaving nothing half-written, and
 * personal data never in clear in the file or the audit chain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "base/util.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "crypto/token.h"
#include "orders/audit.h"
#include "orders/inbox.h"
#include "orders/order.h"
#include "orders/outbox.h"
#include "orders/recipient.h"
#include "orders/sms.h"
#include "orders/store.h"
#include "tests/testutil.h"

#define CENTRE "demo"
#define PHONE "+33612345678"
#define PHONE_DIGITS "612345678"
#define NEW_PHONE "+33687654321"
#define NEW_DIGITS "687654321"
#define SECRET_TEXT "rappelez Zoulikha apres 18h"
/* Friday 6 March 2026, 10:00 UTC; the clock reads noon that day. */
#define RECEIVED 1772791200
#define NOW "2026-03-06T12:00:00Z"
#define MONDAY (RECEIVED + 3 * 86400)
#define SATURDAY (RECEIVED - 6 * 86400)

static char dir[4096];
static char dbpath[4200];
static char errbuf[512];
static struct centre_key *key;
static struct store *st;
static struct catalogue *cat;
static struct inbox_config ic;
static int64_t centre;
static int64_t next_id;

static void
setup(void)
{
	char tdir[4096];
	const char *d, *top = getenv("HRPOST_SRCDIR");

	setenv("TZ", "UTC", 1);
	tzset();
	setenv("HRPOST_NOW", NOW, 1);
	d = testutil_mkdtemp();
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(dbpath, sizeof(dbpath), "%s/centre.db",
	    dir), 0);
	key = key_generate();
	ck_assert_ptr_nonnull(key);
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "store_open: %s", errbuf);
	ck_assert_int_eq(store_centre_add(st, CENTRE, "Demo", "admin",
	    &centre), STORE_OK);
	ck_assert_int_ge(str_printf(tdir, sizeof(tdir), "%s/templates",
	    top != NULL ? top : "."), 0);
	cat = catalogue_load(tdir, errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "catalogue: %s", errbuf);
	memset(&ic, 0, sizeof(ic));
	ic.st = st;
	ic.key = key;
	ic.cat = cat;
	ic.centre_id = centre;
	ic.centre = CENTRE;
	ic.default_lang = "fr";
	ic.flag_qty = 20;
	ic.flag_days = 3;
	next_id = 1;
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
	unsetenv("HRPOST_NOW");
}

/* ---- raw reads ---- */

static int64_t
raw_int(const char *sql, const char *arg)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_msg(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) ==
	    SQLITE_OK, "%s", sql);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
raw_text(const char *sql, const char *arg, char *out, size_t outsz)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL),
	    SQLITE_OK);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	t = sqlite3_column_text(s, 0);
	ck_assert_int_eq(str_copy(out, outsz, t != NULL ? (const char *)t :
	    ""), 0);
	sqlite3_finalize(s);
}

static int64_t
count(const char *table)
{
	char sql[128];
	sqlite3_stmt *s = NULL;
	int64_t v;

	/* The inbox table only exists once the inbox ran. */
	ck_assert_int_ge(str_printf(sql, sizeof(sql), "SELECT count(*) FROM "
	    "sqlite_master WHERE name = '%s'", table), 0);
	if (raw_int(sql, NULL) == 0)
		return 0;
	ck_assert_int_ge(str_printf(sql, sizeof(sql), "SELECT count(*) FROM "
	    "%s", table), 0);
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Everything an applied row may write, to compare before and after. */
struct counts {
	int64_t orders, lines, recipients, followups, inbox, audit;
};

static struct counts
counts(void)
{
	struct counts c;

	c.orders = count("orders");
	c.lines = count("order_lines");
	c.recipients = count("recipients");
	c.followups = count("followups");
	c.inbox = count("inbox");
	c.audit = count("audit");
	return c;
}

static void
same_counts(struct counts a, struct counts b)
{
	ck_assert_int_eq(a.orders, b.orders);
	ck_assert_int_eq(a.lines, b.lines);
	ck_assert_int_eq(a.recipients, b.recipients);
	ck_assert_int_eq(a.followups, b.followups);
	ck_assert_int_eq(a.inbox, b.inbox);
	ck_assert_int_eq(a.audit, b.audit);
}

static void
audit_intact(void)
{
	struct store_audit_report rep;

	ck_assert_int_eq(store_audit_verify(st, &rep), STORE_OK);
	ck_assert_int_eq(rep.bad_id, 0);
}

/* The newest audit entry's action and object. */
static void
last_audit(char *action, size_t asz, char *object, size_t osz)
{
	raw_text("SELECT action FROM audit ORDER BY id DESC LIMIT 1", NULL,
	    action, asz);
	raw_text("SELECT object FROM audit ORDER BY id DESC LIMIT 1", NULL,
	    object, osz);
}

/* ---- sealing and applying ---- */

static int
apply_raw(int64_t id, const char *channel, const char *centre_code,
    const char *idem, const uint8_t *blob, size_t len,
    struct inbox_result *res)
{
	struct inbox_item it;

	memset(&it, 0, sizeof(it));
	it.id = id;
	it.received_at = RECEIVED;
	it.channel = channel;
	it.centre = centre_code;
	it.idem = idem;
	it.blob = blob;
	it.bloblen = len;
	return inbox_apply(&ic, &it, res, errbuf, sizeof(errbuf));
}

static void
seal_for(const char *aad_idem, const char *json, uint8_t **blob,
    size_t *len)
{
	char aad[256];

	ck_assert_int_eq(outbox_aad(CENTRE, aad_idem, aad, sizeof(aad)), 0);
	ck_assert_int_eq(seal_seal(key_public(key), json, strlen(json), aad,
	    strlen(aad), blob, len), SEAL_OK);
}

/* Seal @json for @idem and apply it as a new row; returns inbox_apply(). */
static int
apply_json(const char *channel, const char *idem, const char *json,
    struct inbox_result *res)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	seal_for(idem, json, &blob, &len);
	rc = apply_raw(next_id++, channel, CENTRE, idem, blob, len, res);
	free(blob);
	return rc;
}

/* The same with a JSON object (consumed). */
static int
apply_obj(const char *channel, const char *idem, json_t *obj,
    struct inbox_result *res)
{
	char *json = json_dumps(obj, JSON_COMPACT);
	int rc;

	ck_assert_ptr_nonnull(json);
	rc = apply_json(channel, idem, json, res);
	free(json);
	json_decref(obj);
	return rc;
}

/* ---- envelopes ---- */

/*
 * A web order envelope as intake makes it, with fresh ref and token
 * (copied out when @ref/@tok are not NULL).  @phone may be NULL.
 */
static json_t *
web_env(const char *phone, char *ref, char *tok)
{
	struct order_input in;
	struct order o;
	struct field_error errs[4];
	char r[STORE_REF_MAX], t[STORE_TOKEN_MAX], *json = NULL;
	json_t *order, *env;
	size_t len = 0;

	memset(&in, 0, sizeof(in));
	in.pseudonym = "Camille";
	in.lines[0] = "12 rue des Lilas";
	in.nlines = 1;
	in.postcode = "12100";
	in.commune = "Millau";
	in.phone = phone;
	in.consent_call = phone != NULL;
	in.consent_sms = phone != NULL;
	in.lang = "fr";
	in.packs[0].code = "INJ";
	in.packs[0].qty = "2";
	in.packs[1].code = "NALOX";
	in.npacks = 2;
	in.note = "sonnez deux fois";
	in.channel = ORDER_CHANNEL_WEB;
	ck_assert_uint_eq(order_from_input(&in, cat, "fr", &o, errs, 4), 0);
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_ALL, &json, &len), 0);
	order_clear(&o);
	order = json_loads(json, 0, NULL);
	str_wipe_free(json);
	ck_assert_ptr_nonnull(order);
	ck_assert_int_eq(token_new(r, sizeof(r), TOKEN_REF_DIGITS), TOKEN_OK);
	ck_assert_int_eq(token_new(t, sizeof(t), TOKEN_TRACK_DIGITS),
	    TOKEN_OK);
	if (ref != NULL)
		memcpy(ref, r, sizeof(r));
	if (tok != NULL)
		memcpy(tok, t, sizeof(t));
	env = json_pack("{s:i,s:s,s:s,s:s,s:o}", "v", 1, "kind", "order",
	    "ref", r, "token", t, "order", order);
	ck_assert_ptr_nonnull(env);
	return env;
}

/* An SMS envelope as orders/sms.h writes it; @packs JSON text or NULL. */
static json_t *
sms_env(const char *command, const char *from, const char *text,
    const char *packs)
{
	json_t *p = json_loads(packs != NULL ? packs : "[]", 0, NULL);
	json_t *env;

	ck_assert_ptr_nonnull(p);
	env = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:I}", "v", 1,
	    "kind", "sms", "command", command, "from", from, "to", "38100",
	    "text", text, "lang", "fr", "packs", p, "received_at",
	    (json_int_t)RECEIVED);
	ck_assert_ptr_nonnull(env);
	return env;
}

/* Apply a web order with @phone; its reference into @ref. */
static void
web_order_ok(const char *idem, const char *phone, char ref[STORE_REF_MAX])
{
	struct inbox_result res;
	char want[STORE_REF_MAX];

	ck_assert_msg(apply_obj("web", idem, web_env(phone, want, NULL),
	    &res) == 0, "%s", errbuf);
	ck_assert_int_eq(res.outcome, INBOX_ORDER);
	ck_assert_str_eq(res.ref, want);
	memcpy(ref, res.ref, STORE_REF_MAX);
}

/*
 * An order taken by phone with @phone and no consent to calls; returns
 * its recipient, its reference into @ref.
 */
static int64_t
phone_order(const char *pseudonym, const char *phone, const char *pack,
    char ref[STORE_REF_MAX])
{
	struct order_input in;
	struct order o;
	struct field_error errs[4];
	struct store_order_row row;
	char tok[STORE_TOKEN_MAX];

	memset(&in, 0, sizeof(in));
	in.pseudonym = pseudonym;
	in.lines[0] = "3 impasse du Four";
	in.nlines = 1;
	in.postcode = "12100";
	in.commune = "Millau";
	in.phone = phone;
	in.packs[0].code = pack;
	in.npacks = 1;
	in.channel = ORDER_CHANNEL_PHONE;
	ck_assert_uint_eq(order_from_input(&in, cat, "fr", &o, errs, 4), 0);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_ACCEPTED,
	    NULL, 0, 0, "test", ref, tok), STORE_OK);
	order_clear(&o);
	ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
	return row.recipient_id;
}

/* A rejected row: settled, quarantined with its blob, nothing else. */
static void
expect_rejected(int rc, const struct inbox_result *res, struct counts before,
    const char *why_part)
{
	struct counts after = counts();
	char action[64], object[128];

	ck_assert_msg(rc == 0, "inbox_apply: %s", errbuf);
	ck_assert_int_eq(res->outcome, INBOX_REJECTED);
	ck_assert_msg(strstr(res->why, why_part) != NULL, "why: %s",
	    res->why);
	ck_assert_int_eq(after.orders, before.orders);
	ck_assert_int_eq(after.lines, before.lines);
	ck_assert_int_eq(after.recipients, before.recipients);
	ck_assert_int_eq(after.followups, before.followups);
	ck_assert_int_eq(after.inbox, before.inbox + 1);
	ck_assert_int_eq(after.audit, before.audit + 1);
	last_audit(action, sizeof(action), object, sizeof(object));
	ck_assert_str_eq(action, "inbox.reject");
	ck_assert_int_eq(strncmp(object, "outbox/", 7), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM inbox WHERE outcome = "
	    "'rejected' AND id = (SELECT max(id) FROM inbox)", NULL), 1);
}

/* ---- web orders ---- */

START_TEST(test_web_order)
{
	struct inbox_result res;
	struct store_order_row row;
	struct order o;
	struct counts before;
	char ref[STORE_REF_MAX], tok[STORE_TOKEN_MAX], action[64];
	char object[128];

	ck_assert_int_eq(apply_obj("web", "form-1", web_env(PHONE, ref, tok),
	    &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_ORDER);
	ck_assert(!res.sms);
	ck_assert_str_eq(res.ref, ref);
	last_audit(action, sizeof(action), object, sizeof(object));
	ck_assert_str_eq(action, "order.add");
	ck_assert_str_eq(object, ref);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE actor = "
	    "'intake'", NULL), 1);

	/* The same reference and tracking token the person was shown. */
	ck_assert_int_eq(store_order_get(st, tok, &row), STORE_OK);
	ck_assert_str_eq(row.ref, ref);
	ck_assert_int_eq(row.status, ORDER_ACCEPTED);
	ck_assert_int_eq(row.channel, ORDER_CHANNEL_WEB);
	ck_assert_int_eq(row.received_at, RECEIVED);
	ck_assert(!row.flagged);
	ck_assert_str_eq(row.packs, "INJ x2 (29G-12), NALOX x1");
	ck_assert_int_eq(store_order_open(st, key, ref, "test", &o, &row),
	    STORE_OK);
	ck_assert_str_eq(o.pseudonym, "Camille");
	ck_assert_str_eq(o.lines[0], "12 rue des Lilas");
	ck_assert_str_eq(o.phone, PHONE);
	ck_assert_str_eq(o.note, "sonnez deux fois");
	order_clear(&o);

	/* Applied again (a crash before the ack): nothing changes. */
	before = counts();
	ck_assert_int_eq(apply_obj("web", "form-1", web_env(PHONE, NULL, NULL),
	    &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_DUPLICATE);
	ck_assert_str_eq(res.ref, ref);
	same_counts(before, counts());
	audit_intact();
}
END_TEST

START_TEST(test_web_flagged)
{
	struct inbox_result res;
	struct store_order_row row;
	char ref[STORE_REF_MAX];

	web_order_ok("form-1", PHONE, ref);
	/* A second order from the same person within flag_days: flagged. */
	ck_assert_int_eq(apply_obj("web", "form-2", web_env(PHONE, NULL, NULL),
	    &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_ORDER);
	ck_assert_int_eq(store_order_get(st, res.ref, &row), STORE_OK);
	ck_assert(row.flagged);
	ck_assert_int_eq(row.status, ORDER_ACCEPTED);
	ck_assert_ptr_nonnull(strstr(row.flag_reason, "second order"));
}
END_TEST

/* ---- SMS ---- */

START_TEST(test_sms_order_known)
{
	struct inbox_result res;
	struct store_order_row row, first;
	struct order o;
	struct counts before;
	char ref[STORE_REF_MAX];

	web_order_ok("form-1", PHONE, ref);
	ck_assert_int_eq(store_order_get(st, ref, &first), STORE_OK);
	/* The number as a person might have typed it is normalised. */
	ck_assert_msg(apply_obj("sms", "kannel-1", sms_env("order", PHONE,
	    "COMMANDE INJ 3", "[{\"code\":\"INJ\",\"qty\":3}]"), &res) == 0,
	    "%s", errbuf);
	ck_assert_int_eq(res.outcome, INBOX_ORDER);
	ck_assert(res.sms);
	ck_assert_str_ne(res.ref, ref);
	ck_assert_int_eq(store_order_get(st, res.ref, &row), STORE_OK);
	ck_assert_int_eq(row.channel, ORDER_CHANNEL_SMS);
	ck_assert_int_eq(row.status, ORDER_ACCEPTED);
	ck_assert_int_eq(row.recipient_id, first.recipient_id);
	ck_assert_str_eq(row.packs, "INJ x3 (29G-12)");
	/* Second order within flag_days: flagged for a call, not refused. */
	ck_assert(row.flagged);
	ck_assert_int_eq(store_order_open(st, key, res.ref, "test", &o, &row),
	    STORE_OK);
	ck_assert_str_eq(o.pseudonym, "Camille");
	ck_assert_str_eq(o.lines[0], "12 rue des Lilas");
	ck_assert_str_eq(o.postcode, "12100");
	ck_assert_str_eq(o.commune, "Millau");
	ck_assert_str_eq(o.phone, PHONE);
	order_clear(&o);

	before = counts();
	ck_assert_int_eq(apply_obj("sms", "kannel-1", sms_env("order", PHONE,
	    "COMMANDE INJ 3", "[{\"code\":\"INJ\",\"qty\":3}]"), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_DUPLICATE);
	same_counts(before, counts());
	audit_intact();
}
END_TEST

START_TEST(test_sms_order_as_last_time)
{
	struct inbox_result res;
	struct store_order_row row;
	struct sms_envelope env;
	char ref[STORE_REF_MAX], *json = NULL;
	size_t len = 0;

	web_order_ok("form-1", PHONE, ref);
	/* Written by the SMS engineer's own encoder: the two agree. */
	memset(&env, 0, sizeof(env));
	env.command = SMS_ORDER;
	ck_assert_int_eq(str_copy(env.from, sizeof(env.from), PHONE), 0);
	ck_assert_int_eq(str_copy(env.to, sizeof(env.to), "38100"), 0);
	ck_assert_int_eq(str_copy(env.text, sizeof(env.text), "Commande"), 0);
	ck_assert_int_eq(str_copy(env.lang, sizeof(env.lang), "fr"), 0);
	env.received_at = RECEIVED;
	ck_assert_int_eq(sms_envelope_encode(&env, &json, &len), 0);
	ck_assert_msg(apply_json("sms", "kannel-2", json, &res) == 0, "%s",
	    errbuf);
	str_wipe_free(json);
	ck_assert_int_eq(res.outcome, INBOX_ORDER);
	ck_assert_int_eq(store_order_get(st, res.ref, &row), STORE_OK);
	ck_assert_str_eq(row.packs, "INJ x2 (29G-12), NALOX x1");
	ck_assert_int_eq(row.channel, ORDER_CHANNEL_SMS);
}
END_TEST

START_TEST(test_sms_order_unknown)
{
	struct inbox_result res;
	struct recipient r;
	struct counts before;
	uint8_t pk[PSEUDONYM_LEN], *pt = NULL;
	size_t ptlen = 0;
	sqlite3_stmt *s = NULL;
	char aad[64], action[64], object[128], reason[64];
	int64_t rid = 0, fid;
	bool found = false;

	before = counts();
	ck_assert_msg(apply_obj("sms", "kannel-1", sms_env("order", NEW_PHONE,
	    SECRET_TEXT, "[{\"code\":\"NALOX\",\"qty\":1}]"), &res) == 0, "%s",
	    errbuf);
	ck_assert_int_eq(res.outcome, INBOX_FOLLOWUP);
	ck_assert(res.sms);
	fid = res.followup_id;
	ck_assert_int_gt(fid, 0);
	ck_assert_int_eq(count("orders"), before.orders);
	ck_assert_int_eq(count("recipients"), before.recipients + 1);
	ck_assert_int_eq(count("followups"), 1);
	raw_text("SELECT reason FROM followups", NULL, reason,
	    sizeof(reason));
	ck_assert_str_eq(reason, INBOX_REASON_UNKNOWN_ORDER);
	ck_assert_int_eq(raw_int("SELECT due_at FROM followups", NULL),
	    MONDAY);
	ck_assert_int_eq(raw_int("SELECT status = 'open' FROM followups",
	    NULL), 1);
	last_audit(action, sizeof(action), object, sizeof(object));
	ck_assert_str_eq(action, "followup.add");

	/* A recipient known by the number alone: staff can call it. */
	ck_assert_int_eq(recipient_phone_key(key, NEW_PHONE, pk), 0);
	ck_assert_int_eq(recipient_find_phone(store_db(st), centre, pk, &rid,
	    &found, errbuf, sizeof(errbuf)), 0);
	ck_assert(found);
	ck_assert_int_eq(raw_int("SELECT recipient_id FROM followups", NULL),
	    rid);
	ck_assert_int_eq(recipient_load(store_db(st), key, rid, &r, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert(!r.has_address);
	ck_assert_str_eq(r.pii.phone, NEW_PHONE);
	ck_assert(r.consent_call);
	recipient_clear(&r);

	/* The SMS text, sealed to the follow-up's own row. */
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), "SELECT sealed_note "
	    "FROM followups WHERE id = ?", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_int64(s, 1, fid), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_ge(str_printf(aad, sizeof(aad), "followups/%lld/note",
	    (long long)fid), 0);
	ck_assert_int_eq(seal_open(key, sqlite3_column_blob(s, 0),
	    (size_t)sqlite3_column_bytes(s, 0), aad, strlen(aad), &pt,
	    &ptlen), SEAL_OK);
	ck_assert_str_eq((const char *)pt, SECRET_TEXT);
	mem_wipe_free(pt, ptlen + 1);
	pt = NULL;
	ck_assert_int_ne(seal_open(key, sqlite3_column_blob(s, 0),
	    (size_t)sqlite3_column_bytes(s, 0), "followups/999/note", 18, &pt,
	    &ptlen), SEAL_OK);
	sqlite3_finalize(s);

	/* Again: nothing. */
	before = counts();
	ck_assert_int_eq(apply_obj("sms", "kannel-1", sms_env("order",
	    NEW_PHONE, SECRET_TEXT, NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_DUPLICATE);
	same_counts(before, counts());

	/* A second SMS order from that number: no address yet, a task. */
	ck_assert_int_eq(apply_obj("sms", "kannel-2", sms_env("order",
	    NEW_PHONE, "COMMANDE", NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_FOLLOWUP);
	ck_assert_int_eq(count("recipients"), before.recipients);
	ck_assert_int_eq(raw_int("SELECT count(DISTINCT recipient_id) FROM "
	    "followups", NULL), 1);

	/* Then a web order with that number links to the same person. */
	{
		char ref[STORE_REF_MAX];
		struct store_order_row row;

		web_order_ok("form-9", NEW_PHONE, ref);
		ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
		ck_assert_int_eq(row.recipient_id, rid);
	}

	/* No personal data in clear: not in the file, not in the audit. */
	store_close(st);
	st = NULL;
	ck_assert(!testutil_file_contains(dbpath, NEW_DIGITS,
	    strlen(NEW_DIGITS)));
	ck_assert(!testutil_file_contains(dbpath, "Zoulikha", 8));
	{
		char wal[4300];

		ck_assert_int_ge(str_printf(wal, sizeof(wal), "%s-wal",
		    dbpath), 0);
		ck_assert(!testutil_file_contains(wal, NEW_DIGITS,
		    strlen(NEW_DIGITS)));
		ck_assert(!testutil_file_contains(wal, "Zoulikha", 8));
	}
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_ptr_nonnull(st);
	ic.st = st;
	audit_intact();
}
END_TEST

START_TEST(test_sms_order_cannot_be_made)
{
	struct inbox_result res;
	char ref[STORE_REF_MAX], reason[64], why[INBOX_WHY_MAX];

	/* On file with an address, but every order was cancelled. */
	(void)phone_order("Dominique", PHONE, "SEX", ref);
	ck_assert_int_eq(store_order_transition(st, ref, ORDER_CANCELLED,
	    "test"), STORE_OK);
	ck_assert_int_eq(apply_obj("sms", "kannel-1", sms_env("order", PHONE,
	    "COMMANDE", NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_FOLLOWUP);
	ck_assert_int_eq(count("orders"), 1);
	raw_text("SELECT reason FROM followups", NULL, reason,
	    sizeof(reason));
	ck_assert_str_eq(reason, INBOX_REASON_ORDER_FAILED);
	raw_text("SELECT reason FROM inbox", NULL, why, sizeof(why));
	ck_assert_ptr_nonnull(strstr(why, "no earlier order"));
	/* Someone who asked for an order gave no new consent to calls. */
	ck_assert_int_eq(raw_int("SELECT consent_call FROM recipients", NULL),
	    0);
}
END_TEST

START_TEST(test_sms_call)
{
	struct inbox_result res;
	struct counts before;
	char ref[STORE_REF_MAX], reason[64];
	int64_t rid;

	/* A known person without consent to calls asks for one. */
	rid = phone_order("Dominique", PHONE, "SEX", ref);
	ck_assert_int_eq(raw_int("SELECT consent_call FROM recipients", NULL),
	    0);
	before = counts();
	ck_assert_int_eq(apply_obj("sms", "kannel-1", sms_env("call", PHONE,
	    "APPEL " SECRET_TEXT, NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_FOLLOWUP);
	ck_assert_int_eq(count("recipients"), before.recipients);
	ck_assert_int_eq(raw_int("SELECT recipient_id FROM followups", NULL),
	    rid);
	raw_text("SELECT reason FROM followups", NULL, reason,
	    sizeof(reason));
	ck_assert_str_eq(reason, INBOX_REASON_CALL);
	ck_assert_int_eq(raw_int("SELECT consent_call FROM recipients", NULL),
	    1);
	ck_assert_int_eq(raw_int("SELECT due_at FROM followups", NULL),
	    MONDAY);
	/* The address on file is untouched by a call-back request. */
	{
		struct recipient r;

		ck_assert_int_eq(recipient_load(store_db(st), key, rid, &r,
		    errbuf, sizeof(errbuf)), 0);
		ck_assert(r.has_address);
		ck_assert_str_eq(r.pii.pseudonym, "Dominique");
		recipient_clear(&r);
	}

	before = counts();
	ck_assert_int_eq(apply_obj("sms", "kannel-1", sms_env("call", PHONE,
	    "APPEL", NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_DUPLICATE);
	same_counts(before, counts());

	/* From an unknown number: a new recipient, consent to the call. */
	ck_assert_int_eq(apply_obj("sms", "kannel-2", sms_env("call",
	    NEW_PHONE, "", NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_FOLLOWUP);
	ck_assert_int_eq(count("recipients"), before.recipients + 1);
	/* An empty text seals no note. */
	ck_assert_int_eq(raw_int("SELECT sealed_note IS NULL FROM followups "
	    "ORDER BY id DESC LIMIT 1", NULL), 1);
	audit_intact();
}
END_TEST

START_TEST(test_sms_stop_start)
{
	struct inbox_result res;
	struct counts before;
	char ref[STORE_REF_MAX], action[64], object[128];

	web_order_ok("form-1", PHONE, ref);
	ck_assert_int_eq(raw_int("SELECT sms_stopped FROM recipients", NULL),
	    0);
	ck_assert_int_eq(apply_obj("sms", "k-stop", sms_env("stop", PHONE,
	    "STOP", NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_SMS_STOP);
	ck_assert_int_eq(raw_int("SELECT sms_stopped FROM recipients", NULL),
	    1);
	last_audit(action, sizeof(action), object, sizeof(object));
	ck_assert_str_eq(action, "recipient.sms_stop");
	ck_assert_int_eq(strncmp(object, "recipients/", 11), 0);
	ck_assert_int_eq(apply_obj("sms", "k-start", sms_env("start", PHONE,
	    "START", NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_SMS_START);
	ck_assert_int_eq(raw_int("SELECT sms_stopped FROM recipients", NULL),
	    0);

	/* The STOP fetched again after a crash does not stop anyone. */
	before = counts();
	ck_assert_int_eq(apply_obj("sms", "k-stop", sms_env("stop", PHONE,
	    "STOP", NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_DUPLICATE);
	ck_assert_int_eq(raw_int("SELECT sms_stopped FROM recipients", NULL),
	    0);
	same_counts(before, counts());

	/* From a number not on file: recorded, nobody created. */
	ck_assert_int_eq(apply_obj("sms", "k-stop2", sms_env("stop", NEW_PHONE,
	    "STOP", NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_SMS_STOP);
	ck_assert_int_eq(count("recipients"), before.recipients);
	ck_assert_int_eq(count("inbox"), before.inbox + 1);
	ck_assert_int_eq(apply_obj("sms", "k-stop2", sms_env("stop", NEW_PHONE,
	    "STOP", NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_DUPLICATE);
	audit_intact();
}
END_TEST

/* ---- quarantine ---- */

START_TEST(test_reject_version_kind)
{
	struct inbox_result res;
	struct counts before;
	json_t *env;

	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_set_new(env, "v", json_integer(2));
	expect_rejected(apply_obj("web", "k1", env, &res), &res, before,
	    "version");
	/* The quarantined row is a duplicate when fetched again. */
	before = counts();
	ck_assert_int_eq(apply_obj("web", "k1", web_env(PHONE, NULL, NULL),
	    &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_DUPLICATE);
	same_counts(before, counts());

	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_set_new(env, "kind", json_string("parcel"));
	expect_rejected(apply_obj("web", "k2", env, &res), &res, before,
	    "kind");

	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_set_new(env, "v", json_string("1"));
	expect_rejected(apply_obj("web", "k3", env, &res), &res, before,
	    "version");

	/* An SMS envelope on the web channel, and the reverse. */
	before = counts();
	expect_rejected(apply_obj("web", "k4", sms_env("stop", PHONE, "STOP",
	    NULL), &res), &res, before, "channel");
	before = counts();
	expect_rejected(apply_obj("sms", "k5", web_env(PHONE, NULL, NULL),
	    &res), &res, before, "channel");
	before = counts();
	expect_rejected(apply_obj("phone", "k6", web_env(PHONE, NULL, NULL),
	    &res), &res, before, "channel");
}
END_TEST

START_TEST(test_reject_fields)
{
	struct inbox_result res;
	struct counts before;
	json_t *env;

	/* An extra field. */
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_set_new(env, "admin", json_true());
	expect_rejected(apply_obj("web", "k1", env, &res), &res, before,
	    "field");
	/* A missing one. */
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_del(env, "token");
	expect_rejected(apply_obj("web", "k2", env, &res), &res, before,
	    "field");
	/* Wrong types. */
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_set_new(env, "ref", json_integer(12));
	expect_rejected(apply_obj("web", "k3", env, &res), &res, before,
	    "text");
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_set_new(env, "order", json_string("{}"));
	expect_rejected(apply_obj("web", "k4", env, &res), &res, before,
	    "object");
	/* A malformed reference (bad check character). */
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_set_new(env, "ref", json_string("ABCDEFGH0"));
	expect_rejected(apply_obj("web", "k5", env, &res), &res, before,
	    "store refused");
	/* An extra field in the SMS envelope, a missing one. */
	before = counts();
	env = sms_env("stop", PHONE, "STOP", NULL);
	json_object_set_new(env, "extra", json_true());
	expect_rejected(apply_obj("sms", "k6", env, &res), &res, before,
	    "SMS envelope");
	before = counts();
	env = sms_env("stop", PHONE, "STOP", NULL);
	json_object_del(env, "from");
	expect_rejected(apply_obj("sms", "k7", env, &res), &res, before,
	    "SMS envelope");
	/* A sender that is not a phone number, an unknown command. */
	before = counts();
	expect_rejected(apply_obj("sms", "k8", sms_env("call", "not a number",
	    "x", NULL), &res), &res, before, "from");
	before = counts();
	expect_rejected(apply_obj("sms", "k9", sms_env("help", PHONE, "AIDE",
	    NULL), &res), &res, before, "command");
	/* Packs with a command that takes none. */
	before = counts();
	expect_rejected(apply_obj("sms", "k10", sms_env("call", PHONE, "x",
	    "[{\"code\":\"INJ\",\"qty\":1}]"), &res), &res, before,
	    "SMS envelope");
	/* Nothing at all came in. */
	ck_assert_int_eq(count("orders"), 0);
	ck_assert_int_eq(count("recipients"), 0);
	audit_intact();
}
END_TEST

START_TEST(test_reject_order_invalid)
{
	struct inbox_result res;
	struct counts before;
	json_t *env, *order;

	/* Postcode 00000: the order is validated again at the console. */
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	order = json_object_get(env, "order");
	json_object_set_new(order, "postcode", json_string("00000"));
	expect_rejected(apply_obj("web", "k1", env, &res), &res, before,
	    "postcode");
	/* An unknown pack, a quantity of 100000. */
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	order = json_object_get(env, "order");
	json_object_set_new(json_array_get(json_object_get(order, "packs"), 0),
	    "code", json_string("CRACK"));
	expect_rejected(apply_obj("web", "k2", env, &res), &res, before,
	    "does not validate");
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	order = json_object_get(env, "order");
	json_object_set_new(json_array_get(json_object_get(order, "packs"), 0),
	    "qty", json_integer(100000));
	expect_rejected(apply_obj("web", "k3", env, &res), &res, before,
	    "does not validate");
	/* An extra key inside the order. */
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	order = json_object_get(env, "order");
	json_object_set_new(order, "status", json_string("shipped"));
	expect_rejected(apply_obj("web", "k4", env, &res), &res, before,
	    "does not validate");
	/* A web envelope holding an SMS-channel order. */
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	order = json_object_get(env, "order");
	json_object_set_new(order, "channel", json_string("sms"));
	expect_rejected(apply_obj("web", "k5", env, &res), &res, before,
	    "not a web order");
	ck_assert_int_eq(count("orders"), 0);
}
END_TEST

START_TEST(test_reject_huge)
{
	struct inbox_result res;
	struct counts before;
	json_t *env, *order;
	char *big;

	big = malloc(5001);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 5000);
	big[5000] = '\0';
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	order = json_object_get(env, "order");
	json_object_set_new(order, "pseudonym", json_string(big));
	expect_rejected(apply_obj("web", "k1", env, &res), &res, before,
	    "pseudonym");
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_set_new(env, "ref", json_string(big));
	expect_rejected(apply_obj("web", "k2", env, &res), &res, before,
	    "text");
	/* An SMS text over SMS_TEXT_MAX (1600) bytes. */
	big[SMS_TEXT_MAX + 1] = '\0';
	before = counts();
	expect_rejected(apply_obj("sms", "k3", sms_env("call", PHONE, big,
	    NULL), &res), &res, before, "text");
	free(big);

	/* A blob over OUTBOX_BLOB_MAX is not even opened. */
	{
		uint8_t *blob = calloc(1, OUTBOX_BLOB_MAX + 1);

		ck_assert_ptr_nonnull(blob);
		blob[0] = SEAL_VERSION;
		before = counts();
		expect_rejected(apply_raw(next_id++, "web", CENTRE, "k4", blob,
		    OUTBOX_BLOB_MAX + 1, &res), &res, before, "over");
		ck_assert_int_eq(raw_int("SELECT sealed IS NULL FROM inbox "
		    "WHERE idem = ?", "k4"), 1);
		free(blob);
	}
}
END_TEST

START_TEST(test_reject_sealing)
{
	struct inbox_result res;
	struct counts before;
	uint8_t *blob = NULL, junk[64];
	size_t len = 0;
	char *json;
	json_t *env;

	/* A blob moved to another row (its AAD names key "k-a"). */
	env = web_env(PHONE, NULL, NULL);
	json = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	ck_assert_ptr_nonnull(json);
	seal_for("k-a", json, &blob, &len);
	before = counts();
	expect_rejected(apply_raw(next_id++, "web", CENTRE, "k-b", blob, len,
	    &res), &res, before, "does not open");
	/* The blob is kept, sealed, for staff to examine. */
	ck_assert_int_eq(raw_int("SELECT length(sealed) FROM inbox WHERE "
	    "idem = ?", "k-b"), (int64_t)len);
	/* For another centre: refused before opening. */
	before = counts();
	expect_rejected(apply_raw(next_id++, "web", "other", "k-a", blob, len,
	    &res), &res, before, "another centre");
	free(blob);
	blob = NULL;
	free(json);

	/* Sealed to another key. */
	{
		struct centre_key *other = key_generate();
		char aad[256];

		ck_assert_ptr_nonnull(other);
		ck_assert_int_eq(outbox_aad(CENTRE, "k-c", aad, sizeof(aad)),
		    0);
		ck_assert_int_eq(seal_seal(key_public(other), "{}", 2, aad,
		    strlen(aad), &blob, &len), SEAL_OK);
		before = counts();
		expect_rejected(apply_raw(next_id++, "web", CENTRE, "k-c", blob,
		    len, &res), &res, before, "does not open");
		free(blob);
		key_free(other);
	}
	/* Garbage, no blob at all, not JSON, not an object. */
	memset(junk, 'A', sizeof(junk));
	before = counts();
	expect_rejected(apply_raw(next_id++, "web", CENTRE, "k-d", junk,
	    sizeof(junk), &res), &res, before, "does not open");
	before = counts();
	expect_rejected(apply_raw(next_id++, "web", CENTRE, "k-e", NULL, 0,
	    &res), &res, before, "missing");
	before = counts();
	expect_rejected(apply_json("web", "k-f", "{\"v\":1,", &res), &res,
	    before, "JSON");
	before = counts();
	expect_rejected(apply_json("web", "k-g", "[1,2]", &res), &res, before,
	    "JSON");
	before = counts();
	expect_rejected(apply_json("web", "k-h", "{\"v\":1,\"v\":1}", &res),
	    &res, before, "JSON");
	audit_intact();
}
END_TEST

START_TEST(test_reject_ref_taken)
{
	struct inbox_result res;
	struct counts before;
	char ref[STORE_REF_MAX];
	json_t *env;

	web_order_ok("form-1", PHONE, ref);
	/* Another key claiming an existing order's reference. */
	before = counts();
	env = web_env(PHONE, NULL, NULL);
	json_object_set_new(env, "ref", json_string(ref));
	expect_rejected(apply_obj("web", "form-2", env, &res), &res, before,
	    "already used");
}
END_TEST

START_TEST(test_reject_malformed_key)
{
	struct inbox_result res;
	struct counts before;
	char action[64], object[128], detail[256];
	uint8_t blob[8] = { 0 };
	char longkey[OUTBOX_IDEM_MAX + 2];

	/* A key that cannot be recorded: audited only, never stored. */
	before = counts();
	ck_assert_int_eq(apply_raw(41, "web", CENTRE, "has space", blob,
	    sizeof(blob), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_REJECTED);
	ck_assert_int_eq(count("inbox"), before.inbox);
	ck_assert_int_eq(count("audit"), before.audit + 1);
	last_audit(action, sizeof(action), object, sizeof(object));
	ck_assert_str_eq(action, "inbox.reject");
	ck_assert_str_eq(object, "outbox/41");
	raw_text("SELECT detail FROM audit ORDER BY id DESC LIMIT 1", NULL,
	    detail, sizeof(detail));
	ck_assert_ptr_nonnull(strstr(detail, "malformed key"));
	ck_assert_ptr_null(strstr(detail, "has space"));

	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	ck_assert_int_eq(apply_raw(42, "web", CENTRE, longkey, blob,
	    sizeof(blob), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_REJECTED);
	ck_assert_int_eq(apply_raw(43, "web", CENTRE, NULL, blob,
	    sizeof(blob), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_REJECTED);
	ck_assert_int_eq(count("inbox"), before.inbox);
	/* A control character in the channel never reaches the audit. */
	ck_assert_int_eq(apply_raw(44, "w\neb", CENTRE, "ok-key", blob,
	    sizeof(blob), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_REJECTED);
	audit_intact();
}
END_TEST

/* ---- failures ---- */

START_TEST(test_arguments)
{
	struct inbox_result res;
	struct inbox_item it;

	memset(&it, 0, sizeof(it));
	it.id = 0;
	it.channel = "web";
	it.centre = CENTRE;
	it.idem = "k";
	ck_assert_int_eq(inbox_apply(&ic, &it, &res, errbuf, sizeof(errbuf)),
	    -1);
	it.id = 1;
	ck_assert_int_eq(inbox_apply(NULL, &it, &res, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_int_eq(inbox_apply(&ic, NULL, &res, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_int_eq(inbox_apply(&ic, &it, NULL, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_str_eq(inbox_outcome_name(INBOX_ORDER), "order");
	ck_assert_str_eq(inbox_outcome_name(INBOX_REJECTED), "rejected");
	ck_assert_str_eq(inbox_outcome_name((enum inbox_outcome)99),
	    "unknown");
}
END_TEST

START_TEST(test_db_failure_writes_nothing)
{
	struct inbox_result res;
	struct counts before;

	/* centre.db refuses every new follow-up and every new order. */
	ck_assert_int_eq(sqlite3_exec(store_db(st), "CREATE TRIGGER no_fu "
	    "BEFORE INSERT ON followups BEGIN SELECT RAISE(ABORT, 'disk "
	    "full'); END; CREATE TRIGGER no_or BEFORE INSERT ON orders BEGIN "
	    "SELECT RAISE(ABORT, 'disk full'); END;", NULL, NULL, NULL),
	    SQLITE_OK);
	before = counts();
	ck_assert_int_eq(apply_obj("sms", "kannel-1", sms_env("call",
	    NEW_PHONE, SECRET_TEXT, NULL), &res), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "disk full"));
	ck_assert_ptr_null(strstr(errbuf, NEW_DIGITS));
	ck_assert_ptr_null(strstr(errbuf, "Zoulikha"));
	/* Not even the recipient made before the follow-up failed. */
	same_counts(before, counts());
	ck_assert_int_eq(apply_obj("web", "form-1", web_env(PHONE, NULL, NULL),
	    &res), -1);
	same_counts(before, counts());

	/* Fixed: the same rows apply once. */
	ck_assert_int_eq(sqlite3_exec(store_db(st), "DROP TRIGGER no_fu; "
	    "DROP TRIGGER no_or;", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(apply_obj("sms", "kannel-1", sms_env("call",
	    NEW_PHONE, SECRET_TEXT, NULL), &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_FOLLOWUP);
	ck_assert_int_eq(apply_obj("web", "form-1", web_env(PHONE, NULL, NULL),
	    &res), 0);
	ck_assert_int_eq(res.outcome, INBOX_ORDER);
	audit_intact();
}
END_TEST

START_TEST(test_due_dates)
{
	struct inbox_result res;
	json_t *env;

	/* Received on a Saturday: due on Monday, same time. */
	env = sms_env("call", PHONE, "x", NULL);
	json_object_set_new(env, "received_at", json_integer(SATURDAY));
	ck_assert_int_eq(apply_obj("sms", "k1", env, &res), 0);
	ck_assert_int_eq(raw_int("SELECT due_at FROM followups ORDER BY id "
	    "DESC LIMIT 1", NULL), SATURDAY + 2 * 86400);
	/* On a Tuesday: Wednesday. */
	env = sms_env("call", PHONE, "x", NULL);
	json_object_set_new(env, "received_at", json_integer(RECEIVED -
	    3 * 86400));
	ck_assert_int_eq(apply_obj("sms", "k2", env, &res), 0);
	ck_assert_int_eq(raw_int("SELECT due_at FROM followups ORDER BY id "
	    "DESC LIMIT 1", NULL), RECEIVED - 2 * 86400);
	/* A time in the future (a wrong clock at intake) reads as now. */
	env = sms_env("call", PHONE, "x", NULL);
	json_object_set_new(env, "received_at", json_integer(RECEIVED +
	    400 * 86400));
	ck_assert_int_eq(apply_obj("sms", "k3", env, &res), 0);
	ck_assert_int_eq(raw_int("SELECT received_at FROM inbox WHERE idem = "
	    "?", "k3"), RECEIVED + 2 * 3600);
}
END_TEST

static Suite *
inbox_suite(void)
{
	Suite *s = suite_create("inbox");
	TCase *tc = tcase_create("inbox");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_web_order);
	tcase_add_test(tc, test_web_flagged);
	tcase_add_test(tc, test_sms_order_known);
	tcase_add_test(tc, test_sms_order_as_last_time);
	tcase_add_test(tc, test_sms_order_unknown);
	tcase_add_test(tc, test_sms_order_cannot_be_made);
	tcase_add_test(tc, test_sms_call);
	tcase_add_test(tc, test_sms_stop_start);
	tcase_add_test(tc, test_reject_version_kind);
	tcase_add_test(tc, test_reject_fields);
	tcase_add_test(tc, test_reject_order_invalid);
	tcase_add_test(tc, test_reject_huge);
	tcase_add_test(tc, test_reject_sealing);
	tcase_add_test(tc, test_reject_ref_taken);
	tcase_add_test(tc, test_reject_malformed_key);
	tcase_add_test(tc, test_arguments);
	tcase_add_test(tc, test_db_failure_writes_nothing);
	tcase_add_test(tc, test_due_dates);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(inbox_suite)
