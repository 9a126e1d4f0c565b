/* CartPole-v1: a pole hinged on a cart pushed left or right, explicit Euler at tau = 0.02 s,
 * ending when the cart leaves |x| <= 2.4 or the pole leans past 12 degrees.
 * Physics state (n_phys = 4): x, x_dot, theta, theta_dot (double). */
#include <math.h>

#include "envs/env_impl.h"

#define CP_GRAVITY 9.8
#define CP_MASS_CART 1.0
#define CP_MASS_POLE 0.1
#define CP_HALF_LENGTH 0.5
#define CP_FORCE 10.0
#define CP_TAU 0.02
#define CP_X_LIMIT 2.4
#define CP_THETA_LIMIT (12.0 * 2.0 * ENV_PI / 360.0)

typedef struct cartpole {
    double s[4];
} cartpole;

/* Bounds are twice the failure thresholds so that the observation that ends an episode still
 * lies inside the space. */
static const float cp_high[4] = {(float)(2.0 * CP_X_LIMIT), INFINITY,
                                 (float)(2.0 * CP_THETA_LIMIT), INFINITY};
static const float cp_low[4] = {(float)(-2.0 * CP_X_LIMIT), -INFINITY,
                                (float)(-2.0 * CP_THETA_LIMIT), -INFINITY};
static const clkfac_space cp_obs = {CLKFAC_SPACE_BOX, 0, 1, {4, 0, 0, 0}, 4, cp_low, cp_high};
static const clkfac_space cp_act = {CLKFAC_SPACE_DISCRETE, 2, 0, {0, 0, 0, 0}, 1, NULL, NULL};

static void cp_reset(clkfac_env *env)
{
    cartpole *c = env->impl;
    for (int i = 0; i < 4; i++) c->s[i] = core_rng_range(&env->rng, -0.05, 0.05);
}

static void cp_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    cartpole *c = env->impl;
    double x = c->s[0], x_dot = c->s[1], theta = c->s[2], theta_dot = c->s[3];
    double force = action[0] == 1.0f ? CP_FORCE : -CP_FORCE;
    double total_mass = CP_MASS_CART + CP_MASS_POLE;
    double sin_t = sin(theta), cos_t = cos(theta);
    double temp = (force + CP_MASS_POLE * CP_HALF_LENGTH * theta_dot * theta_dot * sin_t) /
                  total_mass;
    double theta_acc = (CP_GRAVITY * sin_t - cos_t * temp) /
                       (CP_HALF_LENGTH *
                        (4.0 / 3.0 - CP_MASS_POLE * cos_t * cos_t / total_mass));
    double x_acc = temp - CP_MASS_POLE * CP_HALF_LENGTH * theta_acc * cos_t / total_mass;

    /* Explicit Euler: positions move with the old velocities. */
    c->s[0] = x + CP_TAU * x_dot;
    c->s[1] = x_dot + CP_TAU * x_acc;
    c->s[2] = theta + CP_TAU * theta_dot;
    c->s[3] = theta_dot + CP_TAU * theta_acc;

    *terminated = c->s[0] < -CP_X_LIMIT || c->s[0] > CP_X_LIMIT ||
                  c->s[2] < -CP_THETA_LIMIT || c->s[2] > CP_THETA_LIMIT;
    *reward = 1.0; /* the failing step is rewarded too */
}

static void cp_observe(const clkfac_env *env, float *obs)
{
    const cartpole *c = env->impl;
    for (int i = 0; i < 4; i++) obs[i] = (float)c->s[i];
}

const env_class env_class_cartpole = {
    .id = "CartPole-v1",
    .state_version = 1,
    .max_steps = 500,
    .obs_space = &cp_obs,
    .act_space = &cp_act,
    .impl_size = sizeof(cartpole),
    .n_phys = 4,
    .reset = cp_reset,
    .step = cp_step,
    .observe = cp_observe,
};
