/*
 * Check suite for orders/pull.c: the URL and token rules (a password in
 * the URL never echoed); the outbox answer parser (rows handed over in
 * order, malformed answers refused, rows without a usable id skipped,
 * base64 strict, oversize fields dropped for the inbox to quarantine, a
 * row callback that stops the page); the HTTP client against a local
 * server answering canned responses (the request it sends, a redirect
 * not followed, 401, a non-JSON answer, an answer over 8 MiB refused,
 * an empty outbox); and TLS against a real `openssl s_server`: a
 * self-signed certificate refused without the CA file, accepted with it,
 * and refused again for a host name it does not name.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>


#include "base/util.h"
#include "orders/inbox.h"
#include "orders/outbox.h"
#include "orders/pull.h"
#include "tests/testutil.h"

#define TOKEN "tok-0123456789abcdef"
#define REQ_MAX 8192

static char errbuf[512];

/* ---- pull_check ---- */

START_TEST(test_check)
{
	ck_assert_int_eq(pull_check("http://127.0.0.1:8080", TOKEN, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_int_eq(pull_check("https://intake.example.org/hrpost/",
	    TOKEN, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(pull_check("HTTPS://intake.example.org", NULL,
	    errbuf, sizeof(errbuf)), 0);

	ck_assert_int_eq(pull_check("", TOKEN, errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(pull_check(NULL, TOKEN, errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(pull_check("ftp://127.0.0.1/", TOKEN, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(pull_check("file:///etc/passwd", TOKEN, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(pull_check("127.0.0.1:8080", TOKEN, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(pull_check("http://127.0.0.1/ x", TOKEN, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(pull_check("http://127.0.0.1/?a=1", TOKEN, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(pull_check("http://127.0.0.1/#x", TOKEN, errbuf,
	    sizeof(errbuf)), -1);
	/* User information: refused, and the password is never echoed. */
	ck_assert_int_eq(pull_check("http://bob:hunter2secret@127.0.0.1/",
	    TOKEN, errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_null(strstr(errbuf, "hunter2secret"));
	ck_assert_ptr_nonnull(strstr(errbuf, "user information"));
	{
		char longurl[PULL_URL_MAX + 16];

		memset(longurl, 'a', sizeof(longurl) - 1);
		memcpy(longurl, "http://", 7);
		longurl[sizeof(longurl) - 1] = '\0';
		ck_assert_int_eq(pull_check(longurl, TOKEN, errbuf,
		    sizeof(errbuf)), -1);
	}

	/* Tokens: 16 to 128 of A-Z a-z 0-9 - _, never echoed. */
	ck_assert_int_eq(pull_check("http://h", "short", errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(pull_check("http://h", "0123456789abcdef\r\nX: y",
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_null(strstr(errbuf, "0123456789abcdef"));
	ck_assert_int_eq(pull_check("http://h", "0123456789abcdef ", errbuf,
	    sizeof(errbuf)), -1);
	{
		char t[PULL_TOKEN_MAX + 2];

		memset(t, 'A', sizeof(t) - 1);
		t[sizeof(t) - 1] = '\0';
		ck_assert_int_eq(pull_check("http://h", t, errbuf,
		    sizeof(errbuf)), -1);
		t[PULL_TOKEN_MAX] = '\0';
		ck_assert_int_eq(pull_check("http://h", t, errbuf,
		    sizeof(errbuf)), 0);
	}
}
END_TEST

/* ---- pull_parse ---- */

struct seen {
	int n;
	int64_t ids[16];
	char channels[16][20];
	char idems[16][140];
	size_t bloblens[16];
	bool blob_null[16];
	bool centre_null[16];
	uint8_t first[16];
	int stop_at;		/* return -1 on this call (1-based); 0: never */
};

static int
on_row(const struct inbox_item *it, void *arg)
{
	struct seen *s = arg;
	int i = s->n++;

	ck_assert_int_lt(i, 16);
	s->ids[i] = it->id;
	if (str_copy(s->channels[i], sizeof(s->channels[i]),
	    it->channel != NULL ? it->channel : "(null)") != 0)
		s->channels[i][0] = '\0';
	if (str_copy(s->idems[i], sizeof(s->idems[i]),
	    it->idem != NULL ? it->idem : "(null)") != 0)
		s->idems[i][0] = '\0';
	s->bloblens[i] = it->bloblen;
	s->blob_null[i] = it->blob == NULL;
	s->centre_null[i] = it->centre == NULL;
	s->first[i] = it->blob != NULL && it->bloblen > 0 ? it->blob[0] : 0;
	return s->stop_at == s->n ? -1 : 0;
}

static int
parse(const char *json, int limit, int64_t after, struct seen *s,
    size_t *nrows, size_t *skipped)
{
	return pull_parse(json, strlen(json), limit, after, on_row, s, nrows,
	    skipped, errbuf, sizeof(errbuf));
}

START_TEST(test_parse_rows)
{
	struct seen s;
	size_t n = 0, sk = 0;

	memset(&s, 0, sizeof(s));
	/* "AQID" is 01 02 03; "AQI=" 01 02; "AQ==" 01. */
	ck_assert_int_eq(parse("{\"orders\":["
	    "{\"id\":3,\"received_at\":1767225600,\"channel\":\"web\","
	    "\"centre\":\"demo\",\"idem\":\"k1\",\"sealed\":\"AQID\"},"
	    "{\"id\":4,\"received_at\":1,\"channel\":\"sms\","
	    "\"centre\":\"demo\",\"idem\":\"k2\",\"sealed\":\"AQI=\"},"
	    "{\"id\":9,\"channel\":\"sms\",\"idem\":\"k3\",\"sealed\":\"AQ==\"}"
	    "]}", 10, 2, &s, &n, &sk), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(sk, 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.ids[0], 3);
	ck_assert_str_eq(s.channels[0], "web");
	ck_assert_str_eq(s.idems[0], "k1");
	ck_assert_uint_eq(s.bloblens[0], 3);
	ck_assert_int_eq(s.first[0], 1);
	ck_assert_uint_eq(s.bloblens[1], 2);
	ck_assert_uint_eq(s.bloblens[2], 1);
	ck_assert(s.centre_null[2]);

	/* An empty outbox. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse("{\"orders\":[]}", 10, 0, &s, &n, &sk), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(s.n, 0);
}
END_TEST

START_TEST(test_parse_skips)
{
	struct seen s;
	size_t n = 0, sk = 0;

	/* No id, a text id, an id not after @after, one going backwards. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse("{\"orders\":[{\"idem\":\"a\"},"
	    "{\"id\":\"7\"},{\"id\":5},{\"id\":8,\"idem\":\"b\"},"
	    "{\"id\":6},{\"id\":8},7,{\"id\":10,\"idem\":\"c\"}]}", 10, 5, &s,
	    &n, &sk), 0);
	ck_assert_uint_eq(n, 8);
	ck_assert_uint_eq(sk, 6);
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(s.ids[0], 8);
	ck_assert_int_eq(s.ids[1], 10);
	/* Missing fields reach the inbox as NULL, to be quarantined. */
	ck_assert_str_eq(s.channels[0], "(null)");
	ck_assert(s.blob_null[0]);
}
END_TEST

START_TEST(test_parse_base64)
{
	static const char *const bad[] = {
		"AQI", "AQI==", "A===", "AQ=A", "AQ I", "AQ\\nI",
		"AQ-_", "====", "", "AQIDBA=\\u0041",
	};
	struct seen s;
	size_t n = 0, sk = 0;
	char json[512];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		memset(&s, 0, sizeof(s));
		ck_assert_int_ge(str_printf(json, sizeof(json), "{\"orders\":"
		    "[{\"id\":1,\"idem\":\"k\",\"sealed\":\"%s\"}]}", bad[i]),
		    0);
		ck_assert_int_eq(parse(json, 10, 0, &s, &n, &sk), 0);
		ck_assert_int_eq(s.n, 1);
		ck_assert_msg(s.blob_null[0], "accepted [%s]", bad[i]);
	}
	/* Not a string at all. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse("{\"orders\":[{\"id\":1,\"sealed\":12}]}", 10,
	    0, &s, &n, &sk), 0);
	ck_assert(s.blob_null[0]);
}
END_TEST

START_TEST(test_parse_oversize)
{
	struct seen s;
	size_t n = 0, sk = 0, b64 = 4 * ((OUTBOX_BLOB_MAX + 2) / 3);
	size_t cap = b64 + 1024;
	char *json = malloc(cap), *p;

	ck_assert_ptr_nonnull(json);
	/* The largest blob: decoded.  One quantum more: dropped. */
	for (int extra = 0; extra <= 1; extra++) {
		size_t len = extra ? b64 + 4 : b64;

		memset(&s, 0, sizeof(s));
		ck_assert_int_ge(str_printf(json, cap, "{\"orders\":[{\"id\":1,"
		    "\"idem\":\"k\",\"sealed\":\""), 0);
		p = json + strlen(json);
		memset(p, 'A', len);
		p[len] = '\0';
		ck_assert_int_eq(str_printf(p + len, cap - (size_t)(p - json) -
		    len, "\"}]}"), 4);
		ck_assert_int_eq(parse(json, 10, 0, &s, &n, &sk), 0);
		ck_assert_int_eq(s.n, 1);
		if (extra)
			ck_assert(s.blob_null[0]);
		else
			ck_assert_uint_eq(s.bloblens[0], b64 / 4 * 3);
	}
	/* A key or channel over its limit is dropped, for the inbox. */
	memset(&s, 0, sizeof(s));
	memset(json, 0, cap);
	ck_assert_int_ge(str_printf(json, cap, "{\"orders\":[{\"id\":1,"
	    "\"channel\":\"webwebwebwebwebwebweb\",\"idem\":\"%0200d\"}]}",
	    7), 0);
	ck_assert_int_eq(parse(json, 10, 0, &s, &n, &sk), 0);
	ck_assert_str_eq(s.channels[0], "(null)");
	ck_assert_str_eq(s.idems[0], "(null)");
	free(json);
}
END_TEST

START_TEST(test_parse_malformed)
{
	static const char *const bad[] = {
		"", "null", "[]", "{}", "{\"orders\":{}}", "{\"orders\":[]",
		"{\"orders\":[],\"more\":1}", "{\"orders\":[],\"orders\":[]}",
		"{\"orders\":\"[]\"}", "not json",
		"{\"orders\":[{\"id\":1,\"sealed\":\"AQ\\u0000=\"}]}",
	};
	struct seen s;
	size_t n = 0, sk = 0;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		memset(&s, 0, sizeof(s));
		ck_assert_msg(parse(bad[i], 10, 0, &s, &n, &sk) == -1,
		    "accepted [%s]", bad[i]);
		ck_assert_int_eq(s.n, 0);
		ck_assert_ptr_nonnull(strstr(errbuf, "malformed"));
	}
	/* More rows than asked for. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse("{\"orders\":[{\"id\":1},{\"id\":2},"
	    "{\"id\":3}]}", 2, 0, &s, &n, &sk), -1);
	ck_assert_int_eq(s.n, 0);
	ck_assert_int_eq(pull_parse(NULL, 0, 2, 0, on_row, &s, &n, &sk,
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(pull_parse("{}", 2, 0, 0, on_row, &s, &n, &sk,
	    errbuf, sizeof(errbuf)), -1);

	/* The callback stops the page at the second row. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	ck_assert_int_eq(parse("{\"orders\":[{\"id\":1},{\"id\":2},"
	    "{\"id\":3}]}", 10, 0, &s, &n, &sk), -1);
	ck_assert_int_eq(s.n, 2);
}
END_TEST

/* ---- a canned HTTP server ---- */

struct canned {
	int fd;
	uint16_t port;
	const char *response;	/* headers and body, sent as is */
	size_t response_len;
	char request[REQ_MAX];	/* the first request, headers only */
	int requests;
	pthread_t th;
};

static void *
serve(void *arg)
{
	struct canned *cn = arg;

	for (;;) {
		struct pollfd p = { cn->fd, POLLIN, 0 };
		size_t n = 0;
		int c;

		if (poll(&p, 1, 3000) <= 0)
			break;
		c = accept(cn->fd, NULL, NULL);
		if (c < 0)
			break;
		while (n < REQ_MAX - 1) {
			struct pollfd q = { c, POLLIN, 0 };
			ssize_t k;

			if (poll(&q, 1, 3000) <= 0)
				break;
			k = read(c, cn->request + n, REQ_MAX - 1 - n);
			if (k <= 0)
				break;
			n += (size_t)k;
			cn->request[n] = '\0';
			if (strstr(cn->request, "\r\n\r\n") != NULL)
				break;
		}
		cn->requests++;
		for (size_t off = 0; off < cn->response_len;) {
			ssize_t w = write(c, cn->response + off,
			    cn->response_len - off);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(c);
		break;	/* one request: a second one would be a bug */
	}
	return NULL;
}

static void
canned_start(struct canned *cn, const char *response, size_t len)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(cn, 0, sizeof(*cn));
	cn->response = response;
	cn->response_len = len;
	cn->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(cn->fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(cn->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(cn->fd, 4), 0);
	ck_assert_int_eq(getsockname(cn->fd, (struct sockaddr *)&sa, &sl), 0);
	cn->port = ntohs(sa.sin_port);
	ck_assert_int_eq(pthread_create(&cn->th, NULL, serve, cn), 0);
}

static void
canned_stop(struct canned *cn)
{
	pthread_join(cn->th, NULL);
	close(cn->fd);
}

/* pull_run() against a canned answer; returns its result. */
static int
run_canned(const char *response, size_t len, struct canned *cn,
    struct pull_stats *stats)
{
	struct inbox_config ic;	/* never reached: no row is applied */
	struct pull_config pc;
	char url[64];
	int rc;

	memset(&ic, 0, sizeof(ic));
	canned_start(cn, response, len);
	ck_assert_int_ge(str_printf(url, sizeof(url), "http://127.0.0.1:%u/",
	    (unsigned)cn->port), 0);
	memset(&pc, 0, sizeof(pc));
	pc.url = url;
	pc.token = TOKEN;
	pc.no_push = true;	/* one canned answer: the pull alone */
	rc = pull_run(&pc, &ic, stats, errbuf, sizeof(errbuf));
	canned_stop(cn);
	return rc;
}

/* A complete answer: status line, type, length, @body. */
static const char *
answer(const char *status, const char *ctype, const char *body, size_t *len)
{
	static char buf[1024];

	ck_assert_int_ge(str_printf(buf, sizeof(buf), "HTTP/1.1 %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\nConnection: close"
	    "\r\n\r\n%s", status, ctype, strlen(body), body), 0);
	*len = strlen(buf);
	return buf;
}

START_TEST(test_http_empty)
{
	struct canned cn;
	struct pull_stats stats;
	size_t len;
	const char *a = answer("200 OK", "application/json",
	    "{\"orders\":[]}", &len);

	ck_assert_msg(run_canned(a, len, &cn, &stats) == 0, "%s", errbuf);
	ck_assert_int_eq(cn.requests, 1);
	ck_assert_int_eq(stats.pages, 1);
	ck_assert_int_eq(stats.pulled, 0);
	/* What it asked for, and how (the base URL's '/' is not doubled). */
	ck_assert_msg(strncmp(cn.request, "GET /outbox?after=0&limit=100 "
	    "HTTP/1.1\r\n", 40) == 0, "%s", cn.request);
	ck_assert_ptr_nonnull(strcasestr(cn.request, "\r\nAuthorization: "
	    "Bearer " TOKEN "\r\n"));
	ck_assert_ptr_nonnull(strcasestr(cn.request, "\r\nAccept: "
	    "application/json\r\n"));
}
END_TEST

START_TEST(test_http_errors)
{
	struct canned cn;
	struct pull_stats stats;
	size_t len;
	const char *a;

	/* A redirect is not followed (one request only). */
	a = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/outbox\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n";
	ck_assert_int_eq(run_canned(a, strlen(a), &cn, &stats), -1);
	ck_assert_int_eq(cn.requests, 1);
	ck_assert_ptr_nonnull(strstr(errbuf, "HTTP 302"));
	ck_assert_ptr_nonnull(strstr(errbuf, "http://127.0.0.1:"));

	a = answer("401 Unauthorized", "text/plain", "no", &len);
	ck_assert_int_eq(run_canned(a, len, &cn, &stats), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "refused the token"));
	ck_assert_ptr_null(strstr(errbuf, TOKEN));

	a = answer("500 Oops", "application/json", "{}", &len);
	ck_assert_int_eq(run_canned(a, len, &cn, &stats), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "HTTP 500"));

	a = answer("200 OK", "text/html", "<p>hi</p>", &len);
	ck_assert_int_eq(run_canned(a, len, &cn, &stats), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "not JSON"));

	a = answer("200 OK", "application/json", "{\"orders\":1}", &len);
	ck_assert_int_eq(run_canned(a, len, &cn, &stats), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "malformed"));
	ck_assert_int_eq(stats.pages, 1);
}
END_TEST

START_TEST(test_http_too_large)
{
	struct canned cn;
	struct pull_stats stats;
	size_t body = PULL_RESPONSE_MAX + 1, head;
	char *a = malloc(body + 256);

	ck_assert_ptr_nonnull(a);
	/* Declared too large: refused before reading it. */
	ck_assert_int_ge(str_printf(a, 256, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\nConnection: close"
	    "\r\n\r\n", body), 0);
	head = strlen(a);
	memset(a + head, ' ', body);
	ck_assert_int_eq(run_canned(a, head + body, &cn, &stats), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "refused"));
	/* Not declared (read to the close): cut at the limit. */
	ck_assert_int_ge(str_printf(a, 256, "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nConnection: close\r\n\r\n"), 0);
	head = strlen(a);
	memset(a + head, ' ', body);
	ck_assert_int_eq(run_canned(a, head + body, &cn, &stats), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "refused"));
	free(a);
}
END_TEST

START_TEST(test_unreachable)
{
	struct inbox_config ic;
	struct pull_config pc;
	struct pull_stats stats;

	memset(&ic, 0, sizeof(ic));
	memset(&pc, 0, sizeof(pc));
	pc.url = "http://127.0.0.1:1";
	pc.token = TOKEN;
	ck_assert_int_eq(pull_run(&pc, &ic, &stats, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "cannot reach the intake node "
	    "at http://127.0.0.1:1"));
	ck_assert_ptr_null(strstr(errbuf, TOKEN));
	pc.token = "bad token";
	ck_assert_int_eq(pull_run(&pc, &ic, &stats, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "token"));
	ck_assert_int_eq(pull_run(NULL, &ic, &stats, errbuf, sizeof(errbuf)),
	    -1);
}
END_TEST

/* ---- TLS against openssl s_server ---- */

static char tdir[4096];

static int
sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A pull to @url with @ca (or none); returns -1 always here, errbuf set. */
static int
tls_pull(const char *url, const char *ca)
{
	struct inbox_config ic;
	struct pull_config pc;
	struct pull_stats stats;

	memset(&ic, 0, sizeof(ic));
	memset(&pc, 0, sizeof(pc));
	pc.url = url;
	pc.token = TOKEN;
	pc.ca_file = ca;
	return pull_run(&pc, &ic, &stats, errbuf, sizeof(errbuf));
}

START_TEST(test_tls)
{
	char cmd[8192], cert[4200], url[128], ca_pem[8192];
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	uint16_t port;
	pid_t pid;
	int fd, st;
	size_t ca_len = 0;
	char *pem;

	ck_assert_int_eq(str_copy(tdir, sizeof(tdir), testutil_mkdtemp()), 0);
	ck_assert_int_ge(str_printf(cert, sizeof(cert), "%s/cert.pem", tdir),
	    0);
	ck_assert_int_ge(str_printf(cmd, sizeof(cmd), "openssl req -x509 "
	    "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
	    "-subj /CN=localhost -addext subjectAltName=DNS:localhost "
	    "-keyout %s/key.pem -out %s 2>/dev/null", tdir, cert), 0);
	ck_assert_int_eq(sh(cmd), 0);

	/* A free port, then s_server on it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char p[16], key[4200];

		if (str_printf(p, sizeof(p), "%u", (unsigned)port) < 0 ||
		    str_printf(key, sizeof(key), "%s/key.pem", tdir) < 0)
			_exit(126);
		(void)!freopen("/dev/null", "r", stdin);
		(void)!freopen("/dev/null", "w", stdout);
		(void)!freopen("/dev/null", "w", stderr);
		execlp("openssl", "openssl", "s_server", "-accept", p,
		    "-cert", cert, "-key", key, "-www", "-quiet", (char *)NULL);
		_exit(127);
	}
	/* Wait until it accepts (bounded). */
	for (int i = 0; i < 200; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		int ok = connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0;

		close(c);
		if (ok)
			break;
		usleep(50 * 1000);
	}

	ck_assert_int_ge(str_printf(url, sizeof(url), "https://localhost:%u",
	    (unsigned)port), 0);
	/* Self-signed and no CA file: refused. */
	ck_assert_int_eq(tls_pull(url, NULL), -1);
	ck_assert_msg(strstr(errbuf, "certificate") != NULL, "%s", errbuf);
	/* With the CA: TLS passes (s_server then answers a status page). */
	ck_assert_int_eq(tls_pull(url, cert), -1);
	ck_assert_msg(strstr(errbuf, "certificate") == NULL &&
	    strstr(errbuf, "SSL") == NULL, "%s", errbuf);
	ck_assert_msg(strstr(errbuf, "not JSON") != NULL, "%s", errbuf);
	/* The same CA from memory (as the daemon does after dropping root). */
	pem = testutil_slurp(cert, &ca_len);
	ck_assert_ptr_nonnull(pem);
	ck_assert_uint_lt(ca_len, sizeof(ca_pem));
	memcpy(ca_pem, pem, ca_len);
	free(pem);
	{
		struct inbox_config ic;
		struct pull_config pc;
		struct pull_stats stats;

		memset(&ic, 0, sizeof(ic));
		memset(&pc, 0, sizeof(pc));
		pc.url = url;
		pc.token = TOKEN;
		pc.ca_pem = ca_pem;
		pc.ca_pem_len = ca_len;
		ck_assert_int_eq(pull_run(&pc, &ic, &stats, errbuf,
		    sizeof(errbuf)), -1);
		ck_assert_msg(strstr(errbuf, "not JSON") != NULL, "%s",
		    errbuf);
	}
	/* A name the certificate does not carry: refused. */
	ck_assert_int_ge(str_printf(url, sizeof(url), "https://127.0.0.1:%u",
	    (unsigned)port), 0);
	ck_assert_int_eq(tls_pull(url, cert), -1);
	ck_assert_msg(strstr(errbuf, "not JSON") == NULL, "%s", errbuf);

	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	testutil_rmtree(tdir);
}
END_TEST

static void
global_setup(void)
{
	ck_assert_int_eq(pull_global_init(), 0);
}

static void
global_teardown(void)
{
	pull_global_cleanup();
}

static Suite *
pull_suite(void)
{
	Suite *s = suite_create("pull");
	TCase *tc = tcase_create("pull");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, global_setup, global_teardown);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_parse_rows);
	tcase_add_test(tc, test_parse_skips);
	tcase_add_test(tc, test_parse_base64);
	tcase_add_test(tc, test_parse_oversize);
	tcase_add_test(tc, test_parse_malformed);
	tcase_add_test(tc, test_http_empty);
	tcase_add_test(tc, test_http_errors);
	tcase_add_test(tc, test_http_too_large);
	tcase_add_test(tc, test_unreachable);
	tcase_add_test(tc, test_tls);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(pull_suite)
