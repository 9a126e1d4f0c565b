/* TRPO's small device kernels: advantage standardization, the subsample gather for
 * Fisher-vector products, the trust-region step scale, and the line search (trial parameters,
 * acceptance test, final record) so the update decides its step without reading the device.
 * sc is the update's scalar buffer; the slot numbers come from the host (trpo.c). */

#ifndef WG
#define WG CLKFAC_WG /* work-group size of trpo_standardize; a power of two */
#endif

/* adv = (adv - mean) / (std + 1e-8) over n values; launched as ONE work-group of WG. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void trpo_standardize(const uint n, __global float *adv)
{
    __local float red[WG];
    const uint l = get_local_id(0);
    float s = 0.0f;
    for (uint i = l; i < n; i += WG) s += adv[i];
    const float mean = wg_sum(red, s, WG) / (float)n;
    float q = 0.0f;
    for (uint i = l; i < n; i += WG) {
        const float d = adv[i] - mean;
        q += d * d;
    }
    const float sd = sqrt(wg_sum(red, q, WG) / (float)n);
    for (uint i = l; i < n; i += WG) adv[i] = (adv[i] - mean) / (sd + 1e-8f);
}

/* Data-parallel standardization, step 1 and 2: sc[out] = mean of adv over n values (centered 0)
 * or mean of (adv - sc[mean])^2 (centered 1); launched as ONE work-group of WG. */
__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void trpo_moment(const uint n, __global const float *adv, __global float *sc, const uint mean,
                 const int centered, const uint out)
{
    __local float red[WG];
    const uint l = get_local_id(0);
    const float c = centered ? sc[mean] : 0.0f;
    float s = 0.0f;
    for (uint i = l; i < n; i += WG) {
        const float d = adv[i] - c;
        s += centered ? d * d : d;
    }
    const float m = wg_sum(red, s, WG) / (float)n;
    if (l == 0) sc[out] = m;
}

/* Step 3: adv = (adv - sc[mean]) / (sqrt(sc[var]) + 1e-8), as trpo_standardize. */
__kernel void trpo_standardize_by(const uint n, __global float *adv, __global const float *sc,
                                  const uint mean, const uint var)
{
    const uint i = get_global_id(0);
    if (i < n) adv[i] = (adv[i] - sc[mean]) / (sqrt(sc[var]) + 1e-8f);
}

/* dst row j = src row j*stride, rows of `row` floats, for j < n_rows. */
__kernel void trpo_gather_rows(__global const float *src, __global float *dst, const uint stride,
                               const uint row, const uint n_rows)
{
    const uint i = get_global_id(0);
    if (i >= n_rows * row) return;
    const uint j = i / row, c = i % row;
    dst[i] = src[(j * stride) * row + c];
}

/* sc[coef] = sign * sqrt(2 max_kl / x^T F x): the step x * coef has quadratic-model KL max_kl.
 * A non-positive or non-finite curvature gives 0 (no step; the line search then rejects).
 * Also clears the acceptance flag for the line search. One work-item. */
__kernel void trpo_step_coef(__global float *sc, const uint xfx, const uint coef,
                             const uint acc, const float max_kl, const float sign)
{
    if (get_global_id(0) != 0) return;
    const float q = sc[xfx];
    const float c = sqrt(2.0f * max_kl / q);
    sc[coef] = (q > 0.0f && isfinite(c)) ? sign * c : 0.0f;
    sc[acc] = 0.0f;
}

/* Trial parameters: p = old + frac * sc[coef] * x while no trial has been accepted; restore
 * (frac ignored) puts the old values back bit-for-bit when none was. */
__kernel void trpo_ls_set(const uint n, __global float *p, const uint p_off,
                          __global const float *old, const uint old_off,
                          __global const float *x, const uint x_off, __global const float *sc,
                          const uint coef, const uint acc, const float frac, const int restore)
{
    const uint i = get_global_id(0);
    if (i >= n || sc[acc] != 0.0f) return;
    p[p_off + i] = restore ? old[old_off + i] : old[old_off + i] + frac * sc[coef] * x[x_off + i];
}

/* Accepts trial k (the first one with mean KL <= limit and a surrogate above the old one).
 * One work-item. */
__kernel void trpo_ls_check(__global float *sc, const uint kl, const uint surr,
                            const uint surr_old, const uint acc, const uint kl_acc,
                            const uint steps, const uint surr_acc, const float limit,
                            const float k)
{
    if (get_global_id(0) != 0 || sc[acc] != 0.0f) return;
    const float d = sc[kl], s = sc[surr];
    if (isfinite(d) && isfinite(s) && d <= limit && s > sc[surr_old]) {
        sc[acc] = 1.0f;
        sc[kl_acc] = d;
        sc[steps] = k;
        sc[surr_acc] = s;
    }
}

/* The update's record: rec (8 floats, the agent's algorithm slots) gets KL, CG residual,
 * halvings and the accepted flag at the given offsets; loss (the A2C stat slots) gets
 * loss = policy loss = -surrogate after the update. One work-item. */
__kernel void trpo_ls_final(__global const float *sc, const uint acc, const uint kl_acc,
                            const uint steps, const uint surr_acc, const uint surr_old,
                            const uint res, __global float *rec, const uint r_kl,
                            const uint r_res, const uint r_steps, const uint r_acc,
                            const float trials, __global float *loss)
{
    if (get_global_id(0) != 0) return;
    const int a = sc[acc] != 0.0f;
    rec[r_kl] = a ? sc[kl_acc] : 0.0f;
    rec[r_res] = sc[res];
    rec[r_steps] = a ? sc[steps] : trials;
    rec[r_acc] = a ? 1.0f : 0.0f;
    const float s = a ? sc[surr_acc] : sc[surr_old];
    loss[0] = -s;
    loss[1] = -s;
}
