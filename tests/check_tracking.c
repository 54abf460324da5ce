/*
 * Check suite for shipping/tracking.c: tracking numbers at and past their
 * limits; the event code table (DI1 delivered, DI2 and RE1 returned, the
 * rest in transit, isFinal never deciding); every fixture of
 * tests/fixtures/laposte/ through the parser (200 object and array, 207,
 * 400, 401, 404/104, 404/105, 429, malformed JSON, wrong types, missing
 * fields, a number not asked, answered twice, huge bodies), labels cleaned
 * of control characters and cut at a character boundary, messages that
 * never repeat La Poste's text or the input; Retry-After; the libcurl
 * client against a libmicrohttpd server on a loopback port (headers, URL,
 * lang, ids refused before any request, plain http refused but to
 * loopback, timeout, oversized body, redirect not followed, Retry-After,
 * connection refused); and the store side: shipped parcels listed, moves
 * to delivered and returned with their audit entries and only from
 * shipped, the newest event kept when the columns exist, and whole rounds
 * (batches of 10, 400 about one number, 429 back-off, 401, server down).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "base/util.h"
#include "crypto/key.h"
#include "orders/audit.h"
#include "orders/order.h"
#include "orders/store.h"
#include "shipping/address.h"
#include "shipping/tracking.h"
#include "tests/testutil.h"

#define KEY "test-okapi-key-0123456789"
#define ID_DI1 "6A18395701001"
#define ID_DI2 "6A18395701002"
#define ID_RE1 "6A18395701003"
#define ID_ET2 "6A18395701004"
#define ID_MD2 "6A18395701005"
#define ID_AG1 "6A18395701006"
#define ID_ND1 "6A18395701007"
#define ID_ZZ9 "6A18395701008"
#define ID_104 "6A18395701009"
#define ID_105 "6A18395701010"
#define ID_400 "6A18395701011"
#define ID_DO1 "CB662173705US"
#define BIG (TRACKING_BODY_MAX + 4096)
#define SRV_BODY_MAX (2 * 1024 * 1024)

/* ---- fixtures ---- */

static char *
fixture(const char *name, size_t *len)
{
	char rel[256];
	char *buf;

	ck_assert_int_ge(str_printf(rel, sizeof(rel), "../fixtures/laposte/%s",
	    name), 0);
	buf = testutil_slurp(testutil_data(rel), len);
	ck_assert_msg(buf != NULL, "fixture %s missing", name);
	return buf;
}

/* Parse fixture @name as an answer of @status to the NULL-ended ids. */
static enum tracking_status
parse_fixture(const char *name, long status, struct tracking_answer *ans,
    ...)
{
	const char *ids[TRACKING_BATCH_MAX + 2];
	size_t n = 0, len;
	enum tracking_status ts;
	va_list ap;
	char *body = fixture(name, &len);

	va_start(ap, ans);
	for (;;) {
		const char *id = va_arg(ap, const char *);

		if (id == NULL)
			break;
		ck_assert_uint_lt(n, ARRAY_LEN(ids));
		ids[n++] = id;
	}
	va_end(ap);
	ts = tracking_parse(status, body, len, ids, n, ans);
	free(body);
	return ts;
}

static time_t
iso(const char *s)
{
	time_t t;

	ck_assert_int_eq(clock_parse(s, &t), 0);
	return t;
}

/* ---- numbers and codes ---- */

START_TEST(test_id_limits)
{
	char out[TRACKING_ID_BYTES];

	ck_assert_int_eq(tracking_id_check("6A1839570", out), -1);
	ck_assert_int_eq(tracking_id_check("6A183957010", out), 0);	/* 11 */
	ck_assert_str_eq(out, "6A183957010");
	ck_assert_int_eq(tracking_id_check("6A1839570100", out), 0);
	ck_assert_int_eq(tracking_id_check("6a18395701001ab", out), 0); /* 15 */
	ck_assert_str_eq(out, "6A18395701001AB");
	ck_assert_int_eq(tracking_id_check("6A18395701001ABC", out), -1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(tracking_id_check("6A1839570100", out), 0);
	ck_assert_int_eq(tracking_id_check("6A18395 01001", out), -1);
	ck_assert_int_eq(tracking_id_check(" 6A18395701001", out), -1);
	ck_assert_int_eq(tracking_id_check("6A18395701001\n", out), -1);
	ck_assert_int_eq(tracking_id_check("../../../etc/x", out), -1);
	ck_assert_int_eq(tracking_id_check("6A1839570100,1", out), -1);
	ck_assert_int_eq(tracking_id_check("6A18395701%00", out), -1);
	ck_assert_int_eq(tracking_id_check("6A18395701\xc3\xa9", out), -1);
	ck_assert_int_eq(tracking_id_check("", out), -1);
	ck_assert_int_eq(tracking_id_check(NULL, out), -1);
}
END_TEST

START_TEST(test_codes)
{
	static const char *const transit[] = {
		"DR1", "PC1", "PC2", "ET1", "ET2", "ET3", "ET4", "EP1", "DO1",
		"DO2", "DO3", "PB1", "PB2", "MD2", "ND1", "AG1",
	};

	ck_assert_int_eq(tracking_code_state("DI1"), TRACKING_DELIVERED);
	ck_assert_int_eq(tracking_code_state("DI2"), TRACKING_RETURNED);
	ck_assert_int_eq(tracking_code_state("RE1"), TRACKING_RETURNED);
	for (size_t i = 0; i < ARRAY_LEN(transit); i++) {
		ck_assert_int_eq(tracking_code_state(transit[i]),
		    TRACKING_TRANSIT);
		ck_assert(tracking_code_known(transit[i]));
	}
	ck_assert_int_eq(tracking_code_state("DI3"), TRACKING_UNKNOWN);
	ck_assert_int_eq(tracking_code_state("di1"), TRACKING_UNKNOWN);
	ck_assert_int_eq(tracking_code_state(""), TRACKING_UNKNOWN);
	ck_assert_int_eq(tracking_code_state(NULL), TRACKING_UNKNOWN);
	ck_assert(!tracking_code_known("ZZ9"));
	ck_assert_str_eq(tracking_state_name(TRACKING_LATER), "later");
	ck_assert_str_eq(tracking_action_name(TRACKING_ACT_UNCHANGED),
	    "unchanged");
}
END_TEST

/* ---- the parser, fixture by fixture ---- */

START_TEST(test_parse_delivered)
{
	struct tracking_answer a;
	struct tracking_result *r = &a.results[0];

	ck_assert_int_eq(parse_fixture("200-delivered-DI1.json", 200, &a,
	    ID_DI1, NULL), TRACKING_OK);
	ck_assert_uint_eq(a.nresults, 1);
	ck_assert_str_eq(r->id, ID_DI1);
	ck_assert_int_eq(r->state, TRACKING_DELIVERED);
	ck_assert_int_eq(r->return_code, 200);
	ck_assert(r->is_final);
	ck_assert_str_eq(r->code, "DI1");
	ck_assert_str_eq(r->label, "Votre colis est livr\xc3\xa9.");
	ck_assert_int_eq(r->date, iso("2026-03-04T10:42:00Z"));
	ck_assert_uint_eq(r->nunknown, 0);
	ck_assert_str_eq(r->reason, "");
}
END_TEST

START_TEST(test_parse_returned)
{
	struct tracking_answer a;

	/* DI2: isFinal as for DI1, yet the parcel came back. */
	ck_assert_int_eq(parse_fixture("200-returned-DI2.json", 200, &a,
	    ID_DI2, NULL), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_RETURNED);
	ck_assert(a.results[0].is_final);
	ck_assert_str_eq(a.results[0].code, "DI2");
	ck_assert_int_eq(a.results[0].date, iso("2026-03-05T14:20:00Z"));

	ck_assert_int_eq(parse_fixture("200-returned-RE1.json", 200, &a,
	    ID_RE1, NULL), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_RETURNED);
	ck_assert(!a.results[0].is_final);
	ck_assert_str_eq(a.results[0].code, "RE1");
}
END_TEST

START_TEST(test_parse_transit)
{
	static const struct {
		const char *file, *id, *code;
		bool final;
	} cases[] = {
		{ "200-transit-ET2.json", ID_ET2, "ET2", false },
		{ "200-transit-MD2.json", ID_MD2, "MD2", false },
		{ "200-transit-AG1.json", ID_AG1, "AG1", false },
		/* isFinal true on an undeliverable parcel: still in transit. */
		{ "200-transit-ND1-isFinal.json", ID_ND1, "ND1", true },
		{ "200-transit-DO1-customs.json", ID_DO1, "DO1", false },
	};
	struct tracking_answer a;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		ck_assert_int_eq(parse_fixture(cases[i].file, 200, &a,
		    cases[i].id, NULL), TRACKING_OK);
		ck_assert_int_eq(a.results[0].state, TRACKING_TRANSIT);
		ck_assert_str_eq(a.results[0].code, cases[i].code);
		ck_assert_int_eq(a.results[0].is_final, cases[i].final);
		ck_assert_int_ne(a.results[0].date, 0);
		ck_assert_uint_eq(a.results[0].nunknown, 0);
	}
}
END_TEST

START_TEST(test_parse_unknown_code)
{
	struct tracking_answer a;

	ck_assert_int_eq(parse_fixture("200-unknown-code.json", 200, &a,
	    ID_ZZ9, NULL), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_UNKNOWN);
	ck_assert_str_eq(a.results[0].code, "ZZ9");
	ck_assert_uint_eq(a.results[0].nunknown, 1);
	ck_assert_str_eq(a.results[0].unknown[0], "ZZ9");
}
END_TEST

START_TEST(test_parse_array_and_order)
{
	struct tracking_answer a;

	/* Asked in the other order than answered: results follow the ask. */
	ck_assert_int_eq(parse_fixture("200-array.json", 200, &a, ID_MD2,
	    ID_DI1, NULL), TRACKING_OK);
	ck_assert_uint_eq(a.nresults, 2);
	ck_assert_str_eq(a.results[0].id, ID_MD2);
	ck_assert_int_eq(a.results[0].state, TRACKING_TRANSIT);
	ck_assert_str_eq(a.results[1].id, ID_DI1);
	ck_assert_int_eq(a.results[1].state, TRACKING_DELIVERED);

	/* A number nobody answered: later, return code 0. */
	ck_assert_int_eq(parse_fixture("200-delivered-DI1.json", 200, &a,
	    ID_DI1, ID_ET2, NULL), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_DELIVERED);
	ck_assert_int_eq(a.results[1].state, TRACKING_LATER);
	ck_assert_int_eq(a.results[1].return_code, 0);
	ck_assert_str_eq(a.results[1].reason, "no answer for this number");
}
END_TEST

START_TEST(test_parse_207)
{
	struct tracking_answer a;

	ck_assert_int_eq(parse_fixture("207-mixed.json", 207, &a, ID_DI1,
	    ID_104, ID_105, ID_RE1, NULL), TRACKING_OK);
	ck_assert_uint_eq(a.nresults, 4);
	ck_assert_int_eq(a.results[0].state, TRACKING_DELIVERED);
	ck_assert_int_eq(a.results[1].state, TRACKING_LATER);
	ck_assert_int_eq(a.results[1].return_code, 104);
	ck_assert_int_eq(a.results[2].state, TRACKING_ERROR);
	ck_assert_int_eq(a.results[2].return_code, 105);
	ck_assert_int_eq(a.results[3].state, TRACKING_RETURNED);
	/* La Poste's own sentences are never repeated. */
	ck_assert_ptr_null(strstr(a.results[1].reason, "disponible"));
	ck_assert_ptr_nonnull(strstr(a.results[1].reason, "104"));
}
END_TEST

START_TEST(test_parse_errors_per_number)
{
	struct tracking_answer a;

	ck_assert_int_eq(parse_fixture("404-104-not-yet.json", 404, &a,
	    ID_104, NULL), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_LATER);
	ck_assert_int_eq(a.results[0].return_code, 104);

	ck_assert_int_eq(parse_fixture("404-105-unknown.json", 404, &a,
	    ID_105, NULL), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_ERROR);
	ck_assert_ptr_null(strstr(a.results[0].reason, "trouv"));

	ck_assert_int_eq(parse_fixture("400-invalid.json", 400, &a, ID_400,
	    NULL), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_ERROR);
	ck_assert_int_eq(a.results[0].return_code, 400);

	/* A 400 about one number of two: that one refused, the other not
	 * answered (the round asks it again). */
	ck_assert_int_eq(parse_fixture("400-invalid.json", 400, &a, ID_DI1,
	    ID_400, NULL), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_LATER);
	ck_assert_int_eq(a.results[0].return_code, 0);
	ck_assert_int_eq(a.results[1].state, TRACKING_ERROR);

	/* A 404 without idShip concerns every asked number. */
	{
		const char *ids[] = { ID_DI1, ID_ET2 };
		const char body[] =
		    "{\"returnCode\":104,\"returnMessage\":\"x\"}";

		ck_assert_int_eq(tracking_parse(404, body, strlen(body), ids,
		    2, &a), TRACKING_OK);
		ck_assert_int_eq(a.results[0].return_code, 104);
		ck_assert_int_eq(a.results[1].return_code, 104);
	}
}
END_TEST

START_TEST(test_parse_whole_request)
{
	struct tracking_answer a;

	ck_assert_int_eq(parse_fixture("401-unauthorized.json", 401, &a,
	    ID_DI1, NULL), TRACKING_ERR_AUTH);
	ck_assert_uint_eq(a.nresults, 0);
	ck_assert_ptr_nonnull(strstr(a.err, "401"));
	ck_assert_ptr_null(strstr(a.err, "invalid"));
	ck_assert_int_eq(parse_fixture("429-quota.json", 429, &a, ID_DI1,
	    NULL), TRACKING_ERR_QUOTA);
	ck_assert_int_eq(a.retry_after, -1);
	ck_assert_int_eq(parse_fixture("bad-not-json.html", 502, &a, ID_DI1,
	    NULL), TRACKING_ERR_SERVER);
	ck_assert_int_eq(parse_fixture("200-delivered-DI1.json", 302, &a,
	    ID_DI1, NULL), TRACKING_ERR_SERVER);
	ck_assert_int_eq(parse_fixture("200-delivered-DI1.json", 403, &a,
	    ID_DI1, NULL), TRACKING_ERR_AUTH);
}
END_TEST

START_TEST(test_parse_malformed)
{
	static const char *const whole[] = {
		"bad-returncode-string.json", "bad-other-idship.json",
		"bad-no-idship.json", "bad-truncated.json", "bad-not-json.html",
	};
	static const char *const one[] = {
		"bad-event-code-number.json", "bad-no-event.json",
		"bad-event-date.json", "bad-isfinal-string.json",
	};
	struct tracking_answer a;

	for (size_t i = 0; i < ARRAY_LEN(whole); i++) {
		ck_assert_msg(parse_fixture(whole[i], 200, &a, ID_DI1, NULL) ==
		    TRACKING_ERR_BODY, "%s", whole[i]);
		ck_assert_uint_eq(a.nresults, 0);
		ck_assert_str_ne(a.err, "");
		/* Never the input: not the HTML, not jansson's "near". */
		ck_assert_ptr_null(strstr(a.err, "Gateway"));
		ck_assert_ptr_null(strstr(a.err, "near"));
	}
	for (size_t i = 0; i < ARRAY_LEN(one); i++) {
		ck_assert_msg(parse_fixture(one[i], 200, &a, ID_DI1, NULL) ==
		    TRACKING_OK, "%s", one[i]);
		ck_assert_int_eq(a.results[0].state, TRACKING_ERROR);
		ck_assert_str_eq(a.results[0].code, "");
		ck_assert_ptr_nonnull(strstr(a.results[0].reason,
		    "malformed shipment"));
	}
}
END_TEST

/* Parse an inline body for one number. */
static enum tracking_status
parse_inline(long status, const char *body, const char *id,
    struct tracking_answer *a)
{
	const char *ids[] = { id };

	return tracking_parse(status, body, strlen(body), ids, 1, a);
}

START_TEST(test_parse_shapes)
{
	struct tracking_answer a;
	const char *ids[TRACKING_BATCH_MAX + 1];
	char *body, *twice;
	size_t len;

	/* Top level neither object nor array; empty; JSON null. */
	ck_assert_int_eq(parse_inline(200, "42", ID_DI1, &a),
	    TRACKING_ERR_BODY);
	ck_assert_int_eq(parse_inline(200, "", ID_DI1, &a), TRACKING_ERR_BODY);
	ck_assert_int_eq(parse_inline(200, "null", ID_DI1, &a),
	    TRACKING_ERR_BODY);
	ck_assert_int_eq(tracking_parse(200, NULL, 0, (const char *[]){
	    ID_DI1 }, 1, &a), TRACKING_ERR_BODY);
	/* An empty array: nothing answered. */
	ck_assert_int_eq(parse_inline(200, "[]", ID_DI1, &a), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_LATER);
	/* Duplicate keys are ambiguous. */
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":104,"
	    "\"returnCode\":200}", ID_DI1, &a), TRACKING_ERR_BODY);
	/* returnCode out of range, not an integer. */
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":1e3}", ID_DI1,
	    &a), TRACKING_ERR_BODY);
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":-1}", ID_DI1,
	    &a), TRACKING_ERR_BODY);
	/* 200 without shipment, shipment not an object. */
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200}", ID_DI1,
	    &a), TRACKING_ERR_BODY);
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200,\"shipment\":"
	    "[]}", ID_DI1, &a), TRACKING_ERR_BODY);
	/* Events empty: no event yet, still in transit. */
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200,\"shipment\":"
	    "{\"idShip\":\"" ID_DI1 "\",\"event\":[]}}", ID_DI1, &a),
	    TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_TRANSIT);
	ck_assert_str_eq(a.results[0].code, "");
	/* Lower-case idShip is the same number. */
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200,\"shipment\":"
	    "{\"idShip\":\"6a18395701001\",\"event\":[{\"code\":\"DI1\","
	    "\"label\":\"\",\"date\":\"2026-03-04T11:42:00.123+01:00\"}]}}",
	    ID_DI1, &a), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_DELIVERED);
	ck_assert_int_eq(a.results[0].date, iso("2026-03-04T10:42:00Z"));
	/* Event code shapes. */
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200,\"shipment\":"
	    "{\"idShip\":\"" ID_DI1 "\",\"event\":[{\"code\":\"di1\","
	    "\"label\":\"\",\"date\":\"2026-03-04\"}]}}", ID_DI1, &a),
	    TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_ERROR);
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200,\"shipment\":"
	    "{\"idShip\":\"" ID_DI1 "\",\"event\":[{\"code\":\"ABCDEFGH\","
	    "\"label\":\"\",\"date\":\"2026-03-04\"}]}}", ID_DI1, &a),
	    TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_ERROR);
	/* Wrong types in the timeline, contextData, holder. */
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200,\"shipment\":"
	    "{\"idShip\":\"" ID_DI1 "\",\"timeline\":[{\"id\":\"1\"}],"
	    "\"event\":[]}}", ID_DI1, &a), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_ERROR);
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200,\"shipment\":"
	    "{\"idShip\":\"" ID_DI1 "\",\"contextData\":\"FR\","
	    "\"event\":[]}}", ID_DI1, &a), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_ERROR);
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200,\"shipment\":"
	    "{\"idShip\":\"" ID_DI1 "\",\"holder\":\"4\",\"event\":[]}}",
	    ID_DI1, &a), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_ERROR);
	/* A refusal without idShip in an array of several. */
	{
		const char *two[] = { ID_DI1, ID_ET2 };
		const char b[] = "[{\"returnCode\":104}]";

		ck_assert_int_eq(tracking_parse(207, b, strlen(b), two, 2, &a),
		    TRACKING_ERR_BODY);
	}
	/* More answers than numbers; one number answered twice. */
	body = fixture("200-delivered-DI1.json", &len);
	twice = malloc(2 * len + 8);
	ck_assert_ptr_nonnull(twice);
	ck_assert_int_ge(str_printf(twice, 2 * len + 8, "[%s,%s]", body,
	    body), 0);
	ck_assert_int_eq(parse_inline(207, twice, ID_DI1, &a),
	    TRACKING_ERR_BODY);
	ids[0] = ID_DI1;
	ids[1] = ID_ET2;
	ck_assert_int_eq(tracking_parse(207, twice, strlen(twice), ids, 2, &a),
	    TRACKING_ERR_BODY);
	ck_assert_ptr_nonnull(strstr(a.err, "twice"));
	/* Bad arguments. */
	ck_assert_int_eq(tracking_parse(200, body, len, ids, 0, &a),
	    TRACKING_ERR_INVALID);
	for (size_t i = 0; i < ARRAY_LEN(ids); i++)
		ids[i] = ID_DI1;
	ck_assert_int_eq(tracking_parse(200, body, len, ids,
	    TRACKING_BATCH_MAX + 1, &a), TRACKING_ERR_INVALID);
	ck_assert_int_eq(tracking_parse(200, body, len, ids, 2, &a),
	    TRACKING_ERR_INVALID);
	ids[0] = "6a18395701001";
	ck_assert_int_eq(tracking_parse(200, body, len, ids, 1, &a),
	    TRACKING_ERR_INVALID);
	free(twice);
	free(body);
}
END_TEST

START_TEST(test_parse_huge)
{
	struct tracking_answer a;
	char *big = malloc(BIG);
	size_t len;
	char *body = fixture("200-delivered-DI1.json", &len);

	ck_assert_ptr_nonnull(big);
	/* Valid JSON padded with spaces past the limit: refused unread. */
	memset(big, ' ', BIG);
	memcpy(big, body, len);
	ck_assert_int_eq(tracking_parse(200, big, BIG, (const char *[]){
	    ID_DI1 }, 1, &a), TRACKING_ERR_BODY);
	ck_assert_ptr_nonnull(strstr(a.err, "larger"));
	/* At the limit it is read. */
	ck_assert_int_eq(tracking_parse(200, big, TRACKING_BODY_MAX,
	    (const char *[]){ ID_DI1 }, 1, &a), TRACKING_OK);
	ck_assert_int_eq(a.results[0].state, TRACKING_DELIVERED);
	free(big);
	free(body);
}
END_TEST

START_TEST(test_labels)
{
	struct tracking_answer a;
	char body[8192], label[3000];
	size_t o = 0;

	/* Control characters (an ANSI escape, C1 CSI) become spaces. */
	ck_assert_int_eq(parse_inline(200, "{\"returnCode\":200,\"shipment\":"
	    "{\"idShip\":\"" ID_DI1 "\",\"event\":[{\"code\":\"ET1\","
	    "\"label\":\"a\\u001b[31mb\\u009bc\\td\\u007f\","
	    "\"date\":\"2026-03-04\"}]}}", ID_DI1, &a), TRACKING_OK);
	ck_assert_str_eq(a.results[0].label, "a [31mb c d ");
	/* 1000 two-byte characters: cut at 255 bytes on a boundary. */
	for (int i = 0; i < 1000; i++) {
		label[o++] = '\xc3';
		label[o++] = '\xa9';
	}
	label[o] = '\0';
	ck_assert_int_ge(str_printf(body, sizeof(body), "{\"returnCode\":200,"
	    "\"shipment\":{\"idShip\":\"" ID_DI1 "\",\"event\":[{\"code\":"
	    "\"ET1\",\"label\":\"%s\",\"date\":\"2026-03-04\"}]}}", label),
	    0);
	ck_assert_int_eq(parse_inline(200, body, ID_DI1, &a), TRACKING_OK);
	ck_assert_uint_eq(strlen(a.results[0].label), 254);
	ck_assert(utf8_valid(a.results[0].label,
	    strlen(a.results[0].label)));
}
END_TEST

START_TEST(test_retry_after)
{
	time_t now = iso("2026-03-02T08:00:00Z");

	ck_assert_int_eq(tracking_retry_after("5", now), 5);
	ck_assert_int_eq(tracking_retry_after(" 120 ", now), 120);
	ck_assert_int_eq(tracking_retry_after("0", now), 0);
	ck_assert_int_eq(tracking_retry_after("86400", now), 86400);
	ck_assert_int_eq(tracking_retry_after("86401", now), -1);
	ck_assert_int_eq(tracking_retry_after("-1", now), -1);
	ck_assert_int_eq(tracking_retry_after("5s", now), -1);
	ck_assert_int_eq(tracking_retry_after("soon", now), -1);
	ck_assert_int_eq(tracking_retry_after("", now), -1);
	ck_assert_int_eq(tracking_retry_after(NULL, now), -1);
	ck_assert_int_eq(tracking_retry_after("Mon, 02 Mar 2026 08:00:30 GMT",
	    now), 30);
	ck_assert_int_eq(tracking_retry_after("Mon, 02 Mar 2026 07:00:00 GMT",
	    now), 0);
	ck_assert_int_eq(tracking_retry_after("Mon, 09 Mar 2026 07:00:00 GMT",
	    now), -1);
}
END_TEST

/* ---- a fixture server for the client ---- */

enum srv_mode {
	SRV_FIXTURE,	/* answer srv.status with srv.body */
	SRV_SLOW,	/* sleep 2 s first */
	SRV_HUGE,	/* 2 MiB body */
	SRV_REDIRECT,	/* 302 to /elsewhere */
	SRV_PER_ID,	/* one unitary answer per asked number */
};

static struct {
	struct MHD_Daemon *d;
	uint16_t port;
	char base[64];
	pthread_mutex_t lock;
	enum srv_mode mode;
	int status;
	char body[SRV_BODY_MAX];
	size_t body_len;
	char retry_after[32];
	int quota_left;		/* answer 429 this many times first */
	char bad_id[TRACKING_ID_BYTES];	/* SRV_PER_ID: 400 about it */
	/* what came in */
	int requests;
	int max_ids;
	char url[512];
	char key[256];
	char accept[128];
	char lang[32];
} srv;

static void
srv_set(enum srv_mode mode, int status, const char *fixture_name)
{
	pthread_mutex_lock(&srv.lock);
	srv.mode = mode;
	srv.status = status;
	srv.body_len = 0;
	srv.body[0] = '\0';
	pthread_mutex_unlock(&srv.lock);
	if (fixture_name != NULL) {
		size_t len;
		char *b = fixture(fixture_name, &len);

		ck_assert_uint_lt(len, sizeof(srv.body));
		pthread_mutex_lock(&srv.lock);
		memcpy(srv.body, b, len);
		srv.body_len = len;
		pthread_mutex_unlock(&srv.lock);
		free(b);
	}
}

/* Per-id answers: DI1 for ID_DI1, 400 about srv.bad_id, else 104. */
static int
per_id(const char *list, char *out, size_t outsz, int *status)
{
	char ids[256], *p = ids, *comma;
	size_t used = 0;
	int n = 0;

	if (str_copy(ids, sizeof(ids), list) != 0)
		return -1;
	for (char *q = ids; *q != '\0'; q++)
		n += *q == ',';
	n++;
	srv.max_ids = n > srv.max_ids ? n : srv.max_ids;
	if (srv.bad_id[0] != '\0' && strstr(list, srv.bad_id) != NULL) {
		*status = 400;
		return str_printf(out, outsz, "{\"lang\":\"fr_FR\",\"scope\":"
		    "\"open\",\"returnCode\":400,\"returnMessage\":\"x\","
		    "\"idShip\":\"%s\"}", srv.bad_id) < 0 ? -1 : 0;
	}
	out[used++] = '[';
	for (;;) {
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		if (str_printf(out + used, outsz - used, "%s{\"lang\":"
		    "\"fr_FR\",\"scope\":\"open\",\"returnCode\":%s,"
		    "%s\"%s\"%s}",
		    used > 1 ? "," : "",
		    strcmp(p, ID_DI1) == 0 ? "200" : "104",
		    strcmp(p, ID_DI1) == 0 ? "\"shipment\":{\"idShip\":" :
		    "\"idShip\":", p,
		    strcmp(p, ID_DI1) == 0 ? ",\"event\":[{\"code\":\"DI1\","
		    "\"label\":\"livre\",\"date\":\"2026-03-04T11:42:00+01:00\""
		    "}]}" : "") < 0)
			return -1;
		used += strlen(out + used);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (used + 2 > outsz)
		return -1;
	out[used++] = ']';
	out[used] = '\0';
	*status = 207;
	return 0;
}

static enum MHD_Result
srv_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct MHD_Response *resp;
	const char *v;
	enum MHD_Result ret;
	char *body = NULL;
	size_t len = 0;
	int status;
	enum srv_mode mode;

	(void)cls;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)con_cls;
	pthread_mutex_lock(&srv.lock);
	srv.requests++;
	(void)!str_copy(srv.url, sizeof(srv.url), url);
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Okapi-Key");
	(void)!str_copy(srv.key, sizeof(srv.key), v != NULL ? v : "");
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	(void)!str_copy(srv.accept, sizeof(srv.accept), v != NULL ? v : "");
	v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lang");
	(void)!str_copy(srv.lang, sizeof(srv.lang), v != NULL ? v : "");
	mode = srv.mode;
	status = srv.status;
	if (srv.quota_left > 0) {
		srv.quota_left--;
		status = 429;
		mode = SRV_FIXTURE;
		body = str_dup("{}");
		len = 2;
	} else if (mode == SRV_HUGE) {
		len = SRV_BODY_MAX;
		body = malloc(len);
		if (body != NULL)
			memset(body, ' ', len);
	} else if (mode == SRV_PER_ID) {
		const char *p = strstr(url, "/idships/");

		body = malloc(SRV_BODY_MAX);
		if (body != NULL && p != NULL && per_id(p + 9, body,
		    SRV_BODY_MAX, &status) == 0)
			len = strlen(body);
	} else {
		body = malloc(srv.body_len + 1);
		if (body != NULL) {
			memcpy(body, srv.body, srv.body_len);
			len = srv.body_len;
		}
	}
	pthread_mutex_unlock(&srv.lock);
	if (mode == SRV_SLOW)
		sleep(2);
	resp = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (status == 429 && srv.retry_after[0] != '\0')
		MHD_add_response_header(resp, "Retry-After", srv.retry_after);
	if (mode == SRV_REDIRECT) {
		status = 302;
		MHD_add_response_header(resp, "Location", "/elsewhere");
	}
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
srv_start(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(&srv, 0, sizeof(srv));
	pthread_mutex_init(&srv.lock, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, srv_handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	ck_assert_ptr_nonnull(srv.d);
	info = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	srv.port = info->port;
	ck_assert_int_ge(str_printf(srv.base, sizeof(srv.base),
	    "http://127.0.0.1:%u/suivi/v2", srv.port), 0);
}

static void
srv_stop(void)
{
	MHD_stop_daemon(srv.d);
	srv.d = NULL;
	pthread_mutex_destroy(&srv.lock);
}

static int
srv_requests(void)
{
	int n;

	pthread_mutex_lock(&srv.lock);
	n = srv.requests;
	pthread_mutex_unlock(&srv.lock);
	return n;
}

/* A loopback port nobody listens on right now. */
static uint16_t
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static struct tracking_client
client(void)
{
	struct tracking_client cl = { srv.base, KEY, "en_GB", 0, 0 };

	return cl;
}

START_TEST(test_fetch_ok)
{
	struct tracking_client cl = client();
	struct tracking_answer a;
	const char *ids[] = { ID_DI1, ID_MD2 };

	srv_set(SRV_FIXTURE, 200, "200-array.json");
	ck_assert_int_eq(tracking_fetch(&cl, ids, 2, &a), TRACKING_OK);
	ck_assert_int_eq(a.http_status, 200);
	ck_assert_int_eq(a.results[0].state, TRACKING_DELIVERED);
	ck_assert_int_eq(a.results[1].state, TRACKING_TRANSIT);
	ck_assert_int_eq(srv_requests(), 1);
	ck_assert_str_eq(srv.url, "/suivi/v2/idships/" ID_DI1 "," ID_MD2);
	ck_assert_str_eq(srv.key, KEY);
	ck_assert_str_eq(srv.accept, "application/json");
	ck_assert_str_eq(srv.lang, "en_GB");

	/* A trailing slash on the base URL is not doubled. */
	char base[80];
	ck_assert_int_ge(str_printf(base, sizeof(base), "%s/", srv.base), 0);
	cl.url = base;
	ck_assert_int_eq(tracking_fetch(&cl, ids, 2, &a), TRACKING_OK);
	ck_assert_str_eq(srv.url, "/suivi/v2/idships/" ID_DI1 "," ID_MD2);

	/* 207 and 404 pass through the parser. */
	cl.url = srv.base;
	srv_set(SRV_FIXTURE, 404, "404-104-not-yet.json");
	ck_assert_int_eq(tracking_fetch(&cl, (const char *[]){ ID_104 }, 1,
	    &a), TRACKING_OK);
	ck_assert_int_eq(a.http_status, 404);
	ck_assert_int_eq(a.results[0].state, TRACKING_LATER);
	srv_set(SRV_FIXTURE, 401, "401-unauthorized.json");
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a), TRACKING_ERR_AUTH);
	ck_assert_ptr_null(strstr(a.err, KEY));
}
END_TEST

START_TEST(test_fetch_refuses_before_sending)
{
	struct tracking_client cl = client();
	struct tracking_answer a;
	const char *bad[] = {
		"6A18395701001/../x", "6A18395701001?x=1", "6A1839570100 1",
		"6a18395701001", "6A18395701001,6A18395701002", "SHORT",
	};
	const char *ids[TRACKING_BATCH_MAX + 1];

	srv_set(SRV_FIXTURE, 200, "200-delivered-DI1.json");
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ck_assert_int_eq(tracking_fetch(&cl, &bad[i], 1, &a),
		    TRACKING_ERR_INVALID);
		ck_assert_ptr_null(strstr(a.err, bad[i]));
	}
	for (size_t i = 0; i < ARRAY_LEN(ids); i++)
		ids[i] = ID_DI1;
	ck_assert_int_eq(tracking_fetch(&cl, ids, ARRAY_LEN(ids), &a),
	    TRACKING_ERR_INVALID);
	ck_assert_int_eq(tracking_fetch(&cl, ids, 0, &a),
	    TRACKING_ERR_INVALID);
	/* Plain http only to loopback; no query in the base. */
	cl.url = "http://api.laposte.fr/suivi/v2";
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a),
	    TRACKING_ERR_INVALID);
	cl.url = "http://127.0.0.1.example.org/suivi/v2";
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a),
	    TRACKING_ERR_INVALID);
	cl.url = "ftp://127.0.0.1/suivi/v2";
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a),
	    TRACKING_ERR_INVALID);
	cl.url = "http://127.0.0.1/suivi/v2?x=1";
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a),
	    TRACKING_ERR_INVALID);
	/* A key that would smuggle a header; a bad lang. */
	cl = client();
	cl.key = "abc\r\nX-Evil: 1";
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a),
	    TRACKING_ERR_INVALID);
	ck_assert_ptr_null(strstr(a.err, "abc"));
	cl.key = "";
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a),
	    TRACKING_ERR_INVALID);
	cl = client();
	cl.lang = "fr_FR&x=1";
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a),
	    TRACKING_ERR_INVALID);
	ck_assert_int_eq(srv_requests(), 0);
}
END_TEST

START_TEST(test_fetch_limits)
{
	struct tracking_client cl = client();
	struct tracking_answer a;
	const char *ids[] = { ID_DI1 };
	uint16_t port;

	/* Slower than the timeout: a network error, nothing read. */
	srv_set(SRV_SLOW, 200, "200-delivered-DI1.json");
	cl.timeout_ms = 500;
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a),
	    TRACKING_ERR_NETWORK);
	ck_assert_ptr_nonnull(strstr(a.err, "within 500 ms"));
	ck_assert_uint_eq(a.nresults, 0);
	cl.timeout_ms = 0;

	/* Larger than TRACKING_BODY_MAX: refused. */
	srv_set(SRV_HUGE, 200, NULL);
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a), TRACKING_ERR_BODY);
	ck_assert_ptr_nonnull(strstr(a.err, "larger"));

	/* A redirect is not followed. */
	srv_set(SRV_REDIRECT, 200, "200-delivered-DI1.json");
	srv.requests = 0;
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a), TRACKING_ERR_SERVER);
	ck_assert_int_eq(a.http_status, 302);
	ck_assert_int_eq(srv_requests(), 1);

	/* 429 with Retry-After. */
	srv_set(SRV_FIXTURE, 429, "429-quota.json");
	(void)!str_copy(srv.retry_after, sizeof(srv.retry_after), "7");
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a), TRACKING_ERR_QUOTA);
	ck_assert_int_eq(a.retry_after, 7);
	srv.retry_after[0] = '\0';
	ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a), TRACKING_ERR_QUOTA);
	ck_assert_int_eq(a.retry_after, -1);

	/* Nobody listening. */
	port = free_port();
	{
		char url[64];

		ck_assert_int_ge(str_printf(url, sizeof(url),
		    "http://127.0.0.1:%u/suivi/v2", port), 0);
		cl.url = url;
		ck_assert_int_eq(tracking_fetch(&cl, ids, 1, &a),
		    TRACKING_ERR_NETWORK);
		ck_assert_int_eq(a.http_status, 0);
		ck_assert_ptr_nonnull(strstr(a.err, "cannot reach"));
	}
}
END_TEST

/* ---- the store side ---- */

static char dir[4096];
static struct store *st;
static struct centre_key *ckey;
static int64_t centre;

static void
store_setup(void)
{
	char path[4200], errbuf[256];
	const char *d = testutil_mkdtemp();

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
	setenv("HRPOST_NOW", "2026-03-02T08:00:00Z", 1);
	ckey = key_generate();
	ck_assert_ptr_nonnull(ckey);
	st = store_open(path, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	ck_assert_int_eq(store_centre_add(st, "millau", "Centre Millau",
	    "admin", &centre), STORE_OK);
	srv_start();
}

static void
store_teardown(void)
{
	srv_stop();
	store_close(st);
	st = NULL;
	key_free(ckey);
	ckey = NULL;
	testutil_rmtree(dir);
	unsetenv("HRPOST_NOW");
}

static int64_t
sql_int(const char *sql, const char *arg)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL),
	    SQLITE_OK);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
sql_text(const char *sql, const char *arg, char *out, size_t outsz)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;

	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL),
	    SQLITE_OK);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	t = sqlite3_column_text(s, 0);
	ck_assert_int_eq(str_copy(out, outsz, t != NULL ? (const char *)t :
	    ""), 0);
	sqlite3_finalize(s);
}

/*
 * An order moved to @to (ACCEPTED, PACKED or SHIPPED), with a parcel row
 * when packed or shipped (carrier @carrier, id @cid, may be NULL).
 */
static void
order_at(enum order_status to, const char *carrier, const char *cid,
    char ref[STORE_REF_MAX])
{
	struct order o;
	char token[STORE_TOKEN_MAX], sql[512];
	sqlite3_stmt *s = NULL;

	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(str_copy(o.pseudonym, sizeof(o.pseudonym), "Camille"),
	    0);
	ck_assert_int_eq(str_copy(o.lines[0], sizeof(o.lines[0]),
	    "12 rue des Lilas"), 0);
	o.nlines = 1;
	ck_assert_int_eq(str_copy(o.postcode, sizeof(o.postcode), "12100"), 0);
	ck_assert_int_eq(address_postcode_check("12100", o.dept, NULL), 0);
	ck_assert_int_eq(str_copy(o.commune, sizeof(o.commune), "Millau"), 0);
	ck_assert_int_eq(str_copy(o.lang, sizeof(o.lang), "fr"), 0);
	o.for_people = 1;
	ck_assert_int_eq(str_copy(o.packs[0].pack, sizeof(o.packs[0].pack),
	    "INJ"), 0);
	o.packs[0].qty = 1;
	o.npacks = 1;
	ck_assert_int_eq(store_order_add(st, ckey, centre, &o, ORDER_ACCEPTED,
	    NULL, 0, 0, "coord", ref, token), STORE_OK);
	order_clear(&o);
	if (to == ORDER_ACCEPTED)
		return;
	ck_assert_int_eq(store_order_transition(st, ref, ORDER_PACKED,
	    "coord"), STORE_OK);
	if (to == ORDER_SHIPPED)
		ck_assert_int_eq(store_order_transition(st, ref, ORDER_SHIPPED,
		    "coord"), STORE_OK);
	ck_assert_int_ge(str_printf(sql, sizeof(sql), "INSERT INTO parcels "
	    "(order_id, carrier, carrier_id, status, shipped_at) SELECT id, "
	    "?1, ?2, ?3, %s FROM orders WHERE ref = ?4",
	    to == ORDER_SHIPPED ? "shipped_at" : "NULL"), 0);
	ck_assert_int_eq(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_text(s, 1, carrier, -1, SQLITE_STATIC),
	    SQLITE_OK);
	if (cid != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 2, cid, -1,
		    SQLITE_STATIC), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_text(s, 3, to == ORDER_SHIPPED ?
	    "shipped" : "labelled", -1, SQLITE_STATIC), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_text(s, 4, ref, -1, SQLITE_STATIC),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
}

static enum order_status
status_of(const char *ref)
{
	struct store_order_row row;

	ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
	return row.status;
}

static void
audit_intact(void)
{
	struct store_audit_report rep;

	ck_assert_int_eq(store_audit_verify(st, &rep), STORE_OK);
	ck_assert_msg(rep.bad_id == 0, "audit broken at %lld: %s",
	    (long long)rep.bad_id, rep.why);
}

START_TEST(test_shipped_list)
{
	struct tracking_parcel *p = NULL;
	char a[STORE_REF_MAX], b[STORE_REF_MAX], x[STORE_REF_MAX], err[256];
	size_t n, bad;

	order_at(ORDER_SHIPPED, "laposte", ID_DI1, a);
	order_at(ORDER_SHIPPED, "laposte", ID_ET2, b);
	order_at(ORDER_SHIPPED, "laposte", NULL, x);	/* no carrier id */
	order_at(ORDER_SHIPPED, "dhl", "JD0146000031234", x);
	order_at(ORDER_SHIPPED, "laposte", "12-34", x);	/* not a number */
	order_at(ORDER_PACKED, "laposte", ID_RE1, x);	/* not shipped */
	order_at(ORDER_ACCEPTED, "laposte", NULL, x);
	ck_assert_int_eq(tracking_shipped(st, centre, &p, &n, &bad, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(bad, 1);
	ck_assert_str_eq(p[0].ref, a);
	ck_assert_str_eq(p[0].carrier_id, ID_DI1);
	ck_assert_int_eq(p[0].shipped_at, iso("2026-03-02T08:00:00Z"));
	ck_assert_str_eq(p[1].ref, b);
	free(p);
	/* Another centre's parcels are not ours. */
	ck_assert_int_eq(tracking_shipped(st, centre + 1, &p, &n, NULL, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_move)
{
	struct tracking_move mv = { TRACKING_DELIVERED, 0, "DI1", "cli:test" };
	char a[STORE_REF_MAX], b[STORE_REF_MAX], c[STORE_REF_MAX], err[256];
	int64_t before;

	order_at(ORDER_SHIPPED, "laposte", ID_DI1, a);
	order_at(ORDER_SHIPPED, "laposte", ID_RE1, b);
	order_at(ORDER_PACKED, "laposte", ID_ET2, c);
	setenv("HRPOST_NOW", "2026-03-06T12:00:00Z", 1);

	mv.at = iso("2026-03-04T10:42:00Z");
	ck_assert_int_eq(tracking_move(st, a, &mv, err, sizeof(err)),
	    STORE_OK);
	ck_assert_int_eq(status_of(a), ORDER_DELIVERED);
	ck_assert_int_eq(sql_int("SELECT p.delivered_at FROM parcels p JOIN "
	    "orders o ON o.id = p.order_id WHERE o.ref = ?1", a),
	    iso("2026-03-04T10:42:00Z"));
	ck_assert_int_eq(sql_int("SELECT count(*) FROM parcels p JOIN orders "
	    "o ON o.id = p.order_id WHERE o.ref = ?1 AND p.status = "
	    "'delivered'", a), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.delivered' AND object = ?1 AND detail = "
	    "'laposte DI1 2026-03-04T10:42:00Z'", a), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit WHERE action = "
	    "'order.delivered' AND object = ?1", a), 1);

	/* Twice: refused, nothing written. */
	before = sql_int("SELECT count(*) FROM audit", NULL);
	ck_assert_int_eq(tracking_move(st, a, &mv, err, sizeof(err)),
	    STORE_ERR_TRANSITION);
	ck_assert_ptr_nonnull(strstr(err, "delivered"));
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit", NULL), before);

	/* Packed is not shipped: refused, parcel and order unchanged. */
	ck_assert_int_eq(tracking_move(st, c, &mv, err, sizeof(err)),
	    STORE_ERR_TRANSITION);
	ck_assert_int_eq(status_of(c), ORDER_PACKED);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM parcels WHERE status = "
	    "'labelled'", NULL), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit", NULL), before);

	/* Returned by hand, with a carrier time in the future: now. */
	mv.to = TRACKING_RETURNED;
	mv.code = NULL;
	mv.at = 0;
	ck_assert_int_eq(tracking_move(st, b, &mv, err, sizeof(err)),
	    STORE_OK);
	ck_assert_int_eq(status_of(b), ORDER_RETURNED);
	ck_assert_int_eq(sql_int("SELECT p.returned_at FROM parcels p JOIN "
	    "orders o ON o.id = p.order_id WHERE o.ref = ?1", b),
	    iso("2026-03-06T12:00:00Z"));
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.returned' AND detail = 'by hand'", NULL), 1);

	/* Unknown ref, bad targets. */
	ck_assert_int_eq(tracking_move(st, "AAAAAAAAA", &mv, err,
	    sizeof(err)), STORE_ERR_INVALID);
	mv.to = TRACKING_TRANSIT;
	ck_assert_int_eq(tracking_move(st, b, &mv, err, sizeof(err)),
	    STORE_ERR_INVALID);
	audit_intact();
}
END_TEST

START_TEST(test_move_clamped_and_no_parcel)
{
	struct tracking_move mv = { TRACKING_DELIVERED, 0, "DI1", "cli:test" };
	char a[STORE_REF_MAX], b[STORE_REF_MAX], err[256];

	order_at(ORDER_SHIPPED, "laposte", ID_DI1, a);
	setenv("HRPOST_NOW", "2026-03-06T12:00:00Z", 1);
	/* A carrier time before shipping: kept at the shipping time. */
	mv.at = iso("2025-01-01T00:00:00Z");
	ck_assert_int_eq(tracking_move(st, a, &mv, err, sizeof(err)),
	    STORE_OK);
	ck_assert_int_eq(sql_int("SELECT p.delivered_at FROM parcels p JOIN "
	    "orders o ON o.id = p.order_id WHERE o.ref = ?1", a),
	    iso("2026-03-02T08:00:00Z"));
	/* A shipped order without a parcel row moves on its own. */
	order_at(ORDER_ACCEPTED, "laposte", NULL, b);
	ck_assert_int_eq(store_order_transition(st, b, ORDER_PACKED, "c"),
	    STORE_OK);
	ck_assert_int_eq(store_order_transition(st, b, ORDER_SHIPPED, "c"),
	    STORE_OK);
	mv.at = 0;
	ck_assert_int_eq(tracking_move(st, b, &mv, err, sizeof(err)),
	    STORE_OK);
	ck_assert_int_eq(status_of(b), ORDER_DELIVERED);
	audit_intact();
}
END_TEST

START_TEST(test_note_event)
{
	struct tracking_parcel *p = NULL;
	struct tracking_result r;
	char a[STORE_REF_MAX], err[256], text[300];
	size_t n;
	int64_t before;

	order_at(ORDER_SHIPPED, "laposte", ID_ET2, a);
	ck_assert_int_eq(tracking_shipped(st, centre, &p, &n, NULL, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	memset(&r, 0, sizeof(r));
	memcpy(r.code, "ET1", 4);
	memcpy(r.label, "En route", 9);
	r.date = iso("2026-03-03T04:30:00Z");
	before = sql_int("SELECT count(*) FROM audit", NULL);
	/* Kept on the parcel (migration 4), audited when the code changes. */
	ck_assert_int_eq(tracking_note_event(st, &p[0], &r, "cli:t", err,
	    sizeof(err)), 0);
	sql_text("SELECT last_event || '|' || last_event_label FROM parcels",
	    NULL, text, sizeof(text));
	ck_assert_str_eq(text, "ET1|En route");
	ck_assert_int_eq(sql_int("SELECT last_event_at FROM parcels", NULL),
	    r.date);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.event'", NULL), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit", NULL),
	    before + 1);
	ck_assert_int_eq(tracking_note_event(st, &p[0], &r, "cli:t", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.event'", NULL), 1);
	memcpy(r.code, "MD2", 4);
	ck_assert_int_eq(tracking_note_event(st, &p[0], &r, "cli:t", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit WHERE action = "
	    "'parcel.event'", NULL), 2);
	audit_intact();
	free(p);
}
END_TEST

/* What a round told about each parcel. */
struct told {
	int n;
	int acts[64];
	char why[64][TRACKING_ERR_MAX];
};

static void
count_report(const struct tracking_parcel *p, const struct tracking_result *r,
    enum tracking_action act, const char *why, void *arg)
{
	struct told *t = arg;

	(void)p;
	(void)r;
	if (t->n < 64) {
		t->acts[t->n] = (int)act;
		(void)!str_copy(t->why[t->n], sizeof(t->why[0]), why);
	}
	t->n++;
}

/* @n shipped parcels: the first with ID_DI1, the others 6A1839580NNNN. */
static struct tracking_parcel *
shipped_parcels(size_t n, size_t *got)
{
	struct tracking_parcel *p = NULL;
	char ref[STORE_REF_MAX], cid[TRACKING_ID_BYTES], err[256];

	for (size_t i = 0; i < n; i++) {
		ck_assert_int_ge(str_printf(cid, sizeof(cid), "6A1839580%04zu",
		    i), 0);
		order_at(ORDER_SHIPPED, "laposte", i == 0 ? ID_DI1 : cid, ref);
	}
	ck_assert_int_eq(tracking_shipped(st, centre, &p, got, NULL, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(*got, n);
	return p;
}

START_TEST(test_round_batches)
{
	struct tracking_client cl = client();
	struct tracking_summary sum;
	struct told t = { 0 };
	struct tracking_parcel *p;
	char err[256];
	size_t n;

	p = shipped_parcels(23, &n);
	srv_set(SRV_PER_ID, 207, NULL);
	setenv("HRPOST_NOW", "2026-03-06T12:00:00Z", 1);
	ck_assert_int_eq(tracking_round(st, &cl, p, n, "cli:t", 3, 60,
	    count_report, &t, &sum, err, sizeof(err)), 0);
	ck_assert_int_eq(srv_requests(), 3);
	ck_assert_int_eq(srv.max_ids, 10);
	ck_assert_uint_eq(sum.requests, 3);
	ck_assert_uint_eq(sum.polled, 23);
	ck_assert_uint_eq(sum.delivered, 1);
	ck_assert_uint_eq(sum.unchanged, 22);
	ck_assert_uint_eq(sum.errors, 0);
	ck_assert_int_eq(t.n, 23);
	ck_assert_int_eq(status_of(p[0].ref), ORDER_DELIVERED);
	ck_assert_int_eq(status_of(p[1].ref), ORDER_SHIPPED);
	audit_intact();
	free(p);
}
END_TEST

START_TEST(test_round_400_one_number)
{
	struct tracking_client cl = client();
	struct tracking_summary sum;
	struct told t = { 0 };
	struct tracking_parcel *p;
	char err[256];
	size_t n;

	p = shipped_parcels(4, &n);
	srv_set(SRV_PER_ID, 207, NULL);
	(void)!str_copy(srv.bad_id, sizeof(srv.bad_id), p[2].carrier_id);
	ck_assert_msg(tracking_round(st, &cl, p, n, "cli:t", 3, 60,
	    count_report, &t, &sum, err, sizeof(err)) == 0, "%s", err);
	/* The batch, then the batch without the refused number. */
	ck_assert_int_eq(srv_requests(), 2);
	ck_assert_uint_eq(sum.errors, 1);
	ck_assert_uint_eq(sum.delivered, 1);
	ck_assert_uint_eq(sum.unchanged, 2);
	free(p);
}
END_TEST

START_TEST(test_round_quota_then_ok)
{
	struct tracking_client cl = client();
	struct tracking_summary sum;
	struct told t = { 0 };
	struct tracking_parcel *p;
	char err[256];
	size_t n;

	p = shipped_parcels(2, &n);
	srv_set(SRV_PER_ID, 207, NULL);
	srv.quota_left = 1;
	(void)!str_copy(srv.retry_after, sizeof(srv.retry_after), "1");
	ck_assert_int_eq(tracking_round(st, &cl, p, n, "cli:t", 3, 60,
	    count_report, &t, &sum, err, sizeof(err)), 0);
	ck_assert_int_eq(srv_requests(), 2);
	ck_assert_uint_eq(sum.delivered, 1);

	/* Asked to wait longer than we will: stop at once, nothing asked. */
	srv.quota_left = 5;
	(void)!str_copy(srv.retry_after, sizeof(srv.retry_after), "3600");
	srv.requests = 0;
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(tracking_round(st, &cl, p + 1, 1, "cli:t", 3, 60,
	    count_report, &t, &sum, err, sizeof(err)), -1);
	ck_assert_int_eq(srv_requests(), 1);
	ck_assert_uint_eq(sum.errors, 1);
	ck_assert_ptr_nonnull(strstr(err, "429"));
	ck_assert_int_eq(status_of(p[1].ref), ORDER_SHIPPED);

	/* Always 429 without Retry-After: 1 + 2 s, then give up. */
	srv.quota_left = 10;
	srv.retry_after[0] = '\0';
	srv.requests = 0;
	ck_assert_int_eq(tracking_round(st, &cl, p + 1, 1, "cli:t", 2, 60,
	    count_report, &t, &sum, err, sizeof(err)), -1);
	ck_assert_int_eq(srv_requests(), 3);
	free(p);
}
END_TEST

START_TEST(test_round_auth_and_down)
{
	struct tracking_client cl = client();
	struct tracking_summary sum;
	struct told t = { 0 };
	struct tracking_parcel *p;
	char err[256], url[64];
	size_t n;
	int64_t before;

	p = shipped_parcels(12, &n);
	before = sql_int("SELECT count(*) FROM audit", NULL);
	/* 401: the round stops after the first request. */
	srv_set(SRV_FIXTURE, 401, "401-unauthorized.json");
	ck_assert_int_eq(tracking_round(st, &cl, p, n, "cli:t", 3, 60,
	    count_report, &t, &sum, err, sizeof(err)), -1);
	ck_assert_int_eq(srv_requests(), 1);
	ck_assert_uint_eq(sum.errors, 12);
	ck_assert_int_eq(t.n, 12);
	ck_assert_ptr_nonnull(strstr(err, "key"));
	ck_assert_ptr_null(strstr(err, KEY));
	/* Malformed answers: every batch an error, nothing changed. */
	srv_set(SRV_FIXTURE, 200, "bad-truncated.json");
	srv.requests = 0;
	ck_assert_int_eq(tracking_round(st, &cl, p, n, "cli:t", 3, 60,
	    count_report, &t, &sum, err, sizeof(err)), -1);
	ck_assert_int_eq(srv_requests(), 2);
	ck_assert_uint_eq(sum.errors, 12);
	ck_assert_ptr_nonnull(strstr(err, "malformed JSON"));
	/* Nobody listening. */
	ck_assert_int_ge(str_printf(url, sizeof(url), "http://127.0.0.1:%u/x",
	    srv.port), 0);
	srv_stop();
	cl.url = url;
	ck_assert_int_eq(tracking_round(st, &cl, p, n, "cli:t", 3, 60,
	    count_report, &t, &sum, err, sizeof(err)), -1);
	ck_assert_uint_eq(sum.requests, 1);
	ck_assert_uint_eq(sum.errors, 12);
	srv_start();
	ck_assert_int_eq(sql_int("SELECT count(*) FROM audit", NULL), before);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM orders WHERE status = "
	    "'shipped'", NULL), 12);
	/* Nothing to poll: done. */
	ck_assert_int_eq(tracking_round(st, &cl, p, 0, "cli:t", 3, 60,
	    count_report, &t, &sum, err, sizeof(err)), 0);
	free(p);
}
END_TEST

static Suite *
tracking_suite(void)
{
	Suite *s = suite_create("tracking");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_id_limits);
	tcase_add_test(tc, test_codes);
	tcase_add_test(tc, test_parse_delivered);
	tcase_add_test(tc, test_parse_returned);
	tcase_add_test(tc, test_parse_transit);
	tcase_add_test(tc, test_parse_unknown_code);
	tcase_add_test(tc, test_parse_array_and_order);
	tcase_add_test(tc, test_parse_207);
	tcase_add_test(tc, test_parse_errors_per_number);
	tcase_add_test(tc, test_parse_whole_request);
	tcase_add_test(tc, test_parse_malformed);
	tcase_add_test(tc, test_parse_shapes);
	tcase_add_test(tc, test_parse_huge);
	tcase_add_test(tc, test_labels);
	tcase_add_test(tc, test_retry_after);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_add_checked_fixture(tc, srv_start, srv_stop);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fetch_ok);
	tcase_add_test(tc, test_fetch_refuses_before_sending);
	tcase_add_test(tc, test_fetch_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	tcase_add_checked_fixture(tc, store_setup, store_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_shipped_list);
	tcase_add_test(tc, test_move);
	tcase_add_test(tc, test_move_clamped_and_no_parcel);
	tcase_add_test(tc, test_note_event);
	tcase_add_test(tc, test_round_batches);
	tcase_add_test(tc, test_round_400_one_number);
	tcase_add_test(tc, test_round_quota_then_ok);
	tcase_add_test(tc, test_round_auth_and_down);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(tracking_suite)
