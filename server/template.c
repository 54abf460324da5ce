/*
 * The logic-less HTML template renderer (see template.h for the syntax).
 *
 * A template is parsed once into a flat array of nodes (text, value,
 * raw value, text of the language, section, inverted section); a section
 * node records the index just past its closing tag, so rendering is a
 * loop over a range with recursion only for nested sections (at most
 * TEMPLATE_DEPTH_MAX deep, checked at parse time).  Rendering looks names
 * up in a stack of contexts, innermost first, and appends to one buffer
 * that never grows past TEMPLATE_OUTPUT_MAX.  Every value is escaped
 * unless it was set with template_set_raw() and used with {{&name}}: the
 * two must agree, so a person's text cannot come out unescaped through a
 * mistyped tag.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "base/config.h"
#include "server/template.h"

#define LANG_MAX 8
#define LANGS_MAX 16
#define MESSAGES_MAX 512
#define MSG_KEY_MAX 64
#define ACCEPT_ENTRIES_MAX 32

enum node_kind {
	NODE_TEXT,
	NODE_VALUE,	/* {{name}} */
	NODE_RAW,	/* {{&name}} */
	NODE_I18N,	/* {{t:key}} */
	NODE_SECTION,	/* {{#name}} */
	NODE_INVERTED,	/* {{^name}} */
};

struct node {
	enum node_kind kind;
	/* NODE_TEXT: the text; sections: their tag (for messages) */
	const char *text;
	size_t len;
	char name[TEMPLATE_NAME_MAX + 1];
	size_t end;		/* sections: index past the closing tag */
};

struct template {
	char name[TEMPLATE_NAME_MAX + 1];
	char *src;
	struct node *nodes;
	size_t nnodes;
};

struct message {
	char key[MSG_KEY_MAX + 1];
	char *text;
};

struct lang_messages {
	char lang[LANG_MAX];
	struct message *msgs;
	size_t n;
};

struct template_set {
	struct template tpl[TEMPLATE_FILES_MAX];
	size_t ntpl;
	struct lang_messages langs[LANGS_MAX];
	size_t nlangs;
};

enum value_kind {
	VALUE_STRING,
	VALUE_BOOL,
	VALUE_RAW,
	VALUE_LIST,
};

struct ctx_value {
	char name[TEMPLATE_NAME_MAX + 1];
	enum value_kind kind;
	char *s;
	size_t slen;
	bool b;
	struct template_ctx **items;
	size_t nitems;
};

struct template_ctx {
	struct ctx_value *v;
	size_t n;
	size_t cap;
};

/* ---- names and buffers -------------------------------------------- */

static bool
name_ok(const char *s, size_t n)
{
	if (n == 0 || n > TEMPLATE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return false;
	}
	return true;
}

static bool
cname_ok(const char *s)
{
	return s != NULL && name_ok(s, strnlen(s, TEMPLATE_NAME_MAX + 1));
}

struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max;
};

static int
buf_add(struct buf *b, const char *s, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 1024;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > b->max + 1)
			cap = b->max + 1;
		np = malloc(cap);
		if (np == NULL)
			return -1;
		if (b->p != NULL) {
			memcpy(np, b->p, b->len);
			/* What was rendered so far may be personal data. */
			mem_wipe_free(b->p, b->cap);
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
buf_escape(struct buf *b, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *ent = NULL;

		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: break;
		}
		if (ent == NULL)
			continue;
		if (buf_add(b, s + start, i - start) != 0 ||
		    buf_add(b, ent, strlen(ent)) != 0)
			return -1;
		start = i + 1;
	}
	return buf_add(b, s + start, n - start);
}

int
template_escape_append(char **p, size_t *len, size_t *cap, size_t max,
    const char *s)
{
	struct buf b = { *p, *len, *cap, max };
	int rc = buf_escape(&b, s, strlen(s));

	*p = b.p;
	*len = b.len;
	*cap = b.cap;
	return rc;
}

/* ---- parsing ------------------------------------------------------ */

static size_t
line_of(const char *src, const char *at)
{
	size_t line = 1;

	for (const char *p = src; p < at; p++)
		if (*p == '\n')
			line++;
	return line;
}

static int
add_node(struct template *t, size_t *cap, const struct node *n)
{
	if (t->nnodes == *cap) {
		size_t ncap = *cap > 0 ? *cap * 2 : 32;
		struct node *nn = realloc(t->nodes, ncap * sizeof(*nn));

		if (nn == NULL)
			return -1;
		t->nodes = nn;
		*cap = ncap;
	}
	t->nodes[t->nnodes++] = *n;
	return 0;
}

static const struct lang_messages *
find_lang(const struct template_set *ts, const char *lang)
{
	for (size_t i = 0; lang != NULL && i < ts->nlangs; i++)
		if (strcmp(ts->langs[i].lang, lang) == 0)
			return &ts->langs[i];
	return NULL;
}

static const char *
find_msg(const struct lang_messages *lm, const char *key)
{
	for (size_t i = 0; lm != NULL && i < lm->n; i++)
		if (strcmp(lm->msgs[i].key, key) == 0)
			return lm->msgs[i].text;
	return NULL;
}

/*
 * Parse @t->src.  @base is the fallback language every {{t:}} key must
 * exist in (NULL: no {{t:}} accepted).  @path names the file in messages.
 */
static int
parse(struct template *t, const struct lang_messages *base, const char *path,
    char *errbuf, size_t errsz)
{
	size_t open[TEMPLATE_DEPTH_MAX];
	size_t depth = 0, cap = 0;
	const char *p = t->src;
	struct node n;

	for (;;) {
		const char *tag = strstr(p, "{{");
		const char *close, *nm;
		size_t nlen;

		memset(&n, 0, sizeof(n));
		if (tag == NULL) {
			if (*p != '\0') {
				n.kind = NODE_TEXT;
				n.text = p;
				n.len = strlen(p);
				if (add_node(t, &cap, &n) != 0)
					goto nomem;
			}
			break;
		}
		if (tag > p) {
			n.kind = NODE_TEXT;
			n.text = p;
			n.len = (size_t)(tag - p);
			if (add_node(t, &cap, &n) != 0)
				goto nomem;
			memset(&n, 0, sizeof(n));
		}
		close = strstr(tag + 2, "}}");
		if (close == NULL) {
			errbuf_set(errbuf, errsz, "%s:%zu: unclosed tag", path,
			    line_of(t->src, tag));
			return -1;
		}
		p = close + 2;
		nm = tag + 2;
		if (*nm == '!')
			continue;	/* a comment */
		switch (*nm) {
		case '#': n.kind = NODE_SECTION; nm++; break;
		case '^': n.kind = NODE_INVERTED; nm++; break;
		case '&': n.kind = NODE_RAW; nm++; break;
		case '/': nm++; break;
		default:
			if (strncmp(nm, "t:", 2) == 0) {
				n.kind = NODE_I18N;
				nm += 2;
			} else {
				n.kind = NODE_VALUE;
			}
			break;
		}
		nlen = (size_t)(close - nm);
		if (!name_ok(nm, nlen)) {
			errbuf_set(errbuf, errsz, "%s:%zu: bad tag name (1 to "
			    "%d of A-Z a-z 0-9 _ . -, no spaces)", path,
			    line_of(t->src, tag), TEMPLATE_NAME_MAX);
			return -1;
		}
		memcpy(n.name, nm, nlen);
		n.name[nlen] = '\0';
		if (tag[2] == '/') {
			struct node *o;

			if (depth == 0) {
				errbuf_set(errbuf, errsz, "%s:%zu: {{/%s}} "
				    "closes no section", path,
				    line_of(t->src, tag), n.name);
				return -1;
			}
			o = &t->nodes[open[depth - 1]];
			if (strcmp(o->name, n.name) != 0) {
				errbuf_set(errbuf, errsz, "%s:%zu: {{/%s}} "
				    "closes section '%s'", path,
				    line_of(t->src, tag), n.name, o->name);
				return -1;
			}
			o->end = t->nnodes;
			depth--;
			continue;
		}
		if (n.kind == NODE_I18N && (base == NULL ||
		    find_msg(base, n.name) == NULL)) {
			errbuf_set(errbuf, errsz, "%s:%zu: text '%s' is not in "
			    "i18n/%s.ini", path, line_of(t->src, tag), n.name,
			    base != NULL ? base->lang : "fr");
			return -1;
		}
		if (n.kind == NODE_SECTION || n.kind == NODE_INVERTED) {
			if (depth == TEMPLATE_DEPTH_MAX) {
				errbuf_set(errbuf, errsz, "%s:%zu: sections "
				    "nested deeper than %d", path,
				    line_of(t->src, tag), TEMPLATE_DEPTH_MAX);
				return -1;
			}
			open[depth++] = t->nnodes;
			n.text = tag;	/* for the line of an error */
		}
		if (add_node(t, &cap, &n) != 0)
			goto nomem;
	}
	if (depth > 0) {
		const struct node *o = &t->nodes[open[depth - 1]];

		errbuf_set(errbuf, errsz, "%s:%zu: section '%s' is not closed",
		    path, line_of(t->src, o->text), o->name);
		return -1;
	}
	return 0;
nomem:
	errbuf_set(errbuf, errsz, "%s: out of memory", path);
	return -1;
}

/* ---- messages ----------------------------------------------------- */

struct ini_state {
	struct lang_messages *lm;
	size_t cap;
	bool failed;
	char msg[128];
};

static int
on_message(void *user, const char *section, const char *name,
    const char *value)
{
	struct ini_state *is = user;
	struct lang_messages *lm = is->lm;
	struct message *m;
	size_t vlen;

	if (strcmp(section, "messages") != 0)
		return 1;	/* other sections belong to other readers */
	if (!name_ok(name, strlen(name)) || strlen(name) > MSG_KEY_MAX) {
		errbuf_set(is->msg, sizeof(is->msg), "bad message key");
		goto fail;
	}
	vlen = strlen(value);
	if (!utf8_valid(value, vlen) || utf8_has_control(value)) {
		errbuf_set(is->msg, sizeof(is->msg), "%s: not a single line "
		    "of UTF-8", name);
		goto fail;
	}
	if (find_msg(lm, name) != NULL) {
		errbuf_set(is->msg, sizeof(is->msg), "%s: given twice", name);
		goto fail;
	}
	if (lm->n == MESSAGES_MAX) {
		errbuf_set(is->msg, sizeof(is->msg), "more than %d messages",
		    MESSAGES_MAX);
		goto fail;
	}
	if (lm->n == is->cap) {
		size_t ncap = is->cap > 0 ? is->cap * 2 : 32;
		struct message *nm = realloc(lm->msgs, ncap * sizeof(*nm));

		if (nm == NULL)
			goto nomem;
		lm->msgs = nm;
		is->cap = ncap;
	}
	m = &lm->msgs[lm->n];
	memcpy(m->key, name, strlen(name) + 1);
	m->text = str_dup(value);
	if (m->text == NULL)
		goto nomem;
	lm->n++;
	return 1;
nomem:
	errbuf_set(is->msg, sizeof(is->msg), "out of memory");
fail:
	is->failed = true;
	return 0;
}

static int
parse_messages(struct lang_messages *lm, const char *path, const char *text,
    char *errbuf, size_t errsz)
{
	struct ini_state is;
	int rc;

	if (config_ini_check(path, text, NULL, NULL, errbuf, errsz) != 0)
		return -1;
	memset(&is, 0, sizeof(is));
	is.lm = lm;
	rc = ini_parse_string(text, on_message, &is);
	if (rc != 0 || is.failed) {
		if (rc > 0)
			errbuf_set(errbuf, errsz, "%s:%d: %s", path, rc,
			    is.msg);
		else
			errbuf_set(errbuf, errsz, "%s: %s", path,
			    is.failed ? is.msg : "cannot be parsed");
		return -1;
	}
	return 0;
}

static bool
lang_code_ok(const char *s, size_t n)
{
	if (n < 2 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return false;
	return true;
}

/* ---- loading ------------------------------------------------------ */

void
template_free(struct template_set *ts)
{
	if (ts == NULL)
		return;
	for (size_t i = 0; i < ts->ntpl; i++) {
		free(ts->tpl[i].src);
		free(ts->tpl[i].nodes);
	}
	for (size_t i = 0; i < ts->nlangs; i++) {
		for (size_t k = 0; k < ts->langs[i].n; k++)
			free(ts->langs[i].msgs[k].text);
		free(ts->langs[i].msgs);
	}
	free(ts);
}

/*
 * Call @fn for every regular file "<code><suffix>" in @dir whose code
 * passes @ok, in name order.
 */
static int
scan_dir(const char *dir, const char *suffix,
    bool (*ok)(const char *s, size_t n),
    int (*fn)(void *arg, const char *path, const char *code, char *errbuf,
    size_t errsz), void *arg, char *errbuf, size_t errsz)
{
	struct dirent **list = NULL;
	size_t slen = strlen(suffix);
	int n, rc = -1;

	n = scandir(dir, &list, NULL, alphasort);
	if (n < 0) {
		errbuf_set(errbuf, errsz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = list[i]->d_name;
		size_t len = strlen(nm);
		char path[CONFIG_PATH_MAX], code[TEMPLATE_NAME_MAX + 1];
		struct stat sb;

		if (len <= slen || strcmp(nm + len - slen, suffix) != 0 ||
		    !ok(nm, len - slen))
			continue;
		memcpy(code, nm, len - slen);
		code[len - slen] = '\0';
		if (str_printf(path, sizeof(path), "%s/%s", dir, nm) < 0) {
			errbuf_set(errbuf, errsz, "%s: path too long", dir);
			goto out;
		}
		/* No symbolic links: templates are ours, not planted. */
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (fn(arg, path, code, errbuf, errsz) != 0)
			goto out;
	}
	rc = 0;
out:
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return rc;
}

static int
load_lang(void *arg, const char *path, const char *code, char *errbuf,
    size_t errsz)
{
	struct template_set *ts = arg;
	struct lang_messages *lm;
	char *text;
	int rc;

	if (ts->nlangs == LANGS_MAX) {
		errbuf_set(errbuf, errsz, "%s: more than %d languages", path,
		    LANGS_MAX);
		return -1;
	}
	text = config_ini_read(path, TEMPLATE_I18N_MAX, errbuf, errsz);
	if (text == NULL)
		return -1;
	lm = &ts->langs[ts->nlangs++];
	memcpy(lm->lang, code, strlen(code) + 1);
	rc = parse_messages(lm, path, text, errbuf, errsz);
	free(text);
	return rc;
}

static bool
tname_ok(const char *s, size_t n)
{
	return name_ok(s, n);
}

static int
add_template(struct template_set *ts, const char *name, char *src,
    const char *path, char *errbuf, size_t errsz)
{
	struct template *t;

	if (ts->ntpl == TEMPLATE_FILES_MAX) {
		free(src);
		errbuf_set(errbuf, errsz, "%s: more than %d templates", path,
		    TEMPLATE_FILES_MAX);
		return -1;
	}
	t = &ts->tpl[ts->ntpl++];
	t->src = src;
	if (str_copy(t->name, sizeof(t->name), name) != 0) {
		errbuf_set(errbuf, errsz, "%s: name too long", path);
		return -1;
	}
	if (!utf8_valid(src, strlen(src))) {
		errbuf_set(errbuf, errsz, "%s: not valid UTF-8", path);
		return -1;
	}
	return parse(t, find_lang(ts, "fr"), path, errbuf, errsz);
}

static int
load_template(void *arg, const char *path, const char *code, char *errbuf,
    size_t errsz)
{
	struct template_set *ts = arg;
	char *src;
	char rel[TEMPLATE_NAME_MAX + 16];

	src = config_ini_read(path, TEMPLATE_FILE_MAX, errbuf, errsz);
	if (src == NULL)
		return -1;
	/* Messages name the file as "html/<name>.html". */
	if (str_printf(rel, sizeof(rel), "html/%s.html", code) < 0) {
		free(src);
		errbuf_set(errbuf, errsz, "%s: name too long", path);
		return -1;
	}
	return add_template(ts, code, src, rel, errbuf, errsz);
}

struct template_set *
template_load(const char *dir, char *errbuf, size_t errsz)
{
	return template_load_html(dir, "html", errbuf, errsz);
}

struct template_set *
template_load_html(const char *dir, const char *html, char *errbuf,
    size_t errsz)
{
	struct template_set *ts = calloc(1, sizeof(*ts));
	char path[CONFIG_PATH_MAX];

	if (ts == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return NULL;
	}
	if (str_printf(path, sizeof(path), "%s/i18n", dir) < 0 ||
	    scan_dir(path, ".ini", lang_code_ok, load_lang, ts, errbuf,
	    errsz) != 0)
		goto fail;
	if (find_lang(ts, "fr") == NULL) {
		errbuf_set(errbuf, errsz, "%s/fr.ini: missing (French is the "
		    "language every text falls back to)", path);
		goto fail;
	}
	if (str_printf(path, sizeof(path), "%s/%s", dir, html) < 0 ||
	    scan_dir(path, ".html", tname_ok, load_template, ts, errbuf,
	    errsz) != 0)
		goto fail;
	return ts;
fail:
	template_free(ts);
	return NULL;
}

struct template_set *
template_parse_string(const char *name, const char *text, const char *lang,
    const char *ini, char *errbuf, size_t errsz)
{
	struct template_set *ts = calloc(1, sizeof(*ts));
	char *src = NULL;
	char path[TEMPLATE_NAME_MAX + 16];

	if (ts == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return NULL;
	}
	if (!cname_ok(name) || (lang != NULL &&
	    !lang_code_ok(lang, strlen(lang)))) {
		errbuf_set(errbuf, errsz, "bad template or language name");
		goto fail;
	}
	if (lang != NULL && ini != NULL) {
		struct lang_messages *lm = &ts->langs[ts->nlangs++];

		memcpy(lm->lang, lang, strlen(lang) + 1);
		if (str_printf(path, sizeof(path), "i18n/%s.ini", lang) < 0 ||
		    parse_messages(lm, path, ini, errbuf, errsz) != 0)
			goto fail;
	}
	if (strlen(text) > TEMPLATE_FILE_MAX) {
		errbuf_set(errbuf, errsz, "template larger than %d bytes",
		    TEMPLATE_FILE_MAX);
		goto fail;
	}
	src = str_dup(text);
	if (src == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto fail;
	}
	if (str_printf(path, sizeof(path), "html/%s.html", name) < 0)
		goto fail;
	/* The one language given stands for fr here. */
	if (ts->ntpl == TEMPLATE_FILES_MAX)
		goto fail;
	ts->tpl[ts->ntpl].src = src;
	memcpy(ts->tpl[ts->ntpl].name, name, strlen(name) + 1);
	ts->ntpl++;
	src = NULL;
	if (!utf8_valid(text, strlen(text))) {
		errbuf_set(errbuf, errsz, "%s: not valid UTF-8", path);
		goto fail;
	}
	if (parse(&ts->tpl[0], ts->nlangs > 0 ? &ts->langs[0] : NULL, path,
	    errbuf, errsz) != 0)
		goto fail;
	return ts;
fail:
	free(src);
	template_free(ts);
	return NULL;
}

static const struct template *
find_template(const struct template_set *ts, const char *name)
{
	for (size_t i = 0; ts != NULL && name != NULL && i < ts->ntpl; i++)
		if (strcmp(ts->tpl[i].name, name) == 0)
			return &ts->tpl[i];
	return NULL;
}

bool
template_has(const struct template_set *ts, const char *name)
{
	return find_template(ts, name) != NULL;
}

bool
template_has_lang(const struct template_set *ts, const char *lang)
{
	return ts != NULL && find_lang(ts, lang) != NULL;
}

/* The fallback of every text: fr, or the only language of a test set. */
static const struct lang_messages *
base_lang(const struct template_set *ts)
{
	const struct lang_messages *lm = find_lang(ts, "fr");

	if (lm == NULL && ts->nlangs > 0)
		lm = &ts->langs[0];
	return lm;
}

const char *
template_text(const struct template_set *ts, const char *lang,
    const char *key)
{
	const char *t;

	if (ts == NULL || key == NULL)
		return NULL;
	t = find_msg(find_lang(ts, lang), key);
	if (t == NULL)
		t = find_msg(base_lang(ts), key);
	return t;
}

/* ---- language ----------------------------------------------------- */

/* Parse "q=0.8" (after ';' and spaces): 0..1000, or -1 when malformed. */
static int
qvalue(const char *s, size_t n)
{
	int q = 0, digits = 0;
	size_t i = 0;
	bool eq;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i < 3)
		return -1;
	eq = s[i + 1] == '=';
	if ((s[i] != 'q' && s[i] != 'Q') || !eq)
		return -1;
	i += 2;
	if (s[i] == '1') {
		q = 1000;
	} else if (s[i] != '0') {
		return -1;
	}
	i++;
	if (i < n && s[i] == '.') {
		int scale = 100;

		for (i++; i < n && s[i] >= '0' && s[i] <= '9' && digits < 3;
		    i++, digits++) {
			if (q == 1000 && s[i] != '0')
				return -1;
			q += (s[i] - '0') * scale;
			scale /= 10;
		}
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i == n ? q : -1;
}

const char *
template_lang_pick(const struct template_set *ts, const char *query,
    const char *accept_language, const char *fallback)
{
	const char *best = NULL;
	int bestq = 0;
	const char *p = accept_language;

	if (ts == NULL)
		return fallback;
	if (query != NULL) {
		const struct lang_messages *lm = find_lang(ts, query);

		if (lm != NULL)
			return lm->lang;
	}
	for (int k = 0; p != NULL && *p != '\0' && k < ACCEPT_ENTRIES_MAX;
	    k++) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		const char *semi = memchr(p, ';', n);
		size_t tlen = semi != NULL ? (size_t)(semi - p) : n;
		char code[LANG_MAX];
		size_t i = 0, c = 0;
		int q = 1000;

		while (i < tlen && (p[i] == ' ' || p[i] == '\t'))
			i++;
		for (; i < tlen && p[i] != '-' && p[i] != ' ' && c <
		    sizeof(code) - 1; i++, c++)
			code[c] = (p[i] >= 'A' && p[i] <= 'Z') ?
			    (char)(p[i] - 'A' + 'a') : p[i];
		code[c] = '\0';
		if (semi != NULL)
			q = qvalue(semi + 1, n - tlen - 1);
		if (q > bestq) {
			const struct lang_messages *lm = find_lang(ts, code);

			if (lm != NULL) {
				best = lm->lang;
				bestq = q;
			}
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return best != NULL ? best : fallback;
}

/* ---- contexts ----------------------------------------------------- */

struct template_ctx *
template_ctx_new(void)
{
	return calloc(1, sizeof(struct template_ctx));
}

static void
value_clear(struct ctx_value *v)
{
	if (v->s != NULL)
		mem_wipe_free(v->s, v->slen + 1);
	v->s = NULL;
	for (size_t i = 0; i < v->nitems; i++)
		template_ctx_free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->nitems = 0;
}

void
template_ctx_free(struct template_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (size_t i = 0; i < ctx->n; i++)
		value_clear(&ctx->v[i]);
	free(ctx->v);
	free(ctx);
}

static struct ctx_value *
ctx_find(const struct template_ctx *ctx, const char *name)
{
	for (size_t i = 0; ctx != NULL && i < ctx->n; i++)
		if (strcmp(ctx->v[i].name, name) == 0)
			return &ctx->v[i];
	return NULL;
}

/* The value @name of @ctx, made (empty) when absent; NULL on error. */
static struct ctx_value *
ctx_slot(struct template_ctx *ctx, const char *name)
{
	struct ctx_value *v;

	if (ctx == NULL || !cname_ok(name))
		return NULL;
	v = ctx_find(ctx, name);
	if (v != NULL)
		return v;
	if (ctx->n == TEMPLATE_CTX_VALUES_MAX)
		return NULL;
	if (ctx->n == ctx->cap) {
		size_t ncap = ctx->cap > 0 ? ctx->cap * 2 : 16;
		struct ctx_value *nv = realloc(ctx->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		ctx->v = nv;
		ctx->cap = ncap;
	}
	v = &ctx->v[ctx->n++];
	memset(v, 0, sizeof(*v));
	memcpy(v->name, name, strlen(name) + 1);
	v->kind = VALUE_BOOL;
	return v;
}

static int
set_string(struct template_ctx *ctx, const char *name, const char *value,
    enum value_kind kind)
{
	struct ctx_value *v;
	size_t n;
	char *copy;

	if (value == NULL)
		return -1;
	n = strnlen(value, TEMPLATE_VALUE_MAX + 1);
	if (n > TEMPLATE_VALUE_MAX)
		return -1;
	copy = malloc(n + 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, value, n + 1);
	v = ctx_slot(ctx, name);
	if (v == NULL) {
		mem_wipe_free(copy, n + 1);
		return -1;
	}
	value_clear(v);
	v->kind = kind;
	v->s = copy;
	v->slen = n;
	return 0;
}

int
template_set(struct template_ctx *ctx, const char *name, const char *value)
{
	return set_string(ctx, name, value, VALUE_STRING);
}

int
template_set_raw(struct template_ctx *ctx, const char *name,
    const char *html)
{
	return set_string(ctx, name, html, VALUE_RAW);
}

int
template_set_bool(struct template_ctx *ctx, const char *name, bool b)
{
	struct ctx_value *v = ctx_slot(ctx, name);

	if (v == NULL)
		return -1;
	value_clear(v);
	v->kind = VALUE_BOOL;
	v->b = b;
	return 0;
}

struct template_ctx *
template_list_add(struct template_ctx *ctx, const char *name)
{
	struct ctx_value *v = ctx_slot(ctx, name);
	struct template_ctx *item, **ni;

	if (v == NULL)
		return NULL;
	if (v->kind != VALUE_LIST) {
		value_clear(v);
		v->kind = VALUE_LIST;
	}
	if (v->nitems == TEMPLATE_LIST_MAX)
		return NULL;
	ni = realloc(v->items, (v->nitems + 1) * sizeof(*ni));
	if (ni == NULL)
		return NULL;
	v->items = ni;
	item = template_ctx_new();
	if (item == NULL)
		return NULL;
	v->items[v->nitems++] = item;
	return item;
}

/* ---- rendering ---------------------------------------------------- */

struct render {
	const struct template_set *ts;
	const struct template *t;
	const struct lang_messages *lm;		/* the page's language */
	const struct lang_messages *base;	/* fr */
	const struct template_ctx *stack[TEMPLATE_DEPTH_MAX + 1];
	size_t depth;
	struct buf out;
};

static const struct ctx_value *
lookup(const struct render *r, const char *name)
{
	for (size_t i = r->depth; i > 0; i--) {
		const struct ctx_value *v = ctx_find(r->stack[i - 1], name);

		if (v != NULL)
			return v;
	}
	return NULL;
}

static bool
truthy(const struct ctx_value *v)
{
	if (v == NULL)
		return false;
	switch (v->kind) {
	case VALUE_STRING:
	case VALUE_RAW:
		return v->slen > 0;
	case VALUE_BOOL:
		return v->b;
	case VALUE_LIST:
		return v->nitems > 0;
	}
	return false;
}

/* A text of the language with "{name}" filled in, escaped. */
static int
render_text(struct render *r, const char *text)
{
	const char *p = text;

	for (;;) {
		const char *open = strchr(p, '{');
		const char *close;
		char name[TEMPLATE_NAME_MAX + 1];
		const struct ctx_value *v;
		size_t n;

		if (open == NULL)
			return buf_escape(&r->out, p, strlen(p));
		close = strchr(open + 1, '}');
		n = close != NULL ? (size_t)(close - open - 1) : 0;
		if (close == NULL || !name_ok(open + 1, n)) {
			if (buf_escape(&r->out, p, (size_t)(open - p) + 1) != 0)
				return -1;
			p = open + 1;
			continue;
		}
		memcpy(name, open + 1, n);
		name[n] = '\0';
		v = lookup(r, name);
		if (buf_escape(&r->out, p, (size_t)(open - p)) != 0)
			return -1;
		if (v != NULL && v->kind == VALUE_STRING) {
			if (buf_escape(&r->out, v->s, v->slen) != 0)
				return -1;
		} else if (buf_escape(&r->out, open, n + 2) != 0) {
			return -1;
		}
		p = close + 1;
	}
}

static int render_range(struct render *r, size_t from, size_t to);

static int
render_section(struct render *r, const struct node *n, size_t inner,
    const struct ctx_value *v)
{
	if (v != NULL && v->kind == VALUE_LIST) {
		if (r->depth >= ARRAY_LEN(r->stack))
			return -1;
		for (size_t i = 0; i < v->nitems; i++) {
			int rc;

			r->stack[r->depth++] = v->items[i];
			rc = render_range(r, inner, n->end);
			r->depth--;
			if (rc != 0)
				return -1;
		}
		return 0;
	}
	return truthy(v) ? render_range(r, inner, n->end) : 0;
}

static int
render_range(struct render *r, size_t from, size_t to)
{
	size_t i = from;

	while (i < to) {
		const struct node *n = &r->t->nodes[i];
		const struct ctx_value *v;
		const char *text;
		int rc = 0;

		switch (n->kind) {
		case NODE_TEXT:
			rc = buf_add(&r->out, n->text, n->len);
			break;
		case NODE_VALUE:
			v = lookup(r, n->name);
			if (v != NULL && v->kind == VALUE_STRING)
				rc = buf_escape(&r->out, v->s, v->slen);
			break;
		case NODE_RAW:
			v = lookup(r, n->name);
			if (v != NULL && v->kind == VALUE_RAW)
				rc = buf_add(&r->out, v->s, v->slen);
			break;
		case NODE_I18N:
			text = find_msg(r->lm, n->name);
			if (text == NULL)
				text = find_msg(r->base, n->name);
			if (text != NULL)
				rc = render_text(r, text);
			break;
		case NODE_SECTION:
			rc = render_section(r, n, i + 1, lookup(r, n->name));
			break;
		case NODE_INVERTED:
			if (!truthy(lookup(r, n->name)))
				rc = render_range(r, i + 1, n->end);
			break;
		}
		if (rc != 0)
			return -1;
		/* A section goes on after its closing tag. */
		if (n->kind == NODE_SECTION || n->kind == NODE_INVERTED)
			i = n->end;
		else
			i++;
	}
	return 0;
}

int
template_render(const struct template_set *ts, const char *name,
    const char *lang, const struct template_ctx *ctx, char **out,
    size_t *len)
{
	struct render r;

	*out = NULL;
	*len = 0;
	memset(&r, 0, sizeof(r));
	r.ts = ts;
	r.t = find_template(ts, name);
	if (r.t == NULL)
		return -1;
	r.base = base_lang(ts);
	r.lm = find_lang(ts, lang);
	if (r.lm == NULL)
		r.lm = r.base;
	r.out.max = TEMPLATE_OUTPUT_MAX;
	if (ctx != NULL)
		r.stack[r.depth++] = ctx;
	if (render_range(&r, 0, r.t->nnodes) != 0 ||
	    buf_add(&r.out, "", 0) != 0) {
		if (r.out.p != NULL)
			mem_wipe_free(r.out.p, r.out.cap);
		return -1;
	}
	*out = r.out.p;
	*len = r.out.len;
	return 0;
}
