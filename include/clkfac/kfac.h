/* clkfac/kfac.h — Kronecker-factored curvature on the device: KFC patch expansion for conv2d,
 * A and G factors for conv and dense layers, running averages, damped inverses (factored
 * Tikhonov via a device Cholesky; the ACKTR eigenvalue rule via a host eigensolver),
 * preconditioned gradients and the KL-clipped trust-region scale.
 *
 * Layout: row-major float32 in cl_mem buffers with element offsets. A dense layer's weight is
 * (d_out, d_in) and with a bias W_H = [W b] is (d_out, d_in + 1), bias last. A conv weight is
 * (C_out, C_in*kh*kw [+1]) with the input channel outermost, then kernel row, then column.
 *
 * Scaling (documented choice; see ALGORITHMS.md). With M examples and T output locations:
 *   conv  A = (1/M) P_H^T P_H        (sum over locations, mean over examples: the paper's Omega)
 *         G = (1/(M*T)) DS^T DS      (mean over examples and locations: the paper's Gamma)
 *   dense A = (1/M) a_H^T a_H, G = (1/M) g^T g   (the T = 1 case)
 * where the rows of DS / g are per-example output gradients ds_i = d(-log p(y_i|x_i))/ds_i.
 * A (x) G is then the paper's Fisher block estimate for vec(W_H) taken column-major.
 *
 * Every call enqueues work and returns without waiting, unless it says "blocking". Kernels that
 * find bad input (NaN/Inf, non-positive pivot) raise device health flags and leave their outputs
 * unchanged; clkfac_context_check() reads the flags (one blocking call, e.g. once per update). */
#ifndef CLKFAC_KFAC_H
#define CLKFAC_KFAC_H

#include "clkfac/device.h"
#include "clkfac/linalg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- geometry ------------------------------------------------------------------------------ */

typedef struct clkfac_conv_geom {
    int n, c, h, w;          /* input (N, C, H, W) */
    int kh, kw;              /* kernel size */
    int stride_h, stride_w;  /* >= 1 */
    int pad_h, pad_w;        /* zero padding, >= 0 */
    int dil_h, dil_w;        /* dilation, >= 1 */
    int bias;                /* 1: append a homogeneous ones column to the patches */
} clkfac_conv_geom;

/* Validates g and computes the output size; CLKFAC_ERR_INVALID_ARG names the bad field. */
clkfac_status clkfac_conv_out_size(int *h_out, int *w_out, const clkfac_conv_geom *g);
/* Rows of the patch matrix: N * H_out * W_out (0 if g is invalid). */
size_t clkfac_conv_patch_rows(const clkfac_conv_geom *g);
/* Columns of the patch matrix: C * kh * kw + bias. */
size_t clkfac_conv_patch_cols(const clkfac_conv_geom *g);

/* ---- patch expansion (KFC / im2col) -------------------------------------------------------- */

/* p: (N*H_out*W_out, C*kh*kw [+1]); row (n*H_out + oy)*W_out + ox; padding enters as zeros.
 * x: (N, C, H, W). */
clkfac_status clkfac_kfac_patches(clkfac_context *ctx, const clkfac_conv_geom *g, cl_mem x,
                                  size_t x_off, cl_mem p, size_t p_off);

/* Permutes an NCHW gradient to rows: dst (N*T, K) from src (N, K, T), T = H_out*W_out. */
clkfac_status clkfac_kfac_nchw_to_rows(clkfac_context *ctx, size_t n, size_t k, size_t t,
                                       cl_mem src, size_t src_off, cl_mem dst, size_t dst_off);

/* ---- factors ------------------------------------------------------------------------------- */

typedef enum clkfac_gram_algo {
    CLKFAC_GRAM_AUTO = 0,  /* GEMM on CPU devices (faster than SYRK under PoCL), SYRK elsewhere */
    CLKFAC_GRAM_GEMM = 1,  /* full X^T X by GEMM */
    CLKFAC_GRAM_SYRK = 2   /* one triangle by SYRK (half the flops), then mirrored */
} clkfac_gram_algo;

typedef struct clkfac_factor_options {
    unsigned version;        /* CLKFAC_FACTOR_OPTIONS_VERSION */
    clkfac_gram_algo algo;   /* default AUTO */
    unsigned row_stride;     /* statistics from every row_stride-th row, rescaled so the
                                estimate stays unbiased in scale (default 1: all rows) */
} clkfac_factor_options;

#define CLKFAC_FACTOR_OPTIONS_VERSION 1
#define CLKFAC_FACTOR_OPTIONS_INIT { CLKFAC_FACTOR_OPTIONS_VERSION, CLKFAC_GRAM_AUTO, 1 }

/* out (cols, cols) = alpha * X^T X over the rows used, X: (rows, cols) with leading dim ld.
 * With row_stride s > 1 only rows 0, s, 2s, ... are used and alpha is multiplied by
 * rows / rows_used. opts may be NULL (defaults). */
clkfac_status clkfac_kfac_gram(clkfac_context *ctx, const clkfac_factor_options *opts,
                               size_t rows, size_t cols, size_t ld, float alpha, cl_mem x,
                               size_t x_off, cl_mem out, size_t out_off);

/* out (d0+1, d0+1) = alpha * [X 1]^T [X 1] for X (rows, d0) with leading dimension ld: the
 * homogeneous (bias) factor without materializing the ones column. The d0 x d0 block is a
 * GEMM/SYRK over X (a tile-friendly size such as 256 instead of 257); the border is a column sum.
 * Subsampling as in clkfac_kfac_gram. */
clkfac_status clkfac_kfac_gram_homogeneous(clkfac_context *ctx,
                                           const clkfac_factor_options *opts, size_t rows,
                                           size_t d0, size_t ld, float alpha, cl_mem x,
                                           size_t x_off, cl_mem out, size_t out_off);

/* Conv factors from the layer input x (N, C, H, W) and output gradients gy (N, K, H_out, W_out):
 * a_out (D, D) with D = C*kh*kw + bias, g_out (K, K), scaled as in the header comment. Uses the
 * context's scratch for the patch matrix. Either output may be NULL to skip it. NaN/Inf in the
 * inputs (seen in the factors) raises the NONFINITE health flag. */
clkfac_status clkfac_kfac_conv_factors(clkfac_context *ctx, const clkfac_factor_options *opts,
                                       const clkfac_conv_geom *g, int k, cl_mem x, size_t x_off,
                                       cl_mem gy, size_t gy_off, cl_mem a_out, size_t a_off,
                                       cl_mem g_out, size_t g_off);

/* Dense factors from x (N, D) and per-example output gradients gy (N, K): a_out (D+bias, D+bias)
 * and g_out (K, K). Either output may be NULL. NaN/Inf raises the NONFINITE health flag. */
clkfac_status clkfac_kfac_dense_factors(clkfac_context *ctx, const clkfac_factor_options *opts,
                                        size_t n, size_t d, size_t k, int bias, cl_mem x,
                                        size_t x_off, cl_mem gy, size_t gy_off, cl_mem a_out,
                                        size_t a_off, cl_mem g_out, size_t g_off);

/* ---- packed symmetric factors ---------------------------------------------------------------
 * A symmetric d x d factor as its upper triangle, row by row (element (i, j), j >= i, at
 * i*d - i*(i-1)/2 + j - i): d(d+1)/2 floats, what data-parallel K-FAC sends between ranks. */
size_t clkfac_kfac_packed_size(size_t d);
/* packed (d(d+1)/2 floats at p_off) = the upper triangle of s (d, d at s_off). */
clkfac_status clkfac_kfac_pack_upper(clkfac_context *ctx, size_t d, cl_mem s, size_t s_off,
                                     cl_mem packed, size_t p_off);
/* s (d, d) = alpha * the symmetric matrix packed holds (both triangles written). */
clkfac_status clkfac_kfac_unpack_upper(clkfac_context *ctx, size_t d, float alpha, cl_mem packed,
                                       size_t p_off, cl_mem s, size_t s_off);

/* ---- running averages ---------------------------------------------------------------------- */

typedef struct clkfac_ema {
    float decay;           /* d in S <- d*S + (1-d)*S_new; reference 0.99 (ACKTR), 0.95 */
    unsigned cold_steps;   /* the first max(1, cold_steps) updates average uniformly */
    uint64_t count;        /* updates accepted so far (host bookkeeping; set 0 to restart) */
} clkfac_ema;

#define CLKFAC_EMA_INIT { 0.99f, 1u, 0u }

/* s (n) <- running average with s_new (n). The first update copies s_new (or with cold_steps
 * K > 1, the first K updates keep the plain mean), then EMA with decay. s_new is checked on the
 * device: if it holds NaN/Inf, s is left unchanged and the NONFINITE health flag is raised.
 * count advances on the host (the device skip cannot be seen without a read; call
 * clkfac_context_check when a skip must be known). */
clkfac_status clkfac_kfac_ema_update(clkfac_context *ctx, clkfac_ema *state, size_t n, cl_mem s,
                                     size_t s_off, cl_mem s_new, size_t new_off);

/* One running average of clkfac_kfac_ema_update_pair: s (n floats at s_off) <- with s_new. */
typedef struct clkfac_ema_target {
    clkfac_ema *state;
    size_t n;
    cl_mem s;
    size_t s_off;
    cl_mem s_new;
    size_t new_off;
} clkfac_ema_target;

/* clkfac_kfac_ema_update of two averages (a K-FAC block's A and G) in two launches instead of
 * four, with results bit for bit those of two calls. The check covers both: NaN/Inf in either
 * s_new leaves both s unchanged (and raises NONFINITE). */
clkfac_status clkfac_kfac_ema_update_pair(clkfac_context *ctx, const clkfac_ema_target *first,
                                          const clkfac_ema_target *second);

/* ---- damped inverses ------------------------------------------------------------------------
 * (the plain damped SPD inverse, clkfac_linalg_spd_inverse, is in clkfac/linalg.h) */

/* Factored Tikhonov damping (K-FAC sec. 6.3):
 *   a_inv (da, da) = (A + pi*sqrt(lambda) I)^-1,  g_inv (dg, dg) = (G + sqrt(lambda)/pi I)^-1,
 *   pi = sqrt((tr A / da) / (tr G / dg)), computed on the device (no host read). lambda >= 0.
 * A pi that is not finite and positive (tr G = 0, a NaN trace) raises NONFINITE. If pi or
 * either factorization fails, neither output is written (flags as above). */
clkfac_status clkfac_kfac_inverse_tikhonov(clkfac_context *ctx, size_t da, cl_mem a, size_t a_off,
                                           size_t dg, cl_mem g, size_t g_off, float lambda,
                                           cl_mem a_inv, size_t ai_off, cl_mem g_inv,
                                           size_t gi_off);

/* Eigen-decomposition of a symmetric factor S (n, n) on the host (LAPACKE dsyevd, double
 * precision, of the symmetric part (S + S^T)/2): q_out (n, n) holds eigenvectors as columns
 * (q[i*n + j] = component i of eigenvector j), d_out (n) the eigenvalues in ascending order with
 * values below clip (reference 1e-6) set to 0. Blocking (reads S, writes q and d). NaN/Inf in
 * S: error CLKFAC_ERR_NONFINITE and nothing written; an eigensolver failure:
 * CLKFAC_ERR_NUMERIC. */
clkfac_status clkfac_kfac_eigen(clkfac_context *ctx, size_t n, cl_mem s, size_t s_off,
                                float clip, cl_mem q_out, size_t q_off, cl_mem d_out,
                                size_t d_off);

/* ---- preconditioning ------------------------------------------------------------------------ */

/* v (dg, da) = g_inv (dg, dg) * dw (dg, da) * a_inv (da, da). */
clkfac_status clkfac_kfac_precondition(clkfac_context *ctx, size_t dg, size_t da, cl_mem g_inv,
                                       size_t gi_off, cl_mem a_inv, size_t ai_off, cl_mem dw,
                                       size_t dw_off, cl_mem v, size_t v_off);

/* Eigen-damped preconditioning (the ACKTR reference code's rule):
 *   v (dg, da) = Q_G [ (Q_G^T dw Q_A) ./ (d_G d_A^T + lambda) ] Q_A^T,
 * with qg/dgv and qa/dav as written by clkfac_kfac_eigen and lambda >= 0. A non-finite quotient
 * (NaN/Inf in dw, Q or d, or a zero denominator) raises NONFINITE and v is left unchanged. */
clkfac_status clkfac_kfac_precondition_eigen(clkfac_context *ctx, size_t dg, size_t da,
                                             cl_mem qg, size_t qg_off, cl_mem dgv, size_t dg_off,
                                             cl_mem qa, size_t qa_off, cl_mem dav, size_t da_off,
                                             float lambda, cl_mem dw, size_t dw_off, cl_mem v,
                                             size_t v_off);

/* Trust region over a flat parameter vector of n entries (all layers): on the device,
 *   q = eta^2 * (v . g),  nu = min(1, sqrt(kl_clip / q))   (nu = 1 when q <= 0),
 * written to out[out_off] = q and out[out_off + 1] = nu. A non-finite q raises NONFINITE and
 * sets nu = 0 so that a step scaled by nu changes nothing. */
clkfac_status clkfac_kfac_trust_region(clkfac_context *ctx, size_t n, cl_mem v, size_t v_off,
                                       cl_mem g, size_t g_off, float eta, float kl_clip,
                                       cl_mem out, size_t out_off);

/* x (n) *= alpha * scal[scal_off], the scale read on the device (applies nu without a read). */
clkfac_status clkfac_kfac_scale_by(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off,
                                   float alpha, cl_mem scal, size_t scal_off);

/* Adaptive step size (ACKTR for continuous control), on the device with nothing read back:
 * given the mean KL k = kl_buf[kl_off] of the step just taken, the step scale
 * s = scale_buf[scale_off] becomes
 *   s / 1.5  when k > 2 kl_target,   s * 1.5  when k < kl_target / 2,   s  otherwise,
 * then is clamped to [1e-4, 1e4]. A k that is NaN or Inf leaves s unchanged (no flag raised).
 * Call it once per update: each call moves s by at most one factor of 1.5. kl_target must be
 * finite and > 0; scale and kl may share a buffer. */
clkfac_status clkfac_kfac_adapt_scale(clkfac_context *ctx, cl_mem scale_buf, size_t scale_off,
                                      cl_mem kl_buf, size_t kl_off, float kl_target);

#ifdef __cplusplus
}
#endif
#endif
