/*
 * hrpost console: run the centre's console daemon in the foreground
 * (server/console.h).  The private key is unlocked first (the passphrase
 * from --passphrase-file, $HRPOST_PASSPHRASE or the terminal, as every
 * subcommand that opens it), then everything privileged is done (port,
 * centre.db, CA file), then privileges are dropped to [console] user when
 * started as root, and only then does it serve and pull.  SIGTERM or
 * SIGINT stops it cleanly (exit 0); SIGHUP is ignored.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "orders/pull.h"
#include "server/console.h"
#include "server/http.h"
#include "server/privdrop.h"

static void
console_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] console [--listen ADDR:PORT] "
	    "[--passphrase-file FILE]\n"
	    "\n"
	    "Run the centre's console daemon in the foreground: it pulls\n"
	    "sealed orders from the intake node every [console] pull_interval\n"
	    "seconds (and pushes status changes back for the tracking pages),\n"
	    "runs the follow-up scheduler (followup.ini: call-back tasks, SMS\n"
	    "invitations, the daily digest), polls La Poste every [laposte]\n"
	    "poll_interval seconds when [laposte] key is set, and answers\n"
	    "GET /healthz.  SIGTERM stops it.\n"
	    "  --listen ADDR:PORT      where to listen (default: [console]\n"
	    "                          listen)\n"
	    "  --passphrase-file FILE  passphrase for the private key\n");
}

int
cli_console(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct console *con = NULL;
	const char *listen = NULL;
	char errbuf[512];
	sigset_t set;
	int ch, sig, rc = CLI_FAIL, curl_up = 0;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			console_usage(stdout);
			return CLI_OK;
		default:
			console_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		console_usage(stderr);
		return CLI_USAGE;
	}
	/* The passphrase prompt, if any, can still be interrupted. */
	if (cli_open(c, CLI_NEED_CATALOGUE | CLI_NEED_KEY) < 0)
		return CLI_FAIL;
	/* No thread exists yet: those started later inherit the mask. */
	if (http_signals_block(&set) != 0) {
		cli_errx(c, "cannot block signals");
		return CLI_FAIL;
	}
	if (pull_global_init() != 0) {
		cli_errx(c, "cannot start libcurl");
		return CLI_FAIL;
	}
	curl_up = 1;
	con = console_open(&c->cfg, listen, c->cat, c->key, errbuf,
	    sizeof(errbuf));
	if (con == NULL) {
		cli_errx(c, "console: %s", errbuf);
		goto out;
	}
	if (privdrop_drop("console", c->cfg.console_user, errbuf,
	    sizeof(errbuf)) != 0) {
		cli_errx(c, "console: cannot drop privileges: %s", errbuf);
		goto out;
	}
	if (console_start(con, errbuf, sizeof(errbuf)) != 0) {
		cli_errx(c, "console: %s", errbuf);
		goto out;
	}
	fprintf(stderr, "console: listening on port %u, pulling from %s "
	    "every %d s\n", (unsigned)console_port(con),
	    c->cfg.console_intake_url, c->cfg.pull_interval);
	for (;;) {
		sig = http_signals_wait(&set, -1);
		if (sig == SIGHUP)
			continue;
		if (sig < 0) {
			cli_errx(c, "console: waiting for signals failed");
			goto out;
		}
		break;
	}
	fprintf(stderr, "console: stopping (signal %d)\n", sig);
	rc = CLI_OK;
out:
	console_close(con);
	if (curl_up)
		pull_global_cleanup();
	if (rc == CLI_OK)
		fprintf(stderr, "console: stopped\n");
	return rc;
}
