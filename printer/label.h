/*
 * Shipping labels: the outside of a parcel.  A label carries the
 * recipient's address block (lines made by shipping/address.c, AFNOR NF
 * Z10-011), a neutral sender block from the config, a QR code holding only
 * the tracking URL, and the tracking code in text, grouped for reading.
 * Nothing else: no centre name, no purpose, no contents, in any language.
 *
 * A struct label_doc is one output document built label by label: a PDF
 * (100x150 mm thermal, one label a page; or A4 sheets of LABEL_SHEET_COLS x
 * LABEL_SHEET_ROWS labels of 99.1 x 67.7 mm, the common "8 per sheet"
 * layout), a PNG preview of one label, or ZPL II for 203 dpi thermal
 * printers (printer/zpl.c).  Every label is laid out and checked before
 * anything is drawn: a label that cannot be printed legibly is refused with
 * the reason and leaves the document as it was.
 *
 * Text is set with pango in DejaVu Sans (Debian fonts-dejavu-core), with
 * font fallback off: a character the packaged font cannot draw is refused,
 * never printed as a box.  One font map, one pango context and one set of
 * layouts serve a whole document, so a batch of a thousand labels costs a
 * few hundred milliseconds.
 *
 * Units: millimetres in this header, PostScript points inside.
 */
#ifndef HRPOST_LABEL_H
#define HRPOST_LABEL_H

#include <stddef.h>
#include <stdbool.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "base/util.h"

#define LABEL_LINES_MAX 6		/* AFNOR: at most 6 lines */
#define LABEL_LINE_MAX 38		/* characters a line, spaces included */
#define LABEL_LINE_BYTES (LABEL_LINE_MAX * 4 + 1)
#define LABEL_SENDER_LINES 3		/* name, line, postcode + commune */
#define LABEL_URL_MAX 256		/* the tracking URL, bytes */
#define LABEL_CODE_MAX 32		/* the tracking code, characters */
#define LABEL_CODE_GROUP 4		/* characters between two dashes */
#define LABEL_DOC_MAX (256u << 20)	/* bytes of one output document */
#define LABEL_DPI_MIN 72
#define LABEL_DPI_MAX 600
#define LABEL_DPI_DEFAULT 203		/* 8 dots/mm thermal printers */
#define LABEL_SHEET_COLS 2
#define LABEL_SHEET_ROWS 4
#define LABEL_FONT "DejaVu Sans"
#define LABEL_FONT_MONO "DejaVu Sans Mono"

enum label_format {
	LABEL_PDF = 0,
	LABEL_PNG,
	LABEL_ZPL,
};

enum label_size {
	LABEL_100X150 = 0,	/* thermal roll label, 100 x 150 mm */
	LABEL_A4,		/* A4 sheet of 2 x 4 labels, 99.1 x 67.7 mm */
};

/* The neutral sender block ([sender] in the config).  Not owned. */
struct label_sender {
	const char *name;
	const char *line;	/* may be NULL or "" */
	const char *postcode;
	const char *commune;
};

/* One label's data.  Not owned; personal data: the caller wipes it. */
struct label_content {
	const char *lines[LABEL_LINES_MAX];	/* the address block */
	size_t nlines;
	const char *url;	/* tracking URL: the only thing in the QR */
	const char *code;	/* tracking code, canonical (no dashes) */
};

/* A box on the page, in millimetres from the top left corner. */
struct label_box {
	double x, y, w, h;
};

/* Where the last label's parts went, for tests and the bench. */
struct label_geometry {
	double page_w, page_h;		/* the page (or PNG) */
	struct label_box cell;		/* the label on it */
	struct label_box address[LABEL_LINES_MAX];
	size_t nlines;
	double address_pt;		/* font size of the address block */
	struct label_box sender[LABEL_SENDER_LINES];
	size_t nsender;
	struct label_box code;		/* the tracking code in text */
	struct label_box qr;		/* the QR symbol, quiet zone included */
	int qr_modules;			/* modules a side, quiet zone included */
};

/* "pdf", "png", "zpl" (also the file extension); "100x150", "a4". */
int label_format_parse(const char *s, enum label_format *out) WUR;
const char *label_format_name(enum label_format f);
int label_size_parse(const char *s, enum label_size *out) WUR;
const char *label_size_name(enum label_size s);

/*
 * Write @code (a canonical tracking code of at most LABEL_CODE_MAX
 * characters from [0-9A-Z]) grouped by LABEL_CODE_GROUP with dashes,
 * "XXXX-XXXX-XXXX-XXXX-X", into @out.  Returns 0, or -1 when the code is
 * malformed or @out too small.
 */
int label_code_group(const char *code, char *out, size_t outsz) WUR;

/*
 * Check a label's data against the rules that need no font: 1 to
 * LABEL_LINES_MAX lines, each valid UTF-8, without control characters, not
 * blank, at most LABEL_LINE_MAX characters; an http(s) URL of at most
 * LABEL_URL_MAX bytes made of URL characters; a well-formed code.  Returns
 * 0, or -1 with the reason in @errbuf ("address line 3: more than 38
 * characters"), which never repeats the value.
 */
int label_content_check(const struct label_content *lc, char *errbuf,
    size_t errsz) WUR;

/*
 * The same for the sender block: a name, a postcode and a commune, each a
 * line of at most LABEL_LINE_MAX characters once joined.
 */
int label_sender_check(const struct label_sender *s, char *errbuf,
    size_t errsz) WUR;

/*
 * Find one of @words (UTF-8, any case and accents) in @text, comparing
 * ASCII transliterations (printer/zpl.h) with every run of characters
 * other than letters and digits read as one space, so "Réduction des
 * risques" is found in "reduction-des-risques.example".  Words of under 3
 * letters are ignored (they would match anything).  Returns the word found
 * (one of @words), or NULL.  Text that cannot be transliterated is
 * compared as far as it can be.
 */
const char *label_find_word(const char *text, const char *const *words,
    size_t nwords);

struct label_doc;

/*
 * A new empty document.  @dpi is the PNG resolution (LABEL_DPI_MIN to
 * LABEL_DPI_MAX; ignored for PDF; ZPL is always 203 dpi).  The sender block
 * is checked (label_sender_check()) and copied.  Returns NULL with the
 * reason in @errbuf: bad sender, bad dpi, the font is not installed, out of
 * memory.  Free with label_doc_free().
 */
struct label_doc *label_doc_new(enum label_format fmt, enum label_size size,
    int dpi, const struct label_sender *sender, char *errbuf, size_t errsz);

/*
 * Lay out and draw one label.  Refused, with the reason in @errbuf and the
 * document unchanged, when label_content_check() fails, when a character
 * cannot be drawn in the label font (PDF, PNG) or transliterated to ASCII
 * (ZPL), when the address cannot fit at a legible size, or when a PNG
 * already holds its one label.  Returns 0 or -1.
 */
int label_doc_add(struct label_doc *doc, const struct label_content *lc,
    char *errbuf, size_t errsz) WUR;

/* Labels added so far. */
size_t label_doc_count(const struct label_doc *doc);

/* Where the last label added went (zeros before the first). */
void label_doc_geometry(const struct label_doc *doc,
    struct label_geometry *g);

/*
 * End the document and hand over its bytes: *out is malloc'd (the caller
 * frees it), *len its length.  A document without labels is refused.
 * After this call only label_doc_free() may be called.  Returns 0 or -1
 * with the reason in @errbuf.
 */
int label_doc_finish(struct label_doc *doc, unsigned char **out,
    size_t *len, char *errbuf, size_t errsz) WUR;

/* Free @doc (finished or not), wiping what it held.  NULL is fine. */
void label_doc_free(struct label_doc *doc);

/*
 * Shared with printer/slip.c, which draws its pages the same way.
 *
 * struct label_out: a growing buffer cairo writes a PDF or PNG into, at
 * most LABEL_DOC_MAX bytes; label_out_write() is the cairo write function
 * (closure: the struct label_out).  label_out_free() wipes and frees.
 */
struct label_out {
	unsigned char *p;
	size_t len, cap;
	bool failed;
};
cairo_status_t label_out_write(void *closure, const unsigned char *data,
    unsigned int len);
void label_out_free(struct label_out *o);

/*
 * A pango context for drawing in points on any cairo target: resolution
 * 72, metrics unhinted (a PDF and its PNG preview break lines alike), on a
 * font map of its own.  Checks that LABEL_FONT is installed.  Returns NULL
 * with the reason in @errbuf.  The caller unrefs the context and *fontmap.
 */
PangoContext *label_font_context(PangoFontMap **fontmap, char *errbuf,
    size_t errsz);

/*
 * A layout in @ctx with font @family (LABEL_FONT...), @bold, @pt points,
 * font fallback off so label_layout_missing() can tell what the font lacks.
 * NULL when out of memory.
 */
PangoLayout *label_layout_new(PangoContext *ctx, const char *family,
    bool bold, double pt);

/* Set @layout's font size to @pt points. */
void label_layout_set_size(PangoLayout *layout, double pt);

/* true when the text in @layout has characters its font cannot draw. */
bool label_layout_missing(PangoLayout *layout);

/* Logical width and height of @layout's text, in points. */
void label_layout_size(PangoLayout *layout, double *w, double *h);

#endif
