/* The action distributions of a policy head, behind one table: categorical over logits, or a
 * diagonal Gaussian over means with state-independent log-stds. The agent and the algorithms
 * call a distribution's operations and never branch on the action space; a distribution's
 * parameters are the head output view (its rows are the batch) plus, for the Gaussian, the
 * log-stds. Everything is enqueued on the device (clkfac/heads.h holds the kernels' contracts). */
#ifndef CLKFAC_RL_POLICY_H
#define CLKFAC_RL_POLICY_H

#include "clkfac/heads.h"
#include "clkfac/nn.h"

/* Parameters of n distributions (or their gradients): out is (n, a) logits or means with
 * ld == a; logstd (a floats at logstd_off) for the Gaussian, NULL otherwise. A gradient's
 * logstd may be NULL to leave the log-std gradient alone. */
typedef struct policy_params {
    clkfac_nn_view out;
    cl_mem logstd;
    size_t logstd_off;
} policy_params;

/* A scalar or per-row output: rows (n floats) and/or the mean over rows into one float; either
 * buffer may be NULL. */
typedef struct policy_out {
    cl_mem rows;
    size_t rows_off;
    cl_mem mean;
    size_t mean_off;
} policy_out;

typedef struct policy_dist {
    const char *name;
    /* actions (n, act) drawn with the counter-based RNG (seed, step) */
    clkfac_status (*sample)(clkfac_context *ctx, const policy_params *p, uint64_t seed,
                            uint64_t step, cl_mem actions, size_t actions_off);
    /* log pi(a|s) of the actions (n, act) at 0 */
    clkfac_status (*log_prob)(clkfac_context *ctx, const policy_params *p, cl_mem actions,
                              const policy_out *out);
    clkfac_status (*entropy)(clkfac_context *ctx, const policy_params *p, const policy_out *out);
    /* KL(old || cur) */
    clkfac_status (*kl)(clkfac_context *ctx, const policy_params *old, const policy_params *cur,
                        const policy_out *out);
    /* the A2C loss's gradient at the policy head (dp) and the value head (dv), its statistics
     * (CLKFAC_A2C_STATS floats) into stats; actions, adv and returns (n rows) at offset 0 */
    clkfac_status (*a2c_loss)(clkfac_context *ctx, const clkfac_a2c_loss_options *lo,
                              const policy_params *p, const policy_params *dp, cl_mem actions,
                              cl_mem adv, cl_mem returns, const clkfac_nn_view *v,
                              const clkfac_nn_view *dv, cl_mem stats);
    /* dp = scale * d(-log pi(a|s))/dp per row (the Fisher pass's sampled-target gradient) */
    clkfac_status (*nll_grad)(clkfac_context *ctx, const policy_params *p, cl_mem actions,
                              float scale, const policy_params *dp);
    /* TRPO's surrogate mean(exp(logp - logp_old) adv) into stats[slot]; with dp, its gradient */
    clkfac_status (*surrogate)(clkfac_context *ctx, const policy_params *p, cl_mem actions,
                               cl_mem logp_old, cl_mem adv, const policy_params *dp,
                               cl_mem stats, size_t slot);
    /* out = scale * M v, M the Fisher of the distribution w.r.t. its parameters, v given as the
     * output tangent jv (n, a) and, for the Gaussian, a log-std tangent (p->logstd's size) */
    clkfac_status (*fvp)(clkfac_context *ctx, const policy_params *p, const clkfac_nn_view *jv,
                         cl_mem v_logstd, size_t v_logstd_off, float scale,
                         const policy_params *out);
    /* host: the most likely actions (n, act) from the head output out (n, a) read back;
     * NONFINITE names a row whose choice is not finite */
    clkfac_status (*greedy)(const float *out, size_t n, size_t a, float *actions);
    int has_logstd; /* the Gaussian's log-stds are parameters too */
} policy_dist;

extern const policy_dist policy_categorical;
extern const policy_dist policy_gaussian;

#endif
