/*
 * Check suite for orders/audit.c: the hash chain verifies when fresh, and
 * verification names the right entry after each kind of tampering done
 * with raw SQL on the file (an edited field, a deleted middle entry,
 * swapped contents, changed ids, a deleted last entry, a cut tail followed
 * by new appends, a counter set back); appending only inside a
 * transaction, with every field checked at its limit and limit + 1; and a
 * hash recomputed here from the format documented in audit.h, so the
 * stored format cannot drift unnoticed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "base/util.h"
#include "orders/audit.h"
#include "orders/db.h"
#include "orders/store.h"
#include "tests/testutil.h"

static char dir[4096];
static char dbpath[4200];
static char errbuf[512];
static struct store *st;

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
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_msg(st != NULL, "%s", errbuf);
}

static void
teardown(void)
{
	store_close(st);
	st = NULL;
	testutil_rmtree(dir);
	unsetenv("HRPOST_NOW");
}

static void
raw_exec(const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(db);
}

/* Six entries: ids 1 to 6. */
static void
fill(void)
{
	static const char *const actions[] = {
		"key.open", "order.show", "order.accepted", "order.packed",
		"order.shipped", "order.delivered",
	};

	for (size_t i = 0; i < ARRAY_LEN(actions); i++)
		ck_assert_int_eq(store_audit(st, "coord1", actions[i],
		    "HR7K2M9QX", "from a to b"), STORE_OK);
}

static struct store_audit_report
verify(void)
{
	struct store_audit_report rep;

	ck_assert_int_eq(store_audit_verify(st, &rep), STORE_OK);
	return rep;
}

static void
assert_broken(int64_t id, const char *why)
{
	struct store_audit_report rep = verify();

	ck_assert_msg(rep.bad_id == id, "bad_id %lld, want %lld (%s)",
	    (long long)rep.bad_id, (long long)id, rep.why);
	ck_assert_msg(strstr(rep.why, why) != NULL, "%s", rep.why);
}

START_TEST(test_fresh)
{
	struct store_audit_report rep = verify();

	ck_assert_int_eq(rep.bad_id, 0);
	ck_assert_int_eq(rep.checked, 0);
	fill();
	rep = verify();
	ck_assert_int_eq(rep.bad_id, 0);
	ck_assert_int_eq(rep.checked, 6);
	ck_assert_str_eq(rep.why, "");
	/* Reopening changes nothing. */
	store_close(st);
	st = store_open(dbpath, errbuf, sizeof(errbuf));
	ck_assert_ptr_nonnull(st);
	rep = verify();
	ck_assert_int_eq(rep.bad_id, 0);
	ck_assert_int_eq(rep.checked, 6);
}
END_TEST

START_TEST(test_edit_field)
{
	static const char *const edits[] = {
		"UPDATE audit SET detail = 'from a to c' WHERE id = 3",
		"UPDATE audit SET actor = 'admin' WHERE id = 3",
		"UPDATE audit SET action = 'order.cancelled' WHERE id = 3",
		"UPDATE audit SET object = 'XXXXXXXXX' WHERE id = 3",
		"UPDATE audit SET at = at + 1 WHERE id = 3",
		"UPDATE audit SET hash = zeroblob(32) WHERE id = 3",
	};

	for (size_t i = 0; i < ARRAY_LEN(edits); i++) {
		fill();
		ck_assert_int_eq(verify().bad_id, 0);
		raw_exec(edits[i]);
		assert_broken(3, "entry 3 ");
		/* Start again from an empty chain. */
		raw_exec("DELETE FROM audit; DELETE FROM sqlite_sequence");
	}
	/* The plain edit says what happened. */
	fill();
	raw_exec("UPDATE audit SET detail = 'x' WHERE id = 4");
	assert_broken(4, "altered");
	/* A malformed hash is named too. */
	raw_exec("DELETE FROM audit; DELETE FROM sqlite_sequence");
	fill();
	raw_exec("UPDATE audit SET prev_hash = x'00' WHERE id = 5");
	assert_broken(5, "malformed");
}
END_TEST

START_TEST(test_delete_middle)
{
	fill();
	raw_exec("DELETE FROM audit WHERE id = 3");
	assert_broken(3, "entry 3 is missing");
	/* The first entry too. */
	raw_exec("DELETE FROM audit WHERE id = 1");
	assert_broken(1, "entry 1 is missing");
}
END_TEST

START_TEST(test_swap_contents)
{
	fill();
	/* Rows 2 and 4 swap everything but their ids. */
	raw_exec("CREATE TEMP TABLE t AS SELECT * FROM audit "
	    "WHERE id IN (2, 4);"
	    "UPDATE audit SET (at, actor, action, object, detail, prev_hash, "
	    "hash) = (SELECT at, actor, action, object, detail, prev_hash, "
	    "hash FROM t WHERE t.id = CASE audit.id WHEN 2 THEN 4 ELSE 2 END) "
	    "WHERE id IN (2, 4);");
	assert_broken(2, "entry 2 does not follow entry 1");
}
END_TEST

START_TEST(test_swap_ids)
{
	fill();
	/* Rows 2 and 3 trade ids: the order of events changes. */
	raw_exec("UPDATE audit SET id = 100 WHERE id = 3;"
	    "UPDATE audit SET id = 3 WHERE id = 2;"
	    "UPDATE audit SET id = 2 WHERE id = 100;");
	assert_broken(2, "entry 2");
}
END_TEST

START_TEST(test_renumber)
{
	fill();
	/* Delete 3 and close the gap, counter included: still caught. */
	raw_exec("DELETE FROM audit WHERE id = 3;"
	    "UPDATE audit SET id = 3 WHERE id = 4;"
	    "UPDATE audit SET id = 4 WHERE id = 5;"
	    "UPDATE audit SET id = 5 WHERE id = 6;"
	    "UPDATE sqlite_sequence SET seq = 5 WHERE name = 'audit';");
	assert_broken(3, "entry 3");
}
END_TEST

START_TEST(test_delete_last)
{
	fill();
	raw_exec("DELETE FROM audit WHERE id = 6");
	assert_broken(6, "entry 6 is missing");
	ck_assert_int_eq(verify().checked, 5);
	/* New entries after the cut do not hide it. */
	ck_assert_int_eq(store_audit(st, "coord1", "key.open", NULL, NULL),
	    STORE_OK);
	ck_assert_int_eq(store_audit(st, "coord1", "key.open", NULL, NULL),
	    STORE_OK);
	assert_broken(6, "entry 6 is missing");
}
END_TEST

START_TEST(test_delete_all)
{
	fill();
	raw_exec("DELETE FROM audit");
	assert_broken(1, "entry 1 is missing");
	/* An append after wiping everything still shows the hole. */
	ck_assert_int_eq(store_audit(st, "coord1", "key.open", NULL, NULL),
	    STORE_OK);
	assert_broken(1, "entry 1 is missing");
}
END_TEST

START_TEST(test_counter_set_back)
{
	fill();
	raw_exec("UPDATE sqlite_sequence SET seq = 2 WHERE name = 'audit'");
	assert_broken(3, "counter");
}
END_TEST

/* ---- audit_append() directly, on a database of its own ---- */

static const char *const audit_table[] = {
	"CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
	" object TEXT NOT NULL, detail TEXT NOT NULL,"
	" prev_hash BLOB NOT NULL, hash BLOB NOT NULL);",
};
static const struct db_schema audit_schema = { "a.db", audit_table, 1 };

static sqlite3 *
open_plain(const char *name)
{
	char path[4300];
	sqlite3 *db;

	ck_assert_int_ge(str_printf(path, sizeof(path), "%s/%s", dir, name),
	    0);
	db = db_open(path, &audit_schema, errbuf, sizeof(errbuf));
	ck_assert_msg(db != NULL, "%s", errbuf);
	return db;
}

static int
append(sqlite3 *db, const char *actor, const char *action,
    const char *object, const char *detail)
{
	int rc;

	ck_assert_int_eq(db_begin(db, errbuf, sizeof(errbuf)), 0);
	rc = audit_append(db, actor, action, object, detail, NULL, errbuf,
	    sizeof(errbuf));
	if (rc == 0)
		ck_assert_int_eq(db_commit(db, errbuf, sizeof(errbuf)), 0);
	else
		db_rollback(db);
	return rc;
}

START_TEST(test_append_rules)
{
	sqlite3 *db = open_plain("a.db");
	char s[AUDIT_DETAIL_MAX + 2];
	struct audit_report rep;
	int64_t id = 0;

	/* Outside a transaction: refused. */
	ck_assert_int_eq(audit_append(db, "a", "b", NULL, NULL, &id, errbuf,
	    sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, "outside a transaction"));
	ck_assert_int_eq(append(db, NULL, "b", NULL, NULL), -1);
	ck_assert_int_eq(append(db, "a", NULL, NULL, NULL), -1);
	ck_assert_int_eq(append(db, "", "b", NULL, NULL), -1);
	ck_assert_int_eq(append(db, "a", "", NULL, NULL), -1);
	ck_assert_int_eq(append(db, "a", "b", "tab\there", NULL), -1);
	ck_assert_int_eq(append(db, "a", "b", NULL, "bad \xc3"), -1);
	ck_assert_int_eq(append(db, "a", "b", NULL, "del \x7f"), -1);
	ck_assert_int_eq(append(db, "a", "b", "", ""), 0);
	ck_assert_int_eq(append(db, "é", "b", NULL, "ünïcode ok"), 0);

	/* Each field at its limit, then one byte over. */
	{
		static const size_t max[] = { AUDIT_ACTOR_MAX,
		    AUDIT_ACTION_MAX, AUDIT_OBJECT_MAX, AUDIT_DETAIL_MAX };

		for (int f = 0; f < 4; f++) {
			const char *v[4] = { "a", "b", "c", "d" };

			memset(s, 'x', max[f]);
			s[max[f]] = '\0';
			v[f] = s;
			ck_assert_int_eq(append(db, v[0], v[1], v[2], v[3]), 0);
			s[max[f]] = 'x';
			s[max[f] + 1] = '\0';
			ck_assert_int_eq(append(db, v[0], v[1], v[2], v[3]),
			    -1);
		}
	}
	ck_assert_int_eq(db_begin(db, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(audit_append(db, "a", "b", NULL, NULL, &id, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_int_eq(id, 7);
	/* Verifying inside the caller's transaction sees its entry. */
	ck_assert_int_eq(audit_verify(db, &rep, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(rep.checked, 7);
	ck_assert_int_eq(rep.bad_id, 0);
	db_rollback(db);
	ck_assert_int_eq(audit_verify(db, &rep, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(rep.checked, 6);
	ck_assert_int_eq(rep.bad_id, 0);
	/* The rolled-back id is given again: no false "missing" entry. */
	ck_assert_int_eq(db_begin(db, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(audit_append(db, "a", "b", NULL, NULL, &id, errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_int_eq(db_commit(db, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(id, 7);
	ck_assert_int_eq(audit_verify(db, &rep, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(rep.bad_id, 0);
	db_close(db);
}
END_TEST

/* SHA-256 over the documented encoding, written independently. */
static void
expected_hash(const uint8_t prev[32], int64_t id, int64_t at,
    const char *const f[4], uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *tag = "hrpost audit v1";
	uint8_t b[8];
	unsigned int n = 0;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	ck_assert_int_eq(EVP_DigestUpdate(ctx, prev, 32), 1);
	for (int k = -1; k < 6; k++) {
		const char *s = NULL;
		uint64_t v;

		if (k == -1 || k >= 2)
			s = k == -1 ? tag : f[k - 2];
		if (s != NULL) {
			size_t len = strlen(s);

			b[0] = (uint8_t)(len >> 24);
			b[1] = (uint8_t)(len >> 16);
			b[2] = (uint8_t)(len >> 8);
			b[3] = (uint8_t)len;
			ck_assert_int_eq(EVP_DigestUpdate(ctx, b, 4), 1);
			ck_assert_int_eq(EVP_DigestUpdate(ctx, s, len), 1);
			continue;
		}
		v = (uint64_t)(k == 0 ? id : at);
		for (int i = 7; i >= 0; i--, v >>= 8)
			b[i] = (uint8_t)(v & 0xff);
		ck_assert_int_eq(EVP_DigestUpdate(ctx, b, 8), 1);
	}
	ck_assert_int_eq(EVP_DigestFinal_ex(ctx, out, &n), 1);
	ck_assert_uint_eq(n, 32);
	EVP_MD_CTX_free(ctx);
}

START_TEST(test_hash_format)
{
	static const char *const e1[4] = { "coord1", "order.show", "HR7K2M9QX",
	    "" };
	static const char *const e2[4] = { "admin", "order.cancelled",
	    "HR7K2M9QX", "from received to cancelled" };
	sqlite3 *db = open_plain("a.db");
	uint8_t zero[32], h1[32], h2[32], head[32];
	sqlite3_stmt *s = NULL;
	int64_t at, id;

	ck_assert_int_eq(setenv("HRPOST_NOW", "2026-03-01T09:30:00Z", 1), 0);
	at = (int64_t)clock_now();
	ck_assert_int_eq(at, 1772357400);
	/* Empty chain: head 0 and zeros. */
	ck_assert_int_eq(audit_head(db, &id, head, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(id, 0);
	memset(zero, 0, sizeof(zero));
	ck_assert_mem_eq(head, zero, 32);

	ck_assert_int_eq(append(db, e1[0], e1[1], e1[2], NULL), 0);
	ck_assert_int_eq(append(db, e2[0], e2[1], e2[2], e2[3]), 0);
	expected_hash(zero, 1, at, e1, h1);
	expected_hash(h1, 2, at, e2, h2);

	ck_assert_int_eq(db_prepare(db, "SELECT prev_hash, hash FROM audit "
	    "ORDER BY id", &s, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_mem_eq(sqlite3_column_blob(s, 0), zero, 32);
	ck_assert_mem_eq(sqlite3_column_blob(s, 1), h1, 32);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_mem_eq(sqlite3_column_blob(s, 0), h1, 32);
	ck_assert_mem_eq(sqlite3_column_blob(s, 1), h2, 32);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);

	ck_assert_int_eq(audit_head(db, &id, head, errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(id, 2);
	ck_assert_mem_eq(head, h2, 32);
	db_close(db);
}
END_TEST

/* Moving a byte from one field to the next changes the hash. */
START_TEST(test_unambiguous)
{
	static const char *const pairs[][4] = {
		{ "ab", "c", "", "" }, { "a", "bc", "", "" },
		{ "a", "b", "x", "" }, { "a", "b", "", "x" },
	};
	uint8_t heads[ARRAY_LEN(pairs)][32];

	ck_assert_int_eq(setenv("HRPOST_NOW", "2026-03-01T09:30:00Z", 1), 0);
	for (size_t i = 0; i < ARRAY_LEN(pairs); i++) {
		char name[32];
		sqlite3 *db;
		int64_t id;

		ck_assert_int_ge(str_printf(name, sizeof(name), "u%zu.db", i),
		    0);
		db = open_plain(name);
		ck_assert_int_eq(append(db, pairs[i][0], pairs[i][1],
		    pairs[i][2], pairs[i][3]), 0);
		ck_assert_int_eq(audit_head(db, &id, heads[i], errbuf,
		    sizeof(errbuf)), 0);
		db_close(db);
	}
	for (size_t i = 0; i < ARRAY_LEN(pairs); i++)
		for (size_t j = i + 1; j < ARRAY_LEN(pairs); j++)
			ck_assert(memcmp(heads[i], heads[j], 32) != 0);
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fresh);
	tcase_add_test(tc, test_edit_field);
	tcase_add_test(tc, test_delete_middle);
	tcase_add_test(tc, test_swap_contents);
	tcase_add_test(tc, test_swap_ids);
	tcase_add_test(tc, test_renumber);
	tcase_add_test(tc, test_delete_last);
	tcase_add_test(tc, test_delete_all);
	tcase_add_test(tc, test_counter_set_back);
	tcase_add_test(tc, test_append_rules);
	tcase_add_test(tc, test_hash_format);
	tcase_add_test(tc, test_unambiguous);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(audit_suite)
