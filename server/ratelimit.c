/*
 * Token buckets in a fixed, set-associative table (see ratelimit.h).
 *
 * Tokens are counted in units of 1/@period token, so that a bucket
 * refilling at @limit per @period seconds gains exactly @limit units a
 * second: integer arithmetic with nothing lost to rounding.  A
 * key's set is chosen by its keyed hash; within the set, the key's slot
 * is found by the rest of the hash, or the least recently touched slot
 * is taken over (a new key starts with a full bucket: forgetting a key
 * can only be generous, never lock someone out).  With 8 ways and keyed
 * hashes, one source cannot push a given victim out of its set without
 * sending from many addresses, which per-address limits already bound.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/clock.h"
#include "server/ratelimit.h"

#define HASH_LEN 16
#define SECRET_LEN 32

struct slot {
	uint8_t hash[HASH_LEN];
	bool used;
	int64_t tokens;		/* in 1/period of a token */
	time_t last;		/* last refill */
	uint64_t touched;	/* for eviction: higher is more recent */
};

struct ratelimit {
	pthread_mutex_t lock;
	unsigned limit;
	unsigned period;
	size_t nsets;
	struct slot *slots;
	size_t used;
	uint64_t tick;
	time_t (*now)(void);
	uint8_t secret[SECRET_LEN];
};

struct ratelimit *
ratelimit_new(unsigned limit, unsigned period, size_t slots,
    time_t (*now)(void))
{
	struct ratelimit *rl;

	if (limit < 1 || period < 1 || slots > RATELIMIT_SLOTS_MAX)
		return NULL;
	if (slots == 0)
		slots = RATELIMIT_SLOTS_DEFAULT;
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	rl->limit = limit;
	rl->period = period;
	rl->nsets = (slots + RATELIMIT_WAYS - 1) / RATELIMIT_WAYS;
	rl->now = now != NULL ? now : clock_now;
	rl->slots = calloc(rl->nsets * RATELIMIT_WAYS, sizeof(*rl->slots));
	if (rl->slots == NULL || RAND_bytes(rl->secret, SECRET_LEN) != 1 ||
	    pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl->slots);
		OPENSSL_cleanse(rl->secret, SECRET_LEN);
		free(rl);
		return NULL;
	}
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	OPENSSL_cleanse(rl->slots, rl->nsets * RATELIMIT_WAYS *
	    sizeof(*rl->slots));
	free(rl->slots);
	OPENSSL_cleanse(rl->secret, SECRET_LEN);
	free(rl);
}

static void
refill(const struct ratelimit *rl, struct slot *s, time_t now)
{
	int64_t full = (int64_t)rl->limit * rl->period;
	int64_t elapsed;

	if (now <= s->last)
		return;	/* a clock going back refills nothing */
	elapsed = (int64_t)(now - s->last);
	if (elapsed > (int64_t)rl->period)
		elapsed = (int64_t)rl->period;	/* full anyway; no overflow */
	s->tokens += elapsed * (int64_t)rl->limit;
	if (s->tokens > full)
		s->tokens = full;
	s->last = now;
}

/*
 * The bucket of @key, refilled; take a token from it when @take.  true
 * when it held one.
 */
static bool
bucket(struct ratelimit *rl, const void *key, size_t keylen,
    unsigned *retry_after, bool take)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	struct slot *set, *s = NULL, *victim = NULL;
	uint64_t h = 0;
	time_t now;
	bool ok;

	if (retry_after != NULL)
		*retry_after = 0;
	if (rl == NULL || key == NULL || keylen == 0)
		return false;
	/* The hash is computed outside the lock. */
	if (HMAC(EVP_sha256(), rl->secret, SECRET_LEN, key, keylen, md,
	    &mdlen) == NULL || mdlen < HASH_LEN + sizeof(h))
		return true;	/* fail open: a limit is not a lock */
	memcpy(&h, md + HASH_LEN, sizeof(h));
	now = rl->now();

	pthread_mutex_lock(&rl->lock);
	set = &rl->slots[(h % rl->nsets) * RATELIMIT_WAYS];
	for (size_t i = 0; i < RATELIMIT_WAYS; i++) {
		if (set[i].used && memcmp(set[i].hash, md, HASH_LEN) == 0) {
			s = &set[i];
			break;
		}
		if (victim == NULL || !set[i].used ||
		    (victim->used && set[i].touched < victim->touched))
			victim = &set[i];
	}
	if (s == NULL) {
		s = victim;
		if (!s->used)
			rl->used++;
		s->used = true;
		memcpy(s->hash, md, HASH_LEN);
		s->tokens = (int64_t)rl->limit * rl->period;
		s->last = now;
	}
	refill(rl, s, now);
	s->touched = ++rl->tick;
	ok = s->tokens >= (int64_t)rl->period;
	if (ok) {
		if (take)
			s->tokens -= (int64_t)rl->period;
	} else if (retry_after != NULL) {
		int64_t need = (int64_t)rl->period - s->tokens;
		int64_t secs = (need + rl->limit - 1) / rl->limit;

		*retry_after = secs < 1 ? 1 : (unsigned)secs;
	}
	pthread_mutex_unlock(&rl->lock);
	OPENSSL_cleanse(md, sizeof(md));
	return ok;
}

bool
ratelimit_allow(struct ratelimit *rl, const void *key, size_t keylen,
    unsigned *retry_after)
{
	return bucket(rl, key, keylen, retry_after, true);
}

bool
ratelimit_check(struct ratelimit *rl, const void *key, size_t keylen,
    unsigned *retry_after)
{
	return bucket(rl, key, keylen, retry_after, false);
}

size_t
ratelimit_used(struct ratelimit *rl)
{
	size_t n;

	if (rl == NULL)
		return 0;
	pthread_mutex_lock(&rl->lock);
	n = rl->used;
	pthread_mutex_unlock(&rl->lock);
	return n;
}
