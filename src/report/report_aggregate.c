/* The report's statistics across environments (rliable: Agarwal et al. 2021): every run's final
 * return normalized per environment, the interquartile mean of the normalized scores per
 * algorithm with a stratified bootstrap interval, and the probability that one algorithm's run
 * beats another's on a randomly chosen environment. Also the derived thresholds used where
 * data/thresholds.csv names none.
 *
 * Normalization: (final - random) / (best - random), with `random` the uniform-random policy's
 * return (data/random.csv) and `best` the highest mean final return over seeds that any
 * algorithm of this report reaches on the environment: 0 is random play, 1 the best algorithm
 * here. Environments without a random-policy return, where an algorithm has no finished run, or
 * where no algorithm beats random play are left out of the aggregate and listed with the reason.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

#define AGG_MAX_ALGOS 16

/* The algorithms of the report in the order their first run appears. */
static size_t list_algos(const report *R, const char **algos)
{
    size_t n = 0;
    for (size_t i = 0; i < R->nruns; i++) {
        int seen = 0;
        for (size_t k = 0; k < n && !seen; k++) seen = !strcmp(algos[k], R->runs[i].algo);
        if (!seen && n < AGG_MAX_ALGOS) algos[n++] = R->runs[i].algo;
    }
    return n;
}

/* The runs [a, b) of one environment: per algorithm the mean final return over its runs with a
 * finite final (NaN without one); *best the highest of them (NaN when none). */
static void env_means(const report *R, size_t a, size_t b, const char *const *algos,
                      size_t nalgo, double *mean, double *best)
{
    *best = NAN;
    for (size_t k = 0; k < nalgo; k++) {
        double s = 0;
        size_t m = 0;
        for (size_t i = a; i < b; i++)
            if (!strcmp(R->runs[i].algo, algos[k])) {
                double f = clkfac_stats_final_mean(R->runs[i].r, R->runs[i].n, R->window);
                if (isfinite(f)) {
                    s += f;
                    m++;
                }
            }
        mean[k] = m ? s / (double)m : NAN;
        if (isfinite(mean[k]) && !(mean[k] <= *best)) *best = mean[k];
    }
}

clkfac_status rep_derive_thresholds(report *R)
{
    const char *algos[AGG_MAX_ALGOS];
    size_t nalgo = list_algos(R, algos);
    double mean[AGG_MAX_ALGOS];
    for (size_t a = 0; a < R->nruns;) {
        size_t b = a;
        while (b < R->nruns && !strcmp(R->runs[b].env, R->runs[a].env)) b++;
        const char *env = R->runs[a].env;
        double best, rnd = rep_random_of(R, env);
        env_means(R, a, b, algos, nalgo, mean, &best);
        if (!isfinite(rep_threshold_of(R, env)) && isfinite(rnd) && best > rnd) {
            rep_value *t = realloc(R->thr_derived, (R->nthr_derived + 1) * sizeof *t);
            if (!t) return rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
            R->thr_derived = t;
            rep_copy(t[R->nthr_derived].env, REP_NAME, env);
            t[R->nthr_derived++].value = rnd + 0.5 * (best - rnd);
        }
        a = b;
    }
    return CLKFAC_OK;
}

/* ---- the aggregate tables ------------------------------------------------------------------ */

typedef struct agg {
    const char *algos[AGG_MAX_ALGOS];
    size_t nalgo;
    const char **envs;  /* environments in the aggregate */
    double *rnd, *best; /* their normalization bounds */
    const char **best_algo;
    size_t nenv;
    double **score;     /* score[e * nalgo + k]: normalized finals of algorithm k on env e */
    size_t *nscore;
    core_text left_out; /* "env (reason); ..." */
} agg;

static void agg_free(agg *g)
{
    if (g->score)
        for (size_t i = 0; i < g->nenv * g->nalgo; i++) free(g->score[i]);
    free(g->score);
    free(g->nscore);
    free(g->envs);
    free(g->rnd);
    free(g->best);
    free(g->best_algo);
    core_text_free(&g->left_out);
}

static void left_out(agg *g, const char *env, const char *why, const char *algo)
{
    core_text_printf(&g->left_out, "%s%s (%s%s)", g->left_out.n ? "; " : "", env, why,
                     algo ? algo : "");
}

/* Which environments enter the aggregate, their bounds and every run's normalized score. */
static clkfac_status agg_collect(agg *g, const report *R)
{
    g->nalgo = list_algos(R, g->algos);
    size_t cap = R->nruns; /* environments <= runs */
    g->envs = calloc(cap, sizeof *g->envs);
    g->rnd = calloc(cap, sizeof *g->rnd);
    g->best = calloc(cap, sizeof *g->best);
    g->best_algo = calloc(cap, sizeof *g->best_algo);
    g->score = calloc(cap * g->nalgo, sizeof *g->score);
    g->nscore = calloc(cap * g->nalgo, sizeof *g->nscore);
    if (!g->envs || !g->rnd || !g->best || !g->best_algo || !g->score || !g->nscore)
        return rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    double mean[AGG_MAX_ALGOS];
    for (size_t a = 0; a < R->nruns;) {
        size_t b = a;
        while (b < R->nruns && !strcmp(R->runs[b].env, R->runs[a].env)) b++;
        const char *env = R->runs[a].env;
        double best, rnd = rep_random_of(R, env);
        env_means(R, a, b, g->algos, g->nalgo, mean, &best);
        size_t missing = g->nalgo;
        for (size_t k = 0; k < g->nalgo && missing == g->nalgo; k++)
            if (!isfinite(mean[k])) missing = k;
        if (!isfinite(rnd)) left_out(g, env, "no random-policy return in random.csv", NULL);
        else if (missing < g->nalgo) left_out(g, env, "no finished run of ", g->algos[missing]);
        else if (!(best > rnd)) left_out(g, env, "no algorithm beats random play", NULL);
        else {
            size_t e = g->nenv++;
            g->envs[e] = env;
            g->rnd[e] = rnd;
            g->best[e] = best;
            for (size_t k = 0; k < g->nalgo; k++)
                if (mean[k] == best && !g->best_algo[e]) g->best_algo[e] = g->algos[k];
            for (size_t k = 0; k < g->nalgo; k++) {
                double *s = calloc(b - a, sizeof *s);
                if (!s) return rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
                g->score[e * g->nalgo + k] = s;
                for (size_t i = a; i < b; i++) {
                    if (strcmp(R->runs[i].algo, g->algos[k])) continue;
                    double f = clkfac_stats_final_mean(R->runs[i].r, R->runs[i].n, R->window);
                    if (isfinite(f)) s[g->nscore[e * g->nalgo + k]++] = (f - rnd) / (best - rnd);
                }
            }
        }
        a = b;
    }
    return g->left_out.oom ? rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory") : CLKFAC_OK;
}

/* Algorithm k's scores on every environment of the aggregate, as the stats API takes them. */
static void agg_column(const agg *g, size_t k, const double **x, size_t *n)
{
    for (size_t e = 0; e < g->nenv; e++) {
        x[e] = g->score[e * g->nalgo + k];
        n[e] = g->nscore[e * g->nalgo + k];
    }
}

static clkfac_status add_row(clkfac_table *t, const char *const *cells)
{
    clkfac_status st = clkfac_table_add_row(t, cells);
    return st ? rep_fail("table", st) : CLKFAC_OK;
}

/* The three tables: normalization bounds, IQM per algorithm, probability of improvement. */
static clkfac_status agg_tables(const agg *g, clkfac_table *tn, clkfac_table *ti,
                                clkfac_table *tim, clkfac_table *tp, clkfac_table *tpm)
{
    char c[8][REP_NAME];
    clkfac_status st = CLKFAC_OK;
    for (size_t e = 0; e < g->nenv && !st; e++) {
        rep_num_csv(c[0], REP_NAME, g->rnd[e]);
        rep_num_csv(c[1], REP_NAME, g->best[e]);
        const char *row[] = {g->envs[e], c[0], c[1], g->best_algo[e]};
        st = add_row(tn, row);
    }
    const double **x = calloc(g->nenv, sizeof *x), **y = calloc(g->nenv, sizeof *y);
    size_t *nx = calloc(g->nenv, sizeof *nx), *ny = calloc(g->nenv, sizeof *ny);
    if (!x || !y || !nx || !ny) st = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory");
    for (size_t k = 0; k < g->nalgo && !st; k++) {
        agg_column(g, k, x, nx);
        size_t runs = 0;
        for (size_t e = 0; e < g->nenv; e++) runs += nx[e];
        double v, lo, hi;
        if ((st = clkfac_stats_iqm_ci(&v, &lo, &hi, x, nx, g->nenv, 0.95,
                                      CLKFAC_STATS_BOOTSTRAP_RESAMPLES,
                                      CLKFAC_STATS_BOOTSTRAP_SEED))) {
            st = rep_fail("interquartile mean", st);
            break;
        }
        snprintf(c[0], REP_NAME, "%zu", g->nenv);
        snprintf(c[1], REP_NAME, "%zu", runs);
        rep_num_csv(c[2], REP_NAME, v);
        rep_num_csv(c[3], REP_NAME, lo);
        rep_num_csv(c[4], REP_NAME, hi);
        const char *row[] = {g->algos[k], c[0], c[1], c[2], c[3], c[4]};
        if ((st = add_row(ti, row))) break;
        snprintf(c[5], REP_NAME, "%.3f [%.3f, %.3f]", v, lo, hi);
        const char *shown[] = {g->algos[k], c[0], c[1], c[5]};
        st = add_row(tim, shown);
    }
    for (size_t k = 0; k < g->nalgo && !st; k++)
        for (size_t j = 0; j < g->nalgo && !st; j++) {
            if (j == k) continue;
            agg_column(g, k, x, nx);
            agg_column(g, j, y, ny);
            double p, lo, hi;
            if ((st = clkfac_stats_prob_improvement(&p, &lo, &hi, x, nx, y, ny, g->nenv, 0.95,
                                                    CLKFAC_STATS_BOOTSTRAP_RESAMPLES,
                                                    CLKFAC_STATS_BOOTSTRAP_SEED))) {
                st = rep_fail("probability of improvement", st);
                break;
            }
            snprintf(c[0], REP_NAME, "%zu", g->nenv);
            rep_num_csv(c[1], REP_NAME, p);
            rep_num_csv(c[2], REP_NAME, lo);
            rep_num_csv(c[3], REP_NAME, hi);
            const char *row[] = {g->algos[k], g->algos[j], c[0], c[1], c[2], c[3]};
            if ((st = add_row(tp, row))) break;
            snprintf(c[4], REP_NAME, "%.3f [%.3f, %.3f]", p, lo, hi);
            const char *shown[] = {g->algos[k], g->algos[j], c[0], c[4]};
            st = add_row(tpm, shown);
        }
    free(x);
    free(y);
    free(nx);
    free(ny);
    return st;
}

/* One table's files and its part of index.md. */
static clkfac_status agg_write(report *R, const char *stem, const clkfac_table *data,
                               const clkfac_table *shown, const char *title, const char *notes)
{
    clkfac_status st = rep_write_tables(R, stem, data, shown, title, notes);
    char *md = NULL;
    if (!st && (st = clkfac_table_markdown(&md, shown))) st = rep_fail("table", st);
    if (!st)
        core_text_printf(&R->index, "### %s\n\n[%s.md](%s.md) | [%s.csv](%s.csv) | "
                                    "[%s.json](%s.json)\n\n%s\n%s\n\n",
                         title, stem, stem, stem, stem, stem, stem, md, notes);
    free(md);
    return st;
}

clkfac_status rep_aggregate(report *R)
{
    agg g;
    memset(&g, 0, sizeof g);
    clkfac_status st = agg_collect(&g, R);
    if (st || g.nenv < 2 || g.nalgo < 2) { /* one environment: the results table says it all */
        agg_free(&g);
        return st;
    }
    static const char *const hn[] = {"env", "random_return", "best_final_mean", "best_algo"};
    static const char *const hi[] = {"algo", "environments", "runs", "iqm", "iqm_ci_lo",
                                     "iqm_ci_hi"};
    static const char *const him[] = {"Algorithm", "Environments", "Runs",
                                      "IQM of normalized final return [95% CI]"};
    static const char *const hp[] = {"algo_x", "algo_y", "environments", "p_x_beats_y",
                                     "p_ci_lo", "p_ci_hi"};
    static const char *const hpm[] = {"X", "Y", "Environments", "P(X > Y) [95% CI]"};
    clkfac_table *tn = NULL, *ti = NULL, *tim = NULL, *tp = NULL, *tpm = NULL;
    core_text nt = {0};
    if ((st = clkfac_table_create(&tn, 4, hn)) || (st = clkfac_table_create(&ti, 6, hi)) ||
        (st = clkfac_table_create(&tim, 4, him)) || (st = clkfac_table_create(&tp, 6, hp)) ||
        (st = clkfac_table_create(&tpm, 4, hpm))) {
        st = rep_fail("table", st);
        goto done;
    }
    if ((st = agg_tables(&g, tn, ti, tim, tp, tpm))) goto done;
    core_text_printf(&R->index, "## Across environments\n\n");
    core_text_printf(&nt, "Each run's final return (mean of its last %zu episodes) is normalized "
                          "per environment as (final - random) / (best - random): random is the "
                          "uniform-random policy's return (%s), best the highest mean final "
                          "return over seeds that any algorithm of this report reaches there. "
                          "So 0 is random play and 1 the best algorithm here; the scale is "
                          "relative to this report, not to a published score.",
                     R->window, R->rnd_source);
    if (g.left_out.n) core_text_printf(&nt, " Left out: %s.", g.left_out.s);
    if (nt.oom) { st = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
    if ((st = agg_write(R, "normalization", tn, tn, "Normalization bounds", nt.s))) goto done;
    core_text_free(&nt);
    core_text_printf(&nt, "Interquartile mean (IQM): the mean of the middle 50%% of all runs' "
                          "normalized final returns pooled over the environments (the top and "
                          "bottom quarter dropped), with a 95%% stratified percentile-bootstrap "
                          "interval: each of %d resamples (fixed seed) redraws every "
                          "environment's runs with replacement. Agarwal et al. 2021 (rliable).",
                     CLKFAC_STATS_BOOTSTRAP_RESAMPLES);
    if (nt.oom) { st = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
    if ((st = agg_write(R, "aggregate", ti, tim, "Interquartile mean of normalized scores",
                        nt.s)))
        goto done;
    core_text_free(&nt);
    core_text_printf(&nt, "P(X > Y): the probability that a run of X ends above a run of Y on "
                          "an environment drawn at random from these, ties counting one half "
                          "(the Mann-Whitney statistic per environment, averaged); 0.5 means no "
                          "difference. The 95%% interval is a stratified bootstrap over runs "
                          "(%d resamples, fixed seed); an interval that excludes 0.5 is a "
                          "difference these seeds resolve.",
                     CLKFAC_STATS_BOOTSTRAP_RESAMPLES);
    if (nt.oom) { st = rep_err(CLKFAC_ERR_NO_MEMORY, "out of memory"); goto done; }
    st = agg_write(R, "improvement", tp, tpm, "Probability of improvement", nt.s);
done:
    core_text_free(&nt);
    clkfac_table_free(tn);
    clkfac_table_free(ti);
    clkfac_table_free(tim);
    clkfac_table_free(tp);
    clkfac_table_free(tpm);
    agg_free(&g);
    return st;
}
