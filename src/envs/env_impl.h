/* Internal environment interface: the class table every environment fills in, the handle
 * layout shared by the generic code in env.c, little-endian byte helpers for state
 * serialization, and test hooks that read and write the physics state directly. */
#ifndef CLKFAC_ENVS_ENV_IMPL_H
#define CLKFAC_ENVS_ENV_IMPL_H

#include <stdint.h>
#include <string.h>

#include "clkfac/env.h"
#include "core/rng.h"

/* math.h's M_PI is not ISO C. */
#define ENV_PI 3.14159265358979323846

typedef struct env_class {
    const char *id;             /* Gymnasium id */
    uint32_t state_version;     /* bump when the payload layout of this class changes */
    uint64_t max_steps;         /* default time limit */
    const clkfac_space *obs_space;
    const clkfac_space *act_space;
    /* Bytes of the class's private state (env->impl). A class whose impl is just n_phys doubles
     * (classic control) sets n_phys and leaves save/load NULL: env.c serializes the doubles. */
    size_t impl_size;
    size_t n_phys;
    /* Optional: allocations or space tweaks after env->impl is zeroed; destroy undoes them. */
    clkfac_status (*init)(clkfac_env *env);
    void (*destroy)(clkfac_env *env);
    /* Draws a start state from env->rng. */
    void (*reset)(clkfac_env *env);
    /* Advances one step; the action is already validated (discrete: action[0] is an integral
     * index in range; box: all finite, not clipped). */
    void (*step)(clkfac_env *env, const float *action, double *reward, int *terminated);
    /* Writes the observation of the current state. obs: (obs_space->size). */
    void (*observe)(const clkfac_env *env, float *obs);
    /* Optional custom serialization (payload_size bytes). load decodes into impl (a scratch copy
     * of env->impl) and returns CLKFAC_ERR_FORMAT for values that cannot be a state. */
    size_t payload_size;
    void (*save)(const clkfac_env *env, unsigned char *p);
    clkfac_status (*load)(const clkfac_env *env, void *impl, const unsigned char *p);
} env_class;

typedef enum env_phase {
    ENV_PHASE_NEED_RESET = 0, /* created or reseeded: no episode yet */
    ENV_PHASE_RUNNING = 1,
    ENV_PHASE_ENDED = 2       /* terminated or truncated: reset before stepping */
} env_phase;

struct clkfac_env {
    const env_class *cls;
    core_rng rng;
    uint64_t steps;       /* steps in the current episode */
    uint64_t max_steps;
    env_phase phase;
    clkfac_space obs_space; /* copies, so a class's init may adjust them per instance */
    clkfac_space act_space;
    clkfac_env_options opts; /* as given at creation (current version, validated), for init */
    void *impl;           /* cls->impl_size bytes */
    /* Optional, set by the class's init: seeds a generator the class keeps in its own state
     * (the pixel games' NumPy stream); called after init and by clkfac_env_seed. */
    void (*reseed)(clkfac_env *env, uint64_t seed);
};

/* The classic-control classes (one file each, mountain cars share one). */
extern const env_class env_class_cartpole;
extern const env_class env_class_acrobot;
extern const env_class env_class_mountaincar;
extern const env_class env_class_mountaincar_continuous;
extern const env_class env_class_pendulum;

/* The pixel games (minatar_*.c, shared layer in minatar.h). */
extern const env_class env_class_minatar_breakout;
extern const env_class env_class_minatar_freeway;
extern const env_class env_class_minatar_asterix;
extern const env_class env_class_minatar_seaquest;
extern const env_class env_class_minatar_space_invaders;

/* Synthetic/Atari-v0 (synthetic.c): Atari-sized hashed frames for step-cost benchmarks. */
extern const env_class env_class_synthetic_atari;

/* Test and replay hooks for classes with n_phys > 0: the physics doubles in the order the class
 * documents. env_phys_set also starts an episode at that state (phase running) without touching
 * the step counter or the RNG. n must equal the class's n_phys, else CLKFAC_ERR_INVALID_ARG. */
clkfac_status env_phys_get(const clkfac_env *env, double *s, size_t n);
clkfac_status env_phys_set(clkfac_env *env, const double *s, size_t n);
/* Sets the episode step counter (tests of the time limit). */
void env_steps_set(clkfac_env *env, uint64_t steps);

/* ---- little-endian byte helpers ------------------------------------------------------------- */

static inline void env_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t env_get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static inline void env_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t env_get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Doubles travel as their IEEE-754 bit pattern, which is what makes restores bit-exact. */
static inline void env_put_f64(unsigned char *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    env_put_u64(p, v);
}

static inline double env_get_f64(const unsigned char *p)
{
    uint64_t v = env_get_u64(p);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

#endif
