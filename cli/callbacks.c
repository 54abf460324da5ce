/*
 * hrpost callbacks | callback done | callback add | callback show |
 * callback run: the phone calls that follow a parcel (orders/followup.h).
 * `callbacks` first runs one scheduler round (so a state without the
 * console daemon is up to date; no SMS goes out from here), then lists
 * the calls due today and overdue, oldest first, from clear columns only;
 * --phones opens each person's number with the private key and writes an
 * audit entry per task shown.  `callback done` records how a call went,
 * `callback add` is staff asking for an urgent call, `callback show`
 * opens one task's number and notes (audited), `callback run` is one full
 * round by hand (SMS invitations and the digest included), as the console
 * daemon runs them.  Rules come from DIR/followup.ini; local time is its
 * time zone.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "crypto/key.h"
#include "orders/followup.h"
#include "orders/sendsms.h"
#include "orders/store.h"

#define CB_ACTOR_SCHEDULER "scheduler"
#define CB_TASKS_MAX 100000	/* tasks one listing shows */

static void
callbacks_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] callbacks [--format table|csv|json] "
	    "[--phones]\n"
	    "                             [--passphrase-file FILE]\n"
	    "\n"
	    "Run one scheduler round (DIR/followup.ini), then list the calls\n"
	    "due today and overdue, oldest first, with the reason and the calls\n"
	    "without answer so far.  Nothing sealed is opened, except with\n"
	    "--phones: each person's number, with the private key, and one\n"
	    "audit entry per task shown.\n");
}

static void
callback_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] callback done ID --outcome OUTCOME "
	    "[--note TEXT]\n"
	    "                                  [--do-not-call] "
	    "[--passphrase-file FILE]\n"
	    "       hrpost [-d DIR] callback add REF [--note TEXT] "
	    "[--passphrase-file FILE]\n"
	    "       hrpost [-d DIR] callback show ID [--passphrase-file FILE]\n"
	    "       hrpost [-d DIR] callback run [--passphrase-file FILE]\n"
	    "\n"
	    "done  record how call-back task ID went; OUTCOME is reached,\n"
	    "      no-answer, declined, naloxone-used or referred.  No answer:\n"
	    "      the call is tried again later, and after the last try an SMS\n"
	    "      invites the person to call (with consent to SMS).  --note is\n"
	    "      sealed and added to the task's notes (needs the private key);\n"
	    "      --do-not-call: the person never wants a call again (their\n"
	    "      other tasks end).\n"
	    "add   staff ask for an urgent call to the person of order REF.\n"
	    "show  the task with the person's number and its notes (audited).\n"
	    "run   one scheduler round: new tasks, SMS invitations, the digest.\n");
}

/* DIR/followup.ini, and its time zone as local time. */
static int
load_rules(struct cli *c, struct followup_rules *r)
{
	char path[CONFIG_PATH_MAX + 32], errbuf[512];

	if (str_printf(path, sizeof(path), "%s/%s", c->cfg.dir,
	    FOLLOWUP_RULES_FILE) < 0) {
		cli_errx(c, "state directory path too long");
		return -1;
	}
	if (followup_rules_load(r, path, NULL, errbuf, sizeof(errbuf)) != 0 ||
	    followup_tz_apply(r, errbuf, sizeof(errbuf)) != 0) {
		cli_errx(c, "%s", errbuf);
		return -1;
	}
	return 0;
}

/* "2026-03-09 09:00" in the rules' local time. */
static void
local_time(time_t t, char out[32])
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%d %H:%M", &tm) == 0)
		out[0] = '\0';
}

/* A task as listed, with the number when --phones opened it. */
struct row {
	struct followup_task t;
	char phone[PHONE_E164_MAX];
};

struct listing {
	struct row *rows;
	size_t n, cap;
	bool too_many;
};

static int
collect(const struct followup_task *t, void *arg)
{
	struct listing *l = arg;

	if (l->n == CB_TASKS_MAX) {
		l->too_many = true;
		return 1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 64 : l->cap * 2;
		struct row *r = realloc(l->rows, cap * sizeof(*r));

		if (r == NULL)
			return 1;
		l->rows = r;
		l->cap = cap;
	}
	memset(&l->rows[l->n], 0, sizeof(l->rows[0]));
	l->rows[l->n].t = *t;
	l->n++;
	return 0;
}

static void
print_table(const struct listing *l, bool phones)
{
	printf("%-6s %-16s %-14s %-3s %s%s\n", "ID", "DUE", "", "TRY",
	    phones ? "PHONE            " : "", "REASON");
	for (size_t i = 0; i < l->n; i++) {
		const struct row *r = &l->rows[i];
		char due[32], why[FOLLOWUP_WHY_MAX];

		local_time(r->t.due_at, due);
		followup_why(&r->t, why, sizeof(why));
		printf("%-6lld %-16s %-14s %-3d ", (long long)r->t.id, due,
		    r->t.urgent && r->t.overdue ? "URGENT+OVERDUE" :
		    r->t.urgent ? "URGENT" : r->t.overdue ? "OVERDUE" : "",
		    r->t.attempts);
		if (phones)
			printf("%-16s ", r->phone[0] != '\0' ? r->phone : "-");
		printf("%s\n", why);
	}
}

static void
print_csv(const struct listing *l, bool phones)
{
	fputs("id,due,due_local,urgent,overdue,reason,why,attempts,ref", stdout);
	fputs(phones ? ",phone\r\n" : "\r\n", stdout);
	for (size_t i = 0; i < l->n; i++) {
		const struct row *r = &l->rows[i];
		char due[CLOCK_ISO_LEN], local[32], why[FOLLOWUP_WHY_MAX];

		clock_format(r->t.due_at, due);
		local_time(r->t.due_at, local);
		followup_why(&r->t, why, sizeof(why));
		printf("%lld,%s,%s,%s,%s,", (long long)r->t.id, due, local,
		    r->t.urgent ? "yes" : "no", r->t.overdue ? "yes" : "no");
		cli_csv_field(stdout, r->t.reason);
		putchar(',');
		cli_csv_field(stdout, why);
		printf(",%d,%s", r->t.attempts, r->t.ref);
		if (phones) {
			putchar(',');
			cli_csv_field(stdout, r->phone);
		}
		fputs("\r\n", stdout);
	}
}

static int
print_json(struct cli *c, const struct listing *l, bool phones)
{
	json_t *arr = json_array();
	int rc = -1;

	if (arr == NULL)
		goto out;
	for (size_t i = 0; i < l->n; i++) {
		const struct row *r = &l->rows[i];
		char due[CLOCK_ISO_LEN], local[32], why[FOLLOWUP_WHY_MAX];
		json_t *o;

		clock_format(r->t.due_at, due);
		local_time(r->t.due_at, local);
		followup_why(&r->t, why, sizeof(why));
		o = json_pack("{s:I,s:s,s:s,s:b,s:b,s:s,s:s,s:i,s:s}", "id",
		    (json_int_t)r->t.id, "due", due, "due_local", local,
		    "urgent", r->t.urgent, "overdue", r->t.overdue, "reason",
		    r->t.reason, "why", why, "attempts", r->t.attempts, "ref",
		    r->t.ref);
		if (o == NULL || (phones && json_object_set_new(o, "phone",
		    json_string(r->phone)) != 0) ||
		    json_array_append_new(arr, o) != 0)
			goto out;
	}
	rc = cli_json_print(c, arr);
out:
	if (rc != 0)
		cli_errx(c, "cannot write JSON");
	json_decref(arr);
	return rc;
}

/* The scheduler round of @c, with or without the SMS side. */
static int
run_round(struct cli *c, const struct followup_rules *rules, bool with_sms,
    struct followup_stats *stats)
{
	struct followup_round rd;
	struct sendsms_config sms;
	char errbuf[512];

	memset(&rd, 0, sizeof(rd));
	rd.st = c->st;
	rd.rules = rules;
	rd.centre_id = c->centre_id;
	rd.tracked = c->cfg.laposte_key[0] != '\0';
	rd.actor = CB_ACTOR_SCHEDULER;
	if (with_sms && c->cfg.sms_sendsms_url[0] != '\0') {
		memset(&sms, 0, sizeof(sms));
		sms.url = c->cfg.sms_sendsms_url;
		sms.user = c->cfg.sms_sendsms_user;
		sms.password = c->cfg.sms_sendsms_password;
		sms.from = c->cfg.sms_sender;
		sms.ca_file = c->cfg.console_ca_file;
		if (sendsms_check(&sms, errbuf, sizeof(errbuf)) != 0) {
			cli_errx(c, "%s", errbuf);
			return -1;
		}
		rd.key = c->key;
		rd.sms = &sms;
	}
	if (followup_run(&rd, clock_now(), stats, errbuf,
	    sizeof(errbuf)) != 0) {
		cli_errx(c, "scheduler: %s", errbuf);
		return -1;
	}
	return 0;
}

int
cli_callbacks(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "phones", no_argument, NULL, 'p' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct followup_rules *rules = NULL;
	struct followup_stats stats;
	struct listing l = { NULL, 0, 0, false };
	enum cli_format fmt = CLI_FMT_TABLE;
	char errbuf[512];
	bool phones = false;
	size_t urgent = 0, overdue = 0;
	int ch, rc = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'F':
			if (cli_format_parse(c, optarg, CLI_FMTS_ALL, &fmt) < 0)
				return CLI_USAGE;
			break;
		case 'p':
			phones = true;
			break;
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			callbacks_usage(stdout);
			return CLI_OK;
		default:
			callbacks_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		callbacks_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE | (phones ? CLI_NEED_KEY : 0)) < 0)
		return CLI_FAIL;
	rules = malloc(sizeof(*rules));
	if (rules == NULL) {
		cli_errx(c, "out of memory");
		return CLI_FAIL;
	}
	if (load_rules(c, rules) != 0)
		goto out;
	/* A failed round still leaves the tasks already there to list. */
	(void)run_round(c, rules, false, &stats);
	if (followup_due(c->st, c->centre_id, clock_now(), collect, &l, errbuf,
	    sizeof(errbuf)) != 0) {
		cli_errx(c, "callbacks: %s", errbuf);
		goto out;
	}
	if (l.too_many)
		cli_errx(c, "callbacks: only the %d oldest are shown",
		    CB_TASKS_MAX);
	for (size_t i = 0; i < l.n; i++) {
		struct followup_contact fc;

		urgent += l.rows[i].t.urgent;
		overdue += l.rows[i].t.overdue;
		if (!phones)
			continue;
		/* Each number opened is audited before it is shown. */
		if (followup_contact(c->st, c->key, c->centre_id,
		    l.rows[i].t.id, false, c->actor, &fc, errbuf,
		    sizeof(errbuf)) != FOLLOWUP_OK) {
			cli_errx(c, "callbacks: task %lld: %s",
			    (long long)l.rows[i].t.id, errbuf);
			goto out;
		}
		memcpy(l.rows[i].phone, fc.phone, sizeof(fc.phone));
		followup_contact_clear(&fc);
	}
	switch (fmt) {
	case CLI_FMT_CSV:
		print_csv(&l, phones);
		break;
	case CLI_FMT_JSON:
		if (print_json(c, &l, phones) != 0)
			goto out;
		break;
	default:
		print_table(&l, phones);
		break;
	}
	cli_errx(c, "%zu call%s due today (%zu urgent, %zu overdue)", l.n,
	    l.n == 1 ? "" : "s", urgent, overdue);
	rc = CLI_OK;
out:
	if (l.rows != NULL) {
		OPENSSL_cleanse(l.rows, l.cap * sizeof(l.rows[0]));
		free(l.rows);
	}
	free(rules);
	return rc;
}

/* ---- callback done | add | show | run ---- */

static int
parse_id(struct cli *c, const char *s, int64_t *id)
{
	long v;

	if (parse_long(s, 1, INT64_MAX, &v) != 0) {
		cli_errx(c, "ID: a task number (as `hrpost callbacks` lists)");
		return -1;
	}
	*id = (int64_t)v;
	return 0;
}

/* Copy a personal option value and wipe it from the argument list. */
static char *
take_arg(char *arg)
{
	char *copy = str_dup(arg);

	OPENSSL_cleanse(arg, strlen(arg));
	return copy;
}

static int
cb_done(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "outcome", required_argument, NULL, 'o' },
		{ "note", required_argument, NULL, 'n' },
		{ "do-not-call", no_argument, NULL, 'D' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct followup_rules *rules = NULL;
	struct followup_done d;
	struct followup_done_result res;
	char *note = NULL, errbuf[512], when[32];
	const char *outcome = NULL;
	int64_t id;
	int ch, rc = CLI_FAIL;

	memset(&d, 0, sizeof(d));
	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'o':
			outcome = optarg;
			break;
		case 'n':
			str_wipe_free(note);
			note = take_arg(optarg);
			if (note == NULL) {
				cli_errx(c, "out of memory");
				return CLI_FAIL;
			}
			break;
		case 'D':
			d.do_not_call = true;
			break;
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			callback_usage(stdout);
			rc = CLI_OK;
			goto out;
		default:
			callback_usage(stderr);
			rc = CLI_USAGE;
			goto out;
		}
	}
	if (optind + 1 != argc) {
		callback_usage(stderr);
		rc = CLI_USAGE;
		goto out;
	}
	if (outcome == NULL || followup_outcome_parse(outcome,
	    &d.outcome) != 0) {
		cli_errx(c, "--outcome: one of reached, no-answer, declined, "
		    "naloxone-used, referred");
		rc = CLI_USAGE;
		goto out;
	}
	if (parse_id(c, argv[optind], &id) != 0) {
		rc = CLI_USAGE;
		goto out;
	}
	if (cli_open(c, CLI_NEED_STORE | (note != NULL ? CLI_NEED_KEY : 0)) <
	    0)
		goto out;
	rules = malloc(sizeof(*rules));
	if (rules == NULL) {
		cli_errx(c, "out of memory");
		goto out;
	}
	if (load_rules(c, rules) != 0)
		goto out;
	d.note = note;
	d.actor = c->actor;
	d.now = clock_now();
	switch (followup_done(c->st, c->key, rules, c->centre_id, id, &d, &res,
	    errbuf, sizeof(errbuf))) {
	case FOLLOWUP_OK:
		break;
	case FOLLOWUP_ERR_INVALID:
		cli_errx(c, "%s", errbuf);
		rc = CLI_USAGE;
		goto out;
	default:
		cli_errx(c, "%s", errbuf);
		goto out;
	}
	if (!res.closed) {
		local_time(res.next_due, when);
		cli_errx(c, "task %lld: no answer (call %d of %d), tried again "
		    "%s", (long long)id, res.attempts, rules->retry_calls, when);
	} else if (d.outcome == FOLLOWUP_NO_ANSWER) {
		cli_errx(c, "task %lld closed: no answer after %d call%s; %s",
		    (long long)id, res.attempts, res.attempts == 1 ? "" : "s",
		    res.invite_pending ? "an SMS will invite a call" :
		    "no SMS invitation (not allowed)");
	} else {
		cli_errx(c, "task %lld done: %s", (long long)id, outcome);
	}
	if (d.do_not_call)
		cli_errx(c, "do not call recorded; %d other task%s ended",
		    res.cancelled, res.cancelled == 1 ? "" : "s");
	rc = CLI_OK;
out:
	str_wipe_free(note);
	free(rules);
	return rc;
}

static int
cb_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct followup_rules *rules = NULL;
	char *note = NULL, errbuf[512];
	int64_t id = 0;
	int ch, rc = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'n':
			str_wipe_free(note);
			note = take_arg(optarg);
			if (note == NULL) {
				cli_errx(c, "out of memory");
				return CLI_FAIL;
			}
			break;
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			callback_usage(stdout);
			rc = CLI_OK;
			goto out;
		default:
			callback_usage(stderr);
			rc = CLI_USAGE;
			goto out;
		}
	}
	if (optind + 1 != argc) {
		callback_usage(stderr);
		rc = CLI_USAGE;
		goto out;
	}
	if (cli_open(c, CLI_NEED_STORE | (note != NULL ? CLI_NEED_KEY : 0)) <
	    0)
		goto out;
	rules = malloc(sizeof(*rules));
	if (rules == NULL) {
		cli_errx(c, "out of memory");
		goto out;
	}
	if (load_rules(c, rules) != 0)
		goto out;
	switch (followup_add_urgent(c->st, c->key, rules, c->centre_id,
	    argv[optind], note, c->actor, clock_now(), &id, errbuf,
	    sizeof(errbuf))) {
	case FOLLOWUP_OK:
		break;
	case FOLLOWUP_ERR_INVALID:
		cli_errx(c, "%s", errbuf);
		rc = CLI_USAGE;
		goto out;
	default:
		cli_errx(c, "%s", errbuf);
		goto out;
	}
	printf("%lld\n", (long long)id);
	rc = CLI_OK;
out:
	str_wipe_free(note);
	free(rules);
	return rc;
}

static int
cb_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct followup_rules *rules = NULL;
	struct followup_contact fc;
	struct followup_task t;
	char errbuf[512], status[16], due[32], why[FOLLOWUP_WHY_MAX];
	int64_t id;
	int ch, rc = CLI_FAIL;

	memset(&fc, 0, sizeof(fc));
	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			callback_usage(stdout);
			return CLI_OK;
		default:
			callback_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc) {
		callback_usage(stderr);
		return CLI_USAGE;
	}
	if (parse_id(c, argv[optind], &id) != 0)
		return CLI_USAGE;
	if (cli_open(c, CLI_NEED_STORE | CLI_NEED_KEY) < 0)
		return CLI_FAIL;
	rules = malloc(sizeof(*rules));
	if (rules == NULL) {
		cli_errx(c, "out of memory");
		return CLI_FAIL;
	}
	if (load_rules(c, rules) != 0)
		goto out;
	if (followup_get(c->st, c->centre_id, id, clock_now(), &t, status,
	    errbuf, sizeof(errbuf)) != FOLLOWUP_OK ||
	    followup_contact(c->st, c->key, c->centre_id, id, true, c->actor,
	    &fc, errbuf, sizeof(errbuf)) != FOLLOWUP_OK) {
		cli_errx(c, "%s", errbuf);
		goto out;
	}
	local_time(t.due_at, due);
	followup_why(&t, why, sizeof(why));
	printf("task:     %lld (%s%s)\n", (long long)t.id, status,
	    t.urgent ? ", urgent" : "");
	printf("due:      %s%s\n", due, t.overdue && strcmp(status, "open") ==
	    0 ? " (overdue)" : "");
	printf("reason:   %s\n", why);
	printf("calls:    %d without answer\n", t.attempts);
	printf("phone:    %s\n", fc.phone[0] != '\0' ? fc.phone : "-");
	printf("language: %s\n", fc.lang);
	if (fc.notes != NULL)
		printf("notes:\n%s\n", fc.notes);
	rc = CLI_OK;
out:
	followup_contact_clear(&fc);
	free(rules);
	return rc;
}

static int
cb_run(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct followup_rules *rules = NULL;
	struct followup_stats stats;
	int ch, rc = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			callback_usage(stdout);
			return CLI_OK;
		default:
			callback_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		callback_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE | CLI_NEED_KEY) < 0)
		return CLI_FAIL;
	rules = malloc(sizeof(*rules));
	if (rules == NULL) {
		cli_errx(c, "out of memory");
		return CLI_FAIL;
	}
	if (load_rules(c, rules) != 0)
		goto out;
	memset(&stats, 0, sizeof(stats));
	if (run_round(c, rules, true, &stats) == 0)
		rc = CLI_OK;
	cli_errx(c, "scheduler: %d task%s made, %d planned, %d stopped, %d "
	    "SMS invitation%s sent, %d not sent%s", stats.created,
	    stats.created == 1 ? "" : "s", stats.planned, stats.cancelled,
	    stats.invited, stats.invited == 1 ? "" : "s", stats.invite_failed,
	    stats.digest_sent ? ", digest sent" : "");
out:
	free(rules);
	return rc;
}

int
cli_callback(struct cli *c, int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;

	if (verb == NULL) {
		callback_usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		callback_usage(stdout);
		return CLI_OK;
	}
	/* The action's own options: getopt starts again. */
	optind = 0;
	if (strcmp(verb, "done") == 0)
		return cb_done(c, argc - 1, argv + 1);
	if (strcmp(verb, "add") == 0)
		return cb_add(c, argc - 1, argv + 1);
	if (strcmp(verb, "show") == 0)
		return cb_show(c, argc - 1, argv + 1);
	if (strcmp(verb, "run") == 0)
		return cb_run(c, argc - 1, argv + 1);
	cli_errx(c, "callback: unknown action (done, add, show, run)");
	return CLI_USAGE;
}
