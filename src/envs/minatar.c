/* The half of the pixel games that does not depend on the game: observation bounds, the action
 * space and its minimal subsets, sticky actions, and the state words as little-endian bytes
 * with range checks on restore. */
#include "envs/minatar.h"

#include "core/core.h"

/* 1000 copies of a value, so the bounds of the largest observation can be static. */
#define MG_R10(v) v, v, v, v, v, v, v, v, v, v
#define MG_R100(v) MG_R10(MG_R10(v))
#define MG_R1000(v) MG_R10(MG_R100(v))
_Static_assert(MG_MAX_CHANNELS * MG_CELLS == 1000, "bounds tables are 1000 floats");

const float mg_zeros[MG_MAX_CHANNELS * MG_CELLS] = {0};
const float mg_ones[MG_MAX_CHANNELS * MG_CELLS] = {MG_R1000(1.0f)};

const clkfac_space mg_action_space = {CLKFAC_SPACE_DISCRETE, MG_N_ACTIONS, 0, {0, 0, 0, 0},
                                      1, NULL, NULL};

clkfac_status mg_init(clkfac_env *env, const mg_game *game)
{
    mg_config *cfg = env->impl;
    cfg->game = game;
    cfg->sticky_prob = env->opts.sticky_prob;
    cfg->ramping = env->opts.ramping;
    cfg->minimal = env->opts.minimal_actions;
    if (cfg->minimal) env->act_space.n = game->n_minimal;
    return CLKFAC_OK;
}

static void mg_reseed(clkfac_env *env, uint64_t seed)
{
    const mg_config *cfg = env->impl;
    core_nprand_seed64((core_nprand *)((char *)env->impl + cfg->rng_offset), seed);
}

clkfac_status mg_init_np(clkfac_env *env, const mg_game *game, size_t rng_offset)
{
    mg_config *cfg = env->impl;
    cfg->rng_offset = rng_offset;
    env->reseed = mg_reseed;
    return mg_init(env, game);
}

int mg_act(clkfac_env *env, core_nprand *rng, int32_t *last_action, const float *action)
{
    const mg_config *cfg = env->impl;
    int a = (int)action[0]; /* env.c checked it is an integer in range */
    if (cfg->minimal) a = cfg->game->minimal_actions[a];
    if (core_nprand_rand(rng) < cfg->sticky_prob) a = *last_action;
    *last_action = a;
    return a;
}

void mg_save(const clkfac_env *env, unsigned char *p)
{
    const mg_config *cfg = env->impl;
    const int32_t *w = (const int32_t *)((const char *)env->impl + cfg->game->state_offset);
    for (size_t i = 0; i < cfg->game->state_words; i++) env_put_u32(p + 4 * i, (uint32_t)w[i]);
}

clkfac_status mg_load(const clkfac_env *env, void *impl, const unsigned char *p)
{
    const mg_game *game = ((const mg_config *)env->impl)->game;
    int32_t *w = (int32_t *)((char *)impl + game->state_offset);
    for (size_t i = 0; i < game->state_words; i++) w[i] = (int32_t)env_get_u32(p + 4 * i);
    const char *bad = w[0] < 0 || w[0] >= MG_N_ACTIONS ? "last_action" : game->check(w);
    if (bad)
        return CORE_FAIL(CLKFAC_ERR_FORMAT, "%s: state field %s is out of range", env->cls->id,
                         bad);
    return CLKFAC_OK;
}
