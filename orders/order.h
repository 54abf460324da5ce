/*
 * An order as a person gives it: who (a chosen name), where (address lines
 * or poste restante, postcode, commune), how to reach them (optional phone,
 * consent to calls and to SMS, language), what (packs, quantities,
 * variants), for how many people, and a free note.
 *
 * Every channel (CLI, phone entry in the console, web form, SMS) fills a
 * struct order_input with the strings it received and calls
 * order_from_input(), which validates every field against the same rules
 * and produces a normalised struct order.  Personal fields live in
 * fixed-size buffers inside struct order so order_clear() can wipe them all.
 *
 * Sealed form: order_encode() writes JSON (jansson) for sealing;
 * order_decode() reads it back and validates again, because a blob coming
 * from the internet-facing intake node is input like any other.
 */
#ifndef HRPOST_ORDER_H
#define HRPOST_ORDER_H

#include <stddef.h>
#include <stdbool.h>

#include "base/util.h"
#include "orders/phone.h"
#include "shipping/address.h"
#include "shipping/catalogue.h"

#define ORDER_PACKS_MAX 16
#define ORDER_INPUT_LINES_MAX 8		/* accepted, to report "too many" */
#define ORDER_NOTE_MAX 500		/* characters */
#define ORDER_NOTE_BYTES (ORDER_NOTE_MAX * 4 + 1)
#define ORDER_QTY_MIN 1
#define ORDER_QTY_MAX 999
#define ORDER_FOR_MAX 50		/* people an order is for, self included */
#define ORDER_ERRORS_MAX 24
#define ORDER_ENCODED_MAX (16 * 1024)

enum order_channel {
	ORDER_CHANNEL_PHONE = 0,
	ORDER_CHANNEL_WEB,
	ORDER_CHANNEL_SMS,
};

enum order_status {
	ORDER_RECEIVED = 0,
	ORDER_ACCEPTED,
	ORDER_PACKED,
	ORDER_SHIPPED,
	ORDER_DELIVERED,
	ORDER_RETURNED,
	ORDER_CANCELLED,
};
#define ORDER_STATUS_COUNT 7

struct order_line {
	char pack[CATALOGUE_CODE_MAX];		/* upper case */
	int qty;
	char variant[CATALOGUE_VARIANT_MAX];	/* "" when the pack has none */
};

struct order {
	/* Personal data: sealed at rest, wiped by order_clear(). */
	char pseudonym[ADDRESS_LINE_BYTES];
	char lines[ADDRESS_LINES_MAX][ADDRESS_LINE_BYTES];
	size_t nlines;
	char postcode[ADDRESS_POSTCODE_LEN + 1];
	char commune[ADDRESS_LINE_BYTES];
	char phone[PHONE_E164_MAX];		/* E.164, "" when none */
	char note[ORDER_NOTE_BYTES];

	/* Clear: statuses, codes and counts only. */
	char dept[ADDRESS_DEPT_MAX];		/* from the postcode */
	char lang[CATALOGUE_LANG_MAX];
	bool consent_call;
	bool consent_sms;
	bool poste_restante;
	int for_people;				/* 1 = for themselves */
	enum order_channel channel;
	struct order_line packs[ORDER_PACKS_MAX];
	size_t npacks;
};

/* Strings as received; not owned; NULL or "" means absent. */
struct order_input {
	const char *pseudonym;
	const char *lines[ORDER_INPUT_LINES_MAX];
	size_t nlines;
	bool poste_restante;
	const char *postcode;
	const char *commune;
	const char *phone;
	bool consent_call;
	bool consent_sms;
	const char *lang;
	struct {
		const char *code;
		const char *qty;	/* NULL: 1 */
		const char *variant;	/* NULL: the pack's default */
	} packs[ORDER_PACKS_MAX + 1];
	size_t npacks;
	const char *for_people;		/* NULL: 1 */
	const char *note;
	enum order_channel channel;
};

/*
 * Validate @in and fill @out.  Returns the number of errors written to
 * @errs (at most @nerrs, one per field at fault, in form order); 0 means
 * @out is a valid order.  Field names are those of the web form and the
 * CLI: "pseudonym", "line", "postcode", "commune", "phone", "consent_sms",
 * "lang", "pack", "qty_CODE", "variant_CODE", "for_others", "note".
 * @default_lang is used when @in->lang is absent.
 */
size_t order_from_input(const struct order_input *in,
    const struct catalogue *cat, const char *default_lang,
    struct order *out, struct field_error *errs, size_t nerrs);

/* Total number of packs in the order (sum of quantities). */
int order_total_packs(const struct order *o);

/* Wipe every field.  NULL is fine. */
void order_clear(struct order *o);

enum order_encode_what {
	ORDER_ENCODE_PII,	/* personal fields only (centre.db rows) */
	ORDER_ENCODE_ALL,	/* the whole order (intake outbox) */
};

/*
 * JSON for sealing.  *out is malloc'd, NUL-terminated; the caller wipes and
 * frees it with str_wipe_free().  Returns 0 or -1.
 */
int order_encode(const struct order *o, enum order_encode_what what,
    char **out, size_t *outlen) WUR;

/*
 * Read JSON written by order_encode() back into @o.  With ORDER_ENCODE_PII
 * only the personal fields are set (the rest of @o is left as is); with
 * ORDER_ENCODE_ALL the whole order is read and validated with @cat as if it
 * came from order_from_input().  Returns 0 or -1 with @err.
 */
int order_decode(const char *json, size_t len, enum order_encode_what what,
    const struct catalogue *cat, struct order *o,
    struct field_error *err) WUR;

const char *order_status_name(enum order_status st);
int order_status_parse(const char *name, enum order_status *out) WUR;
const char *order_channel_name(enum order_channel ch);
int order_channel_parse(const char *name, enum order_channel *out) WUR;

#endif
