/* Learning tests for ACKTR (label `learning`): CartPole-v1 reaches a mean return of 475 over 100
 * episodes within 500k steps, and Pendulum-v1 (Gaussian policy) beats -600 within 500k of the
 * allowed 1M steps, each for at least 2 of 3 fixed seeds. */
/* ctest-labels: learning device */
#include <stdio.h>
#include <stdlib.h>

#include "cli_support.h"
#include "harness.h"

static void learn(const char *env, const char *opts, long steps, double threshold)
{
    if (!cs_bin()) {
        print_message("SKIP: CLKFAC_BIN is not set (run under ctest)\n");
        skip();
    }
    TH_REQUIRE_DEVICE();
    int reached = 0;
    for (int seed = 1; seed <= 3; seed++) {
        char *d = cs_tempdir("acktr");
        char args[1024], out[8192], p[512];
        snprintf(args, sizeof args, "train --env %s --steps %ld --seed %d --quiet %s --out %s",
                 env, steps, seed, opts, d);
        int rc = cs_run(args, out, sizeof out);
        if (rc != 0) fail_msg("clkfac %s exited %d:\n%s", args, rc, out);
        snprintf(p, sizeof p, "%s/episodes.csv", d);
        double *ret, *ts, cross;
        size_t n = cs_read_episodes(p, &ret, &ts);
        double best = cs_best_window(ret, ts, n, 100, threshold, &cross);
        reached += cross >= 0;
        print_message("acktr %s seed %d (%s, %ld steps): best 100-episode mean %.1f; %s %.0f at "
                      "step %.0f\n", env, seed, opts, steps, best,
                      cross >= 0 ? "reached" : "never reached", threshold, cross);
        free(ret);
        free(ts);
        cs_rmtree(d);
        free(d);
    }
    if (reached < 2) fail_msg("%s: only %d of 3 seeds reached %.0f", env, reached, threshold);
}

static void test_acktr_cartpole(void **state)
{
    (void)state;
    learn("CartPole-v1", "--algo acktr --envs 8 --ent-coef 0", 500000, 475.0);
}

static void test_acktr_pendulum(void **state)
{
    (void)state;
    learn("Pendulum-v1", "--algo acktr --envs 8 --nsteps 8 --gamma 0.9 --ent-coef 0", 500000,
          -600.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_acktr_cartpole),
                                       cmocka_unit_test(test_acktr_pendulum)};
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
