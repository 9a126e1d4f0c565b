/* Public face of the linalg module (clkfac/linalg.h): thin checked wrappers over blas.c, and
 * the device-scalar vector kernels of cl/vec.cl. */
#include "clkfac/linalg.h"
#include "linalg/blas.h"

_Static_assert(CLKFAC_LINALG_NO_DEN == VEC_NO_DEN,
               "clkfac/linalg.h CLKFAC_LINALG_NO_DEN differs from cl/shared.h");

clkfac_status clkfac_linalg_gemm(clkfac_context *ctx, int trans_a, int trans_b, size_t m,
                                 size_t n, size_t k, float alpha, cl_mem a, size_t a_off,
                                 size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta,
                                 cl_mem c, size_t c_off, size_t ldc)
{
    if ((trans_a != 0 && trans_a != 1) || (trans_b != 0 && trans_b != 1))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "gemm trans_a=%d trans_b=%d; expected 0 or 1",
                         trans_a, trans_b);
    return blas_gemm(ctx, trans_a ? BLAS_T : BLAS_N, trans_b ? BLAS_T : BLAS_N, m, n, k, alpha,
                     a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc);
}

const char *clkfac_linalg_tuning(clkfac_context *ctx) { return blas_tuning(ctx); }

/* ---- flat vectors ------------------------------------------------------------------------------ */

clkfac_status clkfac_linalg_dot(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off, cl_mem y,
                                size_t y_off, cl_mem out, size_t out_off)
{
    return blas_dot(ctx, n, x, x_off, y, y_off, out, out_off);
}

clkfac_status clkfac_linalg_nrm2(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off,
                                 cl_mem out, size_t out_off)
{
    return blas_nrm2(ctx, n, x, x_off, out, out_off);
}

clkfac_status clkfac_linalg_axpy(clkfac_context *ctx, size_t n, float alpha, cl_mem x,
                                 size_t x_off, cl_mem y, size_t y_off)
{
    return blas_axpy(ctx, n, alpha, x, x_off, y, y_off);
}

clkfac_status clkfac_linalg_scal(clkfac_context *ctx, size_t n, float alpha, cl_mem x,
                                 size_t x_off)
{
    return blas_scal(ctx, n, alpha, x, x_off);
}

clkfac_status clkfac_linalg_copy(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off, cl_mem y,
                                 size_t y_off)
{
    return clkfac_buffer_copy(ctx, x, x_off, y, y_off, n);
}

/* Both ratio kernels share the argument checks and the (n, scalars, ...) prefix. */
static clkfac_status ratio_launch(clkfac_context *ctx, const char *name, size_t n, float c,
                                  int with_c, cl_mem s, size_t num_off, size_t den_off, cl_mem x,
                                  size_t x_off, cl_mem y, size_t y_off)
{
    if (!s || !x || !y)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: a buffer is NULL", name);
    if (n == 0) return CLKFAC_OK;
    if (n + x_off > 0xffffffffu || n + y_off > 0xffffffffu || num_off >= 0xffffffffu ||
        (den_off != CLKFAC_LINALG_NO_DEN && den_off >= 0xffffffffu))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: offsets/sizes exceed 2^32 elements", name);
    if (with_c)
        return ocl_run(ctx, "vec", name, OCL_1D(n, CLKFAC_WG),
                       OCL_ARGS(OCL_U(n), OCL_F(c), OCL_M(s), OCL_U(num_off), OCL_U(den_off),
                                OCL_M(x), OCL_U(x_off), OCL_M(y), OCL_U(y_off)));
    return ocl_run(ctx, "vec", name, OCL_1D(n, CLKFAC_WG),
                   OCL_ARGS(OCL_U(n), OCL_M(s), OCL_U(num_off), OCL_U(den_off), OCL_M(x),
                            OCL_U(x_off), OCL_M(y), OCL_U(y_off)));
}

clkfac_status clkfac_linalg_axpy_ratio(clkfac_context *ctx, size_t n, float c, cl_mem s,
                                       size_t num_off, size_t den_off, cl_mem x, size_t x_off,
                                       cl_mem y, size_t y_off)
{
    return ratio_launch(ctx, "vec_axpy_ratio", n, c, 1, s, num_off, den_off, x, x_off, y, y_off);
}

clkfac_status clkfac_linalg_xpay_ratio(clkfac_context *ctx, size_t n, cl_mem s, size_t num_off,
                                       size_t den_off, cl_mem x, size_t x_off, cl_mem y,
                                       size_t y_off)
{
    return ratio_launch(ctx, "vec_xpay_ratio", n, 0.0f, 0, s, num_off, den_off, x, x_off, y,
                        y_off);
}
