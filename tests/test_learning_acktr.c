/* Learning tests for ACKTR (label `learning`): CartPole-v1 reaches a mean return of 475 over 100
 * episodes within 500k steps (measured: 363k-439k), and Pendulum-v1 (Gaussian policy) beats -600
 * within 500k of the allowed 1M steps (measured: 109k-128k), each for at least 2 of 3 seeds,
 * with no option but the algorithm (data/presets.txt). */
/* ctest-labels: learning device */
#include "harness.h"
#include "learn.h"

static void test_acktr_cartpole(void **state)
{
    (void)state;
    learn_check("CartPole-v1", "--algo acktr", 500000, 475.0);
}

static void test_acktr_pendulum(void **state)
{
    (void)state;
    learn_check("Pendulum-v1", "--algo acktr", 500000, -600.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acktr_cartpole),
        cmocka_unit_test(test_acktr_pendulum),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
