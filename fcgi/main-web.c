/* vcompanion-web: the FastCGI daemon. Parses the command line and hands over to
 * the pre-forked server (server.c). */
#include "server.h"
#include "cfg.h"
#include "log.h"
#include "vc.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: vcompanion-web -c FILE\n"
	           "  -c FILE      configuration (JSON; docs/configuration.md)\n"
	           "  --check      load the configuration and templates, then exit\n"
	           "  --version    print the version\n"
	           "Signals: SIGHUP reloads configuration and templates, SIGTERM drains and exits.\n");
}

static int check(const char *path)
{
	struct web_app app = { 0 };
	char err[512];

	if (web_app_load(&app, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "vcompanion-web: %s\n", err);
		return 1;
	}
	printf("ok: %s (templates %s)\n", path, app.tpl ? "loaded" : "FAILED, see log");
	web_app_free(&app);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cfg_path = NULL;
	int check_only = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			cfg_path = argv[++i];
		} else if (!strcmp(argv[i], "--check")) {
			check_only = 1;
		} else if (!strcmp(argv[i], "--version")) {
			printf("vcompanion-web %s\n", VC_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!cfg_path) {
		usage(stderr);
		return 2;
	}
	log_init("web", LOG_INFO);
	if (sodium_init() < 0 || vc_global_init() < 0) {
		fprintf(stderr, "vcompanion-web: cannot initialise libsodium\n");
		return 1;
	}
	return check_only ? check(cfg_path) : server_run(cfg_path);
}
