/* Policy and value heads: argument checking and launches of the kernels in cl/heads.cl. The
 * math, layouts and conventions are documented in clkfac/heads.h; nothing here blocks or
 * allocates, so every call is safe inside a training step. */
#include <math.h>

#include "cl/ocl.h"
#include "clkfac/heads.h"

#define HEADS_WG 64 /* the work-group size the reduction kernels require (cl/heads.cl) */

/* kernel kinds shared with cl/heads.cl */
enum { STAT_LOGP = 0, STAT_ENTROPY = 1, STAT_KL = 2 };
enum { GRAD_A2C = 0, GRAD_NLL = 1, GRAD_SURR = 2 };

/* One kernel argument; the compound literals keep the values alive for the whole call. */
typedef struct harg {
    size_t size;
    const void *ptr;
} harg;
#define A_U(x) {sizeof(cl_uint), &(cl_uint){(cl_uint)(x)}}
#define A_I(x) {sizeof(cl_int), &(cl_int){(cl_int)(x)}}
#define A_F(x) {sizeof(cl_float), &(cl_float){(cl_float)(x)}}
#define A_M(x) {sizeof(cl_mem), &(cl_mem){(x)}}

static clkfac_status launch(clkfac_context *ctx, const char *name, const harg *args, size_t nargs,
                            size_t gws, size_t lws)
{
    cl_kernel k;
    clkfac_status st = ocl_kernel(ctx, "heads", name, &k);
    if (st) return st;
    for (size_t i = 0; i < nargs; i++)
        if ((st = ocl_arg(k, (cl_uint)i, args[i].size, args[i].ptr))) return st;
    return ocl_launch(ctx, k, 1, &gws, lws ? &lws : NULL);
}
#define LAUNCH(ctx, name, gws, lws, ...)                                                      \
    do {                                                                                      \
        const harg args_[] = {__VA_ARGS__};                                                   \
        st = launch((ctx), (name), args_, sizeof args_ / sizeof args_[0], (gws), (lws));      \
    } while (0)

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
    LAUNCH(ctx, "heads_cat_log_softmax", n, 0, A_U(n), A_U(a), A_M(logits), A_U(logits_off),
           A_M(out), A_U(out_off));
    return st;
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
    LAUNCH(ctx, "heads_cat_sample", n, 0, A_U(n), A_U(a), A_M(logits), A_U(logits_off),
           A_U(seed & 0xffffffffu), A_U(seed >> 32), A_U(step & 0xffffffffu), A_U(step >> 32),
           A_M(actions), A_U(actions_off), A_M(ctx->health));
    return st;
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
    LAUNCH(ctx, "heads_cat_rowstat", HEADS_WG, HEADS_WG, A_I(kind), A_U(n), A_U(a), A_M(z),
           A_U(z_off), A_M(x ? x : z), A_U(x_off), A_M(rows ? rows : z), A_U(rows_off),
           A_I(rows != NULL), A_M(mean ? mean : z), A_U(mean_off), A_I(mean != NULL));
    return st;
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
    LAUNCH(ctx, "heads_cat_a2c", HEADS_WG, HEADS_WG, A_U(n), A_U(a), A_M(logits),
           A_U(logits_off), A_M(actions), A_U(actions_off), A_M(adv), A_U(adv_off),
           A_M(returns), A_U(returns_off), A_M(values), A_U(values_off), A_M(dlogits),
           A_U(dlogits_off), A_M(dvalues), A_U(dvalues_off), A_M(stats), A_U(stats_off),
           A_F(opts->ent_coef), A_F(opts->vf_coef), A_M(ctx->health));
    return st;
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
    LAUNCH(ctx, "heads_cat_nll_grad", n, 0, A_U(n), A_U(a), A_M(logits), A_U(logits_off),
           A_M(actions), A_U(actions_off), A_F(scale), A_M(dlogits), A_U(dlogits_off));
    return st;
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
    LAUNCH(ctx, "heads_cat_fvp", n, 0, A_U(n), A_U(a), A_M(logits), A_U(logits_off), A_M(v),
           A_U(v_off), A_F(scale), A_M(out), A_U(out_off));
    return st;
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
    LAUNCH(ctx, "heads_cat_surrogate", HEADS_WG, HEADS_WG, A_U(n), A_U(a), A_M(logits),
           A_U(logits_off), A_M(actions), A_U(actions_off), A_M(logp_old), A_U(logp_old_off),
           A_M(adv), A_U(adv_off), A_M(dlogits ? dlogits : stats), A_U(dlogits_off),
           A_I(dlogits != NULL), A_M(stats), A_U(stats_off), A_M(ctx->health));
    return st;
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
    LAUNCH(ctx, "heads_gauss_sample", n * a, 0, A_U(n), A_U(a), A_M(mean), A_U(mean_off),
           A_M(logstd), A_U(logstd_off), A_U(seed & 0xffffffffu), A_U(seed >> 32),
           A_U(step & 0xffffffffu), A_U(step >> 32), A_M(actions), A_U(actions_off));
    return st;
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
    LAUNCH(ctx, "heads_gauss_rowstat", HEADS_WG, HEADS_WG, A_I(kind), A_U(n), A_U(a),
           A_M(mu ? mu : ls), A_U(mu_off), A_M(ls), A_U(ls_off), A_M(x ? x : ls), A_U(x_off),
           A_M(mu2 ? mu2 : ls), A_U(mu2_off), A_M(ls2 ? ls2 : ls), A_U(ls2_off),
           A_M(rows ? rows : ls), A_U(rows_off), A_I(rows != NULL), A_M(mean ? mean : ls),
           A_U(mean_off), A_I(mean != NULL));
    return st;
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
        LAUNCH(ctx, "heads_gauss_grad", n * a, 0, A_I(kind), A_U(n), A_U(a), A_M(mu), A_U(mu_off),
               A_M(ls), A_U(ls_off), A_M(act), A_U(act_off), A_M(w1), A_U(w1_off), A_M(w2),
               A_U(w2_off), A_F(scale), A_M(dmu), A_U(dmu_off));
        if (st) return st;
    }
    if (dls) {
        LAUNCH(ctx, "heads_gauss_grad_logstd", a * HEADS_WG, HEADS_WG, A_I(kind), A_U(n), A_U(a),
               A_M(mu), A_U(mu_off), A_M(ls), A_U(ls_off), A_M(act), A_U(act_off), A_M(w1),
               A_U(w1_off), A_M(w2), A_U(w2_off), A_F(scale), A_F(cst), A_M(dls), A_U(dls_off));
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
    LAUNCH(ctx, "heads_gauss_a2c", HEADS_WG, HEADS_WG, A_U(n), A_U(a), A_M(mean), A_U(mean_off),
           A_M(logstd), A_U(logstd_off), A_M(actions), A_U(actions_off), A_M(adv), A_U(adv_off),
           A_M(returns), A_U(returns_off), A_M(values), A_U(values_off), A_M(dvalues),
           A_U(dvalues_off), A_M(stats), A_U(stats_off), A_F(opts->ent_coef),
           A_F(opts->vf_coef), A_M(ctx->health));
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
    LAUNCH(ctx, "heads_gauss_fvp", items, 0, A_U(n), A_U(a), A_M(logstd), A_U(logstd_off),
           A_M(v_mean), A_U(v_mean_off), A_M(v_logstd ? v_logstd : v_mean), A_U(v_logstd_off),
           A_F(scale), A_M(out_mean), A_U(out_mean_off), A_M(out_logstd ? out_logstd : out_mean),
           A_U(out_logstd_off));
    return st;
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
    LAUNCH(ctx, "heads_gauss_surrogate", HEADS_WG, HEADS_WG, A_U(n), A_U(a), A_M(mean),
           A_U(mean_off), A_M(logstd), A_U(logstd_off), A_M(actions), A_U(actions_off),
           A_M(logp_old), A_U(logp_old_off), A_M(adv), A_U(adv_off), A_M(stats), A_U(stats_off),
           A_M(ctx->health));
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
    LAUNCH(ctx, "heads_value_mse", HEADS_WG, HEADS_WG, A_U(n), A_M(values), A_U(values_off),
           A_M(returns), A_U(returns_off), A_M(dvalues), A_U(dvalues_off), A_M(stats),
           A_U(stats_off), A_M(ctx->health));
    return st;
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
    LAUNCH(ctx, "heads_value_fisher_grad", n, 0, A_U(n), A_U(seed & 0xffffffffu),
           A_U(seed >> 32), A_U(step & 0xffffffffu), A_U(step >> 32), A_F(scale), A_M(dvalues),
           A_U(dvalues_off));
    return st;
}
