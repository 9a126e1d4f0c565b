/* Op descriptions of the K-FAC calls in clkfac/kfac.h: patch expansion, the NCHW permute, Gram
 * and homogeneous Gram, conv and dense factors, running averages, factored Tikhonov inverses,
 * the eigen path, preconditioning, the trust region and its device-scalar scale. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "../ref/ref_kfac.h"
#include "../ref/ref_linalg.h"

static clkfac_factor_options factor_opts(const ops_shape *sh)
{
    clkfac_factor_options o = CLKFAC_FACTOR_OPTIONS_INIT;
    o.algo = (clkfac_gram_algo)sh->algo;
    o.row_stride = sh->stride ? sh->stride : 1;
    return o;
}

static size_t rows_used(size_t rows, const ops_shape *sh)
{
    size_t s = sh->stride ? sh->stride : 1;
    return (rows + s - 1) / s;
}

/* Flops of a (cols, cols) Gram over `used` rows: GEMM computes the full square, SYRK one
 * triangle. AUTO is counted as GEMM (the CPU choice). */
static double gram_flops(size_t used, size_t cols, int algo)
{
    double r = (double)used, c = (double)cols;
    return algo == CLKFAC_GRAM_SYRK ? r * c * (c + 1.0) : 2.0 * r * c * c;
}

/* ---- patches: p (N*Ho*Wo, C*kh*kw [+1]) from x (N, C, H, W). Reads conv. --------------------- */

static int patches_sizes(ops_sizes *s, const ops_shape *sh)
{
    size_t rows = clkfac_conv_patch_rows(&sh->conv), cols = clkfac_conv_patch_cols(&sh->conv);
    if (!rows) return -1;
    const clkfac_conv_geom *g = &sh->conv;
    size_t nx = (size_t)g->n * (size_t)g->c * (size_t)g->h * (size_t)g->w;
    ops_arg_add(s, "x", nx, OPS_IN);
    ops_arg_add(s, "P", rows * cols, OPS_OUT);
    s->bytes = 4.0 * ((double)nx + (double)rows * (double)cols);
    return 0;
}

static clkfac_status patches_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_kfac_patches(ctx, &sh->conv, d->mem[0], d->off[0], d->mem[1], d->off[1]);
}

static void patches_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    int ho, wo;
    clkfac_conv_out_size(&ho, &wo, &sh->conv);
    ref_patches(out[1], host[0], &sh->conv, ho, wo);
}

/* ---- NCHW to rows: dst (N*T, K) from src (N, K, T). Reads m = N, n = K, k = T. -------------- */

static int rows_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->m || !sh->n || !sh->k) return -1;
    size_t total = sh->m * sh->n * sh->k;
    ops_arg_add(s, "src", total, OPS_IN);
    ops_arg_add(s, "dst", total, OPS_OUT);
    s->bytes = 8.0 * (double)total;
    return 0;
}

static clkfac_status rows_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_kfac_nchw_to_rows(ctx, sh->m, sh->n, sh->k, d->mem[0], d->off[0], d->mem[1],
                                    d->off[1]);
}

static void rows_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    size_t N = sh->m, K = sh->n, T = sh->k;
    for (size_t n = 0; n < N; n++)
        for (size_t k = 0; k < K; k++)
            for (size_t t = 0; t < T; t++)
                out[1][(n * T + t) * K + k] = host[0][(n * K + k) * T + t];
}

/* ---- Gram: out (n, n) = alpha X^T X, X (m, n) with ld = n + pad. Reads m, n, pad, alpha, algo,
 * stride. Homogeneous: out (n+1, n+1) = alpha [X 1]^T [X 1]. ---------------------------- */

static int gram_sizes_h(ops_sizes *s, const ops_shape *sh, int homogeneous)
{
    if (!sh->m || (!sh->n && !homogeneous)) return -1;
    size_t ld = sh->n + sh->pad, d = sh->n + (size_t)homogeneous;
    ops_arg_add(s, "X", (sh->m - 1) * ld + sh->n + (sh->n ? 0 : 1), OPS_IN);
    ops_arg_add(s, "out", d * d, OPS_OUT);
    size_t used = rows_used(sh->m, sh);
    s->flops = gram_flops(used, sh->n, sh->algo) + (homogeneous ? 2.0 * (double)used * sh->n : 0);
    s->bytes = 4.0 * ((double)used * (double)sh->n + (double)d * (double)d);
    return 0;
}

static int gram_sizes(ops_sizes *s, const ops_shape *sh) { return gram_sizes_h(s, sh, 0); }
static int gramh_sizes(ops_sizes *s, const ops_shape *sh) { return gram_sizes_h(s, sh, 1); }

static clkfac_status gram_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    clkfac_factor_options o = factor_opts(sh);
    return clkfac_kfac_gram(ctx, &o, sh->m, sh->n, sh->n + sh->pad, sh->alpha, d->mem[0],
                            d->off[0], d->mem[1], d->off[1]);
}

static clkfac_status gramh_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    clkfac_factor_options o = factor_opts(sh);
    return clkfac_kfac_gram_homogeneous(ctx, &o, sh->m, sh->n, sh->n + sh->pad, sh->alpha,
                                        d->mem[0], d->off[0], d->mem[1], d->off[1]);
}

static void gram_ref_h(double *out, const float *x, const ops_shape *sh, int homogeneous)
{
    ref_gram_rows(out, x, sh->m, sh->n, sh->n + sh->pad, homogeneous, (double)sh->alpha,
                  sh->stride ? sh->stride : 1);
}

static void gram_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    gram_ref_h(out[1], host[0], sh, 0);
}

static void gramh_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    gram_ref_h(out[1], host[0], sh, 1);
}

/* ---- conv factors: A (D, D) and G (K, K) from x (N, C, H, W) and gy (N, K, Ho, Wo).
 * Reads conv, k = K, algo; variant 1: A only, 2: G only, 0 or 3: both. ---------------------- */

#define WANT_A(sh) ((sh)->variant == 0 || ((sh)->variant & 1))
#define WANT_G(sh) ((sh)->variant == 0 || ((sh)->variant & 2))

static int convf_sizes(ops_sizes *s, const ops_shape *sh)
{
    size_t rows = clkfac_conv_patch_rows(&sh->conv), D = clkfac_conv_patch_cols(&sh->conv);
    if (!rows || !sh->k) return -1;
    const clkfac_conv_geom *g = &sh->conv;
    size_t nx = (size_t)g->n * (size_t)g->c * (size_t)g->h * (size_t)g->w, K = sh->k;
    ops_arg_add(s, "x", nx, OPS_IN);
    ops_arg_add(s, "gy", rows * K, OPS_IN);
    ops_arg_add(s, "A", WANT_A(sh) ? D * D : 0, OPS_OUT);
    ops_arg_add(s, "G", WANT_G(sh) ? K * K : 0, OPS_OUT);
    size_t d0 = D - (size_t)(g->bias ? 1 : 0);
    if (WANT_A(sh)) {
        s->flops += gram_flops(rows, d0, sh->algo) + 2.0 * (double)rows * (double)d0;
        s->bytes += 4.0 * ((double)nx + 2.0 * (double)rows * (double)d0 + (double)D * D);
    }
    if (WANT_G(sh)) {
        s->flops += gram_flops(rows, K, sh->algo);
        s->bytes += 4.0 * (3.0 * (double)rows * (double)K + (double)K * K);
    }
    return 0;
}

static void convf_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    ops_init_uniform(host, s, sh, seed);
    for (size_t i = 0; i < s->arg[1].n; i++) host[1][i] *= 0.3f; /* gradients: smaller */
}

static clkfac_status convf_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    clkfac_factor_options o = factor_opts(sh);
    return clkfac_kfac_conv_factors(ctx, &o, &sh->conv, (int)sh->k, d->mem[0], d->off[0],
                                    d->mem[1], d->off[1], d->mem[2], d->off[2], d->mem[3],
                                    d->off[3]);
}

static void convf_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    size_t D = clkfac_conv_patch_cols(&sh->conv), K = sh->k;
    double *a = malloc(D * D * sizeof *a), *g = malloc(K * K * sizeof *g);
    if (!a || !g) abort();
    ref_conv_factors(a, g, host[0], host[1], &sh->conv, (int)K);
    if (out[2]) memcpy(out[2], a, D * D * sizeof *a);
    if (out[3]) memcpy(out[3], g, K * K * sizeof *g);
    free(a);
    free(g);
}

/* ---- dense factors: A (d+bias, d+bias) from x (N, d), G (K, K) from gy (N, K), both / N.
 * Reads m = N, n = d, k = K, bias, algo, stride; variant as for conv factors. ---------------- */

static int densef_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->m || !sh->n || !sh->k) return -1;
    size_t da = sh->n + (size_t)(sh->bias ? 1 : 0), K = sh->k, used = rows_used(sh->m, sh);
    ops_arg_add(s, "x", sh->m * sh->n, OPS_IN);
    ops_arg_add(s, "gy", sh->m * K, OPS_IN);
    ops_arg_add(s, "A", WANT_A(sh) ? da * da : 0, OPS_OUT);
    ops_arg_add(s, "G", WANT_G(sh) ? K * K : 0, OPS_OUT);
    if (WANT_A(sh)) {
        s->flops += gram_flops(used, sh->n, sh->algo) + (sh->bias ? 2.0 * (double)used * sh->n : 0);
        s->bytes += 4.0 * ((double)used * (double)sh->n + (double)da * da);
    }
    if (WANT_G(sh)) {
        s->flops += gram_flops(used, K, sh->algo);
        s->bytes += 4.0 * ((double)used * (double)K + (double)K * K);
    }
    return 0;
}

static clkfac_status densef_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    clkfac_factor_options o = factor_opts(sh);
    return clkfac_kfac_dense_factors(ctx, &o, sh->m, sh->n, sh->k, sh->bias, d->mem[0], d->off[0],
                                     d->mem[1], d->off[1], d->mem[2], d->off[2], d->mem[3],
                                     d->off[3]);
}

static void densef_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    ops_shape a = *sh;
    a.alpha = (float)(1.0 / (double)sh->m);
    a.pad = 0;
    if (out[2]) gram_ref_h(out[2], host[0], &a, sh->bias ? 1 : 0);
    a.n = sh->k;
    if (out[3]) gram_ref_h(out[3], host[1], &a, 0);
}

/* ---- running average: s (n) <- EMA with s_new (n). Reads n, decay, cold, count (updates
 * already taken: 0 means s holds garbage, NaN here, that must not leak). --------------------- */

static int ema_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->n || !(sh->decay >= 0.0f && sh->decay < 1.0f)) return -1;
    ops_arg_add(s, "S", sh->n, OPS_INOUT);
    ops_arg_add(s, "S_new", sh->n, OPS_IN);
    s->flops = 3.0 * (double)sh->n;
    s->bytes = 12.0 * (double)sh->n;
    return 0;
}

static void ema_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    ops_init_uniform(host, s, sh, seed);
    if (sh->count == 0)
        for (size_t i = 0; i < sh->n; i++) host[0][i] = NAN;
}

static clkfac_status ema_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    clkfac_ema e = {sh->decay, sh->cold, sh->count};
    return clkfac_kfac_ema_update(ctx, &e, sh->n, d->mem[0], d->off[0], d->mem[1], d->off[1]);
}

static void ema_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    unsigned cold = sh->cold ? sh->cold : 1;
    double k = (double)sh->count;
    for (size_t i = 0; i < sh->n; i++) {
        double s = host[0][i], x = host[1][i];
        if (sh->count == 0) out[0][i] = x;
        else if (sh->count < cold) out[0][i] = (k * s + x) / (k + 1.0);
        else out[0][i] = (double)sh->decay * s + (1.0 - (double)sh->decay) * x;
    }
}

/* ---- factored Tikhonov: a_inv = (A + pi sqrt(l) I)^-1, g_inv = (G + sqrt(l)/pi I)^-1.
 * Reads m = da, n = dg, lambda. A and G are Gram matrices of fewer rows than columns (rank-
 * deficient, as from a small batch), so the damping decides the inverse. ------------------- */

static int tik_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->m || !sh->n || !(sh->lambda > 0.0f)) return -1;
    double da = (double)sh->m, dg = (double)sh->n;
    ops_arg_add(s, "A", sh->m * sh->m, OPS_IN);
    ops_arg_add(s, "G", sh->n * sh->n, OPS_IN);
    ops_arg_add(s, "A_inv", sh->m * sh->m, OPS_OUT);
    ops_arg_add(s, "G_inv", sh->n * sh->n, OPS_OUT);
    s->flops = da * da * da + dg * dg * dg; /* nominal n^3 per factor, as for spd_inverse */
    s->bytes = 8.0 * (da * da + dg * dg);
    return 0;
}

/* f (d, d) = scale X^T X / rows for `rows` random rows of d columns. */
static void random_factor(float *f, size_t d, size_t rows, double scale, uint64_t seed)
{
    float *x = malloc(rows * d * sizeof *x);
    if (!x) abort();
    ops_fill_uniform(x, rows * d, seed, 3.4641f); /* unit variance */
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) {
            double acc = 0.0;
            for (size_t r = 0; r < rows; r++) acc += (double)x[r * d + i] * x[r * d + j];
            f[i * d + j] = f[j * d + i] = (float)(scale * acc / (double)rows);
        }
    free(x);
}

static void tik_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    (void)s;
    /* at most 64 rows, so a network-sized factor (`bench kfac`: 3137) is quick to draw */
    random_factor(host[0], sh->m, sh->m / 2 + 1 < 64 ? sh->m / 2 + 1 : 64, 3.0, seed);
    random_factor(host[1], sh->n, sh->n / 3 + 1 < 64 ? sh->n / 3 + 1 : 64, 0.02, seed + 1);
}

static clkfac_status tik_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_kfac_inverse_tikhonov(ctx, sh->m, d->mem[0], d->off[0], sh->n, d->mem[1],
                                        d->off[1], sh->lambda, d->mem[2], d->off[2], d->mem[3],
                                        d->off[3]);
}

static void tik_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    double *a = ops_to_double(host[0], sh->m * sh->m), *g = ops_to_double(host[1], sh->n * sh->n);
    double pi = ref_tikhonov_pi(a, sh->m, g, sh->n), sl = sqrt((double)sh->lambda);
    if (ref_chol_inverse(out[2], a, sh->m, pi * sl) != -1 ||
        ref_chol_inverse(out[3], g, sh->n, sl / pi) != -1)
        abort(); /* damped Gram matrices are SPD */
    free(a);
    free(g);
}

/* ---- preconditioning: v (dg, da) = g_inv dw a_inv. Reads m = dg, n = da. ------------------- */

static int pre_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->m || !sh->n) return -1;
    double dg = (double)sh->m, da = (double)sh->n;
    ops_arg_add(s, "G_inv", sh->m * sh->m, OPS_IN);
    ops_arg_add(s, "A_inv", sh->n * sh->n, OPS_IN);
    ops_arg_add(s, "dW", sh->m * sh->n, OPS_IN);
    ops_arg_add(s, "V", sh->m * sh->n, OPS_OUT);
    s->flops = 2.0 * dg * dg * da + 2.0 * dg * da * da;
    s->bytes = 4.0 * (dg * dg + da * da + 4.0 * dg * da);
    return 0;
}

static clkfac_status pre_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_kfac_precondition(ctx, sh->m, sh->n, d->mem[0], d->off[0], d->mem[1], d->off[1],
                                    d->mem[2], d->off[2], d->mem[3], d->off[3]);
}

static void pre_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    size_t dg = sh->m, da = sh->n;
    double *g = ops_to_double(host[0], dg * dg), *a = ops_to_double(host[1], da * da);
    double *w = ops_to_double(host[2], dg * da), *t = malloc(dg * da * sizeof *t);
    if (!t) abort();
    ref_mat_mul(t, g, w, dg, dg, da);
    ref_mat_mul(out[3], t, a, dg, da, da);
    free(g);
    free(a);
    free(w);
    free(t);
}

/* ---- eigen-damped preconditioning from given bases: v = Q_G [(Q_G^T dw Q_A) ./ (d_G d_A^T +
 * lambda)] Q_A^T. Reads m = dg, n = da, lambda. Q random orthogonal, d positive. -------- */

static int peig_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->m || !sh->n || !(sh->lambda >= 0.0f)) return -1;
    double dg = (double)sh->m, da = (double)sh->n;
    ops_arg_add(s, "Q_G", sh->m * sh->m, OPS_IN);
    ops_arg_add(s, "d_G", sh->m, OPS_IN);
    ops_arg_add(s, "Q_A", sh->n * sh->n, OPS_IN);
    ops_arg_add(s, "d_A", sh->n, OPS_IN);
    ops_arg_add(s, "dW", sh->m * sh->n, OPS_IN);
    ops_arg_add(s, "V", sh->m * sh->n, OPS_OUT);
    s->flops = 4.0 * dg * dg * da + 4.0 * dg * da * da + 2.0 * dg * da;
    s->bytes = 4.0 * (2.0 * dg * dg + 2.0 * da * da + 10.0 * dg * da);
    return 0;
}

static void peig_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    ops_init_uniform(host, s, sh, seed);
    for (int f = 0; f < 2; f++) {
        size_t n = f ? sh->n : sh->m;
        double *q = malloc(n * n * sizeof *q);
        if (!q) abort();
        ops_random_orthogonal(q, n, seed + 7u * (uint64_t)f);
        for (size_t i = 0; i < n * n; i++) host[2 * f][i] = (float)q[i];
        for (size_t i = 0; i < n; i++) host[2 * f + 1][i] = 0.01f + host[2 * f + 1][i] + 1.0f;
        free(q);
    }
}

static clkfac_status peig_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_kfac_precondition_eigen(ctx, sh->m, sh->n, d->mem[0], d->off[0], d->mem[1],
                                          d->off[1], d->mem[2], d->off[2], d->mem[3], d->off[3],
                                          sh->lambda, d->mem[4], d->off[4], d->mem[5], d->off[5]);
}

static void peig_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    size_t dg = sh->m, da = sh->n;
    double *in[5];
    const size_t n[5] = {dg * dg, dg, da * da, da, dg * da};
    for (int i = 0; i < 5; i++) in[i] = ops_to_double(host[i], n[i]);
    ref_eig_precondition(out[5], in[0], in[1], in[2], in[3], (double)sh->lambda, in[4], dg, da);
    for (int i = 0; i < 5; i++) free(in[i]);
}

/* ---- the eigen path: clkfac_kfac_eigen of A and G (clip 0), then precondition_eigen. Its
 * reference needs no eigensolver: with nothing clipped V solves G V A + lambda V = dW, i.e.
 * vec(V) = (G (x) A + lambda I)^-1 vec(dW) (row-major vec), solved in double. Reads m = dg,
 * n = da (dg * da <= ~2000: the reference is cubic in it), lambda. --------------------------- */

static int epath_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->m || !sh->n || !(sh->lambda > 0.0f)) return -1;
    double dg = (double)sh->m, da = (double)sh->n;
    ops_arg_add(s, "A", sh->n * sh->n, OPS_IN);
    ops_arg_add(s, "G", sh->m * sh->m, OPS_IN);
    ops_arg_add(s, "dW", sh->m * sh->n, OPS_IN);
    ops_arg_add(s, "V", sh->m * sh->n, OPS_OUT);
    /* dsyevd ~ 9 n^3 (vectors) per factor on the host, then the four GEMMs */
    s->flops = 9.0 * (da * da * da + dg * dg * dg) + 4.0 * dg * da * (dg + da);
    s->bytes = 4.0 * (3.0 * (da * da + dg * dg) + 10.0 * dg * da);
    return 0;
}

static void epath_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    ops_init_uniform(host, s, sh, seed);
    random_factor(host[0], sh->n, sh->n + 5, 1.0, seed + 1); /* full rank: nothing clipped */
    random_factor(host[1], sh->m, sh->m + 5, 0.5, seed + 2);
}

static clkfac_status epath_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    size_t dg = sh->m, da = sh->n;
    cl_mem q = NULL, e = NULL;
    clkfac_status st;
    /* one buffer for both bases, one for both spectra: Q_A at 0, Q_G after it */
    if (!(st = clkfac_buffer_create(&q, ctx, da * da + dg * dg)) &&
        !(st = clkfac_buffer_create(&e, ctx, da + dg)) &&
        !(st = clkfac_kfac_eigen(ctx, da, d->mem[0], d->off[0], 0.0f, q, 0, e, 0)) &&
        !(st = clkfac_kfac_eigen(ctx, dg, d->mem[1], d->off[1], 0.0f, q, da * da, e, da)))
        st = clkfac_kfac_precondition_eigen(ctx, dg, da, q, da * da, e, da, q, 0, e, 0,
                                            sh->lambda, d->mem[2], d->off[2], d->mem[3],
                                            d->off[3]);
    if (!st) st = clkfac_context_finish(ctx); /* the temporaries are freed below */
    clkfac_buffer_free(q);
    clkfac_buffer_free(e);
    return st;
}

static void epath_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    size_t dg = sh->m, da = sh->n;
    double *a = ops_to_double(host[0], da * da), *g = ops_to_double(host[1], dg * dg);
    double *w = ops_to_double(host[2], dg * da);
    if (ref_kron_solve(out[3], a, da, g, dg, (double)sh->lambda, w)) abort(); /* PSD + lambda */
    free(a);
    free(g);
    free(w);
}

/* ---- trust region: out = (q, nu), q = eta^2 v.g, nu = min(1, sqrt(kl_clip / q)) (1 when
 * q <= 0; 0 when q is not finite). Reads n, eta, kl_clip. ------------------------------------ */

static int tr_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->n || !(sh->eta > 0.0f) || !(sh->kl_clip > 0.0f)) return -1;
    ops_arg_add(s, "v", sh->n, OPS_IN);
    ops_arg_add(s, "g", sh->n, OPS_IN);
    ops_arg_add(s, "out", 2, OPS_OUT);
    s->flops = 2.0 * (double)sh->n;
    s->bytes = 8.0 * (double)sh->n;
    return 0;
}

/* v and g correlated (v ~ a preconditioned g), so q > 0 and no cancellation */
static void tr_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    ops_init_uniform(host, s, sh, seed);
    for (size_t i = 0; i < sh->n; i++) host[0][i] = 0.5f * host[0][i] + host[1][i];
}

static clkfac_status tr_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_kfac_trust_region(ctx, sh->n, d->mem[0], d->off[0], d->mem[1], d->off[1],
                                    sh->eta, sh->kl_clip, d->mem[2], d->off[2]);
}

static void tr_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    double dot = 0.0;
    for (size_t i = 0; i < sh->n; i++) dot += (double)host[0][i] * host[1][i];
    double q = (double)sh->eta * sh->eta * dot;
    out[2][0] = q;
    out[2][1] = !isfinite(q) ? 0.0 : q > 0.0 ? fmin(1.0, sqrt((double)sh->kl_clip / q)) : 1.0;
}

/* ---- scale by a device scalar: x (n) *= alpha * s[2]. Reads n, alpha. ---------------------- */

static int scale_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->n) return -1;
    ops_arg_add(s, "x", sh->n, OPS_INOUT);
    ops_arg_add(s, "s", 3, OPS_IN);
    s->flops = 2.0 * (double)sh->n;
    s->bytes = 8.0 * (double)sh->n;
    return 0;
}

static clkfac_status scale_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_kfac_scale_by(ctx, sh->n, d->mem[0], d->off[0], sh->alpha, d->mem[1],
                                d->off[1] + 2);
}

static void scale_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    float f = sh->alpha * host[1][2]; /* the kernel forms alpha * s in float */
    for (size_t i = 0; i < sh->n; i++) out[0][i] = (double)f * host[0][i];
}

/* Tolerances (normalized error sum (got - ref)^2 / sum ref^2 per output), about 10-100x above
 * the worst measured on PoCL (test_ops prints it):
 * - copies (patches, permute) exact;
 * - Gram and dense factors 1e-10: float sums over up to ~10^4 rows (measured 2.2e-12); conv
 *   factors 1e-11 (fewer rows in the cases here; measured 8.8e-14);
 * - EMA, scale 1e-13: two roundings per element (measured 2e-15);
 * - Tikhonov 1e-10: damped factors of condition below ~1e3 (measured 1e-12);
 * - preconditioning 1e-11: two GEMMs; from given eigenbases 1e-11: four GEMMs and a divide
 *   (measured 9e-14 and 1.1e-13);
 * - eigen path 1e-12: float eigenbases through a system of condition ~1e2 (measured 5.5e-14);
 * - trust region 1e-12: a dot product of correlated vectors (measured 6.9e-15). */
const ops_op OPS_KFAC[] = {
    {"patches", "clkfac_kfac_patches", patches_sizes, ops_init_uniform, patches_run, patches_ref,
     0.0, NULL, NULL, OPS_NF_PROPAGATE, 0, 0, 0},
    {"nchw_to_rows", "clkfac_kfac_nchw_to_rows", rows_sizes, ops_init_uniform, rows_run, rows_ref,
     0.0, NULL, NULL, OPS_NF_PROPAGATE, 0, 0, 0},
    {"gram", "clkfac_kfac_gram", gram_sizes, ops_init_uniform, gram_run, gram_ref, 1e-10, NULL,
     NULL, OPS_NF_PROPAGATE, 0, 0, 0},
    {"gram_homogeneous", "clkfac_kfac_gram_homogeneous", gramh_sizes, ops_init_uniform,
     gramh_run, gramh_ref, 1e-10, NULL, NULL, OPS_NF_PROPAGATE, 0, 0, 0},
    {"conv_factors", "clkfac_kfac_conv_factors", convf_sizes, convf_init, convf_run, convf_ref,
     1e-11, NULL, NULL, OPS_NF_PROPAGATE, 0, 1, 0},
    {"dense_factors", "clkfac_kfac_dense_factors", densef_sizes, convf_init, densef_run,
     densef_ref, 1e-10, NULL, NULL, OPS_NF_PROPAGATE, 1, 1, 0},
    {"ema", "clkfac_kfac_ema_update", ema_sizes, ema_init, ema_run, ema_ref, 1e-13, NULL, NULL,
     OPS_NF_KEEP, 1, 1, 0},
    {"tikhonov", "clkfac_kfac_inverse_tikhonov", tik_sizes, tik_init, tik_run, tik_ref, 1e-10,
     NULL, NULL, OPS_NF_KEEP, 0, 1, 0},
    {"precondition", "clkfac_kfac_precondition", pre_sizes, ops_init_uniform, pre_run, pre_ref,
     1e-11, NULL, NULL, OPS_NF_PROPAGATE, 2, 0, 0},
    {"precondition_eigen", "clkfac_kfac_precondition_eigen", peig_sizes, peig_init, peig_run,
     peig_ref, 1e-11, NULL, NULL, OPS_NF_KEEP, 4, 1, 0},
    {"eigen_path", "clkfac_kfac_eigen + clkfac_kfac_precondition_eigen", epath_sizes, epath_init,
     epath_run, epath_ref, 1e-12, NULL, NULL, OPS_NF_KEEP, 0, 1, 1},
    {"trust_region", "clkfac_kfac_trust_region", tr_sizes, tr_init, tr_run, tr_ref, 1e-12, NULL,
     NULL, OPS_NF_PROPAGATE, 1, 1, 0},
    {"scale_by", "clkfac_kfac_scale_by", scale_sizes, ops_init_uniform, scale_run, scale_ref,
     1e-13, NULL, NULL, OPS_NF_PROPAGATE, 0, 0, 0},
};
const size_t OPS_KFAC_COUNT = sizeof OPS_KFAC / sizeof OPS_KFAC[0];
