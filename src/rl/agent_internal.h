/* Internal view of an agent for the algorithm files (a2c.c, acktr.c, trpo.c): the rollout
 * storage every algorithm shares, the algorithm table agent.c dispatches through, and the
 * helpers the algorithms share (actor_critic.c). Layers inside src/rl point one way:
 * agent.c -> the algorithms -> actor_critic.c, policy.c. After rollout() the device holds, for
 * M = n_steps * n_envs transitions in step-major order: obs (M, obs), actions (M, act), rewards,
 * ended, boot (truncation bootstrap values), values (M) from the rollout, last (N) and n-step
 * returns/advantages (M). */
#ifndef CLKFAC_AGENT_INTERNAL_H
#define CLKFAC_AGENT_INTERNAL_H

#include <string.h>

#include "clkfac/agent.h"
#include "clkfac/nn.h"
#include "core/core.h"
#include "rl/policy.h"

#define RING 256
#define RING_W 16  /* floats per update record on the device */
/* record layout: 0..3 loss stats (CLKFAC_A2C_STAT_*), 4..7 optimizer stats (NORM, CLIP, STEPS,
 * LR), then the algorithm slots below, written by the algorithm's update into ag->algo_stats */
#define REC_TRUST_Q 8
#define REC_TRUST_NU 9
#define REC_KL 10
#define REC_CG_RESIDUAL 11
#define REC_LS_STEPS 12
#define REC_ACCEPTED 13
#define REC_ALGO_FIRST 8
#define REC_ALGO_N 6
/* the device's sticky health flags raised during the update (copied, then cleared): a
 * non-finite gradient, step or statistic was refused and that step skipped */
#define REC_HEALTH 14

struct clkfac_agent {
    clkfac_context *ctx;
    clkfac_vecenv *envs;
    clkfac_agent_options o;
    char net_spec[256], act_name[32];
    int discrete;
    const policy_dist *pol;                             /* categorical or Gaussian */
    size_t n_envs, t_steps, obs_size, act_size, n_out; /* n_out: logits or action dims */
    clkfac_nn *actor, *critic;                          /* critic == actor when shared */
    size_t pi_head, v_head;
    cl_mem logstd, dlogstd;                             /* Gaussian: (n_out); else NULL */
    /* rollout storage on the device */
    cl_mem obs, actions, rewards, ended, boot, values, last, returns, adv, boot_obs, loss_stats;
    cl_mem ring;
    /* host mirrors */
    float *h_obs, *h_act, *h_rew, *h_ended, *h_final, *h_boot_obs;
    uint8_t *h_term, *h_trunc;
    size_t *boot_idx, n_boot;
    /* bookkeeping */
    uint64_t timestep, updates, dropped;
    uint64_t act_draws; /* clkfac_agent_act's sampling counter */
    size_t ring_first, ring_count;
    uint64_t ring_update[RING], ring_timestep[RING];
    uint32_t ring_events[RING][2]; /* per record: factors inverted with raised damping, by the
                                      eigen rule (host-known events) */
    unsigned ev_damping, ev_eigen; /* this update's, until its record is written */
    size_t last_slot;              /* ring slot of the last update's record */
    float prev_health;             /* that record's health word (flag bits stored in a float),
                                      read without blocking during this update's rollout;
                                      agent_prev_health gives the bits (ACKTR's recovery) */
    unsigned debug_nan_updates;    /* test hook: poison the returns of this many updates */
    double t_env, t_infer, t_update;
    uint64_t blocking0;
    const struct agent_algo *alg;
    void *algo;   /* the algorithm's state */
    cl_mem algo_stats; /* REC_ALGO_N floats the algorithm fills (slot k = record slot 8 + k) */
    clkfac_optim *stats_optim; /* whose NORM..LR go into the record (set by the algorithm) */
    clkfac_comm *comm;         /* data-parallel (clkfac_agent_set_comm); NULL: one process */
    int dp_rank, dp_size;      /* its rank and size (0 and 1 without) */
    clkfac_kfac_placement kfac_placement; /* ACKTR across ranks: where the inverses live */
};


/* A visitor of an agent's state items (agent_state.c): counts, saves, checks or restores them. */
typedef struct agent_state_io agent_state_io;
/* One named item of the state: n floats of device buffer buf (host NULL), or `bytes` bytes at
 * host. Names are at most 31 characters; the order of the calls is the stored order. */
clkfac_status agent_state_item(agent_state_io *io, const char *name, cl_mem buf, size_t n,
                               void *host, size_t bytes);
/* An optimizer's state (state_floats: n for SGD and RMSProp, 2n for Adam) and stats buffer. */
clkfac_status agent_state_optim(agent_state_io *io, const char *name, clkfac_optim *opt,
                                size_t state_floats);

/* An algorithm: its state is created with the agent (after the networks and the rollout
 * storage), one update per rollout at learning rate lr, freed with the agent. configure adjusts
 * the options before the networks are built (NULL: nothing to adjust). state visits every item
 * an update reads before it writes it (optimizers, factors, inverses, counters, scalars), for
 * checkpoints. */
typedef struct agent_algo {
    const char *name;
    void (*configure)(clkfac_agent_options *o);
    clkfac_status (*create)(clkfac_agent *ag);
    clkfac_status (*update)(clkfac_agent *ag, float lr);
    void (*free)(clkfac_agent *ag);
    clkfac_status (*state)(clkfac_agent *ag, agent_state_io *io);
} agent_algo;

extern const agent_algo agent_algo_a2c;   /* a2c.c */
extern const agent_algo agent_algo_acktr; /* acktr.c */
extern const agent_algo agent_algo_trpo;  /* trpo.c */

/* ---- shared by the algorithms and the rollout (actor_critic.c) ---------------------------- */

/* A head's output (grad = 0) or output gradient (grad = 1) as a contiguous (rows, cols) view. */
clkfac_status agent_head_view(clkfac_nn_view *v, const clkfac_nn *net, size_t h, int grad);
/* Forward of the actor (and of the critic when separate) on n rows of x. */
clkfac_status agent_forward(clkfac_agent *ag, size_t n, cl_mem x, size_t off);
/* Backward of the actor (and of the critic when separate) on the last forward's n rows, from
 * the output gradients at their heads. */
clkfac_status agent_backward(clkfac_agent *ag, size_t n);
/* The policy's distribution at the actor's last forward (the pi head and the log-stds), and its
 * gradient (the pi head's output gradient and dlogstd). */
clkfac_status agent_policy(policy_params *p, const clkfac_agent *ag);
clkfac_status agent_policy_grad(policy_params *dp, const clkfac_agent *ag);
/* The A2C loss's gradient at both heads for the M rollout rows of the last agent_forward, after
 * zeroing the networks' gradients; its statistics into ag->loss_stats (A2C and ACKTR). */
clkfac_status agent_a2c_loss(clkfac_agent *ag);
/* Data-parallel: averages k device buffers (lens[k] floats from offset 0) over the agent's
 * ranks in place (nonblocking allreduces started together, then waited for, then scaled by
 * 1/size), in the profiler phase "allreduce". Nothing with one rank. */
clkfac_status agent_allreduce_mean(clkfac_agent *ag, const cl_mem *bufs, const size_t *lens,
                                   size_t k);
/* The same for lens[i] floats from offset offs[i] of bufs[i] (offs NULL: 0), at most 8. */
clkfac_status agent_allreduce_mean_at(clkfac_agent *ag, const cl_mem *bufs, const size_t *offs,
                                      const size_t *lens, size_t k);
/* One buffer's n floats from off averaged over the ranks, then the profiler back in `phase`.
 * Nothing with one rank. */
clkfac_status agent_dp_mean(clkfac_agent *ag, cl_mem buf, size_t off, size_t n, const char *phase);

/* Test hook: the next n updates get NaN returns (so non-finite gradients), as a diverging
 * reward would give. */
void agent_debug_nan_returns(clkfac_agent *ag, unsigned n);
/* Test hook (ACKTR): overwrites block `block`'s A (which = 0) or G (1) running factor with
 * host values (its size squared); fails for another algorithm or a block out of range. */
clkfac_status acktr_debug_set_factor(clkfac_agent *ag, size_t block, int which, const float *m,
                                     size_t n);

/* Test hook (ACKTR): reads block `block`'s A (which = 0) or G (1) running factor (its size
 * squared; blocking). */
clkfac_status acktr_debug_get_factor(clkfac_agent *ag, size_t block, int which, float *m,
                                     size_t n);

/* Test hook: the ACKTR adaptive step-size multiplier (kl_target > 0), read back (blocking). */
clkfac_status acktr_debug_step_scale(clkfac_agent *ag, float *out);

/* TRPO's pieces, exposed for tests (trpo.c). A trpo_fisher applies the damped Fisher of a policy
 * network (head `head`: categorical logits, or Gaussian means with a shared log-std) to flat
 * vectors of n_params = n_net network parameters [+ n_out log-stds], on the batch of the last
 * forward of net: F v = J^T M J v / n + damping * v. Everything stays on the device. */
typedef struct trpo_fisher {
    clkfac_context *ctx;
    clkfac_nn *net;
    clkfac_nn_rop_state *rop;
    size_t head, n_out, n_params, n_net;
    const policy_dist *pol;
    cl_mem logstd;   /* Gaussian: (n_out) log-stds, else NULL */
    float damping;
    clkfac_agent *dp; /* data-parallel: every product is averaged over this agent's ranks
                         (before the damping); NULL: this process's batch alone */
} trpo_fisher;

/* Creates the R-op state for net (logstd NULL for a categorical head). */
clkfac_status trpo_fisher_init(trpo_fisher *f, clkfac_context *ctx, clkfac_nn *net, size_t head,
                               const policy_dist *pol, size_t n_out, cl_mem logstd, float damping);
void trpo_fisher_release(trpo_fisher *f);
/* out = F v (n_params floats each at the offsets; out must not overlap v) on the last
 * forward's batch n. Overwrites the network's gradient buffer and its heads' output gradients. */
clkfac_status trpo_fvp(trpo_fisher *f, size_t n, cl_mem v, size_t v_off, cl_mem out,
                       size_t out_off);
/* x = `iters` steps of conjugate gradient on F x = g from x = 0, no host reads. work: 3 *
 * n_params floats (r, p, Ap); sc: 4 device scalars from sc_off; ||r|| at the end -> sc[res_off]. */
clkfac_status trpo_cg(trpo_fisher *f, size_t n, cl_mem g, cl_mem x, unsigned iters, cl_mem work,
                      cl_mem sc, size_t sc_off, size_t res_off);
/* Test hook: later line searches of this TRPO agent try -step instead of step, which cannot
 * improve the surrogate, so each must end by restoring the old parameters. */
void trpo_debug_flip_step(clkfac_agent *ag);
/* Test hook: the last update's CG direction x (n_params floats; blocking read). */
clkfac_status trpo_debug_direction(clkfac_agent *ag, float *out, size_t n);

/* The previous update's health flags (prev_health's bits). */
static inline uint32_t agent_prev_health(const clkfac_agent *ag)
{
    uint32_t bits;
    memcpy(&bits, &ag->prev_health, sizeof bits);
    return bits;
}

#endif
