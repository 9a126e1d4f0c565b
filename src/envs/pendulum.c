/* Pendulum-v1: swing a frictionless pendulum up and keep it there with a torque in [-2, 2];
 * the cost is taken from the state before the step, and the task never terminates.
 * Physics state (n_phys = 2): theta (not wrapped; 0 is upright), theta_dot (double). */
#include <math.h>

#include "envs/env_impl.h"

#define PD_MAX_SPEED 8.0
#define PD_MAX_TORQUE 2.0
#define PD_DT 0.05
#define PD_G 10.0
#define PD_M 1.0
#define PD_L 1.0

typedef struct pendulum {
    double s[2];
} pendulum;

static const float pd_high[3] = {1.0f, 1.0f, (float)PD_MAX_SPEED};
static const float pd_low[3] = {-1.0f, -1.0f, (float)-PD_MAX_SPEED};
static const clkfac_space pd_obs = {CLKFAC_SPACE_BOX, 0, 1, {3, 0, 0, 0}, 3, pd_low, pd_high};
static const float pd_act_low[1] = {(float)-PD_MAX_TORQUE};
static const float pd_act_high[1] = {(float)PD_MAX_TORQUE};
static const clkfac_space pd_act = {CLKFAC_SPACE_BOX, 0, 1, {1, 0, 0, 0}, 1,
                                    pd_act_low, pd_act_high};

static double pd_clip(double x, double lim) { return x < -lim ? -lim : x > lim ? lim : x; }

/* ((x + pi) mod 2pi) - pi with a floored modulo: [-pi, pi), so the cost is continuous except at
 * the bottom where both sides agree (pi^2). */
static double pd_angle_normalize(double x)
{
    double y = fmod(x + ENV_PI, 2.0 * ENV_PI);
    if (y < 0.0) y += 2.0 * ENV_PI;
    return y - ENV_PI;
}

static void pd_reset(clkfac_env *env)
{
    pendulum *p = env->impl;
    p->s[0] = core_rng_range(&env->rng, -ENV_PI, ENV_PI);
    p->s[1] = core_rng_range(&env->rng, -1.0, 1.0);
}

static void pd_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    pendulum *p = env->impl;
    double th = p->s[0], thdot = p->s[1];
    double u = pd_clip((double)action[0], PD_MAX_TORQUE);
    double a = pd_angle_normalize(th);
    double cost = a * a + 0.1 * thdot * thdot + 0.001 * u * u;

    double new_thdot = thdot + (3.0 * PD_G / (2.0 * PD_L) * sin(th) +
                                3.0 / (PD_M * PD_L * PD_L) * u) * PD_DT;
    new_thdot = pd_clip(new_thdot, PD_MAX_SPEED);
    p->s[0] = th + new_thdot * PD_DT; /* semi-implicit: the new speed moves the angle */
    p->s[1] = new_thdot;
    *reward = -cost;
    *terminated = 0;
}

static void pd_observe(const clkfac_env *env, float *obs)
{
    const pendulum *p = env->impl;
    obs[0] = (float)cos(p->s[0]);
    obs[1] = (float)sin(p->s[0]);
    obs[2] = (float)p->s[1];
}

const env_class env_class_pendulum = {
    .id = "Pendulum-v1",
    .state_version = 1,
    .max_steps = 200,
    .obs_space = &pd_obs,
    .act_space = &pd_act,
    .impl_size = sizeof(pendulum),
    .n_phys = 2,
    .reset = pd_reset,
    .step = pd_step,
    .observe = pd_observe,
};
