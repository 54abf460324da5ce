/*
 * The public intake daemon (see intake.h for routes, fields and the wire
 * format of the console's pull).
 *
 * An order's way through: the HTTP layer reads a bounded body; the form
 * decoder (server/form) refuses malformed input naming the field; the
 * fields become a struct order_input and order_from_input() applies the
 * same rules as every other channel; the valid order is encoded, wrapped
 * in the envelope with a fresh reference and tracking token, sealed to the
 * centre's public key on the request's own thread (both cores seal at
 * once), and handed to the committer thread, which writes whatever orders
 * are waiting in ONE transaction (one fsync for many orders: group
 * commit) and wakes their threads to answer.  Nothing personal is ever
 * written in clear, logged, or kept after the answer: the form, the
 * order, the envelope and the page are wiped.
 *
 * intake.db is opened once, before the privilege drop, and its connection
 * is shared (under db_lock) by the committer, /outbox, /status and
 * /healthz; the tracking page reads through a second connection of its
 * own (under reader_lock), so a page never waits for a group commit's
 * fsync; the SMS gateway keeps its own connection (server/smsgw.h).
 *
 * The tracking page answers from the tracking rows only (orders/outbox.h):
 * a status and the centre's phone, never anything of the order.  Misses
 * (a code that does not parse or that nobody has) are counted per client
 * address in rl_track, [limits] track_per_minute; once an address is
 * over, every /t/ request from it gets 429, found or not, so a prober
 * cannot tell a hit from a miss by the answer while another address's
 * valid code keeps working.  A code that does not parse gets "check the
 * code", decided by its characters alone, and one that parses but is
 * unknown a neutral "not known yet": both 404, and neither depends on
 * which codes exist nearby.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "base/clock.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "crypto/token.h"
#include "orders/order.h"
#include "orders/outbox.h"
#include "orders/push.h"
#include "printer/label.h"
#include "printer/qr.h"
#include "server/form.h"
#include "server/http.h"
#include "server/intake.h"
#include "server/ratelimit.h"
#include "server/smsgw.h"
#include "server/template.h"
#include "shipping/catalogue.h"

#define COMMIT_BATCH_MAX 64
#define STYLE_MAX (16 * 1024)
#define OUTBOX_ANSWER_MAX (3 * 1024 * 1024)
#define ENVELOPE_EXTRA 256		/* room around the order's JSON */
#define ECHO_LINES 4			/* address boxes on the form */
#define RATE_SLOTS 16384
#define TPL_FORM "form"
#define TPL_DONE "done"
#define TPL_TRACK "track"
#define TRACK_ECHO_MAX 40		/* a mistyped code shown back */
#define TRACK_KEY_MAX 48		/* "track.text.delivered" */
#define STATUS_WHY_MAX 160

/* Route tags: which limits the gate applies. */
enum {
	TAG_WEB = 0,		/* web_per_minute */
	TAG_ORDER,		/* web_per_minute and orders_per_hour */
	TAG_FREE,		/* no address limit: /healthz, /outbox*, /sms */
};

struct pending {
	struct outbox_item item;
	bool done;
	struct pending *next;
};

struct intake {
	struct config cfg;
	uint8_t pub[SEAL_PUBLIC_LEN];
	struct catalogue *cat;
	struct template_set *ts;
	char *style;
	size_t style_len;
	struct outbox *ob;
	pthread_mutex_t db_lock;
	struct smsgw *sms;
	struct ratelimit *rl_web;
	struct ratelimit *rl_orders;
	struct ratelimit *rl_track;	/* /t/ misses per address */
	struct outbox *reader;		/* for the tracking page */
	pthread_mutex_t reader_lock;
	bool token_set;
	uint8_t token_digest[SHA256_DIGEST_LENGTH];
	struct http_route routes[12];
	size_t nroutes;
	struct http_server *srv;

	/* The committer: orders waiting for the next transaction. */
	pthread_mutex_t q_lock;
	pthread_cond_t q_wake;
	pthread_cond_t q_done;
	struct pending *q_head;
	struct pending *q_tail;
	bool q_stop;
	bool q_running;
	pthread_t q_thread;
	bool locks_made;
};

const char *
intake_route_centre(const struct config *cfg, const char *postcode)
{
	/* One centre per installation in this release (see intake.h). */
	(void)postcode;
	return cfg->centre;
}

/* ---- the committer ------------------------------------------------ */

static void *
committer(void *arg)
{
	struct intake *in = arg;
	struct outbox_item batch[COMMIT_BATCH_MAX];
	struct pending *taken[COMMIT_BATCH_MAX];

	pthread_mutex_lock(&in->q_lock);
	for (;;) {
		size_t n = 0;
		int rc;

		while (in->q_head == NULL && !in->q_stop)
			pthread_cond_wait(&in->q_wake, &in->q_lock);
		if (in->q_head == NULL)
			break;	/* stopping, and nothing left to write */
		while (in->q_head != NULL && n < COMMIT_BATCH_MAX) {
			taken[n] = in->q_head;
			batch[n] = in->q_head->item;
			in->q_head = in->q_head->next;
			n++;
		}
		if (in->q_head == NULL)
			in->q_tail = NULL;
		pthread_mutex_unlock(&in->q_lock);

		pthread_mutex_lock(&in->db_lock);
		rc = outbox_put_many(in->ob, batch, n);
		if (rc != 0)
			fprintf(stderr, "intake: intake.db: %s\n",
			    outbox_errmsg(in->ob));
		pthread_mutex_unlock(&in->db_lock);

		pthread_mutex_lock(&in->q_lock);
		for (size_t i = 0; i < n; i++) {
			taken[i]->item = batch[i];
			taken[i]->done = true;
		}
		pthread_cond_broadcast(&in->q_done);
	}
	pthread_mutex_unlock(&in->q_lock);
	return NULL;
}

/* Queue @p and wait until the committer wrote it (or refused). */
static void
commit_wait(struct intake *in, struct pending *p)
{
	p->done = false;
	p->next = NULL;
	pthread_mutex_lock(&in->q_lock);
	if (!in->q_running || in->q_stop) {
		p->item.rc = -1;
		pthread_mutex_unlock(&in->q_lock);
		return;
	}
	if (in->q_tail != NULL)
		in->q_tail->next = p;
	else
		in->q_head = p;
	in->q_tail = p;
	pthread_cond_signal(&in->q_wake);
	while (!p->done)
		pthread_cond_wait(&in->q_done, &in->q_lock);
	pthread_mutex_unlock(&in->q_lock);
}

/* ---- small helpers ------------------------------------------------ */

/* The token of "Bearer <token>" (scheme in any case), or NULL. */
static const char *
bearer(const char *h)
{
	static const char scheme[] = "bearer ";

	if (h == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(scheme) - 1; i++) {
		char c = h[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != scheme[i])
			return NULL;
	}
	return h[sizeof(scheme) - 1] != '\0' ? h + sizeof(scheme) - 1 : NULL;
}

/* A checkbox: ticked when present and neither empty nor "0". */
static bool
checked(const struct form *f, const char *key)
{
	const char *v = form_get(f, key);

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

/* An idempotency key as outbox.c wants it: printable ASCII, no space. */
static bool
idem_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (n >= OUTBOX_IDEM_MAX || s[n] < 0x21 || s[n] > 0x7e)
			return false;
	return n > 0;
}

/* The i18n key for the error text of form field @field. */
static void
err_key(const struct intake *in, const char *field, char *out, size_t outsz)
{
	static const char *const known[] = {
		"pseudonym", "line", "postcode", "commune", "phone",
		"consent_sms", "consent_call", "lang", "pack", "for_others",
		"note", "idem",
	};
	const char *k = "form";

	for (size_t i = 0; i < ARRAY_LEN(known); i++)
		if (strcmp(field, known[i]) == 0)
			k = known[i];
	if (strncmp(field, "qty_", 4) == 0)
		k = catalogue_pack(in->cat, field + 4) != NULL ? "qty" :
		    "unknown";
	else if (strncmp(field, "variant_", 8) == 0)
		k = catalogue_pack(in->cat, field + 8) != NULL ? "variant" :
		    "unknown";
	if (str_printf(out, outsz, "web.err.%s", k) < 0 &&
	    str_copy(out, outsz, "web.err.form") != 0)
		out[0] = '\0';
}

static const char *
err_text(const struct intake *in, const char *lang, const char *field)
{
	char key[64];
	const char *t;

	err_key(in, field, key, sizeof(key));
	t = template_text(in->ts, lang, key);
	if (t == NULL)
		t = template_text(in->ts, lang, "web.err.form");
	return t != NULL ? t : "";
}

/* ---- the form page ------------------------------------------------ */

struct form_view {
	const struct form *f;		/* values to show again, or NULL */
	const struct field_error *errs;
	size_t nerrs;
	const char *idem;		/* NULL: a fresh one */
	const char *lang;
};

static bool
has_error(const struct form_view *v, const char *field)
{
	for (size_t i = 0; i < v->nerrs; i++)
		if (strcmp(v->errs[i].field, field) == 0)
			return true;
	return false;
}

/* Set @name to the form's value of @key when echoing. */
static int
echo(struct template_ctx *ctx, const struct form_view *v, const char *name,
    const char *key)
{
	const char *val = v->f != NULL ? form_get(v->f, key) : NULL;

	return val != NULL ? template_set(ctx, name, val) : 0;
}

/* err_<field>: the localized error text next to the field. */
static int
field_errors(struct intake *in, struct template_ctx *ctx,
    const struct form_view *v)
{
	static const char *const fields[] = {
		"pseudonym", "line", "postcode", "commune", "phone",
		"consent_sms", "lang", "pack", "for_others", "note",
	};
	char name[64];

	for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
		if (!has_error(v, fields[i]))
			continue;
		if (str_printf(name, sizeof(name), "err_%s", fields[i]) < 0 ||
		    template_set(ctx, name, err_text(in, v->lang,
		    fields[i])) != 0)
			return -1;
	}
	if (v->nerrs > 0 && template_set_bool(ctx, "has_errors", true) != 0)
		return -1;
	/* Errors of fields the form does not show: next to the packs. */
	for (size_t i = 0; i < v->nerrs; i++) {
		const char *fld = v->errs[i].field;
		struct template_ctx *e;
		bool shown = false;

		for (size_t k = 0; k < ARRAY_LEN(fields); k++)
			shown = shown || strcmp(fld, fields[k]) == 0;
		if (strncmp(fld, "qty_", 4) == 0)
			shown = catalogue_pack(in->cat, fld + 4) != NULL;
		else if (strncmp(fld, "variant_", 8) == 0)
			shown = catalogue_pack(in->cat, fld + 8) != NULL;
		if (shown)
			continue;
		e = template_list_add(ctx, "other_errors");
		if (e == NULL || template_set(e, "field", fld) != 0 ||
		    template_set(e, "text", err_text(in, v->lang, fld)) != 0)
			return -1;
	}
	for (size_t i = 0; i < v->nerrs; i++) {
		struct template_ctx *e = template_list_add(ctx, "errors");

		if (e == NULL ||
		    template_set(e, "field", v->errs[i].field) != 0 ||
		    template_set(e, "text", err_text(in, v->lang,
		    v->errs[i].field)) != 0)
			return -1;
	}
	return 0;
}

static int
pack_items(struct intake *in, struct template_ctx *ctx,
    const struct form_view *v)
{
	size_t n = catalogue_npacks(in->cat);

	for (size_t i = 0; i < n; i++) {
		const struct catalogue_pack *p = catalogue_pack_at(in->cat, i);
		struct template_ctx *item = template_list_add(ctx, "packs");
		char qname[32], vname[32];
		const char *asked = NULL, *qty = NULL;

		if (item == NULL ||
		    str_printf(qname, sizeof(qname), "qty_%s", p->code) < 0 ||
		    str_printf(vname, sizeof(vname), "variant_%s", p->code) < 0)
			return -1;
		if (v->f != NULL) {
			asked = form_get(v->f, vname);
			qty = form_get(v->f, qname);
		}
		if (template_set(item, "code", p->code) != 0 ||
		    template_set(item, "name", catalogue_pack_name(in->cat,
		    p->code, v->lang)) != 0 ||
		    template_set(item, "qty_name", qname) != 0 ||
		    template_set(item, "variant_name", vname) != 0 ||
		    (qty != NULL && template_set(item, "qty", qty) != 0))
			return -1;
		if (has_error(v, qname) && (template_set(item, "err",
		    err_text(in, v->lang, qname)) != 0 ||
		    template_set(item, "err_field", qname) != 0))
			return -1;
		if (has_error(v, vname) && (template_set(item, "err",
		    err_text(in, v->lang, vname)) != 0 ||
		    template_set(item, "err_field", vname) != 0))
			return -1;
		if (template_set_bool(item, "has_variants", p->nvariants > 0)
		    != 0)
			return -1;
		for (size_t k = 0; k < p->nvariants; k++) {
			struct template_ctx *var = template_list_add(item,
			    "variants");
			bool sel = asked != NULL ?
			    str_casecmp(asked, p->variants[k]) == 0 :
			    p->default_variant != NULL &&
			    strcmp(p->default_variant, p->variants[k]) == 0;

			if (var == NULL ||
			    template_set(var, "value", p->variants[k]) != 0 ||
			    template_set_bool(var, "selected", sel) != 0)
				return -1;
		}
	}
	return 0;
}

static int
lang_items(struct intake *in, struct template_ctx *ctx, const char *lang,
    const char *chosen)
{
	size_t n = catalogue_nlangs(in->cat);

	for (size_t i = 0; i < n; i++) {
		const char *code = catalogue_lang_at(in->cat, i);
		const char *name = template_text(in->ts, code, "lang.name");
		struct template_ctx *l;

		if (!template_has_lang(in->ts, code))
			continue;
		l = template_list_add(ctx, "langs");
		if (l == NULL || template_set(l, "code", code) != 0 ||
		    template_set(l, "name", name != NULL ? name : code) != 0 ||
		    template_set_bool(l, "current",
		    strcmp(code, lang) == 0) != 0 ||
		    template_set_bool(l, "chosen",
		    strcmp(code, chosen) == 0) != 0)
			return -1;
	}
	return 0;
}

static int
build_form_ctx(struct intake *in, struct template_ctx *ctx,
    const struct form_view *v)
{
	char idem[TOKEN_BUF(TOKEN_TRACK_DIGITS)];
	const char *lines[ECHO_LINES] = { NULL };
	const char *chosen = v->lang;
	char name[16];

	if (v->idem != NULL) {
		if (template_set(ctx, "idem", v->idem) != 0)
			return -1;
	} else {
		if (token_new(idem, sizeof(idem), TOKEN_TRACK_DIGITS) !=
		    TOKEN_OK || template_set(ctx, "idem", idem) != 0)
			return -1;
	}
	if (v->f != NULL) {
		const char *l = form_get(v->f, "lang");

		if (l != NULL && template_has_lang(in->ts, l))
			chosen = l;
		(void)form_get_all(v->f, "line", lines, ECHO_LINES);
	}
	for (size_t i = 0; i < ECHO_LINES; i++) {
		struct template_ctx *l = template_list_add(ctx, "lines");

		if (l == NULL || str_printf(name, sizeof(name), "%zu",
		    i + 2) < 0 || template_set(l, "n", name) != 0 ||
		    (lines[i] != NULL && template_set(l, "value",
		    lines[i]) != 0))
			return -1;
	}
	if (template_set(ctx, "lang", v->lang) != 0 ||
	    echo(ctx, v, "pseudonym", "pseudonym") != 0 ||
	    echo(ctx, v, "postcode", "postcode") != 0 ||
	    echo(ctx, v, "commune", "commune") != 0 ||
	    echo(ctx, v, "phone", "phone") != 0 ||
	    echo(ctx, v, "note", "note") != 0 ||
	    echo(ctx, v, "for_others", "for_others") != 0 ||
	    lang_items(in, ctx, v->lang, chosen) != 0 ||
	    pack_items(in, ctx, v) != 0 ||
	    field_errors(in, ctx, v) != 0)
		return -1;
	if (v->f != NULL && (template_set_bool(ctx, "poste_restante",
	    checked(v->f, "poste_restante")) != 0 ||
	    template_set_bool(ctx, "consent_call",
	    checked(v->f, "consent_call")) != 0 ||
	    template_set_bool(ctx, "consent_sms",
	    checked(v->f, "consent_sms")) != 0))
		return -1;
	return 0;
}

/*
 * Render the form into @resp with @status.  A page over INTAKE_PAGE_MAX
 * (someone sent huge values to be shown back) is rendered again without
 * the values, keeping the errors.
 */
static int
send_form(struct intake *in, struct http_response *resp, int status,
    const struct form_view *v)
{
	struct form_view bare = *v;
	struct template_ctx *ctx = NULL;
	char *page = NULL;
	size_t len = 0;
	int rc = -1;

	for (int pass = 0; pass < 2; pass++) {
		template_ctx_free(ctx);
		ctx = template_ctx_new();
		if (ctx == NULL || build_form_ctx(in, ctx,
		    pass == 0 ? v : &bare) != 0)
			goto out;
		if (template_render(in->ts, TPL_FORM, v->lang, ctx, &page,
		    &len) == 0 && len <= INTAKE_PAGE_MAX)
			break;
		if (page != NULL)
			str_wipe_free(page);
		page = NULL;
		if (pass == 1 || v->f == NULL)
			goto out;
		bare.f = NULL;
	}
	rc = http_response_take(resp, status, HTTP_CT_HTML, page, len);
	page = NULL;
out:
	if (page != NULL)
		str_wipe_free(page);
	template_ctx_free(ctx);
	return rc;
}

static const char *
page_lang(struct intake *in, const struct http_request *req,
    const struct form *f)
{
	const char *q = form_get(req->query, "lang");

	if (q == NULL && f != NULL)
		q = form_get(f, "lang");
	return template_lang_pick(in->ts, q, http_header(req,
	    "Accept-Language"), in->cfg.lang);
}

static int
h_form(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;
	struct form_view v;

	memset(&v, 0, sizeof(v));
	v.lang = page_lang(in, req, NULL);
	return send_form(in, resp, 200, &v);
}

static int
h_style(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;

	(void)req;
	if (http_response_copy(resp, 200, HTTP_CT_CSS, in->style,
	    in->style_len) != 0)
		return -1;
	/* Holds nothing personal: caching it saves a request per page. */
	return http_response_header(resp, "Cache-Control",
	    "public, max-age=3600");
}

/* ---- POST /order -------------------------------------------------- */

/*
 * Fill @oi from the form.  qty_X / variant_X for a code X the catalogue
 * lacks are errors of their own, appended to @errs.
 */
static size_t
read_order(struct intake *in, const struct form *f, struct order_input *oi,
    struct field_error *errs, size_t nerrs)
{
	/* Every field but "line" is given once; twice is ambiguous. */
	static const char *const singular[] = {
		"pseudonym", "poste_restante", "postcode", "commune", "phone",
		"consent_call", "consent_sms", "lang", "for_others", "note",
		"idem",
	};
	const char *lines[ORDER_INPUT_LINES_MAX];
	size_t nl, ne = 0;

	memset(oi, 0, sizeof(*oi));
	oi->channel = ORDER_CHANNEL_WEB;
	oi->pseudonym = form_get(f, "pseudonym");
	nl = form_get_all(f, "line", lines, ORDER_INPUT_LINES_MAX);
	for (size_t i = 0; i < nl && i < ORDER_INPUT_LINES_MAX; i++)
		oi->lines[i] = lines[i];
	/* More than ORDER_INPUT_LINES_MAX reads as "too many". */
	oi->nlines = nl;
	oi->poste_restante = checked(f, "poste_restante");
	oi->postcode = form_get(f, "postcode");
	oi->commune = form_get(f, "commune");
	oi->phone = form_get(f, "phone");
	oi->consent_call = checked(f, "consent_call");
	oi->consent_sms = checked(f, "consent_sms");
	oi->lang = form_get(f, "lang");
	oi->for_people = form_get(f, "for_others");
	oi->note = form_get(f, "note");

	for (size_t i = 0; i < ARRAY_LEN(singular); i++)
		if (form_count_key(f, singular[i]) > 1 && ne < nerrs)
			(void)field_error_set(&errs[ne++], singular[i],
			    "is given more than once");
	for (size_t i = 0; i < form_count(f); i++) {
		const char *k = form_key_at(f, i), *val = form_value_at(f, i);
		const char *code = NULL;
		char vname[32];
		bool is_qty = strncmp(k, "qty_", 4) == 0;

		if (is_qty)
			code = k + 4;
		else if (strncmp(k, "variant_", 8) == 0)
			code = k + 8;
		if (code == NULL)
			continue;
		if (catalogue_pack(in->cat, code) == NULL) {
			if (ne < nerrs)
				(void)field_error_set(&errs[ne++],
				    strlen(k) < sizeof(errs[0].field) ? k :
				    "pack", "is not a pack of the catalogue");
			continue;
		}
		if (form_count_key(f, k) > 1) {
			/* Once per key, at its first place. */
			if (form_get(f, k) == val && ne < nerrs)
				(void)field_error_set(&errs[ne++],
				    strlen(k) < sizeof(errs[0].field) ? k :
				    "pack", "is given more than once");
			continue;
		}
		if (!is_qty)
			continue;
		/* Absent, empty or 0: not ordered. */
		while (*val == ' ')
			val++;
		if (val[0] == '\0' || strcmp(val, "0") == 0)
			continue;
		if (oi->npacks > ORDER_PACKS_MAX)
			continue;	/* order_from_input: too many */
		if (str_printf(vname, sizeof(vname), "variant_%s", code) < 0)
			continue;
		oi->packs[oi->npacks].code = code;
		oi->packs[oi->npacks].qty = val;
		oi->packs[oi->npacks].variant = form_get(f, vname);
		if (oi->packs[oi->npacks].variant != NULL &&
		    oi->packs[oi->npacks].variant[0] == '\0')
			oi->packs[oi->npacks].variant = NULL;
		oi->npacks++;
	}
	return ne;
}

/* The envelope of intake.h, sealed.  *blob is the caller's to free. */
static int
seal_order(struct intake *in, const struct order *o, const char *centre,
    const char *idem, const char *ref, const char *token, uint8_t **blob,
    size_t *bloblen)
{
	char aad[SEAL_AAD_MAX];
	char *json = NULL, *env = NULL;
	size_t jlen = 0, envsz = 0;
	int rc = -1, n;

	*blob = NULL;
	if (outbox_aad(centre, idem, aad, sizeof(aad)) != 0 ||
	    order_encode(o, ORDER_ENCODE_ALL, &json, &jlen) != 0)
		goto out;
	envsz = jlen + ENVELOPE_EXTRA;
	env = malloc(envsz);
	if (env == NULL)
		goto out;
	/* ref and token are base32: nothing to escape in them. */
	n = snprintf(env, envsz, "{\"v\":1,\"kind\":\"order\",\"ref\":\"%s\","
	    "\"token\":\"%s\",\"order\":%s}", ref, token, json);
	if (n < 0 || (size_t)n >= envsz)
		goto out;
	if (seal_seal(in->pub, env, (size_t)n, aad, strlen(aad), blob,
	    bloblen) != SEAL_OK)
		goto out;
	rc = 0;
out:
	if (json != NULL)
		str_wipe_free(json);
	if (env != NULL)
		mem_wipe_free(env, envsz);
	return rc;
}

static int
send_done(struct intake *in, struct http_response *resp, const char *lang,
    const char *ref, const char *token)
{
	struct template_ctx *ctx = template_ctx_new();
	struct qr *qr = NULL;
	char url[sizeof(in->cfg.intake_public_url) + 64];
	char *svg = NULL, *page = NULL;
	size_t svglen = 0, len = 0;
	int rc = -1;

	if (ctx == NULL)
		goto out;
	if (template_set(ctx, "lang", lang) != 0 ||
	    template_set(ctx, "ref", ref) != 0 ||
	    (in->cfg.centre_phone[0] != '\0' &&
	    template_set(ctx, "phone", in->cfg.centre_phone) != 0))
		goto out;
	if (token[0] != '\0') {
		const char *base = in->cfg.intake_public_url;
		size_t bl = strlen(base);

		/* No double slash when public_url ends with one. */
		if (str_printf(url, sizeof(url), "%.*s/t/%s",
		    (int)(bl > 0 && base[bl - 1] == '/' ? bl - 1 : bl), base,
		    token) < 0)
			goto out;
		qr = qr_encode(url);
		if (qr == NULL || qr_svg(qr, 4, &svg, &svglen) != 0 ||
		    template_set(ctx, "track_url", url) != 0 ||
		    template_set_raw(ctx, "qr", svg) != 0)
			goto out;
	}
	if (template_render(in->ts, TPL_DONE, lang, ctx, &page, &len) != 0)
		goto out;
	rc = http_response_take(resp, 200, HTTP_CT_HTML, page, len);
	page = NULL;
out:
	if (page != NULL)
		str_wipe_free(page);
	free(svg);
	qr_free(qr);
	template_ctx_free(ctx);
	return rc;
}

static int
h_order(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;
	struct form *f = NULL;
	struct field_error errs[ORDER_ERRORS_MAX + 8];
	struct order_input oi;
	struct order *o = NULL;
	struct form_view v;
	struct pending p;
	char fresh[TOKEN_BUF(TOKEN_TRACK_DIGITS)];
	char ref[TOKEN_BUF(TOKEN_REF_DIGITS)];
	char token[TOKEN_BUF(TOKEN_TRACK_DIGITS)];
	const char *idem, *centre;
	uint8_t *blob = NULL;
	size_t bloblen = 0, ne;
	int rc = -1;

	memset(&v, 0, sizeof(v));
	memset(&p, 0, sizeof(p));
	v.errs = errs;
	if (strcmp(req->content_type, "application/x-www-form-urlencoded")
	    != 0) {
		rc = http_response_error(resp, 415, "send the form as "
		    "application/x-www-form-urlencoded");
		goto out;
	}
	if (form_parse(req->body, req->body_len, &f, &errs[0]) != FORM_OK) {
		/* Nothing can be shown again: the form could not be read. */
		v.lang = page_lang(in, req, NULL);
		v.nerrs = 1;
		rc = send_form(in, resp, 422, &v);
		goto out;
	}
	v.f = f;
	v.lang = page_lang(in, req, f);
	idem = form_get(f, "idem");
	if (idem != NULL && idem[0] != '\0' && idem_ok(idem))
		v.idem = idem;

	o = calloc(1, sizeof(*o));
	if (o == NULL)
		goto out;
	ne = read_order(in, f, &oi, errs, ARRAY_LEN(errs));
	ne += order_from_input(&oi, in->cat, in->cfg.lang, o, errs + ne,
	    ARRAY_LEN(errs) - ne);
	if (idem != NULL && idem[0] != '\0' && !idem_ok(idem) &&
	    ne < ARRAY_LEN(errs))
		(void)field_error_set(&errs[ne++], "idem", "must be 1 to %d "
		    "printable ASCII characters without spaces",
		    OUTBOX_IDEM_MAX);
	if (ne > 0) {
		v.nerrs = ne;
		rc = send_form(in, resp, 422, &v);
		goto out;
	}
	if (v.idem == NULL) {
		/* A partner site sent no key: this order stands alone. */
		if (token_new(fresh, sizeof(fresh), TOKEN_TRACK_DIGITS) !=
		    TOKEN_OK)
			goto out;
		idem = fresh;
	}
	centre = intake_route_centre(&in->cfg, o->postcode);
	if (token_new(ref, sizeof(ref), TOKEN_REF_DIGITS) != TOKEN_OK ||
	    token_new(token, sizeof(token), TOKEN_TRACK_DIGITS) != TOKEN_OK)
		goto out;
	if (seal_order(in, o, centre, idem, ref, token, &blob, &bloblen) != 0)
		goto out;

	p.item.channel = ORDER_CHANNEL_WEB;
	p.item.centre = centre;
	p.item.idem = idem;
	p.item.ref = ref;
	p.item.token = token;
	p.item.blob = blob;
	p.item.len = bloblen;
	commit_wait(in, &p);
	if (p.item.rc != 0) {
		fprintf(stderr, "intake: order not stored: %s\n",
		    p.item.err[0] != '\0' ? p.item.err : "stopping");
		goto out;
	}
	if (p.item.duplicate)
		rc = send_done(in, resp, v.lang, p.item.first_ref,
		    p.item.first_token);
	else
		rc = send_done(in, resp, v.lang, ref, token);
out:
	free(blob);
	if (o != NULL) {
		order_clear(o);
		free(o);
	}
	OPENSSL_cleanse(&oi, sizeof(oi));
	form_free(f);
	return rc;
}

/* ---- /healthz ----------------------------------------------------- */

static int
h_healthz(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;
	int64_t n = 0;
	int rc;

	(void)req;
	pthread_mutex_lock(&in->db_lock);
	rc = outbox_count(in->ob, NULL, &n);
	pthread_mutex_unlock(&in->db_lock);
	if (rc != 0)
		return http_response_text(resp, 503, "intake.db does not "
		    "answer\n");
	return http_response_text(resp, 200, "ok\n");
}

/* ---- /outbox ------------------------------------------------------ */

/*
 * 0 when the request carries the right bearer token; else fills @resp
 * (401 or 403) and returns 1.  Digests of equal length are compared in
 * constant time, so neither the token nor its length leaks by timing.
 */
static int
authorise(struct intake *in, const struct http_request *req,
    struct http_response *resp)
{
	uint8_t got[SHA256_DIGEST_LENGTH];
	const char *tok = bearer(http_header(req, "Authorization"));
	bool ok;

	if (!in->token_set) {
		if (http_response_error(resp, 403, "the outbox is closed "
		    "([intake] token is not set)") != 0)
			return -1;
		return 1;
	}
	if (tok == NULL) {
		if (http_response_error(resp, 401, "send Authorization: "
		    "Bearer <token>") != 0 ||
		    http_response_header(resp, "WWW-Authenticate",
		    "Bearer") != 0)
			return -1;
		return 1;
	}
	SHA256((const unsigned char *)tok, strlen(tok), got);
	ok = CRYPTO_memcmp(got, in->token_digest, sizeof(got)) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	if (ok)
		return 0;
	if (http_response_error(resp, 403, "wrong token") != 0)
		return -1;
	return 1;
}

struct listing {
	json_t *orders;
	size_t bytes;
	bool failed;
};

static int
list_row(const struct outbox_row *row, void *arg)
{
	struct listing *l = arg;
	size_t b64len = 4 * ((row->bloblen + 2) / 3);
	char *b64;
	json_t *o;

	if (l->bytes + b64len + 256 > OUTBOX_ANSWER_MAX &&
	    json_array_size(l->orders) > 0)
		return 1;	/* enough for one answer: the console asks on */
	b64 = malloc(b64len + 1);
	if (b64 == NULL) {
		l->failed = true;
		return 1;
	}
	if (EVP_EncodeBlock((unsigned char *)b64, row->blob,
	    (int)row->bloblen) != (int)b64len) {
		free(b64);
		l->failed = true;
		return 1;
	}
	o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)row->id,
	    "received_at", (json_int_t)row->received_at,
	    "channel", order_channel_name(row->channel),
	    "centre", row->centre, "idem", row->idem, "sealed", b64);
	free(b64);
	if (o == NULL || json_array_append_new(l->orders, o) != 0) {
		l->failed = true;
		return 1;
	}
	l->bytes += b64len + 256;
	return 0;
}

static int
h_outbox(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;
	struct listing l;
	json_t *root = NULL;
	const char *s;
	char *text = NULL;
	long after = 0, limit = INTAKE_LIST_DEFAULT;
	int rc, auth;

	auth = authorise(in, req, resp);
	if (auth != 0)
		return auth < 0 ? -1 : 0;
	if (req->query_error != NULL)
		return http_response_error(resp, 400, "bad query string");
	s = form_get(req->query, "after");
	if (s != NULL && parse_long(s, 0, LONG_MAX, &after) != 0)
		return http_response_error(resp, 400, "after: must be a whole "
		    "number >= 0");
	s = form_get(req->query, "limit");
	if (s != NULL && parse_long(s, 1, INTAKE_LIST_MAX, &limit) != 0)
		return http_response_error(resp, 400, "limit: must be a whole "
		    "number from 1 to 500");

	memset(&l, 0, sizeof(l));
	root = json_object();
	l.orders = json_array();
	if (root == NULL || l.orders == NULL ||
	    json_object_set(root, "orders", l.orders) != 0) {
		json_decref(l.orders);
		json_decref(root);
		return -1;
	}
	pthread_mutex_lock(&in->db_lock);
	rc = outbox_list(in->ob, in->cfg.centre, (int64_t)after, (int)limit,
	    list_row, &l);
	if (rc != 0)
		fprintf(stderr, "intake: outbox: %s\n", outbox_errmsg(in->ob));
	pthread_mutex_unlock(&in->db_lock);
	if (rc == 0 && !l.failed)
		text = json_dumps(root, JSON_COMPACT);
	json_decref(l.orders);
	json_decref(root);
	if (text == NULL)
		return -1;
	return http_response_take(resp, 200, HTTP_CT_JSON, text,
	    strlen(text));
}

static int
h_ack(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;
	json_t *root = NULL, *ids;
	json_error_t jerr;
	int64_t *list = NULL;
	size_t n = 0;
	char answer[64];
	int rc = -1, auth;

	auth = authorise(in, req, resp);
	if (auth != 0)
		return auth < 0 ? -1 : 0;
	if (strcmp(req->content_type, "application/json") != 0)
		return http_response_error(resp, 415, "send application/json");
	root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
	    &jerr);
	ids = root != NULL ? json_object_get(root, "ids") : NULL;
	if (!json_is_object(root) || !json_is_array(ids) ||
	    json_array_size(ids) > INTAKE_ACK_MAX) {
		rc = http_response_error(resp, 400, "body: expected "
		    "{\"ids\":[...]} with at most 5000 ids");
		goto out;
	}
	n = json_array_size(ids);
	list = calloc(n > 0 ? n : 1, sizeof(*list));
	if (list == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(ids, i);

		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			rc = http_response_error(resp, 400, "ids: must be "
			    "whole numbers >= 1");
			goto out;
		}
		list[i] = (int64_t)json_integer_value(v);
	}
	pthread_mutex_lock(&in->db_lock);
	rc = outbox_ack(in->ob, in->cfg.centre, list, n);
	if (rc != 0)
		fprintf(stderr, "intake: ack: %s\n", outbox_errmsg(in->ob));
	pthread_mutex_unlock(&in->db_lock);
	if (rc != 0) {
		rc = -1;
		goto out;
	}
	if (str_printf(answer, sizeof(answer), "{\"acked\":%zu}", n) < 0) {
		rc = -1;
		goto out;
	}
	rc = http_response_copy(resp, 200, HTTP_CT_JSON, answer,
	    strlen(answer));
out:
	free(list);
	json_decref(root);
	return rc;
}

/* ---- /status: the console's pushes (orders/push.h) ----------------- */

static int
h_status_high(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;
	struct outbox_mark mark;
	char answer[PUSH_ANSWER_MAX];
	int rc, n, auth;

	auth = authorise(in, req, resp);
	if (auth != 0)
		return auth < 0 ? -1 : 0;
	pthread_mutex_lock(&in->db_lock);
	rc = outbox_track_mark(in->ob, &mark);
	if (rc != 0)
		fprintf(stderr, "intake: status: %s\n", outbox_errmsg(in->ob));
	pthread_mutex_unlock(&in->db_lock);
	if (rc != 0)
		return -1;
	n = push_answer_encode(-1, &mark, answer, sizeof(answer));
	if (n < 0)
		return -1;
	return http_response_copy(resp, 200, HTTP_CT_JSON, answer, (size_t)n);
}

static int
h_status(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;
	struct outbox_status *sts = NULL;
	struct outbox_mark mark;
	char answer[PUSH_ANSWER_MAX], why[STATUS_WHY_MAX];
	size_t n = 0, applied = 0;
	int rc = -1, len, auth;

	auth = authorise(in, req, resp);
	if (auth != 0)
		return auth < 0 ? -1 : 0;
	if (strcmp(req->content_type, "application/json") != 0)
		return http_response_error(resp, 415, "send application/json");
	sts = calloc(PUSH_BATCH_MAX, sizeof(*sts));
	if (sts == NULL)
		return -1;
	if (push_decode(req->body, req->body_len, sts, PUSH_BATCH_MAX, &n,
	    why, sizeof(why)) != 0) {
		rc = http_response_error(resp, 400, why);
		goto out;
	}
	pthread_mutex_lock(&in->db_lock);
	rc = outbox_track_apply(in->ob, sts, n, &applied, &mark);
	if (rc != 0)
		fprintf(stderr, "intake: status: %s\n", outbox_errmsg(in->ob));
	pthread_mutex_unlock(&in->db_lock);
	if (rc != 0) {
		rc = -1;
		goto out;
	}
	len = push_answer_encode((int64_t)applied, &mark, answer,
	    sizeof(answer));
	rc = len < 0 ? -1 : http_response_copy(resp, 200, HTTP_CT_JSON,
	    answer, (size_t)len);
out:
	free(sts);
	return rc;
}

/* ---- /sms --------------------------------------------------------- */

static int
h_sms(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;
	struct smsgw_request sr;
	struct smsgw_reply *reply = NULL;
	int rc = -1;

	/* smsgw decodes the query itself: a UCS-2 text holds NUL bytes. */
	reply = calloc(1, sizeof(*reply));
	if (reply == NULL)
		return -1;
	memset(&sr, 0, sizeof(sr));
	sr.query = http_query_raw(req, &sr.query_len);
	if (sr.query == NULL)
		sr.query = "";		/* over FORM_BODY_MAX: refused there */
	sr.peer = http_peer(req, &sr.peerlen);
	if (smsgw_handle(in->sms, &sr, reply) != 0)
		fprintf(stderr, "intake: sms: %s\n", reply->log);
	else if (reply->log[0] != '\0')
		fprintf(stderr, "intake: sms: %s\n", reply->log);
	if (reply->status == 200) {
		if (http_response_copy(resp, 200, HTTP_CT_TEXT, reply->text,
		    strnlen(reply->text, sizeof(reply->text))) != 0)
			goto out;
		if (reply->coding == 2 && http_response_header(resp,
		    "X-Kannel-Coding", "2") != 0)
			goto out;
	} else if (http_response_error(resp, 403, NULL) != 0) {
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(reply, sizeof(*reply));
	free(reply);
	return rc;
}

/* ---- the gate: rate limits ---------------------------------------- */

static int
too_many(struct http_response *resp, unsigned retry)
{
	char secs[16];

	if (str_printf(secs, sizeof(secs), "%u", retry) < 0 ||
	    http_response_error(resp, 429, "too many requests from your "
	    "address: please wait and try again") != 0 ||
	    http_response_header(resp, "Retry-After", secs) != 0)
		return -1;
	return 1;
}

static int
gate(const struct http_request *req, struct http_response *resp, void *app)
{
	struct intake *in = app;
	unsigned tag = req->route != NULL ? req->route->tag : TAG_WEB;
	unsigned retry = 0;
	size_t klen = strlen(req->client);

	if (tag == TAG_FREE)
		return 0;
	if (!ratelimit_allow(in->rl_web, req->client, klen, &retry))
		return too_many(resp, retry);
	if (tag == TAG_ORDER &&
	    !ratelimit_allow(in->rl_orders, req->client, klen, &retry))
		return too_many(resp, retry);
	return 0;
}

/* ---- GET /t/<code>: the public tracking page ----------------------- */

enum track_page {
	TRACK_ASK = 0,		/* no code: a box to type one */
	TRACK_FOUND,		/* the status */
	TRACK_UNKNOWN,		/* a well-formed code nobody has (yet) */
	TRACK_CHECK,		/* not a code: a typo */
};

/* Steps shown as a list, in order; returned and cancelled stand alone. */
static const enum outbox_track track_steps[] = {
	OUTBOX_TRACK_RECEIVED, OUTBOX_TRACK_PACKED, OUTBOX_TRACK_SHIPPED,
	OUTBOX_TRACK_DELIVERED,
};

/* The text "track.<what>.<status>" of @lang, "" when missing. */
static const char *
track_text(const struct intake *in, const char *lang, const char *what,
    enum outbox_track t)
{
	char key[TRACK_KEY_MAX];
	const char *v = NULL;

	if (str_printf(key, sizeof(key), "track.%s.%s", what,
	    outbox_track_name(t)) >= 0)
		v = template_text(in->ts, lang, key);
	return v != NULL ? v : "";
}

/* A mistyped code worth showing back: short printable ASCII. */
static bool
echo_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (n >= TRACK_ECHO_MAX || s[n] < 0x20 || s[n] > 0x7e)
			return false;
	return n > 0;
}

static int
track_found_ctx(struct intake *in, struct template_ctx *ctx, const char *lang,
    const struct outbox_status *st)
{
	char grouped[OUTBOX_TOKEN_LEN * 2];

	if (label_code_group(st->token, grouped, sizeof(grouped)) != 0 ||
	    template_set(ctx, "track_code", grouped) != 0 ||
	    template_set(ctx, "status_name", track_text(in, lang, "status",
	    st->status)) != 0 ||
	    template_set(ctx, "status_text", track_text(in, lang, "text",
	    st->status)) != 0)
		return -1;
	if (st->status > OUTBOX_TRACK_DELIVERED)
		return 0;
	if (template_set_bool(ctx, "has_steps", true) != 0)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(track_steps); i++) {
		struct template_ctx *step = template_list_add(ctx, "steps");

		if (step == NULL || template_set(step, "name", track_text(in,
		    lang, "status", track_steps[i])) != 0 ||
		    template_set_bool(step, "current",
		    track_steps[i] == st->status) != 0 ||
		    template_set_bool(step, "done",
		    track_steps[i] < st->status) != 0)
			return -1;
	}
	return 0;
}

/*
 * Render the tracking page of @kind with @status into @resp.  @st is the
 * status (TRACK_FOUND), @typed the code as typed (shown back in the box
 * of a "check the code" page when echo_ok()).
 */
static int
send_track(struct intake *in, struct http_response *resp, int status,
    const char *lang, enum track_page kind, const struct outbox_status *st,
    const char *typed)
{
	static const char *const kinds[] = {
		[TRACK_ASK] = "ask", [TRACK_FOUND] = "found",
		[TRACK_UNKNOWN] = "unknown", [TRACK_CHECK] = "check",
	};
	struct template_ctx *ctx = template_ctx_new();
	char *page = NULL;
	size_t len = 0;
	int rc = -1;

	if (ctx == NULL)
		goto out;
	if (template_set(ctx, "lang", lang) != 0 ||
	    template_set_bool(ctx, kinds[kind], true) != 0 ||
	    lang_items(in, ctx, lang, lang) != 0 ||
	    (in->cfg.centre_phone[0] != '\0' &&
	    template_set(ctx, "phone", in->cfg.centre_phone) != 0))
		goto out;
	if (kind != TRACK_FOUND && template_set_bool(ctx, "ask_box",
	    true) != 0)
		goto out;
	if (kind == TRACK_CHECK && echo_ok(typed) &&
	    template_set(ctx, "typed", typed) != 0)
		goto out;
	if (kind == TRACK_FOUND && track_found_ctx(in, ctx, lang, st) != 0)
		goto out;
	if (template_render(in->ts, TPL_TRACK, lang, ctx, &page, &len) != 0 ||
	    len > INTAKE_PAGE_MAX)
		goto out;
	rc = http_response_take(resp, status, HTTP_CT_HTML, page, len);
	page = NULL;
out:
	free(page);
	template_ctx_free(ctx);
	return rc;
}

static int
h_track(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct intake *in = app;
	struct outbox_status found;
	char canon[TOKEN_BUF(TOKEN_TRACK_DIGITS)];
	const char *lang = page_lang(in, req, NULL);
	const char *code;
	size_t klen = strlen(req->client);
	unsigned retry = 0;
	enum token_status ts;
	int rc;

	/* The prefix route: the path is "/t/" and the code as typed. */
	code = strncmp(req->path, "/t/", 3) == 0 ? req->path + 3 : "";
	if (code[0] == '\0') {
		/* The box of the page sends ?code=. */
		code = form_get(req->query, "code");
		if (code == NULL || code[0] == '\0')
			return send_track(in, resp, 200, lang, TRACK_ASK, NULL,
			    NULL);
	}
	/* Over the limit: everything from this address, found or not. */
	if (!ratelimit_check(in->rl_track, req->client, klen, &retry))
		return too_many(resp, retry) < 0 ? -1 : 0;
	ts = token_parse(code, TOKEN_TRACK_DIGITS, canon, sizeof(canon));
	if (ts == TOKEN_OK) {
		pthread_mutex_lock(&in->reader_lock);
		rc = outbox_track_get(in->reader, canon, &found);
		if (rc < 0)
			fprintf(stderr, "intake: tracking: %s\n",
			    outbox_errmsg(in->reader));
		pthread_mutex_unlock(&in->reader_lock);
		if (rc < 0)
			return -1;
		if (rc == 1)
			return send_track(in, resp, 200, lang, TRACK_FOUND,
			    &found, NULL);
	}
	/* A miss counts; the one that empties the bucket still gets 404. */
	if (!ratelimit_allow(in->rl_track, req->client, klen, &retry))
		return too_many(resp, retry) < 0 ? -1 : 0;
	return send_track(in, resp, 404, lang, ts == TOKEN_OK ?
	    TRACK_UNKNOWN : TRACK_CHECK, NULL, code);
}

/* ---- life --------------------------------------------------------- */

static char *
read_style(const char *dir, size_t *len, char *errbuf, size_t errsz)
{
	char path[CONFIG_PATH_MAX];
	char *text;

	if (str_printf(path, sizeof(path), "%s/html/style.css", dir) < 0) {
		errbuf_set(errbuf, errsz, "templates path too long");
		return NULL;
	}
	/* A regular file, bounded, no NUL bytes: what config_ini_read does. */
	text = config_ini_read(path, STYLE_MAX, errbuf, errsz);
	if (text != NULL)
		*len = strlen(text);
	return text;
}

static void
make_routes(struct intake *in)
{
	const struct http_route r[] = {
		{ "GET", "/", 0, TAG_WEB, 0, h_form },
		{ "GET", "/style.css", 0, TAG_WEB, 0, h_style },
		{ "POST", "/order", 0, TAG_ORDER, FORM_BODY_MAX, h_order },
		/*
		 * Every SMS comes from Kannel's one address: a per-address
		 * limit would make all senders share one bucket.  The gateway
		 * checks the secret and allow-list and limits per sender.
		 */
		{ "GET", "/sms", 0, TAG_FREE, 0, h_sms },
		{ "GET", "/healthz", 0, TAG_FREE, 0, h_healthz },
		{ "GET", "/outbox", 0, TAG_FREE, 0, h_outbox },
		{ "POST", "/outbox/ack", 0, TAG_FREE, INTAKE_ACK_BODY_MAX,
		    h_ack },
		{ "GET", "/status/high", 0, TAG_FREE, 0, h_status_high },
		{ "POST", "/status", 0, TAG_FREE, PUSH_BODY_MAX, h_status },
		/* web_per_minute, and the stricter miss limit inside. */
		{ "GET", "/t/", HTTP_ROUTE_PREFIX, TAG_WEB, 0, h_track },
	};

	_Static_assert(sizeof(r) <= sizeof(in->routes), "route table");
	memcpy(in->routes, r, sizeof(r));
	in->nroutes = ARRAY_LEN(r);
}

struct intake *
intake_open(const struct config *cfg, const char *listen, char *errbuf,
    size_t errsz)
{
	struct intake *in = calloc(1, sizeof(*in));
	struct http_config hc;
	enum key_status ks;

	if (in == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return NULL;
	}
	in->cfg = *cfg;
	if (pthread_mutex_init(&in->db_lock, NULL) != 0 ||
	    pthread_mutex_init(&in->reader_lock, NULL) != 0 ||
	    pthread_mutex_init(&in->q_lock, NULL) != 0 ||
	    pthread_cond_init(&in->q_wake, NULL) != 0 ||
	    pthread_cond_init(&in->q_done, NULL) != 0) {
		errbuf_set(errbuf, errsz, "cannot make locks");
		free(in);
		return NULL;
	}
	in->locks_made = true;

	/* The public key only: intake seals, it never opens. */
	ks = key_load_public(cfg->public_key, in->pub);
	if (ks != KEY_OK) {
		errbuf_set(errbuf, errsz, "%s: %s", cfg->public_key,
		    key_strerror(ks));
		goto fail;
	}
	in->cat = catalogue_load(cfg->templates, errbuf, errsz);
	if (in->cat == NULL)
		goto fail;
	in->ts = template_load(cfg->templates, errbuf, errsz);
	if (in->ts == NULL)
		goto fail;
	if (!template_has(in->ts, TPL_FORM) || !template_has(in->ts,
	    TPL_DONE) || !template_has(in->ts, TPL_TRACK)) {
		errbuf_set(errbuf, errsz, "%s/html: %s.html, %s.html and "
		    "%s.html are needed", cfg->templates, TPL_FORM, TPL_DONE,
		    TPL_TRACK);
		goto fail;
	}
	in->style = read_style(cfg->templates, &in->style_len, errbuf, errsz);
	if (in->style == NULL)
		goto fail;
	in->ob = outbox_open(cfg->intake_db, errbuf, errsz);
	if (in->ob == NULL)
		goto fail;
	in->reader = outbox_open(cfg->intake_db, errbuf, errsz);
	if (in->reader == NULL)
		goto fail;
	in->sms = smsgw_open(&in->cfg, in->cat, errbuf, errsz);
	if (in->sms == NULL)
		goto fail;
	in->rl_web = ratelimit_new((unsigned)cfg->web_per_minute, 60,
	    RATE_SLOTS, NULL);
	in->rl_orders = ratelimit_new((unsigned)cfg->orders_per_hour, 3600,
	    RATE_SLOTS, NULL);
	in->rl_track = ratelimit_new((unsigned)cfg->track_per_minute, 60,
	    RATE_SLOTS, NULL);
	if (in->rl_web == NULL || in->rl_orders == NULL ||
	    in->rl_track == NULL) {
		errbuf_set(errbuf, errsz, "cannot make the rate limiters");
		goto fail;
	}
	in->token_set = cfg->intake_token[0] != '\0';
	if (in->token_set)
		SHA256((const unsigned char *)cfg->intake_token,
		    strlen(cfg->intake_token), in->token_digest);

	make_routes(in);
	memset(&hc, 0, sizeof(hc));
	hc.name = "intake";
	hc.listen = listen != NULL ? listen : cfg->intake_listen;
	hc.threads = (unsigned)cfg->intake_threads;
	hc.routes = in->routes;
	hc.nroutes = in->nroutes;
	hc.gate = gate;
	hc.app = in;
	hc.quiet = getenv("HRPOST_QUIET") != NULL;
	in->srv = http_server_bind(&hc, errbuf, errsz);
	if (in->srv == NULL)
		goto fail;
	return in;
fail:
	intake_close(in);
	return NULL;
}

uint16_t
intake_port(const struct intake *in)
{
	return in != NULL ? http_server_port(in->srv) : 0;
}

int
intake_start(struct intake *in, char *errbuf, size_t errsz)
{
	pthread_mutex_lock(&in->q_lock);
	if (pthread_create(&in->q_thread, NULL, committer, in) != 0) {
		pthread_mutex_unlock(&in->q_lock);
		errbuf_set(errbuf, errsz, "cannot start the committer");
		return -1;
	}
	in->q_running = true;
	pthread_mutex_unlock(&in->q_lock);
	return http_server_start(in->srv, errbuf, errsz);
}

void
intake_close(struct intake *in)
{
	if (in == NULL)
		return;
	/* First the HTTP threads: they may wait on the committer. */
	http_server_free(in->srv);
	if (in->locks_made) {
		bool join;

		pthread_mutex_lock(&in->q_lock);
		join = in->q_running;
		in->q_stop = true;
		pthread_cond_broadcast(&in->q_wake);
		pthread_mutex_unlock(&in->q_lock);
		if (join)
			pthread_join(in->q_thread, NULL);
	}
	smsgw_close(in->sms);
	outbox_close(in->ob);
	outbox_close(in->reader);
	ratelimit_free(in->rl_web);
	ratelimit_free(in->rl_orders);
	ratelimit_free(in->rl_track);
	template_free(in->ts);
	catalogue_free(in->cat);
	free(in->style);
	if (in->locks_made) {
		pthread_mutex_destroy(&in->db_lock);
		pthread_mutex_destroy(&in->reader_lock);
		pthread_mutex_destroy(&in->q_lock);
		pthread_cond_destroy(&in->q_wake);
		pthread_cond_destroy(&in->q_done);
	}
	OPENSSL_cleanse(in, sizeof(*in));
	free(in);
}
