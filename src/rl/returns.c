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
    cl_kernel k;
    clkfac_status st = ocl_kernel(ctx, "rl", name, &k);
    if (st) return st;
    cl_uint T = (cl_uint)t, N = (cl_uint)n, a = 0;
    cl_int want = adv != NULL;
    cl_mem adv_arg = adv ? adv : returns; /* never written when want == 0 */
    if ((st = OCL_ARG(k, a++, T)) || (st = OCL_ARG(k, a++, N)) || (st = OCL_ARG(k, a++, gamma)))
        return st;
    if (lambda && (st = OCL_ARG(k, a++, *lambda))) return st;
    if ((st = OCL_ARG(k, a++, rewards)) || (st = OCL_ARG(k, a++, ended)) ||
        (st = OCL_ARG(k, a++, boot)) || (st = OCL_ARG(k, a++, values)) ||
        (st = OCL_ARG(k, a++, last)) || (st = OCL_ARG(k, a++, returns)) ||
        (st = OCL_ARG(k, a++, adv_arg)) || (st = OCL_ARG(k, a++, want)))
        return st;
    return ocl_launch(ctx, k, 1, &n, NULL);
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
