/*
 * The follow-up scheduler end to end with the real binaries, time moved
 * through weeks with $HRPOST_NOW.  Orders go through the CLI (init --demo,
 * order add with --phone --call --sms, stock add, pack, ship, delivered);
 * `hrpost callbacks` lists the call after delivery on the right day in
 * opening hours (delivered on Friday evening: due on Monday morning), an
 * order for three people, a naloxone lot nearing its expiry, check-ins
 * and silence as the weeks pass; `hrpost callback done` records every
 * outcome and refuses a bad one; --phones opens numbers with one audit
 * entry each.  With a real intake daemon and a real Kannel (bearerbox,
 * smsbox, fakesmsc): "call me" by SMS and an order from an unknown number
 * become urgent tasks through `hrpost pull`; two calls without answer
 * then `hrpost callback run` send the SMS invitation through Kannel's
 * sendsms to the simulated phone, once; STOP by SMS ends every task.
 * The real console daemon polls a La Poste stand-in when a key is set
 * (the parcel becomes delivered and its call is planned), and sends the
 * coordinator's digest through Kannel once a day: counts only, no
 * personal data, not again when restarted the same day, again the next.
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "base/util.h"
#include "tests/integration/daemon.h"
#include "tests/integration/kannel.h"
#include "tests/testutil.h"

#define OUT_MAX (256 * 1024)
#define WAIT_MS 60000		/* generous: never a timing assertion */
#define PSEUDO "Zoulikha"
#define PHONE_IN "06 71 23 45 89"
#define PHONE "+33671234589"
#define PHONE_DIGITS "671234589"
#define PHONE2_IN "06 71 23 45 90"
#define PHONE2 "+33671234590"
#define UNKNOWN "+33687650001"
#define COORD "+33600000001"
#define CARRIER_ID "6A18395701001"
#define OKAPI "okapi-test-key-followup"

struct result {
	int status;
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static char dir[DAEMON_PATH_MAX];
static struct result r;

/* ==== running hrpost =================================================== */

/* hrpost -d dir ARGS... at time @now, stdin /dev/null (daemon_cli()). */
static int
run_argv(const char *now, const char *const *args)
{
	char clock[64];
	const char *env[] = { clock, NULL };

	ck_assert_int_ge(str_printf(clock, sizeof(clock), "HRPOST_NOW=%s",
	    now), 0);
	r.status = daemon_cli(dir, args, env, r.out, sizeof(r.out), r.err,
	    sizeof(r.err));
	ck_assert_msg(r.status != -1, "could not run %s", daemon_bin());
	return r.status;
}

#define run(now, ...) run_argv((now), (const char *const[]){ __VA_ARGS__, \
	NULL })

#define ok(now, ...) ck_assert_msg(run((now), __VA_ARGS__) == 0, \
	"exit %d: %s", r.status, r.err)

/* The first line of the last command's stdout into @out. */
static void
first_line(char *out, size_t outsz)
{
	size_t n = strcspn(r.out, "\n");

	ck_assert_uint_lt(n, outsz);
	memcpy(out, r.out, n);
	out[n] = '\0';
}

/* How many times @needle is in @d's log. */
static int
log_count(const struct daemon_proc *d, const char *needle)
{
	size_t len = 0;
	char *text = testutil_slurp(d->log, &len);
	int n = 0;

	ck_assert_ptr_nonnull(text);
	for (const char *p = strstr(text, needle); p != NULL;
	    p = strstr(p + 1, needle))
		n++;
	free(text);
	return n;
}

/* An order by phone; its reference. */
static void
order(const char *now, const char *phone, const char *pack,
    const char *forp, char ref[16])
{
	ok(now, "order", "add", "--pseudonym", PSEUDO, "--line",
	    "3 impasse du Four", "--postcode", "12100", "--commune", "Millau",
	    "--phone", phone, "--call", "--sms", "--pack", pack, "--for", forp);
	first_line(ref, 16);
	ck_assert_uint_eq(strlen(ref), 9);
}

static void
ship(const char *ref, const char *when, const char *carrier)
{
	ok(when, "pack", ref);
	if (carrier != NULL)
		ok(when, "ship", ref, "--carrier-id", carrier);
	else
		ok(when, "ship", ref);
}

/* `hrpost callbacks --format json` at @now, parsed. */
static json_t *
callbacks(const char *now)
{
	json_error_t je;
	json_t *a;

	ok(now, "callbacks", "--format", "json");
	a = json_loads(r.out, 0, &je);
	ck_assert_msg(a != NULL && json_is_array(a), "not JSON: %s", r.out);
	return a;
}

/* The task of @reason in @a (NULL: none). */
static json_t *
find(json_t *a, const char *reason)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "reason")),
		    reason) == 0)
			return v;
	}
	return NULL;
}

static const char *
field(json_t *task, const char *name)
{
	const char *s = json_string_value(json_object_get(task, name));

	ck_assert_ptr_nonnull(s);
	return s;
}

static long long
id_of(json_t *task)
{
	return json_integer_value(json_object_get(task, "id"));
}

/* A number out of centre.db (opened read-only, beside the CLI). */
static long long
db_int(const char *sql)
{
	char path[DAEMON_PATH_MAX + 16];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Replace DIR/followup.ini with @text. */
static void
rules(const char *text)
{
	char path[DAEMON_PATH_MAX + 32];
	FILE *f;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/followup.ini",
	    dir), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void
setup(void)
{
	/* The demo centre made on Monday 2 March 2026. */
	ck_assert_int_eq(setenv("HRPOST_NOW", "2026-03-02T08:00:00Z", 1), 0);
	ck_assert_int_eq(daemon_state_new(dir, sizeof(dir)), 0);
	unsetenv("HRPOST_NOW");
}

static void
teardown(void)
{
	daemon_state_free(dir);
}

static void
audit_intact(void)
{
	ok("2026-06-01T10:00:00Z", "audit", "verify");
}

/* ==== the call after a parcel, and what staff record ==================== */

START_TEST(test_after_delivery_and_outcomes)
{
	char ref[16], id[32], path[DAEMON_PATH_MAX + 32];
	json_t *a, *t;
	long long fid;

	/* init wrote the commented rules. */
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/followup.ini",
	    dir), 0);
	ck_assert(testutil_file_contains(path, "timezone = Europe/Paris", 23));
	order("2026-03-05T10:00:00Z", PHONE_IN, "INJ:2", "1", ref);
	ship(ref, "2026-03-05T11:00:00Z", NULL);
	/* Delivered on Friday 6 March at 20:00 in Paris. */
	ok("2026-03-06T19:00:00Z", "delivered", ref);
	a = callbacks("2026-03-06T19:05:00Z");
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
	ck_assert_msg(strstr(r.err, "0 calls due today") != NULL, "%s", r.err);
	/* Monday morning, before opening: due at 09:00. */
	a = callbacks("2026-03-09T07:30:00Z");
	ck_assert_uint_eq(json_array_size(a), 1);
	t = find(a, "after_delivery");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(field(t, "due"), "2026-03-09T08:00:00Z");
	ck_assert_str_eq(field(t, "due_local"), "2026-03-09 09:00");
	ck_assert_str_eq(field(t, "ref"), ref);
	ck_assert_int_eq(json_integer_value(json_object_get(t, "attempts")),
	    0);
	ck_assert(json_is_false(json_object_get(t, "urgent")));
	ck_assert(json_is_false(json_object_get(t, "overdue")));
	ck_assert_ptr_null(json_object_get(t, "phone"));
	ck_assert_msg(strncmp(field(t, "why"), "3 days after delivery of order ",
	    31) == 0, "%s", field(t, "why"));
	fid = id_of(t);
	json_decref(a);
	ck_assert_ptr_null(strstr(r.out, PHONE_DIGITS));
	ck_assert_ptr_null(strstr(r.out, PSEUDO));
	/* Twice: nothing new. */
	a = callbacks("2026-03-09T07:31:00Z");
	ck_assert_uint_eq(json_array_size(a), 1);
	json_decref(a);
	ck_assert_int_eq(db_int("SELECT count(*) FROM followups"), 1);
	/* Table and CSV say the same. */
	ok("2026-03-09T07:32:00Z", "callbacks");
	ck_assert_ptr_nonnull(strstr(r.out, "3 days after delivery of order"));
	ck_assert_ptr_nonnull(strstr(r.out, "2026-03-09 09:00"));
	ok("2026-03-09T07:32:00Z", "callbacks", "--format", "csv");
	ck_assert_ptr_nonnull(strstr(r.out, "id,due,due_local,urgent,overdue,"
	    "reason,why,attempts,ref\r\n"));
	ck_assert_ptr_nonnull(strstr(r.out, ",after_delivery,"));
	/* --phones: the number, and one audit entry per task shown. */
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit WHERE action = "
	    "'followup.phone'"), 0);
	ok("2026-03-09T07:33:00Z", "callbacks", "--phones");
	ck_assert_ptr_nonnull(strstr(r.out, PHONE));
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit WHERE action = "
	    "'followup.phone'"), 1);
	ok("2026-03-09T07:33:00Z", "callbacks", "--phones", "--format", "json");
	ck_assert_ptr_nonnull(strstr(r.out, "\"phone\": \"" PHONE "\""));
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit WHERE action = "
	    "'followup.phone'"), 2);

	ck_assert_int_ge(str_printf(id, sizeof(id), "%lld", fid), 0);
	/* A bad outcome: refused, naming the field; nothing changed. */
	ck_assert_int_eq(run("2026-03-09T09:00:00Z", "callback", "done", id,
	    "--outcome", "maybe"), 2);
	ck_assert_msg(strstr(r.err, "--outcome: one of reached, no-answer, "
	    "declined, naloxone-used, referred") != NULL, "%s", r.err);
	ck_assert_int_eq(run("2026-03-09T09:00:00Z", "callback", "done", id),
	    2);
	ck_assert_ptr_nonnull(strstr(r.err, "--outcome"));
	ck_assert_int_eq(run("2026-03-09T09:00:00Z", "callback", "done", "999",
	    "--outcome", "reached"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "no task 999"));
	ck_assert_int_eq(run("2026-03-09T09:00:00Z", "callback", "done", "x1",
	    "--outcome", "reached"), 2);
	ck_assert_int_eq(db_int("SELECT attempts FROM followups"), 0);
	/* No answer at 10:00: again at 14:00, with a sealed note. */
	ok("2026-03-09T09:00:00Z", "callback", "done", id, "--outcome",
	    "no-answer", "--note", "messagerie pleine");
	ck_assert_msg(strstr(r.err, "no answer (call 1 of 3), tried again "
	    "2026-03-09 14:00") != NULL, "%s", r.err);
	a = callbacks("2026-03-09T09:05:00Z");
	t = find(a, "after_delivery");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(field(t, "due_local"), "2026-03-09 14:00");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "attempts")),
	    1);
	json_decref(a);
	ok("2026-03-09T13:30:00Z", "callback", "done", id, "--outcome",
	    "reached");
	ck_assert_ptr_nonnull(strstr(r.err, "done: reached"));
	ck_assert_int_eq(run("2026-03-09T13:31:00Z", "callback", "done", id,
	    "--outcome", "reached"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "already done"));
	a = callbacks("2026-03-09T14:00:00Z");
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
	/* show: the number and the note, audited. */
	ok("2026-03-09T14:00:00Z", "callback", "show", id);
	ck_assert_ptr_nonnull(strstr(r.out, PHONE));
	ck_assert_ptr_nonnull(strstr(r.out, "messagerie pleine"));
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit WHERE action = "
	    "'followup.show'"), 1);
	/* The note is sealed. */
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert(!testutil_file_contains(path, "messagerie", 10));

	/* Staff ask for urgent calls; every other outcome. */
	{
		static const char *const outs[][2] = {
			{ "declined", "declined" },
			{ "naloxone-used", "naloxone_used" },
			{ "referred", "referred" },
		};

		for (size_t i = 0; i < ARRAY_LEN(outs); i++) {
			char sql[128];

			ok("2026-03-10T09:00:00Z", "callback", "add", ref);
			first_line(id, sizeof(id));
			ok("2026-03-10T09:30:00Z", "callback", "done", id,
			    "--outcome", outs[i][0]);
			ck_assert_int_ge(str_printf(sql, sizeof(sql), "SELECT "
			    "count(*) FROM followups WHERE outcome = '%s'",
			    outs[i][1]), 0);
			ck_assert_int_eq(db_int(sql), 1);
		}
	}
	ck_assert_int_eq(run("2026-03-10T09:00:00Z", "callback", "add",
	    "ZZZZZZZZZ"), 2);
	ck_assert_int_eq(run("2026-03-10T09:00:00Z", "callback", "frobnicate"),
	    2);
	audit_intact();
}
END_TEST

/* ==== weeks pass: friends, naloxone, check-ins, silence ================= */

START_TEST(test_weeks_pass)
{
	char a_ref[16], b_ref[16];
	json_t *a, *t;

	rules("[checkin]\nevery_days = 30\n[silence]\nafter_days = 50\n"
	    "[naloxone]\ndays_before = 30\n");
	/* A lot expiring on 30 April: packing takes it first. */
	ok("2026-03-02T09:00:00Z", "stock", "add", "NALOX", "--lot", "SOON1",
	    "--expiry", "2026-04-30", "--qty", "10");
	order("2026-03-02T10:00:00Z", PHONE_IN, "INJ", "3", a_ref);
	order("2026-03-02T10:00:00Z", PHONE2_IN, "NALOX", "1", b_ref);
	ship(a_ref, "2026-03-02T11:00:00Z", NULL);
	ship(b_ref, "2026-03-02T11:00:00Z", NULL);
	ok("2026-03-04T10:00:00Z", "delivered", a_ref);
	ok("2026-03-04T10:00:00Z", "delivered", b_ref);
	/* Saturday 7: the calls after delivery are for Monday. */
	a = callbacks("2026-03-07T10:00:00Z");
	ck_assert_uint_eq(json_array_size(a), 0);
	json_decref(a);
	a = callbacks("2026-03-09T08:00:00Z");
	ck_assert_uint_eq(json_array_size(a), 2);
	t = find(a, "for_others");
	ck_assert_ptr_nonnull(t);
	ck_assert_msg(strstr(field(t, "why"), "ordered for 3 people") != NULL,
	    "%s", field(t, "why"));
	ck_assert_ptr_nonnull(find(a, "after_delivery"));
	/* Both reached that Monday. */
	{
		size_t i;
		json_t *v;
		char id[32];

		json_array_foreach(a, i, v) {
			ck_assert_int_ge(str_printf(id, sizeof(id), "%lld",
			    id_of(v)), 0);
			ok("2026-03-09T09:00:00Z", "callback", "done", id,
			    "--outcome", "reached");
		}
	}
	json_decref(a);
	/* Tuesday 31 March: the naloxone lot expires in 30 days. */
	a = callbacks("2026-03-31T08:00:00Z");
	ck_assert_uint_eq(json_array_size(a), 1);
	t = find(a, "naloxone_expiry");
	ck_assert_ptr_nonnull(t);
	ck_assert_msg(strncmp(field(t, "why"), "naloxone lot SOON1 expires on "
	    "2026-04-30", 40) == 0, "%s", field(t, "why"));
	ck_assert_str_eq(field(t, "ref"), b_ref);
	json_decref(a);
	/* 30 days after the calls: a check-in for each (8 April). */
	a = callbacks("2026-04-08T08:00:00Z");
	ck_assert_uint_eq(json_array_size(a), 3);
	t = find(a, "checkin");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(field(t, "why"), "check-in: no call for 30 days");
	ck_assert(json_is_true(json_object_get(find(a, "naloxone_expiry"),
	    "overdue")));
	json_decref(a);
	ck_assert_int_eq(db_int("SELECT count(*) FROM followups WHERE "
	    "reason = 'checkin'"), 2);
	/* 50 days without an order or a call: 28 April. */
	a = callbacks("2026-04-28T08:00:00Z");
	ck_assert_ptr_nonnull(find(a, "silence"));
	json_decref(a);
	ck_assert_int_eq(db_int("SELECT count(*) FROM followups WHERE "
	    "reason = 'silence'"), 2);
	/* A bad rules file: refused with file, line and key. */
	rules("[checkin]\nevery_days = soon\n");
	ck_assert_int_eq(run("2026-04-28T08:00:00Z", "callbacks"), 1);
	ck_assert_msg(strstr(r.err, "followup.ini:2: [checkin] every_days: "
	    "must be a whole number") != NULL, "%s", r.err);
	audit_intact();
}
END_TEST

/* ==== SMS: urgent tasks, invitations, STOP ============================== */

START_TEST(test_sms_urgent_invitation_stop)
{
	struct daemon_proc intake = { 0 };
	struct kannel k;
	struct kannel_mo mo;
	struct kannel_mt mt;
	struct kannel_listener ph;
	char secret[256], smsurl[128], sendurl[128], ref[16];
	char id[32], conf[DAEMON_PATH_MAX + 16], *text, *p;
	const char *env[] = { "HRPOST_NOW=2026-03-09T09:00:00Z", NULL };
	json_t *a, *t;
	size_t len;
	int st;

	memset(&k, 0, sizeof(k));
	rules("[retry]\ncalls = 2\nhours = 3\n");
	/* The secret init wrote. */
	ck_assert_int_ge(str_printf(conf, sizeof(conf), "%s/hrpost.conf", dir),
	    0);
	text = testutil_slurp(conf, &len);
	ck_assert_ptr_nonnull(text);
	p = strstr(text, "\n[sms]");
	ck_assert_ptr_nonnull(p);
	p = strstr(p, "\nsecret = ");
	ck_assert_ptr_nonnull(p);
	p += 10;
	ck_assert_int_ge(str_printf(secret, sizeof(secret), "%.*s",
	    (int)strcspn(p, "\n"), p), 0);
	free(text);
	ck_assert_int_eq(daemon_start(&intake, dir, "intake", NULL, env), 0);
	ck_assert_int_eq(daemon_config_set(dir, "console", "intake_url",
	    intake.url), 0);
	ck_assert_int_ge(str_printf(smsurl, sizeof(smsurl), "%s/sms",
	    intake.url), 0);
	ck_assert_int_eq(kannel_start(&k, smsurl, secret), 0);
	ck_assert_int_ge(str_printf(sendurl, sizeof(sendurl),
	    "http://127.0.0.1:%u/cgi-bin/sendsms", k.sendsms_port), 0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "sendsms_url", sendurl),
	    0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "sendsms_user",
	    KANNEL_SENDSMS_USER), 0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "sendsms_password",
	    KANNEL_SENDSMS_PASSWORD), 0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "sender", "38100"), 0);

	/* A known person texts "call me"; an unknown number orders. */
	order("2026-03-02T10:00:00Z", PHONE_IN, "INJ", "1", ref);
	memset(&mo, 0, sizeof(mo));
	mo.from = PHONE;
	mo.to = "38100";
	mo.text = "APPEL svp";
	mo.expect = 1;
	ck_assert_int_eq(kannel_sms(&k, &mo, &mt), 0);
	mo.from = UNKNOWN;
	mo.text = "COMMANDE INJ 2";
	ck_assert_int_eq(kannel_sms(&k, &mo, &mt), 0);
	ok("2026-03-09T09:05:00Z", "pull");
	ck_assert_msg(strstr(r.err, "2 messages") != NULL, "%s", r.err);
	a = callbacks("2026-03-09T09:06:00Z");
	ck_assert_uint_eq(json_array_size(a), 2);
	t = find(a, "urgent_sms_call");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(field(t, "why"), "asked to be called back by SMS");
	ck_assert(json_is_true(json_object_get(t, "urgent")));
	/* Received on Monday at 10:05 in Paris, during opening hours. */
	ck_assert_str_eq(field(t, "due"), "2026-03-09T09:05:00Z");
	ck_assert_int_ge(str_printf(id, sizeof(id), "%lld", id_of(t)), 0);
	ck_assert_ptr_nonnull(find(a, "urgent_sms_order_unknown"));
	json_decref(a);
	/* show: the SMS text is the note. */
	ok("2026-03-09T09:07:00Z", "callback", "show", id);
	ck_assert_ptr_nonnull(strstr(r.out, "APPEL svp"));

	/* Two calls without answer, then the SMS invitation. */
	ok("2026-03-09T09:10:00Z", "callback", "done", id, "--outcome",
	    "no-answer");
	ck_assert_ptr_nonnull(strstr(r.err, "call 1 of 2"));
	ok("2026-03-09T12:30:00Z", "callback", "done", id, "--outcome",
	    "no-answer", "--note", "toujours rien");
	ck_assert_msg(strstr(r.err, "an SMS will invite a call") != NULL, "%s",
	    r.err);
	ck_assert_int_eq(kannel_sendsms_count(&k), 0);
	/* The listing alone sends nothing. */
	a = callbacks("2026-03-09T13:00:00Z");
	json_decref(a);
	ck_assert_int_eq(kannel_sendsms_count(&k), 0);
	ck_assert_int_eq(kannel_listen(&k, &ph), 0);
	memset(&mt, 0, sizeof(mt));
	ok("2026-03-09T13:05:00Z", "callback", "run");
	ck_assert_msg(strstr(r.err, "1 SMS invitation sent") != NULL, "%s",
	    r.err);
	ck_assert_int_eq(kannel_listen_wait(&ph, 1, WAIT_MS, &mt), 0);
	ck_assert_str_eq(mt.got[0].to, PHONE);
	ck_assert_str_eq(mt.got[0].from, "38100");
	ck_assert_msg(strstr(mt.got[0].text, "APPEL") != NULL, "%s",
	    mt.got[0].text);
	ck_assert_ptr_null(strstr(mt.got[0].text, PSEUDO));
	/* Once. */
	ok("2026-03-09T13:10:00Z", "callback", "run");
	ck_assert_ptr_nonnull(strstr(r.err, "0 SMS invitations sent"));
	ck_assert_int_eq(kannel_sendsms_count(&k), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM followups WHERE "
	    "invite = 'sent'"), 1);
	kannel_listen_stop(&ph, &mt);
	ck_assert_uint_eq(mt.n, 1);

	/* STOP ends every task of that person. */
	ok("2026-03-09T13:20:00Z", "callback", "add", ref);
	ok("2026-03-09T13:20:00Z", "callback", "add", ref);
	ck_assert_int_eq(db_int("SELECT count(*) FROM followups WHERE "
	    "status = 'open' AND reason = 'urgent_staff'"), 2);
	mo.from = PHONE;
	mo.text = "STOP";
	ck_assert_int_eq(kannel_sms(&k, &mo, &mt), 0);
	ok("2026-03-09T13:25:00Z", "pull");
	a = callbacks("2026-03-09T13:26:00Z");
	ck_assert_ptr_null(find(a, "urgent_staff"));
	ck_assert_ptr_nonnull(find(a, "urgent_sms_order_unknown"));
	json_decref(a);
	ck_assert_int_eq(db_int("SELECT count(*) FROM followups WHERE "
	    "outcome = 'stopped'"), 2);
	/* And staff cannot ask for a call now. */
	ck_assert_int_eq(run("2026-03-09T13:30:00Z", "callback", "add", ref), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "STOP"));

	ck_assert_int_eq(kannel_stop(&k), 0);
	ck_assert_int_eq(daemon_stop(&intake, &st), 0);
	ck_assert_int_eq(st, 0);
	audit_intact();
}
END_TEST

/* ==== the console daemon: La Poste and the digest ======================= */

static struct {
	struct MHD_Daemon *d;
	uint16_t port;
	char *body;
	pthread_mutex_t lock;
	int requests;
	char key[128];
} lp;

static enum MHD_Result
lp_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct MHD_Response *resp;
	const char *v;
	enum MHD_Result ret;
	bool ours;

	(void)cls;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	pthread_mutex_lock(&lp.lock);
	lp.requests++;
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Okapi-Key");
	(void)!str_copy(lp.key, sizeof(lp.key), v != NULL ? v : "");
	pthread_mutex_unlock(&lp.lock);
	ours = strstr(url, "/idships/" CARRIER_ID) != NULL;
	resp = MHD_create_response_from_buffer(ours ? strlen(lp.body) : 2,
	    ours ? lp.body : (void *)"{}", MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, ours ? 200 : 404, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
lp_start(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	size_t len;

	memset(&lp, 0, sizeof(lp));
	pthread_mutex_init(&lp.lock, NULL);
	lp.body = testutil_slurp(testutil_data(
	    "../fixtures/laposte/200-delivered-DI1.json"), &len);
	ck_assert_ptr_nonnull(lp.body);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lp.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, lp_handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	ck_assert_ptr_nonnull(lp.d);
	info = MHD_get_daemon_info(lp.d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	lp.port = info->port;
}

static void
lp_stop(void)
{
	MHD_stop_daemon(lp.d);
	lp.d = NULL;
	free(lp.body);
	pthread_mutex_destroy(&lp.lock);
}

/* Wait until the daemon's log holds @needle. */
static void
wait_log(const struct daemon_proc *d, const char *needle)
{
	for (int waited = 0; !daemon_log_contains(d, needle); waited += 50) {
		ck_assert_msg(waited < WAIT_MS, "no \"%s\" in %s", needle,
		    d->log);
		ck_assert_int_eq(kill(d->pid, 0), 0);
		usleep(50000);
	}
}

START_TEST(test_console_tracking_and_digest)
{
	struct daemon_proc con = { 0 };
	struct kannel k;
	struct kannel_mt mt;
	struct kannel_listener ph;
	char url[128], ref[16], ref2[16];
	const char *mon = "HRPOST_NOW=2026-03-09T08:30:00Z";
	const char *env_mon[] = { mon, NULL };
	const char *env_mon2[] = { "HRPOST_NOW=2026-03-09T10:00:00Z", NULL };
	const char *env_tue[] = { "HRPOST_NOW=2026-03-10T08:30:00Z", NULL };
	int st;

	memset(&k, 0, sizeof(k));
	lp_start();
	ck_assert_int_eq(kannel_start(&k, "http://127.0.0.1:9/sms", NULL), 0);
	ck_assert_int_ge(str_printf(url, sizeof(url),
	    "http://127.0.0.1:%u/cgi-bin/sendsms", k.sendsms_port), 0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "sendsms_url", url), 0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "sendsms_user",
	    KANNEL_SENDSMS_USER), 0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "sendsms_password",
	    KANNEL_SENDSMS_PASSWORD), 0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "sender", "38100"), 0);
	ck_assert_int_ge(str_printf(url, sizeof(url), "http://127.0.0.1:%u",
	    lp.port), 0);
	ck_assert_int_eq(daemon_config_set(dir, "laposte", "url", url), 0);
	ck_assert_int_eq(daemon_config_set(dir, "laposte", "key", OKAPI), 0);
	rules("[digest]\nphone = 06 00 00 00 01\ntime = 09:00\n"
	    "[scheduler]\ninterval = 60\n");

	/* Shipped on Monday 2 March with a La Poste number. */
	order("2026-03-02T10:00:00Z", PHONE_IN, "INJ", "1", ref);
	ship(ref, "2026-03-02T11:00:00Z", CARRIER_ID);
	ck_assert_int_eq(kannel_listen(&k, &ph), 0);
	memset(&mt, 0, sizeof(mt));

	/* Monday 9 March, 09:30 in Paris. */
	ck_assert_int_eq(daemon_start(&con, dir, "console", NULL, env_mon), 0);
	wait_log(&con, "console: tracking: 1 polled, 1 delivered");
	wait_log(&con, "console: digest sent for 2026-03-09");
	ck_assert_int_eq(kannel_listen_wait(&ph, 1, WAIT_MS, &mt), 0);
	ck_assert_str_eq(mt.got[0].to, COORD);
	ck_assert_msg(strncmp(mt.got[0].text, "hrpost: 1 call due (0 urgent, "
	    "0 overdue): 1 after delivery.", 59) == 0, "%s", mt.got[0].text);
	ck_assert_ptr_null(strstr(mt.got[0].text, PHONE_DIGITS));
	ck_assert_ptr_null(strstr(mt.got[0].text, PSEUDO));
	ck_assert_ptr_null(strstr(mt.got[0].text, ref));
	ck_assert_ptr_null(strstr(mt.got[0].text, CARRIER_ID));
	ck_assert_str_eq(lp.key, OKAPI);
	ck_assert_int_eq(daemon_stop(&con, &st), 0);
	ck_assert_int_eq(st, 0);
	ck_assert(!daemon_log_contains(&con, PHONE_DIGITS));
	ck_assert(!daemon_log_contains(&con, PSEUDO));
	ck_assert(!daemon_log_contains(&con, OKAPI));
	ck_assert(!daemon_log_contains(&con, KANNEL_SENDSMS_PASSWORD));
	/* Delivered by La Poste, and its call is on the list. */
	ck_assert_int_eq(db_int("SELECT count(*) FROM orders WHERE status = "
	    "'delivered'"), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM followups WHERE reason = "
	    "'after_delivery'"), 1);
	ck_assert_int_eq(kannel_sendsms_count(&k), 1);

	/* Started again the same day: no second digest. */
	order("2026-03-05T10:00:00Z", PHONE2_IN, "INJ", "1", ref2);
	ship(ref2, "2026-03-05T11:00:00Z", NULL);
	ok("2026-03-06T10:00:00Z", "delivered", ref2);
	ck_assert_int_eq(daemon_start(&con, dir, "console", NULL, env_mon2), 0);
	/* The round that made this task also looked at the digest. */
	wait_log(&con, "console: scheduler: 1 task made");
	ck_assert_int_eq(daemon_stop(&con, &st), 0);
	ck_assert_int_eq(log_count(&con, "digest sent for 2026-03-09"), 1);
	ck_assert_int_eq(kannel_sendsms_count(&k), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit WHERE action = "
	    "'digest.send'"), 1);

	/* The next day: the next digest. */
	ck_assert_int_eq(daemon_start(&con, dir, "console", NULL, env_tue), 0);
	wait_log(&con, "console: digest sent for 2026-03-10");
	ck_assert_int_eq(kannel_listen_wait(&ph, 2, WAIT_MS, &mt), 0);
	ck_assert_str_eq(mt.got[1].to, COORD);
	ck_assert_msg(strncmp(mt.got[1].text, "hrpost: 2 calls due (0 urgent, "
	    "2 overdue)", 41) == 0, "%s", mt.got[1].text);
	ck_assert_int_eq(daemon_stop(&con, &st), 0);
	ck_assert_int_eq(kannel_sendsms_count(&k), 2);
	kannel_listen_stop(&ph, &mt);
	ck_assert_uint_eq(mt.n, 2);
	ck_assert_int_eq(db_int("SELECT count(*) FROM digests WHERE state = "
	    "'sent'"), 2);
	ck_assert_int_eq(kannel_stop(&k), 0);
	lp_stop();
	audit_intact();
}
END_TEST

static Suite *
followup_suite(void)
{
	Suite *s = suite_create("followup");
	TCase *tc = tcase_create("followup");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_after_delivery_and_outcomes);
	tcase_add_test(tc, test_weeks_pass);
	tcase_add_test(tc, test_sms_urgent_invitation_stop);
	tcase_add_test(tc, test_console_tracking_and_digest);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(followup_suite)
