/* n-step returns and GAE on the device (cl/rl.cl); see clkfac/rl.h for the definitions. */
#include <math.h>

#include "cl/ocl.h"
#include "clkfac/rl.h"

static clkfac_status returns_launch(clkfac_context *ctx, const char *name, size_t t, size_t n,
                                    float gamma, const float *lambda, cl_mem rewards,
                                    cl_mem ended, cl_mem boot, cl_mem values, cl_mem last,
                                    cl_mem returns, cl_mem adv)
{
    if (t == 0 || n == 0 || t * n > 0xffffffffu)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "rollout of T=%zu steps x N=%zu envs; expected "
                         "both >= 1 and T*N < 2^32", t, n);
    if (!(gamma >= 0.0f && gamma <= 1.0f))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "gamma %g; expected a value in [0, 1]", (double)gamma);
    if (lambda && !(*lambda >= 0.0f && *lambda <= 1.0f))
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "GAE lambda %g; expected a value in [0, 1]",
                         (double)*lambda);
    cl_mem adv_arg = adv ? adv : returns; /* never written when adv is NULL */
    if (lambda)
        return ocl_run(ctx, "rl", name, OCL_1D(n, 0),
                       OCL_ARGS(OCL_U(t), OCL_U(n), OCL_F(gamma), OCL_F(*lambda), OCL_M(rewards),
                                OCL_M(ended), OCL_M(boot), OCL_M(values), OCL_M(last),
                                OCL_M(returns), OCL_M(adv_arg), OCL_I(adv != NULL)));
    return ocl_run(ctx, "rl", name, OCL_1D(n, 0),
                   OCL_ARGS(OCL_U(t), OCL_U(n), OCL_F(gamma), OCL_M(rewards), OCL_M(ended),
                            OCL_M(boot), OCL_M(values), OCL_M(last), OCL_M(returns),
                            OCL_M(adv_arg), OCL_I(adv != NULL)));
}

clkfac_status clkfac_rl_nstep_returns(clkfac_context *ctx, size_t t, size_t n, float gamma,
                                      cl_mem rewards, cl_mem ended, cl_mem boot, cl_mem values,
                                      cl_mem last, cl_mem returns, cl_mem adv)
{
    return returns_launch(ctx, "rl_nstep", t, n, gamma, NULL, rewards, ended, boot, values, last,
                          returns, adv);
}

clkfac_status clkfac_rl_gae(clkfac_context *ctx, size_t t, size_t n, float gamma, float lambda,
                            cl_mem rewards, cl_mem ended, cl_mem boot, cl_mem values, cl_mem last,
                            cl_mem returns, cl_mem adv)
{
    return returns_launch(ctx, "rl_gae", t, n, gamma, &lambda, rewards, ended, boot, values,
                          last, returns, adv);
}
