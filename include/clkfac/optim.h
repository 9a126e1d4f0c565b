/* clkfac/optim.h — first-order optimizers on flat float32 parameter and gradient vectors on the
 * device (SGD with momentum, RMSProp in TensorFlow's form, Adam), global-norm gradient clipping
 * and learning-rate schedules. A step never waits on the device: the gradient norm, clip scale,
 * effective learning rate and the skip decision for a non-finite gradient stay on the device.
 *
 * One step, with g the gradient and lr_eff = lr * lr_scale[off] (or lr without a device scale):
 *   clip     c = min(1, max_grad_norm / ||g||) when max_grad_norm > 0, else 1; g <- c g
 *   SGD      v <- mu v + g;                               p <- p - lr_eff v
 *   RMSProp  ms <- decay ms + (1 - decay) g^2;            p <- p - lr_eff g / sqrt(ms + eps)
 *            (epsilon inside the root and ms starting at 1, as TensorFlow's RMSPropOptimizer
 *             that the A2C reference used; rmsprop_init = 0 gives the PyTorch start)
 *   Adam     m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;  t <- t + 1
 *            p <- p - lr_eff (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * ACKTR's momentum step (ALGORITHMS.md) is SGD with mu = 0.9, lr = eta * (1 - mu) and the
 * trust-region nu as the device scale (clkfac_kfac_trust_region writes it).
 *
 * A gradient holding NaN/Inf (or whose norm overflows float), or a non-finite lr_eff, raises the
 * NONFINITE health flag and skips the step: parameters, optimizer state and the step count are
 * left bit-identical. clkfac_context_check() reports it (one blocking call, when wanted). */
#ifndef CLKFAC_OPTIM_H
#define CLKFAC_OPTIM_H

#include "clkfac/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clkfac_optim clkfac_optim;

typedef enum clkfac_optim_kind {
    CLKFAC_OPTIM_SGD = 0,      /* momentum SGD (mu = 0: plain SGD) */
    CLKFAC_OPTIM_RMSPROP = 1,  /* RMSProp, TensorFlow form */
    CLKFAC_OPTIM_ADAM = 2      /* Adam with bias correction */
} clkfac_optim_kind;

typedef struct clkfac_optim_options {
    unsigned version;          /* CLKFAC_OPTIM_OPTIONS_VERSION */
    clkfac_optim_kind kind;    /* default RMSPROP (the A2C reference) */
    float momentum;            /* SGD mu in [0, 1) (default 0.9, the ACKTR reference) */
    float rmsprop_decay;       /* in [0, 1) (default 0.99) */
    float rmsprop_eps;         /* inside the square root (default 1e-5) */
    float rmsprop_init;        /* initial mean square (default 1, TensorFlow; PyTorch uses 0) */
    float adam_beta1;          /* in [0, 1) (default 0.9) */
    float adam_beta2;          /* in [0, 1) (default 0.999) */
    float adam_eps;            /* outside the square root (default 1e-8) */
    float max_grad_norm;       /* global-norm clip inside each step; <= 0 disables (default 0;
                                  the A2C reference uses 0.5) */
} clkfac_optim_options;

#define CLKFAC_OPTIM_OPTIONS_VERSION 1
#define CLKFAC_OPTIM_OPTIONS_INIT                                                              \
    { CLKFAC_OPTIM_OPTIONS_VERSION, CLKFAC_OPTIM_RMSPROP, 0.9f, 0.99f, 1e-5f, 1.0f, 0.9f,      \
      0.999f, 1e-8f, 0.0f }

/* Slots of the optimizer's device stats buffer (clkfac_optim_stats), written by every step. */
#define CLKFAC_OPTIM_STAT_NORM 0   /* ||g|| of the last step's gradient, before clipping */
#define CLKFAC_OPTIM_STAT_CLIP 1   /* clip scale applied (1 when not clipped) */
#define CLKFAC_OPTIM_STAT_STEPS 2  /* steps taken (skipped ones not counted; exact to 2^24) */
#define CLKFAC_OPTIM_STAT_LR 3     /* lr_eff of the last step */
#define CLKFAC_OPTIM_STATS 8       /* floats in the buffer; slots 4.. are internal */

/* An optimizer for n parameters: allocates its state (n floats for SGD/RMSProp, 2n for Adam)
 * and stats buffer once, initialised as by clkfac_optim_reset. opts NULL = defaults. */
clkfac_status clkfac_optim_create(clkfac_optim **out, clkfac_context *ctx, size_t n,
                                  const clkfac_optim_options *opts);
void clkfac_optim_free(clkfac_optim *opt);

/* Restarts: state to its initial values (RMSProp mean square = rmsprop_init, else 0), step
 * count and stats to 0. Asynchronous. */
clkfac_status clkfac_optim_reset(clkfac_optim *opt);

/* One update of params[p_off .. p_off+n) with grads[g_off .. g_off+n) (n as at create).
 * lr: host learning rate (finite, >= 0), e.g. from clkfac_optim_lr_at. lr_scale: NULL, or a
 * device scalar lr_scale[lr_scale_off] multiplying lr on the device (ACKTR's nu, a line-search
 * factor). grads are read, never modified (clipping is applied on the fly). Enqueues a finiteness
 * check, nrm2, one scalar kernel and the update; allocates nothing; does not wait. */
clkfac_status clkfac_optim_step(clkfac_optim *opt, cl_mem params, size_t p_off, cl_mem grads,
                                size_t g_off, float lr, cl_mem lr_scale, size_t lr_scale_off);

/* The device stats buffer (CLKFAC_OPTIM_STATS floats; slots above). Borrowed. */
cl_mem clkfac_optim_stats(const clkfac_optim *opt);
/* The device state buffer (SGD: v (n); RMSProp: ms (n); Adam: m (n) then v (n)), e.g. for
 * checkpoints. Borrowed. */
cl_mem clkfac_optim_state(const clkfac_optim *opt);
/* Number of parameters the optimizer was created for. */
size_t clkfac_optim_size(const clkfac_optim *opt);

/* Standalone global-norm clipping of grads (n) in place: stats[s_off] = ||g|| (via nrm2),
 * stats[s_off + 1] = c = min(1, max_norm / ||g||), g <- c g. A non-finite norm raises the
 * NONFINITE flag, writes c = 0 and leaves g unchanged. max_norm > 0. Does not wait. */
clkfac_status clkfac_optim_clip_grad_norm(clkfac_context *ctx, size_t n, cl_mem grads,
                                          size_t g_off, float max_norm, cl_mem stats,
                                          size_t s_off);

/* ---- learning-rate schedules (host) --------------------------------------------------------- */

typedef enum clkfac_lr_schedule {
    CLKFAC_LR_CONSTANT = 0,  /* lr0 */
    CLKFAC_LR_LINEAR = 1     /* lr0 * (1 - step / total), 0 from step >= total (the A2C/ACKTR
                                reference: step = updates done so far) */
} clkfac_lr_schedule;

/* The learning rate at update `step` (0-based) of `total`. total = 0 disables decay (lr0). An
 * unknown schedule gives NaN, which clkfac_optim_step rejects. */
float clkfac_optim_lr_at(clkfac_lr_schedule schedule, float lr0, uint64_t step, uint64_t total);

#ifdef __cplusplus
}
#endif
#endif
