/*
 * Check suite for orders/store.c and orders/db.c: migrations (applied once,
 * user_version, reopening, a newer database refused, a failing migration
 * rolled back), file modes and symlinks, centres and staff, every legal and
 * illegal lifecycle move (an illegal one changes nothing and adds no audit
 * entry), references in every form, idempotency, recipient linking by
 * phone and address, flagging, rollback of everything when a step fails,
 * the queue and its packs summary, and personal data: never in the raw
 * bytes of centre.db or its WAL, returned by store_order_open() with an
 * "order.show" audit entry, bound to its row by the AAD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/util.h"
#include "crypto/key.h"
#include "crypto/seal.h"
#include "crypto/token.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "orders/order.h"
#include "orders/outbox.h"
#include "orders/store.h"
#include "tests/testutil.h"

#define ACTOR "coord1"

/* centre.db migrations in orders/store.c: bump with each new one. */
#define SCHEMA_VERSION 7
#define SCHEMA_NEWER 8
#define STR(x) #x
#define XSTR(x) STR(x)

static char dir[4096];
static char dbpath[4200];
static char errbuf[512];
static struct centre_key *key;
static struct store *st;
static int64_t centre;

static void
setup(void)
{
	const char *d;

	unsetenv("HRPOST_NOW");
	d = testutil_mkdtemp();
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(str_copy(dir, sizeof(dir), d), 0);
	ck_assert_int_ge(str_printf(dbpath, sizeof(dbpath), "%s/centre.db",
	    dir), 0);
	key = key_generate();
	ck_assert_ptr_nonnull(key);
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "store_open: %s", errbuf);
	ck_assert_int_eq(store_centre_add(st, "millau", "Centre Millau",
	    "admin", &centre), STORE_OK);
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
	key_free(key);
	key = NULL;
	testutil_rmtree(dir);
	unsetenv("HRPOST_NOW");
}

/* ---- raw access to the file, as an attacker or a checker would ---- */

static sqlite3 *
raw_open(void)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void
raw_exec(const char *sql)
{
	sqlite3 *db = raw_open();
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
}

/* First column of the first row of @sql (one optional text parameter). */
static int64_t
raw_int(const char *sql, const char *arg)
{
	sqlite3 *db = raw_open();
	sqlite3_stmt *s = NULL;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
raw_text(const char *sql, const char *arg, char *out, size_t outsz)
{
	sqlite3 *db = raw_open();
	sqlite3_stmt *s = NULL;
	const unsigned char *t;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (arg != NULL)
		ck_assert_int_eq(sqlite3_bind_text(s, 1, arg, -1,
		    SQLITE_TRANSIENT), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	t = sqlite3_column_text(s, 0);
	ck_assert_int_eq(str_copy(out, outsz, t ? (const char *)t : ""), 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static int64_t
audit_count(void)
{
	return raw_int("SELECT count(*) FROM audit", NULL);
}

/* ---- orders ---- */

static void
make_order(struct order *o, const char *pseudonym, const char *line,
    const char *postcode, const char *commune, const char *phone)
{
	memset(o, 0, sizeof(*o));
	ck_assert_int_eq(str_copy(o->pseudonym, sizeof(o->pseudonym),
	    pseudonym), 0);
	ck_assert_int_eq(str_copy(o->lines[0], sizeof(o->lines[0]), line), 0);
	o->nlines = 1;
	ck_assert_int_eq(str_copy(o->postcode, sizeof(o->postcode), postcode),
	    0);
	ck_assert_int_eq(address_postcode_check(postcode, o->dept, NULL), 0);
	ck_assert_int_eq(str_copy(o->commune, sizeof(o->commune), commune), 0);
	ck_assert_int_eq(str_copy(o->phone, sizeof(o->phone),
	    phone != NULL ? phone : ""), 0);
	ck_assert_int_eq(str_copy(o->note, sizeof(o->note),
	    "Sonnez deux fois"), 0);
	ck_assert_int_eq(str_copy(o->lang, sizeof(o->lang), "fr"), 0);
	o->consent_call = phone != NULL;
	o->consent_sms = phone != NULL;
	o->for_people = 1;
	o->channel = ORDER_CHANNEL_WEB;
	ck_assert_int_eq(str_copy(o->packs[0].pack, sizeof(o->packs[0].pack),
	    "INJ"), 0);
	o->packs[0].qty = 2;
	ck_assert_int_eq(str_copy(o->packs[0].variant,
	    sizeof(o->packs[0].variant), "30G-8"), 0);
	ck_assert_int_eq(str_copy(o->packs[1].pack, sizeof(o->packs[1].pack),
	    "NALOX"), 0);
	o->packs[1].qty = 1;
	o->npacks = 2;
}

static void
default_order(struct order *o)
{
	make_order(o, "Camille", "12 rue des Lilas", "12100", "Millau",
	    "+33612345678");
}

/* Add @o, asserting success; returns the recipient id. */
static int64_t
add_ok(const struct order *o, char ref[STORE_REF_MAX])
{
	char token[STORE_TOKEN_MAX];
	struct store_order_row row;
	enum store_status rc;

	rc = store_order_add(st, key, centre, o, ORDER_RECEIVED, NULL, 0, 0,
	    ACTOR, ref, token);
	ck_assert_msg(rc == STORE_OK, "store_order_add: %s",
	    store_errmsg(st));
	ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
	return row.recipient_id;
}

static void
add_default(char ref[STORE_REF_MAX])
{
	struct order o;

	default_order(&o);
	(void)add_ok(&o, ref);
	order_clear(&o);
}

static enum order_status
status_of(const char *ref)
{
	struct store_order_row row;

	ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
	return row.status;
}

/* ---- migrations and files ---- */

START_TEST(test_migrations_once)
{
	int64_t tables;

	ck_assert_int_eq(raw_int("PRAGMA user_version", NULL), SCHEMA_VERSION);
	ck_assert_str_eq((raw_text("PRAGMA journal_mode", NULL, errbuf,
	    sizeof(errbuf)), errbuf), "wal");
	tables = raw_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table'", NULL);
	/*
	 * 15 tables of ours (inbox since migration 3, digests since 5) and
	 * sqlite_sequence.
	 */
	ck_assert_int_eq(tables, 16);

	/* Reopening applies nothing and keeps the data. */
	store_close(st);
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	ck_assert_int_eq(raw_int("PRAGMA user_version", NULL), SCHEMA_VERSION);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table'", NULL), tables);
	ck_assert_int_eq(store_centre_find(st, "millau", NULL), STORE_OK);
	store_close(st);
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	ck_assert_int_eq(raw_int("PRAGMA user_version", NULL), SCHEMA_VERSION);
}
END_TEST

START_TEST(test_newer_refused)
{
	store_close(st);
	st = NULL;
	raw_exec("PRAGMA user_version = " XSTR(SCHEMA_NEWER));
	ck_assert_ptr_null(store_open(dbpath, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "created by a newer hrpost") != NULL,
	    "%s", errbuf);
	raw_exec("PRAGMA user_version = " XSTR(SCHEMA_VERSION));
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
}
END_TEST

START_TEST(test_file_modes)
{
	char path[4300];
	struct stat sb;
	const char *suffix[] = { "", "-wal", "-shm" };
	struct store *st2;

	/* A permissive umask: db_open must not depend on ours. */
	umask(022);
	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/other.db", dir),
	    0);
	st2 = store_open(path, errbuf, sizeof(errbuf));
	ck_assert_msg(st2 != NULL, "%s", errbuf);
	for (size_t i = 0; i < ARRAY_LEN(suffix); i++) {
		char p[4400];

		ck_assert_int_ge(str_printf(p, sizeof(p), "%s%s", path,
		    suffix[i]), 0);
		ck_assert_int_eq(stat(p, &sb), 0);
		ck_assert_msg((sb.st_mode & 0777) == 0600, "%s: %o", p,
		    (unsigned)(sb.st_mode & 0777));
	}
	/* The umask is restored. */
	ck_assert_uint_eq(umask(022), 022);
	store_close(st2);
}
END_TEST

START_TEST(test_symlink_refused)
{
	char link[4300];

	ck_assert_int_ge(str_printf(link, sizeof(link), "%s/link.db", dir), 0);
	ck_assert_int_eq(symlink(dbpath, link), 0);
	ck_assert_ptr_null(store_open(link, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "symbolic link") != NULL, "%s", errbuf);
	ck_assert_ptr_null(store_open("", errbuf, sizeof(errbuf)));
	ck_assert_ptr_null(store_open(NULL, errbuf, sizeof(errbuf)));
}
END_TEST

/* db.c directly: a migration that fails half-way leaves nothing behind. */
START_TEST(test_migration_atomic)
{
	static const char *const good[] = {
		"CREATE TABLE a (x INTEGER);",
	};
	static const char *const bad[] = {
		"CREATE TABLE a (x INTEGER);",
		"CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1); "
		"CREATE TABLE a (z INTEGER);",
	};
	const struct db_schema s1 = { "t.db", good, 1 };
	const struct db_schema s2 = { "t.db", bad, 2 };
	char path[4300];
	sqlite3 *db;
	int v = -1;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/t.db", dir), 0);
	db = db_open(path, &s1, errbuf, sizeof(errbuf));
	ck_assert_msg(db != NULL, "%s", errbuf);
	db_close(db);
	ck_assert_ptr_null(db_open(path, &s2, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "t.db migration 2") != NULL, "%s",
	    errbuf);
	/* Still version 1, no table b, no row in a. */
	db = db_open(path, &s1, errbuf, sizeof(errbuf));
	ck_assert_msg(db != NULL, "%s", errbuf);
	ck_assert_int_eq(db_user_version(db, &v, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(v, 1);
	{
		sqlite3_stmt *s = NULL;

		ck_assert_int_eq(db_prepare(db, "SELECT (SELECT count(*) FROM "
		    "a), (SELECT count(*) FROM sqlite_master WHERE name = 'b')",
		    &s, errbuf, sizeof(errbuf)), 0);
		ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
		ck_assert_int_eq(sqlite3_column_int(s, 0), 0);
		ck_assert_int_eq(sqlite3_column_int(s, 1), 0);
		sqlite3_finalize(s);
	}
	/* The PRAGMAs every connection gets. */
	{
		static const struct {
			const char *sql;
			int want;
		} p[] = {
			{ "PRAGMA foreign_keys", 1 },
			{ "PRAGMA secure_delete", 1 },
			{ "PRAGMA synchronous", 2 },
			{ "PRAGMA busy_timeout", DB_BUSY_TIMEOUT_MS },
			{ "PRAGMA trusted_schema", 0 },
		};
		int on = -1;

		for (size_t i = 0; i < ARRAY_LEN(p); i++) {
			sqlite3_stmt *s = NULL;

			ck_assert_int_eq(db_prepare(db, p[i].sql, &s, errbuf,
			    sizeof(errbuf)), 0);
			ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
			ck_assert_msg(sqlite3_column_int(s, 0) == p[i].want,
			    "%s", p[i].sql);
			sqlite3_finalize(s);
		}
		ck_assert_int_eq(sqlite3_db_config(db,
		    SQLITE_DBCONFIG_DEFENSIVE, -1, &on), SQLITE_OK);
		ck_assert_int_eq(on, 1);
	}
	/* Transactions: rollback with none open is harmless. */
	db_rollback(db);
	ck_assert_int_eq(db_begin(db, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(db_exec(db, "INSERT INTO a VALUES (7)", errbuf,
	    sizeof(errbuf)), SQLITE_OK);
	db_rollback(db);
	ck_assert_int_ne(db_exec(db, "INSERT INTO nosuch VALUES (7)", errbuf,
	    sizeof(errbuf)), SQLITE_OK);
	ck_assert_msg(strstr(errbuf, "no such table") != NULL, "%s", errbuf);
	db_close(db);
	db_close(NULL);
}
END_TEST

START_TEST(test_not_a_database)
{
	char path[4300];
	FILE *f;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/junk.db", dir), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 64; i++)
		ck_assert_int_ge(fputs("this is not an SQLite file\n", f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_null(store_open(path, errbuf, sizeof(errbuf)));
	ck_assert_msg(strstr(errbuf, "not a database") != NULL, "%s", errbuf);
}
END_TEST

/* Two connections (two processes, in real life) writing in turn. */
START_TEST(test_two_connections)
{
	struct store_audit_report rep;
	struct store *st2;
	struct order o;

	st2 = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st2 != NULL, "%s", errbuf);
	default_order(&o);
	for (int i = 0; i < 6; i++) {
		char ref[STORE_REF_MAX], tok[STORE_TOKEN_MAX];
		struct store *w = i % 2 ? st2 : st;

		ck_assert_int_eq(store_order_add(w, key, centre, &o,
		    ORDER_RECEIVED, NULL, 0, 0, ACTOR, ref, tok), STORE_OK);
		ck_assert_int_eq(store_order_transition(i % 2 ? st : st2, ref,
		    ORDER_ACCEPTED, ACTOR), STORE_OK);
	}
	ck_assert_int_eq(store_audit_verify(st2, &rep), STORE_OK);
	ck_assert_int_eq(rep.bad_id, 0);
	ck_assert_int_eq(rep.checked, 13);
	ck_assert_int_eq(raw_int("SELECT count(DISTINCT recipient_id) FROM "
	    "orders", NULL), 1);
	store_close(st2);
	order_clear(&o);
}
END_TEST

/* ---- centres and staff ---- */

START_TEST(test_centres_staff)
{
	int64_t id = 0, id2 = 0;
	enum staff_role r;
	char code[80];

	ck_assert_int_eq(store_centre_add(st, "millau", "Autre", "admin", &id),
	    STORE_ERR_DUPLICATE);
	ck_assert_str_eq(store_errmsg(st), "centre millau exists");
	ck_assert_int_eq(store_centre_find(st, "millau", &id), STORE_OK);
	ck_assert_int_eq(id, centre);
	ck_assert_int_eq(store_centre_find(st, "rodez", &id),
	    STORE_ERR_NOT_FOUND);
	ck_assert_int_eq(store_centre_find(st, "bad code", &id),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_centre_add(st, "rodez", "Centre Rodez", "admin",
	    &id2), STORE_OK);
	ck_assert_int_ne(id2, centre);
	ck_assert_int_eq(store_centre_add(st, "", "x", "admin", NULL),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_centre_add(st, "a/b", "x", "admin", NULL),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_centre_add(st, "ok", "", "admin", NULL),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_centre_add(st, "ok", "x", NULL, NULL),
	    STORE_ERR_INVALID);
	/* Code of 63 characters is the limit; 64 is refused. */
	memset(code, 'c', 63);
	code[63] = '\0';
	ck_assert_int_eq(store_centre_add(st, code, "x", "admin", NULL),
	    STORE_OK);
	code[63] = 'c';
	code[64] = '\0';
	ck_assert_int_eq(store_centre_add(st, code, "x", "admin", NULL),
	    STORE_ERR_INVALID);

	ck_assert_int_eq(store_staff_add(st, centre, "camille.d",
	    STAFF_COORDINATOR, "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA", "admin"),
	    STORE_OK);
	ck_assert_int_eq(store_staff_add(st, id2, "camille.d", STAFF_PACKER,
	    "$scrypt$x", "admin"), STORE_ERR_DUPLICATE);
	ck_assert_int_eq(store_staff_add(st, 9999, "other", STAFF_PACKER,
	    "$scrypt$x", "admin"), STORE_ERR_NOT_FOUND);
	ck_assert_int_eq(store_staff_add(st, centre, "other",
	    (enum staff_role)9, "$scrypt$x", "admin"), STORE_ERR_INVALID);
	ck_assert_int_eq(store_staff_add(st, centre, "other", STAFF_PACKER,
	    "", "admin"), STORE_ERR_INVALID);
	ck_assert_int_eq(store_staff_add(st, centre, "bad login",
	    STAFF_PACKER, "$scrypt$x", "admin"), STORE_ERR_INVALID);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM staff", NULL), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE action = "
	    "'staff.add'", NULL), 1);

	for (int i = STAFF_ADMIN; i <= STAFF_REVIEWER; i++) {
		ck_assert_int_eq(store_role_parse(store_role_name(
		    (enum staff_role)i), &r), 0);
		ck_assert_int_eq(r, i);
	}
	ck_assert_str_eq(store_role_name(STAFF_REVIEWER), "reviewer");
	ck_assert_ptr_null(store_role_name((enum staff_role)4));
	ck_assert_int_eq(store_role_parse("root", &r), -1);
	ck_assert_int_eq(store_role_parse(NULL, &r), -1);
}
END_TEST

/* ---- lifecycle ---- */

/* The contract's table, written out independently of store.c. */
static bool
legal(enum order_status from, enum order_status to)
{
	static const int t[ORDER_STATUS_COUNT][ORDER_STATUS_COUNT] = {
		[ORDER_RECEIVED] = { [ORDER_ACCEPTED] = 1,
		    [ORDER_CANCELLED] = 1 },
		[ORDER_ACCEPTED] = { [ORDER_PACKED] = 1,
		    [ORDER_CANCELLED] = 1 },
		[ORDER_PACKED] = { [ORDER_SHIPPED] = 1,
		    [ORDER_CANCELLED] = 1 },
		[ORDER_SHIPPED] = { [ORDER_DELIVERED] = 1,
		    [ORDER_RETURNED] = 1 },
	};

	return t[from][to] != 0;
}

/* Bring order @ref from received to @to by legal moves. */
static void
drive(const char *ref, enum order_status to)
{
	static const enum order_status path[ORDER_STATUS_COUNT][5] = {
		[ORDER_RECEIVED] = { ORDER_RECEIVED },
		[ORDER_ACCEPTED] = { ORDER_ACCEPTED, ORDER_RECEIVED },
		[ORDER_PACKED] = { ORDER_ACCEPTED, ORDER_PACKED,
		    ORDER_RECEIVED },
		[ORDER_SHIPPED] = { ORDER_ACCEPTED, ORDER_PACKED,
		    ORDER_SHIPPED, ORDER_RECEIVED },
		[ORDER_DELIVERED] = { ORDER_ACCEPTED, ORDER_PACKED,
		    ORDER_SHIPPED, ORDER_DELIVERED, ORDER_RECEIVED },
		[ORDER_RETURNED] = { ORDER_ACCEPTED, ORDER_PACKED,
		    ORDER_SHIPPED, ORDER_RETURNED, ORDER_RECEIVED },
		[ORDER_CANCELLED] = { ORDER_CANCELLED, ORDER_RECEIVED },
	};

	/* ORDER_RECEIVED (0) ends each path. */
	for (size_t i = 0; i < 5 && path[to][i] != ORDER_RECEIVED; i++)
		ck_assert_msg(store_order_transition(st, ref, path[to][i],
		    ACTOR) == STORE_OK, "%s", store_errmsg(st));
	ck_assert_int_eq(status_of(ref), to);
}

START_TEST(test_transitions)
{
	for (int from = 0; from < ORDER_STATUS_COUNT; from++) {
		for (int to = 0; to < ORDER_STATUS_COUNT; to++) {
			char ref[STORE_REF_MAX];
			int64_t before;
			enum store_status rc;

			add_default(ref);
			drive(ref, (enum order_status)from);
			ck_assert_int_eq(store_transition_allowed(
			    (enum order_status)from, (enum order_status)to),
			    legal(from, to));
			before = audit_count();
			rc = store_order_transition(st, ref,
			    (enum order_status)to, ACTOR);
			if (legal(from, to)) {
				ck_assert_msg(rc == STORE_OK, "%d->%d: %s",
				    from, to, store_errmsg(st));
				ck_assert_int_eq(status_of(ref), to);
				ck_assert_int_eq(audit_count(), before + 1);
			} else {
				ck_assert_msg(rc == STORE_ERR_TRANSITION,
				    "%d->%d allowed", from, to);
				ck_assert_msg(strstr(store_errmsg(st), ref) !=
				    NULL, "%s", store_errmsg(st));
				ck_assert_int_eq(status_of(ref), from);
				ck_assert_int_eq(audit_count(), before);
			}
		}
	}
}
END_TEST

START_TEST(test_transition_messages)
{
	char ref[STORE_REF_MAX], want[160], got[160];

	add_default(ref);
	drive(ref, ORDER_SHIPPED);
	ck_assert_int_eq(store_order_transition(st, ref, ORDER_CANCELLED,
	    ACTOR), STORE_ERR_TRANSITION);
	ck_assert_int_ge(str_printf(want, sizeof(want), "cannot move order %s "
	    "from shipped to cancelled: cancel is possible until shipped",
	    ref), 0);
	ck_assert_str_eq(store_errmsg(st), want);
	ck_assert_int_eq(store_order_transition(st, ref, ORDER_SHIPPED,
	    ACTOR), STORE_ERR_TRANSITION);
	ck_assert_int_ge(str_printf(want, sizeof(want), "order %s is already "
	    "shipped", ref), 0);
	ck_assert_str_eq(store_errmsg(st), want);
	ck_assert_int_eq(store_order_transition(st, ref, ORDER_PACKED,
	    ACTOR), STORE_ERR_TRANSITION);
	ck_assert_ptr_nonnull(strstr(store_errmsg(st),
	    "delivered or returned"));
	ck_assert_int_eq(store_order_transition(st, ref, ORDER_DELIVERED,
	    ACTOR), STORE_OK);
	ck_assert_int_eq(store_order_transition(st, ref, ORDER_RETURNED,
	    ACTOR), STORE_ERR_TRANSITION);
	ck_assert_ptr_nonnull(strstr(store_errmsg(st), "delivered is final"));
	/* The audit entry names the move. */
	ck_assert_int_ge(str_printf(want, sizeof(want), "order.delivered %s "
	    "from shipped to delivered " ACTOR, ref), 0);
	raw_text("SELECT action || ' ' || object || ' ' || detail || ' ' || "
	    "actor FROM audit ORDER BY id DESC LIMIT 1", NULL, got,
	    sizeof(got));
	ck_assert_str_eq(got, want);
	/* Bad arguments. */
	ck_assert_int_eq(store_order_transition(st, ref,
	    (enum order_status)ORDER_STATUS_COUNT, ACTOR), STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_transition(st, ref, ORDER_CANCELLED,
	    NULL), STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_transition(st, "nonsense!",
	    ORDER_CANCELLED, ACTOR), STORE_ERR_INVALID);
}
END_TEST

/*
 * store_order_transition_tx(): refused outside a transaction; inside one
 * the move and its audit entry commit or roll back with the caller's work.
 */
START_TEST(test_transition_tx)
{
	sqlite3 *db = store_db(st);
	int64_t id = 0, entries;
	char ref[STORE_REF_MAX];

	add_default(ref);
	ck_assert_int_eq(store_order_transition_tx(st, ref, ORDER_ACCEPTED,
	    ACTOR, &id), STORE_ERR_INVALID);
	ck_assert_str_eq(store_errmsg(st), "no transaction is open");
	ck_assert_int_eq(status_of(ref), ORDER_RECEIVED);
	entries = audit_count();

	/* Rolled back: nothing moved, no audit entry. */
	ck_assert_int_eq(db_begin(db, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(store_order_transition_tx(st, ref, ORDER_ACCEPTED,
	    ACTOR, &id), STORE_OK);
	ck_assert_int_gt(id, 0);
	db_rollback(db);
	ck_assert_int_eq(status_of(ref), ORDER_RECEIVED);
	ck_assert_int_eq(audit_count(), entries);

	/* Committed by the caller. */
	ck_assert_int_eq(db_begin(db, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(store_order_transition_tx(st, ref, ORDER_ACCEPTED,
	    ACTOR, NULL), STORE_OK);
	/* An illegal move inside the same transaction is refused... */
	ck_assert_int_eq(store_order_transition_tx(st, ref, ORDER_SHIPPED,
	    ACTOR, NULL), STORE_ERR_TRANSITION);
	ck_assert_ptr_nonnull(strstr(store_errmsg(st), "from accepted to "
	    "shipped"));
	/* ...and leaves the transaction open for the caller to decide. */
	ck_assert_int_eq(sqlite3_get_autocommit(db), 0);
	ck_assert_int_eq(db_commit(db, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(status_of(ref), ORDER_ACCEPTED);
	ck_assert_int_eq(audit_count(), entries + 1);

	/* Bad arguments, inside a transaction. */
	ck_assert_int_eq(db_begin(db, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(store_order_transition_tx(st, "nonsense!",
	    ORDER_PACKED, ACTOR, NULL), STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_transition_tx(st, ref, ORDER_PACKED,
	    NULL, NULL), STORE_ERR_INVALID);
	db_rollback(db);
	ck_assert_int_eq(status_of(ref), ORDER_ACCEPTED);
}
END_TEST

START_TEST(test_cancel_until_shipped)
{
	const enum order_status ok[] = { ORDER_RECEIVED, ORDER_ACCEPTED,
	    ORDER_PACKED };
	const enum order_status late[] = { ORDER_SHIPPED, ORDER_DELIVERED,
	    ORDER_RETURNED, ORDER_CANCELLED };

	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		char ref[STORE_REF_MAX];

		add_default(ref);
		drive(ref, ok[i]);
		ck_assert_int_eq(store_order_transition(st, ref,
		    ORDER_CANCELLED, ACTOR), STORE_OK);
		ck_assert_int_eq(raw_int("SELECT cancelled_at IS NOT NULL FROM "
		    "orders WHERE ref = ?", ref), 1);
	}
	for (size_t i = 0; i < ARRAY_LEN(late); i++) {
		char ref[STORE_REF_MAX];

		add_default(ref);
		drive(ref, late[i]);
		ck_assert_int_eq(store_order_transition(st, ref,
		    ORDER_CANCELLED, ACTOR), STORE_ERR_TRANSITION);
		ck_assert_int_eq(status_of(ref), late[i]);
	}
}
END_TEST

/* ---- references ---- */

START_TEST(test_ref_forms)
{
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX], in[64], want[64];
	struct store_order_row row;
	struct order o;

	default_order(&o);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_ACCEPTED,
	    NULL, 0, 0, ACTOR, ref, token), STORE_OK);
	order_clear(&o);
	ck_assert_uint_eq(strlen(ref), TOKEN_REF_DIGITS + 1);
	ck_assert_uint_eq(strlen(token), TOKEN_TRACK_DIGITS + 1);

	ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
	ck_assert_str_eq(row.ref, ref);
	ck_assert_str_eq(row.token, token);
	ck_assert_str_eq(row.centre, "millau");
	ck_assert_int_eq(row.status, ORDER_ACCEPTED);
	ck_assert_int_eq(row.channel, ORDER_CHANNEL_WEB);
	ck_assert_str_eq(row.dept, "12");
	ck_assert_str_eq(row.lang, "fr");
	ck_assert_int_eq(row.for_people, 1);
	ck_assert_int_eq(row.total_packs, 3);
	ck_assert_str_eq(row.packs, "INJ x2 (30G-8), NALOX x1");
	ck_assert(!row.flagged);
	ck_assert_int_eq(raw_int("SELECT accepted_at IS NOT NULL FROM orders "
	    "WHERE ref = ?", ref), 1);

	/* Lower case with dashes, as read over the phone. */
	for (size_t i = 0, j = 0; ref[i] != '\0'; i++) {
		in[j++] = (char)(ref[i] >= 'A' && ref[i] <= 'Z' ?
		    ref[i] - 'A' + 'a' : ref[i]);
		if (i == 3)
			in[j++] = '-';
		in[j] = '\0';
	}
	memset(&row, 0, sizeof(row));
	ck_assert_int_eq(store_order_get(st, in, &row), STORE_OK);
	ck_assert_str_eq(row.ref, ref);
	/* The tracking token finds it too. */
	memset(&row, 0, sizeof(row));
	ck_assert_int_eq(store_order_get(st, token, &row), STORE_OK);
	ck_assert_str_eq(row.ref, ref);
	/* A typo: the check character catches it. */
	ck_assert_int_eq(str_copy(in, sizeof(in), ref), 0);
	in[0] = in[0] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(store_order_get(st, in, &row), STORE_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(store_errmsg(st), "typo"));
	ck_assert_int_eq(store_order_get(st, "ABC", &row), STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_get(st, NULL, &row), STORE_ERR_INVALID);
	memset(in, 'A', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	ck_assert_int_eq(store_order_get(st, in, &row), STORE_ERR_INVALID);
	/* A well-formed reference nobody has. */
	do {
		ck_assert_int_eq(token_new(in, sizeof(in), TOKEN_REF_DIGITS),
		    TOKEN_OK);
	} while (strcmp(in, ref) == 0);
	ck_assert_int_eq(store_order_get(st, in, &row), STORE_ERR_NOT_FOUND);
	ck_assert_int_ge(str_printf(want, sizeof(want), "order %s not found",
	    in), 0);
	ck_assert_str_eq(store_errmsg(st), want);
	/* An unknown tracking token is not echoed. */
	ck_assert_int_eq(token_new(in, sizeof(in), TOKEN_TRACK_DIGITS),
	    TOKEN_OK);
	ck_assert_int_eq(store_order_get(st, in, &row), STORE_ERR_NOT_FOUND);
	ck_assert_ptr_null(strstr(store_errmsg(st), in));
	/* Transitions take the token as well. */
	ck_assert_int_eq(store_order_transition(st, token, ORDER_PACKED,
	    ACTOR), STORE_OK);
	ck_assert_int_eq(status_of(ref), ORDER_PACKED);
}
END_TEST

/* ---- idempotency ---- */

START_TEST(test_idempotency)
{
	char ref1[STORE_REF_MAX], tok1[STORE_TOKEN_MAX];
	char ref2[STORE_REF_MAX] = "", tok2[STORE_TOKEN_MAX] = "";
	char idem[OUTBOX_IDEM_MAX + 2];
	int64_t audits;
	struct order o;

	default_order(&o);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    "kannel-5f0c2a", 0, 0, ACTOR, ref1, tok1), STORE_OK);
	audits = audit_count();
	/* The same key again, even with other content: nothing written. */
	o.packs[0].qty = 9;
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    "kannel-5f0c2a", 0, 0, ACTOR, ref2, tok2), STORE_ERR_DUPLICATE);
	ck_assert_str_eq(ref2, ref1);
	ck_assert_str_eq(tok2, tok1);
	ck_assert_ptr_nonnull(strstr(store_errmsg(st), ref1));
	ck_assert_int_eq(raw_int("SELECT count(*) FROM orders", NULL), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM order_lines", NULL), 2);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM recipients", NULL), 1);
	ck_assert_int_eq(audit_count(), audits);
	/* No key, or an empty one: two orders. */
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref2, tok2), STORE_OK);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    "", 0, 0, ACTOR, ref2, tok2), STORE_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM orders", NULL), 3);
	/* Key limits: 128 printable characters; 129, or a space, refused. */
	memset(idem, 'k', OUTBOX_IDEM_MAX);
	idem[OUTBOX_IDEM_MAX] = '\0';
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    idem, 0, 0, ACTOR, ref2, tok2), STORE_OK);
	idem[OUTBOX_IDEM_MAX] = 'k';
	idem[OUTBOX_IDEM_MAX + 1] = '\0';
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    idem, 0, 0, ACTOR, ref2, tok2), STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    "a b", 0, 0, ACTOR, ref2, tok2), STORE_ERR_INVALID);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM orders", NULL), 4);
	order_clear(&o);
}
END_TEST

/* Orders from the intake node keep the reference and token it gave. */
START_TEST(test_import)
{
	char gref[STORE_REF_MAX], gtok[STORE_TOKEN_MAX], loose[32];
	char ref[STORE_REF_MAX], tok[STORE_TOKEN_MAX];
	struct store_order_row row;
	struct order o;
	int64_t audits;

	ck_assert_int_eq(token_new(gref, sizeof(gref), TOKEN_REF_DIGITS),
	    TOKEN_OK);
	ck_assert_int_eq(token_new(gtok, sizeof(gtok), TOKEN_TRACK_DIGITS),
	    TOKEN_OK);
	default_order(&o);
	/* Lower case with a dash, as a person might retype it: fine. */
	ck_assert_int_lt(snprintf(loose, sizeof(loose), "%.4s-%s", gref,
	    gref + 4), (int)sizeof(loose));
	for (char *p = loose; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	ck_assert_msg(store_order_import(st, key, centre, &o, ORDER_ACCEPTED,
	    "web-1", 0, 0, ACTOR, loose, gtok, 1700000000, ref, tok) ==
	    STORE_OK, "%s", store_errmsg(st));
	ck_assert_str_eq(ref, gref);
	ck_assert_str_eq(tok, gtok);
	ck_assert_int_eq(store_order_get(st, gtok, &row), STORE_OK);
	ck_assert_str_eq(row.ref, gref);
	ck_assert_int_eq((long long)row.received_at, 1700000000LL);
	ck_assert(row.status == ORDER_ACCEPTED);

	/* The same reference under another key: refused, nothing written. */
	audits = audit_count();
	ck_assert_int_eq(store_order_import(st, key, centre, &o,
	    ORDER_ACCEPTED, "web-2", 0, 0, ACTOR, gref, gtok, 0, ref, tok),
	    STORE_ERR_DUPLICATE);
	/* The same key: the first order handed back, nothing written. */
	ck_assert_int_eq(store_order_import(st, key, centre, &o,
	    ORDER_ACCEPTED, "web-1", 0, 0, ACTOR, gref, gtok, 0, ref, tok),
	    STORE_ERR_DUPLICATE);
	ck_assert_str_eq(ref, gref);
	/* A typo in the check character, or no token: refused. */
	gref[0] = gref[0] == '7' ? '8' : '7';
	ck_assert_int_eq(store_order_import(st, key, centre, &o,
	    ORDER_ACCEPTED, "web-3", 0, 0, ACTOR, gref, gtok, 0, ref, tok),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_import(st, key, centre, &o,
	    ORDER_ACCEPTED, "web-4", 0, 0, ACTOR, gref, NULL, 0, ref, tok),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(audit_count(), audits);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM orders", NULL), 1);
	order_clear(&o);
}
END_TEST

START_TEST(test_add_invalid)
{
	char ref[STORE_REF_MAX], tok[STORE_TOKEN_MAX];
	struct order o;

	default_order(&o);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_SHIPPED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_add(st, NULL, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, NULL, ref, tok), STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, -1, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_add(st, key, 4242, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_NOT_FOUND);
	o.npacks = 0;
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	o.npacks = ORDER_PACKS_MAX + 1;
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	o.npacks = 2;
	o.nlines = ADDRESS_LINES_MAX + 1;
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	o.nlines = 1;
	o.channel = (enum order_channel)7;
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM orders", NULL), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM recipients", NULL), 0);
	ck_assert_int_eq(audit_count(), 1);
	order_clear(&o);
}
END_TEST

/* ---- recipients ---- */

START_TEST(test_linking)
{
	char ref[STORE_REF_MAX];
	struct order o;
	int64_t r1, r2, r3, r4, r5, r6, rodez;

	/* Same phone, another address: the same person, who moved. */
	make_order(&o, "Camille", "12 rue des Lilas", "12100", "Millau",
	    "+33612345678");
	r1 = add_ok(&o, ref);
	make_order(&o, "Cam", "3 place du Mandarous", "12100", "Millau",
	    "+33612345678");
	ck_assert_int_eq(add_ok(&o, ref), r1);

	/* No phone: the same address (typed differently) links. */
	make_order(&o, "Dominique", "5 Chemin de la Vernhette", "12100",
	    "Millau", NULL);
	r2 = add_ok(&o, ref);
	ck_assert_int_ne(r2, r1);
	make_order(&o, "Dom", "5  chemin de la vernhette", "12100", "MILLAU",
	    NULL);
	ck_assert_int_eq(add_ok(&o, ref), r2);

	/* Another address without phone: someone else. */
	make_order(&o, "Eden", "8 rue Droite", "12100", "Millau", NULL);
	r3 = add_ok(&o, ref);
	ck_assert_int_ne(r3, r1);
	ck_assert_int_ne(r3, r2);

	/* A phone given at an address on file without one: adopted. */
	make_order(&o, "Dominique", "5 Chemin de la Vernhette", "12100",
	    "Millau", "+33698000001");
	ck_assert_int_eq(add_ok(&o, ref), r2);
	/* Then found by that phone from anywhere. */
	make_order(&o, "Dominique", "1 avenue Jean Jaures", "12100", "Millau",
	    "+33698000001");
	ck_assert_int_eq(add_ok(&o, ref), r2);
	/* A second phone at r3's address: r3 had none, so it is r3. */
	make_order(&o, "Eden", "8 rue Droite", "12100", "Millau",
	    "+33698000002");
	ck_assert_int_eq(add_ok(&o, ref), r3);
	/* A third phone at r3's address, which now has a phone: another
	 * person living there. */
	make_order(&o, "Flo", "8 rue Droite", "12100", "Millau",
	    "+33698000003");
	r4 = add_ok(&o, ref);
	ck_assert_int_ne(r4, r3);

	/* Poste restante: the office is shared, the name tells apart. */
	make_order(&o, "Alpha", ADDRESS_POSTE_RESTANTE, "12100", "Millau",
	    NULL);
	o.poste_restante = true;
	r5 = add_ok(&o, ref);
	make_order(&o, "Beta", ADDRESS_POSTE_RESTANTE, "12100", "Millau",
	    NULL);
	o.poste_restante = true;
	r6 = add_ok(&o, ref);
	ck_assert_int_ne(r5, r6);
	make_order(&o, "Alpha", ADDRESS_POSTE_RESTANTE, "12100", "Millau",
	    NULL);
	o.poste_restante = true;
	ck_assert_int_eq(add_ok(&o, ref), r5);

	/* Recipients belong to a centre. */
	ck_assert_int_eq(store_centre_add(st, "rodez", "Centre Rodez", "admin",
	    &rodez), STORE_OK);
	make_order(&o, "Camille", "12 rue des Lilas", "12100", "Millau",
	    "+33612345678");
	{
		char tok[STORE_TOKEN_MAX];
		struct store_order_row row;

		ck_assert_int_eq(store_order_add(st, key, rodez, &o,
		    ORDER_RECEIVED, NULL, 0, 0, ACTOR, ref, tok), STORE_OK);
		ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
		ck_assert_int_ne(row.recipient_id, r1);
		ck_assert_str_eq(row.centre, "rodez");
	}
	ck_assert_int_eq(raw_int("SELECT count(*) FROM recipients", NULL), 7);
	/* Pseudonyms are 32-byte keys, never the value. */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM recipients WHERE "
	    "length(address_key) != 32 OR length(sealed) < 60", NULL), 0);
	order_clear(&o);
}
END_TEST

/* The recipient's sealed record keeps the latest phone it knows. */
START_TEST(test_recipient_record)
{
	char ref[STORE_REF_MAX], aad[64];
	struct order o, got;
	struct field_error ferr;
	int64_t rid;
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	uint8_t *pt = NULL;
	size_t ptlen = 0;

	make_order(&o, "Dominique", "5 Chemin de la Vernhette", "12100",
	    "Millau", "+33698000001");
	rid = add_ok(&o, ref);
	/* Later, the same address without a phone, with a new name. */
	make_order(&o, "Dodo", "5 Chemin de la Vernhette", "12100", "Millau",
	    NULL);
	o.consent_call = false;
	ck_assert_int_eq(add_ok(&o, ref), rid);

	db = raw_open();
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT sealed, consent_call, "
	    "last_order_at IS NOT NULL FROM recipients WHERE id = ?", -1, &s,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_bind_int64(s, 1, rid), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_ge(str_printf(aad, sizeof(aad), "recipients/%lld/pii",
	    (long long)rid), 0);
	ck_assert_int_eq(seal_open(key, sqlite3_column_blob(s, 0),
	    (size_t)sqlite3_column_bytes(s, 0), aad, strlen(aad), &pt, &ptlen),
	    SEAL_OK);
	ck_assert_int_eq(sqlite3_column_int(s, 1), 0);
	ck_assert_int_eq(sqlite3_column_int(s, 2), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(order_decode((const char *)pt, ptlen,
	    ORDER_ENCODE_PII, NULL, &got, &ferr), 0);
	ck_assert_str_eq(got.pseudonym, "Dodo");
	ck_assert_str_eq(got.phone, "+33698000001");
	ck_assert_str_eq(got.note, "");
	mem_wipe_free(pt, ptlen + 1);
	order_clear(&got);
	order_clear(&o);
}
END_TEST

/* ---- flagging ---- */

static struct store_order_row
add_flagged(struct order *o, int flag_qty, int flag_days, const char *now)
{
	char ref[STORE_REF_MAX], tok[STORE_TOKEN_MAX];
	struct store_order_row row;

	ck_assert_int_eq(setenv("HRPOST_NOW", now, 1), 0);
	ck_assert_msg(store_order_add(st, key, centre, o, ORDER_RECEIVED, NULL,
	    flag_qty, flag_days, ACTOR, ref, tok) == STORE_OK, "%s",
	    store_errmsg(st));
	ck_assert_int_eq(store_order_get(st, ref, &row), STORE_OK);
	return row;
}

START_TEST(test_flagging)
{
	struct store_order_row row;
	struct order o;

	default_order(&o);
	/* 3 packs: not over 3; over 2. */
	row = add_flagged(&o, 3, 0, "2026-03-01T10:00:00Z");
	ck_assert(!row.flagged);
	ck_assert_str_eq(row.flag_reason, "");
	row = add_flagged(&o, 2, 0, "2026-03-01T10:00:00Z");
	ck_assert(row.flagged);
	ck_assert_str_eq(row.flag_reason, "large order: 3 packs");
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE detail "
	    "LIKE '%flagged: large order: 3 packs'", NULL), 1);

	/* Frequency: earlier orders were on 03-01; 03-05 is within 7 days. */
	row = add_flagged(&o, 0, 7, "2026-03-05T10:00:00Z");
	ck_assert(row.flagged);
	ck_assert_str_eq(row.flag_reason, "second order within 7 days");
	/* Both at once. */
	row = add_flagged(&o, 1, 7, "2026-03-05T11:00:00Z");
	ck_assert_str_eq(row.flag_reason,
	    "large order: 3 packs; second order within 7 days");
	/* 0 disables each. */
	row = add_flagged(&o, 0, 0, "2026-03-05T12:00:00Z");
	ck_assert(!row.flagged);
	/* 8 days after the last one: not flagged. */
	row = add_flagged(&o, 0, 7, "2026-03-13T12:00:01Z");
	ck_assert(!row.flagged);
	/* A cancelled order does not count. */
	ck_assert_int_eq(store_order_transition(st, row.ref, ORDER_CANCELLED,
	    ACTOR), STORE_OK);
	row = add_flagged(&o, 0, 7, "2026-03-14T12:00:00Z");
	ck_assert(!row.flagged);
	/* A new person's first order is never "second". */
	make_order(&o, "Nouveau", "9 rue Neuve", "12100", "Millau", NULL);
	row = add_flagged(&o, 0, 7, "2026-03-14T12:00:00Z");
	ck_assert(!row.flagged);
	/* Flags never refuse: a huge order goes in. */
	o.packs[0].qty = 999;
	o.packs[1].qty = 999;
	row = add_flagged(&o, 10, 0, "2026-03-14T12:00:00Z");
	ck_assert_str_eq(row.flag_reason, "large order: 1998 packs");
	ck_assert_int_eq(row.total_packs, 1998);
	order_clear(&o);
}
END_TEST

/* ---- atomicity ---- */

START_TEST(test_rollback_audit_fails)
{
	char ref[STORE_REF_MAX], tok[STORE_TOKEN_MAX], first[STORE_REF_MAX];
	struct order o;

	add_default(first);
	ck_assert_int_eq(audit_count(), 2);
	raw_exec("CREATE TRIGGER audit_fails BEFORE INSERT ON audit "
	    "BEGIN SELECT RAISE(ABORT, 'audit refused'); END;");
	make_order(&o, "Other", "1 rue Autre", "12100", "Millau",
	    "+33698000009");
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    "idem-1", 0, 0, ACTOR, ref, tok), STORE_ERR_DB);
	ck_assert_ptr_nonnull(strstr(store_errmsg(st), "audit refused"));
	ck_assert_int_eq(raw_int("SELECT count(*) FROM orders", NULL), 1);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM order_lines", NULL), 2);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM recipients", NULL), 1);
	ck_assert_int_eq(audit_count(), 2);
	/* A move whose audit entry fails does not move. */
	ck_assert_int_eq(store_order_transition(st, first, ORDER_ACCEPTED,
	    ACTOR), STORE_ERR_DB);
	ck_assert_int_eq(status_of(first), ORDER_RECEIVED);
	/* Opening whose "order.show" cannot be written shows nothing. */
	{
		struct order got;

		ck_assert_int_eq(store_order_open(st, key, first, ACTOR, &got,
		    NULL), STORE_ERR_DB);
		ck_assert_str_eq(got.pseudonym, "");
		ck_assert_str_eq(got.lines[0], "");
	}
	ck_assert_int_eq(store_centre_add(st, "rodez", "Centre Rodez",
	    "admin", NULL), STORE_ERR_DB);
	ck_assert_int_eq(store_centre_find(st, "rodez", NULL),
	    STORE_ERR_NOT_FOUND);
	ck_assert_int_eq(store_audit(st, ACTOR, "key.open", NULL, NULL),
	    STORE_ERR_DB);
	raw_exec("DROP TRIGGER audit_fails");
	/* And the same key works afterwards: nothing of it was kept. */
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    "idem-1", 0, 0, ACTOR, ref, tok), STORE_OK);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM orders", NULL), 2);
	order_clear(&o);
}
END_TEST

START_TEST(test_rollback_check_fails)
{
	char ref[STORE_REF_MAX], tok[STORE_TOKEN_MAX];
	struct order o;

	default_order(&o);
	/* The second line breaks CHECK (qty BETWEEN 1 AND 999). */
	o.packs[1].qty = 1000;
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(store_errmsg(st), "CHECK constraint"));
	o.packs[1].qty = 0;
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	o.packs[1].qty = 1;
	o.for_people = ORDER_FOR_MAX + 1;
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	o.for_people = 1;
	o.lang[0] = '\0';
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_ERR_INVALID);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM orders", NULL), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM order_lines", NULL), 0);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM recipients", NULL), 0);
	ck_assert_int_eq(audit_count(), 1);
	/* The limits themselves go in. */
	o.packs[0].qty = 999;
	o.packs[1].qty = 1;
	o.for_people = ORDER_FOR_MAX;
	ck_assert_int_eq(str_copy(o.lang, sizeof(o.lang), "fr"), 0);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_OK);
	order_clear(&o);
}
END_TEST

/* ---- personal data ---- */

static const char *const secrets[] = {
	"Zorblaxine", "Quokkas", "Vabres", "VABRES", "698765432", "Sonnez",
};

static void
assert_not_in(const char *path)
{
	for (size_t i = 0; i < ARRAY_LEN(secrets); i++)
		ck_assert_msg(!testutil_file_contains(path, secrets[i],
		    strlen(secrets[i])), "%s found in %s", secrets[i], path);
}

START_TEST(test_pii_not_on_disk)
{
	char ref[STORE_REF_MAX], tok[STORE_TOKEN_MAX], wal[4300], shm[4300];
	char last[160], want[160];
	struct store_order_row row;
	struct order o, got;
	struct stat sb;
	int64_t audits;

	make_order(&o, "Zorblaxine", "17 Chemin des Quokkas Bleus", "12400",
	    "Vabres-l'Abbaye", "+33698765432");
	ck_assert_int_eq(str_copy(o.note, sizeof(o.note),
	    "Sonnez deux fois chez Zorblaxine"), 0);
	ck_assert_int_eq(store_order_add(st, key, centre, &o, ORDER_RECEIVED,
	    NULL, 0, 0, ACTOR, ref, tok), STORE_OK);
	ck_assert_int_ge(str_printf(wal, sizeof(wal), "%s-wal", dbpath), 0);
	ck_assert_int_ge(str_printf(shm, sizeof(shm), "%s-shm", dbpath), 0);

	/* Positive control: the search does see clear text in the files. */
	ck_assert(testutil_file_contains(wal, "Centre Millau", 13) ||
	    testutil_file_contains(dbpath, "Centre Millau", 13));
	ck_assert(testutil_file_contains(wal, ref, strlen(ref)));

	/* While open, the frames sit in the WAL. */
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_gt(sb.st_size, 0);
	assert_not_in(dbpath);
	assert_not_in(wal);
	assert_not_in(shm);
	/* Checkpointed into the main file, WAL kept. */
	raw_exec("PRAGMA wal_checkpoint(FULL)");
	ck_assert(testutil_file_contains(dbpath, ref, strlen(ref)));
	assert_not_in(dbpath);
	assert_not_in(wal);
	/* Closed: everything is in the main file. */
	store_close(st);
	st = NULL;
	assert_not_in(dbpath);
	assert_not_in(wal);
	ck_assert(testutil_file_contains(dbpath, ref, strlen(ref)));

	/* Opening gives everything back and records who looked. */
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
	audits = audit_count();
	ck_assert_msg(store_order_open(st, key, ref, "camille.d", &got, &row)
	    == STORE_OK, "%s", store_errmsg(st));
	ck_assert_str_eq(got.pseudonym, "Zorblaxine");
	ck_assert_uint_eq(got.nlines, 1);
	ck_assert_str_eq(got.lines[0], "17 Chemin des Quokkas Bleus");
	ck_assert_str_eq(got.postcode, "12400");
	ck_assert_str_eq(got.commune, "Vabres-l'Abbaye");
	ck_assert_str_eq(got.phone, "+33698765432");
	ck_assert_str_eq(got.note, "Sonnez deux fois chez Zorblaxine");
	ck_assert_str_eq(got.dept, "12");
	ck_assert_str_eq(got.lang, "fr");
	ck_assert(got.consent_call);
	ck_assert(got.consent_sms);
	ck_assert(!got.poste_restante);
	ck_assert_int_eq(got.for_people, 1);
	ck_assert_int_eq(got.channel, ORDER_CHANNEL_WEB);
	ck_assert_uint_eq(got.npacks, 2);
	ck_assert_str_eq(got.packs[0].pack, "INJ");
	ck_assert_int_eq(got.packs[0].qty, 2);
	ck_assert_str_eq(got.packs[0].variant, "30G-8");
	ck_assert_str_eq(got.packs[1].pack, "NALOX");
	ck_assert_str_eq(row.ref, ref);
	order_clear(&got);
	ck_assert_int_eq(audit_count(), audits + 1);
	raw_text("SELECT actor || ' ' || action || ' ' || object FROM audit "
	    "ORDER BY id DESC LIMIT 1", NULL, last, sizeof(last));
	ck_assert_int_ge(str_printf(want, sizeof(want), "camille.d order.show "
	    "%s", ref), 0);
	ck_assert_str_eq(last, want);
	/* Lower case works for opening too. */
	ck_assert_int_eq(store_order_open(st, key, tok, "camille.d", &got,
	    NULL), STORE_OK);
	order_clear(&got);
	ck_assert_int_eq(audit_count(), audits + 2);

	/* The audit chain holds no personal data either. */
	ck_assert_int_eq(raw_int("SELECT count(*) FROM audit WHERE "
	    "detail LIKE '%Zorb%' OR object LIKE '%Zorb%' OR "
	    "detail LIKE '%6987%'", NULL), 0);
	store_close(st);
	st = NULL;
	assert_not_in(dbpath);
	assert_not_in(wal);
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_ptr_nonnull(st);
	order_clear(&o);
}
END_TEST

START_TEST(test_open_refused)
{
	char ref1[STORE_REF_MAX], ref2[STORE_REF_MAX], sql[256];
	struct centre_key *other = key_generate();
	struct order got;
	int64_t audits;

	ck_assert_ptr_nonnull(other);
	add_default(ref1);
	add_default(ref2);
	audits = audit_count();
	/* Another centre's key opens nothing, and nothing is recorded. */
	ck_assert_int_eq(store_order_open(st, other, ref1, ACTOR, &got, NULL),
	    STORE_ERR_CRYPTO);
	ck_assert_str_eq(got.pseudonym, "");
	ck_assert_ptr_nonnull(strstr(store_errmsg(st), ref1));
	ck_assert_int_eq(audit_count(), audits);
	/* A blob copied from another row does not open: the AAD binds it. */
	ck_assert_int_ge(str_printf(sql, sizeof(sql), "UPDATE orders SET "
	    "sealed = (SELECT sealed FROM orders WHERE ref = '%s') "
	    "WHERE ref = '%s'", ref2, ref1), 0);
	raw_exec(sql);
	ck_assert_int_eq(store_order_open(st, key, ref1, ACTOR, &got, NULL),
	    STORE_ERR_CRYPTO);
	ck_assert_int_eq(audit_count(), audits);
	ck_assert_int_eq(store_order_open(st, key, ref2, ACTOR, &got, NULL),
	    STORE_OK);
	order_clear(&got);
	/* Bad arguments. */
	ck_assert_int_eq(store_order_open(st, NULL, ref2, ACTOR, &got, NULL),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_open(st, key, ref2, "", &got, NULL),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_order_open(st, key, "zz", ACTOR, &got, NULL),
	    STORE_ERR_INVALID);
	key_free(other);
}
END_TEST

/* ---- the queue ---- */

struct seen {
	int n;
	int stop_at;
	char refs[64][STORE_REF_MAX];
	time_t at[64];
	bool move;
};

static int
collect(const struct store_order_row *row, void *arg)
{
	struct seen *s = arg;

	ck_assert_int_lt(s->n, 64);
	memcpy(s->refs[s->n], row->ref, STORE_REF_MAX);
	s->at[s->n] = row->received_at;
	s->n++;
	/* The store is usable from inside the callback. */
	if (s->move)
		ck_assert_int_eq(store_order_transition(st, row->ref,
		    ORDER_ACCEPTED, ACTOR), STORE_OK);
	return s->stop_at > 0 && s->n >= s->stop_at;
}

START_TEST(test_queue)
{
	char refs[40][STORE_REF_MAX], now[32];
	struct seen *s = calloc(1, sizeof(*s));
	int64_t rodez;
	struct order o;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(store_centre_add(st, "rodez", "Centre Rodez", "admin",
	    &rodez), STORE_OK);
	default_order(&o);
	/* 40 orders (more than one batch), times going down, two per time. */
	for (int i = 0; i < 40; i++) {
		char tok[STORE_TOKEN_MAX];

		ck_assert_int_ge(str_printf(now, sizeof(now),
		    "2026-03-%02dT10:00:00Z", 28 - i / 2), 0);
		ck_assert_int_eq(setenv("HRPOST_NOW", now, 1), 0);
		ck_assert_int_eq(store_order_add(st, key,
		    i == 39 ? rodez : centre, &o, ORDER_RECEIVED, NULL, 0, 0,
		    ACTOR, refs[i], tok), STORE_OK);
	}
	unsetenv("HRPOST_NOW");
	ck_assert_int_eq(store_order_transition(st, refs[0], ORDER_CANCELLED,
	    ACTOR), STORE_OK);

	/* All centres, all statuses: oldest first, then by id. */
	ck_assert_int_eq(store_queue(st, 0, -1, collect, s), STORE_OK);
	ck_assert_int_eq(s->n, 40);
	for (int i = 0; i < 40; i++) {
		int want = i % 2 == 0 ? 38 - i : 40 - i;

		ck_assert_str_eq(s->refs[i], refs[want]);
		if (i > 0)
			ck_assert(s->at[i] >= s->at[i - 1]);
	}
	/* One centre. */
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(store_queue(st, rodez, -1, collect, s), STORE_OK);
	ck_assert_int_eq(s->n, 1);
	ck_assert_str_eq(s->refs[0], refs[39]);
	/* One status. */
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(store_queue(st, centre, ORDER_CANCELLED, collect, s),
	    STORE_OK);
	ck_assert_int_eq(s->n, 1);
	ck_assert_str_eq(s->refs[0], refs[0]);
	/* Stop early. */
	memset(s, 0, sizeof(*s));
	s->stop_at = 3;
	ck_assert_int_eq(store_queue(st, 0, -1, collect, s), STORE_OK);
	ck_assert_int_eq(s->n, 3);
	/* Moving orders from the callback, across batches. */
	memset(s, 0, sizeof(*s));
	s->move = true;
	ck_assert_int_eq(store_queue(st, centre, ORDER_RECEIVED, collect, s),
	    STORE_OK);
	ck_assert_int_eq(s->n, 38);
	ck_assert_int_eq(raw_int("SELECT count(*) FROM orders WHERE status = "
	    "'accepted'", NULL), 38);
	/* Bad status. */
	ck_assert_int_eq(store_queue(st, 0, ORDER_STATUS_COUNT, collect, s),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_queue(st, 0, -2, collect, s),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_queue(st, 0, -1, NULL, s), STORE_ERR_INVALID);
	order_clear(&o);
	free(s);
}
END_TEST

static int
grab(const struct store_order_row *row, void *arg)
{
	*(struct store_order_row *)arg = *row;
	return 1;
}

START_TEST(test_packs_summary)
{
	char ref[STORE_REF_MAX];
	struct store_order_row row;
	struct order o;

	default_order(&o);
	for (size_t i = 0; i < ORDER_PACKS_MAX; i++) {
		ck_assert_int_ge(str_printf(o.packs[i].pack,
		    sizeof(o.packs[i].pack), "PACK%02zu", i), 0);
		o.packs[i].qty = 999;
		ck_assert_int_ge(str_printf(o.packs[i].variant,
		    sizeof(o.packs[i].variant), "VARIANT-%08zu", i), 0);
	}
	o.npacks = ORDER_PACKS_MAX;
	(void)add_ok(&o, ref);
	ck_assert_int_eq(store_queue(st, 0, -1, grab, &row), STORE_OK);
	ck_assert_str_eq(row.ref, ref);
	ck_assert_int_eq(row.total_packs, 999 * ORDER_PACKS_MAX);
	ck_assert_uint_lt(strlen(row.packs), sizeof(row.packs));
	ck_assert_msg(strncmp(row.packs, "PACK00 x999 (VARIANT-00000000), "
	    "PACK01 x999", 43) == 0, "%s", row.packs);
	ck_assert_str_eq(row.packs + strlen(row.packs) - 5, ", ...");
	order_clear(&o);
}
END_TEST

START_TEST(test_store_audit)
{
	struct store_audit_report rep;
	char big[AUDIT_DETAIL_MAX + 2];

	ck_assert_int_eq(store_audit(st, ACTOR, "key.open", "millau", NULL),
	    STORE_OK);
	ck_assert_int_eq(store_audit(st, ACTOR, "", NULL, NULL),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_audit(st, NULL, "key.open", NULL, NULL),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_audit(st, ACTOR, "key.open", "a\nb", NULL),
	    STORE_ERR_INVALID);
	memset(big, 'd', AUDIT_DETAIL_MAX);
	big[AUDIT_DETAIL_MAX] = '\0';
	ck_assert_int_eq(store_audit(st, ACTOR, "note", NULL, big), STORE_OK);
	big[AUDIT_DETAIL_MAX] = 'd';
	big[AUDIT_DETAIL_MAX + 1] = '\0';
	ck_assert_int_eq(store_audit(st, ACTOR, "note", NULL, big),
	    STORE_ERR_INVALID);
	ck_assert_int_eq(store_audit_verify(st, &rep), STORE_OK);
	ck_assert_int_eq(rep.bad_id, 0);
	ck_assert_int_eq(rep.checked, 3);
	ck_assert_str_eq(store_errmsg(NULL), "no store");
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_migrations_once);
	tcase_add_test(tc, test_newer_refused);
	tcase_add_test(tc, test_file_modes);
	tcase_add_test(tc, test_symlink_refused);
	tcase_add_test(tc, test_migration_atomic);
	tcase_add_test(tc, test_not_a_database);
	tcase_add_test(tc, test_two_connections);
	tcase_add_test(tc, test_centres_staff);
	tcase_add_test(tc, test_transitions);
	tcase_add_test(tc, test_transition_messages);
	tcase_add_test(tc, test_transition_tx);
	tcase_add_test(tc, test_cancel_until_shipped);
	tcase_add_test(tc, test_ref_forms);
	tcase_add_test(tc, test_idempotency);
	tcase_add_test(tc, test_import);
	tcase_add_test(tc, test_add_invalid);
	tcase_add_test(tc, test_linking);
	tcase_add_test(tc, test_recipient_record);
	tcase_add_test(tc, test_flagging);
	tcase_add_test(tc, test_rollback_audit_fails);
	tcase_add_test(tc, test_rollback_check_fails);
	tcase_add_test(tc, test_pii_not_on_disk);
	tcase_add_test(tc, test_open_refused);
	tcase_add_test(tc, test_queue);
	tcase_add_test(tc, test_packs_summary);
	tcase_add_test(tc, test_store_audit);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(store_suite)
