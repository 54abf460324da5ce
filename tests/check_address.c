/*
 * Check suite for shipping/address.c: every postcode range and its
 * département, line and commune rules at their limits, poste restante
 * spellings, the canonical form used to link orders, and the label
 * address block (AFNOR positions, punctuation and capitals, poste restante,
 * CEDEX, ST/STE, transliteration and refusals, the postcode/commune
 * check).  Every refusal is checked to name its field and never to echo
 * the value.
 */
#include <string.h>

#include "orders/order.h"
#include "shipping/address.h"
#include "tests/testutil.h"

/* Assert that postcode @pc is valid with département @dept. */
static void
pc_ok(const char *pc, const char *want)
{
	char dept[ADDRESS_DEPT_MAX];
	struct field_error err = { "", "" };

	ck_assert_msg(address_postcode_check(pc, dept, &err) == 0,
	    "%s refused: %s", pc, err.msg);
	ck_assert_str_eq(dept, want);
}

/* Assert that postcode @pc is refused with a message containing @msg. */
static void
pc_bad(const char *pc, const char *msg)
{
	char dept[ADDRESS_DEPT_MAX] = "XX";
	struct field_error err = { "", "" };

	ck_assert_msg(address_postcode_check(pc, dept, &err) == -1,
	    "%s accepted", pc != NULL ? pc : "(null)");
	ck_assert_str_eq(err.field, "postcode");
	ck_assert_msg(strstr(err.msg, msg) != NULL, "%s: got '%s'",
	    pc != NULL ? pc : "(null)", err.msg);
	ck_assert_str_eq(dept, "");
	if (pc != NULL && strlen(pc) >= 3)
		ck_assert_ptr_null(strstr(err.msg, pc));
}

START_TEST(postcode_metropolitan)
{
	pc_ok("01000", "01");
	pc_ok("01990", "01");
	pc_ok("75001", "75");
	pc_ok("75116", "75");
	pc_ok("13001", "13");
	pc_ok("33000", "33");
	pc_ok("19000", "19");
	pc_ok("21000", "21");
	pc_ok("95880", "95");
	pc_ok("95999", "95");
}
END_TEST

START_TEST(postcode_corsica)
{
	pc_ok("20000", "2A");
	pc_ok("20090", "2A");
	pc_ok("20167", "2A");
	pc_ok("20199", "2A");
	pc_ok("20200", "2B");
	pc_ok("20290", "2B");
	pc_ok("20600", "2B");
	pc_ok("20699", "2B");
	pc_bad("20300", "Corsica");
	pc_bad("20399", "Corsica");
	pc_bad("20500", "Corsica");
	pc_bad("20700", "Corsica");
	pc_bad("20999", "Corsica");
}
END_TEST

START_TEST(postcode_overseas)
{
	pc_ok("97100", "971");
	pc_ok("97139", "971");
	pc_ok("97200", "972");
	pc_ok("97300", "973");
	pc_ok("97400", "974");
	pc_ok("97500", "975");
	pc_ok("97600", "976");
	pc_ok("97699", "976");
	pc_ok("97133", "977");
	pc_ok("97150", "978");
	/* Neighbours of the two special codes stay in Guadeloupe. */
	pc_ok("97132", "971");
	pc_ok("97134", "971");
	pc_ok("97149", "971");
	pc_ok("97151", "971");
	pc_bad("97000", "overseas");
	pc_bad("97099", "overseas");
	pc_bad("97700", "overseas");
	pc_bad("97800", "overseas");
	pc_bad("97999", "overseas");
}
END_TEST

START_TEST(postcode_98)
{
	pc_ok("98000", "98");
	pc_ok("98600", "986");
	pc_ok("98714", "987");
	pc_ok("98800", "988");
	pc_ok("98899", "988");
	pc_bad("98001", "no French postal area");
	pc_bad("98099", "no French postal area");
	pc_bad("98100", "no French postal area");
	pc_bad("98599", "no French postal area");
	pc_bad("98900", "no French postal area");
	pc_bad("99000", "no French postal area");
	pc_bad("99999", "no French postal area");
	pc_bad("96000", "no French postal area");
	pc_bad("96999", "no French postal area");
}
END_TEST

START_TEST(postcode_malformed)
{
	pc_bad("00000", "00");
	pc_bad("00999", "00");
	pc_bad(NULL, "required");
	pc_bad("", "required");
	pc_bad("7500", "5 digits");
	pc_bad("750011", "5 digits");
	pc_bad("75 001", "5 digits");
	pc_bad(" 75001", "5 digits");
	pc_bad("75001 ", "5 digits");
	pc_bad("7500A", "5 digits");
	pc_bad("-7500", "5 digits");
	pc_bad("+7500", "5 digits");
	pc_bad("2A000", "5 digits");
	/* Arabic-Indic and full-width digits are not ASCII digits. */
	pc_bad("\xd9\xa7\xd9\xa5\xd9\xa0\xd9\xa0\xd9\xa1", "5 digits");
	pc_bad("\xef\xbc\x97" "5001", "5 digits");
	pc_bad("75001\n", "5 digits");
	pc_bad("12345678901234567890", "5 digits");
}
END_TEST

/* Every 5-digit code: valid ones have a département, others an error. */
START_TEST(postcode_exhaustive)
{
	char pc[6], dept[ADDRESS_DEPT_MAX];
	struct field_error err;
	int n, valid = 0;

	for (n = 0; n <= 99999; n++) {
		int rc;

		ck_assert_int_ne(str_printf(pc, sizeof(pc), "%05d", n), -1);
		err.field[0] = '\0';
		rc = address_postcode_check(pc, dept, &err);
		if (rc == 0) {
			valid++;
			ck_assert(strlen(dept) >= 2 && strlen(dept) <= 3);
		} else {
			ck_assert_int_eq(rc, -1);
			ck_assert_str_eq(err.field, "postcode");
			ck_assert_ptr_null(strstr(err.msg, pc));
		}
	}
	/*
	 * 01-19 and 21-95 (94 x 1000), Corsica 4 x 100, 971-976 6 x 100,
	 * 98000 and 986-988 3 x 100.
	 */
	ck_assert_int_eq(valid, 94 * 1000 + 400 + 600 + 1 + 300);
}
END_TEST

/* A string of @n copies of @unit. */
static char *
repeat(char *buf, size_t bufsz, const char *unit, size_t n)
{
	size_t ulen = strlen(unit), i;

	ck_assert(ulen * n < bufsz);
	for (i = 0; i < n; i++)
		memcpy(buf + i * ulen, unit, ulen);
	buf[n * ulen] = '\0';
	return buf;
}

static void
line_ok(const char *line)
{
	struct field_error err = { "", "" };

	ck_assert_msg(address_line_check("line", line, &err) == 0,
	    "refused: %s", err.msg);
}

static void
line_bad(const char *line, const char *msg)
{
	struct field_error err = { "", "" };

	ck_assert_int_eq(address_line_check("line", line, &err), -1);
	ck_assert_str_eq(err.field, "line");
	ck_assert_msg(strstr(err.msg, msg) != NULL, "got '%s'", err.msg);
}

START_TEST(line_rules)
{
	char buf[1024];

	line_ok("12 rue des Lilas");
	line_ok("Chez Mme Dupont, appartement 3");
	line_ok("Résidence « Les Pins », bât. B");
	line_ok("x");
	line_ok(" leading and trailing spaces ");
	line_ok("Улица Ленина 5");		/* other scripts are fine */
	line_ok("Lieu-dit l’Étang");
	line_ok(repeat(buf, sizeof(buf), "a", 38));
	line_bad(repeat(buf, sizeof(buf), "a", 39), "at most 38");
	/* Characters, not bytes: 38 two-byte letters fit. */
	line_ok(repeat(buf, sizeof(buf), "é", 38));
	line_bad(repeat(buf, sizeof(buf), "é", 39), "at most 38");
	line_ok(repeat(buf, sizeof(buf), "\xe2\x82\xac", 38));
	line_bad(repeat(buf, sizeof(buf), "\xe2\x82\xac", 39), "at most 38");
	line_ok(repeat(buf, sizeof(buf), "\xf0\x9f\x8f\xa0", 38));
	line_bad(repeat(buf, sizeof(buf), "\xf0\x9f\x8f\xa0", 39),
	    "at most 38");
	line_bad(repeat(buf, sizeof(buf), "a", 1000), "at most 38");

	line_bad(NULL, "required");
	line_bad("", "required");
	line_bad(" ", "blank");
	line_bad("   \t ", "control");	/* a tab is a control character */
	line_bad("    ", "blank");
	line_bad("\xc2\xa0\xc2\xa0", "blank");	/* NBSP only */
	line_bad("\xe3\x80\x80", "blank");	/* ideographic space */
	line_bad("a\nb", "control");
	line_bad("a\tb", "control");
	line_bad("a\rb", "control");
	line_bad("a\x7f", "control");
	line_bad("a\xc2\x85", "control");	/* NEL, a C1 control */
	line_bad("a\x1b[31m", "control");
	line_bad("a\xff", "UTF-8");
	line_bad("\xc3", "UTF-8");		/* truncated */
	line_bad("\xc0\xaf", "UTF-8");		/* overlong '/' */
	line_bad("\xed\xa0\x80", "UTF-8");	/* surrogate */
	line_bad("\xf4\x90\x80\x80", "UTF-8");	/* past U+10FFFF */
}
END_TEST

START_TEST(line_field_name)
{
	struct field_error err = { "", "" };

	ck_assert_int_eq(address_line_check("pseudonym", "", &err), -1);
	ck_assert_str_eq(err.field, "pseudonym");
	ck_assert_int_eq(address_line_check("pseudonym",
	    "Secretname-Aurelia-XY-1234567890123456789", &err), -1);
	ck_assert_str_eq(err.field, "pseudonym");
	ck_assert_ptr_null(strstr(err.msg, "Aurelia"));
	/* NULL err is allowed. */
	ck_assert_int_eq(address_line_check("line", "", NULL), -1);
}
END_TEST

static void
commune_ok(const char *c)
{
	struct field_error err = { "", "" };

	ck_assert_msg(address_commune_check(c, &err) == 0, "%s refused: %s",
	    c, err.msg);
}

static void
commune_bad(const char *c, const char *msg)
{
	struct field_error err = { "", "" };

	ck_assert_msg(address_commune_check(c, &err) == -1, "%s accepted",
	    c != NULL ? c : "(null)");
	ck_assert_str_eq(err.field, "commune");
	ck_assert_msg(strstr(err.msg, msg) != NULL, "got '%s'", err.msg);
	if (c != NULL && strlen(c) >= 4)
		ck_assert_ptr_null(strstr(err.msg, c));
}

START_TEST(commune_rules)
{
	char buf[1024];

	commune_ok("Paris");
	commune_ok("PARIS");
	commune_ok("L'Île-d'Yeu");
	commune_ok("L’Haÿ-les-Roses");
	commune_ok("Saint-Étienne");
	commune_ok("Œuilly");
	commune_ok("Bourg-en-Bresse");
	commune_ok("Y");
	commune_ok("Aix en Provence");
	commune_ok("Sainte-Marie-aux-Mines");
	commune_ok(" Paris ");
	commune_ok("Millau Cedex");
	commune_ok("MILLAU CEDEX 1");
	commune_ok("MILLAU CEDEX 11");
	commune_ok("Millau cedex 09");
	commune_ok("MILLAU CEDEX  11 ");
	commune_ok("Cedex");		/* one word: read as a name */
	commune_ok(repeat(buf, sizeof(buf), "a", 32));
	commune_bad(repeat(buf, sizeof(buf), "a", 33), "at most 32");
	commune_ok(repeat(buf, sizeof(buf), "É", 32));
	commune_bad(repeat(buf, sizeof(buf), "É", 33), "at most 32");
	commune_bad(repeat(buf, sizeof(buf), "b", 500), "at most 32");
	/* The CEDEX suffix counts toward the line. */
	commune_ok("AAAAAAAAAAAAAAAAAAAAAAA CEDEX 11");	/* 32 */
	commune_bad("AAAAAAAAAAAAAAAAAAAAAAAA CEDEX 11", "at most 32");

	commune_bad(NULL, "required");
	commune_bad("", "required");
	commune_bad("   ", "letter");
	commune_bad("--", "start with a letter");
	commune_bad("'Paris", "start with a letter");
	commune_bad("-Paris", "start with a letter");
	commune_bad("Paris 15", "digits");
	commune_bad("Marseille 8e", "digits");
	commune_bad("PARIS CEDEX 123", "digits");
	commune_bad("PARIS CEDEX11", "digits");
	commune_bad("PARISCEDEX 11", "digits");
	commune_bad("PARIS 11 CEDEX", "digits");
	commune_bad("CEDEX 11", "digits");
	commune_bad(" CEDEX 11", "letter");
	commune_bad("St. Denis", "may only contain");
	commune_bad("Paris/Lyon", "may only contain");
	commune_bad("Paris_Lyon", "may only contain");
	commune_bad("Москва", "may only contain");
	commune_bad("Paris\xc3\x97", "may only contain");	/* × */
	commune_bad("Paris\n", "control");
	commune_bad("Paris\t", "control");
	commune_bad("Par\xffis", "UTF-8");
	commune_bad("Par\xc3", "UTF-8");
}
END_TEST

START_TEST(poste_restante)
{
	ck_assert(address_is_poste_restante("POSTE RESTANTE"));
	ck_assert(address_is_poste_restante("poste restante"));
	ck_assert(address_is_poste_restante("Poste Restante"));
	ck_assert(address_is_poste_restante("  poste   restante  "));
	ck_assert(address_is_poste_restante("poste\trestante"));
	ck_assert(address_is_poste_restante("poste-restante"));
	ck_assert(!address_is_poste_restante("posterestante"));
	ck_assert(!address_is_poste_restante("poste restante 12"));
	ck_assert(!address_is_poste_restante("poste"));
	ck_assert(!address_is_poste_restante("poste "));
	ck_assert(!address_is_poste_restante("restante"));
	ck_assert(!address_is_poste_restante("la poste restante"));
	ck_assert(!address_is_poste_restante("poste restant"));
	ck_assert(!address_is_poste_restante(""));
	ck_assert(!address_is_poste_restante(NULL));
	ck_assert(!address_is_poste_restante(ADDRESS_POSTE_RESTANTE "\xc3\xa9"));
}
END_TEST

START_TEST(normalise_basic)
{
	const char *lines[] = {
		"Chez  Mme Zoé Lefèvre",
		"Bât. B, escalier 3",
		"12, rue de l’Église",
	};
	char out[512];

	ck_assert_int_eq(address_normalise(lines, 3, "75001", "Paris", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "CHEZ MME ZOE LEFEVRE\nBAT B ESCALIER 3\n"
	    "12 RUE DE L EGLISE\n75001 PARIS");
}
END_TEST

START_TEST(normalise_folding)
{
	const char *lines[] = {
		"àáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿ",
		"ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞß",
		"œŒĳĲſŁłŠšŽžŸ",
		"Straße ×÷ ¡¿ «a» b—c…d",
		"Улица 5",
	};
	char out[512];

	ck_assert_int_eq(address_normalise(lines, ARRAY_LEN(lines), "97133",
	    "Saint-Barthélemy", out, sizeof(out)), 0);
	ck_assert_str_eq(out,
	    "AAAAAAAECEEEEIIIIDNOOOOOOUUUUYTHY\n"
	    "AAAAAAAECEEEEIIIIDNOOOOOOUUUUYTHSS\n"
	    "OEOEIJIJSLLSSZZY\n"
	    "STRASSE A B C D\n"
	    "Улица 5\n"
	    "97133 SAINT BARTHELEMY");
}
END_TEST

START_TEST(normalise_equivalent)
{
	const char *a[] = { "12 rue de l'Église" };
	const char *b[] = { "  12,  RUE DE L’EGLISE.  ", "", " - " };
	char oa[256], ob[256];

	ck_assert_int_eq(address_normalise(a, 1, "33000", "Bordeaux", oa,
	    sizeof(oa)), 0);
	/* Empty and punctuation-only lines vanish. */
	ck_assert_int_eq(address_normalise(b, 3, " 33000 ", "BORDEAUX ", ob,
	    sizeof(ob)), 0);
	ck_assert_str_eq(oa, ob);
	ck_assert_str_eq(oa, "12 RUE DE L EGLISE\n33000 BORDEAUX");
}
END_TEST

START_TEST(normalise_limits)
{
	const char *lines[] = { "abc" };
	const char *bad[] = { "a\xff" };
	const char *null_line[] = { NULL };
	char out[64];
	/* "ABC\n75001 PARIS" is 15 bytes + NUL. */
	ck_assert_int_eq(address_normalise(lines, 1, "75001", "Paris", out,
	    16), 0);
	ck_assert_str_eq(out, "ABC\n75001 PARIS");
	ck_assert_int_eq(address_normalise(lines, 1, "75001", "Paris", out,
	    15), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(address_normalise(lines, 1, "75001", "Paris", out,
	    1), -1);
	ck_assert_int_eq(address_normalise(lines, 1, "75001", "Paris", out,
	    0), -1);
	ck_assert_int_eq(address_normalise(bad, 1, "75001", "Paris", out,
	    sizeof(out)), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(address_normalise(lines, 1, "75001", "Par\xc3", out,
	    sizeof(out)), -1);
	/* NULL lines and elements are treated as empty. */
	ck_assert_int_eq(address_normalise(null_line, 1, NULL, NULL, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(address_normalise(NULL, 0, "75001", "Paris", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "75001 PARIS");
	ck_assert_int_eq(address_normalise(NULL, 1, "75001", "Paris", out,
	    sizeof(out)), -1);
}
END_TEST

/* ---- the label address block ---- */

#define END NULL

/*
 * Format recipient @rec, the NULL-ended @lines, poste restante @pr,
 * postcode and commune; assert success, the label's invariants (printable
 * ASCII, 1-38 characters, no double or edge spaces, positions rising) and
 * that its lines are the NULL-ended @want at positions @pos.
 */
static void
lab_ok(const char *rec, const char *const *lines, bool pr, const char *pc,
    const char *commune, const char *const *want, const int *pos,
    struct address_label *lab)
{
	struct address_parts in = { 0 };
	struct field_error err = { "", "" };
	size_t n = 0, i;

	while (lines != NULL && lines[n] != NULL)
		n++;
	in.recipient = rec;
	in.lines = lines;
	in.nlines = n;
	in.poste_restante = pr;
	in.postcode = pc;
	in.commune = commune;
	ck_assert_msg(address_format_label(&in, lab, &err) == 0,
	    "refused: %s: %s", err.field, err.msg);
	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(i < lab->nlines, "only %zu lines", lab->nlines);
		ck_assert_str_eq(lab->line[i], want[i]);
		ck_assert_int_eq(lab->afnor[i], pos[i]);
	}
	ck_assert_uint_eq(lab->nlines, i);
	ck_assert_uint_le(lab->nlines, ADDRESS_LABEL_LINES);
	for (i = 0; i < lab->nlines; i++) {
		const char *l = lab->line[i];
		size_t len = strlen(l);

		ck_assert_uint_ge(len, 1);
		ck_assert_uint_le(len, ADDRESS_LINE_MAX);
		ck_assert(l[0] != ' ' && l[len - 1] != ' ');
		ck_assert_ptr_null(strstr(l, "  "));
		for (size_t k = 0; k < len; k++)
			ck_assert(l[k] >= 0x20 && l[k] <= 0x7e);
		if (i > 0)
			ck_assert_int_gt(lab->afnor[i], lab->afnor[i - 1]);
	}
}

/*
 * Assert a refusal naming @field with a message containing @msg, the
 * label wiped, and no line's text in the message.
 */
static void
lab_bad(const char *rec, const char *const *lines, bool pr, const char *pc,
    const char *commune, const char *field, const char *msg)
{
	struct address_parts in = { 0 };
	struct field_error err = { "", "" };
	struct address_label lab;
	size_t n = 0;

	while (lines != NULL && lines[n] != NULL)
		n++;
	in.recipient = rec;
	in.lines = lines;
	in.nlines = n;
	in.poste_restante = pr;
	in.postcode = pc;
	in.commune = commune;
	memset(&lab, 'x', sizeof(lab));
	ck_assert_int_eq(address_format_label(&in, &lab, &err), -1);
	ck_assert_str_eq(err.field, field);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "got '%s'", err.msg);
	ck_assert_uint_eq(lab.nlines, 0);
	ck_assert_int_eq(lab.line[0][0], '\0');
	if (rec != NULL && strlen(rec) > 3)
		ck_assert_ptr_null(strstr(err.msg, rec));
	if (commune != NULL && strlen(commune) > 3)
		ck_assert_ptr_null(strstr(err.msg, commune));
	for (size_t i = 0; i < n; i++)
		if (strlen(lines[i]) > 3)
			ck_assert_ptr_null(strstr(err.msg, lines[i]));
}

START_TEST(label_basic)
{
	struct address_label lab;
	const char *l1[] = { "12 rue des Lilas", END };
	const char *w1[] = { "Camille", "12 rue des Lilas", "12100 MILLAU",
	    END };
	const int p1[] = { 1, 4, 6 };

	lab_ok("Camille", l1, false, "12100", "Millau", w1, p1, &lab);
	ck_assert(!lab.transliterated);
	ck_assert(!lab.shortened);
	address_label_clear(&lab);
	ck_assert_uint_eq(lab.nlines, 0);
	ck_assert_int_eq(lab.line[0][0], '\0');
	address_label_clear(NULL);
}
END_TEST

START_TEST(label_positions)
{
	struct address_label lab;
	/* Four lines: 2 to 5, line 5 in capitals without punctuation. */
	const char *l4[] = { "Chez M. Durand", "Résidence Les Pins, bât. B",
	    "12, rue de l'Église", "Lieu-dit la Crouzette", END };
	const char *w4[] = { "Kim", "Chez M. Durand",
	    "Residence Les Pins, bat. B", "12 rue de l Eglise",
	    "LIEU DIT LA CROUZETTE", "12100 MILLAU", END };
	const int p4[] = { 1, 2, 3, 4, 5, 6 };
	/* Three lines end at the street. */
	const char *l3[] = { "Appt. 3, 2e étage", "Bâtiment C",
	    "4 bis, av. Jean-Jaurès", END };
	const char *w3[] = { "Kim", "Appt. 3, 2e etage", "Batiment C",
	    "4 bis av Jean Jaures", "12100 MILLAU", END };
	const int p3[] = { 1, 2, 3, 4, 6 };
	/* A BP, CS, TSA or lieu-dit last goes to line 5. */
	const char *lbp[] = { "Mas des Figues", "B.P. 12", END };
	const char *wbp[] = { "Kim", "Mas des Figues", "BP 12",
	    "12100 MILLAU", END };
	const int pbp[] = { 1, 4, 5, 6 };
	const char *lld[] = { "lieudit Combe-Haute", END };
	const char *wld[] = { "Kim", "LIEUDIT COMBE HAUTE", "12100 MILLAU",
	    END };
	const int pld[] = { 1, 5, 6 };
	/* Empty given lines leave no blank line. */
	const char *lempty[] = { "", "8 place du Mandarous", "", END };
	const char *wempty[] = { "Kim", "8 place du Mandarous", "12100 MILLAU",
	    END };
	const int pempty[] = { 1, 4, 6 };

	lab_ok("Kim", l4, false, "12100", "Millau", w4, p4, &lab);
	ck_assert(lab.transliterated);
	lab_ok("Kim", l3, false, "12100", "Millau", w3, p3, &lab);
	lab_ok("Kim", lbp, false, "12100", "Millau", wbp, pbp, &lab);
	lab_ok("Kim", lld, false, "12100", "Millau", wld, pld, &lab);
	lab_ok("Kim", lempty, false, "12100", "Millau", wempty, pempty, &lab);
	address_label_clear(&lab);
}
END_TEST

START_TEST(label_poste_restante)
{
	struct address_label lab;
	const char *w0[] = { "Sacha", "POSTE RESTANTE", "12100 MILLAU", END };
	const int p0[] = { 1, 5, 6 };
	/* As struct order stores it: the last line reads poste restante. */
	const char *lorder[] = { "Bureau de Millau Mandarous",
	    "POSTE RESTANTE", END };
	const char *worder[] = { "Sacha", "Bureau de Millau Mandarous",
	    "POSTE RESTANTE", "12100 MILLAU", END };
	const int porder[] = { 1, 4, 5, 6 };
	const char *lspelt[] = { "poste-restante", END };
	const char *l3[] = { "a", "b", "c", END };
	const char *w3[] = { "Sacha", "a", "b", "c", "POSTE RESTANTE",
	    "12100 MILLAU", END };
	const int p3[] = { 1, 2, 3, 4, 5, 6 };
	const char *l4[] = { "a", "b", "c", "d", END };

	lab_ok("Sacha", NULL, true, "12100", "Millau", w0, p0, &lab);
	lab_ok("Sacha", lorder, false, "12100", "Millau", worder, porder,
	    &lab);
	lab_ok("Sacha", lorder, true, "12100", "Millau", worder, porder, &lab);
	lab_ok("Sacha", lspelt, false, "12100", "Millau", w0, p0, &lab);
	lab_ok("Sacha", l3, true, "12100", "Millau", w3, p3, &lab);
	/* Three lines plus poste restante is six; four is seven. */
	lab_bad("Sacha", l4, true, "12100", "Millau", "address",
	    "7 lines");
	address_label_clear(&lab);
}
END_TEST

START_TEST(label_cedex)
{
	struct address_label lab;
	const char *l1[] = { "Service courrier", "BP 80001", END };
	const char *w1[] = { "Dominique", "Service courrier", "BP 80001",
	    "12101 MILLAU CEDEX 11", END };
	const int p1[] = { 1, 4, 5, 6 };
	const char *w2[] = { "Dominique", "Service courrier", "BP 80001",
	    "69443 LYON CEDEX 03", END };
	const char *w3[] = { "Dominique", "Service courrier", "BP 80001",
	    "33000 BORDEAUX CEDEX", END };

	lab_ok("Dominique", l1, false, "12101", "Millau Cedex 11", w1, p1,
	    &lab);
	lab_ok("Dominique", l1, false, "69443", "lyon cedex 03", w2, p1, &lab);
	lab_ok("Dominique", l1, false, "33000", "Bordeaux CEDEX", w3, p1,
	    &lab);
	address_label_clear(&lab);
}
END_TEST

START_TEST(label_saint)
{
	struct address_label lab;
	const char *l1[] = { "La Borie", END };
	const int p1[] = { 1, 4, 6 };
	/* Fits: no shortening. */
	const char *w1[] = { "Lou", "La Borie",
	    "12100 SAINT GEORGES DE LUZENCON", END };
	const char *w2[] = { "Lou", "La Borie",
	    "12100 SAINTE OEUVRE ST BAUZELY HAUTS", END };
	/*
	 * 32 characters, but Œ becomes OE: 39 on line 6, so SAINTE and
	 * SAINT shorten.
	 */
	const char *w3[] = { "Lou", "La Borie",
	    "12100 STE OEUVRE ST BAUZELY HAUTS", END };
	/* Line 5: 38 characters, ß makes them 39; shortened. */
	const char *l5[] = { "Lieu-dit Saint-Straßenberg des Prés Ha",
	    END };
	const char *w5[] = { "Lou", "LIEU DIT ST STRASSENBERG DES PRES HA",
	    "12100 MILLAU", END };
	const int p5[] = { 1, 5, 6 };
	/* Line 4 is never shortened: refused, with the count. */
	const char *l4[] = { "38 rue Sainte-Straßenberg des Prés Hau",
	    END };

	lab_ok("Lou", l1, false, "12100", "Saint-Georges-de-Luzençon", w1,
	    p1, &lab);
	ck_assert(!lab.shortened);
	lab_ok("Lou", l1, false, "12100", "Sainte-Œuvre-St-Bauzély-Hauts",
	    w2, p1, &lab);
	ck_assert(!lab.shortened);
	lab_ok("Lou", l1, false, "12100", "Sainte-Œuvre-Saint-Bauzély-Hauts",
	    w3, p1, &lab);
	ck_assert(lab.shortened);
	lab_ok("Lou", l5, false, "12100", "Millau", w5, p5, &lab);
	ck_assert(lab.shortened);
	lab_bad("Lou", l4, false, "12100", "Millau", "line",
	    "label line 4 would be 39 characters once written in Latin "
	    "letters: at most 38");
	address_label_clear(&lab);
}
END_TEST

START_TEST(label_limits)
{
	struct address_label lab;
	char rec[64], line[64];
	const char *l1[] = { line, END };
	const char *l5[] = { "a", "b", "c", "d", "e", END };
	const char *w[] = { rec, line, "12100 MILLAU", END };
	const int p[] = { 1, 4, 6 };

	/* 38 characters pass, 39 do not, on every line. */
	memset(rec, 'r', 38);
	rec[38] = '\0';
	memset(line, 'l', 38);
	line[38] = '\0';
	lab_ok(rec, l1, false, "12100", "Millau", w, p, &lab);
	rec[38] = 'r';
	rec[39] = '\0';
	lab_bad(rec, l1, false, "12100", "Millau", "pseudonym",
	    "at most 38");
	rec[38] = '\0';
	line[38] = 'l';
	line[39] = '\0';
	lab_bad(rec, l1, false, "12100", "Millau", "line", "at most 38");
	line[38] = '\0';
	/* Cyrillic that grows past 38 once written in Latin letters. */
	lab_bad("Щщщщщщщщщщ", l1, false, "12100", "Millau", "pseudonym",
	    "label line 1 would be 40 characters once written in Latin "
	    "letters");
	/* Seven lines: refused, for abroad only. */
	lab_bad(rec, l5, false, "12100", "Millau", "address",
	    "would take 7 lines on the label: at most 6");
	/* Empty or missing parts. */
	lab_bad(rec, l1, false, "12100", "", "commune", "is required");
	lab_bad(rec, l1, false, "12100", NULL, "commune", "is required");
	lab_bad(rec, l1, false, "12100", "   ", "commune", "letter");
	lab_bad("", l1, false, "12100", "Millau", "pseudonym", "is required");
	lab_bad("   ", l1, false, "12100", "Millau", "pseudonym", "blank");
	lab_bad(NULL, l1, false, "12100", "Millau", "pseudonym",
	    "is required");
	lab_bad(rec, NULL, false, "12100", "Millau", "line",
	    "at least one address line");
	lab_bad(rec, l1, false, "1210", "Millau", "postcode", "5 digits");
	lab_bad(rec, l1, false, NULL, "Millau", "postcode", "is required");
	lab_bad(rec, (const char *[]){ "a\tb", END }, false, "12100",
	    "Millau", "line", "control characters");
	lab_bad(rec, (const char *[]){ "\xc3\x28", END }, false, "12100",
	    "Millau", "line", "UTF-8");
	lab_bad(rec, l1, false, "12100", "Mill4u", "commune", "digits");
	/* A line of punctuation only has nothing left on lines 4-6. */
	lab_bad(rec, (const char *[]){ "-- . --", END }, false, "12100",
	    "Millau", "line", "label line 4 has no letter or digit");
	ck_assert_int_eq(address_format_label(NULL, &lab, NULL), -1);
	ck_assert_int_eq(address_format_label(NULL, NULL, NULL), -1);
	address_label_clear(&lab);
}
END_TEST

START_TEST(label_transliteration)
{
	struct address_label lab;
	const int p[] = { 1, 3, 4, 6 };

	/* Latin diacritics, ligatures, typographic signs. */
	lab_ok("Œdipe Straße", (const char *[]){ "Chez l’Hôte «Ça»",
	    "N° 12 rue de l’Œuvre", END }, false, "12100", "Millau",
	    (const char *[]){ "Oedipe Strasse", "Chez l'Hote \"Ca\"",
	    "No 12 rue de l Oeuvre", "12100 MILLAU", END }, p, &lab);
	ck_assert(lab.transliterated);
	lab_ok("Nguyễn Thị Ánh", (const char *[]){ "Ștefan – Łódź",
	    "Øster Ålléé", END }, false, "12100", "Millau",
	    (const char *[]){ "Nguyen Thi Anh", "Stefan - Lodz",
	    "Oster Allee", "12100 MILLAU", END }, p, &lab);
	/* Cyrillic, ICAO Doc 9303: Zh for Ж before small letters. */
	lab_ok("Жуков Щукина", (const char *[]){ "ЖУКОВ Юлия",
	    "ул. Ёлкина 5", END }, false, "12100", "Millau",
	    (const char *[]){ "Zhukov Shchukina", "ZHUKOV Iuliia",
	    "ul Elkina 5", "12100 MILLAU", END }, p, &lab);
	lab_ok("Ольга Ъ Ь Ы", (const char *[]){ "Їжак Ґанок", "Цвет Хлеб",
	    END }, false, "12100", "Millau",
	    (const char *[]){ "Olga IE Y", "Izhak Ganok", "Tsvet Khleb",
	    "12100 MILLAU", END }, p, &lab);
	/* Georgian, national system. */
	lab_ok("ნინო", (const char *[]){ "ჭავჭავაძე", "წყალი 3", END },
	    false, "12100", "Millau", (const char *[]){ "nino",
	    "ch'avch'avadze", "ts q ali 3", "12100 MILLAU", END }, p, &lab);
	/* ZPL's ^ ~ and \ never reach a label. */
	lab_ok("A^B~C\\D", (const char *[]){ "x^FDy", "1 rue ~", END }, false,
	    "12100", "Millau", (const char *[]){ "A B C D", "x FDy",
	    "1 rue", "12100 MILLAU", END }, p, &lab);
	ck_assert(!lab.transliterated);
	address_label_clear(&lab);
}
END_TEST

START_TEST(label_untransliterable)
{
	const char *l1[] = { "1 rue", END };

	/* Greek, CJK, emoji, symbols: refused, naming the position. */
	lab_bad("Αθηνά", l1, false, "12100", "Millau", "pseudonym",
	    "label line 1: character 1 has no standard transliteration");
	lab_bad("Kim", (const char *[]){ "Appt 東京", END }, false, "12100",
	    "Millau", "line",
	    "label line 4: character 6 has no standard transliteration");
	lab_bad("Kim \xf0\x9f\x98\x80", l1, false, "12100", "Millau",
	    "pseudonym", "character 5");
	lab_bad("Kim", (const char *[]){ "a", "1 rue €", END }, false,
	    "12100", "Millau", "line", "label line 4: character 7");
	lab_bad("Kim", (const char *[]){ "a", "Ə", END }, false,
	    "12100", "Millau", "line", "label line 4: character 1");
}
END_TEST

START_TEST(label_department)
{
	struct address_label lab;
	const char *l1[] = { "1 rue", END };
	const char *w[] = { "Kim", "1 rue", NULL, END };
	const int p[] = { 1, 4, 6 };
	struct field_error err;
	static const struct {
		const char *pc, *commune, *line6;
	} good[] = {
		{ "75011", "Paris", "75011 PARIS" },
		{ "75116", "PARIS", "75116 PARIS" },
		{ "75700", "Paris Cedex 07", "75700 PARIS CEDEX 07" },
		{ "13001", "Marseille", "13001 MARSEILLE" },
		{ "69003", "Lyon", "69003 LYON" },
		{ "20000", "Ajaccio", "20000 AJACCIO" },
		{ "20137", "Porto-Vecchio", "20137 PORTO VECCHIO" },
		{ "20200", "Bastia", "20200 BASTIA" },
		{ "20220", "L'Île-Rousse", "20220 L ILE ROUSSE" },
		{ "97200", "Fort-de-France", "97200 FORT DE FRANCE" },
		{ "97110", "Pointe-à-Pitre", "97110 POINTE A PITRE" },
		{ "97320", "St-Laurent-du-Maroni", "97320 ST LAURENT DU MARONI" },
		{ "97430", "Le Tampon", "97430 LE TAMPON" },
		{ "98714", "Papeete", "98714 PAPEETE" },
		{ "98800", "Nouméa", "98800 NOUMEA" },
		{ "98000", "Monaco", "98000 MONACO" },
		/* Unknown communes pass: the check is partial. */
		{ "12250", "Roquefort-sur-Soulzon", "12250 ROQUEFORT SUR SOULZON" },
		{ "60690", "Marseille-en-Beauvaisis",
		    "60690 MARSEILLE EN BEAUVAISIS" },
		{ "20167", "Mezzavia", "20167 MEZZAVIA" },
	};
	static const struct {
		const char *pc, *commune;
	} bad[] = {
		{ "13001", "Paris" }, { "75001", "Marseille" },
		{ "75001", "Millau" }, { "38000", "Lyon" },
		{ "20200", "Ajaccio" },
		{ "20000", "Bastia" }, { "97100", "Fort-de-France" },
		{ "97200", "Cayenne" }, { "06000", "Monaco" },
		{ "98000", "Nice" }, { "12100", "Corte" },
		{ "97400", "Papeete" }, { "33700", "MONTPELLIER CEDEX 2" },
	};

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		w[2] = good[i].line6;
		lab_ok("Kim", l1, false, good[i].pc, good[i].commune, w, p,
		    &lab);
		ck_assert_int_eq(address_postcode_matches(good[i].pc,
		    good[i].commune, &err), 0);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		lab_bad("Kim", l1, false, bad[i].pc, bad[i].commune,
		    "postcode", "does not match the commune");
		ck_assert_int_eq(address_postcode_matches(bad[i].pc,
		    bad[i].commune, &err), -1);
		ck_assert_str_eq(err.field, "postcode");
	}
	/* Malformed input is left to the field checks. */
	ck_assert_int_eq(address_postcode_matches("7500", "Marseille", &err),
	    0);
	ck_assert_int_eq(address_postcode_matches("75001", NULL, &err), 0);
	ck_assert_int_eq(address_postcode_matches("75001", "\xff", &err), 0);
	address_label_clear(&lab);
}
END_TEST

START_TEST(label_from_order)
{
	struct order o;
	struct address_label lab;
	struct field_error err;

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(str_copy(o.pseudonym, sizeof(o.pseudonym), "Sacha"),
	    0);
	ck_assert_int_eq(str_copy(o.lines[0], sizeof(o.lines[0]),
	    "Bureau du Mandarous"), 0);
	ck_assert_int_eq(str_copy(o.lines[1], sizeof(o.lines[1]),
	    ADDRESS_POSTE_RESTANTE), 0);
	o.nlines = 2;
	o.poste_restante = true;
	ck_assert_int_eq(str_copy(o.postcode, sizeof(o.postcode), "12100"), 0);
	ck_assert_int_eq(str_copy(o.commune, sizeof(o.commune),
	    "Millau"), 0);
	ck_assert_int_eq(address_label_from_order(&o, &lab, &err), 0);
	ck_assert_uint_eq(lab.nlines, 4);
	ck_assert_str_eq(lab.line[0], "Sacha");
	ck_assert_str_eq(lab.line[1], "Bureau du Mandarous");
	ck_assert_str_eq(lab.line[2], "POSTE RESTANTE");
	ck_assert_int_eq(lab.afnor[2], 5);
	ck_assert_str_eq(lab.line[3], "12100 MILLAU");
	/* A contradiction in the order is refused too. */
	ck_assert_int_eq(str_copy(o.commune, sizeof(o.commune), "Lyon"), 0);
	ck_assert_int_eq(address_label_from_order(&o, &lab, &err), -1);
	ck_assert_str_eq(err.field, "postcode");
	ck_assert_uint_eq(lab.nlines, 0);
	ck_assert_int_eq(address_label_from_order(NULL, &lab, &err), -1);
	order_clear(&o);
}
END_TEST

static Suite *
address_suite(void)
{
	Suite *s = suite_create("address");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, postcode_metropolitan);
	tcase_add_test(tc, postcode_corsica);
	tcase_add_test(tc, postcode_overseas);
	tcase_add_test(tc, postcode_98);
	tcase_add_test(tc, postcode_malformed);
	tcase_add_test(tc, postcode_exhaustive);
	tcase_add_test(tc, line_rules);
	tcase_add_test(tc, line_field_name);
	tcase_add_test(tc, commune_rules);
	tcase_add_test(tc, poste_restante);
	tcase_add_test(tc, normalise_basic);
	tcase_add_test(tc, normalise_folding);
	tcase_add_test(tc, normalise_equivalent);
	tcase_add_test(tc, normalise_limits);
	tcase_add_test(tc, label_basic);
	tcase_add_test(tc, label_positions);
	tcase_add_test(tc, label_poste_restante);
	tcase_add_test(tc, label_cedex);
	tcase_add_test(tc, label_saint);
	tcase_add_test(tc, label_limits);
	tcase_add_test(tc, label_transliteration);
	tcase_add_test(tc, label_untransliterable);
	tcase_add_test(tc, label_department);
	tcase_add_test(tc, label_from_order);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(address_suite)
