/* ACKTR through the library: the measured KL of each step against the trust-region bound, the
 * trust-region scale's definition, and no host round trip inside an update (the only blocking
 * calls of an update are the per-step action reads of its rollout). */
/* ctest-labels: unit device */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "rl/agent_internal.h"

static clkfac_agent *make_agent(clkfac_vecenv **env, clkfac_algo algo, float momentum,
                                float decay, unsigned inv_every, int measure)
{
    TH_OK(clkfac_vecenv_create(env, "CartPole-v1", 8, 11, NULL));
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = algo;
    o.lr = algo == CLKFAC_ALGO_ACKTR ? 0.25f : 7e-4f;
    CLKFAC_AGENT_SET(&o, ent_coef, 0.0f); /* 0 means 0, not the default */
    CLKFAC_AGENT_SET(&o, momentum, momentum);
    CLKFAC_AGENT_SET(&o, stats_decay, decay);
    o.inv_every = inv_every;
    o.measure_kl = measure;
    o.seed = 3;
    clkfac_agent *ag = NULL;
    TH_OK(clkfac_agent_create(&ag, th_ctx(), *env, &o));
    return ag;
}

/* With fresh factors and inverses every update and no momentum, a step is eta*nu*v with
 * 0.5 (eta nu)^2 v.F_kfac.v = 0.5 nu^2 q <= 0.5 kl_clip: the true KL should sit near or below
 * that quadratic estimate. Measured on PoCL (seed 1, 500 updates): median KL / estimate 0.16,
 * max 2.7; at most 0.2% of steps above kl_clip. The test allows 2 kl_clip for any step and
 * asks that 99% stay within kl_clip and the median within the 0.5 kl_clip estimate. */
static void test_step_kl_within_trust_region(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_vecenv *env = NULL;
    clkfac_agent *ag = make_agent(&env, CLKFAC_ALGO_ACKTR, 0.0f, 0.0f, 1, 1);
    enum { U = 300 };
    clkfac_update_stats st[U];
    size_t n = 0;
    for (int u = 0; u < U; u++) {
        TH_OK(clkfac_agent_update(ag));
        if ((u + 1) % 100 == 0) { /* the device ring holds 256 records: read in blocks */
            size_t k = 0;
            TH_OK(clkfac_agent_read_stats(ag, st + n, U - n, &k));
            n += k;
        }
    }
    assert_int_equal(n, U);
    assert_int_equal(clkfac_agent_stats_dropped(ag), 0);
    TH_OK(clkfac_context_check(th_ctx()));
    const double clip = 0.001;
    double kl[U];
    int above = 0, clipped = 0;
    for (size_t i = 0; i < n; i++) {
        kl[i] = st[i].kl;
        assert_true(isfinite(st[i].kl) && st[i].kl >= -1e-7);
        /* nu = min(1, sqrt(kl_clip / q)) */
        double nu = st[i].trust_q > 0 ? fmin(1.0, sqrt(clip / st[i].trust_q)) : 1.0;
        if (fabs(nu - st[i].trust_nu) > 1e-5 * (1 + nu))
            fail_msg("update %zu: nu %g, expected min(1, sqrt(%g / %g)) = %g", i,
                     (double)st[i].trust_nu, clip, (double)st[i].trust_q, nu);
        clipped += st[i].trust_nu < 1.0f;
        above += kl[i] > clip;
        if (kl[i] > 2 * clip) fail_msg("update %zu: KL %g > 2 kl_clip", i, kl[i]);
    }
    for (int i = 1; i < U; i++)
        for (int j = i; j > 0 && kl[j - 1] > kl[j]; j--) {
            double t = kl[j]; kl[j] = kl[j - 1]; kl[j - 1] = t;
        }
    print_message("ACKTR steps: %d/%d clipped by the trust region, median KL %.3g, max KL %.3g, "
                  "%d above kl_clip %.3g\n", clipped, U, kl[U / 2], kl[U - 1], above, clip);
    assert_true(clipped > U / 10); /* the bound was active, so the test means something */
    assert_true(above <= U / 100);
    assert_true(kl[U / 2] <= 0.5 * clip);
    clkfac_agent_free(ag);
    clkfac_vecenv_free(env);
}

/* Blocking calls per update = the n_steps action reads of the rollout, for A2C and ACKTR. */
static void test_no_host_round_trip_inside_update(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    for (int algo = CLKFAC_ALGO_A2C; algo <= CLKFAC_ALGO_ACKTR; algo++) {
        clkfac_vecenv *env = NULL;
        clkfac_agent *ag = make_agent(&env, (clkfac_algo)algo, 0.9f, 0.99f, 10, 0);
        TH_OK(clkfac_agent_update(ag)); /* first update builds kernels */
        uint64_t before = clkfac_context_blocking_calls(th_ctx());
        for (int u = 0; u < 20; u++) TH_OK(clkfac_agent_update(ag));
        uint64_t calls = clkfac_context_blocking_calls(th_ctx()) - before;
        print_message("%s: %llu blocking calls in 20 updates of 5 steps\n",
                      clkfac_algo_name((clkfac_algo)algo), (unsigned long long)calls);
        assert_int_equal(calls, 20 * 5);
        TH_OK(clkfac_context_check(th_ctx()));
        clkfac_agent_free(ag);
        clkfac_vecenv_free(env);
    }
}

/* The Euclidean critic (the paper's comparison): separate networks, the actor preconditioned,
 * the critic fitted by Adam; still no host round trip, finite statistics throughout. (Whether it
 * learns is for the `critic` suite: value losses grow with the returns, so they prove little.) */
static void test_euclidean_critic_runs_on_device(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_vecenv *env = NULL;
    TH_OK(clkfac_vecenv_create(&env, "CartPole-v1", 8, 2, NULL));
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = CLKFAC_ALGO_ACKTR;
    o.lr = 0.25f;
    o.critic_euclidean = 1;
    clkfac_agent *ag = NULL;
    TH_OK(clkfac_agent_create(&ag, th_ctx(), env, &o));
    TH_OK(clkfac_agent_update(ag));
    uint64_t before = clkfac_context_blocking_calls(th_ctx());
    enum { U = 60 };
    for (int u = 1; u < U; u++) TH_OK(clkfac_agent_update(ag));
    assert_int_equal(clkfac_context_blocking_calls(th_ctx()) - before, (U - 1) * 5);
    clkfac_update_stats st[U];
    size_t n = 0;
    TH_OK(clkfac_agent_read_stats(ag, st, U, &n));
    assert_int_equal(n, U);
    TH_OK(clkfac_context_check(th_ctx()));
    for (int i = 0; i < U; i++) {
        assert_true(isfinite(st[i].value_loss) && isfinite(st[i].policy_loss));
        assert_true(st[i].trust_nu > 0.0f && st[i].trust_nu <= 1.0f);
    }
    clkfac_agent_free(ag);
    clkfac_vecenv_free(env);
}

/* The compatibility paths: the reference code's eigenvalue damping (host eigensolver every
 * T_inv updates), weight decay folded into the damping, and the adaptive step size on Pendulum
 * (Gaussian policy): finite statistics and, for the eigen path, the KL bound. */
static void test_eigen_weight_decay_and_adaptive_step(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    for (int variant = 0; variant < 2; variant++) {
        clkfac_vecenv *env = NULL;
        TH_OK(clkfac_vecenv_create(&env, variant ? "Pendulum-v1" : "CartPole-v1", 8, 4, NULL));
        clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
        o.algo = CLKFAC_ALGO_ACKTR;
        o.lr = variant ? 0.03f : 0.25f;
        CLKFAC_AGENT_SET(&o, momentum, 0.0f);
        o.inv_every = 1;
        CLKFAC_AGENT_SET(&o, stats_decay, 0.0f);
        o.kfac_eigen = !variant;
        o.weight_decay = variant ? 0.0f : 1e-4f;
        o.kl_target = variant ? 0.002f : 0.0f;
        o.measure_kl = 1;
        clkfac_agent *ag = NULL;
        TH_OK(clkfac_agent_create(&ag, th_ctx(), env, &o));
        enum { U = 40 };
        for (int u = 0; u < U; u++) TH_OK(clkfac_agent_update(ag));
        clkfac_update_stats st[U];
        size_t n = 0;
        TH_OK(clkfac_agent_read_stats(ag, st, U, &n));
        TH_OK(clkfac_context_check(th_ctx()));
        assert_int_equal(n, U);
        double kl_max = 0;
        for (size_t i = 0; i < n; i++) {
            assert_true(isfinite(st[i].kl) && isfinite(st[i].loss) && st[i].trust_nu > 0.0f);
            kl_max = fmax(kl_max, st[i].kl);
        }
        print_message("%s: max step KL %.3g over %d updates\n",
                      variant ? "adaptive step (Pendulum)" : "eigen damping + weight decay",
                      kl_max, U);
        if (!variant) assert_true(kl_max <= 2 * 0.001);
        clkfac_agent_free(ag);
        clkfac_vecenv_free(env);
    }
}

/* The adaptive step size (kl_target) moves its multiplier at most once per update, by 1.5 up or
 * down according to that update's measured KL (the reference's rule), whatever the number of
 * K-FAC blocks: a separate Gaussian actor and critic on Pendulum have 6 blocks, so an adjustment
 * per block would show as factors of 1.5^6. */
static void test_adaptive_step_once_per_update(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_vecenv *env = NULL;
    TH_OK(clkfac_vecenv_create(&env, "Pendulum-v1", 8, 4, NULL));
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = CLKFAC_ALGO_ACKTR;
    o.lr = 0.03f;
    o.kl_target = 0.002f;
    CLKFAC_AGENT_SET(&o, shared, 0);
    clkfac_agent *ag = NULL;
    TH_OK(clkfac_agent_create(&ag, th_ctx(), env, &o));
    enum { U = 30 };
    float scale[U + 1];
    TH_OK(acktr_debug_step_scale(ag, &scale[0]));
    assert_true(scale[0] == 1.0f);
    int ups = 0, downs = 0;
    for (int u = 0; u < U; u++) {
        TH_OK(clkfac_agent_update(ag));
        TH_OK(acktr_debug_step_scale(ag, &scale[u + 1]));
    }
    clkfac_update_stats st[U];
    size_t n = 0;
    TH_OK(clkfac_agent_read_stats(ag, st, U, &n));
    assert_int_equal(n, U);
    for (int u = 0; u < U; u++) {
        const double r = (double)scale[u + 1] / (double)scale[u];
        const double kl = st[u].kl;
        /* the update's own KL decides: > 2 target down, < target / 2 up, else unchanged */
        double want = kl > 2 * o.kl_target ? 1 / 1.5 : kl < 0.5 * o.kl_target ? 1.5 : 1.0;
        const double clamped = fmin(1e4, fmax(1e-4, scale[u] * want)); /* the kernel's bounds */
        want = clamped / scale[u];
        if (fabs(r - want) > 1e-5 * want)
            fail_msg("update %d: KL %.4g moved the step scale by %.6g (expected %.6g)", u + 1, kl,
                     r, want);
        ups += want > 1;
        downs += want < 1;
    }
    print_message("adaptive step: %d increases, %d decreases in %d updates, final scale %.4g\n",
                  ups, downs, U, (double)scale[U]);
    assert_true(ups + downs > 0);
    clkfac_agent_free(ag);
    clkfac_vecenv_free(env);
}

/* Parameters that overflow (a diverged run) make the Gaussian policy draw infinite or NaN
 * actions: the update reports NONFINITE with "training diverged", not a bad-input error from the
 * environment (issue 12). */
static void test_diverged_policy_reported(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_vecenv *env = NULL;
    TH_OK(clkfac_vecenv_create(&env, "Pendulum-v1", 4, 1, NULL));
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = CLKFAC_ALGO_ACKTR;
    clkfac_agent *ag = NULL;
    TH_OK(clkfac_agent_create(&ag, th_ctx(), env, &o));
    size_t n = 0;
    TH_OK(clkfac_agent_read_params(ag, NULL, 0, &n));
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = 3e38f; /* finite, but the output layer overflows */
    TH_OK(clkfac_agent_write_params(ag, p, n));
    assert_int_equal(clkfac_agent_update(ag), CLKFAC_ERR_NONFINITE);
    assert_non_null(strstr(clkfac_last_error(), "training diverged"));
    free(p);
    clkfac_agent_free(ag);
    clkfac_vecenv_free(env);
}

static void test_bad_settings_rejected(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_vecenv *env = NULL;
    TH_OK(clkfac_vecenv_create(&env, "CartPole-v1", 2, 1, NULL));
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = CLKFAC_ALGO_ACKTR;
    CLKFAC_AGENT_SET(&o, kl_clip, 0.0f);
    clkfac_agent *ag = NULL;
    assert_int_equal(clkfac_agent_create(&ag, th_ctx(), env, &o), CLKFAC_ERR_INVALID_ARG);
    assert_null(ag);
    o.kl_clip = 0.001f;
    o.momentum = 1.0f;
    assert_int_equal(clkfac_agent_create(&ag, th_ctx(), env, &o), CLKFAC_ERR_INVALID_ARG);
    clkfac_vecenv_free(env);
}


/* --stats-fraction: the first update's A factor of the first layer (cold start: the batch's own
 * factor) is (1/ms) sum [x 1][x 1]^T over the first ms = ceil(f m) observations of the batch,
 * against a double-precision sum; the corner (the ones column) is exactly 1, so the scale is
 * 1/ms, not 1/m. f = 1 uses the whole batch. */
static void test_stats_fraction_uses_first_examples(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const float fractions[] = {1.0f, 0.3f, 0.01f};
    const size_t want_rows[] = {40, 12, 1}; /* of 8 copies x 5 steps */
    for (size_t fi = 0; fi < sizeof fractions / sizeof fractions[0]; fi++) {
        clkfac_vecenv *env = NULL;
        TH_OK(clkfac_vecenv_create(&env, "CartPole-v1", 8, 5, NULL));
        clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
        o.algo = CLKFAC_ALGO_ACKTR;
        o.stats_fraction = fractions[fi];
        o.seed = 9;
        clkfac_agent *ag = NULL;
        TH_OK(clkfac_agent_create(&ag, th_ctx(), env, &o));
        TH_OK(clkfac_agent_update(ag));
        size_t m = ag->n_envs * ag->t_steps, os = ag->obs_size, d = os + 1;
        size_t ms = want_rows[fi];
        assert_int_equal(m, 40);
        float *obs = malloc(m * os * sizeof *obs), *a = malloc(d * d * sizeof *a);
        th_download(ag->obs, 0, obs, m * os);
        TH_OK(acktr_debug_get_factor(ag, 0, 0, a, d * d));
        double worst = 0, scale = 0;
        for (size_t i = 0; i < d; i++)
            for (size_t j = 0; j < d; j++) {
                double ref = 0;
                for (size_t r = 0; r < ms; r++) {
                    double xi = i < os ? obs[r * os + i] : 1.0, xj = j < os ? obs[r * os + j] : 1.0;
                    ref += xi * xj;
                }
                ref /= (double)ms;
                worst = fmax(worst, fabs(a[i * d + j] - ref));
                scale = fmax(scale, fabs(ref));
            }
        print_message("stats fraction %g: %zu of %zu examples, max |A - ref| %.3g (max |ref| %.3g)\n",
                      (double)fractions[fi], ms, m, worst, scale);
        assert_true(worst <= 1e-5 * (1 + scale));
        assert_true(fabsf(a[d * d - 1] - 1.0f) <= 1e-6f);
        free(obs);
        free(a);
        clkfac_agent_free(ag);
        clkfac_vecenv_free(env);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_settings_rejected),
        cmocka_unit_test(test_stats_fraction_uses_first_examples),
        cmocka_unit_test(test_diverged_policy_reported),
        cmocka_unit_test(test_adaptive_step_once_per_update),
        cmocka_unit_test(test_no_host_round_trip_inside_update),
        cmocka_unit_test(test_euclidean_critic_runs_on_device),
        cmocka_unit_test(test_eigen_weight_decay_and_adaptive_step),
        cmocka_unit_test(test_step_kl_within_trust_region),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
