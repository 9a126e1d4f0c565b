/* The BLAS calls of clkfac: GEMM, SYRK and GEMV go to the engine the device profile names
 * (CLBlast, or the host's CBLAS in the queue: hostblas.c); the rest, and everything on the
 * CLBlast engine, are CLBlast wrappers with error mapping, profiler events, a persistent GEMM
 * temp buffer and the profile's kernel parameters applied once per context. */
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/hostblas.h"

typedef struct blas_state {
    cl_mem temp;
    size_t temp_bytes;
    int tuned;          /* 0: not yet decided, 1: decided */
    char tuning[512];
} blas_state;

/* The context's release hook for this module's state. */
static void blas_release(clkfac_context *ctx, void *data)
{
    (void)ctx;
    blas_state *s = data;
    if (s->temp) clReleaseMemObject(s->temp);
    free(s);
}

const char *blas_status_name(int code)
{
    switch (code) {
    case CLBlastSuccess: return "CLBlastSuccess";
    case CLBlastTempBufferAllocFailure: return "CLBlastTempBufferAllocFailure";
    case CLBlastOpenCLOutOfResources: return "CLBlastOpenCLOutOfResources";
    case CLBlastOpenCLOutOfHostMemory: return "CLBlastOpenCLOutOfHostMemory";
    case CLBlastOpenCLBuildProgramFailure: return "CLBlastOpenCLBuildProgramFailure";
    case CLBlastInvalidValue: return "CLBlastInvalidValue";
    case CLBlastInvalidMemObject: return "CLBlastInvalidMemObject";
    case CLBlastInvalidLocalThreadsTotal: return "CLBlastInvalidLocalThreadsTotal";
    case CLBlastInvalidBufferSize: return "CLBlastInvalidBufferSize";
    case CLBlastNotImplemented: return "CLBlastNotImplemented";
    case CLBlastInvalidMatrixA: return "CLBlastInvalidMatrixA";
    case CLBlastInvalidMatrixB: return "CLBlastInvalidMatrixB";
    case CLBlastInvalidMatrixC: return "CLBlastInvalidMatrixC";
    case CLBlastInvalidVectorX: return "CLBlastInvalidVectorX";
    case CLBlastInvalidVectorY: return "CLBlastInvalidVectorY";
    case CLBlastInvalidDimension: return "CLBlastInvalidDimension";
    case CLBlastInvalidLeadDimA: return "CLBlastInvalidLeadDimA";
    case CLBlastInvalidLeadDimB: return "CLBlastInvalidLeadDimB";
    case CLBlastInvalidLeadDimC: return "CLBlastInvalidLeadDimC";
    case CLBlastInsufficientMemoryA: return "CLBlastInsufficientMemoryA";
    case CLBlastInsufficientMemoryB: return "CLBlastInsufficientMemoryB";
    case CLBlastInsufficientMemoryC: return "CLBlastInsufficientMemoryC";
    case CLBlastInsufficientMemoryX: return "CLBlastInsufficientMemoryX";
    case CLBlastInsufficientMemoryY: return "CLBlastInsufficientMemoryY";
    case CLBlastInsufficientMemoryTemp: return "CLBlastInsufficientMemoryTemp";
    case CLBlastInvalidOverrideKernel: return "CLBlastInvalidOverrideKernel";
    case CLBlastMissingOverrideParameter: return "CLBlastMissingOverrideParameter";
    case CLBlastInvalidLocalMemUsage: return "CLBlastInvalidLocalMemUsage";
    case CLBlastDatabaseError: return "CLBlastDatabaseError";
    default: return "CLBlast error";
    }
}

static clkfac_status blas_check(CLBlastStatusCode s, const char *routine, const char *file,
                                int line)
{
    if (s == CLBlastSuccess) return CLKFAC_OK;
    clkfac_status st = (s == CLBlastTempBufferAllocFailure || s == CLBlastOpenCLOutOfResources ||
                        s == CLBlastOpenCLOutOfHostMemory || s == -4 /* MEM_OBJECT_ALLOC */)
                           ? CLKFAC_ERR_NO_MEMORY
                           : CLKFAC_ERR_CLBLAST;
    return core_fail(st, file, line, "CLBlast %s failed: %s (%d)", routine, blas_status_name(s),
                     (int)s);
}
#define BLAS_CHECK(s, routine) blas_check((s), (routine), __FILE__, __LINE__)

static clkfac_status blas_prepare(clkfac_context *ctx, blas_state **out)
{
    blas_state *s = ocl_release_data(ctx, blas_release);
    if (!s) {
        s = core_calloc(1, sizeof *s);
        if (!s) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        clkfac_status st = ocl_on_release(ctx, blas_release, s);
        if (st) {
            free(s);
            return st;
        }
    }
    if (!s->tuned) {
        /* the device profile decides; CLBlast's parameters are process-wide per device, so they
         * are applied once per context before its first CLBlast call */
        const clkfac_device_profile *p = clkfac_context_profile(ctx);
        snprintf(s->tuning, sizeof s->tuning, "default");
        if (p->gemm_min_indirect) {
            const char *names[1] = {"XGEMM_MIN_INDIRECT_SIZE"};
            size_t v[1] = {p->gemm_min_indirect};
            CLBlastStatusCode r = CLBlastOverrideParameters(ctx->device, "GemmRoutine",
                                                            CLBlastPrecisionSingle, 1, names, v);
            if (r != CLBlastSuccess) return BLAS_CHECK(r, "OverrideParameters(GemmRoutine)");
        }
        if (p->xgemm_override) {
            const char *names[CLKFAC_XGEMM_PARAMS];
            for (int i = 0; i < CLKFAC_XGEMM_PARAMS; i++) names[i] = clkfac_xgemm_param_name(i);
            CLBlastStatusCode r = CLBlastOverrideParameters(ctx->device, "Xgemm",
                                                            CLBlastPrecisionSingle,
                                                            CLKFAC_XGEMM_PARAMS, names, p->xgemm);
            if (r != CLBlastSuccess) return BLAS_CHECK(r, "OverrideParameters(Xgemm)");
            size_t n = 0;
            if (p->gemm_min_indirect)
                n += (size_t)snprintf(s->tuning, sizeof s->tuning, "MIN_INDIRECT=%u,",
                                      p->gemm_min_indirect);
            for (int i = 0; i < CLKFAC_XGEMM_PARAMS && n < sizeof s->tuning; i++)
                n += (size_t)snprintf(s->tuning + n, sizeof s->tuning - n, "%s%s=%zu",
                                      i ? "," : "", names[i], p->xgemm[i]);
        }
        for (int k = 0; k < CLKFAC_CLBLAST_TUNED; k++) {
            if (!((p->clblast_set >> k) & 1u)) continue;
            const char *names[CLKFAC_CLBLAST_MAX_PARAMS];
            const int np = clkfac_clblast_kernel_params(k);
            for (int i = 0; i < np; i++) names[i] = clkfac_clblast_param_name(k, i);
            CLBlastStatusCode r =
                CLBlastOverrideParameters(ctx->device, clkfac_clblast_kernel_name(k),
                                          CLBlastPrecisionSingle, (size_t)np, names,
                                          p->clblast[k]);
            if (r != CLBlastSuccess) return BLAS_CHECK(r, "OverrideParameters(tuned kernel)");
            size_t n = strlen(s->tuning);
            if (n + 1 < sizeof s->tuning)
                snprintf(s->tuning + n, sizeof s->tuning - n, "%s%s", n ? ";" : "",
                         clkfac_clblast_kernel_name(k));
        }
        s->tuned = 1; /* only once everything applied: a bad setting fails every call */
    }
    *out = s;
    return CLKFAC_OK;
}

const char *blas_tuning(clkfac_context *ctx)
{
    blas_state *s = NULL;
    if (blas_prepare(ctx, &s)) return "unknown";
    return s->tuning;
}

/* GEMM, SYRK and GEMV on the host engine (the device profile's choice) */
#define HOST(ctx) (clkfac_context_profile(ctx)->blas == CLKFAC_BLAS_HOST)

static CLBlastTranspose tr(blas_trans t) { return t == BLAS_T ? CLBlastTransposeYes : CLBlastTransposeNo; }
static CLBlastTriangle tri(blas_uplo u) { return u == BLAS_LOWER ? CLBlastTriangleLower : CLBlastTriangleUpper; }

clkfac_status blas_gemm(clkfac_context *ctx, blas_trans ta, blas_trans tb, size_t m, size_t n,
                        size_t k, float alpha, cl_mem a, size_t a_off, size_t lda, cl_mem b,
                        size_t b_off, size_t ldb, float beta, cl_mem c, size_t c_off, size_t ldc)
{
    if (m == 0 || n == 0) return CLKFAC_OK;
    if (HOST(ctx))
        return hostblas_gemm(ctx, ta, tb, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, c,
                             c_off, ldc);
    blas_state *s = NULL;
    clkfac_status st = blas_prepare(ctx, &s);
    if (st) return st;
    if (k == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "GEMM with inner dimension k = 0 (m=%zu, n=%zu)", m, n);
    size_t need = 0;
    CLBlastStatusCode r = CLBlastSGemmTempBufferSize(CLBlastLayoutRowMajor, tr(ta), tr(tb), m, n,
                                                     k, a_off, lda, b_off, ldb, c_off, ldc,
                                                     &ctx->queue, &need);
    if (r != CLBlastSuccess) return BLAS_CHECK(r, "SGemmTempBufferSize");
    if (need > s->temp_bytes) {
        if (s->temp) clReleaseMemObject(s->temp);
        s->temp = NULL;
        s->temp_bytes = 0;
        size_t bytes = need + need / 4;
        cl_int e = CL_SUCCESS;
        s->temp = clCreateBuffer(ctx->cl, CL_MEM_READ_WRITE, bytes, NULL, &e);
        if (e != CL_SUCCESS) return OCL_FAIL(e, "clCreateBuffer(GEMM temp)");
        s->temp_bytes = bytes;
    }
    ocl_span_begin(ctx);
    r = CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, tr(ta), tr(tb), m, n, k, alpha, a,
                                   a_off, lda, b, b_off, ldb, beta, c, c_off, ldc, &ctx->queue, NULL, need ? s->temp : NULL);
    if (r != CLBlastSuccess) return BLAS_CHECK(r, "Sgemm");
    ocl_span_end(ctx);
    return CLKFAC_OK;
}

clkfac_status blas_syrk(clkfac_context *ctx, blas_uplo uplo, blas_trans ta, size_t n, size_t k,
                        float alpha, cl_mem a, size_t a_off, size_t lda, float beta, cl_mem c,
                        size_t c_off, size_t ldc)
{
    if (n == 0) return CLKFAC_OK;
    if (HOST(ctx))
        return hostblas_syrk(ctx, uplo, ta, n, k, alpha, a, a_off, lda, beta, c, c_off, ldc);
    blas_state *s = NULL;
    clkfac_status st = blas_prepare(ctx, &s);
    if (st) return st;
    ocl_span_begin(ctx);
    CLBlastStatusCode r = CLBlastSsyrk(CLBlastLayoutRowMajor, tri(uplo), tr(ta), n, k, alpha, a,
                                       a_off, lda, beta, c, c_off, ldc, &ctx->queue, NULL);
    if (r != CLBlastSuccess) return BLAS_CHECK(r, "Ssyrk");
    ocl_span_end(ctx);
    return CLKFAC_OK;
}

clkfac_status blas_trsm(clkfac_context *ctx, blas_side side, blas_uplo uplo, blas_trans ta,
                        size_t m, size_t n, float alpha, cl_mem a, size_t a_off, size_t lda,
                        cl_mem b, size_t b_off, size_t ldb)
{
    if (m == 0 || n == 0) return CLKFAC_OK;
    blas_state *s = NULL;
    clkfac_status st = blas_prepare(ctx, &s);
    if (st) return st;
    ocl_span_begin(ctx);
    CLBlastStatusCode r = CLBlastStrsm(CLBlastLayoutRowMajor,
                                       side == BLAS_RIGHT ? CLBlastSideRight : CLBlastSideLeft,
                                       tri(uplo), tr(ta), CLBlastDiagonalNonUnit, m, n, alpha, a,
                                       a_off, lda, b, b_off, ldb, &ctx->queue, NULL);
    if (r != CLBlastSuccess) return BLAS_CHECK(r, "Strsm");
    ocl_span_end(ctx);
    return CLKFAC_OK;
}

clkfac_status blas_gemv(clkfac_context *ctx, blas_trans ta, size_t m, size_t n, float alpha,
                        cl_mem a, size_t a_off, size_t lda, cl_mem x, size_t x_off, size_t x_inc,
                        float beta, cl_mem y, size_t y_off, size_t y_inc)
{
    if (m == 0 || n == 0) return CLKFAC_OK;
    if (beta == 0.0f) {
        /* CLBlast's GEMV computes beta * y even for beta = 0, so NaN left in y (fresh or reused
         * memory) would survive; BLAS says y is then not read. Zero it first. */
        if (y_inc != 1)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "gemv with beta 0 needs y_inc 1, got %zu",
                             y_inc);
        clkfac_status st = clkfac_buffer_fill(ctx, y, y_off, 0.0f, ta == BLAS_T ? n : m);
        if (st) return st;
    }
    if (HOST(ctx))
        return hostblas_gemv(ctx, ta, m, n, alpha, a, a_off, lda, x, x_off, x_inc, beta, y, y_off,
                             y_inc);
    blas_state *s = NULL; /* the profile's tuned Xgemv parameters */
    clkfac_status pst = blas_prepare(ctx, &s);
    if (pst) return pst;
    ocl_span_begin(ctx);
    CLBlastStatusCode r = CLBlastSgemv(CLBlastLayoutRowMajor, tr(ta), m, n, alpha, a, a_off, lda,
                                       x, x_off, x_inc, beta, y, y_off, y_inc, &ctx->queue, NULL);
    if (r != CLBlastSuccess) return BLAS_CHECK(r, "Sgemv");
    ocl_span_end(ctx);
    return CLKFAC_OK;
}

clkfac_status blas_dot(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off, cl_mem y,
                       size_t y_off, cl_mem out, size_t out_off)
{
    ocl_span_begin(ctx);
    CLBlastStatusCode r =
        CLBlastSdot(n, out, out_off, x, x_off, 1, y, y_off, 1, &ctx->queue, NULL);
    if (r != CLBlastSuccess) return BLAS_CHECK(r, "Sdot");
    ocl_span_end(ctx);
    return CLKFAC_OK;
}

clkfac_status blas_axpy(clkfac_context *ctx, size_t n, float alpha, cl_mem x, size_t x_off,
                        cl_mem y, size_t y_off)
{
    if (n == 0) return CLKFAC_OK;
    ocl_span_begin(ctx);
    CLBlastStatusCode r = CLBlastSaxpy(n, alpha, x, x_off, 1, y, y_off, 1, &ctx->queue, NULL);
    if (r != CLBlastSuccess) return BLAS_CHECK(r, "Saxpy");
    ocl_span_end(ctx);
    return CLKFAC_OK;
}

clkfac_status blas_scal(clkfac_context *ctx, size_t n, float alpha, cl_mem x, size_t x_off)
{
    if (n == 0) return CLKFAC_OK;
    ocl_span_begin(ctx);
    CLBlastStatusCode r = CLBlastSscal(n, alpha, x, x_off, 1, &ctx->queue, NULL);
    if (r != CLBlastSuccess) return BLAS_CHECK(r, "Sscal");
    ocl_span_end(ctx);
    return CLKFAC_OK;
}

clkfac_status blas_nrm2(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off, cl_mem out,
                        size_t out_off)
{
    ocl_span_begin(ctx);
    CLBlastStatusCode r = CLBlastSnrm2(n, out, out_off, x, x_off, 1, &ctx->queue, NULL);
    if (r != CLBlastSuccess) return BLAS_CHECK(r, "Snrm2");
    ocl_span_end(ctx);
    return CLKFAC_OK;
}
