/* Op descriptions of the linear algebra in clkfac/linalg.h (GEMM, the flat-vector ops and the
 * ratio forms CG uses) and the device Cholesky inverse clkfac_linalg_spd_inverse. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "../ref/ref_linalg.h"

#define EPS_F ((double)FLT_EPSILON)

/* ---- GEMM: C (m, n) = alpha op(A) op(B) + beta C -------------------------------------------
 * Reads m, n, k, pad (every leading dimension is its stored width + pad), variant (bit 0:
 * A transposed, bit 1: B transposed), alpha, beta. C is INOUT; with beta = 0 it starts as NaN,
 * which must not leak into the result (BLAS: C is not read). */

#define GEMM_TA(sh) ((sh)->variant & 1)
#define GEMM_TB(sh) (((sh)->variant >> 1) & 1)

static void gemm_dims(const ops_shape *sh, size_t *ar, size_t *lda, size_t *br, size_t *ldb,
                      size_t *ldc)
{
    *ar = GEMM_TA(sh) ? sh->k : sh->m;
    *lda = (GEMM_TA(sh) ? sh->m : sh->k) + sh->pad;
    *br = GEMM_TB(sh) ? sh->n : sh->k;
    *ldb = (GEMM_TB(sh) ? sh->k : sh->n) + sh->pad;
    *ldc = sh->n + sh->pad;
}

static int gemm_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->m || !sh->n || !sh->k) return -1;
    size_t ar, lda, br, ldb, ldc;
    gemm_dims(sh, &ar, &lda, &br, &ldb, &ldc);
    ops_arg_add(s, "A", ar * lda, OPS_IN);
    ops_arg_add(s, "B", br * ldb, OPS_IN);
    ops_arg_add(s, "C", (sh->m - 1) * ldc + sh->n, OPS_INOUT);
    double m = (double)sh->m, n = (double)sh->n, k = (double)sh->k;
    s->flops = 2.0 * m * n * k;
    s->bytes = 4.0 * (m * k + k * n + (sh->beta != 0.0f ? 2.0 : 1.0) * m * n);
    return 0;
}

static void gemm_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    ops_init_uniform(host, s, sh, seed);
    if (sh->beta == 0.0f)
        for (size_t i = 0; i < s->arg[2].n; i++) host[2][i] = NAN;
}

static clkfac_status gemm_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    size_t ar, lda, br, ldb, ldc;
    gemm_dims(sh, &ar, &lda, &br, &ldb, &ldc);
    return clkfac_linalg_gemm(ctx, GEMM_TA(sh), GEMM_TB(sh), sh->m, sh->n, sh->k, sh->alpha,
                              d->mem[0], d->off[0], lda, d->mem[1], d->off[1], ldb, sh->beta,
                              d->mem[2], d->off[2], ldc);
}

static void gemm_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    size_t ar, lda, br, ldb, ldc;
    gemm_dims(sh, &ar, &lda, &br, &ldb, &ldc);
    const float *a = host[0], *b = host[1], *c = host[2];
    double *o = out[2];
    for (size_t i = 0; i < (sh->m - 1) * ldc + sh->n; i++) o[i] = c[i]; /* padding kept */
    for (size_t i = 0; i < sh->m; i++)
        for (size_t j = 0; j < sh->n; j++) {
            double acc = 0.0;
            for (size_t l = 0; l < sh->k; l++) {
                double av = GEMM_TA(sh) ? a[l * lda + i] : a[i * lda + l];
                double bv = GEMM_TB(sh) ? b[j * ldb + l] : b[l * ldb + j];
                acc += av * bv;
            }
            double prev = sh->beta != 0.0f ? (double)sh->beta * c[i * ldc + j] : 0.0;
            o[i * ldc + j] = (double)sh->alpha * acc + prev;
        }
}

/* ---- flat vectors (n) ------------------------------------------------------------------------ */

/* Inputs for the reductions: uniform around 0.25, so a dot product has no catastrophic
 * cancellation and a relative bound is meaningful. */
static void vec_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    ops_init_uniform(host, s, sh, seed);
    for (int i = 0; i < s->n_args; i++)
        if (s->arg[i].role != OPS_OUT)
            for (size_t j = 0; j < s->arg[i].n; j++) host[i][j] += 0.25f;
}

static int dot_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->n) return -1;
    ops_arg_add(s, "x", sh->n, OPS_IN);
    ops_arg_add(s, "y", sh->n, OPS_IN);
    ops_arg_add(s, "out", 1, OPS_OUT);
    s->flops = 2.0 * (double)sh->n;
    s->bytes = 8.0 * (double)sh->n + 4.0;
    return 0;
}

static clkfac_status dot_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_linalg_dot(ctx, sh->n, d->mem[0], d->off[0], d->mem[1], d->off[1], d->mem[2],
                             d->off[2]);
}

static void dot_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    double acc = 0.0;
    for (size_t i = 0; i < sh->n; i++) acc += (double)host[0][i] * host[1][i];
    out[2][0] = acc;
}

static int nrm2_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->n) return -1;
    ops_arg_add(s, "x", sh->n, OPS_IN);
    ops_arg_add(s, "out", 1, OPS_OUT);
    s->flops = 2.0 * (double)sh->n;
    s->bytes = 4.0 * (double)sh->n + 4.0;
    return 0;
}

static clkfac_status nrm2_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_linalg_nrm2(ctx, sh->n, d->mem[0], d->off[0], d->mem[1], d->off[1]);
}

static void nrm2_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    double acc = 0.0;
    for (size_t i = 0; i < sh->n; i++) acc += (double)host[0][i] * host[0][i];
    out[1][0] = sqrt(acc);
}

/* x (IN) and y (INOUT) of n: axpy, copy */
static int xy_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->n) return -1;
    ops_arg_add(s, "x", sh->n, OPS_IN);
    ops_arg_add(s, "y", sh->n, OPS_INOUT);
    s->flops = 2.0 * (double)sh->n;
    s->bytes = 12.0 * (double)sh->n;
    return 0;
}

static clkfac_status axpy_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_linalg_axpy(ctx, sh->n, sh->alpha, d->mem[0], d->off[0], d->mem[1], d->off[1]);
}

static void axpy_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    for (size_t i = 0; i < sh->n; i++)
        out[1][i] = (double)host[1][i] + (double)sh->alpha * host[0][i];
}

static clkfac_status copy_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_linalg_copy(ctx, sh->n, d->mem[0], d->off[0], d->mem[1], d->off[1]);
}

static void copy_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    for (size_t i = 0; i < sh->n; i++) out[1][i] = host[0][i];
}

static int scal_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->n) return -1;
    ops_arg_add(s, "x", sh->n, OPS_INOUT);
    s->flops = (double)sh->n;
    s->bytes = 8.0 * (double)sh->n;
    return 0;
}

static clkfac_status scal_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_linalg_scal(ctx, sh->n, sh->alpha, d->mem[0], d->off[0]);
}

static void scal_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    for (size_t i = 0; i < sh->n; i++) out[0][i] = (double)sh->alpha * host[0][i];
}

/* ---- ratio forms: the coefficient q = s[num] / s[den] read on the device ----------------------
 * s holds 4 scalars; variant 0: q = s[1] / s[3]; 1: q = s[1] alone (CLKFAC_LINALG_NO_DEN);
 * 2: s[1] = s[3] = 0, so q = 0/0 = NaN, which counts as 0 (a converged CG stops moving). */

static int ratio_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->n || sh->variant < 0 || sh->variant > 2) return -1;
    ops_arg_add(s, "s", 4, OPS_IN);
    ops_arg_add(s, "x", sh->n, OPS_IN);
    ops_arg_add(s, "y", sh->n, OPS_INOUT);
    s->flops = 2.0 * (double)sh->n;
    s->bytes = 12.0 * (double)sh->n;
    return 0;
}

static void ratio_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    ops_init_uniform(host, s, sh, seed);
    host[0][0] = 7.0f;
    host[0][1] = sh->variant == 2 ? 0.0f : 0.75f;
    host[0][2] = -7.0f;
    host[0][3] = sh->variant == 2 ? 0.0f : -2.5f;
}

static size_t ratio_den(const ops_shape *sh) { return sh->variant == 1 ? CLKFAC_LINALG_NO_DEN : 3; }

static double ratio_q(const float *s, const ops_shape *sh)
{
    double q = sh->variant == 1 ? (double)s[1] : (double)s[1] / (double)s[3];
    return isfinite(q) ? q : 0.0;
}

static clkfac_status axpy_ratio_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_linalg_axpy_ratio(ctx, sh->n, sh->alpha, d->mem[0], d->off[0] + 1,
                                    ratio_den(sh) == 3 ? d->off[0] + 3 : CLKFAC_LINALG_NO_DEN,
                                    d->mem[1], d->off[1], d->mem[2], d->off[2]);
}

static void axpy_ratio_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    double q = ratio_q(host[0], sh);
    for (size_t i = 0; i < sh->n; i++)
        out[2][i] = (double)host[2][i] + (double)sh->alpha * q * host[1][i];
}

static clkfac_status xpay_ratio_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_linalg_xpay_ratio(ctx, sh->n, d->mem[0], d->off[0] + 1,
                                    ratio_den(sh) == 3 ? d->off[0] + 3 : CLKFAC_LINALG_NO_DEN,
                                    d->mem[1], d->off[1], d->mem[2], d->off[2]);
}

static void xpay_ratio_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    double q = ratio_q(host[0], sh);
    for (size_t i = 0; i < sh->n; i++) out[2][i] = (double)host[1][i] + q * host[2][i];
}

/* ---- SPD inverse: out (n, n) = (S + gamma I)^-1 ----------------------------------------------
 * Reads n, cond, lambda (= gamma). S is symmetric with S + gamma I having eigenvalues
 * log-spaced over [1, cond]; gamma comes from the device scalar g[0] = 2 gamma scaled by 0.5. */

static int spd_sizes(ops_sizes *s, const ops_shape *sh)
{
    if (!sh->n || !(sh->cond >= 1.0)) return -1;
    ops_arg_add(s, "S", sh->n * sh->n, OPS_IN);
    ops_arg_add(s, "gamma", 1, OPS_IN);
    ops_arg_add(s, "X", sh->n * sh->n, OPS_OUT);
    double n = (double)sh->n;
    s->flops = n * n * n; /* nominal: Cholesky, triangular inverse and product, n^3/3 each */
    s->bytes = 8.0 * n * n;
    return 0;
}

static void spd_init(float *const *host, const ops_sizes *s, const ops_shape *sh, uint64_t seed)
{
    (void)s;
    size_t n = sh->n;
    double *q = malloc(n * n * sizeof *q), *d = malloc(n * sizeof *d);
    double *m = malloc(n * n * sizeof *m);
    if (!q || !d || !m) abort();
    ops_random_orthogonal(q, n, seed);
    for (size_t i = 0; i < n; i++)
        d[i] = (n > 1 ? pow(sh->cond, (double)i / (double)(n - 1)) : 1.0) - (double)sh->lambda;
    ref_sym_from_spectrum(m, q, d, n);
    for (size_t i = 0; i < n * n; i++) host[0][i] = (float)m[i];
    host[1][0] = 2.0f * sh->lambda;
    free(q);
    free(d);
    free(m);
}

static clkfac_status spd_run(clkfac_context *ctx, const ops_shape *sh, const ops_data *d)
{
    return clkfac_linalg_spd_inverse(ctx, sh->n, d->mem[0], d->off[0], d->mem[1], d->off[1], 0.5f,
                                     d->mem[2], d->off[2]);
}

static void spd_ref(double *const *out, float *const *host, const ops_shape *sh)
{
    double *sd = ops_to_double(host[0], sh->n * sh->n);
    if (ref_chol_inverse(out[2], sd, sh->n, (double)sh->lambda) != -1)
        for (size_t i = 0; i < sh->n * sh->n; i++) out[2][i] = NAN; /* not SPD: never agrees */
    free(sd);
}

/* Forward error against the double inverse of the same float S: sqrt(normalized error) <=
 * 2 eps_f cond, the first-order perturbation bound (measured up to 0.19 of it). */
static double spd_tol(const ops_shape *sh)
{
    double b = 2.0 * EPS_F * sh->cond;
    return b * b;
}

/* Residual max|(S + gamma I) X - I| <= sqrt(n) eps_f cond (a backward-stable float inverse;
 * measured up to 0.15 of it), and X exactly symmetric. */
static int spd_check(char *msg, size_t cap, float *const *got, float *const *host,
                     const ops_shape *sh)
{
    size_t n = sh->n;
    const float *x = got[2];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (x[i * n + j] != x[j * n + i]) {
                snprintf(msg, cap, "X[%zu][%zu] = %g != X[%zu][%zu] = %g (not symmetric)", i, j,
                         (double)x[i * n + j], j, i, (double)x[j * n + i]);
                return 1;
            }
    double *sd = ops_to_double(host[0], n * n);
    double resid = ref_inverse_residual(sd, (double)sh->lambda, x, n);
    free(sd);
    double bound = sqrt((double)n) * EPS_F * sh->cond;
    if (!(resid <= bound)) {
        snprintf(msg, cap, "residual max|(S+gI)X-I| = %.3g > %.3g", resid, bound);
        return 1;
    }
    return 0;
}

/* Tolerances are normalized errors sum (got - ref)^2 / sum ref^2 (a squared relative RMS
 * error), set about 10-100x above the worst measured on PoCL (test_ops prints it):
 * - GEMM 1e-11: float sums of k <= 1000 products, relative error ~ sqrt(k) eps_f (measured
 *   8.5e-13);
 * - dot 1e-12, nrm2 1e-13: inputs biased to 0.25, so no cancellation (measured 1.2e-14 and
 *   8.7e-16);
 * - elementwise ops 1e-13: one or two roundings per element (measured 2e-15); copy exact;
 * - spd_inverse: the conditioning bound of spd_tol (measured 0.02 of it). */
const ops_op OPS_LINALG[] = {
    {"gemm", "clkfac_linalg_gemm", gemm_sizes, gemm_init, gemm_run, gemm_ref, 1e-11, NULL, NULL,
     OPS_NF_PROPAGATE, 0, 0, 0},
    {"dot", "clkfac_linalg_dot", dot_sizes, vec_init, dot_run, dot_ref, 1e-12, NULL, NULL,
     OPS_NF_PROPAGATE, 1, 0, 0},
    {"nrm2", "clkfac_linalg_nrm2", nrm2_sizes, vec_init, nrm2_run, nrm2_ref, 1e-13, NULL, NULL,
     OPS_NF_PROPAGATE, 0, 0, 0},
    {"axpy", "clkfac_linalg_axpy", xy_sizes, ops_init_uniform, axpy_run, axpy_ref, 1e-13, NULL,
     NULL, OPS_NF_PROPAGATE, 0, 0, 0},
    {"scal", "clkfac_linalg_scal", scal_sizes, ops_init_uniform, scal_run, scal_ref, 1e-13, NULL,
     NULL, OPS_NF_PROPAGATE, 0, 0, 0},
    {"copy", "clkfac_linalg_copy", xy_sizes, ops_init_uniform, copy_run, copy_ref, 0.0, NULL,
     NULL, OPS_NF_PROPAGATE, 0, 0, 0},
    {"axpy_ratio", "clkfac_linalg_axpy_ratio", ratio_sizes, ratio_init, axpy_ratio_run,
     axpy_ratio_ref, 1e-13, NULL, NULL, OPS_NF_PROPAGATE, 1, 0, 0},
    {"xpay_ratio", "clkfac_linalg_xpay_ratio", ratio_sizes, ratio_init, xpay_ratio_run,
     xpay_ratio_ref, 1e-13, NULL, NULL, OPS_NF_PROPAGATE, 1, 0, 0},
    {"spd_inverse", "clkfac_linalg_spd_inverse", spd_sizes, spd_init, spd_run, spd_ref, 0.0,
     spd_tol, spd_check, OPS_NF_KEEP, 0, 1, 0},
};
const size_t OPS_LINALG_COUNT = sizeof OPS_LINALG / sizeof OPS_LINALG[0];
