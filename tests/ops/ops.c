/* The op table's shared parts: lookup over the linalg and K-FAC halves, the engines, seeded
 * inputs, and the device operands (buffers with guard regions) every op runs on. */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ref/ref_linalg.h"

size_t ops_count(void) { return OPS_LINALG_COUNT + OPS_KFAC_COUNT; }

const ops_op *ops_get(size_t i)
{
    if (i < OPS_LINALG_COUNT) return &OPS_LINALG[i];
    i -= OPS_LINALG_COUNT;
    return i < OPS_KFAC_COUNT ? &OPS_KFAC[i] : NULL;
}

const ops_op *ops_find(const char *name)
{
    for (size_t i = 0; i < ops_count(); i++)
        if (!strcmp(ops_get(i)->name, name)) return ops_get(i);
    return NULL;
}

/* ---- engines ----------------------------------------------------------------------------- */

static void engine_clblast(clkfac_context_options *o) { o->blas = CLKFAC_BLAS_CLBLAST; }
static void engine_host(clkfac_context_options *o) { o->blas = CLKFAC_BLAS_HOST; }

/* clkfac's kernels with GEMM/SYRK/GEMV on each BLAS engine; a device that cannot run one
 * skips its group with the reason */
const ops_engine OPS_ENGINES[] = {
    {"clblast", engine_clblast}, /* CLBlast's OpenCL kernels */
    {"host", engine_host},       /* the host's CBLAS in the queue (CPU devices) */
};
const size_t OPS_ENGINE_COUNT = sizeof OPS_ENGINES / sizeof OPS_ENGINES[0];

/* ---- inputs -------------------------------------------------------------------------------- */

void ops_fill_uniform(float *x, size_t n, uint64_t seed, float scale)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = scale * ((float)((s >> 40) & 0xffffff) / 16777216.0f - 0.5f);
    }
}

void ops_arg_add(ops_sizes *s, const char *name, size_t n, ops_role role)
{
    if (s->n_args >= OPS_MAX_ARGS) abort(); /* a description with too many operands */
    ops_arg a = {name, n, role};
    s->arg[s->n_args++] = a;
}

void ops_init_uniform(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    (void)sh;
    for (int i = 0; i < s->n_args; i++)
        if (s->arg[i].role != OPS_OUT && host[i])
            ops_fill_uniform(host[i], s->arg[i].n, seed + 101u * (uint64_t)i, 2.0f);
}

double *ops_to_double(const float *x, size_t n)
{
    double *d = malloc((n ? n : 1) * sizeof *d);
    if (!d) abort();
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

void ops_random_orthogonal(double *q, size_t n, uint64_t seed)
{
    float *f = malloc(n * n * sizeof *f);
    if (!f) abort();
    do {
        ops_fill_uniform(f, n * n, seed++, 2.0f);
        for (size_t i = 0; i < n * n; i++) q[i] = f[i];
    } while (ref_orthonormalize(q, n) != 0);
    free(f);
}

/* ---- device operands ----------------------------------------------------------------------- */

clkfac_status ops_data_create(ops_data *d, clkfac_context *ctx, const ops_sizes *s, size_t lead,
                              size_t tail, float fill)
{
    clkfac_status st = CLKFAC_OK;
    for (int i = 0; i < OPS_MAX_ARGS; i++) {
        d->mem[i] = NULL;
        d->off[i] = lead;
    }
    for (int i = 0; i < s->n_args && !st; i++) {
        size_t n = s->arg[i].n;
        if (!n) continue;
        if ((st = clkfac_buffer_create(&d->mem[i], ctx, lead + n + tail)) ||
            (st = clkfac_buffer_fill(ctx, d->mem[i], 0, fill, lead + n + tail)))
            break;
        if (s->arg[i].role != OPS_OUT && d->host[i])
            st = clkfac_buffer_write(ctx, d->mem[i], lead, d->host[i], n);
    }
    if (st) ops_data_release(d);
    return st;
}

void ops_data_release(ops_data *d)
{
    for (int i = 0; i < OPS_MAX_ARGS; i++) {
        clkfac_buffer_free(d->mem[i]);
        d->mem[i] = NULL;
    }
}
