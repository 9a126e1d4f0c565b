/* Test-only driver for the differential test (tests/diff/diff_minatar.py): plays a clkfac pixel
 * game through the public API on commands read from stdin and writes every frame back, so the
 * script can compare it cell by cell with the reference `minatar` package in lockstep (its
 * policies may look at the frames).
 * Usage: minatar_replay ID SEED STICKY RAMPING MINIMAL
 * stdin: 'r' resets; 's' and one byte (the agent's action index) steps; 'b', a uint32 n
 * (little-endian) and n action bytes steps until the episode ends or the actions run out (for
 * policies that do not look at the frames); EOF ends.
 * stdout: one record per frame: 100*C bytes of 0/1 (the observation in the reference's layout,
 * row, column, channel), 1 byte terminated, 8 bytes reward (IEEE double, little-endian); a reset
 * writes terminated 0, reward 0; 'b' writes a uint32 frame count before its records.
 * One environment plays the whole run, so the random stream carries over between episodes, as
 * in the reference. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/clkfac.h"

/* obs is channels-first (C, 10, 10); the record is (10, 10, C) like the reference's state(). */
static void record(unsigned char *rec, const float *obs, size_t cells, int terminated,
                   double reward)
{
    size_t c = cells / 100;
    for (size_t k = 0; k < c; k++)
        for (size_t i = 0; i < 100; i++) rec[i * c + k] = obs[k * 100 + i] != 0.0f;
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
    unsigned char *rec = NULL, *acts = NULL;
    size_t cap = 0; /* records rec holds */
    int rc = obs ? 0 : fail("memory");
    int cmd;
    while (rc == 0 && (cmd = getchar()) != EOF) {
        uint32_t n = 1, frames = 0;
        unsigned char hdr[4];
        if (cmd == 'b') {
            if (fread(hdr, 1, 4, stdin) != 4) break;
            n = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
                (uint32_t)hdr[3] << 24;
        } else if (cmd != 'r' && cmd != 's') {
            fprintf(stderr, "minatar_replay: unknown command byte %d\n", cmd);
            rc = 2;
            break;
        }
        if (n + 1 > cap) {
            cap = n + 1;
            free(rec);
            free(acts);
            rec = malloc(cap * rec_size);
            acts = malloc(cap);
            if (!rec || !acts) {
                rc = fail("memory");
                break;
            }
        }
        if (cmd == 'r') {
            if (clkfac_env_reset(env, obs) != CLKFAC_OK) rc = fail("reset");
            record(rec, obs, cells, 0, 0.0);
            frames = 1;
        } else {
            if (fread(acts, 1, n, stdin) != n) {
                fprintf(stderr, "minatar_replay: input ended inside a command\n");
                rc = 2;
                break;
            }
            for (uint32_t t = 0; t < n && rc == 0; t++) {
                clkfac_step_result r;
                if (clkfac_env_step_discrete(&r, env, acts[t], obs) != CLKFAC_OK) {
                    rc = fail("step");
                    break;
                }
                record(rec + (size_t)frames++ * rec_size, obs, cells, r.terminated, r.reward);
                if (r.terminated || r.truncated) break;
            }
        }
        if (rc) break;
        for (int i = 0; i < 4; i++) hdr[i] = (unsigned char)(frames >> (8 * i));
        if ((cmd == 'b' && fwrite(hdr, 1, 4, stdout) != 4) ||
            fwrite(rec, rec_size, frames, stdout) != frames || fflush(stdout) != 0)
            rc = 1;
    }
    free(acts);
    free(rec);
    free(obs);
    clkfac_env_free(env);
    return rc;
}
