/*
 * Label layout and drawing with cairo and pango; see label.h.
 *
 * Every label goes through two passes.  The layout pass sets each text in
 * its pango layout, refuses characters the font lacks, chooses the address
 * font size (the largest up to the size's maximum at which the widest line
 * fits the label and the block fits its band) and encodes the QR code.
 * Only when all of that succeeded does the drawing pass touch the cairo
 * surface, so a refused label leaves no mark on the document.
 *
 * The layouts live as long as the document: the sender block is set once,
 * the address and code layouts get new text for each label.  Font metrics
 * are unhinted, so widths scale linearly with the font size and the PDF,
 * its PNG preview and the measurements here agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <openssl/crypto.h>

#include "base/util.h"
#include "printer/label.h"
#include "printer/qr.h"
#include "printer/zpl.h"

#define MM (72.0 / 25.4)		/* points per millimetre */
#define QR_QUIET 4			/* modules of white around the symbol */
#define RULE_MM 0.3
#define LINE_SPACING 1.08		/* address line pitch / font height */
#define FIT_STEP 0.25			/* points: font size search step */
#define OUT_START 65536

/* The layout of one label size, in millimetres from the label's corner. */
struct geom {
	double page_w, page_h;		/* the PDF page */
	double cell_w, cell_h;		/* one label */
	double sender_x, sender_y, sender_w, sender_pt;
	double rule1_y, rule2_y;	/* 0: no rule */
	double rule_x, rule_w;
	double addr_x, addr_top, addr_bottom, addr_w;
	double addr_pt_max, addr_pt_min;
	double qr_x, qr_y, qr_size;
	double code_x, code_y, code_w, code_pt;
	bool code_centre_qr;		/* centre the code on the QR's height */
};

static const struct geom geom_thermal = {
	.page_w = 100, .page_h = 150, .cell_w = 100, .cell_h = 150,
	.sender_x = 6, .sender_y = 6, .sender_w = 88, .sender_pt = 8,
	.rule1_y = 20, .rule2_y = 96, .rule_x = 6, .rule_w = 88,
	.addr_x = 6, .addr_top = 24, .addr_bottom = 92, .addr_w = 88,
	.addr_pt_max = 18, .addr_pt_min = 7,
	.qr_x = 4, .qr_y = 102, .qr_size = 42,
	.code_x = 48, .code_y = 102, .code_w = 46, .code_pt = 11,
	.code_centre_qr = true,
};

/* Avery L7165-style sheet: 2 x 4 labels of 99.1 x 67.7 mm on A4. */
#define SHEET_LEFT 4.65
#define SHEET_TOP 13.1
#define SHEET_PITCH_X 101.6
#define SHEET_PITCH_Y 67.7
static const struct geom geom_a4 = {
	.page_w = 210, .page_h = 297, .cell_w = 99.1, .cell_h = 67.7,
	.sender_x = 5, .sender_y = 5, .sender_w = 62, .sender_pt = 7,
	.rule1_y = 0, .rule2_y = 0,
	.addr_x = 5, .addr_top = 30, .addr_bottom = 63.7, .addr_w = 89.1,
	.addr_pt_max = 14, .addr_pt_min = 7,
	.qr_x = 71.1, .qr_y = 3, .qr_size = 26,
	.code_x = 5, .code_y = 20, .code_w = 62, .code_pt = 9,
	.code_centre_qr = false,
};

struct label_doc {
	enum label_format fmt;
	enum label_size size;
	const struct geom *g;
	int dpi;
	size_t count;
	bool finished;

	/* The sender block, copied; and a view of it for zpl.c. */
	char sender_name[LABEL_LINE_BYTES];
	char sender_line[LABEL_LINE_BYTES];
	char sender_postcode[LABEL_LINE_BYTES];
	char sender_commune[LABEL_LINE_BYTES];
	struct label_sender sender;

	struct zpl *zpl;		/* LABEL_ZPL */

	struct label_out out;		/* LABEL_PDF, LABEL_PNG */
	cairo_surface_t *surface;
	cairo_t *cr;
	PangoFontMap *fontmap;
	PangoContext *ctx;
	PangoLayout *sender_l[LABEL_SENDER_LINES];
	size_t nsender;
	double sender_pt;
	PangoLayout *addr_l[LABEL_LINES_MAX];
	PangoLayout *code_l;

	struct label_geometry last;
};

/*
 * LeakSanitizer's suppressions, for builds with AddressSanitizer only.
 * fontconfig loads its configuration once per process, the first time a
 * font is asked for, and keeps parts of it behind pointers stored as
 * offsets that a leak checker cannot follow: 288 bytes reported lost that
 * FcFini() would free.  Every program that draws a label (hrpost, the
 * tests, the bench) links this file, so the hook lives here.  valgrind
 * gets the same rule from tests/data/valgrind.supp.
 */
#if defined(__SANITIZE_ADDRESS__)
#define LABEL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LABEL_ASAN 1
#endif
#endif
#ifdef LABEL_ASAN
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

/* Not a word about it on every exit: stderr is the command's. */
const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif

int
label_format_parse(const char *s, enum label_format *out)
{
	static const char *const names[] = { "pdf", "png", "zpl" };

	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (str_casecmp(s, names[i]) == 0) {
			*out = (enum label_format)i;
			return 0;
		}
	}
	return -1;
}

const char *
label_format_name(enum label_format f)
{
	switch (f) {
	case LABEL_PDF:
		return "pdf";
	case LABEL_PNG:
		return "png";
	case LABEL_ZPL:
		return "zpl";
	}
	return "?";
}

int
label_size_parse(const char *s, enum label_size *out)
{
	if (str_casecmp(s, "100x150") == 0) {
		*out = LABEL_100X150;
		return 0;
	}
	if (str_casecmp(s, "a4") == 0) {
		*out = LABEL_A4;
		return 0;
	}
	return -1;
}

const char *
label_size_name(enum label_size s)
{
	return s == LABEL_A4 ? "a4" : "100x150";
}

int
label_code_group(const char *code, char *out, size_t outsz)
{
	size_t n, k = 0;

	if (code == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	n = strlen(code);
	if (n == 0 || n > LABEL_CODE_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = code[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z')))
			return -1;
		if (i > 0 && i % LABEL_CODE_GROUP == 0) {
			if (k + 1 >= outsz)
				goto small;
			out[k++] = '-';
		}
		if (k + 1 >= outsz)
			goto small;
		out[k++] = ch;
	}
	out[k] = '\0';
	return 0;
small:
	out[0] = '\0';
	return -1;
}

/* One text line of a label: @what names it in messages. */
static int
line_check(const char *what, size_t no, const char *s, char *errbuf,
    size_t errsz)
{
	bool blank = true;

	if (s == NULL || s[0] == '\0') {
		errbuf_set(errbuf, errsz, "%s %zu: empty", what, no);
		return -1;
	}
	if (!utf8_valid(s, strlen(s)) || utf8_has_control(s)) {
		errbuf_set(errbuf, errsz, "%s %zu: not valid UTF-8 text "
		    "without control characters", what, no);
		return -1;
	}
	for (const char *p = s; *p != '\0'; p++)
		if (*p != ' ')
			blank = false;
	if (blank) {
		errbuf_set(errbuf, errsz, "%s %zu: blank", what, no);
		return -1;
	}
	if (utf8_len(s) > LABEL_LINE_MAX) {
		errbuf_set(errbuf, errsz, "%s %zu: more than %d characters",
		    what, no, LABEL_LINE_MAX);
		return -1;
	}
	return 0;
}

/* RFC 3986 characters, minus none: a URL as typed in the config. */
static bool
url_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL;
}

int
label_content_check(const struct label_content *lc, char *errbuf,
    size_t errsz)
{
	char grouped[LABEL_CODE_MAX * 2];
	size_t n;

	if (lc->nlines == 0) {
		errbuf_set(errbuf, errsz, "address: no lines");
		return -1;
	}
	if (lc->nlines > LABEL_LINES_MAX) {
		errbuf_set(errbuf, errsz, "address: %zu lines, at most %d",
		    lc->nlines, LABEL_LINES_MAX);
		return -1;
	}
	for (size_t i = 0; i < lc->nlines; i++)
		if (line_check("address line", i + 1, lc->lines[i], errbuf,
		    errsz) < 0)
			return -1;
	if (lc->url == NULL || lc->url[0] == '\0') {
		errbuf_set(errbuf, errsz, "tracking URL: missing");
		return -1;
	}
	n = strlen(lc->url);
	if (n > LABEL_URL_MAX) {
		errbuf_set(errbuf, errsz, "tracking URL: more than %d bytes",
		    LABEL_URL_MAX);
		return -1;
	}
	if (strncmp(lc->url, "http://", 7) != 0 &&
	    strncmp(lc->url, "https://", 8) != 0) {
		errbuf_set(errbuf, errsz, "tracking URL: not http:// or "
		    "https://");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!url_char(lc->url[i])) {
			errbuf_set(errbuf, errsz, "tracking URL: a character "
			    "that does not belong in a URL");
			return -1;
		}
	}
	if (label_code_group(lc->code, grouped, sizeof(grouped)) < 0) {
		errbuf_set(errbuf, errsz, "tracking code: not 1 to %d "
		    "characters 0-9 A-Z", LABEL_CODE_MAX);
		return -1;
	}
	return 0;
}

int
label_sender_check(const struct label_sender *s, char *errbuf,
    size_t errsz)
{
	char joined[LABEL_LINE_BYTES * 2];

	if (line_check("sender line", 1, s->name, errbuf, errsz) < 0)
		return -1;
	if (s->line != NULL && s->line[0] != '\0' &&
	    line_check("sender line", 2, s->line, errbuf, errsz) < 0)
		return -1;
	if (s->postcode == NULL || s->postcode[0] == '\0' ||
	    s->commune == NULL || s->commune[0] == '\0') {
		errbuf_set(errbuf, errsz, "sender: postcode and commune are "
		    "required");
		return -1;
	}
	if (str_printf(joined, sizeof(joined), "%s %s", s->postcode,
	    s->commune) < 0) {
		errbuf_set(errbuf, errsz, "sender line 3: more than %d "
		    "characters", LABEL_LINE_MAX);
		return -1;
	}
	return line_check("sender line", 3, joined, errbuf, errsz);
}

/*
 * @in as lower-case ASCII words separated by single spaces, with a space
 * at both ends.  Characters without an ASCII form read as spaces.
 * Returns a malloc'd string or NULL.
 */
static char *
fold_words(const char *in)
{
	size_t n = strlen(in), k = 0, cap;
	char *out;
	bool space = true;

	if (!utf8_valid(in, n))
		return NULL;
	/* The longest form ("SHCH" for a 2-byte letter) doubles the size. */
	cap = 2 * n + 3;
	out = malloc(cap);
	if (out == NULL)
		return NULL;
	out[k++] = ' ';
	for (const char *p = in; *p != '\0';) {
		char one[5], ascii[16];
		size_t len = 1;
		unsigned char c = (unsigned char)*p;

		if (c >= 0xf0)
			len = 4;
		else if (c >= 0xe0)
			len = 3;
		else if (c >= 0xc0)
			len = 2;
		memcpy(one, p, len);
		one[len] = '\0';
		p += len;
		if (zpl_ascii(one, ascii, sizeof(ascii), NULL, 0) < 0)
			ascii[0] = '\0';
		for (const char *a = ascii[0] != '\0' ? ascii : " "; *a != '\0';
		    a++) {
			char ch = *a;

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if ((ch >= 'a' && ch <= 'z') || (ch >= '0' &&
			    ch <= '9')) {
				out[k++] = ch;
				space = false;
			} else if (!space) {
				out[k++] = ' ';
				space = true;
			}
		}
	}
	if (!space)
		out[k++] = ' ';
	out[k] = '\0';
	return out;
}

const char *
label_find_word(const char *text, const char *const *words, size_t nwords)
{
	const char *found = NULL;
	char *t = fold_words(text);

	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < nwords && found == NULL; i++) {
		char *w = fold_words(words[i]);
		size_t wl;

		if (w == NULL)
			continue;
		/*
		 * Search without the outer spaces: a part of a word counts.
		 * Words under 3 letters would match anything: skipped.
		 */
		wl = strlen(w);
		if (wl >= 5) {
			w[wl - 1] = '\0';
			if (strstr(t, w + 1) != NULL)
				found = words[i];
		}
		free(w);
	}
	free(t);
	return found;
}

cairo_status_t
label_out_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct label_out *o = closure;

	if (o->failed)
		return CAIRO_STATUS_WRITE_ERROR;
	if (len > LABEL_DOC_MAX - o->len) {
		o->failed = true;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	if (o->len + len > o->cap) {
		size_t ncap = o->cap == 0 ? OUT_START : o->cap;
		unsigned char *np;

		while (ncap < o->len + len)
			ncap *= 2;
		if (ncap > LABEL_DOC_MAX)
			ncap = LABEL_DOC_MAX;
		np = malloc(ncap);
		if (np == NULL) {
			o->failed = true;
			return CAIRO_STATUS_NO_MEMORY;
		}
		/* Not realloc: the old block is wiped before it is freed. */
		if (o->len > 0)
			memcpy(np, o->p, o->len);
		if (o->p != NULL)
			OPENSSL_cleanse(o->p, o->cap);
		free(o->p);
		o->p = np;
		o->cap = ncap;
	}
	memcpy(o->p + o->len, data, len);
	o->len += len;
	return CAIRO_STATUS_SUCCESS;
}

void
label_out_free(struct label_out *o)
{
	if (o->p != NULL)
		OPENSSL_cleanse(o->p, o->cap);
	free(o->p);
	o->p = NULL;
	o->len = o->cap = 0;
}

/* true when @family resolves to itself in @fm, not to a substitute. */
static bool
font_present(PangoFontMap *fm, PangoContext *ctx, const char *family)
{
	PangoFontDescription *want, *got = NULL;
	PangoFont *font;
	bool ok = false;

	want = pango_font_description_new();
	pango_font_description_set_family(want, family);
	pango_font_description_set_size(want, 10 * PANGO_SCALE);
	font = pango_font_map_load_font(fm, ctx, want);
	if (font != NULL) {
		const char *name;

		got = pango_font_describe(font);
		name = pango_font_description_get_family(got);
		ok = name != NULL && str_casecmp(name, family) == 0;
		g_object_unref(font);
	}
	pango_font_description_free(got);
	pango_font_description_free(want);
	return ok;
}

PangoContext *
label_font_context(PangoFontMap **fontmap, char *errbuf, size_t errsz)
{
	PangoFontMap *fm;
	PangoContext *ctx;
	cairo_font_options_t *fo;

	*fontmap = NULL;
	fm = pango_cairo_font_map_new();
	if (fm == NULL) {
		errbuf_set(errbuf, errsz, "cannot open the font map");
		return NULL;
	}
	ctx = pango_font_map_create_context(fm);
	fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	pango_cairo_context_set_font_options(ctx, fo);
	cairo_font_options_destroy(fo);
	pango_cairo_context_set_resolution(ctx, 72.0);
	if (!font_present(fm, ctx, LABEL_FONT) ||
	    !font_present(fm, ctx, LABEL_FONT_MONO)) {
		errbuf_set(errbuf, errsz, "the label fonts %s and %s are not "
		    "installed (Debian package fonts-dejavu-core)", LABEL_FONT,
		    LABEL_FONT_MONO);
		g_object_unref(ctx);
		g_object_unref(fm);
		return NULL;
	}
	*fontmap = fm;
	return ctx;
}

PangoLayout *
label_layout_new(PangoContext *ctx, const char *family, bool bold,
    double pt)
{
	PangoLayout *l;
	PangoFontDescription *d;
	PangoAttrList *attrs;

	l = pango_layout_new(ctx);
	if (l == NULL)
		return NULL;
	d = pango_font_description_new();
	pango_font_description_set_family(d, family);
	pango_font_description_set_weight(d, bold ? PANGO_WEIGHT_BOLD :
	    PANGO_WEIGHT_NORMAL);
	pango_font_description_set_size(d, (gint)(pt * PANGO_SCALE));
	pango_layout_set_font_description(l, d);
	pango_font_description_free(d);
	/* No fallback: a character DejaVu lacks is refused, not substituted. */
	attrs = pango_attr_list_new();
	pango_attr_list_insert(attrs, pango_attr_fallback_new(FALSE));
	pango_layout_set_attributes(l, attrs);
	pango_attr_list_unref(attrs);
	pango_layout_set_single_paragraph_mode(l, TRUE);
	return l;
}

void
label_layout_set_size(PangoLayout *layout, double pt)
{
	PangoFontDescription *d;

	d = pango_font_description_copy(pango_layout_get_font_description(
	    layout));
	pango_font_description_set_size(d, (gint)(pt * PANGO_SCALE));
	pango_layout_set_font_description(layout, d);
	pango_font_description_free(d);
}

static void
layout_set_bold(PangoLayout *layout, bool bold)
{
	PangoFontDescription *d;

	d = pango_font_description_copy(pango_layout_get_font_description(
	    layout));
	pango_font_description_set_weight(d, bold ? PANGO_WEIGHT_BOLD :
	    PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(layout, d);
	pango_font_description_free(d);
}

bool
label_layout_missing(PangoLayout *layout)
{
	return pango_layout_get_unknown_glyphs_count(layout) > 0;
}

void
label_layout_size(PangoLayout *layout, double *w, double *h)
{
	PangoRectangle logical;

	pango_layout_get_extents(layout, NULL, &logical);
	*w = (double)logical.width / PANGO_SCALE;
	*h = (double)logical.height / PANGO_SCALE;
}

/* The widest of the first @n address layouts and their total height. */
static void
measure(struct label_doc *doc, size_t n, double *wmax, double *hsum,
    double *hline)
{
	*wmax = *hsum = *hline = 0;
	for (size_t i = 0; i < n; i++) {
		double w, h;

		label_layout_size(doc->addr_l[i], &w, &h);
		if (w > *wmax)
			*wmax = w;
		if (h > *hline)
			*hline = h;
	}
	*hsum = *hline * LINE_SPACING * (double)n;
}

/* The page a new label needs, and where the label goes on it (mm). */
static void
cell_origin(const struct label_doc *doc, double *x, double *y)
{
	*x = *y = 0;
	if (doc->size == LABEL_A4 && doc->fmt == LABEL_PDF) {
		size_t k = doc->count % (LABEL_SHEET_COLS * LABEL_SHEET_ROWS);

		*x = SHEET_LEFT + (double)(k % LABEL_SHEET_COLS) *
		    SHEET_PITCH_X;
		*y = SHEET_TOP + (double)(k / LABEL_SHEET_COLS) *
		    SHEET_PITCH_Y;
	}
}

static void
page_size(const struct label_doc *doc, double *w, double *h)
{
	if (doc->fmt == LABEL_PNG) {
		*w = doc->g->cell_w;
		*h = doc->g->cell_h;
	} else {
		*w = doc->g->page_w;
		*h = doc->g->page_h;
	}
}

static int
doc_surface(struct label_doc *doc, char *errbuf, size_t errsz)
{
	double w, h;

	page_size(doc, &w, &h);
	if (doc->fmt == LABEL_PDF) {
		doc->surface = cairo_pdf_surface_create_for_stream(
		    label_out_write, &doc->out, w * MM, h * MM);
		cairo_pdf_surface_set_metadata(doc->surface,
		    CAIRO_PDF_METADATA_CREATOR, "hrpost");
	} else {
		int pw = (int)(w / 25.4 * doc->dpi + 0.5);
		int ph = (int)(h / 25.4 * doc->dpi + 0.5);

		doc->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
		    pw, ph);
	}
	if (cairo_surface_status(doc->surface) != CAIRO_STATUS_SUCCESS) {
		errbuf_set(errbuf, errsz, "cannot create the %s surface: %s",
		    label_format_name(doc->fmt), cairo_status_to_string(
		    cairo_surface_status(doc->surface)));
		return -1;
	}
	doc->cr = cairo_create(doc->surface);
	if (cairo_status(doc->cr) != CAIRO_STATUS_SUCCESS) {
		errbuf_set(errbuf, errsz, "cannot draw: %s",
		    cairo_status_to_string(cairo_status(doc->cr)));
		return -1;
	}
	if (doc->fmt == LABEL_PNG) {
		cairo_scale(doc->cr, doc->dpi / 72.0, doc->dpi / 72.0);
		cairo_set_source_rgb(doc->cr, 1, 1, 1);
		cairo_paint(doc->cr);
	}
	return 0;
}

/* The sender layouts, set once, in the largest size up to the size's own
 * that fits the width of the sender block. */
static int
doc_sender_layouts(struct label_doc *doc, char *errbuf, size_t errsz)
{
	char joined[LABEL_LINE_BYTES * 2];
	const char *src[LABEL_SENDER_LINES];
	double pt = doc->g->sender_pt, wmax = 0;

	if (str_printf(joined, sizeof(joined), "%s %s", doc->sender.postcode,
	    doc->sender.commune) < 0) {
		errbuf_set(errbuf, errsz, "sender line 3: too long");
		return -1;
	}
	src[0] = doc->sender.name;
	src[1] = doc->sender.line;
	src[2] = joined;
	for (size_t i = 0; i < LABEL_SENDER_LINES; i++) {
		PangoLayout *l;
		double w, h;

		if (src[i] == NULL || src[i][0] == '\0')
			continue;
		l = label_layout_new(doc->ctx, LABEL_FONT, false, pt);
		if (l == NULL) {
			errbuf_set(errbuf, errsz, "out of memory");
			return -1;
		}
		doc->sender_l[doc->nsender++] = l;
		pango_layout_set_text(l, src[i], -1);
		if (label_layout_missing(l)) {
			errbuf_set(errbuf, errsz, "sender line %zu: a character "
			    "the label font cannot print", i + 1);
			return -1;
		}
		label_layout_size(l, &w, &h);
		if (w > wmax)
			wmax = w;
	}
	if (wmax > doc->g->sender_w * MM) {
		pt = pt * doc->g->sender_w * MM / wmax * 0.99;
		for (size_t i = 0; i < doc->nsender; i++)
			label_layout_set_size(doc->sender_l[i], pt);
	}
	doc->sender_pt = pt;
	return 0;
}

struct label_doc *
label_doc_new(enum label_format fmt, enum label_size size, int dpi,
    const struct label_sender *sender, char *errbuf, size_t errsz)
{
	struct label_doc *doc;

	if (fmt != LABEL_PDF && fmt != LABEL_PNG && fmt != LABEL_ZPL) {
		errbuf_set(errbuf, errsz, "format: unknown");
		return NULL;
	}
	if (size != LABEL_100X150 && size != LABEL_A4) {
		errbuf_set(errbuf, errsz, "size: unknown");
		return NULL;
	}
	if (fmt == LABEL_ZPL && size != LABEL_100X150) {
		errbuf_set(errbuf, errsz, "size: ZPL labels are 100x150 only");
		return NULL;
	}
	if (dpi < LABEL_DPI_MIN || dpi > LABEL_DPI_MAX) {
		errbuf_set(errbuf, errsz, "dpi: %d to %d", LABEL_DPI_MIN,
		    LABEL_DPI_MAX);
		return NULL;
	}
	if (label_sender_check(sender, errbuf, errsz) < 0)
		return NULL;
	doc = calloc(1, sizeof(*doc));
	if (doc == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return NULL;
	}
	doc->fmt = fmt;
	doc->size = size;
	doc->g = size == LABEL_A4 ? &geom_a4 : &geom_thermal;
	doc->dpi = dpi;
	if (str_copy(doc->sender_name, sizeof(doc->sender_name),
	    sender->name) < 0 ||
	    str_copy(doc->sender_line, sizeof(doc->sender_line),
	    sender->line != NULL ? sender->line : "") < 0 ||
	    str_copy(doc->sender_postcode, sizeof(doc->sender_postcode),
	    sender->postcode) < 0 ||
	    str_copy(doc->sender_commune, sizeof(doc->sender_commune),
	    sender->commune) < 0) {
		errbuf_set(errbuf, errsz, "sender: a line is too long");
		goto fail;
	}
	doc->sender.name = doc->sender_name;
	doc->sender.line = doc->sender_line;
	doc->sender.postcode = doc->sender_postcode;
	doc->sender.commune = doc->sender_commune;

	if (fmt == LABEL_ZPL) {
		doc->zpl = zpl_new();
		if (doc->zpl == NULL) {
			errbuf_set(errbuf, errsz, "out of memory");
			goto fail;
		}
		return doc;
	}
	doc->ctx = label_font_context(&doc->fontmap, errbuf, errsz);
	if (doc->ctx == NULL)
		goto fail;
	if (doc_surface(doc, errbuf, errsz) < 0)
		goto fail;
	pango_cairo_update_context(doc->cr, doc->ctx);
	if (doc_sender_layouts(doc, errbuf, errsz) < 0)
		goto fail;
	for (size_t i = 0; i < LABEL_LINES_MAX; i++) {
		doc->addr_l[i] = label_layout_new(doc->ctx, LABEL_FONT, false,
		    doc->g->addr_pt_max);
		if (doc->addr_l[i] == NULL) {
			errbuf_set(errbuf, errsz, "out of memory");
			goto fail;
		}
	}
	doc->code_l = label_layout_new(doc->ctx, LABEL_FONT_MONO, true,
	    doc->g->code_pt);
	if (doc->code_l == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto fail;
	}
	return doc;
fail:
	label_doc_free(doc);
	return NULL;
}

size_t
label_doc_count(const struct label_doc *doc)
{
	return doc->count;
}

void
label_doc_geometry(const struct label_doc *doc, struct label_geometry *g)
{
	*g = doc->last;
}

/*
 * The layout pass for the address block: text, missing glyphs, the font
 * size.  Sets *pt and *hline (points).  Returns 0 or -1 with the reason.
 */
static int
fit_address(struct label_doc *doc, const struct label_content *lc,
    double *pt, double *hline, char *errbuf, size_t errsz)
{
	const struct geom *g = doc->g;
	double avail_w = g->addr_w * MM;
	double avail_h = (g->addr_bottom - g->addr_top) * MM;
	double wmax, hsum, s = g->addr_pt_max;

	for (size_t i = 0; i < lc->nlines; i++) {
		PangoLayout *l = doc->addr_l[i];

		label_layout_set_size(l, s);
		/* The last line (postcode and commune) in bold. */
		layout_set_bold(l, i + 1 == lc->nlines);
		pango_layout_set_text(l, lc->lines[i], -1);
		if (label_layout_missing(l)) {
			errbuf_set(errbuf, errsz, "address line %zu: a "
			    "character the label font cannot print", i + 1);
			return -1;
		}
	}
	measure(doc, lc->nlines, &wmax, &hsum, hline);
	/* Widths and heights scale with the size: one step, then nudge. */
	if (wmax > avail_w || hsum > avail_h) {
		double kw = wmax > 0 ? avail_w / wmax : 1;
		double kh = hsum > 0 ? avail_h / hsum : 1;

		s = s * (kw < kh ? kw : kh);
		s = (double)(long)(s / FIT_STEP) * FIT_STEP;
		for (;;) {
			if (s < g->addr_pt_min) {
				errbuf_set(errbuf, errsz, "address: a line is "
				    "too wide to print legibly on the label "
				    "(it would need a font under %.0f pt)",
				    g->addr_pt_min);
				return -1;
			}
			for (size_t i = 0; i < lc->nlines; i++)
				label_layout_set_size(doc->addr_l[i], s);
			measure(doc, lc->nlines, &wmax, &hsum, hline);
			if (wmax <= avail_w && hsum <= avail_h)
				break;
			s -= FIT_STEP;
		}
	}
	*pt = s;
	return 0;
}

static struct label_box
box(double x, double y, double w, double h)
{
	struct label_box b = { x, y, w, h };

	return b;
}

/*
 * @qr as an image of one pixel a module, black on white, or NULL.  It is
 * drawn scaled without smoothing: in a PDF that is one small image per
 * label instead of hundreds of rectangles of decimal coordinates (most of
 * a batch's time otherwise), and printers and viewers keep the module
 * edges sharp.
 */
static cairo_surface_t *
qr_image(const struct qr *qr)
{
	int n = qr_width(qr), stride;
	cairo_surface_t *img;
	unsigned char *px;

	img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, n, n);
	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(img);
		return NULL;
	}
	cairo_surface_flush(img);
	px = cairo_image_surface_get_data(img);
	stride = cairo_image_surface_get_stride(img);
	for (int r = 0; r < n; r++) {
		uint32_t *row = (uint32_t *)(void *)(px + (size_t)r *
		    (size_t)stride);

		for (int c = 0; c < n; c++)
			row[c] = qr_dark(qr, c, r) ? 0x000000 : 0xffffff;
	}
	cairo_surface_mark_dirty(img);
	return img;
}

/* Draw @img with its top left module at (@x, @y), @m points a module. */
static void
draw_qr(cairo_t *cr, cairo_surface_t *img, double x, double y, double m)
{
	int n = cairo_image_surface_get_width(img);

	cairo_save(cr);
	cairo_translate(cr, x, y);
	cairo_scale(cr, m, m);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
	cairo_rectangle(cr, 0, 0, n, n);
	cairo_fill(cr);
	cairo_restore(cr);
}

static void
draw_layout(cairo_t *cr, PangoLayout *l, double x, double y)
{
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, l);
}

static void
draw_rule(cairo_t *cr, double x, double y, double w)
{
	cairo_rectangle(cr, x * MM, y * MM, w * MM, RULE_MM * MM);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_fill(cr);
}

int
label_doc_add(struct label_doc *doc, const struct label_content *lc,
    char *errbuf, size_t errsz)
{
	const struct geom *g = doc->g;
	struct label_geometry lg;
	struct qr *qr = NULL;
	cairo_surface_t *img = NULL;
	char grouped[LABEL_CODE_MAX * 2];
	double pt, hline, ox, oy, y, code_w, code_h, code_pt, m, pw, ph;
	int rc = -1;

	if (doc->finished) {
		errbuf_set(errbuf, errsz, "document already finished");
		return -1;
	}
	if (doc->fmt == LABEL_ZPL) {
		if (zpl_add_label(doc->zpl, &doc->sender, lc, errbuf,
		    errsz) < 0)
			return -1;
		doc->count++;
		return 0;
	}
	if (doc->fmt == LABEL_PNG && doc->count > 0) {
		errbuf_set(errbuf, errsz, "a PNG holds one label");
		return -1;
	}
	if (label_content_check(lc, errbuf, errsz) < 0)
		return -1;

	/* Layout pass: nothing is drawn until everything fits. */
	if (fit_address(doc, lc, &pt, &hline, errbuf, errsz) < 0)
		goto out;
	if (label_code_group(lc->code, grouped, sizeof(grouped)) < 0) {
		errbuf_set(errbuf, errsz, "tracking code: malformed");
		goto out;
	}
	code_pt = g->code_pt;
	label_layout_set_size(doc->code_l, code_pt);
	pango_layout_set_text(doc->code_l, grouped, -1);
	label_layout_size(doc->code_l, &code_w, &code_h);
	if (code_w > g->code_w * MM) {
		code_pt = code_pt * g->code_w * MM / code_w * 0.99;
		label_layout_set_size(doc->code_l, code_pt);
		label_layout_size(doc->code_l, &code_w, &code_h);
	}
	qr = qr_encode(lc->url);
	if (qr == NULL) {
		errbuf_set(errbuf, errsz, "tracking URL: cannot be encoded "
		    "as a QR code");
		goto out;
	}
	img = qr_image(qr);
	if (img == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}

	/* Drawing pass. */
	memset(&lg, 0, sizeof(lg));
	page_size(doc, &pw, &ph);
	lg.page_w = pw;
	lg.page_h = ph;
	if (doc->fmt == LABEL_PDF && doc->size == LABEL_A4 && doc->count > 0 &&
	    doc->count % (LABEL_SHEET_COLS * LABEL_SHEET_ROWS) == 0)
		cairo_show_page(doc->cr);
	cell_origin(doc, &ox, &oy);
	lg.cell = box(ox, oy, g->cell_w, g->cell_h);
	cairo_set_source_rgb(doc->cr, 0, 0, 0);

	y = (oy + g->sender_y) * MM;
	for (size_t i = 0; i < doc->nsender; i++) {
		double w, h;

		label_layout_size(doc->sender_l[i], &w, &h);
		draw_layout(doc->cr, doc->sender_l[i], (ox + g->sender_x) * MM,
		    y);
		lg.sender[i] = box(ox + g->sender_x, y / MM, w / MM, h / MM);
		y += h;
	}
	lg.nsender = doc->nsender;
	if (g->rule1_y > 0)
		draw_rule(doc->cr, ox + g->rule_x, oy + g->rule1_y, g->rule_w);
	if (g->rule2_y > 0)
		draw_rule(doc->cr, ox + g->rule_x, oy + g->rule2_y, g->rule_w);

	/* The address block, centred in its band, lines left-aligned. */
	{
		double band = (g->addr_bottom - g->addr_top) * MM;
		double pitch = hline * LINE_SPACING;
		double block = pitch * (double)lc->nlines;

		y = (oy + g->addr_top) * MM + (band - block) / 2;
		for (size_t i = 0; i < lc->nlines; i++) {
			double w, h;

			label_layout_size(doc->addr_l[i], &w, &h);
			draw_layout(doc->cr, doc->addr_l[i], (ox + g->addr_x) *
			    MM, y);
			lg.address[i] = box(ox + g->addr_x, y / MM, w / MM,
			    h / MM);
			y += pitch;
		}
		lg.nlines = lc->nlines;
		lg.address_pt = pt;
	}

	lg.qr_modules = qr_width(qr) + 2 * QR_QUIET;
	m = g->qr_size * MM / lg.qr_modules;
	draw_qr(doc->cr, img, (ox + g->qr_x) * MM + QR_QUIET * m,
	    (oy + g->qr_y) * MM + QR_QUIET * m, m);
	lg.qr = box(ox + g->qr_x, oy + g->qr_y, g->qr_size, g->qr_size);

	y = (oy + g->code_y) * MM;
	if (g->code_centre_qr)
		y = (oy + g->qr_y + g->qr_size / 2) * MM - code_h / 2;
	draw_layout(doc->cr, doc->code_l, (ox + g->code_x) * MM, y);
	lg.code = box(ox + g->code_x, y / MM, code_w / MM, code_h / MM);

	if (doc->fmt == LABEL_PDF && doc->size == LABEL_100X150)
		cairo_show_page(doc->cr);
	if (cairo_status(doc->cr) != CAIRO_STATUS_SUCCESS) {
		errbuf_set(errbuf, errsz, "cannot draw the label: %s",
		    cairo_status_to_string(cairo_status(doc->cr)));
		goto out;
	}
	doc->last = lg;
	doc->count++;
	rc = 0;
out:
	if (img != NULL)
		cairo_surface_destroy(img);
	qr_free(qr);
	OPENSSL_cleanse(grouped, sizeof(grouped));
	return rc;
}

int
label_doc_finish(struct label_doc *doc, unsigned char **out, size_t *len,
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
		errbuf_set(errbuf, errsz, "no label to print");
		return -1;
	}
	if (doc->fmt == LABEL_ZPL) {
		if (zpl_take(doc->zpl, out, len) < 0) {
			errbuf_set(errbuf, errsz, "out of memory");
			return -1;
		}
		return 0;
	}
	if (doc->fmt == LABEL_PDF && doc->size == LABEL_A4 &&
	    doc->count % (LABEL_SHEET_COLS * LABEL_SHEET_ROWS) != 0)
		cairo_show_page(doc->cr);
	cairo_destroy(doc->cr);
	doc->cr = NULL;
	if (doc->fmt == LABEL_PNG)
		cs = cairo_surface_write_to_png_stream(doc->surface,
		    label_out_write, &doc->out);
	else {
		cairo_surface_finish(doc->surface);
		cs = cairo_surface_status(doc->surface);
	}
	if (cs != CAIRO_STATUS_SUCCESS || doc->out.failed) {
		errbuf_set(errbuf, errsz, "cannot write the %s: %s",
		    label_format_name(doc->fmt), doc->out.failed ?
		    "more than the size limit or out of memory" :
		    cairo_status_to_string(cs));
		return -1;
	}
	*out = doc->out.p;
	*len = doc->out.len;
	doc->out.p = NULL;
	doc->out.len = doc->out.cap = 0;
	return 0;
}

void
label_doc_free(struct label_doc *doc)
{
	if (doc == NULL)
		return;
	zpl_free(doc->zpl);
	for (size_t i = 0; i < LABEL_SENDER_LINES; i++)
		if (doc->sender_l[i] != NULL)
			g_object_unref(doc->sender_l[i]);
	for (size_t i = 0; i < LABEL_LINES_MAX; i++) {
		if (doc->addr_l[i] != NULL) {
			/* Drop the address from the layout before it goes. */
			pango_layout_set_text(doc->addr_l[i], "", 0);
			g_object_unref(doc->addr_l[i]);
		}
	}
	if (doc->code_l != NULL)
		g_object_unref(doc->code_l);
	if (doc->cr != NULL)
		cairo_destroy(doc->cr);
	if (doc->surface != NULL) {
		/* Finishing a PDF writes into doc->out: keep it until then. */
		cairo_surface_finish(doc->surface);
		cairo_surface_destroy(doc->surface);
	}
	label_out_free(&doc->out);
	if (doc->ctx != NULL)
		g_object_unref(doc->ctx);
	if (doc->fontmap != NULL)
		g_object_unref(doc->fontmap);
	OPENSSL_cleanse(doc, sizeof(*doc));
	free(doc);
}
