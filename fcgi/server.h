/* The pre-forked FastCGI server (like php-fpm): the master binds the listening
 * socket (or takes it from systemd), forks web.workers workers that each accept
 * on it, restarts a worker that dies (with backoff), reloads on SIGHUP (new
 * workers start with the new configuration and templates; old ones finish their
 * current request and exit) and drains on SIGTERM/SIGINT. */
#ifndef VC_SERVER_H
#define VC_SERVER_H

#include "layout.h"
#include "registry.h"

struct cfg;
struct store;
struct tpl_set;

/* The long-lived state a worker serves from. The master loads cfg, templates and
 * assets (and owns them); a worker inherits them through fork() and opens its own
 * store connection after the fork. */
struct web_app {
	struct cfg *cfg;
	struct tpl_set *tpl;           /* NULL when the templates failed to load */
	struct layout_assets assets;
	struct store *store;           /* per worker; NULL in the master */
	unsigned generation;           /* bumped on every reload */
	long long registry_gen;        /* cfg:gen the vCenter list follows; -1 after a load */
	long long registry_checked_ms; /* when cfg:gen was last read */
	struct registry_app settings;  /* cfg:app, followed with the registry (defaults
	                                  from the file until Redis answers) */
};

/* Loads configuration, templates and assets from cfg_path into app (which must
 * be zeroed or previously loaded: a successful load replaces and frees the old
 * state; a failed one leaves it alone). Returns 0, or -1 with err. */
int web_app_load(struct web_app *app, const char *cfg_path, char *err, size_t errlen);
void web_app_free(struct web_app *app);

/* Runs the master until SIGTERM/SIGINT. Returns the exit code. */
int server_run(const char *cfg_path);

/* Serves requests on fd in this process until told to stop (used by workers, and
 * by tests that want a single process). Returns the exit code. */
int server_worker(struct web_app *app, int fd);

#endif
