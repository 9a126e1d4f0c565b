/* clkfac/agent.h — actor-critic agents that learn from a vector environment on the device:
 * synchronous A2C today (ACKTR and TRPO plug into the same rollout and update loop). One
 * update = a rollout of n_steps x n_envs transitions, then one parameter update; the only host
 * round trips per environment step are writing observations and reading actions. */
#ifndef CLKFAC_AGENT_H
#define CLKFAC_AGENT_H

#include "clkfac/device.h"
#include "clkfac/env.h"
#include "clkfac/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum clkfac_algo {
    CLKFAC_ALGO_A2C = 0,   /* synchronous advantage actor-critic (first-order, RMSProp) */
    CLKFAC_ALGO_ACKTR = 1, /* K-FAC trust-region natural gradient */
    CLKFAC_ALGO_TRPO = 2   /* conjugate-gradient natural gradient with line search */
} clkfac_algo;

/* Parses "a2c", "acktr", "trpo"; unknown names fail with a message listing them. */
clkfac_status clkfac_algo_parse(clkfac_algo *out, const char *name);
const char *clkfac_algo_name(clkfac_algo algo);

typedef struct clkfac_agent_options {
    unsigned version;              /* CLKFAC_AGENT_OPTIONS_VERSION */
    clkfac_algo algo;              /* default A2C */
    unsigned n_steps;              /* rollout length per env (default 5) */
    const char *net;               /* trunk spec for nn; NULL picks by observation: vectors
                                      "dense:64 dense:64" (tanh), 10x10 pixel games
                                      "conv:16,3,1 dense:128" (relu), 84x84 frames the ACKTR
                                      paper's Atari CNN (relu) */
    const char *activation;        /* trunk activation; NULL: as above */
    int shared;                    /* 1: one trunk with pi and v heads; 0: separate actor and
                                      critic networks (default 1) */
    float lr;                      /* default 7e-4 */
    clkfac_lr_schedule schedule;   /* default LINEAR over total_steps */
    uint64_t total_steps;          /* environment steps the schedule spans (0: constant lr) */
    float gamma;                   /* default 0.99 */
    float ent_coef;                /* default 0.01 */
    float vf_coef;                 /* default 0.5 */
    float max_grad_norm;           /* global-norm clip, <= 0 disables (default 0.5) */
    float rms_decay;               /* default 0.99 */
    float rms_eps;                 /* inside the square root (default 1e-5) */
    float rms_init;                /* initial mean square: 1 as TensorFlow (the A2C reference),
                                      0 as PyTorch */
    uint64_t seed;                 /* network init and action sampling (default 0) */
    int sync_timing;               /* 1: wait for each update's device work so the timing split
                                      below is exact (one more blocking call per update) */
    /* ACKTR (lr is the step size eta; reference Atari setting 0.25) */
    float kl_clip;                 /* trust region: nu = min(1, sqrt(kl_clip / q)) (0.001) */
    float kfac_damping;            /* Tikhonov lambda of the factored damping (0.01) */
    float stats_decay;             /* running-average decay of the factors (0.99) */
    unsigned inv_every;            /* recompute inverses every T_inv updates (10) */
    float momentum;                /* momentum of the step (0.9) */
    /* TRPO (ALGORITHMS.md, MuJoCo reference settings). TRPO always uses separate actor and
     * critic networks (shared is forced to 0): the natural-gradient step and its KL constraint
     * concern the policy alone, and the value function is fitted by its own Adam. */
    float gae_lambda;              /* GAE lambda of the advantages (0.98) */
    float max_kl;                  /* trust region: mean KL of a step (0.01) */
    float cg_damping;              /* CG solves (F + cg_damping I) x = g (0.1) */
    unsigned cg_iters;             /* conjugate-gradient iterations from x = 0 (10) */
    unsigned vf_iters;             /* value epochs of Adam per update, minibatches of 64 (5) */
    float vf_lr;                   /* value Adam learning rate (1e-3) */
    unsigned fvp_subsample;        /* Fisher-vector products on every k-th sample (5) */
    int measure_kl;                /* ACKTR: 1 measures the mean KL between the policy before and
                                      after each step on the rollout batch (one more forward);
                                      TRPO always measures it */
    unsigned stats_every;          /* ACKTR: factor statistics (the Fisher pass) every T_s
                                      updates (1) */
    unsigned cold_steps;           /* ACKTR: the first K factor batches are averaged plainly
                                      before the decay applies (1: start from the first batch) */
    int critic_euclidean;          /* ACKTR: 0 = Gauss-Newton critic, preconditioned by K-FAC
                                      with the actor (default); 1 = Euclidean critic: separate
                                      networks, the critic fitted by Adam at vf_lr on the value
                                      loss (the paper's critic comparison) */
    int kfac_eigen;                /* ACKTR: 0 = factored Tikhonov damping (default); 1 = the
                                      reference code's eigenvalue rule (host eigensolver every
                                      T_inv updates: a blocking call there) */
    float weight_decay;            /* ACKTR: L2 coefficient, added to the gradient and folded
                                      into the damping (0) */
    float kl_target;               /* ACKTR, continuous control: > 0 adapts the step size so the
                                      measured mean KL stays near it (divide / multiply by 1.5
                                      above 2x / below 0.5x; reference 0.002), on the device */
} clkfac_agent_options;

#define CLKFAC_AGENT_OPTIONS_VERSION 1
#define CLKFAC_AGENT_OPTIONS_INIT                                                             \
    { CLKFAC_AGENT_OPTIONS_VERSION, CLKFAC_ALGO_A2C, 5u, NULL, NULL, 1,                           \
      7e-4f, CLKFAC_LR_LINEAR, 0u, 0.99f, 0.01f, 0.5f, 0.5f, 0.99f, 1e-5f, 1.0f, 0u, 0,       \
      0.001f, 0.01f, 0.99f, 10u, 0.9f, 0.98f, 0.01f, 0.1f, 10u, 5u, 1e-3f, 5u, 0, 1u, 1u, 0, 0, 0.0f, 0.0f }

typedef struct clkfac_agent clkfac_agent;

/* Creates an agent acting in envs (borrowed; must outlive the agent). The networks' input is
 * the observation space, the policy head categorical (discrete actions) or diagonal Gaussian
 * with a state-independent log-std (box actions). Resets envs. */
clkfac_status clkfac_agent_create(clkfac_agent **out, clkfac_context *ctx, clkfac_vecenv *envs,
                                  const clkfac_agent_options *opts);
void clkfac_agent_free(clkfac_agent *agent);

/* Collects one rollout and updates the parameters. Finished episodes accumulate in the vector
 * env's records. Enqueues the update without waiting for it. */
clkfac_status clkfac_agent_update(clkfac_agent *agent);

/* Per-update statistics, kept on the device and read in blocks (one blocking call). */
typedef struct clkfac_update_stats {
    uint64_t update;       /* 1-based index */
    uint64_t timestep;     /* environment steps after the update's rollout */
    float loss;            /* total loss */
    float policy_loss;
    float value_loss;      /* mean squared error, before vf_coef */
    float entropy;
    float grad_norm;       /* global gradient norm before clipping (ACKTR: of the preconditioned
                              gradient) */
    float lr;              /* effective learning rate */
    float trust_q;         /* ACKTR: q = eta^2 v.g of the step */
    float trust_nu;        /* ACKTR: trust-region scale min(1, sqrt(kl_clip / q)) */
    float kl;              /* mean KL of the step (TRPO; ACKTR with measure_kl) */
    float cg_residual;     /* TRPO: conjugate-gradient residual norm */
    float ls_steps;        /* TRPO: line-search halvings taken */
    float accepted;        /* TRPO: 1 when the step was accepted */
} clkfac_update_stats;

/* Moves up to cap pending update records (oldest first) into out; *n gets the count. Reads the
 * device once when any are pending. Records not yet read are kept (at most 256; older ones are
 * dropped with their count reported by clkfac_agent_stats_dropped). */
clkfac_status clkfac_agent_read_stats(clkfac_agent *agent, clkfac_update_stats *out, size_t cap,
                                      size_t *n);
uint64_t clkfac_agent_stats_dropped(const clkfac_agent *agent);

/* Copies every trained parameter to the host (waits for the queued updates: one blocking call
 * per network): the actor's flat buffer (clkfac_nn_params layout), then the critic's when the
 * networks are separate, then the Gaussian log-stds. With out == NULL only *n is set (the
 * count); otherwise cap must be at least the count (CLKFAC_ERR_INVALID_ARG names both). */
clkfac_status clkfac_agent_read_params(clkfac_agent *agent, float *out, size_t cap, size_t *n);
/* Sets every trained parameter from host memory laid out as clkfac_agent_read_params writes it;
 * n must equal that count (CLKFAC_ERR_INVALID_ARG names both). A non-finite value is refused
 * (CLKFAC_ERR_NONFINITE, naming its index) and nothing is written. Optimizer state and K-FAC
 * statistics are kept as they are. */
clkfac_status clkfac_agent_write_params(clkfac_agent *agent, const float *in, size_t n);

/* The current policy's actions for n observations (n <= the agent's number of environments;
 * obs row-major, the observation space's size per row): one draw each from the policy, or with
 * greedy = 1 the most likely action (a categorical policy's argmax, a Gaussian's mean).
 * actions gets n values (discrete, as floats) or n x action dims. Draws use the agent's seed
 * and their own counter, apart from the training rollouts' draws. One blocking call; meant for
 * evaluation and display between updates, not inside training. */
clkfac_status clkfac_agent_act(clkfac_agent *agent, const float *obs, size_t n, int greedy,
                               float *actions);

uint64_t clkfac_agent_timestep(const clkfac_agent *agent);
/* The trunk spec and activation in use (after the NULL defaults were resolved). Borrowed. */
const char *clkfac_agent_net(const clkfac_agent *agent);
const char *clkfac_agent_activation(const clkfac_agent *agent);
uint64_t clkfac_agent_updates(const clkfac_agent *agent);

/* Host wall time split: stepping environments, inference (forward, sampling, reading actions),
 * and updates (enqueue + the device work they wait on). */
typedef struct clkfac_agent_timing {
    double env_seconds;
    double inference_seconds;
    double update_seconds;
    uint64_t blocking_calls;  /* on the context since the agent was created */
} clkfac_agent_timing;
void clkfac_agent_timing_get(clkfac_agent_timing *out, const clkfac_agent *agent);

#ifdef __cplusplus
}
#endif
#endif
