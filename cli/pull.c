/*
 * hrpost pull: one round of the console's pull by hand (orders/pull.h):
 * fetch the sealed rows the intake node holds for this centre, open and
 * apply each (orders/inbox.h), acknowledge them.  The same round the
 * console daemon runs every [console] pull_interval seconds; useful from
 * cron, after an outage, or to see at once what came in.
 *
 * stderr: one line per quarantined row (its outbox id and the reason,
 * never personal data) and a summary "pulled N: M orders, K messages,
 * J duplicates, R rejected".  Exit 0 when the round completed, 1 when it
 * failed (the reason names the URL, never the token).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "orders/inbox.h"
#include "orders/pull.h"

static void
pull_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] pull [--from URL] "
	    "[--passphrase-file FILE]\n"
	    "\n"
	    "Fetch the sealed orders and SMS the intake node holds for this\n"
	    "centre, open them, record them in centre.db and acknowledge\n"
	    "them.\n"
	    "  --from URL              the intake node (default: [console]\n"
	    "                          intake_url)\n"
	    "  --passphrase-file FILE  passphrase for the private key\n");
}

static void
on_row(const struct inbox_item *in, const struct inbox_result *res,
    void *arg)
{
	const struct cli *c = arg;

	if (res->outcome == INBOX_REJECTED)
		cli_errx(c, "outbox row %lld quarantined: %s",
		    (long long)in->id, res->why);
}

int
cli_pull(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct inbox_config ic;
	struct pull_config pc;
	struct pull_stats stats;
	const char *from = NULL;
	char errbuf[512];
	int ch, rc = CLI_FAIL, curl_up = 0;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			pull_usage(stdout);
			return CLI_OK;
		default:
			pull_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		pull_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_CONFIG) < 0)
		return CLI_FAIL;
	if (from == NULL)
		from = c->cfg.console_intake_url;
	/* Before the passphrase is asked for: a typo fails at once. */
	if (pull_check(from, NULL, errbuf, sizeof(errbuf)) != 0) {
		cli_errx(c, "%s", errbuf);
		/* A bad --from is a usage error; a bad config a failure. */
		return from == c->cfg.console_intake_url ? CLI_FAIL : CLI_USAGE;
	}
	if (c->cfg.console_intake_token[0] == '\0') {
		cli_errx(c, "no token for the intake node: set [console] "
		    "intake_token (or [intake] token) in %s", c->cfg.path);
		return CLI_FAIL;
	}
	if (pull_check(from, c->cfg.console_intake_token, errbuf,
	    sizeof(errbuf)) != 0) {
		cli_errx(c, "%s", errbuf);
		return CLI_FAIL;
	}
	if (cli_open(c, CLI_NEED_CATALOGUE | CLI_NEED_STORE | CLI_NEED_KEY) < 0)
		return CLI_FAIL;
	if (pull_global_init() != 0) {
		cli_errx(c, "cannot start libcurl");
		return CLI_FAIL;
	}
	curl_up = 1;

	memset(&ic, 0, sizeof(ic));
	ic.st = c->st;
	ic.key = c->key;
	ic.cat = c->cat;
	ic.centre_id = c->centre_id;
	ic.centre = c->cfg.centre;
	ic.default_lang = c->cfg.lang;
	ic.flag_qty = c->cfg.flag_qty;
	ic.flag_days = c->cfg.flag_days;
	memset(&pc, 0, sizeof(pc));
	pc.url = from;
	pc.token = c->cfg.console_intake_token;
	pc.ca_file = c->cfg.console_ca_file;
	pc.on_row = on_row;
	pc.arg = c;

	if (pull_run(&pc, &ic, &stats, errbuf, sizeof(errbuf)) != 0) {
		cli_errx(c, "pull: %s", errbuf);
		if (stats.pulled > 0)
			fprintf(stderr, "pulled %d before the failure: %d "
			    "orders, %d messages, %d duplicates, %d rejected\n",
			    stats.pulled, stats.orders, stats.messages,
			    stats.duplicates, stats.rejected);
		goto out;
	}
	fprintf(stderr, "pulled %d: %d orders, %d messages, %d duplicates, "
	    "%d rejected\n", stats.pulled, stats.orders, stats.messages,
	    stats.duplicates, stats.rejected);
	rc = CLI_OK;
out:
	if (curl_up)
		pull_global_cleanup();
	return rc;
}
