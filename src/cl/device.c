/* Device discovery and selection ("P:D", "cpu", "gpu", name substring, $CLKFAC_DEVICE), the
 * context life cycle, float buffers, device health flags and the event profiler. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cl/ocl.h"
#include "cl_sources.h"

#ifndef CL_PLATFORM_NOT_FOUND_KHR
#define CL_PLATFORM_NOT_FOUND_KHR -1001 /* cl_khr_icd: the loader found no platform */
#endif
_Static_assert(CLKFAC_HEALTH_NONFINITE == HEALTH_NONFINITE &&
                   CLKFAC_HEALTH_NOT_SPD == HEALTH_NOT_SPD,
               "clkfac/device.h health flags differ from cl/shared.h");

#define MAX_PLATFORMS 16
#define MAX_DEVICES 64

const char *ocl_error_name(cl_int err)
{
    switch (err) {
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
    E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_BUILD_PROGRAM_FAILURE)
    E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE)
    E(CL_INVALID_CONTEXT) E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE)
    E(CL_INVALID_HOST_PTR) E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS)
    E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME)
    E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
    E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
    E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT)
    E(CL_INVALID_OPERATION) E(CL_INVALID_BUFFER_SIZE) E(CL_INVALID_GLOBAL_WORK_SIZE)
    E(CL_PLATFORM_NOT_FOUND_KHR)
#undef E
    }
    return "CL_UNKNOWN_ERROR";
}

clkfac_status ocl_fail(cl_int err, const char *file, int line, const char *call)
{
    clkfac_status st = (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_HOST_MEMORY ||
                        err == CL_OUT_OF_RESOURCES || err == CL_INVALID_BUFFER_SIZE)
                           ? CLKFAC_ERR_NO_MEMORY
                           : CLKFAC_ERR_OPENCL;
    return core_fail(st, file, line, "%s failed: %s (%d)", call, ocl_error_name(err), (int)err);
}

/* ---- discovery ------------------------------------------------------------------------- */

static void dev_str(cl_device_id d, cl_device_info what, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (clGetDeviceInfo(d, what, cap, buf, NULL) != CL_SUCCESS) buf[0] = '\0';
    buf[cap - 1] = '\0';
    /* trim trailing spaces some drivers leave */
    size_t n = strlen(buf);
    while (n && isspace((unsigned char)buf[n - 1])) buf[--n] = '\0';
}

static void dev_fill(clkfac_device_info *o, cl_platform_id p, cl_device_id d, int pi, int di)
{
    memset(o, 0, sizeof *o);
    o->platform_index = pi;
    o->device_index = di;
    clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof o->platform, o->platform, NULL);
    o->platform[sizeof o->platform - 1] = '\0';
    dev_str(d, CL_DEVICE_NAME, o->name, sizeof o->name);
    dev_str(d, CL_DEVICE_VENDOR, o->vendor, sizeof o->vendor);
    dev_str(d, CL_DEVICE_OPENCL_C_VERSION, o->opencl_c_version, sizeof o->opencl_c_version);
    dev_str(d, CL_DEVICE_VERSION, o->device_version, sizeof o->device_version);
    dev_str(d, CL_DRIVER_VERSION, o->driver_version, sizeof o->driver_version);
    cl_device_type t = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    strcpy(o->type, (t & CL_DEVICE_TYPE_GPU)           ? "GPU"
                    : (t & CL_DEVICE_TYPE_CPU)         ? "CPU"
                    : (t & CL_DEVICE_TYPE_ACCELERATOR) ? "ACCELERATOR"
                                                       : "OTHER");
    cl_uint cu = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    o->compute_units = cu;
    cl_ulong v = 0;
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof v, &v, NULL);
    o->global_mem = v;
    v = 0;
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof v, &v, NULL);
    o->local_mem = v;
    v = 0;
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof v, &v, NULL);
    o->max_alloc = v;
    /* CLKFAC_MAX_ALLOC_MB lowers the largest buffer, so a device too small for a network can be
     * tried on any machine (README: portability); a value that does not parse is ignored. */
    const char *cap = getenv("CLKFAC_MAX_ALLOC_MB");
    char *end = NULL;
    unsigned long long mb = cap && *cap ? strtoull(cap, &end, 10) : 0;
    if (mb && end && *end == '\0' && mb < (1ull << 40) && (mb << 20) < o->max_alloc)
        o->max_alloc = mb << 20;
}

typedef struct dev_entry {
    clkfac_device_info info;
    cl_platform_id platform;
    cl_device_id device;
} dev_entry;

static clkfac_status dev_enumerate(dev_entry **out, size_t *count)
{
    cl_platform_id plats[MAX_PLATFORMS];
    cl_uint np = 0;
    cl_int e = clGetPlatformIDs(MAX_PLATFORMS, plats, &np);
    if (e == CL_PLATFORM_NOT_FOUND_KHR || (e == CL_SUCCESS && np == 0))
        return CORE_FAIL(CLKFAC_ERR_NO_DEVICE,
                         "no OpenCL platform found: install an ICD such as pocl-opencl-icd "
                         "(scripts/setup.sh does) and check /etc/OpenCL/vendors");
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clGetPlatformIDs");
    if (np > MAX_PLATFORMS) np = MAX_PLATFORMS;
    dev_entry *list = core_calloc(MAX_PLATFORMS * MAX_DEVICES, sizeof *list);
    if (!list) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory listing devices");
    size_t n = 0;
    for (cl_uint p = 0; p < np; p++) {
        cl_device_id devs[MAX_DEVICES];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, MAX_DEVICES, devs, &nd) != CL_SUCCESS)
            continue;
        if (nd > MAX_DEVICES) nd = MAX_DEVICES;
        for (cl_uint d = 0; d < nd; d++) {
            dev_fill(&list[n].info, plats[p], devs[d], (int)p, (int)d);
            list[n].platform = plats[p];
            list[n].device = devs[d];
            n++;
        }
    }
    if (n == 0) {
        free(list);
        return CORE_FAIL(CLKFAC_ERR_NO_DEVICE, "OpenCL platforms exist but report no device");
    }
    size_t def = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].info.type, "GPU") == 0) { def = i; break; }
    list[def].info.is_default = 1;
    *out = list;
    *count = n;
    return CLKFAC_OK;
}

clkfac_status clkfac_device_list(clkfac_device_info **out, size_t *count)
{
    dev_entry *list = NULL;
    size_t n = 0;
    clkfac_status st = dev_enumerate(&list, &n);
    if (st) return st;
    clkfac_device_info *infos = core_calloc(n, sizeof *infos);
    if (!infos) {
        free(list);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory listing devices");
    }
    for (size_t i = 0; i < n; i++) infos[i] = list[i].info;
    free(list);
    *out = infos;
    *count = n;
    return CLKFAC_OK;
}

static int str_icontains(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < nl && h[i] && tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == nl) return 1;
    }
    return nl == 0;
}

static clkfac_status dev_select(dev_entry *list, size_t n, const char *spec, size_t *idx)
{
    const char *env = getenv("CLKFAC_DEVICE");
    const char *origin = "--device";
    if (!spec || !*spec) {
        spec = env;
        origin = "CLKFAC_DEVICE";
    }
    if (!spec || !*spec) {
        for (size_t i = 0; i < n; i++)
            if (list[i].info.is_default) { *idx = i; return CLKFAC_OK; }
    }
    int p, d;
    char tail;
    if (sscanf(spec, "%d:%d%c", &p, &d, &tail) == 2) {
        for (size_t i = 0; i < n; i++)
            if (list[i].info.platform_index == p && list[i].info.device_index == d) {
                *idx = i;
                return CLKFAC_OK;
            }
    } else if (!strcasecmp(spec, "cpu") || !strcasecmp(spec, "gpu")) {
        for (size_t i = 0; i < n; i++)
            if (!strcasecmp(list[i].info.type, spec)) { *idx = i; return CLKFAC_OK; }
    } else {
        for (size_t i = 0; i < n; i++)
            if (str_icontains(list[i].info.name, spec)) { *idx = i; return CLKFAC_OK; }
    }
    core_fail(CLKFAC_ERR_NO_DEVICE, __FILE__, __LINE__,
              "%s '%s' matches no OpenCL device (expected P:D, cpu, gpu or part of a name); "
              "devices present:",
              origin, spec);
    for (size_t i = 0; i < n; i++) {
        char line[400];
        snprintf(line, sizeof line, "\n  %d:%d  %s  [%s, %s]", list[i].info.platform_index,
                 list[i].info.device_index, list[i].info.name, list[i].info.type,
                 list[i].info.platform);
        core_error_append(line);
    }
    return CLKFAC_ERR_NO_DEVICE;
}

clkfac_status clkfac_device_find(clkfac_device_info *out, const char *spec)
{
    dev_entry *list = NULL;
    size_t n = 0, idx = 0;
    clkfac_status st = dev_enumerate(&list, &n);
    if (st) return st;
    st = dev_select(list, n, spec, &idx);
    if (!st) *out = list[idx].info;
    free(list);
    return st;
}

/* ---- context ----------------------------------------------------------------------------- */

static void default_cache_dir(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, cap, "%s/clkfac", xdg);
    else if (home && *home)
        snprintf(buf, cap, "%s/.cache/clkfac", home);
    else
        buf[0] = '\0';
}

enum { N_PROGRAMS = 0
#define X(name) + 1
       CLKFAC_CL_PROGRAMS(X)
#undef X
};

clkfac_status clkfac_context_create(clkfac_context **out, const clkfac_context_options *opts)
{
    clkfac_context_options defaults = CLKFAC_CONTEXT_OPTIONS_INIT;
    if (!opts) opts = &defaults;
    if (opts->version != CLKFAC_CONTEXT_OPTIONS_VERSION && opts->version != 1)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "context options version %u, expected 1 or %u",
                         opts->version, CLKFAC_CONTEXT_OPTIONS_VERSION);
    /* version 1 had no engine field */
    const clkfac_blas_engine blas = opts->version >= 2 ? opts->blas : CLKFAC_BLAS_AUTO;
    dev_entry *list = NULL;
    size_t n = 0, idx = 0;
    clkfac_status st = dev_enumerate(&list, &n);
    if (st) return st;
    clkfac_context *ctx = NULL;
    CORE_TRY(dev_select(list, n, opts->device, &idx));
    ctx = core_calloc(1, sizeof *ctx);
    if (!ctx) { st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory"); goto cleanup; }
    ctx->info = list[idx].info;
    ctx->platform = list[idx].platform;
    ctx->device = list[idx].device;
    ctx->profiling = opts->profiling;
    if (opts->cache_dir)
        snprintf(ctx->cache_dir, sizeof ctx->cache_dir, "%s", opts->cache_dir);
    else
        default_cache_dir(ctx->cache_dir, sizeof ctx->cache_dir);
    CORE_TRY(ocl_profile_build(ctx, blas)); /* after cache_dir: it reads the tuning database */
    ctx->programs = core_calloc(N_PROGRAMS ? N_PROGRAMS : 1, sizeof *ctx->programs);
    ctx->program_options =
        core_calloc(N_PROGRAMS ? N_PROGRAMS : 1, sizeof *ctx->program_options);
    if (!ctx->programs || !ctx->program_options) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        goto cleanup;
    }

    cl_int e = CL_SUCCESS;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->platform, 0};
    ctx->cl = clCreateContext(props, 1, &ctx->device, NULL, NULL, &e);
    OCL_TRY(e);
    ctx->queue = clCreateCommandQueue(ctx->cl, ctx->device,
                                      opts->profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &e);
    OCL_TRY(e);
    ctx->health =
        clCreateBuffer(ctx->cl, CL_MEM_READ_WRITE, HEALTH_WORDS * sizeof(cl_uint), NULL, &e);
    OCL_TRY(e);
    cl_uint zero = 0;
    OCL_TRY(clEnqueueFillBuffer(ctx->queue, ctx->health, &zero, sizeof zero, 0,
                                HEALTH_WORDS * sizeof(cl_uint), 0, NULL, NULL));
    free(list);
    *out = ctx;
    return CLKFAC_OK;
cleanup:
    free(list);
    clkfac_context_free(ctx);
    return st;
}

clkfac_status ocl_on_release(clkfac_context *ctx, ocl_release_fn fn, void *data)
{
    if (ctx->n_hooks == OCL_MAX_RELEASE_HOOKS)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "release hook table full (%d)",
                         OCL_MAX_RELEASE_HOOKS);
    ctx->hooks[ctx->n_hooks].fn = fn;
    ctx->hooks[ctx->n_hooks++].data = data;
    return CLKFAC_OK;
}

void *ocl_release_data(const clkfac_context *ctx, ocl_release_fn fn)
{
    for (size_t i = 0; i < ctx->n_hooks; i++)
        if (ctx->hooks[i].fn == fn) return ctx->hooks[i].data;
    return NULL;
}

void ocl_programs_release(clkfac_context *ctx);
static void profile_drop(clkfac_context *ctx);

void clkfac_context_free(clkfac_context *ctx)
{
    if (!ctx) return;
    if (ctx->queue) clFinish(ctx->queue);
    profile_drop(ctx);
    while (ctx->n_hooks > 0) {
        ocl_release_hook *h = &ctx->hooks[--ctx->n_hooks];
        h->fn(ctx, h->data);
    }
    for (int i = 0; i < OCL_SCRATCH_SLOTS; i++)
        if (ctx->scratch[i]) clReleaseMemObject(ctx->scratch[i]);
    for (size_t i = 0; i < ctx->n_kernels; i++) clReleaseKernel(ctx->kernels[i].kernel);
    ocl_programs_release(ctx);
    free(ctx->programs);
    free(ctx->program_options);
    if (ctx->health) clReleaseMemObject(ctx->health);
    if (ctx->queue) clReleaseCommandQueue(ctx->queue);
    if (ctx->cl) clReleaseContext(ctx->cl);
    free(ctx);
}

const clkfac_device_info *clkfac_context_device(const clkfac_context *ctx) { return &ctx->info; }
cl_context clkfac_context_cl(const clkfac_context *ctx) { return ctx->cl; }
cl_command_queue clkfac_context_queue(const clkfac_context *ctx) { return ctx->queue; }
uint64_t clkfac_context_blocking_calls(const clkfac_context *ctx) { return ctx->blocking_calls; }

clkfac_status clkfac_context_finish(clkfac_context *ctx)
{
    ctx->blocking_calls++;
    cl_int e = clFinish(ctx->queue);
    return e == CL_SUCCESS ? CLKFAC_OK : OCL_FAIL(e, "clFinish");
}

clkfac_status clkfac_context_check(clkfac_context *ctx)
{
    cl_uint flags[HEALTH_WORDS] = {0};
    ctx->blocking_calls++;
    ocl_count(ctx, OCL_COUNT_TRANSFER, sizeof flags);
    cl_int e = clEnqueueReadBuffer(ctx->queue, ctx->health, CL_TRUE, 0, sizeof flags, flags, 0,
                                   NULL, NULL);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clEnqueueReadBuffer(health)");
    if (!flags[HEALTH_FLAGS]) return CLKFAC_OK;
    cl_uint zero = 0;
    e = clEnqueueFillBuffer(ctx->queue, ctx->health, &zero, sizeof zero, 0, sizeof flags, 0, NULL,
                            NULL);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clEnqueueFillBuffer(health)");
    if ((flags[HEALTH_FLAGS] & CLKFAC_HEALTH_NOT_SPD) && flags[HEALTH_DETAIL] == HEALTH_DETAIL_TRACE)
        return CORE_FAIL(CLKFAC_ERR_NOT_SPD,
                         "a Kronecker factor has trace <= 0 (all-zero activations or output "
                         "gradients?), so the Tikhonov scale pi = sqrt((tr A/dim A)/(tr G/dim G)) "
                         "is undefined; the previous result was kept");
    if (flags[HEALTH_FLAGS] & CLKFAC_HEALTH_NOT_SPD)
        return CORE_FAIL(CLKFAC_ERR_NOT_SPD,
                         "a matrix to be factored is not positive definite (pivot <= 0 at "
                         "column %u); the previous result was kept",
                         flags[HEALTH_DETAIL]);
    return CORE_FAIL(CLKFAC_ERR_NONFINITE,
                     "NaN or Inf found in a checked input (flags 0x%x); nothing was overwritten",
                     flags[HEALTH_FLAGS]);
}

/* ---- buffers ----------------------------------------------------------------------------- */

clkfac_status clkfac_buffer_create(cl_mem *out, clkfac_context *ctx, size_t n_floats)
{
    if (n_floats == 0) n_floats = 1;
    if (n_floats * sizeof(float) > ctx->info.max_alloc && ctx->info.max_alloc)
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY,
                         "buffer of %zu floats (%zu bytes) exceeds the device's largest "
                         "allocation (%llu bytes)",
                         n_floats, n_floats * sizeof(float),
                         (unsigned long long)ctx->info.max_alloc);
    cl_int e = CL_SUCCESS;
    cl_mem m = clCreateBuffer(ctx->cl, CL_MEM_READ_WRITE, n_floats * sizeof(float), NULL, &e);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clCreateBuffer");
    const uint64_t bytes = (uint64_t)n_floats * sizeof(float);
    if (bytes > ctx->largest_buffer) ctx->largest_buffer = bytes;
    *out = m;
    return CLKFAC_OK;
}

uint64_t clkfac_context_largest_buffer(clkfac_context *ctx)
{
    uint64_t b = ctx->largest_buffer;
    ctx->largest_buffer = 0;
    return b;
}

void clkfac_buffer_free(cl_mem buf)
{
    if (buf) clReleaseMemObject(buf);
}

clkfac_status clkfac_buffer_write(clkfac_context *ctx, cl_mem buf, size_t off, const float *src,
                                  size_t n)
{
    if (n == 0) return CLKFAC_OK;
    ctx->blocking_calls++;
    ocl_count(ctx, OCL_COUNT_TRANSFER, n * sizeof(float));
    cl_int e = clEnqueueWriteBuffer(ctx->queue, buf, CL_TRUE, off * sizeof(float),
                                    n * sizeof(float), src, 0, NULL, NULL);
    return e == CL_SUCCESS ? CLKFAC_OK : OCL_FAIL(e, "clEnqueueWriteBuffer");
}

clkfac_status clkfac_buffer_write_async(clkfac_context *ctx, cl_mem buf, size_t off,
                                        const float *src, size_t n)
{
    if (n == 0) return CLKFAC_OK;
    ocl_count(ctx, OCL_COUNT_TRANSFER, n * sizeof(float));
    cl_event *ev = ocl_event_slot(ctx);
    cl_int e = clEnqueueWriteBuffer(ctx->queue, buf, CL_FALSE, off * sizeof(float),
                                    n * sizeof(float), src, 0, NULL, ev);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clEnqueueWriteBuffer");
    ocl_track(ctx, ev);
    return CLKFAC_OK;
}

clkfac_status clkfac_buffer_read_async(clkfac_context *ctx, cl_mem buf, size_t off, float *dst,
                                       size_t n)
{
    if (n == 0) return CLKFAC_OK;
    ocl_count(ctx, OCL_COUNT_TRANSFER, n * sizeof(float));
    cl_event *ev = ocl_event_slot(ctx);
    cl_int e = clEnqueueReadBuffer(ctx->queue, buf, CL_FALSE, off * sizeof(float),
                                   n * sizeof(float), dst, 0, NULL, ev);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clEnqueueReadBuffer");
    ocl_track(ctx, ev);
    return CLKFAC_OK;
}

clkfac_status clkfac_buffer_read(clkfac_context *ctx, cl_mem buf, size_t off, float *dst, size_t n)
{
    if (n == 0) return CLKFAC_OK;
    ctx->blocking_calls++;
    ocl_count(ctx, OCL_COUNT_TRANSFER, n * sizeof(float));
    cl_int e = clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, off * sizeof(float),
                                   n * sizeof(float), dst, 0, NULL, NULL);
    return e == CL_SUCCESS ? CLKFAC_OK : OCL_FAIL(e, "clEnqueueReadBuffer");
}

clkfac_status clkfac_buffer_fill(clkfac_context *ctx, cl_mem buf, size_t off, float value,
                                 size_t n)
{
    if (n == 0) return CLKFAC_OK;
    ocl_count(ctx, OCL_COUNT_COPY, 0);
    cl_event *ev = ocl_event_slot(ctx);
    cl_int e = clEnqueueFillBuffer(ctx->queue, buf, &value, sizeof value, off * sizeof(float),
                                   n * sizeof(float), 0, NULL, ev);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clEnqueueFillBuffer");
    ocl_track(ctx, ev);
    return CLKFAC_OK;
}

clkfac_status clkfac_buffer_copy(clkfac_context *ctx, cl_mem src, size_t src_off, cl_mem dst,
                                 size_t dst_off, size_t n)
{
    if (n == 0) return CLKFAC_OK;
    ocl_count(ctx, OCL_COUNT_COPY, 0);
    cl_event *ev = ocl_event_slot(ctx);
    cl_int e = clEnqueueCopyBuffer(ctx->queue, src, dst, src_off * sizeof(float),
                                   dst_off * sizeof(float), n * sizeof(float), 0, NULL, ev);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clEnqueueCopyBuffer");
    ocl_track(ctx, ev);
    return CLKFAC_OK;
}

clkfac_status ocl_check_buffer(const char *fn, const char *what, cl_mem m, size_t off, size_t n)
{
    if (!m) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: buffer %s is NULL", fn, what);
    if (off > 0xffffffffu - n)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: %s offset %zu + %zu floats exceeds the 2^32 "
                         "element limit of the kernels", fn, what, off, n);
    size_t bytes = 0;
    cl_int e = clGetMemObjectInfo(m, CL_MEM_SIZE, sizeof bytes, &bytes, NULL);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clGetMemObjectInfo(CL_MEM_SIZE)");
    if ((off + n) * sizeof(float) > bytes)
        return CORE_FAIL(CLKFAC_ERR_SHAPE, "%s: %s needs %zu floats from offset %zu but the buffer "
                         "holds %zu", fn, what, n, off, bytes / sizeof(float));
    return CLKFAC_OK;
}

clkfac_status ocl_scratch(clkfac_context *ctx, int slot, size_t n, cl_mem *out)
{
    if (slot < 0 || slot >= OCL_SCRATCH_SLOTS)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "scratch slot %d out of range", slot);
    if (n > ctx->scratch_n[slot] || !ctx->scratch[slot]) {
        cl_mem m = NULL;
        clkfac_status st = clkfac_buffer_create(&m, ctx, n);
        if (st) return st;
        if (ctx->scratch[slot]) clReleaseMemObject(ctx->scratch[slot]);
        ctx->scratch[slot] = m;
        ctx->scratch_n[slot] = n;
    }
    *out = ctx->scratch[slot];
    return CLKFAC_OK;
}

clkfac_status ocl_guard_reset(clkfac_context *ctx)
{
    cl_uint zero = 0;
    ocl_count(ctx, OCL_COUNT_COPY, 0);
    cl_event *ev = ocl_event_slot(ctx);
    cl_int e = clEnqueueFillBuffer(ctx->queue, ctx->health, &zero, sizeof zero,
                                   HEALTH_GUARD * sizeof(cl_uint), sizeof(cl_uint), 0, NULL, ev);
    if (e != CL_SUCCESS) return OCL_FAIL(e, "clEnqueueFillBuffer(guard)");
    ocl_track(ctx, ev);
    return CLKFAC_OK;
}

/* ---- profiling --------------------------------------------------------------------------- */

static void profile_drop(clkfac_context *ctx)
{
    for (size_t i = 0; i < ctx->n_events; i++) {
        clReleaseEvent(ctx->events[i]);
        if (ctx->span_start[i]) clReleaseEvent(ctx->span_start[i]);
        ctx->span_start[i] = NULL;
    }
    ctx->n_events = 0;
    if (ctx->pending_start) clReleaseEvent(ctx->pending_start);
    ctx->pending_start = NULL;
}

void clkfac_profile_begin(clkfac_context *ctx)
{
    profile_drop(ctx);
    memset(ctx->phase_seconds, 0, sizeof ctx->phase_seconds);
    memset(ctx->phase_commands, 0, sizeof ctx->phase_commands);
    memset(ctx->phase_counts, 0, sizeof ctx->phase_counts);
    ctx->n_phases = 0;
    ctx->cur_phase = -1;
    ctx->recording = ctx->profiling;
    clkfac_profile_phase(ctx, "other");
}

void clkfac_profile_phase(clkfac_context *ctx, const char *label)
{
    for (int i = 0; i < ctx->n_phases; i++)
        if (!strncmp(ctx->phases[i], label, sizeof ctx->phases[i] - 1)) {
            ctx->cur_phase = i;
            return;
        }
    if (ctx->n_phases == CLKFAC_PROFILE_MAX_PHASES) {
        ctx->cur_phase = 0;
        return;
    }
    snprintf(ctx->phases[ctx->n_phases], sizeof ctx->phases[0], "%s", label);
    ctx->cur_phase = ctx->n_phases++;
}

/* Adds the durations of the recorded events to the per-phase sums and releases them. */
static void profile_fold(clkfac_context *ctx)
{
    for (size_t i = 0; i < ctx->n_events; i++) {
        cl_ulong t0 = 0, t1 = 0;
        /* a span runs from its start marker's completion to its end marker's completion */
        cl_event from = ctx->span_start[i] ? ctx->span_start[i] : ctx->events[i];
        cl_profiling_info from_what =
            ctx->span_start[i] ? CL_PROFILING_COMMAND_END : CL_PROFILING_COMMAND_START;
        if (clGetEventProfilingInfo(from, from_what, sizeof t0, &t0, NULL) != CL_SUCCESS ||
            clGetEventProfilingInfo(ctx->events[i], CL_PROFILING_COMMAND_END, sizeof t1, &t1,
                                    NULL) != CL_SUCCESS || t1 < t0)
            continue;
        int p = ctx->event_phase[i];
        if (p >= 0 && p < CLKFAC_PROFILE_MAX_PHASES) {
            ctx->phase_seconds[p] += 1e-9 * (double)(t1 - t0);
            ctx->phase_commands[p]++;
        }
    }
    profile_drop(ctx);
}

cl_event *ocl_event_slot(clkfac_context *ctx)
{
    if (!ctx->recording) return NULL;
    if (ctx->n_events >= OCL_MAX_EVENTS) {
        /* a long recording (a 25000-step rollout) outgrows the list: wait for what is queued
         * and fold it into the sums. Only while profiling, which is a benchmark's choice. */
        ctx->blocking_calls++;
        if (clFinish(ctx->queue) != CL_SUCCESS) return NULL;
        profile_fold(ctx);
    }
    return &ctx->events[ctx->n_events];
}

void ocl_track(clkfac_context *ctx, cl_event *slot)
{
    if (!slot) return;
    ctx->span_start[ctx->n_events] = NULL;
    ctx->event_phase[ctx->n_events] = ctx->cur_phase;
    ctx->n_events++;
}

void ocl_count(clkfac_context *ctx, ocl_count_kind kind, size_t bytes)
{
    if (!ctx->recording || ctx->cur_phase < 0 || ctx->cur_phase >= CLKFAC_PROFILE_MAX_PHASES)
        return;
    clkfac_profile_entry *c = &ctx->phase_counts[ctx->cur_phase];
    switch (kind) {
    case OCL_COUNT_KERNEL: c->kernels++; break;
    case OCL_COUNT_BLAS: c->blas++; break;
    case OCL_COUNT_HOST_BLAS: c->host_blas++; break;
    case OCL_COUNT_TRANSFER:
        c->transfers++;
        c->bytes += bytes;
        break;
    case OCL_COUNT_COPY: c->copies++; break;
    }
}

void ocl_span_begin(clkfac_context *ctx)
{
    ocl_count(ctx, OCL_COUNT_BLAS, 0); /* every BLAS call (CLBlast or host) is one span */
    if (!ctx->recording || !ocl_event_slot(ctx)) return;
    if (ctx->pending_start) clReleaseEvent(ctx->pending_start);
    ctx->pending_start = NULL;
    if (clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, &ctx->pending_start) != CL_SUCCESS)
        ctx->pending_start = NULL;
}

void ocl_span_end(clkfac_context *ctx)
{
    if (!ctx->recording || !ctx->pending_start || ctx->n_events >= OCL_MAX_EVENTS) return;
    cl_event end = NULL;
    if (clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, &end) != CL_SUCCESS) return;
    ctx->events[ctx->n_events] = end;
    ctx->span_start[ctx->n_events] = ctx->pending_start;
    ctx->pending_start = NULL;
    ctx->event_phase[ctx->n_events] = ctx->cur_phase;
    ctx->n_events++;
}

void ocl_track_span(clkfac_context *ctx, cl_event start, cl_event end)
{
    if (!ctx->recording || !start || !end || !ocl_event_slot(ctx)) return;
    clRetainEvent(start);
    clRetainEvent(end);
    ctx->events[ctx->n_events] = end;
    ctx->span_start[ctx->n_events] = start;
    ctx->event_phase[ctx->n_events] = ctx->cur_phase;
    ctx->n_events++;
}

clkfac_status clkfac_profile_collect(clkfac_context *ctx, clkfac_profile_entry *entries,
                                     size_t cap, size_t *n)
{
    clkfac_status st = clkfac_context_finish(ctx);
    ctx->recording = 0;
    if (st) return st;
    size_t m = (size_t)ctx->n_phases < cap ? (size_t)ctx->n_phases : cap;
    profile_fold(ctx);
    for (size_t i = 0; i < m; i++) {
        memset(&entries[i], 0, sizeof entries[i]);
        snprintf(entries[i].phase, sizeof entries[i].phase, "%s", ctx->phases[i]);
        entries[i].seconds = ctx->phase_seconds[i];
        entries[i].commands = ctx->phase_commands[i];
        const clkfac_profile_entry *c = &ctx->phase_counts[i];
        entries[i].kernels = c->kernels;
        entries[i].blas = c->blas;
        entries[i].host_blas = c->host_blas;
        entries[i].transfers = c->transfers;
        entries[i].copies = c->copies;
        entries[i].bytes = c->bytes;
    }
    *n = m;
    return CLKFAC_OK;
}
