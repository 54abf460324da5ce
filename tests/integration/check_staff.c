/*
 * The real hrpost binary managing staff logins: `staff add` with the
 * password from a file and from $HRPOST_STAFF_PASSWORD, refused without
 * any source (no terminal), with a bad role, an existing login, a weak
 * password, a symlinked password file or a password given as an option;
 * `staff passwd`, `staff disable` and `enable`, `staff list` in three
 * formats and per centre; the audit chain verifying afterwards with an
 * entry for every change, and no password in any file of the state
 * directory nor in any message.
 *
 * $HRPOST_BIN names the binary (the Makefile sets it).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/util.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define OUT_MAX (1 << 16)
#define PW_FILE_TEXT "Violoncelle-du-mardi-17"
#define PW_ENV_TEXT "Accordeon sur le quai 9"
#define PW_NEW_TEXT "Nouveau-mot-de-passe-42"
#define PW_WEAK "court-9ch"

struct result {
	int status;
	char out[OUT_MAX];
	char err[OUT_MAX];
};

static char base[4096];
static char dir[4200];
static char pwfile[4300];
static struct result r;

/*
 * Run hrpost -d dir with the NULL-terminated arguments @args and @env
 * ("NAME=VALUE" or NULL) added; stdin /dev/null, no controlling terminal,
 * no password variable from our own environment (daemon_cli()).
 */
static int
run_argv(const char *env, const char *const *args)
{
	const char *envv[] = { env, NULL };

	r.status = daemon_cli(dir, args, env != NULL ? envv : NULL, r.out,
	    sizeof(r.out), r.err, sizeof(r.err));
	ck_assert_msg(r.status != -1, "could not run %s", daemon_bin());
	return r.status;
}

#define run_env(env, ...) run_argv((env), (const char *const[]){ __VA_ARGS__ })
#define run(...) run_env(NULL, __VA_ARGS__, (const char *)NULL)
#define run_with(env, ...) run_env(env, __VA_ARGS__, (const char *)NULL)

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void
setup(void)
{
	const char *t = testutil_mkdtemp();

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(str_copy(base, sizeof(base), t), 0);
	ck_assert_int_ge(str_printf(dir, sizeof(dir), "%s/var", base), 0);
	ck_assert_int_ge(str_printf(pwfile, sizeof(pwfile), "%s/pw", base),
	    0);
	write_file(pwfile, PW_FILE_TEXT "\nsecond line ignored\n");
	ck_assert_msg(run("init", "--demo") == 0, "init: %s", r.err);
}

static void
teardown(void)
{
	testutil_rmtree(base);
}

/* Every file of the state directory searched for @s in raw bytes. */
static int
state_contains(const char *s)
{
	char path[8192];
	struct dirent *e;
	int found = 0;
	DIR *d = opendir(dir);

	ck_assert_ptr_nonnull(d);
	for (;;) {
		e = readdir(d);
		if (e == NULL)
			break;
		if (e->d_name[0] == '.')
			continue;
		ck_assert_int_ge(str_printf(path, sizeof(path), "%s/%s", dir,
		    e->d_name), 0);
		if (testutil_file_contains(path, s, strlen(s))) {
			fprintf(stderr, "found in %s\n", path);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

/* One integer from centre.db. */
static int
count_rows(const char *sql)
{
	char path[8192];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/centre.db", dir),
	    0);
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

/* No password in a message of the last run. */
static void
quiet_about_passwords(void)
{
	static const char *const pws[] = {
		PW_FILE_TEXT, PW_ENV_TEXT, PW_NEW_TEXT, PW_WEAK,
	};

	for (size_t i = 0; i < ARRAY_LEN(pws); i++) {
		ck_assert_ptr_null(strstr(r.out, pws[i]));
		ck_assert_ptr_null(strstr(r.err, pws[i]));
	}
}

START_TEST(test_add_from_file_and_env)
{
	json_error_t jerr;
	json_t *root, *row;
	size_t i;
	int seen = 0;

	ck_assert_msg(run("staff", "add", "alice", "--role", "coordinator",
	    "--password-file", pwfile) == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "alice added (coordinator)"));
	quiet_about_passwords();
	ck_assert_msg(run_with("HRPOST_STAFF_PASSWORD=" PW_ENV_TEXT, "staff",
	    "add", "bob", "--role", "reviewer") == 0, "%s", r.err);
	quiet_about_passwords();

	ck_assert_int_eq(run("staff", "list"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "alice"));
	ck_assert_ptr_nonnull(strstr(r.out, "coordinator"));
	ck_assert_ptr_nonnull(strstr(r.out, "bob"));
	ck_assert_ptr_null(strstr(r.out, "$scrypt$"));
	ck_assert_int_eq(run("staff", "list", "--format", "json"), 0);
	root = json_loads(r.out, 0, &jerr);
	ck_assert_msg(root != NULL, "%s", jerr.text);
	ck_assert(json_is_array(root));
	ck_assert_uint_eq(json_array_size(root), 3);	/* demo, alice, bob */
	json_array_foreach(root, i, row) {
		const char *login = json_string_value(json_object_get(row,
		    "login"));

		ck_assert_ptr_nonnull(login);
		ck_assert_ptr_null(json_object_get(row, "pwhash"));
		if (strcmp(login, "bob") == 0) {
			ck_assert_str_eq(json_string_value(json_object_get(row,
			    "role")), "reviewer");
			ck_assert_str_eq(json_string_value(json_object_get(row,
			    "state")), "active");
			ck_assert_str_eq(json_string_value(json_object_get(row,
			    "centre")), "demo");
			seen++;
		}
	}
	ck_assert_int_eq(seen, 1);
	json_decref(root);
	/* The first line of the file is the password: nothing else. */
	ck_assert_int_eq(count_rows("SELECT count(*) FROM staff WHERE "
	    "pwhash LIKE '$scrypt$ln=%'"), 3);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE action "
	    "= 'staff.add' AND object IN ('alice', 'bob') AND actor LIKE "
	    "'cli:%'"), 2);
	ck_assert(!state_contains(PW_FILE_TEXT));
	ck_assert(!state_contains(PW_ENV_TEXT));
	ck_assert(!state_contains("second line ignored"));
	ck_assert_int_eq(run("audit", "verify"), 0);
}
END_TEST

START_TEST(test_add_refused)
{
	char link[4400], huge[1100];

	/* No password source at all: no file, no variable, no terminal. */
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "admin"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "--password-file"));
	ck_assert_ptr_nonnull(strstr(r.err, "HRPOST_STAFF_PASSWORD"));
	/* Bad role: a usage error before anything is asked. */
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "boss",
	    "--password-file", pwfile), 2);
	ck_assert_ptr_nonnull(strstr(r.err, "--role"));
	ck_assert_int_eq(run("staff", "add", "alice", "--password-file",
	    pwfile), 2);
	/* A password is never an option value. */
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "admin",
	    "--password", PW_FILE_TEXT), 2);
	quiet_about_passwords();
	ck_assert_ptr_nonnull(strstr(r.err, "never an option value"));
	/* Nor an abbreviation of --password-file, which getopt would take. */
	ck_assert_int_eq(run("staff", "passwd", "demo", "--pass",
	    PW_FILE_TEXT), 2);
	quiet_about_passwords();
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "admin",
	    "--password=" PW_FILE_TEXT), 2);
	quiet_about_passwords();
	/* Weak: the rule is named, the password not. */
	ck_assert_int_eq(run_with("HRPOST_STAFF_PASSWORD=" PW_WEAK, "staff",
	    "add", "alice", "--role", "admin"), 2);
	ck_assert_ptr_nonnull(strstr(r.err, "at least 10 characters"));
	quiet_about_passwords();
	ck_assert_int_eq(run_with("HRPOST_STAFF_PASSWORD=alice", "staff",
	    "add", "alice", "--role", "admin"), 2);
	ck_assert_int_eq(run_with("HRPOST_STAFF_PASSWORD=Alice.Martin",
	    "staff", "add", "alice.martin", "--role", "admin"), 2);
	ck_assert_ptr_nonnull(strstr(r.err, "not be the login"));
	/* Bad login, unknown centre. */
	ck_assert_int_eq(run("staff", "add", "al ice", "--role", "admin",
	    "--password-file", pwfile), 2);
	ck_assert_ptr_nonnull(strstr(r.err, "login must be"));
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "admin",
	    "--centre", "nowhere", "--password-file", pwfile), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "--centre"));
	/* A symlinked or missing password file, one too long. */
	ck_assert_int_ge(str_printf(link, sizeof(link), "%s/pwlink", base),
	    0);
	ck_assert_int_eq(symlink(pwfile, link), 0);
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "admin",
	    "--password-file", link), 1);
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "admin",
	    "--password-file", "/nonexistent/pw"), 1);
	memset(huge, 'h', sizeof(huge) - 1);
	huge[0] = 'H';
	huge[sizeof(huge) - 1] = '\0';
	write_file(pwfile, huge);
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "admin",
	    "--password-file", pwfile), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "longer than"));
	/* Nothing was stored by any of these. */
	ck_assert_int_eq(count_rows("SELECT count(*) FROM staff"), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE "
	    "action LIKE 'staff.%'"), 1);	/* the demo login */
	ck_assert(!state_contains(PW_WEAK));
}
END_TEST

START_TEST(test_existing_login)
{
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "packer",
	    "--password-file", pwfile), 0);
	ck_assert_int_eq(run_with("HRPOST_STAFF_PASSWORD=" PW_ENV_TEXT,
	    "staff", "add", "alice", "--role", "admin"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "alice exists"));
	ck_assert_int_eq(run("staff", "add", "demo", "--role", "admin",
	    "--password-file", pwfile), 1);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM staff WHERE login "
	    "= 'alice' AND role = 'packer'"), 1);
}
END_TEST

START_TEST(test_passwd_disable_enable)
{
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "packer",
	    "--password-file", pwfile), 0);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM staff WHERE "
	    "login = 'alice' AND failed_logins = 0"), 1);
	/* A changed hash: same login, new salt and hash. */
	ck_assert_int_eq(run_with("HRPOST_STAFF_PASSWORD=" PW_NEW_TEXT,
	    "staff", "passwd", "alice"), 0);
	quiet_about_passwords();
	ck_assert_int_eq(run_with("HRPOST_STAFF_PASSWORD=" PW_WEAK, "staff",
	    "passwd", "alice"), 2);
	quiet_about_passwords();
	ck_assert_int_eq(run_with("HRPOST_STAFF_PASSWORD=" PW_NEW_TEXT,
	    "staff", "passwd", "nobody"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "no such staff login"));
	ck_assert_int_eq(run("staff", "passwd"), 2);

	ck_assert_int_eq(run("staff", "disable", "alice"), 0);
	ck_assert_int_eq(run("staff", "list", "--format", "csv"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "login,role,centre,state,"));
	ck_assert_ptr_nonnull(strstr(r.out, "alice,packer,demo,disabled,0,,"));
	ck_assert_int_eq(run("staff", "disable", "nobody"), 1);
	ck_assert_int_eq(run("staff", "disable"), 2);
	ck_assert_int_eq(run("staff", "enable", "alice"), 0);
	ck_assert_int_eq(run("staff", "list", "--format", "csv"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "alice,packer,demo,active,0,,"));

	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE object "
	    "= 'alice' AND action IN ('staff.add', 'staff.passwd', "
	    "'staff.disable', 'staff.enable') AND actor LIKE 'cli:%'"), 4);
	ck_assert_int_eq(count_rows("SELECT count(*) FROM audit WHERE "
	    "instr(detail, 'Violoncelle') OR instr(detail, 'Nouveau') OR "
	    "instr(detail, 'scrypt')"), 0);
	ck_assert(!state_contains(PW_NEW_TEXT));
	ck_assert(!state_contains(PW_FILE_TEXT));
	ck_assert_int_eq(run("audit", "verify"), 0);
}
END_TEST

START_TEST(test_list_centres)
{
	ck_assert_int_eq(run("staff", "add", "alice", "--role", "packer",
	    "--password-file", pwfile), 0);
	ck_assert_int_eq(run("staff", "list", "--all", "--format", "csv"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "alice,"));
	ck_assert_ptr_nonnull(strstr(r.out, "demo,admin,demo,"));
	ck_assert_int_eq(run("staff", "list", "--centre", "demo"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "alice"));
	ck_assert_int_eq(run("staff", "list", "--centre", "nowhere"), 1);
	ck_assert_int_eq(run("staff", "list", "--all", "--centre", "demo"),
	    2);
	ck_assert_int_eq(run("staff", "list", "--format", "xml"), 2);
	ck_assert_int_eq(run("staff", "frobnicate"), 2);
	ck_assert_int_eq(run("staff"), 2);
	ck_assert_int_eq(run("staff", "--help"), 0);
	ck_assert_ptr_nonnull(strstr(r.out, "staff add LOGIN --role ROLE"));
}
END_TEST

static Suite *
staff_cli_suite(void)
{
	Suite *s = suite_create("staff_cli");
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_add_from_file_and_env);
	tcase_add_test(tc, test_add_refused);
	tcase_add_test(tc, test_existing_login);
	tcase_add_test(tc, test_passwd_disable_enable);
	tcase_add_test(tc, test_list_centres);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(staff_cli_suite)
