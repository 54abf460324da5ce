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
#include "orders/order.h"
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
 * ASCII transliteration, case kept, of U+00C0..U+024F (Latin-1 letters,
 * Latin Extended-A and -B): the letter without its diacritics (Unicode
 * canonical decomposition, combining marks dropped), ligatures and special
 * letters spelt out (AE, OE, ss, TH, IJ, DZ...).  NULL: no standard
 * transliteration (the two arithmetic signs, schwa, ezh, click letters).
 * Generated from Python's unicodedata (NFD) and checked by hand.
 */
static const char *const latin_ext[] = {
	/* U+00C0 */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* U+00C8 */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* U+00D0 */ "D", "N", "O", "O", "O", "O", "O", NULL,
	/* U+00D8 */ "O", "U", "U", "U", "U", "Y", "TH", "ss",
	/* U+00E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* U+00E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* U+00F0 */ "d", "n", "o", "o", "o", "o", "o", NULL,
	/* U+00F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
	/* U+0100 */ "A", "a", "A", "a", "A", "a", "C", "c",
	/* U+0108 */ "C", "c", "C", "c", "C", "c", "D", "d",
	/* U+0110 */ "D", "d", "E", "e", "E", "e", "E", "e",
	/* U+0118 */ "E", "e", "E", "e", "G", "g", "G", "g",
	/* U+0120 */ "G", "g", "G", "g", "H", "h", "H", "h",
	/* U+0128 */ "I", "i", "I", "i", "I", "i", "I", "i",
	/* U+0130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k",
	/* U+0138 */ "k", "L", "l", "L", "l", "L", "l", "L",
	/* U+0140 */ "l", "L", "l", "N", "n", "N", "n", "N",
	/* U+0148 */ "n", "n", "N", "n", "O", "o", "O", "o",
	/* U+0150 */ "O", "o", "OE", "oe", "R", "r", "R", "r",
	/* U+0158 */ "R", "r", "S", "s", "S", "s", "S", "s",
	/* U+0160 */ "S", "s", "T", "t", "T", "t", "T", "t",
	/* U+0168 */ "U", "u", "U", "u", "U", "u", "U", "u",
	/* U+0170 */ "U", "u", "U", "u", "W", "w", "Y", "y",
	/* U+0178 */ "Y", "Z", "z", "Z", "z", "Z", "z", "s",
	/* U+0180 */ "b", "B", "B", "b", NULL, NULL, "O", "C",
	/* U+0188 */ "c", "D", "D", "D", "d", NULL, "E", NULL,
	/* U+0190 */ "E", "F", "f", "G", NULL, NULL, NULL, "I",
	/* U+0198 */ "K", "k", "l", NULL, NULL, "N", "n", "O",
	/* U+01A0 */ "O", "o", NULL, NULL, "P", "p", NULL, NULL,
	/* U+01A8 */ NULL, NULL, NULL, "t", "T", "t", "T", "U",
	/* U+01B0 */ "u", NULL, "V", "Y", "y", "Z", "z", NULL,
	/* U+01B8 */ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	/* U+01C0 */ NULL, NULL, NULL, NULL, "DZ", "Dz", "dz", "LJ",
	/* U+01C8 */ "Lj", "lj", "NJ", "Nj", "nj", "A", "a", "I",
	/* U+01D0 */ "i", "O", "o", "U", "u", "U", "u", "U",
	/* U+01D8 */ "u", "U", "u", "U", "u", NULL, "A", "a",
	/* U+01E0 */ "A", "a", "AE", "ae", "G", "g", "G", "g",
	/* U+01E8 */ "K", "k", "O", "o", "O", "o", NULL, NULL,
	/* U+01F0 */ "j", "DZ", "Dz", "dz", "G", "g", NULL, NULL,
	/* U+01F8 */ "N", "n", "A", "a", "AE", "ae", "O", "o",
	/* U+0200 */ "A", "a", "A", "a", "E", "e", "E", "e",
	/* U+0208 */ "I", "i", "I", "i", "O", "o", "O", "o",
	/* U+0210 */ "R", "r", "R", "r", "U", "u", "U", "u",
	/* U+0218 */ "S", "s", "T", "t", NULL, NULL, "H", "h",
	/* U+0220 */ NULL, "d", NULL, NULL, "Z", "z", "A", "a",
	/* U+0228 */ "E", "e", "O", "o", "O", "o", "O", "o",
	/* U+0230 */ "O", "o", "Y", "y", "l", "n", "t", "j",
	/* U+0238 */ NULL, NULL, "A", "C", "c", "L", "T", "s",
	/* U+0240 */ "z", NULL, NULL, "B", "U", NULL, "E", "e",
	/* U+0248 */ "J", "j", "Q", "q", "R", "r", "Y", "y",
};
/*
 * The same for U+1E00..U+1EFF (Latin Extended Additional: Vietnamese,
 * Welsh, and other letters with stacked diacritics).
 */
static const char *const latin_add[] = {
	/* U+1E00 */ "A", "a", "B", "b", "B", "b", "B", "b",
	/* U+1E08 */ "C", "c", "D", "d", "D", "d", "D", "d",
	/* U+1E10 */ "D", "d", "D", "d", "E", "e", "E", "e",
	/* U+1E18 */ "E", "e", "E", "e", "E", "e", "F", "f",
	/* U+1E20 */ "G", "g", "H", "h", "H", "h", "H", "h",
	/* U+1E28 */ "H", "h", "H", "h", "I", "i", "I", "i",
	/* U+1E30 */ "K", "k", "K", "k", "K", "k", "L", "l",
	/* U+1E38 */ "L", "l", "L", "l", "L", "l", "M", "m",
	/* U+1E40 */ "M", "m", "M", "m", "N", "n", "N", "n",
	/* U+1E48 */ "N", "n", "N", "n", "O", "o", "O", "o",
	/* U+1E50 */ "O", "o", "O", "o", "P", "p", "P", "p",
	/* U+1E58 */ "R", "r", "R", "r", "R", "r", "R", "r",
	/* U+1E60 */ "S", "s", "S", "s", "S", "s", "S", "s",
	/* U+1E68 */ "S", "s", "T", "t", "T", "t", "T", "t",
	/* U+1E70 */ "T", "t", "U", "u", "U", "u", "U", "u",
	/* U+1E78 */ "U", "u", "U", "u", "V", "v", "V", "v",
	/* U+1E80 */ "W", "w", "W", "w", "W", "w", "W", "w",
	/* U+1E88 */ "W", "w", "X", "x", "X", "x", "Y", "y",
	/* U+1E90 */ "Z", "z", "Z", "z", "Z", "z", "h", "t",
	/* U+1E98 */ "w", "y", "a", "s", "s", "s", "SS", "d",
	/* U+1EA0 */ "A", "a", "A", "a", "A", "a", "A", "a",
	/* U+1EA8 */ "A", "a", "A", "a", "A", "a", "A", "a",
	/* U+1EB0 */ "A", "a", "A", "a", "A", "a", "A", "a",
	/* U+1EB8 */ "E", "e", "E", "e", "E", "e", "E", "e",
	/* U+1EC0 */ "E", "e", "E", "e", "E", "e", "E", "e",
	/* U+1EC8 */ "I", "i", "I", "i", "O", "o", "O", "o",
	/* U+1ED0 */ "O", "o", "O", "o", "O", "o", "O", "o",
	/* U+1ED8 */ "O", "o", "O", "o", "O", "o", "O", "o",
	/* U+1EE0 */ "O", "o", "O", "o", "U", "u", "U", "u",
	/* U+1EE8 */ "U", "u", "U", "u", "U", "u", "U", "u",
	/* U+1EF0 */ "U", "u", "Y", "y", "Y", "y", "Y", "y",
	/* U+1EF8 */ "Y", "y", "LL", "ll", "V", "v", "Y", "y",
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

/* ---- the label address block ---- */

/*
 * Folded text: a line transliterated to ASCII.  An input line is at most
 * ADDRESS_LINE_MAX characters and a character becomes at most 4 ("SHCH"),
 * so this never fills; the bound is checked anyway.
 */
#define FOLD_MAX 256

struct fold {
	char buf[FOLD_MAX];
	size_t n;
	bool overflow;
	bool changed;		/* something other than ASCII was folded */
};

/*
 * Cyrillic, ICAO Doc 9303 part 3 (machine-readable travel documents; the
 * table French passports use), for U+0400..U+042F; lower case is the same
 * 0x20 (U+0430..) or 0x50 (U+0450..) further on.  Ь (soft sign) is
 * dropped; Ъ is IE as in the 2015 edition.
 */
static const char *const cyr_upper[] = {
	/* U+0400 */ "E", "E", "D", "G", "IE", "DZ", "I", "I",
	/* U+0408 */ "J", "LJ", "NJ", "C", "K", "I", "U", "DZ",
	/* U+0410 */ "A", "B", "V", "G", "D", "E", "ZH", "Z",
	/* U+0418 */ "I", "I", "K", "L", "M", "N", "O", "P",
	/* U+0420 */ "R", "S", "T", "U", "F", "KH", "TS", "CH",
	/* U+0428 */ "SH", "SHCH", "IE", "Y", "", "E", "IU", "IA",
};

/*
 * Georgian (Mkhedruli, U+10D0..U+10F0), the national system of 2002 as
 * used by Georgian passports; ejectives carry an apostrophe, which lines
 * 4 to 6 then drop with the rest of the punctuation.  Georgian has no
 * case: lower case out.
 */
static const char *const georgian[] = {
	/* U+10D0 */ "a", "b", "g", "d", "e", "v", "z", "t",
	/* U+10D8 */ "i", "k'", "l", "m", "n", "o", "p'", "zh",
	/* U+10E0 */ "r", "s", "t'", "u", "p", "k", "gh", "q'",
	/* U+10E8 */ "sh", "ch", "ts", "dz", "ts'", "ch'", "kh", "j",
	/* U+10F0 */ "h",
};

static void
fold_put(struct fold *f, const char *s)
{
	size_t len = strlen(s);

	if (f->overflow || len >= sizeof(f->buf) - f->n) {
		f->overflow = true;
		return;
	}
	memcpy(f->buf + f->n, s, len);
	f->n += len;
	f->buf[f->n] = '\0';
}

static bool
is_lower_cp(unsigned long cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 0x430 && cp <= 0x45f) ||
	    (cp >= 0xdf && cp <= 0xff && cp != 0xf7);
}

/* Typographic signs and spaces with a plain ASCII equivalent, or NULL. */
static const char *
fold_sign(unsigned long cp)
{
	switch (cp) {
	case 0xa0: case 0x202f: case 0x205f: case 0x3000:
		return " ";
	case 0xad: case 0x200b: case 0x200c: case 0x200d: case 0x2060:
	case 0xfeff:
		return "";	/* soft hyphen, zero-width characters */
	case 0x2018: case 0x2019: case 0x201a: case 0x201b: case 0x2032:
	case 0xb4:
		return "'";
	case 0x201c: case 0x201d: case 0x201e: case 0x2033: case 0xab:
	case 0xbb:
		return "\"";
	case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014:
	case 0x2015: case 0x2212:
		return "-";
	case 0x2026:
		return "...";
	case 0xb0: case 0xba:
		return "o";	/* "N°" -> "No" */
	case 0xaa:
		return "a";
	case 0xb7:
		return ".";
	case 0xb9:
		return "1";
	case 0xb2:
		return "2";
	case 0xb3:
		return "3";
	case 0xbc:
		return "1/4";
	case 0xbd:
		return "1/2";
	case 0xbe:
		return "3/4";
	case 0xd7:
		return "x";
	case 0x2116:
		return "No";
	default:
		break;
	}
	if (cp >= 0x2000 && cp <= 0x200a)
		return " ";
	return NULL;
}

/*
 * Append the transliteration @t of one letter: all in lower case when
 * @lower (a small Cyrillic letter), else as the table has it, except that
 * a capital spelt with several letters ("ZH", "OE", "SHCH") is written
 * "Zh", "Oe", "Shch" when a small letter follows at @next ("Zhukov",
 * "Oeuvre"), and stays all capitals otherwise ("ZHUKOV").
 */
static void
put_cased(struct fold *f, const char *t, bool lower, const char *next)
{
	char word[8];
	size_t k, len = strlen(t);
	bool title = false;

	if (len >= sizeof(word)) {
		fold_put(f, t);
		return;
	}
	memcpy(word, t, len + 1);
	if (!lower && len > 1 && word[0] >= 'A' && word[0] <= 'Z' &&
	    word[1] >= 'A' && word[1] <= 'Z' && *next != '\0') {
		const char *q = next;

		title = is_lower_cp(next_cp(&q));
	}
	for (k = lower ? 0 : 1; k < len && (lower || title); k++)
		if (word[k] >= 'A' && word[k] <= 'Z')
			word[k] = (char)(word[k] + ('a' - 'A'));
	fold_put(f, word);
}

/*
 * Transliterate the well-formed UTF-8 line @s into @f.  Returns 0, or -1
 * with the 1-based position of the first character that has no standard
 * transliteration in *bad.
 */
static int
fold_line(const char *s, struct fold *f, size_t *bad)
{
	const char *p = s;
	size_t pos = 0;

	memset(f, 0, sizeof(*f));
	while (*p != '\0') {
		unsigned long cp = next_cp(&p);
		const char *t = NULL;
		bool lower = false;
		char one[2];

		pos++;
		if (cp < 0x80) {
			/*
			 * ZPL reads ^ and ~ as commands and \ as the ^FH
			 * escape: they have no business in an address.
			 */
			one[0] = (cp == '^' || cp == '~' || cp == '\\') ? ' ' :
			    (char)cp;
			one[1] = '\0';
			fold_put(f, one);
			continue;
		}
		f->changed = true;
		if (cp >= 0xc0 && cp <= 0x24f) {
			t = latin_ext[cp - 0xc0];
		} else if (cp >= 0x1e00 && cp <= 0x1eff) {
			t = latin_add[cp - 0x1e00];
		} else if (cp >= 0x400 && cp <= 0x45f) {
			unsigned long up = cp >= 0x450 ? cp - 0x50 :
			    cp >= 0x430 ? cp - 0x20 : cp;

			t = cyr_upper[up - 0x400];
			lower = cp >= 0x430;
		} else if (cp == 0x490 || cp == 0x491) {
			t = "G";	/* Ukrainian Ґ */
			lower = cp == 0x491;
		} else if (cp >= 0x10d0 && cp <= 0x10f0) {
			t = georgian[cp - 0x10d0];
		} else {
			t = fold_sign(cp);
		}
		if (t == NULL) {
			*bad = pos;
			return -1;
		}
		put_cased(f, t, lower, p);
	}
	return 0;
}

static bool
is_alnum_ascii(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

static bool
is_letter_ascii(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/*
 * Dotted initials written without their dots, in place: "B.P. 12" ->
 * "BP 12", "T.S.A." -> "TSA", so that dropping punctuation does not leave
 * "B P 12".  A run counts when it is single letters each followed by a
 * dot (the last one's dot optional), between word boundaries.
 */
static void
join_initials(char *s)
{
	size_t r = 0, w = 0;

	while (s[r] != '\0') {
		size_t k = r, letters = 0;
		bool start = r == 0 || !is_alnum_ascii(s[r - 1]);

		while (start && is_letter_ascii(s[k]) && s[k + 1] == '.' &&
		    is_letter_ascii(s[k + 2]) &&
		    (s[k + 3] == '.' || !is_alnum_ascii(s[k + 3]))) {
			letters++;
			k += 2;
		}
		if (letters == 0) {
			s[w++] = s[r++];
			continue;
		}
		/* s[r], s[r+2], ..., s[k] are the letters. */
		for (size_t i = r; i <= k; i += 2)
			s[w++] = s[i];
		r = k + 1;
		if (s[r] == '.')
			r++;
	}
	s[w] = '\0';
}

/*
 * Tidy folded ASCII in place: punctuation to spaces when @nopunct (dotted
 * initials joined first), capitals when @upper, runs of spaces to one,
 * none at either end.
 */
static void
tidy(char *s, bool upper, bool nopunct)
{
	size_t r, w = 0;
	bool space = false;

	if (nopunct)
		join_initials(s);
	for (r = 0; s[r] != '\0'; r++) {
		char c = s[r];

		if (c == ' ' || (nopunct && !is_alnum_ascii(c))) {
			space = w > 0;
			continue;
		}
		if (space)
			s[w++] = ' ';
		space = false;
		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - ('a' - 'A'));
		s[w++] = c;
	}
	s[w] = '\0';
}

/* true when the tidied @s starts with the word(s) @w, in capitals. */
static bool
starts_with_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	return strncmp(s, w, n) == 0 && (s[n] == '\0' || s[n] == ' ');
}

/*
 * SAINT -> ST and SAINTE -> STE, whole words, in a tidied capital line.
 * Returns true when something changed.
 */
static bool
shorten_saints(char *s)
{
	size_t r = 0, w = 0;
	bool changed = false;

	while (s[r] != '\0') {
		size_t len = strcspn(s + r, " ");

		if (len == 5 && strncmp(s + r, "SAINT", 5) == 0) {
			memmove(s + w, "ST", 2);
			w += 2;
			changed = true;
		} else if (len == 6 && strncmp(s + r, "SAINTE", 6) == 0) {
			memmove(s + w, "STE", 3);
			w += 3;
			changed = true;
		} else {
			memmove(s + w, s + r, len);
			w += len;
		}
		r += len;
		if (s[r] == ' ')
			s[w++] = s[r++];
	}
	s[w] = '\0';
	return changed;
}

/* The field a label line's errors name. */
static const char *
line_field(int afnor)
{
	return afnor == 1 ? "pseudonym" : afnor == 6 ? "commune" : "line";
}

/*
 * Fold one element onto label position @afnor with the rules of that
 * position, and append it to @out.
 */
static int
put_line(struct address_label *out, int afnor, const char *src,
    struct field_error *err)
{
	struct fold f;
	size_t bad = 0, len;
	int ret = -1;

	if (fold_line(src, &f, &bad) != 0) {
		field_error_set(err, line_field(afnor), "label line %d: "
		    "character %zu has no standard transliteration to the "
		    "Latin alphabet", afnor, bad);
		goto out;
	}
	if (f.overflow) {
		field_error_set(err, line_field(afnor), "label line %d is too "
		    "long", afnor);
		goto out;
	}
	tidy(f.buf, afnor >= 5, afnor >= 4);
	if (f.buf[0] == '\0') {
		field_error_set(err, line_field(afnor), "label line %d has "
		    "no letter or digit", afnor);
		goto out;
	}
	len = strlen(f.buf);
	if (len > ADDRESS_LINE_MAX && afnor >= 5 && shorten_saints(f.buf)) {
		out->shortened = true;
		len = strlen(f.buf);
	}
	if (len > ADDRESS_LINE_MAX) {
		field_error_set(err, line_field(afnor), "label line %d would "
		    "be %zu characters%s: at most %d", afnor, len,
		    afnor >= 5 ? " even with ST/STE" : f.changed ?
		    " once written in Latin letters" : "", ADDRESS_LINE_MAX);
		goto out;
	}
	if (out->nlines >= ADDRESS_LABEL_LINES) {
		field_error_set(err, "address", "at most %d lines on a label",
		    ADDRESS_LABEL_LINES);
		goto out;
	}
	memcpy(out->line[out->nlines], f.buf, len + 1);
	out->afnor[out->nlines] = afnor;
	out->nlines++;
	if (f.changed)
		out->transliterated = true;
	ret = 0;
out:
	OPENSSL_cleanse(&f, sizeof(f));
	return ret;
}

/*
 * Communes whose postcodes we know for certain: a name no other French
 * commune bears, and the département of every postcode it has (CEDEX
 * ones too).  Names as tidy() writes them (capitals, no accent, no
 * punctuation).  Partial by design: see address.h.
 */
static const struct {
	const char *name;
	const char *dept;
} known_communes[] = {
	/* Big cities. */
	{ "PARIS", "75" }, { "MARSEILLE", "13" }, { "LYON", "69" },
	{ "TOULOUSE", "31" }, { "NICE", "06" }, { "NANTES", "44" },
	{ "STRASBOURG", "67" }, { "MONTPELLIER", "34" },
	{ "BORDEAUX", "33" }, { "LILLE", "59" }, { "RENNES", "35" },
	{ "REIMS", "51" }, { "LE HAVRE", "76" }, { "TOULON", "83" },
	{ "GRENOBLE", "38" }, { "DIJON", "21" }, { "ANGERS", "49" },
	{ "NIMES", "30" }, { "CLERMONT FERRAND", "63" }, { "LE MANS", "72" },
	{ "AIX EN PROVENCE", "13" }, { "BREST", "29" }, { "TOURS", "37" },
	{ "AMIENS", "80" }, { "LIMOGES", "87" }, { "PERPIGNAN", "66" },
	{ "METZ", "57" }, { "BESANCON", "25" }, { "ORLEANS", "45" },
	{ "ROUEN", "76" }, { "MULHOUSE", "68" }, { "CAEN", "14" },
	{ "NANCY", "54" },
	/* Corsica. */
	{ "AJACCIO", "2A" }, { "PORTO VECCHIO", "2A" }, { "BONIFACIO", "2A" },
	{ "PROPRIANO", "2A" }, { "SARTENE", "2A" },
	{ "BASTIA", "2B" }, { "CORTE", "2B" }, { "CALVI", "2B" },
	{ "L ILE ROUSSE", "2B" }, { "BIGUGLIA", "2B" },
	/* Overseas. */
	{ "POINTE A PITRE", "971" }, { "BASSE TERRE", "971" },
	{ "LES ABYMES", "971" }, { "FORT DE FRANCE", "972" },
	{ "CAYENNE", "973" }, { "KOUROU", "973" },
	{ "SAINT LAURENT DU MARONI", "973" }, { "LE TAMPON", "974" },
	{ "MAMOUDZOU", "976" }, { "DZAOUDZI", "976" }, { "MATA UTU", "986" },
	{ "PAPEETE", "987" }, { "FAAA", "987" }, { "NOUMEA", "988" },
	{ "MONACO", "98" },
};

/*
 * The commune as compared: folded, tidied, without its CEDEX suffix,
 * "ST"/"STE" read as "SAINT"/"SAINTE".  Returns 0 or -1 (not foldable:
 * nothing to compare).
 */
static int
commune_key(const char *commune, char *out, size_t outsz)
{
	struct fold f;
	size_t bad, len, name_end;
	int ret = -1;

	if (fold_line(commune, &f, &bad) != 0 || f.overflow)
		goto out;
	len = strlen(f.buf);
	if (split_cedex(f.buf, len, &name_end))
		f.buf[name_end] = '\0';
	tidy(f.buf, true, true);
	if (starts_with_word(f.buf, "ST") || starts_with_word(f.buf, "STE")) {
		char tmp[FOLD_MAX + 8];

		if (str_printf(tmp, sizeof(tmp), "SAINT%s", f.buf + 2) < 0 ||
		    str_copy(out, outsz, tmp) != 0) {
			OPENSSL_cleanse(tmp, sizeof(tmp));
			goto out;
		}
		OPENSSL_cleanse(tmp, sizeof(tmp));
		ret = 0;
		goto out;
	}
	ret = str_copy(out, outsz, f.buf);
out:
	OPENSSL_cleanse(&f, sizeof(f));
	return ret;
}

int
address_postcode_matches(const char *postcode, const char *commune,
    struct field_error *err)
{
	char dept[ADDRESS_DEPT_MAX], key[FOLD_MAX];
	const char *f = "postcode";
	int ret = 0;
	size_t i;

	if (address_postcode_check(postcode, dept, NULL) != 0 ||
	    commune == NULL || !utf8_valid(commune, strlen(commune)))
		return 0;	/* the field checks report those */
	if (commune_key(commune, key, sizeof(key)) != 0)
		return 0;
	/* Only Paris has 75xxx postcodes; only Monaco 98000. */
	if (strcmp(dept, "75") == 0 && strcmp(key, "PARIS") != 0) {
		ret = field_error_set(err, f, "does not match the commune: "
		    "postcodes starting with 75 are Paris's only");
		goto out;
	}
	if (strcmp(dept, "98") == 0 && strcmp(key, "MONACO") != 0) {
		ret = field_error_set(err, f, "does not match the commune: "
		    "98000 is Monaco's only");
		goto out;
	}
	for (i = 0; i < ARRAY_LEN(known_communes); i++) {
		if (strcmp(key, known_communes[i].name) != 0)
			continue;
		if (strcmp(dept, known_communes[i].dept) != 0)
			ret = field_error_set(err, f, "does not match the "
			    "commune: that commune's postcodes are in "
			    "another département");
		break;
	}
out:
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

/* The first word(s) that put a last given line on AFNOR line 5. */
static bool
is_line5(const char *src)
{
	struct fold f;
	size_t bad;
	bool yes = false;

	if (fold_line(src, &f, &bad) == 0 && !f.overflow) {
		tidy(f.buf, true, true);
		yes = starts_with_word(f.buf, "BP") ||
		    starts_with_word(f.buf, "CS") ||
		    starts_with_word(f.buf, "TSA") ||
		    starts_with_word(f.buf, "LIEU DIT") ||
		    starts_with_word(f.buf, "LIEUDIT");
	}
	OPENSSL_cleanse(&f, sizeof(f));
	return yes;
}

int
address_format_label(const struct address_parts *in,
    struct address_label *out, struct field_error *err)
{
	const char *given[ADDRESS_LINES_MAX];
	char dept[ADDRESS_DEPT_MAX], last[ADDRESS_LABEL_LINE_BYTES * 2];
	struct field_error fe;
	size_t i, k = 0, total, nin;
	bool poste;
	int first, ret = -1;

	if (out == NULL)
		return field_error_set(err, "address", "no output");
	memset(out, 0, sizeof(*out));
	memset(last, 0, sizeof(last));
	if (in == NULL)
		return field_error_set(err, "address", "is required");
	nin = in->lines != NULL ? in->nlines : 0;
	poste = in->poste_restante;

	if (address_line_check("pseudonym", in->recipient, err) != 0)
		goto out;
	/* Given lines: empty ones skipped, a "poste restante" one noted. */
	for (i = 0; i < nin; i++) {
		const char *l = in->lines[i];

		if (l == NULL || *l == '\0')
			continue;
		if (address_is_poste_restante(l)) {
			poste = true;
			continue;
		}
		if (address_line_check("line", l, &fe) != 0) {
			field_error_set(err, "line", "address line %zu: %s",
			    i + 1, fe.msg);
			goto out;
		}
		if (k < ADDRESS_LINES_MAX)
			given[k] = l;
		k++;
	}
	if (k == 0 && !poste) {
		field_error_set(err, "line", "at least one address line (or "
		    "poste restante) is required");
		goto out;
	}
	/* Recipient, the given lines, poste restante, postcode + commune. */
	total = 1 + k + (poste ? 1 : 0) + 1;
	if (total > ADDRESS_LABEL_LINES) {
		field_error_set(err, "address", "would take %zu lines on the "
		    "label: at most %d (a 7th line is only for an address "
		    "abroad)", total, ADDRESS_LABEL_LINES);
		goto out;
	}
	if (address_postcode_check(in->postcode, dept, err) != 0)
		goto out;
	if (in->commune == NULL || *in->commune == '\0') {
		field_error_set(err, "commune", "is required");
		goto out;
	}
	if (address_commune_check(in->commune, err) != 0 ||
	    address_postcode_matches(in->postcode, in->commune, err) != 0)
		goto out;

	if (put_line(out, 1, in->recipient, err) != 0)
		goto out;
	/*
	 * Positions of the given lines: they end at 4 (the street), or at 5
	 * when there are four of them or the last is a BP, CS, TSA or
	 * lieu-dit; with poste restante they end at 4 and 5 is its own.
	 */
	if (poste)
		first = 5 - (int)k;
	else if (k == ADDRESS_LINES_MAX || (k > 0 && is_line5(given[k - 1])))
		first = 6 - (int)k;
	else
		first = 5 - (int)k;
	for (i = 0; i < k; i++)
		if (put_line(out, first + (int)i, given[i], err) != 0)
			goto out;
	if (poste && put_line(out, 5, ADDRESS_POSTE_RESTANTE, err) != 0)
		goto out;
	if (str_printf(last, sizeof(last), "%s %s", in->postcode,
	    in->commune) < 0) {
		field_error_set(err, "commune", "label line 6 is too long");
		goto out;
	}
	if (put_line(out, 6, last, err) != 0)
		goto out;
	ret = 0;
out:
	OPENSSL_cleanse(last, sizeof(last));
	if (ret != 0)
		address_label_clear(out);
	return ret;
}

int
address_label_from_order(const struct order *o, struct address_label *out,
    struct field_error *err)
{
	const char *lines[ADDRESS_LINES_MAX];
	struct address_parts parts;
	size_t i, n;

	if (o == NULL) {
		if (out != NULL)
			memset(out, 0, sizeof(*out));
		return field_error_set(err, "address", "is required");
	}
	n = o->nlines <= ADDRESS_LINES_MAX ? o->nlines : ADDRESS_LINES_MAX;
	for (i = 0; i < n; i++)
		lines[i] = o->lines[i];
	memset(&parts, 0, sizeof(parts));
	parts.recipient = o->pseudonym;
	parts.lines = lines;
	parts.nlines = n;
	parts.poste_restante = o->poste_restante;
	parts.postcode = o->postcode;
	parts.commune = o->commune;
	return address_format_label(&parts, out, err);
}

void
address_label_clear(struct address_label *lab)
{
	if (lab == NULL)
		return;
	OPENSSL_cleanse(lab, sizeof(*lab));
	lab->nlines = 0;
}
