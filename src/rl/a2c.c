/* A2C (Mnih et al. 2016, synchronous): the loss gradient at the heads, one backward pass, and
 * RMSProp with global-norm clipping on each network and on the Gaussian log-stds. */
#include <stdlib.h>

#include "rl/agent_internal.h"

typedef struct a2c_state {
    clkfac_optim *actor, *critic, *logstd; /* critic: separate networks; logstd: Gaussian */
} a2c_state;

static clkfac_status make_rmsprop(const clkfac_agent *ag, clkfac_optim **out, size_t n)
{
    clkfac_optim_options oo = CLKFAC_OPTIM_OPTIONS_INIT;
    oo.kind = CLKFAC_OPTIM_RMSPROP;
    oo.rmsprop_decay = ag->o.rms_decay;
    oo.rmsprop_eps = ag->o.rms_eps;
    oo.rmsprop_init = ag->o.rms_init;
    oo.max_grad_norm = ag->o.max_grad_norm;
    return clkfac_optim_create(out, ag->ctx, n, &oo);
}

static void a2c_free(clkfac_agent *ag)
{
    a2c_state *s = ag->algo;
    if (!s) return;
    clkfac_optim_free(s->actor);
    clkfac_optim_free(s->critic);
    clkfac_optim_free(s->logstd);
    free(s);
    ag->algo = NULL;
}

static clkfac_status a2c_create(clkfac_agent *ag)
{
    a2c_state *s = core_calloc(1, sizeof *s);
    if (!s) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "out of host memory");
    ag->algo = s;
    clkfac_status st;
    if ((st = make_rmsprop(ag, &s->actor, clkfac_nn_param_count(ag->actor))) ||
        (ag->critic != ag->actor &&
         (st = make_rmsprop(ag, &s->critic, clkfac_nn_param_count(ag->critic)))) ||
        (ag->pol->has_logstd && (st = make_rmsprop(ag, &s->logstd, ag->n_out))))
        return st;
    ag->stats_optim = s->actor;
    return CLKFAC_OK;
}

static clkfac_status a2c_update(clkfac_agent *ag, float lr)
{
    a2c_state *s = ag->algo;
    clkfac_context *ctx = ag->ctx;
    size_t M = ag->n_envs * ag->t_steps;
    clkfac_status st;
    clkfac_profile_phase(ctx, "forward");
    if ((st = agent_forward(ag, M, ag->obs, 0)) || (st = agent_a2c_loss(ag))) return st;
    clkfac_profile_phase(ctx, "backward");
    if ((st = agent_backward(ag, M))) return st;
    if (ag->dp_size > 1) { /* data-parallel: the mean gradient over every rank's batch */
        cl_mem bufs[4] = {clkfac_nn_grads(ag->actor), ag->loss_stats};
        size_t lens[4] = {clkfac_nn_param_count(ag->actor), CLKFAC_A2C_STATS}, k = 2;
        if (s->critic) {
            bufs[k] = clkfac_nn_grads(ag->critic);
            lens[k++] = clkfac_nn_param_count(ag->critic);
        }
        if (s->logstd) {
            bufs[k] = ag->dlogstd;
            lens[k++] = ag->n_out;
        }
        if ((st = agent_allreduce_mean(ag, bufs, lens, k))) return st;
    }
    clkfac_profile_phase(ctx, "step");
    if ((st = clkfac_optim_step(s->actor, clkfac_nn_params(ag->actor), 0,
                                clkfac_nn_grads(ag->actor), 0, lr, NULL, 0)))
        return st;
    if (s->critic && (st = clkfac_optim_step(s->critic, clkfac_nn_params(ag->critic), 0,
                                             clkfac_nn_grads(ag->critic), 0, lr, NULL, 0)))
        return st;
    if (s->logstd && (st = clkfac_optim_step(s->logstd, ag->logstd, 0, ag->dlogstd, 0, lr, NULL, 0)))
        return st;
    return CLKFAC_OK;
}

static clkfac_status a2c_state_items(clkfac_agent *ag, agent_state_io *io)
{
    a2c_state *s = ag->algo;
    clkfac_status st = agent_state_optim(io, "a2c.actor", s->actor, clkfac_optim_size(s->actor));
    if (!st && s->critic)
        st = agent_state_optim(io, "a2c.critic", s->critic, clkfac_optim_size(s->critic));
    if (!st && s->logstd)
        st = agent_state_optim(io, "a2c.logstd", s->logstd, clkfac_optim_size(s->logstd));
    return st;
}

const agent_algo agent_algo_a2c = {"a2c", NULL, a2c_create, a2c_update, a2c_free,
                                   a2c_state_items};
