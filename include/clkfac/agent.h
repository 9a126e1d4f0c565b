/* clkfac/agent.h — actor-critic agents that learn from a vector environment on the device:
 * synchronous A2C today (ACKTR and TRPO plug into the same rollout and update loop). One
 * update = a rollout of n_steps x n_envs transitions, then one parameter update; the only host
 * round trips per environment step are writing observations and reading actions. */
#ifndef CLKFAC_AGENT_H
#define CLKFAC_AGENT_H

#include "clkfac/comm.h"
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

/* ---- options ---------------------------------------------------------------------------------
 * Every agent option is one row of CLKFAC_AGENT_OPTION_LIST: the struct field, its type, the
 * command-line flag, the range the command line accepts, the default under each algorithm and
 * a help line. From the list come the struct below, the descriptor table
 * (clkfac_agent_option_table: the CLI's parser and usage text, the options block of a run's
 * summary.json and a suite's run key all read it) and the default resolver. Adding an option is
 * one row here (and the code that reads it).
 *
 * Zero means default: an options struct starts as CLKFAC_AGENT_OPTIONS_INIT (the version, all
 * else 0) and every field left 0 takes its default when the agent is created. For a field whose
 * 0 is a legitimate value other than its default (ent_coef, momentum, stats_decay, shared, a
 * CONSTANT schedule, ...), say so with CLKFAC_AGENT_SET(&o, field, 0), which also sets the
 * field's bit in `given`: a given field is used as it is, even when 0. Plain assignments of
 * non-zero values need no bit. clkfac_agent_options_resolve fills the defaults and marks every
 * field given, so resolving twice changes nothing; code that reads fields of options it filled
 * (to log them, to check a bound) resolves them first, or it sees 0 where a default applies.
 * (A mask rather than a sentinel value such as -1: it works alike for every type, enums and
 * unsigned fields included, and keeps a resolved struct's zeros from turning back into
 * defaults when it is passed on.)
 *
 * Row: X(C type, field, TYPE, flag or NULL, value placeholder, low, high, default, choices,
 *        algorithms, help). TYPE is BOOL (int 0/1; the flag takes no value and sets the
 * opposite of the default), INT, UINT, U64, FLOAT, DOUBLE, ENUM (int-sized, choices name 0, 1,
 * ...) or STRING (NULL = default; choices, if any, list the accepted values). The default is
 * one number, or PER_ALGO(a2c, acktr, trpo). The algorithms (ALL, ACKTR, TRPO, ACKTR_TRPO) are the
 * ones that read the option. */
#define CLKFAC_AGENT_OPTION_LIST(X)                                                                \
    X(clkfac_algo, algo, ENUM, "--algo", "NAME", 0, 2, 0, CHOICES("a2c", "acktr", "trpo"), ALL,    \
      "algorithm: a2c (RMSProp), acktr (K-FAC natural gradient in a trust region) or trpo "        \
      "(conjugate-gradient natural gradient with line search)")                                    \
    X(unsigned, n_steps, UINT, "--nsteps", "N", 1, 100000, 5, NONE, ALL,                            \
      "rollout length per environment copy (a batch is envs x nsteps)")                           \
    X(const char *, net, STRING, "--net", "SPEC", 0, 0, 0, NONE, ALL,                              \
      "trunk layers, e.g. 'dense:64 dense:64'; default by observation: vectors 'dense:64 "         \
      "dense:64' (tanh), 10x10 pixel games 'conv:16,3,1 dense:128' (relu), 84x84 frames the "      \
      "ACKTR paper's Atari CNN (relu)")                                                            \
    X(const char *, activation, STRING, "--activation", "NAME", 0, 0, 0,                           \
      CHOICES("tanh", "relu", "elu"), ALL, "trunk activation; default as for --net")               \
    X(int, shared, BOOL, "--separate", NULL, 0, 1, 1, NONE, ALL,                                   \
      "separate actor and critic networks (default: one trunk with policy and value heads; "    \
      "TRPO and ACKTR's Euclidean critic are always separate)")                                   \
    X(float, lr, FLOAT, "--lr", "X", 1e-12, 10, PER_ALGO(7e-4, 0.25, 7e-4), NONE, ALL,                  \
      "learning rate; ACKTR: the trust-region step size eta")                                      \
    X(clkfac_lr_schedule, schedule, ENUM, "--lr-schedule", "NAME", 0, 1, 1,                        \
      CHOICES("constant", "linear"), ALL, "learning-rate schedule: linear decays to 0 over "       \
      "total_steps")                                                                               \
    X(uint64_t, total_steps, U64, NULL, "N", 0, 1e15, 0, NONE, ALL,                                \
      "environment steps the schedule spans (0: constant lr; clkfac train sets --steps)")          \
    X(float, gamma, FLOAT, "--gamma", "X", 0, 1, 0.99, NONE, ALL, "discount factor")               \
    X(float, ent_coef, FLOAT, "--ent-coef", "X", 0, 100, 0.01, NONE, ALL,                          \
      "entropy bonus coefficient")                                                                 \
    X(float, vf_coef, FLOAT, "--vf-coef", "X", 0, 100, 0.5, NONE, ALL, "value loss coefficient")   \
    X(float, max_grad_norm, FLOAT, "--max-grad-norm", "X", 0, 1e9, 0.5, NONE, ALL,                 \
      "global gradient-norm clip (0 disables)")                                                    \
    X(float, rms_decay, FLOAT, NULL, "X", 0, 1, 0.99, NONE, ALL, "RMSProp decay")                  \
    X(float, rms_eps, FLOAT, NULL, "X", 0, 1, 1e-5, NONE, ALL,                                     \
      "RMSProp epsilon, inside the square root")                                                   \
    X(float, rms_init, FLOAT, "--rms-init", "X", 0, 1e6, 1, NONE, ALL,                             \
      "RMSProp initial mean square: 1 as TensorFlow (the A2C reference), 0 as PyTorch")            \
    X(uint64_t, seed, U64, "--seed", "N", 0, 2147483647, 0, NONE, ALL,                             \
      "network initialisation and action sampling")                                                \
    X(int, sync_timing, BOOL, "--sync-timing", NULL, 0, 1, 0, NONE, ALL,                           \
      "wait for each update's device work so the timing split is exact (one more blocking "        \
      "call per update)")                                                                          \
    X(float, kl_clip, FLOAT, "--kl-clip", "X", 1e-12, 1e6, 0.001, NONE, ACKTR,                     \
      "trust region: the step is scaled by nu = min(1, sqrt(kl_clip / q))")                        \
    X(float, kfac_damping, FLOAT, "--damping", "X", 1e-12, 1e6, 0.01, NONE, ACKTR,                 \
      "Tikhonov lambda of the factored damping")                                                   \
    X(float, stats_decay, FLOAT, "--stats-decay", "X", 0, 0.999999, 0.99, NONE, ACKTR,             \
      "running-average decay of the K-FAC factors")                                                \
    X(unsigned, inv_every, UINT, "--inv-every", "N", 1, 1000000, 10, NONE, ACKTR,                  \
      "recompute the inverses every T_inv updates")                                                \
    X(float, momentum, FLOAT, "--momentum", "X", 0, 0.999999, 0.9, NONE, ACKTR,                    \
      "momentum of the step")                                                                      \
    X(float, gae_lambda, FLOAT, "--gae-lambda", "X", 0, 1, 0.98, NONE, TRPO,                       \
      "GAE lambda of the advantages")                                                              \
    X(float, max_kl, FLOAT, "--max-kl", "X", 1e-12, 1e6, 0.01, NONE, TRPO,                         \
      "trust region: mean KL of a step")                                                           \
    X(float, cg_damping, FLOAT, "--cg-damping", "X", 0, 1e6, 0.1, NONE, TRPO,                      \
      "conjugate gradient solves (F + cg_damping I) x = g")                                        \
    X(unsigned, cg_iters, UINT, NULL, "N", 1, 1000, 10, NONE, TRPO,                                \
      "conjugate-gradient iterations from x = 0")                                                  \
    X(unsigned, vf_iters, UINT, NULL, "N", 1, 1000, 5, NONE, TRPO,                                 \
      "value epochs of Adam per update, minibatches of 64")                                        \
    X(float, vf_lr, FLOAT, "--vf-lr", "X", 1e-12, 10, 1e-3, NONE, ACKTR_TRPO,                      \
      "Adam rate of the value function (TRPO; ACKTR's Euclidean critic)")                          \
    X(unsigned, fvp_subsample, UINT, NULL, "N", 1, 1000000, 5, NONE, TRPO,                         \
      "Fisher-vector products on every k-th sample")                                               \
    X(int, measure_kl, BOOL, "--measure-kl", NULL, 0, 1, 0, NONE, ACKTR,                           \
      "measure the mean KL between the policy before and after each step (one more forward; "      \
      "TRPO always does)")                                                                         \
    X(unsigned, stats_every, UINT, "--stats-every", "N", 1, 1000000, 1, NONE, ACKTR,               \
      "factor statistics (the Fisher pass) every T_s updates")                                     \
    X(float, stats_fraction, FLOAT, "--stats-fraction", "X", 0.001, 1, 1, NONE, ACKTR,             \
      "factor statistics from the first ceil(X * batch) examples of the batch (whole time steps "  \
      "of all copies first): the Fisher pass and the factors cost X of theirs")                    \
    X(unsigned, cold_steps, UINT, "--cold-steps", "N", 1, 1000000, 1, NONE, ACKTR,                 \
      "the first K factor batches are averaged plainly before the decay applies")                  \
    X(int, critic_euclidean, ENUM, "--critic", "NAME", 0, 1, 0, CHOICES("gauss-newton", "euclidean"), \
      ACKTR, "gauss-newton: the critic preconditioned by K-FAC with the actor; euclidean: "        \
      "separate networks, the critic fitted by Adam at vf_lr (the paper's critic comparison)")    \
    X(int, kfac_eigen, BOOL, "--kfac-eigen", NULL, 0, 1, 0, NONE, ACKTR,                           \
      "the reference code's eigenvalue damping instead of factored Tikhonov damping (host "        \
      "eigensolver every T_inv updates: a blocking call there)")                                   \
    X(float, weight_decay, FLOAT, "--weight-decay", "X", 0, 1e3, 0, NONE, ACKTR,                   \
      "L2 coefficient, added to the gradient and folded into the damping")                        \
    X(float, kl_target, FLOAT, "--kl-target", "X", 0, 1e3, 0, NONE, ACKTR,                         \
      "continuous control: > 0 adapts the step size so the measured mean KL stays near it "        \
      "(divide / multiply by 1.5 above 2x / below 0.5x; reference 0.002)")

/* CLKFAC_AGENT_OPT_<field>: the row index of each option, the bit of `given`. */
enum {
#define CLKFAC_AGENT_OPT_ID_(ctype, field, ...) CLKFAC_AGENT_OPT_##field,
    CLKFAC_AGENT_OPTION_LIST(CLKFAC_AGENT_OPT_ID_)
#undef CLKFAC_AGENT_OPT_ID_
    CLKFAC_AGENT_OPTION_COUNT
};

typedef struct clkfac_agent_options {
    unsigned version; /* CLKFAC_AGENT_OPTIONS_VERSION */
    uint64_t given;   /* bit CLKFAC_AGENT_OPT_<field>: the field is used as it is, even when 0 */
#define CLKFAC_AGENT_OPT_FIELD_(ctype, field, ...) ctype field;
    CLKFAC_AGENT_OPTION_LIST(CLKFAC_AGENT_OPT_FIELD_)
#undef CLKFAC_AGENT_OPT_FIELD_
} clkfac_agent_options;

/* Version 2: zero means default (version 1 held every default in its _INIT). */
#define CLKFAC_AGENT_OPTIONS_VERSION 2
#define CLKFAC_AGENT_OPTIONS_INIT { .version = CLKFAC_AGENT_OPTIONS_VERSION }

/* Sets a field and marks it given (use it for a 0 that means 0). */
#define CLKFAC_AGENT_SET(opts, field, value)                                                   \
    ((opts)->field = (value), (opts)->given |= (uint64_t)1 << CLKFAC_AGENT_OPT_##field)

typedef enum clkfac_option_type {
    CLKFAC_OPTION_BOOL,   /* int, 0 or 1 */
    CLKFAC_OPTION_INT,    /* int */
    CLKFAC_OPTION_UINT,   /* unsigned */
    CLKFAC_OPTION_U64,    /* uint64_t */
    CLKFAC_OPTION_FLOAT,  /* float */
    CLKFAC_OPTION_DOUBLE, /* double */
    CLKFAC_OPTION_ENUM,   /* an int-sized enum; choices name the values 0, 1, ... */
    CLKFAC_OPTION_STRING  /* const char *; NULL means the default */
} clkfac_option_type;

/* Which algorithms read an option: bit (1 << clkfac_algo). */
#define CLKFAC_OPTION_FOR_ALL 7u
#define CLKFAC_OPTION_FOR_ACKTR (1u << CLKFAC_ALGO_ACKTR)
#define CLKFAC_OPTION_FOR_TRPO (1u << CLKFAC_ALGO_TRPO)
#define CLKFAC_OPTION_FOR_ACKTR_TRPO (CLKFAC_OPTION_FOR_ACKTR | CLKFAC_OPTION_FOR_TRPO)

/* One option: a row of a table describing the fields of an options struct. The command line's
 * own run options (clkfac train --steps, --envs, ...) use the same descriptor. */
typedef struct clkfac_option {
    const char *name;           /* the field; the key in summary.json and in a suite's run key */
    const char *flag;           /* command-line flag ("--ent-coef"); NULL: none */
    const char *meta;           /* the value's placeholder in usage text; NULL for BOOL */
    clkfac_option_type type;
    size_t offset, size;        /* offsetof and sizeof the field */
    double lo, hi;              /* numbers: the range the command line accepts, inclusive */
    double def[3];              /* the default under a2c, acktr, trpo (BOOL 0/1, ENUM the value;
                                   STRING: unused, NULL is the default) */
    const char *const *choices; /* ENUM: names of 0, 1, ...; STRING: the accepted values, or NULL
                                   for any; NULL-terminated */
    unsigned algos;             /* CLKFAC_OPTION_FOR_* bits */
    const char *help;
} clkfac_option;

/* The field row d describes in the struct at base, as a number (BOOL and ENUM as their int; a
 * STRING is 1 when set, 0 when NULL), and a number stored into it converted to its type (a
 * STRING is left as it is). */
double clkfac_option_get(const clkfac_option *d, const void *base);
void clkfac_option_set(const clkfac_option *d, void *base, double v);

/* The agent's options, in CLKFAC_AGENT_OPTION_LIST order; *count gets the number of rows.
 * Static storage. */
const clkfac_option *clkfac_agent_option_table(size_t *count);

/* out = in with every field that is 0 and not given set to its default for in->algo, and every
 * field marked given. in NULL: all defaults. A version other than CLKFAC_AGENT_OPTIONS_VERSION
 * fails with CLKFAC_ERR_INVALID_ARG. The agent calls it first thing; callers that log options
 * call it to see what the agent will use. Ranges are not checked here (the agent checks what it
 * needs; the command line checks the table's ranges). */
clkfac_status clkfac_agent_options_resolve(clkfac_agent_options *out,
                                           const clkfac_agent_options *in);

/* The resolved options that apply to their algorithm (table order) as text in buf: with
 * json = 0, "name=value" separated by spaces (a NULL string is "auto"); with json = 1, JSON
 * object members "\"name\": value" separated by ", " (strings and names quoted, BOOL true/false,
 * a NULL string null). cap too small fails with CLKFAC_ERR_INVALID_ARG naming the size needed. */
clkfac_status clkfac_agent_options_text(char *buf, size_t cap, const clkfac_agent_options *opts,
                                        int json);

/* Per-environment settings (the project's data/presets.txt, built into the library): the row
 * for env_id and o->algo sets every option it names that o leaves to its default (not given and
 * 0), and marks it given; n_envs (may be NULL), when *n_envs is 0, gets the row's number of
 * environment copies (left 0 when the row names none). applied (may be NULL) gets what was set,
 * as command-line options ("--envs 8 --lr 1e-3"; "" when nothing). An environment without a
 * row changes nothing. Call it before clkfac_agent_options_resolve (which marks everything
 * given). Fails with CLKFAC_ERR_FORMAT naming the table's line if the row is not valid. */
clkfac_status clkfac_agent_options_preset(clkfac_agent_options *o, unsigned *n_envs,
                                          const char *env_id, char *applied, size_t cap);

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
    /* numerical events, recovered from (each update goes on; see runs' updates.csv) */
    float skipped;         /* 1: a non-finite gradient, step or factor statistic was refused and
                              its step skipped (parameters and state left as they were) */
    float damping_raised;  /* ACKTR: factors not positive definite at the damping, inverted
                              after raising it (x10 per retry, up to x1000) */
    float eigen_fallback;  /* ACKTR: factors still not positive definite, inverted by the eigen
                              rule (clkfac_kfac_eigen) instead, until the next inversion */
} clkfac_update_stats;

/* Moves up to cap pending update records (oldest first) into out; *n gets the count. Reads the
 * device once when any are pending. Records not yet read are kept (at most 256; older ones are
 * dropped with their count reported by clkfac_agent_stats_dropped). */
clkfac_status clkfac_agent_read_stats(clkfac_agent *agent, clkfac_update_stats *out, size_t cap,
                                      size_t *n);
uint64_t clkfac_agent_stats_dropped(const clkfac_agent *agent);

/* ---- data-parallel training ------------------------------------------------------------------
 * Makes the agent one of clkfac_comm_size(comm) copies that train together, each stepping its
 * own environments (create each rank's vector environment with its share of the copies, seeded
 * so that the shares do not overlap): rank 0's parameters are broadcast to every rank now, each
 * update's gradients (and loss statistics) are averaged over the ranks (a nonblocking allreduce
 * of the flat gradient buffers through mapped memory, profiler phase "allreduce"), and the
 * timestep counts every rank's steps, so every rank holds the same parameters after every
 * update (checked after each update in builds without NDEBUG). Each rank draws its actions
 * from its own stream (rank 0's is the single-process one). With the same total batch, an
 * update on N ranks equals the single-process update on the union of their data up to float
 * rounding. comm is borrowed and must outlive the agent; call before the first update, on every
 * rank. With one rank nothing changes. ACKTR: the new K-FAC factors of each statistics update
 * are averaged too (sent as packed upper triangles, all blocks in one allreduce, before the
 * running average), and the inverses are computed as clkfac_agent_set_kfac_placement says
 * (default: every rank computes every inverse; a NOT_SPD recovery is agreed between the ranks). TRPO: the advantages are
 * standardized over the union, and the surrogate's gradient, every Fisher-vector product of CG
 * (fvp_subsample takes every k-th row of each rank's share), the line search's KL and surrogate
 * and the value fit's minibatch gradients (ceil(64 / N) rows of each rank) are averaged, so
 * every rank takes the same step. ACKTR's measured KL (measure_kl, kl_target) is the mean over
 * every rank's rows, so the adaptive step size moves the same way on every rank. */
clkfac_status clkfac_agent_set_comm(clkfac_agent *agent, clkfac_comm *comm);

/* Data-parallel ACKTR: where each layer block's K-FAC inverses are computed (KAISA's two
 * extremes besides the default). REPLICATED: every rank inverts every block. INVERSE: each
 * block is inverted on one rank (blocks dealt greedily, largest da^3 + dg^3 first, to the rank
 * with the least such cost so far) and its inverses broadcast from there at every inversion.
 * GRADIENT: the same ranks invert and keep the inverses, and every update each block's
 * preconditioned gradient is computed there and broadcast to the others. All three give the
 * same update up to float rounding. A block on the eigen fallback (a factor Tikhonov could not
 * invert) is inverted and applied on every rank until it recovers. Set before the first update;
 * no effect with one rank; ACKTR only (another algorithm takes REPLICATED alone). */
typedef enum clkfac_kfac_placement {
    CLKFAC_KFAC_REPLICATED = 0,
    CLKFAC_KFAC_INVERSE = 1,
    CLKFAC_KFAC_GRADIENT = 2
} clkfac_kfac_placement;
clkfac_status clkfac_agent_set_kfac_placement(clkfac_agent *agent, clkfac_kfac_placement placement);
/* "replicated", "inverse" or "gradient" (NULL for a value out of range). */
const char *clkfac_kfac_placement_name(clkfac_kfac_placement placement);

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

/* ---- checkpoints -----------------------------------------------------------------------------
 * The agent's whole training state as bytes: update and timestep counters, the current
 * observations, pending update records, every parameter, and the algorithm's state (RMSProp,
 * momentum and Adam state and step counts; K-FAC factors, inverses and their counters; TRPO's
 * vectors), so that an agent created with the same options on the same environments and given
 * this state continues bit-exactly (its sampling draws are counter-based on the seed and the
 * timestep). The environments' state is separate (clkfac_vecenv_get_state). Reads the device
 * (blocking): meant between updates, not inside training. *out is malloc'ed (free it). */
clkfac_status clkfac_agent_get_state(void **out, size_t *size, clkfac_agent *agent);
/* Restores a state from clkfac_agent_get_state. The magic, version, size and checksum are
 * checked, then every item's name and size against this agent (another algorithm, network or
 * environment count fails naming the item), all before anything is written: CLKFAC_ERR_FORMAT. */
clkfac_status clkfac_agent_set_state(clkfac_agent *agent, const void *buf, size_t size);

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
