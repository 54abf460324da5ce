/*
 * French postal addresses: postcode to département, address line and
 * commune checks, poste restante detection, and the canonical form used to
 * link a recipient's orders.  The rules are La Poste's (AFNOR NF Z10-011)
 * as summed up in shared/INTERFACES.md; see address.h for the contracts.
 * Error messages name the rule only: the field is in err->field and the
 * value, which is personal data, is never repeated.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "base/util.h"
#include "shipping/address.h"

/* "POSTCODE COMMUNE" on one line: the commune gets what the code leaves. */
#define COMMUNE_MAX (ADDRESS_LINE_MAX - ADDRESS_POSTCODE_LEN - 1)

/*
 * ASCII folding of U+00C0..U+017F (Latin-1 Supplement letters and Latin
 * Extended-A), upper case.  NULL marks the two symbols in that range
 * (U+00D7 multiplication sign, U+00F7 division sign): they separate words.
 */
static const char *const fold_latin[] = {
	/* U+00C0 */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* U+00C8 */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* U+00D0 */ "D", "N", "O", "O", "O", "O", "O", NULL,
	/* U+00D8 */ "O", "U", "U", "U", "U", "Y", "TH", "SS",
	/* U+00E0 */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* U+00E8 */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* U+00F0 */ "D", "N", "O", "O", "O", "O", "O", NULL,
	/* U+00F8 */ "O", "U", "U", "U", "U", "Y", "TH", "Y",
	/* U+0100 */ "A", "A", "A", "A", "A", "A", "C", "C",
	/* U+0108 */ "C", "C", "C", "C", "C", "C", "D", "D",
	/* U+0110 */ "D", "D", "E", "E", "E", "E", "E", "E",
	/* U+0118 */ "E", "E", "E", "E", "G", "G", "G", "G",
	/* U+0120 */ "G", "G", "G", "G", "H", "H", "H", "H",
	/* U+0128 */ "I", "I", "I", "I", "I", "I", "I", "I",
	/* U+0130 */ "I", "I", "IJ", "IJ", "J", "J", "K", "K",
	/* U+0138 */ "K", "L", "L", "L", "L", "L", "L", "L",
	/* U+0140 */ "L", "L", "L", "N", "N", "N", "N", "N",
	/* U+0148 */ "N", "N", "N", "N", "O", "O", "O", "O",
	/* U+0150 */ "O", "O", "OE", "OE", "R", "R", "R", "R",
	/* U+0158 */ "R", "R", "S", "S", "S", "S", "S", "S",
	/* U+0160 */ "S", "S", "T", "T", "T", "T", "T", "T",
	/* U+0168 */ "U", "U", "U", "U", "U", "U", "U", "U",
	/* U+0170 */ "U", "U", "U", "U", "W", "W", "Y", "Y",
	/* U+0178 */ "Y", "Z", "Z", "Z", "Z", "Z", "Z", "S",
};

/*
 * Decode the code point at *p of a string already known to be well-formed
 * UTF-8 and advance *p past it.
 */
static unsigned long
next_cp(const char **p)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned long cp;
	size_t n, k;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 1;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 2;
		cp = s[0] & 0x0f;
	} else {
		n = 3;
		cp = s[0] & 0x07;
	}
	for (k = 1; k <= n; k++)
		cp = (cp << 6) | (s[k] & 0x3f);
	*p += n + 1;
	return cp;
}

static bool
is_ascii_letter(unsigned long cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
}

/*
 * Letters a French commune name may hold: ASCII, the Latin-1 letters, Latin
 * Extended-A and -B, and Latin Extended Additional (Vietnamese and the
 * like).  Other scripts are refused: a label is read by a French postman.
 */
static bool
is_commune_letter(unsigned long cp)
{
	if (is_ascii_letter(cp))
		return true;
	if (cp >= 0xc0 && cp <= 0x24f)
		return cp != 0xd7 && cp != 0xf7;
	return cp >= 0x1e00 && cp <= 0x1eff;
}

/* Spaces that leave a line blank: ASCII, NBSP, the U+2000 block, ideographic. */
static bool
is_space_cp(unsigned long cp)
{
	return cp == ' ' || cp == '\t' || cp == 0xa0 ||
	    (cp >= 0x2000 && cp <= 0x200b) || cp == 0x202f || cp == 0x205f ||
	    cp == 0x3000;
}

int
address_postcode_check(const char *postcode, char dept[ADDRESS_DEPT_MAX],
    struct field_error *err)
{
	const char *f = "postcode";
	int d2, d3;
	size_t i;

	dept[0] = '\0';
	if (postcode == NULL || *postcode == '\0')
		return field_error_set(err, f, "is required");
	for (i = 0; postcode[i] != '\0'; i++) {
		if (i >= ADDRESS_POSTCODE_LEN ||
		    postcode[i] < '0' || postcode[i] > '9')
			return field_error_set(err, f, "must be 5 digits");
	}
	if (i != ADDRESS_POSTCODE_LEN)
		return field_error_set(err, f, "must be 5 digits");

	d2 = (postcode[0] - '0') * 10 + (postcode[1] - '0');
	d3 = d2 * 10 + (postcode[2] - '0');
	if (d2 == 0)
		return field_error_set(err, f,
		    "no département starts with 00");
	if (d2 == 20) {
		/* Corsica: 200xx/201xx Corse-du-Sud, 202xx/206xx Haute-Corse. */
		if (d3 == 200 || d3 == 201) {
			memcpy(dept, "2A", 3);
			return 0;
		}
		if (d3 == 202 || d3 == 206) {
			memcpy(dept, "2B", 3);
			return 0;
		}
		return field_error_set(err, f,
		    "Corsican postcodes start with 200, 201, 202 or 206");
	}
	if (d2 <= 95) {
		dept[0] = postcode[0];
		dept[1] = postcode[1];
		dept[2] = '\0';
		return 0;
	}
	if (d2 == 97) {
		if (d3 < 971 || d3 > 976)
			return field_error_set(err, f,
			    "overseas postcodes start with 971 to 976");
		/* Two collectivities share the Guadeloupe range. */
		if (strcmp(postcode, "97133") == 0) {
			memcpy(dept, "977", 4);
		} else if (strcmp(postcode, "97150") == 0) {
			memcpy(dept, "978", 4);
		} else {
			memcpy(dept, postcode, 3);
			dept[3] = '\0';
		}
		return 0;
	}
	if (d2 == 98) {
		if (strcmp(postcode, "98000") == 0) {
			memcpy(dept, "98", 3);	/* Monaco */
			return 0;
		}
		if (d3 >= 986 && d3 <= 988) {
			memcpy(dept, postcode, 3);
			dept[3] = '\0';
			return 0;
		}
		return field_error_set(err, f,
		    "no French postal area has this postcode");
	}
	return field_error_set(err, f, "no French postal area has this postcode");
}

int
address_line_check(const char *field, const char *line,
    struct field_error *err)
{
	const char *p;
	size_t len;
	bool blank = true;

	if (line == NULL || *line == '\0')
		return field_error_set(err, field, "is required");
	len = strlen(line);
	/* Past this many bytes it is too long whatever the encoding. */
	if (len >= ADDRESS_LINE_BYTES)
		return field_error_set(err, field,
		    "must be at most %d characters", ADDRESS_LINE_MAX);
	if (!utf8_valid(line, len))
		return field_error_set(err, field, "must be valid UTF-8 text");
	if (utf8_has_control(line))
		return field_error_set(err, field,
		    "must not contain control characters");
	for (p = line; *p != '\0' && blank;)
		if (!is_space_cp(next_cp(&p)))
			blank = false;
	if (blank)
		return field_error_set(err, field, "must not be blank");
	if (utf8_len(line) > ADDRESS_LINE_MAX)
		return field_error_set(err, field,
		    "must be at most %d characters", ADDRESS_LINE_MAX);
	return 0;
}

/* Match the ASCII word @w case-insensitively at *p and advance past it. */
static bool
eat_word(const char **p, const char *w)
{
	const char *s = *p;

	for (; *w != '\0'; s++, w++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + ('a' - 'A'));
		if (c != *w)
			return false;
	}
	*p = s;
	return true;
}

/*
 * true when the commune's last word is CEDEX, or CEDEX followed by a 1-2
 * digit office number; *name_end is then set where the name part ends.
 */
static bool
split_cedex(const char *s, size_t len, size_t *name_end)
{
	size_t end = len, digits = 0;
	const char *p;

	while (end > 0 && s[end - 1] == ' ')
		end--;
	while (end > 0 && s[end - 1] >= '0' && s[end - 1] <= '9') {
		end--;
		digits++;
	}
	if (digits > 2)
		return false;
	if (digits > 0) {
		/* The office number is its own word. */
		if (end == 0 || s[end - 1] != ' ')
			return false;
		while (end > 0 && s[end - 1] == ' ')
			end--;
	}
	if (end < 6 || s[end - 6] != ' ')
		return false;
	p = s + end - 5;
	if (!eat_word(&p, "cedex"))
		return false;
	*name_end = end - 6;
	return true;
}

int
address_commune_check(const char *commune, struct field_error *err)
{
	const char *f = "commune";
	const char *p, *end;
	size_t len, name_end;
	bool letter = false;

	if (commune == NULL || *commune == '\0')
		return field_error_set(err, f, "is required");
	len = strlen(commune);
	if (len >= ADDRESS_LINE_BYTES)
		return field_error_set(err, f, "must be at most %d characters",
		    COMMUNE_MAX);
	if (!utf8_valid(commune, len))
		return field_error_set(err, f, "must be valid UTF-8 text");
	if (utf8_has_control(commune))
		return field_error_set(err, f,
		    "must not contain control characters");
	if (utf8_len(commune) > COMMUNE_MAX)
		return field_error_set(err, f, "must be at most %d characters",
		    COMMUNE_MAX);

	/* The words before a CEDEX suffix follow the name rules. */
	if (!split_cedex(commune, len, &name_end))
		name_end = len;
	end = commune + name_end;
	for (p = commune; p < end;) {
		unsigned long cp = next_cp(&p);

		if (is_commune_letter(cp)) {
			letter = true;
		} else if (cp == ' ') {
			continue;
		} else if (cp == '-' || cp == '\'' || cp == 0x2019) {
			if (!letter)
				return field_error_set(err, f,
				    "must start with a letter");
		} else if (cp >= '0' && cp <= '9') {
			return field_error_set(err, f,
			    "digits are allowed only in a CEDEX office number");
		} else {
			return field_error_set(err, f, "may only contain "
			    "letters, spaces, hyphens and apostrophes");
		}
	}
	if (!letter)
		return field_error_set(err, f, "must contain a letter");
	return 0;
}

bool
address_is_poste_restante(const char *line)
{
	const char *p = line;
	size_t sep = 0;

	if (line == NULL)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!eat_word(&p, "poste"))
		return false;
	for (; *p == ' ' || *p == '\t' || *p == '-'; p++)
		sep++;
	if (sep == 0 || !eat_word(&p, "restante"))
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0';
}

/* Bounded output for address_normalise(). */
struct norm {
	char *out;
	size_t sz;
	size_t n;
	bool overflow;
	bool any_line;		/* a line has been written */
	bool line_started;	/* the current line has text */
	bool pending_sep;	/* a separator run was seen since the last text */
};

static void
norm_put(struct norm *w, const char *s, size_t len)
{
	if (w->overflow)
		return;
	if (len >= w->sz - w->n) {
		w->overflow = true;
		return;
	}
	memcpy(w->out + w->n, s, len);
	w->n += len;
	w->out[w->n] = '\0';
}

/* Write text, preceded by the line break or the one space it needs. */
static void
norm_text(struct norm *w, const char *s, size_t len)
{
	if (!w->line_started) {
		if (w->any_line)
			norm_put(w, "\n", 1);
		w->line_started = true;
		w->any_line = true;
	} else if (w->pending_sep) {
		norm_put(w, " ", 1);
	}
	w->pending_sep = false;
	norm_put(w, s, len);
}

/* Punctuation and spaces, collapsed to one space between words. */
static bool
is_separator(unsigned long cp)
{
	if (cp < 0x80)
		return !((cp >= '0' && cp <= '9') || is_ascii_letter(cp));
	return cp <= 0xbf || cp == 0xd7 || cp == 0xf7 ||
	    (cp >= 0x2000 && cp <= 0x206f) || cp == 0x3000 || cp == 0xfeff;
}

/* Normalise one element (a line, the postcode, the commune) into @w. */
static int
norm_elem(struct norm *w, const char *s)
{
	const char *p, *start;

	if (s == NULL)
		return 0;
	if (!utf8_valid(s, strlen(s)))
		return -1;
	for (p = s; *p != '\0';) {
		unsigned long cp;

		start = p;
		cp = next_cp(&p);
		if (is_separator(cp)) {
			w->pending_sep = true;
		} else if (cp < 0x80) {
			char c = (char)cp;

			if (c >= 'a' && c <= 'z')
				c = (char)(c - ('a' - 'A'));
			norm_text(w, &c, 1);
		} else if (cp >= 0xc0 && cp <= 0x17f) {
			const char *f = fold_latin[cp - 0xc0];

			norm_text(w, f, strlen(f));
		} else {
			/* Another script: kept as written. */
			norm_text(w, start, (size_t)(p - start));
		}
	}
	w->pending_sep = true;
	return 0;
}

int
address_normalise(const char *const *lines, size_t nlines,
    const char *postcode, const char *commune, char *out, size_t outsz)
{
	struct norm w = { .out = out, .sz = outsz };
	size_t i;

	if (out == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	if (lines == NULL && nlines > 0)
		goto fail;
	for (i = 0; i < nlines; i++) {
		w.line_started = false;
		w.pending_sep = false;
		if (norm_elem(&w, lines[i]) == -1)
			goto fail;
	}
	/* The last line: "POSTCODE COMMUNE", as on a label. */
	w.line_started = false;
	w.pending_sep = false;
	if (norm_elem(&w, postcode) == -1 || norm_elem(&w, commune) == -1)
		goto fail;
	if (w.overflow)
		goto fail;
	return 0;
fail:
	OPENSSL_cleanse(out, outsz);
	out[0] = '\0';
	return -1;
}
