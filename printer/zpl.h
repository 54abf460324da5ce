/*
 * ZPL II for 100 x 150 mm thermal label printers at 203 dpi (8 dots/mm),
 * sent raw through CUPS (application/vnd.cups-raw).  One label is
 * "^XA ... ^XZ": ^CI28 (UTF-8), ^PW/^LL for the label size, ^FO positions
 * in dots, the built-in scalable font (^A0), ^BQ for the QR code holding
 * only the tracking URL, and ^FH so that the characters ZPL reads as
 * commands (^ ~ and the hex escape _ itself) in field data are written as
 * hex escapes, never as commands.
 *
 * The text is transliterated to printable ASCII (zpl_ascii()): accented
 * Latin letters lose their accents, Russian Cyrillic follows the French
 * passport transliteration, typographic punctuation becomes its ASCII
 * look-alike.  Anything else is refused with the reason.
 */
#ifndef HRPOST_ZPL_H
#define HRPOST_ZPL_H

#include <stddef.h>

#include "base/util.h"
#include "printer/label.h"

#define ZPL_DPMM 8			/* dots per millimetre (203 dpi) */
#define ZPL_WIDTH (100 * ZPL_DPMM)	/* ^PW */
#define ZPL_LENGTH (150 * ZPL_DPMM)	/* ^LL */
#define ZPL_LABEL_MAX 4096		/* bytes of one label's ZPL */

/*
 * Transliterate UTF-8 @in (valid, no control characters) to printable
 * ASCII in @out of @outsz bytes.  Returns 0; -1 with the reason in @errbuf
 * ("a character that has no ASCII form") when @in holds a character
 * outside the tables, or "too long" when @out is too small.  The reason
 * never repeats the text.
 */
int zpl_ascii(const char *in, char *out, size_t outsz, char *errbuf,
    size_t errsz) WUR;

struct zpl;

/* An empty ZPL document; NULL when out of memory.  Free with zpl_free(). */
struct zpl *zpl_new(void);

/*
 * Append one label: the sender block @s (already checked by
 * label_sender_check()) and @lc (checked here with label_content_check()).
 * Refused, the document unchanged, when a line cannot be transliterated or
 * is wider than the label at the smallest legible size.  Returns 0 or -1
 * with the reason in @errbuf.
 */
int zpl_add_label(struct zpl *z, const struct label_sender *s,
    const struct label_content *lc, char *errbuf, size_t errsz) WUR;

/* Labels in the document. */
size_t zpl_count(const struct zpl *z);

/*
 * Hand over the document's bytes (malloc'd, the caller frees them) and
 * leave @z empty.  Returns 0, or -1 when it holds no label or memory runs
 * out.
 */
int zpl_take(struct zpl *z, unsigned char **out, size_t *len) WUR;

/* Free @z, wiping its bytes (they hold addresses).  NULL is fine. */
void zpl_free(struct zpl *z);

#endif
