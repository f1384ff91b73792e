/* vcompanion-collector: polls every configured vCenter concurrently and writes the
 * sealed inventory to Redis. A main thread schedules (interval with jitter,
 * exponential backoff after failures, refresh requests from the web tier) and a
 * fixed pool of worker threads runs polls, each with its own Redis connection, so a
 * slow or dead vCenter occupies one worker and delays no other. docs/collector.md
 * explains the choice of threads over one libcurl multi loop. The main thread also
 * takes and renews the vCenters' leases (lease.h): only a vCenter whose lease this
 * process holds is polled, so several collectors can run against one Redis. */
#include "cfg.h"
#include "json_arena.h"
#include "lease.h"
#include "log.h"
#include "poll.h"
#include "registry.h"
#include "rekey.h"
#include "store.h"
#include "vc.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS 200
#define REFRESH_KEY "cmd:refresh"

#define LOGOUT_MS 2000         /* all logouts at exit share this budget */
#define LEASE_RETRY_MS 1000    /* a lease held elsewhere is tried again this often */

static volatile sig_atomic_t got_term, got_hup;

struct collector {
	struct cfg cfg;
	const char *config_path;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct poll_target **targets;
	size_t n_targets;
	struct poll_target **queue;    /* due targets waiting for a worker */
	size_t q_len, q_cap;
	struct poll_target **retired;  /* removed by a reload while polling */
	size_t n_retired;
	const char *only;              /* --vcenter ID, kept across reloads */
	pthread_t *workers;
	int n_workers;
	int stopping;
	int shutting;                  /* shutdown began: abort flags belong to it */
	char owner[LEASE_OWNER_MAX];   /* this process in lease values */
	int once;                      /* --once: count finished polls and failures */
	size_t finished, failed;
	struct store *store;           /* main thread's connection: refresh requests */
	long long last_refresh;
	long long cfg_gen;             /* cfg:gen of the vCenter list in use; -1: file's */
	long long purge_seen;          /* cmd:purge:gen already handled; -1: none read */
	long long reseal_seen;         /* cmd:reseal already handled; -1: none read */
	unsigned keys_gen;             /* bumped by a reload: workers reload the key ring */
	char key_file[4096];           /* the key file of the last reload, under lock */
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void enqueue(struct collector *c, struct poll_target *t)
{
	if (t->running)
		return;
	if (c->q_len == c->q_cap) {
		c->q_cap = c->q_cap ? c->q_cap * 2 : 16;
		c->queue = realloc(c->queue, c->q_cap * sizeof(*c->queue));
	}
	t->running = 1;
	c->queue[c->q_len++] = t;
	pthread_cond_signal(&c->work);
}

static void log_outcome(const struct poll_target *t, const struct poll_result *res)
{
	if (res->ok)
		log_info("poll.done", "vcenter=%s ms=%lld vms=%zu hosts=%zu", t->vc.id,
		         (long long)res->duration_ms, res->vms, res->hosts);
	else
		log_warn("poll.failed", "vcenter=%s ms=%lld code=%s failures=%d error=%s retry_s=%lld",
		         t->vc.id, (long long)res->duration_ms, log_q(vc_strerror(res->code)),
		         res->failures, log_q(res->error),
		         (long long)(res->next_due_ms - vc_now_ms()) / 1000);
}

static void unretire(struct collector *c, const struct poll_target *t)
{
	for (size_t i = 0; i < c->n_retired; i++)
		if (c->retired[i] == t) {
			c->retired[i] = c->retired[--c->n_retired];
			return;
		}
}

/* Applies an outcome under the lock. Returns t when the caller must free it (it was
 * removed by a reload meanwhile): freeing logs out, which must not hold the lock. */
static struct poll_target *finish(struct collector *c, struct poll_target *t,
                                  const struct poll_result *res)
{
	t->failures = res->failures;
	t->next_due_ms = res->next_due_ms;
	t->running = 0;
	log_outcome(t, res);
	c->finished++;
	c->failed += !res->ok;
	pthread_cond_broadcast(&c->done);
	if (t->removed != 1) {
		if (atomic_load(&t->drop_model) && !c->shutting)
			enqueue(c, t);   /* the lease went while polling: the drop runs next */
		return NULL;
	}
	unretire(c, t);
	return t;
}

/* A queued drop (lease lost): log out and drop the model, outside the lock. Called
 * and returns with the lock held. */
static void drop_target(struct collector *c, struct poll_target *t)
{
	int shutting = c->shutting;

	if (!shutting)
		atomic_store(&t->abort, 0);   /* set to stop the poll that lost the lease */
	pthread_mutex_unlock(&c->lock);
	if (!shutting)
		poll_target_forget(t);
	log_info("lease.dropped", "vcenter=%s", t->vc.id);
	pthread_mutex_lock(&c->lock);
	t->running = 0;
	if (t->removed == 1) {
		unretire(c, t);
		pthread_mutex_unlock(&c->lock);
		poll_target_free(t);
		pthread_mutex_lock(&c->lock);
	}
}

static void *worker_main(void *arg)
{
	struct collector *c = arg;
	char err[256], key_file[sizeof(c->key_file)];
	struct store *s = store_open(&c->cfg, STORE_COLLECTOR, err, sizeof(err));
	unsigned keys_gen = 0;

	if (!s)
		log_error("worker.store", "error=%s", log_q(err));
	pthread_mutex_lock(&c->lock);
	keys_gen = c->keys_gen;
	for (;;) {
		struct poll_target *t;
		struct poll_result res;
		while (!c->stopping && c->q_len == 0)
			pthread_cond_wait(&c->work, &c->lock);
		if (c->stopping)
			break;
		if (s && keys_gen != c->keys_gen) {
			/* a reload after a key rotation: seal with the new first key from now on */
			char kerr[256];
			keys_gen = c->keys_gen;
			snprintf(key_file, sizeof(key_file), "%s", c->key_file);
			if (store_reload_keys(s, key_file, kerr, sizeof(kerr)))
				log_error("worker.keys", "error=%s", log_q(kerr));
		}
		t = c->queue[0];
		memmove(c->queue, c->queue + 1, --c->q_len * sizeof(*c->queue));
		if (atomic_exchange(&t->drop_model, 0)) {
			drop_target(c, t);
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		if (s) {
			poll_run(t, s, &res);
			if (atomic_exchange(&t->reseal, 0)) {
				char pattern[CFG_ID_MAX + 16];
				unsigned long done = 0;
				int rc;
				snprintf(pattern, sizeof(pattern), "vc:{%s}:*", t->vc.id);
				rc = rekey_all(s, pattern, &done);
				log_info("collector.resealed", "vcenter=%s keys=%lu ok=%d", t->vc.id, done, rc == 0);
			}
		} else {
			memset(&res, 0, sizeof(res));
			snprintf(res.error, sizeof(res.error), "no Redis store: %s", err);
			res.failures = t->failures + 1;
			res.next_due_ms = poll_next_due(t->vc.interval, res.failures, VC_EINVAL, vc_now_ms());
		}
		pthread_mutex_lock(&c->lock);
		t = finish(c, t, &res);
		if (t) {
			pthread_mutex_unlock(&c->lock);
			poll_target_free(t);
			pthread_mutex_lock(&c->lock);
		}
	}
	pthread_mutex_unlock(&c->lock);
	store_free(s);
	return NULL;
}

static struct poll_target *find_target(struct collector *c, const char *id)
{
	for (size_t i = 0; i < c->n_targets; i++)
		if (!strcmp(c->targets[i]->vc.id, id))
			return c->targets[i];
	return NULL;
}

static void retire(struct collector *c, struct poll_target *t)
{
	struct poll_target **r = realloc(c->retired, (c->n_retired + 1) * sizeof(*r));

	if (!r)
		abort();
	c->retired = r;
	c->retired[c->n_retired++] = t;
	t->removed = 1;
}

/* Builds the target list for cfg, keeping the targets (and sessions) of vCenters
 * whose endpoint and account did not change. Called with the lock held. */
static void set_targets(struct collector *c, const struct cfg *cfg, const char *only)
{
	struct poll_target **next = calloc(cfg->n_vcenters + 1, sizeof(*next));
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_vcenters; i++) {
		const struct cfg_vcenter *v = &cfg->vcenters[i];
		struct poll_target *t = find_target(c, v->id);
		if (only && strcmp(only, v->id))
			continue;
		if (t && poll_target_same(t, v) && !t->removed) {
			t->vc.interval = v->interval;
			t->page_size = cfg->collector.page_size;
			t->connections = cfg->collector.connections;
			t->timeout_s = cfg->collector.timeout;
			t->removed = -1;     /* kept: mark so the sweep below skips it */
			if (t->last_code == VC_EFAULT_LOGIN)
				t->next_due_ms = 0;   /* the operator may have fixed the password */
		} else {
			t = poll_target_new(v, cfg);
			if (!t) {
				log_error("collector.vcenter_skipped", "vcenter=%s error=%s", v->id,
				          log_q("out of memory"));
				continue;
			}
			if (c->store)
				poll_target_restore(t, c->store);
		}
		next[n++] = t;
	}
	for (size_t i = 0; i < c->n_targets; i++) {
		struct poll_target *t = c->targets[i];
		if (t->removed == -1) {
			t->removed = 0;
			continue;
		}
		log_info("collector.vcenter_removed", "vcenter=%s", t->vc.id);
		if (c->store && lease_held(&t->lease) && lease_release(c->store, &t->lease))
			log_warn("lease.release_failed", "vcenter=%s error=%s", t->vc.id, log_q(c->store->errstr));
		if (t->running)
			retire(c, t);        /* its worker frees it when the poll ends */
		else
			poll_target_free(t);
	}
	free(c->targets);
	c->targets = next;
	c->n_targets = n;
}

/* Points the targets at the runtime registry (Settings) when Redis has one, else
 * at base's vCenters from the file. */
static void targets_from_registry(struct collector *c, const struct cfg *base)
{
	struct cfg_vcenter *list = NULL;
	long long g = c->store ? registry_gen(c->store) : -1;
	struct cfg view = *base;
	char err[256] = "";
	size_t n = 0;
	int rc = c->store ? registry_vcenters_merged(c->store, base, &list, &n, err, sizeof(err)) : -1;

	if (rc >= 0) {
		view.vcenters = list;
		view.n_vcenters = n;
	} else {
		log_warn("collector.registry", "error=%s fallback=%s", log_q(err), log_q("the file's vCenters"));
	}
	pthread_mutex_lock(&c->lock);
	set_targets(c, &view, c->only);
	pthread_mutex_unlock(&c->lock);
	registry_vcenters_free(list, n);
	if (rc >= 0 && g >= 0)
		c->cfg_gen = g;
}

/* Settings changed in the web tier bump cfg:gen: follow them without a restart. */
static void follow_registry(struct collector *c)
{
	long long g = c->store ? registry_gen(c->store) : -1;

	if (g < 0 || g == c->cfg_gen)
		return;
	targets_from_registry(c, &c->cfg);
	log_info("collector.registry_followed", "gen=%lld vcenters=%zu", g, c->n_targets);
}

/* A purge requested in the web tier (cmd:purge): the web ACL user cannot delete
 * inventory, so the collector deletes it and polls those vCenters at once. */
static void take_purge(struct collector *c)
{
	char **ids = NULL, err[256];
	size_t n = 0;

	if (!c->store || registry_take_purge(c->store, &c->purge_seen, &ids, &n, err, sizeof(err)) != 1)
		return;
	for (size_t i = 0; i < n; i++) {
		int rc = registry_purge_vcenter(c->store, ids[i]);
		log_info("collector.purged", "vcenter=%s ok=%d", ids[i], rc == 0);
		pthread_mutex_lock(&c->lock);
		struct poll_target *t = find_target(c, ids[i]);
		if (t) {
			atomic_store(&t->resync, 1);
			t->next_due_ms = 0;
		}
		pthread_mutex_unlock(&c->lock);
	}
	registry_ids_free(ids, n);
}

static void reload(struct collector *c)
{
	struct cfg fresh;
	char err[512];

	if (cfg_load(&fresh, c->config_path, err, sizeof(err))) {
		log_error("collector.reload_failed", "error=%s", log_q(err));
		return;
	}
	if (c->only && !cfg_vcenter_find(&fresh, c->only))
		log_warn("collector.reload", "vcenter=%s error=%s", c->only,
		         log_q("no longer in the configuration: nothing left to poll"));
	targets_from_registry(c, &fresh);
	/* workers read c->cfg only at start (store_open); the swap is safe after the lock.
	 * The key ring is reloaded too (a rotation): here and by each worker before its
	 * next poll. */
	pthread_mutex_lock(&c->lock);
	cfg_free(&c->cfg);
	c->cfg = fresh;
	snprintf(c->key_file, sizeof(c->key_file), "%s", c->cfg.key_file);
	c->keys_gen++;
	pthread_mutex_unlock(&c->lock);
	if (c->store && store_reload_keys(c->store, c->key_file, err, sizeof(err)))
		log_error("collector.keys", "error=%s", log_q(err));
	log_info("collector.reloaded", "vcenters=%zu", c->n_targets);
}

/* After a key rotation the web tier bumps cmd:reseal: every vCenter this collector
 * polls gets its values still sealed with an older key sealed again with the first
 * one, in place (rekey.c; a concurrent write wins), by the worker of its next poll —
 * made due now — so the scheduler keeps renewing leases meanwhile, and only the
 * lease holder does it. At start, any re-seal ever requested is done once more (a
 * request made while no collector ran is not lost; values already current cost one
 * GETRANGE each). */
static void check_reseal(struct collector *c)
{
	long long v = c->store ? store_counter(c->store, REKEY_RESEAL_KEY) : -1;

	if (v < 0 || v == c->reseal_seen)
		return;
	if (v > 0) {
		log_info("collector.reseal_requested", "counter=%lld", v);
		pthread_mutex_lock(&c->lock);
		for (size_t i = 0; i < c->n_targets; i++) {
			atomic_store(&c->targets[i]->reseal, 1);
			c->targets[i]->next_due_ms = 0;
		}
		pthread_mutex_unlock(&c->lock);
	}
	c->reseal_seen = v;
}

/* A web request to refresh now bumps the plain counter cmd:refresh; every target
 * becomes due, except one whose login was refused (retrying a wrong password on
 * demand could lock the service account out; a reload retries it). The first
 * reading is only the baseline. */
static void check_refresh(struct collector *c)
{
	long long v = c->store ? store_counter(c->store, REFRESH_KEY) : -1;

	if (v < 0 || v == c->last_refresh)
		return;
	if (c->last_refresh >= 0) {
		log_info("collector.refresh_requested", "counter=%lld", v);
		pthread_mutex_lock(&c->lock);
		for (size_t i = 0; i < c->n_targets; i++)
			if (c->targets[i]->last_code != VC_EFAULT_LOGIN || !c->targets[i]->failures)
				c->targets[i]->next_due_ms = 0;
		pthread_mutex_unlock(&c->lock);
	}
	c->last_refresh = v;
}

/* Queues a poll of a target whose lease this process holds, with the value its
 * write is fenced with. Called with the lock held. */
static void enqueue_poll(struct collector *c, struct poll_target *t)
{
	if (t->running || !lease_held(&t->lease))
		return;
	memcpy(t->fence, t->lease.value, sizeof(t->fence));
	enqueue(c, t);
}

static void schedule(struct collector *c)
{
	int64_t now = vc_now_ms();

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n_targets; i++)
		if (c->targets[i]->next_due_ms <= now)
			enqueue_poll(c, c->targets[i]);
	pthread_mutex_unlock(&c->lock);
}

/* ---- leases: taken, renewed and given up by this (the scheduler) thread ---- */

/* The lease is gone (taken, expired, or a write was fenced): stop a running poll
 * and queue the drop of the session and model. */
static void lease_gone(struct collector *c, struct poll_target *t, const char *why)
{
	lease_clear(&t->lease);
	t->lease_try_ms = vc_now_ms() + LEASE_RETRY_MS;
	log_warn("lease.lost", "vcenter=%s reason=%s", t->vc.id, why);
	pthread_mutex_lock(&c->lock);
	atomic_store(&t->drop_model, 1);
	if (t->running)
		atomic_store(&t->abort, 1);
	else
		enqueue(c, t);
	pthread_mutex_unlock(&c->lock);
}

static void lease_take(struct collector *c, struct poll_target *t, int ttl, int64_t now)
{
	int rc = lease_acquire(c->store, &t->lease, c->owner, ttl, now);

	if (rc != 1) {
		if (rc < 0)
			log_debug("lease.acquire_failed", "vcenter=%s error=%s", t->vc.id, log_q(c->store->errstr));
		t->lease_try_ms = now + LEASE_RETRY_MS;
		return;
	}
	log_info("lease.acquired", "vcenter=%s token=%lld ttl_ms=%d", t->vc.id, t->lease.token, ttl);
	atomic_store(&t->taken_over, 1);
	pthread_mutex_lock(&c->lock);
	t->next_due_ms = 0;
	pthread_mutex_unlock(&c->lock);
}

static void lease_keep(struct collector *c, struct poll_target *t, int ttl, int64_t now)
{
	int rc = lease_renew(c->store, &t->lease, ttl, now);

	if (rc == 1)
		return;
	if (rc == 0) {
		lease_gone(c, t, "taken");
	} else if (now >= t->lease.expires_ms) {
		lease_gone(c, t, "expired");   /* Redis unreachable for a whole lease time */
	} else {
		log_warn("lease.renew_failed", "vcenter=%s error=%s", t->vc.id, log_q(c->store->errstr));
		t->lease.renew_due_ms = now + LEASE_RETRY_MS;
	}
}

/* Every tick: renew what is due (a third of the lease time), take what is free. */
static void leases_tick(struct collector *c)
{
	int ttl = c->cfg.collector.lease_ms;

	if (!c->store)
		return;
	for (size_t i = 0; i < c->n_targets; i++) {
		struct poll_target *t = c->targets[i];
		int64_t now = vc_now_ms();
		if (atomic_exchange(&t->fenced, 0) && lease_held(&t->lease)) {
			/* a no-op when another collector holds it; frees it for a new holding
			 * when the write only met our own renewals three times */
			lease_release(c->store, &t->lease);
			lease_gone(c, t, "fenced");
		}
		else if (lease_held(&t->lease) && now >= t->lease.renew_due_ms)
			lease_keep(c, t, ttl, now);
		else if (!lease_held(&t->lease) && now >= t->lease_try_ms)
			lease_take(c, t, ttl, now);
	}
}

/* At exit, after the workers stopped writing: another collector takes over at once. */
static void leases_release(struct collector *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_targets; i++) {
		if (!lease_held(&c->targets[i]->lease))
			continue;
		if (lease_release(c->store, &c->targets[i]->lease))
			log_warn("lease.release_failed", "vcenter=%s error=%s", c->targets[i]->vc.id,
			         log_q(c->store->errstr));
		else
			n++;
	}
	log_info("lease.released", "leases=%zu", n);
}

static void start_workers(struct collector *c, int n)
{
	c->n_workers = n;
	c->workers = calloc((size_t)n, sizeof(*c->workers));
	for (int i = 0; i < n; i++)
		pthread_create(&c->workers[i], NULL, worker_main, c);
}

static void stop_workers(struct collector *c)
{
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < c->n_workers; i++)
		pthread_join(c->workers[i], NULL);
	free(c->workers);
}

/* Under c->lock: until a poll finishes (finish() broadcasts) or ms pass, so --once
 * exits as soon as its last poll is done instead of at the next tick. */
static void wait_done(struct collector *c, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&c->done, &c->lock, &ts);
}

/* --once: each vCenter is polled as soon as its lease is taken; one still held by
 * another collector after a lease time (it may have died without releasing) counts
 * as a failure. */
static int run_once(struct collector *c)
{
	size_t total = c->n_targets, skipped = 0, finished = 0;
	char *started = calloc(total + 1, 1);
	int64_t give_up = vc_now_ms() + c->cfg.collector.lease_ms + 2 * LEASE_RETRY_MS;
	int failed;

	/* the loop keeps renewing the leases while polls run */
	while (finished + skipped < total && !got_term) {
		leases_tick(c);
		pthread_mutex_lock(&c->lock);
		for (size_t i = 0; i < total; i++) {
			struct poll_target *t = c->targets[i];
			if (started[i] || (!lease_held(&t->lease) && vc_now_ms() < give_up))
				continue;
			started[i] = 1;
			if (lease_held(&t->lease)) {
				enqueue_poll(c, t);
			} else {
				log_warn("lease.held_elsewhere", "vcenter=%s", t->vc.id);
				skipped++;
			}
		}
		finished = c->finished;
		if (finished + skipped < total)
			wait_done(c, TICK_MS);
		finished = c->finished;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_lock(&c->lock);
	failed = c->failed || skipped || c->finished + skipped < total;
	pthread_mutex_unlock(&c->lock);
	free(started);
	return failed ? 1 : 0;
}

static int run_daemon(struct collector *c)
{
	int64_t last_refresh_check = 0;

	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(c);
		}
		if (vc_now_ms() - last_refresh_check >= 1000) {
			check_refresh(c);
			follow_registry(c);
			take_purge(c);
			check_reseal(c);
			last_refresh_check = vc_now_ms();
		}
		leases_tick(c);
		schedule(c);
		usleep(TICK_MS * 1000);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vcompanion-collector -c FILE [--once] [--vcenter ID] [--debug]\n"
	           "  Polls every configured vCenter and writes the sealed inventory to Redis.\n"
	           "  --once        poll each (or one) vCenter once; exit 0 if all succeeded, 1 otherwise\n"
	           "  --vcenter ID  only this vCenter\n"
	           "  --debug       debug logging (per request timings)\n"
	           "  Signals: SIGHUP reloads the configuration, SIGTERM stops within 5 s.\n");
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Stops in-flight polls (their requests end within about a second), then logs every
 * session out within one shared LOGOUT_MS budget, so exit takes a few seconds at most. */
static void shutdown_all(struct collector *c)
{
	int64_t deadline;

	pthread_mutex_lock(&c->lock);
	c->shutting = 1;
	for (size_t i = 0; i < c->n_targets; i++)
		atomic_store(&c->targets[i]->abort, 1);
	for (size_t i = 0; i < c->n_retired; i++)
		atomic_store(&c->retired[i]->abort, 1);
	pthread_mutex_unlock(&c->lock);
	stop_workers(c);
	for (size_t i = 0; i < c->n_retired; i++)
		poll_target_free(c->retired[i]);   /* queued, never started */
	leases_release(c);
	deadline = vc_now_ms() + LOGOUT_MS;
	for (size_t i = 0; i < c->n_targets; i++) {
		atomic_store(&c->targets[i]->abort, 0);
		poll_target_logout(c->targets[i], deadline);
		poll_target_free(c->targets[i]);
	}
	free(c->targets);
	free(c->retired);
	free(c->queue);
	store_free(c->store);
	cfg_free(&c->cfg);
}

/* glibc's allocator as the collector is measured with (docs/performance.md, "Page
 * faults"): an arena per worker (up to eight), each heap grown 32 MB at a time and
 * backed by transparent huge pages. A poll builds tens of MB of small values; with
 * 4 KB pages each new page of heap is a page fault, and on a virtual machine the
 * faults alone cost a quarter of a poll's CPU. glibc reads these settings only from the
 * environment at start, so the collector runs itself again once with them -- unless
 * GLIBC_TUNABLES is set already (the administrator's choice wins, and the second run
 * sees its own). The systemd unit sets the same value (test-collector compares them),
 * which spares the daemon the second start: loading libcurl's forty libraries costs
 * about 650 page faults, 20 ms. A failed exec changes nothing. */
#define ALLOC_TUNABLES "glibc.malloc.hugetlb=1:glibc.malloc.arena_max=8:glibc.malloc.top_pad=33554432"

static void tune_allocator(char **argv)
{
	char self[4096];
	ssize_t n;

	if (getenv("GLIBC_TUNABLES"))
		return;
	/* the binary's own path, not /proc/self/exe: the process keeps its name (ps,
	 * pgrep, the journal) */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || setenv("GLIBC_TUNABLES", ALLOC_TUNABLES, 1))
		return;
	self[n] = '\0';
	execv(self, argv);
	unsetenv("GLIBC_TUNABLES");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' }, { "once", no_argument, 0, 'o' },
		{ "vcenter", required_argument, 0, 'v' }, { "debug", no_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' }, { "version", no_argument, 0, 'V' }, { 0, 0, 0, 0 },
	};
	struct collector c = { .lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER,
	                       .done = PTHREAD_COND_INITIALIZER, .last_refresh = -1,
	                       .cfg_gen = -1, .purge_seen = -1, .reseal_seen = -1 };
	const char *only = NULL;
	int opt, debug = 0, rc;
	char err[512];

	tune_allocator(argv);
	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': c.config_path = optarg; break;
		case 'o': c.once = 1; break;
		case 'v': only = optarg; break;
		case 'd': debug = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vcompanion-collector %s\n", VC_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!c.config_path || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* before any thread: the VMs' short-lived values come from chunks (json_arena.h);
	 * without the reserved range jansson simply keeps malloc */
	if (json_arena_install())
		fprintf(stderr, "collector: no address range for json_arena, using malloc\n");
	if (cfg_load(&c.cfg, c.config_path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	log_init("collector", debug ? LOG_DEBUG : !strcmp(c.cfg.log.level, "debug") ? LOG_DEBUG :
	         !strcmp(c.cfg.log.level, "warn") ? LOG_WARN : !strcmp(c.cfg.log.level, "error") ? LOG_ERROR : LOG_INFO);
	if (only && !cfg_vcenter_find(&c.cfg, only)) {
		fprintf(stderr, "vcompanion-collector: no vCenter with id '%s' in %s\n", only, c.config_path);
		cfg_free(&c.cfg);
		return 1;
	}
	if (vc_global_init()) {
		fprintf(stderr, "vcompanion-collector: cannot initialise libsodium\n");
		cfg_free(&c.cfg);
		return 1;
	}
	c.store = store_open(&c.cfg, STORE_COLLECTOR, err, sizeof(err));
	if (!c.store) {
		fprintf(stderr, "vcompanion-collector: %s\n", err);
		cfg_free(&c.cfg);
		return 1;
	}
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	install_signals();
	c.only = only;
	lease_owner_id(c.owner, sizeof(c.owner));
	targets_from_registry(&c, &c.cfg);
	log_info("collector.start", "vcenters=%zu workers=%d once=%d owner=%s lease_ms=%d", c.n_targets,
	         c.cfg.collector.concurrency, c.once, log_q(c.owner), c.cfg.collector.lease_ms);
	/* --once needs no more workers than vCenters; the daemon starts them all, since a
	 * reload may add vCenters (idle workers cost a stack; Redis connects lazily) */
	start_workers(&c, c.once && (int)c.n_targets < c.cfg.collector.concurrency
	                  ? (c.n_targets ? (int)c.n_targets : 1) : c.cfg.collector.concurrency);
	rc = c.once ? run_once(&c) : run_daemon(&c);
	shutdown_all(&c);
	log_info("collector.stop", "rc=%d", rc);
	return rc;
}
