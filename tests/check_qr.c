/*
 * Check suite for printer/qr.c: the module matrix of a tracking URL (size,
 * finder patterns, bounds), the length limits, the SVG drawing, and a
 * round trip: the matrix drawn with cairo into a PNG and read back by
 * zbarimg (zbar-tools), which must return the URL exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cairo.h>

#include "printer/qr.h"
#include "tests/testutil.h"

#define URL "https://suivi.example.org/t/7K3M9QXW2HB4RT6N8"
#define ZBAR_OUT_MAX 1024

/* The 7x7 finder pattern whose top left module is (@x, @y). */
static void
finder_at(const struct qr *qr, int x, int y)
{
	for (int dy = 0; dy < 7; dy++) {
		for (int dx = 0; dx < 7; dx++) {
			bool ring = dx == 0 || dy == 0 || dx == 6 || dy == 6;
			bool core = dx >= 2 && dx <= 4 && dy >= 2 && dy <= 4;

			ck_assert_msg(qr_dark(qr, x + dx, y + dy) ==
			    (ring || core), "finder at %d,%d: module %d,%d", x,
			    y, dx, dy);
		}
	}
}

START_TEST(encode_url)
{
	struct qr *qr = qr_encode(URL);
	int w;

	ck_assert_ptr_nonnull(qr);
	w = qr_width(qr);
	/* Versions 1 to 40: 21 to 177 modules, steps of 4. */
	ck_assert_int_ge(w, 21);
	ck_assert_int_le(w, 177);
	ck_assert_int_eq((w - 17) % 4, 0);
	finder_at(qr, 0, 0);
	finder_at(qr, w - 7, 0);
	finder_at(qr, 0, w - 7);
	/* Outside the symbol: light, never a crash. */
	ck_assert(!qr_dark(qr, -1, 0));
	ck_assert(!qr_dark(qr, 0, -1));
	ck_assert(!qr_dark(qr, w, 0));
	ck_assert(!qr_dark(qr, 0, w));
	qr_free(qr);
	qr_free(NULL);
}
END_TEST

START_TEST(encode_limits)
{
	char *big = malloc(QR_TEXT_MAX + 2);
	struct qr *qr;

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_null(qr_encode(""));
	memset(big, 'A', QR_TEXT_MAX);
	big[QR_TEXT_MAX] = '\0';
	qr = qr_encode(big);
	ck_assert_ptr_nonnull(qr);
	qr_free(qr);
	big[QR_TEXT_MAX] = 'A';
	big[QR_TEXT_MAX + 1] = '\0';
	ck_assert_ptr_null(qr_encode(big));
	free(big);
}
END_TEST

START_TEST(svg_drawing)
{
	struct qr *qr = qr_encode(URL);
	char *svg = NULL, want[64];
	size_t len = 0;
	int side;

	ck_assert_ptr_nonnull(qr);
	side = qr_width(qr) + 8;
	ck_assert_int_eq(qr_svg(qr, 4, &svg, &len), 0);
	ck_assert_ptr_nonnull(svg);
	ck_assert_uint_eq(strlen(svg), len);
	ck_assert(strncmp(svg, "<svg ", 5) == 0);
	ck_assert(strcmp(svg + len - 6, "</svg>") == 0);
	snprintf(want, sizeof(want), "viewBox=\"0 0 %d %d\"", side, side);
	ck_assert_msg(strstr(svg, want) != NULL, "no %s", want);
	/* The URL itself never appears in the drawing. */
	ck_assert_ptr_null(strstr(svg, "suivi"));
	free(svg);
	svg = (char *)"x";
	ck_assert_int_eq(qr_svg(qr, -1, &svg, NULL), -1);
	ck_assert_ptr_null(svg);
	ck_assert_int_eq(qr_svg(qr, 17, &svg, NULL), -1);
	qr_free(qr);
}
END_TEST

/* Draw @qr with a quiet zone of 4 modules, @m pixels each, into @path. */
static void
draw_png(const struct qr *qr, int m, const char *path)
{
	int side = (qr_width(qr) + 8) * m;
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
	    side, side);
	cairo_t *cr = cairo_create(s);

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (int y = 0; y < qr_width(qr); y++)
		for (int x = 0; x < qr_width(qr); x++)
			if (qr_dark(qr, x, y))
				cairo_rectangle(cr, (x + 4) * m, (y + 4) * m, m,
				    m);
	cairo_fill(cr);
	cairo_destroy(cr);
	ck_assert_int_eq(cairo_surface_write_to_png(s, path),
	    CAIRO_STATUS_SUCCESS);
	cairo_surface_destroy(s);
}

START_TEST(zbarimg_round_trip)
{
	const char *dir = testutil_mkdtemp();
	char path[4200], cmd[4400], out[ZBAR_OUT_MAX];
	struct qr *qr = qr_encode(URL);
	size_t n;
	FILE *p;
	int st;

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(qr);
	snprintf(path, sizeof(path), "%s/qr.png", dir);
	draw_png(qr, 6, path);
	qr_free(qr);
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "zbarimg failed "
	    "(is zbar-tools installed?): status %d", st);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	ck_assert_str_eq(out, URL);
	testutil_rmtree(dir);
}
END_TEST

static Suite *
qr_suite(void)
{
	Suite *s = suite_create("qr");
	TCase *tc = tcase_create("qr");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, encode_url);
	tcase_add_test(tc, encode_limits);
	tcase_add_test(tc, svg_drawing);
	tcase_add_test(tc, zbarimg_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(qr_suite)
