/*
 * The small logic-less HTML template renderer (the one hand-written piece
 * DESIGN.md allows: no C mustache library is packaged).  It escapes by
 * default.
 *
 * Templates are templates/html/<name>.html, all parsed once at start by
 * template_load() with the texts of templates/i18n/<lang>.ini, section
 * [messages].  Syntax (a tag name is 1 to TEMPLATE_NAME_MAX bytes of
 * [A-Za-z0-9_.-]):
 *
 *   {{name}}       the value of name, HTML-escaped (& < > " ' become
 *                  entities); empty when absent
 *   {{t:key}}      the text @key of the page's language, HTML-escaped;
 *                  inside the text, "{name}" is replaced by the escaped
 *                  value of name when the context has it (e.g.
 *                  "Reference: {ref}"); a key missing in that language
 *                  falls back to fr; a key missing in fr is a load error
 *   {{#name}}...{{/name}}
 *                  a list: the inside once per item, the item's values
 *                  first, then the outer ones; a value that is a non-empty
 *                  string or true: the inside once; else nothing
 *   {{^name}}...{{/name}}
 *                  the inside once when name is absent, false, "" or an
 *                  empty list
 *   {{&name}}      the value RAW, unescaped.  Only for fragments the
 *                  server built itself from trusted parts (the QR code's
 *                  SVG from printer/qr.h), set with template_set_raw();
 *                  a value set with template_set() renders EMPTY here, so a
 *                  user's text can never come out raw by mistake
 *   {{! comment }} nothing
 *
 * Anything else between "{{" and "}}" (an unknown sigil, a bad name, an
 * unclosed tag or section, a close that does not match, nesting deeper
 * than TEMPLATE_DEPTH_MAX) refuses the template at load time with
 * "html/<name>.html:<line>: <reason>".
 *
 * Contexts hold copies of strings that may be personal data (a pseudonym
 * shown back in the form after an error): template_ctx_free() wipes them.
 */
#ifndef HRPOST_TEMPLATE_H
#define HRPOST_TEMPLATE_H

#include <stddef.h>
#include <stdbool.h>

#include "base/util.h"

#define TEMPLATE_NAME_MAX 48		/* tag names, template names */
#define TEMPLATE_DEPTH_MAX 8		/* nested sections */
#define TEMPLATE_FILE_MAX (64 * 1024)	/* a template file */
#define TEMPLATE_FILES_MAX 32		/* templates in html/ */
#define TEMPLATE_OUTPUT_MAX (256 * 1024)	/* a rendered page */
#define TEMPLATE_I18N_MAX (64 * 1024)	/* an i18n/<lang>.ini file */
#define TEMPLATE_CTX_VALUES_MAX 512	/* values in one context level */
#define TEMPLATE_LIST_MAX 256		/* items in one list */
#define TEMPLATE_VALUE_MAX (64 * 1024)	/* one value */

struct template_set;
struct template_ctx;

/*
 * Parse every templates/html/<name>.html under @dir (the templates
 * directory) and read the [messages] of every templates/i18n/<lang>.ini.
 * Returns NULL with "path:line: reason" in @errbuf on the first error.
 * Read-only afterwards: safe to share between threads.
 */
struct template_set *template_load(const char *dir, char *errbuf,
    size_t errsz);

/*
 * The same with the templates of @dir/@html instead of @dir/html (the
 * console's pages are html/console/NAME.html: @html "html/console"), and the
 * same i18n/ texts.  Subdirectories of a template directory are not read.
 */
struct template_set *template_load_html(const char *dir, const char *html,
    char *errbuf, size_t errsz);

/*
 * The same from memory, for tests and fuzzing: one template @name with
 * source @text, and messages for @lang given as an INI text (may be NULL:
 * no messages; then no {{t:}} tag is accepted).
 */
struct template_set *template_parse_string(const char *name, const char *text,
    const char *lang, const char *ini, char *errbuf, size_t errsz);

void template_free(struct template_set *ts);

/* true when template @name exists in @ts. */
bool template_has(const struct template_set *ts, const char *name);

/* true when @ts has messages for @lang. */
bool template_has_lang(const struct template_set *ts, const char *lang);

/*
 * The text @key in @lang (falling back to fr), unescaped, owned by @ts;
 * NULL when neither has it.  For answers that are not HTML (plain pages).
 */
const char *template_text(const struct template_set *ts, const char *lang,
    const char *key);

/*
 * Pick the page's language among those @ts has: @query (a ?lang= value,
 * may be NULL) when it is one of them, else the first language of
 * @accept_language (an Accept-Language header, may be NULL) that is, by
 * q-value order then header order (primary subtag only: "pt-BR" is
 * "pt"), else @fallback.  Returns a string owned by @ts or @fallback.
 */
const char *template_lang_pick(const struct template_set *ts,
    const char *query, const char *accept_language, const char *fallback);

/*
 * Render template @name in language @lang with @ctx (may be NULL).
 * *out is malloc'd and NUL-terminated (caller frees; wipe it with
 * str_wipe_free() when it holds personal data); *len excludes the NUL.
 * Returns 0, or -1 when @name is unknown, the output would exceed
 * TEMPLATE_OUTPUT_MAX, or memory runs out.
 */
int template_render(const struct template_set *ts, const char *name,
    const char *lang, const struct template_ctx *ctx, char **out,
    size_t *len) WUR;

/* A new empty context.  NULL on allocation failure. */
struct template_ctx *template_ctx_new(void);

/* Wipe and free a context and its lists.  NULL is fine. */
void template_ctx_free(struct template_ctx *ctx);

/*
 * Set @name to a copy of @value (escaped on output), to @b, or to a raw
 * trusted fragment (see {{&name}}).  Setting a name again replaces it.
 * Return 0, or -1 on a bad name, a value over TEMPLATE_VALUE_MAX, a full
 * context or no memory.
 */
int template_set(struct template_ctx *ctx, const char *name,
    const char *value) WUR;
int template_set_bool(struct template_ctx *ctx, const char *name,
    bool b) WUR;
int template_set_raw(struct template_ctx *ctx, const char *name,
    const char *html) WUR;

/*
 * Append an item to list @name (the list is made on first use) and return
 * the item's context, owned by @ctx (do not free it).  NULL on a bad name,
 * more than TEMPLATE_LIST_MAX items, or no memory.
 */
struct template_ctx *template_list_add(struct template_ctx *ctx,
    const char *name);

/*
 * Append @s HTML-escaped to the buffer *buf of *len bytes used and *cap
 * allocated (all may start 0/NULL), never growing past @max.  Returns 0
 * or -1.  Exposed for handlers that build a fragment by hand.
 */
int template_escape_append(char **buf, size_t *len, size_t *cap,
    size_t max, const char *s) WUR;

#endif
