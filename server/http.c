/*
 * libmicrohttpd glue (see http.h for the contract).  One struct
 * req_state per request, made in the URI log callback (the only place
 * libmicrohttpd shows the raw request target, query string included, so
 * the query is decoded by server/form with its limits, not by
 * libmicrohttpd's own lenient parser), filled in on the access handler's
 * first call (route, client address, content type, gate, Content-Length
 * against the route's limit), grown with the body on the next calls, and
 * answered on the last one.  The completion callback writes the log line
 * and wipes the state: a body may be personal data.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "server/http.h"

#define METHOD_MAX 16
#define QUERY_MAX FORM_BODY_MAX
#define BODY_INITIAL 4096

struct http_server {
	struct http_config cfg;
	char name[32];
	char listen[64];
	int fd;
	uint16_t port;
	struct MHD_Daemon *mhd;
};

struct req_state {
	struct http_server *srv;
	struct timespec start;
	char *query_raw;		/* raw query string, NULL when none */
	size_t query_len;
	bool query_too_long;
	struct form *query;
	struct field_error qerr;
	bool qerr_set;
	const struct http_route *route;
	bool path_known;		/* some route has this path */
	char method[METHOD_MAX];
	char client[HTTP_ADDR_MAX];
	char ctype[HTTP_CONTENT_TYPE_MAX];
	char *body;
	size_t body_len;
	size_t body_cap;
	bool started;
	bool answered;
	int status;
};

/* The default headers, in the order they are sent. */
static const struct {
	const char *name;
	const char *value;
} defaults[] = {
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "no-referrer" },
	{ "X-Frame-Options", "DENY" },
	{ "Content-Security-Policy", HTTP_CSP_DEFAULT },
	{ "Cache-Control", "no-store" },
};

static const char *const methods_logged[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
};

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/* ---- responses ---------------------------------------------------- */

void
http_response_clear(struct http_response *resp)
{
	if (resp == NULL)
		return;
	if (resp->body != NULL) {
		/* A page may echo personal data back. */
		OPENSSL_cleanse(resp->body, resp->body_len);
		free(resp->body);
	}
	memset(resp, 0, sizeof(*resp));
}

int
http_response_take(struct http_response *resp, int status,
    const char *content_type, char *body, size_t len)
{
	if (content_type == NULL)
		content_type = HTTP_CT_HTML;
	if (len > HTTP_RESPONSE_MAX ||
	    strlen(content_type) >= sizeof(resp->content_type) ||
	    (body == NULL && len > 0)) {
		mem_wipe_free(body, len);
		return -1;
	}
	if (resp->body != NULL)
		mem_wipe_free(resp->body, resp->body_len);
	resp->body = body;
	resp->body_len = len;
	resp->status = status;
	if (str_copy(resp->content_type, sizeof(resp->content_type),
	    content_type) != 0)
		return -1;	/* cannot happen: length checked above */
	return 0;
}

int
http_response_copy(struct http_response *resp, int status,
    const char *content_type, const void *data, size_t len)
{
	char *copy;

	if (len > HTTP_RESPONSE_MAX)
		return -1;
	copy = malloc(len + 1);
	if (copy == NULL)
		return -1;
	if (len > 0)
		memcpy(copy, data, len);
	copy[len] = '\0';
	return http_response_take(resp, status, content_type, copy, len);
}

int
http_response_text(struct http_response *resp, int status, const char *text)
{
	return http_response_copy(resp, status, HTTP_CT_TEXT, text,
	    strlen(text));
}

int
http_response_error(struct http_response *resp, int status,
    const char *detail)
{
	char page[512];

	if (str_printf(page, sizeof(page), "%d %s\n%s%s", status,
	    http_reason(status), detail != NULL ? detail : "",
	    detail != NULL ? "\n" : "") < 0)
		return -1;
	return http_response_text(resp, status, page);
}

static bool
header_name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= HTTP_HEADER_NAME_MAX - 1)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return n > 0;
}

static bool
header_value_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= HTTP_HEADER_VALUE_MAX - 1)
			return false;
		if (c < 0x20 || c > 0x7e)
			return false;
	}
	return true;
}

int
http_response_header(struct http_response *resp, const char *name,
    const char *value)
{
	struct http_response_header *h = NULL;

	if (name == NULL || value == NULL || !header_name_ok(name) ||
	    !header_value_ok(value))
		return -1;
	for (size_t i = 0; i < resp->nheaders; i++)
		if (str_casecmp(resp->headers[i].name, name) == 0)
			h = &resp->headers[i];
	if (h == NULL) {
		if (resp->nheaders >= HTTP_RESPONSE_HEADERS_MAX)
			return -1;
		h = &resp->headers[resp->nheaders++];
	}
	if (str_copy(h->name, sizeof(h->name), name) != 0 ||
	    str_copy(h->value, sizeof(h->value), value) != 0)
		return -1;	/* cannot happen: lengths checked above */
	return 0;
}

/* ---- listening ---------------------------------------------------- */

int
http_parse_listen(const char *s, struct sockaddr_storage *ss,
    socklen_t *sslen, char *errbuf, size_t errsz)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *hstart;
	size_t hlen;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (s == NULL || s[0] == '\0') {
		errbuf_set(errbuf, errsz, "listen address is empty");
		return -1;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':') {
			errbuf_set(errbuf, errsz, "listen address: expected "
			    "[IPv6]:PORT");
			return -1;
		}
		hstart = s + 1;
		hlen = (size_t)(close - hstart);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			errbuf_set(errbuf, errsz, "listen address: expected "
			    "ADDR:PORT");
			return -1;
		}
		hstart = s;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		errbuf_set(errbuf, errsz, "listen address: bad address");
		return -1;
	}
	memcpy(host, hstart, hlen);
	host[hlen] = '\0';
	if (parse_long(colon + 1, 0, 65535, &port) != 0) {
		errbuf_set(errbuf, errsz, "listen address: port must be 0 "
		    "to 65535");
		return -1;
	}
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1) {
			errbuf_set(errbuf, errsz, "listen address: not a "
			    "numeric IPv6 address");
			return -1;
		}
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
			errbuf_set(errbuf, errsz, "listen address: not a "
			    "numeric IPv4 address (IPv6: [ADDR]:PORT)");
			return -1;
		}
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*a4);
	}
	return 0;
}

static int
check_config(const struct http_config *cfg, char *errbuf, size_t errsz)
{
	if (cfg->threads < 1 || cfg->threads > HTTP_THREADS_MAX) {
		errbuf_set(errbuf, errsz, "threads must be 1 to %d",
		    HTTP_THREADS_MAX);
		return -1;
	}
	if (cfg->routes == NULL && cfg->nroutes > 0) {
		errbuf_set(errbuf, errsz, "no routes");
		return -1;
	}
	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct http_route *r = &cfg->routes[i];

		if (r->method == NULL || r->path == NULL || r->path[0] != '/' ||
		    r->handler == NULL || r->body_max > HTTP_BODY_ABS_MAX) {
			errbuf_set(errbuf, errsz, "route %zu is malformed", i);
			return -1;
		}
	}
	return 0;
}

struct http_server *
http_server_bind(const struct http_config *cfg, char *errbuf, size_t errsz)
{
	struct http_server *srv = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int one = 1;

	if (check_config(cfg, errbuf, errsz) != 0)
		return NULL;
	if (http_parse_listen(cfg->listen, &ss, &sslen, errbuf, errsz) != 0)
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return NULL;
	}
	srv->fd = -1;
	srv->cfg = *cfg;
	if (str_copy(srv->name, sizeof(srv->name),
	    cfg->name != NULL ? cfg->name : "http") != 0 ||
	    str_copy(srv->listen, sizeof(srv->listen), cfg->listen) != 0) {
		errbuf_set(errbuf, errsz, "server name or address too long");
		goto fail;
	}
	srv->cfg.name = srv->name;
	srv->cfg.listen = srv->listen;
	if (srv->cfg.timeout == 0)
		srv->cfg.timeout = HTTP_TIMEOUT_DEFAULT;
	if (srv->cfg.per_ip == 0)
		srv->cfg.per_ip = HTTP_PER_IP_DEFAULT;
	if (srv->cfg.max_conns == 0)
		srv->cfg.max_conns = HTTP_CONNS_DEFAULT;
	if (srv->cfg.conn_memory == 0)
		srv->cfg.conn_memory = HTTP_CONN_MEMORY_DEFAULT;

	srv->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (srv->fd < 0) {
		errbuf_set(errbuf, errsz, "cannot make a socket: %s",
		    strerror(errno));
		goto fail;
	}
	if (setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 ||
	    (ss.ss_family == AF_INET6 && setsockopt(srv->fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) != 0)) {
		errbuf_set(errbuf, errsz, "cannot set socket options: %s",
		    strerror(errno));
		goto fail;
	}
	if (bind(srv->fd, (struct sockaddr *)&ss, sslen) != 0 ||
	    listen(srv->fd, SOMAXCONN) != 0) {
		errbuf_set(errbuf, errsz, "cannot bind %s: %s", cfg->listen,
		    strerror(errno));
		goto fail;
	}
	sslen = sizeof(ss);
	if (getsockname(srv->fd, (struct sockaddr *)&ss, &sslen) != 0) {
		errbuf_set(errbuf, errsz, "cannot read the bound address: %s",
		    strerror(errno));
		goto fail;
	}
	srv->port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return srv;
fail:
	http_server_free(srv);
	return NULL;
}

uint16_t
http_server_port(const struct http_server *srv)
{
	return srv != NULL ? srv->port : 0;
}

void
http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->mhd != NULL)
		MHD_stop_daemon(srv->mhd);
	/* MHD does not close a socket it was given. */
	if (srv->fd >= 0)
		close(srv->fd);
	free(srv);
}

/* ---- requests ----------------------------------------------------- */

static void
state_free(struct req_state *st)
{
	if (st == NULL)
		return;
	if (st->query_raw != NULL)
		mem_wipe_free(st->query_raw, st->query_len + 1);
	form_free(st->query);
	if (st->body != NULL)
		mem_wipe_free(st->body, st->body_cap);
	free(st);
}

/*
 * libmicrohttpd calls this with the raw request target before anything
 * else; its return value becomes the request's state pointer.
 */
static void *
uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req_state *st = calloc(1, sizeof(*st));
	const char *q;

	(void)conn;
	if (st == NULL)
		return NULL;	/* the access handler then refuses */
	st->srv = cls;
	(void)clock_gettime(CLOCK_MONOTONIC, &st->start);
	q = uri != NULL ? strchr(uri, '?') : NULL;
	if (q != NULL) {
		size_t n = strlen(q + 1);

		/* The connection's memory limit bounds it already. */
		if (n > QUERY_MAX) {
			st->query_too_long = true;
		} else {
			st->query_raw = malloc(n + 1);
			if (st->query_raw != NULL) {
				memcpy(st->query_raw, q + 1, n + 1);
				st->query_len = n;
			}
		}
	}
	return st;
}

static double
elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req_state *st = *con_cls;
	struct http_server *srv = cls;
	const char *method = "-";

	(void)conn;
	(void)toe;
	if (st == NULL)
		return;
	*con_cls = NULL;
	for (size_t i = 0; i < ARRAY_LEN(methods_logged); i++)
		if (strcmp(st->method, methods_logged[i]) == 0)
			method = methods_logged[i];
	/* The route's own path, never the request's: see http.h. */
	if (!srv->cfg.quiet)
		fprintf(stderr, "%s: %s %s%s %d %.1fms\n", srv->name, method,
		    st->route != NULL ? st->route->path : "-",
		    st->route != NULL && (st->route->flags &
		    HTTP_ROUTE_PREFIX) ? "*" : "", st->status,
		    elapsed_ms(&st->start));
	state_free(st);
}

static bool
route_path_match(const struct http_route *r, const char *path)
{
	if (r->flags & HTTP_ROUTE_PREFIX)
		return strncmp(path, r->path, strlen(r->path)) == 0;
	return strcmp(path, r->path) == 0;
}

static void
find_route(struct req_state *st, const char *path)
{
	const struct http_config *cfg = &st->srv->cfg;
	const char *m = strcmp(st->method, "HEAD") == 0 ? "GET" : st->method;

	for (size_t i = 0; i < cfg->nroutes; i++) {
		const struct http_route *r = &cfg->routes[i];

		if (!route_path_match(r, path))
			continue;
		st->path_known = true;
		if (strcmp(r->method, m) == 0) {
			st->route = r;
			return;
		}
	}
}

/* "Allow:" for a known path: the methods of every route matching it. */
static void
allow_header(const struct req_state *st, const char *path,
    struct http_response *resp)
{
	char allow[128] = "";
	size_t n = 0;

	for (size_t i = 0; i < st->srv->cfg.nroutes; i++) {
		const struct http_route *r = &st->srv->cfg.routes[i];
		int k;

		if (!route_path_match(r, path) || strstr(allow, r->method))
			continue;
		k = snprintf(allow + n, sizeof(allow) - n, "%s%s%s",
		    n > 0 ? ", " : "", r->method,
		    strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
		if (k < 0 || (size_t)k >= sizeof(allow) - n)
			break;
		n += (size_t)k;
	}
	if (n > 0)
		(void)!http_response_header(resp, "Allow", allow);
}

static void
client_address(struct MHD_Connection *conn, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;
	const char *ok = NULL;

	if (sa != NULL && sa->sa_family == AF_INET)
		ok = inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)sa)->sin_addr, out,
		    (socklen_t)outsz);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		ok = inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		    (socklen_t)outsz);
	if (ok == NULL && str_copy(out, outsz, "unknown") != 0)
		out[0] = '\0';
}

/* "Application/X-WWW-Form-Urlencoded; charset=UTF-8" -> lower, no params. */
static void
media_type(const char *h, char *out, size_t outsz)
{
	size_t n = 0;

	out[0] = '\0';
	if (h == NULL)
		return;
	while (*h == ' ' || *h == '\t')
		h++;
	for (; h[n] != '\0' && h[n] != ';' && h[n] != ' ' && h[n] != '\t';
	    n++) {
		char c = h[n];

		if (n >= outsz - 1) {
			/* Too long to be a type we know: as good as none. */
			if (str_copy(out, outsz, "invalid") != 0)
				out[0] = '\0';
			return;
		}
		out[n] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
}

static void
fill_request(struct req_state *st, struct MHD_Connection *conn,
    const char *path, struct http_request *req)
{
	memset(req, 0, sizeof(*req));
	req->method = st->method;
	req->path = path;
	req->query = st->query;
	req->query_error = st->qerr_set ? &st->qerr : NULL;
	req->content_type = st->ctype;
	req->body = st->body != NULL ? st->body : "";
	req->body_len = st->body_len;
	req->client = st->client;
	req->route = st->route;
	req->conn = conn;
	req->priv = st;
}

const char *
http_header(const struct http_request *req, const char *name)
{
	if (req == NULL || req->conn == NULL || name == NULL)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/*
 * libmicrohttpd frees a sent body through this; it does not pass the
 * size, so the allocator's is used: a page may echo personal data.
 */
const struct sockaddr *
http_peer(const struct http_request *req, socklen_t *len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	if (len != NULL)
		*len = 0;
	if (req == NULL || req->conn == NULL)
		return NULL;
	ci = MHD_get_connection_info(req->conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci != NULL ? ci->client_addr : NULL;
	if (sa == NULL)
		return NULL;
	if (len != NULL)
		*len = sa->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	return sa;
}

const char *
http_query_raw(const struct http_request *req, size_t *len)
{
	const struct req_state *st;

	if (len != NULL)
		*len = 0;
	if (req == NULL || req->priv == NULL)
		return NULL;
	st = req->priv;
	if (st->query_too_long)
		return NULL;
	if (st->query_raw == NULL)
		return "";
	if (len != NULL)
		*len = st->query_len;
	return st->query_raw;
}

static void
free_body(void *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

/*
 * Queue @resp (taking its body) with the default headers.  Returns the
 * libmicrohttpd result; @resp is cleared in every case.
 */
static enum MHD_Result
send_response(struct req_state *st, struct MHD_Connection *conn,
    struct http_response *resp)
{
	struct MHD_Response *r = NULL;
	enum MHD_Result ret = MHD_NO;
	bool have[ARRAY_LEN(defaults)] = { false };

	if (resp->status < 100 || resp->status > 599) {
		http_response_clear(resp);
		if (http_response_error(resp, 500, NULL) != 0)
			goto out;
	}
	if (resp->body != NULL && resp->body_len > 0) {
		r = MHD_create_response_from_buffer_with_free_callback(
		    resp->body_len, resp->body, free_body);
		if (r != NULL) {
			resp->body = NULL;	/* MHD owns it now */
			resp->body_len = 0;
		}
	} else {
		r = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
	}
	if (r == NULL)
		goto out;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    resp->content_type[0] != '\0' ? resp->content_type :
	    HTTP_CT_HTML) != MHD_YES)
		goto out;
	for (size_t i = 0; i < resp->nheaders; i++) {
		for (size_t k = 0; k < ARRAY_LEN(defaults); k++)
			if (str_casecmp(resp->headers[i].name,
			    defaults[k].name) == 0)
				have[k] = true;
		if (MHD_add_response_header(r, resp->headers[i].name,
		    resp->headers[i].value) != MHD_YES)
			goto out;
	}
	for (size_t k = 0; k < ARRAY_LEN(defaults); k++)
		if (!have[k] && MHD_add_response_header(r, defaults[k].name,
		    defaults[k].value) != MHD_YES)
			goto out;
	st->status = resp->status;
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	st->answered = ret == MHD_YES;
out:
	if (r != NULL)
		MHD_destroy_response(r);
	http_response_clear(resp);
	return ret;
}

/* An error page of the layer itself (404, 405, 413, 500). */
static enum MHD_Result
send_error(struct req_state *st, struct MHD_Connection *conn, int status,
    const char *detail, const char *path)
{
	struct http_response resp;

	memset(&resp, 0, sizeof(resp));
	if (http_response_error(&resp, status, detail) != 0)
		return MHD_NO;
	if (status == 405 && path != NULL)
		allow_header(st, path, &resp);
	return send_response(st, conn, &resp);
}

static enum MHD_Result
run_gate(struct req_state *st, struct MHD_Connection *conn, const char *path,
    bool *done)
{
	struct http_request req;
	struct http_response resp;
	int rc;

	*done = false;
	if (st->srv->cfg.gate == NULL)
		return MHD_YES;
	fill_request(st, conn, path, &req);
	memset(&resp, 0, sizeof(resp));
	rc = st->srv->cfg.gate(&req, &resp, st->srv->cfg.app);
	if (rc == 0) {
		http_response_clear(&resp);
		return MHD_YES;
	}
	*done = true;
	if (rc < 0) {
		http_response_clear(&resp);
		return send_error(st, conn, 500, NULL, NULL);
	}
	return send_response(st, conn, &resp);
}

/* Everything the first call of a request does.  *done: answered. */
static enum MHD_Result
first_call(struct req_state *st, struct MHD_Connection *conn,
    const char *path, const char *method, bool *done)
{
	const char *cl;
	enum MHD_Result ret;
	enum form_status fs;

	*done = false;
	st->started = true;
	if (str_copy(st->method, sizeof(st->method), method) != 0)
		st->method[0] = '\0';
	client_address(conn, st->client, sizeof(st->client));
	media_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE), st->ctype, sizeof(st->ctype));
	find_route(st, path);

	if (st->query_too_long) {
		fs = FORM_ERR_TOO_LARGE;
		(void)field_error_set(&st->qerr, "query", "the query string "
		    "is too long");
	} else {
		fs = form_parse(st->query_raw, st->query_len, &st->query,
		    &st->qerr);
	}
	if (fs == FORM_ERR_NOMEM) {
		*done = true;
		return send_error(st, conn, 500, NULL, NULL);
	}
	if (fs != FORM_OK) {
		st->qerr_set = true;
		st->query = form_new_empty();
		if (st->query == NULL) {
			*done = true;
			return send_error(st, conn, 500, NULL, NULL);
		}
	}

	ret = run_gate(st, conn, path, done);
	if (*done || ret != MHD_YES)
		return ret;
	if (st->route == NULL) {
		*done = true;
		return send_error(st, conn, st->path_known ? 405 : 404, NULL,
		    path);
	}
	/* Refuse an announced body over the limit before reading it. */
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		long n;

		if (parse_long(cl, 0, (long)st->route->body_max, &n) != 0) {
			*done = true;
			return send_error(st, conn, 413, "the request body is "
			    "too large", NULL);
		}
		if (n > 0 && st->route->body_max > 0) {
			st->body_cap = (size_t)n + 1;
			st->body = malloc(st->body_cap);
			if (st->body == NULL) {
				*done = true;
				return send_error(st, conn, 500, NULL, NULL);
			}
		}
	}
	return MHD_YES;
}

/* Append a chunk of body; false when over the route's limit. */
static bool
add_body(struct req_state *st, const char *data, size_t n, bool *nomem)
{
	size_t max = st->route->body_max;

	*nomem = false;
	if (n > max || st->body_len > max - n)
		return false;
	if (st->body_len + n + 1 > st->body_cap) {
		size_t cap = st->body_cap > 0 ? st->body_cap : BODY_INITIAL;
		char *nb;

		while (cap < st->body_len + n + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		nb = malloc(cap);
		if (nb == NULL) {
			*nomem = true;
			return true;
		}
		if (st->body != NULL) {
			memcpy(nb, st->body, st->body_len);
			mem_wipe_free(st->body, st->body_cap);
		}
		st->body = nb;
		st->body_cap = cap;
	}
	memcpy(st->body + st->body_len, data, n);
	st->body_len += n;
	st->body[st->body_len] = '\0';
	return true;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct req_state *st = *con_cls;
	struct http_request req;
	struct http_response resp;
	bool done = false, nomem = false;
	int rc;

	(void)cls;
	(void)version;
	if (st == NULL)
		return MHD_NO;	/* no memory for the state: drop it */
	if (st->answered) {
		/* Answered early (413, 429): ignore what still comes. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!st->started)
		return first_call(st, conn, url, method, &done);
	if (*upload_data_size > 0) {
		if (!add_body(st, upload_data, *upload_data_size, &nomem)) {
			*upload_data_size = 0;
			/* May fail while the body is read: then just close. */
			return send_error(st, conn, 413, "the request body is "
			    "too large", NULL);
		}
		*upload_data_size = 0;
		if (nomem)
			return send_error(st, conn, 500, NULL, NULL);
		return MHD_YES;
	}

	fill_request(st, conn, url, &req);
	memset(&resp, 0, sizeof(resp));
	rc = st->route->handler(&req, &resp, st->srv->cfg.app);
	if (rc != 0 || resp.status == 0) {
		http_response_clear(&resp);
		return send_error(st, conn, 500, NULL, NULL);
	}
	return send_response(st, conn, &resp);
}

int
http_server_start(struct http_server *srv, char *errbuf, size_t errsz)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

	if (srv->mhd != NULL) {
		errbuf_set(errbuf, errsz, "already started");
		return -1;
	}
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, access_handler,
	    srv,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->cfg.threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->cfg.timeout,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)srv->cfg.per_ip,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)srv->cfg.max_conns,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)srv->cfg.conn_memory,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_log, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
	    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		errbuf_set(errbuf, errsz, "cannot start the HTTP server on %s",
		    srv->listen);
		return -1;
	}
	return 0;
}

/* ---- signals ------------------------------------------------------ */

int
http_signals_block(sigset_t *set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigemptyset(&sa.sa_mask) != 0 ||
	    sigaction(SIGPIPE, &sa, NULL) != 0)
		return -1;
	if (sigemptyset(set) != 0 || sigaddset(set, SIGTERM) != 0 ||
	    sigaddset(set, SIGINT) != 0 || sigaddset(set, SIGHUP) != 0)
		return -1;
	if (pthread_sigmask(SIG_BLOCK, set, NULL) != 0)
		return -1;
	return 0;
}

int
http_signals_wait(const sigset_t *set, int timeout_ms)
{
	struct timespec ts;
	int sig;

	for (;;) {
		if (timeout_ms < 0) {
			sig = sigwaitinfo(set, NULL);
		} else {
			ts.tv_sec = timeout_ms / 1000;
			ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
			sig = sigtimedwait(set, NULL, &ts);
		}
		if (sig > 0)
			return sig;
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}
