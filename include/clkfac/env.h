/* clkfac/env.h — environments written in C behind one opaque handle (classic control and the
 * MinAtar-style pixel games), with Gymnasium IDs, seeded resets, terminated vs truncated, and
 * the whole state as bytes; plus the vector environment that runs N copies with auto-reset.
 *
 * Observations are float32, row-major, shaped as the observation space says. Physics runs in
 * double (the Gymnasium references compute in float64) and is rounded to float only when an
 * observation is written, so a state restored from bytes continues bit-exactly.
 *
 * Actions are always passed as floats: a discrete action is action[0] holding an integer index
 * (0 <= a < n, exactly integral); a box action is `size` floats. Out-of-range or non-finite
 * actions fail with CLKFAC_ERR_INVALID_ARG and leave the environment unchanged. */
#ifndef CLKFAC_ENV_H
#define CLKFAC_ENV_H

#include "clkfac/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clkfac_env clkfac_env;

/* ---- spaces -------------------------------------------------------------------------------- */

typedef enum clkfac_space_kind {
    CLKFAC_SPACE_DISCRETE = 0, /* one integer in [0, n) */
    CLKFAC_SPACE_BOX = 1       /* float32 array of shape dims[0..ndim) with per-element bounds */
} clkfac_space_kind;

#define CLKFAC_SPACE_MAX_DIMS 4

typedef struct clkfac_space {
    clkfac_space_kind kind;
    int n;                               /* DISCRETE: number of actions; BOX: 0 */
    int ndim;                            /* BOX: number of dims; DISCRETE: 0 */
    int dims[CLKFAC_SPACE_MAX_DIMS];     /* BOX: shape, row-major */
    size_t size;                         /* floats one element takes: BOX product of dims,
                                            DISCRETE 1 (the index travels as one float) */
    const float *low;                    /* BOX: (size) lower bounds, may be -INFINITY */
    const float *high;                   /* BOX: (size) upper bounds, may be +INFINITY */
} clkfac_space;

/* ---- ids ------------------------------------------------------------------------------------ */

/* The environment ids clkfac_env_create accepts, NULL-terminated: the classic-control ids first
 * ("CartPole-v1", ...), then the pixel games ("MinAtar/Breakout-v1", "MinAtar/Freeway-v1",
 * "MinAtar/Asterix-v1", "MinAtar/Seaquest-v1", "MinAtar/SpaceInvaders-v1"). Each game is also
 * created by its short name ("Breakout", ...), which clkfac_env_id maps to the full id; the short
 * names are not in this list. Static storage; *count (if not NULL) receives the number of ids. */
const char *const *clkfac_env_ids(size_t *count);
/* The MuJoCo tasks ("MuJoCo/HalfCheetah-v1", ...; in the list above between
 * "Synthetic/Atari-v0" and the pixel games, the state tasks first, then the pixel variants
 * "MuJoCo/InvertedPendulumPixels-v1", "MuJoCo/ReacherPixels-v1", "MuJoCo/HalfCheetahPixels-v1",
 * which observe the last 4 clkfac_env_render_gray pictures, 42x42, as (4, 42, 42) floats in
 * [0, 1], oldest first) are built only when libmujoco was found at configure time. NULL when they are in this build, else the reason they are not (static storage);
 * creating one of their ids then fails with CLKFAC_ERR_UNSUPPORTED and that reason. */
const char *clkfac_env_missing(void);

/* A picture of a MuJoCo task's current state: w x h 8-bit gray levels (row-major, 0 black),
 * drawn by clkfac's own antialiased rasterizer from the geoms' positions (no GPU, display or
 * drawing library; the same bytes on every machine) from a fixed camera: side views of the
 * pendulums, HalfCheetah, Hopper and Walker2d, top views of Reacher and Swimmer, the walkers and
 * the swimmer followed. w and h in 8..1024. CLKFAC_ERR_UNSUPPORTED for other environments and
 * for builds without MuJoCo. gray: (h * w). */
clkfac_status clkfac_env_render_gray(const clkfac_env *env, int w, int h, unsigned char *gray);

/* ---- creation ------------------------------------------------------------------------------- */

/* The pixel games (10x10 grid, MinAtar rules, see ENVIRONMENTS.md) observe (C, 10, 10) float32
 * cells of 0 or 1, channels first; actions are {0 noop, 1 left, 2 up, 3 right, 4 down, 5 fire}
 * or, with minimal_actions, the game's own subset in that order (Breakout: noop left right;
 * Freeway: noop up down; Asterix: noop left up right down; Seaquest: all six; SpaceInvaders:
 * noop left right fire). With probability sticky_prob the game repeats the previous action
 * instead of the one given; the previous action carries over from one episode to the next and
 * is part of the state bytes. The only game with a time rule is Freeway (terminated after 2500
 * frames); all five are truncated after 100000 steps as a safety net. */
typedef struct clkfac_env_options {
    unsigned version;    /* CLKFAC_ENV_OPTIONS_VERSION (1 is still accepted: max_steps only) */
    uint64_t max_steps;  /* time limit: truncated after this many steps; 0 = the id's default
                            (CartPole 500, Acrobot 500, MountainCar 200,
                            MountainCarContinuous 999, Pendulum 200, pixel games 100000) */
    /* Since version 2; pixel games only, classic control ignores them. */
    double sticky_prob;  /* in [0, 1]; negative = the default CLKFAC_ENV_STICKY_DEFAULT */
    int minimal_actions; /* 1 = the game's minimal action set, 0 = all six (default) */
    int ramping;         /* 1 = difficulty ramps up during an episode (default), 0 = never */
} clkfac_env_options;

#define CLKFAC_ENV_OPTIONS_VERSION 2
#define CLKFAC_ENV_STICKY_DEFAULT 0.1
#define CLKFAC_ENV_OPTIONS_INIT { CLKFAC_ENV_OPTIONS_VERSION, 0, -1.0, 0, 1 }

/* Creates the environment named by a Gymnasium id with its own RNG seeded from `seed`. The
 * environment must be reset before the first step. An unknown id fails with
 * CLKFAC_ERR_INVALID_ARG and a detail listing the valid ids. */
clkfac_status clkfac_env_create(clkfac_env **out, const char *id, uint64_t seed);
/* As clkfac_env_create with options (NULL = defaults). */
clkfac_status clkfac_env_create_ext(clkfac_env **out, const char *id, uint64_t seed,
                                    const clkfac_env_options *opts);
void clkfac_env_free(clkfac_env *env);

const char *clkfac_env_id(const clkfac_env *env);
const clkfac_space *clkfac_env_observation_space(const clkfac_env *env); /* borrowed */
const clkfac_space *clkfac_env_action_space(const clkfac_env *env);      /* borrowed */
uint64_t clkfac_env_max_steps(const clkfac_env *env);
/* Steps taken in the current episode. */
uint64_t clkfac_env_elapsed_steps(const clkfac_env *env);

/* ---- episodes ------------------------------------------------------------------------------- */

typedef struct clkfac_step_result {
    double reward;
    int terminated;   /* a true end of the task: do not bootstrap past it */
    int truncated;    /* the time limit was hit and the episode did not terminate: bootstrap
                         from the value of the returned observation */
    uint64_t steps;   /* steps in this episode including this one */
} clkfac_step_result;

/* Reseeds the environment's RNG (Gymnasium's reset(seed=...)); the next reset starts the new
 * stream. The current episode is ended: step fails until reset. */
void clkfac_env_seed(clkfac_env *env, uint64_t seed);

/* Starts an episode from a random start state drawn from the environment's RNG.
 * obs: (observation size). */
clkfac_status clkfac_env_reset(clkfac_env *env, float *obs);

/* One step. action: (action size) floats, see the header comment. obs: (observation size), the
 * observation after the step. Stepping before reset or after the episode ended fails with
 * CLKFAC_ERR_INVALID_ARG. */
clkfac_status clkfac_env_step(clkfac_step_result *out, clkfac_env *env,
                              const float *action, float *obs);
/* Convenience for discrete action spaces. */
clkfac_status clkfac_env_step_discrete(clkfac_step_result *out, clkfac_env *env,
                                       int action, float *obs);

/* Checks an action against the action space without stepping: CLKFAC_OK or
 * CLKFAC_ERR_INVALID_ARG with a message naming the bad value. action: (action size). */
clkfac_status clkfac_env_check_action(const clkfac_env *env, const float *action);

/* The observation of the current state without stepping (e.g. after clkfac_env_set_state).
 * obs: (observation size). */
clkfac_status clkfac_env_observe(const clkfac_env *env, float *obs);

/* ---- state as bytes ------------------------------------------------------------------------- */

/* The state is a small header (magic, format version, total size, environment id, checksum)
 * followed by the step counter, the episode phase, the RNG state and the physics state, all
 * little-endian, so a buffer restores on any machine. The time limit is configuration, not
 * state, and is not stored. */
size_t clkfac_env_state_size(const clkfac_env *env);
/* Writes clkfac_env_state_size() bytes to buf; cap smaller than that fails with
 * CLKFAC_ERR_INVALID_ARG. */
clkfac_status clkfac_env_get_state(const clkfac_env *env, void *buf, size_t cap);
/* Restores a state written by clkfac_env_get_state for the same id. A wrong size, magic,
 * version, id or checksum, or a non-finite value, fails with CLKFAC_ERR_FORMAT and leaves the
 * environment unchanged. */
clkfac_status clkfac_env_set_state(clkfac_env *env, const void *buf, size_t size);

/* ---- vector environment --------------------------------------------------------------------- */

typedef struct clkfac_vecenv clkfac_vecenv;

/* One finished episode (terminated or truncated). */
typedef struct clkfac_episode_record {
    double ret;          /* undiscounted return */
    uint64_t length;     /* steps */
    uint64_t timestep;   /* environment steps taken by all copies together up to and including
                            the vector step in which the episode ended (N per vector step) */
    size_t env_index;    /* which copy */
    int terminated;      /* 1: terminated, 0: truncated */
} clkfac_episode_record;

/* N copies of `id`, copy i seeded with seed + i. opts may be NULL (defaults). */
clkfac_status clkfac_vecenv_create(clkfac_vecenv **out, const char *id, size_t n, uint64_t seed,
                                   const clkfac_env_options *opts);
void clkfac_vecenv_free(clkfac_vecenv *vec);

size_t clkfac_vecenv_num_envs(const clkfac_vecenv *vec);
/* Copy i (borrowed; stepping it directly bypasses the episode bookkeeping). NULL if i >= N. */
clkfac_env *clkfac_vecenv_env(const clkfac_vecenv *vec, size_t i);
const clkfac_space *clkfac_vecenv_observation_space(const clkfac_vecenv *vec);
const clkfac_space *clkfac_vecenv_action_space(const clkfac_vecenv *vec);
/* Environment steps taken by all copies so far. */
uint64_t clkfac_vecenv_timestep(const clkfac_vecenv *vec);

/* Resets every copy and discards the unfinished episodes' partial returns.
 * obs: (N, observation size). */
clkfac_status clkfac_vecenv_reset(clkfac_vecenv *vec, float *obs);

/* Steps every copy. A copy whose episode ends (terminated or truncated) is reset at once and its
 * row of obs holds the new episode's first observation; the ended episode is appended to the
 * record list.
 *   actions:    (N, action size)
 *   obs:        (N, observation size) observations to act on next
 *   rewards:    (N) or NULL
 *   terminated: (N) or NULL, 1 where the episode terminated
 *   truncated:  (N) or NULL, 1 where the time limit ended it
 *   final_obs:  (N, observation size) or NULL: the last observation of each ended episode (for
 *               bootstrapping a truncation); rows of copies that did not end equal obs.
 * Actions are validated for all copies before any copy steps, so an invalid action leaves every
 * copy unchanged. */
clkfac_status clkfac_vecenv_step(clkfac_vecenv *vec, const float *actions, float *obs,
                                 float *rewards, uint8_t *terminated, uint8_t *truncated,
                                 float *final_obs);

/* Finished episodes not yet drained, oldest first (borrowed; valid until the next step, drain
 * or clear). */
const clkfac_episode_record *clkfac_vecenv_episodes(const clkfac_vecenv *vec, size_t *count);
/* Moves up to cap oldest records into out and removes them; returns how many were moved. */
size_t clkfac_vecenv_drain(clkfac_vecenv *vec, clkfac_episode_record *out, size_t cap);
void clkfac_vecenv_clear_episodes(clkfac_vecenv *vec);

/* The whole vector state (timestep, partial returns and lengths, every copy's state) as bytes,
 * for checkpoints; the record list is not included. Same validation as the single env. */
size_t clkfac_vecenv_state_size(const clkfac_vecenv *vec);
clkfac_status clkfac_vecenv_get_state(const clkfac_vecenv *vec, void *buf, size_t cap);
clkfac_status clkfac_vecenv_set_state(clkfac_vecenv *vec, const void *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
