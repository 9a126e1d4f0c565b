/* `clkfac bench <suite>`: parses options and runs a benchmark program from bench/. */
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"

static int bench_kfac_cli(int argc, char **argv)
{
    bench_kfac_options o = {NULL, "results/bench-kfac", "atari,atari32,minatar", {80, 160, 640},
                            3, 5, 1, 0.01f};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        long n;
        double d;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: clkfac bench kfac [--nets atari,atari32,minatar] [--batch 80,160,640]\n"
                   "                         [--reps 5] [--warmup 1] [--damping 0.01]\n"
                   "                         [--out results/bench-kfac] [--device SPEC]\n"
                   "  times every K-FAC op per layer of the ACKTR Atari CNN (and its 32-filter\n"
                   "  conv3 variant) and the pixel-game CNN, against the device's SGEMM rate.\n");
            return CLI_OK;
        }
        if ((r = cli_opt(argc, argv, &i, "--device", &v))) { if (r < 0) return CLI_USAGE; o.device = v; }
        else if ((r = cli_opt(argc, argv, &i, "--out", &v))) { if (r < 0) return CLI_USAGE; o.out_dir = v; }
        else if ((r = cli_opt(argc, argv, &i, "--nets", &v))) {
            if (r < 0) return CLI_USAGE;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
                if (strcmp(tok, "atari") && strcmp(tok, "atari32") && strcmp(tok, "minatar"))
                    return cli_usage_error("--nets: unknown network '%s'; expected atari, "
                                           "atari32 or minatar (comma-separated)", tok);
            o.nets = v;
        } else if ((r = cli_opt(argc, argv, &i, "--batch", &v))) {
            if (r < 0) return CLI_USAGE;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            o.n_batches = 0;
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
                if (o.n_batches == 8) return cli_usage_error("--batch: at most 8 sizes");
                if (cli_parse_long("--batch", tok, 1, 100000, &n)) return CLI_USAGE;
                o.batches[o.n_batches++] = (int)n;
            }
            if (!o.n_batches) return cli_usage_error("--batch: expected sizes like 80,160,640");
        } else if ((r = cli_opt(argc, argv, &i, "--reps", &v))) {
            if (r < 0 || cli_parse_long("--reps", v, 1, 1000, &n)) return CLI_USAGE;
            o.reps = (int)n;
        } else if ((r = cli_opt(argc, argv, &i, "--warmup", &v))) {
            if (r < 0 || cli_parse_long("--warmup", v, 0, 100, &n)) return CLI_USAGE;
            o.warmup = (int)n;
        } else if ((r = cli_opt(argc, argv, &i, "--damping", &v))) {
            if (r < 0 || cli_parse_double("--damping", v, 1e-12, 1e6, &d)) return CLI_USAGE;
            o.damping = (float)d;
        } else {
            return cli_usage_error("bench kfac: unknown option '%s' (see --help)", argv[i]);
        }
    }
    return bench_kfac_run(&o);
}

static int bench_step_cli(int argc, char **argv)
{
    bench_step_options o = {NULL, "results/bench-step", "atari,atari32,minatar,mlp", "a2c,acktr,trpo",
                            0, 3, 1};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        long n;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: clkfac bench step [--nets atari,atari32,minatar,mlp] [--algos a2c,acktr,trpo]\n"
                   "                         [--max-batch N] [--reps 3] [--warmup 1]\n"
                   "                         [--out results/bench-step] [--device SPEC]\n"
                   "  time per update and timesteps per second of each algorithm on the paper's\n"
                   "  Atari CNN (synthetic frames), its 32-filter variant, the pixel-game CNN\n"
                   "  (Breakout) and a 64x64 MLP (CartPole) at batches 80/160/640 (CNN) and\n"
                   "  1000/2500/25000 (MLP), with the phase breakdown and ratios to A2C.\n");
            return CLI_OK;
        }
        if ((r = cli_opt(argc, argv, &i, "--device", &v))) { if (r < 0) return CLI_USAGE; o.device = v; }
        else if ((r = cli_opt(argc, argv, &i, "--out", &v))) { if (r < 0) return CLI_USAGE; o.out_dir = v; }
        else if ((r = cli_opt(argc, argv, &i, "--nets", &v))) {
            if (r < 0) return CLI_USAGE;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
                if (strcmp(tok, "atari") && strcmp(tok, "atari32") && strcmp(tok, "minatar") &&
                    strcmp(tok, "mlp"))
                    return cli_usage_error("--nets: unknown network '%s'; expected atari, atari32, "
                                           "minatar or mlp (comma-separated)", tok);
            o.nets = v;
        } else if ((r = cli_opt(argc, argv, &i, "--algos", &v))) {
            if (r < 0) return CLI_USAGE;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
                clkfac_algo a;
                if (clkfac_algo_parse(&a, tok)) return cli_usage_error("--algos: %s", clkfac_last_error());
            }
            o.algos = v;
        } else if ((r = cli_opt(argc, argv, &i, "--max-batch", &v))) {
            if (r < 0 || cli_parse_long("--max-batch", v, 1, 10000000, &n)) return CLI_USAGE;
            o.max_batch = (int)n;
        } else if ((r = cli_opt(argc, argv, &i, "--reps", &v))) {
            if (r < 0 || cli_parse_long("--reps", v, 1, 1000, &n)) return CLI_USAGE;
            o.reps = (int)n;
        } else if ((r = cli_opt(argc, argv, &i, "--warmup", &v))) {
            if (r < 0 || cli_parse_long("--warmup", v, 0, 100, &n)) return CLI_USAGE;
            o.warmup = (int)n;
        } else {
            return cli_usage_error("bench step: unknown option '%s' (see --help)", argv[i]);
        }
    }
    return bench_step_run(&o);
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("usage: clkfac bench <suite> [options]\n  suites: kfac, step, sample\n");
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "kfac")) return bench_kfac_cli(argc - 1, argv + 1);
    if (!strcmp(argv[1], "step")) return bench_step_cli(argc - 1, argv + 1);
    if (!strcmp(argv[1], "sample")) return bench_sample_main(argc - 1, argv + 1);
    return cli_usage_error("bench: unknown suite '%s'; expected kfac, step or sample", argv[1]);
}
