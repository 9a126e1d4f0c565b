/* Learning tests for A2C (label `learning`): CartPole-v1 reaches a mean return of 475 over 100
 * episodes within 500k steps, and Pendulum-v1 beats -600 within 1M steps, each for at least 2 of
 * 3 fixed seeds. Runs the clkfac program; the settings are printed with the results. */
/* ctest-labels: learning device */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void learn(const char *env, const char *opts, long steps, double threshold)
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
        print_message("a2c %s seed %d (%s, %ld steps): best 100-episode mean %.1f; %s %.0f at "
                      "step %.0f\n",
                      env, seed, opts, steps, best, cross >= 0 ? "reached" : "never reached",
                      threshold, cross);
    }
    if (reached < 2) fail_msg("%s: only %d of 3 seeds reached %.0f", env, reached, threshold);
}

static void test_a2c_cartpole(void **state)
{
    (void)state;
    learn("CartPole-v1", "--envs 8 --lr 1e-3", 500000, 475.0);
}

static void test_a2c_pendulum(void **state)
{
    (void)state;
    learn("Pendulum-v1", "--envs 8 --nsteps 8 --gamma 0.9 --ent-coef 0 --lr 3e-3", 1000000, -600.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a2c_cartpole),
        cmocka_unit_test(test_a2c_pendulum),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
