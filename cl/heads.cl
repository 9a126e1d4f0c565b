/* Policy and value heads: categorical (logits) and diagonal-Gaussian (mean + shared log-std)
 * distributions, their sampling from a counter-based RNG (Philox4x32-10), log-probabilities,
 * entropies, KL, the A2C / ACKTR-Fisher / TRPO-surrogate gradients and output Fisher products.
 * Means over the batch are reduced inside one work-group (fixed order: deterministic).
 * health: [0] sticky flags (1 = non-finite). */

#ifndef HEADS_WG
#define HEADS_WG CLKFAC_WG /* work-group size of the batch reductions; a power of two */
#endif

#define LOG_2PI 1.8378770664093453f /* log(2*pi) */

/* ---- counter-based RNG ------------------------------------------------------------------ */

/* Philox4x32-10 (Salmon et al., SC'11): ten rounds of two 32x32->64 multiplies in a Feistel
 * network, with the key bumped by two Weyl constants between rounds. */
static uint4 philox4x32_10(uint4 c, uint2 k)
{
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k.x += 0x9E3779B9u;
            k.y += 0xBB67AE85u;
        }
        const uint hi0 = mul_hi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
        const uint hi1 = mul_hi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
        c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

/* The draw for (seed, step, tag, index): counter (index, tag, step_lo, step_hi), key seed. */
static uint4 rng_draw(const uint index, const uint tag, const uint seed_lo, const uint seed_hi,
                      const uint step_lo, const uint step_hi)
{
    return philox4x32_10((uint4)(index, tag, step_lo, step_hi), (uint2)(seed_lo, seed_hi));
}

/* The top 24 bits as a float: [0, 1) and (0, 1] (exact in float, so host and device agree). */
static float u01_co(const uint x) { return (float)(x >> 8) * 5.9604644775390625e-8f; }
static float u01_oc(const uint x) { return (float)((x >> 8) + 1u) * 5.9604644775390625e-8f; }

/* Box-Muller from the first two words; the (0, 1] uniform keeps log() finite. */
static float normal_draw(const uint4 r)
{
    return sqrt(-2.0f * log(u01_oc(r.x))) * cos(6.283185307179586f * u01_co(r.y));
}

/* ---- helpers ----------------------------------------------------------------------------- */

/* The row max m and log sum_j exp(z_j - m) of one row: log p_j = (z_j - m) - ls. Keeping the
 * shift separate keeps z_j - m exact for large logits (m + log s would round to the spacing of
 * m). NaN propagates (fmax drops a NaN but the sum of exp(NaN - m) does not). */
static float2 row_shift(__global const float *z, const uint a)
{
    float m = z[0];
    for (uint j = 1; j < a; j++) m = fmax(m, z[j]);
    float s = 0.0f;
    for (uint j = 0; j < a; j++) s += exp(z[j] - m);
    return (float2)(m, log(s));
}

/* log softmax entry j given the row's shift */
static float lsm(const float zj, const float2 sh) { return (zj - sh.x) - sh.y; }

/* The action index stored as a float, or -1 when it is not an integer in [0, a). */
static int action_index(const float v, const uint a)
{
    if (!(v >= 0.0f && v < (float)a) || v != floor(v)) return -1;
    return (int)v;
}

/* Item 0 of the work-group stores the batch statistic v at stats[off], raising NONFINITE when
 * it is not finite. */
static void put_stat(__global float *stats, const uint off, const float v,
                     __global volatile uint *health)
{
    if (get_local_id(0) != 0) return;
    stats[off] = v;
    if (!isfinite(v)) health_flag(health, HEALTH_NONFINITE);
}

/* Item 0 stores the A2C record (total, policy, value, entropy) from the three batch means,
 * raising NONFINITE when the total is not finite. */
static void put_a2c_stats(__global float *stats, const uint s_off, const float pg, const float vf,
                          const float ent, const float ent_coef, const float vf_coef,
                          __global volatile uint *health)
{
    if (get_local_id(0) != 0) return;
    const float total = pg - ent_coef * ent + vf_coef * vf;
    stats[s_off + A2C_STAT_LOSS] = total;
    stats[s_off + A2C_STAT_POLICY] = pg;
    stats[s_off + A2C_STAT_VALUE] = vf;
    stats[s_off + A2C_STAT_ENTROPY] = ent;
    if (!isfinite(total)) health_flag(health, HEALTH_NONFINITE);
}

/* ---- categorical -------------------------------------------------------------------------- */

/* out (n, a) = log softmax(z) row by row. One item per row. */
__kernel void heads_cat_log_softmax(const uint n, const uint a, __global const float *z,
                                    const uint z_off, __global float *out, const uint out_off)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    __global const float *zi = z + z_off + i * a;
    const float2 sh = row_shift(zi, a);
    for (uint j = 0; j < a; j++) out[out_off + i * a + j] = lsm(zi[j], sh);
}

/* Per-row log p(x_i) (x: actions (n)), entropy, or KL(softmax(z_i) || softmax(x_i)) (x: logits
 * (n, a)); rows (n) and/or their mean (1). One work-group. */
__kernel __attribute__((reqd_work_group_size(HEADS_WG, 1, 1)))
void heads_cat_rowstat(const int kind, const uint n, const uint a, __global const float *z,
                       const uint z_off, __global const float *x, const uint x_off,
                       __global float *rows, const uint rows_off, const int want_rows,
                       __global float *mean, const uint mean_off, const int want_mean)
{
    __local float red[HEADS_WG];
    const uint lid = get_local_id(0);
    float acc = 0.0f;
    for (uint i = lid; i < n; i += HEADS_WG) {
        __global const float *zi = z + z_off + i * a;
        const float2 sh = row_shift(zi, a);
        float v = 0.0f;
        if (kind == STAT_LOGP) {
            const int k = action_index(x[x_off + i], a);
            v = k < 0 ? NAN : lsm(zi[k], sh);
        } else if (kind == STAT_ENTROPY) {
            for (uint j = 0; j < a; j++) {
                const float lp = lsm(zi[j], sh);
                v -= exp(lp) * lp;
            }
        } else {
            __global const float *yi = x + x_off + i * a;
            const float2 sh2 = row_shift(yi, a);
            for (uint j = 0; j < a; j++) {
                const float lp = lsm(zi[j], sh);
                v += exp(lp) * (lp - lsm(yi[j], sh2));
            }
        }
        if (want_rows) rows[rows_off + i] = v;
        acc += v;
    }
    const float total = wg_sum(red, acc, HEADS_WG);
    if (lid == 0 && want_mean) mean[mean_off] = total / (float)n;
}

/* One categorical draw per row by inverting the CDF of softmax(z_i) with a 24-bit uniform.
 * Comparing u*S against the running sum of exp(z - max) needs no division; a non-finite row
 * gets a NaN action and raises the flag rather than a plausible index. */
__kernel void heads_cat_sample(const uint n, const uint a, __global const float *z,
                               const uint z_off, const uint seed_lo, const uint seed_hi,
                               const uint step_lo, const uint step_hi, __global float *act,
                               const uint act_off, __global volatile uint *health)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    __global const float *zi = z + z_off + i * a;
    float m = zi[0];
    for (uint j = 1; j < a; j++) m = fmax(m, zi[j]);
    float s = 0.0f;
    for (uint j = 0; j < a; j++) s += exp(zi[j] - m);
    if (!isfinite(s)) {
        act[act_off + i] = NAN;
        health_flag(health, HEALTH_NONFINITE);
        return;
    }
    const uint4 r = rng_draw(i, RNG_TAG_CATEGORICAL, seed_lo, seed_hi, step_lo, step_hi);
    const float t = u01_co(r.x) * s;
    float c = 0.0f;
    int pick = -1, last = 0;
    for (uint j = 0; j < a; j++) {
        const float e = exp(zi[j] - m);
        if (e > 0.0f) last = (int)j;
        c += e;
        if (pick < 0 && t < c) pick = (int)j;
    }
    /* u*S can round up to S itself: fall back to the last class with mass */
    act[act_off + i] = (float)(pick < 0 ? last : pick);
}

/* The A2C loss with ent_coef, vf_coef (see heads.h): writes dz (n, a), dv (n) and
 * stats[0..3] = (total, policy, value, entropy). One work-group. */
__kernel __attribute__((reqd_work_group_size(HEADS_WG, 1, 1)))
void heads_cat_a2c(const uint n, const uint a, __global const float *z, const uint z_off,
                   __global const float *act, const uint act_off, __global const float *adv,
                   const uint adv_off, __global const float *ret, const uint ret_off,
                   __global const float *val, const uint val_off, __global float *dz,
                   const uint dz_off, __global float *dv, const uint dv_off,
                   __global float *stats, const uint s_off, const float ent_coef,
                   const float vf_coef, __global volatile uint *health)
{
    __local float red[HEADS_WG];
    const uint lid = get_local_id(0);
    const float inv_n = 1.0f / (float)n;
    float pg = 0.0f, vf = 0.0f, ent = 0.0f;
    for (uint i = lid; i < n; i += HEADS_WG) {
        __global const float *zi = z + z_off + i * a;
        __global float *di = dz + dz_off + i * a;
        const float2 sh = row_shift(zi, a);
        const int k = action_index(act[act_off + i], a);
        /* an invalid action poisons this row's loss and gradient instead of passing silently */
        const float A = k < 0 ? NAN : adv[adv_off + i];
        float h = 0.0f;
        for (uint j = 0; j < a; j++) {
            const float lp = lsm(zi[j], sh);
            h -= exp(lp) * lp;
        }
        for (uint j = 0; j < a; j++) {
            const float lp = lsm(zi[j], sh), p = exp(lp);
            const float onehot = (int)j == k ? 1.0f : 0.0f;
            di[j] = inv_n * (-A * (onehot - p) + ent_coef * p * (lp + h));
        }
        const float e = ret[ret_off + i] - val[val_off + i];
        dv[dv_off + i] = -2.0f * vf_coef * e * inv_n;
        pg -= (k < 0 ? NAN : lsm(zi[k], sh)) * A;
        vf += e * e;
        ent += h;
    }
    pg = wg_sum(red, pg, HEADS_WG) * inv_n;
    vf = wg_sum(red, vf, HEADS_WG) * inv_n;
    ent = wg_sum(red, ent, HEADS_WG) * inv_n;
    put_a2c_stats(stats, s_off, pg, vf, ent, ent_coef, vf_coef, health);
}

/* dz (n, a) = scale * d/dz of -mean_i log p(act_i): scale/n * (p - onehot). One item per row. */
__kernel void heads_cat_nll_grad(const uint n, const uint a, __global const float *z,
                                 const uint z_off, __global const float *act,
                                 const uint act_off, const float scale, __global float *dz,
                                 const uint dz_off)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    __global const float *zi = z + z_off + i * a;
    const float2 sh = row_shift(zi, a);
    const int k = action_index(act[act_off + i], a);
    const float c = k < 0 ? NAN : scale / (float)n;
    for (uint j = 0; j < a; j++)
        dz[dz_off + i * a + j] = c * (exp(lsm(zi[j], sh)) - ((int)j == k ? 1.0f : 0.0f));
}

/* out_i = scale * (diag(p_i) - p_i p_i^T) v_i, the softmax output Fisher. One item per row. */
__kernel void heads_cat_fvp(const uint n, const uint a, __global const float *z, const uint z_off,
                            __global const float *v, const uint v_off, const float scale,
                            __global float *out, const uint out_off)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    __global const float *zi = z + z_off + i * a;
    __global const float *vi = v + v_off + i * a;
    const float2 sh = row_shift(zi, a);
    float pv = 0.0f;
    for (uint j = 0; j < a; j++) pv += exp(lsm(zi[j], sh)) * vi[j];
    for (uint j = 0; j < a; j++)
        out[out_off + i * a + j] = scale * exp(lsm(zi[j], sh)) * (vi[j] - pv);
}

/* TRPO surrogate mean_i exp(log p(act_i) - lp_old_i) * adv_i into stats[0] and, when
 * want_grad, its gradient dz (n, a). One work-group. */
__kernel __attribute__((reqd_work_group_size(HEADS_WG, 1, 1)))
void heads_cat_surrogate(const uint n, const uint a, __global const float *z, const uint z_off,
                         __global const float *act, const uint act_off,
                         __global const float *lp_old, const uint lpo_off,
                         __global const float *adv, const uint adv_off, __global float *dz,
                         const uint dz_off, const int want_grad, __global float *stats,
                         const uint s_off, __global volatile uint *health)
{
    __local float red[HEADS_WG];
    const uint lid = get_local_id(0);
    const float inv_n = 1.0f / (float)n;
    float acc = 0.0f;
    for (uint i = lid; i < n; i += HEADS_WG) {
        __global const float *zi = z + z_off + i * a;
        const float2 sh = row_shift(zi, a);
        const int k = action_index(act[act_off + i], a);
        const float lp = k < 0 ? NAN : lsm(zi[k], sh);
        const float ra = exp(lp - lp_old[lpo_off + i]) * adv[adv_off + i];
        acc += ra;
        if (want_grad)
            for (uint j = 0; j < a; j++)
                dz[dz_off + i * a + j] =
                    inv_n * ra * (((int)j == k ? 1.0f : 0.0f) - exp(lsm(zi[j], sh)));
    }
    acc = wg_sum(red, acc, HEADS_WG) * inv_n;
    put_stat(stats, s_off, acc, health);
}

/* ---- diagonal Gaussian -------------------------------------------------------------------- */

/* act (n, a) = mu + exp(ls) * N(0, 1), one normal per element from counter index i*a + j. */
__kernel void heads_gauss_sample(const uint n, const uint a, __global const float *mu,
                                 const uint mu_off, __global const float *ls, const uint ls_off,
                                 const uint seed_lo, const uint seed_hi, const uint step_lo,
                                 const uint step_hi, __global float *act, const uint act_off)
{
    const uint e = get_global_id(0);
    if (e >= n * a) return;
    const uint4 r = rng_draw(e, RNG_TAG_GAUSSIAN, seed_lo, seed_hi, step_lo, step_hi);
    act[act_off + e] = mu[mu_off + e] + exp(ls[ls_off + e % a]) * normal_draw(r);
}

/* log N(x; mu_i, diag(exp(2 ls))) of one row. */
static float gauss_row_logp(__global const float *mu, __global const float *ls,
                            __global const float *x, const uint a)
{
    float s = 0.0f;
    for (uint j = 0; j < a; j++) {
        const float d = (x[j] - mu[j]) * exp(-ls[j]);
        s -= 0.5f * d * d + ls[j];
    }
    return s - 0.5f * (float)a * LOG_2PI;
}

/* Per-row log p(x_i) (x: actions (n, a)), entropy, or KL(N(mu, ls) || N(mu2, ls2)); rows (n)
 * and/or their mean (1). One work-group. */
__kernel __attribute__((reqd_work_group_size(HEADS_WG, 1, 1)))
void heads_gauss_rowstat(const int kind, const uint n, const uint a, __global const float *mu,
                         const uint mu_off, __global const float *ls, const uint ls_off,
                         __global const float *x, const uint x_off, __global const float *mu2,
                         const uint mu2_off, __global const float *ls2, const uint ls2_off,
                         __global float *rows, const uint rows_off, const int want_rows,
                         __global float *mean, const uint mean_off, const int want_mean)
{
    __local float red[HEADS_WG];
    const uint lid = get_local_id(0);
    float acc = 0.0f;
    for (uint i = lid; i < n; i += HEADS_WG) {
        float v = 0.0f;
        if (kind == STAT_LOGP) {
            v = gauss_row_logp(mu + mu_off + i * a, ls + ls_off, x + x_off + i * a, a);
        } else if (kind == STAT_ENTROPY) {
            for (uint j = 0; j < a; j++) v += ls[ls_off + j];
            v += 0.5f * (float)a * (LOG_2PI + 1.0f);
        } else {
            for (uint j = 0; j < a; j++) {
                const float l1 = ls[ls_off + j], l2 = ls2[ls2_off + j];
                const float d = (mu[mu_off + i * a + j] - mu2[mu2_off + i * a + j]) * exp(-l2);
                v += l2 - l1 + 0.5f * (exp(2.0f * (l1 - l2)) + d * d) - 0.5f;
            }
        }
        if (want_rows) rows[rows_off + i] = v;
        acc += v;
    }
    const float total = wg_sum(red, acc, HEADS_WG);
    if (lid == 0 && want_mean) mean[mean_off] = total / (float)n;
}

/* A2C statistics and the value gradient for the Gaussian head: dv (n), stats[0..3] = (total,
 * policy, value, entropy). The mean and log-std gradients come from heads_gauss_grad and
 * heads_gauss_grad_logstd. One work-group. */
__kernel __attribute__((reqd_work_group_size(HEADS_WG, 1, 1)))
void heads_gauss_a2c(const uint n, const uint a, __global const float *mu, const uint mu_off,
                     __global const float *ls, const uint ls_off, __global const float *act,
                     const uint act_off, __global const float *adv, const uint adv_off,
                     __global const float *ret, const uint ret_off, __global const float *val,
                     const uint val_off, __global float *dv, const uint dv_off,
                     __global float *stats, const uint s_off, const float ent_coef,
                     const float vf_coef, __global volatile uint *health)
{
    __local float red[HEADS_WG];
    const uint lid = get_local_id(0);
    const float inv_n = 1.0f / (float)n;
    float pg = 0.0f, vf = 0.0f;
    for (uint i = lid; i < n; i += HEADS_WG) {
        const float lp = gauss_row_logp(mu + mu_off + i * a, ls + ls_off, act + act_off + i * a, a);
        const float e = ret[ret_off + i] - val[val_off + i];
        dv[dv_off + i] = -2.0f * vf_coef * e * inv_n;
        pg -= lp * adv[adv_off + i];
        vf += e * e;
    }
    pg = wg_sum(red, pg, HEADS_WG) * inv_n;
    vf = wg_sum(red, vf, HEADS_WG) * inv_n;
    /* state-independent log-std: every row has the same entropy */
    float ent = 0.5f * (float)a * (LOG_2PI + 1.0f);
    for (uint j = 0; j < a; j++) ent += ls[ls_off + j];
    put_a2c_stats(stats, s_off, pg, vf, ent, ent_coef, vf_coef, health);
}

/* The three policy gradients share one form: dL/dmu_ij = w_i (x_ij - mu_ij) / sigma_j^2 and
 * dL/dls_j = sum_i w_i ((x_ij - mu_ij)^2 / sigma_j^2 - 1) (+ a constant), with a per-row w_i. */
static float gauss_row_weight(const int kind, const uint i, const uint a,
                              __global const float *mu, __global const float *ls,
                              __global const float *x, __global const float *w1, const uint w1_off,
                              __global const float *w2, const uint w2_off, const float scale,
                              const float inv_n)
{
    if (kind == GRAD_A2C) return -w1[w1_off + i] * inv_n;
    if (kind == GRAD_NLL) return -scale * inv_n;
    const float lp = gauss_row_logp(mu + i * a, ls, x + i * a, a);
    return exp(lp - w1[w1_off + i]) * w2[w2_off + i] * inv_n;
}

/* dmu (n, a), one item per element. w1/w2: adv (A2C) or lp_old/adv (SURR); unused for NLL. */
__kernel void heads_gauss_grad(const int kind, const uint n, const uint a,
                               __global const float *mu, const uint mu_off,
                               __global const float *ls, const uint ls_off,
                               __global const float *act, const uint act_off,
                               __global const float *w1, const uint w1_off,
                               __global const float *w2, const uint w2_off, const float scale,
                               __global float *dmu, const uint dmu_off)
{
    const uint e = get_global_id(0);
    if (e >= n * a) return;
    const uint i = e / a, j = e % a;
    const float w = gauss_row_weight(kind, i, a, mu + mu_off, ls + ls_off, act + act_off, w1,
                                     w1_off, w2, w2_off, scale, 1.0f / (float)n);
    dmu[dmu_off + e] = w * (act[act_off + e] - mu[mu_off + e]) * exp(-2.0f * ls[ls_off + j]);
}

/* dls (a) = sum over rows (one work-group per column j) + cst. */
__kernel __attribute__((reqd_work_group_size(HEADS_WG, 1, 1)))
void heads_gauss_grad_logstd(const int kind, const uint n, const uint a,
                             __global const float *mu, const uint mu_off,
                             __global const float *ls, const uint ls_off,
                             __global const float *act, const uint act_off,
                             __global const float *w1, const uint w1_off,
                             __global const float *w2, const uint w2_off, const float scale,
                             const float cst, __global float *dls, const uint dls_off)
{
    __local float red[HEADS_WG];
    const uint lid = get_local_id(0), j = get_group_id(0);
    const float inv_n = 1.0f / (float)n, inv_s = exp(-ls[ls_off + j]);
    float acc = 0.0f;
    for (uint i = lid; i < n; i += HEADS_WG) {
        const float w = gauss_row_weight(kind, i, a, mu + mu_off, ls + ls_off, act + act_off, w1,
                                         w1_off, w2, w2_off, scale, inv_n);
        const float d = (act[act_off + i * a + j] - mu[mu_off + i * a + j]) * inv_s;
        acc += w * (d * d - 1.0f);
    }
    acc = wg_sum(red, acc, HEADS_WG);
    if (lid == 0) dls[dls_off + j] = acc + cst;
}

/* TRPO surrogate value for the Gaussian head into stats[0]. One work-group. */
__kernel __attribute__((reqd_work_group_size(HEADS_WG, 1, 1)))
void heads_gauss_surrogate(const uint n, const uint a, __global const float *mu,
                           const uint mu_off, __global const float *ls, const uint ls_off,
                           __global const float *act, const uint act_off,
                           __global const float *lp_old, const uint lpo_off,
                           __global const float *adv, const uint adv_off,
                           __global float *stats, const uint s_off,
                           __global volatile uint *health)
{
    __local float red[HEADS_WG];
    const uint lid = get_local_id(0);
    float acc = 0.0f;
    for (uint i = lid; i < n; i += HEADS_WG) {
        const float lp = gauss_row_logp(mu + mu_off + i * a, ls + ls_off, act + act_off + i * a, a);
        acc += exp(lp - lp_old[lpo_off + i]) * adv[adv_off + i];
    }
    acc = wg_sum(red, acc, HEADS_WG) / (float)n;
    put_stat(stats, s_off, acc, health);
}

/* Output Fisher of the Gaussian head: out_mu (n, a) = scale * v_mu / sigma^2 and
 * out_ls (a) = scale * n * 2 * v_ls (the log-std is shared by all n rows). Items [0, n*a)
 * do the mean part, items [n*a, n*a + a) the log-std part. */
__kernel void heads_gauss_fvp(const uint n, const uint a, __global const float *ls,
                              const uint ls_off, __global const float *v_mu, const uint vmu_off,
                              __global const float *v_ls, const uint vls_off, const float scale,
                              __global float *out_mu, const uint omu_off, __global float *out_ls,
                              const uint ols_off)
{
    const uint e = get_global_id(0);
    if (e < n * a) {
        out_mu[omu_off + e] = scale * v_mu[vmu_off + e] * exp(-2.0f * ls[ls_off + e % a]);
    } else if (e < n * a + a) {
        const uint j = e - n * a;
        out_ls[ols_off + j] = scale * (float)n * 2.0f * v_ls[vls_off + j];
    }
}

/* ---- value head --------------------------------------------------------------------------- */

/* stats[0] = mean (V - R)^2, dv (n) = 2 (V - R) / n. One work-group. */
__kernel __attribute__((reqd_work_group_size(HEADS_WG, 1, 1)))
void heads_value_mse(const uint n, __global const float *val, const uint val_off,
                     __global const float *ret, const uint ret_off, __global float *dv,
                     const uint dv_off, __global float *stats, const uint s_off,
                     __global volatile uint *health)
{
    __local float red[HEADS_WG];
    const uint lid = get_local_id(0);
    const float inv_n = 1.0f / (float)n;
    float acc = 0.0f;
    for (uint i = lid; i < n; i += HEADS_WG) {
        const float e = val[val_off + i] - ret[ret_off + i];
        dv[dv_off + i] = 2.0f * e * inv_n;
        acc += e * e;
    }
    acc = wg_sum(red, acc, HEADS_WG) * inv_n;
    put_stat(stats, s_off, acc, health);
}

/* Gauss-Newton critic gradient: target = V + eps (stop-gradient), so d/dV mean (V - target)^2
 * = -2 eps / n, times scale. V itself cancels. One item per row. */
__kernel void heads_value_fisher_grad(const uint n, const uint seed_lo, const uint seed_hi,
                                      const uint step_lo, const uint step_hi, const float scale,
                                      __global float *dv, const uint dv_off)
{
    const uint i = get_global_id(0);
    if (i >= n) return;
    const uint4 r = rng_draw(i, RNG_TAG_VALUE, seed_lo, seed_hi, step_lo, step_hi);
    dv[dv_off + i] = -2.0f * scale / (float)n * normal_draw(r);
}
