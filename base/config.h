/*
 * hrpost.conf: one INI file, read with libinih.  Every key is known here and
 * documented in README.md; an unknown section or key, a repeated key, or a
 * bad value is an error naming file, line and key.
 *
 * Paths in the file are relative to the state directory unless absolute.
 */
#ifndef HRPOST_CONFIG_H
#define HRPOST_CONFIG_H

#include <stddef.h>
#include <limits.h>

#include "base/util.h"

#define CONFIG_PATH_MAX 4096
#define CONFIG_STR_MAX 128

struct config {
	char dir[CONFIG_PATH_MAX];	/* the state directory */
	char path[CONFIG_PATH_MAX];	/* the file that was read */

	/* [hrpost] */
	char centre[CONFIG_STR_MAX];	/* centre code this install works for */
	char templates[CONFIG_PATH_MAX];/* templates directory (absolute) */
	char lang[8];			/* default language for new orders */

	/* [store] */
	char centre_db[CONFIG_PATH_MAX];	/* absolute */
	char intake_db[CONFIG_PATH_MAX];	/* absolute */

	/* [keys] */
	char private_key[CONFIG_PATH_MAX];	/* absolute */
	char public_key[CONFIG_PATH_MAX];	/* absolute */

	/* [orders]: unusual orders are flagged for a call, never refused */
	int flag_qty;		/* total packs in one order above this: flag */
	int flag_days;		/* a second order within this many days: flag */

	/* [intake]: the public daemon */
	char intake_listen[64];		/* ADDR:PORT */
	char intake_public_url[256];	/* base of tracking links */
	char intake_user[33];		/* drop to this user when root */
	char intake_token[129];		/* bearer token for /outbox; "" closed */
	int intake_threads;

	/* [console]: the centre's daemon */
	char console_listen[64];
	char console_user[33];
	char console_intake_url[256];	/* where to pull from */
	char console_intake_token[129];
	char console_ca_file[CONFIG_PATH_MAX];	/* "" system CAs */
	int pull_interval;		/* seconds */

	/* [sms]: Kannel */
	char sms_secret[129];		/* "" : /sms refuses everyone */
	char sms_allow[256];		/* "" : any address */
	char sms_sendsms_url[256];	/* "" : no SMS sent */
	char sms_sendsms_user[CONFIG_STR_MAX];
	char sms_sendsms_password[CONFIG_STR_MAX];
	char sms_sender[32];

	/* [limits] */
	int web_per_minute;		/* requests per address per minute */
	int orders_per_hour;		/* orders per address per hour */
	int sms_per_hour;		/* SMS per sender per hour */
	int track_per_minute;		/* /t/ misses per address per minute */

	/* [printer] */
	char printer_queue[CONFIG_STR_MAX];	/* "" : files */
	char printer_format[8];			/* pdf png zpl */
	char printer_size[8];			/* 100x150 a4 */
	char labels_dir[CONFIG_PATH_MAX];

	/* [sender]: neutral sender block on labels */
	char sender_name[160];
	char sender_line[160];
	char sender_postcode[16];
	char sender_commune[160];

	/* [laposte]: carrier tracking */
	char laposte_url[256];
	char laposte_key[CONFIG_STR_MAX];	/* "" : no polling */
	char laposte_lang[8];
	int laposte_poll;			/* seconds */

	/* [centre]: how people reach the coordinator */
	char centre_phone[32];
};

/*
 * Fill @cfg with defaults for state directory @dir (absolute or relative;
 * stored as given) and templates directory @templates.
 */
void config_defaults(struct config *cfg, const char *dir,
    const char *templates);

/*
 * Read @path over the defaults already in @cfg.  On error returns -1 and
 * writes "file:line: key: reason" into @errbuf.
 */
int config_load(struct config *cfg, const char *path, char *errbuf,
    size_t errsz) WUR;

/* Parse from memory (for tests and fuzzing); @name stands for the file. */
int config_parse_string(struct config *cfg, const char *name,
    const char *text, char *errbuf, size_t errsz) WUR;

/*
 * Write a commented config file for @cfg to @path (temp file, fsync,
 * rename; must not exist).  Used by `hrpost init`.
 */
int config_write(const struct config *cfg, const char *path, char *errbuf,
    size_t errsz) WUR;

/*
 * hrpost's INI dialect, for every file read with libinih (hrpost.conf,
 * templates/packs.ini, templates/i18n/<lang>.ini).  Left alone, libinih
 * cuts a line longer than its buffer into pieces it parses and counts as
 * lines, joins an indented line to the key above, truncates long section
 * names, ignores what follows "]", and never shows its handler a section
 * without keys.  config_ini_check() refuses all of that before libinih
 * runs: lines of at most CONFIG_INI_LINE_MAX bytes, no indented line other
 * than a comment, headers "[name]" of 1 to CONFIG_INI_SECTION_MAX bytes
 * followed by nothing but a comment, no key before the first header, and
 * every other line "key = value" (libinih's own syntax check).
 *
 * @on_section (may be NULL) is called once per header, in file order, when
 * its section ends, with its line and the number of keys it holds; it
 * returns 0, or -1 after writing "file:line: reason" into @errbuf.
 * Returns 0, or -1 with "@name:line: reason" in @errbuf.
 */
#define CONFIG_INI_LINE_MAX 190
#define CONFIG_INI_SECTION_MAX 40
int config_ini_check(const char *name, const char *text,
    int (*on_section)(void *arg, const char *section, int line, int nkeys,
    char *errbuf, size_t errsz), void *arg, char *errbuf, size_t errsz) WUR;

/*
 * Read INI file @path whole: a regular file (a FIFO is not waited on) of
 * at most @max bytes without NUL bytes, which would hide the rest of the
 * file from libinih.  Returns a malloc'd NUL-terminated string the caller
 * frees, or NULL with "path: reason" in @errbuf.
 */
char *config_ini_read(const char *path, size_t max, char *errbuf,
    size_t errsz);

/*
 * The line of the @ordinal-th "key = value" (from 1) libinih reads in
 * @text, a text config_ini_check() accepted; 0 when there is none.  Lets a
 * check made after parsing name the line it is about.
 */
int config_ini_key_line(const char *text, unsigned ordinal);

#endif
