/*
 * Staff accounts of centre.db's `staff` table (migration 1, orders/store.c):
 * adding a login with a checked, scrypt-hashed password, changing the
 * password, disabling and enabling, listing, and logging in.  A login does
 * the same work whether the account exists or not (an unknown login is
 * verified against a dummy hash), counts failures per login, locks the
 * account for STAFF_LOCK_SECS after STAFF_LOCK_FAILURES failures in a row,
 * and refuses a wrong password, an unknown login, a disabled or a locked
 * account with the one same answer, so the console never tells a guesser
 * which logins exist.  Every login, failure, lock-out and change is an
 * audit entry; none holds a password, and a failure for an unknown login
 * does not record what was typed (people type their password into the
 * login field).  Roles and what each may do: staff_can().
 */
#ifndef HRPOST_STAFF_H
#define HRPOST_STAFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "orders/store.h"

#define STAFF_LOGIN_MAX 63		/* bytes, as the table's CHECK */
#define STAFF_CENTRE_MAX 64		/* centre code buffer */
#define STAFF_LOCK_FAILURES 5		/* failures in a row that lock */
#define STAFF_LOCK_SECS (15 * 60)	/* how long a lock-out lasts */
#define STAFF_LIST_MAX 10000		/* accounts staff_list() returns */
#define STAFF_DENIED_MSG "login or password not accepted"

enum staff_status {
	STAFF_OK = 0,
	STAFF_ERR_DENIED,	/* login refused: the only answer to show */
	STAFF_ERR_INVALID,	/* bad login, role or password (the rule) */
	STAFF_ERR_EXISTS,	/* staff_add(): the login is taken */
	STAFF_ERR_NOT_FOUND,	/* passwd/disable/get: no such login */
	STAFF_ERR_DB,		/* SQLite or OpenSSL failed */
};

/* What a page may do; staff_can() says which roles may. */
enum staff_action {
	STAFF_VIEW_QUEUE = 0,	/* queue and today's counts (clear columns) */
	STAFF_VIEW_PERSONAL,	/* open sealed personal data (audited) */
	STAFF_TAKE_ORDER,	/* phone order entry */
	STAFF_PACK,		/* pick and pack */
	STAFF_PRINT_LABEL,	/* labels and packing slips */
	STAFF_RECORD_CALLBACK,	/* call-back outcomes and notes */
	STAFF_VIEW_REPORTS,	/* figures without personal data */
	STAFF_MANAGE_STOCK,	/* receive lots, adjust stock */
	STAFF_VIEW_AUDIT,	/* the audit log and its verification */
	STAFF_MANAGE_STAFF,	/* add, passwd, disable staff */
	STAFF_ACTION_COUNT
};

/* One account, without its password hash. */
struct staff_account {
	int64_t id;
	int64_t centre_id;
	char login[STAFF_LOGIN_MAX + 1];
	char centre[STAFF_CENTRE_MAX];	/* centre code */
	enum staff_role role;
	bool disabled;
	int failed_logins;
	time_t locked_until;		/* 0: not locked */
	time_t created_at;
};

/*
 * true when @role may do @action.  The matrix (admin A, coordinator C,
 * packer P, reviewer R):
 *   view_queue A C P; view_personal_data A C P (the packer reads the
 *   address to pack and label); take_order A C; pack A C P;
 *   print_label A C P; record_callback A C; view_reports A C R;
 *   manage_stock A C P; view_audit A C R; manage_staff A.
 * A reviewer never sees personal data, nor the queue of orders.  Unknown
 * roles or actions: false.
 */
bool staff_can(enum staff_role role, enum staff_action action);

/* "view_queue", ... for messages and audit details; NULL when unknown. */
const char *staff_action_name(enum staff_action action);

/*
 * A password a staff member may choose: valid UTF-8 without control
 * characters, PASSWORD_MIN_LEN to PASSWORD_MAX_LEN characters/bytes, not
 * the login itself (any case), not one character repeated.  Returns 0, or
 * -1 with the rule (never the password) in @errbuf.
 */
int staff_password_ok(const char *login, const char *password, char *errbuf,
    size_t errsz) WUR;

/*
 * Add login @login with @role to centre @centre_id, its password hashed
 * with scrypt; audit "staff.add" by @actor (store_staff_add()).  Returns
 * STAFF_OK, STAFF_ERR_INVALID (login, role or password rule in @errbuf),
 * STAFF_ERR_EXISTS, STAFF_ERR_NOT_FOUND (no such centre) or STAFF_ERR_DB.
 * The hash is wiped; the caller keeps and wipes @password.
 */
enum staff_status staff_add(struct store *st, int64_t centre_id,
    const char *login, enum staff_role role, const char *password,
    const char *actor, char *errbuf, size_t errsz) WUR;

/*
 * Set a new password for @login (checked as staff_password_ok()), clear
 * its failure count and lock; audit "staff.passwd".  Same errors as
 * staff_add() (STAFF_ERR_NOT_FOUND: no such login).
 */
enum staff_status staff_passwd(struct store *st, const char *login,
    const char *password, const char *actor, char *errbuf,
    size_t errsz) WUR;

/*
 * Disable (@disabled true) or enable @login; audit "staff.disable" or
 * "staff.enable".  A disabled account cannot log in; the console must also
 * drop its sessions (session_destroy_staff()).  STAFF_OK also when it was
 * already so (and then no audit entry).  Errors: STAFF_ERR_INVALID,
 * STAFF_ERR_NOT_FOUND, STAFF_ERR_DB.
 */
enum staff_status staff_set_disabled(struct store *st, const char *login,
    bool disabled, const char *actor, char *errbuf, size_t errsz) WUR;

/*
 * One account by id or by login into @out.  STAFF_OK, STAFF_ERR_NOT_FOUND,
 * STAFF_ERR_INVALID (malformed login) or STAFF_ERR_DB.
 */
enum staff_status staff_get(struct store *st, int64_t id,
    struct staff_account *out, char *errbuf, size_t errsz) WUR;
enum staff_status staff_find(struct store *st, const char *login,
    struct staff_account *out, char *errbuf, size_t errsz) WUR;

/*
 * The accounts of centre @centre_id (0: every centre), by login, at most
 * STAFF_LIST_MAX.  *out is a malloc'd array of *n entries (NULL when 0)
 * the caller frees with free().  STAFF_OK or STAFF_ERR_DB.
 */
enum staff_status staff_list(struct store *st, int64_t centre_id,
    struct staff_account **out, size_t *n, char *errbuf, size_t errsz) WUR;

/*
 * Log in: verify @password for @login in constant time, with the same
 * work when @login is unknown, malformed, disabled or locked.  On success
 * fills @out, resets the failure count and appends "staff.login".  On a
 * wrong password, counts the failure ("staff.login.fail") and after
 * STAFF_LOCK_FAILURES in a row locks the account for STAFF_LOCK_SECS
 * ("staff.lockout"; the count starts again after the lock).  Attempts
 * while locked or disabled and unknown logins are refused and audited
 * without counting.  Returns STAFF_OK, STAFF_ERR_DENIED for every refusal
 * (show STAFF_DENIED_MSG, which @errbuf then holds, and nothing else), or
 * STAFF_ERR_DB.  The time is clock_now().
 */
enum staff_status staff_login(struct store *st, const char *login,
    const char *password, struct staff_account *out, char *errbuf,
    size_t errsz) WUR;

#endif
