/*
 * libFuzzer target for shipping/catalogue.c: catalogue_parse_string() on
 * any bytes, with a templates directory made once holding i18n/fr.ini,
 * en.ini and ru.ini.  An accepted catalogue is walked whole: every pack's
 * items exist, its variants and default are consistent, names resolve.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shipping/catalogue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void
cleanup(void)
{
	static const char *const langs[] = { "fr", "en", "ru" };
	char path[128];

	for (size_t i = 0; i < 3; i++)
		if (snprintf(path, sizeof(path), "%s/i18n/%s.ini", dir,
		    langs[i]) < (int)sizeof(path))
			(void)unlink(path);
	if (snprintf(path, sizeof(path), "%s/i18n", dir) < (int)sizeof(path))
		(void)rmdir(path);
	(void)rmdir(dir);
}

static void
make_dir(void)
{
	static const char *const langs[] = { "fr", "en", "ru" };
	char path[128];

	memcpy(dir, "/tmp/hrpost-fuzz-cat-XXXXXX", 28);
	if (mkdtemp(dir) == NULL)
		abort();
	if (snprintf(path, sizeof(path), "%s/i18n", dir) >= (int)sizeof(path) ||
	    mkdir(path, 0755) != 0)
		abort();
	for (size_t i = 0; i < 3; i++) {
		FILE *f;

		if (snprintf(path, sizeof(path), "%s/i18n/%s.ini", dir,
		    langs[i]) >= (int)sizeof(path))
			abort();
		f = fopen(path, "w");
		if (f == NULL || fputs("[messages]\n", f) < 0 || fclose(f) != 0)
			abort();
	}
	atexit(cleanup);
}

static void
walk(const struct catalogue *cat)
{
	for (size_t i = 0; i < catalogue_npacks(cat); i++) {
		const struct catalogue_pack *pk = catalogue_pack_at(cat, i);

		if (catalogue_pack(cat, pk->code) != pk || pk->nitems == 0 ||
		    pk->nitems > CATALOGUE_PACK_ITEMS_MAX ||
		    pk->nvariants > CATALOGUE_VARIANTS_MAX ||
		    (pk->nvariants == 0) != (pk->default_variant == NULL) ||
		    (pk->default_variant != NULL &&
		    !catalogue_pack_has_variant(pk, pk->default_variant)) ||
		    strlen(catalogue_pack_name(cat, pk->code, "ru")) == 0)
			abort();
		for (size_t v = 0; v < pk->nvariants; v++) {
			size_t k = 0;

			while (k < pk->nitems && !catalogue_pack_item_in(
			    &pk->items[k], pk->variants[v]))
				k++;
			if (k == pk->nitems)
				abort();
		}
		for (size_t k = 0; k < pk->nitems; k++) {
			const struct catalogue_pack_item *it = &pk->items[k];

			if (catalogue_item(cat, it->item) == NULL ||
			    it->qty < 1 || it->qty > 9999 ||
			    (it->variant != NULL &&
			    !catalogue_pack_has_variant(pk, it->variant)))
				abort();
		}
	}
	for (size_t i = 0; i < catalogue_nitems(cat); i++) {
		const struct catalogue_item *it = catalogue_item_at(cat, i);

		if (catalogue_item(cat, it->code) != it ||
		    strlen(catalogue_item_name(cat, it->code, "en")) >=
		    CATALOGUE_NAME_MAX)
			abort();
	}
	if (catalogue_npacks(cat) == 0 || !catalogue_has_lang(cat, "fr") ||
	    catalogue_nlangs(cat) != 3)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalogue *cat;
	char errbuf[512];
	char *text;

	if (dir[0] == '\0')
		make_dir();
	if (size > 256 * 1024)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cat = catalogue_parse_string(dir, "fuzz/packs.ini", text, errbuf,
	    sizeof(errbuf));
	if (cat != NULL)
		walk(cat);
	else if (strncmp(errbuf, "fuzz/packs.ini", 14) != 0)
		abort();
	catalogue_free(cat);
	free(text);
	return 0;
}
