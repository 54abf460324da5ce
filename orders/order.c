/*
 * Orders: one validation for every channel (order_from_input), and the JSON
 * form that gets sealed (order_encode/order_decode, with jansson).
 *
 * Validation collects every error, at most one per field and in form order,
 * so a person fixes a form in one go; messages name the rule, never the
 * value.  Decoding treats a blob as input from the network: size-capped,
 * strict about keys and types, and re-validated through the same rules.
 *
 * jansson keeps copies of every string it parses or builds.  So that a
 * decoded address does not linger in freed heap, jansson's allocator is
 * replaced, once for the process, by one that wipes each block before
 * freeing it.  The block size comes from malloc_usable_size() rather than a
 * header in front of the block: blocks stay plain malloc() blocks, so code
 * elsewhere may still free() what json_dumps() returns, and blocks jansson
 * allocated before the switch are still freed correctly.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/util.h"
#include "orders/order.h"

#define ORDER_JSON_VERSION 1
#define SMALL_FIELD 24		/* qty, for_others, postcode as typed */

static const char *const status_names[ORDER_STATUS_COUNT] = {
	"received", "accepted", "packed", "shipped", "delivered", "returned",
	"cancelled",
};

static const char *const channel_names[] = { "phone", "web", "sms" };

/* --- jansson's allocator ------------------------------------------------ */

static void *
wipe_malloc(size_t n)
{
	return malloc(n);
}

static void
wipe_free(void *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static pthread_once_t json_once = PTHREAD_ONCE_INIT;

static void
json_init(void)
{
	json_set_alloc_funcs(wipe_malloc, wipe_free);
}

/*
 * jansson's allocator is global: set it before main() so that every use of
 * jansson in a program that links orders (the CLI's JSON output included)
 * wipes too.  The pthread_once in encode/decode covers a program whose
 * constructors do not run this one first.
 */
__attribute__((constructor)) static void
json_init_early(void)
{
	(void)pthread_once(&json_once, json_init);
}

/* --- error list --------------------------------------------------------- */

struct errlist {
	struct field_error e[ORDER_ERRORS_MAX];
	size_t n;
};

static bool
has_error(const struct errlist *el, const char *field)
{
	size_t i;

	for (i = 0; i < el->n; i++)
		if (strcmp(el->e[i].field, field) == 0)
			return true;
	return false;
}

/* Add an error unless @field already has one or the list is full. */
static void
add_error(struct errlist *el, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_error(struct errlist *el, const char *field, const char *fmt, ...)
{
	struct field_error *e;
	va_list ap;

	if (el->n >= ORDER_ERRORS_MAX || has_error(el, field))
		return;
	e = &el->e[el->n++];
	/* Field names are ours and short; truncation would only cut text. */
	if (str_copy(e->field, sizeof(e->field), field) == -1)
		e->field[0] = '\0';
	va_start(ap, fmt);
	/* A message is never parsed: a cut one is still a message. */
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* Add an error a checker filled in, unless its field has one already. */
static void
add_field_error(struct errlist *el, const struct field_error *fe)
{
	add_error(el, fe->field, "%s", fe->msg);
}

/* --- validation helpers ------------------------------------------------- */

/*
 * Copy @s without the spaces and tabs around it into @buf.  NULL copies as
 * "".  Returns 0, or -1 when it does not fit (@buf is then "").
 */
static int
copy_trimmed(char *buf, size_t bufsz, const char *s)
{
	size_t start = 0, end;

	buf[0] = '\0';
	if (s == NULL)
		return 0;
	while (s[start] == ' ' || s[start] == '\t')
		start++;
	end = start + strlen(s + start);
	while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (end - start >= bufsz)
		return -1;
	memcpy(buf, s + start, end - start);
	buf[end - start] = '\0';
	return 0;
}

static bool
absent(const char *s)
{
	if (s == NULL)
		return true;
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0';
}

static void
check_pseudonym(const struct order_input *in, struct order *out,
    struct errlist *el)
{
	struct field_error fe;

	if (copy_trimmed(out->pseudonym, sizeof(out->pseudonym),
	    in->pseudonym) == -1) {
		add_error(el, "pseudonym", "must be at most %d characters",
		    ADDRESS_LINE_MAX);
		return;
	}
	if (out->pseudonym[0] == '\0') {
		add_error(el, "pseudonym", "is required");
		return;
	}
	if (address_line_check("pseudonym", out->pseudonym, &fe) == -1)
		add_field_error(el, &fe);
}

/*
 * Address lines 2 to 5.  Empty lines are skipped (a form has four boxes, a
 * person fills some).  A line reading "poste restante" makes the order a
 * poste restante one; that line is always put last, as La Poste wants.
 */
static void
check_lines(const struct order_input *in, struct order *out,
    struct errlist *el)
{
	char tmp[ADDRESS_LINE_BYTES];
	struct field_error fe;
	size_t i, n = 0, given, max;
	bool poste = in->poste_restante;

	given = in->nlines;
	if (given > ORDER_INPUT_LINES_MAX) {
		add_error(el, "line", "at most %d address lines",
		    ADDRESS_LINES_MAX);
		given = ORDER_INPUT_LINES_MAX;
	}
	for (i = 0; i < given; i++) {
		if (copy_trimmed(tmp, sizeof(tmp), in->lines[i]) == -1) {
			add_error(el, "line", "must be at most %d characters "
			    "(line %zu)", ADDRESS_LINE_MAX, i + 1);
			continue;
		}
		if (tmp[0] == '\0')
			continue;
		if (address_is_poste_restante(tmp)) {
			poste = true;
			continue;
		}
		if (address_line_check("line", tmp, &fe) == -1) {
			add_error(el, "line", "%s (line %zu)", fe.msg, i + 1);
			continue;
		}
		if (n < ADDRESS_LINES_MAX &&
		    str_copy(out->lines[n], sizeof(out->lines[n]), tmp) == -1)
			add_error(el, "line", "is too long");
		n++;
	}
	OPENSSL_cleanse(tmp, sizeof(tmp));

	max = poste ? ADDRESS_LINES_MAX - 1 : ADDRESS_LINES_MAX;
	if (n > max) {
		add_error(el, "line", poste ? "at most %zu address lines with "
		    "poste restante" : "at most %zu address lines", max);
		return;
	}
	if (n == 0 && !poste) {
		add_error(el, "line", "at least one address line is required");
		return;
	}
	if (poste) {
		if (str_copy(out->lines[n], sizeof(out->lines[n]),
		    ADDRESS_POSTE_RESTANTE) == -1)
			add_error(el, "line", "is too long");
		n++;
	}
	out->nlines = n;
	out->poste_restante = poste;
}

static void
check_postcode(const struct order_input *in, struct order *out,
    struct errlist *el)
{
	char tmp[SMALL_FIELD];
	struct field_error fe;

	if (copy_trimmed(tmp, sizeof(tmp), in->postcode) == -1) {
		add_error(el, "postcode", "must be 5 digits");
		goto out;
	}
	if (address_postcode_check(tmp, out->dept, &fe) == -1) {
		add_field_error(el, &fe);
		goto out;
	}
	if (str_copy(out->postcode, sizeof(out->postcode), tmp) == -1)
		add_error(el, "postcode", "must be 5 digits");
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
}

static void
check_commune(const struct order_input *in, struct order *out,
    struct errlist *el)
{
	struct field_error fe;

	if (copy_trimmed(out->commune, sizeof(out->commune),
	    in->commune) == -1) {
		add_error(el, "commune", "must be at most %d characters",
		    ADDRESS_LINE_MAX - ADDRESS_POSTCODE_LEN - 1);
		return;
	}
	if (address_commune_check(out->commune, &fe) == -1)
		add_field_error(el, &fe);
}

/* The phone, and the consents that only make sense with one. */
static void
check_phone(const struct order_input *in, struct order *out,
    struct errlist *el)
{
	char tmp[PHONE_INPUT_MAX + 1];
	struct field_error fe;
	bool given = !absent(in->phone);

	if (given) {
		if (copy_trimmed(tmp, sizeof(tmp), in->phone) == -1)
			add_error(el, "phone", "must be at most %d characters",
			    PHONE_INPUT_MAX);
		else if (phone_normalise(tmp, out->phone, &fe) == -1)
			add_field_error(el, &fe);
	}
	if (in->consent_sms && !given)
		add_error(el, "consent_sms", "needs a phone number");
	if (in->consent_call && !given)
		add_error(el, "consent_call", "needs a phone number");
	out->consent_sms = in->consent_sms;
	out->consent_call = in->consent_call;
	OPENSSL_cleanse(tmp, sizeof(tmp));
}

static void
check_lang(const struct order_input *in, const struct catalogue *cat,
    const char *default_lang, struct order *out, struct errlist *el)
{
	const char *src = absent(in->lang) ? default_lang : in->lang;
	size_t i;

	if (absent(src))
		src = "fr";
	if (copy_trimmed(out->lang, sizeof(out->lang), src) == -1) {
		add_error(el, "lang", "is not a language this service offers");
		return;
	}
	for (i = 0; out->lang[i] != '\0'; i++)
		if (out->lang[i] >= 'A' && out->lang[i] <= 'Z')
			out->lang[i] = (char)(out->lang[i] + ('a' - 'A'));
	if (cat == NULL || !catalogue_has_lang(cat, out->lang)) {
		out->lang[0] = '\0';
		add_error(el, "lang", "is not a language this service offers");
	}
}

/* The variant to pack: the one asked for, spelt as the catalogue does. */
static const char *
pick_variant(const struct catalogue_pack *p, const char *asked,
    struct errlist *el)
{
	char field[32], tmp[CATALOGUE_VARIANT_MAX];
	size_t k;

	if (str_printf(field, sizeof(field), "variant_%s", p->code) == -1)
		return NULL;
	if (absent(asked)) {
		if (p->nvariants == 0)
			return "";
		if (p->default_variant != NULL)
			return p->default_variant;
		return p->variants[0];
	}
	if (p->nvariants == 0) {
		add_error(el, field, "this pack comes in one kind only");
		return NULL;
	}
	if (copy_trimmed(tmp, sizeof(tmp), asked) == 0)
		for (k = 0; k < p->nvariants; k++)
			if (str_casecmp(p->variants[k], tmp) == 0)
				return p->variants[k];
	add_error(el, field, "is not one of this pack's choices");
	return NULL;
}

static void
check_packs(const struct order_input *in, const struct catalogue *cat,
    struct order *out, struct errlist *el)
{
	size_t i, j;

	if (in->npacks > ORDER_PACKS_MAX) {
		add_error(el, "pack", "at most %d different packs in one order",
		    ORDER_PACKS_MAX);
		return;
	}
	if (in->npacks == 0) {
		add_error(el, "pack", "choose at least one pack");
		return;
	}
	for (i = 0; i < in->npacks; i++) {
		char code[CATALOGUE_CODE_MAX], qtys[SMALL_FIELD], field[32];
		const struct catalogue_pack *p = NULL;
		const char *variant;
		struct order_line *ol;
		long qty = 1;
		bool dup = false;

		if (absent(in->packs[i].code)) {
			add_error(el, "pack", "a pack code is missing");
			continue;
		}
		if (copy_trimmed(code, sizeof(code), in->packs[i].code) == 0 &&
		    cat != NULL)
			p = catalogue_pack(cat, code);
		if (p == NULL) {
			add_error(el, "pack", "unknown pack code");
			continue;
		}
		for (j = 0; j < out->npacks; j++)
			if (str_casecmp(out->packs[j].pack, p->code) == 0)
				dup = true;
		if (dup) {
			/* One row per pack: the form's fields are qty_CODE. */
			add_error(el, "pack", "pack listed twice");
			continue;
		}
		if (str_printf(field, sizeof(field), "qty_%s", p->code) == -1)
			continue;
		if (!absent(in->packs[i].qty) &&
		    (copy_trimmed(qtys, sizeof(qtys), in->packs[i].qty) == -1 ||
		    parse_long(qtys, ORDER_QTY_MIN, ORDER_QTY_MAX, &qty) == -1)) {
			add_error(el, field, "must be a whole number from %d to "
			    "%d", ORDER_QTY_MIN, ORDER_QTY_MAX);
			continue;
		}
		variant = pick_variant(p, in->packs[i].variant, el);
		if (variant == NULL)
			continue;
		ol = &out->packs[out->npacks];
		if (str_copy(ol->pack, sizeof(ol->pack), p->code) == -1 ||
		    str_copy(ol->variant, sizeof(ol->variant), variant) == -1) {
			add_error(el, "pack", "catalogue entry too long");
			continue;
		}
		ol->qty = (int)qty;
		out->npacks++;
	}
}

static void
check_for_people(const struct order_input *in, struct order *out,
    struct errlist *el)
{
	char tmp[SMALL_FIELD];
	long n = 1;

	if (!absent(in->for_people) &&
	    (copy_trimmed(tmp, sizeof(tmp), in->for_people) == -1 ||
	    parse_long(tmp, 1, ORDER_FOR_MAX, &n) == -1)) {
		add_error(el, "for_others", "must be a whole number from 1 to "
		    "%d", ORDER_FOR_MAX);
		return;
	}
	out->for_people = (int)n;
}

static bool
is_note_space(char c)
{
	return c == ' ' || c == '\n';
}

/*
 * The note: line breaks allowed (CR LF and CR become LF, as browsers send
 * CR LF), no other control character, at most ORDER_NOTE_MAX characters.
 * Spaces and line breaks around it are dropped.  Writes @note
 * (ORDER_NOTE_BYTES) or returns -1 with @fe.
 */
static int
note_check(const char *in, char *note, struct field_error *fe)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = 0, start = 0;

	note[0] = '\0';
	if (in == NULL)
		return 0;
	for (; *s != '\0'; s++) {
		char c = (char)*s;

		if (c == '\r') {
			if (s[1] == '\n')
				s++;
			c = '\n';
		}
		if (n + 1 >= ORDER_NOTE_BYTES)
			goto too_long;
		note[n++] = c;
	}
	while (n > 0 && is_note_space(note[n - 1]))
		n--;
	note[n] = '\0';
	while (is_note_space(note[start]))
		start++;
	if (start > 0) {
		memmove(note, note + start, n - start + 1);
		n -= start;
	}
	if (!utf8_valid(note, n))
		return field_error_set(fe, "note", "must be valid UTF-8 text");
	for (s = (const unsigned char *)note; *s != '\0'; s++) {
		/* C0 but newline, DEL, and C1 (U+0080..U+009F: C2 80..9F). */
		if ((*s < 0x20 && *s != '\n') || *s == 0x7f ||
		    (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f))
			return field_error_set(fe, "note", "must not contain "
			    "control characters other than line breaks");
	}
	if (utf8_len(note) > ORDER_NOTE_MAX)
		goto too_long;
	return 0;
too_long:
	return field_error_set(fe, "note", "must be at most %d characters",
	    ORDER_NOTE_MAX);
}

static void
check_note(const struct order_input *in, struct order *out,
    struct errlist *el)
{
	struct field_error fe;

	if (note_check(in->note, out->note, &fe) == -1)
		add_field_error(el, &fe);
}

/*
 * An address that passes every field rule can still be one no parcel can
 * carry: too long once laid out per AFNOR, a character no label can
 * print, a postcode that contradicts its commune.  Tell the person now,
 * next to the field, rather than the coordinator at print time.  Runs only
 * when the address fields are valid on their own.
 */
static void
check_label(const struct order *o, struct errlist *el)
{
	struct address_label lab;
	struct field_error e;

	if (has_error(el, "pseudonym") || has_error(el, "line") ||
	    has_error(el, "postcode") || has_error(el, "commune"))
		return;
	memset(&e, 0, sizeof(e));
	if (address_label_from_order(o, &lab, &e) != 0)
		add_error(el, e.field[0] != '\0' ? e.field : "line", "%s",
		    e.msg);
	address_label_clear(&lab);
}

size_t
order_from_input(const struct order_input *in, const struct catalogue *cat,
    const char *default_lang, struct order *out, struct field_error *errs,
    size_t nerrs)
{
	struct errlist el;
	size_t n;

	el.n = 0;
	order_clear(out);
	if (in == NULL) {
		add_error(&el, "order", "is missing");
		goto out;
	}
	check_pseudonym(in, out, &el);
	check_lines(in, out, &el);
	check_postcode(in, out, &el);
	check_commune(in, out, &el);
	check_phone(in, out, &el);
	check_lang(in, cat, default_lang, out, &el);
	check_packs(in, cat, out, &el);
	check_for_people(in, out, &el);
	check_note(in, out, &el);
	check_label(out, &el);
	if ((int)in->channel < (int)ORDER_CHANNEL_PHONE ||
	    (int)in->channel > (int)ORDER_CHANNEL_SMS)
		add_error(&el, "channel", "is not a known channel");
	else
		out->channel = in->channel;
out:
	if (el.n > 0)
		order_clear(out);
	/* nerrs == 0 asks only whether the order is valid. */
	n = el.n;
	if (nerrs > 0) {
		if (n > nerrs)
			n = nerrs;
		if (errs != NULL)
			memcpy(errs, el.e, n * sizeof(el.e[0]));
	}
	return n;
}

int
order_total_packs(const struct order *o)
{
	size_t i;
	int total = 0;

	for (i = 0; i < o->npacks && i < ORDER_PACKS_MAX; i++)
		total += o->packs[i].qty;
	return total;
}

void
order_clear(struct order *o)
{
	if (o != NULL)
		OPENSSL_cleanse(o, sizeof(*o));
}

/* --- JSON --------------------------------------------------------------- */

/* A JSON string from a fixed buffer that might lack its NUL. */
static json_t *
jstr(const char *buf, size_t bufsz)
{
	return json_stringn(buf, strnlen(buf, bufsz));
}

static int
set_new(json_t *obj, const char *key, json_t *v)
{
	/* json_object_set_new() releases @v when it fails, NULL included. */
	return json_object_set_new(obj, key, v);
}

int
order_encode(const struct order *o, enum order_encode_what what, char **out,
    size_t *outlen)
{
	json_t *root = NULL, *lines = NULL, *packs = NULL;
	char *buf = NULL;
	size_t i, n = 0;
	int rc = -1;

	(void)pthread_once(&json_once, json_init);
	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (o->nlines > ADDRESS_LINES_MAX || o->npacks > ORDER_PACKS_MAX ||
	    (what != ORDER_ENCODE_PII && what != ORDER_ENCODE_ALL))
		goto out;
	root = json_object();
	lines = json_array();
	if (root == NULL || lines == NULL)
		goto out;
	for (i = 0; i < o->nlines; i++)
		if (json_array_append_new(lines,
		    jstr(o->lines[i], sizeof(o->lines[i]))) == -1)
			goto out;
	if (set_new(root, "v", json_integer(ORDER_JSON_VERSION)) == -1 ||
	    set_new(root, "what", json_string(what == ORDER_ENCODE_ALL ?
	    "all" : "pii")) == -1 ||
	    set_new(root, "pseudonym", jstr(o->pseudonym,
	    sizeof(o->pseudonym))) == -1 ||
	    json_object_set(root, "lines", lines) == -1 ||
	    set_new(root, "postcode", jstr(o->postcode,
	    sizeof(o->postcode))) == -1 ||
	    set_new(root, "commune", jstr(o->commune,
	    sizeof(o->commune))) == -1 ||
	    set_new(root, "phone", jstr(o->phone, sizeof(o->phone))) == -1 ||
	    set_new(root, "note", jstr(o->note, sizeof(o->note))) == -1)
		goto out;
	if (what == ORDER_ENCODE_ALL) {
		const char *ch = order_channel_name(o->channel);

		packs = json_array();
		if (packs == NULL)
			goto out;
		for (i = 0; i < o->npacks; i++) {
			const struct order_line *ol = &o->packs[i];

			if (json_array_append_new(packs, json_pack("{s:s%,s:i,"
			    "s:s%}", "code", ol->pack, strnlen(ol->pack,
			    sizeof(ol->pack)), "qty", ol->qty, "variant",
			    ol->variant, strnlen(ol->variant,
			    sizeof(ol->variant)))) == -1)
				goto out;
		}
		if (strcmp(ch, "unknown") == 0 ||
		    set_new(root, "lang", jstr(o->lang, sizeof(o->lang))) == -1 ||
		    set_new(root, "consent_call",
		    json_boolean(o->consent_call)) == -1 ||
		    set_new(root, "consent_sms",
		    json_boolean(o->consent_sms)) == -1 ||
		    set_new(root, "poste_restante",
		    json_boolean(o->poste_restante)) == -1 ||
		    set_new(root, "for_people",
		    json_integer(o->for_people)) == -1 ||
		    set_new(root, "channel", json_string(ch)) == -1 ||
		    json_object_set(root, "packs", packs) == -1)
			goto out;
	}
	n = json_dumpb(root, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
	if (n == 0 || n > ORDER_ENCODED_MAX)
		goto out;
	buf = malloc(n + 1);
	if (buf == NULL)
		goto out;
	if (json_dumpb(root, buf, n, JSON_COMPACT | JSON_SORT_KEYS) != n)
		goto out;
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	if (outlen != NULL)
		*outlen = n;
	rc = 0;
out:
	if (buf != NULL)
		mem_wipe_free(buf, n + 1);
	json_decref(lines);
	json_decref(packs);
	json_decref(root);
	return rc;
}

static const char *const keys_pii[] = {
	"v", "what", "pseudonym", "lines", "postcode", "commune", "phone",
	"note",
};

static const char *const keys_all[] = {
	"lang", "consent_call", "consent_sms", "poste_restante", "for_people",
	"channel", "packs",
};

static bool
key_known(const char *key, enum order_encode_what what)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(keys_pii); i++)
		if (strcmp(key, keys_pii[i]) == 0)
			return true;
	if (what == ORDER_ENCODE_ALL)
		for (i = 0; i < ARRAY_LEN(keys_all); i++)
			if (strcmp(key, keys_all[i]) == 0)
				return true;
	return false;
}

/*
 * The string under @key, at most @max bytes and without a NUL inside, or
 * NULL with @err naming the key.
 */
static const char *
get_str(const json_t *v, const char *key, size_t max, struct field_error *err)
{
	const char *s;

	if (!json_is_string(v) || json_string_length(v) > max) {
		field_error_set(err, key, "is missing, too long or not text");
		return NULL;
	}
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		field_error_set(err, key, "is missing, too long or not text");
		return NULL;
	}
	return s;
}

static int
get_bool(const json_t *root, const char *key, bool *out,
    struct field_error *err)
{
	const json_t *v = json_object_get(root, key);

	if (!json_is_boolean(v))
		return field_error_set(err, key, "is missing or not true/false");
	*out = json_is_true(v);
	return 0;
}

/* A decoded integer, as text for order_from_input() to check its range. */
static int
get_int_text(const json_t *v, const char *key, char *buf, size_t bufsz,
    struct field_error *err)
{
	if (!json_is_integer(v) || str_printf(buf, bufsz, "%lld",
	    (long long)json_integer_value(v)) == -1)
		return field_error_set(err, key, "is missing or not a number");
	return 0;
}

/* The personal fields, checked the way order_from_input() checks them. */
static int
decode_pii(const json_t *root, struct order *o, struct field_error *err)
{
	const json_t *lines = json_object_get(root, "lines");
	char dept[ADDRESS_DEPT_MAX];
	const char *s;
	size_t i;

	s = get_str(json_object_get(root, "pseudonym"), "pseudonym",
	    ADDRESS_LINE_BYTES - 1, err);
	if (s == NULL || address_line_check("pseudonym", s, err) == -1 ||
	    str_copy(o->pseudonym, sizeof(o->pseudonym), s) == -1)
		return -1;
	if (!json_is_array(lines) || json_array_size(lines) == 0 ||
	    json_array_size(lines) > ADDRESS_LINES_MAX)
		return field_error_set(err, "line", "must be 1 to %d lines",
		    ADDRESS_LINES_MAX);
	for (i = 0; i < json_array_size(lines); i++) {
		s = get_str(json_array_get(lines, i), "line",
		    ADDRESS_LINE_BYTES - 1, err);
		if (s == NULL || address_line_check("line", s, err) == -1 ||
		    str_copy(o->lines[i], sizeof(o->lines[i]), s) == -1)
			return -1;
	}
	o->nlines = i;
	s = get_str(json_object_get(root, "postcode"), "postcode",
	    ADDRESS_POSTCODE_LEN, err);
	if (s == NULL || address_postcode_check(s, dept, err) == -1 ||
	    str_copy(o->postcode, sizeof(o->postcode), s) == -1)
		return -1;
	s = get_str(json_object_get(root, "commune"), "commune",
	    ADDRESS_LINE_BYTES - 1, err);
	if (s == NULL || address_commune_check(s, err) == -1 ||
	    str_copy(o->commune, sizeof(o->commune), s) == -1)
		return -1;
	s = get_str(json_object_get(root, "phone"), "phone",
	    PHONE_E164_MAX - 1, err);
	if (s == NULL)
		return -1;
	if (*s != '\0') {
		/* Stored numbers are E.164 already: normalising is a no-op. */
		if (phone_normalise(s, o->phone, err) == -1)
			return -1;
		if (strcmp(o->phone, s) != 0)
			return field_error_set(err, "phone", "is not in E.164 "
			    "form");
	}
	s = get_str(json_object_get(root, "note"), "note", ORDER_NOTE_BYTES - 1,
	    err);
	if (s == NULL || note_check(s, o->note, err) == -1)
		return -1;
	return 0;
}

/* The whole order, through order_from_input(). */
static int
decode_all(const json_t *root, const struct catalogue *cat, struct order *o,
    struct field_error *err)
{
	struct order_input in;
	struct field_error errs[1];
	char qty[ORDER_PACKS_MAX + 1][SMALL_FIELD], forp[SMALL_FIELD];
	const json_t *lines = json_object_get(root, "lines");
	const json_t *packs = json_object_get(root, "packs");
	const char *ch;
	size_t i;

	memset(&in, 0, sizeof(in));
	in.pseudonym = get_str(json_object_get(root, "pseudonym"), "pseudonym",
	    ADDRESS_LINE_BYTES - 1, err);
	if (in.pseudonym == NULL)
		return -1;
	if (!json_is_array(lines) ||
	    json_array_size(lines) > ORDER_INPUT_LINES_MAX)
		return field_error_set(err, "line", "must be at most %d lines",
		    ADDRESS_LINES_MAX);
	for (i = 0; i < json_array_size(lines); i++) {
		in.lines[i] = get_str(json_array_get(lines, i), "line",
		    ADDRESS_LINE_BYTES - 1, err);
		if (in.lines[i] == NULL)
			return -1;
	}
	in.nlines = i;
	in.postcode = get_str(json_object_get(root, "postcode"), "postcode",
	    SMALL_FIELD, err);
	in.commune = get_str(json_object_get(root, "commune"), "commune",
	    ADDRESS_LINE_BYTES - 1, err);
	in.phone = get_str(json_object_get(root, "phone"), "phone",
	    PHONE_INPUT_MAX, err);
	in.lang = get_str(json_object_get(root, "lang"), "lang",
	    CATALOGUE_LANG_MAX - 1, err);
	in.note = get_str(json_object_get(root, "note"), "note",
	    ORDER_NOTE_BYTES - 1, err);
	ch = get_str(json_object_get(root, "channel"), "channel", 16, err);
	if (in.postcode == NULL || in.commune == NULL || in.phone == NULL ||
	    in.lang == NULL || in.note == NULL || ch == NULL)
		return -1;
	if (order_channel_parse(ch, &in.channel) == -1)
		return field_error_set(err, "channel", "is not a known channel");
	if (*in.lang == '\0')
		return field_error_set(err, "lang", "is missing");
	if (get_bool(root, "consent_call", &in.consent_call, err) == -1 ||
	    get_bool(root, "consent_sms", &in.consent_sms, err) == -1 ||
	    get_bool(root, "poste_restante", &in.poste_restante, err) == -1 ||
	    get_int_text(json_object_get(root, "for_people"), "for_others",
	    forp, sizeof(forp), err) == -1)
		return -1;
	in.for_people = forp;
	if (!json_is_array(packs) ||
	    json_array_size(packs) > ORDER_PACKS_MAX)
		return field_error_set(err, "pack", "must be a list of at most "
		    "%d packs", ORDER_PACKS_MAX);
	for (i = 0; i < json_array_size(packs); i++) {
		const json_t *p = json_array_get(packs, i);

		if (!json_is_object(p) || json_object_size(p) != 3)
			return field_error_set(err, "pack", "is malformed");
		in.packs[i].code = get_str(json_object_get(p, "code"), "pack",
		    CATALOGUE_CODE_MAX - 1, err);
		in.packs[i].variant = get_str(json_object_get(p, "variant"),
		    "pack", CATALOGUE_VARIANT_MAX - 1, err);
		if (in.packs[i].code == NULL || in.packs[i].variant == NULL ||
		    get_int_text(json_object_get(p, "qty"), "pack", qty[i],
		    sizeof(qty[i]), err) == -1)
			return -1;
		in.packs[i].qty = qty[i];
	}
	in.npacks = i;
	if (order_from_input(&in, cat, NULL, o, errs, ARRAY_LEN(errs)) > 0) {
		if (err != NULL)
			*err = errs[0];
		return -1;
	}
	return 0;
}

int
order_decode(const char *json, size_t len, enum order_encode_what what,
    const struct catalogue *cat, struct order *o, struct field_error *err)
{
	struct order tmp;
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *key, *w;
	int rc = -1;

	(void)pthread_once(&json_once, json_init);
	memset(&tmp, 0, sizeof(tmp));
	if (json == NULL || len == 0 || len > ORDER_ENCODED_MAX ||
	    (what != ORDER_ENCODE_PII && what != ORDER_ENCODE_ALL)) {
		field_error_set(err, "order", "is empty or too long");
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	/* jansson quotes the text near a syntax error: it may be personal. */
	OPENSSL_cleanse(&jerr, sizeof(jerr));
	if (root == NULL || !json_is_object(root)) {
		field_error_set(err, "order", "is not a JSON object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (!key_known(key, what)) {
			field_error_set(err, "order", "has an unknown key");
			goto out;
		}
	}
	v = json_object_get(root, "v");
	w = json_string_value(json_object_get(root, "what"));
	if (!json_is_integer(v) || json_integer_value(v) != ORDER_JSON_VERSION) {
		field_error_set(err, "order", "has an unknown version");
		goto out;
	}
	if (w == NULL ||
	    strcmp(w, what == ORDER_ENCODE_ALL ? "all" : "pii") != 0) {
		field_error_set(err, "order", "is not the expected kind");
		goto out;
	}
	if (what == ORDER_ENCODE_ALL) {
		if (decode_all(root, cat, &tmp, err) == -1)
			goto out;
		*o = tmp;
	} else {
		if (decode_pii(root, &tmp, err) == -1)
			goto out;
		memcpy(o->pseudonym, tmp.pseudonym, sizeof(o->pseudonym));
		memcpy(o->lines, tmp.lines, sizeof(o->lines));
		o->nlines = tmp.nlines;
		memcpy(o->postcode, tmp.postcode, sizeof(o->postcode));
		memcpy(o->commune, tmp.commune, sizeof(o->commune));
		memcpy(o->phone, tmp.phone, sizeof(o->phone));
		memcpy(o->note, tmp.note, sizeof(o->note));
	}
	rc = 0;
out:
	order_clear(&tmp);
	json_decref(root);
	return rc;
}

const char *
order_status_name(enum order_status st)
{
	if ((int)st < 0 || (int)st >= ORDER_STATUS_COUNT)
		return "unknown";
	return status_names[st];
}

int
order_status_parse(const char *name, enum order_status *out)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < ARRAY_LEN(status_names); i++) {
		if (str_casecmp(name, status_names[i]) == 0) {
			*out = (enum order_status)i;
			return 0;
		}
	}
	return -1;
}

const char *
order_channel_name(enum order_channel ch)
{
	if ((int)ch < 0 || (size_t)ch >= ARRAY_LEN(channel_names))
		return "unknown";
	return channel_names[ch];
}

int
order_channel_parse(const char *name, enum order_channel *out)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < ARRAY_LEN(channel_names); i++) {
		if (str_casecmp(name, channel_names[i]) == 0) {
			*out = (enum order_channel)i;
			return 0;
		}
	}
	return -1;
}
