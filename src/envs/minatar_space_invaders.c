/* MinAtar/SpaceInvaders-v1, rule for rule the reference's space_invaders.py (minatar 1.0.15): a
 * cannon on the bottom row shoots a block of 24 aliens that sweeps side to side, drops a row at
 * each edge and fires back; +1 per alien, each cleared wave comes back faster. Channels: 0
 * cannon, 1 alien, 2 alien-left, 3 alien-right (the aliens again, in the channel of their
 * direction), 4 friendly bullet, 5 enemy bullet. The game draws no random numbers of its own
 * (only sticky actions use the stream). Quirks of the reference kept here, each marked QUIRK:
 * - a frame resolves, in order: the cannon's action, friendly bullets up one row, enemy bullets
 *   down one row (one on the cannon's cell ends the episode), an alien on the cannon's cell
 *   ends it, the aliens' move (then an alien on the cannon's cell ends it), alien fire, and only
 *   then kills, once: a bullet and an alien that swap rows in one frame pass each other;
 * - the move timer counts down after the move, so the first move is on frame 13 and then every
 *   min(#aliens, interval) frames; the first alien shot is on frame 11, then every 10;
 * - the block drops at an edge even from the bottom row: that ends the episode, and the aliens
 *   on row 9 wrap round to row 0;
 * - a cleared wave refills rows 0-3, columns 2-7, and keeps everything else: the direction,
 *   both timers, the bullets in flight and the cannon's cooldown. */
#include "envs/minatar.h"

static int si_count(const si_state *s)
{
    int n = 0;
    for (int y = 0; y < MG_SIZE; y++)
        for (int x = 0; x < MG_SIZE; x++) n += s->alien[y][x];
    return n;
}

static int si_column_has_alien(const si_state *s, int x)
{
    for (int y = 0; y < MG_SIZE; y++)
        if (s->alien[y][x]) return 1;
    return 0;
}

static void si_fill_wave(si_state *s)
{
    for (int y = 0; y < 4; y++)
        for (int x = 2; x < 8; x++) s->alien[y][x] = 1;
}

static void si_reset(clkfac_env *env)
{
    si_state *s = &((mg_space_invaders *)env->impl)->s;
    /* The previous action and the random stream carry over from the episode before. */
    int32_t last = s->last_action;
    core_nprand rng = s->rng;
    *s = (si_state){0};
    s->last_action = last;
    s->rng = rng;
    s->x = 5;
    s->alien_dx = -1;
    s->interval = SI_INTERVAL;
    s->move_timer = SI_INTERVAL;
    s->alien_shot_timer = SI_ALIEN_SHOT;
    si_fill_wave(s);
}

/* Rolls the rows of m by +1 (down) or -1 (up), wrapping, like np.roll(m, d, axis=0). */
static void si_roll_rows(int32_t m[MG_SIZE][MG_SIZE], int d)
{
    int32_t old[MG_SIZE][MG_SIZE];
    memcpy(old, m, sizeof old);
    for (int y = 0; y < MG_SIZE; y++)
        memcpy(m[(y + d + MG_SIZE) % MG_SIZE], old[y], sizeof old[y]);
}

/* The block steps sideways, or at an edge reverses and drops one row instead. */
static void si_move_aliens(si_state *s, int *terminated)
{
    if (si_column_has_alien(s, s->alien_dx < 0 ? 0 : MG_SIZE - 1)) {
        s->alien_dx = -s->alien_dx;
        for (int x = 0; x < MG_SIZE; x++)
            if (s->alien[MG_SIZE - 1][x]) *terminated = 1;
        si_roll_rows(s->alien, 1); /* QUIRK: row 9 wraps to row 0 */
        return;
    }
    /* No alien is on the edge it moves towards, so nothing wraps. */
    for (int y = 0; y < MG_SIZE; y++) {
        int32_t row[MG_SIZE];
        for (int x = 0; x < MG_SIZE; x++)
            row[(x + s->alien_dx + MG_SIZE) % MG_SIZE] = s->alien[y][x];
        memcpy(s->alien[y], row, sizeof row);
    }
}

/* The lowest alien of the column nearest the cannon (the left one on a tie) fires. The caller
 * makes sure there is an alien. */
static void si_alien_fire(si_state *s)
{
    for (int d = 0; d < MG_SIZE; d++) {
        const int cols[2] = {s->x - d, s->x + d};
        for (int k = 0; k < (d ? 2 : 1); k++) {
            int x = cols[k];
            if (!mg_in_grid(x)) continue;
            for (int y = MG_SIZE - 1; y >= 0; y--)
                if (s->alien[y][x]) {
                    s->ebullet[y][x] = 1;
                    return;
                }
        }
    }
}

static void si_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    mg_space_invaders *g = env->impl;
    si_state *s = &g->s;
    int a = mg_act(env, &s->rng, &s->last_action, action);
    if (a == MG_FIRE && s->shot_timer == 0) {
        s->fbullet[MG_SIZE - 1][s->x] = 1;
        s->shot_timer = SI_SHOT_COOLDOWN;
    } else if (a == MG_LEFT || a == MG_RIGHT) {
        s->x = mg_clamp(s->x + (a == MG_LEFT ? -1 : 1), 0, MG_SIZE - 1);
    }
    si_roll_rows(s->fbullet, -1);
    memset(s->fbullet[MG_SIZE - 1], 0, sizeof s->fbullet[0]);
    /* QUIRK: a bullet on row 9 rolls off before the check, so the cannon may drive into it. */
    si_roll_rows(s->ebullet, 1);
    memset(s->ebullet[0], 0, sizeof s->ebullet[0]);
    if (s->ebullet[MG_SIZE - 1][s->x]) *terminated = 1;
    if (s->alien[MG_SIZE - 1][s->x]) *terminated = 1;
    if (s->move_timer == 0) {
        int n = si_count(s); /* >= 1: an empty block was refilled at the end of last frame */
        s->move_timer = n < s->interval ? n : s->interval;
        si_move_aliens(s, terminated);
        if (s->alien[MG_SIZE - 1][s->x]) *terminated = 1;
    }
    if (s->alien_shot_timer == 0) {
        s->alien_shot_timer = SI_ALIEN_SHOT;
        si_alien_fire(s);
    }
    /* QUIRK: kills only now, after the aliens moved and fired. */
    for (int y = 0; y < MG_SIZE; y++)
        for (int x = 0; x < MG_SIZE; x++)
            if (s->alien[y][x] && s->fbullet[y][x]) {
                *reward += 1.0;
                s->alien[y][x] = s->fbullet[y][x] = 0;
            }
    if (s->shot_timer > 0) s->shot_timer--;
    s->move_timer--;
    s->alien_shot_timer--;
    if (si_count(s) == 0) {
        if (g->cfg.ramping && s->interval > SI_MIN_INTERVAL) s->interval--;
        si_fill_wave(s); /* QUIRK: direction, timers, bullets and cooldown stay */
    }
}

static void si_observe(const clkfac_env *env, float *obs)
{
    const si_state *s = &((const mg_space_invaders *)env->impl)->s;
    memset(obs, 0, 6 * MG_CELLS * sizeof *obs);
    mg_put(obs, 0, MG_SIZE - 1, s->x);
    int dir_channel = s->alien_dx < 0 ? 2 : 3;
    for (int y = 0; y < MG_SIZE; y++)
        for (int x = 0; x < MG_SIZE; x++) {
            if (s->alien[y][x]) {
                mg_put(obs, 1, y, x);
                mg_put(obs, dir_channel, y, x);
            }
            if (s->fbullet[y][x]) mg_put(obs, 4, y, x);
            if (s->ebullet[y][x]) mg_put(obs, 5, y, x);
        }
}

static int si_binary(const int32_t m[MG_SIZE][MG_SIZE])
{
    for (int y = 0; y < MG_SIZE; y++)
        for (int x = 0; x < MG_SIZE; x++)
            if (m[y][x] != 0 && m[y][x] != 1) return 0;
    return 1;
}

static const char *si_check(const void *state)
{
    const si_state *s = state;
    if (!core_nprand_valid(&s->rng)) return "rng";
    if (!mg_in_grid(s->x)) return "cannon x";
    if (s->alien_dx != 1 && s->alien_dx != -1) return "alien_dx";
    if (s->interval < SI_MIN_INTERVAL || s->interval > SI_INTERVAL) return "interval";
    if (s->move_timer < 0 || s->move_timer > SI_INTERVAL) return "move_timer";
    if (s->alien_shot_timer < 0 || s->alien_shot_timer > SI_ALIEN_SHOT)
        return "alien_shot_timer";
    if (s->shot_timer < 0 || s->shot_timer > SI_SHOT_COOLDOWN) return "shot_timer";
    if (!si_binary(s->alien) || si_count(s) == 0) return "alien";
    if (!si_binary(s->fbullet)) return "fbullet";
    if (!si_binary(s->ebullet)) return "ebullet";
    return NULL;
}
static const int si_minimal[] = {MG_NOOP, MG_LEFT, MG_RIGHT, MG_FIRE};
static const mg_game si_game = {6,
                                si_minimal,
                                4,
                                offsetof(mg_space_invaders, s),
                                sizeof(si_state) / 4,
                                si_check};
_Static_assert(sizeof(si_state) % 4 == 0, "state is int32 words");

static clkfac_status si_init(clkfac_env *env)
{
    return mg_init_np(env, &si_game, offsetof(mg_space_invaders, s.rng));
}

static const clkfac_space si_obs = {CLKFAC_SPACE_BOX, 0, 3, {6, MG_SIZE, MG_SIZE, 0},
                                    6 * MG_CELLS, mg_zeros, mg_ones};

const env_class env_class_minatar_space_invaders = {
    .id = "MinAtar/SpaceInvaders-v1",
    .state_version = 2, /* 2: reference rules, the NumPy stream joined the state */
    .max_steps = MG_SAFETY_STEPS,
    .obs_space = &si_obs,
    .act_space = &mg_action_space,
    .impl_size = sizeof(mg_space_invaders),
    .init = si_init,
    .reset = si_reset,
    .step = si_step,
    .observe = si_observe,
    .payload_size = sizeof(si_state),
    .save = mg_save,
    .load = mg_load,
};
