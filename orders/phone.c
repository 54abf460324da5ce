/*
 * Phone numbers as people type them, normalised to E.164 ("+33612345678").
 * The parse is in two steps: collect the digits while checking that every
 * other character is an allowed separator, then decide from the prefix
 * ("+", "00" or a French trunk "0") what the number is.  French numbers,
 * national or after +33 and the overseas codes, are held to their exact
 * length; other countries to E.164's 8 to 15 digits.  Error messages name
 * the rule, never the number.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "base/util.h"
#include "orders/phone.h"

#define E164_DIGITS_MIN 8
#define E164_DIGITS_MAX 15
#define FR_NSN_LEN 9		/* French national significant number */
#define SPM_NSN_LEN 6		/* Saint-Pierre-et-Miquelon */

/*
 * Overseas departments and collectivities have their own country codes but
 * live in the French national plan: "0690 12 34 56" is +590 690 12 34 56.
 */
static const struct {
	const char *national;	/* first 4 digits of the national number */
	const char *cc;		/* country code */
} overseas[] = {
	{ "0590", "590" }, { "0690", "590" },	/* Guadeloupe, St-Martin, St-B. */
	{ "0596", "596" }, { "0696", "596" },	/* Martinique */
	{ "0594", "594" }, { "0694", "594" },	/* Guyane */
	{ "0262", "262" }, { "0692", "262" }, { "0693", "262" },  /* Réunion */
	{ "0269", "262" }, { "0639", "262" },	/* Mayotte */
	{ "0508", "508" },			/* Saint-Pierre-et-Miquelon */
};

/* Country codes in the French plan: numbers after them may carry a "0". */
static const struct {
	const char *cc;
	size_t nsn_len;
} french_cc[] = {
	{ "33", FR_NSN_LEN }, { "590", FR_NSN_LEN }, { "596", FR_NSN_LEN },
	{ "594", FR_NSN_LEN }, { "262", FR_NSN_LEN }, { "508", SPM_NSN_LEN },
};

static bool
is_separator(char c)
{
	return c == ' ' || c == '.' || c == '-';
}

/*
 * Write "+" @cc @nsn into @out.  The caller has bounded both lengths so the
 * result always fits; the check stays for safety.
 */
static int
put_e164(char out[PHONE_E164_MAX], const char *cc, const char *nsn,
    struct field_error *err)
{
	if (str_printf(out, PHONE_E164_MAX, "+%s%s", cc, nsn) == -1)
		return field_error_set(err, "phone", "is too long");
	return 0;
}

/* A national French number: "0" and 9 digits, the first not 0. */
static int
national(const char *d, char out[PHONE_E164_MAX], struct field_error *err)
{
	size_t i;

	if (strlen(d) != FR_NSN_LEN + 1)
		return field_error_set(err, "phone",
		    "a French number has 10 digits");
	if (d[1] == '0')
		return field_error_set(err, "phone",
		    "a French number does not start with 00 here");
	for (i = 0; i < ARRAY_LEN(overseas); i++) {
		if (strncmp(d, overseas[i].national, 4) != 0)
			continue;
		if (strcmp(overseas[i].cc, "508") == 0) {
			/* No Saint-Pierre-et-Miquelon number starts with 0. */
			if (d[4] == '0')
				return field_error_set(err, "phone",
				    "is not a valid French number");
			return put_e164(out, "508", d + 4, err);
		}
		return put_e164(out, overseas[i].cc, d + 1, err);
	}
	return put_e164(out, "33", d + 1, err);
}

/* Digits after "+" or "00": country code and number. */
static int
international(const char *d, char out[PHONE_E164_MAX],
    struct field_error *err)
{
	size_t len = strlen(d), i;

	if (len == 0)
		return field_error_set(err, "phone",
		    "needs digits after the international prefix");
	if (d[0] == '0')
		return field_error_set(err, "phone",
		    "a country code does not start with 0");
	for (i = 0; i < ARRAY_LEN(french_cc); i++) {
		const char *cc = french_cc[i].cc;
		size_t cclen = strlen(cc);
		const char *nsn = d + cclen;

		if (strncmp(d, cc, cclen) != 0)
			continue;
		/*
		 * "+33 06 12 34 56 78" is common: the trunk 0 of the national
		 * form kept after the country code.  No number in the French
		 * plan starts with 0 after the country code, so dropping it
		 * cannot turn one valid number into another.
		 */
		if (nsn[0] == '0' && strlen(nsn) == french_cc[i].nsn_len + 1)
			nsn++;
		if (strlen(nsn) != french_cc[i].nsn_len || nsn[0] == '0')
			return field_error_set(err, "phone", "a number after "
			    "+%s has %zu digits", cc, french_cc[i].nsn_len);
		return put_e164(out, cc, nsn, err);
	}
	if (len < E164_DIGITS_MIN || len > E164_DIGITS_MAX)
		return field_error_set(err, "phone",
		    "an international number has %d to %d digits",
		    E164_DIGITS_MIN, E164_DIGITS_MAX);
	return put_e164(out, "", d, err);
}

int
phone_normalise(const char *in, char out[PHONE_E164_MAX],
    struct field_error *err)
{
	/* Digits only; PHONE_INPUT_MAX bounds how many there can be. */
	char d[PHONE_INPUT_MAX + 1];
	size_t n = 0, len, i;
	bool plus = false, trunk_paren = false;
	int rc = -1;

	out[0] = '\0';
	if (in == NULL || *in == '\0') {
		field_error_set(err, "phone", "is required");
		goto out;
	}
	len = strlen(in);
	if (len > PHONE_INPUT_MAX) {
		field_error_set(err, "phone", "must be at most %d characters",
		    PHONE_INPUT_MAX);
		goto out;
	}
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c >= '0' && c <= '9') {
			d[n++] = c;
		} else if (is_separator(c)) {
			continue;
		} else if (c == '+') {
			if (plus || n > 0 || trunk_paren) {
				field_error_set(err, "phone",
				    "'+' may only come first");
				goto out;
			}
			plus = true;
		} else if (c == '(') {
			/* Only "(0)", once, after the first digits: "+33 (0)6". */
			if (trunk_paren || n == 0 || i + 2 >= len ||
			    in[i + 1] != '0' || in[i + 2] != ')') {
				field_error_set(err, "phone", "brackets are "
				    "allowed only around the 0 in \"+33 (0)6\"");
				goto out;
			}
			trunk_paren = true;
			i += 2;
		} else {
			field_error_set(err, "phone", "may only contain digits, "
			    "spaces, dots, hyphens and a leading '+'");
			goto out;
		}
	}
	d[n] = '\0';
	if (n == 0) {
		field_error_set(err, "phone", "must contain digits");
		goto out;
	}

	if (plus) {
		rc = international(d, out, err);
	} else if (n >= 2 && d[0] == '0' && d[1] == '0') {
		rc = international(d + 2, out, err);
	} else if (trunk_paren) {
		field_error_set(err, "phone", "\"(0)\" belongs after a country "
		    "code");
	} else if (d[0] == '0') {
		rc = national(d, out, err);
	} else {
		field_error_set(err, "phone", "must start with 0, 00 or '+'");
	}
out:
	OPENSSL_cleanse(d, sizeof(d));
	if (rc == -1)
		out[0] = '\0';
	return rc;
}
