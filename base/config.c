/*
 * hrpost.conf, and hrpost's INI dialect.  The file is read with libinih
 * over the defaults, every key is known, and an error names file, line,
 * section and key but never the value.  config_ini_check() holds the rules
 * libinih does not enforce (see config.h) for every INI file hrpost reads.
 * config_write() produces the commented file `hrpost init` leaves behind,
 * written to a temp file, fsync'd and linked into place without ever
 * replacing an existing file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ini.h>

#include "base/config.h"


/* INI dialect -------------------------------------------------------------- */

static bool
ini_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* libinih's syntax check: a handler that takes everything. */
static int
accept_all(void *arg, const char *section, const char *key,
    const char *value)
{
	(void)arg;
	(void)section;
	(void)key;
	(void)value;
	return 1;
}

struct key_stop {
	unsigned n;
	unsigned at;
};

/* Fail at the @at-th key, so that ini_parse_string() returns its line. */
static int
stop_at(void *arg, const char *section, const char *key, const char *value)
{
	struct key_stop *ks = arg;

	(void)section;
	(void)key;
	(void)value;
	ks->n++;
	return ks->n != ks->at;
}

int
config_ini_key_line(const char *text, unsigned ordinal)
{
	struct key_stop ks = { 0, ordinal };
	int rc;

	if (ordinal == 0)
		return 0;
	rc = ini_parse_string(text, stop_at, &ks);
	return rc > 0 ? rc : 0;
}

char *
config_ini_read(const char *path, size_t max, char *errbuf, size_t errsz)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: a FIFO put in the file's place must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		errbuf_set(errbuf, errsz, "%s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		errbuf_set(errbuf, errsz, "%s: not a regular file",
		    path);
		goto fail;
	}
	if (sb.st_size < 0 || (unsigned long long)sb.st_size > max) {
		errbuf_set(errbuf, errsz, "%s: larger than %zu bytes",
		    path, max);
		goto fail;
	}
	buf = malloc(max + 1);
	if (buf == NULL) {
		errbuf_set(errbuf, errsz, "%s: out of memory", path);
		goto fail;
	}
	/* Read up to max + 1 bytes: the file may grow after fstat(). */
	while (len < max + 1) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errbuf_set(errbuf, errsz, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		errbuf_set(errbuf, errsz, "%s: larger than %zu bytes",
		    path, max);
		goto fail;
	}
	if (memchr(buf, '\0', len) != NULL) {
		errbuf_set(errbuf, errsz, "%s: contains a NUL byte",
		    path);
		goto fail;
	}
	buf[len] = '\0';
	(void)close(fd);
	return buf;
fail:
	if (fd >= 0)
		(void)close(fd);
	free(buf);
	return NULL;
}

int
config_ini_check(const char *name, const char *text,
    int (*on_section)(void *arg, const char *section, int line, int nkeys,
    char *errbuf, size_t errsz), void *arg, char *errbuf, size_t errsz)
{
	char section[CONFIG_INI_SECTION_MAX + 1] = "";
	const char *p = text;
	int line = 0, section_line = 0, nkeys = 0, rc;

	/* libinih skips a UTF-8 byte order mark on the first line. */
	if ((unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb &&
	    (unsigned char)p[2] == 0xbf)
		p += 3;
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		const char *s = p, *end = p + len;

		line++;
		/*
		 * libinih reads at most 199 bytes at a time and takes the rest
		 * of a longer line for a line of its own: refuse before that.
		 */
		if (len > CONFIG_INI_LINE_MAX) {
			errbuf_set(errbuf, errsz, "%s:%d: line longer "
			    "than %d bytes", name, line, CONFIG_INI_LINE_MAX);
			return -1;
		}
		while (s < end && ini_space(*s))
			s++;
		if (s == end || *s == ';' || *s == '#') {
			/* Blank line or comment. */
		} else if (s != p) {
			/* libinih would glue it to the key above. */
			errbuf_set(errbuf, errsz, "%s:%d: indented line "
			    "(continuation lines are not allowed)", name, line);
			return -1;
		} else if (*s == '[') {
			const char *close = memchr(s, ']', len);
			const char *t;
			size_t n;

			if (close == NULL) {
				errbuf_set(errbuf, errsz, "%s:%d: section "
				    "header without ']'", name, line);
				return -1;
			}
			for (t = close + 1; t < end && ini_space(*t); t++)
				;
			if (t < end && *t != ';' && *t != '#') {
				errbuf_set(errbuf, errsz, "%s:%d: text "
				    "after the section header", name, line);
				return -1;
			}
			n = (size_t)(close - s - 1);
			if (n == 0 || n > CONFIG_INI_SECTION_MAX) {
				errbuf_set(errbuf, errsz, "%s:%d: section "
				    "name must be 1 to %d bytes", name, line,
				    CONFIG_INI_SECTION_MAX);
				return -1;
			}
			if (section_line > 0 && on_section != NULL &&
			    on_section(arg, section, section_line, nkeys,
			    errbuf, errsz) < 0)
				return -1;
			memcpy(section, s + 1, n);
			section[n] = '\0';
			section_line = line;
			nkeys = 0;
		} else {
			if (section_line == 0) {
				errbuf_set(errbuf, errsz, "%s:%d: key "
				    "outside any [section]", name, line);
				return -1;
			}
			nkeys++;
		}
		p = eol != NULL ? eol + 1 : end;
	}
	if (section_line > 0 && on_section != NULL &&
	    on_section(arg, section, section_line, nkeys, errbuf, errsz) < 0)
		return -1;

	/* What remains for libinih to refuse: a line without '=' or ':'. */
	rc = ini_parse_string(text, accept_all, NULL);
	if (rc > 0) {
		errbuf_set(errbuf, errsz, "%s:%d: expected 'key = "
		    "value'", name, rc);
		return -1;
	}
	if (rc < 0) {
		errbuf_set(errbuf, errsz, "%s: cannot be parsed", name);
		return -1;
	}
	return 0;
}

/* hrpost.conf -------------------------------------------------------------- */

#ifndef HRPOST_DATADIR
#define HRPOST_DATADIR "/usr/local/share/hrpost"
#endif

#define CONFIG_FILE_MAX (64 * 1024)
#define CONFIG_CENTRE_MAX 32
#define CONFIG_WRITE_MAX (16 * 1024)

enum key_kind {
	KEY_CENTRE,	/* [a-z0-9-]{1,32} */
	KEY_LANG,	/* [a-z]{2,3} */
	KEY_PATH,	/* relative to the state directory unless absolute */
	KEY_INT,	/* whole number in [min, max] */
	KEY_LISTEN,	/* ADDR:PORT, a numeric IPv4 or [IPv6] address */
	KEY_URL,	/* http:// or https:// URL, no spaces */
	KEY_USER,	/* a user name for dropping privileges */
	KEY_SECRET,	/* shared secret: 16 to 128 of A-Z a-z 0-9 - _ */
	KEY_TEXT,	/* one line of printable text */
	KEY_ADDRLIST,	/* comma-separated numeric IP addresses */
	KEY_CHOICE,	/* one of the words in choices */
};

/* Keys that may be left out (empty): they stay commented in a new file. */
#define OPT 1

#define STR_FIELD(f) offsetof(struct config, f), \
	sizeof(((struct config *)NULL)->f)
#define INT_FIELD(f) offsetof(struct config, f), sizeof(int)

/* Every key hrpost.conf knows, in the order config_write() writes them. */
static const struct config_key {
	const char *section;
	const char *key;
	enum key_kind kind;
	size_t off;
	size_t size;
	long min, max;
	const char *help;	/* the comment above it in a written file */
	int optional;		/* OPT: empty means "not set" */
	const char *choices;	/* KEY_CHOICE: space-separated words */
} config_keys[] = {
	{ "hrpost", "centre", KEY_CENTRE, STR_FIELD(centre), 0, 0,
	  "# Code of the centre this installation works for (1 to 32 of\n"
	  "# a-z, 0-9 and '-'; it must exist in centre.db).", 0, NULL },
	{ "hrpost", "templates", KEY_PATH, STR_FIELD(templates), 0, 0,
	  "# Templates directory: every text people see, per language\n"
	  "# (i18n/<lang>.ini), and the packs catalogue (packs.ini).", 0, NULL },
	{ "hrpost", "lang", KEY_LANG, STR_FIELD(lang), 0, 0,
	  "# Language of an order that names none (2 or 3 letters a-z;\n"
	  "# templates/i18n/<lang>.ini must exist).", 0, NULL },
	{ "store", "centre_db", KEY_PATH, STR_FIELD(centre_db), 0, 0,
	  "# The centre's database (console side): orders, stock, follow-ups\n"
	  "# and the audit chain; personal data in it is sealed.", 0, NULL },
	{ "store", "intake_db", KEY_PATH, STR_FIELD(intake_db), 0, 0,
	  "# The intake node's sealed outbox, where web and SMS orders wait\n"
	  "# for the console.", 0, NULL },
	{ "keys", "private", KEY_PATH, STR_FIELD(private_key), 0, 0,
	  "# The centre's private key (PEM PKCS#8, console only): it opens\n"
	  "# sealed personal data.  Keep it off the intake node.", 0, NULL },
	{ "keys", "public", KEY_PATH, STR_FIELD(public_key), 0, 0,
	  "# The centre's public key: the intake node seals orders with it.", 0, NULL },
	{ "orders", "flag_qty", KEY_INT, INT_FIELD(flag_qty), 0, 100000,
	  "# Flag an order of more packs than this in total, for a call\n"
	  "# (0 to 100000; 0: never).  Nothing is ever refused.", 0, NULL },
	{ "orders", "flag_days", KEY_INT, INT_FIELD(flag_days), 0, 365,
	  "# Flag a second order from the same person within this many days\n"
	  "# (0 to 365; 0: never).", 0, NULL },
	{ "intake", "listen", KEY_LISTEN, STR_FIELD(intake_listen), 0, 0,
	  "# Where the public intake daemon listens (ADDR:PORT; put a TLS\n"
	  "# proxy in front of it on the internet).", 0, NULL },
	{ "intake", "public_url", KEY_URL, STR_FIELD(intake_public_url), 0, 0,
	  "# The intake node's address as people reach it: tracking links\n"
	  "# (<public_url>/t/<code>) and QR codes are built from it.", 0, NULL },
	{ "intake", "user", KEY_USER, STR_FIELD(intake_user), 0, 0,
	  "# Unprivileged user the intake daemon runs as once its port is\n"
	  "# bound, when started as root.", 0, NULL },
	{ "intake", "token", KEY_SECRET, STR_FIELD(intake_token), 0, 0,
	  "# Bearer token the console must present on /outbox (16 to 128 of\n"
	  "# A-Z a-z 0-9 - _).  Unset: the outbox is closed.", OPT, NULL },
	{ "intake", "threads", KEY_INT, INT_FIELD(intake_threads), 1, 64,
	  "# Worker threads of the intake daemon (1 to 64).", 0, NULL },
	{ "console", "listen", KEY_LISTEN, STR_FIELD(console_listen), 0, 0,
	  "# Where the staff console listens (ADDR:PORT; the centre's LAN\n"
	  "# or localhost only).", 0, NULL },
	{ "console", "user", KEY_USER, STR_FIELD(console_user), 0, 0,
	  "# Unprivileged user the console runs as once its port is bound,\n"
	  "# when started as root.", 0, NULL },
	{ "console", "intake_url", KEY_URL, STR_FIELD(console_intake_url), 0, 0,
	  "# The intake node the console pulls sealed orders from\n"
	  "# (https is verified against the system's or ca_file's CAs).", 0,
	  NULL },
	{ "console", "intake_token", KEY_SECRET, STR_FIELD(console_intake_token),
	  0, 0,
	  "# The intake node's [intake] token.", OPT, NULL },
	{ "console", "ca_file", KEY_PATH, STR_FIELD(console_ca_file), 0, 0,
	  "# CA certificates for an https intake_url (unset: the system's).",
	  OPT, NULL },
	{ "console", "pull_interval", KEY_INT, INT_FIELD(pull_interval), 1,
	  86400,
	  "# Seconds between two pulls from the intake node (1 to 86400).", 0,
	  NULL },
	{ "sms", "secret", KEY_SECRET, STR_FIELD(sms_secret), 0, 0,
	  "# Shared secret Kannel passes as ?secret= on /sms (16 to 128 of\n"
	  "# A-Z a-z 0-9 - _).  Unset: /sms answers 403 to everyone.", OPT,
	  NULL },
	{ "sms", "allow", KEY_ADDRLIST, STR_FIELD(sms_allow), 0, 0,
	  "# Addresses Kannel's smsbox calls /sms from (comma-separated;\n"
	  "# unset: any address that knows the secret).", OPT, NULL },
	{ "sms", "sendsms_url", KEY_URL, STR_FIELD(sms_sendsms_url), 0, 0,
	  "# Kannel's sendsms URL for SMS to people and staff, e.g.\n"
	  "# http://127.0.0.1:13013/cgi-bin/sendsms (unset: no SMS sent).",
	  OPT, NULL },
	{ "sms", "sendsms_user", KEY_TEXT, STR_FIELD(sms_sendsms_user), 0, 0,
	  "# Kannel sendsms-user username.", OPT, NULL },
	{ "sms", "sendsms_password", KEY_TEXT, STR_FIELD(sms_sendsms_password),
	  0, 0,
	  "# Kannel sendsms-user password.", OPT, NULL },
	{ "sms", "sender", KEY_TEXT, STR_FIELD(sms_sender), 0, 0,
	  "# The number SMS are sent from (the centre's short number).", OPT,
	  NULL },
	{ "limits", "web_per_minute", KEY_INT, INT_FIELD(web_per_minute), 1,
	  100000,
	  "# Requests one address may make to the intake node per minute\n"
	  "# before it gets 429 (1 to 100000).", 0, NULL },
	{ "limits", "orders_per_hour", KEY_INT, INT_FIELD(orders_per_hour), 1,
	  100000,
	  "# Orders one address may post per hour (1 to 100000).", 0, NULL },
	{ "limits", "sms_per_hour", KEY_INT, INT_FIELD(sms_per_hour), 1, 100000,
	  "# SMS one sender may send per hour before replies stop\n"
	  "# (1 to 100000).", 0, NULL },
	{ "limits", "track_per_minute", KEY_INT, INT_FIELD(track_per_minute),
	  1, 100000,
	  "# Wrong or unknown tracking codes one address may try per minute\n"
	  "# on /t/ before all its tracking requests get 429 (1 to 100000).",
	  0, NULL },
	{ "printer", "queue", KEY_TEXT, STR_FIELD(printer_queue), 0, 0,
	  "# CUPS queue labels go to (unset: files under labels_dir).", OPT,
	  NULL },
	{ "printer", "format", KEY_CHOICE, STR_FIELD(printer_format), 0, 0,
	  "# Label format: pdf, png or zpl (thermal printers).", 0,
	  "pdf png zpl" },
	{ "printer", "size", KEY_CHOICE, STR_FIELD(printer_size), 0, 0,
	  "# Label size: 100x150 (thermal, mm) or a4 (sheets).", 0,
	  "100x150 a4" },
	{ "printer", "labels_dir", KEY_PATH, STR_FIELD(labels_dir), 0, 0,
	  "# Where labels and slips are written when no queue is set.", 0,
	  NULL },
	{ "sender", "name", KEY_TEXT, STR_FIELD(sender_name), 0, 0,
	  "# Sender block on labels: a neutral name, never the centre's\n"
	  "# purpose (at most 38 characters a line).", 0, NULL },
	{ "sender", "line", KEY_TEXT, STR_FIELD(sender_line), 0, 0,
	  "# Sender address line, often a BP.", 0, NULL },
	{ "sender", "postcode", KEY_TEXT, STR_FIELD(sender_postcode), 0, 0,
	  "# Sender postcode.", 0, NULL },
	{ "sender", "commune", KEY_TEXT, STR_FIELD(sender_commune), 0, 0,
	  "# Sender commune.", 0, NULL },
	{ "laposte", "url", KEY_URL, STR_FIELD(laposte_url), 0, 0,
	  "# Base URL of La Poste's tracking API (Suivi v2); ids are\n"
	  "# appended as /idships/ID1,ID2?lang=...", 0, NULL },
	{ "laposte", "key", KEY_TEXT, STR_FIELD(laposte_key), 0, 0,
	  "# The X-Okapi-Key of the centre's La Poste developer account\n"
	  "# (unset: no carrier tracking; staff mark parcels by hand).", OPT,
	  NULL },
	{ "laposte", "lang", KEY_CHOICE, STR_FIELD(laposte_lang), 0, 0,
	  "# Language of La Poste's event labels.", 0, "fr_FR en_GB" },
	{ "laposte", "poll_interval", KEY_INT, INT_FIELD(laposte_poll), 60,
	  86400,
	  "# Seconds between two tracking polls by the console (60 to 86400).",
	  0, NULL },
	{ "centre", "phone", KEY_TEXT, STR_FIELD(centre_phone), 0, 0,
	  "# How people reach the coordinator: shown on the tracking page,\n"
	  "# the packing slip and SMS replies.", OPT, NULL },
};

_Static_assert(ARRAY_LEN(config_keys) <= 64, "one bit per key in seen");

static const char *const config_sections[] = {
	"hrpost", "store", "keys", "orders", "intake", "console", "sms",
	"limits", "printer", "sender", "centre", "laposte",
};

static char *
field_str(struct config *cfg, const struct config_key *k)
{
	return (char *)cfg + k->off;
}

static const char *
field_cstr(const struct config *cfg, const struct config_key *k)
{
	return (const char *)cfg + k->off;
}

static int *
field_int(struct config *cfg, const struct config_key *k)
{
	return (int *)(void *)((char *)cfg + k->off);
}

static int
field_cint(const struct config *cfg, const struct config_key *k)
{
	return *(const int *)(const void *)((const char *)cfg + k->off);
}

static bool
valid_centre(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > CONFIG_CENTRE_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return false;
	return true;
}

static bool
valid_lang(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 3)
		return false;
	for (; *s != '\0'; s++)
		if (*s < 'a' || *s > 'z')
			return false;
	return true;
}

/* "A.B.C.D:PORT" or "[IPv6]:PORT", port 1 to 65535. */
static bool
valid_listen(const char *s)
{
	char host[INET6_ADDRSTRLEN + 2];
	unsigned char buf[sizeof(struct in6_addr)];
	const char *colon = strrchr(s, ':');
	long port;
	size_t n;

	if (colon == NULL || parse_long(colon + 1, 1, 65535, &port) < 0)
		return false;
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, s, n);
	host[n] = '\0';
	if (host[0] == '[') {
		if (n < 3 || host[n - 1] != ']')
			return false;
		host[n - 1] = '\0';
		return inet_pton(AF_INET6, host + 1, buf) == 1;
	}
	return inet_pton(AF_INET, host, buf) == 1;
}

/* http:// or https:// with a host, printable ASCII, no spaces. */
static bool
valid_url(const char *s)
{
	const char *host;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return false;
	if (*host == '\0' || *host == '/' || *host == ':')
		return false;
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f || *s == '"' || *s == '<' ||
		    *s == '>' || *s == '\\')
			return false;
	return true;
}

/* A POSIX-ish user name: [a-z_][a-z0-9_-]{0,31}. */
static bool
valid_user(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 32 || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_' || *s == '-'))
			return false;
	return true;
}

/* 16 to 128 of A-Z a-z 0-9 - _: safe in a URL, a header and a file. */
static bool
valid_secret(const char *s)
{
	size_t n = strlen(s);

	if (n < 16 || n > 128)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* "127.0.0.1, ::1": numeric addresses separated by commas. */
static bool
valid_addrlist(const char *s)
{
	char one[INET6_ADDRSTRLEN + 1];
	unsigned char buf[sizeof(struct in6_addr)];

	for (;;) {
		size_t n;

		while (*s == ' ')
			s++;
		n = strcspn(s, ", ");
		if (n == 0 || n >= sizeof(one))
			return false;
		memcpy(one, s, n);
		one[n] = '\0';
		if (inet_pton(AF_INET, one, buf) != 1 &&
		    inet_pton(AF_INET6, one, buf) != 1)
			return false;
		s += n;
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return true;
		if (*s++ != ',')
			return false;
	}
}

/* true when @v is one of the space-separated words of @choices. */
static bool
valid_choice(const char *v, const char *choices)
{
	size_t n = strlen(v);

	while (*choices != '\0') {
		size_t w = strcspn(choices, " ");

		if (w == n && strncmp(v, choices, n) == 0)
			return true;
		choices += w;
		while (*choices == ' ')
			choices++;
	}
	return false;
}

/*
 * Check @v against the rule of its kind (not KEY_INT, KEY_PATH); on error
 * write "[section] key: reason" into @why and return -1.
 */
static int
check_value(const struct config_key *k, const char *v, char *why,
    size_t whysz)
{
	switch (k->kind) {
	case KEY_CENTRE:
		if (valid_centre(v))
			return 0;
		errbuf_set(why, whysz, "[%s] %s: 1 to %d characters among "
		    "a-z, 0-9 and '-'", k->section, k->key, CONFIG_CENTRE_MAX);
		return -1;
	case KEY_LANG:
		if (valid_lang(v))
			return 0;
		errbuf_set(why, whysz, "[%s] %s: 2 or 3 letters a-z",
		    k->section, k->key);
		return -1;
	case KEY_LISTEN:
		if (valid_listen(v))
			return 0;
		errbuf_set(why, whysz, "[%s] %s: must be ADDR:PORT with a "
		    "numeric address (127.0.0.1:8080, [::1]:8080)", k->section,
		    k->key);
		return -1;
	case KEY_URL:
		if (valid_url(v))
			return 0;
		errbuf_set(why, whysz, "[%s] %s: must be an http:// or https:// "
		    "URL without spaces", k->section, k->key);
		return -1;
	case KEY_USER:
		if (valid_user(v))
			return 0;
		errbuf_set(why, whysz, "[%s] %s: must be a user name (a-z, 0-9, "
		    "'_' and '-', at most 32)", k->section, k->key);
		return -1;
	case KEY_SECRET:
		if (valid_secret(v))
			return 0;
		errbuf_set(why, whysz, "[%s] %s: must be 16 to 128 characters "
		    "among A-Z, a-z, 0-9, '-' and '_'", k->section, k->key);
		return -1;
	case KEY_ADDRLIST:
		if (valid_addrlist(v))
			return 0;
		errbuf_set(why, whysz, "[%s] %s: must be numeric IP addresses "
		    "separated by commas", k->section, k->key);
		return -1;
	case KEY_CHOICE:
		if (valid_choice(v, k->choices))
			return 0;
		errbuf_set(why, whysz, "[%s] %s: must be one of: %s",
		    k->section, k->key, k->choices);
		return -1;
	case KEY_TEXT:
	case KEY_PATH:
	case KEY_INT:
		return 0;
	}
	return -1;
}

/* @rel against @dir, unless absolute.  Returns 0, or -1: too long. */
static int
join(char *out, size_t outsz, const char *dir, const char *rel)
{
	size_t n = strlen(dir);

	if (rel[0] == '/' || n == 0)
		return str_copy(out, outsz, rel);
	if (dir[n - 1] == '/')
		return str_printf(out, outsz, "%s%s", dir, rel) < 0 ? -1 : 0;
	return str_printf(out, outsz, "%s/%s", dir, rel) < 0 ? -1 : 0;
}

void
config_defaults(struct config *cfg, const char *dir, const char *templates)
{
	memset(cfg, 0, sizeof(*cfg));
	if (dir == NULL)
		dir = ".";
	if (templates == NULL || *templates == '\0')
		templates = HRPOST_DATADIR "/templates";
	/*
	 * A path that does not fit is left empty, never cut short;
	 * config_parse_string() refuses a config with an empty path.
	 */
	if (str_copy(cfg->dir, sizeof(cfg->dir), dir) < 0 ||
	    join(cfg->centre_db, sizeof(cfg->centre_db), dir,
	    "centre.db") < 0)
		cfg->centre_db[0] = '\0';
	if (join(cfg->intake_db, sizeof(cfg->intake_db), dir,
	    "intake.db") < 0)
		cfg->intake_db[0] = '\0';
	if (join(cfg->private_key, sizeof(cfg->private_key), dir,
	    "keys/centre.key") < 0)
		cfg->private_key[0] = '\0';
	if (join(cfg->public_key, sizeof(cfg->public_key), dir,
	    "keys/centre.pub") < 0)
		cfg->public_key[0] = '\0';
	if (str_copy(cfg->templates, sizeof(cfg->templates), templates) < 0)
		cfg->templates[0] = '\0';
	memcpy(cfg->centre, "demo", sizeof("demo"));
	memcpy(cfg->lang, "fr", sizeof("fr"));
	cfg->flag_qty = 20;
	cfg->flag_days = 3;
	/* Literals below all fit their fields (static sizes in config.h). */
	(void)!str_copy(cfg->intake_listen, sizeof(cfg->intake_listen),
	    "127.0.0.1:8080");
	(void)!str_copy(cfg->intake_public_url,
	    sizeof(cfg->intake_public_url), "http://127.0.0.1:8080");
	(void)!str_copy(cfg->intake_user, sizeof(cfg->intake_user), "nobody");
	cfg->intake_threads = 4;
	(void)!str_copy(cfg->console_listen, sizeof(cfg->console_listen),
	    "127.0.0.1:8081");
	(void)!str_copy(cfg->console_user, sizeof(cfg->console_user),
	    "nobody");
	(void)!str_copy(cfg->console_intake_url,
	    sizeof(cfg->console_intake_url), "http://127.0.0.1:8080");
	cfg->pull_interval = 30;
	(void)!str_copy(cfg->sms_allow, sizeof(cfg->sms_allow), "127.0.0.1");
	cfg->web_per_minute = 120;
	cfg->orders_per_hour = 20;
	cfg->sms_per_hour = 20;
	cfg->track_per_minute = 10;
	(void)!str_copy(cfg->printer_format, sizeof(cfg->printer_format),
	    "pdf");
	(void)!str_copy(cfg->printer_size, sizeof(cfg->printer_size),
	    "100x150");
	if (join(cfg->labels_dir, sizeof(cfg->labels_dir), dir, "labels") < 0)
		cfg->labels_dir[0] = '\0';
	(void)!str_copy(cfg->sender_name, sizeof(cfg->sender_name),
	    "SERVICE EXPEDITIONS");
	(void)!str_copy(cfg->sender_line, sizeof(cfg->sender_line),
	    "BP 80001");
	(void)!str_copy(cfg->sender_postcode, sizeof(cfg->sender_postcode),
	    "33000");
	(void)!str_copy(cfg->sender_commune, sizeof(cfg->sender_commune),
	    "BORDEAUX");
	(void)!str_copy(cfg->laposte_url, sizeof(cfg->laposte_url),
	    "https://api.laposte.fr/suivi/v2");
	(void)!str_copy(cfg->laposte_lang, sizeof(cfg->laposte_lang), "fr_FR");
	cfg->laposte_poll = 3600;
}

/* What handler() needs while libinih runs. */
struct cparser {
	struct config *cfg;
	uint64_t seen;		/* one bit per config_keys[] entry */
	bool failed;
	char msg[200];		/* "[section] key: reason" */
};

static int __attribute__((format(printf, 2, 3)))
refuse(struct cparser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * A section or key name for a message: printable ASCII of at most 40
 * bytes as it is, anything else as "?".
 */
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

static int
on_config_section(void *arg, const char *section, int line, int nkeys,
    char *errbuf, size_t errsz)
{
	const char *name = arg;

	(void)nkeys;
	for (size_t i = 0; i < ARRAY_LEN(config_sections); i++)
		if (strcmp(section, config_sections[i]) == 0)
			return 0;
	errbuf_set(errbuf, errsz, "%s:%d: [%s]: unknown section (expected "
	    "hrpost, store, keys, orders, intake, console, sms, limits, "
	    "printer, sender, centre or laposte)", name, line,
	    printable(section));
	return -1;
}

static int
set_key(struct cparser *p, const char *section, const char *key,
    const char *value)
{
	const struct config_key *k = NULL;
	size_t i;
	long v;

	for (i = 0; i < ARRAY_LEN(config_keys); i++) {
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].key, key) == 0) {
			k = &config_keys[i];
			break;
		}
	}
	if (k == NULL)
		return refuse(p, "[%s] %s: unknown key", printable(section),
		    printable(key));
	if (p->seen & ((uint64_t)1 << i))
		return refuse(p, "[%s] %s: repeated key", section, key);
	p->seen |= (uint64_t)1 << i;
	if (*value == '\0') {
		if (!k->optional)
			return refuse(p, "[%s] %s: empty value", section, key);
		/* An optional key left empty: not set. */
		field_str(p->cfg, k)[0] = '\0';
		return 0;
	}
	if (!utf8_valid(value, strlen(value)))
		return refuse(p, "[%s] %s: not valid UTF-8", section, key);
	if (utf8_has_control(value))
		return refuse(p, "[%s] %s: control character", section, key);

	switch (k->kind) {
	case KEY_PATH:
		if (join(field_str(p->cfg, k), k->size, p->cfg->dir,
		    value) < 0)
			return refuse(p, "[%s] %s: path too long (at most %zu "
			    "bytes with the state directory)", section, key,
			    k->size - 1);
		return 0;
	case KEY_INT:
		if (parse_long(value, k->min, k->max, &v) < 0)
			return refuse(p, "[%s] %s: must be a whole number from "
			    "%ld to %ld", section, key, k->min, k->max);
		*field_int(p->cfg, k) = (int)v;
		return 0;
	default:
		if (check_value(k, value, p->msg, sizeof(p->msg)) < 0)
			return -1;
		break;
	}
	return str_copy(field_str(p->cfg, k), k->size, value) < 0 ?
	    refuse(p, "[%s] %s: too long (at most %zu bytes)", section, key,
	    k->size - 1) : 0;
}

static int
handler(void *arg, const char *section, const char *key, const char *value)
{
	struct cparser *p = arg;

	if (p->failed)
		return 0;
	if (set_key(p, section, key, value) < 0) {
		p->failed = true;
		return 0;
	}
	return 1;
}

int
config_parse_string(struct config *cfg, const char *name, const char *text,
    char *errbuf, size_t errsz)
{
	struct cparser p;
	struct config *tmp = NULL;
	int rc = -1, line;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (cfg == NULL || name == NULL || text == NULL) {
		errbuf_set(errbuf, errsz, "config: no input");
		goto out;
	}
	/* Parse into a copy: @cfg is left as it was when the file is bad. */
	tmp = malloc(sizeof(*tmp));
	if (tmp == NULL) {
		errbuf_set(errbuf, errsz, "%s: out of memory", name);
		goto out;
	}
	memcpy(tmp, cfg, sizeof(*tmp));
	if (config_ini_check(name, text, on_config_section, (void *)name,
	    errbuf, errsz) < 0)
		goto out;
	memset(&p, 0, sizeof(p));
	p.cfg = tmp;
	line = ini_parse_string(text, handler, &p);
	if (line != 0 || p.failed) {
		/* config_ini_check() ran libinih already: only ours fail. */
		if (line > 0)
			errbuf_set(errbuf, errsz, "%s:%d: %s", name, line, p.msg);
		else
			errbuf_set(errbuf, errsz, "%s: %s", name,
			    p.failed ? p.msg : "cannot be parsed");
		goto out;
	}
	/* A default that did not fit config_defaults() is empty. */
	for (size_t i = 0; i < ARRAY_LEN(config_keys); i++) {
		const struct config_key *k = &config_keys[i];

		if (k->kind == KEY_PATH && !k->optional &&
		    *field_str(tmp, k) == '\0') {
			errbuf_set(errbuf, errsz, "%s: [%s] %s: path too long (at "
			    "most %zu bytes with the state directory)", name,
			    k->section, k->key, k->size - 1);
			goto out;
		}
	}
	if (str_copy(tmp->path, sizeof(tmp->path), name) < 0) {
		errbuf_set(errbuf, errsz, "config file path too long");
		goto out;
	}
	memcpy(cfg, tmp, sizeof(*cfg));
	rc = 0;
out:
	free(tmp);
	return rc;
}

int
config_load(struct config *cfg, const char *path, char *errbuf,
    size_t errsz)
{
	char *text;
	int rc;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (cfg == NULL || path == NULL) {
		errbuf_set(errbuf, errsz, "config: no input");
		return -1;
	}
	text = config_ini_read(path, CONFIG_FILE_MAX, errbuf, errsz);
	if (text == NULL)
		return -1;
	rc = config_parse_string(cfg, path, text, errbuf, errsz);
	free(text);
	return rc;
}

/* Writing ------------------------------------------------------------------ */

struct outbuf {
	char buf[CONFIG_WRITE_MAX];
	size_t len;
	bool overflow;
};

static void __attribute__((format(printf, 2, 3)))
out_add(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(o->buf) - o->len) {
		o->overflow = true;
		return;
	}
	o->len += (size_t)n;
}

/*
 * true when "key = @v" reads back as @v: not empty, valid UTF-8 without
 * control characters, no space at either end (libinih trims), and no ';'
 * that libinih would take for a comment (at the start, or after a space).
 */
static bool
ini_writable(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || !utf8_valid(v, n) || utf8_has_control(v) ||
	    ini_space(v[0]) || ini_space(v[n - 1]) || v[0] == ';')
		return false;
	for (size_t i = 1; i < n; i++)
		if (v[i] == ';' && ini_space(v[i - 1]))
			return false;
	return true;
}

/*
 * The value to write for path @path: relative to @dir when that reads
 * back as the same path, else as it is when absolute (or when there is no
 * state directory).  NULL: a relative path outside @dir, which would not.
 */
static const char *
path_value(const char *dir, const char *path, char *tmp, size_t tmpsz)
{
	size_t n = strlen(dir);

	if (n > 0 && strncmp(path, dir, n) == 0) {
		const char *rel = path + n;

		if (dir[n - 1] != '/' && *rel == '/')
			rel++;
		if (rel != path + n || dir[n - 1] == '/') {
			if (*rel != '\0' && *rel != '/' &&
			    join(tmp, tmpsz, dir, rel) == 0 &&
			    strcmp(tmp, path) == 0)
				return rel;
		}
	}
	if (path[0] == '/' || n == 0)
		return path;
	return NULL;
}

/* Make the file text for @cfg; the message is "[section] key: reason". */
static int
config_text(const struct config *cfg, struct outbuf *o, char *why,
    size_t whysz)
{
	const char *section = "";
	char tmp[CONFIG_PATH_MAX];

	out_add(o, "# hrpost.conf, written by `hrpost init`.  Every key is "
	    "described in README.md.\n"
	    "# Paths are relative to the state directory (the one given "
	    "with -d) unless\n"
	    "# they start with '/'.  Lines starting with '#' or ';' are "
	    "comments.\n");
	for (size_t i = 0; i < ARRAY_LEN(config_keys); i++) {
		const struct config_key *k = &config_keys[i];
		const char *v = NULL;
		char num[32];
		int len;

		if (k->optional && k->kind != KEY_INT &&
		    field_cstr(cfg, k)[0] == '\0') {
			/* Not set: written commented out, as a hint. */
			if (strcmp(section, k->section) != 0) {
				section = k->section;
				out_add(o, "\n[%s]\n", section);
			}
			out_add(o, "%s\n;%s =\n", k->help, k->key);
			continue;
		}
		switch (k->kind) {
		case KEY_PATH:
			v = path_value(cfg->dir, field_cstr(cfg, k), tmp,
			    sizeof(tmp));
			if (v == NULL) {
				errbuf_set(why, whysz, "[%s] %s: relative path "
				    "outside the state directory", k->section,
				    k->key);
				return -1;
			}
			if (!ini_writable(v)) {
				errbuf_set(why, whysz, "[%s] %s: path cannot be "
				    "written to an INI file (empty, control "
				    "character, space at an end, or ';')",
				    k->section, k->key);
				return -1;
			}
			break;
		case KEY_INT:
			if (field_cint(cfg, k) < k->min ||
			    field_cint(cfg, k) > k->max ||
			    str_printf(num, sizeof(num), "%d",
			    field_cint(cfg, k)) < 0) {
				errbuf_set(why, whysz, "[%s] %s: must be a whole "
				    "number from %ld to %ld", k->section,
				    k->key, k->min, k->max);
				return -1;
			}
			v = num;
			break;
		default:
			v = field_cstr(cfg, k);
			if (check_value(k, v, why, whysz) < 0)
				return -1;
			if (!ini_writable(v)) {
				errbuf_set(why, whysz, "[%s] %s: value cannot be "
				    "written to an INI file (empty, control "
				    "character, space at an end, or ';')",
				    k->section, k->key);
				return -1;
			}
			break;
		}
		len = (int)(strlen(k->key) + 3 + strlen(v));
		if (len > CONFIG_INI_LINE_MAX) {
			errbuf_set(why, whysz, "[%s] %s: longer than a config line "
			    "(%d bytes)", k->section, k->key,
			    CONFIG_INI_LINE_MAX);
			return -1;
		}
		if (strcmp(section, k->section) != 0) {
			section = k->section;
			out_add(o, "\n[%s]\n", section);
		}
		out_add(o, "%s\n%s = %s\n", k->help, k->key, v);
	}
	if (o->overflow) {
		errbuf_set(why, whysz, "file larger than %d bytes",
		    CONFIG_WRITE_MAX);
		return -1;
	}
	return 0;
}

int
config_write(const struct config *cfg, const char *path, char *errbuf,
    size_t errsz)
{
	struct outbuf *o = NULL;
	char why[200];
	int rc = -1;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (cfg == NULL || path == NULL || *path == '\0') {
		errbuf_set(errbuf, errsz, "config: no input");
		goto out;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL) {
		errbuf_set(errbuf, errsz, "%s: out of memory", path);
		goto out;
	}
	if (config_text(cfg, o, why, sizeof(why)) < 0) {
		errbuf_set(errbuf, errsz, "%s: %s", path, why);
		goto out;
	}
	/* 0640 whatever the umask: the service's group reads it. */
	if (file_create(path, o->buf, o->len, 0640, errbuf, errsz) != 0)
		goto out;
	rc = 0;
out:
	free(o);
	return rc;
}
