/*
 * hrpost stock: what the centre holds.  `stock` alone lists every item's
 * level, its lots in the order packing takes them (earliest expiry first)
 * with expiry and quantity left, marks items under their low threshold and
 * lots expired or expiring soon.  `stock add` receives a lot (or more of
 * one).  `stock recall LOT` lists the orders whose parcels hold that lot,
 * for a recall or an expiry warning.  Stock is not personal data; a
 * recall lists references only (opening who they are is `order show`,
 * which is audited).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "orders/store.h"
#include "shipping/catalogue.h"
#include "shipping/packing.h"
#include "shipping/stock.h"


static void
stock_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] stock [--format table|csv|json] "
	    "[--expiring DAYS]\n"
	    "       hrpost [-d DIR] stock add ITEM --lot LOT [--expiry "
	    "YYYY-MM-DD] --qty N\n"
	    "       hrpost [-d DIR] stock recall LOT [--item ITEM] "
	    "[--format table|csv|json]\n"
	    "\n"
	    "stock: every item's usable quantity, its lots (earliest expiry\n"
	    "first, the order packing takes them) with expiry and quantity\n"
	    "left; LOW marks an item under its low threshold, EXPIRED a lot\n"
	    "past its expiry (never packed), EXPIRING one that expires within\n"
	    "DAYS days (default %d).\n"
	    "\n"
	    "stock add: receive N (1 to %d) pieces of ITEM as lot LOT (1 to %d\n"
	    "printable characters, kept in capitals).  --expiry is required\n"
	    "for items whose lots expire (naloxone) and may not be in the\n"
	    "past; adding to an existing lot needs the same expiry.\n"
	    "\n"
	    "stock recall: the orders whose parcels hold lot LOT (of ITEM).\n",
	    STOCK_EXPIRING_DAYS, STOCK_QTY_MAX, STOCK_LOT_MAX);
}

static const char *
lot_state(const struct stock_lot *l)
{
	return l->expired ? "expired" : l->expiring ? "expiring" : "ok";
}

static void
expiry_text(time_t expiry, char out[STOCK_DATE_LEN])
{
	if (expiry == 0)
		memcpy(out, "-", 2);
	else
		stock_date_format(expiry, out);
}

static void
report_table(const struct cli *c, const struct stock_report *r)
{
	char day[STOCK_DATE_LEN];
	size_t i, k, nlow = 0;

	stock_date_format(r->today, day);
	printf("Stock on %s (expiring: within %d days)\n\n", day,
	    r->expiring_days);
	printf("%-8s %8s %8s %6s  %s\n", "ITEM", "USABLE", "EXPIRED", "LOW",
	    "NAME");
	for (i = 0; i < r->nlevels; i++) {
		const struct stock_level *lv = &r->levels[i];

		if (lv->under_low)
			nlow++;
		printf("%-8s %8ld %8ld %6d  %s%s\n", lv->item->code,
		    lv->usable, lv->expired, lv->item->low,
		    catalogue_item_name(c->cat, lv->item->code, c->cfg.lang),
		    lv->under_low ? "  LOW" : "");
		for (k = 0; k < lv->nlots; k++) {
			const struct stock_lot *l = &r->lots[lv->first_lot + k];

			expiry_text(l->expiry, day);
			printf("    lot %-32s expiry %-10s left %7d of %d%s\n",
			    l->lot, day, l->qty_left, l->qty_in,
			    l->expired ? "  EXPIRED" : l->expiring ?
			    "  EXPIRING" : "");
		}
	}
	printf("\n%zu item%s under the low threshold, %zu lot%s expiring "
	    "within %d days, %zu expired lot%s\n", nlow, nlow == 1 ? "" : "s",
	    r->nexpiring, r->nexpiring == 1 ? "" : "s", r->expiring_days,
	    r->nexpired, r->nexpired == 1 ? "" : "s");
	if (r->nexpiring > 0 || r->nexpired > 0) {
		printf("\n%-8s %-32s %-10s %7s  %s\n", "ITEM", "LOT", "EXPIRY",
		    "LEFT", "STATE");
		for (i = 0; i < r->nlots; i++) {
			const struct stock_lot *l = &r->lots[i];

			if (!l->expired && !l->expiring)
				continue;
			expiry_text(l->expiry, day);
			printf("%-8s %-32s %-10s %7d  %s\n", l->item, l->lot,
			    day, l->qty_left, lot_state(l));
		}
	}
}

static void
csv_row(const char *const *vals, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			putchar(',');
		cli_csv_field(stdout, vals[i]);
	}
	fputs("\r\n", stdout);
}

/* One row per lot; an item without lots gets one row with empty lot columns. */
static void
report_csv(const struct stock_report *r)
{
	static const char *const cols[] = {
		"item", "unit", "low", "usable", "expired", "under_low", "lot",
		"expiry", "qty_in", "qty_left", "received", "state",
	};
	char low[16], usable[24], expired[24], qin[16], qleft[16];
	char day[STOCK_DATE_LEN], recv[CLOCK_ISO_LEN];
	const char *v[ARRAY_LEN(cols)];
	size_t i, k;

	csv_row(cols, ARRAY_LEN(cols));
	for (i = 0; i < r->nlevels; i++) {
		const struct stock_level *lv = &r->levels[i];

		(void)!str_printf(low, sizeof(low), "%d", lv->item->low);
		(void)!str_printf(usable, sizeof(usable), "%ld", lv->usable);
		(void)!str_printf(expired, sizeof(expired), "%ld",
		    lv->expired);
		v[0] = lv->item->code;
		v[1] = lv->item->unit;
		v[2] = low;
		v[3] = usable;
		v[4] = expired;
		v[5] = lv->under_low ? "yes" : "no";
		for (k = 0; k < 6; k++)
			v[6 + k] = "";
		if (lv->nlots == 0)
			csv_row(v, ARRAY_LEN(v));
		for (k = 0; k < lv->nlots; k++) {
			const struct stock_lot *l = &r->lots[lv->first_lot + k];

			if (l->expiry != 0)
				stock_date_format(l->expiry, day);
			else
				day[0] = '\0';
			clock_format(l->received_at, recv);
			(void)!str_printf(qin, sizeof(qin), "%d", l->qty_in);
			(void)!str_printf(qleft, sizeof(qleft), "%d",
			    l->qty_left);
			v[6] = l->lot;
			v[7] = day;
			v[8] = qin;
			v[9] = qleft;
			v[10] = recv;
			v[11] = lot_state(l);
			csv_row(v, ARRAY_LEN(v));
		}
	}
}

static json_t *
lot_json(const struct stock_lot *l)
{
	char day[STOCK_DATE_LEN], recv[CLOCK_ISO_LEN];

	stock_date_format(l->expiry, day);
	clock_format(l->received_at, recv);
	return json_pack("{s:s,s:s,s:o?,s:i,s:i,s:s,s:b,s:b}", "item", l->item,
	    "lot", l->lot, "expiry", l->expiry != 0 ? json_string(day) : NULL,
	    "qty_in", l->qty_in, "qty_left", l->qty_left, "received", recv,
	    "expired", l->expired, "expiring", l->expiring);
}

static int
report_json(const struct cli *c, const struct stock_report *r)
{
	json_t *root = NULL, *items = json_array(), *soon = json_array();
	char day[STOCK_DATE_LEN];
	size_t i, k;
	int ret = -1;

	if (items == NULL || soon == NULL)
		goto out;
	for (i = 0; i < r->nlevels; i++) {
		const struct stock_level *lv = &r->levels[i];
		json_t *lots = json_array(), *o;

		if (lots == NULL)
			goto out;
		for (k = 0; k < lv->nlots; k++) {
			json_t *lj = lot_json(&r->lots[lv->first_lot + k]);

			if (lj == NULL || json_array_append_new(lots, lj) != 0) {
				json_decref(lots);
				goto out;
			}
		}
		o = json_pack("{s:s,s:s,s:s,s:b,s:i,s:I,s:I,s:I,s:b,s:o}",
		    "item", lv->item->code, "name",
		    catalogue_item_name(c->cat, lv->item->code, c->cfg.lang),
		    "unit", lv->item->unit, "expiry", lv->item->expiry, "low",
		    lv->item->low, "total", (json_int_t)lv->total, "usable",
		    (json_int_t)lv->usable, "expired", (json_int_t)lv->expired,
		    "under_low", lv->under_low, "lots", lots);
		if (o == NULL || json_array_append_new(items, o) != 0)
			goto out;
	}
	for (i = 0; i < r->nlots; i++) {
		json_t *lj;

		if (!r->lots[i].expired && !r->lots[i].expiring)
			continue;
		lj = lot_json(&r->lots[i]);
		if (lj == NULL || json_array_append_new(soon, lj) != 0)
			goto out;
	}
	stock_date_format(r->today, day);
	root = json_pack("{s:s,s:i,s:O,s:O}", "today", day, "expiring_days",
	    r->expiring_days, "items", items, "expiring", soon);
	if (root == NULL)
		goto out;
	if (cli_json_print(c, root) < 0)
		goto out;
	ret = 0;
out:
	json_decref(root);
	json_decref(items);
	json_decref(soon);
	return ret;
}

static int
stock_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "expiring", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stock_report *r = NULL;
	enum cli_format fmt = CLI_FMT_TABLE;
	char errbuf[256];
	long days = STOCK_EXPIRING_DAYS;
	int ch, rc = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'F':
			if (cli_format_parse(c, optarg, CLI_FMTS_ALL, &fmt) != 0)
				return CLI_USAGE;
			break;
		case 'e':
			if (parse_long(optarg, 0, STOCK_EXPIRING_DAYS_MAX,
			    &days) != 0) {
				cli_errx(c, "--expiring: a number of days from "
				    "0 to %d", STOCK_EXPIRING_DAYS_MAX);
				return CLI_USAGE;
			}
			break;
		case 'h':
			stock_usage(stdout);
			return CLI_OK;
		default:
			stock_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		stock_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_CATALOGUE | CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	if (stock_report(c->st, c->cat, (int)days, &r, errbuf,
	    sizeof(errbuf)) != 0) {
		cli_errx(c, "%s", errbuf);
		return CLI_FAIL;
	}
	if (fmt == CLI_FMT_TABLE) {
		report_table(c, r);
	} else if (fmt == CLI_FMT_CSV) {
		report_csv(r);
	} else if (report_json(c, r) != 0) {
		cli_errx(c, "cannot write the stock as JSON");
		goto out;
	}
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
out:
	stock_report_free(r);
	return rc;
}

static int
stock_add_cmd(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lot", required_argument, NULL, 'l' },
		{ "expiry", required_argument, NULL, 'e' },
		{ "qty", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lot = NULL, *expiry = NULL, *qty = NULL;
	struct field_error fe = { "", "" };
	struct stock_added added;
	enum stock_status ss;
	char errbuf[256];
	int ch;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'l':
			lot = optarg;
			break;
		case 'e':
			expiry = optarg;
			break;
		case 'q':
			qty = optarg;
			break;
		case 'h':
			stock_usage(stdout);
			return CLI_OK;
		default:
			stock_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc) {
		cli_errx(c, "stock add: give one ITEM (see hrpost catalogue)");
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_CATALOGUE | CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	ss = stock_add(c->st, c->cat, argv[optind], lot, expiry, qty,
	    c->actor, &added, &fe, errbuf, sizeof(errbuf));
	if (ss == STOCK_ERR_INVALID) {
		if (strcmp(fe.field, "item") == 0)
			cli_errx(c, "item (ITEM): %s; nothing recorded",
			    fe.msg);
		else
			cli_errx(c, "%s (--%s): %s; nothing recorded",
			    fe.field, fe.field, fe.msg);
		return CLI_FAIL;
	}
	if (ss != STOCK_OK) {
		cli_errx(c, "%s; nothing recorded", errbuf);
		return CLI_FAIL;
	}
	fprintf(stderr, "%s: %s lot: %d left in it\n", c->prog,
	    added.new_lot ? "new" : "added to the", added.qty_left);
	return CLI_OK;
}

struct recall_out {
	enum cli_format fmt;
	json_t *arr;
};

static int
recall_row(const struct packing_recipient *r, void *arg)
{
	struct recall_out *ro = arg;
	char packed[CLOCK_ISO_LEN], shipped[CLOCK_ISO_LEN], qty[16];
	const char *v[7];

	clock_format(r->packed_at, packed);
	if (r->shipped_at != 0)
		clock_format(r->shipped_at, shipped);
	else
		shipped[0] = '\0';
	(void)!str_printf(qty, sizeof(qty), "%d", r->qty);
	switch (ro->fmt) {
	case CLI_FMT_NONE:
		break;
	case CLI_FMT_TABLE:
		printf("%-10s %-9s %-8s %-32s %5s  %-20s %s\n", r->ref,
		    order_status_name(r->status), r->item, r->lot, qty, packed,
		    shipped[0] != '\0' ? shipped : "-");
		break;
	case CLI_FMT_CSV:
		v[0] = r->ref;
		v[1] = order_status_name(r->status);
		v[2] = r->item;
		v[3] = r->lot;
		v[4] = qty;
		v[5] = packed;
		v[6] = shipped;
		csv_row(v, ARRAY_LEN(v));
		break;
	case CLI_FMT_JSON: {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:o?}", "ref",
		    r->ref, "status", order_status_name(r->status), "item",
		    r->item, "lot", r->lot, "qty", r->qty, "packed", packed,
		    "shipped", shipped[0] != '\0' ? json_string(shipped) :
		    NULL);

		if (o == NULL || json_array_append_new(ro->arr, o) != 0)
			return -1;
		break;
	}
	}
	return 0;
}

static int
stock_recall(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "item", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = {
		"ref", "status", "item", "lot", "qty", "packed", "shipped",
	};
	struct recall_out ro = { CLI_FMT_TABLE, NULL };
	enum packing_status ps;
	const char *item = NULL;
	char errbuf[256];
	size_t n = 0;
	int ch, rc = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'i':
			item = optarg;
			break;
		case 'F':
			if (cli_format_parse(c, optarg, CLI_FMTS_ALL, &ro.fmt) != 0)
				return CLI_USAGE;
			break;
		case 'h':
			stock_usage(stdout);
			return CLI_OK;
		default:
			stock_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc) {
		cli_errx(c, "stock recall: give one LOT");
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_CATALOGUE | CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	if (ro.fmt == CLI_FMT_TABLE) {
		printf("%-10s %-9s %-8s %-32s %5s  %-20s %s\n", "REF", "STATUS",
		    "ITEM", "LOT", "QTY", "PACKED", "SHIPPED");
	} else if (ro.fmt == CLI_FMT_CSV) {
		csv_row(cols, ARRAY_LEN(cols));
	} else {
		ro.arr = json_array();
		if (ro.arr == NULL)
			goto out;
	}
	ps = packing_lot_recipients(c->st, item, argv[optind], recall_row, &ro,
	    &n, errbuf, sizeof(errbuf));
	if (ps != PACKING_OK) {
		cli_errx(c, "%s", errbuf);
		goto out;
	}
	if (ro.fmt == CLI_FMT_JSON && cli_json_print(c, ro.arr) < 0)
		goto out;
	fprintf(stderr, "%s: %zu parcel%s hold%s this lot\n", c->prog, n,
	    n == 1 ? "" : "s", n == 1 ? "s" : "");
	rc = CLI_OK;
out:
	json_decref(ro.arr);
	return rc;
}

int
cli_stock(struct cli *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0) {
		optind = 0;	/* glibc: reinitialise getopt */
		return stock_add_cmd(c, argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "recall") == 0) {
		optind = 0;
		return stock_recall(c, argc - 1, argv + 1);
	}
	return stock_list(c, argc, argv);
}
