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
};

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
} config_keys[] = {
	{ "hrpost", "centre", KEY_CENTRE, STR_FIELD(centre), 0, 0,
	  "# Code of the centre this installation works for (1 to 32 of\n"
	  "# a-z, 0-9 and '-'; it must exist in centre.db)." },
	{ "hrpost", "templates", KEY_PATH, STR_FIELD(templates), 0, 0,
	  "# Templates directory: every text people see, per language\n"
	  "# (i18n/<lang>.ini), and the packs catalogue (packs.ini)." },
	{ "hrpost", "lang", KEY_LANG, STR_FIELD(lang), 0, 0,
	  "# Language of an order that names none (2 or 3 letters a-z;\n"
	  "# templates/i18n/<lang>.ini must exist)." },
	{ "store", "centre_db", KEY_PATH, STR_FIELD(centre_db), 0, 0,
	  "# The centre's database (console side): orders, stock, follow-ups\n"
	  "# and the audit chain; personal data in it is sealed." },
	{ "store", "intake_db", KEY_PATH, STR_FIELD(intake_db), 0, 0,
	  "# The intake node's sealed outbox, where web and SMS orders wait\n"
	  "# for the console." },
	{ "keys", "private", KEY_PATH, STR_FIELD(private_key), 0, 0,
	  "# The centre's private key (PEM PKCS#8, console only): it opens\n"
	  "# sealed personal data.  Keep it off the intake node." },
	{ "keys", "public", KEY_PATH, STR_FIELD(public_key), 0, 0,
	  "# The centre's public key: the intake node seals orders with it." },
	{ "orders", "flag_qty", KEY_INT, INT_FIELD(flag_qty), 0, 100000,
	  "# Flag an order of more packs than this in total, for a call\n"
	  "# (0 to 100000; 0: never).  Nothing is ever refused." },
	{ "orders", "flag_days", KEY_INT, INT_FIELD(flag_days), 0, 365,
	  "# Flag a second order from the same person within this many days\n"
	  "# (0 to 365; 0: never)." },
};

static const char *const config_sections[] = {
	"hrpost", "store", "keys", "orders",
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
}

/* What handler() needs while libinih runs. */
struct cparser {
	struct config *cfg;
	unsigned seen;		/* one bit per config_keys[] entry */
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
	    "[hrpost], [store], [keys] or [orders])", name, line,
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
	if (p->seen & (1u << i))
		return refuse(p, "[%s] %s: repeated key", section, key);
	p->seen |= 1u << i;
	if (*value == '\0')
		return refuse(p, "[%s] %s: empty value", section, key);
	if (!utf8_valid(value, strlen(value)))
		return refuse(p, "[%s] %s: not valid UTF-8", section, key);
	if (utf8_has_control(value))
		return refuse(p, "[%s] %s: control character", section, key);

	switch (k->kind) {
	case KEY_CENTRE:
		if (!valid_centre(value))
			return refuse(p, "[%s] %s: 1 to %d characters among "
			    "a-z, 0-9 and '-'", section, key,
			    CONFIG_CENTRE_MAX);
		break;
	case KEY_LANG:
		if (!valid_lang(value))
			return refuse(p, "[%s] %s: 2 or 3 letters a-z",
			    section, key);
		break;
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
	}
	/* Checked above: centre and lang fit their buffers. */
	return str_copy(field_str(p->cfg, k), k->size, value) < 0 ?
	    refuse(p, "[%s] %s: too long", section, key) : 0;
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

		if (k->kind == KEY_PATH && *field_str(tmp, k) == '\0') {
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

		switch (k->kind) {
		case KEY_CENTRE:
			v = field_cstr(cfg, k);
			if (!valid_centre(v)) {
				errbuf_set(why, whysz, "[%s] %s: 1 to %d "
				    "characters among a-z, 0-9 and '-'",
				    k->section, k->key, CONFIG_CENTRE_MAX);
				return -1;
			}
			break;
		case KEY_LANG:
			v = field_cstr(cfg, k);
			if (!valid_lang(v)) {
				errbuf_set(why, whysz, "[%s] %s: 2 or 3 letters "
				    "a-z", k->section, k->key);
				return -1;
			}
			break;
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

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync the directory holding @path, so a rename or link in it lasts. */
static int
sync_parent(const char *path)
{
	char dir[CONFIG_PATH_MAX];
	char *slash;
	int fd, rc;

	if (str_copy(dir, sizeof(dir), path) < 0)
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		memcpy(dir, ".", 2);
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

/*
 * Move @tmp to @path unless @path exists: renameat2(RENAME_NOREPLACE),
 * or link() + unlink() on a file system without it.
 */
static int
move_noreplace(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return -1;
	if (link(tmp, path) != 0)
		return -1;
	(void)unlink(tmp);
	return 0;
}

int
config_write(const struct config *cfg, const char *path, char *errbuf,
    size_t errsz)
{
	struct outbuf *o = NULL;
	char tmp[CONFIG_PATH_MAX + 32];
	char why[200];
	struct stat sb;
	bool made = false;
	int fd = -1, rc = -1, saved;

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
	if (lstat(path, &sb) == 0) {
		errbuf_set(errbuf, errsz, "%s: already exists", path);
		goto out;
	}
	/* A name of our own next to @path; O_EXCL: never an old file. */
	for (unsigned n = 0; fd < 0; n++) {
		if (str_printf(tmp, sizeof(tmp), "%s.tmp-%ld-%u", path,
		    (long)getpid(), n) < 0) {
			errbuf_set(errbuf, errsz, "%s: path too long", path);
			goto out;
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0640);
		if (fd < 0 && (errno != EEXIST || n == 100)) {
			errbuf_set(errbuf, errsz, "%s: %s", tmp, strerror(errno));
			goto out;
		}
	}
	made = true;
	/* 0640 whatever the umask: the service's group reads it. */
	if (fchmod(fd, 0640) != 0 || write_all(fd, o->buf, o->len) != 0 ||
	    fsync(fd) != 0) {
		errbuf_set(errbuf, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	saved = close(fd);
	fd = -1;
	if (saved != 0) {
		errbuf_set(errbuf, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (move_noreplace(tmp, path) != 0) {
		errbuf_set(errbuf, errsz, "%s: %s", path, errno == EEXIST ?
		    "already exists" : strerror(errno));
		goto out;
	}
	made = false;
	if (sync_parent(path) != 0) {
		errbuf_set(errbuf, errsz, "%s: cannot sync its directory: %s",
		    path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	if (made)
		(void)unlink(tmp);
	free(o);
	return rc;
}
