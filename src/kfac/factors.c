/* K-FAC factor statistics on the device: conv geometry, KFC patch expansion, Gram matrices by
 * GEMM or SYRK (with row subsampling), conv and dense A/G factors, the guarded running average,
 * the preconditioned gradient and the trust-region scale. Scaling conventions: kfac.h. */
#include <math.h>
#include <string.h>

#include "cl/ocl.h"
#include "clkfac/kfac.h"
#include "linalg/blas.h"
#include "linalg/chol.h"
#include "kfac/hostconv.h"


static clkfac_status check_u32(size_t v, const char *what)
{
    if (v > 0xffffffffu)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s = %zu exceeds the 2^32 element limit of the "
                         "kernels", what, v);
    return CLKFAC_OK;
}

clkfac_status clkfac_conv_out_size(int *h_out, int *w_out, const clkfac_conv_geom *g)
{
    if (!g) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "conv geometry is NULL");
    const struct { const char *name; int v, lo; } f[] = {
        {"batch size n", g->n, 1},     {"channels c", g->c, 1},    {"height h", g->h, 1},
        {"width w", g->w, 1},          {"kernel height kh", g->kh, 1},
        {"kernel width kw", g->kw, 1}, {"stride_h", g->stride_h, 1},
        {"stride_w", g->stride_w, 1},  {"pad_h", g->pad_h, 0},     {"pad_w", g->pad_w, 0},
        {"dil_h", g->dil_h, 1},        {"dil_w", g->dil_w, 1},     {"bias", g->bias, 0},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].v < f[i].lo)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "conv %s = %d; expected >= %d", f[i].name,
                             f[i].v, f[i].lo);
    if (g->bias > 1)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "conv bias = %d; expected 0 or 1", g->bias);
    long eh = (long)g->dil_h * (g->kh - 1) + 1, ew = (long)g->dil_w * (g->kw - 1) + 1;
    long hp = (long)g->h + 2L * g->pad_h, wp = (long)g->w + 2L * g->pad_w;
    if (eh > hp || ew > wp)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "conv kernel %dx%d with dilation %dx%d spans %ldx%ld, larger than the "
                         "padded input %ldx%ld",
                         g->kh, g->kw, g->dil_h, g->dil_w, eh, ew, hp, wp);
    *h_out = (int)((hp - eh) / g->stride_h + 1);
    *w_out = (int)((wp - ew) / g->stride_w + 1);
    return CLKFAC_OK;
}

size_t clkfac_conv_patch_rows(const clkfac_conv_geom *g)
{
    int ho, wo;
    clkfac_status st = clkfac_conv_out_size(&ho, &wo, g);
    return st ? 0 : (size_t)g->n * (size_t)ho * (size_t)wo;
}

size_t clkfac_conv_patch_cols(const clkfac_conv_geom *g)
{
    return (size_t)g->c * (size_t)g->kh * (size_t)g->kw + (size_t)(g->bias ? 1 : 0);
}

clkfac_status clkfac_kfac_patches(clkfac_context *ctx, const clkfac_conv_geom *g, cl_mem x,
                                  size_t x_off, cl_mem p, size_t p_off)
{
    int ho = 0, wo = 0;
    clkfac_status st = clkfac_conv_out_size(&ho, &wo, g);
    if (st) return st;
    size_t rows = clkfac_conv_patch_rows(g), cols = clkfac_conv_patch_cols(g);
    if ((st = check_u32(rows * cols + p_off, "patch matrix size")) ||
        (st = check_u32((size_t)g->n * g->c * g->h * g->w + x_off, "input size")))
        return st;
    if (hostconv_enabled(ctx)) return hostconv_patches(ctx, g, ho, wo, x, x_off, p, p_off);
    return ocl_run(ctx, "kfac", "kfac_patches", OCL_1D(rows * (size_t)g->c, CLKFAC_WG),
                   OCL_ARGS(OCL_M(x), OCL_U(x_off), OCL_M(p), OCL_U(p_off), OCL_I(g->c),
                            OCL_I(g->h), OCL_I(g->w), OCL_I(g->kh), OCL_I(g->kw),
                            OCL_I(g->stride_h), OCL_I(g->stride_w), OCL_I(g->pad_h),
                            OCL_I(g->pad_w), OCL_I(g->dil_h), OCL_I(g->dil_w), OCL_I(ho),
                            OCL_I(wo), OCL_I(g->bias), OCL_U(rows)));
}

clkfac_status clkfac_kfac_nchw_to_rows(clkfac_context *ctx, size_t n, size_t k, size_t t,
                                       cl_mem src, size_t src_off, cl_mem dst, size_t dst_off)
{
    clkfac_status st;
    if ((st = check_u32(n * k * t + src_off + dst_off, "gradient size"))) return st;
    return ocl_run(ctx, "kfac", "kfac_nchw_to_rows", OCL_2D(k, n * t, 0, 0),
                   OCL_ARGS(OCL_M(src), OCL_U(src_off), OCL_M(dst), OCL_U(dst_off), OCL_U(n),
                            OCL_U(k), OCL_U(t)));
}

/* out (cols, cols) with leading dimension ldc = alpha * X^T X over the rows used. */
static clkfac_status gram_ld(clkfac_context *ctx, const clkfac_factor_options *opts, size_t rows,
                             size_t cols, size_t ld, float alpha, cl_mem x, size_t x_off,
                             cl_mem out, size_t out_off, size_t ldc)
{
    clkfac_factor_options defaults = CLKFAC_FACTOR_OPTIONS_INIT;
    if (!opts) opts = &defaults;
    if (opts->version != CLKFAC_FACTOR_OPTIONS_VERSION)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "factor options version %u, expected %u",
                         opts->version, CLKFAC_FACTOR_OPTIONS_VERSION);
    if (rows == 0 || cols == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "Gram matrix of a %zu x %zu matrix; expected "
                         "at least one row and one column", rows, cols);
    if (ld < cols)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "leading dimension %zu < %zu columns", ld, cols);
    size_t stride = opts->row_stride ? opts->row_stride : 1;
    size_t used = (rows + stride - 1) / stride;
    float a = alpha * (float)((double)rows / (double)used);
    clkfac_gram_algo algo = opts->algo;
    const clkfac_device_profile *prof = clkfac_context_profile(ctx);
    if (algo == CLKFAC_GRAM_AUTO) algo = prof->gram_by_gemm ? CLKFAC_GRAM_GEMM : CLKFAC_GRAM_SYRK;
    if (algo == CLKFAC_GRAM_GEMM) {
        /* a tall X^T X as a sum of GEMMs over row blocks where the profile says so (why: see
         * src/cl/profile.c); one call elsewhere */
        size_t block = prof->gram_row_block ? prof->gram_row_block : used;
        if (used < 2 * block) block = used;
        for (size_t r0 = 0; r0 < used; r0 += block) {
            size_t nr = used - r0 < block ? used - r0 : block;
            size_t off = x_off + r0 * ld * stride;
            clkfac_status st = blas_gemm(ctx, BLAS_T, BLAS_N, cols, cols, nr, a, x, off,
                                         ld * stride, x, off, ld * stride, r0 ? 1.0f : 0.0f, out,
                                         out_off, ldc);
            if (st) return st;
        }
        return CLKFAC_OK;
    }
    if (algo != CLKFAC_GRAM_SYRK)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "gram algorithm %d; expected AUTO, GEMM or SYRK",
                         (int)algo);
    clkfac_status st = blas_syrk(ctx, BLAS_UPPER, BLAS_T, cols, used, a, x, x_off, ld * stride,
                                 0.0f, out, out_off, ldc);
    return st ? st : linalg_mirror_upper(ctx, cols, out, out_off, ldc);
}

clkfac_status clkfac_kfac_gram(clkfac_context *ctx, const clkfac_factor_options *opts,
                               size_t rows, size_t cols, size_t ld, float alpha, cl_mem x,
                               size_t x_off, cl_mem out, size_t out_off)
{
    return gram_ld(ctx, opts, rows, cols, ld, alpha, x, x_off, out, out_off, cols);
}

clkfac_status clkfac_kfac_gram_homogeneous(clkfac_context *ctx,
                                           const clkfac_factor_options *opts, size_t rows,
                                           size_t d0, size_t ld, float alpha, cl_mem x,
                                           size_t x_off, cl_mem out, size_t out_off)
{
    size_t D = d0 + 1;
    clkfac_status st;
    if ((st = check_u32(D * D + out_off, "factor size")) ||
        (st = check_u32(rows * ld + x_off, "input size")))
        return st;
    if (d0 > 0 && (st = gram_ld(ctx, opts, rows, d0, ld, alpha, x, x_off, out, out_off, D)))
        return st;
    size_t stride = opts && opts->row_stride ? opts->row_stride : 1;
    size_t used = (rows + stride - 1) / stride;
    float a = alpha * (float)((double)rows / (double)used);
    /* the border: column sums of X as one GEMV against a ones vector (a streaming read of X;
     * a kernel walking each column with stride ld was 4x slower on a CPU), written into the
     * last row; then the last column and the corner */
    cl_mem ones = NULL;
    if ((st = ocl_scratch(ctx, OCL_SCRATCH_KFAC2, used, &ones)) ||
        (st = clkfac_buffer_fill(ctx, ones, 0, 1.0f, used)) ||
        (d0 > 0 && (st = blas_gemv(ctx, BLAS_T, used, d0, a, x, x_off, ld * stride, ones, 0, 1,
                                   0.0f, out, out_off + d0 * D, 1))))
        return st;
    return ocl_run(ctx, "kfac", "kfac_homogeneous_border", OCL_1D(D, CLKFAC_WG),
                   OCL_ARGS(OCL_U(d0), OCL_F(a * (float)used), OCL_M(out), OCL_U(out_off)));
}

clkfac_status clkfac_kfac_conv_factors(clkfac_context *ctx, const clkfac_factor_options *opts,
                                       const clkfac_conv_geom *g, int k, cl_mem x, size_t x_off,
                                       cl_mem gy, size_t gy_off, cl_mem a_out, size_t a_off,
                                       cl_mem g_out, size_t g_off)
{
    int ho = 0, wo = 0;
    clkfac_status st = clkfac_conv_out_size(&ho, &wo, g);
    if (st) return st;
    if (k < 1) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "conv output channels %d; expected >= 1", k);
    size_t rows = clkfac_conv_patch_rows(g), cols = clkfac_conv_patch_cols(g);
    size_t t = (size_t)ho * (size_t)wo;
    cl_mem scratch = NULL;
    if (a_out) {
        if ((st = ocl_scratch(ctx, OCL_SCRATCH_KFAC0, rows * cols, &scratch)) ||
            (st = clkfac_kfac_patches(ctx, g, x, x_off, scratch, 0)) ||
            (st = g->bias ? clkfac_kfac_gram_homogeneous(ctx, opts, rows, cols - 1, cols,
                                                         1.0f / (float)g->n, scratch, 0, a_out,
                                                         a_off)
                          : clkfac_kfac_gram(ctx, opts, rows, cols, cols, 1.0f / (float)g->n,
                                             scratch, 0, a_out, a_off)))
            return st;
    }
    if (g_out) {
        if ((st = ocl_scratch(ctx, OCL_SCRATCH_KFAC1, rows * (size_t)k, &scratch)) ||
            (st = clkfac_kfac_nchw_to_rows(ctx, (size_t)g->n, (size_t)k, t, gy, gy_off, scratch,
                                           0)) ||
            (st = clkfac_kfac_gram(ctx, opts, rows, (size_t)k, (size_t)k,
                                   (float)(1.0 / (double)rows), scratch, 0, g_out, g_off)))
            return st;
    }
    /* NaN/Inf in x or gy shows in the factors: raise the flag for clkfac_context_check */
    if (a_out && (st = linalg_check_finite(ctx, cols * cols, a_out, a_off))) return st;
    if (g_out && (st = linalg_check_finite(ctx, (size_t)k * (size_t)k, g_out, g_off))) return st;
    return CLKFAC_OK;
}

clkfac_status clkfac_kfac_dense_factors(clkfac_context *ctx, const clkfac_factor_options *opts,
                                        size_t n, size_t d, size_t k, int bias, cl_mem x,
                                        size_t x_off, cl_mem gy, size_t gy_off, cl_mem a_out,
                                        size_t a_off, cl_mem g_out, size_t g_off)
{
    if (n == 0 || d == 0 || k == 0 || n > 0x7fffffff || d > 0x7fffffff)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "dense factors with n=%zu, d=%zu, k=%zu; "
                         "expected each in [1, 2^31)", n, d, k);
    clkfac_status st;
    float inv_n = (float)(1.0 / (double)n);
    if (a_out && !bias &&
        (st = clkfac_kfac_gram(ctx, opts, n, d, d, inv_n, x, x_off, a_out, a_off)))
        return st;
    /* the ones column never materializes: its border of A is a column sum */
    if (a_out && bias &&
        (st = clkfac_kfac_gram_homogeneous(ctx, opts, n, d, d, inv_n, x, x_off, a_out, a_off)))
        return st;
    if (g_out && (st = clkfac_kfac_gram(ctx, opts, n, k, k, inv_n, gy, gy_off, g_out, g_off)))
        return st;
    size_t da = d + (bias ? 1 : 0);
    if (a_out && (st = linalg_check_finite(ctx, da * da, a_out, a_off))) return st;
    if (g_out && (st = linalg_check_finite(ctx, k * k, g_out, g_off))) return st;
    return CLKFAC_OK;
}


/* The coefficients (a, b) of S <- a S + b S_new for the state's next update, after checking it
 * and the sizes. */
static clkfac_status ema_coefs(const clkfac_ema *state, size_t n, size_t s_off, size_t new_off,
                               float *a, float *b)
{
    if (!state || !(state->decay >= 0.0f && state->decay < 1.0f))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "EMA decay %g; expected a value in [0, 1)",
                         state ? (double)state->decay : -1.0);
    clkfac_status st;
    if ((st = check_u32(n + s_off + new_off, "running-average size"))) return st;
    uint64_t cold = state->cold_steps ? state->cold_steps : 1;
    if (state->count < cold) {
        /* plain mean of the first `cold` batches: S_k = (k*S_{k-1} + S_new) / (k+1) */
        *a = (float)((double)state->count / (double)(state->count + 1));
        *b = (float)(1.0 / (double)(state->count + 1));
    } else {
        *a = state->decay;
        *b = 1.0f - state->decay;
    }
    return CLKFAC_OK;
}

clkfac_status clkfac_kfac_ema_update_pair(clkfac_context *ctx, const clkfac_ema_target *first,
                                          const clkfac_ema_target *second)
{
    static const char fn[] = "clkfac_kfac_ema_update_pair";
    if (!ctx || !first || !second)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: context or target is NULL", fn);
    const clkfac_ema_target *t[2] = {first, second};
    float a[2], b[2];
    clkfac_status st;
    for (int i = 0; i < 2; i++)
        if ((st = ema_coefs(t[i]->state, t[i]->n, t[i]->s_off, t[i]->new_off, &a[i], &b[i])) ||
            (st = ocl_check_buffer(fn, "s", t[i]->s, t[i]->s_off, t[i]->n)) ||
            (st = ocl_check_buffer(fn, "s_new", t[i]->s_new, t[i]->new_off, t[i]->n)))
            return st;
    const size_t n1 = first->n, n2 = second->n;
    if ((st = check_u32(n1 + n2, "the two running averages' total size"))) return st;
    /* the guard protocol of clkfac_kfac_ema_update over both: reset, check both, then both
     * averages skip if either new value is not finite */
    if ((st = ocl_guard_reset(ctx)) ||
        (st = ocl_run(ctx, "util", "util_check_finite_pair", OCL_1D(n1 + n2, CLKFAC_WG),
                      OCL_ARGS(OCL_U(n1), OCL_M(first->s_new), OCL_U(first->new_off), OCL_U(n2),
                               OCL_M(second->s_new), OCL_U(second->new_off),
                               OCL_M(ctx->health)))) ||
        (st = ocl_run(ctx, "kfac", "kfac_ema_pair", OCL_1D(n1 + n2, CLKFAC_WG),
                      OCL_ARGS(OCL_U(n1), OCL_M(first->s), OCL_U(first->s_off),
                               OCL_M(first->s_new), OCL_U(first->new_off), OCL_F(a[0]),
                               OCL_F(b[0]), OCL_U(n2), OCL_M(second->s), OCL_U(second->s_off),
                               OCL_M(second->s_new), OCL_U(second->new_off), OCL_F(a[1]),
                               OCL_F(b[1]), OCL_M(ctx->health)))))
        return st;
    first->state->count++;
    second->state->count++;
    return CLKFAC_OK;
}

clkfac_status clkfac_kfac_ema_update(clkfac_context *ctx, clkfac_ema *state, size_t n, cl_mem s,
                                     size_t s_off, cl_mem s_new, size_t new_off)
{
    float a, b;
    clkfac_status st;
    if ((st = ema_coefs(state, n, s_off, new_off, &a, &b))) return st;
    if ((st = ocl_guard_reset(ctx)) || (st = linalg_check_finite(ctx, n, s_new, new_off)) ||
        (st = ocl_run(ctx, "kfac", "kfac_ema", OCL_1D(n, CLKFAC_WG),
                      OCL_ARGS(OCL_U(n), OCL_M(s), OCL_U(s_off), OCL_M(s_new), OCL_U(new_off),
                               OCL_F(a), OCL_F(b), OCL_M(ctx->health)))))
        return st;
    state->count++;
    return CLKFAC_OK;
}

clkfac_status clkfac_kfac_precondition(clkfac_context *ctx, size_t dg, size_t da, cl_mem g_inv,
                                       size_t gi_off, cl_mem a_inv, size_t ai_off, cl_mem dw,
                                       size_t dw_off, cl_mem v, size_t v_off)
{
    if (dg == 0 || da == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "preconditioning a %zu x %zu gradient; expected "
                         "non-empty", dg, da);
    cl_mem tmp = NULL;
    clkfac_status st;
    if ((st = ocl_scratch(ctx, OCL_SCRATCH_KFAC2, dg * da, &tmp)) ||
        (st = blas_gemm(ctx, BLAS_N, BLAS_N, dg, da, dg, 1.0f, g_inv, gi_off, dg, dw, dw_off, da,
                        0.0f, tmp, 0, da)))
        return st;
    return blas_gemm(ctx, BLAS_N, BLAS_N, dg, da, da, 1.0f, tmp, 0, da, a_inv, ai_off, da, 0.0f,
                     v, v_off, da);
}

clkfac_status clkfac_kfac_trust_region(clkfac_context *ctx, size_t n, cl_mem v, size_t v_off,
                                       cl_mem g, size_t g_off, float eta, float kl_clip,
                                       cl_mem out, size_t out_off)
{
    if (n == 0 || !(eta > 0.0f) || !isfinite(eta) || !(kl_clip > 0.0f) || !isfinite(kl_clip))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "trust region with n=%zu, eta=%g, kl_clip=%g; "
                         "expected n >= 1 and finite eta, kl_clip > 0", n, (double)eta,
                         (double)kl_clip);
    clkfac_status st = blas_dot(ctx, n, v, v_off, g, g_off, out, out_off);
    if (st) return st;
    return ocl_run(ctx, "kfac", "kfac_trust_region", OCL_1D(1, 0),
                   OCL_ARGS(OCL_M(out), OCL_U(out_off), OCL_F(eta), OCL_F(kl_clip),
                            OCL_M(ctx->health)));
}

clkfac_status clkfac_kfac_adapt_scale(clkfac_context *ctx, cl_mem scale_buf, size_t scale_off,
                                      cl_mem kl_buf, size_t kl_off, float kl_target)
{
    static const char fn[] = "clkfac_kfac_adapt_scale";
    if (!ctx) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: context is NULL", fn);
    if (!isfinite(kl_target) || !(kl_target > 0.0f))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: kl_target = %g; expected a finite value > 0",
                         fn, (double)kl_target);
    clkfac_status st;
    if ((st = ocl_check_buffer(fn, "scale_buf", scale_buf, scale_off, 1)) ||
        (st = ocl_check_buffer(fn, "kl_buf", kl_buf, kl_off, 1)))
        return st;
    return ocl_run(ctx, "kfac", "kfac_adapt_scale_at", OCL_1D(1, 0),
                   OCL_ARGS(OCL_M(scale_buf), OCL_U(scale_off), OCL_M(kl_buf), OCL_U(kl_off),
                            OCL_F(kl_target)));
}

clkfac_status clkfac_kfac_scale_by(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off,
                                   float alpha, cl_mem scal, size_t scal_off)
{
    clkfac_status st;
    if ((st = check_u32(n + x_off, "vector size"))) return st;
    return ocl_run(ctx, "util", "util_scale_by", OCL_1D(n, CLKFAC_WG),
                   OCL_ARGS(OCL_U(n), OCL_M(x), OCL_U(x_off), OCL_F(alpha), OCL_M(scal),
                            OCL_U(scal_off)));
}

/* ---- packed symmetric factors -------------------------------------------------------------- */

size_t clkfac_kfac_packed_size(size_t d) { return d * (d + 1) / 2; }

static clkfac_status check_packed(size_t d, size_t s_off, size_t p_off, cl_mem s, cl_mem p,
                                  const char *fn)
{
    if (d == 0 || !s || !p)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: d %zu, buffers %s; expected d >= 1 and both "
                         "buffers", fn, d, s && p ? "given" : "missing");
    clkfac_status st = check_u32(d * d + s_off, "factor end");
    return st ? st : check_u32(clkfac_kfac_packed_size(d) + p_off, "packed end");
}

clkfac_status clkfac_kfac_pack_upper(clkfac_context *ctx, size_t d, cl_mem s, size_t s_off,
                                     cl_mem packed, size_t p_off)
{
    clkfac_status st = check_packed(d, s_off, p_off, s, packed, "clkfac_kfac_pack_upper");
    return st ? st : ocl_run(ctx, "kfac", "kfac_pack_upper", OCL_2D(d, d, 0, 0),
                             OCL_ARGS(OCL_U(d), OCL_M(s), OCL_U(s_off), OCL_M(packed),
                                      OCL_U(p_off)));
}

clkfac_status clkfac_kfac_unpack_upper(clkfac_context *ctx, size_t d, float alpha, cl_mem packed,
                                       size_t p_off, cl_mem s, size_t s_off)
{
    clkfac_status st = check_packed(d, s_off, p_off, s, packed, "clkfac_kfac_unpack_upper");
    return st ? st : ocl_run(ctx, "kfac", "kfac_unpack_upper", OCL_2D(d, d, 0, 0),
                             OCL_ARGS(OCL_U(d), OCL_F(alpha), OCL_M(packed), OCL_U(p_off),
                                      OCL_M(s), OCL_U(s_off)));
}
