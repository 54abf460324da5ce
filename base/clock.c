/*
 * The one clock, and strict ISO 8601 parsing and formatting in UTC.
 * clock_now() reads $HRPOST_NOW on every call (tests change it between
 * steps); a value that does not parse is reported once on stderr and the
 * real time is used, because a daemon must keep a clock whatever its
 * environment says.  Parsing takes fixed-width fields only, checks every
 * range (including the days of each month and leap years) and converts with
 * timegm(), so it never depends on the local time zone.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

#define YEAR_MIN 1970
#define YEAR_MAX 9999
#define OFFSET_HOURS_MAX 14	/* UTC+14, Line Islands */

time_t
clock_now(void)
{
	static atomic_bool warned;
	const char *env = getenv("HRPOST_NOW");
	time_t t;

	if (env != NULL && *env != '\0') {
		if (clock_parse(env, &t) == 0)
			return t;
		/* Daemon threads share the clock: warn once among them. */
		if (!atomic_exchange(&warned, true))
			fprintf(stderr, "hrpost: HRPOST_NOW is not an ISO 8601 "
			    "time; using the real clock\n");
	}
	return time(NULL);
}

void
clock_format(time_t t, char out[CLOCK_ISO_LEN])
{
	struct tm tm;

	/* Out of range for the format: an empty string, never a short one. */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 ||
	    tm.tm_year + 1900 > YEAR_MAX ||
	    str_printf(out, CLOCK_ISO_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec) == -1)
		out[0] = '\0';
}

/* Read exactly @n digits at *p into *v and advance; -1 if not digits. */
static int
digits(const char **p, int n, int *v)
{
	int i, r = 0;

	for (i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		r = r * 10 + (c - '0');
	}
	*p += n;
	*v = r;
	return 0;
}

static int
days_in_month(int year, int month)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month == 2 && leap)
		return 29;
	return days[month - 1];
}

int
clock_parse(const char *s, time_t *out)
{
	struct tm tm;
	const char *p = s;
	int year, mon, day, hour = 0, min = 0, sec = 0;
	int oh = 0, om = 0, sign = 0;
	time_t t;

	if (s == NULL)
		return -1;
	if (digits(&p, 4, &year) == -1 || *p++ != '-' ||
	    digits(&p, 2, &mon) == -1 || *p++ != '-' ||
	    digits(&p, 2, &day) == -1)
		return -1;
	if (year < YEAR_MIN || year > YEAR_MAX || mon < 1 || mon > 12 ||
	    day < 1 || day > days_in_month(year, mon))
		return -1;
	if (*p == 'T') {
		p++;
		if (digits(&p, 2, &hour) == -1 || *p++ != ':' ||
		    digits(&p, 2, &min) == -1)
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec) == -1)
				return -1;
		}
		if (hour > 23 || min > 59 || sec > 59)
			return -1;
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '+' ? 1 : -1;
			p++;
			if (digits(&p, 2, &oh) == -1 || *p++ != ':' ||
			    digits(&p, 2, &om) == -1)
				return -1;
			if (oh > OFFSET_HOURS_MAX || om > 59)
				return -1;
		}
	}
	if (*p != '\0')
		return -1;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	/* Fields are in range and year >= 1970: -1 cannot be a real answer. */
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	/* 12:00+02:00 is 10:00Z. */
	*out = t - (time_t)sign * ((time_t)oh * 3600 + (time_t)om * 60);
	return 0;
}
