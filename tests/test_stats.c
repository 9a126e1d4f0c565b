/* Report statistics against hand-computed values: mean/std/median, the percentile bootstrap
 * (degenerate cases exactly, a small sample against its exact bootstrap distribution found by
 * enumerating every resample), rolling means, threshold crossing, grid resampling, AUC. */
/* ctest-labels: unit */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define BOOT_B CLKFAC_STATS_BOOTSTRAP_RESAMPLES
#define BOOT_SEED CLKFAC_STATS_BOOTSTRAP_SEED

static void test_descriptive(void **state)
{
    (void)state;
    const double x[8] = {2, 4, 4, 4, 5, 5, 7, 9};
    assert_true(fabs(clkfac_stats_mean(x, 8) - 5.0) < 1e-12);
    /* sum of squared deviations 32, n - 1 = 7 */
    assert_true(fabs(clkfac_stats_std(x, 8) - sqrt(32.0 / 7.0)) < 1e-12);
    double med;
    TH_OK(clkfac_stats_median(&med, x, 8));
    assert_true(med == 4.5);
    const double odd[5] = {9, -1, 3, 7, 2};
    TH_OK(clkfac_stats_median(&med, odd, 5));
    assert_true(med == 3.0);
    assert_true(clkfac_stats_std(odd, 1) == 0.0);
    assert_true(isnan(clkfac_stats_mean(x, 0)));
    assert_true(isnan(clkfac_stats_std(x, 0)));
    TH_OK(clkfac_stats_median(&med, x, 0));
    assert_true(isnan(med));
}

static void test_bootstrap_degenerate_cases(void **state)
{
    (void)state;
    double lo, hi;
    const double c[5] = {3.25, 3.25, 3.25, 3.25, 3.25};
    TH_OK(clkfac_stats_bootstrap_ci(&lo, &hi, c, 5, 0.95, BOOT_B, BOOT_SEED));
    assert_true(lo == 3.25 && hi == 3.25); /* constant data: zero width */
    const double one = -7.5;
    TH_OK(clkfac_stats_bootstrap_ci(&lo, &hi, &one, 1, 0.95, BOOT_B, BOOT_SEED));
    assert_true(lo == -7.5 && hi == -7.5);
    TH_OK(clkfac_stats_bootstrap_ci(&lo, &hi, c, 0, 0.95, BOOT_B, BOOT_SEED));
    assert_true(isnan(lo) && isnan(hi));
    /* two seeds: resample means 550.5, 555.5, 560.5 with probabilities 1/4, 1/2, 1/4, so the
     * 2.5% and 97.5% points are the extremes */
    const double two[2] = {550.5, 560.5};
    TH_OK(clkfac_stats_bootstrap_ci(&lo, &hi, two, 2, 0.95, BOOT_B, BOOT_SEED));
    assert_true(lo == 550.5 && hi == 560.5);
    assert_int_equal(clkfac_stats_bootstrap_ci(&lo, &hi, two, 2, 1.0, BOOT_B, BOOT_SEED),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_stats_bootstrap_ci(&lo, &hi, two, 2, 0.0, BOOT_B, BOOT_SEED),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_stats_bootstrap_ci(&lo, &hi, two, 2, 0.95, 0, BOOT_SEED),
                     CLKFAC_ERR_INVALID_ARG);
}

/* Exact bootstrap distribution of the mean of x (n^n equally likely ordered resamples):
 * P(mean < v) and P(mean <= v). */
static void exact_cdf(const double *x, int n, double v, double *below, double *at_or_below)
{
    long total = 1, lt = 0, le = 0;
    for (int i = 0; i < n; i++) total *= n;
    for (long code = 0; code < total; code++) {
        long c = code;
        double s = 0;
        for (int i = 0; i < n; i++, c /= n) s += x[c % n];
        double m = s / n;
        lt += m < v - 1e-12;
        le += m <= v + 1e-12;
    }
    *below = (double)lt / (double)total;
    *at_or_below = (double)le / (double)total;
}

static void test_bootstrap_matches_exact_distribution(void **state)
{
    (void)state;
    /* 5^5 = 3125 resamples; the Monte Carlo quantiles from 10000 draws must sit where the
     * exact distribution puts the 2.5% and 97.5% points (MC standard error of a tail
     * probability ~0.0016; 0.01 is six of them) */
    const double x[5] = {1, 2, 3, 10, 4.5};
    double lo, hi, b, ab;
    TH_OK(clkfac_stats_bootstrap_ci(&lo, &hi, x, 5, 0.95, BOOT_B, BOOT_SEED));
    exact_cdf(x, 5, lo, &b, &ab);
    assert_true(ab > b);                      /* lo is an attainable resample mean */
    assert_true(b <= 0.025 + 0.01 && ab >= 0.025 - 0.01);
    exact_cdf(x, 5, hi, &b, &ab);
    assert_true(ab > b);
    assert_true(b <= 0.975 + 0.01 && ab >= 0.975 - 0.01);
    assert_true(lo < clkfac_stats_mean(x, 5) && hi > clkfac_stats_mean(x, 5));
    /* same seed, same interval; another seed, a (slightly) different Monte Carlo draw */
    double lo2, hi2;
    TH_OK(clkfac_stats_bootstrap_ci(&lo2, &hi2, x, 5, 0.95, BOOT_B, BOOT_SEED));
    assert_true(lo2 == lo && hi2 == hi);
    /* an 80% interval is inside the 95% one */
    TH_OK(clkfac_stats_bootstrap_ci(&lo2, &hi2, x, 5, 0.80, BOOT_B, BOOT_SEED));
    assert_true(lo2 >= lo && hi2 <= hi && lo2 < hi2);
}

static void test_bootstrap_large_sample_near_normal_theory(void **state)
{
    (void)state;
    /* for n = 200 normal values the percentile interval is close to mean +- 1.96 s/sqrt(n)
     * (with the population s the bootstrap uses) */
    th_rng r = {42};
    double x[200];
    for (int i = 0; i < 200; i++) x[i] = 10 + 3 * th_normal(&r);
    double m = clkfac_stats_mean(x, 200), s = clkfac_stats_std(x, 200) * sqrt(199.0 / 200.0);
    double half = 1.959964 * s / sqrt(200.0), lo, hi;
    TH_OK(clkfac_stats_bootstrap_ci(&lo, &hi, x, 200, 0.95, BOOT_B, BOOT_SEED));
    assert_true(fabs(lo - (m - half)) < 0.08 * half);
    assert_true(fabs(hi - (m + half)) < 0.08 * half);
}

static void test_rolling_mean_and_final(void **state)
{
    (void)state;
    const double x[5] = {1, 2, 3, 4, 5};
    double out[5];
    TH_OK(clkfac_stats_rolling_mean(out, x, 5, 3));
    const double want[5] = {1, 1.5, 2, 3, 4}; /* partial windows at the start */
    for (int i = 0; i < 5; i++) assert_true(fabs(out[i] - want[i]) < 1e-12);
    assert_int_equal(clkfac_stats_rolling_mean(out, x, 5, 0), CLKFAC_ERR_INVALID_ARG);
    double y[10];
    for (int i = 0; i < 10; i++) y[i] = i + 1;
    assert_true(fabs(clkfac_stats_final_mean(y, 10, 3) - 9.0) < 1e-12);     /* 8, 9, 10 */
    assert_true(fabs(clkfac_stats_final_mean(y, 10, 100) - 5.5) < 1e-12);   /* all ten */
    assert_true(isnan(clkfac_stats_final_mean(y, 0, 100)));
}

static void test_threshold_crossing(void **state)
{
    (void)state;
    double t[10], r[10];
    for (int i = 0; i < 10; i++) {
        t[i] = 10.0 * (i + 1);
        r[i] = i + 1;
    }
    long ep;
    double ts;
    /* full-window means of 3: 2, 3, 4, 5 (episodes 4, 5, 6): reaches 5 exactly at episode 6 */
    TH_OK(clkfac_stats_threshold_crossing(&ep, &ts, t, r, 10, 3, 5.0));
    assert_int_equal(ep, 6);
    assert_true(ts == 60.0);
    TH_OK(clkfac_stats_threshold_crossing(&ep, &ts, t, r, 10, 3, 9.01));
    assert_int_equal(ep, -1);
    assert_true(isnan(ts));
    /* a lucky first episode is no crossing: only full windows count */
    const double lucky[4] = {10, 0, 0, 0};
    TH_OK(clkfac_stats_threshold_crossing(&ep, &ts, t, lucky, 4, 3, 5.0));
    assert_int_equal(ep, -1);
    /* fewer episodes than the window: never */
    TH_OK(clkfac_stats_threshold_crossing(&ep, &ts, t, r, 2, 3, -100.0));
    assert_int_equal(ep, -1);
    TH_OK(clkfac_stats_threshold_crossing(&ep, &ts, t, r, 3, 3, -100.0));
    assert_int_equal(ep, 3);
    assert_true(ts == 30.0);
}

static void test_resample_carries_forward(void **state)
{
    (void)state;
    const double t[4] = {10, 20, 20, 35}, r[4] = {1, 3, 5, 7};
    /* rolling means (window 2): 1, 2, 4, 6 */
    const double grid[8] = {0, 5, 10, 15, 20, 30, 35, 40};
    double out[8];
    TH_OK(clkfac_stats_resample(out, grid, 8, t, r, 4, 2));
    assert_true(isnan(out[0]) && isnan(out[1]));   /* before the first episode */
    const double want[6] = {1, 1, 4, 4, 6, 6};      /* both episodes at 20 count at 20 */
    for (int j = 0; j < 6; j++) assert_true(fabs(out[j + 2] - want[j]) < 1e-12);
    const double bad_grid[3] = {0, 10, 10};
    assert_int_equal(clkfac_stats_resample(out, bad_grid, 3, t, r, 4, 2), CLKFAC_ERR_INVALID_ARG);
    const double bad_t[3] = {10, 5, 20};
    assert_int_equal(clkfac_stats_resample(out, grid, 8, bad_t, r, 3, 2), CLKFAC_ERR_INVALID_ARG);
    /* no episodes at all: NaN everywhere */
    TH_OK(clkfac_stats_resample(out, grid, 8, t, r, 0, 2));
    for (int j = 0; j < 8; j++) assert_true(isnan(out[j]));
}

static void test_auc(void **state)
{
    (void)state;
    /* [0,1] has a NaN end and is left out; [1,2]: (2+4)/2 = 3; [2,4]: 2 * 4 = 8; span 3 */
    const double g[4] = {0, 1, 2, 4}, y[4] = {NAN, 2, 4, 4};
    assert_true(fabs(clkfac_stats_auc(g, y, 4) - 11.0 / 3.0) < 1e-12);
    const double c[4] = {-7, -7, -7, -7};
    assert_true(fabs(clkfac_stats_auc(g, c, 4) + 7.0) < 1e-12);
    double lin_g[11], lin_y[11];
    for (int i = 0; i <= 10; i++) lin_g[i] = lin_y[i] = i;
    assert_true(fabs(clkfac_stats_auc(lin_g, lin_y, 11) - 5.0) < 1e-12);
    const double nan4[4] = {NAN, NAN, 1, NAN};
    assert_true(isnan(clkfac_stats_auc(g, nan4, 4)));
    assert_true(isnan(clkfac_stats_auc(g, y, 1)));
}


/* ---- aggregates across tasks --------------------------------------------------------------- */

static void test_iqm_hand_values(void **state)
{
    (void)state;
    double v;
    const double eight[8] = {8, 1, 7, 2, 6, 3, 5, 4}; /* drop 2 per end: mean(3, 4, 5, 6) */
    TH_OK(clkfac_stats_iqm(&v, eight, 8));
    assert_true(v == 4.5);
    const double five[5] = {10, 1, 3, 2, 100}; /* drop 1 per end: mean(2, 3, 10) */
    TH_OK(clkfac_stats_iqm(&v, five, 5));
    assert_true(fabs(v - 5.0) < 1e-12);
    const double three[3] = {1, 2, 30}; /* floor(3/4) = 0: the plain mean */
    TH_OK(clkfac_stats_iqm(&v, three, 3));
    assert_true(fabs(v - 11.0) < 1e-12);
    const double nine[9] = {0, 0, 1, 2, 3, 4, 5, 100, 100}; /* drop 2 per end: mean(1..5) */
    TH_OK(clkfac_stats_iqm(&v, nine, 9));
    assert_true(fabs(v - 3.0) < 1e-12);
    TH_OK(clkfac_stats_iqm(&v, eight, 0));
    assert_true(isnan(v));
}

/* The IQM of the pooled runs of tasks a (na runs) and b (nb runs) for one resample code. */
static double pooled_iqm(const double *a, int na, const double *b, int nb, long code)
{
    double pool[8];
    int k = 0;
    for (int i = 0; i < na; i++, code /= na) pool[k++] = a[code % na];
    for (int i = 0; i < nb; i++, code /= nb) pool[k++] = b[code % nb];
    /* insertion sort, then the trimmed mean by hand */
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && pool[j] < pool[j - 1]; j--) {
            double t = pool[j];
            pool[j] = pool[j - 1];
            pool[j - 1] = t;
        }
    int cut = k / 4;
    double s = 0;
    for (int i = cut; i < k - cut; i++) s += pool[i];
    return s / (k - 2 * cut);
}

static void test_iqm_ci_matches_exact_stratified_distribution(void **state)
{
    (void)state;
    /* two tasks of 3 runs: 3^3 * 3^3 = 729 equally likely stratified resamples, enumerated;
     * the Monte Carlo bounds must sit at the exact 2.5% / 97.5% points (as for the mean) */
    const double a[3] = {0.1, 0.5, 0.9}, b[3] = {0.0, 0.2, 1.4};
    const double *const sc[2] = {a, b};
    const size_t n[2] = {3, 3};
    double iqm, lo, hi;
    TH_OK(clkfac_stats_iqm_ci(&iqm, &lo, &hi, sc, n, 2, 0.95, BOOT_B, BOOT_SEED));
    const double all[6] = {0.1, 0.5, 0.9, 0.0, 0.2, 1.4};
    double direct;
    TH_OK(clkfac_stats_iqm(&direct, all, 6));
    assert_true(iqm == direct); /* point estimate: the IQM of every run pooled */
    assert_true(fabs(iqm - (0.1 + 0.2 + 0.5 + 0.9) / 4) < 1e-12);
    for (int side = 0; side < 2; side++) {
        double v = side ? hi : lo, p = side ? 0.975 : 0.025;
        long lt = 0, le = 0, total = 729;
        for (long code = 0; code < total; code++) {
            double m = pooled_iqm(a, 3, b, 3, code);
            lt += m < v - 1e-12;
            le += m <= v + 1e-12;
        }
        assert_true(le > lt); /* attainable */
        assert_true((double)lt / total <= p + 0.01 && (double)le / total >= p - 0.01);
    }
    assert_true(lo < iqm && iqm < hi);
    /* constant scores: zero width */
    const double c[2] = {0.7, 0.7};
    const double *const cc[2] = {c, c};
    const size_t n2[2] = {2, 2};
    TH_OK(clkfac_stats_iqm_ci(&iqm, &lo, &hi, cc, n2, 2, 0.95, BOOT_B, BOOT_SEED));
    assert_true(iqm == 0.7 && lo == 0.7 && hi == 0.7);
}

static void test_prob_improvement_hand_values(void **state)
{
    (void)state;
    /* task 0: x {1, 2, 3} vs y {2, 2}: pairs 0, 0, 1/2, 1/2, 1, 1 -> 1/2;
     * task 1: x {5, 6} vs y {4}: 1. The mean over tasks: 3/4 */
    const double x0[3] = {1, 2, 3}, y0[2] = {2, 2}, x1[2] = {5, 6}, y1[1] = {4};
    const double *const x[2] = {x0, x1}, *const y[2] = {y0, y1};
    const size_t nx[2] = {3, 2}, ny[2] = {2, 1};
    double p, lo, hi, q, qlo, qhi;
    TH_OK(clkfac_stats_prob_improvement(&p, &lo, &hi, x, nx, y, ny, 2, 0.95, BOOT_B, BOOT_SEED));
    assert_true(fabs(p - 0.75) < 1e-12);
    assert_true(lo <= p && p <= hi && lo >= 0.5 && hi <= 1.0);
    /* the other direction is the complement */
    TH_OK(clkfac_stats_prob_improvement(&q, &qlo, &qhi, y, ny, x, nx, 2, 0.95, BOOT_B, BOOT_SEED));
    assert_true(fabs(p + q - 1.0) < 1e-12);
    /* X above Y on every task in every resample: 1 with zero width */
    const double big[2] = {10, 11};
    const double *const xb[2] = {big, big};
    const size_t nb[2] = {2, 2};
    TH_OK(clkfac_stats_prob_improvement(&p, &lo, &hi, xb, nb, y, ny, 2, 0.95, BOOT_B, BOOT_SEED));
    assert_true(p == 1.0 && lo == 1.0 && hi == 1.0);
}

static void test_prob_improvement_against_direct_count(void **state)
{
    (void)state;
    /* random scores with ties on 4 tasks of unequal sizes against a direct double count */
    th_rng r = {7};
    double xs[4][6], ys[4][5];
    const size_t nx[4] = {6, 3, 1, 4}, ny[4] = {5, 2, 4, 1};
    const double *x[4], *y[4];
    double want = 0;
    for (int t = 0; t < 4; t++) {
        for (size_t i = 0; i < nx[t]; i++) xs[t][i] = floor(4 * th_uniform(&r));
        for (size_t j = 0; j < ny[t]; j++) ys[t][j] = floor(4 * th_uniform(&r));
        x[t] = xs[t];
        y[t] = ys[t];
        double wins = 0;
        for (size_t i = 0; i < nx[t]; i++)
            for (size_t j = 0; j < ny[t]; j++)
                wins += xs[t][i] > ys[t][j] ? 1 : xs[t][i] == ys[t][j] ? 0.5 : 0;
        want += wins / (double)(nx[t] * ny[t]) / 4;
    }
    double p, lo, hi;
    TH_OK(clkfac_stats_prob_improvement(&p, &lo, &hi, x, nx, y, ny, 4, 0.95, 2000, 99));
    assert_true(fabs(p - want) < 1e-12);
    assert_true(lo <= hi && lo >= 0 && hi <= 1);
}

static void test_aggregates_reject_bad_input(void **state)
{
    (void)state;
    const double a[2] = {1, NAN}, b[2] = {1, 2};
    const double *const bad[1] = {a}, *const good[1] = {b};
    const size_t n[1] = {2}, none[1] = {0};
    double v, lo, hi;
    assert_int_equal(clkfac_stats_iqm_ci(&v, &lo, &hi, bad, n, 1, 0.95, 100, 1),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "task 0 run 1"));
    assert_int_equal(clkfac_stats_iqm_ci(&v, &lo, &hi, good, none, 1, 0.95, 100, 1),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "no runs"));
    assert_int_equal(clkfac_stats_iqm_ci(&v, &lo, &hi, good, n, 0, 0.95, 100, 1),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_stats_iqm_ci(&v, &lo, &hi, good, n, 1, 1.5, 100, 1),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_stats_prob_improvement(&v, &lo, &hi, good, n, bad, n, 1, 0.95, 100, 1),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_stats_prob_improvement(&v, &lo, &hi, good, n, good, n, 1, 0.95, 0, 1),
                     CLKFAC_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptive),
        cmocka_unit_test(test_bootstrap_degenerate_cases),
        cmocka_unit_test(test_bootstrap_matches_exact_distribution),
        cmocka_unit_test(test_bootstrap_large_sample_near_normal_theory),
        cmocka_unit_test(test_rolling_mean_and_final),
        cmocka_unit_test(test_threshold_crossing),
        cmocka_unit_test(test_resample_carries_forward),
        cmocka_unit_test(test_auc),
        cmocka_unit_test(test_iqm_hand_values),
        cmocka_unit_test(test_iqm_ci_matches_exact_stratified_distribution),
        cmocka_unit_test(test_prob_improvement_hand_values),
        cmocka_unit_test(test_prob_improvement_against_direct_count),
        cmocka_unit_test(test_aggregates_reject_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
