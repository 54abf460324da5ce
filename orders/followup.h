/*
 * The follow-up scheduler: the phone call that follows a parcel must
 * happen.  Events in centre.db (a parcel delivered, or shipped without
 * tracking; a naloxone lot nearing its expiry; an order for several
 * people; weeks without a call or an order; an order flagged as unusual;
 * staff or an SMS asking for a call) become call-back tasks (rows of
 * followups) whose due times fall only in the centre's opening hours, and
 * what staff record after a call (reached, no answer, declined, naloxone
 * used, referred) closes a task, or schedules the next try, or the SMS
 * that invites a call, then stops.
 *
 * Rules.  One INI file, DIR/followup.ini (`hrpost init` writes a commented
 * default; a state without one uses the defaults), read with libinih in
 * hrpost's dialect (base/config.h); every key is known and checked, and an
 * error names "file:line: [section] key: reason", never echoing a value:
 *
 *   [hours]      timezone (IANA name, default Europe/Paris); mon tue wed
 *                thu fri sat sun: "closed" or up to 4 intervals
 *                "HH:MM-HH:MM" (24:00 allowed as an end), increasing, not
 *                overlapping (default mon-fri 09:00-12:30 14:00-17:00,
 *                sat and sun closed).  At least one day must open.
 *   [holidays]   "MM-DD = name" every year, "YYYY-MM-DD = name" once:
 *                closed days (at most FOLLOWUP_HOLIDAYS_MAX).
 *   [delivery]   after_days (call N days after delivery; 0 off; 3),
 *                untracked_days (M days after shipping when the parcel is
 *                not tracked: no carrier id, or no La Poste key; 0 off; 7)
 *   [for_others] after_days: an order for several people (for_people > 1)
 *                gets this call instead, asking that the friends call
 *                (0: they get the plain after-delivery call; 3)
 *   [checkin]    every_days: people who agreed to calls are called when
 *                no call reached them for N days (0 off; 60)
 *   [silence]    after_days: re-engagement after N days without an order
 *                or a call (0 off; 120)
 *   [naloxone]   days_before (0 off; 30), items (catalogue item codes
 *                whose lots are "naloxone"; NALOX)
 *   [urgent]     flagged (yes/no: call people whose order was flagged as
 *                unusual; yes)
 *   [retry]      hours (a call without answer is tried again N hours
 *                later, in opening hours; 4), calls (calls without answer
 *                before the SMS invitation, 1 to 10; 3), invite (yes/no)
 *   [invite]     <lang> = the SMS inviting a call, one per language (fr
 *                required; others fall back to fr); each fits one SMS
 *   [digest]     phone (the coordinator's, E.164 or French form; unset: no
 *                digest), time (HH:MM, default 09:00)
 *   [scheduler]  interval (seconds between two rounds of the console
 *                daemon, 60 to 3600; 300), catch_up_days (an event whose
 *                call would have been due longer ago than this is
 *                skipped, so a first run on an old database does not ask
 *                for calls about parcels of last year; 1 to 365; 14)
 *
 * Time.  Every decision reads clock_now() (passed in as @now).  Local
 * time is the process's: followup_tz_apply() sets TZ to the rules' time
 * zone once, before any thread starts (setenv is not thread-safe), and
 * localtime_r() does the rest, so daylight saving is the system's tz
 * database (tzdata); Europe/Paris works without it (a built-in POSIX
 * rule).  A local time that does not exist (spring forward) is taken an
 * hour later, as mktime() does; one that exists twice (autumn) is its
 * first occurrence.  "N days after" is calendar days: the first opening
 * time on the N-th local day after the event or later, so a delivery on
 * Friday evening with after_days 3 is due on Monday morning.
 *
 * Who is called.  Tasks the scheduler creates need a callable person:
 * consent to calls, a phone number, not "do not call", not SMS-stopped.
 * STOP (recipients.sms_stopped) or "do not call" (recipients.do_not_call,
 * `hrpost callback done --do-not-call`) cancels every task of that person
 * open at that moment (outcome 'stopped'; a trigger of migration 5
 * remembers the highest task id then), and no new task is created while
 * the flag is set; a call the person asks for afterwards (an SMS "call
 * me") still stands.
 *
 * Store.  centre.db migration 5 (orders/store.c) adds the columns and
 * indexes used here; every creation or change is one transaction with one
 * audit entry, and audit details never hold personal data (ids,
 * references, reasons, times, lot numbers).  Running the scheduler twice
 * creates nothing new: events are keyed (followups.event, unique), and
 * the periodic calls move per-person markers in the same transaction.
 *
 * Errors: functions return 0/-1 (or an enum) and write a sentence into
 * @errbuf that names fields and rules, never personal data.
 */
#ifndef HRPOST_FOLLOWUP_H
#define HRPOST_FOLLOWUP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "orders/phone.h"
#include "orders/sms.h"
#include "orders/store.h"
#include "shipping/catalogue.h"

struct centre_key;
struct sendsms_config;

#define FOLLOWUP_RULES_FILE "followup.ini"
#define FOLLOWUP_RULES_MAX (64 * 1024)	/* bytes of the rules file */
#define FOLLOWUP_TZ_MAX 64
#define FOLLOWUP_INTERVALS_MAX 4	/* opening intervals a day */
#define FOLLOWUP_HOLIDAYS_MAX 200
#define FOLLOWUP_ITEMS_MAX 8		/* [naloxone] items */
#define FOLLOWUP_LANGS_MAX 16		/* [invite] languages */
#define FOLLOWUP_DAYS_MAX 3650		/* any "N days" */
#define FOLLOWUP_SEARCH_DAYS 800	/* how far next_open looks */
#define FOLLOWUP_REASON_MAX 32		/* followups.reason */
#define FOLLOWUP_INFO_MAX 96		/* followups.info */
#define FOLLOWUP_WHY_MAX 160		/* a reason in words */
#define FOLLOWUP_NOTE_MAX 2000		/* characters of a staff note */
#define FOLLOWUP_NOTES_MAX (32 * 1024)	/* bytes of a task's notes */
#define FOLLOWUP_DAY_LEN 11		/* "YYYY-MM-DD" + NUL */
#define FOLLOWUP_DIGEST_MAX 161		/* one GSM SMS + NUL */

/* Reasons (followups.reason).  The inbox's are in orders/inbox.h. */
#define FOLLOWUP_AFTER_DELIVERY "after_delivery"
#define FOLLOWUP_AFTER_SHIPPING "after_shipping"
#define FOLLOWUP_FOR_OTHERS "for_others"
#define FOLLOWUP_NALOXONE "naloxone_expiry"
#define FOLLOWUP_CHECKIN "checkin"
#define FOLLOWUP_SILENCE "silence"
#define FOLLOWUP_FLAGGED "flagged"
#define FOLLOWUP_URGENT_STAFF "urgent_staff"

/* An opening interval, minutes from local midnight: [start, end). */
struct followup_interval {
	int start;
	int end;		/* up to 24 * 60 */
};

/* A closed day: @year 0 means every year. */
struct followup_holiday {
	int year;
	int month;
	int day;
};

struct followup_invite {
	char lang[CATALOGUE_LANG_MAX];
	char text[SMS_REPLY_BYTES];
};

struct followup_rules {
	char timezone[FOLLOWUP_TZ_MAX];
	/* Index: tm_wday (0 Sunday .. 6 Saturday). */
	struct followup_interval hours[7][FOLLOWUP_INTERVALS_MAX];
	size_t nhours[7];
	struct followup_holiday holidays[FOLLOWUP_HOLIDAYS_MAX];
	size_t nholidays;
	int delivery_days;		/* 0: off */
	int untracked_days;		/* 0: off */
	int for_others_days;		/* 0: plain after-delivery call */
	int checkin_days;		/* 0: off */
	int silence_days;		/* 0: off */
	int naloxone_days;		/* 0: off */
	char naloxone_items[FOLLOWUP_ITEMS_MAX][CATALOGUE_CODE_MAX];
	size_t nnaloxone_items;
	bool flagged;
	int retry_hours;
	int retry_calls;
	bool invite;
	struct followup_invite invites[FOLLOWUP_LANGS_MAX];
	size_t ninvites;
	char digest_phone[PHONE_E164_MAX];	/* "" : no digest */
	int digest_time;			/* minutes from midnight */
	int interval;				/* seconds */
	int catch_up_days;
};

/* The defaults listed above. */
void followup_rules_defaults(struct followup_rules *r);

/*
 * Parse the rules text @text (NUL-terminated; @name stands for the file in
 * messages) over the defaults already in @r.  Returns 0, or -1 with
 * "name:line: [section] key: reason" in @errbuf and @r unchanged.  Does
 * not look at the file system (the time zone is checked by
 * followup_tz_apply()).
 */
int followup_rules_parse(struct followup_rules *r, const char *name,
    const char *text, char *errbuf, size_t errsz) WUR;

/*
 * followup_rules_defaults() then the file @path when it exists (*found,
 * may be NULL, tells).  A missing file is not an error: the defaults
 * apply.  Returns 0, or -1 with the reason in @errbuf.
 */
int followup_rules_load(struct followup_rules *r, const char *path,
    bool *found, char *errbuf, size_t errsz) WUR;

/*
 * Write the commented default rules file to @path (temp file, fsync,
 * linked into place; an existing file is never replaced).  Returns 0, or
 * -1 with @errbuf.
 */
int followup_rules_write(const char *path, char *errbuf, size_t errsz) WUR;

/*
 * Make the rules' time zone the process's local time: TZ set and
 * tzset().  The zone must exist in the system's tz database ($TZDIR or
 * /usr/share/zoneinfo); Europe/Paris falls back to its POSIX rule when
 * tzdata is missing.  NOT thread-safe: call once at start, before any
 * thread runs.  Returns 0, or -1 with @errbuf.
 */
int followup_tz_apply(const struct followup_rules *r, char *errbuf,
    size_t errsz) WUR;

/* ---- opening-hours arithmetic (local time of the process) ---- */

/* true when @t falls in an opening interval of an open day. */
bool followup_is_open(const struct followup_rules *r, time_t t);

/*
 * The first instant at or after @t inside opening hours (@t itself when
 * open).  Returns 0, or -1 when nothing opens within
 * FOLLOWUP_SEARCH_DAYS.
 */
int followup_next_open(const struct followup_rules *r, time_t t,
    time_t *out) WUR;

/*
 * "@days days after @t": for @days > 0, the first opening time on the
 * local day @days after @t's or later; for 0, followup_next_open(@t);
 * negative @days count back (a day before expiry).  Returns 0 or -1.
 */
int followup_day_open(const struct followup_rules *r, time_t t, int days,
    time_t *out) WUR;

/* Local midnight of the day @days after @t's local day (0: its own). */
time_t followup_day_start(time_t t, int days);

/* @t's local day as "YYYY-MM-DD". */
void followup_local_day(time_t t, char out[FOLLOWUP_DAY_LEN]);

/* ---- the scheduler ---- */

/* What one round needs; not owned. */
struct followup_round {
	struct store *st;
	const struct followup_rules *rules;
	int64_t centre_id;
	/* La Poste tracking is on ([laposte] key set). */
	bool tracked;
	/*
	 * For the SMS side (invitations, digest): the private key (opens
	 * the person's number) and Kannel's sendsms.  Either NULL: pending
	 * invitations wait and no digest is sent.
	 */
	const struct centre_key *key;
	const struct sendsms_config *sms;
	const char *actor;		/* audit actor, e.g. "scheduler" */
};

struct followup_stats {
	int created;		/* tasks made from events */
	int planned;		/* tasks (inbox, staff) moved into hours */
	int cancelled;		/* stopped: STOP or do not call */
	int invited;		/* SMS invitations sent */
	int invite_failed;	/* invitations that could not be sent */
	bool digest_sent;
	char digest_day[FOLLOWUP_DAY_LEN];	/* when digest_sent */
};

/*
 * One round at @now: cancel the tasks of people who said STOP or do not
 * call, plan the tasks made elsewhere (the inbox's urgent SMS tasks, due
 * at the next opening time after they came), create the tasks of new
 * events (each once), then, when @rd has a key and sendsms: send the
 * pending SMS invitations (in opening hours only) and the day's digest
 * (followup_digest_send()).  Each change is its own transaction with its
 * audit entry, so a failure leaves what was done so far and the next
 * round takes up the rest.  Fills @stats (may be NULL).  Returns 0, or -1
 * with @errbuf (the round stopped there).
 */
int followup_run(const struct followup_round *rd, time_t now,
    struct followup_stats *stats, char *errbuf, size_t errsz) WUR;

enum followup_status {
	FOLLOWUP_OK = 0,
	FOLLOWUP_ERR_NOT_FOUND,	/* no such task (of this centre) */
	FOLLOWUP_ERR_CLOSED,	/* the task is no longer open */
	FOLLOWUP_ERR_INVALID,	/* bad argument (note too long...) */
	FOLLOWUP_ERR_KEY,	/* appending to a note needs the private key */
	FOLLOWUP_ERR_REFUSED,	/* the person cannot be called */
	FOLLOWUP_ERR_DB,	/* SQLite or sealing failed */
};

/* A task as listed: clear columns only, nothing sealed is opened. */
struct followup_task {
	int64_t id;
	int64_t recipient_id;
	int64_t order_id;		/* 0: none */
	char ref[STORE_REF_MAX];	/* the order's reference, "" none */
	char reason[FOLLOWUP_REASON_MAX + 1];
	char info[FOLLOWUP_INFO_MAX + 1];	/* per reason, see .c */
	time_t due_at;
	time_t created_at;
	int attempts;			/* calls without answer so far */
	bool urgent;
	bool overdue;			/* due before today */
};

/*
 * The open tasks of centre @centre_id due today or earlier (before the
 * next local midnight after @now), oldest due first, then by id: @cb is
 * called with each (valid during the call); a non-zero return stops
 * early.  Reads clear columns only through the index (centre_id, status,
 * due_at) and the orders' primary key: no sealed data is opened.
 * Returns 0 or -1 with @errbuf.
 */
int followup_due(struct store *st, int64_t centre_id, time_t now,
    int (*cb)(const struct followup_task *t, void *arg), void *arg,
    char *errbuf, size_t errsz) WUR;

/*
 * Task @id of centre @centre_id, open or not, as followup_due() lists
 * them; *status (may be NULL, 16 bytes) gets "open", "done" or
 * "cancelled".  Returns FOLLOWUP_OK, FOLLOWUP_ERR_NOT_FOUND or
 * FOLLOWUP_ERR_DB.
 */
enum followup_status followup_get(struct store *st, int64_t centre_id,
    int64_t id, time_t now, struct followup_task *t, char status[16],
    char *errbuf, size_t errsz) WUR;

/*
 * The reason of @t in words ("3 days after delivery of order ...",
 * "naloxone lot X expires on D", "asked to be called back by SMS"...),
 * without personal data.
 */
void followup_why(const struct followup_task *t, char *out, size_t outsz);

/* What staff record after a call. */
enum followup_outcome {
	FOLLOWUP_REACHED = 0,
	FOLLOWUP_NO_ANSWER,
	FOLLOWUP_DECLINED,
	FOLLOWUP_NALOXONE_USED,
	FOLLOWUP_REFERRED,
};

/*
 * "reached", "no-answer", "declined", "naloxone-used", "referred" (the
 * column's spelling with '_' is accepted too).  Returns 0 or -1.
 */
int followup_outcome_parse(const char *s, enum followup_outcome *out) WUR;

/* The followups.outcome value: "reached", "no_answer", ... */
const char *followup_outcome_column(enum followup_outcome o);

struct followup_done {
	enum followup_outcome outcome;
	const char *note;	/* NULL: none; sealed, appended */
	bool do_not_call;	/* the person asks never to be called */
	const char *actor;
	time_t now;
};

struct followup_done_result {
	bool closed;		/* false: a retry was scheduled */
	time_t next_due;	/* the retry's due time */
	int attempts;		/* calls without answer, this one included */
	bool invite_pending;	/* the SMS invitation will go out */
	bool invite_skipped;	/* it was due but is not allowed */
	int cancelled;		/* other tasks ended by do_not_call */
};


/*
 * Record the outcome of a call on open task @id of centre @centre_id, in
 * one transaction with one audit entry "followup.done" (or
 * "followup.retry"):
 *   no answer: attempts + 1; under [retry] calls, the task stays open,
 *     due [retry] hours later (in opening hours); at that count it closes
 *     (outcome no_answer) and, with [retry] invite on, consent to SMS,
 *     no STOP, an SMS invitation is left pending (sent by the next round
 *     that holds the key), else none (invite_skipped);
 *   any other outcome closes it with that outcome; a conversation
 *     (reached, declined, naloxone used, referred) is the person's last
 *     call (recipients.last_call_at), which the check-in and silence
 *     rules count from.
 * @d->note, when given (1 to FOLLOWUP_NOTE_MAX characters, UTF-8 without
 * control characters but newlines), is appended to the task's sealed note
 * (AAD "followups/<id>/note") under a line "--- <time> <actor>
 * <outcome>": the SMS text an inbox task holds, and earlier notes, are
 * kept above it.  A note needs @key, the private key (the note there is
 * opened, added to and sealed again; NULL: FOLLOWUP_ERR_KEY); without a
 * note @key may be NULL.
 * @d->do_not_call also sets recipients.do_not_call and cancels the
 * person's other open tasks (outcome 'stopped').  Fills @res (may be
 * NULL).
 */
enum followup_status followup_done(struct store *st,
    const struct centre_key *key, const struct followup_rules *rules,
    int64_t centre_id, int64_t id, const struct followup_done *d,
    struct followup_done_result *res, char *errbuf, size_t errsz) WUR;

/*
 * Staff ask for an urgent call to the person of order @ref (any form
 * store_order_get() takes), due at the next opening time after @now, with
 * an optional @note (sealed as followup_done() does: needs @key, which
 * may be NULL without a note).  Refused
 * (FOLLOWUP_ERR_REFUSED) when the person has no phone, said STOP or asked
 * not to be called.  One transaction, audit "followup.add".  Writes the
 * new task's id to *id.
 */
enum followup_status followup_add_urgent(struct store *st,
    const struct centre_key *key, const struct followup_rules *rules,
    int64_t centre_id, const char *ref, const char *note, const char *actor,
    time_t now, int64_t *id, char *errbuf, size_t errsz) WUR;

/* What staff need to make a call; wipe with followup_contact_clear(). */
struct followup_contact {
	char phone[PHONE_E164_MAX];	/* "" when none on file */
	char lang[CATALOGUE_LANG_MAX];
	char *notes;			/* malloc'd, NULL when none */
	size_t notes_len;
};

/*
 * Open the phone number of task @id's person (and, with @with_notes, the
 * task's sealed notes) with the private key @key, and append the audit
 * entry "followup.phone" (or "followup.show") naming @actor, in one
 * transaction: nothing is shown without its audit entry.  Returns
 * FOLLOWUP_OK, FOLLOWUP_ERR_NOT_FOUND or FOLLOWUP_ERR_DB.
 */
enum followup_status followup_contact(struct store *st,
    const struct centre_key *key, int64_t centre_id, int64_t id,
    bool with_notes, const char *actor, struct followup_contact *out,
    char *errbuf, size_t errsz) WUR;

void followup_contact_clear(struct followup_contact *c);

/* ---- the daily digest ---- */

struct followup_digest {
	int due;		/* open tasks due today or earlier */
	int urgent;		/* among them */
	int overdue;		/* among them, due before today */
	int delivered;		/* parcels delivered yesterday */
	int after_delivery;	/* due tasks by kind */
	int checkin;
	int naloxone;
	int others;		/* for_others */
	int silence;
	int sms;		/* asked by SMS */
};

/* The counts for the day of @now.  Returns 0 or -1. */
int followup_digest_counts(struct store *st, int64_t centre_id, time_t now,
    struct followup_digest *d, char *errbuf, size_t errsz) WUR;

/*
 * The digest as one GSM 7-bit SMS of at most 160 characters, counts and
 * reasons only: "hrpost: 5 calls due (2 urgent, 1 overdue): 2 after
 * delivery, 1 check-in, 2 by SMS. 3 parcels delivered yesterday."
 * (reasons that do not fit are left out).
 */
void followup_digest_text(const struct followup_digest *d,
    char out[FOLLOWUP_DIGEST_MAX]);

/*
 * Send the digest of @now's local day to [digest] phone through
 * @rd->sms, once a day: only on an open day, once the local time is at
 * or after [digest] time and within opening hours, and only when no
 * digest is recorded for that day (table digests: the day is claimed in
 * one transaction before sending, so two rounds never both send; a
 * failed send releases it for the next round).  *sent tells whether it
 * went now.  Returns 0 (also when nothing was due), or -1 with @errbuf.
 */
int followup_digest_send(const struct followup_round *rd, time_t now,
    bool *sent, char *errbuf, size_t errsz) WUR;

#endif
