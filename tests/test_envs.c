/* Environments: each classic-control step against the ENVIRONMENTS.md equations written out
 * here in double, termination and truncation edges, seeding, state bytes (bit-exact
 * continuation, corruption refused), the vector env's auto-reset and episode records, and the
 * random-policy returns (printed, and held to sane ranges). */
/* ctest-labels: unit */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "envs/env_impl.h"
#include "harness.h"

#define PI 3.14159265358979323846
#define N_IDS 5

static const char *const all_ids[N_IDS] = {"CartPole-v1", "Acrobot-v1", "MountainCar-v0",
                                           "MountainCarContinuous-v0", "Pendulum-v1"};

/* |got - want| <= tol * (1 + |want|): relative for large values, absolute near zero. */
static void near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol * (1.0 + fabs(want))))
        fail_msg("%s: got %.17g, want %.17g (tol %.1g)", what, got, want, tol);
}

static clkfac_env *make(const char *id, uint64_t seed)
{
    clkfac_env *e = NULL;
    TH_OK(clkfac_env_create(&e, id, seed));
    return e;
}

/* Puts env at physics state s, takes one step with action a, returns the new physics state. */
static clkfac_step_result step_from(clkfac_env *env, const double *s, size_t n, float a,
                                    float *obs, double *after)
{
    clkfac_step_result r;
    TH_OK(env_phys_set(env, s, n));
    TH_OK(clkfac_env_step(&r, env, &a, obs));
    TH_OK(env_phys_get(env, after, n));
    return r;
}

static void random_action(const clkfac_env *env, th_rng *r, float *a)
{
    const clkfac_space *s = clkfac_env_action_space(env);
    if (s->kind == CLKFAC_SPACE_DISCRETE) {
        a[0] = (float)(th_next(r) % (uint64_t)s->n);
        return;
    }
    for (size_t i = 0; i < s->size; i++)
        a[i] = (float)(s->low[i] + (s->high[i] - s->low[i]) * th_uniform(r));
}

/* ---- the equations, written out ------------------------------------------------------------ */

static void ref_cartpole(double s[4], int action)
{
    const double g = 9.8, mc = 1.0, mp = 0.1, l = 0.5, tau = 0.02;
    double f = action == 1 ? 10.0 : -10.0;
    double x = s[0], xd = s[1], th = s[2], thd = s[3];
    double temp = (f + mp * l * thd * thd * sin(th)) / (mc + mp);
    double thacc = (g * sin(th) - cos(th) * temp) /
                   (l * (4.0 / 3.0 - mp * cos(th) * cos(th) / (mc + mp)));
    double xacc = temp - mp * l * thacc * cos(th) / (mc + mp);
    s[0] = x + tau * xd;
    s[1] = xd + tau * xacc;
    s[2] = th + tau * thd;
    s[3] = thd + tau * thacc;
}

/* Sutton & Barto acrobot: m = 1, l1 = 1, lc = 0.5, I = 1, g = 9.8. */
static void ref_acro_f(const double y[4], double a, double dy[4])
{
    const double m1 = 1, m2 = 1, l1 = 1, lc1 = 0.5, lc2 = 0.5, i1 = 1, i2 = 1, g = 9.8;
    double t1 = y[0], t2 = y[1], w1 = y[2], w2 = y[3];
    double d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos(t2)) + i1 + i2;
    double d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos(t2)) + i2;
    double phi2 = m2 * lc2 * g * cos(t1 + t2 - PI / 2);
    double phi1 = -m2 * l1 * lc2 * w2 * w2 * sin(t2) - 2 * m2 * l1 * lc2 * w2 * w1 * sin(t2) +
                  (m1 * lc1 + m2 * l1) * g * cos(t1 - PI / 2) + phi2;
    double acc2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * w1 * w1 * sin(t2) - phi2) /
                  (m2 * lc2 * lc2 + i2 - d2 * d2 / d1);
    double acc1 = -(d2 * acc2 + phi1) / d1;
    dy[0] = w1;
    dy[1] = w2;
    dy[2] = acc1;
    dy[3] = acc2;
}

/* One RK4 step of 0.2 s, unwrapped and unclipped. */
static void ref_acro_rk4(double s[4], double torque)
{
    double k1[4], k2[4], k3[4], k4[4], y[4], h = 0.2;
    ref_acro_f(s, torque, k1);
    for (int i = 0; i < 4; i++) y[i] = s[i] + 0.5 * h * k1[i];
    ref_acro_f(y, torque, k2);
    for (int i = 0; i < 4; i++) y[i] = s[i] + 0.5 * h * k2[i];
    ref_acro_f(y, torque, k3);
    for (int i = 0; i < 4; i++) y[i] = s[i] + h * k3[i];
    ref_acro_f(y, torque, k4);
    for (int i = 0; i < 4; i++) s[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
}

static void ref_mountaincar(double s[2], double push)
{
    double v = s[1] + push - 0.0025 * cos(3 * s[0]);
    if (v > 0.07) v = 0.07;
    if (v < -0.07) v = -0.07;
    double x = s[0] + v;
    if (x < -1.2) x = -1.2;
    if (x > 0.6) x = 0.6;
    if (x == -1.2 && v < 0) v = 0;
    s[0] = x;
    s[1] = v;
}

/* Returns the reward; u is the torque before clipping. */
static double ref_pendulum(double s[2], double u)
{
    if (u > 2) u = 2;
    if (u < -2) u = -2;
    double a = fmod(s[0] + PI, 2 * PI);
    if (a < 0) a += 2 * PI;
    a -= PI;
    double cost = a * a + 0.1 * s[1] * s[1] + 0.001 * u * u;
    double w = s[1] + (3 * 10.0 / 2 * sin(s[0]) + 3.0 * u) * 0.05;
    if (w > 8) w = 8;
    if (w < -8) w = -8;
    s[0] += w * 0.05;
    s[1] = w;
    return -cost;
}

/* ---- ids, spaces, options ------------------------------------------------------------------ */

static void test_ids_spaces_and_limits(void **state)
{
    (void)state;
    size_t count = 0;
    const char *const *ids = clkfac_env_ids(&count);
    /* then the synthetic Atari frames, the MuJoCo tasks and their three pixel variants when
     * built in (test_mujoco, test_mujoco_pixels) and the five pixel games (test_games) */
    assert_int_equal(count, N_IDS + 6 + (clkfac_env_missing() ? 0 : 7 + 3));
    assert_null(ids[count]);
    const uint64_t limits[N_IDS] = {500, 500, 200, 999, 200};
    const size_t obs_sizes[N_IDS] = {4, 6, 2, 2, 3};
    for (size_t i = 0; i < N_IDS; i++) {
        assert_string_equal(ids[i], all_ids[i]);
        clkfac_env *e = make(ids[i], 1);
        assert_string_equal(clkfac_env_id(e), ids[i]);
        assert_int_equal(clkfac_env_max_steps(e), limits[i]);
        const clkfac_space *o = clkfac_env_observation_space(e);
        assert_int_equal(o->kind, CLKFAC_SPACE_BOX);
        assert_int_equal(o->ndim, 1);
        assert_int_equal(o->dims[0], (int)obs_sizes[i]);
        assert_int_equal(o->size, obs_sizes[i]);
        for (size_t j = 0; j < o->size; j++) assert_true(o->low[j] < o->high[j]);
        clkfac_env_free(e);
    }
    clkfac_env_free(NULL);

    clkfac_env *cp = make("CartPole-v1", 1);
    const clkfac_space *o = clkfac_env_observation_space(cp);
    assert_true(o->high[0] == 4.8f && isinf(o->high[1]) && isinf(o->high[3]));
    near(o->high[2], 24.0 * PI / 180.0, 1e-7, "CartPole theta bound");
    const clkfac_space *a = clkfac_env_action_space(cp);
    assert_int_equal(a->kind, CLKFAC_SPACE_DISCRETE);
    assert_int_equal(a->n, 2);
    assert_int_equal(a->size, 1);
    clkfac_env_free(cp);

    clkfac_env *ac = make("Acrobot-v1", 1);
    o = clkfac_env_observation_space(ac);
    near(o->high[4], 4 * PI, 1e-7, "Acrobot w1 bound");
    near(o->high[5], 9 * PI, 1e-7, "Acrobot w2 bound");
    assert_int_equal(clkfac_env_action_space(ac)->n, 3);
    clkfac_env_free(ac);

    clkfac_env *mc = make("MountainCar-v0", 1);
    o = clkfac_env_observation_space(mc);
    assert_true(o->low[0] == -1.2f && o->high[0] == 0.6f && o->high[1] == 0.07f);
    assert_int_equal(clkfac_env_action_space(mc)->n, 3);
    clkfac_env_free(mc);

    clkfac_env *mcc = make("MountainCarContinuous-v0", 1);
    a = clkfac_env_action_space(mcc);
    assert_int_equal(a->kind, CLKFAC_SPACE_BOX);
    assert_int_equal(a->size, 1);
    assert_true(a->low[0] == -1.0f && a->high[0] == 1.0f);
    clkfac_env_free(mcc);

    clkfac_env *pd = make("Pendulum-v1", 1);
    o = clkfac_env_observation_space(pd);
    assert_true(o->high[0] == 1.0f && o->high[1] == 1.0f && o->high[2] == 8.0f);
    a = clkfac_env_action_space(pd);
    assert_true(a->kind == CLKFAC_SPACE_BOX && a->low[0] == -2.0f && a->high[0] == 2.0f);
    clkfac_env_free(pd);

    clkfac_env_options opts = CLKFAC_ENV_OPTIONS_INIT;
    opts.max_steps = 7;
    clkfac_env *e = NULL;
    TH_OK(clkfac_env_create_ext(&e, "Pendulum-v1", 3, &opts));
    assert_int_equal(clkfac_env_max_steps(e), 7);
    clkfac_env_free(e);
    opts.version = 99;
    e = NULL;
    assert_int_equal(clkfac_env_create_ext(&e, "Pendulum-v1", 3, &opts), CLKFAC_ERR_INVALID_ARG);
    assert_null(e);
}

static void test_unknown_id_lists_valid_ids(void **state)
{
    (void)state;
    clkfac_env *e = NULL;
    assert_int_equal(clkfac_env_create(&e, "CartPole-v0", 1), CLKFAC_ERR_INVALID_ARG);
    assert_null(e);
    const char *msg = clkfac_last_error();
    assert_non_null(strstr(msg, "'CartPole-v0'"));
    for (size_t i = 0; i < N_IDS; i++) assert_non_null(strstr(msg, all_ids[i]));
    assert_int_equal(clkfac_env_create(&e, NULL, 1), CLKFAC_ERR_INVALID_ARG);

    clkfac_vecenv *v = NULL;
    assert_int_equal(clkfac_vecenv_create(&v, "pendulum", 2, 1, NULL), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "Pendulum-v1"));
    assert_null(v);
}

static void test_start_states_in_range(void **state)
{
    (void)state;
    float obs[8];
    double s[4];
    clkfac_env *cp = make("CartPole-v1", 5), *ac = make("Acrobot-v1", 5);
    clkfac_env *mc = make("MountainCar-v0", 5), *pd = make("Pendulum-v1", 5);
    double lo_th = 0, hi_th = 0;
    for (int k = 0; k < 500; k++) {
        TH_OK(clkfac_env_reset(cp, obs));
        for (int i = 0; i < 4; i++) assert_true(fabsf(obs[i]) <= 0.05f);
        TH_OK(clkfac_env_reset(ac, obs));
        TH_OK(env_phys_get(ac, s, 4));
        for (int i = 0; i < 4; i++) assert_true(fabs(s[i]) <= 0.1);
        near(obs[0], cos(s[0]), 1e-7, "acrobot cos t1");
        near(obs[3], sin(s[1]), 1e-7, "acrobot sin t2");
        TH_OK(clkfac_env_reset(mc, obs));
        assert_true(obs[0] >= -0.6f && obs[0] <= -0.4f && obs[1] == 0.0f);
        TH_OK(clkfac_env_reset(pd, obs));
        TH_OK(env_phys_get(pd, s, 2));
        assert_true(fabs(s[0]) <= PI && fabs(s[1]) <= 1.0);
        lo_th = fmin(lo_th, s[0]);
        hi_th = fmax(hi_th, s[0]);
        assert_int_equal(clkfac_env_elapsed_steps(pd), 0);
    }
    /* The whole interval is used, not a sliver of it. */
    assert_true(lo_th < -2.9 && hi_th > 2.9);
    clkfac_env_free(cp);
    clkfac_env_free(ac);
    clkfac_env_free(mc);
    clkfac_env_free(pd);
}

/* ---- dynamics against the equations -------------------------------------------------------- */

static void test_cartpole_step_matches_equations(void **state)
{
    (void)state;
    clkfac_env *env = make("CartPole-v1", 1);
    float obs[4];
    double got[4];

    /* From rest the accelerations have closed forms: xacc = 400/41, thetaacc = -600/41 for a
     * push to the right (worked by hand from the three equations). */
    const double zero[4] = {0, 0, 0, 0};
    clkfac_step_result r = step_from(env, zero, 4, 1.0f, obs, got);
    near(got[0], 0.0, 1e-15, "x");
    near(got[1], 0.02 * 400.0 / 41.0, 1e-14, "x_dot");
    near(got[2], 0.0, 1e-15, "theta");
    near(got[3], -0.02 * 600.0 / 41.0, 1e-14, "theta_dot");
    assert_true(r.reward == 1.0 && !r.terminated && !r.truncated);

    const double starts[3][4] = {
        {0.1, -0.2, 0.05, 0.3}, {-1.3, 0.9, -0.15, -1.1}, {2.0, 1.5, 0.2, 2.5}};
    for (int k = 0; k < 3; k++) {
        for (int a = 0; a < 2; a++) {
            double want[4];
            memcpy(want, starts[k], sizeof want);
            ref_cartpole(want, a);
            r = step_from(env, starts[k], 4, (float)a, obs, got);
            for (int i = 0; i < 4; i++) near(got[i], want[i], 1e-13, "cartpole state");
            th_assert_close(obs, want, 4, 1e-7, 1e-7, "cartpole obs");
            assert_true(r.reward == 1.0);
        }
    }
    /* A second step continues from the first (positions move with the old velocities). */
    double want[4] = {0.1, -0.2, 0.05, 0.3};
    ref_cartpole(want, 1);
    ref_cartpole(want, 0);
    clkfac_step_result r2;
    step_from(env, starts[0], 4, 1.0f, obs, got);
    float a0 = 0.0f;
    TH_OK(clkfac_env_step(&r2, env, &a0, obs));
    TH_OK(env_phys_get(env, got, 4));
    for (int i = 0; i < 4; i++) near(got[i], want[i], 1e-13, "cartpole two steps");
    clkfac_env_free(env);
}

static void test_cartpole_termination_edges(void **state)
{
    (void)state;
    const double thr = 12.0 * 2.0 * PI / 360.0;
    clkfac_env *env = make("CartPole-v1", 1);
    float obs[4];
    double got[4];
    /* With zero velocities the positions do not move, so the boundary is hit exactly:
     * |x| = 2.4 and |theta| = 12 degrees still run, the next double past them ends. */
    struct {
        double s[4];
        int ends;
    } cases[] = {
        {{2.4, 0, 0, 0}, 0},
        {{nextafter(2.4, 3), 0, 0, 0}, 1},
        {{-2.4, 0, 0, 0}, 0},
        {{nextafter(-2.4, -3), 0, 0, 0}, 1},
        {{0, 0, thr, 0}, 0},
        {{0, 0, nextafter(thr, 1), 0}, 1},
        {{0, 0, -thr, 0}, 0},
        {{0, 0, nextafter(-thr, -1), 0}, 1},
        {{2.39, 1.0, 0, 0}, 1},   /* x moves to 2.41 */
        {{0, 0, 0.2, 0.5}, 1},    /* theta moves to 0.21 > 0.2094 */
        {{0, 0, 0.2, 0.2}, 0},    /* theta moves to 0.204 */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        clkfac_step_result r = step_from(env, cases[k].s, 4, 1.0f, obs, got);
        if (r.terminated != cases[k].ends)
            fail_msg("case %zu (x %.17g theta %.17g): terminated %d, want %d", k, cases[k].s[0],
                     cases[k].s[2], r.terminated, cases[k].ends);
        assert_false(r.truncated);
        assert_true(r.reward == 1.0); /* the last step is rewarded too */
    }
    /* After the end, stepping is refused until reset. */
    clkfac_step_result r = step_from(env, cases[1].s, 4, 1.0f, obs, got);
    assert_true(r.terminated);
    float a = 0.0f;
    assert_int_equal(clkfac_env_step(&r, env, &a, obs), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "ended"));
    TH_OK(clkfac_env_reset(env, obs));
    TH_OK(clkfac_env_step(&r, env, &a, obs));
    clkfac_env_free(env);
}

static void test_acrobot_step_matches_rk4(void **state)
{
    (void)state;
    clkfac_env *env = make("Acrobot-v1", 1);
    float obs[6];
    double got[4];
    const double starts[3][4] = {
        {0.3, -0.2, 0.5, -1.0}, {-1.0, 2.0, 3.0, -4.0}, {0.05, 0.05, 0.0, 0.0}};
    for (int k = 0; k < 3; k++) {
        for (int a = 0; a < 3; a++) {
            double want[4];
            memcpy(want, starts[k], sizeof want);
            ref_acro_rk4(want, a - 1.0);
            /* These starts stay inside the wrap and clip bounds. */
            assert_true(fabs(want[0]) < PI && fabs(want[1]) < PI);
            assert_true(fabs(want[2]) < 4 * PI && fabs(want[3]) < 9 * PI);
            clkfac_step_result r = step_from(env, starts[k], 4, (float)a, obs, got);
            for (int i = 0; i < 4; i++) near(got[i], want[i], 1e-12, "acrobot state");
            double want_obs[6] = {cos(want[0]), sin(want[0]), cos(want[1]),
                                  sin(want[1]), want[2],      want[3]};
            th_assert_close(obs, want_obs, 6, 1e-6, 1e-6, "acrobot obs");
            assert_false(r.terminated);
            assert_true(r.reward == -1.0);
        }
    }

    /* Wrapping: link 1 swings past +pi and comes back as an angle near -pi. */
    const double over[4] = {PI - 0.01, 0.0, 3.0, 0.0};
    double want[4];
    memcpy(want, over, sizeof want);
    ref_acro_rk4(want, 0.0);
    assert_true(want[0] > PI);
    step_from(env, over, 4, 1.0f, obs, got);
    near(got[0], want[0] - 2 * PI, 1e-12, "wrapped theta1");
    assert_true(got[0] >= -PI && got[0] <= PI);

    /* Clipping: a velocity at its bound pushed further stays at the bound exactly. */
    const double fast[4] = {0.0, 0.0, 4 * PI, 9 * PI};
    memcpy(want, fast, sizeof want);
    ref_acro_rk4(want, 1.0);
    assert_true(fabs(want[2]) > 4 * PI || fabs(want[3]) > 9 * PI);
    step_from(env, fast, 4, 2.0f, obs, got);
    if (fabs(want[2]) > 4 * PI) assert_true(got[2] == copysign(4 * PI, want[2]));
    if (fabs(want[3]) > 9 * PI) assert_true(got[3] == copysign(9 * PI, want[3]));
    assert_true(fabs(got[2]) <= 4 * PI && fabs(got[3]) <= 9 * PI);

    /* Terminal: the tip above the bar (-cos t1 - cos(t1 + t2) > 1) ends with reward 0. */
    const double up[4] = {PI, 0.0, 0.0, 0.0};
    clkfac_step_result r = step_from(env, up, 4, 1.0f, obs, got);
    assert_true(-cos(got[0]) - cos(got[0] + got[1]) > 1.0);
    assert_true(r.terminated && !r.truncated);
    assert_true(r.reward == 0.0);
    /* Just below the line it goes on, at -1. */
    const double low[4] = {2.0 * PI / 3.0 - 0.05, 0.0, 0.0, 0.0}; /* height -cos t1 - cos t1 */
    r = step_from(env, low, 4, 1.0f, obs, got);
    assert_true(-cos(got[0]) - cos(got[0] + got[1]) <= 1.0);
    assert_false(r.terminated);
    assert_true(r.reward == -1.0);
    clkfac_env_free(env);
}

static void test_mountaincar_step_and_edges(void **state)
{
    (void)state;
    clkfac_env *env = make("MountainCar-v0", 1);
    float obs[2];
    double got[2];
    const double starts[3][2] = {{-0.5, 0.01}, {-0.9, -0.03}, {0.2, 0.05}};
    for (int k = 0; k < 3; k++) {
        for (int a = 0; a < 3; a++) {
            double want[2] = {starts[k][0], starts[k][1]};
            ref_mountaincar(want, (a - 1) * 0.001);
            clkfac_step_result r = step_from(env, starts[k], 2, (float)a, obs, got);
            near(got[0], want[0], 1e-15, "mountaincar x");
            near(got[1], want[1], 1e-15, "mountaincar v");
            th_assert_close(obs, want, 2, 1e-8, 1e-7, "mountaincar obs");
            assert_true(r.reward == -1.0 && !r.terminated);
        }
    }
    /* Hand-worked: x = -0.5, v = 0, push right: v = 0.001 - 0.0025 cos(-1.5). */
    const double rest[2] = {-0.5, 0.0};
    step_from(env, rest, 2, 2.0f, obs, got);
    near(got[1], 0.001 - 0.0025 * 0.0707372016677029, 1e-15, "hand-worked v");
    near(got[0], -0.5 + got[1], 1e-15, "hand-worked x");

    /* Speed limit. */
    const double fast[2] = {-1.0, 0.0695}; /* the slope adds speed here */
    step_from(env, fast, 2, 2.0f, obs, got);
    assert_true(got[1] == 0.07 && got[0] == -1.0 + 0.07);

    /* Left wall: the car stops there, velocity zeroed. */
    const double wall[2] = {-1.19, -0.05};
    clkfac_step_result r = step_from(env, wall, 2, 0.0f, obs, got);
    assert_true(got[0] == -1.2 && got[1] == 0.0);
    assert_false(r.terminated);
    /* Leaving the wall with positive velocity keeps it. */
    const double wall2[2] = {-1.2, 0.0};
    step_from(env, wall2, 2, 2.0f, obs, got);
    assert_true(got[1] > 0.0 && got[0] > -1.2);

    /* Goal: x >= 0.5 ends the episode; the goal step still costs -1. */
    const double before_goal[2] = {0.47, 0.04};
    r = step_from(env, before_goal, 2, 2.0f, obs, got);
    assert_true(got[0] >= 0.5);
    assert_true(r.terminated && !r.truncated && r.reward == -1.0);
    const double short_goal[2] = {0.45, 0.045};
    r = step_from(env, short_goal, 2, 1.0f, obs, got);
    assert_true(got[0] < 0.5);
    assert_false(r.terminated);
    clkfac_env_free(env);
}

static void test_mountaincar_continuous_reward_and_clipping(void **state)
{
    (void)state;
    clkfac_env *env = make("MountainCarContinuous-v0", 1);
    float obs[2];
    double got[2], got1[2];
    const double s0[2] = {-0.5, 0.01};
    const float acts[4] = {0.5f, -0.25f, 0.0f, 1.0f};
    for (int k = 0; k < 4; k++) {
        double want[2] = {s0[0], s0[1]};
        ref_mountaincar(want, acts[k] * 0.0015);
        clkfac_step_result r = step_from(env, s0, 2, acts[k], obs, got);
        near(got[0], want[0], 1e-15, "mcc x");
        near(got[1], want[1], 1e-15, "mcc v");
        near(r.reward, -0.1 * acts[k] * acts[k], 1e-15, "mcc reward");
        assert_false(r.terminated);
    }
    /* Force is clipped to [-1, 1]; the energy penalty is on the action as given. */
    clkfac_step_result r1 = step_from(env, s0, 2, 1.0f, obs, got1);
    clkfac_step_result r5 = step_from(env, s0, 2, 5.0f, obs, got);
    assert_true(got[0] == got1[0] && got[1] == got1[1]);
    near(r1.reward, -0.1, 1e-15, "reward at a = 1");
    near(r5.reward, -2.5, 1e-15, "reward at a = 5");
    step_from(env, s0, 2, -1.0f, obs, got1);
    step_from(env, s0, 2, -3.0f, obs, got);
    assert_true(got[0] == got1[0] && got[1] == got1[1]);

    /* Goal at x >= 0.45: +100 on that step, minus the action cost. */
    const double near_goal[2] = {0.43, 0.03};
    clkfac_step_result r = step_from(env, near_goal, 2, 0.5f, obs, got);
    assert_true(got[0] >= 0.45);
    assert_true(r.terminated && !r.truncated);
    near(r.reward, 100.0 - 0.1 * 0.25, 1e-13, "goal reward");
    const double short_goal[2] = {0.40, 0.03};
    r = step_from(env, short_goal, 2, 0.0f, obs, got);
    assert_true(got[0] < 0.45 && !r.terminated && r.reward == 0.0);
    /* Left wall as in the discrete car. */
    const double wall[2] = {-1.19, -0.05};
    step_from(env, wall, 2, -1.0f, obs, got);
    assert_true(got[0] == -1.2 && got[1] == 0.0);
    clkfac_env_free(env);
}

static void test_pendulum_step_normalization_never_terminates(void **state)
{
    (void)state;
    clkfac_env *env = make("Pendulum-v1", 1);
    float obs[3];
    double got[2];
    const double starts[3][2] = {{1.0, -2.0}, {-2.5, 7.5}, {0.1, 0.0}};
    const float us[3] = {1.5f, -2.0f, 0.3f};
    for (int k = 0; k < 3; k++) {
        double want[2] = {starts[k][0], starts[k][1]};
        double rew = ref_pendulum(want, us[k]);
        clkfac_step_result r = step_from(env, starts[k], 2, us[k], obs, got);
        near(got[0], want[0], 1e-14, "pendulum theta");
        near(got[1], want[1], 1e-14, "pendulum theta_dot");
        near(r.reward, rew, 1e-14, "pendulum reward");
        double want_obs[3] = {cos(want[0]), sin(want[0]), want[1]};
        th_assert_close(obs, want_obs, 3, 1e-7, 1e-6, "pendulum obs");
        assert_false(r.terminated);
    }
    /* Hand-worked: theta 1, theta_dot -2, u 1.5: cost 1 + 0.4 + 0.00225. */
    const double hw[2] = {1.0, -2.0};
    clkfac_step_result r = step_from(env, hw, 2, 1.5f, obs, got);
    near(r.reward, -1.40225, 1e-14, "hand-worked cost");
    near(got[1], -2.0 + (15.0 * 0.8414709848078965 + 4.5) * 0.05, 1e-14, "hand-worked w");

    /* The cost sees the angle folded into [-pi, pi): 3pi/2, -pi/2 and 7pi/2 all cost (pi/2)^2. */
    const double angles[4] = {1.5 * PI, -0.5 * PI, 3.5 * PI, -2.5 * PI};
    for (int k = 0; k < 4; k++) {
        const double s[2] = {angles[k], 0.0};
        r = step_from(env, s, 2, 0.0f, obs, got);
        near(r.reward, -(PI / 2) * (PI / 2), 1e-12, "normalized angle cost");
    }
    /* Torque is clipped to [-2, 2] for both dynamics and cost. */
    double g2[2];
    const double s1[2] = {0.4, 1.0};
    clkfac_step_result ra = step_from(env, s1, 2, 2.0f, obs, g2);
    clkfac_step_result rb = step_from(env, s1, 2, 9.0f, obs, got);
    assert_true(got[0] == g2[0] && got[1] == g2[1] && ra.reward == rb.reward);
    /* Speed limit 8. */
    const double spin[2] = {PI / 2, 7.9};
    step_from(env, spin, 2, 2.0f, obs, got);
    assert_true(got[1] == 8.0);
    near(got[0], PI / 2 + 8.0 * 0.05, 1e-15, "theta moves with the clipped speed");

    /* A full episode: never terminated, truncated exactly at step 200. */
    TH_OK(clkfac_env_reset(env, obs));
    th_rng rng = {3};
    for (int t = 1; t <= 200; t++) {
        float u;
        random_action(env, &rng, &u);
        TH_OK(clkfac_env_step(&r, env, &u, obs));
        assert_false(r.terminated);
        assert_int_equal(r.truncated, t == 200);
        assert_int_equal(r.steps, (uint64_t)t);
    }
    clkfac_env_free(env);
}

/* ---- time limits ---------------------------------------------------------------------------- */

/* Physics states from which one step with the action cannot end the episode. */
static const double calm[N_IDS][4] = {
    {0, 0, 0, 0}, {0, 0, 0, 0}, {-0.5, 0, 0, 0}, {-0.5, 0, 0, 0}, {0, 0, 0, 0}};
static const float calm_action[N_IDS] = {1.0f, 1.0f, 1.0f, 0.0f, 0.0f};
static const size_t n_phys[N_IDS] = {4, 4, 2, 2, 2};

static void test_truncation_at_exactly_the_limit(void **state)
{
    (void)state;
    float obs[8];
    double got[4];
    for (int k = 0; k < N_IDS; k++) {
        /* Default limit: jump the counter near it, then step for real. */
        clkfac_env *env = make(all_ids[k], 9);
        uint64_t limit = clkfac_env_max_steps(env);
        TH_OK(clkfac_env_reset(env, obs));
        env_steps_set(env, limit - 2);
        clkfac_step_result r = step_from(env, calm[k], n_phys[k], calm_action[k], obs, got);
        assert_false(r.truncated);
        assert_int_equal(r.steps, limit - 1);
        r = step_from(env, calm[k], n_phys[k], calm_action[k], obs, got);
        if (!r.truncated || r.terminated || r.steps != limit)
            fail_msg("%s: step %llu truncated %d terminated %d", all_ids[k],
                     (unsigned long long)r.steps, r.truncated, r.terminated);
        assert_int_equal(clkfac_env_step(&r, env, &calm_action[k], obs), CLKFAC_ERR_INVALID_ARG);
        clkfac_env_free(env);

        /* A short limit stepped all the way from reset. */
        clkfac_env_options opts = CLKFAC_ENV_OPTIONS_INIT;
        opts.max_steps = 12;
        TH_OK(clkfac_env_create_ext(&env, all_ids[k], 9, &opts));
        TH_OK(clkfac_env_reset(env, obs));
        for (int t = 1; t <= 12; t++) {
            r = step_from(env, calm[k], n_phys[k], calm_action[k], obs, got);
            assert_false(r.terminated);
            assert_int_equal(r.truncated, t == 12);
        }
        clkfac_env_free(env);
    }
    /* Terminated on the last allowed step wins: truncated stays 0. */
    clkfac_env *cp = make("CartPole-v1", 1);
    float o[4];
    TH_OK(clkfac_env_reset(cp, o));
    env_steps_set(cp, 499);
    const double falling[4] = {2.39, 1.0, 0, 0};
    clkfac_step_result r = step_from(cp, falling, 4, 1.0f, o, got);
    assert_true(r.terminated && !r.truncated && r.steps == 500);
    clkfac_env_free(cp);
}

/* ---- seeding and state bytes ---------------------------------------------------------------- */

/* Runs n steps with actions from rng, resetting when an episode ends; writes every observation
 * and reward (the record of a trajectory). */
static void run_trajectory(clkfac_env *env, uint64_t action_seed, int n, float *obs_log,
                           double *rew_log)
{
    const size_t od = clkfac_env_observation_space(env)->size;
    th_rng rng = {action_seed};
    float a[4];
    for (int t = 0; t < n; t++) {
        clkfac_step_result r;
        random_action(env, &rng, a);
        TH_OK(clkfac_env_step(&r, env, a, obs_log + (size_t)t * od));
        rew_log[t] = r.reward + (r.terminated ? 1e6 : 0) + (r.truncated ? 2e6 : 0);
        if (r.terminated || r.truncated) TH_OK(clkfac_env_reset(env, obs_log + (size_t)t * od));
    }
}

static void test_determinism_per_seed(void **state)
{
    (void)state;
    enum { T = 1200 };
    float *oa = malloc(T * 6 * sizeof(float)), *ob = malloc(T * 6 * sizeof(float));
    double *ra = malloc(T * sizeof(double)), *rb = malloc(T * sizeof(double));
    assert_non_null(oa && ob && ra && rb);
    for (int k = 0; k < N_IDS; k++) {
        clkfac_env *a = make(all_ids[k], 42), *b = make(all_ids[k], 42), *c = make(all_ids[k], 43);
        float o0[8], o1[8], o2[8];
        TH_OK(clkfac_env_reset(a, o0));
        TH_OK(clkfac_env_reset(b, o1));
        TH_OK(clkfac_env_reset(c, o2));
        assert_memory_equal(o0, o1, sizeof(float) * clkfac_env_observation_space(a)->size);
        assert_true(memcmp(o0, o2, sizeof(float) * clkfac_env_observation_space(a)->size) != 0);
        run_trajectory(a, 7, T, oa, ra);
        run_trajectory(b, 7, T, ob, rb);
        size_t od = clkfac_env_observation_space(a)->size;
        assert_memory_equal(oa, ob, T * od * sizeof(float));
        assert_memory_equal(ra, rb, T * sizeof(double));

        /* Reseeding replays the stream of a fresh env with that seed. */
        clkfac_env_seed(c, 42);
        float d = 0;
        clkfac_step_result r;
        assert_int_equal(clkfac_env_step(&r, c, &d, o2), CLKFAC_ERR_INVALID_ARG);
        TH_OK(clkfac_env_reset(c, o2));
        assert_memory_equal(o0, o2, sizeof(float) * od);
        clkfac_env_free(a);
        clkfac_env_free(b);
        clkfac_env_free(c);
    }
    free(oa);
    free(ob);
    free(ra);
    free(rb);
}

static void test_state_roundtrip_continues_bit_exactly(void **state)
{
    (void)state;
    enum { T = 1500 };
    float *oa = malloc(T * 6 * sizeof(float)), *ob = malloc(T * 6 * sizeof(float));
    double *ra = malloc(T * sizeof(double)), *rb = malloc(T * sizeof(double));
    assert_non_null(oa && ob && ra && rb);
    for (int k = 0; k < N_IDS; k++) {
        clkfac_env *a = make(all_ids[k], 1), *b = make(all_ids[k], 2);
        float o[8], ob0[8];
        TH_OK(clkfac_env_reset(a, o));
        run_trajectory(a, 5, 137, oa, ra);
        size_t size = clkfac_env_state_size(a), od = clkfac_env_observation_space(a)->size;
        unsigned char *buf = malloc(size);
        assert_non_null(buf);
        TH_OK(clkfac_env_get_state(a, buf, size));
        TH_OK(clkfac_env_observe(a, o));
        uint64_t saved_steps = clkfac_env_elapsed_steps(a);

        /* T steps cross several resets, so the RNG state is exercised too. */
        run_trajectory(a, 6, T, oa, ra);
        TH_OK(clkfac_env_set_state(b, buf, size));
        TH_OK(clkfac_env_observe(b, ob0));
        assert_memory_equal(o, ob0, od * sizeof(float));
        assert_int_equal(clkfac_env_elapsed_steps(b), saved_steps);
        run_trajectory(b, 6, T, ob, rb);
        assert_memory_equal(oa, ob, T * od * sizeof(float));
        assert_memory_equal(ra, rb, T * sizeof(double));

        /* And the original env restored to its own past does the same again. */
        TH_OK(clkfac_env_set_state(a, buf, size));
        run_trajectory(a, 6, T, ob, rb);
        assert_memory_equal(oa, ob, T * od * sizeof(float));
        free(buf);
        clkfac_env_free(a);
        clkfac_env_free(b);
    }
    free(oa);
    free(ob);
    free(ra);
    free(rb);
}

static void put_checksum(unsigned char *p, size_t size)
{
    uint64_t h = core_fnv1a(CORE_FNV_INIT, p, 56);
    env_put_u64(p + 56, core_fnv1a(h, p + 64, size - 64));
}

static void test_state_corruption_rejected(void **state)
{
    (void)state;
    clkfac_env *env = make("CartPole-v1", 4);
    float o[4];
    TH_OK(clkfac_env_reset(env, o));
    size_t size = clkfac_env_state_size(env);
    unsigned char *good = malloc(size + 1), *bad = malloc(size + 1), *now = malloc(size);
    assert_non_null(good && bad && now);
    TH_OK(clkfac_env_get_state(env, good, size));
    assert_int_equal(clkfac_env_get_state(env, good, size - 1), CLKFAC_ERR_INVALID_ARG);

    /* Every single flipped byte is caught (FNV-1a differs for any one-byte change). */
    for (size_t i = 0; i < size; i++) {
        memcpy(bad, good, size);
        bad[i] ^= 0x20;
        if (clkfac_env_set_state(env, bad, size) != CLKFAC_ERR_FORMAT)
            fail_msg("flipped byte %zu was accepted", i);
    }
    memcpy(bad, good, size);
    bad[size] = 0;
    assert_int_equal(clkfac_env_set_state(env, bad, size + 1), CLKFAC_ERR_FORMAT);
    assert_int_equal(clkfac_env_set_state(env, bad, size - 1), CLKFAC_ERR_FORMAT);
    assert_non_null(strstr(clkfac_last_error(), "bytes"));

    /* Well-formed bytes with an impossible value: a NaN position, an all-zero RNG. */
    memcpy(bad, good, size);
    env_put_f64(bad + 104, NAN);
    put_checksum(bad, size);
    assert_int_equal(clkfac_env_set_state(env, bad, size), CLKFAC_ERR_FORMAT);
    assert_non_null(strstr(clkfac_last_error(), "finite"));
    memcpy(bad, good, size);
    memset(bad + 72, 0, 32);
    put_checksum(bad, size);
    assert_int_equal(clkfac_env_set_state(env, bad, size), CLKFAC_ERR_FORMAT);
    /* finite but beyond any episode (a step would overflow to NaN; found by fuzz_env_state) */
    memcpy(bad, good, size);
    env_put_f64(bad + 112, -1.15e153);
    put_checksum(bad, size);
    assert_int_equal(clkfac_env_set_state(env, bad, size), CLKFAC_ERR_FORMAT);
    assert_non_null(strstr(clkfac_last_error(), "within +-1e12"));

    /* None of that touched the env. */
    TH_OK(clkfac_env_get_state(env, now, size));
    assert_memory_equal(now, good, size);
    memcpy(bad, good, size);
    put_checksum(bad, size);
    TH_OK(clkfac_env_set_state(env, bad, size)); /* the test's checksum is the real one */

    /* Same size, other id: MountainCar-v0 bytes do not load into the continuous car. */
    clkfac_env *mc = make("MountainCar-v0", 1), *mcc = make("MountainCarContinuous-v0", 1);
    assert_int_equal(clkfac_env_state_size(mc), clkfac_env_state_size(mcc));
    size_t ms = clkfac_env_state_size(mc);
    unsigned char *mb = malloc(ms);
    assert_non_null(mb);
    TH_OK(clkfac_env_get_state(mc, mb, ms));
    assert_int_equal(clkfac_env_set_state(mcc, mb, ms), CLKFAC_ERR_FORMAT);
    assert_non_null(strstr(clkfac_last_error(), "MountainCar-v0"));
    assert_int_equal(clkfac_env_set_state(env, mb, ms), CLKFAC_ERR_FORMAT);
    free(mb);
    clkfac_env_free(mc);
    clkfac_env_free(mcc);
    free(good);
    free(bad);
    free(now);
    clkfac_env_free(env);
}

static void test_invalid_actions_rejected(void **state)
{
    (void)state;
    clkfac_env *cp = make("CartPole-v1", 1);
    float o[4];
    clkfac_step_result r;
    float a = 0;
    assert_int_equal(clkfac_env_step(&r, cp, &a, o), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "reset"));
    TH_OK(clkfac_env_reset(cp, o));
    size_t size = clkfac_env_state_size(cp);
    unsigned char before[256], after[256];
    assert_true(size <= sizeof before);
    TH_OK(clkfac_env_get_state(cp, before, size));
    const float bad[6] = {2.0f, -1.0f, 0.5f, NAN, INFINITY, 1e30f};
    for (int k = 0; k < 6; k++) {
        if (clkfac_env_step(&r, cp, &bad[k], o) != CLKFAC_ERR_INVALID_ARG)
            fail_msg("CartPole accepted action %g", (double)bad[k]);
        assert_non_null(strstr(clkfac_last_error(), "action"));
        assert_non_null(strstr(clkfac_last_error(), "[0, 2)"));
    }
    assert_int_equal(clkfac_env_step_discrete(&r, cp, 2, o), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_env_step_discrete(&r, cp, -1, o), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_env_step(&r, cp, NULL, o), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_env_check_action(cp, &bad[0]), CLKFAC_ERR_INVALID_ARG);
    TH_OK(clkfac_env_get_state(cp, after, size));
    assert_memory_equal(before, after, size);
    TH_OK(clkfac_env_step_discrete(&r, cp, 1, o));
    clkfac_env_free(cp);

    clkfac_env *mcc = make("MountainCarContinuous-v0", 1), *pd = make("Pendulum-v1", 1);
    TH_OK(clkfac_env_reset(mcc, o));
    TH_OK(clkfac_env_reset(pd, o));
    float nan = NAN, ninf = -INFINITY, big = 5.0f;
    assert_int_equal(clkfac_env_step(&r, mcc, &nan, o), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "not finite"));
    assert_int_equal(clkfac_env_step(&r, pd, &ninf, o), CLKFAC_ERR_INVALID_ARG);
    assert_int_equal(clkfac_env_step_discrete(&r, pd, 0, o), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "continuous"));
    TH_OK(clkfac_env_step(&r, mcc, &big, o)); /* out of the box is clipped, not refused */
    TH_OK(clkfac_env_step(&r, pd, &big, o));
    clkfac_env_free(mcc);
    clkfac_env_free(pd);
}

/* ---- vector environment -------------------------------------------------------------------- */

static void test_vecenv_autoreset_and_records(void **state)
{
    (void)state;
    enum { N = 4, STEPS = 3000 };
    const double thr = 12.0 * 2.0 * PI / 360.0;
    clkfac_vecenv *v = NULL;
    TH_OK(clkfac_vecenv_create(&v, "CartPole-v1", N, 7, NULL));
    assert_int_equal(clkfac_vecenv_num_envs(v), N);
    assert_null(clkfac_vecenv_env(v, N));
    assert_int_equal(clkfac_vecenv_observation_space(v)->size, 4);
    float obs[N * 4], fin[N * 4], act[N], rew[N];
    uint8_t term[N], trunc[N];
    double run_ret[N] = {0};
    uint64_t run_len[N] = {0};
    TH_OK(clkfac_vecenv_reset(v, obs));
    /* Copy i is seeded seed + i. */
    for (size_t i = 0; i < N; i++) {
        float o[4];
        clkfac_env *e = make("CartPole-v1", 7 + i);
        TH_OK(clkfac_env_reset(e, o));
        assert_memory_equal(o, obs + 4 * i, sizeof o);
        clkfac_env_free(e);
    }

    th_rng rng = {11};
    double sum_rewards = 0, drained_ret = 0;
    uint64_t drained_len = 0, drained_n = 0;
    clkfac_episode_record buf[7];
    for (int k = 0; k < STEPS; k++) {
        for (int i = 0; i < N; i++) act[i] = (float)(th_next(&rng) & 1);
        size_t before = 0, after = 0;
        clkfac_vecenv_episodes(v, &before);
        TH_OK(clkfac_vecenv_step(v, act, obs, rew, term, trunc, fin));
        const clkfac_episode_record *rec = clkfac_vecenv_episodes(v, &after);
        size_t next = before;
        for (int i = 0; i < N; i++) {
            sum_rewards += rew[i];
            run_ret[i] += rew[i];
            run_len[i]++;
            assert_true(rew[i] == 1.0f);
            if (term[i] || trunc[i]) {
                assert_true(next < after);
                const clkfac_episode_record *e = &rec[next++];
                assert_int_equal(e->env_index, (size_t)i);
                assert_int_equal(e->length, run_len[i]);
                assert_true(e->ret == run_ret[i]);
                assert_int_equal(e->timestep, (uint64_t)(k + 1) * N);
                assert_int_equal(e->terminated, term[i]);
                const float *f = fin + 4 * i;
                if (term[i]) assert_true(fabsf(f[0]) > 2.4f || fabs(f[2]) > thr);
                for (int j = 0; j < 4; j++) assert_true(fabsf(obs[4 * i + j]) <= 0.05f);
                run_ret[i] = 0;
                run_len[i] = 0;
            } else {
                assert_memory_equal(fin + 4 * i, obs + 4 * i, 4 * sizeof(float));
            }
        }
        assert_int_equal(after, next);
        if (k % 50 == 49) {
            size_t got;
            while ((got = clkfac_vecenv_drain(v, buf, 7)) > 0) {
                for (size_t j = 0; j < got; j++) {
                    drained_ret += buf[j].ret;
                    drained_len += buf[j].length;
                }
                drained_n += got;
            }
            clkfac_vecenv_episodes(v, &after);
            assert_int_equal(after, 0);
        }
    }
    size_t left = 0;
    const clkfac_episode_record *rest = clkfac_vecenv_episodes(v, &left);
    for (size_t j = 0; j < left; j++) {
        drained_ret += rest[j].ret;
        drained_len += rest[j].length;
    }
    drained_n += left;
    clkfac_vecenv_clear_episodes(v);
    clkfac_vecenv_episodes(v, &left);
    assert_int_equal(left, 0);

    uint64_t open_len = 0;
    double open_ret = 0;
    for (int i = 0; i < N; i++) {
        open_len += run_len[i];
        open_ret += run_ret[i];
    }
    assert_int_equal(clkfac_vecenv_timestep(v), (uint64_t)STEPS * N);
    assert_int_equal(drained_len + open_len, (uint64_t)STEPS * N);
    near(drained_ret + open_ret, sum_rewards, 1e-12, "returns add up");
    /* A random CartPole policy lasts about 22 steps. */
    double mean_len = (double)drained_len / (double)drained_n;
    print_message("CartPole random policy: %llu episodes, mean length %.2f\n",
                  (unsigned long long)drained_n, mean_len);
    assert_true(mean_len > 15.0 && mean_len < 35.0);
    clkfac_vecenv_free(v);
    clkfac_vecenv_free(NULL);
}

static void test_vecenv_truncation_gives_final_obs(void **state)
{
    (void)state;
    enum { N = 2 };
    clkfac_vecenv *v = NULL;
    TH_OK(clkfac_vecenv_create(&v, "Pendulum-v1", N, 3, NULL));
    clkfac_env *single[N] = {make("Pendulum-v1", 3), make("Pendulum-v1", 4)};
    float obs[N * 3], fin[N * 3], so[3], act[N], rew[N];
    uint8_t term[N], trunc[N];
    double ret[N] = {0};
    TH_OK(clkfac_vecenv_reset(v, obs));
    for (int i = 0; i < N; i++) {
        TH_OK(clkfac_env_reset(single[i], so));
        assert_memory_equal(so, obs + 3 * i, sizeof so);
    }
    th_rng rng = {8};
    for (int t = 1; t <= 200; t++) {
        for (int i = 0; i < N; i++) act[i] = (float)(4.0 * th_uniform(&rng) - 2.0);
        TH_OK(clkfac_vecenv_step(v, act, obs, rew, term, trunc, fin));
        for (int i = 0; i < N; i++) {
            clkfac_step_result r;
            TH_OK(clkfac_env_step(&r, single[i], &act[i], so));
            ret[i] += r.reward;
            assert_true(rew[i] == (float)r.reward);
            assert_int_equal(term[i], 0);
            assert_int_equal(trunc[i], t == 200);
            assert_int_equal(r.truncated, t == 200);
            /* The last observation of the episode comes back in final_obs ... */
            assert_memory_equal(fin + 3 * i, so, sizeof so);
            if (t == 200) {
                /* ... and obs already holds the next episode's first one. */
                TH_OK(clkfac_env_reset(single[i], so));
                assert_memory_equal(obs + 3 * i, so, sizeof so);
            }
        }
    }
    size_t n = 0;
    const clkfac_episode_record *rec = clkfac_vecenv_episodes(v, &n);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(rec[i].env_index, (size_t)i);
        assert_int_equal(rec[i].length, 200);
        assert_int_equal(rec[i].terminated, 0);
        assert_int_equal(rec[i].timestep, 200 * N);
        assert_true(rec[i].ret == ret[i]);
        clkfac_env_free(single[i]);
    }
    /* Optional outputs may be NULL. */
    TH_OK(clkfac_vecenv_step(v, act, obs, NULL, NULL, NULL, NULL));
    clkfac_vecenv_free(v);
}

static void test_vecenv_invalid_input(void **state)
{
    (void)state;
    clkfac_vecenv *v = NULL;
    assert_int_equal(clkfac_vecenv_create(&v, "CartPole-v1", 0, 1, NULL), CLKFAC_ERR_INVALID_ARG);
    assert_null(v);
    TH_OK(clkfac_vecenv_create(&v, "CartPole-v1", 3, 1, NULL));
    float obs[12], act[3] = {0, 1, 5};
    assert_int_equal(clkfac_vecenv_step(v, act, obs, NULL, NULL, NULL, NULL),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "reset"));
    TH_OK(clkfac_vecenv_reset(v, obs));
    size_t size = clkfac_vecenv_state_size(v);
    unsigned char *before = malloc(size), *after = malloc(size);
    assert_non_null(before && after);
    TH_OK(clkfac_vecenv_get_state(v, before, size));
    assert_int_equal(clkfac_vecenv_step(v, act, obs, NULL, NULL, NULL, NULL),
                     CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "copy 2"));
    TH_OK(clkfac_vecenv_get_state(v, after, size));
    assert_memory_equal(before, after, size); /* copies 0 and 1 did not step either */
    act[2] = 1;
    TH_OK(clkfac_vecenv_step(v, act, obs, NULL, NULL, NULL, NULL));
    free(before);
    free(after);
    clkfac_vecenv_free(v);
}

static void test_vecenv_state_roundtrip(void **state)
{
    (void)state;
    enum { N = 3, T = 700 };
    clkfac_vecenv *a = NULL, *b = NULL, *c = NULL;
    TH_OK(clkfac_vecenv_create(&a, "Acrobot-v1", N, 5, NULL));
    TH_OK(clkfac_vecenv_create(&b, "Acrobot-v1", N, 99, NULL));
    TH_OK(clkfac_vecenv_create(&c, "Acrobot-v1", N + 1, 5, NULL));
    float obs[(N + 1) * 6], act[N];
    float *la = malloc(sizeof(float) * T * N * 7), *lb = malloc(sizeof(float) * T * N * 7);
    assert_non_null(la && lb);
    TH_OK(clkfac_vecenv_reset(a, obs));
    th_rng rng = {2};
    for (int t = 0; t < 300; t++) {
        for (int i = 0; i < N; i++) act[i] = (float)(th_next(&rng) % 3);
        TH_OK(clkfac_vecenv_step(a, act, obs, NULL, NULL, NULL, NULL));
    }
    size_t size = clkfac_vecenv_state_size(a);
    unsigned char *buf = malloc(size);
    assert_non_null(buf);
    TH_OK(clkfac_vecenv_get_state(a, buf, size));
    clkfac_vecenv_clear_episodes(a);

    /* Continue both from the saved point through the 500-step truncation and auto-resets. */
    clkfac_vecenv *runs[2] = {a, b};
    float *logs[2] = {la, lb};
    TH_OK(clkfac_vecenv_set_state(b, buf, size));
    assert_int_equal(clkfac_vecenv_timestep(b), 300 * N);
    for (int w = 0; w < 2; w++) {
        th_rng r2 = {77};
        for (int t = 0; t < T; t++) {
            float rew[N];
            for (int i = 0; i < N; i++) act[i] = (float)(th_next(&r2) % 3);
            float *row = logs[w] + (size_t)t * N * 7;
            TH_OK(clkfac_vecenv_step(runs[w], act, row, rew, NULL, NULL, NULL));
            memcpy(row + N * 6, rew, sizeof rew);
        }
    }
    assert_memory_equal(la, lb, sizeof(float) * T * N * 7);
    size_t na = 0, nb = 0;
    const clkfac_episode_record *ea = clkfac_vecenv_episodes(a, &na);
    const clkfac_episode_record *eb = clkfac_vecenv_episodes(b, &nb);
    assert_int_equal(na, nb);
    assert_true(na >= N); /* every copy passed its 500-step limit */
    for (size_t j = 0; j < na; j++) {
        assert_true(ea[j].ret == eb[j].ret);
        assert_int_equal(ea[j].length, eb[j].length);
        assert_int_equal(ea[j].timestep, eb[j].timestep);
        assert_int_equal(ea[j].env_index, eb[j].env_index);
        assert_int_equal(ea[j].terminated, eb[j].terminated);
    }

    /* Corrupt bytes and a different N are refused, and b is unchanged by the attempt. */
    unsigned char *before = malloc(size), *after = malloc(size);
    assert_non_null(before && after);
    TH_OK(clkfac_vecenv_get_state(b, before, size));
    buf[size / 2] ^= 1;
    assert_int_equal(clkfac_vecenv_set_state(b, buf, size), CLKFAC_ERR_FORMAT);
    buf[size / 2] ^= 1;
    assert_int_equal(clkfac_vecenv_set_state(c, buf, size), CLKFAC_ERR_FORMAT);
    assert_int_equal(clkfac_vecenv_set_state(b, buf, size - 1), CLKFAC_ERR_FORMAT);
    TH_OK(clkfac_vecenv_get_state(b, after, size));
    assert_memory_equal(before, after, size);
    free(before);
    free(after);
    free(buf);
    free(la);
    free(lb);
    clkfac_vecenv_free(a);
    clkfac_vecenv_free(b);
    clkfac_vecenv_free(c);
}

/* ---- random policy -------------------------------------------------------------------------- */

static void test_random_policy_returns(void **state)
{
    (void)state;
    /* Sane bands around what a uniform random policy must score: CartPole about 22, Acrobot
     * near the -500 floor, MountainCar never reaching the flag in 200 steps, the continuous car
     * paying 0.1 * E[a^2] = 1/30 per step for 999 steps, Pendulum around -1200. */
    const double lo[N_IDS] = {15.0, -500.0, -200.0, -40.0, -1600.0};
    const double hi[N_IDS] = {35.0, -350.0, -190.0, -25.0, -800.0};
    for (int k = 0; k < N_IDS; k++) {
        clkfac_env *env = make(all_ids[k], 1000 + (uint64_t)k);
        th_rng rng = {(uint64_t)k + 1};
        float obs[8], a[4];
        double total = 0, total_len = 0;
        int terminated = 0;
        for (int ep = 0; ep < 1000; ep++) {
            TH_OK(clkfac_env_reset(env, obs));
            clkfac_step_result r = {0};
            double ret = 0;
            do {
                random_action(env, &rng, a);
                TH_OK(clkfac_env_step(&r, env, a, obs));
                ret += r.reward;
            } while (!r.terminated && !r.truncated);
            terminated += r.terminated;
            total += ret;
            total_len += (double)r.steps;
        }
        double mean = total / 1000.0;
        print_message("%-26s random policy over 1000 episodes: mean return %9.2f, mean length "
                      "%6.1f, terminated %d\n",
                      all_ids[k], mean, total_len / 1000.0, terminated);
        if (mean < lo[k] || mean > hi[k])
            fail_msg("%s: random-policy mean return %g outside [%g, %g]", all_ids[k], mean, lo[k],
                     hi[k]);
        clkfac_env_free(env);
    }
}


/* Synthetic/Atari-v0: Atari-shaped frames in [0, 1) that change every step, reproducible. */
static void test_synthetic_atari_frames(void **state)
{
    (void)state;
    clkfac_env *a = NULL, *b = NULL;
    assert_int_equal(clkfac_env_create(&a, "Synthetic/Atari-v0", 5), CLKFAC_OK);
    assert_int_equal(clkfac_env_create(&b, "Synthetic/Atari-v0", 5), CLKFAC_OK);
    const clkfac_space *os = clkfac_env_observation_space(a);
    assert_int_equal(os->size, 4 * 84 * 84);
    assert_int_equal(clkfac_env_action_space(a)->n, 6);
    float *x = malloc(os->size * sizeof *x), *y = malloc(os->size * sizeof *y);
    assert_int_equal(clkfac_env_reset(a, x), CLKFAC_OK);
    assert_int_equal(clkfac_env_reset(b, y), CLKFAC_OK);
    assert_memory_equal(x, y, os->size * sizeof *x);
    double sum = 0;
    for (size_t i = 0; i < os->size; i++) {
        assert_true(x[i] >= 0.0f && x[i] < 1.0f);
        sum += x[i];
    }
    assert_true(fabs(sum / (double)os->size - 0.5) < 0.01); /* uniform-looking */
    clkfac_step_result r;
    assert_int_equal(clkfac_env_step_discrete(&r, a, 3, y), CLKFAC_OK);
    assert_memory_not_equal(x, y, os->size * sizeof *x);
    assert_false(r.terminated);
    /* A state is untrusted bytes: a frame counter far beyond what steps can reach (1.8e127, or
     * negative, or fractional) is refused, not converted to an integer out of range. */
    size_t size = clkfac_env_state_size(a);
    unsigned char *good = malloc(size), *bad = malloc(size);
    assert_non_null(good && bad);
    TH_OK(clkfac_env_get_state(a, good, size));
    const double counters[] = {1.8e127, -1.0, 2.5, 1e16};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
        memcpy(bad, good, size);
        env_put_f64(bad + 104, counters[i]);
        put_checksum(bad, size);
        if (clkfac_env_set_state(a, bad, size) != CLKFAC_ERR_FORMAT)
            fail_msg("frame counter %g was accepted", counters[i]);
        assert_non_null(strstr(clkfac_last_error(), "frame counter"));
    }
    memcpy(bad, good, size);
    env_put_f64(bad + 112, 1e300);
    put_checksum(bad, size);
    assert_int_equal(clkfac_env_set_state(a, bad, size), CLKFAC_ERR_FORMAT);
    memcpy(bad, good, size);
    env_put_f64(bad + 104, 123456.0);
    put_checksum(bad, size);
    TH_OK(clkfac_env_set_state(a, bad, size));
    TH_OK(clkfac_env_set_state(b, bad, size));
    assert_int_equal(clkfac_env_step_discrete(&r, a, 0, x), CLKFAC_OK);
    assert_int_equal(clkfac_env_step_discrete(&r, b, 5, y), CLKFAC_OK);
    assert_memory_equal(x, y, os->size * sizeof *x);
    free(good);
    free(bad);
    free(x);
    free(y);
    clkfac_env_free(a);
    clkfac_env_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synthetic_atari_frames),
        cmocka_unit_test(test_ids_spaces_and_limits),
        cmocka_unit_test(test_unknown_id_lists_valid_ids),
        cmocka_unit_test(test_start_states_in_range),
        cmocka_unit_test(test_cartpole_step_matches_equations),
        cmocka_unit_test(test_cartpole_termination_edges),
        cmocka_unit_test(test_acrobot_step_matches_rk4),
        cmocka_unit_test(test_mountaincar_step_and_edges),
        cmocka_unit_test(test_mountaincar_continuous_reward_and_clipping),
        cmocka_unit_test(test_pendulum_step_normalization_never_terminates),
        cmocka_unit_test(test_truncation_at_exactly_the_limit),
        cmocka_unit_test(test_determinism_per_seed),
        cmocka_unit_test(test_state_roundtrip_continues_bit_exactly),
        cmocka_unit_test(test_state_corruption_rejected),
        cmocka_unit_test(test_invalid_actions_rejected),
        cmocka_unit_test(test_vecenv_autoreset_and_records),
        cmocka_unit_test(test_vecenv_truncation_gives_final_obs),
        cmocka_unit_test(test_vecenv_invalid_input),
        cmocka_unit_test(test_vecenv_state_roundtrip),
        cmocka_unit_test(test_random_policy_returns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
