/*
 * What the subcommands share: opening the config, catalogue, store and
 * private key in the right order with clear messages; reading a passphrase
 * the three ways (file, environment, terminal); terminal prompts; CSV.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "crypto/key.h"
#include "orders/store.h"
#include "shipping/catalogue.h"

#define PASSPHRASE_MAX 1024

void
cli_errx(const struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c != NULL && c->prog != NULL ? c->prog :
	    "hrpost");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_interactive(void)
{
	return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

int
cli_prompt(const char *prompt, char *buf, size_t bufsz)
{
	size_t n;

	fputs(prompt, stderr);
	fflush(stderr);
	if (fgets(buf, (int)bufsz, stdin) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n') {
		buf[--n] = '\0';
	} else if (!feof(stdin)) {
		/* Line longer than the buffer: drain it, refuse it. */
		int ch;

		do
			ch = getchar();
		while (ch != EOF && ch != '\n');
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

/* Read one line from the terminal with echo off. */
static char *
read_tty_secret(const char *prompt)
{
	struct termios old, quiet;
	char *buf = NULL;
	int fd, restored = 0;
	size_t n = 0;

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
	buf = calloc(1, PASSPHRASE_MAX + 1);
	if (buf == NULL)
		goto out;
	while (n < PASSPHRASE_MAX) {
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

/* First line of @path, refusing symlinks and anything large. */
static char *
read_passphrase_file(const struct cli *c, const char *path)
{
	char *buf = NULL;
	ssize_t r;
	size_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		cli_errx(c, "--passphrase-file %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = calloc(1, PASSPHRASE_MAX + 2);
	if (buf == NULL)
		goto out;
	while (n < PASSPHRASE_MAX + 1) {
		r = read(fd, buf + n, PASSPHRASE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) > PASSPHRASE_MAX) {
		cli_errx(c, "--passphrase-file %s: passphrase longer than %d "
		    "bytes", path, PASSPHRASE_MAX);
		mem_wipe_free(buf, PASSPHRASE_MAX + 2);
		buf = NULL;
	}
out:
	close(fd);
	return buf;
}

char *
cli_passphrase(const struct cli *c, const char *file, const char *prompt,
    int confirm, int *none)
{
	const char *env = getenv("HRPOST_PASSPHRASE");
	char *p, *again;

	*none = 0;
	if (file != NULL)
		return read_passphrase_file(c, file);
	if (env != NULL && *env != '\0') {
		if (strlen(env) > PASSPHRASE_MAX) {
			cli_errx(c, "$HRPOST_PASSPHRASE is longer than %d bytes",
			    PASSPHRASE_MAX);
			return NULL;
		}
		return str_dup(env);
	}
	if (!isatty(STDIN_FILENO) && access("/dev/tty", R_OK | W_OK) != 0) {
		*none = 1;
		return NULL;
	}
	p = read_tty_secret(prompt);
	if (p == NULL) {
		*none = 1;
		return NULL;
	}
	if (confirm) {
		again = read_tty_secret("again: ");
		if (again == NULL || strcmp(p, again) != 0) {
			cli_errx(c, "the two passphrases differ");
			str_wipe_free(again);
			str_wipe_free(p);
			return NULL;
		}
		str_wipe_free(again);
	}
	return p;
}

/*
 * Templates: $HRPOST_TEMPLATES, else the source tree next to the binary
 * (build/hrpost -> ./templates), else the installed copy under DATADIR.
 */
int
cli_templates_dir(char *out, size_t outsz)
{
	const char *env = getenv("HRPOST_TEMPLATES");
	char exe[PATH_MAX], cand[PATH_MAX + 32];
	struct stat sb;
	ssize_t n;

	if (env != NULL && *env != '\0')
		return realpath(env, out) != NULL && strlen(out) < outsz ? 0 :
		    -1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			if (str_printf(cand, sizeof(cand),
			    "%s/../templates/packs.ini", exe) >= 0 &&
			    stat(cand, &sb) == 0) {
				cand[strlen(cand) - strlen("/packs.ini")] = '\0';
				char real[PATH_MAX];
				if (realpath(cand, real) != NULL)
					return str_copy(out, outsz, real);
			}
		}
	}
	return str_copy(out, outsz, HRPOST_DATADIR "/templates");
}

static int
open_key(struct cli *c)
{
	enum key_status ks;
	char *pass = NULL;
	int none = 0;

	/* An unencrypted (demo) key needs no passphrase: try that first. */
	if (c->passphrase_file == NULL && getenv("HRPOST_PASSPHRASE") == NULL) {
		ks = key_load_private(c->cfg.private_key, NULL, 0, &c->key);
		if (ks == KEY_OK)
			return 0;
		if (ks != KEY_ERR_PASSPHRASE) {
			cli_errx(c, "%s: %s", c->cfg.private_key,
			    key_strerror(ks));
			return -1;
		}
	}
	pass = cli_passphrase(c, c->passphrase_file, "passphrase for the "
	    "centre's private key: ", 0, &none);
	if (pass == NULL) {
		if (none)
			cli_errx(c, "%s is encrypted: give its passphrase with "
			    "--passphrase-file FILE, $HRPOST_PASSPHRASE or on "
			    "a terminal", c->cfg.private_key);
		return -1;
	}
	ks = key_load_private(c->cfg.private_key, pass, strlen(pass), &c->key);
	str_wipe_free(pass);
	if (ks != KEY_OK) {
		cli_errx(c, "%s: %s", c->cfg.private_key, key_strerror(ks));
		return -1;
	}
	return 0;
}

int
cli_open(struct cli *c, int need)
{
	char path[CONFIG_PATH_MAX + 16], tmpl[CONFIG_PATH_MAX];
	char errbuf[512];
	struct stat sb;

	if (need & CLI_NEED_CONFIG) {
		if (str_printf(path, sizeof(path), "%s/hrpost.conf",
		    c->dir) < 0) {
			cli_errx(c, "state directory path too long");
			return -1;
		}
		if (stat(path, &sb) != 0) {
			cli_errx(c, "no hrpost state in %s (%s): run "
			    "'hrpost -d %s init' first", c->dir,
			    strerror(errno), c->dir);
			return -1;
		}
		if (cli_templates_dir(tmpl, sizeof(tmpl)) < 0)
			tmpl[0] = '\0';
		config_defaults(&c->cfg, c->dir, tmpl);
		if (config_load(&c->cfg, path, errbuf, sizeof(errbuf)) < 0) {
			cli_errx(c, "%s", errbuf);
			return -1;
		}
	}
	if ((need & CLI_NEED_CATALOGUE) == CLI_NEED_CATALOGUE) {
		c->cat = catalogue_load(c->cfg.templates, errbuf,
		    sizeof(errbuf));
		if (c->cat == NULL) {
			cli_errx(c, "catalogue: %s", errbuf);
			return -1;
		}
	}
	if ((need & CLI_NEED_STORE) == CLI_NEED_STORE) {
		c->st = store_open(c->cfg.centre_db, errbuf, sizeof(errbuf));
		if (c->st == NULL) {
			cli_errx(c, "%s: %s", c->cfg.centre_db, errbuf);
			return -1;
		}
		if (store_centre_find(c->st, c->cfg.centre, &c->centre_id) !=
		    STORE_OK) {
			cli_errx(c, "centre '%s' (config [hrpost] centre) is "
			    "not in %s", c->cfg.centre, c->cfg.centre_db);
			return -1;
		}
	}
	if ((need & CLI_NEED_KEY) == CLI_NEED_KEY && open_key(c) < 0)
		return -1;
	return 0;
}

void
cli_close(struct cli *c)
{
	key_free(c->key);
	c->key = NULL;
	store_close(c->st);
	c->st = NULL;
	catalogue_free(c->cat);
	c->cat = NULL;
}

void
cli_csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int
cli_format_parse(const struct cli *c, const char *arg, unsigned allowed,
    enum cli_format *out)
{
	static const struct {
		const char *name;
		enum cli_format fmt;
	} names[] = {
		{ "table", CLI_FMT_TABLE }, { "csv", CLI_FMT_CSV },
		{ "json", CLI_FMT_JSON },
	};
	char list[64] = "";
	size_t used = 0;

	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		if (!(allowed & (1u << names[i].fmt)))
			continue;
		if (strcmp(arg, names[i].name) == 0) {
			*out = names[i].fmt;
			return 0;
		}
		if (str_printf(list + used, sizeof(list) - used, "%s%s",
		    used > 0 ? ", " : "", names[i].name) > 0)
			used = strlen(list);
	}
	cli_errx(c, "--format: one of %s", list);
	return -1;
}

int
cli_json_print(const struct cli *c, struct json_t *root)
{
	char *s;

	s = root != NULL ? json_dumps(root, JSON_INDENT(2)) : NULL;
	if (s == NULL) {
		cli_errx(c, "cannot format the output as JSON");
		return -1;
	}
	printf("%s\n", s);
	str_wipe_free(s);
	return 0;
}
