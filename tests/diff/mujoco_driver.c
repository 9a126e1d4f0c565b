/* Test-only driver of the MuJoCo differential check (tests/diff/diff_mujoco.py): applies
 * clkfac's MuJoCo rules (src/envs/mujoco_rules.c) to states the reference recorded, and plays
 * clkfac's tasks with a random policy. One command per input line, one answer line each:
 *   spec T                   nq nv nu n_ext frame_skip timestep obs_size act_limit max_steps
 *   qpos0 T                  the model's initial qpos (needs libmujoco)
 *   obs T q.. v.. e..        the observation
 *   rew T qb.. q.. v.. e.. a..   total forward ctrl healthy dist vel terminated
 *   eval T EPISODES SEED     mean and standard deviation of a uniform random policy's return,
 *                            and the mean length (needs libmujoco)
 * T is the task index of mjr_task; numbers are read with strtod and written with %.17g. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/env.h"
#include "envs/mujoco.h"

static int read_n(char **cur, double *out, int n)
{
    for (int i = 0; i < n; i++) {
        char *end;
        out[i] = strtod(*cur, &end);
        if (end == *cur) return -1;
        *cur = end;
    }
    return 0;
}

static uint64_t next(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int eval(const mjr_spec *s, long episodes, uint64_t seed)
{
    clkfac_env *e = NULL;
    if (clkfac_env_create(&e, s->id, seed) != CLKFAC_OK) {
        printf("error %s\n", clkfac_last_error());
        return 0;
    }
    uint64_t r = seed ^ 0xabcdefULL;
    double sum = 0, sum2 = 0, len = 0;
    float obs[MJR_MAX_OBS], a[MJR_MAX_NU];
    for (long ep = 0; ep < episodes; ep++) {
        clkfac_env_reset(e, obs);
        clkfac_step_result res = {0};
        double ret = 0;
        while (!res.terminated && !res.truncated) {
            for (int i = 0; i < s->nu; i++)
                a[i] = (float)(((double)(next(&r) >> 11) * 0x1.0p-53 * 2.0 - 1.0) * s->act_limit);
            clkfac_env_step(&res, e, a, obs);
            ret += res.reward;
        }
        sum += ret;
        sum2 += ret * ret;
        len += (double)res.steps;
    }
    double mean = sum / (double)episodes;
    printf("%.17g %.17g %.17g\n", mean, sqrt(fmax(0.0, sum2 / (double)episodes - mean * mean)),
           len / (double)episodes);
    clkfac_env_free(e);
    return 0;
}

int main(void)
{
    char line[1 << 16];
    while (fgets(line, sizeof line, stdin)) {
        char cmd[16];
        int t, used = 0;
        if (sscanf(line, "%15s %d%n", cmd, &t, &used) != 2 || t < 0 || t >= MJR_COUNT) {
            printf("error bad line\n");
            fflush(stdout);
            continue;
        }
        const mjr_spec *s = mjr_spec_of((mjr_task)t);
        char *cur = line + used;
        double q[MJR_MAX_NQ], qb[MJR_MAX_NQ], v[MJR_MAX_NV], ext[MJR_MAX_EXT], ad[MJR_MAX_NU];
        if (!strcmp(cmd, "spec")) {
            printf("%d %d %d %d %d %.17g %d %.17g %llu\n", s->nq, s->nv, s->nu, s->n_ext,
                   s->frame_skip, s->timestep, s->obs_size, s->act_limit,
                   (unsigned long long)s->max_steps);
        } else if (!strcmp(cmd, "qpos0")) {
            clkfac_env *e = NULL;
            if (clkfac_env_create(&e, s->id, 0) != CLKFAC_OK) {
                printf("error %s\n", clkfac_last_error());
            } else {
                env_mujoco_get(e, q, NULL, NULL);
                for (int i = 0; i < s->nq; i++) printf("%s%.17g", i ? " " : "", q[i]);
                printf("\n");
                clkfac_env_free(e);
            }
        } else if (!strcmp(cmd, "obs")) {
            if (read_n(&cur, q, s->nq) || read_n(&cur, v, s->nv) || read_n(&cur, ext, s->n_ext)) {
                printf("error short obs line\n");
            } else {
                float o[MJR_MAX_OBS];
                mjr_observe((mjr_task)t, q, v, ext, o);
                for (int i = 0; i < s->obs_size; i++) printf("%s%.9g", i ? " " : "", (double)o[i]);
                printf("\n");
            }
        } else if (!strcmp(cmd, "rew")) {
            if (read_n(&cur, qb, s->nq) || read_n(&cur, q, s->nq) || read_n(&cur, v, s->nv) ||
                read_n(&cur, ext, s->n_ext) || read_n(&cur, ad, s->nu)) {
                printf("error short rew line\n");
            } else {
                float a[MJR_MAX_NU];
                for (int i = 0; i < s->nu; i++) a[i] = (float)ad[i];
                mjr_terms r;
                mjr_reward((mjr_task)t, qb, q, v, ext, a, &r);
                printf("%.17g %.17g %.17g %.17g %.17g %.17g %d\n", r.total, r.forward, r.ctrl,
                       r.healthy, r.dist, r.vel, r.terminated);
            }
        } else if (!strcmp(cmd, "eval")) {
            long episodes = strtol(cur, &cur, 10);
            unsigned long long seed = strtoull(cur, &cur, 10);
            eval(s, episodes > 0 ? episodes : 1, seed);
        } else {
            printf("error unknown command %s\n", cmd);
        }
        fflush(stdout);
    }
    return 0;
}
