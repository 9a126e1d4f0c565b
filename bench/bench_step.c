/* `clkfac bench step`: the cost of one update of A2C, ACKTR and TRPO on the paper's Atari CNN
 * (and its 32-filter conv3 variant), the pixel-game CNN and a 64x64 MLP at several batch sizes:
 * wall time per update including the rollout, device time per phase from profiling events,
 * timesteps per second, each algorithm's ratio to A2C measured in the same run beside ACKTR's
 * flop-bound ratio (what its extra arithmetic alone would cost), and the launch
 * budget (kernel launches, BLAS calls, host transfers and bytes per update). Real environments
 * where one fits the network; Synthetic/Atari-v0 frames for the Atari CNN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"

typedef struct step_net {
    const char *name, *spec, *act, *env;
    int synthetic;
    int batches[3];
    int n_envs;
} step_net;

static const step_net NETS[] = {
    {"atari", "conv:32,8,4 conv:64,4,2 conv:64,3,1 dense:512", "relu", "Synthetic/Atari-v0", 1,
     {80, 160, 640}, 16},
    {"atari32", "conv:32,8,4 conv:64,4,2 conv:32,3,1 dense:512", "relu", "Synthetic/Atari-v0", 1,
     {80, 160, 640}, 16},
    {"minatar", "conv:16,3,1 dense:128", "relu", "MinAtar/Breakout-v1", 0, {80, 160, 640}, 16},
    {"mlp", "dense:64 dense:64", "tanh", "CartPole-v1", 0, {1000, 2500, 25000}, 10},
};

static const char *PHASES[] = {"rollout", "advantages", "forward", "fisher_backward", "factors",
                               "inverse", "loss", "backward", "precondition", "cg", "linesearch",
                               "value", "step", "other"};
#define N_PHASES (sizeof PHASES / sizeof PHASES[0])

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The launch budget's counts (clkfac_profile_entry), for the update (every phase after the
 * rollout) and the rollout. */
enum { CNT_KERNELS, CNT_BLAS, CNT_HOST_BLAS, CNT_TRANSFERS, CNT_COPIES, CNT_BYTES, N_CNT };

typedef struct step_result {
    int ok;
    double wall_ms, update_ms, tps;
    double phase_ms[N_PHASES];
    double counts[2][N_CNT]; /* [0] update, [1] rollout: median over the reps */
    uint64_t largest_buffer; /* bytes, the agent's largest device buffer */
    double flop_ratio;       /* ACKTR: flop-bound ratio to A2C (flop_bound); else 0 */
} step_result;

/* ACKTR's flops per update over A2C's for the network of ag at this batch, counting what the
 * arithmetic needs: A2C = forward + backward (no input gradient for the first layer); ACKTR adds
 * the Fisher backward, every layer's factors (symmetric: rows x d^2 each, rows = batch x output
 * locations), the preconditioning (2 (dg^2 da + dg da^2)) and the two inverses (nominal d^3
 * each) once every inv_every updates. Running averages and the trust region are O(d^2) and left
 * out. stats_share (f / T_s) scales what the statistics cost: the Fisher backward and the
 * factors run on the first f of the batch every T_s updates. The layers come from a copy of the
 * network built at batch 1. */
static clkfac_status flop_bound(clkfac_context *ctx, const clkfac_vecenv *env, const char *spec,
                                const char *act, int batch, unsigned inv_every, double stats_share,
                                double *ratio)
{
    const clkfac_space *os = clkfac_vecenv_observation_space(env);
    const clkfac_space *as = clkfac_vecenv_action_space(env);
    clkfac_nn_head_spec heads[2] = {{"pi", as->kind == CLKFAC_SPACE_DISCRETE ? as->n : (int)as->size,
                                     0.01f}, {"v", 1, 1.0f}};
    clkfac_nn_options no = CLKFAC_NN_OPTIONS_INIT;
    no.heads = heads;
    no.n_heads = 2;
    clkfac_status st = clkfac_nn_act_parse(&no.act, act);
    clkfac_nn *nn = NULL;
    if (!st) st = clkfac_nn_create_str(&nn, ctx, spec, os->dims, (size_t)os->ndim, 1, &no);
    if (st) return st;
    double macs = 0, first = 0, extra = 0, b = batch;
    for (size_t i = 0; i < clkfac_nn_layer_count(nn) && !st; i++) {
        clkfac_nn_layer_info L;
        if ((st = clkfac_nn_layer_info_get(&L, nn, i))) break;
        double da = (double)L.d_in_h, dg = (double)L.d_out, rows = b * (double)L.locations;
        double m = dg * da * (double)L.locations; /* multiply-adds per example */
        macs += m;
        if (i == 0) first = m;
        extra += stats_share * (rows * da * da + rows * dg * dg) + 2.0 * (dg * dg * da + dg * da * da) +
                 (da * da * da + dg * dg * dg) / (double)inv_every;
    }
    clkfac_nn_free(nn);
    if (st) return st;
    double backward = 4.0 * macs * b - 2.0 * first * b, a2c = 2.0 * macs * b + backward;
    *ratio = (a2c + stats_share * backward + extra) / a2c;
    return CLKFAC_OK;
}

/* One row of the tables: an algorithm, for ACKTR with its statistics setting (0: defaults). */
typedef struct step_algo {
    clkfac_algo algo;
    unsigned stats_every;
    float stats_fraction;
    char label[48];
} step_algo;

static void add_counts(double *c, const clkfac_profile_entry *e)
{
    c[CNT_KERNELS] += e->kernels;
    c[CNT_BLAS] += e->blas;
    c[CNT_HOST_BLAS] += e->host_blas;
    c[CNT_TRANSFERS] += e->transfers;
    c[CNT_COPIES] += e->copies;
    c[CNT_BYTES] += (double)e->bytes;
}

/* One (net, batch, algo) cell: warm-up, then reps profiled windows of o->window updates, each
 * the mean of its updates; medians over the windows. */
static clkfac_status measure(clkfac_context *ctx, const step_net *net, int batch,
                             const step_algo *sa, const bench_step_options *o, step_result *res)
{
    clkfac_algo algo = sa->algo;
    int window = o->window > 0 ? o->window : 1;
    memset(res, 0, sizeof *res);
    clkfac_vecenv *env = NULL;
    clkfac_agent *ag = NULL;
    double *wall = calloc((size_t)o->reps, sizeof *wall);
    double *ph = calloc((size_t)o->reps * N_PHASES, sizeof *ph);
    double *cnt = calloc((size_t)o->reps * 2 * N_CNT, sizeof *cnt);
    clkfac_status st = (!wall || !ph || !cnt) ? CLKFAC_ERR_NO_MEMORY : CLKFAC_OK;
    if (st) goto done;
    int n_envs = net->n_envs;
    if ((st = clkfac_vecenv_create(&env, net->env, (size_t)n_envs, 1, NULL))) goto done;
    (void)clkfac_context_largest_buffer(ctx); /* restart: count this cell's buffers */
    clkfac_agent_options ao = CLKFAC_AGENT_OPTIONS_INIT;
    ao.algo = algo;
    ao.n_steps = (unsigned)(batch / n_envs);
    ao.net = net->spec;
    ao.activation = net->act;
    ao.lr = algo == CLKFAC_ALGO_ACKTR ? 0.25f : 7e-4f;
    ao.sync_timing = 1;
    ao.seed = 1;
    if (sa->stats_every) ao.stats_every = sa->stats_every;
    if (sa->stats_fraction > 0) ao.stats_fraction = sa->stats_fraction;
    if ((st = clkfac_agent_create(&ag, ctx, env, &ao))) goto done;
    if (algo == CLKFAC_ALGO_ACKTR) {
        clkfac_agent_options used;
        if ((st = clkfac_agent_options_resolve(&used, &ao)) ||
            (st = flop_bound(ctx, env, net->spec, net->act, batch, used.inv_every,
                             (double)used.stats_fraction / (double)used.stats_every,
                             &res->flop_ratio)))
            goto done;
    }
    for (int r = -o->warmup; r < o->reps; r++) {
        for (int w = 0; w < window; w++) {
            clkfac_profile_begin(ctx);
            double t0 = now_s();
            if ((st = clkfac_agent_update(ag))) goto done;
            double t1 = now_s();
            clkfac_profile_entry e[CLKFAC_PROFILE_MAX_PHASES];
            size_t ne = 0;
            if ((st = clkfac_profile_collect(ctx, e, CLKFAC_PROFILE_MAX_PHASES, &ne))) goto done;
            if (r < 0) continue;
            wall[r] += (t1 - t0) * 1e3 / window;
            for (size_t i = 0; i < ne; i++) {
                for (size_t p = 0; p < N_PHASES; p++)
                    if (!strcmp(e[i].phase, PHASES[p]))
                        ph[(size_t)r * N_PHASES + p] += e[i].seconds * 1e3 / window;
                add_counts(cnt + ((size_t)r * 2 + !strcmp(e[i].phase, "rollout")) * N_CNT, &e[i]);
            }
        }
    }
    if (window > 1)
        for (int i = 0; i < o->reps * 2 * N_CNT; i++) cnt[i] /= window;
    if ((st = clkfac_context_check(ctx))) goto done;
    res->wall_ms = bench_median(wall, o->reps);
    double *col = calloc((size_t)o->reps, sizeof *col), *upd = calloc((size_t)o->reps, sizeof *upd);
    if (!col || !upd) {
        free(col);
        free(upd);
        st = CLKFAC_ERR_NO_MEMORY;
        goto done;
    }
    for (size_t p = 0; p < N_PHASES; p++) {
        for (int r = 0; r < o->reps; r++) {
            col[r] = ph[(size_t)r * N_PHASES + p];
            if (strcmp(PHASES[p], "rollout")) upd[r] += col[r];
        }
        res->phase_ms[p] = bench_median(col, o->reps);
    }
    res->update_ms = bench_median(upd, o->reps);
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < N_CNT; k++) {
            for (int r = 0; r < o->reps; r++) col[r] = cnt[((size_t)r * 2 + s) * N_CNT + k];
            res->counts[s][k] = bench_median(col, o->reps);
        }
    res->tps = (double)batch / (res->wall_ms * 1e-3);
    res->largest_buffer = clkfac_context_largest_buffer(ctx);
    res->ok = 1;
    free(col);
    free(upd);
done:
    free(wall);
    free(ph);
    free(cnt);
    clkfac_agent_free(ag);
    clkfac_vecenv_free(env);
    return st;
}

/* Two rows of the launch budget (update, rollout): counts per update, launches = kernels +
 * BLAS calls (each CLBlast routine launches one to a few kernels of its own). */
static void add_budget_rows(clkfac_table *bt, const step_net *net, int batch, const char *label,
                            const step_result *res)
{
    static const char *const SCOPE[2] = {"update", "rollout"};
    for (int s = 0; s < 2; s++) {
        char c[12][64];
        const char *row[12];
        snprintf(c[0], 64, "%s", net->name);
        snprintf(c[1], 64, "%d", batch);
        snprintf(c[2], 64, "%s", label);
        snprintf(c[3], 64, "%s", SCOPE[s]);
        for (int k = 0; k < N_CNT; k++) snprintf(c[4 + k], 64, "%.0f", res->counts[s][k]);
        snprintf(c[10], 64, "%.0f", res->counts[s][CNT_KERNELS] + res->counts[s][CNT_BLAS]);
        snprintf(c[11], 64, "%.1f", (double)res->largest_buffer / (1 << 20));
        for (int i = 0; i < 12; i++) row[i] = c[i];
        clkfac_table_add_row(bt, row);
    }
}

int bench_step_run(const bench_step_options *o)
{
    clkfac_context *ctx = NULL;
    int open_rc = bench_open(&ctx, "step", o->out_dir, o->device);
    if (open_rc) return open_rc;
    clkfac_status st = CLKFAC_OK;
    int tty = isatty(fileno(stderr));
    /* long form for the report (algo, net, batch, phase, median_ms, timesteps_per_second) */
    const char *lh[] = {"algo", "net", "env", "batch", "phase", "median_ms", "timesteps_per_second"};
    const char *sh[] = {"net", "env", "batch", "algo", "update_ms", "wall_ms_per_update",
                        "timesteps_per_second", "update_vs_a2c", "tps_vs_a2c",
                        "flop_bound_vs_a2c"};
    const char *bh[] = {"net",       "batch",      "algo",      "scope",        "kernels",
                        "blas_calls", "host_blas", "transfers", "fills_copies", "bytes",
                        "launches",   "largest_buffer_mb"};
    clkfac_table *lt = NULL, *stab = NULL, *bt = NULL;
    if (clkfac_table_create(&lt, 7, lh) || clkfac_table_create(&stab, 10, sh) ||
        clkfac_table_create(&bt, 12, bh)) {
        clkfac_table_free(lt);
        clkfac_table_free(stab);
        clkfac_context_free(ctx);
        return 1;
    }
    /* the paper's table: Atari CNN at batch 640, timesteps per second per algorithm */
    double paper_ours[3] = {NAN, NAN, NAN};
    /* the rows: every listed algorithm, ACKTR followed by its cheap settings */
    step_algo rows[3 + 8];
    int n_rows = 0;
    for (int a = CLKFAC_ALGO_A2C; a <= CLKFAC_ALGO_TRPO; a++) {
        clkfac_algo algo = (clkfac_algo)a;
        if (bench_list_has(o->algos, clkfac_algo_name(algo))) {
            rows[n_rows] = (step_algo){algo, 0, 0, ""};
            snprintf(rows[n_rows++].label, sizeof rows[0].label, "%s", clkfac_algo_name(algo));
        }
        for (int v = 0; algo == CLKFAC_ALGO_ACKTR && v < o->n_variants && v < 8; v++) {
            rows[n_rows] = (step_algo){algo, o->variant_stats_every[v],
                                       o->variant_stats_fraction[v], ""};
            snprintf(rows[n_rows++].label, sizeof rows[0].label, "acktr T_s=%u f=%g",
                     o->variant_stats_every[v], (double)o->variant_stats_fraction[v]);
        }
    }
    int rc = 0;
    for (size_t ni = 0; ni < sizeof NETS / sizeof NETS[0] && !rc; ni++) {
        const step_net *net = &NETS[ni];
        if (!bench_list_has(o->nets, net->name)) continue;
        for (int bi = 0; bi < 3 && !rc; bi++) {
            int batch = net->batches[bi];
            if (o->max_batch && batch > o->max_batch) continue;
            char bname[16];
            snprintf(bname, sizeof bname, "%d", batch);
            if (o->batches && !bench_list_has(o->batches, bname)) continue;
            step_result base = {0};
            for (int ri = 0; ri < n_rows && !rc; ri++) {
                const step_algo *sa = &rows[ri];
                clkfac_algo algo = sa->algo;
                int plain = !sa->stats_every;
                if (tty) fprintf(stderr, "\r\033[K%s batch %d %s ...", net->name, batch, sa->label);
                step_result res;
                st = measure(ctx, net, batch, sa, o, &res);
                if (st == CLKFAC_ERR_UNSUPPORTED) {
                    if (tty) fprintf(stderr, "\r\033[K");
                    fprintf(stderr, "note: %s skipped: %s\n", sa->label, clkfac_last_error());
                    continue;
                }
                if (st) {
                    fprintf(stderr, "\nclkfac: %s batch %d %s: %s: %s\n", net->name, batch,
                            sa->label, clkfac_status_str(st), clkfac_last_error());
                    rc = 1;
                    break;
                }
                if (algo == CLKFAC_ALGO_A2C) base = res;
                if (plain && !strcmp(net->name, "atari") && batch == 640) paper_ours[algo] = res.tps;
                char c[10][64];
                const char *row[10];
                for (size_t p = 0; p < N_PHASES; p++) {
                    if (res.phase_ms[p] <= 0) continue;
                    snprintf(c[0], 64, "%s", sa->label);
                    snprintf(c[1], 64, "%s", net->name);
                    snprintf(c[2], 64, "%s%s", net->env, net->synthetic ? " (synthetic)" : "");
                    snprintf(c[3], 64, "%d", batch);
                    snprintf(c[4], 64, "%s", PHASES[p]);
                    snprintf(c[5], 64, "%.3f", res.phase_ms[p]);
                    snprintf(c[6], 64, "%.1f", res.tps);
                    for (int i = 0; i < 7; i++) row[i] = c[i];
                    clkfac_table_add_row(lt, row);
                }
                snprintf(c[0], 64, "%s", net->name);
                snprintf(c[1], 64, "%s%s", net->env, net->synthetic ? " (synthetic)" : "");
                snprintf(c[2], 64, "%d", batch);
                snprintf(c[3], 64, "%s", sa->label);
                snprintf(c[4], 64, "%.2f", res.update_ms);
                snprintf(c[5], 64, "%.2f", res.wall_ms);
                snprintf(c[6], 64, "%.0f", res.tps);
                if (base.ok) {
                    snprintf(c[7], 64, "%.2f", res.update_ms / base.update_ms);
                    snprintf(c[8], 64, "%.2f", res.tps / base.tps);
                } else {
                    c[7][0] = c[8][0] = '\0';
                }
                if (res.flop_ratio > 0) snprintf(c[9], 64, "%.2f", res.flop_ratio);
                else snprintf(c[9], 64, "%s", algo == CLKFAC_ALGO_A2C ? "1.00" : "");
                for (int i = 0; i < 10; i++) row[i] = c[i];
                clkfac_table_add_row(stab, row);
                add_budget_rows(bt, net, batch, sa->label, &res);
            }
        }
    }
    if (tty) fprintf(stderr, "\r\033[K");
    char *prov = NULL;
    if (!rc && !clkfac_provenance(&prov, ctx)) {
        char notes[1536];
        snprintf(notes, sizeof notes,
                 "update_ms: median device time of one update's phases after the rollout "
                 "(profiling events); wall_ms_per_update: rollout (environments, inference, the "
                 "action reads) plus the update, waited for; timesteps per second = batch / "
                 "wall. Median of %d windows of %d updates (each window's mean per update) "
                 "after %d warm-up windows; ACKTR's statistics every T_s updates and inverses "
                 "every T_inv are amortized when the window is a multiple of both (10 for the "
                 "defaults), and left out of a window of 1. Ratios are to A2C in the same "
                 "run. flop_bound_vs_a2c: ACKTR's arithmetic over A2C's (forward + backward; "
                 "ACKTR adds the Fisher backward, symmetric factors, preconditioning and the "
                 "inverses every T_inv updates), what the update would cost if time followed "
                 "flops. For comparison, the ACKTR paper (batch 640, Atari, a GPU): ACKTR 852, "
                 "A2C 1162, TRPO 177 timesteps/s — a different device and environment.\n",
                 o->reps, o->window > 0 ? o->window : 1, o->warmup);
        char *md = NULL;
        if (!clkfac_table_markdown(&md, stab)) fputs(md, stdout);
        free(md);
        rc = bench_write_table(o->out_dir, "step_cost", lt, "Step cost per phase", notes, prov) ||
             bench_write_table(o->out_dir, "step_summary", stab, "Step cost per update", notes,
                               prov) ||
             bench_write_table(o->out_dir, "launch_budget", bt, "Launch budget per update",
                               "Counted as commands are enqueued (src/cl/device.c, ocl_count), "
                               "median over the measured updates. update: every phase after "
                               "the rollout; rollout: the environment steps' inference and "
                               "action reads. kernels: clkfac's own launches; blas_calls: "
                               "CLBlast routines or host-BLAS native kernels (host_blas, of "
                               "blas_calls); transfers: host reads and writes (bytes moved); "
                               "fills_copies: device-side fills and copies; launches = kernels "
                               "+ blas_calls. On a GPU each launch costs ~5-10 us. "
                               "largest_buffer_mb: the agent's largest device buffer, against "
                               "CL_DEVICE_MAX_MEM_ALLOC_SIZE (CLBlast's temporaries aside).\n",
                               prov);
        if (!rc && !isnan(paper_ours[CLKFAC_ALGO_A2C])) {
            /* laid out like the ACKTR paper's table (its Table 2: Atari CNN, batch 640) */
            static const double PAPER[3] = {1162, 852, 177}; /* A2C, ACKTR, TRPO on a GPU */
            const char *ph[] = {"algorithm", "timesteps/s (this device)", "ratio to A2C",
                                "timesteps/s (paper, a GPU)", "paper ratio to A2C"};
            clkfac_table *pt = NULL;
            if (clkfac_table_create(&pt, 5, ph)) rc = 1;
            for (int a = 0; !rc && a < 3; a++) {
                char c[5][64];
                const char *row[5] = {c[0], c[1], c[2], c[3], c[4]};
                snprintf(c[0], 64, "%s", clkfac_algo_name((clkfac_algo)a));
                if (isnan(paper_ours[a])) {
                    snprintf(c[1], 64, "not measured");
                    c[2][0] = '\0';
                } else {
                    snprintf(c[1], 64, "%.0f", paper_ours[a]);
                    snprintf(c[2], 64, "%.2f", paper_ours[a] / paper_ours[CLKFAC_ALGO_A2C]);
                }
                snprintf(c[3], 64, "%.0f", PAPER[a]);
                snprintf(c[4], 64, "%.2f", PAPER[a] / PAPER[0]);
                clkfac_table_add_row(pt, row);
            }
            if (!rc)
                rc = bench_write_table(o->out_dir, "paper_tps", pt,
                                 "Timesteps per second, Atari CNN at batch 640 (paper layout)",
                                 "Ours: this device, Synthetic/Atari-v0 frames (no game), wall time "
                                 "per update including the rollout. Paper: Wu et al. 2017, Atari on "
                                 "a GPU — a different device and environment; compare the ratios.\n",
                                 prov);
            clkfac_table_free(pt);
        }
        if (!rc)
            printf("\nwrote %s/step_summary.{csv,md,json}, %s/step_cost.{csv,md,json} and "
                   "%s/launch_budget.{csv,md,json}\n", o->out_dir, o->out_dir, o->out_dir);
    }
    free(prov);
    clkfac_table_free(lt);
    clkfac_table_free(stab);
    clkfac_table_free(bt);
    clkfac_context_free(ctx);
    return rc;
}
