/*
 * libFuzzer target for the console's reading of intake's GET /outbox
 * answer (pull_parse() in orders/pull.c): any bytes, as a compromised or
 * broken intake node could send.  The answer is refused or its rows are
 * handed over in strictly increasing id order, each field within its
 * limit, blobs decoded within OUTBOX_BLOB_MAX.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "orders/inbox.h"
#include "orders/outbox.h"
#include "orders/pull.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_AFTER 3

struct seen {
	int64_t last;
	size_t n;
	unsigned long sum;
};

static int
row(const struct inbox_item *it, void *arg)
{
	struct seen *s = arg;

	if (it->id <= s->last)
		abort();
	s->last = it->id;
	s->n++;
	if ((it->blob == NULL) != (it->bloblen == 0) ||
	    it->bloblen > OUTBOX_BLOB_MAX)
		abort();
	if (it->idem != NULL && strlen(it->idem) > OUTBOX_IDEM_MAX + 1)
		abort();
	if (it->channel != NULL && strlen(it->channel) > 16)
		abort();
	if (it->centre != NULL && strlen(it->centre) > 63)
		abort();
	/* The blob is readable to its end (ASan watches). */
	for (size_t i = 0; i < it->bloblen; i++)
		s->sum += it->blob[i];
	/* Stop the page now and then, as a failing row would. */
	return it->id % 97 == 0 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { FUZZ_AFTER, 0, 0 };
	char errbuf[256];
	size_t nrows = 0, skipped = 0;
	char *copy;
	int rc;

	if (size > PULL_RESPONSE_MAX)
		return 0;
	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	rc = pull_parse(copy, size, PULL_PAGE_MAX, FUZZ_AFTER, row, &s,
	    &nrows, &skipped, errbuf, sizeof(errbuf));
	if (rc == 0 && s.n + skipped != nrows)
		abort();
	if (nrows > PULL_PAGE_MAX || s.n > nrows)
		abort();
	free(copy);
	return 0;
}
