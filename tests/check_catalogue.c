/*
 * Check suite for shipping/catalogue.c: the real templates load and hold
 * the seven standard packs in five languages; lookups, name fallbacks and
 * variants behave; every refusal names the file, the line and the section
 * or key at fault; every limit is accepted at the limit and refused one
 * past it.  Small catalogues are written in the test itself, next to an
 * i18n/ directory made in a scratch directory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shipping/catalogue.h"
#include "tests/testutil.h"

#define NAME "t/packs.ini"

static char tmpdir[4096];
static char errbuf[512];

/* A minimal valid catalogue: item on lines 1-3, pack on lines 4-8. */
#define ITEM_A "[item A1]\nname.fr = Objet\nunit = piece\n"
#define PACK_P "[pack PK]\nname.fr = Paquet\nversion = 1\nweight = 10\n" \
	"item = A1 1\n"

/* Text built by the limit tests. */
static char big[256 * 1024];
static size_t biglen;

static void __attribute__((format(printf, 1, 2)))
add(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(big + biglen, sizeof(big) - biglen, fmt, ap);
	va_end(ap);
	ck_assert(n >= 0 && (size_t)n < sizeof(big) - biglen);
	biglen += (size_t)n;
}

static void
write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char path[4200];
	FILE *f;

	ck_assert(snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    (int)sizeof(path));
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void
add_lang(const char *lang)
{
	char name[32];

	ck_assert(snprintf(name, sizeof(name), "i18n/%s.ini", lang) <
	    (int)sizeof(name));
	write_file(tmpdir, name, "[messages]\nlang.name = x\n", 25);
}

static void
setup(void)
{
	const char *d = testutil_mkdtemp();
	char path[4200];

	ck_assert_ptr_nonnull(d);
	ck_assert(snprintf(tmpdir, sizeof(tmpdir), "%s", d) <
	    (int)sizeof(tmpdir));
	ck_assert(snprintf(path, sizeof(path), "%s/i18n", tmpdir) <
	    (int)sizeof(path));
	ck_assert_int_eq(mkdir(path, 0755), 0);
	add_lang("fr");
	add_lang("en");
	biglen = 0;
	big[0] = '\0';
}

static void
teardown(void)
{
	testutil_rmtree(tmpdir);
}

static struct catalogue *
parse(const char *text)
{
	errbuf[0] = '\0';
	return catalogue_parse_string(tmpdir, NAME, text, errbuf,
	    sizeof(errbuf));
}

static void
good(const char *text)
{
	struct catalogue *cat = parse(text);

	ck_assert_msg(cat != NULL, "refused: %s", errbuf);
	catalogue_free(cat);
}

/*
 * Assert that @text is refused with "t/packs.ini:@line: " and a message
 * holding @what (the section or key at fault) and @why.
 */
static void
bad(const char *text, int line, const char *what, const char *why)
{
	struct catalogue *cat = parse(text);
	char want[64];

	ck_assert_msg(cat == NULL, "accepted: %s", text);
	ck_assert(snprintf(want, sizeof(want), "%s:%d: ", NAME, line) > 0);
	ck_assert_msg(strncmp(errbuf, want, strlen(want)) == 0,
	    "want '%s...', got '%s'", want, errbuf);
	ck_assert_msg(strstr(errbuf, what) != NULL, "want '%s' in '%s'",
	    what, errbuf);
	ck_assert_msg(strstr(errbuf, why) != NULL, "want '%s' in '%s'", why,
	    errbuf);
}

/* The real templates ------------------------------------------------------- */

static struct catalogue *
load_real(void)
{
	const char *top = getenv("HRPOST_SRCDIR");
	char dir[4096];
	struct catalogue *cat;

	ck_assert(snprintf(dir, sizeof(dir), "%s/templates",
	    top != NULL ? top : ".") < (int)sizeof(dir));
	cat = catalogue_load(dir, errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "templates refused: %s", errbuf);
	ck_assert_str_eq(catalogue_dir(cat), dir);
	return cat;
}

START_TEST(real_templates_packs)
{
	static const char *const codes[] = { "INJ", "NALOX", "INHAL",
	    "SNIFF", "SEX", "SHARPS", "INFO" };
	struct catalogue *cat = load_real();

	ck_assert_uint_eq(catalogue_npacks(cat), ARRAY_LEN(codes));
	for (size_t i = 0; i < ARRAY_LEN(codes); i++) {
		const struct catalogue_pack *pk = catalogue_pack_at(cat, i);

		ck_assert_str_eq(pk->code, codes[i]);
		ck_assert_int_eq(pk->version, 1);
		ck_assert_int_gt(pk->weight, 0);
		ck_assert_uint_gt(pk->nitems, 0);
		for (size_t k = 0; k < pk->nitems; k++) {
			ck_assert_ptr_nonnull(catalogue_item(cat,
			    pk->items[k].item));
			ck_assert_int_ge(pk->items[k].qty, 1);
		}
	}
	ck_assert_ptr_null(catalogue_pack_at(cat, ARRAY_LEN(codes)));
	catalogue_free(cat);
}
END_TEST

START_TEST(real_templates_langs)
{
	static const char *const langs[] = { "en", "es", "fr", "pt", "ru" };
	struct catalogue *cat = load_real();

	ck_assert_uint_eq(catalogue_nlangs(cat), ARRAY_LEN(langs));
	for (size_t i = 0; i < ARRAY_LEN(langs); i++) {
		ck_assert_str_eq(catalogue_lang_at(cat, i), langs[i]);
		ck_assert(catalogue_has_lang(cat, langs[i]));
	}
	ck_assert_ptr_null(catalogue_lang_at(cat, ARRAY_LEN(langs)));
	ck_assert(!catalogue_has_lang(cat, "de"));
	ck_assert(!catalogue_has_lang(cat, NULL));

	/* Every pack and item is named in every language, none falls back. */
	for (size_t l = 0; l < ARRAY_LEN(langs); l++) {
		for (size_t i = 0; i < catalogue_npacks(cat); i++) {
			const char *code = catalogue_pack_at(cat, i)->code;
			const char *name = catalogue_pack_name(cat, code,
			    langs[l]);

			ck_assert_str_ne(name, code);
			if (strcmp(langs[l], "fr") != 0)
				ck_assert_str_ne(name,
				    catalogue_pack_name(cat, code, "fr"));
		}
		for (size_t i = 0; i < catalogue_nitems(cat); i++) {
			const char *code = catalogue_item_at(cat, i)->code;

			ck_assert_str_ne(catalogue_item_name(cat, code,
			    langs[l]), code);
		}
	}
	ck_assert_str_eq(catalogue_pack_name(cat, "INJ", "ru"),
	    "Набор для инъекций");
	ck_assert_str_eq(catalogue_pack_name(cat, "NALOX", "es"),
	    "Naloxona en espray nasal");
	catalogue_free(cat);
}
END_TEST

START_TEST(real_templates_content)
{
	struct catalogue *cat = load_real();
	const struct catalogue_pack *inj = catalogue_pack(cat, "inj");
	const struct catalogue_pack *nalox = catalogue_pack(cat, "NALOX");
	const struct catalogue_item *spray = catalogue_item(cat, "NALOX");
	int syringes;

	/* Needle choice, and exactly one syringe line per variant. */
	ck_assert_ptr_nonnull(inj);
	ck_assert_uint_ge(inj->nvariants, 4);
	ck_assert(catalogue_pack_has_variant(inj, "30G-8"));
	ck_assert(catalogue_pack_has_variant(inj, "29g-12"));
	ck_assert(catalogue_pack_has_variant(inj, "27G-12"));
	ck_assert(catalogue_pack_has_variant(inj, "25G-16"));
	ck_assert(!catalogue_pack_has_variant(inj, "31G-6"));
	ck_assert_ptr_nonnull(inj->default_variant);
	ck_assert(catalogue_pack_has_variant(inj, inj->default_variant));
	for (size_t v = 0; v < inj->nvariants; v++) {
		syringes = 0;
		for (size_t k = 0; k < inj->nitems; k++)
			if (strncmp(inj->items[k].item, "SYR", 3) == 0 &&
			    catalogue_pack_item_in(&inj->items[k],
			    inj->variants[v]))
				syringes += inj->items[k].qty;
		ck_assert_int_gt(syringes, 0);
	}

	/* Naloxone: two sprays, their leaflet, lots with an expiry date. */
	ck_assert_ptr_nonnull(nalox);
	ck_assert_ptr_null(nalox->default_variant);
	ck_assert_uint_eq(nalox->nvariants, 0);
	ck_assert_str_eq(nalox->items[0].item, "NALOX");
	ck_assert_int_eq(nalox->items[0].qty, 2);
	ck_assert_ptr_nonnull(spray);
	ck_assert(spray->expiry);
	ck_assert_str_eq(spray->unit, "piece");
	ck_assert(!catalogue_item(cat, "COND")->expiry);
	catalogue_free(cat);
}
END_TEST

/* Lookups ------------------------------------------------------------------ */

START_TEST(lookups_and_fallbacks)
{
	struct catalogue *cat = parse("[item A1]\nname.fr = Objet\n"
	    "name.en = Thing\nunit = box\nexpiry = yes\nlow = 7\n"
	    "[pack PK]\nname.fr = Paquet\nversion = 3\nweight = 250\n"
	    "variant = big small\nitem = A1 4\nitem = A1-B 2 small\n"
	    "[item A1-B]\nname.fr = Autre\nunit = piece\n");
	const struct catalogue_pack *pk;
	const struct catalogue_item *it;

	ck_assert_msg(cat != NULL, "%s", errbuf);
	pk = catalogue_pack(cat, "pk");
	ck_assert_ptr_nonnull(pk);
	ck_assert_ptr_eq(pk, catalogue_pack(cat, "PK"));
	ck_assert_ptr_null(catalogue_pack(cat, "PK2"));
	ck_assert_ptr_null(catalogue_pack(cat, NULL));
	ck_assert_ptr_null(catalogue_pack(cat, "A1"));
	ck_assert_int_eq(pk->version, 3);
	ck_assert_int_eq(pk->weight, 250);
	ck_assert_uint_eq(pk->nvariants, 2);
	ck_assert_str_eq(pk->variants[0], "big");
	ck_assert_str_eq(pk->default_variant, "big");	/* the first one */
	ck_assert_uint_eq(pk->nitems, 2);
	ck_assert_ptr_null(pk->items[0].variant);
	ck_assert_str_eq(pk->items[1].variant, "small");
	ck_assert(catalogue_pack_item_in(&pk->items[0], "big"));
	ck_assert(catalogue_pack_item_in(&pk->items[0], NULL));
	ck_assert(catalogue_pack_item_in(&pk->items[1], "SMALL"));
	ck_assert(!catalogue_pack_item_in(&pk->items[1], "big"));
	ck_assert(!catalogue_pack_item_in(&pk->items[1], NULL));
	ck_assert(!catalogue_pack_has_variant(pk, NULL));

	it = catalogue_item(cat, "a1");
	ck_assert_ptr_nonnull(it);
	ck_assert_str_eq(it->code, "A1");
	ck_assert_str_eq(it->unit, "box");
	ck_assert(it->expiry);
	ck_assert_int_eq(it->low, 7);
	ck_assert_uint_eq(catalogue_nitems(cat), 2);
	ck_assert_str_eq(catalogue_item_at(cat, 1)->code, "A1-B");
	ck_assert_ptr_null(catalogue_item_at(cat, 2));
	ck_assert(!catalogue_item(cat, "A1-B")->expiry);
	ck_assert_int_eq(catalogue_item(cat, "A1-B")->low, 0);

	/* lang -> fr -> code */
	ck_assert_str_eq(catalogue_item_name(cat, "A1", "en"), "Thing");
	ck_assert_str_eq(catalogue_item_name(cat, "A1", "EN"), "Thing");
	ck_assert_str_eq(catalogue_item_name(cat, "A1-B", "en"), "Autre");
	ck_assert_str_eq(catalogue_item_name(cat, "A1", "ru"), "Objet");
	ck_assert_str_eq(catalogue_item_name(cat, "A1", NULL), "Objet");
	ck_assert_str_eq(catalogue_item_name(cat, "ZZ", "en"), "ZZ");
	ck_assert_str_eq(catalogue_pack_name(cat, "PK", "en"), "Paquet");
	ck_assert_str_eq(catalogue_pack_name(cat, "NOPE", "fr"), "NOPE");
	catalogue_free(cat);
	catalogue_free(NULL);
}
END_TEST

START_TEST(format_freedoms)
{
	/* Comments, blank lines, CRLF, a BOM, ':' and items before packs. */
	good("\xef\xbb\xbf; comment\r\n# comment\r\n\r\n[pack PK] ; here\r\n"
	    "name.fr: Paquet ; the name\r\n  ; indented comment\r\n"
	    "version = 1\r\nweight = 1\r\nitem = A1 9999\r\n[item A1]\r\n"
	    "name.fr = O\r\nunit = piece\r\n");
	good(ITEM_A PACK_P "variant = 1.5-x\nvariant.default = 1.5-X\n");
}
END_TEST

START_TEST(default_variant_spelling)
{
	struct catalogue *cat = parse(ITEM_A PACK_P "variant = a 1.5-x\n"
	    "variant.default = 1.5-X\n");

	/* The default is the variant as the list spells it. */
	ck_assert_msg(cat != NULL, "%s", errbuf);
	ck_assert_str_eq(catalogue_pack(cat, "PK")->default_variant, "1.5-x");
	catalogue_free(cat);
}
END_TEST

/* Refusals: lines and sections --------------------------------------------- */

START_TEST(refuse_unknown_section)
{
	bad(ITEM_A "[thing X1]\nname.fr = x\n" PACK_P, 4, "[thing X1]",
	    "unknown section");
	bad(ITEM_A PACK_P "[item]\nname.fr = x\n", 9, "[item]",
	    "unknown section");
	bad(ITEM_A PACK_P "[pack  PK2]\nname.fr = x\n", 9, "[pack]",
	    "bad code");
}
END_TEST

START_TEST(refuse_bad_pack_code)
{
	bad(ITEM_A PACK_P "[pack inj]\nname.fr = x\n", 9, "[pack]",
	    "bad code");
	bad(ITEM_A PACK_P "[pack I]\nname.fr = x\n", 9, "[pack]", "bad code");
	bad(ITEM_A PACK_P "[pack ABCDEFGHI]\nname.fr = x\n", 9, "[pack]",
	    "bad code");
	bad(ITEM_A PACK_P "[pack AB-C]\nname.fr = x\n", 9, "[pack]",
	    "bad code");
	good(ITEM_A PACK_P "[pack ABCDEFGH]\nname.fr = x\nversion = 1\n"
	    "weight = 1\nitem = A1 1\n[pack P2]\nname.fr = x\nversion = 1\n"
	    "weight = 1\nitem = A1 1\n");
}
END_TEST

START_TEST(refuse_bad_item_code)
{
	bad(ITEM_A PACK_P "[item a2]\nname.fr = x\n", 9, "[item]",
	    "bad code");
	bad(ITEM_A PACK_P "[item ABCDEFGHI]\nname.fr = x\n", 9, "[item]",
	    "bad code");
	bad(ITEM_A PACK_P "[item A_2]\nname.fr = x\n", 9, "[item]",
	    "bad code");
	good(ITEM_A PACK_P "[item ABCD-FGH]\nname.fr = x\nunit = piece\n"
	    "[item Z]\nname.fr = x\nunit = piece\n");
}
END_TEST

START_TEST(refuse_duplicate_codes)
{
	bad(ITEM_A PACK_P "[pack PK]\nname.fr = x\n", 9, "pack PK",
	    "duplicate code (first at line 4)");
	bad(ITEM_A PACK_P "[item A1]\nname.fr = x\n", 9, "item A1",
	    "duplicate code (first at line 1)");
	/* Packs and items are separate name spaces. */
	good(ITEM_A PACK_P "[item PK]\nname.fr = x\nunit = piece\n");
}
END_TEST

START_TEST(refuse_empty_section)
{
	bad(ITEM_A PACK_P "[pack P2]\n; nothing\n\n[item B]\nname.fr = x\n"
	    "unit = piece\n", 9, "pack P2", "empty section");
	bad(ITEM_A PACK_P "[item B]\n", 9, "item B", "empty section");
}
END_TEST

START_TEST(refuse_bad_lines)
{
	char line[300];

	bad("name.fr = x\n" ITEM_A PACK_P, 1, "key", "outside any [section]");
	bad(ITEM_A "  weight = 3\n" PACK_P, 4, "indented", "continuation");
	bad(ITEM_A PACK_P "[pack X2\n", 9, "section", "without ']'");
	bad(ITEM_A PACK_P "[pack X2] junk\n", 9, "section", "text after");
	bad(ITEM_A PACK_P "[pack X2234567890123456789012345678901234567]\n",
	    9, "section name", "1 to 40 bytes");
	bad(ITEM_A PACK_P "[]\n", 9, "section name", "1 to 40 bytes");
	bad(ITEM_A "just words\n" PACK_P, 4, "key = value", "expected");

	/* 190 bytes on a line is fine, 191 is not. */
	memset(line, 0, sizeof(line));
	memcpy(line, ITEM_A PACK_P "; ", strlen(ITEM_A PACK_P "; "));
	memset(line + strlen(line), 'x', 188);
	good(line);
	line[strlen(line)] = 'x';
	bad(line, 9, "line", "longer than 190 bytes");
}
END_TEST

/* Refusals: keys ----------------------------------------------------------- */

START_TEST(refuse_duplicate_keys)
{
	bad(ITEM_A "name.fr = again\n" PACK_P, 4, "item A1: name.fr",
	    "repeated key");
	bad(ITEM_A "unit = piece\n" PACK_P, 4, "item A1: unit",
	    "repeated key");
	bad(ITEM_A "expiry = no\nexpiry = no\n" PACK_P, 5, "item A1: expiry",
	    "repeated key");
	bad(ITEM_A "low = 1\nlow = 1\n" PACK_P, 5, "item A1: low",
	    "repeated key");
	bad(ITEM_A PACK_P "version = 2\n", 9, "pack PK: version",
	    "repeated key");
	bad(ITEM_A PACK_P "weight = 2\n", 9, "pack PK: weight",
	    "repeated key");
	bad(ITEM_A PACK_P "name.fr = Deux\n", 9, "pack PK: name.fr",
	    "repeated key");
	bad(ITEM_A PACK_P "variant = a\nvariant = b\n", 10, "pack PK: variant",
	    "repeated key");
	bad(ITEM_A PACK_P "variant = a\nvariant.default = a\n"
	    "variant.default = a\n", 11, "pack PK: variant.default",
	    "repeated key");
}
END_TEST

START_TEST(refuse_unknown_keys)
{
	bad(ITEM_A "colour = red\n" PACK_P, 4, "item A1: colour",
	    "unknown key");
	bad(ITEM_A PACK_P "items = A1 2\n", 9, "pack PK: items",
	    "unknown key");
	bad(ITEM_A PACK_P "name.FR = x\n", 9, "pack PK: name.FR",
	    "unknown key");
	bad(ITEM_A PACK_P "name.fran = x\n", 9, "pack PK: name.fran",
	    "unknown key");
	bad(ITEM_A PACK_P "name. = x\n", 9, "pack PK: name.", "unknown key");
	bad(ITEM_A PACK_P "\x01\x02 = x\n", 9, "pack PK: ?", "unknown key");
	bad(ITEM_A PACK_P "name.de = Paket\n", 9, "pack PK: name.de",
	    "unknown language (no i18n/de.ini)");
}
END_TEST

START_TEST(refuse_empty_value)
{
	bad(ITEM_A "low =\n" PACK_P, 4, "item A1: low", "empty value");
	bad(ITEM_A PACK_P "name.en = ;nothing\n", 9, "pack PK: name.en",
	    "empty value");
}
END_TEST

START_TEST(refuse_unknown_item)
{
	bad(ITEM_A PACK_P "item = SYR9 2\n", 9, "pack PK",
	    "unknown item SYR9");
	/* The line of the reference, even when the pack is long done. */
	bad(ITEM_A PACK_P "item = B2 2\n[item C]\nname.fr = x\nunit = piece\n",
	    9, "pack PK", "unknown item B2");
	/* Items may come after the packs that use them. */
	good(PACK_P ITEM_A);
}
END_TEST

START_TEST(refuse_bad_pack_items)
{
	bad(ITEM_A PACK_P "item = A1\n", 9, "pack PK: item", "expected");
	bad(ITEM_A PACK_P "item = A1 1 v w\n", 9, "pack PK: item",
	    "expected");
	bad(ITEM_A PACK_P "item = a1 1\n", 9, "pack PK: item", "bad code");
	bad(ITEM_A PACK_P "item = A1 1\n", 9, "pack PK: item A1",
	    "listed twice");
	bad(ITEM_A "[pack P2]\nname.fr = x\nversion = 1\nweight = 1\n"
	    "variant = v w\nitem = A1 1 v\nitem = A1 1\n", 10,
	    "pack P2: item A1", "listed twice");
	bad(ITEM_A "[pack P2]\nname.fr = x\nversion = 1\nweight = 1\n"
	    "variant = v w\nitem = A1 1 v\nitem = A1 1 V\n", 10,
	    "pack P2: item A1", "listed twice");
	good(ITEM_A "[pack P2]\nname.fr = x\nversion = 1\nweight = 1\n"
	    "variant = v w\nitem = A1 1 v\nitem = A1 2 w\n");
	bad(ITEM_A "[pack P2]\nname.fr = x\nversion = 1\nweight = 1\n"
	    "variant = v w\nitem = A1 1 x\n", 9, "pack P2: item A1",
	    "variant x is not one of the pack's variants");
	/* Every variant gets something: its own items or common ones. */
	bad(ITEM_A "[pack P2]\nname.fr = x\nversion = 1\nweight = 1\n"
	    "variant = v w\nitem = A1 1 v\n", 8, "pack P2: variant",
	    "w has no items");
	bad(ITEM_A PACK_P "[item B]\nname.fr = x\nunit = piece\n"
	    "[pack P2]\nname.fr = x\nversion = 1\nweight = 1\n"
	    "item = B 1 v_1\n", 16, "pack P2: item B", "bad variant");
}
END_TEST

START_TEST(refuse_bad_qty)
{
	bad(ITEM_A "[pack P2]\nname.fr = x\nitem = A1 0\n", 6,
	    "pack P2: item A1", "from 1 to 9999");
	bad(ITEM_A "[pack P2]\nname.fr = x\nitem = A1 10000\n", 6,
	    "pack P2: item A1", "from 1 to 9999");
	bad(ITEM_A "[pack P2]\nname.fr = x\nitem = A1 -1\n", 6,
	    "pack P2: item A1", "from 1 to 9999");
	bad(ITEM_A "[pack P2]\nname.fr = x\nitem = A1 2x\n", 6,
	    "pack P2: item A1", "from 1 to 9999");
	good(ITEM_A "[pack P2]\nname.fr = x\nversion = 1\nweight = 1\n"
	    "item = A1 9999\n");
}
END_TEST

START_TEST(refuse_bad_numbers)
{
	bad(ITEM_A "[pack P2]\nname.fr = x\nweight = 0\n", 6,
	    "pack P2: weight", "from 1 to 30000");
	bad(ITEM_A "[pack P2]\nname.fr = x\nweight = 30001\n", 6,
	    "pack P2: weight", "from 1 to 30000");
	bad(ITEM_A "[pack P2]\nname.fr = x\nweight = 180g\n", 6,
	    "pack P2: weight", "grams");
	bad(ITEM_A "[pack P2]\nname.fr = x\nweight = +180\n", 6,
	    "pack P2: weight", "grams");
	good(ITEM_A "[pack P2]\nname.fr = x\nversion = 1\nweight = 30000\n"
	    "item = A1 1\n");
	bad(ITEM_A "[pack P2]\nversion = 0\n", 5, "pack P2: version",
	    "from 1 to");
	bad(ITEM_A "[pack P2]\nversion = v2\n", 5, "pack P2: version",
	    "from 1 to");
	bad("[item B]\nlow = -1\n" PACK_P, 2, "item B: low", "from 0 to");
	bad("[item B]\nexpiry = true\n" PACK_P, 2, "item B: expiry",
	    "yes or no");
	bad("[item B]\nunit = Piece\n" PACK_P, 2, "item B: unit", "a-z");
	bad("[item B]\nunit = abcdefghijklmnopq\n" PACK_P, 2, "item B: unit",
	    "1 to 16");
	good("[item A1]\nname.fr = x\nunit = abcdefghijklmnop\nlow = 1000000\n"
	    PACK_P);
}
END_TEST

START_TEST(refuse_bad_variants)
{
	bad(ITEM_A PACK_P "variant = 30G-8 30G_8\n", 9, "pack PK: variant",
	    "1 to 16 characters");
	bad(ITEM_A PACK_P "variant = 12345678901234567\n", 9,
	    "pack PK: variant", "1 to 16 characters");
	good(ITEM_A PACK_P "variant = 1234567890123456\n");
	bad(ITEM_A PACK_P "variant = a b A\n", 9, "pack PK: variant",
	    "listed twice");
	bad(ITEM_A PACK_P "variant = a b\nvariant.default = c\n", 10,
	    "pack PK: variant.default", "not one of the pack's variants");
	bad(ITEM_A PACK_P "variant.default = c\nname.en = x\n", 9,
	    "pack PK: variant.default", "not one of the pack's variants");
	bad(ITEM_A PACK_P "variant.default = c d\n", 9,
	    "pack PK: variant.default", "1 to 16 characters");
}
END_TEST

START_TEST(refuse_missing_keys)
{
	bad(ITEM_A "[pack P2]\nversion = 1\nweight = 1\nitem = A1 1\n", 4,
	    "pack P2", "name.fr is missing");
	bad(ITEM_A "[pack P2]\nname.fr = x\nweight = 1\nitem = A1 1\n", 4,
	    "pack P2", "version is missing");
	bad(ITEM_A "[pack P2]\nname.fr = x\nversion = 1\nitem = A1 1\n", 4,
	    "pack P2", "weight is missing");
	bad(ITEM_A "[pack P2]\nname.fr = x\nversion = 1\nweight = 1\n", 4,
	    "pack P2", "item is missing (a pack needs items)");
	bad(ITEM_A "[pack P2]\nversion = 1\nweight = 1\n", 4, "pack P2",
	    "name.fr is missing");
	ck_assert_ptr_null(strstr(errbuf, "needs items"));
	bad(PACK_P "[item A1]\nname.en = x\nunit = piece\n", 6, "item A1",
	    "name.fr is missing");
	bad(PACK_P "[item A1]\nname.fr = x\n", 6, "item A1",
	    "unit is missing");

	/* A catalogue without packs: nothing could be ordered. */
	ck_assert_ptr_null(parse(ITEM_A));
	ck_assert_str_eq(errbuf, NAME ": no [pack] section: nothing could be "
	    "ordered");
	ck_assert_ptr_null(parse("; nothing\n"));
	ck_assert_ptr_null(parse(""));
}
END_TEST

START_TEST(refuse_bad_names)
{
	char text[512];
	char name[100];

	/* 80 bytes (40 two-byte letters) is fine, 81 is not. */
	for (int i = 0; i < 40; i++)
		memcpy(name + 2 * i, "ж", 2);
	name[80] = '\0';
	ck_assert_uint_eq(strlen(name), 80);
	ck_assert(snprintf(text, sizeof(text), ITEM_A PACK_P "name.en = %s\n",
	    name) < (int)sizeof(text));
	good(text);
	ck_assert(snprintf(text, sizeof(text), ITEM_A PACK_P "name.en = %sx\n",
	    name) < (int)sizeof(text));
	bad(text, 9, "pack PK: name.en", "longer than 80 bytes");

	bad(ITEM_A PACK_P "name.en = Caf\xe9\n", 9, "pack PK: name.en",
	    "UTF-8");
	bad(ITEM_A PACK_P "name.en = \xc0\xaf\n", 9, "pack PK: name.en",
	    "UTF-8");
	bad(ITEM_A PACK_P "name.en = a\x7f" "b\n", 9, "pack PK: name.en",
	    "control");
	bad(ITEM_A PACK_P "name.en = a\rb\n", 9, "pack PK: name.en",
	    "control");
	/* The name itself is never repeated. */
	bad(ITEM_A PACK_P "name.en = Secret\x01name\n", 9, "pack PK",
	    "control");
	ck_assert_ptr_null(strstr(errbuf, "Secret"));
}
END_TEST

/* Limits ------------------------------------------------------------------- */

START_TEST(limit_packs)
{
	add(ITEM_A);
	for (int i = 0; i < CATALOGUE_PACKS_MAX; i++)
		add("[pack P%d]\nname.fr = x\nversion = 1\nweight = 1\n"
		    "item = A1 1\n", i);
	good(big);
	add("[pack P%d]\nname.fr = x\nversion = 1\nweight = 1\nitem = A1 1\n",
	    CATALOGUE_PACKS_MAX);
	bad(big, 4 + 5 * CATALOGUE_PACKS_MAX, "pack P64", "more than 64 packs");
}
END_TEST

START_TEST(limit_items)
{
	add(PACK_P);
	for (int i = 0; i < CATALOGUE_ITEMS_MAX; i++)
		add("[item A%d]\nname.fr = x\nunit = piece\n", i + 1);
	good(big);
	add("[item B]\nname.fr = x\nunit = piece\n");
	bad(big, 6 + 3 * CATALOGUE_ITEMS_MAX, "item B",
	    "more than 128 items");
}
END_TEST

START_TEST(limit_pack_items)
{
	for (int i = 0; i < CATALOGUE_PACK_ITEMS_MAX + 1; i++)
		add("[item A%d]\nname.fr = x\nunit = piece\n", i);
	add("[pack PK]\nname.fr = x\nversion = 1\nweight = 1\n");
	for (int i = 0; i < CATALOGUE_PACK_ITEMS_MAX; i++)
		add("item = A%d 1\n", i);
	good(big);
	add("item = A%d 1\n", CATALOGUE_PACK_ITEMS_MAX);
	bad(big, 3 * (CATALOGUE_PACK_ITEMS_MAX + 1) + 4 +
	    CATALOGUE_PACK_ITEMS_MAX + 1, "pack PK: item",
	    "more than 24 items");
}
END_TEST

START_TEST(limit_variants)
{
	add(ITEM_A PACK_P "variant =");
	for (int i = 0; i < CATALOGUE_VARIANTS_MAX; i++)
		add(" v%d", i);
	add("\n");
	good(big);
	big[--biglen] = '\0';
	add(" v%d\n", CATALOGUE_VARIANTS_MAX);
	bad(big, 9, "pack PK: variant", "more than 12 variants");
}
END_TEST

START_TEST(limit_langs)
{
	char lang[4] = "aa";
	struct catalogue *cat;

	/* fr and en exist: 14 more make 16, one more is too many. */
	for (int i = 0; i < CATALOGUE_LANGS_MAX - 2; i++) {
		lang[1] = (char)('a' + i);
		add_lang(lang);
	}
	/* Files that are not languages are not counted. */
	add_lang("abcd");
	write_file(tmpdir, "i18n/README", "x", 1);
	write_file(tmpdir, "i18n/de.txt", "x", 1);
	write_file(tmpdir, "i18n/FR.ini", "x", 1);
	write_file(tmpdir, "i18n/x.ini", "x", 1);
	cat = parse(ITEM_A PACK_P);
	ck_assert_msg(cat != NULL, "%s", errbuf);
	ck_assert_uint_eq(catalogue_nlangs(cat), CATALOGUE_LANGS_MAX);
	ck_assert_str_eq(catalogue_lang_at(cat, 0), "aa");
	ck_assert(!catalogue_has_lang(cat, "abcd"));
	ck_assert(catalogue_has_lang(cat, "fr"));
	catalogue_free(cat);
	add_lang("zzz");
	ck_assert_ptr_null(parse(ITEM_A PACK_P));
	ck_assert_msg(strstr(errbuf, "/i18n: more than 16 languages") != NULL,
	    "%s", errbuf);
}
END_TEST

/* Languages and files ------------------------------------------------------ */

START_TEST(langs_need_french)
{
	char path[4200];

	ck_assert(snprintf(path, sizeof(path), "%s/i18n/fr.ini", tmpdir) <
	    (int)sizeof(path));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_ptr_null(parse(ITEM_A PACK_P));
	ck_assert_msg(strstr(errbuf, "/i18n/fr.ini: missing") != NULL, "%s",
	    errbuf);

	/* A directory named like a language is not one. */
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_ptr_null(parse(ITEM_A PACK_P));
	ck_assert_msg(strstr(errbuf, "/i18n/fr.ini: missing") != NULL, "%s",
	    errbuf);
}
END_TEST

START_TEST(langs_need_i18n_dir)
{
	char path[4200];

	ck_assert(snprintf(path, sizeof(path), "%s/i18n", tmpdir) <
	    (int)sizeof(path));
	testutil_rmtree(path);
	ck_assert_ptr_null(parse(ITEM_A PACK_P));
	ck_assert_msg(strstr(errbuf, "/i18n: No such file") != NULL, "%s",
	    errbuf);
}
END_TEST

START_TEST(load_files)
{
	char path[4200];
	struct catalogue *cat;
	char *large;

	/* No packs.ini. */
	cat = catalogue_load(tmpdir, errbuf, sizeof(errbuf));
	ck_assert_ptr_null(cat);
	ck_assert_msg(strstr(errbuf, "/packs.ini: No such file") != NULL, "%s",
	    errbuf);

	/* The real thing, with "dir/packs.ini:line:" in messages. */
	write_file(tmpdir, "packs.ini", ITEM_A PACK_P "bogus = 1\n",
	    strlen(ITEM_A PACK_P "bogus = 1\n"));
	cat = catalogue_load(tmpdir, errbuf, sizeof(errbuf));
	ck_assert_ptr_null(cat);
	ck_assert(snprintf(path, sizeof(path), "%s/packs.ini:9: pack PK: "
	    "bogus: unknown key", tmpdir) < (int)sizeof(path));
	ck_assert_str_eq(errbuf, path);

	write_file(tmpdir, "packs.ini", ITEM_A PACK_P, strlen(ITEM_A PACK_P));
	cat = catalogue_load(tmpdir, errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "%s", errbuf);
	ck_assert_str_eq(catalogue_dir(cat), tmpdir);
	catalogue_free(cat);

	/* A NUL byte would hide the rest of the file from libinih. */
	write_file(tmpdir, "packs.ini", ITEM_A PACK_P "\0bogus = 1\n",
	    strlen(ITEM_A PACK_P) + 11);
	ck_assert_ptr_null(catalogue_load(tmpdir, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "NUL byte") != NULL, "%s", errbuf);

	/* 256 KiB is the most; comments fill it up. */
	large = malloc(256 * 1024 + 2);
	ck_assert_ptr_nonnull(large);
	memset(large, '\n', 256 * 1024 + 1);
	memcpy(large, ITEM_A PACK_P, strlen(ITEM_A PACK_P));
	write_file(tmpdir, "packs.ini", large, 256 * 1024);
	cat = catalogue_load(tmpdir, errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "%s", errbuf);
	catalogue_free(cat);
	write_file(tmpdir, "packs.ini", large, 256 * 1024 + 1);
	ck_assert_ptr_null(catalogue_load(tmpdir, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "larger than") != NULL, "%s", errbuf);
	free(large);

	/* Not a regular file. */
	ck_assert(snprintf(path, sizeof(path), "%s/packs.ini", tmpdir) <
	    (int)sizeof(path));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_ptr_null(catalogue_load(tmpdir, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "not a regular file") != NULL, "%s",
	    errbuf);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_ptr_null(catalogue_load(tmpdir, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "not a regular file") != NULL, "%s",
	    errbuf);
}
END_TEST

START_TEST(small_errbuf)
{
	char small[8];

	/* A short buffer gets a cut message, never an overflow. */
	ck_assert_ptr_null(catalogue_parse_string(tmpdir, NAME,
	    "[bogus]\nx = 1\n", small, sizeof(small)));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_ptr_null(catalogue_parse_string(tmpdir, NAME,
	    "[bogus]\nx = 1\n", small, 0));
	ck_assert_ptr_null(catalogue_parse_string(NULL, NAME, "", errbuf,
	    sizeof(errbuf)));
}
END_TEST

static Suite *
catalogue_suite(void)
{
	Suite *s = suite_create("catalogue");
	TCase *tc;

	tc = tcase_create("real");
	tcase_add_test(tc, real_templates_packs);
	tcase_add_test(tc, real_templates_langs);
	tcase_add_test(tc, real_templates_content);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, lookups_and_fallbacks);
	tcase_add_test(tc, format_freedoms);
	tcase_add_test(tc, default_variant_spelling);
	tcase_add_test(tc, refuse_unknown_section);
	tcase_add_test(tc, refuse_bad_pack_code);
	tcase_add_test(tc, refuse_bad_item_code);
	tcase_add_test(tc, refuse_duplicate_codes);
	tcase_add_test(tc, refuse_empty_section);
	tcase_add_test(tc, refuse_bad_lines);
	tcase_add_test(tc, refuse_duplicate_keys);
	tcase_add_test(tc, refuse_unknown_keys);
	tcase_add_test(tc, refuse_empty_value);
	tcase_add_test(tc, refuse_unknown_item);
	tcase_add_test(tc, refuse_bad_pack_items);
	tcase_add_test(tc, refuse_bad_qty);
	tcase_add_test(tc, refuse_bad_numbers);
	tcase_add_test(tc, refuse_bad_variants);
	tcase_add_test(tc, refuse_missing_keys);
	tcase_add_test(tc, refuse_bad_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, limit_packs);
	tcase_add_test(tc, limit_items);
	tcase_add_test(tc, limit_pack_items);
	tcase_add_test(tc, limit_variants);
	tcase_add_test(tc, limit_langs);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, langs_need_french);
	tcase_add_test(tc, langs_need_i18n_dir);
	tcase_add_test(tc, load_files);
	tcase_add_test(tc, small_errbuf);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(catalogue_suite)
