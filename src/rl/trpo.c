/* TRPO with conjugate gradient — being written (issue 4); until then creating a TRPO agent
 * fails with CLKFAC_ERR_UNSUPPORTED. */
#include "rl/agent_internal.h"

clkfac_status trpo_create(clkfac_agent *ag)
{
    (void)ag;
    return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "algorithm 'trpo' is not built yet");
}

clkfac_status trpo_update(clkfac_agent *ag)
{
    (void)ag;
    return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "algorithm 'trpo' is not built yet");
}

void trpo_free(clkfac_agent *ag) { (void)ag; }
