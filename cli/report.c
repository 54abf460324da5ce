/*
 * hrpost report: volume figures per week, month, quarter or year, as a
 * table, CSV or JSON (orders/report.h).  Reads the clear columns of
 * centre.db only: no private key is opened and no audit entry is needed.
 * Every refusal of an option names the option and exits 2 before the
 * store is opened.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "orders/report.h"
#include "orders/store.h"

static void
report_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] report --from YYYY-MM-DD --to YYYY-MM-DD\n"
	    "           [--by week|month|quarter|year] "
	    "[--format table|csv|json]\n"
	    "           [--all-centres]\n"
	    "\n"
	    "Parcels, packs and items shipped, by pack, item, departement and\n"
	    "channel; people served, new and returning; days from shipping to\n"
	    "delivery; follow-up calls reached, naloxone uses reported.  Days\n"
	    "run from midnight Europe/Paris, both dates included, at most 20\n"
	    "years (default --by month, --format table).  Figures about fewer\n"
	    "than 5 people show as <5, and the figures that would give one\n"
	    "away as hidden.\n"
	    "--all-centres sums every centre in the database.\n");
}

int
cli_report(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "by", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'F' },
		{ "all-centres", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report_query q = { .by = REPORT_BY_MONTH };
	enum report_format fmt = REPORT_FORMAT_TABLE;
	struct report *r = NULL;
	bool have_from = false, have_to = false, all = false;
	char errbuf[256];
	int ch;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'f':
			if (report_date_parse(optarg, &q.from) != 0) {
				cli_errx(c, "--from: a day as YYYY-MM-DD, "
				    "years %d to %d", REPORT_YEAR_MIN,
				    REPORT_YEAR_MAX);
				return CLI_USAGE;
			}
			have_from = true;
			break;
		case 't':
			if (report_date_parse(optarg, &q.to) != 0) {
				cli_errx(c, "--to: a day as YYYY-MM-DD, "
				    "years %d to %d", REPORT_YEAR_MIN,
				    REPORT_YEAR_MAX);
				return CLI_USAGE;
			}
			have_to = true;
			break;
		case 'b':
			if (report_by_parse(optarg, &q.by) != 0) {
				cli_errx(c, "--by: one of week, month, "
				    "quarter, year");
				return CLI_USAGE;
			}
			break;
		case 'F':
			if (report_format_parse(optarg, &fmt) != 0) {
				cli_errx(c, "--format: one of table, csv, "
				    "json");
				return CLI_USAGE;
			}
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			report_usage(stdout);
			return CLI_OK;
		default:
			report_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		report_usage(stderr);
		return CLI_USAGE;
	}
	if (!have_from || !have_to) {
		cli_errx(c, "%s: required (YYYY-MM-DD)", have_from ? "--to" :
		    "--from");
		return CLI_USAGE;
	}
	if (report_range_check(&q.from, &q.to, errbuf, sizeof(errbuf)) != 0) {
		cli_errx(c, "%s", errbuf);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	q.centre_id = all ? 0 : c->centre_id;
	q.centre = c->cfg.centre;
	if (report_build(c->st, &q, &r, errbuf, sizeof(errbuf)) != REPORT_OK) {
		cli_errx(c, "report: %s", errbuf);
		return CLI_FAIL;
	}
	if (report_write(r, fmt, stdout) != 0) {
		cli_errx(c, "report: cannot write the report");
		report_free(r);
		return CLI_FAIL;
	}
	report_free(r);
	return CLI_OK;
}
