/*
 * hrpost init: create a state directory that works at once.  Config file,
 * the follow-up rules (followup.ini), the centre's key pair, centre.db
 * with the centre row and the catalogue, intake.db; with --demo, a demo
 * centre, a demo staff login, demo stock for every item and a key without
 * passphrase so a newcomer can try everything unattended.
 *
 * The config file is written last and marks a finished init: a failure on
 * the way removes what this run created, so a second try starts clean.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "crypto/key.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "orders/followup.h"
#include "orders/outbox.h"
#include "base/clock.h"
#include "orders/store.h"
#include "shipping/catalogue.h"
#include "shipping/stock.h"

#define DEMO_CENTRE "demo"
#define DEMO_CENTRE_NAME "Centre de démonstration"
#define DEMO_LOGIN "demo"
#define DEMO_PASSWORD "demo-hrpost"
#define PASSPHRASE_MIN 12
#define INIT_SECRET_DIGITS 32
#define DEMO_FRESH_DAYS 548	/* naloxone: about 18 months ahead */
#define DEMO_EXPIRED_DAYS 45	/* the demo's expired lot, days ago */
#define DEMO_EXPIRED_QTY 6
#define DEMO_STOCK_LOWS 5	/* other items: five times the threshold */
#define DEMO_STOCK_MIN 50

static void
init_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] init [--demo] [--centre CODE] [--name NAME]\n"
	    "                        [--passphrase-file FILE]\n"
	    "\n"
	    "Create DIR (default ./var): hrpost.conf, keys/centre.key and\n"
	    "keys/centre.pub, centre.db with the centre and the catalogue,\n"
	    "intake.db, followup.ini (the call-back rules, commented).\n"
	    "\n"
	    "  --demo                  demo centre '%s', staff login '%s'\n"
	    "                          (password '%s'), demo stock for every\n"
	    "                          item (one naloxone lot already expired,\n"
	    "                          to show it is never packed), and a key\n"
	    "                          WITHOUT passphrase (mode 0600): for trying\n"
	    "                          hrpost, never for real people's data\n"
	    "  --centre CODE           centre code (a-z 0-9 -; default 'centre')\n"
	    "  --name NAME             centre name shown to staff\n"
	    "  --passphrase-file FILE  passphrase for the private key (first\n"
	    "                          line); else $HRPOST_PASSPHRASE, else asked\n"
	    "                          twice on the terminal\n",
	    DEMO_CENTRE, DEMO_LOGIN, DEMO_PASSWORD);
}

/*
 * Demo stock, so a newcomer can pack at once: one lot of every item
 * without expiry (five times its low threshold, at least DEMO_STOCK_MIN),
 * and for items whose lots expire (naloxone) a lot expiring in about 18
 * months plus one that expired DEMO_EXPIRED_DAYS ago, which packing skips.
 * Lot numbers read like a supplier's: CODE-D2603 (received March 2026),
 * CODE-A2709 (expires September 2027), CODE-X2601 (expired January 2026).
 */
/* "CODE-Lyymm": the item, a letter, the year and month of @t. */
static int
demo_lot(char lot[STOCK_LOT_BYTES], const char *code, char letter, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return str_printf(lot, STOCK_LOT_BYTES, "%s-%c%02d%02d", code, letter,
	    tm.tm_year % 100, tm.tm_mon + 1) < 0 ? -1 : 0;
}

static int
demo_stock(struct cli *c)
{
	time_t today = stock_day(clock_now());
	time_t fresh = today + (time_t)DEMO_FRESH_DAYS * STOCK_DAY;
	time_t expired = today - (time_t)DEMO_EXPIRED_DAYS * STOCK_DAY;
	char errbuf[256], lot[STOCK_LOT_BYTES];
	size_t i;

	for (i = 0; i < catalogue_nitems(c->cat); i++) {
		const struct catalogue_item *it = catalogue_item_at(c->cat, i);
		int qty = it->low * DEMO_STOCK_LOWS;

		if (qty < DEMO_STOCK_MIN)
			qty = DEMO_STOCK_MIN;
		if (!it->expiry) {
			if (demo_lot(lot, it->code, 'D', today) != 0)
				goto toolong;
			if (stock_add_demo(c->st, c->cat, it->code, lot, 0, qty,
			    c->actor, errbuf, sizeof(errbuf)) != STOCK_OK)
				goto fail;
			continue;
		}
		if (demo_lot(lot, it->code, 'A', fresh) != 0)
			goto toolong;
		if (stock_add_demo(c->st, c->cat, it->code, lot, fresh, qty,
		    c->actor, errbuf, sizeof(errbuf)) != STOCK_OK)
			goto fail;
		if (demo_lot(lot, it->code, 'X', expired) != 0)
			goto toolong;
		if (stock_add_demo(c->st, c->cat, it->code, lot, expired,
		    DEMO_EXPIRED_QTY, c->actor, errbuf, sizeof(errbuf)) !=
		    STOCK_OK)
			goto fail;
	}
	return 0;
toolong:
	cli_errx(c, "demo stock: lot number too long");
	return -1;
fail:
	cli_errx(c, "demo stock: %s", errbuf);
	return -1;
}

/* Paths this run created, removed again if it fails. */
struct created {
	char path[6][CONFIG_PATH_MAX + 8];
	size_t n;
};

static void
created_add(struct created *cr, const char *path)
{
	if (cr->n < ARRAY_LEN(cr->path) &&
	    str_copy(cr->path[cr->n], sizeof(cr->path[0]), path) == 0)
		cr->n++;
}

static void
created_undo(struct created *cr)
{
	char side[CONFIG_PATH_MAX + 16];

	while (cr->n > 0) {
		const char *p = cr->path[--cr->n];

		(void)unlink(p);
		if (str_printf(side, sizeof(side), "%s-wal", p) >= 0)
			(void)unlink(side);
		if (str_printf(side, sizeof(side), "%s-shm", p) >= 0)
			(void)unlink(side);
	}
}

static int
valid_centre_code(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return 1;
}

static int
make_dir(const struct cli *c, const char *path)
{
	struct stat sb;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	cli_errx(c, "cannot create directory %s: %s", path, strerror(errno));
	return -1;
}

static int
new_key(struct cli *c, int demo, const char *passfile, struct created *cr)
{
	struct centre_key *key = NULL;
	enum key_status ks;
	char *pass = NULL;
	int none = 0, rc = -1;

	if (!demo) {
		pass = cli_passphrase(c, passfile, "new passphrase for the "
		    "centre's private key: ", 1, &none);
		if (pass == NULL) {
			if (none)
				cli_errx(c, "a passphrase is needed for the "
				    "private key: give it with "
				    "--passphrase-file FILE, $HRPOST_PASSPHRASE "
				    "or on a terminal (or use --demo to try "
				    "hrpost)");
			goto out;
		}
		if (strlen(pass) < PASSPHRASE_MIN) {
			cli_errx(c, "passphrase: at least %d characters, "
			    "please", PASSPHRASE_MIN);
			goto out;
		}
	}
	key = key_generate();
	if (key == NULL) {
		cli_errx(c, "cannot generate a key pair");
		goto out;
	}
	ks = key_save(key, c->cfg.private_key, c->cfg.public_key, pass,
	    pass != NULL ? strlen(pass) : 0);
	if (ks != KEY_OK) {
		cli_errx(c, "%s: %s", c->cfg.private_key, key_strerror(ks));
		goto out;
	}
	created_add(cr, c->cfg.private_key);
	created_add(cr, c->cfg.public_key);
	rc = 0;
out:
	key_free(key);
	str_wipe_free(pass);
	return rc;
}

int
cli_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "demo", no_argument, NULL, 'D' },
		{ "centre", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct created cr = { .n = 0 };
	struct outbox *ob = NULL;
	const char *centre = NULL, *name = NULL, *passfile = NULL;
	char conf[CONFIG_PATH_MAX + 16], keys[CONFIG_PATH_MAX + 16];
	char rules[CONFIG_PATH_MAX + 16];
	char tmpl[CONFIG_PATH_MAX], absdir[PATH_MAX], errbuf[512];
	char pwhash[PASSWORD_HASH_MAX];
	int ch, demo = 0, rc = CLI_FAIL;
	int64_t centre_id;
	struct stat sb;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'D':
			demo = 1;
			break;
		case 'c':
			centre = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'p':
			passfile = optarg;
			break;
		case 'h':
			init_usage(stdout);
			return CLI_OK;
		default:
			init_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		init_usage(stderr);
		return CLI_USAGE;
	}
	if (centre == NULL)
		centre = demo ? DEMO_CENTRE : "centre";
	if (name == NULL)
		name = demo ? DEMO_CENTRE_NAME : centre;
	if (!valid_centre_code(centre)) {
		cli_errx(c, "--centre: 1 to 32 characters among a-z, 0-9 "
		    "and '-'");
		return CLI_USAGE;
	}
	if (strlen(name) == 0 || utf8_len(name) > 80 ||
	    !utf8_valid(name, strlen(name)) || utf8_has_control(name)) {
		cli_errx(c, "--name: 1 to 80 printable characters");
		return CLI_USAGE;
	}

	if (make_dir(c, c->dir) < 0)
		return CLI_FAIL;
	if (realpath(c->dir, absdir) == NULL ||
	    str_printf(conf, sizeof(conf), "%s/hrpost.conf", absdir) < 0 ||
	    str_printf(keys, sizeof(keys), "%s/keys", absdir) < 0) {
		cli_errx(c, "%s: cannot resolve the path", c->dir);
		return CLI_FAIL;
	}
	if (stat(conf, &sb) == 0) {
		cli_errx(c, "%s already holds an hrpost state (%s); nothing "
		    "changed", c->dir, conf);
		return CLI_FAIL;
	}
	if (make_dir(c, keys) < 0)
		return CLI_FAIL;
	if (cli_templates_dir(tmpl, sizeof(tmpl)) < 0) {
		cli_errx(c, "cannot find the templates directory");
		return CLI_FAIL;
	}
	config_defaults(&c->cfg, absdir, tmpl);
	if (str_copy(c->cfg.centre, sizeof(c->cfg.centre), centre) < 0)
		return CLI_FAIL;
	/*
	 * The secrets between the daemons and Kannel: 32 random base32
	 * characters (160 bits) each, written to the config file (mode 0640,
	 * in a 0700 directory).  Both daemons start on one machine by
	 * default, so the console gets the intake node's token.
	 */
	if (token_new(c->cfg.intake_token, sizeof(c->cfg.intake_token),
	    INIT_SECRET_DIGITS) != TOKEN_OK ||
	    token_new(c->cfg.sms_secret, sizeof(c->cfg.sms_secret),
	    INIT_SECRET_DIGITS) != TOKEN_OK ||
	    str_copy(c->cfg.console_intake_token,
	    sizeof(c->cfg.console_intake_token), c->cfg.intake_token) < 0) {
		cli_errx(c, "cannot generate the daemons' secrets");
		return CLI_FAIL;
	}

	c->cat = catalogue_load(c->cfg.templates, errbuf, sizeof(errbuf));
	if (c->cat == NULL) {
		cli_errx(c, "catalogue: %s", errbuf);
		return CLI_FAIL;
	}
	if (stat(c->cfg.centre_db, &sb) == 0 ||
	    stat(c->cfg.intake_db, &sb) == 0) {
		cli_errx(c, "%s or %s exists without %s: move it away first",
		    c->cfg.centre_db, c->cfg.intake_db, conf);
		return CLI_FAIL;
	}

	if (new_key(c, demo, passfile, &cr) < 0)
		goto out;

	c->st = store_open(c->cfg.centre_db, errbuf, sizeof(errbuf));
	if (c->st == NULL) {
		cli_errx(c, "%s: %s", c->cfg.centre_db, errbuf);
		goto out;
	}
	created_add(&cr, c->cfg.centre_db);
	if (store_centre_add(c->st, centre, name, c->actor, &centre_id) !=
	    STORE_OK ||
	    store_catalogue_sync(c->st, c->cat, c->actor) != STORE_OK) {
		cli_errx(c, "%s: %s", c->cfg.centre_db, store_errmsg(c->st));
		goto out;
	}
	if (demo) {
		if (password_hash(DEMO_PASSWORD, pwhash) < 0) {
			cli_errx(c, "cannot hash the demo password");
			goto out;
		}
		if (store_staff_add(c->st, centre_id, DEMO_LOGIN, STAFF_ADMIN,
		    pwhash, c->actor) != STORE_OK) {
			cli_errx(c, "%s: %s", c->cfg.centre_db,
			    store_errmsg(c->st));
			goto out;
		}
		if (demo_stock(c) < 0)
			goto out;
	}
	ob = outbox_open(c->cfg.intake_db, errbuf, sizeof(errbuf));
	if (ob == NULL) {
		cli_errx(c, "%s: %s", c->cfg.intake_db, errbuf);
		goto out;
	}
	created_add(&cr, c->cfg.intake_db);

	/* The follow-up rules, commented: a file the centre edits. */
	if (str_printf(rules, sizeof(rules), "%s/%s", absdir,
	    FOLLOWUP_RULES_FILE) < 0) {
		cli_errx(c, "%s: path too long", absdir);
		goto out;
	}
	if (followup_rules_write(rules, errbuf, sizeof(errbuf)) != 0) {
		cli_errx(c, "%s", errbuf);
		goto out;
	}
	created_add(&cr, rules);

	if (config_write(&c->cfg, conf, errbuf, sizeof(errbuf)) < 0) {
		cli_errx(c, "%s", errbuf);
		goto out;
	}
	fprintf(stderr, "hrpost: initialised %s for centre '%s'%s\n", absdir,
	    centre, demo ? " (demo: key without passphrase)" : "");
	if (demo)
		fprintf(stderr, "hrpost: demo staff login: %s / %s\n",
		    DEMO_LOGIN, DEMO_PASSWORD);
	rc = CLI_OK;
out:
	outbox_close(ob);
	if (rc != CLI_OK) {
		store_close(c->st);
		c->st = NULL;
		created_undo(&cr);
	}
	return rc;
}
