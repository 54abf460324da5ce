/*
 * The console's inbox: what one sealed row of the intake node's outbox
 * means in centre.db.  The intake node faces the internet and may be taken
 * over, so every row is untrusted input: the blob must open with the
 * centre's private key under the AAD outbox_aad(centre, idem) (a blob
 * moved to another row does not open), the envelope inside must be exactly
 * one of the two documented shapes, and the order in it is validated again
 * (order_decode(ORDER_ENCODE_ALL) runs order_from_input()).
 *
 * Envelopes (the plaintext of the sealed blob, JSON):
 *   web order  {"v":1,"kind":"order","ref":"<ref>","token":"<token>",
 *               "order":<order_encode(ORDER_ENCODE_ALL) object>}
 *              (server/intake.h) -> store_order_import() as accepted,
 *              with the reference and tracking token the person was
 *              shown, flagged when unusual, actor "intake".
 *   SMS        the envelope of orders/sms.h ({"v":1,"kind":"sms",
 *              "command":"order|call|stop|start","from":"+E164",...}),
 *              read again with sms_envelope_decode().  The sender is
 *              found by the keyed pseudonym of the number
 *              (orders/recipient.h):
 *     order  with an address on file: a new order to that address
 *            (store_order_add(), channel sms, the packs of the SMS or,
 *            when it names none, those of the last order); from a number
 *            not on file (or with no address): an urgent call-back task
 *            INBOX_REASON_UNKNOWN_ORDER; an order that does not validate
 *            (a pack the catalogue no longer has...): INBOX_REASON_
 *            ORDER_FAILED.
 *     call   an urgent call-back task INBOX_REASON_CALL; consent to be
 *            called is recorded (they asked).
 *     stop   recipients.sms_stopped = 1;  start: sms_stopped = 0.  From a
 *            number not on file there is nothing to change: recorded, no
 *            recipient created.
 *   Call-back tasks are rows of followups, status open, due one working
 *   day (Monday to Friday) after the SMS was received.  A number not on
 *   file becomes a recipient known by that number only (recipient_add_
 *   phone(): phone_key and the sealed number) so staff can call.  The SMS
 *   text is sealed into followups.sealed_note (plain UTF-8, AAD
 *   "followups/<id>/note").
 *
 * Idempotency: every row carries the outbox's idempotency key (a form
 * token, Kannel's message id).  Orders keep it in orders.idem (unique);
 * everything else is recorded in the table `inbox` of centre.db (idem
 * unique), in the same transaction as the change and its audit entry.
 * A row seen before is INBOX_DUPLICATE and changes nothing, so a console
 * that crashed between applying and acknowledging re-applies safely.
 *
 * Quarantine: a row that does not open, does not parse or does not
 * validate is INBOX_REJECTED: recorded in `inbox` (outcome 'rejected',
 * the reason without personal data, the sealed blob as received, still
 * sealed) with the audit entry "inbox.reject" naming the outbox id, and
 * then acknowledged like any settled row, so that a bad row (a bug, or a
 * compromised intake node) neither blocks the queue nor is fetched and
 * reported again forever, and staff can still examine it.  Only a row
 * whose key itself is malformed cannot be recorded (it is audited).
 *
 * The table `inbox` is created by inbox_apply() when missing (CREATE TABLE
 * IF NOT EXISTS, see INBOX_SCHEMA in inbox.c).
 */
#ifndef HRPOST_INBOX_H
#define HRPOST_INBOX_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "orders/store.h"

struct catalogue;
struct centre_key;

#define INBOX_ENVELOPE_VERSION 1
#define INBOX_ACTOR "intake"
#define INBOX_WHY_MAX 160

/* Reasons of the call-back tasks the inbox creates; all are urgent. */
#define INBOX_REASON_UNKNOWN_ORDER "urgent_sms_order_unknown"
#define INBOX_REASON_ORDER_FAILED "urgent_sms_order_failed"
#define INBOX_REASON_CALL "urgent_sms_call"

/* Everything the inbox needs; not owned. */
struct inbox_config {
	struct store *st;
	const struct centre_key *key;	/* the centre's private key */
	const struct catalogue *cat;
	int64_t centre_id;
	const char *centre;		/* its code: the AAD names it */
	const char *default_lang;	/* [hrpost] lang */
	int flag_qty;			/* [orders] flag_qty */
	int flag_days;			/* [orders] flag_days */
};

/* One outbox row as the console received it; not owned, all untrusted. */
struct inbox_item {
	int64_t id;		/* the outbox row id (>= 1) */
	int64_t received_at;	/* seconds since the epoch */
	const char *channel;	/* "web" or "sms" */
	const char *centre;	/* must be inbox_config's centre */
	const char *idem;	/* the idempotency key */
	const uint8_t *blob;	/* sealed blob; NULL when it did not decode */
	size_t bloblen;
};

enum inbox_outcome {
	INBOX_ORDER = 0,	/* a new order (web, or SMS to an address) */
	INBOX_FOLLOWUP,		/* a call-back task (SMS) */
	INBOX_SMS_STOP,		/* SMS consent withdrawn */
	INBOX_SMS_START,	/* SMS consent given back */
	INBOX_DUPLICATE,	/* applied before: nothing changed */
	INBOX_REJECTED,		/* quarantined, see above */
};

struct inbox_result {
	enum inbox_outcome outcome;
	bool sms;			/* it came as an SMS */
	char ref[STORE_REF_MAX];	/* the order's reference, when one */
	int64_t followup_id;		/* INBOX_FOLLOWUP */
	char why[INBOX_WHY_MAX];	/* INBOX_REJECTED: no personal data */
};

/*
 * Apply one outbox row.  Returns 0 when the row is settled (applied,
 * duplicate, or rejected and quarantined) and may be acknowledged, with
 * @res filled in; -1 when it could not be settled (centre.db failing,
 * sealing failing): nothing of it was written, it must not be
 * acknowledged, and the caller stops the round and tries again later
 * (rows are applied in order: a STOP then a START must not swap).  The
 * reason is in @errbuf, without personal data.  Plaintext is wiped on
 * every path.
 */
int inbox_apply(const struct inbox_config *cfg, const struct inbox_item *in,
    struct inbox_result *res, char *errbuf, size_t errsz) WUR;

/* "order", "followup", "sms_stop", "sms_start", "duplicate", "rejected". */
const char *inbox_outcome_name(enum inbox_outcome o);

#endif
