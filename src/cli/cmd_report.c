/* `clkfac report DIR`: turns the run folders of a benchmark suite into paper-style tables,
 * learning-curve and step-cost plots and an index page, in DIR/report/.
 *
 * Input layout (written by `clkfac train --out DIR/runs/...` and `clkfac bench sample`):
 *   DIR/runs/<algo>__<env>__seed<k>/episodes.csv    header  timestep,episode,return,length
 *       One row per finished episode: the global timestep (all copies of a vector env counted)
 *       at which it finished, its index in finishing order (0- or 1-based: only the order is
 *       used), its undiscounted return and its length. Extra columns are ignored, as are '#'
 *       lines and a repeated header (a resumed run appending). A row repeating an episode index
 *       replaces the earlier one (a resumed run re-logging the episodes after its checkpoint).
 *       A last line without a newline is an interrupted write and is ignored with a warning.
 *   DIR/runs/<...>/summary.json   {"algo": "acktr", "env": "CartPole-v1", "seed": 0,
 *       "wall_seconds": 812.5, "finished": true, "provenance": {"device": "..."}, ...}
 *       Only those keys are read; the folder name stands in for missing algo/env/seed.
 *   DIR/step/step_cost.csv (optional)   algo,net,batch,phase,median_ms,timesteps_per_second,...
 *       One row per (algo, net, batch, phase); batch is timesteps per update; a phase named
 *       "total" is the whole update (left out of the stacked bars; its tps is preferred).
 * Output in DIR/report/ (or --out): results.{csv,md,json}, curves_<env>.png per environment,
 * with step data step_cost.{csv,md}, step_cost_<net>.png and tps_vs_batch.png, published.{csv,md}
 * when data/published.csv has rows for these environments, and index.md linking everything.
 * Nothing depends on the date or on directory listing order, so the same runs give the same
 * bytes (a resumed suite can re-run the report freely). Exit 2 for missing DIR, no runs or
 * malformed input (file:line named), 1 when writing fails. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define GRID 201       /* points of the common timestep grids (200 intervals) */
#define MAX_FIELDS 64  /* CSV columns we look at */
#define NAME_LEN 128

/* ---- small utilities ---------------------------------------------------------------------- */

static int report_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int report_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clkfac: report: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return code;
}

static void warn(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clkfac: report: warning: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

typedef struct text {
    char *s;
    size_t n, cap;
    int oom;
} text;

static void tx(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void tx(text *t, const char *fmt, ...)
{
    if (t->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) { t->oom = 1; return; }
    if (t->n + (size_t)k + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->n + (size_t)k + 1) cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) { t->oom = 1; return; }
        t->s = s;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    t->n += (size_t)k;
}

/* Reads a whole file, NUL-terminated. Returns 0 or the errno of the failure. */
static int slurp(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return errno ? errno : EIO;
    text t = {0};
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
        if (t.n + k + 1 > t.cap) {
            size_t cap = t.cap ? t.cap : sizeof buf;
            while (cap < t.n + k + 1) cap *= 2;
            char *s = realloc(t.s, cap);
            if (!s) { free(t.s); fclose(f); return ENOMEM; }
            t.s = s;
            t.cap = cap;
        }
        memcpy(t.s + t.n, buf, k);
        t.n += k;
    }
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!err && !t.s && !(t.s = malloc(1))) err = ENOMEM;
    if (err) { free(t.s); return err; }
    t.s[t.n] = '\0';
    if (memchr(t.s, '\0', t.n)) { free(t.s); return EILSEQ; } /* a binary file */
    *out = t.s;
    *len = t.n;
    return 0;
}

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

/* Line iteration over a slurped buffer: skips blank and '#' lines, counts line numbers. With
 * `drop_partial`, a last line lacking its newline is not returned (it may be half written). */
typedef struct lines {
    char *p, *end;
    size_t lineno;
    int drop_partial;
    size_t partial_line; /* line number of a dropped partial line, 0 if none */
} lines;

static char *next_line(lines *L)
{
    while (L->p < L->end) {
        char *s = L->p, *nl = memchr(s, '\n', (size_t)(L->end - s));
        L->lineno++;
        if (nl) {
            *nl = '\0';
            L->p = nl + 1;
        } else {
            L->p = L->end;
        }
        char *t = trim(s);
        if (!*t || *t == '#') continue;
        if (!nl && L->drop_partial) {
            L->partial_line = L->lineno;
            return NULL;
        }
        return t;
    }
    return NULL;
}

/* Splits one CSV line in place (RFC 4180 quotes, "" inside quotes). Returns the field count,
 * -1 for an unterminated quote or text after a closing quote, -2 for too many fields. */
static int csv_split(char *s, char **f, int max)
{
    int n = 0;
    for (;;) {
        if (n == max) return -2;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '"') {
            char *o = ++s;
            f[n] = o;
            for (;;) {
                if (!*s) return -1;
                if (*s == '"') {
                    if (s[1] == '"') { *o++ = '"'; s += 2; continue; }
                    s++;
                    break;
                }
                *o++ = *s++;
            }
            while (*s == ' ' || *s == '\t') s++;
            if (*s && *s != ',') return -1;
            char c = *s;
            *o = '\0';
            n++;
            if (!c) return n;
            s++;
        } else {
            f[n++] = s;
            char *c = strchr(s, ',');
            if (c) *c = '\0';
            f[n - 1] = trim(f[n - 1]);
            if (!c) return n;
            s = c + 1;
        }
    }
}

static int col_of(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcasecmp(f[i], name)) return i;
    return -1;
}

static int parse_num(const char *s, double *v)
{
    if (!*s) return -1;
    char *e = NULL;
    double x = strtod(s, &e);
    if (e == s || *e || !isfinite(x)) return -1;
    *v = x;
    return 0;
}

/* Copies with truncation to cap - 1 characters (names longer than that are not real names). */
static void scopy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void copy_name(char *dst, const char *src) { scopy(dst, NAME_LEN, src); }

/* File names from environment and net names: keep [A-Za-z0-9._-], the rest becomes '_'. */
static void file_stem(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        char c = src[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        dst[i] = ok ? c : '_';
    }
    dst[i] = '\0';
}

/* Numbers in CSV/JSON: enough digits to round-trip what we computed; missing is empty. */
static void num_csv(char *buf, size_t len, double v)
{
    if (isfinite(v)) snprintf(buf, len, "%.10g", v);
    else buf[0] = '\0';
}

static void num_md(char *buf, size_t len, double v, int decimals)
{
    if (isfinite(v)) snprintf(buf, len, "%.*f", decimals, v);
    else snprintf(buf, len, "n/a");
}

/* Returns for people: one decimal from 100 up (555.5, -153.7), three significant digits below
 * (47.2, 0.0245), so small-scale environments do not print as 0.0. */
static void ret_md(char *buf, size_t len, double v)
{
    if (!isfinite(v)) snprintf(buf, len, "n/a");
    else if (fabs(v) >= 100 || v == 0) snprintf(buf, len, "%.1f", v);
    else snprintf(buf, len, "%.3g", v);
}

/* ---- runs ------------------------------------------------------------------------------------ */

typedef struct run {
    char name[NAME_LEN * 2]; /* folder name */
    char algo[NAME_LEN], env[NAME_LEN], device[256];
    long seed;
    int finished; /* 1, 0 or -1 when not recorded */
    double wall;  /* NaN when not recorded */
    double *t, *r;
    size_t n;
    /* derived */
    double final, auc, cross_t;
    long cross_ep;
} run;

typedef struct ep {
    double t, r, idx;
    size_t order, line;
} ep;

static int cmp_ep(const void *a, const void *b)
{
    const ep *x = a, *y = b;
    if (x->idx != y->idx) return x->idx < y->idx ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* Loads episodes.csv into ru->t / ru->r in episode order. Returns CLI_OK, CLI_USAGE (malformed,
 * message printed), CLI_RUNTIME (unreadable) or -1 when the file does not exist. */
static int load_episodes(run *ru, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    int err = slurp(path, &buf, &len);
    if (err == ENOENT) return -1;
    if (err == EILSEQ) return report_error(CLI_USAGE, "%s: not a text file", path);
    if (err) return report_error(CLI_RUNTIME, "cannot read %s: %s", path, strerror(err));
    lines L = {buf, buf + len, 0, 1, 0};
    char *f[MAX_FIELDS], header[1024];
    int rc = CLI_OK;
    ep *e = NULL;
    size_t n = 0, cap = 0;
    char *line = next_line(&L);
    if (!line) {
        rc = report_error(CLI_USAGE, "%s: empty (expected the header timestep,episode,return,length)",
                          path);
        goto done;
    }
    snprintf(header, sizeof header, "%s", line);
    int nf = csv_split(line, f, MAX_FIELDS);
    int ct = nf > 0 ? col_of(f, nf, "timestep") : -1, ce = nf > 0 ? col_of(f, nf, "episode") : -1,
        cr = nf > 0 ? col_of(f, nf, "return") : -1;
    if (ct < 0 || ce < 0 || cr < 0) {
        rc = report_error(CLI_USAGE,
                          "%s:%zu: header '%s' lacks '%s' (expected timestep,episode,return,length)",
                          path, L.lineno, header, ct < 0 ? "timestep" : ce < 0 ? "episode" : "return");
        goto done;
    }
    int need = (ct > ce ? (ct > cr ? ct : cr) : (ce > cr ? ce : cr)) + 1;
    while ((line = next_line(&L))) {
        if (!strcmp(line, header)) continue; /* a resumed run appended a second header */
        char raw[256];
        snprintf(raw, sizeof raw, "%s", line);
        nf = csv_split(line, f, MAX_FIELDS);
        if (nf < need) {
            rc = report_error(CLI_USAGE, "%s:%zu: expected %d fields (%s), found %d in '%s'", path,
                              L.lineno, need, header, nf < 0 ? 0 : nf, raw);
            goto done;
        }
        ep x = {0, 0, 0, n, L.lineno};
        const char *bad = parse_num(f[ct], &x.t) || x.t < 0                           ? "timestep"
                          : parse_num(f[ce], &x.idx) || x.idx < 0 || x.idx != floor(x.idx) ? "episode"
                          : parse_num(f[cr], &x.r)                                     ? "return"
                                                                                       : NULL;
        if (bad) {
            rc = report_error(CLI_USAGE, "%s:%zu: %s '%s' is not %s", path, L.lineno, bad,
                              f[!strcmp(bad, "timestep") ? ct : !strcmp(bad, "episode") ? ce : cr],
                              !strcmp(bad, "return") ? "a finite number"
                                                     : "a non-negative whole number");
            goto done;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            ep *g = realloc(e, cap * sizeof *g);
            if (!g) { rc = report_error(CLI_RUNTIME, "out of memory reading %s", path); goto done; }
            e = g;
        }
        e[n++] = x;
    }
    if (L.partial_line)
        warn("%s:%zu: last line has no newline (an interrupted write?); ignored", path,
             L.partial_line);
    qsort(e, n, sizeof *e, cmp_ep);
    /* keep the last row written for each episode index */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && e[i + 1].idx == e[i].idx) continue;
        e[m++] = e[i];
    }
    for (size_t i = 1; i < m; i++)
        if (e[i].t < e[i - 1].t) {
            rc = report_error(CLI_USAGE,
                              "%s:%zu: episode %.0f finished at timestep %.0f, before episode %.0f "
                              "(timestep %.0f, line %zu); timesteps must not decrease",
                              path, e[i].line, e[i].idx, e[i].t, e[i - 1].idx, e[i - 1].t,
                              e[i - 1].line);
            goto done;
        }
    ru->t = malloc((m ? m : 1) * sizeof *ru->t);
    ru->r = malloc((m ? m : 1) * sizeof *ru->r);
    if (!ru->t || !ru->r) { rc = report_error(CLI_RUNTIME, "out of memory reading %s", path); goto done; }
    for (size_t i = 0; i < m; i++) {
        ru->t[i] = e[i].t;
        ru->r[i] = e[i].r;
    }
    ru->n = m;
done:
    free(e);
    free(buf);
    return rc;
}

/* ---- summary.json: a minimal reader for a few keys --------------------------------------- */

typedef struct jp {
    const char *s;
    size_t i, n;
} jp;

static void jws(jp *j)
{
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' ||
                           j->s[j->i] == '\r'))
        j->i++;
}

/* A string into out (truncated to cap; \u escapes outside ASCII become '?'). */
static int jstr(jp *j, char *out, size_t cap)
{
    size_t k = 0;
    if (j->i >= j->n || j->s[j->i] != '"') return -1;
    j->i++;
    while (j->i < j->n && j->s[j->i] != '"') {
        char c = j->s[j->i++];
        if (c == '\\') {
            if (j->i >= j->n) return -1;
            char esc = j->s[j->i++];
            switch (esc) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                if (j->i + 4 > j->n) return -1;
                unsigned v = 0;
                for (int d = 0; d < 4; d++) {
                    char h = j->s[j->i++];
                    v = v * 16 + (unsigned)(h >= '0' && h <= '9'   ? h - '0'
                                            : h >= 'a' && h <= 'f' ? h - 'a' + 10
                                            : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                                                   : 99);
                    if (v > 0xffff) return -1;
                }
                c = v < 0x80 && v >= 0x20 ? (char)v : '?';
                break;
            }
            default: c = esc; break; /* \" \\ \/ */
            }
        }
        if (out && k + 1 < cap) out[k++] = c;
    }
    if (j->i >= j->n) return -1;
    j->i++;
    if (out && cap) out[k] = '\0';
    return 0;
}

static int jnum(jp *j, double *v)
{
    char buf[64];
    size_t k = 0;
    while (j->i < j->n && strchr("+-0123456789.eE", j->s[j->i]) && j->s[j->i] && k + 1 < sizeof buf)
        buf[k++] = j->s[j->i++];
    buf[k] = '\0';
    return parse_num(buf, v);
}

typedef struct summary {
    char algo[NAME_LEN], env[NAME_LEN], device[256];
    double seed, wall;
    int finished;
    int have_algo, have_env, have_seed;
} summary;

/* Walks a value; at depth 0 (the top object) and inside "provenance" it picks out the keys we
 * read, everything else is skipped. Returns 0 or -1 on malformed JSON. */
static int jvalue(jp *j, summary *sm, const char *key, int depth)
{
    if (depth > 64) return -1;
    jws(j);
    if (j->i >= j->n) return -1;
    char c = j->s[j->i];
    if (c == '{' || c == '[') {
        int obj = c == '{', in_prov = depth == 1 && key && !strcmp(key, "provenance");
        j->i++;
        jws(j);
        if (j->i < j->n && j->s[j->i] == (obj ? '}' : ']')) { j->i++; return 0; }
        for (;;) {
            char k[64] = "";
            if (obj) {
                jws(j);
                if (jstr(j, k, sizeof k)) return -1;
                jws(j);
                if (j->i >= j->n || j->s[j->i] != ':') return -1;
                j->i++;
            }
            /* keys count at the top object (depth 0 -> children at 1) and in provenance */
            const char *child = obj && (depth == 0 || in_prov) ? k : NULL;
            if (jvalue(j, sm, child, in_prov ? 1 : depth + 1)) return -1;
            jws(j);
            if (j->i >= j->n) return -1;
            if (j->s[j->i] == ',') { j->i++; continue; }
            if (j->s[j->i] == (obj ? '}' : ']')) { j->i++; return 0; }
            return -1;
        }
    }
    if (c == '"') {
        char v[256];
        if (jstr(j, v, sizeof v)) return -1;
        if (!key) return 0;
        if (depth == 1 && !strcmp(key, "algo")) { copy_name(sm->algo, v); sm->have_algo = 1; }
        else if (depth == 1 && !strcmp(key, "env")) { copy_name(sm->env, v); sm->have_env = 1; }
        else if (!strcmp(key, "device")) snprintf(sm->device, sizeof sm->device, "%s", v);
        else if (depth == 1 && !strcmp(key, "seed") && !parse_num(v, &sm->seed)) sm->have_seed = 1;
        return 0;
    }
    if (c == 't' || c == 'f' || c == 'n') {
        const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
        size_t wl = strlen(w);
        if (j->i + wl > j->n || strncmp(j->s + j->i, w, wl)) return -1;
        j->i += wl;
        if (key && depth == 1 && !strcmp(key, "finished") && c != 'n') sm->finished = c == 't';
        return 0;
    }
    double v;
    if (jnum(j, &v)) return -1;
    if (key && depth == 1) {
        if (!strcmp(key, "seed")) { sm->seed = v; sm->have_seed = 1; }
        else if (!strcmp(key, "wall_seconds")) sm->wall = v;
    }
    return 0;
}

/* Returns CLI_OK, CLI_USAGE (malformed), CLI_RUNTIME (unreadable) or -1 (no file). */
static int load_summary(summary *sm, const char *path)
{
    memset(sm, 0, sizeof *sm);
    sm->wall = NAN;
    sm->finished = -1;
    char *buf = NULL;
    size_t len = 0;
    int err = slurp(path, &buf, &len);
    if (err == ENOENT) return -1;
    if (err == EILSEQ) return report_error(CLI_USAGE, "%s: not a text file", path);
    if (err) return report_error(CLI_RUNTIME, "cannot read %s: %s", path, strerror(err));
    jp j = {buf, 0, len};
    jws(&j);
    int bad = j.i >= j.n || buf[j.i] != '{' || jvalue(&j, sm, NULL, 0);
    if (!bad) {
        jws(&j);
        bad = j.i != j.n;
    }
    free(buf);
    if (bad)
        return report_error(CLI_USAGE, "%s: malformed JSON near byte %zu (expected an object "
                                       "with \"algo\", \"env\", \"seed\", \"wall_seconds\")",
                            path, j.i);
    return CLI_OK;
}

/* <algo>__<env>__seed<k> */
static int parse_run_name(const char *name, char *algo, char *env, long *seed)
{
    const char *a = strstr(name, "__");
    const char *b = a ? strstr(a + 2, "__seed") : NULL;
    if (!a || !b || a == name || b == a + 2 || (size_t)(a - name) >= NAME_LEN ||
        (size_t)(b - a - 2) >= NAME_LEN)
        return -1;
    char *end = NULL;
    long s = strtol(b + 6, &end, 10);
    if (end == b + 6 || *end) return -1;
    snprintf(algo, NAME_LEN, "%.*s", (int)(a - name), name);
    snprintf(env, NAME_LEN, "%.*s", (int)(b - a - 2), a + 2);
    *seed = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_run(const void *a, const void *b)
{
    const run *x = a, *y = b;
    int c = strcmp(x->env, y->env);
    if (!c) c = strcmp(x->algo, y->algo);
    if (!c) c = (x->seed > y->seed) - (x->seed < y->seed);
    if (!c) c = strcmp(x->name, y->name);
    return c;
}

/* ---- data files: thresholds and published numbers ----------------------------------------- */

typedef struct threshold {
    char env[NAME_LEN];
    double value;
} threshold;

/* Used when no data/thresholds.csv is found; the same values as that file. */
static const threshold BUILTIN_THRESHOLDS[] = {
    {"CartPole-v1", 475}, {"Acrobot-v1", -100}, {"MountainCar-v0", -110},
    {"MountainCarContinuous-v0", 90}, {"Pendulum-v1", -200},
};

typedef struct published {
    char source[256], setting[128], metric[64], algo[NAME_LEN], env[NAME_LEN], value[64],
        note[128];
} published;

typedef struct step_row {
    char algo[NAME_LEN], net[NAME_LEN], phase[NAME_LEN];
    long batch;
    double ms, tps;
} step_row;

#define REPORT_MAX_DIRS 32

typedef struct report {
    const char *dir, *data_opt;  /* dir: the first folder (default --out, step data) */
    const char *dirs[REPORT_MAX_DIRS];
    size_t ndirs;
    char dirs_text[4200];        /* "A/runs, B/runs" for the index and provenance */
    char steps_path[4200];       /* the step_cost.csv read */
    char out[4096];
    size_t window;
    run *runs;
    size_t nruns;
    threshold *thr;
    size_t nthr;
    char thr_source[4200];
    threshold *rnd; /* the uniform-random policy's mean return */
    size_t nrnd;
    char rnd_source[4200];
    published *pub;
    size_t npub;
    char pub_source[4200];
    step_row *steps;
    size_t nsteps;
    char *prov;
    text index;
} report;

/* data/<name>: --data, $CLKFAC_DATA_DIR, $CLKFAC_SOURCE_DIR/data, next to the program
 * (build trees sit inside the source tree), then ./data. */
static int find_data(const report *R, const char *name, char *path, size_t cap)
{
    const char *env_dirs[2] = {getenv("CLKFAC_DATA_DIR"), getenv("CLKFAC_SOURCE_DIR")};
    if (R->data_opt) {
        snprintf(path, cap, "%s/%s", R->data_opt, name);
        return is_file(path) ? 0 : -1; /* an explicit folder is the only place looked at */
    }
    if (env_dirs[0] && *env_dirs[0]) {
        snprintf(path, cap, "%s/%s", env_dirs[0], name);
        if (is_file(path)) return 0;
    }
    if (env_dirs[1] && *env_dirs[1]) {
        snprintf(path, cap, "%s/data/%s", env_dirs[1], name);
        if (is_file(path)) return 0;
    }
    char exe[4096];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        static const char *const up[] = {"..", "../..", "../share/clkfac"};
        for (size_t i = 0; i < 3; i++) {
            if (snprintf(path, cap, "%s/%s/data/%s", exe, up[i], name) < (int)cap &&
                is_file(path))
                return 0;
        }
    }
    snprintf(path, cap, "data/%s", name);
    return is_file(path) ? 0 : -1;
}

/* The canonical form of a found data file, so provenance reads /src/data/x.csv, not
 * /src/build/../data/x.csv. */
static void show_path(char *dst, size_t cap, const char *path)
{
    char *real = realpath(path, NULL);
    scopy(dst, cap, real ? real : path);
    free(real);
}

/* Finds data/<file> and reads it whole: -1 when there is none (nothing set), else a CLI exit
 * code; path gets where it is, source the path shown in the report. */
static int read_data(report *R, const char *file, char *path, size_t pcap, char *source,
                     size_t cap, char **buf, size_t *len)
{
    if (find_data(R, file, path, pcap)) return -1;
    show_path(source, cap, path);
    int err = slurp(path, buf, len);
    if (err) return report_error(CLI_RUNTIME, "cannot read %s: %s", path, strerror(err));
    return CLI_OK;
}

/* Reads data/<file> (header with "environment" and value_col) into *out; -1 when no such file
 * is found (nothing set), else a CLI exit code. source gets the path read. */
static int load_env_values(report *R, const char *file, const char *value_col, threshold **out,
                           size_t *n_out, char *source, size_t cap)
{
    char path[4096], *buf = NULL;
    size_t len = 0;
    int got = read_data(R, file, path, sizeof path, source, cap, &buf, &len);
    if (got) return got;
    lines L = {buf, buf + len, 0, 0, 0};
    char *f[MAX_FIELDS], *line = next_line(&L);
    int rc = CLI_OK, nf = line ? csv_split(line, f, MAX_FIELDS) : 0;
    int ce = nf > 0 ? col_of(f, nf, "environment") : -1, cv = nf > 0 ? col_of(f, nf, value_col) : -1;
    if (ce < 0 || cv < 0) {
        rc = report_error(CLI_USAGE, "%s:%zu: expected a header with environment,%s", path,
                          L.lineno ? L.lineno : 1, value_col);
        goto done;
    }
    while ((line = next_line(&L))) {
        nf = csv_split(line, f, MAX_FIELDS);
        double v;
        if (nf <= (ce > cv ? ce : cv) || parse_num(f[cv], &v)) {
            rc = report_error(CLI_USAGE, "%s:%zu: expected environment,%s with a number", path,
                              L.lineno, value_col);
            goto done;
        }
        threshold *g = realloc(*out, (*n_out + 1) * sizeof *g);
        if (!g) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
        *out = g;
        copy_name(g[*n_out].env, f[ce]);
        g[(*n_out)++].value = v;
    }
done:
    free(buf);
    return rc;
}

static int load_thresholds(report *R)
{
    int rc = load_env_values(R, "thresholds.csv", "threshold", &R->thr, &R->nthr, R->thr_source,
                             sizeof R->thr_source);
    if (rc >= 0) return rc;
    if (R->data_opt)
        return report_error(CLI_USAGE, "--data %s: no thresholds.csv there", R->data_opt);
    R->nthr = sizeof BUILTIN_THRESHOLDS / sizeof BUILTIN_THRESHOLDS[0];
    R->thr = malloc(sizeof BUILTIN_THRESHOLDS);
    if (!R->thr) return report_error(CLI_RUNTIME, "out of memory");
    memcpy(R->thr, BUILTIN_THRESHOLDS, sizeof BUILTIN_THRESHOLDS);
    snprintf(R->thr_source, sizeof R->thr_source, "built-in (no data/thresholds.csv found)");
    return CLI_OK;
}

/* The uniform-random policy's mean return per environment (data/random.csv, written from
 * `clkfac env eval --env all`): optional. */
static int load_random(report *R)
{
    int rc = load_env_values(R, "random.csv", "random_return", &R->rnd, &R->nrnd,
                             R->rnd_source, sizeof R->rnd_source);
    if (rc >= 0) return rc;
    snprintf(R->rnd_source, sizeof R->rnd_source, "none (no data/random.csv found)");
    return CLI_OK;
}

static double value_of(const threshold *t, size_t n, const char *env)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].env, env)) return t[i].value;
    return NAN;
}

static double threshold_of(const report *R, const char *env)
{
    return value_of(R->thr, R->nthr, env);
}

static double random_of(const report *R, const char *env)
{
    return value_of(R->rnd, R->nrnd, env);
}

static int load_published(report *R)
{
    char path[4096], *buf = NULL;
    size_t len = 0;
    int got = read_data(R, "published.csv", path, sizeof path, R->pub_source,
                        sizeof R->pub_source, &buf, &len);
    if (got < 0) {
        snprintf(R->pub_source, sizeof R->pub_source, "not found");
        return CLI_OK;
    }
    if (got) return got;
    lines L = {buf, buf + len, 0, 0, 0};
    char *f[MAX_FIELDS], *line = next_line(&L);
    int rc = CLI_OK, nf = line ? csv_split(line, f, MAX_FIELDS) : 0;
    static const char *const cols[7] = {"source", "setting", "metric", "algorithm",
                                        "environment", "value", "note"};
    int c[7], need = 0;
    for (int i = 0; i < 7; i++) {
        c[i] = nf > 0 ? col_of(f, nf, cols[i]) : -1;
        if (c[i] < 0 && i != 6) {
            rc = report_error(CLI_USAGE, "%s:%zu: header lacks '%s' (expected "
                              "source,setting,metric,algorithm,environment,value,note)",
                              path, L.lineno ? L.lineno : 1, cols[i]);
            goto done;
        }
        if (c[i] + 1 > need && i != 6) need = c[i] + 1;
    }
    while ((line = next_line(&L))) {
        nf = csv_split(line, f, MAX_FIELDS);
        if (nf < need) {
            rc = report_error(CLI_USAGE, "%s:%zu: expected %d fields, found %d", path, L.lineno,
                              need, nf < 0 ? 0 : nf);
            goto done;
        }
        published *g = realloc(R->pub, (R->npub + 1) * sizeof *g);
        if (!g) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
        R->pub = g;
        published *p = &g[R->npub++];
        snprintf(p->source, sizeof p->source, "%s", f[c[0]]);
        snprintf(p->setting, sizeof p->setting, "%s", f[c[1]]);
        snprintf(p->metric, sizeof p->metric, "%s", f[c[2]]);
        copy_name(p->algo, f[c[3]]);
        copy_name(p->env, f[c[4]]);
        snprintf(p->value, sizeof p->value, "%s", f[c[5]]);
        snprintf(p->note, sizeof p->note, "%s", c[6] >= 0 && c[6] < nf ? f[c[6]] : "");
    }
done:
    free(buf);
    return rc;
}

/* Returns CLI_OK (also when there is no step data) or an exit code. */
static int load_steps(report *R, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    int err = slurp(path, &buf, &len);
    if (err == ENOENT) return CLI_OK;
    if (err) return report_error(err == EILSEQ ? CLI_USAGE : CLI_RUNTIME, "cannot read %s: %s",
                                 path, err == EILSEQ ? "not a text file" : strerror(err));
    lines L = {buf, buf + len, 0, 1, 0};
    char *f[MAX_FIELDS], *line = next_line(&L);
    int rc = CLI_OK, nf = line ? csv_split(line, f, MAX_FIELDS) : 0;
    int ca = nf > 0 ? col_of(f, nf, "algo") : -1, cn = nf > 0 ? col_of(f, nf, "net") : -1,
        cb = nf > 0 ? col_of(f, nf, "batch") : -1, cp = nf > 0 ? col_of(f, nf, "phase") : -1,
        cm = nf > 0 ? col_of(f, nf, "median_ms") : -1,
        cs = nf > 0 ? col_of(f, nf, "timesteps_per_second") : -1;
    if (ca < 0 || cb < 0 || cp < 0 || cm < 0) {
        rc = report_error(CLI_USAGE,
                          "%s:%zu: header lacks '%s' (expected algo,net,batch,phase,median_ms,"
                          "timesteps_per_second,...)",
                          path, L.lineno ? L.lineno : 1,
                          ca < 0 ? "algo" : cb < 0 ? "batch" : cp < 0 ? "phase" : "median_ms");
        goto done;
    }
    int need = 0;
    const int cols[6] = {ca, cn, cb, cp, cm, cs};
    for (int i = 0; i < 6; i++)
        if (cols[i] + 1 > need) need = cols[i] + 1;
    while ((line = next_line(&L))) {
        nf = csv_split(line, f, MAX_FIELDS);
        if (nf < need) {
            rc = report_error(CLI_USAGE, "%s:%zu: expected %d fields, found %d", path, L.lineno,
                              need, nf < 0 ? 0 : nf);
            goto done;
        }
        step_row s;
        double b;
        memset(&s, 0, sizeof s);
        if (parse_num(f[cb], &b) || b < 1 || b != floor(b) || b > 1e9) {
            rc = report_error(CLI_USAGE, "%s:%zu: batch '%s' is not a positive whole number",
                              path, L.lineno, f[cb]);
            goto done;
        }
        if (parse_num(f[cm], &s.ms) || s.ms < 0) {
            rc = report_error(CLI_USAGE, "%s:%zu: median_ms '%s' is not a number >= 0", path,
                              L.lineno, f[cm]);
            goto done;
        }
        s.tps = NAN;
        if (cs >= 0 && *f[cs] && (parse_num(f[cs], &s.tps) || s.tps <= 0)) {
            rc = report_error(CLI_USAGE, "%s:%zu: timesteps_per_second '%s' is not a number > 0",
                              path, L.lineno, f[cs]);
            goto done;
        }
        s.batch = (long)b;
        copy_name(s.algo, f[ca]);
        copy_name(s.net, cn >= 0 && *f[cn] ? f[cn] : "-");
        copy_name(s.phase, f[cp]);
        step_row *g = realloc(R->steps, (R->nsteps + 1) * sizeof *g);
        if (!g) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
        R->steps = g;
        g[R->nsteps++] = s;
    }
    if (L.partial_line)
        warn("%s:%zu: last line has no newline (an interrupted write?); ignored", path,
             L.partial_line);
done:
    free(buf);
    return rc;
}

/* ---- collecting runs ------------------------------------------------------------------------ */

/* Appends the runs of dir/runs; a (algo, env, seed) already read from an earlier folder is
 * skipped with a warning. */
static int load_runs_from(report *R, const char *dir)
{
    char rdir[4200];
    snprintf(rdir, sizeof rdir, "%s/runs", dir);
    DIR *d = opendir(rdir);
    if (!d)
        return report_error(CLI_USAGE, "no runs: cannot open %s (%s); expected "
                                       "%s/runs/<algo>__<env>__seed<k>/episodes.csv",
                            rdir, strerror(errno), dir);
    char **names = NULL;
    size_t nn = 0;
    int rc = CLI_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char p[8400];
        snprintf(p, sizeof p, "%s/%s", rdir, de->d_name);
        if (!is_dir(p)) continue;
        char **g = realloc(names, (nn + 1) * sizeof *g);
        if (!g || !(g[nn] = strdup(de->d_name))) {
            if (g) names = g;
            rc = report_error(CLI_RUNTIME, "out of memory");
            goto done;
        }
        names = g;
        nn++;
    }
    qsort(names, nn, sizeof *names, cmp_str); /* listing order must not matter */
    run *grown = realloc(R->runs, (R->nruns + nn + 1) * sizeof *R->runs);
    if (!grown) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
    R->runs = grown;
    for (size_t i = 0; i < nn; i++) {
        run *ru = &R->runs[R->nruns];
        memset(ru, 0, sizeof *ru);
        char path[8400];
        snprintf(ru->name, sizeof ru->name, "%s", names[i]);
        char nalgo[NAME_LEN] = "", nenv[NAME_LEN] = "";
        long nseed = 0;
        int named = !parse_run_name(names[i], nalgo, nenv, &nseed);
        summary sm;
        snprintf(path, sizeof path, "%s/%s/summary.json", rdir, names[i]);
        int s = load_summary(&sm, path);
        if (s > 0) { rc = s; goto done; }
        if (!(sm.have_algo || named) || !(sm.have_env || named) || !(sm.have_seed || named)) {
            warn("%s/%s: cannot tell the algorithm, environment and seed (summary.json lacks "
                 "them and the name is not <algo>__<env>__seed<k>); skipped", rdir, names[i]);
            continue;
        }
        copy_name(ru->algo, sm.have_algo ? sm.algo : nalgo);
        copy_name(ru->env, sm.have_env ? sm.env : nenv);
        ru->seed = sm.have_seed ? (long)sm.seed : nseed;
        ru->wall = sm.wall;
        ru->finished = sm.finished;
        snprintf(ru->device, sizeof ru->device, "%s", sm.device);
        snprintf(path, sizeof path, "%s/%s/episodes.csv", rdir, names[i]);
        int e = load_episodes(ru, path);
        if (e < 0) {
            warn("%s/%s: no episodes.csv yet; skipped", rdir, names[i]);
            continue;
        }
        if (e) { rc = e; goto done; }
        if (ru->n == 0) {
            warn("%s: no finished episode yet; run skipped", path);
            free(ru->t);
            free(ru->r);
            continue;
        }
        /* one folder per (algo, env, seed): a second would count a seed twice */
        int dup = 0;
        for (size_t k = 0; k < R->nruns && !dup; k++)
            dup = !strcmp(R->runs[k].algo, ru->algo) && !strcmp(R->runs[k].env, ru->env) &&
                  R->runs[k].seed == ru->seed;
        if (dup) {
            warn("%s/%s: %s on %s seed %ld already read from another folder; skipped", rdir,
                 names[i], ru->algo, ru->env, ru->seed);
            free(ru->t);
            free(ru->r);
            continue;
        }
        R->nruns++;
    }
done:
    if (d) closedir(d);
    for (size_t i = 0; i < nn; i++) free(names[i]);
    free(names);
    return rc;
}

static int load_runs(report *R)
{
    for (size_t i = 0; i < R->ndirs; i++) {
        int rc = load_runs_from(R, R->dirs[i]);
        if (rc) return rc;
    }
    if (!R->nruns)
        return report_error(CLI_USAGE, "no runs with episodes under %s (expected "
                                       "<algo>__<env>__seed<k>/episodes.csv folders)",
                            R->dirs_text);
    qsort(R->runs, R->nruns, sizeof *R->runs, cmp_run);
    return CLI_OK;
}

/* ---- writing -------------------------------------------------------------------------------- */

static int write_text(const report *R, const char *name, const char *s, size_t n)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", R->out, name);
    clkfac_status st = clkfac_file_write_atomic(path, s, n);
    if (st) return cli_fail("report: writing results", st);
    return CLI_OK;
}

/* CSV of the table; Markdown of `shown` (the formatted twin) under a title with notes and the
 * provenance; JSON with the provenance beside the rows. */
static int write_tables(const report *R, const char *stem, const clkfac_table *data,
                        const clkfac_table *shown, const char *title, const char *notes)
{
    char *csv = NULL, *md = NULL, *json = NULL, name[256];
    text doc = {0}, jd = {0};
    int rc = CLI_OK;
    clkfac_status st;
    if ((st = clkfac_table_csv(&csv, data)) || (st = clkfac_table_markdown(&md, shown)) ||
        (st = clkfac_table_json(&json, data))) {
        rc = cli_fail("report: rendering a table", st);
        goto done;
    }
    tx(&doc, "# %s\n\n%s\n%s\n\n```\n%s```\n", title, md, notes, R->prov);
    tx(&jd, "{\"provenance\": \"");
    for (const char *p = R->prov; *p; p++) {
        if (*p == '\n') tx(&jd, "\\n");
        else if (*p == '"' || *p == '\\') tx(&jd, "\\%c", *p);
        else if ((unsigned char)*p >= 0x20) tx(&jd, "%c", *p);
    }
    tx(&jd, "\",\n\"rows\": ");
    /* empty cells are missing numbers: null for machines, not "" */
    for (const char *p = json; *p; p++) {
        if (!strncmp(p, ": \"\"", 4) && (p[4] == ',' || p[4] == '}')) {
            tx(&jd, ": null");
            p += 3;
        } else {
            tx(&jd, "%c", *p);
        }
    }
    tx(&jd, "}\n");
    if (doc.oom || jd.oom) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
    snprintf(name, sizeof name, "%s.csv", stem);
    if ((rc = write_text(R, name, csv, strlen(csv)))) goto done;
    snprintf(name, sizeof name, "%s.md", stem);
    if ((rc = write_text(R, name, doc.s, doc.n))) goto done;
    snprintf(name, sizeof name, "%s.json", stem);
    rc = write_text(R, name, jd.s, jd.n);
done:
    free(csv);
    free(md);
    free(json);
    free(doc.s);
    free(jd.s);
    return rc;
}

static int table_new(clkfac_table **t, size_t n, const char *const *h)
{
    clkfac_status st = clkfac_table_create(t, n, h);
    return st ? cli_fail("report: table", st) : CLI_OK;
}

static int table_row(clkfac_table *t, const char *const *cells)
{
    clkfac_status st = clkfac_table_add_row(t, cells);
    return st ? cli_fail("report: table", st) : CLI_OK;
}

/* ---- learning-curve statistics ---------------------------------------------------------- */

/* Per-run final return, threshold crossing and AUC for the runs [a, b) of one environment. The
 * AUC grid spans the timesteps every run covers: from the latest first episode to the earliest
 * last one, so each run is averaged over the same span. */
static int run_stats(report *R, size_t a, size_t b, double *auc_from, double *auc_to)
{
    double lo = -INFINITY, hi = INFINITY, grid[GRID], y[GRID];
    for (size_t i = a; i < b; i++) {
        if (R->runs[i].t[0] > lo) lo = R->runs[i].t[0];
        if (R->runs[i].t[R->runs[i].n - 1] < hi) hi = R->runs[i].t[R->runs[i].n - 1];
    }
    int have_grid = hi > lo;
    for (int j = 0; j < GRID && have_grid; j++) grid[j] = lo + (hi - lo) * j / (GRID - 1);
    if (have_grid) grid[GRID - 1] = hi;
    *auc_from = have_grid ? lo : NAN;
    *auc_to = have_grid ? hi : NAN;
    double thr = threshold_of(R, R->runs[a].env);
    for (size_t i = a; i < b; i++) {
        run *ru = &R->runs[i];
        clkfac_status st;
        ru->final = clkfac_stats_final_mean(ru->r, ru->n, R->window);
        ru->cross_ep = -1;
        ru->cross_t = NAN;
        if (isfinite(thr) && (st = clkfac_stats_threshold_crossing(&ru->cross_ep, &ru->cross_t, ru->t,
                                                                   ru->r, ru->n, R->window, thr)))
            return cli_fail("report: threshold crossing", st);
        ru->auc = NAN;
        if (have_grid) {
            if ((st = clkfac_stats_resample(y, grid, GRID, ru->t, ru->r, ru->n, R->window)))
                return cli_fail("report: resampling a curve", st);
            ru->auc = clkfac_stats_auc(grid, y, GRID);
        }
    }
    return CLI_OK;
}

static double mean_finite(const double *x, size_t n, size_t *count)
{
    double s = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) { s += x[i]; k++; }
    if (count) *count = k;
    return k ? s / (double)k : NAN;
}

/* One learning-curve plot for the runs [a, b) of an environment: per algorithm the mean over
 * seeds of the rolling-mean curve on a grid from 0 to the longest run, with a min-max band.
 * A run contributes only up to its own last episode, not a value carried past its end. */
static int curve_plot(report *R, size_t a, size_t b)
{
    const char *env = R->runs[a].env;
    double tmax = 0, grid[GRID];
    for (size_t i = a; i < b; i++)
        if (R->runs[i].t[R->runs[i].n - 1] > tmax) tmax = R->runs[i].t[R->runs[i].n - 1];
    if (!(tmax > 0)) tmax = 1;
    for (int j = 0; j < GRID; j++) grid[j] = tmax * j / (GRID - 1);
    size_t nr = b - a;
    double *cur = malloc(nr * GRID * sizeof *cur), *v = malloc(nr * sizeof *v);
    if (!cur || !v) {
        free(cur);
        free(v);
        return report_error(CLI_RUNTIME, "out of memory");
    }
    clkfac_plot *p = NULL;
    char title[256], sub[256], ylabel[128], name[NAME_LEN + 40], file[300], path[4800];
    int rc = CLI_OK;
    clkfac_status st;
    snprintf(title, sizeof title, "%s: learning curves", env);
    snprintf(ylabel, sizeof ylabel, "episode return (mean of last %zu)", R->window);
    if ((st = clkfac_plot_create(&p, CLKFAC_PLOT_LINES, title, "timesteps", ylabel))) goto fail;
    size_t smin = (size_t)-1, smax = 0;
    for (size_t c = a; c < b;) {
        size_t e = c;
        while (e < b && !strcmp(R->runs[e].algo, R->runs[c].algo)) e++;
        size_t ns = e - c;
        for (size_t i = c; i < e; i++) {
            double *y = cur + (i - a) * GRID;
            if ((st = clkfac_stats_resample(y, grid, GRID, R->runs[i].t, R->runs[i].r,
                                            R->runs[i].n, R->window)))
                goto fail;
            for (int j = 0; j < GRID; j++)
                if (grid[j] > R->runs[i].t[R->runs[i].n - 1]) y[j] = NAN;
        }
        double m[GRID], lo[GRID], hi[GRID];
        for (int j = 0; j < GRID; j++) {
            size_t k = 0;
            for (size_t i = c; i < e; i++) v[k++] = cur[(i - a) * GRID + j];
            m[j] = mean_finite(v, k, NULL);
            lo[j] = hi[j] = NAN;
            for (size_t q = 0; q < k; q++)
                if (isfinite(v[q])) {
                    if (!(v[q] >= lo[j])) lo[j] = v[q];
                    if (!(v[q] <= hi[j])) hi[j] = v[q];
                }
        }
        snprintf(name, sizeof name, "%s (%zu seed%s)", R->runs[c].algo, ns, ns == 1 ? "" : "s");
        if ((st = clkfac_plot_add_series(p, name, grid, m, lo, hi, GRID))) goto fail;
        if (ns < smin) smin = ns;
        if (ns > smax) smax = ns;
        c = e;
    }
    double thr = threshold_of(R, env);
    char label[64];
    snprintf(label, sizeof label, "threshold %g", thr);
    if (isfinite(thr) && (st = clkfac_plot_add_hline(p, thr, label))) goto fail;
    double rnd = random_of(R, env);
    snprintf(label, sizeof label, "random policy %.3g", rnd);
    if (isfinite(rnd) && (st = clkfac_plot_add_hline(p, rnd, label))) goto fail;
    snprintf(sub, sizeof sub, "line: mean over seeds; band: min to max over seeds; "
                              "rolling mean of the last %zu episode returns", R->window);
    if ((st = clkfac_plot_set_subtitle(p, sub))) goto fail;
    char stem[NAME_LEN];
    file_stem(stem, sizeof stem, env);
    snprintf(file, sizeof file, "curves_%s.png", stem);
    snprintf(path, sizeof path, "%s/%s", R->out, file);
    if ((st = clkfac_plot_write_png(p, path, R->prov))) goto fail;
    tx(&R->index, "### %s\n\n![%s learning curves](%s)\n\n", env, env, file);
    goto done;
fail:
    rc = cli_fail("report: learning-curve plot", st);
done:
    clkfac_plot_free(p);
    free(cur);
    free(v);
    return rc;
}

/* ---- the results table -------------------------------------------------------------------- */

static int results(report *R)
{
    static const char *const hd[] = {
        "env", "algo", "seeds", "threshold", "random_return", "final_mean", "final_ci_lo",
        "final_ci_hi",
        "final_std", "final_median", "reached", "episodes_to_threshold",
        "timesteps_to_threshold", "auc", "auc_from", "auc_to", "wall_seconds"};
    static const char *const hm[] = {"Environment", "Algorithm", "Seeds",
                                     "Final return, mean [95% CI]", "Random policy", "Threshold",
                                     "Reached",
                                     "Episodes to threshold", "Timesteps to threshold", "AUC",
                                     "Wall time (s)"};
    enum { ND = sizeof hd / sizeof hd[0], NM = sizeof hm / sizeof hm[0] };
    clkfac_table *td = NULL, *tm = NULL;
    text nt = {0}; /* the notes under the table */
    int rc;
    if ((rc = table_new(&td, ND, hd)) || (rc = table_new(&tm, NM, hm))) goto done;
    double *fin = malloc(R->nruns * sizeof *fin), *epi = malloc(R->nruns * sizeof *epi),
           *ts = malloc(R->nruns * sizeof *ts), *au = malloc(R->nruns * sizeof *au),
           *wl = malloc(R->nruns * sizeof *wl);
    if (!fin || !epi || !ts || !au || !wl) {
        rc = report_error(CLI_RUNTIME, "out of memory");
        goto free_arrays;
    }
    for (size_t a = 0; a < R->nruns;) {
        size_t b = a;
        while (b < R->nruns && !strcmp(R->runs[b].env, R->runs[a].env)) b++;
        double auc_from, auc_to;
        if ((rc = run_stats(R, a, b, &auc_from, &auc_to))) goto free_arrays;
        double thr = threshold_of(R, R->runs[a].env), rnd = random_of(R, R->runs[a].env);
        for (size_t c = a; c < b;) {
            size_t e = c, n = 0, reached = 0;
            while (e < b && !strcmp(R->runs[e].algo, R->runs[c].algo)) e++;
            for (size_t i = c; i < e; i++, n++) {
                const run *ru = &R->runs[i];
                fin[n] = ru->final;
                au[n] = ru->auc;
                wl[n] = ru->wall;
                if (ru->cross_ep >= 0) {
                    epi[reached] = (double)ru->cross_ep;
                    ts[reached++] = ru->cross_t;
                }
            }
            double mean = clkfac_stats_mean(fin, n), sd = clkfac_stats_std(fin, n), med, lo, hi;
            clkfac_status st;
            if ((st = clkfac_stats_median(&med, fin, n)) ||
                (st = clkfac_stats_bootstrap_ci(&lo, &hi, fin, n, 0.95,
                                                CLKFAC_STATS_BOOTSTRAP_RESAMPLES,
                                                CLKFAC_STATS_BOOTSTRAP_SEED))) {
                rc = cli_fail("report: statistics", st);
                goto free_arrays;
            }
            double epm = clkfac_stats_mean(epi, reached), tsm = clkfac_stats_mean(ts, reached);
            double aucm = mean_finite(au, n, NULL), wallm = mean_finite(wl, n, NULL);
            char d[ND][NAME_LEN], m[NM][NAME_LEN];
            scopy(d[0], NAME_LEN, R->runs[c].env);
            scopy(d[1], NAME_LEN, R->runs[c].algo);
            snprintf(d[2], NAME_LEN, "%zu", n);
            /* the numeric columns in header order (reached is a count: %.10g prints it whole) */
            const double dv[ND - 3] = {thr, rnd, mean, lo, hi, sd, med, (double)reached,
                                       epm, tsm, aucm, auc_from, auc_to, wallm};
            for (int k = 3; k < ND; k++) num_csv(d[k], NAME_LEN, dv[k - 3]);
            scopy(m[0], NAME_LEN, R->runs[c].env);
            scopy(m[1], NAME_LEN, R->runs[c].algo);
            snprintf(m[2], NAME_LEN, "%zu", n);
            if (isfinite(mean)) {
                char fm[40], l[40], h[40];
                ret_md(fm, sizeof fm, mean);
                ret_md(l, sizeof l, lo);
                ret_md(h, sizeof h, hi);
                snprintf(m[3], NAME_LEN, "%s [%s, %s]", fm, l, h);
            } else {
                snprintf(m[3], NAME_LEN, "n/a");
            }
            if (isfinite(rnd)) ret_md(m[4], NAME_LEN, rnd);
            else snprintf(m[4], NAME_LEN, "n/a");
            if (isfinite(thr)) snprintf(m[5], NAME_LEN, "%g", thr);
            else snprintf(m[5], NAME_LEN, "none");
            if (isfinite(thr)) snprintf(m[6], NAME_LEN, "%zu/%zu seeds", reached, n);
            else snprintf(m[6], NAME_LEN, "n/a");
            num_md(m[7], NAME_LEN, epm, 0);
            num_md(m[8], NAME_LEN, tsm, 0);
            ret_md(m[9], NAME_LEN, aucm);
            num_md(m[10], NAME_LEN, wallm, 1);
            const char *dc[ND], *mc[NM];
            for (int k = 0; k < ND; k++) dc[k] = d[k];
            for (int k = 0; k < NM; k++) mc[k] = m[k];
            if ((rc = table_row(td, dc)) || (rc = table_row(tm, mc))) goto free_arrays;
            c = e;
        }
        a = b;
    }
    tx(&nt,
             "Final return: the mean of the last %zu episode returns of each run; the table gives "
             "the mean over seeds and a 95%% percentile-bootstrap interval over seeds (%d "
             "resamples, fixed seed). Random policy: the uniform-random policy's mean return "
             "over 1000 episodes (%s). Threshold: the environment's \"solved\" return (%s). "
             "Episodes and timesteps to threshold: the first point at which the mean of the last "
             "%zu returns reaches it, averaged over the seeds that reached it (Reached counts "
             "them). AUC: the mean of the rolling-mean return curve over the timesteps every run "
             "of the environment covers (auc_from to auc_to in results.csv). Wall time: mean over "
             "seeds of wall_seconds in summary.json.",
             R->window, CLKFAC_STATS_BOOTSTRAP_RESAMPLES, R->rnd_source, R->thr_source,
             R->window);
    if (nt.oom) { rc = report_error(CLI_RUNTIME, "out of memory"); goto free_arrays; }
    const char *notes = nt.s;
    rc = write_tables(R, "results", td, tm, "Results: final return, sample efficiency, wall time",
                      notes);
    if (!rc) {
        char *md = NULL;
        clkfac_status st = clkfac_table_markdown(&md, tm);
        if (st) rc = cli_fail("report: table", st);
        else tx(&R->index, "## Results\n\n[results.md](results.md) | [results.csv](results.csv) "
                           "| [results.json](results.json)\n\n%s\n%s\n\n",
                md, notes);
        free(md);
    }
free_arrays:
    free(fin);
    free(epi);
    free(ts);
    free(au);
    free(wl);
done:
    free(nt.s);
    clkfac_table_free(td);
    clkfac_table_free(tm);
    return rc;
}

/* ---- published numbers beside ours -------------------------------------------------------- */

static int has_env(const report *R, const char *env)
{
    for (size_t i = 0; i < R->nruns; i++)
        if (!strcmp(R->runs[i].env, env)) return 1;
    return 0;
}

/* Our final mean over seeds for (env, algo), compared case-insensitively ("ACKTR" = "acktr"). */
static double ours_final(const report *R, const char *env, const char *algo, size_t *n,
                         double *tmax)
{
    double s = 0;
    *n = 0;
    *tmax = 0;
    for (size_t i = 0; i < R->nruns; i++)
        if (!strcmp(R->runs[i].env, env) && !strcasecmp(R->runs[i].algo, algo) &&
            isfinite(R->runs[i].final)) {
            s += R->runs[i].final;
            (*n)++;
            if (R->runs[i].t[R->runs[i].n - 1] > *tmax) *tmax = R->runs[i].t[R->runs[i].n - 1];
        }
    return *n ? s / (double)*n : NAN;
}

static int published_table(report *R)
{
    static const char *const hd[] = {"environment", "algorithm", "metric", "ours",
                                     "ours_setting", "published", "published_setting", "source",
                                     "note"};
    enum { N = sizeof hd / sizeof hd[0] };
    clkfac_table *t = NULL;
    int rc = CLI_OK, rows = 0;
    if ((rc = table_new(&t, N, hd))) return rc;
    for (size_t i = 0; i < R->npub; i++) {
        const published *p = &R->pub[i];
        if (!has_env(R, p->env)) continue;
        char ours[64] = "n/a", oset[160] = "no run of this algorithm";
        size_t n;
        double tmax, v = ours_final(R, p->env, p->algo, &n, &tmax);
        if (n && !strcmp(p->metric, "final_reward")) {
            ret_md(ours, sizeof ours, v);
            snprintf(oset, sizeof oset, "mean over %zu seed%s of the last %zu episodes, up to %.0f "
                     "steps", n, n == 1 ? "" : "s", R->window, tmax);
        } else if (n) {
            snprintf(oset, sizeof oset, "metric not measured by these runs");
        }
        const char *row[N] = {p->env, p->algo, p->metric, ours, oset, p->value, p->setting,
                              p->source, p->note};
        if ((rc = table_row(t, row))) goto done;
        rows++;
    }
    if (rows) {
        const char *notes = "Published numbers come from other implementations, step budgets, "
                            "hyperparameters and hardware: they anchor the scale of the results, "
                            "they are not a like-for-like comparison.";
        rc = write_tables(R, "published", t, t,
                          "Published numbers beside ours (different setting and device)", notes);
        char *md = NULL;
        clkfac_status st = rc ? CLKFAC_OK : clkfac_table_markdown(&md, t);
        if (st) rc = cli_fail("report: table", st);
        else if (!rc)
            tx(&R->index, "## Published numbers (different setting and device)\n\n"
                          "[published.md](published.md) | [published.csv](published.csv)\n\n"
                          "%s\n%s\n\n",
               md, notes);
        free(md);
    }
done:
    clkfac_table_free(t);
    return rc;
}

/* ---- step cost --------------------------------------------------------------------------- */

/* Unique values of a step_row string field, sorted (or in first-seen order). */
static size_t uniq(const report *R, size_t off, const char *net, const char **out, int sorted)
{
    size_t n = 0;
    for (size_t i = 0; i < R->nsteps; i++) {
        if (net && strcmp(R->steps[i].net, net)) continue;
        const char *v = (const char *)&R->steps[i] + off;
        size_t k = 0;
        while (k < n && strcmp(out[k], v)) k++;
        if (k == n) out[n++] = v;
    }
    if (sorted) qsort(out, n, sizeof *out, cmp_str);
    return n;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static size_t uniq_batches(const report *R, const char *net, long *out)
{
    size_t n = 0;
    for (size_t i = 0; i < R->nsteps; i++) {
        if (net && strcmp(R->steps[i].net, net)) continue;
        size_t k = 0;
        while (k < n && out[k] != R->steps[i].batch) k++;
        if (k == n) out[n++] = R->steps[i].batch;
    }
    qsort(out, n, sizeof *out, cmp_long);
    return n;
}

static int is_total(const char *phase) { return !strcasecmp(phase, "total"); }

/* The last row for (algo, net, batch, phase), or NULL. */
static const step_row *step_find(const report *R, const char *algo, const char *net, long batch,
                                 const char *phase)
{
    const step_row *r = NULL;
    for (size_t i = 0; i < R->nsteps; i++) {
        const step_row *s = &R->steps[i];
        if (s->batch == batch && !strcmp(s->algo, algo) && !strcmp(s->net, net) &&
            !strcmp(s->phase, phase))
            r = s;
    }
    return r;
}

/* Milliseconds per update (the "total" row, else the sum of phases) and timesteps per second
 * (a measured value, else batch timesteps per total time). NaN when nothing was measured. */
static void step_totals(const report *R, const char *algo, const char *net, long batch,
                        double *ms, double *tps)
{
    double sum = 0, total = NAN, measured = NAN, total_tps = NAN;
    int any = 0;
    for (size_t i = 0; i < R->nsteps; i++) {
        const step_row *s = &R->steps[i];
        if (s->batch != batch || strcmp(s->algo, algo) || strcmp(s->net, net)) continue;
        if (is_total(s->phase)) {
            total = s->ms;
            if (isfinite(s->tps)) total_tps = s->tps;
        } else if (step_find(R, algo, net, batch, s->phase) == s) {
            sum += s->ms;
            any = 1;
        }
        if (isfinite(s->tps) && !isfinite(measured)) measured = s->tps;
    }
    *ms = isfinite(total) ? total : any ? sum : NAN;
    *tps = isfinite(total_tps) ? total_tps
           : isfinite(measured) ? measured
           : *ms > 0            ? (double)batch * 1000.0 / *ms
                                : NAN;
}

static int step_report(report *R)
{
    size_t cap = R->nsteps ? R->nsteps : 1;
    const char **algos = malloc(cap * sizeof *algos), **nets = malloc(cap * sizeof *nets),
               **phases = malloc(cap * sizeof *phases), **hdr = NULL, **cells = NULL;
    long *batches = malloc(cap * sizeof *batches);
    double *vals = NULL, *x = NULL, *y = NULL;
    char **store = NULL;
    clkfac_plot *p = NULL;
    clkfac_table *t = NULL;
    int rc = CLI_OK;
    clkfac_status st = CLKFAC_OK;
    char path[4800], file[300], title[256], stem[NAME_LEN];
    size_t nnet = 0, nph_all = 0, nph = 0, ncol = 0;
    if (!algos || !nets || !phases || !batches) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
    nnet = uniq(R, offsetof(step_row, net), NULL, nets, 1);
    nph_all = uniq(R, offsetof(step_row, phase), NULL, phases, 0);
    /* phases in first-seen order, "total" left out of the stacks */
    for (size_t i = 0; i < nph_all; i++)
        if (!is_total(phases[i])) phases[nph++] = phases[i];
    tx(&R->index, "## Step cost\n\nFrom %s: median milliseconds per update "
                  "by phase, and timesteps per second by batch size (batch = timesteps per "
                  "update).\n\n[step_cost.md](step_cost.md) | [step_cost.csv](step_cost.csv)\n\n",
       R->steps_path);
    { /* bench step's paper-layout table (Atari CNN at 640), when it was measured: copied over */
        char tps[4300], *buf = NULL;
        size_t len = 0;
        snprintf(tps, sizeof tps, "%s", R->steps_path);
        char *slash = strrchr(tps, '/');
        snprintf(slash ? slash + 1 : tps, sizeof tps - (size_t)(slash ? slash + 1 - tps : 0),
                 "paper_tps.md");
        if (is_file(tps) && !slurp(tps, &buf, &len)) {
            rc = write_text(R, "paper_tps.md", buf, len);
            free(buf);
            if (rc) goto done;
            tx(&R->index, "Timesteps per second in the ACKTR paper's layout, beside its GPU "
                          "numbers: [paper_tps.md](paper_tps.md)\n\n");
        }
    }

    /* table: one row per (algo, net, batch) with every phase */
    ncol = 3 + nph + 2;
    hdr = calloc(ncol, sizeof *hdr);
    cells = calloc(ncol, sizeof *cells);
    store = calloc(ncol, sizeof *store);
    if (!hdr || !cells || !store) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
    for (size_t i = 0; i < ncol; i++)
        if (!(store[i] = malloc(NAME_LEN + 8))) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
    hdr[0] = "algo";
    hdr[1] = "net";
    hdr[2] = "batch";
    for (size_t i = 0; i < nph; i++) {
        snprintf(store[i], NAME_LEN + 8, "%s_ms", phases[i]);
        hdr[3 + i] = store[i];
    }
    hdr[3 + nph] = "total_ms";
    hdr[4 + nph] = "timesteps_per_second";
    if ((st = clkfac_table_create(&t, ncol, hdr))) goto fail;
    for (size_t i = 0; i < ncol; i++) cells[i] = store[i];
    for (size_t ni = 0; ni < nnet; ni++) {
        const char *net = nets[ni];
        size_t na = uniq(R, offsetof(step_row, algo), net, algos, 1);
        size_t nb = uniq_batches(R, net, batches);
        for (size_t ai = 0; ai < na; ai++)
            for (size_t bi = 0; bi < nb; bi++) {
                double ms, tps;
                step_totals(R, algos[ai], net, batches[bi], &ms, &tps);
                if (!isfinite(ms) && !isfinite(tps)) continue;
                snprintf(store[0], NAME_LEN + 8, "%s", algos[ai]);
                snprintf(store[1], NAME_LEN + 8, "%s", net);
                snprintf(store[2], NAME_LEN + 8, "%ld", batches[bi]);
                for (size_t ph = 0; ph < nph; ph++) {
                    const step_row *s = step_find(R, algos[ai], net, batches[bi], phases[ph]);
                    num_csv(store[3 + ph], NAME_LEN + 8, s ? s->ms : NAN);
                }
                num_csv(store[3 + nph], NAME_LEN + 8, ms);
                num_csv(store[4 + nph], NAME_LEN + 8, tps);
                if ((st = clkfac_table_add_row(t, (const char *const *)cells))) goto fail;
            }
    }
    if ((rc = write_tables(R, "step_cost", t, t, "Step cost: time per update by phase",
                           "Median over repetitions, as measured by `clkfac bench step`; "
                           "total_ms is the whole update.")))
        goto done;

    /* one stacked bar chart per net: algorithms along x, a bar per batch size */
    for (size_t ni = 0; ni < nnet && nph; ni++) {
        const char *net = nets[ni];
        size_t na = uniq(R, offsetof(step_row, algo), net, algos, 1);
        size_t nb = uniq_batches(R, net, batches);
        char **gn = calloc(nb, sizeof *gn);
        vals = malloc(na * nb * sizeof *vals);
        int ok = gn && vals;
        for (size_t g = 0; ok && g < nb; g++)
            if ((gn[g] = malloc(32))) snprintf(gn[g], 32, "%ld", batches[g]);
            else ok = 0;
        snprintf(title, sizeof title, "Time per update by phase (net %s)", net);
        if (ok && !(st = clkfac_plot_create(&p, CLKFAC_PLOT_BARS, title,
                                            "algorithm; one bar per batch size (timesteps per update)",
                                            "time per update (ms, median)")) &&
            !(st = clkfac_plot_set_bars(p, na, algos, nb, (const char *const *)gn)))
            for (size_t ph = 0; ph < nph && !st; ph++) {
                for (size_t ai = 0; ai < na; ai++)
                    for (size_t g = 0; g < nb; g++) {
                        const step_row *s = step_find(R, algos[ai], net, batches[g], phases[ph]);
                        vals[ai * nb + g] = s ? s->ms : NAN;
                    }
                st = clkfac_plot_add_segment(p, phases[ph], vals);
            }
        for (size_t g = 0; gn && g < nb; g++) free(gn[g]);
        free(gn);
        free(vals);
        vals = NULL;
        if (!ok) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
        if (st) goto fail;
        file_stem(stem, sizeof stem, net);
        snprintf(file, sizeof file, "step_cost_%s.png", stem);
        snprintf(path, sizeof path, "%s/%s", R->out, file);
        if ((st = clkfac_plot_set_subtitle(p, "segments stack the phases of one update; "
                                              "the number on a bar is its total")) ||
            (st = clkfac_plot_write_png(p, path, R->prov)))
            goto fail;
        clkfac_plot_free(p);
        p = NULL;
        tx(&R->index, "![time per update by phase, net %s](%s)\n\n", net, file);
    }

    /* throughput against batch size: one line per (algo, net) */
    x = malloc(cap * sizeof *x);
    y = malloc(cap * sizeof *y);
    if (!x || !y) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
    if ((st = clkfac_plot_create(&p, CLKFAC_PLOT_LINES, "Throughput vs batch size",
                                 "batch size (timesteps per update, log scale)",
                                 "timesteps per second")) ||
        (st = clkfac_plot_set_log_x(p, 1)))
        goto fail;
    size_t nseries = 0;
    for (size_t ni = 0; ni < nnet; ni++) {
        const char *net = nets[ni];
        size_t na = uniq(R, offsetof(step_row, algo), net, algos, 1);
        size_t nb = uniq_batches(R, net, batches);
        for (size_t ai = 0; ai < na; ai++) {
            size_t k = 0;
            for (size_t bi = 0; bi < nb; bi++) {
                double ms, tps;
                step_totals(R, algos[ai], net, batches[bi], &ms, &tps);
                if (!isfinite(tps)) continue;
                x[k] = (double)batches[bi];
                y[k++] = tps;
            }
            if (!k) continue;
            char name[2 * NAME_LEN + 8];
            if (nnet > 1) snprintf(name, sizeof name, "%s (net %s)", algos[ai], net);
            else snprintf(name, sizeof name, "%s", algos[ai]);
            if ((st = clkfac_plot_add_series(p, name, x, y, NULL, NULL, k))) goto fail;
            nseries++;
        }
    }
    if (nseries) {
        snprintf(path, sizeof path, "%s/tps_vs_batch.png", R->out);
        if ((st = clkfac_plot_set_subtitle(p, "whole update (rollout included when measured)")) ||
            (st = clkfac_plot_write_png(p, path, R->prov)))
            goto fail;
        tx(&R->index, "![timesteps per second vs batch size](tps_vs_batch.png)\n\n");
    }
    goto done;
fail:
    rc = cli_fail("report: step-cost results", st);
done:
    clkfac_plot_free(p);
    clkfac_table_free(t);
    for (size_t i = 0; store && i < ncol; i++) free(store[i]);
    free(store);
    free(hdr);
    free(cells);
    free(algos);
    free(nets);
    free(phases);
    free(batches);
    free(vals);
    free(x);
    free(y);
    return rc;
}

/* ---- provenance and the index -------------------------------------------------------------- */

/* Deterministic: the clkfac build, the inputs and the settings; no date, so an unchanged
 * suite gives an unchanged report. Each run's own date and device stay in its summary.json. */
static int make_provenance(report *R)
{
    text t = {0};
    tx(&t, "clkfac: %s (git %s)\nruns: %s (%zu runs)\n", clkfac_version(),
       clkfac_git_commit(), R->dirs_text, R->nruns);
    tx(&t, "devices:");
    int any = 0;
    for (size_t i = 0; i < R->nruns; i++) {
        if (!R->runs[i].device[0]) continue;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) seen = !strcmp(R->runs[k].device, R->runs[i].device);
        if (!seen) tx(&t, "%s %s", any ? ";" : "", R->runs[i].device);
        any = 1;
    }
    tx(&t, "%s\n", any ? "" : " not recorded");
    tx(&t, "thresholds: %s\nrandom policy: %s\npublished: %s\n", R->thr_source, R->rnd_source,
       R->pub_source);
    tx(&t, "statistics: rolling window %zu episodes; bootstrap %d resamples, seed 0x%llx, 95%% "
           "percentile interval\n",
       R->window, CLKFAC_STATS_BOOTSTRAP_RESAMPLES, (unsigned long long)CLKFAC_STATS_BOOTSTRAP_SEED);
    if (t.oom) {
        free(t.s);
        return report_error(CLI_RUNTIME, "out of memory");
    }
    R->prov = t.s;
    return CLI_OK;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: clkfac report DIR [DIR2 ..] [--out DIR/report] [--data DATA_DIR]\n"
            "                     [--window 100]\n"
            "\n"
            "Reads the runs of a benchmark suite and writes tables and plots:\n"
            "  DIR/runs/<algo>__<env>__seed<k>/episodes.csv  timestep,episode,return,length\n"
            "  DIR/runs/<algo>__<env>__seed<k>/summary.json  algo, env, seed, wall_seconds\n"
            "  DIR/step/step_cost.csv (optional)  algo,net,batch,phase,median_ms,\n"
            "                                     timesteps_per_second\n"
            "into DIR/report/: results.{md,csv,json} (final return with a 95%% bootstrap\n"
            "interval over seeds, episodes and timesteps to the solved threshold, AUC, wall\n"
            "time), curves_<env>.png, step-cost plots, published numbers beside ours, and\n"
            "index.md linking all of them. Several folders (suites run in parallel or on\n"
            "other machines) are reported together: their runs are merged, a run (algorithm,\n"
            "environment, seed) found twice is taken from the first folder, the step data\n"
            "and the default --out come from the first folder that has them.\n"
            "  --data DIR   where thresholds.csv and published.csv are (default: the source\n"
            "               tree's data/ found from $CLKFAC_DATA_DIR, $CLKFAC_SOURCE_DIR or the\n"
            "               program's location; built-in thresholds otherwise)\n"
            "  --window K   episodes in the rolling mean (default 100)\n");
}

static void report_free(report *R)
{
    for (size_t i = 0; i < R->nruns; i++) {
        free(R->runs[i].t);
        free(R->runs[i].r);
    }
    free(R->runs);
    free(R->thr);
    free(R->rnd);
    free(R->pub);
    free(R->steps);
    free(R->prov);
    free(R->index.s);
}

int cmd_report(int argc, char **argv)
{
    report R;
    memset(&R, 0, sizeof R);
    R.window = CLKFAC_STATS_WINDOW;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        long n;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return CLI_OK;
        }
        if ((r = cli_opt(argc, argv, &i, "--out", &v))) { if (r < 0) return CLI_USAGE; out = v; }
        else if ((r = cli_opt(argc, argv, &i, "--data", &v))) {
            if (r < 0) return CLI_USAGE;
            if (!is_dir(v)) return cli_usage_error("report: --data %s: not a folder", v);
            R.data_opt = v;
        } else if ((r = cli_opt(argc, argv, &i, "--window", &v))) {
            if (r < 0 || cli_parse_long("--window", v, 1, 100000, &n)) return CLI_USAGE;
            R.window = (size_t)n;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("report: unknown option '%s' (see --help)", argv[i]);
        } else if (R.ndirs == REPORT_MAX_DIRS) {
            return cli_usage_error("report: more than %d folders ('%s')", REPORT_MAX_DIRS,
                                   argv[i]);
        } else {
            if (!is_dir(argv[i]))
                return report_error(CLI_USAGE, "'%s' is not a folder (expected the folder a "
                                               "suite wrote, holding runs/)", argv[i]);
            R.dirs[R.ndirs++] = argv[i];
            size_t len = strlen(R.dirs_text);
            snprintf(R.dirs_text + len, sizeof R.dirs_text - len, "%s%s/runs", len ? ", " : "",
                     argv[i]);
        }
    }
    if (!R.ndirs) {
        usage(stderr);
        return CLI_USAGE;
    }
    R.dir = R.dirs[0];
    if (out) snprintf(R.out, sizeof R.out, "%s", out);
    else snprintf(R.out, sizeof R.out, "%s/report", R.dir);

    int rc;
    snprintf(R.steps_path, sizeof R.steps_path, "%s/step/step_cost.csv", R.dir);
    for (size_t i = 0; i < R.ndirs; i++) { /* the first folder with step data */
        char p[4200];
        snprintf(p, sizeof p, "%s/step/step_cost.csv", R.dirs[i]);
        if (is_file(p)) {
            snprintf(R.steps_path, sizeof R.steps_path, "%s", p);
            break;
        }
    }
    if ((rc = load_runs(&R)) || (rc = load_thresholds(&R)) || (rc = load_random(&R)) || (rc = load_published(&R)) ||
        (rc = load_steps(&R, R.steps_path)) || (rc = make_provenance(&R)))
        goto done;
    clkfac_status st = clkfac_mkdir_p(R.out);
    if (st) { rc = cli_fail("report: output folder", st); goto done; }

    size_t nenv = 0, nalgo = 0;
    for (size_t i = 0; i < R.nruns; i++) {
        if (!i || strcmp(R.runs[i].env, R.runs[i - 1].env)) nenv++;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) seen = !strcmp(R.runs[k].algo, R.runs[i].algo);
        nalgo += !seen;
    }
    tx(&R.index, "# Benchmark report\n\n%zu runs of %zu algorithm%s on %zu environment%s, read "
                 "from `%s`.\n\n",
       R.nruns, nalgo, nalgo == 1 ? "" : "s", nenv, nenv == 1 ? "" : "s", R.dirs_text);
    if ((rc = results(&R))) goto done;
    tx(&R.index, "## Learning curves\n\n");
    for (size_t a = 0; a < R.nruns;) {
        size_t b = a;
        while (b < R.nruns && !strcmp(R.runs[b].env, R.runs[a].env)) b++;
        if ((rc = curve_plot(&R, a, b))) goto done;
        a = b;
    }
    if (R.nsteps && (rc = step_report(&R))) goto done;
    if ((rc = published_table(&R))) goto done;
    int unfinished = 0;
    for (size_t i = 0; i < R.nruns; i++)
        if (R.runs[i].finished == 0) {
            if (!unfinished) tx(&R.index, "## Runs still in progress\n\n");
            tx(&R.index, "- %s\n", R.runs[i].name);
            unfinished = 1;
        }
    if (unfinished) tx(&R.index, "\n");
    tx(&R.index, "## Provenance\n\n```\n%s```\n", R.prov);
    if (R.index.oom) { rc = report_error(CLI_RUNTIME, "out of memory"); goto done; }
    if ((rc = write_text(&R, "index.md", R.index.s, R.index.n))) goto done;
    printf("report: %zu runs, %zu environment%s -> %s/index.md\n", R.nruns, nenv,
           nenv == 1 ? "" : "s", R.out);
done:
    report_free(&R);
    return rc;
}
