/* MinAtar/Seaquest-v1, rule for rule the reference's seaquest.py (minatar 1.0.15): a submarine
 * shoots fish and enemy subs (+1 each), rescues divers and must surface with at least one of
 * them before its oxygen runs out; six divers at once pay an oxygen bonus. Channels: 0 sub
 * front, 1 sub back, 2 friendly bullet, 3 trail, 4 enemy bullet, 5 enemy fish, 6 enemy sub, 7
 * oxygen gauge, 8 diver gauge, 9 diver. The movers are kept as the reference's Python lists, in
 * their order, and walked the way it walks them (backwards, removing by value while iterating),
 * because that order decides outcomes. Quirks of the reference kept here, each marked QUIRK:
 * - a mover's countdown reloads when it reads 0 and counts down otherwise, so fish and subs move
 *   every move_speed + 1 frames (6 at first), divers every 6, and a sub fires every 11 frames;
 *   enemies spawn every 20 frames (first on frame 21) and divers every 30 (first on frame 31);
 * - a spawn picks a row from 1-8 at random whatever is on it; an enemy is dropped only when the
 *   row holds one heading the other way, so several may share a row (and a cell); divers always
 *   spawn;
 * - a sub that leaves the grid or is shot during its own move still fires if its shot timer is
 *   due: a bullet on its cell, or (off the grid) one that leaves again the same frame;
 * - oxygen runs out on the frame after it reaches 0 (201 frames of 200), checked before the
 *   frame's decrement, so the surface cannot save a sub whose oxygen reads 0;
 * - every surfacing with divers ramps the difficulty (not only six-diver ones): enemies spawn a
 *   frame sooner, down to 1, and on odd ramps move a frame sooner, down to 2;
 * - surfacing with six divers sets the count to 0 and then takes one away like any surfacing,
 *   leaving -1; a negative count surfaces freely (only exactly 0 ends the episode) and shows
 *   no gauge;
 * - the submarine starts facing left; the diver gauge lights columns 9 - divers to 8, never 9. */
#include "envs/minatar.h"

static void sq_reset(clkfac_env *env)
{
    sq_state *s = &((mg_seaquest *)env->impl)->s;
    /* The previous action and the random stream carry over from the episode before. */
    int32_t last = s->last_action;
    core_nprand rng = s->rng;
    *s = (sq_state){0};
    s->last_action = last;
    s->rng = rng;
    s->x = 5;
    s->y = 0;
    s->right = 0; /* QUIRK: facing left */
    s->oxygen = SQ_OXYGEN;
    s->surface = 1;
    s->spawn_speed = s->spawn_timer = SQ_ENEMY_SPAWN;
    s->diver_timer = SQ_DIVER_SPAWN;
    s->move_speed = SQ_MOVE;
}

/* ---- the reference's lists: append, remove-by-value, reversed walk -------------------------- */

typedef struct sq_list {
    sq_obj *item;
    int32_t *n;
    int cap;
} sq_list;

#define SQ_LIST(s, name, cap) ((sq_list){(s)->name, &(s)->n_##name, (cap)})

static int sq_same(const sq_obj *a, const sq_obj *b)
{
    return a->x == b->x && a->y == b->y && a->right == b->right && a->move == b->move &&
           a->shot == b->shot;
}

/* list.append(v). The capacities hold the most a game can have alive (minatar.h); a full list
 * would drop the item. */
static void sq_append(sq_list l, sq_obj v)
{
    if (*l.n < l.cap) l.item[(*l.n)++] = v;
}

/* list.remove(v): removes the first item equal to v, returns where it was. The freed slot is
 * zeroed, so unused slots are all zero. */
static int sq_remove(sq_list l, sq_obj v)
{
    for (int i = 0; i < *l.n; i++)
        if (sq_same(&l.item[i], &v)) {
            memmove(&l.item[i], &l.item[i + 1], (size_t)(*l.n - i - 1) * sizeof v);
            l.item[--*l.n] = (sq_obj){0};
            return i;
        }
    return -1;
}

/* Removes the item the walk holds at *cur, by value as Python does: the first equal item may be
 * an earlier one, in which case the held item is still listed one place down. Returns where the
 * held item now is: in the list, or (gone from it) in *held, which the caller may still read
 * and write like the reference's loop variable. */
static sq_obj *sq_remove_held(sq_list l, int cur, sq_obj *held)
{
    *held = l.item[cur];
    int i = sq_remove(l, *held);
    return i == cur ? held : &l.item[cur - 1];
}

/* The index of the first item on cell (x, y), or -1. */
static int sq_find(sq_list l, int32_t x, int32_t y)
{
    for (int i = 0; i < *l.n; i++)
        if (l.item[i].x == x && l.item[i].y == y) return i;
    return -1;
}

/* `for v in reversed(list)` over a list that shrinks under it: yields index i while
 * 0 <= i < len, then i - 1; an item removed below the walk makes it see an item twice. */
#define SQ_REVERSED(l, cur)                                                                        \
    for (int sq_next_ = *(l).n - 1, cur;                                                           \
         sq_next_ >= 0 && sq_next_ < *(l).n && ((cur = sq_next_--), 1);)

static int sq_at_sub(const sq_state *s, const sq_obj *o) { return o->x == s->x && o->y == s->y; }

static int sq_step_x(sq_obj *o)
{
    o->x += o->right ? 1 : -1;
    return mg_in_grid(o->x);
}

/* ---- spawns --------------------------------------------------------------------------------- */

static void sq_spawn_enemy(sq_state *s)
{
    int right = core_nprand_rand(&s->rng) < 1.0 / 2;
    int is_sub = core_nprand_rand(&s->rng) < 1.0 / 3;
    int32_t y = (int32_t)core_nprand_randint(&s->rng, 1, 9);
    /* QUIRK: only an enemy heading the other way blocks the row. */
    for (int i = 0; i < s->n_subs; i++)
        if (s->subs[i].y == y && s->subs[i].right != right) return;
    for (int i = 0; i < s->n_fish; i++)
        if (s->fish[i].y == y && s->fish[i].right != right) return;
    sq_obj e = {right ? 0 : MG_SIZE - 1, y, right, s->move_speed, is_sub ? SQ_ENEMY_SHOT : 0};
    if (is_sub)
        sq_append(SQ_LIST(s, subs, SQ_CAP_ENEMIES), e);
    else
        sq_append(SQ_LIST(s, fish, SQ_CAP_ENEMIES), e);
}

static void sq_spawn_diver(sq_state *s)
{
    int right = core_nprand_rand(&s->rng) < 1.0 / 2;
    int32_t y = (int32_t)core_nprand_randint(&s->rng, 1, 9);
    sq_append(SQ_LIST(s, divers, SQ_CAP_DIVERS),
              (sq_obj){right ? 0 : MG_SIZE - 1, y, right, SQ_DIVER_MOVE, 0});
}

/* ---- one frame ------------------------------------------------------------------------------ */

static void sq_move_player(sq_state *s, int a)
{
    if (a == MG_FIRE && s->shot_timer == 0) {
        sq_append(SQ_LIST(s, fb, SQ_CAP_FBULLETS), (sq_obj){s->x, s->y, s->right, 0, 0});
        s->shot_timer = SQ_SHOT_COOLDOWN;
    } else if (a == MG_LEFT) {
        s->x = mg_clamp(s->x - 1, 0, MG_SIZE - 1);
        s->right = 0;
    } else if (a == MG_RIGHT) {
        s->x = mg_clamp(s->x + 1, 0, MG_SIZE - 1);
        s->right = 1;
    } else if (a == MG_UP) {
        s->y = mg_clamp(s->y - 1, 0, SQ_ROWS);
    } else if (a == MG_DOWN) {
        s->y = mg_clamp(s->y + 1, 0, SQ_ROWS);
    }
}

/* Friendly bullets move, then hit the first fish on their cell, else the first sub. */
static void sq_move_fbullets(sq_state *s, double *reward)
{
    sq_list fb = SQ_LIST(s, fb, SQ_CAP_FBULLETS);
    sq_list kinds[2] = {SQ_LIST(s, fish, SQ_CAP_ENEMIES), SQ_LIST(s, subs, SQ_CAP_ENEMIES)};
    SQ_REVERSED(fb, cur) {
        sq_obj *b = &fb.item[cur];
        if (!sq_step_x(b)) {
            sq_remove(fb, *b);
            continue;
        }
        for (int k = 0; k < 2; k++) {
            int j = sq_find(kinds[k], b->x, b->y);
            if (j < 0) continue;
            sq_obj bv = *b;
            sq_remove(kinds[k], kinds[k].item[j]);
            sq_remove(fb, bv);
            *reward += 1.0;
            break;
        }
    }
}

/* A diver on the sub's cell boards it while fewer than six are aboard. */
static void sq_move_divers(sq_state *s)
{
    sq_list dl = SQ_LIST(s, divers, SQ_CAP_DIVERS);
    SQ_REVERSED(dl, cur) {
        sq_obj *d = &dl.item[cur];
        if (sq_at_sub(s, d) && s->diver_count < SQ_MAX_DIVERS) {
            sq_remove(dl, *d);
            s->diver_count++;
        } else if (d->move == 0) {
            d->move = SQ_DIVER_MOVE;
            if (!sq_step_x(d)) {
                sq_remove(dl, *d);
            } else if (sq_at_sub(s, d) && s->diver_count < SQ_MAX_DIVERS) {
                sq_remove(dl, *d);
                s->diver_count++;
            }
        } else {
            d->move--;
        }
    }
}

/* Fish (subs = 0) or subs (1): touching the sub ends the episode before and after a move; one
 * moving onto a friendly bullet dies with it; subs fire. */
static void sq_move_enemies(sq_state *s, int subs, double *reward, int *terminated)
{
    sq_list el = subs ? SQ_LIST(s, subs, SQ_CAP_ENEMIES) : SQ_LIST(s, fish, SQ_CAP_ENEMIES);
    sq_list fb = SQ_LIST(s, fb, SQ_CAP_FBULLETS);
    SQ_REVERSED(el, cur) {
        sq_obj held, *e = &el.item[cur];
        if (sq_at_sub(s, e)) *terminated = 1;
        if (e->move == 0) {
            e->move = s->move_speed;
            int j;
            if (!sq_step_x(e)) {
                e = sq_remove_held(el, cur, &held);
            } else if (sq_at_sub(s, e)) {
                *terminated = 1;
            } else if ((j = sq_find(fb, e->x, e->y)) >= 0) {
                e = sq_remove_held(el, cur, &held);
                sq_remove(fb, fb.item[j]);
                *reward += 1.0;
            }
        } else {
            e->move--;
        }
        if (!subs) continue;
        /* QUIRK: e may already be off the list (left the grid or shot) and still fires. */
        if (e->shot == 0) {
            e->shot = SQ_ENEMY_SHOT;
            sq_append(SQ_LIST(s, eb, SQ_CAP_EBULLETS), (sq_obj){e->x, e->y, e->right, 0, 0});
        } else {
            e->shot--;
        }
    }
}

static void sq_move_ebullets(sq_state *s, int *terminated)
{
    sq_list eb = SQ_LIST(s, eb, SQ_CAP_EBULLETS);
    SQ_REVERSED(eb, cur) {
        sq_obj *b = &eb.item[cur];
        if (sq_at_sub(s, b)) *terminated = 1;
        if (!sq_step_x(b))
            sq_remove(eb, *b);
        else if (sq_at_sub(s, b))
            *terminated = 1;
    }
}

/* Arriving at the surface with divers: refills oxygen, pays for six, ramps the difficulty. */
static double sq_surface(mg_seaquest *g)
{
    sq_state *s = &g->s;
    double r = 0.0;
    s->surface = 1;
    if (s->diver_count == SQ_MAX_DIVERS) {
        s->diver_count = 0;
        r = (double)(s->oxygen * 10 / SQ_OXYGEN); /* oxygen >= 0 here */
    }
    s->oxygen = SQ_OXYGEN;
    s->diver_count--; /* QUIRK: after six, -1 */
    if (g->cfg.ramping && (s->spawn_speed > 1 || s->move_speed > SQ_MIN_MOVE)) {
        if (s->move_speed > SQ_MIN_MOVE && s->ramp_index % 2) s->move_speed--;
        if (s->spawn_speed > 1) s->spawn_speed--;
        s->ramp_index++;
    }
    return r;
}

static void sq_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    mg_seaquest *g = env->impl;
    sq_state *s = &g->s;
    int a = mg_act(env, &s->rng, &s->last_action, action);
    if (s->spawn_timer == 0) {
        sq_spawn_enemy(s);
        s->spawn_timer = s->spawn_speed;
    }
    if (s->diver_timer == 0) {
        sq_spawn_diver(s);
        s->diver_timer = SQ_DIVER_SPAWN;
    }
    sq_move_player(s, a);
    sq_move_fbullets(s, reward);
    sq_move_divers(s);
    sq_move_enemies(s, 1, reward, terminated);
    sq_move_ebullets(s, terminated);
    sq_move_enemies(s, 0, reward, terminated);
    if (s->spawn_timer > 0) s->spawn_timer--;
    if (s->diver_timer > 0) s->diver_timer--;
    if (s->shot_timer > 0) s->shot_timer--;
    if (s->oxygen <= 0) *terminated = 1;
    if (s->y > 0) {
        s->oxygen--;
        s->surface = 0;
    } else if (!s->surface) {
        if (s->diver_count == 0)
            *terminated = 1;
        else
            *reward += sq_surface(g);
    }
}

/* ---- observation and state check ------------------------------------------------------------ */

static void sq_put_movers(float *obs, int c, const sq_obj *o, int n, int trail)
{
    for (int i = 0; i < n; i++) {
        mg_put(obs, c, o[i].y, o[i].x);
        int back = o[i].x + (o[i].right ? -1 : 1);
        if (trail && mg_in_grid(back)) mg_put(obs, 3, o[i].y, back);
    }
}

static void sq_observe(const clkfac_env *env, float *obs)
{
    const sq_state *s = &((const mg_seaquest *)env->impl)->s;
    memset(obs, 0, 10 * MG_CELLS * sizeof *obs);
    mg_put(obs, 0, s->y, s->x);
    mg_put(obs, 1, s->y, s->x + (s->right ? -1 : 1)); /* in the grid: sq_check */
    int oxygen = s->oxygen > 0 ? s->oxygen : 0;
    for (int x = 0; x < oxygen * MG_SIZE / SQ_OXYGEN; x++) mg_put(obs, 7, MG_SIZE - 1, x);
    for (int x = MG_SIZE - 1 - s->diver_count; x < MG_SIZE - 1; x++) mg_put(obs, 8, MG_SIZE - 1, x);
    sq_put_movers(obs, 2, s->fb, s->n_fb, 0);
    sq_put_movers(obs, 4, s->eb, s->n_eb, 0);
    sq_put_movers(obs, 5, s->fish, s->n_fish, 1);
    sq_put_movers(obs, 6, s->subs, s->n_subs, 1);
    sq_put_movers(obs, 9, s->divers, s->n_divers, 1);
}

/* A list of n (at most cap) movers on the grid in rows min_y-8 with timers in range, then
 * all-zero unused slots. */
static int sq_bad_list(const sq_obj *o, int32_t n, int cap, int32_t min_y, int32_t max_move,
                       int32_t max_shot)
{
    if (n < 0 || n > cap) return 1;
    for (int i = 0; i < cap; i++) {
        const sq_obj *v = &o[i];
        if (i >= n) {
            if (v->x || v->y || v->right || v->move || v->shot) return 1;
        } else if (!mg_in_grid(v->x) || v->y < min_y || v->y > SQ_ROWS ||
                   (v->right != 0 && v->right != 1) || v->move < 0 || v->move > max_move ||
                   v->shot < 0 || v->shot > max_shot) {
            return 1;
        }
    }
    return 0;
}

static const char *sq_check(const void *state)
{
    const sq_state *s = state;
    if (!core_nprand_valid(&s->rng)) return "rng";
    if (!mg_in_grid(s->x) || s->y < 0 || s->y > SQ_ROWS) return "sub position";
    /* The back cell is on the grid: facing right the sub has moved right, and left is where
     * it starts or has moved to. */
    if (s->right != 0 && s->right != 1) return "facing";
    if (s->right ? s->x == 0 : s->x == MG_SIZE - 1) return "facing";
    if (s->oxygen < -1 || s->oxygen > SQ_OXYGEN) return "oxygen";
    /* Each surfacing after a six-diver one takes one more away, at most one every 2 frames. */
    if (s->diver_count < -(int32_t)(MG_SAFETY_STEPS / 2) || s->diver_count > SQ_MAX_DIVERS)
        return "diver_count";
    if (s->surface != 0 && s->surface != 1) return "surface";
    if (s->shot_timer < 0 || s->shot_timer > SQ_SHOT_COOLDOWN) return "shot_timer";
    if (s->spawn_speed < 1 || s->spawn_speed > SQ_ENEMY_SPAWN) return "spawn_speed";
    if (s->spawn_timer < 0 || s->spawn_timer > SQ_ENEMY_SPAWN) return "spawn_timer";
    if (s->diver_timer < 0 || s->diver_timer > SQ_DIVER_SPAWN) return "diver_timer";
    if (s->move_speed < SQ_MIN_MOVE || s->move_speed > SQ_MOVE) return "move_speed";
    if (s->ramp_index < 0 || s->ramp_index > SQ_MAX_RAMPS) return "ramp_index";
    if (sq_bad_list(s->fish, s->n_fish, SQ_CAP_ENEMIES, 1, SQ_MOVE, 0)) return "fish";
    if (sq_bad_list(s->subs, s->n_subs, SQ_CAP_ENEMIES, 1, SQ_MOVE, SQ_ENEMY_SHOT)) return "subs";
    if (sq_bad_list(s->divers, s->n_divers, SQ_CAP_DIVERS, 1, SQ_DIVER_MOVE, 0))
        return "divers";
    if (sq_bad_list(s->fb, s->n_fb, SQ_CAP_FBULLETS, 0, 0, 0)) return "friendly bullets";
    if (sq_bad_list(s->eb, s->n_eb, SQ_CAP_EBULLETS, 1, 0, 0)) return "enemy bullets";
    return NULL;
}

static const int sq_minimal[] = {MG_NOOP, MG_LEFT, MG_UP, MG_RIGHT, MG_DOWN, MG_FIRE};
static const mg_game sq_game = {10,
                                sq_minimal,
                                6,
                                offsetof(mg_seaquest, s),
                                sizeof(sq_state) / 4,
                                sq_check};
_Static_assert(sizeof(sq_state) % 4 == 0, "state is int32 words");

static clkfac_status sq_init(clkfac_env *env)
{
    return mg_init_np(env, &sq_game, offsetof(mg_seaquest, s.rng));
}

static const clkfac_space sq_obs = {CLKFAC_SPACE_BOX, 0, 3, {10, MG_SIZE, MG_SIZE, 0},
                                    10 * MG_CELLS, mg_zeros, mg_ones};

const env_class env_class_minatar_seaquest = {
    .id = "MinAtar/Seaquest-v1",
    .state_version = 2, /* 2: reference rules, the NumPy stream joined the state */
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
