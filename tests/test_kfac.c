/* K-FAC properties beyond the op table: geometry errors that name the field, Kronecker
 * exactness for one example, the adaptive step-size rule, and refused arguments. Every K-FAC
 * call against its double reference over many shapes (patches, factors, running averages,
 * preconditioning, trust region) is in test_ops.c. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/ocl.h"
#include "harness.h"

static void test_invalid_geometry_names_field(void **state)
{
    (void)state;
    int ho, wo;
    clkfac_conv_geom g = {1, 1, 4, 4, 3, 3, 0, 1, 0, 0, 1, 1, 0};
    assert_int_equal(clkfac_conv_out_size(&ho, &wo, &g), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "stride_h = 0"));
    clkfac_conv_geom big = {1, 1, 4, 4, 5, 5, 1, 1, 0, 0, 1, 1, 0};
    assert_int_equal(clkfac_conv_out_size(&ho, &wo, &big), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "larger than the padded input"));
    clkfac_conv_geom dil = {1, 1, 5, 5, 3, 3, 1, 1, 0, 0, 2, 2, 0};
    TH_OK(clkfac_conv_out_size(&ho, &wo, &dil));
    assert_int_equal(ho, 1);
    assert_int_equal(wo, 1);
}

/* For one example through a dense layer the Kronecker product is exact:
 * A (x) G = vec(g a_H^T) vec(g a_H^T)^T with vec stacking columns. */
static void test_kronecker_exact_for_one_example(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const size_t d = 5, k = 3, da = d + 1;
    float x[5], gy[3];
    th_rng rng = {99};
    th_fill_normal(&rng, x, d, 1.0f);
    th_fill_normal(&rng, gy, k, 1.0f);
    cl_mem dx = th_upload(x, d), dgy = th_upload(gy, k);
    cl_mem a_d = th_alloc(da * da, 0), g_d = th_alloc(k * k, 0);
    TH_OK(clkfac_kfac_dense_factors(th_ctx(), NULL, 1, d, k, 1, dx, 0, dgy, 0, a_d, 0, g_d, 0));
    float a[36], gf[9];
    th_download(a_d, 0, a, da * da);
    th_download(g_d, 0, gf, k * k);
    double ah[6];
    for (size_t i = 0; i < d; i++) ah[i] = x[i];
    ah[d] = 1.0;
    /* vec(g a^T): column j of g a^T is a_j * g, so entry (j*k + i) = a_j g_i */
    size_t m = da * k;
    for (size_t p = 0; p < m; p++)
        for (size_t q = 0; q < m; q++) {
            double exact = ah[p / k] * gy[p % k] * ah[q / k] * gy[q % k];
            double kron = (double)a[(p / k) * da + q / k] * (double)gf[(p % k) * k + q % k];
            if (fabs(kron - exact) > 1e-5 * (1.0 + fabs(exact)))
                fail_msg("Fisher block (%zu,%zu): A(x)G %g vs exact %g", p, q, kron, exact);
        }
    clkfac_buffer_free(dx); clkfac_buffer_free(dgy); clkfac_buffer_free(a_d); clkfac_buffer_free(g_d);
}

/* The adaptive step size (ACKTR, continuous control) against its rule written out: /1.5 above
 * 2 target, *1.5 below target/2, unchanged between or for a non-finite KL, kept in [1e-4, 1e4].
 * The scale sits between sentinels at an offset, which must stay as they were; the KL is read
 * at an offset. */
static void test_adapt_scale_rule(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    const float target = 0.002f;
    const struct {
        float scale, kl, want;
    } c[] = {
        {1.0f, 0.005f, 1.0f / 1.5f}, {1.0f, 0.0005f, 1.5f},   {1.0f, 0.003f, 1.0f},
        {2.0f, NAN, 2.0f},           {1.2e-4f, 1.0f, 1e-4f},  {9000.0f, 0.0f, 1e4f},
        {3.0f, INFINITY, 3.0f},      {1.0f, 0.004001f, 1.0f / 1.5f}, {5.0f, 0.00099f, 7.5f},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        const size_t off = 2;
        float kl[3] = {7.0f, 7.0f, c[i].kl}, sc[5] = {-1.0f, -2.0f, -3.0f, -4.0f, -5.0f};
        sc[off] = c[i].scale;
        cl_mem ds = th_upload(sc, 5), dk = th_upload(kl, 3);
        TH_OK(clkfac_kfac_adapt_scale(ctx, ds, off, dk, 2, target));
        float got[5];
        th_download(ds, 0, got, 5);
        double want = c[i].want;
        th_assert_close(&got[off], &want, 1, 0, 1e-6, "adapted step scale");
        for (size_t j = 0; j < 5; j++)
            if (j != off) assert_true(got[j] == sc[j]); /* sentinels */
        clkfac_buffer_free(ds);
        clkfac_buffer_free(dk);
    }
}

/* Bad arguments are refused before anything is enqueued, naming the value. */
static void test_adapt_scale_rejects_bad_input(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    float one = 1.0f;
    cl_mem b = th_upload(&one, 1);
    const float bad_targets[] = {0.0f, -0.01f, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_targets / sizeof bad_targets[0]; i++) {
        assert_int_equal(clkfac_kfac_adapt_scale(ctx, b, 0, b, 0, bad_targets[i]),
                         CLKFAC_ERR_INVALID_ARG);
        assert_non_null(strstr(clkfac_last_error(), "kl_target"));
    }
    assert_int_equal(clkfac_kfac_adapt_scale(ctx, NULL, 0, b, 0, 0.01f), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "scale_buf"));
    assert_int_equal(clkfac_kfac_adapt_scale(ctx, b, 0, b, 1, 0.01f), CLKFAC_ERR_SHAPE);
    assert_non_null(strstr(clkfac_last_error(), "kl_buf"));
    assert_int_equal(clkfac_kfac_adapt_scale(NULL, b, 0, b, 0, 0.01f), CLKFAC_ERR_INVALID_ARG);
    float got = 0.0f;
    th_download(b, 0, &got, 1);
    assert_true(got == 1.0f);
    clkfac_buffer_free(b);
}

/* What the op table (test_ops.c) does not cover: arguments the calls must refuse. */
static void test_invalid_arguments_named(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    cl_mem b = th_alloc(16, 1.0f);
    clkfac_ema e = {1.0f, 1, 0};
    assert_int_equal(clkfac_kfac_ema_update(ctx, &e, 4, b, 0, b, 8), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "decay"));
    assert_int_equal(clkfac_kfac_trust_region(ctx, 4, b, 0, b, 4, -1.0f, 0.001f, b, 8),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "eta=-1"));
    assert_int_equal(clkfac_kfac_precondition(ctx, 0, 2, b, 0, b, 0, b, 0, b, 0),
                     CLKFAC_ERR_INVALID_ARG);
    clkfac_buffer_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_geometry_names_field),
        cmocka_unit_test(test_kronecker_exact_for_one_example),
        cmocka_unit_test(test_adapt_scale_rule),
        cmocka_unit_test(test_adapt_scale_rejects_bad_input),
        cmocka_unit_test(test_invalid_arguments_named),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
