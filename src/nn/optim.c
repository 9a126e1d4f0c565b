/* First-order optimizers on flat device vectors (kernels in cl/optim.cl): state allocated once
 * at create, each step enqueued without waiting, the skip-on-non-finite decision kept on the
 * device through the health guard. The update rules are documented in clkfac/optim.h. */
#include <math.h>
#include <stdlib.h>

#include "cl/ocl.h"
#include "clkfac/optim.h"
#include "linalg/blas.h"

_Static_assert(CLKFAC_OPTIM_STAT_NORM == OPTIM_ST_NORM && CLKFAC_OPTIM_STAT_CLIP == OPTIM_ST_CLIP &&
                   CLKFAC_OPTIM_STAT_STEPS == OPTIM_ST_STEPS &&
                   CLKFAC_OPTIM_STAT_LR == OPTIM_ST_LR && CLKFAC_OPTIM_STATS == OPTIM_STATS,
               "clkfac/optim.h stats slots differ from cl/shared.h");
_Static_assert(CLKFAC_OPTIM_SGD == OPTIM_SGD && CLKFAC_OPTIM_RMSPROP == OPTIM_RMSPROP &&
                   CLKFAC_OPTIM_ADAM == OPTIM_ADAM,
               "clkfac/optim.h kinds differ from cl/shared.h");

struct clkfac_optim {
    clkfac_context *ctx;
    clkfac_optim_options o;
    size_t n;
    cl_mem state;  /* SGD v (n) | RMSProp ms (n) | Adam m (n), v (n) */
    cl_mem stats;  /* CLKFAC_OPTIM_STATS floats */
};

static int in_unit(float x) { return x >= 0.0f && x < 1.0f; }

static clkfac_status check_options(const clkfac_optim_options *o)
{
    if (o->version != CLKFAC_OPTIM_OPTIONS_VERSION)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "optimizer options version %u, expected %u",
                         o->version, CLKFAC_OPTIM_OPTIONS_VERSION);
    switch (o->kind) {
    case CLKFAC_OPTIM_SGD:
        if (!in_unit(o->momentum))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "SGD momentum = %g; expected [0, 1)",
                             (double)o->momentum);
        break;
    case CLKFAC_OPTIM_RMSPROP:
        if (!in_unit(o->rmsprop_decay) || !(o->rmsprop_eps >= 0.0f) || !isfinite(o->rmsprop_eps) ||
            !(o->rmsprop_init >= 0.0f) || !isfinite(o->rmsprop_init))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "RMSProp decay = %g, eps = %g, init = %g; "
                             "expected decay in [0, 1) and finite eps, init >= 0",
                             (double)o->rmsprop_decay, (double)o->rmsprop_eps,
                             (double)o->rmsprop_init);
        if (o->rmsprop_init + o->rmsprop_eps <= 0.0f)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "RMSProp init + eps = 0 divides by zero on "
                             "a zero gradient; expected eps > 0 or init > 0");
        break;
    case CLKFAC_OPTIM_ADAM:
        if (!in_unit(o->adam_beta1) || !in_unit(o->adam_beta2) || !(o->adam_eps > 0.0f) ||
            !isfinite(o->adam_eps))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "Adam beta1 = %g, beta2 = %g, eps = %g; "
                             "expected betas in [0, 1) and finite eps > 0",
                             (double)o->adam_beta1, (double)o->adam_beta2, (double)o->adam_eps);
        break;
    default:
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "optimizer kind %d; expected SGD, RMSPROP or "
                         "ADAM", (int)o->kind);
    }
    if (isnan(o->max_grad_norm) || isinf(o->max_grad_norm))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "max_grad_norm = %g; expected a finite value "
                         "(<= 0 disables clipping)", (double)o->max_grad_norm);
    return CLKFAC_OK;
}

static size_t state_floats(const clkfac_optim *opt)
{
    return opt->o.kind == CLKFAC_OPTIM_ADAM ? 2 * opt->n : opt->n;
}

clkfac_status clkfac_optim_create(clkfac_optim **out, clkfac_context *ctx, size_t n,
                                  const clkfac_optim_options *opts)
{
    clkfac_optim_options defaults = CLKFAC_OPTIM_OPTIONS_INIT;
    if (!opts) opts = &defaults;
    if (!out || !ctx) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_optim_create: out or ctx "
                                       "is NULL");
    /* Adam's state holds 2n floats indexed by 32-bit integers */
    if (n == 0 || n > 0x7fffffffu)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "optimizer for n = %zu parameters; expected "
                         "1 <= n < 2^31", n);
    clkfac_status st = check_options(opts);
    if (st) return st;
    clkfac_optim *opt = core_calloc(1, sizeof *opt);
    if (!opt) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "optimizer struct");
    opt->ctx = ctx;
    opt->o = *opts;
    opt->n = n;
    CORE_TRY(clkfac_buffer_create(&opt->state, ctx, state_floats(opt)));
    CORE_TRY(clkfac_buffer_create(&opt->stats, ctx, CLKFAC_OPTIM_STATS));
    CORE_TRY(clkfac_optim_reset(opt));
    *out = opt;
    return CLKFAC_OK;
cleanup:
    clkfac_optim_free(opt);
    return st;
}

void clkfac_optim_free(clkfac_optim *opt)
{
    if (!opt) return;
    clkfac_buffer_free(opt->state);
    clkfac_buffer_free(opt->stats);
    free(opt);
}

clkfac_status clkfac_optim_reset(clkfac_optim *opt)
{
    if (!opt) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_optim_reset: optimizer is NULL");
    float init = opt->o.kind == CLKFAC_OPTIM_RMSPROP ? opt->o.rmsprop_init : 0.0f;
    clkfac_status st = clkfac_buffer_fill(opt->ctx, opt->state, 0, init, state_floats(opt));
    return st ? st : clkfac_buffer_fill(opt->ctx, opt->stats, 0, 0.0f, CLKFAC_OPTIM_STATS);
}

cl_mem clkfac_optim_stats(const clkfac_optim *opt) { return opt ? opt->stats : NULL; }
cl_mem clkfac_optim_state(const clkfac_optim *opt) { return opt ? opt->state : NULL; }
size_t clkfac_optim_size(const clkfac_optim *opt) { return opt ? opt->n : 0; }

static clkfac_status prepare(clkfac_optim *opt, float lr, cl_mem lr_scale, size_t lrs_off)
{
    clkfac_context *ctx = opt->ctx;
    return ocl_run(ctx, "optim", "optim_prepare", OCL_1D(1, 0),
                   OCL_ARGS(OCL_M(opt->stats), OCL_F(lr), OCL_M(lr_scale ? lr_scale : opt->stats),
                            OCL_U(lrs_off), OCL_I(lr_scale != NULL), OCL_F(opt->o.max_grad_norm),
                            OCL_I(opt->o.kind), OCL_F(opt->o.adam_beta1),
                            OCL_F(opt->o.adam_beta2), OCL_M(ctx->health)));
}

static clkfac_status update(clkfac_optim *opt, cl_mem p, size_t p_off, cl_mem g, size_t g_off)
{
    clkfac_context *ctx = opt->ctx;
    const clkfac_optim_options *o = &opt->o;
    const ocl_grid grid = OCL_1D(opt->n, CLKFAC_WG);
    /* every rule: (n, p, p_off, g, g_off, state, its coefficients..., stats, health) */
#define OPTIM_RUN(name, ...)                                                                   \
    ocl_run(ctx, "optim", name, grid,                                                          \
            OCL_ARGS(OCL_U(opt->n), OCL_M(p), OCL_U(p_off), OCL_M(g), OCL_U(g_off),            \
                     OCL_M(opt->state), __VA_ARGS__, OCL_M(opt->stats), OCL_M(ctx->health)))
    clkfac_status st;
    if (o->kind == CLKFAC_OPTIM_SGD)
        st = OPTIM_RUN("optim_sgd", OCL_F(o->momentum));
    else if (o->kind == CLKFAC_OPTIM_RMSPROP)
        st = OPTIM_RUN("optim_rmsprop", OCL_F(o->rmsprop_decay), OCL_F(1.0f - o->rmsprop_decay),
                       OCL_F(o->rmsprop_eps));
    else
        st = OPTIM_RUN("optim_adam", OCL_F(o->adam_beta1), OCL_F(o->adam_beta2),
                       OCL_F(o->adam_eps));
#undef OPTIM_RUN
    return st;
}

clkfac_status clkfac_optim_step(clkfac_optim *opt, cl_mem params, size_t p_off, cl_mem grads,
                                size_t g_off, float lr, cl_mem lr_scale, size_t lr_scale_off)
{
    static const char fn[] = "clkfac_optim_step";
    if (!opt) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: optimizer is NULL", fn);
    if (!isfinite(lr) || lr < 0.0f)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: learning rate %g; expected a finite value "
                         ">= 0", fn, (double)lr);
    clkfac_status st;
    if ((st = ocl_check_buffer(fn, "params", params, p_off, opt->n)) ||
        (st = ocl_check_buffer(fn, "grads", grads, g_off, opt->n)) ||
        (lr_scale && (st = ocl_check_buffer(fn, "lr_scale", lr_scale, lr_scale_off, 1))))
        return st;
    if (params == grads && p_off < g_off + opt->n && g_off < p_off + opt->n)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: params overlap grads", fn);
    clkfac_context *ctx = opt->ctx;
    /* three commands: the norm, optim_prepare (which also decides the guard: a NaN or Inf in
     * the gradient shows in the norm) and the update */
    if ((st = blas_nrm2(ctx, opt->n, grads, g_off, opt->stats, CLKFAC_OPTIM_STAT_NORM)) ||
        (st = prepare(opt, lr, lr_scale, lr_scale_off)))
        return st;
    return update(opt, params, p_off, grads, g_off);
}

clkfac_status clkfac_optim_clip_grad_norm(clkfac_context *ctx, size_t n, cl_mem grads,
                                          size_t g_off, float max_norm, cl_mem stats,
                                          size_t s_off)
{
    static const char fn[] = "clkfac_optim_clip_grad_norm";
    if (!ctx) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: context is NULL", fn);
    if (n == 0 || !(max_norm > 0.0f) || !isfinite(max_norm))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: n = %zu, max_norm = %g; expected n >= 1 and "
                         "a finite max_norm > 0", fn, n, (double)max_norm);
    clkfac_status st;
    if ((st = ocl_check_buffer(fn, "grads", grads, g_off, n)) ||
        (st = ocl_check_buffer(fn, "stats", stats, s_off, 2)))
        return st;
    if (stats == grads && s_off < g_off + n && g_off < s_off + 2)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: stats overlap grads", fn);
    if ((st = blas_nrm2(ctx, n, grads, g_off, stats, s_off))) return st;
    return ocl_run(ctx, "optim", "optim_clip", OCL_1D(n, CLKFAC_WG),
                   OCL_ARGS(OCL_U(n), OCL_M(grads), OCL_U(g_off), OCL_F(max_norm), OCL_M(stats),
                            OCL_U(s_off), OCL_M(ctx->health)));
}

float clkfac_optim_lr_at(clkfac_lr_schedule schedule, float lr0, uint64_t step, uint64_t total)
{
    switch (schedule) {
    case CLKFAC_LR_CONSTANT:
        return lr0;
    case CLKFAC_LR_LINEAR:
        if (total == 0) return lr0;
        if (step >= total) return 0.0f;
        return (float)((double)lr0 * (1.0 - (double)step / (double)total));
    }
    return NAN;
}
