/* Kernel programs: built lazily from the embedded cl/ sources (with per-program -D options),
 * cached in memory per context and on disk as device binaries keyed by (source, options, device,
 * driver), and the typed launcher ocl_run. Cache files are written to a temporary name and
 * renamed, so concurrent processes never see half a file; an entry that fails its checks or does
 * not load is rebuilt from source and replaced. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl/ocl.h"
#include "cl/tune.h"
#include "cl_sources.h"

#define BUILD_OPTIONS "-cl-std=CL1.2 -cl-kernel-arg-info" /* arg info: ocl_run checks launches */
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

/* The build options of program i: the fixed ones, then those set for it. Borrowed (buf). */
static const char *prog_options(const clkfac_context *ctx, size_t i, char *buf, size_t cap)
{
    const char *extra = ctx->program_options[i];
    char tuned[128]; /* the profile's tunables first: options set for the program win */
    ocl_profile_defines(ctx, PROGRAMS[i].name, tuned, sizeof tuned);
    snprintf(buf, cap, "%s%s%s%s%s", BUILD_OPTIONS, tuned[0] ? " " : "", tuned,
             extra ? " " : "", extra ? extra : "");
    return buf;
}

static uint64_t prog_key(const clkfac_context *ctx, const prog_src *p, const char *options)
{
    uint64_t h = CORE_FNV_INIT;
    h = core_fnv1a(h, p->text, *p->len);
    h = core_fnv1a(h, options, strlen(options) + 1);
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
                                      const char *options, cl_program *out)
{
    cl_int e = CL_SUCCESS, bs = CL_SUCCESS;
    cl_program prog =
        clCreateProgramWithBinary(ctx->cl, 1, &ctx->device, &size, &bin, &bs, &e);
    if (e != CL_SUCCESS || bs != CL_SUCCESS) {
        if (prog) clReleaseProgram(prog);
        return CLKFAC_ERR_BUILD;
    }
    if (clBuildProgram(prog, 1, &ctx->device, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(prog);
        return CLKFAC_ERR_BUILD;
    }
    *out = prog;
    return CLKFAC_OK;
}

static clkfac_status prog_build(clkfac_context *ctx, size_t i)
{
    const prog_src *p = &PROGRAMS[i];
    char options[OCL_MAX_OPTIONS + sizeof BUILD_OPTIONS + 130];
    prog_options(ctx, i, options, sizeof options);
    uint64_t key = prog_key(ctx, p, options);
    char path[1100];
    path[0] = '\0';
    if (ctx->cache_dir[0]) {
        cache_path(ctx, p, key, path, sizeof path);
        size_t size = 0;
        unsigned char *bin = cache_load(path, key, &size);
        if (bin) {
            cl_program prog = NULL;
            clkfac_status st = prog_from_binary(ctx, bin, size, options, &prog);
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
    e = clBuildProgram(prog, 1, &ctx->device, options, NULL, NULL);
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
    for (size_t i = 0; i < N_PROGRAMS; i++) {
        if (ctx->programs && ctx->programs[i]) clReleaseProgram(ctx->programs[i]);
        if (ctx->program_options) free(ctx->program_options[i]);
    }
}

static size_t prog_index(const char *program)
{
    for (size_t i = 0; i < N_PROGRAMS; i++)
        if (!strcmp(PROGRAMS[i].name, program)) return i;
    return N_PROGRAMS;
}

clkfac_status clkfac_context_set_program_options(clkfac_context *ctx, const char *program,
                                                 const char *options)
{
    static const char fn[] = "clkfac_context_set_program_options";
    if (!ctx || !program)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: context or program name is NULL", fn);
    size_t pi = prog_index(program);
    if (pi == N_PROGRAMS) {
        core_fail(CLKFAC_ERR_INVALID_ARG, __FILE__, __LINE__,
                  "%s: no kernel program named '%s'; expected one of:", fn, program);
        for (size_t i = 0; i < N_PROGRAMS; i++) {
            core_error_append(" ");
            core_error_append(PROGRAMS[i].name);
        }
        return CLKFAC_ERR_INVALID_ARG;
    }
    if (ctx->programs[pi])
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: program '%s' is already built; set its "
                         "options before its first kernel is used", fn, program);
    if (options && strlen(options) > OCL_MAX_OPTIONS)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: options for '%s' are %zu characters; "
                         "expected at most %d", fn, program, strlen(options), OCL_MAX_OPTIONS);
    char *copy = NULL;
    if (options && *options) {
        copy = malloc(strlen(options) + 1);
        if (!copy) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        strcpy(copy, options);
    }
    free(ctx->program_options[pi]);
    ctx->program_options[pi] = copy;
    return CLKFAC_OK;
}

/* The kernel table entry of `name` from `program`, creating the kernel (and building the
 * program) on first use. */
static clkfac_status kernel_slot(clkfac_context *ctx, const char *program, const char *name,
                                 ocl_kernel_slot **out)
{
    for (size_t i = 0; i < ctx->n_kernels; i++)
        if (!strcmp(ctx->kernels[i].name, name)) {
            *out = &ctx->kernels[i];
            return CLKFAC_OK;
        }
    size_t pi = prog_index(program);
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
    size_t req[3] = {0, 0, 0};
    e = clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_COMPILE_WORK_GROUP_SIZE, sizeof req,
                                 req, NULL);
    if (e != CL_SUCCESS) {
        clReleaseKernel(k);
        return OCL_FAIL(e, "clGetKernelWorkGroupInfo(COMPILE_WORK_GROUP_SIZE)");
    }
    ocl_kernel_slot *slot = &ctx->kernels[ctx->n_kernels++];
    memset(slot, 0, sizeof *slot);
    snprintf(slot->name, sizeof slot->name, "%s", name);
    slot->kernel = k;
    slot->reqd_wg = req[0];
    *out = slot;
    return CLKFAC_OK;
}

clkfac_status ocl_kernel(clkfac_context *ctx, const char *program, const char *name,
                         cl_kernel *out)
{
    ocl_kernel_slot *slot = NULL;
    clkfac_status st = kernel_slot(ctx, program, name, &slot);
    if (!st) *out = slot->kernel;
    return st;
}

clkfac_status ocl_kernel_reqd_wg(clkfac_context *ctx, const char *program, const char *kernel,
                                 size_t *wg)
{
    ocl_kernel_slot *slot = NULL;
    clkfac_status st = kernel_slot(ctx, program, kernel, &slot);
    if (st) return st;
    if (!slot->reqd_wg)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "kernel %s (cl/%s.cl) lacks reqd_work_group_size",
                         kernel, program);
    *wg = slot->reqd_wg;
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

static clkfac_status ocl_arg(cl_kernel k, cl_uint i, size_t size, const void *value)
{
    cl_int e = clSetKernelArg(k, i, size, value);
    if (e == CL_SUCCESS) return CLKFAC_OK;
    char name[64] = "?";
    clGetKernelInfo(k, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL);
    name[sizeof name - 1] = '\0';
    return core_fail(CLKFAC_ERR_INTERNAL, __FILE__, __LINE__,
                     "clSetKernelArg(%s, argument %u, %zu bytes) failed: %s", name, i, size,
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
    ocl_count(ctx, OCL_COUNT_KERNEL, 0);
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

static const char *arg_kind_name(ocl_arg_kind kind)
{
    switch (kind) {
    case OCL_ARG_UINT: return "uint";
    case OCL_ARG_INT: return "int";
    case OCL_ARG_FLOAT: return "float";
    case OCL_ARG_MEM: return "a buffer";
    case OCL_ARG_LOCAL: return "a __local size";
    }
    return "?";
}

/* Compares a launch's argument list with the kernel's declaration: the count always, and each
 * argument's address space and scalar type when the driver keeps argument info. */
static clkfac_status check_args(ocl_kernel_slot *slot, const ocl_karg *args, size_t n_args)
{
    cl_uint declared = 0;
    cl_int e = clGetKernelInfo(slot->kernel, CL_KERNEL_NUM_ARGS, sizeof declared, &declared, NULL);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clGetKernelInfo(CL_KERNEL_NUM_ARGS)");
    if (declared != n_args)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "kernel %s declares %u arguments; the launch "
                         "passes %zu", slot->name, declared, n_args);
    for (cl_uint i = 0; i < declared; i++) {
        cl_kernel_arg_address_qualifier aq = 0;
        char type[64] = "";
        e = clGetKernelArgInfo(slot->kernel, i, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof aq, &aq,
                               NULL);
        if (e == CL_SUCCESS)
            e = clGetKernelArgInfo(slot->kernel, i, CL_KERNEL_ARG_TYPE_NAME, sizeof type, type,
                                   NULL);
        if (e != CL_SUCCESS) break; /* no argument info (a binary built without it) */
        type[sizeof type - 1] = '\0';
        int ok;
        switch (args[i].kind) {
        case OCL_ARG_MEM:
            ok = aq == CL_KERNEL_ARG_ADDRESS_GLOBAL || aq == CL_KERNEL_ARG_ADDRESS_CONSTANT;
            break;
        case OCL_ARG_LOCAL: ok = aq == CL_KERNEL_ARG_ADDRESS_LOCAL; break;
        default:
            ok = aq == CL_KERNEL_ARG_ADDRESS_PRIVATE &&
                 !strcmp(type, arg_kind_name(args[i].kind));
        }
        if (!ok)
            return CORE_FAIL(CLKFAC_ERR_INTERNAL, "kernel %s: argument %u is declared '%s' "
                             "(%s) but the launch passes %s", slot->name, i, type,
                             aq == CL_KERNEL_ARG_ADDRESS_PRIVATE  ? "a value"
                             : aq == CL_KERNEL_ARG_ADDRESS_LOCAL ? "__local"
                                                                 : "a buffer",
                             arg_kind_name(args[i].kind));
    }
    return CLKFAC_OK;
}

clkfac_status ocl_run(clkfac_context *ctx, const char *program, const char *kernel,
                      ocl_grid grid, const ocl_karg *args, size_t n_args)
{
    ocl_kernel_slot *slot = NULL;
    clkfac_status st = kernel_slot(ctx, program, kernel, &slot);
    if (st) return st;
    uint64_t sig = core_fnv1a(CORE_FNV_INIT, &n_args, sizeof n_args);
    for (size_t i = 0; i < n_args; i++) sig = core_fnv1a(sig, &args[i].kind, sizeof args[i].kind);
    if (sig != slot->args_sig) {
        if ((st = check_args(slot, args, n_args))) return st;
        slot->args_sig = sig;
    }
    for (size_t i = 0; i < n_args; i++)
        if ((st = ocl_arg(slot->kernel, (cl_uint)i, args[i].size, args[i].value))) return st;
    if (grid.dims < 1 || grid.dims > 2)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "kernel %s: %u dimensions; expected 1 or 2",
                         kernel, grid.dims);
    size_t gws[2] = {grid.global[0], grid.global[1]}, lws[2] = {grid.local[0], grid.local[1]};
    if (grid.groups) {
        if (!slot->reqd_wg)
            return CORE_FAIL(CLKFAC_ERR_INTERNAL, "kernel %s is launched by work-groups but "
                             "lacks reqd_work_group_size", kernel);
        lws[0] = slot->reqd_wg;
        gws[0] = grid.global[0] * slot->reqd_wg;
    }
    int driver_lws = lws[0] == 0 || (grid.dims == 2 && lws[1] == 0);
    return ocl_launch(ctx, slot->kernel, grid.dims, gws, driver_lws ? NULL : lws);
}
