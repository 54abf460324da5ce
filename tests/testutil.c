/*
 * Helpers for the Check suites: scratch directories, test data paths, and
 * raw searches of files (used to prove plaintext never reaches a database).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/testutil.h"

const char *
testutil_mkdtemp(void)
{
	static char path[4096];
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (snprintf(path, sizeof(path), "%s/hrpost-test-XXXXXX", tmp) >=
	    (int)sizeof(path))
		return NULL;
	return mkdtemp(path);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
testutil_rmtree(const char *path)
{
	if (path != NULL)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
testutil_data(const char *name)
{
	static char path[4096];
	const char *top = getenv("HRPOST_SRCDIR");

	if (top == NULL)
		top = ".";
	if (snprintf(path, sizeof(path), "%s/tests/data/%s", top, name) >=
	    (int)sizeof(path))
		return NULL;
	return path;
}

char *
testutil_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, 4096, f);
		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

int
testutil_file_contains(const char *path, const void *needle, size_t nlen)
{
	size_t len;
	char *buf = testutil_slurp(path, &len);
	int found;

	if (buf == NULL)
		return 0;
	found = memmem(buf, len, needle, nlen) != NULL;
	free(buf);
	return found;
}
