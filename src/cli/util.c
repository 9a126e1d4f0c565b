/* Option and number parsing shared by the subcommands; see cli.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clkfac: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return CLI_USAGE;
}

int cli_fail(const char *what, clkfac_status st)
{
    fprintf(stderr, "clkfac: %s: %s: %s\n", what, clkfac_status_str(st), clkfac_last_error());
    return (st == CLKFAC_ERR_INVALID_ARG || st == CLKFAC_ERR_SHAPE || st == CLKFAC_ERR_FORMAT)
               ? CLI_USAGE
               : CLI_RUNTIME;
}

int cli_parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    if (!s || !*s) return cli_usage_error("%s: empty value; expected a number", opt) ? -1 : -1;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE) {
        cli_usage_error("%s '%s': not a number (expected e.g. 500000, 5e5 or 500k)", opt, s);
        return -1;
    }
    if (*end == 'k' || *end == 'K') { v *= 1e3; end++; }
    else if (*end == 'M') { v *= 1e6; end++; }
    else if (*end == 'G') { v *= 1e9; end++; }
    if (*end != '\0' || !isfinite(v)) {
        cli_usage_error("%s '%s': not a number (expected e.g. 500000, 5e5 or 500k)", opt, s);
        return -1;
    }
    if (v < lo || v > hi) {
        cli_usage_error("%s %s: out of range; expected a value in [%g, %g]", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    double v = 0;
    if (cli_parse_double(opt, s, (double)lo, (double)hi, &v)) return -1;
    if (v != floor(v)) {
        cli_usage_error("%s %s: expected a whole number", opt, s);
        return -1;
    }
    *out = (long)v;
    return 0;
}

int cli_opt(int argc, char **argv, int *i, const char *opt, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(opt);
    if (strncmp(a, opt, n) != 0) return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*i + 1 >= argc) {
        cli_usage_error("%s needs a value", opt);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

clkfac_context *cli_context(const char *device, int *rc)
{
    clkfac_context_options o = CLKFAC_CONTEXT_OPTIONS_INIT;
    o.device = device;
    clkfac_context *ctx = NULL;
    clkfac_status st = clkfac_context_create(&ctx, &o);
    if (st) {
        cli_fail("cannot open an OpenCL device", st);
        /* a --device or CLKFAC_DEVICE spec that matches nothing is the user's input (2); no
         * device at all, or a driver failure, is a runtime failure (1) */
        const char *env = getenv("CLKFAC_DEVICE");
        int spec = (device && *device) || (env && *env);
        if (rc) *rc = (st == CLKFAC_ERR_NO_DEVICE && spec) ? CLI_USAGE : CLI_RUNTIME;
        return NULL;
    }
    return ctx;
}
