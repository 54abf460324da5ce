/*
 * The real hrpost binary making volume reports: init --demo, orders taken
 * with `order add` (names, addresses and phone numbers of their own),
 * packed, shipped and marked delivered on given days (HRPOST_NOW), then
 * `hrpost report` as a table, CSV (RFC 4180) and JSON, by month and by
 * week, for the centre and with --all-centres: the figures, the "<5"
 * cells and the hidden ones, no name, address line, postcode or phone
 * number anywhere in the output, the same report without the private
 * key on disk, no audit entry written; and every bad option refused with
 * exit 2 and a message naming it.
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/util.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define OUT_MAX (1 << 20)
#define NOW "HRPOST_NOW=2026-03-02T08:00:00Z"

struct result {
	int status;
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static char dir[4096];
static struct result r;

/*
 * The people of the demo state: 5 in Aveyron (12), 2 in Hérault (34).
 * None of these strings may ever appear in a report.
 */
static const struct {
	const char *pseudonym, *line, *postcode, *commune, *phone, *e164;
	const char *channel_pack, *delivered;
} people[] = {
	{ "Zoulikha", "17 chemin des Oliviers", "12100", "Millau",
	    "06 12 34 56 01", "+33612345601", "INJ:2", "2026-03-04T10:00:00Z" },
	{ "Anatole", "3 impasse du Tarn", "12100", "Millau",
	    "06 12 34 56 02", "+33612345602", "NALOX", "2026-03-03T10:00:00Z" },
	{ "Rosalind", "9 rue Sainte-Claire", "12000", "Rodez",
	    "06 12 34 56 03", "+33612345603", "INJ", "2026-03-05T22:00:00Z" },
	{ "Maelle", "Lieu-dit Combe Haute", "12100", "Millau",
	    "06 12 34 56 04", "+33612345604", "SNIFF", NULL },
	{ "Ilario", "25 avenue de Lodeve", "34000", "Montpellier",
	    "06 12 34 56 05", "+33612345605", "NALOX", "2026-03-06T10:00:00Z" },
	{ "Svetlana", "2 place Jean Jaures", "34070", "Montpellier",
	    "06 12 34 56 06", "+33612345606", "INJ", "2026-03-09T10:00:00Z" },
	{ "Gaspard", "4 chemin du Causse", "12230", "Nant",
	    "06 12 34 56 07", "+33612345607", "SEX", "2026-03-03T22:00:00Z" },
};

/*
 * Run hrpost -d dir with the NULL-terminated arguments @args, the clock at
 * @now ("HRPOST_NOW=..."), stdin /dev/null, no controlling terminal
 * (daemon_cli()).
 */
static int
run_argv(const char *now, const char *const *args)
{
	const char *env[] = { now, NULL };

	r.status = daemon_cli(dir, args, env, r.out, sizeof(r.out), r.err,
	    sizeof(r.err));
	ck_assert_msg(r.status != -1, "could not run %s", daemon_bin());
	return r.status;
}

#define run_at(now, ...) run_argv((now), \
	(const char *const[]){ __VA_ARGS__ })
#define run(...) run_at(NOW, __VA_ARGS__, (const char *)NULL)
#define run_when(now, ...) run_at(now, __VA_ARGS__, (const char *)NULL)

static void
teardown(void)
{
	char *slash = strrchr(dir, '/');

	if (slash != NULL) {
		*slash = '\0';
		testutil_rmtree(dir);
	}
}

static long long
q_int(const char *sql)
{
	char path[8192];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/centre.db", dir),
	    (int)sizeof(path));
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* The reference `order add` and `pack` print, alone on a line. */
static void
one_line(char *out, size_t outsz)
{
	size_t n = strlen(r.out);

	ck_assert_msg(n >= 2 && r.out[n - 1] == '\n' &&
	    strchr(r.out, '\n') == r.out + n - 1, "not one line: [%s]", r.out);
	ck_assert_uint_lt(n, outsz);
	memcpy(out, r.out, n - 1);
	out[n - 1] = '\0';
}

/*
 * A demo state where the seven people above ordered on 2 March 2026 (by
 * phone, with consent to calls), had their parcel packed and shipped that
 * morning, and (all but one) delivered on the days given.
 */
static void
demo_with_parcels(void)
{
	const char *t = testutil_mkdtemp();
	char ref[64], when[64];

	ck_assert_ptr_nonnull(t);
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/var", t),
	    (int)sizeof(dir));
	ck_assert_msg(run("init", "--demo") == 0, "init: %s", r.err);
	for (size_t i = 0; i < ARRAY_LEN(people); i++) {
		ck_assert_msg(run("order", "add", "--pseudonym",
		    people[i].pseudonym, "--line", people[i].line,
		    "--postcode", people[i].postcode, "--commune",
		    people[i].commune, "--phone", people[i].phone, "--call",
		    "--lang", "fr", "--pack", people[i].channel_pack) == 0,
		    "order add: %s", r.err);
		one_line(ref, sizeof(ref));
		ck_assert_msg(run_when("HRPOST_NOW=2026-03-02T09:00:00Z",
		    "pack", ref) == 0, "pack: %s", r.err);
		ck_assert_msg(run_when("HRPOST_NOW=2026-03-02T10:00:00Z",
		    "ship", ref) == 0, "ship: %s", r.err);
		if (people[i].delivered == NULL)
			continue;
		ck_assert_int_lt(snprintf(when, sizeof(when), "HRPOST_NOW=%s",
		    people[i].delivered), (int)sizeof(when));
		ck_assert_msg(run_at(when, "delivered", ref,
		    (const char *)NULL) == 0, "delivered: %s", r.err);
	}
}

/* Nothing personal in r.out. */
static void
no_personal_data(void)
{
	for (size_t i = 0; i < ARRAY_LEN(people); i++) {
		const char *bad[] = {
			people[i].pseudonym, people[i].line,
			people[i].postcode, people[i].commune,
			people[i].phone, people[i].e164, people[i].e164 + 3,
		};

		for (size_t k = 0; k < ARRAY_LEN(bad); k++)
			ck_assert_msg(strstr(r.out, bad[k]) == NULL,
			    "report shows '%s'", bad[k]);
	}
	ck_assert(strstr(r.out, "MILLAU") == NULL);
	ck_assert(strstr(r.out, "0612") == NULL);
}

START_TEST(test_formats)
{
	json_t *j, *per, *tot, *dept;
	json_error_t jerr;
	long long audits;
	char *line;

	demo_with_parcels();
	audits = q_int("SELECT count(*) FROM audit");

	ck_assert_msg(run("report", "--from", "2026-03-01", "--to",
	    "2026-03-31") == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "centre demo, 2026-03-01 to "
	    "2026-03-31 by month"));
	ck_assert_ptr_nonnull(strstr(r.out, "\n2026-03  2026-03-01 to "
	    "2026-03-31\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "  parcels 7  packs 8  items "));
	ck_assert_ptr_nonnull(strstr(r.out, "  people 7  new 7  "
	    "returning 0\n"));
	/* 1 1.5 2 3.5 4 7 days; the one still on its way is one person. */
	ck_assert_ptr_nonnull(strstr(r.out, "  delivered hidden  days to "
	    "delivery: median 2.8  p90 7.0\n"));
	no_personal_data();

	ck_assert_msg(run("report", "--from", "2026-03-01", "--to",
	    "2026-03-31", "--format", "csv") == 0, "%s", r.err);
	ck_assert(strncmp(r.out, "centre,period,start,end,dimension,key,"
	    "measure,value\r\n", 51) == 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\r\ndemo,2026-03,2026-03-01,"
	    "2026-03-31,total,,parcels,7\r\n"));
	ck_assert_ptr_nonnull(strstr(r.out, ",total,,people,7\r\n"));
	ck_assert_ptr_nonnull(strstr(r.out, ",total,,delivery_days_median,"
	    "2.8\r\n"));
	/* Hérault: 2 people, "<5"; Aveyron is hidden with it. */
	ck_assert_ptr_nonnull(strstr(r.out, ",dept,34,people,<5\r\n"));
	ck_assert_ptr_nonnull(strstr(r.out, ",dept,34,packs,<5\r\n"));
	ck_assert_ptr_nonnull(strstr(r.out, ",dept,12,parcels,hidden\r\n"));
	ck_assert_ptr_nonnull(strstr(r.out, ",channel,phone,parcels,7\r\n"));
	for (line = r.out; *line != '\0';) {
		char *end = strstr(line, "\r\n");

		ck_assert_ptr_nonnull(end);
		ck_assert(memchr(line, '\n', (size_t)(end - line)) == NULL);
		line = end + 2;
	}
	no_personal_data();

	ck_assert_msg(run("report", "--from", "2026-02-01", "--to",
	    "2026-03-31", "--format", "json") == 0, "%s", r.err);
	j = json_loads(r.out, 0, &jerr);
	ck_assert_msg(j != NULL, "%s", jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(j, "schema")),
	    "hrpost-report/1");
	ck_assert_str_eq(json_string_value(json_object_get(j, "centre")),
	    "demo");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "periods")), 2);
	per = json_array_get(json_object_get(j, "periods"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(per, "period")),
	    "2026-02");
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_object_get(per, "totals"), "parcels")), 0);
	per = json_array_get(json_object_get(j, "periods"), 1);
	tot = json_object_get(per, "totals");
	ck_assert_int_eq(json_integer_value(json_object_get(tot, "parcels")),
	    7);
	ck_assert_int_eq(json_integer_value(json_object_get(tot,
	    "people_new")), 7);
	ck_assert(json_real_value(json_object_get(tot,
	    "delivery_days_median")) == 2.8);
	ck_assert_str_eq(json_string_value(json_object_get(tot,
	    "delivered")), "hidden");
	ck_assert(json_is_null(json_object_get(tot, "reach_pct")));
	dept = json_object_get(per, "dept");
	ck_assert_uint_eq(json_array_size(dept), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(dept, 1), "key")), "34");
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(dept, 1), "people")), "<5");
	json_decref(j);
	no_personal_data();

	ck_assert_msg(run("report", "--from", "2026-03-01", "--to",
	    "2026-03-15", "--by", "week", "--all-centres", "--format",
	    "json") == 0, "%s", r.err);
	j = json_loads(r.out, 0, &jerr);
	ck_assert_msg(j != NULL, "%s", jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(j, "centre")),
	    "*");
	ck_assert(json_is_true(json_object_get(j, "all_centres")));
	per = json_array_get(json_object_get(j, "periods"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(per, "period")),
	    "2026-W10");
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_object_get(per, "totals"), "parcels")), 7);
	json_decref(j);
	no_personal_data();

	/* Reports open nothing sealed: no audit entry, no key needed. */
	ck_assert_int_eq(q_int("SELECT count(*) FROM audit"), audits);
	{
		char key[8300], moved[8300];

		ck_assert_int_lt(snprintf(key, sizeof(key),
		    "%s/keys/centre.key", dir), (int)sizeof(key));
		ck_assert_int_lt(snprintf(moved, sizeof(moved), "%s.away",
		    key), (int)sizeof(moved));
		ck_assert_int_eq(rename(key, moved), 0);
		ck_assert_msg(run("report", "--from", "2026-03-01", "--to",
		    "2026-03-31", "--format", "csv") == 0, "%s", r.err);
		ck_assert_ptr_nonnull(strstr(r.out, ",total,,parcels,7\r\n"));
		ck_assert_int_eq(rename(moved, key), 0);
	}
	ck_assert_msg(run("audit", "verify") == 0, "%s", r.err);
	teardown();
}
END_TEST

START_TEST(test_bad_options)
{
	static const struct {
		const char *args[8];
		const char *names;
	} bad[] = {
		{ { "--to", "2026-03-31" }, "--from" },
		{ { "--from", "2026-03-01" }, "--to" },
		{ { "--from", "2026-02-30", "--to", "2026-03-31" }, "--from" },
		{ { "--from", "2026-03-01", "--to", "31/03/2026" }, "--to" },
		{ { "--from", "1999-12-31", "--to", "2000-01-31" }, "--from" },
		{ { "--from", "2026-03-31", "--to", "2026-03-01" }, "--to" },
		{ { "--from", "2000-01-01", "--to", "2020-01-01" }, "--to" },
		{ { "--from", "2026-03-01", "--to", "2026-03-31", "--by",
		    "day" }, "--by" },
		{ { "--from", "2026-03-01", "--to", "2026-03-31", "--format",
		    "xml" }, "--format" },
		{ { "--from", "2026-03-01", "--to", "2026-03-31", "--centre",
		    "x" }, "usage" },
		{ { "--from", "2026-03-01", "--to", "2026-03-31", "extra" },
		    "usage" },
	};
	const char *t = testutil_mkdtemp();

	ck_assert_ptr_nonnull(t);
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/var", t),
	    (int)sizeof(dir));
	ck_assert_msg(run("init", "--demo") == 0, "init: %s", r.err);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		const char *const *a = bad[i].args;

		ck_assert_int_eq(run("report", a[0], a[1], a[2], a[3], a[4],
		    a[5], a[6], a[7]), 2);
		ck_assert_msg(strstr(r.err, bad[i].names) != NULL,
		    "case %zu: '%s' does not name %s", i, r.err,
		    bad[i].names);
		ck_assert_str_eq(r.out, "");
	}
	ck_assert_int_eq(run("report", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--all-centres"));
	ck_assert_ptr_nonnull(strstr(r.out, "week|month|quarter|year"));
	/* An empty centre reports zeros, for every period. */
	ck_assert_msg(run("report", "--from", "2026-01-01", "--to",
	    "2026-12-31", "--by", "quarter", "--format", "csv") == 0, "%s",
	    r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "demo,2026-Q4,2026-10-01,"
	    "2026-12-31,total,,parcels,0\r\n"));
	teardown();
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("integration: report");
	TCase *tc = tcase_create("report");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_bad_options);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(report_suite)
