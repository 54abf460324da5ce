/*
 * The audit hash chain (see audit.h for the format and its limits).
 * Appending reads the newest entry's hash and the AUTOINCREMENT counter
 * inside the caller's write transaction, so two writers cannot both chain
 * onto the same entry; verifying recomputes every hash in id order inside
 * one read snapshot and checks the counter for a cut tail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "orders/audit.h"
#include "orders/db.h"

#define AUDIT_TAG "hrpost audit v1"



static void
put_u64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static int
hash_field(EVP_MD_CTX *ctx, const void *p, size_t n)
{
	uint8_t len[4];

	if (n > UINT32_MAX)
		return -1;
	len[0] = (uint8_t)(n >> 24);
	len[1] = (uint8_t)(n >> 16);
	len[2] = (uint8_t)(n >> 8);
	len[3] = (uint8_t)n;
	if (EVP_DigestUpdate(ctx, len, sizeof(len)) != 1)
		return -1;
	if (n > 0 && EVP_DigestUpdate(ctx, p, n) != 1)
		return -1;
	return 0;
}

/* Text fields as raw bytes with their length: no NUL is assumed. */
struct bytes {
	const void *p;
	size_t n;
};

static int
entry_hash(const uint8_t prev[AUDIT_HASH_LEN], int64_t id, int64_t at,
    const struct bytes f[4], uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t num[8];
	unsigned int outlen = 0;
	int ret = -1;

	if (ctx == NULL)
		goto out;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, prev, AUDIT_HASH_LEN) != 1 ||
	    hash_field(ctx, AUDIT_TAG, strlen(AUDIT_TAG)) != 0)
		goto out;
	put_u64(num, (uint64_t)id);
	if (EVP_DigestUpdate(ctx, num, sizeof(num)) != 1)
		goto out;
	put_u64(num, (uint64_t)at);
	if (EVP_DigestUpdate(ctx, num, sizeof(num)) != 1)
		goto out;
	for (size_t i = 0; i < 4; i++)
		if (hash_field(ctx, f[i].p, f[i].n) != 0)
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, &outlen) != 1 ||
	    outlen != AUDIT_HASH_LEN)
		goto out;
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

static int
field_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && utf8_valid(s, n) &&
	    !utf8_has_control(s);
}

/* The AUTOINCREMENT counter of the audit table (0 before any insert). */
static int
sequence(sqlite3 *db, int64_t *seq, char *errbuf, size_t errsz)
{
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	if (db_prepare(db, "SELECT seq FROM sqlite_sequence "
	    "WHERE name = 'audit'", &st, errbuf, errsz) != 0)
		goto out;
	rc = db_step(st, "cannot read the audit sequence", errbuf, errsz);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*seq = 0;
	else
		goto out;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int
audit_head(sqlite3 *db, int64_t *id, uint8_t hash[AUDIT_HASH_LEN],
    char *errbuf, size_t errsz)
{
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	*id = 0;
	memset(hash, 0, AUDIT_HASH_LEN);
	if (db_prepare(db, "SELECT id, hash FROM audit ORDER BY id DESC "
	    "LIMIT 1", &st, errbuf, errsz) != 0)
		goto out;
	rc = db_step(st, "cannot read the audit chain", errbuf, errsz);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) != SQLITE_BLOB ||
		    sqlite3_column_bytes(st, 1) != AUDIT_HASH_LEN) {
			errbuf_set(errbuf, errsz, "audit entry %lld has a "
			    "malformed hash",
			    (long long)sqlite3_column_int64(st, 0));
			goto out;
		}
		*id = sqlite3_column_int64(st, 0);
		memcpy(hash, sqlite3_column_blob(st, 1), AUDIT_HASH_LEN);
	} else if (rc != SQLITE_DONE) {
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int
audit_append(sqlite3 *db, const char *actor, const char *action,
    const char *object, const char *detail, int64_t *id, char *errbuf,
    size_t errsz)
{
	sqlite3_stmt *st = NULL;
	uint8_t prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
	struct bytes f[4];
	int64_t last, seq, newid, at;
	int ret = -1;

	if (object == NULL)
		object = "";
	if (detail == NULL)
		detail = "";
	if (actor == NULL || action == NULL ||
	    !field_ok(actor, 1, AUDIT_ACTOR_MAX) ||
	    !field_ok(action, 1, AUDIT_ACTION_MAX) ||
	    !field_ok(object, 0, AUDIT_OBJECT_MAX) ||
	    !field_ok(detail, 0, AUDIT_DETAIL_MAX)) {
		errbuf_set(errbuf, errsz, "audit entry: actor, action, object or "
		    "detail is empty, too long or not plain text");
		goto out;
	}
	if (sqlite3_get_autocommit(db)) {
		errbuf_set(errbuf, errsz, "audit entry outside a transaction");
		goto out;
	}
	if (audit_head(db, &last, prev, errbuf, errsz) != 0 ||
	    sequence(db, &seq, errbuf, errsz) != 0)
		goto out;
	/*
	 * Take the id AUTOINCREMENT would give, explicitly, because the hash
	 * covers it.  After a cut tail (seq > last) the new entry keeps the
	 * gap visible instead of papering over it.
	 */
	newid = (seq > last ? seq : last);
	if (newid == INT64_MAX) {
		errbuf_set(errbuf, errsz, "audit chain is full");
		goto out;
	}
	newid++;
	at = (int64_t)clock_now();
	f[0] = (struct bytes){ actor, strlen(actor) };
	f[1] = (struct bytes){ action, strlen(action) };
	f[2] = (struct bytes){ object, strlen(object) };
	f[3] = (struct bytes){ detail, strlen(detail) };
	if (entry_hash(prev, newid, at, f, hash) != 0) {
		errbuf_set(errbuf, errsz, "audit entry: cannot hash");
		goto out;
	}
	if (db_prepare(db, "INSERT INTO audit (id, at, actor, action, object, "
	    "detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st,
	    errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(st, 1, newid) != SQLITE_OK ||
	    db_bind_int64(st, 2, at) != SQLITE_OK ||
	    db_bind_text(st, 3, actor) != SQLITE_OK ||
	    db_bind_text(st, 4, action) != SQLITE_OK ||
	    db_bind_text(st, 5, object) != SQLITE_OK ||
	    db_bind_text(st, 6, detail) != SQLITE_OK ||
	    db_bind_blob(st, 7, prev, sizeof(prev)) != SQLITE_OK ||
	    db_bind_blob(st, 8, hash, sizeof(hash)) != SQLITE_OK) {
		db_error(db, "cannot bind the audit entry", errbuf, errsz);
		goto out;
	}
	if (db_step(st, "cannot append to the audit chain", errbuf, errsz) !=
	    SQLITE_DONE)
		goto out;
	if (id != NULL)
		*id = newid;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int
col_bytes(sqlite3_stmt *st, int i, struct bytes *b)
{
	/* column_text first, then column_bytes: the documented order. */
	const unsigned char *p = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (n < 0 || (p == NULL && n != 0))
		return -1;
	b->p = p != NULL ? (const void *)p : (const void *)"";
	b->n = (size_t)n;
	return 0;
}

static int
report(struct audit_report *rep, int64_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
report(struct audit_report *rep, int64_t id, const char *fmt, ...)
{
	va_list ap;

	rep->bad_id = id;
	va_start(ap, fmt);
	vsnprintf(rep->why, sizeof(rep->why), fmt, ap);
	va_end(ap);
	return 0;
}

/* The walk itself; the caller holds the read snapshot. */
static int
walk(sqlite3 *db, struct audit_report *rep, char *errbuf, size_t errsz)
{
	sqlite3_stmt *st = NULL;
	uint8_t expect[AUDIT_HASH_LEN], calc[AUDIT_HASH_LEN];
	int64_t want = 1, seq;
	int ret = -1, rc;

	memset(expect, 0, sizeof(expect));
	if (db_prepare(db, "SELECT id, at, actor, action, object, detail, "
	    "prev_hash, hash FROM audit ORDER BY id", &st, errbuf, errsz) != 0)
		goto out;
	for (;;) {
		struct bytes f[4];
		int64_t id, at;

		rc = db_step(st, "cannot read the audit chain", errbuf, errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		id = sqlite3_column_int64(st, 0);
		at = sqlite3_column_int64(st, 1);
		if (id < want) {
			ret = report(rep, id, "entry %lld: id out of sequence "
			    "(expected %lld)", (long long)id, (long long)want);
			goto out;
		}
		if (id > want) {
			/* Entries were deleted (or renumbered) before id. */
			ret = report(rep, want, "entry %lld is missing: the "
			    "chain jumps from %lld to %lld", (long long)want,
			    (long long)(want - 1), (long long)id);
			goto out;
		}
		for (int i = 0; i < 4; i++) {
			if (col_bytes(st, 2 + i, &f[i]) != 0) {
				db_error(db, "cannot read the audit chain",
				    errbuf, errsz);
				goto out;
			}
		}
		if (sqlite3_column_type(st, 6) != SQLITE_BLOB ||
		    sqlite3_column_bytes(st, 6) != AUDIT_HASH_LEN ||
		    sqlite3_column_type(st, 7) != SQLITE_BLOB ||
		    sqlite3_column_bytes(st, 7) != AUDIT_HASH_LEN) {
			ret = report(rep, id, "entry %lld: malformed hash",
			    (long long)id);
			goto out;
		}
		if (memcmp(sqlite3_column_blob(st, 6), expect,
		    AUDIT_HASH_LEN) != 0) {
			ret = report(rep, id, "entry %lld does not follow "
			    "entry %lld: previous hash differs (entries "
			    "reordered, replaced or removed)", (long long)id,
			    (long long)(id - 1));
			goto out;
		}
		if (entry_hash(expect, id, at, f, calc) != 0) {
			errbuf_set(errbuf, errsz, "audit: cannot hash");
			goto out;
		}
		if (memcmp(sqlite3_column_blob(st, 7), calc,
		    AUDIT_HASH_LEN) != 0) {
			ret = report(rep, id, "entry %lld was altered: its "
			    "hash does not match its content", (long long)id);
			goto out;
		}
		memcpy(expect, calc, sizeof(expect));
		rep->checked++;
		want = id + 1;
	}
	/* AUTOINCREMENT never reuses ids: a counter past the end is a cut. */
	if (sequence(db, &seq, errbuf, errsz) != 0)
		goto out;
	if (seq > want - 1) {
		ret = report(rep, want, "entry %lld is missing: the chain ends "
		    "at %lld but %lld entries were written", (long long)want,
		    (long long)(want - 1), (long long)seq);
		goto out;
	}
	if (seq < want - 1) {
		ret = report(rep, seq + 1, "the audit counter was set back to "
		    "%lld below the last entry %lld", (long long)seq,
		    (long long)(want - 1));
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int
audit_verify(sqlite3 *db, struct audit_report *rep, char *errbuf,
    size_t errsz)
{
	int own = 0, ret = -1;

	memset(rep, 0, sizeof(*rep));
	/*
	 * One snapshot for the walk and the counter, or an append between
	 * the two would look like a cut tail.
	 */
	if (sqlite3_get_autocommit(db)) {
		if (db_exec(db, "BEGIN DEFERRED", errbuf, errsz) != SQLITE_OK)
			goto out;
		own = 1;
	}
	ret = walk(db, rep, errbuf, errsz);
out:
	if (own)
		db_rollback(db);
	return ret;
}
