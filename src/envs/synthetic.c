/* Synthetic/Atari-v0: an environment with the Atari network's input (4 stacked 84x84 frames,
 * values in [0, 1)) and 6 actions, whose frames are a hash of the step counter. It has no game:
 * it exists so step-cost benchmarks can run the paper's Atari CNN end to end (rollout included)
 * where no ROMs are available; results from it are marked synthetic. */
#include <math.h>

#include "core/core.h"
#include "envs/env_impl.h"

#define SYN_C 4
#define SYN_H 84
#define SYN_W 84

static float syn_low[SYN_C * SYN_H * SYN_W];
static float syn_high[SYN_C * SYN_H * SYN_W];

static const clkfac_space syn_obs = {CLKFAC_SPACE_BOX, 0, 3, {SYN_C, SYN_H, SYN_W, 0},
                                     SYN_C * SYN_H * SYN_W, syn_low, syn_high};
static const clkfac_space syn_act = {CLKFAC_SPACE_DISCRETE, 6, 0, {0, 0, 0, 0}, 1, NULL, NULL};

/* The upper bounds (all 1) have no static initializer short of 28224 literals: filled on the
 * first creation, always with the same values. */
static clkfac_status syn_init(clkfac_env *env)
{
    (void)env;
    if (syn_high[SYN_C * SYN_H * SYN_W - 1] != 1.0f)
        for (size_t i = 0; i < SYN_C * SYN_H * SYN_W; i++) syn_high[i] = 1.0f;
    return CLKFAC_OK;
}

/* physics double 0: frame counter; 1: episode salt */
static void syn_reset(clkfac_env *env)
{
    double *s = env->impl;
    s[0] = 0.0;
    s[1] = (double)(core_rng_next(&env->rng) >> 40);
}

static void syn_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    (void)action;
    double *s = env->impl;
    s[0] += 1.0;
    *reward = 0.0;
    *terminated = 0;
}

static void syn_observe(const clkfac_env *env, float *obs)
{
    const double *s = env->impl;
    uint64_t h = (uint64_t)s[0] * 0x9e3779b97f4a7c15ULL ^ (uint64_t)s[1];
    for (size_t i = 0; i < SYN_C * SYN_H * SYN_W; i++) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
        obs[i] = (float)(h >> 40) * (1.0f / 16777216.0f);
    }
}

/* The saved bytes are the two doubles, as the generic layout writes them; loading checks they
 * are what reset and step can produce (whole numbers, the counter exact in a double, the salt
 * below 2^24), so a crafted state never reaches observe's integer conversion out of range. */
static void syn_save(const clkfac_env *env, unsigned char *p)
{
    const double *s = env->impl;
    env_put_f64(p, s[0]);
    env_put_f64(p + 8, s[1]);
}

static clkfac_status syn_load(const clkfac_env *env, void *impl, const unsigned char *p)
{
    double *s = impl;
    const double counter = env_get_f64(p), salt = env_get_f64(p + 8);
    if (!(counter >= 0 && counter <= 9007199254740992.0 && counter == floor(counter)))
        return CORE_FAIL(CLKFAC_ERR_FORMAT,
                         "%s: state frame counter %g; expected a whole number in [0, 2^53]",
                         env->cls->id, counter);
    if (!(salt >= 0 && salt < 16777216.0 && salt == floor(salt)))
        return CORE_FAIL(CLKFAC_ERR_FORMAT,
                         "%s: state episode salt %g; expected a whole number in [0, 2^24)",
                         env->cls->id, salt);
    s[0] = counter;
    s[1] = salt;
    return CLKFAC_OK;
}

const env_class env_class_synthetic_atari = {
    "Synthetic/Atari-v0", 1, 1000, &syn_obs, &syn_act, 2 * sizeof(double), 2, syn_init, NULL,
    syn_reset, syn_step, syn_observe, 2 * sizeof(double), syn_save, syn_load,
};
