/*
 * libFuzzer target for base/config.c: config_parse_string() over fixed
 * defaults, on any bytes.  An accepted file must leave a config whose
 * every field obeys the rules the parser claims to enforce.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
lower_run(const char *s, size_t min, size_t max, bool digits)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (; *s != '\0'; s++)
		if (!(*s >= 'a' && *s <= 'z') &&
		    !(digits && ((*s >= '0' && *s <= '9') || *s == '-')))
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	char errbuf[512];
	char *text;

	if (size > 64 * 1024)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	config_defaults(&cfg, "/srv/hrpost", "/usr/share/hrpost/templates");
	if (config_parse_string(&cfg, "fuzz.conf", text, errbuf,
	    sizeof(errbuf)) == 0) {
		if (!lower_run(cfg.centre, 1, 32, true) ||
		    !lower_run(cfg.lang, 2, 3, false) ||
		    cfg.flag_qty < 0 || cfg.flag_qty > 100000 ||
		    cfg.flag_days < 0 || cfg.flag_days > 365 ||
		    cfg.centre_db[0] == '\0' || cfg.intake_db[0] == '\0' ||
		    cfg.private_key[0] == '\0' || cfg.public_key[0] == '\0' ||
		    cfg.templates[0] == '\0' ||
		    strcmp(cfg.path, "fuzz.conf") != 0)
			abort();
	} else if (strncmp(errbuf, "fuzz.conf", 9) != 0) {
		/* Every refusal names the file. */
		abort();
	}
	free(text);
	return 0;
}
