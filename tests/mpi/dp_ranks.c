/* Data-parallel A2C, ACKTR and TRPO (clkfac_agent_set_comm) on N ranks (mpirun; registered for
 * 1, 2 and 3):
 *  - one update on N ranks, each with its share of a fixed batch (6 environment copies x 5
 *    steps of CartPole-v1 observations, actions, advantages and returns, written into the
 *    rollout storage), equals the single-process update on the whole batch within float
 *    tolerance (max |difference| <= 1e-4 of the update's size), while the update on one
 *    share alone does not (the check can fail). A2C; and ACKTR with fresh factors (its first
 *    update: factors from this batch, averaged over the ranks, inverted, the gradient
 *    preconditioned and trust-region scaled) with the Euclidean critic, whose Fisher pass has
 *    no sampled value targets, so that the union's data is the same data; TRPO from the
 *    rollout's rewards, values and episode ends (GAE, advantages standardized over the union,
 *    Fisher-vector products on every row): its CG direction within 1e-4 of its largest entry,
 *    the line search accepting the step on both sides, and the update with the value fit;
 *  - real training (rollouts, two updates) leaves every rank with the same parameters and the
 *    timestep counting every rank's steps (A2C, ACKTR with the Gauss-Newton critic, TRPO);
 *  - ACKTR with an adaptive step size (--kl-target): two updates on the batch; the first's KL
 *    (the mean over every rank's rows) within 2e-3 relative (one share alone: a few 1e-2), the
 *    same step scale from it, and the parameters after the second (stepped with that scale).
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
    float rew[T * E], ended[T * E], val[T * E], last[E]; /* TRPO's GAE reads these */
} batch;

static double unit(uint64_t *s) /* [-1, 1) */
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 40) / (double)(1ULL << 24) * 2.0 - 1.0;
}

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
        b->rew[i] = (float)(1.0 + 0.5 * unit(&s));
        b->ended[i] = i % 7 == 3 ? 1.0f : 0.0f; /* some episodes end inside the rollout */
        b->val[i] = (float)(2.0 * unit(&s));
    }
    for (int e = 0; e < E; e++) b->last[e] = (float)(2.0 * unit(&s));
}

/* One comparison: the algorithm, ACKTR's adaptive step size target (0: none), updates on the
 * batch, ACKTR's inverse placement across ranks and its eigen rule. */
typedef struct dp_run {
    clkfac_algo algo;
    float kl_target;
    int updates;
    clkfac_kfac_placement placement;
    int eigen;
} dp_run;

static clkfac_agent *make_agent(clkfac_context *ctx, clkfac_vecenv **env, size_t n, const dp_run *r)
{
    clkfac_algo algo = r->algo;
    clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
    o.algo = algo;
    o.kl_target = r->kl_target;
    o.kfac_eigen = r->eigen;
    if (algo == CLKFAC_ALGO_ACKTR) o.critic_euclidean = 1;
    /* TRPO: Fisher-vector products on every row (a subsample of every k-th row picks other rows
     * of the union than of each rank's share) */
    if (algo == CLKFAC_ALGO_TRPO) CLKFAC_AGENT_SET(&o, fvp_subsample, 1);
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

/* One update (at learning rate lr) on rows [first, first + n) of every step of the batch (n copies). */
static void update_on(clkfac_agent *ag, const batch *b, size_t first, size_t n, float lr)
{
    float obs[T * E * OS], act[T * E], adv[T * E], ret[T * E], rew[T * E], ended[T * E], val[T * E];
    float boot[T * E] = {0};
    for (size_t t = 0; t < T; t++)
        for (size_t j = 0; j < n; j++) {
            size_t g = t * E + first + j, l = t * n + j;
            memcpy(obs + l * OS, b->obs + g * OS, OS * sizeof(float));
            act[l] = b->act[g];
            adv[l] = b->adv[g];
            ret[l] = b->ret[g];
            rew[l] = b->rew[g];
            ended[l] = b->ended[g];
            val[l] = b->val[g];
        }
    clkfac_context *ctx = ag->ctx;
    clkfac_status st = clkfac_buffer_write(ctx, ag->obs, 0, obs, T * n * OS);
    if (!st) st = clkfac_buffer_write(ctx, ag->actions, 0, act, T * n);
    if (!st) st = clkfac_buffer_write(ctx, ag->adv, 0, adv, T * n);
    if (!st) st = clkfac_buffer_write(ctx, ag->returns, 0, ret, T * n);
    if (!st) st = clkfac_buffer_write(ctx, ag->rewards, 0, rew, T * n);
    if (!st) st = clkfac_buffer_write(ctx, ag->ended, 0, ended, T * n);
    if (!st) st = clkfac_buffer_write(ctx, ag->boot, 0, boot, T * n);
    if (!st) st = clkfac_buffer_write(ctx, ag->values, 0, val, T * n);
    if (!st) st = clkfac_buffer_write(ctx, ag->last, 0, b->last + first, n);
    if (!st) st = ag->alg->update(ag, lr);
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
    static const clkfac_algo algos[] = {CLKFAC_ALGO_A2C, CLKFAC_ALGO_ACKTR, CLKFAC_ALGO_TRPO};
    /* A2C, ACKTR, TRPO: one update; ACKTR with --kl-target: two (the second with the step scale
     * the first's KL set) */
    static const dp_run runs[] = {
        {CLKFAC_ALGO_A2C, 0.0f, 1, CLKFAC_KFAC_REPLICATED, 0},
        {CLKFAC_ALGO_ACKTR, 0.0f, 1, CLKFAC_KFAC_REPLICATED, 0},
        {CLKFAC_ALGO_TRPO, 0.0f, 1, CLKFAC_KFAC_REPLICATED, 0},
        {CLKFAC_ALGO_ACKTR, 0.002f, 2, CLKFAC_KFAC_REPLICATED, 0},
        /* KAISA's placements: inverses on one rank each, broadcast; or the preconditioned
         * gradient computed there and broadcast (two updates: the second reuses the inverses
         * only the owners hold); and the eigen rule's bases and eigenvalues broadcast */
        {CLKFAC_ALGO_ACKTR, 0.0f, 1, CLKFAC_KFAC_INVERSE, 0},
        {CLKFAC_ALGO_ACKTR, 0.0f, 2, CLKFAC_KFAC_GRADIENT, 0},
        {CLKFAC_ALGO_ACKTR, 0.0f, 1, CLKFAC_KFAC_INVERSE, 1},
        {CLKFAC_ALGO_ACKTR, 0.0f, 1, CLKFAC_KFAC_GRADIENT, 1}};
    for (size_t run = 0; run < sizeof runs / sizeof runs[0]; run++) {
        clkfac_algo algo = runs[run].algo;
        float klt = runs[run].kl_target;
        clkfac_kfac_placement place = runs[run].placement;
        clkfac_vecenv *e_ref, *e_dist, *e_alone;
        clkfac_agent *ref = make_agent(ctx, &e_ref, E, &runs[run]);
        clkfac_agent *dist = make_agent(ctx, &e_dist, n, &runs[run]);
        clkfac_agent *alone = make_agent(ctx, &e_alone, n, &runs[run]);
        CHECK(!clkfac_agent_set_kfac_placement(dist, place), "%s", clkfac_last_error());
        CHECK(!clkfac_agent_set_comm(dist, c), "%s", clkfac_last_error());
        CHECK(clkfac_agent_set_comm(dist, c) == CLKFAC_ERR_INVALID_ARG, "set twice accepted");
        float *p0 = params(ref, &np);
        float kl[3] = {0}, scale[3] = {0};
        /* --kl-target: a step as large as the trust region allows, so that the KL is well above
         * its float rounding */
        float lr = klt > 0 ? 2.0f : 1e-3f;
        clkfac_comm_stats cs;
        for (int u = 0; u < runs[run].updates; u++) {
            update_on(ref, &b, 0, E, lr);
            clkfac_comm_stats_reset(c);
            update_on(dist, &b, (size_t)rank * n, n, lr);
            clkfac_comm_stats_get(c, &cs);
            update_on(alone, &b, (size_t)rank * n, n, lr);
            if (klt > 0 && u == 0) { /* the first update's mean KL and the step scale it set */
                clkfac_agent *ags[3] = {ref, dist, alone};
                for (int i = 0; i < 3; i++)
                    CHECK(!clkfac_buffer_read(ctx, ags[i]->algo_stats, REC_KL - REC_ALGO_FIRST,
                                              &kl[i], 1) &&
                              !acktr_debug_step_scale(ags[i], &scale[i]),
                          "%s", clkfac_last_error());
            }
        }
        float *pr = params(ref, &np), *pd = params(dist, &np), *pa = params(alone, &np);
        double step = max_diff(pr, p0, np), err = max_diff(pd, pr, np), off = max_diff(pa, pr, np);
        char name[128];
        snprintf(name, sizeof name, "%s%s%s%s%s", clkfac_algo_name(algo),
                 klt > 0 ? " --kl-target 0.002" : "", place ? " --kfac-placement " : "",
                 place ? clkfac_kfac_placement_name(place) : "", runs[run].eigen ? " --kfac-eigen" : "");
        if (runs[run].updates > 1) snprintf(name + strlen(name), sizeof name - strlen(name), " (%d updates)",
                                            runs[run].updates);
        if (rank == 0)
            printf("dp_ranks %d %s: update size %.3g, ranks vs one process %.3g, one share alone "
                   "%.3g (%zu parameters)\n", size, name, step, err, off, np);
        if (algo == CLKFAC_ALGO_ACKTR && klt == 0 && !place && !runs[run].eigen && size > 1) {
            /* bytes sent per rank: the factors as upper triangles, the gradients (actor, and the
             * Euclidean critic's), the loss statistics, and the 8-byte NOT_SPD agreement */
            uint64_t packed = 0, dense = 0, grads = clkfac_nn_param_count(dist->actor) +
                                                    clkfac_nn_param_count(dist->critic);
            for (size_t l = 0; l < clkfac_nn_layer_count(dist->actor); l++) {
                clkfac_nn_layer_info li;
                CHECK(!clkfac_nn_layer_info_get(&li, dist->actor, l), "%s", clkfac_last_error());
                packed += clkfac_kfac_packed_size(li.d_in_h) + clkfac_kfac_packed_size(li.d_out);
                dense += (uint64_t)li.d_in_h * li.d_in_h + (uint64_t)li.d_out * li.d_out;
            }
            uint64_t expect = 4 * (packed + grads + CLKFAC_A2C_STATS) + 8;
            if (rank == 0)
                printf("dp_ranks %d acktr: %llu bytes per update per rank (factors packed %llu, "
                       "dense would be %llu)\n", size, (unsigned long long)cs.bytes,
                       (unsigned long long)(4 * packed), (unsigned long long)(4 * dense));
            CHECK(cs.bytes == expect, "ACKTR sent %llu bytes per update, expected %llu",
                  (unsigned long long)cs.bytes, (unsigned long long)expect);
        }
        if (klt > 0) {
            double kerr = fabs((double)kl[1] - (double)kl[0]), koff = fabs((double)kl[2] - kl[0]);
            if (rank == 0)
                printf("dp_ranks %d %s: KL of update 1 %.4g, ranks vs one process %.3g, one share "
                       "alone %.3g; step scale set %g (ranks %g, one share alone %g)\n", size, name,
                       (double)kl[0], kerr, koff, (double)scale[0], (double)scale[1],
                       (double)scale[2]);
            /* the KL of a trust-region-clipped step is ~3e-6, a sum of differences of nearly equal
             * log-probabilities: float rounding alone moves it by a few 1e-4 relative */
            CHECK(kl[0] > 0 && kerr <= 2e-3 * kl[0], "the ranks' mean KL %g, one process %g",
                  (double)kl[1], (double)kl[0]);
            if (size > 1) CHECK(koff > 1e-2 * kl[0], "one share alone measures the union's KL (%g)",
                                (double)kl[2]);
            CHECK(scale[0] != 1.0f && scale[1] == scale[0], "step scale: one process %g, ranks %g "
                  "(the test needs a scale the KL moved)", (double)scale[0], (double)scale[1]);
        }
        CHECK(step > 1e-5, "the update changed nothing (%g)", step);
        CHECK(err <= 1e-4 * step, "N ranks differ from one process on the union: %g (update %g)", err,
              step);
        if (size > 1)
            CHECK(off > 1e-2 * step, "one share alone gives the union's update (%g): the test cannot "
                  "tell", off);
        if (algo == CLKFAC_ALGO_TRPO) { /* the CG direction itself, and the line search's verdict */
            size_t nx = np - clkfac_nn_param_count(ref->critic);
            float *xr = malloc(nx * sizeof *xr), *xd = malloc(nx * sizeof *xd),
                  *xa = malloc(nx * sizeof *xa);
            CHECK(!trpo_debug_direction(ref, xr, nx) && !trpo_debug_direction(dist, xd, nx) &&
                      !trpo_debug_direction(alone, xa, nx), "%s", clkfac_last_error());
            double xs = 0, xe = max_diff(xd, xr, nx), xo = max_diff(xa, xr, nx);
            for (size_t i = 0; i < nx; i++) xs = fmax(xs, fabs((double)xr[i]));
            float acc[3];
            CHECK(!clkfac_buffer_read(ctx, ref->algo_stats, REC_ACCEPTED - REC_ALGO_FIRST, &acc[0], 1)
                      && !clkfac_buffer_read(ctx, dist->algo_stats, REC_ACCEPTED - REC_ALGO_FIRST,
                                             &acc[1], 1), "%s", clkfac_last_error());
            if (rank == 0)
                printf("dp_ranks %d trpo CG direction: max |x| %.3g, ranks vs one process %.3g, one "
                       "share alone %.3g; step accepted %g (one process %g)\n", size, xs, xe, xo,
                       (double)acc[1], (double)acc[0]);
            CHECK(xs > 1e-3, "the CG direction is zero (%g)", xs);
            CHECK(xe <= 1e-4 * xs, "N ranks' CG direction differs from one process on the union: "
                  "%g (max |x| %g)", xe, xs);
            if (size > 1) CHECK(xo > 1e-2 * xs, "one share alone gives the union's direction (%g)", xo);
            CHECK(acc[0] == 1.0f && acc[1] == 1.0f, "line search accepted: one process %g, ranks %g "
                  "(the test needs an accepted step)", (double)acc[0], (double)acc[1]);
            free(xr);
            free(xd);
            free(xa);
        }
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
    for (int alg = 0; alg < 3; alg++) {
        clkfac_vecenv *env = NULL;
        clkfac_agent_options o = CLKFAC_AGENT_OPTIONS_INIT;
        o.algo = algos[alg];
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

    clkfac_context_free(ctx);
    int64_t fails = g_fail;
    clkfac_comm_allreduce(c, &fails, 1, CLKFAC_COMM_INT64, CLKFAC_COMM_SUM);
    if (rank == 0) printf("dp_ranks: %d ranks, %lld failed checks\n", size, (long long)fails);
    clkfac_comm_free(c);
    return fails ? 1 : 0;
}
