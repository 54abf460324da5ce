/*
 * hrpost audit verify: walk the audit hash chain of centre.db and say
 * whether it is intact, or which entry is the first bad one.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "orders/store.h"

static void
audit_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] audit verify\n"
	    "\n"
	    "Recompute the audit chain of centre.db.  Exit 0 when intact; exit 1\n"
	    "naming the first entry that was edited, deleted or moved.\n");
}

int
cli_audit(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_audit_report rep;
	int ch;

	for (;;) {
		ch = getopt_long(argc, argv, "+h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'h':
			audit_usage(stdout);
			return CLI_OK;
		default:
			audit_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind >= argc || strcmp(argv[optind], "verify") != 0) {
		audit_usage(stderr);
		return CLI_USAGE;
	}
	optind++;
	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		audit_usage(ch == 'h' ? stdout : stderr);
		return ch == 'h' ? CLI_OK : CLI_USAGE;
	}
	if (optind != argc) {
		audit_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	memset(&rep, 0, sizeof(rep));
	if (store_audit_verify(c->st, &rep) != STORE_OK) {
		cli_errx(c, "audit: %s", store_errmsg(c->st));
		return CLI_FAIL;
	}
	if (rep.bad_id != 0) {
		printf("audit: chain BROKEN at entry %lld: %s (%lld entries "
		    "before it verified)\n", (long long)rep.bad_id, rep.why,
		    (long long)rep.checked);
		return CLI_FAIL;
	}
	printf("audit: chain intact, %lld entries verified\n",
	    (long long)rep.checked);
	return CLI_OK;
}
