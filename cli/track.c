/*
 * hrpost track | delivered | returned: what happens to a parcel after it
 * leaves.  `track` asks La Poste (shipping/tracking.h) about every shipped
 * parcel with a carrier id, ten at a time, moves those delivered (DI1) or
 * returned (DI2, RE1) with their orders, and says on stderr how the round
 * went; --format prints one line (or JSON object) per parcel on stdout.
 * `delivered REF` and `returned REF` are staff marking a shipped parcel by
 * hand: a call that says it arrived, a parcel back at the centre.  Only
 * clear columns are read; no personal data is opened.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "orders/store.h"
#include "shipping/packing.h"
#include "shipping/tracking.h"


struct track_out {
	enum cli_format fmt;
	json_t *arr;
	bool json_failed;
};

static void
track_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] track [--format table|json]\n"
	    "\n"
	    "Ask La Poste (Suivi v2, [laposte] url and key) about every\n"
	    "shipped parcel with a carrier id, 10 numbers a request.\n"
	    "Delivered (DI1): the parcel and its order become delivered;\n"
	    "returned (DI2, RE1): returned; any other event leaves them\n"
	    "shipped.  A summary goes to stderr; --format prints one line or\n"
	    "object per parcel on stdout.  Exit 0 when the round was done\n"
	    "(errors about single parcels are listed), 1 when nothing could\n"
	    "be asked (no key, La Poste down).\n");
}

static void
mark_usage(FILE *f, const char *what)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] %s REF\n"
	    "\n"
	    "Mark a shipped parcel %s by hand (REF: order reference,\n"
	    "tracking code or tracking link).  Only a shipped order moves.\n",
	    what, what);
}

/* One parcel of the round, as --format asks. */
static void
report(const struct tracking_parcel *p, const struct tracking_result *r,
    enum tracking_action act, const char *why, void *arg)
{
	struct track_out *o = arg;
	const char *code = r != NULL ? r->code : "";
	const char *label = r != NULL ? r->label : "";
	char when[CLOCK_ISO_LEN] = "";
	json_t *obj;

	if (r != NULL && r->date > 0)
		clock_format(r->date, when);
	if (act == TRACKING_ACT_ERROR)
		fprintf(stderr, "hrpost: track: parcel %s (%s): %s\n", p->ref,
		    p->carrier_id, why);
	switch (o->fmt) {
	case CLI_FMT_NONE:
	case CLI_FMT_CSV:	/* not offered: cli_format_parse() refuses it */
		break;
	case CLI_FMT_TABLE:
		/* The label was cleaned of control characters. */
		printf("%-10s %-15s %-9s %-4s %-20s %s\n", p->ref,
		    p->carrier_id, tracking_action_name(act), code,
		    when[0] != '\0' ? when : "-",
		    act == TRACKING_ACT_ERROR || (r != NULL &&
		    r->state == TRACKING_LATER) ? why : label);
		break;
	case CLI_FMT_JSON:
		obj = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ref", p->ref,
		    "carrier_id", p->carrier_id, "result",
		    tracking_action_name(act), "code", code, "label", label,
		    "date", when, "reason", why);
		if (obj == NULL || json_array_append_new(o->arr, obj) != 0)
			o->json_failed = true;
		break;
	}
}

int
cli_track(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct track_out o = { CLI_FMT_NONE, NULL, false };
	struct tracking_parcel *parcels = NULL;
	struct tracking_summary sum;
	struct tracking_client cl;
	size_t n = 0, bad = 0;
	char errbuf[512] = "";
	bool done;
	int ch, rc = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'F':
			if (cli_format_parse(c, optarg, CLI_FMTS_NO_CSV,
			    &o.fmt) < 0)
				return CLI_USAGE;
			break;
		case 'h':
			track_usage(stdout);
			return CLI_OK;
		default:
			track_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		track_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	if (c->cfg.laposte_key[0] == '\0') {
		cli_errx(c, "track: no La Poste key ([laposte] key in %s): "
		    "carrier tracking is off; mark parcels by hand with "
		    "'hrpost delivered REF' or 'hrpost returned REF'",
		    c->cfg.path);
		return CLI_FAIL;
	}
	if (tracking_shipped(c->st, c->centre_id, &parcels, &n, &bad,
	    errbuf, sizeof(errbuf)) != 0) {
		cli_errx(c, "track: %s", errbuf);
		goto out;
	}
	if (bad > 0)
		cli_errx(c, "track: %zu shipped parcel%s with a carrier id "
		    "that is not a La Poste tracking number: skipped", bad,
		    bad == 1 ? "" : "s");
	if (o.fmt == CLI_FMT_JSON) {
		o.arr = json_array();
		if (o.arr == NULL) {
			cli_errx(c, "out of memory");
			goto out;
		}
	} else if (o.fmt == CLI_FMT_TABLE) {
		printf("%-10s %-15s %-9s %-4s %-20s %s\n", "REF", "CARRIER_ID",
		    "RESULT", "CODE", "EVENT_AT", "LABEL");
	}
	memset(&cl, 0, sizeof(cl));
	cl.url = c->cfg.laposte_url;
	cl.key = c->cfg.laposte_key;
	cl.lang = c->cfg.laposte_lang;
	done = tracking_round(c->st, &cl, parcels, n, c->actor,
	    TRACKING_RETRIES, TRACKING_WAIT_MAX, report, &o, &sum, errbuf,
	    sizeof(errbuf)) == 0;
	if (done && o.fmt == CLI_FMT_JSON) {
		if (o.json_failed || cli_json_print(c, o.arr) < 0)
			done = false;
	}
	if (!done && errbuf[0] != '\0')
		cli_errx(c, "track: %s", errbuf);
	cli_errx(c, "track: %zu polled, %zu delivered, %zu returned, %zu "
	    "unchanged, %zu errors (%zu request%s)", sum.polled,
	    sum.delivered, sum.returned, sum.unchanged, sum.errors,
	    sum.requests, sum.requests == 1 ? "" : "s");
	if (!done)
		goto out;
	rc = CLI_OK;
out:
	json_decref(o.arr);
	free(parcels);
	return rc;
}

/* delivered REF / returned REF */
static int
mark(struct cli *c, int argc, char **argv, enum tracking_state to)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *what = to == TRACKING_DELIVERED ? "delivered" :
	    "returned";
	struct tracking_move mv = { to, 0, NULL, c->actor };
	struct store_order_row row;
	struct field_error fe;
	char ref[STORE_TOKEN_MAX], errbuf[512];
	int ch;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		mark_usage(ch == 'h' ? stdout : stderr, what);
		return ch == 'h' ? CLI_OK : CLI_USAGE;
	}
	if (optind + 1 != argc) {
		mark_usage(stderr, what);
		return CLI_USAGE;
	}
	if (packing_scan_ref(argv[optind], ref, sizeof(ref), &fe) != 0) {
		cli_errx(c, "REF: %s", fe.msg);
		return CLI_FAIL;
	}
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	if (tracking_move(c->st, ref, &mv, errbuf, sizeof(errbuf)) !=
	    STORE_OK) {
		cli_errx(c, "%s; nothing changed", errbuf);
		return CLI_FAIL;
	}
	if (store_order_get(c->st, ref, &row) == STORE_OK)
		cli_errx(c, "order %s %s", row.ref, what);
	return CLI_OK;
}

int
cli_delivered(struct cli *c, int argc, char **argv)
{
	return mark(c, argc, argv, TRACKING_DELIVERED);
}

int
cli_returned(struct cli *c, int argc, char **argv)
{
	return mark(c, argc, argv, TRACKING_RETURNED);
}
