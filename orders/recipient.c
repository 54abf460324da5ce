/*
 * Recipients of centre.db for the console's modules (see recipient.h).
 * The phone pseudonym is computed exactly as orders/store.c computes
 * phone_key when it links an order (HMAC with the centre's pepper, domain
 * "phone", the E.164 number as bytes), which the unit suite checks against
 * store_order_add(), so an SMS finds the person a web or phone order
 * recorded.  Sealed data is opened with the AAD that binds it to its row;
 * plaintext and decoded fields are wiped on every path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/db.h"
#include "orders/recipient.h"

#define RECIPIENT_AAD_MAX 64
#define RECIPIENT_JSON_VERSION 1
#define RECIPIENT_PHONE_DOC_MAX 256

static int
recipient_aad(int64_t rid, char aad[RECIPIENT_AAD_MAX])
{
	return str_printf(aad, RECIPIENT_AAD_MAX, "recipients/%lld/pii",
	    (long long)rid) < 0 ? -1 : 0;
}

int
recipient_phone_key(const struct centre_key *key, const char *e164,
    uint8_t out[PSEUDONYM_LEN])
{
	if (out == NULL)
		return -1;
	if (key == NULL || e164 == NULL || e164[0] == '\0') {
		OPENSSL_cleanse(out, PSEUDONYM_LEN);
		return -1;
	}
	return pseudonym_compute(key_pepper(key), KEY_PEPPER_LEN, "phone", e164,
	    strlen(e164), out);
}

int
recipient_find_phone(sqlite3 *db, int64_t centre_id,
    const uint8_t phone_key[PSEUDONYM_LEN], int64_t *rid, bool *found,
    char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int ret = -1, rc;

	*found = false;
	if (db_prepare(db,
	    "SELECT id FROM recipients WHERE centre_id = ?1 AND phone_key = ?2",
	    &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_blob(s, 2, phone_key, PSEUDONYM_LEN) != SQLITE_OK) {
		db_error(db, "cannot look up the recipient", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot look up the recipient", errbuf, errsz);
	if (rc == SQLITE_ROW) {
		*rid = sqlite3_column_int64(s, 0);
		*found = true;
	} else if (rc != SQLITE_DONE) {
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * The phone-only document {"v":1,"what":"phone","phone":"+E164"}: exactly
 * these keys, a number already in E.164 form.  Returns 0 or -1.
 */
static int
decode_phone_doc(const json_t *root, struct order *o)
{
	struct field_error ferr;
	const json_t *v = json_object_get(root, "v");
	const json_t *ph = json_object_get(root, "phone");
	const char *s;

	if (json_object_size(root) != 3 || !json_is_integer(v) ||
	    json_integer_value(v) != RECIPIENT_JSON_VERSION ||
	    !json_is_string(ph) || json_string_length(ph) >= PHONE_E164_MAX)
		return -1;
	s = json_string_value(ph);
	if (strlen(s) != json_string_length(ph) ||
	    phone_normalise(s, o->phone, &ferr) != 0 ||
	    strcmp(o->phone, s) != 0) {
		OPENSSL_cleanse(o->phone, sizeof(o->phone));
		return -1;
	}
	return 0;
}

/*
 * Open @blob and decode it into @r->pii: the address on file (sets
 * has_address) or a phone number alone.  Anything else leaves @r->pii
 * empty.  Never fails: what does not open is simply not on file.
 */
static void
open_sealed(const struct centre_key *key, int64_t rid, const void *blob,
    size_t bloblen, struct recipient *r)
{
	struct field_error ferr;
	json_error_t jerr;
	json_t *root = NULL;
	char aad[RECIPIENT_AAD_MAX];
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	const char *what;

	if (recipient_aad(rid, aad) != 0 ||
	    seal_open(key, blob, bloblen, aad, strlen(aad), &pt, &ptlen) !=
	    SEAL_OK)
		return;
	root = json_loadb((const char *)pt, ptlen, JSON_REJECT_DUPLICATES,
	    &jerr);
	/* jansson quotes the text near a syntax error: it may be personal. */
	OPENSSL_cleanse(&jerr, sizeof(jerr));
	if (root == NULL || !json_is_object(root))
		goto out;
	what = json_string_value(json_object_get(root, "what"));
	if (what == NULL)
		goto out;
	if (strcmp(what, "phone") == 0) {
		if (decode_phone_doc(root, &r->pii) != 0)
			order_clear(&r->pii);
	} else if (strcmp(what, "pii") == 0) {
		memset(&ferr, 0, sizeof(ferr));
		if (order_decode((const char *)pt, ptlen, ORDER_ENCODE_PII,
		    NULL, &r->pii, &ferr) == 0)
			r->has_address = true;
		else
			order_clear(&r->pii);
	}
out:
	/* jansson's copies of the strings go with the tree. */
	json_decref(root);
	mem_wipe_free(pt, ptlen + 1);
}

int
recipient_load(sqlite3 *db, const struct centre_key *key, int64_t rid,
    struct recipient *r, char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int ret = -1, rc;

	memset(r, 0, sizeof(*r));
	if (db_prepare(db, "SELECT lang, consent_call, consent_sms, "
	    "sms_stopped, do_not_call, sealed FROM recipients WHERE id = ?",
	    &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, rid) != SQLITE_OK) {
		db_error(db, "cannot read the recipient", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the recipient", errbuf, errsz);
	if (rc == SQLITE_DONE) {
		errbuf_set(errbuf, errsz, "recipient %lld not found",
		    (long long)rid);
		goto out;
	}
	if (rc != SQLITE_ROW)
		goto out;
	if (db_column_text(s, 0, r->lang, sizeof(r->lang)) != 0) {
		errbuf_set(errbuf, errsz, "recipient %lld: language too long",
		    (long long)rid);
		goto out;
	}
	r->id = rid;
	r->consent_call = sqlite3_column_int(s, 1) != 0;
	r->consent_sms = sqlite3_column_int(s, 2) != 0;
	r->sms_stopped = sqlite3_column_int(s, 3) != 0;
	r->do_not_call = sqlite3_column_int(s, 4) != 0;
	if (key != NULL && sqlite3_column_type(s, 5) == SQLITE_BLOB)
		open_sealed(key, rid, sqlite3_column_blob(s, 5),
		    (size_t)sqlite3_column_bytes(s, 5), r);
	ret = 0;
out:
	sqlite3_finalize(s);
	if (ret != 0)
		recipient_clear(r);
	return ret;
}

void
recipient_clear(struct recipient *r)
{
	if (r == NULL)
		return;
	order_clear(&r->pii);
	OPENSSL_cleanse(r, sizeof(*r));
}

int
recipient_last_packs(sqlite3 *db, int64_t rid,
    struct order_line packs[ORDER_PACKS_MAX], size_t *n, char *errbuf,
    size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int ret = -1, rc;

	*n = 0;
	if (db_prepare(db, "SELECT pack, qty, variant FROM order_lines "
	    "WHERE order_id = (SELECT id FROM orders WHERE recipient_id = ?1 "
	    "AND status != 'cancelled' ORDER BY received_at DESC, id DESC "
	    "LIMIT 1) ORDER BY id", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, rid) != SQLITE_OK) {
		db_error(db, "cannot read the last order", errbuf, errsz);
		goto out;
	}
	for (;;) {
		struct order_line *l;

		rc = db_step(s, "cannot read the last order", errbuf, errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		if (*n >= ORDER_PACKS_MAX) {
			errbuf_set(errbuf, errsz, "the last order has more "
			    "than %d lines", ORDER_PACKS_MAX);
			goto out;
		}
		l = &packs[*n];
		if (db_column_text(s, 0, l->pack, sizeof(l->pack)) != 0 ||
		    db_column_text(s, 2, l->variant, sizeof(l->variant)) != 0) {
			errbuf_set(errbuf, errsz, "the last order has a "
			    "malformed line");
			goto out;
		}
		l->qty = sqlite3_column_int(s, 1);
		(*n)++;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	if (ret != 0)
		*n = 0;
	return ret;
}

/* The phone-only document for @e164, sealed for row @rid. */
static int
seal_phone_doc(const struct centre_key *key, int64_t rid, const char *e164,
    uint8_t **blob, size_t *bloblen, char *errbuf, size_t errsz)
{
	char doc[RECIPIENT_PHONE_DOC_MAX], aad[RECIPIENT_AAD_MAX];
	enum seal_status rc;
	int ret = -1;

	/* @e164 passed phone_normalise(): '+' and digits, nothing to escape. */
	if (recipient_aad(rid, aad) != 0 ||
	    str_printf(doc, sizeof(doc), "{\"phone\":\"%s\",\"v\":%d,"
	    "\"what\":\"phone\"}", e164, RECIPIENT_JSON_VERSION) < 0) {
		errbuf_set(errbuf, errsz, "recipient document too long");
		goto out;
	}
	rc = seal_seal(key_public(key), doc, strlen(doc), aad, strlen(aad),
	    blob, bloblen);
	if (rc != SEAL_OK) {
		errbuf_set(errbuf, errsz, "cannot seal the phone number: %s",
		    seal_strerror(rc));
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(doc, sizeof(doc));
	return ret;
}

int
recipient_add_phone(sqlite3 *db, const struct centre_key *key,
    int64_t centre_id, const char *e164, const char *lang, bool consent_call,
    time_t now, int64_t *rid, char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	struct field_error ferr;
	char norm[PHONE_E164_MAX];
	uint8_t pk[PSEUDONYM_LEN], *blob = NULL;
	size_t bloblen = 0;
	int64_t id;
	int ret = -1;

	/* Only an E.164 number goes in: it is also spliced into JSON. */
	if (e164 == NULL || strlen(e164) >= PHONE_E164_MAX ||
	    phone_normalise(e164, norm, &ferr) != 0 ||
	    strcmp(norm, e164) != 0) {
		errbuf_set(errbuf, errsz, "phone: not an E.164 number");
		goto out;
	}
	if (recipient_phone_key(key, e164, pk) != 0) {
		errbuf_set(errbuf, errsz, "cannot compute the phone pseudonym");
		goto out;
	}
	if (db_prepare(db, "INSERT INTO recipients (centre_id, phone_key, "
	    "lang, consent_call, first_seen) VALUES (?, ?, ?, ?, ?)", &s,
	    errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_blob(s, 2, pk, sizeof(pk)) != SQLITE_OK ||
	    db_bind_text(s, 3, lang) != SQLITE_OK ||
	    db_bind_int64(s, 4, consent_call ? 1 : 0) != SQLITE_OK ||
	    db_bind_int64(s, 5, (int64_t)now) != SQLITE_OK) {
		db_error(db, "cannot add the recipient", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot add the recipient", errbuf, errsz) !=
	    SQLITE_DONE)
		goto out;
	id = sqlite3_last_insert_rowid(db);
	sqlite3_finalize(s);
	s = NULL;

	/* The AAD names the row, so the id comes first, the blob second. */
	if (seal_phone_doc(key, id, e164, &blob, &bloblen, errbuf, errsz) != 0)
		goto out;
	if (db_prepare(db,
	    "UPDATE recipients SET sealed = ? WHERE id = ?", &s, errbuf,
	    errsz) != 0)
		goto out;
	if (db_bind_blob(s, 1, blob, bloblen) != SQLITE_OK ||
	    db_bind_int64(s, 2, id) != SQLITE_OK) {
		db_error(db, "cannot seal the recipient", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot seal the recipient", errbuf, errsz) !=
	    SQLITE_DONE)
		goto out;
	*rid = id;
	ret = 0;
out:
	sqlite3_finalize(s);
	free(blob);
	OPENSSL_cleanse(pk, sizeof(pk));
	OPENSSL_cleanse(norm, sizeof(norm));
	return ret;
}

/* UPDATE recipients SET @col = @v WHERE id = @rid, when it differs. */
static int
set_flag(sqlite3 *db, int64_t rid, const char *sql, int v, bool *changed,
    char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	*changed = false;
	if (db_prepare(db, sql, &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, v) != SQLITE_OK ||
	    db_bind_int64(s, 2, rid) != SQLITE_OK) {
		db_error(db, "cannot update the recipient", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot update the recipient", errbuf, errsz) !=
	    SQLITE_DONE)
		goto out;
	*changed = sqlite3_changes(db) > 0;
	sqlite3_finalize(s);
	s = NULL;
	if (!*changed) {
		/* Same value already, or no such row: tell them apart. */
		if (db_prepare(db,
		    "SELECT 1 FROM recipients WHERE id = ?", &s, errbuf,
		    errsz) != 0)
			goto out;
		if (db_bind_int64(s, 1, rid) != SQLITE_OK) {
			db_error(db, "cannot read the recipient", errbuf,
			    errsz);
			goto out;
		}
		if (db_step(s, "cannot read the recipient", errbuf, errsz) !=
		    SQLITE_ROW) {
			errbuf_set(errbuf, errsz, "recipient %lld not found",
			    (long long)rid);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

int
recipient_set_sms_stopped(sqlite3 *db, int64_t rid, bool stopped,
    bool *changed, char *errbuf, size_t errsz)
{
	return set_flag(db, rid, "UPDATE recipients SET sms_stopped = ?1 "
	    "WHERE id = ?2 AND sms_stopped != ?1", stopped ? 1 : 0, changed,
	    errbuf, errsz);
}

int
recipient_set_consent_call(sqlite3 *db, int64_t rid, bool *changed,
    char *errbuf, size_t errsz)
{
	return set_flag(db, rid, "UPDATE recipients SET consent_call = ?1 "
	    "WHERE id = ?2 AND consent_call != ?1", 1, changed, errbuf,
	    errsz);
}
