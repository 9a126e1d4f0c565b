/* TRPO with conjugate gradient (Schulman et al. 2015; ALGORITHMS.md): GAE advantages, the
 * surrogate's gradient g, x = CG(F, g) with exact Fisher-vector products (R-op, output Fisher,
 * backward) on every k-th sample, a step scaled to the KL budget, a backtracking line search
 * decided on the device, and a separate value network fitted by Adam. No host reads. */
#include <math.h>
#include <stdlib.h>

#include "cl/ocl.h"
#include "clkfac/heads.h"
#include "clkfac/linalg.h"
#include "clkfac/rl.h"
#include "rl/agent_internal.h"

#define LS_TRIALS 10  /* backtracking halvings */
#define VF_BATCH 64   /* value-function minibatch (the reference's) */

/* Slots of the update's device scalar buffer. */
enum {
    SC_CG = 0,        /* 4 CG scalars */
    SC_RES = 4,       /* ||r|| after CG */
    SC_XFX = 5,       /* x^T F x */
    SC_COEF = 6,      /* step scale */
    SC_ACC = 7,       /* line search accepted */
    SC_KL = 8,        /* KL of the current trial */
    SC_SURR = 9,      /* surrogate of the current trial */
    SC_SURR_OLD = 10, /* surrogate before the step */
    SC_KL_ACC = 11,
    SC_STEPS = 12,
    SC_SURR_ACC = 13,
    SC_VF = 14,       /* value loss of a minibatch */
    SC_N = 16
};

typedef struct trpo_state {
    trpo_fisher fisher;
    clkfac_optim *vf_opt;
    size_t n_sub, sub_stride;
    /* flat vectors of n_params: gradient, CG solution, F x, old parameters; CG workspace */
    cl_mem g, x, fx, old, work;
    cl_mem old_out;   /* (M, n_out) policy outputs before the step */
    cl_mem logp_old;  /* (M) */
    cl_mem obs_sub;   /* (n_sub, obs) the FVP rows; NULL when every row is used */
    cl_mem scratch;   /* (M) value gradient of the pre-update value loss */
    cl_mem sc;
    float step_sign;
} trpo_state;

/* ---- Fisher-vector products and conjugate gradient ----------------------------------------- */

clkfac_status trpo_fisher_init(trpo_fisher *f, clkfac_context *ctx, clkfac_nn *net, size_t head,
                               const policy_dist *pol, size_t n_out, cl_mem logstd, float damping)
{
    f->ctx = ctx;
    f->net = net;
    f->head = head;
    f->pol = pol;
    f->n_out = n_out;
    f->logstd = pol->has_logstd ? logstd : NULL;
    f->damping = damping;
    f->dp = NULL;
    f->n_net = clkfac_nn_param_count(net);
    f->n_params = f->n_net + (pol->has_logstd ? n_out : 0);
    if (pol->has_logstd && !logstd)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "trpo: a Gaussian policy needs its log-std");
    return clkfac_nn_rop_create(&f->rop, net);
}

void trpo_fisher_release(trpo_fisher *f)
{
    clkfac_nn_rop_free(f->rop);
    f->rop = NULL;
}

clkfac_status trpo_fvp(trpo_fisher *f, size_t n, cl_mem v, size_t v_off, cl_mem out,
                       size_t out_off)
{
    clkfac_context *ctx = f->ctx;
    clkfac_nn_view jv;
    policy_params o = {{0}, f->logstd, 0}, dout = {{0}, out, out_off + f->n_net};
    clkfac_status st;
    if ((st = clkfac_nn_rop(f->rop, n, v, v_off)) ||
        (st = clkfac_nn_rop_output(&jv, f->rop, f->head)) ||
        (st = clkfac_nn_output(&o.out, f->net, f->head)) ||
        (st = clkfac_nn_output_grad(&dout.out, f->net, f->head)))
        return st;
    /* other heads of the network take no part: their output gradients are zero */
    for (size_t h = 0; h < clkfac_nn_output_count(f->net); h++) {
        clkfac_nn_view d;
        if (h == f->head) continue;
        if ((st = clkfac_nn_output_grad(&d, f->net, h)) ||
            (st = clkfac_buffer_fill(ctx, d.buf, d.off, 0.0f, d.rows * d.ld)))
            return st;
    }
    /* M J v with scale 1/n: the Hessian of the mean KL w.r.t. the outputs */
    float scale = 1.0f / (float)n;
    st = f->pol->fvp(ctx, &o, &jv, v, v_off + f->n_net, scale, &dout);
    /* J^T (...) by the backward pass, then the damping */
    if (st || (st = clkfac_nn_zero_grad(f->net)) ||
        (st = clkfac_nn_backward(f->net, n, NULL, 0)) ||
        (st = clkfac_linalg_copy(ctx, f->n_net, clkfac_nn_grads(f->net), 0, out, out_off)))
        return st;
    /* data-parallel: the mean over every rank's rows */
    if (f->dp && (st = agent_dp_mean(f->dp, out, out_off, f->n_params, "cg"))) return st;
    return f->damping != 0.0f
               ? clkfac_linalg_axpy(ctx, f->n_params, f->damping, v, v_off, out, out_off)
               : CLKFAC_OK;
}

clkfac_status trpo_cg(trpo_fisher *f, size_t n, cl_mem g, cl_mem x, unsigned iters, cl_mem work,
                      cl_mem sc, size_t sc_off, size_t res_off)
{
    clkfac_context *ctx = f->ctx;
    size_t P = f->n_params, r = 0, p = P, ap = 2 * P;
    size_t rr = sc_off, pap = sc_off + 1, rr_new = sc_off + 2;
    clkfac_status st;
    if ((st = clkfac_buffer_fill(ctx, x, 0, 0.0f, P)) ||
        (st = clkfac_linalg_copy(ctx, P, g, 0, work, r)) ||
        (st = clkfac_linalg_copy(ctx, P, g, 0, work, p)) ||
        (st = clkfac_linalg_dot(ctx, P, work, r, work, r, sc, rr)))
        return st;
    for (unsigned i = 0; i < iters; i++) {
        /* alpha = r.r / p.Ap and beta = r'.r' / r.r are read by the kernels on the device */
        if ((st = trpo_fvp(f, n, work, p, work, ap)) ||
            (st = clkfac_linalg_dot(ctx, P, work, p, work, ap, sc, pap)) ||
            (st = clkfac_linalg_axpy_ratio(ctx, P, 1.0f, sc, rr, pap, work, p, x, 0)) ||
            (st = clkfac_linalg_axpy_ratio(ctx, P, -1.0f, sc, rr, pap, work, ap, work, r)) ||
            (st = clkfac_linalg_dot(ctx, P, work, r, work, r, sc, rr_new)) ||
            (st = clkfac_linalg_xpay_ratio(ctx, P, sc, rr_new, rr, work, r, work, p)) ||
            (st = clkfac_buffer_copy(ctx, sc, rr_new, sc, rr, 1)))
            return st;
    }
    return clkfac_linalg_nrm2(ctx, P, work, r, sc, res_off);
}

/* ---- agent hooks --------------------------------------------------------------------------- */

static void trpo_free(clkfac_agent *ag)
{
    trpo_state *s = ag->algo;
    if (!s) return;
    trpo_fisher_release(&s->fisher);
    clkfac_optim_free(s->vf_opt);
    cl_mem bufs[] = {s->g, s->x, s->fx, s->old, s->work, s->old_out, s->logp_old, s->obs_sub,
                     s->scratch, s->sc};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) clkfac_buffer_free(bufs[i]);
    free(s);
    ag->algo = NULL;
}

void trpo_debug_flip_step(clkfac_agent *ag)
{
    trpo_state *s = ag->algo;
    if (s) s->step_sign = -s->step_sign;
}

clkfac_status trpo_debug_direction(clkfac_agent *ag, float *out, size_t n)
{
    trpo_state *s = ag->alg == &agent_algo_trpo ? ag->algo : NULL;
    if (!s || n != s->fisher.n_params)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "trpo_debug_direction: %zu values; expected a TRPO "
                         "agent's %zu policy parameters", n, s ? s->fisher.n_params : (size_t)0);
    return clkfac_buffer_read(ag->ctx, s->x, 0, out, n);
}

static clkfac_status zeros(clkfac_context *ctx, cl_mem *m, size_t n)
{
    clkfac_status st = clkfac_buffer_create(m, ctx, n ? n : 1);
    return st ? st : clkfac_buffer_fill(ctx, *m, 0, 0.0f, n ? n : 1);
}

static clkfac_status trpo_create(clkfac_agent *ag)
{
    const clkfac_agent_options *o = &ag->o;
    if (!(o->max_kl > 0 && isfinite(o->max_kl)) || !(o->cg_damping >= 0 && isfinite(o->cg_damping)) ||
        !(o->gae_lambda >= 0 && o->gae_lambda <= 1) || !(o->vf_lr > 0 && isfinite(o->vf_lr)) ||
        o->cg_iters < 1 || o->fvp_subsample < 1)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "trpo options: max_kl %g (> 0), cg_damping %g "
                         "(>= 0), gae_lambda %g ([0, 1]), vf_lr %g (> 0), cg_iters %u (>= 1), "
                         "fvp_subsample %u (>= 1)", (double)o->max_kl, (double)o->cg_damping,
                         (double)o->gae_lambda, (double)o->vf_lr, o->cg_iters, o->fvp_subsample);
    if (ag->critic == ag->actor)
        return CORE_FAIL(CLKFAC_ERR_INTERNAL, "trpo needs separate actor and critic networks");
    trpo_state *s = core_calloc(1, sizeof *s);
    if (!s) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    ag->algo = s;
    s->step_sign = 1.0f;
    clkfac_context *ctx = ag->ctx;
    size_t M = ag->n_envs * ag->t_steps;
    clkfac_status st = trpo_fisher_init(&s->fisher, ctx, ag->actor, ag->pi_head, ag->pol,
                                        ag->n_out, ag->logstd, o->cg_damping);
    if (st) return st;
    size_t P = s->fisher.n_params;
    s->sub_stride = o->fvp_subsample < M ? o->fvp_subsample : M;
    s->n_sub = (M + s->sub_stride - 1) / s->sub_stride;
    clkfac_optim_options oo = CLKFAC_OPTIM_OPTIONS_INIT;
    oo.kind = CLKFAC_OPTIM_ADAM;
    if ((st = clkfac_optim_create(&s->vf_opt, ctx, clkfac_nn_param_count(ag->critic), &oo)) ||
        (st = zeros(ctx, &s->g, P)) || (st = zeros(ctx, &s->x, P)) ||
        (st = zeros(ctx, &s->fx, P)) || (st = zeros(ctx, &s->old, P)) ||
        (st = zeros(ctx, &s->work, 3 * P)) || (st = zeros(ctx, &s->old_out, M * ag->n_out)) ||
        (st = zeros(ctx, &s->logp_old, M)) || (st = zeros(ctx, &s->scratch, M)) ||
        (st = zeros(ctx, &s->sc, SC_N)) ||
        (s->sub_stride > 1 && (st = zeros(ctx, &s->obs_sub, s->n_sub * ag->obs_size))))
        return st;
    /* the record's grad_norm and lr columns show the value optimizer (the policy has none) */
    ag->stats_optim = s->vf_opt;
    return CLKFAC_OK;
}

/* Surrogate at the actor's last forward (all M rows) into sc[slot]; with grad, also its
 * gradient w.r.t. the policy parameters into s->g (network part by a backward pass). */
static clkfac_status surrogate(clkfac_agent *ag, trpo_state *s, size_t slot, int grad)
{
    clkfac_context *ctx = ag->ctx;
    size_t M = ag->n_envs * ag->t_steps, P0 = s->fisher.n_net;
    policy_params pi, dpi;
    clkfac_status st;
    if ((st = agent_policy(&pi, ag)) || (st = agent_policy_grad(&dpi, ag))) return st;
    dpi.logstd = s->g; /* the log-std part of the flat gradient */
    dpi.logstd_off = P0;
    st = ag->pol->surrogate(ctx, &pi, ag->actions, s->logp_old, ag->adv, grad ? &dpi : NULL, s->sc,
                            slot);
    if (st || !grad) return st;
    if ((st = clkfac_nn_zero_grad(ag->actor)) || (st = clkfac_nn_backward(ag->actor, M, NULL, 0)))
        return st;
    return clkfac_linalg_copy(ctx, P0, clkfac_nn_grads(ag->actor), 0, s->g, 0);
}

/* Mean KL(old || current) over the M rows of the actor's last forward into sc[SC_KL]. */
static clkfac_status mean_kl(clkfac_agent *ag, trpo_state *s)
{
    size_t M = ag->n_envs * ag->t_steps, A = ag->n_out;
    policy_params pi, old = {{s->old_out, 0, M, A, A}, s->old, s->fisher.n_net};
    policy_out kl = {NULL, 0, s->sc, SC_KL};
    clkfac_status st = agent_policy(&pi, ag);
    return st ? st : ag->pol->kl(ag->ctx, &old, &pi, &kl);
}

/* Trial parameters old + frac * coef * x (restore: old) on the network and the log-stds. */
static clkfac_status ls_set(clkfac_agent *ag, trpo_state *s, float frac, int restore)
{
    clkfac_status st;
    size_t P0 = s->fisher.n_net, A = ag->n_out;
    st = ocl_run(ag->ctx, "trpo", "trpo_ls_set", OCL_1D(P0, CLKFAC_WG),
                 OCL_ARGS(OCL_U(P0), OCL_M(clkfac_nn_params(ag->actor)), OCL_U(0), OCL_M(s->old),
                          OCL_U(0), OCL_M(s->x), OCL_U(0), OCL_M(s->sc), OCL_U(SC_COEF),
                          OCL_U(SC_ACC), OCL_F(frac), OCL_I(restore)));
    if (st || !ag->pol->has_logstd) return st;
    st = ocl_run(ag->ctx, "trpo", "trpo_ls_set", OCL_1D(A, CLKFAC_WG),
                 OCL_ARGS(OCL_U(A), OCL_M(ag->logstd), OCL_U(0), OCL_M(s->old), OCL_U(P0),
                          OCL_M(s->x), OCL_U(P0), OCL_M(s->sc), OCL_U(SC_COEF), OCL_U(SC_ACC),
                          OCL_F(frac), OCL_I(restore)));
    return st;
}

static clkfac_status policy_step(clkfac_agent *ag, trpo_state *s)
{
    clkfac_context *ctx = ag->ctx;
    const clkfac_agent_options *o = &ag->o;
    size_t M = ag->n_envs * ag->t_steps, A = ag->n_out, P0 = s->fisher.n_net;
    policy_params pi;
    clkfac_status st;
    /* the old policy: outputs, log-probabilities, parameters, surrogate and its gradient */
    clkfac_profile_phase(ctx, "forward");
    policy_out logp = {s->logp_old, 0, NULL, 0};
    policy_out entropy = {NULL, 0, ag->loss_stats, CLKFAC_A2C_STAT_ENTROPY};
    if ((st = clkfac_nn_forward(ag->actor, M, ag->obs, 0)) || (st = agent_policy(&pi, ag)) ||
        (st = clkfac_buffer_copy(ctx, pi.out.buf, pi.out.off, s->old_out, 0, M * A)) ||
        (st = clkfac_buffer_copy(ctx, clkfac_nn_params(ag->actor), 0, s->old, 0, P0)) ||
        (ag->pol->has_logstd && (st = clkfac_buffer_copy(ctx, ag->logstd, 0, s->old, P0, A))) ||
        (st = ag->pol->log_prob(ctx, &pi, ag->actions, &logp)) ||
        (st = ag->pol->entropy(ctx, &pi, &entropy)) || (st = surrogate(ag, s, SC_SURR_OLD, 1)))
        return st;
    if (ag->dp_size > 1) { /* data-parallel: the surrogate and its gradient over every rank */
        cl_mem bufs[2] = {s->g, s->sc};
        size_t offs[2] = {0, SC_SURR_OLD}, lens[2] = {s->fisher.n_params, 1};
        if ((st = agent_allreduce_mean_at(ag, bufs, offs, lens, 2))) return st;
        clkfac_profile_phase(ctx, "forward");
    }
    /* x = CG(F, g) on every k-th row, then the step scale from x^T F x */
    clkfac_profile_phase(ctx, "cg");
    size_t n = M;
    if (s->obs_sub) {
        size_t tot = s->n_sub * ag->obs_size;
        st = ocl_run(ctx, "trpo", "trpo_gather_rows", OCL_1D(tot, CLKFAC_WG),
                 OCL_ARGS(OCL_M(ag->obs), OCL_M(s->obs_sub), OCL_U(s->sub_stride),
                          OCL_U(ag->obs_size), OCL_U(s->n_sub)));
        if (st || (st = clkfac_nn_forward(ag->actor, s->n_sub, s->obs_sub, 0))) return st;
        n = s->n_sub;
    }
    if ((st = trpo_cg(&s->fisher, n, s->g, s->x, o->cg_iters, s->work, s->sc, SC_CG, SC_RES)) ||
        (st = trpo_fvp(&s->fisher, n, s->x, 0, s->fx, 0)) ||
        (st = clkfac_linalg_dot(ctx, s->fisher.n_params, s->x, 0, s->fx, 0, s->sc, SC_XFX)))
        return st;
    st = ocl_run(ctx, "trpo", "trpo_step_coef", OCL_1D(1, 1),
                 OCL_ARGS(OCL_M(s->sc), OCL_U(SC_XFX), OCL_U(SC_COEF), OCL_U(SC_ACC),
                          OCL_F(o->max_kl), OCL_F(s->step_sign)));
    if (st) return st;
    clkfac_profile_phase(ctx, "linesearch");
    /* backtracking line search, decided on the device: every trial is enqueued, and once one
     * is accepted the later ones leave the parameters and the record alone */
    float frac = 1.0f;
    for (int k = 0; k < LS_TRIALS; k++, frac *= 0.5f) {
        if ((st = ls_set(ag, s, frac, 0)) || (st = clkfac_nn_forward(ag->actor, M, ag->obs, 0)) ||
            (st = mean_kl(ag, s)) || (st = surrogate(ag, s, SC_SURR, 0)) ||
            (st = agent_dp_mean(ag, s->sc, SC_KL, 2, "linesearch"))) /* KL and surrogate: adjacent */
            return st;
        st = ocl_run(ctx, "trpo", "trpo_ls_check", OCL_1D(1, 1),
                 OCL_ARGS(OCL_M(s->sc), OCL_U(SC_KL), OCL_U(SC_SURR), OCL_U(SC_SURR_OLD),
                          OCL_U(SC_ACC), OCL_U(SC_KL_ACC), OCL_U(SC_STEPS), OCL_U(SC_SURR_ACC),
                          OCL_F(1.5f * o->max_kl), OCL_F((float)k)));
        if (st) return st;
    }
    if ((st = ls_set(ag, s, 0.0f, 1))) return st;
    st = ocl_run(ctx, "trpo", "trpo_ls_final", OCL_1D(1, 1),
                 OCL_ARGS(OCL_M(s->sc), OCL_U(SC_ACC), OCL_U(SC_KL_ACC), OCL_U(SC_STEPS),
                          OCL_U(SC_SURR_ACC), OCL_U(SC_SURR_OLD), OCL_U(SC_RES),
                          OCL_M(ag->algo_stats), OCL_U(REC_KL - REC_ALGO_FIRST),
                          OCL_U(REC_CG_RESIDUAL - REC_ALGO_FIRST),
                          OCL_U(REC_LS_STEPS - REC_ALGO_FIRST),
                          OCL_U(REC_ACCEPTED - REC_ALGO_FIRST), OCL_F((float)LS_TRIALS),
                          OCL_M(ag->loss_stats)));
    return st;
}

/* vf_iters epochs of Adam on mean (V - R)^2 over minibatches of VF_BATCH rows in order. On N
 * ranks each rank's minibatches have ceil(VF_BATCH / N) of its rows and their gradients are
 * averaged: minibatches of about VF_BATCH rows of the union, as many steps as one process takes
 * on it (the same minibatches when one holds the whole rollout). */
static clkfac_status value_step(clkfac_agent *ag, trpo_state *s)
{
    clkfac_context *ctx = ag->ctx;
    size_t M = ag->n_envs * ag->t_steps, P = clkfac_nn_param_count(ag->critic);
    size_t batch = (VF_BATCH + (size_t)ag->dp_size - 1) / (size_t)ag->dp_size;
    clkfac_nn_view v, dv;
    clkfac_status st;
    /* the value loss before fitting, from the rollout's values */
    if ((st = clkfac_heads_value_mse(ctx, M, ag->values, 0, ag->returns, 0, s->scratch, 0,
                                     ag->loss_stats, CLKFAC_A2C_STAT_VALUE)))
        return st;
    for (unsigned e = 0; e < ag->o.vf_iters; e++)
        for (size_t a = 0; a < M; a += batch) {
            size_t b = M - a < batch ? M - a : batch;
            if ((st = clkfac_nn_forward(ag->critic, b, ag->obs, a * ag->obs_size)) ||
                (st = agent_head_view(&v, ag->critic, ag->v_head, 0)) ||
                (st = agent_head_view(&dv, ag->critic, ag->v_head, 1)) ||
                (st = clkfac_heads_value_mse(ctx, b, v.buf, v.off, ag->returns, a, dv.buf, dv.off,
                                             s->sc, SC_VF)) ||
                (st = clkfac_nn_zero_grad(ag->critic)) ||
                (st = clkfac_nn_backward(ag->critic, b, NULL, 0)) ||
                (st = agent_dp_mean(ag, clkfac_nn_grads(ag->critic), 0, P, "value")) ||
                (st = clkfac_optim_step(s->vf_opt, clkfac_nn_params(ag->critic), 0,
                                        clkfac_nn_grads(ag->critic), 0, ag->o.vf_lr, NULL, 0)))
                return st;
        }
    return CLKFAC_OK;
}

/* Data-parallel advantage standardization over the union of the ranks' rows (equal counts): the
 * mean of the ranks' means, then of their mean squared deviations from it (sc slots SC_KL and
 * SC_SURR as scratch, before the line search uses them). */
static clkfac_status standardize_ranks(clkfac_agent *ag, trpo_state *s)
{
    clkfac_context *ctx = ag->ctx;
    size_t M = ag->n_envs * ag->t_steps;
    clkfac_status st = CLKFAC_OK;
    for (int centered = 0; centered < 2 && !st; centered++) {
        st = ocl_run(ctx, "trpo", "trpo_moment", OCL_GROUPS(1),
                     OCL_ARGS(OCL_U(M), OCL_M(ag->adv), OCL_M(s->sc), OCL_U(SC_KL),
                              OCL_I(centered), OCL_U(centered ? SC_SURR : SC_KL)));
        if (!st) st = agent_dp_mean(ag, s->sc, centered ? SC_SURR : SC_KL, 1, "advantages");
    }
    return st ? st : ocl_run(ctx, "trpo", "trpo_standardize_by", OCL_1D(M, CLKFAC_WG),
                             OCL_ARGS(OCL_U(M), OCL_M(ag->adv), OCL_M(s->sc), OCL_U(SC_KL),
                                      OCL_U(SC_SURR)));
}

static clkfac_status trpo_update(clkfac_agent *ag, float lr)
{
    trpo_state *s = ag->algo;
    clkfac_context *ctx = ag->ctx;
    size_t N = ag->n_envs, T = ag->t_steps, M = N * T;
    clkfac_status st;
    (void)lr; /* the step is set by the KL budget max_kl */
    /* GAE replaces the rollout's n-step returns; advantages standardized in one work-group */
    clkfac_profile_phase(ctx, "advantages");
    if ((st = clkfac_rl_gae(ctx, T, N, ag->o.gamma, ag->o.gae_lambda, ag->rewards, ag->ended,
                            ag->boot, ag->values, ag->last, ag->returns, ag->adv)))
        return st;
    s->fisher.dp = ag->dp_size > 1 ? ag : NULL;
    st = ag->dp_size > 1 ? standardize_ranks(ag, s)
                         : ocl_run(ctx, "trpo", "trpo_standardize", OCL_GROUPS(1),
                                   OCL_ARGS(OCL_U(M), OCL_M(ag->adv)));
    if (st || (st = policy_step(ag, s))) return st;
    clkfac_profile_phase(ctx, "value");
    if ((st = value_step(ag, s))) return st;
    /* data-parallel: the record's loss statistics (entropy, value loss) of every rank's rows */
    return agent_dp_mean(ag, ag->loss_stats, 0, CLKFAC_A2C_STATS, "value");
}

/* TRPO constrains the policy alone and fits the value by Adam: separate networks */
static void trpo_configure(clkfac_agent_options *o) { o->shared = 0; }

/* Adam of the value function, the line search's sign, and every device vector (most are
 * rewritten by each update; all are kept so a restored agent needs no reasoning about which) */
static clkfac_status trpo_state_items(clkfac_agent *ag, agent_state_io *io)
{
    trpo_state *s = ag->algo;
    size_t P = s->fisher.n_params, M = ag->n_envs * ag->t_steps;
    clkfac_status st;
    if ((st = agent_state_optim(io, "trpo.vf_adam", s->vf_opt, 2 * clkfac_optim_size(s->vf_opt))) ||
        (st = agent_state_item(io, "trpo.step_sign", NULL, 0, &s->step_sign, sizeof s->step_sign)) ||
        (st = agent_state_item(io, "trpo.g", s->g, P, NULL, 0)) ||
        (st = agent_state_item(io, "trpo.x", s->x, P, NULL, 0)) ||
        (st = agent_state_item(io, "trpo.fx", s->fx, P, NULL, 0)) ||
        (st = agent_state_item(io, "trpo.old", s->old, P, NULL, 0)) ||
        (st = agent_state_item(io, "trpo.work", s->work, 3 * P, NULL, 0)) ||
        (st = agent_state_item(io, "trpo.old_out", s->old_out, M * ag->n_out, NULL, 0)) ||
        (st = agent_state_item(io, "trpo.logp_old", s->logp_old, M, NULL, 0)) ||
        (st = agent_state_item(io, "trpo.scratch", s->scratch, M, NULL, 0)) ||
        (st = agent_state_item(io, "trpo.sc", s->sc, SC_N, NULL, 0)))
        return st;
    return s->obs_sub ? agent_state_item(io, "trpo.obs_sub", s->obs_sub, s->n_sub * ag->obs_size,
                                         NULL, 0)
                      : CLKFAC_OK;
}

const agent_algo agent_algo_trpo = {"trpo", trpo_configure, trpo_create, trpo_update, trpo_free,
                                    trpo_state_items};
