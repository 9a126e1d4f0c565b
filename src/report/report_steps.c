/* The report's step costs (from `clkfac bench step`): a table of time per update by phase, a
 * stacked bar chart per network, and throughput against batch size. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/report_int.h"

/* ---- step cost --------------------------------------------------------------------------- */

/* Unique values of a rep_step string field, sorted (or in first-seen order). */
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
    if (sorted) qsort(out, n, sizeof *out, rep_cmp_str);
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
static const rep_step *step_find(const report *R, const char *algo, const char *net, long batch,
                                 const char *phase)
{
    const rep_step *r = NULL;
    for (size_t i = 0; i < R->nsteps; i++) {
        const rep_step *s = &R->steps[i];
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
        const rep_step *s = &R->steps[i];
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

/* The distinct values the step rows hold: nets sorted, phases in first-seen order without
 * "total" (left out of the stacks); algos and batches are per-net scratch. */
typedef struct step_lists {
    const char **algos, **nets, **phases;
    long *batches;
    size_t nnet, nph;
} step_lists;

static void lists_free(step_lists *l)
{
    free(l->algos);
    free(l->nets);
    free(l->phases);
    free(l->batches);
}

static clkfac_status lists_make(step_lists *l, const report *R)
{
    size_t cap = R->nsteps ? R->nsteps : 1;
    memset(l, 0, sizeof *l);
    l->algos = malloc(cap * sizeof *l->algos);
    l->nets = malloc(cap * sizeof *l->nets);
    l->phases = malloc(cap * sizeof *l->phases);
    l->batches = malloc(cap * sizeof *l->batches);
    if (!l->algos || !l->nets || !l->phases || !l->batches)
        return rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    l->nnet = uniq(R, offsetof(rep_step, net), NULL, l->nets, 1);
    size_t nph_all = uniq(R, offsetof(rep_step, phase), NULL, l->phases, 0);
    for (size_t i = 0; i < nph_all; i++)
        if (!is_total(l->phases[i])) l->phases[l->nph++] = l->phases[i];
    return CLKFAC_OK;
}

/* A Markdown table written beside step_cost.csv (rel: its path from there), copied into the
 * report under its base name with a line in the index; nothing when it was not written. */
static clkfac_status copy_beside(report *R, const char *rel, const char *what)
{
    char path[4400], *buf = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s", R->steps_path);
    char *slash = strrchr(path, '/');
    size_t at = slash ? (size_t)(slash + 1 - path) : 0;
    snprintf(path + at, sizeof path - at, "%s", rel);
    if (!rep_is_file(path) || core_read_file(path, &buf, &len)) return CLKFAC_OK;
    const char *name = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    clkfac_status st = rep_write_text(R, name, buf, len);
    free(buf);
    if (!st) core_text_printf(&R->index, "%s: [%s](%s)\n\n", what, name, name);
    return st;
}

/* bench step's paper-layout table (Atari CNN at 640) and launch budget, and the kernels'
 * resources per GPU target (scripts/kernels/vendor.py, which scripts/run.sh writes to
 * step/kernels/), when they were measured. */
static clkfac_status copy_step_extras(report *R)
{
    clkfac_status st = copy_beside(R, "paper_tps.md", "Timesteps per second in the ACKTR paper's "
                                                      "layout, beside its GPU numbers");
    if (!st) st = copy_beside(R, "launch_budget.md", "Launch budget per update (kernel launches, "
                                                     "BLAS calls, transfers and bytes moved)");
    if (!st) st = copy_beside(R, "kernels/kernels.md", "Every kernel compiled for AMD, NVIDIA "
                                                       "and Intel GPU targets: registers, spills, "
                                                       "local memory and occupancy");
    return st;
}

#define CELL (REP_NAME + 8)

/* One row per (algo, net, batch) with every phase, the total and timesteps per second. */
static clkfac_status fill_step_table(clkfac_table *t, const report *R, step_lists *l,
                                     char (*store)[CELL], const char **cells)
{
    for (size_t ni = 0; ni < l->nnet; ni++) {
        const char *net = l->nets[ni];
        size_t na = uniq(R, offsetof(rep_step, algo), net, l->algos, 1);
        size_t nb = uniq_batches(R, net, l->batches);
        for (size_t ai = 0; ai < na; ai++)
            for (size_t bi = 0; bi < nb; bi++) {
                double ms, tps;
                step_totals(R, l->algos[ai], net, l->batches[bi], &ms, &tps);
                if (!isfinite(ms) && !isfinite(tps)) continue;
                snprintf(store[0], CELL, "%s", l->algos[ai]);
                snprintf(store[1], CELL, "%s", net);
                snprintf(store[2], CELL, "%ld", l->batches[bi]);
                for (size_t ph = 0; ph < l->nph; ph++) {
                    const rep_step *s = step_find(R, l->algos[ai], net, l->batches[bi], l->phases[ph]);
                    rep_num_csv(store[3 + ph], CELL, s ? s->ms : NAN);
                }
                rep_num_csv(store[3 + l->nph], CELL, ms);
                rep_num_csv(store[4 + l->nph], CELL, tps);
                clkfac_status st = clkfac_table_add_row(t, cells);
                if (st) return rep_fail("step-cost results", st);
            }
    }
    return CLKFAC_OK;
}

static clkfac_status step_table(report *R, step_lists *l)
{
    size_t ncol = 3 + l->nph + 2;
    const char **hdr = calloc(ncol, sizeof *hdr);
    char(*store)[CELL] = calloc(ncol, sizeof *store);
    clkfac_table *t = NULL;
    clkfac_status st = CLKFAC_OK;
    if (!hdr || !store) st = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    if (!st) {
        hdr[0] = "algo";
        hdr[1] = "net";
        hdr[2] = "batch";
        for (size_t i = 0; i < l->nph; i++) {
            snprintf(store[i], CELL, "%s_ms", l->phases[i]);
            hdr[3 + i] = store[i];
        }
        hdr[3 + l->nph] = "total_ms";
        hdr[4 + l->nph] = "timesteps_per_second";
        if ((st = clkfac_table_create(&t, ncol, hdr))) st = rep_fail("step-cost results", st);
    }
    if (!st) {
        for (size_t i = 0; i < ncol; i++) hdr[i] = store[i]; /* the cells of each row */
        st = fill_step_table(t, R, l, store, hdr);
    }
    if (!st)
        st = rep_write_tables(R, "step_cost", t, t, "Step cost: time per update by phase",
                              "Median over repetitions, as measured by `clkfac bench step`; "
                              "total_ms is the whole update.");
    clkfac_table_free(t);
    free(hdr);
    free(store);
    return st;
}

/* One stacked bar chart for a net: algorithms along x, a bar per batch size, a segment per
 * phase. */
static clkfac_status step_bars(report *R, step_lists *l, const char *net)
{
    size_t na = uniq(R, offsetof(rep_step, algo), net, l->algos, 1);
    size_t nb = uniq_batches(R, net, l->batches);
    char(*gname)[32] = calloc(nb, sizeof *gname);
    const char **gn = calloc(nb, sizeof *gn);
    double *vals = malloc(na * nb * sizeof *vals);
    clkfac_plot *p = NULL;
    int oom = !gname || !gn || !vals;
    clkfac_status st = oom ? rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory") : CLKFAC_OK;
    char title[256], stem[REP_NAME], file[300], path[4800];
    for (size_t g = 0; !st && g < nb; g++) {
        snprintf(gname[g], sizeof gname[g], "%ld", l->batches[g]);
        gn[g] = gname[g];
    }
    snprintf(title, sizeof title, "Time per update by phase (net %s)", net);
    if (!st && !(st = clkfac_plot_create(&p, CLKFAC_PLOT_BARS, title,
                                         "algorithm; one bar per batch size (timesteps per update)",
                                         "time per update (ms, median)")))
        st = clkfac_plot_set_bars(p, na, l->algos, nb, gn);
    for (size_t ph = 0; ph < l->nph && !st; ph++) {
        for (size_t ai = 0; ai < na; ai++)
            for (size_t g = 0; g < nb; g++) {
                const rep_step *s = step_find(R, l->algos[ai], net, l->batches[g], l->phases[ph]);
                vals[ai * nb + g] = s ? s->ms : NAN;
            }
        st = clkfac_plot_add_segment(p, l->phases[ph], vals);
    }
    rep_file_stem(stem, sizeof stem, net);
    snprintf(file, sizeof file, "step_cost_%s.png", stem);
    snprintf(path, sizeof path, "%s/%s", R->out, file);
    if (!st && !(st = clkfac_plot_set_subtitle(p, "segments stack the phases of one update; "
                                                   "the number on a bar is its total")))
        st = clkfac_plot_write_png(p, path, R->prov);
    if (!st) core_text_printf(&R->index, "![time per update by phase, net %s](%s)\n\n", net, file);
    else if (!oom) st = rep_fail("step-cost results", st);
    clkfac_plot_free(p);
    free(gname);
    free(gn);
    free(vals);
    return st;
}

/* The (batch, timesteps per second) points of one algorithm on one net; the count. */
static size_t tps_points(const report *R, step_lists *l, const char *algo, const char *net,
                         size_t nb, double *x, double *y)
{
    size_t k = 0;
    for (size_t bi = 0; bi < nb; bi++) {
        double ms, tps;
        step_totals(R, algo, net, l->batches[bi], &ms, &tps);
        if (!isfinite(tps)) continue;
        x[k] = (double)l->batches[bi];
        y[k++] = tps;
    }
    return k;
}

/* Throughput against batch size: one line per (algo, net). */
static clkfac_status step_tps(report *R, step_lists *l)
{
    size_t cap = R->nsteps ? R->nsteps : 1, nseries = 0;
    double *x = malloc(cap * sizeof *x), *y = malloc(cap * sizeof *y);
    clkfac_plot *p = NULL;
    int oom = !x || !y;
    clkfac_status st = oom ? rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory") : CLKFAC_OK;
    if (!st && !(st = clkfac_plot_create(&p, CLKFAC_PLOT_LINES, "Throughput vs batch size",
                                         "batch size (timesteps per update, log scale)",
                                         "timesteps per second")))
        st = clkfac_plot_set_log_x(p, 1);
    for (size_t ni = 0; ni < l->nnet && !st; ni++) {
        const char *net = l->nets[ni];
        size_t na = uniq(R, offsetof(rep_step, algo), net, l->algos, 1);
        size_t nb = uniq_batches(R, net, l->batches);
        for (size_t ai = 0; ai < na && !st; ai++) {
            size_t k = tps_points(R, l, l->algos[ai], net, nb, x, y);
            if (!k) continue;
            char name[2 * REP_NAME + 8];
            if (l->nnet > 1) snprintf(name, sizeof name, "%s (net %s)", l->algos[ai], net);
            else snprintf(name, sizeof name, "%s", l->algos[ai]);
            st = clkfac_plot_add_series(p, name, x, y, NULL, NULL, k);
            nseries++;
        }
    }
    char path[4800];
    snprintf(path, sizeof path, "%s/tps_vs_batch.png", R->out);
    if (!st && nseries &&
        !(st = clkfac_plot_set_subtitle(p, "whole update (rollout included when measured)")) &&
        !(st = clkfac_plot_write_png(p, path, R->prov)))
        core_text_printf(&R->index, "![timesteps per second vs batch size](tps_vs_batch.png)\n\n");
    if (st && !oom) st = rep_fail("step-cost results", st);
    clkfac_plot_free(p);
    free(x);
    free(y);
    return st;
}

clkfac_status rep_step_report(report *R)
{
    step_lists l;
    clkfac_status st = lists_make(&l, R);
    if (!st) {
        core_text_printf(&R->index, "## Step cost\n\nFrom %s: median milliseconds per update by "
                                    "phase, and timesteps per second by batch size (batch = "
                                    "timesteps per update).\n\n[step_cost.md](step_cost.md) | "
                                    "[step_cost.csv](step_cost.csv)\n\n",
                         R->steps_path);
        st = copy_step_extras(R);
    }
    if (!st) st = step_table(R, &l);
    for (size_t ni = 0; ni < l.nnet && l.nph && !st; ni++) st = step_bars(R, &l, l.nets[ni]);
    if (!st) st = step_tps(R, &l);
    lists_free(&l);
    return st;
}
