/*
 * intake.db: the sealed outbox of the internet-facing intake node.  Each row
 * is one order as received (id, received_at, channel, centre, idempotency
 * key UNIQUE, sealed blob); intake seals with the centre's public key and
 * can never open.  The console pulls rows and acknowledges them, and intake
 * then deletes them (secure_delete overwrites the freed pages).
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
 * data) so that a duplicate can show them again.
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

#endif
