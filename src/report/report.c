/* clkfac_report_write: the benchmark report from the run folders of suites (see
 * clkfac/report.h): shared formatting helpers, the provenance block, and the index page linking
 * the tables and plots the other report_*.c files write. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stdarg.h>
#include <sys/stat.h>

#include "report/report_int.h"

/* ---- small utilities ---------------------------------------------------------------------- */

clkfac_status rep_fail(const char *what, clkfac_status st)
{
    char detail[2048];
    rep_copy(detail, sizeof detail, clkfac_last_error());
    return rep_err(st, "%s: %s: %s", what, clkfac_status_str(st), detail);
}

void rep_warn(const report *R, const char *fmt, ...)
{
    if (!R->o->warn) return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    R->o->warn(R->o->warn_user, msg);
}

int rep_is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int rep_is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int rep_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copies with truncation to cap - 1 characters (names longer than that are not real names). */
void rep_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* File names from environment and net names: keep [A-Za-z0-9._-], the rest becomes '_'. */
void rep_file_stem(char *dst, size_t cap, const char *src)
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
void rep_num_csv(char *buf, size_t len, double v)
{
    if (isfinite(v)) snprintf(buf, len, "%.10g", v);
    else buf[0] = '\0';
}

void rep_num_md(char *buf, size_t len, double v, int decimals)
{
    if (isfinite(v)) snprintf(buf, len, "%.*f", decimals, v);
    else snprintf(buf, len, "n/a");
}

/* Returns for people: one decimal from 100 up (555.5, -153.7), three significant digits below
 * (47.2, 0.0245), so small-scale environments do not print as 0.0. */
void rep_ret_md(char *buf, size_t len, double v)
{
    if (!isfinite(v)) snprintf(buf, len, "n/a");
    else if (fabs(v) >= 100 || v == 0) snprintf(buf, len, "%.1f", v);
    else snprintf(buf, len, "%.3g", v);
}

/* ---- provenance and the index -------------------------------------------------------------- */

/* Deterministic: the clkfac build, the inputs and the settings; no date, so an unchanged
 * suite gives an unchanged report. Each run's own date and device stay in its summary.json. */
static clkfac_status make_provenance(report *R)
{
    core_text t = {0};
    core_text_printf(&t, "clkfac: %s (git %s)\nruns: %s (%zu runs)\n", clkfac_version(),
       clkfac_git_commit(), R->dirs_text, R->nruns);
    core_text_printf(&t, "devices:");
    int any = 0;
    for (size_t i = 0; i < R->nruns; i++) {
        if (!R->runs[i].device[0]) continue;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) seen = !strcmp(R->runs[k].device, R->runs[i].device);
        if (!seen) core_text_printf(&t, "%s %s", any ? ";" : "", R->runs[i].device);
        any = 1;
    }
    core_text_printf(&t, "%s\n", any ? "" : " not recorded");
    core_text_printf(&t, "thresholds: %s\nrandom policy: %s\npublished: %s\n", R->thr_source, R->rnd_source,
       R->pub_source);
    core_text_printf(&t, "statistics: rolling window %zu episodes; bootstrap %d resamples, seed 0x%llx, 95%% "
           "percentile interval\n",
       R->window, CLKFAC_STATS_BOOTSTRAP_RESAMPLES, (unsigned long long)CLKFAC_STATS_BOOTSTRAP_SEED);
    if (t.oom) {
        free(t.s);
        return rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    }
    R->prov = t.s;
    return CLKFAC_OK;
}

static void report_free(report *R)
{
    for (size_t i = 0; i < R->nruns; i++) {
        free(R->runs[i].t);
        free(R->runs[i].r);
    }
    free(R->runs);
    free(R->thr);
    free(R->thr_derived);
    free(R->rnd);
    free(R->pub);
    free(R->steps);
    free(R->prov);
    core_text_free(&R->index);
}

/* The options checked and the folders named: input and output paths, the step data found. */
static clkfac_status report_init(report *R, const clkfac_report_options *o)
{
    memset(R, 0, sizeof *R);
    R->o = o;
    if (o->version != CLKFAC_REPORT_OPTIONS_VERSION)
        return rep_err(CLKFAC_ERR_INVALID_ARG, "report options version %d; this build knows %d",
                       o->version, CLKFAC_REPORT_OPTIONS_VERSION);
    if (!o->n_dirs || o->n_dirs > CLKFAC_REPORT_MAX_DIRS || !o->dirs)
        return rep_err(CLKFAC_ERR_INVALID_ARG, "%zu suite folders; expected 1 to %d", o->n_dirs,
                       CLKFAC_REPORT_MAX_DIRS);
    if (o->data_dir && !rep_is_dir(o->data_dir))
        return rep_err(CLKFAC_ERR_INVALID_ARG, "--data %s: not a folder", o->data_dir);
    R->window = o->window ? o->window : CLKFAC_STATS_WINDOW;
    R->data_opt = o->data_dir;
    for (size_t i = 0; i < o->n_dirs; i++) {
        if (!rep_is_dir(o->dirs[i]))
            return rep_err(CLKFAC_ERR_INVALID_ARG, "'%s' is not a folder (expected the folder a "
                                                   "suite wrote, holding runs/)", o->dirs[i]);
        size_t len = strlen(R->dirs_text);
        snprintf(R->dirs_text + len, sizeof R->dirs_text - len, "%s%s/runs", len ? ", " : "",
                 o->dirs[i]);
    }
    R->dir = o->dirs[0];
    if (o->out) snprintf(R->out, sizeof R->out, "%s", o->out);
    else snprintf(R->out, sizeof R->out, "%s/report", R->dir);
    snprintf(R->steps_path, sizeof R->steps_path, "%s/step/step_cost.csv", R->dir);
    for (size_t i = 0; i < o->n_dirs; i++) { /* the first folder with step data */
        char p[4200];
        snprintf(p, sizeof p, "%s/step/step_cost.csv", o->dirs[i]);
        if (rep_is_file(p)) {
            snprintf(R->steps_path, sizeof R->steps_path, "%s", p);
            break;
        }
    }
    return CLKFAC_OK;
}

/* Runs listed in the index under a heading when flag(run) holds. */
static void index_list(report *R, const char *heading, int damaged)
{
    int any = 0;
    for (size_t i = 0; i < R->nruns; i++) {
        const rep_run *ru = &R->runs[i];
        if (damaged ? !ru->damaged : ru->finished != 0) continue;
        if (!any) core_text_printf(&R->index, "## %s\n\n", heading);
        core_text_printf(&R->index, "- %s\n", ru->name);
        any = 1;
    }
    if (any) core_text_printf(&R->index, "\n");
}

static size_t count_envs(const report *R, size_t *nalgo)
{
    size_t nenv = 0;
    *nalgo = 0;
    for (size_t i = 0; i < R->nruns; i++) {
        if (!i || strcmp(R->runs[i].env, R->runs[i - 1].env)) nenv++;
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++) seen = !strcmp(R->runs[k].algo, R->runs[i].algo);
        *nalgo += !seen;
    }
    return nenv;
}

/* Every table and plot, each linked from index.md. */
static clkfac_status report_body(report *R, size_t nenv, size_t nalgo)
{
    clkfac_status st;
    core_text_printf(&R->index, "# Benchmark report\n\n%zu runs of %zu algorithm%s on %zu "
                                "environment%s, read from `%s`.\n\n",
                     R->nruns, nalgo, nalgo == 1 ? "" : "s", nenv, nenv == 1 ? "" : "s",
                     R->dirs_text);
    if ((st = rep_results(R)) || (st = rep_aggregate(R))) return st;
    core_text_printf(&R->index, "## Learning curves\n\n");
    for (size_t a = 0; a < R->nruns;) {
        size_t b = a;
        while (b < R->nruns && !strcmp(R->runs[b].env, R->runs[a].env)) b++;
        if ((st = rep_curve_plot(R, a, b))) return st;
        a = b;
    }
    if (R->nsteps && (st = rep_step_report(R))) return st;
    if ((st = rep_published_table(R))) return st;
    index_list(R, "Runs still in progress", 0);
    index_list(R, "Runs whose episodes.csv was cut short (fewer episodes than summary.json "
                  "counts; reported as they are)", 1);
    core_text_printf(&R->index, "## Provenance\n\n```\n%s```\n", R->prov);
    if (R->index.oom) return rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    return rep_write_text(R, "index.md", R->index.s, R->index.n);
}

clkfac_status clkfac_report_write(clkfac_report_info *info, const clkfac_report_options *o)
{
    if (!o) return rep_err(CLKFAC_ERR_INVALID_ARG, "no report options");
    report R;
    clkfac_status st = report_init(&R, o);
    if (!st && (st = clkfac_dir_check(R.out))) /* the user's --out, or DIR/report */
        st = rep_fail("output folder", st);
    if (!st && !(st = rep_load_runs(&R)) && !(st = rep_load_thresholds(&R)) &&
        !(st = rep_load_random(&R)) && !(st = rep_derive_thresholds(&R)) &&
        !(st = rep_load_published(&R)) &&
        !(st = rep_load_steps(&R, R.steps_path)) && !(st = make_provenance(&R)) &&
        (st = clkfac_mkdir_p(R.out)))
        st = rep_fail("output folder", st);
    size_t nalgo = 0, nenv = count_envs(&R, &nalgo);
    if (!st) st = report_body(&R, nenv, nalgo);
    if (!st && info) {
        info->runs = R.nruns;
        info->environments = nenv;
        snprintf(info->out, sizeof info->out, "%s", R.out);
    }
    report_free(&R);
    return st;
}
