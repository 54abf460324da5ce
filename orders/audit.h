/*
 * The audit chain of centre.db: who did what to which object, one row per
 * state change and per opening of sealed data, each row's hash covering the
 * previous row's hash, so that editing, deleting, reordering or cutting
 * entries off the end is detected by audit_verify().
 *
 *   hash = SHA-256(prev_hash || enc("hrpost audit v1") || u64(id) ||
 *                  i64(at) || enc(actor) || enc(action) || enc(object) ||
 *                  enc(detail))
 *   enc(s) = u32(length in bytes) || bytes; integers big-endian.
 *
 * The first entry's prev_hash is 32 zero bytes.  Ids come from an
 * AUTOINCREMENT column, which never reuses an id, so sqlite_sequence tells
 * whether the last entries were deleted.
 *
 * The chain is unkeyed: someone who can write the file can rebuild every
 * hash after an edit.  It proves the history was not changed by accident or
 * by a careless edit, and the head hash (audit_head) can be written
 * somewhere else to anchor it.  Entries never contain personal data: only
 * references, statuses, codes and staff logins.
 *
 * The table (created by centre.db's migrations, orders/store.c):
 *   audit(id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER, actor TEXT,
 *         action TEXT, object TEXT, detail TEXT, prev_hash BLOB, hash BLOB)
 */
#ifndef HRPOST_AUDIT_H
#define HRPOST_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "base/util.h"

#define AUDIT_HASH_LEN 32
#define AUDIT_ACTOR_MAX 64	/* bytes */
#define AUDIT_ACTION_MAX 64
#define AUDIT_OBJECT_MAX 128
#define AUDIT_DETAIL_MAX 512
#define AUDIT_WHY_MAX 160

struct audit_report {
	int64_t checked;	/* entries that verified */
	int64_t bad_id;		/* first bad (or missing) entry, 0 if none */
	char why[AUDIT_WHY_MAX];
};

/*
 * Append one entry inside the caller's open transaction (refused when none
 * is open: the entry must commit or roll back with the change it records).
 * @actor and @action are required; @object and @detail may be NULL (stored
 * as "").  Every field must be valid UTF-8 without control characters and
 * within its maximum.  The time is clock_now().  Writes the new entry's id
 * to *id when @id is not NULL.  Returns 0, or -1 with a message in @errbuf
 * (the transaction is then left for the caller to roll back).
 */
int audit_append(sqlite3 *db, const char *actor, const char *action,
    const char *object, const char *detail, int64_t *id, char *errbuf,
    size_t errsz) WUR;

/*
 * Walk the chain by id and recompute every hash.  Returns 0 with
 * rep->bad_id == 0 when intact, 0 with rep->bad_id set to the first bad or
 * missing entry and the reason in rep->why when broken, or -1 with @errbuf
 * when the database cannot be read.  Runs in one read transaction of its
 * own when the caller has none open.
 */
int audit_verify(sqlite3 *db, struct audit_report *rep, char *errbuf,
    size_t errsz) WUR;

/*
 * The newest entry's id and hash (id 0 and zeros for an empty chain), to
 * anchor the chain outside the database.  Returns 0 or -1.
 */
int audit_head(sqlite3 *db, int64_t *id, uint8_t hash[AUDIT_HASH_LEN],
    char *errbuf, size_t errsz) WUR;

#endif
