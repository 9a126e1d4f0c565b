/* MinAtar/SpaceInvaders-v1: a cannon on the bottom row shoots a block of 24 aliens that sweeps
 * side to side, drops a row at each edge and fires back; +1 per alien, each cleared wave comes
 * back faster. Channels: 0 cannon, 1 alien, 2 alien-left, 3 alien-right (the aliens again, in
 * the channel of their direction), 4 friendly bullet, 5 enemy bullet. */
#include "envs/minatar.h"

static void si_new_wave(si_state *s)
{
    for (int y = 0; y < 4; y++)
        for (int x = 2; x < 8; x++) s->alien[y][x] = 1;
    s->alien_dx = -1;
    s->move_timer = s->interval; /* 24 aliens: min(24, interval) is the interval */
}

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

static void si_reset(clkfac_env *env)
{
    si_state *s = &((mg_space_invaders *)env->impl)->s;
    int32_t last = s->last_action;
    *s = (si_state){0};
    s->last_action = last;
    s->x = 5;
    s->interval = SI_INTERVAL;
    s->alien_shot_timer = SI_ALIEN_SHOT;
    si_new_wave(s);
}

/* Every alien sharing a cell with a friendly bullet dies with it. */
static void si_kill(si_state *s, double *reward)
{
    for (int y = 0; y < MG_SIZE; y++)
        for (int x = 0; x < MG_SIZE; x++)
            if (s->alien[y][x] && s->fbullet[y][x]) {
                *reward += 1.0;
                s->alien[y][x] = s->fbullet[y][x] = 0;
            }
}

/* The block steps sideways, or at an edge reverses and drops one row instead. */
static void si_move_aliens(si_state *s)
{
    int edge = si_column_has_alien(s, s->alien_dx < 0 ? 0 : MG_SIZE - 1);
    int32_t old[MG_SIZE][MG_SIZE];
    memcpy(old, s->alien, sizeof old);
    memset(s->alien, 0, sizeof s->alien);
    for (int y = 0; y < MG_SIZE; y++)
        for (int x = 0; x < MG_SIZE; x++) {
            if (!old[y][x]) continue;
            int ny = edge ? y + 1 : y, nx = edge ? x : x + s->alien_dx;
            if (ny < MG_SIZE) s->alien[ny][nx] = 1;
        }
    if (edge) s->alien_dx = -s->alien_dx;
}

/* The lowest alien of the column nearest the cannon (the left one on a tie) fires. */
static void si_alien_fire(si_state *s)
{
    for (int d = 0; d < MG_SIZE; d++) {
        const int cols[2] = {s->x - d, s->x + d};
        for (int k = 0; k < (d ? 2 : 1); k++) {
            int x = cols[k];
            if (!mg_in_grid(x) || !si_column_has_alien(s, x)) continue;
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
    int a = mg_take_action(env, &s->last_action, action);
    if (a == MG_FIRE && s->shot_timer == 0) {
        s->fbullet[MG_SIZE - 1][s->x] = 1;
        s->shot_timer = SI_SHOT_COOLDOWN;
    } else if (a == MG_LEFT || a == MG_RIGHT) {
        s->x = mg_clamp(s->x + (a == MG_LEFT ? -1 : 1), 0, MG_SIZE - 1);
    }
    /* The cannon may drive into a bullet on its row before the bullets move, or a bullet may
     * drop onto it after. */
    if (s->ebullet[MG_SIZE - 1][s->x]) *terminated = 1;
    memmove(s->fbullet[0], s->fbullet[1], (MG_SIZE - 1) * sizeof s->fbullet[0]);
    memset(s->fbullet[MG_SIZE - 1], 0, sizeof s->fbullet[0]);
    memmove(s->ebullet[1], s->ebullet[0], (MG_SIZE - 1) * sizeof s->ebullet[0]);
    memset(s->ebullet[0], 0, sizeof s->ebullet[0]);
    if (s->ebullet[MG_SIZE - 1][s->x]) *terminated = 1;
    si_kill(s, reward);

    int n = si_count(s);
    if (n > 0 && mg_tick(&s->move_timer, n < s->interval ? n : s->interval)) {
        si_move_aliens(s);
        si_kill(s, reward);
        for (int x = 0; x < MG_SIZE; x++)
            if (s->alien[MG_SIZE - 1][x]) *terminated = 1;
    }
    if (mg_tick(&s->alien_shot_timer, SI_ALIEN_SHOT)) si_alien_fire(s);
    if (s->shot_timer > 0) s->shot_timer--;
    if (si_count(s) == 0) {
        if (g->cfg.ramping && s->interval > SI_MIN_INTERVAL) s->interval--;
        si_new_wave(s);
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
    if (!mg_in_grid(s->x)) return "cannon x";
    if (s->alien_dx != 1 && s->alien_dx != -1) return "alien_dx";
    if (s->interval < SI_MIN_INTERVAL || s->interval > SI_INTERVAL) return "interval";
    if (s->move_timer < 1 || s->move_timer > SI_INTERVAL) return "move_timer";
    if (s->alien_shot_timer < 1 || s->alien_shot_timer > SI_ALIEN_SHOT)
        return "alien_shot_timer";
    if (s->shot_timer < 0 || s->shot_timer > SI_SHOT_COOLDOWN) return "shot_timer";
    if (!si_binary(s->alien)) return "alien";
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

static clkfac_status si_init(clkfac_env *env) { return mg_init(env, &si_game); }

static const clkfac_space si_obs = {CLKFAC_SPACE_BOX, 0, 3, {6, MG_SIZE, MG_SIZE, 0},
                                    6 * MG_CELLS, mg_zeros, mg_ones};

const env_class env_class_minatar_space_invaders = {
    .id = "MinAtar/SpaceInvaders-v1",
    .state_version = 1,
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
