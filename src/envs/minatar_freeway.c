/* MinAtar/Freeway-v1: a chicken in column 4 crosses eight lanes of wrapping cars; +1 per
 * crossing, a hit sends it back to the bottom, and the game ends after 2500 frames.
 * Channels: 0 chicken, 1 car, 2-6 speed1..speed5 (marked on the cell behind each car). */
#include "envs/minatar.h"

#define FW_CHICKEN_X 4

static void fw_randomize_speeds(clkfac_env *env, fw_state *s)
{
    for (int i = 0; i < FW_CARS; i++) {
        int32_t speed = 1 + (int32_t)core_rng_below(&env->rng, 5);
        s->car_speed[i] = core_rng_below(&env->rng, 2) ? speed : -speed;
        s->car_timer[i] = speed;
    }
}

static void fw_reset(clkfac_env *env)
{
    fw_state *s = &((mg_freeway *)env->impl)->s;
    int32_t last = s->last_action;
    *s = (fw_state){0};
    s->last_action = last;
    s->chicken_y = MG_SIZE - 1;
    fw_randomize_speeds(env, s); /* every car starts at x = 0 */
}

static int fw_car_on_chicken(const fw_state *s, int i)
{
    return s->car_x[i] == FW_CHICKEN_X && s->chicken_y == i + 1;
}

static void fw_step(clkfac_env *env, const float *action, double *reward, int *terminated)
{
    fw_state *s = &((mg_freeway *)env->impl)->s;
    int a = mg_take_action(env, &s->last_action, action);
    if (s->cooldown == 0 && (a == MG_UP || a == MG_DOWN)) {
        int32_t y = mg_clamp(s->chicken_y + (a == MG_UP ? -1 : 1), 0, MG_SIZE - 1);
        /* Only a real move starts the cooldown: pushing into the bottom edge costs nothing. */
        if (y != s->chicken_y) s->cooldown = FW_COOLDOWN;
        s->chicken_y = y;
    }
    if (s->chicken_y == 0) {
        *reward += 1.0;
        s->chicken_y = MG_SIZE - 1;
        fw_randomize_speeds(env, s);
    }
    for (int i = 0; i < FW_CARS; i++) {
        /* Checked before the car moves (the chicken walked into it) and after (it drove into
         * the chicken). */
        if (fw_car_on_chicken(s, i)) s->chicken_y = MG_SIZE - 1;
        int32_t speed = s->car_speed[i] < 0 ? -s->car_speed[i] : s->car_speed[i];
        if (mg_tick(&s->car_timer[i], speed)) {
            s->car_x[i] = (s->car_x[i] + (s->car_speed[i] > 0 ? 1 : -1) + MG_SIZE) % MG_SIZE;
            if (fw_car_on_chicken(s, i)) s->chicken_y = MG_SIZE - 1;
        }
    }
    if (s->cooldown > 0) s->cooldown--;
    s->frame++;
    if (s->frame >= FW_FRAMES) *terminated = 1;
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
        mg_put(obs, 1 + speed, i + 1, back);
    }
}

static const char *fw_check(const void *state)
{
    const fw_state *s = state;
    if (!mg_in_grid(s->chicken_y)) return "chicken_y";
    if (s->cooldown < 0 || s->cooldown > FW_COOLDOWN) return "cooldown";
    if (s->frame < 0 || s->frame > FW_FRAMES) return "frame";
    for (int i = 0; i < FW_CARS; i++) {
        int32_t v = s->car_speed[i];
        if (!mg_in_grid(s->car_x[i])) return "car_x";
        if (v == 0 || v < -5 || v > 5) return "car_speed";
        if (s->car_timer[i] < 1 || s->car_timer[i] > (v < 0 ? -v : v)) return "car_timer";
    }
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

static clkfac_status fw_init(clkfac_env *env) { return mg_init(env, &fw_game); }

static const clkfac_space fw_obs = {CLKFAC_SPACE_BOX, 0, 3, {7, MG_SIZE, MG_SIZE, 0},
                                    7 * MG_CELLS, mg_zeros, mg_ones};

const env_class env_class_minatar_freeway = {
    .id = "MinAtar/Freeway-v1",
    .state_version = 1,
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
