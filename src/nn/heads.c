/* Policy and value heads: argument checking and launches of the kernels in cl/heads.cl. The
 * math, layouts and conventions are documented in clkfac/heads.h; nothing here blocks or
 * allocates, so every call is safe inside a training step. */
#include <math.h>

#include "cl/ocl.h"
#include "clkfac/heads.h"

/* the kernel-kind codes STAT_* and GRAD_*, RNG tags and stats slots come from cl/shared.h */
_Static_assert(CLKFAC_RNG_TAG_CATEGORICAL == RNG_TAG_CATEGORICAL &&
                   CLKFAC_RNG_TAG_GAUSSIAN == RNG_TAG_GAUSSIAN &&
                   CLKFAC_RNG_TAG_VALUE == RNG_TAG_VALUE,
               "clkfac/heads.h RNG tags differ from cl/shared.h");
_Static_assert(CLKFAC_A2C_STAT_LOSS == A2C_STAT_LOSS && CLKFAC_A2C_STAT_POLICY == A2C_STAT_POLICY &&
                   CLKFAC_A2C_STAT_VALUE == A2C_STAT_VALUE &&
                   CLKFAC_A2C_STAT_ENTROPY == A2C_STAT_ENTROPY && CLKFAC_A2C_STATS == A2C_STATS,
               "clkfac/heads.h A2C stats slots differ from cl/shared.h");

/* launches kernel `name` of cl/heads.cl */
#define HEADS_RUN(ctx, name, grid, ...)                                                        \
    ocl_run((ctx), "heads", (name), (grid), OCL_ARGS(__VA_ARGS__))

static clkfac_status check_dims(const char *fn, clkfac_context *ctx, size_t n, size_t a)
{
    if (!ctx) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: context is NULL", fn);
    if (n == 0 || a == 0 || n > 0xffffffffu / a)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: n = %zu rows of a = %zu; expected n, a >= 1 "
                         "and n*a < 2^32", fn, n, a);
    return CLKFAC_OK;
}

static clkfac_status check_opts(const char *fn, const clkfac_a2c_loss_options *o)
{
    if (o->version != CLKFAC_A2C_LOSS_OPTIONS_VERSION)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: options version %u, expected %u", fn,
                         o->version, CLKFAC_A2C_LOSS_OPTIONS_VERSION);
    if (!isfinite(o->ent_coef) || !isfinite(o->vf_coef))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: ent_coef = %g, vf_coef = %g; expected finite "
                         "values", fn, (double)o->ent_coef, (double)o->vf_coef);
    return CLKFAC_OK;
}

static clkfac_status check_scale(const char *fn, float scale)
{
    if (!isfinite(scale))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: scale = %g; expected a finite value", fn,
                         (double)scale);
    return CLKFAC_OK;
}

/* optional outputs: at least one of rows / mean */
static clkfac_status check_rows_mean(const char *fn, size_t n, cl_mem rows, size_t rows_off,
                                     cl_mem mean, size_t mean_off)
{
    clkfac_status st;
    if (!rows && !mean)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: both outputs (rows and mean) are NULL", fn);
    if (rows && (st = ocl_check_buffer(fn, "rows", rows, rows_off, n))) return st;
    if (mean && (st = ocl_check_buffer(fn, "mean", mean, mean_off, 1))) return st;
    return CLKFAC_OK;
}

/* ---- categorical --------------------------------------------------------------------------- */

clkfac_status clkfac_heads_cat_log_softmax(clkfac_context *ctx, size_t n, size_t a,
                                           cl_mem logits, size_t logits_off, cl_mem out,
                                           size_t out_off)
{
    static const char fn[] = "clkfac_heads_cat_log_softmax";
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) ||
        (st = ocl_check_buffer(fn, "logits", logits, logits_off, n * a)) ||
        (st = ocl_check_buffer(fn, "out", out, out_off, n * a)))
        return st;
    return HEADS_RUN(ctx, "heads_cat_log_softmax", OCL_1D(n, 0), OCL_U(n), OCL_U(a), OCL_M(logits),
                     OCL_U(logits_off), OCL_M(out), OCL_U(out_off));
}

clkfac_status clkfac_heads_cat_sample(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                      size_t logits_off, uint64_t seed, uint64_t step,
                                      cl_mem actions, size_t actions_off)
{
    static const char fn[] = "clkfac_heads_cat_sample";
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) ||
        (st = ocl_check_buffer(fn, "logits", logits, logits_off, n * a)) ||
        (st = ocl_check_buffer(fn, "actions", actions, actions_off, n)))
        return st;
    return HEADS_RUN(ctx, "heads_cat_sample", OCL_1D(n, 0), OCL_U(n), OCL_U(a), OCL_M(logits),
                     OCL_U(logits_off), OCL_U(seed & 0xffffffffu), OCL_U(seed >> 32),
                     OCL_U(step & 0xffffffffu), OCL_U(step >> 32), OCL_M(actions),
                     OCL_U(actions_off), OCL_M(ctx->health));
}

static clkfac_status cat_rowstat(const char *fn, clkfac_context *ctx, int kind, size_t n,
                                 size_t a, cl_mem z, size_t z_off, cl_mem x, size_t x_off,
                                 cl_mem rows, size_t rows_off, cl_mem mean, size_t mean_off)
{
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) ||
        (st = ocl_check_buffer(fn, "logits", z, z_off, n * a)) ||
        (st = check_rows_mean(fn, n, rows, rows_off, mean, mean_off)))
        return st;
    if (kind == STAT_LOGP && (st = ocl_check_buffer(fn, "actions", x, x_off, n))) return st;
    if (kind == STAT_KL && (st = ocl_check_buffer(fn, "logits_new", x, x_off, n * a))) return st;
    return HEADS_RUN(ctx, "heads_cat_rowstat", OCL_GROUPS(1), OCL_I(kind), OCL_U(n), OCL_U(a),
                     OCL_M(z), OCL_U(z_off), OCL_M(x ? x : z), OCL_U(x_off), OCL_M(rows ? rows : z),
                     OCL_U(rows_off), OCL_I(rows != NULL), OCL_M(mean ? mean : z), OCL_U(mean_off),
                     OCL_I(mean != NULL));
}

clkfac_status clkfac_heads_cat_log_prob(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                        size_t logits_off, cl_mem actions, size_t actions_off,
                                        cl_mem rows, size_t rows_off, cl_mem mean,
                                        size_t mean_off)
{
    return cat_rowstat("clkfac_heads_cat_log_prob", ctx, STAT_LOGP, n, a, logits, logits_off,
                       actions, actions_off, rows, rows_off, mean, mean_off);
}

clkfac_status clkfac_heads_cat_entropy(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                       size_t logits_off, cl_mem rows, size_t rows_off,
                                       cl_mem mean, size_t mean_off)
{
    return cat_rowstat("clkfac_heads_cat_entropy", ctx, STAT_ENTROPY, n, a, logits, logits_off,
                       NULL, 0, rows, rows_off, mean, mean_off);
}

clkfac_status clkfac_heads_cat_kl(clkfac_context *ctx, size_t n, size_t a, cl_mem logits_old,
                                  size_t old_off, cl_mem logits_new, size_t new_off, cl_mem rows,
                                  size_t rows_off, cl_mem mean, size_t mean_off)
{
    return cat_rowstat("clkfac_heads_cat_kl", ctx, STAT_KL, n, a, logits_old, old_off, logits_new,
                       new_off, rows, rows_off, mean, mean_off);
}

/* The inputs every A2C loss takes besides the distribution parameters. */
static clkfac_status check_a2c_inputs(const char *fn, size_t n, cl_mem adv, size_t adv_off,
                                      cl_mem ret, size_t ret_off, cl_mem val, size_t val_off,
                                      cl_mem dv, size_t dv_off, cl_mem stats, size_t s_off)
{
    clkfac_status st;
    if ((st = ocl_check_buffer(fn, "adv", adv, adv_off, n)) ||
        (st = ocl_check_buffer(fn, "returns", ret, ret_off, n)) ||
        (st = ocl_check_buffer(fn, "values", val, val_off, n)) ||
        (st = ocl_check_buffer(fn, "dvalues", dv, dv_off, n)) ||
        (st = ocl_check_buffer(fn, "stats", stats, s_off, CLKFAC_A2C_STATS)))
        return st;
    return CLKFAC_OK;
}

clkfac_status clkfac_heads_cat_a2c_loss(clkfac_context *ctx, const clkfac_a2c_loss_options *opts,
                                        size_t n, size_t a, cl_mem logits, size_t logits_off,
                                        cl_mem actions, size_t actions_off, cl_mem adv,
                                        size_t adv_off, cl_mem returns, size_t returns_off,
                                        cl_mem values, size_t values_off, cl_mem dlogits,
                                        size_t dlogits_off, cl_mem dvalues, size_t dvalues_off,
                                        cl_mem stats, size_t stats_off)
{
    static const char fn[] = "clkfac_heads_cat_a2c_loss";
    clkfac_a2c_loss_options defaults = CLKFAC_A2C_LOSS_OPTIONS_INIT;
    if (!opts) opts = &defaults;
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) || (st = check_opts(fn, opts)) ||
        (st = ocl_check_buffer(fn, "logits", logits, logits_off, n * a)) ||
        (st = ocl_check_buffer(fn, "actions", actions, actions_off, n)) ||
        (st = ocl_check_buffer(fn, "dlogits", dlogits, dlogits_off, n * a)) ||
        (st = check_a2c_inputs(fn, n, adv, adv_off, returns, returns_off, values, values_off,
                               dvalues, dvalues_off, stats, stats_off)))
        return st;
    return HEADS_RUN(ctx, "heads_cat_a2c", OCL_GROUPS(1), OCL_U(n), OCL_U(a), OCL_M(logits),
                     OCL_U(logits_off), OCL_M(actions), OCL_U(actions_off), OCL_M(adv),
                     OCL_U(adv_off), OCL_M(returns), OCL_U(returns_off), OCL_M(values),
                     OCL_U(values_off), OCL_M(dlogits), OCL_U(dlogits_off), OCL_M(dvalues),
                     OCL_U(dvalues_off), OCL_M(stats), OCL_U(stats_off), OCL_F(opts->ent_coef),
                     OCL_F(opts->vf_coef), OCL_M(ctx->health));
}

clkfac_status clkfac_heads_cat_nll_grad(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                        size_t logits_off, cl_mem actions, size_t actions_off,
                                        float scale, cl_mem dlogits, size_t dlogits_off)
{
    static const char fn[] = "clkfac_heads_cat_nll_grad";
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) || (st = check_scale(fn, scale)) ||
        (st = ocl_check_buffer(fn, "logits", logits, logits_off, n * a)) ||
        (st = ocl_check_buffer(fn, "actions", actions, actions_off, n)) ||
        (st = ocl_check_buffer(fn, "dlogits", dlogits, dlogits_off, n * a)))
        return st;
    return HEADS_RUN(ctx, "heads_cat_nll_grad", OCL_1D(n, 0), OCL_U(n), OCL_U(a), OCL_M(logits),
                     OCL_U(logits_off), OCL_M(actions), OCL_U(actions_off), OCL_F(scale),
                     OCL_M(dlogits), OCL_U(dlogits_off));
}

clkfac_status clkfac_heads_cat_fvp(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                   size_t logits_off, cl_mem v, size_t v_off, float scale,
                                   cl_mem out, size_t out_off)
{
    static const char fn[] = "clkfac_heads_cat_fvp";
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) || (st = check_scale(fn, scale)) ||
        (st = ocl_check_buffer(fn, "logits", logits, logits_off, n * a)) ||
        (st = ocl_check_buffer(fn, "v", v, v_off, n * a)) ||
        (st = ocl_check_buffer(fn, "out", out, out_off, n * a)))
        return st;
    if (out == v && out_off < v_off + n * a && v_off < out_off + n * a)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: out overlaps v", fn);
    return HEADS_RUN(ctx, "heads_cat_fvp", OCL_1D(n, 0), OCL_U(n), OCL_U(a), OCL_M(logits),
                     OCL_U(logits_off), OCL_M(v), OCL_U(v_off), OCL_F(scale), OCL_M(out),
                     OCL_U(out_off));
}

clkfac_status clkfac_heads_cat_surrogate(clkfac_context *ctx, size_t n, size_t a, cl_mem logits,
                                         size_t logits_off, cl_mem actions, size_t actions_off,
                                         cl_mem logp_old, size_t logp_old_off, cl_mem adv,
                                         size_t adv_off, cl_mem dlogits, size_t dlogits_off,
                                         cl_mem stats, size_t stats_off)
{
    static const char fn[] = "clkfac_heads_cat_surrogate";
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) ||
        (st = ocl_check_buffer(fn, "logits", logits, logits_off, n * a)) ||
        (st = ocl_check_buffer(fn, "actions", actions, actions_off, n)) ||
        (st = ocl_check_buffer(fn, "logp_old", logp_old, logp_old_off, n)) ||
        (st = ocl_check_buffer(fn, "adv", adv, adv_off, n)) ||
        (dlogits && (st = ocl_check_buffer(fn, "dlogits", dlogits, dlogits_off, n * a))) ||
        (st = ocl_check_buffer(fn, "stats", stats, stats_off, 1)))
        return st;
    return HEADS_RUN(ctx, "heads_cat_surrogate", OCL_GROUPS(1), OCL_U(n), OCL_U(a), OCL_M(logits),
                     OCL_U(logits_off), OCL_M(actions), OCL_U(actions_off), OCL_M(logp_old),
                     OCL_U(logp_old_off), OCL_M(adv), OCL_U(adv_off),
                     OCL_M(dlogits ? dlogits : stats), OCL_U(dlogits_off), OCL_I(dlogits != NULL),
                     OCL_M(stats), OCL_U(stats_off), OCL_M(ctx->health));
}

/* ---- diagonal Gaussian ---------------------------------------------------------------------- */

clkfac_status clkfac_heads_gauss_sample(clkfac_context *ctx, size_t n, size_t a, cl_mem mean,
                                        size_t mean_off, cl_mem logstd, size_t logstd_off,
                                        uint64_t seed, uint64_t step, cl_mem actions,
                                        size_t actions_off)
{
    static const char fn[] = "clkfac_heads_gauss_sample";
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) ||
        (st = ocl_check_buffer(fn, "mean", mean, mean_off, n * a)) ||
        (st = ocl_check_buffer(fn, "logstd", logstd, logstd_off, a)) ||
        (st = ocl_check_buffer(fn, "actions", actions, actions_off, n * a)))
        return st;
    return HEADS_RUN(ctx, "heads_gauss_sample", OCL_1D(n * a, 0), OCL_U(n), OCL_U(a), OCL_M(mean),
                     OCL_U(mean_off), OCL_M(logstd), OCL_U(logstd_off), OCL_U(seed & 0xffffffffu),
                     OCL_U(seed >> 32), OCL_U(step & 0xffffffffu), OCL_U(step >> 32),
                     OCL_M(actions), OCL_U(actions_off));
}

/* kind LOGP: x = actions; KL: (mu, ls) old, (mu2, ls2) new; ENTROPY: mu unused. */
static clkfac_status gauss_rowstat(const char *fn, clkfac_context *ctx, int kind, size_t n,
                                   size_t a, cl_mem mu, size_t mu_off, cl_mem ls, size_t ls_off,
                                   cl_mem x, size_t x_off, cl_mem mu2, size_t mu2_off, cl_mem ls2,
                                   size_t ls2_off, cl_mem rows, size_t rows_off, cl_mem mean,
                                   size_t mean_off)
{
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) || (st = ocl_check_buffer(fn, "logstd", ls, ls_off, a)) ||
        (st = check_rows_mean(fn, n, rows, rows_off, mean, mean_off)))
        return st;
    if (kind != STAT_ENTROPY && (st = ocl_check_buffer(fn, "mean", mu, mu_off, n * a))) return st;
    if (kind == STAT_LOGP && (st = ocl_check_buffer(fn, "actions", x, x_off, n * a))) return st;
    if (kind == STAT_KL && ((st = ocl_check_buffer(fn, "mean_new", mu2, mu2_off, n * a)) ||
                            (st = ocl_check_buffer(fn, "logstd_new", ls2, ls2_off, a))))
        return st;
    return HEADS_RUN(ctx, "heads_gauss_rowstat", OCL_GROUPS(1), OCL_I(kind), OCL_U(n), OCL_U(a),
                     OCL_M(mu ? mu : ls), OCL_U(mu_off), OCL_M(ls), OCL_U(ls_off),
                     OCL_M(x ? x : ls), OCL_U(x_off), OCL_M(mu2 ? mu2 : ls), OCL_U(mu2_off),
                     OCL_M(ls2 ? ls2 : ls), OCL_U(ls2_off), OCL_M(rows ? rows : ls),
                     OCL_U(rows_off), OCL_I(rows != NULL), OCL_M(mean ? mean : ls), OCL_U(mean_off),
                     OCL_I(mean != NULL));
}

clkfac_status clkfac_heads_gauss_log_prob(clkfac_context *ctx, size_t n, size_t a, cl_mem mean,
                                          size_t mean_off, cl_mem logstd, size_t logstd_off,
                                          cl_mem actions, size_t actions_off, cl_mem rows,
                                          size_t rows_off, cl_mem mean_out, size_t mo_off)
{
    return gauss_rowstat("clkfac_heads_gauss_log_prob", ctx, STAT_LOGP, n, a, mean, mean_off,
                         logstd, logstd_off, actions, actions_off, NULL, 0, NULL, 0, rows,
                         rows_off, mean_out, mo_off);
}

clkfac_status clkfac_heads_gauss_entropy(clkfac_context *ctx, size_t n, size_t a, cl_mem logstd,
                                         size_t logstd_off, cl_mem rows, size_t rows_off,
                                         cl_mem mean_out, size_t mo_off)
{
    return gauss_rowstat("clkfac_heads_gauss_entropy", ctx, STAT_ENTROPY, n, a, NULL, 0, logstd,
                         logstd_off, NULL, 0, NULL, 0, NULL, 0, rows, rows_off, mean_out, mo_off);
}

clkfac_status clkfac_heads_gauss_kl(clkfac_context *ctx, size_t n, size_t a, cl_mem mean_old,
                                    size_t mean_old_off, cl_mem logstd_old, size_t ls_old_off,
                                    cl_mem mean_new, size_t mean_new_off, cl_mem logstd_new,
                                    size_t ls_new_off, cl_mem rows, size_t rows_off,
                                    cl_mem mean_out, size_t mo_off)
{
    return gauss_rowstat("clkfac_heads_gauss_kl", ctx, STAT_KL, n, a, mean_old, mean_old_off,
                         logstd_old, ls_old_off, NULL, 0, mean_new, mean_new_off, logstd_new,
                         ls_new_off, rows, rows_off, mean_out, mo_off);
}

/* dmean (elementwise) and dlogstd (column sums) for the three Gaussian policy gradients; w1/w2
 * are adv (A2C) or logp_old/adv (SURR), unused for NLL. Either output may be NULL. */
static clkfac_status gauss_grads(clkfac_context *ctx, int kind, size_t n, size_t a, cl_mem mu,
                                 size_t mu_off, cl_mem ls, size_t ls_off, cl_mem act,
                                 size_t act_off, cl_mem w1, size_t w1_off, cl_mem w2,
                                 size_t w2_off, float scale, float cst, cl_mem dmu,
                                 size_t dmu_off, cl_mem dls, size_t dls_off)
{
    clkfac_status st = CLKFAC_OK;
    if (!w1) w1 = ls;
    if (!w2) w2 = ls;
    if (dmu) {
        st = HEADS_RUN(ctx, "heads_gauss_grad", OCL_1D(n * a, 0), OCL_I(kind), OCL_U(n), OCL_U(a),
                       OCL_M(mu), OCL_U(mu_off), OCL_M(ls), OCL_U(ls_off), OCL_M(act),
                       OCL_U(act_off), OCL_M(w1), OCL_U(w1_off), OCL_M(w2), OCL_U(w2_off),
                       OCL_F(scale), OCL_M(dmu), OCL_U(dmu_off));
        if (st) return st;
    }
    if (dls) {
        st = HEADS_RUN(ctx, "heads_gauss_grad_logstd", OCL_GROUPS(a), OCL_I(kind), OCL_U(n),
                       OCL_U(a), OCL_M(mu), OCL_U(mu_off), OCL_M(ls), OCL_U(ls_off), OCL_M(act),
                       OCL_U(act_off), OCL_M(w1), OCL_U(w1_off), OCL_M(w2), OCL_U(w2_off),
                       OCL_F(scale), OCL_F(cst), OCL_M(dls), OCL_U(dls_off));
    }
    return st;
}

/* mean (n, a), logstd (a), actions (n, a): the inputs of every Gaussian policy gradient */
static clkfac_status check_gauss_inputs(const char *fn, clkfac_context *ctx, size_t n, size_t a,
                                        cl_mem mu, size_t mu_off, cl_mem ls, size_t ls_off,
                                        cl_mem act, size_t act_off)
{
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) ||
        (st = ocl_check_buffer(fn, "mean", mu, mu_off, n * a)) ||
        (st = ocl_check_buffer(fn, "logstd", ls, ls_off, a)) ||
        (st = ocl_check_buffer(fn, "actions", act, act_off, n * a)))
        return st;
    return CLKFAC_OK;
}

clkfac_status clkfac_heads_gauss_a2c_loss(clkfac_context *ctx,
                                          const clkfac_a2c_loss_options *opts, size_t n,
                                          size_t a, cl_mem mean, size_t mean_off, cl_mem logstd,
                                          size_t logstd_off, cl_mem actions, size_t actions_off,
                                          cl_mem adv, size_t adv_off, cl_mem returns,
                                          size_t returns_off, cl_mem values, size_t values_off,
                                          cl_mem dmean, size_t dmean_off, cl_mem dlogstd,
                                          size_t dlogstd_off, cl_mem dvalues, size_t dvalues_off,
                                          cl_mem stats, size_t stats_off)
{
    static const char fn[] = "clkfac_heads_gauss_a2c_loss";
    clkfac_a2c_loss_options defaults = CLKFAC_A2C_LOSS_OPTIONS_INIT;
    if (!opts) opts = &defaults;
    clkfac_status st;
    if ((st = check_gauss_inputs(fn, ctx, n, a, mean, mean_off, logstd, logstd_off, actions,
                                 actions_off)) ||
        (st = check_opts(fn, opts)) ||
        (st = ocl_check_buffer(fn, "dmean", dmean, dmean_off, n * a)) ||
        (st = ocl_check_buffer(fn, "dlogstd", dlogstd, dlogstd_off, a)) ||
        (st = check_a2c_inputs(fn, n, adv, adv_off, returns, returns_off, values, values_off,
                               dvalues, dvalues_off, stats, stats_off)))
        return st;
    st = HEADS_RUN(ctx, "heads_gauss_a2c", OCL_GROUPS(1), OCL_U(n), OCL_U(a), OCL_M(mean),
                   OCL_U(mean_off), OCL_M(logstd), OCL_U(logstd_off), OCL_M(actions),
                   OCL_U(actions_off), OCL_M(adv), OCL_U(adv_off), OCL_M(returns),
                   OCL_U(returns_off), OCL_M(values), OCL_U(values_off), OCL_M(dvalues),
                   OCL_U(dvalues_off), OCL_M(stats), OCL_U(stats_off), OCL_F(opts->ent_coef),
                   OCL_F(opts->vf_coef), OCL_M(ctx->health));
    if (st) return st;
    /* d(-ent_coef * H)/dlogstd_j = -ent_coef: the entropy of a shared log-std is row-free */
    return gauss_grads(ctx, GRAD_A2C, n, a, mean, mean_off, logstd, logstd_off, actions,
                       actions_off, adv, adv_off, NULL, 0, 0.0f, -opts->ent_coef, dmean,
                       dmean_off, dlogstd, dlogstd_off);
}

clkfac_status clkfac_heads_gauss_nll_grad(clkfac_context *ctx, size_t n, size_t a, cl_mem mean,
                                          size_t mean_off, cl_mem logstd, size_t logstd_off,
                                          cl_mem actions, size_t actions_off, float scale,
                                          cl_mem dmean, size_t dmean_off, cl_mem dlogstd,
                                          size_t dlogstd_off)
{
    static const char fn[] = "clkfac_heads_gauss_nll_grad";
    clkfac_status st;
    if ((st = check_gauss_inputs(fn, ctx, n, a, mean, mean_off, logstd, logstd_off, actions,
                                 actions_off)) ||
        (st = check_scale(fn, scale)) ||
        (st = ocl_check_buffer(fn, "dmean", dmean, dmean_off, n * a)) ||
        (dlogstd && (st = ocl_check_buffer(fn, "dlogstd", dlogstd, dlogstd_off, a))))
        return st;
    return gauss_grads(ctx, GRAD_NLL, n, a, mean, mean_off, logstd, logstd_off, actions,
                       actions_off, NULL, 0, NULL, 0, scale, 0.0f, dmean, dmean_off, dlogstd,
                       dlogstd_off);
}

clkfac_status clkfac_heads_gauss_fvp(clkfac_context *ctx, size_t n, size_t a, cl_mem logstd,
                                     size_t logstd_off, cl_mem v_mean, size_t v_mean_off,
                                     cl_mem v_logstd, size_t v_logstd_off, float scale,
                                     cl_mem out_mean, size_t out_mean_off, cl_mem out_logstd,
                                     size_t out_logstd_off)
{
    static const char fn[] = "clkfac_heads_gauss_fvp";
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, a)) || (st = check_scale(fn, scale)) ||
        (st = ocl_check_buffer(fn, "logstd", logstd, logstd_off, a)) ||
        (st = ocl_check_buffer(fn, "v_mean", v_mean, v_mean_off, n * a)) ||
        (st = ocl_check_buffer(fn, "out_mean", out_mean, out_mean_off, n * a)))
        return st;
    if (!v_logstd != !out_logstd)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: v_logstd and out_logstd must both be given "
                         "or both be NULL", fn);
    if (v_logstd && ((st = ocl_check_buffer(fn, "v_logstd", v_logstd, v_logstd_off, a)) ||
                     (st = ocl_check_buffer(fn, "out_logstd", out_logstd, out_logstd_off, a))))
        return st;
    size_t items = n * a + (v_logstd ? a : 0);
    return HEADS_RUN(ctx, "heads_gauss_fvp", OCL_1D(items, 0), OCL_U(n), OCL_U(a), OCL_M(logstd),
                     OCL_U(logstd_off), OCL_M(v_mean), OCL_U(v_mean_off),
                     OCL_M(v_logstd ? v_logstd : v_mean), OCL_U(v_logstd_off), OCL_F(scale),
                     OCL_M(out_mean), OCL_U(out_mean_off),
                     OCL_M(out_logstd ? out_logstd : out_mean), OCL_U(out_logstd_off));
}

clkfac_status clkfac_heads_gauss_surrogate(clkfac_context *ctx, size_t n, size_t a, cl_mem mean,
                                           size_t mean_off, cl_mem logstd, size_t logstd_off,
                                           cl_mem actions, size_t actions_off, cl_mem logp_old,
                                           size_t logp_old_off, cl_mem adv, size_t adv_off,
                                           cl_mem dmean, size_t dmean_off, cl_mem dlogstd,
                                           size_t dlogstd_off, cl_mem stats, size_t stats_off)
{
    static const char fn[] = "clkfac_heads_gauss_surrogate";
    clkfac_status st;
    if ((st = check_gauss_inputs(fn, ctx, n, a, mean, mean_off, logstd, logstd_off, actions,
                                 actions_off)) ||
        (st = ocl_check_buffer(fn, "logp_old", logp_old, logp_old_off, n)) ||
        (st = ocl_check_buffer(fn, "adv", adv, adv_off, n)) ||
        (dmean && (st = ocl_check_buffer(fn, "dmean", dmean, dmean_off, n * a))) ||
        (dlogstd && (st = ocl_check_buffer(fn, "dlogstd", dlogstd, dlogstd_off, a))) ||
        (st = ocl_check_buffer(fn, "stats", stats, stats_off, 1)))
        return st;
    st = HEADS_RUN(ctx, "heads_gauss_surrogate", OCL_GROUPS(1), OCL_U(n), OCL_U(a), OCL_M(mean),
                   OCL_U(mean_off), OCL_M(logstd), OCL_U(logstd_off), OCL_M(actions),
                   OCL_U(actions_off), OCL_M(logp_old), OCL_U(logp_old_off), OCL_M(adv),
                   OCL_U(adv_off), OCL_M(stats), OCL_U(stats_off), OCL_M(ctx->health));
    if (st) return st;
    return gauss_grads(ctx, GRAD_SURR, n, a, mean, mean_off, logstd, logstd_off, actions,
                       actions_off, logp_old, logp_old_off, adv, adv_off, 0.0f, 0.0f, dmean,
                       dmean_off, dlogstd, dlogstd_off);
}

/* ---- value head ------------------------------------------------------------------------------ */

clkfac_status clkfac_heads_value_mse(clkfac_context *ctx, size_t n, cl_mem values,
                                     size_t values_off, cl_mem returns, size_t returns_off,
                                     cl_mem dvalues, size_t dvalues_off, cl_mem stats,
                                     size_t stats_off)
{
    static const char fn[] = "clkfac_heads_value_mse";
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, 1)) ||
        (st = ocl_check_buffer(fn, "values", values, values_off, n)) ||
        (st = ocl_check_buffer(fn, "returns", returns, returns_off, n)) ||
        (st = ocl_check_buffer(fn, "dvalues", dvalues, dvalues_off, n)) ||
        (st = ocl_check_buffer(fn, "stats", stats, stats_off, 1)))
        return st;
    return HEADS_RUN(ctx, "heads_value_mse", OCL_GROUPS(1), OCL_U(n), OCL_M(values),
                     OCL_U(values_off), OCL_M(returns), OCL_U(returns_off), OCL_M(dvalues),
                     OCL_U(dvalues_off), OCL_M(stats), OCL_U(stats_off), OCL_M(ctx->health));
}

clkfac_status clkfac_heads_value_fisher_grad(clkfac_context *ctx, size_t n, uint64_t seed,
                                             uint64_t step, float scale, cl_mem dvalues,
                                             size_t dvalues_off)
{
    static const char fn[] = "clkfac_heads_value_fisher_grad";
    clkfac_status st;
    if ((st = check_dims(fn, ctx, n, 1)) || (st = check_scale(fn, scale)) ||
        (st = ocl_check_buffer(fn, "dvalues", dvalues, dvalues_off, n)))
        return st;
    return HEADS_RUN(ctx, "heads_value_fisher_grad", OCL_1D(n, 0), OCL_U(n),
                     OCL_U(seed & 0xffffffffu), OCL_U(seed >> 32), OCL_U(step & 0xffffffffu),
                     OCL_U(step >> 32), OCL_F(scale), OCL_M(dvalues), OCL_U(dvalues_off));
}
