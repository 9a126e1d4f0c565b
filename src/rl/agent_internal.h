/* Internal view of an agent for the algorithm files (a2c in agent.c, acktr.c, trpo.c): the
 * rollout storage every algorithm shares and the hooks each one implements. After rollout()
 * the device holds, for M = n_steps * n_envs transitions in step-major order: obs (M, obs),
 * actions (M, act), rewards, ended, boot (truncation bootstrap values), values (M) from the
 * rollout, last (N) and n-step returns/advantages (M). */
#ifndef CLKFAC_AGENT_INTERNAL_H
#define CLKFAC_AGENT_INTERNAL_H

#include "clkfac/agent.h"
#include "clkfac/nn.h"
#include "core/core.h"

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
#define REC_ALGO_N 8

struct clkfac_agent {
    clkfac_context *ctx;
    clkfac_vecenv *envs;
    clkfac_agent_options o;
    char net_spec[256], act_name[32];
    int discrete;
    size_t n_envs, t_steps, obs_size, act_size, n_out; /* n_out: logits or action dims */
    clkfac_nn *actor, *critic;                          /* critic == actor when shared */
    size_t pi_head, v_head;
    clkfac_optim *opt_actor, *opt_critic, *opt_logstd; /* A2C's RMSProp; NULL for ACKTR, TRPO */
    cl_mem logstd, dlogstd;
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
    double t_env, t_infer, t_update;
    uint64_t blocking0;
    void *algo;   /* algorithm state (acktr.c, trpo.c) */
    cl_mem algo_stats; /* REC_ALGO_N floats the algorithm fills (slot k = record slot 8 + k) */
    clkfac_optim *stats_optim; /* whose NORM..LR go into the record (default opt_actor) */
};


/* A head's output (grad = 0) or output gradient (grad = 1) as a contiguous (rows, cols) view. */
clkfac_status agent_head_view(clkfac_nn_view *v, const clkfac_nn *net, size_t h, int grad);
/* Forward of the actor (and of the critic when separate) on n rows of x. */
clkfac_status agent_forward(clkfac_agent *ag, size_t n, cl_mem x, size_t off);

/* ACKTR (acktr.c): state created with the agent, one update per rollout, freed with it. */
clkfac_status acktr_create(clkfac_agent *ag);
clkfac_status acktr_update(clkfac_agent *ag, float lr);
void acktr_free(clkfac_agent *ag);
/* Test hook: the adaptive step-size multiplier (kl_target > 0), read back (blocking). */
clkfac_status acktr_debug_step_scale(clkfac_agent *ag, float *out);

/* TRPO (trpo.c): as above; the update computes its own GAE advantages from the rollout. */
clkfac_status trpo_create(clkfac_agent *ag);
clkfac_status trpo_update(clkfac_agent *ag);
void trpo_free(clkfac_agent *ag);

/* TRPO's pieces, exposed for tests (trpo.c). A trpo_fisher applies the damped Fisher of a policy
 * network (head `head`: categorical logits, or Gaussian means with a shared log-std) to flat
 * vectors of n_params = n_net network parameters [+ n_out log-stds], on the batch of the last
 * forward of net: F v = J^T M J v / n + damping * v. Everything stays on the device. */
typedef struct trpo_fisher {
    clkfac_context *ctx;
    clkfac_nn *net;
    clkfac_nn_rop_state *rop;
    size_t head, n_out, n_params, n_net;
    int discrete;
    cl_mem logstd;   /* Gaussian: (n_out) log-stds, else NULL */
    float damping;
} trpo_fisher;

/* Creates the R-op state for net (logstd NULL for a categorical head). */
clkfac_status trpo_fisher_init(trpo_fisher *f, clkfac_context *ctx, clkfac_nn *net, size_t head,
                               int discrete, size_t n_out, cl_mem logstd, float damping);
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

#endif
