/* K-FAC kernels: KFC patch expansion (im2col with stride, zero padding, dilation and an
 * optional homogeneous column), NCHW-to-rows permutation of output gradients, the guarded
 * running-average update, and the trust-region scale computed from a device dot product.
 * health: [0] sticky flags (1 = non-finite), [2] per-operation guard (see cl/util.cl). */

/* p (R, D): R = N*Ho*Wo rows (n, oy, ox), D = C*kh*kw (+1) columns (c, ky, kx[, ones]).
 * One work-item per (row, channel) writes that channel's kh*kw contiguous entries (and the
 * ones column when it has the last channel): index arithmetic once per item, not per element,
 * and large work-groups (CPU drivers run a work-group as a loop; tiny groups cost more in
 * overhead than the copy itself). */
__kernel void kfac_patches(__global const float *x, const uint x_off, __global float *p,
                           const uint p_off, const int C, const int H, const int W,
                           const int kh, const int kw, const int sh, const int sw, const int ph,
                           const int pw, const int dh, const int dw, const int Ho, const int Wo,
                           const int bias, const uint rows)
{
    const uint idx = get_global_id(0);
    if (idx >= rows * (uint)C) return;
    const uint row = idx / (uint)C;
    const int c = (int)(idx - row * (uint)C);
    const int kk = kh * kw;
    const uint D = (uint)(C * kk + bias);
    const int t = (int)(row % (uint)(Ho * Wo));
    const int n = (int)(row / (uint)(Ho * Wo));
    const int oy = t / Wo, ox = t % Wo;
    __global const float *xc = x + x_off + ((uint)n * (uint)C + (uint)c) * (uint)H * (uint)W;
    __global float *out = p + p_off + row * D + (uint)(c * kk);
    for (int ky = 0; ky < kh; ky++) {
        const int iy = oy * sh - ph + ky * dh;
        const int row_ok = iy >= 0 && iy < H;
        for (int kx = 0; kx < kw; kx++) {
            const int ix = ox * sw - pw + kx * dw;
            out[ky * kw + kx] = (row_ok && ix >= 0 && ix < W) ? xc[iy * W + ix] : 0.0f;
        }
    }
    if (bias && c == C - 1) p[p_off + row * D + D - 1] = 1.0f;
}

/* Completes the border of a homogeneous Gram matrix A = alpha [X 1]^T [X 1] (D = d0 + 1) whose
 * last row already holds alpha * column sums of X: mirrors it into the last column and writes
 * the corner alpha * rows. The d0 x d0 block is a GEMM over X alone, so the ones column never
 * costs a padded tile. */
__kernel void kfac_homogeneous_border(const uint d0, const float corner, __global float *out,
                                      const uint out_off)
{
    const uint j = get_global_id(0);
    const uint D = d0 + 1;
    if (j > d0) return;
    if (j == d0)
        out[out_off + d0 * D + d0] = corner;
    else
        out[out_off + j * D + d0] = out[out_off + d0 * D + j];
}

/* dst (N*T, K) from src (N, K, T). */
__kernel void kfac_nchw_to_rows(__global const float *src, const uint src_off,
                                __global float *dst, const uint dst_off, const uint N,
                                const uint K, const uint T)
{
    const uint k = get_global_id(0), r = get_global_id(1);
    if (k >= K || r >= N * T) return;
    const uint n = r / T, t = r % T;
    dst[dst_off + r * K + k] = src[src_off + (n * K + k) * T + t];
}

/* s = a*s + b*s_new unless the guard is set; a == 0 overwrites (s may hold garbage). */
__kernel void kfac_ema(const uint n, __global float *s, const uint s_off,
                       __global const float *s_new, const uint new_off, const float a,
                       const float b, __global const uint *health)
{
    const uint i = get_global_id(0);
    if (i >= n || health[HEALTH_GUARD] != 0u) return;
    const float v = s_new[new_off + i];
    s[s_off + i] = (a == 0.0f) ? b * v : a * s[s_off + i] + b * v;
}

/* out[0] holds v.g on entry; leaves q = eta^2 * v.g in out[0] and nu in out[1]. */
__kernel void kfac_trust_region(__global float *out, const uint off, const float eta,
                                const float kl_clip, __global volatile uint *health)
{
    if (get_global_id(0) != 0) return;
    const float q = eta * eta * out[off];
    float nu;
    if (isnan(q) || isinf(q)) {
        health_fail(health, HEALTH_NONFINITE);
        nu = 0.0f;
    } else if (q <= 0.0f) {
        nu = 1.0f;
    } else {
        nu = fmin(1.0f, sqrt(kl_clip / q));
    }
    out[off] = q;
    out[off + 1] = nu;
}

/* Adaptive step size (ACKTR for continuous control): after a step whose mean KL is k,
 * *scale /= 1.5 when KL > 2 target, *= 1.5 when KL < target / 2; kept in [1e-4, 1e4] and left
 * alone when the KL is not finite. */
static void adapt_scale(__global float *scale, const float k, const float target)
{
    float s = *scale;
    if (isnan(k) || isinf(k)) return;
    if (k > 2.0f * target) s /= 1.5f;
    else if (k < 0.5f * target) s *= 1.5f;
    *scale = fmin(1e4f, fmax(1e-4f, s));
}

/* scale[s_off] adapted to the KL kl[kl_off] (clkfac_kfac_adapt_scale). One work-item. */
__kernel void kfac_adapt_scale_at(__global float *scale, const uint s_off,
                                  __global const float *kl, const uint kl_off, const float target)
{
    if (get_global_id(0) != 0) return;
    adapt_scale(scale + s_off, kl[kl_off], target);
}

/* kfac_ema for a block's two factors in one launch: items [0, n1) update s1 from new1 with
 * (a1, b1), items [n1, n1 + n2) update s2 from new2 with (a2, b2); the same arithmetic as
 * kfac_ema, so the result is bit for bit that of two launches. */
__kernel void kfac_ema_pair(const uint n1, __global float *s1, const uint s1_off,
                            __global const float *new1, const uint new1_off, const float a1,
                            const float b1, const uint n2, __global float *s2, const uint s2_off,
                            __global const float *new2, const uint new2_off, const float a2,
                            const float b2, __global const uint *health)
{
    const uint gid = get_global_id(0);
    if (gid >= n1 + n2 || health[HEALTH_GUARD] != 0u) return;
    const int second = gid >= n1;
    const uint i = second ? gid - n1 : gid;
    __global float *s = second ? s2 + s2_off : s1 + s1_off;
    const float v = second ? new2[new2_off + i] : new1[new1_off + i];
    const float a = second ? a2 : a1, b = second ? b2 : b1;
    s[i] = (a == 0.0f) ? b * v : a * s[i] + b * v;
}

/* Packed upper triangles (data-parallel factors cross the network at about half the bytes):
 * row-major, element (i, j), j >= i, of a d x d matrix at i*d - i*(i-1)/2 + (j - i). Both launch
 * a (d, d) grid: work-item (j, i). */
inline uint kfac_tri_index(const uint d, const uint i, const uint j)
{
    return i * d - (i * (i - 1u)) / 2u + (j - i);
}

/* p (d(d+1)/2) = the upper triangle of s (d, d). */
__kernel void kfac_pack_upper(const uint d, __global const float *s, const uint s_off,
                              __global float *p, const uint p_off)
{
    const uint j = get_global_id(0), i = get_global_id(1);
    if (i >= d || j >= d || j < i) return;
    p[p_off + kfac_tri_index(d, i, j)] = s[s_off + i * d + j];
}

/* s (d, d) = alpha * the symmetric matrix whose upper triangle p holds (both halves written). */
__kernel void kfac_unpack_upper(const uint d, const float alpha, __global const float *p,
                                const uint p_off, __global float *s, const uint s_off)
{
    const uint j = get_global_id(0), i = get_global_id(1);
    if (i >= d || j >= d) return;
    const uint lo = min(i, j), hi = max(i, j);
    s[s_off + i * d + j] = alpha * p[p_off + kfac_tri_index(d, lo, hi)];
}
