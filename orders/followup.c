/*
 * The follow-up scheduler (see followup.h): the rules file, opening-hours
 * arithmetic in the process's local time, one scheduler round (stops,
 * planning, events, SMS invitations, the digest), the listing of due
 * tasks, and what staff record after a call.
 *
 * Local time: dates are walked as day numbers (days since 1970-01-01 in
 * the proleptic Gregorian calendar), never by adding 86400 seconds, so a
 * day of 23 or 25 hours (daylight saving) or a holiday cannot shift a due
 * time; a local wall time is turned into an instant by trying the UTC
 * offsets in force the day before and the day after and keeping the
 * first that reads back the same (see local_instant()).
 *
 * Writes: each change is BEGIN IMMEDIATE, the change re-checked under the
 * write lock (a unique event key, a marker still where it was read, a
 * task still open), the audit entry, COMMIT; a ROLLBACK on the cleanup
 * path.  Queries that look for work run outside a transaction, so two
 * rounds at once (the daemon and `hrpost callbacks`) both find a task and
 * only one makes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "base/config.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "orders/followup.h"
#include "orders/recipient.h"
#include "orders/sendsms.h"

#define DAY 86400
#define MINUTES_DAY (24 * 60)
#define HOLIDAY_NAME_MAX 64
#define AAD_MAX 64
#define EVENT_MAX 64
#define RULES_WRITE_MAX (16 * 1024)
#define ROUND_BATCH 500		/* rows a query hands one round */
#define INVITE_BATCH 50		/* invitations one round sends */
#define INVITE_EXPIRE_DAYS 3	/* a pending invitation older is dropped */
#define PARIS_POSIX "CET-1CEST,M3.5.0,M10.5.0/3"
#define SCHEDULER_DEFAULT_ACTOR "scheduler"

/* ==== rules ============================================================ */

/* Default invitations: neutral, and each fits one SMS. */
static const struct followup_invite default_invites[] = {
	{ "fr", "Bonjour, nous avons essayé de vous joindre. Appelez-nous "
	  "quand vous voulez, ou répondez APPEL et nous vous rappelons." },
	{ "en", "Hello, we tried to reach you. Call us whenever you like, or "
	  "reply CALL and we will call you back." },
	{ "es", "Hola, intentamos llamarle. Puede llamarnos cuando quiera, o "
	  "responda LLAMAR y le llamamos." },
	{ "pt", "Bom dia, tentamos ligar. Ligue-nos quando quiser, ou "
	  "responda LIGAR e ligamos de volta." },
	{ "ru", "Здравствуйте, мы не дозвонились. Ответьте ПОЗВОНИТЕ, и мы "
	  "перезвоним." },
};

void
followup_rules_defaults(struct followup_rules *r)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->timezone, "Europe/Paris", sizeof("Europe/Paris"));
	for (int d = 1; d <= 5; d++) {
		r->hours[d][0].start = 9 * 60;
		r->hours[d][0].end = 12 * 60 + 30;
		r->hours[d][1].start = 14 * 60;
		r->hours[d][1].end = 17 * 60;
		r->nhours[d] = 2;
	}
	r->delivery_days = 3;
	r->untracked_days = 7;
	r->for_others_days = 3;
	r->checkin_days = 60;
	r->silence_days = 120;
	r->naloxone_days = 30;
	memcpy(r->naloxone_items[0], "NALOX", sizeof("NALOX"));
	r->nnaloxone_items = 1;
	r->flagged = true;
	r->retry_hours = 4;
	r->retry_calls = 3;
	r->invite = true;
	for (size_t i = 0; i < ARRAY_LEN(default_invites); i++)
		r->invites[i] = default_invites[i];
	r->ninvites = ARRAY_LEN(default_invites);
	r->digest_time = 9 * 60;
	r->interval = 300;
	r->catch_up_days = 14;
}

enum rkind {
	RK_TZ,		/* [hours] timezone */
	RK_DAY,		/* [hours] mon..sun */
	RK_INT,		/* whole number in [min, max] */
	RK_BOOL,	/* yes or no */
	RK_ITEMS,	/* catalogue item codes */
	RK_PHONE,	/* a phone number, or empty: unset */
	RK_TIME,	/* HH:MM */
};

#define RINT(f) offsetof(struct followup_rules, f)

/* Every fixed key; [holidays] and [invite] take keys of their own. */
static const struct rkey {
	const char *section;
	const char *key;
	enum rkind kind;
	long min, max;
	size_t off;		/* RK_INT, RK_BOOL */
	int wday;		/* RK_DAY */
} rkeys[] = {
	{ "hours", "timezone", RK_TZ, 0, 0, 0, 0 },
	{ "hours", "mon", RK_DAY, 0, 0, 0, 1 },
	{ "hours", "tue", RK_DAY, 0, 0, 0, 2 },
	{ "hours", "wed", RK_DAY, 0, 0, 0, 3 },
	{ "hours", "thu", RK_DAY, 0, 0, 0, 4 },
	{ "hours", "fri", RK_DAY, 0, 0, 0, 5 },
	{ "hours", "sat", RK_DAY, 0, 0, 0, 6 },
	{ "hours", "sun", RK_DAY, 0, 0, 0, 0 },
	{ "delivery", "after_days", RK_INT, 0, FOLLOWUP_DAYS_MAX,
	  RINT(delivery_days), 0 },
	{ "delivery", "untracked_days", RK_INT, 0, FOLLOWUP_DAYS_MAX,
	  RINT(untracked_days), 0 },
	{ "for_others", "after_days", RK_INT, 0, FOLLOWUP_DAYS_MAX,
	  RINT(for_others_days), 0 },
	{ "checkin", "every_days", RK_INT, 0, FOLLOWUP_DAYS_MAX,
	  RINT(checkin_days), 0 },
	{ "silence", "after_days", RK_INT, 0, FOLLOWUP_DAYS_MAX,
	  RINT(silence_days), 0 },
	{ "naloxone", "days_before", RK_INT, 0, 365, RINT(naloxone_days), 0 },
	{ "naloxone", "items", RK_ITEMS, 0, 0, 0, 0 },
	{ "urgent", "flagged", RK_BOOL, 0, 0, RINT(flagged), 0 },
	{ "retry", "hours", RK_INT, 1, 168, RINT(retry_hours), 0 },
	{ "retry", "calls", RK_INT, 1, 10, RINT(retry_calls), 0 },
	{ "retry", "invite", RK_BOOL, 0, 0, RINT(invite), 0 },
	{ "digest", "phone", RK_PHONE, 0, 0, 0, 0 },
	{ "digest", "time", RK_TIME, 0, 0, 0, 0 },
	{ "scheduler", "interval", RK_INT, 60, 3600, RINT(interval), 0 },
	{ "scheduler", "catch_up_days", RK_INT, 1, 365, RINT(catch_up_days),
	  0 },
};

_Static_assert(ARRAY_LEN(rkeys) <= 32, "one bit per key in seen");

static const char *const rsections[] = {
	"hours", "holidays", "delivery", "for_others", "checkin", "silence",
	"naloxone", "urgent", "retry", "invite", "digest", "scheduler",
};

struct rparser {
	struct followup_rules *r;
	uint32_t seen;
	uint64_t invite_seen;	/* one bit per invites[] entry set */
	bool failed;
	char msg[200];
};

static int __attribute__((format(printf, 2, 3)))
refuse(struct rparser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* A section or key for a message: printable ASCII up to 40 bytes, or "?". */
static const char *
printable(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40)
		return "?";
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return "?";
	return s;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Exactly @n digits at @s into *v. */
static int
digits(const char *s, int n, int *v)
{
	int r = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		r = r * 10 + (s[i] - '0');
	}
	*v = r;
	return 0;
}

/* "HH:MM" (00:00 to 23:59, or 24:00 when @end) at @s, 5 bytes. */
static int
parse_hhmm(const char *s, bool end, int *minutes)
{
	int h, m;

	if (digits(s, 2, &h) != 0 || s[2] != ':' || digits(s + 3, 2, &m) != 0)
		return -1;
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end)))
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

/* "closed" or "HH:MM-HH:MM ..." into the day @wday of @r. */
static int
parse_day(struct rparser *p, const char *key, const char *v, int wday)
{
	struct followup_interval iv[FOLLOWUP_INTERVALS_MAX];
	size_t n = 0;

	if (strcmp(v, "closed") == 0) {
		p->r->nhours[wday] = 0;
		return 0;
	}
	for (;;) {
		size_t len;

		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\0')
			break;
		len = strcspn(v, " \t");
		if (n == FOLLOWUP_INTERVALS_MAX)
			return refuse(p, "[hours] %s: at most %d intervals a "
			    "day", key, FOLLOWUP_INTERVALS_MAX);
		if (len != 11 || v[5] != '-' ||
		    parse_hhmm(v, false, &iv[n].start) != 0 ||
		    parse_hhmm(v + 6, true, &iv[n].end) != 0)
			return refuse(p, "[hours] %s: \"closed\" or intervals "
			    "HH:MM-HH:MM separated by spaces (00:00 to 24:00)",
			    key);
		if (iv[n].start >= iv[n].end)
			return refuse(p, "[hours] %s: an interval must end after "
			    "it starts", key);
		if (n > 0 && iv[n].start < iv[n - 1].end)
			return refuse(p, "[hours] %s: intervals must be in order "
			    "and must not overlap", key);
		n++;
		v += len;
	}
	if (n == 0)
		return refuse(p, "[hours] %s: \"closed\" or intervals "
		    "HH:MM-HH:MM", key);
	memcpy(p->r->hours[wday], iv, n * sizeof(iv[0]));
	p->r->nhours[wday] = n;
	return 0;
}

/* An IANA zone name: Area/Location, letters digits _ + -. */
static bool
valid_tz(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= FOLLOWUP_TZ_MAX || s[0] == '/' || s[n - 1] == '/' ||
	    strstr(s, "//") != NULL || strstr(s, "..") != NULL || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '+' ||
		    c == '-' || c == '/' || c == '.'))
			return false;
	}
	return true;
}

/* Item codes: 1 to CATALOGUE_CODE_MAX - 1 of A-Z 0-9 - _, upper-cased. */
static int
parse_items(struct rparser *p, const char *v)
{
	struct followup_rules *r = p->r;
	size_t n = 0;

	for (;;) {
		size_t len;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (*v == '\0')
			break;
		len = strcspn(v, " \t,");
		if (n == FOLLOWUP_ITEMS_MAX)
			return refuse(p, "[naloxone] items: at most %d codes",
			    FOLLOWUP_ITEMS_MAX);
		if (len >= CATALOGUE_CODE_MAX)
			return refuse(p, "[naloxone] items: a code has at most "
			    "%d characters", CATALOGUE_CODE_MAX - 1);
		for (size_t i = 0; i < len; i++) {
			char c = v[i];

			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
			if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_'))
				return refuse(p, "[naloxone] items: item codes "
				    "of letters, digits, '-' and '_'");
			r->naloxone_items[n][i] = c;
		}
		r->naloxone_items[n][len] = '\0';
		n++;
		v += len;
	}
	if (n == 0)
		return refuse(p, "[naloxone] items: at least one item code");
	r->nnaloxone_items = n;
	return 0;
}

/* [holidays] "MM-DD" or "YYYY-MM-DD" = a name. */
static int
set_holiday(struct rparser *p, const char *key, const char *value)
{
	struct followup_rules *r = p->r;
	struct followup_holiday h = { 0, 0, 0 };
	size_t n = strlen(key);
	const char *md = key;

	if (n == 10) {
		if (digits(key, 4, &h.year) != 0 || key[4] != '-' ||
		    h.year < 1970 || h.year > 9999)
			goto bad;
		md = key + 5;
	} else if (n != 5) {
		goto bad;
	}
	if (digits(md, 2, &h.month) != 0 || md[2] != '-' ||
	    digits(md + 3, 2, &h.day) != 0 || h.month < 1 || h.month > 12 ||
	    h.day < 1 || h.day > month_days(h.year != 0 ? h.year : 2000,
	    h.month))
		goto bad;
	for (size_t i = 0; i < r->nholidays; i++)
		if (r->holidays[i].year == h.year &&
		    r->holidays[i].month == h.month &&
		    r->holidays[i].day == h.day)
			return refuse(p, "[holidays] %s: repeated key", key);
	if (r->nholidays == FOLLOWUP_HOLIDAYS_MAX)
		return refuse(p, "[holidays] %s: at most %d holidays", key,
		    FOLLOWUP_HOLIDAYS_MAX);
	if (*value == '\0' || strlen(value) > HOLIDAY_NAME_MAX)
		return refuse(p, "[holidays] %s: a name of 1 to %d bytes", key,
		    HOLIDAY_NAME_MAX);
	r->holidays[r->nholidays++] = h;
	return 0;
bad:
	return refuse(p, "[holidays] %s: the key must be a date, MM-DD "
	    "(every year) or YYYY-MM-DD (once)", printable(key));
}

/* [invite] <lang> = text that fits one SMS. */
static int
set_invite(struct rparser *p, const char *key, const char *value)
{
	struct followup_rules *r = p->r;
	size_t n = strlen(key), i, units = 0;
	bool fits = false;

	if (n < 2 || n >= CATALOGUE_LANG_MAX || n > 3)
		goto badkey;
	for (size_t k = 0; k < n; k++)
		if (key[k] < 'a' || key[k] > 'z')
			goto badkey;
	for (i = 0; i < r->ninvites; i++)
		if (strcmp(r->invites[i].lang, key) == 0)
			break;
	if (i < r->ninvites && (p->invite_seen & ((uint64_t)1 << i)))
		return refuse(p, "[invite] %s: repeated key", key);
	if (i == r->ninvites && r->ninvites == FOLLOWUP_LANGS_MAX)
		return refuse(p, "[invite] %s: at most %d languages", key,
		    FOLLOWUP_LANGS_MAX);
	if (*value == '\0')
		return refuse(p, "[invite] %s: empty text", key);
	if (strlen(value) >= SMS_REPLY_BYTES ||
	    sms_coding(value, &units, &fits) < 0 || !fits)
		return refuse(p, "[invite] %s: must fit one SMS (%d characters "
		    "of the GSM alphabet, or %d otherwise)", key, SMS_GSM7_MAX,
		    SMS_UCS2_MAX);
	if (i == r->ninvites)
		r->ninvites++;
	memcpy(r->invites[i].lang, key, n + 1);
	memcpy(r->invites[i].text, value, strlen(value) + 1);
	p->invite_seen |= (uint64_t)1 << i;
	return 0;
badkey:
	return refuse(p, "[invite] %s: the key must be a language code (2 or "
	    "3 letters a-z)", printable(key));
}

static int
set_rkey(struct rparser *p, const char *section, const char *key,
    const char *value)
{
	struct followup_rules *r = p->r;
	const struct rkey *k = NULL;
	struct field_error fe;
	size_t i;
	long v;

	if (!utf8_valid(value, strlen(value)))
		return refuse(p, "[%s] %s: not valid UTF-8", printable(section),
		    printable(key));
	if (utf8_has_control(value))
		return refuse(p, "[%s] %s: control character",
		    printable(section), printable(key));
	if (strcmp(section, "holidays") == 0)
		return set_holiday(p, key, value);
	if (strcmp(section, "invite") == 0)
		return set_invite(p, key, value);
	for (i = 0; i < ARRAY_LEN(rkeys); i++) {
		if (strcmp(rkeys[i].section, section) == 0 &&
		    strcmp(rkeys[i].key, key) == 0) {
			k = &rkeys[i];
			break;
		}
	}
	if (k == NULL)
		return refuse(p, "[%s] %s: unknown key", printable(section),
		    printable(key));
	if (p->seen & ((uint32_t)1 << i))
		return refuse(p, "[%s] %s: repeated key", section, key);
	p->seen |= (uint32_t)1 << i;
	if (*value == '\0' && k->kind != RK_PHONE)
		return refuse(p, "[%s] %s: empty value", section, key);

	switch (k->kind) {
	case RK_TZ:
		if (!valid_tz(value))
			return refuse(p, "[hours] timezone: a time zone name "
			    "such as Europe/Paris (letters, digits, '_', '+', "
			    "'-', '/')");
		memcpy(r->timezone, value, strlen(value) + 1);
		return 0;
	case RK_DAY:
		return parse_day(p, key, value, k->wday);
	case RK_INT:
		if (parse_long(value, k->min, k->max, &v) != 0)
			return refuse(p, "[%s] %s: must be a whole number from "
			    "%ld to %ld", section, key, k->min, k->max);
		*(int *)(void *)((char *)r + k->off) = (int)v;
		return 0;
	case RK_BOOL:
		if (strcmp(value, "yes") == 0)
			*(bool *)(void *)((char *)r + k->off) = true;
		else if (strcmp(value, "no") == 0)
			*(bool *)(void *)((char *)r + k->off) = false;
		else
			return refuse(p, "[%s] %s: yes or no", section, key);
		return 0;
	case RK_ITEMS:
		return parse_items(p, value);
	case RK_PHONE:
		if (*value == '\0') {
			r->digest_phone[0] = '\0';
			return 0;
		}
		if (strlen(value) > PHONE_INPUT_MAX ||
		    phone_normalise(value, r->digest_phone, &fe) != 0) {
			r->digest_phone[0] = '\0';
			return refuse(p, "[digest] phone: a phone number, E.164 "
			    "(+33...) or French form (06 ...)");
		}
		return 0;
	case RK_TIME:
		if (strlen(value) != 5 ||
		    parse_hhmm(value, false, &r->digest_time) != 0)
			return refuse(p, "[digest] time: HH:MM, 00:00 to 23:59");
		return 0;
	}
	return refuse(p, "[%s] %s: unknown key", section, key);
}

static int
rhandler(void *arg, const char *section, const char *key, const char *value)
{
	struct rparser *p = arg;

	if (p->failed)
		return 0;
	if (set_rkey(p, section, key, value) < 0) {
		p->failed = true;
		return 0;
	}
	return 1;
}

static int
on_rules_section(void *arg, const char *section, int line, int nkeys,
    char *errbuf, size_t errsz)
{
	const char *name = arg;

	(void)nkeys;
	for (size_t i = 0; i < ARRAY_LEN(rsections); i++)
		if (strcmp(section, rsections[i]) == 0)
			return 0;
	errbuf_set(errbuf, errsz, "%s:%d: [%s]: unknown section (expected "
	    "hours, holidays, delivery, for_others, checkin, silence, "
	    "naloxone, urgent, retry, invite, digest or scheduler)", name,
	    line, printable(section));
	return -1;
}

int
followup_rules_parse(struct followup_rules *r, const char *name,
    const char *text, char *errbuf, size_t errsz)
{
	struct followup_rules *tmp = NULL;
	struct rparser p;
	size_t open = 0;
	bool fr = false;
	int rc = -1, line;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (r == NULL || name == NULL || text == NULL) {
		errbuf_set(errbuf, errsz, "rules: no input");
		return -1;
	}
	tmp = malloc(sizeof(*tmp));
	if (tmp == NULL) {
		errbuf_set(errbuf, errsz, "%s: out of memory", name);
		return -1;
	}
	memcpy(tmp, r, sizeof(*tmp));
	if (config_ini_check(name, text, on_rules_section, (void *)name,
	    errbuf, errsz) != 0)
		goto out;
	memset(&p, 0, sizeof(p));
	p.r = tmp;
	line = ini_parse_string(text, rhandler, &p);
	if (line != 0 || p.failed) {
		if (line > 0)
			errbuf_set(errbuf, errsz, "%s:%d: %s", name, line, p.msg);
		else
			errbuf_set(errbuf, errsz, "%s: %s", name, p.failed ?
			    p.msg : "cannot be parsed");
		goto out;
	}
	for (int d = 0; d < 7; d++)
		open += tmp->nhours[d];
	if (open == 0) {
		errbuf_set(errbuf, errsz, "%s: [hours]: no opening hours in the "
		    "week: calls could never be due", name);
		goto out;
	}
	for (size_t i = 0; i < tmp->ninvites; i++)
		if (strcmp(tmp->invites[i].lang, "fr") == 0)
			fr = true;
	if (!fr) {
		errbuf_set(errbuf, errsz, "%s: [invite] fr: required (other "
		    "languages fall back to it)", name);
		goto out;
	}
	memcpy(r, tmp, sizeof(*r));
	rc = 0;
out:
	free(tmp);
	return rc;
}

int
followup_rules_load(struct followup_rules *r, const char *path, bool *found,
    char *errbuf, size_t errsz)
{
	struct stat sb;
	char *text;
	int rc;

	if (found != NULL)
		*found = false;
	followup_rules_defaults(r);
	if (lstat(path, &sb) != 0 && errno == ENOENT)
		return 0;
	text = config_ini_read(path, FOLLOWUP_RULES_MAX, errbuf, errsz);
	if (text == NULL)
		return -1;
	if (found != NULL)
		*found = true;
	rc = followup_rules_parse(r, path, text, errbuf, errsz);
	free(text);
	return rc;
}

int
followup_tz_apply(const struct followup_rules *r, char *errbuf, size_t errsz)
{
	const char *dir = getenv("TZDIR");
	const char *tz = r->timezone;
	char path[4096 + FOLLOWUP_TZ_MAX];
	struct stat sb;

	if (!valid_tz(r->timezone)) {
		errbuf_set(errbuf, errsz, "[hours] timezone: not a time zone "
		    "name");
		return -1;
	}
	if (dir == NULL || dir[0] == '\0' || strlen(dir) > 4000)
		dir = "/usr/share/zoneinfo";
	if (str_printf(path, sizeof(path), "%s/%s", dir, r->timezone) < 0 ||
	    stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (strcmp(r->timezone, "Europe/Paris") != 0) {
			errbuf_set(errbuf, errsz, "[hours] timezone: no such "
			    "time zone in %s (install tzdata)", dir);
			return -1;
		}
		tz = PARIS_POSIX;
	}
	if (setenv("TZ", tz, 1) != 0) {
		errbuf_set(errbuf, errsz, "cannot set TZ: %s", strerror(errno));
		return -1;
	}
	tzset();
	return 0;
}

/* The default rules file --------------------------------------------------- */

struct wbuf {
	char buf[RULES_WRITE_MAX];
	size_t len;
	bool over;
};

static void __attribute__((format(printf, 2, 3)))
wadd(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, sizeof(w->buf) - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(w->buf) - w->len) {
		w->over = true;
		return;
	}
	w->len += (size_t)n;
}

/* Easter Sunday of @y (Gregorian; the anonymous algorithm). */
static void
easter(int y, int *month, int *day)
{
	int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;

	*month = (h + l - 7 * m + 114) / 31;
	*day = (h + l - 7 * m + 114) % 31 + 1;
}

static int64_t days_from_civil(int y, int m, int d);
static void civil_from_days(int64_t z, int *y, int *m, int *d);

static void
write_moving(struct wbuf *w, int y)
{
	static const struct { int offset; const char *name; } moving[] = {
		{ 1, "Lundi de Pâques" },
		{ 39, "Ascension" },
		{ 50, "Lundi de Pentecôte" },
	};
	int em, ed;

	easter(y, &em, &ed);
	for (size_t i = 0; i < ARRAY_LEN(moving); i++) {
		int yy, mm, dd;

		civil_from_days(days_from_civil(y, em, ed) + moving[i].offset,
		    &yy, &mm, &dd);
		wadd(w, "%04d-%02d-%02d = %s\n", yy, mm, dd, moving[i].name);
	}
}

static void
rules_text(struct wbuf *w, int year)
{
	struct followup_rules d;

	followup_rules_defaults(&d);
	wadd(w,
	    "# followup.ini: when hrpost asks staff to call people back.\n"
	    "# Written by `hrpost init`; every key is described in README.md.\n"
	    "# A key left out keeps the default shown here.  After a change,\n"
	    "# restart the console daemon.\n"
	    "\n"
	    "[hours]\n"
	    "# Calls fall only in these hours, in this time zone (IANA name).\n"
	    "timezone = %s\n"
	    "# Per day: \"closed\" or up to 4 intervals HH:MM-HH:MM.\n"
	    "mon = 09:00-12:30 14:00-17:00\n"
	    "tue = 09:00-12:30 14:00-17:00\n"
	    "wed = 09:00-12:30 14:00-17:00\n"
	    "thu = 09:00-12:30 14:00-17:00\n"
	    "fri = 09:00-12:30 14:00-17:00\n"
	    "sat = closed\n"
	    "sun = closed\n"
	    "\n"
	    "[holidays]\n"
	    "# Closed days: MM-DD every year, YYYY-MM-DD once (French public\n"
	    "# holidays; add the years to come as they near).\n"
	    "01-01 = Jour de l'an\n"
	    "05-01 = Fête du travail\n"
	    "05-08 = Victoire 1945\n"
	    "07-14 = Fête nationale\n"
	    "08-15 = Assomption\n"
	    "11-01 = Toussaint\n"
	    "11-11 = Armistice 1918\n"
	    "12-25 = Noël\n", d.timezone);
	for (int y = year; y < year + 3; y++)
		write_moving(w, y);
	wadd(w,
	    "\n"
	    "[delivery]\n"
	    "# Call N days after a parcel is delivered (0: never).\n"
	    "after_days = %d\n"
	    "# Call M days after shipping when the parcel is not tracked (no\n"
	    "# carrier id, or no La Poste key) and not marked delivered (0: never).\n"
	    "untracked_days = %d\n"
	    "\n"
	    "[for_others]\n"
	    "# An order for several people: this call instead, N days after\n"
	    "# delivery, to ask that the friends call too (0: the plain call).\n"
	    "after_days = %d\n"
	    "\n"
	    "[checkin]\n"
	    "# People who agreed to calls: call when no call reached them for\n"
	    "# N days (0: never).\n"
	    "every_days = %d\n"
	    "\n"
	    "[silence]\n"
	    "# Call after N days without an order or a call (0: never).\n"
	    "after_days = %d\n"
	    "\n"
	    "[naloxone]\n"
	    "# Call N days before a naloxone lot someone received expires\n"
	    "# (0: never); items are the catalogue codes of naloxone.\n"
	    "days_before = %d\n"
	    "items = %s\n"
	    "\n"
	    "[urgent]\n"
	    "# Call people whose order was flagged as unusual (yes or no).\n"
	    "# SMS asking for a call and staff requests are always urgent.\n"
	    "flagged = yes\n"
	    "\n"
	    "[retry]\n"
	    "# No answer: try again N hours later (within opening hours) ...\n"
	    "hours = %d\n"
	    "# ... up to this many calls, then the SMS invitation below (only\n"
	    "# with consent to SMS and no STOP; invite = no: none), then stop.\n"
	    "calls = %d\n"
	    "invite = yes\n"
	    "\n"
	    "[invite]\n"
	    "# The SMS inviting a call, per language (fr required; others fall\n"
	    "# back to it).  Neutral: a phone screen can be seen by others.\n",
	    d.delivery_days, d.untracked_days, d.for_others_days,
	    d.checkin_days, d.silence_days, d.naloxone_days,
	    d.naloxone_items[0], d.retry_hours, d.retry_calls);
	for (size_t i = 0; i < d.ninvites; i++)
		wadd(w, "%s = %s\n", d.invites[i].lang, d.invites[i].text);
	wadd(w,
	    "\n"
	    "[digest]\n"
	    "# The coordinator's phone: one SMS a day with counts only (unset:\n"
	    "# none), at this time or the first opening time after it.\n"
	    ";phone =\n"
	    "time = 09:00\n"
	    "\n"
	    "[scheduler]\n"
	    "# Seconds between two rounds of the console daemon (60 to 3600).\n"
	    "interval = %d\n"
	    "# Events whose call would have been due longer ago than this many\n"
	    "# days are skipped (1 to 365).\n"
	    "catch_up_days = %d\n", d.interval, d.catch_up_days);
}

int
followup_rules_write(const char *path, char *errbuf, size_t errsz)
{
	struct followup_rules check;
	struct wbuf *w = NULL;
	struct tm tm;
	char err[256];
	time_t now = clock_now();
	int rc = -1;

	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		errbuf_set(errbuf, errsz, "%s: out of memory", path);
		goto out;
	}
	if (gmtime_r(&now, &tm) == NULL) {
		errbuf_set(errbuf, errsz, "%s: the clock is out of range", path);
		goto out;
	}
	rules_text(w, tm.tm_year + 1900);
	followup_rules_defaults(&check);
	/* What we write must read back: the file is ours to keep valid. */
	if (w->over || followup_rules_parse(&check, path, w->buf, err,
	    sizeof(err)) != 0) {
		errbuf_set(errbuf, errsz, "%s: default rules do not read back",
		    path);
		goto out;
	}
	if (file_create(path, w->buf, w->len, 0640, errbuf, errsz) != 0)
		goto out;
	rc = 0;
out:
	free(w);
	return rc;
}

/* ==== local time ======================================================= */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

/* 0 Sunday .. 6 Saturday; day 0 (1970-01-01) was a Thursday. */
static int
weekday(int64_t z)
{
	int64_t w = (z + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

/* @t in local time: day number, minute of the day, UTC offset. */
struct local {
	int64_t day;
	int minute;
	long gmtoff;
	bool ok;
};

static struct local
local_of(time_t t)
{
	struct local l = { 0, 0, 0, false };
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return l;
	l.day = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	l.minute = tm.tm_hour * 60 + tm.tm_min;
	l.gmtoff = tm.tm_gmtoff;
	l.ok = true;
	return l;
}

/*
 * The instant of local wall time @minute (0 to 1440) on day @day.  The
 * offsets in force a day before and a day after are tried, earliest
 * instant first; the first that reads back as that wall time wins (the
 * first occurrence of an autumn hour).  A wall time that does not exist
 * (spring forward) takes the offset from before: an hour later, as
 * mktime() does.
 */
static time_t
local_instant(int64_t day, int minute)
{
	time_t base = (time_t)(day * DAY + (int64_t)minute * 60);
	struct local before = local_of(base - DAY), after = local_of(base + DAY);
	long off[2];

	if (!before.ok || !after.ok)
		return base;
	/* Larger offset: earlier instant. */
	off[0] = before.gmtoff > after.gmtoff ? before.gmtoff : after.gmtoff;
	off[1] = before.gmtoff > after.gmtoff ? after.gmtoff : before.gmtoff;
	for (int i = 0; i < 2; i++) {
		time_t t = base - off[i];
		struct local l = local_of(t);
		int64_t want_day = day + minute / MINUTES_DAY;

		if (l.ok && l.day == want_day && l.minute == minute % MINUTES_DAY &&
		    l.gmtoff == off[i])
			return t;
	}
	return base - before.gmtoff;
}

static bool
is_holiday(const struct followup_rules *r, int64_t day)
{
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	for (size_t i = 0; i < r->nholidays; i++) {
		const struct followup_holiday *h = &r->holidays[i];

		if (h->month == m && h->day == d && (h->year == 0 ||
		    h->year == y))
			return true;
	}
	return false;
}

/* The first opening instant at or after @t from day @from on. */
static int
next_open_from(const struct followup_rules *r, int64_t from, time_t t,
    time_t *out)
{
	for (int64_t day = from; day < from + FOLLOWUP_SEARCH_DAYS; day++) {
		int wd = weekday(day);

		if (r->nhours[wd] == 0 || is_holiday(r, day))
			continue;
		for (size_t i = 0; i < r->nhours[wd]; i++) {
			time_t s = local_instant(day, r->hours[wd][i].start);
			time_t e = local_instant(day, r->hours[wd][i].end);

			if (s >= e || t >= e)
				continue;
			*out = t > s ? t : s;
			return 0;
		}
	}
	return -1;
}

int
followup_next_open(const struct followup_rules *r, time_t t, time_t *out)
{
	struct local l = local_of(t);

	if (!l.ok)
		return -1;
	/* From the day before: a late interval may still be running. */
	return next_open_from(r, l.day - 1, t, out);
}

bool
followup_is_open(const struct followup_rules *r, time_t t)
{
	time_t o;

	return followup_next_open(r, t, &o) == 0 && o == t;
}

time_t
followup_day_start(time_t t, int days)
{
	struct local l = local_of(t);

	if (!l.ok)
		return t;
	return local_instant(l.day + days, 0);
}

int
followup_day_open(const struct followup_rules *r, time_t t, int days,
    time_t *out)
{
	struct local l = local_of(t);

	if (days == 0)
		return followup_next_open(r, t, out);
	if (!l.ok)
		return -1;
	return next_open_from(r, l.day + days, local_instant(l.day + days, 0),
	    out);
}

void
followup_local_day(time_t t, char out[FOLLOWUP_DAY_LEN])
{
	struct local l = local_of(t);
	int y, m, d;

	civil_from_days(l.ok ? l.day : (int64_t)(t / DAY), &y, &m, &d);
	if (y < 0 || y > 9999 || str_printf(out, FOLLOWUP_DAY_LEN,
	    "%04d-%02d-%02d", y, m, d) < 0)
		out[0] = '\0';
}

/* ==== store helpers ==================================================== */

static bool
is_urgent(const char *reason)
{
	return strncmp(reason, "urgent", 6) == 0 ||
	    strcmp(reason, FOLLOWUP_FLAGGED) == 0;
}

/* One statement with int64 parameters (INT64_MIN: NULL), run to done. */
static int
exec_ints(sqlite3 *db, const char *sql, const char *what, char *errbuf,
    size_t errsz, int n, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int ret = -1;

	if (db_prepare(db, sql, &s, errbuf, errsz) != 0)
		return -1;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		int64_t v = va_arg(ap, int64_t);
		int rc = v == INT64_MIN ? sqlite3_bind_null(s, i + 1) :
		    db_bind_int64(s, i + 1, v);

		if (rc != SQLITE_OK) {
			va_end(ap);
			db_error(db, what, errbuf, errsz);
			goto out;
		}
	}
	va_end(ap);
	if (db_step(s, what, errbuf, errsz) != SQLITE_DONE)
		goto out;
	ret = sqlite3_changes(db);
out:
	sqlite3_finalize(s);
	return ret;
}

/* An audit entry about row @id of @table ("followups/12"). */
static int
audit(sqlite3 *db, const char *actor, const char *action, const char *table,
    int64_t id, const char *detail, char *errbuf, size_t errsz)
{
	char object[AUDIT_OBJECT_MAX];

	if (str_printf(object, sizeof(object), "%s/%lld", table,
	    (long long)id) < 0) {
		errbuf_set(errbuf, errsz, "audit object too long");
		return -1;
	}
	return audit_append(db, actor, action, object, detail, NULL, errbuf,
	    errsz);
}

/* Seal @text as task @fid's note (AAD followups/<id>/note). */
static int
seal_note(sqlite3 *db, const struct centre_key *key, int64_t fid,
    const char *text, size_t len, char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	char aad[AAD_MAX];
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	enum seal_status rc;
	int ret = -1;

	if (str_printf(aad, sizeof(aad), "followups/%lld/note",
	    (long long)fid) < 0) {
		errbuf_set(errbuf, errsz, "task id too long");
		return -1;
	}
	rc = seal_seal(key_public(key), text, len, aad, strlen(aad), &blob,
	    &bloblen);
	if (rc != SEAL_OK) {
		errbuf_set(errbuf, errsz, "cannot seal the note: %s",
		    seal_strerror(rc));
		goto out;
	}
	if (db_prepare(db,
	    "UPDATE followups SET sealed_note = ? WHERE id = ?",
	    &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_blob(s, 1, blob, bloblen) != SQLITE_OK ||
	    db_bind_int64(s, 2, fid) != SQLITE_OK) {
		db_error(db, "cannot store the note", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot store the note", errbuf, errsz) != SQLITE_DONE)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(s);
	free(blob);
	return ret;
}

/*
 * Open task @fid's note with the private key @key: *text malloc'd and
 * NUL-terminated (wipe with mem_wipe_free(*text, *len + 1)), NULL when
 * there is none.  Returns 0 or -1.
 */
static int
open_note(sqlite3 *db, const struct centre_key *key, int64_t fid,
    char **text, size_t *len, char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	char aad[AAD_MAX];
	uint8_t *pt = NULL;
	enum seal_status rc;
	int ret = -1, step;

	*text = NULL;
	*len = 0;
	if (str_printf(aad, sizeof(aad), "followups/%lld/note",
	    (long long)fid) < 0) {
		errbuf_set(errbuf, errsz, "task id too long");
		return -1;
	}
	if (db_prepare(db,
	    "SELECT sealed_note FROM followups WHERE id = ?",
	    &s, errbuf, errsz) != 0)
		return -1;
	if (db_bind_int64(s, 1, fid) != SQLITE_OK) {
		db_error(db, "cannot read the note", errbuf, errsz);
		goto out;
	}
	step = db_step(s, "cannot read the note", errbuf, errsz);
	if (step != SQLITE_ROW)
		goto out;
	if (sqlite3_column_type(s, 0) != SQLITE_BLOB) {
		ret = 0;
		goto out;
	}
	rc = seal_open(key, sqlite3_column_blob(s, 0),
	    (size_t)sqlite3_column_bytes(s, 0), aad, strlen(aad), &pt, len);
	if (rc != SEAL_OK) {
		errbuf_set(errbuf, errsz, "the task's note does not open: %s",
		    seal_strerror(rc));
		goto out;
	}
	*text = (char *)pt;
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* ==== the round ======================================================== */

struct round {
	const struct followup_round *rd;
	const struct followup_rules *r;
	sqlite3 *db;
	const char *actor;
	time_t now;
	struct followup_stats *stats;
	char *errbuf;
	size_t errsz;
};

/* A new task, as the scheduler makes them. */
struct newtask {
	int64_t recipient_id;
	int64_t order_id;		/* 0: none */
	const char *ref;		/* for the audit detail, "" none */
	const char *reason;
	char event[EVENT_MAX];
	char info[FOLLOWUP_INFO_MAX + 1];
	time_t due;
	/* A marker to clear in the same transaction: "checkin_at"... */
	const char *marker;
	int64_t marker_was;
};

/*
 * Insert @t in one transaction with its audit entry; a task whose event
 * exists already (another round made it) or whose marker moved is not
 * made.  Returns 1 made, 0 not, -1 error.
 */
static int
create_task(struct round *ro, const struct newtask *t)
{
	sqlite3_stmt *s = NULL;
	char detail[AUDIT_DETAIL_MAX], due[CLOCK_ISO_LEN];
	int64_t fid;
	int ret = -1, rc;

	if (db_begin(ro->db, ro->errbuf, ro->errsz) != 0)
		return -1;
	if (t->marker != NULL) {
		char sql[128];

		/* Only the two marker columns ever come here. */
		if (str_printf(sql, sizeof(sql),
		    "UPDATE recipients SET %s = NULL WHERE id = ?1 AND %s = ?2",
		    t->marker, t->marker) < 0)
			goto out;
		rc = exec_ints(ro->db, sql, "cannot move the marker",
		    ro->errbuf, ro->errsz, 2, t->recipient_id, t->marker_was);
		if (rc < 0)
			goto out;
		if (rc == 0) {
			ret = 0;
			goto out;
		}
	}
	if (db_prepare(ro->db, "INSERT OR IGNORE INTO followups (centre_id, "
	    "recipient_id, order_id, reason, due_at, status, created_at, "
	    "event, info, planned) VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, "
	    "?7, ?8, 1)", &s, ro->errbuf, ro->errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, ro->rd->centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, t->recipient_id) != SQLITE_OK ||
	    (t->order_id > 0 ? db_bind_int64(s, 3, t->order_id) :
	    sqlite3_bind_null(s, 3)) != SQLITE_OK ||
	    db_bind_text(s, 4, t->reason) != SQLITE_OK ||
	    db_bind_int64(s, 5, (int64_t)t->due) != SQLITE_OK ||
	    db_bind_int64(s, 6, (int64_t)ro->now) != SQLITE_OK ||
	    db_bind_text(s, 7, t->event) != SQLITE_OK ||
	    (t->info[0] != '\0' ? db_bind_text(s, 8, t->info) :
	    sqlite3_bind_null(s, 8)) != SQLITE_OK) {
		db_error(ro->db, "cannot add the task", ro->errbuf, ro->errsz);
		goto out;
	}
	if (db_step(s, "cannot add the task", ro->errbuf, ro->errsz) !=
	    SQLITE_DONE)
		goto out;
	if (sqlite3_changes(ro->db) == 0) {
		ret = 0;	/* the event has its task already */
		goto out;
	}
	fid = sqlite3_last_insert_rowid(ro->db);
	clock_format(t->due, due);
	if (str_printf(detail, sizeof(detail), "%s, recipient %lld%s%s, due %s",
	    t->reason, (long long)t->recipient_id, t->ref[0] != '\0' ?
	    ", order " : "", t->ref, due) < 0) {
		errbuf_set(ro->errbuf, ro->errsz, "audit detail too long");
		goto out;
	}
	if (audit(ro->db, ro->actor, "followup.add", "followups", fid,
	    detail, ro->errbuf, ro->errsz) != 0)
		goto out;
	if (db_commit(ro->db, ro->errbuf, ro->errsz) != 0)
		goto out;
	ret = 1;
	ro->stats->created++;
out:
	sqlite3_finalize(s);
	if (ret != 1)
		db_rollback(ro->db);
	return ret;
}

/* Skip an event whose call would have been due too long ago. */
static bool
stale(const struct round *ro, time_t due)
{
	return due < ro->now - (time_t)ro->r->catch_up_days * DAY;
}

#define CALLABLE " r.consent_call = 1 AND r.do_not_call = 0 AND " \
	"r.sms_stopped = 0 AND r.phone_key IS NOT NULL "

/* STOP or do not call: end the person's tasks open at that moment. */
static int
round_stops(struct round *ro)
{
	sqlite3_stmt *s = NULL;
	int64_t rid[ROUND_BATCH], upto[ROUND_BATCH];
	size_t n = 0;
	int ret = -1, rc;

	if (db_prepare(ro->db, "SELECT id, stop_upto FROM recipients "
	    "WHERE centre_id = ?1 AND stop_upto IS NOT NULL LIMIT ?2", &s,
	    ro->errbuf, ro->errsz) != 0)
		return -1;
	if (db_bind_int64(s, 1, ro->rd->centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, ROUND_BATCH) != SQLITE_OK) {
		db_error(ro->db, "cannot list stops", ro->errbuf, ro->errsz);
		goto out;
	}
	for (;;) {
		rc = db_step(s, "cannot list stops", ro->errbuf, ro->errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		rid[n] = sqlite3_column_int64(s, 0);
		upto[n] = sqlite3_column_int64(s, 1);
		n++;
	}
	sqlite3_finalize(s);
	s = NULL;
	for (size_t i = 0; i < n; i++) {
		char detail[AUDIT_DETAIL_MAX];
		int cancelled;

		if (db_begin(ro->db, ro->errbuf, ro->errsz) != 0)
			goto out;
		/* Still stopped (a START may have come since)? */
		cancelled = exec_ints(ro->db, "UPDATE followups SET status = "
		    "'cancelled', outcome = 'stopped', done_at = ?3, invite = "
		    "CASE WHEN invite = 'pending' THEN 'skipped' ELSE invite END "
		    "WHERE recipient_id = ?1 AND status = 'open' AND id <= ?2 "
		    "AND EXISTS (SELECT 1 FROM recipients WHERE id = ?1 AND "
		    "(sms_stopped = 1 OR do_not_call = 1))", "cannot stop the "
		    "tasks", ro->errbuf, ro->errsz, 3, rid[i], upto[i],
		    (int64_t)ro->now);
		if (cancelled < 0 ||
		    exec_ints(ro->db, "UPDATE followups SET invite = 'skipped' "
		    "WHERE recipient_id = ?1 AND invite = 'pending' AND EXISTS "
		    "(SELECT 1 FROM recipients WHERE id = ?1 AND "
		    "(sms_stopped = 1 OR do_not_call = 1))", "cannot stop the "
		    "invitations", ro->errbuf, ro->errsz, 1, rid[i]) < 0 ||
		    exec_ints(ro->db, "UPDATE recipients SET stop_upto = NULL, "
		    "checkin_at = coalesce(checkin_at, ?2), silence_at = "
		    "coalesce(silence_at, ?2) WHERE id = ?1", "cannot clear the "
		    "stop", ro->errbuf, ro->errsz, 2, rid[i],
		    (int64_t)ro->now) < 0)
			goto fail;
		if (cancelled > 0) {
			if (str_printf(detail, sizeof(detail), "%d open task%s "
			    "stopped (STOP or do not call), up to task %lld",
			    cancelled, cancelled == 1 ? "" : "s",
			    (long long)upto[i]) < 0 ||
			    audit(ro->db, ro->actor, "followup.cancel",
			    "recipients", rid[i], detail, ro->errbuf,
			    ro->errsz) != 0)
				goto fail;
		}
		if (db_commit(ro->db, ro->errbuf, ro->errsz) != 0)
			goto fail;
		ro->stats->cancelled += cancelled;
	}
	ret = 0;
	goto out;
fail:
	db_rollback(ro->db);
out:
	sqlite3_finalize(s);
	return ret;
}

/* Tasks made elsewhere (the inbox's): due at the next opening time. */
static int
round_plan(struct round *ro)
{
	sqlite3_stmt *s = NULL;
	struct { int64_t id; time_t created, due; } t[ROUND_BATCH];
	size_t n = 0;
	int ret = -1, rc;

	if (db_prepare(ro->db, "SELECT id, created_at, due_at FROM followups "
	    "INDEXED BY followups_unplanned "
	    "WHERE centre_id = ?1 AND planned = 0 AND status = 'open' "
	    "LIMIT ?2", &s, ro->errbuf, ro->errsz) != 0)
		return -1;
	if (db_bind_int64(s, 1, ro->rd->centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, ROUND_BATCH) != SQLITE_OK) {
		db_error(ro->db, "cannot list tasks", ro->errbuf, ro->errsz);
		goto out;
	}
	for (;;) {
		rc = db_step(s, "cannot list tasks", ro->errbuf, ro->errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		t[n].id = sqlite3_column_int64(s, 0);
		t[n].created = (time_t)sqlite3_column_int64(s, 1);
		t[n].due = (time_t)sqlite3_column_int64(s, 2);
		n++;
	}
	sqlite3_finalize(s);
	s = NULL;
	for (size_t i = 0; i < n; i++) {
		char detail[AUDIT_DETAIL_MAX], was[CLOCK_ISO_LEN];
		char due[CLOCK_ISO_LEN];
		time_t d;

		/* Nothing opens any more: keep the inbox's time. */
		if (followup_next_open(ro->r, t[i].created, &d) != 0)
			d = t[i].due;
		if (db_begin(ro->db, ro->errbuf, ro->errsz) != 0)
			goto out;
		rc = exec_ints(ro->db, "UPDATE followups SET due_at = ?2, "
		    "planned = 1 WHERE id = ?1 AND planned = 0", "cannot plan "
		    "the task", ro->errbuf, ro->errsz, 2, t[i].id, (int64_t)d);
		if (rc < 0)
			goto fail;
		clock_format(t[i].due, was);
		clock_format(d, due);
		if (rc > 0 && (str_printf(detail, sizeof(detail), "due %s in "
		    "opening hours (was %s)", due, was) < 0 ||
		    audit(ro->db, ro->actor, "followup.plan", "followups",
		    t[i].id, detail, ro->errbuf, ro->errsz) != 0))
			goto fail;
		if (db_commit(ro->db, ro->errbuf, ro->errsz) != 0)
			goto fail;
		if (rc > 0)
			ro->stats->planned++;
	}
	ret = 0;
	goto out;
fail:
	db_rollback(ro->db);
out:
	sqlite3_finalize(s);
	return ret;
}

/* One candidate of an order event, read before its transaction. */
struct order_ev {
	int64_t id;
	char ref[STORE_REF_MAX];
	int for_people;
	int64_t rid;
	time_t at;
	char flag[FOLLOWUP_INFO_MAX + 1];
};

/*
 * Run @sql (parameters ?1 centre, ?2 and ?3 times, ?4 limit, and ?5
 * when it has one: La Poste is polled) and read
 * rows of id, ref, for_people, recipient_id, time[, flag reason] into
 * @ev.  Returns the count or -1.
 */
static int
read_orders(struct round *ro, const char *sql, int64_t a, int64_t b,
    struct order_ev *ev, size_t max)
{
	sqlite3_stmt *s = NULL;
	size_t n = 0;
	int ret = -1, rc;

	if (db_prepare(ro->db, sql, &s, ro->errbuf, ro->errsz) != 0)
		return -1;
	if (db_bind_int64(s, 1, ro->rd->centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, a) != SQLITE_OK ||
	    db_bind_int64(s, 3, b) != SQLITE_OK ||
	    db_bind_int64(s, 4, (int64_t)max) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(s) >= 5 &&
	    db_bind_int64(s, 5, ro->rd->tracked ? 1 : 0) != SQLITE_OK)) {
		db_error(ro->db, "cannot list events", ro->errbuf, ro->errsz);
		goto out;
	}
	for (;;) {
		rc = db_step(s, "cannot list events", ro->errbuf, ro->errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW || n == max)
			goto out;
		memset(&ev[n], 0, sizeof(ev[n]));
		ev[n].id = sqlite3_column_int64(s, 0);
		if (db_column_text(s, 1, ev[n].ref, sizeof(ev[n].ref)) != 0)
			ev[n].ref[0] = '\0';
		ev[n].for_people = sqlite3_column_int(s, 2);
		ev[n].rid = sqlite3_column_int64(s, 3);
		ev[n].at = (time_t)sqlite3_column_int64(s, 4);
		if (sqlite3_column_count(s) > 5) {
			const unsigned char *f = sqlite3_column_text(s, 5);

			/* A flag reason is clear text the store wrote. */
			if (f != NULL)
				(void)!str_printf(ev[n].flag,
				    sizeof(ev[n].flag), "%.96s", (const char *)f);
		}
		n++;
	}
	ret = (int)n;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * The call that follows a parcel: @shipped false for delivered parcels
 * (after_delivery, or for_others when the order was for several
 * people), true for shipped ones nobody tracks (after_shipping, or
 * for_others), made once the day has come.  One task per order.
 */
static int
round_parcels(struct round *ro, bool shipped)
{
	const struct followup_rules *r = ro->r;
	struct order_ev *ev = NULL;
	int days = shipped ? r->untracked_days : r->delivery_days;
	int longest = days > r->for_others_days ? days : r->for_others_days;
	int n, ret = -1;

	if (shipped && days == 0)
		return 0;
	if (!shipped && days == 0 && r->for_others_days == 0)
		return 0;
	ev = calloc(ROUND_BATCH, sizeof(*ev));
	if (ev == NULL) {
		errbuf_set(ro->errbuf, ro->errsz, "out of memory");
		return -1;
	}
	if (shipped)
		/* Untracked: no carrier id, or nobody polls La Poste. */
		n = read_orders(ro, "SELECT o.id, o.ref, o.for_people, "
		    "o.recipient_id, coalesce(p.shipped_at, o.shipped_at) "
		    "FROM orders o JOIN recipients r ON r.id = o.recipient_id "
		    "LEFT JOIN parcels p ON p.order_id = o.id "
		    "WHERE o.centre_id = ?1 AND o.status = 'shipped' "
		    "AND o.shipped_at >= ?2 AND o.shipped_at < ?3 AND"
		    CALLABLE "AND (p.carrier_id IS NULL OR ?5 = 0) "
		    "AND NOT EXISTS (SELECT 1 FROM followups f WHERE "
		    "f.centre_id = ?1 AND f.event = 'order:' || o.id) "
		    "ORDER BY o.shipped_at LIMIT ?4",
		    (int64_t)(ro->now - (time_t)(longest + r->catch_up_days + 2)
		    * DAY), (int64_t)followup_day_start(ro->now, 1 - days), ev,
		    ROUND_BATCH);
	else
		n = read_orders(ro, "SELECT o.id, o.ref, o.for_people, "
		    "o.recipient_id, coalesce(p.delivered_at, o.delivered_at) "
		    "FROM orders o JOIN recipients r ON r.id = o.recipient_id "
		    "LEFT JOIN parcels p ON p.order_id = o.id "
		    "WHERE o.centre_id = ?1 AND o.status = 'delivered' "
		    "AND o.delivered_at >= ?2 AND o.delivered_at <= ?3 AND"
		    CALLABLE "AND NOT EXISTS (SELECT 1 FROM followups f WHERE "
		    "f.centre_id = ?1 AND f.event = 'order:' || o.id) "
		    "ORDER BY o.delivered_at LIMIT ?4",
		    (int64_t)(ro->now - (time_t)(longest + r->catch_up_days + 2)
		    * DAY), (int64_t)ro->now, ev, ROUND_BATCH);
	if (n < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		struct newtask t;
		bool others = ev[i].for_people > 1 && r->for_others_days > 0;
		int d = others && !shipped ? r->for_others_days : days;

		if (d == 0)
			continue;
		memset(&t, 0, sizeof(t));
		t.recipient_id = ev[i].rid;
		t.order_id = ev[i].id;
		t.ref = ev[i].ref;
		t.reason = others ? FOLLOWUP_FOR_OTHERS : shipped ?
		    FOLLOWUP_AFTER_SHIPPING : FOLLOWUP_AFTER_DELIVERY;
		if (followup_day_open(r, ev[i].at, d, &t.due) != 0 ||
		    stale(ro, t.due) || (shipped && t.due > ro->now + DAY))
			continue;
		if (str_printf(t.event, sizeof(t.event), "order:%lld",
		    (long long)ev[i].id) < 0 ||
		    (others ? str_printf(t.info, sizeof(t.info), "%d %d %s",
		    ev[i].for_people, d, shipped ? "shipped" : "delivered") :
		    str_printf(t.info, sizeof(t.info), "%d", d)) < 0)
			continue;
		if (create_task(ro, &t) < 0)
			goto out;
	}
	ret = 0;
out:
	free(ev);
	return ret;
}

/* Orders flagged as unusual, not shipped yet: an urgent call. */
static int
round_flagged(struct round *ro)
{
	struct order_ev *ev = NULL;
	int n, ret = -1;

	if (!ro->r->flagged)
		return 0;
	ev = calloc(ROUND_BATCH, sizeof(*ev));
	if (ev == NULL) {
		errbuf_set(ro->errbuf, ro->errsz, "out of memory");
		return -1;
	}
	n = read_orders(ro, "SELECT o.id, o.ref, o.for_people, "
	    "o.recipient_id, o.received_at, o.flag_reason "
	    "FROM orders o JOIN recipients r ON r.id = o.recipient_id "
	    "WHERE o.centre_id = ?1 AND o.status IN ('received', 'accepted', "
	    "'packed') AND o.flagged = 1 AND o.received_at >= ?2 "
	    "AND o.received_at <= ?3 AND" CALLABLE
	    "AND NOT EXISTS (SELECT 1 FROM followups f WHERE "
	    "f.centre_id = ?1 AND f.event = 'flag:' || o.id) "
	    "ORDER BY o.received_at LIMIT ?4",
	    (int64_t)(ro->now - (time_t)(ro->r->catch_up_days + 2) * DAY),
	    (int64_t)ro->now, ev, ROUND_BATCH);
	if (n < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		struct newtask t;

		memset(&t, 0, sizeof(t));
		t.recipient_id = ev[i].rid;
		t.order_id = ev[i].id;
		t.ref = ev[i].ref;
		t.reason = FOLLOWUP_FLAGGED;
		if (followup_next_open(ro->r, ev[i].at, &t.due) != 0 ||
		    str_printf(t.event, sizeof(t.event), "flag:%lld",
		    (long long)ev[i].id) < 0 ||
		    str_copy(t.info, sizeof(t.info), ev[i].flag) != 0)
			continue;
		if (create_task(ro, &t) < 0)
			goto out;
	}
	ret = 0;
out:
	free(ev);
	return ret;
}

/* Naloxone lots nearing expiry: each person who received one, once. */
static int
round_naloxone(struct round *ro)
{
	const struct followup_rules *r = ro->r;
	sqlite3_stmt *s = NULL, *q = NULL;
	struct { int64_t id; char lot[64]; time_t expiry; } lots[ROUND_BATCH];
	size_t nlots = 0;
	time_t today = ro->now - ro->now % DAY;	/* expiry days are UTC */
	int ret = -1, rc;

	if (r->naloxone_days == 0)
		return 0;
	if (db_prepare(ro->db, "SELECT id, lot, expiry FROM stock_lots "
	    "WHERE item = ?1 AND expiry >= ?2 AND expiry <= ?3 "
	    "ORDER BY expiry LIMIT ?4", &s, ro->errbuf, ro->errsz) != 0)
		return -1;
	for (size_t k = 0; k < r->nnaloxone_items; k++) {
		sqlite3_reset(s);
		if (db_bind_text(s, 1, r->naloxone_items[k]) != SQLITE_OK ||
		    db_bind_int64(s, 2, (int64_t)(today -
		    (time_t)r->catch_up_days * DAY)) != SQLITE_OK ||
		    db_bind_int64(s, 3, (int64_t)(today +
		    (time_t)r->naloxone_days * DAY)) != SQLITE_OK ||
		    db_bind_int64(s, 4, ROUND_BATCH) != SQLITE_OK) {
			db_error(ro->db, "cannot list lots", ro->errbuf,
			    ro->errsz);
			goto out;
		}
		for (;;) {
			rc = db_step(s, "cannot list lots", ro->errbuf,
			    ro->errsz);
			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW)
				goto out;
			if (nlots == ROUND_BATCH)
				break;
			lots[nlots].id = sqlite3_column_int64(s, 0);
			if (db_column_text(s, 1, lots[nlots].lot,
			    sizeof(lots[nlots].lot)) != 0)
				continue;
			lots[nlots].expiry = (time_t)sqlite3_column_int64(s, 2);
			nlots++;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if (db_prepare(ro->db, "SELECT o.recipient_id, max(o.id), o.ref "
	    "FROM parcel_lots pl JOIN parcels p ON p.id = pl.parcel_id "
	    "JOIN orders o ON o.id = p.order_id "
	    "JOIN recipients r ON r.id = o.recipient_id "
	    "WHERE pl.lot_id = ?1 AND o.centre_id = ?2 "
	    "AND o.status IN ('shipped', 'delivered') AND" CALLABLE
	    "AND NOT EXISTS (SELECT 1 FROM followups f WHERE "
	    "f.centre_id = ?2 AND f.event = 'lot:' || ?1 || ':' || "
	    "o.recipient_id) GROUP BY o.recipient_id LIMIT ?3", &q,
	    ro->errbuf, ro->errsz) != 0)
		goto out;
	for (size_t i = 0; i < nlots; i++) {
		struct { int64_t rid, oid; char ref[STORE_REF_MAX]; } *who;
		char day[CLOCK_ISO_LEN];
		size_t nwho = 0;
		time_t from;

		who = calloc(ROUND_BATCH, sizeof(*who));
		if (who == NULL) {
			errbuf_set(ro->errbuf, ro->errsz, "out of memory");
			goto out;
		}
		sqlite3_reset(q);
		if (db_bind_int64(q, 1, lots[i].id) != SQLITE_OK ||
		    db_bind_int64(q, 2, ro->rd->centre_id) != SQLITE_OK ||
		    db_bind_int64(q, 3, ROUND_BATCH) != SQLITE_OK) {
			free(who);
			db_error(ro->db, "cannot list recipients", ro->errbuf,
			    ro->errsz);
			goto out;
		}
		for (;;) {
			rc = db_step(q, "cannot list recipients", ro->errbuf,
			    ro->errsz);
			if (rc == SQLITE_DONE || nwho == ROUND_BATCH)
				break;
			if (rc != SQLITE_ROW) {
				free(who);
				goto out;
			}
			who[nwho].rid = sqlite3_column_int64(q, 0);
			who[nwho].oid = sqlite3_column_int64(q, 1);
			if (db_column_text(q, 2, who[nwho].ref,
			    sizeof(who[nwho].ref)) != 0)
				who[nwho].ref[0] = '\0';
			nwho++;
		}
		sqlite3_reset(q);
		clock_format(lots[i].expiry, day);
		day[10] = '\0';
		/* From N days before the expiry day, not before now. */
		from = lots[i].expiry - (time_t)r->naloxone_days * DAY;
		for (size_t w = 0; w < nwho; w++) {
			struct newtask t;

			memset(&t, 0, sizeof(t));
			t.recipient_id = who[w].rid;
			t.order_id = who[w].oid;
			t.ref = who[w].ref;
			t.reason = FOLLOWUP_NALOXONE;
			if (followup_next_open(r, from > ro->now ? from :
			    ro->now, &t.due) != 0 ||
			    str_printf(t.event, sizeof(t.event), "lot:%lld:%lld",
			    (long long)lots[i].id, (long long)who[w].rid) < 0 ||
			    str_printf(t.info, sizeof(t.info), "%s %s",
			    lots[i].lot, day) < 0)
				continue;
			if (create_task(ro, &t) < 0) {
				free(who);
				goto out;
			}
		}
		free(who);
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	sqlite3_finalize(q);
	return ret;
}

/*
 * The periodic calls: check-ins (@silence false: no call reached them
 * for N days) and re-engagement (@silence true: no order and no call for
 * N days).  Candidates come from the marker column's partial index; the
 * real start is the latest of the marker, the last call and (for
 * silence) the last order: a marker behind it is moved forward, a person
 * whose day has come gets the task and the marker is cleared until the
 * task ends.
 */
static int
round_periodic(struct round *ro, bool silence)
{
	const struct followup_rules *r = ro->r;
	const char *col = silence ? "silence_at" : "checkin_at";
	int days = silence ? r->silence_days : r->checkin_days;
	sqlite3_stmt *s = NULL;
	struct { int64_t rid, marker, base; } c[ROUND_BATCH];
	size_t n = 0;
	int ret = -1, rc;

	if (days == 0)
		return 0;
	if (db_prepare(ro->db, silence ?
	    "SELECT r.id, r.silence_at, max(r.silence_at, "
	    "coalesce(r.last_order_at, 0), coalesce(r.last_call_at, 0)) "
	    "FROM recipients r WHERE r.centre_id = ?1 AND r.silence_at < ?2 "
	    "AND" CALLABLE "ORDER BY r.silence_at LIMIT ?3" :
	    "SELECT r.id, r.checkin_at, max(r.checkin_at, "
	    "coalesce(r.last_call_at, 0)) "
	    "FROM recipients r WHERE r.centre_id = ?1 AND r.checkin_at < ?2 "
	    "AND" CALLABLE "ORDER BY r.checkin_at LIMIT ?3", &s, ro->errbuf,
	    ro->errsz) != 0)
		return -1;
	/* Start before this: the N-th day after it is today or earlier. */
	if (db_bind_int64(s, 1, ro->rd->centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, (int64_t)followup_day_start(ro->now,
	    1 - days)) != SQLITE_OK ||
	    db_bind_int64(s, 3, ROUND_BATCH) != SQLITE_OK) {
		db_error(ro->db, "cannot list people", ro->errbuf, ro->errsz);
		goto out;
	}
	for (;;) {
		rc = db_step(s, "cannot list people", ro->errbuf, ro->errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		c[n].rid = sqlite3_column_int64(s, 0);
		c[n].marker = sqlite3_column_int64(s, 1);
		c[n].base = sqlite3_column_int64(s, 2);
		n++;
	}
	sqlite3_finalize(s);
	s = NULL;
	for (size_t i = 0; i < n; i++) {
		struct newtask t;

		if (c[i].base > c[i].marker) {
			char sql[128];

			/* Bookkeeping only: no task, no audit entry. */
			if (str_printf(sql, sizeof(sql), "UPDATE recipients SET "
			    "%s = ?2 WHERE id = ?1 AND %s = ?3", col, col) < 0 ||
			    exec_ints(ro->db, sql, "cannot move the marker",
			    ro->errbuf, ro->errsz, 3, c[i].rid, c[i].base,
			    c[i].marker) < 0)
				goto out;
			if (c[i].base >= followup_day_start(ro->now, 1 - days))
				continue;
			c[i].marker = c[i].base;
		}
		memset(&t, 0, sizeof(t));
		t.recipient_id = c[i].rid;
		t.ref = "";
		t.reason = silence ? FOLLOWUP_SILENCE : FOLLOWUP_CHECKIN;
		t.marker = col;
		t.marker_was = c[i].marker;
		if (followup_day_open(r, (time_t)c[i].base, days, &t.due) != 0)
			continue;
		/* Long overdue (a first run): due now, not last month. */
		if (stale(ro, t.due) &&
		    followup_next_open(r, ro->now, &t.due) != 0)
			continue;
		if (str_printf(t.event, sizeof(t.event), "%s:%lld:%lld",
		    silence ? "silence" : "checkin", (long long)c[i].rid,
		    (long long)c[i].base) < 0 ||
		    str_printf(t.info, sizeof(t.info), "%d", days) < 0)
			continue;
		if (create_task(ro, &t) < 0)
			goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* The invitation text for @lang, else French. */
static const char *
invite_text(const struct followup_rules *r, const char *lang)
{
	const char *fr = NULL;

	for (size_t i = 0; i < r->ninvites; i++) {
		if (strcmp(r->invites[i].lang, lang) == 0)
			return r->invites[i].text;
		if (strcmp(r->invites[i].lang, "fr") == 0)
			fr = r->invites[i].text;
	}
	return fr != NULL ? fr : default_invites[0].text;
}

/* Settle one invitation: @state 'sent', 'failed' or 'skipped'. */
static int
invite_settle(struct round *ro, int64_t fid, const char *state,
    const char *why)
{
	sqlite3_stmt *s = NULL;
	char detail[AUDIT_DETAIL_MAX];
	int ret = -1;

	if (db_begin(ro->db, ro->errbuf, ro->errsz) != 0)
		return -1;
	if (db_prepare(ro->db,
	    "UPDATE followups SET invite = ?2, "
	    "invited_at = ?3 WHERE id = ?1 AND invite = 'pending'", &s,
	    ro->errbuf, ro->errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, fid) != SQLITE_OK ||
	    db_bind_text(s, 2, state) != SQLITE_OK ||
	    db_bind_int64(s, 3, (int64_t)ro->now) != SQLITE_OK) {
		db_error(ro->db, "cannot settle the invitation", ro->errbuf,
		    ro->errsz);
		goto out;
	}
	if (db_step(s, "cannot settle the invitation", ro->errbuf,
	    ro->errsz) != SQLITE_DONE)
		goto out;
	if (str_printf(detail, sizeof(detail), "SMS invitation %s%s%s", state,
	    why[0] != '\0' ? ": " : "", why) < 0 ||
	    audit(ro->db, ro->actor, "followup.invite", "followups", fid,
	    detail, ro->errbuf, ro->errsz) != 0)
		goto out;
	if (db_commit(ro->db, ro->errbuf, ro->errsz) != 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(s);
	if (ret != 0)
		db_rollback(ro->db);
	return ret;
}

/* The pending SMS invitations, in opening hours. */
static int
round_invites(struct round *ro)
{
	sqlite3_stmt *s = NULL;
	struct { int64_t fid, rid; time_t done; } p[INVITE_BATCH];
	size_t n = 0;
	int ret = -1, rc;

	if (ro->rd->key == NULL || ro->rd->sms == NULL ||
	    !followup_is_open(ro->r, ro->now))
		return 0;
	if (db_prepare(ro->db, "SELECT id, recipient_id, coalesce(done_at, 0) "
	    "FROM followups WHERE centre_id = ?1 AND invite = 'pending' "
	    "ORDER BY id LIMIT ?2", &s, ro->errbuf, ro->errsz) != 0)
		return -1;
	if (db_bind_int64(s, 1, ro->rd->centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, INVITE_BATCH) != SQLITE_OK) {
		db_error(ro->db, "cannot list invitations", ro->errbuf,
		    ro->errsz);
		goto out;
	}
	for (;;) {
		rc = db_step(s, "cannot list invitations", ro->errbuf,
		    ro->errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		p[n].fid = sqlite3_column_int64(s, 0);
		p[n].rid = sqlite3_column_int64(s, 1);
		p[n].done = (time_t)sqlite3_column_int64(s, 2);
		n++;
	}
	sqlite3_finalize(s);
	s = NULL;
	for (size_t i = 0; i < n; i++) {
		struct recipient *rec;
		enum sendsms_status st;
		char err[SENDSMS_ERR_MAX];
		const char *why = NULL;

		if (p[i].done + (time_t)INVITE_EXPIRE_DAYS * DAY < ro->now) {
			if (invite_settle(ro, p[i].fid, "failed", "not sent "
			    "within 3 days") != 0)
				goto out;
			ro->stats->invite_failed++;
			continue;
		}
		rec = calloc(1, sizeof(*rec));
		if (rec == NULL) {
			errbuf_set(ro->errbuf, ro->errsz, "out of memory");
			goto out;
		}
		if (recipient_load(ro->db, ro->rd->key, p[i].rid, rec,
		    ro->errbuf, ro->errsz) != 0) {
			recipient_clear(rec);
			free(rec);
			goto out;
		}
		if (!rec->consent_sms)
			why = "no consent to SMS";
		else if (rec->sms_stopped)
			why = "STOP";
		else if (rec->do_not_call)
			why = "do not call";
		else if (rec->pii.phone[0] == '\0')
			why = "no phone number on file";
		if (why != NULL) {
			recipient_clear(rec);
			free(rec);
			if (invite_settle(ro, p[i].fid, "skipped", why) != 0)
				goto out;
			continue;
		}
		st = sendsms_send(ro->rd->sms, rec->pii.phone,
		    invite_text(ro->r, rec->lang), NULL, err, sizeof(err));
		recipient_clear(rec);
		free(rec);
		if (st == SENDSMS_ERR_REFUSED) {
			/* This number: Kannel will not take it. */
			if (invite_settle(ro, p[i].fid, "failed", "Kannel "
			    "refused the receiver") != 0)
				goto out;
			ro->stats->invite_failed++;
			continue;
		}
		if (st != SENDSMS_OK) {
			/* Kannel down or misconfigured: all wait. */
			ro->stats->invite_failed++;
			errbuf_set(ro->errbuf, ro->errsz, "SMS invitation not "
			    "sent (tried again next round): %s", err);
			goto out;
		}
		if (invite_settle(ro, p[i].fid, "sent", "") != 0)
			goto out;
		ro->stats->invited++;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

int
followup_run(const struct followup_round *rd, time_t now,
    struct followup_stats *stats, char *errbuf, size_t errsz)
{
	struct followup_stats local;
	struct round ro;
	bool sent = false;

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	if (errsz > 0)
		errbuf[0] = '\0';
	if (rd == NULL || rd->st == NULL || rd->rules == NULL) {
		errbuf_set(errbuf, errsz, "scheduler: missing argument");
		return -1;
	}
	memset(&ro, 0, sizeof(ro));
	ro.rd = rd;
	ro.r = rd->rules;
	ro.db = store_db(rd->st);
	ro.actor = rd->actor != NULL ? rd->actor : SCHEDULER_DEFAULT_ACTOR;
	ro.now = now;
	ro.stats = stats;
	ro.errbuf = errbuf;
	ro.errsz = errsz;
	if (round_stops(&ro) != 0 || round_plan(&ro) != 0 ||
	    round_parcels(&ro, false) != 0 || round_parcels(&ro, true) != 0 ||
	    round_flagged(&ro) != 0 || round_naloxone(&ro) != 0 ||
	    round_periodic(&ro, false) != 0 || round_periodic(&ro, true) != 0 ||
	    round_invites(&ro) != 0)
		return -1;
	if (rd->sms != NULL && rd->rules->digest_phone[0] != '\0') {
		if (followup_digest_send(rd, now, &sent, errbuf, errsz) != 0)
			return -1;
		stats->digest_sent = sent;
		if (sent)
			followup_local_day(now, stats->digest_day);
	}
	return 0;
}

/* ==== listing ========================================================== */

#define TASK_COLS "f.id, f.recipient_id, coalesce(f.order_id, 0), " \
	"coalesce(o.ref, ''), f.reason, coalesce(f.info, ''), f.due_at, " \
	"f.created_at, f.attempts, f.status "

/* One row of TASK_COLS into @t. */
static int
task_row(sqlite3_stmt *s, time_t today, struct followup_task *t,
    char *errbuf, size_t errsz)
{
	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(s, 0);
	t->recipient_id = sqlite3_column_int64(s, 1);
	t->order_id = sqlite3_column_int64(s, 2);
	if (db_column_text(s, 3, t->ref, sizeof(t->ref)) != 0 ||
	    db_column_text(s, 4, t->reason, sizeof(t->reason)) != 0 ||
	    db_column_text(s, 5, t->info, sizeof(t->info)) != 0) {
		errbuf_set(errbuf, errsz, "task %lld: a column is too long",
		    (long long)t->id);
		return -1;
	}
	t->due_at = (time_t)sqlite3_column_int64(s, 6);
	t->created_at = (time_t)sqlite3_column_int64(s, 7);
	t->attempts = sqlite3_column_int(s, 8);
	t->urgent = is_urgent(t->reason);
	t->overdue = t->due_at < today;
	return 0;
}

enum followup_status
followup_get(struct store *st, int64_t centre_id, int64_t id, time_t now,
    struct followup_task *t, char status[16], char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	enum followup_status ret = FOLLOWUP_ERR_DB;
	int rc;

	if (db_prepare(db, "SELECT " TASK_COLS "FROM followups f "
	    "LEFT JOIN orders o ON o.id = f.order_id "
	    "WHERE f.id = ?1 AND f.centre_id = ?2", &s, errbuf, errsz) != 0)
		return FOLLOWUP_ERR_DB;
	if (db_bind_int64(s, 1, id) != SQLITE_OK ||
	    db_bind_int64(s, 2, centre_id) != SQLITE_OK) {
		db_error(db, "cannot read the task", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the task", errbuf, errsz);
	if (rc == SQLITE_DONE) {
		errbuf_set(errbuf, errsz, "no task %lld", (long long)id);
		ret = FOLLOWUP_ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW || task_row(s, followup_day_start(now, 0), t,
	    errbuf, errsz) != 0)
		goto out;
	if (status != NULL && db_column_text(s, 9, status, 16) != 0)
		goto out;
	ret = FOLLOWUP_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

int
followup_due(struct store *st, int64_t centre_id, time_t now,
    int (*cb)(const struct followup_task *t, void *arg), void *arg,
    char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct followup_task t;
	time_t today = followup_day_start(now, 0);
	int ret = -1, rc;

	if (db_prepare(db, "SELECT " TASK_COLS
	    "FROM followups f LEFT JOIN orders o ON o.id = f.order_id "
	    "WHERE f.centre_id = ?1 AND f.status = 'open' AND f.due_at < ?2 "
	    "ORDER BY f.due_at, f.id", &s, errbuf, errsz) != 0)
		return -1;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, (int64_t)followup_day_start(now, 1)) !=
	    SQLITE_OK) {
		db_error(db, "cannot list the tasks", errbuf, errsz);
		goto out;
	}
	for (;;) {
		rc = db_step(s, "cannot list the tasks", errbuf, errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW || task_row(s, today, &t, errbuf,
		    errsz) != 0)
			goto out;
		if (cb(&t, arg) != 0)
			break;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* The first and second words of @info ("3", "NALOX-A2709 2027-09-30"). */
static void
info_words(const char *info, char *a, size_t asz, char *b, size_t bsz,
    char *c, size_t csz)
{
	char *outs[3] = { a, b, c };
	size_t szs[3] = { asz, bsz, csz };

	for (int i = 0; i < 3; i++) {
		size_t n;

		while (*info == ' ')
			info++;
		n = strcspn(info, " ");
		if (n >= szs[i])
			n = szs[i] - 1;
		memcpy(outs[i], info, n);
		outs[i][n] = '\0';
		info += strcspn(info, " ");
	}
}

void
followup_why(const struct followup_task *t, char *out, size_t outsz)
{
	char a[64], b[64], c[64];
	const char *order = t->ref[0] != '\0' ? t->ref : "?";
	int rc;

	info_words(t->info, a, sizeof(a), b, sizeof(b), c, sizeof(c));
	if (strcmp(t->reason, FOLLOWUP_AFTER_DELIVERY) == 0)
		rc = str_printf(out, outsz, "%s days after delivery of order %s",
		    a, order);
	else if (strcmp(t->reason, FOLLOWUP_AFTER_SHIPPING) == 0)
		rc = str_printf(out, outsz, "%s days after shipping of order %s "
		    "(not tracked)", a, order);
	else if (strcmp(t->reason, FOLLOWUP_FOR_OTHERS) == 0)
		rc = str_printf(out, outsz, "ordered for %s people (order %s), "
		    "%s days after %s: ask that the friends call", a, order, b,
		    strcmp(c, "shipped") == 0 ? "shipping" : "delivery");
	else if (strcmp(t->reason, FOLLOWUP_NALOXONE) == 0)
		rc = str_printf(out, outsz, "naloxone lot %s expires on %s "
		    "(order %s)", a, b, order);
	else if (strcmp(t->reason, FOLLOWUP_CHECKIN) == 0)
		rc = str_printf(out, outsz, "check-in: no call for %s days", a);
	else if (strcmp(t->reason, FOLLOWUP_SILENCE) == 0)
		rc = str_printf(out, outsz, "no order or call for %s days", a);
	else if (strcmp(t->reason, FOLLOWUP_FLAGGED) == 0)
		rc = str_printf(out, outsz, "order %s flagged: %s", order,
		    t->info[0] != '\0' ? t->info : "unusual");
	else if (strcmp(t->reason, FOLLOWUP_URGENT_STAFF) == 0)
		rc = str_printf(out, outsz, "urgent: asked by staff%s%s",
		    t->ref[0] != '\0' ? " about order " : "", t->ref);
	else if (strcmp(t->reason, "urgent_sms_call") == 0)
		rc = str_printf(out, outsz, "asked to be called back by SMS");
	else if (strcmp(t->reason, "urgent_sms_order_unknown") == 0)
		rc = str_printf(out, outsz, "ordered by SMS from a number not "
		    "on file, or without an address");
	else if (strcmp(t->reason, "urgent_sms_order_failed") == 0)
		rc = str_printf(out, outsz, "ordered by SMS, the order could "
		    "not be made");
	else
		rc = str_printf(out, outsz, "%s", t->reason);
	if (rc < 0 && outsz > 0)
		(void)!str_printf(out, outsz, "%.20s", t->reason);
}

/* ==== what staff record ================================================= */

static const struct {
	const char *arg;
	const char *column;
} outcomes[] = {
	[FOLLOWUP_REACHED] = { "reached", "reached" },
	[FOLLOWUP_NO_ANSWER] = { "no-answer", "no_answer" },
	[FOLLOWUP_DECLINED] = { "declined", "declined" },
	[FOLLOWUP_NALOXONE_USED] = { "naloxone-used", "naloxone_used" },
	[FOLLOWUP_REFERRED] = { "referred", "referred" },
};

int
followup_outcome_parse(const char *s, enum followup_outcome *out)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(outcomes); i++) {
		if (strcmp(s, outcomes[i].arg) == 0 ||
		    strcmp(s, outcomes[i].column) == 0) {
			*out = (enum followup_outcome)i;
			return 0;
		}
	}
	return -1;
}

const char *
followup_outcome_column(enum followup_outcome o)
{
	if ((size_t)o >= ARRAY_LEN(outcomes))
		return "reached";
	return outcomes[o].column;
}

/*
 * A staff note: 1 to FOLLOWUP_NOTE_MAX characters of UTF-8, newlines
 * allowed, no other control character.
 */
static bool
note_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || !utf8_valid(s, n) || utf8_len(s) > FOLLOWUP_NOTE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return false;
		/* C1 controls: U+0080..U+009F are C2 80..C2 9F. */
		if (c == 0xc2 && i + 1 < n &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return false;
	}
	return true;
}

/*
 * Append @note under "--- <time> <actor> <what>" to task @fid's sealed
 * note (inside the caller's transaction).  Returns 0 or -1.
 */
static int
append_note(sqlite3 *db, const struct centre_key *key, int64_t fid,
    const char *note, const char *actor, const char *what, time_t now,
    char *errbuf, size_t errsz)
{
	char *old = NULL, *all = NULL, when[CLOCK_ISO_LEN];
	size_t oldlen = 0, len = 0, cap;
	int ret = -1, n;

	if (open_note(db, key, fid, &old, &oldlen, errbuf, errsz) != 0)
		return -1;
	clock_format(now, when);
	cap = oldlen + strlen(note) + strlen(actor) + strlen(what) + 64;
	if (cap > FOLLOWUP_NOTES_MAX) {
		errbuf_set(errbuf, errsz, "note: the task's notes would be "
		    "longer than %d bytes", FOLLOWUP_NOTES_MAX);
		goto out;
	}
	all = malloc(cap);
	if (all == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	n = snprintf(all, cap, "%s%s--- %s %s %s\n%s", old != NULL ? old : "",
	    old != NULL ? "\n" : "", when, actor, what, note);
	if (n < 0 || (size_t)n >= cap) {
		errbuf_set(errbuf, errsz, "note: too long");
		goto out;
	}
	len = (size_t)n;
	ret = seal_note(db, key, fid, all, len, errbuf, errsz);
out:
	if (old != NULL)
		mem_wipe_free(old, oldlen + 1);
	if (all != NULL)
		mem_wipe_free(all, cap);
	return ret;
}

/* A task and its person, read inside the transaction. */
struct taskrow {
	char status[16];
	char reason[FOLLOWUP_REASON_MAX + 1];
	int attempts;
	int64_t rid;
	bool consent_sms, sms_stopped, do_not_call, has_phone;
};

static enum followup_status
read_task(sqlite3 *db, int64_t centre_id, int64_t id, struct taskrow *t,
    char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	enum followup_status ret = FOLLOWUP_ERR_DB;
	int rc;

	if (db_prepare(db, "SELECT f.status, f.reason, f.attempts, "
	    "f.recipient_id, r.consent_sms, r.sms_stopped, r.do_not_call, "
	    "r.phone_key IS NOT NULL FROM followups f "
	    "JOIN recipients r ON r.id = f.recipient_id "
	    "WHERE f.id = ?1 AND f.centre_id = ?2", &s, errbuf, errsz) != 0)
		return FOLLOWUP_ERR_DB;
	if (db_bind_int64(s, 1, id) != SQLITE_OK ||
	    db_bind_int64(s, 2, centre_id) != SQLITE_OK) {
		db_error(db, "cannot read the task", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the task", errbuf, errsz);
	if (rc == SQLITE_DONE) {
		errbuf_set(errbuf, errsz, "no task %lld", (long long)id);
		ret = FOLLOWUP_ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW)
		goto out;
	if (db_column_text(s, 0, t->status, sizeof(t->status)) != 0 ||
	    db_column_text(s, 1, t->reason, sizeof(t->reason)) != 0) {
		errbuf_set(errbuf, errsz, "task %lld: bad row", (long long)id);
		goto out;
	}
	t->attempts = sqlite3_column_int(s, 2);
	t->rid = sqlite3_column_int64(s, 3);
	t->consent_sms = sqlite3_column_int(s, 4) != 0;
	t->sms_stopped = sqlite3_column_int(s, 5) != 0;
	t->do_not_call = sqlite3_column_int(s, 6) != 0;
	t->has_phone = sqlite3_column_int(s, 7) != 0;
	ret = FOLLOWUP_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/* Why the SMS invitation may not go, or NULL when it may. */
static const char *
invite_refusal(const struct followup_rules *r, const struct taskrow *t,
    bool do_not_call)
{
	if (!r->invite)
		return "invitations are off";
	if (do_not_call || t->do_not_call)
		return "do not call";
	if (!t->has_phone)
		return "no phone number";
	if (!t->consent_sms)
		return "no consent to SMS";
	if (t->sms_stopped)
		return "STOP";
	return NULL;
}

enum followup_status
followup_done(struct store *st, const struct centre_key *key,
    const struct followup_rules *rules, int64_t centre_id, int64_t id,
    const struct followup_done *d, struct followup_done_result *res,
    char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct followup_done_result local;
	struct taskrow t;
	enum followup_status ret = FOLLOWUP_ERR_DB, rs;
	const char *col, *refusal = NULL;
	char detail[AUDIT_DETAIL_MAX], due[CLOCK_ISO_LEN];
	bool retry;
	int rc;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	memset(&t, 0, sizeof(t));
	if (errsz > 0)
		errbuf[0] = '\0';
	if (d == NULL || d->actor == NULL || rules == NULL ||
	    (size_t)d->outcome >= ARRAY_LEN(outcomes)) {
		errbuf_set(errbuf, errsz, "outcome: one of reached, no-answer, "
		    "declined, naloxone-used, referred");
		return FOLLOWUP_ERR_INVALID;
	}
	if (d->note != NULL && !note_ok(d->note)) {
		errbuf_set(errbuf, errsz, "note: 1 to %d characters, no control "
		    "characters but newlines", FOLLOWUP_NOTE_MAX);
		return FOLLOWUP_ERR_INVALID;
	}
	if (d->note != NULL && key == NULL) {
		errbuf_set(errbuf, errsz, "note: the private key is needed to "
		    "add to the task's sealed notes");
		return FOLLOWUP_ERR_KEY;
	}
	col = outcomes[d->outcome].column;
	if (db_begin(db, errbuf, errsz) != 0)
		return FOLLOWUP_ERR_DB;
	rs = read_task(db, centre_id, id, &t, errbuf, errsz);
	if (rs != FOLLOWUP_OK) {
		ret = rs;
		goto out;
	}
	if (strcmp(t.status, "open") != 0) {
		errbuf_set(errbuf, errsz, "task %lld is already %s; nothing "
		    "changed", (long long)id, t.status);
		ret = FOLLOWUP_ERR_CLOSED;
		goto out;
	}
	if (d->note != NULL && append_note(db, key, id, d->note, d->actor, col,
	    d->now, errbuf, errsz) != 0)
		goto out;
	retry = false;
	if (d->outcome == FOLLOWUP_NO_ANSWER) {
		res->attempts = t.attempts + 1;
		retry = res->attempts < rules->retry_calls && !d->do_not_call;
	}
	if (retry) {
		time_t next = d->now + (time_t)rules->retry_hours * 3600;

		if (followup_next_open(rules, next, &res->next_due) != 0)
			res->next_due = next;
		rc = exec_ints(db, "UPDATE followups SET attempts = ?2, "
		    "last_attempt_at = ?3, due_at = ?4 WHERE id = ?1",
		    "cannot record the call", errbuf, errsz, 4, id,
		    (int64_t)res->attempts, (int64_t)d->now,
		    (int64_t)res->next_due);
		clock_format(res->next_due, due);
		if (rc < 0 || str_printf(detail, sizeof(detail), "no_answer, "
		    "call %d of %d without answer, next due %s%s",
		    res->attempts, rules->retry_calls, due, d->note != NULL ?
		    ", note added" : "") < 0 ||
		    audit(db, d->actor, "followup.retry", "followups", id,
		    detail, errbuf, errsz) != 0)
			goto out;
	} else {
		const char *invite = NULL;

		res->closed = true;
		if (d->outcome == FOLLOWUP_NO_ANSWER) {
			refusal = invite_refusal(rules, &t, d->do_not_call);
			invite = refusal == NULL ? "pending" : "skipped";
			res->invite_pending = refusal == NULL;
			res->invite_skipped = refusal != NULL;
		} else {
			res->attempts = t.attempts;
		}
		if (db_prepare(db,
		    "UPDATE followups SET status = 'done', "
		    "outcome = ?2, done_at = ?3, attempts = ?4, "
		    "last_attempt_at = CASE WHEN ?2 = 'no_answer' THEN ?3 "
		    "ELSE last_attempt_at END, invite = ?5 WHERE id = ?1", &s,
		    errbuf, errsz) != 0)
			goto out;
		if (db_bind_int64(s, 1, id) != SQLITE_OK ||
		    db_bind_text(s, 2, col) != SQLITE_OK ||
		    db_bind_int64(s, 3, (int64_t)d->now) != SQLITE_OK ||
		    db_bind_int64(s, 4, (int64_t)res->attempts) != SQLITE_OK ||
		    (invite != NULL ? db_bind_text(s, 5, invite) :
		    sqlite3_bind_null(s, 5)) != SQLITE_OK) {
			db_error(db, "cannot close the task", errbuf, errsz);
			goto out;
		}
		if (db_step(s, "cannot close the task", errbuf, errsz) !=
		    SQLITE_DONE)
			goto out;
		sqlite3_finalize(s);
		s = NULL;
		/* A conversation: the periodic calls count from it. */
		if (d->outcome != FOLLOWUP_NO_ANSWER &&
		    exec_ints(db, "UPDATE recipients SET last_call_at = ?2 "
		    "WHERE id = ?1", "cannot record the call", errbuf, errsz, 2,
		    t.rid, (int64_t)d->now) < 0)
			goto out;
		/* The periodic task ended: its clock starts again. */
		if ((strcmp(t.reason, FOLLOWUP_CHECKIN) == 0 &&
		    exec_ints(db, "UPDATE recipients SET checkin_at = "
		    "coalesce(checkin_at, ?2) WHERE id = ?1", "cannot move the "
		    "marker", errbuf, errsz, 2, t.rid, (int64_t)d->now) < 0) ||
		    (strcmp(t.reason, FOLLOWUP_SILENCE) == 0 &&
		    exec_ints(db, "UPDATE recipients SET silence_at = "
		    "coalesce(silence_at, ?2) WHERE id = ?1", "cannot move the "
		    "marker", errbuf, errsz, 2, t.rid, (int64_t)d->now) < 0))
			goto out;
		if (d->outcome == FOLLOWUP_NO_ANSWER)
			rc = str_printf(detail, sizeof(detail), "no_answer after "
			    "%d call%s, SMS invitation %s%s%s", res->attempts,
			    res->attempts == 1 ? "" : "s", refusal == NULL ?
			    "pending" : "not sent: ", refusal != NULL ? refusal :
			    "", d->note != NULL ? ", note added" : "");
		else
			rc = str_printf(detail, sizeof(detail), "%s after %d "
			    "call%s without answer%s", col, res->attempts,
			    res->attempts == 1 ? "" : "s", d->note != NULL ?
			    ", note added" : "");
		if (rc < 0 || audit(db, d->actor, "followup.done",
		    "followups", id, detail, errbuf, errsz) != 0)
			goto out;
	}
	if (d->do_not_call) {
		rc = exec_ints(db, "UPDATE recipients SET do_not_call = 1 "
		    "WHERE id = ?1", "cannot record do not call", errbuf, errsz,
		    1, t.rid);
		if (rc < 0)
			goto out;
		res->cancelled = exec_ints(db, "UPDATE followups SET status = "
		    "'cancelled', outcome = 'stopped', done_at = ?2, invite = "
		    "CASE WHEN invite = 'pending' THEN 'skipped' ELSE invite "
		    "END WHERE recipient_id = ?1 AND status = 'open'",
		    "cannot stop the tasks", errbuf, errsz, 2, t.rid,
		    (int64_t)d->now);
		if (res->cancelled < 0 ||
		    exec_ints(db, "UPDATE followups SET invite = 'skipped' "
		    "WHERE recipient_id = ?1 AND invite = 'pending'", "cannot "
		    "stop the invitations", errbuf, errsz, 1, t.rid) < 0 ||
		    exec_ints(db, "UPDATE recipients SET stop_upto = NULL, "
		    "checkin_at = coalesce(checkin_at, ?2), silence_at = "
		    "coalesce(silence_at, ?2) WHERE id = ?1", "cannot record do "
		    "not call", errbuf, errsz, 2, t.rid, (int64_t)d->now) < 0)
			goto out;
		if (str_printf(detail, sizeof(detail), "do not call (task "
		    "%lld), %d other open task%s stopped", (long long)id,
		    res->cancelled, res->cancelled == 1 ? "" : "s") < 0 ||
		    audit(db, d->actor, "recipient.do_not_call",
		    "recipients", t.rid, detail, errbuf, errsz) != 0)
			goto out;
	}
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	ret = FOLLOWUP_OK;
out:
	sqlite3_finalize(s);
	if (ret != FOLLOWUP_OK) {
		db_rollback(db);
		memset(res, 0, sizeof(*res));
	}
	return ret;
}

enum followup_status
followup_add_urgent(struct store *st, const struct centre_key *key,
    const struct followup_rules *rules, int64_t centre_id, const char *ref,
    const char *note, const char *actor, time_t now, int64_t *id,
    char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct store_order_row row;
	enum followup_status ret = FOLLOWUP_ERR_DB;
	enum store_status ss;
	char detail[AUDIT_DETAIL_MAX], due_iso[CLOCK_ISO_LEN];
	const char *why = NULL;
	time_t due;
	int64_t fid;
	int rc;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (ref == NULL || actor == NULL || rules == NULL ||
	    (note != NULL && key == NULL)) {
		errbuf_set(errbuf, errsz, "missing argument");
		return FOLLOWUP_ERR_INVALID;
	}
	if (note != NULL && !note_ok(note)) {
		errbuf_set(errbuf, errsz, "note: 1 to %d characters, no control "
		    "characters but newlines", FOLLOWUP_NOTE_MAX);
		return FOLLOWUP_ERR_INVALID;
	}
	ss = store_order_get(st, ref, &row);
	if (ss == STORE_ERR_NOT_FOUND || ss == STORE_ERR_INVALID) {
		errbuf_set(errbuf, errsz, "REF: %s", store_errmsg(st));
		return ss == STORE_ERR_NOT_FOUND ? FOLLOWUP_ERR_NOT_FOUND :
		    FOLLOWUP_ERR_INVALID;
	}
	if (ss != STORE_OK) {
		errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
		return FOLLOWUP_ERR_DB;
	}
	if (followup_next_open(rules, now, &due) != 0) {
		errbuf_set(errbuf, errsz, "the rules never open");
		return FOLLOWUP_ERR_INVALID;
	}
	if (db_begin(db, errbuf, errsz) != 0)
		return FOLLOWUP_ERR_DB;
	if (db_prepare(db, "SELECT consent_call, do_not_call, sms_stopped, "
	    "phone_key IS NOT NULL FROM recipients WHERE id = ?1 AND "
	    "centre_id = ?2", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, row.recipient_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, centre_id) != SQLITE_OK) {
		db_error(db, "cannot read the person", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the person", errbuf, errsz);
	if (rc == SQLITE_DONE)
		why = "nobody on file for this order in this centre";
	else if (rc != SQLITE_ROW)
		goto out;
	else if (sqlite3_column_int(s, 3) == 0)
		why = "no phone number on file";
	else if (sqlite3_column_int(s, 1) != 0)
		why = "the person asked not to be called";
	else if (sqlite3_column_int(s, 2) != 0)
		why = "the person sent STOP";
	else if (sqlite3_column_int(s, 0) == 0)
		why = "the person did not agree to be called";
	sqlite3_finalize(s);
	s = NULL;
	if (why != NULL) {
		errbuf_set(errbuf, errsz, "order %s: %s; no task made", row.ref,
		    why);
		ret = FOLLOWUP_ERR_REFUSED;
		goto out;
	}
	if (exec_ints(db, "INSERT INTO followups (centre_id, recipient_id, "
	    "order_id, reason, due_at, status, created_at, planned) VALUES "
	    "(?1, ?2, ?3, '" FOLLOWUP_URGENT_STAFF "', ?4, 'open', ?5, 1)",
	    "cannot add the task", errbuf, errsz, 5, centre_id,
	    row.recipient_id, row.id, (int64_t)due, (int64_t)now) < 0)
		goto out;
	fid = sqlite3_last_insert_rowid(db);
	if (note != NULL && append_note(db, key, fid, note, actor, "urgent",
	    now, errbuf, errsz) != 0)
		goto out;
	clock_format(due, due_iso);
	if (str_printf(detail, sizeof(detail), FOLLOWUP_URGENT_STAFF
	    ", recipient %lld, order %s, due %s%s", (long long)row.recipient_id,
	    row.ref, due_iso, note != NULL ? ", note added" : "") < 0 ||
	    audit(db, actor, "followup.add", "followups", fid, detail,
	    errbuf, errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	if (id != NULL)
		*id = fid;
	ret = FOLLOWUP_OK;
out:
	sqlite3_finalize(s);
	if (ret != FOLLOWUP_OK)
		db_rollback(db);
	return ret;
}

void
followup_contact_clear(struct followup_contact *c)
{
	if (c == NULL)
		return;
	if (c->notes != NULL)
		mem_wipe_free(c->notes, c->notes_len + 1);
	OPENSSL_cleanse(c, sizeof(*c));
}

enum followup_status
followup_contact(struct store *st, const struct centre_key *key,
    int64_t centre_id, int64_t id, bool with_notes, const char *actor,
    struct followup_contact *out, char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct recipient *rec = NULL;
	enum followup_status ret = FOLLOWUP_ERR_DB;
	char *notes = NULL;
	size_t notes_len = 0;
	int64_t rid;
	int rc;

	memset(out, 0, sizeof(*out));
	if (key == NULL || actor == NULL) {
		errbuf_set(errbuf, errsz, "the private key is needed");
		return FOLLOWUP_ERR_KEY;
	}
	rec = calloc(1, sizeof(*rec));
	if (rec == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return FOLLOWUP_ERR_DB;
	}
	if (db_begin(db, errbuf, errsz) != 0)
		goto out;
	if (db_prepare(db,
	    "SELECT recipient_id FROM followups WHERE id = ?1 "
	    "AND centre_id = ?2", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, id) != SQLITE_OK ||
	    db_bind_int64(s, 2, centre_id) != SQLITE_OK) {
		db_error(db, "cannot read the task", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the task", errbuf, errsz);
	if (rc == SQLITE_DONE) {
		errbuf_set(errbuf, errsz, "no task %lld", (long long)id);
		ret = FOLLOWUP_ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW)
		goto out;
	rid = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (recipient_load(db, key, rid, rec, errbuf, errsz) != 0)
		goto out;
	if (with_notes && open_note(db, key, id, &notes, &notes_len, errbuf,
	    errsz) != 0)
		goto out;
	/* Nothing is shown without its audit entry committed. */
	if (audit(db, actor, with_notes ? "followup.show" : "followup.phone",
	    "followups", id, rec->pii.phone[0] != '\0' ? (with_notes ?
	    "phone number and notes shown" : "phone number shown") :
	    "no phone number on file", errbuf, errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	memcpy(out->phone, rec->pii.phone, sizeof(out->phone));
	memcpy(out->lang, rec->lang, sizeof(out->lang));
	out->notes = notes;
	out->notes_len = notes_len;
	notes = NULL;
	ret = FOLLOWUP_OK;
out:
	sqlite3_finalize(s);
	if (ret != FOLLOWUP_OK)
		db_rollback(db);
	if (notes != NULL)
		mem_wipe_free(notes, notes_len + 1);
	recipient_clear(rec);
	free(rec);
	return ret;
}

/* ==== the digest ======================================================= */

int
followup_digest_counts(struct store *st, int64_t centre_id, time_t now,
    struct followup_digest *d, char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	time_t today = followup_day_start(now, 0);
	int ret = -1, rc;

	memset(d, 0, sizeof(*d));
	if (db_prepare(db, "SELECT reason, due_at FROM followups "
	    "WHERE centre_id = ?1 AND status = 'open' AND due_at < ?2", &s,
	    errbuf, errsz) != 0)
		return -1;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, (int64_t)followup_day_start(now, 1)) !=
	    SQLITE_OK) {
		db_error(db, "cannot count the tasks", errbuf, errsz);
		goto out;
	}
	for (;;) {
		const char *reason;

		rc = db_step(s, "cannot count the tasks", errbuf, errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		reason = (const char *)sqlite3_column_text(s, 0);
		if (reason == NULL)
			reason = "";
		d->due++;
		if (is_urgent(reason))
			d->urgent++;
		if ((time_t)sqlite3_column_int64(s, 1) < today)
			d->overdue++;
		if (strcmp(reason, FOLLOWUP_AFTER_DELIVERY) == 0 ||
		    strcmp(reason, FOLLOWUP_AFTER_SHIPPING) == 0)
			d->after_delivery++;
		else if (strcmp(reason, FOLLOWUP_CHECKIN) == 0)
			d->checkin++;
		else if (strcmp(reason, FOLLOWUP_NALOXONE) == 0)
			d->naloxone++;
		else if (strcmp(reason, FOLLOWUP_FOR_OTHERS) == 0)
			d->others++;
		else if (strcmp(reason, FOLLOWUP_SILENCE) == 0)
			d->silence++;
		else if (strncmp(reason, "urgent_sms", 10) == 0)
			d->sms++;
	}
	sqlite3_finalize(s);
	s = NULL;
	if (db_prepare(db,
	    "SELECT count(*) FROM orders WHERE centre_id = ?1 "
	    "AND status = 'delivered' AND delivered_at >= ?2 AND "
	    "delivered_at < ?3", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, (int64_t)followup_day_start(now, -1)) !=
	    SQLITE_OK || db_bind_int64(s, 3, (int64_t)today) != SQLITE_OK) {
		db_error(db, "cannot count deliveries", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot count deliveries", errbuf, errsz) != SQLITE_ROW)
		goto out;
	d->delivered = sqlite3_column_int(s, 0);
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

void
followup_digest_text(const struct followup_digest *d,
    char out[FOLLOWUP_DIGEST_MAX])
{
	const struct { int n; const char *what; } kinds[] = {
		{ d->sms, "by SMS" },
		{ d->after_delivery, "after delivery" },
		{ d->naloxone, "naloxone expiry" },
		{ d->others, "for friends" },
		{ d->checkin, "check-in" },
		{ d->silence, "re-engagement" },
		{ d->urgent - d->sms, "flagged" },
	};
	char head[FOLLOWUP_DIGEST_MAX], tail[FOLLOWUP_DIGEST_MAX];
	char list[FOLLOWUP_DIGEST_MAX];
	size_t keep = ARRAY_LEN(kinds);

	if (str_printf(tail, sizeof(tail), "%d parcel%s delivered yesterday.",
	    d->delivered, d->delivered == 1 ? "" : "s") < 0)
		tail[0] = '\0';
	if (d->due == 0) {
		if (str_printf(out, FOLLOWUP_DIGEST_MAX, "hrpost: no calls due "
		    "today. %s", tail) < 0)
			out[0] = '\0';
		return;
	}
	if (str_printf(head, sizeof(head), "hrpost: %d call%s due (%d urgent, "
	    "%d overdue)", d->due, d->due == 1 ? "" : "s", d->urgent,
	    d->overdue) < 0)
		head[0] = '\0';
	/* Reasons that do not fit are left out, last ones first. */
	for (;;) {
		size_t used = 0;

		list[0] = '\0';
		for (size_t i = 0; i < keep; i++) {
			if (kinds[i].n <= 0)
				continue;
			if (str_printf(list + used, sizeof(list) - used, "%s%d %s",
			    used > 0 ? ", " : ": ", kinds[i].n,
			    kinds[i].what) < 0)
				break;
			used += strlen(list + used);
		}
		if (str_printf(out, FOLLOWUP_DIGEST_MAX, "%s%s. %s", head, list,
		    tail) >= 0)
			return;
		if (keep == 0)
			break;
		keep--;
	}
	if (str_printf(out, FOLLOWUP_DIGEST_MAX, "%s.", head) < 0)
		out[0] = '\0';
}

/*
 * The day's digest slot: [digest] time on @now's local day, or the first
 * opening time after it that same day; -1 when the day has none.
 */
static int
digest_slot(const struct followup_rules *r, time_t now, time_t *slot)
{
	struct local l = local_of(now), s;
	time_t at;

	if (!l.ok)
		return -1;
	at = local_instant(l.day, r->digest_time);
	if (next_open_from(r, l.day, at, slot) != 0)
		return -1;
	s = local_of(*slot);
	return s.ok && s.day == l.day ? 0 : -1;
}

int
followup_digest_send(const struct followup_round *rd, time_t now,
    bool *sent, char *errbuf, size_t errsz)
{
	const struct followup_rules *r = rd->rules;
	sqlite3 *db = store_db(rd->st);
	struct followup_digest d;
	char day[FOLLOWUP_DAY_LEN], text[FOLLOWUP_DIGEST_MAX];
	char object[AUDIT_OBJECT_MAX], detail[AUDIT_DETAIL_MAX];
	char err[SENDSMS_ERR_MAX];
	sqlite3_stmt *s = NULL;
	enum sendsms_status st;
	time_t slot;
	int rc, ret = -1;

	*sent = false;
	if (rd->sms == NULL || r->digest_phone[0] == '\0')
		return 0;
	if (digest_slot(r, now, &slot) != 0 || now < slot ||
	    !followup_is_open(r, now))
		return 0;
	followup_local_day(now, day);
	if (str_printf(object, sizeof(object), "digests/%s", day) < 0) {
		errbuf_set(errbuf, errsz, "digest: bad day");
		return -1;
	}
	/* Claim the day first: two rounds never both send. */
	if (db_begin(db, errbuf, errsz) != 0)
		return -1;
	if (db_prepare(db, "INSERT OR IGNORE INTO digests (centre_id, day, "
	    "state, at) VALUES (?1, ?2, 'sending', ?3)", &s, errbuf,
	    errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, rd->centre_id) != SQLITE_OK ||
	    db_bind_text(s, 2, day) != SQLITE_OK ||
	    db_bind_int64(s, 3, (int64_t)now) != SQLITE_OK) {
		db_error(db, "cannot claim the digest", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot claim the digest", errbuf, errsz) !=
	    SQLITE_DONE)
		goto out;
	rc = sqlite3_changes(db);
	sqlite3_finalize(s);
	s = NULL;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	if (rc == 0)
		return 0;	/* sent (or being sent) today already */
	if (followup_digest_counts(rd->st, rd->centre_id, now, &d, errbuf,
	    errsz) != 0)
		goto release;
	followup_digest_text(&d, text);
	st = sendsms_send(rd->sms, r->digest_phone, text, NULL, err,
	    sizeof(err));
	if (st != SENDSMS_OK) {
		errbuf_set(errbuf, errsz, "digest not sent (tried again next "
		    "round): %s", err);
		goto release;
	}
	if (db_begin(db, errbuf, errsz) != 0)
		goto out;
	if (db_prepare(db,
	    "UPDATE digests SET state = 'sent', at = ?3 "
	    "WHERE centre_id = ?1 AND day = ?2", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, rd->centre_id) != SQLITE_OK ||
	    db_bind_text(s, 2, day) != SQLITE_OK ||
	    db_bind_int64(s, 3, (int64_t)now) != SQLITE_OK) {
		db_error(db, "cannot record the digest", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot record the digest", errbuf, errsz) !=
	    SQLITE_DONE)
		goto out;
	if (str_printf(detail, sizeof(detail), "%d due, %d urgent, %d "
	    "overdue, %d delivered yesterday", d.due, d.urgent, d.overdue,
	    d.delivered) < 0 ||
	    audit_append(db, rd->actor != NULL ? rd->actor :
	    SCHEDULER_DEFAULT_ACTOR, "digest.send", object, detail, NULL,
	    errbuf, errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	*sent = true;
	ret = 0;
	goto out;
release:
	/* Not sent: let the next round try again. */
	if (db_prepare(db,
	    "DELETE FROM digests WHERE centre_id = ?1 AND "
	    "day = ?2 AND state = 'sending'", &s, err, sizeof(err)) == 0 &&
	    db_bind_int64(s, 1, rd->centre_id) == SQLITE_OK &&
	    db_bind_text(s, 2, day) == SQLITE_OK)
		(void)db_step(s, "cannot release the digest", err, sizeof(err));
out:
	sqlite3_finalize(s);
	db_rollback(db);
	return ret;
}
