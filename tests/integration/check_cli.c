/*
 * The real hrpost binary, run as a user would: init, order add with a known
 * address and phone, a raw search of every database file for that
 * plaintext, order show, queue in three formats, cancel, audit verify
 * before and after an edit made behind hrpost's back, encrypted keys, and
 * bad input on every field (an error naming the field, nothing stored).
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/util.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define OUT_MAX (1 << 20)

/* A distinctive address and phone: none of it may reach a file in clear. */
#define PSEUDO "Zoulikha"
#define LINE1 "Apt 4 chez Mme Quenaudon"
#define LINE2 "17 chemin des Oliviers"
#define POSTCODE "12100"
#define COMMUNE "Millau"
#define PHONE_TYPED "06 71 23 45 89"
#define PHONE_E164 "+33671234589"
#define NOTE "appeler apres 18h svp"

struct result {
	int status;		/* exit status, or 128+signal */
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static char dir[4096];
static struct result r;

/*
 * Run hrpost with -d dir and the NULL-terminated arguments @args; @env is
 * an optional "NAME=VALUE" to add.  stdin is /dev/null (not a terminal),
 * and the child has no controlling terminal (daemon_cli()).
 */
static int
run_argv(const char *env, const char *const *args)
{
	const char *envv[] = { env, NULL };

	r.status = daemon_cli(dir, args, envv, r.out, sizeof(r.out), r.err,
	    sizeof(r.err));
	ck_assert_msg(r.status != -1, "could not run %s", daemon_bin());
	return r.status;
}

#define run_env(env, ...) run_argv((env), \
	(const char *const[]){ __VA_ARGS__ })
#define run(...) run_env(NULL, __VA_ARGS__, (const char *)NULL)
#define run_with(env, ...) run_env(env, __VA_ARGS__, (const char *)NULL)

static void
fresh_demo(void)
{
	const char *t = testutil_mkdtemp();

	ck_assert_ptr_nonnull(t);
	ck_assert_int_lt(snprintf(dir, sizeof(dir), "%s/var", t),
	    (int)sizeof(dir));
	ck_assert_msg(run("init", "--demo") == 0, "init: %s", r.err);
}

static void
teardown(void)
{
	char *slash = strrchr(dir, '/');

	if (slash != NULL) {
		*slash = '\0';
		testutil_rmtree(dir);
	}
}

/* The reference printed by order add: one line, nothing else. */
static void
add_known_order(char *ref, size_t refsz)
{
	ck_assert_msg(run("order", "add", "--pseudonym", PSEUDO,
	    "--line", LINE1, "--line", LINE2, "--postcode", POSTCODE,
	    "--commune", COMMUNE, "--phone", PHONE_TYPED, "--call", "--sms",
	    "--lang", "fr", "--pack", "INJ:2", "--pack", "NALOX:1",
	    "--for", "2", "--note", NOTE) == 0, "order add: %s", r.err);
	size_t n = strlen(r.out);
	ck_assert_msg(n >= 2 && r.out[n - 1] == '\n' &&
	    strchr(r.out, '\n') == r.out + n - 1, "stdout is not one line: "
	    "[%s]", r.out);
	ck_assert_uint_lt(n, refsz);
	memcpy(ref, r.out, n - 1);
	ref[n - 1] = '\0';
	for (const char *p = ref; *p; p++)
		ck_assert_msg((*p >= '0' && *p <= '9') || (*p >= 'A' &&
		    *p <= 'Z'), "reference has '%c'", *p);
}

/* Every file under the state directory, searched for @s in raw bytes. */
static int
state_contains(const char *s)
{
	char path[8192 + 512], sub[8192];
	const char *subs[] = { "", "/keys" };
	int found = 0;

	for (size_t k = 0; k < ARRAY_LEN(subs); k++) {
		snprintf(sub, sizeof(sub), "%s%s", dir, subs[k]);
		DIR *d = opendir(sub);
		struct dirent *e;
		if (d == NULL)
			continue;
		for (;;) {
			e = readdir(d);
			if (e == NULL)
				break;
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", sub, e->d_name);
			if (testutil_file_contains(path, s, strlen(s))) {
				fprintf(stderr, "found in %s\n", path);
				found = 1;
			}
		}
		closedir(d);
	}
	return found;
}

static int
count_rows(const char *sql)
{
	char path[8192];
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	snprintf(path, sizeof(path), "%s/centre.db", dir);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void
exec_sql(const char *sql)
{
	char path[8192];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/centre.db", dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

START_TEST(test_init_layout)
{
	char path[8192];
	struct stat sb;

	fresh_demo();
	ck_assert_msg(strstr(r.err, "demo") != NULL, "%s", r.err);
	snprintf(path, sizeof(path), "%s/keys/centre.key", dir);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/hrpost.conf", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	snprintf(path, sizeof(path), "%s/intake.db", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM staff"), 1);
	ck_assert_int_ge(count_rows("SELECT count(*) FROM packs"), 7);

	/* A second init changes nothing. */
	ck_assert_int_eq(run("init", "--demo"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "already"));
	teardown();
}
END_TEST

START_TEST(test_order_sealed_on_disk)
{
	char ref[64];
	const char *plain[] = { PSEUDO, LINE1, LINE2, COMMUNE, PHONE_TYPED,
	    PHONE_E164, "71234589", NOTE, "Quenaudon", "Oliviers" };

	fresh_demo();
	add_known_order(ref, sizeof(ref));
	for (size_t i = 0; i < ARRAY_LEN(plain); i++)
		ck_assert_msg(!state_contains(plain[i]), "'%s' is on disk in "
		    "clear", plain[i]);

	/* show opens it, and says who looked in the audit chain. */
	int before = count_rows("SELECT count(*) FROM audit WHERE action = "
	    "'order.show'");
	ck_assert_msg(run("order", "show", ref) == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, LINE1));
	ck_assert_ptr_nonnull(strstr(r.out, LINE2));
	ck_assert_ptr_nonnull(strstr(r.out, PHONE_E164));
	ck_assert_ptr_nonnull(strstr(r.out, PSEUDO));
	ck_assert_ptr_nonnull(strstr(r.out, NOTE));
	ck_assert_ptr_nonnull(strstr(r.out, "accepted"));
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE action "
	    "= 'order.show'"), before + 1);

	/* JSON form parses and carries the same fields. */
	ck_assert_int_eq(run("order", "show", ref, "--format", "json"), 0);
	json_error_t je;
	json_t *j = json_loads(r.out, 0, &je);
	ck_assert_msg(j != NULL, "%s", je.text);
	ck_assert_str_eq(json_string_value(json_object_get(j, "phone")),
	    PHONE_E164);
	ck_assert_str_eq(json_string_value(json_object_get(j, "postcode")),
	    POSTCODE);
	json_decref(j);

	/* Lower case and a dash in the reference are fine. */
	char loose[80];
	snprintf(loose, sizeof(loose), "%.4s-%s", ref, ref + 4);
	for (char *p = loose; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	ck_assert_msg(run("order", "show", loose) == 0, "%s", r.err);

	/* Nothing showed up in clear after those reads either. */
	ck_assert(!state_contains(LINE2));
	ck_assert(!state_contains(PHONE_E164));
	teardown();
}
END_TEST

START_TEST(test_queue_formats_and_cancel)
{
	char ref[64];

	fresh_demo();
	add_known_order(ref, sizeof(ref));

	ck_assert_int_eq(run("queue"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, ref));
	ck_assert_ptr_null(strstr(r.out, LINE2));
	ck_assert_ptr_null(strstr(r.out, PSEUDO));

	ck_assert_int_eq(run("queue", "--format", "csv"), 0);
	ck_assert(strncmp(r.out, "ref,received,status", 19) == 0);
	ck_assert_ptr_nonnull(strstr(r.out, ref));

	ck_assert_int_eq(run("queue", "--format", "json", "--status",
	    "accepted"), 0);
	json_t *j = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(json_array_size(j), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
	    json_array_get(j, 0), "ref")), ref);
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(j, 0), "total")), 3);
	json_decref(j);

	ck_assert_int_eq(run("queue", "--format", "xml"), 2);
	ck_assert_int_eq(run("queue", "--status", "lost"), 2);

	ck_assert_msg(run("order", "cancel", ref) == 0, "%s", r.err);
	ck_assert_int_eq(run("queue", "--status", "cancelled", "--format",
	    "csv"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, ref));
	/* Cancelled is final: a second cancel is refused, clearly. */
	ck_assert_int_eq(run("order", "cancel", ref), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "cancelled"));
	teardown();
}
END_TEST

START_TEST(test_ref_typos)
{
	char ref[64];

	fresh_demo();
	add_known_order(ref, sizeof(ref));
	/* Change one character: the check character catches it. */
	ref[2] = ref[2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(run("order", "show", ref), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "mistyped"));
	ck_assert_int_eq(run("order", "show", "hello"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "not an order reference"));
	teardown();
}
END_TEST

START_TEST(test_audit_verify_detects_edit)
{
	char ref[64];

	fresh_demo();
	add_known_order(ref, sizeof(ref));
	ck_assert_int_eq(run("order", "show", ref), 0);
	ck_assert_int_eq(run("order", "cancel", ref), 0);
	ck_assert_msg(run("audit", "verify") == 0, "%s%s", r.out, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "intact"));

	/* Someone rewrites history with sqlite3: verify names the entry. */
	int victim = count_rows("SELECT id FROM audit WHERE action = "
	    "'order.show'");
	char sql[256], want[64];
	snprintf(sql, sizeof(sql), "UPDATE audit SET actor = 'nobody' WHERE "
	    "id = %d", victim);
	exec_sql(sql);
	ck_assert_int_eq(run("audit", "verify"), 1);
	snprintf(want, sizeof(want), "entry %d", victim);
	ck_assert_msg(strstr(r.out, want) != NULL, "%s", r.out);
	teardown();
}
END_TEST

START_TEST(test_audit_verify_detects_delete)
{
	char ref[64];

	fresh_demo();
	add_known_order(ref, sizeof(ref));
	ck_assert_int_eq(run("order", "show", ref), 0);
	ck_assert_int_eq(run("order", "show", ref), 0);
	int last = count_rows("SELECT max(id) FROM audit");
	char sql[128];
	/* Cut the tail: the newest entry disappears. */
	snprintf(sql, sizeof(sql), "DELETE FROM audit WHERE id = %d", last);
	exec_sql(sql);
	ck_assert_int_eq(run("audit", "verify"), 1);
	teardown();
}
END_TEST

/*
 * Each bad field: exit 1, a message naming the field, no order stored.
 */
START_TEST(test_bad_fields)
{
	static const struct {
		const char *opt, *val, *field;
	} cases[] = {
		{ "--postcode", "00000", "postcode" },
		{ "--postcode", "2A000", "postcode" },
		{ "--postcode", "1210", "postcode" },
		{ "--line", "123456789012345678901234567890123456789", "line" },
		{ "--phone", "12345", "phone" },
		{ "--phone", "+33 6 12 ab 56 78", "phone" },
		{ "--lang", "xx", "lang" },
		{ "--pack", "INJ:0", "qty_INJ" },
		{ "--pack", "INJ:1000", "qty_INJ" },
		{ "--pack", "INJ:100000", "qty_INJ" },
		{ "--pack", "INJ:two", "qty_INJ" },
		{ "--pack", "FOO", "pack" },
		{ "--pack", "INJ:1:99G-99", "variant_INJ" },
		{ "--for", "0", "for_others" },
		{ "--commune", "", "commune" },
		{ "--pseudonym", "", "pseudonym" },
	};

	fresh_demo();
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *pseudo = PSEUDO, *line = LINE2, *pc = POSTCODE,
		    *commune = COMMUNE, *pack = "INJ";
		const char *extra_opt = "--note", *extra_val = NOTE;

		if (strcmp(cases[i].opt, "--postcode") == 0)
			pc = cases[i].val;
		else if (strcmp(cases[i].opt, "--line") == 0)
			line = cases[i].val;
		else if (strcmp(cases[i].opt, "--commune") == 0)
			commune = cases[i].val;
		else if (strcmp(cases[i].opt, "--pseudonym") == 0)
			pseudo = cases[i].val;
		else if (strcmp(cases[i].opt, "--pack") == 0)
			pack = cases[i].val;
		else {
			extra_opt = cases[i].opt;
			extra_val = cases[i].val;
		}
		int st = run("order", "add", "--pseudonym", pseudo, "--line",
		    line, "--postcode", pc, "--commune", commune, "--pack",
		    pack, extra_opt, extra_val);
		ck_assert_msg(st == 1, "%s '%s': exit %d", cases[i].opt,
		    cases[i].val, st);
		ck_assert_msg(strstr(r.err, cases[i].field) != NULL,
		    "%s '%s': message does not name %s: %s", cases[i].opt,
		    cases[i].val, cases[i].field, r.err);
		ck_assert_str_eq(r.out, "");
		/* The message names the field; it never repeats the value. */
		if (strlen(cases[i].val) >= 4)
			ck_assert_msg(strstr(r.err, cases[i].val) == NULL,
			    "%s: the message repeats the value: %s",
			    cases[i].opt, r.err);
		ck_assert_msg(strstr(r.err, NOTE) == NULL, "note in message");
		ck_assert_int_eq(count_rows("SELECT count(*) FROM orders"), 0);
	}
	/* Five address lines: refused. */
	ck_assert_int_eq(run("order", "add", "--pseudonym", PSEUDO,
	    "--line", "a", "--line", "b", "--line", "c", "--line", "d",
	    "--line", "e", "--postcode", POSTCODE, "--commune", COMMUNE,
	    "--pack", "INJ"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "line"));
	/* Missing fields on a non-terminal: refused, not prompted. */
	ck_assert_int_eq(run("order", "add", "--pack", "INJ"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "pseudonym"));
	ck_assert_int_eq(count_rows("SELECT count(*) FROM orders"), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE "
	    "action = 'order.add'"), 0);
	teardown();
}
END_TEST

START_TEST(test_poste_restante_and_idem)
{
	fresh_demo();
	ck_assert_msg(run("order", "add", "--pseudonym", PSEUDO,
	    "--poste-restante", "--postcode", "20000", "--commune", "Ajaccio",
	    "--pack", "SNIFF", "--idem", "call-42") == 0, "%s", r.err);
	char first[64];
	ck_assert_int_eq(str_copy(first, sizeof(first), r.out), 0);
	ck_assert_int_eq(run("order", "add", "--pseudonym", PSEUDO,
	    "--poste-restante", "--postcode", "20000", "--commune", "Ajaccio",
	    "--pack", "SNIFF", "--idem", "call-42"), 0);
	ck_assert_str_eq(r.out, first);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM orders"), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM orders WHERE dept "
	    "= '2A'"), 1);
	first[strcspn(first, "\n")] = '\0';
	ck_assert_int_eq(run("order", "show", first), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "POSTE RESTANTE"));
	teardown();
}
END_TEST

START_TEST(test_help_everywhere)
{
	const char *cmds[][3] = {
		{ "--help", NULL, NULL }, { "init", "--help", NULL },
		{ "keygen", "--help", NULL }, { "order", "--help", NULL },
		{ "order", "add", "--help" }, { "order", "show", "--help" },
		{ "order", "cancel", "--help" }, { "queue", "--help", NULL },
		{ "audit", "--help", NULL }, { "audit", "verify", "--help" },
	};

	snprintf(dir, sizeof(dir), "/nonexistent-hrpost");
	for (size_t i = 0; i < ARRAY_LEN(cmds); i++) {
		int st = run_env(NULL, cmds[i][0], cmds[i][1], cmds[i][2],
		    (const char *)NULL);
		ck_assert_msg(st == 0, "%s %s: exit %d", cmds[i][0],
		    cmds[i][1] ? cmds[i][1] : "", st);
		ck_assert_msg(strstr(r.out, "usage") != NULL, "%s %s: %s",
		    cmds[i][0], cmds[i][1] ? cmds[i][1] : "", r.out);
	}
	ck_assert_int_eq(run("frobnicate"), 2);
	ck_assert_int_eq(run("queue", "--bogus"), 2);
	ck_assert_int_eq(run("order", "show"), 2);
	/* No state: a clear message, exit 1. */
	ck_assert_int_eq(run("queue"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "init"));
}
END_TEST

START_TEST(test_encrypted_key)
{
	const char *t = testutil_mkdtemp();
	char passfile[8192], wrong[8192], ref[64];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/var", t);
	/* No passphrase source at all: refused, naming the three ways. */
	ck_assert_int_eq(run("init"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "--passphrase-file"));
	ck_assert_ptr_nonnull(strstr(r.err, "HRPOST_PASSPHRASE"));

	snprintf(passfile, sizeof(passfile), "%s/pass", t);
	snprintf(wrong, sizeof(wrong), "%s/wrong", t);
	f = fopen(passfile, "w");
	fputs("correct horse battery staple\n", f);
	fclose(f);
	f = fopen(wrong, "w");
	fputs("incorrect horse battery staple\n", f);
	fclose(f);
	ck_assert_msg(run("init", "--centre", "millau", "--name", "Centre",
	    "--passphrase-file", passfile) == 0, "%s", r.err);
	char keypath[8192];
	snprintf(keypath, sizeof(keypath), "%s/keys/centre.key", dir);
	ck_assert(testutil_file_contains(keypath, "ENCRYPTED", 9));

	/* The environment variable works too. */
	ck_assert_msg(run_with("HRPOST_PASSPHRASE=correct horse battery staple",
	    "order", "add", "--pseudonym", PSEUDO, "--line", LINE2,
	    "--postcode", POSTCODE, "--commune", COMMUNE, "--pack",
	    "INJ") == 0, "%s", r.err);
	ck_assert_int_lt(snprintf(ref, sizeof(ref), "%s", r.out),
	    (int)sizeof(ref));
	ref[strcspn(ref, "\n")] = '\0';

	ck_assert_int_eq(run("order", "show", ref, "--passphrase-file",
	    wrong), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "passphrase"));
	ck_assert_ptr_null(strstr(r.out, LINE2));
	ck_assert_int_eq(run("order", "show", ref), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "--passphrase-file"));
	ck_assert_int_eq(run("order", "show", ref, "--passphrase-file",
	    passfile), 0);
	ck_assert_ptr_nonnull(strstr(r.out, LINE2));
	teardown();
}
END_TEST

START_TEST(test_config_errors)
{
	char path[8192];
	FILE *f;

	fresh_demo();
	snprintf(path, sizeof(path), "%s/hrpost.conf", dir);
	f = fopen(path, "a");
	fputs("\n[orders]\nflag_qtty = 3\n", f);
	fclose(f);
	ck_assert_int_eq(run("queue"), 1);
	ck_assert_msg(strstr(r.err, "hrpost.conf:") != NULL &&
	    strstr(r.err, "flag_qtty") != NULL, "%s", r.err);
	teardown();
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite *s = suite_create("integration: hrpost CLI");
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_init_layout);
	tcase_add_test(tc, test_order_sealed_on_disk);
	tcase_add_test(tc, test_queue_formats_and_cancel);
	tcase_add_test(tc, test_ref_typos);
	tcase_add_test(tc, test_audit_verify_detects_edit);
	tcase_add_test(tc, test_audit_verify_detects_delete);
	tcase_add_test(tc, test_bad_fields);
	tcase_add_test(tc, test_poste_restante_and_idem);
	tcase_add_test(tc, test_help_everywhere);
	tcase_add_test(tc, test_encrypted_key);
	tcase_add_test(tc, test_config_errors);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(cli_suite)
