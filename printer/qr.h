/*
 * QR codes (libqrencode) for tracking links: on labels (drawn by
 * printer/label.c from the module matrix) and on web pages (inline SVG, no
 * image request, no third party).  A QR holds only the opaque tracking URL.
 */
#ifndef HRPOST_QR_H
#define HRPOST_QR_H

#include <stddef.h>
#include <stdbool.h>

#include "base/util.h"

#define QR_TEXT_MAX 512		/* a tracking URL is far shorter */

struct qr;

/*
 * Encode @text (at most QR_TEXT_MAX bytes) as 8-bit data with error
 * correction level M.  Returns NULL when it is empty, too long, or
 * libqrencode fails.  Free with qr_free().
 */
struct qr *qr_encode(const char *text);
void qr_free(struct qr *qr);

/* Modules per side (without quiet zone). */
int qr_width(const struct qr *qr);

/* true when module (@x, @y) is dark; false outside the symbol. */
bool qr_dark(const struct qr *qr, int x, int y);

/*
 * An SVG drawing of @qr with a quiet zone of @quiet modules (4 is the
 * standard), sized by its container (viewBox only), as one path of
 * horizontal runs.  *out is malloc'd and NUL-terminated; caller frees.
 * Returns 0 or -1.
 */
int qr_svg(const struct qr *qr, int quiet, char **out, size_t *len) WUR;

#endif
