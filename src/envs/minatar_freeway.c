/* MinAtar/Freeway-v1: a chicken in column 4 crosses eight lanes of wrapping cars; +1 per
 * crossing, a hit sends it back to the bottom, and the game ends after 2501 frames.
 * Channels: 0 chicken, 1 car, 2-6 speed1..speed5 (marked on the cell behind each car).
 * Frame for frame the reference (minatar 1.0.15, environments/freeway.py) with its NumPy stream,
 * quirks included (README, "Pixel games"):
 * - a car of speed s moves every s + 1 frames (its timer counts s..0 and it moves at 0);
 * - the chicken waits 3 frames at the start of every episode, and any up/down press while it may
 *   move starts the 3-frame cooldown, also a down-press that the bottom edge blocks;
 * - the time limit of 2500 is checked after the countdown goes below zero: 2501 frames. */
#include "envs/minatar.h"

#define FW_CHICKEN_X 4

/* _randomize_cars: randint(1, 6, 8) then rand(8) for the directions, sign(u - 0.5). u == 0.5
 * exactly (2^-53 per car) gives the reference a car of speed 0, which moves left every frame;
 * it is kept (and drawn without a speed mark, where the reference's drawing fails). Timers start
 * at |speed|; positions are left as they are (0 for a new episode). */
static void fw_randomize_speeds(fw_state *s)
{
    int32_t speed[FW_CARS];
    for (int i = 0; i < FW_CARS; i++) speed[i] = (int32_t)core_nprand_randint(&s->rng, 1, 6);
    for (int i = 0; i < FW_CARS; i++) {
        double u = core_nprand_rand(&s->rng) - 0.5;
        int32_t v = u > 0.0 ? speed[i] : u < 0.0 ? -speed[i] : 0;
        s->car_speed[i] = v;
        s->car_timer[i] = v < 0 ? -v : v;
    }
}

static void fw_reset(clkfac_env *env)
{
    fw_state *s = &((mg_freeway *)env->impl)->s;
    /* The action and the NumPy stream carry over from the last episode, as in the reference. */
    int32_t last = s->last_action;
    core_nprand rng = s->rng;
    *s = (fw_state){0};
    s->last_action = last;
    s->rng = rng;
    fw_randomize_speeds(s); /* every car starts at x = 0 */
    s->chicken_y = MG_SIZE - 1;
    s->cooldown = FW_COOLDOWN;
}

static int fw_car_on_chicken(const fw_state *s, int i)
{
    return s->car_x[i] == FW_CHICKEN_X && s->chicken_y == i + 1;
}

static void fw_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    fw_state *s = &((mg_freeway *)env->impl)->s;
    int a = mg_act(env, &s->rng, &s->last_action, action);
    if (s->cooldown == 0 && (a == MG_UP || a == MG_DOWN)) {
        s->cooldown = FW_COOLDOWN;
        s->chicken_y = mg_clamp(s->chicken_y + (a == MG_UP ? -1 : 1), 0, MG_SIZE - 1);
    }
    if (s->chicken_y == 0) {
        *reward += 1.0;
        fw_randomize_speeds(s);
        s->chicken_y = MG_SIZE - 1;
    }
    for (int i = 0; i < FW_CARS; i++) {
        /* Checked before the car moves (the chicken walked into it) and after (it drove into
         * the chicken). */
        if (fw_car_on_chicken(s, i)) s->chicken_y = MG_SIZE - 1;
        if (s->car_timer[i] > 0) {
            s->car_timer[i]--;
            continue;
        }
        int32_t v = s->car_speed[i];
        s->car_timer[i] = v < 0 ? -v : v;
        s->car_x[i] = (s->car_x[i] + (v > 0 ? 1 : -1) + MG_SIZE) % MG_SIZE;
        if (fw_car_on_chicken(s, i)) s->chicken_y = MG_SIZE - 1;
    }
    if (s->cooldown > 0) s->cooldown--;
    s->frame++;
    if (s->frame > FW_FRAMES) *terminated = 1;
}

static void fw_observe(const clkfac_env *env, float *obs)
{
    const fw_state *s = &((const mg_freeway *)env->impl)->s;
    memset(obs, 0, 7 * MG_CELLS * sizeof *obs);
    mg_put(obs, 0, s->chicken_y, FW_CHICKEN_X);
    for (int i = 0; i < FW_CARS; i++) {
        int32_t v = s->car_speed[i], speed = v < 0 ? -v : v;
        int32_t back = (s->car_x[i] + (v > 0 ? -1 : 1) + MG_SIZE) % MG_SIZE;
        mg_put(obs, 1, i + 1, s->car_x[i]);
        if (speed > 0) mg_put(obs, 1 + speed, i + 1, back);
    }
}

static const char *fw_check(const void *state)
{
    const fw_state *s = state;
    /* Row 0 scores and sends the chicken back to row 9 within the frame. */
    if (s->chicken_y < 1 || s->chicken_y > MG_SIZE - 1) return "chicken_y";
    if (s->cooldown < 0 || s->cooldown > FW_COOLDOWN) return "cooldown";
    if (s->frame < 0 || s->frame > FW_FRAMES + 1) return "frame";
    for (int i = 0; i < FW_CARS; i++) {
        int32_t v = s->car_speed[i];
        if (!mg_in_grid(s->car_x[i])) return "car_x";
        if (v < -5 || v > 5) return "car_speed";
        if (s->car_timer[i] < 0 || s->car_timer[i] > (v < 0 ? -v : v)) return "car_timer";
    }
    if (!core_nprand_valid(&s->rng)) return "rng";
    return NULL;
}

static const int fw_minimal[] = {MG_NOOP, MG_UP, MG_DOWN};
static const mg_game fw_game = {7,
                                fw_minimal,
                                3,
                                offsetof(mg_freeway, s),
                                sizeof(fw_state) / 4,
                                fw_check};
_Static_assert(sizeof(fw_state) % 4 == 0, "state is int32 words");

static clkfac_status fw_init(clkfac_env *env)
{
    return mg_init_np(env, &fw_game, offsetof(mg_freeway, s.rng));
}

static const clkfac_space fw_obs = {CLKFAC_SPACE_BOX, 0, 3, {7, MG_SIZE, MG_SIZE, 0},
                                    7 * MG_CELLS, mg_zeros, mg_ones};

const env_class env_class_minatar_freeway = {
    .id = "MinAtar/Freeway-v1",
    .state_version = 2, /* 2: reference rules, the NumPy stream joined the state */
    .max_steps = MG_SAFETY_STEPS,
    .obs_space = &fw_obs,
    .act_space = &mg_action_space,
    .impl_size = sizeof(mg_freeway),
    .init = fw_init,
    .reset = fw_reset,
    .step = fw_step,
    .observe = fw_observe,
    .payload_size = sizeof(fw_state),
    .save = mg_save,
    .load = mg_load,
};
