/*
 * The HTTP layer both daemons share: libmicrohttpd glue, a route table,
 * bounded request bodies, safe default headers, one log line a request.
 *
 * A daemon fills a struct http_config (listen address, threads, routes,
 * an optional gate), calls http_server_bind() while still privileged (the
 * socket is bound and listening, nothing is served yet), opens what else
 * it needs, drops privileges (server/privdrop.h), then http_server_start()
 * starts the libmicrohttpd thread pool on that socket.  The main thread
 * then waits for SIGTERM/SIGINT with http_signals_wait() and calls
 * http_server_free(), which stops accepting, lets running handlers finish
 * and closes everything.
 *
 * Per request the layer:
 *   1. finds the route (method + exact path, or path prefix); HEAD is
 *      served by a GET route; a known path with another method gets 405
 *      with Allow, an unknown path 404 (both after the gate);
 *   2. calls the gate (if any) as soon as the headers are in, before any
 *      body byte is read: this is where rate limits answer 429 cheaply;
 *   3. reads the body into a buffer bounded by the route's body_max: a
 *      Content-Length over it, or more bytes than it, is answered 413 at
 *      once with a plain page, without reading the rest;
 *   4. decodes the query string with server/form (a malformed query is
 *      not an error at this level: req->query is then empty and
 *      req->query_error says why; the handler decides);
 *   5. calls the handler, which fills a struct http_response;
 *   6. adds the default headers the handler did not set itself:
 *        X-Content-Type-Options: nosniff
 *        Referrer-Policy: no-referrer
 *        X-Frame-Options: DENY
 *        Content-Security-Policy: HTTP_CSP_DEFAULT
 *        Cache-Control: no-store
 *      (a handler may replace any of them with http_response_header(),
 *      e.g. a cacheable /style.css);
 *   7. logs one line on stderr: "<name>: <METHOD> <route> <status>
 *      <ms>ms", where <route> is the route's own path (a prefix route logs
 *      its prefix followed by '*', no route logs "-"): never the request's
 *      path as sent, never a query string, a header or a body, so nothing
 *      personal (a tracking token in /t/<token>, a phone number someone
 *      typed in a URL) reaches the log.
 *
 * Handlers run on the thread pool, several at a time: what they share
 * (the app pointer) must be thread-safe.  A handler that returns -1 gets
 * a plain 500 page: that is for genuine internal failures (allocation, a
 * database that does not answer), never for bad input, which is 4xx.
 *
 * Flood resistance: every limit is a named constant below or a field of
 * struct http_config: connections per client address (MHD's per-IP
 * limit), total connections, idle timeout, memory per connection (which
 * also bounds the request line and headers: over it, libmicrohttpd
 * answers 413/414/431 by itself), body size per route.
 */
#ifndef HRPOST_HTTP_H
#define HRPOST_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/socket.h>

#include "base/util.h"
#include "server/form.h"

#define HTTP_THREADS_MAX 64
#define HTTP_TIMEOUT_DEFAULT 15			/* idle seconds */
#define HTTP_PER_IP_DEFAULT 32			/* connections per address */
#define HTTP_CONNS_DEFAULT 1024			/* connections in all */
#define HTTP_CONN_MEMORY_DEFAULT (32 * 1024)	/* bytes per connection */
#define HTTP_RESPONSE_HEADERS_MAX 8
#define HTTP_HEADER_NAME_MAX 64
#define HTTP_HEADER_VALUE_MAX 512
#define HTTP_CONTENT_TYPE_MAX 96
#define HTTP_ADDR_MAX 64			/* client address as text */
#define HTTP_RESPONSE_MAX (4 * 1024 * 1024)	/* largest body a handler may set */
#define HTTP_BODY_ABS_MAX (1024 * 1024)		/* largest body_max a route may ask */

/*
 * No script at all, styles only from our own /style.css, forms only to
 * ourselves, no framing, no base tag, no plugins.  Inline SVG (the QR
 * code) needs nothing more: it is markup, not an image request.
 */
#define HTTP_CSP_DEFAULT "default-src 'none'; style-src 'self'; " \
	"img-src 'self'; form-action 'self'; base-uri 'none'; " \
	"frame-ancestors 'none'"

#define HTTP_CT_HTML "text/html; charset=utf-8"
#define HTTP_CT_TEXT "text/plain; charset=utf-8"
#define HTTP_CT_JSON "application/json"
#define HTTP_CT_CSS "text/css; charset=utf-8"

struct http_route;

struct http_request {
	const char *method;	/* as sent, e.g. "GET", "HEAD", "POST" */
	const char *path;	/* percent-decoded path, without the query */
	/* Decoded query string; never NULL (empty when none or malformed). */
	const struct form *query;
	/* NULL, or why the query string was refused (then query is empty). */
	const struct field_error *query_error;
	/*
	 * The request's media type, lower case, without parameters
	 * ("application/x-www-form-urlencoded"); "" when there is none.
	 */
	const char *content_type;
	/*
	 * The body, NUL-terminated (body[body_len] == '\0'; it may contain
	 * other NULs: use body_len); "" when there is none.  At most the
	 * route's body_max bytes.  Owned by the layer, valid during the
	 * handler only.  In the gate it is always "" (not read yet).
	 */
	const char *body;
	size_t body_len;
	const char *client;	/* client address as text: "127.0.0.1", "::1" */
	const struct http_route *route;	/* matched route; NULL in the gate
					   when no route matches */
	void *conn;		/* internal: the libmicrohttpd connection */
	void *priv;		/* internal: the layer's request state */
};

struct http_response_header {
	char name[HTTP_HEADER_NAME_MAX];
	char value[HTTP_HEADER_VALUE_MAX];
};

/*
 * What a handler answers.  The layer hands the handler a zeroed struct;
 * status 0 after the handler returned 0 is an internal error (500).
 * @body is malloc'd and owned by the response: the layer frees it after
 * sending (set it through the http_response_* calls below, which free a
 * body set before).  An empty @content_type means HTTP_CT_HTML.
 */
struct http_response {
	int status;
	char content_type[HTTP_CONTENT_TYPE_MAX];
	char *body;
	size_t body_len;
	size_t nheaders;
	struct http_response_header headers[HTTP_RESPONSE_HEADERS_MAX];
};

/*
 * A handler: read @req, fill @resp, return 0; or return -1 on an internal
 * failure (the layer then answers a plain 500 and frees what @resp holds).
 * @app is struct http_config's app pointer.
 */
struct http_route {
	const char *method;	/* "GET" (also serves HEAD) or "POST" ... */
	const char *path;	/* "/order"; with HTTP_ROUTE_PREFIX, "/t/" */
	unsigned flags;		/* HTTP_ROUTE_* */
	unsigned tag;		/* free for the application (the gate sees it) */
	/* Largest body accepted, <= HTTP_BODY_ABS_MAX; 0: none (a body is 413). */
	size_t body_max;
	int (*handler)(const struct http_request *req,
	    struct http_response *resp, void *app);
};

#define HTTP_ROUTE_PREFIX (1u << 0)	/* path is a prefix, not exact */

struct http_config {
	const char *name;	/* log prefix, e.g. "intake" */
	/* "ADDR:PORT" or "[IPv6]:PORT"; port 0 picks a free port. */
	const char *listen;
	unsigned threads;	/* 1..HTTP_THREADS_MAX */
	unsigned timeout;	/* idle seconds; 0: HTTP_TIMEOUT_DEFAULT */
	unsigned per_ip;	/* per address; 0: HTTP_PER_IP_DEFAULT */
	unsigned max_conns;	/* 0: HTTP_CONNS_DEFAULT */
	size_t conn_memory;	/* 0: HTTP_CONN_MEMORY_DEFAULT */
	/* Not copied: must outlive the server.  First match wins. */
	const struct http_route *routes;
	size_t nroutes;
	/*
	 * Optional, called once per request with the headers in and no body
	 * read (req->body is "", req->query is decoded, req->route may be
	 * NULL).  Returns 0 to go on, 1 when it filled @resp (sent at once,
	 * e.g. 429), -1 on an internal failure (500).
	 */
	int (*gate)(const struct http_request *req,
	    struct http_response *resp, void *app);
	void *app;
	bool quiet;		/* true: no request log lines (benchmarks) */
};

struct http_server;

/*
 * Parse "ADDR:PORT" (IPv4 dotted quad, or "[IPv6]:PORT"; numeric only, no
 * names: a daemon must not depend on DNS to start) into @ss/@sslen.
 * Returns 0, or -1 with the reason in @errbuf.
 */
int http_parse_listen(const char *s, struct sockaddr_storage *ss,
    socklen_t *sslen, char *errbuf, size_t errsz) WUR;

/*
 * Check @cfg, parse its listen address, create the socket (SO_REUSEADDR,
 * IPV6_V6ONLY for IPv6, close-on-exec, non-blocking), bind and listen.
 * Nothing is served until http_server_start().  @cfg is copied, but not
 * the routes it points to.  Returns NULL with the reason in @errbuf
 * ("cannot bind 127.0.0.1:8080: Address already in use").
 */
struct http_server *http_server_bind(const struct http_config *cfg,
    char *errbuf, size_t errsz);

/* The port actually bound (useful after port 0). */
uint16_t http_server_port(const struct http_server *srv);

/*
 * Start serving on the bound socket: libmicrohttpd with its own polling
 * threads (epoll, a pool of cfg->threads), the limits of @cfg.  Call
 * http_signals_block() before, so the new threads do not take SIGTERM.
 * Returns 0, or -1 with the reason in @errbuf.
 */
int http_server_start(struct http_server *srv, char *errbuf,
    size_t errsz) WUR;

/*
 * Stop serving (waits for running handlers), close the socket, free.
 * NULL is fine; a server never started is just closed.
 */
void http_server_free(struct http_server *srv);

/*
 * First value of request header @name (case-insensitive), or NULL.  Owned
 * by the layer, valid during the handler/gate only.
 */
const char *http_header(const struct http_request *req, const char *name);

/*
 * The client's socket address (libmicrohttpd's
 * MHD_CONNECTION_INFO_CLIENT_ADDRESS), its length in *len (may be NULL);
 * NULL when unknown.  Valid during the handler/gate only.
 */
const struct sockaddr *http_peer(const struct http_request *req,
    socklen_t *len);

/*
 * The query string as sent, still percent-encoded (without the '?'), and
 * its length in *len (may be NULL); "" when none, NULL when it was over
 * FORM_BODY_MAX.  For a handler that must decode differently from
 * server/form (e.g. to carry NUL bytes): it then applies its own limits.
 */
const char *http_query_raw(const struct http_request *req, size_t *len);

/*
 * Set the body, taking ownership of the malloc'd @body of @len bytes
 * (freed by the layer, also on error: here or later).  @content_type NULL
 * means HTTP_CT_HTML.  Returns 0, or -1 (and frees @body) when @len is
 * over HTTP_RESPONSE_MAX or @content_type too long.
 */
int http_response_take(struct http_response *resp, int status,
    const char *content_type, char *body, size_t len) WUR;

/* The same with a copy of @len bytes at @data.  Returns 0 or -1. */
int http_response_copy(struct http_response *resp, int status,
    const char *content_type, const void *data, size_t len) WUR;

/* A text/plain answer with a copy of @text.  Returns 0 or -1. */
int http_response_text(struct http_response *resp, int status,
    const char *text) WUR;

/*
 * A plain text page for an error status: "<status> <reason>\n" and, when
 * @detail is not NULL, @detail on the next line (it must hold nothing
 * personal: a field name and a rule).  Returns 0 or -1.
 */
int http_response_error(struct http_response *resp, int status,
    const char *detail) WUR;

/*
 * Add a header, or replace a default one of the same name (case-
 * insensitive).  Names are tokens, values printable ASCII without CR/LF.
 * Returns 0, or -1 when either is invalid or too long, or the table is
 * full (HTTP_RESPONSE_HEADERS_MAX).
 */
int http_response_header(struct http_response *resp, const char *name,
    const char *value) WUR;

/* Free what @resp holds and zero it.  NULL is fine. */
void http_response_clear(struct http_response *resp);

/* The reason phrase of @status ("Not Found"), "Unknown" when unknown. */
const char *http_reason(int status);

/*
 * Signals for a daemon's main thread.  http_signals_block() blocks SIGTERM,
 * SIGINT and SIGHUP in the calling thread (call it first, before any
 * thread exists: threads inherit the mask) and ignores SIGPIPE; it fills
 * @set for http_signals_wait().  Returns 0 or -1.
 *
 * http_signals_wait() waits for one of them for at most @timeout_ms
 * milliseconds (-1: forever) and returns its number, or 0 on timeout
 * (a console's pull loop wakes up that way), or -1 on error.
 */
int http_signals_block(sigset_t *set) WUR;
int http_signals_wait(const sigset_t *set, int timeout_ms);

#endif
