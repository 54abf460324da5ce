/*
 * Shared by the Check suites: a main() that runs one suite and prints
 * Check's summary line, and scratch directories that clean themselves up.
 */
#ifndef HRPOST_TESTUTIL_H
#define HRPOST_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* Run @suite_fn's suite; exit status 0 only when every test passed. */
#define CHECK_MAIN(suite_fn)						\
	int main(void)							\
	{								\
		SRunner *sr = srunner_create(suite_fn());		\
		srunner_run_all(sr, CK_NORMAL);				\
		int failed = srunner_ntests_failed(sr);			\
		srunner_free(sr);					\
		return failed == 0 ? 0 : 1;				\
	}

/*
 * Make a fresh directory under $TMPDIR (or /tmp) and return its path in a
 * static buffer; testutil_rmtree() removes it.
 */
const char *testutil_mkdtemp(void);
void testutil_rmtree(const char *path);

/* Path to a file under tests/data, in a static buffer. */
const char *testutil_data(const char *name);

/* Read a whole file into a malloc'd NUL-terminated buffer; NULL on error. */
char *testutil_slurp(const char *path, size_t *len);

/* true when @needle (@nlen bytes) occurs anywhere in file @path. */
int testutil_file_contains(const char *path, const void *needle, size_t nlen);

#endif
