/*
 * GET /sms: the webhook Kannel's smsbox calls for each SMS a person sends
 * (sms-service get-url, see ../shared/INTERFACES.md and README).  This is
 * the logic only, independent of libmicrohttpd: the HTTP layer
 * (server/intake.c) decodes the query string, hands the parameters and the
 * peer address to smsgw_handle(), and sends back what it says.
 *
 * Only Kannel may call: the `secret` parameter must equal [sms] secret
 * (compared in constant time; secret unset: everyone is refused) and, when
 * [sms] allow is set, the peer address must be one of its addresses.
 * Anything else gets 403, the ONLY status other than 200 this answers.
 * Kannel itself always gets 200 with a text/plain reply (any other status
 * makes Kannel send "Could not fetch content" to the phone), even when the
 * SMS is refused: an unknown keyword gets the help text, a sender over
 * [limits] sms_per_hour gets an empty body (with omit-empty, no reply).
 *
 * For the HTTP layer: do not rate-limit /sms per client address.  Kannel
 * is one address for every sender, and a 429 reaches the phone as
 * Kannel's "Could not fetch content"; smsgw limits per sender instead.
 *
 * ORDER, CALL, STOP and START store one sealed envelope in intake.db
 * (orders/sms.h documents it); Kannel's %I is the idempotency key, so a
 * redelivered SMS stores nothing and gets the same reply as the first
 * time.  HELP and unknown texts store nothing.
 */
#ifndef HRPOST_SMSGW_H
#define HRPOST_SMSGW_H

#include <stddef.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "base/config.h"
#include "base/util.h"
#include "shipping/catalogue.h"

/* The longest reply body: one SMS is 160 GSM characters; room for UTF-8. */
#define SMSGW_REPLY_MAX 1024
/* Longest decoded parameter other than text (text: SMS_INPUT_MAX). */
#define SMSGW_PARAM_MAX 256
/* Kannel message ids remembered for a redelivery's same reply. */
#define SMSGW_RECENT 1024

struct smsgw;

/*
 * One call of Kannel's get-url.  @query is the query string AS SENT, still
 * percent-encoded, without the '?' (server/http.h http_query_raw()):
 * smsgw decodes it itself, because the text of a UCS-2 SMS arrives as raw
 * UTF-16BE bytes (NUL bytes and all), which a UTF-8 form decoder rightly
 * refuses.  Parameters read (README has the get-url):
 *   from=%p  the sender          to=%P     the number it was sent to
 *   text=%b  the message         id=%I     Kannel's message id
 *   ts=%T    epoch seconds       coding=%c 0 7-bit, 1 8-bit, 2 UCS-2
 *   secret=  [sms] secret
 * Others are ignored; a known one given twice is refused.  text is %b,
 * not %a: for a UCS-2 SMS %a drops a last 0x20 byte (the low byte of "Р",
 * U+0420) as if it were a trailing space.  Not owned; nothing is kept
 * after smsgw_handle() returns.
 */
struct smsgw_request {
	const char *query;
	size_t query_len;
	/* The TCP peer (libmicrohttpd's MHD_CONNECTION_INFO_CLIENT_ADDRESS). */
	const struct sockaddr *peer;
	socklen_t peerlen;
};

/*
 * What to answer.  @status is 200 or 403.  With 200, send @text (UTF-8,
 * may be empty: then no SMS goes back) as "text/plain; charset=utf-8" and,
 * with @coding 2, the header "X-Kannel-Coding: 2" so Kannel sends it as
 * UCS-2 (the text is not all GSM 03.38); with @coding 0 no such header is
 * needed.  With 403, send a short plain page; @text holds one.
 * @log is a line for the daemon's log (what happened: "order stored",
 * "refused: secret", "from: ...rule..."), never personal data.
 */
struct smsgw_reply {
	int status;
	int coding;
	char text[SMSGW_REPLY_MAX];
	char log[160];
};

/*
 * Open the gateway for the intake daemon: reads the centre's public key
 * ([keys] public), the reply texts (templates/sms/<lang>.ini for every
 * language of @cat), opens its own connection to intake.db ([store]
 * intake_db) and a per-sender rate limiter ([limits] sms_per_hour).  @cfg
 * and @cat must outlive the gateway.  Returns NULL with a message in
 * @errbuf (a bad [sms] allow, a missing key or template...).  An unset
 * [sms] secret is not an error: every request then gets 403.
 */
struct smsgw *smsgw_open(const struct config *cfg,
    const struct catalogue *cat, char *errbuf, size_t errsz);

/* Close; NULL is fine. */
void smsgw_close(struct smsgw *gw);

/*
 * Handle one request; thread-safe (several HTTP threads may call it at
 * once).  Always fills @reply.  Returns 0, or -1 when the SMS could not be
 * stored (intake.db failing): @reply is then a 200 with an empty body so
 * that the person gets no false confirmation, and @log says why; the
 * HTTP layer may log it louder.
 */
int smsgw_handle(struct smsgw *gw, const struct smsgw_request *req,
    struct smsgw_reply *reply) WUR;

#endif
