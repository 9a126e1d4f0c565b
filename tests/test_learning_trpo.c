/* Learning tests for TRPO (label `learning`): CartPole-v1 reaches a mean return of 475 over 100
 * episodes (budget 200k steps, inside the 500k the target allows), and Pendulum-v1 beats -600
 * (budget 200k, inside 1M; it crossed near 50k in trials),
 * each for at least 2 of 3 fixed seeds. Runs the clkfac program; the settings are printed with
 * the results. No option but the algorithm: data/presets.txt gives batch 16 envs x 64 steps =
 * 1024 and max_kl 0.01 (the MuJoCo reference). */
/* ctest-labels: learning device */
#include "harness.h"
#include "learn.h"

static void test_trpo_cartpole(void **state)
{
    (void)state;
    learn_check("CartPole-v1", "--algo trpo", 200000, 475.0);
}

static void test_trpo_pendulum(void **state)
{
    (void)state;
    learn_check("Pendulum-v1", "--algo trpo", 200000, -600.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trpo_cartpole),
        cmocka_unit_test(test_trpo_pendulum),
    };
    return cmocka_run_group_tests(tests, th_group_setup, th_group_teardown);
}
