/* The host BLAS engine (src/linalg/hostblas.c) against double-precision loops: GEMM in all four
 * transpose combinations, SYRK (both triangles) and GEMV over odd shapes with element offsets,
 * padded leading dimensions, NaN sentinels around every output, one buffer passed as two
 * operands, queue order with OpenCL commands around it, and operands too small for the call.
 * Skips with the reason when the device runs no native kernels or the build has no CBLAS. */
/* ctest-labels: unit device */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "linalg/hostblas.h"

#define SENT 4 /* sentinel floats around each output region */

static int skip_reason(void)
{
    const char *why = NULL;
    if (hostblas_available(th_ctx(), &why)) return 0;
    print_message("SKIP: host BLAS engine unavailable: %s\n", why);
    return 1;
}

/* element (i, j) of op(X) for X row-major with leading dimension ld */
static double at(const float *x, size_t ld, int t, size_t i, size_t j)
{
    return t ? x[j * ld + i] : x[i * ld + j];
}

static float *random_matrix(th_rng *r, size_t n)
{
    float *x = malloc(n * sizeof *x);
    th_fill_normal(r, x, n, 1.0f);
    return x;
}

/* the output region of C (rows x cols, ld) at off, with NaN elsewhere in a buffer of n floats */
static float *nan_buffer(size_t n)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = NAN;
    return x;
}

static void check_sentinels(const float *got, size_t n, size_t off, size_t rows, size_t cols,
                            size_t ld, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        int inside = i >= off && i < off + rows * ld && (i - off) % ld < cols;
        if (!inside && !isnan(got[i])) fail_msg("%s: float %zu outside the output was written", what, i);
    }
}

static void gemm_case(th_rng *r, int ta, int tb, size_t m, size_t n, size_t k, float beta)
{
    size_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
    size_t lda = ac + 3, ldb = bc + 1, ldc = n + 2, ao = 5, bo = 7, co = SENT;
    size_t na = ao + ar * lda, nb = bo + br * ldb, nc = co + m * ldc + SENT;
    float *a = random_matrix(r, na), *b = random_matrix(r, nb), *c = nan_buffer(nc);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) c[co + i * ldc + j] = beta != 0 ? (float)(i + j) : NAN;
    double *ref = malloc(m * n * sizeof *ref);
    float *got = malloc(nc * sizeof *got), *region = malloc(m * n * sizeof *region);
    const float alpha = 0.75f;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0;
            for (size_t p = 0; p < k; p++) s += at(a + ao, lda, ta, i, p) * at(b + bo, ldb, tb, p, j);
            ref[i * n + j] = alpha * s + (beta != 0 ? beta * (double)(i + j) : 0.0);
        }
    cl_mem da = th_upload(a, na), db = th_upload(b, nb), dc = th_upload(c, nc);
    TH_OK(hostblas_gemm(th_ctx(), ta ? BLAS_T : BLAS_N, tb ? BLAS_T : BLAS_N, m, n, k, alpha, da,
                        ao, lda, db, bo, ldb, beta, dc, co, ldc));
    th_download(dc, 0, got, nc);
    for (size_t i = 0; i < m; i++) memcpy(region + i * n, got + co + i * ldc, n * sizeof *got);
    char what[96];
    snprintf(what, sizeof what, "gemm %c%c m=%zu n=%zu k=%zu beta=%g", ta ? 'T' : 'N',
             tb ? 'T' : 'N', m, n, k, (double)beta);
    double err = th_nrm_err(region, ref, m * n);
    if (!(err < 1e-10)) fail_msg("%s: normalized error %.3g (expected < 1e-10)", what, err);
    check_sentinels(got, nc, co, m, n, ldc, what);
    clkfac_buffer_free(da); clkfac_buffer_free(db); clkfac_buffer_free(dc);
    free(a); free(b); free(c); free(ref); free(got); free(region);
}

static void test_gemm_shapes(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    if (skip_reason()) return;
    th_rng r = {11};
    const size_t shapes[][3] = {{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {13, 17, 19}, {64, 33, 65},
                                {127, 3, 256}, {3, 129, 2}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++)
            for (int bz = 0; bz < 2; bz++)
                gemm_case(&r, t & 1, t >> 1, shapes[s][0], shapes[s][1], shapes[s][2],
                          bz ? 0.5f : 0.0f);
}

/* The Gram P^T P with P passed as both operands (one buffer listed once to the runtime), and
 * the order of the queue: a kernel writes P, the GEMM reads it, a copy reads the result. */
static void test_gemm_aliased_operands_in_queue_order(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    if (skip_reason()) return;
    clkfac_context *ctx = th_ctx();
    const size_t rows = 300, cols = 21;
    th_rng r = {12};
    float *p = random_matrix(&r, rows * cols);
    cl_mem dp = th_alloc(rows * cols, 0.0f), dg = th_alloc(cols * cols, NAN),
           out = th_alloc(cols * cols, 0.0f);
    TH_OK(clkfac_buffer_write_async(ctx, dp, 0, p, rows * cols));
    TH_OK(hostblas_gemm(ctx, BLAS_T, BLAS_N, cols, cols, rows, 1.0f / (float)rows, dp, 0, cols,
                        dp, 0, cols, 0.0f, dg, 0, cols));
    TH_OK(clkfac_buffer_copy(ctx, dg, 0, out, 0, cols * cols));
    float got[21 * 21];
    double ref[21 * 21];
    th_download(out, 0, got, cols * cols);
    for (size_t i = 0; i < cols; i++)
        for (size_t j = 0; j < cols; j++) {
            double s = 0;
            for (size_t q = 0; q < rows; q++) s += (double)p[q * cols + i] * p[q * cols + j];
            ref[i * cols + j] = s / (double)rows;
        }
    th_assert_close(got, ref, cols * cols, 1e-5, 1e-5, "P^T P / rows through the queue");
    clkfac_buffer_free(dp); clkfac_buffer_free(dg); clkfac_buffer_free(out);
    free(p);
}

static void test_syrk_triangles(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    if (skip_reason()) return;
    th_rng r = {13};
    const size_t cases[][2] = {{1, 1}, {7, 3}, {33, 65}, {20, 1}};
    for (size_t c = 0; c < 4; c++)
        for (int ta = 0; ta < 2; ta++)
            for (int lower = 0; lower < 2; lower++) {
                size_t n = cases[c][0], k = cases[c][1], ar = ta ? k : n, ac = ta ? n : k;
                size_t lda = ac + 2, ldc = n + 1, ao = 3, co = SENT;
                size_t na = ao + ar * lda, nc = co + n * ldc + SENT;
                float *a = random_matrix(&r, na), *c0 = nan_buffer(nc), *got = malloc(nc * 4);
                for (size_t i = 0; i < n; i++)
                    for (size_t j = 0; j < n; j++) c0[co + i * ldc + j] = 1.0f;
                cl_mem da = th_upload(a, na), dc = th_upload(c0, nc);
                TH_OK(hostblas_syrk(th_ctx(), lower ? BLAS_LOWER : BLAS_UPPER,
                                    ta ? BLAS_T : BLAS_N, n, k, 2.0f, da, ao, lda, 0.5f, dc, co,
                                    ldc));
                th_download(dc, 0, got, nc);
                for (size_t i = 0; i < n; i++)
                    for (size_t j = 0; j < n; j++) {
                        double s = 0;
                        for (size_t q = 0; q < k; q++)
                            s += at(a + ao, lda, ta, i, q) * at(a + ao, lda, ta, j, q);
                        int in_tri = lower ? j <= i : j >= i;
                        double want = in_tri ? 2.0 * s + 0.5 : 1.0; /* other triangle untouched */
                        double g = got[co + i * ldc + j];
                        if (!(fabs(g - want) <= 1e-4 + 1e-4 * fabs(want)))
                            fail_msg("syrk n=%zu k=%zu %s %s: (%zu,%zu) = %g, expected %g", n, k,
                                     ta ? "T" : "N", lower ? "lower" : "upper", i, j, g, want);
                    }
                check_sentinels(got, nc, co, n, n, ldc, "syrk");
                clkfac_buffer_free(da); clkfac_buffer_free(dc);
                free(a); free(c0); free(got);
            }
}

static void test_gemv_strides(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    if (skip_reason()) return;
    th_rng r = {14};
    const size_t cases[][2] = {{1, 1}, {9, 4}, {4, 9}, {100, 37}};
    for (size_t c = 0; c < 4; c++)
        for (int ta = 0; ta < 2; ta++) {
            size_t m = cases[c][0], n = cases[c][1], lda = n + 3, ao = 2, xi = 2, yi = 3;
            size_t nx = ta ? m : n, ny = ta ? n : m;
            size_t na = ao + m * lda, nxb = 1 + nx * xi, nyb = SENT + ny * yi;
            float *a = random_matrix(&r, na), *x = random_matrix(&r, nxb), *y = nan_buffer(nyb);
            for (size_t i = 0; i < ny; i++) y[SENT + i * yi] = (float)i;
            float *got = malloc(nyb * sizeof *got);
            cl_mem da = th_upload(a, na), dx = th_upload(x, nxb), dy = th_upload(y, nyb);
            TH_OK(hostblas_gemv(th_ctx(), ta ? BLAS_T : BLAS_N, m, n, 1.5f, da, ao, lda, dx, 1,
                                xi, -1.0f, dy, SENT, yi));
            th_download(dy, 0, got, nyb);
            for (size_t i = 0; i < ny; i++) {
                double s = 0;
                for (size_t q = 0; q < nx; q++)
                    s += (ta ? (double)a[ao + q * lda + i] : (double)a[ao + i * lda + q]) *
                         x[1 + q * xi];
                double want = 1.5 * s - (double)i, g = got[SENT + i * yi];
                if (!(fabs(g - want) <= 1e-4 + 1e-4 * fabs(want)))
                    fail_msg("gemv %s m=%zu n=%zu: y[%zu] = %g, expected %g", ta ? "T" : "N", m,
                             n, i, g, want);
            }
            for (size_t i = 0; i < nyb; i++)
                if ((i < SENT || (i - SENT) % yi != 0) && !isnan(got[i]))
                    fail_msg("gemv: float %zu outside y was written", i);
            clkfac_buffer_free(da); clkfac_buffer_free(dx); clkfac_buffer_free(dy);
            free(a); free(x); free(y); free(got);
        }
}

static void test_operand_too_small_rejected(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    if (skip_reason()) return;
    clkfac_context *ctx = th_ctx();
    cl_mem a = th_alloc(6, 1.0f), b = th_alloc(6, 1.0f), c = th_alloc(4, 1.0f);
    /* 2x3 times 3x2 fits; the same with C at offset 1 needs 5 floats of a 4-float buffer */
    TH_OK(hostblas_gemm(ctx, BLAS_N, BLAS_N, 2, 2, 3, 1.0f, a, 0, 3, b, 0, 2, 0.0f, c, 0, 2));
    assert_int_equal(hostblas_gemm(ctx, BLAS_N, BLAS_N, 2, 2, 3, 1.0f, a, 0, 3, b, 0, 2, 0.0f, c,
                                   1, 2),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "C needs 4 floats from offset 1"));
    assert_int_equal(hostblas_gemm(ctx, BLAS_N, BLAS_N, 2, 2, 3, 1.0f, a, 0, 2, b, 0, 2, 0.0f, c,
                                   0, 2),
                     CLKFAC_ERR_INVALID_ARG); /* lda 2 < 3 columns */
    assert_int_equal(hostblas_syrk(ctx, BLAS_UPPER, BLAS_N, 3, 3, 1.0f, a, 0, 3, 0.0f, c, 0, 3),
                     CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(hostblas_gemv(ctx, BLAS_N, 2, 3, 1.0f, a, 0, 3, b, 0, 3, 0.0f, c, 0, 1),
                     CLKFAC_ERR_INVALID_ARG); /* x of 3 at stride 3 needs 7 floats */
    float got[4];
    th_download(c, 0, got, 4);
    for (int i = 0; i < 4; i++) assert_true(got[i] == 3.0f); /* only the valid call wrote */
    clkfac_buffer_free(a); clkfac_buffer_free(b); clkfac_buffer_free(c);
}

/* The SGEMM ceiling bench kfac rates ops against: a positive finite rate, bad sizes refused. */
static void test_sgemm_ceiling(void **state)
{
    (void)state;
    TH_REQUIRE_DEVICE();
    if (skip_reason()) return;
    double gf = -1;
    TH_OK(hostblas_sgemm_ceiling(th_ctx(), 64, 3, &gf));
    assert_true(gf > 0 && gf < 1e6);
    assert_int_equal(hostblas_sgemm_ceiling(th_ctx(), 0, 3, &gf), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "n 0"));
    assert_int_equal(hostblas_sgemm_ceiling(th_ctx(), 64, 0, &gf), CLKFAC_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_shapes),
        cmocka_unit_test(test_gemm_aliased_operands_in_queue_order),
        cmocka_unit_test(test_syrk_triangles),
        cmocka_unit_test(test_gemv_strides),
        cmocka_unit_test(test_operand_too_small_rejected),
        cmocka_unit_test(test_sgemm_ceiling),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
