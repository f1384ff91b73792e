/* The pre-forked FastCGI server (see server.h and docs/web.md "Process model").
 *
 * Master: binds the socket, forks workers, then waits in sigtimedwait() for
 * SIGCHLD (reap, respawn with backoff), SIGHUP (reload: new generation of workers,
 * old ones get SIGTERM) and SIGTERM/SIGINT (SIGTERM to all, wait, exit).
 * Worker: FCGX_Accept_r on the shared socket. SIGTERM sets a flag and closes the
 * worker's copy of the listening socket, so an idle worker leaves accept() at once
 * and a busy one finishes its request first; no accepted request is dropped. */
#include "server.h"
#include "req.h"
#include "resp.h"
#include "router.h"
#include "cfg.h"
#include "log.h"
#include "registry.h"
#include "store.h"
#include "tpl.h"

#include <errno.h>
#include <stdbool.h>
#include <fcgiapp.h>
#include <fastcgi.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#define MAX_CHILDREN 1024
#define DRAIN_TIMEOUT_MS 30000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 10000
#define BODY_DRAIN_MAX (64 << 20)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- application state ---- */

void web_app_free(struct web_app *app)
{
	if (!app)
		return;
	store_free(app->store);
	tpl_set_free(app->tpl);
	if (app->cfg) {
		cfg_free(app->cfg);
		free(app->cfg);
	}
	memset(app, 0, sizeof(*app));
}

int web_app_load(struct web_app *app, const char *cfg_path, char *err, size_t errlen)
{
	struct cfg *cfg = calloc(1, sizeof(*cfg));
	struct tpl_set *tpl;
	char terr[512];

	if (!cfg)
		abort();
	if (cfg_load(cfg, cfg_path, err, errlen) < 0) {
		free(cfg);
		return -1;
	}
	tpl = tpl_set_load(cfg->web.templates, terr, sizeof(terr));
	if (!tpl) {
		/* Keep serving: the previous templates on reload, built-in pages at start. */
		log_error("web.templates", "dir=%s error=%s", log_q(cfg->web.templates), log_q(terr));
		tpl = app->tpl;
		app->tpl = NULL;
	}
	tpl_set_free(app->tpl);
	if (app->cfg) {
		cfg_free(app->cfg);
		free(app->cfg);
	}
	app->cfg = cfg;
	app->tpl = tpl;
	app->registry_gen = -1;        /* follow the registry again from the new file */
	app->registry_checked_ms = 0;
	registry_app_defaults(&app->settings, cfg);
	layout_assets_load(&app->assets, cfg->web.static_dir);
	app->generation++;
	return 0;
}

/* ---- worker ---- */

static volatile sig_atomic_t worker_stop;
static volatile sig_atomic_t worker_fd = -1;

static void worker_on_term(int sig)
{
	int saved = errno;

	worker_stop = 1;
	FCGX_ShutdownPending();
	if (worker_fd >= 0) {
		close(worker_fd);
		worker_fd = -1;
	}
	errno = saved;
}

static void worker_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = worker_on_term;   /* no SA_RESTART: accept() must return */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Reads and drops up to BODY_DRAIN_MAX bytes of a body we refuse, so a kept-alive
 * FastCGI connection stays in step. */
static void drain_body(FCGX_Request *fr, long long len)
{
	char sink[65536];
	long long left = len < BODY_DRAIN_MAX ? len : BODY_DRAIN_MAX;
	int got;

	while (left > 0) {
		int want = left < (long long)sizeof(sink) ? (int)left : (int)sizeof(sink);
		if ((got = FCGX_GetStr(sink, want, fr->in)) <= 0)
			break;
		left -= got;
	}
}

/* Reads the POST body into the arena; 413 beyond web.max_body. */
static int read_body(struct req *r, FCGX_Request *fr)
{
	long long len = r->content_length > 0 ? r->content_length : 0;
	char *body;
	int got;

	if (len > r->app->cfg->web.max_body) {
		drain_body(fr, len);
		r->err = REQ_EBODY;
		snprintf(r->errstr, sizeof(r->errstr), "body of %lld bytes", len);
		return -1;
	}
	body = arena_alloc(&r->arena, (size_t)len + 1);
	got = len ? FCGX_GetStr(body, (int)len, fr->in) : 0;
	if (got != len) {
		r->err = REQ_EINVALID;   /* 400: the client hung up or lied */
		snprintf(r->errstr, sizeof(r->errstr), "body shorter than announced");
		return -1;
	}
	got = req_parse_body(r, body, (size_t)len);
	/* The parsed copies are all a handler sees; the raw bytes may hold a password. */
	sodium_memzero(body, (size_t)len);
	return got;
}

/* Writes all of iov[0..n), resuming after short writes. Returns 0 or -1. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
			w -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* The response as FastCGI stdout records written straight to the connection, one
 * writev per record of up to 64 KiB, instead of through libfcgi's 8 KiB stream
 * buffer: each write wakes nginx, and a table page took six. libfcgi's own stream
 * stays empty; FCGX_Finish_r() still ends the stream and the request. */
static int send_records(FCGX_Request *fr, const char *head, size_t head_len,
                        const char *body, size_t body_len)
{
	size_t total = head_len + body_len, off = 0;

	while (off < total) {
		size_t n = total - off > 65535 ? 65535 : total - off, end = off + n;
		FCGI_Header h = { FCGI_VERSION_1, FCGI_STDOUT,
		                  (unsigned char)(fr->requestId >> 8), (unsigned char)fr->requestId,
		                  (unsigned char)(n >> 8), (unsigned char)n, 0, 0 };
		struct iovec iov[3] = { { &h, sizeof(h) } };
		int k = 1;
		if (off < head_len)
			iov[k++] = (struct iovec){ (char *)head + off, (end < head_len ? end : head_len) - off };
		if (end > head_len) {
			size_t from = off > head_len ? off - head_len : 0;
			iov[k++] = (struct iovec){ (char *)body + from, end - head_len - from };
		}
		if (writev_all(fr->ipcFd, iov, k) < 0)
			return -1;
		off = end;
	}
	return 0;
}

/* Below this, libfcgi's 8 KiB buffer holds the whole answer and FCGX_Finish_r()
 * sends it with the end-of-request records in one write; above, send_records(). */
#define SEND_BUFFERED_MAX 8000

/* A file body (a report) goes out 64 KiB at a time, never whole in memory; nginx
 * buffers it (fastcgi_buffering), so a slow client does not hold the worker. */
static int send_file_body(struct req *r, FCGX_Request *fr)
{
	char chunk[65535];
	size_t got;

	while ((got = fread(chunk, 1, sizeof(chunk), r->body_file)) > 0)
		if (send_records(fr, chunk, got, NULL, 0) < 0)
			return -1;
	return 0;
}

static void send_response(struct req *r, FCGX_Request *fr)
{
	struct buf head = BUF_INIT;
	bool has_body = resp_has_body(r), file = has_body && r->body_file;
	const char *body = has_body && !file ? buf_str(&r->body) : "";
	size_t body_len = has_body && !file ? r->body.len : 0;
	int rc;

	resp_format_head(r, &head);
	if (file)
		rc = send_records(fr, head.data, head.len, NULL, 0) < 0 ? -1 : send_file_body(r, fr);
	else if (head.len + body_len <= SEND_BUFFERED_MAX)
		rc = FCGX_PutStr(head.data, (int)head.len, fr->out) < 0 ||
		     FCGX_PutStr(body, (int)body_len, fr->out) < 0 ? -1 : 0;
	else
		rc = send_records(fr, head.data, head.len, body, body_len);
	/* A failed write means nginx went away; FCGX_Finish_r() notices too. */
	if (rc < 0)
		log_info("web.write", "error=%s", log_q(strerror(errno)));
	buf_free_ex(&head, 1);   /* cookies; the body is wiped by req_reset() */
}

/* Follows the runtime vCenter registry (Settings): at most once a second, when
 * cfg:gen moved, the worker's vCenter list — login choices, scope, status bar,
 * operations — becomes the registry's, the file's list remaining the fallback. The
 * swap happens between requests, so no request sees two lists. */
static void follow_registry(struct web_app *app)
{
	long long now = now_ms(), g;
	struct cfg_vcenter *list = NULL;
	size_t n = 0;
	char err[256];

	if (now - app->registry_checked_ms < 1000)
		return;
	app->registry_checked_ms = now;
	g = registry_gen(app->store);
	if (g < 0 || g == app->registry_gen)
		return;
	if (registry_vcenters_merged(app->store, app->cfg, &list, &n, err, sizeof(err)) < 0) {
		log_warn("worker.registry", "error=%s", log_q(err));
		return;
	}
	registry_vcenters_free(app->cfg->vcenters, app->cfg->n_vcenters);
	app->cfg->vcenters = list;
	app->cfg->n_vcenters = n;
	/* The application settings (session timeout, page size, default theme) move
	 * with the same generation; on an error the defaults of the file apply. */
	if (registry_load_app(app->store, app->cfg, &app->settings, err, sizeof(err)) < 0)
		log_warn("worker.app_settings", "error=%s", log_q(err));
	app->registry_gen = g;
	log_debug("worker.registry_followed", "gen=%lld vcenters=%zu", g, n);
}

static void serve(struct req *r, FCGX_Request *fr)
{
	long long t0 = now_ms();

	r->now = (long long)time(NULL);
	if (req_parse_env(r, fr->envp) < 0 ||
	    (r->method == REQ_POST && read_body(r, fr) < 0)) {
		log_info("web.bad_request", "path=%s error=%s", log_q(r->path ? r->path : ""),
		         log_q(r->errstr));
		resp_error(r, req_err_status(r->err), "Bad request",
		           r->err == REQ_EBODY ? "The request was too large."
		                               : "The request could not be read.");
	} else {
		router_dispatch(r);
	}
	send_response(r, fr);
	log_info("http", "method=%s path=%s status=%d ms=%lld ip=%s",
	         log_q(r->method_name ? r->method_name : "-"), log_q(r->path ? r->path : "-"),
	         r->status, now_ms() - t0, log_q(r->client_ip ? r->client_ip : "-"));
}

int server_worker(struct web_app *app, int fd)
{
	FCGX_Request fr;
	struct req r;
	char err[256];

	worker_fd = fd;
	worker_signals();
	app->store = store_open(app->cfg, STORE_WEB, err, sizeof(err));
	if (!app->store) {
		log_error("worker.store", "error=%s", log_q(err));
		return 1;
	}
	/* The runtime registry starts as the file's vCenters; only a missing one is
	 * written, so every worker may try (Redis down now: the Settings pages retry). */
	if (registry_seed(app->store, app->cfg, err, sizeof(err)) < 0)
		log_warn("worker.registry_seed", "error=%s", log_q(err));
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_error("worker.fcgi_init", NULL);
		return 1;
	}
	req_init(&r, app);
	while (!worker_stop) {
		if (FCGX_Accept_r(&fr) < 0) {
			if (worker_stop || errno == EINTR)
				continue;
			log_error("worker.accept", "error=%s", log_q(strerror(errno)));
			break;
		}
		follow_registry(app);
		serve(&r, &fr);
		FCGX_Finish_r(&fr);
		req_reset(&r);
	}
	req_free(&r);
	FCGX_Free(&fr, 1);
	return worker_stop ? 0 : 1;
}

/* ---- listening socket ---- */

/* systemd socket activation: LISTEN_PID is us and LISTEN_FDS >= 1: fd 3. */
static int listen_inherited(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (!pid || !fds || atol(pid) != (long)getpid() || atoi(fds) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 3;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "web.listen: socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);   /* left by a previous run */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0660) < 0 || listen(fd, 1024) < 0) {
		snprintf(err, errlen, "web.listen: cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int listen_tcp(const char *spec, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_PASSIVE }, *ai = NULL;
	int fd = -1, one = 1, rc;
	size_t hl;

	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host)) {
		snprintf(err, errlen, "web.listen: want \"unix:/path\" or \"host:port\", got %s", spec);
		return -1;
	}
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && spec[hl - 1] == ']')   /* [::1]:9000 */
		snprintf(host, sizeof(host), "%.*s", (int)(hl - 2), spec + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hl, spec);
	rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0) {
		snprintf(err, errlen, "web.listen: %s: %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		snprintf(err, errlen, "web.listen: cannot listen on %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int listen_open(const char *spec, char *err, size_t errlen)
{
	int fd = listen_inherited();

	if (fd >= 0)
		return fd;
	if (!strncmp(spec, "systemd:", 8)) {
		snprintf(err, errlen, "LISTEN_FDS is set but LISTEN_PID is not this process");
		return -1;
	}
	if (!strncmp(spec, "unix:", 5))
		return listen_unix(spec + 5, err, errlen);
	return listen_tcp(spec, err, errlen);
}

/* ---- master ---- */

struct child {
	pid_t pid;
	unsigned gen;
	long long started_ms;
};

struct master {
	struct web_app app;
	const char *cfg_path;
	char *listen_spec;         /* what the socket was bound from */
	int fd;
	bool owns_path;            /* we bound a unix socket path: unlink it at exit */
	struct child kids[MAX_CHILDREN];
	size_t n_kids;
	int backoff_ms;
	long long next_spawn_ms;
	int stopping;
	long long drain_deadline_ms;
};

static size_t live_workers(const struct master *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_kids; i++)
		n += m->kids[i].gen == m->app.generation;
	return n;
}

static void spawn(struct master *m)
{
	pid_t pid;

	if (m->n_kids >= MAX_CHILDREN)
		return;
	pid = fork();
	if (pid < 0) {
		log_error("master.fork", "error=%s", log_q(strerror(errno)));
		m->next_spawn_ms = now_ms() + m->backoff_ms;
		return;
	}
	if (pid == 0) {
		int rc = server_worker(&m->app, m->fd);
		web_app_free(&m->app);
		free(m->listen_spec);
		exit(rc);   /* not _exit: leak checkers and atexit handlers run in workers too */
	}
	m->kids[m->n_kids++] = (struct child){ pid, m->app.generation, now_ms() };
	log_info("master.worker_started", "pid=%ld gen=%u", (long)pid, m->app.generation);
}

static void spawn_missing(struct master *m)
{
	while (!m->stopping && live_workers(m) < (size_t)m->app.cfg->web.workers &&
	       now_ms() >= m->next_spawn_ms && m->n_kids < MAX_CHILDREN)
		spawn(m);
}

/* A current worker that dies is replaced; one that dies young doubles the delay
 * before the next start, so a crash loop does not spin. */
static void reaped(struct master *m, struct child c, int status)
{
	bool expected = m->stopping || c.gen != m->app.generation;
	long long lived = now_ms() - c.started_ms;

	if (expected && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("master.worker_exited", "pid=%ld gen=%u", (long)c.pid, c.gen);
		return;
	}
	log_warn("master.worker_died", "pid=%ld gen=%u status=%d signal=%d lived_ms=%lld",
	         (long)c.pid, c.gen, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	         WIFSIGNALED(status) ? WTERMSIG(status) : 0, lived);
	if (expected)
		return;
	if (lived < 2000)
		m->backoff_ms = m->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : m->backoff_ms * 2;
	else
		m->backoff_ms = BACKOFF_MIN_MS;
	m->next_spawn_ms = now_ms() + (lived < 2000 ? m->backoff_ms : 0);
}

static void reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < m->n_kids; i++) {
			if (m->kids[i].pid != pid)
				continue;
			struct child c = m->kids[i];
			m->kids[i] = m->kids[--m->n_kids];
			reaped(m, c, status);
			break;
		}
	}
}

static void signal_kids(struct master *m, int sig, bool old_only)
{
	for (size_t i = 0; i < m->n_kids; i++)
		if (!old_only || m->kids[i].gen != m->app.generation)
			kill(m->kids[i].pid, sig);
}

static void reload(struct master *m)
{
	char err[512];

	if (web_app_load(&m->app, m->cfg_path, err, sizeof(err)) < 0) {
		log_error("master.reload_failed", "error=%s", log_q(err));
		return;
	}
	if (strcmp(m->app.cfg->web.listen, m->listen_spec) && strncmp(m->listen_spec, "systemd:", 8))
		log_warn("master.listen_changed", "bound=%s wanted=%s note=\"restart to move the socket\"",
		         log_q(m->listen_spec), log_q(m->app.cfg->web.listen));
	log_info("master.reloaded", "gen=%u workers=%d", m->app.generation, m->app.cfg->web.workers);
	/* New workers first, then the old ones finish their request and leave. */
	m->next_spawn_ms = 0;
	spawn_missing(m);
	signal_kids(m, SIGTERM, true);
}

static void stop(struct master *m, int sig)
{
	if (m->stopping)
		return;
	log_info("master.stopping", "signal=%d workers=%zu", sig, m->n_kids);
	m->stopping = 1;
	m->drain_deadline_ms = now_ms() + DRAIN_TIMEOUT_MS;
	signal_kids(m, SIGTERM, false);
}

static void on_chld(int sig)
{
	(void)sig;   /* only to make SIGCHLD deliverable to sigtimedwait */
}

static int master_loop(struct master *m)
{
	sigset_t set;
	struct sigaction sa = { .sa_handler = on_chld };

	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		int sig;

		reap(m);
		if (m->stopping && m->n_kids == 0)
			return 0;
		if (m->stopping && now_ms() > m->drain_deadline_ms) {
			log_warn("master.drain_timeout", "workers=%zu", m->n_kids);
			signal_kids(m, SIGKILL, false);
		}
		spawn_missing(m);
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGHUP && !m->stopping)
			reload(m);
		else if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
			stop(m, sig);
	}
}

int server_run(const char *cfg_path)
{
	static struct master m;   /* large; static keeps it off the stack */
	char err[512];
	int rc;

	m.cfg_path = cfg_path;
	m.backoff_ms = BACKOFF_MIN_MS;
	if (web_app_load(&m.app, cfg_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "vcompanion-web: %s\n", err);
		return 1;
	}
	m.listen_spec = strdup(m.app.cfg->web.listen);
	if (getenv("LISTEN_FDS")) {   /* taken from systemd: say so in the logs */
		free(m.listen_spec);
		m.listen_spec = strdup("systemd:fd3");
	}
	m.owns_path = !strncmp(m.listen_spec, "unix:", 5);
	m.fd = listen_open(m.listen_spec, err, sizeof(err));
	if (m.fd < 0) {
		fprintf(stderr, "vcompanion-web: %s\n", err);
		web_app_free(&m.app);
		free(m.listen_spec);
		return 1;
	}
	log_info("master.started", "listen=%s workers=%d pid=%ld", log_q(m.listen_spec),
	         m.app.cfg->web.workers, (long)getpid());
	rc = master_loop(&m);
	close(m.fd);
	if (m.owns_path)
		unlink(m.listen_spec + 5);
	log_info("master.stopped", NULL);
	web_app_free(&m.app);
	free(m.listen_spec);
	return rc;
}
