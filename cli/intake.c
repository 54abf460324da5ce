/*
 * hrpost intake: the public intake daemon in the foreground.  Start-up in
 * the order privilege separation wants: block the stop signals (before any
 * thread exists, so every thread inherits the mask), do everything
 * privileged (public key, templates, intake.db, bind), drop to the
 * configured user when root and check the drop held, then serve until
 * SIGTERM or SIGINT, and stop cleanly: exit 0.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "server/http.h"
#include "server/intake.h"
#include "server/privdrop.h"

static void
intake_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] intake [--listen ADDR:PORT]\n"
	    "\n"
	    "Run the public intake daemon in the foreground: the order form,\n"
	    "/order, /sms for Kannel, /outbox for the console, /healthz.\n"
	    "ADDR:PORT defaults to [intake] listen (IPv6: [ADDR]:PORT).\n"
	    "Started as root, it binds, opens its files, then runs as\n"
	    "[intake] user.  SIGTERM or SIGINT stop it.\n");
}

int
cli_intake(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct intake *in = NULL;
	const char *listen = NULL;
	char errbuf[512];
	sigset_t set;
	int ch, sig, rc = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 'h':
			intake_usage(stdout);
			return CLI_OK;
		default:
			intake_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		intake_usage(stderr);
		return CLI_USAGE;
	}
	if (http_signals_block(&set) != 0) {
		cli_errx(c, "cannot block signals");
		return CLI_FAIL;
	}
	if (cli_open(c, CLI_NEED_CONFIG) < 0)
		return CLI_FAIL;
	in = intake_open(&c->cfg, listen, errbuf, sizeof(errbuf));
	if (in == NULL) {
		cli_errx(c, "intake: %s", errbuf);
		goto out;
	}
	if (privdrop_drop("intake", c->cfg.intake_user, errbuf,
	    sizeof(errbuf)) != 0) {
		cli_errx(c, "intake: %s", errbuf);
		goto out;
	}
	if (intake_start(in, errbuf, sizeof(errbuf)) != 0) {
		cli_errx(c, "intake: %s", errbuf);
		goto out;
	}
	fprintf(stderr, "intake: listening on %s (port %u)\n",
	    listen != NULL ? listen : c->cfg.intake_listen,
	    (unsigned)intake_port(in));
	sig = http_signals_wait(&set, -1);
	if (sig < 0) {
		cli_errx(c, "intake: waiting for signals failed");
		goto out;
	}
	fprintf(stderr, "intake: signal %d, stopping\n", sig);
	rc = CLI_OK;
out:
	intake_close(in);
	return rc;
}
