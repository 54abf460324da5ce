/*
 * The SMS channel's words: the grammar of an SMS a person sends (order,
 * call me back, help, STOP, START, in French, English, Spanish,
 * Portuguese and Russian), the replies (templates/sms/<lang>.ini), the
 * GSM 03.38 check that decides how a reply is coded, and the sealed
 * envelope the intake node stores for the console.
 *
 * Grammar.  Case does not matter, accents are folded (ARRÊT = ARRET,
 * "заказ" = "ЗАКАЗ", ё = е), and any run of spaces and punctuation
 * separates words.  Greetings and politeness ("Bonjour", "merci", "svp",
 * "please", "hola", "por favor", "obrigado", "привет", "пожалуйста"...)
 * are skipped.  The first other word is the keyword; its language is the
 * language of the reply (STOP, START and INFO are the same in several
 * languages: no language, the centre's default is used):
 *
 *   ORDER  fr COMMANDE COMMANDER CMD RECOMMANDE  en ORDER REORDER
 *          es PEDIDO PEDIR  pt ENCOMENDA ENCOMENDAR  ru ЗАКАЗ ЗАКАЗАТЬ
 *          then optional pack codes (templates/packs.ini) with
 *          quantities 1 to 999: "COMMANDE INJ 2 NALOX", "ORDER INJ2",
 *          "PEDIDO 2 INJ, 1 NALOX", "ЗАКАЗ INJ x2".  A number after a
 *          code that has none yet is that code's; any other number is the
 *          next code's; a code without a number is 1; a code given twice
 *          adds up.  No code at all: "the same as last time", which the
 *          console decides.  Pack codes without a keyword are not an
 *          order ("INFO" or "SEX" alone may mean something else).
 *   CALL   fr APPEL APPELER APPELEZ RAPPEL RAPPELER RAPPELEZ  en CALL
 *          CALLBACK  es LLAMAR LLAMADA LLAMEN LLAMAME  pt LIGAR LIGUE
 *          LIGUEM  ru ПОЗВОНИТЕ ПЕРЕЗВОНИТЕ ПОЗВОНИТЬ ЗВОНОК
 *   HELP   fr AIDE  en HELP  es AYUDA  pt AJUDA  ru ПОМОЩЬ, and INFO
 *          INFOS (no language)
 *   STOP   STOP, fr ARRET ARRETER  es/pt PARAR  pt SAIR  ru СТОП
 *   START  START, fr REPRISE REPRENDRE  es INICIO  pt INICIAR
 *          ru СТАРТ
 * After CALL, HELP, STOP and START the rest of the text is not read (it
 * is kept, sealed, for the console).  Anything else is UNKNOWN, with a
 * reason that names the rule and never repeats the text: an empty or
 * all-space text, more than SMS_TEXT_MAX bytes, text that is not UTF-8 or
 * holds a NUL, no keyword, an unknown pack code, a quantity out of 1 to
 * 999, a number without a code, more than SMS_PACKS_MAX codes.  PEDIDO
 * and PARAR are Spanish and Portuguese alike: they answer in Spanish.
 *
 * Replies.  templates/sms/<lang>.ini, one [sms] section with the keys
 * order, call, help, stop, start and retry (see the French file).  Every
 * text is short and neutral (a phone screen can be seen by others: never
 * what the centre does or what it sends) and must fit one SMS: at most
 * 160 GSM 03.38 septets, or 70 UCS-2 units when one character is outside
 * the GSM default alphabet (then it is sent with coding 2).
 * templates/sms/fr.ini is required; a language without a file answers in
 * French.
 *
 * The envelope.  For ORDER, CALL, STOP and START the intake node stores
 * one row in intake.db (orders/outbox.h): channel "sms", centre = the
 * configured centre, idem = Kannel's message id (%I), and as blob
 * seal_seal(centre public key, JSON, AAD = outbox_aad(centre, idem)) of
 * this JSON object (UTF-8, compact, no other keys):
 *
 *   {"v": 1,                      version of this envelope
 *    "kind": "sms",
 *    "command": "order" | "call" | "stop" | "start",
 *    "from": "+33612345678",      the sender, E.164 (orders/phone.h)
 *    "to": "38100",               the number it was sent to ("" unknown)
 *    "text": "Commande INJ 2",    the SMS as received (UTF-8, <= 1600 B)
 *    "lang": "fr",                language of the reply sent (a language
 *                                 templates/i18n has)
 *    "packs": [{"code": "INJ", "qty": 2}],   upper-case codes of
 *                                 templates/packs.ini, qty 1..999, each
 *                                 code once; [] for every command but
 *                                 order, and for an order "as last time"
 *    "received_at": 1795295850}   epoch seconds at the intake node
 *
 * What the console does with it (orders/inbox.c): order with packs: an
 * order to the address on file for that number; order without packs: the
 * same packs as that person's last order; a number it does not know, or
 * without an address on file: a call-back task (the reply already told
 * the person someone will call).  call: a call-back task.  stop/start:
 * withdraw/restore SMS consent for that number.  sms_envelope_decode()
 * reads and checks an envelope again (it comes from the internet-facing
 * node: input like any other).
 */
#ifndef HRPOST_SMS_H
#define HRPOST_SMS_H

#include <stddef.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "orders/order.h"
#include "orders/phone.h"
#include "shipping/catalogue.h"

#define SMS_TEXT_MAX 1600		/* bytes of an inbound SMS (UTF-8) */
#define SMS_INPUT_MAX (2 * SMS_TEXT_MAX)	/* bytes sms_decode() takes */
#define SMS_PACKS_MAX ORDER_PACKS_MAX	/* distinct pack codes in one SMS */
#define SMS_QTY_MIN ORDER_QTY_MIN
#define SMS_QTY_MAX ORDER_QTY_MAX
#define SMS_TO_MAX 33			/* the receiving number + NUL */
#define SMS_REPLY_BYTES 512		/* a reply text, UTF-8, with NUL */
#define SMS_GSM7_MAX 160		/* septets in one SMS */
#define SMS_UCS2_MAX 70			/* UCS-2 units in one SMS */
#define SMS_ENVELOPE_MAX 16384		/* encoded envelope, bytes */

/* Data coding of a reply, as Kannel's coding / X-Kannel-Coding. */
#define SMS_CODING_GSM7 0
#define SMS_CODING_UCS2 2

enum sms_command {
	SMS_UNKNOWN = 0,
	SMS_ORDER,
	SMS_CALL,
	SMS_HELP,
	SMS_STOP,
	SMS_START,
};

struct sms_pack {
	char code[CATALOGUE_CODE_MAX];	/* upper case, as in the catalogue */
	int qty;
};

/* What sms_parse() found in one SMS.  Nothing personal is kept here. */
struct sms_message {
	enum sms_command command;
	/* Language of the keyword; "" when it has none (STOP, START). */
	char lang[CATALOGUE_LANG_MAX];
	struct sms_pack packs[SMS_PACKS_MAX];
	size_t npacks;
	/* Why UNKNOWN (field "text"); names the rule, never the text. */
	struct field_error err;
};

/*
 * Read the SMS @text of @len bytes (UTF-8; any byte may come: a NUL or
 * bad UTF-8 makes it UNKNOWN) against the packs of @cat.  Fills @out and
 * returns out->command.  Never fails otherwise; bounded work for any
 * input (over SMS_TEXT_MAX bytes is refused before it is read).
 */
enum sms_command sms_parse(const char *text, size_t len,
    const struct catalogue *cat, struct sms_message *out);

/* "order", "call", "help", "stop", "start", "unknown". */
const char *sms_command_name(enum sms_command c);

/* The reverse, for envelopes; returns 0 or -1. */
int sms_command_parse(const char *s, enum sms_command *out) WUR;

/*
 * Turn an inbound SMS as Kannel passes it into UTF-8: @coding 2 is UCS-2
 * (UTF-16BE, surrogate pairs allowed); 0 and 1 are taken as UTF-8 when
 * they are, else as Latin-1.  On success *out is a malloc'd NUL-terminated
 * string of *outlen bytes that the caller wipes and frees
 * (mem_wipe_free(*out, *outlen + 1)).  Returns -1 (nothing allocated) for
 * input over SMS_INPUT_MAX bytes, UCS-2 of odd length or with a lone
 * surrogate, a NUL character, an unknown coding, or out of memory.
 * Input is at most SMS_INPUT_MAX bytes; the result may be longer than
 * SMS_TEXT_MAX (sms_parse() then refuses it).
 */
int sms_decode(const char *bytes, size_t len, int coding, char **out,
    size_t *outlen) WUR;

/*
 * The GSM 03.38 check.  true when every character of the UTF-8 string @s
 * is in the GSM default alphabet or its extension table (then Kannel can
 * send it 7-bit and it arrives intact), and *septets (may be NULL) is its
 * length in septets (extension characters count 2).  false for anything
 * else, including "ç" (GSM has only "Ç", and Kannel turns one into the
 * other), "ê", Cyrillic, and bad UTF-8.
 */
bool sms_gsm7(const char *s, size_t *septets);

/*
 * How to send @s: SMS_CODING_GSM7 when sms_gsm7() accepts it, else
 * SMS_CODING_UCS2.  *units (may be NULL) is the length in that coding's
 * units (septets, or UTF-16 code units), *fits whether it is one SMS.
 * Returns the coding, or -1 for bad UTF-8.
 */
int sms_coding(const char *s, size_t *units, bool *fits);

/* The reply texts of every language, loaded once, read-only after. */
struct sms_texts;

/*
 * Load templates/sms/<lang>.ini for each language of @cat from the
 * catalogue's directory.  fr is required; every file present must have
 * all keys, each valid UTF-8 without control characters that fits one
 * SMS.  Returns NULL with "path:line: reason" in @errbuf.
 */
struct sms_texts *sms_texts_load(const struct catalogue *cat, char *errbuf,
    size_t errsz);

/* Free; NULL is fine. */
void sms_texts_free(struct sms_texts *t);

/*
 * The reply for @c (SMS_UNKNOWN gives the help text) in @lang, falling
 * back to French when @lang has no file or is NULL/"".  @retry true gives
 * the "could not be handled, try again" text instead.  Never NULL; owned
 * by @t.
 */
const char *sms_texts_reply(const struct sms_texts *t, const char *lang,
    enum sms_command c, bool retry);

/* An envelope as sealed in intake.db; personal fields wiped by clear(). */
struct sms_envelope {
	enum sms_command command;	/* ORDER, CALL, STOP or START */
	char from[PHONE_E164_MAX];
	char to[SMS_TO_MAX];
	char text[SMS_TEXT_MAX + 1];
	char lang[CATALOGUE_LANG_MAX];
	struct sms_pack packs[SMS_PACKS_MAX];
	size_t npacks;
	time_t received_at;
};

/*
 * Write @env as the JSON above.  *json is malloc'd (NUL-terminated, *len
 * bytes without it); the caller wipes and frees it (str_wipe_free()).
 * Returns -1 for an envelope that would not decode (a command that stores
 * nothing, a bad field) or out of memory.
 */
int sms_envelope_encode(const struct sms_envelope *env, char **json,
    size_t *len) WUR;

/*
 * Read and check an envelope (@len bytes, at most SMS_ENVELOPE_MAX):
 * exactly the keys above, v 1, kind "sms", a storing command, "from" an
 * E.164 number (phone_normalise() gives it back unchanged), "text" UTF-8
 * without NUL of at most SMS_TEXT_MAX bytes, "lang" a language of @cat,
 * packs known to @cat with qty 1..999, each code once, and none unless
 * the command is order.  Returns 0, or -1 with @err naming the key (the
 * message never holds a value).  @out is wiped on failure.
 */
int sms_envelope_decode(const char *json, size_t len,
    const struct catalogue *cat, struct sms_envelope *out,
    struct field_error *err) WUR;

/* Wipe the personal fields of @env (from, to, text).  NULL is fine. */
void sms_envelope_clear(struct sms_envelope *env);

#endif
