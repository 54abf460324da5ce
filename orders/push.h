/*
 * The console's status push: after every pull round (orders/pull.h), the
 * console tells the intake node the public status of every order that
 * changed since the last push, so that the tracking page /t/<token>
 * (server/intake.h) follows the parcel.  Only a tracking token, a status
 * and a time cross: never a name, an address, a phone or the contents.
 *
 * Statuses: received and accepted show as "received"; packed, shipped,
 * delivered, returned as themselves; cancelled as "cancelled" (so that a
 * cancelled order never leaves a page saying it is on its way; the page
 * says it will not be sent and how to reach the centre).
 *
 * Where the push stands is kept by the intake node, not by the console:
 * the mark (orders/outbox.h) is the greatest (updated_at, token) pair the
 * intake has been pushed, moved in the same transaction as the statuses.
 * The console asks for it at the start of each round, so a console that
 * runs privilege-dropped needs no writable state, several consoles
 * (`hrpost pull` from cron next to the daemon) agree, and an intake node
 * whose intake.db was lost or restored from a backup reports an older
 * mark and is pushed everything it lacks again.
 *
 * A round (push_run()):
 *   1. GET /status/high: the mark M.
 *   2. Again the orders changed in the PUSH_OVERLAP seconds up to M, at
 *      most one batch, newest first: a change stamped with the same second
 *      as M after M was pushed (pack, push, ship within a second), or one
 *      whose transaction read the clock before a later one committed, is
 *      not missed.  Applying a status twice changes nothing.
 *   3. Every order after M (updated_at, then token), oldest first, in
 *      batches of at most PUSH_BATCH_MAX, at most PUSH_BATCHES_MAX
 *      batches a round (the rest goes next round).
 *   When M is ahead of the console's clock (the clock was set back),
 *   steps 2 and 3 start from PUSH_OVERLAP seconds before now instead, so
 *   changes made meanwhile still go out.
 *
 * Wire format (both requests carry "Authorization: Bearer <[console]
 * intake_token>", as /outbox; 401 without, 403 when wrong):
 *
 *   GET /status/high
 *     200 {"high_at":N,"high_token":"<token>"}   ({"high_at":0,
 *     "high_token":""} before the first push)
 *
 *   POST /status   Content-Type: application/json, at most PUSH_BODY_MAX
 *     bytes (413), exactly {"statuses":[{"token":"<canonical tracking
 *     token>","status":"received|packed|shipped|delivered|returned|
 *     cancelled","updated_at":N}, ...]} with at most PUSH_BATCH_MAX
 *     entries, N a whole number 0 to PUSH_AT_MAX (else 400, nothing
 *     stored)
 *     200 {"applied":A,"high_at":N,"high_token":"<token>"}: A statuses
 *     inserted or changed (outbox_track_apply()), and the mark after.
 */
#ifndef HRPOST_PUSH_H
#define HRPOST_PUSH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "base/util.h"
#include "orders/order.h"
#include "orders/outbox.h"

struct store;

#define PUSH_BATCH_MAX OUTBOX_TRACK_BATCH_MAX	/* statuses a request */
#define PUSH_BATCHES_MAX 20			/* POST /status a round */
#define PUSH_OVERLAP 30				/* seconds pushed again */
#define PUSH_BODY_MAX (64 * 1024)		/* a POST /status body */
#define PUSH_ANSWER_MAX 256			/* an answer of intake's */
#define PUSH_AT_MAX ((int64_t)1 << 40)		/* largest updated_at */

/* The public status of an order status (see above). */
enum outbox_track push_track_of(enum order_status st);

/*
 * The body of POST /status for @n (at most PUSH_BATCH_MAX) statuses.
 * *body is malloc'd, NUL-terminated (caller frees), *len its length.
 * Returns 0, or -1 on a status that would not decode or no memory.
 */
int push_encode(const struct outbox_status *sts, size_t n, char **body,
    size_t *len) WUR;

/*
 * Read a POST /status body (@len bytes, untrusted) into @out (room for
 * @max entries; at most PUSH_BATCH_MAX are accepted), the count in *n.
 * Returns 0, or -1 with the reason in @errbuf (the entry's index and the
 * field, never a value).
 */
int push_decode(const char *body, size_t len, struct outbox_status *out,
    size_t max, size_t *n, char *errbuf, size_t errsz) WUR;

/* An answer of intake's: applied is -1 in the answer to GET /status/high. */
struct push_answer {
	int64_t applied;
	struct outbox_mark mark;
};

/*
 * The answer's JSON (see above) into @out of @outsz bytes: with
 * "applied" when @applied >= 0.  Returns its length, or -1 when the mark
 * is malformed or it does not fit.
 */
int push_answer_encode(int64_t applied, const struct outbox_mark *mark,
    char *out, size_t outsz) WUR;

/*
 * Read an answer of intake's (@len bytes, untrusted): exactly the keys
 * above, "applied" present when @with_applied, high_at 0 to PUSH_AT_MAX,
 * high_token "" or a canonical token (and "" only with high_at 0).
 * Returns 0, or -1 with the reason in @errbuf.
 */
int push_answer_decode(const char *body, size_t len, bool with_applied,
    struct push_answer *a, char *errbuf, size_t errsz) WUR;

enum push_way {
	PUSH_AFTER,	/* strictly after @from, oldest first */
	PUSH_UPTO,	/* at or before @from and updated_at >= @floor_at,
			   newest first */
};

/*
 * Read up to @max (1 to PUSH_BATCH_MAX) orders of centre @centre_id from
 * centre.db (@st), in @way from @from, as public statuses into @out (*n
 * of them).  *last (may be NULL) gets the (updated_at, token) pair of the
 * last row read, @from when none was: a row whose token is not canonical
 * (none should be) is skipped but still moves *last, so it never stalls
 * a push.  Returns 0, or -1 with the reason in @errbuf.
 */
int push_collect(struct store *st, int64_t centre_id, enum push_way way,
    const struct outbox_mark *from, int64_t floor_at,
    struct outbox_status *out,
    size_t max, size_t *n, struct outbox_mark *last, char *errbuf,
    size_t errsz) WUR;

/*
 * How push_run() talks to the intake node (orders/pull.c gives it its
 * own connection, so TLS checks and limits are the pull's).
 */
struct push_io {
	/*
	 * One request to @path: GET when @body is NULL, else POST of the
	 * JSON @body.  Answers 0 with a 200 JSON answer in *answer (valid
	 * until the next call) and *len, or -1 with the reason in @errbuf
	 * (never the token).
	 */
	int (*request)(void *arg, const char *path, const char *body,
	    const char **answer, size_t *len, char *errbuf, size_t errsz);
	/* Optional: non-zero ends the round between two requests. */
	int (*stop)(void *arg);
	void *arg;
	size_t batch;		/* statuses a request; 0: PUSH_BATCH_MAX */
};

struct push_stats {
	int sent;		/* statuses sent */
	int applied;		/* of which the intake node changed */
	int requests;		/* requests answered */
};

/*
 * One round, as above, for centre @centre_id of @st.  @stats (zeroed
 * here) counts what was done, also on failure.  Returns 0 when every
 * change was pushed (or PUSH_BATCHES_MAX batches were), or when stopped;
 * -1 with the reason in @errbuf (the next round pushes again what was
 * not applied: nothing is lost, nothing doubled).
 */
int push_run(const struct push_io *io, struct store *st, int64_t centre_id,
    struct push_stats *stats, char *errbuf, size_t errsz) WUR;

#endif
