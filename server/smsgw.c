/*
 * GET /sms for Kannel (see smsgw.h): who may call, what is stored, what is
 * answered.  A request goes through, in order: decoding the raw query
 * (libcurl's unescaping, bounded per parameter), the secret and the
 * address allow-list (the only 403), the message id, the sender's number,
 * the grammar (orders/sms.h), the per-sender rate limit, then sealing and
 * storing the envelope for ORDER, CALL, STOP and START.  The reply is
 * chosen last, in the language of the keyword, and coded GSM 7-bit when
 * every character allows it, else UCS-2.
 *
 * One SQLite connection of its own to intake.db, behind a mutex, so this
 * does not depend on how the intake daemon shares its own.  The ids of
 * recent requests and their replies are kept in a small ring, so that
 * Kannel redelivering a request (it does when an answer is lost) gets the
 * same reply without counting against the sender's rate limit; across a
 * restart, outbox_put() still refuses the duplicate.  The sender's number
 * and the text exist in clear only in this call's memory and are wiped
 * before it returns; the rate limiter keeps a keyed hash of the number.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/clock.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/outbox.h"
#include "orders/phone.h"
#include "orders/sms.h"
#include "server/ratelimit.h"
#include "server/smsgw.h"

#define ALLOW_MAX 32		/* addresses in [sms] allow */
#define DIGEST_LEN 32		/* SHA-256 */
#define RATE_PERIOD 3600	/* [limits] sms_per_hour */
#define SENDER_BARE_MIN 10	/* digits of an international number sans '+' */

static const char forbidden[] = "Forbidden\n";

enum param {
	P_FROM,
	P_TO,
	P_TEXT,
	P_ID,
	P_TS,
	P_CODING,
	P_SECRET,
	P_COUNT,
};

static const char *const param_names[P_COUNT] = {
	"from", "to", "text", "id", "ts", "coding", "secret",
};

/* Decoded parameters; every value is wiped when freed. */
struct params {
	char *v[P_COUNT];	/* NUL-terminated; may hold NULs (text) */
	size_t len[P_COUNT];
	int count[P_COUNT];
	bool toolong[P_COUNT];
};

struct allow_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

/* What was answered to a message id, to answer it again. */
struct recent {
	char id[OUTBOX_IDEM_MAX + 1];
	enum sms_command command;
	char lang[CATALOGUE_LANG_MAX];
	bool silent;		/* empty body */
};

struct smsgw {
	const struct config *cfg;
	const struct catalogue *cat;
	struct sms_texts *texts;
	struct ratelimit *rl;
	uint8_t pub[SEAL_PUBLIC_LEN];
	bool have_secret;
	uint8_t secret[DIGEST_LEN];	/* SHA-256 of [sms] secret */
	struct allow_addr allow[ALLOW_MAX];
	size_t nallow;

	pthread_mutex_t lock;		/* guards ob and ring */
	struct outbox *ob;
	struct recent ring[SMSGW_RECENT];
	size_t ring_next;
};

/* --- set-up ------------------------------------------------------------- */

static int
sha256(const void *p, size_t n, uint8_t out[DIGEST_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != DIGEST_LEN)
		return -1;
	return 0;
}

/* [sms] allow: numeric addresses separated by commas (and spaces). */
static int
parse_allow(struct smsgw *gw, const char *list, char *errbuf, size_t errsz)
{
	const char *p = list;

	while (*p != '\0') {
		char one[INET6_ADDRSTRLEN + 1];
		size_t n = 0;
		struct allow_addr *a;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		while (p[n] != '\0' && p[n] != ',' && p[n] != ' ' &&
		    p[n] != '\t')
			n++;
		if (n >= sizeof(one) || gw->nallow == ALLOW_MAX) {
			errbuf_set(errbuf, errsz, "[sms] allow: at most %d "
			    "numeric IP addresses", ALLOW_MAX);
			return -1;
		}
		memcpy(one, p, n);
		one[n] = '\0';
		p += n;
		a = &gw->allow[gw->nallow];
		if (inet_pton(AF_INET, one, a->addr) == 1) {
			a->family = AF_INET;
		} else if (inet_pton(AF_INET6, one, a->addr) == 1) {
			a->family = AF_INET6;
		} else {
			errbuf_set(errbuf, errsz, "[sms] allow: must be numeric "
			    "IP addresses separated by commas");
			return -1;
		}
		gw->nallow++;
	}
	return 0;
}

struct smsgw *
smsgw_open(const struct config *cfg, const struct catalogue *cat,
    char *errbuf, size_t errsz)
{
	struct smsgw *gw = NULL;
	enum key_status ks;
	bool locked = false;

	if (errsz > 0)
		errbuf[0] = '\0';
	if (cfg == NULL || cat == NULL) {
		errbuf_set(errbuf, errsz, "sms gateway: no configuration");
		return NULL;
	}
	gw = calloc(1, sizeof(*gw));
	if (gw == NULL) {
		errbuf_set(errbuf, errsz, "sms gateway: out of memory");
		return NULL;
	}
	gw->cfg = cfg;
	gw->cat = cat;
	if (pthread_mutex_init(&gw->lock, NULL) != 0) {
		errbuf_set(errbuf, errsz, "sms gateway: cannot create a lock");
		free(gw);
		return NULL;
	}
	locked = true;
	if (cfg->sms_secret[0] != '\0') {
		if (sha256(cfg->sms_secret, strlen(cfg->sms_secret),
		    gw->secret) != 0) {
			errbuf_set(errbuf, errsz, "sms gateway: SHA-256 "
			    "failed");
			goto fail;
		}
		gw->have_secret = true;
	}
	if (parse_allow(gw, cfg->sms_allow, errbuf, errsz) != 0)
		goto fail;
	ks = key_load_public(cfg->public_key, gw->pub);
	if (ks != KEY_OK) {
		errbuf_set(errbuf, errsz, "%s: %s", cfg->public_key,
		    key_strerror(ks));
		goto fail;
	}
	gw->texts = sms_texts_load(cat, errbuf, errsz);
	if (gw->texts == NULL)
		goto fail;
	gw->rl = ratelimit_new((unsigned)cfg->sms_per_hour, RATE_PERIOD, 0,
	    NULL);
	if (gw->rl == NULL) {
		errbuf_set(errbuf, errsz, "[limits] sms_per_hour: cannot make "
		    "the rate limiter");
		goto fail;
	}
	gw->ob = outbox_open(cfg->intake_db, errbuf, errsz);
	if (gw->ob == NULL)
		goto fail;
	return gw;
fail:
	if (!locked)
		return NULL;
	smsgw_close(gw);
	return NULL;
}

void
smsgw_close(struct smsgw *gw)
{
	if (gw == NULL)
		return;
	outbox_close(gw->ob);
	ratelimit_free(gw->rl);
	sms_texts_free(gw->texts);
	pthread_mutex_destroy(&gw->lock);
	OPENSSL_cleanse(gw, sizeof(*gw));
	free(gw);
}

/* --- the query ---------------------------------------------------------- */

static void
params_free(struct params *p)
{
	for (size_t i = 0; i < P_COUNT; i++) {
		if (p->v[i] != NULL)
			mem_wipe_free(p->v[i], p->len[i] + 1);
		p->v[i] = NULL;
	}
}

/*
 * Percent-decode @n bytes at @s ('+' is a space) into a malloc'd,
 * NUL-terminated copy.  Returns NULL on allocation failure.
 */
static char *
unescape(const char *s, size_t n, size_t *outlen)
{
	char *plus = NULL, *dec = NULL, *out = NULL;
	int declen = 0;

	plus = malloc(n + 1);
	if (plus == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		plus[i] = s[i] == '+' ? ' ' : s[i];
	plus[n] = '\0';
	/* libcurl's decoder: every %XX becomes its byte, NUL included. */
	dec = curl_easy_unescape(NULL, plus, (int)n, &declen);
	if (dec == NULL || declen < 0)
		goto out;
	out = malloc((size_t)declen + 1);
	if (out == NULL)
		goto out;
	memcpy(out, dec, (size_t)declen);
	out[declen] = '\0';
	*outlen = (size_t)declen;
out:
	if (dec != NULL) {
		OPENSSL_cleanse(dec, (size_t)declen);
		curl_free(dec);
	}
	if (plus != NULL)
		mem_wipe_free(plus, n + 1);
	return out;
}

/*
 * Split @q (@n bytes) on '&' and keep the parameters smsgw reads.
 * Returns 0, or -1 on allocation failure.
 */
static int
params_parse(const char *q, size_t n, struct params *p)
{
	size_t i = 0;

	memset(p, 0, sizeof(*p));
	while (q != NULL && i < n) {
		const char *seg = q + i, *eq;
		size_t len = 0, klen, vlen, max;
		size_t k;

		while (i + len < n && seg[len] != '&')
			len++;
		i += len + 1;
		eq = memchr(seg, '=', len);
		klen = eq != NULL ? (size_t)(eq - seg) : len;
		for (k = 0; k < P_COUNT; k++)
			if (strlen(param_names[k]) == klen &&
			    memcmp(seg, param_names[k], klen) == 0)
				break;
		if (k == P_COUNT)
			continue;
		p->count[k]++;
		if (p->count[k] > 1)
			continue;
		vlen = eq != NULL ? len - klen - 1 : 0;
		max = k == P_TEXT ? SMS_INPUT_MAX : SMSGW_PARAM_MAX;
		/* Each decoded byte takes at most 3 encoded ones. */
		if (vlen > 3 * max) {
			p->toolong[k] = true;
			continue;
		}
		p->v[k] = unescape(eq != NULL ? eq + 1 : seg + len, vlen,
		    &p->len[k]);
		if (p->v[k] == NULL)
			return -1;
		if (p->len[k] > max) {
			mem_wipe_free(p->v[k], p->len[k] + 1);
			p->v[k] = NULL;
			p->len[k] = 0;
			p->toolong[k] = true;
		}
	}
	return 0;
}

/* The value of @k when given once, within bounds, without NUL; else NULL. */
static const char *
param(const struct params *p, enum param k)
{
	if (p->count[k] != 1 || p->v[k] == NULL || p->toolong[k] ||
	    strlen(p->v[k]) != p->len[k])
		return NULL;
	return p->v[k];
}

/* --- who may call ------------------------------------------------------- */

static bool
secret_ok(const struct smsgw *gw, const struct params *p)
{
	uint8_t d[DIGEST_LEN];
	const char *s = param(p, P_SECRET);
	bool ok;

	if (!gw->have_secret || s == NULL)
		return false;
	/* Digests: equal lengths, so the compare time says nothing. */
	if (sha256(s, strlen(s), d) != 0)
		return false;
	ok = CRYPTO_memcmp(d, gw->secret, DIGEST_LEN) == 0;
	OPENSSL_cleanse(d, sizeof(d));
	return ok;
}

static bool
peer_ok(const struct smsgw *gw, const struct sockaddr *sa, socklen_t salen)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const uint8_t *addr;
	int family;

	if (gw->nallow == 0)
		return true;
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET &&
	    salen >= (socklen_t)sizeof(struct sockaddr_in)) {
		family = AF_INET;
		addr = (const uint8_t *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6 &&
	    salen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		family = AF_INET6;
		addr = ((const struct sockaddr_in6 *)(const void *)sa)
		    ->sin6_addr.s6_addr;
		/* ::ffff:127.0.0.1 is 127.0.0.1. */
		if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
			family = AF_INET;
			addr += sizeof(v4mapped);
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < gw->nallow; i++)
		if (gw->allow[i].family == family &&
		    memcmp(gw->allow[i].addr, addr,
		    family == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

/* --- the ring of recent ids --------------------------------------------- */

/* Caller holds gw->lock. */
static const struct recent *
ring_find(const struct smsgw *gw, const char *id)
{
	for (size_t i = 0; i < SMSGW_RECENT; i++)
		if (gw->ring[i].id[0] != '\0' &&
		    strcmp(gw->ring[i].id, id) == 0)
			return &gw->ring[i];
	return NULL;
}

static void
ring_put(struct smsgw *gw, const char *id, enum sms_command c,
    const char *lang, bool silent)
{
	struct recent *r;

	if (pthread_mutex_lock(&gw->lock) != 0)
		return;
	if (ring_find(gw, id) == NULL) {
		r = &gw->ring[gw->ring_next];
		gw->ring_next = (gw->ring_next + 1) % SMSGW_RECENT;
		if (str_copy(r->id, sizeof(r->id), id) != 0 ||
		    str_copy(r->lang, sizeof(r->lang), lang) != 0)
			r->id[0] = '\0';
		r->command = c;
		r->silent = silent;
	}
	(void)pthread_mutex_unlock(&gw->lock);
}

/* true and *out filled when @id was answered before. */
static bool
ring_get(struct smsgw *gw, const char *id, struct recent *out)
{
	const struct recent *r;
	bool found = false;

	if (pthread_mutex_lock(&gw->lock) != 0)
		return false;
	r = ring_find(gw, id);
	if (r != NULL) {
		*out = *r;
		found = true;
	}
	(void)pthread_mutex_unlock(&gw->lock);
	return found;
}

/* --- answers ------------------------------------------------------------ */

static void
answer_forbidden(struct smsgw_reply *r, const char *why)
{
	r->status = 403;
	r->coding = SMS_CODING_GSM7;
	if (str_copy(r->text, sizeof(r->text), forbidden) != 0)
		r->text[0] = '\0';
	errbuf_set(r->log, sizeof(r->log), "refused: %s", why);
}

static void
answer_silent(struct smsgw_reply *r)
{
	r->status = 200;
	r->coding = SMS_CODING_GSM7;
	r->text[0] = '\0';
}

static void
answer_text(const struct smsgw *gw, struct smsgw_reply *r,
    enum sms_command c, const char *lang, bool retry)
{
	const char *t = sms_texts_reply(gw->texts, lang, c, retry);
	int coding = sms_coding(t, NULL, NULL);

	r->status = 200;
	/* sms_texts_load() checked every text: coding is never -1. */
	r->coding = coding == SMS_CODING_UCS2 ? SMS_CODING_UCS2 :
	    SMS_CODING_GSM7;
	if (str_copy(r->text, sizeof(r->text), t) != 0)
		r->text[0] = '\0';
}

/* The language of the reply: the keyword's, else the centre's default. */
static const char *
reply_lang(const struct smsgw *gw, const struct sms_message *m)
{
	if (m->lang[0] != '\0' && catalogue_has_lang(gw->cat, m->lang))
		return m->lang;
	if (catalogue_has_lang(gw->cat, gw->cfg->lang))
		return gw->cfg->lang;
	return "fr";
}

/* Kannel's %I: printable ASCII without spaces, like outbox keys. */
static bool
id_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (n >= OUTBOX_IDEM_MAX || s[n] < 0x21 || s[n] > 0x7e)
			return false;
	return n > 0;
}

/*
 * The sender as E.164.  SMS centres often give international numbers
 * without the '+' ("33612345678"): SENDER_BARE_MIN digits or more, only
 * digits, not starting with 0, get one (fewer could be a national number
 * missing its 0, which a '+' would turn into someone abroad).  An
 * alphanumeric sender ("INFO") has no number: refused.
 */
static int
sender(const char *from, char out[PHONE_E164_MAX], struct field_error *err)
{
	char buf[PHONE_INPUT_MAX + 2];
	const char *s = from;
	size_t n = 0;
	int rc;

	if (s == NULL)
		return field_error_set(err, "from", "is missing");
	while (*s == ' ')
		s++;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (s[n] == '\0' && n >= SENDER_BARE_MIN && s[0] != '0') {
		if (str_printf(buf, sizeof(buf), "+%s", s) < 0)
			return field_error_set(err, "from", "is too long");
		rc = phone_normalise(buf, out, err);
		OPENSSL_cleanse(buf, sizeof(buf));
		return rc;
	}
	return phone_normalise(s, out, err);
}

/* The receiving number, when it is plain enough to keep; else "". */
static void
receiver(const char *to, char out[SMS_TO_MAX])
{
	size_t n;

	out[0] = '\0';
	if (to == NULL)
		return;
	n = strlen(to);
	if (n >= SMS_TO_MAX)
		return;
	for (size_t i = 0; i < n; i++)
		if (to[i] < 0x20 || to[i] > 0x7e)
			return;
	memcpy(out, to, n + 1);
}

/*
 * Seal @env and put it in the outbox under @id.  Returns 0 (stored, or
 * stored before: *duplicate) or -1 with a reason in @log.
 */
static int
store(struct smsgw *gw, const struct sms_envelope *env, const char *id,
    bool *duplicate, char *log, size_t logsz)
{
	char aad[SEAL_AAD_MAX];
	char *json = NULL;
	size_t jlen = 0, bloblen = 0;
	uint8_t *blob = NULL;
	enum seal_status st;
	int64_t rowid = 0;
	int ret = -1;

	*duplicate = false;
	if (outbox_aad(gw->cfg->centre, id, aad, sizeof(aad)) != 0) {
		errbuf_set(log, logsz, "centre code or id unusable as a key");
		goto out;
	}
	if (sms_envelope_encode(env, &json, &jlen) != 0) {
		errbuf_set(log, logsz, "cannot encode the envelope");
		goto out;
	}
	st = seal_seal(gw->pub, json, jlen, aad, strlen(aad), &blob,
	    &bloblen);
	if (st != SEAL_OK) {
		errbuf_set(log, logsz, "cannot seal: %s", seal_strerror(st));
		goto out;
	}
	if (pthread_mutex_lock(&gw->lock) != 0) {
		errbuf_set(log, logsz, "cannot lock the outbox");
		goto out;
	}
	if (outbox_put(gw->ob, ORDER_CHANNEL_SMS, gw->cfg->centre, id, blob,
	    bloblen, &rowid, duplicate) != 0)
		errbuf_set(log, logsz, "cannot store: %s",
		    outbox_errmsg(gw->ob));
	else
		ret = 0;
	(void)pthread_mutex_unlock(&gw->lock);
out:
	str_wipe_free(json);
	free(blob);
	return ret;
}

int
smsgw_handle(struct smsgw *gw, const struct smsgw_request *req,
    struct smsgw_reply *reply)
{
	struct params p;
	struct sms_message m;
	struct sms_envelope env;
	struct field_error err;
	struct recent seen;
	char from[PHONE_E164_MAX] = "";
	char *text = NULL;
	size_t textlen = 0;
	const char *id, *lang, *coding_s;
	bool limited, duplicate = false;
	long coding = 0;
	int ret = 0;

	memset(reply, 0, sizeof(*reply));
	memset(&env, 0, sizeof(env));
	if (params_parse(req->query, req->query_len, &p) != 0) {
		/* Not Kannel's fault: no reply rather than a wrong one. */
		answer_silent(reply);
		errbuf_set(reply->log, sizeof(reply->log), "out of memory");
		ret = -1;
		goto out;
	}

	/* Only Kannel: the secret, then the address; one answer for both. */
	if (!secret_ok(gw, &p)) {
		answer_forbidden(reply, gw->have_secret ? "secret" :
		    "[sms] secret is not set");
		goto out;
	}
	if (!peer_ok(gw, req->peer, req->peerlen)) {
		answer_forbidden(reply, "address not in [sms] allow");
		goto out;
	}

	id = param(&p, P_ID);
	if (!id_ok(id)) {
		answer_silent(reply);
		errbuf_set(reply->log, sizeof(reply->log), "id: missing, "
		    "repeated or not 1 to %d printable characters",
		    OUTBOX_IDEM_MAX);
		goto out;
	}
	if (ring_get(gw, id, &seen)) {
		if (seen.silent)
			answer_silent(reply);
		else
			answer_text(gw, reply, seen.command, seen.lang, false);
		errbuf_set(reply->log, sizeof(reply->log), "%s: again "
		    "(same id), same reply", sms_command_name(seen.command));
		goto out;
	}
	if (sender(param(&p, P_FROM), from, &err) != 0) {
		/* No number to answer or to call back: nothing to do. */
		answer_silent(reply);
		errbuf_set(reply->log, sizeof(reply->log), "from: %s",
		    err.msg);
		goto out;
	}

	/* The text: decoded to UTF-8 and read. */
	coding_s = param(&p, P_CODING);
	if (coding_s != NULL && parse_long(coding_s, 0, 2, &coding) != 0)
		coding = -1;
	if (p.count[P_TEXT] > 1 || p.toolong[P_TEXT] ||
	    sms_decode(p.v[P_TEXT], p.len[P_TEXT], (int)coding, &text,
	    &textlen) != 0) {
		memset(&m, 0, sizeof(m));
		m.command = SMS_UNKNOWN;
		field_error_set(&m.err, "text", "is repeated, too long or "
		    "not in the coding given");
	} else {
		(void)sms_parse(text, textlen, gw->cat, &m);
	}
	lang = reply_lang(gw, &m);

	/*
	 * The sender's limit counts every SMS.  Over it, nothing is answered
	 * and nothing stored, except STOP, which is always recorded: nobody
	 * keeps getting SMS they asked to stop because they asked too often.
	 */
	limited = !ratelimit_allow(gw->rl, from, strlen(from), NULL);
	if (limited && m.command != SMS_STOP) {
		answer_silent(reply);
		ring_put(gw, id, m.command, lang, true);
		errbuf_set(reply->log, sizeof(reply->log), "%s: sender over "
		    "[limits] sms_per_hour, not answered",
		    sms_command_name(m.command));
		goto out;
	}

	if (m.command == SMS_HELP || m.command == SMS_UNKNOWN) {
		answer_text(gw, reply, m.command, lang, false);
		ring_put(gw, id, m.command, lang, false);
		if (m.command == SMS_HELP)
			errbuf_set(reply->log, sizeof(reply->log), "help");
		else
			errbuf_set(reply->log, sizeof(reply->log), "unknown "
			    "(%s %s): help sent", m.err.field, m.err.msg);
		goto out;
	}

	env.command = m.command;
	memcpy(env.from, from, sizeof(env.from));
	receiver(param(&p, P_TO), env.to);
	if (str_copy(env.text, sizeof(env.text), text) != 0 ||
	    str_copy(env.lang, sizeof(env.lang), lang) != 0) {
		/* sms_parse() refused longer texts: cannot happen. */
		answer_text(gw, reply, m.command, lang, true);
		errbuf_set(reply->log, sizeof(reply->log), "text too long");
		ret = -1;
		goto out;
	}
	memcpy(env.packs, m.packs, sizeof(env.packs));
	env.npacks = m.npacks;
	env.received_at = clock_now();
	if (store(gw, &env, id, &duplicate, reply->log,
	    sizeof(reply->log)) != 0) {
		/* Tell the person to try again rather than confirm. */
		answer_text(gw, reply, m.command, lang, true);
		ret = -1;
		goto out;
	}
	if (limited) {
		answer_silent(reply);
		ring_put(gw, id, m.command, lang, true);
	} else {
		answer_text(gw, reply, m.command, lang, false);
		ring_put(gw, id, m.command, lang, false);
	}
	errbuf_set(reply->log, sizeof(reply->log), "%s: %s%s",
	    sms_command_name(m.command), duplicate ? "stored before (same "
	    "id), same reply" : "stored", limited ? ", not answered (over "
	    "[limits] sms_per_hour)" : "");
out:
	params_free(&p);
	if (text != NULL)
		mem_wipe_free(text, textlen + 1);
	sms_envelope_clear(&env);
	OPENSSL_cleanse(from, sizeof(from));
	OPENSSL_cleanse(&m, sizeof(m));
	return ret;
}
