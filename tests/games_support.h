/* What the pixel-game tests share: games created with given options, a game ready for a
 * position to be written into its state (the XX(e) macros reach each game's state struct), one
 * step into obs_buf, and reads of observation cells. */
#ifndef CLKFAC_TESTS_GAMES_SUPPORT_H
#define CLKFAC_TESTS_GAMES_SUPPORT_H

#include "clkfac/env.h"
#include "envs/minatar.h"
#include "harness.h"

static inline clkfac_env *game(const char *id, uint64_t seed, double sticky, int minimal,
                                 int ramping)
{
    clkfac_env_options o = CLKFAC_ENV_OPTIONS_INIT;
    o.sticky_prob = sticky;
    o.minimal_actions = minimal;
    o.ramping = ramping;
    clkfac_env *e = NULL;
    TH_OK(clkfac_env_create_ext(&e, id, seed, &o));
    return e;
}

/* A game reset with no sticky actions, ready for a position to be written into it. */
static inline clkfac_env *exact(const char *id, int ramping)
{
    clkfac_env *e = game(id, 1, 0.0, 0, ramping);
    float obs[MG_MAX_CHANNELS * MG_CELLS];
    TH_OK(clkfac_env_reset(e, obs));
    return e;
}

#define BO(e) (&((mg_breakout *)(e)->impl)->s)
#define FW(e) (&((mg_freeway *)(e)->impl)->s)
#define AX(e) (&((mg_asterix *)(e)->impl)->s)
#define SQ(e) (&((mg_seaquest *)(e)->impl)->s)
#define SI(e) (&((mg_space_invaders *)(e)->impl)->s)

static float obs_buf[MG_MAX_CHANNELS * MG_CELLS];

static inline clkfac_step_result step(clkfac_env *e, int action)
{
    clkfac_step_result r;
    TH_OK(clkfac_env_step_discrete(&r, e, action, obs_buf));
    return r;
}

static inline float cell(const float *obs, int c, int y, int x)
{
    return obs[c * MG_CELLS + y * 10 + x];
}

static inline int channel_count(const float *obs, int c)
{
    int n = 0;
    for (int i = 0; i < MG_CELLS; i++) n += obs[c * MG_CELLS + i] == 1.0f;
    return n;
}

#endif
