/* Learning test on MuJoCo/InvertedPendulum-v1 (label `learning`): with no option but the
 * algorithm (data/presets.txt: separate tanh 64x64 actor and critic, 8 envs x 64 steps, the
 * step size adapted to a mean KL of 0.002), ACKTR reaches a 100-episode mean of 950 (the
 * maximum is 1000; random play: about 5) for at least 2 of 3 seeds within 250k steps (measured:
 * seed 2 at 218k, seed 3 at 170k; seed 1's best 100-episode mean 790; about 40 s a seed on an
 * idle 2-core CPU). Skips with the reason when the MuJoCo tasks are not built in. */
/* ctest-labels: learning device */
#include "harness.h"
#include "learn.h"

static void test_acktr_inverted_pendulum(void **state)
{
    (void)state;
    if (clkfac_env_missing()) {
        print_message("SKIP: %s\n", clkfac_env_missing());
        skip();
    }
    learn_check("MuJoCo/InvertedPendulum-v1", "--algo acktr", 250000, 950.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acktr_inverted_pendulum),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
