/*
 * The centre's console daemon (`hrpost console`): it holds the private
 * key (unlocked by the caller at start), serves the centre's LAN or
 * localhost, and pulls sealed orders from the intake node in a thread of
 * its own every [console] pull_interval seconds (orders/pull.h), the
 * first time at start.  A failed pull writes one line on stderr (the
 * reason names the URL, never the token or personal data) and is tried
 * again at the next interval; rows applied and not acknowledged come back
 * as duplicates, so nothing is lost.
 *
 * A task thread runs the follow-up scheduler (orders/followup.h) every
 * [scheduler] interval of DIR/followup.ini (the defaults without that
 * file), the first time at start: new call-back tasks, SMS invitations
 * after the last unanswered call, and once a day the coordinator's digest
 * SMS, both through Kannel's sendsms when [sms] sendsms_url is set.  With
 * a [laposte] key it also polls La Poste every [laposte] poll_interval
 * seconds (shipping/tracking.h), and runs the scheduler again right after
 * a round that found parcels delivered.  Each writes one line on stderr
 * when something happened, never personal data.  The rules' time zone
 * becomes the process's local time at console_open().
 *
 * Routes (server/http.h):
 *   GET /healthz   200 "ok\n" when centre.db answers, else 503.
 * The staff interface (login, queue, phone orders...) comes as more
 * routes in this file's table; every handler shares struct console, whose
 * store connection is guarded by a mutex.
 *
 * Life cycle, from cli/console.c: http_signals_block(); console_open()
 * (everything privileged: binds the port, opens three connections to
 * centre.db, one for the handlers, one for the pull thread and one for
 * the task thread, reads the CA file and the rules); privdrop_drop();
 * console_start() (serves, starts the pull and task threads);
 * http_signals_wait() until SIGTERM or SIGINT; console_close() (a pull in
 * progress stops at once: between two pages, or by abandoning the request
 * in flight; rows applied but not acknowledged come back as duplicates
 * next time; a scheduler or tracking round in progress ends first; then
 * the server stops).
 */
#ifndef HRPOST_CONSOLE_H
#define HRPOST_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/util.h"

struct catalogue;
struct centre_key;
struct console;

/* Largest [console] ca_file read into memory. */
#define CONSOLE_CA_FILE_MAX (1024 * 1024)
#define CONSOLE_HTTP_THREADS 2

/*
 * Everything privileged: check the pull settings of @cfg (intake_url and
 * intake_token, see pull_check()), read [console] ca_file (also used for
 * an https sendsms_url), open centre.db three times and find [hrpost]
 * centre in it, read DIR/followup.ini and apply its time zone (not
 * thread-safe: before any thread starts), check [sms] sendsms_*, bind
 * @listen (NULL:
 * cfg->console_listen).  @cfg is copied; @cat and @key are borrowed and
 * must outlive the console.  Nothing is served and no thread runs yet.
 * Returns NULL with the reason in @errbuf.
 */
struct console *console_open(const struct config *cfg, const char *listen,
    const struct catalogue *cat, const struct centre_key *key,
    char *errbuf, size_t errsz);

/* The port bound (for --listen 127.0.0.1:0). */
uint16_t console_port(const struct console *con);

/*
 * Serve, and start the pull and task threads (after privdrop_drop(), after
 * http_signals_block() so that no thread takes SIGTERM).  Returns 0, or
 * -1 with the reason in @errbuf.
 */
int console_start(struct console *con, char *errbuf, size_t errsz) WUR;

/*
 * Stop: the pull thread ends its round early (see above) and is joined,
 * the server stops (running handlers finish), everything is closed.
 * NULL is fine.
 */
void console_close(struct console *con);

#endif
