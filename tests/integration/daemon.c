/*
 * Integration support: scratch states, hrpost daemons on loopback ports
 * and HTTP requests through libcurl (see daemon.h).  Nothing here calls
 * ck_assert: every function reports failure to its caller, so a suite can
 * assert and still stop what it started.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/util.h"
#include "tests/integration/daemon.h"
#include "tests/testutil.h"

#define ARGS_MAX 48
#define CONF_MAX (256 * 1024)
#define POLL_MS 50
#define SPILL_MAX 4096		/* output read past a full buffer */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init(void)
{
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *
daemon_bin(void)
{
	const char *b = getenv("HRPOST_BIN");

	return b != NULL && b[0] != '\0' ? b : "build/hrpost";
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

static long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy a file to our stderr (a daemon's log when it failed). */
static void
show_file(const char *path)
{
	size_t len = 0;
	char *text = testutil_slurp(path, &len);

	if (text == NULL)
		return;
	fprintf(stderr, "---- %s ----\n%s---- end ----\n", path, text);
	free(text);
}

/* Run hrpost with @argv (NULL-terminated, argv[0] ignored), output to @log. */
static int
run_hrpost(const char *const *argv, const char *log)
{
	const char *args[ARGS_MAX];
	size_t n = 0;
	pid_t pid;
	int st = 0;

	args[n++] = daemon_bin();
	for (size_t i = 1; argv[i] != NULL && n < ARGS_MAX - 1; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (in < 0 || out < 0)
			_exit(126);
		(void)dup2(in, 0);
		(void)dup2(out, 1);
		(void)dup2(out, 2);
		unsetenv("HRPOST_DIR");
		unsetenv("HRPOST_PASSPHRASE");
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	for (;;) {
		pid_t w = waitpid(pid, &st, 0);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
daemon_state_new(char *dir, size_t dirsz)
{
	const char *base = testutil_mkdtemp();
	char log[DAEMON_PATH_MAX];
	const char *argv[6];

	if (base == NULL || str_printf(dir, dirsz, "%s/state", base) < 0 ||
	    str_printf(log, sizeof(log), "%s/init.log", base) < 0)
		return -1;
	argv[0] = "hrpost";
	argv[1] = "-d";
	argv[2] = dir;
	argv[3] = "init";
	argv[4] = "--demo";
	argv[5] = NULL;
	if (run_hrpost(argv, log) != 0) {
		show_file(log);
		return -1;
	}
	return 0;
}

void
daemon_state_free(const char *dir)
{
	char parent[DAEMON_PATH_MAX];
	char *slash;

	if (dir == NULL || str_copy(parent, sizeof(parent), dir) != 0)
		return;
	slash = strrchr(parent, '/');
	if (slash == NULL || strcmp(slash, "/state") != 0)
		return;	/* not one of ours: leave it alone */
	*slash = '\0';
	testutil_rmtree(parent);
}

/* true when @line (of @len bytes) is "[section]". */
static bool
is_header(const char *line, size_t len, const char *section)
{
	size_t sl = strlen(section);

	return len >= sl + 2 && line[0] == '[' && line[sl + 1] == ']' &&
	    strncmp(line + 1, section, sl) == 0;
}

/* true when @line sets @key, perhaps commented out ("; key = x"). */
static bool
sets_key(const char *line, size_t len, const char *key)
{
	size_t i = 0, kl = strlen(key);

	if (i < len && (line[i] == ';' || line[i] == '#'))
		i++;
	while (i < len && line[i] == ' ')
		i++;
	if (len - i < kl || strncmp(line + i, key, kl) != 0)
		return false;
	i += kl;
	while (i < len && line[i] == ' ')
		i++;
	return i < len && line[i] == '=';
}

static int
buf_append(char *out, size_t outsz, size_t *o, const char *s, size_t n)
{
	if (n >= outsz - *o)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

int
daemon_config_set(const char *dir, const char *section, const char *key,
    const char *value)
{
	char path[DAEMON_PATH_MAX], tmp[DAEMON_PATH_MAX], setting[512];
	char *text = NULL, *out = NULL;
	size_t len = 0, o = 0, pos = 0, slen;
	bool in_section = false, done = false, seen = false;
	FILE *f = NULL;
	int rc = -1;

	if (str_printf(path, sizeof(path), "%s/hrpost.conf", dir) < 0 ||
	    str_printf(tmp, sizeof(tmp), "%s/hrpost.conf.tmp", dir) < 0 ||
	    str_printf(setting, sizeof(setting), "%s = %s\n", key,
	    value) < 0)
		return -1;
	slen = strlen(setting);
	text = testutil_slurp(path, &len);
	out = malloc(CONF_MAX);
	if (text == NULL || out == NULL || len > CONF_MAX / 2)
		goto out;
	out[0] = '\0';
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl != NULL ? (size_t)(nl - line) : len - pos;

		pos += ll + (nl != NULL ? 1 : 0);
		if (line[0] == '[') {
			/* Leaving our section without the key: add it. */
			if (in_section && !done) {
				if (buf_append(out, CONF_MAX, &o, setting,
				    slen) != 0)
					goto out;
				done = true;
			}
			in_section = is_header(line, ll, section);
			seen = seen || in_section;
		} else if (in_section && !done && sets_key(line, ll, key)) {
			if (buf_append(out, CONF_MAX, &o, setting, slen) != 0)
				goto out;
			done = true;
			continue;
		}
		if (buf_append(out, CONF_MAX, &o, line, ll) != 0 ||
		    buf_append(out, CONF_MAX, &o, "\n", 1) != 0)
			goto out;
	}
	/* Not done: the section is last in the file, or missing. */
	if (!done) {
		if (!seen && (buf_append(out, CONF_MAX, &o, "[", 1) != 0 ||
		    buf_append(out, CONF_MAX, &o, section,
		    strlen(section)) != 0 ||
		    buf_append(out, CONF_MAX, &o, "]\n", 2) != 0))
			goto out;
		if (buf_append(out, CONF_MAX, &o, setting, slen) != 0)
			goto out;
	}
	f = fopen(tmp, "w");
	if (f == NULL)
		goto out;
	if (fwrite(out, 1, o, f) != o) {
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0 || chmod(tmp, 0600) != 0 || rename(tmp, path) != 0)
		goto out;
	rc = 0;
out:
	free(text);
	free(out);
	return rc;
}

uint16_t
daemon_free_port(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	uint16_t port = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Reap @d if it exited; true when it is gone (status in *status). */
static bool
reaped(struct daemon_proc *d, int *status)
{
	int st = 0;
	pid_t w = waitpid(d->pid, &st, WNOHANG);

	if (w != d->pid)
		return false;
	d->pid = 0;
	if (status != NULL)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) :
		    128 + WTERMSIG(st);
	return true;
}

int
daemon_start(struct daemon_proc *d, const char *dir, const char *subcommand,
    const char *const *args, const char *const *env)
{
	const char *argv[ARGS_MAX];
	char listen[64], health[96];
	size_t n = 0;
	long deadline;
	pid_t pid;

	memset(d, 0, sizeof(*d));
	d->port = daemon_free_port();
	if (d->port == 0 ||
	    str_printf(listen, sizeof(listen), "127.0.0.1:%u",
	    (unsigned)d->port) < 0 ||
	    str_printf(d->url, sizeof(d->url), "http://127.0.0.1:%u",
	    (unsigned)d->port) < 0 ||
	    str_printf(health, sizeof(health), "%s/healthz", d->url) < 0 ||
	    str_printf(d->log, sizeof(d->log), "%s/%s.log", dir,
	    subcommand) < 0)
		return -1;
	argv[n++] = daemon_bin();
	argv[n++] = "-d";
	argv[n++] = dir;
	argv[n++] = subcommand;
	argv[n++] = "--listen";
	argv[n++] = listen;
	for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
		if (n >= ARGS_MAX - 1)
			return -1;
		argv[n++] = args[i];
	}
	argv[n] = NULL;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (in < 0 || out < 0)
			_exit(126);
		(void)dup2(in, 0);
		(void)dup2(out, 1);
		(void)dup2(out, 2);
		unsetenv("HRPOST_DIR");
		unsetenv("HRPOST_PASSPHRASE");
		for (size_t i = 0; env != NULL && env[i] != NULL; i++)
			(void)putenv((char *)env[i]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	d->pid = pid;

	deadline = now_ms() + DAEMON_START_TIMEOUT_MS;
	while (now_ms() < deadline) {
		struct daemon_req rq;
		struct daemon_reply rp;
		int up;

		if (reaped(d, NULL)) {
			fprintf(stderr, "daemon: %s %s exited at start\n",
			    daemon_bin(), subcommand);
			show_file(d->log);
			return -1;
		}
		memset(&rq, 0, sizeof(rq));
		rq.url = health;
		rq.timeout_ms = 1000;
		up = daemon_request(&rq, &rp) == 0 && rp.status == 200;
		daemon_reply_free(&rp);
		if (up)
			return 0;
		sleep_ms(POLL_MS);
	}
	fprintf(stderr, "daemon: %s %s did not answer %s\n", daemon_bin(),
	    subcommand, health);
	(void)daemon_stop(d, NULL);
	show_file(d->log);
	return -1;
}

int
daemon_stop(struct daemon_proc *d, int *status)
{
	long deadline;

	if (status != NULL)
		*status = -1;
	if (d->pid == 0)
		return 0;
	if (kill(d->pid, SIGTERM) != 0 && errno != ESRCH)
		return -1;
	deadline = now_ms() + DAEMON_STOP_TIMEOUT_MS;
	while (now_ms() < deadline) {
		if (reaped(d, status))
			return 0;
		sleep_ms(POLL_MS / 5);
	}
	(void)kill(d->pid, SIGKILL);
	for (;;) {
		int st = 0;
		pid_t w = waitpid(d->pid, &st, 0);

		if (w == d->pid || (w < 0 && errno != EINTR))
			break;
	}
	d->pid = 0;
	if (status != NULL)
		*status = 128 + SIGKILL;
	return -1;
}

int
daemon_log_contains(const struct daemon_proc *d, const char *needle)
{
	return testutil_file_contains(d->log, needle, strlen(needle));
}

struct sink {
	char *p;
	size_t len;
	size_t cap;
	bool over;
};

static size_t
sink_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (nmemb != 0 && n / nmemb != size)
		return 0;
	if (n > DAEMON_REPLY_MAX - s->len) {
		s->over = true;
		return 0;	/* libcurl stops: a reply this big is a bug */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap > 0 ? s->cap : 4096;
		char *np;

		while (cap < s->len + n + 1)
			cap *= 2;
		np = realloc(s->p, cap);
		if (np == NULL)
			return 0;
		s->p = np;
		s->cap = cap;
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = '\0';
	return n;
}

/* An empty, NUL-terminated buffer, so replies are always strings. */
static int
sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->p = calloc(1, 1);
	if (s->p == NULL)
		return -1;
	s->cap = 1;
	return 0;
}

int
daemon_request(const struct daemon_req *rq, struct daemon_reply *rp)
{
	struct curl_slist *hdrs = NULL, *tmp;
	struct sink body, head;
	char ctype[160];
	CURL *c = NULL;
	CURLcode cc;
	int rc = -1;

	memset(rp, 0, sizeof(*rp));
	(void)pthread_once(&curl_once, curl_init);
	if (sink_init(&body) != 0)
		return -1;
	if (sink_init(&head) != 0) {
		free(body.p);
		return -1;
	}
	c = curl_easy_init();
	if (c == NULL)
		goto out;
	/* No "Expect: 100-continue" round trip on larger bodies. */
	tmp = curl_slist_append(hdrs, "Expect:");
	if (tmp == NULL)
		goto out;
	hdrs = tmp;
	if (rq->content_type != NULL || rq->body != NULL) {
		/* "Content-Type:" alone removes libcurl's default one. */
		if (str_printf(ctype, sizeof(ctype), "Content-Type:%s%s",
		    rq->content_type != NULL ? " " : "",
		    rq->content_type != NULL ? rq->content_type : "") < 0)
			goto out;
		tmp = curl_slist_append(hdrs, ctype);
		if (tmp == NULL)
			goto out;
		hdrs = tmp;
	}
	for (size_t i = 0; rq->headers != NULL && rq->headers[i] != NULL;
	    i++) {
		tmp = curl_slist_append(hdrs, rq->headers[i]);
		if (tmp == NULL)
			goto out;
		hdrs = tmp;
	}
	if (curl_easy_setopt(c, CURLOPT_URL, rq->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, rq->timeout_ms > 0 ?
	    rq->timeout_ms : 10000L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head) != CURLE_OK)
		goto out;
	if (rq->source != NULL &&
	    curl_easy_setopt(c, CURLOPT_INTERFACE, rq->source) != CURLE_OK)
		goto out;
	if (rq->body != NULL) {
		if (curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rq->body_len) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body) !=
		    CURLE_OK)
			goto out;
	}
	if (rq->method != NULL &&
	    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method) != CURLE_OK)
		goto out;
	if (rq->method != NULL && strcmp(rq->method, "HEAD") == 0 &&
	    curl_easy_setopt(c, CURLOPT_NOBODY, 1L) != CURLE_OK)
		goto out;
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && body.over))
		goto out;
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rp->status) !=
	    CURLE_OK)
		goto out;
	rc = rp->status > 0 ? 0 : -1;
out:
	if (rc == 0) {
		rp->body = body.p;
		rp->body_len = body.len;
		rp->headers = head.p;
		rp->headers_len = head.len;
	} else {
		free(body.p);
		free(head.p);
		rp->status = 0;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rc;
}

int
daemon_get(const char *url, struct daemon_reply *rp)
{
	struct daemon_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	return daemon_request(&rq, rp);
}

int
daemon_post(const char *url, const char *content_type, const void *body,
    size_t len, struct daemon_reply *rp)
{
	struct daemon_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.content_type = content_type;
	rq.body = body != NULL ? body : "";
	rq.body_len = len;
	return daemon_request(&rq, rp);
}

int
daemon_reply_header(const struct daemon_reply *rp, const char *name,
    char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = rp->headers;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t ll = eol != NULL ? (size_t)(eol - p) : strlen(p);

		if (ll > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			size_t vl;

			while (*v == ' ' || *v == '\t')
				v++;
			vl = ll - (size_t)(v - p);
			while (vl > 0 && (v[vl - 1] == '\r' ||
			    v[vl - 1] == ' '))
				vl--;
			if (vl >= outsz)
				return -1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		p = eol != NULL ? eol + 1 : NULL;
	}
	return -1;
}

void
daemon_reply_free(struct daemon_reply *rp)
{
	if (rp == NULL)
		return;
	free(rp->body);
	free(rp->headers);
	memset(rp, 0, sizeof(*rp));
}

/* ---- a command run to its end, output captured ---- */

/* Removed from a child's environment before @env is added. */
static const char *const scrubbed[] = {
	"HRPOST_DIR", "HRPOST_PASSPHRASE", "HRPOST_STAFF_PASSWORD",
	/* A proxy from the environment would not reach loopback. */
	"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
	"ALL_PROXY", "all_proxy",
};

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

int
daemon_spawn(struct daemon_child *c, const char *const *argv,
    const char *const *env)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 };
	pid_t pid;

	c->pid = 0;
	c->out = -1;
	c->err = -1;
	if (pipe(po) != 0)
		return -1;
	if (pipe(pe) != 0) {
		close_fd(&po[0]);
		close_fd(&po[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close_fd(&po[0]);
		close_fd(&po[1]);
		close_fd(&pe[0]);
		close_fd(&pe[1]);
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);

		if (in < 0)
			_exit(126);
		(void)setsid();
		(void)dup2(in, 0);
		(void)dup2(po[1], 1);
		(void)dup2(pe[1], 2);
		(void)close(po[0]);
		(void)close(pe[0]);
		for (size_t i = 0; i < ARRAY_LEN(scrubbed); i++)
			(void)unsetenv(scrubbed[i]);
		for (size_t i = 0; env != NULL && env[i] != NULL; i++)
			(void)putenv((char *)env[i]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close_fd(&po[1]);
	close_fd(&pe[1]);
	c->pid = pid;
	c->out = po[0];
	c->err = pe[0];
	return 0;
}

int
daemon_cli_spawn(struct daemon_child *c, const char *dir,
    const char *const *args, const char *const *env)
{
	const char *argv[DAEMON_CLI_ARGS_MAX + 4];
	size_t n = 0;

	c->pid = 0;
	c->out = -1;
	c->err = -1;
	argv[n++] = daemon_bin();
	if (dir != NULL) {
		argv[n++] = "-d";
		argv[n++] = dir;
	}
	for (size_t i = 0; args != NULL && args[i] != NULL; i++) {
		if (i >= DAEMON_CLI_ARGS_MAX)
			return -1;
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return daemon_spawn(c, argv, env);
}

/*
 * Read what @fd has into @buf (@bufsz bytes, *n used), past a full buffer
 * into a scratch one that is dropped.  false at end of file or on an error.
 */
static bool
drain(int fd, char *buf, size_t bufsz, size_t *n)
{
	char spill[SPILL_MAX];
	char *dst = spill;
	size_t room = sizeof(spill);
	ssize_t k;

	if (bufsz > 0 && *n < bufsz - 1) {
		dst = buf + *n;
		room = bufsz - 1 - *n;
	}
	k = read(fd, dst, room);
	if (k < 0)
		return errno == EINTR || errno == EAGAIN;
	if (k == 0)
		return false;
	if (dst != spill)
		*n += (size_t)k;
	return true;
}

int
daemon_collect(struct daemon_child *c, char *out, size_t outsz,
    size_t *outlen, char *err, size_t errsz)
{
	struct pollfd pfd[2] = {
		{ c->out, POLLIN, 0 }, { c->err, POLLIN, 0 },
	};
	char *buf[2] = { out, err };
	size_t size[2] = { outsz, errsz }, used[2] = { 0, 0 };
	int open_fds = (c->out >= 0) + (c->err >= 0), st = 0, rc = -1;

	while (open_fds > 0) {
		int k = poll(pfd, 2, DAEMON_SILENCE_MS);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;		/* silent too long, or poll failed */
		for (size_t i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (!drain(pfd[i].fd, buf[i], size[i], &used[i])) {
				pfd[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (size_t i = 0; i < 2; i++)
		if (size[i] > 0)
			buf[i][used[i]] = '\0';
	if (outlen != NULL)
		*outlen = used[0];
	close_fd(&c->out);
	close_fd(&c->err);
	while (c->pid > 0) {
		pid_t w = waitpid(c->pid, &st, 0);

		if (w == c->pid) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) :
			    128 + WTERMSIG(st);
			break;
		}
		if (w < 0 && errno != EINTR)
			break;
	}
	c->pid = 0;
	return rc;
}

int
daemon_cli(const char *dir, const char *const *args,
    const char *const *env, char *out, size_t outsz, char *err,
    size_t errsz)
{
	struct daemon_child c;

	if (daemon_cli_spawn(&c, dir, args, env) != 0) {
		if (outsz > 0)
			out[0] = '\0';
		if (errsz > 0)
			err[0] = '\0';
		return -1;
	}
	return daemon_collect(&c, out, outsz, NULL, err, errsz);
}
