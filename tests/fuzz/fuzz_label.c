/*
 * libFuzzer target for the text paths of printer/: the input is split at
 * '\n' into pieces.  The first seven pieces are an address block (7 to
 * reach the "at most 6" refusal) with the last piece as the tracking URL:
 * label_content_check() and the ZPL of the label (zpl_add_label()), whose
 * promises are checked when it is accepted (framed by ^XA/^XZ, field data
 * printable ASCII without ^ or ~).  Every piece goes through zpl_ascii()
 * with an output buffer the input sizes, label_code_group() and
 * label_find_word(); the whole input through slip_texts_parse() as a
 * templates/slip file.  Nothing may read or write out of bounds (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "printer/label.h"
#include "printer/slip.h"
#include "printer/zpl.h"

#define PIECES_MAX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct label_sender sender = {
	"SERVICE EXPEDITIONS", "BP 80001", "33000", "BORDEAUX",
};

static const char *const words[] = { "naloxone", "réduction des risques",
    "шприц", "kit" };

static void
check_piece(const char *s, size_t outsz)
{
	char ascii[512], grouped[LABEL_CODE_MAX * 2], err[200];

	if (outsz > sizeof(ascii))
		outsz = sizeof(ascii);
	if (outsz > 0 && zpl_ascii(s, ascii, outsz, err, sizeof(err)) == 0) {
		for (const char *p = ascii; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				abort();
		if (strlen(ascii) >= outsz)
			abort();
	}
	if (label_code_group(s, grouped, sizeof(grouped)) == 0 &&
	    strlen(grouped) > LABEL_CODE_MAX + LABEL_CODE_MAX / 4)
		abort();
	(void)label_find_word(s, words, ARRAY_LEN(words));
}

/* The ZPL of an accepted label keeps its promises. */
static void
check_zpl(const unsigned char *z, size_t len)
{
	char *s;

	if (len < 8 || memcmp(z, "^XA", 3) != 0 ||
	    memcmp(z + len - 4, "^XZ\n", 4) != 0 || memchr(z, 0, len) != NULL)
		abort();
	s = malloc(len + 1);
	if (s == NULL)
		return;
	memcpy(s, z, len);
	s[len] = '\0';
	for (const char *p = strstr(s, "^FD"); p != NULL && p < s + len;
	    p = strstr(p + 1, "^FD")) {
		const char *fs = strstr(p, "^FS");

		if (fs == NULL)
			abort();
		for (const char *q = p + 3; q < fs; q++)
			if (*q == '^' || *q == '~' || (unsigned char)*q < 0x20 ||
			    (unsigned char)*q > 0x7e)
				abort();
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *pieces[PIECES_MAX];
	size_t n = 0;
	char err[512];

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	{
		struct slip_texts *t = slip_texts_parse("fuzz.ini", text, err,
		    sizeof(err));

		if (t != NULL && slip_texts_get(t, "title") == NULL)
			abort();
		slip_texts_free(t);
	}

	for (char *p = text; n < PIECES_MAX;) {
		char *nl = strchr(p, '\n');

		pieces[n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	for (size_t i = 0; i < n; i++)
		check_piece(pieces[i], size > 0 ? data[0] * 2u + 1 : 1);

	if (n >= 2) {
		struct label_content lc;
		struct zpl *z = zpl_new();
		unsigned char *out = NULL;
		size_t len = 0;

		memset(&lc, 0, sizeof(lc));
		lc.nlines = n - 1 > 7 ? 7 : n - 1;
		for (size_t i = 0; i < lc.nlines && i < LABEL_LINES_MAX; i++)
			lc.lines[i] = pieces[i];
		lc.url = pieces[n - 1];
		lc.code = "7K3M9QXW2HB4RT6N8";
		if (z != NULL) {
			int rc = zpl_add_label(z, &sender, &lc, err,
			    sizeof(err));

			if (rc == 0 && label_content_check(&lc, err,
			    sizeof(err)) != 0)
				abort();
			if (rc == 0) {
				if (zpl_take(z, &out, &len) != 0)
					abort();
				check_zpl(out, len);
				free(out);
			} else if (err[0] == '\0' || zpl_count(z) != 0) {
				abort();
			}
		}
		zpl_free(z);
	}
	free(text);
	return 0;
}
