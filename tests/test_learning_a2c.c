/* Learning tests for A2C (label `learning`): CartPole-v1 reaches a mean return of 475 over 100
 * episodes within 500k steps, and Pendulum-v1 beats -600 within 1M steps, each for at least 2 of
 * 3 fixed seeds (measured: 475 at 292k-323k steps; Pendulum best about -160), with no option
 * but the algorithm (data/presets.txt: 8 envs, lr 1e-3; Pendulum 8 x 8 steps, gamma 0.9). */
/* ctest-labels: learning device */
#include "harness.h"
#include "learn.h"

static void test_a2c_cartpole(void **state)
{
    (void)state;
    learn_check("CartPole-v1", "--algo a2c", 500000, 475.0);
}

static void test_a2c_pendulum(void **state)
{
    (void)state;
    learn_check("Pendulum-v1", "--algo a2c", 1000000, -600.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a2c_cartpole),
        cmocka_unit_test(test_a2c_pendulum),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
