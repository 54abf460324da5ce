/*
 * La Poste Suivi v2 (see tracking.h for the contracts): the answer parser,
 * the libcurl client, and the store side of carrier tracking.  The parser
 * treats every byte of an answer as hostile: sizes are capped before
 * jansson sees them, every field is type-checked before use, a number
 * that comes back must be one we asked about, and only our own sentences
 * (never La Poste's returnMessage, never a jansson message quoting the
 * input) reach a result.  The client puts only checked tracking numbers
 * and a checked language into the URL, refuses plain http except to a
 * loopback address, verifies TLS, follows no redirect, caps the body and
 * the time, and wipes the API key from its buffers.  Moves to delivered or
 * returned go through the store's lifecycle in one transaction with the
 * parcel row and their audit entries.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "shipping/tracking.h"

#define DATE_MAX 40		/* "2020-12-07T00:00:00.000+01:00" and more */
#define RETRY_AFTER_BYTES 64	/* a Retry-After value we read */
#define HEADER_KEY "X-Okapi-Key: "
#define LANG_LEN 5		/* fr_FR */

/* The codes the API documents, and what the newest of them means. */
static const struct {
	const char *code;
	enum tracking_state state;
} event_codes[] = {
	{ "DR1", TRACKING_TRANSIT },	/* declared */
	{ "PC1", TRACKING_TRANSIT },	/* taken in charge */
	{ "PC2", TRACKING_TRANSIT },	/* taken in charge abroad */
	{ "ET1", TRACKING_TRANSIT },	/* in transit */
	{ "ET2", TRACKING_TRANSIT },
	{ "ET3", TRACKING_TRANSIT },
	{ "ET4", TRACKING_TRANSIT },
	{ "EP1", TRACKING_TRANSIT },	/* awaiting presentation */
	{ "DO1", TRACKING_TRANSIT },	/* customs */
	{ "DO2", TRACKING_TRANSIT },
	{ "DO3", TRACKING_TRANSIT },
	{ "PB1", TRACKING_TRANSIT },	/* problem */
	{ "PB2", TRACKING_TRANSIT },	/* problem resolved */
	{ "MD2", TRACKING_TRANSIT },	/* out for delivery */
	{ "ND1", TRACKING_TRANSIT },	/* undeliverable (a return follows) */
	{ "AG1", TRACKING_TRANSIT },	/* to collect at the counter */
	{ "RE1", TRACKING_RETURNED },	/* returned to sender */
	{ "DI1", TRACKING_DELIVERED },	/* delivered */
	{ "DI2", TRACKING_RETURNED },	/* delivered back to the sender */
};

static const char *const state_names[] = {
	[TRACKING_TRANSIT] = "transit",
	[TRACKING_DELIVERED] = "delivered",
	[TRACKING_RETURNED] = "returned",
	[TRACKING_UNKNOWN] = "unknown",
	[TRACKING_LATER] = "later",
	[TRACKING_ERROR] = "error",
};

static const char *const action_names[] = {
	[TRACKING_ACT_DELIVERED] = "delivered",
	[TRACKING_ACT_RETURNED] = "returned",
	[TRACKING_ACT_UNCHANGED] = "unchanged",
	[TRACKING_ACT_ERROR] = "error",
};

static bool
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

int
tracking_id_check(const char *id, char out[TRACKING_ID_BYTES])
{
	size_t i;

	out[0] = '\0';
	if (id == NULL)
		return -1;
	for (i = 0; id[i] != '\0'; i++) {
		if (i >= TRACKING_ID_MAX || !is_alnum(id[i])) {
			out[0] = '\0';
			return -1;
		}
		out[i] = (id[i] >= 'a' && id[i] <= 'z') ?
		    (char)(id[i] - 'a' + 'A') : id[i];
	}
	out[i] = '\0';
	if (i < TRACKING_ID_MIN) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* An event code: 1 to TRACKING_CODE_MAX of A-Z 0-9. */
static bool
code_shaped(const char *code)
{
	size_t i;

	for (i = 0; code[i] != '\0'; i++)
		if (i >= TRACKING_CODE_MAX || !((code[i] >= 'A' &&
		    code[i] <= 'Z') || (code[i] >= '0' && code[i] <= '9')))
			return false;
	return i > 0;
}

enum tracking_state
tracking_code_state(const char *code)
{
	for (size_t i = 0; code != NULL && i < ARRAY_LEN(event_codes); i++)
		if (strcmp(code, event_codes[i].code) == 0)
			return event_codes[i].state;
	return TRACKING_UNKNOWN;
}

bool
tracking_code_known(const char *code)
{
	return tracking_code_state(code) != TRACKING_UNKNOWN;
}

const char *
tracking_state_name(enum tracking_state s)
{
	if ((unsigned)s >= ARRAY_LEN(state_names))
		return "?";
	return state_names[s];
}

const char *
tracking_action_name(enum tracking_action a)
{
	if ((unsigned)a >= ARRAY_LEN(action_names))
		return "?";
	return action_names[a];
}

/* ---- the parser ---- */

/* What one parse needs to hand around. */
struct parse_ctx {
	const char *const *ids;
	size_t nids;
	struct tracking_answer *ans;
	bool answered[TRACKING_BATCH_MAX];
};

static enum tracking_status
body_error(struct tracking_answer *ans, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum tracking_status
body_error(struct tracking_answer *ans, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* Our sentence only; it is never parsed, a cut is harmless. */
	vsnprintf(ans->err, sizeof(ans->err), fmt, ap);
	va_end(ap);
	return TRACKING_ERR_BODY;
}

/*
 * La Poste's times: "2020-12-07T00:00:00+01:00", maybe with fractions of
 * a second, which clock_parse() does not take: they are dropped.
 */
static int
parse_date(const char *s, time_t *out)
{
	char buf[DATE_MAX];
	size_t i = 0, o = 0;

	for (; s[i] != '\0'; i++) {
		if (s[i] == '.' && i == 19) {
			i++;
			while (s[i] >= '0' && s[i] <= '9')
				i++;
			if (s[i] == '\0')
				break;
		}
		if (o + 1 >= sizeof(buf))
			return -1;
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	return clock_parse(buf, out);
}

/*
 * Copy a label for staff screens: at most TRACKING_LABEL_MAX bytes cut at
 * a character boundary, control characters (C0, DEL, C1: a terminal
 * escape sequence among them) turned into spaces.  @s is UTF-8 (jansson
 * checked it).
 */
static void
clean_label(const char *s, char out[TRACKING_LABEL_BYTES])
{
	size_t i = 0, o = 0, n, k;
	unsigned char c, c2;

	while (s[i] != '\0') {
		c = (unsigned char)s[i];
		c2 = (unsigned char)s[i + 1];
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && c2 >= 0x80 &&
		    c2 < 0xa0)) {
			if (o + 1 > TRACKING_LABEL_MAX)
				break;
			out[o++] = ' ';
			i += c == 0xc2 ? 2 : 1;
			continue;
		}
		n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (o + n > TRACKING_LABEL_MAX)
			break;
		for (k = 0; k < n && s[i] != '\0'; k++)
			out[o++] = s[i++];
	}
	out[o] = '\0';
}

/* An optional member: absent or null, or of the type @ok accepts. */
static bool
opt_type(json_t *obj, const char *name, int (*ok)(const json_t *))
{
	json_t *v = json_object_get(obj, name);

	return v == NULL || json_is_null(v) || ok(v);
}

static int
is_string(const json_t *v)
{
	return json_is_string(v);
}

static int
is_number(const json_t *v)
{
	return json_is_number(v);
}

static int
is_bool(const json_t *v)
{
	return json_is_boolean(v);
}

static int
is_object(const json_t *v)
{
	return json_is_object(v);
}

/* Check a shipment's timeline steps; -1 with @why. */
static int
check_timeline(json_t *tl, char *why, size_t whysz)
{
	size_t i;
	json_t *step;

	if (!json_is_array(tl)) {
		errbuf_set(why, whysz, "timeline is not an array");
		return -1;
	}
	if (json_array_size(tl) > TRACKING_TIMELINE_MAX) {
		errbuf_set(why, whysz, "timeline has more than %d steps",
		    TRACKING_TIMELINE_MAX);
		return -1;
	}
	json_array_foreach(tl, i, step) {
		if (!json_is_object(step) || !opt_type(step, "id", is_number) ||
		    !opt_type(step, "shortLabel", is_string) ||
		    !opt_type(step, "longLabel", is_string) ||
		    !opt_type(step, "status", is_bool) ||
		    !opt_type(step, "type", is_number) ||
		    !opt_type(step, "date", is_string) ||
		    !opt_type(step, "country", is_string)) {
			errbuf_set(why, whysz, "timeline[%zu] has a member of "
			    "the wrong type", i);
			return -1;
		}
	}
	return 0;
}

/* Read the events into @r; -1 with @why. */
static int
read_events(json_t *events, struct tracking_result *r, char *why,
    size_t whysz)
{
	json_t *ev, *code, *label, *date;
	const char *c;
	time_t t;
	size_t i, k;

	if (!json_is_array(events)) {
		errbuf_set(why, whysz, "event is missing or not an array");
		return -1;
	}
	if (json_array_size(events) > TRACKING_EVENTS_MAX) {
		errbuf_set(why, whysz, "more than %d events",
		    TRACKING_EVENTS_MAX);
		return -1;
	}
	json_array_foreach(events, i, ev) {
		if (!json_is_object(ev) || !opt_type(ev, "order", is_number)) {
			errbuf_set(why, whysz, "event[%zu] is not an object "
			    "or its order not a number", i);
			return -1;
		}
		code = json_object_get(ev, "code");
		label = json_object_get(ev, "label");
		date = json_object_get(ev, "date");
		if (!json_is_string(code) || !code_shaped(json_string_value(
		    code))) {
			errbuf_set(why, whysz, "event[%zu].code is missing or "
			    "not 1 to %d of A-Z 0-9", i, TRACKING_CODE_MAX);
			return -1;
		}
		if (!json_is_string(label)) {
			errbuf_set(why, whysz, "event[%zu].label is missing or "
			    "not a string", i);
			return -1;
		}
		if (!json_is_string(date) ||
		    parse_date(json_string_value(date), &t) != 0) {
			errbuf_set(why, whysz, "event[%zu].date is missing or "
			    "not an ISO 8601 time", i);
			return -1;
		}
		c = json_string_value(code);
		if (i == 0) {
			/* Newest first: the first event decides. */
			memcpy(r->code, c, strlen(c) + 1);
			clean_label(json_string_value(label), r->label);
			r->date = t;
		}
		if (tracking_code_known(c))
			continue;
		for (k = 0; k < r->nunknown; k++)
			if (strcmp(r->unknown[k], c) == 0)
				break;
		if (k == r->nunknown && r->nunknown < TRACKING_UNKNOWN_MAX)
			memcpy(r->unknown[r->nunknown++], c, strlen(c) + 1);
	}
	return 0;
}

/* A shipment whose idShip was already tied to @r; -1 with @why. */
static int
read_shipment(json_t *sh, struct tracking_result *r, char *why,
    size_t whysz)
{
	static const char *const dates[] = {
		"entryDate", "estimDate", "estimHourMin", "estimHourMax",
		"deliveryDate",
	};
	json_t *fin = json_object_get(sh, "isFinal");
	json_t *tl = json_object_get(sh, "timeline");

	if (!opt_type(sh, "holder", is_number) ||
	    !opt_type(sh, "product", is_string) ||
	    !opt_type(sh, "url", is_string) ||
	    !opt_type(sh, "contextData", is_object) ||
	    !opt_type(sh, "isFinal", is_bool)) {
		errbuf_set(why, whysz, "holder, product, url, contextData or "
		    "isFinal has the wrong type");
		return -1;
	}
	for (size_t i = 0; i < ARRAY_LEN(dates); i++) {
		if (!opt_type(sh, dates[i], is_string)) {
			errbuf_set(why, whysz, "%s is not a string", dates[i]);
			return -1;
		}
	}
	if (tl != NULL && !json_is_null(tl) &&
	    check_timeline(tl, why, whysz) != 0)
		return -1;
	r->is_final = json_is_true(fin);
	if (read_events(json_object_get(sh, "event"), r, why, whysz) != 0)
		return -1;
	r->state = r->code[0] == '\0' ? TRACKING_TRANSIT :
	    tracking_code_state(r->code);
	return 0;
}

/* Index of checked number @id among the asked ones, or -1. */
static int
asked_index(const struct parse_ctx *cx, json_t *id)
{
	char canon[TRACKING_ID_BYTES];

	if (!json_is_string(id) ||
	    tracking_id_check(json_string_value(id), canon) != 0)
		return -1;
	for (size_t i = 0; i < cx->nids; i++)
		if (strcmp(cx->ids[i], canon) == 0)
			return (int)i;
	return -1;
}

/* What a returnCode other than 200 means for a number. */
static void
set_refusal(struct tracking_result *r, int rc)
{
	r->return_code = rc;
	r->code[0] = '\0';
	r->label[0] = '\0';
	r->date = 0;
	switch (rc) {
	case 104:
		r->state = TRACKING_LATER;
		errbuf_set(r->reason, sizeof(r->reason), "not yet available "
		    "at La Poste (104): asked again next round");
		break;
	case 101:
		r->state = TRACKING_ERROR;
		errbuf_set(r->reason, sizeof(r->reason), "La Poste says the "
		    "number is invalid (101)");
		break;
	case 105:
		r->state = TRACKING_ERROR;
		errbuf_set(r->reason, sizeof(r->reason), "La Poste does not "
		    "know this number (105)");
		break;
	case 400:
		r->state = TRACKING_ERROR;
		errbuf_set(r->reason, sizeof(r->reason), "La Poste refused "
		    "the number (400)");
		break;
	default:
		r->state = TRACKING_ERROR;
		errbuf_set(r->reason, sizeof(r->reason), "La Poste answered "
		    "returnCode %d for this number", rc);
		break;
	}
}

/*
 * One unitary response: {returnCode: 200, shipment} or {returnCode,
 * returnMessage, idShip}.  @whole: a refusal without idShip concerns every
 * asked number (a 400 or 404 for the request).
 */
static enum tracking_status
read_unit(struct parse_ctx *cx, json_t *u, size_t pos, bool whole)
{
	struct tracking_answer *ans = cx->ans;
	json_t *rcv, *sh, *idv;
	json_int_t rc;
	int at;

	if (!json_is_object(u))
		return body_error(ans, "answer %zu is not an object", pos);
	rcv = json_object_get(u, "returnCode");
	if (!json_is_integer(rcv) || json_integer_value(rcv) < 0 ||
	    json_integer_value(rcv) > 999)
		return body_error(ans, "answer %zu: returnCode is missing or "
		    "not a number from 0 to 999", pos);
	rc = json_integer_value(rcv);
	if (!opt_type(u, "lang", is_string) ||
	    !opt_type(u, "scope", is_string) ||
	    !opt_type(u, "returnMessage", is_string))
		return body_error(ans, "answer %zu: lang, scope or "
		    "returnMessage is not a string", pos);
	sh = json_object_get(u, "shipment");
	if (rc == 200) {
		if (whole)
			return body_error(ans, "returnCode 200 in an HTTP %ld "
			    "answer", ans->http_status);
		if (!json_is_object(sh))
			return body_error(ans, "answer %zu: shipment is "
			    "missing or not an object", pos);
		at = asked_index(cx, json_object_get(sh, "idShip"));
		if (at < 0)
			return body_error(ans, "answer %zu: shipment.idShip is "
			    "missing or not a number we asked about", pos);
		if (cx->answered[at])
			return body_error(ans, "number %s answered twice",
			    cx->ids[at]);
		cx->answered[at] = true;
		struct tracking_result *r = &ans->results[at];
		char why[TRACKING_REASON_MAX - 32];

		r->return_code = 200;
		r->reason[0] = '\0';
		if (read_shipment(sh, r, why, sizeof(why)) != 0) {
			r->state = TRACKING_ERROR;
			r->code[0] = '\0';
			r->label[0] = '\0';
			r->date = 0;
			r->nunknown = 0;
			errbuf_set(r->reason, sizeof(r->reason), "malformed "
			    "shipment: %s", why);
		}
		return TRACKING_OK;
	}
	idv = json_object_get(u, "idShip");
	if (idv != NULL && !json_is_null(idv)) {
		at = asked_index(cx, idv);
		if (at < 0)
			return body_error(ans, "answer %zu: idShip is not a "
			    "number we asked about", pos);
		if (cx->answered[at])
			return body_error(ans, "number %s answered twice",
			    cx->ids[at]);
		cx->answered[at] = true;
		set_refusal(&ans->results[at], (int)rc);
		return TRACKING_OK;
	}
	if (!whole && cx->nids != 1)
		return body_error(ans, "answer %zu: returnCode %d without "
		    "idShip", pos, (int)rc);
	for (size_t i = 0; i < cx->nids; i++) {
		if (cx->answered[i])
			return body_error(ans, "number %s answered twice",
			    cx->ids[i]);
		cx->answered[i] = true;
		set_refusal(&ans->results[i], (int)rc);
	}
	return TRACKING_OK;
}

enum tracking_status
tracking_parse(long http_status, const char *body, size_t len,
    const char *const *ids, size_t nids, struct tracking_answer *ans)
{
	struct parse_ctx cx;
	enum tracking_status ret;
	json_error_t jerr;
	json_t *root = NULL, *u;
	char canon[TRACKING_ID_BYTES];
	size_t i, j;

	memset(ans, 0, sizeof(*ans));
	ans->retry_after = -1;
	ans->http_status = http_status;
	if (ids == NULL || nids == 0 || nids > TRACKING_BATCH_MAX) {
		errbuf_set(ans->err, sizeof(ans->err), "1 to %d numbers a "
		    "request", TRACKING_BATCH_MAX);
		return TRACKING_ERR_INVALID;
	}
	for (i = 0; i < nids; i++) {
		if (tracking_id_check(ids[i], canon) != 0 ||
		    strcmp(canon, ids[i]) != 0) {
			errbuf_set(ans->err, sizeof(ans->err), "number %zu is "
			    "not a canonical La Poste tracking number", i + 1);
			return TRACKING_ERR_INVALID;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(ids[i], ids[j]) == 0) {
				errbuf_set(ans->err, sizeof(ans->err),
				    "number %s asked twice", ids[i]);
				return TRACKING_ERR_INVALID;
			}
		}
	}
	switch (http_status) {
	case 200:
	case 207:
	case 400:
	case 404:
		break;
	case 401:
	case 403:
		errbuf_set(ans->err, sizeof(ans->err), "La Poste refused the "
		    "key (HTTP %ld): check [laposte] key", http_status);
		return TRACKING_ERR_AUTH;
	case 429:
		errbuf_set(ans->err, sizeof(ans->err), "over La Poste's quota "
		    "(HTTP 429)");
		return TRACKING_ERR_QUOTA;
	default:
		errbuf_set(ans->err, sizeof(ans->err), "La Poste answered "
		    "HTTP %ld", http_status);
		return TRACKING_ERR_SERVER;
	}
	if (body == NULL && len > 0)
		return body_error(ans, "no body");
	if (len > TRACKING_BODY_MAX)
		return body_error(ans, "answer larger than %d bytes refused",
		    TRACKING_BODY_MAX);

	memset(&cx, 0, sizeof(cx));
	cx.ids = ids;
	cx.nids = nids;
	cx.ans = ans;
	ans->nresults = nids;
	for (i = 0; i < nids; i++) {
		memcpy(ans->results[i].id, ids[i], strlen(ids[i]) + 1);
		ans->results[i].state = TRACKING_LATER;
		errbuf_set(ans->results[i].reason,
		    sizeof(ans->results[i].reason),
		    "no answer for this number");
	}
	/* Duplicate keys would let two readers see two answers. */
	root = json_loadb(len > 0 ? body : "", len, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (root == NULL) {
		/* jerr.text may quote the input: only its place is said. */
		ret = body_error(ans, "malformed JSON (HTTP %ld, line %d, "
		    "column %d)", http_status, jerr.line, jerr.column);
		goto out;
	}
	if (http_status == 400 || http_status == 404) {
		ret = read_unit(&cx, root, 1, true);
	} else if (json_is_object(root)) {
		ret = read_unit(&cx, root, 1, false);
	} else if (json_is_array(root)) {
		ret = TRACKING_OK;
		if (json_array_size(root) > nids) {
			ret = body_error(ans, "%zu answers for %zu numbers",
			    json_array_size(root), nids);
			goto out;
		}
		json_array_foreach(root, i, u) {
			ret = read_unit(&cx, u, i + 1, false);
			if (ret != TRACKING_OK)
				break;
		}
	} else {
		ret = body_error(ans, "the answer is neither an object nor an "
		    "array");
	}
out:
	if (ret != TRACKING_OK)
		ans->nresults = 0;
	json_decref(root);
	return ret;
}

long
tracking_retry_after(const char *value, time_t now)
{
	char buf[RETRY_AFTER_BYTES];
	long secs;
	time_t t;

	if (value == NULL || str_copy(buf, sizeof(buf), value) != 0)
		return -1;
	str_trim(buf);
	if (buf[0] >= '0' && buf[0] <= '9')
		return parse_long(buf, 0, TRACKING_RETRY_AFTER_MAX,
		    &secs) == 0 ? secs : -1;
	t = curl_getdate(buf, NULL);
	if (t == (time_t)-1)
		return -1;
	if (t <= now)
		return 0;
	if (t - now > TRACKING_RETRY_AFTER_MAX)
		return -1;
	return (long)(t - now);
}

/* ---- the client ---- */

struct fetch_buf {
	char *data;
	size_t len;
	size_t cap;
	bool too_large;
	char retry_after[RETRY_AFTER_BYTES];
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_buf *b = arg;
	size_t n = size * nmemb;

	if (n > TRACKING_BODY_MAX - b->len) {
		/* Returning less than given stops the transfer. */
		b->too_large = true;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 16384;
		char *nd;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > TRACKING_BODY_MAX + 1)
			cap = TRACKING_BODY_MAX + 1;
		nd = realloc(b->data, cap);
		if (nd == NULL)
			return 0;
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch_buf *b = arg;
	size_t n = size * nmemb, name = sizeof("Retry-After:") - 1, vlen;

	if (n > name && strncasecmp(ptr, "Retry-After:", name) == 0) {
		vlen = n - name;
		while (vlen > 0 && (ptr[name + vlen - 1] == '\n' ||
		    ptr[name + vlen - 1] == '\r'))
			vlen--;
		if (vlen < sizeof(b->retry_after)) {
			memcpy(b->retry_after, ptr + name, vlen);
			b->retry_after[vlen] = '\0';
		}
	}
	return n;
}

/*
 * The key travels in a header: https only, or plain http to this machine
 * (the tests' fixture server).  "http://127.0.0.1.example.org" must not
 * pass: the host ends at ':', '/' or the end.
 */
static bool
url_allowed(const char *url)
{
	static const char *const loopback[] = {
		"http://127.0.0.1", "http://localhost", "http://[::1]",
	};

	if (strncasecmp(url, "https://", 8) == 0)
		return url[8] != '\0';
	for (size_t i = 0; i < ARRAY_LEN(loopback); i++) {
		size_t n = strlen(loopback[i]);

		if (strncasecmp(url, loopback[i], n) == 0 &&
		    (url[n] == '\0' || url[n] == ':' || url[n] == '/'))
			return true;
	}
	return false;
}

/* fr_FR, en_GB: two lower-case letters, '_', two capitals. */
static bool
lang_ok(const char *lang)
{
	return lang != NULL && strlen(lang) == LANG_LEN &&
	    lang[0] >= 'a' && lang[0] <= 'z' && lang[1] >= 'a' &&
	    lang[1] <= 'z' && lang[2] == '_' && lang[3] >= 'A' &&
	    lang[3] <= 'Z' && lang[4] >= 'A' && lang[4] <= 'Z';
}

/* A key of 1 to TRACKING_KEY_MAX printable ASCII characters. */
static bool
key_ok(const char *key)
{
	size_t i;

	if (key == NULL)
		return false;
	for (i = 0; key[i] != '\0'; i++)
		if (i >= TRACKING_KEY_MAX || key[i] <= ' ' || key[i] >= 0x7f)
			return false;
	return i > 0;
}

/* Wipe the strings of a header list (the key is in one), then free it. */
static void
headers_free(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p != NULL; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/* <base>/idships/<id1,...>?lang=<lang>; ids already checked. */
static int
build_url(const struct tracking_client *cl, const char *const *ids,
    size_t nids, char *url, size_t urlsz)
{
	char list[TRACKING_BATCH_MAX * (TRACKING_ID_MAX + 1)];
	size_t blen = strlen(cl->url), used = 0;

	while (blen > 0 && cl->url[blen - 1] == '/')
		blen--;
	list[0] = '\0';
	for (size_t i = 0; i < nids; i++) {
		if (str_printf(list + used, sizeof(list) - used, "%s%s",
		    i > 0 ? "," : "", ids[i]) < 0)
			return -1;
		used += strlen(list + used);
	}
	if (blen > INT32_MAX)
		return -1;
	return str_printf(url, urlsz, "%.*s/idships/%s?lang=%s", (int)blen,
	    cl->url, list, cl->lang) < 0 ? -1 : 0;
}

enum tracking_status
tracking_fetch(const struct tracking_client *cl, const char *const *ids,
    size_t nids, struct tracking_answer *ans)
{
	struct fetch_buf b = { NULL, 0, 0, false, "" };
	struct curl_slist *hdrs = NULL, *h;
	enum tracking_status ret = TRACKING_ERR_INVALID;
	char url[TRACKING_URL_MAX], canon[TRACKING_ID_BYTES];
	char keyhdr[sizeof(HEADER_KEY) + TRACKING_KEY_MAX];
	CURL *curl = NULL;
	CURLcode cc;
	long status = 0, ct, tt;

	memset(ans, 0, sizeof(*ans));
	ans->retry_after = -1;
	if (cl == NULL || ids == NULL || nids == 0 ||
	    nids > TRACKING_BATCH_MAX) {
		errbuf_set(ans->err, sizeof(ans->err), "1 to %d numbers a "
		    "request", TRACKING_BATCH_MAX);
		goto out;
	}
	/* Nothing unchecked goes into the URL. */
	for (size_t i = 0; i < nids; i++) {
		if (tracking_id_check(ids[i], canon) != 0 ||
		    strcmp(canon, ids[i]) != 0) {
			errbuf_set(ans->err, sizeof(ans->err), "number %zu is "
			    "not a canonical La Poste tracking number (11 to "
			    "15 letters and digits)", i + 1);
			goto out;
		}
	}
	if (cl->url == NULL || !url_allowed(cl->url) ||
	    strpbrk(cl->url, "?# \t\r\n") != NULL) {
		errbuf_set(ans->err, sizeof(ans->err), "[laposte] url must be "
		    "https (plain http only to 127.0.0.1, [::1] or localhost), "
		    "without query or fragment");
		goto out;
	}
	if (!lang_ok(cl->lang)) {
		errbuf_set(ans->err, sizeof(ans->err), "[laposte] lang must "
		    "look like fr_FR");
		goto out;
	}
	if (!key_ok(cl->key)) {
		errbuf_set(ans->err, sizeof(ans->err), "[laposte] key must be "
		    "1 to %d printable characters without spaces",
		    TRACKING_KEY_MAX);
		goto out;
	}
	if (build_url(cl, ids, nids, url, sizeof(url)) != 0) {
		errbuf_set(ans->err, sizeof(ans->err), "[laposte] url is too "
		    "long");
		goto out;
	}
	ret = TRACKING_ERR_NETWORK;
	/* Each step only if the one before it worked; one check after. */
	if (str_printf(keyhdr, sizeof(keyhdr), HEADER_KEY "%s", cl->key) >= 0)
		hdrs = curl_slist_append(NULL, keyhdr);
	h = hdrs != NULL ? curl_slist_append(hdrs, "Accept: application/json") :
	    NULL;
	if (h != NULL)
		curl = curl_easy_init();
	if (curl == NULL) {
		errbuf_set(ans->err, sizeof(ans->err), "out of memory");
		goto out;
	}
	ct = cl->connect_timeout_ms > 0 ? cl->connect_timeout_ms :
	    TRACKING_CONNECT_TIMEOUT_MS;
	tt = cl->timeout_ms > 0 ? cl->timeout_ms : TRACKING_TIMEOUT_MS;
	if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, ct) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, tt) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_USERAGENT, "hrpost") != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)TRACKING_BODY_MAX) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &b) != CURLE_OK) {
		errbuf_set(ans->err, sizeof(ans->err), "cannot set up the "
		    "request");
		goto out;
	}
	cc = curl_easy_perform(curl);
	if (b.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
		ret = TRACKING_ERR_BODY;
		errbuf_set(ans->err, sizeof(ans->err), "answer larger than %d "
		    "bytes refused", TRACKING_BODY_MAX);
		goto out;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		errbuf_set(ans->err, sizeof(ans->err), "no answer from La "
		    "Poste within %ld ms", tt);
		goto out;
	}
	if (cc != CURLE_OK) {
		/* curl's sentences name the failure, never a header. */
		errbuf_set(ans->err, sizeof(ans->err), "cannot reach La Poste: "
		    "%s", curl_easy_strerror(cc));
		goto out;
	}
	if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK || status < 100 || status > 999) {
		errbuf_set(ans->err, sizeof(ans->err), "no HTTP status from La "
		    "Poste");
		goto out;
	}
	ret = tracking_parse(status, b.data, b.len, ids, nids, ans);
	/*
	 * The real clock, not clock_now(): Retry-After is the server's
	 * wall time, and $HRPOST_NOW only moves our own schedule.
	 */
	if (ret == TRACKING_ERR_QUOTA && b.retry_after[0] != '\0')
		ans->retry_after = tracking_retry_after(b.retry_after,
		    time(NULL));
out:
	if (ans->http_status == 0)
		ans->http_status = status;
	OPENSSL_cleanse(keyhdr, sizeof(keyhdr));
	headers_free(hdrs);
	curl_easy_cleanup(curl);
	free(b.data);
	return ret;
}

/* ---- the store side ---- */

int
tracking_shipped(struct store *st, int64_t centre_id,
    struct tracking_parcel **out, size_t *n, size_t *bad, char *errbuf,
    size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct tracking_parcel *arr = NULL, *na, p;
	size_t cap = 0, cnt = 0, nbad = 0;
	char raw[TRACKING_ID_MAX * 4 + 1];
	int rc, ret = -1;

	*out = NULL;
	*n = 0;
	if (bad != NULL)
		*bad = 0;
	if (db_prepare(db, "SELECT p.id, o.id, o.ref, p.carrier_id, "
	    "coalesce(p.shipped_at, o.shipped_at, 0) FROM parcels p "
	    "JOIN orders o ON o.id = p.order_id "
	    "WHERE p.status = 'shipped' AND o.status = 'shipped' AND "
	    "p.carrier = ?1 AND p.carrier_id IS NOT NULL AND "
	    "(?2 = 0 OR o.centre_id = ?2) "
	    "ORDER BY p.shipped_at, p.id", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_text(s, 1, TRACKING_CARRIER) != SQLITE_OK ||
	    db_bind_int64(s, 2, centre_id) != SQLITE_OK) {
		(void)db_error(db, "cannot list shipped parcels", errbuf,
		    errsz);
		goto out;
	}
	for (;;) {
		rc = db_step(s, "cannot list shipped parcels", errbuf, errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		memset(&p, 0, sizeof(p));
		p.parcel_id = sqlite3_column_int64(s, 0);
		p.order_id = sqlite3_column_int64(s, 1);
		p.shipped_at = (time_t)sqlite3_column_int64(s, 4);
		if (db_column_text(s, 2, p.ref, sizeof(p.ref)) != 0) {
			errbuf_set(errbuf, errsz, "a stored reference is too "
			    "long");
			goto out;
		}
		/* What the store holds is checked again before any URL. */
		if (db_column_text(s, 3, raw, sizeof(raw)) != 0 ||
		    tracking_id_check(raw, p.carrier_id) != 0) {
			nbad++;
			continue;
		}
		if (cnt == cap) {
			if (cap >= TRACKING_PARCELS_MAX) {
				errbuf_set(errbuf, errsz, "more than %d "
				    "shipped parcels", TRACKING_PARCELS_MAX);
				goto out;
			}
			cap = cap > 0 ? cap * 2 : 64;
			na = realloc(arr, cap * sizeof(*arr));
			if (na == NULL) {
				errbuf_set(errbuf, errsz, "out of memory");
				goto out;
			}
			arr = na;
		}
		arr[cnt++] = p;
	}
	*out = arr;
	arr = NULL;
	*n = cnt;
	if (bad != NULL)
		*bad = nbad;
	ret = 0;
out:
	sqlite3_finalize(s);
	free(arr);
	return ret;
}

/* One UPDATE per target, so no column name is built at run time. */
static const char parcel_delivered_sql[] =
	"UPDATE parcels SET status = 'delivered', delivered_at = ?1 "
	"WHERE id = ?2 AND status = 'shipped'";
static const char parcel_returned_sql[] =
	"UPDATE parcels SET status = 'returned', returned_at = ?1 "
	"WHERE id = ?2 AND status = 'shipped'";

/* The parcel of order @order_id still shipped: id and shipped_at, 0 none. */
static int
shipped_parcel(sqlite3 *db, int64_t order_id, int64_t *id, time_t *shipped,
    char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	*id = 0;
	*shipped = 0;
	if (db_prepare(db, "SELECT id, coalesce(shipped_at, 0) FROM parcels "
	    "WHERE order_id = ?1 AND status = 'shipped'", &s, errbuf,
	    errsz) != 0)
		return -1;
	if (db_bind_int64(s, 1, order_id) != SQLITE_OK) {
		(void)db_error(db, "cannot read the parcel", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the parcel", errbuf, errsz);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*shipped = (time_t)sqlite3_column_int64(s, 1);
	} else if (rc != SQLITE_DONE) {
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

enum store_status
tracking_move(struct store *st, const char *ref,
    const struct tracking_move *mv, char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct store_order_row row;
	enum store_status ret = STORE_ERR_INVALID;
	enum order_status to;
	char detail[96], when[CLOCK_ISO_LEN];
	int64_t order_id = 0, parcel_id;
	time_t now = clock_now(), at, shipped;
	bool open = false;

	if (mv == NULL || ref == NULL || (mv->to != TRACKING_DELIVERED &&
	    mv->to != TRACKING_RETURNED) || (mv->code != NULL &&
	    !code_shaped(mv->code))) {
		errbuf_set(errbuf, errsz, "a parcel moves to delivered or "
		    "returned only");
		return STORE_ERR_INVALID;
	}
	to = mv->to == TRACKING_DELIVERED ? ORDER_DELIVERED : ORDER_RETURNED;
	ret = STORE_ERR_DB;
	if (db_begin(db, errbuf, errsz) != 0)
		goto out;
	open = true;
	ret = store_order_get(st, ref, &row);
	if (ret == STORE_OK)
		ret = store_order_transition_tx(st, ref, to, mv->actor,
		    &order_id);
	if (ret != STORE_OK) {
		errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
		goto out;
	}
	ret = STORE_ERR_DB;
	if (shipped_parcel(db, order_id, &parcel_id, &shipped, errbuf,
	    errsz) != 0)
		goto out;
	/* The carrier's time, kept between shipping and now. */
	at = mv->at > 0 ? mv->at : now;
	if (at > now)
		at = now;
	if (shipped > 0 && at < shipped)
		at = shipped;
	if (parcel_id != 0) {
		if (db_prepare(db, to == ORDER_DELIVERED ?
		    parcel_delivered_sql : parcel_returned_sql, &s, errbuf,
		    errsz) != 0)
			goto out;
		if (db_bind_int64(s, 1, (int64_t)at) != SQLITE_OK ||
		    db_bind_int64(s, 2, parcel_id) != SQLITE_OK ||
		    db_step(s, "cannot update the parcel", errbuf, errsz) !=
		    SQLITE_DONE) {
			(void)db_error(db, "cannot update the parcel", errbuf,
			    errsz);
			goto out;
		}
	}
	clock_format(at, when);
	if (mv->code != NULL) {
		if (str_printf(detail, sizeof(detail), "%s %s %s",
		    TRACKING_CARRIER, mv->code, when) < 0)
			goto out;
	} else if (str_copy(detail, sizeof(detail), "by hand") != 0) {
		goto out;
	}
	if (audit_append(db, mv->actor, to == ORDER_DELIVERED ?
	    "parcel.delivered" : "parcel.returned", row.ref, detail, NULL,
	    errbuf, errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	open = false;
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	if (open)
		db_rollback(db);
	return ret;
}

/* The parcel's newest carrier event: columns of centre.db migration 4. */
static const char note_event_sql[] =
	"UPDATE parcels SET last_event = ?1, last_event_label = ?2, "
	"last_event_at = ?3, tracked_at = ?4 WHERE id = ?5";

int
tracking_note_event(struct store *st, const struct tracking_parcel *p,
    const struct tracking_result *r, const char *actor, char *errbuf,
    size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	char old[TRACKING_CODE_BYTES * 2], when[CLOCK_ISO_LEN], detail[64];
	bool open = false;
	int rc, ret = -1;

	if (r->code[0] == '\0' || !code_shaped(r->code))
		return 0;
	if (db_begin(db, errbuf, errsz) != 0)
		return -1;
	open = true;
	if (db_prepare(db, "SELECT coalesce(last_event, '') FROM parcels "
	    "WHERE id = ?1", &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, p->parcel_id) != SQLITE_OK) {
		(void)db_error(db, "cannot read the parcel", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the parcel", errbuf, errsz);
	if (rc == SQLITE_DONE) {
		errbuf_set(errbuf, errsz, "parcel of %s is gone", p->ref);
		goto out;
	}
	if (rc != SQLITE_ROW || db_column_text(s, 0, old, sizeof(old)) != 0)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (db_prepare(db, note_event_sql, &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_text(s, 1, r->code) != SQLITE_OK ||
	    db_bind_text(s, 2, r->label) != SQLITE_OK ||
	    db_bind_int64(s, 3, (int64_t)r->date) != SQLITE_OK ||
	    db_bind_int64(s, 4, (int64_t)clock_now()) != SQLITE_OK ||
	    db_bind_int64(s, 5, p->parcel_id) != SQLITE_OK ||
	    db_step(s, "cannot update the parcel", errbuf, errsz) !=
	    SQLITE_DONE) {
		(void)db_error(db, "cannot update the parcel", errbuf, errsz);
		goto out;
	}
	if (strcmp(old, r->code) != 0) {
		clock_format(r->date, when);
		if (str_printf(detail, sizeof(detail), "%s %s %s",
		    TRACKING_CARRIER, r->code, when) < 0 ||
		    audit_append(db, actor, "parcel.event", p->ref, detail,
		    NULL, errbuf, errsz) != 0)
			goto out;
	}
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	open = false;
	ret = 0;
out:
	sqlite3_finalize(s);
	if (open)
		db_rollback(db);
	return ret;
}

/* ---- a polling round ---- */

struct round {
	struct store *st;
	const char *actor;
	tracking_report_fn report;
	void *arg;
	struct tracking_summary *sum;
};

static void
tell(struct round *rd, const struct tracking_parcel *p,
    const struct tracking_result *r, enum tracking_action act,
    const char *why)
{
	switch (act) {
	case TRACKING_ACT_DELIVERED:
		rd->sum->delivered++;
		break;
	case TRACKING_ACT_RETURNED:
		rd->sum->returned++;
		break;
	case TRACKING_ACT_UNCHANGED:
		rd->sum->unchanged++;
		break;
	case TRACKING_ACT_ERROR:
		rd->sum->errors++;
		break;
	}
	if (rd->report != NULL)
		rd->report(p, r, act, why != NULL ? why : "", rd->arg);
}

/* What an answer about one parcel does to it. */
static void
apply(struct round *rd, const struct tracking_parcel *p,
    const struct tracking_result *r)
{
	struct tracking_move mv;
	enum tracking_action act = TRACKING_ACT_UNCHANGED;
	char err[TRACKING_ERR_MAX] = "";

	/* One line each, the code and our reference only: both checked. */
	for (size_t i = 0; i < r->nunknown; i++)
		fprintf(stderr, "hrpost: track: unknown La Poste event code "
		    "%s for parcel %s\n", r->unknown[i], p->ref);
	switch (r->state) {
	case TRACKING_DELIVERED:
	case TRACKING_RETURNED:
		mv.to = r->state;
		mv.at = r->date;
		mv.code = r->code;
		mv.actor = rd->actor;
		if (tracking_move(rd->st, p->ref, &mv, err, sizeof(err)) !=
		    STORE_OK) {
			tell(rd, p, r, TRACKING_ACT_ERROR, err);
			return;
		}
		act = r->state == TRACKING_DELIVERED ?
		    TRACKING_ACT_DELIVERED : TRACKING_ACT_RETURNED;
		break;
	case TRACKING_TRANSIT:
	case TRACKING_UNKNOWN:
		break;
	case TRACKING_LATER:
		tell(rd, p, r, TRACKING_ACT_UNCHANGED, r->reason);
		return;
	case TRACKING_ERROR:
	default:
		tell(rd, p, r, TRACKING_ACT_ERROR, r->reason);
		return;
	}
	if (tracking_note_event(rd->st, p, r, rd->actor, err,
	    sizeof(err)) != 0) {
		/* The move (if any) is done; only the newest event is lost. */
		fprintf(stderr, "hrpost: track: parcel %s: %s\n", p->ref, err);
	}
	tell(rd, p, r, act, "");
}

/* Sleep @secs seconds whatever signals arrive. */
static void
wait_seconds(long secs)
{
	struct timespec ts = { secs, 0 }, left;

	for (;;) {
		if (nanosleep(&ts, &left) == 0 || errno != EINTR)
			break;
		ts = left;
	}
}

int
tracking_round(struct store *st, const struct tracking_client *cl,
    const struct tracking_parcel *parcels, size_t n, const char *actor,
    int max_retries, long max_wait, tracking_report_fn report, void *arg,
    struct tracking_summary *sum, char *errbuf, size_t errsz)
{
	struct round rd = { st, actor, report, arg, sum };
	const struct tracking_parcel *batch[TRACKING_BATCH_MAX];
	const char *ids[TRACKING_BATCH_MAX];
	struct tracking_answer *ans = NULL;
	enum tracking_status ts;
	char stop[TRACKING_ERR_MAX] = "", last[TRACKING_ERR_MAX] = "";
	size_t next = 0, nb, i, k;
	int retries;
	long wait;

	memset(sum, 0, sizeof(*sum));
	sum->polled = n;
	if (n == 0)
		return 0;
	ans = malloc(sizeof(*ans));
	if (ans == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return -1;
	}
	while (next < n && stop[0] == '\0') {
		nb = 0;
		while (nb < TRACKING_BATCH_MAX && next < n) {
			batch[nb] = &parcels[next++];
			ids[nb] = batch[nb]->carrier_id;
			nb++;
		}
		retries = 0;
		while (nb > 0) {
			ts = tracking_fetch(cl, ids, nb, ans);
			sum->requests++;
			if (ts == TRACKING_OK) {
				sum->answered++;
				/*
				 * A 400 about one number of several: that one
				 * is an error, the others are asked again.
				 */
				size_t bad = nb, unanswered = 0;

				for (i = 0; i < nb; i++) {
					if (ans->results[i].state ==
					    TRACKING_LATER &&
					    ans->results[i].return_code == 0)
						unanswered++;
					else
						bad = i;
				}
				if (ans->http_status == 400 && nb > 1 &&
				    unanswered == nb - 1) {
					apply(&rd, batch[bad],
					    &ans->results[bad]);
					for (k = bad; k + 1 < nb; k++) {
						batch[k] = batch[k + 1];
						ids[k] = ids[k + 1];
					}
					nb--;
					continue;
				}
				for (i = 0; i < nb; i++)
					apply(&rd, batch[i], &ans->results[i]);
				break;
			}
			if (ts == TRACKING_ERR_QUOTA) {
				wait = ans->retry_after >= 0 ?
				    ans->retry_after : 1L << retries;
				if (retries >= max_retries || wait > max_wait) {
					errbuf_set(stop, sizeof(stop),
					    "over La Poste's quota (HTTP "
					    "429)%s: round stopped",
					    wait > max_wait ? ", asked to "
					    "wait too long" : "");
					break;
				}
				retries++;
				wait_seconds(wait);
				continue;
			}
			if (ts == TRACKING_ERR_AUTH ||
			    ts == TRACKING_ERR_NETWORK) {
				errbuf_set(stop, sizeof(stop), "%s", ans->err);
				break;
			}
			/* This batch only: the next one may fare better. */
			errbuf_set(last, sizeof(last), "%s", ans->err);
			for (i = 0; i < nb; i++)
				tell(&rd, batch[i], NULL, TRACKING_ACT_ERROR,
				    ans->err);
			break;
		}
		if (stop[0] != '\0') {
			/* This batch and every one after it: not asked. */
			for (i = 0; i < nb; i++)
				tell(&rd, batch[i], NULL, TRACKING_ACT_ERROR,
				    stop);
			for (; next < n; next++)
				tell(&rd, &parcels[next], NULL,
				    TRACKING_ACT_ERROR, stop);
		}
	}
	free(ans);
	if (sum->answered == 0) {
		errbuf_set(errbuf, errsz, "nothing could be polled: %s",
		    stop[0] != '\0' ? stop : last[0] != '\0' ? last :
		    "no usable answer from La Poste");
		return -1;
	}
	return 0;
}
