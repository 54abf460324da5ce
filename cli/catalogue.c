/*
 * hrpost catalogue: the standard packs and the items they are made of, as
 * templates/packs.ini has them: each pack's name in one language, its
 * version, weight, variants and contents per variant, then every item with
 * its unit, whether its lots carry an expiry date, and its low-stock
 * threshold.  Reads the catalogue only; no state is changed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "shipping/catalogue.h"


static void
catalogue_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] catalogue [--lang L] [--format table|json]\n"
	    "\n"
	    "List the standard packs (name, version, weight, variants and\n"
	    "contents per variant) and the items kept in stock (unit, expiry,\n"
	    "low-stock threshold), from templates/packs.ini.\n"
	    "\n"
	    "  --lang L       names in language L (default: the config's\n"
	    "                 [hrpost] lang)\n"
	    "  --format F     table (default) or json\n");
}

/*
 * The variants to list a pack's contents under: each of its variants, or
 * one NULL entry for a pack without any.
 */
static size_t
variants_of(const struct catalogue_pack *p, const char **out, size_t max)
{
	size_t i, n = 0;

	if (p->nvariants == 0) {
		out[0] = NULL;
		return 1;
	}
	for (i = 0; i < p->nvariants && n < max; i++)
		out[n++] = p->variants[i];
	return n;
}

static void
print_table(const struct catalogue *cat, const char *lang)
{
	const char *vars[CATALOGUE_VARIANTS_MAX];
	size_t i, k, v, nv;

	printf("PACKS\n");
	for (i = 0; i < catalogue_npacks(cat); i++) {
		const struct catalogue_pack *p = catalogue_pack_at(cat, i);

		printf("%-8s %s (version %d, %d g)\n", p->code,
		    catalogue_pack_name(cat, p->code, lang), p->version,
		    p->weight);
		nv = variants_of(p, vars, ARRAY_LEN(vars));
		for (v = 0; v < nv; v++) {
			if (vars[v] != NULL)
				printf("  variant %s%s:\n", vars[v],
				    p->default_variant != NULL &&
				    str_casecmp(p->default_variant, vars[v]) ==
				    0 ? " (default)" : "");
			for (k = 0; k < p->nitems; k++) {
				const struct catalogue_pack_item *it =
				    &p->items[k];

				if (!catalogue_pack_item_in(it, vars[v]))
					continue;
				printf("  %s%4d x %-8s %s\n",
				    vars[v] != NULL ? "  " : "", it->qty,
				    it->item,
				    catalogue_item_name(cat, it->item, lang));
			}
		}
	}
	printf("\nITEMS\n");
	printf("%-8s %-6s %-6s %5s  %s\n", "CODE", "UNIT", "EXPIRY", "LOW",
	    "NAME");
	for (i = 0; i < catalogue_nitems(cat); i++) {
		const struct catalogue_item *it = catalogue_item_at(cat, i);

		printf("%-8s %-6s %-6s %5d  %s\n", it->code, it->unit,
		    it->expiry ? "yes" : "no", it->low,
		    catalogue_item_name(cat, it->code, lang));
	}
}

/* json_array_append_new() that reports failure (and frees @v). */
static int
append(json_t *arr, json_t *v)
{
	return v == NULL || json_array_append_new(arr, v) != 0 ? -1 : 0;
}

static json_t *
pack_json(const struct catalogue *cat, const struct catalogue_pack *p,
    const char *lang)
{
	const char *vars[CATALOGUE_VARIANTS_MAX];
	json_t *o = NULL, *variants = NULL, *contents = NULL;
	size_t k, v, nv;

	variants = json_array();
	contents = json_array();
	if (variants == NULL || contents == NULL)
		goto fail;
	for (v = 0; v < p->nvariants; v++)
		if (append(variants, json_string(p->variants[v])) != 0)
			goto fail;
	nv = variants_of(p, vars, ARRAY_LEN(vars));
	for (v = 0; v < nv; v++) {
		json_t *items = json_array(), *c;

		if (items == NULL)
			goto fail;
		for (k = 0; k < p->nitems; k++) {
			const struct catalogue_pack_item *it = &p->items[k];

			if (!catalogue_pack_item_in(it, vars[v]))
				continue;
			if (append(items, json_pack("{s:s,s:i,s:s}", "item",
			    it->item, "qty", it->qty, "name",
			    catalogue_item_name(cat, it->item, lang))) != 0) {
				json_decref(items);
				goto fail;
			}
		}
		c = json_pack("{s:o?,s:o}", "variant", vars[v] != NULL ?
		    json_string(vars[v]) : NULL, "items", items);
		if (append(contents, c) != 0)
			goto fail;
	}
	o = json_pack("{s:s,s:s,s:i,s:i,s:o,s:o?,s:o}", "code", p->code,
	    "name", catalogue_pack_name(cat, p->code, lang), "version",
	    p->version, "weight", p->weight, "variants", variants,
	    "default_variant", p->default_variant != NULL ?
	    json_string(p->default_variant) : NULL, "contents", contents);
	return o;
fail:
	json_decref(variants);
	json_decref(contents);
	return NULL;
}

static int
print_json(const struct cli *c, const struct catalogue *cat, const char *lang)
{
	json_t *root = NULL, *packs = json_array(), *items = json_array();
	size_t i;
	int ret = -1;

	if (packs == NULL || items == NULL)
		goto out;
	for (i = 0; i < catalogue_npacks(cat); i++)
		if (append(packs, pack_json(cat, catalogue_pack_at(cat, i),
		    lang)) != 0)
			goto out;
	for (i = 0; i < catalogue_nitems(cat); i++) {
		const struct catalogue_item *it = catalogue_item_at(cat, i);

		if (append(items, json_pack("{s:s,s:s,s:s,s:b,s:i}", "code",
		    it->code, "name", catalogue_item_name(cat, it->code, lang),
		    "unit", it->unit, "expiry", it->expiry, "low",
		    it->low)) != 0)
			goto out;
	}
	root = json_pack("{s:s,s:O,s:O}", "lang", lang, "packs", packs,
	    "items", items);
	if (root == NULL)
		goto out;
	if (cli_json_print(c, root) < 0)
		goto out;
	ret = 0;
out:
	json_decref(root);
	json_decref(packs);
	json_decref(items);
	return ret;
}

int
cli_catalogue(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lang", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cli_format fmt = CLI_FMT_TABLE;
	const char *lang = NULL;
	int ch;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'l':
			lang = optarg;
			break;
		case 'F':
			if (cli_format_parse(c, optarg, CLI_FMTS_NO_CSV, &fmt) < 0)
				return CLI_USAGE;
			break;
		case 'h':
			catalogue_usage(stdout);
			return CLI_OK;
		default:
			catalogue_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		catalogue_usage(stderr);
		return CLI_USAGE;
	}
	if (cli_open(c, CLI_NEED_CATALOGUE) < 0)
		return CLI_FAIL;
	if (lang == NULL)
		lang = c->cfg.lang;
	if (!catalogue_has_lang(c->cat, lang)) {
		cli_errx(c, "--lang: the templates have no language '%s' (see "
		    "templates/i18n/)", lang);
		return CLI_USAGE;
	}
	if (fmt == CLI_FMT_JSON) {
		if (print_json(c, c->cat, lang) != 0) {
			cli_errx(c, "cannot write the catalogue as JSON");
			return CLI_FAIL;
		}
	} else {
		print_table(c->cat, lang);
	}
	return fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
}
