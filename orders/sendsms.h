/*
 * Kannel's sendsms: one SMS from the centre to a phone (an invitation to
 * call, the coordinator's digest) through smsbox's cgi-bin/sendsms, with
 * libcurl.
 *
 * The request is a POST whose body is the text (Content-Type "text/plain;
 * charset=UTF-8") and whose parameters travel as Kannel's headers
 * (X-Kannel-Username, X-Kannel-Password, X-Kannel-From, X-Kannel-To,
 * X-Kannel-Coding 0 or 2 from orders/sms.h's GSM check): neither the
 * receiver's number nor the password nor the text is ever part of a URL,
 * so no proxy, access log or error message repeats them.  (Kannel 1.4.5
 * refuses a form-encoded POST; GET would put them in the URL.)
 *
 * Answers: 202 with "0: Accepted for delivery" or "3: Queued for later
 * delivery" (no SMSC connected now: Kannel delivers it later) are
 * success; 403 bad credentials, 400 refused (missing or denied receiver,
 * empty text), 503 try later, 500 failed, any other status or body an
 * error.  The URL must be https (certificate and host verified; CA from
 * the config's PEM or the system's), or http to a loopback address only;
 * redirects are not followed, the answer is read up to SENDSMS_ANSWER_MAX
 * bytes, the whole request is bounded by a timeout.  Messages name the
 * URL and the status, never the password, the number or the text.
 */
#ifndef HRPOST_SENDSMS_H
#define HRPOST_SENDSMS_H

#include <stddef.h>
#include <stdbool.h>

#include "base/util.h"

#define SENDSMS_URL_MAX 256
#define SENDSMS_FIELD_MAX 128		/* user, password, sender */
#define SENDSMS_TEXT_MAX 1024		/* bytes of one text (UTF-8) */
#define SENDSMS_ANSWER_MAX 4096		/* bytes of Kannel's answer read */
#define SENDSMS_CONNECT_TIMEOUT_MS 5000
#define SENDSMS_TIMEOUT_MS 15000
#define SENDSMS_ERR_MAX 256

/* Where and as whom; the caller owns the strings. */
struct sendsms_config {
	const char *url;	/* [sms] sendsms_url */
	const char *user;	/* [sms] sendsms_user */
	const char *password;	/* [sms] sendsms_password (secret) */
	const char *from;	/* [sms] sender; NULL or "": Kannel's default */
	const void *ca_pem;	/* CA certificates (PEM) for https, or NULL */
	size_t ca_pem_len;
	const char *ca_file;	/* or a CA file; neither: the system's */
	long connect_timeout_ms;	/* 0: SENDSMS_CONNECT_TIMEOUT_MS */
	long timeout_ms;		/* 0: SENDSMS_TIMEOUT_MS */
};

enum sendsms_status {
	SENDSMS_OK = 0,		/* accepted or queued by Kannel */
	SENDSMS_ERR_INVALID,	/* bad argument or config: nothing sent */
	SENDSMS_ERR_AUTH,	/* 403: sendsms-user refused */
	SENDSMS_ERR_REFUSED,	/* 400: receiver or text refused */
	SENDSMS_ERR_BUSY,	/* 503: try again later */
	SENDSMS_ERR_FAILED,	/* 500: Kannel failed */
	SENDSMS_ERR_ANSWER,	/* another status, or a 202 we do not know */
	SENDSMS_ERR_NETWORK,	/* connection, TLS, timeout */
};

/* "ok", "invalid", "auth", "refused", "busy", "failed", "answer", "network". */
const char *sendsms_status_name(enum sendsms_status s);

/*
 * Check @c before use: a URL as above (http only to 127.0.0.0/8, [::1] or
 * localhost), user and password set, each field printable ASCII of at
 * most SENDSMS_FIELD_MAX bytes, the sender (when set) a phone number or a
 * short code of letters and digits.  Returns 0, or -1 with @errbuf
 * (naming the [sms] key, never its value).
 */
int sendsms_check(const struct sendsms_config *c, char *errbuf,
    size_t errsz) WUR;

/*
 * What Kannel's answer of HTTP status @http with body @body (@len bytes,
 * need not be NUL-terminated) means; *queued (may be NULL) is true for
 * "3: Queued for later delivery".
 */
enum sendsms_status sendsms_answer(long http, const char *body, size_t len,
    bool *queued);

/*
 * Send @text (UTF-8, 1 to SENDSMS_TEXT_MAX bytes, no NUL; coding 0 when
 * orders/sms.h's sms_gsm7() accepts it, else 2) to @to (E.164).
 * Returns SENDSMS_OK (and *queued, may be NULL), or an error with the
 * reason in @errbuf.
 */
enum sendsms_status sendsms_send(const struct sendsms_config *c,
    const char *to, const char *text, bool *queued, char *errbuf,
    size_t errsz) WUR;

#endif
