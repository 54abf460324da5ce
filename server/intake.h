/*
 * The public intake daemon (`hrpost intake`): the order form, the sealed
 * outbox the console pulls, the public tracking page and the statuses the
 * console pushes for it, Kannel's /sms (server/smsgw.h) and /healthz.
 * It holds the centre's PUBLIC key only: it seals, it can never open.
 *
 * Routes:
 *   GET  /            the order form (language: ?lang=, else
 *                     Accept-Language, else [hrpost] lang)
 *   GET  /style.css   the form's style sheet (templates/html/style.css)
 *   POST /order       application/x-www-form-urlencoded (else 415), at
 *                     most FORM_BODY_MAX bytes (else 413): 200 with the
 *                     confirmation page, 422 with the form and an error
 *                     next to each field at fault
 *   GET  /sms         Kannel's sms-service (server/smsgw.h)
 *   GET  /healthz     200 "ok\n" when intake.db answers, else 503
 *   GET  /outbox      the console's pull, see below
 *   POST /outbox/ack  the console's acknowledgement, see below
 *   GET  /status/high, POST /status
 *                     the console's status push (orders/push.h: the wire
 *                     format; the same bearer token as /outbox)
 *   GET  /t/<code>    the public tracking page, see below
 * Rate limits: [limits] web_per_minute per client address on every route
 * but /healthz, /outbox*, /status* and /sms, and orders_per_hour per
 * address on POST /order; over either: 429, a plain page and Retry-After.
 *
 * The tracking page, GET /t/<code> (or /t/?code=<code>, what its box
 * sends; /t/ alone shows the box): <code> as a person types it (any case,
 * dashes and spaces ignored, I/L read as 1 and O as 0: token_parse()).
 *   200  the parcel's status (received, packed, shipped, delivered,
 *        returned or cancelled) with a short explanation, the steps, and
 *        how to reach the centre ([centre] phone; unset: reply by SMS or
 *        write through the form).  Nothing of the order: no name,
 *        address, phone or contents (intake has none of it in clear).
 *   404  "check the code": the code does not parse (a wrong length or
 *        character, a wrong check character: a typo), decided by its
 *        characters alone, with a box to type it again;
 *   404  "we do not know this code yet": a well-formed code without a
 *        status (orders sent by SMS or phone appear once the console has
 *        pulled and pushed).
 *   429  [limits] track_per_minute misses (either 404) from one address
 *        per minute: then every /t/ request from that address, found or
 *        not, until the bucket refills; other addresses are not touched.
 * Language: ?lang=, else Accept-Language, else [hrpost] lang.  Every page
 * is under INTAKE_PAGE_MAX, sets no cookie, and carries the layer's
 * default headers (Content-Security-Policy, Cache-Control: no-store,
 * Referrer-Policy: no-referrer...).
 *
 * Form fields (a stable interface partner sites may post to):
 *   pseudonym, line (repeated: address lines 2 to 5), poste_restante
 *   (present and not "0": no home address, the parcel waits at the post
 *   office of the postcode), postcode, commune, phone, consent_call,
 *   consent_sms (present and not "0": yes), lang, qty_CODE and
 *   variant_CODE for each pack CODE of the catalogue (qty absent, "" or
 *   "0": not ordered), for_others (how many people, themselves included;
 *   absent: 1), note, idem (the idempotency token the form carries,
 *   1 to 128 printable ASCII characters; absent: a fresh one, so a partner
 *   site that sends none gets no protection against a double submit).
 * Unknown fields are ignored, except qty_X / variant_X for a code X the
 * catalogue does not have: 422 naming that field.  Every field but line
 * is given at most once: a repeated one is 422 naming it (a partner
 * site's form and ours must not disagree on which value counts).
 *
 * The sealed envelope of a web order, sealed to the centre's public key
 * with AAD outbox_aad(centre, idem) ("outbox/<centre>/<idem>"):
 *   {"v":1,"kind":"order","ref":"<TOKEN_REF_DIGITS+1 chars>",
 *    "token":"<TOKEN_TRACK_DIGITS+1 chars>",
 *    "order":<order_encode(ORDER_ENCODE_ALL) object>}
 * (SMS rows carry the envelope server/smsgw.h describes.)
 *
 * Wire format of the console's pull (JSON bodies, UTF-8):
 *
 *   Both (and /status*) need "Authorization: Bearer <[intake] token>".
 *   No header, or not "Bearer <token>": 401 with "WWW-Authenticate:
 *   Bearer".  A wrong token, or [intake] token unset (the outbox is
 *   closed): 403.  The compare is constant-time over SHA-256 digests of
 *   both tokens.
 *
 *   GET /outbox?after=ID&limit=N
 *     after: rows with id > ID (integer >= 0, default 0);
 *     limit: 1 to 500 (default 50).  Anything else: 400.
 *     200 {"orders":[{"id":12,"received_at":1767225600,
 *                     "channel":"web","centre":"demo",
 *                     "idem":"...","sealed":"<base64>"}, ...]}
 *     oldest first, at most limit rows and at most about 3 MiB of
 *     answer (so possibly fewer rows: ask again with after=<last id>
 *     until "orders" is empty); received_at is seconds since the epoch;
 *     channel is "web" or "sms"; sealed is standard base64 (RFC 4648,
 *     with padding, no line breaks) of the seal_seal() blob.
 *
 *   POST /outbox/ack   Content-Type: application/json (else 415),
 *     at most 64 KiB (else 413), body {"ids":[12,13,...]} (integers >= 1,
 *     at most INTAKE_ACK_MAX of them; else 400)
 *     200 {"acked":N}, N the number of ids in the request; the rows are
 *     deleted (outbox_ack(): unknown or already deleted ids are ignored,
 *     so an ack may be repeated safely).
 */
#ifndef HRPOST_INTAKE_H
#define HRPOST_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/util.h"

#define INTAKE_LIST_DEFAULT 50
#define INTAKE_LIST_MAX 500
#define INTAKE_ACK_MAX 5000
#define INTAKE_ACK_BODY_MAX (64 * 1024)
#define INTAKE_PAGE_MAX (30 * 1024)	/* every page must stay under this */

struct intake;

/*
 * Everything privileged, in order: load the public key, the catalogue and
 * the templates, open intake.db (kept open for the daemon's life, see
 * server/privdrop.h), bind @listen (NULL: cfg->intake_listen).  Nothing is
 * served yet.  @cfg is copied.  Returns NULL with the reason in @errbuf.
 * Never opens the private key.
 */
struct intake *intake_open(const struct config *cfg, const char *listen,
    char *errbuf, size_t errsz);

/* The port bound (for --listen 127.0.0.1:0). */
uint16_t intake_port(const struct intake *in);

/*
 * Start serving (after privdrop_drop(), after http_signals_block()).
 * Returns 0 or -1 with the reason in @errbuf.
 */
int intake_start(struct intake *in, char *errbuf, size_t errsz) WUR;

/* Stop serving, finish pending writes, close everything.  NULL is fine. */
void intake_close(struct intake *in);

/*
 * The centre that serves @postcode.  This release serves one centre, the
 * one of [hrpost] centre, whatever the postcode; a routing table by
 * postcode would be read here.  Returns @cfg->centre.
 */
const char *intake_route_centre(const struct config *cfg,
    const char *postcode);

#endif
