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
 *   item = NDL25 10 25G-16   ; only when variant 25G-16 is chosen
 *   variant = 30G-8 29G-12 25G-16  ; optional choices (needle gauge-length)
 *   variant.default = 30G-8  ; optional, else the first variant
 *
 * Every pack and item needs name.fr; name.<lang> needs
 * templates/i18n/<lang>.ini.  Sections, keys and items may come in any
 * order; a key is given once (except item), an item once per pack and
 * variant.  There is at least one pack, and whatever variant is chosen a
 * pack holds at least one item.  Lines follow config_ini_check()
 * (base/config.h).
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
	/*
	 * NULL: in the pack whatever the variant.  Else the item goes in only
	 * when this variant is chosen (see catalogue_pack_item_in()).
	 */
	const char *variant;
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

/*
 * The same from memory (tests, fuzzing): @text stands for packs.ini and
 * @name for its path in messages; @dir is still scanned for i18n/.
 */
struct catalogue *catalogue_parse_string(const char *dir, const char *name,
    const char *text, char *errbuf, size_t errsz);

/* Free everything catalogue_load() returned.  NULL is fine. */
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

/*
 * true when @it goes into a pack packed with variant @variant (NULL or ""
 * for a pack without variants): items without a variant always do.
 */
bool catalogue_pack_item_in(const struct catalogue_pack_item *it,
    const char *variant);

/* Languages templates/i18n has, e.g. "en", "es", "fr", "pt", "ru". */
bool catalogue_has_lang(const struct catalogue *cat, const char *lang);
size_t catalogue_nlangs(const struct catalogue *cat);
const char *catalogue_lang_at(const struct catalogue *cat, size_t i);

#endif
