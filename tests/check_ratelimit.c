/*
 * Check suite for server/ratelimit.c with an injected clock: a bucket of
 * @limit events, the one over denied with the right Retry-After, exact
 * refill (20 an hour: one every 180 s, not a second sooner), keys
 * independent, the table bounded however many keys come (a forgotten key
 * starts full), a clock going back, bad arguments, $HRPOST_NOW through
 * clock_now(), threads sharing one bucket without losing a token, and
 * ratelimit_check() looking without taking.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "server/ratelimit.h"
#include "tests/testutil.h"

static time_t fake;

static time_t
fake_now(void)
{
	return fake;
}

static bool
allow(struct ratelimit *rl, const char *key, unsigned *retry)
{
	return ratelimit_allow(rl, key, strlen(key), retry);
}

START_TEST(test_bucket)
{
	struct ratelimit *rl;
	unsigned retry = 0;

	fake = 1000000;
	rl = ratelimit_new(3, 60, 64, fake_now);
	ck_assert_ptr_nonnull(rl);
	for (int i = 0; i < 3; i++)
		ck_assert(allow(rl, "127.0.0.1", &retry));
	ck_assert(!allow(rl, "127.0.0.1", &retry));
	ck_assert_uint_eq(retry, 20);
	/* Another key is not touched. */
	ck_assert(allow(rl, "127.0.0.2", NULL));
	fake += 19;
	ck_assert(!allow(rl, "127.0.0.1", &retry));
	ck_assert_uint_eq(retry, 1);
	fake += 1;
	ck_assert(allow(rl, "127.0.0.1", &retry));
	ck_assert_uint_eq(retry, 0);
	ck_assert(!allow(rl, "127.0.0.1", NULL));
	/* A long pause refills to the limit, not beyond. */
	fake += 86400;
	for (int i = 0; i < 3; i++)
		ck_assert(allow(rl, "127.0.0.1", NULL));
	ck_assert(!allow(rl, "127.0.0.1", NULL));
	/* The clock going back refills nothing and breaks nothing. */
	fake -= 3600;
	ck_assert(!allow(rl, "127.0.0.1", &retry));
	ck_assert_uint_ge(retry, 1);
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_check)
{
	struct ratelimit *rl;
	unsigned retry = 0;

	fake = 2000000;
	rl = ratelimit_new(2, 60, 64, fake_now);
	ck_assert_ptr_nonnull(rl);
	/* Looking takes nothing, however often. */
	for (int i = 0; i < 10; i++)
		ck_assert(ratelimit_check(rl, "10.0.0.1", 8, &retry));
	ck_assert_uint_eq(retry, 0);
	ck_assert(allow(rl, "10.0.0.1", NULL));
	ck_assert(ratelimit_check(rl, "10.0.0.1", 8, NULL));
	ck_assert(allow(rl, "10.0.0.1", NULL));
	/* Empty: a look says so, with the wait, and still takes nothing. */
	ck_assert(!ratelimit_check(rl, "10.0.0.1", 8, &retry));
	ck_assert_uint_eq(retry, 30);
	ck_assert(!allow(rl, "10.0.0.1", NULL));
	ck_assert(ratelimit_check(rl, "10.0.0.2", 8, NULL));
	fake += 30;
	ck_assert(ratelimit_check(rl, "10.0.0.1", 8, &retry));
	ck_assert(allow(rl, "10.0.0.1", NULL));
	ck_assert(!ratelimit_check(rl, "10.0.0.1", 8, NULL));
	ck_assert(!ratelimit_check(NULL, "10.0.0.1", 8, NULL));
	ck_assert(!ratelimit_check(rl, NULL, 8, NULL));
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_slow_refill)
{
	struct ratelimit *rl;
	unsigned retry = 0;

	fake = 5000;
	rl = ratelimit_new(20, 3600, 0, fake_now);
	ck_assert_ptr_nonnull(rl);
	for (int i = 0; i < 20; i++)
		ck_assert(allow(rl, "+33612345678", NULL));
	ck_assert(!allow(rl, "+33612345678", &retry));
	ck_assert_uint_eq(retry, 180);
	/* Refilled second by second, nothing lost to rounding. */
	for (int i = 0; i < 179; i++) {
		fake++;
		ck_assert(!allow(rl, "+33612345678", NULL));
	}
	fake++;
	ck_assert(allow(rl, "+33612345678", NULL));
	ck_assert(!allow(rl, "+33612345678", NULL));
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_bounded)
{
	struct ratelimit *rl;
	char key[32];

	fake = 1;
	rl = ratelimit_new(1, 3600, 64, fake_now);
	ck_assert_ptr_nonnull(rl);
	ck_assert(allow(rl, "victim", NULL));
	ck_assert(!allow(rl, "victim", NULL));
	for (int i = 0; i < 10000; i++) {
		ck_assert_int_ge(str_printf(key, sizeof(key), "10.0.%d.%d",
		    i / 256, i % 256), 0);
		ck_assert(allow(rl, key, NULL));
		ck_assert_uint_le(ratelimit_used(rl), 64);
	}
	ck_assert_uint_eq(ratelimit_used(rl), 64);
	/* Forgotten under the flood: it starts again with a full bucket. */
	ck_assert(allow(rl, "victim", NULL));
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_arguments)
{
	struct ratelimit *rl;
	char big[RATELIMIT_KEY_MAX * 2];
	unsigned retry = 7;

	ck_assert_ptr_null(ratelimit_new(0, 60, 0, NULL));
	ck_assert_ptr_null(ratelimit_new(1, 0, 0, NULL));
	ck_assert_ptr_null(ratelimit_new(1, 60, RATELIMIT_SLOTS_MAX + 1,
	    NULL));
	ratelimit_free(NULL);
	ck_assert_uint_eq(ratelimit_used(NULL), 0);

	rl = ratelimit_new(1, 60, 1, fake_now);	/* rounded up to one set */
	ck_assert_ptr_nonnull(rl);
	ck_assert(!ratelimit_allow(rl, NULL, 3, &retry));
	ck_assert_uint_eq(retry, 0);
	ck_assert(!ratelimit_allow(rl, "x", 0, NULL));
	ck_assert(!ratelimit_allow(NULL, "x", 1, NULL));
	memset(big, 'z', sizeof(big));
	ck_assert(ratelimit_allow(rl, big, sizeof(big), NULL));
	ck_assert(!ratelimit_allow(rl, big, sizeof(big), NULL));
	/* Keys differing past RATELIMIT_KEY_MAX are still different. */
	big[sizeof(big) - 1] = 'y';
	ck_assert(ratelimit_allow(rl, big, sizeof(big), NULL));
	ratelimit_free(rl);
}
END_TEST

START_TEST(test_hrpost_now)
{
	struct ratelimit *rl;

	/* A frozen clock never refills. */
	ck_assert_int_eq(setenv("HRPOST_NOW", "2026-03-01T09:30:00Z", 1), 0);
	rl = ratelimit_new(2, 1, 0, NULL);
	ck_assert_ptr_nonnull(rl);
	ck_assert(allow(rl, "k", NULL));
	ck_assert(allow(rl, "k", NULL));
	ck_assert(!allow(rl, "k", NULL));
	ck_assert(!allow(rl, "k", NULL));
	ratelimit_free(rl);
	unsetenv("HRPOST_NOW");
}
END_TEST

#define THREADS 4
#define CALLS 5000

static struct ratelimit *shared;

static void *
hammer(void *arg)
{
	long n = 0;

	(void)arg;
	for (int i = 0; i < CALLS; i++)
		if (allow(shared, "shared-key", NULL))
			n++;
	return (void *)n;
}

START_TEST(test_threads)
{
	pthread_t t[THREADS];
	long total = 0;

	fake = 42;
	shared = ratelimit_new(1000, 100000, 0, fake_now);
	ck_assert_ptr_nonnull(shared);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		void *r;

		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		total += (long)r;
	}
	ck_assert_int_eq(total, 1000);
	ratelimit_free(shared);
}
END_TEST

static Suite *
ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("ratelimit");

	tcase_add_test(tc, test_bucket);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_slow_refill);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_arguments);
	tcase_add_test(tc, test_hrpost_now);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(ratelimit_suite)
