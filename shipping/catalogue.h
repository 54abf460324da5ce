/*
 * The catalogue: standard packs, their items and variants, and the
 * languages templates/ speaks.  It is data (templates/packs.ini and
 * templates/i18n/<lang>.ini), loaded once at start and read-only after.
 *
 * templates/packs.ini, read with libinih:
 *
 *   [item SYR1]              ; an item kept in stock
 *   name.fr = Seringue 1 ml
 *   name.en = 1 ml syringe
 *   unit = piece
 *   expiry = no              ; yes: lots carry an expiry date (naloxone)
 *   low = 200                ; warn when stock falls under this
 *
 *   [pack INJ]               ; a standard pack, code A-Z0-9, 2-8 chars
 *   version = 3
 *   name.fr = Kit injection
 *   name.en = Injection kit
 *   weight = 180             ; grams
 *   item = SYR1 10           ; item code and quantity, repeated
 *   variant = 30G-8 29G-12   ; optional choices (needle gauge-length)
 *   variant.default = 30G-8
 *
 * A malformed file is refused with "file:line: reason".
 */
#ifndef HRPOST_CATALOGUE_H
#define HRPOST_CATALOGUE_H

#include <stddef.h>
#include <stdbool.h>

#include "base/util.h"

#define CATALOGUE_CODE_MAX 9		/* 8 characters + NUL */
#define CATALOGUE_VARIANT_MAX 17	/* 16 characters + NUL */
#define CATALOGUE_NAME_MAX 81
#define CATALOGUE_LANG_MAX 8		/* "fr", "pt", "ka" + room */
#define CATALOGUE_LANGS_MAX 16
#define CATALOGUE_PACKS_MAX 64
#define CATALOGUE_ITEMS_MAX 128
#define CATALOGUE_PACK_ITEMS_MAX 24
#define CATALOGUE_VARIANTS_MAX 12

struct catalogue;

struct catalogue_pack_item {
	const char *item;	/* item code */
	int qty;
};

struct catalogue_pack {
	const char *code;
	int version;
	int weight;		/* grams */
	size_t nitems;
	const struct catalogue_pack_item *items;
	size_t nvariants;
	const char *const *variants;
	const char *default_variant;	/* NULL when the pack has none */
};

struct catalogue_item {
	const char *code;
	const char *unit;
	bool expiry;
	int low;
};

/*
 * Load the catalogue from the templates directory @dir.  On error returns
 * NULL and writes "path:line: reason" into @errbuf.
 */
struct catalogue *catalogue_load(const char *dir, char *errbuf, size_t errsz);
void catalogue_free(struct catalogue *cat);

/* The directory the catalogue was loaded from (templates/). */
const char *catalogue_dir(const struct catalogue *cat);

/* Lookups; NULL when unknown.  Codes compare case-insensitively. */
const struct catalogue_pack *catalogue_pack(const struct catalogue *cat,
    const char *code);
const struct catalogue_item *catalogue_item(const struct catalogue *cat,
    const char *code);

/* Iteration in file order. */
size_t catalogue_npacks(const struct catalogue *cat);
const struct catalogue_pack *catalogue_pack_at(const struct catalogue *cat,
    size_t i);
size_t catalogue_nitems(const struct catalogue *cat);
const struct catalogue_item *catalogue_item_at(const struct catalogue *cat,
    size_t i);

/* Name of a pack or item in @lang, falling back to "fr" then the code. */
const char *catalogue_pack_name(const struct catalogue *cat,
    const char *code, const char *lang);
const char *catalogue_item_name(const struct catalogue *cat,
    const char *code, const char *lang);

/* true when @variant is one of @pack's variants (case-insensitive). */
bool catalogue_pack_has_variant(const struct catalogue_pack *pack,
    const char *variant);

/* Languages templates/i18n has, e.g. "en", "es", "fr", "pt", "ru". */
bool catalogue_has_lang(const struct catalogue *cat, const char *lang);
size_t catalogue_nlangs(const struct catalogue *cat);
const char *catalogue_lang_at(const struct catalogue *cat, size_t i);

#endif
