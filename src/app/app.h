/* What the two programs' front ends share: the `clkfac` subcommands (src/cli) and the benchmark
 * programs (bench/) print errors the same way ("clkfac: ..." naming the value and what was
 * expected), exit with the same codes (0 ok, 1 runtime failure, 2 usage error, 3 a diverged
 * training run) and open the
 * device a spec names the same way. Above the library, below both cli and bench. */
#ifndef CLKFAC_APP_H
#define CLKFAC_APP_H

#include <stdarg.h>

#include "clkfac/clkfac.h"

/* The exit-code contract of every command (README, "Exit codes"): */
enum {
    APP_OK = 0,      /* success */
    APP_RUNTIME = 1, /* a runtime failure: device, I/O, out of memory, a numeric failure */
    APP_USAGE = 2,   /* a usage error: options, input files, an unusable --out; nothing created */
    APP_DIVERGED = 3 /* a training run diverged (NONFINITE from an update); files say how far */
};

#if defined(__GNUC__)
#define APP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define APP_PRINTF(a, b)
#endif

/* Prints "clkfac: <message>" to stderr; returns APP_USAGE. */
int app_usage_error(const char *fmt, ...) APP_PRINTF(1, 2);
int app_vusage_error(const char *fmt, va_list ap) APP_PRINTF(1, 0);
/* The exit code of a failed library call: APP_USAGE for invalid-argument, shape and format
 * errors (the user's input), else APP_RUNTIME; APP_OK for CLKFAC_OK. */
int app_exit_code(clkfac_status st);
/* Prints "clkfac: <what>: STATUS: detail" to stderr; returns app_exit_code(st). */
int app_fail(const char *what, clkfac_status st);
/* The exit code of a training run that failed with st in the phase named what (the run-folder
 * module's runs_result.failed): APP_DIVERGED for NONFINITE while training (an update, or the
 * health check after it), else app_exit_code(st). */
int app_train_exit_code(clkfac_status st, const char *what);
/* Context from a device spec (NULL or empty: $CLKFAC_DEVICE, else the default); prints the
 * error and returns NULL on failure with *rc (may be NULL) set to the exit code: 2 when a given
 * spec matches nothing, else 1. */
clkfac_context *app_context(const char *device, int *rc);
/* The BLAS engine app_context asks for (default AUTO: $CLKFAC_BLAS or the device profile). */
void app_set_blas(clkfac_blas_engine engine);

#endif
