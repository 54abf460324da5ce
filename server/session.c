/*
 * Staff sessions (see session.h for the contracts).  The table is a plain
 * array of at most @max slots behind one mutex; a lookup hashes the id
 * presented and compares it with every live slot's hash (CRYPTO_memcmp,
 * no early exit on a match) so the time does not depend on where, or
 * whether, the id sits in the table.  A linear scan of a few hundred
 * slots costs microseconds: a hash map would buy nothing at this size.
 * Expired slots are dropped when met; slots are wiped when freed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/clock.h"
#include "server/session.h"

#define SESSION_HASH_LEN 32
#define COOKIE_ATTRS "; Path=/; HttpOnly; SameSite=Strict"

struct slot {
	bool used;
	uint8_t key[SESSION_HASH_LEN];	/* SHA-256 of the id */
	struct session s;
};

struct session_store {
	pthread_mutex_t lock;
	struct slot *slots;
	size_t max;
	time_t idle;
	time_t absolute;
};

static const char hexdigits[] = "0123456789abcdef";

static void
to_hex(const uint8_t *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Exactly @len lowercase hex digits. */
static bool
hex_ok(const char *s, size_t len)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return s[len] == '\0';
}

static int
hash_id(const char *id, uint8_t key[SESSION_HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(id, SESSION_ID_LEN, key, &n, EVP_sha256(), NULL) != 1 ||
	    n != SESSION_HASH_LEN)
		return -1;
	return 0;
}

static void
slot_clear(struct slot *sl)
{
	OPENSSL_cleanse(sl, sizeof(*sl));
}

static bool
expired(const struct session_store *ss, const struct slot *sl, time_t now)
{
	return now - sl->s.last_seen >= ss->idle ||
	    now - sl->s.created >= ss->absolute ||
	    now < sl->s.created;	/* the clock went back: be safe */
}

static void
drop_expired(struct session_store *ss, time_t now)
{
	size_t i;

	for (i = 0; i < ss->max; i++)
		if (ss->slots[i].used && expired(ss, &ss->slots[i], now))
			slot_clear(&ss->slots[i]);
}

struct session_store *
session_store_new(size_t max, time_t idle, time_t absolute)
{
	struct session_store *ss;

	if (max < 1 || max > SESSION_MAX_LIMIT || idle <= 0 ||
	    absolute <= 0 || idle > absolute)
		return NULL;
	ss = calloc(1, sizeof(*ss));
	if (ss == NULL)
		return NULL;
	ss->slots = calloc(max, sizeof(*ss->slots));
	if (ss->slots == NULL || pthread_mutex_init(&ss->lock, NULL) != 0) {
		free(ss->slots);
		free(ss);
		return NULL;
	}
	ss->max = max;
	ss->idle = idle;
	ss->absolute = absolute;
	return ss;
}

void
session_store_free(struct session_store *ss)
{
	if (ss == NULL)
		return;
	OPENSSL_cleanse(ss->slots, ss->max * sizeof(*ss->slots));
	free(ss->slots);
	pthread_mutex_destroy(&ss->lock);
	free(ss);
}

/*
 * A free slot for a new session of @staff_id, under the lock: when that
 * login holds SESSION_PER_STAFF_MAX sessions, its least recently used;
 * else an empty slot, after dropping expired ones; else the least
 * recently used of all.
 */
static struct slot *
pick_slot(struct session_store *ss, int64_t staff_id, time_t now)
{
	struct slot *mine = NULL, *any = NULL, *empty = NULL;
	size_t i, nmine = 0;

	drop_expired(ss, now);
	for (i = 0; i < ss->max; i++) {
		struct slot *sl = &ss->slots[i];

		if (!sl->used) {
			if (empty == NULL)
				empty = sl;
			continue;
		}
		if (any == NULL || sl->s.last_seen < any->s.last_seen)
			any = sl;
		if (sl->s.staff_id == staff_id) {
			nmine++;
			if (mine == NULL || sl->s.last_seen < mine->s.last_seen)
				mine = sl;
		}
	}
	if (nmine >= SESSION_PER_STAFF_MAX)
		return mine;
	return empty != NULL ? empty : any;
}

int
session_create(struct session_store *ss, const char *previous,
    int64_t staff_id, int64_t centre_id, enum staff_role role,
    const char *login, char id[SESSION_ID_BUF], struct session *out)
{
	uint8_t raw[SESSION_ID_BYTES], csrf[SESSION_CSRF_BYTES];
	uint8_t key[SESSION_HASH_LEN];
	struct slot *sl;
	time_t now = clock_now();
	int ret = -1;

	/*
	 * Fixation: whatever the browser held before the login ends here,
	 * even when the login is refused below.  (@previous may be @id.)
	 */
	if (previous != NULL)
		session_destroy(ss, previous);
	id[0] = '\0';
	if (ss == NULL || staff_id <= 0 || centre_id <= 0 ||
	    store_role_name(role) == NULL || login == NULL ||
	    login[0] == '\0' || strnlen(login, SESSION_LOGIN_MAX) >=
	    SESSION_LOGIN_MAX)
		return -1;
	if (RAND_bytes(raw, sizeof(raw)) != 1 ||
	    RAND_bytes(csrf, sizeof(csrf)) != 1)
		goto out;
	to_hex(raw, sizeof(raw), id);
	if (hash_id(id, key) != 0)
		goto out;

	if (pthread_mutex_lock(&ss->lock) != 0)
		goto out;
	sl = pick_slot(ss, staff_id, now);
	slot_clear(sl);
	sl->used = true;
	memcpy(sl->key, key, sizeof(key));
	sl->s.staff_id = staff_id;
	sl->s.centre_id = centre_id;
	sl->s.role = role;
	memcpy(sl->s.login, login, strlen(login) + 1);
	to_hex(csrf, sizeof(csrf), sl->s.csrf);
	sl->s.created = now;
	sl->s.last_seen = now;
	if (out != NULL)
		*out = sl->s;
	(void)pthread_mutex_unlock(&ss->lock);
	ret = 0;
out:
	if (ret != 0)
		OPENSSL_cleanse(id, SESSION_ID_BUF);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(csrf, sizeof(csrf));
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/*
 * Under the lock: the live slot whose key is @key, or NULL.  Every slot
 * is compared, match or not.
 */
static struct slot *
find_slot(struct session_store *ss, const uint8_t key[SESSION_HASH_LEN])
{
	struct slot *found = NULL;
	size_t i;

	for (i = 0; i < ss->max; i++) {
		struct slot *sl = &ss->slots[i];
		int diff = CRYPTO_memcmp(sl->key, key, SESSION_HASH_LEN);

		if (sl->used && diff == 0)
			found = sl;
	}
	return found;
}

int
session_lookup(struct session_store *ss, const char *id, struct session *out)
{
	uint8_t key[SESSION_HASH_LEN];
	struct slot *sl;
	time_t now = clock_now();
	int ret = -1;

	if (ss == NULL || !hex_ok(id, SESSION_ID_LEN) || hash_id(id, key) != 0)
		return -1;
	if (pthread_mutex_lock(&ss->lock) != 0)
		goto wipe;
	sl = find_slot(ss, key);
	if (sl != NULL && expired(ss, sl, now)) {
		slot_clear(sl);
		sl = NULL;
	}
	if (sl != NULL) {
		sl->s.last_seen = now;
		if (out != NULL)
			*out = sl->s;
		ret = 0;
	}
	(void)pthread_mutex_unlock(&ss->lock);
wipe:
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

void
session_destroy(struct session_store *ss, const char *id)
{
	uint8_t key[SESSION_HASH_LEN];
	struct slot *sl;

	if (ss == NULL || !hex_ok(id, SESSION_ID_LEN) || hash_id(id, key) != 0)
		return;
	if (pthread_mutex_lock(&ss->lock) == 0) {
		sl = find_slot(ss, key);
		if (sl != NULL)
			slot_clear(sl);
		(void)pthread_mutex_unlock(&ss->lock);
	}
	OPENSSL_cleanse(key, sizeof(key));
}

size_t
session_destroy_staff(struct session_store *ss, int64_t staff_id)
{
	size_t i, n = 0;

	if (ss == NULL || pthread_mutex_lock(&ss->lock) != 0)
		return 0;
	for (i = 0; i < ss->max; i++) {
		if (ss->slots[i].used && ss->slots[i].s.staff_id == staff_id) {
			slot_clear(&ss->slots[i]);
			n++;
		}
	}
	(void)pthread_mutex_unlock(&ss->lock);
	return n;
}

size_t
session_count(struct session_store *ss)
{
	size_t i, n = 0;

	if (ss == NULL || pthread_mutex_lock(&ss->lock) != 0)
		return 0;
	drop_expired(ss, clock_now());
	for (i = 0; i < ss->max; i++)
		if (ss->slots[i].used)
			n++;
	(void)pthread_mutex_unlock(&ss->lock);
	return n;
}

bool
session_csrf_check(const struct session *s, const char *token)
{
	/*
	 * The length is public (always SESSION_CSRF_LEN); only the
	 * contents are compared in constant time.
	 */
	if (s == NULL || token == NULL ||
	    strnlen(token, SESSION_CSRF_LEN + 1) != SESSION_CSRF_LEN ||
	    !hex_ok(s->csrf, SESSION_CSRF_LEN))
		return false;
	return CRYPTO_memcmp(s->csrf, token, SESSION_CSRF_LEN) == 0;
}

int
session_cookie(char *out, size_t outsz, const char *id, bool secure)
{
	if (!hex_ok(id, SESSION_ID_LEN))
		return -1;
	return str_printf(out, outsz, SESSION_COOKIE_NAME "=%s" COOKIE_ATTRS
	    "%s", id, secure ? "; Secure" : "") < 0 ? -1 : 0;
}

int
session_cookie_clear(char *out, size_t outsz, bool secure)
{
	return str_printf(out, outsz, SESSION_COOKIE_NAME "=" COOKIE_ATTRS
	    "; Max-Age=0%s", secure ? "; Secure" : "") < 0 ? -1 : 0;
}

int
session_cookie_id(const char *header, char id[SESSION_ID_BUF])
{
	static const char name[] = SESSION_COOKIE_NAME;
	const size_t nlen = sizeof(name) - 1;
	const char *p, *end, *val;
	size_t len, vlen;
	bool found = false;

	id[0] = '\0';
	if (header == NULL)
		return -1;
	len = strnlen(header, SESSION_COOKIE_HEADER_MAX + 1);
	if (len > SESSION_COOKIE_HEADER_MAX)
		return -1;
	/* RFC 6265 section 4.2.1: cookie-pair *( ";" SP cookie-pair ). */
	for (p = header; p < header + len; p = end + 1) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = memchr(p, ';', (size_t)(header + len - p));
		if (end == NULL)
			end = header + len;
		if ((size_t)(end - p) <= nlen || memcmp(p, name, nlen) != 0 ||
		    p[nlen] != '=')
			continue;
		/* Two of ours: someone planted one; trust neither. */
		if (found) {
			OPENSSL_cleanse(id, SESSION_ID_BUF);
			return -1;
		}
		val = p + nlen + 1;
		vlen = (size_t)(end - val);
		while (vlen > 0 && (val[vlen - 1] == ' ' ||
		    val[vlen - 1] == '\t'))
			vlen--;
		if (vlen != SESSION_ID_LEN)
			return -1;
		memcpy(id, val, SESSION_ID_LEN);
		id[SESSION_ID_LEN] = '\0';
		if (!hex_ok(id, SESSION_ID_LEN)) {
			OPENSSL_cleanse(id, SESSION_ID_BUF);
			return -1;
		}
		found = true;
		if (end == header + len)
			break;
	}
	return found ? 0 : -1;
}
