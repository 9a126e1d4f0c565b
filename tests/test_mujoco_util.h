/* What the MuJoCo tests share: skipping with the reason when the tasks are not built in, creating
 * an env that must exist, and uniform random actions within a task's limits. */
#ifndef CLKFAC_TEST_MUJOCO_UTIL_H
#define CLKFAC_TEST_MUJOCO_UTIL_H

#include "envs/mujoco_rules.h"
#include "harness.h"

#define REQUIRE_MUJOCO()                                                                       \
    do {                                                                                       \
        if (clkfac_env_missing()) {                                                            \
            print_message("SKIP %s: %s\n", __func__, clkfac_env_missing());                    \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

static inline clkfac_env *make(const char *id, uint64_t seed)
{
    clkfac_env *e = NULL;
    TH_OK(clkfac_env_create(&e, id, seed));
    return e;
}

static inline void random_action(th_rng *r, const mjr_spec *s, float *a)
{
    for (int i = 0; i < s->nu; i++) a[i] = (float)((2.0 * th_uniform(r) - 1.0) * s->act_limit);
}

#endif
