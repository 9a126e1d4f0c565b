/* Messages, exit codes and device opening shared by src/cli and bench/ (see app.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"

int app_vusage_error(const char *fmt, va_list ap)
{
    fprintf(stderr, "clkfac: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    return APP_USAGE;
}

int app_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    app_vusage_error(fmt, ap);
    va_end(ap);
    return APP_USAGE;
}

int app_exit_code(clkfac_status st)
{
    if (st == CLKFAC_OK) return APP_OK;
    return (st == CLKFAC_ERR_INVALID_ARG || st == CLKFAC_ERR_SHAPE || st == CLKFAC_ERR_FORMAT)
               ? APP_USAGE
               : APP_RUNTIME;
}

int app_train_exit_code(clkfac_status st, const char *what)
{
    if (st == CLKFAC_ERR_NONFINITE && what && !strcmp(what, "training")) return APP_DIVERGED;
    return app_exit_code(st);
}

int app_fail(const char *what, clkfac_status st)
{
    fprintf(stderr, "clkfac: %s: %s: %s\n", what, clkfac_status_str(st), clkfac_last_error());
    return app_exit_code(st);
}

/* the program's choice of engine (--blas), for every context it opens */
static clkfac_blas_engine g_blas = CLKFAC_BLAS_AUTO;

void app_set_blas(clkfac_blas_engine engine) { g_blas = engine; }

clkfac_context *app_context(const char *device, int *rc)
{
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    o.device = device;
    o.blas = g_blas;
    clkfac_context *ctx = NULL;
    clkfac_status st = clkfac_context_create(&ctx, &o);
    if (st) {
        app_fail("cannot open an OpenCL device", st);
        /* a --device or CLKFAC_DEVICE spec that matches nothing is the user's input (2); no
         * device at all, or a driver failure, is a runtime failure (1) */
        const char *env = getenv("CLKFAC_DEVICE");
        int spec = (device && *device) || (env && *env);
        if (rc) *rc = (st == CLKFAC_ERR_NO_DEVICE && spec) ? APP_USAGE : APP_RUNTIME;
        return NULL;
    }
    /* a tuning database that failed its checks was ignored: say so once, never silently */
    const clkfac_device_profile *prof = clkfac_context_profile(ctx);
    if (prof->tuning_note[0]) fprintf(stderr, "clkfac: warning: %s\n", prof->tuning_note);
    return ctx;
}
