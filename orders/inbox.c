/*
 * The console's inbox (see inbox.h for the envelopes, the outcomes, the
 * idempotency and the quarantine rules).  Each row is handled in the same
 * order: a key seen before is a duplicate before anything is opened; the
 * blob is opened under the AAD of its own row; the envelope must have
 * exactly the documented fields; then one transaction makes the change,
 * records the key and appends one audit entry (orders go through
 * store_order_import()/store_order_add(), which do the same with
 * orders.idem).  What does not open, parse or validate is quarantined
 * with the reason, never half-applied.  Plaintext (the envelope, the
 * order, the SMS text and number) is wiped on every path; jansson's
 * allocator wipes what it frees (orders/order.c sets it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "orders/inbox.h"
#include "orders/order.h"
#include "orders/outbox.h"
#include "orders/recipient.h"
#include "orders/sms.h"
#include "shipping/catalogue.h"

/*
 * The table this module keeps in centre.db: one row per outbox key that
 * did not become an order (orders keep theirs in orders.idem).  Created
 * here when missing; a later store.c migration may take it over as is.
 */
/* The inbox table is migration 3 of centre.db (orders/store.c). */

#define DAY 86400
#define INBOX_FUTURE_SLACK 300		/* clock skew tolerated, seconds */
#define INBOX_AAD_MAX 192
#define INBOX_REF_INPUT_MAX 64		/* ref or token as the envelope gives */
#define INBOX_CHANNEL_MAX 16
#define INBOX_QTY_TEXT 24

/* One inbox_apply() call. */
struct apply {
	const struct inbox_config *cfg;
	const struct inbox_item *in;
	struct inbox_result *res;
	sqlite3 *db;
	char *errbuf;
	size_t errsz;
	time_t now;
	time_t received;	/* when the person sent it (sanitised) */
	bool idem_ok;		/* the key can be recorded */
};

const char *
inbox_outcome_name(enum inbox_outcome o)
{
	static const char *const names[] = {
		"order", "followup", "sms_stop", "sms_start", "duplicate",
		"rejected",
	};

	if ((unsigned)o >= ARRAY_LEN(names))
		return "unknown";
	return names[o];
}

/* ---- the key, duplicates, the record ---- */

/* Printable ASCII without space, 1 to OUTBOX_IDEM_MAX: as the stores want. */
static bool
key_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (n >= OUTBOX_IDEM_MAX || s[n] < 0x21 || s[n] > 0x7e)
			return false;
	return n > 0;
}

/*
 * Whether @a's key was applied before: as an order (its reference into
 * res->ref) or in the inbox table.  Returns 0 or -1.
 */
static int
find_duplicate(struct apply *a, bool *dup)
{
	sqlite3_stmt *s = NULL;
	int ret = -1, rc;

	*dup = false;
	if (db_prepare(a->db,
	    "SELECT ref FROM orders WHERE idem = ?", &s, a->errbuf,
	    a->errsz) != 0)
		goto out;
	if (db_bind_text(s, 1, a->in->idem) != SQLITE_OK) {
		db_error(a->db, "cannot look up the key", a->errbuf, a->errsz);
		goto out;
	}
	rc = db_step(s, "cannot look up the key", a->errbuf, a->errsz);
	if (rc == SQLITE_ROW) {
		if (db_column_text(s, 0, a->res->ref, sizeof(a->res->ref)) != 0)
			a->res->ref[0] = '\0';
		*dup = true;
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_DONE)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (db_prepare(a->db,
	    "SELECT 1 FROM inbox WHERE idem = ?", &s, a->errbuf,
	    a->errsz) != 0)
		goto out;
	if (db_bind_text(s, 1, a->in->idem) != SQLITE_OK) {
		db_error(a->db, "cannot look up the key", a->errbuf, a->errsz);
		goto out;
	}
	rc = db_step(s, "cannot look up the key", a->errbuf, a->errsz);
	if (rc == SQLITE_ROW)
		*dup = true;
	else if (rc != SQLITE_DONE)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * BEGIN IMMEDIATE and look for the key again under the write lock (a
 * second puller may have applied it meanwhile).  On a duplicate the
 * transaction is rolled back and res says so.  Returns 0 (go on when
 * *dup is false) or -1.
 */
static int
begin(struct apply *a, bool *dup)
{
	if (db_begin(a->db, a->errbuf, a->errsz) != 0)
		return -1;
	if (find_duplicate(a, dup) != 0) {
		db_rollback(a->db);
		return -1;
	}
	if (*dup) {
		db_rollback(a->db);
		a->res->outcome = INBOX_DUPLICATE;
	}
	return 0;
}

/* The row of the inbox table for @a's key, inside the transaction. */
static int
record(struct apply *a, const char *outcome, int64_t rid, int64_t fid,
    const char *reason, const uint8_t *sealed, size_t sealedlen)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	if (db_prepare(a->db, "INSERT INTO inbox (centre_id, idem, outbox_id, "
	    "received_at, outcome, recipient_id, followup_id, reason, sealed, "
	    "applied_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &s,
	    a->errbuf, a->errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, a->cfg->centre_id) != SQLITE_OK ||
	    db_bind_text(s, 2, a->in->idem) != SQLITE_OK ||
	    db_bind_int64(s, 3, a->in->id) != SQLITE_OK ||
	    db_bind_int64(s, 4, (int64_t)a->received) != SQLITE_OK ||
	    db_bind_text(s, 5, outcome) != SQLITE_OK ||
	    (rid > 0 ? db_bind_int64(s, 6, rid) :
	    sqlite3_bind_null(s, 6)) != SQLITE_OK ||
	    (fid > 0 ? db_bind_int64(s, 7, fid) :
	    sqlite3_bind_null(s, 7)) != SQLITE_OK ||
	    db_bind_text(s, 8, reason) != SQLITE_OK ||
	    (sealed != NULL ? db_bind_blob(s, 9, sealed, sealedlen) :
	    sqlite3_bind_null(s, 9)) != SQLITE_OK ||
	    db_bind_int64(s, 10, (int64_t)a->now) != SQLITE_OK) {
		db_error(a->db, "cannot record the outbox key", a->errbuf,
		    a->errsz);
		goto out;
	}
	if (db_step(s, "cannot record the outbox key", a->errbuf, a->errsz) !=
	    SQLITE_DONE)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

static int
commit(struct apply *a)
{
	if (db_commit(a->db, a->errbuf, a->errsz) != 0) {
		db_rollback(a->db);
		return -1;
	}
	return 0;
}

/* ---- quarantine ---- */

static int
reject(struct apply *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Quarantine the row: record it with the reason and the blob as received
 * (still sealed) and append "inbox.reject" naming the outbox id, in one
 * transaction.  A row whose key cannot be recorded is only audited.
 * Returns 0 (settled: the row may be acknowledged) or -1.
 */
static int
reject(struct apply *a, const char *fmt, ...)
{
	char why[INBOX_WHY_MAX], object[48], detail[AUDIT_DETAIL_MAX];
	const char *ch = a->in->channel;
	bool dup = false;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/*
	 * Printable ASCII only: a reason cut inside a UTF-8 sequence, or
	 * holding a control character, would make audit_append() refuse
	 * the entry, and then the row could never be settled.
	 */
	for (char *p = why; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	a->res->ref[0] = '\0';
	if (str_printf(object, sizeof(object), "outbox/%lld",
	    (long long)a->in->id) < 0) {
		errbuf_set(a->errbuf, a->errsz, "outbox id too long");
		return -1;
	}
	if (ch == NULL || (strcmp(ch, "web") != 0 && strcmp(ch, "sms") != 0))
		ch = "unknown channel";
	if (a->idem_ok) {
		if (str_printf(detail, sizeof(detail), "%s, key %s: %s", ch,
		    a->in->idem, why) < 0) {
			errbuf_set(a->errbuf, a->errsz, "audit detail too "
			    "long");
			return -1;
		}
		if (begin(a, &dup) != 0)
			return -1;
		if (dup)
			return 0;
		/* The blob is kept when it is one intake could have made. */
		if (record(a, "rejected", 0, 0, why,
		    a->in->bloblen > 0 && a->in->bloblen <= OUTBOX_BLOB_MAX ?
		    a->in->blob : NULL, a->in->bloblen) != 0)
			goto fail;
	} else {
		if (str_printf(detail, sizeof(detail), "%s, malformed key: %s",
		    ch, why) < 0) {
			errbuf_set(a->errbuf, a->errsz, "audit detail too "
			    "long");
			return -1;
		}
		if (db_begin(a->db, a->errbuf, a->errsz) != 0)
			return -1;
	}
	if (audit_append(a->db, INBOX_ACTOR, "inbox.reject", object, detail,
	    NULL, a->errbuf, a->errsz) != 0)
		goto fail;
	if (commit(a) != 0)
		return -1;
	a->res->outcome = INBOX_REJECTED;
	if (str_copy(a->res->why, sizeof(a->res->why), why) != 0)
		a->res->why[0] = '\0';
	return 0;
fail:
	db_rollback(a->db);
	return -1;
}

/* ---- envelopes ---- */

/* true when @root has exactly the keys @keys (@n of them), no other. */
static bool
keys_exact(const json_t *root, const char *const *keys, size_t n)
{
	const char *k;
	json_t *v;
	size_t found = 0;

	json_object_foreach((json_t *)root, k, v) {
		bool known = false;

		for (size_t i = 0; i < n && !known; i++)
			if (strcmp(k, keys[i]) == 0)
				known = true;
		if (!known)
			return false;
		found++;
	}
	return found == n;
}

/* The string under @key: at most @max bytes, no NUL inside; or NULL. */
static const char *
get_str(const json_t *root, const char *key, size_t max)
{
	const json_t *v = json_object_get(root, key);

	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

/* A time the envelope gives: later than now (beyond slack) reads as now. */
static time_t
sane_time(int64_t t, time_t now)
{
	if (t <= 0 || t > (int64_t)now + INBOX_FUTURE_SLACK)
		return now;
	return (time_t)t;
}

/* ---- web orders ---- */

static int
apply_web(struct apply *a, const json_t *env)
{
	static const char *const keys[] = { "v", "kind", "ref", "token",
	    "order" };
	const struct inbox_config *cfg = a->cfg;
	struct field_error ferr;
	struct order *o = NULL;
	const json_t *jo;
	const char *ref, *tok;
	char *json = NULL, outref[STORE_REF_MAX], outtok[STORE_TOKEN_MAX];
	size_t jsonlen = 0;
	enum store_status rc;
	int ret = -1;

	if (strcmp(a->in->channel, "web") != 0)
		return reject(a, "an order envelope on the %s channel",
		    a->in->channel);
	if (!keys_exact(env, keys, ARRAY_LEN(keys)))
		return reject(a, "order envelope: unknown or missing field");
	ref = get_str(env, "ref", INBOX_REF_INPUT_MAX);
	tok = get_str(env, "token", INBOX_REF_INPUT_MAX);
	jo = json_object_get(env, "order");
	if (ref == NULL || tok == NULL)
		return reject(a, "order envelope: ref or token is not text");
	if (!json_is_object(jo))
		return reject(a, "order envelope: order is not an object");
	json = json_dumps(jo, JSON_COMPACT);
	if (json == NULL)
		return reject(a, "order envelope: order does not encode");
	jsonlen = strlen(json);
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		errbuf_set(a->errbuf, a->errsz, "out of memory");
		goto out;
	}
	memset(&ferr, 0, sizeof(ferr));
	if (order_decode(json, jsonlen, ORDER_ENCODE_ALL, cfg->cat, o,
	    &ferr) != 0) {
		ret = reject(a, "order does not validate: %.31s %.100s",
		    ferr.field, ferr.msg);
		goto out;
	}
	if (o->channel != ORDER_CHANNEL_WEB) {
		ret = reject(a, "order envelope: the order is not a web order");
		goto out;
	}
	outref[0] = outtok[0] = '\0';
	rc = store_order_import(cfg->st, cfg->key, cfg->centre_id, o,
	    ORDER_ACCEPTED, a->in->idem, cfg->flag_qty, cfg->flag_days,
	    INBOX_ACTOR, ref, tok, a->received, outref, outtok);
	switch (rc) {
	case STORE_OK:
		a->res->outcome = INBOX_ORDER;
		memcpy(a->res->ref, outref, sizeof(a->res->ref));
		ret = 0;
		break;
	case STORE_ERR_DUPLICATE:
		/* The key: the store hands back the first order's ref. */
		if (outref[0] != '\0') {
			a->res->outcome = INBOX_DUPLICATE;
			memcpy(a->res->ref, outref, sizeof(a->res->ref));
			ret = 0;
		} else {
			ret = reject(a, "reference or tracking token already "
			    "used by another order");
		}
		break;
	case STORE_ERR_INVALID:
		ret = reject(a, "the store refused the order: %.120s",
		    store_errmsg(cfg->st));
		break;
	default:
		errbuf_set(a->errbuf, a->errsz, "cannot record the order: %s",
		    store_errmsg(cfg->st));
		break;
	}
out:
	if (json != NULL)
		mem_wipe_free(json, jsonlen + 1);
	if (o != NULL) {
		order_clear(o);
		free(o);
	}
	return ret;
}

/* ---- SMS ---- */

/* One working day (Monday to Friday, local time) after @from. */
static time_t
due_working_day(time_t from)
{
	struct tm tm;
	int days = 1;

	if (localtime_r(&from, &tm) == NULL)
		return from + DAY;
	while ((tm.tm_wday + days) % 7 == 0 || (tm.tm_wday + days) % 7 == 6)
		days++;
	return from + (time_t)days * DAY;
}

/* The SMS text sealed into followups @fid's note (AAD names the row). */
static int
seal_note(struct apply *a, int64_t fid, const char *text)
{
	sqlite3_stmt *s = NULL;
	char aad[INBOX_AAD_MAX];
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	enum seal_status rc;
	int ret = -1;

	if (text[0] == '\0')
		return 0;
	if (str_printf(aad, sizeof(aad), "followups/%lld/note",
	    (long long)fid) < 0) {
		errbuf_set(a->errbuf, a->errsz, "follow-up id too long");
		goto out;
	}
	rc = seal_seal(key_public(a->cfg->key), text, strlen(text), aad,
	    strlen(aad), &blob, &bloblen);
	if (rc != SEAL_OK) {
		errbuf_set(a->errbuf, a->errsz, "cannot seal the SMS text: %s",
		    seal_strerror(rc));
		goto out;
	}
	if (db_prepare(a->db,
	    "UPDATE followups SET sealed_note = ? WHERE id = ?", &s,
	    a->errbuf, a->errsz) != 0)
		goto out;
	if (db_bind_blob(s, 1, blob, bloblen) != SQLITE_OK ||
	    db_bind_int64(s, 2, fid) != SQLITE_OK) {
		db_error(a->db, "cannot seal the note", a->errbuf, a->errsz);
		goto out;
	}
	if (db_step(s, "cannot seal the note", a->errbuf, a->errsz) !=
	    SQLITE_DONE)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(s);
	free(blob);
	return ret;
}

/*
 * A call-back task @reason for the sender of @m, in one transaction:
 * a recipient known by the number alone when @rid is 0, consent to calls
 * when @consent (they asked for the call, or they can be reached no other
 * way), the followups row, its sealed note, the inbox record with @why
 * (no personal data), the audit entry "followup.add".
 */
static int
add_followup(struct apply *a, const struct sms_envelope *m, int64_t rid,
    const char *reason, bool consent, const char *why)
{
	const struct inbox_config *cfg = a->cfg;
	sqlite3_stmt *s = NULL;
	char object[48], detail[AUDIT_DETAIL_MAX], due_iso[CLOCK_ISO_LEN];
	const char *lang = m->lang[0] != '\0' ? m->lang : cfg->default_lang;
	bool dup = false, changed = false, created = false;
	time_t due = due_working_day(a->received);
	int64_t fid;

	if (lang == NULL || !catalogue_has_lang(cfg->cat, lang))
		lang = "fr";
	if (begin(a, &dup) != 0)
		return -1;
	if (dup)
		return 0;
	if (rid == 0) {
		if (recipient_add_phone(a->db, cfg->key, cfg->centre_id,
		    m->from, lang, consent, a->now, &rid, a->errbuf,
		    a->errsz) != 0)
			goto fail;
		created = true;
	} else if (consent && recipient_set_consent_call(a->db, rid, &changed,
	    a->errbuf, a->errsz) != 0) {
		goto fail;
	}
	if (db_prepare(a->db, "INSERT INTO followups (centre_id, recipient_id, "
	    "reason, due_at, status, created_at) VALUES (?, ?, ?, ?, 'open', "
	    "?)", &s, a->errbuf, a->errsz) != 0)
		goto fail;
	if (db_bind_int64(s, 1, cfg->centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, rid) != SQLITE_OK ||
	    db_bind_text(s, 3, reason) != SQLITE_OK ||
	    db_bind_int64(s, 4, (int64_t)due) != SQLITE_OK ||
	    db_bind_int64(s, 5, (int64_t)a->now) != SQLITE_OK) {
		db_error(a->db, "cannot add the follow-up", a->errbuf,
		    a->errsz);
		goto fail;
	}
	if (db_step(s, "cannot add the follow-up", a->errbuf, a->errsz) !=
	    SQLITE_DONE)
		goto fail;
	fid = sqlite3_last_insert_rowid(a->db);
	sqlite3_finalize(s);
	s = NULL;
	if (seal_note(a, fid, m->text) != 0)
		goto fail;
	if (record(a, "followup", rid, fid, why, NULL, 0) != 0)
		goto fail;
	clock_format(due, due_iso);
	if (str_printf(object, sizeof(object), "followups/%lld",
	    (long long)fid) < 0 ||
	    str_printf(detail, sizeof(detail), "%s, recipient %lld%s, due %s, "
	    "outbox %lld, key %s", reason, (long long)rid,
	    created ? " (new, by phone)" : "", due_iso, (long long)a->in->id,
	    a->in->idem) < 0) {
		errbuf_set(a->errbuf, a->errsz, "audit detail too long");
		goto fail;
	}
	if (audit_append(a->db, INBOX_ACTOR, "followup.add", object, detail,
	    NULL, a->errbuf, a->errsz) != 0)
		goto fail;
	if (commit(a) != 0)
		return -1;
	a->res->outcome = INBOX_FOLLOWUP;
	a->res->followup_id = fid;
	return 0;
fail:
	sqlite3_finalize(s);
	db_rollback(a->db);
	return -1;
}

/* STOP or START: sms_stopped of the sender, when on file. */
static int
set_stop(struct apply *a, int64_t rid, bool stop)
{
	const char *what = stop ? "sms_stop" : "sms_start";
	char object[48], detail[AUDIT_DETAIL_MAX], action[32];
	bool dup = false, changed = false;

	if (begin(a, &dup) != 0)
		return -1;
	if (dup)
		return 0;
	if (rid > 0 && recipient_set_sms_stopped(a->db, rid, stop, &changed,
	    a->errbuf, a->errsz) != 0)
		goto fail;
	if (record(a, what, rid, 0, rid > 0 ? NULL : "number not on file",
	    NULL, 0) != 0)
		goto fail;
	if (str_printf(action, sizeof(action), "recipient.%s", what) < 0 ||
	    (rid > 0 ? str_printf(object, sizeof(object), "recipients/%lld",
	    (long long)rid) : str_printf(object, sizeof(object),
	    "outbox/%lld", (long long)a->in->id)) < 0 ||
	    str_printf(detail, sizeof(detail), "%s, outbox %lld, key %s",
	    rid == 0 ? "number not on file: nothing to change" :
	    changed ? "changed" : "unchanged", (long long)a->in->id,
	    a->in->idem) < 0) {
		errbuf_set(a->errbuf, a->errsz, "audit detail too long");
		goto fail;
	}
	if (audit_append(a->db, INBOX_ACTOR, action, object, detail, NULL,
	    a->errbuf, a->errsz) != 0)
		goto fail;
	if (commit(a) != 0)
		return -1;
	a->res->outcome = stop ? INBOX_SMS_STOP : INBOX_SMS_START;
	return 0;
fail:
	db_rollback(a->db);
	return -1;
}

/*
 * ORDER from a recipient with an address on file: the order to that
 * address, or a call-back task when it cannot be made.
 */
static int
sms_order(struct apply *a, const struct sms_envelope *m,
    const struct recipient *r)
{
	const struct inbox_config *cfg = a->cfg;
	struct order_input *in = NULL;
	struct order *o = NULL;
	struct order_line packs[ORDER_PACKS_MAX];
	struct field_error ferr;
	char qty[ORDER_PACKS_MAX][INBOX_QTY_TEXT], why[INBOX_WHY_MAX];
	char outref[STORE_REF_MAX], outtok[STORE_TOKEN_MAX];
	size_t npacks = 0;
	enum store_status rc;
	int ret = -1;

	/* The packs of the SMS (default variants), or as last time. */
	memset(packs, 0, sizeof(packs));
	if (m->npacks > 0) {
		for (size_t i = 0; i < m->npacks && i < ORDER_PACKS_MAX; i++) {
			if (str_copy(packs[i].pack, sizeof(packs[i].pack),
			    m->packs[i].code) != 0)
				return reject(a, "SMS envelope: pack code too "
				    "long");
			packs[i].qty = m->packs[i].qty;
			npacks++;
		}
	} else {
		if (recipient_last_packs(a->db, r->id, packs, &npacks,
		    a->errbuf, a->errsz) != 0)
			return -1;
		if (npacks == 0)
			return add_followup(a, m, r->id,
			    INBOX_REASON_ORDER_FAILED, false, "no packs named "
			    "and no earlier order");
	}
	in = calloc(1, sizeof(*in));
	o = calloc(1, sizeof(*o));
	if (in == NULL || o == NULL) {
		errbuf_set(a->errbuf, a->errsz, "out of memory");
		goto out;
	}
	in->pseudonym = r->pii.pseudonym;
	for (size_t i = 0; i < r->pii.nlines && i < ADDRESS_LINES_MAX; i++)
		in->lines[in->nlines++] = r->pii.lines[i];
	in->postcode = r->pii.postcode;
	in->commune = r->pii.commune;
	in->phone = m->from;
	in->consent_call = r->consent_call;
	in->consent_sms = r->consent_sms;
	in->lang = catalogue_has_lang(cfg->cat, r->lang) ? r->lang : NULL;
	for (size_t i = 0; i < npacks; i++) {
		if (str_printf(qty[i], sizeof(qty[i]), "%d", packs[i].qty) < 0)
			goto out;
		in->packs[i].code = packs[i].pack;
		in->packs[i].qty = qty[i];
		in->packs[i].variant = packs[i].variant[0] != '\0' ?
		    packs[i].variant : NULL;
	}
	in->npacks = npacks;
	in->channel = ORDER_CHANNEL_SMS;
	if (order_from_input(in, cfg->cat, cfg->default_lang, o, &ferr,
	    1) > 0) {
		if (str_printf(why, sizeof(why), "order does not validate: "
		    "%.31s %.100s", ferr.field, ferr.msg) < 0)
			why[0] = '\0';
		ret = add_followup(a, m, r->id, INBOX_REASON_ORDER_FAILED,
		    false, why);
		goto out;
	}
	outref[0] = outtok[0] = '\0';
	rc = store_order_add(cfg->st, cfg->key, cfg->centre_id, o,
	    ORDER_ACCEPTED, a->in->idem, cfg->flag_qty, cfg->flag_days,
	    INBOX_ACTOR, outref, outtok);
	switch (rc) {
	case STORE_OK:
		a->res->outcome = INBOX_ORDER;
		memcpy(a->res->ref, outref, sizeof(a->res->ref));
		ret = 0;
		break;
	case STORE_ERR_DUPLICATE:
		a->res->outcome = INBOX_DUPLICATE;
		memcpy(a->res->ref, outref, sizeof(a->res->ref));
		ret = 0;
		break;
	case STORE_ERR_INVALID:
		if (str_printf(why, sizeof(why), "the store refused the order: "
		    "%.100s", store_errmsg(cfg->st)) < 0)
			why[0] = '\0';
		ret = add_followup(a, m, r->id, INBOX_REASON_ORDER_FAILED,
		    false, why);
		break;
	default:
		errbuf_set(a->errbuf, a->errsz, "cannot record the order: %s",
		    store_errmsg(cfg->st));
		break;
	}
out:
	/* @in holds pointers only: what they point to is wiped elsewhere. */
	free(in);
	if (o != NULL) {
		order_clear(o);
		free(o);
	}
	return ret;
}

/*
 * An SMS envelope: @pt/@ptlen is the plaintext, which sms_envelope_decode()
 * reads again with every rule of orders/sms.h.
 */
static int
apply_sms(struct apply *a, const uint8_t *pt, size_t ptlen)
{
	const struct inbox_config *cfg = a->cfg;
	struct sms_envelope *m = NULL;
	struct recipient *r = NULL;
	struct field_error ferr;
	uint8_t pk[PSEUDONYM_LEN];
	int64_t rid = 0;
	bool found = false;
	int ret = -1;

	a->res->sms = true;
	if (strcmp(a->in->channel, "sms") != 0)
		return reject(a, "an SMS envelope on the %s channel",
		    a->in->channel);
	m = calloc(1, sizeof(*m));
	r = calloc(1, sizeof(*r));
	if (m == NULL || r == NULL) {
		errbuf_set(a->errbuf, a->errsz, "out of memory");
		goto out;
	}
	memset(&ferr, 0, sizeof(ferr));
	if (ptlen > SMS_ENVELOPE_MAX) {
		ret = reject(a, "SMS envelope over %d bytes", SMS_ENVELOPE_MAX);
		goto out;
	}
	if (sms_envelope_decode((const char *)pt, ptlen, cfg->cat, m,
	    &ferr) != 0) {
		ret = reject(a, "SMS envelope: %.31s %.100s", ferr.field,
		    ferr.msg);
		goto out;
	}
	a->received = sane_time((int64_t)m->received_at, a->now);
	if (recipient_phone_key(cfg->key, m->from, pk) != 0) {
		errbuf_set(a->errbuf, a->errsz, "cannot compute the phone "
		    "pseudonym");
		goto out;
	}
	if (recipient_find_phone(a->db, cfg->centre_id, pk, &rid, &found,
	    a->errbuf, a->errsz) != 0)
		goto out;
	if (!found)
		rid = 0;
	switch (m->command) {
	case SMS_ORDER:
		if (!found) {
			ret = add_followup(a, m, 0, INBOX_REASON_UNKNOWN_ORDER,
			    true, "number not on file");
			break;
		}
		if (recipient_load(a->db, cfg->key, rid, r, a->errbuf,
		    a->errsz) != 0)
			break;
		if (!r->has_address)
			ret = add_followup(a, m, rid,
			    INBOX_REASON_UNKNOWN_ORDER, true, "no address on "
			    "file");
		else
			ret = sms_order(a, m, r);
		break;
	case SMS_CALL:
		ret = add_followup(a, m, rid, INBOX_REASON_CALL, true, NULL);
		break;
	case SMS_STOP:
	case SMS_START:
		ret = set_stop(a, rid, m->command == SMS_STOP);
		break;
	default:
		/* sms_envelope_decode() lets only the four above through. */
		ret = reject(a, "SMS envelope: a command that stores nothing");
		break;
	}
out:
	OPENSSL_cleanse(pk, sizeof(pk));
	if (r != NULL) {
		recipient_clear(r);
		free(r);
	}
	if (m != NULL) {
		sms_envelope_clear(m);
		OPENSSL_cleanse(m, sizeof(*m));
		free(m);
	}
	return ret;
}

/* ---- one row ---- */

int
inbox_apply(const struct inbox_config *cfg, const struct inbox_item *in,
    struct inbox_result *res, char *errbuf, size_t errsz)
{
	struct apply a;
	char aad[INBOX_AAD_MAX];
	json_error_t jerr;
	json_t *env = NULL;
	const json_t *v;
	const char *kind;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	enum seal_status sst;
	bool dup = false;
	int ret = -1;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (cfg == NULL || cfg->st == NULL || cfg->key == NULL ||
	    cfg->cat == NULL || cfg->centre == NULL || in == NULL ||
	    res == NULL || in->id < 1) {
		errbuf_set(errbuf, errsz, "inbox: missing argument or outbox "
		    "id out of range");
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.cfg = cfg;
	a.in = in;
	a.res = res;
	a.db = store_db(cfg->st);
	a.errbuf = errbuf;
	a.errsz = errsz;
	a.now = clock_now();
	a.received = sane_time(in->received_at, a.now);
	a.idem_ok = key_ok(in->idem);
	if (!a.idem_ok)
		return reject(&a, "malformed idempotency key");
	if (find_duplicate(&a, &dup) != 0)
		return -1;
	if (dup) {
		res->outcome = INBOX_DUPLICATE;
		return 0;
	}
	if (in->channel == NULL || in->channel[0] == '\0' ||
	    strnlen(in->channel, INBOX_CHANNEL_MAX) >= INBOX_CHANNEL_MAX ||
	    (strcmp(in->channel, "web") != 0 &&
	    strcmp(in->channel, "sms") != 0))
		return reject(&a, "unknown channel");
	if (in->centre == NULL || strcmp(in->centre, cfg->centre) != 0)
		return reject(&a, "a row for another centre");
	if (in->blob == NULL || in->bloblen == 0 ||
	    in->bloblen > OUTBOX_BLOB_MAX)
		return reject(&a, "sealed blob missing, malformed or over %d "
		    "bytes", OUTBOX_BLOB_MAX);
	if (outbox_aad(cfg->centre, in->idem, aad, sizeof(aad)) != 0)
		return reject(&a, "no AAD for this centre and key");
	sst = seal_open(cfg->key, in->blob, in->bloblen, aad, strlen(aad), &pt,
	    &ptlen);
	if (sst != SEAL_OK)
		return reject(&a, "sealed blob does not open: %s",
		    seal_strerror(sst));

	env = json_loadb((const char *)pt, ptlen, JSON_REJECT_DUPLICATES,
	    &jerr);
	/* jansson quotes the text near a syntax error: it may be personal. */
	OPENSSL_cleanse(&jerr, sizeof(jerr));
	if (env == NULL || !json_is_object(env)) {
		ret = reject(&a, "envelope is not a JSON object");
		goto out;
	}
	v = json_object_get(env, "v");
	kind = json_string_value(json_object_get(env, "kind"));
	if (!json_is_integer(v) ||
	    json_integer_value(v) != INBOX_ENVELOPE_VERSION) {
		ret = reject(&a, "envelope has an unknown version");
		goto out;
	}
	if (kind != NULL && strcmp(kind, "order") == 0)
		ret = apply_web(&a, env);
	else if (kind != NULL && strcmp(kind, "sms") == 0)
		ret = apply_sms(&a, pt, ptlen);
	else
		ret = reject(&a, "envelope has an unknown kind");
out:
	json_decref(env);
	if (pt != NULL)
		mem_wipe_free(pt, ptlen + 1);
	return ret;
}
