/* placeholder until `bench kfac` lands (issue 2 section 6) */
#include "cli/cli.h"
int cmd_bench(int argc, char **argv)
{
    (void)argc; (void)argv;
    return cli_usage_error("bench: not built yet");
}
