/* The command line's side of a run folder: the run-folder module (report/runs.h) trains and
 * writes and reads the files; these wrappers turn its statuses into exit codes and messages for
 * `clkfac train` and `clkfac env --policy`. */
#ifndef CLKFAC_CLI_RUNLOG_H
#define CLKFAC_CLI_RUNLOG_H

#include "report/runs.h"

typedef runs_spec runlog_spec;
typedef runs_result runlog_result;
typedef runs_policy runlog_policy;

/* runs_train; a process exit code (message printed): 3 when training diverged. */
int runlog_train(const runlog_spec *spec, clkfac_context *ctx, clkfac_vecenv *env,
                 clkfac_agent *ag, runlog_result *res);

/* runs_policy_load; a process exit code (message printed: a missing or corrupt file, a wrong
 * count or a non-finite parameter is a usage error naming it). */
int runlog_policy_load(runlog_policy *p, const char *dir);

#endif
