/*
 * Staff sessions of the console daemon, kept in memory only: a bounded
 * table of sessions, each bound to one staff account, its centre and its
 * role, with an idle and an absolute timeout, a per-session CSRF token,
 * and the Set-Cookie lines that carry the id to the browser.  Session ids
 * are SESSION_ID_BYTES from RAND_bytes in hex; the table keeps only the
 * SHA-256 of each id, so neither a memory dump nor a log line of the
 * table holds a usable id.  A login always makes a new session (an id the
 * browser brought before is never promoted), which makes session fixation
 * impossible.  The table is safe to use from the daemon's threads.
 *
 * Callers get copies (struct session), never pointers into the table, so
 * a session expiring or being destroyed by another thread cannot leave a
 * dangling pointer.
 */
#ifndef HRPOST_SESSION_H
#define HRPOST_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"
#include "orders/store.h"

#define SESSION_ID_BYTES 32			/* 256 bits */
#define SESSION_ID_LEN (SESSION_ID_BYTES * 2)	/* hex characters */
#define SESSION_ID_BUF (SESSION_ID_LEN + 1)
#define SESSION_CSRF_BYTES 32
#define SESSION_CSRF_LEN (SESSION_CSRF_BYTES * 2)
#define SESSION_CSRF_BUF (SESSION_CSRF_LEN + 1)
#define SESSION_LOGIN_MAX 64			/* login buffer */
#define SESSION_MAX_DEFAULT 256			/* table size */
#define SESSION_MAX_LIMIT 65536
#define SESSION_PER_STAFF_MAX 8			/* one login's sessions */
#define SESSION_IDLE_SECS (30 * 60)
#define SESSION_ABSOLUTE_SECS (12 * 60 * 60)
#define SESSION_COOKIE_NAME "hrpost_session"
#define SESSION_COOKIE_MAX 192			/* a Set-Cookie value */
#define SESSION_COOKIE_HEADER_MAX 8192		/* Cookie: we parse */

struct session_store;

/* A copy of one session, as session_create()/session_lookup() give it. */
struct session {
	int64_t staff_id;
	int64_t centre_id;
	enum staff_role role;
	char login[SESSION_LOGIN_MAX];
	char csrf[SESSION_CSRF_BUF];	/* hidden field of every form */
	time_t created;
	time_t last_seen;
};

/*
 * A table of at most @max sessions (1 to SESSION_MAX_LIMIT), expiring
 * after @idle seconds without use or @absolute seconds after login,
 * whichever comes first (both > 0, idle <= absolute).  NULL on a bad
 * argument or out of memory.  Free with session_store_free() (NULL is
 * fine), which wipes the table.
 */
struct session_store *session_store_new(size_t max, time_t idle,
    time_t absolute);
void session_store_free(struct session_store *ss);

/*
 * Log in: end the session of @previous (the id the browser brought, if
 * any; NULL is fine, and it is never reused whatever it was), then start
 * a session for staff @staff_id of centre @centre_id with @role, @login
 * (1 to SESSION_LOGIN_MAX - 1 bytes): a fresh random id into @id (to send
 * in the cookie, then forget) and a fresh CSRF token; a copy in @out when
 * not NULL.  A login holding SESSION_PER_STAFF_MAX sessions
 * loses its least recently used one; a full table first drops expired
 * sessions, then the least recently used session of anyone.  Returns 0,
 * or -1 (bad argument, RAND_bytes failure).  The time is clock_now().
 */
int session_create(struct session_store *ss, const char *previous,
    int64_t staff_id, int64_t centre_id, enum staff_role role,
    const char *login, char id[SESSION_ID_BUF], struct session *out) WUR;

/*
 * Find the live session of @id (as the browser sent it; malformed,
 * unknown or expired ids are simply not found, and an expired session is
 * removed), mark it used now and copy it into @out.  Returns 0 or -1.
 */
int session_lookup(struct session_store *ss, const char *id,
    struct session *out) WUR;

/* End the session of @id (logout).  Unknown ids are ignored. */
void session_destroy(struct session_store *ss, const char *id);

/*
 * End every session of staff @staff_id (disabled, password changed).
 * Returns how many were ended.
 */
size_t session_destroy_staff(struct session_store *ss, int64_t staff_id);

/* Sessions held now, expired ones dropped first. */
size_t session_count(struct session_store *ss);

/*
 * true when @token (a form's hidden field; NULL or empty: false) is the
 * CSRF token of @s.  Constant time in the token's contents.
 */
bool session_csrf_check(const struct session *s, const char *token);

/*
 * The Set-Cookie value for @id: "hrpost_session=<id>; Path=/; HttpOnly;
 * SameSite=Strict" plus "; Secure" when @secure (the console runs TLS).
 * No Expires or Max-Age: the browser forgets it when it closes.
 * session_cookie_clear() writes the value that makes the browser drop it
 * (logout): empty value and Max-Age=0.  Both write into @out of @outsz
 * bytes (SESSION_COOKIE_MAX is enough) and return 0, or -1 (malformed id,
 * too small).
 */
int session_cookie(char *out, size_t outsz, const char *id, bool secure)
    WUR;
int session_cookie_clear(char *out, size_t outsz, bool secure) WUR;

/*
 * Find hrpost_session in a Cookie request header (at most
 * SESSION_COOKIE_HEADER_MAX bytes of "name=value; name=value") and copy
 * its value into @id when it is well formed.  Returns 0, or -1 when
 * absent, malformed, repeated or the header is too long.
 */
int session_cookie_id(const char *header, char id[SESSION_ID_BUF]) WUR;

#endif
