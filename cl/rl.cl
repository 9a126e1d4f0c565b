/* Returns and advantages over a rollout: one work-item per environment scans its T steps
 * backwards (T is small, N is the parallel dimension). Layout (T, N), step-major. */

__kernel void rl_gae(const uint T, const uint N, const float gamma, const float lambda,
                     __global const float *r, __global const float *ended,
                     __global const float *boot, __global const float *v,
                     __global const float *last, __global float *ret, __global float *adv,
                     const int want_adv)
{
    const uint e = get_global_id(0);
    if (e >= N) return;
    float next_v = last[e], next_a = 0.0f;
    for (uint s = T; s-- > 0;) {
        const uint i = s * N + e;
        const int cut = ended[i] != 0.0f;
        const float nv = cut ? boot[i] : next_v;
        const float delta = r[i] + gamma * nv - v[i];
        const float a = delta + (cut ? 0.0f : gamma * lambda * next_a);
        ret[i] = a + v[i];
        if (want_adv) adv[i] = a;
        next_v = v[i];
        next_a = a;
    }
}

__kernel void rl_nstep(const uint T, const uint N, const float gamma, __global const float *r,
                       __global const float *ended, __global const float *boot,
                       __global const float *v, __global const float *last, __global float *ret,
                       __global float *adv, const int want_adv)
{
    const uint e = get_global_id(0);
    if (e >= N) return;
    float R = last[e];
    for (uint s = T; s-- > 0;) {
        const uint i = s * N + e;
        R = r[i] + gamma * (ended[i] != 0.0f ? boot[i] : R);
        ret[i] = R;
        if (want_adv) adv[i] = R - v[i];
    }
}
