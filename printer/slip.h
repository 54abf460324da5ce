/*
 * The packing slip: the sheet that goes inside the parcel, in the
 * recipient's language.  It may name what is inside: the packs (names from
 * the catalogue, quantities, the chosen variant), the items they hold with
 * the lot and use-by date of those that expire, how to use naloxone when
 * the parcel holds some, how to reach the coordinator, a kind word and the
 * order reference to quote on the phone.  No address: it is inside.
 *
 * Texts come from templates/slip/<lang>.ini (read with libinih after
 * config_ini_check(), base/config.h):
 *
 *   [slip]
 *   title = Votre colis
 *   contact.phone = Appelez-nous au {phone}, ...
 *   contact.phone = ... a key given again continues the text
 *
 * Every key of SLIP_KEYS (slip.c) is required and no other is allowed;
 * naloxone.1 to naloxone.N (1 <= N <= SLIP_NALOX_STEPS_MAX) are the
 * numbered steps.  Placeholders: {phone} in contact.phone, {ref} in
 * reference, {lot} and {expiry} in lot; "date" is a pattern of DD, MM and
 * YYYY ("DD/MM/YYYY", "DD.MM.YYYY").  An unknown key, section or
 * placeholder is refused with "file:line: reason".
 *
 * A struct slip_doc is a PDF of slips (A5 or A4, a slip starts on a new
 * page and may run over several) or a PNG preview of a slip's first page.
 * Like labels, a slip is laid out and checked whole (every character in
 * the font) before it is drawn; a refused slip leaves the document as it
 * was.
 */
#ifndef HRPOST_SLIP_H
#define HRPOST_SLIP_H

#include <stddef.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "printer/label.h"
#include "shipping/catalogue.h"

#define SLIP_TEXT_MAX 1024		/* bytes of one text, continued */
#define SLIP_FILE_MAX (64 * 1024)	/* bytes of a slip texts file */
#define SLIP_NALOX_STEPS_MAX 9
#define SLIP_PACKS_MAX 16
#define SLIP_ITEMS_MAX 128
#define SLIP_LOTS_MAX 256
#define SLIP_NALOXONE "NALOX"		/* pack or item code of naloxone */

struct slip_texts;

/*
 * Read templates/slip/<@lang>.ini under @templates.  Returns NULL with
 * "path[:line]: reason" in @errbuf when the file is missing or malformed.
 * Free with slip_texts_free().
 */
struct slip_texts *slip_texts_load(const char *templates, const char *lang,
    char *errbuf, size_t errsz);

/* The same from memory; @name stands for the file in messages. */
struct slip_texts *slip_texts_parse(const char *name, const char *text,
    char *errbuf, size_t errsz);

void slip_texts_free(struct slip_texts *t);

/* The text of @key, NULL when there is none.  Owned by @t. */
const char *slip_texts_get(const struct slip_texts *t, const char *key);

/* Number of naloxone steps (naloxone.1 to naloxone.N). */
size_t slip_texts_steps(const struct slip_texts *t);

/* One line of the order: a pack, how many, the variant chosen ("" none). */
struct slip_pack {
	const char *code;
	int qty;
	const char *variant;
};

/* An item in the parcel, summed over its packs. */
struct slip_item {
	const char *code;
	int qty;
};

/* A lot drawn for the parcel; only those with an expiry are printed. */
struct slip_lot {
	const char *item;
	const char *lot;
	time_t expiry;		/* 0: none */
};

/* One slip's data; not owned. */
struct slip_content {
	const char *ref;		/* the order reference, canonical */
	const char *lang;		/* the recipient's language */
	const struct slip_pack *packs;
	size_t npacks;
	const struct slip_item *items;
	size_t nitems;
	const struct slip_lot *lots;
	size_t nlots;
	const char *phone;		/* the coordinator's; NULL or "" none */
};

enum slip_size {
	SLIP_A5 = 0,
	SLIP_A4,
};

/* true when @sc holds naloxone (the pack or the item SLIP_NALOXONE). */
bool slip_has_naloxone(const struct slip_content *sc);

struct slip_doc;

/*
 * A new empty document: @fmt LABEL_PDF or LABEL_PNG (@dpi for PNG, as for
 * labels), texts under @templates, names from @cat (both must outlive the
 * document).  Returns NULL with the reason in @errbuf.
 */
struct slip_doc *slip_doc_new(enum label_format fmt, enum slip_size size,
    int dpi, const struct catalogue *cat, const char *templates,
    char *errbuf, size_t errsz);

/*
 * Lay out and draw one slip.  Refused, the document unchanged, when the
 * language has no texts, a pack or item is not in the catalogue, the
 * content exceeds the SLIP_*_MAX limits, a character is missing from the
 * font, or a PNG already holds its slip.  Returns 0 or -1 with the reason
 * in @errbuf.
 */
int slip_doc_add(struct slip_doc *doc, const struct slip_content *sc,
    char *errbuf, size_t errsz) WUR;

/* Slips and pages so far. */
size_t slip_doc_count(const struct slip_doc *doc);
size_t slip_doc_pages(const struct slip_doc *doc);

/*
 * The page size and the box holding everything drawn so far (mm), for
 * tests: the text must stay inside the page's margins.
 */
void slip_doc_bounds(const struct slip_doc *doc, double *page_w,
    double *page_h, struct label_box *drawn);

/*
 * End the document and hand over its bytes as label_doc_finish() does
 * (*out malloc'd, the caller frees).  Returns 0 or -1 with @errbuf.
 */
int slip_doc_finish(struct slip_doc *doc, unsigned char **out, size_t *len,
    char *errbuf, size_t errsz) WUR;

/* Free @doc.  NULL is fine. */
void slip_doc_free(struct slip_doc *doc);

#endif
