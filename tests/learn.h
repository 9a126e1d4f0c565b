/* Learning checks shared by the `learning` tests: train with the clkfac program for seeds 1..3
 * and require that at least 2 of them reach a threshold with the mean of 100 consecutive
 * episodes; each seed's best mean and crossing step are printed. */
#ifndef CLKFAC_TEST_LEARN_H
#define CLKFAC_TEST_LEARN_H

/* opts: the train options besides --env/--steps/--seed/--out; the learning tests give only
 * "--algo A": the defaults must learn (data/presets.txt fills the rest).
 * Skips with a printed reason without CLKFAC_BIN or a device; stops once 2 seeds reached. */
void learn_check(const char *env, const char *opts, long steps, double threshold);

#endif
