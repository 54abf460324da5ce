/*
 * libFuzzer target for token_parse() and token_check_char(): any bytes, as
 * a NUL-terminated copy, parsed at every token size hrpost uses.  Beyond
 * "no crash, no sanitizer report", a token that parses must be canonical
 * (alphabet only, the right length), carry its own check character, and
 * parse again to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { TOKEN_REF_DIGITS, TOKEN_TRACK_DIGITS,
	    1, TOKEN_MAX_DIGITS };
	char out[TOKEN_BUF(TOKEN_MAX_DIGITS)];
	char again[TOKEN_BUF(TOKEN_MAX_DIGITS)];
	char *in;

	if (size > 4096)
		return 0;
	in = malloc(size + 1);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t d = sizes[i];
		enum token_status st = token_parse(in, d, out, sizeof(out));

		if (st != TOKEN_OK) {
			if (st != TOKEN_ERR_LENGTH && st != TOKEN_ERR_CHAR &&
			    st != TOKEN_ERR_CHECK)
				abort();
			continue;
		}
		if (strlen(out) != d + 1 || strspn(out, alphabet) != d + 1)
			abort();
		if (token_check_char(out, d) != out[d])
			abort();
		if (token_parse(out, d, again, sizeof(again)) != TOKEN_OK ||
		    strcmp(out, again) != 0)
			abort();
	}
	/* Raw bytes straight into the check function: 0 or a valid char. */
	{
		char c = token_check_char(in, strlen(in));

		if (c != 0 && strchr(alphabet, c) == NULL)
			abort();
	}
	free(in);
	return 0;
}
