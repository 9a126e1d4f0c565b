/* Shared pieces of the clkfac command-line program: option parsing with errors that name the
 * value and what was expected (exit 2), number parsing that accepts 1e6 and 1M, and the
 * subcommand entry points (one file each). */
#ifndef CLKFAC_CLI_H
#define CLKFAC_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clkfac/clkfac.h"

/* the exit codes of app.h (0 ok, 1 runtime failure, 2 usage error, 3 diverged training) */
enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_USAGE = 2, CLI_DIVERGED = 3 };

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

/* Option tables (clkfac_option rows, clkfac/agent.h) and the struct they fill. given (may be
 * NULL) gets bit k for row k set from the command line: the agent's `given` mask. */
typedef struct cli_table {
    const clkfac_option *rows;
    size_t n;
    void *base;
    uint64_t *given;
} cli_table;

/* A run option of a command (not the agent's): a row for a field of struct st. */
#define CLI_OPTION(type_, st, field, flag, meta, lo, hi, def, help)                                  {#field, flag, meta, CLKFAC_OPTION_##type_, offsetof(st, field),                                sizeof(((st *)0)->field), lo, hi, {def, def, def}, NULL, CLKFAC_OPTION_FOR_ALL, help}

/* ... and one with named values (choices: a NULL-terminated array). */
#define CLI_OPTION_CHOICES(type_, st, field, flag, def, choices, help)                           \
    {#field, flag, NULL, CLKFAC_OPTION_##type_, offsetof(st, field),                           \
     sizeof(((st *)0)->field), 0, 0, {def, def, def}, choices, CLKFAC_OPTION_FOR_ALL, help}

/* The one argv loop: every argument must be a row's flag ("--flag value", "--flag=value"; a
 * BOOL flag takes no value and sets the opposite of its default), checked against the row's
 * type, range and choices. Returns 0, -1 for --help/-h (nothing printed), or CLI_USAGE after a
 * message naming the flag, the value and what was expected (a missing value included). cmd
 * names the command in the message for an unknown option. */
int cli_parse(const char *cmd, int argc, char **argv, const cli_table *tables, size_t n_tables);

/* Sets every number, BOOL and ENUM field of rows in base to its default (def[0]); strings are
 * left as they are. For a command's own options (the agent resolves its own defaults). */
void cli_defaults(const clkfac_option *rows, size_t n, void *base);

/* Usage lines, "  --flag VALUE  help (default X)", of the rows with a flag that concern algos
 * (CLKFAC_OPTION_FOR_* bits): with CLKFAC_OPTION_FOR_ALL the rows every algorithm reads, else
 * the rows only some algorithms read, among them one of algos. A default that differs between
 * algorithms is shown for each. */
void cli_print_options(const clkfac_option *rows, size_t n, unsigned algos);
/* Word-wraps text at width columns, every line indented by indent spaces, the first starting
 * at column col (text already printed on it). */
void cli_print_wrapped(const char *text, int col, int indent, int width);

/* Context from --device (may be NULL); prints the error and returns NULL on failure with *rc
 * (may be NULL) set to the exit code: 2 when a given device spec matches nothing, else 1. */
clkfac_context *cli_context(const char *device, int *rc);

int cmd_devices(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_kfac(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_tune(int argc, char **argv);
/* clkfac_report_write with its warnings and error printed; a process exit code. */
int cli_report_run(const clkfac_report_options *o);
int cmd_train(int argc, char **argv);

#endif
