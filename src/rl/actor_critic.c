/* What the rollout and every algorithm share about an actor-critic agent: head views, the
 * forward pass of both networks, the policy distribution's parameters and gradients, and the
 * A2C loss gradient (A2C's whole loss, ACKTR's gradient before preconditioning). */
#include "clkfac/linalg.h"
#include "rl/agent_internal.h"

clkfac_status agent_head_view(clkfac_nn_view *v, const clkfac_nn *net, size_t h, int grad)
{
    clkfac_status st = grad ? clkfac_nn_output_grad(v, net, h) : clkfac_nn_output(v, net, h);
    if (!st && v->ld != v->cols)
        st = CORE_FAIL(CLKFAC_ERR_INTERNAL, "head output with ld %zu != cols %zu", v->ld, v->cols);
    return st;
}

clkfac_status agent_forward(clkfac_agent *ag, size_t n, cl_mem x, size_t off)
{
    clkfac_status st = clkfac_nn_forward(ag->actor, n, x, off);
    if (!st && ag->critic != ag->actor) st = clkfac_nn_forward(ag->critic, n, x, off);
    return st;
}

clkfac_status agent_backward(clkfac_agent *ag, size_t n)
{
    clkfac_status st = clkfac_nn_backward(ag->actor, n, NULL, 0);
    if (!st && ag->critic != ag->actor) st = clkfac_nn_backward(ag->critic, n, NULL, 0);
    return st;
}

clkfac_status agent_policy(policy_params *p, const clkfac_agent *ag)
{
    p->logstd = ag->logstd;
    p->logstd_off = 0;
    return agent_head_view(&p->out, ag->actor, ag->pi_head, 0);
}

clkfac_status agent_policy_grad(policy_params *dp, const clkfac_agent *ag)
{
    dp->logstd = ag->dlogstd;
    dp->logstd_off = 0;
    return agent_head_view(&dp->out, ag->actor, ag->pi_head, 1);
}

clkfac_status agent_a2c_loss(clkfac_agent *ag)
{
    clkfac_a2c_loss_options lo = CLKFAC_A2C_LOSS_OPTIONS_INIT;
    lo.ent_coef = ag->o.ent_coef;
    lo.vf_coef = ag->o.vf_coef;
    policy_params pi, dpi;
    clkfac_nn_view v, dv;
    clkfac_status st;
    if ((st = clkfac_nn_zero_grad(ag->actor)) ||
        (ag->critic != ag->actor && (st = clkfac_nn_zero_grad(ag->critic))) ||
        (st = agent_policy(&pi, ag)) || (st = agent_policy_grad(&dpi, ag)) ||
        (st = agent_head_view(&v, ag->critic, ag->v_head, 0)) ||
        (st = agent_head_view(&dv, ag->critic, ag->v_head, 1)))
        return st;
    clkfac_profile_phase(ag->ctx, "loss");
    return ag->pol->a2c_loss(ag->ctx, &lo, &pi, &dpi, ag->actions, ag->adv, ag->returns, &v, &dv,
                             ag->loss_stats);
}

clkfac_status agent_allreduce_mean_at(clkfac_agent *ag, const cl_mem *bufs, const size_t *offs,
                                      const size_t *lens, size_t k)
{
    if (ag->dp_size < 2) return CLKFAC_OK;
    clkfac_profile_phase(ag->ctx, "allreduce");
    clkfac_comm_request *req[8] = {NULL};
    clkfac_status st = k > 8 ? CORE_FAIL(CLKFAC_ERR_INTERNAL, "allreduce of %zu buffers", k)
                             : CLKFAC_OK;
    size_t started = 0;
    for (; started < k && !st; started++)
        st = clkfac_comm_allreduce_buffer_start(&req[started], ag->comm, ag->ctx, bufs[started],
                                                offs ? offs[started] : 0, lens[started],
                                                CLKFAC_COMM_SUM);
    for (size_t i = 0; i < started; i++) { /* every started request is completed */
        clkfac_status w = clkfac_comm_wait(req[i]);
        if (!st) st = w;
    }
    float inv = 1.0f / (float)ag->dp_size;
    for (size_t i = 0; i < k && !st; i++)
        st = clkfac_linalg_scal(ag->ctx, lens[i], inv, bufs[i], offs ? offs[i] : 0);
    return st;
}

clkfac_status agent_allreduce_mean(clkfac_agent *ag, const cl_mem *bufs, const size_t *lens,
                                   size_t k)
{
    return agent_allreduce_mean_at(ag, bufs, NULL, lens, k);
}

clkfac_status agent_dp_mean(clkfac_agent *ag, cl_mem buf, size_t off, size_t n, const char *phase)
{
    if (ag->dp_size < 2) return CLKFAC_OK;
    clkfac_status st = agent_allreduce_mean_at(ag, &buf, &off, &n, 1);
    clkfac_profile_phase(ag->ctx, phase);
    return st;
}
