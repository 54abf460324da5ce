/*
 * The console daemon (see console.h): the HTTP side on server/http.h, a
 * pull thread on orders/pull.h, and a task thread for the follow-up
 * scheduler (orders/followup.h) and La Poste tracking
 * (shipping/tracking.h).  Three connections to centre.db, opened before
 * privileges are dropped: one for the request handlers (behind a mutex:
 * the store keeps its last error per connection), one owned by the pull
 * thread, one by the task thread.  Both threads sleep on the same
 * condition variable against the monotonic clock, so console_close()
 * wakes them at once; a pull round in progress ends between two pages or
 * abandons its request in flight (orders/pull.h): what was applied and
 * not acknowledged comes back as duplicates, so stopping never loses or
 * doubles a row.  A scheduler round or a tracking round in progress is
 * finished first (each change is its own transaction).  Intervals are
 * counted on the monotonic clock; what is due is decided on clock_now(),
 * so a console started under $HRPOST_NOW keeps that day.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "orders/db.h"
#include "orders/followup.h"
#include "orders/inbox.h"
#include "orders/pull.h"
#include "orders/sendsms.h"
#include "orders/store.h"
#include "server/console.h"
#include "server/http.h"
#include "shipping/tracking.h"

#define CONSOLE_ACTOR "console"
#define CONSOLE_TRACK_WAIT_MAX 10	/* longest wait on a 429, seconds */

struct console {
	struct config cfg;
	const struct catalogue *cat;
	const struct centre_key *key;
	int64_t centre_id;
	struct http_server *srv;

	pthread_mutex_t db_lock;	/* guards http_st */
	struct store *http_st;		/* the handlers' connection */
	struct store *pull_st;		/* the pull thread's own */
	uint8_t *ca_pem;		/* [console] ca_file, or NULL */
	size_t ca_pem_len;

	pthread_mutex_t lock;		/* guards stopping */
	pthread_cond_t wake;
	bool stopping;
	bool locks_made;
	bool puller_started;
	pthread_t puller;

	/* The task thread: scheduler, digest, La Poste. */
	struct followup_rules rules;	/* DIR/followup.ini */
	bool rules_found;
	struct store *task_st;		/* the task thread's connection */
	struct sendsms_config sms;	/* when [sms] sendsms_url is set */
	bool sms_on;
	bool tasker_started;
	pthread_t tasker;
};

/* ---- HTTP ---- */

static int
healthz(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;
	sqlite3_stmt *s = NULL;
	char err[DB_ERRMSG_MAX];
	bool ok = false;

	(void)req;
	if (pthread_mutex_lock(&con->db_lock) != 0)
		return -1;
	if (db_prepare(store_db(con->http_st), "SELECT count(*) FROM centres",
	    &s, err, sizeof(err)) == 0)
		ok = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	(void)pthread_mutex_unlock(&con->db_lock);
	if (!ok)
		return http_response_error(resp, 503, "centre.db does not "
		    "answer");
	return http_response_text(resp, 200, "ok\n");
}

static const struct http_route console_routes[] = {
	{ "GET", "/healthz", 0, 0, 0, healthz },
};

/* ---- the pull thread ---- */

static int
should_stop(void *arg)
{
	struct console *con = arg;
	bool stop;

	(void)pthread_mutex_lock(&con->lock);
	stop = con->stopping;
	(void)pthread_mutex_unlock(&con->lock);
	return stop;
}

static void
on_row(const struct inbox_item *in, const struct inbox_result *res,
    void *arg)
{
	(void)arg;
	if (res->outcome == INBOX_REJECTED)
		fprintf(stderr, "console: outbox row %lld quarantined: %s\n",
		    (long long)in->id, res->why);
}

static void
pull_once(struct console *con)
{
	struct inbox_config ic;
	struct pull_config pc;
	struct pull_stats stats;
	char errbuf[512];

	memset(&ic, 0, sizeof(ic));
	ic.st = con->pull_st;
	ic.key = con->key;
	ic.cat = con->cat;
	ic.centre_id = con->centre_id;
	ic.centre = con->cfg.centre;
	ic.default_lang = con->cfg.lang;
	ic.flag_qty = con->cfg.flag_qty;
	ic.flag_days = con->cfg.flag_days;
	memset(&pc, 0, sizeof(pc));
	pc.url = con->cfg.console_intake_url;
	pc.token = con->cfg.console_intake_token;
	pc.ca_pem = con->ca_pem;
	pc.ca_pem_len = con->ca_pem_len;
	pc.on_row = on_row;
	pc.stop = should_stop;
	pc.arg = con;
	if (pull_run(&pc, &ic, &stats, errbuf, sizeof(errbuf)) != 0) {
		if (should_stop(con))
			fprintf(stderr, "console: pull stopped: %s\n", errbuf);
		else
			fprintf(stderr, "console: pull failed (next try in %d "
			    "s): %s\n", con->cfg.pull_interval, errbuf);
		return;
	}
	if (stats.pulled > 0)
		fprintf(stderr, "console: pulled %d: %d orders, %d messages, "
		    "%d duplicates, %d rejected\n", stats.pulled, stats.orders,
		    stats.messages, stats.duplicates, stats.rejected);
}

static void *
puller(void *arg)
{
	struct console *con = arg;
	struct timespec next;

	for (;;) {
		if (should_stop(con))
			break;
		pull_once(con);
		if (clock_gettime(CLOCK_MONOTONIC, &next) != 0)
			break;
		next.tv_sec += con->cfg.pull_interval;
		(void)pthread_mutex_lock(&con->lock);
		while (!con->stopping) {
			int rc = pthread_cond_timedwait(&con->wake, &con->lock,
			    &next);

			if (rc == ETIMEDOUT)
				break;
		}
		(void)pthread_mutex_unlock(&con->lock);
	}
	return NULL;
}

/* ---- the task thread: scheduler, digest, tracking ---- */

static void
schedule_once(struct console *con)
{
	struct followup_round rd;
	struct followup_stats st;
	char errbuf[512];

	memset(&rd, 0, sizeof(rd));
	rd.st = con->task_st;
	rd.rules = &con->rules;
	rd.centre_id = con->centre_id;
	rd.tracked = con->cfg.laposte_key[0] != '\0';
	rd.key = con->key;
	rd.sms = con->sms_on ? &con->sms : NULL;
	rd.actor = CONSOLE_ACTOR;
	if (followup_run(&rd, clock_now(), &st, errbuf, sizeof(errbuf)) != 0)
		fprintf(stderr, "console: scheduler: %s (next round in %d s)\n",
		    errbuf, con->rules.interval);
	if (st.created > 0 || st.planned > 0 || st.cancelled > 0 ||
	    st.invited > 0 || st.invite_failed > 0)
		fprintf(stderr, "console: scheduler: %d task%s made, %d "
		    "planned, %d stopped, %d SMS invitation%s sent, %d not "
		    "sent\n", st.created, st.created == 1 ? "" : "s",
		    st.planned, st.cancelled, st.invited,
		    st.invited == 1 ? "" : "s", st.invite_failed);
	if (st.digest_sent)
		fprintf(stderr, "console: digest sent for %s\n", st.digest_day);
}

/* One line per parcel La Poste could not tell about: ref and reason. */
static void
track_report(const struct tracking_parcel *p, const struct tracking_result *r,
    enum tracking_action act, const char *why, void *arg)
{
	(void)r;
	(void)arg;
	if (act == TRACKING_ACT_ERROR)
		fprintf(stderr, "console: tracking: parcel %s: %s\n", p->ref,
		    why);
}

/* One La Poste round; returns the parcels it moved to delivered. */
static size_t
track_once(struct console *con)
{
	struct tracking_parcel *parcels = NULL;
	struct tracking_summary sum;
	struct tracking_client cl;
	size_t n = 0, bad = 0;
	char errbuf[512];

	memset(&sum, 0, sizeof(sum));
	if (tracking_shipped(con->task_st, con->centre_id, &parcels, &n, &bad,
	    errbuf, sizeof(errbuf)) != 0) {
		fprintf(stderr, "console: tracking: %s\n", errbuf);
		return 0;
	}
	memset(&cl, 0, sizeof(cl));
	cl.url = con->cfg.laposte_url;
	cl.key = con->cfg.laposte_key;
	cl.lang = con->cfg.laposte_lang;
	if (tracking_round(con->task_st, &cl, parcels, n, CONSOLE_ACTOR,
	    TRACKING_RETRIES, CONSOLE_TRACK_WAIT_MAX, track_report, NULL, &sum,
	    errbuf, sizeof(errbuf)) != 0)
		fprintf(stderr, "console: tracking: %s (next round in %d s)\n",
		    errbuf, con->cfg.laposte_poll);
	if (sum.polled > 0 || bad > 0)
		fprintf(stderr, "console: tracking: %zu polled, %zu delivered, "
		    "%zu returned, %zu unchanged, %zu errors\n", sum.polled,
		    sum.delivered, sum.returned, sum.unchanged,
		    sum.errors + bad);
	free(parcels);
	return sum.delivered;
}

static bool
before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Every [scheduler] interval: a scheduler round (SMS invitations and the
 * digest included); every [laposte] poll_interval when a key is set: a
 * tracking round, and a scheduler round right after one that found
 * parcels delivered.  Both the first time at start.
 */
static void *
tasker(void *arg)
{
	struct console *con = arg;
	bool tracking = con->cfg.laposte_key[0] != '\0';
	struct timespec now, next_sched, next_track, wake;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return NULL;
	next_sched = next_track = now;
	for (;;) {
		if (should_stop(con))
			break;
		if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
			break;
		if (tracking && !before(&now, &next_track)) {
			next_track = now;
			next_track.tv_sec += con->cfg.laposte_poll;
			if (track_once(con) > 0)
				next_sched = now;
			if (should_stop(con))
				break;
		}
		if (!before(&now, &next_sched)) {
			schedule_once(con);
			next_sched = now;
			next_sched.tv_sec += con->rules.interval;
		}
		wake = next_sched;
		if (tracking && before(&next_track, &wake))
			wake = next_track;
		(void)pthread_mutex_lock(&con->lock);
		while (!con->stopping) {
			int rc = pthread_cond_timedwait(&con->wake, &con->lock,
			    &wake);

			if (rc == ETIMEDOUT)
				break;
		}
		(void)pthread_mutex_unlock(&con->lock);
	}
	return NULL;
}

/*
 * DIR/followup.ini (the defaults when there is none), its time zone as
 * the process's local time (no thread runs yet), and Kannel's sendsms
 * when [sms] sendsms_url is set.
 */
static int
tasks_setup(struct console *con, char *errbuf, size_t errsz)
{
	char path[CONFIG_PATH_MAX + 32], err[512];

	if (str_printf(path, sizeof(path), "%s/%s", con->cfg.dir,
	    FOLLOWUP_RULES_FILE) < 0) {
		errbuf_set(errbuf, errsz, "state directory path too long");
		return -1;
	}
	if (followup_rules_load(&con->rules, path, &con->rules_found, err,
	    sizeof(err)) != 0 ||
	    followup_tz_apply(&con->rules, err, sizeof(err)) != 0) {
		errbuf_set(errbuf, errsz, "%s", err);
		return -1;
	}
	if (con->cfg.sms_sendsms_url[0] == '\0')
		return 0;
	con->sms.url = con->cfg.sms_sendsms_url;
	con->sms.user = con->cfg.sms_sendsms_user;
	con->sms.password = con->cfg.sms_sendsms_password;
	con->sms.from = con->cfg.sms_sender;
	con->sms.ca_pem = con->ca_pem;
	con->sms.ca_pem_len = con->ca_pem_len;
	if (sendsms_check(&con->sms, err, sizeof(err)) != 0) {
		errbuf_set(errbuf, errsz, "%s", err);
		return -1;
	}
	con->sms_on = true;
	return 0;
}

/* ---- set-up ---- */

/* Read the CA file (PEM, at most CONSOLE_CA_FILE_MAX bytes) whole. */
static int
read_ca(struct console *con, char *errbuf, size_t errsz)
{
	const char *path = con->cfg.console_ca_file;
	struct stat sb;
	size_t n = 0;
	ssize_t r;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		errbuf_set(errbuf, errsz, "[console] ca_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    sb.st_size > CONSOLE_CA_FILE_MAX) {
		errbuf_set(errbuf, errsz, "[console] ca_file %s: not a regular "
		    "file of 1 to %d bytes", path, CONSOLE_CA_FILE_MAX);
		goto out;
	}
	con->ca_pem = malloc((size_t)sb.st_size);
	if (con->ca_pem == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	while (n < (size_t)sb.st_size) {
		r = read(fd, con->ca_pem + n, (size_t)sb.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			errbuf_set(errbuf, errsz, "[console] ca_file %s: short "
			    "read", path);
			goto out;
		}
		n += (size_t)r;
	}
	con->ca_pem_len = n;
	ret = 0;
out:
	close(fd);
	return ret;
}

struct console *
console_open(const struct config *cfg, const char *listen,
    const struct catalogue *cat, const struct centre_key *key,
    char *errbuf, size_t errsz)
{
	struct console *con = NULL;
	struct http_config hc;
	pthread_condattr_t ca;
	char err[512];
	bool ok = false;

	if (cfg == NULL || cat == NULL || key == NULL) {
		errbuf_set(errbuf, errsz, "console: missing argument");
		return NULL;
	}
	if (cfg->pull_interval < 1) {
		errbuf_set(errbuf, errsz, "[console] pull_interval must be at "
		    "least 1 second");
		return NULL;
	}
	if (pull_check(cfg->console_intake_url, cfg->console_intake_token,
	    err, sizeof(err)) != 0) {
		errbuf_set(errbuf, errsz, "cannot pull from the intake node: "
		    "%s", err);
		return NULL;
	}
	con = calloc(1, sizeof(*con));
	if (con == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return NULL;
	}
	con->cfg = *cfg;
	con->cat = cat;
	con->key = key;
	if (pthread_mutex_init(&con->db_lock, NULL) != 0) {
		free(con);
		errbuf_set(errbuf, errsz, "cannot create a mutex");
		return NULL;
	}
	if (pthread_mutex_init(&con->lock, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0) {
		pthread_mutex_destroy(&con->db_lock);
		free(con);
		errbuf_set(errbuf, errsz, "cannot create a mutex");
		return NULL;
	}
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&con->wake, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		pthread_mutex_destroy(&con->lock);
		pthread_mutex_destroy(&con->db_lock);
		free(con);
		errbuf_set(errbuf, errsz, "cannot create a condition variable");
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	con->locks_made = true;

	if (con->cfg.console_ca_file[0] != '\0' &&
	    read_ca(con, errbuf, errsz) != 0)
		goto out;
	con->http_st = store_open(cfg->centre_db, err, sizeof(err));
	if (con->http_st == NULL) {
		errbuf_set(errbuf, errsz, "%s: %s", cfg->centre_db, err);
		goto out;
	}
	con->pull_st = store_open(cfg->centre_db, err, sizeof(err));
	if (con->pull_st == NULL) {
		errbuf_set(errbuf, errsz, "%s: %s", cfg->centre_db, err);
		goto out;
	}
	con->task_st = store_open(cfg->centre_db, err, sizeof(err));
	if (con->task_st == NULL) {
		errbuf_set(errbuf, errsz, "%s: %s", cfg->centre_db, err);
		goto out;
	}
	if (tasks_setup(con, errbuf, errsz) != 0)
		goto out;
	if (store_centre_find(con->pull_st, cfg->centre, &con->centre_id) !=
	    STORE_OK) {
		errbuf_set(errbuf, errsz, "centre '%s' (config [hrpost] "
		    "centre) is not in %s", cfg->centre, cfg->centre_db);
		goto out;
	}

	memset(&hc, 0, sizeof(hc));
	hc.name = "console";
	hc.listen = listen != NULL ? listen : con->cfg.console_listen;
	hc.threads = CONSOLE_HTTP_THREADS;
	hc.routes = console_routes;
	hc.nroutes = ARRAY_LEN(console_routes);
	hc.app = con;
	con->srv = http_server_bind(&hc, errbuf, errsz);
	if (con->srv == NULL)
		goto out;
	ok = true;
out:
	if (!ok) {
		console_close(con);
		con = NULL;
	}
	return con;
}

uint16_t
console_port(const struct console *con)
{
	return con != NULL ? http_server_port(con->srv) : 0;
}

int
console_start(struct console *con, char *errbuf, size_t errsz)
{
	if (http_server_start(con->srv, errbuf, errsz) != 0)
		return -1;
	if (pthread_create(&con->puller, NULL, puller, con) != 0) {
		errbuf_set(errbuf, errsz, "cannot start the pull thread");
		return -1;
	}
	con->puller_started = true;
	if (pthread_create(&con->tasker, NULL, tasker, con) != 0) {
		errbuf_set(errbuf, errsz, "cannot start the task thread");
		return -1;
	}
	con->tasker_started = true;
	fprintf(stderr, "console: scheduler every %d s (%s, time zone %s), "
	    "SMS %s, digest %s, La Poste %s\n", con->rules.interval,
	    con->rules_found ? FOLLOWUP_RULES_FILE : "default rules",
	    con->rules.timezone, con->sms_on ? "on" : "off (no sendsms_url)",
	    !con->sms_on || con->rules.digest_phone[0] == '\0' ? "off" :
	    "daily", con->cfg.laposte_key[0] != '\0' ? "polled" : "off");
	return 0;
}

void
console_close(struct console *con)
{
	if (con == NULL)
		return;
	if (con->puller_started || con->tasker_started) {
		(void)pthread_mutex_lock(&con->lock);
		con->stopping = true;
		(void)pthread_cond_broadcast(&con->wake);
		(void)pthread_mutex_unlock(&con->lock);
		if (con->puller_started)
			(void)pthread_join(con->puller, NULL);
		if (con->tasker_started)
			(void)pthread_join(con->tasker, NULL);
	}
	http_server_free(con->srv);
	store_close(con->task_st);
	store_close(con->pull_st);
	store_close(con->http_st);
	free(con->ca_pem);
	if (con->locks_made) {
		pthread_cond_destroy(&con->wake);
		pthread_mutex_destroy(&con->lock);
		pthread_mutex_destroy(&con->db_lock);
	}
	/* The copy of the config holds the intake token. */
	OPENSSL_cleanse(&con->cfg, sizeof(con->cfg));
	free(con);
}
