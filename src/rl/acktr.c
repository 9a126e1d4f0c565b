/* ACKTR: the A2C loss stepped along the K-FAC natural gradient inside a KL trust region, all on
 * the device. Per update: a Fisher pass (actions from the policy's own rollout, a Gauss-Newton
 * critic with sampled unit-variance targets) whose backward gives per-example output gradients;
 * A and G factors of every dense/conv layer into running averages; damped inverses every T_inv
 * updates; the loss gradient preconditioned layer by layer; nu = min(1, sqrt(kl_clip / q)) and a
 * momentum step of nu * v. Nothing is read back inside an update. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/heads.h"
#include "clkfac/kfac.h"
#include "clkfac/linalg.h"
#include "cl/ocl.h"
#include "rl/agent_internal.h"

typedef struct kfac_block {
    clkfac_nn *net;
    size_t layer;           /* index among the net's parameter layers */
    size_t offset;          /* of W_H in the flat parameter/gradient buffers */
    size_t da, dg;          /* A is (da, da) over the homogeneous input, G is (dg, dg) */
    size_t locations;       /* T: output locations per example (1 for dense) */
    cl_mem a, g, a_inv, g_inv;  /* eigen damping: a_inv/g_inv hold Q_A/Q_G */
    cl_mem a_eig, g_eig;        /* eigen damping: eigenvalues of A and G */
    clkfac_ema ea, eg;
    int eigen_now;          /* Tikhonov damping: the last inversion fell back to the eigen rule */
} kfac_block;

typedef struct acktr_net {
    clkfac_nn *net;
    cl_mem v;               /* preconditioned gradient, same layout as the parameters */
    clkfac_optim *mom;      /* momentum SGD */
} acktr_net;

typedef struct acktr_state {
    kfac_block *blocks;
    size_t n_blocks;
    acktr_net nets[2];
    size_t n_nets;
    cl_mem a_new, g_new;    /* this update's factors, before the running average */
    cl_mem trust;           /* per net: [dot -> q, nu] */
    cl_mem logits_before;   /* measure_kl: the policy outputs before the step (M, n_out) */
    cl_mem step_scale;      /* kl_target: adaptive multiplier of the step size (device) */
    cl_mem packed;          /* data-parallel: every block's new A and G as upper triangles */
    size_t packed_n;        /* its floats: sum over blocks of da(da+1)/2 + dg(dg+1)/2 */
    int *owner;             /* data-parallel, placement inverse/gradient: each block's rank */
    struct owner_bcast *bcast;        /* and the broadcasts of one sharing (4 per block) */
    clkfac_comm_request **bcast_req;  /* and their requests */
    clkfac_optim *mom_logstd; /* Gaussian log-std: raw gradient, same momentum and nu */
    clkfac_optim *critic_adam; /* Euclidean critic: Adam on the value loss */
    uint64_t updates;
} acktr_state;

static clkfac_status add_blocks(acktr_state *s, clkfac_context *ctx, clkfac_nn *net,
                                const clkfac_agent_options *o, size_t *max_a, size_t *max_g)
{
    size_t n = clkfac_nn_layer_count(net);
    kfac_block *b = realloc(s->blocks, (s->n_blocks + n) * sizeof *b);
    if (!b) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    s->blocks = b;
    for (size_t i = 0; i < n; i++) {
        clkfac_nn_layer_info li;
        clkfac_status st = clkfac_nn_layer_info_get(&li, net, i);
        if (st) return st;
        kfac_block *k = &s->blocks[s->n_blocks];
        *k = (kfac_block){net, i, li.offset, li.d_in_h, li.d_out, li.locations, NULL, NULL,
                          NULL, NULL, NULL, NULL, {o->stats_decay, o->cold_steps, 0},
                          {o->stats_decay, o->cold_steps, 0}, 0};
        s->n_blocks++;
        if ((st = clkfac_buffer_create(&k->a, ctx, k->da * k->da)) ||
            (st = clkfac_buffer_create(&k->g, ctx, k->dg * k->dg)) ||
            (st = clkfac_buffer_create(&k->a_inv, ctx, k->da * k->da)) ||
            (st = clkfac_buffer_create(&k->g_inv, ctx, k->dg * k->dg)))
            return st;
        /* eigenvalues: the eigen rule's, or the fallback of a factor Tikhonov cannot invert */
        if ((st = clkfac_buffer_create(&k->a_eig, ctx, k->da)) ||
            (st = clkfac_buffer_create(&k->g_eig, ctx, k->dg)))
            return st;
        if (k->da * k->da > *max_a) *max_a = k->da * k->da;
        if (k->dg * k->dg > *max_g) *max_g = k->dg * k->dg;
    }
    return CLKFAC_OK;
}

/* a Euclidean critic is fitted by its own first-order optimizer: it needs its own network */
static void acktr_configure(clkfac_agent_options *o)
{
    if (o->critic_euclidean) o->shared = 0;
}

static void acktr_free(clkfac_agent *ag)
{
    acktr_state *s = ag->algo;
    if (!s) return;
    for (size_t i = 0; i < s->n_blocks; i++) {
        clkfac_buffer_free(s->blocks[i].a);
        clkfac_buffer_free(s->blocks[i].g);
        clkfac_buffer_free(s->blocks[i].a_inv);
        clkfac_buffer_free(s->blocks[i].g_inv);
        clkfac_buffer_free(s->blocks[i].a_eig);
        clkfac_buffer_free(s->blocks[i].g_eig);
    }
    for (size_t i = 0; i < s->n_nets; i++) {
        clkfac_buffer_free(s->nets[i].v);
        clkfac_optim_free(s->nets[i].mom);
    }
    clkfac_buffer_free(s->a_new);
    clkfac_buffer_free(s->g_new);
    clkfac_buffer_free(s->trust);
    clkfac_buffer_free(s->logits_before);
    clkfac_buffer_free(s->step_scale);
    clkfac_buffer_free(s->packed);
    free(s->owner);
    free(s->bcast);
    free(s->bcast_req);
    clkfac_optim_free(s->mom_logstd);
    clkfac_optim_free(s->critic_adam);
    free(s->blocks);
    free(s);
    ag->algo = NULL;
}

clkfac_status acktr_debug_step_scale(clkfac_agent *ag, float *out)
{
    acktr_state *s = ag->algo;
    if (!s || !s->step_scale)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "agent has no adaptive step size (kl_target 0)");
    return clkfac_buffer_read(ag->ctx, s->step_scale, 0, out, 1);
}

static clkfac_status acktr_create(clkfac_agent *ag)
{
    const clkfac_agent_options *o = &ag->o;
    if (!(o->weight_decay >= 0) || !(o->kl_target >= 0))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "ACKTR weight_decay %g, kl_target %g; expected >= 0",
                         (double)o->weight_decay, (double)o->kl_target);
    if (o->kl_target > 0) ag->o.measure_kl = 1; /* the adaptive step size acts on the measured KL */
    if (!(o->kl_clip > 0) || !(o->kfac_damping > 0) || !(o->stats_decay >= 0 && o->stats_decay < 1) ||
        o->inv_every < 1 || o->stats_every < 1 || o->cold_steps < 1 ||
        !(o->momentum >= 0 && o->momentum < 1))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "ACKTR settings kl_clip %g, damping %g, stats_decay %g, inv_every %u, "
                         "stats_every %u, cold_steps %u, momentum %g; expected kl_clip > 0, "
                         "damping > 0, decay and momentum in [0, 1), the counts >= 1",
                         (double)o->kl_clip, (double)o->kfac_damping, (double)o->stats_decay,
                         o->inv_every, o->stats_every, o->cold_steps, (double)o->momentum);
    acktr_state *s = core_calloc(1, sizeof *s);
    if (!s) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    ag->algo = s;
    clkfac_context *ctx = ag->ctx;
    s->nets[s->n_nets++].net = ag->actor;
    if (ag->critic != ag->actor && !o->critic_euclidean) s->nets[s->n_nets++].net = ag->critic;
    size_t max_a = 1, max_g = 1;
    clkfac_status st;
    for (size_t i = 0; i < s->n_nets; i++) {
        acktr_net *an = &s->nets[i];
        size_t np = clkfac_nn_param_count(an->net);
        clkfac_optim_options oo = CLKFAC_OPTIM_OPTIONS_INIT;
        oo.kind = CLKFAC_OPTIM_SGD;
        oo.momentum = o->momentum;
        if ((st = add_blocks(s, ctx, an->net, o, &max_a, &max_g)) ||
            (st = clkfac_buffer_create(&an->v, ctx, np)) ||
            (st = clkfac_optim_create(&an->mom, ctx, np, &oo)))
            return st;
    }
    if ((st = clkfac_buffer_create(&s->a_new, ctx, max_a)) ||
        (st = clkfac_buffer_create(&s->g_new, ctx, max_g)) ||
        (st = clkfac_buffer_create(&s->trust, ctx, 2 * s->n_nets)))
        return st;
    if (o->critic_euclidean) {
        if (!(o->vf_lr > 0))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "Euclidean critic with vf_lr %g; expected > 0",
                             (double)o->vf_lr);
        clkfac_optim_options oo = CLKFAC_OPTIM_OPTIONS_INIT;
        oo.kind = CLKFAC_OPTIM_ADAM;
        oo.max_grad_norm = o->max_grad_norm;
        if ((st = clkfac_optim_create(&s->critic_adam, ctx, clkfac_nn_param_count(ag->critic), &oo)))
            return st;
    }
    if (o->kl_target > 0 && ((st = clkfac_buffer_create(&s->step_scale, ctx, 1)) ||
                             (st = clkfac_buffer_fill(ctx, s->step_scale, 0, 1.0f, 1))))
        return st;
    if (o->measure_kl &&
        (st = clkfac_buffer_create(&s->logits_before, ctx, ag->n_envs * ag->t_steps * ag->n_out)))
        return st;
    if (ag->pol->has_logstd) {
        clkfac_optim_options oo = CLKFAC_OPTIM_OPTIONS_INIT;
        oo.kind = CLKFAC_OPTIM_SGD;
        oo.momentum = o->momentum;
        if ((st = clkfac_optim_create(&s->mom_logstd, ctx, ag->n_out, &oo))) return st;
    }
    ag->stats_optim = s->nets[0].mom;
    return CLKFAC_OK;
}

/* Examples the statistics use: ceil(fraction * m), at least 1 (fraction 1: all m, exactly). The
 * product is shrunk by 1e-6 relative so a float fraction like 0.3f (0.30000001) of 40 gives 12. */
static size_t stats_rows(size_t m, float fraction)
{
    if (!(fraction < 1.0f)) return m;
    size_t k = (size_t)ceil((double)fraction * (double)m * (1.0 - 1e-6));
    return k < 1 ? 1 : k > m ? m : k;
}

/* Output gradients of the Fisher pass on the first m examples: per-example gradients (scale m)
 * of -log pi(a|s) with the rollout's actions (drawn from the current policy) and of the
 * Gauss-Newton critic 0.5 (V - (V + eps))^2, eps ~ N(0, 1) (scale m/2 gives -eps). */
static clkfac_status fisher_output_grads(clkfac_agent *ag, size_t m)
{
    policy_params pi, dpi;
    clkfac_nn_view dv;
    clkfac_status st;
    if ((st = agent_policy(&pi, ag)) || (st = agent_policy_grad(&dpi, ag)) ||
        (st = agent_head_view(&dv, ag->critic, ag->v_head, 1)))
        return st;
    dpi.logstd = NULL; /* the log-std is no layer: it has no K-FAC block */
    pi.out.rows = dpi.out.rows = m; /* the first m examples (all, or the statistics' part) */
    st = ag->pol->nll_grad(ag->ctx, &pi, ag->actions, (float)m, &dpi);
    if (st || ag->o.critic_euclidean) return st; /* a Euclidean critic has no Fisher pass */
    return clkfac_heads_value_fisher_grad(ag->ctx, m, ag->o.seed, ag->timestep, 0.5f * (float)m,
                                          dv.buf, dv.off);
}

/* Data-parallel: the packed new factors of every block summed over the ranks in one allreduce,
 * then per block unpacked as the mean (both triangles) and folded into the running averages. */
static clkfac_status average_packed_factors(clkfac_agent *ag, acktr_state *s)
{
    clkfac_profile_phase(ag->ctx, "allreduce");
    clkfac_status st = clkfac_comm_allreduce_buffer(ag->comm, ag->ctx, s->packed, 0, s->packed_n,
                                                    CLKFAC_COMM_SUM);
    clkfac_profile_phase(ag->ctx, "factors");
    float inv = 1.0f / (float)ag->dp_size;
    for (size_t i = 0, at = 0; i < s->n_blocks && !st; i++) {
        kfac_block *k = &s->blocks[i];
        size_t na = clkfac_kfac_packed_size(k->da);
        if ((st = clkfac_kfac_unpack_upper(ag->ctx, k->da, inv, s->packed, at, s->a_new, 0)) ||
            (st = clkfac_kfac_unpack_upper(ag->ctx, k->dg, inv, s->packed, at + na, s->g_new, 0)))
            break;
        at += na + clkfac_kfac_packed_size(k->dg);
        st = clkfac_kfac_ema_update_pair(
            ag->ctx, &(clkfac_ema_target){&k->ea, k->da * k->da, k->a, 0, s->a_new, 0},
            &(clkfac_ema_target){&k->eg, k->dg * k->dg, k->g, 0, s->g_new, 0});
    }
    return st;
}

/* New A and G of every block from the Fisher pass, folded into the running averages. Across
 * ranks each block's new factors are packed (upper triangles, into s->packed) as they are
 * computed, and averaged and folded in together after the last block. */
static clkfac_status update_factors(clkfac_agent *ag, acktr_state *s, size_t m)
{
    size_t at = 0; /* data-parallel: floats packed so far */
    if (ag->dp_size > 1 && !s->packed) {
        for (size_t i = 0; i < s->n_blocks; i++)
            s->packed_n += clkfac_kfac_packed_size(s->blocks[i].da) +
                           clkfac_kfac_packed_size(s->blocks[i].dg);
        clkfac_status st = clkfac_buffer_create(&s->packed, ag->ctx, s->packed_n);
        if (st) return st;
    }
    for (size_t i = 0; i < s->n_blocks; i++) {
        kfac_block *k = &s->blocks[i];
        clkfac_nn_view x, ds;
        clkfac_status st;
        if ((st = clkfac_nn_layer_input(&x, k->net, k->layer)) ||
            (st = clkfac_nn_layer_dpreact(&ds, k->net, k->layer)))
            return st;
        size_t rows = m * k->locations;
        /* A = (1/M) X_H^T X_H (sum over locations), G = (1/(M T)) DS^T DS (kfac.h scaling); the
         * ones column of X_H is handled as a border so the GEMM keeps tile-friendly sizes */
        if ((st = clkfac_kfac_gram_homogeneous(ag->ctx, NULL, rows, k->da - 1, x.ld,
                                               1.0f / (float)m, x.buf, x.off, s->a_new, 0)) ||
            (st = clkfac_kfac_gram(ag->ctx, NULL, rows, k->dg, ds.ld, 1.0f / (float)rows,
                                   ds.buf, ds.off, s->g_new, 0)))
            return st;
        if (ag->dp_size > 1) { /* data-parallel: packed now, averaged over the ranks below */
            if ((st = clkfac_kfac_pack_upper(ag->ctx, k->da, s->a_new, 0, s->packed, at)) ||
                (st = clkfac_kfac_pack_upper(ag->ctx, k->dg, s->g_new, 0, s->packed,
                                             at + clkfac_kfac_packed_size(k->da))))
                return st;
            at += clkfac_kfac_packed_size(k->da) + clkfac_kfac_packed_size(k->dg);
            continue;
        }
        if ((st = clkfac_kfac_ema_update_pair(
                 ag->ctx, &(clkfac_ema_target){&k->ea, k->da * k->da, k->a, 0, s->a_new, 0},
                 &(clkfac_ema_target){&k->eg, k->dg * k->dg, k->g, 0, s->g_new, 0})))
            return st;
    }
    return ag->dp_size > 1 ? average_packed_factors(ag, s) : CLKFAC_OK;
}

/* The eigen rule's inversion of a block: Q and eigenvalues of A, then of G. */
static clkfac_status invert_eigen(clkfac_context *ctx, kfac_block *k)
{
    clkfac_status st = clkfac_kfac_eigen(ctx, k->da, k->a, 0, 1e-6f, k->a_inv, 0, k->a_eig, 0);
    return st ? st : clkfac_kfac_eigen(ctx, k->dg, k->g, 0, 1e-6f, k->g_inv, 0, k->g_eig, 0);
}

/* Whether a Cholesky since the last call met a factor that is not positive definite (one
 * blocking read of the health flags, on the recovery path only); that flag is cleared, the
 * others are left for the update's record. */
static clkfac_status take_not_spd(clkfac_context *ctx, int *bad)
{
    float w[HEALTH_WORDS];
    uint32_t flags;
    clkfac_status st = clkfac_buffer_read(ctx, ctx->health, 0, w, HEALTH_WORDS);
    if (st) return st;
    memcpy(&flags, &w[HEALTH_FLAGS], sizeof flags);
    *bad = (flags & HEALTH_NOT_SPD) != 0;
    if (!*bad) return CLKFAC_OK;
    flags &= ~(uint32_t)HEALTH_NOT_SPD;
    memcpy(&w[HEALTH_FLAGS], &flags, sizeof flags);
    return clkfac_buffer_write(ctx, ctx->health, HEALTH_FLAGS, &w[HEALTH_FLAGS], 1);
}

/* A block's Tikhonov inversion, checked (blocking reads: only on the rare path after a failure
 * or while a block is on the fallback): with the damping raised x10 per retry up to x1000 while
 * the factors are not positive definite, then by the eigen rule (eigenvalues below 1e-6
 * clipped; the block preconditions with them until a checked inversion succeeds). Each is an
 * event of this update's record. Factors the eigensolver refuses (not finite) are a divergence
 * that cannot be recovered (CLKFAC_ERR_NONFINITE). */
static clkfac_status invert_checked(clkfac_agent *ag, kfac_block *k, size_t i, float lambda)
{
    clkfac_context *ctx = ag->ctx;
    int bad = 0;
    clkfac_status st = take_not_spd(ctx, &bad); /* a stale flag is not this block's */
    float lam = lambda;
    for (int retry = 0; !st && retry <= 3; retry++, lam *= 10.0f) {
        if ((st = clkfac_kfac_inverse_tikhonov(ctx, k->da, k->a, 0, k->dg, k->g, 0, lam, k->a_inv,
                                               0, k->g_inv, 0)) ||
            (st = take_not_spd(ctx, &bad)) || !bad)
            break;
    }
    if (st) return st;
    k->eigen_now = bad;
    if (!bad) {
        if (lam != lambda) ag->ev_damping++;
        return CLKFAC_OK;
    }
    ag->ev_eigen++;
    if ((st = invert_eigen(ctx, k)))
        return CORE_FAIL(CLKFAC_ERR_NONFINITE, "training diverged: the K-FAC factors of layer "
                         "block %zu cannot be inverted at update %llu, even by the eigen rule "
                         "(%s)", i, (unsigned long long)ag->updates, clkfac_last_error());
    return CLKFAC_OK;
}

/* The running factor the test hooks name: block `block`'s A (which = 0) or G (1), checked
 * against n values; NULL after a message naming `hook`. */
static cl_mem debug_factor(clkfac_agent *ag, const char *hook, size_t block, int which, size_t n)
{
    acktr_state *s = ag->alg == &agent_algo_acktr ? ag->algo : NULL;
    if (!s || block >= s->n_blocks) {
        CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: no K-FAC block %zu", hook, block);
        return NULL;
    }
    kfac_block *k = &s->blocks[block];
    size_t d = which ? k->dg : k->da;
    if (n != d * d) {
        CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: %zu values; block %zu's %s is %zu x %zu", hook, n,
                  block, which ? "G" : "A", d, d);
        return NULL;
    }
    return which ? k->g : k->a;
}

clkfac_status acktr_debug_set_factor(clkfac_agent *ag, size_t block, int which, const float *m,
                                     size_t n)
{
    cl_mem f = debug_factor(ag, "acktr_debug_set_factor", block, which, n);
    return f ? clkfac_buffer_write(ag->ctx, f, 0, m, n) : CLKFAC_ERR_INVALID_ARG;
}

clkfac_status acktr_debug_get_factor(clkfac_agent *ag, size_t block, int which, float *m,
                                     size_t n)
{
    cl_mem f = debug_factor(ag, "acktr_debug_get_factor", block, which, n);
    return f ? clkfac_buffer_read(ag->ctx, f, 0, m, n) : CLKFAC_ERR_INVALID_ARG;
}

/* ---- inverse placement across ranks (clkfac_agent_set_kfac_placement) ---------------------- */

/* Whether the inverses of this update are placed (inverse or gradient) rather than replicated. */
static int placed(const clkfac_agent *ag)
{
    return ag->dp_size > 1 && ag->kfac_placement != CLKFAC_KFAC_REPLICATED;
}

/* One broadcast of a placement: n floats of buf at off from rank root. */
typedef struct owner_bcast {
    cl_mem buf;
    size_t off, n;
    int root;
} owner_bcast;

/* Each block's rank: blocks by inverse cost da^3 + dg^3, largest first (ties: lower index), each
 * to the rank with the least cost so far (ties: lower rank). The same on every rank. Also the
 * broadcast lists every later sharing reuses, so updates allocate nothing. */
static clkfac_status assign_owners(clkfac_agent *ag, acktr_state *s)
{
    size_t nb = s->n_blocks, R = (size_t)ag->dp_size;
    s->owner = core_calloc(nb ? nb : 1, sizeof *s->owner);
    s->bcast = core_calloc(4 * nb + 1, sizeof *s->bcast);
    s->bcast_req = core_calloc(4 * nb + 1, sizeof *s->bcast_req);
    double *load = core_calloc(R, sizeof *load);
    int *done = core_calloc(nb ? nb : 1, sizeof *done);
    if (!s->owner || !s->bcast || !s->bcast_req || !load || !done) {
        free(load);
        free(done);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    }
    for (size_t step = 0; step < nb; step++) {
        size_t best = nb;
        double best_cost = -1;
        for (size_t i = 0; i < nb; i++) {
            double da = (double)s->blocks[i].da, dg = (double)s->blocks[i].dg;
            double c = da * da * da + dg * dg * dg;
            if (!done[i] && c > best_cost) best = i, best_cost = c;
        }
        size_t r = 0;
        for (size_t q = 1; q < R; q++)
            if (load[q] < load[r]) r = q;
        s->owner[best] = (int)r;
        load[r] += best_cost;
        done[best] = 1;
    }
    free(load);
    free(done);
    return CLKFAC_OK;
}

/* Runs the count broadcasts of items (all started, then waited for; req holds count requests)
 * in the profiler phase "allreduce", then back to `phase`. */
static clkfac_status bcast_from_owners(clkfac_agent *ag, const owner_bcast *items,
                                       clkfac_comm_request **req, size_t count, const char *phase)
{
    clkfac_profile_phase(ag->ctx, "allreduce");
    clkfac_status st = CLKFAC_OK;
    size_t started = 0;
    for (; started < count && !st; started++)
        st = clkfac_comm_bcast_buffer_start(&req[started], ag->comm, ag->ctx, items[started].buf,
                                            items[started].off, items[started].n,
                                            items[started].root);
    for (size_t i = 0; i < started; i++) { /* every started request is completed */
        clkfac_status w = clkfac_comm_wait(req[i]);
        if (!st) st = w;
    }
    clkfac_profile_phase(ag->ctx, phase);
    return st;
}

/* Every placed block's share from its rank to the others: placement inverse, its inverses (and
 * eigenvalues under the eigen rule); placement gradient, its preconditioned gradient. Blocks on
 * the eigen fallback were inverted and applied everywhere. */
static clkfac_status share_from_owners(clkfac_agent *ag, acktr_state *s)
{
    int grad = ag->kfac_placement == CLKFAC_KFAC_GRADIENT;
    owner_bcast *it = s->bcast;
    size_t k = 0;
    for (size_t i = 0; i < s->n_blocks; i++) {
        kfac_block *b = &s->blocks[i];
        if (b->eigen_now) continue;
        if (grad) {
            cl_mem v = b->net == s->nets[0].net ? s->nets[0].v : s->nets[1].v;
            it[k++] = (owner_bcast){v, b->offset, b->dg * b->da, s->owner[i]};
            continue;
        }
        cl_mem m[4] = {b->a_inv, b->g_inv, b->a_eig, b->g_eig};
        size_t len[4] = {b->da * b->da, b->dg * b->dg, b->da, b->dg};
        for (int j = 0; j < (ag->o.kfac_eigen ? 4 : 2); j++)
            it[k++] = (owner_bcast){m[j], 0, len[j], s->owner[i]};
    }
    return bcast_from_owners(ag, it, s->bcast_req, k, grad ? "precondition" : "inverse");
}

static clkfac_status acktr_update(clkfac_agent *ag, float lr)
{
    acktr_state *s = ag->algo;
    clkfac_context *ctx = ag->ctx;
    size_t m = ag->n_envs * ag->t_steps;
    clkfac_status st;
    /* 1. Fisher pass: forward, sampled-target gradients, backward -> per-example DS */
    clkfac_profile_phase(ctx, "forward");
    if ((st = agent_forward(ag, m, ag->obs, 0))) return st;
    if (s->updates % ag->o.stats_every == 0) { /* T_s: statistics on every T_s-th update */
        /* on the first ms examples (time-major: the first steps of every copy) */
        size_t ms = stats_rows(m, ag->o.stats_fraction);
        clkfac_profile_phase(ctx, "fisher_backward");
        if ((st = fisher_output_grads(ag, ms)) ||
            (st = clkfac_nn_backward(ag->actor, ms, NULL, 0)) ||
            (ag->critic != ag->actor && !ag->o.critic_euclidean &&
             (st = clkfac_nn_backward(ag->critic, ms, NULL, 0))))
            return st;
        clkfac_profile_phase(ctx, "factors");
        if ((st = update_factors(ag, s, ms))) return st;
    }
    clkfac_profile_phase(ctx, "inverse");
    /* weight decay enters the damping (K-FAC sec. 6.3: lambda includes the L2 coefficient) */
    float lambda = ag->o.kfac_damping + ag->o.weight_decay;
    if (placed(ag) && !s->owner && (st = assign_owners(ag, s))) return st;
    if (s->updates % ag->o.inv_every == 0) {
        for (size_t i = 0; i < s->n_blocks; i++) {
            kfac_block *k = &s->blocks[i];
            if (placed(ag) && !k->eigen_now && s->owner[i] != ag->dp_rank)
                continue; /* another rank's block */
            if (ag->o.kfac_eigen)
                st = invert_eigen(ctx, k);
            else if (k->eigen_now) /* on the fallback: back to Tikhonov once it succeeds */
                st = invert_checked(ag, k, i, lambda);
            else /* unchecked: a failure keeps the old inverse and is seen next update */
                st = clkfac_kfac_inverse_tikhonov(ctx, k->da, k->a, 0, k->dg, k->g, 0, lambda,
                                                  k->a_inv, 0, k->g_inv, 0);
            if (st) return st;
        }
        if (placed(ag) && ag->kfac_placement == CLKFAC_KFAC_INVERSE &&
            (st = share_from_owners(ag, s)))
            return st;
    }
    /* the previous update's record says a factor was not positive definite (its inverse was
     * kept): every block is inverted again, checked, now */
    int not_spd = !ag->o.kfac_eigen && (agent_prev_health(ag) & HEALTH_NOT_SPD);
    if (ag->dp_size > 1 && !ag->o.kfac_eigen) { /* every rank recovers, or none */
        int64_t any = not_spd;
        if ((st = clkfac_comm_allreduce(ag->comm, &any, 1, CLKFAC_COMM_INT64, CLKFAC_COMM_MAX)))
            return st;
        not_spd = any != 0;
    }
    if (not_spd)
        for (size_t i = 0; i < s->n_blocks; i++)
            if ((st = invert_checked(ag, &s->blocks[i], i, lambda))) return st;
    if (s->logits_before) {
        clkfac_nn_view p0;
        if ((st = agent_head_view(&p0, ag->actor, ag->pi_head, 0)) ||
            (st = clkfac_buffer_copy(ctx, p0.buf, p0.off, s->logits_before, 0, m * ag->n_out)))
            return st;
    }
    /* 2. loss pass: the A2C loss gradient (the saved activations of step 1 are still valid) */
    clkfac_profile_phase(ctx, "loss");
    if ((st = agent_a2c_loss(ag))) return st;
    clkfac_profile_phase(ctx, "backward");
    if ((st = agent_backward(ag, m))) return st;
    if (ag->dp_size > 1) { /* data-parallel: the mean gradient over every rank's batch */
        cl_mem bufs[4] = {ag->loss_stats};
        size_t lens[4] = {CLKFAC_A2C_STATS}, k = 1;
        for (size_t i = 0; i < s->n_nets; i++, k++) {
            bufs[k] = clkfac_nn_grads(s->nets[i].net);
            lens[k] = clkfac_nn_param_count(s->nets[i].net);
        }
        if (s->critic_adam) { /* the Euclidean critic, fitted by Adam */
            bufs[k] = clkfac_nn_grads(ag->critic);
            lens[k++] = clkfac_nn_param_count(ag->critic);
        }
        if (s->mom_logstd) {
            bufs[k] = ag->dlogstd;
            lens[k++] = ag->n_out;
        }
        if ((st = agent_allreduce_mean(ag, bufs, lens, k))) return st;
    }
    /* 3. precondition block by block: V = G^-1 dW_H A^-1 (after the L2 term joins the gradient) */
    clkfac_profile_phase(ctx, "precondition");
    for (size_t i = 0; ag->o.weight_decay > 0 && i < s->n_nets; i++)
        if ((st = clkfac_linalg_axpy(ctx, clkfac_nn_param_count(s->nets[i].net), ag->o.weight_decay,
                                     clkfac_nn_params(s->nets[i].net), 0,
                                     clkfac_nn_grads(s->nets[i].net), 0)))
            return st;
    for (size_t i = 0; i < s->n_blocks; i++) {
        kfac_block *k = &s->blocks[i];
        cl_mem vbuf = k->net == s->nets[0].net ? s->nets[0].v : s->nets[1].v;
        if (placed(ag) && ag->kfac_placement == CLKFAC_KFAC_GRADIENT && !k->eigen_now &&
            s->owner[i] != ag->dp_rank)
            continue; /* preconditioned on its rank, broadcast below */
        if (ag->o.kfac_eigen || k->eigen_now)
            st = clkfac_kfac_precondition_eigen(ctx, k->dg, k->da, k->g_inv, 0, k->g_eig, 0,
                                                k->a_inv, 0, k->a_eig, 0, lambda,
                                                clkfac_nn_grads(k->net), k->offset, vbuf, k->offset);
        else
            st = clkfac_kfac_precondition(ctx, k->dg, k->da, k->g_inv, 0, k->a_inv, 0,
                                          clkfac_nn_grads(k->net), k->offset, vbuf, k->offset);
        if (st) return st;
    }
    if (placed(ag) && ag->kfac_placement == CLKFAC_KFAC_GRADIENT &&
        (st = share_from_owners(ag, s)))
        return st;
    /* 4. trust region per network and the momentum step of nu * v (reference: momentum SGD
     * with learning rate eta * (1 - momentum)) */
    clkfac_profile_phase(ctx, "step");
    for (size_t i = 0; i < s->n_nets; i++) {
        acktr_net *an = &s->nets[i];
        size_t np = clkfac_nn_param_count(an->net);
        if ((st = clkfac_kfac_trust_region(ctx, np, an->v, 0, clkfac_nn_grads(an->net), 0, lr,
                                           ag->o.kl_clip, s->trust, 2 * i)) ||
            (st = clkfac_kfac_scale_by(ctx, np, an->v, 0, 1.0f, s->trust, 2 * i + 1)) ||
            (st = clkfac_optim_step(an->mom, clkfac_nn_params(an->net), 0, an->v, 0,
                                    lr * (1.0f - ag->o.momentum), s->step_scale, 0)))
            return st;
    }
    /* the Gaussian log-std is no layer: like the reference, its raw gradient takes the actor's
     * momentum step and trust-region scale (it is left out of q) */
    if (s->critic_adam &&
        (st = clkfac_optim_step(s->critic_adam, clkfac_nn_params(ag->critic), 0,
                                clkfac_nn_grads(ag->critic), 0, ag->o.vf_lr, NULL, 0)))
        return st;
    if (s->mom_logstd &&
        (st = clkfac_optim_step(s->mom_logstd, ag->logstd, 0, ag->dlogstd, 0,
                                lr * (1.0f - ag->o.momentum), s->trust, 1)))
        return st;
    /* the actor's (q, nu) into the update record */
    if ((st = clkfac_buffer_copy(ctx, s->trust, 0, ag->algo_stats, REC_TRUST_Q - REC_ALGO_FIRST, 2)))
        return st;
    if (s->logits_before) {
        policy_params p1;
        if ((st = clkfac_nn_forward(ag->actor, m, ag->obs, 0)) || (st = agent_policy(&p1, ag)))
            return st;
        /* the Gaussian's log-std moved too, but the KL is measured on the means with it held */
        policy_params p0 = {{s->logits_before, 0, m, ag->n_out, ag->n_out}, ag->logstd, 0};
        policy_out kl = {NULL, 0, ag->algo_stats, REC_KL - REC_ALGO_FIRST};
        if ((st = ag->pol->kl(ctx, &p0, &p1, &kl))) return st;
        /* data-parallel: the mean KL over every rank's rows */
        if ((st = agent_dp_mean(ag, ag->algo_stats, REC_KL - REC_ALGO_FIRST, 1, "step")))
            return st;
    }
    /* the adaptive step size (kl_target, the reference's continuous-control rule): once per
     * update, from this update's KL, for the next update's step */
    if (s->step_scale && (st = clkfac_kfac_adapt_scale(ctx, s->step_scale, 0, ag->algo_stats,
                                                       REC_KL - REC_ALGO_FIRST, ag->o.kl_target)))
        return st;
    s->updates++;
    return CLKFAC_OK;
}

/* Per block the running factors, their inverses (or eigenbases) and average counters; per net
 * the momentum and the last preconditioned step; the trust scalars, the adaptive step scale,
 * the log-std momentum and the Euclidean critic's Adam; the update counter (T_s, T_inv phase). */
static clkfac_status acktr_state_items(clkfac_agent *ag, agent_state_io *io)
{
    acktr_state *s = ag->algo;
    clkfac_status st = CLKFAC_OK;
    char k[32];
#define ITEM_(fmt, i, buf, n) (snprintf(k, sizeof k, fmt, i), agent_state_item(io, k, buf, n, NULL, 0))
    for (size_t i = 0; i < s->n_blocks && !st; i++) {
        kfac_block *b = &s->blocks[i];
        size_t aa = b->da * b->da, gg = b->dg * b->dg;
        uint64_t counts[3] = {b->ea.count, b->eg.count, (uint64_t)b->eigen_now};
        if ((st = ITEM_("kfac%zu.a", i, b->a, aa)) || (st = ITEM_("kfac%zu.g", i, b->g, gg)) ||
            (st = ITEM_("kfac%zu.a_inv", i, b->a_inv, aa)) ||
            (st = ITEM_("kfac%zu.g_inv", i, b->g_inv, gg)) ||
            (st = ITEM_("kfac%zu.a_eig", i, b->a_eig, b->da)) ||
            (st = ITEM_("kfac%zu.g_eig", i, b->g_eig, b->dg)))
            break;
        snprintf(k, sizeof k, "kfac%zu.counts", i);
        if ((st = agent_state_item(io, k, NULL, 0, counts, sizeof counts))) break;
        b->ea.count = counts[0];
        b->eg.count = counts[1];
        b->eigen_now = counts[2] != 0;
    }
    for (size_t i = 0; i < s->n_nets && !st; i++) {
        size_t np = clkfac_nn_param_count(s->nets[i].net);
        if (!(st = ITEM_("acktr.net%zu.v", i, s->nets[i].v, np))) {
            snprintf(k, sizeof k, "acktr.net%zu.momentum", i);
            st = agent_state_optim(io, k, s->nets[i].mom, np);
        }
    }
#undef ITEM_
    if (st || (st = agent_state_item(io, "acktr.trust", s->trust, 2 * s->n_nets, NULL, 0)) ||
        (st = agent_state_item(io, "acktr.updates", NULL, 0, &s->updates, sizeof s->updates)) ||
        (s->step_scale && (st = agent_state_item(io, "acktr.step_scale", s->step_scale, 1, NULL, 0))) ||
        (s->mom_logstd &&
         (st = agent_state_optim(io, "acktr.logstd", s->mom_logstd, ag->n_out))) ||
        (s->critic_adam &&
         (st = agent_state_optim(io, "acktr.critic_adam", s->critic_adam,
                                 2 * clkfac_optim_size(s->critic_adam)))))
        return st;
    return CLKFAC_OK;
}

const agent_algo agent_algo_acktr = {"acktr", acktr_configure, acktr_create, acktr_update,
                                     acktr_free, acktr_state_items};
