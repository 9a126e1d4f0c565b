/* Test-only driver for the differential test (tests/diff/diff_minatar.py): plays a clkfac pixel
 * game through the public API on commands read from stdin and writes every frame back, so the
 * script can compare it cell by cell with the reference `minatar` package in lockstep (its
 * policies may look at the frames).
 * Usage: minatar_replay ID SEED STICKY RAMPING MINIMAL
 * stdin: 'r' resets; 's' followed by one byte (the agent's action index) steps; EOF ends.
 * stdout, one record per command: C*100 bytes of 0/1 (the observation, channels-first), 1 byte
 * terminated, 8 bytes reward (IEEE double, little-endian); a reset writes terminated 0, reward 0.
 * One environment plays the whole run, so the random stream carries over between episodes, as
 * in the reference. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/clkfac.h"

static void record(unsigned char *rec, const float *obs, size_t cells, int terminated,
                   double reward)
{
    for (size_t i = 0; i < cells; i++) rec[i] = obs[i] != 0.0f;
    rec[cells] = (unsigned char)(terminated != 0);
    uint64_t bits;
    memcpy(&bits, &reward, sizeof bits);
    for (int i = 0; i < 8; i++) rec[cells + 1 + i] = (unsigned char)(bits >> (8 * i));
}

static int fail(const char *what)
{
    fprintf(stderr, "minatar_replay: %s: %s\n", what, clkfac_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: minatar_replay ID SEED STICKY RAMPING MINIMAL\n");
        return 2;
    }
    errno = 0;
    char *end;
    uint64_t seed = strtoull(argv[2], &end, 10);
    if (errno || *end || !*argv[2]) {
        fprintf(stderr, "minatar_replay: seed '%s' is not a 64-bit unsigned integer\n", argv[2]);
        return 2;
    }
    clkfac_env_options o = CLKFAC_ENV_OPTIONS_INIT;
    o.sticky_prob = strtod(argv[3], NULL);
    o.ramping = atoi(argv[4]);
    o.minimal_actions = atoi(argv[5]);
    o.max_steps = UINT64_MAX; /* episodes end by the game's rules or when the script resets */
    clkfac_env *env;
    if (clkfac_env_create_ext(&env, argv[1], seed, &o) != CLKFAC_OK) return fail("create");
    size_t cells = clkfac_env_observation_space(env)->size, rec_size = cells + 9;
    float *obs = malloc(cells * sizeof *obs);
    unsigned char *rec = malloc(rec_size);
    int rc = obs && rec ? 0 : fail("memory");
    int cmd;
    while (rc == 0 && (cmd = getchar()) != EOF) {
        if (cmd == 'r') {
            if (clkfac_env_reset(env, obs) != CLKFAC_OK) rc = fail("reset");
            record(rec, obs, cells, 0, 0.0);
        } else if (cmd == 's') {
            int a = getchar();
            clkfac_step_result r;
            if (a == EOF || clkfac_env_step_discrete(&r, env, a, obs) != CLKFAC_OK) {
                rc = fail("step");
                break;
            }
            record(rec, obs, cells, r.terminated, r.reward);
        } else {
            fprintf(stderr, "minatar_replay: unknown command byte %d\n", cmd);
            rc = 2;
            break;
        }
        if (rc == 0 && (fwrite(rec, 1, rec_size, stdout) != rec_size || fflush(stdout) != 0))
            rc = 1;
    }
    free(rec);
    free(obs);
    clkfac_env_free(env);
    return rc;
}
