/*
 * Intake figures, one per line as "name value unit", in one run:
 *
 *   intake_http               orders/s: keep-alive POST /order from wrk
 *                             (2 threads, 32 connections, a Lua script
 *                             that gives every request its own idem) to
 *                             the real daemon, fsync on (synchronous=FULL)
 *   store_order               orders/s, from bench_crypto_store run now
 *   intake_http_vs_store_order ratio of the two
 *   form_get                  req/s: GET / on the daemon
 *   nginx_get                 req/s: nginx serving the same page, saved to
 *                             a file, on another loopback port
 *   form_get_vs_nginx         ratio of the two
 *   intake_rss_kb             VmRSS of the daemon after 10,000 orders
 *
 * It runs `hrpost init --demo` in a scratch directory, raises the rate
 * limits and the worker threads there, and starts `hrpost intake`; wrk
 * and nginx (Debian packages wrk, nginx-light) must be installed.  The
 * load generator shares the machine's cores with the daemon.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
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

#define ORDERS_TOTAL 10000
#define POST_SECONDS "8"
/*
 * GET runs on a fresh daemon, and short: [limits] web_per_minute is at
 * most 100000 a client address, and wrk's requests all come from one.
 */
#define GET_SECONDS "2"
#define WRK_THREADS "2"
#define WRK_CONNS "32"
#define INTAKE_THREADS "16"
#define PATH_MAX_B 4096
#define OUT_MAX (64 * 1024)

static char tmp[PATH_MAX_B];
static char bin_dir[PATH_MAX_B];
static pid_t intake_pid, nginx_pid;

static void
cleanup(void)
{
	char cmd[PATH_MAX_B + 32];

	if (intake_pid > 0) {
		(void)kill(intake_pid, SIGTERM);
		(void)waitpid(intake_pid, NULL, 0);
		intake_pid = 0;
	}
	if (nginx_pid > 0) {
		(void)kill(nginx_pid, SIGTERM);
		(void)waitpid(nginx_pid, NULL, 0);
		nginx_pid = 0;
	}
	if (tmp[0] != '\0' && str_printf(cmd, sizeof(cmd), "rm -rf '%s'",
	    tmp) >= 0 && system(cmd) != 0)
		fprintf(stderr, "bench_intake: cannot remove %s\n", tmp);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_intake: %s\n", what);
	cleanup();
	exit(1);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

static uint16_t
free_port(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	uint16_t port = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

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

/* Run a command line; its stdout into @out.  Returns the exit status. */
static int
run(const char *cmd, char *out, size_t outsz)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0;
	int st;

	if (p == NULL)
		return -1;
	for (;;) {
		size_t k;

		if (out == NULL || n + 1 >= outsz) {
			char sink[512];

			if (fread(sink, 1, sizeof(sink), p) == 0)
				break;
			continue;
		}
		k = fread(out + n, 1, outsz - 1 - n, p);
		if (k == 0)
			break;
		n += k;
	}
	if (out != NULL)
		out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pid_t
spawn(const char *const *argv, const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (in < 0 || out < 0)
			_exit(126);
		(void)dup2(in, 0);
		(void)dup2(out, 1);
		(void)dup2(out, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* GET @url; the status, or 0.  The body into @body when not NULL. */
static long
http_get(const char *url, FILE *body)
{
	CURL *c = curl_easy_init();
	long status = 0;

	if (c == NULL)
		return 0;
	if (curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L) == CURLE_OK &&
	    (body != NULL ? curl_easy_setopt(c, CURLOPT_WRITEDATA, body) :
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard)) ==
	    CURLE_OK &&
	    curl_easy_perform(c) == CURLE_OK)
		(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

static void
wait_up(const char *url, pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		int st;

		if (http_get(url, NULL) == 200)
			return;
		if (waitpid(pid, &st, WNOHANG) == pid)
			die("a server exited at start (see its log)");
		sleep_ms(50);
	}
	die("a server did not answer");
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		die("cannot write a file");
}

/* Append "[section]\nkey = value" lines; later keys are not repeated. */
static void
configure(const char *dir)
{
	char path[PATH_MAX_B + 32], cmd[3 * PATH_MAX_B];
	static const char *const set[][3] = {
		{ "limits", "web_per_minute", "100000" },
		{ "limits", "orders_per_hour", "100000" },
		{ "intake", "threads", INTAKE_THREADS },
	};

	if (str_printf(path, sizeof(path), "%s/hrpost.conf", dir) < 0)
		die("path too long");
	for (size_t i = 0; i < ARRAY_LEN(set); i++) {
		/* Drop the key, then add it under its section header. */
		if (str_printf(cmd, sizeof(cmd), "sed -i -e '/^[;#]* *%s *=/d' "
		    "-e 's/^\\[%s\\]$/[%s]\\n%s = %s/' '%s'", set[i][1],
		    set[i][0], set[i][0], set[i][1], set[i][2], path) < 0 ||
		    run(cmd, NULL, 0) != 0)
			die("cannot edit the config");
	}
}

static const char lua[] =
	"local body = \"pseudonym=Camille&line=3+rue+des+Vignes"
	"&line=Apt+2&postcode=12100&commune=Millau&phone=06+12+34+56+78"
	"&consent_call=1&lang=fr&qty_INJ=2&variant_INJ=29G-12&qty_NALOX=1"
	"&for_others=1&note=merci\"\n"
	"local counter = 0\n"
	"local n = 0\n"
	"function setup(thread)\n"
	"  n = n + 1\n"
	"  thread:set(\"tid\", n)\n"
	"end\n"
	"function init(args)\n"
	"  prefix = args[1] or \"run\"\n"
	"  wrk.headers[\"Content-Type\"] = "
	"\"application/x-www-form-urlencoded\"\n"
	"end\n"
	"function request()\n"
	"  counter = counter + 1\n"
	"  return wrk.format(\"POST\", \"/order\", nil, body .. "
	"\"&idem=\" .. prefix .. \"-\" .. tostring(tid) .. \"-\" .. counter)\n"
	"end\n";

/* Requests/sec and request count from wrk's output; non-2xx must be 0. */
static double
wrk_rate(const char *out, long *requests)
{
	const char *p = strstr(out, "Requests/sec:");
	const char *q = strstr(out, " requests in ");
	char *end;
	double rate;

	if (strstr(out, "Non-2xx") != NULL) {
		fputs(out, stderr);
		die("wrk saw answers other than 200");
	}
	if (p == NULL || q == NULL)
		die("cannot read wrk's output");
	rate = strtod(p + strlen("Requests/sec:"), &end);
	if (end == p + strlen("Requests/sec:"))
		die("cannot read wrk's rate");
	while (q > out && q[-1] >= '0' && q[-1] <= '9')
		q--;
	*requests = strtol(q, &end, 10);
	return rate;
}

static double
store_order_rate(void)
{
	char cmd[PATH_MAX_B + 64], out[4096];
	const char *p;

	if (str_printf(cmd, sizeof(cmd), "'%s/bench/bench_crypto_store'",
	    bin_dir) < 0 || run(cmd, out, sizeof(out)) != 0)
		die("bench_crypto_store failed");
	p = strstr(out, "store_order ");
	if (p == NULL)
		die("bench_crypto_store printed no store_order");
	return strtod(p + strlen("store_order "), NULL);
}

static long
rss_kb(pid_t pid)
{
	char path[64], text[4096];
	const char *p;
	FILE *f;
	size_t n;

	if (str_printf(path, sizeof(path), "/proc/%ld/status", (long)pid) < 0)
		return -1;
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	p = strstr(text, "VmRSS:");
	return p != NULL ? strtol(p + 6, NULL, 10) : -1;
}

int
main(int argc, char **argv)
{
	char state[PATH_MAX_B + 16], path[PATH_MAX_B + 64],
	    cmd[4 * PATH_MAX_B], out[OUT_MAX], url[128], nurl[128],
	    hrpost[PATH_MAX_B + 16], listen[64], log[PATH_MAX_B + 16],
	    conf[2 * PATH_MAX_B], run_id[32];
	const char *env = getenv("HRPOST_BIN");
	const char *argv_i[8], *argv_n[8];
	double post_rate, get_rate, nginx_rate, store_rate;
	long reqs = 0, done, rss;
	int rc;
	uint16_t port, nport;
	FILE *page;

	(void)argc;
	/* <build>/bench/bench_intake -> <build>/hrpost */
	{
		char self[PATH_MAX_B];
		ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (k <= 0)
			die("cannot find myself");
		self[k] = '\0';
		if (str_copy(bin_dir, sizeof(bin_dir),
		    dirname(dirname(self))) != 0)
			die("path too long");
	}
	(void)argv;
	if (env != NULL && env[0] != '\0') {
		if (str_copy(hrpost, sizeof(hrpost), env) != 0)
			die("HRPOST_BIN too long");
	} else if (str_printf(hrpost, sizeof(hrpost), "%s/hrpost",
	    bin_dir) < 0) {
		die("path too long");
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die("libcurl");
	if (str_copy(tmp, sizeof(tmp), "/tmp/hrpost-bench-intake-XXXXXX") != 0 ||
	    mkdtemp(tmp) == NULL)
		die("cannot make a scratch directory");
	if (str_printf(state, sizeof(state), "%s/state", tmp) < 0 ||
	    str_printf(cmd, sizeof(cmd), "'%s' -d '%s' init --demo "
	    ">/dev/null 2>&1", hrpost, state) < 0 || run(cmd, NULL, 0) != 0)
		die("hrpost init --demo failed");
	configure(state);

	/* The daemon, quiet: a log line per request would be measured too. */
	port = free_port();
	if (port == 0 ||
	    str_printf(listen, sizeof(listen), "127.0.0.1:%u",
	    (unsigned)port) < 0 ||
	    str_printf(url, sizeof(url), "http://%s", listen) < 0 ||
	    str_printf(log, sizeof(log), "%s/intake.log", tmp) < 0)
		die("no port");
	if (setenv("HRPOST_QUIET", "1", 1) != 0)
		die("setenv");
	argv_i[0] = hrpost;
	argv_i[1] = "-d";
	argv_i[2] = state;
	argv_i[3] = "intake";
	argv_i[4] = "--listen";
	argv_i[5] = listen;
	argv_i[6] = NULL;
	intake_pid = spawn(argv_i, log);
	if (intake_pid < 0)
		die("fork");
	if (str_printf(path, sizeof(path), "%s/healthz", url) < 0)
		die("url");
	wait_up(path, intake_pid);

	/* POST /order, each request its own idem. */
	if (str_printf(path, sizeof(path), "%s/order.lua", tmp) < 0)
		die("path");
	write_file(path, lua);
	if (str_printf(run_id, sizeof(run_id), "b%ld", (long)getpid()) < 0 ||
	    str_printf(cmd, sizeof(cmd), "wrk -t" WRK_THREADS " -c" WRK_CONNS
	    " -d" POST_SECONDS "s -s '%s' '%s/order' -- %s 2>&1", path, url,
	    run_id) < 0 || run(cmd, out, sizeof(out)) != 0)
		die("wrk failed (is it installed?)");
	post_rate = wrk_rate(out, &reqs);
	done = reqs;
	/* More until ORDERS_TOTAL, for the memory figure (not timed). */
	for (int round = 1; done < ORDERS_TOTAL && round < 10; round++) {
		long secs = (long)((double)(ORDERS_TOTAL - done) /
		    (post_rate > 1 ? post_rate : 1)) + 1;

		if (secs > 60)
			secs = 60;
		if (str_printf(cmd, sizeof(cmd), "wrk -t" WRK_THREADS " -c"
		    WRK_CONNS " -d%lds -s '%s' '%s/order' -- %s-%d 2>&1", secs,
		    path, url, run_id, round) < 0 ||
		    run(cmd, out, sizeof(out)) != 0)
			die("wrk failed");
		(void)wrk_rate(out, &reqs);
		done += reqs;
	}
	rss = rss_kb(intake_pid);
	store_rate = store_order_rate();

	/* A fresh daemon (fresh rate-limit buckets) for the GETs. */
	(void)kill(intake_pid, SIGTERM);
	(void)waitpid(intake_pid, NULL, 0);
	intake_pid = spawn(argv_i, log);
	if (intake_pid < 0)
		die("fork");
	if (str_printf(path, sizeof(path), "%s/healthz", url) < 0)
		die("url");
	wait_up(path, intake_pid);

	/* GET / on the daemon, then the same page from nginx. */
	if (str_printf(cmd, sizeof(cmd), "wrk -t" WRK_THREADS " -c" WRK_CONNS
	    " -d" GET_SECONDS "s -H 'Accept-Language: fr' '%s/' 2>&1",
	    url) < 0 || run(cmd, out, sizeof(out)) != 0)
		die("wrk failed");
	get_rate = wrk_rate(out, &reqs);

	if (str_printf(path, sizeof(path), "%s/www", tmp) < 0 ||
	    mkdir(path, 0755) != 0 || chmod(tmp, 0755) != 0)
		die("cannot make the nginx root");
	if (str_printf(path, sizeof(path), "%s/www/index.html", tmp) < 0)
		die("path");
	page = fopen(path, "w");
	if (page == NULL)
		die("cannot save the page");
	rc = str_printf(nurl, sizeof(nurl), "%s/?lang=fr", url);
	if (rc < 0 || http_get(nurl, page) != 200) {
		fclose(page);
		die("cannot fetch the page");
	}
	if (fclose(page) != 0 || chmod(path, 0644) != 0)
		die("cannot save the page");
	nport = free_port();
	if (str_printf(conf, sizeof(conf),
	    "daemon off;\nworker_processes auto;\npid %s/nginx.pid;\n"
	    "error_log %s/nginx.err;\n"
	    "events { worker_connections 1024; }\n"
	    "http {\n access_log off;\n"
	    " client_body_temp_path %s/nginx-body;\n"
	    " proxy_temp_path %s/nginx-proxy;\n"
	    " fastcgi_temp_path %s/nginx-fcgi;\n"
	    " uwsgi_temp_path %s/nginx-uwsgi;\n"
	    " scgi_temp_path %s/nginx-scgi;\n"
	    " types { text/html html; }\n"
	    " server {\n  listen 127.0.0.1:%u;\n  root %s/www;\n"
	    "  location = /healthz { return 200 \"ok\\n\"; }\n"
	    "  location / { index index.html; }\n }\n}\n",
	    tmp, tmp, tmp, tmp, tmp, tmp, tmp, (unsigned)nport, tmp) < 0)
		die("nginx config too long");
	if (str_printf(path, sizeof(path), "%s/nginx.conf", tmp) < 0)
		die("path");
	write_file(path, conf);
	if (str_printf(log, sizeof(log), "%s/nginx.log", tmp) < 0)
		die("path");
	argv_n[0] = "nginx";
	argv_n[1] = "-e";
	argv_n[2] = log;
	argv_n[3] = "-c";
	argv_n[4] = path;
	argv_n[5] = NULL;
	nginx_pid = spawn(argv_n, log);
	if (nginx_pid < 0)
		die("fork");
	if (str_printf(nurl, sizeof(nurl), "http://127.0.0.1:%u/healthz",
	    (unsigned)nport) < 0)
		die("url");
	wait_up(nurl, nginx_pid);
	if (str_printf(cmd, sizeof(cmd), "wrk -t" WRK_THREADS " -c" WRK_CONNS
	    " -d" GET_SECONDS "s 'http://127.0.0.1:%u/' 2>&1",
	    (unsigned)nport) < 0 || run(cmd, out, sizeof(out)) != 0)
		die("wrk failed");
	nginx_rate = wrk_rate(out, &reqs);

	printf("intake_http %.0f orders/s\n", post_rate);
	printf("store_order %.0f orders/s\n", store_rate);
	printf("intake_http_vs_store_order %.2f ratio\n", store_rate > 0 ?
	    post_rate / store_rate : 0.0);
	printf("form_get %.0f req/s\n", get_rate);
	printf("nginx_get %.0f req/s\n", nginx_rate);
	printf("form_get_vs_nginx %.2f ratio\n", nginx_rate > 0 ?
	    get_rate / nginx_rate : 0.0);
	printf("intake_orders_done %ld orders\n", done);
	printf("intake_rss_kb %ld kB\n", rss);
	fflush(stdout);
	cleanup();
	curl_global_cleanup();
	return 0;
}
