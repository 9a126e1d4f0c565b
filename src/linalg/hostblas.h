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

/* ---- host tasks: plain C work on buffers, in queue order --------------------------------
 * For CPU devices that run native kernels: a function over a range of work items [0, items),
 * run in the context's queue on the buffers' host pointers (mapped, zero-copy), split over the
 * device's compute units (the profile's host_threads; the calling worker runs one share, so
 * no more threads than units are busy). What the profile sends to the host besides BLAS
 * (conv patch expansion and its transpose, activations with their layout change). */
#define HOSTBLAS_TASK_BUFS 3
#define HOSTBLAS_TASK_ARGS 160
typedef struct hostblas_task hostblas_task;
/* Runs items [begin, end) of t; must not fail (the caller checked everything it needs). */
typedef void (*hostblas_task_fn)(const hostblas_task *t, size_t begin, size_t end);
struct hostblas_task {
    float *mem[HOSTBLAS_TASK_BUFS]; /* host pointers of the buffers passed at enqueue */
    hostblas_task_fn fn;
    size_t items;                   /* work items, split in contiguous ranges over threads */
    size_t min_items;               /* fewer items per thread than this: fewer threads */
    unsigned threads;               /* set by hostblas_task_enqueue: the profile's host_threads */
    unsigned char args[HOSTBLAS_TASK_ARGS]; /* the caller's parameters (copied with the task) */
};

/* 1 when ctx's device runs native kernels (host tasks need no CBLAS), else 0. */
int hostblas_task_available(clkfac_context *ctx);

/* Enqueues t (copied) over bufs[0..n) (n <= HOSTBLAS_TASK_BUFS; NULL entries allowed; a
 * buffer may appear twice); written[i] != 0 maps bufs[i] for writing. Counted as one kernel
 * launch in the launch budget and timed by its event while profiling. */
clkfac_status hostblas_task_enqueue(clkfac_context *ctx, hostblas_task *t, cl_mem *bufs,
                                    const int *written, int n);

#endif
