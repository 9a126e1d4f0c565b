/* Flat-vector kernels behind clkfac/linalg.h's device-scalar operations: AXPY and XPAY whose
 * coefficient is a ratio of two device scalars (conjugate gradient's alpha = r.r / p.Ap and
 * beta = r'.r' / r.r stay on the device; nothing is read back). */

/* The ratio s[num] / s[den] (den_off == VEC_NO_DEN: s[num] alone), or 0 when it is not finite
 * (a zero denominator once CG has converged), so a finished solve just stops moving. */
static float vec_ratio(__global const float *s, const uint num_off, const uint den_off)
{
    const float q = den_off == VEC_NO_DEN ? s[num_off] : s[num_off] / s[den_off];
    return isfinite(q) ? q : 0.0f;
}

/* y += c * (s[num] / s[den]) * x */
__kernel void vec_axpy_ratio(const uint n, const float c, __global const float *s,
                             const uint num_off, const uint den_off, __global const float *x,
                             const uint x_off, __global float *y, const uint y_off)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    y[y_off + i] += c * vec_ratio(s, num_off, den_off) * x[x_off + i];
}

/* y = x + (s[num] / s[den]) * y */
__kernel void vec_xpay_ratio(const uint n, __global const float *s, const uint num_off,
                             const uint den_off, __global const float *x, const uint x_off,
                             __global float *y, const uint y_off)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    y[y_off + i] = x[x_off + i] + vec_ratio(s, num_off, den_off) * y[y_off + i];
}
