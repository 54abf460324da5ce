/*
 * libFuzzer target for the La Poste Suivi v2 answer parser
 * (shipping/tracking.c).  The first byte picks the HTTP status (200, 207,
 * 400, 404, 401, 429, 500), the rest is the body, asked about three
 * numbers.  Whatever the input: no crash, no read past the body (it is
 * handed over without a terminating NUL), and either TRACKING_OK with one
 * result per asked number, in order, each with a valid state, an event
 * code that is empty or 1 to 7 of A-Z 0-9, a label that is valid UTF-8
 * without control characters and within its limit, and a reason when it
 * is "later" or "error"; or an error with no result and a message.  The
 * rest of the input also goes through tracking_retry_after().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "shipping/tracking.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[] = { 200, 207, 400, 404, 401, 429, 500 };
static const char *const ids[] = {
	"6A18395701001", "6A18395701009", "CB662173705US",
};

static void
check_result(const struct tracking_result *r, const char *id)
{
	size_t n;

	if (strcmp(r->id, id) != 0 || (unsigned)r->state > TRACKING_ERROR)
		abort();
	n = strlen(r->code);
	if (n > TRACKING_CODE_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!((r->code[i] >= 'A' && r->code[i] <= 'Z') ||
		    (r->code[i] >= '0' && r->code[i] <= '9')))
			abort();
	n = strlen(r->label);
	if (n > TRACKING_LABEL_MAX || !utf8_valid(r->label, n) ||
	    utf8_has_control(r->label))
		abort();
	if (r->nunknown > TRACKING_UNKNOWN_MAX)
		abort();
	if ((r->state == TRACKING_LATER || r->state == TRACKING_ERROR) &&
	    r->reason[0] == '\0')
		abort();
	if ((r->state == TRACKING_DELIVERED || r->state == TRACKING_RETURNED ||
	    r->state == TRACKING_UNKNOWN) && r->code[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tracking_answer ans;
	char *copy;
	long status;

	if (size == 0)
		return 0;
	status = statuses[data[0] % ARRAY_LEN(statuses)];
	/* Exactly the body's bytes, no NUL after them: reads past fail. */
	copy = malloc(size - 1 > 0 ? size - 1 : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (tracking_parse(status, copy, size - 1, ids, ARRAY_LEN(ids),
	    &ans) == TRACKING_OK) {
		if (ans.nresults != ARRAY_LEN(ids))
			abort();
		for (size_t i = 0; i < ans.nresults; i++)
			check_result(&ans.results[i], ids[i]);
	} else if (ans.nresults != 0 || ans.err[0] == '\0') {
		abort();
	}
	free(copy);

	copy = malloc(size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	if (tracking_retry_after(copy, (time_t)1772438400) >
	    TRACKING_RETRY_AFTER_MAX)
		abort();
	free(copy);
	return 0;
}
