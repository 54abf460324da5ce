/*
 * A real cupsd for the integration suites (see cupsd.h): configuration
 * and queues written before start (printers.conf and the queue's PPD, as
 * lpadmin would leave them), `cupsd -f` as a child in its own process
 * group, readiness and job states read over IPP with libcups, and a raw
 * "printer" thread on loopback.  Every wait has a deadline; the child is
 * reaped and the file left in /etc/cups removed on every path.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cups/cups.h>

#include "base/util.h"
#include "tests/integration/cupsd.h"
#include "tests/testutil.h"

#define POLL_MS 100
#define READ_CHUNK 65536
#define LOG_TAIL 6000
#define RUNNING_MAX 4
#define INSTANCE_PREFIX "cups-pdf-hrposttest-"

/*
 * The servers running now, stopped at exit: a failed ck_assert ends the
 * test process with exit(), before its teardown runs.
 */
static struct cupsd *running[RUNNING_MAX];
static bool atexit_done;
static unsigned instances;

static void
stop_all(void)
{
	for (size_t i = 0; i < RUNNING_MAX; i++)
		if (running[i] != NULL)
			(void)cupsd_stop(running[i]);
}

static void
track(struct cupsd *c, bool on)
{
	for (size_t i = 0; i < RUNNING_MAX; i++) {
		if (on && running[i] == NULL) {
			running[i] = c;
			return;
		}
		if (!on && running[i] == c)
			running[i] = NULL;
	}
}

/*
 * Remove the cups-pdf files of test runs that died without cleaning up:
 * "cups-pdf-hrposttest-PID-N.conf" whose PID no longer exists.
 */
static void
remove_stale(void)
{
	DIR *d = opendir(CUPSD_PDF_CONF_DIR);
	size_t plen = strlen(INSTANCE_PREFIX);

	if (d == NULL)
		return;
	for (;;) {
		struct dirent *e = readdir(d);
		char path[CUPSD_PATH_MAX], *end;
		long pid;

		if (e == NULL)
			break;
		if (strncmp(e->d_name, INSTANCE_PREFIX, plen) != 0)
			continue;
		pid = strtol(e->d_name + plen, &end, 10);
		if (pid <= 0 || *end != '-')
			continue;
		/* Alive (or not ours to judge): leave it. */
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (str_printf(path, sizeof(path), "%s/%s", CUPSD_PDF_CONF_DIR,
		    e->d_name) >= 0)
			(void)unlink(path);
	}
	closedir(d);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A loopback listening socket on a free port; -1 on error. */
static int
listen_any(uint16_t *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* --- the raw printer ------------------------------------------------- */

static void
cap_add(struct cupsd_capture *cap, const unsigned char *p, size_t n)
{
	pthread_mutex_lock(&cap->lock);
	if (cap->len + n > CUPSD_CAPTURE_MAX) {
		cap->overflow = true;
	} else {
		memcpy(cap->buf + cap->len, p, n);
		cap->len += n;
	}
	pthread_mutex_unlock(&cap->lock);
}

/*
 * Accept connections one by one and read each to its end (the socket
 * backend shuts its side down when the job is sent), until the listening
 * socket is shut down by cupsd_stop().
 */
static void *
cap_main(void *arg)
{
	struct cupsd_capture *cap = arg;
	unsigned char *buf = malloc(READ_CHUNK);

	if (buf == NULL)
		return NULL;
	for (;;) {
		int fd = accept(cap->fd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (;;) {
			ssize_t n = read(fd, buf, READ_CHUNK);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			cap_add(cap, buf, (size_t)n);
		}
		close(fd);
		pthread_mutex_lock(&cap->lock);
		cap->conns++;
		pthread_mutex_unlock(&cap->lock);
	}
	free(buf);
	return NULL;
}

static int
cap_start(struct cupsd_capture *cap)
{
	memset(cap, 0, sizeof(*cap));
	cap->fd = -1;
	cap->buf = malloc(CUPSD_CAPTURE_MAX);
	if (cap->buf == NULL)
		return -1;
	if (pthread_mutex_init(&cap->lock, NULL) != 0) {
		free(cap->buf);
		cap->buf = NULL;
		return -1;
	}
	cap->fd = listen_any(&cap->port);
	if (cap->fd < 0)
		return -1;
	if (pthread_create(&cap->thread, NULL, cap_main, cap) != 0) {
		close(cap->fd);
		cap->fd = -1;
		return -1;
	}
	cap->running = true;
	return 0;
}

static void
cap_stop(struct cupsd_capture *cap)
{
	if (cap->running) {
		/* shutdown() wakes the thread blocked in accept(). */
		(void)shutdown(cap->fd, SHUT_RDWR);
		pthread_join(cap->thread, NULL);
		cap->running = false;
		pthread_mutex_destroy(&cap->lock);
	}
	if (cap->fd >= 0)
		close(cap->fd);
	cap->fd = -1;
	free(cap->buf);
	cap->buf = NULL;
}

/* --- files --------------------------------------------------------------- */

static int
put_file(const char *path, mode_t mode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
put_file(const char *path, mode_t mode, const char *fmt, ...)
{
	va_list ap;
	FILE *f;
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	va_start(ap, fmt);
	rc = vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0 || rc < 0)
		return -1;
	return 0;
}

static int
copy_file(const char *from, const char *to)
{
	size_t len;
	char *data = testutil_slurp(from, &len);
	int rc = -1, fd;

	if (data == NULL)
		return -1;
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		rc = write(fd, data, len) == (ssize_t)len ? 0 : -1;
		if (close(fd) != 0)
			rc = -1;
	}
	free(data);
	return rc;
}

static int
sub(const struct cupsd *c, const char *name, char *out, size_t outsz)
{
	return str_printf(out, outsz, "%s/%s", c->dir, name);
}

static int
make_dirs(struct cupsd *c)
{
	static const char *const dirs[] = { "root", "root/ppd", "spool",
	    "spool/tmp", "cache", "state", "log", "pdf", "pdfspool" };
	char p[CUPSD_PATH_MAX + 32];

	for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
		if (sub(c, dirs[i], p, sizeof(p)) < 0 || mkdir(p, 0755) != 0)
			return -1;
	}
	return 0;
}

static int
write_config(struct cupsd *c, char *errbuf, size_t errsz)
{
	char root[CUPSD_PATH_MAX + 32], p[CUPSD_PATH_MAX + 64];
	char inst[CUPSD_NAME_MAX];

	if (sub(c, "root", root, sizeof(root)) < 0)
		goto toolong;
	if (str_printf(p, sizeof(p), "%s/cupsd.conf", root) < 0)
		goto toolong;
	/*
	 * Loopback only, nothing announced, no authentication: the test is
	 * the only client.  Jobs are kept so their states can be read.
	 */
	if (put_file(p, 0644,
	    "LogLevel debug\n"
	    "Listen 127.0.0.1:%u\n"
	    "Browsing No\n"
	    "BrowseLocalProtocols none\n"
	    "DefaultAuthType None\n"
	    "WebInterface No\n"
	    "DefaultShared No\n"
	    "PreserveJobHistory Yes\n"
	    "PreserveJobFiles No\n"
	    "<Location />\n  Order allow,deny\n  Allow 127.0.0.1\n"
	    "</Location>\n"
	    "<Policy default>\n  <Limit All>\n    Order allow,deny\n"
	    "    Allow 127.0.0.1\n  </Limit>\n</Policy>\n",
	    c->port) < 0)
		goto io;
	if (str_printf(p, sizeof(p), "%s/cups-files.conf", root) < 0)
		goto toolong;
	if (put_file(p, 0644,
	    "ServerRoot %s\n"
	    "RequestRoot %s/spool\n"
	    "TempDir %s/spool/tmp\n"
	    "CacheDir %s/cache\n"
	    "StateDir %s/state\n"
	    "ErrorLog %s\n"
	    "AccessLog %s/log/access_log\n"
	    "PageLog %s/log/page_log\n"
	    "Printcap\n"
	    "FileDevice No\n"
	    "CreateSelfSignedCerts no\n",
	    root, c->dir, c->dir, c->dir, c->dir, c->error_log, c->dir,
	    c->dir) < 0)
		goto io;

	/* cups-pdf's own file, found by the name in the device URI. */
	if (str_printf(inst, sizeof(inst), "hrposttest-%ld-%u", (long)getpid(),
	    instances++) < 0 ||
	    str_printf(c->pdf_conf, sizeof(c->pdf_conf),
	    "%s/cups-pdf-%s.conf", CUPSD_PDF_CONF_DIR, inst) < 0)
		goto toolong;
	if (put_file(c->pdf_conf, 0644,
	    "Out %s\nSpool %s/pdfspool\nLog %s/log\nLogType 3\nGrp root\n",
	    c->pdf_out, c->dir, c->dir) < 0) {
		errbuf_set(errbuf, errsz, "cannot write %s: %s (the test needs "
		    "root: cups-pdf reads its configuration there only)",
		    c->pdf_conf, strerror(errno));
		c->pdf_conf[0] = '\0';
		return -1;
	}
	if (str_printf(p, sizeof(p), "%s/ppd/%s.ppd", root, c->pdf_queue) < 0)
		goto toolong;
	if (copy_file(CUPSD_PDF_PPD, p) < 0) {
		errbuf_set(errbuf, errsz, "cannot copy %s (Debian package "
		    "printer-driver-cups-pdf)", CUPSD_PDF_PPD);
		return -1;
	}
	if (str_printf(p, sizeof(p), "%s/printers.conf", root) < 0)
		goto toolong;
	/*
	 * ErrorPolicy abort-job: a failing backend shows as an aborted job,
	 * not as a queue stopped with the job waiting.  pdftops-renderer:
	 * keep the text as text on its way to cups-pdf.
	 */
	if (put_file(p, 0600,
	    "<Printer %s>\n"
	    "Info hrpost test PDF\n"
	    "Option pdftops-renderer pdftops\n"
	    "DeviceURI cups-pdf:/%s\n"
	    "State Idle\nAccepting Yes\nShared No\n"
	    "ErrorPolicy abort-job\n"
	    "</Printer>\n"
	    "<Printer %s>\n"
	    "Info hrpost test raw\n"
	    "DeviceURI socket://127.0.0.1:%u\n"
	    "State Idle\nAccepting Yes\nShared No\n"
	    "ErrorPolicy abort-job\n"
	    "</Printer>\n",
	    c->pdf_queue, inst, c->raw_queue, c->cap.port) < 0)
		goto io;
	return 0;
toolong:
	errbuf_set(errbuf, errsz, "scratch path too long");
	return -1;
io:
	errbuf_set(errbuf, errsz, "cannot write the cupsd configuration: %s",
	    strerror(errno));
	return -1;
}

/* --- the scheduler -------------------------------------------------------- */

static http_t *
connect_cupsd(const struct cupsd *c)
{
	return httpConnect2("127.0.0.1", c->port, NULL, AF_INET,
	    HTTP_ENCRYPTION_NEVER, 1, 2000, NULL);
}

/* 1: @queue is there and idle; 0: not yet; -1: there but stopped. */
static int
queue_ready(http_t *http, const struct cupsd *c, const char *queue)
{
	char uri[HTTP_MAX_URI];
	ipp_t *req, *resp;
	ipp_attribute_t *a;
	int rc = 0;

	if (httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof(uri), "ipp",
	    NULL, "127.0.0.1", c->port, "/printers/%s", queue) !=
	    HTTP_URI_STATUS_OK)
		return 0;
	req = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
	ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL,
	    uri);
	resp = cupsDoRequest(http, req, "/");
	if (resp == NULL || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
		ippDelete(resp);
		return 0;
	}
	a = ippFindAttribute(resp, "printer-state", IPP_TAG_ENUM);
	if (a != NULL && ippGetInteger(a, 0) == IPP_PSTATE_IDLE)
		rc = 1;
	else if (a != NULL && ippGetInteger(a, 0) == IPP_PSTATE_STOPPED)
		rc = -1;
	ippDelete(resp);
	return rc;
}

/* true when cupsd has exited (and reap it). */
static bool
gone(struct cupsd *c, int *status)
{
	int st;
	pid_t r;

	if (c->pid == 0)
		return true;
	r = waitpid(c->pid, &st, WNOHANG);
	if (r == c->pid) {
		c->pid = 0;
		if (status != NULL)
			*status = st;
		return true;
	}
	return false;
}

static int
spawn_cupsd(struct cupsd *c, char *errbuf, size_t errsz)
{
	char conf[CUPSD_PATH_MAX + 32], files[CUPSD_PATH_MAX + 32];
	char out[CUPSD_PATH_MAX + 32];
	pid_t pid;

	if (str_printf(conf, sizeof(conf), "%s/root/cupsd.conf", c->dir) < 0 ||
	    str_printf(files, sizeof(files), "%s/root/cups-files.conf",
	    c->dir) < 0 || sub(c, "log/cupsd.out", out, sizeof(out)) < 0) {
		errbuf_set(errbuf, errsz, "scratch path too long");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		errbuf_set(errbuf, errsz, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		int log = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);

		/* Should the test die, cupsd goes with it. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(127);
		setpgid(0, 0);
		if (null >= 0)
			dup2(null, 0);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}
		execl(CUPSD_BIN, "cupsd", "-f", "-c", conf, "-s", files,
		    (char *)NULL);
		_exit(127);
	}
	c->pid = pid;
	return 0;
}

/* Why the components cannot work here, or 0. */
static int
preflight(char *errbuf, size_t errsz)
{
	struct stat sb;

	if (access(CUPSD_BIN, X_OK) != 0) {
		errbuf_set(errbuf, errsz, "%s missing (Debian package "
		    "cups-daemon)", CUPSD_BIN);
		return -1;
	}
	if (stat(CUPSD_PDF_BACKEND, &sb) != 0) {
		errbuf_set(errbuf, errsz, "%s missing (Debian package "
		    "printer-driver-cups-pdf)", CUPSD_PDF_BACKEND);
		return -1;
	}
	/*
	 * cupsd runs a backend as root only when it is not readable or
	 * executable by others; cups-pdf needs root (it changes owners).
	 */
	if (sb.st_uid != 0 || (sb.st_mode & 0077) != 0) {
		errbuf_set(errbuf, errsz, "%s must be owned by root with mode "
		    "0700 (it is %04o): cups-pdf only works run as root",
		    CUPSD_PDF_BACKEND, (unsigned)(sb.st_mode & 07777));
		return -1;
	}
	if (geteuid() != 0) {
		errbuf_set(errbuf, errsz, "the CUPS tests start cupsd with a "
		    "cups-pdf queue, which runs its backend as root: run them "
		    "as root");
		return -1;
	}
	return 0;
}

int
cupsd_start(struct cupsd *c, const char *pdf_queue, const char *raw_queue,
    char *errbuf, size_t errsz)
{
	const char *tmp;
	long deadline;
	int ready = 0;

	memset(c, 0, sizeof(*c));
	c->cap.fd = -1;
	if (preflight(errbuf, errsz) < 0)
		return -1;
	if (!atexit_done) {
		atexit_done = true;
		if (atexit(stop_all) != 0) {
			errbuf_set(errbuf, errsz, "atexit failed");
			return -1;
		}
	}
	remove_stale();
	track(c, true);
	if (str_copy(c->pdf_queue, sizeof(c->pdf_queue), pdf_queue) < 0 ||
	    str_copy(c->raw_queue, sizeof(c->raw_queue), raw_queue) < 0) {
		errbuf_set(errbuf, errsz, "queue name too long");
		return -1;
	}
	tmp = testutil_mkdtemp();
	if (tmp == NULL || str_copy(c->dir, sizeof(c->dir), tmp) < 0) {
		errbuf_set(errbuf, errsz, "cannot make a scratch directory");
		return -1;
	}
	/* Filters run as lp: they must reach the spool under it. */
	if (chmod(c->dir, 0755) != 0 || make_dirs(c) < 0 ||
	    sub(c, "pdf", c->pdf_out, sizeof(c->pdf_out)) < 0 ||
	    sub(c, "log/error_log", c->error_log, sizeof(c->error_log)) < 0) {
		errbuf_set(errbuf, errsz, "cannot prepare %s: %s", c->dir,
		    strerror(errno));
		goto fail;
	}
	if (cap_start(&c->cap) < 0) {
		errbuf_set(errbuf, errsz, "cannot start the raw printer "
		    "listener: %s", strerror(errno));
		goto fail;
	}
	/* A free port for cupsd: take one, release it, hand it over. */
	{
		int fd = listen_any(&c->port);

		if (fd < 0) {
			errbuf_set(errbuf, errsz, "no free port: %s",
			    strerror(errno));
			goto fail;
		}
		close(fd);
	}
	if (str_printf(c->server, sizeof(c->server), "127.0.0.1:%u",
	    c->port) < 0 || str_printf(c->env, sizeof(c->env),
	    "CUPS_SERVER=%s", c->server) < 0)
		goto fail;
	if (write_config(c, errbuf, errsz) < 0)
		goto fail;
	if (spawn_cupsd(c, errbuf, errsz) < 0)
		goto fail;

	deadline = now_ms() + CUPSD_START_TIMEOUT_MS;
	while (now_ms() < deadline) {
		int st = 0;
		http_t *http;

		if (gone(c, &st)) {
			errbuf_set(errbuf, errsz, "cupsd exited at start "
			    "(status %d)", WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st));
			goto fail;
		}
		http = connect_cupsd(c);
		if (http != NULL) {
			int a = queue_ready(http, c, c->pdf_queue);
			int b = queue_ready(http, c, c->raw_queue);

			httpClose(http);
			if (a < 0 || b < 0) {
				errbuf_set(errbuf, errsz, "a queue started "
				    "stopped");
				goto fail;
			}
			if (a == 1 && b == 1) {
				ready = 1;
				break;
			}
		}
		sleep_ms(POLL_MS);
	}
	if (!ready) {
		errbuf_set(errbuf, errsz, "cupsd did not answer on %s with "
		    "both queues within %d ms", c->server,
		    CUPSD_START_TIMEOUT_MS);
		goto fail;
	}
	return 0;
fail:
	cupsd_dump_logs(c);
	(void)cupsd_stop(c);
	return -1;
}

int
cupsd_stop(struct cupsd *c)
{
	int rc = 0;

	track(c, false);
	if (c->pid > 0) {
		long deadline = now_ms() + CUPSD_STOP_TIMEOUT_MS;

		(void)kill(c->pid, SIGTERM);
		while (!gone(c, NULL) && now_ms() < deadline)
			sleep_ms(POLL_MS / 2);
		if (c->pid > 0) {
			rc = -1;
			/* Its children (filters, backends) share its group. */
			(void)kill(-c->pid, SIGKILL);
			(void)kill(c->pid, SIGKILL);
			(void)waitpid(c->pid, NULL, 0);
			c->pid = 0;
		}
	}
	cap_stop(&c->cap);
	if (c->pdf_conf[0] != '\0') {
		(void)unlink(c->pdf_conf);
		c->pdf_conf[0] = '\0';
	}
	if (c->dir[0] != '\0') {
		testutil_rmtree(c->dir);
		c->dir[0] = '\0';
	}
	return rc;
}

int
cupsd_wait_idle(struct cupsd *c, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;

	/* At least one look, even with no time to wait. */
	for (;;) {
		http_t *http = connect_cupsd(c);
		cups_job_t *jobs = NULL;
		int n;

		if (http != NULL) {
			n = cupsGetJobs2(http, &jobs, NULL, 0,
			    CUPS_WHICHJOBS_ACTIVE);
			cupsFreeJobs(n > 0 ? n : 0, jobs);
			httpClose(http);
			if (n == 0 &&
			    cupsLastError() <= IPP_STATUS_OK_CONFLICTING)
				return 0;
		}
		if (now_ms() >= deadline)
			return -1;
		sleep_ms(POLL_MS);
	}
}

int
cupsd_pdf_newest(struct cupsd *c, char *path, size_t pathsz, int *count,
    int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	off_t last_size = -1;

	while (now_ms() < deadline) {
		DIR *d = opendir(c->pdf_out);
		struct dirent *e;
		time_t newest = 0;
		char best[CUPSD_PATH_MAX + 300] = "";
		struct stat sb;
		int n = 0;

		if (d == NULL)
			return -1;
		for (;;) {
			char p[CUPSD_PATH_MAX + 300];
			size_t l;

			e = readdir(d);
			if (e == NULL)
				break;
			l = strlen(e->d_name);
			if (l < 5 || strcmp(e->d_name + l - 4, ".pdf") != 0)
				continue;
			if (str_printf(p, sizeof(p), "%s/%s", c->pdf_out,
			    e->d_name) < 0 || stat(p, &sb) != 0)
				continue;
			n++;
			if (sb.st_mtime >= newest) {
				newest = sb.st_mtime;
				memcpy(best, p, sizeof(best));
			}
		}
		closedir(d);
		if (count != NULL)
			*count = n;
		/* Done when the file stopped growing and the job ended. */
		if (best[0] != '\0' && stat(best, &sb) == 0 && sb.st_size > 0 &&
		    sb.st_size == last_size && cupsd_wait_idle(c, 0) == 0)
			return str_copy(path, pathsz, best);
		if (best[0] != '\0' && stat(best, &sb) == 0)
			last_size = sb.st_size;
		sleep_ms(POLL_MS * 3);
	}
	return -1;
}

unsigned char *
cupsd_raw_wait(struct cupsd *c, int conns, size_t *len, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	unsigned char *out = NULL;

	*len = 0;
	for (;;) {
		bool done;

		pthread_mutex_lock(&c->cap.lock);
		done = c->cap.conns >= conns;
		if (done) {
			out = malloc(c->cap.len + 1);
			if (out != NULL) {
				memcpy(out, c->cap.buf, c->cap.len);
				out[c->cap.len] = '\0';
				*len = c->cap.len;
			}
		}
		pthread_mutex_unlock(&c->cap.lock);
		if (done || now_ms() >= deadline)
			break;
		sleep_ms(POLL_MS);
	}
	return out;
}

static void
dump_tail(const char *path)
{
	size_t len;
	char *data = testutil_slurp(path, &len);

	if (data == NULL)
		return;
	fprintf(stderr, "--- %s (last %d bytes) ---\n", path, LOG_TAIL);
	fputs(len > LOG_TAIL ? data + len - LOG_TAIL : data, stderr);
	fputs("\n---\n", stderr);
	free(data);
}

void
cupsd_dump_logs(const struct cupsd *c)
{
	char p[CUPSD_PATH_MAX + 64];

	if (c->dir[0] == '\0')
		return;
	dump_tail(c->error_log);
	if (str_printf(p, sizeof(p), "%s/log/cupsd.out", c->dir) >= 0)
		dump_tail(p);
	if (str_printf(p, sizeof(p), "%s/log/cups-pdf-%s_log", c->dir,
	    c->pdf_queue) >= 0)
		dump_tail(p);
}
