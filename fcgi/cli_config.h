/* `vcompanion config export|import`: the runtime settings in Redis (the vCenter
 * registry and the app defaults, see redis/registry.h) to and from a JSON file. */
#ifndef VC_CLI_CONFIG_H
#define VC_CLI_CONFIG_H

extern const char cli_config_usage[];

/* argv[0] is "config". Returns the exit code: 0 ok, 1 failure, 2 usage error. */
int cli_config(const char *config, int argc, char **argv);

#endif
