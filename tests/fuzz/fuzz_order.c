/*
 * libFuzzer target for orders/order.c: the input is a sealed order's JSON
 * as the intake node would hand it over.  order_decode() must refuse it
 * cleanly or produce an order that encodes and decodes back to the same
 * thing, in both modes.  The real catalogue is loaded once from templates/
 * (the binary runs from the repository root).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "orders/order.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct catalogue *cat;

static void
load_catalogue(void)
{
	char errbuf[256];

	cat = catalogue_load("templates", errbuf, sizeof(errbuf));
	if (cat == NULL) {
		fprintf(stderr, "fuzz_order: %s (run from the repo root)\n",
		    errbuf);
		abort();
	}
}

static void
same(const struct order *a, const struct order *b, int all)
{
	size_t i;

	if (strcmp(a->pseudonym, b->pseudonym) != 0 ||
	    a->nlines != b->nlines || strcmp(a->postcode, b->postcode) != 0 ||
	    strcmp(a->commune, b->commune) != 0 ||
	    strcmp(a->phone, b->phone) != 0 || strcmp(a->note, b->note) != 0)
		abort();
	for (i = 0; i < a->nlines; i++)
		if (strcmp(a->lines[i], b->lines[i]) != 0)
			abort();
	if (!all)
		return;
	if (strcmp(a->dept, b->dept) != 0 || strcmp(a->lang, b->lang) != 0 ||
	    a->consent_call != b->consent_call ||
	    a->consent_sms != b->consent_sms ||
	    a->poste_restante != b->poste_restante ||
	    a->for_people != b->for_people || a->channel != b->channel ||
	    a->npacks != b->npacks)
		abort();
	for (i = 0; i < a->npacks; i++)
		if (strcmp(a->packs[i].pack, b->packs[i].pack) != 0 ||
		    a->packs[i].qty != b->packs[i].qty ||
		    strcmp(a->packs[i].variant, b->packs[i].variant) != 0)
			abort();
}

static void
round_trip(const struct order *o, enum order_encode_what what)
{
	struct order back;
	struct field_error err;
	char *json = NULL;
	size_t len;

	memset(&back, 0, sizeof(back));
	if (order_encode(o, what, &json, &len) != 0)
		abort();
	if (order_decode(json, len, what, cat, &back, &err) != 0)
		abort();
	same(o, &back, what == ORDER_ENCODE_ALL);
	str_wipe_free(json);
	order_clear(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct order o;
	struct field_error err;

	if (cat == NULL)
		load_catalogue();
	memset(&o, 0, sizeof(o));
	if (order_decode((const char *)data, size, ORDER_ENCODE_ALL, cat, &o,
	    &err) == 0) {
		if (o.nlines == 0 || o.npacks == 0 || o.dept[0] == '\0')
			abort();
		round_trip(&o, ORDER_ENCODE_ALL);
		round_trip(&o, ORDER_ENCODE_PII);
	} else if (err.field[0] == '\0' || err.msg[0] == '\0') {
		abort();
	}
	memset(&o, 0, sizeof(o));
	if (order_decode((const char *)data, size, ORDER_ENCODE_PII, cat, &o,
	    &err) == 0)
		round_trip(&o, ORDER_ENCODE_PII);
	order_clear(&o);
	return 0;
}
