/*
 * Check suite for server/template.c: escaping by default (& < > " '),
 * raw values only through template_set_raw() and {{&name}}, sections over
 * lists (inner names first, then outer), booleans and strings, inverted
 * sections, texts of the language with {name} filled in and escaped and
 * the fall back to fr, comments, every malformed template refused with
 * file:line and the reason, the output and context limits, the language
 * choice from ?lang= and Accept-Language, and the shipped templates:
 * they load, and every web.* text exists in every language.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "server/template.h"
#include "tests/testutil.h"

static char *
render(const char *src, const char *ini, struct template_ctx *ctx)
{
	char errbuf[256];
	struct template_set *ts;
	char *out = NULL;
	size_t len = 0;

	ts = template_parse_string("t", src, ini != NULL ? "fr" : NULL, ini,
	    errbuf, sizeof(errbuf));
	ck_assert_msg(ts != NULL, "%s", errbuf);
	ck_assert_int_eq(template_render(ts, "t", "fr", ctx, &out, &len), 0);
	ck_assert_uint_eq(strlen(out), len);
	template_free(ts);
	return out;
}

static void
refused(const char *src, const char *ini, const char *want)
{
	char errbuf[256] = "";

	ck_assert_ptr_null(template_parse_string("t", src, ini != NULL ?
	    "fr" : NULL, ini, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, want) != NULL, "'%s' for %s", errbuf,
	    src);
}

START_TEST(test_escape)
{
	struct template_ctx *ctx = template_ctx_new();
	char *out;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(template_set(ctx, "v", "<b>\"Tom\" & 'Jerry'</b>"),
	    0);
	ck_assert_int_eq(template_set_raw(ctx, "svg", "<svg/>"), 0);
	out = render("[{{v}}] [{{&v}}] [{{&svg}}] [{{svg}}] [{{none}}]"
	    "{{! a comment {with braces} }}.", NULL, ctx);
	ck_assert_str_eq(out, "[&lt;b&gt;&quot;Tom&quot; &amp; "
	    "&#39;Jerry&#39;&lt;/b&gt;] [] [<svg/>] [] [].");
	free(out);
	/* Setting again replaces, kind and all. */
	ck_assert_int_eq(template_set(ctx, "svg", "<i>"), 0);
	out = render("{{&svg}}|{{svg}}", NULL, ctx);
	ck_assert_str_eq(out, "|&lt;i&gt;");
	free(out);
	template_ctx_free(ctx);
	template_ctx_free(NULL);

	{
		char *buf = NULL;
		size_t len = 0, cap = 0;

		ck_assert_int_eq(template_escape_append(&buf, &len, &cap, 100,
		    "a<b"), 0);
		ck_assert_str_eq(buf, "a&lt;b");
		ck_assert_int_eq(template_escape_append(&buf, &len, &cap, 8,
		    "<<"), -1);
		free(buf);
	}
}
END_TEST

START_TEST(test_sections)
{
	struct template_ctx *ctx = template_ctx_new(), *it;
	char *out;

	ck_assert_int_eq(template_set(ctx, "title", "T"), 0);
	ck_assert_int_eq(template_set_bool(ctx, "yes", true), 0);
	ck_assert_int_eq(template_set_bool(ctx, "no", false), 0);
	ck_assert_int_eq(template_set(ctx, "empty", ""), 0);
	for (int i = 0; i < 3; i++) {
		char v[8];

		it = template_list_add(ctx, "items");
		ck_assert_ptr_nonnull(it);
		ck_assert_int_ge(str_printf(v, sizeof(v), "%d", i), 0);
		ck_assert_int_eq(template_set(it, "n", v), 0);
		ck_assert_int_eq(template_set_bool(it, "odd", i % 2 == 1), 0);
		if (i == 2)
			ck_assert_int_eq(template_set(it, "title", "<own>"),
			    0);
	}
	ck_assert_ptr_nonnull(template_list_add(ctx, "nothing"));
	out = render("{{#items}}({{n}}{{#odd}}o{{/odd}}{{^odd}}e{{/odd}}"
	    "{{title}}){{/items}}|{{#yes}}Y{{/yes}}{{#no}}N{{/no}}"
	    "{{^no}}n{{/no}}{{^yes}}y{{/yes}}|{{#empty}}E{{/empty}}"
	    "{{^empty}}e{{/empty}}{{^missing}}m{{/missing}}{{#title}}t"
	    "{{/title}}|{{^items}}none{{/items}}{{#nothing}}x{{/nothing}}",
	    NULL, ctx);
	ck_assert_str_eq(out, "(0eT)(1oT)(2e&lt;own&gt;)|Yn|emt|x");
	free(out);
	template_ctx_free(ctx);

	/* An empty list is false for {{^}}. */
	ctx = template_ctx_new();
	ck_assert_int_eq(template_set(ctx, "x", "1"), 0);
	out = render("{{^list}}empty{{/list}}", NULL, ctx);
	ck_assert_str_eq(out, "empty");
	free(out);
	out = render("no tags at all", NULL, NULL);
	ck_assert_str_eq(out, "no tags at all");
	free(out);
	out = render("", NULL, NULL);
	ck_assert_str_eq(out, "");
	free(out);
	template_ctx_free(ctx);
}
END_TEST

START_TEST(test_texts)
{
	const char *ini = "[messages]\n"
	    "hello = Bonjour {who}, réf. {ref} {unknown} {not a name} {\n"
	    "plain = a < b & c\n";
	struct template_ctx *ctx = template_ctx_new();
	char *out;

	ck_assert_int_eq(template_set(ctx, "who", "<Zoé>"), 0);
	ck_assert_int_eq(template_set(ctx, "ref", "AB12"), 0);
	out = render("{{t:hello}}|{{t:plain}}", ini, ctx);
	ck_assert_str_eq(out, "Bonjour &lt;Zoé&gt;, réf. AB12 {unknown} "
	    "{not a name} {|a &lt; b &amp; c");
	free(out);
	template_ctx_free(ctx);

	refused("{{t:missing}}", ini, "html/t.html:1: text 'missing' is not "
	    "in i18n/fr.ini");
	refused("{{t:hello}}", NULL, "not in i18n");
	refused("x", "[messages]\nk = 1\nk = 2\n", "i18n/fr.ini:3: k: given "
	    "twice");
	refused("x", "[messages]\nk = a\x01b\n", "not a single line");
	refused("x", "[messages]\nk = a\xff\n", "not a single line");
}
END_TEST

START_TEST(test_malformed)
{
	char deep[512] = "", *p = deep;

	refused("a\n{{open", NULL, "html/t.html:2: unclosed tag");
	refused("{{}}", NULL, "html/t.html:1: bad tag name");
	refused("{{a b}}", NULL, "bad tag name");
	refused("{{ name }}", NULL, "bad tag name");
	refused("{{%x}}", NULL, "bad tag name");
	refused("{{#}}", NULL, "bad tag name");
	refused("\n\n{{/a}}", NULL, "html/t.html:3: {{/a}} closes no section");
	refused("{{#a}}\n{{/b}}", NULL, "html/t.html:2: {{/b}} closes "
	    "section 'a'");
	refused("x\n{{#a}}\n{{#b}}{{/b}}", NULL, "html/t.html:2: section 'a' "
	    "is not closed");
	for (int i = 0; i < TEMPLATE_DEPTH_MAX + 1; i++)
		p += snprintf(p, sizeof(deep) - (size_t)(p - deep), "{{#s%d}}",
		    i);
	for (int i = TEMPLATE_DEPTH_MAX; i >= 0; i--)
		p += snprintf(p, sizeof(deep) - (size_t)(p - deep), "{{/s%d}}",
		    i);
	refused(deep, NULL, "nested deeper than 8");
	refused("a\xff", NULL, "not valid UTF-8");
	{
		/* Exactly TEMPLATE_DEPTH_MAX levels are fine. */
		char ok[512] = "";
		struct template_set *ts;
		char errbuf[256];

		p = ok;
		for (int i = 0; i < TEMPLATE_DEPTH_MAX; i++)
			p += snprintf(p, sizeof(ok) - (size_t)(p - ok),
			    "{{#s%d}}", i);
		for (int i = TEMPLATE_DEPTH_MAX - 1; i >= 0; i--)
			p += snprintf(p, sizeof(ok) - (size_t)(p - ok),
			    "{{/s%d}}", i);
		ts = template_parse_string("t", ok, NULL, NULL, errbuf,
		    sizeof(errbuf));
		ck_assert_msg(ts != NULL, "%s", errbuf);
		template_free(ts);
	}
	ck_assert_ptr_null(template_parse_string("bad name", "x", NULL, NULL,
	    NULL, 0));
}
END_TEST

START_TEST(test_limits)
{
	struct template_ctx *ctx = template_ctx_new();
	struct template_set *ts;
	char *big = malloc(TEMPLATE_VALUE_MAX + 2);
	char *out = NULL;
	size_t len = 0;
	char errbuf[128];

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', TEMPLATE_VALUE_MAX + 1);
	big[TEMPLATE_VALUE_MAX + 1] = '\0';
	ck_assert_int_eq(template_set(ctx, "v", big), -1);
	big[TEMPLATE_VALUE_MAX] = '\0';
	ck_assert_int_eq(template_set(ctx, "v", big), 0);
	ck_assert_int_eq(template_set(ctx, "bad name", "x"), -1);
	ck_assert_int_eq(template_set(ctx, "", "x"), -1);
	ck_assert_int_eq(template_set(ctx, "x", NULL), -1);
	ck_assert_int_eq(template_set_bool(ctx, "a/b", true), -1);
	ck_assert_ptr_null(template_list_add(ctx, "{x}"));
	for (int i = 0; i < TEMPLATE_LIST_MAX; i++)
		ck_assert_ptr_nonnull(template_list_add(ctx, "list"));
	ck_assert_ptr_null(template_list_add(ctx, "list"));

	/* 256 items of 64 KiB are far over TEMPLATE_OUTPUT_MAX: refused. */
	ts = template_parse_string("t", "{{#list}}{{v}}{{/list}}", NULL, NULL,
	    errbuf, sizeof(errbuf));
	ck_assert_ptr_nonnull(ts);
	ck_assert_int_eq(template_render(ts, "t", "fr", ctx, &out, &len), -1);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(template_render(ts, "nope", "fr", ctx, &out, &len),
	    -1);
	ck_assert(template_has(ts, "t"));
	ck_assert(!template_has(ts, "nope"));
	template_free(ts);
	template_free(NULL);
	template_ctx_free(ctx);
	free(big);
}
END_TEST

/* A template directory of our own, for loading and languages. */
static char tdir[4200];

static void
write_file(const char *rel, const char *text)
{
	char path[4400];
	FILE *f;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/%s", tdir, rel),
	    0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

static struct template_set *
load_dir(char *errbuf, size_t errsz)
{
	return template_load(tdir, errbuf, errsz);
}

START_TEST(test_load_and_langs)
{
	const char *d = testutil_mkdtemp();
	char path[4400], errbuf[256];
	struct template_set *ts;
	char *out = NULL;
	size_t len;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_ge(str_printf(tdir, sizeof(tdir), "%s", d), 0);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/i18n", tdir), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/html", tdir), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file("i18n/fr.ini", "[messages]\nlang.name = Français\n"
	    "hi = Bonjour\nonly.fr = seulement\n[other]\nx = y\n");
	write_file("i18n/en.ini", "; comment\n[messages]\nlang.name = "
	    "English\nhi = Hello\n");
	write_file("i18n/pt.ini", "[messages]\nhi = Olá\n");
	write_file("i18n/README", "not a language");
	write_file("html/page.html", "{{t:hi}} {{t:only.fr}}");
	write_file("html/notes.txt", "{{ignored");

	ts = load_dir(errbuf, sizeof(errbuf));
	ck_assert_msg(ts != NULL, "%s", errbuf);
	ck_assert(template_has(ts, "page"));
	ck_assert(!template_has(ts, "notes"));
	ck_assert(template_has_lang(ts, "pt"));
	ck_assert(!template_has_lang(ts, "es"));
	ck_assert_int_eq(template_render(ts, "page", "en", NULL, &out, &len),
	    0);
	ck_assert_str_eq(out, "Hello seulement");	/* fr fall back */
	free(out);
	ck_assert_int_eq(template_render(ts, "page", "xx", NULL, &out, &len),
	    0);
	ck_assert_str_eq(out, "Bonjour seulement");
	free(out);
	ck_assert_str_eq(template_text(ts, "pt", "hi"), "Olá");
	ck_assert_str_eq(template_text(ts, "pt", "only.fr"), "seulement");
	ck_assert_ptr_null(template_text(ts, "pt", "nope"));

	ck_assert_str_eq(template_lang_pick(ts, "pt", "en", "fr"), "pt");
	ck_assert_str_eq(template_lang_pick(ts, "es", "en", "fr"), "en");
	ck_assert_str_eq(template_lang_pick(ts, NULL, "pt-BR;q=0.5, "
	    "EN-gb;q=0.8", "fr"), "en");
	ck_assert_str_eq(template_lang_pick(ts, NULL, "de, *;q=0.1", "fr"),
	    "fr");
	ck_assert_str_eq(template_lang_pick(ts, NULL, "en;q=0", "fr"), "fr");
	ck_assert_str_eq(template_lang_pick(ts, NULL, "en;q=0.001, pt;q=1.0",
	    "fr"), "pt");
	ck_assert_str_eq(template_lang_pick(ts, NULL, "en;q=2, pt", "fr"),
	    "pt");	/* a malformed q ignores that entry */
	ck_assert_str_eq(template_lang_pick(ts, NULL, ",,,;;;", "fr"), "fr");
	ck_assert_str_eq(template_lang_pick(ts, NULL, NULL, "fr"), "fr");
	template_free(ts);

	/* Errors name the file and line. */
	write_file("html/bad.html", "ok\n{{#a}}");
	ck_assert_ptr_null(load_dir(errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "html/bad.html:2: section 'a' is not "
	    "closed") != NULL, "%s", errbuf);
	write_file("html/bad.html", "{{t:only.en}}");
	ck_assert_ptr_null(load_dir(errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "text 'only.en' is not in "
	    "i18n/fr.ini") != NULL, "%s", errbuf);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/html/bad.html",
	    tdir), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/i18n/fr.ini",
	    tdir), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_ptr_null(load_dir(errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "fr.ini: missing") != NULL, "%s",
	    errbuf);
	testutil_rmtree(tdir);
}
END_TEST

/* The shipped templates: they load, every web.* text is in every file. */
START_TEST(test_shipped)
{
	static const char *const langs[] = { "en", "es", "pt", "ru" };
	const char *top = getenv("HRPOST_SRCDIR");
	char dir[4096], path[4200], errbuf[256];
	struct template_set *ts;
	char *fr;
	size_t len = 0;
	int nkeys = 0;

	if (top == NULL)
		top = ".";
	ck_assert_int_ge(str_printf(dir, sizeof(dir), "%s/templates", top),
	    0);
	ts = template_load(dir, errbuf, sizeof(errbuf));
	ck_assert_msg(ts != NULL, "%s", errbuf);
	ck_assert(template_has(ts, "form") && template_has(ts, "done"));
	template_free(ts);

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/i18n/fr.ini",
	    dir), 0);
	fr = testutil_slurp(path, &len);
	ck_assert_ptr_nonnull(fr);
	for (const char *p = strstr(fr, "\nweb."); p != NULL;
	    p = strstr(p + 1, "\nweb.")) {
		char key[80];
		const char *eq = strstr(p, " = ");

		ck_assert_ptr_nonnull(eq);
		ck_assert_int_lt((int)(eq - p), (int)sizeof(key));
		memcpy(key, p, (size_t)(eq - p) + 3);
		key[eq - p + 3] = '\0';
		for (size_t i = 0; i < ARRAY_LEN(langs); i++) {
			char lp[4200];
			char *text;
			size_t tl = 0;

			ck_assert_int_ge(str_printf(lp, sizeof(lp),
			    "%s/i18n/%s.ini", dir, langs[i]), 0);
			text = testutil_slurp(lp, &tl);
			ck_assert_ptr_nonnull(text);
			ck_assert_msg(strstr(text, key) != NULL, "%s: %s",
			    langs[i], key + 1);
			free(text);
		}
		nkeys++;
	}
	ck_assert_int_ge(nkeys, 40);
	free(fr);
}
END_TEST

/* The console's pages: html/console, every console.* text in fr and en. */
START_TEST(test_shipped_console)
{
	static const char *const pages[] = { "login", "today", "queue",
	    "order", "page" };
	const char *top = getenv("HRPOST_SRCDIR");
	char dir[4096], path[4200], errbuf[256];
	struct template_set *ts;
	char *fr, *en;
	size_t len = 0;
	int nkeys = 0;

	if (top == NULL)
		top = ".";
	ck_assert_int_ge(str_printf(dir, sizeof(dir), "%s/templates", top),
	    0);
	ts = template_load_html(dir, "html/console", errbuf, sizeof(errbuf));
	ck_assert_msg(ts != NULL, "%s", errbuf);
	for (size_t i = 0; i < ARRAY_LEN(pages); i++)
		ck_assert_msg(template_has(ts, pages[i]), "%s", pages[i]);
	ck_assert(!template_has(ts, "form"));
	ck_assert_str_eq(template_text(ts, "en", "console.login.denied"),
	    "login or password not accepted");
	template_free(ts);
	/* The intake's set does not read the console's subdirectory. */
	ts = template_load(dir, errbuf, sizeof(errbuf));
	ck_assert_msg(ts != NULL, "%s", errbuf);
	ck_assert(!template_has(ts, "login") && !template_has(ts, "today"));
	template_free(ts);
	ts = template_load_html(dir, "html/nowhere", errbuf, sizeof(errbuf));
	ck_assert_ptr_null(ts);

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/i18n/fr.ini",
	    dir), 0);
	fr = testutil_slurp(path, &len);
	ck_assert_ptr_nonnull(fr);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/i18n/en.ini",
	    dir), 0);
	en = testutil_slurp(path, &len);
	ck_assert_ptr_nonnull(en);
	for (const char *p = strstr(fr, "\nconsole."); p != NULL;
	    p = strstr(p + 1, "\nconsole.")) {
		char key[80];
		const char *eq = strstr(p, " = ");

		ck_assert_ptr_nonnull(eq);
		ck_assert_int_lt((int)(eq - p), (int)sizeof(key) - 4);
		memcpy(key, p, (size_t)(eq - p) + 3);
		key[eq - p + 3] = '\0';
		ck_assert_msg(strstr(en, key) != NULL, "en: %s", key + 1);
		nkeys++;
	}
	ck_assert_int_ge(nkeys, 60);
	free(fr);
	free(en);
}
END_TEST

static Suite *
template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("template");

	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_sections);
	tcase_add_test(tc, test_texts);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_load_and_langs);
	tcase_add_test(tc, test_shipped);
	tcase_add_test(tc, test_shipped_console);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(template_suite)
