/*
 * The console's status push (see push.h): the wire format both sides
 * speak, checked field by field with jansson (duplicate keys refused,
 * exact key sets, bounded sizes: the intake node reads what anyone who
 * stole the console's token could send, the console reads what a taken
 * over intake node could answer), the reading of changed orders from
 * centre.db by (updated_at, token), and the round itself.  The transport
 * is the caller's (orders/pull.c lends its libcurl connection), so this
 * file holds no socket, no TLS setting and no token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "crypto/token.h"
#include "orders/db.h"
#include "orders/push.h"
#include "orders/store.h"

#define PUSH_STATUS_NAME_MAX 16
#define PUSH_WHY_MAX 160		/* an answer's fault, then prefixed */

enum outbox_track
push_track_of(enum order_status st)
{
	switch (st) {
	case ORDER_PACKED:
		return OUTBOX_TRACK_PACKED;
	case ORDER_SHIPPED:
		return OUTBOX_TRACK_SHIPPED;
	case ORDER_DELIVERED:
		return OUTBOX_TRACK_DELIVERED;
	case ORDER_RETURNED:
		return OUTBOX_TRACK_RETURNED;
	case ORDER_CANCELLED:
		return OUTBOX_TRACK_CANCELLED;
	case ORDER_RECEIVED:
	case ORDER_ACCEPTED:
		break;
	}
	/* Accepted means nothing more than received to the person waiting. */
	return OUTBOX_TRACK_RECEIVED;
}

/* A canonical tracking token: what token_parse() gives back unchanged. */
static bool
canonical(const char *s)
{
	char canon[TOKEN_BUF(TOKEN_TRACK_DIGITS)];

	if (s == NULL || strnlen(s, OUTBOX_TOKEN_LEN + 1) != OUTBOX_TOKEN_LEN)
		return false;
	return token_parse(s, TOKEN_TRACK_DIGITS, canon, sizeof(canon)) ==
	    TOKEN_OK && strcmp(canon, s) == 0;
}

/* (a_at, a_tok) > (b_at, b_tok): updated_at first, then token bytes. */
static bool
after(int64_t a_at, const char *a_tok, int64_t b_at, const char *b_tok)
{
	return a_at > b_at || (a_at == b_at && strcmp(a_tok, b_tok) > 0);
}

/* ---- the wire format ---- */

int
push_encode(const struct outbox_status *sts, size_t n, char **body,
    size_t *len)
{
	json_t *root = NULL, *arr = NULL;
	int ret = -1;

	*body = NULL;
	*len = 0;
	if (n > PUSH_BATCH_MAX || (sts == NULL && n > 0))
		return -1;
	root = json_object();
	arr = json_array();
	if (root == NULL || arr == NULL ||
	    json_object_set(root, "statuses", arr) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		json_t *e;

		/* What push_decode() would refuse is never sent. */
		if (!canonical(sts[i].token) ||
		    (unsigned)sts[i].status >= OUTBOX_TRACK_COUNT ||
		    sts[i].updated_at < 0 || sts[i].updated_at > PUSH_AT_MAX)
			goto out;
		e = json_pack("{s:s,s:s,s:I}", "token", sts[i].token,
		    "status", outbox_track_name(sts[i].status), "updated_at",
		    (json_int_t)sts[i].updated_at);
		if (e == NULL || json_array_append_new(arr, e) != 0)
			goto out;
	}
	*body = json_dumps(root, JSON_COMPACT);
	if (*body == NULL)
		goto out;
	*len = strlen(*body);
	ret = 0;
out:
	json_decref(arr);
	json_decref(root);
	return ret;
}

/* A string member of at most @max bytes without NUL, else NULL. */
static const char *
str_member(const json_t *o, const char *key, size_t max)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

/* An integer member in [0, PUSH_AT_MAX] into *out.  0 or -1. */
static int
at_member(const json_t *o, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > PUSH_AT_MAX)
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

int
push_decode(const char *body, size_t len, struct outbox_status *out,
    size_t max, size_t *n, char *errbuf, size_t errsz)
{
	json_t *root = NULL, *arr;
	json_error_t jerr;
	size_t count;
	int ret = -1;

	*n = 0;
	if (body == NULL || len > PUSH_BODY_MAX) {
		errbuf_set(errbuf, errsz, "body: missing or over %d bytes",
		    PUSH_BODY_MAX);
		return -1;
	}
	if (max > PUSH_BATCH_MAX)
		max = PUSH_BATCH_MAX;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	arr = json_object_get(root, "statuses");
	if (!json_is_object(root) || json_object_size(root) != 1 ||
	    !json_is_array(arr)) {
		errbuf_set(errbuf, errsz, "body: expected "
		    "{\"statuses\":[...]}");
		goto out;
	}
	count = json_array_size(arr);
	if (count > max || (out == NULL && count > 0)) {
		errbuf_set(errbuf, errsz, "statuses: at most %zu a request",
		    max);
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		const json_t *e = json_array_get(arr, i);
		const char *tok, *status;
		struct outbox_status *o = &out[i];

		memset(o, 0, sizeof(*o));
		if (!json_is_object(e) || json_object_size(e) != 3) {
			errbuf_set(errbuf, errsz, "statuses[%zu]: expected "
			    "{\"token\",\"status\",\"updated_at\"}", i);
			goto out;
		}
		tok = str_member(e, "token", OUTBOX_TOKEN_LEN);
		if (!canonical(tok)) {
			errbuf_set(errbuf, errsz, "statuses[%zu].token: not a "
			    "canonical tracking code", i);
			goto out;
		}
		memcpy(o->token, tok, OUTBOX_TOKEN_LEN + 1);
		status = str_member(e, "status", PUSH_STATUS_NAME_MAX);
		if (outbox_track_parse(status, &o->status) != 0) {
			errbuf_set(errbuf, errsz, "statuses[%zu].status: one "
			    "of received, packed, shipped, delivered, "
			    "returned, cancelled", i);
			goto out;
		}
		if (at_member(e, "updated_at", &o->updated_at) != 0) {
			errbuf_set(errbuf, errsz, "statuses[%zu].updated_at: "
			    "a whole number from 0 to %lld", i,
			    (long long)PUSH_AT_MAX);
			goto out;
		}
	}
	*n = count;
	ret = 0;
out:
	if (ret != 0 && out != NULL)
		memset(out, 0, max * sizeof(*out));
	json_decref(root);
	return ret;
}

/* A mark as the wire carries it: {0, ""}, or a time and a token. */
static bool
mark_ok(const struct outbox_mark *m)
{
	if (m->at < 0 || m->at > PUSH_AT_MAX)
		return false;
	if (m->token[0] == '\0')
		return m->at == 0;
	return canonical(m->token);
}

int
push_answer_encode(int64_t applied, const struct outbox_mark *mark,
    char *out, size_t outsz)
{
	int n;

	if (mark == NULL || !mark_ok(mark))
		return -1;
	/* A canonical token is base32: nothing in it to escape. */
	if (applied >= 0)
		n = str_printf(out, outsz, "{\"applied\":%lld,\"high_at\":%lld,"
		    "\"high_token\":\"%s\"}", (long long)applied,
		    (long long)mark->at, mark->token);
	else
		n = str_printf(out, outsz, "{\"high_at\":%lld,"
		    "\"high_token\":\"%s\"}", (long long)mark->at,
		    mark->token);
	return n;
}

int
push_answer_decode(const char *body, size_t len, bool with_applied,
    struct push_answer *a, char *errbuf, size_t errsz)
{
	json_t *root = NULL;
	json_error_t jerr;
	const json_t *ap;
	const char *tok;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	a->applied = -1;
	if (body == NULL || len > PUSH_ANSWER_MAX) {
		errbuf_set(errbuf, errsz, "answer missing or over %d bytes",
		    PUSH_ANSWER_MAX);
		return -1;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root) ||
	    json_object_size(root) != (with_applied ? 3u : 2u)) {
		errbuf_set(errbuf, errsz, "malformed answer (not {%s\"high_at\""
		    ",\"high_token\"})", with_applied ? "\"applied\"," : "");
		goto out;
	}
	if (with_applied) {
		ap = json_object_get(root, "applied");
		if (!json_is_integer(ap) || json_integer_value(ap) < 0 ||
		    json_integer_value(ap) > PUSH_BATCH_MAX) {
			errbuf_set(errbuf, errsz, "malformed answer: applied "
			    "must be 0 to %d", PUSH_BATCH_MAX);
			goto out;
		}
		a->applied = (int64_t)json_integer_value(ap);
	}
	tok = str_member(root, "high_token", OUTBOX_TOKEN_LEN);
	if (at_member(root, "high_at", &a->mark.at) != 0 || tok == NULL) {
		errbuf_set(errbuf, errsz, "malformed answer: high_at and "
		    "high_token");
		goto out;
	}
	memcpy(a->mark.token, tok, strlen(tok) + 1);
	if (!mark_ok(&a->mark)) {
		errbuf_set(errbuf, errsz, "malformed answer: high_token is "
		    "not a tracking code");
		goto out;
	}
	ret = 0;
out:
	if (ret != 0) {
		memset(a, 0, sizeof(*a));
		a->applied = -1;
	}
	json_decref(root);
	return ret;
}

/* ---- what changed, from centre.db ---- */

int
push_collect(struct store *st, int64_t centre_id, enum push_way way,
    const struct outbox_mark *from, int64_t floor_at,
    struct outbox_status *out,
    size_t max, size_t *n, struct outbox_mark *last, char *errbuf,
    size_t errsz)
{
	/*
	 * Row values, so that an index on orders (centre_id, updated_at,
	 * token) serves both (without one, each is a scan of the table).
	 */
	static const char *const sql[] = {
		[PUSH_AFTER] = "SELECT token, status, updated_at FROM orders "
		    "WHERE centre_id = ?1 AND (updated_at, token) > (?2, ?3) "
		    "ORDER BY updated_at, token LIMIT ?4",
		[PUSH_UPTO] = "SELECT token, status, updated_at FROM orders "
		    "WHERE centre_id = ?1 AND updated_at >= ?5 AND "
		    "(updated_at, token) <= (?2, ?3) "
		    "ORDER BY updated_at DESC, token DESC LIMIT ?4",
	};
	struct outbox_mark at;
	sqlite3_stmt *s = NULL;
	sqlite3 *db;
	int ret = -1, rc;

	*n = 0;
	if (st == NULL || from == NULL || out == NULL || max == 0 ||
	    max > PUSH_BATCH_MAX || (way != PUSH_AFTER && way != PUSH_UPTO)) {
		errbuf_set(errbuf, errsz, "push: bad arguments");
		return -1;
	}
	at = *from;
	db = store_db(st);
	if (db_prepare(db, sql[way], &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, from->at) != SQLITE_OK ||
	    db_bind_text(s, 3, from->token) != SQLITE_OK ||
	    db_bind_int64(s, 4, (int64_t)max) != SQLITE_OK ||
	    (way == PUSH_UPTO && db_bind_int64(s, 5, floor_at) != SQLITE_OK)) {
		db_error(db, "cannot read changed orders", errbuf, errsz);
		goto out;
	}
	for (;;) {
		struct outbox_status *o = &out[*n];
		char status[PUSH_STATUS_NAME_MAX];
		enum order_status os;

		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			db_error(db, "cannot read changed orders", errbuf,
			    errsz);
			goto out;
		}
		memset(o, 0, sizeof(*o));
		if (db_column_text(s, 0, at.token, sizeof(at.token)) != 0)
			at.token[0] = '\0';
		at.at = sqlite3_column_int64(s, 2);
		if (!canonical(at.token) || at.at < 0 || at.at > PUSH_AT_MAX ||
		    db_column_text(s, 1, status, sizeof(status)) != 0 ||
		    order_status_parse(status, &os) != 0)
			continue;	/* cannot be shown; never stalls */
		memcpy(o->token, at.token, sizeof(o->token));
		o->status = push_track_of(os);
		o->updated_at = at.at;
		(*n)++;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	if (ret == 0 && last != NULL)
		*last = at;
	return ret;
}

/* ---- the round ---- */

static int
send_batch(const struct push_io *io, const struct outbox_status *sts,
    size_t n, struct push_stats *stats, char *errbuf, size_t errsz)
{
	struct push_answer a;
	const char *ans = NULL;
	char *body = NULL, why[PUSH_WHY_MAX];
	size_t blen = 0, alen = 0;
	int ret = -1;

	if (push_encode(sts, n, &body, &blen) != 0) {
		errbuf_set(errbuf, errsz, "cannot encode statuses");
		goto out;
	}
	if (io->request(io->arg, "/status", body, &ans, &alen, errbuf,
	    errsz) != 0)
		goto out;
	stats->requests++;
	if (push_answer_decode(ans, alen, true, &a, why, sizeof(why)) != 0) {
		errbuf_set(errbuf, errsz, "POST /status: %s", why);
		goto out;
	}
	if (a.applied > (int64_t)n) {
		errbuf_set(errbuf, errsz, "POST /status: more applied than "
		    "sent");
		goto out;
	}
	stats->sent += (int)n;
	stats->applied += (int)a.applied;
	ret = 0;
out:
	free(body);
	return ret;
}

/*
 * Send @n statuses unless the round is to stop.  Returns 0 sent (or
 * nothing to send), 1 stopping, -1 failed (@errbuf set).
 */
static int
flush(const struct push_io *io, const struct outbox_status *sts, size_t n,
    struct push_stats *stats, char *errbuf, size_t errsz)
{
	if (n == 0)
		return 0;
	if (io->stop != NULL && io->stop(io->arg) != 0)
		return 1;
	return send_batch(io, sts, n, stats, errbuf, errsz);
}

int
push_run(const struct push_io *io, struct store *st, int64_t centre_id,
    struct push_stats *stats, char *errbuf, size_t errsz)
{
	struct outbox_status *buf = NULL;
	struct outbox_mark start, last;
	struct push_answer high;
	const char *ans = NULL;
	char why[PUSH_WHY_MAX];
	size_t batch, n = 0, alen = 0;
	int64_t now;
	int ret = -1, rc;

	memset(stats, 0, sizeof(*stats));
	if (io == NULL || io->request == NULL || st == NULL) {
		errbuf_set(errbuf, errsz, "push: missing argument");
		return -1;
	}
	batch = io->batch > 0 && io->batch < PUSH_BATCH_MAX ? io->batch :
	    PUSH_BATCH_MAX;
	buf = calloc(batch, sizeof(*buf));
	if (buf == NULL) {
		errbuf_set(errbuf, errsz, "out of memory");
		return -1;
	}
	if (io->request(io->arg, "/status/high", NULL, &ans, &alen, errbuf,
	    errsz) != 0)
		goto out;
	stats->requests++;
	if (push_answer_decode(ans, alen, false, &high, why,
	    sizeof(why)) != 0) {
		errbuf_set(errbuf, errsz, "GET /status/high: %s", why);
		goto out;
	}

	now = (int64_t)clock_now();
	memset(&start, 0, sizeof(start));
	if (high.mark.at > now) {
		/*
		 * Our clock is behind what we pushed before (it was set
		 * back): start from a little before now, or nothing changed
		 * from now on would go out until the clock caught up.
		 */
		start.at = now > PUSH_OVERLAP ? now - PUSH_OVERLAP : 0;
	} else {
		start = high.mark;
		if (start.token[0] != '\0') {
			/* Again what changed around the mark: see push.h. */
			if (push_collect(st, centre_id, PUSH_UPTO, &start,
			    start.at - PUSH_OVERLAP, buf, batch, &n, NULL,
			    errbuf, errsz) != 0)
				goto out;
			rc = flush(io, buf, n, stats, errbuf, errsz);
			if (rc != 0)
				goto done;
		}
	}
	for (int i = 0; i < PUSH_BATCHES_MAX; i++) {
		if (push_collect(st, centre_id, PUSH_AFTER, &start, 0, buf,
		    batch, &n, &last, errbuf, errsz) != 0)
			goto out;
		if (!after(last.at, last.token, start.at, start.token))
			break;	/* nothing more */
		rc = flush(io, buf, n, stats, errbuf, errsz);
		if (rc != 0)
			goto done;
		start = last;
	}
	rc = 0;
done:
	/* Stopping between two requests is not a failure. */
	ret = rc < 0 ? -1 : 0;
out:
	free(buf);
	return ret;
}
