/*
 * The console daemon (see console.h): the HTTP side on server/http.h, a
 * pull thread on orders/pull.h, and a task thread for the follow-up
 * scheduler (orders/followup.h) and La Poste tracking
 * (shipping/tracking.h).  Three connections to centre.db, opened before
 * privileges are dropped: one for the request handlers (behind a mutex:
 * the store keeps its last error per connection), one owned by the pull
 * thread, one by the task thread.  Both threads sleep on the same
 * condition variable against the monotonic clock, so console_close()
 * wakes them at once; a pull round in progress ends between two pages or
 * abandons its request in flight (orders/pull.h): what was applied and
 * not acknowledged comes back as duplicates, so stopping never loses or
 * doubles a row.  A scheduler round or a tracking round in progress is
 * finished first (each change is its own transaction).  Intervals are
 * counted on the monotonic clock; what is due is decided on clock_now(),
 * so a console started under $HRPOST_NOW keeps that day.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "crypto/token.h"
#include "orders/db.h"
#include "orders/followup.h"
#include "orders/inbox.h"
#include "orders/pull.h"
#include "orders/order.h"
#include "orders/sendsms.h"
#include "orders/staff.h"
#include "orders/store.h"
#include "server/console.h"
#include "server/form.h"
#include "server/http.h"
#include "server/ratelimit.h"
#include "server/session.h"
#include "server/template.h"
#include "shipping/catalogue.h"
#include "shipping/stock.h"
#include "shipping/tracking.h"

#define CONSOLE_ACTOR "console"
#define CONSOLE_TRACK_WAIT_MAX 10	/* longest wait on a 429, seconds */

/* Staff pages. */
#define CONSOLE_TPL_DIR "html/console"	/* under the templates directory */
#define CONSOLE_CSS_FILE "html/console/console.css"
#define CONSOLE_CSS_MAX (64 * 1024)
#define CONSOLE_TPL_LOGIN "login"
#define CONSOLE_TPL_TODAY "today"
#define CONSOLE_TPL_QUEUE "queue"
#define CONSOLE_TPL_ORDER "order"
#define CONSOLE_TPL_PAGE "page"
#define CONSOLE_TPL_STOCK "stock"
#define CONSOLE_TPL_AUDIT "audit"
#define CONSOLE_ORDER_PREFIX "/order/"
#define CONSOLE_FORM_BODY_MAX 4096	/* login and logout forms */
#define CONSOLE_LOGIN_PER_MINUTE 20	/* POST /login per address */
#define CONSOLE_CALLS_SHOWN 5		/* call-backs listed on today */
#define CONSOLE_FLAGGED_SHOWN 20	/* flagged orders listed on today */
#define CONSOLE_QUEUE_SHOWN 200		/* rows on one queue page */
#define CONSOLE_REF_INPUT_MAX 128	/* a reference as typed in a URL */
#define CONSOLE_STATUS_OPEN (-3)	/* received, accepted or packed */
#define CONSOLE_TIME_BUF 20		/* "YYYY-MM-DD HH:MM" */
#define CONSOLE_AUDIT_SHOWN 200		/* newest audit entries listed */

struct console {
	struct config cfg;
	const struct catalogue *cat;
	const struct centre_key *key;
	int64_t centre_id;
	struct http_server *srv;

	pthread_mutex_t db_lock;	/* guards http_st */
	struct store *http_st;		/* the handlers' connection */
	struct store *pull_st;		/* the pull thread's own */
	uint8_t *ca_pem;		/* [console] ca_file, or NULL */
	size_t ca_pem_len;

	pthread_mutex_t lock;		/* guards stopping */
	pthread_cond_t wake;
	bool stopping;
	bool locks_made;
	bool puller_started;
	pthread_t puller;

	/* The task thread: scheduler, digest, La Poste. */
	struct followup_rules rules;	/* DIR/followup.ini */
	bool rules_found;
	struct store *task_st;		/* the task thread's connection */
	struct sendsms_config sms;	/* when [sms] sendsms_url is set */
	bool sms_on;
	bool tasker_started;
	pthread_t tasker;

	/* The staff pages. */
	struct template_set *ts;	/* templates/html/console */
	char *css;			/* console.css */
	size_t css_len;
	struct session_store *sessions;
	struct ratelimit *login_rl;	/* POST /login per address */
};

/* ---- HTTP ---- */

static int
healthz(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;
	sqlite3_stmt *s = NULL;
	char err[DB_ERRMSG_MAX];
	bool ok = false;

	(void)req;
	if (pthread_mutex_lock(&con->db_lock) != 0)
		return -1;
	if (db_prepare(store_db(con->http_st), "SELECT count(*) FROM centres",
	    &s, err, sizeof(err)) == 0)
		ok = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	(void)pthread_mutex_unlock(&con->db_lock);
	if (!ok)
		return http_response_error(resp, 503, "centre.db does not "
		    "answer");
	return http_response_text(resp, 200, "ok\n");
}

/* ---- staff pages ---- */

/*
 * What a signed-in request carries: the session (a copy), the account as
 * centre.db has it now (its role and state win over the session's), the
 * id the browser sent, the page's language.
 */
struct staff_req {
	struct session s;
	struct staff_account acct;
	char id[SESSION_ID_BUF];
	const char *lang;
};

/* The console speaks French and English; French is the fallback. */
static const char *const console_langs[] = { "fr", "en" };

static const char *
lang_known(const char *l)
{
	for (size_t i = 0; l != NULL && i < ARRAY_LEN(console_langs); i++)
		if (strcmp(l, console_langs[i]) == 0)
			return console_langs[i];
	return NULL;
}

/* ?lang= (or a form's lang), else Accept-Language, else French. */
static const char *
page_lang(const struct console *con, const struct http_request *req,
    const char *asked)
{
	const char *l = lang_known(asked);

	if (l == NULL)
		l = lang_known(form_get(req->query, "lang"));
	if (l == NULL)
		l = lang_known(template_lang_pick(con->ts, NULL,
		    http_header(req, "Accept-Language"), "fr"));
	return l != NULL ? l : "fr";
}

static const char *
text(const struct console *con, const char *lang, const char *key)
{
	const char *t = template_text(con->ts, lang, key);

	return t != NULL ? t : "";
}

/* A 303 to @to, with a Set-Cookie line when @cookie is not NULL. */
static int
see_other(struct http_response *resp, const char *to, const char *cookie)
{
	if (http_response_error(resp, 303, NULL) != 0 ||
	    http_response_header(resp, "Location", to) != 0)
		return -1;
	if (cookie != NULL &&
	    http_response_header(resp, "Set-Cookie", cookie) != 0)
		return -1;
	return 0;
}

/* Back to the login page; @clear also drops the browser's cookie. */
static int
to_login(struct http_response *resp, const char *lang, bool clear)
{
	char to[32], cookie[SESSION_COOKIE_MAX];
	int n;

	n = str_printf(to, sizeof(to), "/login?lang=%s", lang);
	if (n < 0)
		return -1;
	if (!clear)
		return see_other(resp, to, NULL);
	if (session_cookie_clear(cookie, sizeof(cookie), false) != 0)
		return -1;
	return see_other(resp, to, cookie);
}

/*
 * The session of the request's cookie, re-checked against centre.db: an
 * account gone, disabled or moved to another centre loses every session.
 * Returns 0 (signed in, @sr filled), 1 (@resp holds the way back to
 * /login) or -1 (internal failure).
 */
static int
signed_in(struct console *con, const struct http_request *req,
    struct http_response *resp, struct staff_req *sr)
{
	const char *cookie = http_header(req, "Cookie");
	enum staff_status ss;
	char err[256];

	memset(sr, 0, sizeof(*sr));
	sr->lang = page_lang(con, req, NULL);
	if (cookie == NULL || session_cookie_id(cookie, sr->id) != 0 ||
	    session_lookup(con->sessions, sr->id, &sr->s) != 0)
		return to_login(resp, sr->lang, cookie != NULL) == 0 ? 1 : -1;
	if (pthread_mutex_lock(&con->db_lock) != 0)
		return -1;
	ss = staff_get(con->http_st, sr->s.staff_id, &sr->acct, err,
	    sizeof(err));
	(void)pthread_mutex_unlock(&con->db_lock);
	if (ss == STAFF_ERR_DB)
		return -1;
	if (ss != STAFF_OK || sr->acct.disabled ||
	    sr->acct.centre_id != con->centre_id ||
	    sr->s.centre_id != con->centre_id) {
		(void)session_destroy_staff(con->sessions, sr->s.staff_id);
		return to_login(resp, sr->lang, true) == 0 ? 1 : -1;
	}
	return 0;
}

/* true when the POST body holds the session's CSRF token in `csrf`. */
static bool
csrf_ok(const struct http_request *req, const struct staff_req *sr)
{
	struct form *f = NULL;
	bool ok;

	if (strcmp(req->content_type, "application/x-www-form-urlencoded") !=
	    0 || form_parse(req->body, req->body_len, &f, NULL) != FORM_OK)
		return false;
	ok = session_csrf_check(&sr->s, form_get(f, "csrf"));
	form_free(f);
	return ok;
}

static int
set_langs(const struct console *con, struct template_ctx *ctx,
    const char *lang)
{
	for (size_t i = 0; i < ARRAY_LEN(console_langs); i++) {
		struct template_ctx *it = template_list_add(ctx, "langs");

		if (it == NULL ||
		    template_set(it, "code", console_langs[i]) != 0 ||
		    template_set(it, "name", text(con, console_langs[i],
		    "lang.name")) != 0 ||
		    template_set_bool(it, "current",
		    strcmp(lang, console_langs[i]) == 0) != 0)
			return -1;
	}
	return 0;
}

/*
 * Who sees the stock page: those who manage stock (admin, coordinator,
 * packer) and those who see figures (the reviewer).  Stock holds no
 * personal data.
 */
static bool
can_stock(enum staff_role role)
{
	return staff_can(role, STAFF_MANAGE_STOCK) ||
	    staff_can(role, STAFF_VIEW_REPORTS);
}

/* A context with what every page shows; NULL on failure. */
static struct template_ctx *
page_ctx(const struct console *con, const struct staff_req *sr,
    const char *title_key, const char *nav)
{
	struct template_ctx *ctx = template_ctx_new();
	char key[48];

	if (ctx == NULL)
		return NULL;
	if (template_set(ctx, "lang", sr->lang) != 0 ||
	    template_set(ctx, "title", text(con, sr->lang, title_key)) != 0 ||
	    set_langs(con, ctx, sr->lang) != 0)
		goto fail;
	if (sr->acct.id == 0)
		return ctx;
	if (str_printf(key, sizeof(key), "console.role.%s",
	    store_role_name(sr->acct.role)) < 0 ||
	    template_set(ctx, "login", sr->acct.login) != 0 ||
	    template_set(ctx, "role", text(con, sr->lang, key)) != 0 ||
	    template_set(ctx, "csrf", sr->s.csrf) != 0 ||
	    template_set_bool(ctx, "can_queue", staff_can(sr->acct.role,
	    STAFF_VIEW_QUEUE)) != 0 ||
	    template_set_bool(ctx, "can_stock", can_stock(sr->acct.role)) !=
	    0 || template_set_bool(ctx, "can_audit", staff_can(sr->acct.role,
	    STAFF_VIEW_AUDIT)) != 0 ||
	    (nav != NULL && template_set_bool(ctx, nav, true) != 0))
		goto fail;
	return ctx;
fail:
	template_ctx_free(ctx);
	return NULL;
}

/*
 * Render @tpl into @resp with @status.  @personal: the page holds
 * personal data, so our copy is wiped.
 */
static int
render(const struct console *con, struct http_response *resp, int status,
    const char *tpl, const char *lang, const struct template_ctx *ctx,
    bool personal)
{
	char *out = NULL;
	size_t len = 0;
	int rc;

	if (template_render(con->ts, tpl, lang, ctx, &out, &len) != 0)
		return -1;
	if (!personal)
		return http_response_take(resp, status, HTTP_CT_HTML, out,
		    len);
	rc = http_response_copy(resp, status, HTTP_CT_HTML, out, len);
	str_wipe_free(out);
	return rc;
}

/* A signed-in page saying "not allowed" (403) or "not found" (404). */
static int
message_page(const struct console *con, struct http_response *resp,
    const struct staff_req *sr, int status)
{
	const char *what = status == 403 ? "forbidden" : "notfound";
	struct template_ctx *ctx;
	char tk[48], xk[48];
	int rc = -1;

	if (str_printf(tk, sizeof(tk), "console.%s.title", what) < 0 ||
	    str_printf(xk, sizeof(xk), "console.%s.text", what) < 0)
		return -1;
	ctx = page_ctx(con, sr, tk, NULL);
	if (ctx == NULL)
		return -1;
	if (template_set(ctx, "heading", text(con, sr->lang, tk)) == 0 &&
	    template_set(ctx, "text", text(con, sr->lang, xk)) == 0)
		rc = render(con, resp, status, CONSOLE_TPL_PAGE, sr->lang, ctx,
		    false);
	template_ctx_free(ctx);
	return rc;
}

static int
css_get(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;

	(void)req;
	return http_response_copy(resp, 200, HTTP_CT_CSS, con->css,
	    con->css_len);
}

static int
login_page(const struct console *con, struct http_response *resp,
    const char *lang, bool denied)
{
	struct staff_req none;
	struct template_ctx *ctx;
	int rc = -1;

	memset(&none, 0, sizeof(none));
	none.lang = lang;
	ctx = page_ctx(con, &none, "console.login.title", NULL);
	if (ctx == NULL)
		return -1;
	if (template_set_bool(ctx, "denied", denied) == 0)
		rc = render(con, resp, denied ? 401 : 200, CONSOLE_TPL_LOGIN,
		    lang, ctx, false);
	template_ctx_free(ctx);
	return rc;
}

static int
login_get(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;

	return login_page(con, resp, page_lang(con, req, NULL), false);
}

/*
 * POST /login: rate-limited per address before anything is checked;
 * staff_login() gives the one answer for every refusal (an account of
 * another centre is refused the same way); success makes a NEW session
 * (the id the browser brought, if any, is ended, never promoted).
 */
static int
login_post(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;
	struct staff_account acct;
	struct form *f = NULL;
	const char *lang, *login, *pw, *cookie;
	char id[SESSION_ID_BUF], prev[SESSION_ID_BUF];
	char setc[SESSION_COOKIE_MAX], to[32], err[256], ra[16];
	enum staff_status ss;
	unsigned retry = 1;
	int rc = -1;

	memset(&acct, 0, sizeof(acct));
	prev[0] = '\0';
	if (!ratelimit_allow(con->login_rl, req->client, strlen(req->client),
	    &retry)) {
		lang = page_lang(con, req, NULL);
		if (str_printf(ra, sizeof(ra), "%u", retry) < 0 ||
		    http_response_text(resp, 429, text(con, lang,
		    "console.login.limited")) != 0 ||
		    http_response_header(resp, "Retry-After", ra) != 0)
			return -1;
		return 0;
	}
	if (strcmp(req->content_type, "application/x-www-form-urlencoded") !=
	    0)
		return http_response_error(resp, 415, "the login form is "
		    "application/x-www-form-urlencoded");
	if (form_parse(req->body, req->body_len, &f, NULL) != FORM_OK)
		return http_response_error(resp, 400, "form: malformed");
	lang = page_lang(con, req, form_get(f, "lang"));
	login = form_get(f, "login");
	pw = form_get(f, "password");
	if (login == NULL || pw == NULL || login[0] == '\0' || pw[0] == '\0') {
		rc = login_page(con, resp, lang, true);
		goto out;
	}
	if (pthread_mutex_lock(&con->db_lock) != 0)
		goto out;
	ss = staff_login(con->http_st, login, pw, &acct, err, sizeof(err));
	(void)pthread_mutex_unlock(&con->db_lock);
	if (ss == STAFF_ERR_DB)
		goto out;
	if (ss != STAFF_OK || acct.centre_id != con->centre_id) {
		rc = login_page(con, resp, lang, true);
		goto out;
	}
	cookie = http_header(req, "Cookie");
	if (cookie != NULL && session_cookie_id(cookie, prev) != 0)
		prev[0] = '\0';
	if (session_create(con->sessions, prev[0] != '\0' ? prev : NULL,
	    acct.id, acct.centre_id, acct.role, acct.login, id, NULL) != 0)
		goto out;
	if (session_cookie(setc, sizeof(setc), id, false) != 0 ||
	    str_printf(to, sizeof(to), "/?lang=%s", lang) < 0)
		goto out;
	rc = see_other(resp, to, setc);
out:
	OPENSSL_cleanse(id, sizeof(id));
	OPENSSL_cleanse(prev, sizeof(prev));
	OPENSSL_cleanse(setc, sizeof(setc));
	form_free(f);
	return rc;
}

/* POST /logout: CSRF checked, the session ended, the cookie cleared. */
static int
logout_post(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;
	struct staff_req sr;
	int rc;

	rc = signed_in(con, req, resp, &sr);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (!csrf_ok(req, &sr))
		return http_response_error(resp, 403, "csrf: missing or not "
		    "this session's");
	session_destroy(con->sessions, sr.id);
	OPENSSL_cleanse(sr.id, sizeof(sr.id));
	return to_login(resp, sr.lang, true);
}

/* Local time as "YYYY-MM-DD HH:MM". */
static void
when(time_t t, char out[CONSOLE_TIME_BUF])
{
	struct tm tm;

	out[0] = '\0';
	if (t <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(out, CONSOLE_TIME_BUF, "%Y-%m-%d %H:%M", &tm) == 0)
		out[0] = '\0';
}

static const char *
status_text(const struct console *con, const char *lang,
    enum order_status st)
{
	char key[48];

	if (str_printf(key, sizeof(key), "console.status.%s",
	    order_status_name(st)) < 0)
		return order_status_name(st);
	return text(con, lang, key);
}

/* What the today page gathers from the queue. */
struct today {
	const struct console *con;
	const char *lang;
	int counts[ORDER_STATUS_COUNT];
	int flagged;
	struct template_ctx *flag_list;	/* NULL: counts only */
	int calls;
	struct template_ctx *call_list;	/* NULL: counts only */
	bool failed;
};

static bool
open_status(enum order_status st)
{
	return st == ORDER_RECEIVED || st == ORDER_ACCEPTED ||
	    st == ORDER_PACKED;
}

static int
today_row(const struct store_order_row *row, void *arg)
{
	struct today *t = arg;
	struct template_ctx *it;

	if ((int)row->status >= 0 && (int)row->status < ORDER_STATUS_COUNT)
		t->counts[row->status]++;
	if (!row->flagged || !open_status(row->status))
		return 0;
	t->flagged++;
	if (t->flag_list == NULL || t->flagged > CONSOLE_FLAGGED_SHOWN)
		return 0;
	it = template_list_add(t->flag_list, "items");
	if (it == NULL || template_set(it, "ref", row->ref) != 0 ||
	    template_set(it, "ref_shown", row->ref) != 0 ||
	    template_set(it, "status", status_text(t->con, t->lang,
	    row->status)) != 0 ||
	    template_set(it, "reason", row->flag_reason) != 0) {
		t->failed = true;
		return 1;
	}
	return 0;
}

static int
today_call(const struct followup_task *task, void *arg)
{
	struct today *t = arg;
	struct template_ctx *it;
	char why[256], due[CONSOLE_TIME_BUF];

	t->calls++;
	if (t->call_list == NULL || t->calls > CONSOLE_CALLS_SHOWN)
		return 0;
	followup_why(task, why, sizeof(why));
	when(task->due_at, due);
	it = template_list_add(t->call_list, "items");
	if (it == NULL || template_set(it, "why", why) != 0 ||
	    template_set(it, "due", due) != 0 ||
	    template_set_bool(it, "urgent", task->urgent) != 0 ||
	    template_set_bool(it, "overdue", task->overdue) != 0) {
		t->failed = true;
		return 1;
	}
	return 0;
}

/* The low stock items (into @list when not NULL); -1 on failure. */
static int
today_stock(struct console *con, const char *lang, struct template_ctx *list,
    int *low)
{
	struct stock_report *r = NULL;
	char err[256], num[24], thr[24];
	int rc = -1;

	*low = 0;
	if (stock_report(con->http_st, con->cat, STOCK_EXPIRING_DAYS, &r, err,
	    sizeof(err)) != 0)
		return -1;
	for (size_t i = 0; i < r->nlevels; i++) {
		const struct stock_level *lv = &r->levels[i];
		struct template_ctx *it;

		if (!lv->under_low)
			continue;
		(*low)++;
		if (list == NULL)
			continue;
		it = template_list_add(list, "items");
		if (it == NULL ||
		    str_printf(num, sizeof(num), "%ld", lv->usable) < 0 ||
		    str_printf(thr, sizeof(thr), "%d", lv->item->low) < 0 ||
		    template_set(it, "name", catalogue_item_name(con->cat,
		    lv->item->code, lang)) != 0 ||
		    template_set(it, "usable", num) != 0 ||
		    template_set(it, "unit", lv->item->unit) != 0 ||
		    template_set(it, "threshold", thr) != 0)
			goto out;
	}
	rc = 0;
out:
	stock_report_free(r);
	return rc;
}

static int
set_int(struct template_ctx *ctx, const char *name, long v)
{
	char num[24];

	if (str_printf(num, sizeof(num), "%ld", v) < 0)
		return -1;
	return template_set(ctx, name, num);
}

/*
 * GET /: counts by status, call-backs due today, low stock and flagged
 * orders.  A role without view_queue (the reviewer) sees counts only.
 */
static int
today_get(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;
	struct staff_req sr;
	struct template_ctx *ctx = NULL, *details = NULL, *low = NULL;
	struct today t;
	char err[256];
	int rc, nlow = 0;
	bool locked = false;

	rc = signed_in(con, req, resp, &sr);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	rc = -1;
	memset(&t, 0, sizeof(t));
	t.con = con;
	t.lang = sr.lang;
	ctx = page_ctx(con, &sr, "console.today.title", "nav_today");
	if (ctx == NULL)
		goto out;
	if (staff_can(sr.acct.role, STAFF_VIEW_QUEUE)) {
		details = template_list_add(ctx, "details");
		if (details == NULL)
			goto out;
		t.flag_list = template_list_add(details, "flagged");
		t.call_list = template_list_add(details, "callbacks");
		low = template_list_add(details, "low");
		if (t.flag_list == NULL || t.call_list == NULL || low == NULL)
			goto out;
	}
	if (pthread_mutex_lock(&con->db_lock) != 0)
		goto out;
	locked = true;
	if (store_queue(con->http_st, con->centre_id, -1, today_row, &t) !=
	    STORE_OK || t.failed)
		goto out;
	if (followup_due(con->http_st, con->centre_id, clock_now(),
	    today_call, &t, err, sizeof(err)) != 0 || t.failed)
		goto out;
	if (today_stock(con, sr.lang, low, &nlow) != 0)
		goto out;
	(void)pthread_mutex_unlock(&con->db_lock);
	locked = false;
	for (int i = 0; i < ORDER_STATUS_COUNT; i++) {
		struct template_ctx *it = template_list_add(ctx, "counts");

		if (it == NULL || template_set(it, "status",
		    order_status_name((enum order_status)i)) != 0 ||
		    template_set(it, "name", status_text(con, sr.lang,
		    (enum order_status)i)) != 0 ||
		    set_int(it, "count", t.counts[i]) != 0 ||
		    template_set_bool(it, "link", details != NULL) != 0)
			goto out;
	}
	if (set_int(ctx, "flagged_count", t.flagged) != 0 ||
	    set_int(ctx, "callbacks_count", t.calls) != 0 ||
	    set_int(ctx, "low_count", nlow) != 0)
		goto out;
	if (details != NULL) {
		/* An empty section list renders its {{^...}} branch. */
		if ((t.flagged == 0 && template_set_bool(details, "flagged",
		    false) != 0) ||
		    (t.calls == 0 && template_set_bool(details, "callbacks",
		    false) != 0) ||
		    (nlow == 0 && template_set_bool(details, "low",
		    false) != 0) ||
		    (t.calls > CONSOLE_CALLS_SHOWN &&
		    template_set_bool(t.call_list, "more", true) != 0))
			goto out;
	}
	rc = render(con, resp, 200, CONSOLE_TPL_TODAY, sr.lang, ctx, false);
out:
	if (locked)
		(void)pthread_mutex_unlock(&con->db_lock);
	template_ctx_free(ctx);
	return rc;
}

/* The queue page's filter and what it collects. */
struct queue_view {
	const struct console *con;
	const char *lang;
	int status;		/* -1 all, CONSOLE_STATUS_OPEN, or one */
	char ref[STORE_REF_MAX];	/* "" or the reference searched */
	char token[STORE_TOKEN_MAX];	/* "" or the tracking code */
	bool can_open;
	int count;
	struct template_ctx *list;
	bool failed;
};

static int
queue_row(const struct store_order_row *row, void *arg)
{
	struct queue_view *v = arg;
	struct template_ctx *it;
	char received[CONSOLE_TIME_BUF];

	if (v->status == CONSOLE_STATUS_OPEN && !open_status(row->status))
		return 0;
	if (v->status >= 0 && (int)row->status != v->status)
		return 0;
	if (v->ref[0] != '\0' && strcmp(row->ref, v->ref) != 0)
		return 0;
	if (v->token[0] != '\0' && strcmp(row->token, v->token) != 0)
		return 0;
	v->count++;
	if (v->count > CONSOLE_QUEUE_SHOWN)
		return 0;
	when(row->received_at, received);
	it = template_list_add(v->list, "items");
	if (it == NULL || template_set(it, "ref", row->ref) != 0 ||
	    template_set(it, "ref_shown", row->ref) != 0 ||
	    template_set(it, "received", received) != 0 ||
	    template_set(it, "status", status_text(v->con, v->lang,
	    row->status)) != 0 ||
	    template_set(it, "channel", order_channel_name(row->channel)) !=
	    0 || template_set(it, "dept", row->dept) != 0 ||
	    template_set(it, "olang", row->lang) != 0 ||
	    template_set(it, "packs", row->packs) != 0 ||
	    template_set_bool(it, "flagged", row->flagged) != 0 ||
	    template_set(it, "flag", row->flag_reason) != 0 ||
	    template_set_bool(it, "can_open", v->can_open) != 0) {
		v->failed = true;
		return 1;
	}
	return 0;
}

/* ?status=: "open" (default), "all" or one status; -2 when unknown. */
static int
queue_status(const char *s)
{
	enum order_status st;

	if (s == NULL || s[0] == '\0' || strcmp(s, "open") == 0)
		return CONSOLE_STATUS_OPEN;
	if (strcmp(s, "all") == 0)
		return -1;
	if (order_status_parse(s, &st) != 0)
		return -2;
	return (int)st;
}

static int
queue_statuses(const struct console *con, struct template_ctx *ctx,
    const char *lang, int current)
{
	static const char *const extra[] = { "open", "all" };

	for (int i = -2; i < ORDER_STATUS_COUNT; i++) {
		struct template_ctx *it = template_list_add(ctx, "statuses");
		const char *value, *name;
		char key[48];
		int code;

		if (it == NULL)
			return -1;
		if (i < 0) {
			value = extra[i + 2];
			if (str_printf(key, sizeof(key), "console.status.%s",
			    value) < 0)
				return -1;
			name = text(con, lang, key);
			code = i == -2 ? CONSOLE_STATUS_OPEN : -1;
		} else {
			value = order_status_name((enum order_status)i);
			name = status_text(con, lang, (enum order_status)i);
			code = i;
		}
		if (template_set(it, "value", value) != 0 ||
		    template_set(it, "name", name) != 0 ||
		    template_set_bool(it, "selected", code == current) != 0)
			return -1;
	}
	return 0;
}

/*
 * GET /queue?status=S&q=REF: the centre's orders, clear columns only.  A
 * search (a reference or a tracking code, in any form token_parse()
 * takes) looks in every status unless a status is given.
 */
static int
queue_get(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;
	struct staff_req sr;
	struct queue_view v;
	struct template_ctx *ctx = NULL, *rows = NULL;
	const char *q, *sparam;
	bool q_error = false;
	int rc;

	rc = signed_in(con, req, resp, &sr);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (!staff_can(sr.acct.role, STAFF_VIEW_QUEUE))
		return message_page(con, resp, &sr, 403);
	memset(&v, 0, sizeof(v));
	v.con = con;
	v.lang = sr.lang;
	v.can_open = staff_can(sr.acct.role, STAFF_VIEW_PERSONAL);
	sparam = form_get(req->query, "status");
	q = form_get(req->query, "q");
	if (q != NULL && q[0] != '\0' && (sparam == NULL || sparam[0] == '\0'))
		sparam = "all";
	v.status = queue_status(sparam);
	if (v.status == -2)
		return http_response_error(resp, 400, "status: not one of "
		    "open, all, received, accepted, packed, shipped, "
		    "delivered, returned, cancelled");
	if (q != NULL && q[0] != '\0' &&
	    token_parse(q, TOKEN_REF_DIGITS, v.ref, sizeof(v.ref)) !=
	    TOKEN_OK && token_parse(q, TOKEN_TRACK_DIGITS, v.token,
	    sizeof(v.token)) != TOKEN_OK)
		q_error = true;
	rc = -1;
	ctx = page_ctx(con, &sr, "console.queue.title", "nav_queue");
	if (ctx == NULL)
		goto out;
	if (queue_statuses(con, ctx, sr.lang, v.status) != 0 ||
	    template_set(ctx, "q", q != NULL ? q : "") != 0 ||
	    template_set_bool(ctx, "q_error", q_error) != 0)
		goto out;
	if (!q_error) {
		rows = template_list_add(ctx, "rows");
		if (rows == NULL)
			goto out;
		v.list = rows;
		if (pthread_mutex_lock(&con->db_lock) != 0)
			goto out;
		if (store_queue(con->http_st, con->centre_id, -1, queue_row,
		    &v) != STORE_OK)
			v.failed = true;
		(void)pthread_mutex_unlock(&con->db_lock);
		if (v.failed)
			goto out;
		if (v.count == 0) {
			if (template_set_bool(ctx, "rows", false) != 0)
				goto out;
		} else if (set_int(rows, "count", v.count) != 0 ||
		    template_set_bool(rows, "truncated",
		    v.count > CONSOLE_QUEUE_SHOWN) != 0)
			goto out;
	}
	rc = render(con, resp, q_error ? 422 : 200, CONSOLE_TPL_QUEUE,
	    sr.lang, ctx, false);
out:
	template_ctx_free(ctx);
	return rc;
}

/* The opened order into @ctx; -1 on failure. */
static int
order_fill(const struct console *con, struct template_ctx *ctx,
    const char *lang, const struct order *o, const struct store_order_row *row)
{
	char received[CONSOLE_TIME_BUF];

	when(row->received_at, received);
	if (template_set(ctx, "ref_shown", row->ref) != 0 ||
	    template_set(ctx, "token_shown", row->token) != 0 ||
	    template_set(ctx, "status", status_text(con, lang,
	    row->status)) != 0 ||
	    template_set(ctx, "received", received) != 0 ||
	    template_set(ctx, "channel", order_channel_name(row->channel)) !=
	    0 || template_set(ctx, "packs", row->packs) != 0 ||
	    set_int(ctx, "for_people", row->for_people) != 0 ||
	    template_set(ctx, "olang", row->lang) != 0 ||
	    template_set_bool(ctx, "flagged", row->flagged) != 0 ||
	    template_set(ctx, "flag", row->flag_reason) != 0 ||
	    template_set(ctx, "pseudonym", o->pseudonym) != 0 ||
	    template_set_bool(ctx, "poste_restante", o->poste_restante) != 0 ||
	    template_set(ctx, "postcode", o->postcode) != 0 ||
	    template_set(ctx, "commune", o->commune) != 0 ||
	    template_set(ctx, "phone", o->phone) != 0 ||
	    template_set(ctx, "note", o->note) != 0 ||
	    template_set(ctx, "consent_call", text(con, lang,
	    o->consent_call ? "console.yes" : "console.no")) != 0 ||
	    template_set(ctx, "consent_sms", text(con, lang,
	    o->consent_sms ? "console.yes" : "console.no")) != 0)
		return -1;
	for (size_t i = 0; i < o->nlines && i < ADDRESS_LINES_MAX; i++) {
		struct template_ctx *it = template_list_add(ctx, "lines");

		if (it == NULL || template_set(it, "line", o->lines[i]) != 0)
			return -1;
	}
	return 0;
}

/*
 * GET /order/REF: one order of the session's centre, its personal data
 * opened through store_order_open() (audited, actor "staff:LOGIN").
 * Roles without view_personal_data: 403.  Unknown, malformed, or another
 * centre's: the same 404.
 */
static int
order_get(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;
	struct staff_req sr;
	struct store_order_row row;
	struct order o;
	struct template_ctx *ctx = NULL;
	const char *ref = req->path + strlen(CONSOLE_ORDER_PREFIX);
	char actor[STORE_ACTOR_MAX];
	enum store_status ss;
	int rc;

	rc = signed_in(con, req, resp, &sr);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (!staff_can(sr.acct.role, STAFF_VIEW_PERSONAL))
		return message_page(con, resp, &sr, 403);
	if (ref[0] == '\0' || strlen(ref) > CONSOLE_REF_INPUT_MAX)
		return message_page(con, resp, &sr, 404);
	if (str_printf(actor, sizeof(actor), "staff:%s", sr.acct.login) < 0)
		return -1;
	memset(&o, 0, sizeof(o));
	memset(&row, 0, sizeof(row));
	if (pthread_mutex_lock(&con->db_lock) != 0)
		return -1;
	ss = store_order_get(con->http_st, ref, &row);
	if (ss == STORE_OK && strcmp(row.centre, sr.acct.centre) != 0)
		ss = STORE_ERR_NOT_FOUND;
	if (ss == STORE_OK)
		ss = store_order_open(con->http_st, con->key, row.ref, actor,
		    &o, &row);
	(void)pthread_mutex_unlock(&con->db_lock);
	if (ss == STORE_ERR_NOT_FOUND || ss == STORE_ERR_INVALID) {
		rc = message_page(con, resp, &sr, 404);
		goto out;
	}
	rc = -1;
	if (ss != STORE_OK)
		goto out;
	ctx = page_ctx(con, &sr, "console.order.title", NULL);
	if (ctx == NULL || order_fill(con, ctx, sr.lang, &o, &row) != 0)
		goto out;
	rc = render(con, resp, 200, CONSOLE_TPL_ORDER, sr.lang, ctx, true);
out:
	template_ctx_free(ctx);
	order_clear(&o);
	return rc;
}

/* One lot of the stock page into @lots' list. */
static int
stock_lot_fill(struct template_ctx *lots, const struct stock_lot *l)
{
	struct template_ctx *it = template_list_add(lots, "items");
	char day[STOCK_DATE_LEN];

	if (it == NULL)
		return -1;
	day[0] = '\0';
	if (l->expiry != 0)
		stock_date_format(l->expiry, day);
	if (template_set(it, "lot", l->lot) != 0 ||
	    set_int(it, "left", l->qty_left) != 0 ||
	    set_int(it, "qty_in", l->qty_in) != 0 ||
	    template_set_bool(it, "has_expiry", l->expiry != 0) != 0 ||
	    template_set(it, "expiry", day) != 0 ||
	    template_set_bool(it, "expired", l->expired) != 0 ||
	    template_set_bool(it, "expiring", l->expiring) != 0)
		return -1;
	return 0;
}

/* The report @r into @ctx: one row per item, its lots in FEFO order. */
static int
stock_fill(const struct console *con, struct template_ctx *ctx,
    const char *lang, const struct stock_report *r)
{
	char day[STOCK_DATE_LEN];
	long nlow = 0;

	for (size_t i = 0; i < r->nlevels; i++) {
		const struct stock_level *lv = &r->levels[i];
		struct template_ctx *it = template_list_add(ctx, "items");
		struct template_ctx *lots;

		if (it == NULL)
			return -1;
		if (lv->under_low)
			nlow++;
		if (template_set(it, "code", lv->item->code) != 0 ||
		    template_set(it, "name", catalogue_item_name(con->cat,
		    lv->item->code, lang)) != 0 ||
		    template_set(it, "unit", lv->item->unit) != 0 ||
		    set_int(it, "n_usable", lv->usable) != 0 ||
		    set_int(it, "n_expired", lv->expired) != 0 ||
		    set_int(it, "n_low", lv->item->low) != 0 ||
		    template_set_bool(it, "under_low", lv->under_low) != 0)
			return -1;
		if (lv->nlots == 0) {
			if (template_set_bool(it, "lots", false) != 0)
				return -1;
			continue;
		}
		lots = template_list_add(it, "lots");
		if (lots == NULL)
			return -1;
		for (size_t k = 0; k < lv->nlots; k++)
			if (stock_lot_fill(lots,
			    &r->lots[lv->first_lot + k]) != 0)
				return -1;
	}
	stock_date_format(r->today, day);
	if (template_set(ctx, "today", day) != 0 ||
	    set_int(ctx, "nlow", nlow) != 0 ||
	    set_int(ctx, "nexpiring", (long)r->nexpiring) != 0 ||
	    set_int(ctx, "nexpired", (long)r->nexpired) != 0 ||
	    set_int(ctx, "days", r->expiring_days) != 0)
		return -1;
	return 0;
}

/*
 * GET /stock: what `hrpost stock` prints, read-only: every catalogue
 * item's usable and expired units (LOW under its threshold), its lots in
 * packing order with their expiry (EXPIRED, EXPIRING within
 * STOCK_EXPIRING_DAYS).  For can_stock() roles; others: 403.
 */
static int
stock_get(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;
	struct staff_req sr;
	struct stock_report *r = NULL;
	struct template_ctx *ctx = NULL;
	char err[256];
	int rc;

	rc = signed_in(con, req, resp, &sr);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (!can_stock(sr.acct.role))
		return message_page(con, resp, &sr, 403);
	if (pthread_mutex_lock(&con->db_lock) != 0)
		return -1;
	rc = stock_report(con->http_st, con->cat, STOCK_EXPIRING_DAYS, &r,
	    err, sizeof(err));
	(void)pthread_mutex_unlock(&con->db_lock);
	if (rc != 0) {
		fprintf(stderr, "console: stock: %s\n", err);
		return -1;
	}
	rc = -1;
	ctx = page_ctx(con, &sr, "console.stock.title", "nav_stock");
	if (ctx == NULL || stock_fill(con, ctx, sr.lang, r) != 0)
		goto out;
	rc = render(con, resp, 200, CONSOLE_TPL_STOCK, sr.lang, ctx, false);
out:
	template_ctx_free(ctx);
	stock_report_free(r);
	return rc;
}

static const char *
column_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? (const char *)t : "";
}

/* The newest CONSOLE_AUDIT_SHOWN entries into @ctx's "rows"; -1 on error. */
static int
audit_rows(struct console *con, struct template_ctx *ctx)
{
	struct template_ctx *rows = NULL;
	sqlite3_stmt *s = NULL;
	char err[DB_ERRMSG_MAX], at[CONSOLE_TIME_BUF];
	int rc = -1, step = SQLITE_ERROR, n = 0;

	err[0] = '\0';
	if (pthread_mutex_lock(&con->db_lock) != 0)
		return -1;
	/*
	 * The audit chain is one for the whole database; entries about
	 * another centre's orders (their reference is the object) are not
	 * this centre's staff's business and are left out.
	 */
	if (db_prepare(store_db(con->http_st), "SELECT id, at, actor, action, "
	    "object, detail FROM audit WHERE object IS NULL OR object NOT IN "
	    "(SELECT ref FROM orders WHERE centre_id != ?2) "
	    "ORDER BY id DESC LIMIT ?1", &s, err, sizeof(err)) != 0 ||
	    sqlite3_bind_int(s, 1, CONSOLE_AUDIT_SHOWN) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, con->centre_id) != SQLITE_OK)
		goto out;
	for (;;) {
		struct template_ctx *it;

		step = sqlite3_step(s);
		if (step != SQLITE_ROW)
			break;
		if (rows == NULL) {
			rows = template_list_add(ctx, "rows");
			if (rows == NULL)
				goto out;
		}
		it = template_list_add(rows, "items");
		when((time_t)sqlite3_column_int64(s, 1), at);
		if (it == NULL ||
		    set_int(it, "id", (long)sqlite3_column_int64(s, 0)) != 0 ||
		    template_set(it, "at", at) != 0 ||
		    template_set(it, "actor", column_text(s, 2)) != 0 ||
		    template_set(it, "action", column_text(s, 3)) != 0 ||
		    template_set(it, "object", column_text(s, 4)) != 0 ||
		    template_set(it, "detail", column_text(s, 5)) != 0)
			goto out;
		n++;
	}
	if (step != SQLITE_DONE)
		goto out;
	if (n == 0 && template_set_bool(ctx, "rows", false) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "console: audit: %s\n", s == NULL ? err :
		    sqlite3_errmsg(store_db(con->http_st)));
	sqlite3_finalize(s);
	(void)pthread_mutex_unlock(&con->db_lock);
	return rc;
}

/*
 * The audit page, with the result of a verification when @rep is not
 * NULL.  Entries hold no personal data (orders/audit.h).
 */
static int
audit_page(struct console *con, struct http_response *resp,
    const struct staff_req *sr, const struct store_audit_report *rep)
{
	struct template_ctx *ctx;
	int rc = -1;

	ctx = page_ctx(con, sr, "console.audit.title", "nav_audit");
	if (ctx == NULL)
		return -1;
	if (rep != NULL && (template_set_bool(ctx, "verified", true) != 0 ||
	    template_set_bool(ctx, "intact", rep->bad_id == 0) != 0 ||
	    set_int(ctx, "checked", (long)rep->checked) != 0 ||
	    set_int(ctx, "bad_id", (long)rep->bad_id) != 0 ||
	    template_set(ctx, "why", rep->why) != 0))
		goto out;
	if (audit_rows(con, ctx) != 0)
		goto out;
	rc = render(con, resp, 200, CONSOLE_TPL_AUDIT, sr->lang, ctx, false);
out:
	template_ctx_free(ctx);
	return rc;
}

/*
 * GET /audit: the newest CONSOLE_AUDIT_SHOWN audit entries, newest first,
 * for roles with view_audit; others: 403.
 */
static int
audit_get(const struct http_request *req, struct http_response *resp,
    void *app)
{
	struct console *con = app;
	struct staff_req sr;
	int rc;

	rc = signed_in(con, req, resp, &sr);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (!staff_can(sr.acct.role, STAFF_VIEW_AUDIT))
		return message_page(con, resp, &sr, 403);
	return audit_page(con, resp, &sr, NULL);
}

/*
 * POST /audit/verify: view_audit and the session's CSRF token required
 * (403 otherwise); walks the whole chain (store_audit_verify()) and shows
 * the audit page with "intact, N entries" or "broken at entry N: why".
 */
static int
audit_verify_post(const struct http_request *req,
    struct http_response *resp, void *app)
{
	struct console *con = app;
	struct staff_req sr;
	struct store_audit_report rep;
	enum store_status ss;
	int rc;

	rc = signed_in(con, req, resp, &sr);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	if (!staff_can(sr.acct.role, STAFF_VIEW_AUDIT))
		return message_page(con, resp, &sr, 403);
	if (!csrf_ok(req, &sr))
		return http_response_error(resp, 403, "csrf: missing or not "
		    "this session's");
	memset(&rep, 0, sizeof(rep));
	if (pthread_mutex_lock(&con->db_lock) != 0)
		return -1;
	ss = store_audit_verify(con->http_st, &rep);
	if (ss != STORE_OK)
		fprintf(stderr, "console: audit verify: %s\n",
		    store_errmsg(con->http_st));
	(void)pthread_mutex_unlock(&con->db_lock);
	if (ss != STORE_OK)
		return -1;
	return audit_page(con, resp, &sr, &rep);
}

static const struct http_route console_routes[] = {
	{ "GET", "/healthz", 0, 0, 0, healthz },
	{ "GET", "/console.css", 0, 0, 0, css_get },
	{ "GET", "/login", 0, 0, 0, login_get },
	{ "POST", "/login", 0, 0, CONSOLE_FORM_BODY_MAX, login_post },
	{ "POST", "/logout", 0, 0, CONSOLE_FORM_BODY_MAX, logout_post },
	{ "GET", "/", 0, 0, 0, today_get },
	{ "GET", "/queue", 0, 0, 0, queue_get },
	{ "GET", CONSOLE_ORDER_PREFIX, HTTP_ROUTE_PREFIX, 0, 0, order_get },
	{ "GET", "/stock", 0, 0, 0, stock_get },
	{ "GET", "/audit", 0, 0, 0, audit_get },
	{ "POST", "/audit/verify", 0, 0, CONSOLE_FORM_BODY_MAX,
	    audit_verify_post },
};

/* ---- the pull thread ---- */

static int
should_stop(void *arg)
{
	struct console *con = arg;
	bool stop;

	(void)pthread_mutex_lock(&con->lock);
	stop = con->stopping;
	(void)pthread_mutex_unlock(&con->lock);
	return stop;
}

static void
on_row(const struct inbox_item *in, const struct inbox_result *res,
    void *arg)
{
	(void)arg;
	if (res->outcome == INBOX_REJECTED)
		fprintf(stderr, "console: outbox row %lld quarantined: %s\n",
		    (long long)in->id, res->why);
}

static void
pull_once(struct console *con)
{
	struct inbox_config ic;
	struct pull_config pc;
	struct pull_stats stats;
	char errbuf[512];

	memset(&ic, 0, sizeof(ic));
	ic.st = con->pull_st;
	ic.key = con->key;
	ic.cat = con->cat;
	ic.centre_id = con->centre_id;
	ic.centre = con->cfg.centre;
	ic.default_lang = con->cfg.lang;
	ic.flag_qty = con->cfg.flag_qty;
	ic.flag_days = con->cfg.flag_days;
	memset(&pc, 0, sizeof(pc));
	pc.url = con->cfg.console_intake_url;
	pc.token = con->cfg.console_intake_token;
	pc.ca_pem = con->ca_pem;
	pc.ca_pem_len = con->ca_pem_len;
	pc.on_row = on_row;
	pc.stop = should_stop;
	pc.arg = con;
	if (pull_run(&pc, &ic, &stats, errbuf, sizeof(errbuf)) != 0) {
		if (should_stop(con))
			fprintf(stderr, "console: pull stopped: %s\n", errbuf);
		else
			fprintf(stderr, "console: pull failed (next try in %d "
			    "s): %s\n", con->cfg.pull_interval, errbuf);
		return;
	}
	if (stats.pulled > 0)
		fprintf(stderr, "console: pulled %d: %d orders, %d messages, "
		    "%d duplicates, %d rejected\n", stats.pulled, stats.orders,
		    stats.messages, stats.duplicates, stats.rejected);
}

static void *
puller(void *arg)
{
	struct console *con = arg;
	struct timespec next;

	for (;;) {
		if (should_stop(con))
			break;
		pull_once(con);
		if (clock_gettime(CLOCK_MONOTONIC, &next) != 0)
			break;
		next.tv_sec += con->cfg.pull_interval;
		(void)pthread_mutex_lock(&con->lock);
		while (!con->stopping) {
			int rc = pthread_cond_timedwait(&con->wake, &con->lock,
			    &next);

			if (rc == ETIMEDOUT)
				break;
		}
		(void)pthread_mutex_unlock(&con->lock);
	}
	return NULL;
}

/* ---- the task thread: scheduler, digest, tracking ---- */

static void
schedule_once(struct console *con)
{
	struct followup_round rd;
	struct followup_stats st;
	char errbuf[512];

	memset(&rd, 0, sizeof(rd));
	rd.st = con->task_st;
	rd.rules = &con->rules;
	rd.centre_id = con->centre_id;
	rd.tracked = con->cfg.laposte_key[0] != '\0';
	rd.key = con->key;
	rd.sms = con->sms_on ? &con->sms : NULL;
	rd.actor = CONSOLE_ACTOR;
	if (followup_run(&rd, clock_now(), &st, errbuf, sizeof(errbuf)) != 0)
		fprintf(stderr, "console: scheduler: %s (next round in %d s)\n",
		    errbuf, con->rules.interval);
	if (st.created > 0 || st.planned > 0 || st.cancelled > 0 ||
	    st.invited > 0 || st.invite_failed > 0)
		fprintf(stderr, "console: scheduler: %d task%s made, %d "
		    "planned, %d stopped, %d SMS invitation%s sent, %d not "
		    "sent\n", st.created, st.created == 1 ? "" : "s",
		    st.planned, st.cancelled, st.invited,
		    st.invited == 1 ? "" : "s", st.invite_failed);
	if (st.digest_sent)
		fprintf(stderr, "console: digest sent for %s\n", st.digest_day);
}

/* One line per parcel La Poste could not tell about: ref and reason. */
static void
track_report(const struct tracking_parcel *p, const struct tracking_result *r,
    enum tracking_action act, const char *why, void *arg)
{
	(void)r;
	(void)arg;
	if (act == TRACKING_ACT_ERROR)
		fprintf(stderr, "console: tracking: parcel %s: %s\n", p->ref,
		    why);
}

/* One La Poste round; returns the parcels it moved to delivered. */
static size_t
track_once(struct console *con)
{
	struct tracking_parcel *parcels = NULL;
	struct tracking_summary sum;
	struct tracking_client cl;
	size_t n = 0, bad = 0;
	char errbuf[512];

	memset(&sum, 0, sizeof(sum));
	if (tracking_shipped(con->task_st, con->centre_id, &parcels, &n, &bad,
	    errbuf, sizeof(errbuf)) != 0) {
		fprintf(stderr, "console: tracking: %s\n", errbuf);
		return 0;
	}
	memset(&cl, 0, sizeof(cl));
	cl.url = con->cfg.laposte_url;
	cl.key = con->cfg.laposte_key;
	cl.lang = con->cfg.laposte_lang;
	if (tracking_round(con->task_st, &cl, parcels, n, CONSOLE_ACTOR,
	    TRACKING_RETRIES, CONSOLE_TRACK_WAIT_MAX, track_report, NULL, &sum,
	    errbuf, sizeof(errbuf)) != 0)
		fprintf(stderr, "console: tracking: %s (next round in %d s)\n",
		    errbuf, con->cfg.laposte_poll);
	if (sum.polled > 0 || bad > 0)
		fprintf(stderr, "console: tracking: %zu polled, %zu delivered, "
		    "%zu returned, %zu unchanged, %zu errors\n", sum.polled,
		    sum.delivered, sum.returned, sum.unchanged,
		    sum.errors + bad);
	free(parcels);
	return sum.delivered;
}

static bool
before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Every [scheduler] interval: a scheduler round (SMS invitations and the
 * digest included); every [laposte] poll_interval when a key is set: a
 * tracking round, and a scheduler round right after one that found
 * parcels delivered.  Both the first time at start.
 */
static void *
tasker(void *arg)
{
	struct console *con = arg;
	bool tracking = con->cfg.laposte_key[0] != '\0';
	struct timespec now, next_sched, next_track, wake;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return NULL;
	next_sched = next_track = now;
	for (;;) {
		if (should_stop(con))
			break;
		if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
			break;
		if (tracking && !before(&now, &next_track)) {
			next_track = now;
			next_track.tv_sec += con->cfg.laposte_poll;
			if (track_once(con) > 0)
				next_sched = now;
			if (should_stop(con))
				break;
		}
		if (!before(&now, &next_sched)) {
			schedule_once(con);
			next_sched = now;
			next_sched.tv_sec += con->rules.interval;
		}
		wake = next_sched;
		if (tracking && before(&next_track, &wake))
			wake = next_track;
		(void)pthread_mutex_lock(&con->lock);
		while (!con->stopping) {
			int rc = pthread_cond_timedwait(&con->wake, &con->lock,
			    &wake);

			if (rc == ETIMEDOUT)
				break;
		}
		(void)pthread_mutex_unlock(&con->lock);
	}
	return NULL;
}

/*
 * DIR/followup.ini (the defaults when there is none), its time zone as
 * the process's local time (no thread runs yet), and Kannel's sendsms
 * when [sms] sendsms_url is set.
 */
static int
tasks_setup(struct console *con, char *errbuf, size_t errsz)
{
	char path[CONFIG_PATH_MAX + 32], err[512];

	if (str_printf(path, sizeof(path), "%s/%s", con->cfg.dir,
	    FOLLOWUP_RULES_FILE) < 0) {
		errbuf_set(errbuf, errsz, "state directory path too long");
		return -1;
	}
	if (followup_rules_load(&con->rules, path, &con->rules_found, err,
	    sizeof(err)) != 0 ||
	    followup_tz_apply(&con->rules, err, sizeof(err)) != 0) {
		errbuf_set(errbuf, errsz, "%s", err);
		return -1;
	}
	if (con->cfg.sms_sendsms_url[0] == '\0')
		return 0;
	con->sms.url = con->cfg.sms_sendsms_url;
	con->sms.user = con->cfg.sms_sendsms_user;
	con->sms.password = con->cfg.sms_sendsms_password;
	con->sms.from = con->cfg.sms_sender;
	con->sms.ca_pem = con->ca_pem;
	con->sms.ca_pem_len = con->ca_pem_len;
	if (sendsms_check(&con->sms, err, sizeof(err)) != 0) {
		errbuf_set(errbuf, errsz, "%s", err);
		return -1;
	}
	con->sms_on = true;
	return 0;
}

/* ---- set-up ---- */

/* Templates, style sheet, session table and login limit of the pages. */
static int
pages_setup(struct console *con, char *errbuf, size_t errsz)
{
	char path[CONFIG_PATH_MAX + 32], err[512];

	con->ts = template_load_html(con->cfg.templates, CONSOLE_TPL_DIR, err,
	    sizeof(err));
	if (con->ts == NULL) {
		errbuf_set(errbuf, errsz, "templates: %s", err);
		return -1;
	}
	if (!template_has(con->ts, CONSOLE_TPL_LOGIN) ||
	    !template_has(con->ts, CONSOLE_TPL_TODAY) ||
	    !template_has(con->ts, CONSOLE_TPL_QUEUE) ||
	    !template_has(con->ts, CONSOLE_TPL_ORDER) ||
	    !template_has(con->ts, CONSOLE_TPL_PAGE) ||
	    !template_has(con->ts, CONSOLE_TPL_STOCK) ||
	    !template_has(con->ts, CONSOLE_TPL_AUDIT) ||
	    !template_has_lang(con->ts, "en")) {
		errbuf_set(errbuf, errsz, "templates: %s/%s must hold %s, %s, "
		    "%s, %s, %s, %s and %s.html, and i18n/en.ini must exist",
		    con->cfg.templates, CONSOLE_TPL_DIR, CONSOLE_TPL_LOGIN,
		    CONSOLE_TPL_TODAY, CONSOLE_TPL_QUEUE, CONSOLE_TPL_ORDER,
		    CONSOLE_TPL_PAGE, CONSOLE_TPL_STOCK, CONSOLE_TPL_AUDIT);
		return -1;
	}
	if (str_printf(path, sizeof(path), "%s/%s", con->cfg.templates,
	    CONSOLE_CSS_FILE) < 0) {
		errbuf_set(errbuf, errsz, "templates path too long");
		return -1;
	}
	con->css = config_ini_read(path, CONSOLE_CSS_MAX, errbuf, errsz);
	if (con->css == NULL)
		return -1;
	con->css_len = strlen(con->css);
	con->sessions = session_store_new(SESSION_MAX_DEFAULT,
	    SESSION_IDLE_SECS, SESSION_ABSOLUTE_SECS);
	con->login_rl = ratelimit_new(CONSOLE_LOGIN_PER_MINUTE, 60, 0, NULL);
	if (con->sessions == NULL || con->login_rl == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return -1;
	}
	return 0;
}

/* Read the CA file (PEM, at most CONSOLE_CA_FILE_MAX bytes) whole. */
static int
read_ca(struct console *con, char *errbuf, size_t errsz)
{
	const char *path = con->cfg.console_ca_file;
	struct stat sb;
	size_t n = 0;
	ssize_t r;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		errbuf_set(errbuf, errsz, "[console] ca_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    sb.st_size > CONSOLE_CA_FILE_MAX) {
		errbuf_set(errbuf, errsz, "[console] ca_file %s: not a regular "
		    "file of 1 to %d bytes", path, CONSOLE_CA_FILE_MAX);
		goto out;
	}
	con->ca_pem = malloc((size_t)sb.st_size);
	if (con->ca_pem == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		goto out;
	}
	while (n < (size_t)sb.st_size) {
		r = read(fd, con->ca_pem + n, (size_t)sb.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			errbuf_set(errbuf, errsz, "[console] ca_file %s: short "
			    "read", path);
			goto out;
		}
		n += (size_t)r;
	}
	con->ca_pem_len = n;
	ret = 0;
out:
	close(fd);
	return ret;
}

struct console *
console_open(const struct config *cfg, const char *listen,
    const struct catalogue *cat, const struct centre_key *key,
    char *errbuf, size_t errsz)
{
	struct console *con = NULL;
	struct http_config hc;
	pthread_condattr_t ca;
	char err[512];
	bool ok = false;

	if (cfg == NULL || cat == NULL || key == NULL) {
		errbuf_set(errbuf, errsz, "console: missing argument");
		return NULL;
	}
	if (cfg->pull_interval < 1) {
		errbuf_set(errbuf, errsz, "[console] pull_interval must be at "
		    "least 1 second");
		return NULL;
	}
	if (pull_check(cfg->console_intake_url, cfg->console_intake_token,
	    err, sizeof(err)) != 0) {
		errbuf_set(errbuf, errsz, "cannot pull from the intake node: "
		    "%s", err);
		return NULL;
	}
	con = calloc(1, sizeof(*con));
	if (con == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return NULL;
	}
	con->cfg = *cfg;
	con->cat = cat;
	con->key = key;
	if (pthread_mutex_init(&con->db_lock, NULL) != 0) {
		free(con);
		errbuf_set(errbuf, errsz, "cannot create a mutex");
		return NULL;
	}
	if (pthread_mutex_init(&con->lock, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0) {
		pthread_mutex_destroy(&con->db_lock);
		free(con);
		errbuf_set(errbuf, errsz, "cannot create a mutex");
		return NULL;
	}
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&con->wake, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		pthread_mutex_destroy(&con->lock);
		pthread_mutex_destroy(&con->db_lock);
		free(con);
		errbuf_set(errbuf, errsz, "cannot create a condition variable");
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	con->locks_made = true;

	if (con->cfg.console_ca_file[0] != '\0' &&
	    read_ca(con, errbuf, errsz) != 0)
		goto out;
	con->http_st = store_open(cfg->centre_db, err, sizeof(err));
	if (con->http_st == NULL) {
		errbuf_set(errbuf, errsz, "%s: %s", cfg->centre_db, err);
		goto out;
	}
	con->pull_st = store_open(cfg->centre_db, err, sizeof(err));
	if (con->pull_st == NULL) {
		errbuf_set(errbuf, errsz, "%s: %s", cfg->centre_db, err);
		goto out;
	}
	con->task_st = store_open(cfg->centre_db, err, sizeof(err));
	if (con->task_st == NULL) {
		errbuf_set(errbuf, errsz, "%s: %s", cfg->centre_db, err);
		goto out;
	}
	if (tasks_setup(con, errbuf, errsz) != 0)
		goto out;
	if (store_centre_find(con->pull_st, cfg->centre, &con->centre_id) !=
	    STORE_OK) {
		errbuf_set(errbuf, errsz, "centre '%s' (config [hrpost] "
		    "centre) is not in %s", cfg->centre, cfg->centre_db);
		goto out;
	}

	if (pages_setup(con, errbuf, errsz) != 0)
		goto out;

	memset(&hc, 0, sizeof(hc));
	hc.name = "console";
	hc.listen = listen != NULL ? listen : con->cfg.console_listen;
	hc.threads = CONSOLE_HTTP_THREADS;
	hc.routes = console_routes;
	hc.nroutes = ARRAY_LEN(console_routes);
	hc.app = con;
	con->srv = http_server_bind(&hc, errbuf, errsz);
	if (con->srv == NULL)
		goto out;
	ok = true;
out:
	if (!ok) {
		console_close(con);
		con = NULL;
	}
	return con;
}

uint16_t
console_port(const struct console *con)
{
	return con != NULL ? http_server_port(con->srv) : 0;
}

int
console_start(struct console *con, char *errbuf, size_t errsz)
{
	if (http_server_start(con->srv, errbuf, errsz) != 0)
		return -1;
	if (pthread_create(&con->puller, NULL, puller, con) != 0) {
		errbuf_set(errbuf, errsz, "cannot start the pull thread");
		return -1;
	}
	con->puller_started = true;
	if (pthread_create(&con->tasker, NULL, tasker, con) != 0) {
		errbuf_set(errbuf, errsz, "cannot start the task thread");
		return -1;
	}
	con->tasker_started = true;
	fprintf(stderr, "console: scheduler every %d s (%s, time zone %s), "
	    "SMS %s, digest %s, La Poste %s\n", con->rules.interval,
	    con->rules_found ? FOLLOWUP_RULES_FILE : "default rules",
	    con->rules.timezone, con->sms_on ? "on" : "off (no sendsms_url)",
	    !con->sms_on || con->rules.digest_phone[0] == '\0' ? "off" :
	    "daily", con->cfg.laposte_key[0] != '\0' ? "polled" : "off");
	return 0;
}

void
console_close(struct console *con)
{
	if (con == NULL)
		return;
	if (con->puller_started || con->tasker_started) {
		(void)pthread_mutex_lock(&con->lock);
		con->stopping = true;
		(void)pthread_cond_broadcast(&con->wake);
		(void)pthread_mutex_unlock(&con->lock);
		if (con->puller_started)
			(void)pthread_join(con->puller, NULL);
		if (con->tasker_started)
			(void)pthread_join(con->tasker, NULL);
	}
	http_server_free(con->srv);
	store_close(con->task_st);
	store_close(con->pull_st);
	store_close(con->http_st);
	free(con->ca_pem);
	template_free(con->ts);
	free(con->css);
	session_store_free(con->sessions);
	ratelimit_free(con->login_rl);
	if (con->locks_made) {
		pthread_cond_destroy(&con->wake);
		pthread_mutex_destroy(&con->lock);
		pthread_mutex_destroy(&con->db_lock);
	}
	/* The copy of the config holds the intake token. */
	OPENSSL_cleanse(&con->cfg, sizeof(con->cfg));
	free(con);
}
