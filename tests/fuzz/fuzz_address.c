/*
 * libFuzzer target for shipping/address.c.  The input is split at '\n'
 * into pieces; every piece goes through the postcode, line and commune
 * checks and the poste restante test, and all of them through
 * address_normalise() as lines (the first two also as postcode and
 * commune), with an output buffer whose size the input chooses.  Checks
 * that accepted values keep their promises (lengths, département codes,
 * normalised text is upper-case UTF-8) and that nothing reads or writes
 * out of bounds (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "shipping/address.h"

#define PIECES_MAX 16
#define OUT_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_piece(const char *s)
{
	char dept[ADDRESS_DEPT_MAX];
	struct field_error err;

	if (address_postcode_check(s, dept, &err) == 0) {
		if (strlen(s) != ADDRESS_POSTCODE_LEN || strlen(dept) < 2 ||
		    strlen(dept) > 3)
			abort();
	} else if (strcmp(err.field, "postcode") != 0 || dept[0] != '\0') {
		abort();
	}
	if (address_line_check("line", s, &err) == 0) {
		if (!utf8_valid(s, strlen(s)) || utf8_has_control(s) ||
		    utf8_len(s) > ADDRESS_LINE_MAX)
			abort();
	} else if (strcmp(err.field, "line") != 0 || err.msg[0] == '\0') {
		abort();
	}
	if (address_commune_check(s, &err) == 0) {
		if (!utf8_valid(s, strlen(s)) ||
		    utf8_len(s) > ADDRESS_LINE_MAX - ADDRESS_POSTCODE_LEN - 1)
			abort();
	} else if (strcmp(err.field, "commune") != 0 || err.msg[0] == '\0') {
		abort();
	}
	(void)address_is_poste_restante(s);
}

/* The canonical form is a fixed point: normalising it again is a no-op. */
static void
renormalise(const char *out, size_t outsz)
{
	const char *lines[PIECES_MAX + 2];
	char *copy = strdup(out), *again = malloc(outsz), *p;
	size_t n = 0;

	if (copy == NULL || again == NULL)
		goto out;
	for (p = copy; *p != '\0' && n < ARRAY_LEN(lines);) {
		char *nl = strchr(p, '\n');

		lines[n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	if (address_normalise(lines, n, NULL, NULL, again, outsz) != 0 ||
	    strcmp(again, out) != 0)
		abort();
out:
	free(copy);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pieces[PIECES_MAX];
	char *copy, *p, *out;
	size_t n = 0, outsz, i;

	if (size == 0)
		return 0;
	/* The first byte picks the output size; the rest is the text. */
	outsz = (size_t)data[0] * 4 % OUT_MAX + 1;
	copy = malloc(size);
	out = malloc(outsz);
	if (copy == NULL || out == NULL)
		goto out;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	for (p = copy; n < PIECES_MAX;) {
		char *nl = strchr(p, '\n');

		pieces[n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	for (i = 0; i < n; i++)
		check_piece(pieces[i]);
	if (address_normalise(pieces, n, pieces[0], n > 1 ? pieces[1] : NULL,
	    out, outsz) == 0) {
		const unsigned char *o = (const unsigned char *)out;

		if (strlen(out) >= outsz || !utf8_valid(out, strlen(out)))
			abort();
		for (; *o != '\0'; o++)
			if ((*o >= 'a' && *o <= 'z') ||
			    (*o < 0x20 && *o != '\n') || *o == 0x7f)
				abort();
		renormalise(out, outsz);
	} else if (out[0] != '\0') {
		abort();
	}
out:
	free(copy);
	free(out);
	return 0;
}
