/* The generic half of every environment: the id registry, creation, action validation, the
 * episode phase and time limit, and the state-as-bytes format (header, checksum, common fields)
 * wrapped around each class's own physics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "envs/env_impl.h"
#include "envs/mujoco.h"

static const env_class *const env_classes[] = {
    &env_class_cartpole,
    &env_class_acrobot,
    &env_class_mountaincar,
    &env_class_mountaincar_continuous,
    &env_class_pendulum,
    &env_class_synthetic_atari,
#ifdef CLKFAC_HAVE_MUJOCO
    &env_class_mujoco_inverted_pendulum,
    &env_class_mujoco_inverted_double_pendulum,
    &env_class_mujoco_reacher,
    &env_class_mujoco_half_cheetah,
    &env_class_mujoco_hopper,
    &env_class_mujoco_walker2d,
    &env_class_mujoco_swimmer,
    &env_class_mujoco_inverted_pendulum_pixels,
    &env_class_mujoco_reacher_pixels,
    &env_class_mujoco_half_cheetah_pixels,
#endif
    &env_class_minatar_breakout,
    &env_class_minatar_freeway,
    &env_class_minatar_asterix,
    &env_class_minatar_seaquest,
    &env_class_minatar_space_invaders,
};
#define N_CLASSES (sizeof env_classes / sizeof env_classes[0])

/* Must name env_classes' ids in the same order (a static list cannot be derived from them):
 * the count is checked here, the order by test_envs creating each id and reading it back. */
static const char *const env_id_list[] = {
    "CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1",
    "Synthetic/Atari-v0",
#ifdef CLKFAC_HAVE_MUJOCO
    "MuJoCo/InvertedPendulum-v1", "MuJoCo/InvertedDoublePendulum-v1", "MuJoCo/Reacher-v1",
    "MuJoCo/HalfCheetah-v1", "MuJoCo/Hopper-v1", "MuJoCo/Walker2d-v1", "MuJoCo/Swimmer-v1",
    "MuJoCo/InvertedPendulumPixels-v1", "MuJoCo/ReacherPixels-v1", "MuJoCo/HalfCheetahPixels-v1",
#endif
    "MinAtar/Breakout-v1", "MinAtar/Freeway-v1", "MinAtar/Asterix-v1",
    "MinAtar/Seaquest-v1", "MinAtar/SpaceInvaders-v1",
    NULL,
};
_Static_assert(sizeof env_id_list / sizeof env_id_list[0] == N_CLASSES + 1,
               "env_id_list and env_classes differ in length");

const char *const *clkfac_env_ids(size_t *count)
{
    if (count) *count = N_CLASSES;
    return env_id_list;
}

const char *clkfac_env_missing(void) { return env_mujoco_missing(); }

/* Short names people type for the games; they create the class of the full id, so states and
 * clkfac_env_id always carry the full id. */
static const struct {
    const char *name;
    const env_class *cls;
} env_aliases[] = {
    {"Breakout", &env_class_minatar_breakout},
    {"Freeway", &env_class_minatar_freeway},
    {"Asterix", &env_class_minatar_asterix},
    {"Seaquest", &env_class_minatar_seaquest},
    {"SpaceInvaders", &env_class_minatar_space_invaders},
};
#define N_ALIASES (sizeof env_aliases / sizeof env_aliases[0])

static const env_class *find_class(const char *id)
{
    for (size_t i = 0; i < N_CLASSES; i++)
        if (strcmp(env_classes[i]->id, id) == 0) return env_classes[i];
    for (size_t i = 0; i < N_ALIASES; i++)
        if (strcmp(env_aliases[i].name, id) == 0) return env_aliases[i].cls;
    return NULL;
}

static clkfac_status unknown_id(const char *id)
{
    if (strncmp(id, "MuJoCo/", 7) == 0 && env_mujoco_missing())
        return CORE_FAIL(CLKFAC_ERR_UNSUPPORTED, "environment '%s': %s", id, env_mujoco_missing());
    char list[1024];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < N_CLASSES + N_ALIASES && used < sizeof list; i++) {
        int w = i < N_CLASSES
                    ? snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                               env_classes[i]->id)
                    : snprintf(list + used, sizeof list - used, "%s%s",
                               i == N_CLASSES ? " (or the short names " : ", ",
                               env_aliases[i - N_CLASSES].name);
        if (w < 0) break;
        used += (size_t)w;
    }
    return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "unknown environment id '%s'; valid ids: %s)", id,
                     list);
}

/* ---- creation ------------------------------------------------------------------------------- */

/* Copies opts (NULL = defaults) into *out at the current version. A version-1 struct ends after
 * max_steps, so nothing past it is read and the later fields keep their defaults. */
static clkfac_status resolve_options(clkfac_env_options *out, const clkfac_env_options *opts)
{
    clkfac_env_options o = CLKFAC_ENV_OPTIONS_INIT;
    if (opts && opts->version == 1) {
        o.max_steps = opts->max_steps;
    } else if (opts) {
        if (opts->version != CLKFAC_ENV_OPTIONS_VERSION)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                             "clkfac_env_options.version is %u, expected %u (or 1)",
                             opts->version, CLKFAC_ENV_OPTIONS_VERSION);
        o = *opts;
    }
    if (isnan(o.sticky_prob) || o.sticky_prob > 1.0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                         "sticky_prob %g is not a probability; expected a value in [0, 1] "
                         "(negative = default %g)",
                         o.sticky_prob, CLKFAC_ENV_STICKY_DEFAULT);
    if (o.sticky_prob < 0.0) o.sticky_prob = CLKFAC_ENV_STICKY_DEFAULT;
    if (o.minimal_actions != 0 && o.minimal_actions != 1)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "minimal_actions is %d; expected 0 or 1",
                         o.minimal_actions);
    if (o.ramping != 0 && o.ramping != 1)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "ramping is %d; expected 0 or 1", o.ramping);
    o.version = CLKFAC_ENV_OPTIONS_VERSION;
    *out = o;
    return CLKFAC_OK;
}

clkfac_status clkfac_env_create(clkfac_env **out, const char *id, uint64_t seed)
{
    return clkfac_env_create_ext(out, id, seed, NULL);
}

clkfac_status clkfac_env_create_ext(clkfac_env **out, const char *id, uint64_t seed,
                                    const clkfac_env_options *opts)
{
    if (!out || !id) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "out and id must not be NULL");
    clkfac_env_options o;
    clkfac_status st = resolve_options(&o, opts);
    if (st != CLKFAC_OK) return st;
    const env_class *cls = find_class(id);
    if (!cls) return unknown_id(id);

    clkfac_env *env = core_calloc(1, sizeof *env);
    if (!env) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "environment %s", id);
    env->impl = core_calloc(1, cls->impl_size);
    if (!env->impl) {
        free(env);
        return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "environment %s state", id);
    }
    env->cls = cls;
    env->max_steps = o.max_steps ? o.max_steps : cls->max_steps;
    env->opts = o;
    env->phase = ENV_PHASE_NEED_RESET;
    env->obs_space = *cls->obs_space;
    env->act_space = *cls->act_space;
    core_rng_seed(&env->rng, seed);
    if (cls->init) {
        st = cls->init(env);
        if (st != CLKFAC_OK) {
            free(env->impl);
            free(env);
            return st;
        }
    }
    if (env->reseed) env->reseed(env, seed);
    *out = env;
    return CLKFAC_OK;
}

void clkfac_env_free(clkfac_env *env)
{
    if (!env) return;
    if (env->cls->destroy) env->cls->destroy(env);
    free(env->impl);
    free(env);
}

const char *clkfac_env_id(const clkfac_env *env) { return env->cls->id; }
const clkfac_space *clkfac_env_observation_space(const clkfac_env *env) { return &env->obs_space; }
const clkfac_space *clkfac_env_action_space(const clkfac_env *env) { return &env->act_space; }
uint64_t clkfac_env_max_steps(const clkfac_env *env) { return env->max_steps; }
uint64_t clkfac_env_elapsed_steps(const clkfac_env *env) { return env->steps; }

/* ---- episodes ------------------------------------------------------------------------------- */

void clkfac_env_seed(clkfac_env *env, uint64_t seed)
{
    core_rng_seed(&env->rng, seed);
    if (env->reseed) env->reseed(env, seed);
    env->phase = ENV_PHASE_NEED_RESET;
    env->steps = 0;
}

clkfac_status clkfac_env_reset(clkfac_env *env, float *obs)
{
    if (!env || !obs) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "env and obs must not be NULL");
    env->cls->reset(env);
    env->steps = 0;
    env->phase = ENV_PHASE_RUNNING;
    env->cls->observe(env, obs);
    return CLKFAC_OK;
}

clkfac_status clkfac_env_check_action(const clkfac_env *env, const float *action)
{
    if (!env || !action)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "env and action must not be NULL");
    const clkfac_space *a = &env->act_space;
    if (a->kind == CLKFAC_SPACE_DISCRETE) {
        float v = action[0];
        /* The index travels as a float; anything but an exact small integer is a caller bug
         * (e.g. passing logits or a probability), so it is refused rather than rounded. */
        if (!isfinite(v) || v != floorf(v) || v < 0.0f || v >= (float)a->n)
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG,
                             "%s: action %g is not an integer in [0, %d)", env->cls->id,
                             (double)v, a->n);
        return CLKFAC_OK;
    }
    for (size_t i = 0; i < a->size; i++)
        if (!isfinite(action[i]))
            return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: action[%zu] is %g (not finite)",
                             env->cls->id, i, (double)action[i]);
    return CLKFAC_OK;
}

clkfac_status clkfac_env_step(clkfac_step_result *out, clkfac_env *env,
                              const float *action, float *obs)
{
    if (!out || !env || !action || !obs)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "out, env, action and obs must not be NULL");
    if (env->phase != ENV_PHASE_RUNNING)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: %s; call clkfac_env_reset first",
                         env->cls->id,
                         env->phase == ENV_PHASE_ENDED ? "the episode has ended"
                                                       : "no episode has been started");
    clkfac_status st = clkfac_env_check_action(env, action);
    if (st != CLKFAC_OK) return st;

    double reward = 0.0;
    int terminated = 0;
    env->cls->step(env, action, &reward, &terminated);
    env->steps++;
    env->cls->observe(env, obs);
    int truncated = !terminated && env->steps >= env->max_steps;
    if (terminated || truncated) env->phase = ENV_PHASE_ENDED;
    out->reward = reward;
    out->terminated = terminated;
    out->truncated = truncated;
    out->steps = env->steps;
    return CLKFAC_OK;
}

clkfac_status clkfac_env_step_discrete(clkfac_step_result *out, clkfac_env *env,
                                       int action, float *obs)
{
    if (env && env->act_space.kind != CLKFAC_SPACE_DISCRETE)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s has a continuous action space",
                         env->cls->id);
    /* Out-of-range ints are converted exactly enough to be refused by clkfac_env_check_action. */
    float a = (float)action;
    return clkfac_env_step(out, env, &a, obs);
}

clkfac_status clkfac_env_observe(const clkfac_env *env, float *obs)
{
    if (!env || !obs) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "env and obs must not be NULL");
    env->cls->observe(env, obs);
    return CLKFAC_OK;
}

/* ---- test hooks ----------------------------------------------------------------------------- */

clkfac_status env_phys_get(const clkfac_env *env, double *s, size_t n)
{
    if (n != env->cls->n_phys || n == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s has %zu physics values, not %zu",
                         env->cls->id, env->cls->n_phys, n);
    memcpy(s, env->impl, n * sizeof *s);
    return CLKFAC_OK;
}

clkfac_status env_phys_set(clkfac_env *env, const double *s, size_t n)
{
    if (n != env->cls->n_phys || n == 0)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s has %zu physics values, not %zu",
                         env->cls->id, env->cls->n_phys, n);
    memcpy(env->impl, s, n * sizeof *s);
    env->phase = ENV_PHASE_RUNNING;
    return CLKFAC_OK;
}

void env_steps_set(clkfac_env *env, uint64_t steps) { env->steps = steps; }

/* ---- state as bytes -------------------------------------------------------------------------
 * offset  size  field
 *      0     8  magic "CLKFENV\0"
 *      8     4  format version (ENV_STATE_FORMAT)
 *     12     4  total size in bytes
 *     16    32  environment id, NUL padded
 *     48     4  class state version
 *     52     4  phase (env_phase)
 *     56     8  FNV-1a checksum of every other byte
 *     64     8  steps in the episode
 *     72    32  RNG state s[0..3]
 *    104     -  class payload (classic control: n_phys doubles)                             */

#define ENV_STATE_FORMAT 1u
#define ENV_STATE_HEADER 104u
#define ENV_ID_FIELD 32u
static const unsigned char env_magic[8] = {'C', 'L', 'K', 'F', 'E', 'N', 'V', 0};

static size_t payload_size(const env_class *cls)
{
    return cls->save ? cls->payload_size : cls->n_phys * 8u;
}

size_t clkfac_env_state_size(const clkfac_env *env)
{
    return ENV_STATE_HEADER + payload_size(env->cls);
}

static uint64_t state_checksum(const unsigned char *p, size_t size)
{
    uint64_t h = core_fnv1a(CORE_FNV_INIT, p, 56);
    return core_fnv1a(h, p + 64, size - 64);
}

clkfac_status clkfac_env_get_state(const clkfac_env *env, void *buf, size_t cap)
{
    if (!env || !buf) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "env and buf must not be NULL");
    size_t size = clkfac_env_state_size(env);
    if (cap < size)
        return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "%s: state needs %zu bytes, buffer has %zu",
                         env->cls->id, size, cap);
    unsigned char *p = buf;
    memset(p, 0, size);
    memcpy(p, env_magic, sizeof env_magic);
    env_put_u32(p + 8, ENV_STATE_FORMAT);
    env_put_u32(p + 12, (uint32_t)size);
    memcpy(p + 16, env->cls->id, strlen(env->cls->id)); /* ids are shorter than the field */
    env_put_u32(p + 48, env->cls->state_version);
    env_put_u32(p + 52, (uint32_t)env->phase);
    env_put_u64(p + 64, env->steps);
    for (int i = 0; i < 4; i++) env_put_u64(p + 72 + 8 * i, env->rng.s[i]);
    unsigned char *q = p + ENV_STATE_HEADER;
    if (env->cls->save) {
        env->cls->save(env, q);
    } else {
        const double *s = env->impl;
        for (size_t i = 0; i < env->cls->n_phys; i++) env_put_f64(q + 8 * i, s[i]);
    }
    env_put_u64(p + 56, state_checksum(p, size));
    return CLKFAC_OK;
}

static clkfac_status check_header(const clkfac_env *env, const unsigned char *p, size_t size)
{
    const char *id = env->cls->id;
    size_t want = clkfac_env_state_size(env);
    if (size != want)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state is %zu bytes, expected %zu", id, size,
                         want);
    if (memcmp(p, env_magic, sizeof env_magic) != 0)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: not an environment state (bad magic)", id);
    if (env_get_u32(p + 8) != ENV_STATE_FORMAT)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state format %u, expected %u", id,
                         env_get_u32(p + 8), ENV_STATE_FORMAT);
    if (env_get_u32(p + 12) != want)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state header says %u bytes, expected %zu", id,
                         env_get_u32(p + 12), want);
    char stored[ENV_ID_FIELD + 1];
    memcpy(stored, p + 16, ENV_ID_FIELD);
    stored[ENV_ID_FIELD] = '\0';
    if (strcmp(stored, id) != 0)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "state belongs to '%s', not %s", stored, id);
    if (env_get_u32(p + 48) != env->cls->state_version)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state version %u, expected %u", id,
                         env_get_u32(p + 48), env->cls->state_version);
    if (env_get_u64(p + 56) != state_checksum(p, size))
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state checksum mismatch (corrupted bytes)", id);
    if (env_get_u32(p + 52) > ENV_PHASE_ENDED)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state has invalid phase %u", id,
                         env_get_u32(p + 52));
    return CLKFAC_OK;
}

clkfac_status clkfac_env_set_state(clkfac_env *env, const void *buf, size_t size)
{
    if (!env || !buf) return CORE_FAIL(CLKFAC_ERR_INVALID_ARG, "env and buf must not be NULL");
    const unsigned char *p = buf;
    clkfac_status st = check_header(env, p, size);
    if (st != CLKFAC_OK) return st;

    core_rng rng;
    for (int i = 0; i < 4; i++) rng.s[i] = env_get_u64(p + 72 + 8 * i);
    if (!core_rng_valid(&rng))
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state has an all-zero RNG", env->cls->id);

    /* Decode into a scratch copy so a rejected payload leaves the environment untouched. */
    const env_class *cls = env->cls;
    void *scratch = malloc(cls->impl_size ? cls->impl_size : 1);
    if (!scratch) return CORE_FAIL(CLKFAC_ERR_NO_MEMORY, "%s: state scratch", cls->id);
    memcpy(scratch, env->impl, cls->impl_size);
    const unsigned char *q = p + ENV_STATE_HEADER;
    if (cls->load) {
        st = cls->load(env, scratch, q);
    } else {
        double *s = scratch;
        for (size_t i = 0; i < cls->n_phys && st == CLKFAC_OK; i++) {
            s[i] = env_get_f64(q + 8 * i);
            /* no episode comes near 1e12 (positions, angles, velocities); beyond it a step's
             * squares and products overflow to NaN observations (found by fuzzing) */
            if (!isfinite(s[i]))
                st = CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state value %zu is not finite", cls->id, i);
            else if (fabs(s[i]) > 1e12)
                st = CORE_FAIL(CLKFAC_ERR_FORMAT,
                               "%s: state value %zu is %g; expected a value within +-1e12",
                               cls->id, i, s[i]);
        }
    }
    if (st == CLKFAC_OK) {
        memcpy(env->impl, scratch, cls->impl_size);
        env->rng = rng;
        env->steps = env_get_u64(p + 64);
        env->phase = (env_phase)env_get_u32(p + 52);
    }
    free(scratch);
    return st;
}
