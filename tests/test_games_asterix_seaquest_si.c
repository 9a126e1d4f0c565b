/* Asterix, Seaquest and Space Invaders: each rule of the reference's code (minatar 1.0.15,
 * environments/{asterix,seaquest,space_invaders}.py) set up as an exact position and checked
 * over the next frames, including the order of the NumPy draws (checked against a copy of the
 * game's stream) and the reference's quirks. Breakout, Freeway and what all five games share
 * are in test_games.c; tests/diff compares whole episodes with the reference itself. */
/* ctest-labels: unit */
#include <math.h>
#include <string.h>

#include "core/nprand.h"
#include "envs/minatar.h"
#include "games_support.h"
#include "harness.h"

/* ---- Asterix (rules of the reference's asterix.py) ----------------------------------------- */

static void ax_empty(ax_state *s) { memset(s->ent, 0, sizeof s->ent); }

/* What the reference draws for a spawn with `free` rows open, after the frame's sticky draw:
 * the side, the kind, then the slot. */
typedef struct ax_draw {
    int right, gold, slot;
} ax_draw;

static ax_draw ax_next_spawn(const ax_state *s, int free)
{
    core_nprand r = s->rng;
    ax_draw d;
    (void)core_nprand_rand(&r); /* sticky actions */
    d.right = core_nprand_rand(&r) < 0.5;
    d.gold = core_nprand_rand(&r) < 1.0 / 3.0;
    d.slot = free > 0 ? (int)core_nprand_randint(&r, 0, free) : -1;
    return d;
}

static void test_asterix_spawn(void **state)
{
    (void)state;
    clkfac_env *e = exact("Asterix", 0);
    ax_state *s = AX(e);
    assert_true(s->x == 5 && s->y == 5 && s->spawn_speed == AX_SPAWN &&
                s->spawn_timer == AX_SPAWN && s->move_speed == AX_MOVE &&
                s->move_timer == AX_MOVE && s->ramp_timer == AX_RAMP);
    /* The timers reload when they read 0: the first entity appears on frame 11. */
    for (int t = 1; t <= 11; t++) {
        step(e, MG_NOOP);
        int n = 0;
        for (int i = 0; i < AX_ROWS; i++) n += s->ent[i].kind != AX_NONE;
        assert_int_equal(n, t == 11);
    }
    assert_int_equal(s->spawn_timer, AX_SPAWN - 1);
    /* Each spawn draws side, kind and slot in that order; the entity takes the slot-th free
     * row, on its edge cell. */
    int gold = 0, right = 0, rows[AX_ROWS] = {0};
    for (int k = 0; k < 2000; k++) {
        ax_empty(s);
        s->ent[2] = (ax_entity){AX_ENEMY, 4, 1}; /* row 3 taken */
        s->x = 5;
        s->y = 3;
        s->spawn_timer = 0;
        s->move_timer = 3;
        ax_draw d = ax_next_spawn(s, AX_ROWS - 1);
        step(e, MG_NOOP);
        int row = d.slot < 2 ? d.slot : d.slot + 1;
        const ax_entity *en = &s->ent[row];
        assert_int_equal(en->kind, d.gold ? AX_GOLD : AX_ENEMY);
        assert_int_equal(en->x, d.right ? 0 : 9);
        assert_int_equal(en->dx, d.right ? 1 : -1);
        assert_true(cell(obs_buf, d.gold ? 3 : 1, row + 1, en->x) == 1.0f);
        assert_int_equal(s->spawn_timer, AX_SPAWN - 1);
        gold += d.gold;
        right += d.right;
        rows[row]++;
    }
    print_message("Asterix spawns: gold %.3f (1/3), from the left %.3f (1/2)\n", gold / 2000.0,
                  right / 2000.0);
    assert_true(fabs(gold / 2000.0 - 1.0 / 3.0) < 0.04 && fabs(right / 2000.0 - 0.5) < 0.04);
    for (int i = 0; i < AX_ROWS; i++) assert_true(i == 2 ? rows[i] == 0 : rows[i] > 200);
    /* No free row: nothing spawns, but side and kind are still drawn (and no slot). */
    for (int i = 0; i < AX_ROWS; i++) s->ent[i] = (ax_entity){AX_ENEMY, 0, 1};
    s->x = 9;
    s->y = 8;
    s->spawn_timer = 0;
    s->move_timer = 3;
    core_nprand want = s->rng;
    for (int k = 0; k < 3; k++) (void)core_nprand_rand(&want);
    step(e, MG_NOOP);
    assert_memory_equal(&s->rng, &want, sizeof want);
    for (int i = 0; i < AX_ROWS; i++) assert_int_equal(s->ent[i].x, 0);
    clkfac_env_free(e);
}

static void test_asterix_move_timing_and_edges(void **state)
{
    (void)state;
    clkfac_env *e = exact("Asterix", 0);
    ax_state *s = AX(e);
    /* Every row taken, so spawns change nothing; the move timer of a reset (5) moves them on
     * frame 6, then every 5 frames. */
    for (int i = 0; i < AX_ROWS; i++) s->ent[i] = (ax_entity){AX_ENEMY, i == 6 ? 2 : 4, 1};
    s->ent[1] = (ax_entity){AX_ENEMY, 3, 1};  /* row 2 */
    s->ent[6] = (ax_entity){AX_GOLD, 1, -1};  /* row 7 */
    s->x = 9;
    s->y = 1;
    s->ent[0] = (ax_entity){AX_ENEMY, 0, 1};
    for (int t = 1; t <= 16; t++) {
        step(e, MG_NOOP);
        int moves = t >= 16 ? 3 : t >= 11 ? 2 : t >= 6 ? 1 : 0;
        assert_int_equal(s->ent[1].x, 3 + moves);
        assert_int_equal(s->ent[6].kind, moves < 2 ? AX_GOLD : AX_NONE);
        if (moves < 2) assert_int_equal(s->ent[6].x, 1 - moves);
        if (t == 6) {
            /* The trail channel marks the cell the entity came from. */
            assert_true(cell(obs_buf, 2, 2, 3) == 1.0f && cell(obs_buf, 1, 2, 4) == 1.0f);
            assert_true(cell(obs_buf, 3, 7, 0) == 1.0f && cell(obs_buf, 2, 7, 1) == 1.0f);
        }
    }
    /* A spawn on a frame the others move: it moves at once, one cell off its edge, so it is
     * first seen on x = 1 or 8 with the edge cell as its trail. */
    ax_empty(s);
    s->x = 5;
    s->y = 5;
    s->spawn_timer = 0;
    s->move_timer = 0;
    ax_draw d = ax_next_spawn(s, AX_ROWS);
    step(e, MG_NOOP);
    const ax_entity *en = &s->ent[d.slot];
    assert_int_equal(en->x, d.right ? 1 : 8);
    assert_true(cell(obs_buf, 2, d.slot + 1, d.right ? 0 : 9) == 1.0f);
    assert_int_equal(s->move_timer, AX_MOVE - 1);
    clkfac_env_free(e);
}

static void test_asterix_collisions(void **state)
{
    (void)state;
    clkfac_env *e = exact("Asterix", 0);
    ax_state *s = AX(e);
    /* Gold moving onto the player: +1 and gone. */
    ax_empty(s);
    s->x = 5;
    s->y = 5;
    s->ent[4] = (ax_entity){AX_GOLD, 6, -1};
    s->move_timer = 0;
    s->spawn_timer = AX_SPAWN;
    clkfac_step_result r = step(e, MG_NOOP);
    assert_true(r.reward == 1.0 && !r.terminated && s->ent[4].kind == AX_NONE);
    /* The player stepping onto gold that would move away this frame still collects it. */
    s->x = 4;
    s->ent[4] = (ax_entity){AX_GOLD, 5, 1};
    s->move_timer = 0;
    r = step(e, MG_RIGHT);
    assert_true(r.reward == 1.0 && s->ent[4].kind == AX_NONE);
    /* Enemy, after moving. */
    s->x = 5;
    s->ent[4] = (ax_entity){AX_ENEMY, 6, -1};
    s->move_timer = 0;
    r = step(e, MG_NOOP);
    assert_true(r.terminated && r.reward == 0.0);
    TH_OK(clkfac_env_reset(e, obs_buf));
    /* Enemy, before moving: the player steps onto it as it is about to leave. */
    ax_empty(s);
    s->x = 4;
    s->y = 5;
    s->ent[4] = (ax_entity){AX_ENEMY, 5, 1};
    s->move_timer = 0;
    r = step(e, MG_RIGHT);
    assert_true(r.terminated && s->ent[4].x == 6);
    /* Right after a spawn: a newcomer on the player's cell is touched in the same frame. */
    for (int k = 0, seen[2] = {0, 0}; k < 200 && !(seen[0] && seen[1]); k++) {
        TH_OK(clkfac_env_reset(e, obs_buf));
        for (int i = 1; i < AX_ROWS; i++) s->ent[i] = (ax_entity){AX_ENEMY, 4, 1};
        s->ent[0] = (ax_entity){0};
        s->spawn_timer = 0;
        s->move_timer = 3;
        ax_draw d = ax_next_spawn(s, 1);
        s->x = d.right ? 0 : 9;
        s->y = 1;
        r = step(e, MG_NOOP);
        if (d.gold)
            assert_true(r.reward == 1.0 && !r.terminated && s->ent[0].kind == AX_NONE);
        else
            assert_true(r.reward == 0.0 && r.terminated && s->ent[0].kind == AX_ENEMY);
        seen[d.gold]++;
    }
    TH_OK(clkfac_env_reset(e, obs_buf));
    /* The player can only move within x 0-9, y 1-8. */
    ax_empty(s);
    s->x = 0;
    s->y = 1;
    step(e, MG_LEFT);
    step(e, MG_UP);
    assert_true(s->x == 0 && s->y == 1);
    s->x = 9;
    s->y = 8;
    step(e, MG_RIGHT);
    step(e, MG_DOWN);
    assert_true(s->x == 9 && s->y == 8);
    clkfac_env_free(e);
}

static void test_asterix_ramping(void **state)
{
    (void)state;
    clkfac_env *e = exact("Asterix", 1);
    ax_state *s = AX(e);
    /* The ramp timer counts 100 down to -1 and ramps on the frame after: frame 102. */
    for (int t = 1; t <= 102; t++) {
        ax_empty(s);
        s->spawn_timer = 5;
        step(e, MG_NOOP);
        if (t < 102) assert_true(s->ramp_timer == AX_RAMP - t && s->spawn_speed == AX_SPAWN);
    }
    assert_true(s->ramp_timer == AX_RAMP && s->spawn_speed == AX_SPAWN - 1 &&
                s->move_speed == AX_MOVE && s->ramp_index == 1);
    /* Spawning speeds up every time, movement on odd ramps, both down to 1; then the ramps
     * (and the ramp timer) stop. */
    const int want_spawn[9] = {8, 7, 6, 5, 4, 3, 2, 1, 1},
              want_move[9] = {4, 4, 3, 3, 2, 2, 1, 1, 1};
    for (int k = 0; k < 9; k++) {
        ax_empty(s);
        s->ramp_timer = -1;
        step(e, MG_NOOP);
        assert_int_equal(s->spawn_speed, want_spawn[k]);
        assert_int_equal(s->move_speed, want_move[k]);
        assert_int_equal(s->ramp_index, k < 8 ? k + 2 : 9);
        assert_int_equal(s->ramp_timer, k < 8 ? AX_RAMP : -1);
    }
    clkfac_env_free(e);
    /* Ramping off: the speeds stay and the timer does not run. */
    clkfac_env *f = exact("Asterix", 0);
    s = AX(f);
    for (int k = 0; k < 3; k++) {
        ax_empty(s);
        s->ramp_timer = -1;
        step(f, MG_NOOP);
    }
    assert_true(s->spawn_speed == AX_SPAWN && s->move_speed == AX_MOVE && s->ramp_timer == -1);
    clkfac_env_free(f);
}

/* ---- Seaquest (rules of the reference's seaquest.py) --------------------------------------- */

/* Nothing on the board, the sub at (x, y) facing right. */
static void sq_empty(sq_state *s, int x, int y)
{
    memset(s->fish, 0, sizeof s->fish);
    memset(s->subs, 0, sizeof s->subs);
    memset(s->divers, 0, sizeof s->divers);
    memset(s->fb, 0, sizeof s->fb);
    memset(s->eb, 0, sizeof s->eb);
    s->n_fish = s->n_subs = s->n_divers = s->n_fb = s->n_eb = 0;
    s->x = x;
    s->y = y;
    s->right = 1;
    s->surface = y == 0;
    s->spawn_timer = SQ_ENEMY_SPAWN;
    s->diver_timer = SQ_DIVER_SPAWN;
}

static sq_obj sq_mover(int x, int y, int right, int move, int shot)
{
    return (sq_obj){x, y, right, move, shot};
}

static void test_seaquest_start_and_spawns(void **state)
{
    (void)state;
    clkfac_env *e = exact("Seaquest", 1);
    sq_state *s = SQ(e);
    TH_OK(clkfac_env_reset(e, obs_buf));
    assert_true(s->x == 5 && s->y == 0 && s->oxygen == 200 && s->diver_count == 0);
    /* It starts facing left: the back is to the right of the front. */
    assert_true(s->right == 0 && cell(obs_buf, 0, 0, 5) == 1.0f && cell(obs_buf, 1, 0, 6) == 1.0f);
    assert_int_equal(channel_count(obs_buf, 7), 10); /* full oxygen gauge on row 9 */
    assert_int_equal(channel_count(obs_buf, 8), 0);
    /* At the surface nothing touches the sub: the first enemy comes on frame 21, the first
     * diver on frame 31, and the oxygen stays full. */
    for (int t = 1; t <= 31; t++) {
        clkfac_step_result r = step(e, MG_NOOP);
        assert_false(r.terminated);
        if (t <= 20) assert_int_equal(s->n_fish + s->n_subs, 0);
        if (t == 21) assert_int_equal(s->n_fish + s->n_subs, 1);
        assert_int_equal(s->n_divers, t == 31);
        assert_int_equal(s->oxygen, 200);
    }
    /* Each frame draws the sticky rand, then an enemy spawn draws side, kind and a row 1-8
     * (randint(1, 9)), then a diver spawn side and row. Several may share a row. */
    int subs = 0, spawned = 0, rows[SQ_ROWS + 1] = {0};
    for (int k = 0; k < 2000; k++) {
        sq_empty(s, 5, 0);
        s->fish[0] = sq_mover(5, 4, 0, 3, 0); /* row 4 busy, heading left */
        s->n_fish = 1;
        s->spawn_timer = s->diver_timer = 0;
        core_nprand r = s->rng;
        (void)core_nprand_rand(&r);
        int right = core_nprand_rand(&r) < 0.5, sub = core_nprand_rand(&r) < 1.0 / 3.0;
        int y = (int)core_nprand_randint(&r, 1, 9);
        int dright = core_nprand_rand(&r) < 0.5, dy = (int)core_nprand_randint(&r, 1, 9);
        step(e, MG_NOOP);
        assert_memory_equal(&s->rng, &r, sizeof r);
        /* An enemy heading the other way on the row blocks the spawn, one the same way not. */
        int blocked = y == 4 && right;
        assert_int_equal(s->n_subs, !blocked && sub);
        assert_int_equal(s->n_fish, 1 + (!blocked && !sub));
        if (!blocked) {
            const sq_obj *en = sub ? &s->subs[0] : &s->fish[1];
            /* On its edge cell: its move timer (move_speed) only counted down. */
            assert_true(en->y == y && en->right == right && en->x == (right ? 0 : 9));
            assert_int_equal(en->move, s->move_speed - 1);
            assert_int_equal(en->shot, sub ? SQ_ENEMY_SHOT - 1 : 0);
            subs += sub;
            spawned++;
            rows[y]++;
        }
        assert_int_equal(s->n_divers, 1);
        assert_true(s->divers[0].y == dy && s->divers[0].x == (dright ? 0 : 9) &&
                    s->divers[0].move == SQ_DIVER_MOVE - 1);
        assert_int_equal(s->spawn_timer, SQ_ENEMY_SPAWN - 1);
        assert_int_equal(s->diver_timer, SQ_DIVER_SPAWN - 1);
    }
    for (int y = 1; y <= SQ_ROWS; y++) assert_true(rows[y] > 120);
    assert_true(fabs((double)subs / spawned - 1.0 / 3.0) < 0.05);
    clkfac_env_free(e);
}

static void test_seaquest_periods(void **state)
{
    (void)state;
    clkfac_env *e = exact("Seaquest", 0);
    sq_state *s = SQ(e);
    /* A fish, a sub and a diver with full timers on rows away from the sub: they move on
     * frames 6, 12, 18 (every move_speed + 1 = 6), the sub fires on frames 11 and 22 (every
     * 11), its bullet moving a cell a frame from the frame it is fired. */
    sq_empty(s, 5, 8);
    s->fish[0] = sq_mover(0, 2, 1, SQ_MOVE, 0);
    s->subs[0] = sq_mover(9, 4, 0, SQ_MOVE, SQ_ENEMY_SHOT);
    s->divers[0] = sq_mover(0, 6, 1, SQ_DIVER_MOVE, 0);
    s->n_fish = s->n_subs = s->n_divers = 1;
    s->spawn_timer = s->diver_timer = 25;
    for (int t = 1; t <= 22; t++) {
        step(e, MG_NOOP);
        int moves = t >= 18 ? 3 : t >= 12 ? 2 : t >= 6 ? 1 : 0;
        assert_int_equal(s->fish[0].x, moves);
        assert_int_equal(s->subs[0].x, 9 - moves);
        assert_int_equal(s->divers[0].x, moves);
        /* The first bullet leaves the grid on frame 19. */
        assert_int_equal(s->n_eb, (t >= 11 && t <= 18) || t == 22);
        if (t == 11) assert_true(s->eb[0].x == 7 && s->eb[0].y == 4 && s->eb[0].right == 0);
    }
    /* Holding fire: the player shoots on frames 1 and 6 (cooldown 5), from its own cell in
     * the direction it faces, the bullet moving at once. */
    sq_empty(s, 2, 4);
    s->shot_timer = 0;
    for (int t = 1; t <= 7; t++) {
        step(e, MG_FIRE);
        assert_int_equal(s->n_fb, t >= 6 ? 2 : 1);
        if (t == 1) assert_true(s->fb[0].x == 3 && s->fb[0].y == 4 && s->fb[0].right == 1);
        if (t == 5) assert_int_equal(s->fb[0].x, 7);
    }
    clkfac_env_free(e);
}

static void test_seaquest_oxygen(void **state)
{
    (void)state;
    clkfac_env *e = exact("Seaquest", 1);
    sq_state *s = SQ(e);
    sq_empty(s, 5, 3);
    s->oxygen = 100;
    step(e, MG_NOOP);
    assert_int_equal(s->oxygen, 99);
    assert_int_equal(channel_count(obs_buf, 7), 4); /* 99 * 10 / 200 cells */
    s->oxygen = 101;
    step(e, MG_NOOP);
    assert_int_equal(channel_count(obs_buf, 7), 5);
    /* Reaching 0 ends the episode on the next frame (the check comes before the decrement),
     * even if that frame surfaces with divers. */
    s->oxygen = 1;
    clkfac_step_result r = step(e, MG_NOOP);
    assert_true(!r.terminated && s->oxygen == 0);
    assert_int_equal(channel_count(obs_buf, 7), 0);
    r = step(e, MG_NOOP);
    assert_true(r.terminated && s->oxygen == -1);
    TH_OK(clkfac_env_reset(e, obs_buf));
    sq_empty(s, 5, 1);
    s->oxygen = 0;
    s->diver_count = 2;
    r = step(e, MG_UP);
    assert_true(r.terminated && s->oxygen == 200 && s->diver_count == 1);
    clkfac_env_free(e);
}

static void test_seaquest_surfacing(void **state)
{
    (void)state;
    clkfac_env *e = exact("Seaquest", 1);
    sq_state *s = SQ(e);
    /* With some divers: one is spent, the oxygen refills, and the difficulty ramps. */
    sq_empty(s, 5, 1);
    s->diver_count = 3;
    s->oxygen = 40;
    clkfac_step_result r = step(e, MG_UP);
    assert_true(!r.terminated && r.reward == 0.0);
    assert_true(s->y == 0 && s->diver_count == 2 && s->oxygen == 200 && s->surface == 1);
    assert_true(s->spawn_speed == SQ_ENEMY_SPAWN - 1 && s->move_speed == SQ_MOVE &&
                s->ramp_index == 1);
    /* The diver gauge lights columns 9 - divers to 8. */
    assert_true(channel_count(obs_buf, 8) == 2 && cell(obs_buf, 8, 9, 7) == 1.0f &&
                cell(obs_buf, 8, 9, 8) == 1.0f);
    /* Staying up is not another surfacing. */
    step(e, MG_NOOP);
    assert_true(s->diver_count == 2 && s->ramp_index == 1);
    /* Six divers: oxygen * 10 / 200 points, and the count ends at -1 (0, then one off). */
    sq_empty(s, 5, 1);
    s->diver_count = 6;
    s->oxygen = 150;
    r = step(e, MG_UP);
    assert_true(!r.terminated && r.reward == 7.0);
    assert_true(s->diver_count == -1 && s->oxygen == 200 && s->ramp_index == 2);
    assert_int_equal(s->move_speed, SQ_MOVE - 1); /* odd ramp */
    assert_int_equal(channel_count(obs_buf, 8), 0);
    /* A negative count surfaces freely, one lower each time. */
    for (int k = 2; k <= 4; k++) {
        sq_empty(s, 5, 1);
        r = step(e, MG_UP);
        assert_true(!r.terminated && s->diver_count == -k);
    }
    /* The ramps: spawning a frame sooner down to 1, moving on odd ramps down to 2. */
    while (s->ramp_index < SQ_MAX_RAMPS) {
        sq_empty(s, 5, 1);
        step(e, MG_UP);
    }
    assert_true(s->spawn_speed == 1 && s->move_speed == SQ_MIN_MOVE);
    sq_empty(s, 5, 1);
    step(e, MG_UP);
    assert_int_equal(s->ramp_index, SQ_MAX_RAMPS);
    /* With no diver: the episode ends. */
    sq_empty(s, 5, 1);
    s->diver_count = 0;
    r = step(e, MG_UP);
    assert_true(r.terminated && r.reward == 0.0);
    clkfac_env_free(e);
    /* Ramping off: six divers pay but change nothing else. */
    clkfac_env *f = exact("Seaquest", 0);
    s = SQ(f);
    sq_empty(s, 5, 1);
    s->diver_count = 6;
    s->oxygen = 200;
    r = step(f, MG_UP);
    assert_true(r.reward == 10.0 && s->spawn_speed == SQ_ENEMY_SPAWN && s->ramp_index == 0);
    clkfac_env_free(f);
}

static void test_seaquest_divers(void **state)
{
    (void)state;
    clkfac_env *e = exact("Seaquest", 1);
    sq_state *s = SQ(e);
    sq_empty(s, 5, 4);
    s->divers[0] = sq_mover(6, 4, 0, 0, 0); /* moves onto the sub */
    s->n_divers = 1;
    step(e, MG_NOOP);
    assert_true(s->diver_count == 1 && s->n_divers == 0);
    assert_true(cell(obs_buf, 8, 9, 8) == 1.0f);
    /* The sub driving onto a diver picks it up before it moves. */
    s->divers[0] = sq_mover(6, 4, 1, 0, 0);
    s->n_divers = 1;
    step(e, MG_RIGHT);
    assert_true(s->diver_count == 2 && s->n_divers == 0);
    /* A full sub leaves the diver swimming. */
    s->diver_count = 6;
    s->divers[0] = sq_mover(7, 4, 0, 0, 0);
    s->n_divers = 1;
    step(e, MG_NOOP);
    assert_true(s->diver_count == 6 && s->n_divers == 1 && s->divers[0].x == 6);
    assert_true(cell(obs_buf, 9, 4, 6) == 1.0f && cell(obs_buf, 3, 4, 7) == 1.0f);
    assert_int_equal(channel_count(obs_buf, 8), 6); /* columns 3-8 */
    assert_true(cell(obs_buf, 8, 9, 3) == 1.0f && cell(obs_buf, 8, 9, 9) == 0.0f);
    clkfac_env_free(e);
}

static void test_seaquest_bullets_and_enemies(void **state)
{
    (void)state;
    clkfac_env *e = exact("Seaquest", 1);
    sq_state *s = SQ(e);
    /* A bullet moving into a cell with a fish and a sub: the fish goes, +1. */
    sq_empty(s, 2, 4);
    s->fb[0] = sq_mover(6, 4, 1, 0, 0);
    s->fish[0] = sq_mover(7, 4, 0, 3, 0);
    s->subs[0] = sq_mover(7, 4, 0, 3, 4);
    s->n_fb = s->n_fish = s->n_subs = 1;
    clkfac_step_result r = step(e, MG_NOOP);
    assert_true(r.reward == 1.0 && s->n_fb == 0 && s->n_fish == 0 && s->n_subs == 1);
    /* An enemy sub moving into a bullet: +1, both gone; shot on that frame, it still fires
     * from where it died. */
    sq_empty(s, 2, 4);
    s->fb[0] = sq_mover(6, 6, 0, 0, 0);
    s->subs[0] = sq_mover(4, 6, 1, 0, 0);
    s->n_fb = s->n_subs = 1;
    r = step(e, MG_NOOP);
    assert_true(r.reward == 1.0 && s->n_fb == 0 && s->n_subs == 0);
    assert_true(s->n_eb == 1 && s->eb[0].x == 6 && s->eb[0].y == 6 && s->eb[0].right == 1);
    /* A bullet and an enemy crossing: the bullet moves first, into the enemy's cell. */
    sq_empty(s, 2, 4);
    s->fb[0] = sq_mover(5, 3, 1, 0, 0);
    s->fish[0] = sq_mover(6, 3, 0, 0, 0);
    s->n_fb = s->n_fish = 1;
    r = step(e, MG_NOOP);
    assert_true(r.reward == 1.0 && s->n_fb == 0 && s->n_fish == 0);
    /* Touching an enemy bullet, a fish or an enemy sub ends the episode, before or after
     * it moves. */
    const sq_obj touch[3] = {{6, 4, 0, 0, 0}, {5, 4, 1, 3, 0}, {4, 4, 1, 0, 0}};
    for (int k = 0; k < 9; k++) {
        TH_OK(clkfac_env_reset(e, obs_buf));
        sq_empty(s, 5, 4);
        sq_obj o = touch[k / 3];
        if (k % 3 == 0) {
            s->fish[0] = o;
            s->n_fish = 1;
        } else if (k % 3 == 1) {
            o.shot = 5;
            s->subs[0] = o;
            s->n_subs = 1;
        } else {
            o.move = 0;
            s->eb[0] = o;
            s->n_eb = 1;
        }
        r = step(e, MG_NOOP);
        if (!r.terminated) fail_msg("case %d did not end the episode", k);
    }
    /* The sub driving into a slow fish ends it too. */
    TH_OK(clkfac_env_reset(e, obs_buf));
    sq_empty(s, 5, 4);
    s->fish[0] = sq_mover(6, 4, 0, 5, 0);
    s->n_fish = 1;
    r = step(e, MG_RIGHT);
    assert_true(r.terminated);
    clkfac_env_free(e);
}

/* ---- Space Invaders (rules of the reference's space_invaders.py) --------------------------- */

static int si_aliens(const si_state *s)
{
    int n = 0;
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 10; x++) n += s->alien[y][x];
    return n;
}

static int si_ebullets(const si_state *s)
{
    int n = 0;
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 10; x++) n += s->ebullet[y][x];
    return n;
}

/* Bounding box of the aliens: rows [*y0, *y1], columns [*x0, *x1]. */
static void si_box(const si_state *s, int *y0, int *y1, int *x0, int *x1)
{
    *y0 = *x0 = 10;
    *y1 = *x1 = -1;
    for (int y = 0; y < 10; y++)
        for (int x = 0; x < 10; x++)
            if (s->alien[y][x]) {
                if (y < *y0) *y0 = y;
                if (y > *y1) *y1 = y;
                if (x < *x0) *x0 = x;
                if (x > *x1) *x1 = x;
            }
}

/* Only the given aliens, no bullets, timers far from due. */
static void si_clear(si_state *s)
{
    memset(s->alien, 0, sizeof s->alien);
    memset(s->fbullet, 0, sizeof s->fbullet);
    memset(s->ebullet, 0, sizeof s->ebullet);
    s->move_timer = 5;
    s->alien_shot_timer = 5;
}

static void test_space_invaders_alien_movement(void **state)
{
    (void)state;
    clkfac_env *e = exact("SpaceInvaders", 1);
    si_state *s = SI(e);
    int y0, y1, x0, x1;
    si_box(s, &y0, &y1, &x0, &x1);
    assert_true(si_aliens(s) == 24 && y0 == 0 && y1 == 3 && x0 == 2 && x1 == 7);
    assert_true(s->x == 5 && s->alien_dx == -1 && s->move_timer == 12);
    TH_OK(clkfac_env_observe(e, obs_buf));
    assert_int_equal(channel_count(obs_buf, 2), 24);
    assert_int_equal(channel_count(obs_buf, 3), 0);
    /* The move timer reloads when it reads 0: moves on frames 13, 25, 37, 49: left, left,
     * then at the edge down one row and turn right, then right. */
    for (int t = 1; t <= 49; t++) {
        memset(s->ebullet, 0, sizeof s->ebullet); /* keep the cannon alive */
        clkfac_step_result r = step(e, MG_NOOP);
        assert_false(r.terminated);
        si_box(s, &y0, &y1, &x0, &x1);
        int moves = t >= 49 ? 4 : t >= 37 ? 3 : t >= 25 ? 2 : t >= 13 ? 1 : 0;
        const int want_x0[5] = {2, 1, 0, 0, 1};
        if (x0 != want_x0[moves] || y0 != (moves >= 3))
            fail_msg("frame %d: aliens at row %d col %d, want row %d col %d", t, y0, x0,
                     moves >= 3, want_x0[moves]);
    }
    assert_int_equal(s->alien_dx, 1);
    assert_int_equal(channel_count(obs_buf, 3), 24);
    assert_int_equal(channel_count(obs_buf, 2), 0);
    /* Fewer aliens than the interval: they move every #aliens frames. */
    si_clear(s);
    s->alien[2][4] = s->alien[2][5] = s->alien[3][4] = 1;
    s->move_timer = 0;
    s->alien_dx = 1;
    step(e, MG_NOOP);
    assert_int_equal(s->move_timer, 2);
    assert_int_equal(s->alien[2][6], 1);
    step(e, MG_NOOP);
    step(e, MG_NOOP);
    assert_int_equal(s->alien[2][6], 1);
    step(e, MG_NOOP);
    assert_int_equal(s->alien[2][7], 1);
    clkfac_env_free(e);
}

static void test_space_invaders_bottom_row(void **state)
{
    (void)state;
    clkfac_env *e = exact("SpaceInvaders", 1);
    si_state *s = SI(e);
    /* Dropping at an edge with an alien on row 9 ends the episode; the drop wraps row 9 round
     * to row 0. */
    si_clear(s);
    s->alien[9][0] = s->alien[5][3] = 1;
    s->alien_dx = -1;
    s->move_timer = 0;
    clkfac_step_result r = step(e, MG_NOOP);
    assert_true(r.terminated && s->alien[0][0] == 1 && s->alien[6][3] == 1 && s->alien_dx == 1);
    /* Dropping onto row 9 away from the cannon does not end it; the cannon driving under an
     * alien there does. */
    TH_OK(clkfac_env_reset(e, obs_buf));
    si_clear(s);
    s->alien[8][0] = s->alien[8][3] = 1;
    s->alien_dx = -1;
    s->move_timer = 0;
    r = step(e, MG_NOOP);
    assert_true(!r.terminated && s->alien[9][0] == 1 && s->alien[9][3] == 1);
    r = step(e, MG_LEFT);
    assert_false(r.terminated);
    r = step(e, MG_LEFT);
    assert_true(r.terminated && s->x == 3);
    /* An alien stepping sideways onto the cannon ends it. */
    TH_OK(clkfac_env_reset(e, obs_buf));
    si_clear(s);
    s->alien[9][4] = 1;
    s->alien_dx = 1;
    s->move_timer = 0;
    r = step(e, MG_NOOP);
    assert_true(r.terminated && s->alien[9][5] == 1);
    clkfac_env_free(e);
}

static void test_space_invaders_fire(void **state)
{
    (void)state;
    clkfac_env *e = exact("SpaceInvaders", 1);
    si_state *s = SI(e);
    /* The first shot is on frame 11, from the alien's own cell, falling from the next frame. */
    for (int t = 1; t <= 12; t++) {
        step(e, MG_NOOP);
        assert_int_equal(si_ebullets(s), t >= 11);
        if (t == 11) assert_int_equal(s->ebullet[3][5], 1);
        if (t == 12) assert_int_equal(s->ebullet[4][5], 1);
    }
    assert_int_equal(s->alien_shot_timer, SI_ALIEN_SHOT - 2);
    TH_OK(clkfac_env_reset(e, obs_buf));
    /* The lowest alien of the column nearest the cannon fires. */
    const int cannon[3] = {0, 9, 5}, col[3] = {2, 7, 5};
    for (int k = 0; k < 3; k++) {
        memset(s->ebullet, 0, sizeof s->ebullet);
        s->x = cannon[k];
        s->alien_shot_timer = 0;
        s->move_timer = 5;
        step(e, MG_NOOP);
        assert_int_equal(s->ebullet[3][col[k]], 1);
        assert_int_equal(s->alien_shot_timer, SI_ALIEN_SHOT - 1);
        assert_int_equal(si_ebullets(s), 1);
    }
    /* A tie goes to the left column; a gap in the column does not matter. */
    si_clear(s);
    s->alien[0][3] = s->alien[2][3] = s->alien[5][7] = 1;
    s->x = 5;
    s->alien_shot_timer = 0;
    step(e, MG_NOOP);
    assert_int_equal(s->ebullet[2][3], 1);
    /* A bullet falling onto the cannon ends the episode. */
    si_clear(s);
    s->alien[0][0] = 1;
    s->ebullet[8][5] = 1;
    clkfac_step_result r = step(e, MG_NOOP);
    assert_true(r.terminated);
    /* A bullet already on row 9 rolls off the grid before it is checked: driving into it, or
     * staying next to it, is harmless. */
    TH_OK(clkfac_env_reset(e, obs_buf));
    s->ebullet[9][4] = 1;
    r = step(e, MG_LEFT);
    assert_true(!r.terminated && si_ebullets(s) == 0);
    TH_OK(clkfac_env_reset(e, obs_buf));
    s->ebullet[8][4] = 1;
    r = step(e, MG_NOOP);
    assert_true(!r.terminated && s->ebullet[9][4] == 1);
    r = step(e, MG_LEFT);
    assert_false(r.terminated);
    clkfac_env_free(e);
}

static void test_space_invaders_shooting_and_waves(void **state)
{
    (void)state;
    clkfac_env *e = exact("SpaceInvaders", 1);
    si_state *s = SI(e);
    /* Holding fire: a shot on frames 1, 6 and 11, seen one row up on its frame. */
    for (int t = 1; t <= 11; t++) {
        memset(s->ebullet, 0, sizeof s->ebullet);
        memset(s->fbullet, 0, sizeof s->fbullet);
        s->x = 0;
        step(e, MG_FIRE);
        assert_int_equal(s->fbullet[8][0], t == 1 || t == 6 || t == 11);
    }
    /* A bullet reaching an alien: +1 for it, both gone. */
    si_clear(s);
    s->alien[6][5] = s->alien[6][6] = 1;
    s->fbullet[7][5] = 1;
    clkfac_step_result r = step(e, MG_NOOP);
    assert_true(r.reward == 1.0 && s->alien[6][5] == 0 && s->fbullet[6][5] == 0);
    /* Kills are resolved once, after the aliens move: a bullet and an alien dropping onto
     * its row swap places and miss. */
    si_clear(s);
    s->alien[5][5] = s->alien[5][0] = 1;
    s->fbullet[6][5] = 1;
    s->alien_dx = -1;
    s->move_timer = 0;
    r = step(e, MG_NOOP);
    assert_true(r.reward == 0.0 && s->alien[6][5] == 1 && s->fbullet[5][5] == 1);
    /* The last alien shot: a new wave in rows 0-3, faster, and everything else kept: the
     * direction, the timers, the bullets in flight and the cannon's cooldown. */
    const int want[8] = {11, 10, 9, 8, 7, 6, 6, 6};
    for (int k = 0; k < 8; k++) {
        si_clear(s);
        s->alien[4][0] = 1;
        s->fbullet[5][0] = 1;
        s->ebullet[2][8] = 1;
        s->alien_dx = 1;
        s->x = 5;
        s->shot_timer = 3;
        r = step(e, MG_NOOP);
        assert_true(r.reward == 1.0 && !r.terminated);
        assert_int_equal(si_aliens(s), 24);
        assert_int_equal(s->interval, want[k]);
        assert_true(s->move_timer == 4 && s->alien_shot_timer == 4 && s->shot_timer == 2);
        assert_true(s->alien_dx == 1 && s->ebullet[3][8] == 1);
    }
    clkfac_env_free(e);
    /* Without ramping every wave has interval 12. */
    clkfac_env *f = exact("SpaceInvaders", 0);
    s = SI(f);
    si_clear(s);
    s->alien[4][0] = 1;
    s->fbullet[5][0] = 1;
    step(f, MG_NOOP);
    assert_true(si_aliens(s) == 24 && s->interval == 12);
    clkfac_env_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asterix_spawn),
        cmocka_unit_test(test_asterix_move_timing_and_edges),
        cmocka_unit_test(test_asterix_collisions),
        cmocka_unit_test(test_asterix_ramping),
        cmocka_unit_test(test_seaquest_start_and_spawns),
        cmocka_unit_test(test_seaquest_periods),
        cmocka_unit_test(test_seaquest_oxygen),
        cmocka_unit_test(test_seaquest_surfacing),
        cmocka_unit_test(test_seaquest_divers),
        cmocka_unit_test(test_seaquest_bullets_and_enemies),
        cmocka_unit_test(test_space_invaders_alien_movement),
        cmocka_unit_test(test_space_invaders_bottom_row),
        cmocka_unit_test(test_space_invaders_fire),
        cmocka_unit_test(test_space_invaders_shooting_and_waves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
