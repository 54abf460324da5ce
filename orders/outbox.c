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
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/clock.h"
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

static const char *const migrations[] = {
	outbox_v1,
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
 * Returns 1 found (id in *id), 0 not found, -1 error.
 */
static int
find_idem(struct outbox *ob, const char *centre, const char *idem,
    int64_t *id)
{
	static const char *const sql[] = {
		"SELECT id, centre FROM outbox WHERE idem = ?",
		"SELECT id, centre FROM acked WHERE idem = ?",
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

int
outbox_put(struct outbox *ob, enum order_channel channel, const char *centre,
    const char *idem, const uint8_t *blob, size_t len, int64_t *id,
    bool *duplicate)
{
	sqlite3_stmt *s = NULL;
	const char *chname = order_channel_name(channel);
	int64_t newid = 0;
	int ret = -1, found;

	ob->err[0] = '\0';
	if (duplicate != NULL)
		*duplicate = false;
	if ((unsigned)channel > ORDER_CHANNEL_SMS)
		return fail(ob, "unknown channel");
	if (!centre_ok(centre))
		return fail(ob, "centre code must be 1 to %d letters, digits, "
		    "'-' or '_'", OUTBOX_CENTRE_MAX);
	if (!idem_ok(idem))
		return fail(ob, "idempotency key must be 1 to %d printable "
		    "ASCII characters without spaces", OUTBOX_IDEM_MAX);
	if (blob == NULL || len == 0 || len > OUTBOX_BLOB_MAX)
		return fail(ob, "sealed order must be 1 to %d bytes",
		    OUTBOX_BLOB_MAX);

	if (db_begin(ob->db, ob->err, sizeof(ob->err)) != 0)
		return -1;
	found = find_idem(ob, centre, idem, &newid);
	if (found < 0)
		goto out;
	if (found) {
		/* Nothing written: the rollback below ends the transaction. */
		if (duplicate != NULL)
			*duplicate = true;
		if (id != NULL)
			*id = newid;
		ret = 0;
		goto out;
	}
	if (db_prepare(ob->db, "INSERT INTO outbox (received_at, channel, "
	    "centre, idem, sealed) VALUES (?, ?, ?, ?, ?)", &s, ob->err,
	    sizeof(ob->err)) != 0)
		goto out;
	if (db_bind_int64(s, 1, (int64_t)clock_now()) != SQLITE_OK ||
	    db_bind_text(s, 2, chname) != SQLITE_OK ||
	    db_bind_text(s, 3, centre) != SQLITE_OK ||
	    db_bind_text(s, 4, idem) != SQLITE_OK ||
	    db_bind_blob(s, 5, blob, len) != SQLITE_OK) {
		sqlfail(ob, "cannot store the order");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlfail(ob, "cannot store the order");
		goto out;
	}
	newid = sqlite3_last_insert_rowid(ob->db);
	if (db_commit(ob->db, ob->err, sizeof(ob->err)) != 0)
		goto out;
	if (id != NULL)
		*id = newid;
	ret = 0;
out:
	sqlite3_finalize(s);
	/* Also ends the read-only transaction of a duplicate. */
	db_rollback(ob->db);
	return ret;
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
		"INSERT OR IGNORE INTO acked (idem, centre, id, acked_at) "
		"SELECT idem, centre, id, ?3 FROM outbox "
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
