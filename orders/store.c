/*
 * centre.db (see store.h for the contracts).  The schema is migration 1
 * below; later migrations are appended, never edited.  Every write path
 * is BEGIN IMMEDIATE, the work, audit_append(), COMMIT, and a ROLLBACK on
 * the single cleanup path when anything failed, so a failure leaves no
 * half-written order, recipient or audit entry.  Personal data (pseudonym,
 * address, phone, note) only ever reaches SQLite sealed to the centre's
 * public key, bound by its AAD to its table, row and field; recipients are
 * linked by keyed pseudonyms (HMAC with the centre's pepper) of the phone
 * number and of the normalised address.  Plaintext held in memory along
 * the way is wiped on every path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "crypto/key.h"
#include "crypto/pseudonym.h"
#include "crypto/seal.h"
#include "crypto/token.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "orders/outbox.h"
#include "orders/store.h"
#include "shipping/catalogue.h"

#define STORE_IDEM_MAX OUTBOX_IDEM_MAX	/* the outbox's key is ours too */
#define STORE_CODE_MAX 63		/* centre codes and staff logins */
#define STORE_NAME_MAX 120		/* centre names, characters */
#define STORE_PWHASH_MAX 255
#define STORE_REF_INPUT_MAX 64		/* a ref or token as typed */
#define STORE_FLAG_DAYS_MAX 3650
#define STORE_TOKEN_TRIES 8
#define STORE_QUEUE_BATCH 32
#define STORE_AAD_MAX 64
#define DAY 86400

/* Buffers copied with memcpy between these structs have equal sizes. */
_Static_assert(sizeof(((struct store_order_row *)0)->dept) ==
    sizeof(((struct order *)0)->dept), "dept sizes differ");
_Static_assert(sizeof(((struct store_order_row *)0)->lang) ==
    sizeof(((struct order *)0)->lang), "lang sizes differ");
_Static_assert(sizeof(((struct store_audit_report *)0)->why) ==
    AUDIT_WHY_MAX, "audit report sizes differ");

struct store {
	sqlite3 *db;
	char err[DB_ERRMSG_MAX];
};

/*
 * Migration 1: the whole schema.  Times are INTEGER seconds since the
 * epoch (clock_now()).  Clear columns hold ids, times, statuses, codes and
 * counts only; every personal field is a sealed BLOB whose AAD names its
 * row ("orders/<ref>/pii", "recipients/<id>/pii",
 * "followups/<id>/note").  phone_key and address_key are keyed
 * pseudonyms (crypto/pseudonym.h), 32 bytes.
 */
static const char schema_v1[] =
	"CREATE TABLE centres ("
	" id INTEGER PRIMARY KEY,"
	" code TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 63),"
	" name TEXT NOT NULL CHECK (length(name) >= 1),"
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE staff ("
	" id INTEGER PRIMARY KEY,"
	" centre_id INTEGER NOT NULL REFERENCES centres(id),"
	" login TEXT NOT NULL UNIQUE CHECK (length(login) BETWEEN 1 AND 63),"
	" role TEXT NOT NULL"
	"  CHECK (role IN ('admin', 'coordinator', 'packer', 'reviewer')),"
	" pwhash TEXT NOT NULL,"
	" disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
	" failed_logins INTEGER NOT NULL DEFAULT 0"
	"  CHECK (failed_logins >= 0),"
	" locked_until INTEGER,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX staff_centre ON staff (centre_id);"

	"CREATE TABLE recipients ("
	" id INTEGER PRIMARY KEY,"
	" centre_id INTEGER NOT NULL REFERENCES centres(id),"
	" phone_key BLOB CHECK (phone_key IS NULL OR length(phone_key) = 32),"
	" address_key BLOB"
	"  CHECK (address_key IS NULL OR length(address_key) = 32),"
	" sealed BLOB,"
	" consent_call INTEGER NOT NULL DEFAULT 0"
	"  CHECK (consent_call IN (0, 1)),"
	" consent_sms INTEGER NOT NULL DEFAULT 0 CHECK (consent_sms IN (0, 1)),"
	" lang TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 7),"
	" do_not_call INTEGER NOT NULL DEFAULT 0 CHECK (do_not_call IN (0, 1)),"
	" sms_stopped INTEGER NOT NULL DEFAULT 0 CHECK (sms_stopped IN (0, 1)),"
	" first_seen INTEGER NOT NULL,"
	" last_order_at INTEGER,"
	" UNIQUE (centre_id, phone_key));"
	"CREATE INDEX recipients_address"
	" ON recipients (centre_id, address_key);"

	"CREATE TABLE orders ("
	" id INTEGER PRIMARY KEY,"
	" centre_id INTEGER NOT NULL REFERENCES centres(id),"
	" ref TEXT NOT NULL UNIQUE CHECK (length(ref) = 9),"
	" token TEXT NOT NULL UNIQUE CHECK (length(token) = 17),"
	" recipient_id INTEGER REFERENCES recipients(id),"
	" channel TEXT NOT NULL CHECK (channel IN ('phone', 'web', 'sms')),"
	" status TEXT NOT NULL CHECK (status IN ('received', 'accepted',"
	"  'packed', 'shipped', 'delivered', 'returned', 'cancelled')),"
	" flagged INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),"
	" flag_reason TEXT,"
	" for_people INTEGER NOT NULL CHECK (for_people BETWEEN 1 AND 50),"
	" lang TEXT NOT NULL CHECK (length(lang) BETWEEN 2 AND 7),"
	" dept TEXT NOT NULL CHECK (length(dept) BETWEEN 2 AND 3),"
	" idem TEXT UNIQUE CHECK (idem IS NULL OR"
	"  length(idem) BETWEEN 1 AND 128),"
	" sealed BLOB NOT NULL,"
	" received_at INTEGER NOT NULL,"
	" accepted_at INTEGER,"
	" packed_at INTEGER,"
	" shipped_at INTEGER,"
	" delivered_at INTEGER,"
	" returned_at INTEGER,"
	" cancelled_at INTEGER,"
	" updated_at INTEGER NOT NULL);"
	"CREATE INDEX orders_queue ON orders (centre_id, status, received_at);"
	"CREATE INDEX orders_recipient ON orders (recipient_id, received_at);"

	"CREATE TABLE order_lines ("
	" id INTEGER PRIMARY KEY,"
	" order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,"
	" pack TEXT NOT NULL CHECK (length(pack) BETWEEN 1 AND 8),"
	" qty INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 999),"
	" variant TEXT NOT NULL DEFAULT '' CHECK (length(variant) <= 16));"
	"CREATE INDEX order_lines_order ON order_lines (order_id);"

	/* The catalogue as last synced, for stock and reports. */
	"CREATE TABLE packs ("
	" code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 8),"
	" version INTEGER NOT NULL CHECK (version >= 1),"
	" weight INTEGER NOT NULL CHECK (weight >= 0),"
	" updated_at INTEGER NOT NULL);"
	"CREATE TABLE items ("
	" code TEXT PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 8),"
	" unit TEXT NOT NULL,"
	" expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry IN (0, 1)),"
	" low INTEGER NOT NULL DEFAULT 0 CHECK (low >= 0));"
	/* variant '' : in the pack whatever the variant (catalogue.h). */
	"CREATE TABLE pack_items ("
	" pack TEXT NOT NULL REFERENCES packs(code) ON DELETE CASCADE,"
	" item TEXT NOT NULL REFERENCES items(code),"
	" variant TEXT NOT NULL DEFAULT '' CHECK (length(variant) <= 16),"
	" qty INTEGER NOT NULL CHECK (qty >= 1),"
	" PRIMARY KEY (pack, item, variant));"

	/* Stock per item and lot; packing takes the earliest expiry first. */
	"CREATE TABLE stock_lots ("
	" id INTEGER PRIMARY KEY,"
	" item TEXT NOT NULL REFERENCES items(code),"
	" lot TEXT NOT NULL CHECK (length(lot) BETWEEN 1 AND 64),"
	" expiry INTEGER,"
	" qty_in INTEGER NOT NULL CHECK (qty_in >= 0),"
	" qty_left INTEGER NOT NULL"
	"  CHECK (qty_left >= 0 AND qty_left <= qty_in),"
	" received_at INTEGER NOT NULL,"
	" UNIQUE (item, lot));"
	"CREATE INDEX stock_lots_pick ON stock_lots (item, expiry);"

	"CREATE TABLE parcels ("
	" id INTEGER PRIMARY KEY,"
	" order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),"
	" carrier TEXT NOT NULL CHECK (length(carrier) BETWEEN 1 AND 32),"
	" carrier_id TEXT CHECK (carrier_id IS NULL OR"
	"  length(carrier_id) BETWEEN 1 AND 64),"
	" status TEXT NOT NULL CHECK (status IN ('labelled', 'shipped',"
	"  'delivered', 'returned', 'lost')),"
	" shipped_at INTEGER,"
	" delivered_at INTEGER,"
	" returned_at INTEGER);"
	"CREATE UNIQUE INDEX parcels_carrier ON parcels (carrier, carrier_id)"
	" WHERE carrier_id IS NOT NULL;"
	"CREATE INDEX parcels_status ON parcels (status);"
	"CREATE TABLE parcel_lots ("
	" parcel_id INTEGER NOT NULL REFERENCES parcels(id) ON DELETE CASCADE,"
	" lot_id INTEGER NOT NULL REFERENCES stock_lots(id),"
	" qty INTEGER NOT NULL CHECK (qty >= 1),"
	" PRIMARY KEY (parcel_id, lot_id));"

	"CREATE TABLE followups ("
	" id INTEGER PRIMARY KEY,"
	" centre_id INTEGER NOT NULL REFERENCES centres(id),"
	" recipient_id INTEGER NOT NULL REFERENCES recipients(id),"
	" order_id INTEGER REFERENCES orders(id),"
	" reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 32),"
	" due_at INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'open'"
	"  CHECK (status IN ('open', 'done', 'cancelled')),"
	" attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	" outcome TEXT CHECK (outcome IS NULL OR outcome IN ('reached',"
	"  'no_answer', 'declined', 'naloxone_used', 'referred', 'stopped')),"
	" sealed_note BLOB,"
	" created_at INTEGER NOT NULL,"
	" done_at INTEGER);"
	"CREATE INDEX followups_due ON followups (centre_id, status, due_at);"
	"CREATE INDEX followups_recipient ON followups (recipient_id);"

	/* The hash chain; see orders/audit.h. */
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" at INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" object TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" prev_hash BLOB NOT NULL,"
	" hash BLOB NOT NULL);";

/*
 * Migration 2: packing (shipping/packing.c).  A parcel row is made when an
 * order is packed: status 'labelled' then means packed, ready for its
 * label and the carrier; packed_at and the packs' weight in grams are
 * kept.  The recall of a lot reads parcel_lots by lot.
 */
static const char schema_v2[] =
	"ALTER TABLE parcels ADD COLUMN packed_at INTEGER;"
	"ALTER TABLE parcels ADD COLUMN weight INTEGER"
	" CHECK (weight IS NULL OR weight >= 0);"
	"CREATE INDEX parcel_lots_lot ON parcel_lots (lot_id);";

/*
 * Migration 3: the console's inbox (orders/inbox.c): what an intake
 * envelope became when it did not become an order (a call-back task, STOP,
 * START) or why it was quarantined, keyed by the outbox idempotency key so
 * an envelope fetched twice is applied once.  The quarantined blob stays
 * sealed.
 */
static const char schema_v3[] =
	"CREATE TABLE IF NOT EXISTS inbox ("
	" id INTEGER PRIMARY KEY,"
	" centre_id INTEGER NOT NULL REFERENCES centres(id),"
	" idem TEXT NOT NULL UNIQUE CHECK (length(idem) BETWEEN 1 AND 128),"
	" outbox_id INTEGER NOT NULL CHECK (outbox_id >= 1),"
	" received_at INTEGER NOT NULL,"
	" outcome TEXT NOT NULL CHECK (outcome IN ('followup', 'sms_stop',"
	"  'sms_start', 'rejected')),"
	" recipient_id INTEGER REFERENCES recipients(id),"
	" followup_id INTEGER REFERENCES followups(id),"
	" reason TEXT CHECK (reason IS NULL OR length(reason) <= 160),"
	" sealed BLOB CHECK (sealed IS NULL OR length(sealed) <= 65536),"
	" applied_at INTEGER NOT NULL);";

/*
 * Migration 4: the carrier's last event on each parcel (shipping/tracking.c
 * fills these when it polls), so staff see where a parcel is without
 * asking La Poste again.
 */
static const char schema_v4[] =
	"ALTER TABLE parcels ADD COLUMN last_event TEXT"
	" CHECK (last_event IS NULL OR length(last_event) <= 8);"
	"ALTER TABLE parcels ADD COLUMN last_event_label TEXT"
	" CHECK (last_event_label IS NULL OR length(last_event_label) <= 255);"
	"ALTER TABLE parcels ADD COLUMN last_event_at INTEGER;"
	"ALTER TABLE parcels ADD COLUMN tracked_at INTEGER;";

/*
 * Migration 5: the follow-up scheduler (orders/followup.h).  On followups:
 * the event a task was made for (unique per centre, so a round run twice
 * makes nothing new), a clear detail for its reason in words (days, a lot
 * number and its expiry, a flag reason: never personal data), whether its
 * due time was put into opening hours, the last call without answer, and
 * the SMS invitation that follows the last one.  On recipients: the last
 * call that reached them, the markers the check-in and silence rules
 * count from (NULL while such a task is open), and stop_upto, the highest
 * task id when STOP or "do not call" was set (a trigger keeps it), whose
 * tasks the next round cancels.  digests: the coordinator's daily SMS,
 * one per centre and local day.  Indexes for each scheduler query; the
 * partial ones carry the query's exact WHERE terms.
 */
static const char schema_v5[] =
	"ALTER TABLE followups ADD COLUMN event TEXT"
	" CHECK (event IS NULL OR length(event) BETWEEN 1 AND 64);"
	"ALTER TABLE followups ADD COLUMN info TEXT"
	" CHECK (info IS NULL OR length(info) <= 96);"
	"ALTER TABLE followups ADD COLUMN planned INTEGER NOT NULL DEFAULT 0"
	" CHECK (planned IN (0, 1));"
	"ALTER TABLE followups ADD COLUMN last_attempt_at INTEGER;"
	"ALTER TABLE followups ADD COLUMN invite TEXT CHECK (invite IS NULL OR"
	" invite IN ('pending', 'sent', 'failed', 'skipped'));"
	"ALTER TABLE followups ADD COLUMN invited_at INTEGER;"
	"CREATE UNIQUE INDEX followups_event ON followups (centre_id, event)"
	" WHERE event IS NOT NULL;"
	"CREATE INDEX followups_unplanned ON followups (centre_id)"
	" WHERE planned = 0 AND status = 'open';"
	"CREATE INDEX followups_invite ON followups (centre_id)"
	" WHERE invite = 'pending';"

	"ALTER TABLE recipients ADD COLUMN last_call_at INTEGER;"
	"ALTER TABLE recipients ADD COLUMN checkin_at INTEGER;"
	"ALTER TABLE recipients ADD COLUMN silence_at INTEGER;"
	"ALTER TABLE recipients ADD COLUMN stop_upto INTEGER;"
	"UPDATE recipients SET checkin_at = first_seen,"
	" silence_at = max(first_seen, coalesce(last_order_at, 0));"
	"CREATE INDEX recipients_checkin ON recipients (centre_id, checkin_at)"
	" WHERE consent_call = 1 AND do_not_call = 0 AND sms_stopped = 0"
	" AND phone_key IS NOT NULL;"
	"CREATE INDEX recipients_silence ON recipients (centre_id, silence_at)"
	" WHERE consent_call = 1 AND do_not_call = 0 AND sms_stopped = 0"
	" AND phone_key IS NOT NULL;"
	"CREATE INDEX recipients_stop ON recipients (centre_id, stop_upto)"
	" WHERE stop_upto IS NOT NULL;"
	"CREATE TRIGGER recipients_followup_new AFTER INSERT ON recipients"
	" BEGIN UPDATE recipients SET checkin_at = NEW.first_seen,"
	" silence_at = NEW.first_seen WHERE id = NEW.id; END;"
	"CREATE TRIGGER recipients_followup_stop"
	" AFTER UPDATE OF sms_stopped, do_not_call ON recipients"
	" WHEN (NEW.sms_stopped = 1 AND OLD.sms_stopped = 0)"
	" OR (NEW.do_not_call = 1 AND OLD.do_not_call = 0)"
	" BEGIN UPDATE recipients SET stop_upto ="
	" (SELECT coalesce(max(id), 0) FROM followups) WHERE id = NEW.id; END;"

	"CREATE INDEX orders_followup_delivered"
	" ON orders (centre_id, status, delivered_at);"
	"CREATE INDEX orders_followup_shipped"
	" ON orders (centre_id, status, shipped_at);"

	"CREATE TABLE digests ("
	" centre_id INTEGER NOT NULL REFERENCES centres(id),"
	" day TEXT NOT NULL CHECK (length(day) = 10),"
	" state TEXT NOT NULL CHECK (state IN ('sending', 'sent')),"
	" at INTEGER NOT NULL,"
	" PRIMARY KEY (centre_id, day));";

/*
 * Migration 6: indexes for volume reports (orders/report.c), which read
 * the orders that left in a period and, for each, its parcel, lines and
 * packed lots.  Each index covers what its query reads, so a report never
 * reads the order rows themselves (nor their sealed blobs): the orders of
 * a centre by shipping time with the columns counted; a person's first
 * parcel (new or returning); lines by order; parcels by shipping time
 * with their delivery time; lots by parcel; follow-up outcomes by the day
 * the call was done.
 */
static const char schema_v6[] =
	"CREATE INDEX orders_shipped"
	" ON orders (centre_id, shipped_at, recipient_id, dept, channel)"
	" WHERE shipped_at IS NOT NULL;"
	"CREATE INDEX orders_recipient_shipped"
	" ON orders (recipient_id, shipped_at) WHERE shipped_at IS NOT NULL;"
	"CREATE INDEX order_lines_report ON order_lines (order_id, pack, qty);"
	"CREATE INDEX parcels_shipped"
	" ON parcels (shipped_at, order_id, delivered_at)"
	" WHERE shipped_at IS NOT NULL;"
	"CREATE INDEX parcel_lots_report"
	" ON parcel_lots (parcel_id, lot_id, qty);"
	"CREATE INDEX followups_done"
	" ON followups (centre_id, done_at, recipient_id, outcome)"
	" WHERE outcome IS NOT NULL;";

/*
 * Migration 7: the status push (orders/push.c) reads orders changed since
 * the intake node's mark: 170 ms a query on a million orders without this
 * index, 1.4 ms with it.
 */
static const char schema_v7[] =
	"CREATE INDEX orders_push ON orders (centre_id, updated_at, token);";

static const char *const migrations[] = {
	schema_v1,
	schema_v2,
	schema_v3,
	schema_v4,
	schema_v5,
	schema_v6,
	schema_v7,
};

static const struct db_schema centre_schema = {
	"centre.db", migrations, ARRAY_LEN(migrations),
};

/* The columns a struct store_order_row is read from, in read_row() order. */
#define ROW_COLS "o.id, o.ref, o.token, c.code, o.status, o.channel, " \
	"o.received_at, o.updated_at, o.dept, o.lang, o.for_people, " \
	"o.flagged, o.flag_reason, o.recipient_id"
#define ROW_FROM " FROM orders o JOIN centres c ON c.id = o.centre_id "

static enum store_status
fail(struct store *st, enum store_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum store_status
fail(struct store *st, enum store_status s, const char *fmt, ...)
{
	va_list ap;

	/* Messages are never parsed: truncation is harmless. */
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return s;
}

/*
 * An SQLite failure: "<what>: <SQLite's message>" (which names tables,
 * columns and constraints, never a bound value), mapped to a status.
 */
static enum store_status
sqlfail(struct store *st, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);

	db_error(st->db, what, st->err, sizeof(st->err));
	switch (rc) {
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return STORE_ERR_INVALID;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return STORE_ERR_DUPLICATE;
	default:
		return STORE_ERR_DB;
	}
}

static bool
code_ok(const char *s, size_t max, bool allow_dot_at)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= max)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			continue;
		if (allow_dot_at && (c == '.' || c == '@'))
			continue;
		return false;
	}
	return n > 0;
}

static bool
text_ok(const char *s, size_t maxbytes)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strnlen(s, maxbytes + 1);
	return n > 0 && n <= maxbytes && utf8_valid(s, n) &&
	    !utf8_has_control(s);
}

/* Printable ASCII without space, as the outbox wants its keys. */
static bool
idem_ok(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (n >= STORE_IDEM_MAX || s[n] < 0x21 || s[n] > 0x7e)
			return false;
	return n > 0;
}

/* true when @s is NUL-terminated within its @sz-byte array. */
static bool
terminated(const char *s, size_t sz)
{
	return memchr(s, '\0', sz) != NULL;
}

static bool
actor_ok(const char *actor)
{
	return text_ok(actor, STORE_ACTOR_MAX - 1);
}

struct store *
store_open(const char *path, char *errbuf, size_t errsz)
{
	struct store *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		if (errbuf != NULL && errsz > 0 &&
		    str_copy(errbuf, errsz, "out of memory") != 0)
			errbuf[0] = '\0';	/* str_copy() did already */
		return NULL;
	}
	st->db = db_open(path, &centre_schema, errbuf, errsz);
	if (st->db == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	db_close(st->db);
	free(st);
}

struct sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

const char *
store_errmsg(const struct store *st)
{
	if (st == NULL)
		return "no store";
	return st->err[0] != '\0' ? st->err : "no error";
}

/* ---- centres and staff ---- */

static const char *const role_names[] = {
	[STAFF_ADMIN] = "admin",
	[STAFF_COORDINATOR] = "coordinator",
	[STAFF_PACKER] = "packer",
	[STAFF_REVIEWER] = "reviewer",
};

const char *
store_role_name(enum staff_role role)
{
	if ((unsigned)role >= ARRAY_LEN(role_names))
		return NULL;
	return role_names[role];
}

int
store_role_parse(const char *name, enum staff_role *out)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(role_names); i++) {
		if (strcmp(name, role_names[i]) == 0) {
			*out = (enum staff_role)i;
			return 0;
		}
	}
	return -1;
}

enum store_status
store_centre_add(struct store *st, const char *code, const char *name,
    const char *actor, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	int64_t newid;

	st->err[0] = '\0';
	if (!code_ok(code, STORE_CODE_MAX, false))
		return fail(st, STORE_ERR_INVALID, "centre code must be 1 to "
		    "%d letters, digits, '-' or '_'", STORE_CODE_MAX);
	if (!text_ok(name, STORE_NAME_MAX * 4) ||
	    utf8_len(name) > STORE_NAME_MAX)
		return fail(st, STORE_ERR_INVALID, "centre name must be 1 to "
		    "%d characters of plain text", STORE_NAME_MAX);
	if (!actor_ok(actor))
		return fail(st, STORE_ERR_INVALID, "actor is missing or not "
		    "plain text");

	if (db_begin(st->db, st->err, sizeof(st->err)) != 0)
		return STORE_ERR_DB;
	if (db_prepare(st->db, "INSERT INTO centres (code, name, created_at) "
	    "VALUES (?, ?, ?)", &s, st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_bind_text(s, 1, code) != SQLITE_OK ||
	    db_bind_text(s, 2, name) != SQLITE_OK ||
	    db_bind_int64(s, 3, (int64_t)clock_now()) != SQLITE_OK) {
		ret = sqlfail(st, "cannot add the centre");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		ret = sqlfail(st, "cannot add the centre");
		if (ret == STORE_ERR_DUPLICATE)
			fail(st, ret, "centre %s exists", code);
		goto out;
	}
	newid = sqlite3_last_insert_rowid(st->db);
	if (audit_append(st->db, actor, "centre.add", code, NULL, NULL,
	    st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_commit(st->db, st->err, sizeof(st->err)) != 0)
		goto out;
	if (id != NULL)
		*id = newid;
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	if (ret != STORE_OK)
		db_rollback(st->db);
	return ret;
}

enum store_status
store_centre_find(struct store *st, const char *code, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	int rc;

	st->err[0] = '\0';
	if (!code_ok(code, STORE_CODE_MAX, false))
		return fail(st, STORE_ERR_INVALID, "centre code must be 1 to "
		    "%d letters, digits, '-' or '_'", STORE_CODE_MAX);
	if (db_prepare(st->db,
	    "SELECT id FROM centres WHERE code = ?", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_text(s, 1, code) != SQLITE_OK) {
		ret = sqlfail(st, "cannot find the centre");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		ret = fail(st, STORE_ERR_NOT_FOUND, "centre %s not found",
		    code);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = sqlfail(st, "cannot find the centre");
		goto out;
	}
	if (id != NULL)
		*id = sqlite3_column_int64(s, 0);
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/* Inside a transaction: does centre @id exist? */
static enum store_status
centre_exists(struct store *st, int64_t id, char *code, size_t codesz)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	int rc;

	if (db_prepare(st->db,
	    "SELECT code FROM centres WHERE id = ?", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_int64(s, 1, id) != SQLITE_OK) {
		ret = sqlfail(st, "cannot find the centre");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		ret = fail(st, STORE_ERR_NOT_FOUND, "centre %lld not found",
		    (long long)id);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = sqlfail(st, "cannot find the centre");
		goto out;
	}
	if (code != NULL && db_column_text(s, 0, code, codesz) != 0) {
		ret = fail(st, STORE_ERR_DB, "centre code too long");
		goto out;
	}
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

enum store_status
store_staff_add(struct store *st, int64_t centre_id, const char *login,
    enum staff_role role, const char *pwhash, const char *actor)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	const char *rname = store_role_name(role);
	char code[STORE_CODE_MAX + 1], detail[128];

	st->err[0] = '\0';
	if (!code_ok(login, STORE_CODE_MAX, true))
		return fail(st, STORE_ERR_INVALID, "login must be 1 to %d "
		    "letters, digits, '.', '@', '-' or '_'", STORE_CODE_MAX);
	if (rname == NULL)
		return fail(st, STORE_ERR_INVALID, "role must be admin, "
		    "coordinator, packer or reviewer");
	/* A hash, never a password: plain ASCII, bounded. */
	if (pwhash == NULL || !idem_ok(pwhash) ||
	    strnlen(pwhash, STORE_PWHASH_MAX + 1) > STORE_PWHASH_MAX)
		return fail(st, STORE_ERR_INVALID, "password hash is missing "
		    "or malformed");
	if (!actor_ok(actor))
		return fail(st, STORE_ERR_INVALID, "actor is missing or not "
		    "plain text");

	if (db_begin(st->db, st->err, sizeof(st->err)) != 0)
		return STORE_ERR_DB;
	ret = centre_exists(st, centre_id, code, sizeof(code));
	if (ret != STORE_OK)
		goto out;
	ret = STORE_ERR_DB;
	if (db_prepare(st->db, "INSERT INTO staff (centre_id, login, role, "
	    "pwhash, created_at) VALUES (?, ?, ?, ?, ?)", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_text(s, 2, login) != SQLITE_OK ||
	    db_bind_text(s, 3, rname) != SQLITE_OK ||
	    db_bind_text(s, 4, pwhash) != SQLITE_OK ||
	    db_bind_int64(s, 5, (int64_t)clock_now()) != SQLITE_OK) {
		ret = sqlfail(st, "cannot add the staff member");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		ret = sqlfail(st, "cannot add the staff member");
		if (ret == STORE_ERR_DUPLICATE)
			fail(st, ret, "staff login %s exists", login);
		goto out;
	}
	if (str_printf(detail, sizeof(detail), "role %s, centre %s", rname,
	    code) < 0) {
		ret = fail(st, STORE_ERR_INVALID, "audit detail too long");
		goto out;
	}
	if (audit_append(st->db, actor, "staff.add", login, detail, NULL,
	    st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_commit(st->db, st->err, sizeof(st->err)) != 0)
		goto out;
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	if (ret != STORE_OK)
		db_rollback(st->db);
	return ret;
}

/* ---- sealing ---- */

static enum store_status
seal_json(struct store *st, const struct centre_key *key, const char *aad,
    const char *json, size_t len, uint8_t **blob, size_t *bloblen)
{
	enum seal_status rc;

	rc = seal_seal(key_public(key), json, len, aad, strlen(aad), blob,
	    bloblen);
	if (rc != SEAL_OK)
		return fail(st, STORE_ERR_CRYPTO, "cannot seal personal data: "
		    "%s", seal_strerror(rc));
	return STORE_OK;
}

/*
 * Open @blob with @aad and decode its personal fields into @o (the other
 * fields of @o are left alone).  Plaintext is wiped before returning.
 */
static enum store_status
open_pii(struct store *st, const struct centre_key *key, const char *aad,
    const void *blob, size_t bloblen, struct order *o)
{
	struct field_error ferr;
	enum seal_status rc;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	enum store_status ret;

	rc = seal_open(key, blob, bloblen, aad, strlen(aad), &pt, &ptlen);
	if (rc != SEAL_OK)
		return fail(st, STORE_ERR_CRYPTO, "cannot open personal data: "
		    "%s", seal_strerror(rc));
	memset(&ferr, 0, sizeof(ferr));
	if (order_decode((const char *)pt, ptlen, ORDER_ENCODE_PII, NULL, o,
	    &ferr) != 0)
		ret = fail(st, STORE_ERR_CRYPTO, "sealed personal data does "
		    "not decode (field %.31s)", ferr.field);
	else
		ret = STORE_OK;
	mem_wipe_free(pt, ptlen + 1);
	return ret;
}

/* ---- reading orders ---- */

/*
 * Canonicalise a reference or tracking token as a person may type it.
 * Writes the canonical form and whether it is a token.
 */
static enum store_status
parse_ref(struct store *st, const char *in, char canon[STORE_TOKEN_MAX],
    bool *is_token)
{
	enum token_status rc;

	if (in == NULL || strnlen(in, STORE_REF_INPUT_MAX + 1) >
	    STORE_REF_INPUT_MAX)
		return fail(st, STORE_ERR_INVALID, "order reference is missing "
		    "or too long");
	rc = token_parse(in, TOKEN_REF_DIGITS, canon, STORE_TOKEN_MAX);
	if (rc == TOKEN_OK) {
		*is_token = false;
		return STORE_OK;
	}
	if (rc == TOKEN_ERR_LENGTH) {
		rc = token_parse(in, TOKEN_TRACK_DIGITS, canon,
		    STORE_TOKEN_MAX);
		if (rc == TOKEN_OK) {
			*is_token = true;
			return STORE_OK;
		}
	}
	switch (rc) {
	case TOKEN_ERR_CHECK:
		return fail(st, STORE_ERR_INVALID, "order reference has a "
		    "typo: its check character does not match");
	case TOKEN_ERR_CHAR:
		return fail(st, STORE_ERR_INVALID, "order reference has a "
		    "character outside 0-9 A-Z");
	default:
		return fail(st, STORE_ERR_INVALID, "order reference must be "
		    "%d characters (or a tracking token of %d)",
		    TOKEN_REF_DIGITS + 1, TOKEN_TRACK_DIGITS + 1);
	}
}

static enum store_status
read_row(struct store *st, sqlite3_stmt *s, struct store_order_row *row)
{
	char status[16], channel[16];

	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(s, 0);
	if (db_column_text(s, 1, row->ref, sizeof(row->ref)) != 0 ||
	    db_column_text(s, 2, row->token, sizeof(row->token)) != 0 ||
	    db_column_text(s, 3, row->centre, sizeof(row->centre)) != 0 ||
	    db_column_text(s, 4, status, sizeof(status)) != 0 ||
	    db_column_text(s, 5, channel, sizeof(channel)) != 0 ||
	    db_column_text(s, 8, row->dept, sizeof(row->dept)) != 0 ||
	    db_column_text(s, 9, row->lang, sizeof(row->lang)) != 0 ||
	    db_column_text(s, 12, row->flag_reason,
	    sizeof(row->flag_reason)) != 0 ||
	    order_status_parse(status, &row->status) != 0 ||
	    order_channel_parse(channel, &row->channel) != 0)
		return fail(st, STORE_ERR_DB, "order %lld has a malformed "
		    "column", (long long)row->id);
	row->received_at = (time_t)sqlite3_column_int64(s, 6);
	row->updated_at = (time_t)sqlite3_column_int64(s, 7);
	row->for_people = sqlite3_column_int(s, 10);
	row->flagged = sqlite3_column_int(s, 11) != 0;
	row->recipient_id = sqlite3_column_int64(s, 13);
	return STORE_OK;
}

/* Append @piece to the packs summary, or "..." once it no longer fits. */
static void
summary_add(char *buf, size_t bufsz, const char *piece, bool *full)
{
	size_t used = strlen(buf), n = strlen(piece);
	const size_t ell = 5;	/* ", ..." */

	if (*full)
		return;
	if (used + 2 + n + ell < bufsz) {
		if (used > 0) {
			memcpy(buf + used, ", ", 2);
			used += 2;
		}
		memcpy(buf + used, piece, n + 1);
		return;
	}
	*full = true;
	if (used + ell < bufsz)
		memcpy(buf + used, used > 0 ? ", ..." : "...",
		    used > 0 ? ell + 1 : 4);
}

/*
 * Read an order's lines: the packs summary and total of @row, and when @o
 * is not NULL its packs.
 */
static enum store_status
load_lines(struct store *st, struct store_order_row *row, struct order *o)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	bool full = false;
	int rc;

	row->packs[0] = '\0';
	row->total_packs = 0;
	if (o != NULL)
		o->npacks = 0;
	if (db_prepare(st->db, "SELECT pack, qty, variant FROM order_lines "
	    "WHERE order_id = ? ORDER BY id", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_int64(s, 1, row->id) != SQLITE_OK) {
		ret = sqlfail(st, "cannot read order lines");
		goto out;
	}
	for (;;) {
		char pack[CATALOGUE_CODE_MAX], variant[CATALOGUE_VARIANT_MAX];
		char piece[64];
		int qty;

		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW)
			break;
		qty = sqlite3_column_int(s, 1);

		if (db_column_text(s, 0, pack, sizeof(pack)) != 0 ||
		    db_column_text(s, 2, variant, sizeof(variant)) != 0) {
			ret = fail(st, STORE_ERR_DB, "order %s has a malformed "
			    "line", row->ref);
			goto out;
		}
		if (row->total_packs <= INT32_MAX - qty)
			row->total_packs += qty;
		if ((variant[0] != '\0' ?
		    str_printf(piece, sizeof(piece), "%s x%d (%s)", pack, qty,
		    variant) :
		    str_printf(piece, sizeof(piece), "%s x%d", pack, qty)) <
		    0) {
			ret = fail(st, STORE_ERR_DB, "order %s has a malformed "
			    "line", row->ref);
			goto out;
		}
		summary_add(row->packs, sizeof(row->packs), piece, &full);
		if (o != NULL) {
			struct order_line *l;

			if (o->npacks >= ORDER_PACKS_MAX) {
				ret = fail(st, STORE_ERR_DB, "order %s has too "
				    "many lines", row->ref);
				goto out;
			}
			l = &o->packs[o->npacks++];
			/* Same sizes as the buffers read into above. */
			memcpy(l->pack, pack, sizeof(l->pack));
			memcpy(l->variant, variant, sizeof(l->variant));
			l->qty = qty;
		}
	}
	if (rc != SQLITE_DONE) {
		ret = sqlfail(st, "cannot read order lines");
		goto out;
	}
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/* Find an order by canonical ref or token; clear columns and lines. */
static enum store_status
find_order(struct store *st, const char *canon, bool is_token,
    struct store_order_row *row)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	int rc;

	if (db_prepare(st->db, is_token ?
	    "SELECT " ROW_COLS ROW_FROM "WHERE o.token = ?" :
	    "SELECT " ROW_COLS ROW_FROM "WHERE o.ref = ?", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_text(s, 1, canon) != SQLITE_OK) {
		ret = sqlfail(st, "cannot find the order");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		/* A token is a capability: do not echo it. */
		if (is_token)
			ret = fail(st, STORE_ERR_NOT_FOUND, "no order has that "
			    "tracking token");
		else
			ret = fail(st, STORE_ERR_NOT_FOUND, "order %s not "
			    "found", canon);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = sqlfail(st, "cannot find the order");
		goto out;
	}
	ret = read_row(st, s, row);
	if (ret != STORE_OK)
		goto out;
	ret = load_lines(st, row, NULL);
out:
	sqlite3_finalize(s);
	return ret;
}

enum store_status
store_order_get(struct store *st, const char *ref, struct store_order_row *row)
{
	char canon[STORE_TOKEN_MAX];
	bool is_token;
	enum store_status ret;

	st->err[0] = '\0';
	ret = parse_ref(st, ref, canon, &is_token);
	if (ret != STORE_OK)
		return ret;
	return find_order(st, canon, is_token, row);
}

enum store_status
store_order_open(struct store *st, const struct centre_key *key,
    const char *ref, const char *actor, struct order *o,
    struct store_order_row *row)
{
	sqlite3_stmt *s = NULL;
	struct store_order_row r;
	enum store_status ret = STORE_ERR_DB;
	char canon[STORE_TOKEN_MAX], aad[STORE_AAD_MAX];
	bool is_token;
	int rc;

	st->err[0] = '\0';
	memset(o, 0, sizeof(*o));
	if (key == NULL)
		return fail(st, STORE_ERR_INVALID, "no key to open the order");
	if (!actor_ok(actor))
		return fail(st, STORE_ERR_INVALID, "actor is missing or not "
		    "plain text");
	ret = parse_ref(st, ref, canon, &is_token);
	if (ret != STORE_OK)
		return ret;

	/*
	 * Read, open and record the look in one write transaction: the
	 * data is handed out only once the "order.show" entry commits.
	 */
	if (db_begin(st->db, st->err, sizeof(st->err)) != 0)
		return STORE_ERR_DB;
	ret = find_order(st, canon, is_token, &r);
	if (ret != STORE_OK)
		goto out;
	ret = load_lines(st, &r, o);
	if (ret != STORE_OK)
		goto out;
	ret = STORE_ERR_DB;
	if (db_prepare(st->db, "SELECT o.sealed, coalesce(r.consent_call, 0), "
	    "coalesce(r.consent_sms, 0), coalesce(r.do_not_call, 0), "
	    "coalesce(r.sms_stopped, 0) FROM orders o LEFT JOIN recipients r "
	    "ON r.id = o.recipient_id WHERE o.id = ?", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_int64(s, 1, r.id) != SQLITE_OK) {
		ret = sqlfail(st, "cannot read the order");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		ret = sqlfail(st, "cannot read the order");
		goto out;
	}
	if (str_printf(aad, sizeof(aad), "orders/%s/pii", r.ref) < 0) {
		ret = fail(st, STORE_ERR_DB, "order reference too long");
		goto out;
	}
	ret = open_pii(st, key, aad, sqlite3_column_blob(s, 0),
	    (size_t)sqlite3_column_bytes(s, 0), o);
	if (ret != STORE_OK) {
		/* Name the order: the reason alone does not say which. */
		char why[DB_ERRMSG_MAX];

		memcpy(why, st->err, sizeof(why));
		fail(st, ret, "order %s: %s", r.ref, why);
		goto out;
	}
	/* The recipient's standing wishes override the order's consent. */
	o->consent_call = sqlite3_column_int(s, 1) != 0 &&
	    sqlite3_column_int(s, 3) == 0;
	o->consent_sms = sqlite3_column_int(s, 2) != 0 &&
	    sqlite3_column_int(s, 4) == 0;
	memcpy(o->dept, r.dept, sizeof(o->dept));
	memcpy(o->lang, r.lang, sizeof(o->lang));
	o->for_people = r.for_people;
	o->channel = r.channel;
	if (!o->poste_restante)
		for (size_t i = 0; i < o->nlines && i < ADDRESS_LINES_MAX; i++)
			if (address_is_poste_restante(o->lines[i]))
				o->poste_restante = true;
	sqlite3_finalize(s);
	s = NULL;

	ret = STORE_ERR_DB;
	if (audit_append(st->db, actor, "order.show", r.ref, NULL, NULL,
	    st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_commit(st->db, st->err, sizeof(st->err)) != 0)
		goto out;
	if (row != NULL)
		*row = r;
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	if (ret != STORE_OK) {
		db_rollback(st->db);
		order_clear(o);
	}
	return ret;
}

/* ---- adding orders ---- */

/* Keyed pseudonyms and sealed text computed before taking the lock. */
struct order_keys {
	bool has_phone;
	uint8_t phone[PSEUDONYM_LEN];
	uint8_t address[PSEUDONYM_LEN];
};

/*
 * The address pseudonym: HMAC of address_normalise(lines, postcode,
 * commune).  A poste restante address is shared by everyone who collects
 * at that office, so there the chosen name (which the counter checks) is
 * part of it: two people at one office stay two recipients.
 */
static enum store_status
compute_keys(struct store *st, const struct centre_key *key,
    const struct order *o, struct order_keys *k)
{
	const char *lines[ADDRESS_LINES_MAX + 1];
	char norm[(ADDRESS_LINES_MAX + 3) * ADDRESS_LINE_BYTES];
	size_t n = 0;
	bool pr = o->poste_restante;
	enum store_status ret = STORE_ERR_CRYPTO;

	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < o->nlines; i++)
		if (address_is_poste_restante(o->lines[i]))
			pr = true;
	if (pr)
		lines[n++] = o->pseudonym;
	for (size_t i = 0; i < o->nlines; i++)
		lines[n++] = o->lines[i];
	if (address_normalise(lines, n, o->postcode, o->commune, norm,
	    sizeof(norm)) != 0) {
		ret = fail(st, STORE_ERR_INVALID, "address does not normalise "
		    "(too long)");
		goto out;
	}
	if (pseudonym_compute(key_pepper(key), KEY_PEPPER_LEN, "address", norm,
	    strlen(norm), k->address) != 0) {
		ret = fail(st, STORE_ERR_CRYPTO, "cannot compute the address "
		    "pseudonym");
		goto out;
	}
	if (o->phone[0] != '\0') {
		if (pseudonym_compute(key_pepper(key), KEY_PEPPER_LEN, "phone",
		    o->phone, strlen(o->phone), k->phone) != 0) {
			ret = fail(st, STORE_ERR_CRYPTO, "cannot compute the "
			    "phone pseudonym");
			goto out;
		}
		k->has_phone = true;
	}
	ret = STORE_OK;
out:
	OPENSSL_cleanse(norm, sizeof(norm));
	return ret;
}

/* The recipient id @sql finds from ?1 the centre and ?2 a pseudonym. */
static enum store_status
find_recipient(struct store *st, const char *sql, int64_t centre_id,
    const uint8_t *key, int64_t *rid, bool *found)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	int rc;

	*found = false;
	if (db_prepare(st->db, sql, &s, st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_blob(s, 2, key, PSEUDONYM_LEN) != SQLITE_OK) {
		ret = sqlfail(st, "cannot look up the recipient");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*rid = sqlite3_column_int64(s, 0);
		*found = true;
	} else if (rc != SQLITE_DONE) {
		ret = sqlfail(st, "cannot look up the recipient");
		goto out;
	}
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * Find the recipient: by phone pseudonym first; else by address
 * pseudonym, but when the order gives a phone only among recipients with
 * no phone on file (same address, another phone: a housemate, another
 * person); else a new recipient.
 */
static enum store_status
link_recipient(struct store *st, int64_t centre_id, const struct order *o,
    const struct order_keys *k, time_t now, int64_t *rid, bool *existed)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret;

	*existed = false;
	if (k->has_phone) {
		ret = find_recipient(st, "SELECT id FROM recipients WHERE "
		    "centre_id = ?1 AND phone_key = ?2", centre_id, k->phone,
		    rid, existed);
		if (ret != STORE_OK || *existed)
			return ret;
		ret = find_recipient(st, "SELECT id FROM recipients WHERE "
		    "centre_id = ?1 AND address_key = ?2 AND phone_key IS NULL "
		    "ORDER BY last_order_at DESC, id DESC LIMIT 1", centre_id,
		    k->address, rid, existed);
	} else {
		ret = find_recipient(st, "SELECT id FROM recipients WHERE "
		    "centre_id = ?1 AND address_key = ?2 "
		    "ORDER BY last_order_at DESC, id DESC LIMIT 1", centre_id,
		    k->address, rid, existed);
	}
	if (ret != STORE_OK || *existed)
		return ret;

	ret = STORE_ERR_DB;
	if (db_prepare(st->db, "INSERT INTO recipients (centre_id, phone_key, "
	    "address_key, lang, first_seen) VALUES (?, ?, ?, ?, ?)", &s,
	    st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_blob(s, 2, k->has_phone ? k->phone : NULL,
	    PSEUDONYM_LEN) != SQLITE_OK ||
	    db_bind_blob(s, 3, k->address, PSEUDONYM_LEN) != SQLITE_OK ||
	    db_bind_text(s, 4, o->lang) != SQLITE_OK ||
	    db_bind_int64(s, 5, (int64_t)now) != SQLITE_OK) {
		ret = sqlfail(st, "cannot add the recipient");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		ret = sqlfail(st, "cannot add the recipient");
		goto out;
	}
	*rid = sqlite3_last_insert_rowid(st->db);
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * Refresh the recipient's sealed PII (pseudonym, address, phone: the
 * latest known; a phone on file survives an order without one), its
 * pseudonyms, consents, language and last order time.
 */
static enum store_status
update_recipient(struct store *st, const struct centre_key *key,
    int64_t rid, bool existed, const struct order *o,
    const struct order_keys *k, time_t now)
{
	sqlite3_stmt *s = NULL;
	struct order *p = NULL;
	char aad[STORE_AAD_MAX], *json = NULL;
	uint8_t *blob = NULL;
	size_t jsonlen = 0, bloblen = 0;
	enum store_status ret = STORE_ERR_DB;
	int rc;

	if (str_printf(aad, sizeof(aad), "recipients/%lld/pii",
	    (long long)rid) < 0)
		return fail(st, STORE_ERR_DB, "recipient id too long");
	/* A few KB: on the heap, wiped by order_clear() on the way out. */
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return fail(st, STORE_ERR_DB, "out of memory");

	if (existed && !k->has_phone) {
		if (db_prepare(st->db, "SELECT sealed FROM recipients "
		    "WHERE id = ?", &s, st->err, sizeof(st->err)) != 0)
			goto out;
		if (db_bind_int64(s, 1, rid) != SQLITE_OK) {
			ret = sqlfail(st, "cannot read the recipient");
			goto out;
		}
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			ret = sqlfail(st, "cannot read the recipient");
			goto out;
		}
		/*
		 * Best effort: a blob that no longer opens (an old key)
		 * only loses the phone on file, never the order.
		 */
		if (sqlite3_column_type(s, 0) == SQLITE_BLOB &&
		    open_pii(st, key, aad, sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), p) != STORE_OK)
			p->phone[0] = '\0';
		st->err[0] = '\0';
		sqlite3_finalize(s);
		s = NULL;
	}
	/* Keep the old phone (if any), take everything else from @o. */
	{
		char phone[PHONE_E164_MAX];

		memcpy(phone, p->phone, sizeof(phone));
		order_clear(p);
		memcpy(p, o, sizeof(*p));
		OPENSSL_cleanse(p->note, sizeof(p->note));
		if (!k->has_phone)
			memcpy(p->phone, phone, sizeof(phone));
		OPENSSL_cleanse(phone, sizeof(phone));
	}
	if (order_encode(p, ORDER_ENCODE_PII, &json, &jsonlen) != 0) {
		ret = fail(st, STORE_ERR_CRYPTO, "cannot encode the recipient");
		goto out;
	}
	ret = seal_json(st, key, aad, json, jsonlen, &blob, &bloblen);
	if (ret != STORE_OK)
		goto out;
	ret = STORE_ERR_DB;
	if (db_prepare(st->db,
	    "UPDATE recipients SET sealed = ?1, "
	    "phone_key = coalesce(?2, phone_key), address_key = ?3, "
	    "consent_call = ?4, consent_sms = ?5, lang = ?6, "
	    "last_order_at = ?7 WHERE id = ?8", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_blob(s, 1, blob, bloblen) != SQLITE_OK ||
	    db_bind_blob(s, 2, k->has_phone ? k->phone : NULL,
	    PSEUDONYM_LEN) != SQLITE_OK ||
	    db_bind_blob(s, 3, k->address, PSEUDONYM_LEN) != SQLITE_OK ||
	    db_bind_int64(s, 4, o->consent_call ? 1 : 0) != SQLITE_OK ||
	    db_bind_int64(s, 5, o->consent_sms ? 1 : 0) != SQLITE_OK ||
	    db_bind_text(s, 6, o->lang) != SQLITE_OK ||
	    db_bind_int64(s, 7, (int64_t)now) != SQLITE_OK ||
	    db_bind_int64(s, 8, rid) != SQLITE_OK) {
		ret = sqlfail(st, "cannot update the recipient");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		ret = sqlfail(st, "cannot update the recipient");
		goto out;
	}
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	str_wipe_free(json);
	free(blob);
	if (p != NULL) {
		order_clear(p);
		free(p);
	}
	return ret;
}

/* Non-cancelled orders of @rid received since @since. */
static enum store_status
recent_orders(struct store *st, int64_t rid, time_t since, int64_t *n)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;

	if (db_prepare(st->db, "SELECT count(*) FROM orders WHERE "
	    "recipient_id = ? AND received_at >= ? AND status != 'cancelled'",
	    &s, st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_bind_int64(s, 1, rid) != SQLITE_OK ||
	    db_bind_int64(s, 2, (int64_t)since) != SQLITE_OK) {
		ret = sqlfail(st, "cannot count orders");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_ROW) {
		ret = sqlfail(st, "cannot count orders");
		goto out;
	}
	*n = sqlite3_column_int64(s, 0);
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/* The existing order for idempotency key @idem, if any. */
static enum store_status
find_idem(struct store *st, const char *idem, char ref[STORE_REF_MAX],
    char token[STORE_TOKEN_MAX], bool *found)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	int rc;

	*found = false;
	if (db_prepare(st->db,
	    "SELECT ref, token FROM orders WHERE idem = ?", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_text(s, 1, idem) != SQLITE_OK) {
		ret = sqlfail(st, "cannot look up the idempotency key");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (db_column_text(s, 0, ref, STORE_REF_MAX) != 0 ||
		    db_column_text(s, 1, token, STORE_TOKEN_MAX) != 0) {
			ret = fail(st, STORE_ERR_DB, "malformed order "
			    "reference");
			goto out;
		}
		*found = true;
	} else if (rc != SQLITE_DONE) {
		ret = sqlfail(st, "cannot look up the idempotency key");
		goto out;
	}
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * A fresh reference and tracking token, neither used yet.  40 random bits
 * collide rarely, but they will one day: retry a few times.
 */
static enum store_status
new_ref(struct store *st, char ref[STORE_REF_MAX],
    char token[STORE_TOKEN_MAX])
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	int rc;

	if (db_prepare(st->db,
	    "SELECT 1 FROM orders WHERE ref = ? OR token = ?", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	for (int tries = 0; tries < STORE_TOKEN_TRIES; tries++) {
		if (token_new(ref, STORE_REF_MAX, TOKEN_REF_DIGITS) !=
		    TOKEN_OK || token_new(token, STORE_TOKEN_MAX,
		    TOKEN_TRACK_DIGITS) != TOKEN_OK) {
			ret = fail(st, STORE_ERR_CRYPTO, "cannot draw a random "
			    "reference");
			goto out;
		}
		if (sqlite3_reset(s) != SQLITE_OK ||
		    db_bind_text(s, 1, ref) != SQLITE_OK ||
		    db_bind_text(s, 2, token) != SQLITE_OK) {
			ret = sqlfail(st, "cannot check the reference");
			goto out;
		}
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE) {
			ret = STORE_OK;
			goto out;
		}
		if (rc != SQLITE_ROW) {
			ret = sqlfail(st, "cannot check the reference");
			goto out;
		}
	}
	ret = fail(st, STORE_ERR_DB, "no unused order reference after %d "
	    "tries", STORE_TOKEN_TRIES);
out:
	sqlite3_finalize(s);
	return ret;
}

static enum store_status
insert_order(struct store *st, int64_t centre_id, const struct order *o,
    enum order_status status, const char *idem, int64_t rid,
    const char *flag, const char *ref, const char *token,
    const uint8_t *blob, size_t bloblen, time_t received, time_t now)
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	int64_t oid;

	if (db_prepare(st->db, "INSERT INTO orders (centre_id, ref, token, "
	    "recipient_id, channel, status, flagged, flag_reason, for_people, "
	    "lang, dept, idem, sealed, received_at, accepted_at, updated_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16)", &s, st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_text(s, 2, ref) != SQLITE_OK ||
	    db_bind_text(s, 3, token) != SQLITE_OK ||
	    db_bind_int64(s, 4, rid) != SQLITE_OK ||
	    db_bind_text(s, 5, order_channel_name(o->channel)) != SQLITE_OK ||
	    db_bind_text(s, 6, order_status_name(status)) != SQLITE_OK ||
	    db_bind_int64(s, 7, flag[0] != '\0' ? 1 : 0) != SQLITE_OK ||
	    db_bind_text(s, 8, flag[0] != '\0' ? flag : NULL) != SQLITE_OK ||
	    db_bind_int64(s, 9, o->for_people) != SQLITE_OK ||
	    db_bind_text(s, 10, o->lang) != SQLITE_OK ||
	    db_bind_text(s, 11, o->dept) != SQLITE_OK ||
	    db_bind_text(s, 12, idem) != SQLITE_OK ||
	    db_bind_blob(s, 13, blob, bloblen) != SQLITE_OK ||
	    db_bind_int64(s, 14, (int64_t)received) != SQLITE_OK ||
	    db_bind_int64(s, 16, (int64_t)now) != SQLITE_OK ||
	    (status == ORDER_ACCEPTED ?
	    db_bind_int64(s, 15, (int64_t)now) :
	    sqlite3_bind_null(s, 15)) != SQLITE_OK) {
		ret = sqlfail(st, "cannot add the order");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		ret = sqlfail(st, "cannot add the order");
		goto out;
	}
	oid = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	s = NULL;

	if (db_prepare(st->db, "INSERT INTO order_lines (order_id, pack, qty, "
	    "variant) VALUES (?, ?, ?, ?)", &s, st->err, sizeof(st->err)) != 0)
		goto out;
	for (size_t i = 0; i < o->npacks; i++) {
		const struct order_line *l = &o->packs[i];

		if (sqlite3_reset(s) != SQLITE_OK ||
		    db_bind_int64(s, 1, oid) != SQLITE_OK ||
		    db_bind_text(s, 2, l->pack) != SQLITE_OK ||
		    db_bind_int64(s, 3, l->qty) != SQLITE_OK ||
		    db_bind_text(s, 4, l->variant) != SQLITE_OK) {
			ret = sqlfail(st, "cannot add the order lines");
			goto out;
		}
		if (sqlite3_step(s) != SQLITE_DONE) {
			ret = sqlfail(st, "cannot add the order lines");
			goto out;
		}
	}
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/* Structural checks on @o: counts in range, strings terminated. */
static bool
order_shape_ok(const struct order *o)
{
	if (o->npacks < 1 || o->npacks > ORDER_PACKS_MAX ||
	    o->nlines > ADDRESS_LINES_MAX)
		return false;
	if (!terminated(o->pseudonym, sizeof(o->pseudonym)) ||
	    !terminated(o->postcode, sizeof(o->postcode)) ||
	    !terminated(o->commune, sizeof(o->commune)) ||
	    !terminated(o->phone, sizeof(o->phone)) ||
	    !terminated(o->note, sizeof(o->note)) ||
	    !terminated(o->dept, sizeof(o->dept)) ||
	    !terminated(o->lang, sizeof(o->lang)))
		return false;
	for (size_t i = 0; i < o->nlines; i++)
		if (!terminated(o->lines[i], sizeof(o->lines[i])))
			return false;
	for (size_t i = 0; i < o->npacks; i++)
		if (!terminated(o->packs[i].pack, sizeof(o->packs[i].pack)) ||
		    !terminated(o->packs[i].variant,
		    sizeof(o->packs[i].variant)))
			return false;
	return (unsigned)o->channel <= ORDER_CHANNEL_SMS;
}

/*
 * Take the reference and token the intake node drew: well-formed (check
 * characters right) and not used by another order.
 */
static enum store_status
given_ref(struct store *st, const char *want_ref, const char *want_tok,
    char ref[STORE_REF_MAX], char token[STORE_TOKEN_MAX])
{
	sqlite3_stmt *s = NULL;
	enum store_status ret = STORE_ERR_DB;
	int rc;

	if (want_tok == NULL ||
	    token_parse(want_ref, TOKEN_REF_DIGITS, ref, STORE_REF_MAX) !=
	    TOKEN_OK ||
	    token_parse(want_tok, TOKEN_TRACK_DIGITS, token, STORE_TOKEN_MAX) !=
	    TOKEN_OK)
		return fail(st, STORE_ERR_INVALID, "the intake node's reference "
		    "or tracking token is malformed");
	if (db_prepare(st->db,
	    "SELECT 1 FROM orders WHERE ref = ? OR token = ?", &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_text(s, 1, ref) != SQLITE_OK ||
	    db_bind_text(s, 2, token) != SQLITE_OK) {
		ret = sqlfail(st, "cannot check the reference");
		goto out;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ret = fail(st, STORE_ERR_DUPLICATE, "reference %s or its "
		    "tracking token is already used by another order", ref);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = sqlfail(st, "cannot check the reference");
		goto out;
	}
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/*
 * store_order_add() and store_order_import(): @want_ref and @want_tok,
 * when not NULL, are the canonical reference and token the intake node
 * gave the order; @received, when not 0, the time it received it.
 */
static enum store_status
order_add(struct store *st, const struct centre_key *key,
    int64_t centre_id, const struct order *o, enum order_status initial,
    const char *idem, int flag_qty, int flag_days, const char *actor,
    const char *want_ref, const char *want_tok, time_t received,
    char ref[STORE_REF_MAX], char token[STORE_TOKEN_MAX])
{
	struct order_keys k;
	char newref[STORE_REF_MAX], newtok[STORE_TOKEN_MAX];
	char flag[STORE_FLAG_MAX], detail[AUDIT_DETAIL_MAX], aad[STORE_AAD_MAX];
	char *json = NULL;
	uint8_t *blob = NULL;
	size_t jsonlen = 0, bloblen = 0;
	enum store_status ret;
	int64_t rid = 0, recent = 0;
	bool existed = false, found = false;
	int total;
	time_t now;

	st->err[0] = '\0';
	memset(&k, 0, sizeof(k));
	flag[0] = '\0';
	if (key == NULL || o == NULL || ref == NULL || token == NULL)
		return fail(st, STORE_ERR_INVALID, "order, key or output "
		    "missing");
	if (initial != ORDER_RECEIVED && initial != ORDER_ACCEPTED)
		return fail(st, STORE_ERR_INVALID, "a new order is received "
		    "or accepted");
	if (idem != NULL && idem[0] == '\0')
		idem = NULL;
	if (idem != NULL && !idem_ok(idem))
		return fail(st, STORE_ERR_INVALID, "idempotency key must be "
		    "1 to %d printable ASCII characters without spaces",
		    STORE_IDEM_MAX);
	if (flag_qty < 0 || flag_days < 0 || flag_days > STORE_FLAG_DAYS_MAX)
		return fail(st, STORE_ERR_INVALID, "flag thresholds out of "
		    "range");
	if (!actor_ok(actor))
		return fail(st, STORE_ERR_INVALID, "actor is missing or not "
		    "plain text");
	if (!order_shape_ok(o))
		return fail(st, STORE_ERR_INVALID, "order has no packs, too "
		    "many lines or an unterminated field");
	total = order_total_packs(o);

	/* The CPU work that needs no lock: pseudonyms and the PII JSON. */
	ret = compute_keys(st, key, o, &k);
	if (ret != STORE_OK)
		goto out;
	if (order_encode(o, ORDER_ENCODE_PII, &json, &jsonlen) != 0) {
		ret = fail(st, STORE_ERR_INVALID, "cannot encode the order");
		goto out;
	}

	ret = STORE_ERR_DB;
	if (db_begin(st->db, st->err, sizeof(st->err)) != 0)
		goto out;
	if (idem != NULL) {
		ret = find_idem(st, idem, newref, newtok, &found);
		if (ret != STORE_OK)
			goto out;
		if (found) {
			/* Nothing written; hand back the first order. */
			memcpy(ref, newref, STORE_REF_MAX);
			memcpy(token, newtok, STORE_TOKEN_MAX);
			ret = fail(st, STORE_ERR_DUPLICATE, "order already "
			    "recorded as %s (same idempotency key)", newref);
			goto out;
		}
	}
	ret = centre_exists(st, centre_id, NULL, 0);
	if (ret != STORE_OK)
		goto out;
	now = clock_now();
	ret = link_recipient(st, centre_id, o, &k, now, &rid, &existed);
	if (ret != STORE_OK)
		goto out;

	/* Flag, never refuse. */
	if (flag_qty > 0 && total > flag_qty &&
	    str_printf(flag, sizeof(flag), "large order: %d packs",
	    total) < 0) {
		ret = fail(st, STORE_ERR_DB, "flag reason too long");
		goto out;
	}
	if (flag_days > 0 && existed) {
		ret = recent_orders(st, rid, now - (time_t)flag_days * DAY,
		    &recent);
		if (ret != STORE_OK)
			goto out;
		if (recent > 0) {
			size_t used = strlen(flag);

			if (str_printf(flag + used, sizeof(flag) - used,
			    "%ssecond order within %d days",
			    used > 0 ? "; " : "", flag_days) < 0) {
				ret = fail(st, STORE_ERR_DB, "flag reason too "
				    "long");
				goto out;
			}
		}
	}

	if (want_ref != NULL) {
		ret = given_ref(st, want_ref, want_tok, newref, newtok);
		if (ret != STORE_OK)
			goto out;
	} else {
		ret = new_ref(st, newref, newtok);
		if (ret != STORE_OK)
			goto out;
	}
	if (str_printf(aad, sizeof(aad), "orders/%s/pii", newref) < 0) {
		ret = fail(st, STORE_ERR_DB, "order reference too long");
		goto out;
	}
	ret = seal_json(st, key, aad, json, jsonlen, &blob, &bloblen);
	if (ret != STORE_OK)
		goto out;
	ret = insert_order(st, centre_id, o, initial, idem, rid, flag, newref,
	    newtok, blob, bloblen, received != 0 ? received : now, now);
	if (ret != STORE_OK)
		goto out;
	ret = update_recipient(st, key, rid, existed, o, &k, now);
	if (ret != STORE_OK)
		goto out;

	ret = STORE_ERR_DB;
	if (str_printf(detail, sizeof(detail), "%s, %s, %d packs, recipient "
	    "%lld%s%s", order_status_name(initial),
	    order_channel_name(o->channel), total, (long long)rid,
	    flag[0] != '\0' ? ", flagged: " : "", flag) < 0) {
		ret = fail(st, STORE_ERR_DB, "audit detail too long");
		goto out;
	}
	if (audit_append(st->db, actor, "order.add", newref, detail, NULL,
	    st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_commit(st->db, st->err, sizeof(st->err)) != 0)
		goto out;
	memcpy(ref, newref, STORE_REF_MAX);
	memcpy(token, newtok, STORE_TOKEN_MAX);
	ret = STORE_OK;
out:
	if (ret != STORE_OK)
		db_rollback(st->db);
	str_wipe_free(json);
	free(blob);
	OPENSSL_cleanse(&k, sizeof(k));
	return ret;
}

/* ---- lifecycle ---- */

bool
store_transition_allowed(enum order_status from, enum order_status to)
{
	switch (from) {
	case ORDER_RECEIVED:
		return to == ORDER_ACCEPTED || to == ORDER_CANCELLED;
	case ORDER_ACCEPTED:
		return to == ORDER_PACKED || to == ORDER_CANCELLED;
	case ORDER_PACKED:
		return to == ORDER_SHIPPED || to == ORDER_CANCELLED;
	case ORDER_SHIPPED:
		return to == ORDER_DELIVERED || to == ORDER_RETURNED;
	default:
		return false;
	}
}

/*
 * One UPDATE per target status, so the column name is never built at run
 * time.  ?1 new status, ?2 now, ?3 order id, ?4 the status we read.
 */
static const char *const transition_sql[ORDER_STATUS_COUNT] = {
	[ORDER_ACCEPTED] = "UPDATE orders SET status = ?1, accepted_at = ?2, "
	    "updated_at = ?2 WHERE id = ?3 AND status = ?4",
	[ORDER_PACKED] = "UPDATE orders SET status = ?1, packed_at = ?2, "
	    "updated_at = ?2 WHERE id = ?3 AND status = ?4",
	[ORDER_SHIPPED] = "UPDATE orders SET status = ?1, shipped_at = ?2, "
	    "updated_at = ?2 WHERE id = ?3 AND status = ?4",
	[ORDER_DELIVERED] = "UPDATE orders SET status = ?1, delivered_at = ?2, "
	    "updated_at = ?2 WHERE id = ?3 AND status = ?4",
	[ORDER_RETURNED] = "UPDATE orders SET status = ?1, returned_at = ?2, "
	    "updated_at = ?2 WHERE id = ?3 AND status = ?4",
	[ORDER_CANCELLED] = "UPDATE orders SET status = ?1, cancelled_at = ?2, "
	    "updated_at = ?2 WHERE id = ?3 AND status = ?4",
};

/* The sentence for an illegal move; names statuses and the ref only. */
static enum store_status
refuse_move(struct store *st, const char *ref, enum order_status from,
    enum order_status to)
{
	const char *f = order_status_name(from), *t = order_status_name(to);
	char next[64] = "";

	if (from == to)
		return fail(st, STORE_ERR_TRANSITION, "order %s is already %s",
		    ref, f);
	if (to == ORDER_CANCELLED)
		return fail(st, STORE_ERR_TRANSITION, "cannot move order %s "
		    "from %s to %s: cancel is possible until shipped", ref, f,
		    t);
	for (int i = 0; i < ORDER_STATUS_COUNT; i++) {
		if (!store_transition_allowed(from, (enum order_status)i))
			continue;
		size_t used = strlen(next);

		if (str_printf(next + used, sizeof(next) - used, "%s%s",
		    used > 0 ? " or " : "",
		    order_status_name((enum order_status)i)) < 0)
			break;
	}
	if (next[0] == '\0')
		return fail(st, STORE_ERR_TRANSITION, "cannot move order %s "
		    "from %s to %s: %s is final", ref, f, t, f);
	return fail(st, STORE_ERR_TRANSITION, "cannot move order %s from %s "
	    "to %s: from %s it can only become %s", ref, f, t, f, next);
}

/*
 * The move itself, inside an open transaction: read the order, check the
 * move, update it, append the audit entry.  The caller commits or rolls
 * back.
 */
static enum store_status
transition_in_tx(struct store *st, const char *canon, bool is_token,
    enum order_status to, const char *actor, int64_t *order_id)
{
	sqlite3_stmt *s = NULL;
	struct store_order_row r;
	enum store_status ret;
	char action[32], detail[64];
	time_t now;

	ret = find_order(st, canon, is_token, &r);
	if (ret != STORE_OK)
		goto out;
	if (!store_transition_allowed(r.status, to) ||
	    transition_sql[to] == NULL) {
		ret = refuse_move(st, r.ref, r.status, to);
		goto out;
	}
	ret = STORE_ERR_DB;
	now = clock_now();
	if (db_prepare(st->db, transition_sql[to], &s, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_bind_text(s, 1, order_status_name(to)) != SQLITE_OK ||
	    db_bind_int64(s, 2, (int64_t)now) != SQLITE_OK ||
	    db_bind_int64(s, 3, r.id) != SQLITE_OK ||
	    db_bind_text(s, 4, order_status_name(r.status)) != SQLITE_OK) {
		ret = sqlfail(st, "cannot move the order");
		goto out;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		ret = sqlfail(st, "cannot move the order");
		goto out;
	}
	if (sqlite3_changes(st->db) != 1) {
		ret = fail(st, STORE_ERR_DB, "order %s changed under us",
		    r.ref);
		goto out;
	}
	if (str_printf(action, sizeof(action), "order.%s",
	    order_status_name(to)) < 0 ||
	    str_printf(detail, sizeof(detail), "from %s to %s",
	    order_status_name(r.status), order_status_name(to)) < 0) {
		ret = fail(st, STORE_ERR_DB, "audit detail too long");
		goto out;
	}
	if (audit_append(st->db, actor, action, r.ref, detail, NULL, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (order_id != NULL)
		*order_id = r.id;
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

/* Arguments both transition entry points check before any SQL. */
static enum store_status
transition_args(struct store *st, const char *ref, enum order_status to,
    const char *actor, char canon[STORE_TOKEN_MAX], bool *is_token)
{
	if ((unsigned)to >= ORDER_STATUS_COUNT)
		return fail(st, STORE_ERR_INVALID, "unknown order status");
	if (!actor_ok(actor))
		return fail(st, STORE_ERR_INVALID, "actor is missing or not "
		    "plain text");
	return parse_ref(st, ref, canon, is_token);
}

enum store_status
store_order_transition(struct store *st, const char *ref,
    enum order_status to, const char *actor)
{
	enum store_status ret;
	char canon[STORE_TOKEN_MAX];
	bool is_token;

	st->err[0] = '\0';
	ret = transition_args(st, ref, to, actor, canon, &is_token);
	if (ret != STORE_OK)
		return ret;
	if (db_begin(st->db, st->err, sizeof(st->err)) != 0)
		return STORE_ERR_DB;
	ret = transition_in_tx(st, canon, is_token, to, actor, NULL);
	if (ret == STORE_OK && db_commit(st->db, st->err,
	    sizeof(st->err)) != 0)
		ret = STORE_ERR_DB;
	if (ret != STORE_OK)
		db_rollback(st->db);
	return ret;
}

enum store_status
store_order_transition_tx(struct store *st, const char *ref,
    enum order_status to, const char *actor, int64_t *order_id)
{
	enum store_status ret;
	char canon[STORE_TOKEN_MAX];
	bool is_token;

	st->err[0] = '\0';
	/* The audit entry must commit or roll back with the caller's work. */
	if (sqlite3_get_autocommit(st->db))
		return fail(st, STORE_ERR_INVALID, "no transaction is open");
	ret = transition_args(st, ref, to, actor, canon, &is_token);
	if (ret != STORE_OK)
		return ret;
	return transition_in_tx(st, canon, is_token, to, actor, order_id);
}

/* ---- the queue ---- */

/*
 * Rows are read a batch at a time (keyset on received_at, id) and the
 * statement is finalized before the callbacks run, so a callback may use
 * the store, even move the order it is shown.
 */
enum store_status
store_queue(struct store *st, int64_t centre_id, int status,
    int (*cb)(const struct store_order_row *row, void *arg), void *arg)
{
	sqlite3_stmt *s = NULL;
	struct store_order_row *rows = NULL;
	enum store_status ret = STORE_ERR_DB;
	int64_t last_at = INT64_MIN, last_id = INT64_MIN;
	size_t n;
	int rc;

	st->err[0] = '\0';
	if (cb == NULL || (status != -1 &&
	    (status < 0 || status >= ORDER_STATUS_COUNT)))
		return fail(st, STORE_ERR_INVALID, "unknown order status");
	rows = calloc(STORE_QUEUE_BATCH, sizeof(*rows));
	if (rows == NULL)
		return fail(st, STORE_ERR_DB, "out of memory");
	for (;;) {
		if (db_prepare(st->db, "SELECT " ROW_COLS ROW_FROM
		    "WHERE (?1 = 0 OR o.centre_id = ?1) AND "
		    "(?2 IS NULL OR o.status = ?2) AND "
		    "(o.received_at, o.id) > (?3, ?4) "
		    "ORDER BY o.received_at, o.id LIMIT ?5", &s, st->err,
		    sizeof(st->err)) != 0)
			goto out;
		if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
		    db_bind_text(s, 2, status < 0 ? NULL :
		    order_status_name((enum order_status)status)) !=
		    SQLITE_OK ||
		    db_bind_int64(s, 3, last_at) != SQLITE_OK ||
		    db_bind_int64(s, 4, last_id) != SQLITE_OK ||
		    db_bind_int64(s, 5, STORE_QUEUE_BATCH) != SQLITE_OK) {
			ret = sqlfail(st, "cannot read the queue");
			goto out;
		}
		/* LIMIT keeps n within the batch; the test keeps it so. */
		for (n = 0; n < STORE_QUEUE_BATCH; n++) {
			rc = sqlite3_step(s);
			if (rc == SQLITE_DONE)
				break;
			if (rc != SQLITE_ROW) {
				ret = sqlfail(st, "cannot read the queue");
				goto out;
			}
			ret = read_row(st, s, &rows[n]);
			if (ret != STORE_OK)
				goto out;
		}
		sqlite3_finalize(s);
		s = NULL;
		for (size_t i = 0; i < n; i++) {
			ret = load_lines(st, &rows[i], NULL);
			if (ret != STORE_OK)
				goto out;
		}
		for (size_t i = 0; i < n; i++)
			if (cb(&rows[i], arg) != 0) {
				ret = STORE_OK;
				goto out;
			}
		if (n < STORE_QUEUE_BATCH)
			break;
		last_at = (int64_t)rows[n - 1].received_at;
		last_id = rows[n - 1].id;
	}
	ret = STORE_OK;
out:
	sqlite3_finalize(s);
	free(rows);
	return ret;
}

/* ---- audit ---- */

enum store_status
store_audit_verify(struct store *st, struct store_audit_report *rep)
{
	struct audit_report r;

	st->err[0] = '\0';
	memset(rep, 0, sizeof(*rep));
	if (audit_verify(st->db, &r, st->err, sizeof(st->err)) != 0)
		return STORE_ERR_DB;
	rep->checked = r.checked;
	rep->bad_id = r.bad_id;
	memcpy(rep->why, r.why, sizeof(rep->why));
	return STORE_OK;
}

enum store_status
store_audit(struct store *st, const char *actor, const char *action,
    const char *object, const char *detail)
{
	enum store_status ret = STORE_ERR_DB;

	st->err[0] = '\0';
	if (!actor_ok(actor))
		return fail(st, STORE_ERR_INVALID, "actor is missing or not "
		    "plain text");
	if (!text_ok(action, AUDIT_ACTION_MAX) ||
	    (object != NULL && object[0] != '\0' &&
	    !text_ok(object, AUDIT_OBJECT_MAX)) ||
	    (detail != NULL && detail[0] != '\0' &&
	    !text_ok(detail, AUDIT_DETAIL_MAX)))
		return fail(st, STORE_ERR_INVALID, "audit action, object or "
		    "detail is missing, too long or not plain text");
	if (db_begin(st->db, st->err, sizeof(st->err)) != 0)
		return STORE_ERR_DB;
	if (audit_append(st->db, actor, action, object, detail, NULL, st->err,
	    sizeof(st->err)) != 0)
		goto out;
	if (db_commit(st->db, st->err, sizeof(st->err)) != 0)
		goto out;
	ret = STORE_OK;
out:
	if (ret != STORE_OK)
		db_rollback(st->db);
	return ret;
}

/* Run @s once with its bindings, then reset it for the next row. */
static enum store_status
step_reset(struct store *st, sqlite3_stmt *s, const char *what)
{
	enum store_status ret = STORE_OK;

	if (sqlite3_step(s) != SQLITE_DONE)
		ret = sqlfail(st, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

enum store_status
store_catalogue_sync(struct store *st, const struct catalogue *cat,
    const char *actor)
{
	sqlite3_stmt *item = NULL, *pack = NULL, *clear = NULL, *content = NULL;
	enum store_status ret = STORE_ERR_DB;
	int64_t now = (int64_t)clock_now();
	char detail[64];
	size_t npacks = catalogue_npacks(cat), nitems = catalogue_nitems(cat);

	st->err[0] = '\0';
	if (!actor_ok(actor))
		return fail(st, STORE_ERR_INVALID, "actor is missing or not "
		    "plain text");
	if (db_begin(st->db, st->err, sizeof(st->err)) != 0)
		return STORE_ERR_DB;
	/*
	 * Upserts, never deletes: orders and stock lots refer to packs and
	 * items that a newer catalogue may have dropped.  A pack's contents
	 * are those of its current version.
	 */
	if (db_prepare(st->db, "INSERT INTO items (code, unit, expiry, low) "
	    "VALUES (?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
	    "unit = excluded.unit, expiry = excluded.expiry, "
	    "low = excluded.low", &item, st->err, sizeof(st->err)) != 0 ||
	    db_prepare(st->db, "INSERT INTO packs (code, version, weight, "
	    "updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET "
	    "version = excluded.version, weight = excluded.weight, "
	    "updated_at = excluded.updated_at WHERE version <> excluded.version "
	    "OR weight <> excluded.weight", &pack, st->err,
	    sizeof(st->err)) != 0 ||
	    db_prepare(st->db, "DELETE FROM pack_items WHERE pack = ?", &clear,
	    st->err, sizeof(st->err)) != 0 ||
	    db_prepare(st->db, "INSERT INTO pack_items (pack, item, variant, "
	    "qty) VALUES (?, ?, ?, ?)", &content, st->err,
	    sizeof(st->err)) != 0)
		goto out;

	for (size_t i = 0; i < nitems; i++) {
		const struct catalogue_item *it = catalogue_item_at(cat, i);

		if (db_bind_text(item, 1, it->code) != SQLITE_OK ||
		    db_bind_text(item, 2, it->unit) != SQLITE_OK ||
		    db_bind_int64(item, 3, it->expiry ? 1 : 0) != SQLITE_OK ||
		    db_bind_int64(item, 4, it->low) != SQLITE_OK) {
			ret = sqlfail(st, "cannot record an item");
			goto out;
		}
		ret = step_reset(st, item, "cannot record an item");
		if (ret != STORE_OK)
			goto out;
	}
	for (size_t i = 0; i < npacks; i++) {
		const struct catalogue_pack *p = catalogue_pack_at(cat, i);

		ret = STORE_ERR_DB;
		if (db_bind_text(pack, 1, p->code) != SQLITE_OK ||
		    db_bind_int64(pack, 2, p->version) != SQLITE_OK ||
		    db_bind_int64(pack, 3, p->weight) != SQLITE_OK ||
		    db_bind_int64(pack, 4, now) != SQLITE_OK ||
		    db_bind_text(clear, 1, p->code) != SQLITE_OK) {
			ret = sqlfail(st, "cannot record a pack");
			goto out;
		}
		ret = step_reset(st, pack, "cannot record a pack");
		if (ret == STORE_OK)
			ret = step_reset(st, clear, "cannot record a pack");
		if (ret != STORE_OK)
			goto out;
		for (size_t k = 0; k < p->nitems; k++) {
			const struct catalogue_pack_item *pi = &p->items[k];

			if (db_bind_text(content, 1, p->code) != SQLITE_OK ||
			    db_bind_text(content, 2, pi->item) != SQLITE_OK ||
			    db_bind_text(content, 3, pi->variant != NULL ?
			    pi->variant : "") != SQLITE_OK ||
			    db_bind_int64(content, 4, pi->qty) != SQLITE_OK) {
				ret = sqlfail(st, "cannot record a pack");
				goto out;
			}
			ret = step_reset(st, content, "cannot record a pack");
			if (ret != STORE_OK)
				goto out;
		}
	}
	ret = STORE_ERR_DB;
	(void)!str_printf(detail, sizeof(detail), "%zu packs, %zu items",
	    npacks, nitems);
	if (audit_append(st->db, actor, "catalogue.sync", "catalogue", detail,
	    NULL, st->err, sizeof(st->err)) != 0)
		goto out;
	if (db_commit(st->db, st->err, sizeof(st->err)) != 0)
		goto out;
	ret = STORE_OK;
out:
	sqlite3_finalize(item);
	sqlite3_finalize(pack);
	sqlite3_finalize(clear);
	sqlite3_finalize(content);
	if (ret != STORE_OK)
		db_rollback(st->db);
	return ret;
}

enum store_status
store_order_add(struct store *st, const struct centre_key *key,
    int64_t centre_id, const struct order *o, enum order_status initial,
    const char *idem, int flag_qty, int flag_days, const char *actor,
    char ref[STORE_REF_MAX], char token[STORE_TOKEN_MAX])
{
	return order_add(st, key, centre_id, o, initial, idem, flag_qty,
	    flag_days, actor, NULL, NULL, 0, ref, token);
}

enum store_status
store_order_import(struct store *st, const struct centre_key *key,
    int64_t centre_id, const struct order *o, enum order_status initial,
    const char *idem, int flag_qty, int flag_days, const char *actor,
    const char *given_ref_in, const char *given_token, time_t received,
    char ref[STORE_REF_MAX], char token[STORE_TOKEN_MAX])
{
	if (given_ref_in == NULL || given_token == NULL)
		return fail(st, STORE_ERR_INVALID, "an imported order needs "
		    "the intake node's reference and token");
	return order_add(st, key, centre_id, o, initial, idem, flag_qty,
	    flag_days, actor, given_ref_in, given_token, received, ref, token);
}
