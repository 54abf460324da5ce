/*
 * Printing through CUPS with libcups: one document, held in memory, sent
 * as one job to a named queue with the streaming API (cupsCreateJob,
 * cupsStartDocument, cupsWriteRequestData, cupsFinishDocument), then
 * followed with Get-Job-Attributes until it completes, fails, or the wait
 * runs out.  The server is libcups' default: $CUPS_SERVER, else
 * ~/.cups/client.conf or /etc/cups/client.conf, else the local socket.
 *
 * Messages name the queue and the job, never the document's content; the
 * job title is given by the caller and must not hold personal data (a
 * reference, a count).
 */
#ifndef HRPOST_CUPS_H
#define HRPOST_CUPS_H

#include <stddef.h>

#include "base/util.h"
#include "printer/label.h"

#define CUPS_QUEUE_MAX 127		/* CUPS' own limit on printer names */
#define CUPS_WAIT_MAX 600		/* seconds */
#define CUPS_WAIT_DEFAULT 60
#define CUPS_TITLE_MAX 128
#define CUPS_MIME_PDF "application/pdf"
#define CUPS_MIME_PNG "image/png"
#define CUPS_MIME_RAW "application/vnd.cups-raw"

enum cups_result {
	CUPS_PRINTED = 0,	/* the job completed */
	CUPS_QUEUED,		/* accepted, not finished within the wait */
	CUPS_FAILED,		/* refused, cancelled, aborted, or stopped */
};

/*
 * true when @queue is a CUPS queue name: 1 to CUPS_QUEUE_MAX printable
 * ASCII characters other than space, '/', '#' and '\\'.
 */
bool cups_queue_valid(const char *queue);

/* The document format CUPS gets for @fmt: PDF, PNG, or raw for ZPL. */
const char *cups_mime(enum label_format fmt);

/*
 * Send @len bytes at @data of type @mime (CUPS_MIME_*) to @queue as one
 * job titled @title, with the media option @media when not NULL ("A4",
 * "A5", "Custom.100x150mm"; raw jobs take none), and wait up to @wait
 * seconds (0 to CUPS_WAIT_MAX; 0: do not wait) for it to complete.
 * *job_id (may be NULL) gets the job's id once CUPS accepted it.
 *
 * Returns CUPS_PRINTED, CUPS_QUEUED (accepted; still pending or
 * processing when the wait ran out; @errbuf says so), or CUPS_FAILED with
 * the reason in @errbuf naming the queue: the server cannot be reached,
 * the queue does not exist or does not accept jobs, the document was
 * refused, the job was cancelled or aborted, or the queue stopped.
 */
enum cups_result cups_print(const char *queue, const char *title,
    const char *mime, const char *media, const void *data, size_t len,
    int wait, int *job_id, char *errbuf, size_t errsz) WUR;

#endif
