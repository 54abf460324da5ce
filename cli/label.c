/*
 * hrpost label: print a parcel's label (the outside) and, with --slip, its
 * packing slip (the inside), for one order or for every packed order
 * waiting for its label.
 *
 * Each order's sealed address is opened with store_order_open(), which
 * writes the "order.show" audit entry, laid out by address_format_label()
 * (shipping/address.h) and wiped as soon as its label is drawn.  A label
 * goes to a CUPS queue (printer/cups.h), to --out FILE, or to a file named
 * by the order reference (never by a name) under [printer] labels_dir,
 * written mode 0600 through a temporary file and a rename.  Once a
 * document is delivered, one "label.print" audit entry per order records
 * it; that entry is what --batch looks for to skip orders already
 * labelled.
 *
 * Before anything is printed, the texts that go outside every parcel (the
 * [sender] block and the tracking URL's host) are searched for words that
 * would tell what the parcel holds or who sent it: the centre's name, the
 * catalogue's pack names in every language, and the words of OUTSIDE_DENY.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "orders/order.h"
#include "orders/store.h"
#include "printer/cups.h"
#include "printer/label.h"
#include "printer/slip.h"
#include "shipping/address.h"
#include "shipping/catalogue.h"
#include "shipping/packing.h"

#define BATCH_MAX 1000			/* orders in one --batch run */
#define PATH_BYTES (CONFIG_PATH_MAX + 64)
#define DENY_MAX (CATALOGUE_PACKS_MAX * CATALOGUE_LANGS_MAX + 64)
#define AUDIT_PRINT "label.print"

/*
 * Words that must never be on the outside of a parcel, in the languages
 * of templates/ (compared without case or accents, as parts of words).
 */
static const char *const OUTSIDE_DENY[] = {
	"drug", "drogue", "droga", "наркот",
	"syringe", "seringue", "jeringa", "seringa", "шприц",
	"needle", "aiguille", "aguja", "agulha", "игл",
	"naloxone", "naloxona", "налоксон", "nyxoid", "narcan",
	"injection", "inyeccion", "injecao", "инъекц",
	"harm reduction", "reduction des risques", "reduction des dommages",
	"reduccion de danos", "reducao de riscos", "снижение вреда",
	"caarud", "csapa", "addict", "toxicoman", "opioid", "overdose",
	"sterifilt", "stericup",
};

struct label_opts {
	bool batch, reprint, slip;
	bool fmt_given, size_given, queue_given;
	enum label_format fmt;
	enum label_size size;
	int dpi;
	int wait;
	const char *out;		/* --out, or NULL */
	char queue[CUPS_QUEUE_MAX + 1];	/* "" : files */
	char slip_queue[CUPS_QUEUE_MAX + 1];
	const char *ref;		/* REF as typed */
};

/* One run: the documents being built and the orders they hold. */
struct run {
	struct cli *c;
	struct label_opts *o;
	struct label_sender sender;
	char base_url[LABEL_URL_MAX];	/* public_url without a final '/' */
	struct label_doc *labels;
	struct slip_doc *slips;
	char (*refs)[STORE_REF_MAX];	/* in the documents, not yet audited */
	size_t nrefs;
	char batch_name[64];		/* "batch-YYYYMMDDTHHMMSSZ" */
	struct packing_parcel *parcel;	/* scratch, 20 KB */
	struct slip_pack slip_packs[SLIP_PACKS_MAX];
	struct slip_item slip_items[SLIP_ITEMS_MAX];
	struct slip_lot slip_lots[SLIP_LOTS_MAX];
	int failed;			/* orders refused */
};

static void
label_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] label REF [OPTIONS]\n"
	    "       hrpost [-d DIR] label --batch [--reprint] [OPTIONS]\n"
	    "\n"
	    "Print a parcel's label (address, neutral sender, QR code of the\n"
	    "tracking link, tracking code) and with --slip its packing slip.\n"
	    "REF is the order reference, the tracking code or the tracking URL\n"
	    "as a barcode scanner types it.\n"
	    "  --batch                 every packed order not labelled yet,\n"
	    "                          oldest first (at most %d)\n"
	    "  --reprint               with --batch: every packed order\n"
	    "  --format pdf|png|zpl    default: [printer] format\n"
	    "  --size 100x150|a4       100x150 mm thermal label, or A4 sheets\n"
	    "                          of 2 x 4 labels (99.1 x 67.7 mm);\n"
	    "                          default: [printer] size\n"
	    "  --dpi N                 PNG resolution, %d to %d (default %d)\n"
	    "  --out FILE              write to FILE ('-': stdout) instead\n"
	    "  --printer QUEUE         CUPS queue (default: [printer] queue;\n"
	    "                          none: files under [printer] labels_dir\n"
	    "                          named by reference)\n"
	    "  --slip                  also the packing slip (PDF, A5; A4\n"
	    "                          with --size a4; PNG with --format png)\n"
	    "  --slip-printer QUEUE    CUPS queue for slips (default: the\n"
	    "                          label queue when it takes PDF, else\n"
	    "                          files)\n"
	    "  --wait SECONDS          wait for CUPS to print, 0 to %d\n"
	    "                          (default %d; 0: do not wait)\n"
	    "  --passphrase-file FILE  passphrase for the private key\n",
	    BATCH_MAX, LABEL_DPI_MIN, LABEL_DPI_MAX, LABEL_DPI_DEFAULT,
	    CUPS_WAIT_MAX, CUPS_WAIT_DEFAULT);
}

/* The centre's name, for the outside check; "" when it cannot be read. */
static void
centre_name(struct cli *c, char *out, size_t outsz)
{
	sqlite3_stmt *s = NULL;

	out[0] = '\0';
	if (sqlite3_prepare_v2(store_db(c->st), "SELECT name FROM centres "
	    "WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, c->centre_id) != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL &&
	    str_copy(out, outsz, (const char *)sqlite3_column_text(s, 0)) < 0)
		out[0] = '\0';
out:
	sqlite3_finalize(s);
}

/*
 * Refuse a sender block or tracking URL that names the centre, its
 * purpose or what it sends.  Returns 0 or -1 (message printed).
 */
static int
check_outside(struct run *r)
{
	const char *words[DENY_MAX];
	const char *texts[4], *what[4], *hit;
	char name[256], host[LABEL_URL_MAX];
	const struct catalogue *cat = r->c->cat;
	size_t n = 0;
	const char *h, *e;

	for (size_t i = 0; i < ARRAY_LEN(OUTSIDE_DENY); i++)
		words[n++] = OUTSIDE_DENY[i];
	centre_name(r->c, name, sizeof(name));
	if (name[0] != '\0')
		words[n++] = name;
	for (size_t i = 0; i < catalogue_npacks(cat); i++) {
		const char *code = catalogue_pack_at(cat, i)->code;

		for (size_t l = 0; l < catalogue_nlangs(cat) && n < DENY_MAX;
		    l++)
			words[n++] = catalogue_pack_name(cat, code,
			    catalogue_lang_at(cat, l));
	}
	/* The URL's host and path, not its scheme. */
	h = strstr(r->base_url, "://");
	h = h != NULL ? h + 3 : r->base_url;
	e = h + strlen(h);
	if (str_printf(host, sizeof(host), "%.*s", (int)(e - h), h) < 0)
		host[0] = '\0';
	texts[0] = r->sender.name;
	what[0] = "[sender] name";
	texts[1] = r->sender.line;
	what[1] = "[sender] line";
	texts[2] = r->sender.commune;
	what[2] = "[sender] commune";
	texts[3] = host;
	what[3] = "[intake] public_url";
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		if (texts[i] == NULL || texts[i][0] == '\0')
			continue;
		hit = label_find_word(texts[i], words, n);
		if (hit != NULL) {
			cli_errx(r->c, "%s: goes on the outside of every "
			    "parcel and must not name the centre or what it "
			    "sends (it holds \"%s\"); nothing printed", what[i],
			    hit);
			return -1;
		}
	}
	return 0;
}

/* true when order @ref has a "label.print" audit entry. */
static int
labelled(struct cli *c, const char *ref, bool *yes)
{
	sqlite3_stmt *s = NULL;
	int rc = -1, step;

	*yes = false;
	if (sqlite3_prepare_v2(store_db(c->st), "SELECT 1 FROM audit WHERE "
	    "action = ?1 AND object = ?2 LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_bind_text(s, 1, AUDIT_PRINT, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_text(s, 2, ref, -1, SQLITE_STATIC) !=
	    SQLITE_OK)
		goto out;
	step = sqlite3_step(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		goto out;
	*yes = step == SQLITE_ROW;
	rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

struct batch_list {
	char (*refs)[STORE_REF_MAX];
	size_t n;
	bool full;
};

static int
collect(const struct store_order_row *row, void *arg)
{
	struct batch_list *b = arg;

	if (b->n >= BATCH_MAX) {
		b->full = true;
		return 1;
	}
	memcpy(b->refs[b->n++], row->ref, STORE_REF_MAX);
	return 0;
}

/* Write @len bytes to @path: temporary file, fsync, rename; mode 0600. */
static int
write_file(struct cli *c, const char *path, const unsigned char *data,
    size_t len)
{
	char tmp[PATH_BYTES + 16];
	int fd = -1, rc = -1;
	size_t off = 0;

	if (strcmp(path, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
			cli_errx(c, "stdout: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (str_printf(tmp, sizeof(tmp), "%s.XXXXXX", path) < 0) {
		cli_errx(c, "output path too long");
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		cli_errx(c, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) != 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	cli_errx(c, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	return rc;
}

/* The labels directory, created 0700 when missing. */
static int
labels_dir(struct cli *c)
{
	if (mkdir(c->cfg.labels_dir, 0700) != 0 && errno != EEXIST) {
		cli_errx(c, "%s: %s", c->cfg.labels_dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Where a document goes when it is not printed: --out FILE (a slip next
 * to it as FILE-slip.EXT), or labels_dir/@name.EXT.
 */
static int
file_path(struct run *r, bool slip, const char *name, const char *ext,
    char *out, size_t outsz)
{
	if (r->o->out != NULL && !slip)
		return str_copy(out, outsz, r->o->out);
	if (r->o->out != NULL) {
		const char *dot = strrchr(r->o->out, '.');
		const char *slash = strrchr(r->o->out, '/');
		int stem = dot != NULL && (slash == NULL || dot > slash) ?
		    (int)(dot - r->o->out) : (int)strlen(r->o->out);

		return str_printf(out, outsz, "%.*s-slip.%s", stem, r->o->out,
		    ext);
	}
	return str_printf(out, outsz, "%s/%s%s.%s", r->c->cfg.labels_dir, name,
	    slip ? "-slip" : "", ext);
}

/*
 * Deliver one finished document: to its queue, or to its file.  @name is
 * the reference or the batch name; @count the orders it holds.
 */
static int
deliver(struct run *r, bool slip, const unsigned char *data, size_t len,
    const char *name, size_t count)
{
	const char *queue = slip ? r->o->slip_queue : r->o->queue;
	enum label_format fmt = slip && r->o->fmt == LABEL_ZPL ? LABEL_PDF :
	    r->o->fmt;
	const char *what = slip ? "slip" : "label";
	char path[PATH_BYTES], title[CUPS_TITLE_MAX], err[512];
	enum cups_result res;
	const char *media;
	int job = 0;

	if (queue[0] == '\0') {
		if (r->o->out == NULL && labels_dir(r->c) < 0)
			return -1;
		if (file_path(r, slip, name, label_format_name(fmt), path,
		    sizeof(path)) < 0) {
			cli_errx(r->c, "output path too long");
			return -1;
		}
		if (write_file(r->c, path, data, len) < 0)
			return -1;
		if (strcmp(path, "-") != 0)
			printf("%s\n", path);
		return 0;
	}
	if (count == 1)
		(void)!str_printf(title, sizeof(title), "hrpost %s %s", what,
		    name);
	else
		(void)!str_printf(title, sizeof(title), "hrpost %ss (%zu)",
		    what, count);
	if (slip)
		media = r->o->size == LABEL_A4 ? "A4" : "A5";
	else
		media = r->o->size == LABEL_A4 ? "A4" : "Custom.100x150mm";
	res = cups_print(queue, title, cups_mime(fmt), media, data, len,
	    r->o->wait, &job, err, sizeof(err));
	switch (res) {
	case CUPS_PRINTED:
		fprintf(stderr, "%s: %s%s for %s printed on queue %s (job %d)\n",
		    r->c->prog, what, count == 1 ? "" : "s", name, queue, job);
		return 0;
	case CUPS_QUEUED:
		cli_errx(r->c, "%s", err);
		return 0;
	case CUPS_FAILED:
		break;
	}
	cli_errx(r->c, "%s", err);
	return -1;
}

/* The slip's data from a parcel; @packs etc. are the caller's arrays. */
static void
slip_from_parcel(const struct packing_parcel *p, const char *phone,
    struct slip_content *sc, struct slip_pack *packs,
    struct slip_item *items, struct slip_lot *lots)
{
	memset(sc, 0, sizeof(*sc));
	sc->ref = p->ref;
	sc->lang = p->lang;
	sc->phone = phone;
	for (size_t i = 0; i < p->nlines && i < SLIP_PACKS_MAX; i++) {
		packs[i].code = p->lines[i].pack;
		packs[i].qty = p->lines[i].qty;
		packs[i].variant = p->lines[i].variant;
		sc->npacks++;
	}
	for (size_t i = 0; i < p->nitems && i < SLIP_ITEMS_MAX; i++) {
		items[i].code = p->items[i].item;
		items[i].qty = p->items[i].qty;
		sc->nitems++;
	}
	for (size_t i = 0; i < p->ntakes && i < SLIP_LOTS_MAX; i++) {
		lots[i].item = p->takes[i].item;
		lots[i].lot = p->takes[i].lot;
		lots[i].expiry = p->takes[i].expiry;
		sc->nlots++;
	}
	sc->packs = packs;
	sc->items = items;
	sc->lots = lots;
}

/* Add order @ref's slip to r->slips.  Returns 0 or -1 (message printed). */
static int
add_slip(struct run *r, const char *ref)
{
	struct slip_content sc;
	char err[512];

	if (packing_parcel_get(r->c->st, r->c->cat, ref, r->parcel, err,
	    sizeof(err)) != PACKING_OK) {
		cli_errx(r->c, "order %s: slip: %s", ref, err);
		return -1;
	}
	slip_from_parcel(r->parcel, r->c->cfg.centre_phone, &sc,
	    r->slip_packs, r->slip_items, r->slip_lots);
	if (slip_doc_add(r->slips, &sc, err, sizeof(err)) == 0)
		return 0;
	if (strcmp(sc.lang, r->c->cfg.lang) != 0) {
		/* No texts in that language: the centre's own instead. */
		char first[512];

		memcpy(first, err, sizeof(first));
		sc.lang = r->c->cfg.lang;
		if (slip_doc_add(r->slips, &sc, err, sizeof(err)) == 0) {
			cli_errx(r->c, "order %s: slip in %s (%s)", ref,
			    sc.lang, first);
			return 0;
		}
	}
	cli_errx(r->c, "order %s: slip: %s", ref, err);
	return -1;
}

/*
 * Open order @ref, lay out its address, add its label (and slip).
 * Returns 0, or -1 when this order is refused (message printed; the
 * documents are unchanged).
 */
static int
add_order(struct run *r, const char *ref)
{
	struct cli *c = r->c;
	struct store_order_row row;
	struct order o;
	struct address_label al;
	struct field_error fe;
	struct label_content lc;
	char url[LABEL_URL_MAX + STORE_TOKEN_MAX + 8], err[512];
	enum store_status ss;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	memset(&al, 0, sizeof(al));
	ss = store_order_get(c->st, ref, &row);
	if (ss != STORE_OK) {
		cli_errx(c, "REF: %s", store_errmsg(c->st));
		return -1;
	}
	if (row.status != ORDER_ACCEPTED && row.status != ORDER_PACKED &&
	    row.status != ORDER_SHIPPED) {
		cli_errx(c, "order %s is %s: no label for it", row.ref,
		    order_status_name(row.status));
		return -1;
	}
	ss = store_order_open(c->st, c->key, row.ref, c->actor, &o, &row);
	if (ss != STORE_OK) {
		cli_errx(c, "order %s: %s", row.ref, store_errmsg(c->st));
		goto out;
	}
	if (address_label_from_order(&o, &al, &fe) != 0) {
		cli_errx(c, "order %s: address: %s: %s; nothing printed for it",
		    row.ref, fe.field, fe.msg);
		goto out;
	}
	memset(&lc, 0, sizeof(lc));
	for (size_t i = 0; i < al.nlines && i < LABEL_LINES_MAX; i++)
		lc.lines[lc.nlines++] = al.line[i];
	if (al.nlines > LABEL_LINES_MAX) {
		cli_errx(c, "order %s: address: %zu lines, at most %d; nothing "
		    "printed for it", row.ref, al.nlines, LABEL_LINES_MAX);
		goto out;
	}
	if (str_printf(url, sizeof(url), "%s/t/%s", r->base_url, row.token) <
	    0) {
		cli_errx(c, "[intake] public_url: too long for a tracking "
		    "link");
		goto out;
	}
	lc.url = url;
	lc.code = row.token;
	if (label_doc_add(r->labels, &lc, err, sizeof(err)) < 0) {
		cli_errx(c, "order %s: %s; nothing printed for it", row.ref,
		    err);
		goto out;
	}
	/*
	 * The label is drawn; a slip that cannot be made now leaves a label
	 * without its slip: say so and count the order as failed, but keep
	 * the label (the parcel can go without the sheet, not without the
	 * label).
	 */
	if (r->o->slip && add_slip(r, row.ref) < 0)
		r->failed++;
	memcpy(r->refs[r->nrefs++], row.ref, STORE_REF_MAX);
	rc = 0;
out:
	order_clear(&o);
	address_label_clear(&al);
	OPENSSL_cleanse(&lc, sizeof(lc));
	return rc;
}

static int
new_docs(struct run *r)
{
	char err[512];
	enum label_format sfmt = r->o->fmt == LABEL_PNG ? LABEL_PNG :
	    LABEL_PDF;

	r->labels = label_doc_new(r->o->fmt, r->o->size, r->o->dpi,
	    &r->sender, err, sizeof(err));
	if (r->labels == NULL) {
		cli_errx(r->c, "%s", err);
		return -1;
	}
	if (r->o->slip) {
		r->slips = slip_doc_new(sfmt, r->o->size == LABEL_A4 ? SLIP_A4 :
		    SLIP_A5, r->o->dpi, r->c->cat, r->c->cfg.templates, err,
		    sizeof(err));
		if (r->slips == NULL) {
			cli_errx(r->c, "%s", err);
			return -1;
		}
	}
	return 0;
}

static void
free_docs(struct run *r)
{
	label_doc_free(r->labels);
	r->labels = NULL;
	slip_doc_free(r->slips);
	r->slips = NULL;
}

/*
 * Finish the documents and deliver them.  The labels' audit entries are
 * written as soon as the labels are out, before the slips: a slip that
 * fails must not make --batch print the same labels again.
 */
static int
flush_docs(struct run *r, const char *name)
{
	unsigned char *data = NULL;
	size_t len = 0;
	char err[512], detail[128];
	int rc = -1;

	if (r->nrefs == 0)
		return 0;
	if (label_doc_finish(r->labels, &data, &len, err, sizeof(err)) < 0) {
		cli_errx(r->c, "%s", err);
		goto out;
	}
	if (deliver(r, false, data, len, name, r->nrefs) < 0)
		goto out;
	mem_wipe_free(data, len);
	data = NULL;
	len = 0;
	if (str_printf(detail, sizeof(detail), "%s %s to %s%s",
	    label_format_name(r->o->fmt), label_size_name(r->o->size),
	    r->o->queue[0] != '\0' ? "queue " : "file", r->o->queue) < 0)
		detail[0] = '\0';
	for (size_t i = 0; i < r->nrefs; i++) {
		if (store_audit(r->c->st, r->c->actor, AUDIT_PRINT, r->refs[i],
		    detail) != STORE_OK) {
			cli_errx(r->c, "order %s: label printed, but the audit "
			    "entry failed: %s", r->refs[i],
			    store_errmsg(r->c->st));
			goto out;
		}
	}
	if (r->slips != NULL && slip_doc_count(r->slips) > 0) {
		if (slip_doc_finish(r->slips, &data, &len, err,
		    sizeof(err)) < 0) {
			cli_errx(r->c, "%s", err);
			goto out;
		}
		if (deliver(r, true, data, len, name, slip_doc_count(
		    r->slips)) < 0)
			goto out;
	}
	rc = 0;
out:
	mem_wipe_free(data, len);
	r->nrefs = 0;
	free_docs(r);
	return rc;
}

static int
parse_opts(struct cli *c, int argc, char **argv, struct label_opts *o)
{
	static const struct option opts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "reprint", no_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'F' },
		{ "size", required_argument, NULL, 's' },
		{ "dpi", required_argument, NULL, 'D' },
		{ "out", required_argument, NULL, 'o' },
		{ "printer", required_argument, NULL, 'p' },
		{ "slip", no_argument, NULL, 'S' },
		{ "slip-printer", required_argument, NULL, 'q' },
		{ "wait", required_argument, NULL, 'w' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = NULL, *size = NULL, *printer = NULL;
	const char *slip_printer = NULL;
	long v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->dpi = LABEL_DPI_DEFAULT;
	o->wait = CUPS_WAIT_DEFAULT;
	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'b':
			o->batch = true;
			break;
		case 'r':
			o->reprint = true;
			break;
		case 'F':
			format = optarg;
			break;
		case 's':
			size = optarg;
			break;
		case 'D':
			if (parse_long(optarg, LABEL_DPI_MIN, LABEL_DPI_MAX,
			    &v) < 0) {
				cli_errx(c, "--dpi: %d to %d", LABEL_DPI_MIN,
				    LABEL_DPI_MAX);
				return CLI_USAGE;
			}
			o->dpi = (int)v;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'p':
			printer = optarg;
			break;
		case 'S':
			o->slip = true;
			break;
		case 'q':
			slip_printer = optarg;
			break;
		case 'w':
			if (parse_long(optarg, 0, CUPS_WAIT_MAX, &v) < 0) {
				cli_errx(c, "--wait: 0 to %d seconds",
				    CUPS_WAIT_MAX);
				return CLI_USAGE;
			}
			o->wait = (int)v;
			break;
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			label_usage(stdout);
			return -1;
		default:
			label_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (o->batch == (optind < argc) || argc - optind > 1) {
		cli_errx(c, "give one REF, or --batch");
		label_usage(stderr);
		return CLI_USAGE;
	}
	if (!o->batch)
		o->ref = argv[optind];
	if (o->reprint && !o->batch) {
		cli_errx(c, "--reprint goes with --batch");
		return CLI_USAGE;
	}
	if (o->out != NULL && (printer != NULL || slip_printer != NULL)) {
		cli_errx(c, "--out and --printer: give one");
		return CLI_USAGE;
	}
	if (o->out != NULL && o->out[0] == '\0') {
		cli_errx(c, "--out: empty");
		return CLI_USAGE;
	}
	if (o->slip && o->out != NULL && strcmp(o->out, "-") == 0) {
		cli_errx(c, "--slip: give --out FILE (the slip goes next to "
		    "it), not -");
		return CLI_USAGE;
	}
	if (printer != NULL && (!cups_queue_valid(printer) ||
	    str_copy(o->queue, sizeof(o->queue), printer) < 0)) {
		cli_errx(c, "--printer: not a CUPS queue name");
		return CLI_USAGE;
	}
	if (slip_printer != NULL && (!cups_queue_valid(slip_printer) ||
	    str_copy(o->slip_queue, sizeof(o->slip_queue), slip_printer) <
	    0)) {
		cli_errx(c, "--slip-printer: not a CUPS queue name");
		return CLI_USAGE;
	}
	if (slip_printer != NULL && !o->slip) {
		cli_errx(c, "--slip-printer goes with --slip");
		return CLI_USAGE;
	}
	/* Format and size checked now, defaults from the config later. */
	if (format != NULL && label_format_parse(format, &o->fmt) < 0) {
		cli_errx(c, "--format: pdf, png or zpl");
		return CLI_USAGE;
	}
	if (size != NULL && label_size_parse(size, &o->size) < 0) {
		cli_errx(c, "--size: 100x150 or a4");
		return CLI_USAGE;
	}
	o->fmt_given = format != NULL;
	o->size_given = size != NULL;
	o->queue_given = printer != NULL;
	return 0;
}

/* Defaults from [printer], then the checks that need them. */
static int
resolve_opts(struct cli *c, struct label_opts *o)
{
	if (!o->fmt_given && label_format_parse(c->cfg.printer_format,
	    &o->fmt) < 0) {
		cli_errx(c, "[printer] format: pdf, png or zpl");
		return -1;
	}
	if (!o->size_given && label_size_parse(c->cfg.printer_size,
	    &o->size) < 0) {
		cli_errx(c, "[printer] size: 100x150 or a4");
		return -1;
	}
	if (!o->queue_given && o->out == NULL &&
	    c->cfg.printer_queue[0] != '\0' &&
	    (!cups_queue_valid(c->cfg.printer_queue) ||
	    str_copy(o->queue, sizeof(o->queue), c->cfg.printer_queue) < 0)) {
		cli_errx(c, "[printer] queue: not a CUPS queue name");
		return -1;
	}
	if (o->fmt == LABEL_ZPL && o->size != LABEL_100X150) {
		cli_errx(c, "--size: ZPL labels are 100x150 only");
		return -1;
	}
	if (o->fmt == LABEL_PNG && o->batch && o->out != NULL) {
		cli_errx(c, "--format png holds one label a file: a batch in "
		    "PNG goes to files named by reference, without --out");
		return -1;
	}
	/* Slips are PDF: they follow the labels to a queue that takes PDF. */
	if (o->slip && o->slip_queue[0] == '\0' && o->queue[0] != '\0' &&
	    o->fmt != LABEL_ZPL)
		memcpy(o->slip_queue, o->queue, sizeof(o->queue));
	return 0;
}

int
cli_label(struct cli *c, int argc, char **argv)
{
	struct label_opts o;
	struct run r;
	struct batch_list bl;
	char ref[STORE_TOKEN_MAX], when[CLOCK_ISO_LEN];
	int rc, ret = CLI_FAIL;
	bool progress;

	memset(&r, 0, sizeof(r));
	memset(&bl, 0, sizeof(bl));
	rc = parse_opts(c, argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? CLI_OK : rc;
	if (!o.batch) {
		struct field_error fe;

		if (packing_scan_ref(o.ref, ref, sizeof(ref), &fe) != 0) {
			cli_errx(c, "REF: %s", fe.msg);
			return CLI_FAIL;
		}
	}
	if (cli_open(c, CLI_NEED_CATALOGUE | CLI_NEED_STORE | CLI_NEED_KEY) <
	    0)
		return CLI_FAIL;
	if (resolve_opts(c, &o) < 0)
		return CLI_USAGE;

	r.c = c;
	r.o = &o;
	r.sender.name = c->cfg.sender_name;
	r.sender.line = c->cfg.sender_line;
	r.sender.postcode = c->cfg.sender_postcode;
	r.sender.commune = c->cfg.sender_commune;
	if (str_copy(r.base_url, sizeof(r.base_url),
	    c->cfg.intake_public_url) < 0) {
		cli_errx(c, "[intake] public_url: too long");
		goto out;
	}
	for (size_t n = strlen(r.base_url); n > 0 && r.base_url[n - 1] == '/';
	    n--)
		r.base_url[n - 1] = '\0';
	{
		char err[256];

		if (label_sender_check(&r.sender, err, sizeof(err)) < 0) {
			cli_errx(c, "[sender]: %s; nothing printed", err);
			goto out;
		}
	}
	if (check_outside(&r) < 0)
		goto out;

	r.refs = calloc(BATCH_MAX, sizeof(*r.refs));
	r.parcel = calloc(1, sizeof(*r.parcel));
	bl.refs = calloc(BATCH_MAX, sizeof(*bl.refs));
	if (r.refs == NULL || r.parcel == NULL || bl.refs == NULL) {
		cli_errx(c, "out of memory");
		goto out;
	}
	if (o.batch) {
		size_t kept = 0;

		if (store_queue(c->st, c->centre_id, ORDER_PACKED, collect,
		    &bl) != STORE_OK) {
			cli_errx(c, "%s", store_errmsg(c->st));
			goto out;
		}
		for (size_t i = 0; i < bl.n; i++) {
			bool done = false;

			if (!o.reprint && labelled(c, bl.refs[i], &done) < 0) {
				cli_errx(c, "cannot read the audit chain");
				goto out;
			}
			if (!done)
				memmove(bl.refs[kept++], bl.refs[i],
				    sizeof(bl.refs[0]));
		}
		bl.n = kept;
		if (bl.n == 0) {
			fprintf(stderr, "%s: no packed order waits for its "
			    "label\n", c->prog);
			ret = CLI_OK;
			goto out;
		}
		if (bl.full)
			cli_errx(c, "more than %d packed orders: the %d oldest "
			    "now, run again for the rest", BATCH_MAX,
			    BATCH_MAX);
	}

	clock_format(clock_now(), when);
	{
		size_t k = 0;

		/* "batch-20260301T093000Z": no '-' or ':' inside the time. */
		for (const char *p = when; *p != '\0' && k < 20; p++)
			if (*p != '-' && *p != ':')
				when[k++] = *p;
		when[k] = '\0';
	}
	if (str_printf(r.batch_name, sizeof(r.batch_name), "batch-%s", when) <
	    0)
		goto out;

	progress = o.batch && isatty(STDERR_FILENO);
	if (!o.batch) {
		/* REF may be a tracking code: find the order's reference. */
		struct store_order_row row;

		if (store_order_get(c->st, ref, &row) != STORE_OK) {
			cli_errx(c, "REF: %s", store_errmsg(c->st));
			goto out;
		}
		if (new_docs(&r) < 0)
			goto out;
		if (add_order(&r, row.ref) < 0)
			goto out;
		if (flush_docs(&r, row.ref) < 0)
			goto out;
		ret = r.failed > 0 ? CLI_FAIL : CLI_OK;
		goto out;
	}
	for (size_t i = 0; i < bl.n; i++) {
		if (r.labels == NULL && new_docs(&r) < 0)
			goto out;
		if (add_order(&r, bl.refs[i]) < 0)
			r.failed++;
		if (progress)
			fprintf(stderr, "\rlabels %zu/%zu", i + 1, bl.n);
		/* A PNG holds one label: one file per order. */
		if (o.fmt == LABEL_PNG && flush_docs(&r, bl.refs[i]) < 0)
			goto out;
	}
	if (progress)
		fputc('\n', stderr);
	if (o.fmt != LABEL_PNG && flush_docs(&r, r.batch_name) < 0)
		goto out;
	if (r.failed > 0)
		cli_errx(c, "%d of %zu orders could not be printed in full: "
		    "see above", r.failed, bl.n);
	ret = r.failed > 0 ? CLI_FAIL : CLI_OK;
out:
	free_docs(&r);
	free(r.refs);
	if (r.parcel != NULL)
		OPENSSL_cleanse(r.parcel, sizeof(*r.parcel));
	free(r.parcel);
	free(bl.refs);
	return ret;
}
