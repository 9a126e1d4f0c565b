/* clkfac/device.h — OpenCL device discovery and selection, the context (device, queue, program
 * cache, health flags, profiling), and float buffers. Everything else takes a clkfac_context. */
#ifndef CLKFAC_DEVICE_H
#define CLKFAC_DEVICE_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "clkfac/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clkfac_context clkfac_context;

typedef struct clkfac_device_info {
    int platform_index;             /* P of the "P:D" spec */
    int device_index;               /* D of the "P:D" spec, within the platform */
    char platform[128];             /* platform name */
    char name[128];                 /* device name */
    char vendor[128];
    char type[16];                  /* "CPU", "GPU", "ACCELERATOR" or "OTHER" */
    unsigned compute_units;
    uint64_t global_mem;            /* bytes */
    uint64_t local_mem;             /* bytes */
    uint64_t max_alloc;             /* bytes, largest single buffer */
    char opencl_c_version[128];
    char device_version[256];
    char driver_version[128];
    int is_default;                 /* 1 for the device chosen when no spec is given */
} clkfac_device_info;

/* All devices of all platforms. *out is an array of *count entries; free it with free(). */
clkfac_status clkfac_device_list(clkfac_device_info **out, size_t *count);

/* Resolves a device spec: "P:D", "cpu", "gpu", or a case-insensitive substring of the device
 * name. NULL or "" means $CLKFAC_DEVICE if set, else the default (first GPU, else first
 * device). A spec that matches nothing fails with CLKFAC_ERR_NO_DEVICE and a detail that lists
 * the devices present. */
clkfac_status clkfac_device_find(clkfac_device_info *out, const char *spec);

/* The engine that runs the dense linear algebra (GEMM, SYRK, GEMV). */
typedef enum clkfac_blas_engine {
    CLKFAC_BLAS_AUTO = 0,    /* the device profile decides (see clkfac_device_profile) */
    CLKFAC_BLAS_CLBLAST = 1, /* CLBlast's OpenCL kernels: any device */
    CLKFAC_BLAS_HOST = 2     /* the host's CBLAS (OpenBLAS) inside the queue as native kernels:
                                CPU devices that run them (PoCL), builds with OpenBLAS */
} clkfac_blas_engine;

/* "auto", "clblast" or "host" -> *out; anything else is INVALID_ARG naming the text. */
clkfac_status clkfac_blas_engine_parse(clkfac_blas_engine *out, const char *name);
const char *clkfac_blas_engine_name(clkfac_blas_engine engine);

typedef struct clkfac_context_options {
    unsigned version;       /* CLKFAC_CONTEXT_OPTIONS_VERSION (1 is accepted: blas then AUTO) */
    const char *device;     /* device spec (see clkfac_device_find); NULL: $CLKFAC_DEVICE/default */
    const char *cache_dir;  /* program-binary cache; NULL: $XDG_CACHE_HOME/clkfac or
                               ~/.cache/clkfac; "" disables the disk cache */
    int profiling;          /* 1: queue with profiling, so phases can be timed (default 1) */
    clkfac_blas_engine blas; /* AUTO: $CLKFAC_BLAS if set, else the device profile's choice;
                                HOST on a device that cannot run it fails with UNSUPPORTED */
} clkfac_context_options;

#define CLKFAC_CONTEXT_OPTIONS_VERSION 2
#define CLKFAC_CONTEXT_OPTIONS_INIT { CLKFAC_CONTEXT_OPTIONS_VERSION, NULL, NULL, 1, CLKFAC_BLAS_AUTO }

/* What clkfac does on the context's device, decided once when the context is created from the
 * device's kind and capabilities and the overrides below; every module reads it, `clkfac
 * devices` prints it and results record it (clkfac_device_profile_text). */
#define CLKFAC_XGEMM_PARAMS 16
#define CLKFAC_CLBLAST_TUNED 6
#define CLKFAC_CLBLAST_MAX_PARAMS 10
typedef struct clkfac_device_profile {
    clkfac_blas_engine blas;       /* CLBLAST or HOST, never AUTO */
    char blas_reason[96];          /* why: "forced by CLKFAC_BLAS", "CPU device with native..." */
    unsigned host_threads;         /* HOST: the host BLAS's threads (the device's compute units) */
    int xgemm_override;            /* 1: CLBlast's Xgemm runs with xgemm[] ($CLKFAC_XGEMM or the
                                      shipped values for PoCL CPUs, which CLBlast has no entry for) */
    size_t xgemm[CLKFAC_XGEMM_PARAMS]; /* in the order of clkfac_xgemm_param_name */
    unsigned gemm_min_indirect;    /* CLBlast: GEMMs with m*n*k below this^3 run its direct
                                      kernel; 0 keeps CLBlast's own ($CLKFAC_GEMM_MIN_INDIRECT) */
    int gram_by_gemm;              /* Gram X^T X (K-FAC factors): 1 full GEMM, 0 SYRK + mirror */
    size_t gram_row_block;         /* rows per GEMM of a tall Gram; 0: one call */
    int conv_host;                 /* 1: conv's patch expansion, col2im and the (exact)
                                      activations' layout change run as plain C host tasks in
                                      the queue (native kernels); 0: OpenCL kernels */
    size_t conv_dx_chunk;          /* conv input gradient: the patch gradient DS W is made and
                                      gathered in chunks of at most this many floats (whole
                                      examples), so col2im reads it from cache; 0: no limit */
    /* tuned values (`clkfac tune`, data/tune/): CLBlast kernels besides Xgemm, clkfac's own
     * kernels, and where they came from */
    unsigned clblast_set;          /* bit k: CLBlast kernel k (clkfac_clblast_kernel_name) runs
                                      with clblast[k]; clear: CLBlast's own parameters */
    size_t clblast[CLKFAC_CLBLAST_TUNED][CLKFAC_CLBLAST_MAX_PARAMS];
    unsigned chol_wg;              /* CHOL_WG of cl/chol.cl (block factorization); 0: its own */
    char tuning[200];              /* "built-in", "shipped default (data/tune/pocl-cpu.txt)" or
                                      "tuned db PATH" */
    char tuning_note[400];         /* a database that was refused and why ("" when none) */
} clkfac_device_profile;

/* CLBlast kernel k (0 <= k < CLKFAC_CLBLAST_TUNED) besides Xgemm whose parameters the profile
 * can set, as CLBlast names it ("XgemmDirect", "Xgemv", "Copy", "Pad", "Transpose",
 * "Padtranspose"); its parameter count and names. NULL / 0 out of range. */
const char *clkfac_clblast_kernel_name(int k);
int clkfac_clblast_kernel_params(int k);
const char *clkfac_clblast_param_name(int k, int i);

/* The profile of ctx's device (borrowed; lives as long as ctx). */
const clkfac_device_profile *clkfac_context_profile(const clkfac_context *ctx);
/* Name of Xgemm parameter i (0 <= i < CLKFAC_XGEMM_PARAMS), as CLBlast spells it. */
const char *clkfac_xgemm_param_name(int i);
/* The profile as one line of "key=value" pairs (for `clkfac devices` and provenance), cut to
 * cap bytes; returns out. */
char *clkfac_device_profile_text(char *out, size_t cap, const clkfac_device_profile *p);

clkfac_status clkfac_context_create(clkfac_context **out, const clkfac_context_options *opts);
void clkfac_context_free(clkfac_context *ctx);

const clkfac_device_info *clkfac_context_device(const clkfac_context *ctx);
cl_context clkfac_context_cl(const clkfac_context *ctx);
cl_command_queue clkfac_context_queue(const clkfac_context *ctx);

/* Waits for all enqueued work (a blocking call; counted). */
clkfac_status clkfac_context_finish(clkfac_context *ctx);

/* Number of blocking host calls (finish, reads, writes, health checks) made on this context. */
uint64_t clkfac_context_blocking_calls(const clkfac_context *ctx);

/* Builds every kernel program now (from the disk cache when it holds them). *seconds gets the
 * wall time taken (may be NULL). Used to report cold vs warm start. */
clkfac_status clkfac_context_build_all(clkfac_context *ctx, double *seconds);

/* Extra OpenCL build options for one kernel program, named by its file in cl/ without ".cl"
 * ("heads", "chol", ...), e.g. "-DHEADS_WG=128" to override a kernel tunable (each is
 * `#ifndef NAME / #define NAME default / #endif` in its file): appended to the fixed options and
 * part of the program-binary cache key. Must be called before the program is built (its first
 * kernel use or clkfac_context_build_all), else CLKFAC_ERR_INVALID_ARG; replaces options set
 * before; NULL or "" clears them. An unknown program name fails listing the known ones. */
clkfac_status clkfac_context_set_program_options(clkfac_context *ctx, const char *program,
                                                 const char *options);

/* Device health flags: kernels that find NaN/Inf or a non-positive pivot raise a flag on the
 * device instead of writing bad values. This reads and clears the flags (blocking) and returns
 * CLKFAC_ERR_NONFINITE or CLKFAC_ERR_NOT_SPD with detail when one was raised, else CLKFAC_OK. */
clkfac_status clkfac_context_check(clkfac_context *ctx);

#define CLKFAC_HEALTH_NONFINITE 1u  /* NaN or Inf seen in an input that was checked */
#define CLKFAC_HEALTH_NOT_SPD 2u    /* a Cholesky pivot was <= 0 (or not finite) */

/* ---- profiling ---------------------------------------------------------------------------
 * While recording, every kernel and CLBlast call enqueued on the context keeps its event under
 * the current phase label; clkfac_profile_collect waits and returns the summed device time per
 * phase. Labels are copied; at most CLKFAC_PROFILE_MAX_PHASES distinct ones. */
#define CLKFAC_PROFILE_MAX_PHASES 32

typedef struct clkfac_profile_entry {
    char phase[32];
    double seconds;     /* sum of (end - start) of the phase's commands */
    unsigned commands;  /* number of enqueued commands */
    /* the launch budget of the phase, counted as commands are enqueued (timed or not): */
    unsigned kernels;   /* clkfac's own kernel launches */
    unsigned blas;      /* BLAS calls: CLBlast routines (each may launch a few kernels) ... */
    unsigned host_blas; /* ... of which host-BLAS native kernels (CLKFAC_BLAS=host) */
    unsigned transfers; /* host <-> device reads and writes */
    unsigned copies;    /* device-side fills and copies */
    uint64_t bytes;     /* bytes moved by the transfers */
} clkfac_profile_entry;

void clkfac_profile_begin(clkfac_context *ctx);              /* clears and starts recording */
void clkfac_profile_phase(clkfac_context *ctx, const char *label);
/* Stops recording; fills up to cap entries (in first-seen order) and sets *n. Blocking. */
clkfac_status clkfac_profile_collect(clkfac_context *ctx, clkfac_profile_entry *entries,
                                     size_t cap, size_t *n);

/* ---- buffers (float32) ------------------------------------------------------------------- */
/* Bytes of the largest buffer clkfac_buffer_create made on ctx since the previous call (or
 * the context's creation); restarts the count. Against info.max_alloc, what a workload needs
 * of CL_DEVICE_MAX_MEM_ALLOC_SIZE (CLBlast's own temporaries are not included). */
uint64_t clkfac_context_largest_buffer(clkfac_context *ctx);
clkfac_status clkfac_buffer_create(cl_mem *out, clkfac_context *ctx, size_t n_floats);
void clkfac_buffer_free(cl_mem buf);
/* Blocking copies of n floats at element offset off. */
clkfac_status clkfac_buffer_write(clkfac_context *ctx, cl_mem buf, size_t off, const float *src,
                                  size_t n);
clkfac_status clkfac_buffer_read(clkfac_context *ctx, cl_mem buf, size_t off, float *dst,
                                 size_t n);
/* Non-blocking write of n floats: src must stay unchanged until a later blocking call on the
 * context (a read, finish or check) has returned. Not counted as a blocking call. */
clkfac_status clkfac_buffer_write_async(clkfac_context *ctx, cl_mem buf, size_t off,
                                        const float *src, size_t n);
/* Non-blocking read of n floats: dst holds them once a later blocking call on the context (a
 * read, finish or check) has returned. Not counted as a blocking call. */
clkfac_status clkfac_buffer_read_async(clkfac_context *ctx, cl_mem buf, size_t off, float *dst,
                                       size_t n);
/* Sets n floats at off to value (asynchronous). */
clkfac_status clkfac_buffer_fill(clkfac_context *ctx, cl_mem buf, size_t off, float value,
                                 size_t n);
/* Copies n floats (asynchronous). */
clkfac_status clkfac_buffer_copy(clkfac_context *ctx, cl_mem src, size_t src_off, cl_mem dst,
                                 size_t dst_off, size_t n);

#ifdef __cplusplus
}
#endif
#endif
