/* Damped inverses of the Kronecker factors: factored Tikhonov (pi computed on the device, both
 * factors through the device Cholesky under one guard), the host eigendecomposition used by
 * the ACKTR eigenvalue rule, and the eigen-damped preconditioned gradient. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

#include "clkfac/kfac.h"
#include "linalg/blas.h"
#include "linalg/chol.h"

/* The Tikhonov scalars in scratch (tr A, tr G, gamma_A, gamma_G, pi) sit at the slots TIK_* of
 * cl/shared.h. */

static clkfac_status check_dim(const char *what, size_t n)
{
    if (n == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s = 0: expected a size >= 1", what);
    if (n > 65535)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "%s = %zu: expected at most 65535 (squared sizes must fit 32-bit "
                         "kernel indices)",
                         what, n);
    return CLKFAC_OK;
}

static clkfac_status check_lambda(float lambda)
{
    if (!isfinite(lambda) || lambda < 0.0f)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "lambda = %g: expected a finite value >= 0",
                         (double)lambda);
    return CLKFAC_OK;
}

static clkfac_status launch_trace(clkfac_context *ctx, size_t n, cl_mem a, size_t a_off,
                                  cl_mem out, size_t out_off)
{
    return ocl_run(ctx, "chol", "chol_trace", OCL_GROUPS(1),
                   OCL_ARGS(OCL_U(n), OCL_M(a), OCL_U(a_off), OCL_M(out), OCL_U(out_off)));
}

static clkfac_status launch_shifts(clkfac_context *ctx, cl_mem sc, size_t da, size_t dg,
                                   float lambda)
{
    return ocl_run(ctx, "chol", "chol_tikhonov_shifts", OCL_1D(1, 0),
                   OCL_ARGS(OCL_M(sc), OCL_U(0), OCL_F((float)da), OCL_F((float)dg),
                            OCL_F((float)sqrt((double)lambda)), OCL_M(ctx->health)));
}

clkfac_status clkfac_kfac_inverse_tikhonov(clkfac_context *ctx, size_t da, cl_mem a, size_t a_off,
                                           size_t dg, cl_mem g, size_t g_off, float lambda,
                                           cl_mem a_inv, size_t ai_off, cl_mem g_inv,
                                           size_t gi_off)
{
    if (!ctx) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "ctx is NULL: expected a context");
    clkfac_status st;
    if ((st = check_dim("da", da)) || (st = check_dim("dg", dg)) || (st = check_lambda(lambda)) ||
        (st = chol_check_buffer("a", a, a_off, da * da)) ||
        (st = chol_check_buffer("g", g, g_off, dg * dg)) ||
        (st = chol_check_buffer("a_inv", a_inv, ai_off, da * da)) ||
        (st = chol_check_buffer("g_inv", g_inv, gi_off, dg * dg)))
        return st;
    cl_mem sc = NULL, xa = NULL, xg = NULL;
    if ((st = ocl_scratch(ctx, OCL_SCRATCH_KFAC2, TIK_COUNT, &sc)) ||
        (st = ocl_scratch(ctx, OCL_SCRATCH_KFAC0, da * da, &xa)) ||
        (st = ocl_scratch(ctx, OCL_SCRATCH_KFAC1, dg * dg, &xg)))
        return st;
    /* one guard for the whole operation: a failure in either factor (or in pi) must keep both
     * outputs, so the guard is reset once here and never inside the factorizations */
    if ((st = ocl_guard_reset(ctx)) || (st = launch_trace(ctx, da, a, a_off, sc, TIK_TRA)) ||
        (st = launch_trace(ctx, dg, g, g_off, sc, TIK_TRG)) ||
        (st = launch_shifts(ctx, sc, da, dg, lambda)) ||
        (st = chol_inverse_into(ctx, da, a, a_off, sc, TIK_GAMMA_A, 1.0f, xa, 0)) ||
        (st = chol_inverse_into(ctx, dg, g, g_off, sc, TIK_GAMMA_G, 1.0f, xg, 0)) ||
        (st = chol_guarded_copy(ctx, da * da, xa, 0, a_inv, ai_off)))
        return st;
    return chol_guarded_copy(ctx, dg * dg, xg, 0, g_inv, gi_off);
}

clkfac_status clkfac_kfac_eigen(clkfac_context *ctx, size_t n, cl_mem s, size_t s_off,
                                float clip, cl_mem q_out, size_t q_off, cl_mem d_out,
                                size_t d_off)
{
    if (!ctx) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "ctx is NULL: expected a context");
    clkfac_status st;
    if ((st = check_dim("n", n))) return st;
    if (isnan(clip))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clip = NaN: expected a number (reference 1e-6)");
    if ((st = chol_check_buffer("s", s, s_off, n * n)) ||
        (st = chol_check_buffer("q_out", q_out, q_off, n * n)) ||
        (st = chol_check_buffer("d_out", d_out, d_off, n)))
        return st;
    float *f = malloc(n * n * sizeof *f);
    double *a = malloc(n * n * sizeof *a), *w = malloc(n * sizeof *w);
    if (!f || !a || !w) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for a %zu x %zu eigenproblem",
                       n, n);
        goto cleanup;
    }
    CORE_TRY(clkfac_buffer_read(ctx, s, s_off, f, n * n));
    for (size_t i = 0; i < n * n; i++)
        if (!isfinite(f[i])) {
            st = CORE_FAIL(CLKFAC_ERR_NONFINITE,
                           "S[%zu][%zu] = %g: the factor to decompose holds NaN/Inf; q and d "
                           "were not written",
                           i / n, i % n, (double)f[i]);
            goto cleanup;
        }
    /* a float factor from a GEMM is symmetric only up to rounding: decompose its symmetric part
     * rather than whichever triangle LAPACK would read */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) a[i * n + j] = 0.5 * ((double)f[i * n + j] + f[j * n + i]);
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'L', (lapack_int)n, a,
                                     (lapack_int)n, w);
    if (info != 0) {
        st = CORE_FAIL(CLKFAC_ERR_NUMERIC, "LAPACKE_dsyevd(n=%zu) failed: info = %d", n,
                       (int)info);
        goto cleanup;
    }
    for (size_t i = 0; i < n * n; i++) f[i] = (float)a[i];
    CORE_TRY(clkfac_buffer_write(ctx, q_out, q_off, f, n * n));
    for (size_t i = 0; i < n; i++) f[i] = w[i] < (double)clip ? 0.0f : (float)w[i];
    CORE_TRY(clkfac_buffer_write(ctx, d_out, d_off, f, n));
cleanup:
    free(f);
    free(a);
    free(w);
    return st;
}

static clkfac_status launch_divide(clkfac_context *ctx, size_t rows, size_t cols, cl_mem x,
                                   cl_mem dr, size_t dr_off, cl_mem dc, size_t dc_off,
                                   float lambda)
{
    return ocl_run(ctx, "chol", "chol_eig_divide", OCL_2D(cols, rows, CLKFAC_WG2_X, CLKFAC_WG2_Y),
                   OCL_ARGS(OCL_U(rows), OCL_U(cols), OCL_M(x), OCL_M(dr), OCL_U(dr_off),
                            OCL_M(dc), OCL_U(dc_off), OCL_F(lambda), OCL_M(ctx->health)));
}

clkfac_status clkfac_kfac_precondition_eigen(clkfac_context *ctx, size_t dg, size_t da,
                                             cl_mem qg, size_t qg_off, cl_mem dgv, size_t dg_off,
                                             cl_mem qa, size_t qa_off, cl_mem dav, size_t da_off,
                                             float lambda, cl_mem dw, size_t dw_off, cl_mem v,
                                             size_t v_off)
{
    if (!ctx) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "ctx is NULL: expected a context");
    clkfac_status st;
    if ((st = check_dim("dg", dg)) || (st = check_dim("da", da)) || (st = check_lambda(lambda)) ||
        (st = chol_check_buffer("qg", qg, qg_off, dg * dg)) ||
        (st = chol_check_buffer("dgv", dgv, dg_off, dg)) ||
        (st = chol_check_buffer("qa", qa, qa_off, da * da)) ||
        (st = chol_check_buffer("dav", dav, da_off, da)) ||
        (st = chol_check_buffer("dw", dw, dw_off, dg * da)) ||
        (st = chol_check_buffer("v", v, v_off, dg * da)))
        return st;
    cl_mem t1 = NULL, t2 = NULL;
    if ((st = ocl_scratch(ctx, OCL_SCRATCH_KFAC0, dg * da, &t1)) ||
        (st = ocl_scratch(ctx, OCL_SCRATCH_KFAC1, dg * da, &t2)))
        return st;
    /* rotate into the eigenbases, scale, rotate back; the divide kernel checks every quotient,
     * so a NaN anywhere in dw, Q or d (or a zero denominator with lambda = 0) leaves v as it was */
    if ((st = ocl_guard_reset(ctx)) ||
        (st = blas_gemm(ctx, BLAS_T, BLAS_N, dg, da, dg, 1.0f, qg, qg_off, dg, dw, dw_off, da,
                        0.0f, t1, 0, da)) ||
        (st = blas_gemm(ctx, BLAS_N, BLAS_N, dg, da, da, 1.0f, t1, 0, da, qa, qa_off, da, 0.0f,
                        t2, 0, da)) ||
        (st = launch_divide(ctx, dg, da, t2, dgv, dg_off, dav, da_off, lambda)) ||
        (st = blas_gemm(ctx, BLAS_N, BLAS_N, dg, da, dg, 1.0f, qg, qg_off, dg, t2, 0, da, 0.0f,
                        t1, 0, da)) ||
        (st = blas_gemm(ctx, BLAS_N, BLAS_T, dg, da, da, 1.0f, t1, 0, da, qa, qa_off, da, 0.0f,
                        t2, 0, da)))
        return st;
    return chol_guarded_copy(ctx, dg * da, t2, 0, v, v_off);
}
