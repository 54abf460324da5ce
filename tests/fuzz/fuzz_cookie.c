/*
 * libFuzzer target for session_cookie_id(), the parser of the Cookie
 * header the console reads on every request: any bytes, as a
 * NUL-terminated copy.  Beyond "no crash, no sanitizer report", an id it
 * returns must be exactly SESSION_ID_LEN lowercase hex digits that occur
 * in the header after "hrpost_session=", and a Set-Cookie line built from
 * it must parse back to the same id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[SESSION_ID_BUF], again[SESSION_ID_BUF];
	char cookie[SESSION_COOKIE_MAX];
	char *in;

	if (size > SESSION_COOKIE_HEADER_MAX + 16)
		return 0;
	in = malloc(size + 1);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (session_cookie_id(in, id) == 0) {
		if (strlen(id) != SESSION_ID_LEN ||
		    strspn(id, "0123456789abcdef") != SESSION_ID_LEN ||
		    strstr(in, id) == NULL || strstr(in, "hrpost_session=") ==
		    NULL)
			abort();
		if (session_cookie(cookie, sizeof(cookie), id, true) != 0)
			abort();
		/* "name=value; attrs": the header form is the first pair. */
		cookie[strcspn(cookie, ";")] = '\0';
		if (session_cookie_id(cookie, again) != 0 ||
		    strcmp(id, again) != 0)
			abort();
	} else if (id[0] != '\0') {
		abort();	/* a refusal leaves no half value behind */
	}
	free(in);
	return 0;
}
