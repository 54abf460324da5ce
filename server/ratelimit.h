/*
 * Rate limits: one token bucket per key (a client address, an SMS
 * sender's number) in a fixed-size table, so a flood of new keys costs a
 * bounded amount of memory: when the table is full, the bucket touched
 * least recently (within the key's set of RATELIMIT_WAYS slots) is
 * evicted.  A bucket holds @limit tokens and refills at @limit per
 * @period seconds; each event takes one, and an empty bucket denies.
 *
 * Keys are never stored: the table keeps a keyed hash of each (HMAC-SHA256
 * under a random key drawn at creation, truncated to 128 bits), so a
 * phone number never sits in memory longer than the call, and nobody can
 * craft keys that collide to evict someone else's bucket.
 *
 * Thread-safe (one mutex, held for a few table slots).  Time comes from
 * clock_now() (which honours $HRPOST_NOW: a frozen clock never refills)
 * or an injected function, for tests.
 */
#ifndef HRPOST_RATELIMIT_H
#define HRPOST_RATELIMIT_H

#include <stddef.h>
#include <stdbool.h>
#include <time.h>

#include "base/util.h"

#define RATELIMIT_WAYS 8		/* slots per set */
#define RATELIMIT_SLOTS_MAX (1u << 20)
#define RATELIMIT_SLOTS_DEFAULT 8192	/* ~400 KiB */
#define RATELIMIT_KEY_MAX 256		/* bytes of a key */

struct ratelimit;

/*
 * A table of @slots buckets (rounded up to a multiple of RATELIMIT_WAYS,
 * at most RATELIMIT_SLOTS_MAX; 0: RATELIMIT_SLOTS_DEFAULT) of @limit
 * tokens refilled at @limit per @period seconds (both >= 1).  @now may be
 * NULL (clock_now()).  NULL on bad arguments or no memory.
 */
struct ratelimit *ratelimit_new(unsigned limit, unsigned period,
    size_t slots, time_t (*now)(void));

/* NULL is fine. */
void ratelimit_free(struct ratelimit *rl);

/*
 * Take one token from @key's bucket (@keylen bytes, 1 to
 * RATELIMIT_KEY_MAX; longer keys are hashed whole all the same).  Returns
 * true when allowed; false when the bucket is empty, with
 * *retry_after (may be NULL) set to the seconds until a token is back
 * (at least 1).
 */
bool ratelimit_allow(struct ratelimit *rl, const void *key, size_t keylen,
    unsigned *retry_after);

/*
 * The same without taking: true when @key's bucket holds a token now,
 * false (with *retry_after as above) when a ratelimit_allow() would deny.
 * For a limit that counts only some events (the tracking page counts
 * misses) but refuses every request once it is reached.
 */
bool ratelimit_check(struct ratelimit *rl, const void *key, size_t keylen,
    unsigned *retry_after);

/* Buckets in use (for tests: never more than the table's size). */
size_t ratelimit_used(struct ratelimit *rl);

#endif
