/* Commands of the vcompanion admin CLI implemented outside main-cli.c. */
#ifndef VC_CLI_H
#define VC_CLI_H

/* `vcompanion render TEMPLATE DATA.json [--partials DIR]`; argv[0] is "render".
 * Returns the exit code: 0 ok, 1 failure, 2 usage error. */
int cli_render(int argc, char **argv);

#endif
