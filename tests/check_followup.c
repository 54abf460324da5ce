/*
 * Check suite for orders/followup.c.  Rules: the written default file
 * reads back, a missing file is the defaults, every refusal names
 * file:line, section and key and never repeats the value, a refused file
 * changes nothing.  Opening hours in Europe/Paris: inside, before, lunch,
 * after closing, weekends, midnight, 24:00, holidays fixed and dated, the
 * spring and autumn daylight-saving Sundays (a wall time that does not
 * exist, one that exists twice), days counted back, a week that never
 * opens.  The scheduler on a real centre.db (orders, packing, shipping,
 * delivery through the real modules, time moved with $HRPOST_NOW): the
 * call after delivery (Friday evening to Monday morning), untracked
 * parcels, orders for several people, naloxone lots nearing expiry,
 * check-ins, silence, flagged orders, the inbox's urgent tasks put into
 * hours, STOP and do not call, each twice (the second round makes
 * nothing); what staff record (every outcome, retries, the SMS invitation
 * pending, sent through a stand-in for Kannel's sendsms, skipped, failed,
 * notes appended and sealed), staff urgent calls, opening a number
 * (audited), the listing (oldest first, today and overdue, through the
 * index), the digest (counts only, GSM, once a day), and that no audit
 * detail holds personal data.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "base/util.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "orders/followup.h"
#include "orders/order.h"
#include "orders/recipient.h"
#include "orders/sendsms.h"
#include "orders/sms.h"
#include "orders/store.h"
#include "shipping/catalogue.h"
#include "shipping/packing.h"
#include "shipping/stock.h"
#include "shipping/tracking.h"
#include "tests/testutil.h"

#define CENTRE "demo"
#define ACTOR "coord1"
#define PHONE "+33612345678"
#define PHONE2 "+33698765432"
#define PSEUDO "Zoulikha"
#define NALOX_LOT "NALOX-T2604"
#define NALOX_EXPIRY "2026-04-30"
#define SMS_SECRET "rappelez-moi apres 18h svp"
#define BODY_MAX 4096

static char dir[4096];
static char errbuf[512];
static struct centre_key *key;
static struct store *st;
static struct catalogue *cat;
static struct followup_rules rules;
static int64_t centre;

/* ==== time ============================================================= */

static time_t
T(const char *iso)
{
	time_t t;

	ck_assert_msg(clock_parse(iso, &t) == 0, "bad time %s", iso);
	return t;
}

static void
set_now(const char *iso)
{
	ck_assert_int_eq(setenv("HRPOST_NOW", iso, 1), 0);
}

static void
paris(void)
{
	followup_rules_defaults(&rules);
	ck_assert_msg(followup_tz_apply(&rules, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
}

static void
time_setup(void)
{
	paris();
}

#define ck_time(got, iso) do {						\
	char g_[CLOCK_ISO_LEN];						\
	clock_format((got), g_);					\
	ck_assert_msg((got) == T(iso), "got %s, want %s", g_, (iso));	\
} while (0)

static time_t
next_open(time_t t)
{
	time_t o = 0;

	ck_assert_int_eq(followup_next_open(&rules, t, &o), 0);
	return o;
}

/* ==== rules ============================================================ */

START_TEST(written_file_reads_back)
{
	struct followup_rules r;
	char path[4200];
	const char *d = testutil_mkdtemp();
	bool found = false;

	ck_assert_ptr_nonnull(d);
	set_now("2026-03-02T10:00:00Z");
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/followup.ini", d),
	    0);
	ck_assert_msg(followup_rules_write(path, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
	ck_assert_msg(followup_rules_load(&r, path, &found, errbuf,
	    sizeof(errbuf)) == 0, "%s", errbuf);
	ck_assert(found);
	ck_assert_str_eq(r.timezone, "Europe/Paris");
	ck_assert_uint_eq(r.nhours[1], 2);
	ck_assert_int_eq(r.hours[1][0].start, 9 * 60);
	ck_assert_int_eq(r.hours[5][1].end, 17 * 60);
	ck_assert_uint_eq(r.nhours[0], 0);
	ck_assert_uint_eq(r.nhours[6], 0);
	/* 8 fixed holidays, 3 moving ones for 2026, 2027, 2028. */
	ck_assert_uint_eq(r.nholidays, 17);
	ck_assert_int_eq(r.delivery_days, 3);
	ck_assert_int_eq(r.retry_calls, 3);
	ck_assert_str_eq(r.digest_phone, "");
	ck_assert_int_eq(r.digest_time, 9 * 60);
	ck_assert_uint_eq(r.ninvites, 5);
	/* Never replaced. */
	ck_assert_int_eq(followup_rules_write(path, errbuf, sizeof(errbuf)),
	    -1);
	ck_assert_msg(strstr(errbuf, "already exists") != NULL, "%s", errbuf);
	unsetenv("HRPOST_NOW");
	testutil_rmtree(d);
}
END_TEST

START_TEST(missing_file_is_defaults)
{
	struct followup_rules r, d;
	bool found = true;

	followup_rules_defaults(&d);
	ck_assert_int_eq(followup_rules_load(&r, "/nonexistent/followup.ini",
	    &found, errbuf, sizeof(errbuf)), 0);
	ck_assert(!found);
	ck_assert(memcmp(&r, &d, sizeof(r)) == 0);
	/* Every default invitation fits one SMS. */
	for (size_t i = 0; i < d.ninvites; i++) {
		bool fits = false;

		ck_assert_int_ge(sms_coding(d.invites[i].text, NULL, &fits), 0);
		ck_assert_msg(fits, "%s", d.invites[i].lang);
	}
}
END_TEST

static const struct {
	const char *text;
	const char *want;
} bad_rules[] = {
	{ "[nope]\nx = 1\n", "r.ini:1: [nope]: unknown section" },
	{ "[hours]\nfoo = 1\n", "r.ini:2: [hours] foo: unknown key" },
	{ "[hours]\nmon = closed\nmon = closed\n",
	  "r.ini:3: [hours] mon: repeated key" },
	{ "[delivery]\nafter_days =\n", "r.ini:2: [delivery] after_days: "
	  "empty value" },
	{ "[hours]\nmon = 9:00-12:00\n", "r.ini:2: [hours] mon: \"closed\" or" },
	{ "[hours]\nmon = 12:00-09:00\n", "[hours] mon: an interval must end" },
	{ "[hours]\nmon = 09:00-12:00 11:00-13:00\n",
	  "[hours] mon: intervals must be in order" },
	{ "[hours]\nmon = 01:00-02:00 03:00-04:00 05:00-06:00 07:00-08:00 "
	  "09:00-10:00\n", "[hours] mon: at most 4 intervals" },
	{ "[hours]\nmon = 24:00-24:00\n", "[hours] mon: \"closed\" or" },
	{ "[hours]\nmon = 09:60-10:00\n", "[hours] mon: \"closed\" or" },
	{ "[hours]\nmon = 09:00-10:00,\n", "[hours] mon: \"closed\" or" },
	{ "[hours]\ntimezone = ../../etc/passwd\n", "r.ini:2: [hours] "
	  "timezone: a time zone name" },
	{ "[delivery]\nafter_days = -1\n", "[delivery] after_days: must be a "
	  "whole number from 0 to 3650" },
	{ "[delivery]\nuntracked_days = 3651\n", "[delivery] untracked_days: "
	  "must be a whole number" },
	{ "[checkin]\nevery_days = 3x\n", "[checkin] every_days: must be" },
	{ "[retry]\ncalls = 11\n", "[retry] calls: must be a whole number "
	  "from 1 to 10" },
	{ "[retry]\nhours = 0\n", "[retry] hours: must be a whole number from "
	  "1 to 168" },
	{ "[retry]\ninvite = maybe\n", "[retry] invite: yes or no" },
	{ "[urgent]\nflagged = YES\n", "[urgent] flagged: yes or no" },
	{ "[naloxone]\nitems = NAL!OX\n", "[naloxone] items: item codes" },
	{ "[naloxone]\nitems = ABCDEFGHIJKLMNOP\n", "[naloxone] items: a code "
	  "has at most" },
	{ "[naloxone]\nitems = , ,\n", "[naloxone] items: at least one" },
	{ "[naloxone]\nitems = A B C D E F G H I\n", "[naloxone] items: at "
	  "most 8" },
	{ "[holidays]\n13-01 = x\n", "r.ini:2: [holidays] 13-01: the key must "
	  "be a date" },
	{ "[holidays]\n02-30 = x\n", "[holidays] 02-30: the key must be" },
	{ "[holidays]\n2027-02-29 = x\n", "[holidays] 2027-02-29: the key" },
	{ "[holidays]\n1969-01-01 = x\n", "[holidays] 1969-01-01: the key" },
	{ "[holidays]\n12-25 = a\n12-25 = b\n", "r.ini:3: [holidays] 12-25: "
	  "repeated key" },
	{ "[holidays]\n12-25 = 12345678901234567890123456789012345678901234"
	  "567890123456789012345\n", "[holidays] 12-25: a name of 1 to 64" },
	{ "[invite]\nFR = x\n", "[invite] FR: the key must be a language" },
	{ "[invite]\nf\xc3\xa9 = x\n", "[invite] ?: the key must be a "
	  "language" },
	{ "[invite]\nfrench = x\n", "[invite] french: the key must be" },
	{ "[invite]\nen = a\nen = b\n", "r.ini:3: [invite] en: repeated key" },
	{ "[invite]\nfr = SECRETWORD 1234567890 1234567890 1234567890 "
	  "1234567890 1234567890 1234567890 1234567890 1234567890 1234567890 "
	  "1234567890 1234567890 1234567890 1234567890 1234567890 "
	  "1234567890\n", "[invite] fr: must fit one SMS" },
	{ "[invite]\nru = Здравствуйте, мы не дозвонились. Ответьте "
	  "ПОЗВОНИТЕ, и мы перезвоним вам.\n", "[invite] ru: must fit one "
	  "SMS" },
	{ "[digest]\nphone = 0000000\n", "r.ini:2: [digest] phone: a phone "
	  "number" },
	{ "[digest]\ntime = 24:00\n", "[digest] time: HH:MM" },
	{ "[digest]\ntime = 9:00\n", "[digest] time: HH:MM" },
	{ "[scheduler]\ninterval = 59\n", "[scheduler] interval: must be a "
	  "whole number from 60 to 3600" },
	{ "[scheduler]\ncatch_up_days = 0\n", "[scheduler] catch_up_days" },
	{ "[hours]\nmon = closed\ntue = closed\nwed = closed\nthu = closed\n"
	  "fri = closed\n", "r.ini: [hours]: no opening hours in the week" },
	{ "key = 1\n", "r.ini:1: key outside any [section]" },
	{ "[delivery]\nafter_days = 3\x01\n", "[delivery] after_days: "
	  "control character" },
	{ "[delivery]\nafter_days = \xff\n", "[delivery] after_days: not "
	  "valid UTF-8" },
	{ "[hours]\n  mon = closed\n", "r.ini:2: indented line" },
	{ "[hours]\nmon\n", "r.ini:2: expected 'key = value'" },
};

START_TEST(rules_errors)
{
	struct followup_rules r, before;

	followup_rules_defaults(&r);
	before = r;
	ck_assert_int_eq(followup_rules_parse(&r, "r.ini", bad_rules[_i].text,
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, bad_rules[_i].want) != NULL,
	    "rule %d: got \"%s\", want \"%s\"", _i, errbuf,
	    bad_rules[_i].want);
	/* Values are never repeated. */
	ck_assert_ptr_null(strstr(errbuf, "SECRETWORD"));
	ck_assert_ptr_null(strstr(errbuf, "0000000"));
	ck_assert_ptr_null(strstr(errbuf, "passwd"));
	ck_assert_ptr_null(strstr(errbuf, "maybe"));
	/* A refused file changes nothing. */
	ck_assert(memcmp(&r, &before, sizeof(r)) == 0);
}
END_TEST

START_TEST(rules_values)
{
	struct followup_rules r;
	const char *text =
	    "; a comment\n"
	    "[hours]\n"
	    "timezone = America/Guadeloupe\n"
	    "mon = 08:00-12:00\n"
	    "wed = closed\n"
	    "fri = 20:00-24:00\n"
	    "sat = 10:00-11:00 13:00-14:00 15:00-16:00 17:00-18:00\n"
	    "[holidays]\n"
	    "05-27 = Abolition\n"
	    "2026-07-21 = Victor Schoelcher\n"
	    "[delivery]\n"
	    "after_days = 0\n"
	    "untracked_days = 10\n"
	    "[naloxone]\n"
	    "items = nalox, NALOX2\n"
	    "days_before = 45\n"
	    "[urgent]\n"
	    "flagged = no\n"
	    "[retry]\n"
	    "invite = no\n"
	    "calls = 1\n"
	    "[invite]\n"
	    "fr = Appelez-nous.\n"
	    "ka = Call us.\n"
	    "[digest]\n"
	    "phone = 06 11 22 33 44\n"
	    "time = 13:45\n"
	    "[scheduler]\n"
	    "interval = 60\n";

	followup_rules_defaults(&r);
	ck_assert_msg(followup_rules_parse(&r, "r.ini", text, errbuf,
	    sizeof(errbuf)) == 0, "%s", errbuf);
	ck_assert_str_eq(r.timezone, "America/Guadeloupe");
	ck_assert_uint_eq(r.nhours[1], 1);
	ck_assert_int_eq(r.hours[1][0].start, 8 * 60);
	ck_assert_uint_eq(r.nhours[2], 2);	/* tue: default kept */
	ck_assert_uint_eq(r.nhours[3], 0);
	ck_assert_int_eq(r.hours[5][0].end, 24 * 60);
	ck_assert_uint_eq(r.nhours[6], 4);
	ck_assert_uint_eq(r.nholidays, 2);
	ck_assert_int_eq(r.holidays[0].year, 0);
	ck_assert_int_eq(r.holidays[1].year, 2026);
	ck_assert_int_eq(r.delivery_days, 0);
	ck_assert_int_eq(r.untracked_days, 10);
	ck_assert_uint_eq(r.nnaloxone_items, 2);
	ck_assert_str_eq(r.naloxone_items[0], "NALOX");
	ck_assert_str_eq(r.naloxone_items[1], "NALOX2");
	ck_assert_int_eq(r.naloxone_days, 45);
	ck_assert(!r.flagged);
	ck_assert(!r.invite);
	ck_assert_int_eq(r.retry_calls, 1);
	ck_assert_uint_eq(r.ninvites, 6);
	ck_assert_str_eq(r.invites[0].text, "Appelez-nous.");
	ck_assert_str_eq(r.invites[5].lang, "ka");
	ck_assert_str_eq(r.digest_phone, "+33611223344");
	ck_assert_int_eq(r.digest_time, 13 * 60 + 45);
	ck_assert_int_eq(r.interval, 60);
	/* An empty phone unsets it. */
	ck_assert_int_eq(followup_rules_parse(&r, "r.ini", "[digest]\nphone =\n",
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(r.digest_phone, "");
}
END_TEST

START_TEST(rules_need_french_invitation)
{
	struct followup_rules r;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(followup_rules_parse(&r, "r.ini",
	    "[hours]\nmon = 09:00-10:00\n[invite]\nen = Call us.\n", errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "[invite] fr: required") != NULL, "%s",
	    errbuf);
	ck_assert_int_eq(followup_rules_parse(NULL, "r.ini", "", errbuf,
	    sizeof(errbuf)), -1);
}
END_TEST

START_TEST(rules_file_errors)
{
	struct followup_rules r;
	const char *d = testutil_mkdtemp();
	char path[4200];
	FILE *f;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/followup.ini", d),
	    0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[hours]\nmon = closed\n[retry]\ncalls = 0\n", f);
	fclose(f);
	ck_assert_int_eq(followup_rules_load(&r, path, NULL, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "followup.ini:4: [retry] calls") != NULL,
	    "%s", errbuf);
	/* A directory in its place. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(followup_rules_load(&r, path, NULL, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "not a regular file") != NULL, "%s",
	    errbuf);
	testutil_rmtree(d);
}
END_TEST

START_TEST(time_zone_checked)
{
	struct followup_rules r;

	followup_rules_defaults(&r);
	memcpy(r.timezone, "Mars/Olympus", sizeof("Mars/Olympus"));
	ck_assert_int_eq(followup_tz_apply(&r, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "[hours] timezone: no such time zone") !=
	    NULL, "%s", errbuf);
	memcpy(r.timezone, "../x", sizeof("../x"));
	ck_assert_int_eq(followup_tz_apply(&r, errbuf, sizeof(errbuf)), -1);
	memcpy(r.timezone, "UTC", sizeof("UTC"));
	ck_assert_int_eq(followup_tz_apply(&r, errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(getenv("TZ"), "UTC");
	/* Europe/Paris without tzdata: its POSIX rule. */
	ck_assert_int_eq(setenv("TZDIR", "/nonexistent", 1), 0);
	paris();
	ck_assert_str_eq(getenv("TZ"), "CET-1CEST,M3.5.0,M10.5.0/3");
	ck_time(next_open(T("2026-03-27T17:00:00Z")), "2026-03-30T07:00:00Z");
	unsetenv("TZDIR");
	paris();
	ck_assert_str_eq(getenv("TZ"), "Europe/Paris");
}
END_TEST

/* ==== opening hours ==================================================== */

START_TEST(next_open_basics)
{
	/* Monday 9 March 2026 (CET, UTC+1). */
	ck_time(next_open(T("2026-03-09T09:15:00Z")), "2026-03-09T09:15:00Z");
	ck_time(next_open(T("2026-03-09T06:00:00Z")), "2026-03-09T08:00:00Z");
	ck_time(next_open(T("2026-03-09T08:00:00Z")), "2026-03-09T08:00:00Z");
	/* 12:30 local closes: lunch until 14:00. */
	ck_time(next_open(T("2026-03-09T11:30:00Z")), "2026-03-09T13:00:00Z");
	ck_time(next_open(T("2026-03-09T11:29:59Z")), "2026-03-09T11:29:59Z");
	/* After 17:00: the next morning. */
	ck_time(next_open(T("2026-03-09T16:00:00Z")), "2026-03-10T08:00:00Z");
	/* Friday evening, Saturday, Sunday: Monday morning. */
	ck_time(next_open(T("2026-03-13T19:00:00Z")), "2026-03-16T08:00:00Z");
	ck_time(next_open(T("2026-03-14T10:00:00Z")), "2026-03-16T08:00:00Z");
	/* Local midnight starting Monday. */
	ck_time(next_open(T("2026-03-15T23:00:00Z")), "2026-03-16T08:00:00Z");
	ck_assert(followup_is_open(&rules, T("2026-03-09T10:00:00Z")));
	ck_assert(!followup_is_open(&rules, T("2026-03-09T12:00:00Z")));
	ck_assert(!followup_is_open(&rules, T("2026-03-14T10:00:00Z")));
}
END_TEST

START_TEST(spring_forward)
{
	time_t o;

	/* Friday 27 March 18:00 CET: Monday 30 March 09:00 CEST (07:00Z). */
	ck_time(next_open(T("2026-03-27T17:00:00Z")), "2026-03-30T07:00:00Z");
	/* Three days after Friday evening: Monday's opening. */
	ck_assert_int_eq(followup_day_open(&rules, T("2026-03-27T19:00:00Z"), 3,
	    &o), 0);
	ck_time(o, "2026-03-30T07:00:00Z");
	/* Sunday 29 March lasts 23 hours. */
	ck_time(followup_day_start(T("2026-03-29T12:00:00Z"), 0),
	    "2026-03-28T23:00:00Z");
	ck_time(followup_day_start(T("2026-03-29T12:00:00Z"), 1),
	    "2026-03-29T22:00:00Z");
	/* Opening hours across the change, on that Sunday. */
	ck_assert_int_eq(followup_rules_parse(&rules, "r.ini",
	    "[hours]\nsun = 01:00-02:00 02:30-04:00\n", errbuf,
	    sizeof(errbuf)), 0);
	ck_time(next_open(T("2026-03-28T22:30:00Z")), "2026-03-29T00:00:00Z");
	ck_time(next_open(T("2026-03-29T00:59:00Z")), "2026-03-29T00:59:00Z");
	/* 02:00 does not exist that night: the first interval ends at the
	 * change (01:00Z); 02:30 is taken an hour later, 03:30 CEST. */
	ck_assert(!followup_is_open(&rules, T("2026-03-29T01:00:00Z")));
	ck_time(next_open(T("2026-03-29T01:00:00Z")), "2026-03-29T01:30:00Z");
	ck_assert(followup_is_open(&rules, T("2026-03-29T01:45:00Z")));
	ck_assert(!followup_is_open(&rules, T("2026-03-29T02:00:00Z")));
}
END_TEST

START_TEST(fall_back)
{
	time_t o;

	/* Friday 23 October 18:00 CEST: Monday 26 October 09:00 CET. */
	ck_time(next_open(T("2026-10-23T16:00:00Z")), "2026-10-26T08:00:00Z");
	ck_assert_int_eq(followup_day_open(&rules, T("2026-10-23T18:00:00Z"), 3,
	    &o), 0);
	ck_time(o, "2026-10-26T08:00:00Z");
	/* Sunday 25 October lasts 25 hours. */
	ck_time(followup_day_start(T("2026-10-25T12:00:00Z"), 0),
	    "2026-10-24T22:00:00Z");
	ck_time(followup_day_start(T("2026-10-25T12:00:00Z"), 1),
	    "2026-10-25T23:00:00Z");
	ck_assert_int_eq(followup_rules_parse(&rules, "r.ini",
	    "[hours]\nsun = 02:30-04:00\n", errbuf, sizeof(errbuf)), 0);
	/* 02:30 happens twice: the first (CEST, 00:30Z). */
	ck_time(next_open(T("2026-10-24T22:00:00Z")), "2026-10-25T00:30:00Z");
	/* Open until 04:00 CET, 03:00Z. */
	ck_assert(followup_is_open(&rules, T("2026-10-25T02:59:00Z")));
	ck_assert(!followup_is_open(&rules, T("2026-10-25T03:00:00Z")));
}
END_TEST

START_TEST(holidays_skipped)
{
	ck_assert_int_eq(followup_rules_parse(&rules, "r.ini",
	    "[holidays]\n05-01 = Travail\n2026-04-06 = Paques\n", errbuf,
	    sizeof(errbuf)), 0);
	/* Friday before Easter: Tuesday after Easter Monday (CEST). */
	ck_time(next_open(T("2026-04-03T16:00:00Z")), "2026-04-07T07:00:00Z");
	/* 1 May is a Friday in 2026: Thursday evening to Monday 4 May. */
	ck_time(next_open(T("2026-04-30T18:00:00Z")), "2026-05-04T07:00:00Z");
	/* Every year: 1 May 2028 is a Monday. */
	ck_time(next_open(T("2028-04-28T16:00:00Z")), "2028-05-02T07:00:00Z");
	/* Dated: not 6 April 2027 (a Tuesday). */
	ck_time(next_open(T("2027-04-06T07:00:00Z")), "2027-04-06T07:00:00Z");
}
END_TEST

START_TEST(late_hours_and_midnight)
{
	ck_assert_int_eq(followup_rules_parse(&rules, "r.ini",
	    "[hours]\nfri = 20:00-24:00\nmon = closed\n", errbuf,
	    sizeof(errbuf)), 0);
	/* Friday 13 March 23:59 local is open; midnight is not. */
	ck_assert(followup_is_open(&rules, T("2026-03-13T22:59:00Z")));
	ck_assert(!followup_is_open(&rules, T("2026-03-13T23:00:00Z")));
	/* From Saturday: Tuesday morning (Monday closed). */
	ck_time(next_open(T("2026-03-13T23:00:00Z")), "2026-03-17T08:00:00Z");
	ck_time(next_open(T("2026-03-13T18:00:00Z")), "2026-03-13T19:00:00Z");
}
END_TEST

START_TEST(days_back_and_local_day)
{
	char day[FOLLOWUP_DAY_LEN];
	time_t o;

	/* Two days before Wednesday 11 March: Monday's opening. */
	ck_assert_int_eq(followup_day_open(&rules, T("2026-03-11T10:00:00Z"),
	    -2, &o), 0);
	ck_time(o, "2026-03-09T08:00:00Z");
	/* 00:30 local on 29 March is still 28 March in UTC. */
	followup_local_day(T("2026-03-28T23:30:00Z"), day);
	ck_assert_str_eq(day, "2026-03-29");
	followup_local_day(T("2026-03-28T22:30:00Z"), day);
	ck_assert_str_eq(day, "2026-03-28");
	/* Zero days: from the time itself. */
	ck_assert_int_eq(followup_day_open(&rules, T("2026-03-09T10:00:00Z"), 0,
	    &o), 0);
	ck_time(o, "2026-03-09T10:00:00Z");
}
END_TEST

START_TEST(never_open)
{
	char text[8192];
	size_t used = 0;
	time_t o;

	ck_assert_int_ge(str_printf(text, sizeof(text), "[hours]\nmon = "
	    "09:00-10:00\ntue = closed\nwed = closed\nthu = closed\n"
	    "fri = closed\n[holidays]\n"), 0);
	used = strlen(text);
	/* 120 Mondays from 9 March 2026 cover the 800 days looked at. */
	for (int i = 0; i < 120; i++) {
		char day[FOLLOWUP_DAY_LEN];

		followup_local_day(T("2026-03-09T12:00:00Z") + (time_t)i * 7 *
		    86400, day);
		ck_assert_int_ge(str_printf(text + used, sizeof(text) - used,
		    "%s = closed\n", day), 0);
		used += strlen(text + used);
	}
	ck_assert_msg(followup_rules_parse(&rules, "r.ini", text, errbuf,
	    sizeof(errbuf)) == 0, "%s", errbuf);
	ck_assert_int_eq(followup_next_open(&rules, T("2026-03-08T12:00:00Z"),
	    &o), -1);
	ck_assert(!followup_is_open(&rules, T("2026-03-09T08:30:00Z")));
}
END_TEST

/* ==== the store ======================================================== */

/* A stand-in for Kannel's sendsms: records what came, answers 202. */
static struct {
	struct MHD_Daemon *d;
	char url[128];
	pthread_mutex_t lock;
	int status;
	int requests;
	char to[64], coding[8];
	char body[BODY_MAX];
} kan;

struct upload {
	char buf[BODY_MAX];
	size_t len;
};

static enum MHD_Result
kan_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct upload *up = *con_cls;
	struct MHD_Response *resp;
	const char *v;
	enum MHD_Result ret;
	const char *text;
	int status;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		*con_cls = up;
		return up != NULL ? MHD_YES : MHD_NO;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;

		if (n > sizeof(up->buf) - 1 - up->len)
			n = sizeof(up->buf) - 1 - up->len;
		memcpy(up->buf + up->len, upload, n);
		up->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&kan.lock);
	kan.requests++;
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Kannel-To");
	(void)!str_copy(kan.to, sizeof(kan.to), v != NULL ? v : "");
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "X-Kannel-Coding");
	(void)!str_copy(kan.coding, sizeof(kan.coding), v != NULL ? v : "");
	memcpy(kan.body, up->buf, up->len);
	kan.body[up->len] = '\0';
	status = kan.status;
	pthread_mutex_unlock(&kan.lock);
	text = status == 202 ? "0: Accepted for delivery" : "Nope";
	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
kan_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static void
kan_start(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(&kan, 0, sizeof(kan));
	pthread_mutex_init(&kan.lock, NULL);
	kan.status = 202;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	kan.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, kan_handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, kan_done, NULL, MHD_OPTION_END);
	ck_assert_ptr_nonnull(kan.d);
	info = MHD_get_daemon_info(kan.d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	ck_assert_int_ge(str_printf(kan.url, sizeof(kan.url),
	    "http://127.0.0.1:%u/cgi-bin/sendsms", info->port), 0);
}

static int
kan_requests(void)
{
	int n;

	pthread_mutex_lock(&kan.lock);
	n = kan.requests;
	pthread_mutex_unlock(&kan.lock);
	return n;
}

static void
store_setup(void)
{
	char path[4200], tdir[4096], lot[32];
	const char *d, *top = getenv("HRPOST_SRCDIR");
	time_t expiry = T(NALOX_EXPIRY);

	paris();
	set_now("2026-03-02T09:00:00Z");
	d = testutil_mkdtemp();
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	key = key_generate();
	ck_assert_ptr_nonnull(key);
	st = store_open(path, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "store_open: %s", errbuf);
	ck_assert_int_eq(store_centre_add(st, CENTRE, "Demo", "admin",
	    &centre), STORE_OK);
	ck_assert_int_ge(str_printf(tdir, sizeof(tdir), "%s/templates",
	    top != NULL ? top : "."), 0);
	cat = catalogue_load(tdir, errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "catalogue: %s", errbuf);
	ck_assert_int_eq(store_catalogue_sync(st, cat, "admin"), STORE_OK);
	for (size_t i = 0; i < catalogue_nitems(cat); i++) {
		const struct catalogue_item *it = catalogue_item_at(cat, i);

		ck_assert_int_ge(str_printf(lot, sizeof(lot), "%s-T2604",
		    it->code), 0);
		ck_assert_msg(stock_add_demo(st, cat, it->code, lot,
		    it->expiry ? expiry : 0, 100000, "admin", errbuf,
		    sizeof(errbuf)) == STOCK_OK, "%s", errbuf);
	}
	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	kan_start();
}

static void
store_teardown(void)
{
	MHD_stop_daemon(kan.d);
	kan.d = NULL;
	pthread_mutex_destroy(&kan.lock);
	curl_global_cleanup();
	store_close(st);
	st = NULL;
	key_free(key);
	key = NULL;
	catalogue_free(cat);
	cat = NULL;
	testutil_rmtree(dir);
	unsetenv("HRPOST_NOW");
}

static int64_t
raw_int(const char *sql, int64_t arg)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_msg(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) ==
	    SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(store_db(st)));
	if (sqlite3_bind_parameter_count(s) > 0)
		ck_assert_int_eq(sqlite3_bind_int64(s, 1, arg), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
raw_text(const char *sql, int64_t arg, char *out, size_t outsz)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL),
	    SQLITE_OK);
	if (sqlite3_bind_parameter_count(s) > 0)
		ck_assert_int_eq(sqlite3_bind_int64(s, 1, arg), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	t = sqlite3_column_text(s, 0);
	ck_assert_int_eq(str_copy(out, outsz, t != NULL ? (const char *)t : ""),
	    0);
	sqlite3_finalize(s);
}

static void
raw_exec(const char *sql)
{
	char *err = NULL;

	ck_assert_msg(sqlite3_exec(store_db(st), sql, NULL, NULL, &err) ==
	    SQLITE_OK, "%s: %s", sql, err != NULL ? err : "");
}

static int64_t
tasks(const char *reason)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st),
	    "SELECT count(*) FROM followups WHERE reason = ?", -1, &s, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_text(s, 1, reason, -1, SQLITE_STATIC),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int64_t
audits(const char *action)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st),
	    "SELECT count(*) FROM audit WHERE action = ?", -1, &s, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_text(s, 1, action, -1, SQLITE_STATIC),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Options of one test order. */
struct opt {
	const char *phone;	/* NULL: none */
	bool call, sms;
	const char *pack;	/* "INJ" */
	const char *qty;
	const char *for_people;
	const char *lang;
	int flag_qty;
};

/* A phone order received at HRPOST_NOW; its recipient id. */
static int64_t
order(const struct opt *op, char ref[STORE_REF_MAX])
{
	struct order_input in;
	struct order o;
	struct field_error errs[4];
	struct store_order_row row;
	char tok[STORE_TOKEN_MAX];

	memset(&in, 0, sizeof(in));
	in.pseudonym = PSEUDO;
	in.lines[0] = "3 impasse du Four";
	in.nlines = 1;
	in.postcode = "12100";
	in.commune = "Millau";
	in.phone = op->phone;
	in.consent_call = op->call;
	in.consent_sms = op->sms;
	in.lang = op->lang;
	in.packs[0].code = op->pack != NULL ? op->pack : "INJ";
	in.packs[0].qty = op->qty;
	in.npacks = 1;
	in.for_people = op->for_people;
	in.channel = ORDER_CHANNEL_PHONE;
	ck_assert_uint_eq(order_from_input(&in, cat, "fr", &o, errs, 4), 0);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_ACCEPTED,
	    NULL, op->flag_qty, 0, "test", ref, tok), STORE_OK);
	order_clear(&o);
	ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
	return row.recipient_id;
}

static void
pack_ship(const char *ref, const char *carrier_id)
{
	struct packing_parcel *p = calloc(1, sizeof(*p));
	struct field_error fe;

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(packing_pack(st, cat, ref, "test", p, NULL, errbuf,
	    sizeof(errbuf)) == PACKING_OK, "%s", errbuf);
	ck_assert_msg(packing_ship(st, ref, carrier_id, "test", &fe, errbuf,
	    sizeof(errbuf)) == PACKING_OK, "%s", errbuf);
	free(p);
}

static void
deliver(const char *ref, const char *at)
{
	struct tracking_move mv = { TRACKING_DELIVERED, T(at), NULL, "test" };

	set_now(at);
	ck_assert_msg(tracking_move(st, ref, &mv, errbuf, sizeof(errbuf)) ==
	    STORE_OK, "%s", errbuf);
}

/* One round at @iso; with @sms, the SMS side through the stand-in. */
static struct followup_stats
run_at(const char *iso, bool sms, bool tracked)
{
	struct followup_round rd;
	struct followup_stats stats;
	struct sendsms_config sc;

	set_now(iso);
	memset(&sc, 0, sizeof(sc));
	sc.url = kan.url;
	sc.user = "hrpost";
	sc.password = "test-password";
	sc.timeout_ms = 5000;
	memset(&rd, 0, sizeof(rd));
	rd.st = st;
	rd.rules = &rules;
	rd.centre_id = centre;
	rd.tracked = tracked;
	rd.key = sms ? key : NULL;
	rd.sms = sms ? &sc : NULL;
	rd.actor = "scheduler";
	ck_assert_msg(followup_run(&rd, T(iso), &stats, errbuf,
	    sizeof(errbuf)) == 0, "followup_run: %s", errbuf);
	return stats;
}

static int
run_fails(const char *iso)
{
	struct followup_round rd;
	struct followup_stats stats;
	struct sendsms_config sc;

	set_now(iso);
	memset(&sc, 0, sizeof(sc));
	sc.url = kan.url;
	sc.user = "hrpost";
	sc.password = "test-password";
	memset(&rd, 0, sizeof(rd));
	rd.st = st;
	rd.rules = &rules;
	rd.centre_id = centre;
	rd.key = key;
	rd.sms = &sc;
	return followup_run(&rd, T(iso), &stats, errbuf, sizeof(errbuf));
}

static struct followup_stats
run(const char *iso)
{
	return run_at(iso, false, false);
}

/* The newest task of @reason: id. */
static int64_t
task_id(const char *reason)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), "SELECT max(id) FROM "
	    "followups WHERE reason = ?", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_text(s, 1, reason, -1, SQLITE_STATIC),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	ck_assert_int_gt(v, 0);
	return v;
}

static time_t
due_of(int64_t id)
{
	return (time_t)raw_int("SELECT due_at FROM followups WHERE id = ?", id);
}

struct collected {
	struct followup_task t[32];
	size_t n;
};

static int
collect(const struct followup_task *t, void *arg)
{
	struct collected *c = arg;

	if (c->n < ARRAY_LEN(c->t))
		c->t[c->n++] = *t;
	return 0;
}

static struct collected
due_at(const char *iso)
{
	struct collected c;

	memset(&c, 0, sizeof(c));
	ck_assert_msg(followup_due(st, centre, T(iso), collect, &c, errbuf,
	    sizeof(errbuf)) == 0, "%s", errbuf);
	return c;
}

static void
audit_clean(void)
{
	struct store_audit_report rep;
	sqlite3_stmt *s = NULL;

	ck_assert_int_eq(store_audit_verify(st, &rep), STORE_OK);
	ck_assert_msg(rep.bad_id == 0, "audit broken at %lld: %s",
	    (long long)rep.bad_id, rep.why);
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), "SELECT detail || "
	    "object FROM audit", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 0);

		ck_assert_ptr_null(strstr(d, "612345678"));
		ck_assert_ptr_null(strstr(d, "698765432"));
		ck_assert_ptr_null(strstr(d, PSEUDO));
		ck_assert_ptr_null(strstr(d, "impasse"));
		ck_assert_ptr_null(strstr(d, "rappelez"));
	}
	sqlite3_finalize(s);
}

static const struct opt CALLER = { PHONE, true, true, "INJ", NULL, NULL,
	NULL, 0 };

/* ---- the call after a parcel ---- */

START_TEST(after_delivery_friday_to_monday)
{
	struct followup_stats s;
	struct collected c;
	char ref[STORE_REF_MAX], info[64], event[64];
	int64_t rid, fid, n;

	set_now("2026-03-05T10:00:00Z");
	rid = order(&CALLER, ref);
	pack_ship(ref, NULL);
	/* Delivered Friday 6 March at 20:00 local. */
	deliver(ref, "2026-03-06T19:00:00Z");
	s = run("2026-03-06T19:05:00Z");
	ck_assert_int_eq(s.created, 1);
	fid = task_id(FOLLOWUP_AFTER_DELIVERY);
	ck_time(due_of(fid), "2026-03-09T08:00:00Z");
	ck_assert_int_eq(raw_int("SELECT recipient_id FROM followups WHERE "
	    "id = ?", fid), rid);
	raw_text("SELECT info FROM followups WHERE id = ?", fid, info,
	    sizeof(info));
	ck_assert_str_eq(info, "3");
	raw_text("SELECT event FROM followups WHERE id = ?", fid, event,
	    sizeof(event));
	ck_assert_int_eq(strncmp(event, "order:", 6), 0);
	ck_assert_int_eq(raw_int("SELECT planned FROM followups WHERE id = ?",
	    fid), 1);
	/* Idempotent: nothing new, no audit entry. */
	n = audits("followup.add");
	ck_assert_int_eq(n, 1);
	s = run("2026-03-06T19:10:00Z");
	ck_assert_int_eq(s.created, 0);
	s = run("2026-03-09T10:00:00Z");
	ck_assert_int_eq(s.created, 0);
	ck_assert_int_eq(audits("followup.add"), n);
	ck_assert_int_eq(tasks(FOLLOWUP_AFTER_DELIVERY), 1);
	/* Listed on Monday, not on Friday; overdue on Tuesday. */
	c = due_at("2026-03-06T19:10:00Z");
	ck_assert_uint_eq(c.n, 0);
	c = due_at("2026-03-09T07:30:00Z");
	ck_assert_uint_eq(c.n, 1);
	ck_assert_int_eq(c.t[0].id, fid);
	ck_assert_str_eq(c.t[0].ref, ref);
	ck_assert(!c.t[0].overdue);
	ck_assert(!c.t[0].urgent);
	c = due_at("2026-03-10T08:00:00Z");
	ck_assert_uint_eq(c.n, 1);
	ck_assert(c.t[0].overdue);
	audit_clean();
}
END_TEST

START_TEST(no_call_without_consent_or_phone)
{
	struct opt nocall = CALLER, nophone = CALLER;
	char ref1[STORE_REF_MAX], ref2[STORE_REF_MAX];

	nocall.call = false;
	nocall.sms = false;
	nophone.phone = NULL;
	nophone.call = false;
	nophone.sms = false;
	set_now("2026-03-05T10:00:00Z");
	(void)order(&nocall, ref1);
	nophone.phone = NULL;
	(void)order(&nophone, ref2);
	pack_ship(ref1, NULL);
	pack_ship(ref2, NULL);
	deliver(ref1, "2026-03-06T10:00:00Z");
	deliver(ref2, "2026-03-06T10:00:00Z");
	ck_assert_int_eq(run("2026-03-09T10:00:00Z").created, 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM followups", 0), 0);
}
END_TEST

START_TEST(untracked_after_shipping)
{
	char ref[STORE_REF_MAX], ref2[STORE_REF_MAX], ref3[STORE_REF_MAX];
	struct opt other = CALLER;
	int64_t fid;

	/* Shipped Monday 2 March without a carrier id. */
	set_now("2026-03-02T10:00:00Z");
	(void)order(&CALLER, ref);
	pack_ship(ref, NULL);
	ck_assert_int_eq(run("2026-03-02T10:05:00Z").created, 0);
	/* Not before the seventh day. */
	ck_assert_int_eq(run("2026-03-08T20:00:00Z").created, 0);
	ck_assert_int_eq(run("2026-03-09T07:00:00Z").created, 1);
	fid = task_id(FOLLOWUP_AFTER_SHIPPING);
	ck_time(due_of(fid), "2026-03-09T08:00:00Z");
	/* Delivered afterwards: still one call for this parcel. */
	deliver(ref, "2026-03-09T09:00:00Z");
	ck_assert_int_eq(run("2026-03-09T09:05:00Z").created, 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM followups", 0), 1);
	/* With La Poste polled, a carrier id means tracked: no call yet. */
	other.phone = PHONE2;
	set_now("2026-03-02T10:00:00Z");
	(void)order(&other, ref2);
	pack_ship(ref2, "6A18395701001");
	ck_assert_int_eq(run_at("2026-03-10T10:00:00Z", false, true).created,
	    0);
	/* ... but a parcel without one is untracked all the same. */
	other.phone = "+33611111111";
	set_now("2026-03-03T10:00:00Z");
	(void)order(&other, ref3);
	pack_ship(ref3, NULL);
	ck_assert_int_eq(run_at("2026-03-10T10:00:00Z", false, true).created,
	    1);
	/* Without tracking, the tracked parcel is untracked too. */
	ck_assert_int_eq(run("2026-03-10T10:00:00Z").created, 1);
	ck_assert_int_eq(tasks(FOLLOWUP_AFTER_SHIPPING), 3);
}
END_TEST

START_TEST(for_others)
{
	struct opt friends = CALLER;
	struct collected c;
	char ref[STORE_REF_MAX], why[FOLLOWUP_WHY_MAX];

	friends.for_people = "3";
	set_now("2026-03-05T10:00:00Z");
	(void)order(&friends, ref);
	pack_ship(ref, NULL);
	deliver(ref, "2026-03-06T10:00:00Z");
	ck_assert_int_eq(run("2026-03-06T10:05:00Z").created, 1);
	ck_assert_int_eq(tasks(FOLLOWUP_FOR_OTHERS), 1);
	ck_assert_int_eq(tasks(FOLLOWUP_AFTER_DELIVERY), 0);
	c = due_at("2026-03-09T08:00:00Z");
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.t[0].info, "3 3 delivered");
	followup_why(&c.t[0], why, sizeof(why));
	ck_assert_msg(strstr(why, "ordered for 3 people") != NULL &&
	    strstr(why, "ask that the friends call") != NULL, "%s", why);
	/* [for_others] after_days 0: the plain call. */
	rules.for_others_days = 0;
	friends.phone = PHONE2;
	set_now("2026-03-05T10:00:00Z");
	(void)order(&friends, ref);
	pack_ship(ref, NULL);
	deliver(ref, "2026-03-06T10:00:00Z");
	ck_assert_int_eq(run("2026-03-06T10:05:00Z").created, 1);
	ck_assert_int_eq(tasks(FOLLOWUP_AFTER_DELIVERY), 1);
}
END_TEST

START_TEST(stale_events_skipped)
{
	char ref[STORE_REF_MAX];

	set_now("2025-12-01T10:00:00Z");
	(void)order(&CALLER, ref);
	pack_ship(ref, NULL);
	deliver(ref, "2025-12-02T10:00:00Z");
	/* A first run months later: no call about that parcel ... */
	(void)run("2026-03-02T10:00:00Z");
	ck_assert_int_eq(tasks(FOLLOWUP_AFTER_DELIVERY), 0);
	/* ... but the check-in long overdue is due now, not in January. */
	ck_assert_int_eq(tasks(FOLLOWUP_CHECKIN), 1);
	ck_time(due_of(task_id(FOLLOWUP_CHECKIN)), "2026-03-02T10:00:00Z");
}
END_TEST

/* ---- naloxone, check-ins, silence, flags ---- */

START_TEST(naloxone_nearing_expiry)
{
	struct opt nal = CALLER;
	struct collected c;
	char ref[STORE_REF_MAX], why[FOLLOWUP_WHY_MAX];
	int64_t fid;

	rules.delivery_days = 0;
	rules.for_others_days = 0;
	nal.pack = "NALOX";
	set_now("2026-03-02T10:00:00Z");
	(void)order(&nal, ref);
	pack_ship(ref, NULL);
	deliver(ref, "2026-03-04T10:00:00Z");
	/* Expires 30 April: nothing 41 days before. */
	ck_assert_int_eq(run("2026-03-20T10:00:00Z").created, 0);
	/* 30 days before: 31 March. */
	ck_assert_int_eq(run("2026-03-31T08:00:00Z").created, 1);
	fid = task_id(FOLLOWUP_NALOXONE);
	ck_time(due_of(fid), "2026-03-31T08:00:00Z");
	ck_assert_int_eq(run("2026-03-31T09:00:00Z").created, 0);
	ck_assert_int_eq(run("2026-04-15T09:00:00Z").created, 0);
	c = due_at("2026-03-31T09:00:00Z");
	ck_assert_uint_eq(c.n, 1);
	ck_assert_str_eq(c.t[0].info, NALOX_LOT " " NALOX_EXPIRY);
	followup_why(&c.t[0], why, sizeof(why));
	ck_assert_msg(strncmp(why, "naloxone lot " NALOX_LOT " expires on "
	    NALOX_EXPIRY " (order ", 54) == 0, "%s", why);
}
END_TEST

START_TEST(checkin_every_n_days)
{
	struct followup_done d;
	char ref[STORE_REF_MAX];
	int64_t rid, fid;

	rules.delivery_days = 0;
	rules.untracked_days = 0;
	rules.silence_days = 0;
	rules.checkin_days = 30;
	/* First seen Monday 2 March. */
	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	ck_assert_int_eq(raw_int("SELECT checkin_at FROM recipients WHERE "
	    "id = ?", rid), T("2026-03-02T10:00:00Z"));
	ck_assert_int_eq(run("2026-03-31T10:00:00Z").created, 0);
	/* 1 April, 30 days after 2 March. */
	ck_assert_int_eq(run("2026-04-01T06:00:00Z").created, 1);
	fid = task_id(FOLLOWUP_CHECKIN);
	ck_time(due_of(fid), "2026-04-01T07:00:00Z");
	ck_assert_int_eq(raw_int("SELECT checkin_at IS NULL FROM recipients "
	    "WHERE id = ?", rid), 1);
	ck_assert_int_eq(run("2026-04-20T10:00:00Z").created, 0);
	/* Reached on 2 April: the next one 30 days later. */
	memset(&d, 0, sizeof(d));
	d.outcome = FOLLOWUP_REACHED;
	d.actor = ACTOR;
	d.now = T("2026-04-02T09:00:00Z");
	ck_assert_int_eq(followup_done(st, NULL, &rules, centre, fid, &d, NULL,
	    errbuf, sizeof(errbuf)), FOLLOWUP_OK);
	ck_assert_int_eq(raw_int("SELECT last_call_at FROM recipients WHERE "
	    "id = ?", rid), T("2026-04-02T09:00:00Z"));
	ck_assert_int_eq(run("2026-04-20T10:00:00Z").created, 0);
	ck_assert_int_eq(run("2026-05-04T10:00:00Z").created, 1);
	ck_assert_int_eq(tasks(FOLLOWUP_CHECKIN), 2);
	audit_clean();
}
END_TEST

START_TEST(checkin_counts_from_last_call)
{
	struct followup_done d;
	char ref[STORE_REF_MAX];
	int64_t rid, fid;

	rules.delivery_days = 3;
	rules.untracked_days = 0;
	rules.silence_days = 0;
	rules.checkin_days = 30;
	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	pack_ship(ref, NULL);
	deliver(ref, "2026-03-04T10:00:00Z");
	ck_assert_int_eq(run("2026-03-04T11:00:00Z").created, 1);
	fid = task_id(FOLLOWUP_AFTER_DELIVERY);
	/* The call after delivery reached them on 9 March. */
	memset(&d, 0, sizeof(d));
	d.outcome = FOLLOWUP_REACHED;
	d.actor = ACTOR;
	d.now = T("2026-03-09T09:00:00Z");
	ck_assert_int_eq(followup_done(st, NULL, &rules, centre, fid, &d, NULL,
	    errbuf, sizeof(errbuf)), FOLLOWUP_OK);
	/* So no check-in on 1 April; the marker moves to the call. */
	ck_assert_int_eq(run("2026-04-01T10:00:00Z").created, 0);
	ck_assert_int_eq(raw_int("SELECT checkin_at FROM recipients WHERE "
	    "id = ?", rid), T("2026-03-09T09:00:00Z"));
	ck_assert_int_eq(run("2026-04-08T10:00:00Z").created, 1);
	ck_assert_int_eq(tasks(FOLLOWUP_CHECKIN), 1);
}
END_TEST

START_TEST(silence_after_n_days)
{
	char ref[STORE_REF_MAX];
	int64_t rid;
	struct collected c;
	char why[FOLLOWUP_WHY_MAX];

	rules.delivery_days = 0;
	rules.untracked_days = 0;
	rules.checkin_days = 0;
	rules.silence_days = 30;
	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	/* A second order on 20 March moves the silence. */
	set_now("2026-03-20T10:00:00Z");
	ck_assert_int_eq(order(&CALLER, ref), rid);
	ck_assert_int_eq(run("2026-04-02T10:00:00Z").created, 0);
	ck_assert_int_eq(run("2026-04-20T10:00:00Z").created, 1);
	ck_assert_int_eq(run("2026-04-21T10:00:00Z").created, 0);
	c = due_at("2026-04-20T10:00:00Z");
	ck_assert_uint_eq(c.n, 1);
	followup_why(&c.t[0], why, sizeof(why));
	ck_assert_str_eq(why, "no order or call for 30 days");
}
END_TEST

START_TEST(flagged_order_is_urgent)
{
	struct opt big = CALLER;
	struct collected c;
	char ref[STORE_REF_MAX], why[FOLLOWUP_WHY_MAX];

	big.qty = "5";
	big.flag_qty = 2;
	/* Received Saturday: due Monday morning. */
	set_now("2026-03-07T10:00:00Z");
	(void)order(&big, ref);
	ck_assert_int_eq(run("2026-03-07T10:05:00Z").created, 1);
	ck_assert_int_eq(run("2026-03-07T10:10:00Z").created, 0);
	ck_time(due_of(task_id(FOLLOWUP_FLAGGED)), "2026-03-09T08:00:00Z");
	c = due_at("2026-03-09T08:00:00Z");
	ck_assert_uint_eq(c.n, 1);
	ck_assert(c.t[0].urgent);
	followup_why(&c.t[0], why, sizeof(why));
	ck_assert_msg(strncmp(why, "order ", 6) == 0 &&
	    strstr(why, "flagged") != NULL, "%s", why);
	/* [urgent] flagged = no: none. */
	rules.flagged = false;
	big.phone = PHONE2;
	(void)order(&big, ref);
	ck_assert_int_eq(run("2026-03-07T10:15:00Z").created, 0);
}
END_TEST

/* An urgent task as orders/inbox.c makes it (SMS text sealed). */
static int64_t
inbox_task(int64_t rid, const char *reason, const char *created,
    const char *due)
{
	sqlite3_stmt *s = NULL;
	char aad[64];
	uint8_t *blob = NULL;
	size_t len = 0;
	int64_t fid;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), "INSERT INTO "
	    "followups (centre_id, recipient_id, reason, due_at, status, "
	    "created_at) VALUES (?, ?, ?, ?, 'open', ?)", -1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(s, 1, centre);
	sqlite3_bind_int64(s, 2, rid);
	sqlite3_bind_text(s, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, T(due));
	sqlite3_bind_int64(s, 5, T(created));
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	fid = sqlite3_last_insert_rowid(store_db(st));
	ck_assert_int_ge(str_printf(aad, sizeof(aad), "followups/%lld/note",
	    (long long)fid), 0);
	ck_assert_int_eq(seal_seal(key_public(key), SMS_SECRET,
	    strlen(SMS_SECRET), aad, strlen(aad), &blob, &len), SEAL_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), "UPDATE followups SET "
	    "sealed_note = ? WHERE id = ?", -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_blob(s, 1, blob, (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, fid);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	free(blob);
	return fid;
}

START_TEST(inbox_tasks_planned)
{
	char ref[STORE_REF_MAX], why[FOLLOWUP_WHY_MAX];
	struct collected c;
	int64_t rid, fid;

	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	/* An SMS on Friday at 23:00 local: due within a working day. */
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-06T22:00:00Z",
	    "2026-03-09T22:00:00Z");
	ck_assert_int_eq(run("2026-03-06T22:05:00Z").planned, 1);
	ck_time(due_of(fid), "2026-03-09T08:00:00Z");
	ck_assert_int_eq(audits("followup.plan"), 1);
	ck_assert_int_eq(run("2026-03-06T22:10:00Z").planned, 0);
	ck_assert_int_eq(audits("followup.plan"), 1);
	c = due_at("2026-03-09T08:00:00Z");
	ck_assert_uint_eq(c.n, 1);
	ck_assert(c.t[0].urgent);
	followup_why(&c.t[0], why, sizeof(why));
	ck_assert_str_eq(why, "asked to be called back by SMS");
	/* Received during opening hours: due at once. */
	fid = inbox_task(rid, "urgent_sms_order_unknown",
	    "2026-03-10T09:00:00Z", "2026-03-11T09:00:00Z");
	ck_assert_int_eq(run("2026-03-10T09:01:00Z").planned, 1);
	ck_time(due_of(fid), "2026-03-10T09:00:00Z");
	audit_clean();
}
END_TEST

START_TEST(stop_ends_every_task)
{
	char ref[STORE_REF_MAX], ref2[STORE_REF_MAX], outcome[32];
	struct followup_stats s;
	int64_t rid, f1, f2, later;
	bool changed = false;

	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	pack_ship(ref, NULL);
	deliver(ref, "2026-03-04T10:00:00Z");
	ck_assert_int_eq(run("2026-03-04T10:05:00Z").created, 1);
	f1 = task_id(FOLLOWUP_AFTER_DELIVERY);
	f2 = inbox_task(rid, "urgent_sms_call", "2026-03-04T11:00:00Z",
	    "2026-03-05T11:00:00Z");
	/* STOP arrives (as orders/inbox.c records it). */
	ck_assert_int_eq(db_begin(store_db(st), errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(recipient_set_sms_stopped(store_db(st), rid, true,
	    &changed, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(db_commit(store_db(st), errbuf, sizeof(errbuf)), 0);
	ck_assert(changed);
	ck_assert_int_eq(raw_int("SELECT stop_upto FROM recipients WHERE "
	    "id = ?", rid), f2);
	/* Then "call me" again: the person's own request stands. */
	later = inbox_task(rid, "urgent_sms_call", "2026-03-04T12:00:00Z",
	    "2026-03-05T12:00:00Z");
	s = run("2026-03-04T12:05:00Z");
	ck_assert_int_eq(s.cancelled, 2);
	raw_text("SELECT outcome FROM followups WHERE id = ?", f1, outcome,
	    sizeof(outcome));
	ck_assert_str_eq(outcome, "stopped");
	ck_assert_int_eq(raw_int("SELECT status = 'cancelled' FROM followups "
	    "WHERE id = ?", f2), 1);
	ck_assert_int_eq(raw_int("SELECT status = 'open' FROM followups "
	    "WHERE id = ?", later), 1);
	ck_assert_int_eq(audits("followup.cancel"), 1);
	ck_assert_int_eq(raw_int("SELECT stop_upto IS NULL FROM recipients "
	    "WHERE id = ?", rid), 1);
	ck_assert_int_eq(run("2026-03-04T12:10:00Z").cancelled, 0);
	/* While stopped: no new task from events. */
	set_now("2026-03-05T10:00:00Z");
	ck_assert_int_eq(order(&CALLER, ref2), rid);
	pack_ship(ref2, NULL);
	deliver(ref2, "2026-03-06T10:00:00Z");
	ck_assert_int_eq(run("2026-03-06T10:05:00Z").created, 0);
	/* START: the next event calls again. */
	ck_assert_int_eq(db_begin(store_db(st), errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(recipient_set_sms_stopped(store_db(st), rid, false,
	    &changed, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(db_commit(store_db(st), errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(run("2026-03-06T10:10:00Z").created, 1);
	audit_clean();
}
END_TEST

START_TEST(stop_then_start_before_round)
{
	char ref[STORE_REF_MAX];
	bool changed;
	int64_t rid;

	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	(void)inbox_task(rid, "urgent_sms_call", "2026-03-02T10:00:00Z",
	    "2026-03-03T10:00:00Z");
	raw_exec("UPDATE recipients SET sms_stopped = 1");
	raw_exec("UPDATE recipients SET sms_stopped = 0");
	/* START came before the round: nothing is stopped. */
	ck_assert_int_eq(run("2026-03-02T10:05:00Z").cancelled, 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM followups WHERE "
	    "status = 'open'", 0), 1);
	ck_assert_int_eq(raw_int("SELECT stop_upto IS NULL FROM recipients "
	    "WHERE id = ?", rid), 1);
	(void)changed;
}
END_TEST

/* ---- what staff record ---- */

static enum followup_status
done(int64_t id, enum followup_outcome o, const char *note, bool dnc,
    const char *at, struct followup_done_result *res)
{
	struct followup_done d;

	memset(&d, 0, sizeof(d));
	d.outcome = o;
	d.note = note;
	d.do_not_call = dnc;
	d.actor = ACTOR;
	d.now = T(at);
	set_now(at);
	return followup_done(st, key, &rules, centre, id, &d, res, errbuf,
	    sizeof(errbuf));
}

START_TEST(every_outcome)
{
	static const struct {
		enum followup_outcome o;
		const char *column;
	} cases[] = {
		{ FOLLOWUP_REACHED, "reached" },
		{ FOLLOWUP_DECLINED, "declined" },
		{ FOLLOWUP_NALOXONE_USED, "naloxone_used" },
		{ FOLLOWUP_REFERRED, "referred" },
	};
	struct followup_done_result res;
	char ref[STORE_REF_MAX], col[32];
	int64_t rid;

	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int64_t fid = inbox_task(rid, "urgent_sms_call",
		    "2026-03-02T10:00:00Z", "2026-03-03T10:00:00Z");

		ck_assert_int_eq(done(fid, cases[i].o, NULL, false,
		    "2026-03-03T10:00:00Z", &res), FOLLOWUP_OK);
		ck_assert(res.closed);
		raw_text("SELECT outcome FROM followups WHERE id = ?", fid, col,
		    sizeof(col));
		ck_assert_str_eq(col, cases[i].column);
		ck_assert_str_eq(followup_outcome_column(cases[i].o),
		    cases[i].column);
		raw_text("SELECT status FROM followups WHERE id = ?", fid, col,
		    sizeof(col));
		ck_assert_str_eq(col, "done");
		ck_assert_int_eq(raw_int("SELECT done_at FROM followups WHERE "
		    "id = ?", fid), T("2026-03-03T10:00:00Z"));
		/* Once only. */
		ck_assert_int_eq(done(fid, FOLLOWUP_REACHED, NULL, false,
		    "2026-03-03T10:05:00Z", &res), FOLLOWUP_ERR_CLOSED);
		ck_assert_msg(strstr(errbuf, "already done") != NULL, "%s",
		    errbuf);
	}
	ck_assert_int_eq(audits("followup.done"), 4);
	ck_assert_int_eq(done(999, FOLLOWUP_REACHED, NULL, false,
	    "2026-03-03T10:05:00Z", &res), FOLLOWUP_ERR_NOT_FOUND);
	/* Another centre's task is not found either. */
	raw_exec("INSERT INTO centres (code, name, created_at) VALUES "
	    "('other', 'Other', 0)");
	ck_assert_int_eq(followup_done(st, NULL, &rules, centre + 1, 1,
	    &(struct followup_done){ FOLLOWUP_REACHED, NULL, false, ACTOR, 0 },
	    NULL, errbuf, sizeof(errbuf)), FOLLOWUP_ERR_NOT_FOUND);
	audit_clean();
}
END_TEST

START_TEST(outcome_words)
{
	enum followup_outcome o;

	ck_assert_int_eq(followup_outcome_parse("no-answer", &o), 0);
	ck_assert_int_eq(o, FOLLOWUP_NO_ANSWER);
	ck_assert_int_eq(followup_outcome_parse("no_answer", &o), 0);
	ck_assert_int_eq(followup_outcome_parse("naloxone-used", &o), 0);
	ck_assert_int_eq(o, FOLLOWUP_NALOXONE_USED);
	ck_assert_int_eq(followup_outcome_parse("maybe", &o), -1);
	ck_assert_int_eq(followup_outcome_parse("Reached", &o), -1);
	ck_assert_int_eq(followup_outcome_parse("no answer", &o), -1);
	ck_assert_int_eq(followup_outcome_parse("stopped", &o), -1);
	ck_assert_int_eq(followup_outcome_parse("", &o), -1);
	ck_assert_int_eq(followup_outcome_parse(NULL, &o), -1);
}
END_TEST

START_TEST(no_answer_retries_then_invites)
{
	struct followup_done_result res;
	struct opt nosms = CALLER;
	char ref[STORE_REF_MAX], inv[16];
	int64_t rid, fid, rid2, fid2;

	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-09T08:00:00Z");
	/* Monday 10:00 local: again at 14:00 (4 hours). */
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, NULL, false,
	    "2026-03-09T09:00:00Z", &res), FOLLOWUP_OK);
	ck_assert(!res.closed);
	ck_assert_int_eq(res.attempts, 1);
	ck_time(res.next_due, "2026-03-09T13:00:00Z");
	ck_time(due_of(fid), "2026-03-09T13:00:00Z");
	ck_assert_int_eq(audits("followup.retry"), 1);
	/* 16:00 + 4 h is after closing: Tuesday 09:00. */
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, NULL, false,
	    "2026-03-09T15:00:00Z", &res), FOLLOWUP_OK);
	ck_assert(!res.closed);
	ck_time(res.next_due, "2026-03-10T08:00:00Z");
	ck_assert_int_eq(raw_int("SELECT attempts FROM followups WHERE id = ?",
	    fid), 2);
	/* The third: closed, the SMS invitation pending. */
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, NULL, false,
	    "2026-03-10T08:30:00Z", &res), FOLLOWUP_OK);
	ck_assert(res.closed);
	ck_assert(res.invite_pending);
	ck_assert_int_eq(res.attempts, 3);
	raw_text("SELECT invite FROM followups WHERE id = ?", fid, inv,
	    sizeof(inv));
	ck_assert_str_eq(inv, "pending");
	raw_text("SELECT outcome FROM followups WHERE id = ?", fid, inv,
	    sizeof(inv));
	ck_assert_str_eq(inv, "no_answer");
	/* Without SMS consent: no invitation. */
	nosms.phone = PHONE2;
	nosms.sms = false;
	set_now("2026-03-02T10:00:00Z");
	rid2 = order(&nosms, ref);
	rules.retry_calls = 1;
	fid2 = inbox_task(rid2, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-09T08:00:00Z");
	ck_assert_int_eq(done(fid2, FOLLOWUP_NO_ANSWER, NULL, false,
	    "2026-03-09T09:00:00Z", &res), FOLLOWUP_OK);
	ck_assert(res.closed);
	ck_assert(res.invite_skipped);
	raw_text("SELECT invite FROM followups WHERE id = ?", fid2, inv,
	    sizeof(inv));
	ck_assert_str_eq(inv, "skipped");
	audit_clean();
}
END_TEST

START_TEST(invitation_sent_through_sendsms)
{
	struct followup_done_result res;
	struct followup_stats s;
	struct opt ru = CALLER;
	char ref[STORE_REF_MAX], inv[16];
	int64_t rid, fid, rid2, fid2;

	rules.retry_calls = 1;
	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-09T08:00:00Z");
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, NULL, false,
	    "2026-03-13T15:00:00Z", &res), FOLLOWUP_OK);
	ck_assert(res.invite_pending);
	/* Saturday: closed, nothing sent; without the key neither. */
	s = run_at("2026-03-14T10:00:00Z", true, false);
	ck_assert_int_eq(s.invited, 0);
	s = run_at("2026-03-16T09:00:00Z", false, false);
	ck_assert_int_eq(s.invited, 0);
	ck_assert_int_eq(kan_requests(), 0);
	/* Monday, open: sent, in French, GSM. */
	s = run_at("2026-03-16T09:05:00Z", true, false);
	ck_assert_int_eq(s.invited, 1);
	ck_assert_int_eq(kan_requests(), 1);
	ck_assert_str_eq(kan.to, PHONE);
	ck_assert_str_eq(kan.coding, "0");
	ck_assert_msg(strstr(kan.body, "APPEL") != NULL, "%s", kan.body);
	raw_text("SELECT invite FROM followups WHERE id = ?", fid, inv,
	    sizeof(inv));
	ck_assert_str_eq(inv, "sent");
	ck_assert_int_eq(audits("followup.invite"), 1);
	ck_assert_int_eq(run_at("2026-03-16T09:10:00Z", true, false).invited,
	    0);
	ck_assert_int_eq(kan_requests(), 1);
	/* Russian: UCS-2.  Kannel busy: it waits for the next round. */
	ru.phone = PHONE2;
	ru.lang = "ru";
	rid2 = order(&ru, ref);
	fid2 = inbox_task(rid2, "urgent_sms_call", "2026-03-16T09:00:00Z",
	    "2026-03-16T09:00:00Z");
	ck_assert_int_eq(done(fid2, FOLLOWUP_NO_ANSWER, NULL, false,
	    "2026-03-16T09:20:00Z", &res), FOLLOWUP_OK);
	kan.status = 503;
	ck_assert_int_eq(run_fails("2026-03-16T09:30:00Z"), -1);
	ck_assert_msg(strstr(errbuf, "503") != NULL, "%s", errbuf);
	ck_assert_ptr_null(strstr(errbuf, "698765432"));
	raw_text("SELECT invite FROM followups WHERE id = ?", fid2, inv,
	    sizeof(inv));
	ck_assert_str_eq(inv, "pending");
	kan.status = 202;
	ck_assert_int_eq(run_at("2026-03-16T09:40:00Z", true, false).invited,
	    1);
	ck_assert_str_eq(kan.to, PHONE2);
	ck_assert_str_eq(kan.coding, "2");
	ck_assert_msg(strstr(kan.body, "ПОЗВОНИТЕ") != NULL, "%s", kan.body);
	audit_clean();
}
END_TEST

START_TEST(invitation_refused_or_stale)
{
	struct followup_done_result res;
	char ref[STORE_REF_MAX], inv[16];
	int64_t rid, fid;

	rules.retry_calls = 1;
	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-09T08:00:00Z");
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, NULL, false,
	    "2026-03-09T09:00:00Z", &res), FOLLOWUP_OK);
	/* Kannel refuses that receiver: failed, not tried again. */
	kan.status = 400;
	ck_assert_int_eq(run_at("2026-03-09T09:05:00Z", true, false).
	    invite_failed, 1);
	raw_text("SELECT invite FROM followups WHERE id = ?", fid, inv,
	    sizeof(inv));
	ck_assert_str_eq(inv, "failed");
	kan.status = 202;
	ck_assert_int_eq(run_at("2026-03-09T09:10:00Z", true, false).invited,
	    0);
	ck_assert_int_eq(kan_requests(), 1);
	/* A pending one older than three days is dropped. */
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-09T08:00:00Z");
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, NULL, false,
	    "2026-03-13T15:50:00Z", &res), FOLLOWUP_OK);
	ck_assert_int_eq(run_at("2026-03-18T10:00:00Z", true, false).
	    invite_failed, 1);
	ck_assert_int_eq(kan_requests(), 1);
	/* STOP before the round: skipped. */
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-18T08:00:00Z",
	    "2026-03-18T08:00:00Z");
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, NULL, false,
	    "2026-03-18T10:30:00Z", &res), FOLLOWUP_OK);
	raw_exec("UPDATE recipients SET sms_stopped = 1");
	ck_assert_int_eq(run_at("2026-03-18T10:40:00Z", true, false).invited,
	    0);
	raw_text("SELECT invite FROM followups WHERE id = ?", fid, inv,
	    sizeof(inv));
	ck_assert_str_eq(inv, "skipped");
	ck_assert_int_eq(kan_requests(), 1);
}
END_TEST

START_TEST(notes_sealed_and_appended)
{
	struct followup_done_result res;
	struct followup_contact fc;
	struct followup_done d;
	char ref[STORE_REF_MAX], path[4200];
	int64_t rid, fid;
	const char *staff = "Rappeler jeudi, parle de TROD";
	const char *line2 = "Second essai\nsans réponse";

	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-09T08:00:00Z");
	/* A note needs the private key. */
	memset(&d, 0, sizeof(d));
	d.outcome = FOLLOWUP_NO_ANSWER;
	d.note = staff;
	d.actor = ACTOR;
	d.now = T("2026-03-09T09:00:00Z");
	ck_assert_int_eq(followup_done(st, NULL, &rules, centre, fid, &d, &res,
	    errbuf, sizeof(errbuf)), FOLLOWUP_ERR_KEY);
	ck_assert_int_eq(raw_int("SELECT attempts FROM followups WHERE id = ?",
	    fid), 0);
	/* Control characters: refused, nothing written. */
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, "bad\x07note", false,
	    "2026-03-09T09:00:00Z", &res), FOLLOWUP_ERR_INVALID);
	ck_assert_msg(strstr(errbuf, "note:") != NULL, "%s", errbuf);
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, "", false,
	    "2026-03-09T09:00:00Z", &res), FOLLOWUP_ERR_INVALID);
	ck_assert_int_eq(done(fid, FOLLOWUP_NO_ANSWER, staff, false,
	    "2026-03-09T09:00:00Z", &res), FOLLOWUP_OK);
	ck_assert_int_eq(done(fid, FOLLOWUP_REACHED, line2, false,
	    "2026-03-09T14:00:00Z", &res), FOLLOWUP_OK);
	ck_assert_int_eq(followup_contact(st, key, centre, fid, true, ACTOR,
	    &fc, errbuf, sizeof(errbuf)), FOLLOWUP_OK);
	ck_assert_ptr_nonnull(fc.notes);
	/* The SMS text first, then each note under its line. */
	ck_assert_msg(strncmp(fc.notes, SMS_SECRET, strlen(SMS_SECRET)) == 0,
	    "%s", fc.notes);
	ck_assert_ptr_nonnull(strstr(fc.notes, "\n--- 2026-03-09T09:00:00Z "
	    ACTOR " no_answer\n"));
	ck_assert_ptr_nonnull(strstr(fc.notes, staff));
	ck_assert_ptr_nonnull(strstr(fc.notes, "--- 2026-03-09T14:00:00Z "
	    ACTOR " reached\nSecond essai\nsans réponse"));
	ck_assert_str_eq(fc.phone, PHONE);
	followup_contact_clear(&fc);
	ck_assert_int_eq(audits("followup.show"), 1);
	/* Never in clear on disk. */
	store_close(st);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	ck_assert(!testutil_file_contains(path, "TROD", 4));
	ck_assert(!testutil_file_contains(path, "Second essai", 12));
	st = store_open(path, errbuf, sizeof(errbuf));
	ck_assert_ptr_nonnull(st);
	audit_clean();
}
END_TEST

START_TEST(do_not_call_ends_the_rest)
{
	struct followup_done_result res;
	char ref[STORE_REF_MAX];
	int64_t rid, f1, f2, f3;

	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	f1 = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-09T08:00:00Z");
	f2 = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-10T08:00:00Z");
	f3 = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-11T08:00:00Z");
	ck_assert_int_eq(done(f1, FOLLOWUP_DECLINED, NULL, true,
	    "2026-03-09T09:00:00Z", &res), FOLLOWUP_OK);
	ck_assert_int_eq(res.cancelled, 2);
	ck_assert_int_eq(raw_int("SELECT do_not_call FROM recipients WHERE "
	    "id = ?", rid), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM followups WHERE "
	    "outcome = 'stopped' AND id IN (?, 0)", f2) +
	    raw_int("SELECT count(*) FROM followups WHERE outcome = 'stopped' "
	    "AND id = ?", f3), 2);
	ck_assert_int_eq(audits("recipient.do_not_call"), 1);
	/* Nothing left for the round to do, and no new call. */
	ck_assert_int_eq(run("2026-03-09T09:05:00Z").cancelled, 0);
	ck_assert_int_eq(followup_add_urgent(st, key, &rules, centre, ref, NULL,
	    ACTOR, T("2026-03-09T09:10:00Z"), NULL, errbuf, sizeof(errbuf)),
	    FOLLOWUP_ERR_REFUSED);
	ck_assert_msg(strstr(errbuf, "asked not to be called") != NULL, "%s",
	    errbuf);
	/* No answer + do not call: closed, no invitation. */
	raw_exec("UPDATE recipients SET do_not_call = 0");
	f1 = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-09T08:00:00Z");
	ck_assert_int_eq(done(f1, FOLLOWUP_NO_ANSWER, NULL, true,
	    "2026-03-09T10:00:00Z", &res), FOLLOWUP_OK);
	ck_assert(res.closed);
	ck_assert(res.invite_skipped);
	audit_clean();
}
END_TEST

START_TEST(staff_urgent_call)
{
	struct opt nocall = CALLER;
	struct collected c;
	char ref[STORE_REF_MAX], ref2[STORE_REF_MAX], why[FOLLOWUP_WHY_MAX];
	struct followup_contact fc;
	int64_t id = 0;

	set_now("2026-03-02T10:00:00Z");
	(void)order(&CALLER, ref);
	/* Saturday: Monday morning. */
	ck_assert_int_eq(followup_add_urgent(st, key, &rules, centre, ref,
	    "parle d'arreter", ACTOR, T("2026-03-07T10:00:00Z"), &id, errbuf,
	    sizeof(errbuf)), FOLLOWUP_OK);
	ck_assert_int_gt(id, 0);
	ck_time(due_of(id), "2026-03-09T08:00:00Z");
	c = due_at("2026-03-09T08:00:00Z");
	ck_assert_uint_eq(c.n, 1);
	ck_assert(c.t[0].urgent);
	followup_why(&c.t[0], why, sizeof(why));
	ck_assert_msg(strstr(why, "urgent: asked by staff about order") !=
	    NULL, "%s", why);
	ck_assert_int_eq(followup_contact(st, key, centre, id, true, ACTOR, &fc,
	    errbuf, sizeof(errbuf)), FOLLOWUP_OK);
	ck_assert_ptr_nonnull(strstr(fc.notes, "parle d'arreter"));
	followup_contact_clear(&fc);
	/* Refusals. */
	nocall.phone = PHONE2;
	nocall.call = false;
	nocall.sms = false;
	(void)order(&nocall, ref2);
	ck_assert_int_eq(followup_add_urgent(st, key, &rules, centre, ref2,
	    NULL, ACTOR, T("2026-03-07T10:00:00Z"), &id, errbuf,
	    sizeof(errbuf)), FOLLOWUP_ERR_REFUSED);
	ck_assert_msg(strstr(errbuf, "did not agree") != NULL, "%s", errbuf);
	ck_assert_int_eq(followup_add_urgent(st, key, &rules, centre,
	    "ABCDEFGHJ", NULL, ACTOR, T("2026-03-07T10:00:00Z"), &id, errbuf,
	    sizeof(errbuf)), FOLLOWUP_ERR_INVALID);
	ck_assert_int_eq(followup_add_urgent(st, NULL, &rules, centre, ref,
	    "note", ACTOR, T("2026-03-07T10:00:00Z"), &id, errbuf,
	    sizeof(errbuf)), FOLLOWUP_ERR_INVALID);
	audit_clean();
}
END_TEST

START_TEST(contact_is_audited)
{
	struct followup_contact fc;
	char ref[STORE_REF_MAX];
	int64_t rid, fid, before;

	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-09T08:00:00Z",
	    "2026-03-09T08:00:00Z");
	before = audits("followup.phone");
	ck_assert_int_eq(followup_contact(st, key, centre, fid, false, ACTOR,
	    &fc, errbuf, sizeof(errbuf)), FOLLOWUP_OK);
	ck_assert_str_eq(fc.phone, PHONE);
	ck_assert_str_eq(fc.lang, "fr");
	ck_assert_ptr_null(fc.notes);
	followup_contact_clear(&fc);
	ck_assert_int_eq(audits("followup.phone"), before + 1);
	ck_assert_int_eq(followup_contact(st, key, centre, fid + 100, false,
	    ACTOR, &fc, errbuf, sizeof(errbuf)), FOLLOWUP_ERR_NOT_FOUND);
	ck_assert_int_eq(followup_contact(st, NULL, centre, fid, false, ACTOR,
	    &fc, errbuf, sizeof(errbuf)), FOLLOWUP_ERR_KEY);
	ck_assert_int_eq(audits("followup.phone"), before + 1);
}
END_TEST

/* ---- the listing ---- */

START_TEST(listing_oldest_first_today_only)
{
	struct followup_task t;
	struct collected c;
	char ref[STORE_REF_MAX], status[16];
	sqlite3_stmt *s = NULL;
	bool indexed = false;
	int64_t rid, a, b, d2, tomorrow;

	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	b = inbox_task(rid, "urgent_sms_call", "2026-03-02T10:00:00Z",
	    "2026-03-09T13:00:00Z");
	a = inbox_task(rid, "urgent_sms_call", "2026-03-02T10:00:00Z",
	    "2026-03-06T13:00:00Z");
	d2 = inbox_task(rid, "urgent_sms_call", "2026-03-02T10:00:00Z",
	    "2026-03-09T13:00:00Z");
	/* 23:30 local Monday is still today; 00:30 Tuesday is not. */
	(void)inbox_task(rid, "urgent_sms_call", "2026-03-02T10:00:00Z",
	    "2026-03-09T22:30:00Z");
	tomorrow = inbox_task(rid, "urgent_sms_call", "2026-03-02T10:00:00Z",
	    "2026-03-09T23:30:00Z");
	c = due_at("2026-03-09T07:00:00Z");
	ck_assert_uint_eq(c.n, 4);
	ck_assert_int_eq(c.t[0].id, a);
	ck_assert(c.t[0].overdue);
	ck_assert_int_eq(c.t[1].id, b);
	ck_assert_int_eq(c.t[2].id, d2);
	ck_assert(!c.t[1].overdue);
	for (size_t i = 0; i < c.n; i++)
		ck_assert_int_ne(c.t[i].id, tomorrow);
	/* One task, open or not. */
	ck_assert_int_eq(followup_get(st, centre, tomorrow,
	    T("2026-03-09T07:00:00Z"), &t, status, errbuf, sizeof(errbuf)),
	    FOLLOWUP_OK);
	ck_assert_str_eq(status, "open");
	ck_assert_str_eq(t.reason, "urgent_sms_call");
	ck_assert_int_eq(followup_get(st, centre, tomorrow + 1, 0, &t, status,
	    errbuf, sizeof(errbuf)), FOLLOWUP_ERR_NOT_FOUND);
	/* Through the index, without a sort. */
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), "EXPLAIN QUERY PLAN "
	    "SELECT f.id FROM followups f LEFT JOIN orders o ON "
	    "o.id = f.order_id WHERE f.centre_id = 1 AND f.status = 'open' "
	    "AND f.due_at < 5 ORDER BY f.due_at, f.id", -1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(s, 3);

		if (strstr(d, "followups_due") != NULL)
			indexed = true;
		ck_assert_msg(strstr(d, "TEMP B-TREE") == NULL, "%s", d);
	}
	sqlite3_finalize(s);
	ck_assert(indexed);
}
END_TEST

START_TEST(why_in_words)
{
	static const struct {
		const char *reason, *info, *ref, *want;
	} cases[] = {
		{ "after_delivery", "3", "ABC", "3 days after delivery of order "
		  "ABC" },
		{ "after_shipping", "7", "ABC", "7 days after shipping of order "
		  "ABC (not tracked)" },
		{ "for_others", "4 2 shipped", "ABC", "ordered for 4 people "
		  "(order ABC), 2 days after shipping: ask that the friends "
		  "call" },
		{ "naloxone_expiry", "L1 2026-04-30", "ABC", "naloxone lot L1 "
		  "expires on 2026-04-30 (order ABC)" },
		{ "checkin", "60", "", "check-in: no call for 60 days" },
		{ "silence", "120", "", "no order or call for 120 days" },
		{ "flagged", "25 packs", "ABC", "order ABC flagged: 25 packs" },
		{ "urgent_staff", "", "", "urgent: asked by staff" },
		{ "urgent_sms_call", "", "", "asked to be called back by SMS" },
		{ "urgent_sms_order_unknown", "", "", "ordered by SMS from a "
		  "number not on file, or without an address" },
		{ "urgent_sms_order_failed", "", "", "ordered by SMS, the order "
		  "could not be made" },
		{ "something_new", "", "", "something_new" },
	};
	char why[FOLLOWUP_WHY_MAX], tiny[8];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct followup_task t;

		memset(&t, 0, sizeof(t));
		(void)!str_copy(t.reason, sizeof(t.reason), cases[i].reason);
		(void)!str_copy(t.info, sizeof(t.info), cases[i].info);
		(void)!str_copy(t.ref, sizeof(t.ref), cases[i].ref);
		followup_why(&t, why, sizeof(why));
		ck_assert_str_eq(why, cases[i].want);
		followup_why(&t, tiny, sizeof(tiny));
		ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
	}
}
END_TEST

/* ---- the digest ---- */

START_TEST(digest_text_counts_only)
{
	struct followup_digest d;
	char text[FOLLOWUP_DIGEST_MAX];
	size_t septets = 0;

	memset(&d, 0, sizeof(d));
	d.due = 5;
	d.urgent = 2;
	d.overdue = 1;
	d.sms = 2;
	d.after_delivery = 2;
	d.checkin = 1;
	d.delivered = 3;
	followup_digest_text(&d, text);
	ck_assert_str_eq(text, "hrpost: 5 calls due (2 urgent, 1 overdue): "
	    "2 by SMS, 2 after delivery, 1 check-in. 3 parcels delivered "
	    "yesterday.");
	ck_assert(sms_gsm7(text, &septets));
	ck_assert_uint_le(septets, SMS_GSM7_MAX);
	memset(&d, 0, sizeof(d));
	d.delivered = 1;
	followup_digest_text(&d, text);
	ck_assert_str_eq(text, "hrpost: no calls due today. 1 parcel delivered "
	    "yesterday.");
	/* Huge counts: reasons are dropped to fit one SMS. */
	d.due = d.urgent = d.overdue = d.sms = d.after_delivery = 999999999;
	d.naloxone = d.others = d.checkin = d.silence = 999999999;
	d.delivered = 999999999;
	followup_digest_text(&d, text);
	ck_assert(sms_gsm7(text, &septets));
	ck_assert_uint_le(strlen(text), 160);
	ck_assert_int_eq(strncmp(text, "hrpost: 999999999 calls due", 27), 0);
}
END_TEST

START_TEST(digest_once_a_day)
{
	char ref[STORE_REF_MAX], ref2[STORE_REF_MAX];
	struct followup_stats s;
	struct followup_digest d;
	int64_t rid;

	memcpy(rules.digest_phone, "+33600000001", sizeof("+33600000001"));
	set_now("2026-03-05T10:00:00Z");
	rid = order(&CALLER, ref);
	pack_ship(ref, NULL);
	deliver(ref, "2026-03-06T10:00:00Z");
	(void)inbox_task(rid, "urgent_sms_call", "2026-03-06T10:00:00Z",
	    "2026-03-06T10:00:00Z");
	set_now("2026-03-05T10:00:00Z");
	(void)order(&(struct opt){ PHONE2, true, true, "INJ", NULL, NULL,
	    NULL, 0 }, ref2);
	pack_ship(ref2, NULL);
	deliver(ref2, "2026-03-08T10:00:00Z");
	/* Saturday: no digest. */
	s = run_at("2026-03-07T10:00:00Z", true, false);
	ck_assert(!s.digest_sent);
	/* Monday 08:30 local: not yet; 09:05: sent. */
	s = run_at("2026-03-09T07:30:00Z", true, false);
	ck_assert(!s.digest_sent);
	ck_assert_int_eq(kan_requests(), 0);
	ck_assert_int_eq(followup_digest_counts(st, centre,
	    T("2026-03-09T08:05:00Z"), &d, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(d.due, 2);
	ck_assert_int_eq(d.urgent, 1);
	ck_assert_int_eq(d.overdue, 1);
	ck_assert_int_eq(d.delivered, 1);	/* Sunday's */
	s = run_at("2026-03-09T08:05:00Z", true, false);
	ck_assert(s.digest_sent);
	ck_assert_str_eq(s.digest_day, "2026-03-09");
	ck_assert_int_eq(kan_requests(), 1);
	ck_assert_str_eq(kan.to, "+33600000001");
	ck_assert_str_eq(kan.coding, "0");
	ck_assert_msg(strncmp(kan.body, "hrpost: 2 calls due (1 urgent, 1 "
	    "overdue)", 40) == 0, "%s", kan.body);
	ck_assert_ptr_null(strstr(kan.body, "612345678"));
	ck_assert_ptr_null(strstr(kan.body, PSEUDO));
	ck_assert_ptr_null(strstr(kan.body, ref));
	ck_assert_int_eq(audits("digest.send"), 1);
	/* Once a day. */
	s = run_at("2026-03-09T13:00:00Z", true, false);
	ck_assert(!s.digest_sent);
	ck_assert_int_eq(kan_requests(), 1);
	/* Kannel busy the next day: released, sent on the next round. */
	kan.status = 503;
	ck_assert_int_eq(run_fails("2026-03-10T08:05:00Z"), -1);
	ck_assert_msg(strstr(errbuf, "digest not sent") != NULL, "%s", errbuf);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM digests", 0), 1);
	kan.status = 202;
	s = run_at("2026-03-10T08:10:00Z", true, false);
	ck_assert(s.digest_sent);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM digests WHERE "
	    "state = 'sent'", 0), 2);
	/* Without a phone: never. */
	rules.digest_phone[0] = '\0';
	s = run_at("2026-03-11T08:10:00Z", true, false);
	ck_assert(!s.digest_sent);
	audit_clean();
}
END_TEST

START_TEST(digest_waits_for_opening)
{
	struct followup_stats s;

	memcpy(rules.digest_phone, "+33600000001", sizeof("+33600000001"));
	/* 07:00 is before opening: the digest goes at 09:00. */
	rules.digest_time = 7 * 60;
	s = run_at("2026-03-09T06:30:00Z", true, false);
	ck_assert(!s.digest_sent);
	s = run_at("2026-03-09T08:00:00Z", true, false);
	ck_assert(s.digest_sent);
	/* 18:00 is after closing: no digest that day. */
	rules.digest_time = 18 * 60;
	s = run_at("2026-03-10T17:30:00Z", true, false);
	ck_assert(!s.digest_sent);
	ck_assert_int_eq(kan_requests(), 1);
}
END_TEST

START_TEST(migration_and_trigger)
{
	char ref[STORE_REF_MAX];
	int64_t rid, fid;

	/* Migration 5 (and any later one) applied. */
	ck_assert_int_ge(raw_int("PRAGMA user_version", 0), 5);
	set_now("2026-03-02T10:00:00Z");
	rid = order(&CALLER, ref);
	ck_assert_int_eq(raw_int("SELECT silence_at FROM recipients WHERE "
	    "id = ?", rid), T("2026-03-02T10:00:00Z"));
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-02T10:00:00Z",
	    "2026-03-02T10:00:00Z");
	raw_exec("UPDATE recipients SET do_not_call = 1");
	ck_assert_int_eq(raw_int("SELECT stop_upto FROM recipients WHERE "
	    "id = ?", rid), fid);
	/* Setting it again changes nothing; STOP later reaches further. */
	fid = inbox_task(rid, "urgent_sms_call", "2026-03-02T10:00:00Z",
	    "2026-03-02T10:00:00Z");
	raw_exec("UPDATE recipients SET do_not_call = 1");
	ck_assert_int_eq(raw_int("SELECT stop_upto FROM recipients WHERE "
	    "id = ?", rid), fid - 1);
	raw_exec("UPDATE recipients SET sms_stopped = 1");
	ck_assert_int_eq(raw_int("SELECT stop_upto FROM recipients WHERE "
	    "id = ?", rid), fid);
	/* Events are unique per centre. */
	raw_exec("UPDATE followups SET event = 'order:1' WHERE id = 1");
	ck_assert_int_ne(sqlite3_exec(store_db(st), "UPDATE followups SET "
	    "event = 'order:1' WHERE id = 2", NULL, NULL, NULL), SQLITE_OK);
}
END_TEST

static Suite *
followup_suite(void)
{
	Suite *s = suite_create("followup");
	TCase *tr = tcase_create("rules");
	TCase *th = tcase_create("hours");
	TCase *ts = tcase_create("scheduler");

	tcase_add_checked_fixture(tr, time_setup, NULL);
	tcase_add_test(tr, written_file_reads_back);
	tcase_add_test(tr, missing_file_is_defaults);
	tcase_add_loop_test(tr, rules_errors, 0, ARRAY_LEN(bad_rules));
	tcase_add_test(tr, rules_values);
	tcase_add_test(tr, rules_need_french_invitation);
	tcase_add_test(tr, rules_file_errors);
	tcase_add_test(tr, time_zone_checked);
	suite_add_tcase(s, tr);

	tcase_add_checked_fixture(th, time_setup, NULL);
	tcase_add_test(th, next_open_basics);
	tcase_add_test(th, spring_forward);
	tcase_add_test(th, fall_back);
	tcase_add_test(th, holidays_skipped);
	tcase_add_test(th, late_hours_and_midnight);
	tcase_add_test(th, days_back_and_local_day);
	tcase_add_test(th, never_open);
	suite_add_tcase(s, th);

	tcase_add_checked_fixture(ts, store_setup, store_teardown);
	tcase_set_timeout(ts, 60);
	tcase_add_test(ts, after_delivery_friday_to_monday);
	tcase_add_test(ts, no_call_without_consent_or_phone);
	tcase_add_test(ts, untracked_after_shipping);
	tcase_add_test(ts, for_others);
	tcase_add_test(ts, stale_events_skipped);
	tcase_add_test(ts, naloxone_nearing_expiry);
	tcase_add_test(ts, checkin_every_n_days);
	tcase_add_test(ts, checkin_counts_from_last_call);
	tcase_add_test(ts, silence_after_n_days);
	tcase_add_test(ts, flagged_order_is_urgent);
	tcase_add_test(ts, inbox_tasks_planned);
	tcase_add_test(ts, stop_ends_every_task);
	tcase_add_test(ts, stop_then_start_before_round);
	tcase_add_test(ts, every_outcome);
	tcase_add_test(ts, outcome_words);
	tcase_add_test(ts, no_answer_retries_then_invites);
	tcase_add_test(ts, invitation_sent_through_sendsms);
	tcase_add_test(ts, invitation_refused_or_stale);
	tcase_add_test(ts, notes_sealed_and_appended);
	tcase_add_test(ts, do_not_call_ends_the_rest);
	tcase_add_test(ts, staff_urgent_call);
	tcase_add_test(ts, contact_is_audited);
	tcase_add_test(ts, listing_oldest_first_today_only);
	tcase_add_test(ts, why_in_words);
	tcase_add_test(ts, digest_text_counts_only);
	tcase_add_test(ts, digest_once_a_day);
	tcase_add_test(ts, digest_waits_for_opening);
	tcase_add_test(ts, migration_and_trigger);
	suite_add_tcase(s, ts);
	return s;
}

CHECK_MAIN(followup_suite)
