/* libFuzzer harness: environment states (clkfac_env_set_state) of every environment. Byte 0
 * picks the environment, byte 1 how the state is built: raw bytes as given (the header checks),
 * or a valid state of that environment whose counters, RNG and payload (everything after the
 * checksum) are overwritten by the input and the checksum recomputed, so the fuzzer reaches the
 * payload decoders. An accepted state is then observed and stepped with the input's actions, as
 * a resumed run would (the Breakout state that wrote past its frame was found this way). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/clkfac.h"
#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t n_ids = 0;
    const char *const *ids = clkfac_env_ids(&n_ids);
    const char *id = ids[data[0] % n_ids];
    const int raw = data[1] & 1, steps = 1 + (data[1] >> 1) % 32;
    data += 2;
    size -= 2;
    clkfac_env *env = NULL;
    if (clkfac_env_create(&env, id, 7) != CLKFAC_OK) abort();
    const clkfac_space *os = clkfac_env_observation_space(env), *as = clkfac_env_action_space(env);
    float *obs = malloc(os->size * sizeof *obs), *act = calloc(as->size + 1, sizeof *act);
    size_t ss = clkfac_env_state_size(env);
    uint8_t *st = malloc(ss + size + 1);
    if (!obs || !act || !st) abort();
    if (clkfac_env_reset(env, obs) != CLKFAC_OK || clkfac_env_get_state(env, st, ss) != CLKFAC_OK)
        abort();
    size_t len = ss;
    if (raw) {
        memcpy(st, data, size);
        len = size;
    } else {
        /* bytes 56..63 are the checksum of [0, 56) and [64, size) */
        size_t m = size < ss - 64 ? size : ss - 64;
        memcpy(st + 64, data, m);
        put_u64(st + 56, core_fnv1a(core_fnv1a(CORE_FNV_INIT, st, 56), st + 64, ss - 64));
    }
    if (clkfac_env_set_state(env, st, len) == CLKFAC_OK) {
        if (clkfac_env_observe(env, obs) != CLKFAC_OK) { /* a loaded state is observable */
            fprintf(stderr, "%s: accepted state not observable: %s\n", id, clkfac_last_error());
            abort();
        }
        for (int t = 0; t < steps; t++) {
            for (size_t j = 0; j < as->size; j++) {
                uint8_t b = size ? data[(t * 7 + (int)j) % size] : 0;
                act[j] = as->kind == CLKFAC_SPACE_DISCRETE ? (float)(b % as->n)
                                                           : (float)((int)b - 128) / 64.0f;
            }
            clkfac_step_result r;
            clkfac_status s = clkfac_env_step(&r, env, act, obs);
            if (s != CLKFAC_OK) break; /* an ended episode, not a crash */
            for (size_t i = 0; i < os->size; i++)
                if (isnan(obs[i])) abort(); /* a loaded state never yields NaN observations */
            if (r.terminated || r.truncated) break;
        }
    }
    free(st);
    free(obs);
    free(act);
    clkfac_env_free(env);
    return 0;
}
