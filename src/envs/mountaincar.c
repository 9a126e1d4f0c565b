/* MountainCar-v0 (push left / none / right) and MountainCarContinuous-v0 (force in [-1, 1]):
 * an underpowered car in a valley y = sin(3x) must swing up to the flag on the right.
 * Physics state (n_phys = 2): position x, velocity v (double). */
#include <math.h>

#include "envs/env_impl.h"

#define MC_MIN_X -1.2
#define MC_MAX_X 0.6
#define MC_MAX_SPEED 0.07
#define MC_GOAL_X 0.5
#define MC_FORCE 0.001
#define MC_GRAVITY 0.0025
#define MCC_GOAL_X 0.45
#define MCC_POWER 0.0015

typedef struct mountaincar {
    double s[2];
} mountaincar;

static const float mc_low[2] = {(float)MC_MIN_X, (float)-MC_MAX_SPEED};
static const float mc_high[2] = {(float)MC_MAX_X, (float)MC_MAX_SPEED};
static const clkfac_space mc_obs = {CLKFAC_SPACE_BOX, 0, 1, {2, 0, 0, 0}, 2, mc_low, mc_high};
static const clkfac_space mc_act = {CLKFAC_SPACE_DISCRETE, 3, 0, {0, 0, 0, 0}, 1, NULL, NULL};
static const float mcc_act_low[1] = {-1.0f};
static const float mcc_act_high[1] = {1.0f};
static const clkfac_space mcc_act = {CLKFAC_SPACE_BOX,   0, 1, {1, 0, 0, 0}, 1,
                                     mcc_act_low, mcc_act_high};

static double mc_clip(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

static void mc_reset(clkfac_env *env)
{
    mountaincar *m = env->impl;
    m->s[0] = core_rng_range(&env->rng, -0.6, -0.4);
    m->s[1] = 0.0;
}

/* Shared update once the push is known: gravity along the slope, speed limit, walls. */
static void mc_move(mountaincar *m, double push)
{
    double x = m->s[0];
    double v = m->s[1] + push - MC_GRAVITY * cos(3.0 * x);
    v = mc_clip(v, -MC_MAX_SPEED, MC_MAX_SPEED);
    x = mc_clip(x + v, MC_MIN_X, MC_MAX_X);
    /* The left wall is inelastic; the right bound is past every goal, so it never stops the car
     * before the episode ends. */
    if (x == MC_MIN_X && v < 0.0) v = 0.0;
    m->s[0] = x;
    m->s[1] = v;
}

static void mc_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    mountaincar *m = env->impl;
    mc_move(m, ((double)action[0] - 1.0) * MC_FORCE);
    *terminated = m->s[0] >= MC_GOAL_X;
    *reward = -1.0;
}

static void mcc_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    mountaincar *m = env->impl;
    double a = (double)action[0];
    mc_move(m, mc_clip(a, -1.0, 1.0) * MCC_POWER);
    *terminated = m->s[0] >= MCC_GOAL_X;
    /* The energy penalty is on the action as given, not the clipped force (Gymnasium's rule),
     * so asking for more than the motor can deliver costs more without helping. */
    *reward = (*terminated ? 100.0 : 0.0) - 0.1 * a * a;
}

static void mc_observe(const clkfac_env *env, float *obs)
{
    const mountaincar *m = env->impl;
    obs[0] = (float)m->s[0];
    obs[1] = (float)m->s[1];
}

const env_class env_class_mountaincar = {
    .id = "MountainCar-v0",
    .state_version = 1,
    .max_steps = 200,
    .obs_space = &mc_obs,
    .act_space = &mc_act,
    .impl_size = sizeof(mountaincar),
    .n_phys = 2,
    .reset = mc_reset,
    .step = mc_step,
    .observe = mc_observe,
};

const env_class env_class_mountaincar_continuous = {
    .id = "MountainCarContinuous-v0",
    .state_version = 1,
    .max_steps = 999,
    .obs_space = &mc_obs,
    .act_space = &mcc_act,
    .impl_size = sizeof(mountaincar),
    .n_phys = 2,
    .reset = mc_reset,
    .step = mcc_step,
    .observe = mc_observe,
};
