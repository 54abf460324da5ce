/*
 * The hrpost command line: what the subcommands share.  main.c parses the
 * global options and dispatches; each cli/<noun>.c implements the
 * subcommands of one noun.  Subcommands print machine output on stdout and
 * messages on stderr, and return CLI_OK, CLI_FAIL or CLI_USAGE (the exit
 * status).
 */
#ifndef HRPOST_CLI_H
#define HRPOST_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "base/config.h"
#include "base/util.h"

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

struct store;
struct catalogue;
struct centre_key;

/* What a subcommand needs opened before it runs. */
enum {
	CLI_NEED_CONFIG = 1 << 0,
	CLI_NEED_CATALOGUE = 1 << 1 | CLI_NEED_CONFIG,
	CLI_NEED_STORE = 1 << 2 | CLI_NEED_CONFIG,
	CLI_NEED_KEY = 1 << 3 | CLI_NEED_CONFIG,
};

struct cli {
	const char *prog;		/* "hrpost" */
	char dir[CONFIG_PATH_MAX];	/* state directory */
	char actor[64];			/* who is acting, for the audit chain */
	const char *passphrase_file;	/* --passphrase-file, or NULL */
	struct config cfg;
	struct catalogue *cat;
	struct store *st;
	struct centre_key *key;
	int64_t centre_id;
};

/*
 * Open what @need asks for (config, catalogue, store and the centre row,
 * private key).  Prints the reason on stderr and returns -1 on failure.
 */
int cli_open(struct cli *c, int need) WUR;
void cli_close(struct cli *c);

/* Print "hrpost: <message>" on stderr. */
void cli_errx(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Read a passphrase: from @file when given (first line), else
 * $HRPOST_PASSPHRASE, else a prompt on the terminal (twice when @confirm).
 * Returns a malloc'd string the caller frees with str_wipe_free(), or NULL
 * (and a message) when none can be had.  *none is set when there is no
 * source at all (no file, no variable, no terminal).
 */
char *cli_passphrase(const struct cli *c, const char *file,
    const char *prompt, int confirm, int *none);

/*
 * Prompt on the terminal for one line into @buf.  Returns 0, or -1 at end
 * of input or when it does not fit.
 */
int cli_prompt(const char *prompt, char *buf, size_t bufsz) WUR;

/* true when stdin and stderr are terminals (we may ask questions). */
int cli_interactive(void);

/* Templates directory a fresh install uses (env, source tree, DATADIR). */
int cli_templates_dir(char *out, size_t outsz) WUR;

/* Machine and human output formats of the listing subcommands. */
enum cli_format {
	CLI_FMT_NONE = 0,	/* no per-line output (track without --format) */
	CLI_FMT_TABLE,
	CLI_FMT_CSV,
	CLI_FMT_JSON,
};
#define CLI_FMTS_ALL ((1u << CLI_FMT_TABLE) | (1u << CLI_FMT_CSV) | \
	(1u << CLI_FMT_JSON))
#define CLI_FMTS_NO_CSV ((1u << CLI_FMT_TABLE) | (1u << CLI_FMT_JSON))

/*
 * Parse a --format value among the formats in @allowed (a mask of
 * 1 << CLI_FMT_*).  On an unknown value prints "--format: one of ..." and
 * returns -1 (a usage error).
 */
int cli_format_parse(const struct cli *c, const char *arg, unsigned allowed,
    enum cli_format *out) WUR;

/*
 * Print @root on stdout as indented JSON.  The text is wiped after: some
 * outputs hold personal data.  Returns 0, or -1 with a message.  The
 * caller keeps its reference to @root.
 */
struct json_t;
int cli_json_print(const struct cli *c, struct json_t *root) WUR;

/* Write @s as one CSV field (RFC 4180 quoting when needed). */
void cli_csv_field(FILE *f, const char *s);

/* Subcommands: argc/argv start at the subcommand's own name. */
int cli_init(struct cli *c, int argc, char **argv);
int cli_keygen(struct cli *c, int argc, char **argv);
int cli_order(struct cli *c, int argc, char **argv);
int cli_queue(struct cli *c, int argc, char **argv);
int cli_audit(struct cli *c, int argc, char **argv);
int cli_intake(struct cli *c, int argc, char **argv);
int cli_console(struct cli *c, int argc, char **argv);
int cli_pull(struct cli *c, int argc, char **argv);
int cli_catalogue(struct cli *c, int argc, char **argv);
int cli_stock(struct cli *c, int argc, char **argv);
int cli_pick(struct cli *c, int argc, char **argv);
int cli_pack(struct cli *c, int argc, char **argv);
int cli_ship(struct cli *c, int argc, char **argv);
int cli_label(struct cli *c, int argc, char **argv);
int cli_track(struct cli *c, int argc, char **argv);
int cli_delivered(struct cli *c, int argc, char **argv);
int cli_returned(struct cli *c, int argc, char **argv);
int cli_callbacks(struct cli *c, int argc, char **argv);
int cli_callback(struct cli *c, int argc, char **argv);
int cli_report(struct cli *c, int argc, char **argv);
int cli_staff(struct cli *c, int argc, char **argv);

#endif
