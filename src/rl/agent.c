/* Actor-critic agents on the device: the rollout loop (observations in, sampled actions out,
 * the only host round trips per environment step), n-step returns with truncation bootstraps,
 * and the update through the algorithm table (a2c.c, acktr.c, trpo.c). Update statistics stay
 * on the device in a ring read in blocks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/heads.h"
#include "clkfac/rl.h"
#include "cl/ocl.h"
#include "rl/agent_internal.h"

/* The algorithms, indexed by clkfac_algo. */
static const agent_algo *const ALGOS[] = {&agent_algo_a2c, &agent_algo_acktr, &agent_algo_trpo};
#define N_ALGOS (sizeof ALGOS / sizeof ALGOS[0])

clkfac_status clkfac_algo_parse(clkfac_algo *out, const char *name)
{
    for (size_t i = 0; i < N_ALGOS; i++)
        if (name && !strcmp(name, ALGOS[i]->name)) {
            *out = (clkfac_algo)i;
            return CLKFAC_OK;
        }
    return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "unknown algorithm '%s'; expected a2c, acktr or trpo",
                     name ? name : "(null)");
}

const char *clkfac_algo_name(clkfac_algo algo)
{
    return (unsigned)algo < N_ALGOS ? ALGOS[algo]->name : "unknown";
}

void clkfac_agent_free(clkfac_agent *ag)
{
    if (!ag) return;
    if (ag->ctx) clkfac_context_finish(ag->ctx);
    if (ag->alg) ag->alg->free(ag);
    if (ag->critic != ag->actor) clkfac_nn_free(ag->critic);
    clkfac_nn_free(ag->actor);
    cl_mem bufs[] = {ag->logstd, ag->dlogstd, ag->obs,     ag->actions, ag->rewards,
                     ag->ended,  ag->boot,    ag->values,  ag->last,    ag->returns,
                     ag->adv,    ag->boot_obs, ag->loss_stats, ag->ring, ag->algo_stats};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) clkfac_buffer_free(bufs[i]);
    free(ag->h_obs); free(ag->h_act); free(ag->h_rew); free(ag->h_ended); free(ag->h_final);
    free(ag->h_boot_obs); free(ag->h_term); free(ag->h_trunc); free(ag->boot_idx);
    free(ag);
}

static clkfac_status check_options(const clkfac_agent_options *o)
{
    if (o->version != CLKFAC_AGENT_OPTIONS_VERSION)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "agent options version %u, expected %u",
                         o->version, CLKFAC_AGENT_OPTIONS_VERSION);
    if ((unsigned)o->algo >= N_ALGOS)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "algorithm %d; expected a2c, acktr or trpo",
                         (int)o->algo);
    if (o->n_steps < 1 || o->n_steps > 100000)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "n_steps %u; expected 1..100000", o->n_steps);
    if (!(o->lr > 0 && isfinite(o->lr)))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "learning rate %g; expected > 0", (double)o->lr);
    if (!(o->gamma >= 0 && o->gamma <= 1))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "gamma %g; expected [0, 1]", (double)o->gamma);
    if (!(o->ent_coef >= 0) || !(o->vf_coef >= 0) || !isfinite(o->ent_coef) || !isfinite(o->vf_coef))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "ent_coef %g, vf_coef %g; expected >= 0",
                         (double)o->ent_coef, (double)o->vf_coef);
    if ((o->net && strlen(o->net) >= 256) || (o->activation && strlen(o->activation) >= 32))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "network spec or activation too long");
    return CLKFAC_OK;
}

static clkfac_status make_buf(clkfac_context *ctx, cl_mem *m, size_t n, float fill)
{
    clkfac_status st = clkfac_buffer_create(m, ctx, n);
    return st ? st : clkfac_buffer_fill(ctx, *m, 0, fill, n);
}

static clkfac_status make_net(clkfac_agent *ag, clkfac_nn **out, const clkfac_nn_head_spec *heads,
                              size_t n_heads, uint64_t seed)
{
    const clkfac_space *os = clkfac_vecenv_observation_space(ag->envs);
    int shape[4];
    for (int i = 0; i < os->ndim; i++) shape[i] = os->dims[i];
    clkfac_nn_options no = CLKFAC_NN_OPTIONS_INIT;
    clkfac_status st = clkfac_nn_act_parse(&no.act, ag->act_name);
    if (st) return st;
    no.seed = seed;
    no.heads = heads;
    no.n_heads = n_heads;
    return clkfac_nn_create_str(out, ag->ctx, ag->net_spec, shape, (size_t)os->ndim,
                                ag->n_envs * ag->t_steps, &no);
}

clkfac_status clkfac_agent_create(clkfac_agent **out, clkfac_context *ctx, clkfac_vecenv *envs,
                                  const clkfac_agent_options *opts)
{
    clkfac_agent_options resolved; /* 0 or NULL fields take the table's defaults (options.c) */
    clkfac_status st = clkfac_agent_options_resolve(&resolved, opts);
    if (!st) st = check_options(opts = &resolved);
    if (st) return st;
    clkfac_agent *ag = core_calloc(1, sizeof *ag);
    if (!ag) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    ag->ctx = ctx;
    ag->dp_size = 1; /* one process until clkfac_agent_set_comm */
    ag->envs = envs;
    ag->o = *opts;
    ag->alg = ALGOS[opts->algo];
    {
        /* defaults by observation shape: the reference networks of each setting */
        const clkfac_space *obs = clkfac_vecenv_observation_space(envs);
        const char *net = "dense:64 dense:64", *act = "tanh";
        if (obs->ndim == 3 && obs->dims[1] >= 64) {
            net = "conv:32,8,4 conv:64,4,2 conv:64,3,1 dense:512";
            act = "relu";
        } else if (obs->ndim == 3) {
            net = "conv:16,3,1 dense:128";
            act = "relu";
        }
        snprintf(ag->net_spec, sizeof ag->net_spec, "%s", opts->net ? opts->net : net);
        snprintf(ag->act_name, sizeof ag->act_name, "%s", opts->activation ? opts->activation : act);
    }
    ag->o.net = ag->net_spec;
    ag->o.activation = ag->act_name;
    if (ag->alg->configure) ag->alg->configure(&ag->o);
    ag->n_envs = clkfac_vecenv_num_envs(envs);
    ag->t_steps = opts->n_steps;
    const clkfac_space *os = clkfac_vecenv_observation_space(envs);
    const clkfac_space *as = clkfac_vecenv_action_space(envs);
    ag->obs_size = os->size;
    ag->discrete = as->kind == CLKFAC_SPACE_DISCRETE;
    ag->pol = ag->discrete ? &policy_categorical : &policy_gaussian;
    ag->act_size = as->size;
    ag->n_out = ag->discrete ? (size_t)as->n : as->size;
    ag->blocking0 = clkfac_context_blocking_calls(ctx);
    size_t N = ag->n_envs, T = ag->t_steps, M = N * T;

    clkfac_nn_head_spec both[2] = {{"pi", (int)ag->n_out, 0.01f}, {"v", 1, 1.0f}};
    if (ag->o.shared) {
        CORE_TRY(make_net(ag, &ag->actor, both, 2, opts->seed));
        ag->critic = ag->actor;
    } else {
        CORE_TRY(make_net(ag, &ag->actor, &both[0], 1, opts->seed));
        CORE_TRY(make_net(ag, &ag->critic, &both[1], 1, opts->seed + 0x9e3779b97f4a7c15ULL));
    }
    CORE_TRY(clkfac_nn_head_find(&ag->pi_head, ag->actor, "pi"));
    CORE_TRY(clkfac_nn_head_find(&ag->v_head, ag->critic, "v"));
    if (ag->pol->has_logstd) {
        CORE_TRY(make_buf(ctx, &ag->logstd, ag->n_out, 0.0f));
        CORE_TRY(make_buf(ctx, &ag->dlogstd, ag->n_out, 0.0f));
    }
    CORE_TRY(make_buf(ctx, &ag->obs, (T + 1) * N * ag->obs_size, 0));
    CORE_TRY(make_buf(ctx, &ag->actions, M * ag->act_size, 0));
    CORE_TRY(make_buf(ctx, &ag->rewards, M, 0));
    CORE_TRY(make_buf(ctx, &ag->ended, M, 0));
    CORE_TRY(make_buf(ctx, &ag->boot, M, 0));
    CORE_TRY(make_buf(ctx, &ag->values, M, 0));
    CORE_TRY(make_buf(ctx, &ag->last, N, 0));
    CORE_TRY(make_buf(ctx, &ag->returns, M, 0));
    CORE_TRY(make_buf(ctx, &ag->adv, M, 0));
    CORE_TRY(make_buf(ctx, &ag->boot_obs, M * ag->obs_size, 0));
    CORE_TRY(make_buf(ctx, &ag->loss_stats, CLKFAC_A2C_STATS, 0));
    CORE_TRY(make_buf(ctx, &ag->ring, RING * RING_W, 0));
    CORE_TRY(make_buf(ctx, &ag->algo_stats, REC_ALGO_N, 0));
    ag->h_obs = malloc((T + 1) * N * ag->obs_size * sizeof(float));
    ag->h_act = malloc(N * ag->act_size * sizeof(float));
    ag->h_rew = malloc(M * sizeof(float));
    ag->h_ended = malloc(M * sizeof(float));
    ag->h_final = malloc(N * ag->obs_size * sizeof(float));
    ag->h_boot_obs = malloc(M * ag->obs_size * sizeof(float));
    ag->h_term = malloc(N);
    ag->h_trunc = malloc(N);
    ag->boot_idx = malloc(M * sizeof(size_t));
    if (!ag->h_obs || !ag->h_act || !ag->h_rew || !ag->h_ended || !ag->h_final ||
        !ag->h_boot_obs || !ag->h_term || !ag->h_trunc || !ag->boot_idx) {
        st = CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory for rollout storage");
        goto cleanup;
    }
    CORE_TRY(ag->alg->create(ag));
    CORE_TRY(clkfac_vecenv_reset(envs, ag->h_obs));
    *out = ag;
    return CLKFAC_OK;
cleanup:
    clkfac_agent_free(ag);
    return st;
}

/* Value head output of the last critic forward, n rows, copied to dst[dst_off..). */
static clkfac_status copy_values(clkfac_agent *ag, size_t n, cl_mem dst, size_t dst_off)
{
    clkfac_nn_view v;
    clkfac_status st = agent_head_view(&v, ag->critic, ag->v_head, 0);
    return st ? st : clkfac_buffer_copy(ag->ctx, v.buf, v.off, dst, dst_off, n);
}

/* A non-finite action means the policy's parameters have diverged: say so (NONFINITE), rather
 * than let the environment refuse the action as bad input. */
static clkfac_status check_actions(const clkfac_agent *ag)
{
    for (size_t i = 0; i < ag->n_envs * ag->act_size; i++)
        if (!isfinite(ag->h_act[i]))
            return CORE_FAIL(CLKFAC_ERR_NONFINITE,
                             "training diverged: the policy drew action %g for environment %zu "
                             "at timestep %llu (update %llu); the parameters are no longer "
                             "finite or overflow", (double)ag->h_act[i], i / ag->act_size,
                             (unsigned long long)ag->timestep, (unsigned long long)ag->updates);
    return CLKFAC_OK;
}

/* The seed of the action draws: the agent's, and with data-parallel ranks one stream per rank
 * (rank 0's the single-process one). */
static uint64_t sample_seed(const clkfac_agent *ag)
{
    return ag->o.seed + (uint64_t)ag->dp_rank * 0x9E3779B97F4A7C15ULL;
}

static clkfac_status rollout(clkfac_agent *ag)
{
    clkfac_context *ctx = ag->ctx;
    size_t N = ag->n_envs, T = ag->t_steps, os = ag->obs_size, as = ag->act_size;
    clkfac_status st;
    ag->n_boot = 0;
    clkfac_profile_phase(ctx, "rollout"); /* inference, bootstrap values and returns */
    /* the last update's health flags, read without blocking: the rollout's first action read
     * (blocking, same in-order queue) has them on the host before the update needs them */
    ag->prev_health = 0;
    if (ag->updates &&
        (st = clkfac_buffer_read_async(ctx, ag->ring, ag->last_slot * RING_W + REC_HEALTH,
                                       &ag->prev_health, 1)))
        return st;
    for (size_t t = 0; t < T; t++) {
        double t0 = core_now();
        float *obs_t = ag->h_obs + t * N * os;
        if ((st = clkfac_buffer_write_async(ctx, ag->obs, t * N * os, obs_t, N * os)) ||
            (st = agent_forward(ag, N, ag->obs, t * N * os)))
            return st;
        policy_params pi;
        if ((st = agent_policy(&pi, ag)) ||
            (st = ag->pol->sample(ctx, &pi, sample_seed(ag), ag->timestep, ag->actions, t * N * as)) ||
            (st = copy_values(ag, N, ag->values, t * N)) ||
            (st = clkfac_buffer_read(ctx, ag->actions, t * N * as, ag->h_act, N * as)))
            return st;
        if ((st = check_actions(ag))) return st;
        double t1 = core_now();
        float *next = ag->h_obs + (t + 1) * N * os;
        if ((st = clkfac_vecenv_step(ag->envs, ag->h_act, next, ag->h_rew + t * N, ag->h_term,
                                     ag->h_trunc, ag->h_final)))
            return st;
        for (size_t e = 0; e < N; e++) {
            ag->h_ended[t * N + e] = (ag->h_term[e] || ag->h_trunc[e]) ? 1.0f : 0.0f;
            if (ag->h_trunc[e] && !ag->h_term[e]) {
                memcpy(ag->h_boot_obs + ag->n_boot * os, ag->h_final + e * os, os * sizeof(float));
                ag->boot_idx[ag->n_boot++] = t * N + e;
            }
        }
        ag->timestep += N * (uint64_t)ag->dp_size; /* every rank's steps */
        double t2 = core_now();
        ag->t_infer += t1 - t0;
        ag->t_env += t2 - t1;
    }
    /* bootstrap values: V(s_T) for every env, V(final obs) where an episode was truncated */
    float *obs_T = ag->h_obs + T * N * os;
    if ((st = clkfac_buffer_write_async(ctx, ag->obs, T * N * os, obs_T, N * os)) ||
        (st = clkfac_nn_forward(ag->critic, N, ag->obs, T * N * os)) ||
        (st = copy_values(ag, N, ag->last, 0)) ||
        (st = clkfac_buffer_fill(ctx, ag->boot, 0, 0.0f, T * N)))
        return st;
    if (ag->n_boot) {
        if ((st = clkfac_buffer_write_async(ctx, ag->boot_obs, 0, ag->h_boot_obs, ag->n_boot * os)) ||
            (st = clkfac_nn_forward(ag->critic, ag->n_boot, ag->boot_obs, 0)))
            return st;
        clkfac_nn_view v;
        if ((st = agent_head_view(&v, ag->critic, ag->v_head, 0))) return st;
        for (size_t i = 0; i < ag->n_boot; i++)
            if ((st = clkfac_buffer_copy(ctx, v.buf, v.off + i, ag->boot, ag->boot_idx[i], 1)))
                return st;
    }
    if ((st = clkfac_buffer_write_async(ctx, ag->rewards, 0, ag->h_rew, T * N)) ||
        (st = clkfac_buffer_write_async(ctx, ag->ended, 0, ag->h_ended, T * N)))
        return st;
    return clkfac_rl_nstep_returns(ctx, T, N, ag->o.gamma, ag->rewards, ag->ended, ag->boot,
                                   ag->values, ag->last, ag->returns, ag->adv);
}

/* Appends this update's loss and optimizer statistics to the device ring (two copies). */
static clkfac_status record_stats(clkfac_agent *ag)
{
    if (ag->ring_count == RING) { /* full: drop the oldest */
        ag->ring_first = (ag->ring_first + 1) % RING;
        ag->ring_count--;
        ag->dropped++;
    }
    size_t slot = (ag->ring_first + ag->ring_count) % RING;
    ag->ring_update[slot] = ag->updates;
    ag->ring_timestep[slot] = ag->timestep;
    ag->ring_events[slot][0] = ag->ev_damping;
    ag->ring_events[slot][1] = ag->ev_eigen;
    ag->ev_damping = ag->ev_eigen = 0;
    ag->last_slot = slot;
    ag->ring_count++;
    clkfac_status st = clkfac_buffer_copy(ag->ctx, ag->loss_stats, 0, ag->ring, slot * RING_W,
                                          CLKFAC_A2C_STATS);
    if (st) return st;
    /* optimizer slots NORM..LR (0..3) land at 4..7, the algorithm's at 8.. */
    st = clkfac_buffer_copy(ag->ctx, clkfac_optim_stats(ag->stats_optim), 0, ag->ring,
                            slot * RING_W + CLKFAC_A2C_STATS, 4);
    if (st) return st;
    st = clkfac_buffer_copy(ag->ctx, ag->algo_stats, 0, ag->ring, slot * RING_W + REC_ALGO_FIRST,
                            REC_ALGO_N);
    /* the health flags this update raised go with its record (their bits, copied as they are)
     * and are cleared for the next: a refused non-finite step is an event of its update */
    if (!st)
        st = clkfac_buffer_copy(ag->ctx, ag->ctx->health, HEALTH_FLAGS, ag->ring,
                                slot * RING_W + REC_HEALTH, 1);
    return st ? st : clkfac_buffer_fill(ag->ctx, ag->ctx->health, HEALTH_FLAGS, 0.0f, 1);
}

void agent_debug_nan_returns(clkfac_agent *ag, unsigned n) { ag->debug_nan_updates = n; }

static size_t param_segments(const clkfac_agent *ag, cl_mem buf[3], size_t len[3]);

clkfac_status clkfac_agent_set_comm(clkfac_agent *ag, clkfac_comm *comm)
{
    if (!ag || !comm)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_agent_set_comm: agent or comm is NULL");
    if (ag->updates || ag->comm)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_agent_set_comm: the agent has %s; set "
                         "the communicator once, before the first update",
                         ag->comm ? "one already" : "updated already");
    int size = clkfac_comm_size(comm);
    ag->comm = comm;
    ag->dp_rank = clkfac_comm_rank(comm);
    ag->dp_size = size;
    cl_mem buf[3];
    size_t len[3], k = param_segments(ag, buf, len);
    clkfac_status st = CLKFAC_OK;
    for (size_t i = 0; i < k && !st; i++) /* every rank starts from rank 0's parameters */
        st = clkfac_comm_bcast_buffer(comm, ag->ctx, buf[i], 0, len[i], 0);
    return st;
}

const char *clkfac_kfac_placement_name(clkfac_kfac_placement p)
{
    static const char *const names[] = {"replicated", "inverse", "gradient"};
    return (unsigned)p < 3 ? names[p] : NULL;
}

clkfac_status clkfac_agent_set_kfac_placement(clkfac_agent *ag, clkfac_kfac_placement p)
{
    if (!ag) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_agent_set_kfac_placement: agent is NULL");
    if (!clkfac_kfac_placement_name(p))
        return CORE_FAIL_INPUT(CLKFAC_ERR_INVALID_ARG, "K-FAC placement %d; expected 0 (replicated), "
                               "1 (inverse) or 2 (gradient)", (int)p);
    if (p != CLKFAC_KFAC_REPLICATED && ag->o.algo != CLKFAC_ALGO_ACKTR)
        return CORE_FAIL_INPUT(CLKFAC_ERR_INVALID_ARG, "--kfac-placement %s with --algo %s: the "
                               "placement of K-FAC inverses applies to acktr only",
                               clkfac_kfac_placement_name(p), clkfac_algo_name(ag->o.algo));
    if (ag->updates)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "clkfac_agent_set_kfac_placement: the agent has "
                         "updated already; set the placement before the first update");
    ag->kfac_placement = p;
    return CLKFAC_OK;
}

#ifndef NDEBUG
/* Debug builds: after every data-parallel update, the ranks' parameters are the same (a hash
 * of their bytes, its minimum and maximum over the ranks compared). Blocking. */
static clkfac_status check_same_params(clkfac_agent *ag)
{
    cl_mem buf[3];
    size_t len[3], k = param_segments(ag, buf, len);
    uint64_t h = CORE_FNV_INIT;
    clkfac_status st = CLKFAC_OK;
    for (size_t i = 0; i < k && !st; i++) {
        float *p = core_calloc(len[i] ? len[i] : 1, sizeof *p);
        if (!p) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
        st = clkfac_buffer_read(ag->ctx, buf[i], 0, p, len[i]);
        if (!st) h = core_fnv1a(h, p, len[i] * sizeof *p);
        free(p);
    }
    int64_t lo = (int64_t)(h >> 1), hi = lo;
    if (!st) st = clkfac_comm_allreduce(ag->comm, &lo, 1, CLKFAC_COMM_INT64, CLKFAC_COMM_MIN);
    if (!st) st = clkfac_comm_allreduce(ag->comm, &hi, 1, CLKFAC_COMM_INT64, CLKFAC_COMM_MAX);
    if (!st && lo != hi)
        st = CORE_FAIL(CLKFAC_ERR_INTERNAL, "data-parallel update %llu: the ranks' parameters "
                       "differ (rank %d's hash %llx)", (unsigned long long)ag->updates + 1,
                       ag->dp_rank, (unsigned long long)h);
    return st;
}
#endif

clkfac_status clkfac_agent_update(clkfac_agent *ag)
{
    clkfac_status st = rollout(ag);
    if (st) return st;
    if (ag->debug_nan_updates) {
        ag->debug_nan_updates--;
        size_t M = ag->n_envs * ag->t_steps;
        if ((st = clkfac_buffer_fill(ag->ctx, ag->rewards, 0, NAN, M)) ||
            (st = clkfac_buffer_fill(ag->ctx, ag->returns, 0, NAN, M)) ||
            (st = clkfac_buffer_fill(ag->ctx, ag->adv, 0, NAN, M)))
            return st;
    }
    double t0 = core_now();
    uint64_t per_update = ag->n_envs * ag->t_steps * (uint64_t)ag->dp_size;
    uint64_t total_updates = ag->o.total_steps ? (ag->o.total_steps + per_update - 1) / per_update : 0;
    float lr = clkfac_optim_lr_at(ag->o.total_steps ? ag->o.schedule : CLKFAC_LR_CONSTANT, ag->o.lr,
                                  ag->updates, total_updates);
    if ((st = ag->alg->update(ag, lr))) return st;
#ifndef NDEBUG
    if (ag->dp_size > 1 && (st = check_same_params(ag))) return st;
#endif
    clkfac_profile_phase(ag->ctx, "other");
    ag->updates++;
    if ((st = record_stats(ag))) return st;
    /* the next rollout starts from the observation after the last step */
    size_t N = ag->n_envs, os = ag->obs_size;
    if (ag->o.sync_timing && (st = clkfac_context_finish(ag->ctx))) return st;
    memcpy(ag->h_obs, ag->h_obs + ag->t_steps * N * os, N * os * sizeof(float));
    ag->t_update += core_now() - t0;
    return CLKFAC_OK;
}

clkfac_status clkfac_agent_read_stats(clkfac_agent *ag, clkfac_update_stats *out, size_t cap,
                                      size_t *n)
{
    *n = 0;
    if (ag->ring_count == 0 || cap == 0) return CLKFAC_OK;
    float host[RING * RING_W];
    clkfac_status st = clkfac_buffer_read(ag->ctx, ag->ring, 0, host, RING * RING_W);
    if (st) return st;
    size_t k = ag->ring_count < cap ? ag->ring_count : cap;
    for (size_t i = 0; i < k; i++) {
        size_t slot = (ag->ring_first + i) % RING;
        const float *r = host + slot * RING_W;
        clkfac_update_stats *s = &out[i];
        s->update = ag->ring_update[slot];
        s->timestep = ag->ring_timestep[slot];
        s->loss = r[CLKFAC_A2C_STAT_LOSS];
        s->policy_loss = r[CLKFAC_A2C_STAT_POLICY];
        s->value_loss = r[CLKFAC_A2C_STAT_VALUE];
        s->entropy = r[CLKFAC_A2C_STAT_ENTROPY];
        s->grad_norm = r[CLKFAC_A2C_STATS + CLKFAC_OPTIM_STAT_NORM];
        s->lr = r[CLKFAC_A2C_STATS + CLKFAC_OPTIM_STAT_LR];
        s->trust_q = r[REC_TRUST_Q];
        s->trust_nu = r[REC_TRUST_NU];
        s->kl = r[REC_KL];
        s->cg_residual = r[REC_CG_RESIDUAL];
        s->ls_steps = r[REC_LS_STEPS];
        s->accepted = r[REC_ACCEPTED];
        uint32_t flags;
        memcpy(&flags, &r[REC_HEALTH], sizeof flags);
        s->skipped = (flags & CLKFAC_HEALTH_NONFINITE) ? 1.0f : 0.0f;
        s->damping_raised = (float)ag->ring_events[slot][0];
        s->eigen_fallback = (float)ag->ring_events[slot][1];
    }
    ag->ring_first = (ag->ring_first + k) % RING;
    ag->ring_count -= k;
    *n = k;
    return CLKFAC_OK;
}

/* The buffers holding an agent's trained parameters, in clkfac_agent_read_params' order: the
 * actor's flat buffer, the critic's when separate, the Gaussian log-stds. Returns the count. */
static size_t param_segments(const clkfac_agent *ag, cl_mem buf[3], size_t len[3])
{
    size_t k = 0;
    buf[k] = clkfac_nn_params(ag->actor);
    len[k++] = clkfac_nn_param_count(ag->actor);
    if (ag->critic != ag->actor) {
        buf[k] = clkfac_nn_params(ag->critic);
        len[k++] = clkfac_nn_param_count(ag->critic);
    }
    if (ag->pol->has_logstd) {
        buf[k] = ag->logstd;
        len[k++] = ag->n_out;
    }
    return k;
}

clkfac_status clkfac_agent_read_params(clkfac_agent *ag, float *out, size_t cap, size_t *n)
{
    cl_mem buf[3];
    size_t len[3], k = param_segments(ag, buf, len), count = 0;
    for (size_t i = 0; i < k; i++) count += len[i];
    *n = count;
    if (!out) return CLKFAC_OK;
    if (cap < count)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "clkfac_agent_read_params: room for %zu floats, the agent has %zu", cap,
                         count);
    clkfac_status st = CLKFAC_OK;
    for (size_t i = 0, at = 0; i < k && !st; at += len[i++])
        st = clkfac_buffer_read(ag->ctx, buf[i], 0, out + at, len[i]);
    return st;
}

clkfac_status clkfac_agent_write_params(clkfac_agent *ag, const float *in, size_t n)
{
    cl_mem buf[3];
    size_t len[3], k = param_segments(ag, buf, len), count = 0;
    for (size_t i = 0; i < k; i++) count += len[i];
    if (n != count)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "clkfac_agent_write_params: %zu floats given, the agent has %zu "
                         "(network '%s', %s)", n, count, ag->net_spec,
                         ag->critic != ag->actor ? "separate actor and critic" : "shared trunk");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(in[i]))
            return CORE_FAIL(CLKFAC_ERR_NONFINITE,
                             "clkfac_agent_write_params: parameter %zu is %g; nothing written", i,
                             (double)in[i]);
    clkfac_status st = CLKFAC_OK;
    for (size_t i = 0, at = 0; i < k && !st; at += len[i++])
        st = clkfac_buffer_write(ag->ctx, buf[i], 0, in + at, len[i]);
    return st;
}

clkfac_status clkfac_agent_act(clkfac_agent *ag, const float *obs, size_t n, int greedy,
                               float *actions)
{
    if (n == 0 || n > ag->n_envs)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "clkfac_agent_act: %zu observations; expected 1 to %zu (the agent's "
                         "environments)", n, ag->n_envs);
    clkfac_context *ctx = ag->ctx;
    clkfac_status st;
    if ((st = clkfac_buffer_write_async(ctx, ag->obs, 0, obs, n * ag->obs_size)) ||
        (st = clkfac_nn_forward(ag->actor, n, ag->obs, 0)))
        return st;
    policy_params pi;
    if ((st = agent_policy(&pi, ag))) return st;
    if (greedy) { /* the most likely action, decided on the host */
        float *out = malloc(n * ag->n_out * sizeof *out);
        if (!out) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "clkfac_agent_act: host head output");
        st = clkfac_buffer_read(ctx, pi.out.buf, pi.out.off, out, n * ag->n_out);
        if (!st) st = ag->pol->greedy(out, n, ag->n_out, actions);
        free(out);
        return st;
    }
    /* Draw counters from 2^62 on: the training rollouts use the timestep. */
    uint64_t step = (UINT64_C(1) << 62) + ag->act_draws++;
    st = ag->pol->sample(ctx, &pi, ag->o.seed, step, ag->actions, 0);
    return st ? st : clkfac_buffer_read(ctx, ag->actions, 0, actions, n * ag->act_size);
}

uint64_t clkfac_agent_stats_dropped(const clkfac_agent *ag) { return ag->dropped; }
uint64_t clkfac_agent_timestep(const clkfac_agent *ag) { return ag->timestep; }
const char *clkfac_agent_net(const clkfac_agent *ag) { return ag->net_spec; }
const char *clkfac_agent_activation(const clkfac_agent *ag) { return ag->act_name; }
uint64_t clkfac_agent_updates(const clkfac_agent *ag) { return ag->updates; }

void clkfac_agent_timing_get(clkfac_agent_timing *out, const clkfac_agent *ag)
{
    out->env_seconds = ag->t_env;
    out->inference_seconds = ag->t_infer;
    out->update_seconds = ag->t_update;
    out->blocking_calls = clkfac_context_blocking_calls(ag->ctx) - ag->blocking0;
}
