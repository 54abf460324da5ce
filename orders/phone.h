/*
 * Phone numbers as people type them, normalised to E.164.
 *
 * Accepted: E.164 ("+33612345678", "+34 612 345 678", "0033 6 12 34 56 78":
 * 8 to 15 digits after the country code prefix) and French national form
 * ("06 12 34 56 78", "06.12.34.56.78", "0612345678"), including the overseas
 * departments' national numbers (0590/0690 -> +590, 0596/0696 -> +596,
 * 0594/0694 -> +594, 0262/0692/0693 -> +262, 0269/0639 -> +262, 0508 -> +508).
 * Separators: spaces, dots, hyphens, and parentheses around the "(0)" of
 * "+33 (0)6 ...".  Anything else is refused with a message naming "phone".
 */
#ifndef HRPOST_PHONE_H
#define HRPOST_PHONE_H

#include <stddef.h>

#include "base/util.h"

#define PHONE_E164_MAX 17	/* '+', 15 digits, NUL */
#define PHONE_INPUT_MAX 40

/*
 * Normalise @in into @out (PHONE_E164_MAX bytes).  Returns 0, or -1 with
 * @err filled in (field "phone").
 */
int phone_normalise(const char *in, char out[PHONE_E164_MAX],
    struct field_error *err) WUR;

#endif
