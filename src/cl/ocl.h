/* Internal view of the context for modules that enqueue work: kernel lookup (programs built
 * lazily, cached in memory and on disk), launches that feed profiling, and OpenCL error mapping. */
#ifndef CLKFAC_OCL_INTERNAL_H
#define CLKFAC_OCL_INTERNAL_H

#include "clkfac/device.h"
#include "core/core.h"

#define OCL_MAX_KERNELS 128
#define OCL_MAX_EVENTS 4096
#define OCL_SCRATCH_SLOTS 8

typedef struct ocl_kernel_slot {
    char name[64];
    cl_kernel kernel;
} ocl_kernel_slot;

struct clkfac_context {
    clkfac_device_info info;
    cl_platform_id platform;
    cl_device_id device;
    cl_context cl;
    cl_command_queue queue;
    int profiling;
    char cache_dir[1024];             /* "" = no disk cache */
    cl_program *programs;             /* one per entry of CLKFAC_CL_PROGRAMS, lazily built */
    ocl_kernel_slot kernels[OCL_MAX_KERNELS];
    size_t n_kernels;
    cl_mem health;                    /* 4 x uint: [0] = flags */
    uint64_t blocking_calls;
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
    size_t n_events;
    /* scratch owned by the linalg module (CLBlast temp buffer etc.) */
    void *blas;
    /* reusable scratch buffers, grown on demand (see ocl_scratch) */
    cl_mem scratch[OCL_SCRATCH_SLOTS];
    size_t scratch_n[OCL_SCRATCH_SLOTS];
};

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

/* Sets argument i of k (returns st); wraps clSetKernelArg with the kernel and index in detail. */
clkfac_status ocl_arg(cl_kernel k, cl_uint i, size_t size, const void *value);
#define OCL_ARG(k, i, v) ocl_arg((k), (i), sizeof(v), &(v))

/* Checks that buffer m exists and holds off + n floats, and that every index stays below 2^32
 * (kernels index with 32-bit integers). fn and what name the caller and the argument in the
 * message. A host-side size query: never waits on the queue. */
clkfac_status ocl_check_buffer(const char *fn, const char *what, cl_mem m, size_t off, size_t n);

/* Enqueues k over a global size rounded up to a multiple of lws (lws may be NULL) and hands
 * its event to the profiler. */
clkfac_status ocl_launch(clkfac_context *ctx, cl_kernel k, cl_uint dims, const size_t *gws,
                         const size_t *lws);

/* For single commands enqueued elsewhere (fills, copies): returns the cl_event* to pass (NULL
 * when not recording) and, after the call, ocl_track() keeps it. */
cl_event *ocl_event_slot(clkfac_context *ctx);
void ocl_track(clkfac_context *ctx, cl_event *slot);

/* For library calls that enqueue several commands and report only the last one's event
 * (CLBlast's indirect GEMM pads, multiplies and copies back): markers before and after, the
 * span between their completions timed as one command. No-ops when not recording. */
void ocl_span_begin(clkfac_context *ctx);
void ocl_span_end(clkfac_context *ctx);

/* Scratch buffer `slot` of at least n floats, owned by the context and reused across calls
 * (grown, never shrunk). Slots are assigned by module so calls never share one in flight:
 * OCL_SCRATCH_KFAC0..2 for kfac, OCL_SCRATCH_LINALG0..3 for linalg, OCL_SCRATCH_MISC. Borrowed. */
enum { OCL_SCRATCH_KFAC0 = 0, OCL_SCRATCH_KFAC1, OCL_SCRATCH_KFAC2, OCL_SCRATCH_LINALG0,
       OCL_SCRATCH_LINALG1, OCL_SCRATCH_LINALG2, OCL_SCRATCH_LINALG3, OCL_SCRATCH_MISC };
clkfac_status ocl_scratch(clkfac_context *ctx, int slot, size_t n, cl_mem *out);

/* Guard protocol for "overwrite nothing on bad input": ocl_guard_reset clears the per-operation
 * guard word (health[2]); checking kernels set it and raise the sticky flags in health[0];
 * guarded kernels (taking the health buffer) skip their writes while it is set. */
clkfac_status ocl_guard_reset(clkfac_context *ctx);

static inline size_t ocl_round_up(size_t n, size_t m) { return m ? (n + m - 1) / m * m : n; }

#endif
