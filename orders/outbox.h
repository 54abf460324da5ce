/*
 * intake.db: the sealed outbox of the internet-facing intake node.  Each row
 * is one order as received (id, received_at, channel, centre, idempotency
 * key UNIQUE, sealed blob); intake seals with the centre's public key and
 * can never open.  The console pulls rows and acknowledges them, and intake
 * then deletes them (secure_delete overwrites the freed pages).
 *
 * intake.db also holds what the public tracking page (/t/<token>) shows:
 * one row per tracking token with the parcel's public status and when it
 * last changed, and nothing else (a random token and a status are not
 * personal data: no name, address, phone or contents ever comes here).
 * A web order gets its row ("received") in the same transaction as its
 * outbox row; the console pushes every later change (orders/push.h).
 */
#ifndef HRPOST_OUTBOX_H
#define HRPOST_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "orders/order.h"

struct outbox;

#define OUTBOX_IDEM_MAX 128
#define OUTBOX_BLOB_MAX (64 * 1024)
#define OUTBOX_REF_MAX 41	/* a reference or token kept in clear, + NUL */

struct outbox_row {
	int64_t id;
	time_t received_at;
	enum order_channel channel;
	char centre[64];
	char idem[OUTBOX_IDEM_MAX + 1];
	const uint8_t *blob;	/* valid during the callback only */
	size_t bloblen;
};

struct outbox *outbox_open(const char *path, char *errbuf, size_t errsz);
void outbox_close(struct outbox *ob);
const char *outbox_errmsg(const struct outbox *ob);

/*
 * The AAD a blob for (@centre, @idem) is sealed with, into @out.
 * Returns 0 or -1 when it does not fit.
 */
int outbox_aad(const char *centre, const char *idem, char *out,
    size_t outsz) WUR;

/*
 * Store one sealed order.  A second put with the same @idem stores nothing,
 * sets *duplicate and returns 0 with the first row's id.  Returns -1 on
 * error (message in outbox_errmsg()).
 */
int outbox_put(struct outbox *ob, enum order_channel channel,
    const char *centre, const char *idem, const uint8_t *blob, size_t len,
    int64_t *id, bool *duplicate) WUR;

/*
 * One order of a batch for outbox_put_many().  @ref and @token (may be
 * NULL) are the reference and tracking token the channel showed the
 * person; they are kept in clear next to the row (they are not personal
 * data) so that a duplicate can show them again.  A @token that is a
 * tracking token (token_parse()) also gets its tracking row, "received",
 * in the same transaction (not for a duplicate: the first has it).
 */
struct outbox_item {
	/* in */
	enum order_channel channel;
	const char *centre;
	const char *idem;
	const char *ref;
	const char *token;
	const uint8_t *blob;
	size_t len;
	/* out */
	int rc;			/* 0 stored or duplicate; -1 refused */
	int64_t id;		/* the new row, or the first one's */
	bool duplicate;		/* @idem was already used: nothing stored */
	char first_ref[OUTBOX_REF_MAX];	  /* duplicate: first put's ref */
	char first_token[OUTBOX_REF_MAX]; /* duplicate: first put's token */
	char err[160];		/* rc -1: why (never a value) */
};

/*
 * Store @n orders in ONE transaction (one fsync: group commit).  An item
 * whose fields are invalid is refused alone (its rc -1, err set); an
 * @idem already used, also earlier in the same batch, is a duplicate.
 * Returns 0 when the transaction committed (see each item's rc), or -1
 * when nothing was stored (every rc -1; message in outbox_errmsg()).
 */
int outbox_put_many(struct outbox *ob, struct outbox_item *items, size_t n)
    WUR;

/*
 * Call @cb for up to @limit rows of @centre with id > @after, oldest first.
 */
int outbox_list(struct outbox *ob, const char *centre, int64_t after,
    int limit, int (*cb)(const struct outbox_row *row, void *arg),
    void *arg) WUR;

/* Delete acknowledged rows of @centre; unknown ids are ignored. */
int outbox_ack(struct outbox *ob, const char *centre, const int64_t *ids,
    size_t n) WUR;

/* Number of rows waiting for @centre (NULL: all). */
int outbox_count(struct outbox *ob, const char *centre, int64_t *n) WUR;

/* ---- tracking ---------------------------------------------------- */

#define OUTBOX_TOKEN_LEN 17		/* a canonical tracking token */
#define OUTBOX_TRACK_BATCH_MAX 500	/* statuses one apply takes */
#define OUTBOX_TRACK_KEEP (180 * 86400)	/* rows unchanged this long go */

/*
 * The public statuses.  The console's accepted shows as received (the
 * difference means nothing to the person waiting); cancelled is shown as
 * such, so that a cancelled order never leaves a page saying it is on
 * its way.  The order of the values is the lifecycle's: see
 * outbox_track_apply().
 */
enum outbox_track {
	OUTBOX_TRACK_RECEIVED = 0,
	OUTBOX_TRACK_PACKED,
	OUTBOX_TRACK_SHIPPED,
	OUTBOX_TRACK_DELIVERED,
	OUTBOX_TRACK_RETURNED,
	OUTBOX_TRACK_CANCELLED,
};
#define OUTBOX_TRACK_COUNT 6

/* One token's status, as the console pushes it and the page reads it. */
struct outbox_status {
	char token[OUTBOX_TOKEN_LEN + 1];	/* canonical (token_parse) */
	enum outbox_track status;
	int64_t updated_at;	/* seconds since the epoch, >= 0 */
};

/*
 * How far the console's pushes have come: the greatest (updated_at,
 * token) pair, compared on updated_at then token (byte order), of every
 * status ever pushed; {0, ""} before the first push.
 */
struct outbox_mark {
	int64_t at;
	char token[OUTBOX_TOKEN_LEN + 1];
};

/* "received", "packed", "shipped", "delivered", "returned", "cancelled". */
const char *outbox_track_name(enum outbox_track t);
int outbox_track_parse(const char *name, enum outbox_track *out) WUR;

/*
 * Apply @n (at most OUTBOX_TRACK_BATCH_MAX) statuses pushed by the
 * console, in ONE transaction, all or nothing.  A token without a row gets
 * one.  A row gets the pushed status (and its updated_at) when the row was
 * written by intake itself (a web order's "received", whatever the two
 * clocks say), when the pushed status is later in the lifecycle
 * (received < packed < shipped < delivered = returned = cancelled: an
 * order never moves back), or, between two final ones, when it is a
 * different one at least as recent.  So a stale push (two consoles at
 * once) never undoes a newer one, a console whose clock was set back
 * still moves the page forward, and applying the same statuses twice
 * changes nothing.  The mark moves up to the greatest pair of the batch
 * (never down).  Rows unchanged for OUTBOX_TRACK_KEEP are deleted.  *applied
 * (may be NULL) gets the number of rows inserted or changed, @mark (may
 * be NULL) the mark after the batch.  An entry with a token that is not
 * canonical, an unknown status or a negative time refuses the batch.
 * Returns 0, or -1 (message in outbox_errmsg()).
 */
int outbox_track_apply(struct outbox *ob, const struct outbox_status *sts,
    size_t n, size_t *applied, struct outbox_mark *mark) WUR;

/* The mark (see struct outbox_mark).  Returns 0 or -1. */
int outbox_track_mark(struct outbox *ob, struct outbox_mark *mark) WUR;

/*
 * The status of canonical @token into @out.  Returns 1 found, 0 unknown
 * (also for a string that is not a canonical token), -1 error.
 */
int outbox_track_get(struct outbox *ob, const char *token,
    struct outbox_status *out) WUR;

#endif
