/* The launch budget (bench step) and its fused launches: the profiler's per-phase counts of
 * kernels, BLAS calls, transfers (and bytes) and fills for known call sequences (the optimizer
 * step in three commands, the EMA pair in two launches and a fill); clkfac_kfac_ema_update_pair
 * (a block's A and G averaged in one check and one EMA launch) against a double-precision
 * reference and bit for bit against two clkfac_kfac_ema_update calls, over many shapes, cold and
 * warm states, and the skip of both averages when either new value holds NaN/Inf. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/optim.h"
#include "harness.h"

/* (n1, n2): sizes of real blocks (the MLP's 5x5..65x65, the Atari CNN's 257^2 and 32^2 ...),
 * work-group edges (63, 64, 65) and the degenerate 1 */
static const size_t SHAPES[][2] = {{1, 1},     {1, 64},   {63, 65},  {64, 64},      {25, 4225},
                                   {4225, 4}, {66049, 1024}, {4097, 3}, {129 * 129, 2 * 2}};
#define N_SHAPES (sizeof SHAPES / sizeof SHAPES[0])

static void upload_random(th_rng *rng, size_t n, float scale, float **host, cl_mem *dev)
{
    *host = th_malloc(n * sizeof **host);
    th_fill_normal(rng, *host, n, scale);
    *dev = th_upload(*host, n);
}

/* One EMA step in double precision: what s becomes with coefficients (a, b) of `state`. */
static void ema_ref(const clkfac_ema *state, const float *s, const float *v, size_t n, double *out)
{
    uint64_t cold = state->cold_steps ? state->cold_steps : 1;
    double a = state->count < cold ? (double)state->count / (double)(state->count + 1)
                                   : (double)state->decay;
    double b = state->count < cold ? 1.0 / (double)(state->count + 1) : 1.0 - state->decay;
    for (size_t i = 0; i < n; i++) out[i] = (a == 0.0 ? 0.0 : a * s[i]) + b * v[i];
}

static void test_ema_pair_matches_reference_and_unfused(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {161};
    for (size_t si = 0; si < N_SHAPES; si++)
        for (int warm = 0; warm < 3; warm++) { /* count 0 (copy), 1 of 2 cold, past cold */
            const size_t n[2] = {SHAPES[si][0], SHAPES[si][1]};
            clkfac_ema e_f[2], e_u[2];
            float *s0[2], *v[2], *got[2], *want[2];
            cl_mem s_f[2], s_u[2], dv[2];
            for (int k = 0; k < 2; k++) {
                e_f[k] = (clkfac_ema)CLKFAC_EMA_INIT;
                e_f[k].decay = k ? 0.95f : 0.99f;
                e_f[k].cold_steps = warm == 1 ? 2u : 1u;
                e_f[k].count = warm == 0 ? 0u : (warm == 1 ? 1u : 7u);
                e_u[k] = e_f[k];
                upload_random(&rng, n[k], 1.0f, &s0[k], &s_f[k]);
                s_u[k] = th_upload(s0[k], n[k]);
                upload_random(&rng, n[k], 2.0f, &v[k], &dv[k]);
                got[k] = th_malloc(n[k] * sizeof(float));
                want[k] = th_malloc(n[k] * sizeof(float));
            }
            double *ref[2] = {th_malloc(n[0] * sizeof(double)), th_malloc(n[1] * sizeof(double))};
            for (int k = 0; k < 2; k++) ema_ref(&e_f[k], s0[k], v[k], n[k], ref[k]);
            clkfac_ema_target t1 = {&e_f[0], n[0], s_f[0], 0, dv[0], 0};
            clkfac_ema_target t2 = {&e_f[1], n[1], s_f[1], 0, dv[1], 0};
            TH_OK(clkfac_kfac_ema_update_pair(ctx, &t1, &t2));
            for (int k = 0; k < 2; k++)
                TH_OK(clkfac_kfac_ema_update(ctx, &e_u[k], n[k], s_u[k], 0, dv[k], 0));
            TH_OK(clkfac_context_check(ctx));
            for (int k = 0; k < 2; k++) {
                char what[96];
                snprintf(what, sizeof what, "shape %zu x %zu, state %d, factor %d", n[0], n[1],
                         warm, k);
                th_download(s_f[k], 0, got[k], n[k]);
                th_download(s_u[k], 0, want[k], n[k]);
                th_assert_close(got[k], ref[k], n[k], 1e-6, 1e-6, what);
                if (memcmp(got[k], want[k], n[k] * sizeof(float)))
                    fail_msg("%s: fused result differs from two kfac_ema_update calls", what);
                assert_true(e_f[k].count == e_u[k].count);
                free(s0[k]); free(v[k]); free(got[k]); free(want[k]); free(ref[k]);
                clkfac_buffer_free(s_f[k]);
                clkfac_buffer_free(s_u[k]);
                clkfac_buffer_free(dv[k]);
            }
        }
}

static void test_ema_pair_skips_both_on_nonfinite(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    th_rng rng = {162};
    const size_t n[2] = {65, 129};
    for (int bad = 0; bad < 4; bad++) { /* NaN / Inf in the first / second new value */
        float *s0[2], *v[2], got[129];
        cl_mem s[2], dv[2];
        clkfac_ema e[2] = {CLKFAC_EMA_INIT, CLKFAC_EMA_INIT};
        e[0].count = e[1].count = 3;
        for (int k = 0; k < 2; k++) {
            upload_random(&rng, n[k], 1.0f, &s0[k], &s[k]);
            upload_random(&rng, n[k], 1.0f, &v[k], &dv[k]);
        }
        int k_bad = bad / 2;
        v[k_bad][n[k_bad] - 1 - (size_t)bad] = bad % 2 ? INFINITY : NAN;
        TH_OK(clkfac_buffer_write(ctx, dv[k_bad], 0, v[k_bad], n[k_bad]));
        clkfac_ema_target t1 = {&e[0], n[0], s[0], 0, dv[0], 0};
        clkfac_ema_target t2 = {&e[1], n[1], s[1], 0, dv[1], 0};
        TH_OK(clkfac_kfac_ema_update_pair(ctx, &t1, &t2));
        assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
        for (int k = 0; k < 2; k++) {
            th_download(s[k], 0, got, n[k]);
            if (memcmp(got, s0[k], n[k] * sizeof(float)))
                fail_msg("bad %d: average %d changed though a new value was not finite", bad, k);
            free(s0[k]); free(v[k]);
            clkfac_buffer_free(s[k]);
            clkfac_buffer_free(dv[k]);
        }
    }
}

static void test_ema_pair_bad_arguments(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    clkfac_ema e = CLKFAC_EMA_INIT, bad = CLKFAC_EMA_INIT;
    bad.decay = 1.0f;
    cl_mem a = th_alloc(16, 0.0f), b = th_alloc(16, 1.0f);
    clkfac_ema_target ok = {&e, 16, a, 0, b, 0}, big = {&e, 17, a, 0, b, 0},
                      dec = {&bad, 16, a, 0, b, 0};
    assert_int_equal(clkfac_kfac_ema_update_pair(ctx, &ok, NULL), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_kfac_ema_update_pair(ctx, &ok, &dec), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_kfac_ema_update_pair(ctx, &big, &ok), CLKFAC_ERR_SHAPE);
    assert_true(e.count == 0);
    clkfac_buffer_free(a);
    clkfac_buffer_free(b);
}

static void test_launch_budget_counts(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    float host[10] = {0};
    cl_mem a = th_alloc(100, 1.0f), b = th_alloc(100, 0.5f), c = th_alloc(100, 0.0f);
    clkfac_ema e1 = CLKFAC_EMA_INIT, e2 = CLKFAC_EMA_INIT;
    clkfac_ema_target t1 = {&e1, 40, a, 0, b, 0}, t2 = {&e2, 60, a, 40, b, 40};
    clkfac_optim *opt = NULL;
    clkfac_optim_options oo = CLKFAC_OPTIM_OPTIONS_INIT;
    TH_OK(clkfac_optim_create(&opt, ctx, 100, &oo));

    clkfac_profile_begin(ctx);
    clkfac_profile_phase(ctx, "io");
    TH_OK(clkfac_buffer_write(ctx, c, 0, host, 10));
    TH_OK(clkfac_buffer_write_async(ctx, c, 10, host, 3));
    TH_OK(clkfac_buffer_read(ctx, c, 0, host, 5));
    TH_OK(clkfac_buffer_fill(ctx, c, 0, 1.0f, 7));
    TH_OK(clkfac_buffer_copy(ctx, c, 0, c, 50, 7));
    clkfac_profile_phase(ctx, "ema");
    TH_OK(clkfac_kfac_ema_update_pair(ctx, &t1, &t2));
    clkfac_profile_phase(ctx, "optim");
    TH_OK(clkfac_optim_step(opt, a, 0, b, 0, 0.1f, NULL, 0));
    clkfac_profile_entry en[8];
    size_t n = 0;
    TH_OK(clkfac_profile_collect(ctx, en, 8, &n));
    assert_int_equal(n, 4); /* "other", "io", "ema", "optim" */
    /* io: 3 transfers of 10 + 3 + 5 floats, a fill and a copy, nothing launched */
    assert_int_equal(en[1].transfers, 3);
    assert_true(en[1].bytes == 18 * sizeof(float));
    assert_int_equal(en[1].copies, 2);
    assert_int_equal(en[1].kernels + en[1].blas, 0);
    /* ema pair: the guard reset, one check, one EMA */
    assert_int_equal(en[2].kernels, 2);
    assert_int_equal(en[2].copies, 1);
    assert_int_equal(en[2].blas + en[2].transfers, 0);
    /* optimizer step: the norm (BLAS), optim_prepare and the update; no reset, no scan */
    assert_int_equal(en[3].blas, 1);
    assert_int_equal(en[3].kernels, 2);
    assert_int_equal(en[3].copies + en[3].transfers, 0);
    assert_true(en[3].host_blas == 0); /* nrm2 is CLBlast on every engine */
    /* not recording: nothing counted into the next recording */
    TH_OK(clkfac_buffer_write(ctx, c, 0, host, 10));
    clkfac_profile_begin(ctx);
    TH_OK(clkfac_profile_collect(ctx, en, 8, &n));
    assert_int_equal(n, 1);
    assert_int_equal(en[0].transfers, 0);
    TH_OK(clkfac_context_check(ctx));
    clkfac_optim_free(opt);
    clkfac_buffer_free(a);
    clkfac_buffer_free(b);
    clkfac_buffer_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_launch_budget_counts),
        cmocka_unit_test(test_ema_pair_matches_reference_and_unfused),
        cmocka_unit_test(test_ema_pair_skips_both_on_nonfinite),
        cmocka_unit_test(test_ema_pair_bad_arguments),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
