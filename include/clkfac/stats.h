/* clkfac/stats.h — the statistics behind benchmark tables and learning curves: mean, standard
 * deviation, median, a deterministic percentile-bootstrap confidence interval over seeds, the
 * rolling mean of episode returns, threshold crossing, resampling onto a timestep grid, AUC,
 * and the aggregates across tasks: interquartile mean and probability of improvement. */
#ifndef CLKFAC_STATS_H
#define CLKFAC_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "clkfac/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults used by `clkfac report`: a 95% interval from 10000 resamples drawn with a fixed seed,
 * so the same numbers always give the same interval, and a 100-episode rolling window (the
 * window gym's "solved" criteria and the baselines logs use). */
#define CLKFAC_STATS_BOOTSTRAP_RESAMPLES 10000
#define CLKFAC_STATS_BOOTSTRAP_SEED 0x5eed2017acdc0001ULL
#define CLKFAC_STATS_WINDOW 100

/* Arithmetic mean; NaN when n == 0. */
double clkfac_stats_mean(const double *x, size_t n);
/* Sample standard deviation (n - 1 in the denominator); 0 when n == 1, NaN when n == 0. */
double clkfac_stats_std(const double *x, size_t n);
/* Median (mean of the two middle values when n is even); NaN when n == 0. Sorts a copy. */
clkfac_status clkfac_stats_median(double *out, const double *x, size_t n);

/* Percentile bootstrap confidence interval of the mean of x[0..n).
 * Draws `resamples` (B) samples of size n with replacement (indices from splitmix64 seeded with
 * `seed`, unbiased by rejection), takes the mean of each, sorts the B means m[0..B) and returns
 *   lo = m[k], hi = m[B - 1 - k],  k = floor(B * (1 - level) / 2),
 * i.e. order statistics without interpolation, so the bounds are always attainable resample
 * means and constant data give lo == hi. level is in (0, 1) (0.95 for a 95% interval).
 * n == 0 gives NaN bounds; n == 1 gives lo == hi == x[0]. Deterministic for a given seed. */
clkfac_status clkfac_stats_bootstrap_ci(double *lo, double *hi, const double *x, size_t n,
                                        double level, size_t resamples, uint64_t seed);

/* out[i] = mean of x[max(0, i - window + 1) .. i]: the mean of the last `window` values, over
 * fewer at the start (as a 100-episode deque does). window >= 1. */
clkfac_status clkfac_stats_rolling_mean(double *out, const double *x, size_t n, size_t window);

/* First episode at which the rolling mean of the last `window` returns reaches (>=) threshold,
 * counting only full windows (at least `window` episodes finished, gym's "average over 100
 * consecutive episodes"). Episodes are given in the order they finished with the timestep at
 * which each finished. *episodes gets the number of episodes finished at that point (1-based)
 * and *timestep that episode's timestep; -1 and NaN when the threshold is never reached. */
clkfac_status clkfac_stats_threshold_crossing(long *episodes, double *timestep,
                                              const double *timesteps, const double *returns,
                                              size_t n, size_t window, double threshold);

/* A learning curve on a common grid: out[j] is the rolling mean (of the last `window` returns)
 * at the last episode with timestep <= grid[j], i.e. the value in effect at that timestep
 * (carried forward step-wise), NaN before the first episode. timesteps must be non-decreasing,
 * grid strictly increasing. */
clkfac_status clkfac_stats_resample(double *out, const double *grid, size_t ngrid,
                                    const double *timesteps, const double *returns, size_t n,
                                    size_t window);

/* Area under y(grid) by the trapezoid rule divided by the span it covers, i.e. the mean value
 * of the curve. Intervals with a NaN end are left out of both the area and the span, so a
 * curve that starts after grid[0] is averaged over the part where it exists. NaN when no
 * interval is finite. */
double clkfac_stats_auc(const double *grid, const double *y, size_t n);

/* Mean of the last min(window, n) returns; NaN when n == 0. */
double clkfac_stats_final_mean(const double *returns, size_t n, size_t window);

/* ---- aggregates across tasks (Agarwal et al. 2021, "Deep RL at the edge of the statistical
 * precipice": the statistics of the rliable package) ---------------------------------------
 * Scores come per task: task m has n[m] >= 1 runs, scores[m][0 .. n[m]), usually normalized so
 * that tasks share a scale. The intervals are stratified percentile bootstraps: every resample
 * draws n[m] runs with replacement within each task (tasks are never resampled), and the bounds
 * are order statistics of the resampled statistic exactly as in clkfac_stats_bootstrap_ci. A
 * task with no runs, or a score that is NaN or infinite, is an INVALID_ARG error naming it. */

/* Interquartile mean: the mean of the sorted x after dropping floor(n / 4) values from each end
 * (scipy.stats.trim_mean(x, 0.25), rliable's IQM). NaN when n == 0. */
clkfac_status clkfac_stats_iqm(double *out, const double *x, size_t n);

/* The IQM of all runs of all tasks pooled, and its stratified bootstrap interval. */
clkfac_status clkfac_stats_iqm_ci(double *iqm, double *lo, double *hi,
                                  const double *const *scores, const size_t *n, size_t tasks,
                                  double level, size_t resamples, uint64_t seed);

/* Probability of improvement of X over Y: the mean over tasks of
 *   P(X_m > Y_m) = 1 / (nx[m] ny[m]) * sum_i sum_j S(x_i, y_j),  S = 1 if x_i > y_j, 1/2 if
 *   equal, 0 otherwise
 * (the Mann-Whitney U statistic over its maximum), with a stratified bootstrap interval that
 * resamples X's and Y's runs independently within each task. P(X > Y) + P(Y > X) = 1. */
clkfac_status clkfac_stats_prob_improvement(double *p, double *lo, double *hi,
                                            const double *const *x, const size_t *nx,
                                            const double *const *y, const size_t *ny,
                                            size_t tasks, double level, size_t resamples,
                                            uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
