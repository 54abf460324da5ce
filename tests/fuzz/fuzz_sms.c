/*
 * libFuzzer target for orders/sms.c: arbitrary bytes as an SMS, as
 * Kannel's three codings would deliver them, and as a sealed envelope
 * the console opens.  The grammar must give a command whose fields keep
 * their promises (packs known, each once, 1..999; a reason, and no packs,
 * when UNKNOWN); decoding must give well-formed UTF-8; the GSM decision
 * must agree with itself; an envelope that decodes must encode and decode
 * back to the same thing.  The real catalogue is loaded once from
 * templates/ (the binary runs from the repository root).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "orders/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct catalogue *cat;

static void
load_catalogue(void)
{
	char errbuf[256];

	cat = catalogue_load("templates", errbuf, sizeof(errbuf));
	if (cat == NULL) {
		fprintf(stderr, "fuzz_sms: %s (run from the repo root)\n",
		    errbuf);
		abort();
	}
}

static void
check_message(const struct sms_message *m)
{
	switch (m->command) {
	case SMS_UNKNOWN:
		if (m->npacks != 0 || strcmp(m->err.field, "text") != 0 ||
		    m->err.msg[0] == '\0' || m->lang[0] != '\0')
			abort();
		return;
	case SMS_ORDER:
		break;
	case SMS_CALL:
	case SMS_HELP:
	case SMS_STOP:
	case SMS_START:
		if (m->npacks != 0)
			abort();
		break;
	default:
		abort();
	}
	if (m->lang[0] != '\0' && !catalogue_has_lang(cat, m->lang))
		abort();
	if (m->npacks > SMS_PACKS_MAX)
		abort();
	for (size_t i = 0; i < m->npacks; i++) {
		const struct catalogue_pack *p = catalogue_pack(cat,
		    m->packs[i].code);

		if (p == NULL || strcmp(p->code, m->packs[i].code) != 0 ||
		    m->packs[i].qty < SMS_QTY_MIN ||
		    m->packs[i].qty > SMS_QTY_MAX)
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(m->packs[k].code, m->packs[i].code) == 0)
				abort();
	}
}

static void
same_envelope(const struct sms_envelope *a, const struct sms_envelope *b)
{
	if (a->command != b->command || strcmp(a->from, b->from) != 0 ||
	    strcmp(a->to, b->to) != 0 || strcmp(a->text, b->text) != 0 ||
	    strcmp(a->lang, b->lang) != 0 || a->npacks != b->npacks ||
	    a->received_at != b->received_at)
		abort();
	for (size_t i = 0; i < a->npacks; i++)
		if (strcmp(a->packs[i].code, b->packs[i].code) != 0 ||
		    a->packs[i].qty != b->packs[i].qty)
			abort();
}

static void
round_trip(const struct sms_envelope *env)
{
	struct sms_envelope back;
	struct field_error err;
	char *json = NULL;
	size_t len = 0;

	if (sms_envelope_encode(env, &json, &len) != 0)
		abort();
	if (sms_envelope_decode(json, len, cat, &back, &err) != 0)
		abort();
	same_envelope(env, &back);
	str_wipe_free(json);
	sms_envelope_clear(&back);
}

/* Parse @text; a storing command becomes an envelope that round-trips. */
static void
parse_one(const char *text, size_t len)
{
	struct sms_message m;
	struct sms_envelope env;

	(void)sms_parse(text, len, cat, &m);
	check_message(&m);
	if (m.command == SMS_UNKNOWN || m.command == SMS_HELP)
		return;
	memset(&env, 0, sizeof(env));
	env.command = m.command;
	memcpy(env.from, "+33612345678", sizeof("+33612345678"));
	memcpy(env.text, text, len);	/* sms_parse() took <= SMS_TEXT_MAX */
	env.text[len] = '\0';
	memcpy(env.lang, m.lang[0] != '\0' ? m.lang : "fr", 3);
	memcpy(env.packs, m.packs, sizeof(env.packs));
	env.npacks = m.npacks;
	env.received_at = 1795295850;
	round_trip(&env);
	sms_envelope_clear(&env);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sms_envelope env;
	struct field_error err;
	char *copy, *text = NULL;
	size_t n = 0, units = 0, septets = 0;
	bool fits = false;
	int coding;

	if (cat == NULL)
		load_catalogue();

	/* The bytes as an SMS text, as they are. */
	parse_one((const char *)data, size);

	/* As Kannel's codings would pass them. */
	for (int c = 0; c <= 2; c++) {
		if (sms_decode((const char *)data, size, c, &text, &n) != 0)
			continue;
		if (strlen(text) != n || !utf8_valid(text, n))
			abort();
		parse_one(text, n);
		mem_wipe_free(text, n + 1);
		text = NULL;
	}

	/* The GSM decision on a NUL-terminated copy. */
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	coding = sms_coding(copy, &units, &fits);
	if (coding == SMS_CODING_GSM7) {
		if (!sms_gsm7(copy, &septets) || septets != units)
			abort();
	} else if (coding == SMS_CODING_UCS2) {
		if (sms_gsm7(copy, NULL) || units == 0)
			abort();
	} else if (coding != -1 || utf8_valid(copy, strlen(copy))) {
		abort();
	}

	/* As an envelope the console opens. */
	if (sms_envelope_decode((const char *)data, size, cat, &env,
	    &err) == 0) {
		round_trip(&env);
		sms_envelope_clear(&env);
	} else if (err.field[0] == '\0' || err.msg[0] == '\0') {
		abort();
	}
	free(copy);
	return 0;
}
