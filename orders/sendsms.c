/*
 * Kannel's sendsms client (see sendsms.h): checks its settings, then one
 * POST with the text as body and the parameters as X-Kannel headers, and
 * reads Kannel's short answer ("0: Accepted for delivery").  The header
 * strings holding the password and the number are wiped before they are
 * freed; libcurl's own error buffer is reported as it is (it names hosts
 * and TLS failures, never headers or bodies).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "orders/phone.h"
#include "orders/sendsms.h"
#include "orders/sms.h"

#define SENDER_MAX 16		/* an alphanumeric sender or short code */
#define HEADER_MAX (SENDSMS_FIELD_MAX + 32)

const char *
sendsms_status_name(enum sendsms_status s)
{
	switch (s) {
	case SENDSMS_OK:
		return "ok";
	case SENDSMS_ERR_INVALID:
		return "invalid";
	case SENDSMS_ERR_AUTH:
		return "auth";
	case SENDSMS_ERR_REFUSED:
		return "refused";
	case SENDSMS_ERR_BUSY:
		return "busy";
	case SENDSMS_ERR_FAILED:
		return "failed";
	case SENDSMS_ERR_ANSWER:
		return "answer";
	case SENDSMS_ERR_NETWORK:
		return "network";
	}
	return "unknown";
}

/*
 * https with a host, or http to this machine.  "http://127.0.0.1.evil"
 * must not pass: the host ends at ':', '/' or the end.
 */
static bool
url_allowed(const char *url)
{
	static const char *const loopback[] = {
		"http://127.0.0.1", "http://localhost", "http://[::1]",
	};

	if (strncasecmp(url, "https://", 8) == 0)
		return url[8] != '\0' && url[8] != '/' && url[8] != ':';
	for (size_t i = 0; i < ARRAY_LEN(loopback); i++) {
		size_t n = strlen(loopback[i]);

		if (strncasecmp(url, loopback[i], n) == 0 &&
		    (url[n] == '\0' || url[n] == ':' || url[n] == '/'))
			return true;
	}
	return false;
}

/* 1 to @max printable ASCII characters (no space at either end). */
static bool
field_ok(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n == 0 || n > max || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* "+33612345678", "38100", "HRPOST": a number or a short sender name. */
static bool
sender_ok(const char *s)
{
	size_t n = strlen(s), i = 0;

	if (n == 0 || n > SENDER_MAX)
		return false;
	if (s[0] == '+')
		i = 1;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[0] != '+' && ((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z')))))
			return false;
	return true;
}

int
sendsms_check(const struct sendsms_config *c, char *errbuf, size_t errsz)
{
	if (c == NULL || c->url == NULL || c->url[0] == '\0') {
		errbuf_set(errbuf, errsz, "[sms] sendsms_url is not set: no SMS "
		    "can be sent");
		return -1;
	}
	if (strlen(c->url) >= SENDSMS_URL_MAX || !url_allowed(c->url) ||
	    strpbrk(c->url, "?#@ \t\r\n") != NULL) {
		errbuf_set(errbuf, errsz, "[sms] sendsms_url must be https (plain "
		    "http only to 127.0.0.1, [::1] or localhost), shorter than "
		    "%d bytes, without credentials, query or fragment",
		    SENDSMS_URL_MAX);
		return -1;
	}
	if (!field_ok(c->user, SENDSMS_FIELD_MAX)) {
		errbuf_set(errbuf, errsz, "[sms] sendsms_user must be 1 to %d "
		    "printable ASCII characters", SENDSMS_FIELD_MAX);
		return -1;
	}
	if (!field_ok(c->password, SENDSMS_FIELD_MAX)) {
		errbuf_set(errbuf, errsz, "[sms] sendsms_password must be 1 to %d "
		    "printable ASCII characters", SENDSMS_FIELD_MAX);
		return -1;
	}
	if (c->from != NULL && c->from[0] != '\0' && !sender_ok(c->from)) {
		errbuf_set(errbuf, errsz, "[sms] sender must be a number (+ and "
		    "digits) or 1 to %d letters and digits", SENDER_MAX);
		return -1;
	}
	return 0;
}

enum sendsms_status
sendsms_answer(long http, const char *body, size_t len, bool *queued)
{
	/* Kannel's answers start "0: Accepted" and "3: Queued". */
	if (queued != NULL)
		*queued = false;
	switch (http) {
	case 202:
		if (body != NULL && len >= 3 && memcmp(body, "0: ", 3) == 0)
			return SENDSMS_OK;
		if (body != NULL && len >= 3 && memcmp(body, "3: ", 3) == 0) {
			if (queued != NULL)
				*queued = true;
			return SENDSMS_OK;
		}
		return SENDSMS_ERR_ANSWER;
	case 400:
		return SENDSMS_ERR_REFUSED;
	case 403:
		return SENDSMS_ERR_AUTH;
	case 500:
		return SENDSMS_ERR_FAILED;
	case 503:
		return SENDSMS_ERR_BUSY;
	default:
		return SENDSMS_ERR_ANSWER;
	}
}

/* Kannel's answer, kept up to SENDSMS_ANSWER_MAX bytes. */
struct answer {
	char buf[SENDSMS_ANSWER_MAX];
	size_t len;
	bool over;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return 0;
	n = size * nmemb;
	if (n > sizeof(a->buf) - a->len) {
		/* An answer this long is not Kannel's: stop reading. */
		a->over = true;
		return 0;
	}
	memcpy(a->buf + a->len, ptr, n);
	a->len += n;
	return n;
}

/* Wipe the strings of a header list (password, number), then free it. */
static void
headers_free(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p != NULL; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/* Append "Name: value" to *l; the temporary copy is wiped. */
static int
header_add(struct curl_slist **l, const char *name, const char *value)
{
	char line[HEADER_MAX];
	struct curl_slist *n;
	int rc = -1;

	if (str_printf(line, sizeof(line), "%s: %s", name, value) < 0)
		goto out;
	n = curl_slist_append(*l, line);
	if (n == NULL)
		goto out;
	*l = n;
	rc = 0;
out:
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

/* What each status means, for a message. */
static const char *
status_sentence(enum sendsms_status s)
{
	switch (s) {
	case SENDSMS_ERR_AUTH:
		return "Kannel refused the sendsms user or password (403)";
	case SENDSMS_ERR_REFUSED:
		return "Kannel refused the receiver or the text (400)";
	case SENDSMS_ERR_BUSY:
		return "Kannel is busy, try later (503)";
	case SENDSMS_ERR_FAILED:
		return "Kannel could not send it (500)";
	default:
		return "not an answer Kannel gives";
	}
}

enum sendsms_status
sendsms_send(const struct sendsms_config *c, const char *to,
    const char *text, bool *queued, char *errbuf, size_t errsz)
{
	struct answer *a = NULL;
	struct curl_slist *hdrs = NULL;
	struct field_error fe;
	enum sendsms_status ret = SENDSMS_ERR_INVALID;
	char e164[PHONE_E164_MAX], coding[4], cerr[CURL_ERROR_SIZE];
	struct curl_blob ca;
	CURL *curl = NULL;
	CURLcode cc;
	size_t tlen;
	long http = 0, ct, tt;
	int code;

	if (queued != NULL)
		*queued = false;
	if (errsz > 0)
		errbuf[0] = '\0';
	if (sendsms_check(c, errbuf, errsz) != 0)
		goto out;
	if (to == NULL || phone_normalise(to, e164, &fe) != 0 ||
	    strcmp(e164, to) != 0) {
		errbuf_set(errbuf, errsz, "receiver: not an E.164 number");
		goto out;
	}
	tlen = text != NULL ? strlen(text) : 0;
	if (tlen == 0 || tlen > SENDSMS_TEXT_MAX || !utf8_valid(text, tlen)) {
		errbuf_set(errbuf, errsz, "text: 1 to %d bytes of UTF-8",
		    SENDSMS_TEXT_MAX);
		goto out;
	}
	code = sms_coding(text, NULL, NULL);
	if (code < 0 || str_printf(coding, sizeof(coding), "%d", code) < 0) {
		errbuf_set(errbuf, errsz, "text: not UTF-8");
		goto out;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	if (header_add(&hdrs, "Content-Type",
	    "text/plain; charset=UTF-8") != 0 ||
	    header_add(&hdrs, "X-Kannel-Username", c->user) != 0 ||
	    header_add(&hdrs, "X-Kannel-Password", c->password) != 0 ||
	    header_add(&hdrs, "X-Kannel-To", e164) != 0 ||
	    header_add(&hdrs, "X-Kannel-Coding", coding) != 0 ||
	    (c->from != NULL && c->from[0] != '\0' &&
	    header_add(&hdrs, "X-Kannel-From", c->from) != 0) ||
	    /* No "Expect: 100-continue" round trip for a short body. */
	    header_add(&hdrs, "Expect", "") != 0) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	curl = curl_easy_init();
	if (curl == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	/* libcurl copies the certificates (CURL_BLOB_COPY). */
	ca.data = (void *)(uintptr_t)c->ca_pem;
	ca.len = c->ca_pem_len;
	ca.flags = CURL_BLOB_COPY;
	ct = c->connect_timeout_ms > 0 ? c->connect_timeout_ms :
	    SENDSMS_CONNECT_TIMEOUT_MS;
	tt = c->timeout_ms > 0 ? c->timeout_ms : SENDSMS_TIMEOUT_MS;
	cerr[0] = '\0';
	if (curl_easy_setopt(curl, CURLOPT_URL, c->url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1")
	    != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, ct) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, tt) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_USERAGENT, "hrpost") != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)tlen) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, a) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr) != CURLE_OK ||
	    (c->ca_pem != NULL && c->ca_pem_len > 0 &&
	    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca) != CURLE_OK) ||
	    ((c->ca_pem == NULL || c->ca_pem_len == 0) && c->ca_file != NULL &&
	    c->ca_file[0] != '\0' &&
	    curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file) != CURLE_OK)) {
		errbuf_set(errbuf, errsz, "cannot set up the request");
		goto out;
	}
	ret = SENDSMS_ERR_NETWORK;
	cc = curl_easy_perform(curl);
	if (cc == CURLE_WRITE_ERROR && a->over) {
		ret = SENDSMS_ERR_ANSWER;
		errbuf_set(errbuf, errsz, "%s: answer longer than %d bytes",
		    c->url, SENDSMS_ANSWER_MAX);
		goto out;
	}
	if (cc != CURLE_OK) {
		errbuf_set(errbuf, errsz, "%s: %s", c->url, cerr[0] != '\0' ?
		    cerr : curl_easy_strerror(cc));
		goto out;
	}
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http) !=
	    CURLE_OK)
		http = 0;
	ret = sendsms_answer(http, a->buf, a->len, queued);
	if (ret != SENDSMS_OK)
		errbuf_set(errbuf, errsz, "%s: HTTP %ld: %s", c->url, http,
		    status_sentence(ret));
out:
	curl_easy_cleanup(curl);
	headers_free(hdrs);
	OPENSSL_cleanse(e164, sizeof(e164));
	if (a != NULL) {
		OPENSSL_cleanse(a, sizeof(*a));
		free(a);
	}
	return ret;
}
