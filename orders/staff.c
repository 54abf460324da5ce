/*
 * Staff accounts (see staff.h for the contracts).  A login reads the
 * stored hash (or, for an unknown login, a dummy hash made once per
 * process from a random password with today's scrypt cost), always runs
 * password_verify(), and only then, inside one BEGIN IMMEDIATE
 * transaction, reads the account again and decides: success, failure
 * counted, lock-out, or a refusal of a locked, disabled or unknown
 * account; the decision and its audit entry commit together.  The scrypt
 * work is done outside the transaction so a slow hash never holds the
 * write lock; a password changed between the two reads counts as a wrong
 * password.  Passwords and hashes are wiped on every path.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "crypto/password.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "orders/staff.h"

#define DUMMY_SECRET_BYTES 32
#define STAFF_DETAIL_MAX 128
#define STAFF_ACTOR_UNKNOWN "unknown"

/* Column list shared by the account queries; see read_account(). */
#define ACCOUNT_COLS "s.id, s.centre_id, s.login, c.code, s.role, " \
	"s.disabled, s.failed_logins, s.locked_until, s.created_at, s.pwhash"
#define ACCOUNT_FROM " FROM staff s JOIN centres c ON c.id = s.centre_id"

/* The updates of the staff row: ?1 is its id. */
static const char sql_passwd[] = "UPDATE staff SET pwhash = ?2, "
    "failed_logins = 0, locked_until = NULL WHERE id = ?1";
static const char sql_count[] = "UPDATE staff SET failed_logins = ?2 "
    "WHERE id = ?1";
static const char sql_lock[] = "UPDATE staff SET failed_logins = 0, "
    "locked_until = ?2 WHERE id = ?1";
static const char sql_reset[] = "UPDATE staff SET failed_logins = 0, "
    "locked_until = NULL WHERE id = ?1";
static const char sql_disable[] = "UPDATE staff SET disabled = ?2 "
    "WHERE id = ?1";
static const char sql_enable[] = "UPDATE staff SET disabled = ?2, "
    "failed_logins = 0, locked_until = NULL WHERE id = ?1";

/* Rows: role bit masks of who may do each action. */
#define R(role) (1u << (role))
static const unsigned action_roles[STAFF_ACTION_COUNT] = {
	[STAFF_VIEW_QUEUE] = R(STAFF_ADMIN) | R(STAFF_COORDINATOR) |
	    R(STAFF_PACKER),
	[STAFF_VIEW_PERSONAL] = R(STAFF_ADMIN) | R(STAFF_COORDINATOR) |
	    R(STAFF_PACKER),
	[STAFF_TAKE_ORDER] = R(STAFF_ADMIN) | R(STAFF_COORDINATOR),
	[STAFF_PACK] = R(STAFF_ADMIN) | R(STAFF_COORDINATOR) | R(STAFF_PACKER),
	[STAFF_PRINT_LABEL] = R(STAFF_ADMIN) | R(STAFF_COORDINATOR) |
	    R(STAFF_PACKER),
	[STAFF_RECORD_CALLBACK] = R(STAFF_ADMIN) | R(STAFF_COORDINATOR),
	[STAFF_VIEW_REPORTS] = R(STAFF_ADMIN) | R(STAFF_COORDINATOR) |
	    R(STAFF_REVIEWER),
	[STAFF_MANAGE_STOCK] = R(STAFF_ADMIN) | R(STAFF_COORDINATOR) |
	    R(STAFF_PACKER),
	[STAFF_VIEW_AUDIT] = R(STAFF_ADMIN) | R(STAFF_COORDINATOR) |
	    R(STAFF_REVIEWER),
	[STAFF_MANAGE_STAFF] = R(STAFF_ADMIN),
};
#undef R

static const char *const action_names[STAFF_ACTION_COUNT] = {
	[STAFF_VIEW_QUEUE] = "view_queue",
	[STAFF_VIEW_PERSONAL] = "view_personal_data",
	[STAFF_TAKE_ORDER] = "take_order",
	[STAFF_PACK] = "pack",
	[STAFF_PRINT_LABEL] = "print_label",
	[STAFF_RECORD_CALLBACK] = "record_callback",
	[STAFF_VIEW_REPORTS] = "view_reports",
	[STAFF_MANAGE_STOCK] = "manage_stock",
	[STAFF_VIEW_AUDIT] = "view_audit",
	[STAFF_MANAGE_STAFF] = "manage_staff",
};

/* The dummy hash for unknown logins, made once. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[PASSWORD_HASH_MAX];
static bool dummy_ok;

bool
staff_can(enum staff_role role, enum staff_action action)
{
	if ((unsigned)action >= STAFF_ACTION_COUNT ||
	    store_role_name(role) == NULL)
		return false;
	return (action_roles[action] & (1u << role)) != 0;
}

const char *
staff_action_name(enum staff_action action)
{
	if ((unsigned)action >= STAFF_ACTION_COUNT)
		return NULL;
	return action_names[action];
}

/* Same alphabet as the table's logins (store.c code_ok with '.' '@'). */
static bool
login_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= STAFF_LOGIN_MAX)
			return false;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '@')
			continue;
		return false;
	}
	return n > 0;
}

static enum staff_status
invalid_login(char *errbuf, size_t errsz)
{
	errbuf_set(errbuf, errsz, "login must be 1 to %d letters, digits, "
	    "'.', '@', '-' or '_'", STAFF_LOGIN_MAX);
	return STAFF_ERR_INVALID;
}

int
staff_password_ok(const char *login, const char *password, char *errbuf,
    size_t errsz)
{
	size_t n, i;
	bool same = true;

	if (password == NULL) {
		errbuf_set(errbuf, errsz, "password is missing");
		return -1;
	}
	n = strnlen(password, PASSWORD_MAX_LEN + 1);
	if (n > PASSWORD_MAX_LEN) {
		errbuf_set(errbuf, errsz, "password must be at most %d bytes",
		    PASSWORD_MAX_LEN);
		return -1;
	}
	if (!utf8_valid(password, n) || utf8_has_control(password)) {
		errbuf_set(errbuf, errsz, "password must be UTF-8 text "
		    "without control characters");
		return -1;
	}
	if (utf8_len(password) < PASSWORD_MIN_LEN) {
		errbuf_set(errbuf, errsz, "password must be at least %d "
		    "characters", PASSWORD_MIN_LEN);
		return -1;
	}
	if (login != NULL && str_casecmp(login, password) == 0) {
		errbuf_set(errbuf, errsz, "password must not be the login");
		return -1;
	}
	for (i = 1; i < n; i++)
		if (password[i] != password[0])
			same = false;
	if (same) {
		errbuf_set(errbuf, errsz, "password must not be one character "
		    "repeated");
		return -1;
	}
	return 0;
}

static enum staff_status
from_store(struct store *st, enum store_status rc, char *errbuf,
    size_t errsz)
{
	errbuf_set(errbuf, errsz, "%s", store_errmsg(st));
	switch (rc) {
	case STORE_OK:
		return STAFF_OK;
	case STORE_ERR_DUPLICATE:
		return STAFF_ERR_EXISTS;
	case STORE_ERR_NOT_FOUND:
		return STAFF_ERR_NOT_FOUND;
	case STORE_ERR_INVALID:
		return STAFF_ERR_INVALID;
	default:
		return STAFF_ERR_DB;
	}
}

enum staff_status
staff_add(struct store *st, int64_t centre_id, const char *login,
    enum staff_role role, const char *password, const char *actor,
    char *errbuf, size_t errsz)
{
	char hash[PASSWORD_HASH_MAX];
	enum store_status rc;

	if (!login_ok(login))
		return invalid_login(errbuf, errsz);
	if (store_role_name(role) == NULL) {
		errbuf_set(errbuf, errsz, "role must be admin, coordinator, "
		    "packer or reviewer");
		return STAFF_ERR_INVALID;
	}
	if (staff_password_ok(login, password, errbuf, errsz) != 0)
		return STAFF_ERR_INVALID;
	if (password_hash(password, hash) != 0) {
		errbuf_set(errbuf, errsz, "cannot hash the password");
		return STAFF_ERR_DB;
	}
	rc = store_staff_add(st, centre_id, login, role, hash, actor);
	OPENSSL_cleanse(hash, sizeof(hash));
	return from_store(st, rc, errbuf, errsz);
}

/*
 * Copy the current row (ACCOUNT_COLS) into @a, and its hash into @hash
 * when not NULL.  Returns 0 or -1 (a column too long for its buffer).
 */
static int
read_account(sqlite3_stmt *s, struct staff_account *a, char *hash,
    size_t hashsz)
{
	enum staff_role role;
	char rname[16];

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->centre_id = sqlite3_column_int64(s, 1);
	if (db_column_text(s, 2, a->login, sizeof(a->login)) != 0 ||
	    db_column_text(s, 3, a->centre, sizeof(a->centre)) != 0 ||
	    db_column_text(s, 4, rname, sizeof(rname)) != 0 ||
	    store_role_parse(rname, &role) != 0)
		return -1;
	a->role = role;
	a->disabled = sqlite3_column_int64(s, 5) != 0;
	a->failed_logins = (int)sqlite3_column_int64(s, 6);
	a->locked_until = (time_t)sqlite3_column_int64(s, 7);
	a->created_at = (time_t)sqlite3_column_int64(s, 8);
	if (hash != NULL && db_column_text(s, 9, hash, hashsz) != 0)
		return -1;
	return 0;
}

/*
 * Look one account up by @login (when not NULL) or @id.  Returns STAFF_OK,
 * STAFF_ERR_NOT_FOUND or STAFF_ERR_DB.
 */
static enum staff_status
lookup(sqlite3 *db, const char *login, int64_t id, struct staff_account *a,
    char *hash, size_t hashsz, char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	enum staff_status ret = STAFF_ERR_DB;
	int rc;

	if (db_prepare(db, login != NULL ?
	    "SELECT " ACCOUNT_COLS ACCOUNT_FROM " WHERE s.login = ?" :
	    "SELECT " ACCOUNT_COLS ACCOUNT_FROM " WHERE s.id = ?", &s, errbuf,
	    errsz) != 0)
		goto out;
	rc = login != NULL ? db_bind_text(s, 1, login) :
	    db_bind_int64(s, 1, id);
	if (rc != SQLITE_OK) {
		db_error(db, "cannot read the staff account", errbuf, errsz);
		goto out;
	}
	rc = db_step(s, "cannot read the staff account", errbuf, errsz);
	if (rc == SQLITE_DONE) {
		errbuf_set(errbuf, errsz, "no such staff login");
		ret = STAFF_ERR_NOT_FOUND;
		goto out;
	}
	if (rc != SQLITE_ROW)
		goto out;
	if (read_account(s, a, hash, hashsz) != 0) {
		errbuf_set(errbuf, errsz, "malformed staff row");
		goto out;
	}
	ret = STAFF_OK;
out:
	sqlite3_finalize(s);
	return ret;
}

enum staff_status
staff_get(struct store *st, int64_t id, struct staff_account *out,
    char *errbuf, size_t errsz)
{
	return lookup(store_db(st), NULL, id, out, NULL, 0, errbuf, errsz);
}

enum staff_status
staff_find(struct store *st, const char *login, struct staff_account *out,
    char *errbuf, size_t errsz)
{
	if (!login_ok(login))
		return invalid_login(errbuf, errsz);
	return lookup(store_db(st), login, 0, out, NULL, 0, errbuf, errsz);
}

/*
 * Run one UPDATE of the staff row @id with up to three integer
 * parameters after the id (@sql binds ?1 = id, ?2.. = @v).  Returns 0 or -1.
 */
static int
update_row(sqlite3 *db, const char *sql, int64_t id, const int64_t *v,
    size_t nv, char *errbuf, size_t errsz)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;
	size_t i;

	if (db_prepare(db, sql, &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, id) != SQLITE_OK)
		goto bad;
	for (i = 0; i < nv; i++)
		if (db_bind_int64(s, (int)i + 2, v[i]) != SQLITE_OK)
			goto bad;
	if (db_step(s, "cannot update the staff account", errbuf, errsz) !=
	    SQLITE_DONE)
		goto out;
	ret = 0;
	goto out;
bad:
	db_error(db, "cannot update the staff account", errbuf, errsz);
out:
	sqlite3_finalize(s);
	return ret;
}

enum staff_status
staff_passwd(struct store *st, const char *login, const char *password,
    const char *actor, char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct staff_account a;
	enum staff_status ret = STAFF_ERR_DB;
	char hash[PASSWORD_HASH_MAX];

	if (!login_ok(login))
		return invalid_login(errbuf, errsz);
	if (staff_password_ok(login, password, errbuf, errsz) != 0)
		return STAFF_ERR_INVALID;
	if (password_hash(password, hash) != 0) {
		errbuf_set(errbuf, errsz, "cannot hash the password");
		return STAFF_ERR_DB;
	}
	if (db_begin(db, errbuf, errsz) != 0)
		goto out;
	ret = lookup(db, login, 0, &a, NULL, 0, errbuf, errsz);
	if (ret != STAFF_OK)
		goto out;
	ret = STAFF_ERR_DB;
	if (db_prepare(db, sql_passwd, &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, a.id) != SQLITE_OK ||
	    db_bind_text(s, 2, hash) != SQLITE_OK) {
		db_error(db, "cannot change the password", errbuf, errsz);
		goto out;
	}
	if (db_step(s, "cannot change the password", errbuf, errsz) !=
	    SQLITE_DONE)
		goto out;
	if (audit_append(db, actor, "staff.passwd", login, NULL, NULL, errbuf,
	    errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	ret = STAFF_OK;
out:
	sqlite3_finalize(s);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (ret != STAFF_OK)
		db_rollback(db);
	return ret;
}

enum staff_status
staff_set_disabled(struct store *st, const char *login, bool disabled,
    const char *actor, char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	struct staff_account a;
	enum staff_status ret = STAFF_ERR_DB;
	int64_t v = disabled ? 1 : 0;

	if (!login_ok(login))
		return invalid_login(errbuf, errsz);
	if (db_begin(db, errbuf, errsz) != 0)
		return STAFF_ERR_DB;
	ret = lookup(db, login, 0, &a, NULL, 0, errbuf, errsz);
	if (ret != STAFF_OK)
		goto out;
	if (a.disabled == disabled) {
		ret = STAFF_OK;		/* nothing changes: nothing audited */
		goto out;
	}
	ret = STAFF_ERR_DB;
	/* Enabling also lifts a lock and forgets the failures. */
	if (update_row(db, disabled ? sql_disable : sql_enable, a.id, &v, 1,
	    errbuf, errsz) != 0)
		goto out;
	if (audit_append(db, actor, disabled ? "staff.disable" :
	    "staff.enable", login, NULL, NULL, errbuf, errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	ret = STAFF_OK;
out:
	db_rollback(db);	/* nothing open after a commit: a no-op */
	return ret;
}

enum staff_status
staff_list(struct store *st, int64_t centre_id, struct staff_account **out,
    size_t *n, char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s = NULL;
	struct staff_account *v = NULL, *nv;
	size_t len = 0, cap = 0;
	enum staff_status ret = STAFF_ERR_DB;
	int rc;

	*out = NULL;
	*n = 0;
	if (db_prepare(db, "SELECT " ACCOUNT_COLS ACCOUNT_FROM
	    " WHERE ?1 = 0 OR s.centre_id = ?1 ORDER BY s.login LIMIT ?2",
	    &s, errbuf, errsz) != 0)
		goto out;
	if (db_bind_int64(s, 1, centre_id) != SQLITE_OK ||
	    db_bind_int64(s, 2, STAFF_LIST_MAX) != SQLITE_OK) {
		db_error(db, "cannot list staff", errbuf, errsz);
		goto out;
	}
	for (;;) {
		rc = db_step(s, "cannot list staff", errbuf, errsz);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW)
			goto out;
		if (len == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;

			nv = reallocarray(v, ncap, sizeof(*v));
			if (nv == NULL) {
				errbuf_set(errbuf, errsz, "out of memory");
				goto out;
			}
			v = nv;
			cap = ncap;
		}
		if (read_account(s, &v[len], NULL, 0) != 0) {
			errbuf_set(errbuf, errsz, "malformed staff row");
			goto out;
		}
		len++;
	}
	*out = v;
	*n = len;
	v = NULL;
	ret = STAFF_OK;
out:
	sqlite3_finalize(s);
	free(v);
	return ret;
}

static void
make_dummy(void)
{
	unsigned char secret[DUMMY_SECRET_BYTES];
	char pw[DUMMY_SECRET_BYTES * 2 + 1];
	size_t i;

	if (RAND_bytes(secret, sizeof(secret)) != 1)
		return;
	for (i = 0; i < sizeof(secret); i++) {
		pw[2 * i] = "0123456789abcdef"[secret[i] >> 4];
		pw[2 * i + 1] = "0123456789abcdef"[secret[i] & 15];
	}
	pw[sizeof(pw) - 1] = '\0';
	dummy_ok = password_hash(pw, dummy_hash) == 0;
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(pw, sizeof(pw));
}

/*
 * Inside the login transaction: record a refusal of @why for account @a
 * (NULL: unknown login), counting it when @count; lock when the count
 * reaches STAFF_LOCK_FAILURES.  Returns 0 or -1.
 */
static int
record_failure(sqlite3 *db, const struct staff_account *a, const char *why,
    bool count, time_t now, char *errbuf, size_t errsz)
{
	char detail[STAFF_DETAIL_MAX];
	int64_t v[1];
	int failures;

	if (a == NULL)
		return audit_append(db, STAFF_ACTOR_UNKNOWN, "staff.login.fail",
		    NULL, why, NULL, errbuf, errsz);
	if (!count)
		return audit_append(db, a->login, "staff.login.fail", a->login,
		    why, NULL, errbuf, errsz);
	failures = a->failed_logins + 1;
	if (failures < STAFF_LOCK_FAILURES) {
		v[0] = failures;
		if (update_row(db, sql_count, a->id, v, 1, errbuf,
		    errsz) != 0)
			return -1;
		if (str_printf(detail, sizeof(detail), "%s, failure %d of %d",
		    why, failures, STAFF_LOCK_FAILURES) < 0)
			return -1;
		return audit_append(db, a->login, "staff.login.fail",
		    a->login, detail, NULL, errbuf, errsz);
	}
	/* The lock starts now; failures count afresh after it. */
	v[0] = (int64_t)now + STAFF_LOCK_SECS;
	if (update_row(db, sql_lock, a->id, v, 1, errbuf, errsz) != 0)
		return -1;
	if (str_printf(detail, sizeof(detail), "%s, failure %d of %d", why,
	    failures, STAFF_LOCK_FAILURES) < 0)
		return -1;
	if (audit_append(db, a->login, "staff.login.fail", a->login, detail,
	    NULL, errbuf, errsz) != 0)
		return -1;
	if (str_printf(detail, sizeof(detail), "locked for %d minutes",
	    STAFF_LOCK_SECS / 60) < 0)
		return -1;
	return audit_append(db, a->login, "staff.lockout", a->login, detail,
	    NULL, errbuf, errsz);
}

enum staff_status
staff_login(struct store *st, const char *login, const char *password,
    struct staff_account *out, char *errbuf, size_t errsz)
{
	sqlite3 *db = store_db(st);
	struct staff_account a;
	enum staff_status ret = STAFF_ERR_DB, rc;
	char hash[PASSWORD_HASH_MAX], again[PASSWORD_HASH_MAX];
	const char *why = NULL;
	bool known, ok;
	time_t now;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	/* Whole buffers zeroed: they are compared whole below. */
	memset(hash, 0, sizeof(hash));
	memset(again, 0, sizeof(again));
	if (pthread_once(&dummy_once, make_dummy) != 0 || !dummy_ok) {
		errbuf_set(errbuf, errsz, "cannot prepare password checks");
		return STAFF_ERR_DB;
	}
	known = false;
	if (login_ok(login)) {
		rc = lookup(db, login, 0, &a, hash, sizeof(hash), errbuf,
		    errsz);
		if (rc == STAFF_ERR_DB)
			goto out;
		known = rc == STAFF_OK;
	}
	/*
	 * The same scrypt work on every path: an unknown or malformed login
	 * is checked against the dummy hash (and can never match it: its
	 * password was random and is gone).
	 */
	ok = password_verify(password != NULL ? password : "",
	    known ? hash : dummy_hash) && known;

	if (db_begin(db, errbuf, errsz) != 0)
		goto out;
	now = clock_now();
	if (known) {
		/* The account as it is now, under the write lock. */
		rc = lookup(db, login, 0, &a, again, sizeof(again), errbuf,
		    errsz);
		if (rc == STAFF_ERR_DB)
			goto out;
		known = rc == STAFF_OK;
		if (known && CRYPTO_memcmp(hash, again, sizeof(hash)) != 0)
			ok = false;	/* changed meanwhile */
	}
	if (!known)
		why = "unknown login";
	else if (a.disabled)
		why = "disabled";
	else if (a.locked_until > now)
		why = "locked";
	else if (!ok)
		why = "wrong password";

	if (why != NULL) {
		if (record_failure(db, known ? &a : NULL, why,
		    known && !a.disabled && a.locked_until <= now && !ok, now,
		    errbuf, errsz) != 0)
			goto out;
		if (db_commit(db, errbuf, errsz) != 0)
			goto out;
		errbuf_set(errbuf, errsz, STAFF_DENIED_MSG);
		ret = STAFF_ERR_DENIED;
		goto out;
	}
	if (update_row(db, sql_reset, a.id, NULL, 0, errbuf, errsz) != 0)
		goto out;
	if (audit_append(db, a.login, "staff.login", a.login, NULL, NULL,
	    errbuf, errsz) != 0)
		goto out;
	if (db_commit(db, errbuf, errsz) != 0)
		goto out;
	a.failed_logins = 0;
	a.locked_until = 0;
	*out = a;
	ret = STAFF_OK;
out:
	db_rollback(db);
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(again, sizeof(again));
	return ret;
}
