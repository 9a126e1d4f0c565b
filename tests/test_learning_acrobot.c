/* Learning tests on Acrobot-v1 (label `learning`): with no option but the algorithm
 * (data/presets.txt), A2C, ACKTR and TRPO each reach a 100-episode mean of -100 (random play:
 * -499; rl-zoo's published runs: -83 to -91) for at least 2 of 3 seeds, within 300k, 300k and
 * 150k steps (measured: A2C 118k and 124k; ACKTR 61k and 100k, seed 2 best -127; TRPO 41k and
 * 54k). */
/* ctest-labels: learning device */
#include "harness.h"
#include "learn.h"

static void test_a2c_acrobot(void **state)
{
    (void)state;
    learn_check("Acrobot-v1", "--algo a2c", 300000, -100.0);
}

static void test_acktr_acrobot(void **state)
{
    (void)state;
    learn_check("Acrobot-v1", "--algo acktr", 300000, -100.0);
}

static void test_trpo_acrobot(void **state)
{
    (void)state;
    learn_check("Acrobot-v1", "--algo trpo", 150000, -100.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a2c_acrobot),
        cmocka_unit_test(test_acktr_acrobot),
        cmocka_unit_test(test_trpo_acrobot),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
