/* The report's tables and learning curves: per-run final return, threshold crossing and AUC,
 * the cross-seed results table (bootstrap interval), one learning-curve plot per environment,
 * and published numbers beside ours; each table as CSV, Markdown and JSON. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/report_int.h"

clkfac_status rep_write_text(const report *R, const char *name, const char *s, size_t n)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", R->out, name);
    clkfac_status st = clkfac_file_write_atomic(path, s, n);
    if (st) return rep_fail("writing results", st);
    return CLKFAC_OK;
}

/* CSV of the table; Markdown of `shown` (the formatted twin) under a title with notes and the
 * provenance; JSON with the provenance beside the rows. */
clkfac_status rep_write_tables(const report *R, const char *stem, const clkfac_table *data,
                               const clkfac_table *shown, const char *title, const char *notes)
{
    clkfac_status st = clkfac_table_write(R->out, stem, data, shown, title, notes, R->prov);
    return st ? rep_fail("writing results", st) : CLKFAC_OK;
}

static int table_new(clkfac_table **t, size_t n, const char *const *h)
{
    clkfac_status st = clkfac_table_create(t, n, h);
    return st ? rep_fail("table", st) : CLKFAC_OK;
}

static int table_row(clkfac_table *t, const char *const *cells)
{
    clkfac_status st = clkfac_table_add_row(t, cells);
    return st ? rep_fail("table", st) : CLKFAC_OK;
}

/* ---- learning-curve statistics ---------------------------------------------------------- */

/* Per-run final return, threshold crossing and AUC for the runs [a, b) of one environment. The
 * AUC grid spans the timesteps every run covers: from the latest first episode to the earliest
 * last one, so each run is averaged over the same span. */
static int run_stats(report *R, size_t a, size_t b, double *auc_from, double *auc_to)
{
    double lo = -INFINITY, hi = INFINITY, grid[REP_GRID], y[REP_GRID];
    for (size_t i = a; i < b; i++) {
        if (R->runs[i].t[0] > lo) lo = R->runs[i].t[0];
        if (R->runs[i].t[R->runs[i].n - 1] < hi) hi = R->runs[i].t[R->runs[i].n - 1];
    }
    int have_grid = hi > lo;
    for (int j = 0; j < REP_GRID && have_grid; j++) grid[j] = lo + (hi - lo) * j / (REP_GRID - 1);
    if (have_grid) grid[REP_GRID - 1] = hi;
    *auc_from = have_grid ? lo : NAN;
    *auc_to = have_grid ? hi : NAN;
    double thr = rep_threshold_of(R, R->runs[a].env);
    for (size_t i = a; i < b; i++) {
        rep_run *ru = &R->runs[i];
        clkfac_status st;
        ru->final = clkfac_stats_final_mean(ru->r, ru->n, R->window);
        ru->cross_ep = -1;
        ru->cross_t = NAN;
        if (isfinite(thr) && (st = clkfac_stats_threshold_crossing(&ru->cross_ep, &ru->cross_t, ru->t,
                                                                   ru->r, ru->n, R->window, thr)))
            return rep_fail("threshold crossing", st);
        ru->auc = NAN;
        if (have_grid) {
            if ((st = clkfac_stats_resample(y, grid, REP_GRID, ru->t, ru->r, ru->n, R->window)))
                return rep_fail("resampling a curve", st);
            ru->auc = clkfac_stats_auc(grid, y, REP_GRID);
        }
    }
    return CLKFAC_OK;
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
clkfac_status rep_curve_plot(report *R, size_t a, size_t b)
{
    const char *env = R->runs[a].env;
    double tmax = 0, grid[REP_GRID];
    for (size_t i = a; i < b; i++)
        if (R->runs[i].t[R->runs[i].n - 1] > tmax) tmax = R->runs[i].t[R->runs[i].n - 1];
    if (!(tmax > 0)) tmax = 1;
    for (int j = 0; j < REP_GRID; j++) grid[j] = tmax * j / (REP_GRID - 1);
    size_t nr = b - a;
    double *cur = malloc(nr * REP_GRID * sizeof *cur), *v = malloc(nr * sizeof *v);
    if (!cur || !v) {
        free(cur);
        free(v);
        return rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    }
    clkfac_plot *p = NULL;
    char title[256], sub[256], ylabel[128], name[REP_NAME + 40], file[300], path[4800];
    int rc = CLKFAC_OK;
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
            double *y = cur + (i - a) * REP_GRID;
            if ((st = clkfac_stats_resample(y, grid, REP_GRID, R->runs[i].t, R->runs[i].r,
                                            R->runs[i].n, R->window)))
                goto fail;
            for (int j = 0; j < REP_GRID; j++)
                if (grid[j] > R->runs[i].t[R->runs[i].n - 1]) y[j] = NAN;
        }
        double m[REP_GRID], lo[REP_GRID], hi[REP_GRID];
        for (int j = 0; j < REP_GRID; j++) {
            size_t k = 0;
            for (size_t i = c; i < e; i++) v[k++] = cur[(i - a) * REP_GRID + j];
            m[j] = mean_finite(v, k, NULL);
            lo[j] = hi[j] = NAN;
            for (size_t q = 0; q < k; q++)
                if (isfinite(v[q])) {
                    if (!(v[q] >= lo[j])) lo[j] = v[q];
                    if (!(v[q] <= hi[j])) hi[j] = v[q];
                }
        }
        snprintf(name, sizeof name, "%s (%zu seed%s)", R->runs[c].algo, ns, ns == 1 ? "" : "s");
        if ((st = clkfac_plot_add_series(p, name, grid, m, lo, hi, REP_GRID))) goto fail;
        if (ns < smin) smin = ns;
        if (ns > smax) smax = ns;
        c = e;
    }
    double thr = rep_threshold_of(R, env);
    char label[64];
    snprintf(label, sizeof label, "threshold %g", thr);
    if (isfinite(thr) && (st = clkfac_plot_add_hline(p, thr, label))) goto fail;
    double rnd = rep_random_of(R, env);
    snprintf(label, sizeof label, "random policy %.3g", rnd);
    if (isfinite(rnd) && (st = clkfac_plot_add_hline(p, rnd, label))) goto fail;
    snprintf(sub, sizeof sub, "line: mean over seeds; band: min to max over seeds; "
                              "rolling mean of the last %zu episode returns", R->window);
    if ((st = clkfac_plot_set_subtitle(p, sub))) goto fail;
    char stem[REP_NAME];
    rep_file_stem(stem, sizeof stem, env);
    snprintf(file, sizeof file, "curves_%s.png", stem);
    snprintf(path, sizeof path, "%s/%s", R->out, file);
    if ((st = clkfac_plot_write_png(p, path, R->prov))) goto fail;
    core_text_printf(&R->index, "### %s\n\n![%s learning curves](%s)\n\n", env, env, file);
    goto done;
fail:
    rc = rep_fail("learning-curve plot", st);
done:
    clkfac_plot_free(p);
    free(cur);
    free(v);
    return rc;
}

/* ---- the results table -------------------------------------------------------------------- */

static const char *const RESULTS_DATA[] = {
    "env", "algo", "seeds", "threshold", "random_return", "final_mean", "final_ci_lo",
    "final_ci_hi", "final_std", "final_median", "reached", "episodes_to_threshold",
    "timesteps_to_threshold", "auc", "auc_from", "auc_to", "wall_seconds",
    "timesteps_to_threshold_ci_lo", "timesteps_to_threshold_ci_hi", "threshold_rule"};
static const char *const RESULTS_SHOWN[] = {
    "Environment", "Algorithm", "Seeds", "Final return, mean [95% CI]", "Random policy",
    "Threshold", "Reached", "Episodes to threshold", "Timesteps to threshold [95% CI]", "AUC",
    "Wall time (s)"};
enum { ND = sizeof RESULTS_DATA / sizeof RESULTS_DATA[0],
       NM = sizeof RESULTS_SHOWN / sizeof RESULTS_SHOWN[0] };

/* One (environment, algorithm) group's statistics over its seeds. */
typedef struct group_stats {
    size_t n, reached;
    int derived; /* the threshold is the halfway rule's, not thresholds.csv's */
    double thr, rnd, mean, lo, hi, sd, med, epm, tsm, tslo, tshi, aucm, wallm, auc_from, auc_to;
} group_stats;

/* Statistics of the runs [c, e) of one algorithm; scratch holds 5 * (e - c) doubles. */
static clkfac_status group_compute(group_stats *g, const report *R, size_t c, size_t e,
                                   double *scratch)
{
    size_t n = e - c;
    double *fin = scratch, *epi = scratch + n, *ts = scratch + 2 * n, *au = scratch + 3 * n,
           *wl = scratch + 4 * n;
    g->n = n;
    g->reached = 0;
    for (size_t i = 0; i < n; i++) {
        const rep_run *ru = &R->runs[c + i];
        fin[i] = ru->final;
        au[i] = ru->auc;
        wl[i] = ru->wall;
        if (ru->cross_ep >= 0) {
            epi[g->reached] = (double)ru->cross_ep;
            ts[g->reached++] = ru->cross_t;
        }
    }
    g->mean = clkfac_stats_mean(fin, n);
    g->sd = clkfac_stats_std(fin, n);
    clkfac_status st;
    if ((st = clkfac_stats_median(&g->med, fin, n)) ||
        (st = clkfac_stats_bootstrap_ci(&g->lo, &g->hi, fin, n, 0.95,
                                        CLKFAC_STATS_BOOTSTRAP_RESAMPLES,
                                        CLKFAC_STATS_BOOTSTRAP_SEED)))
        return rep_fail("statistics", st);
    g->epm = clkfac_stats_mean(epi, g->reached);
    g->tsm = clkfac_stats_mean(ts, g->reached);
    if ((st = clkfac_stats_bootstrap_ci(&g->tslo, &g->tshi, ts, g->reached, 0.95,
                                        CLKFAC_STATS_BOOTSTRAP_RESAMPLES,
                                        CLKFAC_STATS_BOOTSTRAP_SEED)))
        return rep_fail("statistics", st);
    g->aucm = mean_finite(au, n, NULL);
    g->wallm = mean_finite(wl, n, NULL);
    return CLKFAC_OK;
}

/* The group's row of results.csv/json (data) and of results.md (shown). */
static clkfac_status group_rows(clkfac_table *td, clkfac_table *tm, const rep_run *first,
                                const group_stats *g)
{
    char d[ND][REP_NAME], m[NM][REP_NAME];
    rep_copy(d[0], REP_NAME, first->env);
    rep_copy(d[1], REP_NAME, first->algo);
    snprintf(d[2], REP_NAME, "%zu", g->n);
    /* the numeric columns in header order (reached is a count: %.10g prints it whole) */
    const double dv[ND - 4] = {g->thr, g->rnd, g->mean, g->lo, g->hi, g->sd, g->med,
                               (double)g->reached, g->epm, g->tsm, g->aucm, g->auc_from,
                               g->auc_to, g->wallm, g->tslo, g->tshi};
    for (int k = 3; k < ND - 1; k++) rep_num_csv(d[k], REP_NAME, dv[k - 3]);
    snprintf(d[ND - 1], REP_NAME, "%s", !isfinite(g->thr) ? "" : g->derived ? "halfway" : "file");
    memcpy(m[0], d[0], sizeof m[0]);
    memcpy(m[1], d[1], sizeof m[1]);
    memcpy(m[2], d[2], sizeof m[2]);
    snprintf(m[3], REP_NAME, "n/a");
    if (isfinite(g->mean)) {
        char fm[40], l[40], h[40];
        rep_ret_md(fm, sizeof fm, g->mean);
        rep_ret_md(l, sizeof l, g->lo);
        rep_ret_md(h, sizeof h, g->hi);
        snprintf(m[3], REP_NAME, "%s [%s, %s]", fm, l, h);
    }
    if (isfinite(g->rnd)) rep_ret_md(m[4], REP_NAME, g->rnd);
    else snprintf(m[4], REP_NAME, "n/a");
    if (isfinite(g->thr) && g->derived) snprintf(m[5], REP_NAME, "%.3g (halfway)", g->thr);
    else if (isfinite(g->thr)) snprintf(m[5], REP_NAME, "%g", g->thr);
    else snprintf(m[5], REP_NAME, "none");
    if (isfinite(g->thr)) snprintf(m[6], REP_NAME, "%zu/%zu seeds", g->reached, g->n);
    else snprintf(m[6], REP_NAME, "n/a");
    rep_num_md(m[7], REP_NAME, g->epm, 0);
    rep_num_md(m[8], REP_NAME, g->tsm, 0);
    if (g->reached > 1 && isfinite(g->tslo)) {
        size_t k = strlen(m[8]);
        snprintf(m[8] + k, REP_NAME - k, " [%.0f, %.0f]", g->tslo, g->tshi);
    }
    rep_ret_md(m[9], REP_NAME, g->aucm);
    rep_num_md(m[10], REP_NAME, g->wallm, 1);
    const char *dc[ND], *mc[NM];
    for (int k = 0; k < ND; k++) dc[k] = d[k];
    for (int k = 0; k < NM; k++) mc[k] = m[k];
    clkfac_status st = table_row(td, dc);
    return st ? st : table_row(tm, mc);
}

/* Every (environment, algorithm) group's rows, environments and algorithms in run order. */
static clkfac_status results_rows(report *R, clkfac_table *td, clkfac_table *tm)
{
    double *scratch = malloc(5 * R->nruns * sizeof *scratch);
    if (!scratch) return rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    clkfac_status st = CLKFAC_OK;
    for (size_t a = 0; a < R->nruns && !st;) {
        size_t b = a;
        while (b < R->nruns && !strcmp(R->runs[b].env, R->runs[a].env)) b++;
        group_stats g;
        if ((st = run_stats(R, a, b, &g.auc_from, &g.auc_to))) break;
        g.thr = rep_threshold_of(R, R->runs[a].env);
        g.derived = rep_threshold_is_derived(R, R->runs[a].env);
        g.rnd = rep_random_of(R, R->runs[a].env);
        for (size_t c = a; c < b && !st;) {
            size_t e = c;
            while (e < b && !strcmp(R->runs[e].algo, R->runs[c].algo)) e++;
            if (!(st = group_compute(&g, R, c, e, scratch)))
                st = group_rows(td, tm, &R->runs[c], &g);
            c = e;
        }
        a = b;
    }
    free(scratch);
    return st;
}

clkfac_status rep_results(report *R)
{
    clkfac_table *td = NULL, *tm = NULL;
    core_text nt = {0}; /* the notes under the table */
    clkfac_status st;
    if ((st = table_new(&td, ND, RESULTS_DATA)) || (st = table_new(&tm, NM, RESULTS_SHOWN)) ||
        (st = results_rows(R, td, tm)))
        goto done;
    core_text_printf(&nt,
             "Final return: the mean of the last %zu episode returns of each run; the table gives "
             "the mean over seeds and a 95%% percentile-bootstrap interval over seeds (%d "
             "resamples, fixed seed). Random policy: the uniform-random policy's mean return "
             "over 1000 episodes (%s). Threshold: the environment's \"solved\" return (%s); "
             "where that names none, the return halfway from the random policy's to the best "
             "mean final return of an algorithm in this report (marked halfway; none when no "
             "algorithm beats random play). Episodes and timesteps to threshold: the first point "
             "at which the mean of the last %zu returns reaches it, averaged over the seeds that "
             "reached it (Reached counts them), with a 95%% bootstrap interval over those seeds "
             "when two or more reached it. AUC: the mean of the rolling-mean return curve over the timesteps every run "
             "of the environment covers (auc_from to auc_to in results.csv). Wall time: mean over "
             "seeds of wall_seconds in summary.json.",
             R->window, CLKFAC_STATS_BOOTSTRAP_RESAMPLES, R->rnd_source, R->thr_source,
             R->window);
    if (nt.oom) { st = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
    st = rep_write_tables(R, "results", td, tm,
                          "Results: final return, sample efficiency, wall time", nt.s);
    char *md = NULL;
    if (!st && (st = clkfac_table_markdown(&md, tm))) st = rep_fail("table", st);
    if (!st)
        core_text_printf(&R->index, "## Results\n\n[results.md](results.md) | "
                                    "[results.csv](results.csv) | [results.json](results.json)"
                                    "\n\n%s\n%s\n\n",
                         md, nt.s);
    free(md);
done:
    core_text_free(&nt);
    clkfac_table_free(td);
    clkfac_table_free(tm);
    return st;
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

clkfac_status rep_published_table(report *R)
{
    static const char *const hd[] = {"environment", "algorithm", "metric", "ours",
                                     "ours_setting", "published", "published_setting", "source",
                                     "note"};
    enum { N = sizeof hd / sizeof hd[0] };
    clkfac_table *t = NULL;
    int rc = CLKFAC_OK, rows = 0;
    if ((rc = table_new(&t, N, hd))) return rc;
    for (size_t i = 0; i < R->npub; i++) {
        const rep_published *p = &R->pub[i];
        if (!has_env(R, p->env)) continue;
        char ours[64] = "n/a", oset[160] = "no run of this algorithm";
        size_t n;
        double tmax, v = ours_final(R, p->env, p->algo, &n, &tmax);
        if (n && !strcmp(p->metric, "final_reward")) {
            rep_ret_md(ours, sizeof ours, v);
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
        rc = rep_write_tables(R, "published", t, t,
                          "Published numbers beside ours (different setting and device)", notes);
        char *md = NULL;
        clkfac_status st = rc ? CLKFAC_OK : clkfac_table_markdown(&md, t);
        if (st) rc = rep_fail("table", st);
        else if (!rc)
            core_text_printf(&R->index, "## Published numbers (different setting and device)\n\n"
                          "[published.md](published.md) | [published.csv](published.csv)\n\n"
                          "%s\n%s\n\n",
               md, notes);
        free(md);
    }
done:
    clkfac_table_free(t);
    return rc;
}

