/* Forward-mode (R-op) kernels for clkfac_nn_rop: the directional derivative through an
 * activation, fused with the rows -> per-example layout change the forward uses. Activation
 * codes match clkfac_nn_act: 0 relu, 1 tanh, 2 elu, 3 identity. */

/* f'(s) from the pre-activation; the same conventions as the backward pass in nn.cl (relu' at 0
 * is 0) so that the R-op is exactly the transpose of what the backward pass applies. */
static float rop_df(const int act, const float s)
{
    switch (act) {
    case 0: return s > 0.0f ? 1.0f : 0.0f;
    case 1: {
        const float t = tanh(s);
        return 1.0f - t * t;
    }
    case 2: return s > 0.0f ? 1.0f : exp(s);
    default: return 1.0f;
    }
}

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
    jy[n * y_ld + rem] = rop_df(act, s[r]) * js[r];
}
