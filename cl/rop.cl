/* Forward-mode (R-op) kernels for clkfac_nn_rop: the directional derivative through an
 * activation, fused with the rows -> per-example layout change the forward uses. f' is act_df
 * of cl/prelude.cl, the one the backward pass in nn.cl applies, so the R-op is exactly its
 * transpose. */

/* jy[n*y_ld + k*T + t] = f'(s[(n*T + t)*K + k]) * js[(n*T + t)*K + k]. Only the first K*T
 * columns of each jy row are written, so a zero homogeneous column stays zero. */
__kernel void rop_act(const int act, __global float *jy, const uint y_ld,
                      __global const float *s, __global const float *js, const uint N,
                      const uint K, const uint T)
{
    const uint i = get_global_id(0);
    const uint per = K * T;
    if (i >= N * per) return;
    const uint n = i / per, rem = i % per, k = rem / T, t = rem % T;
    const uint r = (n * T + t) * K + k;
    jy[n * y_ld + rem] = act_df(act, s[r]) * js[r];
}
