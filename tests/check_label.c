/*
 * Check suite for printer/label.c and printer/slip.c.
 *
 * Labels: option names, the grouped tracking code, the content and sender
 * rules at their limits (messages never echo the value), the outside-word
 * search, and the layout: every text box inside its label and page, the
 * address block clear of the QR code and of the sender, a legible font
 * size for six lines of 38 characters, the A4 sheet filling 2 x 4 and
 * turning the page, PNG size and its one-label rule; refusals (a character
 * the font lacks, a line too wide to print legibly) that leave the
 * document unchanged.
 *
 * Slips: the five languages of templates/slip load, hold the naloxone
 * steps with the emergency numbers, and lay out inside the page margins
 * with and without naloxone; the texts parser refuses unknown keys,
 * missing keys, stray placeholders and gaps in the steps; the document
 * refuses unknown packs and languages without texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printer/label.h"
#include "printer/slip.h"
#include "shipping/catalogue.h"
#include "tests/testutil.h"

#define URL "https://suivi.example.org/t/7K3M9QXW2HB4RT6N8"
#define CODE "7K3M9QXW2HB4RT6N8"
#define EPS 0.01

static char err[512];

static const struct label_sender sender = {
	"SERVICE EXPEDITIONS", "BP 80001", "33000", "BORDEAUX",
};

static const char *const four[] = { "Zoulikha", "APT 4 CHEZ MME QUENAUDON",
    "17 CHEMIN DES OLIVIERS", "12100 MILLAU" };

/* Six lines of 38 characters: the widest block AFNOR allows. */
static const char *const six38[] = {
	"Marie-Therese de la Croix-Rousse Abcde",
	"APPARTEMENT 1204 ESCALIER B ETAGE 12 X",
	"RESIDENCE LES JARDINS DE LA FONTAINE X",
	"1234 AVENUE DU MARECHAL DE LATTRE DE T",
	"LIEU DIT LES HAUTS DE SAINT GEORGES XX",
	"12101 SAINT GEORGES DE LUZENCON CEDEX1",
};

static void
content(struct label_content *lc, const char *const *lines, size_t n)
{
	memset(lc, 0, sizeof(*lc));
	for (size_t i = 0; i < n && i < LABEL_LINES_MAX; i++)
		lc->lines[i] = lines[i];
	lc->nlines = n;
	lc->url = URL;
	lc->code = CODE;
}

static void
box_inside(const char *what, const struct label_box *b,
    const struct label_box *in)
{
	ck_assert_msg(b->w > 0 && b->h > 0, "%s is empty", what);
	ck_assert_msg(b->x >= in->x - EPS && b->y >= in->y - EPS &&
	    b->x + b->w <= in->x + in->w + EPS &&
	    b->y + b->h <= in->y + in->h + EPS,
	    "%s (%.1f,%.1f %.1fx%.1f) outside (%.1f,%.1f %.1fx%.1f)", what,
	    b->x, b->y, b->w, b->h, in->x, in->y, in->w, in->h);
}

static bool
overlap(const struct label_box *a, const struct label_box *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w &&
	    a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Every part of the last label inside the label, none on another. */
static void
check_geometry(const struct label_doc *doc, size_t nlines)
{
	struct label_geometry g;
	struct label_box page, inner;

	label_doc_geometry(doc, &g);
	page.x = page.y = 0;
	page.w = g.page_w;
	page.h = g.page_h;
	box_inside("label", &g.cell, &page);
	/* 3 mm of margin all round: nothing printed at the very edge. */
	inner.x = g.cell.x + 3;
	inner.y = g.cell.y + 3;
	inner.w = g.cell.w - 6;
	inner.h = g.cell.h - 6;
	ck_assert_uint_eq(g.nlines, nlines);
	ck_assert_msg(g.address_pt >= 7 && g.address_pt <= 18, "%.2f pt",
	    g.address_pt);
	for (size_t i = 0; i < g.nlines; i++) {
		char what[32];

		snprintf(what, sizeof(what), "address line %zu", i + 1);
		box_inside(what, &g.address[i], &inner);
		ck_assert(!overlap(&g.address[i], &g.qr));
		ck_assert(!overlap(&g.address[i], &g.code));
		for (size_t k = 0; k < g.nsender; k++)
			ck_assert(!overlap(&g.address[i], &g.sender[k]));
		if (i > 0)
			ck_assert_msg(g.address[i].y >= g.address[i - 1].y +
			    g.address[i - 1].h - 0.5, "lines %zu and %zu "
			    "overlap", i, i + 1);
	}
	for (size_t k = 0; k < g.nsender; k++)
		box_inside("sender", &g.sender[k], &inner);
	box_inside("code", &g.code, &inner);
	box_inside("qr", &g.qr, &g.cell);
	ck_assert(!overlap(&g.code, &g.qr));
	ck_assert_int_ge(g.qr_modules, 21 + 8);
}

START_TEST(names)
{
	enum label_format f;
	enum label_size s;

	ck_assert_int_eq(label_format_parse("pdf", &f), 0);
	ck_assert_int_eq(f, LABEL_PDF);
	ck_assert_int_eq(label_format_parse("ZPL", &f), 0);
	ck_assert_int_eq(f, LABEL_ZPL);
	ck_assert_int_eq(label_format_parse("png", &f), 0);
	ck_assert_str_eq(label_format_name(f), "png");
	ck_assert_int_eq(label_format_parse("ps", &f), -1);
	ck_assert_int_eq(label_size_parse("100x150", &s), 0);
	ck_assert_int_eq(s, LABEL_100X150);
	ck_assert_int_eq(label_size_parse("A4", &s), 0);
	ck_assert_str_eq(label_size_name(s), "a4");
	ck_assert_int_eq(label_size_parse("a5", &s), -1);
}
END_TEST

START_TEST(code_grouping)
{
	char out[64];

	ck_assert_int_eq(label_code_group(CODE, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "7K3M-9QXW-2HB4-RT6N-8");
	ck_assert_int_eq(label_code_group("ABCD1234X", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "ABCD-1234-X");
	ck_assert_int_eq(label_code_group("ABCD", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "ABCD");
	ck_assert_int_eq(label_code_group("abcd", out, sizeof(out)), -1);
	ck_assert_int_eq(label_code_group("AB-CD", out, sizeof(out)), -1);
	ck_assert_int_eq(label_code_group("", out, sizeof(out)), -1);
	ck_assert_int_eq(label_code_group(
	    "123456789012345678901234567890123", out, sizeof(out)), -1);
	/* 21 characters and the NUL need 22 bytes. */
	ck_assert_int_eq(label_code_group(CODE, out, 21), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(label_code_group(CODE, out, 22), 0);
}
END_TEST

static void
refused(const struct label_content *lc, const char *why, const char *value)
{
	err[0] = '\0';
	ck_assert_int_eq(label_content_check(lc, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, why) != NULL, "want '%s' in '%s'", why, err);
	if (value != NULL)
		ck_assert_msg(strstr(err, value) == NULL, "'%s' echoes the "
		    "value", err);
}

START_TEST(content_rules)
{
	static const char *const seven[] = { "a", "b", "c", "d", "e", "f",
	    "g" };
	const char *lines[2] = { "Zoulikha", NULL };
	struct label_content lc;
	char l38[64], l39[64];

	content(&lc, four, 4);
	ck_assert_int_eq(label_content_check(&lc, err, sizeof(err)), 0);
	content(&lc, six38, 6);
	ck_assert_int_eq(label_content_check(&lc, err, sizeof(err)), 0);
	content(&lc, seven, 7);
	refused(&lc, "7 lines, at most 6", NULL);
	content(&lc, four, 0);
	refused(&lc, "no lines", NULL);

	memset(l38, 'x', 38);
	l38[38] = '\0';
	memset(l39, 'y', 39);
	l39[39] = '\0';
	lines[1] = l38;
	content(&lc, lines, 2);
	ck_assert_int_eq(label_content_check(&lc, err, sizeof(err)), 0);
	lines[1] = l39;
	content(&lc, lines, 2);
	refused(&lc, "address line 2: more than 38", "yyyy");
	/* 38 characters of 2 bytes each are still 38 characters. */
	lines[1] = "éééééééééééééééééééééééééééééééééééééé";
	content(&lc, lines, 2);
	ck_assert_int_eq(label_content_check(&lc, err, sizeof(err)), 0);
	lines[1] = "";
	content(&lc, lines, 2);
	refused(&lc, "address line 2: empty", NULL);
	lines[1] = "    ";
	content(&lc, lines, 2);
	refused(&lc, "blank", NULL);
	lines[1] = "12100\tMILLAU";
	content(&lc, lines, 2);
	refused(&lc, "control", "MILLAU");
	lines[1] = "MILL\xc3";
	content(&lc, lines, 2);
	refused(&lc, "UTF-8", NULL);

	content(&lc, four, 4);
	lc.url = NULL;
	refused(&lc, "tracking URL: missing", NULL);
	lc.url = "ftp://suivi.example.org/t/1";
	refused(&lc, "http", NULL);
	lc.url = "https://suivi.example.org/t/1 2";
	refused(&lc, "does not belong", NULL);
	lc.url = "https://suivi.example.org/t/\"x";
	refused(&lc, "does not belong", NULL);
	lc.url = URL;
	lc.code = "7K3M-9QXW";
	refused(&lc, "tracking code", NULL);
	lc.code = NULL;
	refused(&lc, "tracking code", NULL);
	{
		char big[LABEL_URL_MAX + 16];

		memcpy(big, "https://", 8);
		memset(big + 8, 'a', sizeof(big) - 9);
		big[sizeof(big) - 1] = '\0';
		lc.code = CODE;
		lc.url = big;
		refused(&lc, "more than 256 bytes", NULL);
	}
}
END_TEST

START_TEST(sender_rules)
{
	struct label_sender s = sender;

	ck_assert_int_eq(label_sender_check(&s, err, sizeof(err)), 0);
	s.line = NULL;
	ck_assert_int_eq(label_sender_check(&s, err, sizeof(err)), 0);
	s.name = "";
	ck_assert_int_eq(label_sender_check(&s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "sender line 1"));
	s = sender;
	s.commune = "";
	ck_assert_int_eq(label_sender_check(&s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "required"));
	s = sender;
	s.commune = "SAINT GEORGES DE LUZENCON LES BAINS X";
	ck_assert_int_eq(label_sender_check(&s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "sender line 3"));
	ck_assert_ptr_null(strstr(err, "LUZENCON"));
}
END_TEST

START_TEST(outside_words)
{
	static const char *const words[] = { "naloxone",
	    "Réduction des risques", "Kit injection", "налоксон", "drug" };
	const size_t n = ARRAY_LEN(words);

	ck_assert_ptr_null(label_find_word("SERVICE EXPEDITIONS", words, n));
	ck_assert_ptr_null(label_find_word("BP 80001", words, n));
	ck_assert_ptr_null(label_find_word("127.0.0.1:8080", words, n));
	ck_assert_str_eq(label_find_word("https://reduction-des-RISQUES.fr",
	    words, n), "Réduction des risques");
	ck_assert_str_eq(label_find_word("ENVOI NALOXONE", words, n),
	    "naloxone");
	ck_assert_str_eq(label_find_word("НАЛОКСОН-ПОЧТА", words, n),
	    "налоксон");
	ck_assert_str_eq(label_find_word("kit-injection.example", words, n),
	    "Kit injection");
	/* Part of a word counts: "drugstore" is refused too. */
	ck_assert_str_eq(label_find_word("DRUGSTORE DU COIN", words, n),
	    "drug");
	ck_assert_ptr_null(label_find_word("", words, n));
	/* Words of under 3 letters would match anything: ignored. */
	{
		static const char *const tiny[] = { "a", "-B-", "" };

		ck_assert_ptr_null(label_find_word("a b c", tiny, 3));
	}
}
END_TEST

START_TEST(thermal_pdf)
{
	struct label_doc *doc;
	struct label_content lc;
	struct label_geometry g;
	unsigned char *out = NULL;
	size_t len = 0;

	doc = label_doc_new(LABEL_PDF, LABEL_100X150, LABEL_DPI_DEFAULT,
	    &sender, err, sizeof(err));
	ck_assert_msg(doc != NULL, "%s", err);
	content(&lc, four, 4);
	ck_assert_msg(label_doc_add(doc, &lc, err, sizeof(err)) == 0, "%s",
	    err);
	check_geometry(doc, 4);
	label_doc_geometry(doc, &g);
	ck_assert(g.page_w == 100 && g.page_h == 150);
	/* A short address gets a big font. */
	ck_assert_msg(g.address_pt >= 14, "%.2f pt", g.address_pt);
	/* The widest block still fits, at a legible size. */
	content(&lc, six38, 6);
	ck_assert_msg(label_doc_add(doc, &lc, err, sizeof(err)) == 0, "%s",
	    err);
	check_geometry(doc, 6);
	label_doc_geometry(doc, &g);
	ck_assert_msg(g.address_pt >= 8, "%.2f pt", g.address_pt);
	ck_assert_uint_eq(label_doc_count(doc), 2);
	ck_assert_int_eq(label_doc_finish(doc, &out, &len, err, sizeof(err)),
	    0);
	ck_assert_uint_gt(len, 1000);
	ck_assert(memcmp(out, "%PDF-", 5) == 0);
	free(out);
	/* Finished: nothing more. */
	ck_assert_int_eq(label_doc_add(doc, &lc, err, sizeof(err)), -1);
	ck_assert_int_eq(label_doc_finish(doc, &out, &len, err, sizeof(err)),
	    -1);
	label_doc_free(doc);
	label_doc_free(NULL);
}
END_TEST

/* Pages in a cairo PDF: one "/Type /Page" object each. */
static int
pdf_pages(const unsigned char *pdf, size_t len)
{
	static const char tag[] = "/Type /Page";
	int n = 0;

	for (size_t i = 0; i + sizeof(tag) < len; i++)
		if (memcmp(pdf + i, tag, sizeof(tag) - 1) == 0 &&
		    pdf[i + sizeof(tag) - 1] != 's')
			n++;
	return n;
}

START_TEST(a4_sheet)
{
	struct label_doc *doc;
	struct label_content lc;
	struct label_geometry g;
	unsigned char *out = NULL;
	size_t len = 0;

	doc = label_doc_new(LABEL_PDF, LABEL_A4, LABEL_DPI_DEFAULT, &sender,
	    err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	content(&lc, six38, 6);
	for (int i = 0; i < 9; i++) {
		ck_assert_msg(label_doc_add(doc, &lc, err, sizeof(err)) == 0,
		    "%s", err);
		check_geometry(doc, 6);
		label_doc_geometry(doc, &g);
		ck_assert(g.page_w == 210 && g.page_h == 297);
		/* 2 x 4, row by row; the 9th starts the second sheet. */
		ck_assert_msg(g.cell.x < 100 ? (i % 8) % 2 == 0 :
		    (i % 8) % 2 == 1, "label %d in the wrong column", i);
		ck_assert_int_eq((int)((g.cell.y - 13.1) / 67.7 + 0.5),
		    (i % 8) / 2);
	}
	ck_assert_int_eq(label_doc_finish(doc, &out, &len, err, sizeof(err)),
	    0);
	ck_assert_int_eq(pdf_pages(out, len), 2);
	free(out);
	label_doc_free(doc);
}
END_TEST

START_TEST(png_preview)
{
	struct label_doc *doc;
	struct label_content lc;
	unsigned char *out = NULL;
	size_t len = 0;
	unsigned long w, h;

	doc = label_doc_new(LABEL_PNG, LABEL_100X150, 300, &sender, err,
	    sizeof(err));
	ck_assert_ptr_nonnull(doc);
	content(&lc, four, 4);
	ck_assert_int_eq(label_doc_add(doc, &lc, err, sizeof(err)), 0);
	ck_assert_int_eq(label_doc_add(doc, &lc, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "one label"));
	ck_assert_int_eq(label_doc_finish(doc, &out, &len, err, sizeof(err)),
	    0);
	ck_assert(memcmp(out, "\x89PNG\r\n\x1a\n", 8) == 0);
	/* IHDR: width and height, big-endian, at 16 and 20. */
	w = (unsigned long)out[16] << 24 | (unsigned long)out[17] << 16 |
	    (unsigned long)out[18] << 8 | out[19];
	h = (unsigned long)out[20] << 24 | (unsigned long)out[21] << 16 |
	    (unsigned long)out[22] << 8 | out[23];
	ck_assert_uint_eq(w, 1181);	/* 100 mm at 300 dpi */
	ck_assert_uint_eq(h, 1772);	/* 150 mm */
	free(out);
	label_doc_free(doc);
}
END_TEST

START_TEST(layout_refused)
{
	static const char *const cjk[] = { "Zoulikha 東京",
	    "12100 MILLAU" };
	static const char *const wide[] = { "Zoulikha",
	    "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW" };
	struct label_doc *doc;
	struct label_content lc;
	struct label_geometry g;
	unsigned char *out = NULL;
	size_t len = 0;

	doc = label_doc_new(LABEL_PDF, LABEL_100X150, LABEL_DPI_DEFAULT,
	    &sender, err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	/* Refusals before the first label: the document stays empty. */
	content(&lc, cjk, 2);
	ck_assert_int_eq(label_doc_add(doc, &lc, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "address line 1") != NULL &&
	    strstr(err, "font cannot print") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "Zoulikha"));
	content(&lc, wide, 2);
	ck_assert_int_eq(label_doc_add(doc, &lc, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "too wide") != NULL, "%s", err);
	ck_assert_uint_eq(label_doc_count(doc), 0);
	label_doc_geometry(doc, &g);
	ck_assert_uint_eq(g.nlines, 0);
	ck_assert_int_eq(label_doc_finish(doc, &out, &len, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "no label"));
	ck_assert_ptr_null(out);
	label_doc_free(doc);

	/* A good label after a refused one comes out alone. */
	doc = label_doc_new(LABEL_PDF, LABEL_100X150, LABEL_DPI_DEFAULT,
	    &sender, err, sizeof(err));
	content(&lc, wide, 2);
	ck_assert_int_eq(label_doc_add(doc, &lc, err, sizeof(err)), -1);
	content(&lc, four, 4);
	ck_assert_int_eq(label_doc_add(doc, &lc, err, sizeof(err)), 0);
	ck_assert_int_eq(label_doc_finish(doc, &out, &len, err, sizeof(err)),
	    0);
	ck_assert_int_eq(pdf_pages(out, len), 1);
	free(out);
	label_doc_free(doc);
}
END_TEST

START_TEST(doc_new_refused)
{
	struct label_sender s = sender;

	ck_assert_ptr_null(label_doc_new(LABEL_PDF, LABEL_100X150, 10, &sender,
	    err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "dpi"));
	ck_assert_ptr_null(label_doc_new(LABEL_ZPL, LABEL_A4, 203, &sender,
	    err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "100x150"));
	s.name = "  ";
	ck_assert_ptr_null(label_doc_new(LABEL_PDF, LABEL_100X150, 203, &s,
	    err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "sender"));
	s = sender;
	s.name = "東京 SERVICE";
	ck_assert_ptr_null(label_doc_new(LABEL_PDF, LABEL_100X150, 203, &s,
	    err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "font cannot print"));
}
END_TEST

START_TEST(zpl_through_doc)
{
	struct label_doc *doc;
	struct label_content lc;
	unsigned char *out = NULL;
	size_t len = 0;

	doc = label_doc_new(LABEL_ZPL, LABEL_100X150, LABEL_DPI_DEFAULT,
	    &sender, err, sizeof(err));
	ck_assert_ptr_nonnull(doc);
	content(&lc, four, 4);
	ck_assert_int_eq(label_doc_add(doc, &lc, err, sizeof(err)), 0);
	ck_assert_int_eq(label_doc_add(doc, &lc, err, sizeof(err)), 0);
	ck_assert_uint_eq(label_doc_count(doc), 2);
	ck_assert_int_eq(label_doc_finish(doc, &out, &len, err, sizeof(err)),
	    0);
	ck_assert(memcmp(out, "^XA", 3) == 0);
	ck_assert(memcmp(out + len - 4, "^XZ\n", 4) == 0);
	free(out);
	label_doc_free(doc);
}
END_TEST

/* Slips ------------------------------------------------------------------ */

static const char *
templates(void)
{
	static char dir[4096];
	const char *top = getenv("HRPOST_SRCDIR");

	snprintf(dir, sizeof(dir), "%s/templates", top != NULL ? top : ".");
	return dir;
}

static const char *const langs[] = { "fr", "en", "es", "pt", "ru" };

START_TEST(slip_texts_real)
{
	for (size_t i = 0; i < ARRAY_LEN(langs); i++) {
		struct slip_texts *t = slip_texts_load(templates(), langs[i],
		    err, sizeof(err));
		const char *s1;

		ck_assert_msg(t != NULL, "%s: %s", langs[i], err);
		ck_assert_uint_ge(slip_texts_steps(t), 5);
		/* Step 1: the emergency numbers, in every language. */
		s1 = slip_texts_get(t, "naloxone.1");
		ck_assert_msg(strstr(s1, "15") != NULL &&
		    strstr(s1, "112") != NULL, "%s: %s", langs[i], s1);
		/* Step 5 waits 2 to 3 minutes for the second spray. */
		ck_assert_msg(strstr(slip_texts_get(t, "naloxone.5"), "2") !=
		    NULL && strstr(slip_texts_get(t, "naloxone.5"), "3") !=
		    NULL, "%s", langs[i]);
		ck_assert_ptr_nonnull(strstr(slip_texts_get(t, "reference"),
		    "{ref}"));
		ck_assert_ptr_nonnull(strstr(slip_texts_get(t, "lot"),
		    "{expiry}"));
		ck_assert_ptr_null(slip_texts_get(t, "nope"));
		slip_texts_free(t);
	}
	ck_assert_ptr_null(slip_texts_load(templates(), "xx", err,
	    sizeof(err)));
	ck_assert_ptr_null(slip_texts_load(templates(), "../i18n/fr", err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "language"));
	slip_texts_free(NULL);
}
END_TEST

/* A minimal valid texts file, with @extra appended. */
static struct slip_texts *
parse_with(const char *extra, const char *drop)
{
	static const char *const base[] = {
		"title = T", "hello = H", "intro = I", "contents = C",
		"details = D", "lot = L {lot} {expiry}", "date = DD/MM/YYYY",
		"naloxone.title = NT", "naloxone.when = NW",
		"naloxone.1 = one", "naloxone.2 = two", "naloxone.note = NN",
		"contact.title = CT", "contact.phone = CP {phone}",
		"contact.nophone = CN", "kind = K", "reference = R {ref}",
	};
	char text[4096];
	size_t k = 0;

	k += (size_t)snprintf(text + k, sizeof(text) - k, "[slip]\n");
	for (size_t i = 0; i < ARRAY_LEN(base); i++) {
		if (drop != NULL && strncmp(base[i], drop, strlen(drop)) == 0)
			continue;
		k += (size_t)snprintf(text + k, sizeof(text) - k, "%s\n",
		    base[i]);
	}
	snprintf(text + k, sizeof(text) - k, "%s", extra);
	return slip_texts_parse("test.ini", text, err, sizeof(err));
}

static void
parse_refused(const char *extra, const char *drop, const char *why)
{
	struct slip_texts *t = parse_with(extra, drop);

	ck_assert_msg(t == NULL, "accepted: %s", why);
	ck_assert_msg(strstr(err, why) != NULL, "want '%s' in '%s'", why, err);
}

START_TEST(slip_texts_rules)
{
	struct slip_texts *t = parse_with("kind = and more\n", NULL);

	ck_assert_msg(t != NULL, "%s", err);
	ck_assert_str_eq(slip_texts_get(t, "kind"), "K and more");
	ck_assert_uint_eq(slip_texts_steps(t), 2);
	slip_texts_free(t);
	parse_refused("colour = red\n", NULL, "test.ini:19: unknown key colour");
	parse_refused("", "kind", "key kind is missing");
	parse_refused("", "naloxone.1", "naloxone.2 without naloxone.1");
	parse_refused("naloxone.4 = four\n", NULL, "naloxone.4 without "
	    "naloxone.3");
	parse_refused("contact.nophone = call {phone}\n", NULL,
	    "contact.nophone: a placeholder");
	parse_refused("title = brace }\n", NULL, "title: a placeholder");
	parse_refused("title = {ref\n", NULL, "title: a placeholder");
	parse_refused("naloxone.2 = {x}\n", NULL, "naloxone.2");
	parse_refused("[other]\nx = y\n", NULL, "unknown section");
	t = parse_with("", "date");
	ck_assert_ptr_null(t);
	parse_refused("date = D/M/Y\n", "date", "DD/MM/YYYY");
}
END_TEST

static void
slip_content(struct slip_content *sc, const char *lang, bool nalox)
{
	static struct slip_pack packs[] = { { "INJ", 2, "29G-12" },
	    { "NALOX", 1, "" }, { "INFO", 1, "" } };
	static struct slip_item items[] = { { "SYR1-29", 20 }, { "CUP", 20 },
	    { "WATER", 20 }, { "ALC", 20 }, { "SWAB", 20 }, { "FILT", 20 },
	    { "COND", 2 }, { "NALOX", 2 }, { "LEAF-NAL", 1 },
	    { "LEAF-RDR", 1 }, { "LEAF-VHC", 1 }, { "CARD", 1 } };
	static struct slip_lot lots[] = { { "NALOX", "NX-2311A", 1830297600 },
	    { "CUP", "C1", 0 } };

	memset(sc, 0, sizeof(*sc));
	sc->ref = "ABCD1234X";
	sc->lang = lang;
	sc->packs = packs;
	sc->npacks = nalox ? 3 : 1;
	sc->items = items;
	sc->nitems = nalox ? ARRAY_LEN(items) : 7;
	sc->lots = lots;
	sc->nlots = nalox ? 2 : 0;
	sc->phone = "05 56 00 00 00";
}

START_TEST(slip_each_language)
{
	struct catalogue *cat = catalogue_load(templates(), err, sizeof(err));

	ck_assert_msg(cat != NULL, "%s", err);
	for (size_t i = 0; i < ARRAY_LEN(langs); i++) {
		for (int nalox = 0; nalox < 2; nalox++) {
			struct slip_doc *doc;
			struct slip_content sc;
			struct label_box b;
			double pw, ph;
			unsigned char *out = NULL;
			size_t len = 0;

			slip_content(&sc, langs[i], nalox);
			ck_assert(slip_has_naloxone(&sc) == (nalox != 0));
			doc = slip_doc_new(LABEL_PDF, SLIP_A5, 150, cat,
			    templates(), err, sizeof(err));
			ck_assert_msg(doc != NULL, "%s", err);
			ck_assert_msg(slip_doc_add(doc, &sc, err,
			    sizeof(err)) == 0, "%s: %s", langs[i], err);
			ck_assert_uint_ge(slip_doc_pages(doc), 1);
			ck_assert_uint_le(slip_doc_pages(doc), 2);
			slip_doc_bounds(doc, &pw, &ph, &b);
			ck_assert(pw > 147 && pw < 149 && ph > 209 && ph < 211);
			/* Inside the 14 mm margins (a little slack on the
			 * right for the pen), and the page really used. */
			ck_assert_msg(b.x >= 14 - EPS && b.y >= 14 - EPS &&
			    b.x + b.w <= pw - 14 + 0.5 &&
			    b.y + b.h <= ph - 14 + 0.5, "%s: text outside the "
			    "margins: %.1f,%.1f %.1fx%.1f", langs[i], b.x, b.y,
			    b.w, b.h);
			ck_assert_msg(b.h > 80, "%s: %.1f mm", langs[i], b.h);
			ck_assert_int_eq(slip_doc_finish(doc, &out, &len, err,
			    sizeof(err)), 0);
			ck_assert(memcmp(out, "%PDF-", 5) == 0);
			free(out);
			slip_doc_free(doc);
		}
	}
	catalogue_free(cat);
}
END_TEST

START_TEST(slip_refused)
{
	struct catalogue *cat = catalogue_load(templates(), err, sizeof(err));
	struct slip_pack bad[] = { { "NOPE", 1, "" } };
	struct slip_doc *doc;
	struct slip_content sc;
	unsigned char *out = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(cat);
	doc = slip_doc_new(LABEL_PNG, SLIP_A5, 100, cat, templates(), err,
	    sizeof(err));
	ck_assert_ptr_nonnull(doc);
	slip_content(&sc, "fr", true);
	sc.packs = bad;
	sc.npacks = 1;
	ck_assert_int_eq(slip_doc_add(doc, &sc, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not in the catalogue"));
	slip_content(&sc, "xx", true);
	ck_assert_int_eq(slip_doc_add(doc, &sc, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "slip/xx.ini"));
	slip_content(&sc, "fr", true);
	sc.ref = "abc";
	ck_assert_int_eq(slip_doc_add(doc, &sc, err, sizeof(err)), -1);
	ck_assert_uint_eq(slip_doc_count(doc), 0);
	slip_content(&sc, "ru", true);
	sc.phone = NULL;
	ck_assert_msg(slip_doc_add(doc, &sc, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_int_eq(slip_doc_add(doc, &sc, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "one slip"));
	ck_assert_int_eq(slip_doc_finish(doc, &out, &len, err, sizeof(err)),
	    0);
	ck_assert(memcmp(out, "\x89PNG", 4) == 0);
	free(out);
	slip_doc_free(doc);
	slip_doc_free(NULL);
	catalogue_free(cat);
}
END_TEST

static Suite *
label_suite(void)
{
	Suite *s = suite_create("label");
	TCase *tc = tcase_create("label");
	TCase *ts = tcase_create("slip");

	tcase_set_timeout(tc, 30);
	tcase_set_timeout(ts, 60);
	tcase_add_test(tc, names);
	tcase_add_test(tc, code_grouping);
	tcase_add_test(tc, content_rules);
	tcase_add_test(tc, sender_rules);
	tcase_add_test(tc, outside_words);
	tcase_add_test(tc, thermal_pdf);
	tcase_add_test(tc, a4_sheet);
	tcase_add_test(tc, png_preview);
	tcase_add_test(tc, layout_refused);
	tcase_add_test(tc, doc_new_refused);
	tcase_add_test(tc, zpl_through_doc);
	tcase_add_test(ts, slip_texts_real);
	tcase_add_test(ts, slip_texts_rules);
	tcase_add_test(ts, slip_each_language);
	tcase_add_test(ts, slip_refused);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, ts);
	return s;
}

CHECK_MAIN(label_suite)
