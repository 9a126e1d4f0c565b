/* The MuJoCo pixel tasks (MuJoCo/...Pixels-v1): spaces and limits against the state tasks; the
 * observation equal to clkfac_env_render_gray's pictures of the current and past states, stacked
 * oldest first and shifted by each step; rewards, terminations, truncations and physics equal to
 * the state task's for the same seed and actions; determinism; the state bytes (frame stack
 * included) continuing bit-exactly; bad input refused; the targets visible; and a vector env that
 * steps and round-trips its state without a single heap allocation (every malloc of the process
 * counted). Without libmujoco the tests skip with the reason. */
/* ctest-labels: unit */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "envs/mujoco.h"
#include "harness.h"
#include "test_mujoco_util.h"

#define SIDE ENV_MJ_PIX_SIDE
#define FRAMES ENV_MJ_PIX_FRAMES
#define FRAME (SIDE * SIDE)
#define STACK (FRAMES * FRAME)

/* ---- every allocation of the process counted (not under a sanitizer, which owns malloc) ---- */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                     \
    __has_feature(memory_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#if !defined(COUNT_ALLOCS) && defined(__GLIBC__)
#define COUNT_ALLOCS 1
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 0
#endif

#if COUNT_ALLOCS
/* glibc's own entry points; the definitions below take the place of malloc and friends for the
 * whole process (libmujoco, cairo and pixman included), and count while `counting` is set. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
static volatile int counting;
static volatile long n_allocs;

void *malloc(size_t n)
{
    if (counting) n_allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
    if (counting) n_allocs++;
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
    if (counting) n_allocs++;
    return __libc_realloc(p, n);
}
void *aligned_alloc(size_t align, size_t n)
{
    if (counting) n_allocs++;
    return __libc_memalign(align, n);
}
int posix_memalign(void **out, size_t align, size_t n)
{
    if (counting) n_allocs++;
    void *p = __libc_memalign(align, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}
#endif

/* ---- helpers -------------------------------------------------------------------------------- */

static const struct {
    const char *pix, *state;
} pairs[] = {
    {"MuJoCo/InvertedPendulumPixels-v1", "MuJoCo/InvertedPendulum-v1"},
    {"MuJoCo/ReacherPixels-v1", "MuJoCo/Reacher-v1"},
    {"MuJoCo/HalfCheetahPixels-v1", "MuJoCo/HalfCheetah-v1"},
};
#define N_PAIRS (sizeof pairs / sizeof pairs[0])

static const mjr_spec *spec_of(const clkfac_env *e)
{
    return mjr_spec_of((mjr_task)env_mujoco_task(e));
}

/* The current picture as the observation holds it (gray / 255). */
static void picture(const clkfac_env *e, float *out)
{
    unsigned char g[FRAME];
    TH_OK(clkfac_env_render_gray(e, SIDE, SIDE, g));
    for (int i = 0; i < FRAME; i++) out[i] = (float)g[i] / 255.0f;
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* Listed; pictures as the observation (frames, rows, columns as the pixel games' channels, rows,
 * columns) in [0, 1]; the state task's actions, limit and task; the state bytes grow by exactly
 * the frame stack. */
static void test_spaces_and_limits(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    size_t n = 0;
    const char *const *ids = clkfac_env_ids(&n);
    for (size_t p = 0; p < N_PAIRS; p++) {
        int listed = 0;
        for (size_t i = 0; i < n; i++) listed |= !strcmp(ids[i], pairs[p].pix);
        assert_true(listed);
        clkfac_env *a = make(pairs[p].pix, 1), *b = make(pairs[p].state, 1);
        const clkfac_space *os = clkfac_env_observation_space(a);
        assert_int_equal(os->kind, CLKFAC_SPACE_BOX);
        assert_int_equal(os->ndim, 3);
        assert_int_equal(os->dims[0], FRAMES);
        assert_int_equal(os->dims[1], SIDE);
        assert_int_equal(os->dims[2], SIDE);
        assert_int_equal(os->size, STACK);
        for (size_t i = 0; i < os->size; i++) {
            assert_true(os->low[i] == 0.0f);
            assert_true(os->high[i] == 1.0f);
        }
        const clkfac_space *as = clkfac_env_action_space(a), *bs = clkfac_env_action_space(b);
        assert_int_equal(as->size, bs->size);
        assert_memory_equal(as->low, bs->low, as->size * sizeof(float));
        assert_memory_equal(as->high, bs->high, as->size * sizeof(float));
        assert_int_equal(clkfac_env_max_steps(a), clkfac_env_max_steps(b));
        assert_int_equal(env_mujoco_task(a), env_mujoco_task(b));
        assert_true(env_mujoco_pixels(a));
        assert_false(env_mujoco_pixels(b));
        assert_int_equal(clkfac_env_state_size(a), clkfac_env_state_size(b) + STACK);
        clkfac_env_free(a);
        clkfac_env_free(b);
    }
}

/* After a reset every frame is the reset state's picture; after step t frame k (oldest first)
 * is the picture of the state after step t - (FRAMES - 1 - k), the reset picture standing in
 * for steps before the first. Checked over 7 steps, so every frame shifts all the way through,
 * and on two resets (the second mid-episode, which must clear the older frames). */
static void test_observation_is_stacked_pictures(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    enum { T = 7 };
    float *obs = malloc(STACK * sizeof(float));
    float *hist = malloc((T + 1) * FRAME * sizeof(float)); /* picture after step t, t = 0: reset */
    assert_non_null(obs && hist);
    for (size_t p = 0; p < N_PAIRS; p++) {
        clkfac_env *e = make(pairs[p].pix, 5);
        const mjr_spec *s = spec_of(e);
        th_rng r = {11};
        float a[MJR_MAX_NU];
        for (int round = 0; round < 2; round++) {
            TH_OK(clkfac_env_reset(e, obs));
            picture(e, hist);
            for (int k = 0; k < FRAMES; k++)
                assert_memory_equal(obs + k * FRAME, hist, FRAME * sizeof(float));
            int lit = 0;
            for (int i = 0; i < FRAME; i++) lit += hist[i] > 0.2f;
            assert_true(lit > 20); /* something is drawn, else the comparisons prove little */
            for (int t = 1; t <= T; t++) {
                random_action(&r, s, a);
                for (int i = 0; i < s->nu; i++) a[i] *= 0.2f; /* the pendulum stays up */
                clkfac_step_result res;
                TH_OK(clkfac_env_step(&res, e, a, obs));
                assert_false(res.terminated || res.truncated); /* 7 steps from a reset */
                picture(e, hist + t * FRAME);
                for (int k = 0; k < FRAMES; k++) {
                    int src = t - (FRAMES - 1 - k);
                    if (src < 0) src = 0;
                    if (memcmp(obs + k * FRAME, hist + src * FRAME, FRAME * sizeof(float)))
                        fail_msg("%s: after step %d frame %d is not the picture of step %d",
                                 pairs[p].pix, t, k, src);
                }
                /* the frames differ as the state moves (so the order is tested, not assumed) */
                if (t == T)
                    assert_memory_not_equal(hist, hist + T * FRAME, FRAME * sizeof(float));
            }
            /* clkfac_env_observe gives the same stack */
            float *again = malloc(STACK * sizeof(float));
            assert_non_null(again);
            TH_OK(clkfac_env_observe(e, again));
            assert_memory_equal(obs, again, STACK * sizeof(float));
            free(again);
        }
        clkfac_env_free(e);
    }
    free(obs);
    free(hist);
}

/* The same seed and actions on the pixel and the state task: the same rewards, terminations,
 * truncations and physics (qpos, qvel, extras) at every step over 1100 steps with resets (each
 * task ends an episode in that many: the pendulum falls, Reacher and HalfCheetah truncate). */
static void test_same_dynamics_as_state_task(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    float *po = malloc(STACK * sizeof(float));
    assert_non_null(po);
    for (size_t p = 0; p < N_PAIRS; p++) {
        clkfac_env *a = make(pairs[p].pix, 42), *b = make(pairs[p].state, 42);
        const mjr_spec *s = spec_of(a);
        float so[MJR_MAX_OBS], act[MJR_MAX_NU];
        double qa[MJR_MAX_NQ], qb[MJR_MAX_NQ], va[MJR_MAX_NV], vb[MJR_MAX_NV];
        double xa[MJR_MAX_EXT], xb[MJR_MAX_EXT];
        TH_OK(clkfac_env_reset(a, po));
        TH_OK(clkfac_env_reset(b, so));
        th_rng r = {3};
        int episodes = 0;
        for (int k = 0; k < 1100; k++) {
            TH_OK(env_mujoco_get(a, qa, va, xa));
            TH_OK(env_mujoco_get(b, qb, vb, xb));
            assert_memory_equal(qa, qb, (size_t)s->nq * sizeof(double));
            assert_memory_equal(va, vb, (size_t)s->nv * sizeof(double));
            assert_memory_equal(xa, xb, (size_t)s->n_ext * sizeof(double));
            random_action(&r, s, act);
            clkfac_step_result ra, rb;
            TH_OK(clkfac_env_step(&ra, a, act, po));
            TH_OK(clkfac_env_step(&rb, b, act, so));
            assert_true(ra.reward == rb.reward);
            assert_int_equal(ra.terminated, rb.terminated);
            assert_int_equal(ra.truncated, rb.truncated);
            assert_int_equal(ra.steps, rb.steps);
            if (ra.terminated || ra.truncated) {
                episodes++;
                TH_OK(clkfac_env_reset(a, po));
                TH_OK(clkfac_env_reset(b, so));
            }
        }
        assert_true(episodes >= 1); /* resets (and their draws) are compared too */
        clkfac_env_free(a);
        clkfac_env_free(b);
    }
    free(po);
}

/* Steps n random actions (action stream seed), resetting at episode ends; writes every
 * observation and reward. */
static void run(clkfac_env *e, uint64_t seed, int n, float *obs, double *rew)
{
    const mjr_spec *s = spec_of(e);
    th_rng r = {seed};
    float a[MJR_MAX_NU];
    for (int k = 0; k < n; k++) {
        random_action(&r, s, a);
        clkfac_step_result res;
        TH_OK(clkfac_env_step(&res, e, a, obs + (size_t)k * STACK));
        rew[k] = res.reward + 1000.0 * res.terminated + 2000.0 * res.truncated;
        if (res.terminated || res.truncated) TH_OK(clkfac_env_reset(e, obs + (size_t)k * STACK));
    }
}

/* Same seed: the same bits; another seed: another start. State bytes taken mid-episode continue
 * bit-exactly in a fresh env (the frame stack with them: the first observation after the restore
 * holds the pictures from before it); corrupted bytes, a state task's bytes and a wrong size are
 * refused and leave the env as it was. */
static void test_determinism_and_state_roundtrip(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    enum { T = 120 };
    float *oa = malloc((size_t)T * STACK * sizeof(float)), *ob = malloc((size_t)T * STACK * sizeof(float));
    float *o1 = malloc(STACK * sizeof(float)), *o2 = malloc(STACK * sizeof(float));
    double ra[T], rb[T];
    assert_non_null(oa && ob && o1 && o2);
    for (size_t p = 0; p < N_PAIRS; p++) {
        clkfac_env *a = make(pairs[p].pix, 7), *b = make(pairs[p].pix, 7), *c = make(pairs[p].pix, 8);
        TH_OK(clkfac_env_reset(a, o1));
        TH_OK(clkfac_env_reset(b, o2));
        assert_memory_equal(o1, o2, STACK * sizeof(float));
        run(a, 1, T, oa, ra);
        run(b, 1, T, ob, rb);
        assert_memory_equal(oa, ob, (size_t)T * STACK * sizeof(float));
        assert_memory_equal(ra, rb, sizeof ra);
        TH_OK(clkfac_env_reset(c, o2));
        TH_OK(clkfac_env_reset(a, o1));
        TH_OK(clkfac_env_reset(b, o1));
        /* Reacher and the pendulum start within millimetres of the same pose, which can draw the
         * same picture; their seeds still part the physics */
        double qa[MJR_MAX_NQ], qc[MJR_MAX_NQ];
        TH_OK(env_mujoco_get(a, qa, NULL, NULL));
        TH_OK(env_mujoco_get(c, qc, NULL, NULL));
        assert_memory_not_equal(qa, qc, (size_t)spec_of(a)->nq * sizeof(double));

        /* three steps in, so the stack holds different frames, then the bytes */
        run(a, 5, 3, oa, ra);
        size_t size = clkfac_env_state_size(a);
        unsigned char *buf = malloc(size), *bad = malloc(size), *now = malloc(size),
                      *after = malloc(size);
        assert_non_null(buf && bad && now && after);
        TH_OK(clkfac_env_get_state(a, buf, size));
        TH_OK(clkfac_env_observe(a, o1));
        assert_memory_not_equal(o1, o1 + 3 * FRAME, FRAME * sizeof(float));
        run(a, 2, T, oa, ra);
        TH_OK(clkfac_env_set_state(c, buf, size));
        TH_OK(clkfac_env_observe(c, o2));
        assert_memory_equal(o1, o2, STACK * sizeof(float));
        run(c, 2, T, ob, rb);
        assert_memory_equal(oa, ob, (size_t)T * STACK * sizeof(float));
        assert_memory_equal(ra, rb, sizeof ra);

        TH_OK(clkfac_env_get_state(c, now, size));
        for (size_t i = 0; i < size; i += 97) {
            memcpy(bad, buf, size);
            bad[i] ^= 0x10;
            assert_int_equal(clkfac_env_set_state(c, bad, size), CLKFAC_ERR_FORMAT);
        }
        assert_int_equal(clkfac_env_set_state(c, buf, size - 1), CLKFAC_ERR_FORMAT);
        assert_non_null(strstr(clkfac_last_error(), "bytes"));
        clkfac_env *st = make(pairs[p].state, 7);
        size_t ss = clkfac_env_state_size(st);
        unsigned char *sbuf = malloc(ss);
        assert_non_null(sbuf);
        TH_OK(clkfac_env_get_state(st, sbuf, ss));
        assert_int_equal(clkfac_env_set_state(c, sbuf, ss), CLKFAC_ERR_FORMAT);
        TH_OK(clkfac_env_get_state(c, after, size));
        assert_memory_equal(now, after, size);
        free(sbuf);
        clkfac_env_free(st);
        free(buf);
        free(bad);
        free(now);
        free(after);
        clkfac_env_free(a);
        clkfac_env_free(b);
        clkfac_env_free(c);
    }
    free(oa);
    free(ob);
    free(o1);
    free(o2);
}

/* Bad input: a non-finite action (named), stepping before a reset or after the end, a state
 * buffer too small, NULL arguments, a picture size out of range. */
static void test_bad_input(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    float *obs = malloc(STACK * sizeof(float));
    assert_non_null(obs);
    clkfac_env *e = make("MuJoCo/ReacherPixels-v1", 1);
    clkfac_step_result res;
    float a[2] = {0.1f, 0.2f};
    assert_int_equal(clkfac_env_step(&res, e, a, obs), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "reset"));
    TH_OK(clkfac_env_reset(e, obs));
    a[1] = NAN;
    assert_int_equal(clkfac_env_step(&res, e, a, obs), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "action[1]"));
    a[1] = 0.0f;
    for (int k = 0; k < 50; k++) TH_OK(clkfac_env_step(&res, e, a, obs));
    assert_true(res.truncated); /* Reacher's 50-step limit */
    assert_int_equal(clkfac_env_step(&res, e, a, obs), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "ended"));
    size_t size = clkfac_env_state_size(e);
    unsigned char *buf = malloc(size);
    assert_non_null(buf);
    assert_int_equal(clkfac_env_get_state(e, buf, size - 1), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "needs"));
    assert_int_equal(clkfac_env_reset(e, NULL), CLKFAC_ERR_INVALID_ARG);
    unsigned char g[64];
    assert_int_equal(clkfac_env_render_gray(e, 4, 4, g), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "4x4"));
    clkfac_env *none = NULL;
    assert_int_equal(clkfac_env_create(&none, "MuJoCo/HopperPixels-v1", 1), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "MuJoCo/ReacherPixels-v1"));
    assert_null(none);
    free(buf);
    free(obs);
    clkfac_env_free(e);
}

/* What matters can be seen: Reacher's target lights the pixel at its position and moves with it;
 * the pendulum's pole leans in the picture as it does in the state. */
static void test_targets_visible(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    float *obs = malloc(STACK * sizeof(float));
    assert_non_null(obs);
    clkfac_env *e = make("MuJoCo/ReacherPixels-v1", 1);
    /* arm along +x (tip near x = 0.21), target at (-0.15, 0.12): camera 0.7 m across, centre 0 */
    double q[4] = {0.0, 0.0, -0.15, 0.12}, v[4] = {0};
    TH_OK(env_mujoco_set(e, q, v));
    TH_OK(clkfac_env_observe(e, obs));
    const float *f = obs + (FRAMES - 1) * FRAME;
    double s = SIDE / 0.7;
    int col = (int)(SIDE / 2.0 + q[2] * s), row = (int)(SIDE / 2.0 - q[3] * s);
    float best = 0.0f;
    for (int y = row - 1; y <= row + 1; y++)
        for (int x = col - 1; x <= col + 1; x++)
            if (f[y * SIDE + x] > best) best = f[y * SIDE + x];
    assert_true(best > 0.3f);
    q[2] = 0.15; /* the target moves: its old place goes dark */
    q[3] = -0.12;
    TH_OK(env_mujoco_set(e, q, v));
    TH_OK(clkfac_env_observe(e, obs));
    for (int y = row - 1; y <= row + 1; y++)
        for (int x = col - 1; x <= col + 1; x++) assert_true(f[y * SIDE + x] < 0.05f);
    /* env_mujoco_set refills the whole stack, as a reset does */
    for (int k = 0; k + 1 < FRAMES; k++)
        assert_memory_equal(obs + k * FRAME, f, FRAME * sizeof(float));
    clkfac_env_free(e);

    e = make("MuJoCo/InvertedPendulumPixels-v1", 1);
    double p[2] = {0.0, 0.0}, w[2] = {0.0, 0.0};
    TH_OK(env_mujoco_set(e, p, w));
    TH_OK(clkfac_env_observe(e, obs));
    float up[FRAME];
    memcpy(up, obs + (FRAMES - 1) * FRAME, sizeof up);
    p[1] = 0.19; /* the largest lean before the episode ends */
    TH_OK(env_mujoco_set(e, p, w));
    TH_OK(clkfac_env_observe(e, obs));
    /* the pole's top (0.6 m above the cart, 2.6 m across the picture): right of centre when
     * leaning right, centre when upright */
    double ps = SIDE / 2.6;
    int top = (int)(SIDE / 2.0 - (0.55 * cos(0.19) - 0.2) * ps);
    int xr = (int)(SIDE / 2.0 + 0.55 * sin(0.19) * ps);
    assert_true(obs[(FRAMES - 1) * FRAME + top * SIDE + xr] > 0.3f);
    assert_true(up[(int)(SIDE / 2.0 - 0.35 * ps) * SIDE + SIDE / 2] > 0.3f);
    assert_memory_not_equal(up, obs + (FRAMES - 1) * FRAME, sizeof up);
    clkfac_env_free(e);
    free(obs);
}

/* A vector env of 4 pendulums from pixels (episodes of a few steps under random actions, so
 * auto-resets happen) steps 600 times and writes its state without one heap allocation anywhere
 * in the process (after a first step, which sizes the episode records); creating another env
 * does allocate, so the counter works. */
static void test_vecenv_steps_without_allocations(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
#if !COUNT_ALLOCS
    print_message("SKIP %s: allocations are counted only with glibc and no sanitizer\n", __func__);
    skip();
#else
    enum { N = 4 };
    clkfac_vecenv *v = NULL;
    TH_OK(clkfac_vecenv_create(&v, "MuJoCo/InvertedPendulumPixels-v1", N, 9, NULL));
    float *obs = malloc(N * STACK * sizeof(float));
    float act[N], rew[N];
    uint8_t term[N], trunc[N];
    assert_non_null(obs);
    TH_OK(clkfac_vecenv_reset(v, obs));
    size_t size = clkfac_vecenv_state_size(v);
    unsigned char *buf = malloc(size);
    assert_non_null(buf);
    th_rng r = {3};
    size_t episodes = 0;
    for (int i = 0; i < N; i++) act[i] = 0.0f;
    /* the first step sizes the vector env's episode records, once */
    TH_OK(clkfac_vecenv_step(v, act, obs, rew, term, trunc, NULL));
    n_allocs = 0;
    counting = 1;
    for (int k = 0; k < 600; k++) {
        for (int i = 0; i < N; i++) act[i] = (float)(6.0 * th_uniform(&r) - 3.0);
        TH_OK(clkfac_vecenv_step(v, act, obs, rew, term, trunc, NULL));
        size_t cnt = 0;
        clkfac_vecenv_episodes(v, &cnt);
        episodes += cnt;
        clkfac_vecenv_clear_episodes(v); /* the records' storage stays at its first size */
    }
    TH_OK(clkfac_vecenv_get_state(v, buf, size));
    counting = 0;
    long stepping = n_allocs;
    n_allocs = 0;
    counting = 1;
    clkfac_env *probe = NULL;
    TH_OK(clkfac_env_create(&probe, "MuJoCo/InvertedPendulumPixels-v1", 1));
    counting = 0;
    long creating = n_allocs;
    clkfac_env_free(probe);
    TH_OK(clkfac_vecenv_set_state(v, buf, size)); /* keeps a backup copy: allocates, not counted */
    free(buf);
    free(obs);
    clkfac_vecenv_free(v);
    print_message("allocations: %ld stepping 600 x %d envs, %ld creating one env; %zu episodes\n",
                  stepping, N, creating, episodes);
    assert_int_equal(stepping, 0);
    assert_true(creating > 0);
    assert_true(episodes > 20);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spaces_and_limits),
        cmocka_unit_test(test_observation_is_stacked_pictures),
        cmocka_unit_test(test_same_dynamics_as_state_task),
        cmocka_unit_test(test_determinism_and_state_roundtrip),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_targets_visible),
        cmocka_unit_test(test_vecenv_steps_without_allocations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
