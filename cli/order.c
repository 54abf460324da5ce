/*
 * hrpost order add|show|cancel: the coordinator's side of the phone call.
 *
 * `order add` takes every field as an option, or asks for the missing ones
 * on a terminal, and validates them with the same rules as every other
 * channel (orders/order.c).  Personal values given as options are copied
 * and then wiped from argv, so they stay in `ps` output as short as
 * possible; prompting keeps them out of it entirely.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "base/clock.h"
#include "cli/cli.h"
#include "crypto/key.h"
#include "crypto/token.h"
#include "orders/order.h"
#include "orders/store.h"
#include "shipping/catalogue.h"

#define ARG_MAX_BYTES 2048
#define PROMPT_ROUNDS 5

/* Copies of what the coordinator typed; wiped before return. */
struct add_args {
	struct order_input in;
	char pseudonym[ARG_MAX_BYTES];
	char lines[ORDER_INPUT_LINES_MAX][ARG_MAX_BYTES];
	char postcode[64];
	char commune[ARG_MAX_BYTES];
	char phone[64];
	char lang[16];
	char packs[ORDER_PACKS_MAX + 1][64];
	char for_people[16];
	char note[ARG_MAX_BYTES];
	char idem[129];
	int given_lines, given_phone, given_lang, given_for, given_note;
	int given_consent;
};

static void
order_usage(FILE *f)
{
	fprintf(f,
	    "usage: hrpost [-d DIR] order add [OPTIONS]\n"
	    "       hrpost [-d DIR] order show REF [--format text|json]\n"
	    "       hrpost [-d DIR] order cancel REF\n"
	    "\n"
	    "order add: record an order taken by phone (it starts as accepted)\n"
	    "and print its reference.  Missing fields are asked for on a\n"
	    "terminal.\n"
	    "  --pseudonym NAME        the name the person chose (line 1)\n"
	    "  --line TEXT             address line 2 to 5 (repeat, at most 4)\n"
	    "  --poste-restante        deliver to the post office of POSTCODE\n"
	    "  --postcode CODE         5 digits (CEDEX codes too)\n"
	    "  --commune NAME          commune (\"MILLAU CEDEX 11\" for CEDEX)\n"
	    "  --phone NUMBER          E.164 (+33...) or French form (06...)\n"
	    "  --call                  agrees to be called back\n"
	    "  --sms                   agrees to receive SMS\n"
	    "  --lang CODE             language of texts and calls (fr, en, ...)\n"
	    "  --pack CODE[:QTY[:VARIANT]]  a pack; repeat (see catalogue)\n"
	    "  --for N                 for how many people (1 = themselves)\n"
	    "  --note TEXT             free note (sealed)\n"
	    "  --idem KEY              idempotency key: the same key twice\n"
	    "                          records one order\n"
	    "  --passphrase-file FILE  passphrase for the private key\n"
	    "order show: open the sealed data (writes an audit entry).\n"
	    "order cancel: cancel an order that has not been shipped.\n");
}

static int
copy_arg(char *dst, size_t dstsz, char *arg)
{
	int rc = str_copy(dst, dstsz, arg);

	/* Take personal data out of /proc/PID/cmdline as soon as we can. */
	OPENSSL_cleanse(arg, strlen(arg));
	return rc;
}

static int
add_pack(struct add_args *a, const char *spec)
{
	char *p, *q;
	size_t i = a->in.npacks;

	if (i >= ARRAY_LEN(a->packs))
		return -1;
	if (str_copy(a->packs[i], sizeof(a->packs[i]), spec) < 0)
		return -1;
	p = a->packs[i];
	a->in.packs[i].code = p;
	a->in.packs[i].qty = NULL;
	a->in.packs[i].variant = NULL;
	q = strchr(p, ':');
	if (q != NULL) {
		*q++ = '\0';
		a->in.packs[i].qty = q;
		p = strchr(q, ':');
		if (p != NULL) {
			*p++ = '\0';
			a->in.packs[i].variant = p;
		}
	}
	a->in.npacks++;
	return 0;
}

static void
bind_fields(struct add_args *a)
{
	a->in.pseudonym = a->pseudonym;
	for (size_t i = 0; i < a->in.nlines; i++)
		a->in.lines[i] = a->lines[i];
	a->in.postcode = a->postcode;
	a->in.commune = a->commune;
	a->in.phone = a->phone;
	a->in.lang = a->lang[0] != '\0' ? a->lang : NULL;
	a->in.for_people = a->for_people[0] != '\0' ? a->for_people : NULL;
	a->in.note = a->note;
}

static int
yes(const char *s)
{
	return str_casecmp(s, "y") == 0 || str_casecmp(s, "yes") == 0 ||
	    str_casecmp(s, "o") == 0 || str_casecmp(s, "oui") == 0;
}

static void
prompt_lines(struct add_args *a)
{
	char buf[16];

	a->in.nlines = 0;
	if (cli_prompt("Poste restante (no home address)? [y/N]: ", buf,
	    sizeof(buf)) == 0)
		a->in.poste_restante = yes(buf);
	fprintf(stderr, "Address lines 2 to 5 (flat, building, number and "
	    "street, lieu-dit); an empty line ends:\n");
	while (a->in.nlines < ADDRESS_LINES_MAX) {
		char *dst = a->lines[a->in.nlines];

		if (cli_prompt("  line: ", dst, sizeof(a->lines[0])) < 0 ||
		    dst[0] == '\0')
			break;
		a->in.nlines++;
	}
}

static void
prompt_phone(struct add_args *a)
{
	char buf[16];

	if (cli_prompt("Phone (empty: none): ", a->phone,
	    sizeof(a->phone)) < 0)
		a->phone[0] = '\0';
	a->in.consent_call = a->in.consent_sms = false;
	if (a->phone[0] == '\0')
		return;
	if (cli_prompt("Agrees to be called back? [y/N]: ", buf,
	    sizeof(buf)) == 0)
		a->in.consent_call = yes(buf);
	if (cli_prompt("Agrees to receive SMS? [y/N]: ", buf,
	    sizeof(buf)) == 0)
		a->in.consent_sms = yes(buf);
}

static void
prompt_packs(struct add_args *a, const struct catalogue *cat)
{
	char buf[64];

	fprintf(stderr, "Packs:");
	for (size_t i = 0; i < catalogue_npacks(cat); i++) {
		const struct catalogue_pack *p = catalogue_pack_at(cat, i);

		fprintf(stderr, "\n  %-7s %s", p->code,
		    catalogue_pack_name(cat, p->code, "en"));
		if (p->nvariants > 0) {
			fprintf(stderr, " (variants:");
			for (size_t v = 0; v < p->nvariants; v++)
				fprintf(stderr, " %s", p->variants[v]);
			fprintf(stderr, ")");
		}
	}
	fprintf(stderr, "\nOne pack a line as CODE[:QTY[:VARIANT]]; an empty "
	    "line ends:\n");
	a->in.npacks = 0;
	while (a->in.npacks < ORDER_PACKS_MAX) {
		if (cli_prompt("  pack: ", buf, sizeof(buf)) < 0 ||
		    buf[0] == '\0')
			break;
		if (add_pack(a, buf) < 0)
			break;
	}
}

/* Ask for @field (a form field name from a validation error). */
static void
prompt_field(struct add_args *a, const char *field,
    const struct catalogue *cat)
{
	if (strcmp(field, "pseudonym") == 0) {
		if (cli_prompt("Pseudonym (the name they chose): ",
		    a->pseudonym, sizeof(a->pseudonym)) < 0)
			a->pseudonym[0] = '\0';
	} else if (strcmp(field, "line") == 0) {
		prompt_lines(a);
	} else if (strcmp(field, "postcode") == 0) {
		if (cli_prompt("Postcode: ", a->postcode,
		    sizeof(a->postcode)) < 0)
			a->postcode[0] = '\0';
	} else if (strcmp(field, "commune") == 0) {
		if (cli_prompt("Commune: ", a->commune, sizeof(a->commune)) < 0)
			a->commune[0] = '\0';
	} else if (strcmp(field, "phone") == 0 ||
	    strncmp(field, "consent_", 8) == 0) {
		prompt_phone(a);
	} else if (strcmp(field, "lang") == 0) {
		if (cli_prompt("Language (fr, en, es, pt, ru; empty: fr): ",
		    a->lang, sizeof(a->lang)) < 0)
			a->lang[0] = '\0';
	} else if (strcmp(field, "pack") == 0 ||
	    strncmp(field, "qty_", 4) == 0 ||
	    strncmp(field, "variant_", 8) == 0) {
		prompt_packs(a, cat);
	} else if (strcmp(field, "for_others") == 0) {
		if (cli_prompt("For how many people, themselves included "
		    "(empty: 1): ", a->for_people, sizeof(a->for_people)) < 0)
			a->for_people[0] = '\0';
	} else if (strcmp(field, "note") == 0) {
		if (cli_prompt("Note (empty: none): ", a->note,
		    sizeof(a->note)) < 0)
			a->note[0] = '\0';
	}
	bind_fields(a);
}

/* The command-line option behind a form field name, for messages. */
static const char *
field_option(const char *field)
{
	static const struct {
		const char *field, *opt;
	} map[] = {
		{ "pseudonym", "--pseudonym" }, { "line", "--line" },
		{ "postcode", "--postcode" }, { "commune", "--commune" },
		{ "phone", "--phone" }, { "consent_call", "--call" },
		{ "consent_sms", "--sms" }, { "lang", "--lang" },
		{ "pack", "--pack" }, { "for_others", "--for" },
		{ "note", "--note" },
	};

	for (size_t i = 0; i < ARRAY_LEN(map); i++)
		if (strcmp(field, map[i].field) == 0)
			return map[i].opt;
	if (strncmp(field, "qty_", 4) == 0 || strncmp(field, "variant_", 8) == 0)
		return "--pack";
	return "";
}

static void
print_errors(const struct cli *c, const struct field_error *errs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *opt = field_option(errs[i].field);

		cli_errx(c, "%s%s%s%s: %s", errs[i].field, *opt ? " (" : "",
		    opt, *opt ? ")" : "", errs[i].msg);
	}
}

static int
missing_required(const struct add_args *a)
{
	return a->pseudonym[0] == '\0' || a->postcode[0] == '\0' ||
	    a->commune[0] == '\0' || a->in.npacks == 0 ||
	    (a->in.nlines == 0 && !a->in.poste_restante);
}

/* Ask for everything the command line did not give. */
static void
prompt_missing(struct add_args *a, const struct catalogue *cat)
{
	if (a->pseudonym[0] == '\0')
		prompt_field(a, "pseudonym", cat);
	if (!a->given_lines && !a->in.poste_restante)
		prompt_field(a, "line", cat);
	if (a->postcode[0] == '\0')
		prompt_field(a, "postcode", cat);
	if (a->commune[0] == '\0')
		prompt_field(a, "commune", cat);
	if (!a->given_phone && !a->given_consent)
		prompt_field(a, "phone", cat);
	if (!a->given_lang)
		prompt_field(a, "lang", cat);
	if (a->in.npacks == 0)
		prompt_field(a, "pack", cat);
	if (!a->given_for)
		prompt_field(a, "for_others", cat);
	if (!a->given_note)
		prompt_field(a, "note", cat);
}

static int
order_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pseudonym", required_argument, NULL, 'n' },
		{ "line", required_argument, NULL, 'l' },
		{ "poste-restante", no_argument, NULL, 'R' },
		{ "postcode", required_argument, NULL, 'z' },
		{ "commune", required_argument, NULL, 'c' },
		{ "phone", required_argument, NULL, 't' },
		{ "call", no_argument, NULL, 'C' },
		{ "sms", no_argument, NULL, 'S' },
		{ "lang", required_argument, NULL, 'L' },
		{ "pack", required_argument, NULL, 'p' },
		{ "for", required_argument, NULL, 'f' },
		{ "note", required_argument, NULL, 'N' },
		{ "idem", required_argument, NULL, 'i' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct add_args *a;
	struct order o;
	struct field_error errs[ORDER_ERRORS_MAX];
	struct store_order_row row;
	char ref[STORE_REF_MAX], token[STORE_TOKEN_MAX];
	size_t nerr = 0;
	int ch, rc = CLI_FAIL, toolong = 0, interactive;
	enum store_status ss;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		cli_errx(c, "out of memory");
		return CLI_FAIL;
	}
	memset(&o, 0, sizeof(o));
	a->in.channel = ORDER_CHANNEL_PHONE;
	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'n':
			toolong |= copy_arg(a->pseudonym, sizeof(a->pseudonym),
			    optarg);
			break;
		case 'l':
			a->given_lines = 1;
			if (a->in.nlines >= ORDER_INPUT_LINES_MAX) {
				cli_errx(c, "line (--line): at most %d address "
				    "lines", ADDRESS_LINES_MAX);
				goto usage;
			}
			toolong |= copy_arg(a->lines[a->in.nlines++],
			    sizeof(a->lines[0]), optarg);
			break;
		case 'R':
			a->in.poste_restante = true;
			break;
		case 'z':
			toolong |= copy_arg(a->postcode, sizeof(a->postcode),
			    optarg);
			break;
		case 'c':
			toolong |= copy_arg(a->commune, sizeof(a->commune),
			    optarg);
			break;
		case 't':
			a->given_phone = 1;
			toolong |= copy_arg(a->phone, sizeof(a->phone), optarg);
			break;
		case 'C':
			a->given_consent = 1;
			a->in.consent_call = true;
			break;
		case 'S':
			a->given_consent = 1;
			a->in.consent_sms = true;
			break;
		case 'L':
			a->given_lang = 1;
			toolong |= str_copy(a->lang, sizeof(a->lang), optarg);
			break;
		case 'p':
			if (add_pack(a, optarg) < 0) {
				cli_errx(c, "pack (--pack): at most %d packs, "
				    "each CODE[:QTY[:VARIANT]]",
				    ORDER_PACKS_MAX);
				goto usage;
			}
			break;
		case 'f':
			a->given_for = 1;
			toolong |= str_copy(a->for_people,
			    sizeof(a->for_people), optarg);
			break;
		case 'N':
			a->given_note = 1;
			toolong |= copy_arg(a->note, sizeof(a->note), optarg);
			break;
		case 'i':
			toolong |= str_copy(a->idem, sizeof(a->idem), optarg);
			break;
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			order_usage(stdout);
			rc = CLI_OK;
			goto out;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (toolong) {
		/* Every field limit is far below the buffers: say which rule. */
		cli_errx(c, "an option value is far too long (the limits: 38 "
		    "characters an address line, %d for the note)",
		    ORDER_NOTE_MAX);
		goto usage;
	}
	if (cli_open(c, CLI_NEED_CATALOGUE | CLI_NEED_STORE | CLI_NEED_KEY) < 0)
		goto out;

	bind_fields(a);
	interactive = cli_interactive();
	if (interactive && missing_required(a))
		prompt_missing(a, c->cat);
	for (int round = 0;; round++) {
		nerr = order_from_input(&a->in, c->cat, c->cfg.lang, &o, errs,
		    ARRAY_LEN(errs));
		if (nerr == 0)
			break;
		print_errors(c, errs, nerr);
		if (!interactive || round >= PROMPT_ROUNDS) {
			cli_errx(c, "nothing recorded");
			goto out;
		}
		for (size_t i = 0; i < nerr; i++)
			prompt_field(a, errs[i].field, c->cat);
	}

	ss = store_order_add(c->st, c->key, c->centre_id, &o, ORDER_ACCEPTED,
	    a->idem[0] != '\0' ? a->idem : NULL, c->cfg.flag_qty,
	    c->cfg.flag_days, c->actor, ref, token);
	if (ss == STORE_ERR_DUPLICATE) {
		cli_errx(c, "an order with this --idem key is already "
		    "recorded: %s", ref);
		printf("%s\n", ref);
		rc = CLI_OK;
		goto out;
	}
	if (ss != STORE_OK) {
		cli_errx(c, "%s; nothing recorded", store_errmsg(c->st));
		goto out;
	}
	printf("%s\n", ref);
	if (store_order_get(c->st, ref, &row) == STORE_OK && row.flagged)
		cli_errx(c, "order %s is flagged for a call: %s", ref,
		    row.flag_reason);
	rc = CLI_OK;
	goto out;
usage:
	order_usage(stderr);
	rc = CLI_USAGE;
out:
	order_clear(&o);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
	return rc;
}

/*
 * Canonical reference or tracking code from what was typed, with a message
 * that tells a typo from something that is not ours at all.
 */
static int
check_ref(const struct cli *c, const char *ref)
{
	char canon[TOKEN_BUF(TOKEN_MAX_DIGITS)];
	enum token_status a, b;

	a = token_parse(ref, TOKEN_REF_DIGITS, canon, sizeof(canon));
	b = token_parse(ref, TOKEN_TRACK_DIGITS, canon, sizeof(canon));
	if (a == TOKEN_OK || b == TOKEN_OK)
		return 0;
	if (a == TOKEN_ERR_CHECK || b == TOKEN_ERR_CHECK)
		cli_errx(c, "REF: the check character does not match: a "
		    "character is mistyped");
	else
		cli_errx(c, "REF: not an order reference or tracking code");
	return -1;
}

static void
print_text(const struct order *o, const struct store_order_row *r)
{
	char when[CLOCK_ISO_LEN];

	clock_format(r->received_at, when);
	printf("reference  %s\n", r->ref);
	printf("tracking   %s\n", r->token);
	printf("status     %s\n", order_status_name(r->status));
	printf("channel    %s\n", order_channel_name(r->channel));
	printf("received   %s\n", when);
	if (r->flagged)
		printf("flagged    %s\n", r->flag_reason);
	printf("packs      %s\n", r->packs);
	printf("for        %d %s\n", o->for_people,
	    o->for_people == 1 ? "person" : "people");
	printf("pseudonym  %s\n", o->pseudonym);
	for (size_t i = 0; i < o->nlines; i++)
		printf("%s%s\n", i == 0 ? "address    " : "           ",
		    o->lines[i]);
	printf("postcode   %s\n", o->postcode);
	printf("commune    %s\n", o->commune);
	printf("phone      %s\n", o->phone[0] ? o->phone : "-");
	printf("consent    calls: %s, SMS: %s\n", o->consent_call ? "yes" :
	    "no", o->consent_sms ? "yes" : "no");
	printf("language   %s\n", o->lang);
	printf("note       %s\n", o->note[0] ? o->note : "-");
}

static int
print_json(const struct order *o, const struct store_order_row *r)
{
	json_t *root = NULL, *lines = NULL, *packs = NULL;
	char when[CLOCK_ISO_LEN];
	int rc = -1;

	clock_format(r->received_at, when);
	lines = json_array();
	packs = json_array();
	if (lines == NULL || packs == NULL)
		goto out;
	for (size_t i = 0; i < o->nlines; i++)
		if (json_array_append_new(lines, json_string(o->lines[i])) < 0)
			goto out;
	for (size_t i = 0; i < o->npacks; i++)
		if (json_array_append_new(packs, json_pack("{s:s,s:i,s:s}",
		    "code", o->packs[i].pack, "qty", o->packs[i].qty,
		    "variant", o->packs[i].variant)) < 0)
			goto out;
	root = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:o,s:s,s:s,s:s,"
	    "s:b,s:b,s:s,s:o,s:i,s:s}",
	    "reference", r->ref, "tracking", r->token,
	    "status", order_status_name(r->status),
	    "channel", order_channel_name(r->channel), "received", when,
	    "flagged", r->flagged, "flag_reason", r->flag_reason,
	    "pseudonym", o->pseudonym, "lines", lines,
	    "postcode", o->postcode, "commune", o->commune,
	    "phone", o->phone, "consent_call", o->consent_call,
	    "consent_sms", o->consent_sms, "lang", o->lang,
	    "packs", packs, "for_people", o->for_people, "note", o->note);
	lines = packs = NULL;	/* "o" stole them, even on failure */
	if (root == NULL)
		goto out;
	if (cli_json_print(NULL, root) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	json_decref(lines);
	json_decref(packs);
	return rc;
}

static int
order_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "passphrase-file", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_order_row row;
	struct order o;
	const char *format = "text";
	int ch, rc = CLI_FAIL;
	enum store_status ss;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'F':
			format = optarg;
			break;
		case 'P':
			c->passphrase_file = optarg;
			break;
		case 'h':
			order_usage(stdout);
			return CLI_OK;
		default:
			order_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc ||
	    (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)) {
		order_usage(stderr);
		return CLI_USAGE;
	}
	if (check_ref(c, argv[optind]) < 0)
		return CLI_FAIL;
	if (cli_open(c, CLI_NEED_STORE | CLI_NEED_KEY) < 0)
		return CLI_FAIL;
	memset(&o, 0, sizeof(o));
	ss = store_order_open(c->st, c->key, argv[optind], c->actor, &o, &row);
	if (ss != STORE_OK) {
		cli_errx(c, "%s", store_errmsg(c->st));
		goto out;
	}
	if (strcmp(format, "json") == 0) {
		if (print_json(&o, &row) < 0) {
			cli_errx(c, "cannot format the order as JSON");
			goto out;
		}
	} else {
		print_text(&o, &row);
	}
	rc = CLI_OK;
out:
	order_clear(&o);
	return rc;
}

static int
order_cancel(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	for (;;) {
		ch = getopt_long(argc, argv, "h", opts, NULL);
		if (ch == -1)
			break;
		order_usage(ch == 'h' ? stdout : stderr);
		return ch == 'h' ? CLI_OK : CLI_USAGE;
	}
	if (optind + 1 != argc) {
		order_usage(stderr);
		return CLI_USAGE;
	}
	if (check_ref(c, argv[optind]) < 0)
		return CLI_FAIL;
	if (cli_open(c, CLI_NEED_STORE) < 0)
		return CLI_FAIL;
	if (store_order_transition(c->st, argv[optind], ORDER_CANCELLED,
	    c->actor) != STORE_OK) {
		cli_errx(c, "%s", store_errmsg(c->st));
		return CLI_FAIL;
	}
	fprintf(stderr, "hrpost: order %s cancelled\n", argv[optind]);
	return CLI_OK;
}

int
cli_order(struct cli *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct cli *, int, char **);
	} subs[] = {
		{ "add", order_add },
		{ "show", order_show },
		{ "cancel", order_cancel },
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		order_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	for (size_t i = 0; i < ARRAY_LEN(subs); i++) {
		if (strcmp(argv[1], subs[i].name) == 0) {
			optind = 0;
			return subs[i].run(c, argc - 1, argv + 1);
		}
	}
	cli_errx(c, "order: unknown action '%s' (add, show, cancel)", argv[1]);
	return CLI_USAGE;
}
