/* `vcompanion key rotate|status|reseal|retire`: data key rotation (docs/settings.md
 * "Key rotation"). */
#ifndef VC_CLI_KEY_H
#define VC_CLI_KEY_H

extern const char cli_key_usage[];

/* argv[0] is "key". Returns the exit code: 0 ok, 1 failure, 2 usage error. */
int cli_key(const char *config, int argc, char **argv);

#endif
