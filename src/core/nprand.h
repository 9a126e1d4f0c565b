/* NumPy's legacy np.random.RandomState in C: MT19937 seeded like RandomState(seed), with the
 * legacy rand / randint / choice algorithms, so a game driven by it draws exactly the numbers
 * the MinAtar reference draws. Only what the pixel games use; bit-exact with NumPy 1.x/2.x. */
#ifndef CLKFAC_CORE_NPRAND_H
#define CLKFAC_CORE_NPRAND_H

#include <stdint.h>

#define CORE_NPRAND_N 624

/* int32/uint32 words only, so a game state holding one stays an array of 32-bit words. pos is
 * the index of the next word of mt to temper, 0..624 (624: regenerate before the next draw). */
typedef struct core_nprand {
    uint32_t mt[CORE_NPRAND_N];
    int32_t pos;
} core_nprand;

/* np.random.RandomState(seed) for an integer seed (init_genrand). */
void core_nprand_seed(core_nprand *r, uint32_t seed);
/* np.random.RandomState([key[0], ..., key[n-1]]) (init_by_array), n >= 1. */
void core_nprand_seed_array(core_nprand *r, const uint32_t *key, int n);
/* How clkfac's 64-bit seeds map to the reference: a seed below 2^32 is RandomState(seed); a
 * larger one is RandomState([low 32 bits, high 32 bits]), so every 64-bit seed has its own
 * stream and each one can be replayed in NumPy. */
void core_nprand_seed64(core_nprand *r, uint64_t seed);
/* One MT19937 output. */
uint32_t core_nprand_u32(core_nprand *r);
/* RandomState.rand(): 53-bit double in [0, 1) from two outputs (27 + 26 bits). */
double core_nprand_rand(core_nprand *r);
/* RandomState.randint(low, high) with the default int64 dtype: high exclusive, low < high
 * (low >= high returns low without drawing). Masked rejection: draws until (u & mask) <= range,
 * 32-bit draws when high - low - 1 fits 32 bits, else 64-bit draws (high word first). */
int64_t core_nprand_randint(core_nprand *r, int64_t low, int64_t high);
/* The index RandomState.choice(seq) draws for a sequence of n > 0 (replace, no p): randint(0, n). */
int64_t core_nprand_choice(core_nprand *r, int64_t n);
/* 1 when a restored state is usable: pos in 0..624 and the key not all zero (MT19937's fixed
 * point; only the top bit of mt[0] counts, as in the generator itself). */
int core_nprand_valid(const core_nprand *r);

#endif
