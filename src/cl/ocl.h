/* Internal view of the context for modules that enqueue work: kernel lookup (programs built
 * lazily, cached in memory and on disk), launches that feed profiling, and OpenCL error mapping. */
#ifndef CLKFAC_OCL_INTERNAL_H
#define CLKFAC_OCL_INTERNAL_H

#include "../../cl/shared.h" /* constants shared with the kernels (relative: no include path) */
#include "clkfac/device.h"
#include "core/core.h"

#define OCL_MAX_KERNELS 128
#define OCL_MAX_EVENTS 4096
#define OCL_SCRATCH_SLOTS 8
#define OCL_MAX_RELEASE_HOOKS 8
#define OCL_MAX_OPTIONS 1024 /* characters of a program's extra build options */

typedef struct ocl_kernel_slot {
    char name[64];
    cl_kernel kernel;
    size_t reqd_wg;   /* reqd_work_group_size x of the kernel, 0 = none (read at creation) */
    uint64_t args_sig; /* hash of the argument kinds ocl_run last checked (0: none yet) */
} ocl_kernel_slot;

typedef void (*ocl_release_fn)(clkfac_context *ctx, void *data);
typedef struct ocl_release_hook {
    ocl_release_fn fn;
    void *data;
} ocl_release_hook;

struct clkfac_context {
    clkfac_device_info info;
    clkfac_device_profile profile;    /* decided at creation (profile.c) */
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl;
    cl_command_queue queue;
    int profiling;
    char cache_dir[1024];             /* "" = no disk cache */
    cl_program *programs;             /* one per entry of CLKFAC_CL_PROGRAMS, lazily built */
    char **program_options;           /* per program: extra build options (malloc'd) or NULL */
    ocl_kernel_slot kernels[OCL_MAX_KERNELS];
    size_t n_kernels;
    cl_mem health;                    /* HEALTH_WORDS uints, slots HEALTH_* (cl/shared.h) */
    uint64_t blocking_calls;
    uint64_t largest_buffer;          /* bytes (clkfac_context_largest_buffer) */
    /* profiling */
    int recording;
    int cur_phase;
    char phases[CLKFAC_PROFILE_MAX_PHASES][32];
    int n_phases;
    cl_event events[OCL_MAX_EVENTS];
    cl_event span_start[OCL_MAX_EVENTS]; /* NULL: events[i] is a command timed start..end */
    cl_event pending_start;              /* marker opened by ocl_span_begin */
    int event_phase[OCL_MAX_EVENTS];
    double phase_seconds[CLKFAC_PROFILE_MAX_PHASES]; /* folded in when the event list fills */
    unsigned phase_commands[CLKFAC_PROFILE_MAX_PHASES];
    clkfac_profile_entry phase_counts[CLKFAC_PROFILE_MAX_PHASES]; /* the launch budget fields */
    size_t n_events;
    /* state of the modules above (ocl_on_release), released last registered first */
    ocl_release_hook hooks[OCL_MAX_RELEASE_HOOKS];
    size_t n_hooks;
    /* reusable scratch buffers, grown on demand (see ocl_scratch) */
    cl_mem scratch[OCL_SCRATCH_SLOTS];
    size_t scratch_n[OCL_SCRATCH_SLOTS];
};

/* Fills ctx->profile for its device (after ctx->info and ctx->device are set) with the engine
 * requested (AUTO: $CLKFAC_BLAS, else the device's best); bad overrides are INVALID_ARG, an
 * impossible engine UNSUPPORTED (profile.c). */
clkfac_status ocl_profile_build(clkfac_context *ctx, clkfac_blas_engine requested);
/* 1 when the host BLAS engine can run on ctx's device (a host CBLAS in the build and native
 * kernels on the device), else 0 with *why (may be NULL) saying which is missing. */
int ocl_host_blas_capable(const clkfac_context *ctx, const char **why);

/* Maps an OpenCL error to CLKFAC_ERR_OPENCL (or NO_MEMORY) with "call failed: CL_XXX (code)". */
clkfac_status ocl_fail(cl_int err, const char *file, int line, const char *call);
#define OCL_FAIL(err, call) ocl_fail((err), __FILE__, __LINE__, (call))
const char *ocl_error_name(cl_int err);

/* Evaluates an OpenCL call returning cl_int; on error sets st and jumps to cleanup. */
#define OCL_TRY(call)                                                  \
    do {                                                               \
        cl_int ocl_e_ = (call);                                        \
        if (ocl_e_ != CL_SUCCESS) {                                    \
            st = ocl_fail(ocl_e_, __FILE__, __LINE__, #call);          \
            goto cleanup;                                              \
        }                                                              \
    } while (0)

/* The kernel named `name` from program `program` (file cl/<program>.cl). Borrowed. */
clkfac_status ocl_kernel(clkfac_context *ctx, const char *program, const char *name,
                         cl_kernel *out);


/* ---- the launch idiom ---------------------------------------------------------------------
 * One call per launch, arguments listed in kernel order with their OpenCL types:
 *   st = ocl_run(ctx, "util", "util_check_finite", OCL_1D(n, CLKFAC_WG),
 *                OCL_ARGS(OCL_U(n), OCL_M(x), OCL_U(x_off), OCL_M(ctx->health)));
 * OCL_U/OCL_I take an integer (a float is a compile error), OCL_F a float or double, OCL_M a
 * cl_mem, OCL_LOCAL a __local buffer's byte size. Each new list of argument kinds for a kernel
 * is compared once with the kernel's declaration (count, and when the driver reports argument
 * info, each address space and scalar type); a mismatch is CLKFAC_ERR_INTERNAL naming kernel and
 * argument index. */
typedef enum ocl_arg_kind { OCL_ARG_UINT, OCL_ARG_INT, OCL_ARG_FLOAT, OCL_ARG_MEM, OCL_ARG_LOCAL }
    ocl_arg_kind;
typedef struct ocl_karg {
    ocl_arg_kind kind;
    size_t size;
    const void *value; /* NULL for OCL_LOCAL */
} ocl_karg;
#define OCL_U(x)                                                                               \
    ((ocl_karg){OCL_ARG_UINT, sizeof(cl_uint),                                                 \
                &(const cl_uint){(cl_uint)_Generic((x), float: (void)0, double: (void)0,       \
                                                   default: (x))}})
#define OCL_I(x)                                                                               \
    ((ocl_karg){OCL_ARG_INT, sizeof(cl_int),                                                   \
                &(const cl_int){(cl_int)_Generic((x), float: (void)0, double: (void)0,         \
                                                 default: (x))}})
#define OCL_F(x)                                                                               \
    ((ocl_karg){OCL_ARG_FLOAT, sizeof(cl_float),                                               \
                &(const cl_float){(cl_float)_Generic((x), float: (x), double: (x),             \
                                                     default: (void)0)}})
#define OCL_M(x) ((ocl_karg){OCL_ARG_MEM, sizeof(cl_mem), &(const cl_mem){(x)}})
#define OCL_LOCAL(bytes) ((ocl_karg){OCL_ARG_LOCAL, (bytes), NULL})
/* expands to the two parameters (array, count) of ocl_run */
#define OCL_ARGS(...)                                                                          \
    (const ocl_karg[]){__VA_ARGS__}, sizeof((const ocl_karg[]){__VA_ARGS__}) / sizeof(ocl_karg)

/* The NDRange: global sizes are rounded up to a multiple of the local ones (local 0: the
 * driver's choice). OCL_GROUPS(g) launches g work-groups of the kernel's
 * reqd_work_group_size, read from the built kernel, so a -D override of it needs no host
 * change. An empty range launches nothing. */
typedef struct ocl_grid {
    cl_uint dims;
    size_t global[2];
    size_t local[2];
    int groups; /* 1: global[0] counts work-groups of the required size */
} ocl_grid;
#define OCL_1D(n, wg) ((ocl_grid){1, {(n), 1}, {(wg), 1}, 0})
#define OCL_2D(n0, n1, wg0, wg1) ((ocl_grid){2, {(n0), (n1)}, {(wg0), (wg1)}, 0})
#define OCL_GROUPS(g) ((ocl_grid){1, {(g), 1}, {0, 1}, 1})

clkfac_status ocl_run(clkfac_context *ctx, const char *program, const char *kernel,
                      ocl_grid grid, const ocl_karg *args, size_t n_args);

/* The reqd_work_group_size (x) of a kernel, for host code that sizes local memory by it. */
clkfac_status ocl_kernel_reqd_wg(clkfac_context *ctx, const char *program, const char *kernel,
                                 size_t *wg);

/* Registers fn(ctx, data) to run at clkfac_context_free, before the context's own objects are
 * released (last registered runs first): how modules above src/cl keep per-context state
 * without src/cl naming them. ocl_release_data finds the data registered with fn (NULL: none). */
clkfac_status ocl_on_release(clkfac_context *ctx, ocl_release_fn fn, void *data);
void *ocl_release_data(const clkfac_context *ctx, ocl_release_fn fn);

/* Checks that buffer m exists and holds off + n floats, and that every index stays below 2^32
 * (kernels index with 32-bit integers). fn and what name the caller and the argument in the
 * message. A host-side size query: never waits on the queue. */
clkfac_status ocl_check_buffer(const char *fn, const char *what, cl_mem m, size_t off, size_t n);

/* Enqueues k over a global size rounded up to a multiple of lws (lws may be NULL) and hands
 * its event to the profiler. */
clkfac_status ocl_launch(clkfac_context *ctx, cl_kernel k, cl_uint dims, const size_t *gws,
                         const size_t *lws);

/* The launch budget (clkfac_profile_entry): counts one command of a kind in the current phase
 * while recording (bytes: for OCL_COUNT_TRANSFER). ocl_launch, the buffer calls and
 * ocl_span_begin (one BLAS call) count themselves; the host-BLAS native kernel counts here. */
typedef enum { OCL_COUNT_KERNEL, OCL_COUNT_BLAS, OCL_COUNT_HOST_BLAS, OCL_COUNT_TRANSFER,
               OCL_COUNT_COPY } ocl_count_kind;
void ocl_count(clkfac_context *ctx, ocl_count_kind kind, size_t bytes);

/* For single commands enqueued elsewhere (fills, copies): returns the cl_event* to pass (NULL
 * when not recording) and, after the call, ocl_track() keeps it. */
cl_event *ocl_event_slot(clkfac_context *ctx);
void ocl_track(clkfac_context *ctx, cl_event *slot);

/* For library calls that enqueue several commands and report only the last one's event
 * (CLBlast's indirect GEMM pads, multiplies and copies back): markers before and after, the
 * span between their completions timed as one command. No-ops when not recording. */
void ocl_span_begin(clkfac_context *ctx);
void ocl_span_end(clkfac_context *ctx);
/* While recording: keeps a span from start's completion to end's completion (events the caller
 * enqueued; the profiler retains its own references) under the current phase. For work the
 * host does between two commands, e.g. a collective on a mapped buffer (src/comm). */
void ocl_track_span(clkfac_context *ctx, cl_event start, cl_event end);

/* Scratch buffer `slot` of at least n floats, owned by the context and reused across calls
 * (grown, never shrunk). Slots are assigned by module so calls never share one in flight:
 * OCL_SCRATCH_KFAC0..2 for kfac, OCL_SCRATCH_LINALG0..3 for linalg, OCL_SCRATCH_MISC. Borrowed. */
enum { OCL_SCRATCH_KFAC0 = 0, OCL_SCRATCH_KFAC1, OCL_SCRATCH_KFAC2, OCL_SCRATCH_LINALG0,
       OCL_SCRATCH_LINALG1, OCL_SCRATCH_LINALG2, OCL_SCRATCH_LINALG3, OCL_SCRATCH_MISC };
clkfac_status ocl_scratch(clkfac_context *ctx, int slot, size_t n, cl_mem *out);

/* Guard protocol for "overwrite nothing on bad input": ocl_guard_reset clears the per-operation
 * guard word (health[HEALTH_GUARD]); checking kernels set it and raise the sticky flags in
 * health[HEALTH_FLAGS]; guarded kernels (taking the health buffer) skip their writes while it
 * is set. */
clkfac_status ocl_guard_reset(clkfac_context *ctx);

static inline size_t ocl_round_up(size_t n, size_t m) { return m ? (n + m - 1) / m * m : n; }

#endif
