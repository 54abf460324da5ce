/*
 * hrpost keygen: write a new centre key pair.  It never overwrites: a
 * centre's data is sealed to its key, and losing the private key loses the
 * data.  Rotating keys (re-sealing every blob) is a separate operation.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "crypto/key.h"

static void
keygen_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] keygen [--private FILE] [--public FILE]\n"
	    "                          [--no-passphrase] [--passphrase-file FILE]\n"
	    "\n"
	    "Write a new X25519 key pair.  Defaults: the paths in DIR/hrpost.conf,\n"
	    "else DIR/keys/centre.key and DIR/keys/centre.pub.  Existing files\n"
	    "are never overwritten.  The private key is encrypted with a\n"
	    "passphrase (from --passphrase-file, $HRPOST_PASSPHRASE, or asked\n"
	    "twice on the terminal) unless --no-passphrase.\n");
}

int
cli_keygen(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "private", required_argument, NULL, 'k' },
		{ "public", required_argument, NULL, 'P' },
		{ "no-passphrase", no_argument, NULL, 'N' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *priv = NULL, *pub = NULL, *passfile = NULL;
	struct centre_key *key = NULL;
	char conf[CONFIG_PATH_MAX + 16], errbuf[512];
	char *pass = NULL;
	int ch, nopass = 0, none = 0, rc = CLI_FAIL;
	enum key_status ks;
	struct stat sb;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'k':
			priv = optarg;
			break;
		case 'P':
			pub = optarg;
			break;
		case 'N':
			nopass = 1;
			break;
		case 'p':
			passfile = optarg;
			break;
		case 'h':
			keygen_usage(stdout);
			return CLI_OK;
		default:
			keygen_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc || (nopass && passfile != NULL)) {
		keygen_usage(stderr);
		return CLI_USAGE;
	}
	config_defaults(&c->cfg, c->dir, "");
	if (str_printf(conf, sizeof(conf), "%s/hrpost.conf", c->dir) < 0) {
		cli_errx(c, "state directory path too long");
		return CLI_USAGE;
	}
	if (stat(conf, &sb) == 0 &&
	    config_load(&c->cfg, conf, errbuf, sizeof(errbuf)) < 0) {
		cli_errx(c, "%s", errbuf);
		return CLI_FAIL;
	}
	if (priv == NULL)
		priv = c->cfg.private_key;
	if (pub == NULL)
		pub = c->cfg.public_key;

	if (!nopass) {
		pass = cli_passphrase(c, passfile, "new passphrase for the "
		    "private key: ", 1, &none);
		if (pass == NULL) {
			if (none)
				cli_errx(c, "a passphrase is needed: give it "
				    "with --passphrase-file FILE, "
				    "$HRPOST_PASSPHRASE or on a terminal, or "
				    "use --no-passphrase");
			goto out;
		}
	}
	key = key_generate();
	if (key == NULL) {
		cli_errx(c, "cannot generate a key pair");
		goto out;
	}
	ks = key_save(key, priv, pub, pass, pass != NULL ? strlen(pass) : 0);
	if (ks != KEY_OK) {
		cli_errx(c, "%s: %s", priv, key_strerror(ks));
		goto out;
	}
	fprintf(stderr, "hrpost: wrote %s (private, mode 0600%s) and %s\n",
	    priv, pass == NULL ? ", NO passphrase" : ", encrypted", pub);
	rc = CLI_OK;
out:
	key_free(key);
	str_wipe_free(pass);
	return rc;
}
