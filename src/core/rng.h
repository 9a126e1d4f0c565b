/* Internal random number generator: xoshiro256** seeded through splitmix64. Every object that
 * needs randomness (an environment, a rollout) owns one of these, so there is no global stream
 * and a given seed reproduces the same numbers on every platform. */
#ifndef CLKFAC_CORE_RNG_H
#define CLKFAC_CORE_RNG_H

#include <stdint.h>

typedef struct core_rng {
    uint64_t s[4]; /* never all zero (the one fixed point of xoshiro) */
} core_rng;

/* Expands a 64-bit seed into the 256-bit state; adjacent seeds give unrelated streams. */
void core_rng_seed(core_rng *r, uint64_t seed);
uint64_t core_rng_next(core_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double core_rng_uniform(core_rng *r);
/* Uniform double in [lo, hi). */
double core_rng_range(core_rng *r, double lo, double hi);
/* Uniform integer in [0, n) without modulo bias; 0 when n == 0. */
uint64_t core_rng_below(core_rng *r, uint64_t n);
/* Standard normal (Box-Muller, one draw per call so the state stays just s[4]). */
double core_rng_normal(core_rng *r);
/* 1 when the state is usable (not all zero), for validating restored states. */
int core_rng_valid(const core_rng *r);

#endif
