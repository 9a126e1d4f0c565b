/* `clkfac bench <suite>`: parses options and runs a benchmark program from bench/. */
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"

/* "--nets a,b": every name one of the known (a NULL-terminated list); 0 or CLI_USAGE. */
static int check_list(const char *flag, const char *list, const char *const *known,
                      const char *expected)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int ok = 0;
        for (int i = 0; known[i]; i++) ok |= !strcmp(tok, known[i]);
        if (!ok)
            return cli_usage_error("%s: unknown network '%s'; expected %s (comma-separated)", flag,
                                   tok, expected);
    }
    return 0;
}

typedef struct batch_list {
    const char *batch;
} batch_list;

static const clkfac_option KFAC_OPTIONS[] = {
    CLI_OPTION(STRING, bench_kfac_options, nets, "--nets", "LIST", 0, 0, 0,
               "comma-separated: atari, atari32, minatar (default all)"),
    CLI_OPTION(INT, bench_kfac_options, reps, "--reps", "N", 1, 1000, 5, "measured repetitions"),
    CLI_OPTION(INT, bench_kfac_options, warmup, "--warmup", "N", 0, 100, 1, "warm-up runs"),
    CLI_OPTION(FLOAT, bench_kfac_options, damping, "--damping", "X", 1e-12, 1e6, 0.01, "damping"),
    CLI_OPTION(STRING, bench_kfac_options, out_dir, "--out", "DIR", 0, 0, 0,
               "results folder (default results/bench-kfac)"),
    CLI_OPTION(STRING, bench_kfac_options, device, "--device", "SPEC", 0, 0, 0, "OpenCL device"),
};
static const clkfac_option BATCH_OPTION[] = {
    CLI_OPTION(STRING, batch_list, batch, "--batch", "LIST", 0, 0, 0,
               "comma-separated batch sizes (default 80,160,640)"),
};

static int bench_kfac_cli(int argc, char **argv)
{
    bench_kfac_options o = {NULL, "results/bench-kfac", "atari,atari32,minatar", {80, 160, 640},
                            3, 0, 0, 0};
    cli_defaults(KFAC_OPTIONS, sizeof KFAC_OPTIONS / sizeof KFAC_OPTIONS[0], &o);
    batch_list b = {NULL};
    cli_table t[] = {{KFAC_OPTIONS, sizeof KFAC_OPTIONS / sizeof KFAC_OPTIONS[0], &o, NULL},
                     {BATCH_OPTION, 1, &b, NULL}};
    int r = cli_parse("bench kfac", argc, argv, t, 2);
    if (r < 0) {
        printf("usage: clkfac bench kfac [options]\n"
               "  times every K-FAC op per layer of the ACKTR Atari CNN (and its 32-filter\n"
               "  conv3 variant) and the pixel-game CNN, against the device's SGEMM rate.\n");
        cli_print_options(KFAC_OPTIONS, sizeof KFAC_OPTIONS / sizeof KFAC_OPTIONS[0],
                          CLKFAC_OPTION_FOR_ALL);
        cli_print_options(BATCH_OPTION, 1, CLKFAC_OPTION_FOR_ALL);
        return CLI_OK;
    }
    if (r) return r;
    static const char *const NETS[] = {"atari", "atari32", "minatar", NULL};
    if (check_list("--nets", o.nets, NETS, "atari, atari32 or minatar")) return CLI_USAGE;
    if (b.batch) {
        char buf[256];
        long n;
        snprintf(buf, sizeof buf, "%s", b.batch);
        o.n_batches = 0;
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (o.n_batches == 8) return cli_usage_error("--batch: at most 8 sizes");
            if (cli_parse_long("--batch", tok, 1, 100000, &n)) return CLI_USAGE;
            o.batches[o.n_batches++] = (int)n;
        }
        if (!o.n_batches) return cli_usage_error("--batch: expected sizes like 80,160,640");
    }
    return bench_kfac_run(&o);
}

static const clkfac_option STEP_OPTIONS[] = {
    CLI_OPTION(STRING, bench_step_options, nets, "--nets", "LIST", 0, 0, 0,
               "comma-separated: atari, atari32, minatar, mlp (default all)"),
    CLI_OPTION(STRING, bench_step_options, algos, "--algos", "LIST", 0, 0, 0,
               "comma-separated: a2c, acktr, trpo (default all)"),
    CLI_OPTION(INT, bench_step_options, max_batch, "--max-batch", "N", 1, 10000000, 0,
               "skip larger batches (default none)"),
    CLI_OPTION(STRING, bench_step_options, batches, "--batch", "LIST", 0, 0, 0,
               "only these of the nets' batches, comma-separated (e.g. 640)"),
    CLI_OPTION(INT, bench_step_options, reps, "--reps", "N", 1, 1000, 3, "measured repetitions"),
    CLI_OPTION(INT, bench_step_options, warmup, "--warmup", "N", 0, 100, 1, "warm-up runs"),
    CLI_OPTION(INT, bench_step_options, window, "--window", "N", 1, 1000, 1,
               "updates per repetition, reported as their mean: 10 (or a multiple of T_s and "
               "T_inv) amortizes ACKTR's statistics and inverses over their cycle"),
    CLI_OPTION(STRING, bench_step_options, variants, "--acktr-variants", "LIST", 0, 0, 0,
               "extra ACKTR rows, comma-separated T_s:f pairs (statistics every T_s updates "
               "on the first fraction f of the batch), e.g. 10:1,1:0.1"),
    CLI_OPTION(STRING, bench_step_options, out_dir, "--out", "DIR", 0, 0, 0,
               "results folder (default results/bench-step)"),
    CLI_OPTION(STRING, bench_step_options, device, "--device", "SPEC", 0, 0, 0, "OpenCL device"),
};

static int bench_step_cli(int argc, char **argv)
{
    bench_step_options o = {.out_dir = "results/bench-step",
                            .nets = "atari,atari32,minatar,mlp",
                            .algos = "a2c,acktr,trpo"};
    cli_defaults(STEP_OPTIONS, sizeof STEP_OPTIONS / sizeof STEP_OPTIONS[0], &o);
    cli_table t = {STEP_OPTIONS, sizeof STEP_OPTIONS / sizeof STEP_OPTIONS[0], &o, NULL};
    int r = cli_parse("bench step", argc, argv, &t, 1);
    if (r < 0) {
        printf("usage: clkfac bench step [options]\n"
               "  time per update and timesteps per second of each algorithm on the paper's\n"
               "  Atari CNN (synthetic frames), its 32-filter variant, the pixel-game CNN\n"
               "  (Breakout) and a 64x64 MLP (CartPole) at batches 80/160/640 (CNN) and\n"
               "  1000/2500/25000 (MLP), with the phase breakdown and ratios to A2C.\n");
        cli_print_options(STEP_OPTIONS, sizeof STEP_OPTIONS / sizeof STEP_OPTIONS[0],
                          CLKFAC_OPTION_FOR_ALL);
        return CLI_OK;
    }
    if (r) return r;
    static const char *const NETS[] = {"atari", "atari32", "minatar", "mlp", NULL};
    if (check_list("--nets", o.nets, NETS, "atari, atari32, minatar or mlp")) return CLI_USAGE;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", o.algos);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        clkfac_algo a;
        if (clkfac_algo_parse(&a, tok)) return cli_usage_error("--algos: %s", clkfac_last_error());
    }
    if (o.variants) {
        char vb[256];
        snprintf(vb, sizeof vb, "%s", o.variants);
        for (char *save = NULL, *tok = strtok_r(vb, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            char *colon = strchr(tok, ':');
            long ts;
            double f;
            if (!colon)
                return cli_usage_error("--acktr-variants: '%s': expected T_s:f, e.g. 10:1 or 1:0.1",
                                       tok);
            *colon = '\0';
            if (o.n_variants == 8) return cli_usage_error("--acktr-variants: at most 8 settings");
            if (cli_parse_long("--acktr-variants (T_s)", tok, 1, 1000000, &ts) ||
                cli_parse_double("--acktr-variants (f)", colon + 1, 0.001, 1, &f))
                return CLI_USAGE;
            o.variant_stats_every[o.n_variants] = (unsigned)ts;
            o.variant_stats_fraction[o.n_variants++] = (float)f;
        }
    }
    return bench_step_run(&o);
}

static const clkfac_option SAMPLE_OPTIONS[] = {
    CLI_OPTION(STRING, bench_sample_options, preset, "--preset", "NAME", 0, 0, 0,
               "a suite listed below (default quick)"),
    CLI_OPTION(STRING, bench_sample_options, algos, "--algos", "LIST", 0, 0, 0,
               "comma-separated: a2c, acktr, trpo, a2c-separate, acktr-separate (separate actor "
               "and critic networks), acktr-euclidean (a first-order critic; the others' critics "
               "are Gauss-Newton), acktr-ts10, acktr-ts2-f0.1, acktr-ts10-f0.5 (factor statistics "
               "every T_s updates from the first f of the batch)"),
    CLI_OPTION(STRING, bench_sample_options, envs, "--envs", "LIST", 0, 0, 0,
               "comma-separated environment ids"),
    CLI_OPTION(STRING, bench_sample_options, seeds, "--seeds", "N|LIST", 0, 0, 0,
               "N means seeds 1..N, a list (with a comma, e.g. 7,) names them"),
    CLI_OPTION(U64, bench_sample_options, steps, "--steps", "N", 1, 1e10, 0,
               "replaces every run's budget (default: the preset's)"),
    CLI_OPTION(STRING, bench_sample_options, out, "--out", "DIR", 0, 0, 0,
               "results folder (default results/bench-sample)"),
    CLI_OPTION(STRING, bench_sample_options, device, "--device", "SPEC", 0, 0, 0,
               "OpenCL device (see clkfac devices)"),
    CLI_OPTION(BOOL, bench_sample_options, quiet, "--quiet", NULL, 0, 1, 0,
               "no progress, no table"),
    CLI_OPTION(BOOL, bench_sample_options, report, "--report", NULL, 0, 1, 0,
               "run `clkfac report OUT` afterwards"),
    CLI_OPTION(UINT, bench_sample_options, checkpoint_every, "--checkpoint-every", "N", 0, 1e9, 0,
               "each run's checkpoint (what an interrupted suite continues from) every N "
               "updates; 0: every 60 s of training"),
};

static void bench_sample_usage(void)
{
    printf("usage: clkfac bench sample [options]\n"
           "  trains every algorithm x environment x seed through the library and writes\n"
           "  OUT/runs/<algo>__<env>__seed<k>/{episodes.csv,updates.csv,summary.json} as\n"
           "  `clkfac train` does, plus OUT/suite.json. Run it again to resume: finished runs are\n"
           "  kept, unfinished ones restarted. Options override the preset. Per algorithm and\n"
           "  environment settings are built in (see suite.json).\n");
    cli_print_options(SAMPLE_OPTIONS, sizeof SAMPLE_OPTIONS / sizeof SAMPLE_OPTIONS[0],
                      CLKFAC_OPTION_FOR_ALL);
    printf("presets:\n");
    size_t n = 0;
    const bench_sample_preset *p = bench_sample_presets(&n);
    for (size_t i = 0; i < n; i++) {
        printf("  %-7s --algos %s --envs %s --seeds %s", p[i].name, p[i].algos, p[i].envs,
               p[i].seeds);
        if (p[i].steps % 1000000 == 0 && p[i].steps)
            printf(" --steps %ldM", p[i].steps / 1000000);
        else if (p[i].steps)
            printf(" --steps %ldk", p[i].steps / 1000);
        if (p[i].budgets) printf(" (except %s)", p[i].budgets);
        printf("\n%10s", "");
        cli_print_wrapped(p[i].about, 10, 10, 92);
    }
    printf("  without --preset, given options complete --algos a2c,acktr --envs CartPole-v1\n"
           "  --seeds 3 at the reference budgets (CartPole-v1, Acrobot-v1 500k; pixel games 5M;\n"
           "  others 1M).\n");
}

static int bench_sample_cli(int argc, char **argv)
{
    bench_sample_options o;
    memset(&o, 0, sizeof o);
    cli_table t = {SAMPLE_OPTIONS, sizeof SAMPLE_OPTIONS / sizeof SAMPLE_OPTIONS[0], &o, NULL};
    int r = cli_parse("bench sample", argc, argv, &t, 1);
    if (r < 0) bench_sample_usage();
    if (r) return r < 0 ? CLI_OK : r;
    clkfac_status st = clkfac_comm_create(&o.comm);
    if (st) return app_fail("starting the communicator", st);
    r = bench_sample_run(&o);
    int root = clkfac_comm_rank(o.comm) == 0;
    clkfac_comm_free(o.comm);
    if (r == CLI_OK && o.report && root) {
        char name[] = "report", out[4096];
        snprintf(out, sizeof out, "%s", o.out ? o.out : "results/bench-sample");
        char *rargv[] = {name, out, NULL};
        printf("\n");
        r = cmd_report(2, rargv);
    }
    return r;
}

static const clkfac_option SCALE_OPTIONS[] = {
    CLI_OPTION(STRING, bench_scale_options, ranks, "--ranks", "LIST", 0, 0, 0,
               "rank counts to measure (default 1,2,3,4; each divides --envs)"),
    CLI_OPTION(STRING, bench_scale_options, algos, "--algos", "LIST", 0, 0, 0,
               "what to measure on each rank count (default a2c,acktr,acktr-inverse,"
               "acktr-gradient,trpo; acktr-P: ACKTR with --kfac-placement P)"),
    CLI_OPTION(STRING, bench_scale_options, env, "--env", "ID", 0, 0, 0,
               "environment (default CartPole-v1)"),
    CLI_OPTION(UINT, bench_scale_options, n_envs, "--envs", "N", 1, 4096, 12,
               "copies in all, shared out over the ranks"),
    CLI_OPTION(UINT, bench_scale_options, n_steps, "--nsteps", "N", 1, 100000, 5,
               "rollout length per copy"),
    CLI_OPTION(UINT, bench_scale_options, updates, "--updates", "N", 1, 100000, 40,
               "measured updates (median reported)"),
    CLI_OPTION(UINT, bench_scale_options, warmup, "--warmup", "N", 0, 100000, 5, "warm-up updates"),
    CLI_OPTION(DOUBLE, bench_scale_options, alpha_us, "--alpha-us", "US", 0, 1e6, 1.5,
               "model: latency per message, microseconds (default: InfiniBand EDR)"),
    CLI_OPTION(DOUBLE, bench_scale_options, beta_gbs, "--beta-gbs", "GB/S", 1e-6, 1e6, 12.5,
               "model: bandwidth per link, GB/s (default: 100 Gb/s InfiniBand EDR)"),
    CLI_OPTION(STRING, bench_scale_options, out_dir, "--out", "DIR", 0, 0, 0,
               "results folder (default results/bench-scale)"),
    CLI_OPTION(STRING, bench_scale_options, device, "--device", "SPEC", 0, 0, 0, "OpenCL device"),
    CLI_OPTION(BOOL, bench_scale_options, quiet, "--quiet", NULL, 0, 1, 0, "no tables on stdout"),
    CLI_OPTION(BOOL, bench_scale_options, worker, "--worker", NULL, 0, 1, 0,
               "internal: one rank count, started by the driver under mpirun"),
};

static int bench_scale_cli(int argc, char **argv)
{
    bench_scale_options o;
    memset(&o, 0, sizeof o);
    cli_defaults(SCALE_OPTIONS, sizeof SCALE_OPTIONS / sizeof SCALE_OPTIONS[0], &o);
    o.ranks = "1,2,3,4";
    o.algos = "a2c,acktr,acktr-inverse,acktr-gradient,trpo";
    o.env = "CartPole-v1";
    o.out_dir = "results/bench-scale";
    cli_table t = {SCALE_OPTIONS, sizeof SCALE_OPTIONS / sizeof SCALE_OPTIONS[0], &o, NULL};
    int r = cli_parse("bench scale", argc, argv, &t, 1);
    if (r < 0) {
        printf("usage: clkfac bench scale [options]   (without mpirun: it starts mpirun itself)\n"
               "  data-parallel A2C, ACKTR (each inverse placement) and TRPO on each rank count\n"
               "  (time and bytes per update, bytes against the model's), and a latency-bandwidth\n"
               "  model of A2C and ACKTR's two inverse placements for 8-256 ranks on a stated\n"
               "  network; writes OUT/scale.md and OUT/scale_model.md.\n");
        cli_print_options(SCALE_OPTIONS, sizeof SCALE_OPTIONS / sizeof SCALE_OPTIONS[0],
                          CLKFAC_OPTION_FOR_ALL);
        return CLI_OK;
    }
    if (r) return r;
    clkfac_status st = clkfac_comm_create(&o.comm);
    if (st) return app_fail("starting the communicator", st);
    r = bench_scale_run(&o);
    clkfac_comm_free(o.comm);
    return r;
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("usage: clkfac bench <suite> [options]\n  suites: kfac, step, sample, scale\n");
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "kfac")) return bench_kfac_cli(argc - 1, argv + 1);
    if (!strcmp(argv[1], "step")) return bench_step_cli(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sample")) return bench_sample_cli(argc - 1, argv + 1);
    if (!strcmp(argv[1], "scale")) return bench_scale_cli(argc - 1, argv + 1);
    return cli_usage_error("bench: unknown suite '%s'; expected kfac, step, sample or scale",
                           argv[1]);
}
