/* The shared learning check (learn.h): 2 of 3 seeds must reach the threshold. */
#include "learn.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli_support.h"
#include "harness.h"

static int run_seed(const char *env, const char *opts, long steps, int seed, double threshold,
                    double *best, double *cross)
{
    char *d = cs_tempdir("learn");
    char args[1024], out[8192], p[512];
    snprintf(args, sizeof args, "train --env %s --steps %ld --seed %d --quiet %s --out %s", env,
             steps, seed, opts, d);
    int rc = cs_run(args, out, sizeof out);
    if (rc != 0) fail_msg("clkfac %s exited %d:\n%s", args, rc, out);
    snprintf(p, sizeof p, "%s/episodes.csv", d);
    double *ret, *ts;
    size_t n = cs_read_episodes(p, &ret, &ts);
    *best = cs_best_window(ret, ts, n, 100, threshold, cross);
    free(ret);
    free(ts);
    cs_rmtree(d);
    free(d);
    return *cross >= 0;
}

void learn_check(const char *env, const char *opts, long steps, double threshold)
{
    if (!cs_bin()) {
        print_message("SKIP: CLKFAC_BIN is not set (run under ctest)\n");
        skip();
    }
    TH_REQUIRE_DEVICE();
    int reached = 0;
    for (int seed = 1; seed <= 3; seed++) {
        double best, cross;
        reached += run_seed(env, opts, steps, seed, threshold, &best, &cross);
        print_message("%s seed %d (%s, %ld steps): best 100-episode mean %.1f; %s %.0f at step "
                      "%.0f\n",
                      env, seed, opts, steps, best, cross >= 0 ? "reached" : "never reached",
                      threshold, cross);
        if (reached == 2) break; /* 2 of 3 decided: the third seed adds nothing but time */
    }
    if (reached < 2) fail_msg("%s: only %d of 3 seeds reached %.0f", env, reached, threshold);
}
