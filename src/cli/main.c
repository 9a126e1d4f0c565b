/* The clkfac program: dispatches to one subcommand per file and owns process exit codes
 * (0 success, 1 runtime failure, 2 usage error, 3 a diverged training run; src/app/app.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"devices", cmd_devices, "list OpenCL devices and mark the default"},
    {"env", cmd_env, "list environments; render a pixel game played by a random policy to PNG"},
    {"train", cmd_train, "train an agent (A2C or ACKTR) on an environment; CSV + JSON results"},
    {"kfac", cmd_kfac, "K-FAC factors and preconditioned gradient of one layer from .npy files"},
    {"report", cmd_report, "tables and plots (learning curves, step cost) from a suite's runs"},
    {"bench", cmd_bench, "benchmarks: 'bench kfac' (factor kernels vs SGEMM)"},
    {"tune", cmd_tune, "tune CLBlast's and clkfac's kernels for this device; per-device database"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: clkfac <command> [options]   (clkfac <command> --help for details)\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-9s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\ndevice selection: --device P:D|cpu|gpu|NAME or CLKFAC_DEVICE=...\n"
               "clkfac %s (git %s)\n",
            clkfac_version(), clkfac_git_commit());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("clkfac %s (git %s)\n", clkfac_version(), clkfac_git_commit());
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "clkfac: unknown command '%s'; expected one of:", argv[1]);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(stderr, " %s", COMMANDS[i].name);
    fprintf(stderr, "\n");
    return CLI_USAGE;
}
