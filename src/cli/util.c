/* Option and number parsing shared by the subcommands; see cli.h. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "cli/cli.h"

/* Every command that opens a device (its table has --device) also takes --blas: the engine is
 * a context option, parsed here once and handed to app_context. */
typedef struct context_cli {
    int blas;
} context_cli;
static context_cli g_context;
static const char *const BLAS_CHOICES[] = {"auto", "clblast", "host", NULL};
static const clkfac_option CONTEXT_ROWS[] = {
    CLI_OPTION_CHOICES(ENUM, context_cli, blas, "--blas", 0, BLAS_CHOICES,
                       "engine of GEMM, SYRK and GEMV: host = this CPU's own BLAS inside the "
                       "queue (CPU devices), clblast = CLBlast's OpenCL kernels, auto = the "
                       "device profile's choice (see clkfac devices), or $CLKFAC_BLAS"),
};

static int opens_device(const cli_table *tables, size_t n_tables)
{
    for (size_t t = 0; t < n_tables; t++)
        for (size_t k = 0; k < tables[t].n; k++)
            if (tables[t].rows[k].flag && !strcmp(tables[t].rows[k].flag, "--device")) return 1;
    return 0;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = app_vusage_error(fmt, ap);
    va_end(ap);
    return rc;
}

int cli_fail(const char *what, clkfac_status st) { return app_fail(what, st); }

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
        cli_usage_error("%s %s: out of range; expected a value in [%.15g, %.15g]", opt, s, lo, hi);
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

clkfac_context *cli_context(const char *device, int *rc) { return app_context(device, rc); }

void cli_print_wrapped(const char *text, int col, int indent, int width)
{
    const char *p = text;
    while (*p) {
        int len = (int)strlen(p), cut = len;
        if (col + len > width) {
            cut = width - col;
            while (cut > 0 && p[cut] != ' ') cut--;
            if (cut == 0) cut = width - col;
        }
        printf("%.*s\n", cut, p);
        p += cut;
        while (*p == ' ') p++;
        if (*p) printf("%*s", indent, "");
        col = indent;
    }
}

/* A default as usage text shows it: "" when there is nothing to show (a BOOL, a STRING, or a
 * number outside the range, which marks "not given"). */
static void default_text(char *buf, size_t cap, const clkfac_option *d, double v)
{
    buf[0] = '\0';
    if (d->type == CLKFAC_OPTION_ENUM && d->choices)
        for (int i = 0; d->choices[i]; i++)
            if (i == (int)v) snprintf(buf, cap, "%s", d->choices[i]);
    if (d->type == CLKFAC_OPTION_BOOL || d->type == CLKFAC_OPTION_ENUM ||
        d->type == CLKFAC_OPTION_STRING || v < d->lo || v > d->hi)
        return;
    snprintf(buf, cap, v == floor(v) && fabs(v) < 1e15 ? "%.0f" : "%g", v);
}

void cli_print_options(const clkfac_option *rows, size_t n, unsigned algos)
{
    static const char *const ALGOS[] = {"a2c", "acktr", "trpo"};
    for (size_t k = 0; k < n; k++) {
        const clkfac_option *d = &rows[k];
        int common = d->algos == CLKFAC_OPTION_FOR_ALL;
        if (!d->flag || (algos == CLKFAC_OPTION_FOR_ALL ? !common : common || !(d->algos & algos)))
            continue;
        char value[128] = "", def[512], one[64];
        if (d->choices) {
            size_t m = 0;
            for (int i = 0; d->choices[i] && m < sizeof value; i++)
                m += (size_t)snprintf(value + m, sizeof value - m, "%s%s", i ? "|" : "", d->choices[i]);
        } else if (d->meta) {
            snprintf(value, sizeof value, "%s", d->meta);
        }
        default_text(def, sizeof def, d, d->def[0]);
        for (int a = 1; a < 3; a++)
            if (d->def[a] != d->def[0] && (d->algos & (1u << a))) {
                default_text(one, sizeof one, d, d->def[a]);
                size_t m = strlen(def);
                snprintf(def + m, sizeof def - m, "; %s %s", ALGOS[a], one);
            }
        char head[192], text[1024];
        snprintf(head, sizeof head, "  %s%s%s", d->flag, *value ? " " : "", value);
        snprintf(text, sizeof text, "%s%s%s%s", d->help, *def ? " (default " : "", def,
                 *def ? ")" : "");
        if (strlen(head) >= 27) printf("%s\n%28s", head, "");
        else printf("%-28s", head);
        cli_print_wrapped(text, 28, 28, 96);
        if (!strcmp(d->flag, "--device") && rows != CONTEXT_ROWS)
            cli_print_options(CONTEXT_ROWS, 1, algos);
    }
}

void cli_defaults(const clkfac_option *rows, size_t n, void *base)
{
    for (size_t k = 0; k < n; k++) clkfac_option_set(&rows[k], base, rows[k].def[0]);
}

/* Stores text as row d's value in base; 0, or CLI_USAGE after a message. */
static int set_value(const clkfac_option *d, void *base, const char *text)
{
    double x = 0;
    long l = 0;
    switch (d->type) {
    case CLKFAC_OPTION_FLOAT:
    case CLKFAC_OPTION_DOUBLE:
        if (cli_parse_double(d->flag, text, d->lo, d->hi, &x)) return CLI_USAGE;
        clkfac_option_set(d, base, x);
        return 0;
    case CLKFAC_OPTION_INT:
    case CLKFAC_OPTION_UINT:
    case CLKFAC_OPTION_U64:
        if (cli_parse_long(d->flag, text, (long)d->lo, (long)d->hi, &l)) return CLI_USAGE;
        clkfac_option_set(d, base, (double)l);
        return 0;
    default: break;
    }
    /* ENUM and STRING: one of the choices (a STRING without choices takes anything) */
    int idx = -1;
    for (int i = 0; d->choices && d->choices[i]; i++)
        if (!strcmp(text, d->choices[i])) idx = i;
    if (d->choices && idx < 0) {
        char list[256] = "";
        size_t m = 0;
        for (int i = 0; d->choices[i] && m < sizeof list; i++)
            m += (size_t)snprintf(list + m, sizeof list - m, "%s%s",
                                  !i ? "" : d->choices[i + 1] ? ", " : " or ", d->choices[i]);
        return cli_usage_error("%s '%s': expected %s", d->flag, text, list);
    }
    if (d->type == CLKFAC_OPTION_ENUM) clkfac_option_set(d, base, idx);
    else memcpy((char *)base + d->offset, &text, sizeof text);
    return 0;
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_table *tables, size_t n_tables)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) return -1;
        const clkfac_option *d = NULL;
        const cli_table *t = NULL;
        size_t k = 0;
        for (size_t ti = 0; ti < n_tables && !d; ti++)
            for (k = 0; k < tables[ti].n; k++) {
                const char *flag = tables[ti].rows[k].flag;
                size_t len = flag ? strlen(flag) : 0;
                if (flag && !strncmp(arg, flag, len) && (arg[len] == '\0' || arg[len] == '=')) {
                    d = &tables[ti].rows[k];
                    t = &tables[ti];
                    break;
                }
            }
        const cli_table shared = {CONTEXT_ROWS, 1, &g_context, NULL};
        if (!d && opens_device(tables, n_tables) && !strncmp(arg, "--blas", 6) &&
            (arg[6] == '\0' || arg[6] == '=')) {
            d = &CONTEXT_ROWS[0];
            t = &shared;
            k = 0;
        }
        if (!d)
            return cli_usage_error("%s: unknown option '%s' (see clkfac %s --help)", cmd, arg, cmd);
        if (d->type == CLKFAC_OPTION_BOOL) {
            if (arg[strlen(d->flag)] == '=')
                return cli_usage_error("%s takes no value (given '%s')", d->flag, arg);
            clkfac_option_set(d, t->base, d->def[0] == 0); /* the opposite of the default */
        } else {
            const char *v = NULL;
            if (cli_opt(argc, argv, &i, d->flag, &v) < 0) return CLI_USAGE;
            if (set_value(d, t->base, v)) return CLI_USAGE;
        }
        if (t->given) *t->given |= (uint64_t)1 << k;
    }
    app_set_blas((clkfac_blas_engine)g_context.blas);
    return 0;
}
