/*
 * QR codes through libqrencode; see qr.h.  The SVG is built as one path of
 * horizontal runs ("M x y h n v1 h -n z"), a few KB for a tracking URL,
 * small enough for the 30 KB page budget of the intake node.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "printer/qr.h"

struct qr {
	int width;
	unsigned char *modules;	/* width * width, bit 0 = dark */
};

struct qr *
qr_encode(const char *text)
{
	QRcode *code;
	struct qr *qr;
	size_t n = strlen(text);

	if (n == 0 || n > QR_TEXT_MAX)
		return NULL;
	code = QRcode_encodeData((int)n, (const unsigned char *)text, 0,
	    QR_ECLEVEL_M);
	if (code == NULL)
		return NULL;
	qr = calloc(1, sizeof(*qr));
	if (qr == NULL)
		goto fail;
	qr->width = code->width;
	qr->modules = malloc((size_t)code->width * (size_t)code->width);
	if (qr->modules == NULL)
		goto fail;
	memcpy(qr->modules, code->data, (size_t)code->width *
	    (size_t)code->width);
	QRcode_free(code);
	return qr;
fail:
	QRcode_free(code);
	qr_free(qr);
	return NULL;
}

void
qr_free(struct qr *qr)
{
	if (qr == NULL)
		return;
	free(qr->modules);
	free(qr);
}

int
qr_width(const struct qr *qr)
{
	return qr->width;
}

bool
qr_dark(const struct qr *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return false;
	return (qr->modules[(size_t)y * (size_t)qr->width + (size_t)x] & 1) != 0;
}

struct sbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void __attribute__((format(printf, 2, 3)))
sbuf_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len)
			break;
		/* A QR of a URL is small; 256 KiB is a hard ceiling. */
		size_t ncap = b->cap * 2;
		char *np;
		if (ncap > 256 * 1024) {
			b->failed = 1;
			return;
		}
		np = realloc(b->p, ncap);
		if (np == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	b->len += (size_t)n;
}

int
qr_svg(const struct qr *qr, int quiet, char **out, size_t *len)
{
	struct sbuf b = { NULL, 0, 8192, 0 };
	int side;

	*out = NULL;
	if (quiet < 0 || quiet > 16)
		return -1;
	b.p = malloc(b.cap);
	if (b.p == NULL)
		return -1;
	side = qr->width + 2 * quiet;
	sbuf_add(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path d=\"",
	    side, side, side, side);
	for (int y = 0; y < qr->width; y++) {
		for (int x = 0; x < qr->width;) {
			int run = 0;

			if (!qr_dark(qr, x, y)) {
				x++;
				continue;
			}
			while (qr_dark(qr, x + run, y))
				run++;
			sbuf_add(&b, "M%d %dh%dv1h-%dz", x + quiet, y + quiet,
			    run, run);
			x += run;
		}
	}
	sbuf_add(&b, "\" fill=\"#000\"/></svg>");
	if (b.failed) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	if (len != NULL)
		*len = b.len;
	return 0;
}
