/* Small element-wise and reduction kernels shared by the linalg and kfac modules: finiteness
 * checks that raise the health flags, guarded copies (write nothing after a failed check),
 * triangle mirroring, diagonal shifts by a device scalar, and scaling by a device scalar.
 * health: [0] sticky flags (1 = non-finite, 2 = not SPD), [1] detail, [2] per-operation guard. */

/* Sets the guard and the NONFINITE flag if any of x[0..n) is NaN or Inf. */
__kernel void util_check_finite(const uint n, __global const float *x, const uint x_off,
                                __global volatile uint *health)
{
    uint i = get_global_id(0);
    if (i >= n) return;
    float v = x[x_off + i];
    if (isnan(v) || isinf(v)) health_fail(health, HEALTH_NONFINITE);
}

/* util_check_finite over two vectors in one launch: x1[0..n1) then x2[0..n2). */
__kernel void util_check_finite_pair(const uint n1, __global const float *x1, const uint x1_off,
                                     const uint n2, __global const float *x2, const uint x2_off,
                                     __global volatile uint *health)
{
    const uint gid = get_global_id(0);
    if (gid >= n1 + n2) return;
    const float v = gid < n1 ? x1[x1_off + gid] : x2[x2_off + gid - n1];
    if (isnan(v) || isinf(v)) health_fail(health, HEALTH_NONFINITE);
}

/* dst = src unless the guard is set. */
__kernel void util_guarded_copy(const uint n, __global const float *src, const uint src_off,
                                __global float *dst, const uint dst_off,
                                __global const uint *health)
{
    uint i = get_global_id(0);
    if (i >= n || health[HEALTH_GUARD] != 0u) return;
    dst[dst_off + i] = src[src_off + i];
}

/* Copies the upper triangle of a (n, n) row-major matrix (leading dim ld) to the lower one. */
__kernel void util_mirror_upper(const uint n, __global float *a, const uint a_off, const uint ld)
{
    uint r = get_global_id(0), c = get_global_id(1);
    if (r >= n || c >= r) return;
    a[a_off + r * ld + c] = a[a_off + c * ld + r];
}

/* x *= alpha * s[s_off] */
__kernel void util_scale_by(const uint n, __global float *x, const uint x_off, const float alpha,
                            __global const float *s, const uint s_off)
{
    uint i = get_global_id(0);
    if (i >= n) return;
    x[x_off + i] *= alpha * s[s_off];
}
