/* Learning test for ACKTR (label `learning`): CartPole-v1 reaches a mean return of 475 over 100
 * episodes within 500k steps for at least 2 of 3 fixed seeds. */
/* ctest-labels: learning device */
#include <stdio.h>
#include <stdlib.h>

#include "cli_support.h"
#include "harness.h"

static void test_acktr_cartpole(void **state)
{
    (void)state;
    if (!cs_bin()) {
        print_message("SKIP: CLKFAC_BIN is not set (run under ctest)\n");
        skip();
    }
    TH_REQUIRE_DEVICE();
    const char *opts = "--algo acktr --envs 8 --ent-coef 0";
    int reached = 0;
    for (int seed = 1; seed <= 3; seed++) {
        char *d = cs_tempdir("acktr");
        char args[1024], out[8192], p[512];
        snprintf(args, sizeof args, "train --env CartPole-v1 --steps 500k --seed %d --quiet %s --out %s",
                 seed, opts, d);
        int rc = cs_run(args, out, sizeof out);
        if (rc != 0) fail_msg("clkfac %s exited %d:\n%s", args, rc, out);
        snprintf(p, sizeof p, "%s/episodes.csv", d);
        double *ret, *ts, cross;
        size_t n = cs_read_episodes(p, &ret, &ts);
        double best = cs_best_window(ret, ts, n, 100, 475.0, &cross);
        reached += cross >= 0;
        print_message("acktr CartPole-v1 seed %d (%s): best 100-episode mean %.1f; %s 475 at step "
                      "%.0f\n", seed, opts, best, cross >= 0 ? "reached" : "never reached", cross);
        free(ret);
        free(ts);
        cs_rmtree(d);
        free(d);
    }
    if (reached < 2) fail_msg("only %d of 3 seeds reached 475", reached);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_acktr_cartpole)};
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
