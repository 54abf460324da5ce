/*
 * ZPL II labels for 203 dpi thermal printers; see zpl.h.  A label is built
 * whole in a bounded local buffer and appended only once it is complete,
 * so a refused label leaves the document as it was.
 *
 * Positions follow the PDF layout of printer/label.c (100 x 150 mm, 6 mm
 * margins): sender block at the top, a rule, the address block in the
 * middle, a rule, the QR code bottom left and the tracking code beside it.
 * The address font height is chosen from the longest line so that the
 * widest line still fits; ^FB keeps every field on one line inside the
 * label whatever the printer's font metrics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/util.h"
#include "printer/label.h"
#include "printer/zpl.h"

#define MARGIN (6 * ZPL_DPMM)		/* 48 dots */
#define INNER (ZPL_WIDTH - 2 * MARGIN)	/* 704 dots of text width */
#define SENDER_H 24			/* sender font height, dots */
#define ADDR_H_MAX 64			/* 8 mm: a short address */
#define ADDR_H_MIN 24			/* 3 mm: the legibility floor */
/* Width of a character of font 0 as a share of its height, rounded up. */
#define CHAR_W_NUM 62
#define CHAR_W_DEN 100
#define ADDR_TOP (28 * ZPL_DPMM)
#define ADDR_BOTTOM (92 * ZPL_DPMM)
#define RULE1_Y (20 * ZPL_DPMM)
#define RULE2_Y (96 * ZPL_DPMM)
#define QR_X MARGIN
#define QR_Y (104 * ZPL_DPMM)
#define QR_MAG 7			/* dots a module */
#define CODE_X (52 * ZPL_DPMM)
#define CODE_Y (120 * ZPL_DPMM)
#define CODE_H 30
#define ASCII_MAX (LABEL_LINE_MAX * 4 + 1)	/* "SHCH" per letter */
#define FIELD_MAX (ASCII_MAX * 3 + 1)		/* every byte hex-escaped */

struct zpl {
	char *p;
	size_t len, cap;
	size_t count;
};

/* ASCII for U+00C0..U+017F, case kept; NULL: no letter (x and /). */
static const char *const latin[] = {
	/* U+00C0 */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* U+00C8 */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* U+00D0 */ "D", "N", "O", "O", "O", "O", "O", "x",
	/* U+00D8 */ "O", "U", "U", "U", "U", "Y", "TH", "ss",
	/* U+00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* U+00E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00F0 */ "d", "n", "o", "o", "o", "o", "o", "/",
	/* U+00F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
	/* U+0100 */ "A", "a", "A", "a", "A", "a", "C", "c",
	/* U+0108 */ "C", "c", "C", "c", "C", "c", "D", "d",
	/* U+0110 */ "D", "d", "E", "e", "E", "e", "E", "e",
	/* U+0118 */ "E", "e", "E", "e", "G", "g", "G", "g",
	/* U+0120 */ "G", "g", "G", "g", "H", "h", "H", "h",
	/* U+0128 */ "I", "i", "I", "i", "I", "i", "I", "i",
	/* U+0130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k",
	/* U+0138 */ "k", "L", "l", "L", "l", "L", "l", "L",
	/* U+0140 */ "l", "L", "l", "N", "n", "N", "n", "N",
	/* U+0148 */ "n", "n", "N", "n", "O", "o", "O", "o",
	/* U+0150 */ "O", "o", "OE", "oe", "R", "r", "R", "r",
	/* U+0158 */ "R", "r", "S", "s", "S", "s", "S", "s",
	/* U+0160 */ "S", "s", "T", "t", "T", "t", "T", "t",
	/* U+0168 */ "U", "u", "U", "u", "U", "u", "U", "u",
	/* U+0170 */ "U", "u", "U", "u", "W", "w", "Y", "y",
	/* U+0178 */ "Y", "Z", "z", "Z", "z", "Z", "z", "s",
};

/*
 * Russian Cyrillic U+0410..U+042F (upper case; lower case is +0x20), in
 * the ICAO 9303 transliteration Russian passports use.
 */
static const char *const cyrillic[] = {
	"A", "B", "V", "G", "D", "E", "ZH", "Z",
	"I", "I", "K", "L", "M", "N", "O", "P",
	"R", "S", "T", "U", "F", "KH", "TS", "CH",
	"SH", "SHCH", "IE", "Y", "", "E", "IU", "IA",
};

/* Other code points with an ASCII form. */
static const struct {
	unsigned long cp;
	const char *ascii;
} others[] = {
	{ 0x00a0, " " }, { 0x00ab, "\"" }, { 0x00ad, "" }, { 0x00b0, "o" },
	{ 0x00b7, "." }, { 0x00bb, "\"" },
	{ 0x0218, "S" }, { 0x0219, "s" }, { 0x021a, "T" }, { 0x021b, "t" },
	{ 0x0401, "E" }, { 0x0404, "IE" }, { 0x0406, "I" }, { 0x0407, "I" },
	{ 0x0451, "e" }, { 0x0454, "ie" }, { 0x0456, "i" }, { 0x0457, "i" },
	{ 0x0490, "G" }, { 0x0491, "g" },
	{ 0x2009, " " }, { 0x2010, "-" }, { 0x2011, "-" }, { 0x2012, "-" },
	{ 0x2013, "-" }, { 0x2014, "-" }, { 0x2018, "'" }, { 0x2019, "'" },
	{ 0x201a, "'" }, { 0x201c, "\"" }, { 0x201d, "\"" }, { 0x201e, "\"" },
	{ 0x2026, "..." }, { 0x202f, " " }, { 0x20ac, "EUR" },
};

/* Decode one code point of valid UTF-8 at *p and advance past it. */
static unsigned long
next_cp(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned long cp;
	size_t n;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 1;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 2;
		cp = s[0] & 0x0f;
	} else {
		n = 3;
		cp = s[0] & 0x07;
	}
	for (size_t k = 1; k <= n; k++)
		cp = (cp << 6) | (s[k] & 0x3f);
	*p += n + 1;
	return cp;
}

static bool
cyrillic_lower(unsigned long cp)
{
	return (cp >= 0x0430 && cp <= 0x044f) || (cp >= 0x0450 &&
	    cp <= 0x045f);
}

/*
 * The ASCII for @cp into @buf (at least 8 bytes); @next is the code point
 * after it (0 at the end), which decides "Zh" (Жанна) or "ZH" (ЖАННА).
 * Returns @buf, or NULL when @cp has no ASCII form.
 */
static const char *
translit(unsigned long cp, unsigned long next, char *buf)
{
	const char *t = NULL;
	bool upper = false;

	if (cp >= 0x20 && cp < 0x7f) {
		buf[0] = (char)cp;
		buf[1] = '\0';
		return buf;
	}
	if (cp >= 0xc0 && cp <= 0x17f)
		t = latin[cp - 0xc0];
	else if (cp >= 0x0410 && cp <= 0x042f) {
		t = cyrillic[cp - 0x0410];
		upper = true;
	} else if (cp >= 0x0430 && cp <= 0x044f)
		t = cyrillic[cp - 0x0430];
	else {
		for (size_t i = 0; i < ARRAY_LEN(others); i++)
			if (others[i].cp == cp)
				t = others[i].ascii;
		upper = cp == 0x0401 || cp == 0x0404 || cp == 0x0406 ||
		    cp == 0x0407 || cp == 0x0490;
	}
	if (t == NULL)
		return NULL;
	if (str_copy(buf, 8, t) < 0)
		return NULL;
	if (cp >= 0x0400 && cp <= 0x04ff) {
		/* The table is upper case: lower it all, or all but one. */
		bool keep_upper = upper && !cyrillic_lower(next);

		for (size_t i = 0; buf[i] != '\0'; i++)
			if (!keep_upper && (i > 0 || !upper) &&
			    buf[i] >= 'A' && buf[i] <= 'Z')
				buf[i] = (char)(buf[i] - 'A' + 'a');
	}
	return buf;
}

int
zpl_ascii(const char *in, char *out, size_t outsz, char *errbuf,
    size_t errsz)
{
	const char *p = in;
	size_t n = 0;
	char buf[8];

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	if (!utf8_valid(in, strlen(in)) || utf8_has_control(in)) {
		errbuf_set(errbuf, errsz, "not valid UTF-8 text without "
		    "control characters");
		return -1;
	}
	while (*p != '\0') {
		unsigned long cp = next_cp(&p);
		const char *q = p;
		unsigned long next = *q != '\0' ? next_cp(&q) : 0;
		const char *t = translit(cp, next, buf);
		size_t tl;

		if (t == NULL) {
			errbuf_set(errbuf, errsz, "a character (U+%04lX) has "
			    "no ASCII form for the label printer", cp);
			out[0] = '\0';
			return -1;
		}
		tl = strlen(t);
		if (tl >= outsz - n) {
			errbuf_set(errbuf, errsz, "too long");
			out[0] = '\0';
			return -1;
		}
		memcpy(out + n, t, tl);
		n += tl;
	}
	out[n] = '\0';
	return 0;
}

struct zpl *
zpl_new(void)
{
	return calloc(1, sizeof(struct zpl));
}

void
zpl_free(struct zpl *z)
{
	if (z == NULL)
		return;
	if (z->p != NULL)
		OPENSSL_cleanse(z->p, z->cap);
	free(z->p);
	free(z);
}

size_t
zpl_count(const struct zpl *z)
{
	return z->count;
}

/* A label being built: a fixed buffer, and a flag once it overflows. */
struct lbuf {
	char p[ZPL_LABEL_MAX];
	size_t len;
	bool full;
};

static void __attribute__((format(printf, 2, 3)))
add(struct lbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, sizeof(b->p) - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(b->p) - b->len) {
		b->full = true;
		return;
	}
	b->len += (size_t)n;
}

/*
 * Field data for ^FH_: printable ASCII as is, except the ZPL prefixes ^
 * and ~ and the escape character _ itself, written as _XX.
 */
static void
add_field(struct lbuf *b, const char *ascii)
{
	char esc[FIELD_MAX];
	size_t n = 0;

	for (const char *s = ascii; *s != '\0'; s++) {
		if (n + 4 > sizeof(esc)) {
			b->full = true;
			return;
		}
		if (*s == '^' || *s == '~' || *s == '_') {
			static const char hex[] = "0123456789ABCDEF";

			esc[n++] = '_';
			esc[n++] = hex[((unsigned char)*s) >> 4];
			esc[n++] = hex[((unsigned char)*s) & 0xf];
		} else {
			esc[n++] = *s;
		}
	}
	esc[n] = '\0';
	add(b, "^FH_^FD%s^FS\n", esc);
	OPENSSL_cleanse(esc, sizeof(esc));
}

/* One line of text at (@x, @y), font 0 @h dots high, kept to @w dots. */
static void
add_text(struct lbuf *b, int x, int y, int h, int w, const char *ascii)
{
	add(b, "^FO%d,%d^A0N,%d,%d^FB%d,1,0,L,0", x, y, h, h, w);
	add_field(b, ascii);
}

int
zpl_add_label(struct zpl *z, const struct label_sender *s,
    const struct label_content *lc, char *errbuf, size_t errsz)
{
	struct lbuf *b = NULL;
	char (*ascii)[ASCII_MAX] = NULL;
	char sender[LABEL_SENDER_LINES][ASCII_MAX], joined[LABEL_LINE_BYTES];
	char code[LABEL_CODE_MAX * 2], why[160];
	size_t maxlen = 0, nsender = 0;
	int h, pitch, y, rc = -1;

	if (label_content_check(lc, errbuf, errsz) < 0)
		return -1;
	b = calloc(1, sizeof(*b));
	ascii = calloc(LABEL_LINES_MAX, sizeof(*ascii));
	if (b == NULL || ascii == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < lc->nlines; i++) {
		size_t n;

		if (zpl_ascii(lc->lines[i], ascii[i], sizeof(ascii[i]), why,
		    sizeof(why)) < 0) {
			errbuf_set(errbuf, errsz, "address line %zu: %s", i + 1,
			    why);
			goto out;
		}
		n = strlen(ascii[i]);
		if (n > maxlen)
			maxlen = n;
	}
	if (str_printf(joined, sizeof(joined), "%s %s", s->postcode,
	    s->commune) < 0) {
		errbuf_set(errbuf, errsz, "sender: postcode and commune too "
		    "long");
		goto out;
	}
	{
		const char *src[LABEL_SENDER_LINES] = { s->name, s->line,
		    joined };

		for (size_t i = 0; i < LABEL_SENDER_LINES; i++) {
			if (src[i] == NULL || src[i][0] == '\0')
				continue;
			if (zpl_ascii(src[i], sender[nsender],
			    sizeof(sender[0]), why, sizeof(why)) < 0) {
				errbuf_set(errbuf, errsz, "sender line %zu: %s",
				    i + 1, why);
				goto out;
			}
			nsender++;
		}
	}
	if (label_code_group(lc->code, code, sizeof(code)) < 0) {
		errbuf_set(errbuf, errsz, "tracking code: malformed");
		goto out;
	}

	/* The widest line decides the height, up to 8 mm. */
	h = ADDR_H_MAX;
	if (maxlen > 0 && (int)(maxlen * CHAR_W_NUM * ADDR_H_MAX / CHAR_W_DEN) >
	    INNER)
		h = (int)((size_t)INNER * CHAR_W_DEN / (maxlen * CHAR_W_NUM));
	if (h < ADDR_H_MIN) {
		errbuf_set(errbuf, errsz, "address: a line is too wide to "
		    "print legibly on the label");
		goto out;
	}
	pitch = h + h / 4;
	while (pitch * (int)lc->nlines > ADDR_BOTTOM - ADDR_TOP && h >
	    ADDR_H_MIN) {
		h--;
		pitch = h + h / 4;
	}

	add(b, "^XA\n^CI28\n^PW%d\n^LL%d\n^LH0,0\n", ZPL_WIDTH, ZPL_LENGTH);
	y = MARGIN;
	for (size_t i = 0; i < nsender; i++) {
		add_text(b, MARGIN, y, SENDER_H, INNER, sender[i]);
		y += SENDER_H + SENDER_H / 3;
	}
	add(b, "^FO%d,%d^GB%d,2,2^FS\n", MARGIN, RULE1_Y, INNER);
	/* The address block, centred in its band. */
	y = ADDR_TOP + (ADDR_BOTTOM - ADDR_TOP - pitch * (int)lc->nlines) / 2;
	for (size_t i = 0; i < lc->nlines; i++) {
		add_text(b, MARGIN, y, h, INNER, ascii[i]);
		y += pitch;
	}
	add(b, "^FO%d,%d^GB%d,2,2^FS\n", MARGIN, RULE2_Y, INNER);
	/* QR model 2, error correction M, automatic mode: the URL alone. */
	add(b, "^FO%d,%d^BQN,2,%d", QR_X, QR_Y, QR_MAG);
	{
		char qr[LABEL_URL_MAX + 8];

		if (str_printf(qr, sizeof(qr), "MA,%s", lc->url) < 0) {
			errbuf_set(errbuf, errsz, "tracking URL: too long");
			goto out;
		}
		add_field(b, qr);
	}
	add_text(b, CODE_X, CODE_Y, CODE_H, ZPL_WIDTH - MARGIN - CODE_X, code);
	add(b, "^PQ1\n^XZ\n");
	if (b->full) {
		errbuf_set(errbuf, errsz, "label: more than %d bytes of ZPL",
		    ZPL_LABEL_MAX);
		goto out;
	}

	if (z->len + b->len > LABEL_DOC_MAX) {
		errbuf_set(errbuf, errsz, "document: more than %u bytes",
		    LABEL_DOC_MAX);
		goto out;
	}
	if (z->len + b->len > z->cap) {
		size_t ncap = z->cap == 0 ? 8192 : z->cap;
		char *np;

		while (ncap < z->len + b->len)
			ncap *= 2;
		if (ncap > LABEL_DOC_MAX)
			ncap = LABEL_DOC_MAX;
		np = malloc(ncap);
		if (np == NULL) {
			errbuf_set(errbuf, errsz, "out of memory");
			goto out;
		}
		/* Copy, then wipe the old buffer: it holds addresses. */
		if (z->len > 0)
			memcpy(np, z->p, z->len);
		if (z->p != NULL)
			OPENSSL_cleanse(z->p, z->cap);
		free(z->p);
		z->p = np;
		z->cap = ncap;
	}
	memcpy(z->p + z->len, b->p, b->len);
	z->len += b->len;
	z->count++;
	rc = 0;
out:
	if (b != NULL)
		OPENSSL_cleanse(b, sizeof(*b));
	free(b);
	if (ascii != NULL)
		OPENSSL_cleanse(ascii, LABEL_LINES_MAX * sizeof(*ascii));
	free(ascii);
	OPENSSL_cleanse(joined, sizeof(joined));
	return rc;
}

int
zpl_take(struct zpl *z, unsigned char **out, size_t *len)
{
	unsigned char *p;

	*out = NULL;
	*len = 0;
	if (z->count == 0)
		return -1;
	p = malloc(z->len);
	if (p == NULL)
		return -1;
	memcpy(p, z->p, z->len);
	*out = p;
	*len = z->len;
	OPENSSL_cleanse(z->p, z->cap);
	z->len = 0;
	z->count = 0;
	return 0;
}
