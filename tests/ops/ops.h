/* One description per K-FAC and linear-algebra op of the public API (kfac.h, linalg.h): the
 * sizes of its operands for a shape, how to run it on a device, its double-precision CPU
 * reference (tests/ref/), its flops and bytes, its tolerance and what a NaN input must do.
 * tests/test_ops.c checks every op over many shapes from it; `clkfac bench kfac` times network
 * layers with it. Uses only the public API and the references: no cmocka, no library internals. */
#ifndef CLKFAC_TEST_OPS_H
#define CLKFAC_TEST_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "clkfac/clkfac.h"

enum { OPS_MAX_ARGS = 6 };

/* The parameters of one call. Like CLBlast's Arguments, one struct serves every op: each op's
 * description (ops_linalg.c, ops_kfac.c) says which fields it reads; the rest stay 0. */
typedef struct ops_shape {
    size_t m, n, k;          /* sizes (GEMM m n k; vectors n; Gram rows m, cols n; factors ...) */
    size_t pad;              /* extra leading-dimension floats (ld = cols + pad) */
    clkfac_conv_geom conv;   /* patches and conv factors */
    int variant;             /* op-specific choice, e.g. GEMM transposes or which outputs */
    int algo;                /* clkfac_gram_algo for the factor ops */
    int bias;                /* dense factors: homogeneous coordinate */
    unsigned stride;         /* Gram row subsampling (0 and 1: every row) */
    float alpha, beta;       /* GEMM, Gram, axpy/scal, ratio c, scale_by */
    float lambda;            /* damping (Tikhonov, eigen preconditioning); spd_inverse gamma */
    float eta, kl_clip;      /* trust region */
    float decay;             /* EMA decay; cold/count: the running average's state before */
    unsigned cold, count;
    double cond;             /* condition number of generated SPD inputs (spd_inverse) */
} ops_shape;

typedef enum ops_role {
    OPS_IN = 0,     /* read only: must be unchanged after the call */
    OPS_OUT = 1,    /* written in full (test_ops starts it as NaN), checked against the reference */
    OPS_INOUT = 2   /* initialised by the op's init, then checked */
} ops_role;

typedef struct ops_arg {
    const char *name;
    size_t n;        /* floats; 0: unused for this shape (passed as NULL) */
    ops_role role;
} ops_arg;

typedef struct ops_sizes {
    ops_arg arg[OPS_MAX_ARGS];
    int n_args;
    double flops;    /* nominal floating-point operations of one call */
    double bytes;    /* nominal device memory traffic: inputs read once, outputs written once */
} ops_sizes;

/* One call's operands: device buffers with element offsets, and host copies (inputs as
 * uploaded; outputs as downloaded). */
typedef struct ops_data {
    cl_mem mem[OPS_MAX_ARGS];
    size_t off[OPS_MAX_ARGS];
    float *host[OPS_MAX_ARGS];
} ops_data;

/* What a non-finite input must do (checked with a NaN, or +Inf, put into arg `poison_arg`). */
typedef enum ops_nonfinite {
    OPS_NF_UNTESTED = 0,   /* no poisoned run */
    OPS_NF_PROPAGATE = 1,  /* the reference sees the same input: NaN/Inf positions must agree */
    OPS_NF_KEEP = 2        /* the outputs keep what they held before the call */
} ops_nonfinite;

typedef struct ops_op {
    const char *name;
    const char *api;         /* the public call(s) it runs */
    /* Operand sizes, flops and bytes for a shape into a zeroed s; non-zero when the shape is
     * invalid for the op. */
    int (*sizes)(ops_sizes *s, const ops_shape *sh);
    /* Fills host[i] of every IN and INOUT arg with the op's input distribution (seeded). */
    void (*init)(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed);
    /* Enqueues the op on the device. */
    clkfac_status (*run)(clkfac_context *ctx, const ops_shape *sh, const ops_data *d);
    /* out[i] (allocated for OUT and INOUT args, NULL for inputs) from the inputs in host[]. */
    void (*ref)(double *const *out, float *const *host, const ops_shape *sh);
    /* Normalized error bound sum (got - ref)^2 / sum ref^2 per output; tol_of overrides it
     * when the bound depends on the shape (conditioning). 0: exact. */
    double tol;
    double (*tol_of)(const ops_shape *sh);
    /* Optional extra property check; returns 0, or non-zero with a message in msg. got[i] holds
     * the downloaded outputs, host[i] the inputs. */
    int (*check)(char *msg, size_t cap, float *const *got, float *const *host,
                 const ops_shape *sh);
    ops_nonfinite nonfinite;
    int poison_arg;          /* the input that gets the NaN */
    int nonfinite_flag;      /* 1: a non-finite value that reaches an output (or that the op
                                refuses) is reported as CLKFAC_ERR_NONFINITE */
    int blocking;            /* 1: the call may wait for the device (kfac.h says "blocking");
                                0: it only enqueues, making no blocking host call */
} ops_op;

/* The table: linear algebra (ops_linalg.c), then K-FAC (ops_kfac.c), in API order. */
size_t ops_count(void);
const ops_op *ops_get(size_t i);
/* The entry named `name`, or NULL. */
const ops_op *ops_find(const char *name);
extern const ops_op OPS_LINALG[], OPS_KFAC[];
extern const size_t OPS_LINALG_COUNT, OPS_KFAC_COUNT;

/* Engines: ways to create the context every op runs on, one per BLAS engine (CLBlast, the
 * host's CBLAS); another is one line in OPS_ENGINES in ops.c. */
typedef struct ops_engine {
    const char *name;
    /* Adjusts the context options for this engine (device spec already set by the caller). */
    void (*configure)(clkfac_context_options *o);
} ops_engine;
extern const ops_engine OPS_ENGINES[];
extern const size_t OPS_ENGINE_COUNT;

/* Deterministic uniform numbers in scale * [-0.5, 0.5) (an LCG), for inputs and benchmarks. */
void ops_fill_uniform(float *x, size_t n, uint64_t seed, float scale);

/* ---- helpers for the op descriptions (ops_linalg.c, ops_kfac.c) ---- */
/* Appends an operand to s. */
void ops_arg_add(ops_sizes *s, const char *name, size_t n, ops_role role);
/* Every IN/INOUT arg uniform in [-1, 1), seeded per arg: the default init. */
void ops_init_uniform(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed);
/* A double copy of n floats (malloc; aborts when out of memory). */
double *ops_to_double(const float *x, size_t n);
/* q (n, n): a random orthogonal matrix. */
void ops_random_orthogonal(double *q, size_t n, uint64_t seed);

/* Allocates the device buffers of `s` with `lead` floats before and `tail` floats after each
 * operand, all set to `fill`, and uploads host[i] of every IN/INOUT arg (which the caller
 * allocated and initialised) at offset `lead`. On failure frees what it made. */
clkfac_status ops_data_create(ops_data *d, clkfac_context *ctx, const ops_sizes *s, size_t lead,
                              size_t tail, float fill);
/* Frees the device buffers (not the host arrays). */
void ops_data_release(ops_data *d);

#endif
