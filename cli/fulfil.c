/*
 * hrpost pick, pack and ship: the packing bench.  `pick` prints what to
 * fetch for a batch of accepted orders (item totals with the lots FEFO
 * would draw, then each parcel) and changes nothing.  `pack REF` takes the
 * stock and marks the order packed; `ship REF` marks it shipped with the
 * carrier's tracking number.  REF is what a person types or a barcode
 * scanner sends: the order reference, the tracking code, or the tracking
 * URL from the label's QR code (shipping/packing.h, packing_scan_ref()).
 * Only clear columns are read: references, statuses, packs, items, lots.
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
pick_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] pick [--limit N] [--format table|csv|json]\n"
	    "\n"
	    "Print a pick list for the N (1 to %d, default %d) oldest accepted\n"
	    "orders, flagged ones included and marked: totals per item with\n"
	    "the lots packing would take them from (earliest expiry first;\n"
	    "expired lots never), what is short, then each parcel's packs.\n"
	    "Changes nothing.\n",
	    PACKING_PICK_MAX, PACKING_PICK_DEFAULT);
}

static void
pack_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] pack REF\n"
	    "\n"
	    "Pack an accepted order: take its items from stock (earliest\n"
	    "expiry first, expired lots never), record which lots went into\n"
	    "the parcel, mark it packed.  Short stock packs nothing.  REF is\n"
	    "the order reference, the tracking code, or the tracking URL as a\n"
	    "barcode scanner types it.\n");
}

static void
ship_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] ship REF [--carrier-id ID]\n"
	    "\n"
	    "Mark a packed order shipped.  REF as for pack.  ID is the La\n"
	    "Poste tracking number (%d to %d letters and digits), kept on the\n"
	    "parcel for tracking.\n",
	    PACKING_CARRIER_ID_MIN, PACKING_CARRIER_ID_MAX);
}

/* "INJ x2 (30G-8), NALOX x1" */
static void
packs_text(const struct packing_parcel *p, char *out, size_t outsz)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < p->nlines; i++) {
		const struct order_line *l = &p->lines[i];

		if ((l->variant[0] != '\0' ?
		    str_printf(out + used, outsz - used, "%s%s x%d (%s)",
		    i > 0 ? ", " : "", l->pack, l->qty, l->variant) :
		    str_printf(out + used, outsz - used, "%s%s x%d",
		    i > 0 ? ", " : "", l->pack, l->qty)) < 0)
			return;	/* cut short: the list is for reading */
		used = strlen(out);
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

static void
expiry_text(time_t expiry, char out[STOCK_DATE_LEN])
{
	if (expiry == 0)
		memcpy(out, "-", 2);
	else
		stock_date_format(expiry, out);
}

static void
pick_table(const struct cli *c, const struct packing_pick *pk)
{
	char day[STOCK_DATE_LEN], when[CLOCK_ISO_LEN], packs[512];
	size_t i, k, nflag = 0;

	for (i = 0; i < pk->nparcels; i++)
		if (pk->parcels[i].flagged)
			nflag++;
	printf("Pick list: %zu order%s (%zu flagged for a call)\n\n",
	    pk->nparcels, pk->nparcels == 1 ? "" : "s", nflag);
	printf("%-8s %7s  %s\n", "ITEM", "NEED", "TAKE FROM (earliest expiry "
	    "first)");
	for (i = 0; i < pk->ntotals; i++) {
		const struct packing_pick_total *t = &pk->totals[i];

		printf("%-8s %7ld  %s\n", t->item, t->need,
		    catalogue_item_name(c->cat, t->item, c->cfg.lang));
		for (k = 0; k < t->ntakes; k++) {
			const struct packing_take *tk =
			    &pk->takes[t->first_take + k];

			expiry_text(tk->expiry, day);
			printf("%-8s %7d  lot %-32s expiry %s\n", "", tk->qty,
			    tk->lot, day);
		}
		if (t->short_by > 0)
			printf("%-8s %7s  SHORT by %ld\n", "", "", t->short_by);
	}
	printf("\n%-10s %-20s %6s  %s\n", "PARCEL", "RECEIVED", "GRAMS",
	    "PACKS");
	for (i = 0; i < pk->nparcels; i++) {
		const struct packing_parcel *p = &pk->parcels[i];

		clock_format(p->received_at, when);
		packs_text(p, packs, sizeof(packs));
		printf("%-10s %-20s %6d  %s%s%s\n", p->ref, when, p->weight,
		    packs, p->flagged ? "  FLAG: " : "",
		    p->flagged ? p->flag_reason : "");
	}
}

/*
 * CSV: one table, a "kind" column saying what a row is: "item" (need and
 * shortfall), "lot" (a lot to take from), "parcel" (an order of the batch).
 */
static void
pick_csv(const struct packing_pick *pk)
{
	static const char *const cols[] = {
		"kind", "item", "qty", "short_by", "lot", "expiry", "ref",
		"received", "packs", "flagged", "flag_reason",
	};
	char qty[24], shortby[24], day[STOCK_DATE_LEN], when[CLOCK_ISO_LEN];
	char packs[512];
	const char *v[ARRAY_LEN(cols)];
	size_t i, k, j;

	csv_row(cols, ARRAY_LEN(cols));
	for (i = 0; i < pk->ntotals; i++) {
		const struct packing_pick_total *t = &pk->totals[i];

		for (j = 0; j < ARRAY_LEN(v); j++)
			v[j] = "";
		(void)!str_printf(qty, sizeof(qty), "%ld", t->need);
		(void)!str_printf(shortby, sizeof(shortby), "%ld",
		    t->short_by);
		v[0] = "item";
		v[1] = t->item;
		v[2] = qty;
		v[3] = shortby;
		csv_row(v, ARRAY_LEN(v));
		for (k = 0; k < t->ntakes; k++) {
			const struct packing_take *tk =
			    &pk->takes[t->first_take + k];

			if (tk->expiry != 0)
				stock_date_format(tk->expiry, day);
			else
				day[0] = '\0';
			(void)!str_printf(qty, sizeof(qty), "%d", tk->qty);
			v[0] = "lot";
			v[2] = qty;
			v[3] = "";
			v[4] = tk->lot;
			v[5] = day;
			csv_row(v, ARRAY_LEN(v));
		}
	}
	for (i = 0; i < pk->nparcels; i++) {
		const struct packing_parcel *p = &pk->parcels[i];

		for (j = 0; j < ARRAY_LEN(v); j++)
			v[j] = "";
		clock_format(p->received_at, when);
		packs_text(p, packs, sizeof(packs));
		v[0] = "parcel";
		v[6] = p->ref;
		v[7] = when;
		v[8] = packs;
		v[9] = p->flagged ? "yes" : "no";
		v[10] = p->flagged ? p->flag_reason : "";
		csv_row(v, ARRAY_LEN(v));
	}
}

static json_t *
parcel_json(const struct packing_parcel *p)
{
	json_t *lines = json_array(), *items = json_array();
	char when[CLOCK_ISO_LEN];
	size_t i;

	if (lines == NULL || items == NULL)
		goto fail;
	for (i = 0; i < p->nlines; i++) {
		const struct order_line *l = &p->lines[i];
		json_t *o = json_pack("{s:s,s:i,s:o?}", "pack", l->pack, "qty",
		    l->qty, "variant", l->variant[0] != '\0' ?
		    json_string(l->variant) : NULL);

		if (o == NULL || json_array_append_new(lines, o) != 0)
			goto fail;
	}
	for (i = 0; i < p->nitems; i++) {
		json_t *o = json_pack("{s:s,s:i}", "item", p->items[i].item,
		    "qty", p->items[i].qty);

		if (o == NULL || json_array_append_new(items, o) != 0)
			goto fail;
	}
	clock_format(p->received_at, when);
	return json_pack("{s:s,s:s,s:s,s:i,s:o,s:o,s:b,s:s}", "ref", p->ref,
	    "received", when, "lang", p->lang, "weight", p->weight, "packs",
	    lines, "items", items, "flagged", p->flagged, "flag_reason",
	    p->flag_reason);
fail:
	json_decref(lines);
	json_decref(items);
	return NULL;
}

static int
pick_json(const struct cli *c, const struct packing_pick *pk)
{
	json_t *root = NULL, *items = json_array(), *parcels = json_array();
	char day[STOCK_DATE_LEN];
	size_t i, k;
	int ret = -1;

	if (items == NULL || parcels == NULL)
		goto out;
	for (i = 0; i < pk->ntotals; i++) {
		const struct packing_pick_total *t = &pk->totals[i];
		json_t *lots = json_array(), *o;

		if (lots == NULL)
			goto out;
		for (k = 0; k < t->ntakes; k++) {
			const struct packing_take *tk =
			    &pk->takes[t->first_take + k];

			stock_date_format(tk->expiry, day);
			o = json_pack("{s:s,s:o?,s:i}", "lot", tk->lot,
			    "expiry", tk->expiry != 0 ? json_string(day) :
			    NULL, "qty", tk->qty);
			if (o == NULL || json_array_append_new(lots, o) != 0) {
				json_decref(lots);
				goto out;
			}
		}
		o = json_pack("{s:s,s:s,s:I,s:I,s:o}", "item", t->item, "name",
		    catalogue_item_name(c->cat, t->item, c->cfg.lang), "need",
		    (json_int_t)t->need, "short_by", (json_int_t)t->short_by,
		    "lots", lots);
		if (o == NULL || json_array_append_new(items, o) != 0)
			goto out;
	}
	for (i = 0; i < pk->nparcels; i++) {
		json_t *o = parcel_json(&pk->parcels[i]);

		if (o == NULL || json_array_append_new(parcels, o) != 0)
			goto out;
	}
	root = json_pack("{s:I,s:O,s:O}", "orders", (json_int_t)pk->nparcels,
	    "items", items, "parcels", parcels);
	if (root == NULL)
		goto out;
	if (cli_json_print(c, root) < 0)
		goto out;
	ret = 0;
out:
	json_decref(root);
	json_decref(items);
	json_decref(parcels);
	return ret;
}

int
cli_pick(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct packing_pick *pk = NULL;
	enum packing_status ps;
	enum cli_format fmt = CLI_FMT_TABLE;
	long limit = PACKING_PICK_DEFAULT;
	char errbuf[256];
	int ch, rc = CLI_FAIL;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'n':
			if (parse_long(optarg, 1, PACKING_PICK_MAX, &limit) !=
			    0) {
				cli_errx(c, "--limit: a number of orders from 1 "
				    "to %d", PACKING_PICK_MAX);
				return CLI_USAGE;
			}
			break;
		case 'F':
			if (cli_format_parse(c, optarg, CLI_FMTS_ALL, &fmt) < 0)
				return CLI_USAGE;
			break;
		case 'h':
			pick_usage(stdout);
			return CLI_OK;
		default:
			pick_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		pick_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_CATALOGUE | CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	ps = packing_pick(c->st, c->cat, c->centre_id, (int)limit, &pk,
	    errbuf, sizeof(errbuf));
	if (ps != PACKING_OK) {
		cli_errx(c, "%s", errbuf);
		return CLI_FAIL;
	}
	if (fmt == CLI_FMT_TABLE) {
		pick_table(c, pk);
	} else if (fmt == CLI_FMT_CSV) {
		pick_csv(pk);
	} else if (pick_json(c, pk) != 0) {
		cli_errx(c, "cannot write the pick list as JSON");
		goto out;
	}
	for (size_t i = 0; i < pk->ntotals; i++)
		if (pk->totals[i].short_by > 0)
			cli_errx(c, "warning: item %s is short by %ld for this "
			    "batch", pk->totals[i].item,
			    pk->totals[i].short_by);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
out:
	packing_pick_free(pk);
	return rc;
}

/* Parse the one REF argument the way a scanner sends it. */
static int
scan_arg(struct cli *c, const char *arg, char ref[STORE_TOKEN_MAX])
{
	struct field_error fe;

	if (packing_scan_ref(arg, ref, STORE_TOKEN_MAX, &fe) != 0) {
		cli_errx(c, "REF: %s", fe.msg);
		return -1;
	}
	return 0;
}

/* Options of pack and ship: only --help, and ship's --carrier-id. */
static int
one_ref_args(struct cli *c, int argc, char **argv, bool ship,
    const char **carrier_id, void (*usage)(FILE *))
{
	static const struct option pack_opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option ship_opts[] = {
		{ "carrier-id", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	for (;;) {
		ch = getopt_long(argc, argv, "h", ship ? ship_opts : pack_opts,
		    NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'c':
			*carrier_id = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_OK;
		default:
			usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc) {
		cli_errx(c, "%s: give one REF", ship ? "ship" : "pack");
		return CLI_USAGE;
	}
	return -1;	/* go on */
}

int
cli_pack(struct cli *c, int argc, char **argv)
{
	struct packing_parcel *p = NULL;
	struct packing_report *rep = NULL;
	enum packing_status ps;
	char ref[STORE_TOKEN_MAX], errbuf[256], detail[160];
	size_t i;
	int rc;

	rc = one_ref_args(c, argc, argv, false, NULL, pack_usage);
	if (rc != -1)
		return rc;
	rc = CLI_FAIL;
	if (scan_arg(c, argv[optind], ref) != 0)
		return CLI_FAIL;
	if (cli_open(c, CLI_NEED_CATALOGUE | CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	p = calloc(1, sizeof(*p));
	rep = calloc(1, sizeof(*rep));
	if (p == NULL || rep == NULL) {
		cli_errx(c, "out of memory");
		goto out;
	}
	ps = packing_pack(c->st, c->cat, ref, c->actor, p, rep, errbuf,
	    sizeof(errbuf));
	if (ps == PACKING_ERR_SHORT) {
		cli_errx(c, "cannot pack order %s: short of stock; nothing "
		    "packed", p->ref);
		for (i = 0; i < rep->nshort; i++)
			cli_errx(c, "  item %s: needs %ld, %ld usable (%ld "
			    "missing)", rep->shorts[i].item,
			    rep->shorts[i].need, rep->shorts[i].usable,
			    rep->shorts[i].need - rep->shorts[i].usable);
		goto out;
	}
	if (ps != PACKING_OK) {
		cli_errx(c, "%s; nothing packed", errbuf);
		goto out;
	}
	printf("%s\n", p->ref);
	cli_errx(c, "order %s packed (%d g):", p->ref, p->weight);
	for (i = 0; i < p->ntakes; i++) {
		char day[STOCK_DATE_LEN];

		expiry_text(p->takes[i].expiry, day);
		if (str_printf(detail, sizeof(detail), "  %-8s x%-5d lot %s%s%s",
		    p->takes[i].item, p->takes[i].qty, p->takes[i].lot,
		    p->takes[i].expiry != 0 ? ", expiry " : "",
		    p->takes[i].expiry != 0 ? day : "") >= 0)
			cli_errx(c, "%s", detail);
	}
	for (i = 0; i < rep->nlow; i++)
		cli_errx(c, "warning: item %s is now under its low threshold "
		    "(%ld usable, low %d): order more", rep->lows[i].item,
		    rep->lows[i].left, rep->lows[i].low);
	rc = CLI_OK;
out:
	free(p);
	free(rep);
	return rc;
}

int
cli_ship(struct cli *c, int argc, char **argv)
{
	struct field_error fe = { "", "" };
	struct store_order_row row;
	enum packing_status ps;
	const char *carrier_id = NULL;
	char ref[STORE_TOKEN_MAX], cid[PACKING_CARRIER_ID_BYTES];
	char errbuf[256];
	int rc;

	rc = one_ref_args(c, argc, argv, true, &carrier_id, ship_usage);
	if (rc != -1)
		return rc;
	if (carrier_id != NULL &&
	    packing_carrier_id_check(carrier_id, cid, &fe) != 0) {
		cli_errx(c, "carrier_id (--carrier-id): %s; nothing changed",
		    fe.msg);
		return CLI_FAIL;
	}
	if (scan_arg(c, argv[optind], ref) != 0)
		return CLI_FAIL;
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	ps = packing_ship(c->st, ref, carrier_id, c->actor, &fe, errbuf,
	    sizeof(errbuf));
	if (ps != PACKING_OK) {
		cli_errx(c, "%s; nothing changed", errbuf);
		return CLI_FAIL;
	}
	/* The reference, never the tracking code, goes to the output. */
	if (store_order_get(c->st, ref, &row) == STORE_OK) {
		printf("%s\n", row.ref);
		if (carrier_id != NULL)
			cli_errx(c, "order %s shipped, carrier id %s", row.ref,
			    cid);
		else
			cli_errx(c, "order %s shipped (no carrier id)",
			    row.ref);
	}
	return CLI_OK;
}
