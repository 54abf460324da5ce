/*
 * The packing slip; see slip.h.  Texts are read from templates/slip/ and
 * checked whole at load time (every key present, no stranger, only the
 * placeholders a key may hold).  A slip is drawn in two passes over the
 * same code: the first only sets and measures text (and refuses what the
 * font cannot print), the second draws, so nothing half-drawn stays in the
 * document.  Text flows down the page in blocks; a block that does not fit
 * what is left of the page starts a new one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo-pdf.h>
#include <ini.h>
#include <openssl/crypto.h>

#include "base/config.h"
#include "base/util.h"
#include "printer/label.h"
#include "printer/slip.h"
#include "shipping/catalogue.h"

#define MM (72.0 / 25.4)
#define MARGIN_MM 14.0
#define STEP_INDENT_MM 6.0
#define ITEM_INDENT_MM 4.0
#define LOT_INDENT_MM 8.0
#define BOX_PAD_MM 4.0
#define LANGS_CACHED CATALOGUE_LANGS_MAX
#define SLIP_LINE_BYTES 512			/* one printed line before wrapping */
#define PNG_GAP_MM 6.0			/* grey band between PNG pages */

/* Fixed keys of a slip texts file; naloxone.N come on top. */
static const struct {
	const char *key;
	const char *placeholders;	/* allowed, space separated */
} slip_keys[] = {
	{ "title", "" },
	{ "hello", "" },
	{ "intro", "" },
	{ "contents", "" },
	{ "details", "" },
	{ "lot", "{lot} {expiry}" },
	{ "date", "" },
	{ "naloxone.title", "" },
	{ "naloxone.when", "" },
	{ "naloxone.note", "" },
	{ "contact.title", "" },
	{ "contact.phone", "{phone}" },
	{ "contact.nophone", "" },
	{ "kind", "" },
	{ "reference", "{ref}" },
};
#define NKEYS ARRAY_LEN(slip_keys)
#define NTEXTS (NKEYS + SLIP_NALOX_STEPS_MAX)

struct slip_texts {
	char lang[CATALOGUE_LANG_MAX];
	char *text[NTEXTS];		/* slip_keys, then naloxone.1.. */
	int line[NTEXTS];		/* where each was first given */
	size_t nsteps;
};

/* Index of @key in slip_texts.text, or -1. */
static int
key_index(const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(key, slip_keys[i].key) == 0)
			return (int)i;
	if (strncmp(key, "naloxone.", 9) == 0 && key[9] >= '1' &&
	    key[9] <= '0' + SLIP_NALOX_STEPS_MAX && key[10] == '\0')
		return (int)NKEYS + (key[9] - '1');
	return -1;
}

struct parse {
	struct slip_texts *t;
	const char *name;
	const char *text;
	unsigned nkeys;
	int line;
	bool failed;
	char msg[200];
};

static int
handler(void *arg, const char *section, const char *key, const char *value)
{
	struct parse *p = arg;
	struct slip_texts *t = p->t;
	char *joined;
	size_t have, add;
	int k, lineno;

	if (p->failed)
		return 0;
	/* libinih does not say the line: count the keys to find it again. */
	lineno = config_ini_key_line(p->text, ++p->nkeys);
	if (strcmp(section, "slip") != 0) {
		errbuf_set(p->msg, sizeof(p->msg), "%s:%d: unknown section "
		    "[%s]", p->name, lineno, section);
		goto fail;
	}
	k = key_index(key);
	if (k < 0) {
		errbuf_set(p->msg, sizeof(p->msg), "%s:%d: unknown key %s",
		    p->name, lineno, key);
		goto fail;
	}
	if (!utf8_valid(value, strlen(value)) || utf8_has_control(value) ||
	    value[0] == '\0') {
		errbuf_set(p->msg, sizeof(p->msg), "%s:%d: %s: empty or not "
		    "plain UTF-8 text", p->name, lineno, key);
		goto fail;
	}
	/* A key given again continues its text after a space. */
	have = t->text[k] != NULL ? strlen(t->text[k]) : 0;
	add = strlen(value);
	if (have + 1 + add + 1 > SLIP_TEXT_MAX) {
		errbuf_set(p->msg, sizeof(p->msg), "%s:%d: %s: more than %d "
		    "bytes", p->name, lineno, key, SLIP_TEXT_MAX);
		goto fail;
	}
	joined = malloc(have + 1 + add + 1);
	if (joined == NULL) {
		errbuf_set(p->msg, sizeof(p->msg), "%s: out of memory",
		    p->name);
		goto fail;
	}
	if (have > 0) {
		memcpy(joined, t->text[k], have);
		joined[have++] = ' ';
	} else {
		t->line[k] = lineno;
	}
	memcpy(joined + have, value, add + 1);
	free(t->text[k]);
	t->text[k] = joined;
	return 1;
fail:
	p->failed = true;
	p->line = lineno;
	return 0;
}

/* Every "{...}" in @text is one of @allowed ("{a} {b}"); no lone brace. */
static bool
placeholders_ok(const char *text, const char *allowed)
{
	for (const char *p = text; *p != '\0'; p++) {
		const char *end, *a = allowed;
		size_t n;
		bool found = false;

		if (*p == '}')
			return false;
		if (*p != '{')
			continue;
		end = strchr(p, '}');
		if (end == NULL)
			return false;
		n = (size_t)(end - p + 1);
		while (*a != '\0') {
			const char *sp = strchr(a, ' ');
			size_t an = sp != NULL ? (size_t)(sp - a) : strlen(a);

			if (an == n && strncmp(a, p, n) == 0)
				found = true;
			a += an;
			while (*a == ' ')
				a++;
		}
		if (!found)
			return false;
		p = end;
	}
	return true;
}

/* "DD", "MM" and "YYYY" once each, separated by one non-letter. */
static bool
date_pattern_ok(const char *s)
{
	const char *d = strstr(s, "DD"), *m = strstr(s, "MM");
	const char *y = strstr(s, "YYYY");

	return d != NULL && m != NULL && y != NULL && strlen(s) == 10 &&
	    strstr(d + 2, "DD") == NULL && strstr(m + 2, "MM") == NULL;
}

void
slip_texts_free(struct slip_texts *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < NTEXTS; i++)
		free(t->text[i]);
	free(t);
}

struct slip_texts *
slip_texts_parse(const char *name, const char *text, char *errbuf,
    size_t errsz)
{
	struct slip_texts *t;
	struct parse p;
	int rc;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (config_ini_check(name, text, NULL, NULL, errbuf, errsz) < 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errbuf_set(errbuf, errsz, "%s: out of memory", name);
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.t = t;
	p.name = name;
	p.text = text;
	rc = ini_parse_string(text, handler, &p);
	if (rc != 0 || p.failed) {
		if (p.failed)
			errbuf_set(errbuf, errsz, "%s", p.msg);
		else
			errbuf_set(errbuf, errsz, "%s:%d: cannot be parsed",
			    name, rc);
		goto fail;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (t->text[i] == NULL) {
			errbuf_set(errbuf, errsz, "%s: key %s is missing", name,
			    slip_keys[i].key);
			goto fail;
		}
		if (!placeholders_ok(t->text[i], slip_keys[i].placeholders)) {
			errbuf_set(errbuf, errsz, "%s:%d: %s: a placeholder "
			    "other than %s, or a lone brace", name,
			    t->line[i], slip_keys[i].key,
			    slip_keys[i].placeholders[0] != '\0' ?
			    slip_keys[i].placeholders : "none");
			goto fail;
		}
	}
	if (!date_pattern_ok(t->text[key_index("date")])) {
		errbuf_set(errbuf, errsz, "%s:%d: date: a pattern like "
		    "DD/MM/YYYY", name, t->line[key_index("date")]);
		goto fail;
	}
	for (size_t i = 0; i < SLIP_NALOX_STEPS_MAX; i++) {
		const char *s = t->text[NKEYS + i];

		if (s == NULL)
			break;
		if (!placeholders_ok(s, "")) {
			errbuf_set(errbuf, errsz, "%s:%d: naloxone.%zu: no "
			    "placeholder allowed", name, t->line[NKEYS + i],
			    i + 1);
			goto fail;
		}
		t->nsteps = i + 1;
	}
	for (size_t i = t->nsteps; i < SLIP_NALOX_STEPS_MAX; i++) {
		if (t->text[NKEYS + i] != NULL) {
			errbuf_set(errbuf, errsz, "%s:%d: naloxone.%zu without "
			    "naloxone.%zu", name, t->line[NKEYS + i], i + 1,
			    t->nsteps + 1);
			goto fail;
		}
	}
	if (t->nsteps == 0) {
		errbuf_set(errbuf, errsz, "%s: key naloxone.1 is missing",
		    name);
		goto fail;
	}
	return t;
fail:
	slip_texts_free(t);
	return NULL;
}

/* A language code as catalogue.h has them: a-z, 2 to 7 characters. */
static bool
lang_ok(const char *lang)
{
	size_t n = lang != NULL ? strlen(lang) : 0;

	if (n < 2 || n >= CATALOGUE_LANG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lang[i] < 'a' || lang[i] > 'z')
			return false;
	return true;
}

struct slip_texts *
slip_texts_load(const char *templates, const char *lang, char *errbuf,
    size_t errsz)
{
	char path[CONFIG_PATH_MAX];
	struct slip_texts *t;
	char *text;

	if (!lang_ok(lang)) {
		errbuf_set(errbuf, errsz, "slip: not a language code");
		return NULL;
	}
	if (str_printf(path, sizeof(path), "%s/slip/%s.ini", templates,
	    lang) < 0) {
		errbuf_set(errbuf, errsz, "slip: templates path too long");
		return NULL;
	}
	text = config_ini_read(path, SLIP_FILE_MAX, errbuf, errsz);
	if (text == NULL)
		return NULL;
	t = slip_texts_parse(path, text, errbuf, errsz);
	free(text);
	if (t != NULL && str_copy(t->lang, sizeof(t->lang), lang) < 0) {
		slip_texts_free(t);
		return NULL;
	}
	return t;
}

const char *
slip_texts_get(const struct slip_texts *t, const char *key)
{
	int k = key_index(key);

	return k < 0 ? NULL : t->text[k];
}

size_t
slip_texts_steps(const struct slip_texts *t)
{
	return t->nsteps;
}

/*
 * @tmpl with each {name} of @names replaced by the matching @values, into
 * @out.  Returns 0 or -1 when it does not fit.
 */
static int
fill(const char *tmpl, const char *const *names, const char *const *values,
    size_t n, char *out, size_t outsz)
{
	size_t k = 0;

	for (const char *p = tmpl; *p != '\0';) {
		const char *v = NULL;
		size_t skip = 1, vl;

		for (size_t i = 0; i < n && *p == '{'; i++) {
			size_t nl = strlen(names[i]);

			if (strncmp(p, names[i], nl) == 0) {
				v = values[i];
				skip = nl;
			}
		}
		if (v == NULL) {
			if (k + 1 >= outsz)
				return -1;
			out[k++] = *p;
		} else {
			vl = strlen(v);
			if (k + vl >= outsz)
				return -1;
			memcpy(out + k, v, vl);
			k += vl;
		}
		p += skip;
	}
	out[k] = '\0';
	return 0;
}

/* @t (UTC day) in the language's date pattern. */
static int
format_date(const char *pattern, time_t t, char *out, size_t outsz)
{
	struct tm tm;
	char dd[4], mm[4], yyyy[8];
	const char *names[] = { "DD", "MM", "YYYY" };
	const char *values[] = { dd, mm, yyyy };
	size_t k = 0;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (str_printf(dd, sizeof(dd), "%02d", tm.tm_mday) < 0 ||
	    str_printf(mm, sizeof(mm), "%02d", tm.tm_mon + 1) < 0 ||
	    str_printf(yyyy, sizeof(yyyy), "%04d", tm.tm_year + 1900) < 0)
		return -1;
	for (const char *p = pattern; *p != '\0';) {
		bool done = false;

		for (size_t i = 0; i < ARRAY_LEN(names) && !done; i++) {
			size_t nl = strlen(names[i]), vl = strlen(values[i]);

			if (strncmp(p, names[i], nl) != 0)
				continue;
			if (k + vl >= outsz)
				return -1;
			memcpy(out + k, values[i], vl);
			k += vl;
			p += nl;
			done = true;
		}
		if (!done) {
			if (k + 1 >= outsz)
				return -1;
			out[k++] = *p++;
		}
	}
	out[k] = '\0';
	return 0;
}

bool
slip_has_naloxone(const struct slip_content *sc)
{
	for (size_t i = 0; i < sc->npacks; i++)
		if (sc->packs[i].code != NULL &&
		    str_casecmp(sc->packs[i].code, SLIP_NALOXONE) == 0)
			return true;
	for (size_t i = 0; i < sc->nitems; i++)
		if (sc->items[i].code != NULL &&
		    str_casecmp(sc->items[i].code, SLIP_NALOXONE) == 0)
			return true;
	return false;
}

/* Text styles of a slip. */
enum style {
	ST_TITLE = 0,
	ST_HEAD,
	ST_BODY,
	ST_BOLD,
	ST_SMALL,
	ST_PHONE,
	ST_COUNT,
};

static const struct {
	double pt;
	bool bold;
	double after;		/* mm of space after a block */
} styles[ST_COUNT] = {
	[ST_TITLE] = { 18, true, 3 },
	[ST_HEAD] = { 12.5, true, 1.5 },
	[ST_BODY] = { 10.5, false, 1.2 },
	[ST_BOLD] = { 10.5, true, 1.0 },
	[ST_SMALL] = { 9, false, 0.8 },
	[ST_PHONE] = { 15, true, 1.5 },
};

struct slip_doc {
	enum label_format fmt;
	enum slip_size size;
	int dpi;
	const struct catalogue *cat;
	char templates[CONFIG_PATH_MAX];
	struct slip_texts *texts[LANGS_CACHED];
	size_t ntexts;

	struct label_out out;
	cairo_surface_t *surface;
	cairo_t *cr;
	PangoFontMap *fontmap;
	PangoContext *ctx;
	PangoLayout *layout[ST_COUNT];

	double page_w, page_h;		/* points */
	size_t png_pages;		/* pages the PNG has room for */
	size_t count, pages;
	bool finished;
	double min_x, min_y, max_x, max_y;	/* drawn, points */

	/* The flow of the slip being laid out or drawn. */
	bool draw;
	double y;
	size_t page;			/* of this slip, from 1 */
	char why[200];
};

/* The texts for @lang, loaded once per document. */
static const struct slip_texts *
texts_for(struct slip_doc *doc, const char *lang, char *errbuf,
    size_t errsz)
{
	struct slip_texts *t;

	for (size_t i = 0; i < doc->ntexts; i++)
		if (strcmp(doc->texts[i]->lang, lang) == 0)
			return doc->texts[i];
	if (doc->ntexts >= LANGS_CACHED) {
		errbuf_set(errbuf, errsz, "slip: too many languages in one "
		    "document");
		return NULL;
	}
	t = slip_texts_load(doc->templates, lang, errbuf, errsz);
	if (t == NULL)
		return NULL;
	doc->texts[doc->ntexts++] = t;
	return t;
}

static double
left(const struct slip_doc *doc)
{
	(void)doc;
	return MARGIN_MM * MM;
}

static double
width(const struct slip_doc *doc)
{
	return doc->page_w - 2 * MARGIN_MM * MM;
}

static double
bottom(const struct slip_doc *doc)
{
	return doc->page_h - MARGIN_MM * MM;
}

static void
new_page(struct slip_doc *doc)
{
	if (doc->draw && doc->fmt == LABEL_PDF)
		cairo_show_page(doc->cr);
	doc->page++;
	doc->y = MARGIN_MM * MM;
}

/*
 * Set @text in @style, wrapped to @w points.  Returns its height, or -1
 * (reason in doc->why) when the font lacks a character.
 */
static double
set_text(struct slip_doc *doc, enum style st, const char *text, double w)
{
	PangoLayout *l = doc->layout[st];
	double lw, lh;

	pango_layout_set_width(l, (int)(w * PANGO_SCALE));
	pango_layout_set_text(l, text, -1);
	if (label_layout_missing(l)) {
		errbuf_set(doc->why, sizeof(doc->why), "slip: a character "
		    "the font cannot print");
		return -1;
	}
	label_layout_size(l, &lw, &lh);
	return lh;
}

/*
 * true when drawing now puts ink somewhere, and the offset of the current
 * page on the surface: a PNG stacks the pages of its slip one under the
 * other.
 */
static bool
drawable(const struct slip_doc *doc, double *yoff)
{
	*yoff = 0;
	if (!doc->draw)
		return false;
	if (doc->fmt == LABEL_PNG) {
		if (doc->page > doc->png_pages)
			return false;
		*yoff = (double)(doc->page - 1) * (doc->page_h +
		    PNG_GAP_MM * MM);
	}
	return true;
}

/* Draw the layout of @st at (@x, @y) when drawing, and count the box. */
static void
put(struct slip_doc *doc, enum style st, double x, double y)
{
	PangoRectangle ink, logical;
	double yoff;

	if (!drawable(doc, &yoff))
		return;
	cairo_set_source_rgb(doc->cr, 0, 0, 0);
	cairo_move_to(doc->cr, x, y + yoff);
	pango_cairo_show_layout(doc->cr, doc->layout[st]);
	pango_layout_get_extents(doc->layout[st], &ink, &logical);
	if (x < doc->min_x)
		doc->min_x = x;
	if (y < doc->min_y)
		doc->min_y = y;
	if (x + (double)logical.width / PANGO_SCALE > doc->max_x)
		doc->max_x = x + (double)logical.width / PANGO_SCALE;
	if (y + (double)logical.height / PANGO_SCALE > doc->max_y)
		doc->max_y = y + (double)logical.height / PANGO_SCALE;
}

/* A block of text at @indent mm, on a new page when it does not fit. */
static int
block(struct slip_doc *doc, enum style st, const char *text, double indent)
{
	double x = left(doc) + indent * MM, h;

	h = set_text(doc, st, text, width(doc) - indent * MM);
	if (h < 0)
		return -1;
	if (doc->y + h > bottom(doc) && doc->y > MARGIN_MM * MM + 1)
		new_page(doc);
	put(doc, st, x, doc->y);
	doc->y += h + styles[st].after * MM;
	return 0;
}

/* The naloxone box: measured, moved to a new page if need be, drawn. */
static int
naloxone_box(struct slip_doc *doc, const struct slip_texts *t)
{
	double pad = BOX_PAD_MM * MM, inner = width(doc) - 2 * pad;
	double x = left(doc) + pad, h = 0, y = 0, top = 0, hh;
	double step_w = inner - STEP_INDENT_MM * MM;
	char num[8];

	/* Measure. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			if (doc->y + h + 2 * pad > bottom(doc) &&
			    doc->y > MARGIN_MM * MM + 1)
				new_page(doc);
			double yoff;

			top = doc->y;
			y = top + pad;
			if (drawable(doc, &yoff)) {
				cairo_set_source_rgb(doc->cr, 0, 0, 0);
				cairo_set_line_width(doc->cr, 1.2);
				cairo_rectangle(doc->cr, left(doc), top + yoff,
				    width(doc), h + 2 * pad);
				cairo_stroke(doc->cr);
			}
		} else {
			y = 0;
		}
		hh = set_text(doc, ST_HEAD, slip_texts_get(t,
		    "naloxone.title"), inner);
		if (hh < 0)
			return -1;
		if (pass == 1)
			put(doc, ST_HEAD, x, y);
		y += hh + styles[ST_HEAD].after * MM;
		hh = set_text(doc, ST_BODY, slip_texts_get(t, "naloxone.when"),
		    inner);
		if (hh < 0)
			return -1;
		if (pass == 1)
			put(doc, ST_BODY, x, y);
		y += hh + styles[ST_BODY].after * MM * 2;
		for (size_t i = 0; i < slip_texts_steps(t); i++) {
			char key[16];

			if (str_printf(key, sizeof(key), "naloxone.%zu",
			    i + 1) < 0 || str_printf(num, sizeof(num), "%zu.",
			    i + 1) < 0)
				return -1;
			if (set_text(doc, ST_BOLD, num, STEP_INDENT_MM * MM) <
			    0)
				return -1;
			if (pass == 1)
				put(doc, ST_BOLD, x, y);
			hh = set_text(doc, ST_BODY, slip_texts_get(t, key),
			    step_w);
			if (hh < 0)
				return -1;
			if (pass == 1)
				put(doc, ST_BODY, x + STEP_INDENT_MM * MM, y);
			y += hh + styles[ST_BODY].after * MM;
		}
		y += styles[ST_BODY].after * MM;
		hh = set_text(doc, ST_SMALL, slip_texts_get(t, "naloxone.note"),
		    inner);
		if (hh < 0)
			return -1;
		if (pass == 1)
			put(doc, ST_SMALL, x, y);
		y += hh;
		if (pass == 0)
			h = y;
	}
	doc->y = top + h + 2 * pad + 5 * MM;
	return 0;
}

/* The coordinator's number (big) and what it is for, or the card's. */
static int
contact(struct slip_doc *doc, const struct slip_texts *t,
    const struct slip_content *sc)
{
	char line[SLIP_LINE_BYTES];

	if (block(doc, ST_HEAD, slip_texts_get(t, "contact.title"), 0) < 0)
		return -1;
	if (sc->phone != NULL && sc->phone[0] != '\0') {
		const char *names[] = { "{phone}" };
		const char *values[] = { sc->phone };

		if (block(doc, ST_PHONE, sc->phone, 0) < 0 ||
		    fill(slip_texts_get(t, "contact.phone"), names, values, 1,
		    line, sizeof(line)) < 0 ||
		    block(doc, ST_BODY, line, 0) < 0)
			return -1;
	} else if (block(doc, ST_BODY, slip_texts_get(t, "contact.nophone"),
	    0) < 0) {
		return -1;
	}
	return 0;
}

/* The packs, then the items with the lots of those that expire. */
static int
contents(struct slip_doc *doc, const struct slip_texts *t,
    const struct slip_content *sc)
{
	char line[SLIP_LINE_BYTES];
	const char *lot_names[] = { "{lot}", "{expiry}" };

	if (block(doc, ST_HEAD, slip_texts_get(t, "contents"), 0) < 0)
		return -1;
	for (size_t i = 0; i < sc->npacks; i++) {
		const struct slip_pack *p = &sc->packs[i];
		const char *name = catalogue_pack_name(doc->cat, p->code,
		    sc->lang);
		int rc;

		if (p->variant != NULL && p->variant[0] != '\0')
			rc = str_printf(line, sizeof(line), "%d \xc3\x97 %s "
			    "(%s)", p->qty, name, p->variant);
		else
			rc = str_printf(line, sizeof(line), "%d \xc3\x97 %s",
			    p->qty, name);
		if (rc < 0 || block(doc, ST_BOLD, line, ITEM_INDENT_MM) < 0)
			return -1;
	}
	doc->y += 2 * MM;
	if (sc->nitems > 0 &&
	    block(doc, ST_HEAD, slip_texts_get(t, "details"), 0) < 0)
		return -1;
	for (size_t i = 0; i < sc->nitems; i++) {
		const struct slip_item *it = &sc->items[i];

		if (str_printf(line, sizeof(line), "%d \xc3\x97 %s", it->qty,
		    catalogue_item_name(doc->cat, it->code, sc->lang)) < 0 ||
		    block(doc, ST_BODY, line, ITEM_INDENT_MM) < 0)
			return -1;
		for (size_t k = 0; k < sc->nlots; k++) {
			const struct slip_lot *lot = &sc->lots[k];
			char date[32];
			const char *values[2];

			if (lot->expiry == 0 || str_casecmp(lot->item,
			    it->code) != 0)
				continue;
			if (format_date(slip_texts_get(t, "date"), lot->expiry,
			    date, sizeof(date)) < 0)
				return -1;
			values[0] = lot->lot;
			values[1] = date;
			if (fill(slip_texts_get(t, "lot"), lot_names, values, 2,
			    line, sizeof(line)) < 0 ||
			    block(doc, ST_SMALL, line, LOT_INDENT_MM) < 0)
				return -1;
		}
	}
	return 0;
}

/*
 * One pass over a slip: lay out (doc->draw false) or draw.  What matters
 * most comes first: the reference to quote, the words to the person, how
 * to call; then the contents; the naloxone steps last, in a box that
 * starts a page of its own when it does not fit, so it can be kept.
 */
static int
flow(struct slip_doc *doc, const struct slip_texts *t,
    const struct slip_content *sc)
{
	char line[SLIP_LINE_BYTES], grouped[LABEL_CODE_MAX * 2];
	const char *names[] = { "{ref}" };
	const char *values[] = { grouped };

	doc->page = 1;
	doc->y = MARGIN_MM * MM;
	if (label_code_group(sc->ref, grouped, sizeof(grouped)) < 0) {
		errbuf_set(doc->why, sizeof(doc->why), "slip: the reference "
		    "is malformed");
		return -1;
	}
	if (block(doc, ST_TITLE, slip_texts_get(t, "title"), 0) < 0 ||
	    fill(slip_texts_get(t, "reference"), names, values, 1, line,
	    sizeof(line)) < 0 ||
	    block(doc, ST_SMALL, line, 0) < 0)
		return -1;
	doc->y += 2 * MM;
	if (block(doc, ST_BODY, slip_texts_get(t, "hello"), 0) < 0 ||
	    block(doc, ST_BODY, slip_texts_get(t, "intro"), 0) < 0 ||
	    block(doc, ST_BODY, slip_texts_get(t, "kind"), 0) < 0)
		return -1;
	doc->y += 2 * MM;
	if (contact(doc, t, sc) < 0)
		return -1;
	doc->y += 3 * MM;
	if (contents(doc, t, sc) < 0)
		return -1;
	doc->y += 4 * MM;
	if (slip_has_naloxone(sc) && naloxone_box(doc, t) < 0)
		return -1;
	return 0;
}

/* What must hold before a slip is laid out. */
static int
content_check(const struct slip_doc *doc, const struct slip_content *sc,
    char *errbuf, size_t errsz)
{
	if (sc->npacks == 0 || sc->npacks > SLIP_PACKS_MAX ||
	    sc->nitems > SLIP_ITEMS_MAX || sc->nlots > SLIP_LOTS_MAX) {
		errbuf_set(errbuf, errsz, "slip: 1 to %d packs, at most %d "
		    "items and %d lots", SLIP_PACKS_MAX, SLIP_ITEMS_MAX,
		    SLIP_LOTS_MAX);
		return -1;
	}
	for (size_t i = 0; i < sc->npacks; i++) {
		if (sc->packs[i].code == NULL || catalogue_pack(doc->cat,
		    sc->packs[i].code) == NULL) {
			errbuf_set(errbuf, errsz, "slip: pack %zu is not in "
			    "the catalogue", i + 1);
			return -1;
		}
		if (sc->packs[i].qty < 1 || sc->packs[i].qty > 999) {
			errbuf_set(errbuf, errsz, "slip: pack %zu: quantity "
			    "out of range", i + 1);
			return -1;
		}
		if (sc->packs[i].variant != NULL &&
		    strlen(sc->packs[i].variant) >= CATALOGUE_VARIANT_MAX) {
			errbuf_set(errbuf, errsz, "slip: pack %zu: variant "
			    "too long", i + 1);
			return -1;
		}
	}
	for (size_t i = 0; i < sc->nitems; i++) {
		if (sc->items[i].code == NULL || catalogue_item(doc->cat,
		    sc->items[i].code) == NULL) {
			errbuf_set(errbuf, errsz, "slip: item %zu is not in "
			    "the catalogue", i + 1);
			return -1;
		}
		if (sc->items[i].qty < 1 || sc->items[i].qty > 1000000) {
			errbuf_set(errbuf, errsz, "slip: item %zu: quantity "
			    "out of range", i + 1);
			return -1;
		}
	}
	for (size_t i = 0; i < sc->nlots; i++) {
		if (sc->lots[i].item == NULL || sc->lots[i].lot == NULL ||
		    strlen(sc->lots[i].lot) > 64 || !utf8_valid(
		    sc->lots[i].lot, strlen(sc->lots[i].lot)) ||
		    utf8_has_control(sc->lots[i].lot)) {
			errbuf_set(errbuf, errsz, "slip: lot %zu is malformed",
			    i + 1);
			return -1;
		}
	}
	if (sc->phone != NULL && (strlen(sc->phone) > 64 || !utf8_valid(
	    sc->phone, strlen(sc->phone)) || utf8_has_control(sc->phone))) {
		errbuf_set(errbuf, errsz, "slip: the centre's phone is "
		    "malformed");
		return -1;
	}
	return 0;
}

struct slip_doc *
slip_doc_new(enum label_format fmt, enum slip_size size, int dpi,
    const struct catalogue *cat, const char *templates, char *errbuf,
    size_t errsz)
{
	struct slip_doc *doc;

	if (fmt != LABEL_PDF && fmt != LABEL_PNG) {
		errbuf_set(errbuf, errsz, "slip: PDF or PNG only");
		return NULL;
	}
	if (dpi < LABEL_DPI_MIN || dpi > LABEL_DPI_MAX) {
		errbuf_set(errbuf, errsz, "dpi: %d to %d", LABEL_DPI_MIN,
		    LABEL_DPI_MAX);
		return NULL;
	}
	doc = calloc(1, sizeof(*doc));
	if (doc == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return NULL;
	}
	doc->fmt = fmt;
	doc->size = size;
	doc->dpi = dpi;
	doc->cat = cat;
	if (str_copy(doc->templates, sizeof(doc->templates), templates) < 0) {
		errbuf_set(errbuf, errsz, "slip: templates path too long");
		goto fail;
	}
	doc->page_w = (size == SLIP_A4 ? 210 : 148) * MM;
	doc->page_h = (size == SLIP_A4 ? 297 : 210) * MM;
	doc->min_x = doc->page_w;
	doc->min_y = doc->page_h;
	doc->ctx = label_font_context(&doc->fontmap, errbuf, errsz);
	if (doc->ctx == NULL)
		goto fail;
	/*
	 * A PDF surface now; a PNG's once its slip is laid out and its
	 * height known.  The context keeps the identity matrix: text is laid
	 * out in points, the same for both passes and both formats.
	 */
	if (fmt == LABEL_PDF) {
		doc->surface = cairo_pdf_surface_create_for_stream(
		    label_out_write, &doc->out, doc->page_w, doc->page_h);
		cairo_pdf_surface_set_metadata(doc->surface,
		    CAIRO_PDF_METADATA_CREATOR, "hrpost");
		doc->cr = cairo_create(doc->surface);
		if (cairo_status(doc->cr) != CAIRO_STATUS_SUCCESS) {
			errbuf_set(errbuf, errsz, "slip: cannot draw: %s",
			    cairo_status_to_string(cairo_status(doc->cr)));
			goto fail;
		}
	}
	for (int i = 0; i < ST_COUNT; i++) {
		doc->layout[i] = label_layout_new(doc->ctx, LABEL_FONT,
		    styles[i].bold, styles[i].pt);
		if (doc->layout[i] == NULL) {
			errbuf_set(errbuf, errsz, "out of memory");
			goto fail;
		}
		pango_layout_set_wrap(doc->layout[i], PANGO_WRAP_WORD_CHAR);
		pango_layout_set_spacing(doc->layout[i],
		    (int)(styles[i].pt * 0.15 * PANGO_SCALE));
	}
	return doc;
fail:
	slip_doc_free(doc);
	return NULL;
}

/* The PNG's surface for @pages pages stacked, grey bands between. */
static int
png_surface(struct slip_doc *doc, size_t pages, char *errbuf, size_t errsz)
{
	double gap = PNG_GAP_MM * MM;
	double h = (double)pages * doc->page_h + (double)(pages - 1) * gap;

	doc->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
	    (int)(doc->page_w / 72 * doc->dpi + 0.5),
	    (int)(h / 72 * doc->dpi + 0.5));
	doc->cr = cairo_create(doc->surface);
	if (cairo_status(doc->cr) != CAIRO_STATUS_SUCCESS) {
		errbuf_set(errbuf, errsz, "slip: cannot draw: %s",
		    cairo_status_to_string(cairo_status(doc->cr)));
		return -1;
	}
	cairo_scale(doc->cr, doc->dpi / 72.0, doc->dpi / 72.0);
	cairo_set_source_rgb(doc->cr, 1, 1, 1);
	cairo_paint(doc->cr);
	cairo_set_source_rgb(doc->cr, 0.6, 0.6, 0.6);
	for (size_t i = 1; i < pages; i++)
		cairo_rectangle(doc->cr, 0, (double)i * (doc->page_h + gap) -
		    gap, doc->page_w, gap);
	cairo_fill(doc->cr);
	doc->png_pages = pages;
	return 0;
}

int
slip_doc_add(struct slip_doc *doc, const struct slip_content *sc,
    char *errbuf, size_t errsz)
{
	const struct slip_texts *t;

	if (doc->finished) {
		errbuf_set(errbuf, errsz, "document already finished");
		return -1;
	}
	if (doc->fmt == LABEL_PNG && doc->count > 0) {
		errbuf_set(errbuf, errsz, "a PNG holds one slip");
		return -1;
	}
	if (content_check(doc, sc, errbuf, errsz) < 0)
		return -1;
	t = texts_for(doc, sc->lang, errbuf, errsz);
	if (t == NULL)
		return -1;
	doc->why[0] = '\0';
	doc->draw = false;
	if (flow(doc, t, sc) < 0) {
		errbuf_set(errbuf, errsz, "%s", doc->why[0] != '\0' ? doc->why :
		    "slip: a text does not fit");
		return -1;
	}
	/* Everything fits and prints: draw it, from a fresh page. */
	if (doc->fmt == LABEL_PDF && doc->count > 0)
		cairo_show_page(doc->cr);
	if (doc->fmt == LABEL_PNG && png_surface(doc, doc->page, errbuf,
	    errsz) < 0)
		return -1;
	doc->draw = true;
	if (flow(doc, t, sc) < 0) {
		/* The first pass ran the same code: cannot happen. */
		errbuf_set(errbuf, errsz, "slip: drawing failed");
		return -1;
	}
	if (cairo_status(doc->cr) != CAIRO_STATUS_SUCCESS) {
		errbuf_set(errbuf, errsz, "slip: cannot draw: %s",
		    cairo_status_to_string(cairo_status(doc->cr)));
		return -1;
	}
	doc->pages += doc->page;
	doc->count++;
	return 0;
}

size_t
slip_doc_count(const struct slip_doc *doc)
{
	return doc->count;
}

size_t
slip_doc_pages(const struct slip_doc *doc)
{
	return doc->pages;
}

void
slip_doc_bounds(const struct slip_doc *doc, double *page_w, double *page_h,
    struct label_box *drawn)
{
	*page_w = doc->page_w / MM;
	*page_h = doc->page_h / MM;
	drawn->x = doc->min_x / MM;
	drawn->y = doc->min_y / MM;
	drawn->w = (doc->max_x - doc->min_x) / MM;
	drawn->h = (doc->max_y - doc->min_y) / MM;
}

int
slip_doc_finish(struct slip_doc *doc, unsigned char **out, size_t *len,
    char *errbuf, size_t errsz)
{
	cairo_status_t cs;

	*out = NULL;
	*len = 0;
	if (doc->finished) {
		errbuf_set(errbuf, errsz, "document already finished");
		return -1;
	}
	doc->finished = true;
	if (doc->count == 0) {
		errbuf_set(errbuf, errsz, "no slip to print");
		return -1;
	}
	if (doc->fmt == LABEL_PDF)
		cairo_show_page(doc->cr);
	cairo_destroy(doc->cr);
	doc->cr = NULL;
	if (doc->fmt == LABEL_PNG) {
		cs = cairo_surface_write_to_png_stream(doc->surface,
		    label_out_write, &doc->out);
	} else {
		cairo_surface_finish(doc->surface);
		cs = cairo_surface_status(doc->surface);
	}
	if (cs != CAIRO_STATUS_SUCCESS || doc->out.failed) {
		errbuf_set(errbuf, errsz, "cannot write the slip: %s",
		    doc->out.failed ? "more than the size limit or out of "
		    "memory" : cairo_status_to_string(cs));
		return -1;
	}
	*out = doc->out.p;
	*len = doc->out.len;
	doc->out.p = NULL;
	doc->out.len = doc->out.cap = 0;
	return 0;
}

void
slip_doc_free(struct slip_doc *doc)
{
	if (doc == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++) {
		if (doc->layout[i] != NULL) {
			pango_layout_set_text(doc->layout[i], "", 0);
			g_object_unref(doc->layout[i]);
		}
	}
	if (doc->cr != NULL)
		cairo_destroy(doc->cr);
	if (doc->surface != NULL) {
		cairo_surface_finish(doc->surface);
		cairo_surface_destroy(doc->surface);
	}
	label_out_free(&doc->out);
	if (doc->ctx != NULL)
		g_object_unref(doc->ctx);
	if (doc->fontmap != NULL)
		g_object_unref(doc->fontmap);
	for (size_t i = 0; i < doc->ntexts; i++)
		slip_texts_free(doc->texts[i]);
	OPENSSL_cleanse(doc, sizeof(*doc));
	free(doc);
}
