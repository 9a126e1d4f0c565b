/* Kernel programs: built lazily from the embedded cl/ sources, cached in memory per context and
 * on disk as device binaries keyed by (source, options, device, driver). Cache files are written
 * to a temporary name and renamed, so concurrent processes never see half a file; an entry that
 * fails its checks or does not load is rebuilt from source and replaced. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl/ocl.h"
#include "cl_sources.h"

#define BUILD_OPTIONS "-cl-std=CL1.2"
#define CACHE_MAGIC "CLKFACB1"

typedef struct prog_src {
    const char *name;
    const unsigned char *text;
    const size_t *len;
} prog_src;

static const prog_src PROGRAMS[] = {
#define X(n) {#n, clkfac_cl_##n, &clkfac_cl_##n##_len},
    CLKFAC_CL_PROGRAMS(X)
#undef X
};
#define N_PROGRAMS (sizeof PROGRAMS / sizeof PROGRAMS[0])

typedef struct cache_header {
    char magic[8];
    uint64_t key;
    uint64_t size;
    uint64_t checksum;
} cache_header;

static uint64_t prog_key(const clkfac_context *ctx, const prog_src *p)
{
    uint64_t h = CORE_FNV_INIT;
    h = core_fnv1a(h, p->text, *p->len);
    h = core_fnv1a(h, BUILD_OPTIONS, sizeof BUILD_OPTIONS);
    h = core_fnv1a(h, ctx->info.platform, strlen(ctx->info.platform));
    h = core_fnv1a(h, ctx->info.name, strlen(ctx->info.name));
    h = core_fnv1a(h, ctx->info.device_version, strlen(ctx->info.device_version));
    h = core_fnv1a(h, ctx->info.driver_version, strlen(ctx->info.driver_version));
    return h;
}

static void cache_path(const clkfac_context *ctx, const prog_src *p, uint64_t key, char *buf,
                       size_t cap)
{
    snprintf(buf, cap, "%s/%s-%016llx.bin", ctx->cache_dir, p->name, (unsigned long long)key);
}

static int mkdir_p(const char *dir)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *s = tmp + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    return (mkdir(tmp, 0755) == 0 || errno == EEXIST) ? 0 : -1;
}

/* Returns a malloc'd binary of *size bytes, or NULL when absent or failing a check. */
static unsigned char *cache_load(const char *path, uint64_t key, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    cache_header h;
    unsigned char *bin = NULL;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, CACHE_MAGIC, 8) != 0 || h.key != key ||
        h.size == 0 || h.size > (1u << 30))
        goto bad;
    bin = malloc(h.size);
    if (!bin || fread(bin, 1, h.size, f) != h.size) goto bad;
    if (fgetc(f) != EOF) goto bad;
    if (core_fnv1a(CORE_FNV_INIT, bin, h.size) != h.checksum) goto bad;
    fclose(f);
    *size = h.size;
    return bin;
bad:
    free(bin);
    fclose(f);
    return NULL;
}

static void cache_store(const clkfac_context *ctx, const char *path, uint64_t key,
                        const unsigned char *bin, size_t size)
{
    if (mkdir_p(ctx->cache_dir) != 0) return;
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return;
    }
    cache_header h;
    memcpy(h.magic, CACHE_MAGIC, 8);
    h.key = key;
    h.size = size;
    h.checksum = core_fnv1a(CORE_FNV_INIT, bin, size);
    int ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(bin, 1, size, f) == size;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) unlink(tmp);
}

static clkfac_status build_fail_log(clkfac_context *ctx, cl_program prog, const prog_src *p,
                                    cl_int err)
{
    size_t n = 0;
    clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
    char *log = malloc(n + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(prog, ctx->device, CL_PROGRAM_BUILD_LOG, n, log, NULL);
        log[n] = '\0';
    }
    core_fail(CLKFAC_ERR_BUILD, __FILE__, __LINE__,
              "building kernel program cl/%s.cl for '%s' failed: %s (%d); build log:\n", p->name,
              ctx->info.name, ocl_error_name(err), (int)err);
    core_error_append(log ? log : "(no log)");
    free(log);
    return CLKFAC_ERR_BUILD;
}

static clkfac_status prog_from_binary(clkfac_context *ctx, const unsigned char *bin, size_t size,
                                      cl_program *out)
{
    cl_int e = CL_SUCCESS, bs = CL_SUCCESS;
    cl_program prog =
        clCreateProgramWithBinary(ctx->cl, 1, &ctx->device, &size, &bin, &bs, &e);
    if (e != CL_SUCCESS || bs != CL_SUCCESS) {
        if (prog) clReleaseProgram(prog);
        return CLKFAC_ERR_BUILD;
    }
    if (clBuildProgram(prog, 1, &ctx->device, BUILD_OPTIONS, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(prog);
        return CLKFAC_ERR_BUILD;
    }
    *out = prog;
    return CLKFAC_OK;
}

static clkfac_status prog_build(clkfac_context *ctx, size_t i)
{
    const prog_src *p = &PROGRAMS[i];
    uint64_t key = prog_key(ctx, p);
    char path[1100];
    path[0] = '\0';
    if (ctx->cache_dir[0]) {
        cache_path(ctx, p, key, path, sizeof path);
        size_t size = 0;
        unsigned char *bin = cache_load(path, key, &size);
        if (bin) {
            cl_program prog = NULL;
            clkfac_status st = prog_from_binary(ctx, bin, size, &prog);
            free(bin);
            if (st == CLKFAC_OK) {
                ctx->programs[i] = prog;
                return CLKFAC_OK;
            }
            /* a stale or corrupt entry: fall through, rebuild and replace it */
        }
    }
    cl_int e = CL_SUCCESS;
    const char *text = (const char *)p->text;
    size_t len = *p->len;
    cl_program prog = clCreateProgramWithSource(ctx->cl, 1, &text, &len, &e);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clCreateProgramWithSource");
    e = clBuildProgram(prog, 1, &ctx->device, BUILD_OPTIONS, NULL, NULL);
    if (e != CL_SUCCESS) {
        clkfac_status st = build_fail_log(ctx, prog, p, e);
        clReleaseProgram(prog);
        return st;
    }
    if (path[0]) {
        size_t size = 0;
        if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) ==
                CL_SUCCESS &&
            size > 0) {
            unsigned char *bin = malloc(size);
            if (bin && clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) ==
                           CL_SUCCESS)
                cache_store(ctx, path, key, bin, size);
            free(bin);
        }
    }
    ctx->programs[i] = prog;
    return CLKFAC_OK;
}

void ocl_programs_release(clkfac_context *ctx);
void ocl_programs_release(clkfac_context *ctx)
{
    if (!ctx->programs) return;
    for (size_t i = 0; i < N_PROGRAMS; i++)
        if (ctx->programs[i]) clReleaseProgram(ctx->programs[i]);
}

clkfac_status ocl_kernel(clkfac_context *ctx, const char *program, const char *name,
                         cl_kernel *out)
{
    for (size_t i = 0; i < ctx->n_kernels; i++)
        if (!strcmp(ctx->kernels[i].name, name)) {
            *out = ctx->kernels[i].kernel;
            return CLKFAC_OK;
        }
    size_t pi = N_PROGRAMS;
    for (size_t i = 0; i < N_PROGRAMS; i++)
        if (!strcmp(PROGRAMS[i].name, program)) pi = i;
    if (pi == N_PROGRAMS)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "no kernel program cl/%s.cl is embedded", program);
    if (ctx->n_kernels == OCL_MAX_KERNELS)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "kernel table full (%d)", OCL_MAX_KERNELS);
    if (!ctx->programs[pi]) {
        clkfac_status st = prog_build(ctx, pi);
        if (st) return st;
    }
    cl_int e = CL_SUCCESS;
    cl_kernel k = clCreateKernel(ctx->programs[pi], name, &e);
    if (e != CL_SUCCESS)
        return core_fail(CLKFAC_ERR_INTERNAL, __FILE__, __LINE__,
                         "clCreateKernel(%s) from cl/%s.cl failed: %s", name, program,
                         ocl_error_name(e));
    snprintf(ctx->kernels[ctx->n_kernels].name, sizeof ctx->kernels[0].name, "%s", name);
    ctx->kernels[ctx->n_kernels++].kernel = k;
    *out = k;
    return CLKFAC_OK;
}

clkfac_status clkfac_context_build_all(clkfac_context *ctx, double *seconds)
{
    double t0 = core_now();
    for (size_t i = 0; i < N_PROGRAMS; i++) {
        if (ctx->programs[i]) continue;
        clkfac_status st = prog_build(ctx, i);
        if (st) return st;
    }
    if (seconds) *seconds = core_now() - t0;
    return CLKFAC_OK;
}

clkfac_status ocl_arg(cl_kernel k, cl_uint i, size_t size, const void *value)
{
    cl_int e = clSetKernelArg(k, i, size, value);
    if (e == CL_SUCCESS) return CLKFAC_OK;
    char name[64] = "?";
    clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
    name[sizeof name - 1] = '\0';
    return core_fail(CLKFAC_ERR_INTERNAL, __FILE__, __LINE__,
                     "clSetKernelArg(%s, arg %u, %zu bytes) failed: %s", name, i, size,
                     ocl_error_name(e));
}

clkfac_status ocl_launch(clkfac_context *ctx, cl_kernel k, cl_uint dims, const size_t *gws,
                         const size_t *lws)
{
    size_t g[3];
    for (cl_uint d = 0; d < dims; d++) {
        g[d] = lws ? ocl_round_up(gws[d], lws[d]) : gws[d];
        if (g[d] == 0) return CLKFAC_OK; /* empty range: nothing to do */
    }
    cl_event *ev = ocl_event_slot(ctx);
    cl_int e = clEnqueueNDRangeKernel(ctx->queue, k, dims, NULL, g, lws, 0, NULL, ev);
    if (e != CL_SUCCESS) {
        char name[64] = "?";
        clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
        name[sizeof name - 1] = '\0';
        clkfac_status st = ocl_fail(e, __FILE__, __LINE__, "clEnqueueNDRangeKernel");
        char more[128];
        snprintf(more, sizeof more, " (kernel %s)", name);
        core_error_append(more);
        return st;
    }
    ocl_track(ctx, ev);
    return CLKFAC_OK;
}
