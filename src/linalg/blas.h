/* The one place clkfac calls CLBlast. Row-major, float32, element offsets and leading
 * dimensions as in CLBlast; every call is enqueued on the context's queue (asynchronous),
 * tracked by the profiler, and GEMM uses a persistent temporary buffer (CLBlast would otherwise
 * allocate one per call). Per-device tuned kernel parameters are applied here on first use. */
#ifndef CLKFAC_BLAS_INTERNAL_H
#define CLKFAC_BLAS_INTERNAL_H

#include "cl/ocl.h"

typedef enum blas_trans { BLAS_N = 0, BLAS_T = 1 } blas_trans;
typedef enum blas_uplo { BLAS_UPPER = 0, BLAS_LOWER = 1 } blas_uplo;
typedef enum blas_side { BLAS_LEFT = 0, BLAS_RIGHT = 1 } blas_side;

/* C(m,n) = alpha * op(A) op(B) + beta * C */
clkfac_status blas_gemm(clkfac_context *ctx, blas_trans ta, blas_trans tb, size_t m, size_t n,
                        size_t k, float alpha, cl_mem a, size_t a_off, size_t lda, cl_mem b,
                        size_t b_off, size_t ldb, float beta, cl_mem c, size_t c_off,
                        size_t ldc);
/* C(n,n) = alpha * op(A) op(A)^T + beta * C, one triangle (uplo) only; op(A) is n x k. */
clkfac_status blas_syrk(clkfac_context *ctx, blas_uplo uplo, blas_trans ta, size_t n, size_t k,
                        float alpha, cl_mem a, size_t a_off, size_t lda, float beta, cl_mem c,
                        size_t c_off, size_t ldc);
/* B(m,n) = alpha * op(A)^-1 B (left) or alpha * B op(A)^-1 (right), A triangular (non-unit). */
clkfac_status blas_trsm(clkfac_context *ctx, blas_side side, blas_uplo uplo, blas_trans ta,
                        size_t m, size_t n, float alpha, cl_mem a, size_t a_off, size_t lda,
                        cl_mem b, size_t b_off, size_t ldb);
/* y = alpha * op(A) x + beta * y, A (m, n) row-major; x_inc/y_inc element strides. */
clkfac_status blas_gemv(clkfac_context *ctx, blas_trans ta, size_t m, size_t n, float alpha,
                        cl_mem a, size_t a_off, size_t lda, cl_mem x, size_t x_off, size_t x_inc,
                        float beta, cl_mem y, size_t y_off, size_t y_inc);
/* out[out_off] = x . y (device scalar, nothing read back) */
clkfac_status blas_dot(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off, cl_mem y,
                       size_t y_off, cl_mem out, size_t out_off);
/* y = alpha * x + y */
clkfac_status blas_axpy(clkfac_context *ctx, size_t n, float alpha, cl_mem x, size_t x_off,
                        cl_mem y, size_t y_off);
/* x = alpha * x */
clkfac_status blas_scal(clkfac_context *ctx, size_t n, float alpha, cl_mem x, size_t x_off);
/* out[out_off] = ||x||_2 */
clkfac_status blas_nrm2(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off, cl_mem out,
                        size_t out_off);

/* Name of a CLBlast status code. */
const char *blas_status_name(int code);

/* Description of the kernel parameters in force for Xgemm on this context ("default" or the
 * NAME=value list applied), for provenance in benchmark output. Borrowed. */
const char *blas_tuning(clkfac_context *ctx);

#endif
