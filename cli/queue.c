/*
 * hrpost queue: the orders waiting for the centre, by status, from the clear
 * columns only (no personal data is opened, so no audit entry is needed).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "orders/store.h"

struct queue_out {
	enum cli_format fmt;
	int open_only;		/* received, accepted, packed */
	size_t n;
	json_t *arr;
};

static void
queue_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] queue [--status S] [--format table|csv|json]\n"
	    "\n"
	    "List orders, oldest first.  S is one of received, accepted,\n"
	    "packed, shipped, delivered, returned, cancelled, 'open' (received,\n"
	    "accepted and packed: the default) or 'all'.\n");
}

static const char *const columns[] = {
	"ref", "received", "status", "channel", "dept", "lang", "packs",
	"total", "for", "flag",
};

static int
emit(const struct store_order_row *r, void *arg)
{
	struct queue_out *q = arg;
	char when[CLOCK_ISO_LEN], total[16], forp[16];
	const char *vals[ARRAY_LEN(columns)];

	if (q->open_only && r->status != ORDER_RECEIVED &&
	    r->status != ORDER_ACCEPTED && r->status != ORDER_PACKED)
		return 0;
	clock_format(r->received_at, when);
	(void)!str_printf(total, sizeof(total), "%d", r->total_packs);
	(void)!str_printf(forp, sizeof(forp), "%d", r->for_people);
	vals[0] = r->ref;
	vals[1] = when;
	vals[2] = order_status_name(r->status);
	vals[3] = order_channel_name(r->channel);
	vals[4] = r->dept;
	vals[5] = r->lang;
	vals[6] = r->packs;
	vals[7] = total;
	vals[8] = forp;
	vals[9] = r->flagged ? r->flag_reason : "";
	q->n++;

	switch (q->fmt) {
	case CLI_FMT_NONE:
		break;
	case CLI_FMT_TABLE:
		printf("%-10s %-20s %-9s %-7s %-4s %-4s %3s %3s %s%s%s\n",
		    vals[0], vals[1], vals[2], vals[3], vals[4], vals[5],
		    vals[7], vals[8], vals[6], r->flagged ? "  FLAG: " : "",
		    vals[9]);
		break;
	case CLI_FMT_CSV:
		for (size_t i = 0; i < ARRAY_LEN(columns); i++) {
			if (i > 0)
				putchar(',');
			cli_csv_field(stdout, vals[i]);
		}
		fputs("\r\n", stdout);
		break;
	case CLI_FMT_JSON: {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:i,"
		    "s:b,s:s}", "ref", r->ref, "received", when,
		    "status", vals[2], "channel", vals[3], "dept", r->dept,
		    "lang", r->lang, "packs", r->packs,
		    "total", r->total_packs, "for", r->for_people,
		    "flagged", r->flagged, "flag_reason", r->flag_reason);
		if (o == NULL || json_array_append_new(q->arr, o) < 0)
			return -1;
		break;
	}
	}
	return 0;
}

int
cli_queue(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct queue_out q = { .fmt = CLI_FMT_TABLE, .open_only = 1 };
	const char *status = "open";
	enum order_status st;
	int ch, filter = -1, rc = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 's':
			status = optarg;
			break;
		case 'F':
			if (cli_format_parse(c, optarg, CLI_FMTS_ALL, &q.fmt) < 0)
				return CLI_USAGE;
			break;
		case 'h':
			queue_usage(stdout);
			return CLI_OK;
		default:
			queue_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		queue_usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(status, "all") == 0) {
		q.open_only = 0;
	} else if (strcmp(status, "open") == 0) {
		q.open_only = 1;
	} else if (order_status_parse(status, &st) == 0) {
		q.open_only = 0;
		filter = (int)st;
	} else {
		cli_errx(c, "--status: one of received, accepted, packed, "
		    "shipped, delivered, returned, cancelled, open, all");
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;

	if (q.fmt == CLI_FMT_TABLE)
		printf("%-10s %-20s %-9s %-7s %-4s %-4s %3s %3s %s\n", "REF",
		    "RECEIVED", "STATUS", "CHANNEL", "DEPT", "LANG", "QTY",
		    "FOR", "PACKS");
	else if (q.fmt == CLI_FMT_CSV) {
		for (size_t i = 0; i < ARRAY_LEN(columns); i++)
			printf("%s%s", i > 0 ? "," : "", columns[i]);
		fputs("\r\n", stdout);
	} else {
		q.arr = json_array();
		if (q.arr == NULL)
			goto out;
	}
	if (store_queue(c->st, c->centre_id, filter, emit, &q) != STORE_OK) {
		cli_errx(c, "%s", store_errmsg(c->st));
		goto out;
	}
	if (q.fmt == CLI_FMT_JSON) {
		if (cli_json_print(c, q.arr) < 0)
			goto out;
	} else if (q.fmt == CLI_FMT_TABLE) {
		fprintf(stderr, "%zu order%s\n", q.n, q.n == 1 ? "" : "s");
	}
	rc = CLI_OK;
out:
	json_decref(q.arr);
	return rc;
}
