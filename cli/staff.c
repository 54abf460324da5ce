/*
 * hrpost staff: the console's logins.  `staff add LOGIN --role ROLE`
 * creates one in the configured centre (or --centre CODE), `staff passwd
 * LOGIN` sets a new password and lifts a lock, `staff disable LOGIN` and
 * `staff enable LOGIN` stop and allow its logins, `staff list` shows the
 * accounts without their hashes.  A password never comes as an option
 * value (it would sit in the shell history and in ps): it is read from
 * --password-file FILE (first line), else $HRPOST_STAFF_PASSWORD, else
 * asked twice on the terminal with echo off; it is wiped after hashing.
 * Every change is an audit entry by the operating-system user (cli:NAME).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "crypto/password.h"
#include "orders/staff.h"
#include "orders/store.h"

#define STAFF_PW_ENV "HRPOST_STAFF_PASSWORD"
#define STAFF_PW_BUF (PASSWORD_MAX_LEN + 2)	/* one byte tells too long */
#define STAFF_ERR_MAX 256

static void
staff_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] staff add LOGIN --role ROLE [--centre CODE]\n"
	    "                                 [--password-file FILE]\n"
	    "       hrpost [-d DIR] staff passwd LOGIN [--password-file FILE]\n"
	    "       hrpost [-d DIR] staff disable LOGIN\n"
	    "       hrpost [-d DIR] staff enable LOGIN\n"
	    "       hrpost [-d DIR] staff list [--centre CODE | --all]\n"
	    "                                  [--format table|csv|json]\n"
	    "\n"
	    "ROLE: admin (everything, staff too), coordinator (orders,\n"
	    "call-backs, stock, reports), packer (packing and labels),\n"
	    "reviewer (reports and audit, never personal data).\n"
	    "LOGIN: 1 to %d letters, digits, '.', '@', '-' or '_'.\n"
	    "The password (at least %d characters, not the login) is read\n"
	    "from --password-file FILE (first line), else $%s, else asked\n"
	    "twice on the terminal; never give it as an option value.\n"
	    "After %d wrong passwords in a row a login is locked for %d\n"
	    "minutes; passwd and enable lift the lock.\n",
	    STAFF_LOGIN_MAX, PASSWORD_MIN_LEN, STAFF_PW_ENV,
	    STAFF_LOCK_FAILURES, STAFF_LOCK_SECS / 60);
}

/* First line of @path, refusing symlinks and anything too long. */
static char *
read_pw_file(const struct cli *c, const char *path)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		cli_errx(c, "--password-file %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = calloc(1, STAFF_PW_BUF + 1);
	if (buf == NULL) {
		cli_errx(c, "out of memory");
		goto out;
	}
	while (n < STAFF_PW_BUF) {
		r = read(fd, buf + n, STAFF_PW_BUF - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cli_errx(c, "--password-file %s: %s", path,
			    strerror(errno));
			mem_wipe_free(buf, STAFF_PW_BUF + 1);
			buf = NULL;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) > PASSWORD_MAX_LEN) {
		cli_errx(c, "--password-file %s: password longer than %d bytes",
		    path, PASSWORD_MAX_LEN);
		mem_wipe_free(buf, STAFF_PW_BUF + 1);
		buf = NULL;
	}
out:
	close(fd);
	return buf;
}

/* One line from the terminal with echo off; NULL without a terminal. */
static char *
read_tty_pw(const char *prompt)
{
	struct termios old, quiet;
	char *buf = NULL;
	size_t n = 0;
	int fd, restored = 0;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (tcgetattr(fd, &old) != 0)
		goto out;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0)
		goto out;
	restored = 1;
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto out;
	buf = calloc(1, STAFF_PW_BUF + 1);
	if (buf == NULL)
		goto out;
	while (n < STAFF_PW_BUF) {
		char ch;
		ssize_t r = read(fd, &ch, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	(void)!write(fd, "\n", 1);
out:
	if (restored)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	return buf;
}

/*
 * The new password: --password-file, $HRPOST_STAFF_PASSWORD, or the
 * terminal twice.  Returns a string to free with str_wipe_free(), or
 * NULL after a message.
 */
static char *
get_password(const struct cli *c, const char *file)
{
	const char *env = getenv(STAFF_PW_ENV);
	char *p, *again;

	if (file != NULL)
		return read_pw_file(c, file);
	if (env != NULL && *env != '\0') {
		if (strlen(env) > PASSWORD_MAX_LEN) {
			cli_errx(c, "$%s is longer than %d bytes", STAFF_PW_ENV,
			    PASSWORD_MAX_LEN);
			return NULL;
		}
		p = str_dup(env);
		if (p == NULL)
			cli_errx(c, "out of memory");
		return p;
	}
	p = read_tty_pw("new staff password: ");
	if (p == NULL) {
		cli_errx(c, "no password: give it with --password-file FILE, "
		    "$%s or on a terminal", STAFF_PW_ENV);
		return NULL;
	}
	again = read_tty_pw("again: ");
	if (again == NULL || strcmp(p, again) != 0) {
		cli_errx(c, "the two passwords differ");
		str_wipe_free(again);
		str_wipe_free(p);
		return NULL;
	}
	str_wipe_free(again);
	return p;
}

/*
 * getopt_long() takes any unambiguous prefix of a long option, so
 * "--password SECRET" would read as "--password-file SECRET" and the
 * secret would come back in a "cannot open" message.  Only the whole
 * option name is accepted.  Returns 0, or -1 after a message.
 */
static int
refuse_password_option(const struct cli *c, int argc, char **argv)
{
#define PW_OPT "--password-file"
	static const char opt[] = PW_OPT;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if (strncmp(a, "--p", 3) != 0 || strcmp(a, opt) == 0 ||
		    strncmp(a, PW_OPT "=", sizeof(opt)) == 0)
			continue;
		cli_errx(c, "a password is never an option value: use "
		    "--password-file FILE, $%s or the terminal", STAFF_PW_ENV);
		return -1;
	}
	return 0;
#undef PW_OPT
}

/* Exit status for a staff_* failure. */
static int
fail(const struct cli *c, enum staff_status rc, const char *errbuf)
{
	cli_errx(c, "%s", errbuf);
	return rc == STAFF_ERR_INVALID ? CLI_USAGE : CLI_FAIL;
}

static int
staff_add_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "centre", required_argument, NULL, 'c' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role_name = NULL, *centre = NULL, *file = NULL;
	char errbuf[STAFF_ERR_MAX], *pw = NULL;
	enum staff_role role;
	enum staff_status rc;
	int64_t centre_id;
	int ch, ret = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'r':
			role_name = optarg;
			break;
		case 'c':
			centre = optarg;
			break;
		case 'p':
			file = optarg;
			break;
		case 'h':
			staff_usage(stdout);
			return CLI_OK;
		default:
			staff_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc || role_name == NULL) {
		staff_usage(stderr);
		return CLI_USAGE;
	}
	if (store_role_parse(role_name, &role) != 0) {
		cli_errx(c, "--role: one of admin, coordinator, packer, "
		    "reviewer");
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	centre_id = c->centre_id;
	if (centre != NULL &&
	    store_centre_find(c->st, centre, &centre_id) != STORE_OK) {
		cli_errx(c, "--centre: %s", store_errmsg(c->st));
		return CLI_FAIL;
	}
	pw = get_password(c, file);
	if (pw == NULL)
		return CLI_FAIL;
	rc = staff_add(c->st, centre_id, argv[optind], role, pw, c->actor,
	    errbuf, sizeof(errbuf));
	if (rc != STAFF_OK) {
		ret = fail(c, rc, errbuf);
		goto out;
	}
	fprintf(stderr, "%s: staff login %s added (%s)\n", c->prog,
	    argv[optind], store_role_name(role));
	ret = CLI_OK;
out:
	str_wipe_free(pw);
	return ret;
}

static int
staff_passwd_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "password-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	char errbuf[STAFF_ERR_MAX], *pw = NULL;
	struct staff_account a;
	enum staff_status rc;
	int ch, ret = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'p':
			file = optarg;
			break;
		case 'h':
			staff_usage(stdout);
			return CLI_OK;
		default:
			staff_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc) {
		staff_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	/* Ask for a password only for a login that exists. */
	rc = staff_find(c->st, argv[optind], &a, errbuf, sizeof(errbuf));
	if (rc != STAFF_OK)
		return fail(c, rc, errbuf);
	pw = get_password(c, file);
	if (pw == NULL)
		return CLI_FAIL;
	rc = staff_passwd(c->st, argv[optind], pw, c->actor, errbuf,
	    sizeof(errbuf));
	if (rc != STAFF_OK) {
		ret = fail(c, rc, errbuf);
		goto out;
	}
	fprintf(stderr, "%s: password of %s changed\n", c->prog,
	    argv[optind]);
	ret = CLI_OK;
out:
	str_wipe_free(pw);
	return ret;
}

static int
staff_disable_cmd(struct cli *c, int argc, char **argv, bool disabled)
{
	char errbuf[STAFF_ERR_MAX];
	enum staff_status rc;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		staff_usage(stdout);
		return CLI_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		staff_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	rc = staff_set_disabled(c->st, argv[1], disabled, c->actor, errbuf,
	    sizeof(errbuf));
	if (rc != STAFF_OK)
		return fail(c, rc, errbuf);
	fprintf(stderr, "%s: staff login %s %s\n", c->prog, argv[1],
	    disabled ? "disabled" : "enabled");
	return CLI_OK;
}

static const char *
account_state(const struct staff_account *a, time_t now)
{
	if (a->disabled)
		return "disabled";
	return a->locked_until > now ? "locked" : "active";
}

static void
csv_row(const char *const *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			putchar(',');
		cli_csv_field(stdout, vals[i]);
	}
	fputs("\r\n", stdout);
}

static int
print_list(const struct cli *c, enum cli_format fmt,
    const struct staff_account *v, size_t n)
{
	static const char *const cols[] = {
		"login", "role", "centre", "state", "failed_logins",
		"locked_until", "created",
	};
	char created[CLOCK_ISO_LEN], locked[CLOCK_ISO_LEN], failed[16];
	const char *row[ARRAY_LEN(cols)];
	time_t now = clock_now();
	json_t *arr = NULL, *o;
	int ret = -1;
	size_t i;

	if (fmt == CLI_FMT_TABLE)
		printf("%-24s %-12s %-16s %-9s %6s  %s\n", "LOGIN", "ROLE",
		    "CENTRE", "STATE", "FAILED", "CREATED");
	else if (fmt == CLI_FMT_CSV)
		csv_row(cols, ARRAY_LEN(cols));
	if (fmt == CLI_FMT_JSON) {
		arr = json_array();
		if (arr == NULL)
			return -1;
	}
	for (i = 0; i < n; i++) {
		const struct staff_account *a = &v[i];
		const char *state = account_state(a, now);

		clock_format(a->created_at, created);
		if (a->locked_until > now)
			clock_format(a->locked_until, locked);
		else
			locked[0] = '\0';
		if (str_printf(failed, sizeof(failed), "%d",
		    a->failed_logins) < 0)
			goto out;
		if (fmt == CLI_FMT_TABLE) {
			printf("%-24s %-12s %-16s %-9s %6d  %s\n", a->login,
			    store_role_name(a->role), a->centre, state,
			    a->failed_logins, created);
			continue;
		}
		if (fmt == CLI_FMT_CSV) {
			row[0] = a->login;
			row[1] = store_role_name(a->role);
			row[2] = a->centre;
			row[3] = state;
			row[4] = failed;
			row[5] = locked;
			row[6] = created;
			csv_row(row, ARRAY_LEN(row));
			continue;
		}
		o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s?,s:s}", "login",
		    a->login, "role", store_role_name(a->role), "centre",
		    a->centre, "state", state, "failed_logins",
		    a->failed_logins, "locked_until",
		    locked[0] != '\0' ? locked : NULL, "created", created);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto out;
	}
	if (fmt == CLI_FMT_JSON && cli_json_print(c, arr) != 0)
		goto out;
	ret = 0;
out:
	json_decref(arr);
	return ret;
}

static int
staff_list_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "centre", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cli_format fmt = CLI_FMT_TABLE;
	const char *centre = NULL;
	struct staff_account *v = NULL;
	char errbuf[STAFF_ERR_MAX];
	bool all = false;
	int64_t centre_id;
	size_t n = 0;
	int ch, ret = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'c':
			centre = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'F':
			if (cli_format_parse(c, optarg, CLI_FMTS_ALL, &fmt) != 0)
				return CLI_USAGE;
			break;
		case 'h':
			staff_usage(stdout);
			return CLI_OK;
		default:
			staff_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc || (all && centre != NULL)) {
		staff_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	centre_id = all ? 0 : c->centre_id;
	if (centre != NULL &&
	    store_centre_find(c->st, centre, &centre_id) != STORE_OK) {
		cli_errx(c, "--centre: %s", store_errmsg(c->st));
		return CLI_FAIL;
	}
	if (staff_list(c->st, centre_id, &v, &n, errbuf, sizeof(errbuf)) !=
	    STAFF_OK) {
		cli_errx(c, "%s", errbuf);
		return CLI_FAIL;
	}
	if (print_list(c, fmt, v, n) != 0) {
		cli_errx(c, "cannot write the staff list");
		goto out;
	}
	ret = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
out:
	free(v);
	return ret;
}

int
cli_staff(struct cli *c, int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : NULL;

	optind = 0;	/* glibc: reinitialise getopt */
	if (sub == NULL) {
		staff_usage(stderr);
		return CLI_USAGE;
	}
	if ((strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0) &&
	    refuse_password_option(c, argc - 1, argv + 1) != 0)
		return CLI_USAGE;
	if (strcmp(sub, "add") == 0)
		return staff_add_cmd(c, argc - 1, argv + 1);
	if (strcmp(sub, "passwd") == 0)
		return staff_passwd_cmd(c, argc - 1, argv + 1);
	if (strcmp(sub, "disable") == 0)
		return staff_disable_cmd(c, argc - 1, argv + 1, true);
	if (strcmp(sub, "enable") == 0)
		return staff_disable_cmd(c, argc - 1, argv + 1, false);
	if (strcmp(sub, "list") == 0)
		return staff_list_cmd(c, argc - 1, argv + 1);
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		staff_usage(stdout);
		return CLI_OK;
	}
	cli_errx(c, "staff: unknown subcommand (add, passwd, disable, "
	    "enable, list)");
	staff_usage(stderr);
	return CLI_USAGE;
}
