/*
 * SQLite plumbing shared by centre.db (orders/store.c) and intake.db
 * (orders/outbox.c): open with the same flags and PRAGMAs, private file
 * modes, migrations by PRAGMA user_version, BEGIN IMMEDIATE transactions,
 * and preparing/stepping statements with the error kept for a message.
 * Nothing here knows what the tables mean.
 *
 * Error messages written by these helpers name the operation and quote
 * sqlite3_errmsg(), which names tables, columns and constraints but never a
 * bound value; they are safe to show and log.
 */
#ifndef HRPOST_DB_H
#define HRPOST_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "base/util.h"

#define DB_BUSY_TIMEOUT_MS 5000
#define DB_ERRMSG_MAX 256

/*
 * A schema: migration i (0-based) brings PRAGMA user_version from i to
 * i + 1.  Each entry is one or more SQL statements without parameters.
 * @name ("centre.db") is used in messages.
 */
struct db_schema {
	const char *name;
	const char *const *migrations;
	size_t nmigrations;
};

/*
 * Open (creating if needed) the database at @path and bring it to the
 * latest version of @schema.  New files (the database and its -wal and
 * -shm) are created mode 0600; a symbolic link is refused; the PRAGMAs
 * (WAL, foreign keys, secure_delete, synchronous FULL, busy timeout,
 * trusted_schema off) and SQLITE_DBCONFIG_DEFENSIVE are set.  A database
 * whose user_version is newer than @schema knows is refused.  On error
 * returns NULL with a message in @errbuf.  Close with db_close().
 *
 * Not thread-safe while it runs: it changes the process umask.
 */
sqlite3 *db_open(const char *path, const struct db_schema *schema,
    char *errbuf, size_t errsz);

/* Close; NULL is fine.  Statements must already be finalized. */
void db_close(sqlite3 *db);

/* The current PRAGMA user_version into *v.  Returns 0 or -1. */
int db_user_version(sqlite3 *db, int *v, char *errbuf, size_t errsz) WUR;

/*
 * Transactions: BEGIN IMMEDIATE (takes the write lock at once, so a
 * read-then-write inside cannot fail with SQLITE_BUSY half-way), COMMIT,
 * ROLLBACK.  db_rollback() does nothing when no transaction is open, so
 * a cleanup path may call it unconditionally.  Return 0 or -1.
 */
int db_begin(sqlite3 *db, char *errbuf, size_t errsz) WUR;
int db_commit(sqlite3 *db, char *errbuf, size_t errsz) WUR;
void db_rollback(sqlite3 *db);

/*
 * Prepare one statement (all of @sql).  Returns 0, or -1 with "cannot
 * prepare: <sqlite message>" in @errbuf and *st NULL.
 */
int db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st,
    char *errbuf, size_t errsz) WUR;

/*
 * Run one or more SQL statements without parameters (migrations, PRAGMAs),
 * discarding any rows.  Returns the first failing SQLite result code (with
 * a message in @errbuf) or SQLITE_OK.
 */
int db_exec(sqlite3 *db, const char *sql, char *errbuf, size_t errsz) WUR;

/*
 * sqlite3_step() that writes "<what>: <sqlite message>" into @errbuf when
 * the result is neither SQLITE_ROW nor SQLITE_DONE.  Returns the result.
 */
int db_step(sqlite3_stmt *st, const char *what, char *errbuf, size_t errsz);

/* Bind helpers: text and blobs are copied (SQLITE_TRANSIENT).  Return rc. */
int db_bind_text(sqlite3_stmt *st, int i, const char *s);
int db_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n);
int db_bind_int64(sqlite3_stmt *st, int i, int64_t v);

/*
 * Copy column @i of the current row as text into @out of @outsz bytes.
 * NULL reads as "".  Returns 0, or -1 when it does not fit.
 */
int db_column_text(sqlite3_stmt *st, int i, char *out, size_t outsz) WUR;

/* Format "<what>: <sqlite message>" into @errbuf.  Returns -1. */
int db_error(sqlite3 *db, const char *what, char *errbuf, size_t errsz);

#endif
