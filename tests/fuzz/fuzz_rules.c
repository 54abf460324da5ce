/*
 * libFuzzer target for the follow-up rules parser (orders/followup.c):
 * followup_rules_parse() over the defaults, on any bytes.  An accepted
 * file must leave rules that obey what the parser claims to enforce
 * (opening intervals in order inside the day, at least one open day,
 * bounded counts and days, a French invitation that fits one SMS), and
 * the opening-hours arithmetic must then find a time or say none within
 * its bound, never loop or crash; every refusal names the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "orders/followup.h"
#include "orders/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct followup_rules *r)
{
	size_t open = 0;
	bool fr = false;

	for (int d = 0; d < 7; d++) {
		if (r->nhours[d] > FOLLOWUP_INTERVALS_MAX)
			abort();
		for (size_t i = 0; i < r->nhours[d]; i++) {
			const struct followup_interval *iv = &r->hours[d][i];

			if (iv->start < 0 || iv->end > 24 * 60 ||
			    iv->start >= iv->end ||
			    (i > 0 && iv->start < r->hours[d][i - 1].end))
				abort();
		}
		open += r->nhours[d];
	}
	if (open == 0 || r->nholidays > FOLLOWUP_HOLIDAYS_MAX ||
	    r->ninvites > FOLLOWUP_LANGS_MAX ||
	    r->nnaloxone_items == 0 ||
	    r->nnaloxone_items > FOLLOWUP_ITEMS_MAX ||
	    r->retry_calls < 1 || r->retry_calls > 10 ||
	    r->retry_hours < 1 || r->retry_hours > 168 ||
	    r->interval < 60 || r->interval > 3600 ||
	    r->digest_time < 0 || r->digest_time >= 24 * 60 ||
	    r->delivery_days < 0 || r->delivery_days > FOLLOWUP_DAYS_MAX ||
	    r->checkin_days < 0 || r->checkin_days > FOLLOWUP_DAYS_MAX)
		abort();
	for (size_t i = 0; i < r->ninvites; i++) {
		bool fits = false;

		if (sms_coding(r->invites[i].text, NULL, &fits) < 0 || !fits)
			abort();
		if (strcmp(r->invites[i].lang, "fr") == 0)
			fr = true;
	}
	if (!fr)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct followup_rules r;
	static bool tz;
	char errbuf[512];
	char *text;
	time_t t;

	if (size > FOLLOWUP_RULES_MAX)
		return 0;
	if (!tz) {
		/* Local time as the daemons have it; the rules' own zone
		 * would make runs depend on the file system. */
		followup_rules_defaults(&r);
		if (followup_tz_apply(&r, errbuf, sizeof(errbuf)) != 0)
			abort();
		tz = true;
	}
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	followup_rules_defaults(&r);
	if (followup_rules_parse(&r, "fuzz.ini", text, errbuf,
	    sizeof(errbuf)) == 0) {
		check(&r);
		/* Saturday 28 March 2026, the eve of a clock change. */
		if (followup_next_open(&r, 1774728000, &t) == 0 &&
		    (t < 1774728000 || !followup_is_open(&r, t)))
			abort();
		if (followup_day_open(&r, 1774728000, 3, &t) == 0 &&
		    !followup_is_open(&r, t))
			abort();
	} else if (strncmp(errbuf, "fuzz.ini", 8) != 0) {
		abort();
	}
	free(text);
	return 0;
}
