/* MinAtar/Breakout-v1: a paddle on the bottom row keeps a diagonally moving ball in play under
 * three rows of bricks; +1 per brick, the episode ends when the ball passes the paddle.
 * Channels: 0 paddle, 1 ball, 2 trail (the ball one frame ago), 3 brick. Frame for frame the
 * reference (minatar 1.0.15, environments/breakout.py) with its NumPy stream; tests/diff/. */
#include "envs/minatar.h"

static void bo_fill_bricks(bo_state *s)
{
    for (int r = 0; r < 3; r++)
        for (int x = 0; x < MG_SIZE; x++) s->bricks[r][x] = 1;
}

static int bo_bricks_left(const bo_state *s)
{
    int n = 0;
    for (int r = 0; r < 3; r++)
        for (int x = 0; x < MG_SIZE; x++) n += s->bricks[r][x];
    return n;
}

/* The brick at grid row y, or NULL outside rows 1-3. */
static int32_t *bo_brick(bo_state *s, int32_t y, int32_t x)
{
    return y >= 1 && y <= 3 ? &s->bricks[y - 1][x] : NULL;
}

static void bo_reset(clkfac_env *env)
{
    bo_state *s = &((mg_breakout *)env->impl)->s;
    /* The action and the NumPy stream carry over from the last episode, as in the reference. */
    int32_t last = s->last_action;
    core_nprand rng = s->rng;
    *s = (bo_state){0};
    s->last_action = last;
    s->rng = rng;
    s->paddle = 4;
    bo_fill_bricks(s);
    int from_right = (int)core_nprand_randint(&s->rng, 0, 2);
    s->ball_x = from_right ? MG_SIZE - 1 : 0;
    s->ball_dx = from_right ? -1 : 1;
    s->ball_y = 3;
    s->ball_dy = 1;
    s->trail_x = s->ball_x;
    s->trail_y = s->ball_y;
}

static void bo_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    bo_state *s = &((mg_breakout *)env->impl)->s;
    int a = mg_act(env, &s->rng, &s->last_action, action);
    /* The ball is on the bottom row only once it has passed the paddle: the episode is over
     * (a restored state can say it is still running) and the ball stays where it is. */
    if (s->ball_y == MG_SIZE - 1) {
        *terminated = 1;
        return;
    }
    if (a == MG_LEFT) s->paddle = mg_clamp(s->paddle - 1, 0, MG_SIZE - 1);
    if (a == MG_RIGHT) s->paddle = mg_clamp(s->paddle + 1, 0, MG_SIZE - 1);

    s->trail_x = s->ball_x;
    s->trail_y = s->ball_y;
    int32_t nx = s->ball_x + s->ball_dx, ny = s->ball_y + s->ball_dy;
    int hit_brick = 0;
    /* Leaving the grid sideways or over the top flips that direction and keeps the ball in the
     * border cell for this frame. */
    if (!mg_in_grid(nx)) {
        nx = mg_clamp(nx, 0, MG_SIZE - 1);
        s->ball_dx = -s->ball_dx;
    }
    int32_t *brick = bo_brick(s, ny, nx);
    if (ny < 0) {
        ny = 0;
        s->ball_dy = -s->ball_dy;
    } else if (brick && *brick) {
        hit_brick = 1;
        /* A break blocks another on the next frame: the ball then passes into the brick
         * untouched, and the block lasts while it keeps meeting bricks. */
        if (!s->strike) {
            *reward += 1.0;
            *brick = 0;
            s->strike = 1;
            ny = s->ball_y;
            s->ball_dy = -s->ball_dy;
        }
    } else if (ny == MG_SIZE - 1) {
        if (bo_bricks_left(s) == 0) bo_fill_bricks(s);
        if (s->paddle == s->ball_x) {
            /* Paddle under the ball's old column: only the vertical direction turns. */
            s->ball_dy = -s->ball_dy;
            ny = s->ball_y;
        } else if (s->paddle == nx) {
            /* Paddle under the new column: the ball goes back the way it came. */
            s->ball_dx = -s->ball_dx;
            s->ball_dy = -s->ball_dy;
            ny = s->ball_y;
        } else {
            *terminated = 1;
        }
    }
    if (!hit_brick) s->strike = 0;
    s->ball_x = nx;
    s->ball_y = ny;
}

static void bo_observe(const clkfac_env *env, float *obs)
{
    const bo_state *s = &((const mg_breakout *)env->impl)->s;
    memset(obs, 0, 4 * MG_CELLS * sizeof *obs);
    mg_put(obs, 0, MG_SIZE - 1, s->paddle);
    mg_put(obs, 1, s->ball_y, s->ball_x);
    mg_put(obs, 2, s->trail_y, s->trail_x);
    for (int r = 0; r < 3; r++)
        for (int x = 0; x < MG_SIZE; x++)
            if (s->bricks[r][x]) mg_put(obs, 3, r + 1, x);
}

static const char *bo_check(const void *state)
{
    const bo_state *s = state;
    if (!mg_in_grid(s->paddle)) return "paddle";
    if (!mg_in_grid(s->ball_x) || !mg_in_grid(s->ball_y)) return "ball position";
    if ((s->ball_dx != 1 && s->ball_dx != -1) || (s->ball_dy != 1 && s->ball_dy != -1))
        return "ball direction";
    if (!mg_in_grid(s->trail_x) || !mg_in_grid(s->trail_y)) return "trail";
    /* Only a ball that passed the paddle is on the bottom row, and it was moving down. */
    if (s->ball_y == MG_SIZE - 1 && s->ball_dy != 1) return "ball direction";
    if (s->strike != 0 && s->strike != 1) return "strike";
    for (int r = 0; r < 3; r++)
        for (int x = 0; x < MG_SIZE; x++)
            if (s->bricks[r][x] != 0 && s->bricks[r][x] != 1) return "bricks";
    if (!core_nprand_valid(&s->rng)) return "rng";
    return NULL;
}

static const int bo_minimal[] = {MG_NOOP, MG_LEFT, MG_RIGHT};
static const mg_game bo_game = {4,
                                bo_minimal,
                                3,
                                offsetof(mg_breakout, s),
                                sizeof(bo_state) / 4,
                                bo_check};
_Static_assert(sizeof(bo_state) % 4 == 0, "state is int32 words");

static clkfac_status bo_init(clkfac_env *env)
{
    return mg_init_np(env, &bo_game, offsetof(mg_breakout, s.rng));
}

static const clkfac_space bo_obs = {CLKFAC_SPACE_BOX, 0, 3, {4, MG_SIZE, MG_SIZE, 0},
                                    4 * MG_CELLS, mg_zeros, mg_ones};

const env_class env_class_minatar_breakout = {
    .id = "MinAtar/Breakout-v1",
    .state_version = 2, /* 2: the NumPy stream joined the state */
    .max_steps = MG_SAFETY_STEPS,
    .obs_space = &bo_obs,
    .act_space = &mg_action_space,
    .impl_size = sizeof(mg_breakout),
    .init = bo_init,
    .reset = bo_reset,
    .step = bo_step,
    .observe = bo_observe,
    .payload_size = sizeof(bo_state),
    .save = mg_save,
    .load = mg_load,
};
