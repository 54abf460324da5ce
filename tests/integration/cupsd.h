/*
 * Integration support: a REAL CUPS scheduler (Debian cups-daemon) started
 * by the test, in the foreground, with its own ServerRoot and spool in a
 * scratch directory, listening on a free loopback port only (no browsing,
 * no local socket, no web interface, no authentication from 127.0.0.1),
 * and two queues:
 *
 *   a PDF queue on the cups-pdf backend (printer-driver-cups-pdf), whose
 *   output directory is inside the scratch directory.  cups-pdf reads its
 *   per-queue configuration only from /etc/cups/cups-pdf-<NAME>.conf for a
 *   device URI cups-pdf:/<NAME>: cupsd_start() writes one there under a
 *   unique NAME and cupsd_stop() removes it.  The queue's PDF is rendered
 *   to PostScript with pdftops-renderer=pdftops, so the text stays text
 *   (ghostscript's own renderer turns it into outlines pdftotext cannot
 *   read).  cups-pdf is a 0700 root backend: CUPS runs it as root only
 *   when cupsd runs as root, which the harness checks first;
 *
 *   a raw queue on the socket backend (socket://127.0.0.1:PORT2), whose
 *   "printer" is a listener thread of the harness that records every byte
 *   each connection sends.
 *
 * Clients (hrpost) find the server with CUPS_SERVER=cupsd->server.  A
 * component that does not start is an error with the reason, never a skip;
 * cupsd's error log is copied to stderr on every failure.
 */
#ifndef HRPOST_TEST_CUPSD_H
#define HRPOST_TEST_CUPSD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CUPSD_BIN "/usr/sbin/cupsd"
#define CUPSD_PDF_BACKEND "/usr/lib/cups/backend/cups-pdf"
#define CUPSD_PDF_PPD "/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd"
#define CUPSD_PDF_CONF_DIR "/etc/cups"	/* compiled into cups-pdf */
#define CUPSD_PATH_MAX 4096
#define CUPSD_NAME_MAX 64
#define CUPSD_CAPTURE_MAX (8u << 20)	/* bytes the raw printer keeps */
#define CUPSD_START_TIMEOUT_MS 20000
#define CUPSD_STOP_TIMEOUT_MS 15000

/* The raw "printer": a loopback listener recording what it is sent. */
struct cupsd_capture {
	int fd;				/* listening socket, -1 when none */
	uint16_t port;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	unsigned char *buf;		/* every connection's bytes, in order */
	size_t len;
	int conns;			/* connections read to their end */
	bool overflow;
};

struct cupsd {
	char dir[CUPSD_PATH_MAX];	/* scratch: ServerRoot, spool, output */
	char server[64];		/* "127.0.0.1:PORT", for CUPS_SERVER */
	char env[80];			/* "CUPS_SERVER=127.0.0.1:PORT" */
	uint16_t port;
	pid_t pid;			/* 0 when not running */
	char pdf_queue[CUPSD_NAME_MAX];
	char raw_queue[CUPSD_NAME_MAX];
	char pdf_out[CUPSD_PATH_MAX];	/* where cups-pdf writes its PDFs */
	char pdf_conf[CUPSD_PATH_MAX];	/* the /etc/cups file we wrote */
	char error_log[CUPSD_PATH_MAX];
	struct cupsd_capture cap;
};

/*
 * Check the components, make a scratch directory, start the raw printer,
 * write cupsd's configuration and both queues, start `cupsd -f`, and wait
 * (at most CUPSD_START_TIMEOUT_MS) until both queues answer IPP and are
 * idle.  Returns 0, or -1 with the reason in @errbuf (everything started
 * is stopped again).
 */
int cupsd_start(struct cupsd *c, const char *pdf_queue,
    const char *raw_queue, char *errbuf, size_t errsz);

/*
 * Stop cupsd (SIGTERM, then SIGKILL after CUPSD_STOP_TIMEOUT_MS), stop the
 * raw printer, remove the cups-pdf configuration file and the scratch
 * directory.  Returns 0 when cupsd exited after SIGTERM.  Safe on a
 * struct that never started (zeroed).
 */
int cupsd_stop(struct cupsd *c);

/*
 * Wait (at most @timeout_ms) until the server has no unfinished job.
 * Returns 0, or -1 on timeout or when the server does not answer.
 */
int cupsd_wait_idle(struct cupsd *c, int timeout_ms);

/*
 * The newest PDF cups-pdf wrote, once its size stopped changing, into
 * @path; waits at most @timeout_ms.  @count (may be NULL) gets how many
 * PDFs the output directory holds.  Returns 0 or -1.
 */
int cupsd_pdf_newest(struct cupsd *c, char *path, size_t pathsz,
    int *count, int timeout_ms);

/*
 * Wait (at most @timeout_ms) until the raw printer has read @conns
 * connections to their end, then copy what it holds: a malloc'd,
 * NUL-terminated buffer (*len without the NUL) the caller frees.  NULL on
 * timeout.
 */
unsigned char *cupsd_raw_wait(struct cupsd *c, int conns, size_t *len,
    int timeout_ms);

/* Copy the tail of cupsd's error log (and cups-pdf's) to stderr. */
void cupsd_dump_logs(const struct cupsd *c);

#endif
