/*
 * SQLite plumbing for centre.db and intake.db: one way to open a database
 * (flags, PRAGMAs, defensive mode, private file modes), migrations by
 * PRAGMA user_version, BEGIN IMMEDIATE transactions, and statement helpers
 * that keep the SQLite message for the caller.  See db.h for the contracts.
 *
 * Open flags, and why: READWRITE|CREATE because the daemons create their
 * database on first start; NOFOLLOW so a symbolic link planted where the
 * database should be is refused instead of followed; EXRESCODE so callers
 * can tell SQLITE_CONSTRAINT_UNIQUE from a CHECK failure; FULLMUTEX
 * (serialized) because the daemons run libmicrohttpd threads: the store's
 * own state (its error buffer, an open transaction) still wants one
 * connection per thread, but a mistake there must not become memory
 * corruption inside SQLite, and at a few orders an hour the mutex costs
 * nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "orders/db.h"



int
db_error(sqlite3 *db, const char *what, char *errbuf, size_t errsz)
{
	errbuf_set(errbuf, errsz, "%s: %s", what,
	    db != NULL ? sqlite3_errmsg(db) : "out of memory");
	return -1;
}

int
db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, char *errbuf,
    size_t errsz)
{
	int rc;

	*st = NULL;
	rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
	if (rc != SQLITE_OK || *st == NULL) {
		sqlite3_finalize(*st);
		*st = NULL;
		return db_error(db, "cannot prepare a statement", errbuf,
		    errsz);
	}
	return 0;
}

int
db_step(sqlite3_stmt *st, const char *what, char *errbuf, size_t errsz)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_error(sqlite3_db_handle(st), what, errbuf, errsz);
	return rc;
}

int
db_exec(sqlite3 *db, const char *sql, char *errbuf, size_t errsz)
{
	const char *tail = sql;
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_OK;

	while (tail != NULL && *tail != '\0') {
		const char *next = NULL;

		rc = sqlite3_prepare_v2(db, tail, -1, &st, &next);
		if (rc != SQLITE_OK) {
			db_error(db, "cannot prepare SQL", errbuf, errsz);
			goto out;
		}
		/* st is NULL for a tail of only spaces or comments. */
		if (st != NULL) {
			do {
				rc = sqlite3_step(st);
			} while (rc == SQLITE_ROW);
			if (rc != SQLITE_DONE) {
				db_error(db, "cannot run SQL", errbuf, errsz);
				goto out;
			}
			rc = sqlite3_finalize(st);
			st = NULL;
			if (rc != SQLITE_OK) {
				db_error(db, "cannot run SQL", errbuf, errsz);
				goto out;
			}
		}
		tail = next;
	}
	rc = SQLITE_OK;
out:
	sqlite3_finalize(st);
	return rc;
}

int
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

int
db_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	if (p == NULL)
		return sqlite3_bind_null(st, i);
	if (n > INT32_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT);
}

int
db_bind_int64(sqlite3_stmt *st, int i, int64_t v)
{
	return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

int
db_column_text(sqlite3_stmt *st, int i, char *out, size_t outsz)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	if (s == NULL)
		return 0;
	if (n < 0 || (size_t)n >= outsz)
		return -1;
	memcpy(out, s, (size_t)n);
	out[n] = '\0';
	return 0;
}

int
db_begin(sqlite3 *db, char *errbuf, size_t errsz)
{
	if (db_exec(db, "BEGIN IMMEDIATE", errbuf, errsz) != SQLITE_OK)
		return -1;
	return 0;
}

int
db_commit(sqlite3 *db, char *errbuf, size_t errsz)
{
	if (db_exec(db, "COMMIT", errbuf, errsz) != SQLITE_OK)
		return -1;
	return 0;
}

void
db_rollback(sqlite3 *db)
{
	/*
	 * Autocommit on means no transaction is open (SQLite may already
	 * have rolled back by itself after some errors).  A failing
	 * ROLLBACK leaves nothing to do but to report the first error.
	 */
	if (db == NULL || sqlite3_get_autocommit(db))
		return;
	if (db_exec(db, "ROLLBACK", NULL, 0) != SQLITE_OK)
		return;
}

int
db_user_version(sqlite3 *db, int *v, char *errbuf, size_t errsz)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (db_prepare(db, "PRAGMA user_version", &st, errbuf, errsz) != 0)
		goto out;
	if (db_step(st, "cannot read the schema version", errbuf, errsz) !=
	    SQLITE_ROW)
		goto out;
	*v = sqlite3_column_int(st, 0);
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* Set a PRAGMA and read back the value SQLite reports, into @got. */
static int
pragma(sqlite3 *db, const char *sql, char *got, size_t gotsz, char *errbuf,
    size_t errsz)
{
	sqlite3_stmt *st = NULL;
	int ret = -1, rc;

	if (db_prepare(db, sql, &st, errbuf, errsz) != 0)
		goto out;
	rc = db_step(st, "cannot set a PRAGMA", errbuf, errsz);
	if (rc == SQLITE_ROW) {
		if (db_column_text(st, 0, got, gotsz) != 0) {
			errbuf_set(errbuf, errsz, "unexpected PRAGMA answer");
			goto out;
		}
	} else if (rc == SQLITE_DONE) {
		got[0] = '\0';
	} else {
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int
configure(sqlite3 *db, char *errbuf, size_t errsz)
{
	char got[32];
	int on = -1;

	/*
	 * Defensive mode forbids the ways SQL alone can corrupt the file
	 * (writable_schema, journal_mode=OFF, raw page writes).
	 */
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on) !=
	    SQLITE_OK || on != 1)
		return db_error(db, "cannot enable defensive mode", errbuf,
		    errsz);
	on = -1;
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
	    &on) != SQLITE_OK || on != 0)
		return db_error(db, "cannot disable extension loading",
		    errbuf, errsz);
	if (sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS) != SQLITE_OK)
		return db_error(db, "cannot set the busy timeout", errbuf,
		    errsz);
	if (sqlite3_extended_result_codes(db, 1) != SQLITE_OK)
		return db_error(db, "cannot enable extended result codes",
		    errbuf, errsz);

	if (pragma(db,
	    "PRAGMA trusted_schema = OFF", got, sizeof(got), errbuf,
	    errsz) != 0)
		return -1;
	if (pragma(db,
	    "PRAGMA foreign_keys = ON", got, sizeof(got), errbuf, errsz) != 0 ||
	    pragma(db, "PRAGMA foreign_keys", got, sizeof(got), errbuf,
	    errsz) != 0)
		return -1;
	if (strcmp(got, "1") != 0) {
		errbuf_set(errbuf, errsz, "cannot enable foreign keys");
		return -1;
	}
	if (pragma(db,
	    "PRAGMA secure_delete = ON", got, sizeof(got), errbuf, errsz) != 0)
		return -1;
	if (strcmp(got, "1") != 0) {
		errbuf_set(errbuf, errsz, "cannot enable secure_delete");
		return -1;
	}
	/* WAL must stick: anything else means another locking model. */
	if (pragma(db,
	    "PRAGMA journal_mode = WAL", got, sizeof(got), errbuf, errsz) != 0)
		return -1;
	if (str_casecmp(got, "wal") != 0) {
		errbuf_set(errbuf, errsz, "cannot switch to WAL (journal mode "
		    "stays %.16s)", got);
		return -1;
	}
	if (pragma(db,
	    "PRAGMA synchronous = FULL", got, sizeof(got), errbuf, errsz) != 0)
		return -1;
	return 0;
}

/*
 * Apply the migrations the file lacks, each in its own BEGIN IMMEDIATE
 * transaction together with its user_version bump: a crash or an error
 * leaves the database at the previous version, never half-way.  The
 * version is read again inside the transaction because another process
 * may have migrated between our first look and the lock.
 */
static int
migrate(sqlite3 *db, const struct db_schema *schema, char *errbuf,
    size_t errsz)
{
	char sql[64], what[96];
	int v;

	if (schema->nmigrations > 100000) {
		errbuf_set(errbuf, errsz, "%s: too many migrations", schema->name);
		return -1;
	}
	for (;;) {
		if (db_user_version(db, &v, errbuf, errsz) != 0)
			return -1;
		if (v < 0 || (size_t)v > schema->nmigrations) {
			errbuf_set(errbuf, errsz, "%s was created by a newer "
			    "hrpost (schema version %d, this build knows up "
			    "to %zu)", schema->name, v, schema->nmigrations);
			return -1;
		}
		if ((size_t)v == schema->nmigrations)
			return 0;

		if (db_begin(db, errbuf, errsz) != 0)
			return -1;
		if (db_user_version(db, &v, errbuf, errsz) != 0)
			goto fail;
		if (v < 0 || (size_t)v >= schema->nmigrations) {
			/* Someone else got there; look again. */
			db_rollback(db);
			continue;
		}
		if (str_printf(what, sizeof(what), "%s migration %d",
		    schema->name, v + 1) < 0 ||
		    str_printf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    v + 1) < 0) {
			errbuf_set(errbuf, errsz, "migration name too long");
			goto fail;
		}
		/* PRAGMA takes no bound parameter; v is our own integer. */
		if (db_exec(db, schema->migrations[v], errbuf, errsz) !=
		    SQLITE_OK || db_exec(db, sql, errbuf, errsz) != SQLITE_OK) {
			char first[DB_ERRMSG_MAX];

			/* Prefix which migration failed to SQLite's reason. */
			if (errbuf != NULL && errsz > 0) {
				errbuf_set(first, sizeof(first), "%s", errbuf);
				errbuf_set(errbuf, errsz, "%s: %s", what, first);
			}
			goto fail;
		}
		if (db_commit(db, errbuf, errsz) != 0)
			goto fail;
	}
fail:
	db_rollback(db);
	return -1;
}

sqlite3 *
db_open(const char *path, const struct db_schema *schema, char *errbuf,
    size_t errsz)
{
	const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX |
	    SQLITE_OPEN_EXRESCODE;
	sqlite3 *db = NULL;
	mode_t old;
	int rc, ok = 0;

	if (path == NULL || *path == '\0' || schema == NULL) {
		errbuf_set(errbuf, errsz, "no database path");
		return NULL;
	}
	/*
	 * New files get mode 0600: the database when sqlite3_open_v2()
	 * creates it, and the -wal and -shm files, which SQLite creates
	 * later with the database file's own mode.  The umask covers the
	 * whole set-up (the WAL switch and migrations create them) and is
	 * restored on every path.  An existing file keeps its mode: the
	 * operator may have chosen it (a backup group, say).
	 */
	old = umask(077);
	rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		if (rc == SQLITE_CANTOPEN_SYMLINK)
			errbuf_set(errbuf, errsz, "%s: refusing a symbolic link",
			    schema->name);
		else
			errbuf_set(errbuf, errsz, "cannot open %s: %s",
			    schema->name, db != NULL ? sqlite3_errmsg(db) :
			    sqlite3_errstr(rc));
		goto out;
	}
	if (configure(db, errbuf, errsz) != 0)
		goto out;
	if (migrate(db, schema, errbuf, errsz) != 0)
		goto out;
	ok = 1;
out:
	umask(old);
	if (!ok) {
		sqlite3_close(db);
		db = NULL;
	}
	return db;
}

void
db_close(sqlite3 *db)
{
	/*
	 * Every statement is finalized on its function's cleanup path, so
	 * this closes at once; _v2 makes a leaked statement (a bug) close
	 * the file when it is finalized instead of never.
	 */
	if (db != NULL)
		(void)sqlite3_close_v2(db);
}
