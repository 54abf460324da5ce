/*
 * Check suite for server/smsgw.c, the logic of GET /sms, against a real
 * intake.db in a scratch directory and a fresh key pair: who may call
 * (secret, allow-list, IPv6 and v4-mapped peers; everything else 403),
 * what is stored (one sealed envelope per ORDER, CALL, STOP, START that
 * opens with the centre's key and the AAD of its row, and nothing for
 * HELP and unknown texts), a redelivered id (same reply, nothing new,
 * before and after a restart), languages and codings (UCS-2 in, UCS-2
 * out for Russian), sender forms, the per-sender rate limit (STOP still
 * recorded), malformed requests (200, never 5xx), a failing store (the
 * "try again" text), the raw database holding neither number nor text,
 * and set-up errors.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config.h"
#include "base/util.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/outbox.h"
#include "orders/sms.h"
#include "server/smsgw.h"
#include "tests/testutil.h"

#define SECRET "kannel-secret-0123456789"
#define PHONE "+33671234589"
#define QMAX (64 * 1024)

static char dir[4096];
static char errbuf[512];
static struct config cfg;
static struct catalogue *cat;
static struct centre_key *key;
static struct smsgw *gw;
static struct smsgw_reply rep;
static struct sockaddr_in lo4;
static int idn;
static struct sms_texts *texts;

static void
open_gw(void)
{
	smsgw_close(gw);
	gw = smsgw_open(&cfg, cat, errbuf, sizeof(errbuf));
	ck_assert_msg(gw != NULL, "%s", errbuf);
}

static void
setup(void)
{
	char priv[4200], pub[4200], keys[4200];
	const char *d;

	unsetenv("HRPOST_NOW");
	idn = 0;
	d = testutil_mkdtemp();
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	config_defaults(&cfg, dir, "templates");
	ck_assert_int_eq(str_copy(cfg.sms_secret, sizeof(cfg.sms_secret),
	    SECRET), 0);
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	ck_assert_int_eq(mkdir(keys, 0700), 0);
	snprintf(priv, sizeof(priv), "%s/keys/centre.key", dir);
	snprintf(pub, sizeof(pub), "%s/keys/centre.pub", dir);
	key = key_generate();
	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(key_save(key, priv, pub, NULL, 0), KEY_OK);
	cat = catalogue_load("templates", errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "%s", errbuf);
	texts = sms_texts_load(cat, errbuf, sizeof(errbuf));
	ck_assert_msg(texts != NULL, "%s", errbuf);
	memset(&lo4, 0, sizeof(lo4));
	lo4.sin_family = AF_INET;
	lo4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	gw = NULL;
	open_gw();
}

static void
teardown(void)
{
	smsgw_close(gw);
	gw = NULL;
	sms_texts_free(texts);
	texts = NULL;
	catalogue_free(cat);
	key_free(key);
	testutil_rmtree(dir);
}

/* Percent-encode @n bytes of @v as "&key=..." onto the query @q. */
static void
add(char *q, const char *k, const void *v, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *b = v;
	size_t len = strlen(q);

	ck_assert_uint_lt(len + strlen(k) + 2 + 3 * n, QMAX);
	if (len > 0)
		q[len++] = '&';
	memcpy(q + len, k, strlen(k));
	len += strlen(k);
	q[len++] = '=';
	for (size_t i = 0; i < n; i++) {
		if ((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' &&
		    b[i] <= 'Z') || (b[i] >= '0' && b[i] <= '9') ||
		    b[i] == '-' || b[i] == '_') {
			q[len++] = (char)b[i];
		} else if (b[i] == ' ') {
			q[len++] = '+';		/* as Kannel does */
		} else {
			q[len++] = '%';
			q[len++] = hex[b[i] >> 4];
			q[len++] = hex[b[i] & 15];
		}
	}
	q[len] = '\0';
}

static void
adds(char *q, const char *k, const char *v)
{
	add(q, k, v, strlen(v));
}

/* A fresh Kannel-like message id (one of a few rotating buffers). */
static const char *
new_id(void)
{
	static char ids[8][64];
	char *id = ids[idn % 8];

	snprintf(id, sizeof(ids[0]), "0b2f%04d-93ae-4342-b005-65422d8fd413",
	    ++idn);
	return id;
}

/* Kannel's call with @text (@n bytes) in @coding from @from, id @id. */
static int
call_peer(const char *from, const void *text, size_t n, int coding,
    const char *id, const struct sockaddr *peer, socklen_t plen)
{
	static char q[QMAX];
	char c[8];
	struct smsgw_request rq;

	q[0] = '\0';
	if (from != NULL)
		adds(q, "from", from);
	adds(q, "to", "38100");
	if (text != NULL)
		add(q, "text", text, n);
	if (id != NULL)
		adds(q, "id", id);
	adds(q, "ts", "1795295850");
	snprintf(c, sizeof(c), "%d", coding);
	adds(q, "coding", c);
	adds(q, "secret", SECRET);
	memset(&rq, 0, sizeof(rq));
	rq.query = q;
	rq.query_len = strlen(q);
	rq.peer = peer;
	rq.peerlen = plen;
	return smsgw_handle(gw, &rq, &rep);
}

static int
call_id(const char *text, const char *id)
{
	return call_peer(PHONE, text, strlen(text), 0, id,
	    (const struct sockaddr *)&lo4, sizeof(lo4));
}

static int
call(const char *text)
{
	return call_id(text, new_id());
}

/* A raw query from 127.0.0.1. */
static int
raw(const char *q)
{
	struct smsgw_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.query = q;
	rq.query_len = q != NULL ? strlen(q) : 0;
	rq.peer = (const struct sockaddr *)&lo4;
	rq.peerlen = sizeof(lo4);
	return smsgw_handle(gw, &rq, &rep);
}

static const char *
reply_for(const char *lang, enum sms_command c)
{
	return sms_texts_reply(texts, lang, c, false);
}

static void
assert_reply(const char *lang, enum sms_command c, int coding)
{
	ck_assert_int_eq(rep.status, 200);
	ck_assert_msg(strcmp(rep.text, reply_for(lang, c)) == 0,
	    "reply [%s], want %s %s (%s)", rep.text, lang,
	    sms_command_name(c), rep.log);
	ck_assert_int_eq(rep.coding, coding);
	/* The log line never holds the number. */
	ck_assert_ptr_null(strstr(rep.log, "71234589"));
}

static void
assert_silent(void)
{
	ck_assert_int_eq(rep.status, 200);
	ck_assert_str_eq(rep.text, "");
	ck_assert_ptr_null(strstr(rep.log, "71234589"));
}

/* --- the outbox as the console sees it ---------------------------------- */

struct opened {
	size_t n;
	struct sms_envelope env[8];
	char idem[8][OUTBOX_IDEM_MAX + 1];
};

static int
open_row(const struct outbox_row *row, void *arg)
{
	struct opened *o = arg;
	struct field_error err;
	char aad[SEAL_AAD_MAX];
	uint8_t *pt = NULL;
	size_t ptlen = 0;

	ck_assert_int_eq(row->channel, ORDER_CHANNEL_SMS);
	ck_assert_str_eq(row->centre, cfg.centre);
	ck_assert_uint_lt(o->n, 8);
	ck_assert_int_eq(outbox_aad(row->centre, row->idem, aad, sizeof(aad)),
	    0);
	ck_assert_int_eq(seal_open(key, row->blob, row->bloblen, aad,
	    strlen(aad), &pt, &ptlen), SEAL_OK);
	ck_assert_msg(sms_envelope_decode((const char *)pt, ptlen, cat,
	    &o->env[o->n], &err) == 0, "%s %s", err.field, err.msg);
	mem_wipe_free(pt, ptlen + 1);
	/* Bound to its row: another row's AAD does not open it. */
	ck_assert_int_eq(outbox_aad(row->centre, "someone-else", aad,
	    sizeof(aad)), 0);
	ck_assert_int_eq(seal_open(key, row->blob, row->bloblen, aad,
	    strlen(aad), &pt, &ptlen), SEAL_ERR_AUTH);
	ck_assert_int_eq(str_copy(o->idem[o->n], sizeof(o->idem[0]),
	    row->idem), 0);
	o->n++;
	return 0;
}

static void
rows(struct opened *o)
{
	struct outbox *ob = outbox_open(cfg.intake_db, errbuf,
	    sizeof(errbuf));

	ck_assert_msg(ob != NULL, "%s", errbuf);
	memset(o, 0, sizeof(*o));
	ck_assert_int_eq(outbox_list(ob, cfg.centre, 0, 100, open_row, o), 0);
	outbox_close(ob);
}

static size_t
nrows(void)
{
	struct opened o;

	rows(&o);
	return o.n;
}

/* --- who may call ------------------------------------------------------- */

START_TEST(test_forbidden)
{
	struct sockaddr_in other = lo4;
	struct sockaddr_in6 six, mapped;
	char q[512];

	/* No secret, a wrong one, an empty one, two of them. */
	ck_assert_int_eq(raw("from=%2B33612345678&text=STOP&id=a1"), 0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_str_eq(rep.text, "Forbidden\n");
	ck_assert_ptr_nonnull(strstr(rep.log, "secret"));
	ck_assert_int_eq(raw("from=%2B33612345678&text=STOP&id=a1&secret=no"),
	    0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_int_eq(raw("from=%2B33612345678&text=STOP&id=a1&secret="),
	    0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_int_eq(raw("text=STOP&id=a1&secret=" SECRET "x"), 0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_int_eq(raw("text=STOP&id=a1&secret=" SECRET "&secret="
	    SECRET), 0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_int_eq(raw(NULL), 0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_int_eq(raw("secret"), 0);
	ck_assert_int_eq(rep.status, 403);

	/* The right secret from an address not in [sms] allow. */
	other.sin_addr.s_addr = htonl(0x0a000001);	/* 10.0.0.1 */
	ck_assert_int_eq(call_peer(PHONE, "STOP", 4, 0, new_id(),
	    (struct sockaddr *)&other, sizeof(other)), 0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_ptr_nonnull(strstr(rep.log, "allow"));
	ck_assert_int_eq(call_peer(PHONE, "STOP", 4, 0, new_id(), NULL, 0),
	    0);
	ck_assert_int_eq(rep.status, 403);
	/* A truncated address is no address. */
	ck_assert_int_eq(call_peer(PHONE, "STOP", 4, 0, new_id(),
	    (struct sockaddr *)&lo4, 4), 0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_uint_eq(nrows(), 0);

	/* ::ffff:127.0.0.1 is 127.0.0.1. */
	memset(&mapped, 0, sizeof(mapped));
	mapped.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:127.0.0.1",
	    &mapped.sin6_addr), 1);
	ck_assert_int_eq(call_peer(PHONE, "AIDE", 4, 0, new_id(),
	    (struct sockaddr *)&mapped, sizeof(mapped)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	/* ::1 only when listed. */
	memset(&six, 0, sizeof(six));
	six.sin6_family = AF_INET6;
	six.sin6_addr = in6addr_loopback;
	ck_assert_int_eq(call_peer(PHONE, "AIDE", 4, 0, new_id(),
	    (struct sockaddr *)&six, sizeof(six)), 0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_int_eq(str_copy(cfg.sms_allow, sizeof(cfg.sms_allow),
	    "192.0.2.7, ::1"), 0);
	open_gw();
	ck_assert_int_eq(call_peer(PHONE, "AIDE", 4, 0, new_id(),
	    (struct sockaddr *)&six, sizeof(six)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_int_eq(call_id("AIDE", new_id()), 0);
	ck_assert_int_eq(rep.status, 403);

	/* allow unset: any address with the secret. */
	cfg.sms_allow[0] = '\0';
	open_gw();
	ck_assert_int_eq(call_peer(PHONE, "AIDE", 4, 0, new_id(),
	    (struct sockaddr *)&other, sizeof(other)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);

	/* secret unset: nobody, whatever they send. */
	cfg.sms_secret[0] = '\0';
	open_gw();
	ck_assert_int_eq(call("STOP"), 0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_ptr_nonnull(strstr(rep.log, "not set"));
	snprintf(q, sizeof(q), "from=1&text=STOP&id=x&secret=");
	ck_assert_int_eq(raw(q), 0);
	ck_assert_int_eq(rep.status, 403);
	ck_assert_uint_eq(nrows(), 0);
}
END_TEST

/* --- what is stored ----------------------------------------------------- */

START_TEST(test_order_sealed)
{
	struct opened o;
	char path[4300];
	static const char *const clear[] = { PHONE, "71234589", "0671234589",
	    "COMMANDE", "Commande", "merci" };

	ck_assert_int_eq(call("Commande INJ 2, merci"), 0);
	assert_reply("fr", SMS_ORDER, SMS_CODING_GSM7);
	ck_assert_ptr_nonnull(strstr(rep.log, "stored"));
	rows(&o);
	ck_assert_uint_eq(o.n, 1);
	ck_assert_int_eq(o.env[0].command, SMS_ORDER);
	ck_assert_str_eq(o.env[0].from, PHONE);
	ck_assert_str_eq(o.env[0].to, "38100");
	ck_assert_str_eq(o.env[0].text, "Commande INJ 2, merci");
	ck_assert_str_eq(o.env[0].lang, "fr");
	ck_assert_uint_eq(o.env[0].npacks, 1);
	ck_assert_str_eq(o.env[0].packs[0].code, "INJ");
	ck_assert_int_eq(o.env[0].packs[0].qty, 2);
	ck_assert_int_gt((long)o.env[0].received_at, 1700000000L);
	ck_assert_str_eq(o.idem[0], "0b2f0001-93ae-4342-b005-65422d8fd413");

	/* Neither the number nor the text in the database files. */
	smsgw_close(gw);
	gw = NULL;
	for (size_t i = 0; i < ARRAY_LEN(clear); i++) {
		snprintf(path, sizeof(path), "%s/intake.db", dir);
		ck_assert_msg(!testutil_file_contains(path, clear[i],
		    strlen(clear[i])), "'%s' in intake.db", clear[i]);
		snprintf(path, sizeof(path), "%s/intake.db-wal", dir);
		ck_assert_msg(!testutil_file_contains(path, clear[i],
		    strlen(clear[i])), "'%s' in the WAL", clear[i]);
	}
	open_gw();
}
END_TEST

START_TEST(test_same_id_twice)
{
	char id[64], hid[64];
	char first[SMSGW_REPLY_MAX];

	ck_assert_int_eq(str_copy(id, sizeof(id), new_id()), 0);

	ck_assert_int_eq(call_id("ORDER INJ 1", id), 0);
	assert_reply("en", SMS_ORDER, SMS_CODING_GSM7);
	memcpy(first, rep.text, sizeof(first));
	ck_assert_uint_eq(nrows(), 1);
	/* Kannel again, same id (even if the text came back different). */
	ck_assert_int_eq(call_id("ORDER INJ 1", id), 0);
	ck_assert_str_eq(rep.text, first);
	ck_assert_ptr_nonnull(strstr(rep.log, "same"));
	ck_assert_int_eq(call_id("AIDE", id), 0);
	ck_assert_str_eq(rep.text, first);
	ck_assert_uint_eq(nrows(), 1);
	/* After a restart (nothing in memory): the outbox knows the id. */
	open_gw();
	ck_assert_int_eq(call_id("ORDER INJ 1", id), 0);
	ck_assert_str_eq(rep.text, first);
	ck_assert_ptr_nonnull(strstr(rep.log, "stored before"));
	ck_assert_uint_eq(nrows(), 1);
	/* A HELP answered before gets the same help. */
	ck_assert_int_eq(str_copy(hid, sizeof(hid), new_id()), 0);
	ck_assert_int_eq(call_id("AYUDA", hid), 0);
	assert_reply("es", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_int_eq(call_id("AYUDA", hid), 0);
	assert_reply("es", SMS_HELP, SMS_CODING_GSM7);
	/* Another id is another SMS. */
	ck_assert_int_eq(call("ORDER INJ 1"), 0);
	ck_assert_uint_eq(nrows(), 2);
}
END_TEST

START_TEST(test_nothing_stored)
{
	char *big = malloc(1001);

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(call("AIDE"), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_ptr_nonnull(strstr(rep.log, "help"));
	ck_assert_int_eq(call("help"), 0);
	assert_reply("en", SMS_HELP, SMS_CODING_GSM7);
	/* Unknown keyword: the help text in the default language. */
	ck_assert_int_eq(call("Bonjour, je voudrais des renseignements"), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_ptr_nonnull(strstr(rep.log, "keyword"));
	ck_assert_ptr_null(strstr(rep.log, "renseignements"));
	/* Only spaces; nothing at all; no text parameter. */
	ck_assert_int_eq(call("      "), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_int_eq(call(""), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_int_eq(call_peer(PHONE, NULL, 0, 0, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	/* 1,000 characters. */
	memset(big, 'a', 1000);
	big[1000] = '\0';
	memcpy(big, "COMMANDE ", 9);
	ck_assert_int_eq(call(big), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	/* An order with an unknown code or a bad quantity. */
	ck_assert_int_eq(call("COMMANDE INJ 0"), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_int_eq(call("COMMANDE XYZ"), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_uint_eq(nrows(), 0);
	free(big);
}
END_TEST

START_TEST(test_commands_stored)
{
	struct opened o;

	ck_assert_int_eq(call("APPEL svp"), 0);
	assert_reply("fr", SMS_CALL, SMS_CODING_GSM7);
	ck_assert_int_eq(call("STOP"), 0);
	assert_reply("fr", SMS_STOP, SMS_CODING_GSM7);
	ck_assert_int_eq(call("Reprise"), 0);
	assert_reply("fr", SMS_START, SMS_CODING_GSM7);
	ck_assert_int_eq(call("PEDIDO"), 0);
	assert_reply("es", SMS_ORDER, SMS_CODING_GSM7);
	rows(&o);
	ck_assert_uint_eq(o.n, 4);
	ck_assert_int_eq(o.env[0].command, SMS_CALL);
	ck_assert_int_eq(o.env[1].command, SMS_STOP);
	ck_assert_int_eq(o.env[2].command, SMS_START);
	ck_assert_int_eq(o.env[3].command, SMS_ORDER);
	ck_assert_uint_eq(o.env[3].npacks, 0);	/* as last time */
	ck_assert_str_eq(o.env[3].lang, "es");
	ck_assert_str_eq(o.env[1].text, "STOP");
	ck_assert_str_eq(o.env[1].lang, "fr");
	/* STOP has no language: the centre's default decides. */
	ck_assert_int_eq(str_copy(cfg.lang, sizeof(cfg.lang), "en"), 0);
	open_gw();
	ck_assert_int_eq(call("stop"), 0);
	assert_reply("en", SMS_STOP, SMS_CODING_GSM7);
	ck_assert_int_eq(call("xyz"), 0);
	assert_reply("en", SMS_HELP, SMS_CODING_GSM7);
}
END_TEST

/* --- languages and codings ---------------------------------------------- */

START_TEST(test_russian_ucs2)
{
	/* "ЗАКАЗ INJ 2" as a phone sends Cyrillic: UCS-2, coding 2. */
	static const char ucs2[] = "\x04\x17\x04\x10\x04\x1a\x04\x10\x04\x17"
	    "\x00 \x00I\x00N\x00J\x00 \x00" "2";
	/* "ПЕРЕЗВОНИТЕ" holds Р (04 20): a 0x20 byte that must stay. */
	static const char call_ru[] = "\x04\x1f\x04\x15\x04\x20\x04\x15\x04"
	    "\x17\x04\x12\x04\x1e\x04\x1d\x04\x18\x04\x22\x04\x15";
	struct opened o;

	ck_assert_int_eq(call_peer(PHONE, ucs2, sizeof(ucs2) - 1, 2,
	    new_id(), (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("ru", SMS_ORDER, SMS_CODING_UCS2);
	ck_assert_int_eq(call_peer(PHONE, call_ru, sizeof(call_ru) - 1, 2,
	    new_id(), (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("ru", SMS_CALL, SMS_CODING_UCS2);
	/* The same words in UTF-8 with coding 0 (a gateway converting). */
	ck_assert_int_eq(call("помощь"), 0);
	assert_reply("ru", SMS_HELP, SMS_CODING_UCS2);
	/* A UCS-2 SMS in Latin letters. */
	ck_assert_int_eq(call_peer(PHONE, "\x00S\x00T\x00O\x00P", 8, 2,
	    new_id(), (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("fr", SMS_STOP, SMS_CODING_GSM7);
	/* Latin-1 bytes in a 7-bit SMS. */
	ck_assert_int_eq(call_peer(PHONE, "ARR\xcaT", 5, 0, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("fr", SMS_STOP, SMS_CODING_GSM7);
	/* Broken UCS-2: odd length, lone surrogate: help, nothing stored. */
	ck_assert_int_eq(call_peer(PHONE, "\x04\x17\x04", 3, 2, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_int_eq(call_peer(PHONE, "\xd8\x00\x00\x41", 4, 2, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	/* An unknown coding. */
	ck_assert_int_eq(call_peer(PHONE, "STOP", 4, 7, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);

	rows(&o);
	ck_assert_uint_eq(o.n, 4);
	ck_assert_str_eq(o.env[0].text, "ЗАКАЗ INJ 2");
	ck_assert_str_eq(o.env[0].lang, "ru");
	ck_assert_int_eq(o.env[0].packs[0].qty, 2);
	ck_assert_str_eq(o.env[1].text, "ПЕРЕЗВОНИТЕ");
	ck_assert_str_eq(o.env[3].text, "ARRÊT");
}
END_TEST

START_TEST(test_senders)
{
	static const char *const same[] = { "+33671234589", "33671234589",
	    "0671234589", "+33 6 71 23 45 89", "0033671234589",
	    " +33671234589" };
	/* "671234589": a national number without its 0, not +67... */
	static const char *const refused[] = { "Orange", "INFO", "", "+1",
	    "12", "+33 6", "06712345899", "671234589", "3367123458a" };
	struct opened o;

	for (size_t i = 0; i < ARRAY_LEN(same); i++) {
		ck_assert_int_eq(call_peer(same[i], "APPEL", 5, 0, new_id(),
		    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
		assert_reply("fr", SMS_CALL, SMS_CODING_GSM7);
	}
	rows(&o);
	ck_assert_uint_eq(o.n, ARRAY_LEN(same));
	for (size_t i = 0; i < o.n; i++)
		ck_assert_str_eq(o.env[i].from, PHONE);
	/* A number from elsewhere, kept as E.164. */
	ck_assert_int_eq(call_peer("+447700900123", "CALL", 4, 0, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("en", SMS_CALL, SMS_CODING_GSM7);
	/* No number to answer or call: nothing. */
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		ck_assert_int_eq(call_peer(refused[i], "APPEL", 5, 0,
		    new_id(), (struct sockaddr *)&lo4, sizeof(lo4)), 0);
		assert_silent();
		ck_assert_ptr_nonnull(strstr(rep.log, "from"));
	}
	ck_assert_int_eq(call_peer(NULL, "APPEL", 5, 0, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_silent();
	ck_assert_uint_eq(nrows(), ARRAY_LEN(same) + 1);
}
END_TEST

/* --- rate limit --------------------------------------------------------- */

START_TEST(test_rate_limit)
{
	struct opened o;
	char early[64];

	ck_assert_int_eq(str_copy(early, sizeof(early), new_id()), 0);

	cfg.sms_per_hour = 3;
	open_gw();
	ck_assert_int_eq(call_id("AIDE", early), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_int_eq(call("COMMANDE"), 0);
	assert_reply("fr", SMS_ORDER, SMS_CODING_GSM7);
	ck_assert_int_eq(call("AIDE"), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	/* Fourth in the hour: no reply, nothing stored. */
	ck_assert_int_eq(call("AIDE"), 0);
	assert_silent();
	ck_assert_ptr_nonnull(strstr(rep.log, "sms_per_hour"));
	ck_assert_int_eq(call("COMMANDE INJ 3"), 0);
	assert_silent();
	ck_assert_uint_eq(nrows(), 1);
	/* STOP is always recorded, though not answered. */
	ck_assert_int_eq(call("STOP"), 0);
	assert_silent();
	rows(&o);
	ck_assert_uint_eq(o.n, 2);
	ck_assert_int_eq(o.env[1].command, SMS_STOP);
	/* A redelivery of an SMS answered before is answered the same. */
	ck_assert_int_eq(call_id("AIDE", early), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	/* Someone else is not slowed down. */
	ck_assert_int_eq(call_peer("+33698765432", "AIDE", 4, 0, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	/* The same person written another way is the same sender. */
	ck_assert_int_eq(call_peer("06 71 23 45 89", "AIDE", 4, 0, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_silent();
}
END_TEST

/* --- malformed requests ------------------------------------------------- */

START_TEST(test_bad_requests)
{
	char q[QMAX], longid[200];
	char *big;

	/* The id: missing, empty, with a space, too long, twice. */
	ck_assert_int_eq(call_id("COMMANDE", NULL), 0);
	assert_silent();
	ck_assert_ptr_nonnull(strstr(rep.log, "id"));
	ck_assert_int_eq(call_id("COMMANDE", ""), 0);
	assert_silent();
	ck_assert_int_eq(call_id("COMMANDE", "a b"), 0);
	assert_silent();
	memset(longid, 'a', sizeof(longid));
	longid[OUTBOX_IDEM_MAX + 1] = '\0';
	ck_assert_int_eq(call_id("COMMANDE", longid), 0);
	assert_silent();
	longid[OUTBOX_IDEM_MAX] = '\0';
	ck_assert_int_eq(call_id("COMMANDE", longid), 0);
	assert_reply("fr", SMS_ORDER, SMS_CODING_GSM7);
	q[0] = '\0';
	adds(q, "from", PHONE);
	adds(q, "text", "COMMANDE");
	adds(q, "id", "x1");
	adds(q, "id", "x2");
	adds(q, "secret", SECRET);
	ck_assert_int_eq(raw(q), 0);
	assert_silent();

	/* The text twice, or longer than what is read: help. */
	q[0] = '\0';
	adds(q, "from", PHONE);
	adds(q, "text", "COMMANDE");
	adds(q, "text", "STOP");
	adds(q, "id", new_id());
	adds(q, "secret", SECRET);
	ck_assert_int_eq(raw(q), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	big = malloc(SMS_INPUT_MAX + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', SMS_INPUT_MAX + 1);
	memcpy(big, "STOP ", 5);
	ck_assert_int_eq(call_peer(PHONE, big, SMS_INPUT_MAX + 1, 0,
	    new_id(), (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	/* A 7-bit text with a NUL byte. */
	ck_assert_int_eq(call_peer(PHONE, "ST\0P", 4, 0, new_id(),
	    (struct sockaddr *)&lo4, sizeof(lo4)), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	free(big);

	/* Malformed escapes and unknown parameters are not fatal. */
	q[0] = '\0';
	adds(q, "from", PHONE);
	adds(q, "id", new_id());
	adds(q, "secret", SECRET);
	ck_assert_int_lt(snprintf(q + strlen(q), sizeof(q) - strlen(q),
	    "&text=%%G1%%4&&=x&junk&smsc=FAKE"), 100);
	ck_assert_int_eq(raw(q), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	/* An over-long 'to' is dropped, the SMS is not. */
	q[0] = '\0';
	adds(q, "from", PHONE);
	adds(q, "to", "12345678901234567890123456789012345");
	adds(q, "text", "APPEL");
	adds(q, "id", new_id());
	adds(q, "secret", SECRET);
	ck_assert_int_eq(raw(q), 0);
	assert_reply("fr", SMS_CALL, SMS_CODING_GSM7);
	struct opened o;
	rows(&o);
	ck_assert_uint_eq(o.n, 2);
	ck_assert_str_eq(o.env[1].to, "");
}
END_TEST

START_TEST(test_store_fails)
{
	/* A centre code the outbox refuses: the store fails. */
	ck_assert_int_eq(str_copy(cfg.centre, sizeof(cfg.centre), "a/b"), 0);
	open_gw();
	ck_assert_int_eq(call("COMMANDE INJ 2"), -1);
	ck_assert_int_eq(rep.status, 200);
	ck_assert_str_ne(rep.text, "");
	ck_assert_str_ne(rep.text, reply_for("fr", SMS_ORDER));
	ck_assert_ptr_nonnull(strstr(rep.text, "réessayer"));
	/* Help needs no store. */
	ck_assert_int_eq(call("AIDE"), 0);
	assert_reply("fr", SMS_HELP, SMS_CODING_GSM7);
	ck_assert_int_eq(str_copy(cfg.centre, sizeof(cfg.centre), "demo"),
	    0);
	ck_assert_uint_eq(nrows(), 0);
}
END_TEST

START_TEST(test_open_errors)
{
	struct config bad;
	char p[4300];

	smsgw_close(NULL);
	bad = cfg;
	ck_assert_int_eq(str_copy(bad.sms_allow, sizeof(bad.sms_allow),
	    "127.0.0.1,nonsense"), 0);
	ck_assert_ptr_null(smsgw_open(&bad, cat, errbuf, sizeof(errbuf)));
	ck_assert_ptr_nonnull(strstr(errbuf, "[sms] allow"));
	bad = cfg;
	snprintf(p, sizeof(p), "%s/keys/none.pub", dir);
	ck_assert_int_eq(str_copy(bad.public_key, sizeof(bad.public_key), p),
	    0);
	ck_assert_ptr_null(smsgw_open(&bad, cat, errbuf, sizeof(errbuf)));
	ck_assert_ptr_nonnull(strstr(errbuf, "none.pub"));
	bad = cfg;
	snprintf(p, sizeof(p), "%s/no/such/dir/intake.db", dir);
	ck_assert_int_eq(str_copy(bad.intake_db, sizeof(bad.intake_db), p),
	    0);
	ck_assert_ptr_null(smsgw_open(&bad, cat, errbuf, sizeof(errbuf)));
	ck_assert_str_ne(errbuf, "");
	ck_assert_ptr_null(smsgw_open(NULL, cat, errbuf, sizeof(errbuf)));
	ck_assert_ptr_null(smsgw_open(&cfg, NULL, errbuf, sizeof(errbuf)));
}
END_TEST

static Suite *
smsgw_suite(void)
{
	Suite *s = suite_create("smsgw");
	TCase *tc = tcase_create("smsgw");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_forbidden);
	tcase_add_test(tc, test_order_sealed);
	tcase_add_test(tc, test_same_id_twice);
	tcase_add_test(tc, test_nothing_stored);
	tcase_add_test(tc, test_commands_stored);
	tcase_add_test(tc, test_russian_ucs2);
	tcase_add_test(tc, test_senders);
	tcase_add_test(tc, test_rate_limit);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_store_fails);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(smsgw_suite)
