/*
 * The one clock.  Everything that reads the time for scheduling or
 * timestamps calls clock_now(), which honours $HRPOST_NOW (ISO 8601, e.g.
 * "2026-03-01T09:30:00Z") so tests can run weeks in seconds.
 */
#ifndef HRPOST_CLOCK_H
#define HRPOST_CLOCK_H

#include <stddef.h>
#include <time.h>

#include "base/util.h"

#define CLOCK_ISO_LEN 21	/* "2026-03-01T09:30:00Z" + NUL */

/* Seconds since the epoch, UTC. */
time_t clock_now(void);

/* Format @t as "YYYY-MM-DDTHH:MM:SSZ" into @out. */
void clock_format(time_t t, char out[CLOCK_ISO_LEN]);

/*
 * Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" with optional "Z" or
 * "+HH:MM"/"-HH:MM" into seconds since the epoch.  Returns 0 or -1.
 */
int clock_parse(const char *s, time_t *out) WUR;

#endif
