/* Neural-network layer kernels: the homogeneous ones column for dense inputs, activations fused
 * with the rows <-> per-example layout change, and col2im as a gather (each input element sums
 * the patch entries that read it, so no atomics). Activations (act_f, act_df, codes ACT_*) come
 * from cl/prelude.cl. */

/* xh (n, d+1) = [x 1]; x (n, d) with leading dimension ld. One work-item per xh element. */
__kernel void nn_append_ones(__global const float *x, const uint x_off, const uint ld,
                             __global float *xh, const uint xh_off, const uint n, const uint d)
{
    const uint i = get_global_id(0);
    if (i >= n * (d + 1u)) return;
    const uint r = i / (d + 1u), c = i % (d + 1u);
    xh[xh_off + i] = c < d ? x[x_off + r * ld + c] : 1.0f;
}

/* y[n*y_ld + k*T + t] = f(s[(n*T + t)*K + k]). Work-items walk y in order so writes coalesce;
 * with T = 1 both sides are contiguous. */
__kernel void nn_act_forward(const int act, __global float *y, const uint y_off, const uint y_ld,
                             __global const float *s, const uint s_off, const uint N,
                             const uint K, const uint T)
{
    const uint i = get_global_id(0);
    const uint per = K * T;
    if (i >= N * per) return;
    const uint n = i / per, rem = i % per, k = rem / T, t = rem % T;
    y[y_off + n * y_ld + rem] = act_f(act, s[s_off + (n * T + t) * K + k]);
}

/* ds[(n*T + t)*K + k] = dy[n*dy_ld + k*T + t] * f'(s[(n*T + t)*K + k]); walks ds in order. */
__kernel void nn_act_backward(const int act, __global float *ds, const uint ds_off,
                              __global const float *dy, const uint dy_off, const uint dy_ld,
                              __global const float *s, const uint s_off, const uint N,
                              const uint K, const uint T)
{
    const uint i = get_global_id(0);
    if (i >= N * T * K) return;
    const uint r = i / K, k = i % K, n = r / T, t = r % T;
    ds[ds_off + i] = dy[dy_off + n * dy_ld + k * T + t] * act_df(act, s[s_off + i]);
}

/* dx (N, C, H, W) [+]= col2im(dp), dp (N*Ho*Wo, ld) with column (c, ky, kx). Input pixel iy is
 * read by kernel row ky at output row oy when oy*sh - ph + ky*dh == iy: only every qy-th ky
 * (qy = sh / gcd(sh, dh), passed by the host) can land on the stride grid, so each work-item
 * finds the first one and steps by qy, and stops once ky passes the top of the input. The
 * kernel entries are visited in the order (ky, kx) ascending. */
__kernel void nn_col2im(__global const float *dp, const uint dp_off, const uint ld,
                        __global float *dx, const uint dx_off, const int accumulate, const int C,
                        const int H, const int W, const int kh, const int kw, const int sh,
                        const int sw, const int ph, const int pw, const int dh, const int dw,
                        const int Ho, const int Wo, const int qy, const int qx, const uint total)
{
    const uint i = get_global_id(0);
    if (i >= total) return;
    const int ix = (int)(i % (uint)W);
    const int iy = (int)((i / (uint)W) % (uint)H);
    const int c = (int)((i / (uint)(W * H)) % (uint)C);
    const uint n = i / (uint)(W * H * C);
    int ky0 = 0, kx0 = 0;
    while (ky0 < qy && (iy + ph - ky0 * dh) % sh != 0) ky0++;
    while (kx0 < qx && (ix + pw - kx0 * dw) % sw != 0) kx0++;
    /* none in [0, q): no kernel row (column) reaches this pixel */
    const int ky_end = ky0 < qy ? kh : 0, kx_end = kx0 < qx ? kw : 0;
    float acc = 0.0f;
    for (int ky = ky0; ky < ky_end; ky += qy) {
        const int yy = iy + ph - ky * dh;
        if (yy < 0) break;
        const int oy = yy / sh;
        if (oy >= Ho) continue;
        const uint rbase = (n * (uint)Ho + (uint)oy) * (uint)Wo;
        const uint cbase = (uint)((c * kh + ky) * kw);
        for (int kx = kx0; kx < kx_end; kx += qx) {
            const int xx = ix + pw - kx * dw;
            if (xx < 0) break;
            const int ox = xx / sw;
            if (ox >= Wo) continue;
            acc += dp[dp_off + (rbase + (uint)ox) * ld + cbase + (uint)kx];
        }
    }
    dx[dx_off + i] = accumulate ? dx[dx_off + i] + acc : acc;
}
