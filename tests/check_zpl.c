/*
 * Check suite for printer/zpl.c: ASCII transliteration (accents,
 * ligatures, Russian Cyrillic with its capitals, typographic punctuation,
 * refusals that never echo the text), and the ZPL of a label: framing,
 * UTF-8 code page, label size, positions inside 800 x 1200 dots, the QR
 * holding the URL alone, ^FH escapes for ^ ~ _, and refusals (7 lines, 39
 * characters, a character without an ASCII form) that leave the document
 * as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "printer/label.h"
#include "printer/zpl.h"
#include "tests/testutil.h"

#define URL "https://suivi.example.org/t/7K3M9QXW2HB4RT6N8"
#define CODE "7K3M9QXW2HB4RT6N8"

static const struct label_sender sender = {
	"SERVICE EXPÉDITIONS", "BP 80001", "33000", "BORDEAUX",
};

static void
ascii_is(const char *in, const char *want)
{
	char out[256], err[160] = "";

	ck_assert_msg(zpl_ascii(in, out, sizeof(out), err, sizeof(err)) == 0,
	    "%s refused: %s", want, err);
	ck_assert_str_eq(out, want);
}

START_TEST(ascii_latin)
{
	ascii_is("Millau", "Millau");
	ascii_is("Élodie Gaëlle Françoise", "Elodie Gaelle Francoise");
	ascii_is("Œuvre cœur Æsir", "OEuvre coeur AEsir");
	ascii_is("Straße Øresund Łódź", "Strasse Oresund Lodz");
	ascii_is("Ștefan Țara", "Stefan Tara");
	ascii_is("n° 5 « chez » l’ami – bât. B…", "no 5 \" chez \" l'ami - bat. "
	    "B...");
	ascii_is("\xc2\xa0" "a\xe2\x80\xaf" "b", " a b");
	ascii_is("", "");
}
END_TEST

START_TEST(ascii_cyrillic)
{
	ascii_is("Жанна", "Zhanna");
	ascii_is("ЖАННА", "ZHANNA");
	ascii_is("Щукина Юлия", "Shchukina Iuliia");
	ascii_is("Хабаровск", "Khabarovsk");
	ascii_is("Съезд", "Sieezd");	/* ICAO: Ъ is IE */
	ascii_is("Ольга Ёлкина", "Olga Elkina");
	ascii_is("Ж", "ZH");
}
END_TEST

START_TEST(ascii_refused)
{
	char out[64], err[160];

	err[0] = '\0';
	ck_assert_int_eq(zpl_ascii("Tokyo 東京", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_str_eq(out, "");
	ck_assert_msg(strstr(err, "U+6771") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "Tokyo"));
	ck_assert_int_eq(zpl_ascii("ქუთაისი", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_int_eq(zpl_ascii("ok \xf0\x9f\x98\x80", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_int_eq(zpl_ascii("bad \xc3", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "UTF-8"));
	ck_assert_int_eq(zpl_ascii("tab\there", out, sizeof(out), err,
	    sizeof(err)), -1);
	/* Too long for the buffer: refused, never cut. */
	ck_assert_int_eq(zpl_ascii("Щ", out, 4, err, sizeof(err)), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(zpl_ascii("Щ", out, 5, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "SHCH");
}
END_TEST

static void
content(struct label_content *lc, const char *const *lines, size_t n)
{
	memset(lc, 0, sizeof(*lc));
	/* A 7th line has no slot: nlines alone says 7, as a caller might. */
	for (size_t i = 0; i < n && i < LABEL_LINES_MAX; i++)
		lc->lines[i] = lines[i];
	lc->nlines = n;
	lc->url = URL;
	lc->code = CODE;
}

static char *
take(struct zpl *z, size_t *len)
{
	unsigned char *out = NULL;
	char *s;

	ck_assert_int_eq(zpl_take(z, &out, len), 0);
	s = malloc(*len + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, out, *len);
	s[*len] = '\0';
	free(out);
	return s;
}

static int
count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = strstr(s, what); p != NULL;
	    p = strstr(p + 1, what))
		n++;
	return n;
}

/* Every ^FOx,y is inside the label; field data hold no ^ or ~. */
static void
check_fields(const char *s)
{
	for (const char *p = strstr(s, "^FO"); p != NULL;
	    p = strstr(p + 1, "^FO")) {
		char *end;
		long x = strtol(p + 3, &end, 10), y;

		ck_assert(*end == ',');
		y = strtol(end + 1, &end, 10);
		ck_assert_msg(x >= 0 && x < ZPL_WIDTH && y >= 0 &&
		    y < ZPL_LENGTH, "^FO%ld,%ld outside the label", x, y);
	}
	for (const char *p = strstr(s, "^FD"); p != NULL;
	    p = strstr(p + 1, "^FD")) {
		const char *fs = strstr(p, "^FS");

		ck_assert_ptr_nonnull(fs);
		for (const char *q = p + 3; q < fs; q++)
			ck_assert_msg(*q != '^' && *q != '~' &&
			    (unsigned char)*q >= 0x20 && (unsigned char)*q <
			    0x7f, "raw byte 0x%02x in field data",
			    (unsigned char)*q);
	}
}

START_TEST(label_zpl)
{
	static const char *const lines[] = { "Zoulikha",
	    "APT 4 CHEZ MME QUENAUDON", "17 CHEMIN DES OLIVIERS",
	    "12100 MILLAU" };
	struct zpl *z = zpl_new();
	struct label_content lc;
	char err[200], *s;
	size_t len;

	ck_assert_ptr_nonnull(z);
	content(&lc, lines, 4);
	ck_assert_msg(zpl_add_label(z, &sender, &lc, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(zpl_count(z), 1);
	s = take(z, &len);
	ck_assert_uint_eq(strlen(s), len);
	ck_assert(strncmp(s, "^XA", 3) == 0);
	ck_assert(strcmp(s + len - 4, "^XZ\n") == 0);
	ck_assert_ptr_nonnull(strstr(s, "^CI28"));
	ck_assert_ptr_nonnull(strstr(s, "^PW800"));
	ck_assert_ptr_nonnull(strstr(s, "^LL1200"));
	ck_assert_ptr_nonnull(strstr(s, "^BQN,2,"));
	ck_assert_ptr_nonnull(strstr(s, "^FDMA," URL "^FS"));
	ck_assert_int_eq(count(s, "^BQ"), 1);
	ck_assert_int_eq(count(s, URL), 1);
	for (size_t i = 0; i < 4; i++) {
		char want[128];

		snprintf(want, sizeof(want), "^FD%s^FS", lines[i]);
		ck_assert_msg(strstr(s, want) != NULL, "no %s", want);
	}
	ck_assert_ptr_nonnull(strstr(s, "^FDSERVICE EXPEDITIONS^FS"));
	ck_assert_ptr_nonnull(strstr(s, "^FD33000 BORDEAUX^FS"));
	ck_assert_ptr_nonnull(strstr(s, "^FD7K3M-9QXW-2HB4-RT6N-8^FS"));
	check_fields(s);
	free(s);
	/* Emptied by zpl_take(). */
	ck_assert_uint_eq(zpl_count(z), 0);
	ck_assert_int_eq(zpl_take(z, (unsigned char **)&s, &len), -1);
	zpl_free(z);
	zpl_free(NULL);
}
END_TEST

START_TEST(label_escapes)
{
	static const char *const lines[] = { "Bob^XZ~JA_x", "12100 MILLAU" };
	struct zpl *z = zpl_new();
	struct label_content lc;
	char err[200], *s;
	size_t len;

	content(&lc, lines, 2);
	ck_assert_int_eq(zpl_add_label(z, &sender, &lc, err, sizeof(err)), 0);
	s = take(z, &len);
	ck_assert_ptr_nonnull(strstr(s, "^FH_^FDBob_5EXZ_7EJA_5Fx^FS"));
	/* The injected ^XZ did not end the label early. */
	ck_assert_int_eq(count(s, "^XZ"), 1);
	check_fields(s);
	free(s);
	zpl_free(z);
}
END_TEST

START_TEST(label_batch_and_sizes)
{
	static const char *const six[] = {
	    "Marie-Thérèse de la Croix-Rousse",
	    "APPARTEMENT 1204 ESCALIER B ETAGE 12",
	    "RESIDENCE LES JARDINS DE LA FONTAINE",
	    "1234 AVENUE DU MARECHAL DE LATTRE DE T",
	    "LIEU DIT LES HAUTS DE SAINT GEORGES",
	    "12101 SAINT GEORGES DE LUZENCON CEDEX" };
	struct zpl *z = zpl_new();
	struct label_content lc;
	char err[200], *s;
	size_t len;

	content(&lc, six, 6);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(zpl_add_label(z, &sender, &lc, err,
		    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(zpl_count(z), 3);
	s = take(z, &len);
	ck_assert_int_eq(count(s, "^XA"), 3);
	ck_assert_int_eq(count(s, "^XZ"), 3);
	ck_assert_ptr_nonnull(strstr(s, "^FDMarie-Therese de la Croix-Rousse"
	    "^FS"));
	/* 38 characters: a smaller font, still at least 3 mm (24 dots). */
	{
		const char *p = strstr(s, "^FO48,");

		ck_assert_ptr_nonnull(p);
	}
	for (const char *p = strstr(s, "^A0N,"); p != NULL;
	    p = strstr(p + 1, "^A0N,")) {
		long h = strtol(p + 5, NULL, 10);

		ck_assert_int_ge(h, 24);
		ck_assert_int_le(h, 64);
	}
	check_fields(s);
	free(s);
	zpl_free(z);
}
END_TEST

START_TEST(label_refused)
{
	static const char *const ok[] = { "Zoulikha", "12100 MILLAU" };
	static const char *const seven[] = { "a", "b", "c", "d", "e", "f",
	    "g" };
	static const char *const long39[] = { "Zoulikha",
	    "123456789012345678901234567890123456789" };
	static const char *const cjk[] = { "Zoulikha", "東京 1" };
	static const char *const empty[] = { "Zoulikha", "" };
	struct zpl *z = zpl_new();
	struct label_content lc;
	char err[200], *s;
	size_t len, before;

	content(&lc, ok, 2);
	ck_assert_int_eq(zpl_add_label(z, &sender, &lc, err, sizeof(err)), 0);
	content(&lc, seven, 7);
	ck_assert_int_eq(zpl_add_label(z, &sender, &lc, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "7 lines") != NULL, "%s", err);
	content(&lc, long39, 2);
	ck_assert_int_eq(zpl_add_label(z, &sender, &lc, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "address line 2") != NULL &&
	    strstr(err, "38") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "1234567890"));
	content(&lc, cjk, 2);
	ck_assert_int_eq(zpl_add_label(z, &sender, &lc, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "address line 2") != NULL &&
	    strstr(err, "ASCII") != NULL, "%s", err);
	content(&lc, empty, 2);
	ck_assert_int_eq(zpl_add_label(z, &sender, &lc, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "empty") != NULL, "%s", err);
	content(&lc, ok, 2);
	lc.url = "ftp://x/t/1";
	ck_assert_int_eq(zpl_add_label(z, &sender, &lc, err, sizeof(err)), -1);
	lc.url = URL;
	lc.code = "7k3m";
	ck_assert_int_eq(zpl_add_label(z, &sender, &lc, err, sizeof(err)), -1);
	/* The refusals left the first label alone. */
	ck_assert_uint_eq(zpl_count(z), 1);
	s = take(z, &len);
	before = len;
	ck_assert_int_eq(count(s, "^XA"), 1);
	ck_assert_ptr_null(strstr(s, "MA,ftp"));
	ck_assert_uint_gt(before, 100);
	free(s);
	zpl_free(z);
}
END_TEST

static Suite *
zpl_suite(void)
{
	Suite *s = suite_create("zpl");
	TCase *tc = tcase_create("zpl");

	tcase_add_test(tc, ascii_latin);
	tcase_add_test(tc, ascii_cyrillic);
	tcase_add_test(tc, ascii_refused);
	tcase_add_test(tc, label_zpl);
	tcase_add_test(tc, label_escapes);
	tcase_add_test(tc, label_batch_and_sizes);
	tcase_add_test(tc, label_refused);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(zpl_suite)
