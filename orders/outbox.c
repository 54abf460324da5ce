/*
 * intake.db, the sealed outbox (see outbox.h).  Intake puts each order as
 * it arrives, sealed to the centre's public key with the AAD
 * "outbox/<centre>/<idem>"; the console lists a centre's rows after the
 * last id it saw and acknowledges them, and they are deleted
 * (secure_delete overwrites the freed pages).  Nothing personal is in
 * clear here: id, time, channel, centre code, idempotency key (a Kannel
 * message id or a form nonce) and the sealed blob.
 *
 * Two choices beyond the bare table: ids are AUTOINCREMENT, because the
 * console reads "id > after" and a plain rowid would hand the id of an
 * acknowledged (deleted) last row to the next order, which the console
 * would then skip; and the keys of acknowledged rows are remembered for
 * OUTBOX_ACKED_KEEP so that a channel retrying late (Kannel repeats a
 * request whose answer it lost) is still a duplicate, not a second order.
 *
 * The tracking rows (migration 3) are the public page's: token, status,
 * updated_at, and whether the console has pushed the row yet (a web
 * order's first "received" is intake's own, stamped with intake's clock,
 * and must give way to the console's first push whatever the two clocks
 * say).  The push mark is one row of its own, moved in the same
 * transaction as the statuses it covers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "crypto/token.h"
#include "orders/db.h"
#include "orders/outbox.h"

#define OUTBOX_CENTRE_MAX 63
#define OUTBOX_ACKED_KEEP (30 * 86400)

struct outbox {
	sqlite3 *db;
	char err[DB_ERRMSG_MAX];
};

static const char outbox_v1[] =
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" received_at INTEGER NOT NULL,"
	" channel TEXT NOT NULL CHECK (channel IN ('phone', 'web', 'sms')),"
	" centre TEXT NOT NULL CHECK (length(centre) BETWEEN 1 AND 63),"
	" idem TEXT UNIQUE NOT NULL CHECK (length(idem) BETWEEN 1 AND 128),"
	" sealed BLOB NOT NULL CHECK (length(sealed) BETWEEN 1 AND 65536));"
	"CREATE INDEX outbox_centre ON outbox (centre, id);"
	/* Keys of acknowledged rows, pruned after OUTBOX_ACKED_KEEP. */
	"CREATE TABLE acked ("
	" idem TEXT PRIMARY KEY,"
	" centre TEXT NOT NULL,"
	" id INTEGER NOT NULL,"
	" acked_at INTEGER NOT NULL);"
	"CREATE INDEX acked_at ON acked (acked_at);";

/*
 * v2: the web form shows the first order's reference and tracking link
 * again when the same form is submitted twice, so intake keeps them next
 * to the key (neither is personal data: a reference is a random label, a
 * tracking token shows a status and nothing else), also once acknowledged.
 */
static const char outbox_v2[] =
	"ALTER TABLE outbox ADD COLUMN ref TEXT"
	" CHECK (ref IS NULL OR length(ref) BETWEEN 1 AND 40);"
	"ALTER TABLE outbox ADD COLUMN token TEXT"
	" CHECK (token IS NULL OR length(token) BETWEEN 1 AND 40);"
	"ALTER TABLE acked ADD COLUMN ref TEXT;"
	"ALTER TABLE acked ADD COLUMN token TEXT;";

/*
 * v3: the public tracking page's statuses and the console's push mark.
 * Nothing personal: a random token, a status, a time.
 */
static const char outbox_v3[] =
	"CREATE TABLE tracking ("
	" token TEXT PRIMARY KEY CHECK (length(token) = 17),"
	" status TEXT NOT NULL CHECK (status IN ('received', 'packed',"
	"  'shipped', 'delivered', 'returned', 'cancelled')),"
	" updated_at INTEGER NOT NULL CHECK (updated_at >= 0),"
	" pushed INTEGER NOT NULL DEFAULT 0 CHECK (pushed IN (0, 1)))"
	" WITHOUT ROWID;"
	"CREATE INDEX tracking_updated ON tracking (updated_at);"
	"CREATE TABLE tracking_mark ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" at INTEGER NOT NULL CHECK (at >= 0),"
	" token TEXT NOT NULL CHECK (length(token) = 17));";

static const char *const migrations[] = {
	outbox_v1,
	outbox_v2,
	outbox_v3,
};

static const struct db_schema outbox_schema = {
	"intake.db", migrations, ARRAY_LEN(migrations),
};

static int
fail(struct outbox *ob, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct outbox *ob, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ob->err, sizeof(ob->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int
sqlfail(struct outbox *ob, const char *what)
{
	return db_error(ob->db, what, ob->err, sizeof(ob->err));
}

/* A centre code: letters, digits, '-', '_'; never '/', so the AAD parses. */
static bool
centre_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= OUTBOX_CENTRE_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return n > 0;
}

/* Printable ASCII without space, 1 to OUTBOX_IDEM_MAX characters. */
static bool
idem_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++)
		if (n >= OUTBOX_IDEM_MAX || s[n] < 0x21 || s[n] > 0x7e)
			return false;
	return n > 0;
}

struct outbox *
outbox_open(const char *path, char *errbuf, size_t errsz)
{
	struct outbox *ob = calloc(1, sizeof(*ob));

	if (ob == NULL) {
		if (errbuf != NULL && errsz > 0 &&
		    str_copy(errbuf, errsz, "out of memory") != 0)
			errbuf[0] = '\0';	/* str_copy() did already */
		return NULL;
	}
	ob->db = db_open(path, &outbox_schema, errbuf, errsz);
	if (ob->db == NULL) {
		free(ob);
		return NULL;
	}
	return ob;
}

void
outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	db_close(ob->db);
	free(ob);
}

const char *
outbox_errmsg(const struct outbox *ob)
{
	if (ob == NULL)
		return "no outbox";
	return ob->err[0] != '\0' ? ob->err : "no error";
}

int
outbox_aad(const char *centre, const char *idem, char *out, size_t outsz)
{
	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (!centre_ok(centre) || !idem_ok(idem))
		return -1;
	if (str_printf(out, outsz, "outbox/%s/%s", centre, idem) < 0)
		return -1;
	return 0;
}

/*
 * Look for @idem among waiting rows, then among acknowledged ones.
 * Returns 1 found (id in *id, the row's ref and token in @ref and @token,
 * "" when it has none), 0 not found, -1 error.
 */
static int
find_idem(struct outbox *ob, const char *centre, const char *idem,
    int64_t *id, char *ref, char *token)
{
	static const char *const sql[] = {
		"SELECT id, centre, ref, token FROM outbox WHERE idem = ?",
		"SELECT id, centre, ref, token FROM acked WHERE idem = ?",
	};
	sqlite3_stmt *s = NULL;
	char other[OUTBOX_CENTRE_MAX + 1];
	int ret = -1, rc;

	for (size_t i = 0; i < ARRAY_LEN(sql); i++) {
		if (db_prepare(ob->db, sql[i], &s, ob->err,
		    sizeof(ob->err)) != 0)
			goto out;
		if (db_bind_text(s, 1, idem) != SQLITE_OK) {
			sqlfail(ob, "cannot look up the key");
			goto out;
		}
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			if (db_column_text(s, 1, other, sizeof(other)) != 0 ||
			    strcmp(other, centre) != 0) {
				/* A key is one order, for one centre. */
				fail(ob, "idempotency key already used for "
				    "another centre");
				goto out;
			}
			*id = sqlite3_column_int64(s, 0);
			if (db_column_text(s, 2, ref, OUTBOX_REF_MAX) != 0 ||
			    db_column_text(s, 3, token, OUTBOX_REF_MAX) != 0) {
				fail(ob, "outbox row %lld is malformed",
				    (long long)*id);
				goto out;
			}
			ret = 1;
			goto out;
		}
		if (rc != SQLITE_DONE) {
			sqlfail(ob, "cannot look up the key");
			goto out;
		}
		sqlite3_finalize(s);
		s = NULL;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* A reference or token kept in clear: printable ASCII, no space. */
static bool
label_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return true;
	for (; s[n] != '\0'; n++)
		if (n >= OUTBOX_REF_MAX - 1 || s[n] < 0x21 || s[n] > 0x7e)
			return false;
	return true;
}

/* Check one item; 0, or -1 with item->err set. */
static int
check_item(struct outbox_item *it)
{
	const char *why = NULL;

	if ((unsigned)it->channel > ORDER_CHANNEL_SMS)
		why = "unknown channel";
	else if (!centre_ok(it->centre))
		why = "centre code must be 1 to 63 letters, digits, '-' or '_'";
	else if (!idem_ok(it->idem))
		why = "idempotency key must be 1 to 128 printable ASCII "
		    "characters without spaces";
	else if (!label_ok(it->ref) || !label_ok(it->token))
		why = "reference and token must be printable ASCII";
	else if (it->blob == NULL || it->len == 0 ||
	    it->len > OUTBOX_BLOB_MAX)
		why = "sealed order must be 1 to 65536 bytes";
	if (why == NULL)
		return 0;
	errbuf_set(it->err, sizeof(it->err), "%s", why);
	return -1;
}

static int
bind_label(sqlite3_stmt *s, int i, const char *v)
{
	return db_bind_text(s, i, v != NULL && v[0] != '\0' ? v : NULL);
}

/*
 * The web order's first tracking row, through the prepared @tr, when
 * @token is a tracking token.  Returns 0, or -1 (ob->err set).
 */
static int
track_received(struct outbox *ob, sqlite3_stmt *tr, const char *token,
    int64_t now)
{
	char canon[TOKEN_BUF(TOKEN_TRACK_DIGITS)];

	if (token == NULL || token_parse(token, TOKEN_TRACK_DIGITS, canon,
	    sizeof(canon)) != TOKEN_OK)
		return 0;	/* no tracking token: no tracking row */
	if (sqlite3_reset(tr) != SQLITE_OK ||
	    db_bind_text(tr, 1, canon) != SQLITE_OK ||
	    db_bind_int64(tr, 2, now) != SQLITE_OK ||
	    sqlite3_step(tr) != SQLITE_DONE)
		return sqlfail(ob, "cannot store the tracking status");
	return 0;
}

int
outbox_put_many(struct outbox *ob, struct outbox_item *items, size_t n)
{
	sqlite3_stmt *s = NULL, *tr = NULL;
	int64_t now = (int64_t)clock_now();
	int ret = -1, found;

	ob->err[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct outbox_item *it = &items[i];

		it->rc = -1;
		it->id = 0;
		it->duplicate = false;
		it->first_ref[0] = '\0';
		it->first_token[0] = '\0';
		it->err[0] = '\0';
	}
	if (n == 0)
		return 0;
	if (db_begin(ob->db, ob->err, sizeof(ob->err)) != 0)
		goto fail;
	if (db_prepare(ob->db, "INSERT INTO outbox (received_at, channel, "
	    "centre, idem, sealed, ref, token) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    &s, ob->err, sizeof(ob->err)) != 0)
		goto fail;
	/* OR IGNORE: a row the console pushed already stays as it is. */
	if (db_prepare(ob->db, "INSERT OR IGNORE INTO tracking (token, "
	    "status, updated_at, pushed) VALUES (?, 'received', ?, 0)", &tr,
	    ob->err, sizeof(ob->err)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct outbox_item *it = &items[i];

		if (check_item(it) != 0)
			continue;
		/* Also finds a key put earlier in this same batch. */
		found = find_idem(ob, it->centre, it->idem, &it->id,
		    it->first_ref, it->first_token);
		if (found < 0) {
			if (strstr(ob->err, "another centre") != NULL) {
				/* This item's fault, not the batch's. */
				errbuf_set(it->err, sizeof(it->err), "%s",
				    ob->err);
				ob->err[0] = '\0';
				continue;
			}
			goto fail;
		}
		if (found) {
			it->duplicate = true;
			it->rc = 0;
			continue;
		}
		if (sqlite3_reset(s) != SQLITE_OK ||
		    db_bind_int64(s, 1, now) != SQLITE_OK ||
		    db_bind_text(s, 2, order_channel_name(it->channel)) !=
		    SQLITE_OK ||
		    db_bind_text(s, 3, it->centre) != SQLITE_OK ||
		    db_bind_text(s, 4, it->idem) != SQLITE_OK ||
		    db_bind_blob(s, 5, it->blob, it->len) != SQLITE_OK ||
		    bind_label(s, 6, it->ref) != SQLITE_OK ||
		    bind_label(s, 7, it->token) != SQLITE_OK) {
			sqlfail(ob, "cannot store the order");
			goto fail;
		}
		if (sqlite3_step(s) != SQLITE_DONE) {
			sqlfail(ob, "cannot store the order");
			goto fail;
		}
		it->id = sqlite3_last_insert_rowid(ob->db);
		if (track_received(ob, tr, it->token, now) != 0)
			goto fail;
		it->rc = 0;
	}
	if (db_commit(ob->db, ob->err, sizeof(ob->err)) != 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	/* Nothing of the batch was stored. */
	for (size_t i = 0; i < n; i++) {
		items[i].rc = -1;
		items[i].duplicate = false;
		errbuf_set(items[i].err, sizeof(items[i].err), "%s",
		    ob->err);
	}
out:
	sqlite3_finalize(s);
	sqlite3_finalize(tr);
	db_rollback(ob->db);
	return ret;
}

int
outbox_put(struct outbox *ob, enum order_channel channel, const char *centre,
    const char *idem, const uint8_t *blob, size_t len, int64_t *id,
    bool *duplicate)
{
	struct outbox_item it;

	memset(&it, 0, sizeof(it));
	it.channel = channel;
	it.centre = centre;
	it.idem = idem;
	it.blob = blob;
	it.len = len;
	if (duplicate != NULL)
		*duplicate = false;
	if (outbox_put_many(ob, &it, 1) != 0)
		return -1;
	if (it.rc != 0) {
		errbuf_set(ob->err, sizeof(ob->err), "%s", it.err);
		return -1;
	}
	if (duplicate != NULL)
		*duplicate = it.duplicate;
	if (id != NULL)
		*id = it.id;
	return 0;
}

int
outbox_list(struct outbox *ob, const char *centre, int64_t after, int limit,
    int (*cb)(const struct outbox_row *row, void *arg), void *arg)
{
	sqlite3_stmt *s = NULL;
	int ret = -1, rc;

	ob->err[0] = '\0';
	if (!centre_ok(centre))
		return fail(ob, "centre code must be 1 to %d letters, digits, "
		    "'-' or '_'", OUTBOX_CENTRE_MAX);
	if (limit <= 0 || cb == NULL)
		return fail(ob, "list limit must be positive");
	if (db_prepare(ob->db, "SELECT id, received_at, channel, centre, idem, "
	    "sealed FROM outbox WHERE centre = ? AND id > ? ORDER BY id "
	    "LIMIT ?", &s, ob->err, sizeof(ob->err)) != 0)
		goto out;
	if (db_bind_text(s, 1, centre) != SQLITE_OK ||
	    db_bind_int64(s, 2, after) != SQLITE_OK ||
	    db_bind_int64(s, 3, limit) != SQLITE_OK) {
		sqlfail(ob, "cannot list the outbox");
		goto out;
	}
	for (;;) {
		struct outbox_row row;
		char channel[16];
		int n;

		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			sqlfail(ob, "cannot list the outbox");
			goto out;
		}
		memset(&row, 0, sizeof(row));
		row.id = sqlite3_column_int64(s, 0);
		row.received_at = (time_t)sqlite3_column_int64(s, 1);
		if (db_column_text(s, 2, channel, sizeof(channel)) != 0 ||
		    order_channel_parse(channel, &row.channel) != 0 ||
		    db_column_text(s, 3, row.centre, sizeof(row.centre)) != 0 ||
		    db_column_text(s, 4, row.idem, sizeof(row.idem)) != 0) {
			fail(ob, "outbox row %lld is malformed",
			    (long long)row.id);
			goto out;
		}
		row.blob = sqlite3_column_blob(s, 5);
		n = sqlite3_column_bytes(s, 5);
		if (row.blob == NULL || n <= 0 || n > OUTBOX_BLOB_MAX) {
			fail(ob, "outbox row %lld is malformed",
			    (long long)row.id);
			goto out;
		}
		row.bloblen = (size_t)n;
		if (cb(&row, arg) != 0)
			break;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

int
outbox_ack(struct outbox *ob, const char *centre, const int64_t *ids,
    size_t n)
{
	static const char *const sql[] = {
		"INSERT OR IGNORE INTO acked (idem, centre, id, acked_at, "
		"ref, token) SELECT idem, centre, id, ?3, ref, token FROM outbox "
		"WHERE id = ?1 AND centre = ?2",
		"DELETE FROM outbox WHERE id = ?1 AND centre = ?2",
	};
	sqlite3_stmt *s[2] = { NULL, NULL };
	sqlite3_stmt *prune = NULL;
	int64_t now = (int64_t)clock_now();
	int ret = -1;

	ob->err[0] = '\0';
	if (!centre_ok(centre))
		return fail(ob, "centre code must be 1 to %d letters, digits, "
		    "'-' or '_'", OUTBOX_CENTRE_MAX);
	if (ids == NULL && n > 0)
		return fail(ob, "no ids to acknowledge");
	if (db_begin(ob->db, ob->err, sizeof(ob->err)) != 0)
		return -1;
	for (size_t k = 0; k < 2; k++)
		if (db_prepare(ob->db, sql[k], &s[k], ob->err,
		    sizeof(ob->err)) != 0)
			goto out;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < 2; k++) {
			if (sqlite3_reset(s[k]) != SQLITE_OK ||
			    db_bind_int64(s[k], 1, ids[i]) != SQLITE_OK ||
			    db_bind_text(s[k], 2, centre) != SQLITE_OK ||
			    (k == 0 && db_bind_int64(s[k], 3, now) !=
			    SQLITE_OK)) {
				sqlfail(ob, "cannot acknowledge");
				goto out;
			}
			if (sqlite3_step(s[k]) != SQLITE_DONE) {
				sqlfail(ob, "cannot acknowledge");
				goto out;
			}
		}
	}
	if (db_prepare(ob->db, "DELETE FROM acked WHERE acked_at < ?", &prune,
	    ob->err, sizeof(ob->err)) != 0)
		goto out;
	if (db_bind_int64(prune, 1, now - OUTBOX_ACKED_KEEP) != SQLITE_OK ||
	    sqlite3_step(prune) != SQLITE_DONE) {
		sqlfail(ob, "cannot prune acknowledged keys");
		goto out;
	}
	if (db_commit(ob->db, ob->err, sizeof(ob->err)) != 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(s[0]);
	sqlite3_finalize(s[1]);
	sqlite3_finalize(prune);
	if (ret != 0)
		db_rollback(ob->db);
	return ret;
}

int
outbox_count(struct outbox *ob, const char *centre, int64_t *n)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	ob->err[0] = '\0';
	if (centre != NULL && !centre_ok(centre))
		return fail(ob, "centre code must be 1 to %d letters, digits, "
		    "'-' or '_'", OUTBOX_CENTRE_MAX);
	if (db_prepare(ob->db, "SELECT count(*) FROM outbox WHERE "
	    "?1 IS NULL OR centre = ?1", &s, ob->err, sizeof(ob->err)) != 0)
		goto out;
	if (db_bind_text(s, 1, centre) != SQLITE_OK) {
		sqlfail(ob, "cannot count the outbox");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlfail(ob, "cannot count the outbox");
		goto out;
	}
	*n = sqlite3_column_int64(s, 0);
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

/* ---- tracking ---------------------------------------------------- */

static const char *const track_names[OUTBOX_TRACK_COUNT] = {
	"received", "packed", "shipped", "delivered", "returned", "cancelled",
};

const char *
outbox_track_name(enum outbox_track t)
{
	if ((unsigned)t >= OUTBOX_TRACK_COUNT)
		return "unknown";
	return track_names[t];
}

int
outbox_track_parse(const char *name, enum outbox_track *out)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < OUTBOX_TRACK_COUNT; i++) {
		if (strcmp(name, track_names[i]) == 0) {
			*out = (enum outbox_track)i;
			return 0;
		}
	}
	return -1;
}

/*
 * The lifecycle rank of a status: an order only ever moves up (received,
 * packed, shipped, then one of the final three, which share the top and
 * are never left).  Ranks, not clocks, decide between two pushes: a
 * console whose clock was set back still moves the page forward, and a
 * stale push (two consoles pushing at once) never moves it back.
 * RANK_SQL is the same for the stored row.
 */
#define RANK_SQL "CASE tracking.status WHEN 'received' THEN 0 " \
	"WHEN 'packed' THEN 1 WHEN 'shipped' THEN 2 ELSE 3 END"

static int
track_rank(enum outbox_track t)
{
	return t <= OUTBOX_TRACK_SHIPPED ? (int)t : (int)OUTBOX_TRACK_DELIVERED;
}

/* A canonical tracking token: what token_parse() gives back unchanged. */
static bool
token_canonical(const char *s)
{
	char canon[TOKEN_BUF(TOKEN_TRACK_DIGITS)];

	if (s == NULL || strnlen(s, OUTBOX_TOKEN_LEN + 1) != OUTBOX_TOKEN_LEN)
		return false;
	return token_parse(s, TOKEN_TRACK_DIGITS, canon, sizeof(canon)) ==
	    TOKEN_OK && strcmp(canon, s) == 0;
}

/* (a_at, a_tok) > (b_at, b_tok): updated_at first, then token bytes. */
static bool
mark_after(int64_t a_at, const char *a_tok, int64_t b_at, const char *b_tok)
{
	return a_at > b_at || (a_at == b_at && strcmp(a_tok, b_tok) > 0);
}

static int
read_mark(struct outbox *ob, struct outbox_mark *mark)
{
	sqlite3_stmt *s = NULL;
	int ret = -1, rc;

	memset(mark, 0, sizeof(*mark));
	if (db_prepare(ob->db, "SELECT at, token FROM tracking_mark WHERE "
	    "id = 1", &s, ob->err, sizeof(ob->err)) != 0)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		mark->at = sqlite3_column_int64(s, 0);
		if (db_column_text(s, 1, mark->token, sizeof(mark->token)) !=
		    0 || !token_canonical(mark->token) || mark->at < 0) {
			fail(ob, "the push mark is malformed");
			memset(mark, 0, sizeof(*mark));
			goto out;
		}
	} else if (rc != SQLITE_DONE) {
		sqlfail(ob, "cannot read the push mark");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(s);
	return ret;
}

int
outbox_track_mark(struct outbox *ob, struct outbox_mark *mark)
{
	if (ob == NULL || mark == NULL)
		return -1;
	ob->err[0] = '\0';
	return read_mark(ob, mark);
}

int
outbox_track_apply(struct outbox *ob, const struct outbox_status *sts,
    size_t n, size_t *applied, struct outbox_mark *mark)
{
	/*
	 * ?4 is the pushed status's rank; the CASE is track_rank() of the
	 * stored one.  A DO UPDATE whose WHERE is false changes no row, so
	 * sqlite3_changes() tells an applied push from an ignored one.
	 */
	static const char upsert[] =
	    "INSERT INTO tracking (token, status, updated_at, pushed) "
	    "VALUES (?1, ?2, ?3, 1) ON CONFLICT (token) DO UPDATE SET "
	    "status = excluded.status, updated_at = excluded.updated_at, "
	    "pushed = 1 WHERE tracking.pushed = 0 "
	    "OR ?4 > " RANK_SQL " "
	    "OR (?4 = " RANK_SQL " AND excluded.status <> tracking.status "
	    "AND excluded.updated_at >= tracking.updated_at)";
	static const char set_mark[] =
	    "INSERT INTO tracking_mark (id, at, token) VALUES (1, ?1, ?2) "
	    "ON CONFLICT (id) DO UPDATE SET at = excluded.at, "
	    "token = excluded.token WHERE excluded.at > tracking_mark.at "
	    "OR (excluded.at = tracking_mark.at "
	    "AND excluded.token > tracking_mark.token)";
	sqlite3_stmt *s = NULL, *m = NULL, *prune = NULL;
	const struct outbox_status *hi = NULL;
	int64_t now = (int64_t)clock_now();
	size_t count = 0;
	int ret = -1;

	if (applied != NULL)
		*applied = 0;
	if (ob == NULL)
		return -1;
	ob->err[0] = '\0';
	if (n > OUTBOX_TRACK_BATCH_MAX || (sts == NULL && n > 0))
		return fail(ob, "at most %d statuses a batch",
		    OUTBOX_TRACK_BATCH_MAX);
	/* Checked whole before anything is written: all or nothing. */
	for (size_t i = 0; i < n; i++) {
		if (!token_canonical(sts[i].token))
			return fail(ob, "status %zu: token is not a canonical "
			    "tracking token", i);
		if ((unsigned)sts[i].status >= OUTBOX_TRACK_COUNT)
			return fail(ob, "status %zu: unknown status", i);
		if (sts[i].updated_at < 0)
			return fail(ob, "status %zu: updated_at is negative",
			    i);
		if (hi == NULL || mark_after(sts[i].updated_at, sts[i].token,
		    hi->updated_at, hi->token))
			hi = &sts[i];
	}
	if (db_begin(ob->db, ob->err, sizeof(ob->err)) != 0)
		return -1;
	if (db_prepare(ob->db, upsert, &s, ob->err, sizeof(ob->err)) != 0 ||
	    db_prepare(ob->db, set_mark, &m, ob->err, sizeof(ob->err)) != 0 ||
	    db_prepare(ob->db, "DELETE FROM tracking WHERE updated_at < ?",
	    &prune, ob->err, sizeof(ob->err)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (sqlite3_reset(s) != SQLITE_OK ||
		    db_bind_text(s, 1, sts[i].token) != SQLITE_OK ||
		    db_bind_text(s, 2, outbox_track_name(sts[i].status)) !=
		    SQLITE_OK ||
		    db_bind_int64(s, 3, sts[i].updated_at) != SQLITE_OK ||
		    db_bind_int64(s, 4, track_rank(sts[i].status)) !=
		    SQLITE_OK || sqlite3_step(s) != SQLITE_DONE) {
			sqlfail(ob, "cannot store a tracking status");
			goto out;
		}
		count += (size_t)sqlite3_changes(ob->db);
	}
	if (hi != NULL && (db_bind_int64(m, 1, hi->updated_at) != SQLITE_OK ||
	    db_bind_text(m, 2, hi->token) != SQLITE_OK ||
	    sqlite3_step(m) != SQLITE_DONE)) {
		sqlfail(ob, "cannot move the push mark");
		goto out;
	}
	if (db_bind_int64(prune, 1, now - OUTBOX_TRACK_KEEP) != SQLITE_OK ||
	    sqlite3_step(prune) != SQLITE_DONE) {
		sqlfail(ob, "cannot prune tracking statuses");
		goto out;
	}
	if (mark != NULL && read_mark(ob, mark) != 0)
		goto out;
	if (db_commit(ob->db, ob->err, sizeof(ob->err)) != 0)
		goto out;
	if (applied != NULL)
		*applied = count;
	ret = 0;
out:
	sqlite3_finalize(s);
	sqlite3_finalize(m);
	sqlite3_finalize(prune);
	if (ret != 0) {
		db_rollback(ob->db);
		if (mark != NULL)
			memset(mark, 0, sizeof(*mark));
	}
	return ret;
}

int
outbox_track_get(struct outbox *ob, const char *token,
    struct outbox_status *out)
{
	sqlite3_stmt *s = NULL;
	char status[16];
	int ret = -1, rc;

	if (ob == NULL || out == NULL)
		return -1;
	ob->err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (!token_canonical(token))
		return 0;
	if (db_prepare(ob->db, "SELECT status, updated_at FROM tracking "
	    "WHERE token = ?", &s, ob->err, sizeof(ob->err)) != 0)
		return -1;
	if (db_bind_text(s, 1, token) != SQLITE_OK) {
		sqlfail(ob, "cannot look up a tracking status");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		sqlfail(ob, "cannot look up a tracking status");
		goto out;
	}
	if (db_column_text(s, 0, status, sizeof(status)) != 0 ||
	    outbox_track_parse(status, &out->status) != 0) {
		fail(ob, "a tracking row is malformed");
		goto out;
	}
	memcpy(out->token, token, OUTBOX_TOKEN_LEN + 1);
	out->updated_at = sqlite3_column_int64(s, 1);
	ret = 1;
out:
	sqlite3_finalize(s);
	return ret;
}
