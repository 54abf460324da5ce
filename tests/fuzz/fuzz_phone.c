/*
 * libFuzzer target for orders/phone.c: any input either normalises to an
 * E.164 number ('+', 8 to 15 digits) that normalises to itself again, or is
 * refused with a "phone" error whose message does not repeat the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "orders/phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* true when @s holds a run of at least 4 digits. */
static int
has_digit_run(const char *s)
{
	int run = 0;

	for (; *s != '\0'; s++) {
		run = (*s >= '0' && *s <= '9') ? run + 1 : 0;
		if (run >= 4)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[PHONE_E164_MAX], again[PHONE_E164_MAX];
	struct field_error err;
	char *in = malloc(size + 1);
	size_t i, len;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (phone_normalise(in, out, &err) == 0) {
		len = strlen(out);
		if (out[0] != '+' || len < 9 || len > 16 || out[1] == '0')
			abort();
		for (i = 1; i < len; i++)
			if (out[i] < '0' || out[i] > '9')
				abort();
		if (phone_normalise(out, again, &err) != 0 ||
		    strcmp(out, again) != 0)
			abort();
	} else {
		if (strcmp(err.field, "phone") != 0 || err.msg[0] == '\0' ||
		    out[0] != '\0')
			abort();
		if (has_digit_run(in) && strstr(err.msg, in) != NULL)
			abort();
	}
	free(in);
	return 0;
}
