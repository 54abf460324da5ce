/*
 * Label figures, one per line as "name value unit": a batch of BATCH
 * labels, each with its own address, tracking URL and QR code, as one
 * 100 x 150 mm PDF (one page a label), as A4 sheets (8 a page), and as
 * ZPL, from an empty document to its finished bytes.  The time includes
 * the font map and layouts a batch sets up once, so it is what
 * `hrpost label --batch` pays.  The aim: the PDF batch in under 2 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "printer/label.h"

#define BATCH 1000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const char *err)
{
	fprintf(stderr, "bench: %s: %s\n", what, err);
	exit(1);
}

/* Seconds to make BATCH labels in @fmt/@size; *bytes gets the size. */
static double
batch(enum label_format fmt, enum label_size size, size_t *bytes)
{
	static const struct label_sender sender = {
		"SERVICE EXPEDITIONS", "BP 80001", "33000", "BORDEAUX",
	};
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	char err[512], name[40], street[40], code[18], url[80];
	struct label_content lc;
	struct label_doc *doc;
	unsigned char *out = NULL;
	size_t len = 0;
	double t0 = now();

	doc = label_doc_new(fmt, size, LABEL_DPI_DEFAULT, &sender, err,
	    sizeof(err));
	if (doc == NULL)
		die("label_doc_new", err);
	for (int i = 0; i < BATCH; i++) {
		snprintf(name, sizeof(name), "Camille %d", i);
		snprintf(street, sizeof(street), "%d CHEMIN DES VIGNES",
		    i % 300 + 1);
		for (int k = 0; k < 17; k++)
			code[k] = alphabet[(i * 7 + k * 13 + k * i) % 32];
		code[17] = '\0';
		snprintf(url, sizeof(url), "https://suivi.example.org/t/%s",
		    code);
		memset(&lc, 0, sizeof(lc));
		lc.lines[0] = name;
		lc.lines[1] = "APT 3 CHEZ MARTIN";
		lc.lines[2] = street;
		lc.lines[3] = "12100 MILLAU";
		lc.nlines = 4;
		lc.url = url;
		lc.code = code;
		if (label_doc_add(doc, &lc, err, sizeof(err)) < 0)
			die("label_doc_add", err);
	}
	if (label_doc_finish(doc, &out, &len, err, sizeof(err)) < 0)
		die("label_doc_finish", err);
	label_doc_free(doc);
	free(out);
	*bytes = len;
	return now() - t0;
}

int
main(void)
{
	size_t bytes;
	double t;

	t = batch(LABEL_PDF, LABEL_100X150, &bytes);
	printf("labels_pdf %.0f labels/s\n", BATCH / t);
	printf("labels_pdf_batch %.2f s\n", t);
	printf("labels_pdf_size %.1f KB/label\n", bytes / 1024.0 / BATCH);
	t = batch(LABEL_PDF, LABEL_A4, &bytes);
	printf("labels_pdf_a4 %.0f labels/s\n", BATCH / t);
	t = batch(LABEL_ZPL, LABEL_100X150, &bytes);
	printf("labels_zpl %.0f labels/s\n", BATCH / t);
	return 0;
}
