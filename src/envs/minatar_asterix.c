/* MinAtar/Asterix-v1: the player roams rows 1-8 while enemies and gold cross them, one per row;
 * +1 per gold, touching an enemy ends the episode, and spawning and movement speed up over time.
 * Channels: 0 player, 1 enemy, 2 trail (the cell behind each entity), 3 gold. */
#include "envs/minatar.h"

static void ax_reset(clkfac_env *env)
{
    ax_state *s = &((mg_asterix *)env->impl)->s;
    int32_t last = s->last_action;
    *s = (ax_state){0};
    s->last_action = last;
    s->x = 5;
    s->y = 5;
    s->spawn_interval = s->spawn_timer = AX_SPAWN;
    s->move_interval = s->move_timer = AX_MOVE;
    s->ramp_timer = AX_RAMP;
}

/* A new entity on a random free row, entering from a random side; none when every row is taken. */
static void ax_spawn(clkfac_env *env, ax_state *s)
{
    int from_right = (int)core_rng_below(&env->rng, 2);
    int gold = core_rng_below(&env->rng, 3) == 0;
    int free_rows[AX_ROWS], n = 0;
    for (int i = 0; i < AX_ROWS; i++)
        if (s->ent[i].kind == AX_NONE) free_rows[n++] = i;
    if (n == 0) return;
    ax_entity *e = &s->ent[free_rows[core_rng_below(&env->rng, (uint64_t)n)]];
    e->kind = gold ? AX_GOLD : AX_ENEMY;
    e->x = from_right ? MG_SIZE - 1 : 0;
    e->dx = from_right ? -1 : 1;
}

/* Gold on the player's cell is collected, an enemy there ends the episode. */
static void ax_collide(ax_state *s, double *reward, int *terminated)
{
    if (s->y < 1 || s->y > AX_ROWS) return;
    ax_entity *e = &s->ent[s->y - 1];
    if (e->kind == AX_NONE || e->x != s->x) return;
    if (e->kind == AX_GOLD) {
        *reward += 1.0;
        *e = (ax_entity){0};
    } else {
        *terminated = 1;
    }
}

static void ax_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    mg_asterix *g = env->impl;
    ax_state *s = &g->s;
    int a = mg_take_action(env, &s->last_action, action);
    if (a == MG_LEFT) s->x = mg_clamp(s->x - 1, 0, MG_SIZE - 1);
    if (a == MG_RIGHT) s->x = mg_clamp(s->x + 1, 0, MG_SIZE - 1);
    if (a == MG_UP) s->y = mg_clamp(s->y - 1, 1, AX_ROWS);
    if (a == MG_DOWN) s->y = mg_clamp(s->y + 1, 1, AX_ROWS);
    /* Before the entities move (the player stepped onto one) and after (one moved onto the
     * player). */
    ax_collide(s, reward, terminated);
    if (mg_tick(&s->move_timer, s->move_interval)) {
        for (int i = 0; i < AX_ROWS; i++) {
            ax_entity *e = &s->ent[i];
            if (e->kind == AX_NONE) continue;
            e->x += e->dx;
            if (!mg_in_grid(e->x)) *e = (ax_entity){0};
        }
        ax_collide(s, reward, terminated);
    }
    /* Spawned after the others moved, so a newcomer is first seen on its edge cell (and may
     * land on the player there). */
    if (mg_tick(&s->spawn_timer, s->spawn_interval)) {
        ax_spawn(env, s);
        ax_collide(s, reward, terminated);
    }
    /* Every AX_RAMP frames entities spawn one frame sooner; they move one frame sooner every
     * second time only, so the crossing speed rises at half the rate of the traffic. */
    if (g->cfg.ramping && mg_tick(&s->ramp_timer, AX_RAMP) &&
        (s->spawn_interval > 1 || s->move_interval > 1)) {
        if (s->spawn_interval > 1) s->spawn_interval--;
        if (s->move_interval > 1 && s->ramp_count % 2 == 1) s->move_interval--;
        s->ramp_count++;
    }
}

static void ax_observe(const clkfac_env *env, float *obs)
{
    const ax_state *s = &((const mg_asterix *)env->impl)->s;
    memset(obs, 0, 4 * MG_CELLS * sizeof *obs);
    mg_put(obs, 0, s->y, s->x);
    for (int i = 0; i < AX_ROWS; i++) {
        const ax_entity *e = &s->ent[i];
        if (e->kind == AX_NONE) continue;
        mg_put(obs, e->kind == AX_GOLD ? 3 : 1, i + 1, e->x);
        if (mg_in_grid(e->x - e->dx)) mg_put(obs, 2, i + 1, e->x - e->dx);
    }
}

static const char *ax_check(const void *state)
{
    const ax_state *s = state;
    if (!mg_in_grid(s->x) || s->y < 1 || s->y > AX_ROWS) return "player position";
    if (s->spawn_interval < 1 || s->spawn_interval > AX_SPAWN) return "spawn_interval";
    if (s->spawn_timer < 1 || s->spawn_timer > AX_SPAWN) return "spawn_timer";
    if (s->move_interval < 1 || s->move_interval > AX_MOVE) return "move_interval";
    if (s->move_timer < 1 || s->move_timer > AX_MOVE) return "move_timer";
    if (s->ramp_timer < 1 || s->ramp_timer > AX_RAMP) return "ramp_timer";
    if (s->ramp_count < 0 || s->ramp_count > MG_MAX_RAMPS(AX_SPAWN, AX_MOVE)) return "ramp_count";
    for (int i = 0; i < AX_ROWS; i++) {
        const ax_entity *e = &s->ent[i];
        if (e->kind == AX_NONE) {
            if (e->x != 0 || e->dx != 0) return "empty entity slot";
        } else if (e->kind != AX_ENEMY && e->kind != AX_GOLD) {
            return "entity kind";
        } else if (!mg_in_grid(e->x) || (e->dx != 1 && e->dx != -1)) {
            return "entity position";
        }
    }
    return NULL;
}

static const int ax_minimal[] = {MG_NOOP, MG_LEFT, MG_UP, MG_RIGHT, MG_DOWN};
static const mg_game ax_game = {4,
                                ax_minimal,
                                5,
                                offsetof(mg_asterix, s),
                                sizeof(ax_state) / 4,
                                ax_check};
_Static_assert(sizeof(ax_state) % 4 == 0, "state is int32 words");

static clkfac_status ax_init(clkfac_env *env) { return mg_init(env, &ax_game); }

static const clkfac_space ax_obs = {CLKFAC_SPACE_BOX, 0, 3, {4, MG_SIZE, MG_SIZE, 0},
                                    4 * MG_CELLS, mg_zeros, mg_ones};

const env_class env_class_minatar_asterix = {
    .id = "MinAtar/Asterix-v1",
    .state_version = 1,
    .max_steps = MG_SAFETY_STEPS,
    .obs_space = &ax_obs,
    .act_space = &mg_action_space,
    .impl_size = sizeof(mg_asterix),
    .init = ax_init,
    .reset = ax_reset,
    .step = ax_step,
    .observe = ax_observe,
    .payload_size = sizeof(ax_state),
    .save = mg_save,
    .load = mg_load,
};
