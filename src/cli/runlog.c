/* Exit codes and messages for the run-folder module's training loop and policy reader (see
 * runlog.h). */
#include <stdio.h>

#include "app/app.h"
#include "cli/cli.h"
#include "cli/runlog.h"

int runlog_train(const runlog_spec *s, clkfac_context *ctx, clkfac_vecenv *env,
                 clkfac_agent *ag, runlog_result *res)
{
    clkfac_status st = runs_train(s, ctx, env, ag, res);
    if (!st) return CLI_OK;
    const char *what = res->failed ? res->failed : "training";
    cli_fail(what, st);
    int rc = app_train_exit_code(st, what);
    if (rc == CLI_DIVERGED)
        fprintf(stderr, "clkfac: training diverged at timestep %llu (exit 3); what the run "
                        "measured until then is in %s\n",
                (unsigned long long)res->timesteps, s->dir);
    return rc;
}

int runlog_policy_load(runlog_policy *p, const char *dir)
{
    clkfac_status st = runs_policy_load(p, dir);
    if (st == CLKFAC_ERR_NO_MEMORY) return cli_fail("policy", st);
    if (st) return cli_usage_error("%s", clkfac_last_error());
    return CLI_OK;
}
