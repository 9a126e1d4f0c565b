/* clkfac/linalg.h — dense linear algebra on the device as exposed to programs built on clkfac
 * (benchmarks, the algorithms): GEMM through the same CLBlast module the library uses, so the
 * per-device kernel parameters apply. Row-major float32, element offsets. */
#ifndef CLKFAC_LINALG_H
#define CLKFAC_LINALG_H

#include "clkfac/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* C (m, n) = alpha * op(A) op(B) + beta * C; trans_a/trans_b: 0 = as stored, 1 = transposed. */
clkfac_status clkfac_linalg_gemm(clkfac_context *ctx, int trans_a, int trans_b, size_t m,
                                 size_t n, size_t k, float alpha, cl_mem a, size_t a_off,
                                 size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta,
                                 cl_mem c, size_t c_off, size_t ldc);

/* The CLBlast Xgemm parameters in force on this context ("default" or "NAME=value,..."), for
 * provenance in benchmark output. Borrowed, valid while ctx lives. */
const char *clkfac_linalg_tuning(clkfac_context *ctx);

/* ---- flat vectors (x, y: n floats at element offsets) ----------------------------------------
 * Level-1 operations for algorithms that work on whole parameter vectors (TRPO's conjugate
 * gradient). Results that are scalars land in a device buffer, never on the host, and the
 * "ratio" forms take their coefficient from device scalars so an iteration needs no read. */

/* out[out_off] = x . y */
clkfac_status clkfac_linalg_dot(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off, cl_mem y,
                                size_t y_off, cl_mem out, size_t out_off);
/* out[out_off] = ||x||_2 */
clkfac_status clkfac_linalg_nrm2(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off,
                                 cl_mem out, size_t out_off);
/* y = alpha * x + y */
clkfac_status clkfac_linalg_axpy(clkfac_context *ctx, size_t n, float alpha, cl_mem x,
                                 size_t x_off, cl_mem y, size_t y_off);
/* x = alpha * x */
clkfac_status clkfac_linalg_scal(clkfac_context *ctx, size_t n, float alpha, cl_mem x,
                                 size_t x_off);
/* y = x */
clkfac_status clkfac_linalg_copy(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off, cl_mem y,
                                 size_t y_off);

/* out (n, n) = (S + gamma I)^-1 for symmetric S (n, n) by a blocked Cholesky on the device
 * (own diagonal-block kernel + CLBlast GEMM/SYRK), full symmetric output. gamma is read from the
 * device scalar gamma_buf[gamma_off] (so it can be computed on the device) scaled by
 * gamma_scale; nothing is read back. The lower triangle of S is factored; NaN/Inf anywhere in S
 * or in gamma raises NONFINITE, a non-positive or non-finite pivot raises NOT_SPD (the detail
 * names the column); in both cases out is unchanged. Works in context scratch, so out may alias
 * s. n >= 1 (any size, not only multiples of the block). */
clkfac_status clkfac_linalg_spd_inverse(clkfac_context *ctx, size_t n, cl_mem s, size_t s_off,
                                        cl_mem gamma_buf, size_t gamma_off, float gamma_scale,
                                        cl_mem out, size_t out_off);

/* Pass as den_off to use s[num_off] alone. */
#define CLKFAC_LINALG_NO_DEN ((size_t)0xffffffffu)
/* y = y + c * q * x with q = s[num_off] / s[den_off] read on the device (CG: x += alpha p with
 * alpha = (r.r) / (p.Ap)). A non-finite q (0/0 after convergence) counts as 0. */
clkfac_status clkfac_linalg_axpy_ratio(clkfac_context *ctx, size_t n, float c, cl_mem s,
                                       size_t num_off, size_t den_off, cl_mem x, size_t x_off,
                                       cl_mem y, size_t y_off);
/* y = x + q * y with q = s[num_off] / s[den_off] as above (CG: p = r + beta p). */
clkfac_status clkfac_linalg_xpay_ratio(clkfac_context *ctx, size_t n, cl_mem s, size_t num_off,
                                       size_t den_off, cl_mem x, size_t x_off, cl_mem y,
                                       size_t y_off);

#ifdef __cplusplus
}
#endif
#endif
