/* The host's CBLAS (OpenBLAS) as a BLAS engine for CPU devices: GEMM, SYRK and GEMV enqueued
 * with clEnqueueNativeKernel, so they run in the order of the context's queue, between the
 * OpenCL kernels that produce and consume their operands, on the buffers' own memory (the
 * runtime hands the native function host pointers: no copy, no blocking call). Same calling
 * convention as blas.h (row-major, element offsets, leading dimensions). */
#ifndef CLKFAC_HOSTBLAS_H
#define CLKFAC_HOSTBLAS_H

#include "linalg/blas.h"

/* 1 when this build has a host CBLAS and ctx's device runs native kernels
 * (CL_EXEC_NATIVE_KERNEL: CPU devices such as PoCL's), else 0; *why (may be NULL) says which
 * is missing. Sets the host BLAS's thread count to the device's compute units on first use. */
int hostblas_available(clkfac_context *ctx, const char **why);

clkfac_status hostblas_gemm(clkfac_context *ctx, blas_trans ta, blas_trans tb, size_t m,
                            size_t n, size_t k, float alpha, cl_mem a, size_t a_off, size_t lda,
                            cl_mem b, size_t b_off, size_t ldb, float beta, cl_mem c,
                            size_t c_off, size_t ldc);
clkfac_status hostblas_syrk(clkfac_context *ctx, blas_uplo uplo, blas_trans ta, size_t n,
                            size_t k, float alpha, cl_mem a, size_t a_off, size_t lda,
                            float beta, cl_mem c, size_t c_off, size_t ldc);
clkfac_status hostblas_gemv(clkfac_context *ctx, blas_trans ta, size_t m, size_t n, float alpha,
                            cl_mem a, size_t a_off, size_t lda, cl_mem x, size_t x_off,
                            size_t x_inc, float beta, cl_mem y, size_t y_off, size_t y_inc);

/* The CPU's own ceiling: GFLOP/s of cblas_sgemm on n x n x n in plain host memory (no OpenCL)
 * with the thread count the host engine uses for ctx (the device's compute units), the median of
 * reps timed calls after one warm-up. What `bench kfac` rates the K-FAC ops against on CPUs.
 * CLKFAC_ERR_UNSUPPORTED in a build without a host CBLAS. */
clkfac_status hostblas_sgemm_ceiling(clkfac_context *ctx, size_t n, int reps, double *gflops);

#endif
