/*
 * centre.db: the centre's store.  Centres, staff, recipients, orders and
 * their lines, packs and items, stock lots, parcels, follow-ups, and the
 * audit chain.  Personal data sits in sealed blobs only (crypto/seal.h),
 * each bound by its AAD to its table, row and field.
 *
 * SQLite through prepared statements only; WAL, foreign keys,
 * secure_delete, synchronous=FULL, a busy timeout; migrations by
 * PRAGMA user_version, applied on open.  Every state change is one
 * transaction that also appends one audit entry (orders/audit.h).
 *
 * Errors: functions return enum store_status; store_errmsg() then says what
 * went wrong in a sentence that never contains personal data.
 */
#ifndef HRPOST_STORE_H
#define HRPOST_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "crypto/token.h"
#include "orders/order.h"

struct store;
struct centre_key;

#define STORE_REF_MAX TOKEN_BUF(TOKEN_REF_DIGITS)	/* canonical, no dash */
#define STORE_TOKEN_MAX TOKEN_BUF(TOKEN_TRACK_DIGITS)
#define STORE_ACTOR_MAX 64
#define STORE_FLAG_MAX 96

enum store_status {
	STORE_OK = 0,
	STORE_ERR_NOT_FOUND,	/* no such order/centre/staff */
	STORE_ERR_TRANSITION,	/* illegal lifecycle transition */
	STORE_ERR_DUPLICATE,	/* unique key (idempotency, login) exists */
	STORE_ERR_INVALID,	/* bad argument (e.g. role name) */
	STORE_ERR_CRYPTO,	/* sealing or opening failed */
	STORE_ERR_DB,		/* SQLite failed */
};

enum staff_role {
	STAFF_ADMIN = 0,
	STAFF_COORDINATOR,
	STAFF_PACKER,
	STAFF_REVIEWER,
};

/* Clear columns of an order: what the queue shows without opening. */
struct store_order_row {
	int64_t id;
	char ref[STORE_REF_MAX];
	char token[STORE_TOKEN_MAX];
	char centre[64];
	enum order_status status;
	enum order_channel channel;
	time_t received_at;
	time_t updated_at;
	char dept[ADDRESS_DEPT_MAX];
	char lang[CATALOGUE_LANG_MAX];
	int for_people;
	int total_packs;
	bool flagged;
	char flag_reason[STORE_FLAG_MAX];
	int64_t recipient_id;
	char packs[160];	/* "INJ x2 (30G-8), NALOX x1" */
};

/*
 * Open (creating if needed) the centre database at @path and apply
 * migrations.  On error returns NULL and a message in @errbuf.
 */
struct store *store_open(const char *path, char *errbuf, size_t errsz);
void store_close(struct store *st);

/*
 * The SQLite connection, for the modules that keep their own tables in
 * centre.db (shipping/stock.c, shipping/packing.c, orders/inbox.c).  They
 * follow the store's rules: prepared statements only, one BEGIN IMMEDIATE
 * transaction per change with its audit_append(), personal data sealed.
 */
struct sqlite3 *store_db(struct store *st);

/* The last error as a sentence without personal data. */
const char *store_errmsg(const struct store *st);

/* Centres and staff. */
enum store_status store_centre_add(struct store *st, const char *code,
    const char *name, const char *actor, int64_t *id) WUR;
enum store_status store_centre_find(struct store *st, const char *code,
    int64_t *id) WUR;
enum store_status store_staff_add(struct store *st, int64_t centre_id,
    const char *login, enum staff_role role, const char *pwhash,
    const char *actor) WUR;
const char *store_role_name(enum staff_role role);
int store_role_parse(const char *name, enum staff_role *out) WUR;

/*
 * Record a new order for centre @centre_id in one transaction: seal the
 * personal fields to @key's public key, link the recipient by keyed
 * pseudonyms of the phone number and of the address (reusing an existing
 * recipient), flag it when unusual (@flag_qty packs or more than one order
 * within @flag_days days; 0 disables each), insert the order and its lines
 * with status @initial (ORDER_RECEIVED or ORDER_ACCEPTED), append the audit
 * entry "order.add".  @idem, when not NULL, is an idempotency key: a second
 * call with the same key returns STORE_ERR_DUPLICATE and @ref of the first.
 * Writes the new order's reference and tracking token.
 */
enum store_status store_order_add(struct store *st,
    const struct centre_key *key, int64_t centre_id, const struct order *o,
    enum order_status initial, const char *idem, int flag_qty, int flag_days,
    const char *actor, char ref[STORE_REF_MAX],
    char token[STORE_TOKEN_MAX]) WUR;

/*
 * The same for an order that came through the intake node, which already
 * gave it a reference and tracking token (shown to the person on the
 * confirmation page) and a receiving time: @given_ref and @given_token
 * (canonical or not; check characters verified) are used instead of new
 * ones, @received (0: now) is the order's received_at.  A reference or
 * token already used by another order is STORE_ERR_DUPLICATE; with @idem
 * set, the idempotency check runs first, as in store_order_add().
 */
enum store_status store_order_import(struct store *st,
    const struct centre_key *key, int64_t centre_id, const struct order *o,
    enum order_status initial, const char *idem, int flag_qty, int flag_days,
    const char *actor, const char *given_ref, const char *given_token,
    time_t received, char ref[STORE_REF_MAX],
    char token[STORE_TOKEN_MAX]) WUR;

/*
 * Look up an order by reference (any form token_parse() accepts) or
 * tracking token, clear columns only.
 */
enum store_status store_order_get(struct store *st, const char *ref,
    struct store_order_row *row) WUR;

/*
 * Open an order's personal data with @key into @o (clear fields too), and
 * append the audit entry "order.show" naming @actor.  The caller calls
 * order_clear(o) when done.
 */
enum store_status store_order_open(struct store *st,
    const struct centre_key *key, const char *ref, const char *actor,
    struct order *o, struct store_order_row *row) WUR;

/*
 * Move an order to @to in one transaction with the audit entry
 * "order.<status>".  Legal moves: received->accepted, accepted->packed,
 * packed->shipped, shipped->delivered, shipped->returned, and any of
 * received/accepted/packed->cancelled.  Anything else is
 * STORE_ERR_TRANSITION with a message naming both statuses.
 */
enum store_status store_order_transition(struct store *st, const char *ref,
    enum order_status to, const char *actor) WUR;

/*
 * The same inside the caller's open transaction (db_begin() on store_db()),
 * for a move that must commit or roll back with other changes (packing
 * takes stock and moves the order in one transaction): no BEGIN, COMMIT or
 * ROLLBACK here; on error the caller rolls back.  Refused
 * (STORE_ERR_INVALID) when no transaction is open.  Writes the order's
 * id to *order_id when not NULL.
 */
enum store_status store_order_transition_tx(struct store *st,
    const char *ref, enum order_status to, const char *actor,
    int64_t *order_id) WUR;

/* true when @from -> @to is a legal move. */
bool store_transition_allowed(enum order_status from, enum order_status to);

/*
 * Call @cb for each order of centre @centre_id (0: all centres) with status
 * @status (-1: all), oldest first.  Stops early and returns STORE_OK when
 * @cb returns non-zero.
 */
enum store_status store_queue(struct store *st, int64_t centre_id,
    int status, int (*cb)(const struct store_order_row *row, void *arg),
    void *arg) WUR;

/*
 * Mirror the catalogue's packs, items and pack contents into centre.db
 * (insert new, update changed; never delete, since old orders refer to
 * them), with one audit entry "catalogue.sync".  (Written by the lead after
 * the rest of store.c; not part of the store engineer's brief.)
 */
struct catalogue;
enum store_status store_catalogue_sync(struct store *st,
    const struct catalogue *cat, const char *actor) WUR;

/* Audit chain. */
struct store_audit_report {
	int64_t checked;	/* entries that verified */
	int64_t bad_id;		/* first bad entry's id, 0 when all good */
	char why[160];
};
/*
 * Verify the whole chain.  STORE_OK with bad_id == 0: intact.  STORE_OK with
 * bad_id != 0: broken at that entry, reason in @why.
 */
enum store_status store_audit_verify(struct store *st,
    struct store_audit_report *rep) WUR;

/* Append an audit entry on its own (e.g. "key.open"); one transaction. */
enum store_status store_audit(struct store *st, const char *actor,
    const char *action, const char *object, const char *detail) WUR;

#endif
