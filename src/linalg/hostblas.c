/* Host CBLAS inside the OpenCL queue (hostblas.h). A call checks its operands against the
 * buffers' sizes on the host (the native function cannot fail or report), maps each distinct
 * buffer once (GEMMs such as P^T P pass one buffer twice), packs dimensions and host pointers
 * into an argument block and enqueues a native kernel between the maps and the unmaps. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/hostblas.h"

#ifdef CLKFAC_HAVE_CBLAS
#include <cblas.h>

enum { HB_GEMM, HB_SYRK, HB_GEMV };

typedef struct hb_args {
    void *mem[3];   /* host pointers of the distinct buffers (mapped) */
    int which[3];   /* operand i (A, B or x, C or y) lives in mem[which[i]] */
    int op, ta, tb, uplo;
    int m, n, k;
    int ld[3], inc[3];
    size_t off[3];
    float alpha, beta;
} hb_args;

static float *operand(const hb_args *a, int i) { return (float *)a->mem[a->which[i]] + a->off[i]; }

static void CL_CALLBACK hb_run(void *p)
{
    const hb_args *a = p;
    const enum CBLAS_TRANSPOSE ta = a->ta ? CblasTrans : CblasNoTrans;
    switch (a->op) {
    case HB_GEMM:
        cblas_sgemm(CblasRowMajor, ta, a->tb ? CblasTrans : CblasNoTrans, a->m, a->n, a->k,
                    a->alpha, operand(a, 0), a->ld[0], operand(a, 1), a->ld[1], a->beta,
                    operand(a, 2), a->ld[2]);
        break;
    case HB_SYRK:
        cblas_ssyrk(CblasRowMajor, a->uplo ? CblasLower : CblasUpper, ta, a->n, a->k, a->alpha,
                    operand(a, 0), a->ld[0], a->beta, operand(a, 2), a->ld[2]);
        break;
    default:
        cblas_sgemv(CblasRowMajor, ta, a->m, a->n, a->alpha, operand(a, 0), a->ld[0],
                    operand(a, 1), a->inc[1], a->beta, operand(a, 2), a->inc[2]);
        break;
    }
}

/* The highest element a (rows x cols, leading dimension ld) or a strided vector touches must
 * lie inside buf; dimensions must fit CBLAS's int. */
static clkfac_status check_operand(const char *fn, const char *name, cl_mem buf, size_t off,
                                   size_t rows, size_t cols, size_t ld)
{
    if (!buf) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: %s is NULL", fn, name);
    if (rows > INT32_MAX || cols > INT32_MAX || ld > INT32_MAX)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: %s of %zu x %zu (ld %zu) exceeds the host "
                         "BLAS's int dimensions", fn, name, rows, cols, ld);
    if (ld < cols)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: %s has leading dimension %zu < %zu columns",
                         fn, name, ld, cols);
    size_t bytes = 0;
    cl_int e = clGetMemObjectInfo(buf, CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clGetMemObjectInfo(CL_MEM_SIZE)");
    size_t end = off + (rows - 1) * ld + cols;
    if (end > bytes / sizeof(float))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: %s needs %zu floats from offset %zu, the "
                         "buffer holds %zu", fn, name, end - off, off, bytes / sizeof(float));
    return CLKFAC_OK;
}

/* Maps each distinct operand buffer (non-blocking: the pointer is valid once the map
 * completes, which the in-order queue guarantees before the native function runs), enqueues
 * the function on the host pointers, and unmaps. On a CPU device mapping is zero-copy. The
 * runtime's own cl_mem relocation (mem_list) is not used: PoCL 3.1 corrupts its heap with it
 * once buffers have been used by kernels. ops[2] is the output. */
static clkfac_status enqueue(clkfac_context *ctx, hb_args *a, cl_mem ops[3])
{
    /* the native function runs while the queue's other work waits: the device's compute units
     * are the host BLAS's to use, and no more */
    int units = (int)clkfac_context_profile(ctx)->host_threads;
    if (openblas_get_num_threads() != units) openblas_set_num_threads(units);
    cl_mem list[3];
    cl_map_flags flags[3];
    cl_uint n = 0;
    for (int i = 0; i < 3; i++) {
        if (!ops[i]) continue;
        cl_uint j = 0;
        while (j < n && list[j] != ops[i]) j++;
        if (j == n) {
            list[n] = ops[i];
            flags[n++] = 0;
        }
        flags[j] |= i == 2 ? CL_MAP_READ | CL_MAP_WRITE : CL_MAP_READ;
        a->which[i] = (int)j;
    }
    clkfac_status st = CLKFAC_OK;
    cl_uint mapped = 0;
    ocl_span_begin(ctx);
    for (; mapped < n; mapped++) {
        size_t bytes = 0;
        cl_int e = clGetMemObjectInfo(list[mapped], CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
        if (e == CL_SUCCESS)
            a->mem[mapped] = clEnqueueMapBuffer(ctx->queue, list[mapped], CL_FALSE,
                                                flags[mapped], 0, bytes, 0, NULL, NULL, &e);
        if (e != CL_SUCCESS) {
            st = OCL_FAIL(e, "clEnqueueMapBuffer(host BLAS operand)");
            break;
        }
    }
    if (!st) {
        ocl_count(ctx, OCL_COUNT_HOST_BLAS, 0);
        cl_int e = clEnqueueNativeKernel(ctx->queue, hb_run, a, sizeof *a, 0, NULL, NULL, 0, NULL,
                                         NULL);
        if (e != CL_SUCCESS) st = OCL_FAIL(e, "clEnqueueNativeKernel(host BLAS)");
    }
    for (cl_uint j = 0; j < mapped; j++) {
        cl_int e = clEnqueueUnmapMemObject(ctx->queue, list[j], a->mem[j], 0, NULL, NULL);
        if (e != CL_SUCCESS && !st) st = OCL_FAIL(e, "clEnqueueUnmapMemObject(host BLAS operand)");
    }
    ocl_span_end(ctx);
    return st;
}

int hostblas_available(clkfac_context *ctx, const char **why)
{
    return ocl_host_blas_capable(ctx, why);
}

static int nz(size_t m, size_t n) { return m > 0 && n > 0; }

clkfac_status hostblas_gemm(clkfac_context *ctx, blas_trans ta, blas_trans tb, size_t m,
                            size_t n, size_t k, float alpha, cl_mem a, size_t a_off, size_t lda,
                            cl_mem b, size_t b_off, size_t ldb, float beta, cl_mem c,
                            size_t c_off, size_t ldc)
{
    static const char fn[] = "host GEMM";
    if (!nz(m, n)) return CLKFAC_OK;
    if (k == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "GEMM with inner dimension k = 0 (m=%zu, n=%zu)",
                         m, n);
    clkfac_status st;
    if ((st = check_operand(fn, "A", a, a_off, ta ? k : m, ta ? m : k, lda)) ||
        (st = check_operand(fn, "B", b, b_off, tb ? n : k, tb ? k : n, ldb)) ||
        (st = check_operand(fn, "C", c, c_off, m, n, ldc)))
        return st;
    hb_args x = {.op = HB_GEMM, .ta = ta == BLAS_T, .tb = tb == BLAS_T, .m = (int)m, .n = (int)n,
                 .k = (int)k, .ld = {(int)lda, (int)ldb, (int)ldc}, .off = {a_off, b_off, c_off},
                 .alpha = alpha, .beta = beta};
    cl_mem ops[3] = {a, b, c};
    return enqueue(ctx, &x, ops);
}

clkfac_status hostblas_syrk(clkfac_context *ctx, blas_uplo uplo, blas_trans ta, size_t n,
                            size_t k, float alpha, cl_mem a, size_t a_off, size_t lda,
                            float beta, cl_mem c, size_t c_off, size_t ldc)
{
    static const char fn[] = "host SYRK";
    if (n == 0) return CLKFAC_OK;
    if (k == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "SYRK with k = 0 (n=%zu)", n);
    clkfac_status st;
    if ((st = check_operand(fn, "A", a, a_off, ta ? k : n, ta ? n : k, lda)) ||
        (st = check_operand(fn, "C", c, c_off, n, n, ldc)))
        return st;
    hb_args x = {.op = HB_SYRK, .ta = ta == BLAS_T, .uplo = uplo == BLAS_LOWER, .n = (int)n,
                 .k = (int)k, .ld = {(int)lda, 0, (int)ldc}, .off = {a_off, 0, c_off},
                 .alpha = alpha, .beta = beta};
    cl_mem ops[3] = {a, NULL, c};
    return enqueue(ctx, &x, ops);
}

clkfac_status hostblas_gemv(clkfac_context *ctx, blas_trans ta, size_t m, size_t n, float alpha,
                            cl_mem a, size_t a_off, size_t lda, cl_mem x, size_t x_off,
                            size_t x_inc, float beta, cl_mem y, size_t y_off, size_t y_inc)
{
    static const char fn[] = "host GEMV";
    if (!nz(m, n)) return CLKFAC_OK;
    if (x_inc == 0 || y_inc == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: increments x %zu, y %zu; expected >= 1", fn,
                         x_inc, y_inc);
    size_t nx = ta ? m : n, ny = ta ? n : m;
    clkfac_status st;
    if ((st = check_operand(fn, "A", a, a_off, m, n, lda)) ||
        (st = check_operand(fn, "x", x, x_off, nx, 1, x_inc)) ||
        (st = check_operand(fn, "y", y, y_off, ny, 1, y_inc)))
        return st;
    hb_args h = {.op = HB_GEMV, .ta = ta == BLAS_T, .m = (int)m, .n = (int)n,
                 .ld = {(int)lda, 0, 0}, .inc = {0, (int)x_inc, (int)y_inc},
                 .off = {a_off, x_off, y_off}, .alpha = alpha, .beta = beta};
    cl_mem ops[3] = {a, x, y};
    return enqueue(ctx, &h, ops);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

clkfac_status hostblas_sgemm_ceiling(clkfac_context *ctx, size_t n, int reps, double *gflops)
{
    if (n == 0 || n > 8192 || reps < 1 || reps > 1000)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "SGEMM ceiling: n %zu (expected 1..8192), "
                         "reps %d (expected 1..1000)", n, reps);
    int units = (int)clkfac_context_profile(ctx)->host_threads;
    if (openblas_get_num_threads() != units) openblas_set_num_threads(units);
    float *a = malloc(n * n * sizeof *a), *b = malloc(n * n * sizeof *b),
          *c = malloc(n * n * sizeof *c);
    double *t = malloc((size_t)reps * sizeof *t);
    clkfac_status st = CLKFAC_OK;
    if (!a || !b || !c || !t) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "SGEMM ceiling: out of host memory for n = %zu", n);
        goto done;
    }
    for (size_t i = 0; i < n * n; i++) { /* small exact values: no denormals, no overflow */
        a[i] = (float)((i * 7u) % 13u) * 0.0625f;
        b[i] = (float)((i * 5u) % 11u) * 0.0625f;
    }
    const int in = (int)n;
    for (int r = -1; r < reps; r++) {
        double t0 = core_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, in, in, in, 1.0f, a, in, b, in,
                    0.0f, c, in);
        if (r >= 0) t[r] = core_now() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    *gflops = 2.0 * (double)n * (double)n * (double)n / t[reps / 2] * 1e-9;
done:
    free(a), free(b), free(c), free(t);
    return st;
}

#else /* no host CBLAS in this build */

int hostblas_available(clkfac_context *ctx, const char **why)
{
    return ocl_host_blas_capable(ctx, why);
}

#define HB_UNSUPPORTED                                                                          \
    return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "host BLAS engine: clkfac was built without a "    \
                     "host CBLAS (install libopenblas-dev and reconfigure)")

clkfac_status hostblas_gemm(clkfac_context *ctx, blas_trans ta, blas_trans tb, size_t m,
                            size_t n, size_t k, float alpha, cl_mem a, size_t a_off, size_t lda,
                            cl_mem b, size_t b_off, size_t ldb, float beta, cl_mem c,
                            size_t c_off, size_t ldc)
{
    (void)ctx, (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)alpha, (void)a, (void)a_off;
    (void)lda, (void)b, (void)b_off, (void)ldb, (void)beta, (void)c, (void)c_off, (void)ldc;
    HB_UNSUPPORTED;
}

clkfac_status hostblas_syrk(clkfac_context *ctx, blas_uplo uplo, blas_trans ta, size_t n,
                            size_t k, float alpha, cl_mem a, size_t a_off, size_t lda,
                            float beta, cl_mem c, size_t c_off, size_t ldc)
{
    (void)ctx, (void)uplo, (void)ta, (void)n, (void)k, (void)alpha, (void)a, (void)a_off;
    (void)lda, (void)beta, (void)c, (void)c_off, (void)ldc;
    HB_UNSUPPORTED;
}

clkfac_status hostblas_gemv(clkfac_context *ctx, blas_trans ta, size_t m, size_t n, float alpha,
                            cl_mem a, size_t a_off, size_t lda, cl_mem x, size_t x_off,
                            size_t x_inc, float beta, cl_mem y, size_t y_off, size_t y_inc)
{
    (void)ctx, (void)ta, (void)m, (void)n, (void)alpha, (void)a, (void)a_off, (void)lda, (void)x;
    (void)x_off, (void)x_inc, (void)beta, (void)y, (void)y_off, (void)y_inc;
    HB_UNSUPPORTED;
}

clkfac_status hostblas_sgemm_ceiling(clkfac_context *ctx, size_t n, int reps, double *gflops)
{
    (void)ctx, (void)n, (void)reps, (void)gflops;
    HB_UNSUPPORTED;
}

#endif

/* ---- host tasks (hostblas.h) ------------------------------------------------------------- */
#include <pthread.h>

typedef struct task_share {
    const hostblas_task *t;
    size_t begin, end;
} task_share;

static void *task_share_run(void *p)
{
    const task_share *s = p;
    s->t->fn(s->t, s->begin, s->end);
    return NULL;
}

/* The native function: the runtime's worker runs share 0, threads - 1 helpers the others (the
 * queue's other work waits meanwhile, so the device's units are free). A helper that cannot be
 * started leaves its share to the worker: the result never depends on the split. */
static void CL_CALLBACK task_run(void *p)
{
    const hostblas_task *t = p;
    size_t parts = t->threads ? t->threads : 1;
    size_t per_min = t->min_items ? t->min_items : 1;
    if (parts > t->items / per_min) parts = t->items / per_min ? t->items / per_min : 1;
    if (parts > 64) parts = 64;
    task_share share[64];
    pthread_t tid[64];
    int started[64] = {0};
    for (size_t i = 0; i < parts; i++) {
        share[i].t = t;
        share[i].begin = t->items * i / parts;
        share[i].end = t->items * (i + 1) / parts;
    }
    for (size_t i = 1; i < parts; i++)
        started[i] = pthread_create(&tid[i], NULL, task_share_run, &share[i]) == 0;
    task_share_run(&share[0]);
    for (size_t i = 1; i < parts; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            task_share_run(&share[i]);
    }
}

int hostblas_task_available(clkfac_context *ctx)
{
    cl_device_exec_capabilities caps = 0;
    return clGetDeviceInfo(ctx->device, CL_DEVICE_EXECUTION_CAPABILITIES, sizeof caps, &caps,
                           NULL) == CL_SUCCESS &&
           (caps & CL_EXEC_NATIVE_KERNEL);
}

clkfac_status hostblas_task_enqueue(clkfac_context *ctx, hostblas_task *t, cl_mem *bufs,
                                    const int *written, int n)
{
    if (n < 0 || n > HOSTBLAS_TASK_BUFS || !t->fn)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "host task with %d buffers (expected 0..%d) "
                         "or no function", n, HOSTBLAS_TASK_BUFS);
    if (t->items == 0) return CLKFAC_OK;
    t->threads = clkfac_context_profile(ctx)->host_threads;
    cl_mem list[HOSTBLAS_TASK_BUFS];
    cl_map_flags flags[HOSTBLAS_TASK_BUFS];
    int which[HOSTBLAS_TASK_BUFS];
    void *ptr[HOSTBLAS_TASK_BUFS];
    cl_uint distinct = 0;
    for (int i = 0; i < n; i++) {
        which[i] = -1;
        if (!bufs[i]) continue;
        cl_uint j = 0;
        while (j < distinct && list[j] != bufs[i]) j++;
        if (j == distinct) {
            list[distinct] = bufs[i];
            flags[distinct++] = 0;
        }
        flags[j] |= written[i] ? CL_MAP_READ | CL_MAP_WRITE : CL_MAP_READ;
        which[i] = (int)j;
    }
    clkfac_status st = CLKFAC_OK;
    cl_uint mapped = 0;
    for (; mapped < distinct; mapped++) {
        size_t bytes = 0;
        cl_int e = clGetMemObjectInfo(list[mapped], CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
        if (e == CL_SUCCESS)
            ptr[mapped] = clEnqueueMapBuffer(ctx->queue, list[mapped], CL_FALSE, flags[mapped], 0,
                                             bytes, 0, NULL, NULL, &e);
        if (e != CL_SUCCESS) {
            st = OCL_FAIL(e, "clEnqueueMapBuffer(host task operand)");
            break;
        }
    }
    if (!st) {
        for (int i = 0; i < HOSTBLAS_TASK_BUFS; i++)
            t->mem[i] = i < n && which[i] >= 0 ? ptr[which[i]] : NULL;
        ocl_count(ctx, OCL_COUNT_KERNEL, 0);
        cl_event *slot = ocl_event_slot(ctx);
        cl_int e = clEnqueueNativeKernel(ctx->queue, task_run, t, sizeof *t, 0, NULL, NULL, 0,
                                         NULL, slot);
        if (e != CL_SUCCESS)
            st = OCL_FAIL(e, "clEnqueueNativeKernel(host task)");
        else
            ocl_track(ctx, slot);
    }
    for (cl_uint j = 0; j < mapped; j++) {
        cl_int e = clEnqueueUnmapMemObject(ctx->queue, list[j], ptr[j], 0, NULL, NULL);
        if (e != CL_SUCCESS && !st) st = OCL_FAIL(e, "clEnqueueUnmapMemObject(host task operand)");
    }
    return st;
}
