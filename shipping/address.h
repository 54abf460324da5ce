/*
 * French postal addresses (AFNOR NF Z10-011, La Poste rules; see
 * ../shared/INTERFACES.md).  This module validates what a person gives us
 * (address lines 2 to 5, postcode, commune) and derives the département code
 * that may be kept in clear for routing and reports.  Label layout (line 6 in
 * capitals without accents, ST/STE, CEDEX) builds on it.
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

/*
 * Write the canonical form of an address used for keyed pseudonyms: lines,
 * postcode and commune upper-cased, accents folded to ASCII, runs of spaces
 * and punctuation collapsed to one space, joined by '\n'.  Returns 0 or -1
 * when it does not fit @outsz.
 */
int address_normalise(const char *const *lines, size_t nlines,
    const char *postcode, const char *commune, char *out, size_t outsz) WUR;

#endif
