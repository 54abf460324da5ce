/*
 * Integration support: a REAL Kannel (Debian packages kannel and
 * kannel-extras) on free loopback ports in a scratch directory, for the
 * suites that test hrpost's SMS channel end to end.
 *
 * kannel_start() writes one kannel.conf (core group with admin-port,
 * smsbox-port and box-allow-ip 127.0.0.1; a fake SMSC; an smsbox with
 * its sendsms port and an access log; a sendsms-user; one sms-service,
 * keyword default, whose get-url calls hrpost's /sms with from=%p&to=%P&
 * text=%b&id=%I&ts=%T&coding=%c&secret=..., accept-x-kannel-headers and
 * omit-empty on, no global-sender), starts bearerbox, waits until its
 * admin status answers, starts smsbox, and waits until bearerbox lists it
 * as connected and the fake SMSC as waiting for a phone network.
 *
 * kannel_sms() plays the phone network: it runs
 * /usr/lib/kannel/test/fakesmsc for one message ("text" for a 7-bit SMS,
 * "ucs2" with the UTF-16BE bytes URL-encoded for a UCS-2 one) until
 * smsbox's access log shows it called hrpost and the replies the test
 * expects have reached it ("Got message N: <FROM TO TYPE DATA>" on its
 * stderr; a "ucs-2" reply is URL-encoded UTF-16BE, decoded here).  Then
 * it runs a second fakesmsc with a probe SMS (keyword KANNEL_PROBE, a
 * service that fetches bearerbox's status page and sends no reply).
 * smsbox handles HTTP answers one at a time, so when the probe's call is
 * logged, smsbox's debug log has counted every reply to the first SMS
 * ("message length L, sending N messages"; an empty body under
 * omit-empty counts none), and that count must equal both what arrived
 * and what the test expected.  Nothing is guessed from timing: "no
 * reply" is proved, not waited for.
 *
 * kannel_stop() stops smsbox then bearerbox (SIGTERM, then SIGKILL after
 * KANNEL_STOP_TIMEOUT_MS), reaps them and removes the directory.  A test
 * that fails before its teardown (Check ends it with _exit()) still stops
 * them: the boxes get SIGTERM when the test process dies
 * (PR_SET_PDEATHSIG), and the next kannel_start() removes scratch
 * directories whose owner process is gone; without fork (CK_FORK=no), an
 * atexit() handler stops every Kannel not yet stopped.  A component that
 * does not start is an error, never a skip.
 */
#ifndef HRPOST_TEST_KANNEL_H
#define HRPOST_TEST_KANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KANNEL_PATH_MAX 4096
#define KANNEL_TEXT_MAX 4096		/* a message as the harness sees it */
#define KANNEL_GOT_MAX 8		/* messages one SMS may bring back */
#define KANNEL_START_TIMEOUT_MS 20000
#define KANNEL_STOP_TIMEOUT_MS 15000
#define KANNEL_SMS_TIMEOUT_MS 20000

/* Keyword of the probe service (see kannel_sms()): never sent to hrpost. */
#define KANNEL_PROBE "hrpostprobe"

#define KANNEL_BEARERBOX "/usr/sbin/bearerbox"
#define KANNEL_SMSBOX "/usr/sbin/smsbox"
#define KANNEL_FAKESMSC "/usr/lib/kannel/test/fakesmsc"

struct kannel {
	char dir[KANNEL_PATH_MAX];	/* scratch: config, logs */
	char conf[KANNEL_PATH_MAX];
	uint16_t admin_port;
	uint16_t smsbox_port;
	uint16_t smsc_port;		/* fake SMSC: fakesmsc connects here */
	uint16_t sendsms_port;
	pid_t bearerbox;		/* 0 when not running */
	pid_t smsbox;
	char get_url[1024];		/* the sms-service get-url written */
};

/*
 * Start bearerbox and smsbox with get-url pointing at @sms_url (e.g.
 * "http://127.0.0.1:PORT/sms") and passing @secret (may be NULL: no
 * secret parameter).  Returns 0, or -1 with the reason and the boxes'
 * logs on stderr (everything started is stopped again).
 */
int kannel_start(struct kannel *k, const char *sms_url, const char *secret);

/*
 * Stop everything kannel_start() started, reap it and remove the scratch
 * directory.  Returns 0 when both boxes exited after SIGTERM, -1 when one
 * had to be killed.  Does nothing for a zeroed @k.
 */
int kannel_stop(struct kannel *k);

/* One SMS from a phone. */
struct kannel_mo {
	const char *from;	/* "+33612345678" */
	const char *to;		/* the centre's number, "38100" */
	const char *text;	/* UTF-8 */
	bool ucs2;		/* send as UCS-2 (coding 2), else 7-bit text */
	int expect;		/* replies expected at the phone (0: none) */
	int timeout_ms;		/* 0: KANNEL_SMS_TIMEOUT_MS */
};

/* What reached the phone. */
struct kannel_got {
	char from[64];		/* the reply's sender (the centre's number) */
	char to[64];		/* the phone */
	char type[16];		/* "text", "ucs-2", "udh"... as fakesmsc says */
	char text[KANNEL_TEXT_MAX];	/* decoded to UTF-8 */
};

struct kannel_mt {
	int status;		/* HTTP status smsbox got from hrpost */
	/*
	 * The reply as smsbox's access log shows it: the body for a 7-bit
	 * reply, "" for none, and for a UCS-2 one the raw UTF-16 up to its
	 * first NUL byte (so "" or garbage): use got[] for what arrived.
	 */
	char body[KANNEL_TEXT_MAX];
	size_t n;		/* messages that reached the phone */
	struct kannel_got got[KANNEL_GOT_MAX];
};

/*
 * Send @mo through fakesmsc and collect what comes back into @mt.
 * Returns 0 when smsbox called hrpost and sent exactly mo->expect
 * replies, all of which reached the phone; -1 otherwise (a timeout, more
 * or fewer replies: reason and logs on stderr; @mt holds what arrived).
 */
int kannel_sms(struct kannel *k, const struct kannel_mo *mo,
    struct kannel_mt *mt);

/* The number of /sms calls smsbox has logged so far (-1: no log). */
int kannel_requests(const struct kannel *k);

/*
 * Sending through smsbox's sendsms (http://127.0.0.1:<sendsms_port>
 * /cgi-bin/sendsms) as the sendsms-user kannel_start() configures.
 */
#define KANNEL_SENDSMS_USER "hrpost"
#define KANNEL_SENDSMS_PASSWORD "hrpost-test-sendsms"

/*
 * The number of sendsms requests smsbox has accepted so far ("send-SMS
 * request added" lines of its access log; -1: no log).  What hrpost sent
 * through sendsms is counted here, not guessed from what arrived.
 */
int kannel_sendsms_count(const struct kannel *k);

/*
 * A phone that only listens: a fakesmsc connected to the fake SMSC that
 * sends nothing (-m 0) and collects what Kannel delivers to the phone
 * network (SMS sent through sendsms; Kannel queues them while no phone
 * is connected and delivers them when one is).  The fake SMSC takes one
 * phone at a time: stop the listener before kannel_sms().
 */
struct kannel_listener {
	pid_t pid;		/* 0 when not running */
	int fd;			/* its stderr */
	char buf[8192];
	size_t used;
};

/* Start listening.  Returns 0, or -1 with the reason on stderr. */
int kannel_listen(const struct kannel *k, struct kannel_listener *l);

/*
 * Read what reached the phone into @mt (appended; mt->n counts) until
 * it holds at least @n messages or @timeout_ms passed.  Returns 0 when
 * it holds @n, -1 on timeout (with what arrived in @mt).
 */
int kannel_listen_wait(struct kannel_listener *l, size_t n, int timeout_ms,
    struct kannel_mt *mt);

/*
 * Stop the listener, reading what it printed until it exited into @mt
 * (may be NULL).  Does nothing for a listener not running.
 */
void kannel_listen_stop(struct kannel_listener *l, struct kannel_mt *mt);

#endif
