/*
 * Labels and slips through a REAL cupsd (tests/integration/cupsd.h): the
 * real hrpost binary in a demo state, orders added and packed with the
 * real subcommands, then `hrpost label`:
 *
 *   --printer pdfq (cups-pdf): the PDF cups-pdf writes is read back with
 *   pdftotext: the address block is the one address_format_label() makes
 *   for the order, in order, every line at most 38 characters, at most 6
 *   lines, the last one postcode and commune in capitals without accents;
 *   the page is rendered with pdftoppm -r 300 and its QR code decoded with
 *   zbarimg equals the tracking URL exactly; a denylist (the centre's name
 *   from centre.db, words naming the purpose or the contents, every pack
 *   name of the catalogue in every language) finds nothing on the label,
 *   and finds the naloxone steps on the slip that went inside (so the
 *   search does see words when they are there);
 *
 *   --printer zplq (raw socket queue): the bytes the printer received start
 *   with ^XA, end with ^XZ, hold the ^BQ with the URL, and none of the
 *   denylisted words; --batch prints every packed order not labelled yet
 *   in one job, a second --batch finds nothing, --reprint prints again;
 *
 *   bad input: an address that cannot fit 6 lines, an unknown queue, a
 *   sender block naming the contents: the reason on stderr, exit 1,
 *   nothing printed.
 *
 * PNG previews of one label and one slip are kept in $HRPOST_ARTIFACTS
 * (default build/artifacts) for a person to look at.  $HRPOST_BIN names
 * the binary.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/util.h"
#include "crypto/key.h"
#include "orders/store.h"
#include "printer/label.h"
#include "printer/zpl.h"
#include "shipping/address.h"
#include "shipping/catalogue.h"
#include "tests/integration/cupsd.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define OUT_MAX (4 << 20)
#define PUBLIC_URL "http://127.0.0.1:8080"

/* A distinctive address: AFNOR positions 1, 2, 4 and 6. */
#define PSEUDO "Zoulikha"
#define LINE1 "Apt 4 chez Mme Quenaudon"
#define LINE2 "17 chemin des Oliviers"
#define POSTCODE "12100"
#define COMMUNE "Millau"

struct result {
	int status;
	char *out;
	size_t out_len;
	char *err;
};

static char dir[DAEMON_PATH_MAX];
static struct cupsd cd;
static struct result r;

/* Words that must never be on the outside of a parcel (any case). */
static const char *const deny_fixed[] = {
	"drug", "syringe", "needle", "naloxone", "injection",
	"harm reduction", "réduction des risques", "seringue", "aiguille",
	"naloxona", "налоксон", "шприц", "jeringa", "seringa",
};

static void
result_free(void)
{
	free(r.out);
	free(r.err);
	memset(&r, 0, sizeof(r));
}

/*
 * Run @argv (NULL-terminated; a tool is found in $PATH) with CUPS_SERVER
 * set, stdin /dev/null, no controlling terminal; capture stdout and
 * stderr into r (daemon_spawn(), daemon_collect()).
 */
static int
run_argv(const char *const *argv)
{
	const char *env[] = { cd.env[0] != '\0' ? cd.env : NULL, NULL };
	struct daemon_child c;

	result_free();
	r.out = malloc(OUT_MAX);
	r.err = malloc(OUT_MAX);
	ck_assert(r.out != NULL && r.err != NULL);
	r.out[0] = r.err[0] = '\0';
	ck_assert_msg(daemon_spawn(&c, argv, env) == 0, "could not run %s",
	    argv[0]);
	r.status = daemon_collect(&c, r.out, OUT_MAX, &r.out_len, r.err,
	    OUT_MAX);
	ck_assert_int_ne(r.status, -1);
	return r.status;
}

/* hrpost -d DIR ARGS... */
static int
hrpost(const char *first, ...)
{
	const char *argv[48];
	size_t n = 0;
	va_list ap;

	argv[n++] = daemon_bin();
	argv[n++] = "-d";
	argv[n++] = dir;
	argv[n++] = first;
	va_start(ap, first);
	for (const char *a = va_arg(ap, const char *); a != NULL;
	    a = va_arg(ap, const char *))
		if (n < ARRAY_LEN(argv) - 1)
			argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return run_argv(argv);
}

#define HRPOST(...) hrpost(__VA_ARGS__, (const char *)NULL)

static void
teardown(void)
{
	(void)cupsd_stop(&cd);
	if (dir[0] != '\0')
		daemon_state_free(dir);
	dir[0] = '\0';
	result_free();
}

static void
setup(void)
{
	static bool once;
	char err[512];

	/* A failed ck_assert exits before the teardown: clean up then too. */
	if (!once) {
		once = true;
		ck_assert_int_eq(atexit(teardown), 0);
	}
	memset(&cd, 0, sizeof(cd));
	ck_assert_msg(daemon_state_new(dir, sizeof(dir)) == 0, "init failed");
	ck_assert_msg(cupsd_start(&cd, "pdfq", "zplq", err, sizeof(err)) == 0,
	    "cupsd did not start: %s", err);
}

/* Add an order with the known address; its reference into @ref. */
static void
add_order_at(char *ref, size_t refsz, const char *lang, const char *postcode,
    const char *const *extra)
{
	const char *argv[40];
	size_t n = 0, len;

	argv[n++] = daemon_bin();
	argv[n++] = "-d";
	argv[n++] = dir;
	argv[n++] = "order";
	argv[n++] = "add";
	argv[n++] = "--pseudonym";
	argv[n++] = PSEUDO;
	argv[n++] = "--postcode";
	argv[n++] = postcode;
	argv[n++] = "--commune";
	argv[n++] = COMMUNE;
	argv[n++] = "--lang";
	argv[n++] = lang;
	argv[n++] = "--pack";
	argv[n++] = "INJ:1";
	argv[n++] = "--pack";
	argv[n++] = "NALOX:1";
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	ck_assert_msg(run_argv(argv) == 0, "order add: %s", r.err);
	len = strlen(r.out);
	ck_assert(len > 1 && len < refsz);
	memcpy(ref, r.out, len - 1);
	ref[len - 1] = '\0';
}

static void
add_order(char *ref, size_t refsz, const char *lang, const char *const *extra)
{
	add_order_at(ref, refsz, lang, POSTCODE, extra);
}

static void
add_known(char *ref, size_t refsz, const char *lang)
{
	static const char *const lines[] = { "--line", LINE1, "--line",
	    LINE2, NULL };

	add_order(ref, refsz, lang, lines);
}

/*
 * Record an order straight through the store, as a release before the
 * order rules checked that an address fits a label would have: the only
 * way now to have such an order in centre.db.  Accepted, with INJ:1.
 */
static void
add_unchecked(char *ref, size_t refsz, const char *pseudonym,
    const char *postcode, const char *commune)
{
	char path[DAEMON_PATH_MAX + 64], errbuf[256], tok[STORE_TOKEN_MAX];
	char newref[STORE_REF_MAX];
	struct centre_key *key = NULL;
	struct store *st;
	struct order o;
	int64_t centre;

	snprintf(path, sizeof(path), "%s/keys/centre.key", dir);
	ck_assert_int_eq(key_load_private(path, NULL, 0, &key), KEY_OK);
	snprintf(path, sizeof(path), "%s/centre.db", dir);
	st = store_open(path, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	ck_assert_int_eq(store_centre_find(st, "demo", &centre), STORE_OK);
	memset(&o, 0, sizeof(o));
	ck_assert_int_eq(str_copy(o.pseudonym, sizeof(o.pseudonym),
	    pseudonym), 0);
	ck_assert_int_eq(str_copy(o.lines[0], sizeof(o.lines[0]),
	    "17 chemin des Oliviers"), 0);
	o.nlines = 1;
	ck_assert_int_eq(str_copy(o.postcode, sizeof(o.postcode), postcode),
	    0);
	ck_assert_int_eq(address_postcode_check(postcode, o.dept, NULL), 0);
	ck_assert_int_eq(str_copy(o.commune, sizeof(o.commune), commune), 0);
	ck_assert_int_eq(str_copy(o.lang, sizeof(o.lang), "fr"), 0);
	o.for_people = 1;
	o.channel = ORDER_CHANNEL_PHONE;
	ck_assert_int_eq(str_copy(o.packs[0].pack, sizeof(o.packs[0].pack),
	    "INJ"), 0);
	o.packs[0].qty = 1;
	ck_assert_int_eq(str_copy(o.packs[0].variant,
	    sizeof(o.packs[0].variant), "29G-12"), 0);
	o.npacks = 1;
	ck_assert_msg(store_order_add(st, key, centre, &o, ORDER_ACCEPTED,
	    NULL, 0, 0, "test:legacy", newref, tok) == STORE_OK, "%s",
	    store_errmsg(st));
	ck_assert_uint_lt(strlen(newref), refsz);
	memcpy(ref, newref, strlen(newref) + 1);
	order_clear(&o);
	store_close(st);
	key_free(key);
}

static void
pack(const char *ref)
{
	ck_assert_msg(HRPOST("pack", ref) == 0, "pack %s: %s", ref, r.err);
}

/* The order's tracking code, from `order show --format json`. */
static void
tracking(const char *ref, char *out, size_t outsz)
{
	json_t *root, *t;
	json_error_t je;

	ck_assert_msg(HRPOST("order", "show", ref, "--format", "json") == 0,
	    "order show: %s", r.err);
	root = json_loads(r.out, 0, &je);
	ck_assert_ptr_nonnull(root);
	t = json_object_get(root, "tracking");
	ck_assert(json_is_string(t));
	ck_assert_int_eq(str_copy(out, outsz, json_string_value(t)), 0);
	json_decref(root);
}

/* The expected address block, from the formatter the label uses. */
static void
expected_block(struct address_label *al)
{
	static const char *const lines[] = { LINE1, LINE2 };
	struct address_parts ap;
	struct field_error fe;

	memset(&ap, 0, sizeof(ap));
	ap.recipient = PSEUDO;
	ap.lines = lines;
	ap.nlines = 2;
	ap.postcode = POSTCODE;
	ap.commune = COMMUNE;
	ck_assert_msg(address_format_label(&ap, al, &fe) == 0, "%s: %s",
	    fe.field, fe.msg);
}

/* Run a tool; its stdout in r.out.  Fails the test when it fails. */
static void
tool(const char *what, const char *const *argv)
{
	int st = run_argv(argv);

	ck_assert_msg(st == 0, "%s failed (status %d; is it installed?): %s",
	    what, st, r.err);
}

/* Text of a PDF, by pdftotext. */
static char *
pdf_text(const char *pdf)
{
	const char *argv[] = { "pdftotext", "-enc", "UTF-8", pdf, "-", NULL };

	tool("pdftotext", argv);
	return str_dup(r.out);
}

/* The QR code on page 1 of @pdf, decoded by zbarimg from a 300 dpi PNG. */
static char *
pdf_qr(const char *pdf)
{
	char prefix[CUPSD_PATH_MAX + 16], png[CUPSD_PATH_MAX + 32];
	const char *ppm[] = { "pdftoppm", "-r", "300", "-png", "-singlefile",
	    "-f", "1", "-l", "1", pdf, prefix, NULL };
	const char *zbar[] = { "zbarimg", "--raw", "-q", png, NULL };
	size_t n;

	snprintf(prefix, sizeof(prefix), "%s/qrpage", cd.dir);
	snprintf(png, sizeof(png), "%s.png", prefix);
	tool("pdftoppm", ppm);
	tool("zbarimg", zbar);
	n = strlen(r.out);
	while (n > 0 && (r.out[n - 1] == '\n' || r.out[n - 1] == '\r'))
		r.out[--n] = '\0';
	return str_dup(r.out);
}

/* Lower-case ASCII with accents folded, for a loose search. */
static char *
fold(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 8);
	size_t k = 0;

	ck_assert_ptr_nonnull(out);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
		char one[8], ascii[16];
		size_t len = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 :
		    1;

		memcpy(one, p, len);
		one[len] = '\0';
		p += len;
		if (zpl_ascii(one, ascii, sizeof(ascii), NULL, 0) < 0)
			continue;
		for (const char *a = ascii; *a != '\0'; a++)
			out[k++] = (char)tolower((unsigned char)*a);
	}
	out[k] = '\0';
	return out;
}

/* The denylist: fixed words, the centre's name, every pack name. */
static size_t
denylist(const char **words, char names[][CATALOGUE_NAME_MAX], size_t max)
{
	char err[512], db[DAEMON_PATH_MAX + 32], tmpl[4096];
	struct catalogue *cat;
	sqlite3 *sq = NULL;
	sqlite3_stmt *s = NULL;
	const char *top = getenv("HRPOST_SRCDIR");
	size_t n = 0, k = 0;

	for (size_t i = 0; i < ARRAY_LEN(deny_fixed); i++)
		words[n++] = deny_fixed[i];
	snprintf(db, sizeof(db), "%s/centre.db", dir);
	ck_assert_int_eq(sqlite3_open_v2(db, &sq, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(sq, "SELECT name FROM centres",
	    -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW && k < max) {
		ck_assert_int_eq(str_copy(names[k], CATALOGUE_NAME_MAX,
		    (const char *)sqlite3_column_text(s, 0)), 0);
		words[n++] = names[k++];
	}
	ck_assert_uint_ge(k, 1);
	sqlite3_finalize(s);
	sqlite3_close(sq);
	snprintf(tmpl, sizeof(tmpl), "%s/templates", top != NULL ? top : ".");
	cat = catalogue_load(tmpl, err, sizeof(err));
	ck_assert_msg(cat != NULL, "%s", err);
	for (size_t i = 0; i < catalogue_npacks(cat); i++) {
		for (size_t l = 0; l < catalogue_nlangs(cat); l++) {
			const char *name = catalogue_pack_name(cat,
			    catalogue_pack_at(cat, i)->code,
			    catalogue_lang_at(cat, l));

			ck_assert_uint_lt(k, max);
			ck_assert_int_eq(str_copy(names[k], CATALOGUE_NAME_MAX,
			    name), 0);
			words[n++] = names[k++];
		}
	}
	catalogue_free(cat);
	return n;
}

/* The denylisted word found in @text, or NULL. */
static const char *
deny_hit(const char *text)
{
	static const char *words[512];
	static char names[480][CATALOGUE_NAME_MAX];
	size_t n = denylist(words, names, ARRAY_LEN(names));
	char *t = fold(text);
	const char *hit = NULL;

	for (size_t i = 0; i < n && hit == NULL; i++) {
		char *w = fold(words[i]);

		if (w[0] != '\0' && strstr(t, w) != NULL)
			hit = words[i];
		free(w);
	}
	free(t);
	return hit;
}

/*
 * The address block in pdftotext's output: the formatter's lines appear
 * in order, and they keep AFNOR's rules.
 */
static void
check_block(const char *text, const struct address_label *al)
{
	const char *p = text;
	const char *last;

	ck_assert_uint_ge(al->nlines, 2);
	ck_assert_uint_le(al->nlines, 6);
	for (size_t i = 0; i < al->nlines; i++) {
		char want[ADDRESS_LABEL_LINE_BYTES + 2];
		const char *at;

		ck_assert_uint_le(strlen(al->line[i]), 38);
		snprintf(want, sizeof(want), "%s\n", al->line[i]);
		at = strstr(p, want);
		ck_assert_msg(at != NULL && (at == text || at[-1] == '\n'),
		    "address line %zu '%s' not found as a line, in order, in "
		    "the label's text:\n%s", i + 1, al->line[i], text);
		p = at + strlen(want);
	}
	last = al->line[al->nlines - 1];
	ck_assert_msg(strlen(last) >= 7 && isdigit((unsigned char)last[0]) &&
	    last[5] == ' ', "last line is not postcode and commune: %s", last);
	for (const char *q = last; *q != '\0'; q++)
		ck_assert_msg((*q >= 'A' && *q <= 'Z') || (*q >= '0' &&
		    *q <= '9') || *q == ' ', "last line not in capitals "
		    "without accents: %s", last);
	ck_assert_str_eq(last, POSTCODE " MILLAU");
}

static void
artifacts_dir(char *out, size_t outsz)
{
	const char *a = getenv("HRPOST_ARTIFACTS");
	const char *argv[] = { "mkdir", "-p", NULL, NULL };

	ck_assert_int_eq(str_copy(out, outsz, a != NULL && a[0] != '\0' ? a :
	    "build/artifacts"), 0);
	argv[2] = out;
	tool("mkdir", argv);
}

/* Sort cups-pdf's PDFs: with denylisted words (slips) or without. */
static void
pdf_each(int *slips, int *labels)
{
	DIR *d = opendir(cd.pdf_out);
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	for (;;) {
		char p[CUPSD_PATH_MAX + 300], *text;
		size_t l;

		e = readdir(d);
		if (e == NULL)
			break;
		l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".pdf") != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", cd.pdf_out, e->d_name);
		text = pdf_text(p);
		if (deny_hit(text) != NULL) {
			ck_assert_msg(strstr(text, "Naloxone") != NULL,
			    "%s", text);
			(*slips)++;
		} else {
			(*labels)++;
		}
		free(text);
	}
	closedir(d);
}

START_TEST(label_through_cups_pdf)
{
	char ref[32], code[32], url[128], pdf[CUPSD_PATH_MAX + 300];
	char grouped[40];
	struct address_label al;
	char *text, *qr;
	const char *hit;
	int count = 0;

	add_known(ref, sizeof(ref), "fr");
	pack(ref);
	tracking(ref, code, sizeof(code));
	snprintf(url, sizeof(url), "%s/t/%s", PUBLIC_URL, code);

	ck_assert_msg(HRPOST("label", ref, "--printer", "pdfq", "--format",
	    "pdf") == 0, "label: %s", r.err);
	ck_assert_msg(strstr(r.err, "printed on queue pdfq") != NULL, "%s",
	    r.err);
	ck_assert_msg(cupsd_pdf_newest(&cd, pdf, sizeof(pdf), &count,
	    30000) == 0, "cups-pdf wrote no PDF");
	ck_assert_int_eq(count, 1);

	text = pdf_text(pdf);
	expected_block(&al);
	check_block(text, &al);
	ck_assert_int_eq(label_code_group(code, grouped, sizeof(grouped)), 0);
	ck_assert_msg(strstr(text, grouped) != NULL, "no %s in:\n%s", grouped,
	    text);
	ck_assert_ptr_nonnull(strstr(text, "SERVICE EXPEDITIONS"));
	hit = deny_hit(text);
	ck_assert_msg(hit == NULL, "the label says \"%s\":\n%s", hit, text);
	/* Nothing else personal, nothing of the order beyond the label. */
	ck_assert_ptr_null(strstr(text, ref));
	free(text);

	qr = pdf_qr(pdf);
	ck_assert_str_eq(qr, url);
	free(qr);

	/*
	 * With --slip the slip follows on the same queue.  It names the
	 * contents (it goes inside): the search finds them there, and only
	 * there (cups-pdf names files by job title: the label's replaced the
	 * first one).
	 */
	ck_assert_msg(HRPOST("label", ref, "--printer", "pdfq", "--slip") == 0,
	    "label --slip: %s", r.err);
	ck_assert(cupsd_wait_idle(&cd, 30000) == 0);
	ck_assert_int_eq(cupsd_pdf_newest(&cd, pdf, sizeof(pdf), &count,
	    30000), 0);
	ck_assert_int_eq(count, 2);
	{
		int slips = 0, labels = 0;

		pdf_each(&slips, &labels);
		ck_assert_int_eq(slips, 1);
		ck_assert_int_eq(labels, 1);
	}
}
END_TEST

START_TEST(slip_text_in_language)
{
	char ref[32], out[DAEMON_PATH_MAX + 64], slip[DAEMON_PATH_MAX + 64];
	char *text;

	ck_assert_int_eq(daemon_config_set(dir, "centre", "phone",
	    "+33 5 56 00 00 00"), 0);
	add_known(ref, sizeof(ref), "ru");
	pack(ref);
	snprintf(out, sizeof(out), "%s/../l.pdf", dir);
	snprintf(slip, sizeof(slip), "%s/../l-slip.pdf", dir);
	ck_assert_msg(HRPOST("label", ref, "--out", out, "--slip") == 0,
	    "label: %s", r.err);
	text = pdf_text(slip);
	/* The slip is in the recipient's language, with the naloxone steps. */
	ck_assert_msg(strstr(text, "Налоксон") != NULL, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "112"));
	ck_assert_ptr_nonnull(strstr(text, "+33 5 56 00 00 00"));
	ck_assert_ptr_nonnull(deny_hit(text));
	free(text);
	text = pdf_text(out);
	ck_assert_ptr_null(deny_hit(text));
	free(text);
}
END_TEST

START_TEST(label_through_raw_queue)
{
	char ref[32], code[32], want[160];
	unsigned char *zpl;
	size_t len, n;
	const char *hit;

	add_known(ref, sizeof(ref), "es");
	pack(ref);
	tracking(ref, code, sizeof(code));
	ck_assert_msg(HRPOST("label", ref, "--printer", "zplq", "--format",
	    "zpl") == 0, "label: %s", r.err);
	zpl = cupsd_raw_wait(&cd, 1, &len, 30000);
	ck_assert_msg(zpl != NULL, "the raw printer got nothing");
	ck_assert(strncmp((char *)zpl, "^XA", 3) == 0);
	n = len;
	while (n > 0 && isspace(zpl[n - 1]))
		n--;
	ck_assert(n >= 3 && memcmp(zpl + n - 3, "^XZ", 3) == 0);
	snprintf(want, sizeof(want), "^BQN,2,");
	ck_assert_ptr_nonnull(strstr((char *)zpl, want));
	snprintf(want, sizeof(want), "^FDMA,%s/t/%s^FS", PUBLIC_URL, code);
	ck_assert_msg(strstr((char *)zpl, want) != NULL, "no %s in\n%s", want,
	    zpl);
	ck_assert_ptr_nonnull(strstr((char *)zpl, "^CI28"));
	ck_assert_ptr_nonnull(strstr((char *)zpl, "^FD12100 MILLAU^FS"));
	hit = deny_hit((char *)zpl);
	ck_assert_msg(hit == NULL, "the ZPL says \"%s\"", hit);
	free(zpl);
}
END_TEST

static int
count_str(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = strstr(s, what); p != NULL;
	    p = strstr(p + 1, what))
		n++;
	return n;
}

START_TEST(batch_through_raw_queue)
{
	char a[32], b[32], c[32];
	unsigned char *zpl;
	size_t len;

	add_known(a, sizeof(a), "fr");
	add_known(b, sizeof(b), "pt");
	add_known(c, sizeof(c), "en");
	pack(a);
	pack(b);
	/* c stays accepted: not in the batch. */
	ck_assert_msg(HRPOST("label", "--batch", "--printer", "zplq",
	    "--format", "zpl") == 0, "batch: %s", r.err);
	zpl = cupsd_raw_wait(&cd, 1, &len, 30000);
	ck_assert_ptr_nonnull(zpl);
	ck_assert_int_eq(count_str((char *)zpl, "^XA"), 2);
	ck_assert_int_eq(count_str((char *)zpl, "^XZ"), 2);
	free(zpl);
	/* Both are labelled now: nothing to do, no job. */
	ck_assert_msg(HRPOST("label", "--batch", "--printer", "zplq",
	    "--format", "zpl") == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "no packed order"));
	pack(c);
	ck_assert_int_eq(HRPOST("label", "--batch", "--printer", "zplq",
	    "--format", "zpl"), 0);
	zpl = cupsd_raw_wait(&cd, 2, &len, 30000);
	ck_assert_ptr_nonnull(zpl);
	ck_assert_int_eq(count_str((char *)zpl, "^XA"), 3);
	free(zpl);
	ck_assert_int_eq(HRPOST("label", "--batch", "--reprint", "--printer",
	    "zplq", "--format", "zpl"), 0);
	zpl = cupsd_raw_wait(&cd, 3, &len, 30000);
	ck_assert_ptr_nonnull(zpl);
	ck_assert_int_eq(count_str((char *)zpl, "^XA"), 6);
	free(zpl);
	/* Each print is in the audit chain, which still verifies. */
	ck_assert_int_eq(HRPOST("audit", "verify"), 0);
}
END_TEST

START_TEST(files_and_previews)
{
	char ref[32], path[DAEMON_PATH_MAX + 64], art[4096];
	char png[4200], slip[4200];
	struct stat sb;

	add_known(ref, sizeof(ref), "fr");
	pack(ref);
	/* No queue, no --out: labels_dir/REF.pdf, mode 0600. */
	ck_assert_msg(HRPOST("label", ref) == 0, "label: %s", r.err);
	snprintf(path, sizeof(path), "%s/labels/%s.pdf", dir, ref);
	ck_assert_msg(strncmp(r.out, path, strlen(path)) == 0, "stdout: %s",
	    r.out);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_ptr_null(strstr(r.out, PSEUDO));
	/* --out -: the PDF on stdout. */
	ck_assert_int_eq(HRPOST("label", ref, "--out", "-"), 0);
	ck_assert(r.out_len > 100 && memcmp(r.out, "%PDF-", 5) == 0);

	/* Previews for people to look at, with the coordinator's number. */
	ck_assert_int_eq(daemon_config_set(dir, "centre", "phone",
	    "05 56 00 00 00"), 0);
	artifacts_dir(art, sizeof(art));
	snprintf(png, sizeof(png), "%s/label.png", art);
	snprintf(slip, sizeof(slip), "%s/label-slip.png", art);
	ck_assert_msg(HRPOST("label", ref, "--format", "png", "--dpi", "203",
	    "--out", png, "--slip") == 0, "preview: %s", r.err);
	ck_assert_int_eq(stat(png, &sb), 0);
	ck_assert_int_gt(sb.st_size, 1000);
	ck_assert_int_eq(stat(slip, &sb), 0);
	ck_assert_int_gt(sb.st_size, 1000);
	{
		const char *zbar[] = { "zbarimg", "--raw", "-q", png, NULL };
		char code[32], url[128];

		tracking(ref, code, sizeof(code));
		snprintf(url, sizeof(url), "%s/t/%s\n", PUBLIC_URL, code);
		tool("zbarimg", zbar);
		ck_assert_str_eq(r.out, url);
	}
}
END_TEST

START_TEST(refusals)
{
	char ref[32], ref2[32], good[32], path[DAEMON_PATH_MAX + 64];
	struct stat sb;
	int count = 0;
	char pdf[CUPSD_PATH_MAX + 300];

	/*
	 * Addresses no label can carry: a Paris postcode for Millau (the
	 * département contradicts the commune), a name with characters that
	 * have no Latin form.  The order rules refuse them at once, naming
	 * the field, nothing stored ...
	 */
	ck_assert_int_eq(HRPOST("order", "add", "--pseudonym", PSEUDO,
	    "--line", "17 chemin des Oliviers", "--postcode", "75001",
	    "--commune", COMMUNE, "--pack", "INJ"), 1);
	ck_assert_msg(strstr(r.err, "postcode") != NULL, "%s", r.err);
	ck_assert_int_eq(HRPOST("order", "add", "--pseudonym", "Zoé 東京",
	    "--line", "17 chemin des Oliviers", "--postcode", "12100",
	    "--commune", COMMUNE, "--pack", "INJ"), 1);
	ck_assert_msg(strstr(r.err, "pseudonym") != NULL, "%s", r.err);
	/* ... and orders recorded before that rule are refused at print time. */
	add_unchecked(ref, sizeof(ref), PSEUDO, "75001", COMMUNE);
	pack(ref);
	ck_assert_int_eq(HRPOST("label", ref, "--printer", "pdfq"), 1);
	ck_assert_msg(strstr(r.err, "postcode") != NULL &&
	    strstr(r.err, "nothing printed") != NULL, "%s", r.err);
	ck_assert_ptr_null(strstr(r.err, "Oliviers"));
	ck_assert_ptr_null(strstr(r.err, PSEUDO));
	add_unchecked(ref2, sizeof(ref2), "Zoé 東京", "12100", COMMUNE);
	pack(ref2);
	ck_assert_int_eq(HRPOST("label", ref2, "--printer", "pdfq"), 1);
	ck_assert_msg(strstr(r.err, "pseudonym") != NULL &&
	    strstr(r.err, "transliteration") != NULL, "%s", r.err);
	ck_assert_ptr_null(strstr(r.err, "Zoé"));
	ck_assert(cupsd_wait_idle(&cd, 10000) == 0);
	ck_assert_int_eq(cupsd_pdf_newest(&cd, pdf, sizeof(pdf), &count, 500),
	    -1);
	ck_assert_int_eq(count, 0);
	/* In a batch they are skipped, the others print, the exit says so. */
	add_known(good, sizeof(good), "fr");
	pack(good);
	ck_assert_int_eq(HRPOST("label", "--batch", "--printer", "zplq",
	    "--format", "zpl"), 1);
	ck_assert_msg(strstr(r.err, "2 of 3 orders") != NULL, "%s", r.err);
	{
		size_t len;
		unsigned char *zpl = cupsd_raw_wait(&cd, 1, &len, 30000);

		ck_assert_ptr_nonnull(zpl);
		ck_assert_int_eq(count_str((char *)zpl, "^XA"), 1);
		free(zpl);
	}

	/* An unknown queue: named, exit 1. */
	ck_assert_int_eq(HRPOST("label", good, "--printer", "nosuch"), 1);
	ck_assert_msg(strstr(r.err, "queue nosuch does not exist") != NULL,
	    "%s", r.err);
	/* Not ours at all. */
	ck_assert_int_eq(HRPOST("label", "HELLO"), 1);
	ck_assert_ptr_nonnull(strstr(r.err, "REF"));
	/* ZPL is 100x150 only. */
	ck_assert_int_eq(HRPOST("label", good, "--format", "zpl", "--size",
	    "a4"), 2);

	/* A sender block that names the contents never reaches a label. */
	ck_assert_int_eq(daemon_config_set(dir, "sender", "name",
	    "ENVOIS NALOXONE"), 0);
	ck_assert_int_eq(HRPOST("label", good), 1);
	ck_assert_msg(strstr(r.err, "[sender] name") != NULL, "%s", r.err);
	snprintf(path, sizeof(path), "%s/labels/%s.pdf", dir, good);
	ck_assert_int_ne(stat(path, &sb), 0);
}
END_TEST

static Suite *
cups_suite(void)
{
	Suite *s = suite_create("cups");
	TCase *tc = tcase_create("cups");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, label_through_cups_pdf);
	tcase_add_test(tc, slip_text_in_language);
	tcase_add_test(tc, label_through_raw_queue);
	tcase_add_test(tc, batch_through_raw_queue);
	tcase_add_test(tc, files_and_previews);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(cups_suite)
