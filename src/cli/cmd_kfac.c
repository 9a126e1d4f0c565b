/* placeholder until the .npy front end lands (issue 2 section 4) */
#include "cli/cli.h"
int cmd_kfac(int argc, char **argv)
{
    (void)argc; (void)argv;
    return cli_usage_error("kfac: not built yet");
}
