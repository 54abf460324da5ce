/*
 * The console's pull: fetch the sealed rows the intake node holds for this
 * centre over HTTP(S) with libcurl, apply each with orders/inbox.h, and
 * acknowledge the settled ones so intake deletes them (the wire format is
 * documented in server/intake.h).
 *
 * One call to pull_run() is a round: GET /outbox?after=A&limit=N, apply
 * the rows in order, POST /outbox/ack with the ids settled (applied,
 * duplicate or quarantined), then the next page after the last id seen,
 * until a page comes back short (the outbox is read to its end) or
 * PULL_PAGES_MAX pages were read; then, on the same connection, the
 * status push of orders/push.h (GET /status/high, POST /status), so that
 * the tracking page follows every change made since the last round, by
 * `hrpost pull` and by the console daemon alike.  A crash between
 * applying and acknowledging loses nothing and duplicates nothing: the
 * rows are still at intake, the next round fetches them again, and the
 * inbox sees their keys as already applied (INBOX_DUPLICATE) and
 * acknowledges them.
 *
 * The intake node is untrusted: the connection allows http and https only,
 * follows no redirect, verifies the certificate and the host name for
 * https (CA file from [console] ca_file, else the system's), times out,
 * and refuses a body over PULL_RESPONSE_MAX; the JSON is parsed with
 * jansson (duplicate keys refused), every field checked, base64 decoded
 * strictly within OUTBOX_BLOB_MAX.  The bearer token never appears in a
 * message; the URL may (it holds no credentials: refused when it has
 * user information, a query or a fragment).
 */
#ifndef HRPOST_PULL_H
#define HRPOST_PULL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "orders/inbox.h"

#define PULL_PAGE_DEFAULT 100		/* rows asked per request */
#define PULL_PAGE_MAX 500		/* intake's own limit */
#define PULL_PAGES_MAX 50		/* pages per round */
#define PULL_RESPONSE_MAX (8 * 1024 * 1024)	/* bytes of one answer */
#define PULL_CONNECT_TIMEOUT 10		/* seconds */
#define PULL_TIMEOUT 60			/* seconds per request, all in */
#define PULL_URL_MAX 256
#define PULL_TOKEN_MIN 16
#define PULL_TOKEN_MAX 128

struct pull_config {
	const char *url;	/* "http(s)://host[:port][/path]" of intake */
	const char *token;	/* bearer token ([console] intake_token) */
	const char *ca_file;	/* NULL or "": the system's CAs */
	/*
	 * Or the CA certificates themselves (PEM, @ca_pem_len bytes), read
	 * before a daemon drops privileges; used instead of @ca_file.
	 */
	const void *ca_pem;
	size_t ca_pem_len;
	int page;		/* rows a request (max 500); 0: default */
	/*
	 * Optional, called after each row is settled (for a log line: the
	 * result holds no personal data).  @in is valid during the call.
	 */
	void (*on_row)(const struct inbox_item *in,
	    const struct inbox_result *res, void *arg);
	/*
	 * Optional, asked between two pages and during every transfer:
	 * non-zero ends the round there (a daemon stopping abandons the
	 * request in flight or, between pages, does not start the next;
	 * rows applied and not acknowledged come back as duplicates).
	 */
	int (*stop)(void *arg);
	void *arg;		/* for on_row and stop */
	/*
	 * true: no status push after the round (a test of the pull alone
	 * against a server that knows only /outbox).
	 */
	bool no_push;
};

struct pull_stats {
	int pulled;		/* rows fetched */
	int orders;		/* new orders (web, or SMS to an address) */
	int messages;		/* SMS that became a call-back, STOP or START */
	int duplicates;		/* applied before: acknowledged again */
	int rejected;		/* quarantined, or unreadable rows */
	int acked;		/* ids acknowledged */
	int pages;		/* GET /outbox requests that answered */
	int pushed;		/* statuses pushed (orders/push.h) */
	int push_applied;	/* of which intake changed */
};

/*
 * libcurl's global set-up, once per process before any thread is started
 * (and its counterpart at exit).  Returns 0 or -1.
 */
int pull_global_init(void) WUR;
void pull_global_cleanup(void);

/*
 * Check @url as pull_run() will use it (scheme http or https, a host, no
 * user information, query or fragment, at most PULL_URL_MAX bytes) and
 * @token (PULL_TOKEN_MIN to PULL_TOKEN_MAX characters of A-Z a-z 0-9 - _).
 * Returns 0, or -1 with the reason in @errbuf (never the token).
 */
int pull_check(const char *url, const char *token, char *errbuf,
    size_t errsz) WUR;

/*
 * Read one answer of GET /outbox (@len bytes, at most PULL_RESPONSE_MAX):
 * exactly {"orders":[...]} with at most @limit rows, else -1 with the
 * reason in @errbuf.  For each row whose id is an integer greater than
 * @after and than the row before it, calls @row with the row as an inbox
 * item (fields that are missing or malformed are NULL/0 in it, for the
 * inbox to quarantine; the base64 blob decoded strictly, NULL when it
 * does not decode); other rows cannot be acknowledged and are counted in
 * *skipped.  @row returns 0 to go on, or -1 to stop: pull_parse() then
 * returns -1 (@errbuf is left to @row).  *nrows gets the number of rows.
 * The item is valid during the call only.
 */
int pull_parse(const char *body, size_t len, int limit, int64_t after,
    int (*row)(const struct inbox_item *item, void *arg), void *arg,
    size_t *nrows, size_t *skipped, char *errbuf, size_t errsz) WUR;

/*
 * One round, as above.  @stats (zeroed here) counts what was done, also on
 * failure.  Returns 0 when the outbox was read to its end or PULL_PAGES_MAX
 * pages were read and every settled row was acknowledged, and the status
 * push went through (push_run(), for @ic's store and centre); -1 with the
 * reason in @errbuf (intake unreachable, an HTTP error, a malformed
 * answer, a row that could not be applied: the round stops there, and
 * what was applied but not acknowledged comes back next round as a
 * duplicate; a failed push starts "status push:", after a pull that
 * went through: what it did not push goes next round).  The message
 * names the URL, never the token, never personal data.  A round told to
 * stop pushes nothing.
 */
int pull_run(const struct pull_config *pc, const struct inbox_config *ic,
    struct pull_stats *stats, char *errbuf, size_t errsz) WUR;

#endif
