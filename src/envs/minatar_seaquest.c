/* MinAtar/Seaquest-v1: a submarine shoots fish and enemy subs (+1 each), rescues divers and must
 * surface with at least one of them before its oxygen runs out; six divers at once pay an oxygen
 * bonus and ramp the difficulty. Channels: 0 sub front, 1 sub back, 2 friendly bullet, 3 trail,
 * 4 enemy bullet, 5 enemy fish, 6 enemy sub, 7 oxygen gauge, 8 diver gauge, 9 diver. */
#include "envs/minatar.h"

static void sq_reset(clkfac_env *env)
{
    sq_state *s = &((mg_seaquest *)env->impl)->s;
    int32_t last = s->last_action;
    *s = (sq_state){0};
    s->last_action = last;
    s->x = 5;
    s->y = 0;
    s->facing = 1;
    s->oxygen = SQ_OXYGEN;
    s->surfaced = 1;
    s->enemy_interval = s->enemy_timer = SQ_ENEMY_SPAWN;
    s->move_interval = SQ_ENEMY_MOVE;
    s->diver_timer = SQ_DIVER_SPAWN;
}

/* A random row i (0-7 for rows 1-8) among those with accepting[i] set, or -1 when none is. */
static int sq_pick_row(clkfac_env *env, const int *accepting)
{
    int rows[SQ_ROWS], n = 0;
    for (int i = 0; i < SQ_ROWS; i++)
        if (accepting[i]) rows[n++] = i;
    return n ? rows[core_rng_below(&env->rng, (uint64_t)n)] : -1;
}

static void sq_spawn_enemy(clkfac_env *env, sq_state *s)
{
    int from_right = (int)core_rng_below(&env->rng, 2);
    int is_sub = core_rng_below(&env->rng, 3) == 0;
    int free_rows[SQ_ROWS];
    for (int i = 0; i < SQ_ROWS; i++) free_rows[i] = s->enemy[i].kind == SQ_NONE;
    int r = sq_pick_row(env, free_rows);
    if (r < 0) return;
    s->enemy[r] = (sq_enemy){is_sub ? SQ_SUB : SQ_FISH, from_right ? MG_SIZE - 1 : 0,
                             from_right ? -1 : 1, s->move_interval, is_sub ? SQ_ENEMY_SHOT : 0};
}

static void sq_spawn_diver(clkfac_env *env, sq_state *s)
{
    int from_right = (int)core_rng_below(&env->rng, 2);
    int free_rows[SQ_ROWS];
    for (int i = 0; i < SQ_ROWS; i++) free_rows[i] = !s->diver[i].on;
    int r = sq_pick_row(env, free_rows);
    if (r < 0) return;
    s->diver[r] = (sq_diver){1, from_right ? MG_SIZE - 1 : 0, from_right ? -1 : 1, SQ_DIVER_MOVE};
}

/* Adds a bullet to the first free slot of list (n slots); a full list drops the shot. */
static void sq_add_bullet(sq_bullet *list, int n, int32_t x, int32_t y, int32_t dx)
{
    for (int i = 0; i < n; i++)
        if (!list[i].on) {
            list[i] = (sq_bullet){1, x, y, dx};
            return;
        }
}

static int sq_at_sub(const sq_state *s, int32_t x, int32_t y) { return x == s->x && y == s->y; }

/* The friendly bullet at (x, y), or NULL. */
static sq_bullet *sq_fbullet_at(sq_state *s, int32_t x, int32_t y)
{
    for (int i = 0; i < SQ_FBULLETS; i++)
        if (s->fb[i].on && s->fb[i].x == x && s->fb[i].y == y) return &s->fb[i];
    return NULL;
}

static void sq_move_player(sq_state *s, int a)
{
    if (a == MG_FIRE && s->shot_timer == 0) {
        sq_add_bullet(s->fb, SQ_FBULLETS, s->x, s->y, s->facing);
        s->shot_timer = SQ_SHOT_COOLDOWN;
    } else if (a == MG_LEFT || a == MG_RIGHT) {
        s->facing = a == MG_LEFT ? -1 : 1;
        s->x = mg_clamp(s->x + s->facing, 0, MG_SIZE - 1);
    } else if (a == MG_UP || a == MG_DOWN) {
        s->y = mg_clamp(s->y + (a == MG_UP ? -1 : 1), 0, SQ_ROWS);
    }
}

static void sq_move_fbullets(sq_state *s, double *reward)
{
    for (int i = 0; i < SQ_FBULLETS; i++) {
        sq_bullet *b = &s->fb[i];
        if (!b->on) continue;
        b->x += b->dx;
        if (!mg_in_grid(b->x)) {
            *b = (sq_bullet){0};
            continue;
        }
        sq_enemy *e = b->y >= 1 ? &s->enemy[b->y - 1] : NULL;
        if (e && e->kind != SQ_NONE && e->x == b->x) {
            *reward += 1.0;
            *e = (sq_enemy){0};
            *b = (sq_bullet){0};
        }
    }
}

/* A diver on the sub's cell boards it while there is room; a full sub passes through. */
static void sq_move_divers(sq_state *s)
{
    for (int i = 0; i < SQ_ROWS; i++) {
        sq_diver *d = &s->diver[i];
        if (!d->on) continue;
        if (!(sq_at_sub(s, d->x, i + 1) && s->divers < SQ_MAX_DIVERS) &&
            mg_tick(&d->move, SQ_DIVER_MOVE)) {
            d->x += d->dx;
            if (!mg_in_grid(d->x)) {
                *d = (sq_diver){0};
                continue;
            }
        }
        if (sq_at_sub(s, d->x, i + 1) && s->divers < SQ_MAX_DIVERS) {
            s->divers++;
            *d = (sq_diver){0};
        }
    }
}

static void sq_move_enemies(sq_state *s, double *reward, int *terminated)
{
    for (int i = 0; i < SQ_ROWS; i++) {
        sq_enemy *e = &s->enemy[i];
        int32_t row = i + 1;
        if (e->kind == SQ_NONE) continue;
        if (sq_at_sub(s, e->x, row)) *terminated = 1;
        if (mg_tick(&e->move, s->move_interval)) {
            e->x += e->dx;
            if (!mg_in_grid(e->x)) {
                *e = (sq_enemy){0};
                continue;
            }
            if (sq_at_sub(s, e->x, row)) *terminated = 1;
            sq_bullet *b = sq_fbullet_at(s, e->x, row);
            if (b) {
                *reward += 1.0;
                *e = (sq_enemy){0};
                *b = (sq_bullet){0};
                continue;
            }
        }
        if (e->kind == SQ_SUB && mg_tick(&e->shot, SQ_ENEMY_SHOT))
            sq_add_bullet(s->eb, SQ_EBULLETS, e->x, row, e->dx);
    }
}

static void sq_move_ebullets(sq_state *s, int *terminated)
{
    for (int i = 0; i < SQ_EBULLETS; i++) {
        sq_bullet *b = &s->eb[i];
        if (!b->on) continue;
        if (sq_at_sub(s, b->x, b->y)) *terminated = 1;
        b->x += b->dx;
        if (!mg_in_grid(b->x)) {
            *b = (sq_bullet){0};
            continue;
        }
        if (sq_at_sub(s, b->x, b->y)) *terminated = 1;
    }
}

/* Below the surface oxygen runs down; arriving at the surface trades divers for oxygen. */
static void sq_breathe(mg_seaquest *g, double *reward, int *terminated)
{
    sq_state *s = &g->s;
    if (s->y > 0) {
        s->surfaced = 0;
        if (--s->oxygen <= 0) *terminated = 1;
        return;
    }
    if (s->surfaced) return;
    s->surfaced = 1;
    if (s->divers == 0) {
        *terminated = 1;
        return;
    }
    if (s->divers == SQ_MAX_DIVERS) {
        *reward += (double)(s->oxygen * 10 / SQ_OXYGEN); /* whole points, 0-10 */
        s->divers = 0;
        /* Enemies spawn one frame sooner each time, and move one frame sooner every second
         * time. */
        if (g->cfg.ramping && (s->enemy_interval > 1 || s->move_interval > 1)) {
            if (s->enemy_interval > 1) s->enemy_interval--;
            if (s->move_interval > 1 && s->ramp_count % 2 == 1) s->move_interval--;
            s->ramp_count++;
        }
    } else {
        s->divers--;
    }
    s->oxygen = SQ_OXYGEN;
}

static void sq_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    mg_seaquest *g = env->impl;
    sq_state *s = &g->s;
    if (mg_tick(&s->enemy_timer, s->enemy_interval)) sq_spawn_enemy(env, s);
    if (mg_tick(&s->diver_timer, SQ_DIVER_SPAWN)) sq_spawn_diver(env, s);
    sq_move_player(s, mg_take_action(env, &s->last_action, action));
    sq_move_fbullets(s, reward);
    sq_move_divers(s);
    sq_move_enemies(s, reward, terminated);
    sq_move_ebullets(s, terminated);
    if (s->shot_timer > 0) s->shot_timer--;
    sq_breathe(g, reward, terminated);
}

static void sq_observe(const clkfac_env *env, float *obs)
{
    const sq_state *s = &((const mg_seaquest *)env->impl)->s;
    memset(obs, 0, 10 * MG_CELLS * sizeof *obs);
    mg_put(obs, 0, s->y, s->x);
    if (mg_in_grid(s->x - s->facing)) mg_put(obs, 1, s->y, s->x - s->facing);
    for (int i = 0; i < SQ_FBULLETS; i++)
        if (s->fb[i].on) mg_put(obs, 2, s->fb[i].y, s->fb[i].x);
    for (int i = 0; i < SQ_EBULLETS; i++)
        if (s->eb[i].on) mg_put(obs, 4, s->eb[i].y, s->eb[i].x);
    for (int i = 0; i < SQ_ROWS; i++) {
        const sq_enemy *e = &s->enemy[i];
        if (e->kind != SQ_NONE) {
            mg_put(obs, e->kind == SQ_FISH ? 5 : 6, i + 1, e->x);
            if (mg_in_grid(e->x - e->dx)) mg_put(obs, 3, i + 1, e->x - e->dx);
        }
        const sq_diver *d = &s->diver[i];
        if (d->on) {
            mg_put(obs, 9, i + 1, d->x);
            if (mg_in_grid(d->x - d->dx)) mg_put(obs, 3, i + 1, d->x - d->dx);
        }
    }
    for (int x = 0; x < s->oxygen * MG_SIZE / SQ_OXYGEN; x++) mg_put(obs, 7, MG_SIZE - 1, x);
    for (int k = 0; k < s->divers; k++) mg_put(obs, 8, MG_SIZE - 1, MG_SIZE - 1 - k);
}

static int sq_bad_bullets(const sq_bullet *b, int n, int32_t min_y)
{
    for (int i = 0; i < n; i++) {
        if (b[i].on == 0) {
            if (b[i].x || b[i].y || b[i].dx) return 1;
        } else if (b[i].on != 1 || !mg_in_grid(b[i].x) || b[i].y < min_y || b[i].y > SQ_ROWS ||
                   (b[i].dx != 1 && b[i].dx != -1)) {
            return 1;
        }
    }
    return 0;
}

static const char *sq_check_movers(const sq_state *s)
{
    for (int i = 0; i < SQ_ROWS; i++) {
        const sq_enemy *e = &s->enemy[i];
        if (e->kind == SQ_NONE) {
            if (e->x || e->dx || e->move || e->shot) return "empty enemy slot";
        } else if ((e->kind != SQ_FISH && e->kind != SQ_SUB) || !mg_in_grid(e->x) ||
                   (e->dx != 1 && e->dx != -1) || e->move < 1 || e->move > SQ_ENEMY_MOVE ||
                   (e->kind == SQ_SUB ? e->shot < 1 || e->shot > SQ_ENEMY_SHOT : e->shot != 0)) {
            return "enemy";
        }
        const sq_diver *d = &s->diver[i];
        if (d->on == 0) {
            if (d->x || d->dx || d->move) return "empty diver slot";
        } else if (d->on != 1 || !mg_in_grid(d->x) || (d->dx != 1 && d->dx != -1) ||
                   d->move < 1 || d->move > SQ_DIVER_MOVE) {
            return "diver";
        }
    }
    if (sq_bad_bullets(s->fb, SQ_FBULLETS, 0)) return "friendly bullet";
    if (sq_bad_bullets(s->eb, SQ_EBULLETS, 1)) return "enemy bullet";
    return NULL;
}

static const char *sq_check(const void *state)
{
    const sq_state *s = state;
    if (!mg_in_grid(s->x) || s->y < 0 || s->y > SQ_ROWS) return "sub position";
    if (s->facing != 1 && s->facing != -1) return "facing";
    if (s->oxygen < 0 || s->oxygen > SQ_OXYGEN) return "oxygen";
    if (s->divers < 0 || s->divers > SQ_MAX_DIVERS) return "divers";
    if (s->surfaced != 0 && s->surfaced != 1) return "surfaced";
    if (s->shot_timer < 0 || s->shot_timer > SQ_SHOT_COOLDOWN) return "shot_timer";
    if (s->enemy_interval < 1 || s->enemy_interval > SQ_ENEMY_SPAWN) return "enemy_interval";
    if (s->enemy_timer < 1 || s->enemy_timer > SQ_ENEMY_SPAWN) return "enemy_timer";
    if (s->move_interval < 1 || s->move_interval > SQ_ENEMY_MOVE) return "move_interval";
    if (s->diver_timer < 1 || s->diver_timer > SQ_DIVER_SPAWN) return "diver_timer";
    if (s->ramp_count < 0 || s->ramp_count > MG_MAX_RAMPS(SQ_ENEMY_SPAWN, SQ_ENEMY_MOVE))
        return "ramp_count";
    return sq_check_movers(s);
}

static const int sq_minimal[] = {MG_NOOP, MG_LEFT, MG_UP, MG_RIGHT, MG_DOWN, MG_FIRE};
static const mg_game sq_game = {10,
                                sq_minimal,
                                6,
                                offsetof(mg_seaquest, s),
                                sizeof(sq_state) / 4,
                                sq_check};
_Static_assert(sizeof(sq_state) % 4 == 0, "state is int32 words");

static clkfac_status sq_init(clkfac_env *env) { return mg_init(env, &sq_game); }

static const clkfac_space sq_obs = {CLKFAC_SPACE_BOX, 0, 3, {10, MG_SIZE, MG_SIZE, 0},
                                    10 * MG_CELLS, mg_zeros, mg_ones};

const env_class env_class_minatar_seaquest = {
    .id = "MinAtar/Seaquest-v1",
    .state_version = 1,
    .max_steps = MG_SAFETY_STEPS,
    .obs_space = &sq_obs,
    .act_space = &mg_action_space,
    .impl_size = sizeof(mg_seaquest),
    .init = sq_init,
    .reset = sq_reset,
    .step = sq_step,
    .observe = sq_observe,
    .payload_size = sizeof(sq_state),
    .save = mg_save,
    .load = mg_load,
};
