/*
 * hrpost.conf: one INI file, read with libinih.  Every key is known here and
 * documented in README.md; an unknown section or key, a repeated key, or a
 * bad value is an error naming file, line and key.
 *
 * Paths in the file are relative to the state directory unless absolute.
 */
#ifndef HRPOST_CONFIG_H
#define HRPOST_CONFIG_H

#include <stddef.h>
#include <limits.h>

#include "base/util.h"

#define CONFIG_PATH_MAX 4096
#define CONFIG_STR_MAX 128

struct config {
	char dir[CONFIG_PATH_MAX];	/* the state directory */
	char path[CONFIG_PATH_MAX];	/* the file that was read */

	/* [hrpost] */
	char centre[CONFIG_STR_MAX];	/* centre code this install works for */
	char templates[CONFIG_PATH_MAX];/* templates directory (absolute) */
	char lang[8];			/* default language for new orders */

	/* [store] */
	char centre_db[CONFIG_PATH_MAX];	/* absolute */
	char intake_db[CONFIG_PATH_MAX];	/* absolute */

	/* [keys] */
	char private_key[CONFIG_PATH_MAX];	/* absolute */
	char public_key[CONFIG_PATH_MAX];	/* absolute */

	/* [orders]: unusual orders are flagged for a call, never refused */
	int flag_qty;		/* total packs in one order above this: flag */
	int flag_days;		/* a second order within this many days: flag */
};

/*
 * Fill @cfg with defaults for state directory @dir (absolute or relative;
 * stored as given) and templates directory @templates.
 */
void config_defaults(struct config *cfg, const char *dir,
    const char *templates);

/*
 * Read @path over the defaults already in @cfg.  On error returns -1 and
 * writes "file:line: key: reason" into @errbuf.
 */
int config_load(struct config *cfg, const char *path, char *errbuf,
    size_t errsz) WUR;

/* Parse from memory (for tests and fuzzing); @name stands for the file. */
int config_parse_string(struct config *cfg, const char *name,
    const char *text, char *errbuf, size_t errsz) WUR;

/*
 * Write a commented config file for @cfg to @path (temp file, fsync,
 * rename; must not exist).  Used by `hrpost init`.
 */
int config_write(const struct config *cfg, const char *path, char *errbuf,
    size_t errsz) WUR;

#endif
