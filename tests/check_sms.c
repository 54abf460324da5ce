/*
 * Check suite for orders/sms.c: the grammar in every language (keywords,
 * case, accents, punctuation, greetings), the pack and quantity rules and
 * every way an SMS is refused (with a reason that never quotes the text),
 * the size limits (1600 and 1601 bytes, a 1,000-character SMS), decoding
 * of what Kannel passes (UCS-2, Latin-1), the GSM 03.38 decision and its
 * lengths, the reply texts of templates/sms (each one SMS, neutral, naming
 * only keywords that work in its own language) and their loading errors,
 * and the envelope's encode/decode with every refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "orders/sms.h"
#include "tests/testutil.h"

static struct catalogue *cat;
static char errbuf[512];

static void
load_cat(void)
{
	cat = catalogue_load("templates", errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "%s", errbuf);
}

static void
free_cat(void)
{
	catalogue_free(cat);
	cat = NULL;
}

static enum sms_command
parse(const char *s, struct sms_message *m)
{
	return sms_parse(s, strlen(s), cat, m);
}

/* The quantity of @code in @m, 0 when absent. */
static int
qty(const struct sms_message *m, const char *code)
{
	for (size_t i = 0; i < m->npacks; i++)
		if (strcmp(m->packs[i].code, code) == 0)
			return m->packs[i].qty;
	return 0;
}

/* Append @s to the string in @buf (1024 bytes). */
static void
append(char *buf, const char *s)
{
	size_t n = strlen(buf), k = strlen(s);

	ck_assert_uint_lt(n + k, 1024);
	memcpy(buf + n, s, k + 1);
}

/* --- keywords ----------------------------------------------------------- */

static const struct {
	const char *text;
	enum sms_command cmd;
	const char *lang;
} kw_table[] = {
	{ "COMMANDE", SMS_ORDER, "fr" }, { "commande", SMS_ORDER, "fr" },
	{ "Commander", SMS_ORDER, "fr" }, { "CMD", SMS_ORDER, "fr" },
	{ "recommande", SMS_ORDER, "fr" },
	{ "ORDER", SMS_ORDER, "en" }, { "reorder", SMS_ORDER, "en" },
	{ "Pedido", SMS_ORDER, "es" }, { "pedir", SMS_ORDER, "es" },
	{ "ENCOMENDA", SMS_ORDER, "pt" }, { "encomendar", SMS_ORDER, "pt" },
	{ "ЗАКАЗ", SMS_ORDER, "ru" }, { "заказ", SMS_ORDER, "ru" },
	{ "Заказать", SMS_ORDER, "ru" },
	{ "APPEL", SMS_CALL, "fr" }, { "rappel", SMS_CALL, "fr" },
	{ "Rappelez-moi", SMS_CALL, "fr" }, { "appelez moi svp", SMS_CALL,
	    "fr" }, { "rappeler", SMS_CALL, "fr" }, { "appeler", SMS_CALL,
	    "fr" },
	{ "CALL", SMS_CALL, "en" }, { "call me back please", SMS_CALL, "en" },
	{ "callback", SMS_CALL, "en" },
	{ "LLAMAR", SMS_CALL, "es" }, { "llamame", SMS_CALL, "es" },
	{ "llámame", SMS_CALL, "es" }, { "llamada", SMS_CALL, "es" },
	{ "llamen", SMS_CALL, "es" },
	{ "LIGAR", SMS_CALL, "pt" }, { "ligue", SMS_CALL, "pt" },
	{ "liguem", SMS_CALL, "pt" },
	{ "ПОЗВОНИТЕ", SMS_CALL, "ru" }, { "перезвоните", SMS_CALL, "ru" },
	{ "позвонить", SMS_CALL, "ru" }, { "звонок", SMS_CALL, "ru" },
	/* ё is е: a typed ё still matches. */
	{ "пёрезвоните", SMS_CALL, "ru" },
	{ "AIDE", SMS_HELP, "fr" }, { "aide", SMS_HELP, "fr" },
	{ "HELP", SMS_HELP, "en" }, { "AYUDA", SMS_HELP, "es" },
	{ "ajuda", SMS_HELP, "pt" }, { "ПОМОЩЬ", SMS_HELP, "ru" },
	{ "помощь", SMS_HELP, "ru" }, { "info", SMS_HELP, "" },
	{ "INFOS", SMS_HELP, "" },
	{ "STOP", SMS_STOP, "" }, { "stop", SMS_STOP, "" },
	{ "ARRET", SMS_STOP, "fr" }, { "ARRÊT", SMS_STOP, "fr" },
	{ "arrêt", SMS_STOP, "fr" }, { "Arrêter", SMS_STOP, "fr" },
	{ "PARAR", SMS_STOP, "es" }, { "sair", SMS_STOP, "pt" },
	{ "СТОП", SMS_STOP, "ru" }, { "стоп", SMS_STOP, "ru" },
	{ "START", SMS_START, "" }, { "reprise", SMS_START, "fr" },
	{ "Reprendre", SMS_START, "fr" }, { "INICIO", SMS_START, "es" },
	{ "inicio", SMS_START, "es" }, { "INICIAR", SMS_START, "pt" },
	{ "СТАРТ", SMS_START, "ru" }, { "старт", SMS_START, "ru" },
	/* Spaces, punctuation, greetings and politeness around them. */
	{ "  stop  ", SMS_STOP, "" }, { "Stop!!!", SMS_STOP, "" },
	{ "\tSTOP\n", SMS_STOP, "" }, { "...stop...", SMS_STOP, "" },
	{ "«STOP»", SMS_STOP, "" }, { "STOP 🙏", SMS_STOP, "" },
	{ "Bonjour, AIDE svp", SMS_HELP, "fr" },
	{ "Bonjour ! Commande, merci.", SMS_ORDER, "fr" },
	{ "hello, HELP me", SMS_HELP, "en" },
	{ "Hola, buenos días: AYUDA por favor", SMS_HELP, "es" },
	{ "Olá, bom dia. Ajuda, obrigado", SMS_HELP, "pt" },
	{ "Здравствуйте! Помощь, пожалуйста", SMS_HELP, "ru" },
	{ "STOP SMS", SMS_STOP, "" }, { "stop merci", SMS_STOP, "" },
	{ "ＳＴＯＰ", SMS_STOP, "" },
};

START_TEST(test_keywords)
{
	struct sms_message m;

	for (size_t i = 0; i < ARRAY_LEN(kw_table); i++) {
		enum sms_command c = parse(kw_table[i].text, &m);

		ck_assert_msg(c == kw_table[i].cmd, "[%s]: %s, want %s (%s)",
		    kw_table[i].text, sms_command_name(c),
		    sms_command_name(kw_table[i].cmd), m.err.msg);
		ck_assert_msg(m.command == c, "%s", kw_table[i].text);
		ck_assert_msg(strcmp(m.lang, kw_table[i].lang) == 0,
		    "[%s]: lang %s, want %s", kw_table[i].text, m.lang,
		    kw_table[i].lang);
		if (c != SMS_ORDER)
			ck_assert_uint_eq(m.npacks, 0);
	}
}
END_TEST

static const char *const unknown_table[] = {
	"hello world",
	"je veux arrêter",		/* a keyword, but not first */
	"Bonjour",			/* greetings only */
	"merci !",
	"COMMAND",			/* near misses */
	"STOPP",
	"INJ 2",			/* codes without a keyword */
	"2 INJ",
	"SEX",
	"СТОПП",
	"ЗАКАЗЫ",
};

START_TEST(test_unknown_keywords)
{
	struct sms_message m;

	for (size_t i = 0; i < ARRAY_LEN(unknown_table); i++) {
		ck_assert_msg(parse(unknown_table[i], &m) == SMS_UNKNOWN,
		    "[%s] is %s", unknown_table[i],
		    sms_command_name(m.command));
		ck_assert_str_eq(m.err.field, "text");
		ck_assert_msg(strstr(m.err.msg, "keyword") != NULL, "[%s]: %s",
		    unknown_table[i], m.err.msg);
		ck_assert_str_eq(m.lang, "");
		ck_assert_uint_eq(m.npacks, 0);
	}
}
END_TEST

/* --- orders ------------------------------------------------------------- */

static const struct {
	const char *text;
	const char *lang;
	int inj, nalox, inhal;
	size_t npacks;
} order_table[] = {
	{ "COMMANDE", "fr", 0, 0, 0, 0 },
	{ "PEDIDO", "es", 0, 0, 0, 0 },
	{ "ENCOMENDA", "pt", 0, 0, 0, 0 },
	{ "ЗАКАЗ", "ru", 0, 0, 0, 0 },
	{ "commande svp merci", "fr", 0, 0, 0, 0 },
	{ "COMMANDE INJ 2 NALOX", "fr", 2, 1, 0, 2 },
	{ "ORDER INJ2", "en", 2, 0, 0, 1 },
	{ "ORDER inj2 nalox3", "en", 2, 3, 0, 2 },
	{ "commande inj", "fr", 1, 0, 0, 1 },
	{ "COMMANDE INJ NALOX 2", "fr", 1, 2, 0, 2 },
	{ "PEDIDO 2 INJ, 1 NALOX", "es", 2, 1, 0, 2 },
	{ "ENCOMENDA 2 INJ 3 NALOX", "pt", 2, 3, 0, 2 },
	{ "ЗАКАЗ INJ x2", "ru", 2, 0, 0, 1 },
	{ "ЗАКАЗ INJ х2", "ru", 0, 0, 0, 99 },	/* Cyrillic х: unknown */
	{ "COMMANDE INJx2", "fr", 2, 0, 0, 1 },
	{ "COMMANDE 2xINJ", "fr", 2, 0, 0, 1 },
	{ "COMMANDE 2x INJ", "fr", 2, 0, 0, 1 },
	{ "COMMANDE x2 INJ", "fr", 2, 0, 0, 1 },
	{ "COMMANDE 2INJ", "fr", 2, 0, 0, 1 },
	{ "COMMANDE INJ:2 NALOX:1", "fr", 2, 1, 0, 2 },
	{ "COMMANDE INJ*2", "fr", 2, 0, 0, 1 },
	{ "COMMANDE INJ 2 3 NALOX", "fr", 2, 3, 0, 2 },
	{ "COMMANDE INJ INJ 2", "fr", 3, 0, 0, 1 },
	{ "COMMANDE INJ 2 INJ 3", "fr", 5, 0, 0, 1 },
	{ "COMMANDE INJ 002", "fr", 2, 0, 0, 1 },
	{ "COMMANDE INJ 999", "fr", 999, 0, 0, 1 },
	{ "COMMANDE INJ 1", "fr", 1, 0, 0, 1 },
	{ "COMMANDE INJ et NALOX", "fr", 1, 1, 0, 2 },
	{ "order INJ and NALOX and INHAL 4 please", "en", 1, 1, 4, 3 },
	{ "Bonjour, commande: 2 inj + 1 inhal. Merci !", "fr", 2, 0, 1, 2 },
	{ "COMMANDE ＩＮＪ ２", "fr", 2, 0, 0, 1 },
};

START_TEST(test_orders)
{
	struct sms_message m;

	for (size_t i = 0; i < ARRAY_LEN(order_table); i++) {
		enum sms_command c = parse(order_table[i].text, &m);

		if (order_table[i].npacks == 99) {
			ck_assert_msg(c == SMS_UNKNOWN, "%s",
			    order_table[i].text);
			continue;
		}
		ck_assert_msg(c == SMS_ORDER, "[%s]: %s (%s)",
		    order_table[i].text, sms_command_name(c), m.err.msg);
		ck_assert_str_eq(m.lang, order_table[i].lang);
		ck_assert_msg(m.npacks == order_table[i].npacks, "[%s]: %zu "
		    "packs", order_table[i].text, m.npacks);
		ck_assert_msg(qty(&m, "INJ") == order_table[i].inj &&
		    qty(&m, "NALOX") == order_table[i].nalox &&
		    qty(&m, "INHAL") == order_table[i].inhal,
		    "[%s]: INJ %d NALOX %d INHAL %d", order_table[i].text,
		    qty(&m, "INJ"), qty(&m, "NALOX"), qty(&m, "INHAL"));
	}
	/* Codes come back as the catalogue spells them, in text order. */
	ck_assert_int_eq(parse("commande nalox inj", &m), SMS_ORDER);
	ck_assert_str_eq(m.packs[0].code, "NALOX");
	ck_assert_str_eq(m.packs[1].code, "INJ");
}
END_TEST

static const struct {
	const char *text;
	const char *rule;	/* a piece of the reason */
} refused_table[] = {
	{ "COMMANDE INJ 0", "1 to 999" },
	{ "COMMANDE INJ 1000", "1 to 999" },
	{ "COMMANDE INJ 000", "1 to 999" },
	{ "COMMANDE 0 INJ", "1 to 999" },
	{ "COMMANDE INJ0", "1 to 999" },
	{ "COMMANDE INJ 100000", "1 to 999" },
	{ "COMMANDE INJ 99999999999999999999999999999999", "1 to 999" },
	{ "COMMANDE INJ -2", "" },	/* '-' separates: INJ 2 */
	{ "COMMANDE FOO", "unknown pack code" },
	{ "COMMANDE INJ FOO", "unknown pack code" },
	{ "COMMANDE INJECTION", "unknown pack code" },
	{ "COMMANDE FOO2", "unknown pack code" },
	{ "COMMANDE 2FOO", "unknown pack code" },
	{ "COMMANDE 3", "without a pack code" },
	{ "COMMANDE INJ 2 3", "without a pack code" },
	{ "COMMANDE 2 3 INJ", "without a pack code" },
	{ "COMMANDE INJ 500 INJ 500", "more than 999" },
	{ "COMMANDE 999 INJ INJ", "more than 999" },
};

START_TEST(test_orders_refused)
{
	struct sms_message m;

	for (size_t i = 0; i < ARRAY_LEN(refused_table); i++) {
		enum sms_command c = parse(refused_table[i].text, &m);

		if (refused_table[i].rule[0] == '\0') {
			ck_assert_msg(c == SMS_ORDER && qty(&m, "INJ") == 2,
			    "%s", refused_table[i].text);
			continue;
		}
		ck_assert_msg(c == SMS_UNKNOWN, "[%s] is %s",
		    refused_table[i].text, sms_command_name(c));
		ck_assert_uint_eq(m.npacks, 0);
		ck_assert_str_eq(m.err.field, "text");
		ck_assert_msg(strstr(m.err.msg, refused_table[i].rule) != NULL,
		    "[%s]: %s", refused_table[i].text, m.err.msg);
		/* The reason never quotes the text. */
		ck_assert_ptr_null(strstr(m.err.msg, "FOO"));
		ck_assert_ptr_null(strstr(m.err.msg, "INJ"));
	}
}
END_TEST

START_TEST(test_too_many_packs)
{
	/* A centre with 20 packs: an SMS may name at most 16 of them. */
	char ini[8192], text[512];
	struct catalogue *big;
	struct sms_message m;
	size_t n = 0, t;

	for (int i = 0; i < 20; i++) {
		int k = snprintf(ini + n, sizeof(ini) - n, "[item IT%d]\n"
		    "name.fr = Objet %d\nunit = piece\nexpiry = no\nlow = 1\n"
		    "\n[pack PK%c]\nversion = 1\nname.fr = Lot %d\n"
		    "weight = 10\nitem = IT%d 1\n\n", i, i, 'A' + i, i, i);
		ck_assert(k > 0 && (size_t)k < sizeof(ini) - n);
		n += (size_t)k;
	}
	big = catalogue_parse_string("templates", "big.ini", ini, errbuf,
	    sizeof(errbuf));
	ck_assert_msg(big != NULL, "%s", errbuf);
	t = (size_t)snprintf(text, sizeof(text), "COMMANDE");
	for (int i = 0; i < 16; i++)
		t += (size_t)snprintf(text + t, sizeof(text) - t, " PK%c",
		    'A' + i);
	ck_assert_int_eq(sms_parse(text, t, big, &m), SMS_ORDER);
	ck_assert_uint_eq(m.npacks, 16);
	/* 17 different codes: refused.  A repeat is not a new one. */
	t += (size_t)snprintf(text + t, sizeof(text) - t, " PKA");
	ck_assert_int_eq(sms_parse(text, t, big, &m), SMS_ORDER);
	ck_assert_int_eq(qty(&m, "PKA"), 2);
	t += (size_t)snprintf(text + t, sizeof(text) - t, " PKQ");
	ck_assert_int_eq(sms_parse(text, t, big, &m), SMS_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(m.err.msg, "more than 16"));
	catalogue_free(big);
}
END_TEST

/* --- limits and bad bytes ----------------------------------------------- */

START_TEST(test_empty_and_spaces)
{
	static const char *const empty[] = { "", " ", "      ", "\t\n\r ",
	    "!!! ???", "...", "\xc2\xa0\xc2\xa0", "🙂🙂" };
	struct sms_message m;

	for (size_t i = 0; i < ARRAY_LEN(empty); i++) {
		ck_assert_int_eq(parse(empty[i], &m), SMS_UNKNOWN);
		ck_assert_str_eq(m.err.field, "text");
		ck_assert_msg(strstr(m.err.msg, "words") != NULL ||
		    strstr(m.err.msg, "empty") != NULL, "%s", m.err.msg);
	}
	ck_assert_int_eq(sms_parse(NULL, 0, cat, &m), SMS_UNKNOWN);
	ck_assert_str_eq(m.err.msg, "is empty");
}
END_TEST

START_TEST(test_length_limits)
{
	char *buf = malloc(SMS_TEXT_MAX + 2);
	struct sms_message m;

	ck_assert_ptr_nonnull(buf);
	/* Exactly SMS_TEXT_MAX bytes: read. */
	memset(buf, ' ', SMS_TEXT_MAX + 1);
	memcpy(buf, "STOP", 4);
	ck_assert_int_eq(sms_parse(buf, SMS_TEXT_MAX, cat, &m), SMS_STOP);
	/* One more: refused before it is read. */
	ck_assert_int_eq(sms_parse(buf, SMS_TEXT_MAX + 1, cat, &m),
	    SMS_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(m.err.msg, "1600"));

	/* 1,000 characters: one long word after a keyword. */
	memset(buf, 'a', 1000);
	memcpy(buf, "COMMANDE ", 9);
	ck_assert_int_eq(sms_parse(buf, 1000, cat, &m), SMS_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(m.err.msg, "unknown pack code"));
	/* 1,000 characters of digits: a quantity out of range. */
	memset(buf + 13, '7', 1000 - 13);
	memcpy(buf, "COMMANDE INJ ", 13);
	ck_assert_int_eq(sms_parse(buf, 1000, cat, &m), SMS_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(m.err.msg, "1 to 999"));
	/* 1,000 characters after STOP: still STOP. */
	memset(buf, 'z', 1000);
	memcpy(buf, "STOP ", 5);
	ck_assert_int_eq(sms_parse(buf, 1000, cat, &m), SMS_STOP);
	/* A 1,000-character first word is no keyword. */
	memset(buf, 'S', 1000);
	ck_assert_int_eq(sms_parse(buf, 1000, cat, &m), SMS_UNKNOWN);
	/* 500 Cyrillic letters (1,000 bytes). */
	for (size_t i = 0; i < 500; i++)
		memcpy(buf + 2 * i, "я", 2);
	ck_assert_int_eq(sms_parse(buf, 1000, cat, &m), SMS_UNKNOWN);
	/* Many short words: "COMMANDE INJ INJ ..." up to 999. */
	size_t n = (size_t)snprintf(buf, SMS_TEXT_MAX, "COMMANDE");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(buf + n, SMS_TEXT_MAX - n, " INJ");
	ck_assert_int_eq(sms_parse(buf, n, cat, &m), SMS_ORDER);
	ck_assert_int_eq(qty(&m, "INJ"), 300);
	free(buf);
}
END_TEST

START_TEST(test_bad_bytes)
{
	struct sms_message m;

	ck_assert_int_eq(sms_parse("STOP\0x", 6, cat, &m), SMS_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(m.err.msg, "NUL"));
	ck_assert_int_eq(sms_parse("STOP \xff", 6, cat, &m), SMS_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(m.err.msg, "UTF-8"));
	ck_assert_int_eq(sms_parse("ARR\xc3", 4, cat, &m), SMS_UNKNOWN);
	ck_assert_int_eq(sms_parse("\xed\xa0\x80", 3, cat, &m), SMS_UNKNOWN);
	/* An overlong encoding of 'S' is not an S. */
	ck_assert_int_eq(sms_parse("\xc1\x93TOP", 5, cat, &m), SMS_UNKNOWN);
}
END_TEST

START_TEST(test_command_names)
{
	enum sms_command c;
	static const enum sms_command all[] = { SMS_UNKNOWN, SMS_ORDER,
	    SMS_CALL, SMS_HELP, SMS_STOP, SMS_START };

	for (size_t i = 0; i < ARRAY_LEN(all); i++) {
		ck_assert_int_eq(sms_command_parse(sms_command_name(all[i]),
		    &c), 0);
		ck_assert_int_eq(c, all[i]);
	}
	ck_assert_str_eq(sms_command_name(SMS_ORDER), "order");
	ck_assert_str_eq(sms_command_name((enum sms_command)42), "unknown");
	ck_assert_int_eq(sms_command_parse("ORDER", &c), -1);
	ck_assert_int_eq(sms_command_parse(NULL, &c), -1);
}
END_TEST

/* --- decoding ------------------------------------------------------------ */

static char *
decode_ok(const char *in, size_t len, int coding)
{
	char *out = NULL;
	size_t n = 0;

	ck_assert_int_eq(sms_decode(in, len, coding, &out, &n), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), n);
	return out;
}

static void
decode_bad(const char *in, size_t len, int coding)
{
	char *out = (char *)1;
	size_t n = 7;

	ck_assert_int_eq(sms_decode(in, len, coding, &out, &n), -1);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(n, 0);
}

START_TEST(test_decode)
{
	char *s;

	/* UCS-2 (UTF-16BE): "ЗАКАЗ INJ", and a pair for U+1F600. */
	s = decode_ok("\x04\x17\x04\x10\x04\x1a\x04\x10\x04\x17\x00 \x00I"
	    "\x00N\x00J", 18, 2);
	ck_assert_str_eq(s, "ЗАКАЗ INJ");
	free(s);
	s = decode_ok("\xd8\x3d\xde\x00\x00!", 6, 2);
	ck_assert_str_eq(s, "\xf0\x9f\x98\x80!");
	free(s);
	/* "Р" is 04 20: its low byte is a space, kept. */
	s = decode_ok("\x04\x20", 2, 2);
	ck_assert_str_eq(s, "Р");
	free(s);
	s = decode_ok("", 0, 2);
	ck_assert_str_eq(s, "");
	free(s);
	decode_bad("\x00", 1, 2);			/* odd length */
	decode_bad("\xdc\x00\x00\x41", 4, 2);		/* low surrogate first */
	decode_bad("\xd8\x3d", 2, 2);			/* high at the end */
	decode_bad("\xd8\x3d\x00\x41", 4, 2);		/* high, no low */
	decode_bad("\x00\x41\x00\x00", 4, 2);		/* a NUL character */

	/* 7-bit and 8-bit: UTF-8 as it is, else Latin-1. */
	s = decode_ok("Arrêt", strlen("Arrêt"), 0);
	ck_assert_str_eq(s, "Arrêt");
	free(s);
	s = decode_ok("Arr\xeat", 5, 0);
	ck_assert_str_eq(s, "Arrêt");
	free(s);
	s = decode_ok("caf\xe9", 4, 1);
	ck_assert_str_eq(s, "café");
	free(s);
	decode_bad("ST\0P", 4, 0);
	decode_bad("STOP", 4, 3);
	decode_bad("STOP", 4, -1);
	decode_bad(NULL, 4, 0);
	s = decode_ok(NULL, 0, 0);
	ck_assert_str_eq(s, "");
	free(s);

	/* The input limit, and its limit + 1. */
	char *big = malloc(SMS_INPUT_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', SMS_INPUT_MAX + 1);
	s = decode_ok(big, SMS_INPUT_MAX, 0);
	ck_assert_uint_eq(strlen(s), SMS_INPUT_MAX);
	free(s);
	decode_bad(big, SMS_INPUT_MAX + 1, 0);
	/* Latin-1 doubles in UTF-8: still bounded. */
	memset(big, 0xe9, SMS_INPUT_MAX);
	s = decode_ok(big, SMS_INPUT_MAX, 0);
	ck_assert_uint_eq(strlen(s), 2 * SMS_INPUT_MAX);
	free(s);
	free(big);
}
END_TEST

/* --- GSM 03.38 ----------------------------------------------------------- */

START_TEST(test_gsm7)
{
	size_t n = 99;
	bool fits;

	ck_assert(sms_gsm7("Hello", &n));
	ck_assert_uint_eq(n, 5);
	ck_assert(sms_gsm7("é è à ù ì ò Ç É Ñ ñ ü ¿ ¡ £ $ @ _ ß Ø å Δ Ω", &n));
	ck_assert(sms_gsm7("Quelqu'un va vous rappeler très vite.\r\n", NULL));
	/* Extension table: two septets each. */
	ck_assert(sms_gsm7("€[]{}^~|\\", &n));
	ck_assert_uint_eq(n, 18);
	/* Not in GSM 03.38: Kannel would change or drop them. */
	ck_assert(!sms_gsm7("reçu", &n));
	ck_assert_uint_eq(n, 0);
	ck_assert(!sms_gsm7("être", NULL));
	ck_assert(!sms_gsm7("â", NULL));
	ck_assert(!sms_gsm7("ô", NULL));
	ck_assert(!sms_gsm7("ã", NULL));
	ck_assert(!sms_gsm7("á", NULL));
	ck_assert(!sms_gsm7("`", NULL));
	ck_assert(!sms_gsm7("Привет", NULL));
	ck_assert(!sms_gsm7("🙂", NULL));
	ck_assert(!sms_gsm7("\t", NULL));
	ck_assert(!sms_gsm7("\xff", NULL));
	ck_assert(!sms_gsm7(NULL, NULL));
	ck_assert(sms_gsm7("", &n));
	ck_assert_uint_eq(n, 0);

	/* The decision, and one SMS: 160 septets or 70 UCS-2 units. */
	char buf[1024];
	memset(buf, 'a', 161);
	buf[160] = '\0';
	ck_assert_int_eq(sms_coding(buf, &n, &fits), SMS_CODING_GSM7);
	ck_assert_uint_eq(n, 160);
	ck_assert(fits);
	buf[160] = 'a';
	buf[161] = '\0';
	ck_assert_int_eq(sms_coding(buf, &n, &fits), SMS_CODING_GSM7);
	ck_assert(!fits);
	/* 80 euro signs are 160 septets; 81 are not one SMS. */
	buf[0] = '\0';
	for (int i = 0; i < 80; i++)
		append(buf, "€");
	ck_assert_int_eq(sms_coding(buf, &n, &fits), SMS_CODING_GSM7);
	ck_assert_uint_eq(n, 160);
	ck_assert(fits);
	append(buf, "€");
	ck_assert_int_eq(sms_coding(buf, &n, &fits), SMS_CODING_GSM7);
	ck_assert(!fits);
	buf[0] = '\0';
	for (int i = 0; i < 70; i++)
		append(buf, "я");
	ck_assert_int_eq(sms_coding(buf, &n, &fits), SMS_CODING_UCS2);
	ck_assert_uint_eq(n, 70);
	ck_assert(fits);
	append(buf, "a");
	ck_assert_int_eq(sms_coding(buf, &n, &fits), SMS_CODING_UCS2);
	ck_assert(!fits);
	/* One ç in a French text: all of it goes UCS-2. */
	ck_assert_int_eq(sms_coding("Message reçu", &n, &fits),
	    SMS_CODING_UCS2);
	ck_assert_uint_eq(n, 12);
	/* Outside the BMP: two UTF-16 units. */
	ck_assert_int_eq(sms_coding("🙂", &n, &fits), SMS_CODING_UCS2);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(sms_coding("\xc3", &n, &fits), -1);
	ck_assert_int_eq(sms_coding(NULL, &n, &fits), -1);
}
END_TEST

/* --- reply texts -------------------------------------------------------- */

static const char *const langs[] = { "fr", "en", "es", "pt", "ru" };
static const enum sms_command replies[] = { SMS_ORDER, SMS_CALL, SMS_HELP,
    SMS_STOP, SMS_START, SMS_UNKNOWN };

/* Words that must never be on a phone screen, folded to lower case. */
static const char *const indiscreet[] = {
	"drog", "drug", "serin", "syring", "jering", "seringa", "nalox",
	"naloxon", "injec", "needle", "aiguil", "aguja", "agulha", "kit",
	"risque", "harm", "reduc", "redu", "caarud", "csapa", "overdose",
	"pipe", "crack", "preservati", "condom",
	"нарко", "шприц", "налокс", "игл", "инъек", "передоз",
	"INJ", "NALOX", "INHAL", "SNIFF", "SEX", "SHARPS",
};

static void
lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Upper-case words of @text (Latin or Cyrillic capitals), at least 4. */
static void
check_keywords_in(const char *text, const char *lang)
{
	const char *p = text;
	struct sms_message m;
	char word[128];

	while (*p) {
		size_t n = 0;
		int caps = 1;

		while (*p == ' ' || *p == '.' || *p == ',' || *p == ':' ||
		    *p == '!')
			p++;
		while (p[n] && p[n] != ' ' && p[n] != '.' && p[n] != ',' &&
		    p[n] != ':' && p[n] != '!')
			n++;
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];
			/* a-z, or Cyrillic lower case (D0 B0.. D1 8F). */
			if ((c >= 'a' && c <= 'z') || (c == 0xd1 && i + 1 < n) ||
			    (c == 0xd0 && i + 1 < n &&
			    (unsigned char)p[i + 1] >= 0xb0))
				caps = 0;
		}
		if (caps && n >= 4 && n < sizeof(word) && strncmp(p, "SMS",
		    3) != 0) {
			memcpy(word, p, n);
			word[n] = '\0';
			ck_assert_msg(parse(word, &m) != SMS_UNKNOWN, "%s: the "
			    "reply names %s, which is no keyword", lang, word);
			ck_assert_msg(m.lang[0] == '\0' ||
			    strcmp(m.lang, lang) == 0, "%s: %s answers in %s",
			    lang, word, m.lang);
		}
		p += n;
	}
}

START_TEST(test_texts_shipped)
{
	struct sms_texts *t = sms_texts_load(cat, errbuf, sizeof(errbuf));

	ck_assert_msg(t != NULL, "%s", errbuf);
	for (size_t l = 0; l < ARRAY_LEN(langs); l++) {
		const char *order = sms_texts_reply(t, langs[l], SMS_ORDER,
		    false);

		for (size_t r = 0; r < ARRAY_LEN(replies) + 1; r++) {
			bool retry = r == ARRAY_LEN(replies);
			const char *s = sms_texts_reply(t, langs[l], retry ?
			    SMS_ORDER : replies[r], retry);
			char low[SMS_REPLY_BYTES];
			size_t units;
			bool fits;

			ck_assert_ptr_nonnull(s);
			ck_assert_uint_gt(strlen(s), 10);
			ck_assert_int_ge(sms_coding(s, &units, &fits), 0);
			ck_assert_msg(fits, "%s: longer than one SMS: %s",
			    langs[l], s);
			ck_assert_int_eq(str_copy(low, sizeof(low), s), 0);
			lower_ascii(low);
			for (size_t k = 0; k < ARRAY_LEN(indiscreet); k++) {
				ck_assert_msg(strstr(s, indiscreet[k]) == NULL &&
				    strstr(low, indiscreet[k]) == NULL,
				    "%s: '%s' in %s", langs[l], indiscreet[k],
				    s);
			}
			check_keywords_in(s, langs[l]);
		}
		/* UNKNOWN gets the help text; each language its own. */
		ck_assert_str_eq(sms_texts_reply(t, langs[l], SMS_UNKNOWN,
		    false), sms_texts_reply(t, langs[l], SMS_HELP, false));
		if (strcmp(langs[l], "fr") != 0)
			ck_assert_str_ne(order, sms_texts_reply(t, "fr",
			    SMS_ORDER, false));
	}
	/* An order tells a new sender someone will call. */
	ck_assert_ptr_nonnull(strstr(sms_texts_reply(t, "fr", SMS_ORDER,
	    false), "rappeler"));
	ck_assert_ptr_nonnull(strstr(sms_texts_reply(t, "en", SMS_ORDER,
	    false), "call you"));
	ck_assert_ptr_nonnull(strstr(sms_texts_reply(t, "ru", SMS_ORDER,
	    false), "перезвонят"));
	/* French replies are written in the GSM alphabet (é, è kept). */
	ck_assert(sms_gsm7(sms_texts_reply(t, "fr", SMS_ORDER, false), NULL));
	ck_assert_int_eq(sms_coding(sms_texts_reply(t, "ru", SMS_ORDER,
	    false), NULL, NULL), SMS_CODING_UCS2);
	/* Unknown language, none: French. */
	ck_assert_str_eq(sms_texts_reply(t, "xx", SMS_STOP, false),
	    sms_texts_reply(t, "fr", SMS_STOP, false));
	ck_assert_str_eq(sms_texts_reply(t, NULL, SMS_STOP, false),
	    sms_texts_reply(t, "fr", SMS_STOP, false));
	ck_assert_str_eq(sms_texts_reply(t, "", SMS_CALL, false),
	    sms_texts_reply(t, "fr", SMS_CALL, false));
	sms_texts_free(t);
	sms_texts_free(NULL);
}
END_TEST

/* A templates directory with i18n/ (fr, en) and sms/fr.ini = @fr. */
static char tdir[4096];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static struct sms_texts *
load_with(const char *fr, const char *en)
{
	char p[4300];
	struct catalogue *c;
	struct sms_texts *t;

	ck_assert_int_eq(str_copy(tdir, sizeof(tdir), testutil_mkdtemp()), 0);
	snprintf(p, sizeof(p), "%s/i18n", tdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/sms", tdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/i18n/fr.ini", tdir);
	write_file(p, "[messages]\nlang.name = Français\n");
	snprintf(p, sizeof(p), "%s/i18n/en.ini", tdir);
	write_file(p, "[messages]\nlang.name = English\n");
	if (fr != NULL) {
		snprintf(p, sizeof(p), "%s/sms/fr.ini", tdir);
		write_file(p, fr);
	}
	if (en != NULL) {
		snprintf(p, sizeof(p), "%s/sms/en.ini", tdir);
		write_file(p, en);
	}
	/* A one-pack catalogue in this directory: languages fr and en. */
	c = catalogue_parse_string(tdir, "packs.ini",
	    "[item A1]\nname.fr = a\nunit = piece\nexpiry = no\nlow = 1\n"
	    "[pack AA]\nversion = 1\nname.fr = a\nweight = 1\nitem = A1 1\n",
	    errbuf, sizeof(errbuf));
	ck_assert_msg(c != NULL, "%s", errbuf);
	t = sms_texts_load(c, errbuf, sizeof(errbuf));
	catalogue_free(c);
	testutil_rmtree(tdir);
	return t;
}

#define GOOD_FR "[sms]\norder = o\ncall = c\nhelp = h\nstop = s\n" \
	"start = d\nretry = r\n"

START_TEST(test_texts_errors)
{
	struct sms_texts *t;
	char big[1024];

	t = load_with(GOOD_FR, NULL);
	ck_assert_msg(t != NULL, "%s", errbuf);
	/* en has no file: French. */
	ck_assert_str_eq(sms_texts_reply(t, "en", SMS_ORDER, false), "o");
	ck_assert_str_eq(sms_texts_reply(t, "en", SMS_ORDER, true), "r");
	sms_texts_free(t);

	t = load_with(GOOD_FR, "[sms]\norder = O\ncall = C\nhelp = H\n"
	    "stop = S\nstart = D\nretry = R\n");
	ck_assert_msg(t != NULL, "%s", errbuf);
	ck_assert_str_eq(sms_texts_reply(t, "en", SMS_START, false), "D");
	ck_assert_str_eq(sms_texts_reply(t, "fr", SMS_START, false), "d");
	sms_texts_free(t);

	ck_assert_ptr_null(load_with(NULL, GOOD_FR));
	ck_assert_ptr_nonnull(strstr(errbuf, "fr.ini"));
	ck_assert_ptr_null(load_with("[sms]\norder = o\n", NULL));
	ck_assert_ptr_nonnull(strstr(errbuf, "call is missing"));
	ck_assert_ptr_null(load_with(GOOD_FR "order = again\n", NULL));
	ck_assert_ptr_nonnull(strstr(errbuf, "twice"));
	ck_assert_ptr_null(load_with(GOOD_FR "hello = x\n", NULL));
	ck_assert_ptr_nonnull(strstr(errbuf, "unknown key"));
	ck_assert_ptr_null(load_with(GOOD_FR "[other]\nx = y\n", NULL));
	ck_assert_ptr_nonnull(strstr(errbuf, "unknown section"));
	ck_assert_ptr_null(load_with("[sms]\norder = a\tb\ncall = c\n"
	    "help = h\nstop = s\nstart = d\nretry = r\n", NULL));
	ck_assert_ptr_nonnull(strstr(errbuf, "control"));
	/* A broken English file is an error too, not a silent fallback. */
	ck_assert_ptr_null(load_with(GOOD_FR, "[sms]\norder = O\n"));
	ck_assert_ptr_nonnull(strstr(errbuf, "en.ini"));

	/* 160 GSM characters fit; 161 do not; 70 UCS-2, not 71. */
	memset(big, 0, sizeof(big));
	memcpy(big, "[sms]\ncall = c\nhelp = h\nstop = s\nstart = d\n"
	    "retry = r\norder = ", 60);
	memset(big + 60, 'x', 160);
	append(big, "\n");
	t = load_with(big, NULL);
	ck_assert_msg(t != NULL, "%s", errbuf);
	sms_texts_free(t);
	big[60 + 160] = 'x';
	big[60 + 161] = '\n';
	ck_assert_ptr_null(load_with(big, NULL));
	ck_assert_ptr_nonnull(strstr(errbuf, "one SMS"));
	big[60] = '\0';
	for (int i = 0; i < 70; i++)
		append(big, "ж");
	append(big, "\n");
	t = load_with(big, NULL);
	ck_assert_msg(t != NULL, "%s", errbuf);
	sms_texts_free(t);
	big[60] = '\0';
	for (int i = 0; i < 71; i++)
		append(big, "ж");
	append(big, "\n");
	ck_assert_ptr_null(load_with(big, NULL));
	ck_assert_ptr_nonnull(strstr(errbuf, "one SMS"));
}
END_TEST

/* --- the envelope ------------------------------------------------------- */

static void
sample(struct sms_envelope *e)
{
	memset(e, 0, sizeof(*e));
	e->command = SMS_ORDER;
	ck_assert_int_eq(str_copy(e->from, sizeof(e->from), "+33612345678"),
	    0);
	ck_assert_int_eq(str_copy(e->to, sizeof(e->to), "38100"), 0);
	ck_assert_int_eq(str_copy(e->text, sizeof(e->text),
	    "Commande INJ 2 \"merci\"\nà bientôt"), 0);
	ck_assert_int_eq(str_copy(e->lang, sizeof(e->lang), "fr"), 0);
	ck_assert_int_eq(str_copy(e->packs[0].code, sizeof(e->packs[0].code),
	    "INJ"), 0);
	e->packs[0].qty = 2;
	ck_assert_int_eq(str_copy(e->packs[1].code, sizeof(e->packs[1].code),
	    "NALOX"), 0);
	e->packs[1].qty = 1;
	e->npacks = 2;
	e->received_at = 1795295850;
}

START_TEST(test_envelope_round_trip)
{
	struct sms_envelope e, back;
	struct field_error err;
	char *json = NULL;
	size_t len = 0;

	sample(&e);
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), 0);
	ck_assert_uint_eq(strlen(json), len);
	ck_assert_ptr_nonnull(strstr(json, "\"v\":1"));
	ck_assert_ptr_nonnull(strstr(json, "\"kind\":\"sms\""));
	ck_assert_ptr_nonnull(strstr(json, "\"command\":\"order\""));
	ck_assert_ptr_nonnull(strstr(json, "\"from\":\"+33612345678\""));
	ck_assert_ptr_nonnull(strstr(json, "\"packs\":[{\"code\":\"INJ\","
	    "\"qty\":2},{\"code\":\"NALOX\",\"qty\":1}]"));
	ck_assert_ptr_nonnull(strstr(json, "\"received_at\":1795295850"));
	ck_assert_int_eq(sms_envelope_decode(json, len, cat, &back, &err), 0);
	ck_assert_int_eq(back.command, SMS_ORDER);
	ck_assert_str_eq(back.from, e.from);
	ck_assert_str_eq(back.to, e.to);
	ck_assert_str_eq(back.text, e.text);
	ck_assert_str_eq(back.lang, "fr");
	ck_assert_uint_eq(back.npacks, 2);
	ck_assert_str_eq(back.packs[1].code, "NALOX");
	ck_assert_int_eq(back.packs[0].qty, 2);
	ck_assert_int_eq((long)back.received_at, 1795295850L);
	str_wipe_free(json);
	sms_envelope_clear(&back);
	ck_assert_str_eq(back.from, "");
	ck_assert_str_eq(back.text, "");
	sms_envelope_clear(NULL);

	/* Each storing command, without packs; a full-length text. */
	static const enum sms_command cmds[] = { SMS_CALL, SMS_STOP,
	    SMS_START, SMS_ORDER };
	for (size_t i = 0; i < ARRAY_LEN(cmds); i++) {
		sample(&e);
		e.command = cmds[i];
		e.npacks = 0;
		e.to[0] = '\0';
		memset(e.text, 'a', SMS_TEXT_MAX);
		e.text[SMS_TEXT_MAX] = '\0';
		ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), 0);
		ck_assert_int_eq(sms_envelope_decode(json, len, cat, &back,
		    &err), 0);
		ck_assert_int_eq(back.command, cmds[i]);
		ck_assert_uint_eq(back.npacks, 0);
		ck_assert_uint_eq(strlen(back.text), SMS_TEXT_MAX);
		str_wipe_free(json);
	}
	/* Control characters everywhere still fit the envelope limit. */
	sample(&e);
	memset(e.text, '\x01', SMS_TEXT_MAX);
	e.text[SMS_TEXT_MAX] = '\0';
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), 0);
	ck_assert_uint_le(len, SMS_ENVELOPE_MAX);
	ck_assert_int_eq(sms_envelope_decode(json, len, cat, &back, &err), 0);
	str_wipe_free(json);
}
END_TEST

START_TEST(test_envelope_encode_refused)
{
	struct sms_envelope e;
	char *json = (char *)1;
	size_t len;

	sample(&e);
	e.command = SMS_HELP;
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
	ck_assert_ptr_null(json);
	sample(&e);
	e.command = SMS_UNKNOWN;
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
	sample(&e);
	e.command = SMS_CALL;		/* packs only with order */
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
	sample(&e);
	ck_assert_int_eq(str_copy(e.from, sizeof(e.from), "0612345678"), 0);
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
	sample(&e);
	e.packs[0].qty = 0;
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
	sample(&e);
	e.packs[0].qty = 1000;
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
	sample(&e);
	e.lang[0] = '\0';
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
	sample(&e);
	e.text[0] = '\xff';
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
	sample(&e);
	e.to[0] = '\n';
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
	sample(&e);
	e.received_at = -1;
	ck_assert_int_eq(sms_envelope_encode(&e, &json, &len), -1);
}
END_TEST

static const struct {
	const char *json;
	const char *field;
} bad_envelopes[] = {
	{ "", "envelope" },
	{ "[]", "envelope" },
	{ "nope", "envelope" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[],\"received_at\":1,\"extra\":1}", "envelope" },
	{ "{\"v\":2,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[],\"received_at\":1}", "v" },
	{ "{\"v\":1,\"kind\":\"web\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[],\"received_at\":1}", "kind" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"help\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[],\"received_at\":1}", "command" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"0612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[],\"received_at\":1}", "from" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33 6 12 34 56 78\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[],\"received_at\":1}", "from" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\\n\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[],\"received_at\":1}", "to" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"a\\u0000b\",\"lang\":"
	  "\"fr\",\"packs\":[],\"received_at\":1}", "envelope" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"xx\","
	  "\"packs\":[],\"received_at\":1}", "lang" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[{\"code\":\"FOO\",\"qty\":1}],\"received_at\":1}",
	  "packs" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[{\"code\":\"INJ\",\"qty\":0}],\"received_at\":1}",
	  "packs" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[{\"code\":\"INJ\",\"qty\":1000}],\"received_at\":1}",
	  "packs" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[{\"code\":\"INJ\",\"qty\":1},{\"code\":\"inj\","
	  "\"qty\":1}],\"received_at\":1}", "packs" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[{\"code\":\"INJ\",\"qty\":1,\"variant\":\"x\"}],"
	  "\"received_at\":1}", "packs" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"stop\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[{\"code\":\"INJ\",\"qty\":1}],\"received_at\":1}",
	  "packs" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[],\"received_at\":-1}", "received_at" },
	{ "{\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[]}", "received_at" },
	{ "{\"v\":1,\"v\":1,\"kind\":\"sms\",\"command\":\"order\",\"from\":"
	  "\"+33612345678\",\"to\":\"\",\"text\":\"x\",\"lang\":\"fr\","
	  "\"packs\":[],\"received_at\":1}", "envelope" },
};

START_TEST(test_envelope_decode_refused)
{
	struct sms_envelope e;
	struct field_error err;

	for (size_t i = 0; i < ARRAY_LEN(bad_envelopes); i++) {
		const char *j = bad_envelopes[i].json;

		memset(&err, 0, sizeof(err));
		ck_assert_msg(sms_envelope_decode(j, strlen(j), cat, &e,
		    &err) == -1, "accepted #%zu", i);
		ck_assert_msg(strcmp(err.field, bad_envelopes[i].field) == 0,
		    "#%zu: field %s, want %s", i, err.field,
		    bad_envelopes[i].field);
		ck_assert_ptr_null(strstr(err.msg, "3361234"));
		ck_assert_str_eq(e.from, "");
	}
	/* Size limit and limit + 1. */
	char *big = malloc(SMS_ENVELOPE_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', SMS_ENVELOPE_MAX + 1);
	ck_assert_int_eq(sms_envelope_decode(big, SMS_ENVELOPE_MAX + 1, cat,
	    &e, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "16384"));
	ck_assert_int_eq(sms_envelope_decode(big, SMS_ENVELOPE_MAX, cat, &e,
	    &err), -1);
	ck_assert_ptr_null(strstr(err.msg, "16384"));
	free(big);
}
END_TEST

static Suite *
sms_suite(void)
{
	Suite *s = suite_create("sms");
	TCase *tc = tcase_create("sms");

	tcase_add_checked_fixture(tc, load_cat, free_cat);
	tcase_add_test(tc, test_keywords);
	tcase_add_test(tc, test_unknown_keywords);
	tcase_add_test(tc, test_orders);
	tcase_add_test(tc, test_orders_refused);
	tcase_add_test(tc, test_too_many_packs);
	tcase_add_test(tc, test_empty_and_spaces);
	tcase_add_test(tc, test_length_limits);
	tcase_add_test(tc, test_bad_bytes);
	tcase_add_test(tc, test_command_names);
	tcase_add_test(tc, test_decode);
	tcase_add_test(tc, test_gsm7);
	tcase_add_test(tc, test_texts_shipped);
	tcase_add_test(tc, test_texts_errors);
	tcase_add_test(tc, test_envelope_round_trip);
	tcase_add_test(tc, test_envelope_encode_refused);
	tcase_add_test(tc, test_envelope_decode_refused);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(sms_suite)
