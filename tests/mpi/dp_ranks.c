/* Data-parallel A2C and ACKTR (clkfac_agent_set_comm) on N ranks (mpirun; registered for 1, 2
 * and 3):
 *  - one update on N ranks, each with its share of a fixed batch (6 environment copies x 5
 *    steps of CartPole-v1 observations, actions, advantages and returns, written into the
 *    rollout storage), equals the single-process update on the whole batch within float
 *    tolerance (max |difference| <= 1e-4 of the update's size), while the update on one
 *    share alone does not (the check can fail). A2C; and ACKTR with fresh factors (its first
 *    update: factors from this batch, averaged over the ranks, inverted, the gradient
 *    preconditioned and trust-region scaled) with the Euclidean critic, whose Fisher pass has
 *    no sampled value targets, so that the union's data is the same data;
 *  - real training (rollouts, two updates) leaves every rank with the same parameters and the
 *    timestep counting every rank's steps (A2C and ACKTR with the Gauss-Newton critic);
 *  - TRPO, and ACKTR with an adaptive step size, on more than one rank are refused with
 *    UNSUPPORTED.
 * Usage: dp_ranks EXPECTED_SIZE. Failures are counted (every rank makes the same collective
 * calls); exit 1 when any rank failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clkfac/clkfac.h"
#include "rl/agent_internal.h"

static int g_fail, g_rank;

#define CHECK(cond, ...)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            g_fail++;                                                                       \
            fprintf(stderr, "rank %d: %s:%d: check failed: %s: ", g_rank, __FILE__, __LINE__, \
                    #cond);                                                                 \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fprintf(stderr, "\n");                                                          \
        }                                                                                   \
    } while (0)

enum { E = 6, T = 5, OS = 4 };

typedef struct batch {
    float obs[T * E * OS], act[T * E], adv[T * E], ret[T * E];
} batch;

/* A fixed batch, the same on every rank (a small LCG). */
static void make_batch(batch *b)
{
    uint64_t s = 12345;
    for (int i = 0; i < T * E; i++) {
        for (int k = 0; k < OS; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            b->obs[i * OS + k] = (float)((double)(s >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
        }
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        b->act[i] = (float)((s >> 33) & 1);
        b->adv[i] = (float)(((double)((s >> 20) & 1023) / 512.0) - 1.0);
        b->ret[i] = b->adv[i] + 0.5f;
    }
}

static clkfac_agent *make_agent(clkfac_context *ctx, clkfac_vecenv **env, size_t n, clkfac_algo algo)
{
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = algo;
    if (algo == CLKFAC_ALGO_ACKTR) o.critic_euclidean = 1;
    CLKFAC_AGENT_SET(&o, n_steps, T);
    o.seed = 3;
    clkfac_agent *ag = NULL;
    clkfac_status st = clkfac_vecenv_create(env, "CartPole-v1", n, 100, NULL);
    if (!st) st = clkfac_agent_create(&ag, ctx, *env, &o);
    if (st) {
        fprintf(stderr, "rank %d: agent: %s\n", g_rank, clkfac_last_error());
        exit(1); /* the same on every rank: setup, before any collective */
    }
    return ag;
}

/* One A2C update on rows [first, first + n) of every step of the batch (n copies). */
static void update_on(clkfac_agent *ag, const batch *b, size_t first, size_t n)
{
    float obs[T * E * OS], act[T * E], adv[T * E], ret[T * E];
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < n; j++) {
            size_t g = t * E + first + j, l = t * n + j;
            memcpy(obs + l * OS, b->obs + g * OS, OS * sizeof(float));
            act[l] = b->act[g];
            adv[l] = b->adv[g];
            ret[l] = b->ret[g];
        }
    clkfac_context *ctx = ag->ctx;
    clkfac_status st = clkfac_buffer_write(ctx, ag->obs, 0, obs, T * n * OS);
    if (!st) st = clkfac_buffer_write(ctx, ag->actions, 0, act, T * n);
    if (!st) st = clkfac_buffer_write(ctx, ag->adv, 0, adv, T * n);
    if (!st) st = clkfac_buffer_write(ctx, ag->returns, 0, ret, T * n);
    if (!st) st = ag->alg->update(ag, 1e-3f);
    if (!st) st = clkfac_context_finish(ctx);
    CHECK(!st, "update: %s", clkfac_last_error());
}

static float *params(clkfac_agent *ag, size_t *n)
{
    clkfac_agent_read_params(ag, NULL, 0, n);
    float *p = malloc(*n * sizeof *p);
    CHECK(p && !clkfac_agent_read_params(ag, p, *n, n), "%s", clkfac_last_error());
    return p;
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}

/* 1 when every rank holds the same n floats (their min and max over the ranks agree). */
static int same_on_all_ranks(clkfac_comm *c, const float *p, size_t n)
{
    float *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
    memcpy(lo, p, n * sizeof *lo);
    memcpy(hi, p, n * sizeof *hi);
    clkfac_comm_allreduce(c, lo, n, CLKFAC_COMM_FLOAT, CLKFAC_COMM_MIN);
    clkfac_comm_allreduce(c, hi, n, CLKFAC_COMM_FLOAT, CLKFAC_COMM_MAX);
    int same = !memcmp(lo, hi, n * sizeof *lo);
    free(lo);
    free(hi);
    return same;
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    int want = atoi(argv[1]);
    clkfac_comm *c = NULL;
    if (clkfac_comm_create(&c)) {
        fprintf(stderr, "comm: %s\n", clkfac_last_error());
        return 1;
    }
    int rank = clkfac_comm_rank(c), size = clkfac_comm_size(c);
    g_rank = rank;
    CHECK(size == want, "size %d, expected %d", size, want);
    if (E % size) {
        fprintf(stderr, "dp_ranks: %d ranks do not divide %d copies\n", size, E);
        return 1;
    }
    clkfac_context *ctx = NULL;
    clkfac_context_options co = CLKFAC_CONTEXT_OPTIONS_INIT;
    if (clkfac_context_create(&ctx, &co)) {
        fprintf(stderr, "rank %d: no OpenCL device: %s\n", rank, clkfac_last_error());
        return 1;
    }
    batch b;
    make_batch(&b);
    size_t n = E / (size_t)size, np = 0;

    /* the whole batch in one process, the shares on the ranks, one share alone */
    for (int alg = 0; alg < 2; alg++) {
        clkfac_algo algo = alg ? CLKFAC_ALGO_ACKTR : CLKFAC_ALGO_A2C;
        clkfac_vecenv *e_ref, *e_dist, *e_alone;
        clkfac_agent *ref = make_agent(ctx, &e_ref, E, algo);
        clkfac_agent *dist = make_agent(ctx, &e_dist, n, algo);
        clkfac_agent *alone = make_agent(ctx, &e_alone, n, algo);
        CHECK(!clkfac_agent_set_comm(dist, c), "%s", clkfac_last_error());
        CHECK(clkfac_agent_set_comm(dist, c) == CLKFAC_ERR_INVALID_ARG, "set twice accepted");
        float *p0 = params(ref, &np);
        update_on(ref, &b, 0, E);
        update_on(dist, &b, (size_t)rank * n, n);
        update_on(alone, &b, (size_t)rank * n, n);
        float *pr = params(ref, &np), *pd = params(dist, &np), *pa = params(alone, &np);
        double step = max_diff(pr, p0, np), err = max_diff(pd, pr, np), off = max_diff(pa, pr, np);
        if (rank == 0)
            printf("dp_ranks %d %s: update size %.3g, ranks vs one process %.3g, one share alone "
                   "%.3g (%zu parameters)\n", size, clkfac_algo_name(algo), step, err, off, np);
        CHECK(step > 1e-5, "the update changed nothing (%g)", step);
        CHECK(err <= 1e-4 * step, "N ranks differ from one process on the union: %g (update %g)", err,
              step);
        if (size > 1)
            CHECK(off > 1e-2 * step, "one share alone gives the union's update (%g): the test cannot "
                  "tell", off);
        CHECK(same_on_all_ranks(c, pd, np), "the ranks' parameters differ after the update");
        free(p0);
        free(pr);
        free(pd);
        free(pa);
        clkfac_agent_free(ref);
        clkfac_agent_free(alone);
        clkfac_agent_free(dist);
        clkfac_vecenv_free(e_ref);
        clkfac_vecenv_free(e_alone);
        clkfac_vecenv_free(e_dist);
    }

    /* real training: each rank its own copies (seeded apart), two updates */
    for (int alg = 0; alg < 2; alg++) {
        clkfac_vecenv *env = NULL;
        clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
        o.algo = alg ? CLKFAC_ALGO_ACKTR : CLKFAC_ALGO_A2C;
        CLKFAC_AGENT_SET(&o, n_steps, T);
        o.seed = 5 + (uint64_t)rank; /* different initial parameters: set_comm makes them rank 0's */
        clkfac_agent *ag = NULL;
        clkfac_status st = clkfac_vecenv_create(&env, "CartPole-v1", n, 200 + (uint64_t)rank * n, NULL);
        if (!st) st = clkfac_agent_create(&ag, ctx, env, &o);
        if (!st) st = clkfac_agent_set_comm(ag, c);
        for (int u = 0; u < 2 && !st; u++) st = clkfac_agent_update(ag);
        CHECK(!st, "training: %s", clkfac_last_error());
        CHECK(clkfac_agent_timestep(ag) == 2 * T * E, "timestep %llu, expected %d",
              (unsigned long long)clkfac_agent_timestep(ag), 2 * T * E);
        float *pt = params(ag, &np);
        CHECK(same_on_all_ranks(c, pt, np), "the ranks' parameters differ after training");
        free(pt);
        clkfac_agent_free(ag);
        clkfac_vecenv_free(env);
    }

    /* TRPO, and ACKTR's adaptive step size: one rank only */
    clkfac_status st;
    for (int a = 0; a < 2; a++) {
        clkfac_vecenv *ev = NULL;
        clkfac_agent_options ko = CLKFAC_AGENT_OPTIONS_INIT;
        ko.algo = a ? CLKFAC_ALGO_ACKTR : CLKFAC_ALGO_TRPO;
        if (a) ko.kl_target = 0.002f;
        clkfac_agent *k = NULL;
        st = clkfac_vecenv_create(&ev, "CartPole-v1", n, 1, NULL);
        if (!st) st = clkfac_agent_create(&k, ctx, ev, &ko);
        CHECK(!st, "%s", clkfac_last_error());
        st = clkfac_agent_set_comm(k, c);
        if (size > 1)
            CHECK(st == CLKFAC_ERR_UNSUPPORTED &&
                      strstr(clkfac_last_error(), a ? "--kl-target" : "TRPO: one rank"),
                  "%s on %d ranks: %d %s", a ? "ACKTR --kl-target" : "TRPO", size, st,
                  clkfac_last_error());
        else
            CHECK(!st, "one rank refused: %s", clkfac_last_error());
        clkfac_agent_free(k);
        clkfac_vecenv_free(ev);
    }

    clkfac_context_free(ctx);
    int64_t fails = g_fail;
    clkfac_comm_allreduce(c, &fails, 1, CLKFAC_COMM_INT64, CLKFAC_COMM_SUM);
    if (rank == 0) printf("dp_ranks: %d ranks, %lld failed checks\n", size, (long long)fails);
    clkfac_comm_free(c);
    return fails ? 1 : 0;
}
