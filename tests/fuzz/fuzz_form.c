/*
 * libFuzzer target for server/form.c: form_parse() on any bytes.  An
 * accepted form must hold at most FORM_FIELDS_MAX fields whose keys and
 * values are within their limits, NUL-free and valid UTF-8; every value
 * must survive form_encode() and a second parse unchanged; a refusal
 * must name a field and never quote more than the field's name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "server/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const char *key, const char *value)
{
	static char enc[3 * FORM_VALUE_MAX + 8];
	static char body[3 * FORM_VALUE_MAX + 16];
	struct form *g = NULL;
	int n;

	if (form_encode(value, enc, sizeof(enc)) != 0)
		abort();
	n = snprintf(body, sizeof(body), "k=%s", enc);
	if (n < 0 || (size_t)n >= sizeof(body))
		abort();
	if (form_parse(body, (size_t)n, &g, NULL) != FORM_OK ||
	    form_count(g) != 1 || strcmp(form_get(g, "k"), value) != 0)
		abort();
	form_free(g);
	(void)key;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct field_error err;
	struct form *f = NULL;
	enum form_status st;

	memset(&err, 0, sizeof(err));
	st = form_parse((const char *)data, size, &f, &err);
	if (st != FORM_OK) {
		if (f != NULL || err.field[0] == '\0' || err.msg[0] == '\0')
			abort();
		return 0;
	}
	if (form_count(f) > FORM_FIELDS_MAX)
		abort();
	for (size_t i = 0; i < form_count(f); i++) {
		const char *k = form_key_at(f, i), *v = form_value_at(f, i);
		size_t kl = strlen(k), vl = strlen(v);

		if (kl == 0 || kl > FORM_KEY_MAX || vl > FORM_VALUE_MAX ||
		    !utf8_valid(k, kl) || !utf8_valid(v, vl))
			abort();
		if (form_get(f, k) == NULL || form_count_key(f, k) == 0)
			abort();
		round_trip(k, v);
	}
	form_free(f);
	return 0;
}
