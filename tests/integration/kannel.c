/*
 * A real Kannel for the integration suites (see kannel.h): configuration
 * written to a scratch directory, bearerbox and smsbox started and
 * watched through bearerbox's admin status page (libcurl), fakesmsc run
 * once per SMS with its stderr read line by line, smsbox's access log
 * read to learn what hrpost answered.  Every wait has a deadline; every
 * child is reaped on every path.
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

#include <curl/curl.h>

#include "base/util.h"
#include "tests/integration/kannel.h"

#define ADMIN_PASSWORD "hrpost-test-admin"
#define SENDSMS_PASSWORD KANNEL_SENDSMS_PASSWORD
#define STATUS_MAX (64 * 1024)
#define LINE_MAX_ 8192
#define POLL_MS 50
#define RUNNING_MAX 8		/* Kannels one test process may run */

/*
 * Kannels started and not yet stopped.  A failed ck_assert ends the test
 * process with exit() before its teardown runs: an atexit() handler stops
 * these, and PR_SET_PDEATHSIG takes the boxes down should the process be
 * killed outright.
 */
static struct kannel *running[RUNNING_MAX];
static bool atexit_done;

/* --- small helpers ------------------------------------------------------ */

static void
complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
complain(const char *fmt, ...)
{
	va_list ap;

	fputs("kannel: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

static uint16_t
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	uint16_t port = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int
path_in(const struct kannel *k, const char *name, char *out, size_t outsz)
{
	return str_printf(out, outsz, "%s/%s", k->dir, name);
}

/* Copy the last lines of @name in the scratch directory to stderr. */
static void
dump_log(const struct kannel *k, const char *name)
{
	char path[KANNEL_PATH_MAX + 64];
	char buf[4096];
	FILE *f;
	long size;
	size_t n;

	if (path_in(k, name, path, sizeof(path)) < 0)
		return;
	f = fopen(path, "r");
	if (f == NULL)
		return;
	fprintf(stderr, "--- %s (end) ---\n", name);
	if (fseek(f, 0, SEEK_END) == 0) {
		size = ftell(f);
		if (size > (long)sizeof(buf) - 1)
			(void)fseek(f, size - (long)sizeof(buf) + 1, SEEK_SET);
		else
			rewind(f);
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fputs(buf, stderr);
	fputs("\n---\n", stderr);
	fclose(f);
}

static void
dump_logs(const struct kannel *k)
{
	dump_log(k, "bearerbox.out");
	dump_log(k, "bearerbox.log");
	dump_log(k, "smsbox.out");
	dump_log(k, "smsbox.log");
}

static void
track(struct kannel *k, bool on)
{
	for (size_t i = 0; i < RUNNING_MAX; i++) {
		if (on && running[i] == NULL) {
			running[i] = k;
			return;
		}
		if (!on && running[i] == k)
			running[i] = NULL;
	}
}

static void
stop_all(void)
{
	for (size_t i = 0; i < RUNNING_MAX; i++)
		if (running[i] != NULL)
			(void)kannel_stop(running[i]);
}

/*
 * fork + exec @argv with stdin /dev/null and stdout+stderr to @out (a
 * file, appended) or, when @errpipe is not NULL, stderr to a pipe whose
 * read end goes to *errpipe.  Returns the pid or -1.
 */
static pid_t
spawn(const char *const *argv, const char *out, int *errpipe)
{
	int p[2] = { -1, -1 };
	pid_t pid, parent = getpid();

	if (errpipe != NULL && pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		if (errpipe != NULL) {
			close(p[0]);
			close(p[1]);
		}
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int fd = out != NULL ? open(out, O_WRONLY | O_CREAT |
		    O_APPEND, 0600) : open("/dev/null", O_WRONLY);

		/* Should the test die, the boxes go with it. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(126);
		/* Its own process group: a stop reaches its children too. */
		(void)setpgid(0, 0);
		if (in < 0 || fd < 0)
			_exit(126);
		(void)dup2(in, 0);
		(void)dup2(fd, 1);
		if (errpipe != NULL) {
			(void)dup2(p[1], 2);
			close(p[0]);
			close(p[1]);
		} else {
			(void)dup2(fd, 2);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	(void)setpgid(pid, pid);
	if (errpipe != NULL) {
		close(p[1]);
		*errpipe = p[0];
	}
	return pid;
}

/* true when @pid has exited (and is reaped: *pid set to 0). */
static bool
exited(pid_t *pid)
{
	int st;

	if (*pid <= 0)
		return true;
	if (waitpid(*pid, &st, WNOHANG) == *pid) {
		*pid = 0;
		return true;
	}
	return false;
}

/*
 * SIGTERM @pid's group, wait up to @ms, then SIGKILL.  Returns 0 when it
 * exited by itself, -1 when it had to be killed.
 */
static int
stop_pid(pid_t *pid, long ms)
{
	long end = now_ms() + ms;
	int ret = 0;

	if (*pid <= 0)
		return 0;
	(void)kill(-*pid, SIGTERM);
	(void)kill(*pid, SIGTERM);
	while (!exited(pid)) {
		if (now_ms() > end) {
			(void)kill(-*pid, SIGKILL);
			(void)kill(*pid, SIGKILL);
			(void)waitpid(*pid, NULL, 0);
			*pid = 0;
			ret = -1;
			break;
		}
		sleep_ms(POLL_MS);
	}
	return ret;
}

/* --- bearerbox's status page -------------------------------------------- */

struct buf {
	char *p;
	size_t n;
};

static size_t
collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;

	if (b->n + n >= STATUS_MAX)
		return 0;
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

/* Fetch status.txt into @out (STATUS_MAX bytes).  Returns 0 or -1. */
static int
status(const struct kannel *k, char *out)
{
	char url[256];
	struct buf b = { out, 0 };
	CURL *c;
	long code = 0;
	int ret = -1;

	out[0] = '\0';
	if (str_printf(url, sizeof(url), "http://127.0.0.1:%u/status.txt?"
	    "password=" ADMIN_PASSWORD, k->admin_port) < 0)
		return -1;
	c = curl_easy_init();
	if (c == NULL)
		return -1;
	if (curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b) == CURLE_OK &&
	    curl_easy_perform(c) == CURLE_OK &&
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
	    code == 200)
		ret = 0;
	curl_easy_cleanup(c);
	return ret;
}

/*
 * Wait until bearerbox's status holds every string of @want (NULL-ended),
 * while both boxes that should run still do.
 */
static int
wait_status(struct kannel *k, const char *const *want, const char *what)
{
	long end = now_ms() + KANNEL_START_TIMEOUT_MS;
	char *st = malloc(STATUS_MAX);
	int ret = -1;

	if (st == NULL)
		return -1;
	for (;;) {
		if (exited(&k->bearerbox)) {
			complain("bearerbox exited while waiting for %s", what);
			break;
		}
		if (k->smsbox != 0 && exited(&k->smsbox)) {
			complain("smsbox exited while waiting for %s", what);
			k->smsbox = 0;
			break;
		}
		if (status(k, st) == 0) {
			size_t i;

			for (i = 0; want[i] != NULL; i++)
				if (strstr(st, want[i]) == NULL)
					break;
			if (want[i] == NULL) {
				ret = 0;
				break;
			}
		}
		if (now_ms() > end) {
			complain("timed out waiting for %s", what);
			break;
		}
		sleep_ms(100);
	}
	free(st);
	return ret;
}

/* --- start and stop ----------------------------------------------------- */

static int
write_conf(struct kannel *k, const char *sms_url, const char *secret)
{
	FILE *f;
	int ret = -1, rc;

	/* text is %b, not %a: see server/smsgw.h. */
	if (secret != NULL)
		rc = str_printf(k->get_url, sizeof(k->get_url),
		    "%s?from=%%p&to=%%P&text=%%b&id=%%I&ts=%%T&coding=%%c"
		    "&secret=%s", sms_url, secret);
	else
		rc = str_printf(k->get_url, sizeof(k->get_url),
		    "%s?from=%%p&to=%%P&text=%%b&id=%%I&ts=%%T&coding=%%c",
		    sms_url);
	if (rc < 0)
		return -1;
	f = fopen(k->conf, "w");
	if (f == NULL)
		return -1;
	if (fprintf(f,
	    "group = core\n"
	    "admin-port = %u\n"
	    "admin-password = " ADMIN_PASSWORD "\n"
	    "status-password = " ADMIN_PASSWORD "\n"
	    "admin-deny-ip = \"*.*.*.*\"\n"
	    "admin-allow-ip = \"127.0.0.1\"\n"
	    "smsbox-port = %u\n"
	    "box-deny-ip = \"*.*.*.*\"\n"
	    "box-allow-ip = \"127.0.0.1\"\n"
	    "log-file = \"%s/bearerbox.log\"\n"
	    "log-level = 1\n"
	    "\n"
	    "group = smsc\n"
	    "smsc = fake\n"
	    "smsc-id = FAKE\n"
	    "port = %u\n"
	    "connect-allow-ip = \"127.0.0.1\"\n"
	    "\n"
	    "group = smsbox\n"
	    "bearerbox-host = 127.0.0.1\n"
	    "sendsms-port = %u\n"
	    "sendsms-interface = \"127.0.0.1\"\n"
	    "log-file = \"%s/smsbox.log\"\n"
	    /* Debug: "message length L, sending N messages" counts replies. */
	    "log-level = 0\n"
	    "access-log = \"%s/smsbox-access.log\"\n"
	    "\n"
	    "group = sendsms-user\n"
	    "username = " KANNEL_SENDSMS_USER "\n"
	    "password = " SENDSMS_PASSWORD "\n"
	    "max-messages = 3\n"
	    "concatenation = true\n"
	    "\n"
	    "group = sms-service\n"
	    "keyword = default\n"
	    "get-url = \"%s\"\n"
	    "accept-x-kannel-headers = true\n"
	    "omit-empty = true\n"
	    "max-messages = 3\n"
	    "concatenation = true\n"
	    "\n"
	    "group = sms-service\n"
	    "keyword = " KANNEL_PROBE "\n"
	    "get-url = \"http://127.0.0.1:%u/status.txt?password="
	    ADMIN_PASSWORD "\"\n"
	    "max-messages = 0\n",
	    k->admin_port, k->smsbox_port, k->dir, k->smsc_port,
	    k->sendsms_port, k->dir, k->dir, k->get_url, k->admin_port) < 0)
		goto out;
	ret = 0;
out:
	if (fclose(f) != 0)
		ret = -1;
	return ret;
}

static int
pick_ports(struct kannel *k)
{
	uint16_t p[4];

	for (int tries = 0; tries < 20; tries++) {
		bool distinct = true;

		for (int i = 0; i < 4; i++)
			p[i] = free_port();
		for (int i = 0; i < 4; i++)
			for (int j = i + 1; j < 4; j++)
				if (p[i] == 0 || p[i] == p[j])
					distinct = false;
		if (distinct) {
			k->admin_port = p[0];
			k->smsbox_port = p[1];
			k->smsc_port = p[2];
			k->sendsms_port = p[3];
			return 0;
		}
	}
	return -1;
}

/* Remove the scratch directory: the files the boxes wrote, then it. */
static int
rm_all(const char *dir)
{
	char path[KANNEL_PATH_MAX + 300];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return -1;
	for (;;) {
		e = readdir(d);
		if (e == NULL)
			break;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (str_printf(path, sizeof(path), "%s/%s", dir,
		    e->d_name) >= 0)
			(void)unlink(path);
	}
	closedir(d);
	return rmdir(dir);
}

/*
 * Scratch directories of test processes that are gone.  Check ends a
 * failed test with _exit(), so neither teardown nor atexit() runs: the
 * boxes die with it (PR_SET_PDEATHSIG) and their directory, marked with
 * its owner's pid, is removed by the next kannel_start().
 */
static void
remove_stale(const char *tmp)
{
	char path[KANNEL_PATH_MAX + 300], own[32];
	struct dirent *e;
	DIR *d = opendir(tmp);
	FILE *f;
	long pid;
	char *end;

	if (d == NULL)
		return;
	for (;;) {
		e = readdir(d);
		if (e == NULL)
			break;
		if (strncmp(e->d_name, "hrpost-kannel-", 14) != 0 ||
		    str_printf(path, sizeof(path), "%s/%s/owner", tmp,
		    e->d_name) < 0)
			continue;
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(own, sizeof(own), f) == NULL)
			own[0] = '\0';
		fclose(f);
		pid = strtol(own, &end, 10);
		if (end == own || pid <= 1)
			continue;
		/* Alive, or not ours to ask about: leave it. */
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (str_printf(path, sizeof(path), "%s/%s", tmp,
		    e->d_name) >= 0)
			(void)rm_all(path);
	}
	closedir(d);
}

/* Mark the scratch directory with our pid (see remove_stale()). */
static int
write_owner(const struct kannel *k)
{
	char path[KANNEL_PATH_MAX + 64];
	FILE *f;
	int ret = 0;

	if (path_in(k, "owner", path, sizeof(path)) < 0)
		return -1;
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	if (fprintf(f, "%ld\n", (long)getpid()) < 0)
		ret = -1;
	if (fclose(f) != 0)
		ret = -1;
	return ret;
}

int
kannel_start(struct kannel *k, const char *sms_url, const char *secret)
{
	static const char *const bb_ready[] = { "Status: running",
	    "FAKE[FAKE]", NULL };
	static const char *const sb_ready[] = { "Box connections:",
	    "smsbox:", NULL };
	const char *tmp = getenv("TMPDIR");
	char out[KANNEL_PATH_MAX + 64];
	const char *argv[3];

	memset(k, 0, sizeof(*k));
	if (!atexit_done) {
		if (atexit(stop_all) != 0) {
			complain("atexit failed");
			return -1;
		}
		atexit_done = true;
	}
	if (access(KANNEL_BEARERBOX, X_OK) != 0 ||
	    access(KANNEL_SMSBOX, X_OK) != 0 ||
	    access(KANNEL_FAKESMSC, X_OK) != 0) {
		complain("%s, %s or %s is missing (packages kannel and "
		    "kannel-extras)", KANNEL_BEARERBOX, KANNEL_SMSBOX,
		    KANNEL_FAKESMSC);
		return -1;
	}
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	remove_stale(tmp);
	track(k, true);
	if (str_printf(k->dir, sizeof(k->dir), "%s/hrpost-kannel-XXXXXX",
	    tmp) < 0 || mkdtemp(k->dir) == NULL) {
		complain("cannot make a scratch directory");
		k->dir[0] = '\0';
		return -1;
	}
	if (write_owner(k) != 0 ||
	    path_in(k, "kannel.conf", k->conf, sizeof(k->conf)) < 0 ||
	    pick_ports(k) != 0 || write_conf(k, sms_url, secret) != 0) {
		complain("cannot write %s/kannel.conf", k->dir);
		goto fail;
	}

	argv[0] = KANNEL_BEARERBOX;
	argv[1] = k->conf;
	argv[2] = NULL;
	if (path_in(k, "bearerbox.out", out, sizeof(out)) < 0)
		goto fail;
	k->bearerbox = spawn(argv, out, NULL);
	if (k->bearerbox < 0) {
		k->bearerbox = 0;
		complain("cannot start bearerbox");
		goto fail;
	}
	if (wait_status(k, bb_ready, "bearerbox") != 0)
		goto fail;

	argv[0] = KANNEL_SMSBOX;
	if (path_in(k, "smsbox.out", out, sizeof(out)) < 0)
		goto fail;
	k->smsbox = spawn(argv, out, NULL);
	if (k->smsbox < 0) {
		k->smsbox = 0;
		complain("cannot start smsbox");
		goto fail;
	}
	if (wait_status(k, sb_ready, "smsbox to connect") != 0)
		goto fail;
	return 0;
fail:
	dump_logs(k);
	(void)kannel_stop(k);
	return -1;
}

int
kannel_stop(struct kannel *k)
{
	int ret = 0;

	/* smsbox first, so bearerbox does not wait for it. */
	if (stop_pid(&k->smsbox, KANNEL_STOP_TIMEOUT_MS) != 0) {
		complain("smsbox did not stop on SIGTERM: killed");
		ret = -1;
	}
	if (stop_pid(&k->bearerbox, KANNEL_STOP_TIMEOUT_MS) != 0) {
		complain("bearerbox did not stop on SIGTERM: killed");
		ret = -1;
	}
	if (k->dir[0] != '\0' && rm_all(k->dir) != 0)
		complain("cannot remove %s: %s", k->dir, strerror(errno));
	k->dir[0] = '\0';
	track(k, false);
	return ret;
}

/* --- smsbox's access log ------------------------------------------------ */

#define ACCESS_MARK "SMS HTTP-request sender:"

int
kannel_requests(const struct kannel *k)
{
	char path[KANNEL_PATH_MAX + 64], line[LINE_MAX_];
	FILE *f;
	int n = 0;

	if (path_in(k, "smsbox-access.log", path, sizeof(path)) < 0)
		return -1;
	f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, ACCESS_MARK) != NULL)
			n++;
	fclose(f);
	return n;
}

/*
 * The @nth (from 1) request line of the access log: "... request: 'BODY'
 * url: '...' reply: STATUS '...'".  The body may hold quotes: it ends at
 * the last "' url: '".  Returns 0 with @mt's status and body, or -1.
 */
static int
access_line(const struct kannel *k, int nth, struct kannel_mt *mt)
{
	char path[KANNEL_PATH_MAX + 64];
	char *line = malloc(LINE_MAX_);
	FILE *f = NULL;
	int n = 0, ret = -1;

	if (line == NULL || path_in(k, "smsbox-access.log", path,
	    sizeof(path)) < 0)
		goto out;
	f = fopen(path, "r");
	if (f == NULL)
		goto out;
	while (fgets(line, LINE_MAX_, f) != NULL) {
		char *b, *e, *r, *p;
		long st;

		if (strstr(line, ACCESS_MARK) == NULL || ++n != nth)
			continue;
		b = strstr(line, " request: '");
		e = NULL;
		for (p = line; b != NULL; p = r + 1) {
			r = strstr(p, "' url: '");
			if (r == NULL)
				break;
			e = r;
		}
		if (b == NULL || e == NULL || e < b + 11)
			break;
		b += 11;
		*e = '\0';
		if (str_copy(mt->body, sizeof(mt->body), b) != 0)
			break;
		r = strstr(e + 1, "' reply: ");
		if (r == NULL)
			break;
		st = strtol(r + 9, &p, 10);
		if (p == r + 9)
			break;
		mt->status = (int)st;
		ret = 0;
		break;
	}
out:
	if (f != NULL)
		fclose(f);
	free(line);
	return ret;
}

/* --- fakesmsc ----------------------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* URL-decode @s ('+' is a space) into @out; returns the byte count or -1. */
static long
urldecode(const char *s, unsigned char *out, size_t outsz)
{
	size_t n = 0;

	for (; *s; s++) {
		int c = (unsigned char)*s;

		if (c == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			c = hexval(s[1]) * 16 + hexval(s[2]);
			s += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (n >= outsz)
			return -1;
		out[n++] = (unsigned char)c;
	}
	return (long)n;
}

/* UTF-16BE to UTF-8 into @out; returns 0 or -1. */
static int
ucs2_to_utf8(const unsigned char *b, size_t n, char *out, size_t outsz)
{
	size_t o = 0;

	if (n % 2 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		unsigned long u = (unsigned long)b[i] << 8 | b[i + 1];

		if (u >= 0xd800 && u <= 0xdbff && i + 3 < n) {
			unsigned long lo = (unsigned long)b[i + 2] << 8 |
			    b[i + 3];

			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		}
		if (o + 5 >= outsz)
			return -1;
		if (u < 0x80) {
			out[o++] = (char)u;
		} else if (u < 0x800) {
			out[o++] = (char)(0xc0 | (u >> 6));
			out[o++] = (char)(0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			out[o++] = (char)(0xe0 | (u >> 12));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | (u >> 18));
			out[o++] = (char)(0x80 | ((u >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
		}
	}
	out[o] = '\0';
	return 0;
}

/* UTF-8 @s as URL-encoded UTF-16BE, fakesmsc's "ucs2" message data. */
static int
utf8_to_ucs2_url(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (*p) {
		unsigned long cp;
		unsigned int units[2];
		int nu = 1, len;

		if (*p < 0x80) {
			cp = *p;
			len = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			len = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			len = 3;
		} else {
			cp = *p & 0x07;
			len = 4;
		}
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		p += len;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			units[0] = (unsigned int)(0xd800 + (cp >> 10));
			units[1] = (unsigned int)(0xdc00 + (cp & 0x3ff));
			nu = 2;
		} else {
			units[0] = (unsigned int)cp;
		}
		for (int u = 0; u < nu; u++) {
			unsigned char b[2] = { (unsigned char)(units[u] >> 8),
			    (unsigned char)(units[u] & 0xff) };

			for (int i = 0; i < 2; i++) {
				if (o + 4 >= outsz)
					return -1;
				out[o++] = '%';
				out[o++] = hex[b[i] >> 4];
				out[o++] = hex[b[i] & 15];
			}
		}
	}
	out[o] = '\0';
	return 0;
}

/*
 * One stderr line of fakesmsc: "... Got message N: <FROM TO TYPE DATA>".
 * Returns 1 when it was a message (added to @mt), 0 otherwise.
 */
static int
got_line(const char *line, struct kannel_mt *mt)
{
	const char *p = strstr(line, "Got message ");
	const char *lt, *gt, *f[3];
	size_t flen[3];
	struct kannel_got *g;
	char data[KANNEL_TEXT_MAX];
	size_t dlen;

	if (p == NULL)
		return 0;
	lt = strchr(p, '<');
	gt = strrchr(p, '>');
	if (lt == NULL || gt == NULL || gt < lt || mt->n == KANNEL_GOT_MAX)
		return 0;
	p = lt + 1;
	for (int i = 0; i < 3; i++) {
		f[i] = p;
		while (p < gt && *p != ' ')
			p++;
		flen[i] = (size_t)(p - f[i]);
		if (p < gt)
			p++;
	}
	dlen = (size_t)(gt - p);
	if (dlen >= sizeof(data) || flen[0] >= sizeof(g->from) ||
	    flen[1] >= sizeof(g->to) || flen[2] >= sizeof(g->type))
		return 0;
	g = &mt->got[mt->n];
	memset(g, 0, sizeof(*g));
	memcpy(g->from, f[0], flen[0]);
	memcpy(g->to, f[1], flen[1]);
	memcpy(g->type, f[2], flen[2]);
	memcpy(data, p, dlen);
	data[dlen] = '\0';
	if (strcmp(g->type, "ucs-2") == 0 || strcmp(g->type, "ucs2") == 0) {
		unsigned char raw[KANNEL_TEXT_MAX];
		long n = urldecode(data, raw, sizeof(raw));

		if (n < 0 || ucs2_to_utf8(raw, (size_t)n, g->text,
		    sizeof(g->text)) != 0)
			return 0;
	} else if (str_copy(g->text, sizeof(g->text), data) != 0) {
		return 0;
	}
	mt->n++;
	return 1;
}

/* Lines of smsbox.log saying it sent a reply: the sum of their counts. */
static long
replies_sent(const struct kannel *k)
{
	char path[KANNEL_PATH_MAX + 64], line[LINE_MAX_];
	const char *mark = "message length ", *p;
	FILE *f;
	long total = 0;

	if (path_in(k, "smsbox.log", path, sizeof(path)) < 0)
		return -1;
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		p = strstr(line, mark);
		if (p == NULL)
			continue;
		p = strstr(p, ", sending ");
		if (p != NULL)
			total += strtol(p + 10, NULL, 10);
	}
	fclose(f);
	return total;
}

/* A running fakesmsc and what it printed. */
struct phone {
	pid_t pid;
	int fd;
	char buf[LINE_MAX_];
	size_t used;
};

static int
phone_start(const struct kannel *k, struct phone *ph, const char *msg)
{
	char port[16];
	const char *argv[13];

	ph->pid = 0;
	ph->fd = -1;
	ph->used = 0;
	if (str_printf(port, sizeof(port), "%u", k->smsc_port) < 0)
		return -1;
	argv[0] = KANNEL_FAKESMSC;
	argv[1] = "-H";
	argv[2] = "127.0.0.1";
	argv[3] = "-r";
	argv[4] = port;
	argv[5] = "-i";
	argv[6] = "0.1";
	argv[7] = "-m";
	argv[8] = "1";
	argv[9] = "-v";
	argv[10] = "0";
	argv[11] = msg;		/* "FROM TO TYPE DATA" */
	argv[12] = NULL;
	ph->pid = spawn(argv, NULL, &ph->fd);
	if (ph->pid < 0) {
		ph->pid = 0;
		complain("cannot start fakesmsc");
		return -1;
	}
	return 0;
}

/* Read what fakesmsc printed for up to POLL_MS; replies go to @mt. */
static void
phone_read(struct phone *ph, struct kannel_mt *mt)
{
	struct pollfd pfd = { ph->fd, POLLIN, 0 };
	ssize_t r;
	char *nl;

	if (ph->fd < 0) {
		sleep_ms(POLL_MS);
		return;
	}
	if (poll(&pfd, 1, POLL_MS) <= 0)
		return;
	r = read(ph->fd, ph->buf + ph->used, sizeof(ph->buf) - 1 - ph->used);
	if (r <= 0) {
		/* fakesmsc is gone: the logs still tell. */
		close(ph->fd);
		ph->fd = -1;
		return;
	}
	ph->used += (size_t)r;
	ph->buf[ph->used] = '\0';
	for (;;) {
		nl = strchr(ph->buf, '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		(void)got_line(ph->buf, mt);
		ph->used -= (size_t)(nl + 1 - ph->buf);
		memmove(ph->buf, nl + 1, ph->used + 1);
	}
	if (ph->used == sizeof(ph->buf) - 1)
		ph->used = 0;	/* a runaway line: dropped */
}

/* Stop fakesmsc, reading what it printed until then. */
static void
phone_stop(struct phone *ph, struct kannel_mt *mt)
{
	if (ph->pid > 0 && stop_pid(&ph->pid, 5000) != 0)
		complain("fakesmsc did not stop on SIGTERM: killed");
	while (ph->fd >= 0)
		phone_read(ph, mt);
}

int
kannel_sms(struct kannel *k, const struct kannel_mo *mo,
    struct kannel_mt *mt)
{
	struct phone ph = { 0, -1, "", 0 };
	char *msg = NULL, *data = NULL;
	size_t msgsz;
	long end, sent0, expect = -1;
	int req0, ret = -1;

	memset(mt, 0, sizeof(*mt));
	end = now_ms() + (mo->timeout_ms > 0 ? mo->timeout_ms :
	    KANNEL_SMS_TIMEOUT_MS);
	req0 = kannel_requests(k);
	sent0 = replies_sent(k);
	if (req0 < 0 || sent0 < 0 || mo->from == NULL || mo->to == NULL ||
	    mo->text == NULL || mo->expect < 0 ||
	    mo->expect > KANNEL_GOT_MAX) {
		complain("no smsbox logs, or an SMS without from/to/text");
		return -1;
	}
	msgsz = strlen(mo->text) * 6 + 256;
	msg = malloc(msgsz);
	data = malloc(msgsz);
	if (msg == NULL || data == NULL)
		goto out;
	if (mo->ucs2) {
		if (utf8_to_ucs2_url(mo->text, data, msgsz) != 0)
			goto out;
	} else if (str_copy(data, msgsz, mo->text) != 0) {
		goto out;
	}
	if (str_printf(msg, msgsz, "%s %s %s %s", mo->from, mo->to,
	    mo->ucs2 ? "ucs2" : "text", data) < 0)
		goto out;

	/*
	 * 1. The SMS, until smsbox has logged its call to hrpost and the
	 * replies the caller expects have arrived.  This fakesmsc stays
	 * connected until then: a reply sent while it hangs up is lost.
	 */
	if (phone_start(k, &ph, msg) != 0)
		goto out;
	while (kannel_requests(k) <= req0 || (long)mt->n < mo->expect) {
		if (now_ms() > end) {
			complain("timed out: %s", kannel_requests(k) <= req0 ?
			    "smsbox never called hrpost" : "an expected reply "
			    "never reached the phone");
			goto fail;
		}
		phone_read(&ph, mt);
	}
	if (access_line(k, req0 + 1, mt) != 0) {
		complain("cannot read smsbox's access log");
		goto fail;
	}
	phone_stop(&ph, mt);

	/*
	 * 2. The probe: smsbox handles HTTP answers one at a time, so once
	 * the probe's own call is logged, every reply to our SMS has been
	 * counted in smsbox.log ("message length L, sending N messages"; an
	 * empty body under omit-empty counts none).  More than expected is
	 * a failure even if the extra reply was lost on the way.
	 */
	if (phone_start(k, &ph, "+00000000 0 text " KANNEL_PROBE) != 0)
		goto out;
	for (;;) {
		if (expect < 0 && kannel_requests(k) > req0 + 1) {
			expect = replies_sent(k) - sent0;
			if (expect < 0 || expect > KANNEL_GOT_MAX) {
				complain("cannot count smsbox's replies");
				goto fail;
			}
		}
		if (expect >= 0 && (long)mt->n >= expect)
			break;
		if (now_ms() > end) {
			complain("timed out: %s", expect < 0 ? "the probe was "
			    "not handled" : "a reply never reached the phone");
			goto fail;
		}
		phone_read(&ph, mt);
	}
	phone_stop(&ph, mt);
	if ((long)mt->n != expect || expect != mo->expect) {
		complain("%zu messages reached the phone, smsbox sent %ld, "
		    "the test expected %d", mt->n, expect, mo->expect);
		goto out;
	}
	ret = 0;
	goto out;
fail:
	dump_logs(k);
out:
	phone_stop(&ph, mt);
	free(msg);
	free(data);
	return ret;
}

/* --- a phone that listens (sendsms) -------------------------------------- */

#define SENDSMS_MARK "send-SMS request added"

int
kannel_sendsms_count(const struct kannel *k)
{
	char path[KANNEL_PATH_MAX + 64], line[LINE_MAX_];
	FILE *f;
	int n = 0;

	if (path_in(k, "smsbox-access.log", path, sizeof(path)) < 0)
		return -1;
	f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, SENDSMS_MARK) != NULL)
			n++;
	fclose(f);
	return n;
}

int
kannel_listen(const struct kannel *k, struct kannel_listener *l)
{
	char port[16];
	const char *argv[] = {
		KANNEL_FAKESMSC, "-H", "127.0.0.1", "-r", port, "-m", "0",
		"-v", "0", "0 0 text unused", NULL,
	};

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (str_printf(port, sizeof(port), "%u", k->smsc_port) < 0)
		return -1;
	l->pid = spawn(argv, NULL, &l->fd);
	if (l->pid < 0) {
		l->pid = 0;
		l->fd = -1;
		complain("cannot start the listening fakesmsc");
		return -1;
	}
	return 0;
}

/* Read what the listener printed for up to POLL_MS into @mt. */
static void
listen_read(struct kannel_listener *l, struct kannel_mt *mt)
{
	struct pollfd pfd = { l->fd, POLLIN, 0 };
	ssize_t r;
	char *nl;

	if (l->fd < 0) {
		sleep_ms(POLL_MS);
		return;
	}
	if (poll(&pfd, 1, POLL_MS) <= 0)
		return;
	r = read(l->fd, l->buf + l->used, sizeof(l->buf) - 1 - l->used);
	if (r <= 0) {
		close(l->fd);
		l->fd = -1;
		return;
	}
	l->used += (size_t)r;
	l->buf[l->used] = '\0';
	for (;;) {
		nl = strchr(l->buf, '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		if (mt != NULL)
			(void)got_line(l->buf, mt);
		l->used -= (size_t)(nl + 1 - l->buf);
		memmove(l->buf, nl + 1, l->used + 1);
	}
	if (l->used == sizeof(l->buf) - 1)
		l->used = 0;	/* a runaway line: dropped */
}

int
kannel_listen_wait(struct kannel_listener *l, size_t n, int timeout_ms,
    struct kannel_mt *mt)
{
	long end = now_ms() + timeout_ms;

	while (mt->n < n) {
		if (now_ms() > end || (l->fd < 0 && l->pid == 0))
			return -1;
		listen_read(l, mt);
	}
	return 0;
}

void
kannel_listen_stop(struct kannel_listener *l, struct kannel_mt *mt)
{
	if (l->pid > 0 && stop_pid(&l->pid, 5000) != 0)
		complain("listening fakesmsc did not stop on SIGTERM: killed");
	while (l->fd >= 0)
		listen_read(l, mt);
}
