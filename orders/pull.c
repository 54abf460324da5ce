/*
 * The console's pull client (see pull.h): one libcurl easy handle per
 * round, reused for every request of the round (keep-alive), locked down
 * to http/https without redirects, certificate and host name verified,
 * bounded in time and in bytes; answers parsed with jansson and checked
 * field by field before a row reaches the inbox.  Rows are applied in
 * order and the round stops at the first row that cannot be settled, so
 * that a STOP and a later START from one phone are never swapped.  A
 * daemon stopping abandons the request in flight (progress callback).
 * The bearer token lives in one header string, wiped with the header
 * list.  After the pages, the status push (orders/push.h) borrows the
 * same connection through push_io, so its requests are held to the same
 * rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "orders/outbox.h"
#include "orders/pull.h"
#include "orders/push.h"

/* Base64 text of the largest blob: 4 characters per 3 bytes, padded. */
#define PULL_B64_MAX (4 * ((OUTBOX_BLOB_MAX + 2) / 3))
#define PULL_CHANNEL_MAX 16
#define PULL_CENTRE_MAX 63
#define PULL_REQ_URL_MAX (PULL_URL_MAX + 64)
#define PULL_AUTH_MAX (PULL_TOKEN_MAX + 32)
#define PULL_BUF_FIRST 8192
#define PULL_PUSH_WHY_MAX 384		/* the push's reason, then prefixed */
#define PAD '='			/* base64 padding */

struct pull_buf {
	char *p;
	size_t n, cap;
	bool over;		/* the answer went over PULL_RESPONSE_MAX */
};

/* One round's connection. */
struct conn {
	CURL *h;
	struct curl_slist *get_hdrs, *post_hdrs;
	struct pull_buf buf;
	const struct pull_config *pc;
	char base[PULL_URL_MAX + 1];	/* without trailing '/' */
	char cerr[CURL_ERROR_SIZE];
};

int
pull_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
pull_global_cleanup(void)
{
	curl_global_cleanup();
}

static bool
token_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
pull_check(const char *url, const char *token, char *errbuf, size_t errsz)
{
	CURLU *u = NULL;
	char *part = NULL;
	size_t n;
	int ret = -1;

	if (url == NULL || url[0] == '\0') {
		errbuf_set(errbuf, errsz, "intake URL: not set ([console] "
		    "intake_url, or --from)");
		goto out;
	}
	n = strnlen(url, PULL_URL_MAX + 1);
	if (n > PULL_URL_MAX) {
		errbuf_set(errbuf, errsz, "intake URL: longer than %d bytes",
		    PULL_URL_MAX);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f) {
			errbuf_set(errbuf, errsz, "intake URL: spaces, control "
			    "or non-ASCII characters");
			goto out;
		}
	}
	u = curl_url();
	if (u == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &part, 0) != CURLUE_OK ||
	    (str_casecmp(part, "http") != 0 &&
	    str_casecmp(part, "https") != 0)) {
		errbuf_set(errbuf, errsz, "intake URL %s: not an http:// or "
		    "https:// URL", url);
		goto out;
	}
	curl_free(part);
	part = NULL;
	if (curl_url_get(u, CURLUPART_USER, &part, 0) != CURLUE_NO_USER ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) !=
	    CURLUE_NO_PASSWORD) {
		/* Not echoed: it may hold a password. */
		errbuf_set(errbuf, errsz, "intake URL: user information is "
		    "not allowed (the token goes in [console] intake_token)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &part, 0) != CURLUE_NO_QUERY ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) !=
	    CURLUE_NO_FRAGMENT) {
		errbuf_set(errbuf, errsz, "intake URL %s: a query or fragment "
		    "is not allowed", url);
		goto out;
	}
	if (token == NULL) {
		ret = 0;
		goto out;
	}
	n = strnlen(token, PULL_TOKEN_MAX + 1);
	if (n < PULL_TOKEN_MIN || n > PULL_TOKEN_MAX) {
		errbuf_set(errbuf, errsz, "intake token: must be %d to %d "
		    "characters ([console] intake_token)", PULL_TOKEN_MIN,
		    PULL_TOKEN_MAX);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!token_char(token[i])) {
			errbuf_set(errbuf, errsz, "intake token: only A-Z a-z "
			    "0-9 - _ ([console] intake_token)");
			goto out;
		}
	}
	ret = 0;
out:
	curl_free(part);
	curl_url_cleanup(u);
	return ret;
}

/* ---- the connection ---- */

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct pull_buf *b = arg;
	size_t len = size * nmemb;

	/* size is 1 (libcurl's documentation); nmemb at most the buffer. */
	if (size != 1 || len > PULL_RESPONSE_MAX - b->n) {
		b->over = true;
		return 0;
	}
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : PULL_BUF_FIRST;
		char *np;

		while (cap < b->n + len + 1)
			cap *= 2;
		if (cap > PULL_RESPONSE_MAX + 1)
			cap = PULL_RESPONSE_MAX + 1;
		np = realloc(b->p, cap);
		if (np == NULL)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, ptr, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

/*
 * libcurl's progress callback, at least once a second during a transfer:
 * a daemon stopping abandons the request in flight.  Safe at any point:
 * rows not yet acknowledged come back next time as duplicates.
 */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct conn *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return c->pc->stop != NULL && c->pc->stop(c->pc->arg) ? 1 : 0;
}

/* Wipe the strings of @l (the token is in one) and free it. */
static void
headers_free(struct curl_slist *l)
{
	for (struct curl_slist *i = l; i != NULL; i = i->next)
		if (i->data != NULL)
			OPENSSL_cleanse(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

static void
conn_close(struct conn *c)
{
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	c->h = NULL;
	headers_free(c->get_hdrs);
	headers_free(c->post_hdrs);
	c->get_hdrs = c->post_hdrs = NULL;
	free(c->buf.p);
	memset(&c->buf, 0, sizeof(c->buf));
}

/* Append @s to *@l.  Returns 0 or -1. */
static int
header_add(struct curl_slist **l, const char *s)
{
	struct curl_slist *n = curl_slist_append(*l, s);

	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

static int
conn_open(struct conn *c, const struct pull_config *pc, char *errbuf,
    size_t errsz)
{
	char auth[PULL_AUTH_MAX];
	struct curl_blob ca;
	size_t n;
	int ret = -1;
	CURL *h;

	memset(c, 0, sizeof(*c));
	c->pc = pc;
	/* libcurl copies the blob (CURL_BLOB_COPY). */
	ca.data = (void *)pc->ca_pem;
	ca.len = pc->ca_pem_len;
	ca.flags = CURL_BLOB_COPY;
	if (str_copy(c->base, sizeof(c->base), pc->url) != 0) {
		errbuf_set(errbuf, errsz, "intake URL: too long");
		goto out;
	}
	n = strlen(c->base);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	if (str_printf(auth, sizeof(auth), "Authorization: Bearer %s",
	    pc->token) < 0 ||
	    header_add(&c->get_hdrs, auth) != 0 ||
	    header_add(&c->get_hdrs, "Accept: application/json") != 0 ||
	    header_add(&c->post_hdrs, auth) != 0 ||
	    header_add(&c->post_hdrs, "Accept: application/json") != 0 ||
	    header_add(&c->post_hdrs, "Content-Type: application/json") != 0 ||
	    /* No "Expect: 100-continue" round trip for a small body. */
	    header_add(&c->post_hdrs, "Expect:") != 0) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	h = curl_easy_init();
	if (h == NULL) {
		errbuf_set(errbuf, errsz, "cannot start libcurl");
		goto out;
	}
	c->h = h;
	if (curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https") !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    (long)PULL_CONNECT_TIMEOUT) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)PULL_TIMEOUT) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)PULL_RESPONSE_MAX) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->buf) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->cerr) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "hrpost-console") !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK ||
	    (pc->ca_pem != NULL ? curl_easy_setopt(h, CURLOPT_CAINFO_BLOB,
	    &ca) != CURLE_OK : pc->ca_file != NULL && pc->ca_file[0] != '\0' &&
	    curl_easy_setopt(h, CURLOPT_CAINFO, pc->ca_file) != CURLE_OK)) {
		errbuf_set(errbuf, errsz, "cannot set up libcurl");
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(auth, sizeof(auth));
	if (ret != 0)
		conn_close(c);
	return ret;
}

/*
 * One request to @path (after the base URL); @body NULL: GET, else POST
 * of that JSON.  Leaves the answer in c->buf.  Returns the HTTP status,
 * or -1 with the reason in @errbuf.
 */
static long
conn_request(struct conn *c, const char *path, const char *body,
    char *errbuf, size_t errsz)
{
	char url[PULL_REQ_URL_MAX];
	const char *ct = NULL;
	long status = 0;
	CURLcode rc;

	c->buf.n = 0;
	c->buf.over = false;
	c->cerr[0] = '\0';
	if (str_printf(url, sizeof(url), "%s%s", c->base, path) < 0) {
		errbuf_set(errbuf, errsz, "intake URL: too long");
		return -1;
	}
	if (curl_easy_setopt(c->h, CURLOPT_URL, url) != CURLE_OK ||
	    (body == NULL ?
	    curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->get_hdrs) !=
	    CURLE_OK :
	    curl_easy_setopt(c->h, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)strlen(body)) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->post_hdrs) !=
	    CURLE_OK)) {
		errbuf_set(errbuf, errsz, "cannot set up libcurl");
		return -1;
	}
	rc = curl_easy_perform(c->h);
	if (c->buf.over || rc == CURLE_FILESIZE_EXCEEDED) {
		errbuf_set(errbuf, errsz, "intake node at %s: answer over %d "
		    "bytes, refused", c->base, PULL_RESPONSE_MAX);
		return -1;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		errbuf_set(errbuf, errsz, "stopped during a request to the "
		    "intake node at %s", c->base);
		return -1;
	}
	if (rc != CURLE_OK) {
		errbuf_set(errbuf, errsz, "cannot reach the intake node at %s: "
		    "%s", c->base, c->cerr[0] != '\0' ? c->cerr :
		    curl_easy_strerror(rc));
		return -1;
	}
	if (curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK) {
		errbuf_set(errbuf, errsz, "intake node at %s: no HTTP status",
		    c->base);
		return -1;
	}
	if (status == 401 || status == 403) {
		errbuf_set(errbuf, errsz, "intake node at %s refused the token "
		    "(HTTP %ld): check [console] intake_token against [intake] "
		    "token", c->base, status);
		return -1;
	}
	if (status != 200) {
		errbuf_set(errbuf, errsz, "intake node at %s answered HTTP %ld",
		    c->base, status);
		return -1;
	}
	if (curl_easy_getinfo(c->h, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK ||
	    ct == NULL || strncmp(ct, "application/json", 16) != 0) {
		errbuf_set(errbuf, errsz, "intake node at %s: the answer is "
		    "not JSON", c->base);
		return -1;
	}
	if (c->buf.p == NULL) {
		errbuf_set(errbuf, errsz, "intake node at %s: empty answer",
		    c->base);
		return -1;
	}
	return status;
}

/* ---- rows ---- */

static bool
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Strict standard base64 (RFC 4648, padded, no line breaks) of at most
 * PULL_B64_MAX characters.  Returns a malloc'd buffer of *outlen bytes,
 * or NULL.
 */
static uint8_t *
b64_decode(const char *s, size_t len, size_t *outlen)
{
	uint8_t *out;
	size_t pad = 0;
	int n;

	*outlen = 0;
	if (len == 0 || len % 4 != 0 || len > PULL_B64_MAX)
		return NULL;
	if (s[len - 1] == PAD)
		pad = s[len - 2] == PAD ? 2 : 1;
	for (size_t i = 0; i < len - pad; i++)
		if (!b64_char(s[i]))
			return NULL;
	out = malloc(len / 4 * 3 + 1);
	if (out == NULL)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n != len / 4 * 3) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)n - pad;
	return out;
}

/* A string field of at most @max bytes without NUL, else NULL. */
static const char *
row_str(const json_t *row, const char *key, size_t max)
{
	const json_t *v = json_object_get(row, key);

	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

static void
count(struct pull_stats *stats, const struct inbox_result *res)
{
	switch (res->outcome) {
	case INBOX_ORDER:
		stats->orders++;
		break;
	case INBOX_FOLLOWUP:
	case INBOX_SMS_STOP:
	case INBOX_SMS_START:
		stats->messages++;
		break;
	case INBOX_DUPLICATE:
		stats->duplicates++;
		break;
	case INBOX_REJECTED:
		stats->rejected++;
		break;
	}
}

/* POST /outbox/ack with @ids.  Returns 0 or -1. */
static int
ack(struct conn *c, const json_t *ids, struct pull_stats *stats,
    char *errbuf, size_t errsz)
{
	json_t *req = NULL, *root = NULL, *acked;
	json_error_t jerr;
	char *body = NULL;
	int ret = -1;

	if (json_array_size(ids) == 0)
		return 0;
	req = json_pack("{s:O}", "ids", ids);
	if (req != NULL)
		body = json_dumps(req, JSON_COMPACT);
	if (body == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	if (conn_request(c, "/outbox/ack", body, errbuf, errsz) < 0)
		goto out;
	root = json_loadb(c->buf.p, c->buf.n, JSON_REJECT_DUPLICATES, &jerr);
	acked = json_object_get(root, "acked");
	if (!json_is_integer(acked) ||
	    json_integer_value(acked) != (json_int_t)json_array_size(ids)) {
		errbuf_set(errbuf, errsz, "intake node at %s: malformed answer "
		    "to the acknowledgement", c->base);
		goto out;
	}
	stats->acked += (int)json_array_size(ids);
	ret = 0;
out:
	json_decref(root);
	json_decref(req);
	free(body);
	return ret;
}

int
pull_parse(const char *body, size_t len, int limit, int64_t after,
    int (*row)(const struct inbox_item *item, void *arg), void *arg,
    size_t *nrows, size_t *skipped, char *errbuf, size_t errsz)
{
	json_t *root = NULL, *rows;
	json_error_t jerr;
	int64_t last = after;
	int ret = -1;

	*nrows = *skipped = 0;
	if (body == NULL || len > PULL_RESPONSE_MAX || limit < 1) {
		errbuf_set(errbuf, errsz, "answer missing or too large");
		return -1;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	rows = json_object_get(root, "orders");
	if (!json_is_object(root) || json_object_size(root) != 1 ||
	    !json_is_array(rows) || json_array_size(rows) > (size_t)limit) {
		errbuf_set(errbuf, errsz, "malformed answer (not "
		    "{\"orders\":[...]} of at most %d rows)", limit);
		goto out;
	}
	*nrows = json_array_size(rows);
	for (size_t i = 0; i < *nrows; i++) {
		const json_t *r = json_array_get(rows, i);
		const json_t *jid = json_object_get(r, "id");
		const json_t *jat = json_object_get(r, "received_at");
		const char *sealed = row_str(r, "sealed", PULL_B64_MAX);
		struct inbox_item item;
		int rc;

		if (!json_is_object(r) || !json_is_integer(jid) ||
		    json_integer_value(jid) <= last) {
			/*
			 * Without an id, or with one not after the last, the
			 * row can be neither placed nor acknowledged.
			 */
			(*skipped)++;
			continue;
		}
		memset(&item, 0, sizeof(item));
		item.id = (int64_t)json_integer_value(jid);
		item.received_at = json_is_integer(jat) ?
		    (int64_t)json_integer_value(jat) : 0;
		item.channel = row_str(r, "channel", PULL_CHANNEL_MAX);
		item.centre = row_str(r, "centre", PULL_CENTRE_MAX);
		/* A key over the limit reaches the inbox to be refused. */
		item.idem = row_str(r, "idem", OUTBOX_IDEM_MAX + 1);
		if (sealed != NULL)
			item.blob = b64_decode(sealed, strlen(sealed),
			    &item.bloblen);
		rc = row(&item, arg);
		free((void *)item.blob);
		if (rc != 0)
			goto out;
		last = item.id;
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

/* What a page's rows need while they are applied. */
struct page_ctx {
	const struct pull_config *pc;
	const struct inbox_config *ic;
	struct pull_stats *stats;
	json_t *ids;		/* settled: to acknowledge */
	int64_t last;
	char *errbuf;
	size_t errsz;
};

static int
apply_row(const struct inbox_item *item, void *arg)
{
	struct page_ctx *p = arg;
	struct inbox_result res;

	if (inbox_apply(p->ic, item, &res, p->errbuf, p->errsz) != 0)
		return -1;
	count(p->stats, &res);
	if (p->pc->on_row != NULL)
		p->pc->on_row(item, &res, p->pc->arg);
	if (json_array_append_new(p->ids, json_integer(item->id)) != 0) {
		errbuf_set(p->errbuf, p->errsz, "out of memory");
		return -1;
	}
	p->last = item->id;
	return 0;
}

/*
 * One page: GET, apply each row in order, acknowledge the settled ones
 * (also when a later row failed).  *last moves to the last row settled;
 * *nrows gets the number of rows.  Returns 0 or -1.
 */
static int
page(struct conn *c, const struct pull_config *pc,
    const struct inbox_config *ic, int limit, int64_t *last, size_t *nrows,
    struct pull_stats *stats, char *errbuf, size_t errsz)
{
	struct page_ctx ctx;
	char path[96], perr[256];
	size_t skipped = 0;
	int ret = -1, rc;

	*nrows = 0;
	memset(&ctx, 0, sizeof(ctx));
	if (str_printf(path, sizeof(path),
	    "/outbox?after=%lld&limit=%d", (long long)*last, limit) < 0) {
		errbuf_set(errbuf, errsz, "request too long");
		return -1;
	}
	if (conn_request(c, path, NULL, errbuf, errsz) < 0)
		return -1;
	stats->pages++;
	ctx.pc = pc;
	ctx.ic = ic;
	ctx.stats = stats;
	ctx.last = *last;
	ctx.errbuf = errbuf;
	ctx.errsz = errsz;
	ctx.ids = json_array();
	if (ctx.ids == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return -1;
	}
	perr[0] = '\0';
	rc = pull_parse(c->buf.p, c->buf.n, limit, *last, apply_row, &ctx,
	    nrows, &skipped, perr, sizeof(perr));
	stats->pulled += (int)*nrows;
	stats->rejected += (int)skipped;
	if (rc != 0 && perr[0] != '\0')
		errbuf_set(errbuf, errsz, "intake node at %s: %s", c->base,
		    perr);
	/* Acknowledge what was settled, even when a later row failed. */
	if (ack(c, ctx.ids, stats, rc != 0 ? NULL : errbuf,
	    rc != 0 ? 0 : errsz) != 0 || rc != 0)
		goto out;
	*last = ctx.last;
	ret = 0;
out:
	json_decref(ctx.ids);
	return ret;
}

/* push_io's request on the round's connection. */
static int
push_request(void *arg, const char *path, const char *body,
    const char **answer, size_t *len, char *errbuf, size_t errsz)
{
	struct conn *c = arg;

	if (conn_request(c, path, body, errbuf, errsz) < 0)
		return -1;
	*answer = c->buf.p;
	*len = c->buf.n;
	return 0;
}

static int
push_stop(void *arg)
{
	const struct conn *c = arg;

	return c->pc->stop != NULL && c->pc->stop(c->pc->arg) ? 1 : 0;
}

/* The status push after the pages.  Returns 0 or -1. */
static int
push(struct conn *c, const struct inbox_config *ic, struct pull_stats *stats,
    char *errbuf, size_t errsz)
{
	struct push_io io;
	struct push_stats ps;
	char why[PULL_PUSH_WHY_MAX];
	int rc;

	memset(&io, 0, sizeof(io));
	io.request = push_request;
	io.stop = push_stop;
	io.arg = c;
	why[0] = '\0';
	rc = push_run(&io, ic->st, ic->centre_id, &ps, why, sizeof(why));
	stats->pushed = ps.sent;
	stats->push_applied = ps.applied;
	if (rc != 0)
		errbuf_set(errbuf, errsz, "status push: %s", why);
	return rc;
}

int
pull_run(const struct pull_config *pc, const struct inbox_config *ic,
    struct pull_stats *stats, char *errbuf, size_t errsz)
{
	struct conn c;
	int64_t last = 0, before;
	size_t nrows = 0;
	int limit, ret = -1;

	memset(stats, 0, sizeof(*stats));
	memset(&c, 0, sizeof(c));
	if (pc == NULL || ic == NULL) {
		errbuf_set(errbuf, errsz, "pull: missing argument");
		return -1;
	}
	limit = pc->page > 0 ? pc->page : PULL_PAGE_DEFAULT;
	if (limit > PULL_PAGE_MAX)
		limit = PULL_PAGE_MAX;
	if (pull_check(pc->url, pc->token, errbuf, errsz) != 0)
		return -1;
	if (conn_open(&c, pc, errbuf, errsz) != 0)
		return -1;
	for (int i = 0; i < PULL_PAGES_MAX; i++) {
		before = last;
		if (page(&c, pc, ic, limit, &last, &nrows, stats, errbuf,
		    errsz) != 0)
			goto out;
		/* Read to its end, or nothing usable to go on after. */
		if (nrows < (size_t)limit || last == before)
			break;
		if (pc->stop != NULL && pc->stop(pc->arg))
			break;
	}
	if (!pc->no_push && !(pc->stop != NULL && pc->stop(pc->arg)) &&
	    push(&c, ic, stats, errbuf, errsz) != 0)
		goto out;
	ret = 0;
out:
	conn_close(&c);
	return ret;
}
