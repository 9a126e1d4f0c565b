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

clkfac_status rep_step_report(report *R)
{
    size_t cap = R->nsteps ? R->nsteps : 1;
    const char **algos = malloc(cap * sizeof *algos), **nets = malloc(cap * sizeof *nets),
               **phases = malloc(cap * sizeof *phases), **hdr = NULL, **cells = NULL;
    long *batches = malloc(cap * sizeof *batches);
    double *vals = NULL, *x = NULL, *y = NULL;
    char **store = NULL;
    clkfac_plot *p = NULL;
    clkfac_table *t = NULL;
    int rc = CLKFAC_OK;
    clkfac_status st = CLKFAC_OK;
    char path[4800], file[300], title[256], stem[REP_NAME];
    size_t nnet = 0, nph_all = 0, nph = 0, ncol = 0;
    if (!algos || !nets || !phases || !batches) { rc = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
    nnet = uniq(R, offsetof(rep_step, net), NULL, nets, 1);
    nph_all = uniq(R, offsetof(rep_step, phase), NULL, phases, 0);
    /* phases in first-seen order, "total" left out of the stacks */
    for (size_t i = 0; i < nph_all; i++)
        if (!is_total(phases[i])) phases[nph++] = phases[i];
    core_text_printf(&R->index, "## Step cost\n\nFrom %s: median milliseconds per update "
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
        if (rep_is_file(tps) && !core_read_file(tps, &buf, &len)) {
            rc = rep_write_text(R, "paper_tps.md", buf, len);
            free(buf);
            if (rc) goto done;
            core_text_printf(&R->index, "Timesteps per second in the ACKTR paper's layout, beside its GPU "
                          "numbers: [paper_tps.md](paper_tps.md)\n\n");
        }
    }

    /* table: one row per (algo, net, batch) with every phase */
    ncol = 3 + nph + 2;
    hdr = calloc(ncol, sizeof *hdr);
    cells = calloc(ncol, sizeof *cells);
    store = calloc(ncol, sizeof *store);
    if (!hdr || !cells || !store) { rc = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
    for (size_t i = 0; i < ncol; i++)
        if (!(store[i] = malloc(REP_NAME + 8))) { rc = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
    hdr[0] = "algo";
    hdr[1] = "net";
    hdr[2] = "batch";
    for (size_t i = 0; i < nph; i++) {
        snprintf(store[i], REP_NAME + 8, "%s_ms", phases[i]);
        hdr[3 + i] = store[i];
    }
    hdr[3 + nph] = "total_ms";
    hdr[4 + nph] = "timesteps_per_second";
    if ((st = clkfac_table_create(&t, ncol, hdr))) goto fail;
    for (size_t i = 0; i < ncol; i++) cells[i] = store[i];
    for (size_t ni = 0; ni < nnet; ni++) {
        const char *net = nets[ni];
        size_t na = uniq(R, offsetof(rep_step, algo), net, algos, 1);
        size_t nb = uniq_batches(R, net, batches);
        for (size_t ai = 0; ai < na; ai++)
            for (size_t bi = 0; bi < nb; bi++) {
                double ms, tps;
                step_totals(R, algos[ai], net, batches[bi], &ms, &tps);
                if (!isfinite(ms) && !isfinite(tps)) continue;
                snprintf(store[0], REP_NAME + 8, "%s", algos[ai]);
                snprintf(store[1], REP_NAME + 8, "%s", net);
                snprintf(store[2], REP_NAME + 8, "%ld", batches[bi]);
                for (size_t ph = 0; ph < nph; ph++) {
                    const rep_step *s = step_find(R, algos[ai], net, batches[bi], phases[ph]);
                    rep_num_csv(store[3 + ph], REP_NAME + 8, s ? s->ms : NAN);
                }
                rep_num_csv(store[3 + nph], REP_NAME + 8, ms);
                rep_num_csv(store[4 + nph], REP_NAME + 8, tps);
                if ((st = clkfac_table_add_row(t, (const char *const *)cells))) goto fail;
            }
    }
    if ((rc = rep_write_tables(R, "step_cost", t, t, "Step cost: time per update by phase",
                           "Median over repetitions, as measured by `clkfac bench step`; "
                           "total_ms is the whole update.")))
        goto done;

    /* one stacked bar chart per net: algorithms along x, a bar per batch size */
    for (size_t ni = 0; ni < nnet && nph; ni++) {
        const char *net = nets[ni];
        size_t na = uniq(R, offsetof(rep_step, algo), net, algos, 1);
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
                        const rep_step *s = step_find(R, algos[ai], net, batches[g], phases[ph]);
                        vals[ai * nb + g] = s ? s->ms : NAN;
                    }
                st = clkfac_plot_add_segment(p, phases[ph], vals);
            }
        for (size_t g = 0; gn && g < nb; g++) free(gn[g]);
        free(gn);
        free(vals);
        vals = NULL;
        if (!ok) { rc = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
        if (st) goto fail;
        rep_file_stem(stem, sizeof stem, net);
        snprintf(file, sizeof file, "step_cost_%s.png", stem);
        snprintf(path, sizeof path, "%s/%s", R->out, file);
        if ((st = clkfac_plot_set_subtitle(p, "segments stack the phases of one update; "
                                              "the number on a bar is its total")) ||
            (st = clkfac_plot_write_png(p, path, R->prov)))
            goto fail;
        clkfac_plot_free(p);
        p = NULL;
        core_text_printf(&R->index, "![time per update by phase, net %s](%s)\n\n", net, file);
    }

    /* throughput against batch size: one line per (algo, net) */
    x = malloc(cap * sizeof *x);
    y = malloc(cap * sizeof *y);
    if (!x || !y) { rc = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
    if ((st = clkfac_plot_create(&p, CLKFAC_PLOT_LINES, "Throughput vs batch size",
                                 "batch size (timesteps per update, log scale)",
                                 "timesteps per second")) ||
        (st = clkfac_plot_set_log_x(p, 1)))
        goto fail;
    size_t nseries = 0;
    for (size_t ni = 0; ni < nnet; ni++) {
        const char *net = nets[ni];
        size_t na = uniq(R, offsetof(rep_step, algo), net, algos, 1);
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
            char name[2 * REP_NAME + 8];
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
        core_text_printf(&R->index, "![timesteps per second vs batch size](tps_vs_batch.png)\n\n");
    }
    goto done;
fail:
    rc = rep_fail("step-cost results", st);
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

