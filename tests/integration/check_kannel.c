/*
 * The SMS channel end to end: the real `hrpost intake` daemon and a real
 * Kannel (bearerbox, smsbox, fakesmsc as the phone network) on loopback
 * ports.  An order from a French mobile gets the French reply intact at
 * the phone and leaves one sealed row in intake.db (opened here with the
 * demo centre's key: the envelope holds the number and text, the raw
 * database bytes do not); the same Kannel id again, by direct GET, stores
 * nothing and gets the same reply; STOP, help, an unknown keyword, a text
 * of spaces, a 1,000-character SMS; Russian keywords in UCS-2 with the
 * Cyrillic reply intact; the per-sender rate limit (no reply, STOP still
 * recorded); and who may call /sms: no secret, a wrong secret, an
 * address outside [sms] allow all get 403 by direct HTTP, and a Kannel
 * with the wrong secret makes the phone get Kannel's own error.
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/util.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "orders/outbox.h"
#include "orders/sms.h"
#include "server/form.h"
#include "tests/integration/daemon.h"
#include "tests/integration/kannel.h"
#include "tests/testutil.h"

#define SECRET "kannel-test-secret-7f3a9c2e"
#define PHONE "+33671234589"		/* a French mobile */
#define PHONE_OTHER "+33698765432"
#define CENTRE_NUMBER "38100"
#define KEY_PATH_MAX (DAEMON_PATH_MAX + 64)

static char dir[DAEMON_PATH_MAX];
static struct daemon_proc d;
static struct kannel k;
static struct catalogue *cat;
static struct sms_texts *texts;

/* ---- fixture ------------------------------------------------------ */

/*
 * A failed ck_assert ends the test process before teardown: stop the
 * daemon and remove the state all the same (Kannel has its own).
 */
static void
cleanup_at_exit(void)
{
	(void)daemon_stop(&d, NULL);
	if (dir[0] != '\0')
		daemon_state_free(dir);
	dir[0] = '\0';
}

static void
start_all(const char *sms_per_hour)
{
	static bool registered;
	char url[128];

	if (!registered) {
		ck_assert_int_eq(atexit(cleanup_at_exit), 0);
		registered = true;
	}
	ck_assert_int_eq(daemon_state_new(dir, sizeof(dir)), 0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "secret", SECRET), 0);
	ck_assert_int_eq(daemon_config_set(dir, "sms", "allow", "127.0.0.1"),
	    0);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "sms_per_hour",
	    sms_per_hour), 0);
	ck_assert_int_eq(daemon_config_set(dir, "limits", "web_per_minute",
	    "100000"), 0);
	ck_assert_int_eq(daemon_start(&d, dir, "intake", NULL, NULL), 0);
	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/sms", d.url), 0);
	/* A Kannel that does not start fails the test. */
	ck_assert_msg(kannel_start(&k, url, SECRET) == 0, "Kannel did not "
	    "start");
}

static void
load_texts(void)
{
	char errbuf[256];

	cat = catalogue_load("templates", errbuf, sizeof(errbuf));
	ck_assert_msg(cat != NULL, "%s", errbuf);
	texts = sms_texts_load(cat, errbuf, sizeof(errbuf));
	ck_assert_msg(texts != NULL, "%s", errbuf);
}

static void
setup(void)
{
	load_texts();
	start_all("1000");
}

static void
setup_limited(void)
{
	load_texts();
	start_all("3");
}

static void
teardown(void)
{
	int st = -1;

	sms_texts_free(texts);
	texts = NULL;
	catalogue_free(cat);
	cat = NULL;
	ck_assert_int_eq(kannel_stop(&k), 0);
	ck_assert_int_eq(daemon_stop(&d, &st), 0);
	ck_assert_int_eq(st, 0);
	daemon_state_free(dir);
	dir[0] = '\0';
}

/* ---- helpers ------------------------------------------------------ */

static const char *
reply(const char *lang, enum sms_command c)
{
	return sms_texts_reply(texts, lang, c, false);
}

/*
 * Send @text from @from expecting @expect replies at the phone; assert
 * Kannel called hrpost, got 200 and sent exactly that many.
 */
static void
sms_n(const char *from, const char *text, bool ucs2, int expect,
    struct kannel_mt *mt)
{
	struct kannel_mo mo = { from, CENTRE_NUMBER, text, ucs2, expect, 0 };

	ck_assert_msg(kannel_sms(&k, &mo, mt) == 0, "the SMS did not go "
	    "through Kannel as expected (%zu replies arrived)", mt->n);
	ck_assert_int_eq(mt->status, 200);
}

/* The usual case: one reply. */
static void
sms(const char *from, const char *text, bool ucs2, struct kannel_mt *mt)
{
	sms_n(from, text, ucs2, 1, mt);
}

/* Exactly one message reached @to, saying @want, coded as @type. */
static void
assert_got(const struct kannel_mt *mt, const char *to, const char *want)
{
	ck_assert_uint_eq(mt->n, 1);
	ck_assert_str_eq(mt->got[0].to, to);
	ck_assert_str_eq(mt->got[0].from, CENTRE_NUMBER);
	ck_assert_msg(strcmp(mt->got[0].text, want) == 0, "the phone got "
	    "[%s] (%s), want [%s]", mt->got[0].text, mt->got[0].type, want);
	/* GSM-safe text goes 7-bit; anything else must go UCS-2. */
	ck_assert_str_eq(mt->got[0].type, sms_gsm7(want, NULL) ? "text" :
	    "ucs-2");
}

static sqlite3 *
open_db(void)
{
	char path[KEY_PATH_MAX];
	sqlite3 *db = NULL;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/intake.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static int
count_rows(void)
{
	sqlite3 *db = open_db();
	sqlite3_stmt *st = NULL;
	int n = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox",
	    -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * Open row @nth (from 0, oldest first) with the demo centre's private key
 * and the AAD of its row; fills @env and @idem.
 */
static void
open_row(int nth, struct sms_envelope *env, char *idem, size_t idemsz)
{
	char path[KEY_PATH_MAX], aad[SEAL_AAD_MAX], centre[64];
	struct centre_key *key = NULL;
	struct field_error err;
	sqlite3 *db = open_db();
	sqlite3_stmt *st = NULL;
	uint8_t *pt = NULL;
	size_t ptlen = 0;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/keys/centre.key",
	    dir), 0);
	ck_assert_int_eq(key_load_private(path, NULL, 0, &key), KEY_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT channel, centre, idem, "
	    "sealed FROM outbox ORDER BY id LIMIT 1 OFFSET ?", -1, &st, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_int(st, 1, nth), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "sms");
	ck_assert_int_eq(str_copy(centre, sizeof(centre),
	    (const char *)sqlite3_column_text(st, 1)), 0);
	ck_assert_int_eq(str_copy(idem, idemsz,
	    (const char *)sqlite3_column_text(st, 2)), 0);
	ck_assert_int_eq(outbox_aad(centre, idem, aad, sizeof(aad)), 0);
	ck_assert_int_eq(seal_open(key, sqlite3_column_blob(st, 3),
	    (size_t)sqlite3_column_bytes(st, 3), aad, strlen(aad), &pt,
	    &ptlen), SEAL_OK);
	ck_assert_msg(sms_envelope_decode((const char *)pt, ptlen, cat, env,
	    &err) == 0, "%s %s", err.field, err.msg);
	mem_wipe_free(pt, ptlen + 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	key_free(key);
}

/* true when a database file of the state holds @s in clear. */
static bool
db_contains(const char *s)
{
	static const char *const files[] = { "intake.db", "intake.db-wal",
	    "intake.db-shm" };
	char path[KEY_PATH_MAX];

	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		ck_assert_int_ge(str_printf(path, sizeof(path), "%s/%s", dir,
		    files[i]), 0);
		if (testutil_file_contains(path, s, strlen(s)))
			return true;
	}
	return false;
}

/*
 * GET /sms directly, as Kannel would, with @id; @secret NULL leaves it
 * out; @source is the local address to send from.
 */
static void
direct(const char *secret, const char *source, const char *id,
    const char *text, struct daemon_reply *rp)
{
	char u[2048], enc[1024];
	struct daemon_req rq;
	size_t n;

	ck_assert_int_ge(str_printf(u, sizeof(u), "%s/sms?from=%%2B33671234589"
	    "&to=" CENTRE_NUMBER "&id=%s&ts=1795295850&coding=0", d.url, id),
	    0);
	ck_assert_int_eq(form_encode(text, enc, sizeof(enc)), 0);
	n = strlen(u);
	ck_assert_int_ge(str_printf(u + n, sizeof(u) - n, "&text=%s", enc),
	    0);
	if (secret != NULL) {
		n = strlen(u);
		ck_assert_int_ge(str_printf(u + n, sizeof(u) - n,
		    "&secret=%s", secret), 0);
	}
	memset(&rq, 0, sizeof(rq));
	rq.url = u;
	rq.source = source;
	ck_assert_int_eq(daemon_request(&rq, rp), 0);
}

/* ---- tests -------------------------------------------------------- */

START_TEST(test_order_from_a_french_mobile)
{
	struct kannel_mt mt;
	struct sms_envelope env;
	char idem[OUTBOX_IDEM_MAX + 1];
	static const char *const clear[] = { PHONE, "671234589",
	    "COMMANDE INJ", "Commande" };

	sms(PHONE, "COMMANDE INJ 2", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_ORDER));
	/* The accents arrived as they were written. */
	ck_assert_ptr_nonnull(strstr(mt.got[0].text, "é"));
	ck_assert_ptr_nonnull(strstr(mt.got[0].text, "è"));

	ck_assert_int_eq(count_rows(), 1);
	open_row(0, &env, idem, sizeof(idem));
	ck_assert_int_eq(env.command, SMS_ORDER);
	ck_assert_str_eq(env.from, PHONE);
	ck_assert_str_eq(env.to, CENTRE_NUMBER);
	ck_assert_str_eq(env.text, "COMMANDE INJ 2");
	ck_assert_str_eq(env.lang, "fr");
	ck_assert_uint_eq(env.npacks, 1);
	ck_assert_str_eq(env.packs[0].code, "INJ");
	ck_assert_int_eq(env.packs[0].qty, 2);
	/* Kannel's %I is the key: a UUID. */
	ck_assert_uint_eq(strlen(idem), 36);
	sms_envelope_clear(&env);

	for (size_t i = 0; i < ARRAY_LEN(clear); i++)
		ck_assert_msg(!db_contains(clear[i]), "'%s' is in intake.db in "
		    "clear", clear[i]);
	/* Nor in the daemon's log. */
	ck_assert(!daemon_log_contains(&d, "671234589"));
	ck_assert(!daemon_log_contains(&d, "COMMANDE"));
}
END_TEST

START_TEST(test_same_id_again)
{
	struct kannel_mt mt;
	struct daemon_reply rp;
	struct sms_envelope env;
	char idem[OUTBOX_IDEM_MAX + 1];

	sms(PHONE, "Commande INJ 1 NALOX 1", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_ORDER));
	ck_assert_int_eq(count_rows(), 1);
	open_row(0, &env, idem, sizeof(idem));
	sms_envelope_clear(&env);

	/* Kannel retrying the same message: same reply, nothing new. */
	for (int i = 0; i < 2; i++) {
		memset(&rp, 0, sizeof(rp));
		direct(SECRET, "127.0.0.1", idem, "Commande INJ 1 NALOX 1",
		    &rp);
		ck_assert_int_eq(rp.status, 200);
		ck_assert_str_eq(rp.body, reply("fr", SMS_ORDER));
		daemon_reply_free(&rp);
		ck_assert_int_eq(count_rows(), 1);
	}
	/* After a restart of the daemon too. */
	ck_assert_int_eq(daemon_stop(&d, NULL), 0);
	ck_assert_int_eq(daemon_start(&d, dir, "intake", NULL, NULL), 0);
	direct(SECRET, "127.0.0.1", idem, "Commande INJ 1 NALOX 1", &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_str_eq(rp.body, reply("fr", SMS_ORDER));
	daemon_reply_free(&rp);
	ck_assert_int_eq(count_rows(), 1);
	/* A new id is a new SMS. */
	direct(SECRET, "127.0.0.1", "direct-1", "APPEL", &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_str_eq(rp.body, reply("fr", SMS_CALL));
	daemon_reply_free(&rp);
	ck_assert_int_eq(count_rows(), 2);
}
END_TEST

START_TEST(test_stop_help_unknown)
{
	struct kannel_mt mt;
	struct sms_envelope env;
	char idem[OUTBOX_IDEM_MAX + 1];
	char *big = malloc(1001);

	ck_assert_ptr_nonnull(big);
	sms(PHONE, "STOP", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_STOP));
	ck_assert_int_eq(count_rows(), 1);
	open_row(0, &env, idem, sizeof(idem));
	ck_assert_int_eq(env.command, SMS_STOP);
	sms_envelope_clear(&env);

	sms(PHONE, "Arrêt", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_STOP));
	sms(PHONE, "aide", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_HELP));
	sms(PHONE, "HELP", false, &mt);
	assert_got(&mt, PHONE, reply("en", SMS_HELP));
	/* Unknown keyword: the help text. */
	sms(PHONE, "Bonjour je voudrais des renseignements", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_HELP));
	/* Only spaces. */
	sms(PHONE, "      ", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_HELP));
	/* 1,000 characters. */
	memset(big, 'x', 1000);
	big[1000] = '\0';
	memcpy(big, "COMMANDE ", 9);
	sms(PHONE, big, false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_HELP));
	for (size_t i = 0; i < 1000; i += 10)
		memcpy(big + i, "STOP      ", 10);
	sms(PHONE, big, false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_STOP));
	free(big);
	/* Help, unknown, spaces and the long order stored nothing. */
	ck_assert_int_eq(count_rows(), 3);
	/* START and CALL, other languages. */
	sms(PHONE, "Reprise", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_START));
	sms(PHONE, "LLAMAR por favor", false, &mt);
	assert_got(&mt, PHONE, reply("es", SMS_CALL));
	sms(PHONE, "Encomenda", false, &mt);
	assert_got(&mt, PHONE, reply("pt", SMS_ORDER));
	ck_assert_int_eq(count_rows(), 6);
}
END_TEST

START_TEST(test_russian)
{
	struct kannel_mt mt;
	struct sms_envelope env;
	char idem[OUTBOX_IDEM_MAX + 1];

	/* A phone sends Cyrillic as UCS-2; the reply must come back so. */
	sms(PHONE, "ЗАКАЗ INJ 2", true, &mt);
	assert_got(&mt, PHONE, reply("ru", SMS_ORDER));
	ck_assert_str_eq(mt.got[0].type, "ucs-2");
	ck_assert_ptr_nonnull(strstr(mt.got[0].text, "перезвонят"));
	/* "Р" is 04 20 in UCS-2: its 0x20 byte must survive Kannel. */
	sms(PHONE, "ПЕРЕЗВОНИТЕ", true, &mt);
	assert_got(&mt, PHONE, reply("ru", SMS_CALL));
	sms(PHONE, "помощь", true, &mt);
	assert_got(&mt, PHONE, reply("ru", SMS_HELP));
	sms(PHONE, "стоп", true, &mt);
	assert_got(&mt, PHONE, reply("ru", SMS_STOP));
	/* French in UCS-2 (the dash is not GSM: the phone sends UCS-2). */
	sms(PHONE, "Commande NALOX — merci", true, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_ORDER));

	ck_assert_int_eq(count_rows(), 4);
	open_row(0, &env, idem, sizeof(idem));
	ck_assert_str_eq(env.text, "ЗАКАЗ INJ 2");
	ck_assert_str_eq(env.lang, "ru");
	ck_assert_int_eq(env.packs[0].qty, 2);
	sms_envelope_clear(&env);
	open_row(1, &env, idem, sizeof(idem));
	ck_assert_str_eq(env.text, "ПЕРЕЗВОНИТЕ");
	ck_assert_int_eq(env.command, SMS_CALL);
	sms_envelope_clear(&env);
	ck_assert(!db_contains("ЗАКАЗ"));
}
END_TEST

START_TEST(test_only_kannel)
{
	struct daemon_reply rp;
	struct kannel bad;
	struct kannel_mo mo = { PHONE, CENTRE_NUMBER, "COMMANDE", false, 1, 0 };
	struct kannel_mt mt;
	char url[128];

	/* No secret, a wrong one, the right one from elsewhere: 403. */
	direct(NULL, "127.0.0.1", "x-1", "COMMANDE", &rp);
	ck_assert_int_eq(rp.status, 403);
	ck_assert_ptr_null(strstr(rp.body, "COMMANDE"));
	daemon_reply_free(&rp);
	direct("not-the-secret-at-all", "127.0.0.1", "x-2", "COMMANDE", &rp);
	ck_assert_int_eq(rp.status, 403);
	daemon_reply_free(&rp);
	direct(SECRET "x", "127.0.0.1", "x-3", "COMMANDE", &rp);
	ck_assert_int_eq(rp.status, 403);
	daemon_reply_free(&rp);
	direct(SECRET, "127.0.0.2", "x-4", "COMMANDE", &rp);
	ck_assert_int_eq(rp.status, 403);
	daemon_reply_free(&rp);
	ck_assert_int_eq(count_rows(), 0);
	/* The right secret from 127.0.0.1: Kannel. */
	direct(SECRET, "127.0.0.1", "x-5", "COMMANDE", &rp);
	ck_assert_int_eq(rp.status, 200);
	ck_assert_str_eq(rp.body, reply("fr", SMS_ORDER));
	daemon_reply_free(&rp);
	ck_assert_int_eq(count_rows(), 1);

	/* A Kannel with the wrong secret: refused, Kannel's own error. */
	ck_assert_int_ge(str_printf(url, sizeof(url), "%s/sms", d.url), 0);
	ck_assert_int_eq(kannel_stop(&k), 0);
	ck_assert_int_eq(kannel_start(&bad, url, "wrong-secret-0000000"), 0);
	ck_assert_int_eq(kannel_sms(&bad, &mo, &mt), 0);
	ck_assert_int_eq(mt.status, 403);
	ck_assert_uint_eq(mt.n, 1);
	ck_assert_ptr_nonnull(strstr(mt.got[0].text, "Could not fetch"));
	ck_assert_int_eq(kannel_stop(&bad), 0);
	ck_assert_int_eq(count_rows(), 1);
	/* The fixture stops k: start it again for that. */
	ck_assert_int_eq(kannel_start(&k, url, SECRET), 0);
}
END_TEST

START_TEST(test_rate_limit)
{
	struct kannel_mt mt;
	struct sms_envelope env;
	char idem[OUTBOX_IDEM_MAX + 1];

	/* [limits] sms_per_hour = 3. */
	sms(PHONE, "AIDE", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_HELP));
	sms(PHONE, "COMMANDE", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_ORDER));
	sms(PHONE, "APPEL", false, &mt);
	assert_got(&mt, PHONE, reply("fr", SMS_CALL));
	ck_assert_int_eq(count_rows(), 2);
	/* The fourth: 200, no reply at all, nothing stored. */
	sms_n(PHONE, "COMMANDE INJ 5", false, 0, &mt);
	ck_assert_uint_eq(mt.n, 0);
	ck_assert_str_eq(mt.body, "");
	ck_assert_int_eq(count_rows(), 2);
	sms_n(PHONE, "AIDE", false, 0, &mt);
	ck_assert_uint_eq(mt.n, 0);
	/* STOP is recorded all the same, silently. */
	sms_n(PHONE, "STOP", false, 0, &mt);
	ck_assert_uint_eq(mt.n, 0);
	ck_assert_int_eq(count_rows(), 3);
	open_row(2, &env, idem, sizeof(idem));
	ck_assert_int_eq(env.command, SMS_STOP);
	sms_envelope_clear(&env);
	/* Another person is not slowed down. */
	sms(PHONE_OTHER, "AIDE", false, &mt);
	assert_got(&mt, PHONE_OTHER, reply("fr", SMS_HELP));
}
END_TEST

static Suite *
kannel_suite(void)
{
	Suite *s = suite_create("kannel");
	TCase *tc = tcase_create("kannel");
	TCase *tl = tcase_create("limits");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_order_from_a_french_mobile);
	tcase_add_test(tc, test_same_id_again);
	tcase_add_test(tc, test_stop_help_unknown);
	tcase_add_test(tc, test_russian);
	tcase_add_test(tc, test_only_kannel);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tl, setup_limited, teardown);
	tcase_set_timeout(tl, 180);
	tcase_add_test(tl, test_rate_limit);
	suite_add_tcase(s, tl);
	return s;
}

CHECK_MAIN(kannel_suite)
