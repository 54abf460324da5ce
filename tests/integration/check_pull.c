/*
 * The console's pull, end to end with the real binaries: a real
 * `hrpost intake` daemon takes a web order (curl through libcurl, as a
 * browser would) and SMS (GET /sms with the shared secret, as Kannel
 * would); `hrpost pull` brings them into centre.db (the web order
 * accepted under the reference its confirmation page showed, `order
 * show` printing the address; an SMS re-order from a known number to the
 * address on file; an SMS order from an unknown number as a call-back
 * task) and intake's outbox is emptied.  A crash between applying and
 * acknowledging: a proxy between `hrpost pull` and intake forwards the
 * fetch and SIGKILLs the pull when its acknowledgement arrives; the next
 * pull finds the rows again, as duplicates, and there is exactly one
 * order each.  A wrong token and an unreachable intake fail clearly
 * without printing the token.  The real `hrpost console` daemon pulls by
 * itself within pull_interval, answers /healthz, keeps personal data out
 * of its log, logs a failing pull and goes on serving, refuses to start
 * when it could never pull, and stops on SIGTERM with exit status 0, also
 * in the middle of a pull that hangs.
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <check.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/util.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define OUT_MAX (256 * 1024)
#define WAIT_MS 30000		/* generous: never a timing assertion */

/* A distinctive person: none of it may reach a log in clear. */
#define PSEUDO "Zoulikha"
#define LINE2 "17 chemin des Oliviers"
#define PHONE_Q "%2B33671234589"
#define PHONE_DIGITS "671234589"
#define UNKNOWN_Q "%2B33687650001"
#define GOOD_BODY \
	"pseudonym=" PSEUDO "&line=Apt+4+chez+Mme+Quenaudon" \
	"&line=17+chemin+des+Oliviers&postcode=12100&commune=Millau" \
	"&phone=06+71+23+45+89&consent_call=1&consent_sms=1&lang=fr" \
	"&qty_INJ=2&variant_INJ=29G-12&qty_NALOX=1&note=apres+18h"

struct result {
	int status;		/* exit status, or 128 + signal */
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static char dir[DAEMON_PATH_MAX];
static char token[256];
static char secret[256];
static struct daemon_proc intake;
static struct result r;

/* ---- running hrpost ---- */

/*
 * Start hrpost -d dir ARGS... with stdout/stderr into pipes (@po, @pe),
 * stdin /dev/null, no controlling terminal (daemon_cli_spawn()).
 */
static pid_t
spawn(const char *const *args, int *po, int *pe)
{
	struct daemon_child c;

	ck_assert_msg(daemon_cli_spawn(&c, dir, args, NULL) == 0,
	    "could not run %s", daemon_bin());
	*po = c.out;
	*pe = c.err;
	return c.pid;
}

/* Collect what @pid writes and its exit status into r. */
static int
finish(pid_t pid, int po, int pe)
{
	struct daemon_child c = { pid, po, pe };

	r.status = daemon_collect(&c, r.out, sizeof(r.out), NULL, r.err,
	    sizeof(r.err));
	ck_assert_int_ne(r.status, -1);
	return r.status;
}

static int
run_argv(const char *const *args)
{
	int po, pe;
	pid_t pid = spawn(args, &po, &pe);

	return finish(pid, po, pe);
}

#define run(...) run_argv((const char *const[]){ __VA_ARGS__, NULL })

/* ---- the state and the intake daemon ---- */

/* The value of "@key = " in hrpost.conf (the first one). */
static void
conf_value(const char *k, char *out, size_t outsz)
{
	char path[DAEMON_PATH_MAX], pat[64];
	size_t len = 0, i;
	char *conf, *p;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/hrpost.conf",
	    dir), 0);
	ck_assert_int_ge(str_printf(pat, sizeof(pat), "\n%s = ", k), 0);
	conf = testutil_slurp(path, &len);
	ck_assert_ptr_nonnull(conf);
	p = strstr(conf, pat);
	ck_assert_ptr_nonnull(p);
	p += strlen(pat);
	for (i = 0; i < outsz - 1 && p[i] != '\n' && p[i] != '\0'; i++)
		out[i] = p[i];
	out[i] = '\0';
	free(conf);
}

static void
setup(void)
{
	ck_assert_int_eq(daemon_state_new(dir, sizeof(dir)), 0);
	conf_value("token", token, sizeof(token));
	conf_value("secret", secret, sizeof(secret));
	ck_assert_int_ge((int)strlen(token), 16);
	ck_assert_int_ge((int)strlen(secret), 16);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "web_per_minute",
	    "100000"), 0);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "orders_per_hour",
	    "100000"), 0);
	ck_assert_int_eq(daemon_start(&intake, dir, "intake", NULL, NULL), 0);
	ck_assert_int_eq(daemon_config_set(dir, "console", "intake_url",
	    intake.url), 0);
}

static void
teardown(void)
{
	int st = -1;

	(void)daemon_stop(&intake, &st);
	daemon_state_free(dir);
}

/* POST a web order; the reference its confirmation page shows. */
static void
web_order(const char *idem, char *ref, size_t refsz)
{
	struct daemon_reply rp;
	char url[128], body[1024];
	const char *p, *colon, *end;

	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/order", intake.url),
	    0);
	ck_assert_int_ge(str_printf(body, sizeof(body), "%s&idem=%s",
	    GOOD_BODY, idem), 0);
	ck_assert_int_eq(daemon_post(url, "application/x-www-form-urlencoded",
	    body, strlen(body), &rp), 0);
	ck_assert_int_eq(rp.status, 200);
	p = strstr(rp.body, "class=\"ref\">");
	ck_assert_ptr_nonnull(p);
	end = strstr(p, "</p>");
	ck_assert_ptr_nonnull(end);
	colon = end;
	while (colon > p && colon[-1] != ' ')
		colon--;
	ck_assert_int_lt((int)(end - colon), (int)refsz);
	memcpy(ref, colon, (size_t)(end - colon));
	ref[end - colon] = '\0';
	ck_assert_int_ge((int)strlen(ref), 9);
	daemon_reply_free(&rp);
}

/* An SMS as Kannel passes it: @from and @text already URL-encoded. */
static void
sms(const char *id, const char *from, const char *text)
{
	struct daemon_reply rp;
	char url[1024];

	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/sms?secret=%s"
	    "&from=%s&to=38100&text=%s&id=%s&ts=1767225600&coding=0",
	    intake.url, secret, from, text, id), 0);
	ck_assert_int_eq(daemon_get(url, &rp), 0);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
}

/* Rows waiting in intake's outbox, through its own API. */
static size_t
outbox_rows(void)
{
	struct daemon_req rq;
	struct daemon_reply rp;
	char url[128], auth[300];
	const char *hdrs[2];
	json_t *root;
	size_t n;

	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/outbox?limit=500",
	    intake.url), 0);
	ck_assert_int_ge(str_printf(auth, sizeof(auth), "Authorization: "
	    "Bearer %s", token), 0);
	hdrs[0] = auth;
	hdrs[1] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.headers = hdrs;
	ck_assert_int_eq(daemon_request(&rq, &rp), 0);
	ck_assert_int_eq(rp.status, 200);
	root = json_loadb(rp.body, rp.body_len, 0, NULL);
	ck_assert_ptr_nonnull(root);
	ck_assert(json_is_array(json_object_get(root, "orders")));
	n = json_array_size(json_object_get(root, "orders"));
	json_decref(root);
	daemon_reply_free(&rp);
	return n;
}

/* First column of the first row of @sql on centre.db. */
static int64_t
centre_int(const char *sql)
{
	char path[DAEMON_PATH_MAX];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
expect_summary(const char *line)
{
	ck_assert_msg(strstr(r.err, line) != NULL, "want [%s] in [%s]", line,
	    r.err);
}

/* ---- tests ---- */

START_TEST(test_web_order)
{
	char ref[64], line[256];

	web_order("form-1", ref, sizeof(ref));
	ck_assert_uint_eq(outbox_rows(), 1);
	ck_assert_msg(run("pull") == 0, "pull: %s", r.err);
	expect_summary("pulled 1: 1 orders, 0 messages, 0 duplicates, "
	    "0 rejected");
	ck_assert_uint_eq(outbox_rows(), 0);

	/* Accepted, under the reference the confirmation page showed. */
	ck_assert_int_eq(run("queue", "--format", "csv"), 0);
	ck_assert_int_ge(str_printf(line, sizeof(line), "%s,", ref), 0);
	ck_assert_msg(strstr(r.out, line) != NULL, "queue: %s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "accepted"));
	ck_assert_ptr_nonnull(strstr(r.out, "web"));
	ck_assert_msg(run("order", "show", ref) == 0, "show: %s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, PSEUDO));
	ck_assert_ptr_nonnull(strstr(r.out, LINE2));
	ck_assert_ptr_nonnull(strstr(r.out, "12100"));

	/* Nothing more to pull. */
	ck_assert_int_eq(run("pull"), 0);
	expect_summary("pulled 0: 0 orders, 0 messages, 0 duplicates, "
	    "0 rejected");
	ck_assert_int_eq(centre_int("SELECT count(*) FROM orders"), 1);
	ck_assert_int_eq(run("audit", "verify"), 0);
}
END_TEST

START_TEST(test_sms)
{
	char ref[64];

	web_order("form-1", ref, sizeof(ref));
	ck_assert_int_eq(run("pull"), 0);
	/* A re-order from the number on file, and one from a stranger. */
	sms("kannel-0001", PHONE_Q, "COMMANDE+INJ+3");
	sms("kannel-0002", UNKNOWN_Q, "COMMANDE");
	sms("kannel-0003", PHONE_Q, "STOP");
	/* Kannel delivering the first one again stores nothing new. */
	sms("kannel-0001", PHONE_Q, "COMMANDE+INJ+3");
	ck_assert_uint_eq(outbox_rows(), 3);
	ck_assert_msg(run("pull") == 0, "pull: %s", r.err);
	expect_summary("pulled 3: 1 orders, 2 messages, 0 duplicates, "
	    "0 rejected");
	ck_assert_uint_eq(outbox_rows(), 0);

	ck_assert_int_eq(centre_int("SELECT count(*) FROM orders WHERE "
	    "channel = 'sms' AND status = 'accepted'"), 1);
	ck_assert_int_eq(centre_int("SELECT count(DISTINCT recipient_id) FROM "
	    "orders"), 1);
	ck_assert_int_eq(centre_int("SELECT qty FROM order_lines l JOIN "
	    "orders o ON o.id = l.order_id WHERE o.channel = 'sms'"), 3);
	ck_assert_int_eq(centre_int("SELECT count(*) FROM followups WHERE "
	    "reason = 'urgent_sms_order_unknown' AND status = 'open'"), 1);
	ck_assert_int_eq(centre_int("SELECT count(*) FROM recipients"), 2);
	ck_assert_int_eq(centre_int("SELECT sms_stopped FROM recipients r "
	    "JOIN orders o ON o.recipient_id = r.id LIMIT 1"), 1);

	/* The SMS order goes to the address on file. */
	ck_assert_int_eq(run("queue", "--format", "csv"), 0);
	{
		const char *p = strstr(r.out, ",sms,");
		char sref[16];
		const char *bol;

		ck_assert_ptr_nonnull(p);
		bol = p;
		while (bol > r.out && bol[-1] != '\n')
			bol--;
		ck_assert_ptr_nonnull(memchr(bol, ',', (size_t)(p - bol) + 1));
		ck_assert_int_lt((int)(strchr(bol, ',') - bol),
		    (int)sizeof(sref));
		memcpy(sref, bol, (size_t)(strchr(bol, ',') - bol));
		sref[strchr(bol, ',') - bol] = '\0';
		ck_assert_msg(run("order", "show", sref) == 0, "show %s: %s",
		    sref, r.err);
		ck_assert_ptr_nonnull(strstr(r.out, PSEUDO));
		ck_assert_ptr_nonnull(strstr(r.out, LINE2));
	}
	ck_assert_int_eq(run("audit", "verify"), 0);
}
END_TEST

/*
 * A proxy between `hrpost pull` and intake: GET requests are forwarded,
 * the first POST /outbox/ack kills the pull (SIGKILL) before intake ever
 * sees it: a crash after the rows were applied, before they were
 * acknowledged.
 */
struct proxy {
	int fd;
	uint16_t port;
	atomic_int victim;	/* the pull's pid, once known */
	atomic_int stop;
	atomic_int forwarded;
	atomic_int killed;
	pthread_t th;
};

static ssize_t
read_some(int fd, char *buf, size_t n)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (poll(&p, 1, 10000) <= 0)
		return -1;
	return read(fd, buf, n);
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
proxy_one(struct proxy *px, int c)
{
	static char req[65536];
	char target[512], auth[400], url[700], head[256];
	const char *hdrs[2] = { auth, NULL };
	struct daemon_req rq;
	struct daemon_reply rp;
	size_t n = 0;
	char *end, *sp, *a;

	while (n < sizeof(req) - 1) {
		ssize_t k = read_some(c, req + n, sizeof(req) - 1 - n);

		if (k <= 0)
			return;
		n += (size_t)k;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	end = strstr(req, "\r\n\r\n");
	if (end == NULL)
		return;
	if (strncmp(req, "POST /outbox/ack", 16) == 0) {
		/* The crash: the rows are applied, the ack never arrives. */
		while (atomic_load(&px->victim) == 0)
			usleep(1000);
		(void)kill((pid_t)atomic_load(&px->victim), SIGKILL);
		atomic_fetch_add(&px->killed, 1);
		return;
	}
	sp = strchr(req + 4, ' ');
	if (strncmp(req, "GET ", 4) != 0 || sp == NULL ||
	    (size_t)(sp - (req + 4)) >= sizeof(target))
		return;
	memcpy(target, req + 4, (size_t)(sp - (req + 4)));
	target[sp - (req + 4)] = '\0';
	a = strcasestr(req, "\r\nAuthorization: ");
	if (a == NULL)
		return;
	a += 2;
	sp = strstr(a, "\r\n");
	if (sp == NULL || (size_t)(sp - a) >= sizeof(auth))
		return;
	memcpy(auth, a, (size_t)(sp - a));
	auth[sp - a] = '\0';
	if (str_printf(url, sizeof(url), "%s%s", intake.url, target) < 0)
		return;
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.headers = hdrs;
	if (daemon_request(&rq, &rp) != 0)
		return;
	if (str_printf(head, sizeof(head), "HTTP/1.1 %ld X\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\nConnection: close"
	    "\r\n\r\n", rp.status, rp.body_len) >= 0) {
		write_all(c, head, strlen(head));
		write_all(c, rp.body, rp.body_len);
		atomic_fetch_add(&px->forwarded, 1);
	}
	daemon_reply_free(&rp);
}

static void *
proxy_main(void *arg)
{
	struct proxy *px = arg;

	while (!atomic_load(&px->stop)) {
		struct pollfd p = { px->fd, POLLIN, 0 };
		int c;

		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept(px->fd, NULL, NULL);
		if (c < 0)
			continue;
		proxy_one(px, c);
		close(c);
	}
	return NULL;
}

static void
proxy_start(struct proxy *px)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(px, 0, sizeof(*px));
	px->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(px->fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(px->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(px->fd, 8), 0);
	ck_assert_int_eq(getsockname(px->fd, (struct sockaddr *)&sa, &len),
	    0);
	px->port = ntohs(sa.sin_port);
	ck_assert_int_eq(pthread_create(&px->th, NULL, proxy_main, px), 0);
}

static void
proxy_stop(struct proxy *px)
{
	atomic_store(&px->stop, 1);
	pthread_join(px->th, NULL);
	close(px->fd);
}

START_TEST(test_crash_between_fetch_and_ack)
{
	const char *args[] = { "pull", "--from", NULL, NULL };
	struct proxy px;
	char ref1[64], ref2[64], from[64];
	int po, pe;
	pid_t pid;

	web_order("form-1", ref1, sizeof(ref1));
	web_order("form-2", ref2, sizeof(ref2));
	sms("kannel-0009", UNKNOWN_Q, "APPEL");
	proxy_start(&px);
	ck_assert_int_ge(str_printf(from, sizeof(from), "http://127.0.0.1:%u",
	    (unsigned)px.port), 0);
	args[2] = from;
	pid = spawn(args, &po, &pe);
	atomic_store(&px.victim, (int)pid);
	ck_assert_int_eq(finish(pid, po, pe), 128 + SIGKILL);
	proxy_stop(&px);
	ck_assert_int_ge(atomic_load(&px.forwarded), 1);
	ck_assert_int_eq(atomic_load(&px.killed), 1);

	/* Applied, not acknowledged: still waiting at intake. */
	ck_assert_int_eq(centre_int("SELECT count(*) FROM orders"), 2);
	ck_assert_int_eq(centre_int("SELECT count(*) FROM followups"), 1);
	ck_assert_uint_eq(outbox_rows(), 3);

	/* The next round: the same rows, seen as duplicates, acknowledged. */
	ck_assert_msg(run("pull") == 0, "pull: %s", r.err);
	expect_summary("pulled 3: 0 orders, 0 messages, 3 duplicates, "
	    "0 rejected");
	ck_assert_uint_eq(outbox_rows(), 0);
	ck_assert_int_eq(centre_int("SELECT count(*) FROM orders"), 2);
	ck_assert_int_eq(centre_int("SELECT count(*) FROM followups"), 1);
	ck_assert_int_eq(run("queue", "--format", "csv"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, ref1));
	ck_assert_ptr_nonnull(strstr(r.out, ref2));
	ck_assert_int_eq(run("audit", "verify"), 0);
}
END_TEST

START_TEST(test_wrong_token_unreachable)
{
	char ref[64], url[64];
	uint16_t port;

	web_order("form-1", ref, sizeof(ref));
	ck_assert_int_eq(daemon_config_set(dir, "console", "intake_token",
	    "WRONGwrongWRONGwrong"), 0);
	ck_assert_int_eq(run("pull"), 1);
	ck_assert_msg(strstr(r.err, intake.url) != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "refused the token") != NULL, "%s",
	    r.err);
	ck_assert_ptr_null(strstr(r.err, "WRONGwrong"));
	ck_assert_ptr_null(strstr(r.err, token));
	ck_assert_uint_eq(outbox_rows(), 1);
	ck_assert_int_eq(centre_int("SELECT count(*) FROM orders"), 0);

	/* The right token, an intake node that is not there. */
	ck_assert_int_eq(daemon_config_set(dir, "console", "intake_token",
	    token), 0);
	port = daemon_free_port();
	ck_assert_uint_ne(port, 0);
	ck_assert_int_ge(str_printf(url, sizeof(url), "http://127.0.0.1:%u",
	    (unsigned)port), 0);
	ck_assert_int_eq(run("pull", "--from", url), 1);
	ck_assert_msg(strstr(r.err, "cannot reach the intake node at") !=
	    NULL && strstr(r.err, url) != NULL, "%s", r.err);
	ck_assert_ptr_null(strstr(r.err, token));

	/* URLs that are refused before anything is sent. */
	ck_assert_int_eq(run("pull", "--from", "ftp://127.0.0.1/"), 2);
	ck_assert_ptr_nonnull(strstr(r.err, "http"));
	ck_assert_int_eq(run("pull", "--from",
	    "http://user:s3cr3tpass@127.0.0.1/"), 2);
	ck_assert_ptr_null(strstr(r.err, "s3cr3tpass"));
	ck_assert_int_eq(run("pull", "--from", "http://127.0.0.1/?x=1"), 2);
	ck_assert_int_eq(run("pull", "extra"), 2);
	ck_assert_int_eq(centre_int("SELECT count(*) FROM orders"), 0);
	ck_assert_int_eq(run("pull", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--from"));
}
END_TEST

/* Poll centre.db until @sql gives @want (never a timing assertion). */
static bool
wait_for(const char *sql, int64_t want)
{
	for (int waited = 0; waited < WAIT_MS; waited += 100) {
		if (centre_int(sql) == want)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

START_TEST(test_console_daemon)
{
	struct daemon_proc con;
	struct daemon_reply rp;
	char ref[64], url[128], line[128];
	int st = -1;

	ck_assert_int_eq(daemon_config_set(dir, "console", "pull_interval",
	    "1"), 0);
	ck_assert_int_eq(daemon_start(&con, dir, "console", NULL, NULL), 0);
	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/healthz", con.url),
	    0);
	ck_assert_int_eq(daemon_get(url, &rp), 0);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_str_eq(rp.body, "ok\n");
	daemon_reply_free(&rp);

	/* Orders that arrive while it runs are pulled by themselves. */
	web_order("form-1", ref, sizeof(ref));
	ck_assert_msg(wait_for("SELECT count(*) FROM orders WHERE status = "
	    "'accepted'", 1), "the console did not pull");
	sms("kannel-0001", PHONE_Q, "COMMANDE");
	ck_assert_msg(wait_for("SELECT count(*) FROM orders WHERE channel = "
	    "'sms'", 1), "the console did not pull the SMS");
	for (int waited = 0; outbox_rows() != 0 && waited < WAIT_MS;
	    waited += 100)
		usleep(100 * 1000);
	ck_assert_uint_eq(outbox_rows(), 0);

	ck_assert_int_eq(daemon_stop(&con, &st), 0);
	ck_assert_int_eq(st, 0);
	ck_assert(daemon_log_contains(&con, "pulled 1: 1 orders"));
	ck_assert(daemon_log_contains(&con, "console: stopped"));
	/* No personal data, no token, no reference in its log. */
	ck_assert(!daemon_log_contains(&con, PSEUDO));
	ck_assert(!daemon_log_contains(&con, PHONE_DIGITS));
	ck_assert(!daemon_log_contains(&con, "Oliviers"));
	ck_assert(!daemon_log_contains(&con, token));
	ck_assert_int_ge(str_printf(line, sizeof(line), "%s", ref), 0);
	ck_assert(!daemon_log_contains(&con, line));
	ck_assert_int_eq(centre_int("SELECT count(*) FROM orders"), 2);
	ck_assert_int_eq(run("audit", "verify"), 0);
}
END_TEST

START_TEST(test_console_pull_fails_and_recovers)
{
	struct daemon_proc con;
	struct daemon_reply rp;
	char ref[64], url[128];
	int st = -1;

	ck_assert_int_eq(daemon_config_set(dir, "console", "pull_interval",
	    "1"), 0);
	ck_assert_int_eq(daemon_config_set(dir, "console", "intake_token",
	    "WRONGwrongWRONGwrong"), 0);
	ck_assert_int_eq(daemon_start(&con, dir, "console", NULL, NULL), 0);
	web_order("form-1", ref, sizeof(ref));
	for (int waited = 0; !daemon_log_contains(&con, "pull failed") &&
	    waited < WAIT_MS; waited += 100)
		usleep(100 * 1000);
	ck_assert(daemon_log_contains(&con, "pull failed"));
	ck_assert(daemon_log_contains(&con, "refused the token"));
	ck_assert(!daemon_log_contains(&con, "WRONGwrong"));
	/* Still serving, still running. */
	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/healthz", con.url),
	    0);
	ck_assert_int_eq(daemon_get(url, &rp), 0);
	ck_assert_int_eq(rp.status, 200);
	daemon_reply_free(&rp);
	ck_assert_int_eq(daemon_stop(&con, &st), 0);
	ck_assert_int_eq(st, 0);
	ck_assert_uint_eq(outbox_rows(), 1);
	ck_assert_int_eq(centre_int("SELECT count(*) FROM orders"), 0);

	/* A console that cannot pull at all does not start. */
	ck_assert_int_eq(daemon_config_set(dir, "console", "intake_url",
	    "gopher://127.0.0.1/"), 0);
	ck_assert_int_eq(run("console", "--listen", "127.0.0.1:0"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "intake"));
}
END_TEST

START_TEST(test_console_stops_during_pull)
{
	struct daemon_proc con;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char url[64];
	int hole, st = -1;

	/* An "intake node" that takes connections and never answers. */
	hole = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(hole, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(hole, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(hole, 8), 0);
	ck_assert_int_eq(getsockname(hole, (struct sockaddr *)&sa, &sl), 0);
	ck_assert_int_ge(str_printf(url, sizeof(url), "http://127.0.0.1:%u",
	    (unsigned)ntohs(sa.sin_port)), 0);
	ck_assert_int_eq(daemon_config_set(dir, "console", "intake_url", url),
	    0);
	ck_assert_int_eq(daemon_start(&con, dir, "console", NULL, NULL), 0);
	/*
	 * Its first pull hangs (libcurl would wait PULL_TIMEOUT, 60 s, longer
	 * than daemon_stop() waits): SIGTERM abandons it and exits 0.
	 */
	ck_assert_int_eq(daemon_stop(&con, &st), 0);
	ck_assert_int_eq(st, 0);
	ck_assert(daemon_log_contains(&con, "console: stopped"));
	close(hole);
}
END_TEST

static Suite *
pull_suite(void)
{
	Suite *s = suite_create("pull");
	TCase *tc = tcase_create("pull");

	tcase_set_timeout(tc, 180);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_web_order);
	tcase_add_test(tc, test_sms);
	tcase_add_test(tc, test_crash_between_fetch_and_ack);
	tcase_add_test(tc, test_wrong_token_unreachable);
	tcase_add_test(tc, test_console_daemon);
	tcase_add_test(tc, test_console_pull_fails_and_recovers);
	tcase_add_test(tc, test_console_stops_during_pull);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(pull_suite)
