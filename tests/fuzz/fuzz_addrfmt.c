/*
 * libFuzzer target for the label address block, address_format_label()
 * (shipping/address.c).  The input is split at '\n': the first piece is
 * the recipient (a leading '!' asks for poste restante), the last two the
 * postcode and the commune, the ones between the address lines (at most
 * PIECES_MAX).  An accepted block must keep every promise of address.h:
 * 2 to 6 lines of 1 to 38 printable ASCII characters, no space at either
 * end and no two in a row, AFNOR positions rising from 1 to 6, line 6
 * starting with the postcode and in capitals like line 5, lines 4 to 6
 * without punctuation.  A refusal must name a field and leave the block
 * wiped.  ASan/UBSan catch any read or write out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "shipping/address.h"

#define PIECES_MAX 12

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_line(const struct address_label *lab, size_t i)
{
	const char *l = lab->line[i];
	size_t len = strnlen(l, sizeof(lab->line[i]));
	int pos = lab->afnor[i];

	if (len == 0 || len > ADDRESS_LINE_MAX || l[0] == ' ' ||
	    l[len - 1] == ' ' || strstr(l, "  ") != NULL)
		abort();
	if (pos < 1 || pos > ADDRESS_LABEL_LINES ||
	    (i > 0 && pos <= lab->afnor[i - 1]))
		abort();
	for (size_t k = 0; k < len; k++) {
		char c = l[k];

		if (c < 0x20 || c > 0x7e || c == '^' || c == '~' || c == '\\')
			abort();
		if (pos >= 5 && c >= 'a' && c <= 'z')
			abort();
		if (pos >= 4 && !(c == ' ' || (c >= '0' && c <= '9') ||
		    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pieces[PIECES_MAX + 3];
	struct address_parts in;
	struct address_label lab;
	struct field_error err;
	size_t n = 0, i;
	char *buf, *p;

	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (p = buf; n < ARRAY_LEN(pieces);) {
		char *nl = strchr(p, '\n');

		pieces[n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	memset(&in, 0, sizeof(in));
	in.recipient = pieces[0];
	if (in.recipient[0] == '!') {
		in.poste_restante = true;
		in.recipient++;
	}
	if (n >= 3) {
		in.postcode = pieces[n - 2];
		in.commune = pieces[n - 1];
		in.lines = pieces + 1;
		in.nlines = n - 3;
	} else if (n == 2) {
		in.postcode = pieces[1];
	}
	memset(&err, 0, sizeof(err));
	if (address_format_label(&in, &lab, &err) == 0) {
		if (lab.nlines < 2 || lab.nlines > ADDRESS_LABEL_LINES ||
		    lab.afnor[0] != 1 || lab.afnor[lab.nlines - 1] != 6)
			abort();
		for (i = 0; i < lab.nlines; i++)
			check_line(&lab, i);
		if (strncmp(lab.line[lab.nlines - 1], in.postcode,
		    ADDRESS_POSTCODE_LEN) != 0)
			abort();
		address_label_clear(&lab);
		if (lab.nlines != 0 || lab.line[0][0] != '\0')
			abort();
	} else {
		if (err.field[0] == '\0' || err.msg[0] == '\0' ||
		    lab.nlines != 0 || lab.line[0][0] != '\0')
			abort();
	}
	free(buf);
	return 0;
}
