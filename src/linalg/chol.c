/* Damped SPD inverse on the device: a right-looking blocked Cholesky (own kernel factoring and
 * inverting each diagonal block, CLBlast GEMM for the panel and SYRK for the trailing update),
 * L^-1 assembled from the inverted diagonal blocks by recursive GEMMs, then X = L^-T L^-1 by a
 * recursive SYRK/GEMM. Results go to scratch and reach the caller by a guarded copy. */
#include <math.h>
#include <stdint.h>

#include "clkfac/linalg.h"
#include "linalg/blas.h"
#include "linalg/chol.h"

/* Diagonal block size. 64 keeps the block kernel's local tile (64 x 65 floats, 16.6 KB) within
 * every GPU's local memory while leaving most flops to CLBlast; halved for small local memories. */
#define CHOL_BLOCK 64

clkfac_status chol_check_buffer(const char *what, cl_mem buf, size_t off, size_t count)
{
    if (!buf) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s is NULL: expected a device buffer", what);
    if (count > UINT32_MAX || off > UINT32_MAX - count)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "%s: offset %zu + %zu elements exceeds the 2^32-element range the "
                         "kernels index",
                         what, off, count);
    return CLKFAC_OK;
}

clkfac_status chol_guarded_copy(clkfac_context *ctx, size_t n, cl_mem src, size_t src_off,
                                cl_mem dst, size_t dst_off)
{
    return ocl_run(ctx, "util", "util_guarded_copy", OCL_1D(n, CLKFAC_WG),
                   OCL_ARGS(OCL_U(n), OCL_M(src), OCL_U(src_off), OCL_M(dst), OCL_U(dst_off),
                            OCL_M(ctx->health)));
}

clkfac_status linalg_check_finite(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off)
{
    return ocl_run(ctx, "util", "util_check_finite", OCL_1D(n, CLKFAC_WG),
                   OCL_ARGS(OCL_U(n), OCL_M(x), OCL_U(x_off), OCL_M(ctx->health)));
}

static size_t block_size(const clkfac_context *ctx)
{
    size_t nb = CHOL_BLOCK;
    /* the tile must fit with room to spare: some drivers reserve part of local memory */
    while (nb > 8 && ctx->info.local_mem &&
           (uint64_t)nb * (nb + 1) * sizeof(float) > ctx->info.local_mem / 2)
        nb /= 2;
    return nb;
}

static clkfac_status launch_load(clkfac_context *ctx, size_t n, cl_mem s, size_t s_off,
                                 cl_mem gamma_buf, size_t gamma_off, float gamma_scale, cl_mem w)
{
    return ocl_run(ctx, "chol", "chol_load", OCL_2D(n, n, CLKFAC_WG2_X, CLKFAC_WG2_Y),
                   OCL_ARGS(OCL_U(n), OCL_M(s), OCL_U(s_off), OCL_M(gamma_buf), OCL_U(gamma_off),
                            OCL_F(gamma_scale), OCL_M(w), OCL_M(ctx->health)));
}

/* Factors the b x b diagonal block of w at (k0, k0) and writes its inverse to the same block
 * of y (leading dim n for both). */
static clkfac_status launch_potrf(clkfac_context *ctx, size_t n, size_t b, size_t k0, cl_mem w,
                                  cl_mem y, size_t nb)
{
    const size_t off = k0 * n + k0, ldt = nb + 1;
    return ocl_run(ctx, "chol", "chol_potrf_block", OCL_GROUPS(1),
                   OCL_ARGS(OCL_U(b), OCL_M(w), OCL_U(off), OCL_U(n), OCL_U(k0), OCL_M(y),
                            OCL_U(off), OCL_U(n), OCL_LOCAL(ldt * nb * sizeof(float)), OCL_U(ldt),
                            OCL_M(ctx->health)));
}

static clkfac_status launch_copy_block(clkfac_context *ctx, size_t rows, size_t cols, cl_mem src,
                                       size_t src_off, size_t lds, cl_mem dst, size_t dst_off,
                                       size_t ldd)
{
    return ocl_run(ctx, "chol", "chol_copy_block", OCL_2D(cols, rows, CLKFAC_WG2_X, CLKFAC_WG2_Y),
                   OCL_ARGS(OCL_U(rows), OCL_U(cols), OCL_M(src), OCL_U(src_off), OCL_U(lds),
                            OCL_M(dst), OCL_U(dst_off), OCL_U(ldd)));
}

clkfac_status linalg_mirror_upper(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off,
                                  size_t ld)
{
    return ocl_run(ctx, "util", "util_mirror_upper", OCL_2D(n, n, CLKFAC_WG2_X, CLKFAC_WG2_Y),
                   OCL_ARGS(OCL_U(n), OCL_M(x), OCL_U(x_off), OCL_U(ld)));
}

/* y[r0:r1, r0:r1] <- inverse of the lower-triangular L = w[r0:r1, r0:r1], given that y already
 * holds the inverted diagonal blocks and zeros above them. With L = [L11 0; L21 L22],
 * L^-1 = [L11^-1 0; -L22^-1 L21 L11^-1  L22^-1]; halving at block boundaries keeps the GEMMs
 * large (CLBlast's TRSM on an identity ran ~10x slower under PoCL). tmp holds L21 L11^-1. */
static clkfac_status tri_inverse(clkfac_context *ctx, size_t n, size_t nb, cl_mem w, cl_mem y,
                                 cl_mem tmp, size_t r0, size_t r1)
{
    const size_t blocks = (r1 - r0 + nb - 1) / nb;
    if (blocks <= 1) return CLKFAC_OK;
    const size_t h = r0 + (blocks + 1) / 2 * nb, m1 = h - r0, m2 = r1 - h;
    clkfac_status st;
    if ((st = tri_inverse(ctx, n, nb, w, y, tmp, r0, h)) ||
        (st = tri_inverse(ctx, n, nb, w, y, tmp, h, r1)) ||
        (st = blas_gemm(ctx, BLAS_N, BLAS_N, m2, m1, m1, 1.0f, w, h * n + r0, n, y, r0 * n + r0,
                        n, 0.0f, tmp, 0, m1)))
        return st;
    return blas_gemm(ctx, BLAS_N, BLAS_N, m2, m1, m2, -1.0f, y, h * n + h, n, tmp, 0, m1, 0.0f, y,
                     h * n + r0, n);
}

/* Upper triangle of x[r0:r1, r0:r1] (leading dim n, at x_off) = Ys^T Ys for the lower-triangular
 * Ys = y[r0:r1, r0:r1]. With Ys = [A 0; B C]: Ys^T Ys = [A^T A + B^T B, B^T C; ., C^T C]; the
 * recursion skips the zero block, half the flops of one SYRK over the full square. */
static clkfac_status tri_gram(clkfac_context *ctx, size_t n, size_t nb, cl_mem y, cl_mem x,
                              size_t x_off, size_t r0, size_t r1)
{
    const size_t blocks = (r1 - r0 + nb - 1) / nb;
    if (blocks <= 1)
        return blas_syrk(ctx, BLAS_UPPER, BLAS_T, r1 - r0, r1 - r0, 1.0f, y, r0 * n + r0, n, 0.0f,
                         x, x_off + r0 * n + r0, n);
    const size_t h = r0 + (blocks + 1) / 2 * nb, m1 = h - r0, m2 = r1 - h;
    clkfac_status st;
    if ((st = tri_gram(ctx, n, nb, y, x, x_off, r0, h)) ||
        (st = tri_gram(ctx, n, nb, y, x, x_off, h, r1)) ||
        (st = blas_syrk(ctx, BLAS_UPPER, BLAS_T, m1, m2, 1.0f, y, h * n + r0, n, 1.0f, x,
                        x_off + r0 * n + r0, n)))
        return st;
    return blas_gemm(ctx, BLAS_T, BLAS_N, m1, m2, m2, 1.0f, y, h * n + r0, n, y, h * n + h, n,
                     0.0f, x, x_off + r0 * n + h, n);
}

clkfac_status chol_inverse_into(clkfac_context *ctx, size_t n, cl_mem s, size_t s_off,
                                cl_mem gamma_buf, size_t gamma_off, float gamma_scale,
                                cl_mem dst, size_t dst_off)
{
    const size_t nb = block_size(ctx);
    /* tmp holds one panel (m x nb) or one off-diagonal product of tri_inverse (<= n^2 / 4);
     * the panel goes through tmp because GEMM cannot write over its own input */
    const size_t tmp_n = n * nb > n * n / 4 + 1 ? n * nb : n * n / 4 + 1;
    cl_mem w = NULL, y = NULL, tmp = NULL;
    clkfac_status st;
    if ((st = ocl_scratch(ctx, OCL_SCRATCH_LINALG0, n * n, &w)) ||
        (st = ocl_scratch(ctx, OCL_SCRATCH_LINALG1, n * n, &y)) ||
        (st = ocl_scratch(ctx, OCL_SCRATCH_LINALG3, tmp_n, &tmp)))
        return st;
    if ((st = launch_load(ctx, n, s, s_off, gamma_buf, gamma_off, gamma_scale, w)) ||
        (st = clkfac_buffer_fill(ctx, y, 0, 0.0f, n * n)))
        return st;

    /* w <- L (lower, zeros above), y <- the inverses of L's diagonal blocks */
    for (size_t k0 = 0; k0 < n; k0 += nb) {
        const size_t b = n - k0 < nb ? n - k0 : nb, m = n - k0 - b;
        const size_t d_off = k0 * n + k0, p_off = (k0 + b) * n + k0;
        if ((st = launch_potrf(ctx, n, b, k0, w, y, nb))) return st;
        if (m == 0) break;
        /* L21 = A21 L11^-T (into tmp, then back into w), A22 -= L21 L21^T (lower only) */
        if ((st = blas_gemm(ctx, BLAS_N, BLAS_T, m, b, b, 1.0f, w, p_off, n, y, d_off, n, 0.0f,
                            tmp, 0, b)) ||
            (st = launch_copy_block(ctx, m, b, tmp, 0, b, w, p_off, n)))
            return st;
        if ((st = blas_syrk(ctx, BLAS_LOWER, BLAS_N, m, b, -1.0f, tmp, 0, b, 1.0f, w, p_off + b,
                            n)))
            return st;
    }

    /* y <- L^-1; dst <- y^T y = (L L^T)^-1, computed as one triangle and mirrored so the
     * result is exactly symmetric (the fill keeps CLBlast's beta = 0 from meeting stale NaN) */
    if ((st = tri_inverse(ctx, n, nb, w, y, tmp, 0, n))) return st;
    if ((st = clkfac_buffer_fill(ctx, dst, dst_off, 0.0f, n * n)) ||
        (st = tri_gram(ctx, n, nb, y, dst, dst_off, 0, n)))
        return st;
    return linalg_mirror_upper(ctx, n, dst, dst_off, n);
}

clkfac_status clkfac_linalg_spd_inverse(clkfac_context *ctx, size_t n, cl_mem s, size_t s_off,
                                        cl_mem gamma_buf, size_t gamma_off, float gamma_scale,
                                        cl_mem out, size_t out_off)
{
    if (!ctx) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "ctx is NULL: expected a context");
    if (n == 0) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "n = 0: expected a matrix size >= 1");
    if (n > 65535)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "n = %zu: expected at most 65535 (n*n elements "
                         "must fit 32-bit kernel indices)", n);
    if (!isfinite(gamma_scale))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "gamma_scale = %g: expected a finite value",
                         (double)gamma_scale);
    clkfac_status st;
    if ((st = chol_check_buffer("s", s, s_off, n * n)) ||
        (st = chol_check_buffer("gamma_buf", gamma_buf, gamma_off, 1)) ||
        (st = chol_check_buffer("out", out, out_off, n * n)))
        return st;
    cl_mem x = NULL;
    if ((st = ocl_scratch(ctx, OCL_SCRATCH_LINALG2, n * n, &x)) || (st = ocl_guard_reset(ctx)) ||
        (st = chol_inverse_into(ctx, n, s, s_off, gamma_buf, gamma_off, gamma_scale, x, 0)))
        return st;
    return chol_guarded_copy(ctx, n * n, x, 0, out, out_off);
}
