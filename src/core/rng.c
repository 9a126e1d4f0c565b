/* xoshiro256** (Blackman & Vigna) with splitmix64 seeding: small state, fast, and good enough
 * statistically for environment starts, exploration noise and weight initialisation. */
#include "core/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void core_rng_seed(core_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    /* splitmix64 is a bijection of its counter, so four zero outputs in a row cannot happen;
     * the guard only documents the invariant. */
    if (!core_rng_valid(r)) r->s[0] = 1;
}

uint64_t core_rng_next(core_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double core_rng_uniform(core_rng *r)
{
    return (double)(core_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double core_rng_range(core_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * core_rng_uniform(r);
}

uint64_t core_rng_below(core_rng *r, uint64_t n)
{
    if (n == 0) return 0;
    /* Reject the top partial block so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do {
        x = core_rng_next(r);
    } while (x >= limit);
    return x % n;
}

double core_rng_normal(core_rng *r)
{
    double u1 = 1.0 - core_rng_uniform(r); /* (0, 1]: log stays finite */
    double u2 = core_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int core_rng_valid(const core_rng *r)
{
    return (r->s[0] | r->s[1] | r->s[2] | r->s[3]) != 0;
}
