/*
 * libFuzzer target for server/template.c: the input is a template, and
 * after a line "----" an i18n [messages] file for it.  A template that
 * parses is rendered with a small context holding markup in every value;
 * the output must be bounded, and no value set with template_set() may
 * come out unescaped (the marker "<x-" only appears when the template
 * itself wrote it).  The same bytes are also an Accept-Language header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct template_ctx *
context(void)
{
	struct template_ctx *ctx = template_ctx_new(), *it;

	if (ctx == NULL)
		abort();
	if (template_set(ctx, "v", "<x-v>\"'&") != 0 ||
	    template_set(ctx, "ref", "<x-ref>") != 0 ||
	    template_set(ctx, "empty", "") != 0 ||
	    template_set_bool(ctx, "yes", true) != 0 ||
	    template_set_bool(ctx, "no", false) != 0 ||
	    template_set_raw(ctx, "raw", "<svg/>") != 0)
		abort();
	for (int i = 0; i < 3; i++) {
		it = template_list_add(ctx, "items");
		if (it == NULL || template_set(it, "n", "<x-n>") != 0 ||
		    template_set_bool(it, "odd", i % 2 == 1) != 0)
			abort();
		if (template_list_add(it, "sub") == NULL)
			abort();
	}
	return ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct template_ctx *ctx;
	struct template_set *ts;
	char errbuf[256], *text, *sep, *ini = NULL, *out = NULL;
	size_t len = 0;

	if (size > 64 * 1024)
		return 0;
	if (ctx == NULL)
		ctx = context();
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)template_lang_pick(NULL, NULL, text, "fr");
	sep = strstr(text, "\n----\n");
	if (sep != NULL) {
		*sep = '\0';
		ini = sep + 6;
	}
	ts = template_parse_string("t", text, ini != NULL ? "fr" : NULL, ini,
	    errbuf, sizeof(errbuf));
	if (ts == NULL) {
		if (errbuf[0] == '\0')
			abort();
		free(text);
		return 0;
	}
	(void)template_lang_pick(ts, text, text, "fr");
	if (template_render(ts, "t", "fr", ctx, &out, &len) == 0) {
		if (len > TEMPLATE_OUTPUT_MAX || strlen(out) != len)
			abort();
		/* Markup of values only comes out escaped. */
		if (strstr(text, "<x-") == NULL && (ini == NULL ||
		    strstr(ini, "<x-") == NULL) && strstr(out, "<x-") != NULL)
			abort();
		free(out);
	}
	template_free(ts);
	free(text);
	return 0;
}
