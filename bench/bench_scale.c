/* `clkfac bench scale`: data-parallel scaling. The driver (started without mpirun) runs itself
 * under mpirun on each rank count of --ranks for each configuration of --algos (a2c, acktr,
 * acktr-inverse, acktr-gradient: ACKTR with each inverse placement, trpo) as a worker: every
 * rank steps its share of the copies and trains data-parallel (clkfac_agent_set_comm) for
 * --updates updates after --warmup; rank 0 writes the median wall time per iteration (rollout +
 * update), per update (the update alone, waited for), the bytes and collectives per update the
 * communicator counted and the bytes the model predicts for that agent. The driver then times
 * one process's ACKTR update by phase (profiling events) and writes, from the network's layer
 * shapes, a latency-bandwidth model of time per update for 8-256 ranks on a stated network:
 * A2C, and ACKTR with either inverse placement (each layer's inverses computed on one rank and
 * broadcast every T_inv updates, or the preconditioned gradient computed where the inverse
 * lives and gathered every update). Results: OUT/scale.* (measured) and OUT/scale_model.*
 * (model), with provenance. */
#define _GNU_SOURCE /* sched_getaffinity: the cores this process may use */
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "rl/agent_internal.h" /* the worker's model of its bytes: the agent's networks */

#define MAX_RANKS_LIST 16
#define MAX_LAYERS 32

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse_ranks(const char *list, int *ranks, int *n)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end = NULL;
        long v = strtol(t, &end, 10);
        if (end == t || *end || v < 1 || v > 64)
            return app_usage_error("--ranks '%s': expected rank counts in [1, 64], e.g. 1,2,3,4",
                                   t);
        if (*n == MAX_RANKS_LIST) return app_usage_error("--ranks: at most %d counts", MAX_RANKS_LIST);
        ranks[(*n)++] = (int)v;
    }
    if (!*n) return app_usage_error("--ranks '%s': expected e.g. 1,2,3,4", list);
    return 0;
}

/* What a worker measures: an algorithm and, for ACKTR, the inverse placement across ranks. */
typedef struct scale_config {
    const char *name;
    clkfac_algo algo;
    clkfac_kfac_placement placement;
} scale_config;

static const scale_config CONFIGS[] = {
    {"a2c", CLKFAC_ALGO_A2C, CLKFAC_KFAC_REPLICATED},
    {"acktr", CLKFAC_ALGO_ACKTR, CLKFAC_KFAC_REPLICATED},
    {"acktr-inverse", CLKFAC_ALGO_ACKTR, CLKFAC_KFAC_INVERSE},
    {"acktr-gradient", CLKFAC_ALGO_ACKTR, CLKFAC_KFAC_GRADIENT},
    {"trpo", CLKFAC_ALGO_TRPO, CLKFAC_KFAC_REPLICATED},
};
#define N_CONFIGS (sizeof CONFIGS / sizeof CONFIGS[0])

/* The configurations of a comma list (indices into CONFIGS); 0 or a usage error naming the bad
 * name. */
static int parse_configs(const char *list, size_t *idx, size_t *n)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list ? list : "");
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t k = 0;
        while (k < N_CONFIGS && strcmp(t, CONFIGS[k].name)) k++;
        if (k == N_CONFIGS)
            return app_usage_error("--algos '%s': expected a2c, acktr, acktr-inverse, "
                                   "acktr-gradient or trpo", t);
        if (*n == N_CONFIGS) return app_usage_error("--algos: at most %zu names", N_CONFIGS);
        idx[(*n)++] = k;
    }
    if (!*n) return app_usage_error("--algos '%s': expected e.g. a2c,acktr,trpo", list ? list : "");
    return 0;
}

static clkfac_status make_agent(clkfac_agent **ag, clkfac_vecenv **env, clkfac_context *ctx,
                                const bench_scale_options *o, clkfac_algo algo, size_t copies,
                                uint64_t env_seed)
{
    clkfac_agent_options ao = CLKFAC_AGENT_OPTIONS_INIT;
    ao.algo = algo;
    CLKFAC_AGENT_SET(&ao, n_steps, o->n_steps);
    ao.seed = 1;
    ao.sync_timing = 1; /* the update's own time, waited for */
    clkfac_status st = clkfac_vecenv_create(env, o->env, copies, env_seed, NULL);
    if (!st) st = clkfac_agent_create(ag, ctx, *env, &ao);
    return st;
}

/* ---- worker: one rank count, under mpirun ------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* K-FAC blocks of a network: the sums of packed factor floats, dense inverse floats and
 * preconditioned-gradient floats over its layers. */
static clkfac_status kfac_sums(const clkfac_nn *net, double *packed, double *inv, double *grad)
{
    for (size_t l = 0; l < clkfac_nn_layer_count(net); l++) {
        clkfac_nn_layer_info li;
        clkfac_status st = clkfac_nn_layer_info_get(&li, net, l);
        if (st) return st;
        double a = (double)li.d_in_h, g = (double)li.d_out;
        *packed += a * (a + 1) / 2 + g * (g + 1) / 2;
        *inv += a * a + g * g;
        *grad += a * g;
    }
    return CLKFAC_OK;
}

/* The model's bytes per update per rank (the payload, 4 bytes a float) for this agent on `size`
 * ranks, averaged over updates first .. first + n - 1 (statistics every T_s, inverses every
 * T_inv updates). A2C: the gradients (every parameter) and 4 loss statistics. ACKTR: the same,
 * plus the factors as upper triangles on statistics updates and the 8-byte NOT_SPD agreement
 * (Tikhonov damping); inverse placement: each block's inverses (dense A^-1 and G^-1) on
 * inversion updates; gradient placement: the preconditioned gradient of every block every
 * update. TRPO: the advantages' mean and variance, the surrogate's gradient and value, cg_iters
 * + 1 Fisher-vector products (CG and x^T F x), 10 line-search trials of KL and surrogate, the
 * value fit's minibatch gradients and the 4 loss statistics. One rank: nothing. */
static clkfac_status model_bytes(double *out, const clkfac_agent *ag, clkfac_kfac_placement place,
                                 int size, unsigned first, unsigned n)
{
    *out = 0;
    if (size < 2) return CLKFAC_OK;
    size_t np = 0;
    clkfac_status st = clkfac_agent_read_params((clkfac_agent *)ag, NULL, 0, &np);
    if (st) return st;
    const clkfac_agent_options *o = &ag->o;
    double f = 0; /* floats per update */
    if (o->algo == CLKFAC_ALGO_TRPO) {
        double pv = (double)clkfac_nn_param_count(ag->critic), ppi = (double)np - pv;
        size_t m = ag->n_envs * ag->t_steps, batch = (64 + (size_t)size - 1) / (size_t)size;
        double minibatches = (double)((m + batch - 1) / batch);
        f = 2 + (ppi + 1) + (o->cg_iters + 1.0) * ppi + 10 * 2 + o->vf_iters * minibatches * pv +
            CLKFAC_A2C_STATS;
        *out = 4 * f;
        return CLKFAC_OK;
    }
    f = (double)np + CLKFAC_A2C_STATS;
    double bytes = 4 * f;
    if (o->algo == CLKFAC_ALGO_ACKTR) {
        double packed = 0, inv = 0, grad = 0;
        st = kfac_sums(ag->actor, &packed, &inv, &grad);
        if (!st && ag->critic != ag->actor && !o->critic_euclidean)
            st = kfac_sums(ag->critic, &packed, &inv, &grad);
        if (st) return st;
        unsigned n_stats = 0, n_inv = 0;
        for (unsigned u = first; u < first + n; u++) {
            n_stats += u % o->stats_every == 0;
            n_inv += u % o->inv_every == 0;
        }
        bytes += 4 * packed * n_stats / n + (o->kfac_eigen ? 0 : 8) + (o->measure_kl ? 4 : 0);
        if (place == CLKFAC_KFAC_INVERSE) bytes += 4 * inv * n_inv / n;
        if (place == CLKFAC_KFAC_GRADIENT) bytes += 4 * grad;
    }
    *out = bytes;
    return CLKFAC_OK;
}

static int worker(const bench_scale_options *o)
{
    clkfac_comm *comm = o->comm;
    int rank = clkfac_comm_rank(comm), size = clkfac_comm_size(comm);
    size_t ci = 0, nc = 0;
    if (parse_configs(o->algos, &ci, &nc) || nc != 1)
        return rank ? APP_USAGE : app_usage_error("bench scale --worker: --algos '%s', expected "
                                                  "one name", o->algos ? o->algos : "");
    const scale_config *cf = &CONFIGS[ci];
    if (o->n_envs % (unsigned)size)
        return rank ? APP_USAGE : app_usage_error("--envs %u on %d ranks: expected a multiple",
                                                  o->n_envs, size);
    int rc = APP_RUNTIME;
    clkfac_context *ctx = app_context(o->device, &rc);
    if (!ctx) return rc;
    size_t local = o->n_envs / (unsigned)size;
    clkfac_vecenv *env = NULL;
    clkfac_agent *ag = NULL;
    clkfac_status st = make_agent(&ag, &env, ctx, o, cf->algo, local, 1 + (uint64_t)rank * local);
    if (!st) st = clkfac_agent_set_kfac_placement(ag, cf->placement);
    if (!st) st = clkfac_agent_set_comm(ag, comm);
    unsigned n = o->updates;
    double *iter = calloc(n, sizeof *iter), *upd = calloc(n, sizeof *upd);
    if (!iter || !upd) st = CLKFAC_ERR_NO_MEMORY;
    for (unsigned w = 0; w < o->warmup && !st; w++) st = clkfac_agent_update(ag);
    clkfac_comm_stats_reset(comm);
    for (unsigned i = 0; i < n && !st; i++) {
        clkfac_agent_timing t0, t1;
        clkfac_agent_timing_get(&t0, ag);
        double a = now_s();
        st = clkfac_agent_update(ag);
        iter[i] = now_s() - a;
        clkfac_agent_timing_get(&t1, ag);
        upd[i] = t1.update_seconds - t0.update_seconds;
    }
    clkfac_comm_stats cs;
    clkfac_comm_stats_get(comm, &cs);
    /* every rank's medians; the slowest rank sets the pace */
    double med[2] = {0, 0};
    if (!st) {
        qsort(iter, n, sizeof *iter, cmp_double);
        qsort(upd, n, sizeof *upd, cmp_double);
        med[0] = iter[n / 2];
        med[1] = upd[n / 2];
        st = clkfac_comm_allreduce(comm, med, 2, CLKFAC_COMM_DOUBLE, CLKFAC_COMM_MAX);
    }
    double model = 0;
    if (!st) st = model_bytes(&model, ag, cf->placement, size, o->warmup, n);
    if (!st && rank == 0) {
        char path[4200], text[1024];
        snprintf(path, sizeof path, "%s/scale_ranks%d_%s.txt", o->out_dir, size, cf->name);
        size_t np = 0;
        clkfac_agent_read_params(ag, NULL, 0, &np);
        int k = snprintf(text, sizeof text,
                     "ranks=%d\nalgo=%s\ncopies_per_rank=%zu\nparams=%zu\niteration_s=%.9g\n"
                     "update_s=%.9g\nbytes_per_update=%.1f\nmodel_bytes_per_update=%.1f\n"
                     "collectives_per_update=%.2f\ncomm_s_per_update=%.9g\n",
                     size, cf->name, local, np, med[0], med[1], (double)cs.bytes / n, model,
                     (double)cs.collectives / n, cs.seconds / n);
        st = clkfac_file_write_atomic(path, text, (size_t)k);
    }
    free(iter);
    free(upd);
    clkfac_agent_free(ag);
    clkfac_vecenv_free(env);
    clkfac_context_free(ctx);
    return st ? app_fail("bench scale (worker)", st) : APP_OK;
}

/* ---- driver --------------------------------------------------------------------------------- */

typedef struct measured {
    int ranks;
    const char *algo;
    double iteration_s, update_s, bytes, model_bytes, collectives, comm_s;
    size_t params;
} measured;

static int read_measured(measured *m, const char *dir, int ranks, const char *algo)
{
    char path[4200], line[256];
    snprintf(path, sizeof path, "%s/scale_ranks%d_%s.txt", dir, ranks, algo);
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    memset(m, 0, sizeof *m);
    m->algo = algo;
    m->model_bytes = -1;
    while (fgets(line, sizeof line, f)) {
        sscanf(line, "model_bytes_per_update=%lf", &m->model_bytes);
        sscanf(line, "ranks=%d", &m->ranks);
        sscanf(line, "params=%zu", &m->params);
        sscanf(line, "iteration_s=%lf", &m->iteration_s);
        sscanf(line, "update_s=%lf", &m->update_s);
        sscanf(line, "bytes_per_update=%lf", &m->bytes);
        sscanf(line, "collectives_per_update=%lf", &m->collectives);
        sscanf(line, "comm_s_per_update=%lf", &m->comm_s);
    }
    fclose(f);
    return m->ranks != ranks;
}

static int run_ranks(const bench_scale_options *o, int n, const char *algo)
{
    char self[4096];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k <= 0) return app_usage_error("bench scale: cannot find this program (/proc/self/exe)");
    self[k] = '\0';
    const char *mpirun = getenv("CLKFAC_MPIRUN");
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "'%s' --oversubscribe %s -n %d '%s' bench scale --worker --algos %s --env '%s' "
             "--envs %u --nsteps %u --updates %u --warmup %u --out '%s'%s%s%s",
             mpirun && *mpirun ? mpirun : "mpirun", getuid() == 0 ? "--allow-run-as-root" : "", n,
             self, algo, o->env, o->n_envs, o->n_steps, o->updates, o->warmup, o->out_dir,
             o->device ? " --device '" : "", o->device ? o->device : "", o->device ? "'" : "");
    if (!o->quiet) printf("bench scale: %s on %d rank%s ...\n", algo, n, n > 1 ? "s" : "");
    fflush(stdout);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "clkfac: bench scale: '%s' failed (status %d); is Open MPI installed "
                        "(openmpi-bin) and this build made with MPI?\n", cmd, rc);
        return APP_RUNTIME;
    }
    return 0;
}

/* Per-layer shapes of the agent's network (shared trunk, heads pi and v, as the agent builds
 * it for A2C/ACKTR): a[l] = d_in + 1, g[l] = d_out. */
static clkfac_status layer_shapes(clkfac_context *ctx, clkfac_agent *ag, clkfac_vecenv *env,
                                  size_t *a, size_t *g, size_t *n)
{
    const clkfac_space *os = clkfac_vecenv_observation_space(env);
    const clkfac_space *as = clkfac_vecenv_action_space(env);
    int shape[CLKFAC_SPACE_MAX_DIMS];
    size_t rank = (size_t)os->ndim;
    for (size_t i = 0; i < rank; i++) shape[i] = os->dims[i];
    /* the agent's heads: logits (discrete) or means (box), and the value */
    int pi = as->kind == CLKFAC_SPACE_DISCRETE ? as->n : (int)as->size;
    clkfac_nn_head_spec heads[2] = {{"pi", pi, 0.01f}, {"v", 1, 1.0f}};
    clkfac_nn_options no = CLKFAC_NN_OPTIONS_INIT;
    no.heads = heads;
    no.n_heads = 2;
    clkfac_nn *net = NULL;
    clkfac_status st = clkfac_nn_create_str(&net, ctx, clkfac_agent_net(ag), shape, rank, 1, &no);
    if (st) return st;
    *n = 0;
    for (size_t i = 0; i < clkfac_nn_layer_count(net) && *n < MAX_LAYERS && !st; i++) {
        clkfac_nn_layer_info li;
        if (!(st = clkfac_nn_layer_info_get(&li, net, i))) {
            a[*n] = li.d_in_h;
            g[*n] = li.d_out;
            (*n)++;
        }
    }
    clkfac_nn_free(net);
    return st;
}

/* One process's ACKTR update: median wall time and the share of each phase group (device time
 * by profiling events): inverses, preconditioning, and the rest (forward, backward, factors). */
typedef struct acktr_profile {
    double update_s, inverse_frac, precond_frac;
    unsigned stats_every, inv_every;
} acktr_profile;

static clkfac_status profile_acktr(acktr_profile *p, clkfac_context *ctx,
                                   const bench_scale_options *o, size_t *a, size_t *g, size_t *nl)
{
    clkfac_vecenv *env = NULL;
    clkfac_agent *ag = NULL;
    clkfac_status st = make_agent(&ag, &env, ctx, o, CLKFAC_ALGO_ACKTR, o->n_envs, 1);
    if (!st) st = layer_shapes(ctx, ag, env, a, g, nl);
    for (unsigned w = 0; w < o->warmup && !st; w++) st = clkfac_agent_update(ag);
    double *upd = calloc(o->updates, sizeof *upd), inv = 0, pre = 0, all = 0;
    if (!upd && !st) st = CLKFAC_ERR_NO_MEMORY;
    for (unsigned i = 0; i < o->updates && !st; i++) {
        clkfac_agent_timing t0, t1;
        clkfac_agent_timing_get(&t0, ag);
        clkfac_profile_begin(ctx);
        st = clkfac_agent_update(ag);
        clkfac_profile_entry pe[CLKFAC_PROFILE_MAX_PHASES];
        size_t np = 0;
        if (!st) st = clkfac_profile_collect(ctx, pe, CLKFAC_PROFILE_MAX_PHASES, &np);
        clkfac_agent_timing_get(&t1, ag);
        upd[i] = t1.update_seconds - t0.update_seconds;
        for (size_t k = 0; k < np && !st; k++) {
            if (!strcmp(pe[k].phase, "rollout") || !strcmp(pe[k].phase, "other")) continue;
            all += pe[k].seconds;
            if (!strcmp(pe[k].phase, "inverse")) inv += pe[k].seconds;
            if (!strcmp(pe[k].phase, "precondition")) pre += pe[k].seconds;
        }
    }
    if (!st) {
        qsort(upd, o->updates, sizeof *upd, cmp_double);
        p->update_s = upd[o->updates / 2];
        p->inverse_frac = all > 0 ? inv / all : 0;
        p->precond_frac = all > 0 ? pre / all : 0;
        clkfac_agent_options d = CLKFAC_AGENT_OPTIONS_INIT;
        d.algo = CLKFAC_ALGO_ACKTR;
        clkfac_agent_options_resolve(&d, &d);
        p->stats_every = d.stats_every ? d.stats_every : 1;
        p->inv_every = d.inv_every ? d.inv_every : 1;
    }
    free(upd);
    clkfac_agent_free(ag);
    clkfac_vecenv_free(env);
    return st;
}

/* Latency-bandwidth costs (alpha s per message, beta bytes/s): ring allreduce, broadcast as
 * scatter + allgather (large messages), allgather. */
static double t_allreduce(int n, double bytes, double al, double be)
{
    return n < 2 ? 0 : 2.0 * (n - 1) * al + 2.0 * (n - 1) / n * bytes / be;
}
static double t_bcast(int n, double bytes, double al, double be)
{
    return n < 2 ? 0 : (ceil(log2(n)) + n - 1) * al + 2.0 * (n - 1) / n * bytes / be;
}
static double t_allgather(int n, double bytes, double al, double be)
{
    return n < 2 ? 0 : (n - 1) * al + (double)(n - 1) / n * bytes / be;
}

/* The largest share of the layers' cost any rank gets: layers dealt largest first to the least
 * loaded rank (balanced by cost). */
static double max_share(const double *cost, size_t nl, int ranks)
{
    double load[256] = {0}, total = 0;
    int used[MAX_LAYERS] = {0};
    if (ranks > 256) ranks = 256;
    for (size_t i = 0; i < nl; i++) total += cost[i];
    for (size_t k = 0; k < nl; k++) {
        size_t big = 0;
        int found = 0;
        for (size_t i = 0; i < nl; i++)
            if (!used[i] && (!found || cost[i] > cost[big])) big = i, found = 1;
        used[big] = 1;
        int r = 0;
        for (int j = 1; j < ranks; j++)
            if (load[j] < load[r]) r = j;
        load[r] += cost[big];
    }
    double m = 0;
    for (int j = 0; j < ranks; j++) m = fmax(m, load[j]);
    return total > 0 ? m / total : 0;
}

static void cell(char *buf, size_t cap, const char *fmt, double v) { snprintf(buf, cap, fmt, v); }

int bench_scale_run(const bench_scale_options *o)
{
    if (o->worker) return worker(o);
    if (clkfac_comm_size(o->comm) > 1)
        return clkfac_comm_rank(o->comm)
                   ? APP_USAGE
                   : app_usage_error("bench scale starts mpirun itself: run it without mpirun");
    if (!clkfac_comm_mpi_built())
        return app_usage_error("bench scale: this build has no MPI (configure with "
                               "-DCLKFAC_MPI=ON, libopenmpi-dev installed)");
    int ranks[MAX_RANKS_LIST], nr = 0;
    if (parse_ranks(o->ranks, ranks, &nr)) return APP_USAGE;
    size_t cfg[N_CONFIGS], ncfg = 0;
    if (parse_configs(o->algos, cfg, &ncfg)) return APP_USAGE;
    for (int i = 0; i < nr; i++)
        if (o->n_envs % (unsigned)ranks[i])
            return app_usage_error("--envs %u: not a multiple of %d (every rank count of --ranks "
                                   "must divide it)", o->n_envs, ranks[i]);
    clkfac_context *ctx = NULL;
    int rc = bench_open(&ctx, "scale", o->out_dir, o->device);
    if (rc) return rc;
    measured m[MAX_RANKS_LIST * N_CONFIGS];
    int nm = 0;
    double t_a2c = 0; /* one rank's whole-batch A2C update (the smallest rank count's x ranks) */
    for (size_t c = 0; c < ncfg && !rc; c++)
        for (int i = 0; i < nr && !rc; i++, nm++) {
            const char *name = CONFIGS[cfg[c]].name;
            rc = run_ranks(o, ranks[i], name);
            if (!rc && read_measured(&m[nm], o->out_dir, ranks[i], name)) {
                fprintf(stderr, "clkfac: bench scale: no result from %s on %d ranks\n", name,
                        ranks[i]);
                rc = APP_RUNTIME;
            }
            if (!rc && !strcmp(name, "a2c") && t_a2c == 0) t_a2c = m[nm].update_s * m[nm].ranks;
        }
    size_t a[MAX_LAYERS], g[MAX_LAYERS], nl = 0;
    acktr_profile ap = {0, 0, 0, 1, 1};
    clkfac_status st = CLKFAC_OK;
    if (!rc && (st = profile_acktr(&ap, ctx, o, a, g, &nl))) rc = app_fail("bench scale (ACKTR)", st);
    /* the cores the ranks may use: this process's affinity (taskset), else every online one */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t cpus;
    if (!sched_getaffinity(0, sizeof cpus, &cpus) && CPU_COUNT(&cpus) > 0) cores = CPU_COUNT(&cpus);
    /* measured */
    static const char *const MH[] = {"algo", "ranks", "copies_per_rank", "iteration_ms",
                                     "update_ms", "comm_wait_ms", "bytes_per_update",
                                     "model_bytes_per_update", "collectives_per_update",
                                     "oversubscribed"};
    clkfac_table *mt = NULL, *pt = NULL;
    if (!rc && clkfac_table_create(&mt, 10, MH)) rc = APP_RUNTIME;
    for (int i = 0; i < nm && !rc; i++) {
        char c[10][48];
        snprintf(c[0], 48, "%s", m[i].algo);
        snprintf(c[1], 48, "%d", m[i].ranks);
        snprintf(c[2], 48, "%u", o->n_envs / (unsigned)m[i].ranks);
        cell(c[3], 48, "%.3f", 1e3 * m[i].iteration_s);
        cell(c[4], 48, "%.3f", 1e3 * m[i].update_s);
        cell(c[5], 48, "%.3f", 1e3 * m[i].comm_s);
        cell(c[6], 48, "%.0f", m[i].bytes);
        cell(c[7], 48, "%.0f", m[i].model_bytes);
        cell(c[8], 48, "%.1f", m[i].collectives);
        snprintf(c[9], 48, "%s", m[i].ranks > cores ? "yes" : "no");
        const char *row[10] = {c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]};
        if (clkfac_table_add_row(mt, row)) rc = APP_RUNTIME;
    }
    /* model */
    static const char *const PH[] = {"ranks", "algo", "placement", "bytes_per_update",
                                     "comm_ms", "compute_ms", "predicted_ms"};
    if (!rc && clkfac_table_create(&pt, 7, PH)) rc = APP_RUNTIME;
    double al = o->alpha_us * 1e-6, be = o->beta_gbs * 1e9;
    double P = 0, fac = 0, dense = 0, inv_cost[MAX_LAYERS];
    for (size_t l = 0; l < nl; l++) {
        P += (double)a[l] * (double)g[l];
        dense += (double)a[l] * a[l] + (double)g[l] * g[l];
        fac += (double)a[l] * (a[l] + 1) / 2 + (double)g[l] * (g[l] + 1) / 2;
        inv_cost[l] = pow((double)a[l], 3) + pow((double)g[l], 3);
    }
    static const int PRED[] = {8, 16, 32, 64, 128, 256};
    for (size_t i = 0; i < sizeof PRED / sizeof PRED[0] && !rc; i++) {
        int n = PRED[i];
        double share = max_share(inv_cost, nl, n), T_s = ap.stats_every, T_inv = ap.inv_every;
        double ti = ap.update_s * ap.inverse_frac, tp = ap.update_s * ap.precond_frac;
        double rest = ap.update_s - ti - tp;
        struct { const char *algo, *place; double bytes, comm, comp; } r[3];
        r[0].algo = "a2c";
        r[0].place = "-";
        r[0].bytes = 4 * P;
        r[0].comm = t_allreduce(n, 4 * P, al, be);
        r[0].comp = t_a2c / n;
        /* ACKTR, both: gradient allreduce every update, packed factors every T_s updates */
        double base_b = 4 * P + 4 * fac / T_s;
        double base_t = t_allreduce(n, 4 * P, al, be) + t_allreduce(n, 4 * fac, al, be) / T_s;
        r[1].algo = "acktr";
        r[1].place = "inverse broadcast";
        r[1].bytes = base_b + 4 * dense / T_inv; /* inverses (dense) from their owners */
        r[1].comm = base_t;
        for (size_t l = 0; l < nl; l++)
            r[1].comm += t_bcast(n, 4 * ((double)a[l] * a[l] + (double)g[l] * g[l]), al, be) / T_inv;
        r[1].comp = rest / n + ti * share + tp; /* every rank preconditions every layer */
        r[2].algo = "acktr";
        r[2].place = "gradient gather";
        r[2].bytes = base_b + 4 * P;
        r[2].comm = base_t + t_allgather(n, 4 * P, al, be);
        r[2].comp = rest / n + (ti + tp) * share;
        for (int k = 0; k < 3 && !rc; k++) {
            char c[7][48];
            snprintf(c[0], 48, "%d", n);
            snprintf(c[1], 48, "%s", r[k].algo);
            snprintf(c[2], 48, "%s", r[k].place);
            cell(c[3], 48, "%.0f", r[k].bytes);
            cell(c[4], 48, "%.4f", 1e3 * r[k].comm);
            cell(c[5], 48, "%.4f", 1e3 * r[k].comp);
            cell(c[6], 48, "%.4f", 1e3 * (r[k].comm + r[k].comp));
            const char *row[7] = {c[0], c[1], c[2], c[3], c[4], c[5], c[6]};
            if (clkfac_table_add_row(pt, row)) rc = APP_RUNTIME;
        }
    }
    char *prov = NULL;
    if (!rc && clkfac_provenance(&prov, ctx)) rc = APP_RUNTIME;
    if (!rc) {
        char notes[4096];
        snprintf(notes, sizeof notes,
                 "Data-parallel training on %s (%s), %u copies in all (each rank its share), %u "
                 "steps each: median of %u updates after %u warm-up, the slowest rank's. "
                 "acktr-inverse / acktr-gradient: ACKTR with --kfac-placement inverse / gradient "
                 "(acktr: replicated). iteration: rollout + update; update: the update alone, "
                 "waited for (its collectives included); comm_wait: host time from starting the "
                 "collectives to their completion, which includes waiting for the slowest rank "
                 "to reach them; bytes: the payload per rank the communicator counted (Debug "
                 "builds add 2 x 8 bytes for the parameter check); model_bytes: the model's "
                 "count for the same agent and updates (bench/bench_scale.c model_bytes: "
                 "gradients and loss statistics; ACKTR's packed factors, NOT_SPD agreement, "
                 "dense inverses every T_inv or preconditioned gradients every update; TRPO's "
                 "standardization, surrogate gradient, cg_iters + 1 Fisher-vector products, 10 "
                 "line-search trials and value-fit gradients). "
                 "The ranks may use %ld cores (this process's affinity): rank counts above it "
                 "are oversubscribed (ranks share cores), so times there measure contention, "
                 "not scaling.\n",
                 o->env, o->algos, o->n_envs, o->n_steps, o->updates, o->warmup, cores);
        rc = bench_write_table(o->out_dir, "scale", mt, "Data-parallel training: measured", notes,
                               prov);
        char *md = NULL;
        if (!rc && !o->quiet && !clkfac_table_markdown(&md, mt)) fputs(md, stdout);
        free(md);
        snprintf(notes, sizeof notes,
                 "Latency-bandwidth model, network: alpha = %.2f us per message, beta = %.2f GB/s "
                 "(defaults: 100 Gb/s InfiniBand EDR; --alpha-us, --beta-gbs). Costs: ring "
                 "allreduce 2(N-1)alpha + 2(N-1)/N bytes/beta; broadcast (scatter + allgather) "
                 "(log2 N + N-1)alpha + 2(N-1)/N bytes/beta; allgather (N-1)alpha + (N-1)/N "
                 "bytes/beta. Network: %s's agent network, %zu K-FAC blocks, %.0f parameters, "
                 "%.0f floats of factors as upper triangles. Same total batch at every N (strong "
                 "scaling): compute is one process's time for the whole batch over N, taken from "
                 "this machine (A2C update %.3f ms; ACKTR update %.3f ms, of which inverses %.0f%% "
                 "and preconditioning %.0f%% of device time), so the compute column is this "
                 "device's, and the small batches here are overhead-bound (it will not shrink as "
                 "1/N in practice). ACKTR: gradients every update and factors every T_s = %u "
                 "updates allreduced; inverse broadcast: each layer's inverses (cost a^3 + g^3, "
                 "layers dealt largest first to the least loaded rank) computed on one rank and "
                 "broadcast (dense, as the code sends them) every T_inv = %u updates, every rank "
                 "preconditions every layer; gradient gather: the owner also preconditions its "
                 "layers and the preconditioned gradient (4 bytes x parameters) is allgathered "
                 "every update (the code broadcasts each layer's from its owner: the same bytes, "
                 "one message per layer). "
                 "With more ranks than layers the largest layer bounds the inverse time.\n",
                 o->alpha_us, o->beta_gbs, o->env, nl, P, fac, 1e3 * t_a2c, 1e3 * ap.update_s,
                 100 * ap.inverse_frac, 100 * ap.precond_frac, ap.stats_every, ap.inv_every);
        if (!rc)
            rc = bench_write_table(o->out_dir, "scale_model", pt,
                                   "Data-parallel time per update: model for 8-256 ranks", notes,
                                   prov);
        md = NULL;
        if (!rc && !o->quiet && !clkfac_table_markdown(&md, pt)) fputs(md, stdout);
        free(md);
        if (!rc && !o->quiet) printf("\nresults in %s (scale.md, scale_model.md)\n", o->out_dir);
    }
    free(prov);
    clkfac_table_free(mt);
    clkfac_table_free(pt);
    clkfac_context_free(ctx);
    return rc;
}
