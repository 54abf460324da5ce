/*
 * Check suite for base/config.c: defaults, reading over them, every
 * refusal with the file, line, section and key it names (and never the
 * value), the number ranges at their limits, file reading limits, and
 * config_write(): a commented file that reads back as the same struct,
 * created with mode 0640, never over an existing file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "tests/testutil.h"

#define NAME "t/hrpost.conf"

static char tmpdir[4096];
static char errbuf[512];
static struct config cfg;

static void
setup(void)
{
	const char *d = testutil_mkdtemp();

	ck_assert_ptr_nonnull(d);
	ck_assert(snprintf(tmpdir, sizeof(tmpdir), "%s", d) <
	    (int)sizeof(tmpdir));
	config_defaults(&cfg, "/srv/hrpost", "/usr/share/hrpost/templates");
}

static void
teardown(void)
{
	testutil_rmtree(tmpdir);
}

static void
good(const char *text)
{
	ck_assert_msg(config_parse_string(&cfg, NAME, text, errbuf,
	    sizeof(errbuf)) == 0, "refused: %s", errbuf);
}

/*
 * Assert that @text is refused with "t/hrpost.conf:@line: @what" (the
 * section and key) and @why, that @cfg did not change, and that @secret
 * (a part of the value, or NULL) is not in the message.
 */
static void
bad(const char *text, int line, const char *what, const char *why,
    const char *secret)
{
	struct config before;
	char want[128];

	memcpy(&before, &cfg, sizeof(before));
	ck_assert_msg(config_parse_string(&cfg, NAME, text, errbuf,
	    sizeof(errbuf)) == -1, "accepted: %s", text);
	ck_assert(snprintf(want, sizeof(want), "%s:%d: %s", NAME, line,
	    what) < (int)sizeof(want));
	ck_assert_msg(strncmp(errbuf, want, strlen(want)) == 0,
	    "want '%s...', got '%s'", want, errbuf);
	ck_assert_msg(strstr(errbuf, why) != NULL, "want '%s' in '%s'", why,
	    errbuf);
	if (secret != NULL)
		ck_assert_msg(strstr(errbuf, secret) == NULL,
		    "value repeated in '%s'", errbuf);
	ck_assert_msg(memcmp(&before, &cfg, sizeof(cfg)) == 0,
	    "config changed by a refused file");
}

/* Defaults and reading ----------------------------------------------------- */

START_TEST(defaults)
{
	ck_assert_str_eq(cfg.dir, "/srv/hrpost");
	ck_assert_str_eq(cfg.path, "");
	ck_assert_str_eq(cfg.centre, "demo");
	ck_assert_str_eq(cfg.templates, "/usr/share/hrpost/templates");
	ck_assert_str_eq(cfg.lang, "fr");
	ck_assert_str_eq(cfg.centre_db, "/srv/hrpost/centre.db");
	ck_assert_str_eq(cfg.intake_db, "/srv/hrpost/intake.db");
	ck_assert_str_eq(cfg.private_key, "/srv/hrpost/keys/centre.key");
	ck_assert_str_eq(cfg.public_key, "/srv/hrpost/keys/centre.pub");
	ck_assert_int_eq(cfg.flag_qty, 20);
	ck_assert_int_eq(cfg.flag_days, 3);

	config_defaults(&cfg, "var/", NULL);
	ck_assert_str_eq(cfg.dir, "var/");
	ck_assert_str_eq(cfg.centre_db, "var/centre.db");
	ck_assert_str_eq(cfg.templates, HRPOST_DATADIR "/templates");
}
END_TEST

START_TEST(defaults_too_long)
{
	char *dir = malloc(CONFIG_PATH_MAX);

	/* A state directory that fits, with paths under it that do not. */
	ck_assert_ptr_nonnull(dir);
	memset(dir, 'd', CONFIG_PATH_MAX - 10);
	dir[0] = '/';
	dir[CONFIG_PATH_MAX - 10] = '\0';
	config_defaults(&cfg, dir, "/t");
	ck_assert_str_eq(cfg.dir, dir);
	ck_assert_str_eq(cfg.centre_db, "");	/* never cut short */
	ck_assert_str_eq(cfg.private_key, "");
	ck_assert_int_eq(config_parse_string(&cfg, NAME, "[hrpost]\n"
	    "lang = fr\n", errbuf, sizeof(errbuf)), -1);
	ck_assert_str_eq(errbuf, NAME ": [store] centre_db: path too long "
	    "(at most 4095 bytes with the state directory)");
	/* Absolute paths in the file make it whole again. */
	good("[store]\ncentre_db = /a\nintake_db = /b\n[keys]\nprivate = /c\n"
	    "public = /d\n");
	free(dir);
}
END_TEST

START_TEST(read_over_defaults)
{
	good("; a comment\n# another\n\n[hrpost]\ncentre = centre-13\n"
	    "lang = pt\n[store]\ncentre_db = data/centre.db\n"
	    "intake_db = /var/lib/intake.db ; shared\n[orders]\n"
	    "flag_qty = 0\n");
	ck_assert_str_eq(cfg.path, NAME);
	ck_assert_str_eq(cfg.centre, "centre-13");
	ck_assert_str_eq(cfg.lang, "pt");
	ck_assert_str_eq(cfg.centre_db, "/srv/hrpost/data/centre.db");
	ck_assert_str_eq(cfg.intake_db, "/var/lib/intake.db");
	ck_assert_int_eq(cfg.flag_qty, 0);
	/* Not in the file: the defaults stay. */
	ck_assert_str_eq(cfg.templates, "/usr/share/hrpost/templates");
	ck_assert_str_eq(cfg.private_key, "/srv/hrpost/keys/centre.key");
	ck_assert_int_eq(cfg.flag_days, 3);

	/* An empty file is all defaults; a section may come back. */
	config_defaults(&cfg, "/srv/hrpost", "/t");
	good("");
	good("[hrpost]\n[orders]\nflag_days = 0\n[hrpost]\nlang = ru\n"
	    "templates = tpl\n");
	ck_assert_str_eq(cfg.templates, "/srv/hrpost/tpl");
	ck_assert_int_eq(cfg.flag_days, 0);
	ck_assert_str_eq(cfg.lang, "ru");
}
END_TEST

/* Refusals ----------------------------------------------------------------- */

START_TEST(refuse_unknown_section)
{
	bad("[hrpost]\nlang = fr\n[printers]\nqueue = x\n", 3, "[printers]",
	    "unknown section", NULL);
	/* Even without a key in it. */
	bad("[hrpost]\nlang = fr\n[Orders]\n", 3, "[Orders]",
	    "unknown section", NULL);
	bad("[\x01]\n", 1, "[?]", "unknown section", NULL);
}
END_TEST

START_TEST(refuse_unknown_key)
{
	bad("[hrpost]\nlang = fr\nlanguage = fr\n", 3, "[hrpost] language",
	    "unknown key", NULL);
	/* A key known in another section only. */
	bad("[store]\nlang = fr\n", 2, "[store] lang", "unknown key", NULL);
	bad("[keys]\nprivate_key = /k\n", 2, "[keys] private_key",
	    "unknown key", NULL);
}
END_TEST

START_TEST(refuse_repeated_key)
{
	bad("[hrpost]\nlang = fr\nlang = fr\n", 3, "[hrpost] lang",
	    "repeated key", NULL);
	bad("[orders]\nflag_qty = 1\n[hrpost]\n[orders]\nflag_qty = 2\n", 5,
	    "[orders] flag_qty", "repeated key", NULL);
}
END_TEST

START_TEST(refuse_empty_value)
{
	bad("[store]\ncentre_db =\n", 2, "[store] centre_db", "empty value",
	    NULL);
	bad("[hrpost]\ncentre = ; none\n", 2, "[hrpost] centre",
	    "empty value", NULL);
}
END_TEST

START_TEST(refuse_bad_numbers)
{
	bad("[orders]\nflag_qty = -1\n", 2, "[orders] flag_qty",
	    "from 0 to 100000", NULL);
	bad("[orders]\nflag_qty = 100001\n", 2, "[orders] flag_qty",
	    "from 0 to 100000", "100001");
	bad("[orders]\nflag_qty = 20packs\n", 2, "[orders] flag_qty",
	    "whole number", "packs");
	bad("[orders]\nflag_qty = +20\n", 2, "[orders] flag_qty",
	    "whole number", NULL);
	bad("[orders]\nflag_qty = 99999999999999999999999\n", 2,
	    "[orders] flag_qty", "whole number", NULL);
	bad("[orders]\nflag_days = 366\n", 2, "[orders] flag_days",
	    "from 0 to 365", "366");
	bad("[orders]\nflag_days = 1.5\n", 2, "[orders] flag_days",
	    "whole number", NULL);
	good("[orders]\nflag_qty = 100000\nflag_days = 365\n");
	ck_assert_int_eq(cfg.flag_qty, 100000);
	ck_assert_int_eq(cfg.flag_days, 365);
	config_defaults(&cfg, "/srv/hrpost", "/t");
	good("[orders]\nflag_qty = 0\nflag_days = 0\n");
	ck_assert_int_eq(cfg.flag_qty, 0);
	ck_assert_int_eq(cfg.flag_days, 0);
}
END_TEST

START_TEST(refuse_bad_centre)
{
	bad("[hrpost]\ncentre = Bordeaux\n", 2, "[hrpost] centre",
	    "a-z, 0-9 and '-'", "Bordeaux");
	bad("[hrpost]\ncentre = caarud_33\n", 2, "[hrpost] centre",
	    "a-z, 0-9 and '-'", "caarud");
	bad("[hrpost]\ncentre = caarud 33\n", 2, "[hrpost] centre",
	    "1 to 32", "caarud");
	bad("[hrpost]\ncentre = abcdefghijklmnopqrstuvwxyz0123456\n", 2,
	    "[hrpost] centre", "1 to 32", "abcdef");
	good("[hrpost]\ncentre = abcdefghijklmnopqrstuvwxyz-12345\n");
	ck_assert_str_eq(cfg.centre, "abcdefghijklmnopqrstuvwxyz-12345");
}
END_TEST

/* The daemons', Kannel's and the printer's keys: each kind's rule. */
START_TEST(refuse_bad_service_keys)
{
	bad("[intake]\nlisten = localhost:8080\n", 2, "[intake] listen",
	    "ADDR:PORT", "localhost");
	bad("[intake]\nlisten = 127.0.0.1:0\n", 2, "[intake] listen",
	    "ADDR:PORT", NULL);
	bad("[intake]\nlisten = 127.0.0.1:65536\n", 2, "[intake] listen",
	    "ADDR:PORT", NULL);
	bad("[console]\nlisten = [::1:8081\n", 2, "[console] listen",
	    "ADDR:PORT", NULL);
	good("[console]\nlisten = [::1]:8081\n");
	ck_assert_str_eq(cfg.console_listen, "[::1]:8081");
	good("[intake]\nlisten = 0.0.0.0:65535\n");

	bad("[intake]\npublic_url = ftp://example.org\n", 2,
	    "[intake] public_url", "http:// or https://", "example");
	bad("[console]\nintake_url = https://\n", 2, "[console] intake_url",
	    "http:// or https://", NULL);
	bad("[console]\nintake_url = https://a b\n", 2,
	    "[console] intake_url", "http:// or https://", NULL);
	good("[console]\nintake_url = https://intake.example.org:8443/x\n");

	bad("[intake]\nuser = Root\n", 2, "[intake] user", "user name",
	    "Root");
	good("[intake]\nuser = _hrpost\n");

	bad("[intake]\ntoken = short\n", 2, "[intake] token", "16 to 128",
	    "short");
	bad("[sms]\nsecret = 0123456789abcdef!\n", 2, "[sms] secret",
	    "16 to 128", "0123456789");
	good("[sms]\nsecret = 0123456789abcdef\n");
	ck_assert_str_eq(cfg.sms_secret, "0123456789abcdef");
	/* Optional keys may be emptied: then they are not set. */
	good("[sms]\nsecret =\n");
	ck_assert_str_eq(cfg.sms_secret, "");
	bad("[intake]\nlisten =\n", 2, "[intake] listen", "empty value",
	    NULL);

	bad("[sms]\nallow = 127.0.0.1, kannel.lan\n", 2, "[sms] allow",
	    "numeric IP", "kannel");
	bad("[sms]\nallow = 127.0.0.1,,::1\n", 2, "[sms] allow",
	    "numeric IP", NULL);
	good("[sms]\nallow = 127.0.0.1, ::1,10.0.0.2\n");

	bad("[printer]\nformat = svg\n", 2, "[printer] format",
	    "one of: pdf png zpl", NULL);
	bad("[printer]\nsize = a5\n", 2, "[printer] size",
	    "one of: 100x150 a4", NULL);
	good("[printer]\nformat = zpl\nsize = a4\n");
	ck_assert_str_eq(cfg.printer_format, "zpl");

	bad("[limits]\nsms_per_hour = 0\n", 2, "[limits] sms_per_hour",
	    "whole number from 1 to 100000", NULL);
	ck_assert_int_eq(cfg.track_per_minute, 10);
	bad("[limits]\ntrack_per_minute = 0\n", 2,
	    "[limits] track_per_minute", "whole number from 1 to 100000",
	    NULL);
	good("[limits]\ntrack_per_minute = 3\n");
	ck_assert_int_eq(cfg.track_per_minute, 3);
	bad("[console]\npull_interval = 86401\n", 2,
	    "[console] pull_interval", "whole number from 1 to 86400", NULL);
	/* 170 characters: fits a config line, not the sender field. */
	bad("[sender]\nname = " "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAA\n", 2, "[sender] name", "too long", NULL);
	bad("[centre]\nwebsite = x\n", 2, "[centre] website", "unknown key",
	    NULL);
}
END_TEST

START_TEST(refuse_bad_lang)
{
	bad("[hrpost]\nlang = f\n", 2, "[hrpost] lang", "2 or 3 letters",
	    NULL);
	bad("[hrpost]\nlang = fran\n", 2, "[hrpost] lang", "2 or 3 letters",
	    "fran");
	bad("[hrpost]\nlang = FR\n", 2, "[hrpost] lang", "2 or 3 letters",
	    NULL);
	bad("[hrpost]\nlang = fr-FR\n", 2, "[hrpost] lang", "2 or 3 letters",
	    NULL);
	good("[hrpost]\nlang = kab\n");
	ck_assert_str_eq(cfg.lang, "kab");
}
END_TEST

START_TEST(refuse_bad_text)
{
	bad("[keys]\nprivate = /k\x01y\n", 2, "[keys] private",
	    "control character", NULL);
	bad("[keys]\nprivate = /k\xc3\n", 2, "[keys] private", "UTF-8", NULL);
	bad("[keys]\npublic = /k\xc2\x85y\n", 2, "[keys] public",
	    "control character", NULL);
}
END_TEST

START_TEST(refuse_path_too_long)
{
	static char text[256];
	char *dir = malloc(CONFIG_PATH_MAX);

	/* 4000 + '/' + 95 = 4096: one byte too many for the NUL. */
	ck_assert_ptr_nonnull(dir);
	memset(dir, 'd', 4000);
	dir[0] = '/';
	dir[4000] = '\0';
	config_defaults(&cfg, dir, "/t");
	memset(text, 0, sizeof(text));
	memcpy(text, "[store]\nintake_db = ", 20);
	memset(text + 20, 'x', 94);
	text[114] = '\n';
	good(text);
	ck_assert_uint_eq(strlen(cfg.intake_db), CONFIG_PATH_MAX - 1);
	config_defaults(&cfg, dir, "/t");
	text[114] = 'x';
	text[115] = '\n';
	bad(text, 2, "[store] intake_db", "path too long", "xxx");
	free(dir);
}
END_TEST

START_TEST(refuse_bad_lines)
{
	char text[300];

	bad("lang = fr\n[hrpost]\n", 1, "key", "outside any [section]", NULL);
	bad("[hrpost]\nlang = fr\n  centre = x\n", 3, "indented",
	    "continuation", NULL);
	bad("[hrpost\nlang = fr\n", 1, "section", "without ']'", NULL);
	bad("[hrpost] lang = fr\n", 1, "text after", "section header", NULL);
	bad("[hrpost]\nlang\n", 2, "expected", "key = value", NULL);

	/* 190 bytes on a line is fine, 191 is not. */
	memset(text, 0, sizeof(text));
	memcpy(text, "[keys]\nprivate = /", 18);
	memset(text + 18, 'k', 179);
	ck_assert_uint_eq(strlen(text + 7), 190);
	good(text);
	text[18 + 179] = 'k';
	bad(text, 2, "line", "longer than 190 bytes", NULL);
}
END_TEST

START_TEST(refuse_bad_input)
{
	ck_assert_int_eq(config_parse_string(&cfg, NAME, NULL, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(config_parse_string(NULL, NAME, "", errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_int_eq(config_load(&cfg, NULL, errbuf, sizeof(errbuf)), -1);
	/* A short buffer: a cut message, never an overflow. */
	ck_assert_int_eq(config_parse_string(&cfg, NAME, "[x]\n", errbuf, 6),
	    -1);
	ck_assert_str_eq(errbuf, "t/hrp");
}
END_TEST

/* Files -------------------------------------------------------------------- */

static void
put(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(load_files)
{
	char path[4200], msg[4300];
	char *large;

	ck_assert(snprintf(path, sizeof(path), "%s/hrpost.conf", tmpdir) <
	    (int)sizeof(path));
	ck_assert_int_eq(config_load(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "No such file") != NULL, "%s", errbuf);

	put(path, "[orders]\nflag_qty = 7\n", 22);
	ck_assert_msg(config_load(&cfg, path, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
	ck_assert_int_eq(cfg.flag_qty, 7);
	ck_assert_str_eq(cfg.path, path);

	/* The file's own path and line in messages. */
	put(path, "[orders]\nflag_qty = 7\nflag_qty = 8\n", 35);
	ck_assert_int_eq(config_load(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert(snprintf(msg, sizeof(msg), "%s:3: [orders] flag_qty: "
	    "repeated key", path) < (int)sizeof(msg));
	ck_assert_str_eq(errbuf, msg);

	/* A NUL byte would hide the rest from libinih. */
	put(path, "[orders]\n\0flag_qty = x\n", 23);
	ck_assert_int_eq(config_load(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "NUL byte") != NULL, "%s", errbuf);

	/* 64 KiB at most. */
	large = malloc(64 * 1024 + 1);
	ck_assert_ptr_nonnull(large);
	memset(large, '\n', 64 * 1024 + 1);
	memcpy(large, "[orders]\nflag_days = 9\n", 23);
	put(path, large, 64 * 1024);
	ck_assert_msg(config_load(&cfg, path, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
	ck_assert_int_eq(cfg.flag_days, 9);
	put(path, large, 64 * 1024 + 1);
	ck_assert_int_eq(config_load(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "larger than 65536 bytes") != NULL, "%s",
	    errbuf);
	free(large);

	/* Not a regular file: a directory, a FIFO (not waited on). */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(config_load(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "not a regular file") != NULL, "%s",
	    errbuf);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(config_load(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "not a regular file") != NULL, "%s",
	    errbuf);
}
END_TEST

/* Every field of two configs but the file name. */
static void
same_config(const struct config *a, const struct config *b)
{
	ck_assert_str_eq(a->dir, b->dir);
	ck_assert_str_eq(a->centre, b->centre);
	ck_assert_str_eq(a->templates, b->templates);
	ck_assert_str_eq(a->lang, b->lang);
	ck_assert_str_eq(a->centre_db, b->centre_db);
	ck_assert_str_eq(a->intake_db, b->intake_db);
	ck_assert_str_eq(a->private_key, b->private_key);
	ck_assert_str_eq(a->public_key, b->public_key);
	ck_assert_int_eq(a->flag_qty, b->flag_qty);
	ck_assert_int_eq(a->flag_days, b->flag_days);
}

START_TEST(write_round_trip)
{
	char path[4200], keyp[4200];
	struct config back;
	struct stat sb;
	mode_t old;

	config_defaults(&cfg, tmpdir, "/usr/share/hrpost/templates");
	ck_assert(snprintf(path, sizeof(path), "%s/hrpost.conf", tmpdir) <
	    (int)sizeof(path));
	/* The umask does not decide the mode. */
	old = umask(077);
	ck_assert_msg(config_write(&cfg, path, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
	umask(old);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0640);

	/* Paths inside the state directory are written relative to it. */
	ck_assert(testutil_file_contains(path, "\ncentre_db = centre.db\n",
	    23));
	ck_assert(testutil_file_contains(path,
	    "\nprivate = keys/centre.key\n", 27));
	ck_assert(testutil_file_contains(path,
	    "\ntemplates = /usr/share/hrpost/templates\n", 41));
	ck_assert(testutil_file_contains(path, "\n[orders]\n", 10));

	/* Read over different defaults: the file alone decides. */
	config_defaults(&back, tmpdir, "/elsewhere");
	back.flag_qty = 99;
	ck_assert_msg(config_load(&back, path, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
	same_config(&cfg, &back);
	ck_assert_str_eq(back.path, path);

	/* Never over an existing file. */
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "already exists") != NULL, "%s", errbuf);

	/* Every value changed, and paths outside the directory. */
	ck_assert(snprintf(keyp, sizeof(keyp), "%s/k/c.key", tmpdir) <
	    (int)sizeof(keyp));
	config_defaults(&cfg, tmpdir, "/opt/t mpl");
	ck_assert_int_eq(str_copy(cfg.centre, sizeof(cfg.centre),
	    "caarud-33"), 0);
	ck_assert_int_eq(str_copy(cfg.lang, sizeof(cfg.lang), "ru"), 0);
	ck_assert_int_eq(str_copy(cfg.centre_db, sizeof(cfg.centre_db),
	    "/var/lib/hrpost/c;entre.db"), 0);
	ck_assert_int_eq(str_copy(cfg.private_key, sizeof(cfg.private_key),
	    keyp), 0);
	ck_assert_int_eq(str_copy(cfg.public_key, sizeof(cfg.public_key),
	    "/etc/hrpost/Центр.pub"), 0);
	cfg.flag_qty = 100000;
	cfg.flag_days = 0;
	ck_assert(snprintf(path, sizeof(path), "%s/second.conf", tmpdir) <
	    (int)sizeof(path));
	ck_assert_msg(config_write(&cfg, path, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
	ck_assert(testutil_file_contains(path, "\nprivate = k/c.key\n", 19));
	config_defaults(&back, tmpdir, NULL);
	ck_assert_msg(config_load(&back, path, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
	same_config(&cfg, &back);
}
END_TEST

START_TEST(write_comments_every_key)
{
	static const char *const keys[] = { "centre", "templates", "lang",
	    "centre_db", "intake_db", "private", "public", "flag_qty",
	    "flag_days" };
	char path[4200];
	char *text, *p;

	config_defaults(&cfg, tmpdir, "/t");
	ck_assert(snprintf(path, sizeof(path), "%s/c.conf", tmpdir) <
	    (int)sizeof(path));
	ck_assert_msg(config_write(&cfg, path, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
	text = testutil_slurp(path, NULL);
	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		char want[64];

		/* "key = " starts a line and the line before is a comment. */
		ck_assert(snprintf(want, sizeof(want), "\n%s = ", keys[i]) <
		    (int)sizeof(want));
		p = strstr(text, want);
		ck_assert_msg(p != NULL, "%s not written", keys[i]);
		/* p is the newline ending the line above the key. */
		while (p > text && p[-1] != '\n')
			p--;
		ck_assert_msg(*p == '#', "no comment above %s", keys[i]);
	}
	free(text);
}
END_TEST

START_TEST(write_refusals)
{
	char path[4200], entry[4200];
	struct stat sb;

	ck_assert(snprintf(path, sizeof(path), "%s/w.conf", tmpdir) <
	    (int)sizeof(path));

	config_defaults(&cfg, tmpdir, "/t");
	ck_assert_int_eq(str_copy(cfg.centre, sizeof(cfg.centre), "Big"), 0);
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "[hrpost] centre:") != NULL, "%s",
	    errbuf);

	config_defaults(&cfg, tmpdir, "/t");
	ck_assert_int_eq(str_copy(cfg.lang, sizeof(cfg.lang), "x"), 0);
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "[hrpost] lang:") != NULL, "%s", errbuf);

	config_defaults(&cfg, tmpdir, "/t");
	cfg.flag_days = 366;
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "[orders] flag_days:") != NULL, "%s",
	    errbuf);

	/* A value libinih would read back differently. */
	config_defaults(&cfg, tmpdir, "/t ;x");
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "[hrpost] templates:") != NULL, "%s",
	    errbuf);
	config_defaults(&cfg, tmpdir, "/t ");
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);
	config_defaults(&cfg, tmpdir, "/t\nlang = en");
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);

	/* A relative path outside the state directory. */
	config_defaults(&cfg, tmpdir, "templates");
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "[hrpost] templates: relative path") !=
	    NULL, "%s", errbuf);

	/* Longer than one line of the file. */
	config_defaults(&cfg, tmpdir, "/t");
	memset(cfg.public_key, 'p', 200);
	cfg.public_key[0] = '/';
	cfg.public_key[200] = '\0';
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "[keys] public: longer than") != NULL,
	    "%s", errbuf);

	/* Nothing was left behind by any of these. */
	ck_assert_int_eq(stat(path, &sb), -1);
	ck_assert(snprintf(entry, sizeof(entry), "%s/w.conf.tmp-%ld-0", tmpdir,
	    (long)getpid()) < (int)sizeof(entry));
	ck_assert_int_eq(stat(entry, &sb), -1);

	/* A directory that does not exist. */
	config_defaults(&cfg, tmpdir, "/t");
	ck_assert(snprintf(path, sizeof(path), "%s/nodir/w.conf", tmpdir) <
	    (int)sizeof(path));
	ck_assert_int_eq(config_write(&cfg, path, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "No such file") != NULL, "%s", errbuf);
}
END_TEST

START_TEST(write_leaves_no_temp)
{
	char path[4200], tmp[4300];
	struct stat sb;

	/* A leftover temp name from an earlier crash is stepped over. */
	config_defaults(&cfg, tmpdir, "/t");
	ck_assert(snprintf(path, sizeof(path), "%s/hrpost.conf", tmpdir) <
	    (int)sizeof(path));
	ck_assert(snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-0", path,
	    (long)getpid()) < (int)sizeof(tmp));
	put(tmp, "old", 3);
	ck_assert_msg(config_write(&cfg, path, errbuf, sizeof(errbuf)) == 0,
	    "%s", errbuf);
	ck_assert(testutil_file_contains(tmp, "old", 3));
	ck_assert(snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-1", path,
	    (long)getpid()) < (int)sizeof(tmp));
	ck_assert_int_eq(stat(tmp, &sb), -1);
	ck_assert_int_eq(stat(path, &sb), 0);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("read");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, defaults_too_long);
	tcase_add_test(tc, read_over_defaults);
	tcase_add_test(tc, refuse_unknown_section);
	tcase_add_test(tc, refuse_unknown_key);
	tcase_add_test(tc, refuse_repeated_key);
	tcase_add_test(tc, refuse_empty_value);
	tcase_add_test(tc, refuse_bad_numbers);
	tcase_add_test(tc, refuse_bad_centre);
	tcase_add_test(tc, refuse_bad_lang);
	tcase_add_test(tc, refuse_bad_service_keys);
	tcase_add_test(tc, refuse_bad_text);
	tcase_add_test(tc, refuse_path_too_long);
	tcase_add_test(tc, refuse_bad_lines);
	tcase_add_test(tc, refuse_bad_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, load_files);
	tcase_add_test(tc, write_round_trip);
	tcase_add_test(tc, write_comments_every_key);
	tcase_add_test(tc, write_refusals);
	tcase_add_test(tc, write_leaves_no_temp);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(config_suite)
