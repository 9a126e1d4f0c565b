/* K-FAC kernels against double-precision references: patch expansion and conv/dense factors
 * over many shapes (batch 1, odd sizes, stride 1-4, padding 0-2, dilation 1-2, bias or not,
 * GEMM and SYRK, row subsampling), Kronecker exactness for one example, running averages with
 * NaN guarding, preconditioning, and the trust-region scale. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/ocl.h"
#include "harness.h"
#include "ref/ref_kfac.h"

#define GUARD 17          /* sentinel floats after every output */
#define SENTINEL 12345.0f

typedef struct conv_case { int n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, bias, k; } conv_case;

/* 24 systematic cases (stride 1-4 x padding 0-2 x dilation 1-2) plus hand-picked ones. */
static size_t conv_cases(conv_case *out)
{
    size_t n = 0;
    for (int s = 1; s <= 4; s++)
        for (int p = 0; p <= 2; p++)
            for (int d = 1; d <= 2; d++) {
                int i = (int)n;
                conv_case c = {1 + i % 3, 1 + (i * 7) % 4, 7 + (i % 5), 9 + (i * 3) % 4,
                               1 + (i % 3) + (s > 2), 2 + (i % 2), s, s, p, p, d, d, i % 2,
                               1 + (i * 5) % 6};
                out[n++] = c;
            }
    const conv_case extra[] = {
        {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1},   /* smallest */
        {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1},   /* smallest with bias */
        {2, 4, 20, 20, 8, 8, 4, 4, 0, 0, 1, 1, 1, 5}, /* Atari first layer, small image */
        {3, 3, 10, 10, 3, 3, 1, 1, 0, 0, 1, 1, 1, 16},/* pixel-game layer */
        {2, 3, 11, 6, 3, 2, 2, 3, 1, 2, 2, 1, 0, 7},  /* non-square everything */
        {1, 5, 13, 13, 5, 5, 3, 3, 2, 2, 1, 1, 1, 3},
        {4, 2, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1, 9},   /* 1x1 kernel */
        {1, 2, 6, 6, 2, 2, 1, 1, 2, 2, 2, 2, 1, 2},   /* padding bigger than kernel reach */
        {2, 1, 9, 4, 4, 1, 4, 1, 0, 0, 1, 1, 0, 4},
        {1, 33, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 33}, /* D = 298: not a tile multiple */
    };
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) out[n++] = extra[i];
    return n;
}

static clkfac_conv_geom geom_of(const conv_case *c)
{
    clkfac_conv_geom g = {c->n, c->c, c->h, c->w, c->kh, c->kw, c->sh, c->sw,
                          c->ph, c->pw, c->dh, c->dw, c->bias};
    return g;
}

static void check_sentinels(cl_mem m, size_t off, const char *what)
{
    float s[GUARD];
    th_download(m, off, s, GUARD);
    for (int i = 0; i < GUARD; i++)
        if (s[i] != SENTINEL) fail_msg("%s: wrote past its end (guard %d = %g)", what, i, s[i]);
}

static void test_conv_patches_and_factors(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    conv_case cases[64];
    size_t nc = conv_cases(cases);
    assert_true(nc >= 30);
    th_rng rng = {42};
    for (size_t ci = 0; ci < nc; ci++) {
        clkfac_conv_geom g = geom_of(&cases[ci]);
        int ho, wo;
        TH_OK(clkfac_conv_out_size(&ho, &wo, &g));
        size_t R = clkfac_conv_patch_rows(&g), D = clkfac_conv_patch_cols(&g);
        size_t nx = (size_t)g.n * g.c * g.h * g.w, K = (size_t)cases[ci].k;
        size_t ngy = (size_t)g.n * K * ho * wo;
        float *x = malloc(nx * sizeof *x), *gy = malloc(ngy * sizeof *gy);
        th_fill_normal(&rng, x, nx, 1.0f);
        th_fill_normal(&rng, gy, ngy, 0.3f);
        double *pref = malloc(R * D * sizeof *pref);
        ref_patches(pref, x, &g, ho, wo);
        cl_mem dx = th_upload(x, nx), dgy = th_upload(gy, ngy);
        cl_mem dp = th_alloc(3 + R * D + GUARD, SENTINEL);
        TH_OK(clkfac_kfac_patches(ctx, &g, dx, 0, dp, 3));
        float *p = malloc(R * D * sizeof *p);
        th_download(dp, 3, p, R * D);
        char what[160];
        snprintf(what, sizeof what, "case %zu patches (n%d c%d %dx%d k%dx%d s%d p%d d%d b%d)", ci,
                 g.n, g.c, g.h, g.w, g.kh, g.kw, g.stride_h, g.pad_h, g.dil_h, g.bias);
        th_assert_close(p, pref, R * D, 0.0, 0.0, what); /* a copy: exact */
        check_sentinels(dp, 3 + R * D, what);

        double *aref = malloc(D * D * sizeof *aref), *gref = malloc(K * K * sizeof *gref);
        ref_conv_factors(aref, gref, x, gy, &g, (int)K);
        double amax = 0, gmax = 0;
        for (size_t i = 0; i < D * D; i++) amax = fmax(amax, fabs(aref[i]));
        for (size_t i = 0; i < K * K; i++) gmax = fmax(gmax, fabs(gref[i]));
        for (int algo = CLKFAC_GRAM_GEMM; algo <= CLKFAC_GRAM_SYRK; algo++) {
            clkfac_factor_options o = CLKFAC_FACTOR_OPTIONS_INIT;
            o.algo = (clkfac_gram_algo)algo;
            cl_mem da = th_alloc(D * D + GUARD, SENTINEL), dg = th_alloc(K * K + GUARD, SENTINEL);
            TH_OK(clkfac_kfac_conv_factors(ctx, &o, &g, (int)K, dx, 0, dgy, 0, da, 0, dg, 0));
            float *a = malloc(D * D * sizeof *a), *gf = malloc(K * K * sizeof *gf);
            th_download(da, 0, a, D * D);
            th_download(dg, 0, gf, K * K);
            /* float accumulation over up to a few thousand terms: abs tolerance relative to
             * the largest entry */
            snprintf(what, sizeof what, "case %zu A (%s)", ci, algo == 1 ? "gemm" : "syrk");
            th_assert_close(a, aref, D * D, 2e-5 * amax, 1e-4, what);
            check_sentinels(da, D * D, what);
            snprintf(what, sizeof what, "case %zu G (%s)", ci, algo == 1 ? "gemm" : "syrk");
            th_assert_close(gf, gref, K * K, 2e-5 * gmax, 1e-4, what);
            check_sentinels(dg, K * K, what);
            free(a);
            free(gf);
            clkfac_buffer_free(da);
            clkfac_buffer_free(dg);
        }
        free(x); free(gy); free(pref); free(p); free(aref); free(gref);
        clkfac_buffer_free(dx);
        clkfac_buffer_free(dgy);
        clkfac_buffer_free(dp);
    }
    print_message("checked patches and conv factors for %zu shapes (GEMM and SYRK)\n", nc);
}

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

static void test_dense_factors_and_subsampling(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    const size_t shapes[][3] = {{1, 1, 1}, {1, 5, 3}, {7, 13, 2}, {64, 31, 17}, {80, 100, 6},
                                {33, 65, 65}, {200, 4, 129}};
    th_rng rng = {7};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        size_t n = shapes[si][0], d = shapes[si][1], k = shapes[si][2];
        float *x = malloc(n * d * sizeof *x), *gy = malloc(n * k * sizeof *gy);
        th_fill_normal(&rng, x, n * d, 1.0f);
        th_fill_normal(&rng, gy, n * k, 0.5f);
        cl_mem dx = th_upload(x, n * d), dgy = th_upload(gy, n * k);
        for (int bias = 0; bias <= 1; bias++)
            for (unsigned stride = 1; stride <= 3; stride += 2) {
                size_t da = d + (size_t)bias;
                double *xh = malloc(n * da * sizeof *xh), *gd = malloc(n * k * sizeof *gd);
                for (size_t r = 0; r < n; r++) {
                    for (size_t j = 0; j < d; j++) xh[r * da + j] = x[r * d + j];
                    if (bias) xh[r * da + d] = 1.0;
                }
                for (size_t i = 0; i < n * k; i++) gd[i] = gy[i];
                double *aref = malloc(da * da * sizeof *aref), *gref = malloc(k * k * sizeof *gref);
                ref_gram(aref, xh, n, da, 1.0 / (double)n, stride);
                ref_gram(gref, gd, n, k, 1.0 / (double)n, stride);
                clkfac_factor_options o = CLKFAC_FACTOR_OPTIONS_INIT;
                o.row_stride = stride;
                cl_mem a_d = th_alloc(da * da + GUARD, SENTINEL), g_d = th_alloc(k * k + GUARD, SENTINEL);
                TH_OK(clkfac_kfac_dense_factors(ctx, &o, n, d, k, bias, dx, 0, dgy, 0, a_d, 0,
                                                g_d, 0));
                float *a = malloc(da * da * sizeof *a), *gf = malloc(k * k * sizeof *gf);
                th_download(a_d, 0, a, da * da);
                th_download(g_d, 0, gf, k * k);
                double amax = 0, gmax = 0;
                for (size_t i = 0; i < da * da; i++) amax = fmax(amax, fabs(aref[i]));
                for (size_t i = 0; i < k * k; i++) gmax = fmax(gmax, fabs(gref[i]));
                char what[96];
                snprintf(what, sizeof what, "dense n%zu d%zu k%zu bias%d stride%u A", n, d, k, bias, stride);
                th_assert_close(a, aref, da * da, 2e-5 * amax, 1e-4, what);
                check_sentinels(a_d, da * da, what);
                snprintf(what, sizeof what, "dense n%zu d%zu k%zu bias%d stride%u G", n, d, k, bias, stride);
                th_assert_close(gf, gref, k * k, 2e-5 * gmax, 1e-4, what);
                check_sentinels(g_d, k * k, what);
                free(xh); free(gd); free(aref); free(gref); free(a); free(gf);
                clkfac_buffer_free(a_d);
                clkfac_buffer_free(g_d);
            }
        free(x); free(gy);
        clkfac_buffer_free(dx);
        clkfac_buffer_free(dgy);
    }
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

static void test_nan_input_raises_flag(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    TH_OK(clkfac_context_check(ctx));
    float x[2 * 3 * 5 * 5], gy[2 * 4 * 3 * 3];
    th_rng rng = {8};
    th_fill_normal(&rng, x, sizeof x / 4, 1);
    th_fill_normal(&rng, gy, sizeof gy / 4, 1);
    x[17] = NAN;
    clkfac_conv_geom g = {2, 3, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1, 1};
    cl_mem dx = th_upload(x, sizeof x / 4), dgy = th_upload(gy, sizeof gy / 4);
    cl_mem a = th_alloc(76 * 76, 0), gf = th_alloc(36 * 36, 0);
    TH_OK(clkfac_kfac_conv_factors(ctx, NULL, &g, 4, dx, 0, dgy, 0, a, 0, gf, 0));
    assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
    x[17] = 0;
    gy[3] = INFINITY;
    TH_OK(clkfac_buffer_write(ctx, dx, 0, x, sizeof x / 4));
    TH_OK(clkfac_buffer_write(ctx, dgy, 0, gy, sizeof gy / 4));
    TH_OK(clkfac_kfac_dense_factors(ctx, NULL, 2, 75, 36, 1, dx, 0, dgy, 0, a, 0, gf, 0));
    assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
    clkfac_buffer_free(dx); clkfac_buffer_free(dgy); clkfac_buffer_free(a); clkfac_buffer_free(gf);
}

/* Outputs start as whatever memory held (NaN included): every factor must be fully written,
 * never blended with old contents (CLBlast's GEMV reads y even for beta = 0). Row-blocked Gram
 * (more than 2 x 4096 rows) included. */
static void test_factors_overwrite_nan_outputs(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const size_t shapes[][2] = {{37, 9}, {9000, 12}};
    th_rng rng = {21};
    for (int si = 0; si < 2; si++) {
        size_t n = shapes[si][0], d = shapes[si][1], D = d + 1;
        float *x = malloc(n * d * sizeof *x), *a = malloc(D * D * sizeof *a);
        double *xh = malloc(n * D * sizeof *xh), *ref = malloc(D * D * sizeof *ref);
        th_fill_normal(&rng, x, n * d, 1.0f);
        for (size_t r = 0; r < n; r++) {
            for (size_t j = 0; j < d; j++) xh[r * D + j] = x[r * d + j];
            xh[r * D + d] = 1.0;
        }
        ref_gram(ref, xh, n, D, 1.0 / (double)n, 1);
        cl_mem dx = th_upload(x, n * d), da = th_alloc(D * D, NAN);
        TH_OK(clkfac_kfac_dense_factors(th_ctx(), NULL, n, d, 1, 1, dx, 0, dx, 0, da, 0, NULL, 0));
        TH_OK(clkfac_context_check(th_ctx()));
        th_download(da, 0, a, D * D);
        th_assert_close(a, ref, D * D, 1e-4, 1e-4, "A over a NaN-filled output");
        free(x); free(a); free(xh); free(ref);
        clkfac_buffer_free(dx);
        clkfac_buffer_free(da);
    }
}

/* The adaptive step size (ACKTR, continuous control) against its rule written out: /1.5 above
 * 2 target, *1.5 below target/2, unchanged between or for a non-finite KL, kept in [1e-4, 1e4].
 * The scale sits between sentinels at an offset, which must stay as they were; the KL is read
 * at an offset. Also the legacy kernel kfac_adapt_scale (scale at offset 0) that src/rl/acktr.c
 * launches directly, while it does. */
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
        for (int legacy = 0; legacy < 2; legacy++) {
            const size_t off = legacy ? 0 : 2;
            float kl[3] = {7.0f, 7.0f, c[i].kl}, sc[5] = {-1.0f, -2.0f, -3.0f, -4.0f, -5.0f};
            sc[off] = c[i].scale;
            cl_mem ds = th_upload(sc, 5), dk = th_upload(kl, 3);
            if (legacy)
                TH_OK(ocl_run(ctx, "kfac", "kfac_adapt_scale", OCL_1D(1, 0),
                              OCL_ARGS(OCL_M(ds), OCL_M(dk), OCL_U(2), OCL_F(target))));
            else
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

static void test_nchw_to_rows(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    const size_t n = 3, k = 5, t = 7;
    float src[105], got[105];
    for (size_t i = 0; i < n * k * t; i++) src[i] = (float)i;
    cl_mem s = th_upload(src, n * k * t), d = th_alloc(n * k * t, -1);
    TH_OK(clkfac_kfac_nchw_to_rows(th_ctx(), n, k, t, s, 0, d, 0));
    th_download(d, 0, got, n * k * t);
    for (size_t nn = 0; nn < n; nn++)
        for (size_t kk = 0; kk < k; kk++)
            for (size_t tt = 0; tt < t; tt++)
                assert_true(got[(nn * t + tt) * k + kk] == src[(nn * k + kk) * t + tt]);
    clkfac_buffer_free(s);
    clkfac_buffer_free(d);
}

static void test_ema_first_cold_decay_and_nan_guard(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    enum { N = 70 };
    float b1[N], b2[N], b3[N], b4[N], got[N];
    th_rng rng = {5};
    th_fill_normal(&rng, b1, N, 1); th_fill_normal(&rng, b2, N, 1);
    th_fill_normal(&rng, b3, N, 1); th_fill_normal(&rng, b4, N, 1);
    double ref[N];
    cl_mem s = th_alloc(N, NAN); /* garbage (NaN) before the first update must not leak */
    cl_mem x = th_upload(b1, N);
    clkfac_ema e = {0.9f, 2, 0};
    TH_OK(clkfac_kfac_ema_update(ctx, &e, N, s, 0, x, 0));
    th_download(s, 0, got, N);
    for (int i = 0; i < N; i++) ref[i] = b1[i];
    th_assert_close(got, ref, N, 0, 1e-6, "first update copies");
    TH_OK(clkfac_buffer_write(ctx, x, 0, b2, N));
    TH_OK(clkfac_kfac_ema_update(ctx, &e, N, s, 0, x, 0)); /* cold: plain mean */
    th_download(s, 0, got, N);
    for (int i = 0; i < N; i++) ref[i] = 0.5 * ((double)b1[i] + b2[i]);
    th_assert_close(got, ref, N, 1e-6, 1e-5, "cold-start mean");
    TH_OK(clkfac_buffer_write(ctx, x, 0, b3, N));
    TH_OK(clkfac_kfac_ema_update(ctx, &e, N, s, 0, x, 0)); /* EMA */
    th_download(s, 0, got, N);
    for (int i = 0; i < N; i++) ref[i] = 0.9 * ref[i] + 0.1 * b3[i];
    th_assert_close(got, ref, N, 1e-6, 1e-5, "EMA step");
    TH_OK(clkfac_context_check(ctx));
    float before[N];
    th_download(s, 0, before, N);
    b4[17] = INFINITY;
    TH_OK(clkfac_buffer_write(ctx, x, 0, b4, N));
    TH_OK(clkfac_kfac_ema_update(ctx, &e, N, s, 0, x, 0));
    assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
    th_download(s, 0, got, N);
    assert_memory_equal(before, got, sizeof got);
    e.decay = 1.0f;
    assert_int_equal(clkfac_kfac_ema_update(ctx, &e, N, s, 0, x, 0), CLKFAC_ERR_INVALID_ARG);
    clkfac_buffer_free(s);
    clkfac_buffer_free(x);
}

static void test_precondition_and_trust_region(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    const size_t shapes[][2] = {{1, 1}, {3, 7}, {17, 33}, {64, 129}};
    th_rng rng = {11};
    for (size_t si = 0; si < 4; si++) {
        size_t dg = shapes[si][0], da = shapes[si][1];
        float *gi = malloc(dg * dg * 4), *ai = malloc(da * da * 4), *dw = malloc(dg * da * 4);
        th_fill_normal(&rng, gi, dg * dg, 0.3f);
        th_fill_normal(&rng, ai, da * da, 0.3f);
        th_fill_normal(&rng, dw, dg * da, 1.0f);
        cl_mem dgi = th_upload(gi, dg * dg), dai = th_upload(ai, da * da), ddw = th_upload(dw, dg * da);
        cl_mem dv = th_alloc(dg * da + GUARD, SENTINEL), sc = th_alloc(2, 0);
        TH_OK(clkfac_kfac_precondition(ctx, dg, da, dgi, 0, dai, 0, ddw, 0, dv, 0));
        double *G = malloc(dg * dg * 8), *A = malloc(da * da * 8), *W = malloc(dg * da * 8);
        double *T = malloc(dg * da * 8), *V = malloc(dg * da * 8);
        for (size_t i = 0; i < dg * dg; i++) G[i] = gi[i];
        for (size_t i = 0; i < da * da; i++) A[i] = ai[i];
        for (size_t i = 0; i < dg * da; i++) W[i] = dw[i];
        ref_matmul(T, G, W, dg, dg, da);
        ref_matmul(V, T, A, dg, da, da);
        float *v = malloc(dg * da * 4);
        th_download(dv, 0, v, dg * da);
        double vmax = 0;
        for (size_t i = 0; i < dg * da; i++) vmax = fmax(vmax, fabs(V[i]));
        th_assert_close(v, V, dg * da, 1e-5 * vmax, 1e-4, "preconditioned gradient");
        check_sentinels(dv, dg * da, "preconditioned gradient");
        /* trust region: q = eta^2 v.g, nu = min(1, sqrt(kl_clip/q)) */
        double dot = 0;
        for (size_t i = 0; i < dg * da; i++) dot += (double)v[i] * dw[i];
        const float eta = 0.25f, clip = 0.001f;
        TH_OK(clkfac_kfac_trust_region(ctx, dg * da, dv, 0, ddw, 0, eta, clip, sc, 0));
        float out[2];
        th_download(sc, 0, out, 2);
        double q = (double)eta * eta * dot;
        double nu = q > 0 ? fmin(1.0, sqrt(clip / q)) : 1.0;
        double want[2] = {q, nu};
        th_assert_close(out, want, 2, 1e-6, 1e-4, "trust region (q, nu)");
        /* applying nu on the device scales v without a host read */
        TH_OK(clkfac_kfac_scale_by(ctx, dg * da, dv, 0, eta, sc, 1));
        th_download(dv, 0, v, dg * da);
        for (size_t i = 0; i < dg * da; i++) V[i] *= eta * nu;
        th_assert_close(v, V, dg * da, 1e-5 * vmax, 1e-4, "scaled step");
        free(gi); free(ai); free(dw); free(G); free(A); free(W); free(T); free(V); free(v);
        clkfac_buffer_free(dgi); clkfac_buffer_free(dai); clkfac_buffer_free(ddw);
        clkfac_buffer_free(dv); clkfac_buffer_free(sc);
    }
}

static void test_trust_region_small_q_and_nan(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    clkfac_context *ctx = th_ctx();
    float v[4] = {1e-3f, 0, 0, 0}, g[4] = {1e-3f, 0, 0, 0}, out[2];
    cl_mem dv = th_upload(v, 4), dg = th_upload(g, 4), sc = th_alloc(2, 0);
    TH_OK(clkfac_kfac_trust_region(ctx, 4, dv, 0, dg, 0, 0.25f, 0.001f, sc, 0));
    th_download(sc, 0, out, 2);
    assert_true(out[1] == 1.0f); /* inside the region: no clipping */
    TH_OK(clkfac_context_check(ctx));
    g[2] = NAN;
    TH_OK(clkfac_buffer_write(ctx, dg, 0, g, 4));
    TH_OK(clkfac_kfac_trust_region(ctx, 4, dv, 0, dg, 0, 0.25f, 0.001f, sc, 0));
    th_download(sc, 0, out, 2);
    assert_true(out[1] == 0.0f); /* a NaN gradient gives a zero step */
    assert_int_equal(clkfac_context_check(ctx), CLKFAC_ERR_NONFINITE);
    assert_int_equal(clkfac_kfac_trust_region(ctx, 4, dv, 0, dg, 0, -1.0f, 0.001f, sc, 0),
                     CLKFAC_ERR_INVALID_ARG);
    clkfac_buffer_free(dv); clkfac_buffer_free(dg); clkfac_buffer_free(sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_geometry_names_field),
        cmocka_unit_test(test_conv_patches_and_factors),
        cmocka_unit_test(test_dense_factors_and_subsampling),
        cmocka_unit_test(test_kronecker_exact_for_one_example),
        cmocka_unit_test(test_nchw_to_rows),
        cmocka_unit_test(test_adapt_scale_rule),
        cmocka_unit_test(test_adapt_scale_rejects_bad_input),
        cmocka_unit_test(test_nan_input_raises_flag),
        cmocka_unit_test(test_factors_overwrite_nan_outputs),
        cmocka_unit_test(test_ema_first_cold_decay_and_nan_guard),
        cmocka_unit_test(test_precondition_and_trust_region),
        cmocka_unit_test(test_trust_region_small_q_and_nan),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
