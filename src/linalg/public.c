/* Public face of the linalg module (clkfac/linalg.h): thin checked wrappers over blas.c. */
#include "clkfac/linalg.h"
#include "linalg/blas.h"

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
