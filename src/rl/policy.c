/* The two action distributions (policy.h) as tables over the head kernels of clkfac/heads.h:
 * the one place that knows a categorical head from a Gaussian one. */
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "rl/policy.h"

#define N_(p) ((p)->out.rows)
#define A_(p) ((p)->out.cols)
#define OUT_(p) (p)->out.buf, (p)->out.off
#define LS_(p) (p)->logstd, (p)->logstd_off
#define ROWS_(o) (o)->rows, (o)->rows_off
#define MEAN_(o) (o)->mean, (o)->mean_off

/* ---- categorical over logits --------------------------------------------------------------- */

static clkfac_status cat_sample(clkfac_context *ctx, const policy_params *p, uint64_t seed,
                                uint64_t step, cl_mem actions, size_t actions_off)
{
    return clkfac_heads_cat_sample(ctx, N_(p), A_(p), OUT_(p), seed, step, actions, actions_off);
}

static clkfac_status cat_log_prob(clkfac_context *ctx, const policy_params *p, cl_mem actions,
                                  const policy_out *o)
{
    return clkfac_heads_cat_log_prob(ctx, N_(p), A_(p), OUT_(p), actions, 0, ROWS_(o), MEAN_(o));
}

static clkfac_status cat_entropy(clkfac_context *ctx, const policy_params *p, const policy_out *o)
{
    return clkfac_heads_cat_entropy(ctx, N_(p), A_(p), OUT_(p), ROWS_(o), MEAN_(o));
}

static clkfac_status cat_kl(clkfac_context *ctx, const policy_params *old,
                            const policy_params *cur, const policy_out *o)
{
    return clkfac_heads_cat_kl(ctx, N_(cur), A_(cur), OUT_(old), OUT_(cur), ROWS_(o), MEAN_(o));
}

static clkfac_status cat_a2c_loss(clkfac_context *ctx, const clkfac_a2c_loss_options *lo,
                                  const policy_params *p, const policy_params *dp, cl_mem actions,
                                  cl_mem adv, cl_mem returns, const clkfac_nn_view *v,
                                  const clkfac_nn_view *dv, cl_mem stats)
{
    return clkfac_heads_cat_a2c_loss(ctx, lo, N_(p), A_(p), OUT_(p), actions, 0, adv, 0, returns,
                                     0, v->buf, v->off, OUT_(dp), dv->buf, dv->off, stats, 0);
}

static clkfac_status cat_nll_grad(clkfac_context *ctx, const policy_params *p, cl_mem actions,
                                  float scale, const policy_params *dp)
{
    return clkfac_heads_cat_nll_grad(ctx, N_(p), A_(p), OUT_(p), actions, 0, scale, OUT_(dp));
}

static clkfac_status cat_surrogate(clkfac_context *ctx, const policy_params *p, cl_mem actions,
                                   cl_mem logp_old, cl_mem adv, const policy_params *dp,
                                   cl_mem stats, size_t slot)
{
    return clkfac_heads_cat_surrogate(ctx, N_(p), A_(p), OUT_(p), actions, 0, logp_old, 0, adv, 0,
                                      dp ? dp->out.buf : NULL, dp ? dp->out.off : 0, stats, slot);
}

static clkfac_status cat_fvp(clkfac_context *ctx, const policy_params *p,
                             const clkfac_nn_view *jv, cl_mem v_logstd, size_t v_logstd_off,
                             float scale, const policy_params *out)
{
    (void)v_logstd;
    (void)v_logstd_off;
    return clkfac_heads_cat_fvp(ctx, N_(p), A_(p), OUT_(p), jv->buf, jv->off, scale, OUT_(out));
}

static clkfac_status cat_greedy(const float *out, size_t n, size_t a, float *actions)
{
    for (size_t i = 0; i < n; i++) {
        const float *l = out + i * a;
        size_t best = 0;
        for (size_t j = 1; j < a; j++) best = l[j] > l[best] ? j : best;
        if (!isfinite(l[best]))
            return CORE_FAIL(CLKFAC_ERR_NONFINITE, "clkfac_agent_act: logit row %zu is not finite",
                             i);
        actions[i] = (float)best;
    }
    return CLKFAC_OK;
}

const policy_dist policy_categorical = {
    "categorical", cat_sample,    cat_log_prob, cat_entropy, cat_kl, cat_a2c_loss,
    cat_nll_grad,  cat_surrogate, cat_fvp,      cat_greedy,  0,
};

/* ---- diagonal Gaussian over means, state-independent log-stds ------------------------------ */

static clkfac_status gauss_sample(clkfac_context *ctx, const policy_params *p, uint64_t seed,
                                  uint64_t step, cl_mem actions, size_t actions_off)
{
    return clkfac_heads_gauss_sample(ctx, N_(p), A_(p), OUT_(p), LS_(p), seed, step, actions,
                                     actions_off);
}

static clkfac_status gauss_log_prob(clkfac_context *ctx, const policy_params *p, cl_mem actions,
                                    const policy_out *o)
{
    return clkfac_heads_gauss_log_prob(ctx, N_(p), A_(p), OUT_(p), LS_(p), actions, 0, ROWS_(o),
                                       MEAN_(o));
}

static clkfac_status gauss_entropy(clkfac_context *ctx, const policy_params *p,
                                   const policy_out *o)
{
    return clkfac_heads_gauss_entropy(ctx, N_(p), A_(p), LS_(p), ROWS_(o), MEAN_(o));
}

static clkfac_status gauss_kl(clkfac_context *ctx, const policy_params *old,
                              const policy_params *cur, const policy_out *o)
{
    return clkfac_heads_gauss_kl(ctx, N_(cur), A_(cur), OUT_(old), LS_(old), OUT_(cur), LS_(cur),
                                 ROWS_(o), MEAN_(o));
}

static clkfac_status gauss_a2c_loss(clkfac_context *ctx, const clkfac_a2c_loss_options *lo,
                                    const policy_params *p, const policy_params *dp,
                                    cl_mem actions, cl_mem adv, cl_mem returns,
                                    const clkfac_nn_view *v, const clkfac_nn_view *dv, cl_mem stats)
{
    return clkfac_heads_gauss_a2c_loss(ctx, lo, N_(p), A_(p), OUT_(p), LS_(p), actions, 0, adv, 0,
                                       returns, 0, v->buf, v->off, OUT_(dp), LS_(dp), dv->buf,
                                       dv->off, stats, 0);
}

static clkfac_status gauss_nll_grad(clkfac_context *ctx, const policy_params *p, cl_mem actions,
                                    float scale, const policy_params *dp)
{
    return clkfac_heads_gauss_nll_grad(ctx, N_(p), A_(p), OUT_(p), LS_(p), actions, 0, scale,
                                       OUT_(dp), LS_(dp));
}

static clkfac_status gauss_surrogate(clkfac_context *ctx, const policy_params *p, cl_mem actions,
                                     cl_mem logp_old, cl_mem adv, const policy_params *dp,
                                     cl_mem stats, size_t slot)
{
    return clkfac_heads_gauss_surrogate(ctx, N_(p), A_(p), OUT_(p), LS_(p), actions, 0, logp_old,
                                        0, adv, 0, dp ? dp->out.buf : NULL, dp ? dp->out.off : 0,
                                        dp ? dp->logstd : NULL, dp ? dp->logstd_off : 0, stats,
                                        slot);
}

static clkfac_status gauss_fvp(clkfac_context *ctx, const policy_params *p,
                               const clkfac_nn_view *jv, cl_mem v_logstd, size_t v_logstd_off,
                               float scale, const policy_params *out)
{
    return clkfac_heads_gauss_fvp(ctx, N_(p), A_(p), LS_(p), jv->buf, jv->off, v_logstd,
                                  v_logstd_off, scale, OUT_(out), LS_(out));
}

/* the mean */
static clkfac_status gauss_greedy(const float *out, size_t n, size_t a, float *actions)
{
    memcpy(actions, out, n * a * sizeof *out);
    return CLKFAC_OK;
}

const policy_dist policy_gaussian = {
    "gaussian",     gauss_sample,    gauss_log_prob, gauss_entropy, gauss_kl,     gauss_a2c_loss,
    gauss_nll_grad, gauss_surrogate, gauss_fvp,      gauss_greedy,  1,
};
