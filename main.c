/*
 * hrpost: one binary for the command line and (later) both daemons.  This
 * file only parses the global options, sets up the shared context and
 * dispatches to the subcommand in cli/.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define HRPOST_VERSION "0.1.0"

static const struct subcommand {
	const char *name;
	int (*run)(struct cli *, int, char **);
	const char *summary;
} subcommands[] = {
	{ "init", cli_init, "create the state directory, keys and databases" },
	{ "keygen", cli_keygen, "write a new centre key pair" },
	{ "order", cli_order, "add, show or cancel an order" },
	{ "queue", cli_queue, "list orders by status" },
	{ "audit", cli_audit, "verify the audit chain" },
	{ "intake", cli_intake, "run the public intake daemon" },
	{ "console", cli_console, "run the centre's console daemon" },
	{ "pull", cli_pull, "fetch sealed orders from the intake node once" },
	{ "catalogue", cli_catalogue, "list the packs and items" },
	{ "stock", cli_stock, "show stock, or add a lot" },
	{ "pick", cli_pick, "pick list for a batch of accepted orders" },
	{ "pack", cli_pack, "mark an order packed (takes stock)" },
	{ "ship", cli_ship, "mark an order shipped" },
	{ "label", cli_label, "print labels and packing slips" },
	{ "track", cli_track, "poll the carrier for shipped parcels" },
	{ "delivered", cli_delivered, "mark a parcel delivered by hand" },
	{ "returned", cli_returned, "mark a parcel returned by hand" },
	{ "callbacks", cli_callbacks, "call-backs due today and overdue" },
	{ "callback", cli_callback, "record the outcome of a call-back" },
	{ "report", cli_report, "volume reports without personal data" },
	{ "staff", cli_staff, "add, change or disable staff logins" },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] SUBCOMMAND [OPTIONS]\n"
	    "\n"
	    "  -d, --dir DIR   state directory (default $HRPOST_DIR, else ./var)\n"
	    "  -h, --help      this help; SUBCOMMAND --help for its options\n"
	    "  -V, --version   print the version\n"
	    "\nsubcommands:\n");
	for (size_t i = 0; i < ARRAY_LEN(subcommands); i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
		    subcommands[i].summary);
}

/*
 * Who is acting, for the audit chain: the login of the user running the
 * command.  Staff logins come with the console; on the command line the
 * operating system account is what we know.
 */
static void
set_actor(struct cli *c)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *name = pw != NULL ? pw->pw_name : NULL;

	if (name == NULL ||
	    str_printf(c->actor, sizeof(c->actor), "cli:%s", name) < 0) {
		if (str_printf(c->actor, sizeof(c->actor), "cli:uid%ld",
		    (long)getuid()) < 0)
			c->actor[0] = '\0';
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	const char *dir = getenv("HRPOST_DIR");
	int ch, rc;

	memset(&c, 0, sizeof(c));
	c.prog = "hrpost";
	/* Nothing we create is for anyone else: keys, databases, labels. */
	umask(077);

	/* '+': stop at the subcommand, whose options are its own. */
	for (;;) {
		ch = getopt_long(argc, argv, "+d:hV", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		case 'V':
			printf("hrpost %s\n", HRPOST_VERSION);
			return CLI_OK;
		default:
			usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (dir == NULL || *dir == '\0')
		dir = "./var";
	if (str_copy(c.dir, sizeof(c.dir), dir) < 0) {
		fprintf(stderr, "hrpost: state directory path too long\n");
		return CLI_USAGE;
	}
	set_actor(&c);

	argc -= optind;
	argv += optind;
	for (size_t i = 0; i < ARRAY_LEN(subcommands); i++) {
		if (strcmp(argv[0], subcommands[i].name) != 0)
			continue;
		optind = 0;	/* glibc: reinitialise getopt for the subcommand */
		rc = subcommands[i].run(&c, argc, argv);
		cli_close(&c);
		return rc;
	}
	fprintf(stderr, "hrpost: unknown subcommand '%s'\n\n", argv[0]);
	usage(stderr);
	return CLI_USAGE;
}
