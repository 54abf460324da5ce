/*
 * libcups submission; see cups.h.  One connection per job, to libcups'
 * default server.  The document goes out with the streaming API in
 * CHUNK-byte writes (it is already in memory: no temporary file holding an
 * address ever touches the disk on our side).  Then the job is polled
 * every POLL_MS with Get-Job-Attributes; while it waits, the queue's
 * state is read too, so a stopped queue is reported at once instead of
 * after the whole wait.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cups/cups.h>

#include "base/util.h"
#include "printer/cups.h"
#include "printer/label.h"

#define CHUNK 65536
#define POLL_MS 200
#define CONNECT_MS 10000

bool
cups_queue_valid(const char *queue)
{
	size_t n = queue != NULL ? strlen(queue) : 0;

	if (n == 0 || n > CUPS_QUEUE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)queue[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == '#' || c == '\\')
			return false;
	}
	return true;
}

const char *
cups_mime(enum label_format fmt)
{
	switch (fmt) {
	case LABEL_PDF:
		return CUPS_MIME_PDF;
	case LABEL_PNG:
		return CUPS_MIME_PNG;
	case LABEL_ZPL:
		return CUPS_MIME_RAW;
	}
	return CUPS_MIME_RAW;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "host:port" of the server libcups talks to, for messages. */
static void
server_name(char *out, size_t outsz)
{
	const char *s = cupsServer();

	if (s != NULL && s[0] == '/') {
		if (str_copy(out, outsz, s) < 0)
			errbuf_set(out, outsz, "(local socket)");
	} else if (str_printf(out, outsz, "%s:%d", s != NULL ? s : "?",
	    ippPort()) < 0) {
		errbuf_set(out, outsz, "(server)");
	}
}

/*
 * Ask for one attribute set: the job's state (and message) when @job_id
 * > 0, else the queue's.  Returns the response (ippDelete() it) or NULL.
 */
static ipp_t *
get_attrs(http_t *http, const char *queue, int job_id)
{
	static const char *const job_attrs[] = { "job-state",
	    "job-state-message", "job-state-reasons" };
	static const char *const printer_attrs[] = { "printer-state",
	    "printer-state-message", "printer-state-reasons" };
	char uri[HTTP_MAX_URI];
	ipp_t *req;

	if (httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof(uri), "ipp",
	    NULL, "localhost", ippPort(), "/printers/%s", queue) !=
	    HTTP_URI_STATUS_OK)
		return NULL;
	req = ippNewRequest(job_id > 0 ? IPP_OP_GET_JOB_ATTRIBUTES :
	    IPP_OP_GET_PRINTER_ATTRIBUTES);
	if (req == NULL)
		return NULL;
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL,
	    uri);
	if (job_id > 0)
		ippAddInteger(req, IPP_TAG_OPERATION, IPP_TAG_INTEGER,
		    "job-id", job_id);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME,
	    "requesting-user-name", NULL, cupsUser());
	ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD,
	    "requested-attributes", 3, NULL, job_id > 0 ? job_attrs :
	    printer_attrs);
	return cupsDoRequest(http, req, "/");
}

/* The first value of text attribute @name in @resp, or "". */
static const char *
attr_text(ipp_t *resp, const char *name)
{
	ipp_attribute_t *a = ippFindAttribute(resp, name, IPP_TAG_ZERO);
	const char *s = a != NULL ? ippGetString(a, 0, NULL) : NULL;

	return s != NULL ? s : "";
}

/*
 * Follow job @job_id on @queue until it ends or @wait seconds pass.
 */
static enum cups_result
follow(http_t *http, const char *queue, int job_id, int wait, char *errbuf,
    size_t errsz)
{
	double deadline = now_s() + wait;
	ipp_jstate_t state = IPP_JSTATE_PENDING;

	for (;;) {
		ipp_t *resp = get_attrs(http, queue, job_id);
		ipp_attribute_t *a;

		if (resp == NULL || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
			errbuf_set(errbuf, errsz, "queue %s: job %d: cannot "
			    "read its state: %s", queue, job_id,
			    cupsLastErrorString());
			ippDelete(resp);
			return CUPS_FAILED;
		}
		a = ippFindAttribute(resp, "job-state", IPP_TAG_ENUM);
		if (a != NULL)
			state = (ipp_jstate_t)ippGetInteger(a, 0);
		if (state == IPP_JSTATE_COMPLETED) {
			ippDelete(resp);
			return CUPS_PRINTED;
		}
		if (state == IPP_JSTATE_CANCELED ||
		    state == IPP_JSTATE_ABORTED) {
			errbuf_set(errbuf, errsz, "queue %s: job %d was %s: %s",
			    queue, job_id, state == IPP_JSTATE_CANCELED ?
			    "cancelled" : "aborted", attr_text(resp,
			    "job-state-message"));
			ippDelete(resp);
			return CUPS_FAILED;
		}
		ippDelete(resp);

		/* Waiting: is the queue itself stopped? */
		resp = get_attrs(http, queue, 0);
		if (resp != NULL) {
			a = ippFindAttribute(resp, "printer-state",
			    IPP_TAG_ENUM);
			if (a != NULL && ippGetInteger(a, 0) ==
			    IPP_PSTATE_STOPPED) {
				errbuf_set(errbuf, errsz, "queue %s is stopped "
				    "(%s): job %d waits in it and prints when "
				    "the queue is enabled again (cupsenable "
				    "%s)", queue, attr_text(resp,
				    "printer-state-message"), job_id, queue);
				ippDelete(resp);
				return CUPS_FAILED;
			}
			ippDelete(resp);
		}
		if (now_s() >= deadline)
			break;
		sleep_ms(POLL_MS);
	}
	errbuf_set(errbuf, errsz, "queue %s: job %d accepted, still %s after "
	    "%d s: it prints when the printer is ready", queue, job_id,
	    state == IPP_JSTATE_PROCESSING ? "printing" : "waiting", wait);
	return CUPS_QUEUED;
}

enum cups_result
cups_print(const char *queue, const char *title, const char *mime,
    const char *media, const void *data, size_t len, int wait, int *job_id,
    char *errbuf, size_t errsz)
{
	http_t *http = NULL;
	cups_option_t *opts = NULL;
	int nopts = 0, id = 0;
	char server[256];
	enum cups_result res = CUPS_FAILED;
	const char *p = data;
	ipp_status_t st;

	if (job_id != NULL)
		*job_id = 0;
	if (!cups_queue_valid(queue)) {
		errbuf_set(errbuf, errsz, "printer queue: not a CUPS queue "
		    "name (1 to %d characters, no space, '/', '#' or '\\')",
		    CUPS_QUEUE_MAX);
		return CUPS_FAILED;
	}
	if (wait < 0 || wait > CUPS_WAIT_MAX) {
		errbuf_set(errbuf, errsz, "wait: 0 to %d seconds",
		    CUPS_WAIT_MAX);
		return CUPS_FAILED;
	}
	if (len == 0) {
		errbuf_set(errbuf, errsz, "queue %s: nothing to print", queue);
		return CUPS_FAILED;
	}
	server_name(server, sizeof(server));
	http = httpConnect2(cupsServer(), ippPort(), NULL, AF_UNSPEC,
	    cupsEncryption(), 1, CONNECT_MS, NULL);
	if (http == NULL) {
		errbuf_set(errbuf, errsz, "queue %s: cannot reach the CUPS "
		    "server at %s: %s", queue, server, cupsLastErrorString());
		return CUPS_FAILED;
	}
	if (media != NULL && strcmp(mime, CUPS_MIME_RAW) != 0)
		nopts = cupsAddOption("media", media, nopts, &opts);

	/* Ask the queue first: a clear "does not exist" beats a job error. */
	{
		ipp_t *resp = get_attrs(http, queue, 0);
		bool answered = resp != NULL;

		st = cupsLastError();
		ippDelete(resp);
		if (st == IPP_STATUS_ERROR_NOT_FOUND) {
			errbuf_set(errbuf, errsz, "queue %s does not exist on "
			    "the CUPS server at %s", queue, server);
			goto out;
		}
		if (!answered || st > IPP_STATUS_OK_CONFLICTING) {
			errbuf_set(errbuf, errsz, "queue %s: the CUPS server at "
			    "%s does not answer: %s", queue, server,
			    cupsLastErrorString());
			goto out;
		}
	}

	id = cupsCreateJob(http, queue, title, nopts, opts);
	if (id == 0) {
		st = cupsLastError();
		if (st == IPP_STATUS_ERROR_NOT_FOUND)
			errbuf_set(errbuf, errsz, "queue %s does not exist on "
			    "the CUPS server at %s", queue, server);
		else if (st == IPP_STATUS_ERROR_NOT_ACCEPTING_JOBS)
			errbuf_set(errbuf, errsz, "queue %s is not accepting "
			    "jobs (cupsaccept %s)", queue, queue);
		else
			errbuf_set(errbuf, errsz, "queue %s refused the job: %s",
			    queue, cupsLastErrorString());
		goto out;
	}
	if (job_id != NULL)
		*job_id = id;
	if (cupsStartDocument(http, queue, id, title, mime, 1) !=
	    HTTP_STATUS_CONTINUE) {
		errbuf_set(errbuf, errsz, "queue %s: job %d: cannot send the "
		    "document: %s", queue, id, cupsLastErrorString());
		goto cancel;
	}
	while (len > 0) {
		size_t n = len < CHUNK ? len : CHUNK;

		if (cupsWriteRequestData(http, p, n) != HTTP_STATUS_CONTINUE) {
			errbuf_set(errbuf, errsz, "queue %s: job %d: sending "
			    "the document failed: %s", queue, id,
			    cupsLastErrorString());
			/* Finish the request so the connection can cancel. */
			(void)cupsFinishDocument(http, queue);
			goto cancel;
		}
		p += n;
		len -= n;
	}
	st = cupsFinishDocument(http, queue);
	if (st > IPP_STATUS_OK_CONFLICTING) {
		errbuf_set(errbuf, errsz, "queue %s: job %d: the document was "
		    "refused: %s", queue, id, cupsLastErrorString());
		goto cancel;
	}
	if (wait == 0) {
		errbuf_set(errbuf, errsz, "queue %s: job %d accepted", queue,
		    id);
		res = CUPS_QUEUED;
		goto out;
	}
	res = follow(http, queue, id, wait, errbuf, errsz);
	goto out;
cancel:
	/* Best effort: a job left without its document would hang there. */
	(void)cupsCancelJob2(http, queue, id, 0);
out:
	cupsFreeOptions(nopts, opts);
	httpClose(http);
	return res;
}
