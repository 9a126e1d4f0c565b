/* The MuJoCo tasks: every reward term, health test and observation layout checked by hand on
 * constructed states (the rules need no libmujoco and always run); then, when the tasks are
 * built in, each task's spaces and limits, its model against the rules (frame skip as dt,
 * the reward an env step pays against the rules on the states before and after), termination
 * and the time limit, the reset distribution, determinism for a seed, the state bytes
 * (bit-exact continuation, corruption refused) and a vector env that steps without MuJoCo
 * allocations, and the grayscale pictures. Without libmujoco those tests skip with the reason. */
/* ctest-labels: unit */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "envs/mujoco.h"
#include "harness.h"
#include "test_mujoco_util.h"

#ifdef CLKFAC_HAVE_MUJOCO
#include <mujoco/mujoco.h>
#endif

static void near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol * (1.0 + fabs(want))))
        fail_msg("%s: got %.17g, want %.17g (tol %.1g)", what, got, want, tol);
}

/* ---- the rules by hand (no libmujoco needed) -------------------------------------------------- */

static void test_rules_locomotion_rewards(void **state)
{
    (void)state;
    double before[9] = {0}, after[9] = {0}, qvel[9] = {0};
    mjr_terms t;

    /* HalfCheetah: dt 0.01 * 5; x 0.1 -> 0.35 is 5 m/s; ctrl 0.1 * 6 * 0.25 */
    float a6[6] = {0.5f, -0.5f, 0.5f, -0.5f, 0.5f, 0.5f};
    before[0] = 0.1;
    after[0] = 0.35;
    after[1] = -5.0; /* a fallen cheetah is not unhealthy: it never terminates */
    mjr_reward(MJR_HALF_CHEETAH, before, after, qvel, NULL, a6, &t);
    near(t.x_velocity, 5.0, 1e-12, "cheetah x velocity");
    near(t.forward, 5.0, 1e-12, "cheetah forward");
    near(t.ctrl, -0.15, 1e-12, "cheetah ctrl");
    near(t.total, 4.85, 1e-12, "cheetah total");
    assert_int_equal(t.terminated, 0);
    assert_true(t.healthy == 0.0);

    /* Hopper: dt 0.002 * 4; 0.016 m is 2 m/s; healthy +1; ctrl 1e-3 * (1 + 1 + 0.25) */
    float a3[3] = {1.0f, -1.0f, 0.5f};
    memset(before, 0, sizeof before);
    double hop[6] = {0.016, 1.2, 0.1, -0.5, -0.5, 0.3};
    mjr_reward(MJR_HOPPER, before, hop, qvel, NULL, a3, &t);
    near(t.forward, 2.0, 1e-12, "hopper forward");
    near(t.healthy, 1.0, 0, "hopper healthy");
    near(t.ctrl, -2.25e-3, 1e-12, "hopper ctrl");
    near(t.total, 2.0 + 1.0 - 2.25e-3, 1e-12, "hopper total");
    assert_int_equal(t.terminated, 0);
    hop[1] = 0.7; /* z must be strictly above 0.7 */
    mjr_reward(MJR_HOPPER, before, hop, qvel, NULL, a3, &t);
    assert_int_equal(t.terminated, 1);
    assert_true(t.healthy == 0.0);
    near(t.total, 2.0 - 2.25e-3, 1e-12, "hopper unhealthy total");

    /* Walker2d: same weights as Hopper, dt 0.008 */
    double walk[9] = {-0.008, 1.3, -0.9, 0, 0, 0, 0, 0, 0};
    mjr_reward(MJR_WALKER2D, before, walk, qvel, NULL, a6, &t);
    near(t.forward, -1.0, 1e-12, "walker forward");
    near(t.ctrl, -1.5e-3, 1e-12, "walker ctrl");
    near(t.total, -1.0 + 1.0 - 1.5e-3, 1e-12, "walker total");
    assert_int_equal(t.terminated, 0);

    /* Swimmer: dt 0.01 * 4; ctrl 1e-4; y motion is not rewarded */
    float a2[2] = {1.0f, -1.0f};
    double sw[5] = {0.02, 3.0, 1.0, 0.5, -0.5};
    mjr_reward(MJR_SWIMMER, before, sw, qvel, NULL, a2, &t);
    near(t.forward, 0.5, 1e-12, "swimmer forward");
    near(t.ctrl, -2e-4, 1e-12, "swimmer ctrl");
    near(t.total, 0.5 - 2e-4, 1e-12, "swimmer total");
    assert_int_equal(t.terminated, 0);

    /* The control cost reads the action as given, beyond the control range too. */
    float big[2] = {3.0f, 0.0f};
    mjr_reward(MJR_SWIMMER, before, sw, qvel, NULL, big, &t);
    near(t.ctrl, -9e-4, 1e-12, "swimmer ctrl of an out-of-range action");
}

static void test_rules_health_edges(void **state)
{
    (void)state;
    double q[9] = {0, 1.0, 0.0, 0, 0, 0, 0, 0, 0}, v[9] = {0};
    /* Hopper: z > 0.7, |angle| < 0.2, qpos[2:] and qvel in (-100, 100) */
    assert_true(mjr_healthy(MJR_HOPPER, q, v, NULL));
    q[2] = 0.2;
    assert_false(mjr_healthy(MJR_HOPPER, q, v, NULL));
    q[2] = -0.1999;
    assert_true(mjr_healthy(MJR_HOPPER, q, v, NULL));
    q[5] = -99.9;
    assert_true(mjr_healthy(MJR_HOPPER, q, v, NULL));
    q[5] = -100.0;
    assert_false(mjr_healthy(MJR_HOPPER, q, v, NULL));
    q[5] = 0;
    q[0] = 500.0; /* x is not part of the health test */
    assert_true(mjr_healthy(MJR_HOPPER, q, v, NULL));
    v[0] = 100.0; /* every velocity is, the root's too */
    assert_false(mjr_healthy(MJR_HOPPER, q, v, NULL));
    v[0] = 0;
    q[1] = 0.7000001;
    assert_true(mjr_healthy(MJR_HOPPER, q, v, NULL));
    q[1] = 50.0; /* no upper bound on z */
    assert_true(mjr_healthy(MJR_HOPPER, q, v, NULL));

    /* Walker2d: z in (0.8, 2), angle in (-1, 1), no state range */
    double w[9] = {0, 1.25, 0, 0, 0, 0, 0, 0, 0}, wv[9] = {0};
    wv[4] = 1e6;
    assert_true(mjr_healthy(MJR_WALKER2D, w, wv, NULL));
    w[1] = 2.0;
    assert_false(mjr_healthy(MJR_WALKER2D, w, wv, NULL));
    w[1] = 0.8;
    assert_false(mjr_healthy(MJR_WALKER2D, w, wv, NULL));
    w[1] = 1.999;
    w[2] = -0.999;
    assert_true(mjr_healthy(MJR_WALKER2D, w, wv, NULL));
    w[2] = 1.0;
    assert_false(mjr_healthy(MJR_WALKER2D, w, wv, NULL));

    /* InvertedPendulum: |hinge| <= 0.2 and finite; reward 1 while it stands, 0 on the end */
    double ip[2] = {0.9, 0.2}, ipv[2] = {0, 0};
    float a1[1] = {2.5f};
    mjr_terms t;
    mjr_reward(MJR_INVERTED_PENDULUM, ip, ip, ipv, NULL, a1, &t);
    assert_int_equal(t.terminated, 0);
    near(t.total, 1.0, 0, "pendulum reward standing");
    ip[1] = -0.2000001;
    mjr_reward(MJR_INVERTED_PENDULUM, ip, ip, ipv, NULL, a1, &t);
    assert_int_equal(t.terminated, 1);
    assert_true(t.total == 0.0);
    ip[1] = 0.0;
    ipv[0] = NAN;
    mjr_reward(MJR_INVERTED_PENDULUM, ip, ip, ipv, NULL, a1, &t);
    assert_int_equal(t.terminated, 1);
}

static void test_rules_pendulum_and_reacher_rewards(void **state)
{
    (void)state;
    mjr_terms t;
    /* InvertedDoublePendulum: tip (0.1, z 1.1): dist 0.01*0.01 + 0.81; w1 2, w2 -1:
     * 1e-3*4 + 5e-3*1; alive 10 while the tip is above 1 */
    double q[3] = {0.3, 0.1, -0.2}, v[3] = {5.0, 2.0, -1.0}, ext[3] = {0.1, 1.1, 3.0};
    float a[1] = {0.5f};
    mjr_reward(MJR_INVERTED_DOUBLE_PENDULUM, q, q, v, ext, a, &t);
    near(t.dist, -0.8101, 1e-12, "idp distance penalty");
    near(t.vel, -0.009, 1e-12, "idp velocity penalty");
    near(t.healthy, 10.0, 0, "idp alive bonus");
    near(t.total, 10.0 - 0.8101 - 0.009, 1e-12, "idp total");
    assert_true(t.ctrl == 0.0); /* no control cost */
    assert_int_equal(t.terminated, 0);
    ext[1] = 1.0; /* terminated at tip z <= 1, without the bonus */
    mjr_reward(MJR_INVERTED_DOUBLE_PENDULUM, q, q, v, ext, a, &t);
    assert_int_equal(t.terminated, 1);
    near(t.total, -(0.0001 + 1.0) - 0.009, 1e-12, "idp terminal total");

    /* Reacher: -|tip - target| after the step (v5), -sum(a^2) */
    double rq[4] = {0}, rv[4] = {0}, ea[3] = {0.03, -0.04, 0.0};
    float ra[2] = {0.5f, -0.5f};
    mjr_reward(MJR_REACHER, rq, rq, rv, ea, ra, &t);
    near(t.dist, -0.05, 1e-12, "reacher distance");
    near(t.ctrl, -0.5, 1e-12, "reacher ctrl");
    near(t.total, -0.55, 1e-12, "reacher total");
    assert_int_equal(t.terminated, 0);
}

/* Each observation's layout: qpos entries 10+i, qvel 20+i (clipped where the task clips). */
static void test_rules_observation_layouts(void **state)
{
    (void)state;
    double q[9], v[9], ext[3] = {0.25, -0.5, 12.0};
    for (int i = 0; i < 9; i++) {
        q[i] = 10.0 + i;
        v[i] = 20.0 + i;
    }
    float o[MJR_MAX_OBS];
    mjr_observe(MJR_INVERTED_PENDULUM, q, v, NULL, o);
    float ip[4] = {10, 11, 20, 21};
    assert_memory_equal(o, ip, sizeof ip);
    mjr_observe(MJR_HALF_CHEETAH, q, v, NULL, o);
    for (int i = 0; i < 8; i++) assert_true(o[i] == (float)(11 + i)); /* x excluded */
    for (int i = 0; i < 9; i++) assert_true(o[8 + i] == (float)(20 + i));
    mjr_observe(MJR_HOPPER, q, v, NULL, o);
    for (int i = 0; i < 5; i++) assert_true(o[i] == (float)(11 + i));
    for (int i = 0; i < 6; i++) assert_true(o[5 + i] == 10.0f); /* velocities clipped to 10 */
    mjr_observe(MJR_WALKER2D, q, v, NULL, o);
    for (int i = 0; i < 8; i++) assert_true(o[i] == (float)(11 + i));
    for (int i = 0; i < 9; i++) assert_true(o[8 + i] == 10.0f);
    double vn[9];
    for (int i = 0; i < 9; i++) vn[i] = -3.0 - 2.0 * i; /* -3, -5, ... -19: some clipped */
    mjr_observe(MJR_WALKER2D, q, vn, NULL, o);
    for (int i = 0; i < 9; i++) assert_true(o[8 + i] == (float)fmax(vn[i], -10.0));
    mjr_observe(MJR_SWIMMER, q, v, NULL, o);
    for (int i = 0; i < 3; i++) assert_true(o[i] == (float)(12 + i)); /* x, y excluded */
    for (int i = 0; i < 5; i++) assert_true(o[3 + i] == (float)(20 + i));

    double iq[3] = {0.4, 0.3, -1.2}, iv[3] = {1.0, -20.0, 15.0};
    mjr_observe(MJR_INVERTED_DOUBLE_PENDULUM, iq, iv, ext, o);
    float idp[9] = {0.4f, (float)sin(0.3), (float)sin(-1.2), (float)cos(0.3), (float)cos(-1.2),
                    1.0f, -10.0f, 10.0f, 10.0f};
    assert_memory_equal(o, idp, sizeof idp);

    double rq[4] = {0.5, -2.0, 0.1, -0.15}, rv[4] = {3.0, -4.0, 7.0, 8.0};
    mjr_observe(MJR_REACHER, rq, rv, ext, o);
    float re[10] = {(float)cos(0.5), (float)cos(-2.0), (float)sin(0.5), (float)sin(-2.0), 0.1f,
                    -0.15f, 3.0f, -4.0f, 0.25f, -0.5f};
    assert_memory_equal(o, re, sizeof re);
}

static void test_rules_specs(void **state)
{
    (void)state;
    /* Gymnasium's frame skips, step lengths and action ranges */
    const struct { mjr_task t; int skip; double dt; int obs; double lim; uint64_t limit; } want[] = {
        {MJR_INVERTED_PENDULUM, 2, 0.04, 4, 3.0, 1000},
        {MJR_INVERTED_DOUBLE_PENDULUM, 5, 0.05, 9, 1.0, 1000},
        {MJR_REACHER, 2, 0.02, 10, 1.0, 50},
        {MJR_HALF_CHEETAH, 5, 0.05, 17, 1.0, 1000},
        {MJR_HOPPER, 4, 0.008, 11, 1.0, 1000},
        {MJR_WALKER2D, 4, 0.008, 17, 1.0, 1000},
        {MJR_SWIMMER, 4, 0.04, 8, 1.0, 1000},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const mjr_spec *s = mjr_spec_of(want[i].t);
        assert_int_equal(s->frame_skip, want[i].skip);
        near(s->timestep * s->frame_skip, want[i].dt, 1e-12, s->name);
        assert_int_equal(s->obs_size, want[i].obs);
        assert_true(s->act_limit == want[i].lim);
        assert_int_equal(s->max_steps, want[i].limit);
        assert_int_equal(mjr_task_of_id(s->id), (int)want[i].t);
    }
    assert_int_equal(mjr_task_of_id("MuJoCo/Ant-v1"), -1);
}

/* ---- the tasks on libmujoco ------------------------------------------------------------------ */

static void test_missing_is_explained(void **state)
{
    (void)state;
    clkfac_env *e = NULL;
    if (clkfac_env_missing()) {
        assert_int_equal(clkfac_env_create(&e, "MuJoCo/Hopper-v1", 1), CLKFAC_ERR_UNSUPPORTED);
        assert_non_null(strstr(clkfac_last_error(), "libmujoco-dev"));
        assert_null(e);
        return;
    }
    assert_int_equal(clkfac_env_create(&e, "MuJoCo/Ant-v1", 1), CLKFAC_ERR_INVALID_ARG);
    assert_non_null(strstr(clkfac_last_error(), "MuJoCo/Hopper-v1"));
}

static void test_spaces_limits_and_state_size(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    size_t n = 0;
    const char *const *ids = clkfac_env_ids(&n);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        int t = mjr_task_of_id(ids[i]);
        if (t < 0) continue;
        assert_int_equal(t, seen++); /* listed in the order of mjr_task */
        const mjr_spec *s = mjr_spec_of((mjr_task)t);
        clkfac_env *e = make(s->id, 1);
        assert_string_equal(clkfac_env_id(e), s->id);
        assert_int_equal(clkfac_env_max_steps(e), s->max_steps);
        const clkfac_space *o = clkfac_env_observation_space(e), *a = clkfac_env_action_space(e);
        assert_int_equal(o->kind, CLKFAC_SPACE_BOX);
        assert_int_equal(o->size, (size_t)s->obs_size);
        assert_int_equal(o->dims[0], s->obs_size);
        for (size_t j = 0; j < o->size; j++) assert_true(isinf(o->low[j]) && isinf(o->high[j]));
        assert_int_equal(a->kind, CLKFAC_SPACE_BOX);
        assert_int_equal(a->size, (size_t)s->nu);
        for (size_t j = 0; j < a->size; j++)
            assert_true(a->low[j] == (float)-s->act_limit && a->high[j] == (float)s->act_limit);
        assert_int_equal(clkfac_env_state_size(e),
                         104u + 8u * (1u + (size_t)(s->nq + 2 * s->nv + s->n_ext)));
        clkfac_env_free(e);
    }
    assert_int_equal(seen, MJR_COUNT);
}

/* An env step pays what the rules say for the states before and after it (so frame skip and
 * the extras are plumbed right), and x velocity is the mean over the step's dt. */
static void test_env_step_pays_the_rules(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    th_rng r = {11};
    for (int t = 0; t < MJR_COUNT; t++) {
        const mjr_spec *s = mjr_spec_of((mjr_task)t);
        clkfac_env *e = make(s->id, 5);
        float obs[MJR_MAX_OBS], a[MJR_MAX_NU];
        TH_OK(clkfac_env_reset(e, obs));
        for (int k = 0; k < 40; k++) {
            double qb[MJR_MAX_NQ], qa[MJR_MAX_NQ], va[MJR_MAX_NV], ea[MJR_MAX_EXT];
            TH_OK(env_mujoco_get(e, qb, NULL, NULL));
            random_action(&r, s, a);
            clkfac_step_result res;
            TH_OK(clkfac_env_step(&res, e, a, obs));
            TH_OK(env_mujoco_get(e, qa, va, ea));
            mjr_terms want;
            mjr_reward((mjr_task)t, qb, qa, va, ea, a, &want);
            assert_true(res.reward == want.total);
            assert_int_equal(res.terminated, want.terminated);
            float wo[MJR_MAX_OBS];
            mjr_observe((mjr_task)t, qa, va, ea, wo);
            assert_memory_equal(obs, wo, (size_t)s->obs_size * sizeof(float));
            if (res.terminated || res.truncated) TH_OK(clkfac_env_reset(e, obs));
        }
        clkfac_env_free(e);
    }
}

/* The extras are what they name: Reacher's tip - target from the arm's geometry (links 0.1,
 * fingertip 0.11 along the second; the target's slides read its world position); IDP's tip
 * from the two 0.6 poles. */
static void test_extras_match_geometry(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    clkfac_env *e = make("MuJoCo/Reacher-v1", 1);
    double q[4] = {0.3, -0.7, 0.05, 0.12}, v[4] = {0}, ext[3];
    TH_OK(env_mujoco_set(e, q, v));
    TH_OK(env_mujoco_get(e, NULL, NULL, ext));
    double tx = 0.1 * cos(0.3) + 0.11 * cos(0.3 - 0.7), ty = 0.1 * sin(0.3) + 0.11 * sin(0.3 - 0.7);
    near(ext[0], tx - 0.05, 1e-12, "reacher dx");
    near(ext[1], ty - 0.12, 1e-12, "reacher dy");
    near(ext[2], 0.0, 1e-12, "reacher dz");
    clkfac_env_free(e);

    e = make("MuJoCo/InvertedDoublePendulum-v1", 1);
    double iq[3] = {0.2, 0.3, -0.1}, iv[3] = {0};
    TH_OK(env_mujoco_set(e, iq, iv));
    TH_OK(env_mujoco_get(e, NULL, NULL, ext));
    near(ext[0], 0.2 + 0.6 * sin(0.3) + 0.6 * sin(0.2), 1e-12, "idp tip x");
    near(ext[1], 0.6 * cos(0.3) + 0.6 * cos(0.2), 1e-12, "idp tip z");
    clkfac_env_free(e);
}

/* Termination in the physics: a hopper dropped low, a pendulum leaning past 0.2 with speed, a
 * double pendulum folded down; and the time limit (Reacher 50, the others 1000) truncates. */
static void test_termination_and_time_limit(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    float obs[MJR_MAX_OBS], zero[MJR_MAX_NU] = {0};
    clkfac_step_result res;

    clkfac_env *e = make("MuJoCo/Hopper-v1", 1);
    double hq[6] = {0, 0.6, 0, 0, 0, 0}, hv[6] = {0, -1.0, 0, 0, 0, 0};
    TH_OK(env_mujoco_set(e, hq, hv));
    TH_OK(clkfac_env_step(&res, e, zero, obs));
    assert_int_equal(res.terminated, 1);
    assert_true(obs[0] < 0.7f); /* obs[0] is z */
    assert_int_equal(clkfac_env_step(&res, e, zero, obs), CLKFAC_ERR_INVALID_ARG);
    clkfac_env_free(e);

    e = make("MuJoCo/InvertedPendulum-v1", 1);
    double pq[2] = {0, 0.19}, pv[2] = {0, 2.0};
    TH_OK(env_mujoco_set(e, pq, pv));
    int steps = 0;
    do {
        TH_OK(clkfac_env_step(&res, e, zero, obs));
        steps++;
        assert_true(res.reward == (res.terminated ? 0.0 : 1.0));
    } while (!res.terminated && steps < 10);
    assert_int_equal(res.terminated, 1);
    assert_true(fabsf(obs[1]) > 0.2f);
    clkfac_env_free(e);

    e = make("MuJoCo/InvertedDoublePendulum-v1", 1);
    double dq[3] = {0, 1.5, 0.5}, dv[3] = {0};
    TH_OK(env_mujoco_set(e, dq, dv));
    TH_OK(clkfac_env_step(&res, e, zero, obs));
    assert_int_equal(res.terminated, 1);
    clkfac_env_free(e);

    for (int t = 0; t < MJR_COUNT; t++) {
        const mjr_spec *s = mjr_spec_of((mjr_task)t);
        e = make(s->id, 3);
        TH_OK(clkfac_env_reset(e, obs));
        env_steps_set(e, s->max_steps - 2);
        TH_OK(clkfac_env_step(&res, e, zero, obs));
        assert_int_equal(res.truncated, 0);
        TH_OK(clkfac_env_step(&res, e, zero, obs));
        assert_int_equal(res.terminated, 0);
        assert_int_equal(res.truncated, 1);
        assert_int_equal(res.steps, s->max_steps);
        clkfac_env_free(e);
    }
}

/* The start states: qpos0 plus uniform noise of +-scale (velocities too, or scale * N(0, 1)
 * for HalfCheetah and InvertedDoublePendulum); Reacher's target uniform in the 0.2 disc, its
 * velocities zero, the arm's +-0.005. Moments over 4000 resets. */
static void test_reset_distribution(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    const double scales[MJR_COUNT] = {0.01, 0.1, 0.1, 0.1, 5e-3, 5e-3, 0.1};
    const int normal_vel[MJR_COUNT] = {0, 1, 0, 1, 0, 0, 0};
    enum { N = 4000 };
    for (int t = 0; t < MJR_COUNT; t++) {
        const mjr_spec *s = mjr_spec_of((mjr_task)t);
        clkfac_env *e = make(s->id, 100 + (uint64_t)t);
        double q0[MJR_MAX_NQ] = {0};
        if (t == MJR_HOPPER || t == MJR_WALKER2D) q0[1] = 1.25; /* rootz's ref */
        if (t == MJR_REACHER) { /* the target slides' refs */
            q0[2] = 0.1;
            q0[3] = -0.1;
        }
        double sq[MJR_MAX_NQ] = {0}, mq[MJR_MAX_NQ] = {0}, maxq[MJR_MAX_NQ] = {0};
        double sv[MJR_MAX_NV] = {0}, mv[MJR_MAX_NV] = {0}, maxv[MJR_MAX_NV] = {0};
        float obs[MJR_MAX_OBS];
        for (int k = 0; k < N; k++) {
            double q[MJR_MAX_NQ], v[MJR_MAX_NV], ext[MJR_MAX_EXT];
            TH_OK(clkfac_env_reset(e, obs));
            TH_OK(env_mujoco_get(e, q, v, ext));
            float wo[MJR_MAX_OBS];
            mjr_observe((mjr_task)t, q, v, ext, wo);
            assert_memory_equal(obs, wo, (size_t)s->obs_size * sizeof(float));
            for (int i = 0; i < s->nq; i++) {
                double d = q[i] - q0[i];
                mq[i] += d / N;
                sq[i] += d * d / N;
                maxq[i] = fmax(maxq[i], fabs(d));
            }
            for (int i = 0; i < s->nv; i++) {
                mv[i] += v[i] / N;
                sv[i] += v[i] * v[i] / N;
                maxv[i] = fmax(maxv[i], fabs(v[i]));
            }
            if (t == MJR_REACHER) {
                assert_true(q[2] * q[2] + q[3] * q[3] < 0.04);
                assert_true(v[2] == 0.0 && v[3] == 0.0);
            }
        }
        double sc = scales[t], u_sd = sc / sqrt(3.0);
        char what[96];
        int nq_noise = t == MJR_REACHER ? 2 : s->nq;
        for (int i = 0; i < nq_noise; i++) {
            snprintf(what, sizeof what, "%s qpos[%d]", s->name, i);
            assert_true(maxq[i] <= sc && maxq[i] > 0.95 * sc);
            near(mq[i] / sc, 0.0, 0.06, what);
            near(sqrt(sq[i]) / u_sd, 1.0, 0.05, what);
        }
        int nv_noise = t == MJR_REACHER ? 2 : s->nv;
        double vsc = t == MJR_REACHER ? 0.005 : sc;
        for (int i = 0; i < nv_noise; i++) {
            snprintf(what, sizeof what, "%s qvel[%d]", s->name, i);
            if (normal_vel[t]) {
                near(sqrt(sv[i]) / vsc, 1.0, 0.05, what);
                assert_true(maxv[i] > 2.5 * vsc); /* tails a uniform never has */
            } else {
                assert_true(maxv[i] <= vsc && maxv[i] > 0.95 * vsc);
                near(sqrt(sv[i]) / (vsc / sqrt(3.0)), 1.0, 0.05, what);
            }
            near(mv[i] / vsc, 0.0, 0.06, what);
        }
        clkfac_env_free(e);
    }
}

static void run(clkfac_env *e, uint64_t action_seed, int n, float *obs_out, double *rew_out)
{
    const mjr_spec *s = mjr_spec_of((mjr_task)env_mujoco_task(e));
    th_rng r = {action_seed};
    float a[MJR_MAX_NU];
    for (int k = 0; k < n; k++) {
        random_action(&r, s, a);
        clkfac_step_result res;
        TH_OK(clkfac_env_step(&res, e, a, obs_out + (size_t)k * (size_t)s->obs_size));
        rew_out[k] = res.reward + 1000.0 * res.terminated + 2000.0 * res.truncated;
        if (res.terminated || res.truncated) {
            float tmp[MJR_MAX_OBS];
            TH_OK(clkfac_env_reset(e, tmp));
        }
    }
}

static void test_determinism_and_state_roundtrip(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    enum { T = 300 };
    float *oa = malloc(T * MJR_MAX_OBS * sizeof(float)), *ob = malloc(T * MJR_MAX_OBS * sizeof(float));
    double ra[T], rb[T];
    assert_non_null(oa && ob);
    for (int t = 0; t < MJR_COUNT; t++) {
        const mjr_spec *s = mjr_spec_of((mjr_task)t);
        size_t od = (size_t)s->obs_size;
        float o[MJR_MAX_OBS], o2[MJR_MAX_OBS];
        /* same seed, same actions: the same bits; another seed: another start */
        clkfac_env *a = make(s->id, 7), *b = make(s->id, 7), *c = make(s->id, 8);
        TH_OK(clkfac_env_reset(a, o));
        TH_OK(clkfac_env_reset(b, o2));
        assert_memory_equal(o, o2, od * sizeof(float));
        TH_OK(clkfac_env_reset(c, o2));
        assert_memory_not_equal(o, o2, od * sizeof(float));
        run(a, 1, T, oa, ra);
        run(b, 1, T, ob, rb);
        assert_memory_equal(oa, ob, T * od * sizeof(float));
        assert_memory_equal(ra, rb, sizeof ra);

        /* state bytes mid-episode: a fresh env continues bit-exactly across resets */
        size_t size = clkfac_env_state_size(a);
        unsigned char *buf = malloc(size), *bad = malloc(size);
        assert_non_null(buf && bad);
        TH_OK(clkfac_env_get_state(a, buf, size));
        TH_OK(clkfac_env_observe(a, o));
        run(a, 2, T, oa, ra);
        TH_OK(clkfac_env_set_state(c, buf, size));
        TH_OK(clkfac_env_observe(c, o2));
        assert_memory_equal(o, o2, od * sizeof(float));
        run(c, 2, T, ob, rb);
        assert_memory_equal(oa, ob, T * od * sizeof(float));
        assert_memory_equal(ra, rb, sizeof ra);

        /* corrupted or impossible bytes are refused and leave the env as it was */
        unsigned char *now = malloc(size), *after = malloc(size);
        assert_non_null(now && after);
        TH_OK(clkfac_env_get_state(c, now, size));
        for (size_t i = 0; i < size; i += 7) {
            memcpy(bad, buf, size);
            bad[i] ^= 0x10;
            assert_int_equal(clkfac_env_set_state(c, bad, size), CLKFAC_ERR_FORMAT);
        }
        memcpy(bad, buf, size);
        env_put_f64(bad + 104 + 8, NAN); /* qpos[0] */
        uint64_t h = core_fnv1a(CORE_FNV_INIT, bad, 56);
        env_put_u64(bad + 56, core_fnv1a(h, bad + 64, size - 64));
        assert_int_equal(clkfac_env_set_state(c, bad, size), CLKFAC_ERR_FORMAT);
        assert_non_null(strstr(clkfac_last_error(), "finite"));
        TH_OK(clkfac_env_get_state(c, after, size));
        assert_memory_equal(now, after, size);
        free(now);
        free(after);
        free(buf);
        free(bad);
        clkfac_env_free(a);
        clkfac_env_free(b);
        clkfac_env_free(c);
    }
    free(oa);
    free(ob);
}

#ifdef CLKFAC_HAVE_MUJOCO
/* Counts MuJoCo's allocations; 64-byte aligned as MuJoCo's own allocator (its arena layout
 * assumes it), so blocks from either are freed by free(). */
static long mj_allocs;
static void *count_malloc(size_t n)
{
    mj_allocs++;
    return aligned_alloc(64, (n + 63) / 64 * 64);
}
#endif

/* A vector env of 4 Hoppers (short episodes, so auto-resets happen) steps 2000 times without
 * MuJoCo allocating, its state round trip included; every copy reports episodes. */
static void test_vecenv_steps_without_allocations(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
#ifdef CLKFAC_HAVE_MUJOCO
    enum { N = 4 };
    const mjr_spec *s = mjr_spec_of(MJR_HOPPER);
    clkfac_vecenv *v = NULL;
    TH_OK(clkfac_vecenv_create(&v, s->id, N, 9, NULL));
    float obs[N * 11], act[N * 3], rew[N];
    uint8_t term[N], trunc[N];
    TH_OK(clkfac_vecenv_reset(v, obs));
    th_rng r = {3};
    size_t episodes = 0;
    mj_allocs = 0;
    mju_user_malloc = count_malloc; /* from here on, any MuJoCo allocation is counted */
    for (int k = 0; k < 2000; k++) {
        for (int i = 0; i < N; i++) random_action(&r, s, act + 3 * i);
        TH_OK(clkfac_vecenv_step(v, act, obs, rew, term, trunc, NULL));
        size_t cnt = 0;
        clkfac_vecenv_episodes(v, &cnt);
        episodes += cnt;
        clkfac_vecenv_clear_episodes(v);
    }
    size_t size = clkfac_vecenv_state_size(v);
    unsigned char *buf = malloc(size);
    assert_non_null(buf);
    TH_OK(clkfac_vecenv_get_state(v, buf, size));
    TH_OK(clkfac_vecenv_set_state(v, buf, size));
    long stepping = mj_allocs;
    clkfac_env *probe = NULL; /* a new instance's data does allocate: the counter works */
    TH_OK(clkfac_env_create(&probe, s->id, 1));
    long creating = mj_allocs - stepping;
    mju_user_malloc = NULL;
    clkfac_env_free(probe);
    free(buf);
    clkfac_vecenv_free(v);
    assert_int_equal(stepping, 0);
    assert_true(creating > 0);
    assert_true(episodes > 100); /* random hoppers fall within ~25 steps */
#endif
}

/* A uniform random policy's mean return over 30 episodes, printed and held to ranges around
 * published random-policy scores (HalfCheetah about -280, Hopper about 18, Reacher about -43,
 * InvertedPendulum about 6, InvertedDoublePendulum about 55, Walker2d about 2, Swimmer about 0). */
static void test_random_policy_returns(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    const double lo[MJR_COUNT] = {3, 30, -55, -450, 5, -10, -30};
    const double hi[MJR_COUNT] = {12, 100, -30, -150, 40, 20, 40};
    for (int t = 0; t < MJR_COUNT; t++) {
        const mjr_spec *s = mjr_spec_of((mjr_task)t);
        clkfac_env *e = make(s->id, 21);
        th_rng r = {77};
        double total = 0;
        float obs[MJR_MAX_OBS], a[MJR_MAX_NU];
        for (int ep = 0; ep < 30; ep++) {
            TH_OK(clkfac_env_reset(e, obs));
            clkfac_step_result res = {0};
            while (!res.terminated && !res.truncated) {
                random_action(&r, s, a);
                TH_OK(clkfac_env_step(&res, e, a, obs));
                total += res.reward;
            }
        }
        print_message("%-34s random-policy mean return %9.3f\n", s->id, total / 30);
        if (!(total / 30 >= lo[t] && total / 30 <= hi[t]))
            fail_msg("%s: random mean return %g outside [%g, %g]", s->id, total / 30, lo[t], hi[t]);
        clkfac_env_free(e);
    }
}

/* Pictures: an upright pendulum lights the pixels above the cart and a tilted one does not,
 * the corner stays background, the same state draws the same bytes, a Hopper's floor is the
 * dark band at the bottom; other envs and bad sizes are refused. */
static void test_render_gray(void **state)
{
    (void)state;
    REQUIRE_MUJOCO();
    enum { W = 64 };
    unsigned char a[W * W], b[W * W];
    clkfac_env *e = make("MuJoCo/InvertedPendulum-v1", 1);
    double q[2] = {0.0, 0.0}, v[2] = {0.0, 0.0};
    TH_OK(env_mujoco_set(e, q, v));
    TH_OK(clkfac_env_render_gray(e, W, W, a));
    /* camera: centre (0, 0.2), 2.6 m across: z = 0.5 on the pole is row 32 - 0.3 * 64 / 2.6 */
    int row = 32 - (int)(0.3 * W / 2.6 + 0.5);
    assert_true(a[row * W + 32] > 100);
    assert_int_equal(a[0], 0);
    TH_OK(clkfac_env_render_gray(e, W, W, b));
    assert_memory_equal(a, b, sizeof a);
    q[1] = 1.0; /* tilted by 1 rad: the pole leaves that pixel and lights one to the right */
    TH_OK(env_mujoco_set(e, q, v));
    TH_OK(clkfac_env_render_gray(e, W, W, b));
    assert_true(b[row * W + 32] < 20);
    int lit = 0;
    for (int x = 36; x < 50; x++) lit |= b[(32 - (int)(0.07 * W / 2.6)) * W + x] > 100;
    assert_true(lit);
    assert_int_equal(clkfac_env_render_gray(e, 4, W, a), CLKFAC_ERR_INVALID_ARG);
    clkfac_env_free(e);

    e = make("MuJoCo/Hopper-v1", 1);
    TH_OK(clkfac_env_reset(e, (float[11]){0}));
    TH_OK(clkfac_env_render_gray(e, W, W, a));
    assert_true(a[(W - 1) * W + 2] > 40 && a[(W - 1) * W + 2] < 90); /* floor band, gray 0.25 */
    clkfac_env_free(e);

    e = make("CartPole-v1", 1);
    assert_int_equal(clkfac_env_render_gray(e, W, W, a), CLKFAC_ERR_UNSUPPORTED);
    clkfac_env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_locomotion_rewards),
        cmocka_unit_test(test_rules_health_edges),
        cmocka_unit_test(test_rules_pendulum_and_reacher_rewards),
        cmocka_unit_test(test_rules_observation_layouts),
        cmocka_unit_test(test_rules_specs),
        cmocka_unit_test(test_missing_is_explained),
        cmocka_unit_test(test_spaces_limits_and_state_size),
        cmocka_unit_test(test_env_step_pays_the_rules),
        cmocka_unit_test(test_extras_match_geometry),
        cmocka_unit_test(test_termination_and_time_limit),
        cmocka_unit_test(test_reset_distribution),
        cmocka_unit_test(test_determinism_and_state_roundtrip),
        cmocka_unit_test(test_vecenv_steps_without_allocations),
        cmocka_unit_test(test_random_policy_returns),
        cmocka_unit_test(test_render_gray),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
