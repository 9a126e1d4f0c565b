/* Statistics for benchmark reports: descriptive statistics, the percentile bootstrap over seeds,
 * rolling means of episode returns, threshold crossing, grid resampling and AUC, and the
 * aggregates across tasks (interquartile mean, probability of improvement). All of it is
 * deterministic, so a report rebuilt from the same runs is byte-identical. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/stats.h"
#include "core/core.h"

double clkfac_stats_mean(const double *x, size_t n)
{
    if (n == 0) return NAN;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return s / (double)n;
}

double clkfac_stats_std(const double *x, size_t n)
{
    if (n == 0) return NAN;
    if (n == 1) return 0.0;
    double m = clkfac_stats_mean(x, n), s = 0;
    for (size_t i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
    return sqrt(s / (double)(n - 1));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

clkfac_status clkfac_stats_median(double *out, const double *x, size_t n)
{
    if (n == 0) {
        *out = NAN;
        return CLKFAC_OK;
    }
    if (!x) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "median of NULL data");
    double *c = core_calloc(n, sizeof *c);
    if (!c) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory (median of %zu)", n);
    memcpy(c, x, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    *out = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return CLKFAC_OK;
}

/* splitmix64: a private generator rather than core's so the published intervals never change
 * when the library's general-purpose RNG does. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform index below n without modulo bias (rejects the top partial block). */
static size_t draw_below(uint64_t *s, size_t n)
{
    uint64_t bound = (uint64_t)n, limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t r;
    do r = splitmix64(s);
    while (r >= limit);
    return (size_t)(r % bound);
}

/* The bounds of a percentile interval from B resampled statistics m (sorted here): the order
 * statistics m[k] and m[B - 1 - k], k = floor(B * (1 - level) / 2). */
static void percentile_bounds(double *lo, double *hi, double *m, size_t resamples, double level)
{
    qsort(m, resamples, sizeof *m, cmp_double);
    size_t k = (size_t)floor((double)resamples * (1.0 - level) / 2.0);
    if (k > (resamples - 1) / 2) k = (resamples - 1) / 2;
    *lo = m[k];
    *hi = m[resamples - 1 - k];
}

static clkfac_status check_level(double level, size_t resamples)
{
    if (!(level > 0 && level < 1))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "bootstrap level %g: expected a value in (0, 1)",
                         level);
    if (resamples == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "bootstrap with 0 resamples");
    return CLKFAC_OK;
}

clkfac_status clkfac_stats_bootstrap_ci(double *lo, double *hi, const double *x, size_t n,
                                        double level, size_t resamples, uint64_t seed)
{
    clkfac_status st = check_level(level, resamples);
    if (st) return st;
    if (n == 0) {
        *lo = *hi = NAN;
        return CLKFAC_OK;
    }
    double *m = core_calloc(resamples, sizeof *m);
    if (!m) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory (%zu resamples)", resamples);
    uint64_t s = seed;
    for (size_t b = 0; b < resamples; b++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += x[draw_below(&s, n)];
        m[b] = sum / (double)n;
    }
    percentile_bounds(lo, hi, m, resamples, level);
    free(m);
    return CLKFAC_OK;
}

/* Sum of x[a..b] by direct summation: O(n * window) overall, but every value is computed the
 * same way whatever came before, so no drift from a running add/subtract. */
static double window_mean(const double *x, size_t i, size_t window)
{
    size_t a = i + 1 >= window ? i + 1 - window : 0;
    double s = 0;
    for (size_t j = a; j <= i; j++) s += x[j];
    return s / (double)(i + 1 - a);
}

clkfac_status clkfac_stats_rolling_mean(double *out, const double *x, size_t n, size_t window)
{
    if (window == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "rolling window of 0");
    for (size_t i = 0; i < n; i++) out[i] = window_mean(x, i, window);
    return CLKFAC_OK;
}

clkfac_status clkfac_stats_threshold_crossing(long *episodes, double *timestep,
                                              const double *timesteps, const double *returns,
                                              size_t n, size_t window, double threshold)
{
    if (window == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "rolling window of 0");
    for (size_t i = window - 1; i < n; i++)
        if (window_mean(returns, i, window) >= threshold) {
            *episodes = (long)(i + 1);
            *timestep = timesteps[i];
            return CLKFAC_OK;
        }
    *episodes = -1;
    *timestep = NAN;
    return CLKFAC_OK;
}

clkfac_status clkfac_stats_resample(double *out, const double *grid, size_t ngrid,
                                    const double *timesteps, const double *returns, size_t n,
                                    size_t window)
{
    if (window == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "rolling window of 0");
    for (size_t j = 1; j < ngrid; j++)
        if (!(grid[j] > grid[j - 1]))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                             "grid not strictly increasing at %zu (%g after %g)", j, grid[j],
                             grid[j - 1]);
    for (size_t i = 1; i < n; i++)
        if (timesteps[i] < timesteps[i - 1])
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                             "episode timesteps decrease at episode %zu (%g after %g)", i,
                             timesteps[i], timesteps[i - 1]);
    size_t i = 0; /* episodes [0, i) finished at or before grid[j] */
    for (size_t j = 0; j < ngrid; j++) {
        while (i < n && timesteps[i] <= grid[j]) i++;
        out[j] = i ? window_mean(returns, i - 1, window) : NAN;
    }
    return CLKFAC_OK;
}

double clkfac_stats_auc(const double *grid, const double *y, size_t n)
{
    double area = 0, span = 0;
    for (size_t j = 1; j < n; j++) {
        if (isnan(y[j - 1]) || isnan(y[j])) continue;
        double w = grid[j] - grid[j - 1];
        area += 0.5 * w * (y[j - 1] + y[j]);
        span += w;
    }
    return span > 0 ? area / span : NAN;
}

double clkfac_stats_final_mean(const double *returns, size_t n, size_t window)
{
    if (n == 0 || window == 0) return NAN;
    return window_mean(returns, n - 1, window);
}

/* ---- aggregates across tasks ------------------------------------------------------------- */

/* IQM of x[0..n) sorted in place. */
static double iqm_sorted_in_place(double *x, size_t n)
{
    if (n == 0) return NAN;
    qsort(x, n, sizeof *x, cmp_double);
    size_t cut = n / 4;
    double s = 0;
    for (size_t i = cut; i < n - cut; i++) s += x[i];
    return s / (double)(n - 2 * cut);
}

clkfac_status clkfac_stats_iqm(double *out, const double *x, size_t n)
{
    if (n == 0) {
        *out = NAN;
        return CLKFAC_OK;
    }
    if (!x) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "interquartile mean of NULL data");
    double *c = core_calloc(n, sizeof *c);
    if (!c) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory (IQM of %zu)", n);
    memcpy(c, x, n * sizeof *c);
    *out = iqm_sorted_in_place(c, n);
    free(c);
    return CLKFAC_OK;
}

/* Every task has runs and every score is finite; *total gets the number of runs. */
static clkfac_status check_tasks(size_t *total, const char *what, const double *const *scores,
                                 const size_t *n, size_t tasks)
{
    if (tasks == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s over 0 tasks", what);
    if (!scores || !n) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s of NULL scores", what);
    *total = 0;
    for (size_t m = 0; m < tasks; m++) {
        if (n[m] == 0 || !scores[m])
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: task %zu has no runs; expected at "
                             "least one", what, m);
        for (size_t i = 0; i < n[m]; i++)
            if (!isfinite(scores[m][i]))
                return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: task %zu run %zu has score %g; "
                                 "expected a finite number", what, m, i, scores[m][i]);
        *total += n[m];
    }
    return CLKFAC_OK;
}

clkfac_status clkfac_stats_iqm_ci(double *iqm, double *lo, double *hi,
                                  const double *const *scores, const size_t *n, size_t tasks,
                                  double level, size_t resamples, uint64_t seed)
{
    size_t total = 0;
    clkfac_status st = check_level(level, resamples);
    if (st || (st = check_tasks(&total, "interquartile mean", scores, n, tasks))) return st;
    double *pool = core_calloc(total, sizeof *pool), *m = core_calloc(resamples, sizeof *m);
    if (!pool || !m) {
        free(pool);
        free(m);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory (%zu resamples of %zu runs)",
                         resamples, total);
    }
    size_t k = 0;
    for (size_t t = 0; t < tasks; t++)
        for (size_t i = 0; i < n[t]; i++) pool[k++] = scores[t][i];
    double point = iqm_sorted_in_place(pool, total);
    uint64_t s = seed;
    for (size_t b = 0; b < resamples; b++) {
        k = 0;
        for (size_t t = 0; t < tasks; t++)
            for (size_t i = 0; i < n[t]; i++) pool[k++] = scores[t][draw_below(&s, n[t])];
        m[b] = iqm_sorted_in_place(pool, total);
    }
    percentile_bounds(lo, hi, m, resamples, level);
    *iqm = point;
    free(pool);
    free(m);
    return CLKFAC_OK;
}

/* P(X > Y) on one task: x and y given through index lists (a resample) or directly (ix NULL). */
static double prob_greater(const double *x, const size_t *ix, size_t nx, const double *y,
                           const size_t *iy, size_t ny)
{
    double s = 0;
    for (size_t i = 0; i < nx; i++) {
        double a = x[ix ? ix[i] : i];
        for (size_t j = 0; j < ny; j++) {
            double b = y[iy ? iy[j] : j];
            s += a > b ? 1.0 : a == b ? 0.5 : 0.0;
        }
    }
    return s / ((double)nx * (double)ny);
}

clkfac_status clkfac_stats_prob_improvement(double *p, double *lo, double *hi,
                                            const double *const *x, const size_t *nx,
                                            const double *const *y, const size_t *ny,
                                            size_t tasks, double level, size_t resamples,
                                            uint64_t seed)
{
    size_t tx = 0, ty = 0, most = 0;
    clkfac_status st = check_level(level, resamples);
    if (st || (st = check_tasks(&tx, "probability of improvement (X)", x, nx, tasks)) ||
        (st = check_tasks(&ty, "probability of improvement (Y)", y, ny, tasks)))
        return st;
    for (size_t t = 0; t < tasks; t++) {
        if (nx[t] > most) most = nx[t];
        if (ny[t] > most) most = ny[t];
    }
    size_t *ix = core_calloc(most, sizeof *ix), *iy = core_calloc(most, sizeof *iy);
    double *m = core_calloc(resamples, sizeof *m);
    if (!ix || !iy || !m) {
        free(ix);
        free(iy);
        free(m);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory (%zu resamples)", resamples);
    }
    double point = 0;
    for (size_t t = 0; t < tasks; t++) point += prob_greater(x[t], NULL, nx[t], y[t], NULL, ny[t]);
    uint64_t s = seed;
    for (size_t b = 0; b < resamples; b++) {
        double sum = 0;
        for (size_t t = 0; t < tasks; t++) {
            for (size_t i = 0; i < nx[t]; i++) ix[i] = draw_below(&s, nx[t]);
            for (size_t j = 0; j < ny[t]; j++) iy[j] = draw_below(&s, ny[t]);
            sum += prob_greater(x[t], ix, nx[t], y[t], iy, ny[t]);
        }
        m[b] = sum / (double)tasks;
    }
    percentile_bounds(lo, hi, m, resamples, level);
    *p = point / (double)tasks;
    free(ix);
    free(iy);
    free(m);
    return CLKFAC_OK;
}
