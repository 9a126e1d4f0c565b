/* Learning test on pixels (label `learning`): ACKTR with the reference pixel-game network
 * (conv 16 3x3 + dense 128) on MinAtar Breakout clearly beats the random policy after a fixed
 * budget for at least 2 of 3 seeds. Random play scores 0.51 per episode (1000 episodes, all six
 * actions, sticky 0.1); "clearly" is a 100-episode mean of at least 1.5, three times that. */
/* ctest-labels: learning device */
#include <stdio.h>
#include <stdlib.h>

#include "cli_support.h"
#include "harness.h"

static void test_acktr_breakout(void **state)
{
    (void)state;
    if (!cs_bin()) {
        print_message("SKIP: CLKFAC_BIN is not set (run under ctest)\n");
        skip();
    }
    TH_REQUIRE_DEVICE();
    const char *opts = "--algo acktr";
    const long steps = 60000;
    int beat = 0;
    for (int seed = 1; seed <= 3; seed++) {
        char *d = cs_tempdir("breakout");
        char args[1024], out[8192], p[512];
        snprintf(args, sizeof args, "train --env MinAtar/Breakout-v1 --steps %ld --seed %d --quiet %s --out %s",
                 steps, seed, opts, d);
        int rc = cs_run(args, out, sizeof out);
        if (rc != 0) fail_msg("clkfac %s exited %d:\n%s", args, rc, out);
        snprintf(p, sizeof p, "%s/episodes.csv", d);
        double *ret, *ts;
        size_t n = cs_read_episodes(p, &ret, &ts);
        assert_true(n >= 100);
        double s = 0;
        for (size_t i = n - 100; i < n; i++) s += ret[i];
        double last = s / 100.0;
        beat += last >= 1.5;
        print_message("acktr Breakout seed %d (%s, %ld frames): last-100 mean %.2f (random 0.51)\n",
                      seed, opts, steps, last);
        free(ret);
        free(ts);
        cs_rmtree(d);
        free(d);
    }
    if (beat < 2) fail_msg("only %d of 3 seeds reached a last-100 mean of 1.5", beat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_acktr_breakout)};
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
