/*
 * Check suite for orders/order.c: every field's rules and error, errors
 * that name their field and never carry the value, several errors at once,
 * the JSON round trip in both modes, and decoding of malformed, truncated
 * or hostile JSON.  Packs and languages come from the real catalogue in the
 * repository's templates/ (INJ has variants, NALOX and SEX do not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "orders/order.h"
#include "tests/testutil.h"

static struct catalogue *cat;

static void
cat_setup(void)
{
	char dir[4096], errbuf[256] = "";
	const char *top = getenv("HRPOST_SRCDIR");

	if (top == NULL)
		top = ".";
	ck_assert_int_ne(str_printf(dir, sizeof(dir), "%s/templates", top),
	    -1);
	cat = catalogue_load(dir, errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "catalogue: %s", errbuf);
}

static void
cat_teardown(void)
{
	catalogue_free(cat);
	cat = NULL;
}

/* A valid order with one line and one pack, to break one field at a time. */
static void
base_input(struct order_input *in)
{
	memset(in, 0, sizeof(*in));
	in->pseudonym = "Camille";
	in->lines[0] = "12 rue des Lilas";
	in->nlines = 1;
	in->postcode = "33000";
	in->commune = "Bordeaux";
	in->packs[0].code = "INJ";
	in->npacks = 1;
	in->channel = ORDER_CHANNEL_WEB;
}

static size_t
run(const struct order_input *in, struct order *o, struct field_error *errs)
{
	return order_from_input(in, cat, "fr", o, errs, ORDER_ERRORS_MAX);
}

static void
valid(const struct order_input *in, struct order *o)
{
	struct field_error errs[ORDER_ERRORS_MAX];
	size_t n = run(in, o, errs);

	ck_assert_msg(n == 0, "%zu errors, first %s: %s", n, errs[0].field,
	    errs[0].msg);
}

/*
 * Assert exactly one error, on @field, whose message contains @msg and
 * does not contain @value (when given); and that the order was wiped.
 */
static void
one_error(const struct order_input *in, const char *field, const char *msg,
    const char *value)
{
	struct field_error errs[ORDER_ERRORS_MAX];
	struct order o;
	size_t n = run(in, &o, errs);

	ck_assert_msg(n == 1, "%zu errors (want 1 on %s), first %s: %s", n,
	    field, n > 0 ? errs[0].field : "", n > 0 ? errs[0].msg : "");
	ck_assert_str_eq(errs[0].field, field);
	ck_assert_msg(strstr(errs[0].msg, msg) != NULL, "%s: got '%s'", field,
	    errs[0].msg);
	if (value != NULL && *value != '\0')
		ck_assert_msg(strstr(errs[0].msg, value) == NULL,
		    "%s: message repeats the value", field);
	ck_assert_str_eq(o.pseudonym, "");
	ck_assert_uint_eq(o.npacks, 0);
}

START_TEST(minimal)
{
	struct order_input in;
	struct order o;

	base_input(&in);
	valid(&in, &o);
	ck_assert_str_eq(o.pseudonym, "Camille");
	ck_assert_uint_eq(o.nlines, 1);
	ck_assert_str_eq(o.lines[0], "12 rue des Lilas");
	ck_assert_str_eq(o.postcode, "33000");
	ck_assert_str_eq(o.dept, "33");
	ck_assert_str_eq(o.commune, "Bordeaux");
	ck_assert_str_eq(o.phone, "");
	ck_assert_str_eq(o.note, "");
	ck_assert_str_eq(o.lang, "fr");
	ck_assert(!o.consent_call && !o.consent_sms && !o.poste_restante);
	ck_assert_int_eq(o.for_people, 1);
	ck_assert_int_eq(o.channel, ORDER_CHANNEL_WEB);
	ck_assert_uint_eq(o.npacks, 1);
	ck_assert_str_eq(o.packs[0].pack, "INJ");
	ck_assert_int_eq(o.packs[0].qty, 1);
	ck_assert_str_eq(o.packs[0].variant, "29G-12");	/* the default */
	ck_assert_int_eq(order_total_packs(&o), 1);
}
END_TEST

START_TEST(full)
{
	struct order_input in;
	struct order o;

	base_input(&in);
	in.pseudonym = "  Zoé  ";
	in.lines[0] = "Chez Dominique";
	in.lines[1] = "";
	in.lines[2] = "  Bât. B ";
	in.lines[3] = NULL;
	in.lines[4] = "Résidence les Pins";
	in.lines[5] = "3 chemin du Moulin";
	in.nlines = 6;
	in.postcode = " 20200 ";
	in.commune = "Bastia";
	in.phone = " +33 (0)6 12 34 56 78 ";
	in.consent_call = true;
	in.consent_sms = true;
	in.lang = "ES";
	in.packs[0].code = "inj";
	in.packs[0].qty = " 10 ";
	in.packs[0].variant = "25g-16";
	in.packs[1].code = "NALOX";
	in.packs[1].qty = "2";
	in.packs[2].code = "Sex";
	in.packs[2].qty = "999";
	in.packs[2].variant = "";
	in.npacks = 3;
	in.for_people = "3";
	in.note = "\r\n  Appeler après 18h.\r\nMerci\r\n\n";
	in.channel = ORDER_CHANNEL_PHONE;
	valid(&in, &o);
	ck_assert_str_eq(o.pseudonym, "Zoé");
	ck_assert_uint_eq(o.nlines, 4);
	ck_assert_str_eq(o.lines[0], "Chez Dominique");
	ck_assert_str_eq(o.lines[1], "Bât. B");
	ck_assert_str_eq(o.lines[2], "Résidence les Pins");
	ck_assert_str_eq(o.lines[3], "3 chemin du Moulin");
	ck_assert_str_eq(o.postcode, "20200");
	ck_assert_str_eq(o.dept, "2B");
	ck_assert_str_eq(o.phone, "+33612345678");
	ck_assert(o.consent_call && o.consent_sms);
	ck_assert_str_eq(o.lang, "es");
	ck_assert_uint_eq(o.npacks, 3);
	ck_assert_str_eq(o.packs[0].pack, "INJ");
	ck_assert_int_eq(o.packs[0].qty, 10);
	ck_assert_str_eq(o.packs[0].variant, "25G-16");
	ck_assert_str_eq(o.packs[1].pack, "NALOX");
	ck_assert_int_eq(o.packs[1].qty, 2);
	ck_assert_str_eq(o.packs[1].variant, "");
	ck_assert_str_eq(o.packs[2].pack, "SEX");
	ck_assert_int_eq(o.packs[2].qty, 999);
	ck_assert_int_eq(order_total_packs(&o), 1011);
	ck_assert_int_eq(o.for_people, 3);
	ck_assert_str_eq(o.note, "Appeler après 18h.\nMerci");
	ck_assert_int_eq(o.channel, ORDER_CHANNEL_PHONE);
}
END_TEST

/* A string of @n copies of @unit in @buf. */
static const char *
repeat(char *buf, size_t bufsz, const char *unit, size_t n)
{
	size_t ulen = strlen(unit), i;

	ck_assert(ulen * n < bufsz);
	for (i = 0; i < n; i++)
		memcpy(buf + i * ulen, unit, ulen);
	buf[n * ulen] = '\0';
	return buf;
}

START_TEST(pseudonym)
{
	struct order_input in;
	struct order o;
	char buf[4096];

	base_input(&in);
	in.pseudonym = NULL;
	one_error(&in, "pseudonym", "required", NULL);
	in.pseudonym = "";
	one_error(&in, "pseudonym", "required", NULL);
	in.pseudonym = "  \t ";
	one_error(&in, "pseudonym", "required", NULL);
	in.pseudonym = "\xc2\xa0";
	one_error(&in, "pseudonym", "blank", NULL);
	in.pseudonym = "Zaphod\x01";
	one_error(&in, "pseudonym", "control", "Zaphod");
	in.pseudonym = "Zaphod\xc3";
	one_error(&in, "pseudonym", "UTF-8", "Zaphod");
	in.pseudonym = repeat(buf, sizeof(buf), "Q", 39);
	one_error(&in, "pseudonym", "at most 38", "QQQQ");
	in.pseudonym = repeat(buf, sizeof(buf), "Q", 2000);
	one_error(&in, "pseudonym", "at most 38", "QQQQ");
	in.pseudonym = repeat(buf, sizeof(buf), "é", 39);
	one_error(&in, "pseudonym", "at most 38", "éé");
	in.pseudonym = repeat(buf, sizeof(buf), "é", 38);
	valid(&in, &o);
	in.pseudonym = repeat(buf, sizeof(buf), "Q", 38);
	valid(&in, &o);
	ck_assert_uint_eq(strlen(o.pseudonym), 38);
}
END_TEST

START_TEST(lines)
{
	struct order_input in;
	struct order o;
	char buf[4096];

	base_input(&in);
	in.nlines = 0;
	one_error(&in, "line", "at least one", NULL);
	in.lines[0] = "";
	in.lines[1] = "   ";
	in.lines[2] = NULL;
	in.nlines = 3;
	one_error(&in, "line", "at least one", NULL);

	in.lines[0] = "a";
	in.lines[1] = "b";
	in.lines[2] = "c";
	in.lines[3] = "d";
	in.nlines = 4;
	valid(&in, &o);
	ck_assert_uint_eq(o.nlines, 4);
	in.lines[4] = "e";
	in.nlines = 5;
	one_error(&in, "line", "at most 4", NULL);
	/* Empty boxes do not count. */
	in.lines[4] = "";
	in.lines[5] = "";
	in.lines[6] = NULL;
	in.lines[7] = " ";
	in.nlines = ORDER_INPUT_LINES_MAX;
	valid(&in, &o);
	ck_assert_uint_eq(o.nlines, 4);
	in.nlines = ORDER_INPUT_LINES_MAX + 1;
	one_error(&in, "line", "at most 4", NULL);

	base_input(&in);
	in.lines[0] = "ok";
	in.lines[1] = repeat(buf, sizeof(buf), "W", 39);
	in.nlines = 2;
	one_error(&in, "line", "at most 38 characters (line 2)", "WWWW");
	in.lines[1] = repeat(buf, sizeof(buf), "W", 38);
	valid(&in, &o);
	in.lines[1] = repeat(buf, sizeof(buf), "W", 3000);
	one_error(&in, "line", "at most 38 characters (line 2)", "WWWW");
	in.lines[1] = "Wombat\nstreet";
	one_error(&in, "line", "control characters (line 2)", "Wombat");
	in.lines[1] = "Wombat\xff";
	one_error(&in, "line", "UTF-8 text (line 2)", "Wombat");
	in.lines[1] = "\xe2\x80\x83";	/* em space only */
	one_error(&in, "line", "blank (line 2)", NULL);
	/* Two bad lines: one error for the field. */
	in.lines[0] = "\x01";
	one_error(&in, "line", "(line 1)", NULL);
}
END_TEST

START_TEST(poste_restante)
{
	struct order_input in;
	struct order o;

	base_input(&in);
	in.nlines = 0;
	in.poste_restante = true;
	valid(&in, &o);
	ck_assert(o.poste_restante);
	ck_assert_uint_eq(o.nlines, 1);
	ck_assert_str_eq(o.lines[0], ADDRESS_POSTE_RESTANTE);

	in.lines[0] = "a";
	in.lines[1] = "b";
	in.lines[2] = "c";
	in.nlines = 3;
	valid(&in, &o);
	ck_assert_uint_eq(o.nlines, 4);
	ck_assert_str_eq(o.lines[2], "c");
	ck_assert_str_eq(o.lines[3], ADDRESS_POSTE_RESTANTE);
	in.lines[3] = "d";
	in.nlines = 4;
	one_error(&in, "line", "at most 3 address lines with poste restante",
	    NULL);

	/* Typed as a line: the order becomes poste restante, line last. */
	base_input(&in);
	in.lines[0] = " Poste  restante ";
	in.lines[1] = "Bureau de la gare";
	in.nlines = 2;
	valid(&in, &o);
	ck_assert(o.poste_restante);
	ck_assert_uint_eq(o.nlines, 2);
	ck_assert_str_eq(o.lines[0], "Bureau de la gare");
	ck_assert_str_eq(o.lines[1], ADDRESS_POSTE_RESTANTE);
	/* Given twice (flag and line): still one line. */
	in.poste_restante = true;
	valid(&in, &o);
	ck_assert_uint_eq(o.nlines, 2);
}
END_TEST

START_TEST(postcode_commune)
{
	struct order_input in;
	struct order o;
	char buf[256];

	base_input(&in);
	in.postcode = NULL;
	one_error(&in, "postcode", "required", NULL);
	in.postcode = "7500";
	one_error(&in, "postcode", "5 digits", "7500");
	in.postcode = "123456789012345678901234567890";
	one_error(&in, "postcode", "5 digits", "12345");
	in.postcode = "00777";
	one_error(&in, "postcode", "00", "00777");
	in.postcode = "96777";
	one_error(&in, "postcode", "no French postal area", "96777");
	in.postcode = "20777";
	one_error(&in, "postcode", "Corsica", "20777");
	in.postcode = "97133";
	in.commune = "Saint-Barthélemy";
	valid(&in, &o);
	ck_assert_str_eq(o.dept, "977");
	in.postcode = "\t20100 ";
	in.commune = "Sartène";
	valid(&in, &o);
	ck_assert_str_eq(o.postcode, "20100");
	ck_assert_str_eq(o.dept, "2A");
	/*
	 * A postcode that contradicts its commune is refused at order time,
	 * next to the postcode, not at print time.
	 */
	in.postcode = "75001";
	in.commune = "Millau";
	one_error(&in, "postcode", "does not match the commune", "75001");
	in.postcode = "13001";
	in.commune = "Paris";
	one_error(&in, "postcode", "does not match", "13001");

	base_input(&in);
	in.commune = NULL;
	one_error(&in, "commune", "required", NULL);
	in.commune = "Zanzibar 12";
	one_error(&in, "commune", "digits", "Zanzibar");
	in.commune = "Zanzibar!";
	one_error(&in, "commune", "letters", "Zanzibar");
	in.commune = repeat(buf, sizeof(buf), "Z", 33);
	one_error(&in, "commune", "at most 32", "ZZZZ");
	in.commune = repeat(buf, sizeof(buf), "Z", 200);
	one_error(&in, "commune", "at most 32", "ZZZZ");
	in.commune = repeat(buf, sizeof(buf), "Z", 32);
	valid(&in, &o);
	in.commune = " Rodez Cedex 9 ";
	valid(&in, &o);
	ck_assert_str_eq(o.commune, "Rodez Cedex 9");
}
END_TEST

START_TEST(phone_and_consent)
{
	struct order_input in;
	struct order o;
	struct field_error errs[ORDER_ERRORS_MAX];

	base_input(&in);
	in.phone = "  ";
	valid(&in, &o);
	ck_assert_str_eq(o.phone, "");
	in.phone = "0690 12 34 56";
	valid(&in, &o);
	ck_assert_str_eq(o.phone, "+590690123456");
	in.phone = "+33 06 12 34 56 78";
	valid(&in, &o);
	ck_assert_str_eq(o.phone, "+33612345678");
	in.phone = "061234567";
	one_error(&in, "phone", "10 digits", "061234567");
	in.phone = "0698765432 extension";
	one_error(&in, "phone", "may only contain", "98765");
	in.phone = "06 98 76 54 32 06 98 76 54 32 06 98 76 54 32";
	one_error(&in, "phone", "at most 40", "98 76");

	base_input(&in);
	in.consent_sms = true;
	one_error(&in, "consent_sms", "phone", NULL);
	in.consent_sms = false;
	in.consent_call = true;
	one_error(&in, "consent_call", "phone", NULL);
	in.consent_sms = true;
	ck_assert_uint_eq(run(&in, &o, errs), 2);
	ck_assert_str_eq(errs[0].field, "consent_sms");
	ck_assert_str_eq(errs[1].field, "consent_call");
	/* A bad number: the number is at fault, not the consent. */
	in.phone = "12";
	one_error(&in, "phone", "must start", NULL);
	in.phone = "0612345678";
	valid(&in, &o);
	ck_assert(o.consent_sms && o.consent_call);
}
END_TEST

START_TEST(lang)
{
	struct order_input in;
	struct order o;
	struct field_error errs[ORDER_ERRORS_MAX];

	base_input(&in);
	in.lang = "xx";
	one_error(&in, "lang", "language", NULL);
	in.lang = "français";
	one_error(&in, "lang", "language", NULL);
	in.lang = "frfrfrfrfrfrfrfrfr";
	one_error(&in, "lang", "language", NULL);
	in.lang = "RU";
	valid(&in, &o);
	ck_assert_str_eq(o.lang, "ru");
	in.lang = "pt";
	valid(&in, &o);
	ck_assert_str_eq(o.lang, "pt");
	/* Absent: the default, itself checked. */
	in.lang = " ";
	ck_assert_uint_eq(order_from_input(&in, cat, "en", &o, errs,
	    ORDER_ERRORS_MAX), 0);
	ck_assert_str_eq(o.lang, "en");
	ck_assert_uint_eq(order_from_input(&in, cat, NULL, &o, errs,
	    ORDER_ERRORS_MAX), 0);
	ck_assert_str_eq(o.lang, "fr");
	ck_assert_uint_eq(order_from_input(&in, cat, "tlh", &o, errs,
	    ORDER_ERRORS_MAX), 1);
	ck_assert_str_eq(errs[0].field, "lang");
}
END_TEST

START_TEST(packs)
{
	struct order_input in;
	struct order o;
	size_t i;

	base_input(&in);
	in.npacks = 0;
	one_error(&in, "pack", "at least one", NULL);
	in.npacks = 1;
	in.packs[0].code = NULL;
	one_error(&in, "pack", "missing", NULL);
	in.packs[0].code = " ";
	one_error(&in, "pack", "missing", NULL);
	in.packs[0].code = "ZORGLUB";
	one_error(&in, "pack", "unknown pack code", "ZORGLUB");
	in.packs[0].code = "ZORGLUBXYZ123";
	one_error(&in, "pack", "unknown pack code", "ZORGLUB");
	in.packs[0].code = "INJ;";
	one_error(&in, "pack", "unknown pack code", NULL);
	in.packs[0].code = " nalox ";
	valid(&in, &o);
	ck_assert_str_eq(o.packs[0].pack, "NALOX");

	/* Quantities: 1 to 999, absent is 1. */
	in.packs[0].qty = "0";
	one_error(&in, "qty_NALOX", "1 to 999", NULL);
	in.packs[0].qty = "1000";
	one_error(&in, "qty_NALOX", "1 to 999", "1000");
	in.packs[0].qty = "-1";
	one_error(&in, "qty_NALOX", "1 to 999", NULL);
	in.packs[0].qty = "2.5";
	one_error(&in, "qty_NALOX", "1 to 999", NULL);
	in.packs[0].qty = "two";
	one_error(&in, "qty_NALOX", "1 to 999", "two");
	in.packs[0].qty = "99999999999999999999999999999999";
	one_error(&in, "qty_NALOX", "1 to 999", "9999");
	in.packs[0].qty = "+5";
	one_error(&in, "qty_NALOX", "1 to 999", NULL);
	in.packs[0].qty = "999";
	valid(&in, &o);
	ck_assert_int_eq(o.packs[0].qty, 999);
	in.packs[0].qty = "1";
	valid(&in, &o);
	ck_assert_int_eq(o.packs[0].qty, 1);
	in.packs[0].qty = "";
	valid(&in, &o);
	ck_assert_int_eq(o.packs[0].qty, 1);

	/* Variants. */
	in.packs[0].variant = "30G-8";
	one_error(&in, "variant_NALOX", "one kind", NULL);
	base_input(&in);
	in.packs[0].variant = "31G-9";
	one_error(&in, "variant_INJ", "choices", "31G-9");
	in.packs[0].variant = "30G-8 29G-12";
	one_error(&in, "variant_INJ", "choices", NULL);
	in.packs[0].variant = "30G-8-LONGER-THAN-SIXTEEN";
	one_error(&in, "variant_INJ", "choices", NULL);
	in.packs[0].variant = "30g-8";
	valid(&in, &o);
	ck_assert_str_eq(o.packs[0].variant, "30G-8");

	/* Listed twice, whatever the variant or the case. */
	base_input(&in);
	in.packs[1].code = "inj";
	in.packs[1].variant = "30G-8";
	in.npacks = 2;
	one_error(&in, "pack", "listed twice", NULL);

	/* Per-pack fields are separate: two qty errors at once. */
	base_input(&in);
	in.packs[0].qty = "0";
	in.packs[1].code = "SEX";
	in.packs[1].qty = "1000";
	in.packs[2].code = "NALOX";
	in.npacks = 3;
	{
		struct field_error errs[ORDER_ERRORS_MAX];

		ck_assert_uint_eq(run(&in, &o, errs), 2);
		ck_assert_str_eq(errs[0].field, "qty_INJ");
		ck_assert_str_eq(errs[1].field, "qty_SEX");
	}

	/* Too many rows. */
	base_input(&in);
	for (i = 0; i < ORDER_PACKS_MAX + 1; i++)
		in.packs[i].code = "SEX";
	in.npacks = ORDER_PACKS_MAX + 1;
	one_error(&in, "pack", "at most 16", NULL);
	/* Every known pack at once. */
	base_input(&in);
	for (i = 0; i < catalogue_npacks(cat) && i < ORDER_PACKS_MAX; i++)
		in.packs[i].code = catalogue_pack_at(cat, i)->code;
	in.npacks = i;
	valid(&in, &o);
	ck_assert_uint_eq(o.npacks, i);
}
END_TEST

START_TEST(for_others)
{
	struct order_input in;
	struct order o;

	base_input(&in);
	in.for_people = "0";
	one_error(&in, "for_others", "1 to 50", NULL);
	in.for_people = "51";
	one_error(&in, "for_others", "1 to 50", NULL);
	in.for_people = "many";
	one_error(&in, "for_others", "1 to 50", "many");
	in.for_people = "1e1";
	one_error(&in, "for_others", "1 to 50", NULL);
	in.for_people = "50";
	valid(&in, &o);
	ck_assert_int_eq(o.for_people, 50);
	in.for_people = " 1 ";
	valid(&in, &o);
	ck_assert_int_eq(o.for_people, 1);
	in.for_people = "";
	valid(&in, &o);
	ck_assert_int_eq(o.for_people, 1);
}
END_TEST

START_TEST(note)
{
	struct order_input in;
	struct order o;
	static char buf[8192];

	base_input(&in);
	in.note = repeat(buf, sizeof(buf), "n", ORDER_NOTE_MAX);
	valid(&in, &o);
	ck_assert_uint_eq(strlen(o.note), ORDER_NOTE_MAX);
	in.note = repeat(buf, sizeof(buf), "n", ORDER_NOTE_MAX + 1);
	one_error(&in, "note", "at most 500", "nnnn");
	in.note = repeat(buf, sizeof(buf), "\xf0\x9f\x92\x8a", ORDER_NOTE_MAX);
	valid(&in, &o);
	in.note = repeat(buf, sizeof(buf), "\xf0\x9f\x92\x8a",
	    ORDER_NOTE_MAX + 1);
	one_error(&in, "note", "at most 500", NULL);
	in.note = repeat(buf, sizeof(buf), "n", 5000);
	one_error(&in, "note", "at most 500", "nnnn");
	/* Line breaks count as characters; CR LF counts once. */
	in.note = repeat(buf, sizeof(buf), "\r\nx", ORDER_NOTE_MAX / 2);
	valid(&in, &o);
	ck_assert_uint_eq(strlen(o.note), ORDER_NOTE_MAX - 1);
	in.note = "Line one\nline two\rline three";
	valid(&in, &o);
	ck_assert_str_eq(o.note, "Line one\nline two\nline three");
	in.note = "Nebuchadnezzar\tcol";
	one_error(&in, "note", "control", "Nebuchadnezzar");
	in.note = "Nebuchadnezzar\x1b[2J";
	one_error(&in, "note", "control", "Nebuchadnezzar");
	in.note = "Nebuchadnezzar\x7f";
	one_error(&in, "note", "control", "Nebuchadnezzar");
	in.note = "Nebuchadnezzar\xc2\x85";
	one_error(&in, "note", "control", "Nebuchadnezzar");
	in.note = "Nebuchadnezzar\xc0\x80";
	one_error(&in, "note", "UTF-8", "Nebuchadnezzar");
	in.note = "Nebuchadnezzar\xe2\x82";
	one_error(&in, "note", "UTF-8", "Nebuchadnezzar");
	in.note = " \n \r\n ";
	valid(&in, &o);
	ck_assert_str_eq(o.note, "");
}
END_TEST

START_TEST(channel)
{
	struct order_input in;
	struct order o;

	base_input(&in);
	in.channel = ORDER_CHANNEL_SMS;
	valid(&in, &o);
	ck_assert_int_eq(o.channel, ORDER_CHANNEL_SMS);
	in.channel = (enum order_channel)7;
	one_error(&in, "channel", "channel", NULL);
	in.channel = (enum order_channel)-1;
	one_error(&in, "channel", "channel", NULL);
}
END_TEST

/* Every field wrong, each with a distinctive value. */
static void
all_wrong(struct order_input *in)
{
	memset(in, 0, sizeof(*in));
	in->pseudonym = "Quetzalcoatl-Quetzalcoatl-Quetzalcoatl!";
	in->lines[0] = "Xylophone\x02street";
	in->nlines = 1;
	in->postcode = "00917";
	in->commune = "Yggdrasil42";
	in->phone = "09876543210987654321";
	in->consent_sms = true;
	in->lang = "klingon";
	in->packs[0].code = "INJ";
	in->packs[0].qty = "31337";
	in->packs[1].code = "NALOX";
	in->packs[1].variant = "Vermillion";
	in->packs[2].code = "JABBERWOCK";
	in->npacks = 3;
	in->for_people = "4242";
	in->note = "Kumquat\x03";
	in->channel = ORDER_CHANNEL_WEB;
}

START_TEST(many_errors)
{
	static const char *const want[] = {
		"pseudonym", "line", "postcode", "commune", "phone", "lang",
		"qty_INJ", "variant_NALOX", "pack", "for_others", "note",
	};
	static const char *const values[] = {
		"Quetzalcoatl", "Xylophone", "00917", "Yggdrasil", "9876543",
		"klingon", "31337", "Vermillion", "JABBERWOCK", "4242",
		"Kumquat",
	};
	struct order_input in;
	struct order o;
	struct field_error errs[ORDER_ERRORS_MAX];
	size_t n, i, j;

	all_wrong(&in);
	n = run(&in, &o, errs);
	ck_assert_uint_eq(n, ARRAY_LEN(want));
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(errs[i].field, want[i]);
		ck_assert(errs[i].msg[0] != '\0');
		for (j = 0; j < ARRAY_LEN(values); j++)
			ck_assert_msg(strstr(errs[i].msg, values[j]) == NULL,
			    "%s: message carries a value", errs[i].field);
	}
	/* Nothing of the order is left behind. */
	ck_assert_str_eq(o.pseudonym, "");
	ck_assert_str_eq(o.commune, "");
	ck_assert_str_eq(o.phone, "");
	ck_assert_uint_eq(o.npacks, 0);

	/* Fewer slots: the first ones, in form order. */
	ck_assert_uint_eq(order_from_input(&in, cat, "fr", &o, errs, 3), 3);
	ck_assert_str_eq(errs[2].field, "postcode");
	/* No slot: just whether it is valid. */
	ck_assert_uint_gt(order_from_input(&in, cat, "fr", &o, NULL, 0), 0);
	base_input(&in);
	ck_assert_uint_eq(order_from_input(&in, cat, "fr", &o, NULL, 0), 0);
	/* No input, no catalogue. */
	ck_assert_uint_eq(order_from_input(NULL, cat, "fr", &o, errs, 4), 1);
	ck_assert_str_eq(errs[0].field, "order");
	n = order_from_input(&in, NULL, "fr", &o, errs, ORDER_ERRORS_MAX);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(errs[0].field, "lang");
	ck_assert_str_eq(errs[1].field, "pack");
}
END_TEST

/* The full order of the "full" test, as input. */
static void
full_input(struct order_input *in)
{
	base_input(in);
	in->pseudonym = "Zoé « Z »";
	in->lines[0] = "Chez Dominique";
	in->lines[1] = "Bât. B, 2e étage";
	in->lines[2] = "3 chemin du Moulin";
	in->nlines = 3;
	in->poste_restante = true;
	in->postcode = "97150";
	in->commune = "Marigot";
	in->phone = "0690 12 34 56";
	in->consent_call = true;
	in->lang = "ru";
	in->packs[0].code = "INJ";
	in->packs[0].qty = "10";
	in->packs[0].variant = "23G-25";
	in->packs[1].code = "NALOX";
	in->packs[1].qty = "2";
	in->packs[2].code = "SEX";
	in->npacks = 3;
	in->for_people = "4";
	in->note = "Quote \" backslash \\ slash / \u00e9\n\u4e2d\u6587 "
	    "\xf0\x9f\x92\x8a";
	in->channel = ORDER_CHANNEL_SMS;
}

static void
assert_same_pii(const struct order *a, const struct order *b)
{
	size_t i;

	ck_assert_str_eq(a->pseudonym, b->pseudonym);
	ck_assert_uint_eq(a->nlines, b->nlines);
	for (i = 0; i < a->nlines; i++)
		ck_assert_str_eq(a->lines[i], b->lines[i]);
	ck_assert_str_eq(a->postcode, b->postcode);
	ck_assert_str_eq(a->commune, b->commune);
	ck_assert_str_eq(a->phone, b->phone);
	ck_assert_str_eq(a->note, b->note);
}

static void
assert_same(const struct order *a, const struct order *b)
{
	size_t i;

	assert_same_pii(a, b);
	ck_assert_str_eq(a->dept, b->dept);
	ck_assert_str_eq(a->lang, b->lang);
	ck_assert(a->consent_call == b->consent_call);
	ck_assert(a->consent_sms == b->consent_sms);
	ck_assert(a->poste_restante == b->poste_restante);
	ck_assert_int_eq(a->for_people, b->for_people);
	ck_assert_int_eq(a->channel, b->channel);
	ck_assert_uint_eq(a->npacks, b->npacks);
	for (i = 0; i < a->npacks; i++) {
		ck_assert_str_eq(a->packs[i].pack, b->packs[i].pack);
		ck_assert_int_eq(a->packs[i].qty, b->packs[i].qty);
		ck_assert_str_eq(a->packs[i].variant, b->packs[i].variant);
	}
}

START_TEST(round_trip_all)
{
	struct order_input in;
	struct order o, back;
	struct field_error err = { "", "" };
	char *json = NULL;
	size_t len = 0;

	full_input(&in);
	valid(&in, &o);
	ck_assert_uint_eq(o.nlines, 4);
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_ALL, &json, &len), 0);
	ck_assert_ptr_nonnull(json);
	ck_assert_uint_eq(len, strlen(json));
	ck_assert_int_eq(order_decode(json, len, ORDER_ENCODE_ALL, cat, &back,
	    &err), 0);
	assert_same(&o, &back);
	ck_assert_str_eq(back.dept, "978");
	/* A PII reader does not take a whole order. */
	ck_assert_int_eq(order_decode(json, len, ORDER_ENCODE_PII, cat, &back,
	    &err), -1);
	str_wipe_free(json);

	/* The minimal order, too. */
	base_input(&in);
	valid(&in, &o);
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_ALL, &json, NULL), 0);
	ck_assert_int_eq(order_decode(json, strlen(json), ORDER_ENCODE_ALL,
	    cat, &back, &err), 0);
	assert_same(&o, &back);
	str_wipe_free(json);
}
END_TEST

START_TEST(round_trip_pii)
{
	struct order_input in;
	struct order o, back;
	struct field_error err = { "", "" };
	char *json = NULL;
	size_t len = 0;

	full_input(&in);
	valid(&in, &o);
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_PII, &json, &len), 0);
	/* Only personal fields: no packs, language or counts in the blob. */
	ck_assert_ptr_null(strstr(json, "NALOX"));
	ck_assert_ptr_null(strstr(json, "\"lang\""));
	ck_assert_ptr_null(strstr(json, "for_people"));

	memset(&back, 0, sizeof(back));
	back.for_people = 17;
	back.npacks = 1;
	ck_assert_int_eq(str_copy(back.lang, sizeof(back.lang), "pt"), 0);
	ck_assert_int_eq(str_copy(back.lines[3], sizeof(back.lines[3]),
	    "stale"), 0);
	ck_assert_int_eq(order_decode(json, len, ORDER_ENCODE_PII, cat, &back,
	    &err), 0);
	assert_same_pii(&o, &back);
	/* The rest is left as it was. */
	ck_assert_int_eq(back.for_people, 17);
	ck_assert_uint_eq(back.npacks, 1);
	ck_assert_str_eq(back.lang, "pt");
	/* A whole-order reader does not take a PII blob. */
	ck_assert_int_eq(order_decode(json, len, ORDER_ENCODE_ALL, cat, &back,
	    &err), -1);
	str_wipe_free(json);

	/* No phone, one line. */
	base_input(&in);
	valid(&in, &o);
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_PII, &json, &len), 0);
	ck_assert_int_eq(order_decode(json, len, ORDER_ENCODE_PII, NULL,
	    &back, &err), 0);
	assert_same_pii(&o, &back);
	ck_assert_str_eq(back.lines[1], "");	/* stale line wiped */
	str_wipe_free(json);
}
END_TEST

START_TEST(encode_refuses)
{
	struct order_input in;
	struct order o;
	char *json = (char *)"x";

	base_input(&in);
	valid(&in, &o);
	o.nlines = ADDRESS_LINES_MAX + 1;
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_PII, &json, NULL), -1);
	ck_assert_ptr_null(json);
	valid(&in, &o);
	o.npacks = ORDER_PACKS_MAX + 1;
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_ALL, &json, NULL), -1);
	valid(&in, &o);
	o.pseudonym[0] = (char)0xff;	/* not UTF-8 */
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_PII, &json, NULL), -1);
	valid(&in, &o);
	o.channel = (enum order_channel)9;
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_ALL, &json, NULL), -1);
	ck_assert_int_eq(order_encode(&o, (enum order_encode_what)5, &json,
	    NULL), -1);
}
END_TEST

/* A valid ALL blob with @from replaced by @to (once). */
static char *
mutate(const char *from, const char *to)
{
	struct order_input in;
	struct order o;
	char *json = NULL, *out, *at;
	size_t len;

	full_input(&in);
	valid(&in, &o);
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_ALL, &json, &len), 0);
	at = strstr(json, from);
	ck_assert_msg(at != NULL, "%s not in %s", from, json);
	out = malloc(len + strlen(to) + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, json, (size_t)(at - json));
	memcpy(out + (at - json), to, strlen(to));
	memcpy(out + (at - json) + strlen(to), at + strlen(from),
	    strlen(at + strlen(from)) + 1);
	str_wipe_free(json);
	return out;
}

/* Decoding @json fails on @field and the message does not echo @value. */
static void
decode_bad(const char *json, enum order_encode_what what, const char *field,
    const char *value)
{
	struct order o;
	struct field_error err = { "", "" };

	memset(&o, 0, sizeof(o));
	o.for_people = 33;
	ck_assert_msg(order_decode(json, strlen(json), what, cat, &o,
	    &err) == -1, "accepted: %s", json);
	if (field != NULL)
		ck_assert_msg(strcmp(err.field, field) == 0,
		    "want %s, got %s: %s (%s)", field, err.field, err.msg, json);
	ck_assert(err.msg[0] != '\0');
	if (value != NULL)
		ck_assert_ptr_null(strstr(err.msg, value));
	/* @o untouched on failure. */
	ck_assert_int_eq(o.for_people, 33);
	ck_assert_str_eq(o.pseudonym, "");
}

static void
mutate_bad(const char *from, const char *to, const char *field,
    const char *value)
{
	char *json = mutate(from, to);

	decode_bad(json, ORDER_ENCODE_ALL, field, value);
	free(json);
}

START_TEST(decode_malformed)
{
	struct order o;
	struct field_error err;
	static char big[ORDER_ENCODED_MAX + 64];

	decode_bad("", ORDER_ENCODE_ALL, "order", NULL);
	decode_bad("not json", ORDER_ENCODE_ALL, "order", NULL);
	decode_bad("{\"v\":1,\"what\":\"all\",\"pseudonym\":\"Zebulon",
	    ORDER_ENCODE_ALL, "order", "Zebulon");
	decode_bad("[]", ORDER_ENCODE_ALL, "order", NULL);
	decode_bad("null", ORDER_ENCODE_PII, "order", NULL);
	decode_bad("\"string\"", ORDER_ENCODE_PII, "order", NULL);
	decode_bad("{}", ORDER_ENCODE_ALL, "order", NULL);
	decode_bad("{}", ORDER_ENCODE_PII, "order", NULL);
	decode_bad("{\"v\":1,\"what\":\"pii\"}", ORDER_ENCODE_PII,
	    "pseudonym", NULL);
	decode_bad("{\"v\":1,\"what\":\"all\"}", ORDER_ENCODE_ALL,
	    "pseudonym", NULL);
	decode_bad("{\"v\":1,\"what\":\"pii\",\"v\":1}", ORDER_ENCODE_PII,
	    "order", NULL);
	decode_bad("{\"v\":1,\"what\":\"pii\",\"extra\":1}", ORDER_ENCODE_PII,
	    "order", "extra");
	decode_bad("{\"v\":2,\"what\":\"pii\"}", ORDER_ENCODE_PII, "order",
	    NULL);
	decode_bad("{\"v\":\"1\",\"what\":\"pii\"}", ORDER_ENCODE_PII, "order",
	    NULL);
	decode_bad("{\"v\":1,\"what\":\"ALL\"}", ORDER_ENCODE_ALL, "order",
	    NULL);
	decode_bad("{\"v\":1,\"what\":\"pii\",\"pseudonym\":\"\xff\"}",
	    ORDER_ENCODE_PII, "order", NULL);
	/* Nesting does not crash the parser. */
	memset(big, '[', 10000);
	big[10000] = '\0';
	decode_bad(big, ORDER_ENCODE_ALL, "order", NULL);

	/* Length limits and NULL. */
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(order_decode(NULL, 5, ORDER_ENCODE_ALL, cat, &o,
	    &err), -1);
	ck_assert_int_eq(order_decode("{}", 0, ORDER_ENCODE_ALL, cat, &o,
	    &err), -1);
	ck_assert_int_eq(order_decode("{}", 2, (enum order_encode_what)7, cat,
	    &o, &err), -1);
	memset(big, ' ', sizeof(big));
	big[ORDER_ENCODED_MAX + 1] = '\0';
	ck_assert_int_eq(order_decode(big, ORDER_ENCODED_MAX + 1,
	    ORDER_ENCODE_ALL, cat, &o, &err), -1);
	ck_assert_str_eq(err.field, "order");
	ck_assert_int_eq(order_decode(big, strlen(big), ORDER_ENCODE_ALL, cat,
	    &o, NULL), -1);
	/* len shorter than the text: only len bytes are read. */
	{
		char *json = mutate("\"v\":1", "\"v\":1");

		ck_assert_int_eq(order_decode(json, strlen(json) - 1,
		    ORDER_ENCODE_ALL, cat, &o, &err), -1);
		ck_assert_int_eq(order_decode(json, strlen(json),
		    ORDER_ENCODE_ALL, cat, &o, &err), 0);
		free(json);
	}
}
END_TEST

START_TEST(decode_wrong_fields)
{
	char longline[512];

	/* Wrong types. */
	mutate_bad("\"pseudonym\":\"Zoé « Z »\"", "\"pseudonym\":7",
	    "pseudonym", NULL);
	mutate_bad("\"pseudonym\":\"Zoé « Z »\"", "\"pseudonym\":null",
	    "pseudonym", NULL);
	mutate_bad("\"lines\":[", "\"lines\":{\"a\":1},\"x\":[", "order",
	    NULL);
	mutate_bad("\"lines\":[\"Chez Dominique\"",
	    "\"lines\":[42", "line", NULL);
	mutate_bad("\"postcode\":\"97150\"", "\"postcode\":97150", "postcode",
	    NULL);
	mutate_bad("\"consent_call\":true", "\"consent_call\":\"true\"",
	    "consent_call", NULL);
	mutate_bad("\"consent_sms\":false", "\"consent_sms\":0",
	    "consent_sms", NULL);
	mutate_bad("\"poste_restante\":true", "\"poste_restante\":null",
	    "poste_restante", NULL);
	mutate_bad("\"for_people\":4", "\"for_people\":4.0", "for_others",
	    NULL);
	mutate_bad("\"for_people\":4", "\"for_people\":\"4\"", "for_others",
	    NULL);
	mutate_bad("\"channel\":\"sms\"", "\"channel\":2", "channel", NULL);
	mutate_bad("\"channel\":\"sms\"", "\"channel\":\"fax\"", "channel",
	    NULL);
	mutate_bad("\"lang\":\"ru\"", "\"lang\":\"\"", "lang", NULL);
	mutate_bad("\"lang\":\"ru\"", "\"lang\":\"qq\"", "lang", NULL);
	mutate_bad("\"packs\":[", "\"packs\":7,\"x\":[", "order", NULL);
	mutate_bad("\"qty\":10", "\"qty\":\"10\"", "pack", NULL);
	mutate_bad("\"qty\":10", "\"qty\":1e3", "pack", NULL);
	mutate_bad("\"qty\":10", "\"qty\":null", "pack", NULL);
	mutate_bad("\"code\":\"INJ\"", "\"code\":[]", "pack", NULL);
	mutate_bad("\"code\":\"INJ\",", "", "pack", NULL);
	mutate_bad("\"code\":\"INJ\"", "\"code\":\"INJ\",\"extra\":1", "pack",
	    NULL);
	mutate_bad("\"variant\":\"23G-25\"", "\"variant\":false", "pack",
	    NULL);
	/* Missing fields. */
	mutate_bad("\"note\":", "\"nope\":", "order", NULL);
	mutate_bad(",\"for_people\":4", "", "for_others", NULL);
	mutate_bad(",\"consent_call\":true", "", "consent_call", NULL);
	mutate_bad("\"commune\":\"Marigot\",", "", "commune", NULL);
	mutate_bad("\"channel\":\"sms\",", "", "channel", NULL);
	/* Values the rules refuse, as from a form. */
	mutate_bad("\"qty\":10", "\"qty\":0", "qty_INJ", NULL);
	mutate_bad("\"qty\":10", "\"qty\":1000", "qty_INJ", NULL);
	mutate_bad("\"qty\":10", "\"qty\":-10", "qty_INJ", NULL);
	mutate_bad("\"qty\":10", "\"qty\":99999999999999999999", "order",
	    NULL);
	mutate_bad("\"qty\":10", "\"qty\":9223372036854775807", "qty_INJ",
	    NULL);
	mutate_bad("\"for_people\":4", "\"for_people\":51", "for_others", NULL);
	mutate_bad("\"code\":\"INJ\"", "\"code\":\"GLORP\"", "pack", "GLORP");
	mutate_bad("\"variant\":\"23G-25\"", "\"variant\":\"BLURP\"",
	    "variant_INJ", "BLURP");
	mutate_bad("\"variant\":\"\"", "\"variant\":\"30G-8\"",
	    "variant_NALOX", NULL);
	mutate_bad("\"postcode\":\"97150\"", "\"postcode\":\"96150\"",
	    "postcode", "96150");
	mutate_bad("\"commune\":\"Marigot\"", "\"commune\":\"Marigot 9\"",
	    "commune", "Marigot");
	mutate_bad("\"pseudonym\":\"Zoé « Z »\"", "\"pseudonym\":\"\"",
	    "pseudonym", NULL);
	mutate_bad("\"pseudonym\":\"Zoé « Z »\"", "\"pseudonym\":\"Zo\\u0000e\"",
	    "order", NULL);
	mutate_bad("\"pseudonym\":\"Zoé « Z »\"", "\"pseudonym\":\"Zo\\u0007e\"",
	    "pseudonym", NULL);
	mutate_bad("\"phone\":\"+590690123456\"", "\"phone\":\"letters\"",
	    "phone", "letters");
	mutate_bad("\"packs\":[", "\"packs\":[{},", "pack", NULL);
	mutate_bad("\"packs\":[{", "\"packs\":[{\"code\":\"SEX\",\"qty\":1,"
	    "\"variant\":\"\"},{\"code\":\"SEX\",\"qty\":1,\"variant\":\"\"},"
	    "{\"code\":\"SEX\",\"qty\":1,\"variant\":\"\"},{\"code\":\"SEX\","
	    "\"qty\":1,\"variant\":\"\"},{\"code\":\"SEX\",\"qty\":1,"
	    "\"variant\":\"\"},{\"code\":\"SEX\",\"qty\":1,\"variant\":\"\"},"
	    "{\"code\":\"SEX\",\"qty\":1,\"variant\":\"\"},{\"code\":\"SEX\","
	    "\"qty\":1,\"variant\":\"\"},{\"code\":\"SEX\",\"qty\":1,"
	    "\"variant\":\"\"},{\"code\":\"SEX\",\"qty\":1,\"variant\":\"\"},"
	    "{\"code\":\"SEX\",\"qty\":1,\"variant\":\"\"},{\"code\":\"SEX\","
	    "\"qty\":1,\"variant\":\"\"},{\"code\":\"SEX\",\"qty\":1,"
	    "\"variant\":\"\"},{\"code\":\"SEX\",\"qty\":1,\"variant\":\"\"},"
	    "{", "pack", NULL);
	mutate_bad("\"packs\":[", "\"packs\":[{\"code\":\"NALOX\",\"qty\":1,"
	    "\"variant\":\"\"},", "pack", NULL);
	/* Too long strings are refused before any rule runs. */
	memset(longline, 'L', sizeof(longline));
	memcpy(longline, "\"lines\":[\"", 10);
	memcpy(longline + 400, "\",", 3);
	mutate_bad("\"lines\":[", longline, "line", NULL);
	mutate_bad("\"lines\":[", "\"lines\":[\"a\",\"b\",\"c\",\"d\",\"e\","
	    "\"f\",", "line", NULL);
}
END_TEST

START_TEST(decode_pii_rules)
{
	struct order_input in;
	struct order o;
	char *json = NULL, *bad;
	size_t len;

	full_input(&in);
	valid(&in, &o);
	ck_assert_int_eq(order_encode(&o, ORDER_ENCODE_PII, &json, &len), 0);
	decode_bad(json, ORDER_ENCODE_ALL, "order", NULL);
	/* Phone must be stored in E.164 already. */
	bad = strstr(json, "+590690123456");
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, "0590690123456", 13);
	decode_bad(json, ORDER_ENCODE_PII, "phone", NULL);
	memcpy(bad, "+590690123456", 13);
	bad = strstr(json, "\"97150\"");
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, "\"00150\"", 7);
	decode_bad(json, ORDER_ENCODE_PII, "postcode", NULL);
	memcpy(bad, "\"97150\"", 7);
	bad = strstr(json, "\"lines\":[");
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, "\"lines\":7,", 10);
	decode_bad(json, ORDER_ENCODE_PII, NULL, NULL);
	str_wipe_free(json);
	decode_bad("{\"v\":1,\"what\":\"pii\",\"pseudonym\":\"a\",\"lines\":[],"
	    "\"postcode\":\"75001\",\"commune\":\"Paris\",\"phone\":\"\","
	    "\"note\":\"\"}", ORDER_ENCODE_PII, "line", NULL);
	decode_bad("{\"v\":1,\"what\":\"pii\",\"pseudonym\":\"a\",\"lines\":"
	    "[\"a\",\"b\",\"c\",\"d\",\"e\"],\"postcode\":\"75001\",\"commune\":"
	    "\"Paris\",\"phone\":\"\",\"note\":\"\"}", ORDER_ENCODE_PII, "line",
	    NULL);
	decode_bad("{\"v\":1,\"what\":\"pii\",\"pseudonym\":\"a\",\"lines\":"
	    "[\"a\"],\"postcode\":\"75001\",\"commune\":\"Paris\",\"phone\":"
	    "\"\",\"note\":\"a\\tb\"}", ORDER_ENCODE_PII, "note", NULL);
	{
		struct order ok;
		struct field_error err;
		const char *good = "{\"v\":1,\"what\":\"pii\",\"pseudonym\":\"a\","
		    "\"lines\":[\"a\"],\"postcode\":\"75001\",\"commune\":"
		    "\"Paris\",\"phone\":\"\",\"note\":\"\"}";

		ck_assert_int_eq(order_decode(good, strlen(good),
		    ORDER_ENCODE_PII, NULL, &ok, &err), 0);
		ck_assert_str_eq(ok.commune, "Paris");
	}
}
END_TEST

START_TEST(jansson_allocator)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;
	json_t *j;
	char *s;

	/* The wiping allocator is in place... */
	json_get_alloc_funcs(&m, &f);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(f);
	ck_assert(f != free);
	/* ...and what jansson returns may still be released with free(). */
	j = json_string("x");
	ck_assert_ptr_nonnull(j);
	s = json_dumps(j, JSON_ENCODE_ANY);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "\"x\"");
	free(s);
	json_decref(j);
}
END_TEST

START_TEST(names)
{
	enum order_status st;
	enum order_channel ch;
	static const char *const statuses[] = {
		"received", "accepted", "packed", "shipped", "delivered",
		"returned", "cancelled",
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(statuses); i++) {
		ck_assert_str_eq(order_status_name((enum order_status)i),
		    statuses[i]);
		ck_assert_int_eq(order_status_parse(statuses[i], &st), 0);
		ck_assert_int_eq(st, (int)i);
	}
	ck_assert_int_eq(ORDER_STATUS_COUNT, ARRAY_LEN(statuses));
	ck_assert_int_eq(order_status_parse("SHIPPED", &st), 0);
	ck_assert_int_eq(st, ORDER_SHIPPED);
	ck_assert_int_eq(order_status_parse("ship", &st), -1);
	ck_assert_int_eq(order_status_parse("", &st), -1);
	ck_assert_int_eq(order_status_parse(NULL, &st), -1);
	ck_assert_str_eq(order_status_name((enum order_status)99), "unknown");

	ck_assert_str_eq(order_channel_name(ORDER_CHANNEL_PHONE), "phone");
	ck_assert_str_eq(order_channel_name(ORDER_CHANNEL_WEB), "web");
	ck_assert_str_eq(order_channel_name(ORDER_CHANNEL_SMS), "sms");
	ck_assert_str_eq(order_channel_name((enum order_channel)3), "unknown");
	ck_assert_int_eq(order_channel_parse("phone", &ch), 0);
	ck_assert_int_eq(ch, ORDER_CHANNEL_PHONE);
	ck_assert_int_eq(order_channel_parse("web", &ch), 0);
	ck_assert_int_eq(ch, ORDER_CHANNEL_WEB);
	ck_assert_int_eq(order_channel_parse("Sms", &ch), 0);
	ck_assert_int_eq(ch, ORDER_CHANNEL_SMS);
	ck_assert_int_eq(order_channel_parse("email", &ch), -1);
	ck_assert_int_eq(order_channel_parse(NULL, &ch), -1);
}
END_TEST

START_TEST(clear)
{
	struct order_input in;
	struct order o;

	base_input(&in);
	valid(&in, &o);
	order_clear(&o);
	ck_assert_str_eq(o.pseudonym, "");
	ck_assert_str_eq(o.lines[0], "");
	ck_assert_uint_eq(o.npacks, 0);
	ck_assert_int_eq(order_total_packs(&o), 0);
	order_clear(NULL);
}
END_TEST

static Suite *
order_suite(void)
{
	Suite *s = suite_create("order");
	TCase *tc = tcase_create("input");
	TCase *tj = tcase_create("json");

	tcase_add_unchecked_fixture(tc, cat_setup, cat_teardown);
	tcase_add_test(tc, minimal);
	tcase_add_test(tc, full);
	tcase_add_test(tc, pseudonym);
	tcase_add_test(tc, lines);
	tcase_add_test(tc, poste_restante);
	tcase_add_test(tc, postcode_commune);
	tcase_add_test(tc, phone_and_consent);
	tcase_add_test(tc, lang);
	tcase_add_test(tc, packs);
	tcase_add_test(tc, for_others);
	tcase_add_test(tc, note);
	tcase_add_test(tc, channel);
	tcase_add_test(tc, many_errors);
	tcase_add_test(tc, names);
	tcase_add_test(tc, clear);
	suite_add_tcase(s, tc);

	tcase_add_unchecked_fixture(tj, cat_setup, cat_teardown);
	tcase_add_test(tj, round_trip_all);
	tcase_add_test(tj, round_trip_pii);
	tcase_add_test(tj, encode_refuses);
	tcase_add_test(tj, decode_malformed);
	tcase_add_test(tj, decode_wrong_fields);
	tcase_add_test(tj, decode_pii_rules);
	tcase_add_test(tj, jansson_allocator);
	suite_add_tcase(s, tj);
	return s;
}

CHECK_MAIN(order_suite)
