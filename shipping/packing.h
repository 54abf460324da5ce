/*
 * Picking, packing and shipping.  Packing an order turns its packs into
 * items (catalogue contents for the chosen variant times the quantity),
 * takes each item from stock lots first-expiry-first-out (FEFO: earliest
 * expiry first, lots without expiry after those with, then the oldest
 * received; a lot past its expiry day is never packed), records which lot
 * went into which parcel (parcels + parcel_lots in centre.db, so a recall
 * of a naloxone lot finds its recipients), and moves the order from
 * accepted to packed, all in one transaction.  Shipping moves packed to
 * shipped and records the carrier's tracking number.  Picking plans a
 * batch without changing anything.
 *
 * What may be printed on the outside of a parcel is the address block
 * (shipping/address.h) and the tracking code; everything here (contents,
 * lots) is for the packing slip inside and for staff.  Nothing in this
 * module reads personal data: it works on clear columns only.
 *
 * Errors: functions return enum packing_status and write a sentence into
 * @errbuf that names items, lots and references, never personal data.
 */
#ifndef HRPOST_PACKING_H
#define HRPOST_PACKING_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "orders/order.h"
#include "orders/store.h"
#include "shipping/catalogue.h"
#include "shipping/stock.h"

#define PACKING_TAKES_MAX 256		/* lot draws in one parcel */
#define PACKING_CARRIER "laposte"	/* parcels.carrier */
#define PACKING_CARRIER_ID_MIN 11	/* La Poste tracking numbers */
#define PACKING_CARRIER_ID_MAX 15
#define PACKING_CARRIER_ID_BYTES (PACKING_CARRIER_ID_MAX + 1)
#define PACKING_PICK_MAX 200		/* orders in one pick batch */
#define PACKING_PICK_DEFAULT 50
#define PACKING_SCAN_MAX 512		/* bytes a scanner may type */

enum packing_status {
	PACKING_OK = 0,
	PACKING_ERR_NOT_FOUND,	/* no such order, lot or parcel */
	PACKING_ERR_STATUS,	/* the order is not in the right status */
	PACKING_ERR_SHORT,	/* not enough usable stock: see the shortages */
	PACKING_ERR_INVALID,	/* bad argument (carrier id, reference) */
	PACKING_ERR_CATALOGUE,	/* an order line's pack or variant is unknown */
	PACKING_ERR_DB,		/* SQLite failed */
};

/* An item and how many of it. */
struct packing_item {
	char item[CATALOGUE_CODE_MAX];
	int qty;
};

/* @qty pieces of @item drawn from lot @lot. */
struct packing_take {
	char item[CATALOGUE_CODE_MAX];
	char lot[STOCK_LOT_BYTES];
	int64_t lot_id;
	time_t expiry;		/* 0: the lot has none */
	int qty;
};

/*
 * A parcel: an order's clear columns, what it holds, and (once packed)
 * which lots went in.  About 20 KB: allocate it, or keep one around.
 */
struct packing_parcel {
	char ref[STORE_REF_MAX];
	char token[STORE_TOKEN_MAX];
	char lang[CATALOGUE_LANG_MAX];	/* the recipient's language */
	char dept[ADDRESS_DEPT_MAX];
	enum order_status status;
	bool flagged;
	char flag_reason[STORE_FLAG_MAX];
	time_t received_at;
	int64_t parcel_id;		/* 0 while not packed */
	char carrier_id[PACKING_CARRIER_ID_BYTES];	/* "" when none */
	time_t packed_at;		/* 0 while not packed */
	time_t shipped_at;		/* 0 while not shipped */
	int weight;			/* grams: the packs' catalogue weights */
	size_t nlines;			/* the order's packs */
	struct order_line lines[ORDER_PACKS_MAX];
	size_t nitems;			/* items the packs hold, summed */
	struct packing_item items[CATALOGUE_ITEMS_MAX];	/* catalogue order */
	size_t ntakes;			/* lots drawn (0 while not packed) */
	struct packing_take takes[PACKING_TAKES_MAX];
};

/* An item packing could not fully take. */
struct packing_short {
	char item[CATALOGUE_CODE_MAX];
	long need;
	long usable;		/* in lots not expired */
};

/* An item that fell under its low threshold by this packing. */
struct packing_low {
	char item[CATALOGUE_CODE_MAX];
	long left;		/* usable after packing */
	int low;
};

struct packing_report {
	size_t nshort;
	struct packing_short shorts[CATALOGUE_ITEMS_MAX];
	size_t nlow;
	struct packing_low lows[CATALOGUE_ITEMS_MAX];
};

/*
 * Turn an order's lines into items (the packs' contents for each line's
 * variant, or the pack's default variant when the line has none, times
 * the quantity), summed per item, in catalogue order, into @p->items; and
 * @p->weight.  @p->lines must be set.  PACKING_ERR_CATALOGUE when a pack
 * or variant is no longer in @cat.
 */
enum packing_status packing_contents(const struct catalogue *cat,
    struct packing_parcel *p, char *errbuf, size_t errsz) WUR;

/*
 * Read order @ref (reference or tracking code, any form store_order_get()
 * takes) as a parcel: clear columns, lines, items (packing_contents()),
 * and when it has been packed its parcel row and the lots drawn.  Returns
 * PACKING_OK, PACKING_ERR_NOT_FOUND, PACKING_ERR_INVALID (a malformed
 * reference), PACKING_ERR_CATALOGUE or PACKING_ERR_DB.
 */
enum packing_status packing_parcel_get(struct store *st,
    const struct catalogue *cat, const char *ref, struct packing_parcel *p,
    char *errbuf, size_t errsz) WUR;

/* true when @p holds item @item (case-insensitive), e.g. "NALOX". */
bool packing_parcel_has_item(const struct packing_parcel *p,
    const char *item);

/*
 * Pack order @ref: it must be accepted.  In one transaction: take every
 * item FEFO from the usable lots, insert the parcel (carrier
 * PACKING_CARRIER, status 'labelled': packed, ready for its label and the
 * carrier) and its parcel_lots rows, move the order to packed
 * (store_order_transition_tx(): audit "order.packed"), and append the
 * audit entry "parcel.pack" (object the ref, detail the lots drawn as
 * "ITEM/LOT xQTY ...", cut with "..." past the audit detail limit).  On
 * success @p is filled as packing_parcel_get() would and @rep (may be
 * NULL) lists the items now under their low threshold (they were at or
 * over it before).
 *
 * Short stock: PACKING_ERR_SHORT, @rep->shorts names every item short
 * with what is needed and usable, @errbuf the first one; nothing is
 * written (no lot touched, status unchanged).  Other errors:
 * PACKING_ERR_NOT_FOUND, PACKING_ERR_STATUS (not accepted; the message
 * names both statuses), PACKING_ERR_INVALID, PACKING_ERR_CATALOGUE,
 * PACKING_ERR_DB; nothing written either.
 */
enum packing_status packing_pack(struct store *st,
    const struct catalogue *cat, const char *ref, const char *actor,
    struct packing_parcel *p, struct packing_report *rep, char *errbuf,
    size_t errsz) WUR;

/*
 * Check and canonicalise a La Poste tracking number: PACKING_CARRIER_ID_MIN
 * to PACKING_CARRIER_ID_MAX ASCII letters and digits (spaces at either end
 * trimmed), upper-cased into @out.  Returns 0, or -1 with @err (field
 * "carrier_id").
 */
int packing_carrier_id_check(const char *id,
    char out[PACKING_CARRIER_ID_BYTES], struct field_error *err) WUR;

/*
 * Ship order @ref: it must be packed.  @carrier_id (NULL: none) is
 * checked with packing_carrier_id_check() and stored on the parcel; one
 * already used by another parcel is PACKING_ERR_INVALID.  In one
 * transaction: the parcel becomes 'shipped' with shipped_at, the order
 * shipped (audit "order.shipped"), and the audit entry "parcel.ship"
 * (detail the carrier id or "no carrier id").  Errors as packing_pack();
 * a bad carrier id is PACKING_ERR_INVALID with @err filled.
 */
enum packing_status packing_ship(struct store *st, const char *ref,
    const char *carrier_id, const char *actor, struct field_error *err,
    char *errbuf, size_t errsz) WUR;

/* Who received a lot. */
struct packing_recipient {
	char ref[STORE_REF_MAX];
	enum order_status status;
	char item[CATALOGUE_CODE_MAX];
	char lot[STOCK_LOT_BYTES];
	int qty;			/* pieces of the lot in that parcel */
	time_t packed_at;
	time_t shipped_at;		/* 0 when not shipped */
};

/*
 * The orders whose parcels hold lot @lot of item @item (NULL: that lot
 * number in any item), oldest packed first: the recall list.  Calls @cb
 * for each; a non-zero return stops early.  Returns PACKING_OK (also when
 * nobody received it, *n = 0), PACKING_ERR_NOT_FOUND when no such lot
 * exists, PACKING_ERR_INVALID for a malformed lot, PACKING_ERR_DB.  *n
 * (may be NULL) counts the calls.
 */
enum packing_status packing_lot_recipients(struct store *st,
    const char *item, const char *lot,
    int (*cb)(const struct packing_recipient *r, void *arg), void *arg,
    size_t *n, char *errbuf, size_t errsz) WUR;

/* A pick list: what to fetch from the shelves for a batch of orders. */
struct packing_pick_total {
	char item[CATALOGUE_CODE_MAX];
	long need;			/* over the whole batch */
	long short_by;			/* 0 when usable stock covers it */
	size_t first_take;		/* into pick->takes */
	size_t ntakes;
};

struct packing_pick {
	size_t nparcels;		/* the batch, oldest first */
	struct packing_parcel *parcels;	/* items set, takes empty */
	size_t ntotals;			/* per item, catalogue order */
	struct packing_pick_total totals[CATALOGUE_ITEMS_MAX];
	size_t ntakes;			/* lots FEFO would draw, per total */
	struct packing_take *takes;
};

/*
 * Plan a batch: the @limit (1..PACKING_PICK_MAX) oldest accepted orders of
 * centre @centre_id (0: all), flagged ones included (parcel->flagged says
 * so); item totals over the batch; the lots FEFO would draw them from
 * (today's usable lots, as packing_pack() would take them one order after
 * another) and how short each item falls.  Reads only; writes nothing.
 * Returns PACKING_OK and *out (free with packing_pick_free()), or an error
 * as packing_parcel_get().
 */
enum packing_status packing_pick(struct store *st,
    const struct catalogue *cat, int64_t centre_id, int limit,
    struct packing_pick **out, char *errbuf, size_t errsz) WUR;

void packing_pick_free(struct packing_pick *pick);

/*
 * Read what a barcode scanner typed for a parcel into a reference or
 * tracking code store_order_get() takes: a bare reference or code (any
 * case, dashes and spaces), or a tracking URL "http(s)://ANY-HOST/t/CODE"
 * (the last path segment after "/t/"; a query or fragment dropped).
 * Trailing CR, LF, tabs and spaces are tolerated.  At most
 * PACKING_SCAN_MAX bytes.  Writes the canonical form into @out (at least
 * STORE_TOKEN_MAX bytes) and returns 0; -1 with @err (field "ref") when it
 * is not one of ours: a URL without "/t/", a code of the wrong length or
 * with characters outside the alphabet ("not an hrpost code"), or a check
 * character that does not match ("has a typo").
 */
int packing_scan_ref(const char *in, char *out, size_t outsz,
    struct field_error *err) WUR;

#endif
