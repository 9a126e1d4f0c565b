/* First-order optimizers on flat device vectors (kernels in cl/optim.cl): state allocated once
 * at create, each step enqueued without waiting, the skip-on-non-finite decision kept on the
 * device through the health guard. The update rules are documented in clkfac/optim.h. */
#include <math.h>
#include <stdlib.h>

#include "cl/ocl.h"
#include "clkfac/optim.h"
#include "linalg/blas.h"

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

/* Raises the guard (and flag) when any g is NaN/Inf: the shared util kernel. */
static clkfac_status check_finite(clkfac_context *ctx, size_t n, cl_mem x, size_t x_off)
{
    cl_kernel k;
    clkfac_status st = ocl_kernel(ctx, "util", "util_check_finite", &k);
    if (st) return st;
    cl_uint nn = (cl_uint)n, xo = (cl_uint)x_off;
    if ((st = OCL_ARG(k, 0, nn)) || (st = OCL_ARG(k, 1, x)) || (st = OCL_ARG(k, 2, xo)) ||
        (st = OCL_ARG(k, 3, ctx->health)))
        return st;
    size_t lws = 64;
    return ocl_launch(ctx, k, 1, &n, &lws);
}

static clkfac_status prepare(clkfac_optim *opt, float lr, cl_mem lr_scale, size_t lrs_off)
{
    clkfac_context *ctx = opt->ctx;
    cl_kernel k;
    clkfac_status st = ocl_kernel(ctx, "optim", "optim_prepare", &k);
    if (st) return st;
    cl_mem scale = lr_scale ? lr_scale : opt->stats;
    cl_uint so = (cl_uint)lrs_off;
    cl_int has = lr_scale != NULL, kind = (cl_int)opt->o.kind;
    if ((st = OCL_ARG(k, 0, opt->stats)) || (st = OCL_ARG(k, 1, lr)) ||
        (st = OCL_ARG(k, 2, scale)) || (st = OCL_ARG(k, 3, so)) || (st = OCL_ARG(k, 4, has)) ||
        (st = OCL_ARG(k, 5, opt->o.max_grad_norm)) || (st = OCL_ARG(k, 6, kind)) ||
        (st = OCL_ARG(k, 7, opt->o.adam_beta1)) || (st = OCL_ARG(k, 8, opt->o.adam_beta2)) ||
        (st = OCL_ARG(k, 9, ctx->health)))
        return st;
    size_t one = 1;
    return ocl_launch(ctx, k, 1, &one, NULL);
}

static clkfac_status update(clkfac_optim *opt, cl_mem p, size_t p_off, cl_mem g, size_t g_off)
{
    clkfac_context *ctx = opt->ctx;
    static const char *names[] = {"optim_sgd", "optim_rmsprop", "optim_adam"};
    cl_kernel k;
    clkfac_status st = ocl_kernel(ctx, "optim", names[opt->o.kind], &k);
    if (st) return st;
    cl_uint nn = (cl_uint)opt->n, po = (cl_uint)p_off, go = (cl_uint)g_off;
    if ((st = OCL_ARG(k, 0, nn)) || (st = OCL_ARG(k, 1, p)) || (st = OCL_ARG(k, 2, po)) ||
        (st = OCL_ARG(k, 3, g)) || (st = OCL_ARG(k, 4, go)) || (st = OCL_ARG(k, 5, opt->state)))
        return st;
    cl_uint next = 6;
    if (opt->o.kind == CLKFAC_OPTIM_SGD) {
        if ((st = OCL_ARG(k, next++, opt->o.momentum))) return st;
    } else if (opt->o.kind == CLKFAC_OPTIM_RMSPROP) {
        float omd = 1.0f - opt->o.rmsprop_decay;
        if ((st = OCL_ARG(k, next++, opt->o.rmsprop_decay)) || (st = OCL_ARG(k, next++, omd)) ||
            (st = OCL_ARG(k, next++, opt->o.rmsprop_eps)))
            return st;
    } else {
        if ((st = OCL_ARG(k, next++, opt->o.adam_beta1)) ||
            (st = OCL_ARG(k, next++, opt->o.adam_beta2)) ||
            (st = OCL_ARG(k, next++, opt->o.adam_eps)))
            return st;
    }
    if ((st = OCL_ARG(k, next, opt->stats)) || (st = OCL_ARG(k, next + 1, ctx->health))) return st;
    size_t gws = opt->n, lws = 64;
    return ocl_launch(ctx, k, 1, &gws, &lws);
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
    if ((st = ocl_guard_reset(ctx)) || (st = check_finite(ctx, opt->n, grads, g_off)) ||
        (st = blas_nrm2(ctx, opt->n, grads, g_off, opt->stats, CLKFAC_OPTIM_STAT_NORM)) ||
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
    cl_kernel k;
    if ((st = blas_nrm2(ctx, n, grads, g_off, stats, s_off)) ||
        (st = ocl_kernel(ctx, "optim", "optim_clip", &k)))
        return st;
    cl_uint nn = (cl_uint)n, go = (cl_uint)g_off, so = (cl_uint)s_off;
    if ((st = OCL_ARG(k, 0, nn)) || (st = OCL_ARG(k, 1, grads)) || (st = OCL_ARG(k, 2, go)) ||
        (st = OCL_ARG(k, 3, max_norm)) || (st = OCL_ARG(k, 4, stats)) ||
        (st = OCL_ARG(k, 5, so)) || (st = OCL_ARG(k, 6, ctx->health)))
        return st;
    size_t lws = 64;
    return ocl_launch(ctx, k, 1, &n, &lws);
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
