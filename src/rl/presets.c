/* Per-environment settings (data/presets.txt, embedded at build time as clkfac_presets_text):
 * parsed once into rows of (environment pattern, algorithm, options), and applied to the options
 * a caller left out. The table's own syntax errors are reported with their line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "clkfac/agent.h"
#include "core/core.h"

extern const unsigned char clkfac_presets_text[];
extern const size_t clkfac_presets_text_len;

#define MAX_ROWS 64
#define MAX_TOKENS 24

typedef struct preset_row {
    const char *env; /* a full id, or a prefix ending in '*' */
    clkfac_algo algo;
    const char *tok[MAX_TOKENS]; /* flags and values, unquoted */
    int n_tok;
    size_t line;
} preset_row;

static char g_text[8192];
static preset_row g_rows[MAX_ROWS];
static size_t g_n_rows;
static char g_error[256]; /* the table's first syntax error, "" when it parsed */
static once_flag g_once = ONCE_FLAG_INIT;

/* Splits s in place into blank-separated words, '...' quoting a word with blanks. Returns the
 * count, or -1 for an unterminated quote or too many words. */
static int split_words(char *s, const char **w, int max)
{
    int n = 0;
    char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) return n;
        if (n == max) return -1;
        if (*p == '\'') {
            char *end = strchr(++p, '\'');
            if (!end) return -1;
            *end = '\0';
            w[n++] = p;
            p = end + 1;
            continue;
        }
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = '\0';
    }
}

static void parse_table(void)
{
    if (clkfac_presets_text_len >= sizeof g_text) {
        snprintf(g_error, sizeof g_error, "the table is %zu bytes, more than the %zu it may hold",
                 clkfac_presets_text_len, sizeof g_text - 1);
        return;
    }
    memcpy(g_text, clkfac_presets_text, clkfac_presets_text_len);
    g_text[clkfac_presets_text_len] = '\0';
    size_t line = 0;
    for (char *p = g_text; p && *p && !g_error[0];) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        line++;
        int quoted = 0; /* a '#' outside quotes starts a comment */
        for (char *c = p; *c; c++) {
            if (*c == '\'') quoted = !quoted;
            else if (*c == '#' && !quoted) { *c = '\0'; break; }
        }
        const char *w[MAX_TOKENS + 2];
        int n = split_words(p, w, MAX_TOKENS + 2);
        p = nl ? nl + 1 : NULL;
        if (n == 0) continue;
        clkfac_algo algo;
        if (n < 0 || n < 2 || g_n_rows == MAX_ROWS || clkfac_algo_parse(&algo, w[1])) {
            snprintf(g_error, sizeof g_error,
                     "line %zu: expected ENV ALGO OPTIONS... (an algorithm a2c, acktr or trpo, at "
                     "most %d words, closed quotes, at most %d lines)",
                     line, MAX_TOKENS, MAX_ROWS);
            break;
        }
        preset_row *r = &g_rows[g_n_rows++];
        r->env = w[0];
        r->algo = algo;
        r->line = line;
        r->n_tok = n - 2;
        for (int i = 2; i < n; i++) r->tok[i - 2] = w[i];
    }
}

static int env_matches(const char *pattern, const char *id)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*') return !strncmp(pattern, id, n - 1);
    return !strcmp(pattern, id);
}

static const clkfac_option *find_row(const clkfac_option *rows, size_t n, const char *flag,
                                     size_t *k)
{
    for (*k = 0; *k < n; (*k)++)
        if (rows[*k].flag && !strcmp(rows[*k].flag, flag)) return &rows[*k];
    return NULL;
}

/* The value text of row d as a number for clkfac_option_set, or the error. STRING values are
 * stored directly (they point into the static table). */
static clkfac_status set_from_text(const clkfac_option *d, clkfac_agent_options *o, const char *v,
                                   const preset_row *r)
{
    if (d->type == CLKFAC_OPTION_STRING || d->type == CLKFAC_OPTION_ENUM) {
        int idx = -1;
        for (int i = 0; d->choices && d->choices[i]; i++)
            if (!strcmp(v, d->choices[i])) idx = i;
        if (d->choices && idx < 0)
            return CORE_FAIL(CLKFAC_ERR_FORMAT, "data/presets.txt line %zu: %s '%s' is not one of "
                             "its choices", r->line, d->flag, v);
        if (d->type == CLKFAC_OPTION_ENUM) clkfac_option_set(d, o, idx);
        else memcpy((char *)o + d->offset, &v, sizeof v);
        return CLKFAC_OK;
    }
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    int whole = d->type == CLKFAC_OPTION_INT || d->type == CLKFAC_OPTION_UINT ||
                d->type == CLKFAC_OPTION_U64;
    if (end == v || *end || errno || !isfinite(x) || x < d->lo || x > d->hi ||
        (whole && x != floor(x)))
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "data/presets.txt line %zu: %s '%s': expected a %s "
                         "in [%g, %g]", r->line, d->flag, v, whole ? "whole number" : "number",
                         d->lo, d->hi);
    clkfac_option_set(d, o, x);
    return CLKFAC_OK;
}

static void append(char *buf, size_t cap, const char *flag, const char *value)
{
    if (!buf || !cap) return;
    size_t m = strlen(buf);
    int quote = value && strchr(value, ' ');
    snprintf(buf + m, m < cap ? cap - m : 0, "%s%s%s%s%s%s", m ? " " : "", flag, value ? " " : "",
             quote ? "'" : "", value ? value : "", quote ? "'" : "");
}

clkfac_status clkfac_agent_options_preset(clkfac_agent_options *o, unsigned *n_envs,
                                          const char *env_id, char *applied, size_t cap)
{
    if (applied && cap) applied[0] = '\0';
    if (!o || !env_id)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "preset: options and environment id are required");
    if (o->version != CLKFAC_AGENT_OPTIONS_VERSION)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "agent options version %u, expected %u",
                         o->version, CLKFAC_AGENT_OPTIONS_VERSION);
    call_once(&g_once, parse_table);
    if (g_error[0]) return CORE_FAIL(CLKFAC_ERR_FORMAT, "data/presets.txt %s", g_error);
    const preset_row *r = NULL;
    for (size_t i = 0; i < g_n_rows && !r; i++)
        if (g_rows[i].algo == o->algo && env_matches(g_rows[i].env, env_id)) r = &g_rows[i];
    if (!r) return CLKFAC_OK;
    size_t n = 0;
    const clkfac_option *rows = clkfac_agent_option_table(&n);
    clkfac_agent_options out = *o;
    unsigned envs = n_envs ? *n_envs : 0;
    for (int i = 0; i < r->n_tok; i++) {
        const char *flag = r->tok[i];
        size_t k = 0;
        const clkfac_option *d = find_row(rows, n, flag, &k);
        int is_envs = !strcmp(flag, "--envs");
        int boolean = d && d->type == CLKFAC_OPTION_BOOL;
        const char *v = boolean ? NULL : i + 1 < r->n_tok ? r->tok[i + 1] : NULL;
        if ((!d && !is_envs) || (d && !(d->algos & (1u << o->algo))))
            return CORE_FAIL(CLKFAC_ERR_FORMAT, "data/presets.txt line %zu: '%s' is not an option "
                             "of %s (expected --envs or an agent option of that algorithm)",
                             r->line, flag, clkfac_algo_name(o->algo));
        if (!boolean && !v)
            return CORE_FAIL(CLKFAC_ERR_FORMAT, "data/presets.txt line %zu: %s needs a value",
                             r->line, flag);
        if (!boolean) i++;
        if (is_envs) {
            char *end = NULL;
            long e = strtol(v, &end, 10);
            if (end == v || *end || e < 1 || e > 4096)
                return CORE_FAIL(CLKFAC_ERR_FORMAT, "data/presets.txt line %zu: --envs '%s': "
                                 "expected a whole number in [1, 4096]", r->line, v);
            if (n_envs && !*n_envs) {
                envs = (unsigned)e;
                append(applied, cap, flag, v);
            }
            continue;
        }
        uint64_t bit = (uint64_t)1 << k;
        if ((out.given & bit) || clkfac_option_get(d, &out) != 0) continue; /* the caller's */
        if (boolean) clkfac_option_set(d, &out, d->def[o->algo] == 0);
        else {
            clkfac_status st = set_from_text(d, &out, v, r);
            if (st) return st;
        }
        out.given |= bit;
        append(applied, cap, flag, v);
    }
    *o = out;
    if (n_envs) *n_envs = envs;
    return CLKFAC_OK;
}
