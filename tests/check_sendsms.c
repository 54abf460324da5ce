/*
 * Check suite for orders/sendsms.c: the client against a libmicrohttpd
 * stand-in for Kannel's cgi-bin/sendsms on a loopback port, which records
 * what came (method, path, query, X-Kannel headers, Content-Type, body)
 * and answers as Kannel does (202 "0: Accepted for delivery", 202 "3:
 * Queued for later delivery", 403, 400, 503, 500) or as Kannel does not
 * (200, a 302 redirect, an unknown 202 text, an answer over the limit, a
 * slow answer).  Also: the settings check (URL schemes and loopback, user,
 * password, sender), the receiver and text checks (nothing sent), coding
 * 0 for GSM text and 2 for the rest, a closed port, and that neither the
 * password, the number nor the text ever reaches a URL or a message.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "base/util.h"
#include "orders/sendsms.h"
#include "tests/testutil.h"

#define USER "hrpost"
#define PASSWORD "s3cret-Kannel-pw"
#define PHONE "+33612345678"
#define TEXT "Bonjour, nous avons essayé de vous joindre."
#define BODY_MAX 8192
#define SRV_HUGE (SENDSMS_ANSWER_MAX * 4)

enum srv_mode {
	SRV_NORMAL,
	SRV_REDIRECT,
	SRV_HUGE_BODY,
	SRV_SLOW,
};

struct upload {
	char buf[BODY_MAX];
	size_t len;
};

static struct {
	struct MHD_Daemon *d;
	uint16_t port;
	char url[128];
	pthread_mutex_t lock;
	/* how to answer */
	int status;
	char answer[256];
	enum srv_mode mode;
	/* what came */
	int requests;
	char method[16];
	char path[256];
	char query[512];
	char user[128], password[128], to[64], from[64], coding[8];
	char ctype[128];
	char body[BODY_MAX];
	size_t body_len;
} srv;

static enum MHD_Result
query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	size_t n = strlen(srv.query);

	(void)cls;
	(void)kind;
	(void)!str_printf(srv.query + n, sizeof(srv.query) - n, "%s=%s&", key,
	    value != NULL ? value : "");
	return MHD_YES;
}

static void
header(struct MHD_Connection *conn, const char *name, char *out, size_t sz)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    name);

	(void)!str_copy(out, sz, v != NULL ? v : "");
}

static enum MHD_Result
srv_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct upload *up = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *body;
	size_t len;
	int status;
	enum srv_mode mode;

	(void)cls;
	(void)version;
	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		if (up == NULL)
			return MHD_NO;
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;

		if (n > sizeof(up->buf) - up->len)
			n = sizeof(up->buf) - up->len;
		memcpy(up->buf + up->len, upload, n);
		up->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&srv.lock);
	srv.requests++;
	(void)!str_copy(srv.method, sizeof(srv.method), method);
	(void)!str_copy(srv.path, sizeof(srv.path), url);
	srv.query[0] = '\0';
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_arg, NULL);
	header(conn, "X-Kannel-Username", srv.user, sizeof(srv.user));
	header(conn, "X-Kannel-Password", srv.password, sizeof(srv.password));
	header(conn, "X-Kannel-To", srv.to, sizeof(srv.to));
	header(conn, "X-Kannel-From", srv.from, sizeof(srv.from));
	header(conn, "X-Kannel-Coding", srv.coding, sizeof(srv.coding));
	header(conn, "Content-Type", srv.ctype, sizeof(srv.ctype));
	memcpy(srv.body, up->buf, up->len);
	srv.body_len = up->len;
	mode = srv.mode;
	status = srv.status;
	if (mode == SRV_HUGE_BODY) {
		len = SRV_HUGE;
		body = malloc(len);
		if (body != NULL)
			memset(body, 'x', len);
	} else {
		len = strlen(srv.answer);
		body = str_dup(srv.answer);
	}
	pthread_mutex_unlock(&srv.lock);
	if (body == NULL)
		return MHD_NO;
	if (mode == SRV_SLOW)
		sleep(2);
	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	if (mode == SRV_REDIRECT) {
		status = 302;
		MHD_add_response_header(resp, "Location", "/cgi-bin/elsewhere");
	}
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
srv_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void
setup(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.lock, NULL);
	srv.status = 202;
	(void)!str_copy(srv.answer, sizeof(srv.answer),
	    "0: Accepted for delivery");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, srv_handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, srv_done, NULL, MHD_OPTION_END);
	ck_assert_ptr_nonnull(srv.d);
	info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	srv.port = info->port;
	ck_assert_int_ge(str_printf(srv.url, sizeof(srv.url),
	    "http://127.0.0.1:%u/cgi-bin/sendsms", srv.port), 0);
}

static void
teardown(void)
{
	MHD_stop_daemon(srv.d);
	srv.d = NULL;
	pthread_mutex_destroy(&srv.lock);
	curl_global_cleanup();
}

static struct sendsms_config
config(void)
{
	struct sendsms_config c;

	memset(&c, 0, sizeof(c));
	c.url = srv.url;
	c.user = USER;
	c.password = PASSWORD;
	c.from = "38100";
	c.timeout_ms = 5000;
	return c;
}

static void
answer(int status, const char *text)
{
	pthread_mutex_lock(&srv.lock);
	srv.status = status;
	(void)!str_copy(srv.answer, sizeof(srv.answer), text);
	pthread_mutex_unlock(&srv.lock);
}

static int
requests(void)
{
	int n;

	pthread_mutex_lock(&srv.lock);
	n = srv.requests;
	pthread_mutex_unlock(&srv.lock);
	return n;
}

/* No secret and no personal data in a message. */
static void
clean_message(const char *msg)
{
	ck_assert_ptr_null(strstr(msg, PASSWORD));
	ck_assert_ptr_null(strstr(msg, "612345678"));
	ck_assert_ptr_null(strstr(msg, "Bonjour"));
}

/* ---- the request ---- */

START_TEST(sends_post_with_kannel_headers)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX] = "x";
	bool queued = true;

	ck_assert_int_eq(sendsms_send(&c, PHONE, TEXT, &queued, err,
	    sizeof(err)), SENDSMS_OK);
	ck_assert(!queued);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(requests(), 1);
	ck_assert_str_eq(srv.method, "POST");
	ck_assert_str_eq(srv.path, "/cgi-bin/sendsms");
	/* Nothing in the URL: no password, number or text. */
	ck_assert_str_eq(srv.query, "");
	ck_assert_str_eq(srv.user, USER);
	ck_assert_str_eq(srv.password, PASSWORD);
	ck_assert_str_eq(srv.to, PHONE);
	ck_assert_str_eq(srv.from, "38100");
	ck_assert_str_eq(srv.coding, "0");
	ck_assert_str_eq(srv.ctype, "text/plain; charset=UTF-8");
	ck_assert_uint_eq(srv.body_len, strlen(TEXT));
	ck_assert(memcmp(srv.body, TEXT, srv.body_len) == 0);
}
END_TEST

START_TEST(ucs2_for_text_outside_gsm)
{
	struct sendsms_config c = config();
	const char *ru = "Здравствуйте, мы не дозвонились.";
	char err[SENDSMS_ERR_MAX];

	ck_assert_int_eq(sendsms_send(&c, PHONE, ru, NULL, err, sizeof(err)),
	    SENDSMS_OK);
	ck_assert_str_eq(srv.coding, "2");
	ck_assert(srv.body_len == strlen(ru) &&
	    memcmp(srv.body, ru, srv.body_len) == 0);
	/* "ç" is not GSM either (Kannel would send "Ç"). */
	ck_assert_int_eq(sendsms_send(&c, PHONE, "ça va", NULL, err,
	    sizeof(err)), SENDSMS_OK);
	ck_assert_str_eq(srv.coding, "2");
}
END_TEST

START_TEST(no_sender_no_header)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX];

	c.from = NULL;
	ck_assert_int_eq(sendsms_send(&c, PHONE, "x", NULL, err, sizeof(err)),
	    SENDSMS_OK);
	ck_assert_str_eq(srv.from, "");
	c.from = "";
	ck_assert_int_eq(sendsms_send(&c, PHONE, "x", NULL, err, sizeof(err)),
	    SENDSMS_OK);
	ck_assert_str_eq(srv.from, "");
}
END_TEST

/* ---- answers ---- */

START_TEST(queued_is_ok)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX];
	bool queued = false;

	answer(202, "3: Queued for later delivery");
	ck_assert_int_eq(sendsms_send(&c, PHONE, TEXT, &queued, err,
	    sizeof(err)), SENDSMS_OK);
	ck_assert(queued);
}
END_TEST

static const struct {
	int status;
	const char *text;
	enum sendsms_status want;
	const char *says;
} errors[] = {
	{ 403, "Authorization failed for sendsms", SENDSMS_ERR_AUTH, "403" },
	{ 400, "Missing receiver(s) number(s), rejected", SENDSMS_ERR_REFUSED,
	  "400" },
	{ 503, "Temporal failure, try again later.", SENDSMS_ERR_BUSY, "503" },
	{ 500, "Sending failed.", SENDSMS_ERR_FAILED, "500" },
	{ 200, "0: Accepted for delivery", SENDSMS_ERR_ANSWER, "200" },
	{ 202, "Accepted", SENDSMS_ERR_ANSWER, "202" },
	{ 202, "", SENDSMS_ERR_ANSWER, "202" },
	{ 404, "Not found", SENDSMS_ERR_ANSWER, "404" },
};

START_TEST(error_statuses)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX];
	bool queued = true;

	answer(errors[_i].status, errors[_i].text);
	ck_assert_int_eq(sendsms_send(&c, PHONE, TEXT, &queued, err,
	    sizeof(err)), errors[_i].want);
	ck_assert(!queued);
	ck_assert_msg(strstr(err, errors[_i].says) != NULL, "%s", err);
	ck_assert_msg(strstr(err, srv.url) != NULL, "%s", err);
	clean_message(err);
}
END_TEST

START_TEST(answer_parser)
{
	bool q = true;

	ck_assert_int_eq(sendsms_answer(202, "0: Accepted for delivery", 24,
	    &q), SENDSMS_OK);
	ck_assert(!q);
	ck_assert_int_eq(sendsms_answer(202, "3: Queued for later delivery",
	    28, &q), SENDSMS_OK);
	ck_assert(q);
	/* Only the bytes given are read. */
	ck_assert_int_eq(sendsms_answer(202, "0: ", 2, &q), SENDSMS_ERR_ANSWER);
	ck_assert_int_eq(sendsms_answer(202, NULL, 0, NULL),
	    SENDSMS_ERR_ANSWER);
	ck_assert_int_eq(sendsms_answer(403, "", 0, NULL), SENDSMS_ERR_AUTH);
	ck_assert_int_eq(sendsms_answer(400, "", 0, NULL), SENDSMS_ERR_REFUSED);
	ck_assert_int_eq(sendsms_answer(503, "", 0, NULL), SENDSMS_ERR_BUSY);
	ck_assert_int_eq(sendsms_answer(500, "", 0, NULL), SENDSMS_ERR_FAILED);
	ck_assert_int_eq(sendsms_answer(0, "", 0, NULL), SENDSMS_ERR_ANSWER);
	ck_assert_str_eq(sendsms_status_name(SENDSMS_ERR_BUSY), "busy");
	ck_assert_str_eq(sendsms_status_name(SENDSMS_OK), "ok");
}
END_TEST

START_TEST(redirect_not_followed)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX];

	srv.mode = SRV_REDIRECT;
	ck_assert_int_eq(sendsms_send(&c, PHONE, TEXT, NULL, err, sizeof(err)),
	    SENDSMS_ERR_ANSWER);
	ck_assert_int_eq(requests(), 1);
	ck_assert_msg(strstr(err, "302") != NULL, "%s", err);
}
END_TEST

START_TEST(huge_answer_refused)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX];

	srv.mode = SRV_HUGE_BODY;
	ck_assert_int_eq(sendsms_send(&c, PHONE, TEXT, NULL, err, sizeof(err)),
	    SENDSMS_ERR_ANSWER);
	ck_assert_msg(strstr(err, "longer than") != NULL, "%s", err);
}
END_TEST

START_TEST(slow_answer_times_out)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX];

	srv.mode = SRV_SLOW;
	c.timeout_ms = 300;
	ck_assert_int_eq(sendsms_send(&c, PHONE, TEXT, NULL, err, sizeof(err)),
	    SENDSMS_ERR_NETWORK);
	clean_message(err);
}
END_TEST

START_TEST(closed_port_is_network_error)
{
	struct sendsms_config c = config();
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char url[128], err[SENDSMS_ERR_MAX];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* A port that was free a moment ago. */
	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	ck_assert_int_ge(str_printf(url, sizeof(url),
	    "http://127.0.0.1:%u/cgi-bin/sendsms", ntohs(sa.sin_port)), 0);
	c.url = url;
	ck_assert_int_eq(sendsms_send(&c, PHONE, TEXT, NULL, err, sizeof(err)),
	    SENDSMS_ERR_NETWORK);
	clean_message(err);
}
END_TEST

START_TEST(tls_failure_is_network_error)
{
	struct sendsms_config c = config();
	char url[128], err[SENDSMS_ERR_MAX];

	/* https to a plain HTTP server: the handshake fails. */
	ck_assert_int_ge(str_printf(url, sizeof(url),
	    "https://127.0.0.1:%u/cgi-bin/sendsms", srv.port), 0);
	c.url = url;
	ck_assert_int_eq(sendsms_send(&c, PHONE, TEXT, NULL, err, sizeof(err)),
	    SENDSMS_ERR_NETWORK);
	clean_message(err);
}
END_TEST

/* ---- settings and arguments: nothing sent ---- */

static const char *const bad_urls[] = {
	"",
	"ftp://127.0.0.1/cgi-bin/sendsms",
	"http://kannel.example.org:13013/cgi-bin/sendsms",
	"http://127.0.0.1.example.org/cgi-bin/sendsms",
	"http://10.0.0.5:13013/cgi-bin/sendsms",
	"http://127.0.0.1:13013/cgi-bin/sendsms?username=x",
	"http://127.0.0.1:13013/cgi-bin/sendsms#frag",
	"https://user:pw@kannel.example.org/cgi-bin/sendsms",
	"https://",
	"https:///cgi-bin/sendsms",
	"http://127.0.0.1:13013/cgi bin",
};

START_TEST(bad_url_refused)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX];

	c.url = bad_urls[_i];
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "[sms] sendsms_url") != NULL, "%s", err);
	ck_assert_int_eq(sendsms_send(&c, PHONE, TEXT, NULL, err, sizeof(err)),
	    SENDSMS_ERR_INVALID);
	ck_assert_int_eq(requests(), 0);
}
END_TEST

START_TEST(good_urls_accepted)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX];
	const char *ok[] = {
		"http://127.0.0.1:13013/cgi-bin/sendsms",
		"http://localhost:13013/cgi-bin/sendsms",
		"http://[::1]:13013/cgi-bin/sendsms",
		"https://sms.example.org/cgi-bin/sendsms",
		"HTTPS://sms.example.org:8443/cgi-bin/sendsms",
	};

	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		c.url = ok[i];
		ck_assert_msg(sendsms_check(&c, err, sizeof(err)) == 0, "%s: %s",
		    ok[i], err);
	}
	c.url = NULL;
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	ck_assert_int_eq(sendsms_check(NULL, err, sizeof(err)), -1);
}
END_TEST

START_TEST(bad_credentials_refused)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX], longpw[SENDSMS_FIELD_MAX + 2];

	c.user = "";
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "sendsms_user") != NULL, "%s", err);
	c.user = NULL;
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	c = config();
	c.password = "pass\nword";
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "sendsms_password") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "pass\nword"));
	memset(longpw, 'p', sizeof(longpw) - 1);
	longpw[sizeof(longpw) - 1] = '\0';
	c.password = longpw;
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	c.password = NULL;
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	c = config();
	c.from = "+33 6 12";
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "[sms] sender") != NULL, "%s", err);
	c.from = "HRPOST";
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), 0);
	c.from = "+33612345678";
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), 0);
	c.from = "+";
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	c.from = "ABCDEFGHIJKLMNOPQ";
	ck_assert_int_eq(sendsms_check(&c, err, sizeof(err)), -1);
	ck_assert_int_eq(requests(), 0);
}
END_TEST

START_TEST(bad_receiver_or_text_refused)
{
	struct sendsms_config c = config();
	char err[SENDSMS_ERR_MAX], big[SENDSMS_TEXT_MAX + 2];

	ck_assert_int_eq(sendsms_send(&c, "06 12 34 56 78", TEXT, NULL, err,
	    sizeof(err)), SENDSMS_ERR_INVALID);
	ck_assert_msg(strstr(err, "receiver") != NULL, "%s", err);
	clean_message(err);
	ck_assert_int_eq(sendsms_send(&c, "+33", TEXT, NULL, err, sizeof(err)),
	    SENDSMS_ERR_INVALID);
	ck_assert_int_eq(sendsms_send(&c, NULL, TEXT, NULL, err, sizeof(err)),
	    SENDSMS_ERR_INVALID);
	ck_assert_int_eq(sendsms_send(&c, PHONE, "", NULL, err, sizeof(err)),
	    SENDSMS_ERR_INVALID);
	ck_assert_msg(strstr(err, "text") != NULL, "%s", err);
	ck_assert_int_eq(sendsms_send(&c, PHONE, NULL, NULL, err, sizeof(err)),
	    SENDSMS_ERR_INVALID);
	ck_assert_int_eq(sendsms_send(&c, PHONE, "caf\xe9", NULL, err,
	    sizeof(err)), SENDSMS_ERR_INVALID);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(sendsms_send(&c, PHONE, big, NULL, err, sizeof(err)),
	    SENDSMS_ERR_INVALID);
	/* The limit itself goes. */
	big[SENDSMS_TEXT_MAX] = '\0';
	ck_assert_int_eq(requests(), 0);
	ck_assert_int_eq(sendsms_send(&c, PHONE, big, NULL, err, sizeof(err)),
	    SENDSMS_OK);
	ck_assert_uint_eq(srv.body_len, SENDSMS_TEXT_MAX);
}
END_TEST

static Suite *
sendsms_suite(void)
{
	Suite *s = suite_create("sendsms");
	TCase *tc = tcase_create("sendsms");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, sends_post_with_kannel_headers);
	tcase_add_test(tc, ucs2_for_text_outside_gsm);
	tcase_add_test(tc, no_sender_no_header);
	tcase_add_test(tc, queued_is_ok);
	tcase_add_loop_test(tc, error_statuses, 0, ARRAY_LEN(errors));
	tcase_add_test(tc, answer_parser);
	tcase_add_test(tc, redirect_not_followed);
	tcase_add_test(tc, huge_answer_refused);
	tcase_add_test(tc, slow_answer_times_out);
	tcase_add_test(tc, closed_port_is_network_error);
	tcase_add_test(tc, tls_failure_is_network_error);
	tcase_add_loop_test(tc, bad_url_refused, 0, ARRAY_LEN(bad_urls));
	tcase_add_test(tc, good_urls_accepted);
	tcase_add_test(tc, bad_credentials_refused);
	tcase_add_test(tc, bad_receiver_or_text_refused);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(sendsms_suite)
