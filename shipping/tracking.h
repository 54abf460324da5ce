/*
 * Carrier tracking with La Poste's Suivi v2 API: a client that asks about
 * up to TRACKING_BATCH_MAX tracking numbers in one GET (libcurl, TLS
 * verified, no redirects, bounded time and body), a parser of its answers
 * (jansson) that turns every documented shape into one result per asked
 * number, and the store side: the list of shipped parcels to poll, and the
 * moves of a parcel and its order to delivered or returned, by the carrier
 * or by staff.
 *
 * What decides is the code of the newest event (the API lists events
 * newest first): DI1 delivered; DI2 (delivered back to the sender) and RE1
 * (returned to sender) returned; the other documented codes leave the
 * parcel in transit.  isFinal alone never decides: it is true for DI1 and
 * DI2 alike.  A code La Poste does not document is kept as the newest
 * event and reported, and the parcel is left as it is.
 *
 * Nothing read from La Poste reaches a message unchecked: tracking numbers
 * are checked before they go into a URL and when they come back, event
 * codes must look like codes, labels lose their control characters, and
 * La Poste's own returnMessage texts are never repeated.  No personal data
 * passes through this module: tracking numbers, references, codes, times.
 *
 * Errors: functions return 0/-1 or an enum and write a sentence into
 * @errbuf (or a result's reason) that never holds the API key.
 */
#ifndef HRPOST_TRACKING_H
#define HRPOST_TRACKING_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "orders/store.h"

#define TRACKING_CARRIER "laposte"	/* parcels.carrier */
#define TRACKING_ID_MIN 11		/* La Poste tracking numbers */
#define TRACKING_ID_MAX 15
#define TRACKING_ID_BYTES (TRACKING_ID_MAX + 1)
#define TRACKING_BATCH_MAX 10		/* ids in one request (the API's) */
#define TRACKING_BODY_MAX (1024 * 1024)	/* larger answers are refused */
#define TRACKING_CODE_MAX 7		/* an event code: A-Z 0-9 */
#define TRACKING_CODE_BYTES (TRACKING_CODE_MAX + 1)
#define TRACKING_LABEL_MAX 255		/* bytes of a label kept */
#define TRACKING_LABEL_BYTES (TRACKING_LABEL_MAX + 1)
#define TRACKING_EVENTS_MAX 500		/* events in one shipment */
#define TRACKING_TIMELINE_MAX 32	/* timeline steps (the API gives 5) */
#define TRACKING_UNKNOWN_MAX 4		/* unknown codes kept per shipment */
#define TRACKING_REASON_MAX 160
#define TRACKING_ERR_MAX 256
#define TRACKING_URL_MAX 512
#define TRACKING_KEY_MAX 128		/* the X-Okapi-Key */
#define TRACKING_CONNECT_TIMEOUT_MS 10000
#define TRACKING_TIMEOUT_MS 30000
#define TRACKING_RETRY_AFTER_MAX 86400	/* seconds a Retry-After may say */
#define TRACKING_RETRIES 3		/* asking again after a 429 */
#define TRACKING_WAIT_MAX 60		/* longest wait on a 429, seconds */
#define TRACKING_PARCELS_MAX (1 << 20)	/* parcels in one round */

/* What one answer says about one tracking number. */
enum tracking_state {
	TRACKING_TRANSIT = 0,	/* newest event known: still on its way */
	TRACKING_DELIVERED,	/* newest event DI1 */
	TRACKING_RETURNED,	/* newest event DI2 or RE1 */
	TRACKING_UNKNOWN,	/* newest event's code is undocumented */
	TRACKING_LATER,		/* not yet available (104) or not answered */
	TRACKING_ERROR,		/* refused (400, 101, 105...) or unusable */
};

struct tracking_result {
	char id[TRACKING_ID_BYTES];	/* the asked number, canonical */
	enum tracking_state state;
	int return_code;		/* La Poste's returnCode; 0: none */
	bool is_final;			/* as La Poste says; informative */
	char code[TRACKING_CODE_BYTES];	/* newest event's code, "" none */
	char label[TRACKING_LABEL_BYTES];	/* its label, cleaned */
	time_t date;			/* its time; 0 when no event */
	size_t nunknown;		/* undocumented codes among events */
	char unknown[TRACKING_UNKNOWN_MAX][TRACKING_CODE_BYTES];
	char reason[TRACKING_REASON_MAX];	/* LATER, ERROR: ours */
};

/* How a request went as a whole. */
enum tracking_status {
	TRACKING_OK = 0,	/* results: one per asked id, in asked order */
	TRACKING_ERR_AUTH,	/* 401 or 403: the key is refused */
	TRACKING_ERR_QUOTA,	/* 429: back off (retry_after) */
	TRACKING_ERR_SERVER,	/* 5xx or another status: try later */
	TRACKING_ERR_BODY,	/* malformed, wrong types, too large */
	TRACKING_ERR_NETWORK,	/* connection, TLS, timeout */
	TRACKING_ERR_INVALID,	/* bad argument (id, count, URL, key) */
};

struct tracking_answer {
	long http_status;		/* 0: no HTTP answer */
	long retry_after;		/* seconds (Retry-After); -1: absent */
	size_t nresults;
	struct tracking_result results[TRACKING_BATCH_MAX];
	char err[TRACKING_ERR_MAX];	/* when not TRACKING_OK */
};

/* Where and how to ask.  The caller owns the strings. */
struct tracking_client {
	const char *url;	/* base: https://api.laposte.fr/suivi/v2 */
	const char *key;	/* X-Okapi-Key (secret) */
	const char *lang;	/* fr_FR or en_GB */
	long connect_timeout_ms;	/* 0: TRACKING_CONNECT_TIMEOUT_MS */
	long timeout_ms;		/* 0: TRACKING_TIMEOUT_MS */
};

/*
 * Check and canonicalise a La Poste tracking number: TRACKING_ID_MIN to
 * TRACKING_ID_MAX ASCII letters and digits, upper-cased into @out.
 * Nothing is trimmed: a number read back from the store or an answer is
 * exact or refused.  Returns 0, or -1 (and @out "").
 */
int tracking_id_check(const char *id, char out[TRACKING_ID_BYTES]) WUR;

/* true when @code is a code the API documents (DI1, ET2...). */
bool tracking_code_known(const char *code);

/* The state the newest event @code means (TRACKING_UNKNOWN if undocumented). */
enum tracking_state tracking_code_state(const char *code);

/* "transit", "delivered", "returned", "unknown", "later", "error". */
const char *tracking_state_name(enum tracking_state s);

/*
 * Parse an answer of HTTP status @http_status with body @body of @len
 * bytes (need not be NUL-terminated; more than TRACKING_BODY_MAX is
 * refused) to a request for the @nids (1 to TRACKING_BATCH_MAX) canonical
 * numbers @ids.  Fills @ans (retry_after -1: the caller reads headers):
 *   200, 207: a unitary response or an array of them, {returnCode,
 *     shipment} or {returnCode, returnMessage, idShip}; 400 and 404: one
 *     {returnCode, returnMessage, idShip}; TRACKING_OK with one result per
 *     asked id in asked order (an id nobody answered is TRACKING_LATER).
 *     A shipment that is malformed but names an asked id is that id's
 *     TRACKING_ERROR; anything that cannot be tied to an asked id, an id
 *     answered twice, bad JSON, wrong types at the top: TRACKING_ERR_BODY.
 *   401, 403: TRACKING_ERR_AUTH; 429: TRACKING_ERR_QUOTA; other statuses:
 *   TRACKING_ERR_SERVER.  Bad arguments: TRACKING_ERR_INVALID.
 * Never reads past @len, never crashes on any input.
 */
enum tracking_status tracking_parse(long http_status, const char *body,
    size_t len, const char *const *ids, size_t nids,
    struct tracking_answer *ans) WUR;

/*
 * Parse a Retry-After value: delta-seconds, or an HTTP date counted from
 * @now.  Returns the seconds to wait (0 for a date already past), or -1
 * when it is neither (or beyond TRACKING_RETRY_AFTER_MAX).
 */
long tracking_retry_after(const char *value, time_t now) WUR;

/*
 * GET <url>/idships/<id1,...>?lang=<lang> with headers X-Okapi-Key and
 * Accept: application/json, and parse the answer into @ans as
 * tracking_parse() does (plus retry_after from a 429's Retry-After).
 * Every id is checked first (TRACKING_ERR_INVALID, nothing sent); the URL
 * must be https, or http to a loopback address (127.0.0.1, [::1],
 * localhost) only, so the key never travels in clear.  TLS peer and host
 * are verified, redirects are not followed, the body is cut off (and the
 * answer refused, TRACKING_ERR_BODY) past TRACKING_BODY_MAX, and the whole
 * request is bounded by the client's timeouts (TRACKING_ERR_NETWORK).
 * The key is wiped from our buffers before return.
 */
enum tracking_status tracking_fetch(const struct tracking_client *cl,
    const char *const *ids, size_t nids, struct tracking_answer *ans) WUR;

/* A shipped parcel the carrier can be asked about. */
struct tracking_parcel {
	int64_t parcel_id;
	int64_t order_id;
	char ref[STORE_REF_MAX];
	char carrier_id[TRACKING_ID_BYTES];
	time_t shipped_at;
};

/*
 * The shipped parcels of centre @centre_id (0: all) carried by
 * TRACKING_CARRIER with a carrier id, oldest shipped first, into a
 * malloc'd array *out of *n (free() it; NULL when none).  A stored carrier
 * id that fails tracking_id_check() is skipped and counted in *bad (may
 * be NULL).  Returns 0, or -1 with @errbuf.
 */
int tracking_shipped(struct store *st, int64_t centre_id,
    struct tracking_parcel **out, size_t *n, size_t *bad, char *errbuf,
    size_t errsz) WUR;

/* Who or what moves a parcel. */
struct tracking_move {
	enum tracking_state to;		/* TRACKING_DELIVERED or _RETURNED */
	time_t at;			/* when it happened; 0: now */
	const char *code;		/* carrier event code, NULL: by hand */
	const char *actor;
};

/*
 * Move order @ref (reference or tracking code, as store_order_get()
 * takes) and its parcel from shipped to delivered or returned in one
 * transaction: the order through store_order_transition_tx() (audit
 * "order.delivered" / "order.returned"), the parcel row, when there is
 * one, to the same status with delivered_at or returned_at = @mv->at
 * (kept between shipping and now), and the audit entry "parcel.delivered"
 * or "parcel.returned" (detail "laposte DI1 <time>" or "by hand").
 * Anything but shipped is refused with the store's sentence and changes
 * nothing.  Returns the store's status, with @errbuf set when not
 * STORE_OK.
 */
enum store_status tracking_move(struct store *st, const char *ref,
    const struct tracking_move *mv, char *errbuf, size_t errsz) WUR;

/*
 * Record the newest event @r says (code, label, time) on parcel
 * @parcel_id (parcels.last_event, last_event_label, last_event_at,
 * tracked_at: centre.db migration 4); a changed code appends the audit
 * entry "parcel.event".  Returns 0 or -1 with @errbuf.
 */
int tracking_note_event(struct store *st, const struct tracking_parcel *p,
    const struct tracking_result *r, const char *actor, char *errbuf,
    size_t errsz) WUR;

/* What a polling round did with one parcel. */
enum tracking_action {
	TRACKING_ACT_DELIVERED = 0,	/* moved to delivered */
	TRACKING_ACT_RETURNED,		/* moved to returned */
	TRACKING_ACT_UNCHANGED,		/* in transit, unknown code, later */
	TRACKING_ACT_ERROR,		/* refused, unusable, not asked */
};

/* "delivered", "returned", "unchanged", "error". */
const char *tracking_action_name(enum tracking_action a);

struct tracking_summary {
	size_t polled;		/* parcels considered */
	size_t delivered;
	size_t returned;
	size_t unchanged;
	size_t errors;
	size_t requests;	/* HTTP requests sent */
	size_t answered;	/* requests that got a usable answer */
};

/*
 * Called once per parcel of a round with what became of it; @r (may be
 * NULL when no answer concerned it) and @why (a sentence for errors and
 * "later", "" otherwise) are only valid during the call.
 */
typedef void (*tracking_report_fn)(const struct tracking_parcel *p,
    const struct tracking_result *r, enum tracking_action act,
    const char *why, void *arg);

/*
 * One polling round: @parcels in batches of TRACKING_BATCH_MAX through
 * tracking_fetch(); each answer applied (tracking_move() for DI1, DI2,
 * RE1; tracking_note_event(); an undocumented code written to stderr as
 * one line with the code and the parcel's reference only).  A 400 naming
 * one number of a batch: that parcel is an error and the rest is asked
 * again.  A 429: wait Retry-After (or 1, 2, 4 s) and ask again, at most
 * @max_retries times, giving up at once when the wait is over
 * @max_wait seconds; then, like a refused key (401) or an unreachable
 * server, the round stops and the parcels not asked are errors.  Other
 * failures of a batch make its parcels errors and the round goes on.
 * Fills @sum.  Returns 0 when at least one request got a usable answer
 * or there was nothing to poll, -1 when nothing could be polled
 * (@errbuf says why).
 */
int tracking_round(struct store *st, const struct tracking_client *cl,
    const struct tracking_parcel *parcels, size_t n, const char *actor,
    int max_retries, long max_wait, tracking_report_fn report, void *arg,
    struct tracking_summary *sum, char *errbuf, size_t errsz) WUR;

#endif
