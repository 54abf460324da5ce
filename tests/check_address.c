/*
 * Check suite for shipping/address.c: every postcode range and its
 * département, line and commune rules at their limits, poste restante
 * spellings, and the canonical form used to link orders.  Every refusal is
 * checked to name its field and never to echo the value.
 */
#include <string.h>

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
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(address_suite)
