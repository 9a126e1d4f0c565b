/* First-order optimizers on flat parameter/gradient vectors: SGD with momentum, RMSProp (the
 * TensorFlow form, epsilon inside the square root) and Adam, plus global-norm clipping. Every
 * per-step scalar (clip scale, effective learning rate, Adam's bias corrections) is computed by
 * optim_prepare on the device from the gradient norm and an optional device learning-rate scale.
 * health: [0] sticky flags (1 = non-finite), [2] per-operation guard (see cl/util.cl). */

/* Stats slots OPTIM_ST_* and kinds OPTIM_* come from cl/shared.h. */

/* One item. st[OPTIM_ST_NORM] holds ||g|| (from nrm2). Decides the step: a non-finite norm (a
 * NaN or Inf anywhere in g makes the norm non-finite, so no separate scan is needed) or learning
 * rate raises the flags and sets the guard, so the update kernel skips and nothing changes;
 * otherwise clears the guard (this kernel opens the operation: no guard reset before it) and
 * advances the step count. */
__kernel void optim_prepare(__global float *st, const float lr, __global const float *lr_scale,
                            const uint lrs_off, const int has_lr_scale, const float max_norm,
                            const int kind, const float beta1, const float beta2,
                            __global volatile uint *health)
{
    if (get_global_id(0) != 0) return;
    const float norm = st[OPTIM_ST_NORM];
    const float lr_eff = has_lr_scale ? lr * lr_scale[lrs_off] : lr;
    const int bad = !isfinite(norm) || !isfinite(lr_eff);
    health[HEALTH_GUARD] = 0u;
    st[OPTIM_ST_CLIP] = (max_norm > 0.0f && norm > max_norm) ? max_norm / norm : 1.0f;
    st[OPTIM_ST_LR] = lr_eff;
    if (bad) {
        health_fail(health, HEALTH_NONFINITE);
        return;
    }
    const float t = st[OPTIM_ST_STEPS] + 1.0f;
    st[OPTIM_ST_STEPS] = t;
    if (kind == OPTIM_ADAM) {
        st[OPTIM_ST_C1] = 1.0f / (1.0f - pow(beta1, t));
        st[OPTIM_ST_C2] = 1.0f / (1.0f - pow(beta2, t));
    }
}

/* v = mu v + g; p -= lr v   (g already clipped) */
__kernel void optim_sgd(const uint n, __global float *p, const uint p_off,
                        __global const float *g, const uint g_off, __global float *v,
                        const float mu, __global const float *st, __global const uint *health)
{
    const uint i = get_global_id(0);
    if (i >= n || health[HEALTH_GUARD] != 0u) return;
    const float gi = g[g_off + i] * st[OPTIM_ST_CLIP];
    const float vi = mu * v[i] + gi;
    v[i] = vi;
    p[p_off + i] -= st[OPTIM_ST_LR] * vi;
}

/* ms = decay ms + (1 - decay) g^2; p -= lr g / sqrt(ms + eps) */
__kernel void optim_rmsprop(const uint n, __global float *p, const uint p_off,
                            __global const float *g, const uint g_off, __global float *ms,
                            const float decay, const float one_minus_decay, const float eps,
                            __global const float *st, __global const uint *health)
{
    const uint i = get_global_id(0);
    if (i >= n || health[HEALTH_GUARD] != 0u) return;
    const float gi = g[g_off + i] * st[OPTIM_ST_CLIP];
    const float m = decay * ms[i] + one_minus_decay * gi * gi;
    ms[i] = m;
    p[p_off + i] -= st[OPTIM_ST_LR] * gi / sqrt(m + eps);
}

/* m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m c1) / (sqrt(v c2) + eps) */
__kernel void optim_adam(const uint n, __global float *p, const uint p_off,
                         __global const float *g, const uint g_off, __global float *mv,
                         const float beta1, const float beta2, const float eps,
                         __global const float *st, __global const uint *health)
{
    const uint i = get_global_id(0);
    if (i >= n || health[HEALTH_GUARD] != 0u) return;
    const float gi = g[g_off + i] * st[OPTIM_ST_CLIP];
    const float m = beta1 * mv[i] + (1.0f - beta1) * gi;
    const float v = beta2 * mv[n + i] + (1.0f - beta2) * gi * gi;
    mv[i] = m;
    mv[n + i] = v;
    p[p_off + i] -= st[OPTIM_ST_LR] * (m * st[OPTIM_ST_C1]) / (sqrt(v * st[OPTIM_ST_C2]) + eps);
}

/* Standalone global-norm clipping: st[s_off] holds ||g||; writes the scale to st[s_off + 1] and
 * scales g by it. A non-finite norm raises the flag and leaves g as it is. */
__kernel void optim_clip(const uint n, __global float *g, const uint g_off, const float max_norm,
                         __global float *st, const uint s_off, __global volatile uint *health)
{
    const uint i = get_global_id(0);
    const float norm = st[s_off];
    const int finite = isfinite(norm);
    const float s = (finite && norm > max_norm) ? max_norm / norm : 1.0f;
    if (i == 0) {
        st[s_off + 1] = finite ? s : 0.0f;
        if (!finite) health_flag(health, HEALTH_NONFINITE);
    }
    if (i >= n || s == 1.0f) return;
    g[g_off + i] *= s;
}
