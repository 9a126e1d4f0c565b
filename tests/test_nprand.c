/* core_nprand against numbers NumPy's legacy RandomState drew (tests/diff/nprand_expected.h,
 * made by tests/diff/gen_nprand.py): raw MT19937 outputs, rand(), randint over ranges that take
 * the 32-bit and the 64-bit masked-rejection paths, choice, across regenerations, for 32-bit
 * seeds and 64-bit ones (seeded as RandomState([low, high])); plus the
 * algorithms' structure on hand-made states and the restored-state check. */
/* ctest-labels: unit */
#include <stdio.h>
#include <string.h>

#include "harness.h"

#include "core/nprand.h"
#include "diff/nprand_expected.h"

#define N_SEEDS (sizeof nprand_seeds / sizeof nprand_seeds[0])
#define N_CALLS (sizeof nprand_script / sizeof nprand_script[0])

static uint64_t run_call(core_nprand *r, size_t i)
{
    int64_t lo = nprand_script[i].low, hi = nprand_script[i].high;
    switch (nprand_script[i].op) {
    case 0: return core_nprand_u32(r);
    case 1: {
        double d = core_nprand_rand(r);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return bits;
    }
    case 2: return (uint64_t)core_nprand_randint(r, lo, hi);
    default: return (uint64_t)core_nprand_choice(r, hi);
    }
}

static void test_matches_numpy(void **state)
{
    (void)state;
    for (size_t s = 0; s < N_SEEDS; s++) {
        core_nprand r;
        core_nprand_seed64(&r, nprand_seeds[s]);
        assert_true(core_nprand_valid(&r));
        for (size_t i = 0; i < N_CALLS; i++) {
            uint64_t got = run_call(&r, i);
            if (got != nprand_expected[s][i]) {
                print_error("seed %llu call %zu (op %d, %lld..%lld): got 0x%llx, NumPy 0x%llx\n",
                            (unsigned long long)nprand_seeds[s], i, nprand_script[i].op,
                            (long long)nprand_script[i].low, (long long)nprand_script[i].high,
                            (unsigned long long)got, (unsigned long long)nprand_expected[s][i]);
                fail();
            }
        }
    }
}


/* A state whose next outputs are known: the last n key words, untempered, with pos on them. */
static void plant(core_nprand *r, const uint32_t *outs, int n)
{
    core_nprand_seed(r, 5);
    /* Find words whose tempered value is outs[k] by inverting each tempering step exactly. */
    for (int k = 0; k < n; k++) {
        uint32_t y = outs[k];
        y ^= y >> 18;                           /* inverse of y ^= y >> 18 (self-inverse) */
        y ^= (y << 15) & 0xefc60000u;           /* self-inverse: the mask's low 15 bits are 0 */
        uint32_t x = y;                         /* inverse of y ^= (y << 7) & mask */
        for (int i = 0; i < 5; i++) x = y ^ ((x << 7) & 0x9d2c5680u);
        y = x;
        x = y;                                  /* inverse of y ^= y >> 11 */
        for (int i = 0; i < 3; i++) x = y ^ (x >> 11);
        r->mt[CORE_NPRAND_N - n + k] = x;
    }
    r->pos = CORE_NPRAND_N - n;
}

static void test_algorithm_structure(void **state)
{
    (void)state;
    core_nprand r;
    /* randint(0, 10): mask 15, so 10..15 are rejected and the next draw is taken. */
    uint32_t rej[] = {0xfffffffau /* &15 = 10: reject */, 0x0000000fu /* 15: reject */,
                      0x12345677u /* 7 */};
    plant(&r, rej, 3);
    assert_int_equal(core_nprand_randint(&r, 0, 10), 7);
    /* randint(-3, -2) has one value and draws nothing. */
    plant(&r, rej, 3);
    assert_int_equal(core_nprand_randint(&r, -3, -2), -3);
    assert_int_equal(r.pos, CORE_NPRAND_N - 3);
    /* rand(): the top 27 bits of the first output and the top 26 of the second. */
    uint32_t two[] = {0xffffffffu, 0xffffffffu};
    plant(&r, two, 2);
    assert_true(core_nprand_rand(&r) == 9007199254740991.0 / 9007199254740992.0);
    uint32_t lowbits[] = {0x0000001fu, 0x0000003fu};
    plant(&r, lowbits, 2);
    assert_true(core_nprand_rand(&r) == 0.0);
    /* A 64-bit range takes two outputs, the first as the high word. */
    uint32_t wide[] = {0x00000001u, 0x00000002u};
    plant(&r, wide, 2);
    assert_int_equal(core_nprand_randint(&r, 0, (INT64_C(1) << 33) + 1), (INT64_C(1) << 32) + 2);
    /* choice over n is randint(0, n). */
    uint32_t c[] = {0x00000002u};
    plant(&r, c, 1);
    assert_int_equal(core_nprand_choice(&r, 3), 2);
}

static void test_valid(void **state)
{
    (void)state;
    core_nprand r;
    core_nprand_seed(&r, 0);
    assert_true(core_nprand_valid(&r));
    r.pos = -1;
    assert_false(core_nprand_valid(&r));
    r.pos = CORE_NPRAND_N + 1;
    assert_false(core_nprand_valid(&r));
    r.pos = 0;
    memset(r.mt, 0, sizeof r.mt);
    assert_false(core_nprand_valid(&r));
    r.mt[0] = 0x7fffffffu; /* only the top bit of word 0 enters the recurrence */
    assert_false(core_nprand_valid(&r));
    r.mt[0] = 0x80000000u;
    assert_true(core_nprand_valid(&r));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_numpy),
        cmocka_unit_test(test_algorithm_structure),
        cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
