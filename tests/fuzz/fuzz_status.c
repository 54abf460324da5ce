/*
 * libFuzzer target for the status push's wire format (orders/push.c): the
 * intake node's reading of a POST /status body (push_decode(), what anyone
 * holding the console's token could send) and the console's reading of
 * intake's answers (push_answer_decode(), what a taken-over intake node
 * could send).  The first byte picks the reader, the rest is the input.
 * Whatever is accepted is within its limits (canonical tokens, known
 * statuses, times 0 to PUSH_AT_MAX, at most PUSH_BATCH_MAX entries) and
 * encodes back to a body that reads back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "crypto/token.h"
#include "orders/outbox.h"
#include "orders/push.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_status(const struct outbox_status *s)
{
	char canon[TOKEN_BUF(TOKEN_TRACK_DIGITS)];

	if (strlen(s->token) != OUTBOX_TOKEN_LEN ||
	    token_parse(s->token, TOKEN_TRACK_DIGITS, canon, sizeof(canon)) !=
	    TOKEN_OK || strcmp(canon, s->token) != 0)
		abort();
	if ((unsigned)s->status >= OUTBOX_TRACK_COUNT || s->updated_at < 0 ||
	    s->updated_at > PUSH_AT_MAX)
		abort();
}

static void
statuses(const char *body, size_t len)
{
	static struct outbox_status out[PUSH_BATCH_MAX], again[PUSH_BATCH_MAX];
	char errbuf[256], *enc = NULL;
	size_t n = 0, m = 0, elen = 0;

	if (push_decode(body, len, out, PUSH_BATCH_MAX, &n, errbuf,
	    sizeof(errbuf)) != 0) {
		if (n != 0)
			abort();
		return;
	}
	if (n > PUSH_BATCH_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		check_status(&out[i]);
	/* What was read is what gets written, and back. */
	if (push_encode(out, n, &enc, &elen) != 0)
		abort();
	if (push_decode(enc, elen, again, PUSH_BATCH_MAX, &m, errbuf,
	    sizeof(errbuf)) != 0 || m != n ||
	    memcmp(out, again, n * sizeof(out[0])) != 0)
		abort();
	free(enc);
}

static void
answer(const char *body, size_t len, bool with_applied)
{
	struct push_answer a, b;
	char errbuf[256], buf[PUSH_ANSWER_MAX];
	int n;

	if (push_answer_decode(body, len, with_applied, &a, errbuf,
	    sizeof(errbuf)) != 0) {
		if (a.applied != -1 || a.mark.at != 0 || a.mark.token[0] != 0)
			abort();
		return;
	}
	if (with_applied != (a.applied >= 0) || a.applied > PUSH_BATCH_MAX ||
	    a.mark.at < 0 || a.mark.at > PUSH_AT_MAX)
		abort();
	n = push_answer_encode(a.applied, &a.mark, buf, sizeof(buf));
	if (n < 0 || push_answer_decode(buf, (size_t)n, with_applied, &b,
	    errbuf, sizeof(errbuf)) != 0 || b.applied != a.applied ||
	    b.mark.at != a.mark.at || strcmp(b.mark.token, a.mark.token) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;
	size_t len;

	if (size < 1 || size > PUSH_BODY_MAX + 2)
		return 0;
	len = size - 1;
	copy = malloc(len + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, len);
	copy[len] = '\0';
	switch (data[0] % 3) {
	case 0:
		statuses(copy, len);
		break;
	case 1:
		answer(copy, len, false);
		break;
	default:
		answer(copy, len, true);
		break;
	}
	free(copy);
	return 0;
}
