/*
 * French postal addresses (AFNOR NF Z10-011, La Poste rules; see
 * ../shared/INTERFACES.md).  This module validates what a person gives us
 * (address lines 2 to 5, postcode, commune) and derives the département code
 * that may be kept in clear for routing and reports, and lays out the
 * address block of a label (address_format_label(): at most 6 lines of 38
 * ASCII characters, line 6 in capitals, ST/STE, CEDEX, poste restante).
 *
 * Errors name the field ("line", "postcode", "commune") and never repeat the
 * value.
 */
#ifndef HRPOST_ADDRESS_H
#define HRPOST_ADDRESS_H

#include <stddef.h>
#include <stdbool.h>

#include "base/util.h"

#define ADDRESS_LINE_MAX 38		/* characters per line, spaces included */
#define ADDRESS_LINES_MAX 4		/* lines 2 to 5; 1 is the name, 6 the town */
#define ADDRESS_LINE_BYTES (ADDRESS_LINE_MAX * 4 + 1)	/* UTF-8 worst case */
#define ADDRESS_POSTCODE_LEN 5
#define ADDRESS_DEPT_MAX 4		/* "2A", "75", "971" + NUL */
#define ADDRESS_POSTE_RESTANTE "POSTE RESTANTE"

/*
 * Check a postcode: exactly 5 ASCII digits (spaces around are trimmed by the
 * caller), not 00xxx, a département that exists (01-95 with Corsica 200xx/
 * 201xx -> 2A and 202xx/206xx -> 2B; overseas 971-976, 97133 -> 977
 * Saint-Barthelemy, 97150 -> 978 Saint-Martin, 986-988; 98000 Monaco -> 98).
 * CEDEX codes follow the same rule.  On success writes the département code
 * into @dept (ADDRESS_DEPT_MAX bytes) and returns 0; else -1 and @err.
 */
int address_postcode_check(const char *postcode, char dept[ADDRESS_DEPT_MAX],
    struct field_error *err) WUR;

/*
 * Check one address line (@field names it in errors, e.g. "line"): valid
 * UTF-8, no control characters, not blank, at most ADDRESS_LINE_MAX
 * characters.
 */
int address_line_check(const char *field, const char *line,
    struct field_error *err) WUR;

/*
 * Check a commune: letters (accents allowed), spaces, hyphens and
 * apostrophes, at least one letter, and short enough that
 * "POSTCODE COMMUNE" fits one line of ADDRESS_LINE_MAX characters.  A
 * trailing "CEDEX" with an optional office number of 1-2 digits is allowed.
 */
int address_commune_check(const char *commune, struct field_error *err) WUR;

/* true when @line reads "poste restante" (any case, extra spaces). */
bool address_is_poste_restante(const char *line);

/* ---- The label address block ---- */

#define ADDRESS_LABEL_LINES 6		/* AFNOR: at most 6 lines in France */
#define ADDRESS_LABEL_LINE_BYTES (ADDRESS_LINE_MAX + 1)	/* ASCII + NUL */

/*
 * An address as its parts, not owned.  struct order (orders/order.h) maps
 * onto it with address_label_from_order().
 */
struct address_parts {
	const char *recipient;		/* line 1: the pseudonym */
	const char *const *lines;	/* lines 2 to 5 as given, in order */
	size_t nlines;			/* 0 to ADDRESS_LINES_MAX */
	/*
	 * Poste restante: line 5 reads "POSTE RESTANTE".  A given line
	 * reading so (address_is_poste_restante(), as struct order stores
	 * it: the last line) counts as that line; otherwise it is added.
	 */
	bool poste_restante;
	const char *postcode;		/* 5 digits (CEDEX codes too) */
	const char *commune;		/* "Millau" or "Millau CEDEX 11" */
};

/*
 * The address block as it goes on a label, AFNOR NF Z10-011.  Every line is
 * printable ASCII (0x20-0x7e; any label font and ZPL's built-in fonts print
 * it), 1 to ADDRESS_LINE_MAX characters, no space at either end, no two
 * spaces in a row; no line is blank.  Print line[0] .. line[nlines - 1]
 * top to bottom, nothing else in between.  It holds personal data: wipe it
 * with address_label_clear() when done.
 */
struct address_label {
	size_t nlines;					/* 2 to 6 */
	char line[ADDRESS_LABEL_LINES][ADDRESS_LABEL_LINE_BYTES];
	int afnor[ADDRESS_LABEL_LINES];	/* each line's AFNOR position, 1-6 */
	bool transliterated;	/* a character was folded to ASCII */
	bool shortened;		/* SAINT/SAINTE became ST/STE to fit */
};

/*
 * Lay out an address block.  On success fills @out and returns 0; on
 * refusal returns -1, @out wiped (nlines 0), and @err says why.
 *
 * Layout (AFNOR positions):
 *   1     the recipient, case kept;
 *   2-5   the given lines in the order given.  The last given line is the
 *         street line (4) unless four lines are given, or it starts with
 *         BP, CS, TSA or LIEU-DIT (then it is 5); earlier lines take the
 *         positions above it.  With poste restante, "POSTE RESTANTE" is 5
 *         and the given lines sit above it;
 *   6     "POSTCODE COMMUNE", e.g. "12100 MILLAU", "12101 MILLAU CEDEX 11".
 * Rules: lines 4 to 6 lose their punctuation (each run of punctuation,
 * hyphens and apostrophes included, becomes one space: "ST GEORGES DE
 * LUZENCON"); lines 5 and 6 are in capitals; all lines are folded to
 * ASCII (see below), so line 6 never carries an accent.  When line 5 or 6
 * is over ADDRESS_LINE_MAX characters, the words SAINT and SAINTE on it
 * become ST and STE (only then, and only there).
 *
 * Transliteration to ASCII, where a standard one exists: Latin letters
 * with diacritics lose them (é->e, Ç->C, ş->s, Vietnamese too), ligatures
 * and special letters are spelt out (œ->oe, Æ->AE, ß->ss, ø->o, ł->l,
 * þ->th); typographic quotes, dashes and spaces become ' " - and space,
 * "…" "...", "°" "o"; Cyrillic follows ICAO Doc 9303 (the table of the
 * French and other machine-readable passports: Ж->ZH, Х->KH, Ц->TS,
 * Щ->SHCH, Ю->IU, Я->IA, Ь dropped, ...); Georgian follows the national
 * system of 2002 (ჟ->zh, ღ->gh, ხ->kh, ejectives with an apostrophe).
 * A character with no standard transliteration (Greek, Arabic, CJK,
 * emoji, symbols) is refused, naming the line and the character's
 * position, never the character.  ZPL's command characters ^ and ~ and
 * its escape \ become spaces (a printer still escapes its field data).
 *
 * Refusals (err->field, then the reason; the message names the label line
 * and counts, never the value):
 *   "pseudonym"  empty or blank, not UTF-8, control characters,
 *                untransliterable, or over ADDRESS_LINE_MAX after folding;
 *   "line"       the same for lines 2-5, or more than ADDRESS_LINES_MAX;
 *   "address"    the block would need more than ADDRESS_LABEL_LINES lines
 *                (a 7th line is for abroad only);
 *   "postcode"   address_postcode_check() fails, or the commune is one we
 *                know to lie elsewhere (see below);
 *   "commune"    empty, address_commune_check() fails, untransliterable,
 *                or line 6 over ADDRESS_LINE_MAX even with ST/STE.
 *
 * Postcode against commune, a PARTIAL check: the first two digits of a
 * postcode are the département of the delivering office, which for a
 * small commune near a border may be the next one, so only what cannot be
 * wrong is checked: postcodes 75xxx are Paris and Paris is 75xxx; the
 * big cities whose name no other commune bears (Marseille 13, Lyon 69,
 * Toulouse 31, Nice 06, Nantes 44, Strasbourg 67, Montpellier 34,
 * Bordeaux 33, Lille 59, Rennes 35, Reims 51, ...: table in address.c);
 * Corsican towns in 2A (Ajaccio, Porto-Vecchio, ...) or 2B (Bastia,
 * Corte, Calvi, ...); overseas capitals and towns (Fort-de-France 972,
 * Pointe-a-Pitre 971, Cayenne 973, Le Tampon 974, Mamoudzou 976,
 * Papeete 987, Noumea 988) and Monaco 98000 both ways.  Any other commune
 * passes.  Names compare after folding (accents, case, hyphens).
 */
int address_format_label(const struct address_parts *in,
    struct address_label *out, struct field_error *err) WUR;

struct order;
/*
 * The same for an order (orders/order.h): pseudonym, lines (poste restante
 * line included), postcode, commune.
 */
int address_label_from_order(const struct order *o,
    struct address_label *out, struct field_error *err) WUR;

/* Wipe a label block (personal data).  NULL is fine. */
void address_label_clear(struct address_label *lab);

/*
 * Check a postcode against a commune (the partial check described above)
 * on its own.  Returns 0 when consistent or unknown, else -1 with @err
 * (field "postcode").  Both are taken as given (commune with or without
 * CEDEX); call the postcode and commune checks first.
 */
int address_postcode_matches(const char *postcode, const char *commune,
    struct field_error *err) WUR;

/*
 * Write the canonical form of an address used for keyed pseudonyms: lines,
 * postcode and commune upper-cased, accents folded to ASCII, runs of spaces
 * and punctuation collapsed to one space, joined by '\n'.  Returns 0 or -1
 * when it does not fit @outsz.
 */
int address_normalise(const char *const *lines, size_t nlines,
    const char *postcode, const char *commune, char *out, size_t outsz) WUR;

#endif
