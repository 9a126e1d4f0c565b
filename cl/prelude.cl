/* Helpers shared by the kernel programs, prepended to each one (after cl/shared.h) by
 * cmake/embed_cl.cmake: the work-group sum, raising health flags, and the activations with
 * their derivatives. Static functions: a program that calls none pays nothing. Not a program
 * itself. */

/* Sum of v over the work-group of wg items (wg = the local size, a power of two), returned to
 * every item. buf holds wg floats; it is free again on return (for the next call). The tree
 * has a fixed order, so the result is deterministic. */
static float wg_sum(__local float *buf, const float v, const uint wg)
{
    const uint lid = get_local_id(0);
    buf[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (uint s = wg / 2; s > 0; s >>= 1) {
        if (lid < s) buf[lid] += buf[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = buf[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

/* Raises a sticky health flag (HEALTH_NONFINITE, HEALTH_NOT_SPD) for clkfac_context_check. */
static void health_flag(__global volatile uint *health, const uint flag)
{
    atomic_or(&health[HEALTH_FLAGS], flag);
}

/* Raises the flag and sets the per-operation guard, so the operation's guarded writes skip. */
static void health_fail(__global volatile uint *health, const uint flag)
{
    atomic_or(&health[HEALTH_FLAGS], flag);
    atomic_or(&health[HEALTH_GUARD], 1u);
}

/* f(s) for the activation codes ACT_* */
static float act_f(const int act, const float s)
{
    switch (act) {
    case ACT_RELU: return fmax(s, 0.0f);
    case ACT_TANH: return tanh(s);
    case ACT_ELU: return s > 0.0f ? s : expm1(s);
    default: return s;
    }
}

/* f'(s) from the pre-activation (relu' at 0 taken as 0, like max's subgradient in TF). The
 * backward pass (nn.cl) and the R-op (rop.cl) both use it, so the R-op is exactly the
 * transpose of what the backward pass applies. */
static float act_df(const int act, const float s)
{
    switch (act) {
    case ACT_RELU: return s > 0.0f ? 1.0f : 0.0f;
    case ACT_TANH: {
        const float t = tanh(s);
        return 1.0f - t * t;
    }
    case ACT_ELU: return s > 0.0f ? 1.0f : exp(s);
    default: return 1.0f;
    }
}
