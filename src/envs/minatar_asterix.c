/* MinAtar/Asterix-v1, rule for rule the reference's asterix.py (minatar 1.0.15): the player
 * roams rows 1-8 while enemies and gold cross them, one per row; +1 per gold, touching an enemy
 * ends the episode, and spawning and movement speed up over time. Channels: 0 player, 1 enemy,
 * 2 trail (the cell behind each entity), 3 gold. Quirks of the reference kept here, each marked
 * QUIRK:
 * - a frame resolves, in order: a spawn when due, the player's move, collisions, the entities'
 *   move when due, collisions of the movers; so a newcomer appears on its edge cell at the
 *   start of the frame, can be touched there at once, and moves on the same frame when the
 *   move timer is due;
 * - the countdowns reload when they read 0: spawns every spawn_speed frames (first on frame
 *   11), moves every move_speed frames (first on frame 6);
 * - the ramp timer counts 100 down to -1 and ramps on the frame after, so the game speeds up
 *   every 102 frames (first on frame 102): spawns one frame sooner down to 1, moves one frame
 *   sooner on odd ramps down to 1; the timer stops once both are 1. */
#include "envs/minatar.h"

static void ax_reset(clkfac_env *env)
{
    ax_state *s = &((mg_asterix *)env->impl)->s;
    /* The previous action and the random stream carry over from the episode before. */
    int32_t last = s->last_action;
    core_nprand rng = s->rng;
    *s = (ax_state){0};
    s->last_action = last;
    s->rng = rng;
    s->x = 5;
    s->y = 5;
    s->spawn_speed = s->spawn_timer = AX_SPAWN;
    s->move_speed = s->move_timer = AX_MOVE;
    s->ramp_timer = AX_RAMP;
}

/* A new entity on a random free row, entering from a random side; none when every row is taken
 * (the side and kind are drawn first all the same). */
static void ax_spawn(ax_state *s)
{
    int right = core_nprand_rand(&s->rng) < 1.0 / 2;
    int gold = core_nprand_rand(&s->rng) < 1.0 / 3;
    int free_rows[AX_ROWS], n = 0;
    for (int i = 0; i < AX_ROWS; i++)
        if (s->ent[i].kind == AX_NONE) free_rows[n++] = i;
    if (n == 0) return;
    ax_entity *e = &s->ent[free_rows[core_nprand_randint(&s->rng, 0, n)]];
    e->kind = gold ? AX_GOLD : AX_ENEMY;
    e->x = right ? 0 : MG_SIZE - 1;
    e->dx = right ? 1 : -1;
}

/* The entity of row i + 1 on the player's cell: gold is collected, an enemy ends the episode
 * (and stays). */
static void ax_collide(ax_state *s, int i, double *reward, int *terminated)
{
    ax_entity *e = &s->ent[i];
    if (e->kind == AX_NONE || e->x != s->x || i + 1 != s->y) return;
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
    int a = mg_act(env, &s->rng, &s->last_action, action);
    if (s->spawn_timer == 0) { /* QUIRK: before anything moves; touched at once below */
        ax_spawn(s);
        s->spawn_timer = s->spawn_speed;
    }
    if (a == MG_LEFT) s->x = mg_clamp(s->x - 1, 0, MG_SIZE - 1);
    if (a == MG_RIGHT) s->x = mg_clamp(s->x + 1, 0, MG_SIZE - 1);
    if (a == MG_UP) s->y = mg_clamp(s->y - 1, 1, AX_ROWS);
    if (a == MG_DOWN) s->y = mg_clamp(s->y + 1, 1, AX_ROWS);
    for (int i = 0; i < AX_ROWS; i++) ax_collide(s, i, reward, terminated);
    if (s->move_timer == 0) {
        s->move_timer = s->move_speed;
        for (int i = 0; i < AX_ROWS; i++) {
            ax_entity *e = &s->ent[i];
            if (e->kind == AX_NONE) continue;
            e->x += e->dx;
            if (!mg_in_grid(e->x))
                *e = (ax_entity){0};
            else
                ax_collide(s, i, reward, terminated);
        }
    }
    s->spawn_timer--;
    s->move_timer--;
    if (g->cfg.ramping && (s->spawn_speed > 1 || s->move_speed > 1)) {
        if (s->ramp_timer >= 0) { /* QUIRK: down to -1, so every 102 frames */
            s->ramp_timer--;
        } else {
            if (s->move_speed > 1 && s->ramp_index % 2) s->move_speed--;
            if (s->spawn_speed > 1) s->spawn_speed--;
            s->ramp_index++;
            s->ramp_timer = AX_RAMP;
        }
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
    if (!core_nprand_valid(&s->rng)) return "rng";
    if (!mg_in_grid(s->x) || s->y < 1 || s->y > AX_ROWS) return "player position";
    if (s->spawn_speed < 1 || s->spawn_speed > AX_SPAWN) return "spawn_speed";
    if (s->spawn_timer < 0 || s->spawn_timer > AX_SPAWN) return "spawn_timer";
    if (s->move_speed < 1 || s->move_speed > AX_MOVE) return "move_speed";
    if (s->move_timer < 0 || s->move_timer > AX_MOVE) return "move_timer";
    if (s->ramp_timer < -1 || s->ramp_timer > AX_RAMP) return "ramp_timer";
    if (s->ramp_index < 0 || s->ramp_index > AX_MAX_RAMPS) return "ramp_index";
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

static clkfac_status ax_init(clkfac_env *env)
{
    return mg_init_np(env, &ax_game, offsetof(mg_asterix, s.rng));
}

static const clkfac_space ax_obs = {CLKFAC_SPACE_BOX, 0, 3, {4, MG_SIZE, MG_SIZE, 0},
                                    4 * MG_CELLS, mg_zeros, mg_ones};

const env_class env_class_minatar_asterix = {
    .id = "MinAtar/Asterix-v1",
    .state_version = 2, /* 2: reference rules, the NumPy stream joined the state */
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
