/*
 * The SMS channel's words (see sms.h for the grammar and the envelope).
 * An SMS is read in one pass over its words: each word is folded (upper
 * case, accents removed, ё = е) into a small fixed buffer while it is cut
 * out of the text, so the work and memory are bounded whatever arrives;
 * a word too long for the buffer matches nothing.  The tables below are
 * the whole vocabulary: keywords with their language, and the greetings
 * and politeness words that are skipped.  The GSM 03.38 table decides how
 * a reply is coded; the reply texts come from templates/sms/<lang>.ini;
 * the envelope is JSON through jansson, whose allocator orders/order.c
 * has made wipe what it frees.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "base/config.h"
#include "base/util.h"
#include "orders/sms.h"

#define WORD_BYTES 64		/* a folded word, NUL included */
#define QTY_DIGITS_MAX 3	/* 999 */
#define TEXTS_FILE_MAX (16 * 1024)
#define ENVELOPE_VERSION 1
#define RECEIVED_AT_MAX 253402300799LL	/* 9999-12-31T23:59:59Z */

/* --- vocabulary --------------------------------------------------------- */

static const struct keyword {
	const char *word;	/* folded: upper case, no accents */
	enum sms_command command;
	const char *lang;	/* "" when shared by several languages */
} keywords[] = {
	{ "COMMANDE", SMS_ORDER, "fr" }, { "COMMANDER", SMS_ORDER, "fr" },
	{ "CMD", SMS_ORDER, "fr" }, { "RECOMMANDE", SMS_ORDER, "fr" },
	{ "ORDER", SMS_ORDER, "en" }, { "REORDER", SMS_ORDER, "en" },
	{ "PEDIDO", SMS_ORDER, "es" }, { "PEDIR", SMS_ORDER, "es" },
	{ "ENCOMENDA", SMS_ORDER, "pt" }, { "ENCOMENDAR", SMS_ORDER, "pt" },
	{ "ЗАКАЗ", SMS_ORDER, "ru" }, { "ЗАКАЗАТЬ", SMS_ORDER, "ru" },

	{ "APPEL", SMS_CALL, "fr" }, { "APPELER", SMS_CALL, "fr" },
	{ "APPELEZ", SMS_CALL, "fr" }, { "RAPPEL", SMS_CALL, "fr" },
	{ "RAPPELER", SMS_CALL, "fr" }, { "RAPPELEZ", SMS_CALL, "fr" },
	{ "CALL", SMS_CALL, "en" }, { "CALLBACK", SMS_CALL, "en" },
	{ "LLAMAR", SMS_CALL, "es" }, { "LLAMADA", SMS_CALL, "es" },
	{ "LLAMEN", SMS_CALL, "es" }, { "LLAMAME", SMS_CALL, "es" },
	{ "LIGAR", SMS_CALL, "pt" }, { "LIGUE", SMS_CALL, "pt" },
	{ "LIGUEM", SMS_CALL, "pt" },
	{ "ПОЗВОНИТЕ", SMS_CALL, "ru" }, { "ПЕРЕЗВОНИТЕ", SMS_CALL, "ru" },
	{ "ПОЗВОНИТЬ", SMS_CALL, "ru" }, { "ЗВОНОК", SMS_CALL, "ru" },

	{ "AIDE", SMS_HELP, "fr" }, { "HELP", SMS_HELP, "en" },
	{ "AYUDA", SMS_HELP, "es" }, { "AJUDA", SMS_HELP, "pt" },
	{ "ПОМОЩЬ", SMS_HELP, "ru" },
	{ "INFO", SMS_HELP, "" }, { "INFOS", SMS_HELP, "" },

	{ "STOP", SMS_STOP, "" }, { "ARRET", SMS_STOP, "fr" },
	{ "ARRETER", SMS_STOP, "fr" }, { "PARAR", SMS_STOP, "es" },
	{ "SAIR", SMS_STOP, "pt" },
	{ "СТОП", SMS_STOP, "ru" },

	{ "START", SMS_START, "" }, { "REPRISE", SMS_START, "fr" },
	{ "REPRENDRE", SMS_START, "fr" }, { "INICIO", SMS_START, "es" },
	{ "INICIAR", SMS_START, "pt" }, { "СТАРТ", SMS_START, "ru" },
};

/*
 * Skipped wherever they stand: greetings, politeness, "and", and the "x"
 * of "INJ x2".  A pack code of the catalogue wins over this list.
 */
static const char *const fillers[] = {
	"BONJOUR", "BONSOIR", "SALUT", "COUCOU", "MERCI", "SVP", "STP", "S",
	"IL", "VOUS", "PLAIT", "ET", "OK",
	"HELLO", "HI", "HEY", "PLEASE", "PLS", "PLZ", "THANKS", "THANK",
	"YOU", "THX", "AND",
	"HOLA", "BUENOS", "BUENAS", "DIAS", "TARDES", "NOCHES", "POR",
	"FAVOR", "GRACIAS", "Y",
	"OLA", "OI", "BOM", "BOA", "DIA", "TARDE", "NOITE", "OBRIGADO",
	"OBRIGADA", "E",
	"ЗДРАВСТВУЙТЕ", "ПРИВЕТ", "ДОБРЫЙ", "ДОБРОЕ", "ДЕНЬ", "ВЕЧЕР",
	"УТРО", "ПОЖАЛУЙСТА", "СПАСИБО", "И",
	"X",
};

static const char *const command_names[] = {
	"unknown", "order", "call", "help", "stop", "start",
};

/* --- UTF-8 -------------------------------------------------------------- */

/*
 * The code point at s[*i] of @len bytes that utf8_valid() accepted; moves
 * *i past it.  Bounds are checked anyway.
 */
static uint32_t
next_cp(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t cp;
	size_t n, k;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 1;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		cp = c & 0x0f;
	} else {
		n = 3;
		cp = c & 0x07;
	}
	for (k = 1; k <= n && *i + k < len; k++)
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	*i += n + 1;
	if (*i > len)
		*i = len;
	return cp;
}

/* Append @cp as UTF-8 to @out of @outsz bytes at *n; -1 when full. */
static int
put_cp(char *out, size_t outsz, size_t *n, uint32_t cp)
{
	unsigned char b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	/* Keep room for the NUL the callers add. */
	if (*n + k >= outsz)
		return -1;
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

/* --- folding ------------------------------------------------------------ */

/*
 * U+00C0..U+00FF and U+0100..U+017F to the capital they are written on;
 * '-' separates words (× ÷), '?' is kept as it is (Æ, ß, Œ...).
 */
static const char fold_latin1[] =
	"AAAAAA?CEEEEIIIIDNOOOOO-OUUUUY??"
	"AAAAAA?CEEEEIIIIDNOOOOO-OUUUUY?Y";
static const char fold_latin_a[] =
	"AAAAAACCCCCCCCDDDDEEEEEEEEEEGGGGGGGGHHHHIIIIIIIIII??JJKK?LLLLLLLLLL"
	"NNNNNN???OOOOOO??RRRRRRSSSSSSSSTTTTTTUUUUUUUUUUUUWWYYYZZZZZZS";
_Static_assert(sizeof(fold_latin1) == 64 + 1, "U+00C0..U+00FF");
_Static_assert(sizeof(fold_latin_a) == 128 + 1, "U+0100..U+017F");

/* Punctuation, symbols, spaces and emoji: they separate words. */
static bool
is_separator(uint32_t cp)
{
	if (cp < 0x80)
		return !((cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= 'a' && cp <= 'z'));
	return (cp >= 0x80 && cp <= 0xbf) ||
	    (cp >= 0x2000 && cp <= 0x206f) ||	/* general punctuation */
	    (cp >= 0x20a0 && cp <= 0x20cf) ||	/* currency */
	    (cp >= 0x2190 && cp <= 0x2bff) ||	/* arrows ... symbols */
	    (cp >= 0x2e00 && cp <= 0x2e7f) ||
	    (cp >= 0x3000 && cp <= 0x303f) ||	/* CJK punctuation */
	    (cp >= 0xfe00 && cp <= 0xfe0f) ||	/* variation selectors */
	    (cp >= 0xfe10 && cp <= 0xfe6f) ||
	    cp == 0xfeff ||
	    (cp >= 0xff01 && cp <= 0xff0f) || (cp >= 0xff1a && cp <= 0xff20) ||
	    (cp >= 0xff3b && cp <= 0xff40) || (cp >= 0xff5b && cp <= 0xff65) ||
	    (cp >= 0x1f000 && cp <= 0x1ffff) ||	/* emoji */
	    (cp >= 0xe0000 && cp <= 0xe007f);	/* tags */
}

/* @cp folded for comparison: capitals, no accents, ё = е. */
static uint32_t
fold(uint32_t cp)
{
	char c;

	if (cp >= 'a' && cp <= 'z')
		return cp - 'a' + 'A';
	if (cp >= 0xc0 && cp <= 0xff) {
		c = fold_latin1[cp - 0xc0];
		return c == '?' ? cp : (uint32_t)(unsigned char)c;
	}
	if (cp >= 0x100 && cp <= 0x17f) {
		c = fold_latin_a[cp - 0x100];
		return c == '?' ? cp : (uint32_t)(unsigned char)c;
	}
	if (cp == 0x400 || cp == 0x401 || cp == 0x450 || cp == 0x451)
		return 0x415;			/* Ѐ Ё ѐ ё: Е */
	if (cp >= 0x430 && cp <= 0x44f)
		return cp - 0x20;		/* а..я */
	if (cp >= 0x450 && cp <= 0x45f)
		return cp - 0x50;		/* ѐ..џ */
	if (cp >= 0xff10 && cp <= 0xff19)
		return cp - 0xff10 + '0';	/* full-width digits */
	if (cp >= 0xff21 && cp <= 0xff3a)
		return cp - 0xff21 + 'A';
	if (cp >= 0xff41 && cp <= 0xff5a)
		return cp - 0xff41 + 'A';
	return cp;
}

/* --- words -------------------------------------------------------------- */

struct cursor {
	const unsigned char *s;
	size_t len;
	size_t i;
};

struct word {
	char w[WORD_BYTES];	/* folded, NUL-terminated */
	bool toolong;		/* did not fit: w matches nothing */
	bool digits;		/* only ASCII digits (whatever the length) */
};

/* The next word into @out; false at the end of the text. */
static bool
next_word(struct cursor *c, struct word *out)
{
	size_t n = 0;
	bool any = false;

	out->w[0] = '\0';
	out->toolong = false;
	out->digits = true;
	while (c->i < c->len) {
		uint32_t cp = fold(next_cp(c->s, c->len, &c->i));

		if (is_separator(cp)) {
			if (any)
				break;
			continue;
		}
		any = true;
		if (cp < '0' || cp > '9')
			out->digits = false;
		if (!out->toolong && put_cp(out->w, sizeof(out->w), &n,
		    cp) != 0)
			out->toolong = true;
	}
	out->w[out->toolong ? 0 : n] = '\0';
	return any;
}

static const struct keyword *
keyword_find(const struct word *w)
{
	if (w->toolong)
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(keywords); i++)
		if (strcmp(w->w, keywords[i].word) == 0)
			return &keywords[i];
	return NULL;
}

static bool
is_filler(const char *w)
{
	for (size_t i = 0; i < ARRAY_LEN(fillers); i++)
		if (strcmp(w, fillers[i]) == 0)
			return true;
	return false;
}

/* --- the order grammar -------------------------------------------------- */

enum tok_kind {
	TOK_SKIP,
	TOK_CODE,
	TOK_NUM,
	TOK_BAD_NUM,	/* digits, but not 1..999 */
	TOK_UNKNOWN,
};

struct tok {
	enum tok_kind kind;
	const struct catalogue_pack *pack;
	int num;
};

static bool
all_in(const char *s, size_t n, const char *set_lo, const char *set_hi)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < *set_lo || s[i] > *set_hi)
			return false;
	return n > 0;
}

/* A quantity from @n ASCII digits: TOK_NUM 1..999 or TOK_BAD_NUM. */
static struct tok
quantity(const char *d, size_t n)
{
	struct tok t = { TOK_BAD_NUM, NULL, 0 };
	size_t i = 0;

	while (i < n && d[i] == '0')
		i++;
	if (n - i == 0 || n - i > QTY_DIGITS_MAX)
		return t;
	for (; i < n; i++)
		t.num = t.num * 10 + (d[i] - '0');
	t.kind = t.num >= SMS_QTY_MIN && t.num <= SMS_QTY_MAX ? TOK_NUM :
	    TOK_BAD_NUM;
	return t;
}

/* The pack whose code is the @n bytes at @s, or NULL. */
static const struct catalogue_pack *
pack_n(const struct catalogue *cat, const char *s, size_t n)
{
	char code[CATALOGUE_CODE_MAX];

	if (n == 0 || n >= sizeof(code))
		return NULL;
	memcpy(code, s, n);
	code[n] = '\0';
	return catalogue_pack(cat, code);
}

/*
 * What word @w stands for in a list of packs: up to two tokens ("INJ2" is
 * a code and a number, "2INJ" a number and a code).  Returns how many.
 */
static size_t
classify(const struct word *w, const struct catalogue *cat, struct tok t[2])
{
	const char *s = w->w;
	size_t n = strlen(s), k;

	t[0].kind = TOK_UNKNOWN;
	t[0].pack = NULL;
	t[0].num = 0;
	t[1] = t[0];
	if (w->digits) {
		/* A number too long for the buffer is still too big. */
		if (w->toolong)
			t[0].kind = TOK_BAD_NUM;
		else
			t[0] = quantity(s, n);
		return 1;
	}
	if (w->toolong)
		return 1;
	t[0].pack = pack_n(cat, s, n);
	if (t[0].pack != NULL) {
		t[0].kind = TOK_CODE;
		return 1;
	}
	if (is_filler(s)) {
		t[0].kind = TOK_SKIP;
		return 1;
	}
	/* "X2", "2X": a quantity. */
	if (n >= 2 && s[0] == 'X' && all_in(s + 1, n - 1, "0", "9")) {
		t[0] = quantity(s + 1, n - 1);
		return 1;
	}
	if (n >= 2 && s[n - 1] == 'X' && all_in(s, n - 1, "0", "9")) {
		t[0] = quantity(s, n - 1);
		return 1;
	}
	/* "INJ2", "INJX2": letters then digits. */
	for (k = 0; k < n && s[k] >= 'A' && s[k] <= 'Z'; k++)
		;
	if (k > 0 && k < n && all_in(s + k, n - k, "0", "9")) {
		const struct catalogue_pack *p = pack_n(cat, s, k);

		if (p == NULL && k > 1 && s[k - 1] == 'X')
			p = pack_n(cat, s, k - 1);
		if (p == NULL)
			return 1;
		t[0].kind = TOK_CODE;
		t[0].pack = p;
		t[1] = quantity(s + k, n - k);
		return 2;
	}
	/* "2INJ", "2XINJ": digits then letters. */
	for (k = 0; k < n && s[k] >= '0' && s[k] <= '9'; k++)
		;
	if (k > 0 && k < n && all_in(s + k, n - k, "A", "Z")) {
		const struct catalogue_pack *p = pack_n(cat, s + k, n - k);

		if (p == NULL && n - k > 1 && s[k] == 'X')
			p = pack_n(cat, s + k + 1, n - k - 1);
		if (p == NULL)
			return 1;
		t[0] = quantity(s, k);
		t[1].kind = TOK_CODE;
		t[1].pack = p;
		return 2;
	}
	return 1;
}

struct grammar {
	struct sms_message *m;
	int last;	/* the last code, while its quantity is the implied 1 */
	int pending;	/* a number waiting for the next code, 0: none */
};

static int
add_code(struct grammar *g, const struct catalogue_pack *p)
{
	struct sms_message *m = g->m;
	size_t i;

	for (i = 0; i < m->npacks; i++)
		if (strcmp(m->packs[i].code, p->code) == 0)
			break;
	if (i == m->npacks) {
		if (m->npacks == SMS_PACKS_MAX)
			return field_error_set(&m->err, "text", "names more "
			    "than %d different packs", SMS_PACKS_MAX);
		if (str_copy(m->packs[i].code, sizeof(m->packs[i].code),
		    p->code) != 0)
			return field_error_set(&m->err, "text", "names an "
			    "unknown pack code");
		m->packs[i].qty = 0;
		m->npacks++;
	}
	if (g->pending > 0) {
		m->packs[i].qty += g->pending;
		g->pending = 0;
		g->last = -1;
	} else {
		m->packs[i].qty += 1;
		g->last = (int)i;
	}
	if (m->packs[i].qty > SMS_QTY_MAX)
		return field_error_set(&m->err, "text", "asks for more than "
		    "%d of one pack", SMS_QTY_MAX);
	return 0;
}

static int
add_num(struct grammar *g, int num)
{
	struct sms_message *m = g->m;

	if (g->last >= 0) {
		struct sms_pack *p = &m->packs[g->last];

		/* Replace the implied 1 of "INJ" in "INJ 2". */
		p->qty += num - 1;
		g->last = -1;
		if (p->qty > SMS_QTY_MAX)
			return field_error_set(&m->err, "text", "asks for "
			    "more than %d of one pack", SMS_QTY_MAX);
		return 0;
	}
	if (g->pending > 0)
		return field_error_set(&m->err, "text", "has a quantity "
		    "without a pack code");
	g->pending = num;
	return 0;
}

/* The words after an order keyword.  Returns 0 or -1 (m->err says why). */
static int
parse_packs(struct cursor *c, const struct catalogue *cat,
    struct sms_message *m)
{
	struct grammar g = { m, -1, 0 };
	struct word w;
	struct tok t[2];

	while (next_word(c, &w)) {
		size_t nt = classify(&w, cat, t);

		for (size_t k = 0; k < nt; k++) {
			switch (t[k].kind) {
			case TOK_SKIP:
				break;
			case TOK_CODE:
				if (add_code(&g, t[k].pack) != 0)
					return -1;
				break;
			case TOK_NUM:
				if (add_num(&g, t[k].num) != 0)
					return -1;
				break;
			case TOK_BAD_NUM:
				return field_error_set(&m->err, "text",
				    "has a quantity that is not %d to %d",
				    SMS_QTY_MIN, SMS_QTY_MAX);
			case TOK_UNKNOWN:
				return field_error_set(&m->err, "text",
				    "names an unknown pack code");
			}
		}
	}
	if (g.pending > 0)
		return field_error_set(&m->err, "text", "has a quantity "
		    "without a pack code");
	return 0;
}

enum sms_command
sms_parse(const char *text, size_t len, const struct catalogue *cat,
    struct sms_message *out)
{
	struct cursor c;
	struct word w;
	const struct keyword *kw = NULL;

	memset(out, 0, sizeof(*out));
	out->command = SMS_UNKNOWN;
	if (text == NULL || len == 0) {
		field_error_set(&out->err, "text", "is empty");
		goto out;
	}
	if (len > SMS_TEXT_MAX) {
		field_error_set(&out->err, "text", "must be at most %d bytes",
		    SMS_TEXT_MAX);
		goto out;
	}
	if (memchr(text, '\0', len) != NULL) {
		field_error_set(&out->err, "text", "must not contain a NUL "
		    "character");
		goto out;
	}
	if (!utf8_valid(text, len)) {
		field_error_set(&out->err, "text", "must be valid UTF-8");
		goto out;
	}
	c.s = (const unsigned char *)text;
	c.len = len;
	c.i = 0;
	for (bool greeted = false;; greeted = true) {
		if (!next_word(&c, &w)) {
			if (greeted)
				field_error_set(&out->err, "text", "does not "
				    "start with a known keyword");
			else
				field_error_set(&out->err, "text", "has no "
				    "words");
			goto out;
		}
		kw = keyword_find(&w);
		if (kw != NULL)
			break;
		if (w.toolong || !is_filler(w.w)) {
			field_error_set(&out->err, "text", "does not start "
			    "with a known keyword");
			goto out;
		}
	}
	if (kw->command == SMS_ORDER && parse_packs(&c, cat, out) != 0) {
		out->npacks = 0;
		goto out;
	}
	if (str_copy(out->lang, sizeof(out->lang), kw->lang) != 0)
		goto out;
	out->command = kw->command;
out:
	OPENSSL_cleanse(&w, sizeof(w));
	return out->command;
}

const char *
sms_command_name(enum sms_command c)
{
	if ((size_t)c >= ARRAY_LEN(command_names))
		return "unknown";
	return command_names[c];
}

int
sms_command_parse(const char *s, enum sms_command *out)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(command_names); i++) {
		if (strcmp(s, command_names[i]) == 0) {
			*out = (enum sms_command)i;
			return 0;
		}
	}
	return -1;
}

/* --- decoding what Kannel passes ---------------------------------------- */

int
sms_decode(const char *bytes, size_t len, int coding, char **out,
    size_t *outlen)
{
	const unsigned char *b = (const unsigned char *)bytes;
	char *buf = NULL;
	size_t cap, n = 0, i;

	*out = NULL;
	*outlen = 0;
	if ((bytes == NULL && len > 0) || len > SMS_INPUT_MAX)
		return -1;
	if (coding == SMS_CODING_UCS2) {
		if (len % 2 != 0)
			return -1;
		cap = len / 2 * 3 + 1;
	} else if (coding == 0 || coding == 1) {
		cap = len * 2 + 1;
	} else {
		return -1;
	}
	buf = malloc(cap);
	if (buf == NULL)
		return -1;
	if (coding == SMS_CODING_UCS2) {
		for (i = 0; i < len; i += 2) {
			uint32_t u = (uint32_t)b[i] << 8 | b[i + 1];

			if (u >= 0xdc00 && u <= 0xdfff)
				goto fail;	/* a low surrogate first */
			if (u >= 0xd800 && u <= 0xdbff) {
				uint32_t lo;

				if (i + 3 >= len)
					goto fail;
				lo = (uint32_t)b[i + 2] << 8 | b[i + 3];
				if (lo < 0xdc00 || lo > 0xdfff)
					goto fail;
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 2;
			}
			if (u == 0 || put_cp(buf, cap, &n, u) != 0)
				goto fail;
		}
	} else if (len == 0) {
		/* NULL with no bytes: an empty text. */
	} else if (memchr(bytes, '\0', len) != NULL) {
		goto fail;
	} else if (utf8_valid(bytes, len)) {
		memcpy(buf, bytes, len);
		n = len;
	} else {
		/* Not UTF-8: Latin-1, one code point a byte. */
		for (i = 0; i < len; i++)
			if (put_cp(buf, cap, &n, b[i]) != 0)
				goto fail;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
fail:
	mem_wipe_free(buf, cap);
	return -1;
}

/* --- GSM 03.38 ---------------------------------------------------------- */

/* The default alphabet beyond ASCII (one septet each). */
static const uint32_t gsm7_basic[] = {
	0x00a3, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, 0x00f2, 0x00c7,
	0x00d8, 0x00f8, 0x00c5, 0x00e5, 0x0394, 0x03a6, 0x0393, 0x039b,
	0x03a9, 0x03a0, 0x03a8, 0x03a3, 0x0398, 0x039e, 0x00c6, 0x00e6,
	0x00df, 0x00c9, 0x00a4, 0x00a1, 0x00c4, 0x00d6, 0x00d1, 0x00dc,
	0x00a7, 0x00bf, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

/* Septets @cp takes in GSM 03.38: 1, 2 (extension table) or 0 (none). */
static int
gsm7_septets(uint32_t cp)
{
	if (cp == '\n' || cp == '\r')
		return 1;
	if (cp == '\f' || cp == 0x20ac)
		return 2;
	if (cp >= 0x20 && cp <= 0x7e) {
		if (cp == '`')
			return 0;
		if (strchr("[\\]^{|}~", (int)cp) != NULL)
			return 2;
		return 1;
	}
	for (size_t i = 0; i < ARRAY_LEN(gsm7_basic); i++)
		if (gsm7_basic[i] == cp)
			return 1;
	return 0;
}

bool
sms_gsm7(const char *s, size_t *septets)
{
	size_t len, i = 0, n = 0;

	if (septets != NULL)
		*septets = 0;
	if (s == NULL)
		return false;
	len = strlen(s);
	if (!utf8_valid(s, len))
		return false;
	while (i < len) {
		int k = gsm7_septets(next_cp((const unsigned char *)s, len,
		    &i));

		if (k == 0)
			return false;
		n += (size_t)k;
	}
	if (septets != NULL)
		*septets = n;
	return true;
}

int
sms_coding(const char *s, size_t *units, bool *fits)
{
	size_t len, i = 0, n = 0;

	if (units != NULL)
		*units = 0;
	if (fits != NULL)
		*fits = false;
	if (s == NULL)
		return -1;
	len = strlen(s);
	if (!utf8_valid(s, len))
		return -1;
	if (sms_gsm7(s, &n)) {
		if (units != NULL)
			*units = n;
		if (fits != NULL)
			*fits = n <= SMS_GSM7_MAX;
		return SMS_CODING_GSM7;
	}
	while (i < len)
		n += next_cp((const unsigned char *)s, len, &i) >= 0x10000 ?
		    2 : 1;
	if (units != NULL)
		*units = n;
	if (fits != NULL)
		*fits = n <= SMS_UCS2_MAX;
	return SMS_CODING_UCS2;
}

/* --- reply texts -------------------------------------------------------- */

enum text_key {
	TEXT_ORDER,
	TEXT_CALL,
	TEXT_HELP,
	TEXT_STOP,
	TEXT_START,
	TEXT_RETRY,
	TEXT_COUNT,
};

static const char *const text_keys[TEXT_COUNT] = {
	"order", "call", "help", "stop", "start", "retry",
};

struct sms_lang_texts {
	char lang[CATALOGUE_LANG_MAX];
	char text[TEXT_COUNT][SMS_REPLY_BYTES];
};

struct sms_texts {
	size_t n;
	size_t fr;	/* index of French, the fallback */
	struct sms_lang_texts langs[CATALOGUE_LANGS_MAX];
};

/* What the INI handler needs. */
struct texts_parser {
	struct sms_lang_texts *lt;
	bool seen[TEXT_COUNT];
	bool failed;
	char msg[160];
};

static int
texts_section(void *arg, const char *section, int line, int nkeys,
    char *errbuf, size_t errsz)
{
	const char *name = arg;

	(void)nkeys;
	if (strcmp(section, "sms") != 0) {
		errbuf_set(errbuf, errsz, "%s:%d: unknown section (only "
		    "[sms])", name, line);
		return -1;
	}
	return 0;
}

static int
texts_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct texts_parser *p = arg;
	bool fits = false;
	size_t k;

	(void)section;	/* texts_section() allowed [sms] only */
	for (k = 0; k < TEXT_COUNT; k++)
		if (strcmp(key, text_keys[k]) == 0)
			break;
	if (k == TEXT_COUNT) {
		errbuf_set(p->msg, sizeof(p->msg), "unknown key (expected "
		    "order, call, help, stop, start, retry)");
		goto fail;
	}
	if (p->seen[k]) {
		errbuf_set(p->msg, sizeof(p->msg), "%s: given twice", key);
		goto fail;
	}
	p->seen[k] = true;
	if (*value == '\0' || !utf8_valid(value, strlen(value)) ||
	    utf8_has_control(value)) {
		errbuf_set(p->msg, sizeof(p->msg), "%s: must be UTF-8 text "
		    "without control characters", key);
		goto fail;
	}
	if (sms_coding(value, NULL, &fits) < 0 || !fits ||
	    str_copy(p->lt->text[k], sizeof(p->lt->text[k]), value) != 0) {
		errbuf_set(p->msg, sizeof(p->msg), "%s: longer than one SMS "
		    "(%d GSM characters, or %d when a character is outside "
		    "the GSM alphabet)", key, SMS_GSM7_MAX, SMS_UCS2_MAX);
		goto fail;
	}
	return 1;
fail:
	p->failed = true;
	return 0;
}

/* Read templates/sms/<lang>.ini into @lt.  Returns 0 or -1. */
static int
texts_read(const char *path, struct sms_lang_texts *lt, char *errbuf,
    size_t errsz)
{
	struct texts_parser p;
	char *text = NULL;
	int ret = -1, rc;

	memset(&p, 0, sizeof(p));
	p.lt = lt;
	text = config_ini_read(path, TEXTS_FILE_MAX, errbuf, errsz);
	if (text == NULL)
		goto out;
	if (config_ini_check(path, text, texts_section, (void *)path, errbuf,
	    errsz) < 0)
		goto out;
	rc = ini_parse_string(text, texts_handler, &p);
	if (rc != 0 || p.failed) {
		if (rc > 0)
			errbuf_set(errbuf, errsz, "%s:%d: %s", path, rc,
			    p.msg);
		else
			errbuf_set(errbuf, errsz, "%s: %s", path,
			    p.failed ? p.msg : "cannot be parsed");
		goto out;
	}
	for (size_t k = 0; k < TEXT_COUNT; k++) {
		if (!p.seen[k]) {
			errbuf_set(errbuf, errsz, "%s: [sms] %s is missing",
			    path, text_keys[k]);
			goto out;
		}
	}
	ret = 0;
out:
	free(text);
	return ret;
}

struct sms_texts *
sms_texts_load(const struct catalogue *cat, char *errbuf, size_t errsz)
{
	struct sms_texts *t = NULL;
	char path[CONFIG_PATH_MAX];
	bool have_fr = false;
	struct stat sb;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (cat == NULL) {
		errbuf_set(errbuf, errsz, "sms texts: no catalogue");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		errbuf_set(errbuf, errsz, "sms texts: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < catalogue_nlangs(cat); i++) {
		const char *lang = catalogue_lang_at(cat, i);
		struct sms_lang_texts *lt;

		if (t->n == ARRAY_LEN(t->langs))
			break;
		lt = &t->langs[t->n];
		if (str_printf(path, sizeof(path), "%s/sms/%s.ini",
		    catalogue_dir(cat), lang) < 0) {
			errbuf_set(errbuf, errsz, "sms texts: templates "
			    "path too long");
			goto fail;
		}
		/* Only French must be there; others fall back to it. */
		if (lstat(path, &sb) != 0 && errno == ENOENT &&
		    strcmp(lang, "fr") != 0)
			continue;
		if (str_copy(lt->lang, sizeof(lt->lang), lang) != 0) {
			errbuf_set(errbuf, errsz, "%s: language code too "
			    "long", path);
			goto fail;
		}
		if (texts_read(path, lt, errbuf, errsz) != 0)
			goto fail;
		if (strcmp(lang, "fr") == 0) {
			t->fr = t->n;
			have_fr = true;
		}
		t->n++;
	}
	if (!have_fr) {
		errbuf_set(errbuf, errsz, "%s/sms/fr.ini: the French texts "
		    "are required (templates/i18n/fr.ini too)",
		    catalogue_dir(cat));
		goto fail;
	}
	return t;
fail:
	sms_texts_free(t);
	return NULL;
}

void
sms_texts_free(struct sms_texts *t)
{
	free(t);
}

const char *
sms_texts_reply(const struct sms_texts *t, const char *lang,
    enum sms_command c, bool retry)
{
	const struct sms_lang_texts *lt = &t->langs[t->fr];
	enum text_key k;

	for (size_t i = 0; lang != NULL && i < t->n; i++)
		if (strcmp(t->langs[i].lang, lang) == 0)
			lt = &t->langs[i];
	switch (c) {
	case SMS_ORDER:
		k = TEXT_ORDER;
		break;
	case SMS_CALL:
		k = TEXT_CALL;
		break;
	case SMS_STOP:
		k = TEXT_STOP;
		break;
	case SMS_START:
		k = TEXT_START;
		break;
	case SMS_HELP:
	case SMS_UNKNOWN:
	default:
		k = TEXT_HELP;
		break;
	}
	if (retry)
		k = TEXT_RETRY;
	return lt->text[k];
}

/* --- the envelope ------------------------------------------------------- */

static bool
stores(enum sms_command c)
{
	return c == SMS_ORDER || c == SMS_CALL || c == SMS_STOP ||
	    c == SMS_START;
}

/* "to" is the receiving number or short code: printable ASCII. */
static bool
to_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return n < SMS_TO_MAX;
}

/* "from" as phone_normalise() writes it. */
static bool
from_ok(const char *s)
{
	char again[PHONE_E164_MAX];
	struct field_error err;
	bool ok;

	if (s == NULL || s[0] != '+')
		return false;
	ok = phone_normalise(s, again, &err) == 0 && strcmp(again, s) == 0;
	OPENSSL_cleanse(again, sizeof(again));
	return ok;
}

static int
set_new(json_t *obj, const char *key, json_t *v)
{
	/* json_object_set_new() releases @v when it fails, NULL included. */
	return json_object_set_new(obj, key, v);
}

int
sms_envelope_encode(const struct sms_envelope *env, char **json,
    size_t *len)
{
	json_t *root = NULL, *packs = NULL;
	char *buf = NULL;
	size_t i, n = 0, tlen;
	int rc = -1;

	*json = NULL;
	if (len != NULL)
		*len = 0;
	tlen = strnlen(env->text, sizeof(env->text));
	if (!stores(env->command) || !from_ok(env->from) ||
	    !to_ok(env->to, strnlen(env->to, sizeof(env->to))) ||
	    tlen > SMS_TEXT_MAX || !utf8_valid(env->text, tlen) ||
	    env->lang[0] == '\0' ||
	    strnlen(env->lang, sizeof(env->lang)) == sizeof(env->lang) ||
	    env->npacks > SMS_PACKS_MAX ||
	    (env->command != SMS_ORDER && env->npacks > 0) ||
	    env->received_at < 0 || env->received_at > RECEIVED_AT_MAX)
		goto out;
	root = json_object();
	packs = json_array();
	if (root == NULL || packs == NULL)
		goto out;
	for (i = 0; i < env->npacks; i++) {
		const struct sms_pack *p = &env->packs[i];

		if (p->qty < SMS_QTY_MIN || p->qty > SMS_QTY_MAX ||
		    strnlen(p->code, sizeof(p->code)) == sizeof(p->code) ||
		    json_array_append_new(packs, json_pack("{s:s,s:i}",
		    "code", p->code, "qty", p->qty)) == -1)
			goto out;
	}
	if (set_new(root, "v", json_integer(ENVELOPE_VERSION)) == -1 ||
	    set_new(root, "kind", json_string("sms")) == -1 ||
	    set_new(root, "command", json_string(
	    sms_command_name(env->command))) == -1 ||
	    set_new(root, "from", json_string(env->from)) == -1 ||
	    set_new(root, "to", json_stringn(env->to,
	    strnlen(env->to, sizeof(env->to)))) == -1 ||
	    set_new(root, "text", json_stringn(env->text, tlen)) == -1 ||
	    set_new(root, "lang", json_string(env->lang)) == -1 ||
	    json_object_set(root, "packs", packs) == -1 ||
	    set_new(root, "received_at",
	    json_integer((json_int_t)env->received_at)) == -1)
		goto out;
	n = json_dumpb(root, NULL, 0, JSON_COMPACT);
	if (n == 0 || n > SMS_ENVELOPE_MAX)
		goto out;
	buf = malloc(n + 1);
	if (buf == NULL)
		goto out;
	if (json_dumpb(root, buf, n, JSON_COMPACT) != n)
		goto out;
	buf[n] = '\0';
	*json = buf;
	buf = NULL;
	if (len != NULL)
		*len = n;
	rc = 0;
out:
	if (buf != NULL)
		mem_wipe_free(buf, n + 1);
	json_decref(packs);
	json_decref(root);
	return rc;
}

static const char *const envelope_keys[] = {
	"v", "kind", "command", "from", "to", "text", "lang", "packs",
	"received_at",
};

/* The string under @key: at most @max bytes, no NUL; NULL otherwise. */
static const char *
get_str(const json_t *root, const char *key, size_t max,
    struct field_error *err)
{
	const json_t *v = json_object_get(root, key);
	const char *s;

	if (!json_is_string(v) || json_string_length(v) > max) {
		field_error_set(err, key, "is missing, too long or not text");
		return NULL;
	}
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		field_error_set(err, key, "must not contain a NUL character");
		return NULL;
	}
	return s;
}

static int
decode_packs(const json_t *arr, const struct catalogue *cat,
    struct sms_envelope *out, struct field_error *err)
{
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) > SMS_PACKS_MAX)
		return field_error_set(err, "packs", "must be a list of at "
		    "most %d packs", SMS_PACKS_MAX);
	if (out->command != SMS_ORDER && json_array_size(arr) > 0)
		return field_error_set(err, "packs", "must be empty unless "
		    "the command is order");
	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *o = json_array_get(arr, i);
		const struct catalogue_pack *p;
		const char *code;
		json_int_t qty;

		if (!json_is_object(o) || json_object_size(o) != 2)
			return field_error_set(err, "packs", "each pack is "
			    "{\"code\", \"qty\"}");
		code = get_str(o, "code", CATALOGUE_CODE_MAX - 1, err);
		if (code == NULL)
			return field_error_set(err, "packs", "each pack needs "
			    "a code");
		p = catalogue_pack(cat, code);
		if (p == NULL)
			return field_error_set(err, "packs", "unknown pack "
			    "code");
		if (!json_is_integer(json_object_get(o, "qty")))
			return field_error_set(err, "packs", "qty must be a "
			    "number");
		qty = json_integer_value(json_object_get(o, "qty"));
		if (qty < SMS_QTY_MIN || qty > SMS_QTY_MAX)
			return field_error_set(err, "packs", "qty must be %d "
			    "to %d", SMS_QTY_MIN, SMS_QTY_MAX);
		for (size_t k = 0; k < out->npacks; k++)
			if (strcmp(out->packs[k].code, p->code) == 0)
				return field_error_set(err, "packs", "a code "
				    "is given twice");
		if (str_copy(out->packs[out->npacks].code,
		    sizeof(out->packs[0].code), p->code) != 0)
			return field_error_set(err, "packs", "unknown pack "
			    "code");
		out->packs[out->npacks].qty = (int)qty;
		out->npacks++;
	}
	return 0;
}

int
sms_envelope_decode(const char *json, size_t len,
    const struct catalogue *cat, struct sms_envelope *out,
    struct field_error *err)
{
	json_t *root = NULL;
	json_error_t jerr;
	const char *key, *s;
	const json_t *v;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (json == NULL || len == 0 || len > SMS_ENVELOPE_MAX) {
		field_error_set(err, "envelope", "must be 1 to %d bytes",
		    SMS_ENVELOPE_MAX);
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	OPENSSL_cleanse(&jerr, sizeof(jerr));	/* may quote the input */
	if (!json_is_object(root)) {
		field_error_set(err, "envelope", "is not a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		size_t i;

		(void)v;
		for (i = 0; i < ARRAY_LEN(envelope_keys); i++)
			if (strcmp(key, envelope_keys[i]) == 0)
				break;
		if (i == ARRAY_LEN(envelope_keys)) {
			field_error_set(err, "envelope", "has an unknown key");
			goto out;
		}
	}
	v = json_object_get(root, "v");
	if (!json_is_integer(v) || json_integer_value(v) != ENVELOPE_VERSION) {
		field_error_set(err, "v", "must be %d", ENVELOPE_VERSION);
		goto out;
	}
	s = get_str(root, "kind", 8, err);
	if (s == NULL || strcmp(s, "sms") != 0) {
		field_error_set(err, "kind", "must be \"sms\"");
		goto out;
	}
	s = get_str(root, "command", 16, err);
	if (s == NULL || sms_command_parse(s, &out->command) != 0 ||
	    !stores(out->command)) {
		field_error_set(err, "command", "must be order, call, stop "
		    "or start");
		goto out;
	}
	s = get_str(root, "from", PHONE_E164_MAX - 1, err);
	if (s == NULL || !from_ok(s) ||
	    str_copy(out->from, sizeof(out->from), s) != 0) {
		field_error_set(err, "from", "must be an E.164 number");
		goto out;
	}
	s = get_str(root, "to", SMS_TO_MAX - 1, err);
	if (s == NULL || !to_ok(s, strlen(s)) ||
	    str_copy(out->to, sizeof(out->to), s) != 0) {
		field_error_set(err, "to", "must be printable ASCII of at "
		    "most %d characters", SMS_TO_MAX - 1);
		goto out;
	}
	s = get_str(root, "text", SMS_TEXT_MAX, err);
	if (s == NULL || str_copy(out->text, sizeof(out->text), s) != 0) {
		field_error_set(err, "text", "must be text of at most %d "
		    "bytes", SMS_TEXT_MAX);
		goto out;
	}
	s = get_str(root, "lang", CATALOGUE_LANG_MAX - 1, err);
	if (s == NULL || !catalogue_has_lang(cat, s) ||
	    str_copy(out->lang, sizeof(out->lang), s) != 0) {
		field_error_set(err, "lang", "must be a language of "
		    "templates/i18n");
		goto out;
	}
	if (decode_packs(json_object_get(root, "packs"), cat, out, err) != 0)
		goto out;
	v = json_object_get(root, "received_at");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > RECEIVED_AT_MAX) {
		field_error_set(err, "received_at", "must be a time in "
		    "seconds since 1970");
		goto out;
	}
	out->received_at = (time_t)json_integer_value(v);
	ret = 0;
out:
	json_decref(root);
	if (ret != 0)
		sms_envelope_clear(out);
	return ret;
}

void
sms_envelope_clear(struct sms_envelope *env)
{
	if (env != NULL)
		OPENSSL_cleanse(env, sizeof(*env));
}
