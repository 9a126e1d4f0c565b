/* Shared pieces of the clkfac command-line program: option parsing with errors that name the
 * value and what was expected (exit 2), number parsing that accepts 1e6 and 1M, and the
 * subcommand entry points (one file each). */
#ifndef CLKFAC_CLI_H
#define CLKFAC_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "clkfac/clkfac.h"

enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_USAGE = 2 };

/* Prints "clkfac: <message>" to stderr; returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Prints "clkfac: <what>: STATUS: detail" to stderr; returns CLI_RUNTIME (CLI_USAGE for
 * invalid-argument, shape and format errors, which are the user's input). */
int cli_fail(const char *what, clkfac_status st);

/* Parses a number with an optional suffix k/K (1e3), M (1e6), G (1e9); "1e6" works too.
 * Returns 0 on success, -1 (with a usage message naming opt) on failure or out of [lo, hi]. */
int cli_parse_double(const char *opt, const char *s, double lo, double hi, double *out);
int cli_parse_long(const char *opt, const char *s, long lo, long hi, long *out);

/* For "--name value" / "--name=value" loops: if argv[*i] is opt, sets *val and advances.
 * Returns 1 when matched, 0 when not, -1 when the value is missing (message printed). */
int cli_opt(int argc, char **argv, int *i, const char *opt, const char **val);

/* Context from --device (may be NULL); prints the error and returns NULL on failure with *rc
 * (may be NULL) set to the exit code: 2 when a given device spec matches nothing, else 1. */
clkfac_context *cli_context(const char *device, int *rc);

int cmd_devices(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_kfac(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* clkfac_report_write with its warnings and error printed; a process exit code. */
int cli_report_run(const clkfac_report_options *o);
int cmd_train(int argc, char **argv);

#endif
