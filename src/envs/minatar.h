/* Internal layer shared by the five pixel games (MinAtar rules, src/envs/minatar_*.c): the 10x10
 * grid and six actions, minimal action sets, sticky actions, and each game's state struct. The
 * structs hold int32 words only, so the state bytes are that array little-endian; tests include
 * this header to put a game into an exact position. */
#ifndef CLKFAC_ENVS_MINATAR_H
#define CLKFAC_ENVS_MINATAR_H

#include <stddef.h>
#include <stdint.h>

#include "core/nprand.h"
#include "envs/env_impl.h"

#define MG_SIZE 10             /* cells per side */
#define MG_CELLS (MG_SIZE * MG_SIZE)
#define MG_MAX_CHANNELS 10
/* No game but Freeway has a time rule; this only stops an agent that learned to stall forever. */
#define MG_SAFETY_STEPS 100000u

enum mg_action { MG_NOOP, MG_LEFT, MG_UP, MG_RIGHT, MG_DOWN, MG_FIRE, MG_N_ACTIONS };

typedef struct mg_game mg_game;

/* Configuration fixed at creation. Like the time limit it is not part of the state bytes, and a
 * restore keeps it (env.c decodes into a copy of the live impl). First member of every impl. */
typedef struct mg_config {
    const mg_game *game;
    double sticky_prob;
    int ramping;
    int minimal; /* the agent's index maps through game->minimal_actions */
    size_t rng_offset; /* offset of the game's core_nprand in the impl; 0: none (env->rng) */
} mg_config;

/* What the shared code needs to know about a game. */
struct mg_game {
    int n_channels;
    const int *minimal_actions; /* game actions of the minimal set, ascending */
    int n_minimal;
    size_t state_offset;        /* offsetof(impl, s) */
    size_t state_words;         /* sizeof(s) / 4; word 0 is last_action in every game */
    /* NULL when every word of a decoded state is in range, else the name of the first bad
     * field (last_action is checked by the shared code). */
    const char *(*check)(const void *state);
};

/* ---- Breakout: channels paddle, ball, trail, brick ---------------------------------------- */

typedef struct bo_state {
    int32_t last_action;       /* game action of the previous frame (sticky actions) */
    int32_t paddle;            /* x on row 9 */
    int32_t ball_x, ball_y;
    int32_t ball_dx, ball_dy;  /* -1 or +1 each: the ball always moves diagonally */
    int32_t trail_x, trail_y;  /* where the ball was one frame ago */
    int32_t strike;            /* 1: a brick broke last frame, so none breaks this frame */
    int32_t bricks[3][MG_SIZE]; /* rows 1-3 */
    core_nprand rng;           /* the reference's RandomState (see mg_act) */
} bo_state;
typedef struct mg_breakout {
    mg_config cfg;
    bo_state s;
} mg_breakout;

/* ---- Freeway: channels chicken, car, speed1..speed5 --------------------------------------- */

#define FW_CARS 8
#define FW_FRAMES 2500         /* the reference's time_limit; episodes last one frame more */
#define FW_COOLDOWN 3
typedef struct fw_state {
    int32_t last_action;
    int32_t chicken_y;         /* row; the chicken's column is 4 */
    int32_t cooldown;          /* 0: the chicken may move this frame; else counts down */
    int32_t frame;             /* frames played; the episode ends on frame FW_FRAMES + 1 */
    int32_t car_x[FW_CARS];    /* car i drives on row i + 1 */
    int32_t car_speed[FW_CARS]; /* -5..5: sign is the direction, a cell every |speed| + 1 frames
                                 * (0 only on the reference's 2^-53 tie, see minatar_freeway.c) */
    int32_t car_timer[FW_CARS]; /* frames before the car moves, |speed|..0: it moves at 0 */
    core_nprand rng;
} fw_state;
typedef struct mg_freeway {
    mg_config cfg;
    fw_state s;
} mg_freeway;

/* ---- Asterix: channels player, enemy, trail, gold ----------------------------------------- */

#define AX_ROWS 8              /* one entity slot per row 1-8 (the reference's entities list) */
#define AX_SPAWN 10            /* first spawn_speed */
#define AX_MOVE 5              /* first move_speed */
#define AX_RAMP 100            /* ramp_interval: the timer counts 100 down to -1 */
#define AX_MAX_RAMPS 9         /* spawn_speed 10 -> 1 takes 9; move_speed is at 1 by then */
enum { AX_NONE = 0, AX_ENEMY = 1, AX_GOLD = 2 };
typedef struct ax_entity {
    int32_t kind;              /* AX_NONE / AX_ENEMY / AX_GOLD */
    int32_t x, dx;             /* dx +1 moving right, -1 left; both 0 when kind is AX_NONE */
} ax_entity;
typedef struct ax_state {
    int32_t last_action;
    int32_t x, y;              /* player, x 0-9, y 1-8 */
    int32_t spawn_speed, spawn_timer; /* timers reload when they read 0: 0..speed */
    int32_t move_speed, move_timer;
    int32_t ramp_timer, ramp_index;   /* ramp_timer -1..100 */
    ax_entity ent[AX_ROWS];    /* ent[i] lives on row i + 1 */
    core_nprand rng;           /* the reference's RandomState: sticky actions and spawns */
} ax_state;
typedef struct mg_asterix {
    mg_config cfg;
    ax_state s;
} mg_asterix;

/* ---- Seaquest: channels sub front, sub back, friendly bullet, trail, enemy bullet, enemy fish,
 *      enemy sub, oxygen gauge, diver gauge, diver ----------------------------------------- */

#define SQ_ROWS 8              /* enemies and divers live on rows 1-8 */
#define SQ_OXYGEN 200
#define SQ_ENEMY_SPAWN 20      /* first spawn_speed */
#define SQ_MOVE 5              /* first move_speed of fish and subs */
#define SQ_MIN_MOVE 2          /* ramping stops move_speed here */
#define SQ_MAX_RAMPS 19        /* spawn_speed 20 -> 1; move_speed is at 2 after 6 */
#define SQ_DIVER_SPAWN 30
#define SQ_DIVER_MOVE 5
#define SQ_ENEMY_SHOT 10
#define SQ_SHOT_COOLDOWN 5
#define SQ_MAX_DIVERS 6
/* The most a game can have alive at once. An enemy moves at least every 6 frames and is gone
 * after 10 moves, so it lives at most 60 frames and at most 60 of each kind are alive (one
 * spawn a frame); a bullet lives at most 10 frames and a sub fires every 11, so each sub alive
 * in the last 10 frames has at most one; the player fires every 5 frames, divers spawn every
 * 30 and live at most 60. */
#define SQ_CAP_ENEMIES 64
#define SQ_CAP_EBULLETS 80
#define SQ_CAP_FBULLETS 4
#define SQ_CAP_DIVERS 4
/* One item of the reference's lists, [x, y, lr, move timer, shot timer] (bullets [x, y, lr]);
 * the unused words are 0, so two items compare equal exactly when Python's lists do. */
typedef struct sq_obj {
    int32_t x, y;
    int32_t right;             /* 1 moving right (lr True), 0 left */
    int32_t move;              /* fish, subs, divers: frames until the next move (reload at 0) */
    int32_t shot;              /* subs: frames until the next shot (reload at 0) */
} sq_obj;
typedef struct sq_state {
    int32_t last_action;
    int32_t x, y;              /* sub: x 0-9, y 0-8 (0 is the surface) */
    int32_t right;             /* sub_or: 1 facing right, 0 left (the start) */
    int32_t oxygen;            /* -1..200 (-1 only once the episode ended) */
    int32_t diver_count;       /* rescued divers, at most 6; negative after a six-diver surfacing */
    int32_t surface;           /* 1 while at the surface (so arriving there is one event) */
    int32_t shot_timer;        /* frames before the player may fire again (0 = now) */
    int32_t spawn_speed, spawn_timer;
    int32_t diver_timer;
    int32_t move_speed;
    int32_t ramp_index;
    int32_t n_fish, n_subs, n_divers, n_fb, n_eb; /* list lengths; unused slots all 0 */
    sq_obj fish[SQ_CAP_ENEMIES];
    sq_obj subs[SQ_CAP_ENEMIES];
    sq_obj divers[SQ_CAP_DIVERS];
    sq_obj fb[SQ_CAP_FBULLETS];
    sq_obj eb[SQ_CAP_EBULLETS];
    core_nprand rng;           /* the reference's RandomState: sticky actions and spawns */
} sq_state;
typedef struct mg_seaquest {
    mg_config cfg;
    sq_state s;
} mg_seaquest;

/* ---- Space Invaders: channels cannon, alien, alien-left, alien-right, friendly bullet, enemy
 *      bullet ---------------------------------------------------------------------------- */

#define SI_INTERVAL 12         /* first wave's alien move interval */
#define SI_MIN_INTERVAL 6
#define SI_ALIEN_SHOT 10
#define SI_SHOT_COOLDOWN 5
typedef struct si_state {
    int32_t last_action;
    int32_t x;                 /* cannon on row 9 */
    int32_t alien_dx;          /* -1 left, +1 right */
    int32_t interval;          /* alien move interval of this wave, 12 down to 6 */
    int32_t move_timer, alien_shot_timer; /* reload when they read 0 */
    int32_t shot_timer;        /* frames before the cannon may fire again (0 = now) */
    int32_t alien[MG_SIZE][MG_SIZE];   /* [row][col] 0/1 */
    int32_t fbullet[MG_SIZE][MG_SIZE];
    int32_t ebullet[MG_SIZE][MG_SIZE];
    core_nprand rng;           /* the reference's RandomState: sticky actions only */
} si_state;
typedef struct mg_space_invaders {
    mg_config cfg;
    si_state s;
} mg_space_invaders;

/* ---- shared helpers (minatar.c) ------------------------------------------------------------ */

extern const float mg_zeros[MG_MAX_CHANNELS * MG_CELLS];
extern const float mg_ones[MG_MAX_CHANNELS * MG_CELLS];
extern const clkfac_space mg_action_space; /* Discrete(6); init narrows n for minimal sets */

/* Fills the impl's mg_config from env->opts and narrows the action space. */
clkfac_status mg_init(clkfac_env *env, const mg_game *game);
/* mg_init for a game that draws from the reference's NumPy stream, a core_nprand at rng_offset
 * in the impl (offsetof(impl, s.rng)): creation and clkfac_env_seed seed it with
 * core_nprand_seed64, so seed S < 2^32 is the reference's RandomState(S). Resets keep it. */
clkfac_status mg_init_np(clkfac_env *env, const mg_game *game, size_t rng_offset);
/* The game action for this frame, as the reference does it (minatar.Environment.act): the
 * agent's index mapped through the minimal set; one rand() from the game's NumPy stream every
 * frame, whatever sticky_prob is (also 0), and *last_action repeats when it is below
 * sticky_prob; *last_action becomes the result. */
int mg_act(clkfac_env *env, core_nprand *rng, int32_t *last_action, const float *action);
void mg_save(const clkfac_env *env, unsigned char *p);
clkfac_status mg_load(const clkfac_env *env, void *impl, const unsigned char *p);

static inline int mg_in_grid(int32_t v) { return v >= 0 && v < MG_SIZE; }

/* obs: (C, 10, 10); sets channel c at row y, column x. A cell off the grid is not written:
 * state checks keep positions on the grid, and this keeps a missed case from writing past the
 * observation (the caller's channel count bounds c). */
static inline void mg_put(float *obs, int c, int y, int x)
{
    if (mg_in_grid(y) && mg_in_grid(x)) obs[c * MG_CELLS + y * MG_SIZE + x] = 1.0f;
}

static inline int32_t mg_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

#endif
