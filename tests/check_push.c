/*
 * Check suite for orders/push.c and the tracking table of orders/outbox.c:
 * the public status of every order status; POST /status bodies encoded
 * and read back, and every malformed body refused naming the entry and
 * the field, never a value (limit and limit + 1 entries, bytes and
 * times); intake's answers both ways; the tracking table's rules (a new
 * token, forward in the lifecycle whatever the times, never back, the
 * final ones by time, intake's own "received" giving way to the console's
 * first push whatever the clocks say, all or nothing, the mark never
 * going down, old rows pruned, a web order's row written with its outbox
 * row and not for a duplicate); changed orders read from centre.db in
 * both directions, one centre only, a malformed token skipped without
 * stalling; and whole rounds against an in-memory intake: batches, a
 * second round changing nothing, a change within the same second as the
 * mark, a clock set back, a transport failing half-way then the next
 * round finishing the job, a stop, and an intake.db lost and refilled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "base/util.h"
#include "crypto/key.h"
#include "crypto/token.h"
#include "orders/order.h"
#include "orders/outbox.h"
#include "orders/push.h"
#include "orders/store.h"
#include "tests/testutil.h"

#define ACTOR "test"
/* Friday 6 March 2026, 12:00 UTC. */
#define T0 ((time_t)1772798400)
#define NORDERS_MAX 16

static char dir[4096];
static char errbuf[512];
static struct centre_key *key;
static struct store *st;
static struct outbox *ob;
static int64_t centre;

static void
set_now(time_t t)
{
	char iso[CLOCK_ISO_LEN];

	clock_format(t, iso);
	ck_assert_int_eq(setenv("HRPOST_NOW", iso, 1), 0);
}

static struct outbox *
open_intake(const char *name)
{
	char path[4300];
	struct outbox *o;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/%s", dir, name),
	    0);
	o = outbox_open(path, errbuf, sizeof(errbuf));
	ck_assert_msg(o != NULL, "outbox_open: %s", errbuf);
	return o;
}

static void
setup(void)
{
	char path[4300];
	const char *d = testutil_mkdtemp();

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	set_now(T0);
	key = key_generate();
	ck_assert_ptr_nonnull(key);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	st = store_open(path, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "store_open: %s", errbuf);
	ck_assert_int_eq(store_centre_add(st, "demo", "Demo", ACTOR, &centre),
	    STORE_OK);
	ob = open_intake("intake.db");
}

static void
teardown(void)
{
	outbox_close(ob);
	ob = NULL;
	store_close(st);
	st = NULL;
	key_free(key);
	key = NULL;
	testutil_rmtree(dir);
	unsetenv("HRPOST_NOW");
}

/* A fresh valid tracking token. */
static void
new_token(char out[OUTBOX_TOKEN_LEN + 1])
{
	ck_assert_int_eq(token_new(out, OUTBOX_TOKEN_LEN + 1,
	    TOKEN_TRACK_DIGITS), TOKEN_OK);
}

static struct outbox_status
status(const char *tok, enum outbox_track t, int64_t at)
{
	struct outbox_status s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(str_copy(s.token, sizeof(s.token), tok), 0);
	s.status = t;
	s.updated_at = at;
	return s;
}

/* The stored status of @tok; -1 when intake has none. */
static int
stored(struct outbox *o, const char *tok)
{
	struct outbox_status s;
	int rc = outbox_track_get(o, tok, &s);

	ck_assert_int_ge(rc, 0);
	return rc == 1 ? (int)s.status : -1;
}

static int64_t
intake_int(struct outbox *o, const char *sql)
{
	/* A second connection on the same file, read-only. */
	char path[4300];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	(void)o;
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/intake.db", dir),
	    0);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* ---- statuses ---- */

START_TEST(test_track_of)
{
	ck_assert_int_eq(push_track_of(ORDER_RECEIVED), OUTBOX_TRACK_RECEIVED);
	ck_assert_int_eq(push_track_of(ORDER_ACCEPTED), OUTBOX_TRACK_RECEIVED);
	ck_assert_int_eq(push_track_of(ORDER_PACKED), OUTBOX_TRACK_PACKED);
	ck_assert_int_eq(push_track_of(ORDER_SHIPPED), OUTBOX_TRACK_SHIPPED);
	ck_assert_int_eq(push_track_of(ORDER_DELIVERED),
	    OUTBOX_TRACK_DELIVERED);
	ck_assert_int_eq(push_track_of(ORDER_RETURNED), OUTBOX_TRACK_RETURNED);
	ck_assert_int_eq(push_track_of(ORDER_CANCELLED),
	    OUTBOX_TRACK_CANCELLED);
	for (int t = 0; t < OUTBOX_TRACK_COUNT; t++) {
		enum outbox_track back;

		ck_assert_int_eq(outbox_track_parse(outbox_track_name(
		    (enum outbox_track)t), &back), 0);
		ck_assert_int_eq((int)back, t);
	}
	ck_assert_str_eq(outbox_track_name(OUTBOX_TRACK_SHIPPED), "shipped");
	ck_assert_str_eq(outbox_track_name((enum outbox_track)99), "unknown");
	{
		enum outbox_track t;

		ck_assert_int_eq(outbox_track_parse("accepted", &t), -1);
		ck_assert_int_eq(outbox_track_parse("Shipped", &t), -1);
		ck_assert_int_eq(outbox_track_parse(NULL, &t), -1);
	}
}
END_TEST

/* ---- the wire format ---- */

START_TEST(test_encode_decode)
{
	struct outbox_status in[3], out[PUSH_BATCH_MAX];
	char t[3][OUTBOX_TOKEN_LEN + 1];
	char *body = NULL;
	size_t len = 0, n = 99;

	for (int i = 0; i < 3; i++)
		new_token(t[i]);
	in[0] = status(t[0], OUTBOX_TRACK_RECEIVED, 0);
	in[1] = status(t[1], OUTBOX_TRACK_CANCELLED, T0);
	in[2] = status(t[2], OUTBOX_TRACK_DELIVERED, PUSH_AT_MAX);
	ck_assert_int_eq(push_encode(in, 3, &body, &len), 0);
	ck_assert_uint_eq(len, strlen(body));
	ck_assert_ptr_nonnull(strstr(body, "\"statuses\":["));
	ck_assert_ptr_nonnull(strstr(body, "\"status\":\"cancelled\""));
	ck_assert_int_eq(push_decode(body, len, out, PUSH_BATCH_MAX, &n,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_str_eq(out[i].token, in[i].token);
		ck_assert_int_eq(out[i].status, in[i].status);
		ck_assert_int_eq(out[i].updated_at, in[i].updated_at);
	}
	free(body);

	/* Nothing is an empty list. */
	ck_assert_int_eq(push_encode(NULL, 0, &body, &len), 0);
	ck_assert_str_eq(body, "{\"statuses\":[]}");
	ck_assert_int_eq(push_decode(body, len, out, PUSH_BATCH_MAX, &n,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 0);
	free(body);

	/* What intake would refuse is never encoded. */
	in[1].token[0] = (char)(in[1].token[0] == 'A' ? 'B' : 'A');
	ck_assert_int_eq(push_encode(in, 3, &body, &len), -1);
	ck_assert_ptr_null(body);
	in[1] = status(t[1], OUTBOX_TRACK_RECEIVED, -1);
	ck_assert_int_eq(push_encode(in, 3, &body, &len), -1);
	in[1] = status(t[1], (enum outbox_track)OUTBOX_TRACK_COUNT, 1);
	ck_assert_int_eq(push_encode(in, 3, &body, &len), -1);
	ck_assert_int_eq(push_encode(in, PUSH_BATCH_MAX + 1, &body, &len), -1);
}
END_TEST

/* A body of @n copies of one entry. */
static char *
many(size_t n, const char *tok)
{
	size_t cap = 32 + n * 100;
	char *b = malloc(cap);
	size_t off;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_ge(str_printf(b, cap, "{\"statuses\":["), 0);
	off = strlen(b);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_ge(str_printf(b + off, cap - off, "%s{\"token\":"
		    "\"%s\",\"status\":\"packed\",\"updated_at\":%zu}",
		    i > 0 ? "," : "", tok, i), 0);
		off += strlen(b + off);
	}
	ck_assert_int_ge(str_printf(b + off, cap - off, "]}"), 0);
	return b;
}

START_TEST(test_decode_refusals)
{
	struct outbox_status out[PUSH_BATCH_MAX];
	char tok[OUTBOX_TOKEN_LEN + 1], low[OUTBOX_TOKEN_LEN + 1];
	char typo[OUTBOX_TOKEN_LEN + 1], b[512];
	struct {
		const char *body;
		const char *why;
	} bad[] = {
		{ "", "body" },
		{ "not json", "body" },
		{ "[]", "body" },
		{ "{}", "body" },
		{ "{\"statuses\":{}}", "body" },
		{ "{\"statuses\":[],\"more\":1}", "body" },
		{ "{\"statuses\":[],\"statuses\":[]}", "body" },
		{ "{\"statuses\":[1]}", "statuses[0]" },
		{ "{\"statuses\":[{}]}", "statuses[0]" },
		{ "{\"statuses\":[null]}", "statuses[0]" },
	};
	size_t n = 7;
	char *big;

	new_token(tok);
	for (size_t i = 0; i < sizeof(tok); i++)
		low[i] = (char)(tok[i] >= 'A' && tok[i] <= 'Z' ?
		    tok[i] - 'A' + 'a' : tok[i]);
	ck_assert_str_ne(low, tok);
	memcpy(typo, tok, sizeof(tok));
	typo[OUTBOX_TOKEN_LEN - 1] = (char)(tok[OUTBOX_TOKEN_LEN - 1] == '0' ?
	    '1' : '0');
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		n = 7;
		ck_assert_msg(push_decode(bad[i].body, strlen(bad[i].body), out,
		    PUSH_BATCH_MAX, &n, errbuf, sizeof(errbuf)) == -1,
		    "accepted %s", bad[i].body);
		ck_assert_uint_eq(n, 0);
		ck_assert_msg(strstr(errbuf, bad[i].why) != NULL, "%s: %s",
		    bad[i].body, errbuf);
	}
	ck_assert_int_eq(push_decode(NULL, 0, out, PUSH_BATCH_MAX, &n, errbuf,
	    sizeof(errbuf)), -1);

	/* Field by field: the index and the field, never the value. */
	{
		struct {
			const char *tok, *status, *at, *field;
		} f[] = {
			{ low, "packed", "1", "statuses[0].token" },
			{ typo, "packed", "1", "statuses[0].token" },
			{ "ABC", "packed", "1", "statuses[0].token" },
			{ tok, "accepted", "1", "statuses[0].status" },
			{ tok, "PACKED", "1", "statuses[0].status" },
			{ tok, "packed", "-1", "statuses[0].updated_at" },
			{ tok, "packed", "1.5", "statuses[0].updated_at" },
			{ tok, "packed", "\"1\"", "statuses[0].updated_at" },
			{ tok, "packed", "1099511627777",
			  "statuses[0].updated_at" },
		};

		for (size_t i = 0; i < ARRAY_LEN(f); i++) {
			char e[256];

			ck_assert_int_ge(str_printf(e, sizeof(e), "{\"token\":"
			    "\"%s\",\"status\":\"%s\",\"updated_at\":%s}",
			    f[i].tok, f[i].status, f[i].at), 0);
			ck_assert_int_ge(str_printf(b, sizeof(b),
			    "{\"statuses\":[%s]}", e), 0);
			ck_assert_msg(push_decode(b, strlen(b), out,
			    PUSH_BATCH_MAX, &n, errbuf, sizeof(errbuf)) == -1,
			    "accepted %s", b);
			ck_assert_msg(strstr(errbuf, f[i].field) != NULL,
			    "%s: %s", b, errbuf);
			ck_assert_ptr_null(strstr(errbuf, tok));
			ck_assert_ptr_null(strstr(errbuf, low));
		}
	}
	/* The largest time, and a second entry at fault named as such. */
	ck_assert_int_ge(str_printf(b, sizeof(b), "{\"statuses\":[{\"token\":"
	    "\"%s\",\"status\":\"shipped\",\"updated_at\":1099511627776},"
	    "{\"token\":\"%s\",\"status\":\"packed\",\"updated_at\":1,"
	    "\"x\":1}]}", tok, tok), 0);
	ck_assert_int_eq(push_decode(b, strlen(b), out, PUSH_BATCH_MAX, &n,
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "statuses[1]"));
	/* A token with a NUL inside. */
	ck_assert_int_ge(str_printf(b, sizeof(b), "{\"statuses\":[{\"token\":"
	    "\"%.8s\\u0000%s\",\"status\":\"packed\",\"updated_at\":1}]}", tok,
	    tok + 9), 0);
	ck_assert_int_eq(push_decode(b, strlen(b), out, PUSH_BATCH_MAX, &n,
	    errbuf, sizeof(errbuf)), -1);

	/* PUSH_BATCH_MAX entries pass, one more does not, nor over @max. */
	big = many(PUSH_BATCH_MAX, tok);
	ck_assert_int_eq(push_decode(big, strlen(big), out, PUSH_BATCH_MAX,
	    &n, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, PUSH_BATCH_MAX);
	ck_assert_int_eq(push_decode(big, strlen(big), out, 10, &n, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "at most 10"));
	free(big);
	big = many(PUSH_BATCH_MAX + 1, tok);
	ck_assert_int_eq(push_decode(big, strlen(big), out, PUSH_BATCH_MAX,
	    &n, errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "at most 500"));
	free(big);
	/* Bytes: PUSH_BODY_MAX is read, one more is not. */
	big = malloc(PUSH_BODY_MAX + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', PUSH_BODY_MAX + 1);
	memcpy(big, "{\"statuses\":[]}", 15);
	big[PUSH_BODY_MAX + 1] = '\0';
	ck_assert_int_eq(push_decode(big, PUSH_BODY_MAX, out, PUSH_BATCH_MAX,
	    &n, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(push_decode(big, PUSH_BODY_MAX + 1, out,
	    PUSH_BATCH_MAX, &n, errbuf, sizeof(errbuf)), -1);
	free(big);
}
END_TEST

START_TEST(test_answers)
{
	struct outbox_mark m;
	struct push_answer a;
	char tok[OUTBOX_TOKEN_LEN + 1], buf[PUSH_ANSWER_MAX], b[512];
	int len;
	const char *bad[] = {
		"", "x", "[]", "{}", "{\"high_at\":0}",
		"{\"high_at\":0,\"high_token\":\"\",\"x\":1}",
		"{\"high_at\":-1,\"high_token\":\"\"}",
		"{\"high_at\":5,\"high_token\":\"\"}",
		"{\"high_at\":\"0\",\"high_token\":\"\"}",
		"{\"high_at\":0,\"high_token\":7}",
		"{\"high_at\":1,\"high_token\":\"ABCDEFGH\"}",
		"{\"high_at\":1099511627777,\"high_token\":\"\"}",
		"{\"high_at\":0,\"high_at\":0,\"high_token\":\"\"}",
	};

	new_token(tok);
	memset(&m, 0, sizeof(m));
	len = push_answer_encode(-1, &m, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	ck_assert_str_eq(buf, "{\"high_at\":0,\"high_token\":\"\"}");
	ck_assert_int_eq(push_answer_decode(buf, (size_t)len, false, &a,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(a.applied, -1);
	ck_assert_int_eq(a.mark.at, 0);
	ck_assert_str_eq(a.mark.token, "");
	/* With applied: only when asked for, and within a batch. */
	ck_assert_int_eq(push_answer_decode(buf, (size_t)len, true, &a,
	    errbuf, sizeof(errbuf)), -1);
	m.at = T0;
	ck_assert_int_eq(str_copy(m.token, sizeof(m.token), tok), 0);
	len = push_answer_encode(12, &m, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(push_answer_decode(buf, (size_t)len, true, &a,
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(a.applied, 12);
	ck_assert_int_eq(a.mark.at, T0);
	ck_assert_str_eq(a.mark.token, tok);
	ck_assert_int_eq(push_answer_decode(buf, (size_t)len, false, &a,
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_int_ge(str_printf(b, sizeof(b), "{\"applied\":501,"
	    "\"high_at\":1,\"high_token\":\"%s\"}", tok), 0);
	ck_assert_int_eq(push_answer_decode(b, strlen(b), true, &a, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_ge(str_printf(b, sizeof(b), "{\"applied\":-1,"
	    "\"high_at\":1,\"high_token\":\"%s\"}", tok), 0);
	ck_assert_int_eq(push_answer_decode(b, strlen(b), true, &a, errbuf,
	    sizeof(errbuf)), -1);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(push_answer_decode(bad[i], strlen(bad[i]), false,
		    &a, errbuf, sizeof(errbuf)) == -1, "accepted %s", bad[i]);
	/* Over PUSH_ANSWER_MAX bytes. */
	memset(b, ' ', sizeof(b));
	memcpy(b, "{\"high_at\":0,\"high_token\":\"\"}", 29);
	ck_assert_int_eq(push_answer_decode(b, PUSH_ANSWER_MAX + 1, false, &a,
	    errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(push_answer_decode(b, PUSH_ANSWER_MAX, false, &a,
	    errbuf, sizeof(errbuf)), 0);
	/* A malformed mark is never written; nor one that does not fit. */
	m.token[3] = 'u';
	ck_assert_int_eq(push_answer_encode(1, &m, buf, sizeof(buf)), -1);
	ck_assert_int_eq(str_copy(m.token, sizeof(m.token), tok), 0);
	ck_assert_int_eq(push_answer_encode(1, &m, buf, 20), -1);
	ck_assert_int_eq(push_answer_encode(1, NULL, buf, sizeof(buf)), -1);
}
END_TEST

/* ---- the tracking table ---- */

START_TEST(test_table_rules)
{
	char a[OUTBOX_TOKEN_LEN + 1], b[OUTBOX_TOKEN_LEN + 1];
	char c[OUTBOX_TOKEN_LEN + 1];
	struct outbox_status s[2];
	struct outbox_mark m;
	size_t applied = 99;

	new_token(a);
	new_token(b);
	new_token(c);
	ck_assert_int_eq(outbox_track_mark(ob, &m), 0);
	ck_assert_int_eq(m.at, 0);
	ck_assert_str_eq(m.token, "");
	ck_assert_int_eq(stored(ob, a), -1);

	/* New, then the same again: applied once. */
	s[0] = status(a, OUTBOX_TRACK_RECEIVED, T0 - 100);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, &m), 0);
	ck_assert_uint_eq(applied, 1);
	ck_assert_int_eq(m.at, T0 - 100);
	ck_assert_str_eq(m.token, a);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, &m), 0);
	ck_assert_uint_eq(applied, 0);
	ck_assert_int_eq(stored(ob, a), OUTBOX_TRACK_RECEIVED);

	/* Forward in the lifecycle; never back, whatever the times say. */
	s[0] = status(a, OUTBOX_TRACK_SHIPPED, T0 - 50);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, &m), 0);
	ck_assert_uint_eq(applied, 1);
	s[0] = status(a, OUTBOX_TRACK_PACKED, T0 - 60);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, &m), 0);
	ck_assert_uint_eq(applied, 0);
	s[0] = status(a, OUTBOX_TRACK_PACKED, T0);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, &m), 0);
	ck_assert_uint_eq(applied, 0);
	ck_assert_int_eq(stored(ob, a), OUTBOX_TRACK_SHIPPED);
	ck_assert_int_eq(m.at, T0);	/* the mark still moves on */
	/* The same status again with a newer time changes nothing. */
	s[0] = status(a, OUTBOX_TRACK_SHIPPED, T0 + 1);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, &m), 0);
	ck_assert_uint_eq(applied, 0);

	/* Later in the lifecycle wins even with an older time (clock back). */
	s[0] = status(b, OUTBOX_TRACK_RECEIVED, T0 - 40);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, NULL), 0);
	s[0] = status(b, OUTBOX_TRACK_CANCELLED, T0 - 4000);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, &m), 0);
	ck_assert_uint_eq(applied, 1);
	ck_assert_int_eq(stored(ob, b), OUTBOX_TRACK_CANCELLED);
	ck_assert_int_eq(m.at, T0 + 1);	/* never down */
	ck_assert_str_eq(m.token, a);
	/* Between final ones: only a different one, at least as recent. */
	s[0] = status(b, OUTBOX_TRACK_RETURNED, T0 - 4001);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, NULL), 0);
	ck_assert_uint_eq(applied, 0);
	s[0] = status(b, OUTBOX_TRACK_RETURNED, T0 - 4000);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, NULL), 0);
	ck_assert_uint_eq(applied, 1);
	s[0] = status(b, OUTBOX_TRACK_DELIVERED, T0 - 3000);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, NULL), 0);
	ck_assert_uint_eq(applied, 1);
	ck_assert_int_eq(stored(ob, b), OUTBOX_TRACK_DELIVERED);
	s[0] = status(b, OUTBOX_TRACK_SHIPPED, T0 + 100);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, NULL), 0);
	ck_assert_uint_eq(applied, 0);

	/* All or nothing: a bad second entry stores neither. */
	s[0] = status(c, OUTBOX_TRACK_PACKED, T0 + 2);
	s[1] = status(a, OUTBOX_TRACK_RETURNED, T0);
	s[1].token[0] = (char)(s[1].token[0] == 'A' ? 'B' : 'A');
	ck_assert_int_eq(outbox_track_apply(ob, s, 2, &applied, &m), -1);
	ck_assert_ptr_nonnull(strstr(outbox_errmsg(ob), "status 1"));
	ck_assert_int_eq(stored(ob, c), -1);
	s[1] = status(a, (enum outbox_track)OUTBOX_TRACK_COUNT, T0);
	ck_assert_int_eq(outbox_track_apply(ob, s, 2, &applied, &m), -1);
	s[1] = status(a, OUTBOX_TRACK_RETURNED, -5);
	ck_assert_int_eq(outbox_track_apply(ob, s, 2, &applied, &m), -1);
	ck_assert_int_eq(stored(ob, c), -1);
	ck_assert_int_eq(outbox_track_mark(ob, &m), 0);
	ck_assert_int_eq(m.at, T0 + 100);	/* an ignored push counts */
	ck_assert_str_eq(m.token, b);
	ck_assert_int_eq(outbox_track_apply(ob, s, OUTBOX_TRACK_BATCH_MAX + 1,
	    &applied, &m), -1);

	/* Two at once; the mark stays the greatest pair ever pushed. */
	s[1] = status(a, OUTBOX_TRACK_RETURNED, T0 - 10);
	ck_assert_int_eq(outbox_track_apply(ob, s, 2, &applied, &m), 0);
	ck_assert_uint_eq(applied, 2);
	ck_assert_int_eq(m.at, T0 + 100);
	ck_assert_str_eq(m.token, b);
	s[0] = status(c, OUTBOX_TRACK_SHIPPED, T0 + 100);
	s[1] = status(a, OUTBOX_TRACK_RETURNED, T0 + 101);
	ck_assert_int_eq(outbox_track_apply(ob, s, 2, &applied, &m), 0);
	ck_assert_uint_eq(applied, 1);
	ck_assert_int_eq(m.at, T0 + 101);
	ck_assert_str_eq(m.token, a);
	ck_assert_int_eq(intake_int(ob, "SELECT count(*) FROM tracking"), 3);

	/* Lookups: a string that is no canonical token is simply unknown. */
	{
		struct outbox_status got;

		ck_assert_int_eq(outbox_track_get(ob, "nope", &got), 0);
		ck_assert_int_eq(outbox_track_get(ob, NULL, &got), 0);
		ck_assert_int_eq(outbox_track_get(ob, c, &got), 1);
		ck_assert_str_eq(got.token, c);
		ck_assert_int_eq(got.status, OUTBOX_TRACK_SHIPPED);
		ck_assert_int_eq(got.updated_at, T0 + 100);
	}
}
END_TEST

START_TEST(test_table_web_and_prune)
{
	static const uint8_t blob[] = { 1, 2, 3, 4 };
	char tok[OUTBOX_TOKEN_LEN + 1], low[OUTBOX_TOKEN_LEN + 8];
	char old[OUTBOX_TOKEN_LEN + 1];
	struct outbox_item it[3];
	struct outbox_status s[2];
	size_t applied = 0;

	new_token(tok);
	new_token(old);
	/* As a person types it: lower case, dashes.  Stored canonical. */
	for (size_t i = 0, k = 0; i < OUTBOX_TOKEN_LEN; i++) {
		if (i == 4 || i == 8)
			low[k++] = '-';
		low[k++] = (char)(tok[i] >= 'A' && tok[i] <= 'Z' ?
		    tok[i] - 'A' + 'a' : tok[i]);
		low[k] = '\0';
	}
	memset(it, 0, sizeof(it));
	it[0].channel = ORDER_CHANNEL_WEB;
	it[0].centre = "demo";
	it[0].idem = "form-1";
	it[0].ref = "REF1";
	it[0].token = low;
	it[0].blob = blob;
	it[0].len = sizeof(blob);
	it[1] = it[0];		/* the same form twice: a duplicate */
	it[2] = it[0];		/* an SMS-like row: no tracking token */
	it[2].idem = "kannel-1";
	it[2].token = "TOK1";
	set_now(T0 + 3600);	/* intake's clock ahead of the console's */
	ck_assert_int_eq(outbox_put_many(ob, it, 3), 0);
	ck_assert_int_eq(it[0].rc, 0);
	ck_assert(it[1].duplicate);
	ck_assert_int_eq(it[2].rc, 0);
	ck_assert_int_eq(stored(ob, tok), OUTBOX_TRACK_RECEIVED);
	ck_assert_int_eq(intake_int(ob, "SELECT count(*) FROM tracking"), 1);
	ck_assert_int_eq(intake_int(ob, "SELECT pushed FROM tracking"), 0);
	ck_assert_int_eq(intake_int(ob, "SELECT updated_at FROM tracking"),
	    T0 + 3600);
	/* No mark: intake's own rows say nothing of the console's pushes. */
	{
		struct outbox_mark m;

		ck_assert_int_eq(outbox_track_mark(ob, &m), 0);
		ck_assert_int_eq(m.at, 0);
	}

	/* The console's first push wins although its clock is behind. */
	s[0] = status(tok, OUTBOX_TRACK_PACKED, T0);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, NULL), 0);
	ck_assert_uint_eq(applied, 1);
	ck_assert_int_eq(stored(ob, tok), OUTBOX_TRACK_PACKED);
	ck_assert_int_eq(intake_int(ob, "SELECT pushed FROM tracking"), 1);
	ck_assert_int_eq(outbox_track_apply(ob, s, 1, &applied, NULL), 0);
	ck_assert_uint_eq(applied, 0);
	/* A late duplicate of the form does not bring "received" back. */
	it[1].idem = "form-1";
	ck_assert_int_eq(outbox_put_many(ob, &it[1], 1), 0);
	ck_assert(it[1].duplicate);
	ck_assert_int_eq(stored(ob, tok), OUTBOX_TRACK_PACKED);

	/* Rows unchanged for OUTBOX_TRACK_KEEP go at the next push. */
	s[0] = status(old, OUTBOX_TRACK_DELIVERED,
	    T0 + 3600 - OUTBOX_TRACK_KEEP);
	s[1] = status(tok, OUTBOX_TRACK_SHIPPED, T0 + 10);
	ck_assert_int_eq(outbox_track_apply(ob, s, 2, &applied, NULL), 0);
	ck_assert_int_eq(stored(ob, old), OUTBOX_TRACK_DELIVERED);
	set_now(T0 + 3601);
	ck_assert_int_eq(outbox_track_apply(ob, NULL, 0, &applied, NULL), 0);
	ck_assert_uint_eq(applied, 0);
	ck_assert_int_eq(stored(ob, old), -1);
	ck_assert_int_eq(stored(ob, tok), OUTBOX_TRACK_SHIPPED);
}
END_TEST

/* ---- centre.db ---- */

static void
make_order(struct order *o)
{
	memset(o, 0, sizeof(*o));
	ck_assert_int_eq(str_copy(o->pseudonym, sizeof(o->pseudonym),
	    "Camille"), 0);
	ck_assert_int_eq(str_copy(o->lines[0], sizeof(o->lines[0]),
	    "12 rue des Lilas"), 0);
	o->nlines = 1;
	ck_assert_int_eq(str_copy(o->postcode, sizeof(o->postcode), "12100"),
	    0);
	ck_assert_int_eq(address_postcode_check("12100", o->dept, NULL), 0);
	ck_assert_int_eq(str_copy(o->commune, sizeof(o->commune), "Millau"),
	    0);
	ck_assert_int_eq(str_copy(o->lang, sizeof(o->lang), "fr"), 0);
	o->for_people = 1;
	o->channel = ORDER_CHANNEL_PHONE;
	ck_assert_int_eq(str_copy(o->packs[0].pack, sizeof(o->packs[0].pack),
	    "NALOX"), 0);
	o->packs[0].qty = 1;
	o->npacks = 1;
}

struct placed {
	char ref[STORE_REF_MAX];
	char token[STORE_TOKEN_MAX];
};

/* An accepted order of centre @c at the clock's time. */
static void
add_order(int64_t c, struct placed *p)
{
	struct order o;

	make_order(&o);
	ck_assert_msg(store_order_add(st, key, c, &o, ORDER_ACCEPTED, NULL, 0,
	    0, ACTOR, p->ref, p->token) == STORE_OK, "%s", store_errmsg(st));
	order_clear(&o);
}

static void
move(const struct placed *p, enum order_status to)
{
	ck_assert_msg(store_order_transition(st, p->ref, to, ACTOR) ==
	    STORE_OK, "%s", store_errmsg(st));
}

START_TEST(test_collect)
{
	struct placed p[5];
	struct outbox_status out[PUSH_BATCH_MAX];
	struct outbox_mark from, last;
	int64_t other;
	size_t n = 0;

	ck_assert_int_eq(store_centre_add(st, "other", "Other", ACTOR,
	    &other), STORE_OK);
	for (int i = 0; i < 4; i++) {
		set_now(T0 + i * 10);
		add_order(centre, &p[i]);
	}
	set_now(T0 + 15);
	add_order(other, &p[4]);
	set_now(T0 + 40);
	move(&p[0], ORDER_PACKED);	/* p1 p2 p3 p0 by updated_at */
	set_now(T0 + 41);
	move(&p[1], ORDER_CANCELLED);

	memset(&from, 0, sizeof(from));
	ck_assert_int_eq(push_collect(st, centre, PUSH_AFTER, &from, 0, out,
	    PUSH_BATCH_MAX, &n, &last, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 4);	/* not the other centre's */
	ck_assert_str_eq(out[0].token, p[2].token);
	ck_assert_int_eq(out[0].status, OUTBOX_TRACK_RECEIVED);
	ck_assert_int_eq(out[0].updated_at, T0 + 20);
	ck_assert_str_eq(out[1].token, p[3].token);
	ck_assert_str_eq(out[2].token, p[0].token);
	ck_assert_int_eq(out[2].status, OUTBOX_TRACK_PACKED);
	ck_assert_str_eq(out[3].token, p[1].token);
	ck_assert_int_eq(out[3].status, OUTBOX_TRACK_CANCELLED);
	ck_assert_int_eq(last.at, T0 + 41);
	ck_assert_str_eq(last.token, p[1].token);

	/* In pages of two, from where the last one ended. */
	ck_assert_int_eq(push_collect(st, centre, PUSH_AFTER, &from, 0, out,
	    2, &n, &last, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[1].token, p[3].token);
	from = last;
	ck_assert_int_eq(push_collect(st, centre, PUSH_AFTER, &from, 0, out,
	    2, &n, &last, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0].token, p[0].token);
	from = last;
	ck_assert_int_eq(push_collect(st, centre, PUSH_AFTER, &from, 0, out,
	    2, &n, &last, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(last.at, from.at);
	ck_assert_str_eq(last.token, from.token);

	/* Back from a mark, newest first, down to a floor. */
	from.at = T0 + 40;
	ck_assert_int_eq(str_copy(from.token, sizeof(from.token), p[0].token),
	    0);
	ck_assert_int_eq(push_collect(st, centre, PUSH_UPTO, &from, T0 + 30,
	    out, PUSH_BATCH_MAX, &n, NULL, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0].token, p[0].token);
	ck_assert_str_eq(out[1].token, p[3].token);
	ck_assert_int_eq(push_collect(st, centre, PUSH_UPTO, &from, T0,
	    out, 1, &n, NULL, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 1);

	/* A token that is not canonical is skipped, and still passed. */
	ck_assert_int_eq(sqlite3_exec(store_db(st), "UPDATE orders SET token "
	    "= lower(token) WHERE updated_at = 1772798420", NULL, NULL, NULL),
	    SQLITE_OK);
	memset(&from, 0, sizeof(from));
	ck_assert_int_eq(push_collect(st, centre, PUSH_AFTER, &from, 0, out,
	    1, &n, &last, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(last.at, T0 + 20);
	from = last;
	ck_assert_int_eq(push_collect(st, centre, PUSH_AFTER, &from, 0, out,
	    1, &n, &last, errbuf, sizeof(errbuf)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0].token, p[3].token);

	ck_assert_int_eq(push_collect(st, centre, PUSH_AFTER, &from, 0, out,
	    0, &n, &last, errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(push_collect(st, centre, PUSH_AFTER, &from, 0, out,
	    PUSH_BATCH_MAX + 1, &n, &last, errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(push_collect(NULL, centre, PUSH_AFTER, &from, 0, out,
	    1, &n, &last, errbuf, sizeof(errbuf)), -1);
}
END_TEST

/* ---- whole rounds against an in-memory intake ---- */

struct fake {
	struct outbox *ob;
	char answer[PUSH_ANSWER_MAX];
	int requests;
	int posts;
	size_t sizes[64];	/* entries of each POST */
	int fail_at;		/* request number that fails (0: none) */
	int garble_at;		/* request number answered garbage */
	int stop_after;		/* requests after which stop says yes */
};

static int
fake_request(void *arg, const char *path, const char *body,
    const char **answer, size_t *len, char *eb, size_t esz)
{
	struct fake *f = arg;
	struct outbox_status *sts;
	struct outbox_mark m;
	size_t n = 0, applied = 0;
	int k;

	f->requests++;
	if (f->requests == f->fail_at) {
		errbuf_set(eb, esz, "cannot reach the intake node");
		return -1;
	}
	if (f->requests == f->garble_at) {
		ck_assert_int_eq(str_copy(f->answer, sizeof(f->answer),
		    "{\"high_at\":\"soon\"}"), 0);
		*answer = f->answer;
		*len = strlen(f->answer);
		return 0;
	}
	if (body == NULL) {
		ck_assert_str_eq(path, "/status/high");
		ck_assert_int_eq(outbox_track_mark(f->ob, &m), 0);
		k = push_answer_encode(-1, &m, f->answer, sizeof(f->answer));
	} else {
		ck_assert_str_eq(path, "/status");
		sts = calloc(PUSH_BATCH_MAX, sizeof(*sts));
		ck_assert_ptr_nonnull(sts);
		ck_assert_int_eq(push_decode(body, strlen(body), sts,
		    PUSH_BATCH_MAX, &n, eb, esz), 0);
		ck_assert_msg(outbox_track_apply(f->ob, sts, n, &applied, &m) ==
		    0, "%s", outbox_errmsg(f->ob));
		free(sts);
		if ((size_t)f->posts < ARRAY_LEN(f->sizes))
			f->sizes[f->posts] = n;
		f->posts++;
		k = push_answer_encode((int64_t)applied, &m, f->answer,
		    sizeof(f->answer));
	}
	ck_assert_int_gt(k, 0);
	*answer = f->answer;
	*len = (size_t)k;
	return 0;
}

static int
fake_stop(void *arg)
{
	const struct fake *f = arg;

	return f->stop_after > 0 && f->requests >= f->stop_after;
}

static int
round_with(struct fake *f, size_t batch, struct push_stats *ps)
{
	struct push_io io;

	memset(&io, 0, sizeof(io));
	io.request = fake_request;
	io.stop = fake_stop;
	io.arg = f;
	io.batch = batch;
	f->requests = f->posts = 0;
	return push_run(&io, st, centre, ps, errbuf, sizeof(errbuf));
}

static void
fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->ob = ob;
}

START_TEST(test_rounds)
{
	struct placed p[7];
	struct push_stats ps;
	struct fake f;

	fake_init(&f);
	/* Nothing at all: one question, no POST. */
	ck_assert_int_eq(round_with(&f, 3, &ps), 0);
	ck_assert_int_eq(ps.requests, 1);
	ck_assert_int_eq(ps.sent, 0);

	for (int i = 0; i < 7; i++) {
		set_now(T0 + i);
		add_order(centre, &p[i]);
	}
	set_now(T0 + 100);
	ck_assert_msg(round_with(&f, 3, &ps) == 0, "%s", errbuf);
	ck_assert_int_eq(ps.sent, 7);
	ck_assert_int_eq(ps.applied, 7);
	ck_assert_int_eq(f.posts, 3);
	ck_assert_uint_eq(f.sizes[0], 3);
	ck_assert_uint_eq(f.sizes[1], 3);
	ck_assert_uint_eq(f.sizes[2], 1);
	ck_assert_int_eq(ps.requests, 4);
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(stored(ob, p[i].token), OUTBOX_TRACK_RECEIVED);

	/* Again: the overlap is sent again and changes nothing. */
	ck_assert_int_eq(round_with(&f, 3, &ps), 0);
	ck_assert_int_eq(ps.applied, 0);
	ck_assert_int_eq(f.posts, 1);
	ck_assert_uint_eq(f.sizes[0], 3);
	ck_assert_int_eq(intake_int(ob, "SELECT count(*) FROM tracking"), 7);

	/* The mark's second, after the mark was pushed: not missed. */
	set_now(T0 + 6);
	move(&p[6], ORDER_PACKED);
	move(&p[5], ORDER_CANCELLED);
	ck_assert_int_eq(round_with(&f, 3, &ps), 0);
	ck_assert_int_eq(ps.applied, 2);
	ck_assert_int_eq(stored(ob, p[6].token), OUTBOX_TRACK_PACKED);
	ck_assert_int_eq(stored(ob, p[5].token), OUTBOX_TRACK_CANCELLED);

	/* Later changes go forward, in one batch of the default size. */
	set_now(T0 + 200);
	move(&p[6], ORDER_SHIPPED);
	move(&p[0], ORDER_PACKED);
	ck_assert_int_eq(round_with(&f, 0, &ps), 0);
	ck_assert_int_eq(ps.applied, 2);
	ck_assert_int_eq(stored(ob, p[6].token), OUTBOX_TRACK_SHIPPED);
	ck_assert_int_eq(stored(ob, p[0].token), OUTBOX_TRACK_PACKED);
	set_now(T0 + 300);
	move(&p[6], ORDER_DELIVERED);
	ck_assert_int_eq(round_with(&f, 0, &ps), 0);
	ck_assert_int_eq(stored(ob, p[6].token), OUTBOX_TRACK_DELIVERED);
	/* Twice the same state: nothing applied, nothing doubled. */
	ck_assert_int_eq(round_with(&f, 0, &ps), 0);
	ck_assert_int_eq(ps.applied, 0);
	ck_assert_int_eq(intake_int(ob, "SELECT count(*) FROM tracking"), 7);
	ck_assert_int_eq(intake_int(ob, "SELECT count(*) FROM tracking_mark"),
	    1);
}
END_TEST

START_TEST(test_rounds_fail_and_recover)
{
	struct placed p[5];
	struct push_stats ps;
	struct fake f;

	fake_init(&f);
	for (int i = 0; i < 5; i++) {
		set_now(T0 + i);
		add_order(centre, &p[i]);
	}
	set_now(T0 + 100);
	/* The question fails: nothing sent. */
	f.fail_at = 1;
	ck_assert_int_eq(round_with(&f, 2, &ps), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "cannot reach"));
	ck_assert_int_eq(ps.sent, 0);
	/* A garbled answer to the question. */
	f.fail_at = 0;
	f.garble_at = 1;
	ck_assert_int_eq(round_with(&f, 2, &ps), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "GET /status/high"));
	/* The second POST fails: the first batch is in. */
	f.garble_at = 0;
	f.fail_at = 3;
	ck_assert_int_eq(round_with(&f, 2, &ps), -1);
	ck_assert_int_eq(ps.sent, 2);
	ck_assert_int_eq(intake_int(ob, "SELECT count(*) FROM tracking"), 2);
	/* A garbled answer to a POST. */
	f.fail_at = 0;
	f.garble_at = 2;
	ck_assert_int_eq(round_with(&f, 2, &ps), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "POST /status"));
	/* Told to stop after the first POST: not a failure, stops there. */
	f.garble_at = 0;
	f.stop_after = 2;
	ck_assert_int_eq(round_with(&f, 2, &ps), 0);
	ck_assert_int_eq(f.posts, 1);
	/* The next round finishes the job. */
	f.stop_after = 0;
	ck_assert_int_eq(round_with(&f, 2, &ps), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(stored(ob, p[i].token), OUTBOX_TRACK_RECEIVED);
	ck_assert_int_eq(intake_int(ob, "SELECT count(*) FROM tracking"), 5);

	ck_assert_int_eq(push_run(NULL, st, centre, &ps, errbuf,
	    sizeof(errbuf)), -1);
}
END_TEST

START_TEST(test_clock_back_and_lost_intake)
{
	struct placed p[3];
	struct push_stats ps;
	struct fake f;
	struct outbox *fresh;

	fake_init(&f);
	set_now(T0 + 5000);
	add_order(centre, &p[0]);
	ck_assert_int_eq(round_with(&f, 0, &ps), 0);
	ck_assert_int_eq(ps.applied, 1);

	/* The clock set back an hour: what changes now still goes out. */
	set_now(T0 + 1400);
	add_order(centre, &p[1]);
	move(&p[0], ORDER_CANCELLED);
	ck_assert_int_eq(round_with(&f, 0, &ps), 0);
	ck_assert_int_eq(stored(ob, p[1].token), OUTBOX_TRACK_RECEIVED);
	ck_assert_int_eq(stored(ob, p[0].token), OUTBOX_TRACK_CANCELLED);
	set_now(T0 + 1500);
	add_order(centre, &p[2]);
	ck_assert_int_eq(round_with(&f, 0, &ps), 0);
	ck_assert_int_eq(stored(ob, p[2].token), OUTBOX_TRACK_RECEIVED);

	/* A new, empty intake.db is given everything again. */
	fresh = open_intake("intake2.db");
	f.ob = fresh;
	ck_assert_int_eq(round_with(&f, 0, &ps), 0);
	ck_assert_int_eq(ps.applied, 3);
	ck_assert_int_eq(stored(fresh, p[0].token), OUTBOX_TRACK_CANCELLED);
	ck_assert_int_eq(stored(fresh, p[1].token), OUTBOX_TRACK_RECEIVED);
	ck_assert_int_eq(stored(fresh, p[2].token), OUTBOX_TRACK_RECEIVED);
	outbox_close(fresh);
}
END_TEST

static Suite *
push_suite(void)
{
	Suite *s = suite_create("push");
	TCase *tc = tcase_create("push");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_track_of);
	tcase_add_test(tc, test_encode_decode);
	tcase_add_test(tc, test_decode_refusals);
	tcase_add_test(tc, test_answers);
	tcase_add_test(tc, test_table_rules);
	tcase_add_test(tc, test_table_web_and_prune);
	tcase_add_test(tc, test_collect);
	tcase_add_test(tc, test_rounds);
	tcase_add_test(tc, test_rounds_fail_and_recover);
	tcase_add_test(tc, test_clock_back_and_lost_intake);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(push_suite)
