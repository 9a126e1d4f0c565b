/* clkfac/rl.h — reinforcement-learning building blocks on the device: n-step returns and
 * generalized advantage estimation over a rollout of T steps x N environments, with episode
 * ends split into terminations (no bootstrap) and truncations (bootstrap from the value of the
 * ended episode's final observation). */
#ifndef CLKFAC_RL_H
#define CLKFAC_RL_H

#include "clkfac/device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Inputs, all (T, N) row-major (step-major) unless said:
 *   rewards   r_t
 *   ended     1 where the episode ended at step t (terminated or truncated), else 0
 *   boot      V(final observation) where it was truncated at t, 0 where terminated or not ended
 *   values    V(s_t)
 *   last      (N) V(s_T), the value of the observation after the last step
 * n-step returns: R_t = r_t + gamma * (ended_t ? boot_t : R_{t+1}), R_T = last;
 * advantages A_t = R_t - V(s_t). Outputs returns and adv (T, N); adv may be NULL. */
clkfac_status clkfac_rl_nstep_returns(clkfac_context *ctx, size_t t, size_t n, float gamma,
                                      cl_mem rewards, cl_mem ended, cl_mem boot, cl_mem values,
                                      cl_mem last, cl_mem returns, cl_mem adv);

/* GAE(lambda): delta_t = r_t + gamma * next_t - V(s_t) with next_t = ended_t ? boot_t :
 * V(s_{t+1}) (V(s_T) = last); A_t = delta_t + gamma * lambda * (ended_t ? 0 : A_{t+1});
 * returns R_t = A_t + V(s_t). Same layouts as above. */
clkfac_status clkfac_rl_gae(clkfac_context *ctx, size_t t, size_t n, float gamma, float lambda,
                            cl_mem rewards, cl_mem ended, cl_mem boot, cl_mem values, cl_mem last,
                            cl_mem returns, cl_mem adv);

#ifdef __cplusplus
}
#endif
#endif
