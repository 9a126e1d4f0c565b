/* clkfac/heads.h — policy and value heads on the device, working on a network's raw outputs in
 * plain buffers: the categorical head (logits) and the diagonal-Gaussian head (mean rows plus a
 * state-independent log-std vector); sampling from a counter-based RNG; log-probabilities,
 * entropies and KL; the A2C loss, the ACKTR Fisher-pass gradients, the TRPO surrogate and the
 * output-distribution Fisher-vector products, each with its gradient w.r.t. the head outputs.
 *
 * Layout: row-major float32 in cl_mem buffers with element offsets; n rows (the batch), a
 * actions (categorical) or action dimensions (Gaussian). Categorical actions are stored as
 * floats holding integers in [0, a) (exact up to 2^24); an action that is not such an integer
 * makes its row's log-probability, loss and gradient NaN (it never passes silently). Logits
 * must be finite (mask an action with a large negative logit such as -1e4, not -inf).
 *
 * Conventions:
 *  - Gradients are written (overwritten), not accumulated: they are the start of a backward pass.
 *  - Means over the batch are reduced on the device into caller-provided stats slots; nothing is
 *    read back. Reductions run in one work-group in a fixed order, so results are bit-identical
 *    from run to run on one device. Optional outputs are NULL to skip them.
 *  - Every call enqueues work and returns without waiting. The loss calls (A2C, surrogate, value
 *    MSE) raise the NONFINITE health flag when the loss comes out NaN/Inf, and so does sampling
 *    from non-finite logits (see clkfac_context_check).
 *  - Sizes: n * a + every offset must stay below 2^32.
 *
 * Random numbers: draw (seed, step, tag, index) = Philox4x32-10 with counter
 * (index, tag, step & 0xffffffff, step >> 32) and key (seed & 0xffffffff, seed >> 32); a word x
 * becomes u = (x >> 8) * 2^-24 in [0, 1) (u' = ((x >> 8) + 1) * 2^-24 in (0, 1] where a log is
 * taken). The same (seed, step) reproduces the same samples on every device; advance `step` on
 * every call (e.g. the global environment step) for fresh ones. */
#ifndef CLKFAC_HEADS_H
#define CLKFAC_HEADS_H

#include "clkfac/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RNG tags (the second counter word), so the streams of different samplers never overlap. */
#define CLKFAC_RNG_TAG_CATEGORICAL 1u  /* index = row; u from word 0 */
#define CLKFAC_RNG_TAG_GAUSSIAN 2u     /* index = row*a + j; Box-Muller from words 0 and 1 */
#define CLKFAC_RNG_TAG_VALUE 3u        /* index = row; Box-Muller from words 0 and 1 */

/* Slots written by the A2C loss calls (4 floats from stats_off). */
#define CLKFAC_A2C_STAT_LOSS 0     /* total L */
#define CLKFAC_A2C_STAT_POLICY 1   /* -mean(log pi(a|s) * adv) */
#define CLKFAC_A2C_STAT_VALUE 2    /* mean((R - V)^2), before vf_coef */
#define CLKFAC_A2C_STAT_ENTROPY 3  /* mean entropy, before ent_coef */
#define CLKFAC_A2C_STATS 4

/* The A2C loss
 *     L = -mean_i(log pi(a_i|s_i) * adv_i) - ent_coef * mean_i H_i + vf_coef * mean_i (R_i - V_i)^2
 * The value term is the plain mean squared error, as in the A2C reference (its loss multiplies
 * mean((R-V)^2) by vf_coef = 0.5); the ACKTR reference halves the squared error first, which is
 * vf_coef = 0.25 here. */
typedef struct clkfac_a2c_loss_options {
    unsigned version;   /* CLKFAC_A2C_LOSS_OPTIONS_VERSION */
    float ent_coef;     /* entropy bonus (default 0.01) */
    float vf_coef;      /* value-loss weight (default 0.5) */
} clkfac_a2c_loss_options;

#define CLKFAC_A2C_LOSS_OPTIONS_VERSION 1
#define CLKFAC_A2C_LOSS_OPTIONS_INIT { CLKFAC_A2C_LOSS_OPTIONS_VERSION, 0.01f, 0.5f }

/* ---- categorical head: logits (n, a) ---------------------------------------------------------- */

/* out (n, a) = log softmax(logits) per row, shifted by the row max (no overflow for any finite
 * logits). out may alias logits. */
clkfac_status clkfac_heads_cat_log_softmax(clkfac_context *ctx, size_t n, size_t a,
                                           cl_mem logits, size_t logits_off, cl_mem out,
                                           size_t out_off);

/* actions (n) = one draw per row from softmax(logits), by inverse CDF with the RNG draw
 * (seed, step, CATEGORICAL, row). A row with non-finite logits gets NaN and raises NONFINITE. */
clkfac_status clkfac_heads_cat_sample(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                      size_t logits_off, uint64_t seed, uint64_t step,
                                      cl_mem actions, size_t actions_off);

/* rows (n) = log pi(actions_i | logits_i); mean[mean_off] = their mean. Either output may be
 * NULL, not both. */
clkfac_status clkfac_heads_cat_log_prob(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                        size_t logits_off, cl_mem actions, size_t actions_off,
                                        cl_mem rows, size_t rows_off, cl_mem mean,
                                        size_t mean_off);

/* rows (n) = entropy -sum_j p_j log p_j of each row; mean[mean_off] = their mean. */
clkfac_status clkfac_heads_cat_entropy(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                       size_t logits_off, cl_mem rows, size_t rows_off,
                                       cl_mem mean, size_t mean_off);

/* rows (n) = KL(p_old || p_new) = sum_j p_old,j (log p_old,j - log p_new,j) from two logits
 * buffers (n, a); mean[mean_off] = their mean. */
clkfac_status clkfac_heads_cat_kl(clkfac_context *ctx, size_t n, size_t a, cl_mem logits_old,
                                  size_t old_off, cl_mem logits_new, size_t new_off, cl_mem rows,
                                  size_t rows_off, cl_mem mean, size_t mean_off);

/* The A2C loss (see clkfac_a2c_loss_options; opts NULL = defaults) over actions (n),
 * advantages (n), returns (n) and values (n): writes dlogits (n, a) = dL/dlogits,
 * dvalues (n) = dL/dV = -2 vf_coef (R - V) / n, and CLKFAC_A2C_STATS floats at stats_off. */
clkfac_status clkfac_heads_cat_a2c_loss(clkfac_context *ctx, const clkfac_a2c_loss_options *opts,
                                        size_t n, size_t a, cl_mem logits, size_t logits_off,
                                        cl_mem actions, size_t actions_off, cl_mem adv,
                                        size_t adv_off, cl_mem returns, size_t returns_off,
                                        cl_mem values, size_t values_off, cl_mem dlogits,
                                        size_t dlogits_off, cl_mem dvalues, size_t dvalues_off,
                                        cl_mem stats, size_t stats_off);

/* ACKTR Fisher pass, actor term: dlogits (n, a) = scale * d/dlogits of -mean_i log pi(a_i|s_i)
 * = scale/n * (p_i - onehot(a_i)), with a_i drawn from the current policy (the rollout's own
 * actions, or a fresh clkfac_heads_cat_sample). scale = n gives the per-example gradients whose
 * outer products make the K-FAC G factor (kfac.h). */
clkfac_status clkfac_heads_cat_nll_grad(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                        size_t logits_off, cl_mem actions, size_t actions_off,
                                        float scale, cl_mem dlogits, size_t dlogits_off);

/* TRPO: out (n, a) = scale * M_i v_i with the softmax output Fisher M_i = diag(p_i) - p_i p_i^T,
 * i.e. p (.) v - p (p . v) per row. With scale = 1/n this is the Hessian of the mean KL
 * w.r.t. the logits applied to v. out may not alias v. */
clkfac_status clkfac_heads_cat_fvp(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                   size_t logits_off, cl_mem v, size_t v_off, float scale,
                                   cl_mem out, size_t out_off);

/* TRPO surrogate S = mean_i exp(log pi(a_i|s_i) - logp_old_i) * adv_i into stats[stats_off];
 * dlogits (n, a) = dS/dlogits (the gradient of S itself, to be ascended), or NULL to skip it
 * (line search). logp_old (n) as written by clkfac_heads_cat_log_prob before the update. */
clkfac_status clkfac_heads_cat_surrogate(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                         size_t logits_off, cl_mem actions, size_t actions_off,
                                         cl_mem logp_old, size_t logp_old_off, cl_mem adv,
                                         size_t adv_off, cl_mem dlogits, size_t dlogits_off,
                                         cl_mem stats, size_t stats_off);

/* ---- diagonal Gaussian head: mean (n, a), logstd (a) shared by all rows ---------------------- */

/* actions (n, a) = mean + exp(logstd) * z, z standard normal from the RNG draw
 * (seed, step, GAUSSIAN, row*a + j) by Box-Muller. */
clkfac_status clkfac_heads_gauss_sample(clkfac_context *ctx, size_t n, size_t a, cl_mem mean,
                                        size_t mean_off, cl_mem logstd, size_t logstd_off,
                                        uint64_t seed, uint64_t step, cl_mem actions,
                                        size_t actions_off);

/* rows (n) = log N(actions_i; mean_i, diag(exp(2 logstd))); mean_out[mo_off] = their mean. */
clkfac_status clkfac_heads_gauss_log_prob(clkfac_context *ctx, size_t n, size_t a, cl_mem mean,
                                          size_t mean_off, cl_mem logstd, size_t logstd_off,
                                          cl_mem actions, size_t actions_off, cl_mem rows,
                                          size_t rows_off, cl_mem mean_out, size_t mo_off);

/* rows (n) = sum_j (logstd_j + 0.5 log(2 pi e)) (the same for every row); mean_out = that. */
clkfac_status clkfac_heads_gauss_entropy(clkfac_context *ctx, size_t n, size_t a, cl_mem logstd,
                                         size_t logstd_off, cl_mem rows, size_t rows_off,
                                         cl_mem mean_out, size_t mo_off);

/* rows (n) = KL(N_old || N_new) = sum_j [ls_new - ls_old + (s_old^2 + (m_old - m_new)^2) /
 * (2 s_new^2) - 1/2], s = exp(ls); mean_out[mo_off] = their mean. */
clkfac_status clkfac_heads_gauss_kl(clkfac_context *ctx, size_t n, size_t a, cl_mem mean_old,
                                    size_t mean_old_off, cl_mem logstd_old, size_t ls_old_off,
                                    cl_mem mean_new, size_t mean_new_off, cl_mem logstd_new,
                                    size_t ls_new_off, cl_mem rows, size_t rows_off,
                                    cl_mem mean_out, size_t mo_off);

/* The A2C loss for the Gaussian head: writes dmean (n, a), dlogstd (a) (summed over rows,
 * including -ent_coef from the entropy term), dvalues (n) and CLKFAC_A2C_STATS floats. */
clkfac_status clkfac_heads_gauss_a2c_loss(clkfac_context *ctx,
                                          const clkfac_a2c_loss_options *opts, size_t n,
                                          size_t a, cl_mem mean, size_t mean_off, cl_mem logstd,
                                          size_t logstd_off, cl_mem actions, size_t actions_off,
                                          cl_mem adv, size_t adv_off, cl_mem returns,
                                          size_t returns_off, cl_mem values, size_t values_off,
                                          cl_mem dmean, size_t dmean_off, cl_mem dlogstd,
                                          size_t dlogstd_off, cl_mem dvalues, size_t dvalues_off,
                                          cl_mem stats, size_t stats_off);

/* ACKTR Fisher pass, actor term: dmean (n, a) and dlogstd (a) = scale * gradient of
 * -mean_i log N(a_i; mean_i, exp(2 logstd)) with a_i drawn from the current policy. dlogstd may
 * be NULL (when the log-std is not preconditioned). */
clkfac_status clkfac_heads_gauss_nll_grad(clkfac_context *ctx, size_t n, size_t a, cl_mem mean,
                                          size_t mean_off, cl_mem logstd, size_t logstd_off,
                                          cl_mem actions, size_t actions_off, float scale,
                                          cl_mem dmean, size_t dmean_off, cl_mem dlogstd,
                                          size_t dlogstd_off);

/* TRPO: the output Fisher of scale * sum_i KL_i w.r.t. (mean rows, shared logstd) applied to
 * (v_mean (n, a), v_logstd (a)): out_mean = scale * v_mean / sigma^2 (per element) and
 * out_logstd = scale * n * 2 * v_logstd (each row contributes 2 per log-std; no cross terms).
 * With scale = 1/n this is the Hessian of the mean KL. v_logstd/out_logstd may both be NULL. */
clkfac_status clkfac_heads_gauss_fvp(clkfac_context *ctx, size_t n, size_t a, cl_mem logstd,
                                     size_t logstd_off, cl_mem v_mean, size_t v_mean_off,
                                     cl_mem v_logstd, size_t v_logstd_off, float scale,
                                     cl_mem out_mean, size_t out_mean_off, cl_mem out_logstd,
                                     size_t out_logstd_off);

/* TRPO surrogate S = mean_i exp(log p(a_i) - logp_old_i) * adv_i into stats[stats_off], with
 * dS/dmean (n, a) and dS/dlogstd (a); either gradient may be NULL (line search: both). */
clkfac_status clkfac_heads_gauss_surrogate(clkfac_context *ctx, size_t n, size_t a, cl_mem mean,
                                           size_t mean_off, cl_mem logstd, size_t logstd_off,
                                           cl_mem actions, size_t actions_off, cl_mem logp_old,
                                           size_t logp_old_off, cl_mem adv, size_t adv_off,
                                           cl_mem dmean, size_t dmean_off, cl_mem dlogstd,
                                           size_t dlogstd_off, cl_mem stats, size_t stats_off);

/* ---- value head: values (n) ------------------------------------------------------------------- */

/* Regression of a separate value function (TRPO, continuous ACKTR): stats[stats_off] =
 * mean (V - R)^2 and dvalues (n) = 2 (V - R) / n. */
clkfac_status clkfac_heads_value_mse(clkfac_context *ctx, size_t n, cl_mem values,
                                     size_t values_off, cl_mem returns, size_t returns_off,
                                     cl_mem dvalues, size_t dvalues_off, cl_mem stats,
                                     size_t stats_off);

/* ACKTR Fisher pass, critic term (Gauss-Newton): with target_i = V_i + eps_i (eps standard
 * normal from the RNG draw (seed, step, VALUE, i), gradient stopped), dvalues (n) =
 * scale * d/dV mean_i (V_i - target_i)^2 = -2 scale eps_i / n. V cancels, so it is not an input.
 * The per-example Gauss-Newton factor of a unit-variance Gaussian (gradient -eps_i) is
 * scale = n/2; scale = n keeps the reference code's squared error (a 4x larger G factor). */
clkfac_status clkfac_heads_value_fisher_grad(clkfac_context *ctx, size_t n, uint64_t seed,
                                             uint64_t step, float scale, cl_mem dvalues,
                                             size_t dvalues_off);

#ifdef __cplusplus
}
#endif
#endif
