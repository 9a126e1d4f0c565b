/* MT19937 (Matsumoto & Nishimura) and the legacy NumPy sampling on top of it: the double built
 * from two outputs and the masked rejection sampler behind RandomState.randint. Written from the
 * algorithms' published descriptions; tests/test_nprand.c checks it against NumPy's numbers. */
#include "core/nprand.h"

#define MT_M 397
#define MT_UPPER 0x80000000u
#define MT_LOWER 0x7fffffffu
#define MT_MATRIX 0x9908b0dfu

void core_nprand_seed(core_nprand *r, uint32_t seed)
{
    r->mt[0] = seed;
    for (uint32_t i = 1; i < CORE_NPRAND_N; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + i;
    r->pos = CORE_NPRAND_N;
}

void core_nprand_seed_array(core_nprand *r, const uint32_t *key, int n)
{
    uint32_t *mt = r->mt;
    core_nprand_seed(r, 19650218u);
    int i = 1, j = 0;
    for (int k = CORE_NPRAND_N > n ? CORE_NPRAND_N : n; k > 0; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
        i++;
        j++;
        if (i >= CORE_NPRAND_N) {
            mt[0] = mt[CORE_NPRAND_N - 1];
            i = 1;
        }
        if (j >= n) j = 0;
    }
    for (int k = CORE_NPRAND_N - 1; k > 0; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        i++;
        if (i >= CORE_NPRAND_N) {
            mt[0] = mt[CORE_NPRAND_N - 1];
            i = 1;
        }
    }
    mt[0] = 0x80000000u; /* the key is never all zero */
    r->pos = CORE_NPRAND_N;
}

void core_nprand_seed64(core_nprand *r, uint64_t seed)
{
    if (seed <= 0xffffffffu) {
        core_nprand_seed(r, (uint32_t)seed);
        return;
    }
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    core_nprand_seed_array(r, key, 2);
}

static void regenerate(core_nprand *r)
{
    uint32_t *mt = r->mt;
    for (int i = 0; i < CORE_NPRAND_N; i++) {
        uint32_t y = (mt[i] & MT_UPPER) | (mt[(i + 1) % CORE_NPRAND_N] & MT_LOWER);
        mt[i] = mt[(i + MT_M) % CORE_NPRAND_N] ^ (y >> 1) ^ ((y & 1u) ? MT_MATRIX : 0u);
    }
    r->pos = 0;
}

uint32_t core_nprand_u32(core_nprand *r)
{
    if (r->pos >= CORE_NPRAND_N) regenerate(r);
    uint32_t y = r->mt[r->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

double core_nprand_rand(core_nprand *r)
{
    uint32_t a = core_nprand_u32(r) >> 5;
    uint32_t b = core_nprand_u32(r) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

/* Smallest 2^k - 1 >= v. */
static uint64_t mask_for(uint64_t v)
{
    uint64_t m = v;
    m |= m >> 1;
    m |= m >> 2;
    m |= m >> 4;
    m |= m >> 8;
    m |= m >> 16;
    m |= m >> 32;
    return m;
}

int64_t core_nprand_randint(core_nprand *r, int64_t low, int64_t high)
{
    if (low >= high) return low;
    uint64_t range = (uint64_t)high - (uint64_t)low - 1u; /* inclusive span, as NumPy has it */
    if (range == 0) return low;                            /* NumPy draws nothing here */
    uint64_t mask = mask_for(range);
    uint64_t v;
    if (range <= 0xffffffffu) {
        do {
            v = core_nprand_u32(r) & mask;
        } while (v > range);
    } else {
        do {
            uint64_t hi = core_nprand_u32(r);
            v = ((hi << 32) | core_nprand_u32(r)) & mask;
        } while (v > range);
    }
    return (int64_t)((uint64_t)low + v);
}

int64_t core_nprand_choice(core_nprand *r, int64_t n)
{
    return core_nprand_randint(r, 0, n);
}

int core_nprand_valid(const core_nprand *r)
{
    if (r->pos < 0 || r->pos > CORE_NPRAND_N) return 0;
    if (r->mt[0] & MT_UPPER) return 1;
    for (int i = 1; i < CORE_NPRAND_N; i++)
        if (r->mt[i]) return 1;
    return 0;
}
