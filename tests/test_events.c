/* Numerical failures as logged, recoverable events: a non-finite gradient skips its update and
 * says so in the update's record; a K-FAC factor that is not positive definite is inverted with
 * raised damping, or by the eigen rule when that does not help; updates.csv and summary.json
 * count the events; ten skipped updates in a row end a run as diverged. Failures are injected
 * through the agent's test hooks (NaN returns, factors overwritten). */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_support.h"
#include "core/text.h"
#include "harness.h"
#include "report/runs.h"
#include "rl/agent_internal.h"

static clkfac_agent *make_agent(clkfac_vecenv **env, clkfac_algo algo, unsigned inv_every,
                                unsigned stats_every)
{
    TH_OK(clkfac_vecenv_create(env, "CartPole-v1", 4, 7, NULL));
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = algo;
    o.inv_every = inv_every;
    o.stats_every = stats_every;
    o.seed = 5;
    clkfac_agent *ag = NULL;
    TH_OK(clkfac_agent_create(&ag, th_ctx(), *env, &o));
    return ag;
}

static float *params(clkfac_agent *ag, size_t *n)
{
    TH_OK(clkfac_agent_read_params(ag, NULL, 0, n));
    float *p = malloc(*n * sizeof *p);
    assert_non_null(p);
    TH_OK(clkfac_agent_read_params(ag, p, *n, n));
    return p;
}

static clkfac_update_stats last_stats(clkfac_agent *ag)
{
    clkfac_update_stats st[256];
    size_t n = 0;
    TH_OK(clkfac_agent_read_stats(ag, st, 256, &n));
    assert_true(n >= 1);
    return st[n - 1];
}

/* NaN returns give non-finite gradients: the update is skipped (parameters bit-identical), its
 * record says skipped = 1, the device is healthy again afterwards and the next update steps. */
static void test_nonfinite_gradient_skips_update(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    for (int a = 0; a < 3; a++) {
        clkfac_algo algo = a == 0 ? CLKFAC_ALGO_A2C : a == 1 ? CLKFAC_ALGO_ACKTR : CLKFAC_ALGO_TRPO;
        clkfac_vecenv *env = NULL;
        clkfac_agent *ag = make_agent(&env, algo, 1, 1);
        for (int u = 0; u < 3; u++) TH_OK(clkfac_agent_update(ag));
        assert_true(last_stats(ag).skipped == 0.0f);
        size_t n = 0, n1 = 0;
        float *p0 = params(ag, &n);
        agent_debug_nan_returns(ag, 1);
        TH_OK(clkfac_agent_update(ag));
        clkfac_update_stats s = last_stats(ag);
        float *p1 = params(ag, &n1);
        print_message("%s: NaN returns -> skipped %g, parameters %s\n", clkfac_algo_name(algo),
                      (double)s.skipped, memcmp(p0, p1, n * sizeof *p0) ? "changed" : "kept");
        assert_true(s.skipped == 1.0f);
        if (algo != CLKFAC_ALGO_TRPO) /* TRPO's value step skips; its line search rejects NaN */
            assert_memory_equal(p0, p1, n * sizeof *p0);
        for (size_t i = 0; i < n1; i++) assert_true(isfinite(p1[i]));
        TH_OK(clkfac_context_check(th_ctx())); /* the event went to the record */
        TH_OK(clkfac_agent_update(ag));
        assert_true(last_stats(ag).skipped == 0.0f);
        float *p2 = params(ag, &n1);
        assert_true(memcmp(p1, p2, n * sizeof *p1) != 0);
        free(p0);
        free(p1);
        free(p2);
        clkfac_agent_free(ag);
        clkfac_vecenv_free(env);
    }
}

/* Block 0 (CartPole's first actor layer: A is 5 x 5, G 64 x 64) gets G = I and A = diag(1, 1,
 * 1, 1, -x): with damping 0.01 the shifted A is not positive definite. x = 0.2 is recovered by
 * raising the damping x10 (pi = sqrt(tr A / 5) ~ 0.87: shift 0.087, then 0.28 > 0.2); x = 3 is
 * beyond x1000 (pi ~ 0.45, shift at most 1.4) and takes the eigen rule. The failing update keeps
 * its old inverse; the next one re-inverts, checked, and records the event. */
static void test_not_spd_factor_recovered(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    for (int severe = 0; severe < 2; severe++) {
        clkfac_vecenv *env = NULL;
        clkfac_agent *ag = make_agent(&env, CLKFAC_ALGO_ACKTR, 1, 1000); /* stats once */
        TH_OK(clkfac_agent_update(ag));
        float a[25] = {0}, *g = calloc(64 * 64, sizeof *g);
        assert_non_null(g);
        for (int i = 0; i < 5; i++) a[i * 5 + i] = i < 4 ? 1.0f : (severe ? -3.0f : -0.2f);
        for (int i = 0; i < 64; i++) g[i * 64 + i] = 1.0f;
        TH_OK(acktr_debug_set_factor(ag, 0, 0, a, 25));
        TH_OK(acktr_debug_set_factor(ag, 0, 1, g, 64 * 64));
        free(g);
        TH_OK(clkfac_agent_update(ag)); /* inversion fails: the old inverse is kept */
        clkfac_update_stats s1 = last_stats(ag);
        TH_OK(clkfac_agent_update(ag)); /* re-inverted, checked */
        clkfac_update_stats s2 = last_stats(ag);
        print_message("A eigenvalue %s: update %llu damping_raised %g eigen_fallback %g; update "
                      "%llu damping_raised %g eigen_fallback %g\n", severe ? "-3" : "-0.2",
                      (unsigned long long)s1.update, (double)s1.damping_raised,
                      (double)s1.eigen_fallback, (unsigned long long)s2.update,
                      (double)s2.damping_raised, (double)s2.eigen_fallback);
        assert_true(s2.damping_raised == (severe ? 0.0f : 1.0f));
        assert_true(s2.eigen_fallback == (severe ? 1.0f : 0.0f));
        assert_true(s2.skipped == 0.0f);
        TH_OK(clkfac_context_check(th_ctx()));
        for (int u = 0; u < 3; u++) TH_OK(clkfac_agent_update(ag));
        size_t n = 0;
        float *p = params(ag, &n);
        for (size_t i = 0; i < n; i++) assert_true(isfinite(p[i]));
        free(p);
        clkfac_agent_free(ag);
        clkfac_vecenv_free(env);
    }
}

/* The number of data rows of a CSV whose last column is 1. */
static int rows_with_last_one(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *c = strrchr(line, ',');
        if (c && !strcmp(c, ",1\n")) n++;
    }
    fclose(f);
    return n;
}

/* Through the run folder: 3 skipped updates are counted (updates.csv's skipped column and
 * summary.json's events) and the run finishes; skipping every update ends it after ten in a
 * row with NONFINITE and a message that training diverged. */
static void test_run_counts_events_and_diverges(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    for (int diverge = 0; diverge < 2; diverge++) {
        char *d = cs_tempdir("events");
        clkfac_vecenv *env = NULL;
        clkfac_agent *ag = make_agent(&env, CLKFAC_ALGO_A2C, 1, 1);
        clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
        o.algo = CLKFAC_ALGO_A2C;
        o.seed = 5;
        TH_OK(clkfac_agent_options_resolve(&o, &o));
        runs_spec spec = {d, "CartPole-v1", 4 * 5 * 30, 4, &o, NULL, NULL, 10.0, 0, NULL, 0, 0, 0, NULL};
        runs_result res;
        for (int u = 0; u < 5; u++) TH_OK(clkfac_agent_update(ag));
        agent_debug_nan_returns(ag, diverge ? 1000 : 3);
        clkfac_status st = runs_train(&spec, th_ctx(), env, ag, &res);
        char path[4200], *text = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/updates.csv", d);
        int skipped = rows_with_last_one(path);
        snprintf(path, sizeof path, "%s/summary.json", d);
        assert_int_equal(core_read_file(path, &text, &len), 0);
        print_message("%s: status %s, %d skipped rows, %s\n", diverge ? "diverging" : "3 NaN updates",
                      clkfac_status_str(st), skipped, st ? clkfac_last_error() : "finished");
        if (diverge) {
            assert_int_equal(st, CLKFAC_ERR_NONFINITE);
            assert_non_null(strstr(clkfac_last_error(), "training diverged"));
            assert_true(skipped >= 10);
            assert_non_null(strstr(text, "\"finished\": false"));
        } else {
            TH_OK(st);
            assert_int_equal(skipped, 3);
            assert_non_null(strstr(text, "\"skipped_updates\": 3"));
            assert_non_null(strstr(text, "\"finished\": true"));
        }
        free(text);
        clkfac_agent_free(ag);
        clkfac_vecenv_free(env);
        cs_rmtree(d);
        free(d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nonfinite_gradient_skips_update),
        cmocka_unit_test(test_not_spd_factor_recovered),
        cmocka_unit_test(test_run_counts_events_and_diverges),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
