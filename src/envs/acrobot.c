/* Acrobot-v1: two links hanging from a pivot, torque on the middle joint only; the book
 * (Sutton & Barto) equations of motion, one RK4 step per dt = 0.2 s with the torque held fixed.
 * Physics state (n_phys = 4): theta1, theta2, theta1_dot, theta2_dot (double). */
#include <math.h>

#include "envs/env_impl.h"

#define AC_DT 0.2
#define AC_L1 1.0  /* length of link 1 (link 2's length only enters the goal test) */
#define AC_M1 1.0
#define AC_M2 1.0
#define AC_LC1 0.5 /* pivot to centre of mass */
#define AC_LC2 0.5
#define AC_I1 1.0  /* moments of inertia */
#define AC_I2 1.0
#define AC_G 9.8
#define AC_MAX_VEL1 (4.0 * ENV_PI)
#define AC_MAX_VEL2 (9.0 * ENV_PI)

typedef struct acrobot {
    double s[4];
} acrobot;

static const float ac_high[6] = {1.0f, 1.0f, 1.0f, 1.0f, (float)AC_MAX_VEL1, (float)AC_MAX_VEL2};
static const float ac_low[6] = {-1.0f, -1.0f, -1.0f, -1.0f, (float)-AC_MAX_VEL1,
                                (float)-AC_MAX_VEL2};
static const clkfac_space ac_obs = {CLKFAC_SPACE_BOX, 0, 1, {6, 0, 0, 0}, 6, ac_low, ac_high};
static const clkfac_space ac_act = {CLKFAC_SPACE_DISCRETE, 3, 0, {0, 0, 0, 0}, 1, NULL, NULL};

static void ac_reset(clkfac_env *env)
{
    acrobot *a = env->impl;
    for (int i = 0; i < 4; i++) a->s[i] = core_rng_range(&env->rng, -0.1, 0.1);
}

/* ds = d/dt of (theta1, theta2, theta1_dot, theta2_dot) under joint torque tau. */
static void ac_deriv(const double s[4], double tau, double ds[4])
{
    double t1 = s[0], t2 = s[1], dt1 = s[2], dt2 = s[3];
    double d1 = AC_M1 * AC_LC1 * AC_LC1 +
                AC_M2 * (AC_L1 * AC_L1 + AC_LC2 * AC_LC2 + 2.0 * AC_L1 * AC_LC2 * cos(t2)) +
                AC_I1 + AC_I2;
    double d2 = AC_M2 * (AC_LC2 * AC_LC2 + AC_L1 * AC_LC2 * cos(t2)) + AC_I2;
    double phi2 = AC_M2 * AC_LC2 * AC_G * cos(t1 + t2 - ENV_PI / 2.0);
    double phi1 = -AC_M2 * AC_L1 * AC_LC2 * dt2 * dt2 * sin(t2) -
                  2.0 * AC_M2 * AC_L1 * AC_LC2 * dt2 * dt1 * sin(t2) +
                  (AC_M1 * AC_LC1 + AC_M2 * AC_L1) * AC_G * cos(t1 - ENV_PI / 2.0) + phi2;
    /* The book form: it keeps the theta1_dot^2 * sin(theta2) coupling in the second joint's
     * equation, which the NIPS-paper variant leaves out. */
    double ddt2 = (tau + d2 / d1 * phi1 - AC_M2 * AC_L1 * AC_LC2 * dt1 * dt1 * sin(t2) - phi2) /
                  (AC_M2 * AC_LC2 * AC_LC2 + AC_I2 - d2 * d2 / d1);
    double ddt1 = -(d2 * ddt2 + phi1) / d1;
    ds[0] = dt1;
    ds[1] = dt2;
    ds[2] = ddt1;
    ds[3] = ddt2;
}

/* Into [-pi, pi] by whole turns; angles move by less than a few turns per step, so the loops
 * run once or twice (fmod first only for absurd values a restored state could hold). */
static double ac_wrap(double x)
{
    if (fabs(x) > 64.0 * ENV_PI) x = fmod(x, 2.0 * ENV_PI);
    while (x > ENV_PI) x -= 2.0 * ENV_PI;
    while (x < -ENV_PI) x += 2.0 * ENV_PI;
    return x;
}

static double ac_clip(double x, double lim) { return x < -lim ? -lim : x > lim ? lim : x; }

static void ac_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    acrobot *a = env->impl;
    double tau = (double)action[0] - 1.0; /* {0, 1, 2} -> {-1, 0, +1} */
    double k1[4], k2[4], k3[4], k4[4], y[4];
    const double h = AC_DT;

    ac_deriv(a->s, tau, k1);
    for (int i = 0; i < 4; i++) y[i] = a->s[i] + h / 2.0 * k1[i];
    ac_deriv(y, tau, k2);
    for (int i = 0; i < 4; i++) y[i] = a->s[i] + h / 2.0 * k2[i];
    ac_deriv(y, tau, k3);
    for (int i = 0; i < 4; i++) y[i] = a->s[i] + h * k3[i];
    ac_deriv(y, tau, k4);
    for (int i = 0; i < 4; i++)
        y[i] = a->s[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);

    a->s[0] = ac_wrap(y[0]);
    a->s[1] = ac_wrap(y[1]);
    a->s[2] = ac_clip(y[2], AC_MAX_VEL1);
    a->s[3] = ac_clip(y[3], AC_MAX_VEL2);

    /* The tip is more than one link length above the pivot. */
    *terminated = -cos(a->s[0]) - cos(a->s[1] + a->s[0]) > 1.0;
    *reward = *terminated ? 0.0 : -1.0;
}

static void ac_observe(const clkfac_env *env, float *obs)
{
    const acrobot *a = env->impl;
    obs[0] = (float)cos(a->s[0]);
    obs[1] = (float)sin(a->s[0]);
    obs[2] = (float)cos(a->s[1]);
    obs[3] = (float)sin(a->s[1]);
    obs[4] = (float)a->s[2];
    obs[5] = (float)a->s[3];
}

const env_class env_class_acrobot = {
    .id = "Acrobot-v1",
    .state_version = 1,
    .max_steps = 500,
    .obs_space = &ac_obs,
    .act_space = &ac_act,
    .impl_size = sizeof(acrobot),
    .n_phys = 4,
    .reset = ac_reset,
    .step = ac_step,
    .observe = ac_observe,
};
