/*
 * Recipients of centre.db as the console's other modules need them: the
 * keyed pseudonym of a phone number (the same derivation orders/store.c
 * uses when it links an order, so a number found here is the number an
 * order was linked by), finding a recipient by it, opening what is on
 * file, the packs of their last order, and the two writes the SMS channel
 * makes (a recipient known only by a phone number, SMS consent withdrawn
 * or given back).
 *
 * A recipient's sealed column ("recipients/<id>/pii") holds one of two
 * JSON documents: what order_encode(ORDER_ENCODE_PII) writes (the address
 * on file, written by orders/store.c), or, for someone known only by the
 * number they texted from, {"v":1,"what":"phone","phone":"+E164"}
 * (written by recipient_add_phone()).  recipient_load() reads both.
 *
 * Functions that write run inside the caller's open transaction (BEGIN
 * IMMEDIATE, the work, audit_append(), COMMIT), as audit_append() does;
 * they return 0, or -1 with a message in @errbuf that never contains
 * personal data.
 */
#ifndef HRPOST_RECIPIENT_H
#define HRPOST_RECIPIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include <sqlite3.h>

#include "base/util.h"
#include "crypto/pseudonym.h"
#include "orders/order.h"

struct centre_key;

/* What is on file for one recipient; wipe with recipient_clear(). */
struct recipient {
	int64_t id;
	char lang[CATALOGUE_LANG_MAX];
	bool consent_call;
	bool consent_sms;
	bool sms_stopped;
	bool do_not_call;
	/*
	 * true when @pii holds an address (pseudonym, lines, postcode,
	 * commune); false for a recipient known by phone only, or whose
	 * sealed data no longer opens (an old key): then only @pii.phone
	 * may be set.
	 */
	bool has_address;
	struct order pii;	/* personal fields only; the rest is zero */
};

/*
 * The keyed pseudonym of the E.164 number @e164 under @key's pepper,
 * domain "phone": the value of recipients.phone_key.  Returns 0, or -1
 * (empty number, OpenSSL failure) with @out zeroed.
 */
int recipient_phone_key(const struct centre_key *key, const char *e164,
    uint8_t out[PSEUDONYM_LEN]) WUR;

/*
 * The recipient of centre @centre_id whose phone_key is @phone_key:
 * *found tells whether there is one, *rid its id.  Returns 0 or -1.
 */
int recipient_find_phone(sqlite3 *db, int64_t centre_id,
    const uint8_t phone_key[PSEUDONYM_LEN], int64_t *rid, bool *found,
    char *errbuf, size_t errsz) WUR;

/*
 * Read recipient @rid into @r and open its sealed data with @key (AAD
 * "recipients/<id>/pii").  Sealed data that does not open or does not
 * decode is not an error: @r then has has_address false and no phone (a
 * call-back task is the answer, never a lost request).  The plaintext is
 * wiped before returning; the caller wipes @r with recipient_clear().
 * Returns 0, or -1 when the row cannot be read (no such recipient
 * included).
 */
int recipient_load(sqlite3 *db, const struct centre_key *key, int64_t rid,
    struct recipient *r, char *errbuf, size_t errsz) WUR;

/* Wipe @r.  NULL is fine. */
void recipient_clear(struct recipient *r);

/*
 * The lines of recipient @rid's most recent order that was not cancelled
 * (most recent by received_at, then id) into @packs (room for
 * ORDER_PACKS_MAX); *n is 0 when there is none.  Returns 0 or -1.
 */
int recipient_last_packs(sqlite3 *db, int64_t rid,
    struct order_line packs[ORDER_PACKS_MAX], size_t *n, char *errbuf,
    size_t errsz) WUR;

/*
 * Inside the caller's transaction: add a recipient of centre @centre_id
 * known only by the E.164 number @e164: its keyed pseudonym in phone_key,
 * the number sealed to @key's public key in the phone-only form above,
 * language @lang, consent to calls @consent_call.  A recipient with that
 * phone_key already there is an error (look first).  Writes the new id to
 * *rid.  Returns 0 or -1.
 */
int recipient_add_phone(sqlite3 *db, const struct centre_key *key,
    int64_t centre_id, const char *e164, const char *lang, bool consent_call,
    time_t now, int64_t *rid, char *errbuf, size_t errsz) WUR;

/*
 * Inside the caller's transaction: set recipient @rid's sms_stopped
 * (STOP: true, START: false).  *changed tells whether the column took a
 * new value.  Returns 0, or -1 (no such recipient included).
 */
int recipient_set_sms_stopped(sqlite3 *db, int64_t rid, bool stopped,
    bool *changed, char *errbuf, size_t errsz) WUR;

/*
 * Inside the caller's transaction: set recipient @rid's consent_call
 * (someone who texts asking to be called back agrees to that call).
 * *changed as above.  Returns 0, or -1 (no such recipient included).
 */
int recipient_set_consent_call(sqlite3 *db, int64_t rid, bool *changed,
    char *errbuf, size_t errsz) WUR;

#endif
