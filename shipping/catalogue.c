/*
 * The catalogue of standard packs: templates/packs.ini read with libinih,
 * and the languages templates/i18n/ holds.  Reading happens in four steps:
 * the languages are listed (names are checked against them); the file's
 * lines are checked and every [item]/[pack] header becomes an empty record
 * (config_ini_check(), which also catches empty and repeated sections);
 * libinih feeds the keys to handler(), which refuses the first bad one so
 * that ini_parse_string() returns its line; last, what needs the whole file
 * (unknown items, variants, missing keys) is checked, and the line of the
 * key at fault is found again with config_ini_key_line().  The result is
 * read-only; every record is its own allocation and catalogue_free() frees
 * them all.  The file is the centre's own data, so codes and key names
 * appear in messages once they have been checked; names never do.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "base/config.h"
#include "base/util.h"
#include "shipping/catalogue.h"

#define CATALOGUE_FILE_MAX (256 * 1024)
#define UNIT_MAX 17			/* 16 characters + NUL */
#define LOW_MAX 1000000
#define VERSION_MAX 1000000
#define WEIGHT_MAX 30000		/* grams: a Colissimo parcel's limit */
#define QTY_MAX 9999
#define MSG_MAX 200

/* Keys given once, one bit each in a record's "seen". */
#define SEEN_UNIT	0x01u
#define SEEN_EXPIRY	0x02u
#define SEEN_LOW	0x04u
#define SEEN_VERSION	0x08u
#define SEEN_WEIGHT	0x10u
#define SEEN_VARIANT	0x20u
#define SEEN_DEFAULT	0x40u

struct item_rec {
	struct catalogue_item pub;
	char code[CATALOGUE_CODE_MAX];
	char unit[UNIT_MAX];
	char *names[CATALOGUE_LANGS_MAX];	/* by index in cat->langs */
	int line;				/* of the [item] header */
	unsigned seen;
};

struct pack_rec {
	struct catalogue_pack pub;
	char code[CATALOGUE_CODE_MAX];
	char *names[CATALOGUE_LANGS_MAX];
	struct catalogue_pack_item items[CATALOGUE_PACK_ITEMS_MAX];
	char item_code[CATALOGUE_PACK_ITEMS_MAX][CATALOGUE_CODE_MAX];
	char item_variant[CATALOGUE_PACK_ITEMS_MAX][CATALOGUE_VARIANT_MAX];
	unsigned item_key[CATALOGUE_PACK_ITEMS_MAX];	/* key ordinal */
	char variants[CATALOGUE_VARIANTS_MAX][CATALOGUE_VARIANT_MAX];
	const char *variant_ptr[CATALOGUE_VARIANTS_MAX];
	unsigned variant_key;				/* key ordinal */
	char default_variant[CATALOGUE_VARIANT_MAX];
	unsigned default_key;				/* key ordinal */
	int line;					/* of the header */
	unsigned seen;
};

struct catalogue {
	char *dir;
	char langs[CATALOGUE_LANGS_MAX][CATALOGUE_LANG_MAX];
	size_t nlangs;
	struct item_rec *items[CATALOGUE_ITEMS_MAX];
	size_t nitems;
	struct pack_rec *packs[CATALOGUE_PACKS_MAX];
	size_t npacks;
};

/* What handler() needs while libinih runs. */
struct parser {
	struct catalogue *cat;
	unsigned nkeys;		/* keys so far: the current key's number */
	bool failed;
	char msg[MSG_MAX];	/* the first refusal, without "file:line: " */
};

/* Messages and copies ------------------------------------------------------ */


/*
 * Copy a string its caller has already checked to fit (a code, a variant,
 * a unit); bounded all the same.
 */
static void
copy_fit(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Character classes -------------------------------------------------------- */

static bool
is_upper_digit(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
valid_pack_code(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > CATALOGUE_CODE_MAX - 1)
		return false;
	for (; *s != '\0'; s++)
		if (!is_upper_digit(*s))
			return false;
	return true;
}

static bool
valid_item_code(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > CATALOGUE_CODE_MAX - 1)
		return false;
	for (; *s != '\0'; s++)
		if (!is_upper_digit(*s) && *s != '-')
			return false;
	return true;
}

static bool
valid_variant(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > CATALOGUE_VARIANT_MAX - 1)
		return false;
	for (; *s != '\0'; s++)
		if (!is_upper_digit(*s) && !(*s >= 'a' && *s <= 'z') &&
		    *s != '.' && *s != '-')
			return false;
	return true;
}

/* A language code: 2 or 3 letters a-z. */
static bool
valid_lang(const char *s, size_t n)
{
	if (n < 2 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return false;
	return true;
}

static bool
valid_unit(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > UNIT_MAX - 1 || *s == '-')
		return false;
	for (; *s != '\0'; s++)
		if (!(*s >= 'a' && *s <= 'z') && *s != '-')
			return false;
	return true;
}

/*
 * Copy a key or section name for a message: printable ASCII of at most 40
 * bytes as it is, anything else as "?" (it could be any bytes at all).
 */
static const char *
printable(const char *s, char *buf, size_t bufsz)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40)
		return "?";
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return "?";
	copy_fit(buf, bufsz, s);
	return buf;
}

/*
 * Split @value (copied into @buf) at spaces and tabs into at most @max
 * words.  Returns the number of words, or -1 when there are more.
 */
static int
split_words(const char *value, char *buf, size_t bufsz, char **words,
    int max)
{
	int n = 0;
	char *s;

	if (str_copy(buf, bufsz, value) < 0)
		return -1;
	s = buf;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0')
			break;
		if (n == max)
			return -1;
		words[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

/* Lookups ------------------------------------------------------------------ */

static int
lang_index(const struct catalogue *cat, const char *lang)
{
	if (lang == NULL)
		return -1;
	for (size_t i = 0; i < cat->nlangs; i++)
		if (str_casecmp(cat->langs[i], lang) == 0)
			return (int)i;
	return -1;
}

static struct item_rec *
find_item(const struct catalogue *cat, const char *code)
{
	if (cat == NULL || code == NULL)
		return NULL;
	for (size_t i = 0; i < cat->nitems; i++)
		if (str_casecmp(cat->items[i]->code, code) == 0)
			return cat->items[i];
	return NULL;
}

static struct pack_rec *
find_pack(const struct catalogue *cat, const char *code)
{
	if (cat == NULL || code == NULL)
		return NULL;
	for (size_t i = 0; i < cat->npacks; i++)
		if (str_casecmp(cat->packs[i]->code, code) == 0)
			return cat->packs[i];
	return NULL;
}

/* Languages ---------------------------------------------------------------- */

static int
cmp_lang(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * List <dir>/i18n/[a-z]{2,3}.ini (regular files; other names are not
 * languages and are skipped), sorted.  "fr" must be there: it is the
 * language every text falls back to.
 */
static int
scan_langs(struct catalogue *cat, const char *dir, char *errbuf,
    size_t errsz)
{
	char path[CONFIG_PATH_MAX];
	DIR *d = NULL;
	struct dirent *de;
	int rc = -1;

	if (str_printf(path, sizeof(path), "%s/i18n", dir) < 0) {
		errbuf_set(errbuf, errsz, "templates directory path too long");
		goto out;
	}
	d = opendir(path);
	if (d == NULL) {
		errbuf_set(errbuf, errsz, "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	for (;;) {
		struct stat sb;
		size_t n;

		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0) {
				errbuf_set(errbuf, errsz, "%s: %s", path,
				    strerror(errno));
				goto out;
			}
			break;
		}
		n = strlen(de->d_name);
		if (n < 6 || n > 7 || strcmp(de->d_name + n - 4, ".ini") != 0 ||
		    !valid_lang(de->d_name, n - 4))
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, 0) != 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (cat->nlangs == CATALOGUE_LANGS_MAX) {
			errbuf_set(errbuf, errsz, "%s: more than %d "
			    "languages", path, CATALOGUE_LANGS_MAX);
			goto out;
		}
		memcpy(cat->langs[cat->nlangs], de->d_name, n - 4);
		cat->langs[cat->nlangs][n - 4] = '\0';
		cat->nlangs++;
	}
	qsort(cat->langs, cat->nlangs, sizeof(cat->langs[0]), cmp_lang);
	if (lang_index(cat, "fr") < 0) {
		errbuf_set(errbuf, errsz, "%s/fr.ini: missing (French "
		    "is the language every text falls back to)", path);
		goto out;
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	return rc;
}

/* Sections (from config_ini_check()) --------------------------------------- */

struct sections {
	struct catalogue *cat;
	const char *name;	/* the file, for messages */
};

static int
on_section(void *arg, const char *section, int line, int nkeys,
    char *errbuf, size_t errsz)
{
	struct sections *sc = arg;
	struct catalogue *cat = sc->cat;
	char buf[48];

	if (strncmp(section, "item ", 5) == 0) {
		const char *code = section + 5;
		struct item_rec *it, *dup;

		if (!valid_item_code(code)) {
			errbuf_set(errbuf, errsz, "%s:%d: [item]: bad "
			    "code (1 to 8 characters among A-Z, 0-9 and '-')",
			    sc->name, line);
			return -1;
		}
		dup = find_item(cat, code);
		if (dup != NULL) {
			errbuf_set(errbuf, errsz, "%s:%d: item %s: "
			    "duplicate code (first at line %d)", sc->name,
			    line, code, dup->line);
			return -1;
		}
		if (cat->nitems == CATALOGUE_ITEMS_MAX) {
			errbuf_set(errbuf, errsz, "%s:%d: item %s: more "
			    "than %d items", sc->name, line, code,
			    CATALOGUE_ITEMS_MAX);
			return -1;
		}
		if (nkeys == 0) {
			errbuf_set(errbuf, errsz, "%s:%d: item %s: empty "
			    "section", sc->name, line, code);
			return -1;
		}
		it = calloc(1, sizeof(*it));
		if (it == NULL)
			goto nomem;
		copy_fit(it->code, sizeof(it->code), code);
		it->line = line;
		it->pub.code = it->code;
		it->pub.unit = it->unit;
		cat->items[cat->nitems++] = it;
		return 0;
	}
	if (strncmp(section, "pack ", 5) == 0) {
		const char *code = section + 5;
		struct pack_rec *pk, *dup;

		if (!valid_pack_code(code)) {
			errbuf_set(errbuf, errsz, "%s:%d: [pack]: bad "
			    "code (2 to 8 characters among A-Z and 0-9)",
			    sc->name, line);
			return -1;
		}
		dup = find_pack(cat, code);
		if (dup != NULL) {
			errbuf_set(errbuf, errsz, "%s:%d: pack %s: "
			    "duplicate code (first at line %d)", sc->name,
			    line, code, dup->line);
			return -1;
		}
		if (cat->npacks == CATALOGUE_PACKS_MAX) {
			errbuf_set(errbuf, errsz, "%s:%d: pack %s: more "
			    "than %d packs", sc->name, line, code,
			    CATALOGUE_PACKS_MAX);
			return -1;
		}
		if (nkeys == 0) {
			errbuf_set(errbuf, errsz, "%s:%d: pack %s: empty "
			    "section", sc->name, line, code);
			return -1;
		}
		pk = calloc(1, sizeof(*pk));
		if (pk == NULL)
			goto nomem;
		copy_fit(pk->code, sizeof(pk->code), code);
		pk->line = line;
		pk->pub.code = pk->code;
		pk->pub.items = pk->items;
		pk->pub.variants = pk->variant_ptr;
		cat->packs[cat->npacks++] = pk;
		return 0;
	}
	errbuf_set(errbuf, errsz, "%s:%d: [%s]: unknown section "
	    "(expected [item CODE] or [pack CODE])", sc->name, line,
	    printable(section, buf, sizeof(buf)));
	return -1;
nomem:
	errbuf_set(errbuf, errsz, "%s: out of memory", sc->name);
	return -1;
}

/* Keys (from libinih) ------------------------------------------------------ */

/* Refuse the current key: the message goes after "file:line: ". */
static int __attribute__((format(printf, 2, 3)))
refuse(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * name.<lang> = text, for item or pack @what: 1 to 80 bytes of UTF-8
 * without control characters, in a language templates/i18n has.
 */
static int
set_name(struct parser *p, const char *what, const char *code, char **names,
    const char *key, const char *value)
{
	const char *lang = key + 5;
	char buf[48];
	int i;

	if (!valid_lang(lang, strlen(lang)))
		return refuse(p, "%s %s: %s: unknown key", what, code,
		    printable(key, buf, sizeof(buf)));
	i = lang_index(p->cat, lang);
	if (i < 0)
		return refuse(p, "%s %s: %s: unknown language (no "
		    "i18n/%s.ini)", what, code, key, lang);
	if (names[i] != NULL)
		return refuse(p, "%s %s: %s: repeated key", what, code, key);
	if (strlen(value) > CATALOGUE_NAME_MAX - 1)
		return refuse(p, "%s %s: %s: longer than %d bytes", what,
		    code, key, CATALOGUE_NAME_MAX - 1);
	if (!utf8_valid(value, strlen(value)))
		return refuse(p, "%s %s: %s: not valid UTF-8", what, code,
		    key);
	if (utf8_has_control(value))
		return refuse(p, "%s %s: %s: control character", what, code,
		    key);
	names[i] = str_dup(value);
	if (names[i] == NULL)
		return refuse(p, "out of memory");
	return 0;
}

static int
item_key(struct parser *p, struct item_rec *it, const char *key,
    const char *value)
{
	char buf[48];
	long v;

	if (strncmp(key, "name.", 5) == 0)
		return set_name(p, "item", it->code, it->names, key, value);
	if (strcmp(key, "unit") == 0) {
		if (it->seen & SEEN_UNIT)
			return refuse(p, "item %s: unit: repeated key",
			    it->code);
		it->seen |= SEEN_UNIT;
		if (!valid_unit(value))
			return refuse(p, "item %s: unit: 1 to 16 characters "
			    "among a-z and '-'", it->code);
		copy_fit(it->unit, sizeof(it->unit), value);
		return 0;
	}
	if (strcmp(key, "expiry") == 0) {
		if (it->seen & SEEN_EXPIRY)
			return refuse(p, "item %s: expiry: repeated key",
			    it->code);
		it->seen |= SEEN_EXPIRY;
		if (strcmp(value, "yes") == 0)
			it->pub.expiry = true;
		else if (strcmp(value, "no") == 0)
			it->pub.expiry = false;
		else
			return refuse(p, "item %s: expiry: must be yes or no",
			    it->code);
		return 0;
	}
	if (strcmp(key, "low") == 0) {
		if (it->seen & SEEN_LOW)
			return refuse(p, "item %s: low: repeated key",
			    it->code);
		it->seen |= SEEN_LOW;
		if (parse_long(value, 0, LOW_MAX, &v) < 0)
			return refuse(p, "item %s: low: must be a whole number "
			    "from 0 to %d", it->code, LOW_MAX);
		it->pub.low = (int)v;
		return 0;
	}
	return refuse(p, "item %s: %s: unknown key", it->code,
	    printable(key, buf, sizeof(buf)));
}

/* item = CODE QTY [VARIANT] */
static int
pack_item(struct parser *p, struct pack_rec *pk, const char *value)
{
	char buf[CONFIG_INI_LINE_MAX + 1];
	char *w[3];
	const char *variant;
	long qty;
	int n;
	size_t i;

	n = split_words(value, buf, sizeof(buf), w, 3);
	if (n < 2)
		return refuse(p, "pack %s: item: expected 'CODE QTY' or "
		    "'CODE QTY VARIANT'", pk->code);
	if (!valid_item_code(w[0]))
		return refuse(p, "pack %s: item: bad code (1 to 8 characters "
		    "among A-Z, 0-9 and '-')", pk->code);
	if (parse_long(w[1], 1, QTY_MAX, &qty) < 0)
		return refuse(p, "pack %s: item %s: quantity must be a whole "
		    "number from 1 to %d", pk->code, w[0], QTY_MAX);
	variant = n == 3 ? w[2] : "";
	if (n == 3 && !valid_variant(variant))
		return refuse(p, "pack %s: item %s: bad variant (1 to 16 "
		    "characters among A-Z, a-z, 0-9, '.' and '-')", pk->code,
		    w[0]);
	/*
	 * One line per item and variant, and an item in every variant is
	 * not listed again for one of them: a reader would not know whether
	 * the quantities add up.
	 */
	for (i = 0; i < pk->pub.nitems; i++) {
		if (strcmp(pk->item_code[i], w[0]) != 0)
			continue;
		if (str_casecmp(pk->item_variant[i], variant) == 0 ||
		    pk->item_variant[i][0] == '\0' || variant[0] == '\0')
			return refuse(p, "pack %s: item %s: listed twice",
			    pk->code, w[0]);
	}
	if (pk->pub.nitems == CATALOGUE_PACK_ITEMS_MAX)
		return refuse(p, "pack %s: item: more than %d items",
		    pk->code, CATALOGUE_PACK_ITEMS_MAX);
	i = pk->pub.nitems++;
	copy_fit(pk->item_code[i], sizeof(pk->item_code[i]), w[0]);
	copy_fit(pk->item_variant[i], sizeof(pk->item_variant[i]),
	    variant);
	pk->item_key[i] = p->nkeys;
	pk->items[i].item = pk->item_code[i];
	pk->items[i].qty = (int)qty;
	pk->items[i].variant = variant[0] != '\0' ? pk->item_variant[i] :
	    NULL;
	return 0;
}

/* variant = V1 V2 ... */
static int
pack_variants(struct parser *p, struct pack_rec *pk, const char *value)
{
	char buf[CONFIG_INI_LINE_MAX + 1];
	char *w[CATALOGUE_VARIANTS_MAX];
	int n;

	n = split_words(value, buf, sizeof(buf), w, CATALOGUE_VARIANTS_MAX);
	if (n < 0)
		return refuse(p, "pack %s: variant: more than %d variants",
		    pk->code, CATALOGUE_VARIANTS_MAX);
	for (int i = 0; i < n; i++) {
		if (!valid_variant(w[i]))
			return refuse(p, "pack %s: variant: each is 1 to 16 "
			    "characters among A-Z, a-z, 0-9, '.' and '-'",
			    pk->code);
		for (int j = 0; j < i; j++)
			if (str_casecmp(w[i], w[j]) == 0)
				return refuse(p, "pack %s: variant: %s listed "
				    "twice", pk->code, w[i]);
		copy_fit(pk->variants[i], sizeof(pk->variants[i]),
		    w[i]);
		pk->variant_ptr[i] = pk->variants[i];
	}
	pk->pub.nvariants = (size_t)n;
	return 0;
}

static int
pack_key(struct parser *p, struct pack_rec *pk, const char *key,
    const char *value)
{
	char buf[48];
	long v;

	if (strncmp(key, "name.", 5) == 0)
		return set_name(p, "pack", pk->code, pk->names, key, value);
	if (strcmp(key, "item") == 0)
		return pack_item(p, pk, value);
	if (strcmp(key, "version") == 0) {
		if (pk->seen & SEEN_VERSION)
			return refuse(p, "pack %s: version: repeated key",
			    pk->code);
		pk->seen |= SEEN_VERSION;
		if (parse_long(value, 1, VERSION_MAX, &v) < 0)
			return refuse(p, "pack %s: version: must be a whole "
			    "number from 1 to %d", pk->code, VERSION_MAX);
		pk->pub.version = (int)v;
		return 0;
	}
	if (strcmp(key, "weight") == 0) {
		if (pk->seen & SEEN_WEIGHT)
			return refuse(p, "pack %s: weight: repeated key",
			    pk->code);
		pk->seen |= SEEN_WEIGHT;
		if (parse_long(value, 1, WEIGHT_MAX, &v) < 0)
			return refuse(p, "pack %s: weight: must be a whole "
			    "number of grams from 1 to %d", pk->code,
			    WEIGHT_MAX);
		pk->pub.weight = (int)v;
		return 0;
	}
	if (strcmp(key, "variant") == 0) {
		if (pk->seen & SEEN_VARIANT)
			return refuse(p, "pack %s: variant: repeated key",
			    pk->code);
		pk->seen |= SEEN_VARIANT;
		pk->variant_key = p->nkeys;
		return pack_variants(p, pk, value);
	}
	if (strcmp(key, "variant.default") == 0) {
		if (pk->seen & SEEN_DEFAULT)
			return refuse(p, "pack %s: variant.default: repeated "
			    "key", pk->code);
		pk->seen |= SEEN_DEFAULT;
		if (!valid_variant(value))
			return refuse(p, "pack %s: variant.default: 1 to 16 "
			    "characters among A-Z, a-z, 0-9, '.' and '-'",
			    pk->code);
		copy_fit(pk->default_variant,
		    sizeof(pk->default_variant), value);
		pk->default_key = p->nkeys;
		return 0;
	}
	return refuse(p, "pack %s: %s: unknown key", pk->code,
	    printable(key, buf, sizeof(buf)));
}

static int
handler(void *arg, const char *section, const char *key, const char *value)
{
	struct parser *p = arg;
	int rc;

	p->nkeys++;
	if (p->failed)
		return 0;
	if (*value == '\0') {
		char buf[48];

		rc = refuse(p, "%s: %s: empty value", section,
		    printable(key, buf, sizeof(buf)));
	} else if (strncmp(section, "item ", 5) == 0) {
		struct item_rec *it = find_item(p->cat, section + 5);

		rc = it != NULL ? item_key(p, it, key, value) :
		    refuse(p, "[%s]: internal error", section);
	} else {
		struct pack_rec *pk = find_pack(p->cat, section + 5);

		rc = pk != NULL ? pack_key(p, pk, key, value) :
		    refuse(p, "[%s]: internal error", section);
	}
	if (rc < 0) {
		p->failed = true;
		return 0;
	}
	return 1;
}

/* The whole file ----------------------------------------------------------- */

/* Checks that need every section read, in file order of the records. */
static int
check_all(struct catalogue *cat, const char *name, const char *text,
    char *errbuf, size_t errsz)
{
	int fr = lang_index(cat, "fr");

	if (cat->npacks == 0) {
		errbuf_set(errbuf, errsz, "%s: no [pack] section: nothing could be "
		    "ordered", name);
		return -1;
	}
	for (size_t i = 0; i < cat->nitems; i++) {
		struct item_rec *it = cat->items[i];

		if (it->names[fr] == NULL) {
			errbuf_set(errbuf, errsz, "%s:%d: item %s: "
			    "name.fr is missing", name, it->line, it->code);
			return -1;
		}
		if (!(it->seen & SEEN_UNIT)) {
			errbuf_set(errbuf, errsz, "%s:%d: item %s: unit "
			    "is missing", name, it->line, it->code);
			return -1;
		}
	}
	for (size_t i = 0; i < cat->npacks; i++) {
		struct pack_rec *pk = cat->packs[i];
		const char *missing = NULL;

		if (pk->names[fr] == NULL)
			missing = "name.fr";
		else if (!(pk->seen & SEEN_VERSION))
			missing = "version";
		else if (!(pk->seen & SEEN_WEIGHT))
			missing = "weight";
		else if (pk->pub.nitems == 0)
			missing = "item";
		if (missing != NULL) {
			errbuf_set(errbuf, errsz, "%s:%d: pack %s: %s is missing%s",
			    name, pk->line, pk->code, missing,
			    strcmp(missing, "item") == 0 ?
			    " (a pack needs items)" : "");
			return -1;
		}
		/* The default as the list spells it, else the first. */
		pk->pub.default_variant = pk->pub.nvariants > 0 ?
		    pk->variants[0] : NULL;
		if (pk->seen & SEEN_DEFAULT) {
			size_t v = 0;

			while (v < pk->pub.nvariants &&
			    str_casecmp(pk->variants[v],
			    pk->default_variant) != 0)
				v++;
			if (v == pk->pub.nvariants) {
				errbuf_set(errbuf, errsz, "%s:%d: pack "
				    "%s: variant.default: not one of the "
				    "pack's variants", name,
				    config_ini_key_line(text, pk->default_key),
				    pk->code);
				return -1;
			}
			pk->pub.default_variant = pk->variants[v];
		}
		for (size_t k = 0; k < pk->pub.nitems; k++) {
			const char *vr = pk->items[k].variant;

			if (find_item(cat, pk->item_code[k]) == NULL) {
				errbuf_set(errbuf, errsz, "%s:%d: pack "
				    "%s: unknown item %s", name,
				    config_ini_key_line(text, pk->item_key[k]),
				    pk->code, pk->item_code[k]);
				return -1;
			}
			if (vr != NULL &&
			    !catalogue_pack_has_variant(&pk->pub, vr)) {
				errbuf_set(errbuf, errsz, "%s:%d: pack "
				    "%s: item %s: variant %s is not one of the "
				    "pack's variants", name,
				    config_ini_key_line(text, pk->item_key[k]),
				    pk->code, pk->item_code[k], vr);
				return -1;
			}
		}
		/* Whatever the person chooses, something goes in the box. */
		for (size_t v = 0; v < pk->pub.nvariants; v++) {
			size_t k = 0;

			while (k < pk->pub.nitems &&
			    !catalogue_pack_item_in(&pk->items[k],
			    pk->variants[v]))
				k++;
			if (k == pk->pub.nitems) {
				errbuf_set(errbuf, errsz, "%s:%d: pack %s: "
				    "variant: %s has no items", name,
				    config_ini_key_line(text, pk->variant_key),
				    pk->code, pk->variants[v]);
				return -1;
			}
		}
	}
	return 0;
}

struct catalogue *
catalogue_parse_string(const char *dir, const char *name, const char *text,
    char *errbuf, size_t errsz)
{
	struct catalogue *cat = NULL;
	struct sections sc;
	struct parser p;
	int rc;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (dir == NULL || name == NULL || text == NULL) {
		errbuf_set(errbuf, errsz, "catalogue: no input");
		goto fail;
	}
	cat = calloc(1, sizeof(*cat));
	if (cat != NULL)
		cat->dir = str_dup(dir);
	if (cat == NULL || cat->dir == NULL) {
		errbuf_set(errbuf, errsz, "%s: out of memory", name);
		goto fail;
	}
	if (scan_langs(cat, dir, errbuf, errsz) < 0)
		goto fail;

	sc.cat = cat;
	sc.name = name;
	if (config_ini_check(name, text, on_section, &sc, errbuf, errsz) < 0)
		goto fail;

	memset(&p, 0, sizeof(p));
	p.cat = cat;
	rc = ini_parse_string(text, handler, &p);
	if (rc != 0 || p.failed) {
		/* config_ini_check() ran libinih already: only ours fail. */
		if (rc > 0)
			errbuf_set(errbuf, errsz, "%s:%d: %s", name, rc,
			    p.msg);
		else
			errbuf_set(errbuf, errsz, "%s: %s", name,
			    p.failed ? p.msg : "cannot be parsed");
		goto fail;
	}
	if (check_all(cat, name, text, errbuf, errsz) < 0)
		goto fail;
	return cat;
fail:
	catalogue_free(cat);
	return NULL;
}

struct catalogue *
catalogue_load(const char *dir, char *errbuf, size_t errsz)
{
	char path[CONFIG_PATH_MAX];
	struct catalogue *cat = NULL;
	char *text = NULL;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (dir == NULL || str_printf(path, sizeof(path), "%s/packs.ini",
	    dir) < 0) {
		errbuf_set(errbuf, errsz, "templates directory path too long");
		goto out;
	}
	text = config_ini_read(path, CATALOGUE_FILE_MAX, errbuf, errsz);
	if (text == NULL)
		goto out;
	cat = catalogue_parse_string(dir, path, text, errbuf, errsz);
out:
	free(text);
	return cat;
}

void
catalogue_free(struct catalogue *cat)
{
	if (cat == NULL)
		return;
	for (size_t i = 0; i < cat->nitems; i++) {
		for (size_t k = 0; k < CATALOGUE_LANGS_MAX; k++)
			free(cat->items[i]->names[k]);
		free(cat->items[i]);
	}
	for (size_t i = 0; i < cat->npacks; i++) {
		for (size_t k = 0; k < CATALOGUE_LANGS_MAX; k++)
			free(cat->packs[i]->names[k]);
		free(cat->packs[i]);
	}
	free(cat->dir);
	free(cat);
}

/* Read-only access --------------------------------------------------------- */

const char *
catalogue_dir(const struct catalogue *cat)
{
	return cat->dir;
}

const struct catalogue_pack *
catalogue_pack(const struct catalogue *cat, const char *code)
{
	const struct pack_rec *pk = find_pack(cat, code);

	return pk != NULL ? &pk->pub : NULL;
}

const struct catalogue_item *
catalogue_item(const struct catalogue *cat, const char *code)
{
	const struct item_rec *it = find_item(cat, code);

	return it != NULL ? &it->pub : NULL;
}

size_t
catalogue_npacks(const struct catalogue *cat)
{
	return cat->npacks;
}

const struct catalogue_pack *
catalogue_pack_at(const struct catalogue *cat, size_t i)
{
	return i < cat->npacks ? &cat->packs[i]->pub : NULL;
}

size_t
catalogue_nitems(const struct catalogue *cat)
{
	return cat->nitems;
}

const struct catalogue_item *
catalogue_item_at(const struct catalogue *cat, size_t i)
{
	return i < cat->nitems ? &cat->items[i]->pub : NULL;
}

/* @names in @lang, else in French, else NULL. */
static const char *
pick_name(const struct catalogue *cat, char *const *names, const char *lang)
{
	int i = lang_index(cat, lang);

	if (i >= 0 && names[i] != NULL)
		return names[i];
	i = lang_index(cat, "fr");
	return i >= 0 ? names[i] : NULL;
}

const char *
catalogue_pack_name(const struct catalogue *cat, const char *code,
    const char *lang)
{
	const struct pack_rec *pk = find_pack(cat, code);
	const char *name = pk != NULL ? pick_name(cat, pk->names, lang) : NULL;

	return name != NULL ? name : code;
}

const char *
catalogue_item_name(const struct catalogue *cat, const char *code,
    const char *lang)
{
	const struct item_rec *it = find_item(cat, code);
	const char *name = it != NULL ? pick_name(cat, it->names, lang) : NULL;

	return name != NULL ? name : code;
}

bool
catalogue_pack_has_variant(const struct catalogue_pack *pack,
    const char *variant)
{
	if (pack == NULL || variant == NULL)
		return false;
	for (size_t i = 0; i < pack->nvariants; i++)
		if (str_casecmp(pack->variants[i], variant) == 0)
			return true;
	return false;
}

bool
catalogue_pack_item_in(const struct catalogue_pack_item *it,
    const char *variant)
{
	if (it == NULL)
		return false;
	if (it->variant == NULL)
		return true;
	return variant != NULL && str_casecmp(it->variant, variant) == 0;
}

bool
catalogue_has_lang(const struct catalogue *cat, const char *lang)
{
	return cat != NULL && lang_index(cat, lang) >= 0;
}

size_t
catalogue_nlangs(const struct catalogue *cat)
{
	return cat->nlangs;
}

const char *
catalogue_lang_at(const struct catalogue *cat, size_t i)
{
	return i < cat->nlangs ? cat->langs[i] : NULL;
}
