/*
 * Integration support shared by the suites that run an hrpost daemon
 * (intake, console, kannel, pull...): a scratch state directory made by
 * the real `hrpost init --demo`, config edits, a free loopback port,
 * starting `hrpost -d DIR <subcommand> --listen 127.0.0.1:PORT [args]`
 * with its stderr in a log file, waiting until it answers GET /healthz,
 * stopping it with SIGTERM and reaping it, and HTTP requests through
 * libcurl that return status, headers and body.
 *
 * It also runs a command to its end with its stdout and stderr captured
 * (daemon_cli() for `hrpost [-d DIR] ARGS...`, daemon_spawn() and
 * daemon_collect() for any program, or to act on it while it runs).
 *
 * $HRPOST_BIN names the binary (the Makefile sets it; default
 * build/hrpost).  Every function returns an error instead of aborting, so
 * a suite can ck_assert on it and still clean up.
 */
#ifndef HRPOST_TEST_DAEMON_H
#define HRPOST_TEST_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"

#define DAEMON_PATH_MAX 4096
#define DAEMON_REPLY_MAX (4 * 1024 * 1024)	/* body or headers */
#define DAEMON_START_TIMEOUT_MS 15000
#define DAEMON_STOP_TIMEOUT_MS 15000
#define DAEMON_CLI_ARGS_MAX 60		/* arguments after `hrpost -d DIR` */
#define DAEMON_SILENCE_MS 120000	/* daemon_collect(): give up reading
					   after this long without output */

/* The hrpost binary: $HRPOST_BIN or "build/hrpost". */
const char *daemon_bin(void);

/*
 * Make a fresh scratch directory and run `hrpost -d DIR/state init --demo`
 * in it.  @dir (of @dirsz bytes) receives DIR/state.  Returns 0, or -1
 * (with hrpost's stderr copied to ours).  Remove it with
 * daemon_state_free().
 */
int daemon_state_new(char *dir, size_t dirsz);

/* Remove the scratch directory above @dir (the parent of state/). */
void daemon_state_free(const char *dir);

/*
 * Set `key = value` in section [@section] of DIR/hrpost.conf: replaces the
 * key's line (or its commented-out "; key =" line that init writes), or
 * adds it at the end of the section (the section is added when missing).
 * Returns 0 or -1.
 */
int daemon_config_set(const char *dir, const char *section, const char *key,
    const char *value);

/*
 * A TCP port free on 127.0.0.1 right now (bind to port 0, read, close).
 * 0 on error.
 */
uint16_t daemon_free_port(void);

struct daemon_proc {
	pid_t pid;			/* 0 when not running */
	uint16_t port;
	char url[64];			/* "http://127.0.0.1:PORT" */
	char log[DAEMON_PATH_MAX];	/* file holding the daemon's stderr */
};

/*
 * Start `hrpost -d @dir @subcommand --listen 127.0.0.1:PORT @args...` on a
 * free port (@args: NULL-terminated, may be NULL; @env: NULL-terminated
 * "NAME=VALUE" strings added to the environment, may be NULL), stdin
 * /dev/null, stdout and stderr appended to DIR/<subcommand>.log.  Waits
 * until GET /healthz answers 200 (at most DAEMON_START_TIMEOUT_MS).
 * Returns 0 with @d filled in; -1 when it exits or does not answer (it is
 * then killed and reaped, and its log copied to our stderr).
 */
int daemon_start(struct daemon_proc *d, const char *dir,
    const char *subcommand, const char *const *args,
    const char *const *env);

/*
 * Send SIGTERM and reap, waiting at most DAEMON_STOP_TIMEOUT_MS (then
 * SIGKILL).  *status (may be NULL) gets the exit status, or 128 + signal
 * number when it was killed by a signal.  Returns 0 when it exited by
 * itself after SIGTERM, -1 when it had to be killed or could not be
 * reaped.  Does nothing (returns 0) when d->pid is 0.
 */
int daemon_stop(struct daemon_proc *d, int *status);

/* true when @d's log file contains @needle. */
int daemon_log_contains(const struct daemon_proc *d, const char *needle);

/* One HTTP request. */
struct daemon_req {
	const char *method;		/* NULL: GET, or POST when body set */
	const char *url;		/* full URL */
	const char *content_type;	/* NULL: no Content-Type header */
	const void *body;		/* NULL: no body */
	size_t body_len;
	const char *const *headers;	/* NULL-terminated "Name: value" */
	const char *source;		/* local address to send from
					   ("127.0.0.2"), NULL: any */
	long timeout_ms;		/* 0: 10000 */
};

struct daemon_reply {
	long status;		/* HTTP status, 0 when no answer */
	char *headers;		/* raw header block, NUL-terminated */
	size_t headers_len;
	char *body;		/* NUL-terminated (may hold NULs: body_len) */
	size_t body_len;
};

/*
 * Run @rq with libcurl (no proxy, no redirects followed).  Returns 0 with
 * @rp filled in (free with daemon_reply_free()), or -1 when no HTTP answer
 * came (connection refused, timeout) with rp->status 0.
 */
int daemon_request(const struct daemon_req *rq, struct daemon_reply *rp);

/* Shorthands: GET @url; POST @len bytes of @body as @content_type. */
int daemon_get(const char *url, struct daemon_reply *rp);
int daemon_post(const char *url, const char *content_type, const void *body,
    size_t len, struct daemon_reply *rp);

/*
 * The value of the first response header @name (case-insensitive) into
 * @out of @outsz bytes.  Returns 0, or -1 when absent or too long.
 */
int daemon_reply_header(const struct daemon_reply *rp, const char *name,
    char *out, size_t outsz);

/* Free what @rp holds and zero it.  NULL is fine. */
void daemon_reply_free(struct daemon_reply *rp);

/* A command started by daemon_spawn(), until daemon_collect(). */
struct daemon_child {
	pid_t pid;		/* 0 when not running */
	int out;		/* read end of its stdout pipe, -1: none */
	int err;		/* read end of its stderr pipe, -1: none */
};

/*
 * Start @argv (NULL-terminated; argv[0] is found as execvp() does: a name
 * without '/' is looked up in $PATH) in a new session (setsid: no
 * controlling terminal), stdin /dev/null, stdout and stderr into pipes.
 * Its environment is ours without HRPOST_DIR, HRPOST_PASSPHRASE and the
 * proxy variables (http_proxy, https_proxy, all_proxy, in both cases),
 * plus @env: NULL-terminated "NAME=VALUE" strings (may be NULL) that
 * replace a variable of the same name.  A program that cannot be executed
 * exits 127.  Returns 0 with @c filled in (the caller must call
 * daemon_collect() on it), or -1 when a pipe or the fork failed (nothing
 * left open or running, c->pid 0).
 */
int daemon_spawn(struct daemon_child *c, const char *const *argv,
    const char *const *env) WUR;

/*
 * daemon_spawn() of `daemon_bin() -d @dir @args...` (no -d when @dir is
 * NULL; @args NULL-terminated, at most DAEMON_CLI_ARGS_MAX of them, may be
 * NULL).  Returns 0, or -1 (also when there are too many arguments).
 */
int daemon_cli_spawn(struct daemon_child *c, const char *dir,
    const char *const *args, const char *const *env) WUR;

/*
 * Read @c's stdout into @out (@outsz bytes) and its stderr into @err
 * (@errsz bytes) until the child closes both, then reap it.  Each buffer
 * keeps at most size - 1 bytes and is always NUL-terminated (a size of 0
 * keeps nothing, @out or @err may then be NULL); what does not fit is read
 * and dropped, so the child never blocks on a full pipe.  *outlen (may be
 * NULL) gets the number of stdout bytes kept (stdout may hold NULs).
 * When neither pipe has anything for DAEMON_SILENCE_MS, reading stops and
 * the pipes are closed (a child that writes again then gets SIGPIPE); the
 * child is still waited for.  Closes the pipes and sets c->pid to 0 on
 * every path.  Returns the exit status, 128 + the signal number when a
 * signal killed it, or -1 when it could not be reaped (or c->pid was 0).
 */
int daemon_collect(struct daemon_child *c, char *out, size_t outsz,
    size_t *outlen, char *err, size_t errsz) WUR;

/*
 * Run `hrpost -d @dir @args...` to its end: daemon_cli_spawn() then
 * daemon_collect() (see both).  Returns the exit status, 128 + signal, or
 * -1 on a setup failure (too many arguments, pipe, fork, wait), with @out
 * and @err then empty.
 */
int daemon_cli(const char *dir, const char *const *args,
    const char *const *env, char *out, size_t outsz, char *err,
    size_t errsz) WUR;

#endif
