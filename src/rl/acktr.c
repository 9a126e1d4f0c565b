/* ACKTR — being written (issue 4); until then creating a TRPO agent
 * fails with CLKFAC_ERR_UNSUPPORTED. */
#include "rl/agent_internal.h"

clkfac_status acktr_create(clkfac_agent *ag)
{
    (void)ag;
    return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "algorithm 'acktr' is not built yet");
}

clkfac_status acktr_update(clkfac_agent *ag, float lr)
{
    (void)ag;
    (void)lr;
    return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "algorithm 'acktr' is not built yet");
}

void acktr_free(clkfac_agent *ag) { (void)ag; }
